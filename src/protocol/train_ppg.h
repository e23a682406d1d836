/* Internal: the ppg model's training protocol (train_ppg.c), a row of train_models.c. */
#ifndef SOMNUS_TRAIN_PPG_H
#define SOMNUS_TRAIN_PPG_H

#include "protocol/train_common.h"

/* Trains the Poisson-Gamma mixture on `data` per the ppg.* keys; see
 * somnus/protocol/train.h and spec intrinsic.md A5. */
sm_status sm_train_ppg(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                       json_t **results, sm_error *err);

#endif
