/* Internal: the continual-learning protocol (protocol.kind = continual; spec continual.md):
 * a stream of tasks (continual_stream.h), the model trained on them in order, the accuracy
 * matrix R after every task and its metrics. The model-specific loop is in
 * continual_<model>.c; this file's helpers build the shared parts of the results. */
#ifndef SOMNUS_CONTINUAL_H
#define SOMNUS_CONTINUAL_H

#include <jansson.h>

#include "protocol/continual_stream.h"
#include "protocol/train_common.h"

/* The protocol's entry point (a row of PROTOCOLS). */
sm_status sm_protocol_continual(const sm_config *cfg, const sm_train_data *data,
                                sm_train_run_ctx *r, json_t **results, sm_error *err);

/* The STDP network on the stream (continual_stdp.c): fills the "continual" object. */
sm_status sm_cl_run_stdp(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *continual, sm_error *err);

/* {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"} of R ((T+1) x T, NaN =
 * null) with task weights w (test sizes; NULL = equal). New reference; NULL if out of
 * memory. */
json_t *sm_cl_readout_json(const double *R, int T, const double *w);

/* A (rows x cols) matrix as nested JSON arrays, NaN as null. */
json_t *sm_cl_matrix_json(const double *m, int rows, int cols);

/* The scenario's name: class, task or domain. */
const char *sm_cl_scenario_name(int scenario);

#endif
