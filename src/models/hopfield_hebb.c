/* Federated Hopfield: the Hebbian operators of clients and server (spec sections 2-3). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

static void mirror_upper(double *J, int N)
{
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            J[(size_t)j * (size_t)N + (size_t)i] = J[(size_t)i * (size_t)N + (size_t)j];
}

void sm_hf_hebb(const double *eta, int M, int N, double *J)
{
    /* alpha = 1 keeps the sums exact integers (|sum| <= M < 2^53); one correctly rounded
     * division per entry then gives diag = fl(M / (N M)) = fl(1/N) exactly */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, N, M, 1.0, eta, N, 0.0, J, N);
    const double d = (double)N * (double)M;
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++)
            J[(size_t)i * (size_t)N + (size_t)j] /= d;
    mirror_upper(J, N);
}

void sm_hf_reencode(const double *xi_hat, int Kh, int N, double *A)
{
    if (Kh <= 0) {
        memset(A, 0, sizeof(double) * (size_t)N * (size_t)N);
        return;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, N, Kh, 1.0, xi_hat, N, 0.0, A, N);
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++)
            A[(size_t)i * (size_t)N + (size_t)j] /= (double)N;
    mirror_upper(A, N);
}

void sm_hf_blend(double w, const double *B, const double *A, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = w * B[i] + (1.0 - w) * A[i];
}

sm_status sm_hf_truncate(double *J, int N, int R, sm_error *err)
{
    if (R >= N) return SM_OK;
    const size_t n2 = (size_t)N * (size_t)N;
    double *lam = malloc(sizeof(double) * (size_t)N);
    double *V = malloc(sizeof(double) * n2);
    if (!lam || !V) {
        free(lam);
        free(V);
        return sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (upload truncation)");
    }
    sm_status st = sm_hf_eig(J, N, lam, V, err);
    if (st == SM_OK) {
        /* J = sum_{d<R} l_d v_d v_d^T: scale the first R columns into a copy */
        double *W = malloc(sizeof(double) * (size_t)N * (size_t)(R > 0 ? R : 1));
        double *Vr = malloc(sizeof(double) * (size_t)N * (size_t)(R > 0 ? R : 1));
        if (!W || !Vr) {
            st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (upload truncation)");
        } else if (R <= 0) {
            memset(J, 0, sizeof(double) * n2);
        } else {
            for (int i = 0; i < N; i++)
                for (int d = 0; d < R; d++) {
                    Vr[(size_t)i * (size_t)R + (size_t)d] = V[(size_t)i * (size_t)N + (size_t)d];
                    W[(size_t)i * (size_t)R + (size_t)d] =
                        lam[d] * V[(size_t)i * (size_t)N + (size_t)d];
                }
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, R, 1.0, W, R, Vr, R, 0.0, J,
                        N);
        }
        free(W);
        free(Vr);
    }
    free(lam);
    free(V);
    return st;
}
