/* somnus: checkpoint files. A checkpoint holds everything needed to continue a run
 * exactly: a JSON metadata object (config, position, results so far) and named binary
 * sections (neuron state, weights, rule state, monitor records).
 *
 * File layout (little-endian as the machine writes it; a checkpoint is meant to resume
 * on the machine that wrote it):
 *     "SOMNUSCK"  8 bytes magic
 *     u32 format version (SM_CKPT_FORMAT), u32 0
 *     u64 metadata length, metadata JSON text
 *     u64 number of sections, then per section: 16-byte NUL-padded name, u64 length, bytes
 *     u32 CRC-32 (zlib) of every byte before it
 * The metadata always has "somnus_version". Files are written atomically (temp file and
 * rename). Reading refuses, with a message naming the file: a missing or short file, a
 * wrong magic, another format version, a checksum mismatch (damaged file), and a
 * checkpoint written by another somnus version.
 */
#ifndef SOMNUS_CHECKPOINT_H
#define SOMNUS_CHECKPOINT_H

#include <jansson.h>
#include <stddef.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SM_CKPT_FORMAT 1u

typedef struct sm_ckpt sm_ckpt;

/* An empty checkpoint with metadata {"somnus_version": sm_version()}. NULL if out of
 * memory. */
sm_ckpt *sm_ckpt_new(void);

/* Frees it (NULL is fine). */
void sm_ckpt_free(sm_ckpt *c);

/* The metadata object (owned by the checkpoint; add keys to it freely). */
json_t *sm_ckpt_meta(sm_ckpt *c);

/* Adds a copy of `len` bytes as section `name` (at most 15 characters, unique). */
sm_status sm_ckpt_add(sm_ckpt *c, const char *name, const void *data, size_t len, sm_error *err);

/* The bytes of section `name` and their length, or NULL if there is no such section. */
const void *sm_ckpt_get(const sm_ckpt *c, const char *name, size_t *len);

/* Writes the checkpoint to `path` atomically. */
sm_status sm_ckpt_write(const sm_ckpt *c, const char *path, sm_error *err);

/* Reads and verifies a checkpoint (see the top of this file). NULL on error. */
sm_ckpt *sm_ckpt_read(const char *path, sm_error *err);

/* Reads and verifies like sm_ckpt_read but accepts any somnus version (for tools that
 * only inspect a file). */
sm_ckpt *sm_ckpt_read_any_version(const char *path, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
