/* Experiment theta-pathint: task B of the theta-gated Helmholtz machine, path integration
 * on a ring (George et al. 2023, Fig. 3; spec theta-helmholtz.md sections 7, 9 and 10), on
 * theta.seeds seeds from run.seed. Per seed, as the reference notebook figs34.ipynb:
 * train theta.train_min min; fit a ridge decoder from p's rates to (cos, sin)(2 pi x / L)
 * on the last 10 min of training (10 samples/s); then theta.pi_repeats times: spin-up
 * theta.pi_spinup_s with normal theta and no noise, then theta.pi_test_s in generative
 * mode (sensory input lesioned), decoding p every step. The untrained control runs the same
 * protocol with every learning rate 0. Files: errors.csv/png, pi_error.csv/png,
 * ratemaps.npy (g's basal rate maps, units sorted by their peak, n x 100 bins),
 * ratemaps_p.npy, weights_sorted.npy (3 x n x n: g->g, left and right CVC->g blocks, rows
 * and columns in that order). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/theta_common.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/npy.h"

static const char *const DEFAULTS[] = {"theta.task=pathint", "theta.eta=0.01",
                                       "theta.w_init_rec=0.2", NULL};
static const char *const QUICK[] = {"theta.seeds=1", "theta.train_min=5", NULL};

#define N_BINS 100

typedef struct pi_seed {
    double err_p_final, err_g_final, pi_1s, pi_1s_untrained, train_wall_s, train_cpu_s;
    double *err_p, *err_g; /* every 10 s */
    int n_err;
    double *pi_err; /* repeats x (spin + test) */
} pi_seed;

static int cmp_peak(const void *a, const void *b)
{
    const int *x = a, *y = b; /* (peak bin, unit): by peak, ties by unit */
    if (x[0] != y[0]) return (x[0] > y[0]) - (x[0] < y[0]);
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* ratemaps.npy, ratemaps_p.npy and weights_sorted.npy of a trained model */
static sm_status write_maps(const sm_experiment_ctx *ctx, const sm_theta_pathint *m, sm_error *err)
{
    char path[4096];
    const int n = m->par.n;
    float *pm = malloc(sizeof(float) * (size_t)N_BINS * n);
    float *gm = malloc(sizeof(float) * (size_t)N_BINS * n);
    float *out = malloc(sizeof(float) * (size_t)3 * n * n);
    int *order = malloc(sizeof(int) * (size_t)2 * n);
    sm_status st = SM_OK;
    if (!pm || !gm || !out || !order) {
        st = sm_error_set(err, SM_ENOMEM, "theta-pathint: out of memory for the rate maps");
        goto done;
    }
    sm_theta_pathint_ratemaps(m, N_BINS, pm, gm);
    /* sort g's units by the bin of their peak basal rate (the reference's argsort) */
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int b = 1; b < N_BINS; b++)
            if (gm[(size_t)b * n + i] > gm[(size_t)best * n + i]) best = b;
        order[(size_t)2 * i] = best;
        order[(size_t)2 * i + 1] = i;
    }
    qsort(order, (size_t)n, 2 * sizeof(int), cmp_peak);
    /* units x bins, sorted */
    for (int r = 0; r < n; r++)
        for (int b = 0; b < N_BINS; b++)
            out[(size_t)r * N_BINS + b] = gm[(size_t)b * n + order[2 * r + 1]];
    if (sm_experiment_file(ctx, "ratemaps.npy", path, sizeof path)) {
        st = sm_npy_write_matrix(path, SM_NPY_F32, (size_t)n, N_BINS, out, err);
        if (st != SM_OK) goto done;
    }
    for (int r = 0; r < n; r++)
        for (int b = 0; b < N_BINS; b++)
            out[(size_t)r * N_BINS + b] = pm[(size_t)b * n + r];
    if (sm_experiment_file(ctx, "ratemaps_p.npy", path, sizeof path)) {
        st = sm_npy_write_matrix(path, SM_NPY_F32, (size_t)n, N_BINS, out, err);
        if (st != SM_OK) goto done;
    }
    for (int r = 0; r < n; r++) {
        const int i = order[2 * r + 1];
        for (int c = 0; c < n; c++) {
            const int j = order[2 * c + 1];
            out[(size_t)r * n + c] = m->g_rec->w[(size_t)i * n + j];
            out[(size_t)n * n + (size_t)r * n + c] = m->g_cvc->w[(size_t)i * 2 * n + j];
            out[(size_t)2 * n * n + (size_t)r * n + c] = m->g_cvc->w[(size_t)i * 2 * n + n + j];
        }
    }
    if (sm_experiment_file(ctx, "weights_sorted.npy", path, sizeof path)) {
        const size_t shape[3] = {3, (size_t)n, (size_t)n};
        st = sm_npy_write(path, SM_NPY_F32, 3, shape, out, err);
    }
done:
    free(pm);
    free(gm);
    free(out);
    free(order);
    return st;
}

/* Trains a model of this seed (eta as configured, or 0), fits the decoder and runs the
 * PI test. err_p/err_g (may be NULL) get the error averages every 10 s. */
static sm_status train_and_test(const sm_experiment_ctx *ctx, uint64_t seed, int learn, int write,
                                pi_seed *o, double *pi_err, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    if (!pi_err) return sm_error_set(err, SM_EINVAL, "theta-pathint: no buffer for the PI test");
    sm_theta_pathint_params par;
    sm_theta_pathint_params_from_config(&par, cfg);
    par.seed = seed;
    if (!learn) par.eta = 0;
    sm_theta_pathint m;
    sm_status st = sm_theta_pathint_init(&m, &par, err);
    if (st != SM_OK) return st;
    const double dt = par.dt;
    const int64_t train = (int64_t)llround(cfg->theta.train_min * 60.0 / dt);
    const int sample_every = (int)fmax(1, llround(0.1 / dt));
    const int err_every = (int)fmax(1, llround(10.0 / dt));
    sm_theta_rec rec;
    st = sm_theta_rec_init(&rec, par.n, (int)llround(600.0 / (sample_every * dt)), err);
    if (st != SM_OK) {
        sm_theta_pathint_free(&m);
        return st;
    }
    const int max_err = (int)(train / err_every);
    if (learn) {
        o->err_p = calloc((size_t)max_err + 1, sizeof(double));
        o->err_g = calloc((size_t)max_err + 1, sizeof(double));
    }
    const double t0 = sm_theta_now(), c0 = sm_theta_cpu_now();
    sm_theta_pi_run(&m, train, learn, &rec, sample_every, err_every, learn ? o->err_p : NULL,
                    learn ? o->err_g : NULL, max_err, &o->n_err);
    if (learn) {
        o->train_wall_s = sm_theta_now() - t0;
        o->train_cpu_s = sm_theta_cpu_now() - c0;
        o->err_p_final = m.p.err.value;
        o->err_g_final = m.g.err.value;
    }
    sm_theta_decoder dec;
    st = sm_theta_decoder_fit(&dec, &rec, cfg->theta.decoder, 0.01, par.track_len, err);
    sm_theta_rec_free(&rec);
    if (st == SM_OK) {
        const int64_t spin = llround(cfg->theta.pi_spinup_s / dt);
        const int64_t test = llround(cfg->theta.pi_test_s / dt);
        const int reps = cfg->theta.pi_repeats;
        sm_theta_pi_test(&m, &dec, spin, test, reps, pi_err);
        int64_t at = spin + llround(1.0 / dt) - 1;
        if (at >= spin + test) at = spin + test - 1;
        double s = 0;
        for (int r = 0; r < reps; r++)
            s += pi_err[(size_t)r * (spin + test) + at];
        if (learn)
            o->pi_1s = s / reps;
        else
            o->pi_1s_untrained = s / reps;
        sm_theta_decoder_free(&dec);
        if (write) st = write_maps(ctx, &m, err);
    }
    sm_theta_pathint_free(&m);
    return st;
}

static sm_status write_outputs(const sm_experiment_ctx *ctx, const pi_seed *o, int n_seeds,
                               int64_t spin, int64_t test, int reps, double dt, sm_error *err)
{
    char path[4096];
    sm_status st = SM_OK;
    const int64_t per = spin + test;
    const int tot = n_seeds * reps;
    if (per < 1) return SM_OK;
    double *t = malloc(sizeof(double) * (size_t)per * 3);
    if (!t) return sm_error_set(err, SM_ENOMEM, "theta-pathint: out of memory");
    double *mean = t + per, *sem = t + (size_t)2 * per;
    for (int64_t s = 0; s < per; s++) {
        double a = 0, b = 0;
        for (int k = 0; k < n_seeds; k++)
            for (int r = 0; r < reps; r++) {
                const double e = o[k].pi_err[(size_t)r * per + s];
                a += e;
                b += e * e;
            }
        t[s] = (double)(s + 1 - spin) * dt;
        mean[s] = a / tot;
        sem[s] = tot > 1 ? sqrt(fmax(0, (b - a * a / tot) / (tot - 1)) / tot) : 0;
    }
    if (sm_experiment_file(ctx, "pi_error.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "t_s,mean_m,sem_m\n");
            for (int64_t s = 0; s < per; s++)
                fprintf(f.fp, "%.4f,%.6g,%.6g\n", t[s], mean[s], sem[s]);
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK && sm_experiment_file(ctx, "pi_error.png", path, sizeof path)) {
        double chance[2] = {0.25, 0.25}, cx[2] = {t[0], t[per - 1]};
        sm_plot_series s[2] = {{0}};
        s[0].label = "decoded error (mean +- sem)";
        s[0].x = t;
        s[0].y = mean;
        s[0].err_lo = sem;
        s[0].n = (int)per;
        s[0].style = SM_PLOT_LINE | SM_PLOT_BAND;
        s[0].color = SM_PLOT_VERMILLION;
        s[1].label = "chance (0.25 m)";
        s[1].x = cx;
        s[1].y = chance;
        s[1].n = 2;
        s[1].style = SM_PLOT_LINE;
        s[1].dashed = 1;
        s[1].color = SM_PLOT_BLACK;
        double bs = t[0], be = 0;
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-pathint: path integration with sensory input lesioned (t > 0)";
        spec.xlabel = "time from the switch to generative mode (s)";
        spec.ylabel = "decoded position error (m)";
        spec.band_start = &bs;
        spec.band_end = &be;
        spec.n_bands = 1;
        spec.band_label = "spin-up (normal theta)";
        spec.ymin = 0;
        spec.ymax = 0.5;
        st = sm_plot_lines(path, &spec, s, 2, err);
    }
    if (st == SM_OK && sm_experiment_file(ctx, "errors.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "t_min,err_p,err_g\n");
            double *a = malloc(sizeof(double) * (size_t)n_seeds * 2);
            for (int r = 0; r < o[0].n_err; r++) {
                for (int k = 0; k < n_seeds; k++) {
                    a[k] = o[k].err_p[r];
                    a[n_seeds + k] = o[k].err_g[r];
                }
                fprintf(f.fp, "%.6g,%.9g,%.9g\n", (r + 1) * 10.0 / 60.0,
                        sm_theta_median(a, n_seeds), sm_theta_median(a + n_seeds, n_seeds));
            }
            free(a);
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK && sm_experiment_file(ctx, "errors.png", path, sizeof path)) {
        const int n = o[0].n_err;
        double *x = n > 0 ? malloc(sizeof(double) * (size_t)n * 3) : NULL;
        double *a = malloc(sizeof(double) * (size_t)n_seeds * 2);
        if (!x || !a) {
            free(x);
            free(a);
            free(t);
            return n > 0 ? sm_error_set(err, SM_ENOMEM, "theta-pathint: out of memory") : SM_OK;
        }
        double *lp = x + n, *lg = x + (size_t)2 * n;
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < n_seeds; k++) {
                a[k] = o[k].err_p[r];
                a[n_seeds + k] = o[k].err_g[r];
            }
            const double mp = sm_theta_median(a, n_seeds),
                         mg = sm_theta_median(a + n_seeds, n_seeds);
            x[r] = (r + 1) * 10.0 / 60.0;
            lp[r] = mp; /* the log axis leaves out values <= 0 */
            lg[r] = mg;
        }
        sm_plot_series s[2] = {{0}};
        s[0].label = "sensory p (HPC)";
        s[0].x = x;
        s[0].y = lp;
        s[0].n = n;
        s[0].style = SM_PLOT_LINE;
        s[0].color = SM_PLOT_GREEN;
        s[1].label = "hidden g (MEC)";
        s[1].x = x;
        s[1].y = lg;
        s[1].n = n;
        s[1].style = SM_PLOT_LINE;
        s[1].color = SM_PLOT_BLUE;
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = "theta-pathint: prediction errors during training (median over seeds)";
        spec.xlabel = "training time (min)";
        spec.ylabel = "prediction error (log scale)";
        spec.ylog = 1;
        st = sm_plot_lines(path, &spec, s, 2, err);
        free(x);
        free(a);
    }
    free(t);
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int n_seeds = cfg->theta.seeds, reps = cfg->theta.pi_repeats;
    const double dt = cfg->theta.dt;
    const int64_t spin = llround(cfg->theta.pi_spinup_s / dt),
                  test = llround(cfg->theta.pi_test_s / dt);
    if (test < 1) return sm_error_set(err, SM_EINVAL, "theta-pathint: theta.pi_test_s < theta.dt");
    if (cfg->theta.train_min * 60.0 < 1.0)
        return sm_error_set(err, SM_EINVAL, "theta-pathint: theta.train_min must give >= 1 s");
    pi_seed *o = calloc((size_t)n_seeds, sizeof(pi_seed));
    double *scratch = malloc(sizeof(double) * (size_t)reps * (spin + test));
    if (!o || !scratch) {
        free(o);
        free(scratch);
        return sm_error_set(err, SM_ENOMEM, "theta-pathint: out of memory");
    }
    sm_status st = SM_OK;
    for (int k = 0; k < n_seeds && st == SM_OK; k++) {
        const uint64_t seed = (uint64_t)cfg->run.seed + (uint64_t)k;
        o[k].pi_err = malloc(sizeof(double) * (size_t)reps * (spin + test));
        if (!o[k].pi_err) st = sm_error_set(err, SM_ENOMEM, "theta-pathint: out of memory");
        if (st == SM_OK) st = train_and_test(ctx, seed, 1, k == 0, &o[k], o[k].pi_err, err);
        if (st == SM_OK) st = train_and_test(ctx, seed, 0, 0, &o[k], scratch, err);
        if (st == SM_OK &&
            sm_experiment_log(ctx,
                              "theta-pathint seed %llu: end errors p %.4f, g %.4f; PI error 1 s "
                              "into generative mode %.3f m (untrained %.3f m); training %.2f s",
                              (unsigned long long)seed, o[k].err_p_final, o[k].err_g_final,
                              o[k].pi_1s, o[k].pi_1s_untrained, o[k].train_wall_s))
            st = sm_error_set(err, SM_ECANCELED, "theta-pathint: stopped");
    }
    if (st == SM_OK) st = write_outputs(ctx, o, n_seeds, spin, test, reps, dt, err);
    if (st == SM_OK) {
        double *v = malloc(sizeof(double) * (size_t)n_seeds * 6);
        for (int k = 0; k < n_seeds; k++) {
            v[k] = o[k].pi_1s;
            v[n_seeds + k] = o[k].pi_1s_untrained;
            v[2 * n_seeds + k] = o[k].err_p_final;
            v[3 * n_seeds + k] = o[k].err_g_final;
            v[4 * n_seeds + k] = o[k].train_wall_s;
            v[5 * n_seeds + k] = o[k].train_cpu_s;
        }
        static const char *const KEYS[6] = {"pi_error_1s_m",     "pi_error_1s_untrained_m",
                                            "final_err_sensory", "final_err_hidden",
                                            "train_wall_s",      "train_cpu_s"};
        json_t *res = json_object(), *per = json_object(), *msd = json_object();
        for (int i = 0; i < 6; i++) {
            double mean, sd;
            sm_theta_mean_sd(v + (size_t)i * n_seeds, n_seeds, &mean, &sd);
            json_object_set_new(res, KEYS[i],
                                sm_theta_jreal(sm_theta_median(v + (size_t)i * n_seeds, n_seeds)));
            json_object_set_new(per, KEYS[i], sm_theta_jarray(v + (size_t)i * n_seeds, n_seeds));
            json_t *p = json_object();
            json_object_set_new(p, "mean", sm_theta_jreal(mean));
            json_object_set_new(p, "sd", sm_theta_jreal(sd));
            json_object_set_new(msd, KEYS[i], p);
        }
        json_object_set_new(res, "pi_error_chance_m", json_real(0.25 * cfg->theta.track_len));
        json_object_set_new(res, "statistic", json_string("median over seeds"));
        json_object_set_new(res, "seeds", json_integer(n_seeds));
        json_object_set_new(res, "pi_repeats", json_integer(reps));
        json_object_set_new(res, "train_steps",
                            json_integer((json_int_t)llround(cfg->theta.train_min * 60.0 / dt)));
        json_object_set_new(res, "mean_sd", msd);
        json_object_set_new(res, "per_seed", per);
        json_t *paper = json_object();
        json_object_set_new(paper, "notebook_err_sensory", json_real(0.048));
        json_object_set_new(paper, "notebook_err_hidden", json_real(0.024));
        json_object_set_new(res, "paper", paper);
        *results = res;
        free(v);
    }
    for (int k = 0; k < n_seeds; k++) {
        free(o[k].err_p);
        free(o[k].err_g);
        free(o[k].pi_err);
    }
    free(o);
    free(scratch);
    return st;
}

const sm_experiment_def sm_exp_theta_pathint = {
    "theta-pathint",
    "theta-gated Helmholtz machine, task B: path integration on a ring (George et al. 2023, "
    "Fig. 3)",
    DEFAULTS, QUICK, run};
