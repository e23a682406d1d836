/* somnus: the loss-of-plasticity remedies of the SG-SNN that live outside its forward and
 * backward passes (spec plasticity-loss.md section 2): SAM around Adam (2.1), resets and
 * shrink-and-perturb (2.4), ReDo (2.4). Each works through the layer, gradient and moment
 * views of sgsnn.h. Random draws are keyed by (seed, SM_STREAM_PLASTICITY, key): the
 * caller passes a key that names the chunk and the purpose, so results do not depend on
 * the thread count. */
#ifndef SOMNUS_SGSNN_REMEDY_H
#define SOMNUS_SGSNN_REMEDY_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/models/sgsnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The buffers of SAM (a copy of the parameters and of the first gradient). */
typedef struct sm_sgsnn_sam sm_sgsnn_sam;

/* Buffers for `net`; scope_hidden = 1 perturbs every tensor but the output layer's (hidden
 * layers and LayerNorm), 0 every parameter. NULL if
 * out of memory (err says so). */
sm_sgsnn_sam *sm_sgsnn_sam_create(sm_sgsnn *net, double rho, int scope_hidden, sm_error *err);

/* Frees the buffers. NULL is allowed. */
void sm_sgsnn_sam_destroy(sm_sgsnn_sam *s);

/* One SAM minibatch: g = grad L(theta) (the normal BPTT pass; *loss and *n_correct are its),
 * eps = rho g / (||g||_2 + 1e-12) over the scope, g' = grad L(theta + eps), theta restored,
 * then one Adam step with g' in scope and g outside. gnorm (may be NULL) receives ||g||
 * and ||g'|| over the scope. With rho = 0 the step is plain Adam's, bit for bit. */
sm_status sm_sgsnn_sam_step(sm_sgsnn_sam *s, const float *x, const int *y, int n, double *loss,
                            int *n_correct, double gnorm[2], sm_error *err);

/* Re-initialises layer `layer` (0 = first hidden, sm_sgsnn_n_layers - 1 = output): alpha
 * = 0 redraws W and b from the initial distribution (uniform +-1/sqrt(fan_in)) and sets
 * their Adam moments to 0; 0 < alpha < 1 is shrink and perturb, theta <- alpha theta +
 * (1 - alpha) theta_fresh (moments kept); alpha = 1 leaves the layer alone. Layer 0 takes
 * the LayerNorm gain and shift along (fresh values 1 and 0). `key` selects the draw. */
void sm_sgsnn_reinit_layer(sm_sgsnn *net, int layer, double alpha, uint64_t seed, uint32_t key);

/* ReDo: every neuron of the first hidden layer whose tau-dormant score on the probe counts
 * (n x n_hidden) is <= tau gets a fresh row of W1 and entry of b1, its column of the next
 * layer's weights set to 0, and the Adam moments of those entries set to 0. With the
 * ON/OFF split a row of W1 is redrawn only when both neurons of its pair are dormant, and
 * then both columns are zeroed. Returns how many neurons were re-initialised. */
int sm_sgsnn_redo(sm_sgsnn *net, const float *hidden_counts, int n, double tau, uint64_t seed,
                  uint32_t key);

#ifdef __cplusplus
}
#endif
#endif
