/* somnus: the accuracy matrix of continual learning and its metrics (spec continual.md
 * section 2; Lopez-Paz and Ranzato 2017, Chaudhry et al. 2018), the representation drift
 * (1 - linear CKA). The exemplar-free ridge readout is in ridge_stats.h.
 *
 * R is a (T+1) x T matrix of doubles, row-major: R[i*T + j] = accuracy on task j+1 after
 * training on tasks 1..i (row 0: before any training). NaN marks an undefined entry (a
 * class-incremental task not yet seen, or row 0 when no readout exists yet).
 */
#ifndef SOMNUS_CONTINUAL_METRICS_H
#define SOMNUS_CONTINUAL_METRICS_H

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The metrics of one R (NaN where undefined: BWT, forgetting and FWT need T >= 2; FWT
 * needs R[0][j] and R[j-1][j] for j >= 2). With tasks 1-based:
 *   acc        = mean_j R[T][j]
 *   aia        = mean_i A_i, A_i = sum_{j<=i} w_j R[i][j] / sum_{j<=i} w_j (accuracy on the
 *                union of the test sets of tasks 1..i when w_j is task j's test size)
 *   bwt        = mean_{j<T} (R[T][j] - R[j][j])
 *   forgetting = mean_{j<T} max_{l=j..T-1} (R[l][j] - R[T][j])
 *   fwt        = mean_{j>=2} (R[j-1][j] - R[0][j])
 *   plasticity = mean_j R[j][j] */
typedef struct sm_cl_metrics {
    double acc, aia, bwt, forgetting, fwt, plasticity;
} sm_cl_metrics;

/* Computes the metrics of R ((T+1) x T, NaN = undefined). w: T task weights (test set
 * sizes) for the AIA, or NULL for equal weights. An undefined entry that a metric needs
 * makes that metric NaN (the others are still computed). SM_EINVAL if T < 1 or a weight
 * is not positive. */
sm_status sm_cl_metrics_compute(const double *R, int T, const double *w, sm_cl_metrics *out,
                                sm_error *err);

/* Linear CKA (Kornblith et al. 2019) between the representations X (n x dx) and Y
 * (n x dy) of the same n inputs, row-major: ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)
 * with column-centred Xc, Yc, in double. Identical X and Y give exactly 1. NaN when either
 * has no variance. Returns NaN on out of memory. */
double sm_cl_linear_cka(const float *X, int dx, const float *Y, int dy, int n);

#ifdef __cplusplus
}
#endif
#endif
