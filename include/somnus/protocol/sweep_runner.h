/* somnus: the sweep runner. Runs cells of a grid (sweep.h) side by side on worker
 * threads, each cell a `train` run on one thread, and hands finished cells back one at a
 * time to the calling thread, which alone writes files or sends them elsewhere (the
 * `somnus sweep` command adds resuming, MPI and the report on top; experiments use it
 * directly). Results do not depend on the number of workers.
 *
 * Every check that can fail before a run is made by sm_sweep_runner_create: each cell's
 * configuration, each dataset (loaded once, shared read-only by the workers), and one
 * data preparation per dataset.
 */
#ifndef SOMNUS_SWEEP_RUNNER_H
#define SOMNUS_SWEEP_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/protocol/sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_sweep_runner sm_sweep_runner;

/* A finished cell. Owned by the caller of sm_sweep_runner_next (free with
 * sm_sweep_cell_free). */
typedef struct sm_sweep_cell {
    int64_t cell;
    char *json; /* the cell's results document as text (with its "sweep" object:
                   id, params, config_hash), newline-terminated; NULL on error */
    size_t json_len;
    void *npy; /* S->E weights of the trained STDP network as .npy bytes, or NULL */
    size_t npy_len;
    char *error; /* non-NULL: the cell failed ("cell ID: message"), or "interrupted" */
} sm_sweep_cell;

/* Checks every cell of `grid` on `base` (see the top) and loads the datasets. `grid` must
 * outlive the runner. NULL with err set (naming the cell or the file) on failure. */
sm_sweep_runner *sm_sweep_runner_create(const sm_grid *grid, const sm_config *base, sm_error *err);

/* Number of cells of the grid. */
int64_t sm_sweep_runner_n_cells(const sm_sweep_runner *r);

/* The cell's id (sm_grid_cell_id) and its config hash (sm_sweep_config_hash). */
const char *sm_sweep_runner_cell_id(const sm_sweep_runner *r, int64_t cell);
const char *sm_sweep_runner_cell_hash(const sm_sweep_runner *r, int64_t cell);

/* Starts `jobs` worker threads (0 = one per core; never more than cells) on the cells
 * cells[0..n) in that order. `stop`, if not NULL, is polled: once nonzero, workers
 * finish no new cells and running ones end as "interrupted" (a signal handler may set
 * it). A failed cell also stops the others. Call once per runner. */
sm_status sm_sweep_runner_start(sm_sweep_runner *r, const int64_t *cells, int64_t n, int jobs,
                                volatile sig_atomic_t *stop, sm_error *err);

/* The next finished cell, waiting at most timeout_s seconds; NULL if none finished in
 * that time. *all_done is set to 1 once every worker has ended and no cell is left. */
sm_sweep_cell *sm_sweep_runner_next(sm_sweep_runner *r, double timeout_s, int *all_done);

/* Waits for the workers and frees the runner (NULL is fine). Cells not yet taken with
 * sm_sweep_runner_next are dropped. */
void sm_sweep_runner_destroy(sm_sweep_runner *r);

/* Frees a finished cell (NULL is fine). */
void sm_sweep_cell_free(sm_sweep_cell *c);

#ifdef __cplusplus
}
#endif
#endif
