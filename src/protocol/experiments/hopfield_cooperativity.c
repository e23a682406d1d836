/* Experiment hopfield-cooperativity: the paper's cooperativity figure (spec
 * federated-hopfield.md sections 7 and 11.6, the reference script
 * cooperativity/run_experiment.py): N = 400, K = 3, L = 3 clients seeing one archetype
 * each, T = 12 rounds of M = 400 examples, fixed w = 0.6, tau = 0.03 after 1000
 * sharpening steps; three conditions of client quality: high (.8, .8, .8), hetero
 * (.8, .2, .2), low (.2, .2, .2), hopfield.seeds seeds each. Outputs: per condition the
 * standard files with prefix high-, hetero-, low-, and retrieval.png (the three mean
 * curves, +- sd). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/hopfield_common.h"
#include "somnus/analysis/plot.h"

static const char *const DEFAULTS[] = {"hopfield.N=400",
                                       "hopfield.K=3",
                                       "hopfield.L=3",
                                       "hopfield.T=12",
                                       "hopfield.M=400",
                                       "hopfield.w=0.6",
                                       "hopfield.k_per_client=1",
                                       "hopfield.mixture=random",
                                       "hopfield.tau=0.03",
                                       "hopfield.rho=0.6",
                                       "hopfield.qthr=0.4",
                                       "hopfield.sharpen_iters=1000",
                                       "hopfield.recall_reps=0",
                                       "hopfield.seeds=20",
                                       NULL};
/* quick: 3 seeds of 3 rounds with at most 1 TAM retry (a failed retry costs a full TAM
 * run, and the code-order acceptance fails often after round 0) */
static const char *const QUICK[] = {"hopfield.seeds=2", "hopfield.T=2", "hopfield.max_attempts=1",
                                    NULL};

#define NC 3
static const char *const NAMES[NC] = {"high", "hetero", "low"};
static const char *const R[NC] = {"0.8,0.8,0.8", "0.8,0.2,0.2", "0.2,0.2,0.2"};

static json_t *target(const char *what, double value, int met)
{
    return json_pack("{s:s, s:f, s:b}", "target", what, "value", value, "met", met);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int S = ctx->cfg->hopfield.seeds, T = ctx->cfg->hopfield.T;
    if (ctx->cfg->hopfield.L != 3)
        return sm_error_set(err, SM_EINVAL, "hopfield-cooperativity: hopfield.L must be 3");
    sm_hf_result **res = calloc((size_t)S * NC, sizeof(sm_hf_result *));
    double *mean = calloc((size_t)NC * T, sizeof(double)),
           *sd = calloc((size_t)NC * T, sizeof(double));
    double *x = calloc((size_t)T, sizeof(double)), *v = calloc((size_t)S, sizeof(double));
    if (!res || !mean || !sd || !x || !v) {
        free(res);
        free(mean);
        free(sd);
        free(x);
        free(v);
        return sm_error_set(err, SM_ENOMEM, "hopfield-cooperativity: out of memory");
    }
    json_t *o = json_object(), *fin = json_object(), *conds = json_object();
    sm_status st = SM_OK;
    double final[NC];
    for (int c = 0; c < NC && st == SM_OK; c++) {
        sm_config cfg = *ctx->cfg;
        snprintf(cfg.hopfield.r, sizeof cfg.hopfield.r, "%s", R[c]);
        char tag[64], prefix[32];
        snprintf(tag, sizeof tag, "hopfield-cooperativity %s", NAMES[c]);
        st = hf_run_seeds(ctx, &cfg, tag, res + (size_t)c * S, err);
        if (st != SM_OK) break;
        json_t *sum = hf_summary(res + (size_t)c * S, S);
        final[c] = json_real_value(json_object_get(sum, "final_retrieval"));
        json_object_set_new(fin, NAMES[c], json_real(final[c]));
        json_object_set_new(sum, "r", json_string(R[c]));
        json_object_set_new(conds, NAMES[c], sum);
        for (int t = 0; t < T; t++) {
            for (int s = 0; s < S; s++)
                v[s] = res[(size_t)c * S + s]->retrieval[t];
            hf_mean_sd(v, S, &mean[(size_t)c * T + t], &sd[(size_t)c * T + t]);
        }
        snprintf(prefix, sizeof prefix, "%s-", NAMES[c]);
        st = hf_write_outputs(ctx, res + (size_t)c * S, S, prefix, err);
    }
    if (st == SM_OK) {
        json_object_set_new(o, "final_retrieval", fin);
        json_object_set_new(o, "conditions", conds);
        json_t *tg = json_array();
        json_array_append_new(
            tg, target("high: final mean retrieval >= 0.9", final[0], final[0] >= 0.9));
        json_array_append_new(
            tg, target("low: final mean retrieval <= 0.5", final[2], final[2] <= 0.5));
        json_array_append_new(tg, target("high > hetero > low (value: hetero)", final[1],
                                         final[0] > final[1] && final[1] > final[2]));
        json_object_set_new(o, "targets", tg);
        char path[4096];
        if (sm_experiment_file(ctx, "retrieval.png", path, sizeof path)) {
            for (int t = 0; t < T; t++)
                x[t] = t;
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            spec.title = "cooperativity: retrieval by client quality (mean +- sd)";
            spec.xlabel = "round";
            spec.ylabel = "retrieval";
            spec.ymin = 0;
            spec.ymax = 1.02;
            sm_plot_series ser[NC];
            for (int c = 0; c < NC; c++)
                ser[c] = (sm_plot_series){
                    NAMES[c], x, mean + (size_t)c * T, sd + (size_t)c * T, NULL, T, 0, 0, 0, 0};
            st = sm_plot_lines(path, &spec, ser, NC, err);
        }
    }
    for (int i = 0; i < S * NC; i++)
        sm_hf_result_destroy(res[i]);
    free(res);
    free(mean);
    free(sd);
    free(x);
    free(v);
    if (st != SM_OK) {
        json_decref(o);
        return st;
    }
    *results = o;
    return SM_OK;
}

const sm_experiment_def sm_exp_hopfield_cooperativity = {
    "hopfield-cooperativity",
    "federated Hopfield: retrieval for high, heterogeneous and low client quality", DEFAULTS, QUICK,
    run};
