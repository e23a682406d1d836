/* Experiment hopfield-drift: the data drift from one archetype to the next (spec
 * federated-hopfield.md: `hopfield.schedule = sequential` and the entropy controller of the
 * paper's drift runs; the spec gives no sizes or targets, so these are ours, the sizes of
 * the novelty run): N = 400, K = 3, L = 3 clients of quality r = 0.8 that see all three
 * archetypes, T = 12 rounds of M = 400 examples, all examples of rounds 4b .. 4b + 3 from
 * archetype b (`sequential:4`); tau = 0.03 after 1000 sharpening steps. Two conditions:
 * `entropy` (the controller, EMA alpha = 0.3) and the control `nomemory` (fixed w = 1: each
 * client uploads only its round's data, the broadcast is ignored). Targets (ours): under
 * entropy, the archetype in focus is retrieved by the end of its block (mean over blocks of
 * its m >= 0.8) and the archetypes of earlier blocks are kept (their mean m at the last round
 * >= 0.8); the control keeps them less (its past m below entropy's). Outputs: per condition
 * the standard files with prefix entropy-, nomemory-, and drift.png (past and focus m). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/hopfield_common.h"
#include "somnus/analysis/plot.h"
#include "somnus/models/hopfield.h"

static const char *const DEFAULTS[] = {"hopfield.N=400",
                                       "hopfield.K=3",
                                       "hopfield.L=3",
                                       "hopfield.T=12",
                                       "hopfield.M=400",
                                       "hopfield.r=0.8",
                                       "hopfield.k_per_client=3",
                                       "hopfield.schedule=sequential:4",
                                       "hopfield.controller=entropy",
                                       "hopfield.ema_alpha=0.3",
                                       "hopfield.tau=0.03",
                                       "hopfield.sharpen_iters=1000",
                                       "hopfield.recall_reps=0",
                                       "hopfield.seeds=5",
                                       NULL};
/* quick: 2 seeds of 6 rounds (2 per archetype), 1 TAM retry */
static const char *const QUICK[] = {"hopfield.seeds=2",
                                    "hopfield.T=6",
                                    "hopfield.N=400",
                                    "hopfield.M=400",
                                    "hopfield.schedule=sequential:2",
                                    "hopfield.max_attempts=1",
                                    NULL};

#define NC 2
static const char *const NAMES[NC] = {"entropy", "nomemory"};

static json_t *target(const char *what, double value, int met)
{
    return json_pack("{s:s, s:f, s:b}", "target", what, "value", value, "met", met);
}

/* Per round, for S runs: mean over seeds of the m of the archetype in focus (focus) and
 * of the archetypes seen in earlier rounds and not in focus now (past, with its sd over
 * seeds; NAN while there are none). v is scratch of S entries. */
static void drift_series(sm_hf_result *const *res, int S, const sm_hf_schedule *sch, int K, int T,
                         double *focus, double *past, double *past_sd, double *v)
{
    for (int t = 0; t < T; t++) {
        const int f = sm_hf_sequential_focus(sch, K, T, t);
        int seen[4096] = {0};
        for (int u = 0; u < t; u++)
            seen[sm_hf_sequential_focus(sch, K, T, u)] = 1;
        seen[f] = 0;
        int np = 0;
        for (int k = 0; k < K; k++)
            np += seen[k];
        double fm = 0;
        for (int s = 0; s < S; s++) {
            const double *m = res[s]->m + (size_t)t * K;
            fm += m[f] / S;
            double pm = 0;
            for (int k = 0; k < K; k++)
                if (seen[k]) pm += m[k] / (np ? np : 1);
            v[s] = np ? pm : NAN;
        }
        focus[t] = fm;
        hf_mean_sd(v, S, &past[t], &past_sd[t]);
        if (!np) past[t] = past_sd[t] = NAN;
    }
}

static json_t *array_of(const double *x, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, isfinite(x[i]) ? json_real(x[i]) : json_null());
    return a;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int S = ctx->cfg->hopfield.seeds, T = ctx->cfg->hopfield.T, K = ctx->cfg->hopfield.K;
    sm_hf_schedule sch;
    sm_status st = sm_hf_schedule_parse(ctx->cfg->hopfield.schedule, K, &sch, err);
    if (st != SM_OK) return st;
    if (!sch.sequential)
        return sm_error_set(err, SM_EINVAL,
                            "hopfield-drift: hopfield.schedule must be sequential[:B]");
    if (K > 4096) return sm_error_set(err, SM_EINVAL, "hopfield-drift: hopfield.K must be <= 4096");
    sm_hf_result **res = calloc((size_t)S * NC, sizeof(sm_hf_result *));
    double *focus = calloc((size_t)NC * T, sizeof(double)),
           *past = calloc((size_t)NC * T, sizeof(double)),
           *past_sd = calloc((size_t)NC * T, sizeof(double));
    double *x = calloc((size_t)T, sizeof(double)), *v = calloc((size_t)S, sizeof(double));
    if (!res || !focus || !past || !past_sd || !x || !v) {
        free(res);
        free(focus);
        free(past);
        free(past_sd);
        free(x);
        free(v);
        return sm_error_set(err, SM_ENOMEM, "hopfield-drift: out of memory");
    }
    json_t *o = json_object(), *fin = json_object(), *conds = json_object();
    double block_m[NC];
    for (int c = 0; c < NC && st == SM_OK; c++) {
        sm_config cfg = *ctx->cfg;
        if (c == 1) {
            cfg.hopfield.controller = SM_HF_FIXED;
            cfg.hopfield.w = 1.0;
        }
        char tag[64], prefix[32];
        snprintf(tag, sizeof tag, "hopfield-drift %s", NAMES[c]);
        st = hf_run_seeds(ctx, &cfg, tag, res + (size_t)c * S, err);
        if (st != SM_OK) break;
        json_t *sum = hf_summary(res + (size_t)c * S, S);
        json_object_set_new(fin, NAMES[c], json_incref(json_object_get(sum, "final_retrieval")));
        double *fo = focus + (size_t)c * T, *pa = past + (size_t)c * T,
               *ps = past_sd + (size_t)c * T;
        drift_series(res + (size_t)c * S, S, &sch, K, T, fo, pa, ps, v);
        /* focus m at the last round of each block (and at T - 1 for a cut-off block) */
        double bm = 0;
        int nb = 0;
        for (int t = 0; t < T; t++)
            if (t == T - 1 || sm_hf_sequential_focus(&sch, K, T, t + 1) !=
                                  sm_hf_sequential_focus(&sch, K, T, t)) {
                bm += fo[t];
                nb++;
            }
        block_m[c] = bm / nb;
        json_t *foc = json_array();
        for (int t = 0; t < T; t++)
            json_array_append_new(foc, json_integer(sm_hf_sequential_focus(&sch, K, T, t)));
        json_object_set_new(sum, "focus", foc);
        json_object_set_new(sum, "m_focus", array_of(fo, T));
        json_object_set_new(sum, "m_past", array_of(pa, T));
        json_object_set_new(sum, "m_past_sd", array_of(ps, T));
        json_object_set_new(sum, "m_focus_block_end", json_real(block_m[c]));
        json_object_set_new(sum, "final_m_past",
                            isfinite(pa[T - 1]) ? json_real(pa[T - 1]) : json_null());
        json_object_set_new(conds, NAMES[c], sum);
        snprintf(prefix, sizeof prefix, "%s-", NAMES[c]);
        st = hf_write_outputs(ctx, res + (size_t)c * S, S, prefix, err);
    }
    if (st == SM_OK) {
        json_t *main_sum = json_object_get(conds, NAMES[0]);
        json_object_set(o, "retrieval", json_object_get(main_sum, "retrieval"));
        json_object_set(o, "w", json_object_get(main_sum, "w"));
        json_object_set(o, "final_retrieval", json_object_get(main_sum, "final_retrieval"));
        json_object_set_new(o, "final_retrieval_by_condition", fin);
        json_object_set_new(o, "conditions", conds);
        const double pe = past[T - 1], pn = past[T + T - 1];
        json_t *tg = json_array();
        json_array_append_new(tg, target("entropy: focus archetype's mean m at its block's end "
                                         ">= 0.8 (mean over blocks)",
                                         block_m[0], block_m[0] >= 0.8));
        json_array_append_new(
            tg, target("entropy: earlier blocks' archetypes, mean m at the last round >= 0.8",
                       isfinite(pe) ? pe : 0, isfinite(pe) && pe >= 0.8));
        json_array_append_new(tg, target("control nomemory (w = 1) keeps them less: its past m "
                                         "< entropy's (value: nomemory)",
                                         isfinite(pn) ? pn : 0,
                                         isfinite(pe) && isfinite(pn) && pn < pe));
        json_object_set_new(o, "targets", tg);
        char path[4096];
        if (sm_experiment_file(ctx, "drift.png", path, sizeof path)) {
            for (int t = 0; t < T; t++)
                x[t] = t;
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            spec.title = "drift: m of the archetype in focus and of earlier ones";
            spec.xlabel = "round";
            spec.ylabel = "magnetization m";
            spec.ymin = 0;
            spec.ymax = 1.02;
            /* past m is NAN during the first block: plot it from the second block on */
            int t1 = 0;
            while (t1 < T && !isfinite(past[t1]))
                t1++;
            sm_plot_series ser[2 * NC];
            int ns = 0;
            for (int c = 0; c < NC; c++) {
                ser[ns++] = (sm_plot_series){c ? "nomemory (w = 1): focus" : "entropy: focus",
                                             x,
                                             focus + (size_t)c * T,
                                             NULL,
                                             NULL,
                                             T,
                                             0,
                                             SM_PLOT_ORANGE,
                                             0,
                                             c};
                if (t1 < T)
                    ser[ns++] = (sm_plot_series){c ? "nomemory (w = 1): past" : "entropy: past",
                                                 x + t1,
                                                 past + (size_t)c * T + t1,
                                                 past_sd + (size_t)c * T + t1,
                                                 NULL,
                                                 T - t1,
                                                 SM_PLOT_LINE | SM_PLOT_MARKERS | SM_PLOT_BAND,
                                                 SM_PLOT_BLUE,
                                                 0,
                                                 c};
            }
            st = sm_plot_lines(path, &spec, ser, ns, err);
        }
    }
    for (int i = 0; i < S * NC; i++)
        sm_hf_result_destroy(res[i]);
    free(res);
    free(focus);
    free(past);
    free(past_sd);
    free(x);
    free(v);
    if (st != SM_OK) {
        json_decref(o);
        return st;
    }
    *results = o;
    return SM_OK;
}

const sm_experiment_def sm_exp_hopfield_drift = {
    "hopfield-drift",
    "federated Hopfield: data drift one archetype at a time (sequential:4), entropy vs w = 1",
    DEFAULTS, QUICK, run};
