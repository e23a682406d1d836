/* Shared machinery of the hopfield-* experiments (see hopfield_common.h). */
#include "protocol/experiments/hopfield_common.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/npy.h"

void hf_mean_sd(const double *x, int n, double *mean, double *sd)
{
    double m = 0, v = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) {
            m += x[i];
            k++;
        }
    m = k ? m / k : NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = k > 1 ? sqrt(v / (k - 1)) : 0;
}

sm_status hf_run_seeds(const sm_experiment_ctx *ctx, const sm_config *cfg, const char *tag,
                       sm_hf_result **res, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int S = cfg->hopfield.seeds;
    int jobs = ctx->jobs;
#ifdef _OPENMP
    if (jobs <= 0) jobs = omp_get_num_procs();
#else
    jobs = 1;
#endif
    if (jobs > S) jobs = S;
    for (int s = 0; s < S; s++)
        res[s] = NULL;
    /* seeds run side by side, each with single-threaded BLAS (reproducible, no
     * oversubscription); one seed alone keeps OpenBLAS's threads */
    const int saved = openblas_get_num_threads();
    if (jobs > 1 && saved != 1) openblas_set_num_threads(1);
    sm_status first = SM_OK;
    sm_error first_err;
    sm_error_clear(&first_err);
    int stop = 0, done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs) if (jobs > 1)
    for (int s = 0; s < S; s++) {
        int skip;
#pragma omp atomic read
        skip = stop;
        if (skip) continue;
        sm_error e;
        sm_error_clear(&e);
        sm_status st = sm_hf_run(cfg, (uint64_t)cfg->run.seed + (uint64_t)s, &res[s], &e);
#pragma omp critical(hf_seeds)
        {
            if (st != SM_OK && first == SM_OK) {
                first = st;
                first_err = e;
                stop = 1;
            } else if (st == SM_OK) {
                done++;
                if (sm_experiment_log(ctx, "%s seed %d/%d: final retrieval %.3f (%.1f s)", tag,
                                      done, S, res[s]->retrieval[res[s]->T - 1], res[s]->seconds))
                    stop = 1, first = first == SM_OK ? SM_ECANCELED : first;
            }
        }
    }
    if (jobs > 1 && saved != 1) openblas_set_num_threads(saved);
    if (first != SM_OK) {
        for (int s = 0; s < S; s++) {
            sm_hf_result_destroy(res[s]);
            res[s] = NULL;
        }
        if (first == SM_ECANCELED && first_err.code == SM_OK)
            return sm_error_set(err, SM_ECANCELED, "%s: stopped", tag);
        return sm_error_set(err, first, "%s", first_err.msg);
    }
    return SM_OK;
}

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* A column: the mean over seeds of field(res[s], i) for i < n. */
static json_t *col_mean(sm_hf_result *const *res, int S, const double *(*get)(const sm_hf_result *),
                        int n, int stride, int off, json_t **sd_out)
{
    json_t *a = json_array(), *b = json_array();
    double *v = malloc(sizeof(double) * (size_t)S);
    for (int i = 0; i < n; i++) {
        for (int s = 0; s < S; s++)
            v[s] = get(res[s])[(size_t)i * stride + off];
        double m, sd;
        hf_mean_sd(v, S, &m, &sd);
        json_array_append_new(a, num(m));
        json_array_append_new(b, num(sd));
    }
    free(v);
    if (sd_out)
        *sd_out = b;
    else
        json_decref(b);
    return a;
}

static const double *get_retrieval(const sm_hf_result *r)
{
    return r->retrieval;
}
static const double *get_fro(const sm_hf_result *r)
{
    return r->fro;
}
static const double *get_gap(const sm_hf_result *r)
{
    return r->gap;
}
static const double *get_mp(const sm_hf_result *r)
{
    return r->mp_edge;
}
static const double *get_up(const sm_hf_result *r)
{
    return r->bytes_up;
}
static const double *get_down(const sm_hf_result *r)
{
    return r->bytes_down;
}
static const double *get_m(const sm_hf_result *r)
{
    return r->m;
}
static const double *get_w(const sm_hf_result *r)
{
    return r->w;
}
static const double *get_wraw(const sm_hf_result *r)
{
    return r->w_raw;
}
static const double *get_p(const sm_hf_result *r)
{
    return r->p;
}
static const double *get_H(const sm_hf_result *r)
{
    return r->H;
}
static const double *get_tj(const sm_hf_result *r)
{
    return r->top_js;
}
static const double *get_tk(const sm_hf_result *r)
{
    return r->top_ks;
}
static const double *get_recall(const sm_hf_result *r)
{
    return r->recall;
}

/* T rows of `width` columns (row-major T x width fields), mean over seeds: [[...], ...]. */
static json_t *rows_mean(sm_hf_result *const *res, int S,
                         const double *(*get)(const sm_hf_result *), int T, int width)
{
    json_t *rows = json_array();
    for (int t = 0; t < T; t++) {
        json_t *row = json_array();
        for (int j = 0; j < width; j++) {
            double m = 0;
            int k = 0;
            for (int s = 0; s < S; s++) {
                double x = get(res[s])[(size_t)t * width + j];
                if (isfinite(x)) {
                    m += x;
                    k++;
                }
            }
            json_array_append_new(row, num(k ? m / k : NAN));
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

json_t *hf_summary(sm_hf_result *const *res, int S)
{
    const sm_hf_result *r0 = res[0];
    const int T = r0->T, K = r0->K, L = r0->L;
    json_t *o = json_object();
    json_t *round = json_array(), *kh = json_array(), *khmed = json_array(), *seeds = json_array();
    int *v = malloc(sizeof(int) * (size_t)S);
    for (int t = 0; t < T; t++) {
        double m = 0;
        for (int s = 0; s < S; s++) {
            v[s] = res[s]->Kh[t];
            m += v[s];
        }
        qsort(v, (size_t)S, sizeof(int), cmp_int);
        json_array_append_new(round, json_integer(t));
        json_array_append_new(kh, json_real(m / S));
        const int mid = S / 2; /* the median's index */
        json_array_append_new(khmed, json_real(S % 2 ? v[mid] : 0.5 * (v[mid - 1] + v[mid])));
    }
    free(v);
    for (int s = 0; s < S; s++)
        json_array_append_new(seeds, json_integer((json_int_t)res[s]->seed));
    json_t *sd;
    json_object_set_new(o, "seeds", seeds);
    json_object_set_new(o, "round", round);
    json_object_set_new(o, "Kh", kh);
    json_object_set_new(o, "Kh_median", khmed);
    json_object_set_new(o, "retrieval", col_mean(res, S, get_retrieval, T, 1, 0, &sd));
    json_object_set_new(o, "retrieval_sd", sd);
    json_object_set_new(o, "m", rows_mean(res, S, get_m, T, K));
    json_object_set_new(o, "fro", col_mean(res, S, get_fro, T, 1, 0, NULL));
    json_object_set_new(o, "gap", col_mean(res, S, get_gap, T, 1, 0, NULL));
    json_object_set_new(o, "w", rows_mean(res, S, get_w, T, L));
    json_object_set_new(o, "w_raw", rows_mean(res, S, get_wraw, T, L));
    json_object_set_new(o, "p", rows_mean(res, S, get_p, T, L));
    json_object_set_new(o, "H", rows_mean(res, S, get_H, T, L));
    json_object_set_new(o, "top_eigs_js", rows_mean(res, S, get_tj, T, r0->n_top));
    json_object_set_new(o, "top_eigs_ks", rows_mean(res, S, get_tk, T, r0->n_top));
    json_object_set_new(o, "mp_edge", col_mean(res, S, get_mp, T, 1, 0, NULL));
    json_object_set_new(o, "bytes_up", col_mean(res, S, get_up, T, 1, 0, NULL));
    json_object_set_new(o, "bytes_down", col_mean(res, S, get_down, T, 1, 0, NULL));
    double *f = malloc(sizeof(double) * (size_t)S), m, s_;
    for (int s = 0; s < S; s++)
        f[s] = res[s]->retrieval[T - 1];
    hf_mean_sd(f, S, &m, &s_);
    json_object_set_new(o, "final_retrieval", num(m));
    json_object_set_new(o, "final_retrieval_sd", num(s_));
    json_t *fin = json_object();
    json_object_set_new(fin, "recall", col_mean(res, S, get_recall, K, 1, 0, &sd));
    json_object_set_new(fin, "recall_sd", sd);
    for (int s = 0; s < S; s++)
        f[s] = res[s]->recall_pearson;
    hf_mean_sd(f, S, &m, &s_);
    json_object_set_new(fin, "recall_pearson_exposure", num(m));
    for (int s = 0; s < S; s++)
        f[s] = res[s]->recall_spearman;
    hf_mean_sd(f, S, &m, &s_);
    json_object_set_new(fin, "recall_spearman_exposure", num(m));
    json_object_set_new(o, "final", fin);
    double tot = 0;
    for (int s = 0; s < S; s++) {
        f[s] = res[s]->seconds;
        tot += f[s];
    }
    hf_mean_sd(f, S, &m, &s_);
    json_object_set_new(o, "timings",
                        json_pack("{s:f, s:f}", "seconds_per_run", m, "seconds_total_cpu", tot));
    free(f);
    return o;
}

static sm_status write_npy(const sm_experiment_ctx *ctx, const char *prefix, const char *name,
                           sm_npy_dtype dt, int ndim, const size_t *shape, const void *data,
                           sm_error *err)
{
    char fn[256], path[4096];
    snprintf(fn, sizeof fn, "%s%s", prefix, name);
    if (!sm_experiment_file(ctx, fn, path, sizeof path)) return SM_OK;
    return sm_npy_write(path, dt, ndim, shape, data, err);
}

static sm_status write_csv(const sm_experiment_ctx *ctx, sm_hf_result *const *res, int S,
                           const char *prefix, sm_error *err)
{
    char fn[256], path[4096];
    snprintf(fn, sizeof fn, "%srounds.csv", prefix);
    if (!sm_experiment_file(ctx, fn, path, sizeof path)) return SM_OK;
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "seed,round,archetype,m,retrieval,Kh,client,w\n");
    for (int s = 0; s < S; s++) {
        const sm_hf_result *r = res[s];
        for (int t = 0; t < r->T; t++) {
            const int rows = r->K > r->L ? r->K : r->L;
            for (int i = 0; i < rows; i++) {
                fprintf(f.fp, "%llu,%d,", (unsigned long long)r->seed, t);
                if (i < r->K)
                    fprintf(f.fp, "%d,%.6f,", i, r->m[(size_t)t * r->K + i]);
                else
                    fprintf(f.fp, ",,");
                fprintf(f.fp, "%.6f,%d,", r->retrieval[t], r->Kh[t]);
                if (i < r->L)
                    fprintf(f.fp, "%d,%.6f\n", i, r->w[(size_t)t * r->L + i]);
                else
                    fprintf(f.fp, ",\n");
            }
        }
    }
    return sm_atomic_commit(&f, err);
}

static sm_status plots(const sm_experiment_ctx *ctx, sm_hf_result *const *res, int S,
                       const char *prefix, sm_error *err)
{
    const sm_hf_result *r0 = res[0];
    const int T = r0->T, K = r0->K, L = r0->L;
    char fn[256], path[4096];
    sm_status st = SM_OK;
    double *x = malloc(sizeof(double) * (size_t)T);
    double *mean = malloc(sizeof(double) * (size_t)T * (size_t)(K + L + 2));
    double *sd = malloc(sizeof(double) * (size_t)T * (size_t)(K + L + 2));
    double *v = malloc(sizeof(double) * (size_t)S);
    sm_plot_series *ser = calloc((size_t)K + (size_t)L + 2, sizeof *ser);
    char(*labels)[32] = calloc((size_t)K + (size_t)L + 2, sizeof *labels);
    if (!x || !mean || !sd || !v || !ser || !labels) {
        st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (plots)");
        goto done;
    }
    for (int t = 0; t < T; t++)
        x[t] = t;
    /* series j: 0..K-1 = m_mu, K = retrieval, K+1..K+L = w_c, K+L+1 = Kh */
    for (int j = 0; j < K + L + 2; j++)
        for (int t = 0; t < T; t++) {
            for (int s = 0; s < S; s++) {
                const sm_hf_result *r = res[s];
                v[s] = j < K        ? r->m[(size_t)t * K + j]
                       : j == K     ? r->retrieval[t]
                       : j <= K + L ? r->w[(size_t)t * L + (j - K - 1)]
                                    : r->Kh[t];
            }
            hf_mean_sd(v, S, &mean[(size_t)j * T + t], &sd[(size_t)j * T + t]);
        }
    sm_plot_spec spec;
    snprintf(fn, sizeof fn, "%soverlap.png", prefix);
    if (sm_experiment_file(ctx, fn, path, sizeof path)) {
        sm_plot_spec_default(&spec);
        spec.title = "archetype overlaps (mean +- sd over seeds)";
        spec.xlabel = "round";
        spec.ylabel = "overlap";
        spec.ymin = 0;
        spec.ymax = 1.02;
        int n = 0;
        for (int j = 0; j <= K && j < 12; j++) {
            const int jj = j < K ? j : K;
            if (j == K || K <= 10) {
                if (jj < K)
                    snprintf(labels[n], 32, "m_%d", jj + 1);
                else
                    snprintf(labels[n], 32, "retrieval");
                ser[n] = (sm_plot_series){
                    labels[n], x, mean + (size_t)jj * T, sd + (size_t)jj * T, NULL, T, 0, 0, 0, 0};
                n++;
            }
        }
        if ((st = sm_plot_lines(path, &spec, ser, n, err)) != SM_OK) goto done;
    }
    snprintf(fn, sizeof fn, "%sw.png", prefix);
    if (sm_experiment_file(ctx, fn, path, sizeof path)) {
        sm_plot_spec_default(&spec);
        spec.title = "client blend weight w_c (attackers dashed)";
        spec.xlabel = "round";
        spec.ylabel = "w";
        spec.ymin = 0;
        spec.ymax = 1.05;
        int n = 0;
        for (int c = 0; c < L && c < 12; c++) {
            snprintf(labels[n], 32, "client %d (r=%.2g)", c, r0->r[c]);
            ser[n] = (sm_plot_series){labels[n],
                                      x,
                                      mean + (size_t)(K + 1 + c) * T,
                                      sd + (size_t)(K + 1 + c) * T,
                                      NULL,
                                      T,
                                      0,
                                      0,
                                      0,
                                      r0->r[c] == 0};
            n++;
        }
        if ((st = sm_plot_lines(path, &spec, ser, n, err)) != SM_OK) goto done;
    }
    snprintf(fn, sizeof fn, "%skh.png", prefix);
    if (sm_experiment_file(ctx, fn, path, sizeof path)) {
        sm_plot_spec_default(&spec);
        spec.title = "patterns kept by the spectral cut";
        spec.xlabel = "round";
        spec.ylabel = "Kh";
        spec.ymin = 0;
        ser[0] = (sm_plot_series){
            "Kh", x, mean + (size_t)(K + L + 1) * T, sd + (size_t)(K + L + 1) * T, NULL, T, 0, 0,
            0,    0};
        if ((st = sm_plot_lines(path, &spec, ser, 1, err)) != SM_OK) goto done;
    }
done:
    free(x);
    free(mean);
    free(sd);
    free(v);
    free(ser);
    free(labels);
    return st;
}

sm_status hf_write_outputs(const sm_experiment_ctx *ctx, sm_hf_result *const *res, int S,
                           const char *prefix, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!ctx->out_dir || S <= 0) return SM_OK;
    const sm_hf_result *r0 = res[0];
    const int N = r0->N, K = r0->K, L = r0->L, T = r0->T, kh = r0->n_hat[T - 1];
    sm_status st = write_csv(ctx, res, S, prefix, err);
    int8_t *xi = malloc((size_t)(K > kh ? K : kh) * (size_t)N + 1); /* +-1 patterns as int8 */
    double *w = malloc(sizeof(double) * (size_t)S * L * T);
    double *mag = malloc(sizeof(double) * (size_t)S * K * T);
    if (!xi || !w || !mag) {
        st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (exports)");
        goto done;
    }
    if (st != SM_OK) goto done;
    for (size_t i = 0; i < (size_t)K * N; i++)
        xi[i] = (int8_t)r0->xi_true[i];
    size_t sh[3] = {(size_t)K, (size_t)N, 0};
    if ((st = write_npy(ctx, prefix, "xi_true.npy", SM_NPY_I8, 2, sh, xi, err)) != SM_OK) goto done;
    for (size_t i = 0; i < (size_t)kh * N; i++)
        xi[i] = (int8_t)r0->xi_hat[i];
    sh[0] = (size_t)kh;
    if ((st = write_npy(ctx, prefix, "xi_hat.npy", SM_NPY_I8, 2, sh, xi, err)) != SM_OK) goto done;
    sh[0] = sh[1] = (size_t)N;
    if ((st = write_npy(ctx, prefix, "J_server.npy", SM_NPY_F64, 2, sh, r0->J_server, err)) !=
        SM_OK)
        goto done;
    sh[0] = (size_t)T;
    if ((st = write_npy(ctx, prefix, "eigs.npy", SM_NPY_F64, 2, sh, r0->eigs, err)) != SM_OK)
        goto done;
    for (int s = 0; s < S; s++)
        for (int t = 0; t < T; t++) {
            for (int c = 0; c < L; c++)
                w[((size_t)s * L + c) * T + t] = res[s]->w[(size_t)t * L + c];
            for (int k = 0; k < K; k++)
                mag[((size_t)s * K + k) * T + t] = res[s]->m[(size_t)t * K + k];
        }
    size_t s3[3] = {(size_t)S, (size_t)L, (size_t)T};
    if ((st = write_npy(ctx, prefix, "w.npy", SM_NPY_F64, 3, s3, w, err)) != SM_OK) goto done;
    s3[1] = (size_t)K;
    if ((st = write_npy(ctx, prefix, "mag.npy", SM_NPY_F64, 3, s3, mag, err)) != SM_OK) goto done;
    st = plots(ctx, res, S, prefix, err);
done:
    free(xi);
    free(w);
    free(mag);
    return st;
}
