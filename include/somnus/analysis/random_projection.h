/* somnus: a fixed random projection of features with a ReLU, h = relu(phi R), the
 * expansion RanPAC (McDonnell et al. 2023) puts before its ridge head and SAFE keeps
 * (spec continual.md section 5.1, safe.rp_dim). R (d x M) is Gaussian N(0, 1), drawn once
 * from an RNG sub-stream, so the same (seed, stream, index) gives the same R on any
 * machine and thread count.
 */
#ifndef SOMNUS_RANDOM_PROJECTION_H
#define SOMNUS_RANDOM_PROJECTION_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new d x M matrix (row-major) of N(0, 1) deviates drawn in row-major order from the
 * stream (seed, stream, index) with sm_rng_normal. NULL, err set, on bad sizes or out of
 * memory. Free with free(). */
double *sm_rp_draw(int d, int M, uint64_t seed, uint32_t stream, uint32_t index, sm_error *err);

/* H = relu((scale * x) R) for n rows x (n x d floats): H (n x M, row-major, double), by
 * cblas_dgemm. SM_ENOMEM if the double copy of x cannot be made. */
sm_status sm_rp_apply(const double *R, int d, int M, const float *x, int n, double scale, double *H,
                      sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
