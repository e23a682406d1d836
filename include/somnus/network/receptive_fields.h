/* somnus: structured S->E receptive fields (spec diehl-cook.md section 9, neurosnn's
 * `weights.receptive_fields` and `weights.oriented_receptive_fields`).
 *
 * The E neurons sit on a sheet: E neuron j at (j / W_e, j % W_e), with H_e = floor(sqrt N_E)
 * and W_e = ceil(N_E / H_e) (a square sheet when N_E is a square; otherwise the first N_E
 * cells). The input is the input.height x input.width image grid, pixel i at
 * (i / width, i % width).
 *
 *  - gaussian: E neuron j's centre is its sheet position scaled to the image,
 *    (r (H-1)/(H_e-1), c (W-1)/(W_e-1)), plus U(-0.25, 0.25) px jitter per coordinate,
 *    clipped to the image; its width sigma_j ~ Normal(rf_sigma, rf_sigma_sd), clipped at
 *    >= 1 px. Kernel k = exp(-d^2 / (2 sigma_j^2)) with the toroidal squared distance d^2;
 *    a synapse only where k >= SM_RF_K_MIN. Each input pixel's outgoing kernel is scaled
 *    so its sum is p_se x N_E x w_se (the expected outgoing sum of a Bernoulli draw).
 *  - oriented: elongated Gaussians, theta_k = pi k / n_or, sy = rf_gamma sx, zero beyond
 *    the Mahalanobis radius rf_r_cut, no wrap. Layout "block": the sheet is cut into
 *    p x p quadrants (p = sqrt n_or), quadrant q = orientation q, its Q_h x Q_w neurons
 *    centred on linspace(0, H-1, Q_h) x linspace(0, W-1, Q_w); "interleaved": orientation
 *    (r mod p) p + (c mod p), centre as gaussian without jitter. Each E neuron's kernel is
 *    normalized to sum 1 and then to the incoming sum p_se x n_input x w_se.
 *
 * Randomness (jitter, widths) comes from SM_STREAM_PLACE with index = E neuron, so the
 * fields are identical for any thread count.
 */
#ifndef SOMNUS_RECEPTIVE_FIELDS_H
#define SOMNUS_RECEPTIVE_FIELDS_H

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel values below this (relative to the peak 1) make no synapse. */
#define SM_RF_K_MIN 0.01

/* Sheet shape of n_exc E neurons: *h = floor(sqrt n_exc), *w = ceil(n_exc / *h). */
void sm_rf_sheet(int n_exc, int *h, int *w);

/* Squared toroidal distance between (r0, c0) and (r1, c1) on an h x w grid:
 * d_row = min(|dr|, h - |dr|), likewise columns. */
double sm_rf_torus_d2(double r0, double c0, double r1, double c1, int h, int w);

/* Centre (*row, *col, in pixels) of E neuron j in the deterministic part of the layout
 * (no jitter): gaussian and interleaved scale the sheet position to the image; block
 * places each quadrant on its own regular grid. */
void sm_rf_centre(const sm_config *cfg, int j, double *row, double *col);

/* Orientation index (0..n_or-1) of E neuron j for the oriented builder. */
int sm_rf_orientation(const sm_config *cfg, int j);

/* Checks the net.se_connectivity settings (sizes, n_or a square, block layout on a sheet
 * divisible by sqrt n_or); the error names the key. SM_OK for bernoulli. */
sm_status sm_rf_validate(const sm_config *cfg, sm_error *err);

/* The S->E weight matrix of net.se_connectivity (gaussian or oriented): w[i * n_exc + j]
 * is the weight of input pixel i onto E neuron j, 0 where there is no synapse. `w` holds
 * n_input x n_exc doubles. Deterministic in run.seed and independent of thread count. */
sm_status sm_rf_weights(const sm_config *cfg, double *w, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
