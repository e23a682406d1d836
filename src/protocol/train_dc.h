/* Internal: the Diehl & Cook model's training protocol (train_dc.c), a row of
 * train_models.c. */
#ifndef SOMNUS_TRAIN_DC_H
#define SOMNUS_TRAIN_DC_H

#include "protocol/train_common.h"
#include "somnus/models/dc.h"

/* Trains the dc model on `data` per the config; see somnus/protocol/train.h. */
sm_status sm_train_dc(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                      json_t **results, sm_error *err);

/* The network's parameters from the dc.* group, run.seed and run.parallel_min (n_in is
 * the caller's). */
void sm_train_dc_params(const sm_config *cfg, int n_in, sm_dc_params *p);

#endif
