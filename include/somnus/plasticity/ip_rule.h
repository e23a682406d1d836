/* somnus: neuron-level (intrinsic) plasticity rules behind one small interface (spec
 * intrinsic.md part B1).
 *
 * An intrinsic-plasticity rule changes a neuron's excitability, not its synapses: each
 * LIF neuron has an offset h (mV, added to its threshold) and a gain g (on its synaptic
 * input), read by the LIF update (network/lif.h, sm_lif_step_pops_ip). h = 0 and g = 1
 * give the model without intrinsic plasticity bit for bit.
 *
 * The simulation calls sm_ip_step once per step in which the rule is active (wake steps;
 * sleep steps too with ip.sleep = on; never in the test phase, so evaluations run with
 * h and g frozen), after the LIF update, with the step's spikes and synaptic currents.
 * Every update is per neuron and serial: the thread count cannot change it.
 *
 * Rules provided (table IP_RULES in ip_registry.c, selected by ip.rule):
 *   rate    (ip_rate.c): every step h <- clip(h + eta_h (s - rho), h_min, h_max),
 *           rho = r_target dt / 1000 (a homeostatic threshold toward a target rate);
 *   triesch (ip_triesch.c): Triesch's (2005) gain and bias rule toward an exponential
 *           rate distribution of mean r_target, once per window of ip.window steps.
 */
#ifndef SOMNUS_IP_RULE_H
#define SOMNUS_IP_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_ip sm_ip;

/* The interface a neuron-level rule implements. */
typedef struct sm_ip_ops {
    const char *name;
    /* One active step: spiked[k] (1 if neuron k spiked this step) and i_syn[k] (its
     * synaptic current after this step's update), k < n_post. Updates hd/gd and the
     * float copies h/g the LIF update reads. */
    void (*step)(sm_ip *ip, const float *i_syn, const uint8_t *spiked);
} sm_ip_ops;

/* A neuron-level rule's state. Public so that rules can be written outside this file;
 * stable to read: n_exc, n_post, n_ip, h, g. Write through the rule only. */
struct sm_ip {
    const sm_ip_ops *ops;
    int n_exc, n_post; /* E neurons come first, then I */
    int n_ip;          /* neurons [0, n_ip) adapt: n_exc (ip.populations = e) or n_post */
    float *h, *g;      /* what the LIF update reads: 64-byte aligned, padded to 16 */
    double *hd, *gd;   /* the rule's values (the float copies are rounded from them) */
    uint32_t *count;   /* spikes in the current window (triesch) */
    double *xsum;      /* sum of R I_syn / (theta0 - V_rest) in the current window */
    int64_t window;    /* steps per window (triesch) */
    int64_t pos;       /* steps into the current window */
    double rho[2];     /* target spikes per step, E and I */
    double eta_h, h_min, h_max;
    double rho_max; /* triesch: spikes per step of output y = 1 */
    double mu[2];   /* triesch: target mean output r_target / r_max, E and I */
    double span[2]; /* theta0 - V_rest (mV), E and I */
    double r_m[2];  /* membrane resistance, E and I */
    double eta_b, eta_g, g_min, g_max;
    int sleep_on; /* ip.sleep = on: the rule also runs during sleep */
};

/* One row of the table of neuron-level rules. */
typedef struct sm_ip_def {
    int id;           /* enum sm_ip_rule_id: the value of ip.rule */
    const char *name; /* the choice's name in the parameter table */
    const char *help;
    const sm_ip_ops *ops; /* NULL for "none" */
} sm_ip_def;

/* Rows of the table (ip_registry.c) by index, and their number. */
size_t sm_ip_def_count(void);
const sm_ip_def *sm_ip_def_at(size_t i);

/* The row of ip.rule = id; NULL and SM_EINVAL naming ip.rule and its choices if none. */
const sm_ip_def *sm_ip_def_find(int id, sm_error *err);

/* The rules the table provides. */
extern const sm_ip_ops sm_ip_rate_ops;
extern const sm_ip_ops sm_ip_triesch_ops;

/* One update of Triesch's rule for y = sigma(a x + b) (the triesch rule's core, also
 * usable on a rate neuron): D = 1 - (2 + 1/mu) y + y^2/mu, b <- b + eta_b D,
 * a <- a + eta_a (1/a + x D) (a before the update). */
void sm_ip_triesch_update(double *a, double *b, double x, double y, double mu, double eta_a,
                          double eta_b);

/* Creates the rule of cfg->ip for n_exc E and n_inh I neurons, with h = 0 and g = 1.
 * *out = NULL (and SM_OK) for ip.rule = none. An id outside the table (or a bad
 * ip.populations/ip.sleep written into the struct directly) is SM_EINVAL naming the key. */
sm_status sm_ip_create(const sm_config *cfg, int n_exc, int n_inh, sm_ip **out, sm_error *err);

/* As sm_ip_create with the given ops instead of the table's (rules written outside the
 * library, tests). */
sm_status sm_ip_create_with(const sm_config *cfg, const sm_ip_ops *ops, int n_exc, int n_inh,
                            sm_ip **out, sm_error *err);

/* Frees the rule (NULL is fine). */
void sm_ip_destroy(sm_ip *ip);

/* One active step (see the file comment). NULL ip: nothing. */
void sm_ip_step(sm_ip *ip, const float *i_syn, const uint8_t *spiked);

/* Sets h and g of neuron k (and their float copies); for tests and for loading. */
void sm_ip_set(sm_ip *ip, int k, double h, double g);

/* The dynamic state (h, g, window counters and position) for checkpoints: with buf NULL
 * returns its size in bytes; with save != 0 copies it into buf, else restores it. */
size_t sm_ip_state(sm_ip *ip, void *buf, int save);

/* Mean and sd of h and mean of g over population pop (0 = E, 1 = I). NaN for an empty
 * population; h = 0, g = 1 for a population the rule does not adapt. */
void sm_ip_stats(const sm_ip *ip, int pop, double *h_mean, double *h_sd, double *g_mean);

#ifdef __cplusplus
}
#endif
#endif
