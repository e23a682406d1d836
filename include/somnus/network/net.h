/* somnus: network structure (spec section 1).
 *
 * Neurons have one global index: stimulus S in [0, n_in), excitatory E in
 * [n_in, n_in + n_exc), inhibitory I after that. Only E and I integrate input; they are
 * also numbered locally as "post" neurons 0..n_post-1 (E first), the index used by
 * the LIF state arrays.
 *
 * Synapses are stored once, in CSR order by presynaptic neuron (rows S, then E, then I;
 * targets sorted within a row). Because of that order the excitatory block (S->E, E->E,
 * E->I) is the synapse range [0, exc_end) and the inhibitory block (I->E) is
 * [exc_end, n_syn). A postsynaptic index lists, for each post neuron, the ids of its
 * incoming synapses, for rules that act on postsynaptic spikes.
 */
#ifndef SOMNUS_NET_H
#define SOMNUS_NET_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_net {
    int n_in, n_exc, n_inh;
    int n_post;  /* n_exc + n_inh */
    int n_total; /* n_in + n_post */

    int64_t n_syn;
    int64_t exc_end;  /* synapses [0, exc_end) have an excitatory presynaptic neuron */
    int64_t *row;     /* n_total + 1: outgoing synapses of global neuron g are row[g]..row[g+1] */
    int32_t *post;    /* n_syn: target as post index (0..n_post-1) */
    float *w;         /* n_syn: weight (signed: >= 0 excitatory, <= 0 inhibitory) */
    uint8_t *pathway; /* n_syn: enum sm_pathway */

    int64_t *in_row; /* n_post + 1: incoming synapses of post neuron i are in_syn[in_row[i]..] */
    /* n_syn: synapse ids, grouped by post neuron, ascending id. 32 bits, read once per
     * post-pass update: a network has at most SM_NET_MAX_SYN synapses. */
    uint32_t *in_syn;
    int32_t *in_pre; /* n_syn: global presynaptic index of in_syn[k] */

    int64_t path_count[SM_N_PATHS]; /* synapses per pathway */
    int plastic[SM_N_PATHS];        /* copied from the config */
} sm_net;

/* Most synapses a network may have (the postsynaptic index holds 32-bit ids; 2^32 - 1
 * synapses take about 70 GB). */
#define SM_NET_MAX_SYN ((int64_t)UINT32_MAX)

/* Builds the network of `cfg` (sizes, Bernoulli connectivity per pathway, or structured
 * S->E receptive fields when net.se_connectivity is not bernoulli (receptive_fields.h), with the
 * construction rules: no E->E self-synapses, no reciprocal E/I pairs when
 * net.no_reciprocal, constant initial weight per pathway). Deterministic in run.seed and
 * independent of thread count. Returns NULL and fills `err` on failure. Caller destroys. */
sm_net *sm_net_create(const sm_config *cfg, sm_error *err);

/* Builds a network from an explicit synapse list (pre global index, post global index,
 * weight), e.g. to load a saved network or to test hand-made circuits. Pathways are
 * deduced from the populations; a synapse onto S, from I onto I, or with a weight of
 * the wrong sign is an error. Duplicates are kept. */
sm_net *sm_net_from_edges(int n_in, int n_exc, int n_inh, int64_t n_edges, const int32_t *pre,
                          const int32_t *post, const float *w, const int plastic[SM_N_PATHS],
                          sm_error *err);

/* Replaces the synapses of `net` by the edge list (pre, post global indices, weights),
 * in place: the CSR arrays, exc_end, path_count and the postsynaptic index are rebuilt
 * (counting sort by pre, targets sorted; O(n_edges + n_total)). Sizes and plastic flags
 * stay. Structural plasticity's "rebuild" layout (net_rebuild.c). On error `net` is
 * unchanged. */
sm_status sm_net_rebuild(sm_net *net, int64_t n_edges, const int32_t *pre, const int32_t *post,
                         const float *w, sm_error *err);

/* Frees the network (NULL is fine). */
void sm_net_destroy(sm_net *net);

/* Population of a global neuron index: 0 = S, 1 = E, 2 = I. */
int sm_net_population(const sm_net *net, int global);

/* Pathway of a (pre, post) pair of global indices, or -1 if no pathway connects them. */
int sm_net_pathway_of(const sm_net *net, int pre_global, int post_global);

/* Replaces the CSR arrays of `net` by `row` (n_total + 1 offsets), `post` and `w`
 * (row[n_total] synapses, rows sorted by target, malloc'ed; `net` owns them from now on,
 * also on error) and recomputes pathway, path_count, exc_end and the postsynaptic index.
 * The slack layout of structural plasticity (net_slack.h) publishes its rows with it. */
sm_status sm_net_adopt(sm_net *net, int64_t *row, int32_t *post, float *w, sm_error *err);

/* Id of the synapse pre -> post (global indices), or -1 if absent. O(log row length). */
int64_t sm_net_find(const sm_net *net, int pre_global, int post_global);

/* Sum of |w| over the synapses of `pathway` (double accumulation, fixed order). */
double sm_net_pathway_abs_sum(const sm_net *net, int pathway);

/* Short pathway names "SE", "EE", "EI", "IE". */
const char *sm_pathway_name(int pathway);

#ifdef __cplusplus
}
#endif
#endif
