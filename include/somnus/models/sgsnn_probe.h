/* somnus: the SG-SNN's spike counts per layer on a probe set, for the loss-of-plasticity
 * diagnostics (spec plasticity-loss.md section 1). A forward pass through the layer views
 * of sgsnn.h with the network's own neuron (frozen weights, no noise, no plasticity). The
 * input currents come from other BLAS calls than the training code's, so a neuron whose
 * membrane lands within rounding of the threshold may spike differently from
 * sm_sgsnn_predict; tests/test_plasticity.c checks the agreement. */
#ifndef SOMNUS_SGSNN_PROBE_H
#define SOMNUS_SGSNN_PROBE_H

#include "somnus/core/error.h"
#include "somnus/models/sgsnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For n images x (n x n_in): hidden (n x n_hidden, may be NULL) and out (n x n_out, may be
 * NULL) receive each neuron's spike count over the p->steps steps (hidden = the first hidden
 * layer, out = the output layer, for any number of layers). */
sm_status sm_sgsnn_probe_counts(sm_sgsnn *net, const float *x, int n, float *hidden, float *out,
                                sm_error *err);

/* The same for every layer: counts[l] (n x neurons of layer l, may be NULL) for l = 0 ..
 * sm_sgsnn_n_layers - 1 (the last is the output layer). The first hidden layer's input is
 * its drive (sm_sgsnn_hidden_drive: LayerNorm and the ON/OFF split when enabled). */
sm_status sm_sgsnn_probe_counts_all(sm_sgsnn *net, const float *x, int n, float *const *counts,
                                    sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
