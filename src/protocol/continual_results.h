/* Internal: the shared parts of a continual run's results (continual_results.c): R as JSON
 * with its metrics. */
#ifndef SOMNUS_CONTINUAL_RESULTS_H
#define SOMNUS_CONTINUAL_RESULTS_H

#include <jansson.h>
#include <stddef.h>

/* {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"} of R ((T+1) x T, NaN =
 * null) with task weights w (test sizes; NULL = equal). New reference; NULL if out of
 * memory. */
json_t *sm_cl_readout_json(const double *R, int T, const double *w);

/* A (rows x cols) matrix as nested JSON arrays, NaN as null. */
json_t *sm_cl_matrix_json(const double *m, int rows, int cols);

/* The scenario's name: class, task or domain. */
const char *sm_cl_scenario_name(int scenario);

struct sm_train_run_ctx;

/* --export (spec continual.md section 8): hands array `name` (rows x cols, row-major;
 * dtype 1 float64, 2 int32) to the run's array hook; nothing without a hook. */
void sm_cl_export_array(const struct sm_train_run_ctx *r, const char *name, int dtype, size_t rows,
                        size_t cols, const void *data);

/* --export of the accuracy matrices of the finished `continual` object: R.npy, R_task.npy
 * (where not null) and R_<learner>.npy for every member object with an "R" (stats, probe,
 * slow, fast, ...; not "task", which is R_task), each (T+1) x T float64, null as NaN.
 * Nothing without a hook. */
void sm_cl_export_R(const struct sm_train_run_ctx *r, json_t *cont, int T);

/* --export of a ridge head's final statistics: ridge_G_<learner>.npy (d x d) and
 * ridge_Q_<learner>.npy (d x c), float64. Nothing without a hook. */
struct sm_ridge_stats;
void sm_cl_export_ridge(const struct sm_train_run_ctx *r, const char *learner,
                        const struct sm_ridge_stats *rs);

#endif
