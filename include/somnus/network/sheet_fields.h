/* somnus: structured recurrent pathways on the E sheet (spec diehl-cook.md section 9): a
 * Gaussian E->E and a centre-surround I->E ring, the two halves of a difference of
 * Gaussians ("Mexican hat") built from pathways of one sign each.
 *
 * The E neurons sit on the sheet of receptive_fields.h (E neuron j at (j / W_e, j % W_e),
 * H_e = floor(sqrt N_E), W_e = ceil(N_E / H_e)), read as a torus of H_e x W_e cells. The I
 * neurons sit on their own sheet (sm_rf_sheet of N_I) spread evenly over that torus: I
 * neuron k at (r H_e / H_i, c W_e / W_i) with (r, c) = (k / W_i, k % W_i). d is the toroidal
 * distance (sm_rf_torus_d2).
 *
 *  - E->E gaussian (net.ee_connectivity): kernel exp(-d^2 / (2 ee_sigma^2)) between two
 *    distinct E neurons; a synapse where it is >= SM_RF_K_MIN.
 *  - I->E ring (net.ie_connectivity): kernel exp(-(d - ie_radius)^2 / (2 ie_width^2)); a
 *    synapse where it is >= SM_RF_K_MIN.
 *
 * Each E neuron's incoming kernel is scaled so its sum is what a Bernoulli draw gives it on
 * average: p_ee (N_E - 1) w_ee for E->E, p_ie N_I w_ie (negative) for I->E. Nothing is
 * random, so the weights are the same on any thread count. net.no_reciprocal then removes
 * ring synapses I_k->E_j where E_j->I_k exists, as it does Bernoulli ones.
 */
#ifndef SOMNUS_SHEET_FIELDS_H
#define SOMNUS_SHEET_FIELDS_H

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Row and column (in E-sheet cells) of I neuron k of n_inh on the torus of an n_exc sheet. */
void sm_sheet_i_position(int n_exc, int n_inh, int k, double *row, double *col);

/* Kernel (unscaled, 0 below SM_RF_K_MIN or for i == j) of E neuron i onto E neuron j. */
double sm_sheet_ee_kernel(const sm_config *cfg, int i, int j);

/* Kernel (unscaled, 0 below SM_RF_K_MIN) of I neuron k onto E neuron j. */
double sm_sheet_ie_kernel(const sm_config *cfg, int k, int j);

/* scale[j] for every E neuron j (n_exc doubles): the factor that brings its incoming E->E
 * (ie = 0) or I->E (ie = 1) kernel sum to the Bernoulli mean above (0 where that kernel sum
 * is 0: the neuron gets no synapse of the pathway). Weight = kernel x scale[post]. */
void sm_sheet_scales(const sm_config *cfg, int ie, double *scale);

#ifdef __cplusplus
}
#endif
#endif
