/* Ridge head on accumulated statistics (ridge_stats.h). */
#include "somnus/analysis/ridge_stats.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

sm_ridge_stats *sm_ridge_stats_create(int d, int c, sm_error *err)
{
    if (d < 1 || c < 1) {
        sm_error_set(err, SM_EINVAL, "ridge: need d >= 1 features and c >= 1 classes");
        return NULL;
    }
    sm_ridge_stats *s = calloc(1, sizeof *s);
    if (s) {
        s->d = d;
        s->c = c;
        s->G = calloc((size_t)d * (size_t)d, sizeof *s->G);
        s->Q = calloc((size_t)d * (size_t)c, sizeof *s->Q);
        s->n_class = calloc((size_t)c, sizeof *s->n_class);
    }
    if (!s || !s->G || !s->Q || !s->n_class) {
        sm_ridge_stats_free(s);
        sm_error_set(err, SM_ENOMEM, "ridge: out of memory for %d x %d statistics", d, d);
        return NULL;
    }
    return s;
}

void sm_ridge_stats_free(sm_ridge_stats *s)
{
    if (!s) return;
    free(s->G);
    free(s->Q);
    free(s->n_class);
    free(s);
}

sm_status sm_ridge_stats_add(sm_ridge_stats *s, const float *x, const int *y, int n, double scale,
                             sm_error *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= s->c)
            return sm_error_set(err, SM_EINVAL, "ridge: label %d of row %d is outside [0, %d)",
                                y[i], i, s->c);
    const int d = s->d;
    double *phi = malloc((size_t)d * sizeof *phi);
    if (!phi) return sm_error_set(err, SM_ENOMEM, "ridge: out of memory");
    for (int i = 0; i < n; i++) {
        const float *row = x + (size_t)i * (size_t)d;
        for (int a = 0; a < d; a++)
            phi[a] = scale * row[a];
        for (int a = 0; a < d; a++) {
            if (phi[a] == 0) continue;
            double *g = s->G + (size_t)a * (size_t)d;
            for (int b = 0; b < d; b++)
                g[b] += phi[a] * phi[b];
            s->Q[(size_t)a * (size_t)s->c + (size_t)y[i]] += phi[a];
        }
        s->n_class[y[i]]++;
    }
    free(phi);
    return SM_OK;
}

sm_status sm_ridge_stats_add_dense(sm_ridge_stats *s, const double *H, const int *y, int n,
                                   sm_error *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= s->c)
            return sm_error_set(err, SM_EINVAL, "ridge: label %d of row %d is outside [0, %d)",
                                y[i], i, s->c);
    if (n <= 0) return SM_OK;
    const int d = s->d;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0, H, d, 1.0, s->G, d);
    for (int a = 0; a < d; a++) /* mirror: the lower triangle from the upper */
        for (int b = a + 1; b < d; b++)
            s->G[(size_t)b * (size_t)d + (size_t)a] = s->G[(size_t)a * (size_t)d + (size_t)b];
    for (int i = 0; i < n; i++) {
        const double *h = H + (size_t)i * (size_t)d;
        for (int a = 0; a < d; a++)
            s->Q[(size_t)a * (size_t)s->c + (size_t)y[i]] += h[a];
        s->n_class[y[i]]++;
    }
    return SM_OK;
}

double sm_ridge_stats_mean_diag(const sm_ridge_stats *s)
{
    double m = 0;
    for (int a = 0; a < s->d; a++)
        m += s->G[(size_t)a * (size_t)s->d + (size_t)a];
    return m / s->d;
}

sm_status sm_ridge_solve(const sm_ridge_stats *s, double lambda, const int *cls, int k, double *W,
                         sm_error *err)
{
    const int d = s->d;
    for (int j = 0; j < k; j++)
        if (cls[j] < 0 || cls[j] >= s->c)
            return sm_error_set(err, SM_EINVAL, "ridge: class %d is outside [0, %d)", cls[j], s->c);
    double *A = malloc((size_t)d * (size_t)d * sizeof *A);
    if (!A) return sm_error_set(err, SM_ENOMEM, "ridge: out of memory");
    memcpy(A, s->G, (size_t)d * (size_t)d * sizeof *A);
    for (int a = 0; a < d; a++) {
        A[(size_t)a * (size_t)d + (size_t)a] += lambda;
        for (int j = 0; j < k; j++)
            W[(size_t)a * (size_t)k + (size_t)j] = s->Q[(size_t)a * (size_t)s->c + (size_t)cls[j]];
    }
    const lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', d, k, A, d, W, k);
    free(A);
    if (info > 0)
        return sm_error_set(err, SM_ENUMERIC,
                            "ridge: G + lambda I (lambda %g) is not positive definite", lambda);
    if (info < 0) return sm_error_set(err, SM_EINTERNAL, "ridge: LAPACKE_dposv argument %d", -info);
    return SM_OK;
}

void sm_ridge_scores(const double *W, int d, int k, const float *x, int n, double scale,
                     double *out)
{
    for (int i = 0; i < n; i++) {
        const float *row = x + (size_t)i * (size_t)d;
        double *o = out + (size_t)i * (size_t)k;
        for (int j = 0; j < k; j++)
            o[j] = 0;
        for (int a = 0; a < d; a++) {
            const double v = scale * row[a];
            if (v == 0) continue;
            const double *w = W + (size_t)a * (size_t)k;
            for (int j = 0; j < k; j++)
                o[j] += v * w[j];
        }
    }
}

void sm_ridge_scores_dense(const double *W, int d, int k, const double *H, int n, double *out)
{
    if (n <= 0) return;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, d, 1.0, H, d, W, k, 0.0, out, k);
}
