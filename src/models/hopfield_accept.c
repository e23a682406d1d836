/* Federated Hopfield: acceptance of the TAM states (spec 4e): spectral score, then
 * mutual-overlap dedupe (the code's order), or the paper's order. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "somnus/core/config.h"
#include "somnus/models/hopfield.h"

sm_status sm_hf_scores(const double *S, int n, int N, const double *V, const double *lam_sharp,
                       double *score, sm_error *err)
{
    if (n <= 0) return SM_OK;
    /* s J_KS s^T = sum_d l_d (v_d . s)^2: Y = S V */
    double *Y = malloc(sizeof(double) * (size_t)n * (size_t)N);
    if (!Y) return sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (scores)");
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, N, N, 1.0, S, N, V, N, 0.0, Y, N);
    for (int a = 0; a < n; a++) {
        const double *y = Y + (size_t)a * (size_t)N;
        double q = 0;
        for (int d = 0; d < N; d++)
            q += lam_sharp[d] * y[d] * y[d];
        score[a] = q / N;
    }
    free(Y);
    return SM_OK;
}

/* Keeps the listed rows idx[0..n) that no earlier listed row overlaps above qthr (the
 * reference drops j for every pair i < j over the threshold, i dropped or not). */
static int dedupe(const double *S, int N, double qthr, int *idx, int n)
{
    char *drop = calloc((size_t)(n > 0 ? n : 1), 1);
    if (!drop) return n;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (drop[j]) continue;
            const double q =
                fabs(cblas_ddot(N, S + (size_t)idx[i] * N, 1, S + (size_t)idx[j] * N, 1)) / N;
            if (q > qthr) drop[j] = 1;
        }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!drop[i]) idx[k++] = idx[i];
    free(drop);
    return k;
}

int sm_hf_accept(const double *S, int n, int N, const double *score, double rho, double qthr,
                 int order, int *keep)
{
    int k = 0;
    if (order == SM_HF_SCORE_RANK) {
        /* ours: best-scoring states first (stable insertion sort), so that a pure state
         * is not dropped for overlapping an earlier mixture */
        for (int a = 0; a < n; a++)
            if (score[a] >= rho) {
                int i = k++;
                while (i > 0 && score[keep[i - 1]] < score[a]) {
                    keep[i] = keep[i - 1];
                    i--;
                }
                keep[i] = a;
            }
        return dedupe(S, N, qthr, keep, k);
    }
    if (order == SM_HF_DEDUPE_FIRST) {
        for (int a = 0; a < n; a++)
            keep[a] = a;
        k = dedupe(S, N, qthr, keep, n);
        int m = 0;
        for (int i = 0; i < k; i++)
            if (score[keep[i]] >= rho) keep[m++] = keep[i];
        return m;
    }
    for (int a = 0; a < n; a++)
        if (score[a] >= rho) keep[k++] = a;
    return dedupe(S, N, qthr, keep, k);
}
