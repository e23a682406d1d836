/* Experiment theta-latents: task A of the theta-gated Helmholtz machine (George et al.
 * 2023, Figs. 2 and S1; spec theta-helmholtz.md sections 6, 9 and 10), on theta.seeds
 * seeds from run.seed. Protocol per seed, as the reference notebook figs12.ipynb:
 *   1 min untrained, inference mode; 1 min untrained, generative mode;
 *   train theta.train_min min (error averages restarted at the start of training);
 *   0.1 min settle without learning; 1 min inference mode;
 *   0.1 min settle; 1 min generative mode.
 * Results: medians over seeds of the errors at the end of training and at 1 min,
 * r(p_A, p_B) after training (inference mode), the autocorrelation half-lag of generated
 * g against the latents', and the wall time of the training loop (T1).
 * Files: errors.csv/png (log y axis), samples.csv/png, autocorr.csv/png (first seed). */
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

/* Sample columns recorded per step: z (n_latent), p_B, p_A (first SAMPLE_P units), g. */
#define SAMPLE_P 5
enum { PH_U_INF = 0, PH_U_GEN = 1, PH_T_INF = 2, PH_T_GEN = 3, N_PH = 4 };
static const char *const PHASE_NAME[N_PH] = {"untrained_inference", "untrained_generative",
                                             "trained_inference", "trained_generative"};

typedef struct seed_out {
    double err_p_final, err_g_final, err_p_1min, err_g_1min;
    double err_p_post, err_g_post; /* error averages over the post-training inference minute */
    double r_pa_pb;                /* mean over units, trained inference minute */
    double acf_half_g, acf_half_g_before, acf_half_z;
    double train_wall_s, train_cpu_s, protocol_wall_s;
    int n_err; /* error records (every 10 s of training) */
    double *err_t, *err_p, *err_g;
    float *samples[N_PH];                 /* steps_min x cols, only for the first seed */
    double *acf_z, *acf_g, *acf_g_before; /* n_lag */
} seed_out;

typedef struct run_dims {
    int steps_min, cols, n_lag, win;
    int64_t train_steps;
    int record_every;
} run_dims;

static void record_row(const sm_theta_latents *m, float *row)
{
    const int nz = m->par.n_latent, np = m->par.n_feature < SAMPLE_P ? m->par.n_feature : SAMPLE_P;
    int c = 0;
    for (int i = 0; i < nz; i++)
        row[c++] = m->z[i];
    for (int i = 0; i < SAMPLE_P; i++)
        row[c++] = i < np ? m->p.basal.r[i] : NAN;
    for (int i = 0; i < SAMPLE_P; i++)
        row[c++] = i < np ? m->p.apical.r[i] : NAN;
    for (int i = 0; i < nz; i++)
        row[c++] = m->g.r[i];
}

/* A copy of n floats (NULL if out of memory: the sample files are then skipped). */
static float *dup_rows(const float *buf, size_t n)
{
    float *c = malloc(sizeof(float) * n);
    if (c) memcpy(c, buf, sizeof(float) * n);
    return c;
}

/* Runs `steps` steps in mode force (-1 gate), learning or not; records rows into rec. */
static void run_phase(sm_theta_latents *m, int64_t steps, int force, int learn, float *rec,
                      int cols)
{
    m->gate.force = force;
    sm_theta_latents_restart_errors(m);
    for (int64_t s = 0; s < steps; s++) {
        sm_theta_latents_step(m, learn);
        if (rec) record_row(m, rec + (size_t)s * cols);
    }
    m->gate.force = -1;
}

/* As run_phase in inference mode without learning, and returns the mean over all sensory
 * units of the Pearson correlation of p_A and p_B over the phase (T3); NaN if out of memory. */
static double run_inference_corr(sm_theta_latents *m, int64_t steps, float *rec, int cols)
{
    const int nf = m->par.n_feature;
    double *acc = calloc((size_t)nf * 5, sizeof(double)); /* sums a, b, aa, bb, ab */
    if (!acc) return NAN;
    m->gate.force = 0;
    sm_theta_latents_restart_errors(m);
    for (int64_t s = 0; s < steps; s++) {
        sm_theta_latents_step(m, 0);
        record_row(m, rec + (size_t)s * cols);
        for (int i = 0; i < nf; i++) {
            const double a = m->p.apical.r[i], b = m->p.basal.r[i];
            double *q = acc + (size_t)i * 5;
            q[0] += a;
            q[1] += b;
            q[2] += a * a;
            q[3] += b * b;
            q[4] += a * b;
        }
    }
    m->gate.force = -1;
    double sum = 0.0;
    int used = 0;
    const double n = (double)steps;
    for (int i = 0; i < nf; i++) {
        const double *q = acc + (size_t)i * 5;
        const double va = n * q[2] - q[0] * q[0], vb = n * q[3] - q[1] * q[1];
        if (va > 0 && vb > 0) {
            sum += (n * q[4] - q[0] * q[1]) / sqrt(va * vb);
            used++;
        }
    }
    free(acc);
    return used ? sum / used : NAN;
}

static sm_status run_seed(const sm_experiment_ctx *ctx, uint64_t seed, const run_dims *d,
                          int keep_samples, seed_out *o, sm_error *err)
{
    sm_theta_latents_params par;
    sm_theta_latents_params_from_config(&par, ctx->cfg);
    par.seed = seed;
    sm_theta_latents m;
    sm_status st = sm_theta_latents_init(&m, &par, err);
    if (st != SM_OK) return st;
    const double t0 = sm_theta_now();
    const int cols = d->cols, nz = par.n_latent;
    float *buf = malloc(sizeof(float) * (size_t)d->steps_min * cols);
    o->n_err = (int)(d->train_steps / d->record_every);
    o->err_t = calloc((size_t)o->n_err + 1, sizeof(double));
    o->err_p = calloc((size_t)o->n_err + 1, sizeof(double));
    o->err_g = calloc((size_t)o->n_err + 1, sizeof(double));
    o->acf_z = calloc((size_t)d->n_lag, sizeof(double));
    o->acf_g = calloc((size_t)d->n_lag, sizeof(double));
    o->acf_g_before = calloc((size_t)d->n_lag, sizeof(double));
    if (!buf || !o->err_t || !o->err_p || !o->err_g || !o->acf_z || !o->acf_g || !o->acf_g_before) {
        free(buf);
        sm_theta_latents_free(&m);
        return sm_error_set(err, SM_ENOMEM, "theta-latents: out of memory");
    }
    const int off = d->steps_min - d->win; /* the last 50 s of a minute */

    /* before training: inference, then generative */
    run_phase(&m, d->steps_min, 0, 0, buf, cols);
    if (keep_samples) o->samples[PH_U_INF] = dup_rows(buf, (size_t)d->steps_min * cols);
    run_phase(&m, d->steps_min, 1, 0, buf, cols);
    sm_theta_acf(buf + (size_t)off * cols, d->win, cols, cols - nz, nz, d->n_lag, o->acf_g_before);
    if (keep_samples) o->samples[PH_U_GEN] = dup_rows(buf, (size_t)d->steps_min * cols);

    /* training */
    sm_theta_latents_restart_errors(&m);
    o->err_p_1min = o->err_g_1min = NAN;
    const double tt = sm_theta_now(), tc = sm_theta_cpu_now();
    int r = 0;
    for (int64_t s = 1; s <= d->train_steps; s++) {
        sm_theta_latents_step(&m, 1);
        if (s % d->record_every == 0 && r < o->n_err) {
            o->err_t[r] = (double)s * par.dt / 60.0;
            o->err_p[r] = m.p.err.value;
            o->err_g[r] = m.g.err.value;
            r++;
        }
        if (s == d->steps_min) {
            o->err_p_1min = m.p.err.value;
            o->err_g_1min = m.g.err.value;
        }
    }
    o->train_wall_s = sm_theta_now() - tt;
    o->train_cpu_s = sm_theta_cpu_now() - tc;
    o->err_p_final = m.p.err.value;
    o->err_g_final = m.g.err.value;

    /* after training */
    const int64_t settle = (int64_t)llround(0.1 * 60.0 / par.dt);
    run_phase(&m, settle, -1, 0, NULL, cols);
    o->r_pa_pb = run_inference_corr(&m, d->steps_min, buf, cols);
    o->err_p_post = m.p.err.value;
    o->err_g_post = m.g.err.value;
    if (keep_samples) o->samples[PH_T_INF] = dup_rows(buf, (size_t)d->steps_min * cols);
    run_phase(&m, settle, -1, 0, NULL, cols);
    run_phase(&m, d->steps_min, 1, 0, buf, cols);
    sm_theta_acf(buf + (size_t)off * cols, d->win, cols, 0, nz, d->n_lag, o->acf_z);
    sm_theta_acf(buf + (size_t)off * cols, d->win, cols, cols - nz, nz, d->n_lag, o->acf_g);
    if (keep_samples) o->samples[PH_T_GEN] = dup_rows(buf, (size_t)d->steps_min * cols);
    o->acf_half_g = sm_theta_acf_cross(o->acf_g, d->n_lag, 0.5) * par.dt;
    o->acf_half_g_before = sm_theta_acf_cross(o->acf_g_before, d->n_lag, 0.5) * par.dt;
    o->acf_half_z = sm_theta_acf_cross(o->acf_z, d->n_lag, 0.5) * par.dt;
    o->protocol_wall_s = sm_theta_now() - t0;
    free(buf);
    sm_theta_latents_free(&m);
    return SM_OK;
}

static void seed_free(seed_out *o)
{
    free(o->err_t);
    free(o->err_p);
    free(o->err_g);
    free(o->acf_z);
    free(o->acf_g);
    free(o->acf_g_before);
    for (int p = 0; p < N_PH; p++)
        free(o->samples[p]);
}

static sm_status write_csv_errors(const sm_experiment_ctx *ctx, const seed_out *o, int n_seeds,
                                  sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, "errors.csv", path, sizeof path)) return SM_OK;
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "t_min,err_p,err_g");
    for (int s = 0; s < n_seeds; s++)
        fprintf(f.fp, ",err_p_seed%d,err_g_seed%d", s + 1, s + 1);
    fprintf(f.fp, "\n");
    double *tp = malloc(sizeof(double) * (size_t)n_seeds),
           *tg = malloc(sizeof(double) * (size_t)n_seeds);
    for (int r = 0; r < o[0].n_err; r++) {
        for (int s = 0; s < n_seeds; s++) {
            tp[s] = o[s].err_p[r];
            tg[s] = o[s].err_g[r];
        }
        fprintf(f.fp, "%.6g,%.9g,%.9g", o[0].err_t[r], sm_theta_median(tp, n_seeds),
                sm_theta_median(tg, n_seeds));
        for (int s = 0; s < n_seeds; s++)
            fprintf(f.fp, ",%.9g,%.9g", tp[s], tg[s]);
        fprintf(f.fp, "\n");
    }
    free(tp);
    free(tg);
    return sm_atomic_commit(&f, err);
}

static sm_status plot_errors(const sm_experiment_ctx *ctx, const seed_out *o, int n_seeds,
                             sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, "errors.png", path, sizeof path)) return SM_OK;
    const int n = o[0].n_err;
    if (n < 1) return SM_OK; /* training shorter than one record interval */
    double *lp = malloc(sizeof(double) * (size_t)n), *lg = malloc(sizeof(double) * (size_t)n);
    double *tp = malloc(sizeof(double) * (size_t)n_seeds),
           *tg = malloc(sizeof(double) * (size_t)n_seeds);
    for (int r = 0; r < n; r++) {
        for (int s = 0; s < n_seeds; s++) {
            tp[s] = o[s].err_p[r];
            tg[s] = o[s].err_g[r];
        }
        const double mp = sm_theta_median(tp, n_seeds), mg = sm_theta_median(tg, n_seeds);
        lp[r] = mp; /* the log axis leaves out values <= 0 */
        lg[r] = mg;
    }
    sm_plot_series s[2] = {{0}};
    s[0].label = "sensory <|p_A - p_B|>";
    s[0].x = o[0].err_t;
    s[0].y = lp;
    s[0].n = n;
    s[0].style = SM_PLOT_LINE;
    s[0].color = SM_PLOT_GREEN;
    s[1].label = "hidden <|g_A - g_B|>";
    s[1].x = o[0].err_t;
    s[1].y = lg;
    s[1].n = n;
    s[1].style = SM_PLOT_LINE;
    s[1].color = SM_PLOT_BLUE;
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = "theta-latents: prediction errors during training (median over seeds)";
    spec.xlabel = "training time (min)";
    spec.ylabel = "prediction error (log scale)";
    spec.ylog = 1; /* as the paper's Fig 2b */
    spec.ymin = 0.01;
    spec.ymax = 1.0;
    sm_status st = sm_plot_lines(path, &spec, s, 2, err);
    free(lp);
    free(lg);
    free(tp);
    free(tg);
    return st;
}

static sm_status write_samples(const sm_experiment_ctx *ctx, const seed_out *o, const run_dims *d,
                               int nz, double dt, sm_error *err)
{
    char path[4096];
    sm_status st = SM_OK;
    for (int p = 0; p < N_PH; p++)
        if (!o->samples[p]) return SM_OK;
    if (sm_experiment_file(ctx, "samples.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st != SM_OK) return st;
        fprintf(f.fp, "phase,t_s");
        for (int i = 0; i < nz; i++)
            fprintf(f.fp, ",z%d", i);
        for (int i = 0; i < SAMPLE_P; i++)
            fprintf(f.fp, ",pB%d", i);
        for (int i = 0; i < SAMPLE_P; i++)
            fprintf(f.fp, ",pA%d", i);
        for (int i = 0; i < nz; i++)
            fprintf(f.fp, ",g%d", i);
        fprintf(f.fp, "\n");
        for (int p = 0; p < N_PH; p++)
            for (int s = 0; s < d->steps_min; s++) {
                const float *row = o->samples[p] + (size_t)s * d->cols;
                fprintf(f.fp, "%s,%.4f", PHASE_NAME[p], (s + 1) * dt);
                for (int c = 0; c < d->cols; c++)
                    fprintf(f.fp, ",%.6g", row[c]);
                fprintf(f.fp, "\n");
            }
        st = sm_atomic_commit(&f, err);
        if (st != SM_OK) return st;
    }
    /* samples.png: trained, inference mode: p_B (soma) and p_A (apical prediction) of
     * sensory unit 0 over the first 20 s (Fig. 2c) */
    if (sm_experiment_file(ctx, "samples.png", path, sizeof path)) {
        const int n = d->steps_min < (int)(20.0 / dt) ? d->steps_min : (int)(20.0 / dt);
        double *t = malloc(sizeof(double) * (size_t)n * 5);
        if (!t) return sm_error_set(err, SM_ENOMEM, "theta-latents: out of memory");
        double *yb = t + n, *ya = t + (size_t)2 * n, *yb0 = t + (size_t)3 * n,
               *ya0 = t + (size_t)4 * n;
        for (int s = 0; s < n; s++) {
            t[s] = (s + 1) * dt;
            yb[s] = o->samples[PH_T_INF][(size_t)s * d->cols + nz];
            ya[s] = o->samples[PH_T_INF][(size_t)s * d->cols + nz + SAMPLE_P];
            yb0[s] = o->samples[PH_U_INF][(size_t)s * d->cols + nz];
            ya0[s] = o->samples[PH_U_INF][(size_t)s * d->cols + nz + SAMPLE_P];
        }
        sm_plot_series s[4] = {{0}};
        const char *lab[4] = {"trained p_B (basal = soma)", "trained p_A (top-down prediction)",
                              "untrained p_B", "untrained p_A"};
        const double *ys[4] = {yb, ya, yb0, ya0};
        for (int i = 0; i < 4; i++) {
            s[i].label = lab[i];
            s[i].x = t;
            s[i].y = ys[i];
            s[i].n = n;
            s[i].style = SM_PLOT_LINE;
            s[i].dashed = i >= 2;
            s[i].color = (i % 2) ? SM_PLOT_ORANGE : SM_PLOT_GREEN;
        }
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-latents: sensory unit 0 in inference mode (Fig. 2c)";
        spec.xlabel = "time (s)";
        spec.ylabel = "rate";
        spec.legend = SM_PLOT_LEGEND_OUTSIDE;
        st = sm_plot_lines(path, &spec, s, 4, err);
        free(t);
    }
    return st;
}

static sm_status write_autocorr(const sm_experiment_ctx *ctx, const seed_out *o, int n_seeds,
                                const run_dims *d, double dt, sm_error *err)
{
    char path[4096];
    double *lag = malloc(sizeof(double) * (size_t)d->n_lag * 4);
    if (!lag) return sm_error_set(err, SM_ENOMEM, "theta-latents: out of memory");
    double *az = lag + d->n_lag, *ag = lag + (size_t)2 * d->n_lag, *ab = lag + (size_t)3 * d->n_lag;
    double *tmp = malloc(sizeof(double) * (size_t)n_seeds * 3);
    for (int L = 0; L < d->n_lag; L++) {
        lag[L] = L * dt;
        for (int s = 0; s < n_seeds; s++) {
            tmp[s] = o[s].acf_z[L];
            tmp[n_seeds + s] = o[s].acf_g[L];
            tmp[2 * n_seeds + s] = o[s].acf_g_before[L];
        }
        az[L] = sm_theta_median(tmp, n_seeds);
        ag[L] = sm_theta_median(tmp + n_seeds, n_seeds);
        ab[L] = sm_theta_median(tmp + (size_t)2 * n_seeds, n_seeds);
    }
    free(tmp);
    sm_status st = SM_OK;
    if (sm_experiment_file(ctx, "autocorr.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "lag_s,acf_z,acf_g_trained,acf_g_untrained\n");
            for (int L = 0; L < d->n_lag; L++)
                fprintf(f.fp, "%.4f,%.6g,%.6g,%.6g\n", lag[L], az[L], ag[L], ab[L]);
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK && sm_experiment_file(ctx, "autocorr.png", path, sizeof path)) {
        sm_plot_series s[3] = {{0}};
        const char *lab[3] = {"latents z", "generated g (trained)", "generated g (untrained)"};
        const double *ys[3] = {az, ag, ab};
        const int col[3] = {SM_PLOT_PURPLE, SM_PLOT_BLUE, SM_PLOT_BLACK};
        for (int i = 0; i < 3; i++) {
            s[i].label = lab[i];
            s[i].x = lag;
            s[i].y = ys[i];
            s[i].n = d->n_lag;
            s[i].style = SM_PLOT_LINE;
            s[i].color = col[i];
            s[i].dashed = i == 2;
        }
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-latents: mean autocorrelation in generative mode (Fig. 2d, S1)";
        spec.xlabel = "lag (s)";
        spec.ylabel = "autocorrelation";
        st = sm_plot_lines(path, &spec, s, 3, err);
    }
    free(lag);
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int n_seeds = cfg->theta.seeds;
    const double dt = cfg->theta.dt;
    run_dims d;
    d.steps_min = (int)llround(60.0 / dt);
    d.cols = 2 * cfg->theta.n_latent + 2 * SAMPLE_P;
    d.n_lag = (int)llround(4.0 / dt) + 1;
    d.win = (int)llround(50.0 / dt);
    if (d.win > d.steps_min) d.win = d.steps_min;
    d.train_steps = (int64_t)llround(cfg->theta.train_min * 60.0 / dt);
    d.record_every = (int)llround(10.0 / dt);
    if (d.record_every < 1) d.record_every = 1;
    if (d.n_lag >= d.win)
        return sm_error_set(err, SM_EINVAL, "theta-latents: theta.dt too large for 4 s lags");
    seed_out *o = calloc((size_t)n_seeds, sizeof(seed_out));
    if (!o) return sm_error_set(err, SM_ENOMEM, "theta-latents: out of memory");
    sm_status st = SM_OK;
    for (int s = 0; s < n_seeds && st == SM_OK; s++) {
        const uint64_t seed = (uint64_t)cfg->run.seed + (uint64_t)s;
        st = run_seed(ctx, seed, &d, s == 0, &o[s], err);
        if (st == SM_OK &&
            sm_experiment_log(ctx,
                              "theta-latents seed %llu: errors at %.4g min: hidden %.4f, sensory "
                              "%.4f (1 min: %.4f, %.4f); r(p_A,p_B) %.3f; %lld steps in %.3f s",
                              (unsigned long long)seed, cfg->theta.train_min, o[s].err_g_final,
                              o[s].err_p_final, o[s].err_g_1min, o[s].err_p_1min, o[s].r_pa_pb,
                              (long long)d.train_steps, o[s].train_wall_s))
            st = sm_error_set(err, SM_ECANCELED, "theta-latents: stopped");
    }
    if (st == SM_OK) st = write_csv_errors(ctx, o, n_seeds, err);
    if (st == SM_OK) st = plot_errors(ctx, o, n_seeds, err);
    if (st == SM_OK) st = write_samples(ctx, &o[0], &d, cfg->theta.n_latent, dt, err);
    if (st == SM_OK) st = write_autocorr(ctx, o, n_seeds, &d, dt, err);
    if (st == SM_OK) {
        double *v = malloc(sizeof(double) * (size_t)n_seeds * 14);
#define COL(i) (v + (size_t)(i)*n_seeds)
        for (int s = 0; s < n_seeds; s++) {
            COL(0)[s] = o[s].err_g_final;
            COL(1)[s] = o[s].err_p_final;
            COL(2)[s] = o[s].err_g_1min;
            COL(3)[s] = o[s].err_p_1min;
            COL(4)[s] = o[s].acf_half_g;
            COL(5)[s] = o[s].r_pa_pb;
            COL(6)[s] = o[s].acf_half_z;
            COL(7)[s] = o[s].acf_half_g_before;
            COL(8)[s] = o[s].err_g_post;
            COL(9)[s] = o[s].err_p_post;
            COL(10)[s] = o[s].train_wall_s;
            COL(11)[s] = o[s].protocol_wall_s;
            COL(12)[s] = o[s].err_g_1min / o[s].err_g_final;
            COL(13)[s] = o[s].train_cpu_s;
        }
        static const char *const KEYS[14] = {"final_err_hidden",
                                             "final_err_sensory",
                                             "err_hidden_1min",
                                             "err_sensory_1min",
                                             "acf_half_lag_s",
                                             "r_pA_pB",
                                             "acf_half_lag_latent_s",
                                             "acf_half_lag_untrained_s",
                                             "post_err_hidden_inference",
                                             "post_err_sensory_inference",
                                             "train_wall_s",
                                             "protocol_wall_s",
                                             "hidden_1min_over_final",
                                             "train_cpu_s"};
        json_t *res = json_object(), *per = json_object();
        for (int k = 0; k < 14; k++) {
            json_object_set_new(res, KEYS[k], sm_theta_jreal(sm_theta_median(COL(k), n_seeds)));
            json_object_set_new(per, KEYS[k], sm_theta_jarray(COL(k), n_seeds));
        }
        double mx = 0;
        for (int s = 0; s < n_seeds; s++)
            mx = COL(10)[s] > mx ? COL(10)[s] : mx;
#undef COL
        json_object_set_new(res, "train_wall_s_max", sm_theta_jreal(mx));
        json_object_set_new(res, "statistic", json_string("median over seeds"));
        json_object_set_new(res, "seeds", json_integer(n_seeds));
        json_object_set_new(res, "first_seed", json_integer((json_int_t)cfg->run.seed));
        json_object_set_new(res, "train_steps", json_integer((json_int_t)d.train_steps));
        json_object_set_new(res, "per_seed", per);
        json_t *paper = json_object();
        json_object_set_new(paper, "fig2b_err_hidden", json_real(0.03));
        json_object_set_new(paper, "fig2b_err_sensory", json_real(0.12));
        json_object_set_new(paper, "notebook_err_hidden", json_real(0.067));
        json_object_set_new(paper, "notebook_err_sensory", json_real(0.217));
        json_object_set_new(paper, "notebook_post_inference_hidden", json_real(0.064));
        json_object_set_new(paper, "notebook_post_inference_sensory", json_real(0.165));
        json_object_set_new(paper, "latent_acf_half_lag_s", json_real(sqrt(2.0 * log(2.0))));
        json_object_set_new(res, "paper", paper);
        *results = res;
        free(v);
    }
    for (int s = 0; s < n_seeds; s++)
        seed_free(&o[s]);
    free(o);
    return st;
}

const sm_experiment_def sm_exp_theta_latents = {
    "theta-latents",
    "theta-gated Helmholtz machine, task A: temporally varying latents (George et al. 2023, "
    "Fig. 2, S1)",
    DEFAULTS, QUICK, run};
