#include "somnus/io/checkpoint.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "somnus/core/fileio.h"
#include "somnus/io/results.h"

#define MAGIC "SOMNUSCK"
#define NAME_LEN 16

typedef struct section {
    char name[NAME_LEN];
    void *data;
    size_t len;
} section;

struct sm_ckpt {
    json_t *meta;
    section *sec;
    size_t n, cap;
};

sm_ckpt *sm_ckpt_new(void)
{
    sm_ckpt *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->meta = json_pack("{s:s}", "somnus_version", sm_version());
    if (!c->meta) {
        free(c);
        return NULL;
    }
    return c;
}

void sm_ckpt_free(sm_ckpt *c)
{
    if (!c) return;
    for (size_t k = 0; k < c->n; k++)
        free(c->sec[k].data);
    free(c->sec);
    json_decref(c->meta);
    free(c);
}

json_t *sm_ckpt_meta(sm_ckpt *c)
{
    return c->meta;
}

const void *sm_ckpt_get(const sm_ckpt *c, const char *name, size_t *len)
{
    for (size_t k = 0; k < c->n; k++)
        if (!strncmp(c->sec[k].name, name, NAME_LEN)) {
            *len = c->sec[k].len;
            return c->sec[k].data;
        }
    *len = 0;
    return NULL;
}

sm_status sm_ckpt_add(sm_ckpt *c, const char *name, const void *data, size_t len, sm_error *err)
{
    size_t dummy;
    if (strlen(name) >= NAME_LEN || sm_ckpt_get(c, name, &dummy))
        return sm_error_set(err, SM_EINVAL, "checkpoint: bad or duplicate section name '%s'", name);
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        section *s = realloc(c->sec, cap * sizeof *s);
        if (!s) return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
        c->sec = s;
        c->cap = cap;
    }
    void *copy = malloc(len ? len : 1);
    if (!copy) return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
    if (len) memcpy(copy, data, len);
    section *s = &c->sec[c->n++];
    memset(s->name, 0, NAME_LEN);
    memcpy(s->name, name, strlen(name));
    s->data = copy;
    s->len = len;
    return SM_OK;
}

/* Writes and checksums at once. */
typedef struct out {
    FILE *fp;
    uLong crc;
    int ok;
} out;

static void put(out *o, const void *p, size_t n)
{
    if (n == 0) return;
    o->crc = crc32_z(o->crc, p, n);
    if (fwrite(p, 1, n, o->fp) != n) o->ok = 0;
}

sm_status sm_ckpt_write(const sm_ckpt *c, const char *path, sm_error *err)
{
    char *meta = json_dumps(c->meta, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!meta) return sm_error_set(err, SM_ENOMEM, "%s: cannot encode the metadata", path);
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) {
        free(meta);
        return st;
    }
    out o = {f.fp, crc32_z(0L, Z_NULL, 0), 1};
    const uint32_t head[2] = {SM_CKPT_FORMAT, 0};
    const uint64_t meta_len = strlen(meta), n = c->n;
    put(&o, MAGIC, 8);
    put(&o, head, sizeof head);
    put(&o, &meta_len, sizeof meta_len);
    put(&o, meta, meta_len);
    put(&o, &n, sizeof n);
    for (size_t k = 0; k < c->n; k++) {
        const uint64_t len = c->sec[k].len;
        put(&o, c->sec[k].name, NAME_LEN);
        put(&o, &len, sizeof len);
        put(&o, c->sec[k].data, c->sec[k].len);
    }
    const uint32_t crc = (uint32_t)o.crc;
    if (fwrite(&crc, sizeof crc, 1, f.fp) != 1) o.ok = 0;
    free(meta);
    if (!o.ok) {
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: write error", path);
    }
    return sm_atomic_commit(&f, err);
}

/* Bounds-checked reader over the file bytes. */
typedef struct in {
    const unsigned char *p;
    size_t len, pos;
} in;

static int take(in *r, void *dst, size_t n)
{
    if (n > r->len - r->pos) return 0;
    if (dst) memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return 1;
}

static sm_ckpt *parse(const char *path, const unsigned char *buf, size_t len, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    in r = {buf, len, 0};
    char magic[8];
    uint32_t head[2];
    if (len < 8 + sizeof head + 4 || !take(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) {
        sm_error_set(err, SM_EFORMAT, "%s: not a somnus checkpoint (wrong magic or too short)",
                     path);
        return NULL;
    }
    take(&r, head, sizeof head);
    if (head[0] != SM_CKPT_FORMAT) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: checkpoint format %u, this somnus reads format %u: it cannot be "
                     "resumed by this version",
                     path, head[0], SM_CKPT_FORMAT);
        return NULL;
    }
    uint32_t crc;
    memcpy(&crc, buf + len - 4, 4);
    if ((uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf, len - 4) != crc) {
        sm_error_set(err, SM_EFORMAT, "%s: checksum mismatch: the checkpoint is damaged", path);
        return NULL;
    }
    r.len = len - 4;
    sm_ckpt *c = calloc(1, sizeof *c);
    uint64_t meta_len, n;
    if (!c) goto oom;
    if (!take(&r, &meta_len, sizeof meta_len) || meta_len > r.len - r.pos) goto bad;
    json_error_t je;
    c->meta = json_loadb((const char *)buf + r.pos, (size_t)meta_len, 0, &je);
    if (!json_is_object(c->meta)) goto bad;
    r.pos += (size_t)meta_len;
    if (!take(&r, &n, sizeof n) || n > (r.len - r.pos) / (NAME_LEN + 8)) goto bad;
    for (uint64_t k = 0; k < n; k++) {
        char name[NAME_LEN + 1] = {0};
        uint64_t sl;
        if (!take(&r, name, NAME_LEN) || !take(&r, &sl, sizeof sl) || sl > r.len - r.pos) goto bad;
        if (sm_ckpt_add(c, name, buf + r.pos, (size_t)sl, err) != SM_OK) {
            if (err && err->code == SM_ENOMEM) goto oom;
            goto bad; /* an empty, unterminated or repeated section name */
        }
        r.pos += (size_t)sl;
    }
    if (r.pos != r.len) goto bad;
    return c;
bad:
    sm_error_set(err, SM_EFORMAT, "%s: malformed checkpoint structure", path);
    goto fail;
oom:
    sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
fail:
    sm_ckpt_free(c);
    return NULL;
}

sm_ckpt *sm_ckpt_read_any_version(const char *path, sm_error *err)
{
    char *buf;
    size_t len;
    if (sm_read_file(path, &buf, &len, err) != SM_OK) return NULL;
    sm_ckpt *c = parse(path, (const unsigned char *)buf, len, err);
    free(buf);
    return c;
}

sm_ckpt *sm_ckpt_read(const char *path, sm_error *err)
{
    sm_ckpt *c = sm_ckpt_read_any_version(path, err);
    if (!c) return NULL;
    const char *v = json_string_value(json_object_get(c->meta, "somnus_version"));
    if (!v || strcmp(v, sm_version()) != 0) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: checkpoint written by somnus %s, this is somnus %s: resume it with "
                     "the version that wrote it",
                     path, v ? v : "(unknown)", sm_version());
        sm_ckpt_free(c);
        return NULL;
    }
    return c;
}
