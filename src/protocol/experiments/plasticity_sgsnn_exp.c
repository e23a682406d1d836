/* Experiment plasticity-sgsnn (spec plasticity-loss.md P2-P4, P6, P7): the SG-SNN on the
 * input (grow) and label (cyclic) streams, the baseline, each PLASTIC component alone (ln,
 * sam, onoff = the CReLU stand-in, reset), their combination (plastic), the baseline at
 * lr 1e-2 (P2) and sleep (epoch mode, rate 0.2; P6). */
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
#define LN "sgsnn.norm=layernorm"
#define ONOFF "sgsnn.unit=onoff"

static const char *const G_BASE[] = {GROW, NULL};
static const char *const G_LN[] = {GROW, LN, NULL};
static const char *const G_SAM[] = {GROW, SAM, NULL};
static const char *const G_ONOFF[] = {GROW, ONOFF, NULL};
static const char *const G_RESET[] = {GROW, RESET, NULL};
static const char *const G_PLASTIC[] = {GROW, SAM, LN, ONOFF, RESET, NULL};
static const char *const C_BASE[] = {CYCLIC, NULL};
static const char *const C_LR2[] = {CYCLIC, "sgsnn.lr=1e-2", NULL};
static const char *const C_LN[] = {CYCLIC, LN, NULL};
static const char *const C_SAM[] = {CYCLIC, SAM, NULL};
static const char *const C_ONOFF[] = {CYCLIC, ONOFF, NULL};
static const char *const C_RESET[] = {CYCLIC, RESET, NULL};
static const char *const C_PLASTIC[] = {CYCLIC, SAM, LN, ONOFF, RESET, NULL};
static const char *const C_SLEEP[] = {CYCLIC, "sgsnn.sleep_mode=epoch", "sleep.rate=0.2", NULL};

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    /* the PLASTIC arm is configs/plastic.cfg's set (SAM, LayerNorm, ON/OFF, head reset) */
    const sm_pl_arm arms[] = {
        {"base", "input:grow", G_BASE},         {"ln", "input:grow", G_LN},
        {"sam", "input:grow", G_SAM},           {"onoff", "input:grow", G_ONOFF},
        {"reset", "input:grow", G_RESET},       {"plastic", "input:grow", G_PLASTIC},
        {"base", "label:cyclic", C_BASE},       {"base-lr1e-2", "label:cyclic", C_LR2},
        {"ln", "label:cyclic", C_LN},           {"sam", "label:cyclic", C_SAM},
        {"onoff", "label:cyclic", C_ONOFF},     {"reset", "label:cyclic", C_RESET},
        {"plastic", "label:cyclic", C_PLASTIC}, {"sleep", "label:cyclic", C_SLEEP}};
    return sm_pl_run_arms(ctx, arms, (int)(sizeof arms / sizeof arms[0]), ctx->quick ? 1 : 5,
                          "hidden", results, err);
}

const sm_experiment_def sm_exp_plasticity_sgsnn = {
    "plasticity-sgsnn",
    "loss of input and label plasticity of the SG-SNN and the remedies LayerNorm, SAM, ON/OFF "
    "split, head reset, all four (PLASTIC), and sleep (spec plasticity-loss.md P2-P4, P6, P7)",
    DEFAULTS, QUICK, run};
