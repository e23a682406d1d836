/* somnus fuzz targets: shared helpers.
 *
 * The readers take paths, so every execution writes its input to a scratch file in
 * /dev/shm (a RAM file system; $TMPDIR or /tmp if /dev/shm is not writable), named after
 * the process id so that parallel runs (ctest -j, libFuzzer -jobs) never share a file.
 * Scratch files and directories are removed at exit.
 *
 * Every target is one translation unit defining LLVMFuzzerTestOneInput; it is linked
 * either with libFuzzer (make fuzz, clang) or with replay_main.c (ctest, any compiler).
 */
#ifndef SOMNUS_FUZZ_COMMON_H
#define SOMNUS_FUZZ_COMMON_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory private to this process, created on first use and removed (with the
 * files the target put in it, one level deep) at exit. */
static char fz_dir_path[512];

static inline void fz_cleanup(void)
{
    if (!fz_dir_path[0]) return;
    DIR *d = opendir(fz_dir_path);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", fz_dir_path, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fz_dir_path);
    fz_dir_path[0] = '\0';
}

static inline const char *fz_dir(void)
{
    if (fz_dir_path[0]) return fz_dir_path;
    const char *bases[] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};
    for (size_t i = 0; i < sizeof bases / sizeof *bases; i++) {
        if (!bases[i] || access(bases[i], W_OK) != 0) continue;
        snprintf(fz_dir_path, sizeof fz_dir_path, "%s/somnus-fuzz-%ld", bases[i], (long)getpid());
        if (mkdir(fz_dir_path, 0700) == 0 || access(fz_dir_path, W_OK) == 0) {
            atexit(fz_cleanup);
            return fz_dir_path;
        }
    }
    fprintf(stderr, "fuzz: cannot create a scratch directory\n");
    abort();
}

/* Writes data to <scratch dir>/name (replacing it); the path goes to path[0..path_size)
 * and is returned. Any failure aborts: the harness, not the reader, is broken then. */
static inline const char *fz_write(const char *name, const void *data, size_t size, char *path,
                                   size_t path_size)
{
    snprintf(path, path_size, "%s/%s", fz_dir(), name);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        perror(path);
        abort();
    }
    if (size && fwrite(data, 1, size, fp) != size) {
        perror(path);
        abort();
    }
    if (fclose(fp) != 0) {
        perror(path);
        abort();
    }
    return path;
}

/* Fails loudly (libFuzzer reports it as a crash) when an invariant of a reader's
 * result does not hold. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* An error must carry a message. */
#define FZ_CHECK_ERROR(err) FZ_CHECK((err).code != SM_OK && (err).msg[0] != '\0')

#endif
