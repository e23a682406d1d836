/* Internal: the safe model's row of train_models.c (train_safe.c). SAFE learns a stream of
 * tasks, so it runs only under protocol.kind=continual (continual_safe.h). */
#ifndef SOMNUS_TRAIN_SAFE_H
#define SOMNUS_TRAIN_SAFE_H

#include <jansson.h>

#include "protocol/train_common.h"

/* The iid protocol's entry for train.model = safe: an error naming protocol.kind. */
sm_status sm_train_safe(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                        json_t **results, sm_error *err);

#endif
