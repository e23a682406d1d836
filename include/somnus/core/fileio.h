/* somnus: safe file output.
 *
 * Every output file is written to a temporary name in the destination directory and
 * renamed into place on success, so a failed or interrupted run never leaves a
 * half-written file under the final name.
 */
#ifndef SOMNUS_FILEIO_H
#define SOMNUS_FILEIO_H

#include <stdio.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_atomic_file {
    FILE *fp;       /* write here between open and commit */
    char *path;     /* final path (owned) */
    char *tmp_path; /* temporary path (owned) */
} sm_atomic_file;

/* Opens a temporary file next to `path` for writing (binary mode). On failure the
 * error names `path` and the reason. */
sm_status sm_atomic_open(sm_atomic_file *f, const char *path, sm_error *err);

/* Flushes, closes and renames the temporary file to its final path. On any failure
 * the temporary file is removed and an error naming `path` is returned. Frees f's
 * strings in every case. */
sm_status sm_atomic_commit(sm_atomic_file *f, sm_error *err);

/* Closes and removes the temporary file; the final path is untouched. Safe to call
 * on a zeroed or already committed struct. */
void sm_atomic_abort(sm_atomic_file *f);

/* Reads a whole file into a NUL-terminated heap buffer (caller frees). `*len` gets
 * the byte count (without the NUL). Errors name the file. */
sm_status sm_read_file(const char *path, char **data, size_t *len, sm_error *err);

/* Creates directory `path` and its parents if missing (like mkdir -p). */
sm_status sm_mkdir_p(const char *path, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
