/* somnus: current-based leaky integrate-and-fire neurons with an adaptive threshold
 * (spec section 2). Per step, for each neuron:
 *
 *   I_syn <- I_syn + dt/tau_syn * (-I_syn + drive)
 *   V     <- V + dt/tau_m * (-(V - V_rest) + g * R * I_syn)
 *   V     <- V + noise
 *   V     <- clamp(V, V_min, V_max)
 *   spike if V > theta; then V <- V_reset
 *   a     <- a - dt/tau_a * a;  a <- a + delta_a on a spike;
 *   theta = clamp(theta_0 + a + h, theta_min, theta_max)
 *
 * h (mV) and g are a neuron's intrinsic offset and gain (spec intrinsic.md B1), moved by
 * the neuron-level rules of plasticity/ip_rule.h; without them (sm_lif_step_pops) h = 0
 * and g = 1. With them, h = 0 and g = 1 give the same numbers bit for bit (g * x with
 * g = 1 and x + 0 are exact).
 *
 * State lives in structs of arrays owned by the caller (the simulation); this module
 * holds the maths only.
 */
#ifndef SOMNUS_LIF_H
#define SOMNUS_LIF_H

#include <stdint.h>

#include "somnus/core/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-population constants, precomputed in float from sm_lif_params and dt. */
typedef struct sm_lif_coeffs {
    float k_syn, k_m, k_a; /* dt/tau_syn, dt/tau_m, dt/tau_a */
    float r_m, v_rest, v_reset, theta0, v_min, v_max, theta_min, theta_max, delta_a;
} sm_lif_coeffs;

/* Precomputes the coefficients of one population for step `dt` (ms). */
sm_lif_coeffs sm_lif_coeffs_make(const sm_lif_params *p, double dt);

/* Initial state of one neuron: V = v_init, I_syn = 0, a = 0, theta = clamp(theta0). */
void sm_lif_init(const sm_lif_params *p, int n, float *v, float *i_syn, float *a, float *theta);

/* Advances n neurons one step. `drive` (summed weights of presynaptic spikes of the
 * previous step) is consumed and zeroed. `noise` (mV, may be NULL) is added to V after
 * the membrane update. `spiked[k]` is set to 1 or 0. Returns the number of spikes. */
int sm_lif_step(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
                float *restrict a, float *restrict theta, float *restrict drive,
                const float *restrict noise, uint8_t *restrict spiked);

/* Advances two populations in one pass, with the arithmetic of sm_lif_step per neuron:
 * neurons [0, n_first) use c[0], [n_first, n) use c[1]. The arrays must hold n_pad >= n
 * elements (the caller pads them, e.g. to a multiple of 16, so the loop has no scalar
 * tail); lanes in [n, n_pad) are updated on the padding but never spike. `noise` may be
 * NULL; when given it must also hold n_pad values. Returns the number of spikes. */
int sm_lif_step_pops(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                     float *restrict i_syn, float *restrict a, float *restrict theta,
                     float *restrict drive, const float *restrict noise, uint8_t *restrict spiked);

/* sm_lif_step_pops with a per-neuron intrinsic offset h (mV, added to the threshold)
 * and gain g (on the synaptic input R * I_syn): arrays of n_pad values each, aligned as
 * the other arrays. h = 0, g = 1 gives sm_lif_step_pops's results bit for bit. */
int sm_lif_step_pops_ip(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                        float *restrict i_syn, float *restrict a, float *restrict theta,
                        float *restrict drive, const float *restrict noise, const float *restrict h,
                        const float *restrict g, uint8_t *restrict spiked);

#ifdef __cplusplus
}
#endif
#endif
