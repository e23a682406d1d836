/* somnus: how far the S->E receptive fields moved from their initial weights (spec
 * diehl-cook.md section 9, E6's "RF drift").
 */
#ifndef SOMNUS_RF_DRIFT_H
#define SOMNUS_RF_DRIFT_H

#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Mean over E neurons of 1 - corr(now_j, initial_j), where now_j is E neuron j's S->E
 * weight vector over all n_in pixels (0 where there is no synapse) under net->w and
 * initial_j the same under w_initial (n_syn weights, the same synapses as `net`).
 * Neurons whose vector is constant in either (no correlation defined) are skipped;
 * NaN if every neuron is. 0 when nothing moved, up to 2. */
double sm_rf_drift(const sm_net *net, const float *w_initial);

/* Fraction of E neurons whose column of the count matrix rows (n_rows x d, E neurons in
 * columns 0..n_exc-1) is all zero: the E neurons that never fired on those images. */
double sm_dead_fraction(const float *rows, int n_rows, int d, int n_exc);

#ifdef __cplusplus
}
#endif
#endif
