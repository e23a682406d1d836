/* Federated Hopfield: the spectral cuts (spec 4b): fixed threshold, Marchenko-Pastur edge,
 * shuffle null. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

double sm_hf_mp_edge(double s2, int N, double q, double delta)
{
    const double e = 1.0 + sqrt(q);
    return s2 / N * e * e * (1.0 + delta);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sm_hf_noise_estimate(const double *lam, int n)
{
    /* lower half of the spectrum: the n/2 smallest values (lam is descending) */
    const int h = n / 2 > 0 ? n / 2 : n;
    double *v = malloc(sizeof(double) * (size_t)h);
    if (!v) return NAN;
    memcpy(v, lam + (n - h), sizeof(double) * (size_t)h);
    qsort(v, (size_t)h, sizeof(double), cmp_double);
    const double med = h % 2 ? v[h / 2] : 0.5 * (v[h / 2 - 1] + v[h / 2]);
    free(v);
    return n * med;
}

int sm_hf_count_above(const double *lam, int n, double tau)
{
    int k = 0;
    while (k < n && lam[k] > tau)
        k++;
    return k;
}

sm_status sm_hf_shuffle_threshold(const double *J, int N, int count, double alpha, sm_rng *rng,
                                  double *threshold, sm_error *err)
{
    const size_t n2 = (size_t)N * (size_t)N, np = (size_t)N * (size_t)(N - 1) / 2;
    double *off = malloc(sizeof(double) * (np ? np : 1));
    double *a = malloc(sizeof(double) * n2);
    double *tops = malloc(sizeof(double) * (size_t)count);
    double *z = malloc(sizeof(double) * (size_t)N);
    lapack_int *isuppz = malloc(sizeof(lapack_int) * 2);
    sm_status st = SM_OK;
    if (!off || !a || !tops || !z || !isuppz) {
        st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (shuffle cut)");
        goto done;
    }
    for (int c = 0; c < count; c++) {
        size_t k = 0;
        for (int i = 0; i < N; i++)
            for (int j = i + 1; j < N; j++)
                off[k++] = J[(size_t)i * (size_t)N + (size_t)j];
        for (size_t i = np; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)sm_rng_below(rng, (uint32_t)i);
            double t = off[i - 1];
            off[i - 1] = off[j];
            off[j] = t;
        }
        k = 0;
        for (int i = 0; i < N; i++) {
            a[(size_t)i * (size_t)N + (size_t)i] = J[(size_t)i * (size_t)N + (size_t)i];
            for (int j = i + 1; j < N; j++)
                a[(size_t)i * (size_t)N + (size_t)j] = off[k++];
        }
        lapack_int m = 0;
        double w[1];
        lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'N', 'I', 'U', N, a, N, 0, 0, N, N, 0.0,
                                         &m, w, z, 1, isuppz);
        if (info != 0 || m != 1) {
            st = sm_error_set(err, SM_EINTERNAL, "hopfield: LAPACKE_dsyevr failed (shuffle cut)");
            goto done;
        }
        tops[c] = w[0];
    }
    qsort(tops, (size_t)count, sizeof(double), cmp_double);
    {
        const double pos = (1.0 - alpha) * (count - 1);
        const int lo = (int)floor(pos);
        const int hi = lo + 1 < count ? lo + 1 : lo;
        *threshold = tops[lo] + (pos - lo) * (tops[hi] - tops[lo]);
    }
done:
    free(off);
    free(a);
    free(tops);
    free(z);
    free(isuppz);
    return st;
}
