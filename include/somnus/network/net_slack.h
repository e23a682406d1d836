/* somnus: the slack layout of structural plasticity (spec structural.md 4.1,
 * struct.layout = slack).
 *
 * Row g owns slots [start_g, start_g + cap_g) of its own arrays, cap_g = len_g +
 * ceil(slack * len_g) + 1 at the last layout; its active targets are the first len_g,
 * sorted. At a structural event, removals compact each row in place and insertions shift
 * the row's tail right by one (no sort, no edge list); an insertion into a full row lays
 * every row out again with fresh capacities (counted in `relayouts`) and then goes in, so
 * the result never depends on the capacities. The rows are then published to the
 * network's compact CSR arrays (sm_net_adopt): the simulation loops keep reading the
 * compact arrays, so the network is bitwise the one the rebuild layout gives for the same
 * events. (The spec's variant in which the loops read row_len in place is not built.) */
#ifndef SOMNUS_NET_SLACK_H
#define SOMNUS_NET_SLACK_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_net_slack {
    double slack;
    int n_total, n_in;
    int64_t *start, *cap, *len; /* per row */
    int32_t *post;              /* slots: post index (as in sm_net.post) */
    float *w;                   /* slots: weight */
    int64_t n_slots;
    int64_t relayouts; /* layouts after the first (a row was full) */
} sm_net_slack;

/* Lays out the rows of `net` with spare capacity `slack` (fraction of each row's length).
 * NULL on error (err set). */
sm_net_slack *sm_net_slack_create(const sm_net *net, double slack, sm_error *err);

/* Frees it (NULL is fine). */
void sm_net_slack_destroy(sm_net_slack *sl);

/* Applies one event to `net`: synapse s survives if keep[s]; then the n_new synapses
 * (pre[e], post[e] global indices, weight w[e]; none already present) are inserted. The
 * current weights are read from `net` first, so rows follow everything since the last
 * event. */
sm_status sm_net_slack_apply(sm_net_slack *sl, sm_net *net, const uint8_t *keep, int64_t n_new,
                             const int32_t *pre, const int32_t *post, const float *w,
                             sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
