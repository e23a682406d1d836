/* somnus: spike trains in the SONATA layout (HDF5), as NEST, BMTK, NEURON and other
 * simulators write and read them (https://github.com/AllenInstitute/sonata,
 * docs/SONATA_DEVELOPER.md, "Spike file"; docs/formats.md):
 *
 *     /spikes                          group
 *     /spikes/<population>             group, attribute sorting = "by_time" | "by_id" | "none"
 *     /spikes/<population>/timestamps  float64[n], attribute units = "ms"
 *     /spikes/<population>/node_ids    uint64[n]
 *
 * somnus writes sorting "by_time" (ties by node id) and times in ms. The reader accepts
 * any sorting, timestamps of any HDF5 integer or float type in "ms" (or without a units
 * attribute) or "s" (converted to ms), and node_ids of any integer type.
 *
 * Errors name the file (and the population or dataset at fault). The library never prints:
 * HDF5's own error printing is switched off while these functions run.
 */
#ifndef SOMNUS_SONATA_H
#define SOMNUS_SONATA_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/io/spikefile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Population name used when none is given. */
#define SM_SONATA_DEFAULT_POPULATION "somnus"

/* Spikes of one population, in file order. */
typedef struct sm_sonata_spikes {
    int64_t n;
    double *timestamps_ms; /* n times in ms, finite and >= 0 (owned) */
    uint64_t *node_ids;    /* n node ids (owned) */
    char sorting[16];      /* the population's `sorting` attribute ("" if absent) */
} sm_sonata_spikes;

/* Writes n spikes (node_ids[k] fired at timestamps_ms[k]) as population `population`
 * (NULL: SM_SONATA_DEFAULT_POPULATION) of a new SONATA spike file at `path`, sorted by
 * time then node id, with sorting = "by_time" and units = "ms". Times must be finite and
 * >= 0 (SM_EINVAL). The file is written to a temporary name and renamed into place. */
sm_status sm_sonata_write_spikes(const char *path, const char *population, const uint64_t *node_ids,
                                 const double *timestamps_ms, int64_t n, sm_error *err);

/* Writes a spike train (spikefile.h) as SONATA: node id = neuron, time = step * dt ms. */
sm_status sm_sonata_write_train(const char *path, const char *population,
                                const sm_spike_train *train, double dt, sm_error *err);

/* Reads population `population` of a SONATA spike file; NULL picks the only population
 * under /spikes (an error lists them when there are several). Rejected with an error
 * naming the file: a missing file (SM_EIO), not an HDF5 file, no /spikes group, no such
 * population, a missing or non-1-D timestamps or node_ids dataset, lengths that differ,
 * a time that is negative or not finite, a negative node id, unknown units (SM_EFORMAT).
 * Caller frees with sm_sonata_spikes_destroy. */
sm_sonata_spikes *sm_sonata_read_spikes(const char *path, const char *population, sm_error *err);

/* Frees spikes read by sm_sonata_read_spikes (NULL is fine). */
void sm_sonata_spikes_destroy(sm_sonata_spikes *s);

/* Reads a SONATA spike file as input for the simulation: the same structure and rules as
 * sm_spike_train_read (spikefile.h): node ids must lie in [0, n_neurons), a spike at t ms
 * belongs to step floor(t / dt), duplicates within a step count once, sorted by (step,
 * neuron). Use with sm_spike_train_input; free with sm_spike_train_destroy. */
sm_spike_train *sm_sonata_read_train(const char *path, const char *population, int n_neurons,
                                     double dt, sm_error *err);

/* A writer usable as an sm_spike_fn sink (sim.h), like sm_spike_writer: spikes are kept in
 * memory and written as SONATA by sm_sonata_writer_close (time = step * dt). */
/* A SONATA writer. Stable to read: n (spikes kept so far). Internal: the rest. */
typedef struct sm_sonata_writer {
    char *path, *population; /* owned */
    double dt;
    int64_t n, cap;
    uint64_t *node_ids;
    int64_t *steps;
    int failed; /* out of memory in the sink; reported by close */
} sm_sonata_writer;

/* Prepares a writer; nothing is created on disk before close. */
sm_status sm_sonata_writer_open(sm_sonata_writer *w, const char *path, const char *population,
                                double dt, sm_error *err);

/* An sm_spike_fn: records one step's spikes (global indices become node ids). */
void sm_sonata_writer_sink(void *writer, uint64_t step, const int32_t *ids, int n);

/* Writes the file (atomically) and frees the writer's memory, in every case. */
sm_status sm_sonata_writer_close(sm_sonata_writer *w, sm_error *err);

/* Frees the writer's memory without writing anything. */
void sm_sonata_writer_abort(sm_sonata_writer *w);

#ifdef __cplusplus
}
#endif
#endif
