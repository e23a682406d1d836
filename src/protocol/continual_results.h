/* Internal: the shared parts of a continual run's results (continual_results.c): R as JSON
 * with its metrics. */
#ifndef SOMNUS_CONTINUAL_RESULTS_H
#define SOMNUS_CONTINUAL_RESULTS_H

#include <jansson.h>

/* {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"} of R ((T+1) x T, NaN =
 * null) with task weights w (test sizes; NULL = equal). New reference; NULL if out of
 * memory. */
json_t *sm_cl_readout_json(const double *R, int T, const double *w);

/* A (rows x cols) matrix as nested JSON arrays, NaN as null. */
json_t *sm_cl_matrix_json(const double *m, int rows, int cols);

/* The scenario's name: class, task or domain. */
const char *sm_cl_scenario_name(int scenario);

#endif
