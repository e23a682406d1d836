/* Arms x seeds of the loss-of-plasticity protocols and their summary (plasticity_arms.h). */
#include "protocol/experiments/plasticity_arms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "protocol/experiments/run_cache.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/train.h"

/* One run's per-chunk series (chunks 0..K) and summary. */
typedef struct run_out {
    double auc, pr_final;
    double *acc, *pr, *dormant, *srank; /* K + 1 each */
} run_out;

/* A JSON real, or null for NaN (JSON has no NaN). */
static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double num(json_t *a, size_t i)
{
    json_t *v = json_array_get(a, i);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static sm_status run_one(const sm_experiment_ctx *ctx, const sm_pl_arm *arm, int64_t seed,
                         const sm_train_data *data, const char *layer, int K, run_out *o,
                         sm_error *err)
{
    sm_config cfg = *ctx->cfg;
    sm_status st = SM_OK;
    for (int i = 0; arm->sets[i] && st == SM_OK; i++)
        st = sm_config_set_assignment(&cfg, arm->sets[i], arm->arm, err);
    cfg.run.seed = seed;
    if (st != SM_OK) return st;
    char hash[17];
    sm_sweep_config_hash(&cfg, hash);
    json_t *doc = sm_run_cache_get(ctx, hash); /* kept by an earlier call with --runs */
    if (!doc) {
        st = sm_train_run(&cfg, data, NULL, NULL, &doc, err);
        if (st == SM_OK) st = sm_run_cache_put(ctx, hash, doc, err);
        if (st != SM_OK) {
            json_decref(doc);
            return st;
        }
    }
    json_t *ch = json_object_get(doc, "chunks"), *fin = json_object_get(doc, "final");
    char key[64];
    o->auc = json_number_value(json_object_get(fin, "auc"));
    json_t *pf = json_object_get(fin, "pr_final");
    o->pr_final = json_is_number(pf) ? json_number_value(pf) : NAN;
    for (int k = 0; k <= K; k++) {
        o->acc[k] = num(json_object_get(ch, "acc"), (size_t)k);
        o->pr[k] = num(json_object_get(ch, "pr"), (size_t)k);
        snprintf(key, sizeof key, "diag_%s_dormant_0.1", layer);
        o->dormant[k] = num(json_object_get(ch, key), (size_t)k);
        snprintf(key, sizeof key, "diag_%s_srank_frac", layer);
        o->srank[k] = num(json_object_get(ch, key), (size_t)k);
    }
    json_decref(doc);
    return SM_OK;
}

/* Mean and sd of the finite values of v[0..n) with stride. */
static void mean_sd(const double *v, int n, size_t stride, double *mean, double *sd)
{
    double s = 0, q = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        if (isfinite(x)) {
            s += x;
            q += x * x;
            m++;
        }
    }
    *mean = m ? s / m : NAN;
    *sd = m > 1 ? sqrt(fmax(0, (q - s * s / m) / (m - 1))) : (m ? 0 : NAN);
}

/* A figure of one per-chunk series per arm (mean +- sd over seeds). */
static sm_status chunk_plot(const sm_experiment_ctx *ctx, const char *file, const char *title,
                            const char *ylabel, const sm_pl_arm *arms, int n_arms, int S, int K,
                            double *const *series, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, file, path, sizeof path)) return SM_OK;
    sm_plot_series *s = calloc((size_t)n_arms, sizeof *s);
    double *buf = malloc((size_t)n_arms * 3 * (K + 1) * sizeof *buf);
    char(*labels)[96] = malloc((size_t)n_arms * sizeof *labels);
    if (!s || !buf || !labels) {
        free(s);
        free(buf);
        free(labels);
        return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    }
    for (int a = 0; a < n_arms; a++) {
        double *x = buf + (size_t)a * 3 * (K + 1), *y = x + K + 1, *e = y + K + 1;
        for (int k = 0; k <= K; k++) {
            x[k] = k;
            mean_sd(series[a] + k, S, (size_t)K + 1, &y[k], &e[k]);
            if (!isfinite(e[k])) e[k] = 0;
        }
        snprintf(labels[a], sizeof labels[a], "%s %s", arms[a].protocol, arms[a].arm);
        s[a] = (sm_plot_series){.label = labels[a], .x = x, .y = y, .err_lo = e, .n = K + 1};
    }
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = "chunk (0 = before training)";
    spec.ylabel = ylabel;
    sm_status st = sm_plot_lines(path, &spec, s, n_arms, err);
    free(s);
    free(buf);
    free(labels);
    return st;
}

/* auc by arm (categorical x, in first-appearance order), one series per protocol. */
static sm_status auc_plot(const sm_experiment_ctx *ctx, const sm_pl_arm *arms, int n_arms,
                          const double *auc_mean, const double *auc_sd, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, "auc.png", path, sizeof path)) return SM_OK;
    const char *names[64], *protos[16];
    int n_names = 0, n_protos = 0;
    for (int a = 0; a < n_arms; a++) {
        int i = 0, j = 0;
        while (i < n_names && strcmp(names[i], arms[a].arm) != 0)
            i++;
        if (i == n_names && n_names < 64) names[n_names++] = arms[a].arm;
        while (j < n_protos && strcmp(protos[j], arms[a].protocol) != 0)
            j++;
        if (j == n_protos && n_protos < 16) protos[n_protos++] = arms[a].protocol;
    }
    double x[16][64], y[16][64], e[16][64];
    int n[16] = {0};
    sm_plot_series s[16];
    for (int j = 0; j < n_protos; j++) {
        for (int a = 0; a < n_arms; a++) {
            if (strcmp(arms[a].protocol, protos[j]) != 0) continue;
            int i = 0;
            while (i < n_names && strcmp(names[i], arms[a].arm) != 0)
                i++;
            x[j][n[j]] = i + 0.1 * j; /* side by side */
            y[j][n[j]] = 100 * auc_mean[a];
            e[j][n[j]] = isfinite(auc_sd[a]) ? 100 * auc_sd[a] : 0;
            n[j]++;
        }
        s[j] = (sm_plot_series){.label = protos[j],
                                .x = x[j],
                                .y = y[j],
                                .err_lo = e[j],
                                .n = n[j],
                                .style = SM_PLOT_MARKERS};
    }
    char title[512] = "auc (%) by arm: x = ";
    for (int i = 0; i < n_names; i++) {
        size_t len = strlen(title);
        snprintf(title + len, sizeof title - len, "%d %s%s", i, names[i],
                 i + 1 < n_names ? ", " : "");
    }
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = "arm";
    spec.ylabel = "mean test accuracy over chunks (%)";
    return sm_plot_lines(path, &spec, s, n_protos, err);
}

static sm_status write_csv(const sm_experiment_ctx *ctx, json_t *arms_j, json_t *runs_j,
                           sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    sm_status st = SM_OK;
    if (sm_experiment_file(ctx, "arms.csv", path, sizeof path)) {
        if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
        fprintf(f.fp, "model,protocol,arm,auc,auc_sd,pr_final,mean_dormant,mean_srank,n_seeds\n");
        for (size_t i = 0; i < json_array_size(arms_j); i++) {
            json_t *a = json_array_get(arms_j, i);
            fprintf(f.fp, "%s,%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%lld\n",
                    json_string_value(json_object_get(a, "model")),
                    json_string_value(json_object_get(a, "protocol")),
                    json_string_value(json_object_get(a, "arm")),
                    json_number_value(json_object_get(a, "auc")),
                    json_number_value(json_object_get(a, "auc_sd")),
                    json_number_value(json_object_get(a, "pr_final")),
                    json_number_value(json_object_get(a, "mean_dormant")),
                    json_number_value(json_object_get(a, "mean_srank")),
                    (long long)json_integer_value(json_object_get(a, "n_seeds")));
        }
        if ((st = sm_atomic_commit(&f, err)) != SM_OK) return st;
    }
    if (sm_experiment_file(ctx, "runs.csv", path, sizeof path)) {
        if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
        fprintf(f.fp, "protocol,arm,seed,chunk,acc,pr,dormant,srank_frac\n");
        for (size_t i = 0; i < json_array_size(runs_j); i++) {
            json_t *r = json_array_get(runs_j, i);
            json_t *acc = json_object_get(r, "acc"), *pr = json_object_get(r, "pr");
            json_t *dm = json_object_get(r, "dormant"), *sr = json_object_get(r, "srank_frac");
            for (size_t k = 0; k < json_array_size(acc); k++)
                fprintf(f.fp, "%s,%s,%lld,%zu,%.17g,%.17g,%.17g,%.17g\n",
                        json_string_value(json_object_get(r, "protocol")),
                        json_string_value(json_object_get(r, "arm")),
                        (long long)json_integer_value(json_object_get(r, "seed")), k, num(acc, k),
                        num(pr, k), num(dm, k), num(sr, k));
        }
        st = sm_atomic_commit(&f, err);
    }
    return st;
}

static json_t *series_json(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

/* Runs every (arm, seed) of the grid, ctx->jobs side by side (0 = all cores), into the
 * per-run slices of acc, pr, dm, sr (K + 1 each) and auc, prf; each run is independent and
 * deterministic, so the numbers do not depend on jobs. Progress lines as runs finish. */
static sm_status run_all(const sm_experiment_ctx *ctx, const sm_pl_arm *arms, int n_arms, int S,
                         const sm_train_data *data, const char *layer, int K, double *acc,
                         double *pr, double *dm, double *sr, double *auc, double *prf,
                         sm_error *err)
{
    const int n = n_arms * S;
    int jobs = ctx->jobs;
#ifdef _OPENMP
    if (jobs <= 0) jobs = omp_get_num_procs();
#else
    jobs = 1;
#endif
    if (jobs > n) jobs = n;
    const size_t per = (size_t)S * (K + 1);
    sm_status first = SM_OK;
    sm_error first_err;
    sm_error_clear(&first_err);
    int stop = 0, done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs) if (jobs > 1)
    for (int t = 0; t < n; t++) {
        int skip;
#pragma omp atomic read
        skip = stop;
        if (skip) continue;
        const int a = t / S, s = t % S;
        const size_t at = (size_t)a * per + (size_t)s * (K + 1);
        run_out o = {NAN, NAN, acc + at, pr + at, dm + at, sr + at};
        const int64_t seed = ctx->cfg->run.seed + s;
        sm_error e;
        sm_error_clear(&e);
        const sm_status rs = run_one(ctx, &arms[a], seed, &data[s], layer, K, &o, &e);
#pragma omp critical(pl_runs)
        {
            if (rs != SM_OK && first == SM_OK) {
                first = rs;
                first_err = e;
                stop = 1;
            } else if (rs == SM_OK) {
                auc[(size_t)a * S + s] = o.auc;
                prf[(size_t)a * S + s] = o.pr_final;
                if (sm_experiment_log(ctx, "%s %s seed %lld [%d/%d]: auc %.3f pr_final %.3f",
                                      arms[a].protocol, arms[a].arm, (long long)seed, ++done, n,
                                      o.auc, o.pr_final))
                    stop = 1, first = first == SM_OK ? SM_ECANCELED : first;
            }
        }
    }
    if (first == SM_ECANCELED && first_err.code == SM_OK)
        return sm_error_set(err, SM_ECANCELED, "experiment: stopped by the caller");
    return first == SM_OK ? SM_OK : sm_error_set(err, first, "%s", first_err.msg);
}

sm_status sm_pl_run_arms(const sm_experiment_ctx *ctx, const sm_pl_arm *arms, int n_arms,
                         int n_seeds, const char *layer, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int K = ctx->cfg->protocol.chunks, S = n_seeds;
    const size_t per = (size_t)S * (K + 1);
    double *acc = malloc((size_t)n_arms * per * sizeof *acc);
    double *pr = malloc((size_t)n_arms * per * sizeof *pr);
    double *dm = malloc((size_t)n_arms * per * sizeof *dm);
    double *sr = malloc((size_t)n_arms * per * sizeof *sr);
    double *auc = malloc((size_t)n_arms * S * sizeof *auc);
    double *prf = malloc((size_t)n_arms * S * sizeof *prf);
    double *am = malloc((size_t)n_arms * 2 * sizeof *am);
    double **sa = malloc((size_t)n_arms * 3 * sizeof *sa);
    json_t *arms_j = json_array(), *runs_j = json_array();
    sm_status st = acc && pr && dm && sr && auc && prf && am && sa
                       ? SM_OK
                       : sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    const char *model = ctx->cfg->train.model == SM_MODEL_STDP ? "stdp" : "sgsnn";
    /* the data of each seed, loaded once: arms change no data.* key */
    sm_train_data *data = calloc((size_t)S, sizeof *data);
    if (!data && st == SM_OK) st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    for (int s = 0; s < S && st == SM_OK; s++) {
        sm_config c = *ctx->cfg;
        c.run.seed = ctx->cfg->run.seed + s;
        st = sm_train_data_load(&c, &data[s], err);
    }
    if (st == SM_OK)
        st = run_all(ctx, arms, n_arms, S, data, layer, K, acc, pr, dm, sr, auc, prf, err);
    for (int a = 0; a < n_arms && st == SM_OK; a++) {
        for (int s = 0; s < S; s++) { /* in (arm, seed) order, whatever order they ran in */
            const size_t at = (size_t)a * per + (size_t)s * (K + 1);
            json_array_append_new(
                runs_j,
                json_pack(
                    "{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "protocol", arms[a].protocol,
                    "arm", arms[a].arm, "seed", (json_int_t)ctx->cfg->run.seed + s, "auc",
                    jreal(auc[(size_t)a * S + s]), "pr_final", jreal(prf[(size_t)a * S + s]), "acc",
                    series_json(acc + at, K + 1), "pr", series_json(pr + at, K + 1), "dormant",
                    series_json(dm + at, K + 1), "srank_frac", series_json(sr + at, K + 1)));
        }
        if (st != SM_OK) break;
        double auc_m, auc_sd, pr_m, pr_sd, dmm, dsd, srm, ssd;
        mean_sd(auc + (size_t)a * S, S, 1, &auc_m, &auc_sd);
        mean_sd(prf + (size_t)a * S, S, 1, &pr_m, &pr_sd);
        /* chunks 1..K of every seed */
        double *d1 = malloc((size_t)S * K * sizeof *d1), *s1 = malloc((size_t)S * K * sizeof *s1);
        for (int s = 0; d1 && s1 && s < S; s++)
            for (int k = 1; k <= K; k++) {
                d1[(size_t)s * K + k - 1] = dm[(size_t)a * per + (size_t)s * (K + 1) + k];
                s1[(size_t)s * K + k - 1] = sr[(size_t)a * per + (size_t)s * (K + 1) + k];
            }
        if (!d1 || !s1)
            st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        else {
            mean_sd(d1, S * K, 1, &dmm, &dsd);
            mean_sd(s1, S * K, 1, &srm, &ssd);
        }
        free(d1);
        free(s1);
        if (st != SM_OK) break;
        am[(size_t)2 * a] = auc_m;
        am[2 * a + 1] = auc_sd;
        json_array_append_new(
            arms_j,
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i}", "model", model,
                      "protocol", arms[a].protocol, "arm", arms[a].arm, "auc", jreal(auc_m),
                      "auc_sd", jreal(auc_sd), "pr_final", jreal(pr_m), "pr_final_sd", jreal(pr_sd),
                      "mean_dormant", jreal(dmm), "mean_srank", jreal(srm), "n_seeds", S));
    }
    if (st == SM_OK) st = write_csv(ctx, arms_j, runs_j, err);
    for (int a = 0; st == SM_OK && a < n_arms; a++) {
        sa[a] = acc + (size_t)a * per;
        sa[n_arms + a] = dm + (size_t)a * per;
        sa[2 * n_arms + a] = sr + (size_t)a * per;
    }
    if (st == SM_OK)
        st = chunk_plot(ctx, "accuracy.png", "test accuracy after each chunk", "accuracy", arms,
                        n_arms, S, K, sa, err);
    if (st == SM_OK)
        st = chunk_plot(ctx, "dormant.png", "dormant fraction (tau = 0.1)", "fraction", arms,
                        n_arms, S, K, sa + n_arms, err);
    if (st == SM_OK)
        st = chunk_plot(ctx, "srank.png", "srank / H", "fraction", arms, n_arms, S, K,
                        sa + (size_t)2 * n_arms, err);
    if (st == SM_OK) {
        double *m = malloc((size_t)n_arms * sizeof *m), *sd = malloc((size_t)n_arms * sizeof *sd);
        for (int a = 0; m && sd && a < n_arms; a++) {
            m[a] = am[(size_t)2 * a];
            sd[a] = am[2 * a + 1];
        }
        st = m && sd ? auc_plot(ctx, arms, n_arms, m, sd, err)
                     : sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        free(m);
        free(sd);
    }
    if (st == SM_OK) {
        *results = json_pack("{s:O, s:O, s:i}", "arms", arms_j, "runs", runs_j, "chunks", K);
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    }
    json_decref(arms_j);
    json_decref(runs_j);
    for (int s = 0; data && s < S; s++)
        sm_train_data_free(&data[s]);
    free(data);
    free(acc);
    free(pr);
    free(dm);
    free(sr);
    free(auc);
    free(prf);
    free(am);
    free(sa);
    return st;
}
