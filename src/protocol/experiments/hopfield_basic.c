/* Experiment hopfield-basic: one federation of spec federated-hopfield.md (N = 400, K = 3,
 * L = 3 clients of quality r = 0.8 seeing one archetype each, T = 12 rounds of M = 400
 * examples, fixed w = 0.4; the cut and sharpening of the reference's cooperativity
 * script, tau = 0.03 after 1000 sharpening steps: the code default tau = 0.5 after 200
 * steps keeps nothing at this size, spec 4a),
 * over hopfield.seeds seeds: per-round retrieval, magnetizations, weights, spectra, and
 * the recall test on the final aggregate. */
#include <stdlib.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/hopfield_common.h"

static const char *const DEFAULTS[] = {"hopfield.N=400",
                                       "hopfield.K=3",
                                       "hopfield.L=3",
                                       "hopfield.T=12",
                                       "hopfield.M=400",
                                       "hopfield.r=0.8",
                                       "hopfield.w=0.4",
                                       "hopfield.tau=0.03",
                                       "hopfield.sharpen_iters=1000",
                                       "hopfield.seeds=5",
                                       NULL};
/* quick: 3 seeds of 6 rounds with at most 2 TAM retries */
static const char *const QUICK[] = {"hopfield.seeds=3", "hopfield.T=6", "hopfield.max_attempts=2",
                                    NULL};

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int S = ctx->cfg->hopfield.seeds;
    sm_hf_result **res = calloc((size_t)S, sizeof(sm_hf_result *));
    if (!res) return sm_error_set(err, SM_ENOMEM, "hopfield-basic: out of memory");
    sm_status st = hf_run_seeds(ctx, ctx->cfg, "hopfield-basic", res, err);
    if (st == SM_OK) {
        *results = hf_summary(res, S);
        st = hf_write_outputs(ctx, res, S, "", err);
    }
    for (int s = 0; s < S; s++)
        sm_hf_result_destroy(res[s]);
    free(res);
    return st;
}

const sm_experiment_def sm_exp_hopfield_basic = {
    "hopfield-basic",
    "federated Hopfield memory: N=400, K=3, L=3, r=0.8, 12 rounds (arXiv 2603.19902)", DEFAULTS,
    QUICK, run};
