/* Federated Hopfield: the pseudo-inverse sharpening map in J's eigenbasis (spec 4a).
 *
 * The map J <- J + e_k (J - J^2) is a polynomial in J, so it acts on each eigenvalue
 * separately: one dsyevr, the scalar recursion, and (only when a caller needs the matrix)
 * one rebuild, instead of `iters` N x N matrix products. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

sm_status sm_hf_eig(const double *J, int N, double *lam, double *V, sm_error *err)
{
    const size_t n2 = (size_t)N * (size_t)N;
    double *a = malloc(sizeof(double) * n2);
    lapack_int *isuppz = malloc(sizeof(lapack_int) * 2 * (size_t)N);
    double *w = malloc(sizeof(double) * (size_t)N);
    if (!a || !isuppz || !w) {
        free(a);
        free(isuppz);
        free(w);
        return sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (eigendecomposition)");
    }
    memcpy(a, J, sizeof(double) * n2);
    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'A', 'U', N, a, N, 0, 0, 0, 0, 0.0, &m,
                                     w, V, N, isuppz);
    free(a);
    free(isuppz);
    if (info != 0 || m != N) {
        free(w);
        return sm_error_set(err, SM_EINTERNAL,
                            "hopfield: LAPACKE_dsyevr failed (info %d, %d of %d eigenvalues)",
                            (int)info, (int)m, N);
    }
    /* descending order: reverse the values and each row's columns */
    for (int d = 0; d < N; d++)
        lam[d] = w[N - 1 - d];
    free(w);
    for (int i = 0; i < N; i++) {
        double *row = V + (size_t)i * (size_t)N;
        for (int d = 0; d < N / 2; d++) {
            double t = row[d];
            row[d] = row[N - 1 - d];
            row[N - 1 - d] = t;
        }
    }
    return SM_OK;
}

sm_status sm_hf_eig_top(const double *J, int N, int k, double *lam, double *V, sm_error *err)
{
    const size_t n2 = (size_t)N * (size_t)N;
    double *a = malloc(sizeof(double) * n2);
    lapack_int *isuppz = malloc(sizeof(lapack_int) * 2 * (size_t)N);
    double *w = malloc(sizeof(double) * (size_t)N);
    double *z = malloc(sizeof(double) * (size_t)N * (size_t)k);
    sm_status st = SM_OK;
    if (!a || !isuppz || !w || !z) {
        st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (eigendecomposition)");
        goto done;
    }
    memcpy(a, J, sizeof(double) * n2);
    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', N, a, N, 0, 0, N - k + 1, N,
                                     0.0, &m, w, z, k, isuppz);
    if (info != 0 || m != k) {
        st =
            sm_error_set(err, SM_EINTERNAL, "hopfield: LAPACKE_dsyevr failed (info %d)", (int)info);
        goto done;
    }
    for (int d = 0; d < k; d++) {
        lam[d] = w[k - 1 - d];
        for (int i = 0; i < N; i++)
            V[(size_t)i * k + d] = z[(size_t)i * k + (k - 1 - d)];
    }
done:
    free(a);
    free(isuppz);
    free(w);
    free(z);
    return st;
}

int sm_hf_sharpen_values(double *lam, int n, double eps, int iters)
{
    double *nl = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!nl) return -1;
    int steps = 0;
    for (int k = 0; k <= iters; k++) {
        double step = eps / (1.0 + eps * k);
        double upd2 = 0, norm2 = 0;
        int ok = 0;
        for (int attempt = 0; attempt < 6 && step >= 1e-16; attempt++) {
            upd2 = norm2 = 0;
            int finite = 1;
            for (int d = 0; d < n; d++) {
                const double u = step * (lam[d] - lam[d] * lam[d]);
                nl[d] = lam[d] + u;
                upd2 += u * u;
                norm2 += nl[d] * nl[d];
                finite &= isfinite(nl[d]);
            }
            if (finite && sqrt(norm2) < 1e12) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok) { /* the reference gives up the step (update zero) and stops below */
            upd2 = 0;
            norm2 = 0;
            for (int d = 0; d < n; d++)
                norm2 += lam[d] * lam[d];
        } else {
            memcpy(lam, nl, sizeof(double) * (size_t)n);
        }
        steps++;
        double denom = sqrt(norm2);
        if (denom <= 1e-12) denom = 1.0;
        if (sqrt(upd2) / denom < 1e-8) break;
    }
    free(nl);
    return steps;
}

void sm_hf_rebuild(const double *V, const double *lam, int N, double *tmp, double *J)
{
    for (int i = 0; i < N; i++)
        for (int d = 0; d < N; d++)
            tmp[(size_t)i * (size_t)N + (size_t)d] = V[(size_t)i * (size_t)N + (size_t)d] * lam[d];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1.0, tmp, N, V, N, 0.0, J, N);
    for (int i = 0; i < N; i++) /* exact symmetry */
        for (int j = i + 1; j < N; j++) {
            double v =
                0.5 * (J[(size_t)i * (size_t)N + (size_t)j] + J[(size_t)j * (size_t)N + (size_t)i]);
            J[(size_t)i * (size_t)N + (size_t)j] = J[(size_t)j * (size_t)N + (size_t)i] = v;
        }
}
