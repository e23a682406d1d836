/* Internal: the SG-SNN in the continual protocol (continual_sgsnn.c; spec continual.md
 * section 4). */
#ifndef SOMNUS_CONTINUAL_SGSNN_H
#define SOMNUS_CONTINUAL_SGSNN_H

#include <jansson.h>

#include "protocol/continual_stream.h"
#include "protocol/train_common.h"

/* Runs the stream s with the SG-SNN (fine-tuning, or the joint reference when cl.joint)
 * on prepared data and fills the "continual" object (R, R_task, metrics, epochs). */
sm_status sm_cl_run_sgsnn(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                          sm_train_run_ctx *r, json_t *continual, sm_error *err);

/* The outputs allowed (ok[o] = 1) when scoring task j (0-based) after `seen` tasks under
 * `rule` (SM_CL_CLASS: the classes of tasks 0..seen-1, or every class of the stream when
 * active_all; SM_CL_TASK: task j's classes; SM_CL_DOMAIN: all), s->n_outputs flags.
 * Permuted streams allow every output under any rule. */
void sm_cl_sgsnn_allowed(const sm_cl_stream *s, int rule, int seen, int active_all, int j,
                         unsigned char *ok);

/* Accuracy of argmax over the allowed outputs (ties: lowest index) of n rows of O counts
 * against labels y; NAN for n = 0. */
double sm_cl_sgsnn_accuracy(const float *counts, const int *y, int n, int O,
                            const unsigned char *ok);

#endif
