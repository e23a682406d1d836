/* Experiment plasticity-sgsnn (spec plasticity-loss.md P2-P4, P6, P7): the SG-SNN on the
 * input (grow) and label (cyclic) streams, baseline and remedies. LayerNorm and the ON/OFF
 * split are not built, so the arms are base, sam, reset and sam+reset (the PLASTIC
 * combination without its LN and CReLU parts), the baseline at lr 1e-2 (P2) and sleep
 * (epoch mode, rate 0.2; P6). */
#include "protocol/experiments/experiments.h"
#include "protocol/experiments/plasticity_arms.h"

static const char *const DEFAULTS[] = {"train.model=sgsnn",   "data.dataset=mnist",
                                       "data.n_train=6000",   "data.n_val=1000",
                                       "data.n_test=1000",    "sgsnn.sleep_mode=none",
                                       "protocol.chunks=20",  "protocol.iters_per_chunk=200",
                                       "protocol.fresh=ends", NULL};

static const char *const QUICK[] = {"protocol.chunks=3",
                                    "protocol.iters_per_chunk=10",
                                    "sgsnn.n_hidden=100",
                                    "sgsnn.steps=20",
                                    "sgsnn.batch=32",
                                    "data.n_train=1000",
                                    "data.n_val=200",
                                    "data.n_test=200",
                                    "diag.n_probe=100",
                                    "run.threads=1",
                                    NULL};

#define GROW "protocol.kind=input", "protocol.input_shift=grow"
#define CYCLIC "protocol.kind=label", "protocol.label_shift=cyclic"
#define SAM "sgsnn.optimizer=sam", "sgsnn.sam_rho=0.1"
#define RESET "sgsnn.reset_every=2", "sgsnn.reset_layers=head"

static const char *const G_BASE[] = {GROW, NULL};
static const char *const G_SAM[] = {GROW, SAM, NULL};
static const char *const G_RESET[] = {GROW, RESET, NULL};
static const char *const G_BOTH[] = {GROW, SAM, RESET, NULL};
static const char *const C_BASE[] = {CYCLIC, NULL};
static const char *const C_LR2[] = {CYCLIC, "sgsnn.lr=1e-2", NULL};
static const char *const C_SAM[] = {CYCLIC, SAM, NULL};
static const char *const C_RESET[] = {CYCLIC, RESET, NULL};
static const char *const C_BOTH[] = {CYCLIC, SAM, RESET, NULL};
static const char *const C_SLEEP[] = {CYCLIC, "sgsnn.sleep_mode=epoch", "sleep.rate=0.2", NULL};

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_pl_arm arms[] = {
        {"base", "input:grow", G_BASE},        {"sam", "input:grow", G_SAM},
        {"reset", "input:grow", G_RESET},      {"sam+reset", "input:grow", G_BOTH},
        {"base", "label:cyclic", C_BASE},      {"base-lr1e-2", "label:cyclic", C_LR2},
        {"sam", "label:cyclic", C_SAM},        {"reset", "label:cyclic", C_RESET},
        {"sam+reset", "label:cyclic", C_BOTH}, {"sleep", "label:cyclic", C_SLEEP}};
    return sm_pl_run_arms(ctx, arms, (int)(sizeof arms / sizeof arms[0]), ctx->quick ? 1 : 5,
                          "hidden", results, err);
}

const sm_experiment_def sm_exp_plasticity_sgsnn = {
    "plasticity-sgsnn",
    "loss of input and label plasticity of the SG-SNN and the remedies SAM, head reset, both, "
    "and sleep (spec plasticity-loss.md P2-P4, P6; LayerNorm and ON/OFF not built)",
    DEFAULTS, QUICK, run};
