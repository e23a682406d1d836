/* Internal: the federated Hopfield model's protocol (train_hopfield.c), a row of
 * train_models.c. */
#ifndef SOMNUS_TRAIN_HOPFIELD_H
#define SOMNUS_TRAIN_HOPFIELD_H

#include "protocol/train_common.h"

/* Runs the federation configured by the hopfield.* group (spec federated-hopfield.md
 * section 3) for hopfield.seeds seeds, run.seed upwards, one after the other. The model
 * makes its own examples and needs no image data (`data` is ignored and may be empty).
 * The results document holds the per-round columns of the hopfield-* experiments (mean
 * and sd over seeds) under "results", and "final" = {final_retrieval, final_retrieval_sd,
 * recall}. No checkpoints or --export (a run refuses them). */
sm_status sm_train_hopfield(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                            json_t **results, sm_error *err);

#endif
