/* Internal: the theta-gated Helmholtz machine's training protocol (train_theta.c), a row of
 * train_models.c. */
#ifndef SOMNUS_TRAIN_THETA_H
#define SOMNUS_TRAIN_THETA_H

#include "protocol/train_common.h"

/* One run of theta.task (spec theta-helmholtz.md sections 6, 7, 10) on seed run.seed, on
 * inputs the model generates itself (`data` is not read and may be empty): task A (latents)
 * as one seed of `somnus experiment theta-latents` (1 min untrained in each mode, training,
 * 0.1 min settle, 1 min inference mode); task B (pathint) as one seed of theta-pathint
 * (training, decoder theta.decoder fit on the last 10 min, theta.pi_repeats path-integration
 * tests). Same seed and config give the same numbers as that seed of the experiment. No
 * checkpoints (a run refuses --checkpoint/--resume). */
sm_status sm_train_theta(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                         json_t **results, sm_error *err);

#endif
