/* somnus: spike files, for replaying recorded input and comparing with other simulators.
 *
 * Format (text, one spike per line, documented in docs/formats.md):
 *     # comment lines start with '#'
 *     neuron,time_ms          <- optional header line
 *     12,0.0
 *     7,3.5
 * Fields are separated by a comma or whitespace. `neuron` is an integer index, `time_ms`
 * a finite time >= 0 in ms. A spike at time t belongs to step floor(t / dt). Lines may
 * come in any order; two spikes of one neuron in one step count once.
 *
 * Input files index stimulus neurons 0..n_in-1. Output files written by somnus use the
 * global index (S 0..n_in-1, then E, then I) and the time of the step start.
 */
#ifndef SOMNUS_SPIKEFILE_H
#define SOMNUS_SPIKEFILE_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/core/fileio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Spikes sorted by (step, neuron), without duplicates. */
/* A spike train: public on purpose (callers build or inspect one); n, step and neuron
 * are stable. cursor is the replay position of sm_spike_train_input. */
typedef struct sm_spike_train {
    int64_t n;
    int64_t *step;
    int32_t *neuron;
    int64_t cursor; /* replay position (sm_spike_train_input) */
} sm_spike_train;

/* Reads a spike file; neurons must lie in [0, n_neurons). Errors name the file and line.
 * Caller frees with sm_spike_train_destroy. */
sm_spike_train *sm_spike_train_read(const char *path, int n_neurons, double dt, sm_error *err);

/* Frees a spike train (NULL is fine). */
void sm_spike_train_destroy(sm_spike_train *t);

/* An sm_input_fn (see sim.h) replaying the train: returns the neurons spiking at
 * `step`. Steps must be requested in increasing order (as the simulation does). */
int sm_spike_train_input(void *train, uint64_t step, int32_t *out);

/* Writer for E/I spikes, usable as an sm_spike_fn sink. Output goes to a temporary file
 * renamed into place by sm_spike_writer_close. */
/* A spike-file writer. Stable to read: written (spikes written so far). Internal: the
 * rest. */
typedef struct sm_spike_writer {
    sm_atomic_file file;
    double dt;
    int64_t written;
    int failed;
} sm_spike_writer;

/* Opens `path` for writing (atomically) with the header line. */
sm_status sm_spike_writer_open(sm_spike_writer *w, const char *path, double dt, sm_error *err);

/* An sm_spike_fn: appends one step's spikes (global indices). */
void sm_spike_writer_sink(void *writer, uint64_t step, const int32_t *ids, int n);

/* Finishes the file and renames it into place; on any write failure nothing is left. */
sm_status sm_spike_writer_close(sm_spike_writer *w, sm_error *err);

/* Discards the file (error paths). */
void sm_spike_writer_abort(sm_spike_writer *w);

#ifdef __cplusplus
}
#endif
#endif
