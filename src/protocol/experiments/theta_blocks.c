/* Experiment theta-blocks: somnus's own question on task A of the theta-gated Helmholtz
 * machine -- does cycle-by-cycle alternation (theta, 5 Hz) learn faster than the sleep
 * paper's block schedule (theta.block_s of inference/"wake", then theta.block_s of
 * generation/"offline", repeated; the same total time in each mode)? Same seeds, same
 * latents, same training time. Per schedule and seed: the error averages during training,
 * the first time the hidden error falls to 0.1, and, after training, the error averages
 * over 1 min in inference mode without learning (a measurement on equal footing).
 * Files: blocks.csv (t_min, medians per schedule), blocks.png (log y axis). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/theta_common.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/models/theta_latents.h"

static const char *const DEFAULTS[] = {"theta.task=latents", NULL};
static const char *const QUICK[] = {"theta.seeds=1", "theta.train_min=5", NULL};

enum { S_THETA = 0, S_BLOCK = 1, N_SCHED = 2 };
static const char *const SCHED[N_SCHED] = {"theta", "block"};

typedef struct block_run {
    double final_g, final_p, post_g, post_p, t_reach; /* t_reach: min, NaN if never */
    double *err_p, *err_g;
} block_run;

static sm_status run_one(const sm_config *cfg, uint64_t seed, int schedule, int n_rec, int every,
                         block_run *o, sm_error *err)
{
    sm_theta_latents_params par;
    sm_theta_latents_params_from_config(&par, cfg);
    par.seed = seed;
    par.schedule = schedule == S_BLOCK ? SM_THETA_BLOCKS : SM_THETA_CYCLES;
    sm_theta_latents m;
    sm_status st = sm_theta_latents_init(&m, &par, err);
    if (st != SM_OK) return st;
    o->err_p = calloc((size_t)n_rec + 1, sizeof(double));
    o->err_g = calloc((size_t)n_rec + 1, sizeof(double));
    if (!o->err_p || !o->err_g) {
        sm_theta_latents_free(&m);
        return sm_error_set(err, SM_ENOMEM, "theta-blocks: out of memory");
    }
    const int64_t steps = (int64_t)n_rec * every;
    o->t_reach = NAN;
    for (int64_t s = 1; s <= steps; s++) {
        sm_theta_latents_step(&m, 1);
        if (isnan(o->t_reach) && m.g.err.value <= 0.1) o->t_reach = (double)s * par.dt / 60.0;
        if (s % every == 0) {
            o->err_p[s / every - 1] = m.p.err.value;
            o->err_g[s / every - 1] = m.g.err.value;
        }
    }
    o->final_g = m.g.err.value;
    o->final_p = m.p.err.value;
    /* 0.1 min settle with the normal gate, then 1 min inference without learning */
    m.gate.schedule = SM_THETA_CYCLES;
    for (int64_t s = 0; s < llround(6.0 / par.dt); s++)
        sm_theta_latents_step(&m, 0);
    m.gate.force = 0;
    sm_theta_latents_restart_errors(&m);
    for (int64_t s = 0; s < llround(60.0 / par.dt); s++)
        sm_theta_latents_step(&m, 0);
    o->post_g = m.g.err.value;
    o->post_p = m.p.err.value;
    sm_theta_latents_free(&m);
    return SM_OK;
}

static sm_status write_outputs(const sm_experiment_ctx *ctx, block_run (*o)[N_SCHED], int n_seeds,
                               int n_rec, double every_min, sm_error *err)
{
    char path[4096];
    sm_status st = SM_OK;
    double *t = malloc(sizeof(double) * (size_t)n_rec * 5);
    double *a = malloc(sizeof(double) * (size_t)n_seeds);
    if (!t || !a) {
        free(t);
        free(a);
        return sm_error_set(err, SM_ENOMEM, "theta-blocks: out of memory");
    }
    double *med[4] = {t + n_rec, t + (size_t)2 * n_rec, t + (size_t)3 * n_rec,
                      t + (size_t)4 * n_rec};
    for (int r = 0; r < n_rec; r++) {
        t[r] = (r + 1) * every_min;
        for (int sc = 0; sc < N_SCHED; sc++) {
            for (int k = 0; k < n_seeds; k++)
                a[k] = o[k][sc].err_p[r];
            med[(size_t)2 * sc][r] = sm_theta_median(a, n_seeds);
            for (int k = 0; k < n_seeds; k++)
                a[k] = o[k][sc].err_g[r];
            med[2 * sc + 1][r] = sm_theta_median(a, n_seeds);
        }
    }
    free(a);
    if (sm_experiment_file(ctx, "blocks.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "t_min,theta_err_p,theta_err_g,block_err_p,block_err_g\n");
            for (int r = 0; r < n_rec; r++)
                fprintf(f.fp, "%.6g,%.9g,%.9g,%.9g,%.9g\n", t[r], med[0][r], med[1][r], med[2][r],
                        med[3][r]);
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK && sm_experiment_file(ctx, "blocks.png", path, sizeof path)) {
        sm_plot_series s[4] = {{0}};
        const char *lab[4] = {"sensory, theta cycles", "hidden, theta cycles", "sensory, blocks",
                              "hidden, blocks"};
        for (int i = 0; i < 4; i++) {
            s[i].label = lab[i];
            s[i].x = t;
            s[i].y = med[i];
            s[i].n = n_rec;
            s[i].style = SM_PLOT_LINE;
            s[i].color = (i % 2) ? SM_PLOT_BLUE : SM_PLOT_GREEN;
            s[i].dashed = i >= 2;
        }
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-blocks: theta-cycle vs block wake/sleep schedule (median over seeds)";
        spec.xlabel = "training time (min)";
        spec.ylabel = "prediction error (log scale)";
        spec.ylog = 1;
        spec.legend = SM_PLOT_LEGEND_OUTSIDE;
        st = sm_plot_lines(path, &spec, s, 4, err);
    }
    free(t);
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int n_seeds = cfg->theta.seeds;
    const int every = (int)fmax(1, llround(10.0 / cfg->theta.dt));
    const int n_rec = (int)(llround(cfg->theta.train_min * 60.0 / cfg->theta.dt) / every);
    if (n_rec < 1) return sm_error_set(err, SM_EINVAL, "theta-blocks: theta.train_min below 10 s");
    block_run(*o)[N_SCHED] = calloc((size_t)n_seeds, sizeof *o);
    if (!o) return sm_error_set(err, SM_ENOMEM, "theta-blocks: out of memory");
    sm_status st = SM_OK;
    for (int k = 0; k < n_seeds && st == SM_OK; k++)
        for (int sc = 0; sc < N_SCHED && st == SM_OK; sc++) {
            const uint64_t seed = (uint64_t)cfg->run.seed + (uint64_t)k;
            st = run_one(cfg, seed, sc, n_rec, every, &o[k][sc], err);
            if (st == SM_OK &&
                sm_experiment_log(ctx,
                                  "theta-blocks seed %llu %s: end errors hidden %.4f sensory "
                                  "%.4f; after, inference: %.4f %.4f; hidden <= 0.1 at %.2f min",
                                  (unsigned long long)seed, SCHED[sc], o[k][sc].final_g,
                                  o[k][sc].final_p, o[k][sc].post_g, o[k][sc].post_p,
                                  o[k][sc].t_reach))
                st = sm_error_set(err, SM_ECANCELED, "theta-blocks: stopped");
        }
    if (st == SM_OK) st = write_outputs(ctx, o, n_seeds, n_rec, every * cfg->theta.dt / 60.0, err);
    if (st == SM_OK) {
        json_t *res = json_object();
        double *v = malloc(sizeof(double) * (size_t)n_seeds);
        static const char *const KEYS[5] = {"final_err_hidden", "final_err_sensory",
                                            "post_err_hidden_inference",
                                            "post_err_sensory_inference", "min_to_hidden_0.1"};
        for (int sc = 0; sc < N_SCHED; sc++) {
            json_t *g = json_object(), *per = json_object();
            for (int i = 0; i < 5; i++) {
                for (int k = 0; k < n_seeds; k++) {
                    const block_run *b = &o[k][sc];
                    const double x[5] = {b->final_g, b->final_p, b->post_g, b->post_p, b->t_reach};
                    v[k] = x[i];
                }
                json_object_set_new(per, KEYS[i], sm_theta_jarray(v, n_seeds));
                /* a diverged run (NaN) counts as the worst value: +inf, which the median
                 * reports as null only if half the seeds or more diverged */
                for (int k = 0; k < n_seeds; k++)
                    if (isnan(v[k])) v[k] = INFINITY;
                json_object_set_new(g, KEYS[i], sm_theta_jreal(sm_theta_median(v, n_seeds)));
            }
            int diverged = 0;
            for (int k = 0; k < n_seeds; k++)
                diverged += !isfinite(o[k][sc].final_g) || !isfinite(o[k][sc].final_p);
            json_object_set_new(g, "diverged_seeds", json_integer(diverged));
            json_object_set_new(g, "per_seed", per);
            json_object_set_new(res, SCHED[sc], g);
        }
        free(v);
        json_object_set_new(res, "block_s", json_real(cfg->theta.block_s));
        json_object_set_new(res, "statistic", json_string("median over seeds"));
        json_object_set_new(res, "seeds", json_integer(n_seeds));
        *results = res;
    }
    for (int k = 0; k < n_seeds; k++)
        for (int sc = 0; sc < N_SCHED; sc++) {
            free(o[k][sc].err_p);
            free(o[k][sc].err_g);
        }
    free(o);
    return st;
}

const sm_experiment_def sm_exp_theta_blocks = {
    "theta-blocks",
    "theta-gated Helmholtz machine, task A: theta-cycle alternation vs the sleep paper's "
    "block wake/offline schedule (somnus's question)",
    DEFAULTS, QUICK, run};
