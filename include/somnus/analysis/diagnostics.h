/* somnus: loss-of-plasticity diagnostics of one layer or population (spec
 * plasticity-loss.md section 1): tau-dormant and saturated fractions (Sokar et al. 2023),
 * feature rank srank_delta (Kumar et al. 2021) and the entropy effective rank (Roy and
 * Vetterli 2007, as Dohare et al. 2024 use it), feature and weight norms.
 *
 * Input is the n x H matrix C of spike counts over T steps per probe image (row-major,
 * float); every function works on Phi = C / T, the rate per step in [0, 1]. Nothing here
 * knows which model produced the counts. */
#ifndef SOMNUS_DIAGNOSTICS_H
#define SOMNUS_DIAGNOSTICS_H

#include <stddef.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The diagnostics of one layer, as the per-chunk table reports them. */
typedef struct sm_diag_layer {
    int H;               /* neurons */
    double silent;       /* fraction with no spike for any probe image (tau = 0) */
    double dormant_025;  /* fraction with score s_i <= 0.025 */
    double dormant_1;    /* fraction with score s_i <= 0.1 */
    double saturated;    /* fraction with mean rate >= the saturation level */
    double srank;        /* srank_delta of Phi (0 for an all-zero Phi) */
    double erank;        /* entropy effective rank of Phi */
    double feature_norm; /* mean over probe images of ||Phi[x]||_2 */
} sm_diag_layer;

/* Fraction of the H neurons that are tau-dormant: s_i = mean_x Phi[x][i] divided by the
 * layer mean of those means; s_i <= tau counts. tau = 0 counts the silent neurons
 * exactly (no spike at all). A layer whose mean is 0 is dormant everywhere (1). counts is
 * n x H; n >= 1 and H >= 1 (otherwise NAN). */
double sm_diag_dormant_fraction(const float *counts, int n, int H, double tau);

/* Fraction of neurons whose mean rate mean_x C[x][i] / T is >= level. */
double sm_diag_saturated_fraction(const float *counts, int n, int H, int T, double level);

/* The singular values of Phi = counts / T (n x H), descending, into sv[0..min(n,H)),
 * computed in double as the square roots of the eigenvalues of Phi^T Phi (dsyrk +
 * dsyevr when H <= n) or of Phi Phi^T (n < H), clamped at 0. */
sm_status sm_diag_singular_values(const float *counts, int n, int H, int T, double *sv,
                                  sm_error *err);

/* srank_delta: the smallest k with sigma_1 + ... + sigma_k >= (1 - delta) * sum sigma;
 * 0 when every sigma is 0. sv descending, r values. */
int sm_diag_srank(const double *sv, int r, double delta);

/* exp(-sum p_k ln p_k) with p_k = sigma_k / sum sigma (zero terms omitted); 0 when every
 * sigma is 0. */
double sm_diag_erank(const double *sv, int r);

/* Mean over rows of the L2 norm of counts[x] / T. */
double sm_diag_feature_norm(const float *counts, int n, int H, int T);

/* ||w||_F of n floats, accumulated in double. */
double sm_diag_frobenius(const float *w, size_t n);

/* Spec plasticity-loss.md 1.5: the fraction of the `rows` rows of g (row-major, rows x
 * cols, a layer's weight gradient over the probe set) whose L2 norm is <= 1e-3 x the mean
 * row norm (neurons that no longer learn). 0 when rows is 0, NaN if out of memory. */
double sm_diag_starved_fraction(const double *g, int rows, int cols);

/* Every field of *out for one layer; sv (may be NULL) receives the min(n, H) singular
 * values. saturation and delta as in the spec (0.95, 0.01). */
sm_status sm_diag_layer_compute(const float *counts, int n, int H, int T, double saturation,
                                double delta, sm_diag_layer *out, double *sv, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
