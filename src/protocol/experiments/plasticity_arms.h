/* Internal: the shared engine of the loss-of-plasticity experiments (plasticity-sgsnn,
 * plasticity-stdp; spec plasticity-loss.md section 5): arms x seeds of `somnus train`
 * with protocol.kind input/label, reduced to the results key `arms`, a per-run table and
 * the figures (accuracy, dormant fraction and srank per chunk; auc by arm and protocol). */
#ifndef SOMNUS_PLASTICITY_ARMS_H
#define SOMNUS_PLASTICITY_ARMS_H

#include <jansson.h>

#include "somnus/protocol/experiment.h"

/* One arm: a name, the protocol it runs ("input:grow", "label:cyclic", ...) and the
 * assignments that make it (applied to the experiment's config, NULL-terminated). */
typedef struct sm_pl_arm {
    const char *arm;
    const char *protocol;
    const char *const *sets;
} sm_pl_arm;

/* Runs every arm for seeds run.seed .. run.seed + n_seeds - 1 (in order, one at a time)
 * and fills *results with {"arms": [...], "runs": [...]}; writes arms.csv, runs.csv and
 * the figures through sm_experiment_file. `dormant_layer` names the diagnostics of the
 * summary ("hidden" or "E"). */
sm_status sm_pl_run_arms(const sm_experiment_ctx *ctx, const sm_pl_arm *arms, int n_arms,
                         int n_seeds, const char *dormant_layer, json_t **results, sm_error *err);

#endif
