/* somnus: structural plasticity of the STDP network (spec structural.md section 4).
 *
 * At a structural event, per rewiring pathway P (struct.pathways) with n_P synapses:
 *  - gmp / granet: the cubic schedule's count is enforced first, pruning the smallest |w|
 *    (s_k = s_f (1 - (1 - p)^3), p = (k + 1) / K over events k = 0..K-1, target count
 *    floor(n0 (1 - s_k)), n0 the initial count);
 *  - rewire / granet: k_P = ceil(r n_P) synapses of smallest |w| are dropped (ties: lower
 *    synapse id) or, with prune = at_bound, every synapse with |w| <= bound + 1e-6 that was
 *    not created at the previous event; then k_P absent, eligible pairs are created: the
 *    highest scores first (ties: lower pre, then lower post), and, if fewer than k_P have a
 *    score > 0, the rest uniformly at random among the other eligible pairs (stream
 *    SM_STREAM_REWIRE, index = event * 4 + pathway, draws in order). Eligible: no
 *    duplicate, no E->E self-synapse, no reciprocal E/I pair when net.no_reciprocal.
 *    A pair dropped and recreated at the same event keeps its weight (GraNet 2.3); other
 *    new synapses start at struct.w_new.
 * Then the CSR arrays are rebuilt (sm_net_rebuild; struct.layout = slack edits rows with
 * spare capacity instead, net_slack.h, bitwise the same network) and the scores reset.
 *
 * Scores (struct.regrow = coincidence / stdp): every neuron keeps a trace x (decay
 * exp(-dt / tau_plus), +1 on a spike; updated before it is read, so a pre and a post spike
 * in the same step count as a coincidence in G and in H). For every pair (j -> i) of a
 * rewiring pathway, at each scored step, G_ij += x_j s_i and H_ij += x_i s_j. Scores are
 * dense (n_pre x n_post floats per pathway), accumulated for all pairs, read only for
 * absent, eligible ones; scored steps are wake steps (and sleep steps with
 * struct.score_sleep), never test steps, so frozen evaluations leave them alone.
 */
#ifndef SOMNUS_REWIRE_H
#define SOMNUS_REWIRE_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/net.h"
#include "somnus/network/net_slack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The random stream of structural events (index = event * 4 + pathway). */
#define SM_STREAM_REWIRE 24u

/* Per-pathway state. Pre and post are numbered locally: pre j is global pre0 + j, post i
 * is post index post0 + i (global n_in + post0 + i). */
typedef struct sm_rewire_path {
    int on; /* listed in struct.pathways */
    int pre0, n_pre, post0, n_post;
    float *g;      /* n_post x n_pre (post-major): pre-before-post coincidences G */
    float *h;      /* n_pre x n_post (pre-major): post-before-pre coincidences H */
    uint8_t *ever; /* n_pre x n_post: 1 if the pair has ever been a synapse */
    int64_t n_initial;
    int64_t pruned_total, regrown_total;
    int64_t *made, n_made;     /* pair keys (pre * n_post + post) created at the last event */
    int64_t *pruned, n_pruned; /* pair keys dropped at the last event */
} sm_rewire_path;

/* One row of the structure_events table (one event). */
typedef struct sm_rewire_record {
    int64_t step, wake_step;
    double r, target_sparsity, sparsity; /* sparsity over the rewiring pathways */
    double ever_active;                  /* pairs ever active / possible pairs (all P) */
    int64_t n_syn[SM_N_PATHS], pruned[SM_N_PATHS], regrown[SM_N_PATHS];
    double mean_w_pruned[SM_N_PATHS];      /* NaN when none */
    double regrown_was_pruned[SM_N_PATHS]; /* fraction of regrown pruned at the previous event */
} sm_rewire_record;

/* The structural-plasticity state of one simulation. */
typedef struct sm_rewire {
    int mode, prune, regrow, decay, balance, w_new, score_sleep, published_sign;
    int no_reciprocal;
    double rate, rate_min, final_sparsity;
    float w_new_exc, w_new_inh; /* struct.w_new = bound */
    float w_init[SM_N_PATHS];   /* struct.w_new = initial */
    uint64_t seed;
    float decay_x; /* exp(-dt / tau_plus) */
    float *x;      /* n_total traces */
    int n_in, n_exc, n_inh, n_total;
    int64_t events;  /* events run */
    int64_t horizon; /* K: events predicted from the protocol (>= 1) */
    sm_rewire_path path[SM_N_PATHS];
    double w0_block0[2], w0_path0[SM_N_PATHS]; /* sleep baselines at the first event */
    int64_t block_count0[2];                   /* plastic synapses per block at creation */
    int have_w0;
    sm_rewire_record *log; /* events[0..events) */
    int64_t log_cap;
    sm_net_slack *slack; /* struct.layout = slack; NULL with rebuild */
    /* Told after every event (event = its index) with the new network; may be NULL
     * (connectivity snapshots of --export). */
    void (*on_event)(void *ctx, const sm_net *net, int64_t event);
    void *on_event_ctx;
} sm_rewire;

/* Creates the state for `net` from struct.* (NULL with no error when struct.mode = none).
 * The caller checks err->code. Pathways too large for dense scores are refused. */
sm_rewire *sm_rewire_create(const sm_config *cfg, const sm_net *net, sm_error *err);

/* Frees it (NULL is fine). */
void sm_rewire_destroy(sm_rewire *rw);

/* Sets K, the number of events the protocol will run (cosine decay, gmp schedule). */
void sm_rewire_set_horizon(sm_rewire *rw, int64_t events);

/* r_k of event k: cosine from struct.rate to struct.rate_min over K events (r_min from
 * k = K on), or struct.rate with decay = constant. */
double sm_rewire_rate(const sm_rewire *rw, int64_t k);

/* Target count of a gmp/granet pathway with n0 initial synapses after event k. */
int64_t sm_rewire_target_count(const sm_rewire *rw, int64_t n0, int64_t k);

/* One step's spikes (global indices, ascending): traces advance; when `score` is set the
 * coincidence scores accumulate (rewire_score.c). */
void sm_rewire_observe(sm_rewire *rw, const int32_t *ids, int n, int score);

/* Zeroes the scores (after an event). */
void sm_rewire_reset_scores(sm_rewire *rw);

/* Score of the absent pair (pre local j, post local i) of pathway p by struct.regrow:
 * G + H, or G - H (H - G with stdp.sign = as_published); 0 for random/none. */
float sm_rewire_score(const sm_rewire *rw, int p, int j, int i);

/* Runs one structural event on `net` (weights current: the caller settles deferred
 * updates first) and rebuilds its CSR arrays; `step` and `wake_step` label the event.
 * The caller then tells the components that keep per-synapse arrays (sleep). */
sm_status sm_rewire_event(sm_rewire *rw, sm_net *net, int64_t step, int64_t wake_step,
                          sm_error *err);

/* Checkpoint blob of the structural state (rewire_state.c): bytes needed, given the
 * current made/pruned counts and event log. */
size_t sm_rewire_state_size(const sm_rewire *rw);

/* Writes the blob (sm_rewire_state_size bytes) to buf; sleep_w0 (the sleep baselines
 * w0_block[2] then w0_path[SM_N_PATHS], which gmp/granet rescale) travels with it. */
void sm_rewire_state_save(const sm_rewire *rw, const double sleep_w0[2 + SM_N_PATHS], void *buf);

/* Restores a blob of `len` bytes written for the same configuration; fills sleep_w0.
 * A blob of another size or shape is refused (SM_EFORMAT) without reading past len. */
sm_status sm_rewire_state_load(sm_rewire *rw, const void *buf, size_t len,
                               double sleep_w0[2 + SM_N_PATHS], sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
