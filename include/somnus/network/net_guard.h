/* somnus: numerical guard of a network's weights. Finds the first NaN or infinite weight
 * and describes it (the step, the pathway, the synapse's neurons and the plasticity
 * parameters that move it). The simulation's guard (models/sim_guard.h) checks the
 * neuron state and then the weights through this; a sleep episode whose weight sum is
 * not finite stops with it (models/sim.c).
 */
#ifndef SOMNUS_NET_GUARD_H
#define SOMNUS_NET_GUARD_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SM_OK if every weight of `net` is finite; otherwise SM_ENUMERIC with a message such as
 * "step 1200: S->E synapse 5 -> 312: weight is +inf (stdp.eta_e 0.0008, bounds [0.01, 25])"
 * for the first one in storage order (global neuron indices; `step` and the stdp.*
 * values from the caller's `cfg`). Reads only; one pass over the weights. */
sm_status sm_net_check_weights(const sm_net *net, const sm_config *cfg, uint64_t step,
                               sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
