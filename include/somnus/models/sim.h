/* somnus: the simulation loop and the wake/sleep schedule.
 *
 * One step (all populations advance together, dt = run.dt):
 *   1. every E/I neuron integrates the drive from the previous step's spikes (lif.c),
 *      with membrane noise if the phase has it, and its intrinsic offset and gain; the
 *      neuron-level rule (ip.rule, plasticity/ip_rule.h) then updates them from this
 *      step's spikes (wake; sleep with ip.sleep = on; never in the test phase);
 *   2. stimulus spikes come from the input source (none during sleep);
 *   3. "steps since last spike" advance (0 for this step's spikers);
 *   4. the plasticity rule acts on this step's spikes (not in the test phase);
 *   5. during a power-law sleep step every plastic weight decays (sleep.c);
 *   6. this step's spikes are propagated into the next step's drive.
 *
 * Phases: wake (input on, plasticity on, the schedule advances), sleep (input silenced,
 * noise per noise.sleep, plasticity on, regularizer applied) and test (weights frozen).
 * The schedule is a "hard pause": sleep episodes are inserted between wake steps and do
 * not consume wake steps. The loop knows nothing about images: input comes from a
 * callback (an encoder, a spike file, anything).
 */
#ifndef SOMNUS_SIM_H
#define SOMNUS_SIM_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/lif.h"
#include "somnus/models/monitor.h"
#include "somnus/network/net.h"
#include "somnus/plasticity/ip_rule.h"
#include "somnus/plasticity/rewire.h"
#include "somnus/plasticity/sleep.h"
#include "somnus/plasticity/stdp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input source: writes the stimulus neurons (0..n_in-1, ascending) spiking at input step
 * `step` to `out` (room for n_in entries) and returns how many. The input clock counts
 * wake and test steps only (sleep does not advance it). The simulation checks the answer:
 * a count outside [0, n_in] or an index out of range or out of order fails the step with
 * SM_EINVAL naming the input step (it never writes out of bounds on the function's
 * behalf; writing more than n_in entries to `out` is the function's own overflow). */
typedef int (*sm_input_fn)(void *ctx, uint64_t step, int32_t *out);

/* Spike sink: receives every step's E and I spikes (global indices, ascending). During
 * the call net->w may lag behind the rule: pair STDP defers some updates on large
 * networks and a lazy power-law sleep episode decays weights lazily. A sink that reads
 * weights calls sm_sim_sync_weights(sim) first (results do not change); after
 * sm_sim_wake/_sleep/_test return, net->w is always current. */
typedef void (*sm_spike_fn)(void *ctx, uint64_t step, const int32_t *ids, int n);

/* Counters of what the simulation has done. */
typedef struct sm_sim_counters {
    uint64_t steps;             /* all steps */
    int64_t wake_steps;         /* wake steps (the schedule's clock) */
    int64_t sleep_steps;        /* steps asleep */
    int64_t test_steps;         /* steps in the test phase */
    int64_t episodes;           /* sleep episodes started */
    int64_t episodes_converged; /* power-law episodes that ended by the stop criterion */
    int64_t normalizations;
} sm_sim_counters;

/* The simulation. Its fields are public for reading (tests, exporters, embedding code):
 * stable to read are cfg, net (weights per sm_net), count, v, theta, a, i_syn (E then I,
 * n_post each), ip (NULL without intrinsic plasticity; h and g per neuron) and threads;
 * write through the functions below only. The rest is
 * internal and may change between versions. */
typedef struct sm_sim {
    sm_config cfg;
    sm_net *net;
    sm_rule *rule;
    sm_sleep *sleep;
    sm_monitor *mon;
    sm_lif_coeffs coef[2];
    /* post-neuron state, structs of arrays (n_post) */
    float *v, *i_syn, *a, *theta, *drive, *noise;
    uint8_t *post_spiked;
    /* all neurons (n_total) */
    uint8_t *flag;
    int32_t *age;
    int32_t *ids;
    int n_ids;
    sm_sim_counters count;
    int64_t next_record; /* steps until the next monitor record */
    sm_input_fn input;
    void *input_ctx;
    sm_spike_fn on_spikes;
    void *spikes_ctx;
    int threads;
    /* Per-step scratch of the lazy power-law sleep (not state: rebuilt every step): the
     * synapses a step reads and the values they were read with. */
    int64_t *touch_syn;
    float *touch_w;
    int64_t touch_n, touch_cap;
    sm_ip *ip;     /* neuron-level rule (ip.rule); NULL for none */
    sm_rewire *rw; /* structural plasticity (struct.mode); NULL for none */
} sm_sim;

/* Builds the network and every component from `cfg` (validated here), records the sleep
 * baseline from the initial weights, and starts at step 0. Caller destroys. */
sm_sim *sm_sim_create(const sm_config *cfg, sm_error *err);

/* Frees the simulation and everything it owns (NULL is fine). */
void sm_sim_destroy(sm_sim *sim);

/* Sets the input source (NULL = silence). */
void sm_sim_set_input(sm_sim *sim, sm_input_fn fn, void *ctx);

/* Writes every pending weight update into net->w (deferred pair-STDP updates, a lazy
 * sleep episode's decay) without changing results. For spike sinks and input functions
 * that read weights mid-run. */
void sm_sim_sync_weights(sm_sim *sim);

/* Replaces the plasticity rule (stdp.rule's) by `rule`, which the simulation then owns
 * and destroys; NULL = no plasticity. The old rule's pending updates are written first.
 * For rules written outside somnus (sm_rule_ops; docs/architecture.md) and tests. */
void sm_sim_set_rule(sm_sim *sim, sm_rule *rule);

/* Sets the spike sink (NULL = none). */
void sm_sim_set_spike_sink(sm_sim *sim, sm_spike_fn fn, void *ctx);

/* Runs `n` wake steps; sleep episodes and normalizations due by the schedule are run
 * in between. */
sm_status sm_sim_wake(sm_sim *sim, int64_t n, sm_error *err);

/* Runs `n` steps in the test phase: input on, weights frozen, noise per noise.test. */
sm_status sm_sim_test(sm_sim *sim, int64_t n, sm_error *err);

/* Runs one sleep episode now, of at most `max_steps` steps, with the configured mode
 * (power-law: stops early when converged; sleep.mode = none: nothing, not counted). Writes
 * the steps slept to *slept (may be NULL).
 * A power-law episode with pair STDP or no rule decays the weights lazily (sleep.h,
 * sm_sleep_lazy_*): while it runs, net->w is current only for the synapses of the current
 * step's spikers (and at monitor records); every weight is current when the call returns. */
sm_status sm_sim_sleep(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err);

/* Length of the power-law sleep window of the configured schedule:
 * min(max(1, round(period * rate)), max_steps) for schedule = period,
 * max(1, round(period * rate)) for schedule = batch; 0 when sleep.rate is 0. */
int64_t sm_sim_sleep_window(const sm_config *cfg);

/* Appends a monitor record now (also done automatically every monitor.interval steps). */
sm_status sm_sim_record(sm_sim *sim, sm_error *err);

/* Runs one structural event now (struct.mode != none; sim_struct.c): pending weight
 * updates are settled, the rewiring pathways pruned and regrown, the CSR arrays rebuilt,
 * the sleep state told (and, under gmp/granet, its block and pathway baselines scaled by
 * current / initial count) and the scores reset. Never called inside a sleep episode. */
sm_status sm_sim_struct_event(sm_sim *sim, sm_error *err);

struct sm_ckpt;

/* With structural plasticity: adds the checkpoint sections "synapses" (int32 pre, post
 * global index pairs in CSR order; the weights are the "weights" section) and "rewire"
 * (sm_rewire_state_save, with the sleep baselines). No-op without it. */
sm_status sm_sim_struct_save(const sm_sim *sim, struct sm_ckpt *c, sm_error *err);

/* The reverse, before the other sections are read: rebuilds the network from "synapses"
 * and "weights" and restores the structural state, so that a resume across structural
 * events is bit-identical. No-op without structural plasticity. */
sm_status sm_sim_struct_load(sm_sim *sim, const struct sm_ckpt *c, const char *path, sm_error *err);

/* Re-records the sleep baseline W0 from the current weights. */
void sm_sim_record_baseline(sm_sim *sim);

#ifdef __cplusplus
}
#endif
#endif
