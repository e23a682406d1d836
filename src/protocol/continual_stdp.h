/* Internal: the STDP network in the continual protocol (continual_stdp.c). */
#ifndef SOMNUS_CONTINUAL_STDP_H
#define SOMNUS_CONTINUAL_STDP_H

#include <jansson.h>

#include "protocol/continual_stream.h"
#include "protocol/train_common.h"

/* Runs the stream s on prepared data and fills the "continual" object (R, metrics,
 * readouts, drift). */
sm_status sm_cl_run_stdp(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *continual, sm_error *err);

#endif
