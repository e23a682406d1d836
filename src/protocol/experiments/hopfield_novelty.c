/* Experiment hopfield-novelty: new archetypes appear mid-federation (spec
 * federated-hopfield.md sections 7 and 11.7; the reference's exp07 defaults): N = 400,
 * L = 3 clients of quality r = 0.8, T = 24 rounds of M = 400 examples; archetypes 1-3 from
 * the start, archetypes 4-6 from round 12 with a share of the examples ramping to 0.5 over
 * 4 rounds; the entropy controller (EMA alpha = 0.3); the cut and sharpening of the
 * reference's cooperativity script (tau = 0.03 after 1000 steps). Every client sees all six
 * archetypes (ours: the reference script of this run is empty in the snapshot).
 * Targets (spec 11.7, ours): median Kh = 3 in every round before 12 and = 6 at round 18;
 * old archetypes' mean magnetization at round 23 >= 0.8. */
#include <math.h>
#include <stdlib.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/hopfield_common.h"
#include "somnus/models/hopfield.h"

static const char *const DEFAULTS[] = {"hopfield.N=400",
                                       "hopfield.K=6",
                                       "hopfield.L=3",
                                       "hopfield.T=24",
                                       "hopfield.M=400",
                                       "hopfield.r=0.8",
                                       "hopfield.k_per_client=6",
                                       "hopfield.mixture=random",
                                       "hopfield.schedule=novelty:12,4,3",
                                       "hopfield.controller=entropy",
                                       "hopfield.ema_alpha=0.3",
                                       "hopfield.tau=0.03",
                                       "hopfield.sharpen_iters=1000",
                                       "hopfield.recall_reps=0",
                                       "hopfield.seeds=30",
                                       NULL};
/* quick: 2 seeds of 8 rounds, novelty from round 3 over 2 rounds, 1 TAM retry */
static const char *const QUICK[] = {"hopfield.seeds=2", "hopfield.T=8",
                                    "hopfield.schedule=novelty:3,2,3", "hopfield.max_attempts=1",
                                    NULL};

static json_t *target(const char *what, double value, int met)
{
    return json_pack("{s:s, s:f, s:b}", "target", what, "value", value, "met", met);
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n is the number of seeds */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            const double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_config *cfg = ctx->cfg;
    const int S = cfg->hopfield.seeds, T = cfg->hopfield.T, K = cfg->hopfield.K;
    sm_hf_schedule sch;
    sm_status st = sm_hf_schedule_parse(cfg->hopfield.schedule, K, &sch, err);
    if (st != SM_OK) return st;
    if (!sch.novelty)
        return sm_error_set(err, SM_EINVAL,
                            "hopfield-novelty: hopfield.schedule must be novelty:T0,RAMP,KNEW");
    sm_hf_result **res = calloc((size_t)S, sizeof(sm_hf_result *));
    double *v = calloc((size_t)S, sizeof *v);
    if (!res || !v) {
        free(res);
        free(v);
        return sm_error_set(err, SM_ENOMEM, "hopfield-novelty: out of memory");
    }
    st = hf_run_seeds(ctx, cfg, "hopfield-novelty", res, err);
    if (st == SM_OK) {
        json_t *o = hf_summary(res, S);
        const int k_old = K - sch.k_new;
        /* per round: mean magnetization of the old and of the new archetypes */
        json_t *mo = json_array(), *mn = json_array(), *mo_sd = json_array();
        double before_ok = 1, kh_at = NAN, old_final = NAN;
        const int t_check = sch.t0 + 6 < T ? sch.t0 + 6 : T - 1;
        for (int t = 0; t < T; t++) {
            double a = 0, b = 0, m, sd;
            for (int s = 0; s < S; s++) {
                double so = 0, sn = 0;
                for (int k = 0; k < K; k++)
                    if (k < k_old)
                        so += res[s]->m[(size_t)t * K + k];
                    else
                        sn += res[s]->m[(size_t)t * K + k];
                v[s] = so / k_old;
                a += v[s] / S;
                b += sn / sch.k_new / S;
            }
            hf_mean_sd(v, S, &m, &sd);
            json_array_append_new(mo, json_real(a));
            json_array_append_new(mo_sd, json_real(sd));
            json_array_append_new(mn, json_real(b));
            if (t == T - 1) old_final = a;
            for (int s = 0; s < S; s++)
                v[s] = res[s]->Kh[t];
            const double med = median(v, S);
            if (t < sch.t0 && med != k_old) before_ok = 0;
            if (t == t_check) kh_at = med;
        }
        json_object_set_new(o, "m_old", mo);
        json_object_set_new(o, "m_old_sd", mo_sd);
        json_object_set_new(o, "m_new", mn);
        json_t *tg = json_array();
        char what[128];
        snprintf(what, sizeof what, "median Kh = %d in every round before %d (value: 1 = yes)",
                 k_old, sch.t0);
        json_array_append_new(tg, target(what, before_ok, before_ok == 1));
        snprintf(what, sizeof what, "median Kh = %d at round %d", K, t_check);
        json_array_append_new(tg, target(what, kh_at, kh_at == K));
        snprintf(what, sizeof what, "old archetypes' mean m at round %d >= 0.8", T - 1);
        json_array_append_new(tg, target(what, old_final, old_final >= 0.8));
        json_object_set_new(o, "targets", tg);
        st = hf_write_outputs(ctx, res, S, "", err);
        if (st == SM_OK)
            *results = o;
        else
            json_decref(o);
    }
    for (int s = 0; s < S; s++)
        sm_hf_result_destroy(res[s]);
    free(res);
    free(v);
    return st;
}

const sm_experiment_def sm_exp_hopfield_novelty = {
    "hopfield-novelty",
    "federated Hopfield: 3 new archetypes from round 12 of 24, entropy controller (Kh 3 -> 6)",
    DEFAULTS, QUICK, run};
