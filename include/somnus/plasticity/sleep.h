/* somnus: sleep, the homeostatic regularizer (spec section 5).
 *
 * This module holds the weight maths of sleep; the simulation (sim.c) decides when an
 * episode starts and runs the network with input silenced, noise on and plasticity on
 * while it lasts.
 *
 *  - power-law (5a, paper config): every sleep step maps every plastic weight, keeping
 *    its sign, |w| <- w_t * (|w| / w_t)^lambda; the episode ends when the sum of |w| of
 *    each block (excitatory S->E, E->E, E->I; inhibitory I->E) is within `tolerance` of
 *    its baseline W0, or when the window is used up.
 *  - modes (5b): at the onset of a D-step episode a multiplier m per weight is fixed
 *    (static: pathway's mean initial weight / w; layer: pathway's initial total / current
 *    total; neuron: the post neuron's initial incoming sum / current sum, per sign block)
 *    and every step multiplies the weight by m^(1/D).
 *  - normalize: the same targets applied at once.
 *  - sleep.target=initial: powerlaw and static use each synapse's own initial weight as
 *    its target (w_init) instead of the shared ones; the power-law step is then eager.
 *
 * Only plastic synapses take part; sums and baselines are over plastic synapses.
 */
#ifndef SOMNUS_SLEEP_H
#define SOMNUS_SLEEP_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Terms of the Taylor series of the lazy episode's block sums (see sm_sleep_lazy_step). */
#define SM_SLEEP_TERMS 10

/* The sleep regularizer's state. Stable to read: w0_block, w0_path, mean_path,
 * has_baseline (the baselines the stop test uses). Everything else, the lazy episode's
 * scratch above all, is internal and changes only through the functions below. */
typedef struct sm_sleep {
    /* configuration */
    double lambda;   /* double: (float)0.99997 - 1 is 6e-4 off lambda - 1 */
    float target[2]; /* target[0] excitatory w_t (> 0), target[1] inhibitory (< 0) */
    double tolerance;
    int stop; /* enum sm_sleep_stop */
    /* sleep.target=initial: each plastic weight decays toward its own initial weight
     * w_init[k] (n_syn, recorded with the baseline, saved in checkpoints) instead of
     * target[] (powerlaw) or the pathway mean (mode static). */
    int target_initial;
    float *w_init;
    int plastic[SM_N_PATHS];
    /* baselines, recorded by sm_sleep_record_baseline */
    double w0_block[2];         /* sum |w| of plastic synapses per block */
    double w0_path[SM_N_PATHS]; /* sum |w| per pathway */
    double mean_path[SM_N_PATHS];
    double *w0_in; /* n_post * 2: initial incoming sum |w| per post neuron and block */
    int has_baseline;
    /* mode-sleep episode */
    double *factor; /* n_syn: per-step multiplier m^(1/D) (0 = not plastic) */
    int64_t n_syn;
    int n_post;
    /* Lazy power-law episode (sm_sleep_lazy_*): scratch that lives only inside one
     * episode (sm_sleep_lazy_begin .. sm_sleep_lazy_end); outside it net->w is the truth.
     * lz_v and lz_e (16 bytes per synapse) are allocated at the first episode and kept. */
    double *lz_v;                     /* n_syn: ln(|w| / |w_t|) / lz_c, plastic synapses */
    double *lz_e;                     /* n_syn: exp(lz_c0 v) (0 for a weight of 0) */
    double lz_c, lz_c0;               /* lambda^k after k lazy steps; Taylor centre */
    double lz_mom[2][SM_SLEEP_TERMS]; /* per block: sum of v^m exp(lz_c0 v), m < TERMS */
    double lz_vmax[2];                /* per block: a bound on |v| */
    int lz_active;
} sm_sleep;

/* Creates the sleep state for `net` from sleep.* parameters. Caller destroys. */
sm_sleep *sm_sleep_create(const sm_config *cfg, const sm_net *net, sm_error *err);

/* Frees it (NULL is fine). */
void sm_sleep_destroy(sm_sleep *s);

/* Records the baselines (W0 per block, totals and means per pathway, incoming sums per
 * neuron) from the current weights: call once at the start of training. */
void sm_sleep_record_baseline(sm_sleep *s, const sm_net *net);

/* Sets the per-synapse initial weights of sleep.target=initial to w[0..n_syn) (a copy):
 * sm_sleep_record_baseline calls it with the current weights, a checkpoint load with the
 * saved ones. SM_ENOMEM if the copy cannot be allocated. */
sm_status sm_sleep_record_initial(sm_sleep *s, const sm_net *net, const float *w);

/* The network's synapses were rebuilt (structural plasticity, rewire.h): drops the
 * per-synapse scratch (lazy episode, mode factors; reallocated at the next episode, and
 * never live between episodes) and takes the new synapse count. Baselines are untouched:
 * the caller rescales w0_block / w0_path where its mode asks for it. */
void sm_sleep_on_rebuild(sm_sleep *s, const sm_net *net);

/* Sum of |w| over the plastic synapses of each block: sums[0] excitatory, [1] inhibitory.
 * Double accumulation in a fixed order. */
void sm_sleep_block_sums(const sm_sleep *s, const sm_net *net, double sums[2]);

/* 1 if the episode may end: every block has |sum - W0| <= tolerance * W0 (stop = within),
 * or no block has sum > (1 + tolerance) * W0 (stop = not_above). A NaN sum is never
 * converged; callers treat a non-finite sum as an error (sm_sim_sleep does). */
int sm_sleep_converged(const sm_sleep *s, const double sums[2]);

/* One power-law step on every plastic weight; writes the new block sums to `sums`.
 * The map is computed as |w| * exp((lambda - 1) * ln(|w| / w_t)), which equals
 * w_t * (|w| / w_t)^lambda and is accurate to float rounding. */
void sm_sleep_powerlaw_step(const sm_sleep *s, sm_net *net, double sums[2]);

/* The power-law map of one weight in double precision (reference for tests). */
double sm_sleep_powerlaw_map(double w, double w_target, double lambda);

/* Lazy power-law episode: the same map as sm_sleep_powerlaw_step, applied without
 * touching every weight every step. In the log domain the map is linear,
 * ln(|w|/w_t) <- lambda ln(|w|/w_t), so after k steps |w| = w_t exp(lambda^k u) exactly,
 * with u the log at the start; a weight that STDP changes restarts from its new value.
 * Each plastic synapse keeps v = ln(|w|/w_t) / lambda^k, so all weights share the one
 * factor c = lambda^k and the block sums sum(w_t exp(c v)) follow from a Taylor series in
 * c around a centre c0 (SM_SLEEP_TERMS terms, recentred by an O(n_syn) pass whenever
 * |c - c0| max|v| > 1/8: error < 1e-12 relative). Weights are computed in double from v
 * when read (sm_sleep_lazy_fetch) and rounded to float once, instead of being rounded
 * every step: the episode's weights differ from the eager step's in the last bits.
 * Valid for |lambda - 1| <= 1e-3 (the eager step's fast path). Usage per step: fetch
 * every synapse the rule or the propagation will read, let the rule change weights,
 * sm_sleep_lazy_store every synapse whose weight changed, then sm_sleep_lazy_step. */

/* 1 if the lazy episode applies to this configuration (lambda near 1). */
int sm_sleep_lazy_ok(const sm_sleep *s);

/* Starts a lazy episode from the current weights; writes the block sums to `sums`. */
sm_status sm_sleep_lazy_begin(sm_sleep *s, const sm_net *net, double sums[2], sm_error *err);

/* Writes the current value of synapse `syn` (after the steps so far) to net->w[syn] and
 * returns it (fixed synapses: their weight, unchanged). The value is w_t exp(c0 v)
 * exp((c - c0) v): the first factor is kept per synapse, the second is a polynomial
 * (|c - c0| |v| <= 1/8 between recentrings), so a read costs no library call. */
float sm_sleep_lazy_fetch(const sm_sleep *s, sm_net *net, int64_t syn);

/* sm_sleep_lazy_fetch for the synapses [lo, hi) (a row: one block), vectorized. */
void sm_sleep_lazy_fetch_range(const sm_sleep *s, sm_net *net, int64_t lo, int64_t hi);

/* sm_sleep_lazy_fetch for the n distinct synapses idx[0..n) (a column), vectorized; the
 * values are also written to out[0..n). */
void sm_sleep_lazy_fetch_list(const sm_sleep *s, sm_net *net, const uint32_t *idx, int64_t n,
                              float *out);

/* Takes net->w[syn] (changed since the fetch) as the synapse's new current value. */
void sm_sleep_lazy_store(sm_sleep *s, const sm_net *net, int64_t syn);

/* sm_sleep_lazy_store for syn[0..n) in that order, the logarithms vectorized. */
void sm_sleep_lazy_store_list(sm_sleep *s, const sm_net *net, const int64_t *syn, int64_t n);

/* One power-law step of every plastic weight (c <- lambda c); writes the block sums. */
void sm_sleep_lazy_step(sm_sleep *s, const sm_net *net, double sums[2]);

/* 1 while a lazy episode runs (between sm_sleep_lazy_begin and _end); 0 for NULL. */
int sm_sleep_lazy_active(const sm_sleep *s);

/* Writes every plastic weight's current value to net->w (the episode continues). */
void sm_sleep_lazy_sync(const sm_sleep *s, sm_net *net);

/* Ends the episode: writes every weight (sm_sleep_lazy_sync) and drops the scratch. */
void sm_sleep_lazy_end(sm_sleep *s, sm_net *net);

/* Starts a mode-sleep episode of `duration` steps with `mode` (SM_SLEEP_STATIC, _LAYER,
 * _NEURON): fixes each plastic weight's per-step factor m^(1/duration). */
sm_status sm_sleep_mode_begin(sm_sleep *s, const sm_net *net, int mode, int64_t duration,
                              sm_error *err);

/* One step of the current mode episode: w <- w * m^(1/D). */
void sm_sleep_mode_step(const sm_sleep *s, sm_net *net);

/* Applies the mode's target at once (normalize): w <- w * m. */
sm_status sm_sleep_normalize(sm_sleep *s, sm_net *net, int mode, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
