#include "somnus/core/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void free_names(sm_atomic_file *f)
{
    free(f->path);
    free(f->tmp_path);
    f->path = f->tmp_path = NULL;
}

sm_status sm_atomic_open(sm_atomic_file *f, const char *path, sm_error *err)
{
    memset(f, 0, sizeof *f);
    size_t n = strlen(path);
    f->path = strdup(path);
    f->tmp_path = malloc(n + 16);
    if (!f->path || !f->tmp_path) {
        free_names(f);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    }
    memcpy(f->tmp_path, path, n);
    memcpy(f->tmp_path + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        int e = errno;
        free_names(f);
        return sm_error_set(err, SM_EIO, "%s: cannot create file: %s", path, strerror(e));
    }
    fchmod(fd, 0644);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int e = errno;
        close(fd);
        unlink(f->tmp_path);
        free_names(f);
        return sm_error_set(err, SM_EIO, "%s: cannot open for writing: %s", path, strerror(e));
    }
    return SM_OK;
}

sm_status sm_atomic_commit(sm_atomic_file *f, sm_error *err)
{
    if (!f->fp) return sm_error_set(err, SM_EINVAL, "atomic file committed twice");
    int bad = ferror(f->fp);
    if (fflush(f->fp) != 0) bad = 1;
    int e = errno;
    if (fclose(f->fp) != 0) bad = 1;
    f->fp = NULL;
    if (bad) {
        unlink(f->tmp_path);
        sm_error_set(err, SM_EIO, "%s: write failed: %s", f->path, strerror(e ? e : EIO));
        free_names(f);
        return SM_EIO;
    }
    if (rename(f->tmp_path, f->path) != 0) {
        e = errno;
        unlink(f->tmp_path);
        sm_error_set(err, SM_EIO, "%s: cannot rename into place: %s", f->path, strerror(e));
        free_names(f);
        return SM_EIO;
    }
    free_names(f);
    return SM_OK;
}

void sm_atomic_abort(sm_atomic_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
        unlink(f->tmp_path);
    }
    free_names(f);
}

sm_status sm_read_file(const char *path, char **data, size_t *len, sm_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return sm_error_set(err, SM_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf) return sm_error_set(err, SM_ENOMEM, "%s: out of memory reading file", path);
    if (bad) {
        free(buf);
        return sm_error_set(err, SM_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return SM_OK;
}

sm_status sm_mkdir_p(const char *path, sm_error *err)
{
    char *p = strdup(path);
    if (!p) return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                sm_error_set(err, SM_EIO, "%s: cannot create directory: %s", p, strerror(errno));
                free(p);
                return SM_EIO;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sm_error_set(err, SM_EIO, "%s: not a directory", path);
    return SM_OK;
}
