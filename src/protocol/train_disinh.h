/* Internal: the disinh model's training protocol (train_disinh.c), a row of train_models.c. */
#ifndef SOMNUS_TRAIN_DISINH_H
#define SOMNUS_TRAIN_DISINH_H

#include "protocol/train_common.h"

/* Trains the dis-inhibitory rate network (disinh.rule, including the BP baseline) on
 * `data` per spec/disinhibition.md section 4; see somnus/protocol/train.h. Checkpoints
 * every r->ckpt_every epochs (network state, shuffling RNG, order); a resumed run ends
 * bit-identical to an uninterrupted one. */
sm_status sm_train_disinh(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                          json_t **results, sm_error *err);

#endif
