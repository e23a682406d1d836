/* somnus: a ridge-regression head on accumulated statistics (spec continual.md section 3;
 * the head of RanPAC, McDonnell et al. 2023): the data are seen once, in any number of
 * chunks, and only G = sum phi phi^T and Q = sum phi onehot(y)^T are kept, so the head
 * needs no stored exemplar and equals the batch fit on all rows seen.
 */
#ifndef SOMNUS_RIDGE_STATS_H
#define SOMNUS_RIDGE_STATS_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Accumulated ridge statistics of d features and c classes: G = sum phi phi^T (d x d),
 * Q = sum phi onehot(y)^T (d x c), n_class[c] rows per class. All double, row-major. */
typedef struct sm_ridge_stats {
    int d, c;
    double *G, *Q;
    int64_t *n_class;
} sm_ridge_stats;

/* A zeroed accumulator (NULL, err set, on bad sizes or out of memory). */
sm_ridge_stats *sm_ridge_stats_create(int d, int c, sm_error *err);

/* Frees it (NULL is fine). */
void sm_ridge_stats_free(sm_ridge_stats *s);

/* Adds n rows x (n x d floats, row-major) times `scale` (phi = scale * x) with labels y in
 * [0, c) (SM_EINVAL naming the label otherwise; nothing is added then). */
sm_status sm_ridge_stats_add(sm_ridge_stats *s, const float *x, const int *y, int n, double scale,
                             sm_error *err);

/* Adds n rows of H (n x d doubles, row-major, used as they are) with labels y in [0, c):
 * the upper triangle of G by cblas_dsyrk (G += H^T H), then copied to the lower one, so G
 * stays a full symmetric matrix. For wide features (a random projection of thousands of
 * columns), where the row-by-row sm_ridge_stats_add is too slow. Same label check. */
sm_status sm_ridge_stats_add_dense(sm_ridge_stats *s, const double *H, const int *y, int n,
                                   sm_error *err);

/* mean(diag G): the scale of the ridge grid (lambda = 10^k x this). */
double sm_ridge_stats_mean_diag(const sm_ridge_stats *s);

/* The ridge head W = (G + lambda I)^{-1} Q[:, cls] for the k classes cls[0..k), into W
 * (d x k, row-major), by Cholesky (LAPACKE_dposv). SM_ENUMERIC if G + lambda I is not
 * positive definite (lambda <= 0 on a singular G), SM_EINVAL on a bad class. */
sm_status sm_ridge_solve(const sm_ridge_stats *s, double lambda, const int *cls, int k, double *W,
                         sm_error *err);

/* Scores of n rows of x (n x d floats, times scale) under W (d x k): out (n x k). */
void sm_ridge_scores(const double *W, int d, int k, const float *x, int n, double scale,
                     double *out);

/* Scores of n rows of H (n x d doubles) under W (d x k): out = H W (n x k), cblas_dgemm. */
void sm_ridge_scores_dense(const double *W, int d, int k, const double *H, int n, double *out);

#ifdef __cplusplus
}
#endif
#endif
