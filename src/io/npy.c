/* somnus: numpy .npy files (see include/somnus/npy.h and docs/formats.md). */
#include "somnus/io/npy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "somnus/core/fileio.h"

static const char NPY_MAGIC[6] = {(char)0x93, 'N', 'U', 'M', 'P', 'Y'};
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21 /* numpy's GROWTH_AXIS_MAX_DIGITS */
/* Longest header text we accept when reading (numpy's own limit is 10,000 bytes by
 * default; a larger one is not a file numpy wrote). */
#define NPY_MAX_HEADER 65536

static const struct {
    const char *descr;
    size_t size;
} DTYPES[SM_NPY_N_DTYPES] = {
    [SM_NPY_F32] = {"<f4", 4}, [SM_NPY_F64] = {"<f8", 8}, [SM_NPY_I32] = {"<i4", 4},
    [SM_NPY_U32] = {"<u4", 4}, [SM_NPY_I64] = {"<i8", 8}, [SM_NPY_U8] = {"|u1", 1},
    [SM_NPY_I8] = {"|i1", 1},
};

size_t sm_npy_dtype_size(sm_npy_dtype dtype)
{
    return (unsigned)dtype < SM_NPY_N_DTYPES ? DTYPES[dtype].size : 0;
}

const char *sm_npy_dtype_descr(sm_npy_dtype dtype)
{
    return (unsigned)dtype < SM_NPY_N_DTYPES ? DTYPES[dtype].descr : NULL;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reverses the bytes of each of n elements of `size` bytes (big-endian hosts only). */
static void swap_bytes(unsigned char *p, size_t n, size_t size)
{
    for (size_t i = 0; i < n; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ------------------------------------------------------------------ writing */

/* Appends printf output to buf at *len (counting even what does not fit). */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = buf && *len < size ? buf + *len : NULL;
    int n = vsnprintf(dst, dst ? size - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

size_t sm_npy_header(sm_npy_dtype dtype, int ndim, const size_t *shape, char *buf, size_t buf_size)
{
    if ((unsigned)dtype >= SM_NPY_N_DTYPES || ndim < 0 || ndim > SM_NPY_MAX_DIMS ||
        (ndim > 0 && !shape))
        return 0;
    /* The dict text, exactly as numpy's repr makes it: keys sorted, a trailing ", ". */
    char text[64 + SM_NPY_MAX_DIMS * 24 + NPY_GROWTH_DIGITS];
    size_t t = 0;
    append(text, sizeof text, &t, "{'descr': '%s', 'fortran_order': False, 'shape': (",
           DTYPES[dtype].descr);
    for (int d = 0; d < ndim; d++)
        append(text, sizeof text, &t, d ? ", %zu" : "%zu", shape[d]);
    append(text, sizeof text, &t, "%s), }", ndim == 1 ? "," : "");
    if (ndim > 0) {
        char first[32];
        int digits = snprintf(first, sizeof first, "%zu", shape[0]);
        for (int k = digits; k < NPY_GROWTH_DIGITS; k++)
            append(text, sizeof text, &t, " ");
    }
    if (t >= sizeof text) return 0;
    const size_t prefix = sizeof NPY_MAGIC + 2 + 2; /* magic, version, uint16 HLEN */
    size_t hlen = t + 1;                            /* with the '\n' */
    size_t pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    size_t total = prefix + hlen + pad;
    if (hlen + pad > 65535) return 0;
    if (buf && buf_size >= total) {
        memcpy(buf, NPY_MAGIC, sizeof NPY_MAGIC);
        buf[6] = 1;
        buf[7] = 0;
        buf[8] = (char)((hlen + pad) & 0xff);
        buf[9] = (char)((hlen + pad) >> 8);
        memcpy(buf + prefix, text, t);
        memset(buf + prefix + t, ' ', pad);
        buf[total - 1] = '\n';
    }
    return total;
}

sm_status sm_npy_write(const char *path, sm_npy_dtype dtype, int ndim, const size_t *shape,
                       const void *data, sm_error *err)
{
    if (!path) return sm_error_set(err, SM_EINVAL, "npy: no output path");
    if ((unsigned)dtype >= SM_NPY_N_DTYPES)
        return sm_error_set(err, SM_EINVAL, "%s: unknown npy dtype %d", path, (int)dtype);
    if (ndim < 0 || ndim > SM_NPY_MAX_DIMS)
        return sm_error_set(err, SM_EINVAL, "%s: %d dimensions, expected 0 to %d", path, ndim,
                            SM_NPY_MAX_DIMS);
    if (ndim > 0 && !shape) return sm_error_set(err, SM_EINVAL, "%s: no shape given", path);
    const size_t esize = DTYPES[dtype].size;
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] != 0 && count > SIZE_MAX / esize / shape[d])
            return sm_error_set(err, SM_EINVAL, "%s: array too large", path);
        count *= shape[d];
    }
    if (count > 0 && !data)
        return sm_error_set(err, SM_EINVAL, "%s: no data for %zu elements", path, count);
    char header[NPY_ALIGN * 16];
    size_t hsize = sm_npy_header(dtype, ndim, shape, header, sizeof header);
    if (hsize == 0 || hsize > sizeof header)
        return sm_error_set(err, SM_EINVAL, "%s: npy header too long", path);

    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    int ok = fwrite(header, 1, hsize, f.fp) == hsize;
    if (host_is_little_endian() || esize == 1) {
        if (ok && count) ok = fwrite(data, esize, count, f.fp) == count;
    } else {
        unsigned char chunk[1 << 14];
        const size_t per = sizeof chunk / esize;
        for (size_t i = 0; ok && i < count; i += per) {
            size_t m = count - i < per ? count - i : per;
            memcpy(chunk, (const unsigned char *)data + i * esize, m * esize);
            swap_bytes(chunk, m, esize);
            ok = fwrite(chunk, esize, m, f.fp) == m;
        }
    }
    if (!ok) {
        int e = errno;
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: write error: %s", path, strerror(e));
    }
    return sm_atomic_commit(&f, err);
}

sm_status sm_npy_write_vector(const char *path, sm_npy_dtype dtype, size_t n, const void *data,
                              sm_error *err)
{
    return sm_npy_write(path, dtype, 1, &n, data, err);
}

sm_status sm_npy_write_matrix(const char *path, sm_npy_dtype dtype, size_t rows, size_t cols,
                              const void *data, sm_error *err)
{
    const size_t shape[2] = {rows, cols};
    return sm_npy_write(path, dtype, 2, shape, data, err);
}

/* ------------------------------------------------------------------ reading */

/* A cursor over the header text (a Python dict literal). */
typedef struct {
    const char *s, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->s < c->end && *c->s == ch) {
        c->s++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes) into out; 0 if there is none. */
static int parse_string(cursor *c, char *out, size_t size)
{
    skip_ws(c);
    if (c->s >= c->end || (*c->s != '\'' && *c->s != '"')) return 0;
    const char q = *c->s++;
    size_t n = 0;
    while (c->s < c->end && *c->s != q) {
        if (*c->s == '\\' || n + 1 >= size) return 0;
        out[n++] = *c->s++;
    }
    if (c->s >= c->end) return 0;
    c->s++;
    out[n] = '\0';
    return 1;
}

static int parse_word(cursor *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->s) < n || memcmp(c->s, word, n) != 0) return 0;
    c->s += n;
    return 1;
}

/* A decimal integer without sign into *v; 0 on none or overflow. */
static int parse_size(cursor *c, size_t *v)
{
    skip_ws(c);
    if (c->s >= c->end || *c->s < '0' || *c->s > '9') return 0;
    size_t x = 0;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
        unsigned dgt = (unsigned)(*c->s - '0');
        if (x > (SIZE_MAX - dgt) / 10) return 0;
        x = x * 10 + dgt;
        c->s++;
    }
    if (c->s < c->end && *c->s == 'L') c->s++; /* Python 2 longs, as old numpy wrote */
    *v = x;
    return 1;
}

/* Parses the header dict into the array's dtype and shape; returns NULL or a message. */
static const char *parse_header(const char *text, size_t len, sm_npy_array *a)
{
    cursor c = {text, text + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{')) return "header is not a Python dict literal";
    for (;;) {
        if (eat(&c, '}')) break;
        char key[32], val[32];
        if (!parse_string(&c, key, sizeof key)) return "header dict: expected a quoted key";
        if (!eat(&c, ':')) return "header dict: expected ':' after a key";
        if (!strcmp(key, "descr")) {
            if (have_descr++) return "header dict: 'descr' given twice";
            if (!parse_string(&c, val, sizeof val))
                return "header dict: 'descr' is not a simple type string (structured dtype?)";
            int found = -1;
            for (int k = 0; k < SM_NPY_N_DTYPES; k++)
                if (!strcmp(val, DTYPES[k].descr)) found = k;
            if (!strcmp(val, "<u1") || !strcmp(val, "u1") || !strcmp(val, "=u1")) found = SM_NPY_U8;
            if (!strcmp(val, "<i1") || !strcmp(val, "i1") || !strcmp(val, "=i1")) found = SM_NPY_I8;
            if (found < 0)
                return "unsupported dtype (expected <f4, <f8, <i4, <u4, <i8, |u1 or |i1)";
            a->dtype = (sm_npy_dtype)found;
        } else if (!strcmp(key, "fortran_order")) {
            if (have_order++) return "header dict: 'fortran_order' given twice";
            if (parse_word(&c, "True"))
                return "fortran_order is True: only C-order arrays are supported";
            if (!parse_word(&c, "False")) return "header dict: 'fortran_order' is not a boolean";
        } else if (!strcmp(key, "shape")) {
            if (have_shape++) return "header dict: 'shape' given twice";
            if (!eat(&c, '(')) return "header dict: 'shape' is not a tuple";
            a->ndim = 0;
            int trailing_comma = 0;
            while (!eat(&c, ')')) {
                if (a->ndim >= SM_NPY_MAX_DIMS) return "shape has too many dimensions";
                if (!parse_size(&c, &a->shape[a->ndim]))
                    return "shape: expected a non-negative integer";
                a->ndim++;
                trailing_comma = eat(&c, ',');
                if (!trailing_comma && !eat(&c, ')')) return "shape: expected ',' or ')'";
                if (!trailing_comma) break;
            }
            /* (n) is an int in Python, not a tuple: numpy writes (n,) */
            if (a->ndim == 1 && !trailing_comma)
                return "shape: a one-element tuple needs a trailing comma: (n,)";
        } else {
            return "header dict: unknown key (expected 'descr', 'fortran_order', 'shape')";
        }
        if (eat(&c, ',')) continue;
        if (eat(&c, '}')) break;
        return "header dict: expected ',' or '}'";
    }
    skip_ws(&c);
    if (c.s != c.end) return "header dict: unexpected text after '}'";
    if (!have_descr || !have_order || !have_shape)
        return "header dict: missing one of 'descr', 'fortran_order', 'shape'";
    return NULL;
}

sm_npy_array *sm_npy_read(const char *path, sm_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sm_error_set(err, SM_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    sm_npy_array *a = NULL;
    char *text = NULL;
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        sm_error_set(err, SM_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        sm_error_set(err, SM_EIO, "%s: is a directory, expected a .npy file", path);
        goto fail;
    }
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, fp);
    if (got < 10 || memcmp(pre, NPY_MAGIC, sizeof NPY_MAGIC) != 0) {
        sm_error_set(err, SM_EFORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto fail;
    }
    const unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        sm_error_set(err, SM_EFORMAT, "%s: unsupported .npy version %u.%u (expected 1.0-3.0)", path,
                     major, minor);
        goto fail;
    }
    size_t prefix = 10, hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (major >= 2) {
        if (fread(pre + 10, 1, 2, fp) != 2) {
            sm_error_set(err, SM_EFORMAT, "%s: truncated .npy header", path);
            goto fail;
        }
        prefix = 12;
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    if (hlen == 0 || hlen > NPY_MAX_HEADER) {
        sm_error_set(err, SM_EFORMAT, "%s: .npy header length %zu out of range [1, %d]", path, hlen,
                     NPY_MAX_HEADER);
        goto fail;
    }
    text = malloc(hlen);
    if (!text) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fread(text, 1, hlen, fp) != hlen) {
        sm_error_set(err, SM_EFORMAT, "%s: truncated .npy header (expected %zu bytes)", path, hlen);
        goto fail;
    }
    if (memchr(text, '\0', hlen)) {
        sm_error_set(err, SM_EFORMAT, "%s: NUL byte in the .npy header", path);
        goto fail;
    }
    a = calloc(1, sizeof *a);
    if (!a) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    const char *why = parse_header(text, hlen, a);
    if (why) {
        sm_error_set(err, SM_EFORMAT, "%s: %s", path, why);
        goto fail;
    }
    const size_t esize = DTYPES[a->dtype].size;
    a->count = 1;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] != 0 && a->count > SIZE_MAX / esize / a->shape[d]) {
            sm_error_set(err, SM_EFORMAT, "%s: shape too large", path);
            goto fail;
        }
        a->count *= a->shape[d];
    }
    const size_t bytes = a->count * esize;
    const unsigned long long avail = (unsigned long long)st.st_size - (prefix + hlen);
    if (S_ISREG(st.st_mode) && avail != bytes) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: the shape says %zu elements (%zu bytes) but the file holds %llu data "
                     "bytes (%s)",
                     path, a->count, bytes, avail, avail < bytes ? "truncated" : "trailing data");
        goto fail;
    }
    if (a->count > 0) {
        a->data = malloc(bytes);
        if (!a->data) {
            sm_error_set(err, SM_ENOMEM, "%s: out of memory for %zu bytes", path, bytes);
            goto fail;
        }
        if (fread(a->data, 1, bytes, fp) != bytes) {
            sm_error_set(err, SM_EFORMAT, "%s: truncated data (expected %zu bytes)", path, bytes);
            goto fail;
        }
    }
    if (fgetc(fp) != EOF) {
        sm_error_set(err, SM_EFORMAT, "%s: trailing data after the array", path);
        goto fail;
    }
    if (ferror(fp)) {
        sm_error_set(err, SM_EIO, "%s: read error", path);
        goto fail;
    }
    if (!host_is_little_endian() && esize > 1) swap_bytes(a->data, a->count, esize);
    fclose(fp);
    free(text);
    return a;
fail:
    fclose(fp);
    free(text);
    sm_npy_destroy(a);
    return NULL;
}

void sm_npy_destroy(sm_npy_array *a)
{
    if (!a) return;
    free(a->data);
    free(a);
}
