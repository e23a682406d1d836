/* Internal: the grid of `train` runs behind the sleep-STDP experiments (grid_runs.c). */
#ifndef SOMNUS_EXP_GRID_RUNS_H
#define SOMNUS_EXP_GRID_RUNS_H

#include <jansson.h>

#include "somnus/protocol/experiment.h"
#include "somnus/protocol/sweep.h"

/* One run's final scores, by grid cell. */
typedef struct sm_exp_run {
    double acc, phi, wsum; /* test accuracy, phi, plastic weight sum / start */
    int done;
    json_t *doc; /* the run's whole results document (sm_exp_run_grid_docs only) */
} sm_exp_run;

/* The grid data.dataset = table.datasets x sleep.rate = `rates` (NULL: table.sleep_rates)
 * x run.seed = run.seed .. run.seed + table.seeds - 1, in that axis order (cell
 * (d, k, s) is d * K * S + k * S + s). The caller frees it with sm_grid_free. */
sm_status sm_exp_table_grid(const sm_config *cfg, const char *rates, sm_grid *g, sm_error *err);

/* Runs every cell of `g` on `base` with the sweep runner (ctx->jobs workers), logging
 * "<label>[i/n] cell: accuracy" lines; fills rows[cell]. A failed cell fails the call. */
sm_status sm_exp_run_grid(const sm_experiment_ctx *ctx, const sm_config *base, const sm_grid *g,
                          const char *label, sm_exp_run *rows, sm_error *err);

/* sm_exp_run_grid that also keeps each run's results document in rows[cell].doc (the
 * caller json_decref's them), for experiments that read more than the final scores. */
sm_status sm_exp_run_grid_docs(const sm_experiment_ctx *ctx, const sm_config *base,
                               const sm_grid *g, const char *label, sm_exp_run *rows,
                               sm_error *err);

/* Frees the rows of n_arms arms (each rows[a] NULL or one sm_exp_run per cell of grids[a],
 * their docs json_decref'd) and the arms' grids; rows[a] is left dangling. */
void sm_exp_free_arm_rows(sm_exp_run **rows, sm_grid *grids, size_t n_arms);

/* Mean and sample sd (n - 1) of the accuracies rows[first .. first + seeds). */
void sm_exp_cell_stats(const sm_exp_run *rows, int64_t first, int seeds, double *mean, double *sd);

/* The paper's STDP-SNN test accuracy (fraction) for a dataset (mnist, kmnist, fashion,
 * notmnist) at sleep rate 0, 0.1, 0.2, 0.3 or 1 (spec sleep-stdp.md section 9); NaN for
 * any other. */
double sm_exp_paper_accuracy(const char *dataset, double rate);

/* A JSON real, or null for NaN/Inf. New reference. */
json_t *sm_exp_real(double v);

#endif
