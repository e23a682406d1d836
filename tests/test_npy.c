/* Tests of the npy module: header bytes computed by hand, round trips of every dtype,
 * rejected files, and an independent check with numpy (Debian python3-numpy). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/io/npy.h"

#define PYTHON "/usr/bin/python3"

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    char *data;
    sm_error err;
    assert_int_equal(sm_read_file(path, &data, len, &err), SM_OK);
    return (unsigned char *)data;
}

/* The expected header: magic, version 1.0, HLEN, `dict`, `spaces` spaces, '\n'. */
static void expect_header(const unsigned char *got, const char *dict, size_t spaces, size_t total)
{
    assert_int_equal(total % 64, 0);
    assert_memory_equal(got, "\x93NUMPY\x01\x00", 8);
    size_t hlen = total - 10;
    assert_int_equal(got[8], hlen & 0xff);
    assert_int_equal(got[9], hlen >> 8);
    assert_memory_equal(got + 10, dict, strlen(dict));
    for (size_t k = 0; k < spaces; k++)
        assert_int_equal(got[10 + strlen(dict) + k], ' ');
    assert_int_equal(10 + strlen(dict) + spaces + 1, total);
    assert_int_equal(got[total - 1], '\n');
}

static void header_matrix_f32(void **state)
{
    (void)state;
    /* dict is 59 chars; numpy adds 21 - len("2") = 20 growth spaces: 79 + '\n' = 80;
     * 10 + 80 = 90, padded with 38 more spaces to 128. HLEN = 118. */
    const size_t shape[2] = {2, 3};
    char buf[256];
    size_t n = sm_npy_header(SM_NPY_F32, 2, shape, buf, sizeof buf);
    assert_int_equal(n, 128);
    expect_header((unsigned char *)buf,
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20 + 38, 128);
    assert_int_equal(sm_npy_header(SM_NPY_F32, 2, shape, NULL, 0), 128);
}

static void header_vector_scalar_and_u8(void **state)
{
    (void)state;
    char buf[256];
    size_t five = 5;
    /* 57 chars + 20 growth spaces (for "5") + 37 padding + '\n' = 118 */
    assert_int_equal(sm_npy_header(SM_NPY_I32, 1, &five, buf, sizeof buf), 128);
    expect_header((unsigned char *)buf, "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }",
                  20 + 40, 128);
    /* a scalar: no growth spaces; 55 chars + 62 padding + '\n' */
    assert_int_equal(sm_npy_header(SM_NPY_F64, 0, NULL, buf, sizeof buf), 128);
    expect_header((unsigned char *)buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                  62, 128);
    /* uint8 is '|u1', as numpy writes one-byte types */
    size_t big = 123456789012ull;
    assert_int_equal(sm_npy_header(SM_NPY_U8, 1, &big, buf, sizeof buf), 128);
    expect_header((unsigned char *)buf,
                  "{'descr': '|u1', 'fortran_order': False, 'shape': (123456789012,), }", 9 + 40,
                  128);
    assert_string_equal(sm_npy_dtype_descr(SM_NPY_I64), "<i8");
    /* int8 is '|i1' */
    assert_int_equal(sm_npy_header(SM_NPY_I8, 2, (size_t[]){3, 400}, buf, sizeof buf), 128);
    /* 61 chars + 20 growth spaces (for "3") + 36 padding + '\n' = 118 */
    expect_header((unsigned char *)buf,
                  "{'descr': '|i1', 'fortran_order': False, 'shape': (3, 400), }", 20 + 36, 128);
    assert_string_equal(sm_npy_dtype_descr(SM_NPY_I8), "|i1");
    assert_int_equal(sm_npy_dtype_size(SM_NPY_I8), 1);
    assert_int_equal(sm_npy_dtype_size(SM_NPY_F64), 8);
    assert_int_equal(sm_npy_header((sm_npy_dtype)99, 0, NULL, buf, sizeof buf), 0);
    assert_int_equal(sm_npy_header(SM_NPY_F32, SM_NPY_MAX_DIMS + 1, &five, buf, sizeof buf), 0);
}

static void write_matches_header_and_data(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "m.npy");
    const float v[6] = {1, 2, 3, 4, 5, 6.5f};
    sm_error err;
    assert_int_equal(sm_npy_write_matrix(p, SM_NPY_F32, 2, 3, v, &err), SM_OK);
    size_t len;
    unsigned char *b = slurp(p, &len);
    assert_int_equal(len, 128 + 24);
    expect_header(b, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58, 128);
    /* 6.5f little-endian: 0x40d00000 */
    assert_memory_equal(b + 128 + 20, "\x00\x00\xd0\x40", 4);
    free(b);
    assert_int_equal(tu_count_entries(dir), 1); /* no temporary file left */
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void round_trip_every_dtype(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "a.npy");
    const float f4[6] = {0.5f, -1.25f, 3e38f, -0.0f, 1e-40f, 7};
    const double f8[6] = {0.1, -2.5, 1e300, -1e-310, 3.0, 4.0};
    const int32_t i4[6] = {INT32_MIN, -1, 0, 1, 42, INT32_MAX};
    const uint32_t u4[6] = {0, 1, 2, 0x80000000u, 0xfffffffeu, UINT32_MAX};
    const int64_t i8[6] = {INT64_MIN, -1, 0, 1, (int64_t)1 << 53, INT64_MAX};
    const uint8_t u1[6] = {0, 1, 127, 128, 254, 255};
    const int8_t i1[6] = {INT8_MIN, -1, 0, 1, 100, INT8_MAX};
    const void *src[SM_NPY_N_DTYPES] = {f4, f8, i4, u4, i8, u1, i1};
    const size_t shape[3] = {1, 2, 3};
    sm_error err;
    for (int t = 0; t < SM_NPY_N_DTYPES; t++) {
        assert_int_equal(sm_npy_write(p, (sm_npy_dtype)t, 3, shape, src[t], &err), SM_OK);
        sm_npy_array *a = sm_npy_read(p, &err);
        assert_non_null(a);
        assert_int_equal(a->dtype, t);
        assert_int_equal(a->ndim, 3);
        assert_int_equal(a->shape[0], 1);
        assert_int_equal(a->shape[1], 2);
        assert_int_equal(a->shape[2], 3);
        assert_int_equal(a->count, 6);
        assert_memory_equal(a->data, src[t], 6 * sm_npy_dtype_size((sm_npy_dtype)t));
        sm_npy_destroy(a);
    }
    /* empty and scalar arrays */
    const size_t empty[2] = {0, 4};
    assert_int_equal(sm_npy_write(p, SM_NPY_F64, 2, empty, NULL, &err), SM_OK);
    sm_npy_array *a = sm_npy_read(p, &err);
    assert_non_null(a);
    assert_int_equal(a->count, 0);
    assert_null(a->data);
    assert_int_equal(a->shape[1], 4);
    sm_npy_destroy(a);
    const double pi = 3.14159;
    assert_int_equal(sm_npy_write(p, SM_NPY_F64, 0, NULL, &pi, &err), SM_OK);
    a = sm_npy_read(p, &err);
    assert_non_null(a);
    assert_int_equal(a->ndim, 0);
    assert_int_equal(a->count, 1);
    assert_true(*(double *)a->data == pi);
    sm_npy_destroy(a);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void write_errors(void **state)
{
    (void)state;
    sm_error err;
    const float v[2] = {1, 2};
    assert_int_equal(sm_npy_write_vector("/nonexistent-dir/x.npy", SM_NPY_F32, 2, v, &err), SM_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.npy"));
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "x.npy");
    assert_int_equal(sm_npy_write_vector(p, SM_NPY_F32, 2, NULL, &err), SM_EINVAL);
    assert_int_equal(sm_npy_write_vector(p, (sm_npy_dtype)-1, 2, v, &err), SM_EINVAL);
    const size_t huge[2] = {SIZE_MAX / 2, 3};
    assert_int_equal(sm_npy_write(p, SM_NPY_F32, 2, huge, v, &err), SM_EINVAL);
    assert_int_equal(tu_count_entries(dir), 0); /* nothing written */
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* Writes magic + version 1.0 + HLEN + `dict` padded to 64 + `data_len` zero bytes. */
static char *write_raw(const char *dir, const char *name, const char *dict, size_t data_len)
{
    char buf[1024];
    size_t d = strlen(dict), hl = d + 1;
    size_t pad = 64 - (10 + hl) % 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((hl + pad) & 0xff);
    buf[9] = (char)((hl + pad) >> 8);
    memcpy(buf + 10, dict, d);
    memset(buf + 10 + d, ' ', pad);
    buf[10 + d + pad] = '\n';
    size_t total = 10 + hl + pad;
    memset(buf + total, 0, data_len);
    return tu_write_file(dir, name, buf, total + data_len);
}

static void expect_reject(const char *path, sm_status code, const char *what)
{
    sm_error err;
    sm_error_clear(&err);
    assert_null(sm_npy_read(path, &err));
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, path) || !strstr(err.msg, what)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, what);
        fail();
    }
}

static void bad_files_rejected(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p;
    expect_reject("/nonexistent-dir/a.npy", SM_EIO, "cannot open");
    expect_reject(dir, SM_EIO, "directory");
    p = tu_write_file(dir, "empty.npy", "", 0);
    expect_reject(p, SM_EFORMAT, "magic");
    free(p);
    p = tu_write_file(dir, "magic.npy", "\x93NUMPX\x01\x00\x10\x00{}", 12);
    expect_reject(p, SM_EFORMAT, "magic");
    free(p);
    p = tu_write_file(dir, "version.npy", "\x93NUMPY\x09\x00\x10\x00{}", 12);
    expect_reject(p, SM_EFORMAT, "version 9.0");
    free(p);
    p = tu_write_file(dir, "hdr.npy", "\x93NUMPY\x01\x00\x70\x00{'descr'", 17);
    expect_reject(p, SM_EFORMAT, "truncated");
    free(p);
    const struct {
        const char *dict;
        size_t data;
        const char *what;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "fortran_order"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "unsupported dtype"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 4, "unsupported dtype"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", 5, "truncated"},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", 7, "trailing"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "descr"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28, "trailing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "trailing comma"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 0, "non-negative"},
        {"{'descr': '<f4', 'fortran_order': False}", 8, "missing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, "unknown key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "twice"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 8,
         "too large"},
        {"['<f4']", 8, "dict"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char name[32];
        snprintf(name, sizeof name, "case%zu.npy", k);
        p = write_raw(dir, name, cases[k].dict, cases[k].data);
        expect_reject(p, SM_EFORMAT, cases[k].what);
        free(p);
    }
    /* keys in any order, double quotes, no trailing comma: accepted */
    p = write_raw(dir, "ok.npy",
                  "{\"shape\": (2, 1), \"fortran_order\": False, \"descr\": \"<u1\"}", 2);
    sm_error err;
    sm_npy_array *a = sm_npy_read(p, &err);
    assert_non_null(a);
    assert_int_equal(a->dtype, SM_NPY_U8);
    assert_int_equal(a->count, 2);
    sm_npy_destroy(a);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* numpy reads what somnus writes (values, shapes, dtypes), numpy.save writes the very same
 * bytes, and somnus reads what numpy writes. */
static void numpy_agrees(void **state)
{
    (void)state;
    tu_require_tool(PYTHON " -c 'import numpy'", PYTHON " with numpy", "python3-numpy");
    char *dir = tu_mkdtemp();
    char *f4 = path_in(dir, "f4.npy"), *i8 = path_in(dir, "i8.npy"), *u1 = path_in(dir, "u1.npy");
    char *sc = path_in(dir, "sc.npy"), *i1 = path_in(dir, "i1.npy");
    const int8_t signs[2][3] = {{-1, 1, 1}, {INT8_MIN, 0, INT8_MAX}};
    float m[2][3] = {{0.5f, -1.0f, 2.25f}, {1e-3f, 1e30f, -0.0f}};
    int64_t big[4] = {INT64_MIN, -7, (int64_t)1 << 60, INT64_MAX};
    uint8_t bytes[2][2][2] = {{{0, 1}, {2, 3}}, {{253, 254}, {255, 128}}};
    double scalar = -2.5;
    sm_error err;
    assert_int_equal(sm_npy_write_matrix(f4, SM_NPY_F32, 2, 3, m, &err), SM_OK);
    assert_int_equal(sm_npy_write_vector(i8, SM_NPY_I64, 4, big, &err), SM_OK);
    const size_t s3[3] = {2, 2, 2};
    assert_int_equal(sm_npy_write(u1, SM_NPY_U8, 3, s3, bytes, &err), SM_OK);
    assert_int_equal(sm_npy_write(sc, SM_NPY_F64, 0, NULL, &scalar, &err), SM_OK);
    assert_int_equal(sm_npy_write_matrix(i1, SM_NPY_I8, 2, 3, signs, &err), SM_OK);

    char cmd[4096];
    snprintf(
        cmd, sizeof cmd,
        PYTHON
        " -c \"\n"
        "import numpy as np, io, sys\n"
        "d = '%s'\n"
        "a = np.load(d + '/f4.npy')\n"
        "assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)\n"
        "assert a.tolist() == [[0.5, -1.0, 2.25], [np.float32(1e-3), np.float32(1e30), "
        "0.0]], a\n"
        "b = np.load(d + '/i8.npy')\n"
        "assert b.dtype == np.int64 and b.shape == (4,)\n"
        "assert b.tolist() == [-2**63, -7, 2**60, 2**63 - 1], b\n"
        "c = np.load(d + '/u1.npy')\n"
        "assert c.dtype == np.uint8 and c.shape == (2, 2, 2)\n"
        "assert c[1, 1, 0] == 255 and c[0, 1, 1] == 3 and c.sum() == 896, c\n"
        "s = np.load(d + '/sc.npy')\n"
        "assert s.shape == () and s == -2.5\n"
        "e = np.load(d + '/i1.npy')\n"
        "assert e.dtype == np.int8 and e.tolist() == [[-1, 1, 1], [-128, 0, 127]], e\n"
        "for name, arr in (('f4', a), ('i8', b), ('u1', c), ('sc', s), ('i1', e)):\n"
        "    buf = io.BytesIO(); np.save(buf, arr)\n"
        "    assert buf.getvalue() == open(d + '/' + name + '.npy', 'rb').read(), name\n"
        "np.save(d + '/from_numpy.npy', np.arange(12, dtype='<u4').reshape(3, 4))\n"
        "np.save(d + '/i1_numpy.npy', np.array([[1, -1], [-128, 127], [0, -1]], dtype=np.int8))\n"
        "print('numpy ok')\n"
        "\" 2>&1",
        dir);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "numpy ok"));
    free(out);

    char *fn = path_in(dir, "from_numpy.npy");
    sm_npy_array *a = sm_npy_read(fn, &err);
    assert_non_null(a);
    assert_int_equal(a->dtype, SM_NPY_U32);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], 3);
    assert_int_equal(a->shape[1], 4);
    for (uint32_t k = 0; k < 12; k++)
        assert_int_equal(((uint32_t *)a->data)[k], k);
    sm_npy_destroy(a);
    free(fn);
    fn = path_in(dir, "i1_numpy.npy");
    a = sm_npy_read(fn, &err);
    assert_non_null(a);
    assert_int_equal(a->dtype, SM_NPY_I8);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], 3);
    assert_int_equal(a->shape[1], 2);
    const int8_t want[6] = {1, -1, -128, 127, 0, -1};
    assert_memory_equal(a->data, want, 6);
    sm_npy_destroy(a);
    free(fn);
    free(i1);
    free(f4);
    free(i8);
    free(u1);
    free(sc);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_matrix_f32),
        cmocka_unit_test(header_vector_scalar_and_u8),
        cmocka_unit_test(write_matches_header_and_data),
        cmocka_unit_test(round_trip_every_dtype),
        cmocka_unit_test(write_errors),
        cmocka_unit_test(bad_files_rejected),
        cmocka_unit_test(numpy_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
