/* Internal: the continual-learning protocol (protocol.kind = continual; spec continual.md):
 * a stream of tasks (continual_stream.h), the model trained on them in order, the accuracy
 * matrix R after every task and its metrics. The model-specific loop is in
 * continual_<model>.c, the shared results helpers in continual_results.c. */
#ifndef SOMNUS_CONTINUAL_H
#define SOMNUS_CONTINUAL_H

#include <jansson.h>

#include "protocol/train_common.h"

/* The protocol's entry point (a row of PROTOCOLS). */
sm_status sm_protocol_continual(const sm_config *cfg, const sm_train_data *data,
                                sm_train_run_ctx *r, json_t **results, sm_error *err);

#endif
