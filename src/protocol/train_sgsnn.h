/* Internal: the sgsnn model's training protocol (train_sgsnn.c), a row of train_models.c. */
#ifndef SOMNUS_TRAIN_SGSNN_H
#define SOMNUS_TRAIN_SGSNN_H

#include "somnus/models/sgsnn.h"
#include "protocol/train_common.h"

/* The sgsnn.* and sleep.rate parameters as the SG-SNN's parameter struct, for the data
 * `d` (n_in from its image size, n_out from its classes; also used by the
 * continual and plasticity protocols). */
void sm_train_sgsnn_params(const sm_config *cfg, const sm_train_data *d, sm_sgsnn_params *p);

/* Trains the sgsnn model on `data` per the config; see somnus/protocol/train.h. */
sm_status sm_train_sgsnn(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                         json_t **results, sm_error *err);

#endif
