/* Fuzz target: sm_sonata_read_spikes and sm_sonata_read_train (SONATA spike files, HDF5).
 * The whole input is the file; the population is found by listing /spikes.
 *
 * Note: the HDF5 library itself (Debian libhdf5, not instrumented) parses the file, so
 * libFuzzer gets coverage feedback only from somnus's code; crashes inside libhdf5 on
 * malformed files are libhdf5 bugs (docs/fuzzing.md). */
#include <math.h>

#include "fuzz_common.h"
#include "somnus/io/sonata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char path[600];
    fz_write("spikes.h5", data, size, path, sizeof path);

    sm_error err;
    sm_error_clear(&err);
    sm_sonata_spikes *s = sm_sonata_read_spikes(path, NULL, &err);
    if (!s) {
        FZ_CHECK_ERROR(err);
        FZ_CHECK(strstr(err.msg, "spikes.h5") != NULL); /* names the file */
        return 0;
    }
    FZ_CHECK(s->n >= 0);
    for (int64_t k = 0; k < s->n; k++)
        FZ_CHECK(isfinite(s->timestamps_ms[k]) && s->timestamps_ms[k] >= 0);
    sm_sonata_spikes_destroy(s);

    sm_spike_train *t = sm_sonata_read_train(path, NULL, 1000, 0.1, &err);
    if (!t) {
        FZ_CHECK_ERROR(err);
        return 0;
    }
    for (int64_t k = 0; k < t->n; k++) {
        FZ_CHECK(t->neuron[k] >= 0 && t->neuron[k] < 1000 && t->step[k] >= 0);
        if (k > 0)
            FZ_CHECK(t->step[k - 1] < t->step[k] ||
                     (t->step[k - 1] == t->step[k] && t->neuron[k - 1] < t->neuron[k]));
    }
    sm_spike_train_destroy(t);
    return 0;
}
