/* Fuzz target: sm_dataset_load_idx (IDX images + labels, plain or gzip).
 *
 * Input layout (so that one input describes both files and the fuzzer can make their
 * counts agree):
 *   byte 0      flags: bit 0 gzip-compress the image part, bit 1 the label part
 *               (compressed here, so the fuzzer reaches the gzip path with valid
 *               streams; raw corrupt gzip arrives through the uncompressed flag)
 *   bytes 1-2   little-endian length of the image part (clamped to what is left)
 *   rest        image part, then label part
 */
#include <zlib.h>

#include "fuzz_common.h"
#include "somnus/io/dataset.h"

/* gzip-compresses into a heap buffer with a small window and memory level: zlib's
 * defaults would allocate about 300 kB per execution and halve the fuzzing speed. */
static unsigned char *gzip_small(const uint8_t *data, size_t size, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 9 + 16, 1, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&z, (uLong)size) + 64;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static const char *put(const char *name, const uint8_t *data, size_t size, int gzip, char *path,
                       size_t path_size)
{
    if (!gzip) return fz_write(name, data, size, path, path_size);
    size_t len;
    unsigned char *z = gzip_small(data, size, &len);
    fz_write(name, z, len, path, path_size);
    free(z);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 20)) return 0;
    const int flags = data[0];
    size_t n_img = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (n_img > size) n_img = size;
    char ip[600], lp[600];
    put("images", data, n_img, flags & 1, ip, sizeof ip);
    put("labels", data + n_img, size - n_img, flags & 2, lp, sizeof lp);

    sm_error err;
    sm_error_clear(&err);
    sm_dataset *ds = sm_dataset_load_idx(ip, lp, &err);
    if (!ds) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "images") || strstr(err.msg, "labels")); /* names the file */
        return 0;
    }
    FZ_CHECK(ds->n > 0 && ds->width > 0 && ds->height > 0);
    FZ_CHECK(ds->n_classes >= 1 && ds->n_classes <= 256);
    size_t total = (size_t)ds->n * (size_t)ds->width * (size_t)ds->height;
    for (size_t k = 0; k < total; k++)
        FZ_CHECK(ds->pixels[k] >= 0.0f && ds->pixels[k] <= 1.0f);
    for (int i = 0; i < ds->n; i++)
        FZ_CHECK(ds->labels[i] >= 0 && ds->labels[i] < ds->n_classes);
    sm_dataset_destroy(ds);
    return 0;
}
