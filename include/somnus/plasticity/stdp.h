/* somnus: plasticity rules behind one small interface.
 *
 * The simulation calls `apply` once per step, after the step's spikes are known, with
 * a view of who spiked and how long ago every neuron last spiked. A rule changes the
 * weights of plastic synapses only, keeps every weight's sign and keeps it inside the
 * configured bounds. New rules implement sm_rule_ops; the loop does not change.
 *
 * Rules provided:
 *   pair  (spec 4a): pair STDP on time since last spike, textbook or as-published sign,
 *                    a configurable same-step convention; on networks of 2^20 synapses
 *                    and more, wake steps (apply and apply_deliver, any thread count)
 *                    defer the post-spike updates until the presynaptic row is walked or
 *                    the rule settles (sm_rule_settle), with bit-identical weights;
 *   trace (spec 4b): trace STDP with a moving target and a soft bound.
 */
#ifndef SOMNUS_STDP_H
#define SOMNUS_STDP_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest value of a neuron's "steps since last spike" counter; a neuron that never
 * spiked holds it. */
#define SM_AGE_MAX 0x3fffffff

/* What one step's spikes look like to a rule. */
typedef struct sm_step_spikes {
    uint64_t step; /* global step index */
    const int32_t
        *ids; /* global indices of the neurons that spiked this step: S, then E/I, ascending */
    int n;    /* length of ids */
    const uint8_t *flag; /* n_total: 1 if the neuron spiked this step */
    const int32_t *age;  /* n_total: steps since the neuron's last spike (0 = this step) */
} sm_step_spikes;

typedef struct sm_rule sm_rule;

/* The interface a plasticity rule implements. */
typedef struct sm_rule_ops {
    const char *name;
    /* Applies the rule for one step. */
    void (*apply)(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes);
    /* Applies any updates the rule accumulated (rules that batch updates); may be NULL. */
    void (*flush)(sm_rule *rule, sm_net *net);
    /* Frees the rule's own state (not the struct); may be NULL. */
    void (*destroy)(sm_rule *rule);
    /* The rule's dynamic state (traces, accumulated updates, clocks) for checkpoints:
     * with buf NULL returns its size in bytes; with save != 0 copies it into buf, else
     * restores it from buf. May be NULL for a rule without dynamic state. */
    size_t (*state)(sm_rule *rule, void *buf, int save);
    /* Optional (may be NULL): `apply` followed by the step's propagation, in one walk over
     * each spiker's row. Adds every outgoing weight of every spiker, as it is after this
     * step's changes, to drive[target post index], spikers in the order of spikes->ids
     * and targets in row order: the same sums, bit for bit, as `apply` then a separate
     * propagation. Called only with threads == 1. With may_defer set it may leave updates
     * of other synapses pending (see settle); it then relies on consecutive calls seeing
     * consistent spike views (each age one more than in the previous step, or 0), and
     * settles and starts over where they are not. */
    void (*apply_deliver)(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes, float *drive);
    /* Optional (may be NULL): writes into net->w every update the rule has deferred for
     * speed, so that the weights are those of the eager rule. Unlike `flush` it never
     * changes results: a rule whose weights are always current leaves it NULL. */
    void (*settle)(sm_rule *rule, sm_net *net);
    /* 1 if `apply` reads and writes only the rows (outgoing synapses) and columns
     * (incoming synapses) of the step's spikers: the simulation may then decay weights
     * lazily during a power-law sleep episode (pair STDP: 1). 0 for a rule that touches
     * other synapses (trace STDP, most user rules): sleep then decays every weight every
     * step. Results are the same either way; only speed differs. */
    int spiker_local;
} sm_rule_ops;

/* Base of every rule; implementations embed it first. */
struct sm_rule {
    const sm_rule_ops *ops;
    float exc_min, exc_max, inh_min, inh_max; /* weight bounds */
    int plastic[SM_N_PATHS];
    /* Threads `apply` may use (1 after creation; the simulation sets it before each call,
     * to 1 for steps too small to share). Results do not depend on it: rules split work
     * so that each weight sees the same operations in the same order. */
    int threads;
    /* Whether apply and apply_deliver may defer updates until sm_rule_settle (1 after
     * creation). The simulation sets it for wake steps only: a sleep step's decay reads
     * and writes the weights, so `apply` there settles first and stays eager. */
    int may_defer;
    /* Threads sm_rule_settle may use (1 after creation; the simulation sets its own
     * count). Results do not depend on it. */
    int max_threads;
};

/* One row of the table of synaptic rules (stdp.rule). */
typedef struct sm_rule_def {
    int id;                  /* value of stdp.rule (enum sm_stdp_rule) */
    const char *name;        /* its name in the parameter table */
    const char *description; /* one line */
    /* Creates the rule for `net` (NULL for "none"). Errors name the parameter. */
    sm_rule *(*create)(const sm_config *cfg, const sm_net *net, sm_error *err);
} sm_rule_def;

/* Number of rows of the rule table, and row i (NULL past the end). */
size_t sm_rule_def_count(void);
const sm_rule_def *sm_rule_def_at(size_t i);

/* The row of stdp.rule = id; NULL (err set: "'stdp.rule': 9 is not one of
 * none|pair|trace") if none has it. */
const sm_rule_def *sm_rule_def_find(int id, sm_error *err);

/* Creates the rule selected by stdp.rule: NULL with no error for stdp.rule = none, NULL
 * with err set for an id no rule has. */
sm_rule *sm_rule_create(const sm_config *cfg, const sm_net *net, sm_error *err);

/* Fills the common part of a rule (ops, bounds from stdp.*_min/max, plastic pathways
 * from net.plastic_*, one thread, deferral allowed) from the config. A rule written
 * outside somnus calls it on its embedded base before use. */
void sm_rule_base_init(sm_rule *r, const sm_rule_ops *ops, const sm_config *cfg);

/* Pair STDP (spec 4a). Exposed for tests and embedding. */
sm_rule *sm_rule_pair_create(const sm_config *cfg, sm_error *err);

/* Test hook: with force != 0 the pair rule defers its post-spike updates (see
 * stdp_pair.c) on networks of any size, not only from 2^20 synapses on. Results are the
 * same either way; tests use it to check that on small networks. Does nothing for other
 * rules. */
void sm_rule_pair_force_defer(sm_rule *rule, int force);

/* Trace STDP with moving target (spec 4b). */
sm_rule *sm_rule_trace_create(const sm_config *cfg, const sm_net *net, sm_error *err);

/* Calls ops->apply. */
void sm_rule_apply(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes);

/* Whether the rule provides apply_deliver. */
int sm_rule_can_deliver(const sm_rule *rule);

/* Calls ops->apply_deliver (see sm_rule_ops); only valid when sm_rule_can_deliver. */
void sm_rule_apply_deliver(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes, float *drive);

/* Calls ops->flush if present. */
void sm_rule_flush(sm_rule *rule, sm_net *net);

/* Calls ops->settle if present (NULL is fine): afterwards net->w holds every update
 * applied so far. Whoever reads or writes weights between steps settles first. */
void sm_rule_settle(sm_rule *rule, sm_net *net);

/* Frees the rule (NULL is fine). */
void sm_rule_destroy(sm_rule *rule);

/* Size in bytes of the rule's dynamic state (0 for NULL or a stateless rule). */
size_t sm_rule_state_size(sm_rule *rule);

/* Copies the rule's dynamic state into buf (sm_rule_state_size bytes). */
void sm_rule_state_save(sm_rule *rule, void *buf);

/* Restores the dynamic state saved by sm_rule_state_save from a rule created with the
 * same config and network. */
void sm_rule_state_load(sm_rule *rule, const void *buf);

/* The pair-STDP weight change of a synapse j -> i for dt = (time since j spiked) -
 * (time since i spiked) in steps, before bounds: the spec's formula, for tests and
 * documentation. `excitatory` selects the sign of the presynaptic neuron. */
double sm_pair_stdp_dw(const sm_config *cfg, int excitatory, int64_t dt_steps);

/* Clamps a weight to the bounds of its sign class. */
static inline float sm_rule_clamp(const sm_rule *r, float w, int excitatory)
{
    float lo = excitatory ? r->exc_min : r->inh_min, hi = excitatory ? r->exc_max : r->inh_max;
    return w < lo ? lo : (w > hi ? hi : w);
}

#ifdef __cplusplus
}
#endif
#endif
