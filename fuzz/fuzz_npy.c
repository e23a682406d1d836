/* Fuzz target: sm_npy_read (.npy files). The whole input is the file. A file that reads
 * back must be written back byte-identical when its header is numpy's own (checked by
 * rewriting it and reading again: values and shape survive the round trip). */
#include "fuzz_common.h"
#include "somnus/io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char path[600], out[600];
    fz_write("a.npy", data, size, path, sizeof path);

    sm_error err;
    sm_error_clear(&err);
    sm_npy_array *a = sm_npy_read(path, &err);
    if (!a) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "a.npy") != NULL); /* names the file */
        return 0;
    }
    size_t count = 1, esize = sm_npy_dtype_size(a->dtype);
    FZ_CHECK(esize > 0 && a->ndim >= 0 && a->ndim <= SM_NPY_MAX_DIMS);
    for (int d = 0; d < a->ndim; d++)
        count *= a->shape[d];
    FZ_CHECK(count == a->count && (count == 0) == (a->data == NULL));
    snprintf(out, sizeof out, "%s/b.npy", fz_dir());
    FZ_CHECK(sm_npy_write(out, a->dtype, a->ndim, a->shape, a->data, &err) == SM_OK);
    sm_npy_array *b = sm_npy_read(out, &err);
    FZ_CHECK(b != NULL && b->dtype == a->dtype && b->ndim == a->ndim && b->count == a->count);
    FZ_CHECK(memcmp(a->shape, b->shape, sizeof a->shape) == 0);
    FZ_CHECK(count == 0 || memcmp(a->data, b->data, count * esize) == 0);
    sm_npy_destroy(b);
    sm_npy_destroy(a);
    return 0;
}
