/* Experiment dc-fashion (spec diehl-cook.md E2): Diehl & Cook on Fashion-MNIST, one pass
 * through the official 60,000 training images, the neurons labelled on the first 10,000,
 * scored on the official 10,000 test images; seeds 1-3. */
#include "protocol/experiments/dc_grid.h"
#include "protocol/experiments/experiments.h"

static const char *const DEFAULTS[] = {"train.model=dc",
                                       "data.dataset=fashion",
                                       "data.train_rest=true",
                                       "data.n_val=0",
                                       "data.n_test=10000",
                                       "data.official_test=true",
                                       "data.batch=5000",
                                       "dc.n_assign=10000",
                                       "dc.sizes=100,400,1600",
                                       "dc.size_passes=1",
                                       "dc.variants=code,code_clamp,frozen,frozen_clamp",
                                       "table.seeds=3",
                                       NULL};

static const char *const QUICK[] = {
    "dc.sizes=100",    "table.seeds=1", "data.train_rest=false", "data.n_train=1000",
    "data.n_test=200", "dc.n_assign=0", "data.batch=500",        NULL};

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    return sm_exp_dc_grid(ctx, results, err);
}

const sm_experiment_def sm_exp_dc_fashion = {
    "dc-fashion", "Diehl & Cook on Fashion-MNIST: one pass of 60,000 images by E size (E2)",
    DEFAULTS, QUICK, run};
