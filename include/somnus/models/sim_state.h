/* somnus: a snapshot of a simulation's dynamic state, to run something on the side (an
 * evaluation with frozen weights) and then continue exactly as if it had not happened.
 *
 * What is saved: every neuron's state (membrane, synaptic current, adaptation,
 * threshold, pending drive, noise buffer, spike flags, steps since the last spike),
 * the step counters, the monitor's open interval, per-neuron counts, totals and the
 * number of records. Weights, the rule's traces, the intrinsic offsets and gains and the
 * sleep baseline are NOT saved: the test phase does not change them. Restoring drops
 * the monitor records appended since the save.
 */
#ifndef SOMNUS_SIM_STATE_H
#define SOMNUS_SIM_STATE_H

#include "somnus/core/error.h"
#include "somnus/models/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_sim_state sm_sim_state;

/* Copies the dynamic state of `sim` into a new snapshot. NULL (and err) when out of
 * memory. Caller frees with sm_sim_state_free. */
sm_sim_state *sm_sim_state_save(const sm_sim *sim, sm_error *err);

/* Puts `sim` back into the saved state. `s` must come from the same sim. */
void sm_sim_state_restore(sm_sim *sim, const sm_sim_state *s);

/* Frees a snapshot (NULL is fine). */
void sm_sim_state_free(sm_sim_state *s);

struct sm_ckpt;

/* Adds the complete dynamic state of `sim` to a checkpoint as sections: neuron state,
 * spike flags and ages, step counters, monitor counts and records, every weight, the
 * plasticity rule's own state, and (with ip.rule set) the intrinsic plasticity state
 * (section "ip"). The network's structure is not saved: it is rebuilt from the config
 * (run.seed), so save and load must use the same config. Call between steps (not inside
 * a sleep episode). */
sm_status sm_sim_checkpoint_save(const sm_sim *sim, struct sm_ckpt *c, sm_error *err);

/* Restores what sm_sim_checkpoint_save stored into a simulation created from the same
 * config. A section of the wrong size (another network) is an error naming it; `sim`
 * may then be partly restored and should be discarded. */
sm_status sm_sim_checkpoint_load(sm_sim *sim, const struct sm_ckpt *c, const char *path,
                                 sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
