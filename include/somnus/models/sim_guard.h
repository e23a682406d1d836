/* somnus: numerical guard. Finds the first NaN or infinite value in a simulation's
 * neuron state or weights and describes it: the step, the population and neuron, the
 * variable, and the parameters that drive it, so that a diverging run stops with a
 * message a user can act on instead of producing garbage.
 */
#ifndef SOMNUS_SIM_GUARD_H
#define SOMNUS_SIM_GUARD_H

#include "somnus/core/error.h"
#include "somnus/models/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SM_OK if every membrane potential, synaptic current, adaptation, threshold, pending
 * drive and weight of `sim` is finite; otherwise SM_ENUMERIC with a message such as
 * "step 1200: E neuron 17: membrane potential is NaN (lif_e: tau_m 30 ms, tau_syn 30 ms,
 * r_m 30, theta0 -55 mV, delta_a 3 mV; noise.sigma 2 mV)" or
 * "step 1200: S->E synapse 5 -> 312: weight is +inf (stdp.eta_e 0.0008, bounds [0.01, 25])".
 * Reads only; cost one pass over the state and the weights. */
sm_status sm_sim_check_finite(const sm_sim *sim, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
