/* Experiment theta-remap: remapping in task B of the theta-gated Helmholtz machine (George
 * et al. 2023, Fig. 4; spec theta-helmholtz.md section 7), on theta.seeds seeds. Per seed,
 * from one trained network (theta.train_min of task B), three conditions, each from a copy
 * of the trained state:
 *   before:        decoder fit on the last 10 min of training;
 *   after_remap:   place-cell centres shuffled, theta.remap_infer_min in inference mode
 *                  without learning, decoder refit on it (the reference's optional cell);
 *   after_retrain: the same shuffle, compartments reset, g->g and CVC->g frozen, mean
 *                  velocity theta.remap_speed_mean, theta.train_min of retraining, decoder
 *                  fit on its last 10 min.
 * Each: theta.pi_repeats tests of theta.pi_spinup_s normal theta then theta.pi_test_s
 * generative. Reported: the mean over repeats of the error at 1 s into generative mode
 * (pi_error_1s_m) and, for comparison, the reference's bar value (the time mean over the
 * spin-up + test window of the last repeat only). Files: remap.csv, remap.png. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/theta_common.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"

static const char *const DEFAULTS[] = {"theta.task=pathint",
                                       "theta.eta=0.01",
                                       "theta.w_init_rec=0.2",
                                       "theta.pi_spinup_s=1",
                                       "theta.pi_test_s=1",
                                       "theta.pi_repeats=50",
                                       NULL};
static const char *const QUICK[] = {"theta.seeds=1", "theta.train_min=5", "theta.pi_repeats=10",
                                    "theta.remap_infer_min=2", NULL};

enum { C_BEFORE = 0, C_REMAP = 1, C_RETRAIN = 2, N_COND = 3 };
static const char *const COND[N_COND] = {"before", "after_remap", "after_retrain"};

typedef struct remap_seed {
    double e1[N_COND], sem[N_COND], ref[N_COND];
    double train_p, train_g, retrain_p, retrain_g; /* error averages at the end of (re)training */
} remap_seed;

/* PI test of model m with decoder from rec; fills the condition's numbers. */
static sm_status test_condition(const sm_config *cfg, sm_theta_pathint *m, const sm_theta_rec *rec,
                                double *e1, double *sem, double *ref, sm_error *err)
{
    const double dt = m->par.dt;
    const int64_t spin = llround(cfg->theta.pi_spinup_s / dt);
    const int64_t test = llround(cfg->theta.pi_test_s / dt), per = spin + test;
    const int reps = cfg->theta.pi_repeats;
    sm_theta_decoder dec;
    sm_status st = sm_theta_decoder_fit(&dec, rec, cfg->theta.decoder, 0.01, m->par.track_len, err);
    if (st != SM_OK) return st;
    double *e = malloc(sizeof(double) * (size_t)reps * per);
    if (!e) {
        sm_theta_decoder_free(&dec);
        return sm_error_set(err, SM_ENOMEM, "theta-remap: out of memory");
    }
    sm_theta_pi_test(m, &dec, spin, test, reps, e);
    int64_t at = spin + llround(1.0 / dt) - 1;
    if (at >= per) at = per - 1;
    double a = 0, b = 0;
    for (int r = 0; r < reps; r++) {
        const double x = e[(size_t)r * per + at];
        a += x;
        b += x * x;
    }
    *e1 = a / reps;
    *sem = reps > 1 ? sqrt(fmax(0, (b - a * a / reps) / (reps - 1)) / reps) : 0;
    double t = 0;
    for (int64_t s = 0; s < per; s++)
        t += e[(size_t)(reps - 1) * per + s];
    *ref = t / per;
    free(e);
    sm_theta_decoder_free(&dec);
    return SM_OK;
}

static sm_status run_seed(const sm_experiment_ctx *ctx, uint64_t seed, remap_seed *o, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    sm_theta_pathint_params par;
    sm_theta_pathint_params_from_config(&par, cfg);
    par.seed = seed;
    const double dt = par.dt;
    const int64_t train = llround(cfg->theta.train_min * 60.0 / dt);
    const int every = (int)fmax(1, llround(0.1 / dt));
    const int cap = (int)llround(600.0 / (every * dt));
    sm_theta_pathint base, c;
    sm_theta_rec rec;
    memset(&c, 0, sizeof c);
    sm_status st = sm_theta_pathint_init(&base, &par, err);
    if (st != SM_OK) return st;
    st = sm_theta_rec_init(&rec, par.n, cap, err);
    if (st == SM_OK) st = sm_theta_pathint_init(&c, &par, err);
    if (st != SM_OK) goto done;
    sm_theta_pi_run(&base, train, 1, &rec, every, 0, NULL, NULL, 0, NULL);
    o->train_p = base.p.err.value;
    o->train_g = base.g.err.value;

    /* before */
    st = sm_theta_pathint_copy(&c, &base, err);
    if (st == SM_OK)
        st = test_condition(cfg, &c, &rec, &o->e1[C_BEFORE], &o->sem[C_BEFORE], &o->ref[C_BEFORE],
                            err);
    /* right after the remap: inference mode without learning, decoder refit */
    if (st == SM_OK) st = sm_theta_pathint_copy(&c, &base, err);
    if (st == SM_OK) {
        sm_theta_pathint_remap(&c);
        rec.count = 0;
        c.gate.force = 0;
        sm_theta_pi_run(&c, llround(cfg->theta.remap_infer_min * 60.0 / dt), 0, &rec, every, 0,
                        NULL, NULL, 0, NULL);
        c.gate.force = -1;
        st =
            test_condition(cfg, &c, &rec, &o->e1[C_REMAP], &o->sem[C_REMAP], &o->ref[C_REMAP], err);
    }
    /* after retraining with the attractor (g->g, CVC->g) frozen */
    if (st == SM_OK) st = sm_theta_pathint_copy(&c, &base, err);
    if (st == SM_OK) {
        sm_theta_pathint_remap(&c);
        c.g_rec->eta = 0;
        c.g_cvc->eta = 0;
        sm_theta_pathint_reset_compartments(&c);
        c.par.speed_mean = cfg->theta.remap_speed_mean;
        rec.count = 0;
        sm_theta_layer *ls[2] = {&c.p, &c.g};
        for (int i = 0; i < 2; i++)
            sm_theta_err_restart(&ls[i]->err);
        sm_theta_pi_run(&c, train, 1, &rec, every, 0, NULL, NULL, 0, NULL);
        o->retrain_p = c.p.err.value;
        o->retrain_g = c.g.err.value;
        st = test_condition(cfg, &c, &rec, &o->e1[C_RETRAIN], &o->sem[C_RETRAIN],
                            &o->ref[C_RETRAIN], err);
    }
done:
    sm_theta_rec_free(&rec);
    sm_theta_pathint_free(&c);
    sm_theta_pathint_free(&base);
    return st;
}

static sm_status write_outputs(const sm_experiment_ctx *ctx, const remap_seed *o, int n_seeds,
                               sm_error *err)
{
    char path[4096];
    sm_status st = SM_OK;
    double x[N_COND], y[N_COND], sd[N_COND], ref[N_COND];
    double *v = malloc(sizeof(double) * (size_t)n_seeds);
    for (int c = 0; c < N_COND; c++) {
        for (int k = 0; k < n_seeds; k++)
            v[k] = o[k].e1[c];
        double mean, s;
        sm_theta_mean_sd(v, n_seeds, &mean, &s);
        x[c] = c + 1;
        y[c] = mean;
        sd[c] = n_seeds > 1 ? s : o[0].sem[c];
        for (int k = 0; k < n_seeds; k++)
            v[k] = o[k].ref[c];
        sm_theta_mean_sd(v, n_seeds, &ref[c], &s);
    }
    free(v);
    if (sm_experiment_file(ctx, "remap.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st != SM_OK) return st;
        fprintf(f.fp, "condition,error_1s_m,sem_m,seed_sd_m,reference_quantity_m\n");
        for (int c = 0; c < N_COND; c++) {
            double sem = 0;
            for (int k = 0; k < n_seeds; k++)
                sem += o[k].sem[c];
            fprintf(f.fp, "%s,%.6g,%.6g,%.6g,%.6g\n", COND[c], y[c], sem / n_seeds,
                    n_seeds > 1 ? sd[c] : NAN, ref[c]);
        }
        st = sm_atomic_commit(&f, err);
        if (st != SM_OK) return st;
    }
    if (sm_experiment_file(ctx, "remap.png", path, sizeof path)) {
        sm_plot_series s = {0};
        s.label = n_seeds > 1 ? "mean +- sd over seeds" : "mean +- sem over repeats";
        s.x = x;
        s.y = y;
        s.err_lo = sd;
        s.n = N_COND;
        s.style = SM_PLOT_MARKERS | SM_PLOT_ERRBARS;
        s.color = SM_PLOT_VERMILLION;
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-remap: PI error 1 s into generative mode (1 before, 2 right after "
                     "remap, 3 after retraining)";
        spec.xlabel = "condition";
        spec.ylabel = "decoded error (m)";
        spec.xmin = 0.5;
        spec.xmax = 3.5;
        spec.ymin = 0;
        spec.ymax = 0.3;
        st = sm_plot_lines(path, &spec, &s, 1, err);
    }
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int n_seeds = cfg->theta.seeds;
    if (llround(cfg->theta.pi_test_s / cfg->theta.dt) < 1)
        return sm_error_set(err, SM_EINVAL, "theta-remap: theta.pi_test_s < theta.dt");
    if (cfg->theta.train_min * 60.0 < 1.0)
        return sm_error_set(err, SM_EINVAL, "theta-remap: theta.train_min must give >= 1 s");
    remap_seed *o = calloc((size_t)n_seeds, sizeof(remap_seed));
    if (!o) return sm_error_set(err, SM_ENOMEM, "theta-remap: out of memory");
    sm_status st = SM_OK;
    for (int k = 0; k < n_seeds && st == SM_OK; k++) {
        const uint64_t seed = (uint64_t)cfg->run.seed + (uint64_t)k;
        st = run_seed(ctx, seed, &o[k], err);
        if (st == SM_OK &&
            sm_experiment_log(ctx,
                              "theta-remap seed %llu: PI error at 1 s: before %.3f, after remap "
                              "%.3f, after retraining %.3f m (end errors p, g: training %.4f "
                              "%.4f, retraining %.4f %.4f)",
                              (unsigned long long)seed, o[k].e1[0], o[k].e1[1], o[k].e1[2],
                              o[k].train_p, o[k].train_g, o[k].retrain_p, o[k].retrain_g))
            st = sm_error_set(err, SM_ECANCELED, "theta-remap: stopped");
    }
    if (st == SM_OK) st = write_outputs(ctx, o, n_seeds, err);
    if (st == SM_OK) {
        json_t *res = json_object(), *pe = json_object(), *rq = json_object(), *per = json_object(),
               *msd = json_object();
        double *v = malloc(sizeof(double) * (size_t)n_seeds);
        for (int c = 0; c < N_COND; c++) {
            for (int k = 0; k < n_seeds; k++)
                v[k] = o[k].e1[c];
            json_object_set_new(pe, COND[c], sm_theta_jreal(sm_theta_median(v, n_seeds)));
            json_object_set_new(per, COND[c], sm_theta_jarray(v, n_seeds));
            double mean, sd;
            sm_theta_mean_sd(v, n_seeds, &mean, &sd);
            json_t *p = json_object();
            json_object_set_new(p, "mean", sm_theta_jreal(mean));
            json_object_set_new(p, "sd", sm_theta_jreal(sd));
            json_object_set_new(msd, COND[c], p);
            for (int k = 0; k < n_seeds; k++)
                v[k] = o[k].ref[c];
            json_object_set_new(rq, COND[c], sm_theta_jreal(sm_theta_median(v, n_seeds)));
        }
        static const char *const EK[4] = {"train_err_sensory", "train_err_hidden",
                                          "retrain_err_sensory", "retrain_err_hidden"};
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < n_seeds; k++) {
                const double x[4] = {o[k].train_p, o[k].train_g, o[k].retrain_p, o[k].retrain_g};
                v[k] = x[i];
            }
            json_object_set_new(res, EK[i], sm_theta_jreal(sm_theta_median(v, n_seeds)));
        }
        for (int k = 0; k < n_seeds; k++)
            v[k] = o[k].e1[C_REMAP] / o[k].e1[C_BEFORE];
        json_object_set_new(res, "remap_over_before", sm_theta_jreal(sm_theta_median(v, n_seeds)));
        for (int k = 0; k < n_seeds; k++)
            v[k] = o[k].e1[C_RETRAIN] / o[k].e1[C_BEFORE];
        json_object_set_new(res, "retrain_over_before",
                            sm_theta_jreal(sm_theta_median(v, n_seeds)));
        free(v);
        json_object_set_new(res, "pi_error_1s_m", pe);
        json_object_set_new(res, "reference_quantity_m", rq);
        json_object_set_new(res, "mean_sd", msd);
        json_object_set_new(res, "per_seed", per);
        json_object_set_new(res, "statistic", json_string("median over seeds"));
        json_object_set_new(res, "seeds", json_integer(n_seeds));
        json_object_set_new(res, "pi_repeats", json_integer(cfg->theta.pi_repeats));
        *results = res;
    }
    free(o);
    return st;
}

const sm_experiment_def sm_exp_theta_remap = {
    "theta-remap",
    "theta-gated Helmholtz machine, task B: remapping of the place cells (George et al. 2023, "
    "Fig. 4)",
    DEFAULTS, QUICK, run};
