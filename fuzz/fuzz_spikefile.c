/* Fuzz target: sm_spike_train_read (text spike files), then a full replay through
 * sm_spike_train_input, checking the documented invariants: spikes sorted by
 * (step, neuron), no duplicates, neurons within range.
 *
 * Byte 0 picks the number of neurons and dt from small tables (extreme dt included);
 * the rest is the file. */
#include "fuzz_common.h"
#include "somnus/io/spikefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int n_neurons[] = {1, 10, 784, 100000};
    static const double dts[] = {1.0, 0.1, 0.5, 1e-3, 1e-9, 1e-300, 7.0, 1e300};
    if (size < 1 || size > (1u << 20)) return 0;
    const int nn = n_neurons[data[0] & 3];
    const double dt = dts[(data[0] >> 2) & 7];
    char path[600];
    fz_write("spikes.csv", data + 1, size - 1, path, sizeof path);

    sm_error err;
    sm_error_clear(&err);
    sm_spike_train *t = sm_spike_train_read(path, nn, dt, &err);
    if (!t) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "spikes.csv") != NULL); /* names the file */
        return 0;
    }
    FZ_CHECK(t->n >= 0);
    for (int64_t k = 0; k < t->n; k++) {
        FZ_CHECK(t->step[k] >= 0);
        FZ_CHECK(t->neuron[k] >= 0 && t->neuron[k] < nn);
        if (k > 0)
            FZ_CHECK(t->step[k - 1] < t->step[k] ||
                     (t->step[k - 1] == t->step[k] && t->neuron[k - 1] < t->neuron[k]));
    }
    /* Replay every step that has spikes: the train comes back complete, in order. */
    int32_t *out = malloc((size_t)nn * sizeof *out);
    FZ_CHECK(out != NULL);
    int64_t seen = 0;
    for (int64_t k = 0; k < t->n;) {
        int got = sm_spike_train_input(t, (uint64_t)t->step[k], out);
        FZ_CHECK(got >= 1 && got <= nn);
        for (int j = 0; j < got; j++)
            FZ_CHECK(out[j] == t->neuron[k + j]);
        k += got;
        seen += got;
    }
    FZ_CHECK(seen == t->n);
    free(out);
    sm_spike_train_destroy(t);
    return 0;
}
