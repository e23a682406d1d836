/* Loss-of-plasticity diagnostics of one layer (diagnostics.h, spec plasticity-loss.md
 * section 1). All sums in double so that the fractions do not depend on summation order
 * beyond rounding. */
#include "somnus/analysis/diagnostics.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

/* Per-neuron mean count over the n rows, into mean[0..H). */
static void column_means(const float *c, int n, int H, double *mean)
{
    for (int i = 0; i < H; i++)
        mean[i] = 0;
    for (int x = 0; x < n; x++)
        for (int i = 0; i < H; i++)
            mean[i] += c[(size_t)x * H + i];
    for (int i = 0; i < H; i++)
        mean[i] /= n;
}

double sm_diag_dormant_fraction(const float *counts, int n, int H, double tau)
{
    if (!counts || n < 1 || H < 1) return NAN;
    double *mean = malloc((size_t)H * sizeof *mean);
    if (!mean) return NAN;
    column_means(counts, n, H, mean);
    double layer = 0;
    for (int i = 0; i < H; i++)
        layer += mean[i];
    layer /= H;
    int k = 0;
    for (int i = 0; i < H; i++)
        /* tau = 0 is the silent test itself: compare the means, not a rounded ratio */
        k += layer <= 0 || (tau == 0 ? mean[i] <= 0 : mean[i] / layer <= tau);
    free(mean);
    return (double)k / H;
}

double sm_diag_saturated_fraction(const float *counts, int n, int H, int T, double level)
{
    if (!counts || n < 1 || H < 1 || T < 1) return NAN;
    double *mean = malloc((size_t)H * sizeof *mean);
    if (!mean) return NAN;
    column_means(counts, n, H, mean);
    int k = 0;
    for (int i = 0; i < H; i++)
        k += mean[i] / T >= level;
    free(mean);
    return (double)k / H;
}

static int desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

sm_status sm_diag_singular_values(const float *counts, int n, int H, int T, double *sv,
                                  sm_error *err)
{
    if (!counts || !sv || n < 1 || H < 1 || T < 1)
        return sm_error_set(err, SM_EINVAL, "diag: singular values need n, H, T >= 1");
    /* The Gram matrix of the smaller side: its eigenvalues are the squared singular
     * values, and it is r x r with r = min(n, H). */
    const int r = n < H ? n : H;
    double *phi = malloc((size_t)n * H * sizeof *phi);
    double *g = malloc((size_t)r * r * sizeof *g);
    if (!phi || !g) {
        free(phi);
        free(g);
        return sm_error_set(err, SM_ENOMEM, "diag: out of memory");
    }
    for (size_t i = 0; i < (size_t)n * H; i++)
        phi[i] = (double)counts[i] / T;
    if (H <= n) /* G = Phi^T Phi (H x H) */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, H, n, 1.0, phi, H, 0.0, g, H);
    else /* G = Phi Phi^T (n x n) */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, H, 1.0, phi, H, 0.0, g, n);
    free(phi);
    lapack_int m = 0;
    lapack_int *isuppz = malloc((size_t)2 * r * sizeof *isuppz);
    sm_status st = SM_OK;
    if (!isuppz)
        st = sm_error_set(err, SM_ENOMEM, "diag: out of memory");
    else if (LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'N', 'A', 'U', r, g, r, 0, 0, 0, 0, 0.0, &m, sv, NULL,
                            1, isuppz) != 0 ||
             m != r)
        st = sm_error_set(err, SM_EINTERNAL, "diag: LAPACKE_dsyevr failed");
    free(isuppz);
    free(g);
    if (st != SM_OK) return st;
    for (int k = 0; k < r; k++)
        sv[k] = sv[k] > 0 ? sqrt(sv[k]) : 0.0;
    qsort(sv, (size_t)r, sizeof *sv, desc);
    return SM_OK;
}

int sm_diag_srank(const double *sv, int r, double delta)
{
    double total = 0;
    for (int k = 0; k < r; k++)
        total += sv[k];
    if (total <= 0) return 0;
    double acc = 0;
    for (int k = 0; k < r; k++) {
        acc += sv[k];
        if (acc >= (1 - delta) * total) return k + 1;
    }
    return r; /* rounding: the whole sum falls a hair short of itself */
}

double sm_diag_erank(const double *sv, int r)
{
    double total = 0;
    for (int k = 0; k < r; k++)
        total += sv[k];
    if (total <= 0) return 0;
    double h = 0;
    for (int k = 0; k < r; k++) {
        double p = sv[k] / total;
        if (p > 0) h -= p * log(p);
    }
    return exp(h);
}

double sm_diag_feature_norm(const float *counts, int n, int H, int T)
{
    if (!counts || n < 1 || H < 1 || T < 1) return NAN;
    double s = 0;
    for (int x = 0; x < n; x++) {
        double q = 0;
        for (int i = 0; i < H; i++) {
            double v = (double)counts[(size_t)x * H + i] / T;
            q += v * v;
        }
        s += sqrt(q);
    }
    return s / n;
}

double sm_diag_frobenius(const float *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)w[i] * w[i];
    return sqrt(s);
}

sm_status sm_diag_layer_compute(const float *counts, int n, int H, int T, double saturation,
                                double delta, sm_diag_layer *out, double *sv, sm_error *err)
{
    if (!counts || !out || n < 1 || H < 1 || T < 1)
        return sm_error_set(err, SM_EINVAL, "diag: a layer needs counts and n, H, T >= 1");
    const int r = n < H ? n : H;
    double *s = sv ? sv : calloc((size_t)r, sizeof *s); /* zeroed: LAPACK writes it */
    if (!s) return sm_error_set(err, SM_ENOMEM, "diag: out of memory");
    sm_status st = sm_diag_singular_values(counts, n, H, T, s, err);
    if (st == SM_OK) {
        out->H = H;
        out->silent = sm_diag_dormant_fraction(counts, n, H, 0);
        out->dormant_025 = sm_diag_dormant_fraction(counts, n, H, 0.025);
        out->dormant_1 = sm_diag_dormant_fraction(counts, n, H, 0.1);
        out->saturated = sm_diag_saturated_fraction(counts, n, H, T, saturation);
        out->srank = sm_diag_srank(s, r, delta);
        out->erank = sm_diag_erank(s, r);
        out->feature_norm = sm_diag_feature_norm(counts, n, H, T);
    }
    if (!sv) free(s);
    return st;
}

double sm_diag_starved_fraction(const double *g, int rows, int cols)
{
    if (rows <= 0) return 0;
    double *norm = malloc((size_t)rows * sizeof *norm), mean = 0;
    if (!norm) return NAN;
    for (int h = 0; h < rows; h++) {
        double q = 0;
        for (int j = 0; j < cols; j++)
            q += g[(size_t)h * cols + j] * g[(size_t)h * cols + j];
        norm[h] = sqrt(q);
        mean += norm[h] / rows;
    }
    int starved = 0;
    for (int h = 0; h < rows; h++)
        starved += norm[h] <= 1e-3 * mean;
    free(norm);
    return (double)starved / rows;
}
