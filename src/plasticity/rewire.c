/* Structural events of the STDP network: schedule, pruning, regrowth, rebuild (spec
 * structural.md section 4; the rules are summarised in rewire.h). */
#include "somnus/plasticity/rewire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

static void set_geometry(sm_rewire *rw, int p, sm_rewire_path *pp)
{
    const int ni = rw->n_in, ne = rw->n_exc, nh = rw->n_inh;
    const int pre0[SM_N_PATHS] = {0, ni, ni, ni + ne}, npre[SM_N_PATHS] = {ni, ne, ne, nh};
    const int post0[SM_N_PATHS] = {0, 0, ne, 0}, npost[SM_N_PATHS] = {ne, ne, nh, ne};
    pp->pre0 = pre0[p];
    pp->n_pre = npre[p];
    pp->post0 = post0[p];
    pp->n_post = npost[p];
}

void sm_rewire_destroy(sm_rewire *rw)
{
    if (!rw) return;
    for (int p = 0; p < SM_N_PATHS; p++) {
        free(rw->path[p].g);
        free(rw->path[p].h);
        free(rw->path[p].ever);
        free(rw->path[p].made);
        free(rw->path[p].pruned);
    }
    free(rw->x);
    free(rw->log);
    sm_net_slack_destroy(rw->slack);
    free(rw);
}

static void copy_settings(sm_rewire *rw, const sm_config *cfg)
{
    rw->mode = cfg->structural.mode;
    rw->prune = cfg->structural.prune;
    rw->regrow = cfg->structural.regrow;
    rw->decay = cfg->structural.decay;
    rw->balance = cfg->structural.balance;
    rw->w_new = cfg->structural.w_new;
    rw->score_sleep = cfg->structural.score_sleep;
    rw->published_sign = cfg->stdp.sign == SM_SIGN_AS_PUBLISHED;
    rw->no_reciprocal = cfg->net.no_reciprocal;
    rw->rate = cfg->structural.rate;
    rw->rate_min = cfg->structural.rate_min;
    rw->final_sparsity = cfg->structural.final_sparsity;
    rw->w_new_exc = (float)cfg->stdp.exc_min;
    rw->w_new_inh = (float)cfg->stdp.inh_max;
    for (int p = 0; p < SM_N_PATHS; p++)
        rw->w_init[p] = (float)cfg->net.w0[p];
    rw->seed = (uint64_t)cfg->run.seed;
    rw->decay_x = (float)exp(-cfg->run.dt / cfg->stdp.tau_plus);
    rw->horizon = 1;
}

static sm_status alloc_path(sm_rewire_path *pp, const sm_net *net, int p, sm_error *err)
{
    const size_t n = (size_t)pp->n_pre * (size_t)pp->n_post;
    pp->g = calloc(n ? n : 1, sizeof *pp->g);
    pp->h = calloc(n ? n : 1, sizeof *pp->h);
    pp->ever = calloc(n ? n : 1, 1);
    if (!pp->g || !pp->h || !pp->ever)
        return sm_error_set(err, SM_ENOMEM, "struct: out of memory for the scores");
    for (int j = 0; j < pp->n_pre; j++)
        for (int64_t s = net->row[pp->pre0 + j]; s < net->row[pp->pre0 + j + 1]; s++)
            if (net->pathway[s] == p)
                pp->ever[(size_t)j * pp->n_post + net->post[s] - pp->post0] = 1;
    return SM_OK;
}

sm_rewire *sm_rewire_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    if (cfg->structural.mode == SM_STRUCT_NONE) return NULL;
    unsigned mask;
    if (sm_config_struct_pathways(cfg, &mask, err) != SM_OK) return NULL;
    sm_rewire *rw = calloc(1, sizeof *rw);
    if (!rw) {
        sm_error_set(err, SM_ENOMEM, "struct: out of memory");
        return NULL;
    }
    copy_settings(rw, cfg);
    rw->n_in = net->n_in;
    rw->n_exc = net->n_exc;
    rw->n_inh = net->n_inh;
    rw->n_total = net->n_total;
    rw->x = calloc((size_t)net->n_total + 1, sizeof *rw->x);
    if (!rw->x) goto oom;
    for (int p = 0; p < SM_N_PATHS; p++) {
        sm_rewire_path *pp = &rw->path[p];
        set_geometry(rw, p, pp);
        pp->on = (mask >> p) & 1u;
        pp->n_initial = net->path_count[p];
        if (!pp->on) continue;
        if ((int64_t)pp->n_pre * pp->n_post > cfg->structural.dense_max) {
            sm_error_set(err, SM_EINVAL,
                         "struct: pathway %s has %lld pairs, above struct.dense_max (%lld); "
                         "sampled candidate scores are not implemented",
                         sm_pathway_name(p), (long long)pp->n_pre * pp->n_post,
                         (long long)cfg->structural.dense_max);
            sm_rewire_destroy(rw);
            return NULL;
        }
        if (alloc_path(pp, net, p, err) != SM_OK) goto fail;
    }
    for (int64_t s = 0; s < net->n_syn; s++)
        if (net->plastic[net->pathway[s]]) rw->block_count0[s >= net->exc_end]++;
    if (cfg->structural.layout == SM_LAYOUT_SLACK &&
        !(rw->slack = sm_net_slack_create(net, cfg->structural.slack, err)))
        goto fail;
    return rw;
oom:
    sm_error_set(err, SM_ENOMEM, "struct: out of memory");
fail:
    sm_rewire_destroy(rw);
    return NULL;
}

void sm_rewire_set_horizon(sm_rewire *rw, int64_t events)
{
    if (rw) rw->horizon = events > 0 ? events : 1;
}

double sm_rewire_rate(const sm_rewire *rw, int64_t k)
{
    if (rw->decay == SM_DECAY_CONSTANT) return rw->rate;
    if (k >= rw->horizon) return rw->rate_min;
    const double c = (1.0 + cos(M_PI * (double)k / (double)rw->horizon)) / 2.0;
    return rw->rate_min + (rw->rate - rw->rate_min) * c;
}

int64_t sm_rewire_target_count(const sm_rewire *rw, int64_t n0, int64_t k)
{
    double p = (double)(k + 1) / (double)rw->horizon;
    if (p > 1) p = 1;
    const double s = rw->final_sparsity * (1.0 - pow(1.0 - p, 3));
    return (int64_t)floor((double)n0 * (1.0 - s) + 1e-9);
}

/* ---- one event ---------------------------------------------------------------------- */

/* Scratch of one event. */
typedef struct event_ctx {
    sm_rewire *rw;
    const sm_net *net;
    uint8_t *present[SM_N_PATHS]; /* n_pre x n_post per pathway, after this event's changes */
    uint8_t *keep;                /* n_syn: synapse survives */
    int32_t *pre, *post;          /* edge list of the new synapses (global indices) */
    float *w;
    int64_t n_new, cap_new;
    sm_rewire_record row;
} event_ctx;

typedef struct mag {
    float a;
    int64_t id;
} mag;

static int mag_cmp(const void *x, const void *y)
{
    const mag *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int key_cmp(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static int has_key(const int64_t *keys, int64_t n, int64_t key)
{
    return n > 0 && bsearch(&key, keys, (size_t)n, sizeof key, key_cmp) != NULL;
}

static int build_present(event_ctx *c)
{
    const sm_net *net = c->net;
    for (int p = 0; p < SM_N_PATHS; p++) {
        const sm_rewire_path *pp = &c->rw->path[p];
        c->present[p] = calloc((size_t)pp->n_pre * pp->n_post + 1, 1);
        if (!c->present[p]) return -1;
    }
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            const int p = net->pathway[s];
            const sm_rewire_path *pp = &c->rw->path[p];
            c->present[p][(size_t)(g - pp->pre0) * pp->n_post + net->post[s] - pp->post0] = 1;
        }
    return 0;
}

/* 1 if pair (j, i) of pathway p may become a synapse now. */
static int eligible(const event_ctx *c, int p, int j, int i)
{
    const sm_rewire *rw = c->rw;
    const sm_rewire_path *pp = &rw->path[p];
    if (c->present[p][(size_t)j * pp->n_post + i]) return 0;
    if (p == SM_PATH_EE && i == j) return 0;
    if (!rw->no_reciprocal) return 1;
    if (p == SM_PATH_EI) return !c->present[SM_PATH_IE][(size_t)i * rw->n_exc + j];
    if (p == SM_PATH_IE) return !c->present[SM_PATH_EI][(size_t)i * rw->n_inh + j];
    return 1;
}

static float bound_of(const sm_rewire *rw, int p)
{
    return p == SM_PATH_IE ? -rw->w_new_inh : rw->w_new_exc;
}

/* Global presynaptic index of synapse s (binary search over rows). */
static int pre_of(const sm_net *net, int64_t s)
{
    int lo = 0, hi = net->n_total;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (net->row[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* 1 if a comes before b in the drop order (ascending |w|, then synapse id): mag_cmp's order. */
static int mag_before(const mag *a, const mag *b)
{
    return a->a < b->a || (a->a == b->a && a->id < b->id);
}

static void mag_sift_down(mag *h, int64_t n, int64_t i)
{
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < n && mag_before(&h[top], &h[l])) top = l;
        if (r < n && mag_before(&h[top], &h[r])) top = r;
        if (top == i) return;
        const mag t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

/* Rearranges m[0..n) so that m[0..need) holds its first `need` elements in the drop order,
 * sorted; the rest follow in no order. An event drops a small share of a pathway, so a
 * max-heap of `need` over the n magnitudes and a sort of those few replace the full sort
 * (the order is total, so the prefix is exactly the full sort's). */
static void sort_smallest(mag *m, int64_t n, int64_t need)
{
    if (need > n) need = n;
    if (need <= 0) return;
    if (need < n / 2) {
        for (int64_t i = need / 2 - 1; i >= 0; i--)
            mag_sift_down(m, need, i);
        for (int64_t q = need; q < n; q++)
            if (mag_before(&m[q], &m[0])) {
                const mag t = m[0];
                m[0] = m[q];
                m[q] = t;
                mag_sift_down(m, need, 0);
            }
    } else {
        need = n;
    }
    qsort(m, (size_t)need, sizeof *m, mag_cmp);
}

/* Chooses which synapses of pathway p to drop. Writes their ids to drop (ascending |w|
 * order); *n_sched of them come from the schedule, the rest from the rate. Returns the
 * count, -1 when out of memory. */
static int64_t choose_drops(event_ctx *c, int p, int64_t *drop, int64_t *n_sched)
{
    const sm_rewire *rw = c->rw;
    const sm_net *net = c->net;
    const int64_t n = net->path_count[p];
    /* zeroed: the loop below fills all n (path_count is the pathway's synapse count), which
     * the analyzer cannot see */
    mag *m = calloc((size_t)(n ? n : 1), sizeof *m);
    if (!m) return -1;
    int64_t k = 0;
    const float lim = bound_of(rw, p) + 1e-6f;
    int64_t n_le = 0; /* at_bound: the synapses at the bound, a prefix of the drop order */
    for (int64_t s = 0; s < net->n_syn; s++)
        if (net->pathway[s] == p) {
            m[k] = (mag){fabsf(net->w[s]), s};
            n_le += m[k++].a <= lim;
        }
    int64_t sched = 0;
    if (rw->mode == SM_STRUCT_GMP || rw->mode == SM_STRUCT_GRANET) {
        const int64_t target = sm_rewire_target_count(rw, rw->path[p].n_initial, rw->events);
        sched = n > target ? n - target : 0;
    }
    const double r = sm_rewire_rate(rw, rw->events);
    const int64_t kr = (int64_t)ceil(r * (double)(n - sched) - 1e-12);
    int64_t need = sched;
    if (rw->mode != SM_STRUCT_GMP)
        need = rw->prune == SM_PRUNE_MAGNITUDE ? sched + kr : (n_le > sched ? n_le : sched);
    sort_smallest(m, n, need);
    int64_t nd = 0;
    for (; nd < sched; nd++)
        drop[nd] = m[nd].id;
    if (rw->mode != SM_STRUCT_GMP && rw->prune == SM_PRUNE_MAGNITUDE) {
        for (int64_t q = 0; q < kr && sched + q < n; q++)
            drop[nd++] = m[sched + q].id;
    } else if (rw->mode != SM_STRUCT_GMP) { /* at_bound: the made-last-event ones exempt */
        const sm_rewire_path *pp = &rw->path[p];
        for (int64_t q = sched; q < n && m[q].a <= lim; q++) {
            const int64_t s = m[q].id;
            const int g = pre_of(net, s);
            const int64_t key = (int64_t)(g - pp->pre0) * pp->n_post + net->post[s] - pp->post0;
            if (!has_key(pp->made, pp->n_made, key)) drop[nd++] = s;
        }
    }
    free(m);
    *n_sched = sched;
    return nd;
}

/* Heap order for the top-k: `worse` is a lower score, or an equal score with a higher key. */
typedef struct cand {
    float s;
    int64_t key;
} cand;

static int worse(const cand *a, const cand *b)
{
    return a->s < b->s || (a->s == b->s && a->key > b->key);
}

static void sift_down(cand *h, int64_t n, int64_t i)
{
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m])) m = l;
        if (r < n && worse(&h[r], &h[m])) m = r;
        if (m == i) return;
        cand t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(cand *h, int64_t i)
{
    while (i > 0) {
        int64_t parent = (i - 1) / 2;
        if (!worse(&h[i], &h[parent])) return;
        cand t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

/* Picks up to k keys among the candidates keys[0..nc) (ascending): the highest positive
 * scores, then uniform draws among the rest. Writes them to out; returns the count, -1
 * when out of memory. */
static int64_t pick(const event_ctx *c, int p, const int64_t *keys, int64_t nc, int64_t k,
                    sm_rng *rng, int64_t *out)
{
    const sm_rewire *rw = c->rw;
    const sm_rewire_path *pp = &rw->path[p];
    if (k > nc) k = nc;
    if (k <= 0) return 0;
    int64_t got = 0;
    uint8_t *taken = calloc((size_t)nc, 1);
    cand *heap = malloc((size_t)k * sizeof *heap);
    if (!taken || !heap) {
        free(taken);
        free(heap);
        return -1;
    }
    if (rw->regrow == SM_REGROW_COINCIDENCE || rw->regrow == SM_REGROW_STDP) {
        for (int64_t q = 0; q < nc; q++) {
            const int j = (int)(keys[q] / pp->n_post), i = (int)(keys[q] % pp->n_post);
            const cand cd = {sm_rewire_score(rw, p, j, i), q}; /* key = position: same order */
            if (!(cd.s > 0)) continue;
            if (got < k) {
                heap[got] = cd;
                sift_up(heap, got++);
            } else if (worse(&heap[0], &cd)) {
                heap[0] = cd;
                sift_down(heap, k, 0);
            }
        }
        for (int64_t q = 0; q < got; q++) {
            taken[heap[q].key] = 1;
            out[q] = keys[heap[q].key];
        }
    }
    free(heap);
    if (got < k) { /* the rest at random among the candidates not taken */
        int64_t m = 0;
        /* zeroed for the analyzer: the nc - got untaken candidates fill it (got < k <= nc;
         * the guard keeps gcc's allocation-size check from seeing a negative count) */
        int64_t *rest = calloc(nc > got ? (size_t)(nc - got) : 1, sizeof *rest);
        if (!rest) {
            free(taken);
            return -1;
        }
        for (int64_t q = 0; q < nc; q++)
            if (!taken[q]) rest[m++] = keys[q];
        for (int64_t d = 0; got < k; d++) {
            const int64_t pos = d + (int64_t)sm_rng_below(rng, (uint32_t)(m - d));
            const int64_t t = rest[pos];
            rest[pos] = rest[d];
            rest[d] = t;
            out[got++] = t;
        }
        free(rest);
    }
    free(taken);
    return got;
}

/* Candidate keys of pathway p (ascending), restricted to post column `col` (-1: all). */
static int64_t gather(const event_ctx *c, int p, int col, int64_t *keys)
{
    const sm_rewire_path *pp = &c->rw->path[p];
    int64_t n = 0;
    for (int j = 0; j < pp->n_pre; j++) {
        const int lo = col < 0 ? 0 : col, hi = col < 0 ? pp->n_post : col + 1;
        for (int i = lo; i < hi; i++)
            if (eligible(c, p, j, i)) keys[n++] = (int64_t)j * pp->n_post + i;
    }
    return n;
}

static int add_new(event_ctx *c, int32_t pre, int32_t post, float w)
{
    if (c->n_new == c->cap_new) {
        int64_t cap = c->cap_new ? 2 * c->cap_new : 256;
        int32_t *a = realloc(c->pre, (size_t)cap * sizeof *a);
        if (a) c->pre = a;
        int32_t *b = realloc(c->post, (size_t)cap * sizeof *b);
        if (b) c->post = b;
        float *ww = realloc(c->w, (size_t)cap * sizeof *ww);
        if (ww) c->w = ww;
        if (!a || !b || !ww) return -1;
        c->cap_new = cap;
    }
    c->pre[c->n_new] = pre;
    c->post[c->n_new] = post;
    c->w[c->n_new++] = w;
    return 0;
}

/* Drops of pathway p: keep[] cleared, present[] cleared, keys and weights recorded. */
static sm_status apply_drops(event_ctx *c, int p, const int64_t *drop, int64_t nd, int64_t *keys,
                             float *w_drop)
{
    const sm_net *net = c->net;
    sm_rewire_path *pp = &c->rw->path[p];
    double sum = 0;
    for (int64_t q = 0; q < nd; q++) {
        const int64_t s = drop[q];
        const int g = pre_of(net, s);
        keys[q] = (int64_t)(g - pp->pre0) * pp->n_post + net->post[s] - pp->post0;
        w_drop[q] = net->w[s];
        c->keep[s] = 0;
        c->present[p][keys[q]] = 0;
        sum += fabs((double)net->w[s]);
    }
    c->row.pruned[p] = nd;
    c->row.mean_w_pruned[p] = nd ? sum / (double)nd : NAN;
    return SM_OK;
}

/* Sorts keys with their weights (by key) for the same-event lookups. */
static void sort_pairs(int64_t *keys, float *w, int64_t n)
{
    for (int64_t a = 1; a < n; a++) { /* insertion sort: drops come in |w| order */
        int64_t k = keys[a], b = a;
        float v = w[a];
        while (b > 0 && keys[b - 1] > k) {
            keys[b] = keys[b - 1];
            w[b] = w[b - 1];
            b--;
        }
        keys[b] = k;
        w[b] = v;
    }
}

/* Regrowth of pathway p: `quota` per post column (balance = post) or `k` in all. */
static sm_status regrow(event_ctx *c, int p, int64_t k, const int64_t *quota, const int64_t *dkeys,
                        const float *dw, int64_t nd, sm_error *err)
{
    sm_rewire *rw = c->rw;
    sm_rewire_path *pp = &rw->path[p];
    const size_t npair = (size_t)pp->n_pre * pp->n_post;
    int64_t *keys = malloc((npair + 1) * sizeof *keys),
            *chosen = malloc((npair + 1) * sizeof *chosen);
    if (!keys || !chosen) {
        free(keys);
        free(chosen);
        return sm_error_set(err, SM_ENOMEM, "struct: out of memory");
    }
    sm_rng rng;
    sm_rng_init(&rng, rw->seed, SM_STREAM_REWIRE, (uint32_t)(rw->events * SM_N_PATHS + p));
    int64_t n_chosen = 0;
    const int cols = quota ? pp->n_post : 1;
    for (int col = 0; col < cols && n_chosen >= 0; col++) {
        const int64_t want = quota ? quota[col] : k;
        if (want <= 0) continue;
        const int64_t nc = gather(c, p, quota ? col : -1, keys);
        const int64_t got = pick(c, p, keys, nc, want, &rng, chosen + n_chosen);
        n_chosen = got < 0 ? -1 : n_chosen + got;
    }
    if (n_chosen < 0) {
        free(keys);
        free(chosen);
        return sm_error_set(err, SM_ENOMEM, "struct: out of memory");
    }
    qsort(chosen, (size_t)n_chosen, sizeof *chosen, key_cmp);
    const float w_new = rw->w_new == SM_WNEW_INITIAL
                            ? rw->w_init[p]
                            : (p == SM_PATH_IE ? rw->w_new_inh : rw->w_new_exc);
    int64_t was_pruned = 0;
    sm_status st = SM_OK;
    for (int64_t q = 0; q < n_chosen && st == SM_OK; q++) {
        const int64_t key = chosen[q];
        const int j = (int)(key / pp->n_post), i = (int)(key % pp->n_post);
        float w = w_new;
        const int64_t *hit = nd ? bsearch(&key, dkeys, (size_t)nd, sizeof key, key_cmp) : NULL;
        if (hit) w = dw[hit - dkeys]; /* dropped and regrown now: keeps its weight */
        was_pruned += has_key(pp->pruned, pp->n_pruned, key);
        c->present[p][key] = 1;
        pp->ever[key] = 1;
        if (add_new(c, pp->pre0 + j, rw->n_in + pp->post0 + i, w))
            st = sm_error_set(err, SM_ENOMEM, "struct: out of memory");
    }
    c->row.regrown[p] = n_chosen;
    c->row.regrown_was_pruned[p] = n_chosen ? (double)was_pruned / (double)n_chosen : NAN;
    free(pp->made);
    pp->made = chosen; /* sorted keys made at this event */
    pp->n_made = n_chosen;
    pp->regrown_total += n_chosen;
    free(keys);
    return st;
}

/* Prune and regrow one pathway. */
static sm_status event_path(event_ctx *c, int p, sm_error *err)
{
    sm_rewire *rw = c->rw;
    sm_rewire_path *pp = &rw->path[p];
    const int64_t n = c->net->path_count[p];
    int64_t *drop = malloc((size_t)(n + 1) * sizeof *drop), n_sched = 0;
    int64_t *dkeys = malloc((size_t)(n + 1) * sizeof *dkeys);
    float *dw = malloc((size_t)(n + 1) * sizeof *dw);
    int64_t *quota =
        rw->balance == SM_BALANCE_POST ? calloc((size_t)pp->n_post, sizeof *quota) : NULL;
    sm_status st = SM_OK;
    int64_t nd = (!drop || !dkeys || !dw || (rw->balance == SM_BALANCE_POST && !quota))
                     ? -1
                     : choose_drops(c, p, drop, &n_sched);
    if (nd < 0) {
        st = sm_error_set(err, SM_ENOMEM, "struct: out of memory");
        goto done;
    }
    apply_drops(c, p, drop, nd, dkeys, dw);
    if (quota) /* the rate's drops (after the schedule's) regrow into their post neuron */
        for (int64_t q = n_sched; q < nd; q++)
            quota[dkeys[q] % pp->n_post]++;
    const int64_t k = rw->mode == SM_STRUCT_GMP || rw->regrow == SM_REGROW_NONE ? 0 : nd - n_sched;
    sort_pairs(dkeys, dw, nd);
    if (k == 0) {
        c->row.regrown[p] = 0;
        c->row.regrown_was_pruned[p] = NAN;
        free(pp->made);
        pp->made = NULL;
        pp->n_made = 0;
    } else
        st = regrow(c, p, k, rw->mode == SM_STRUCT_GMP ? NULL : quota, dkeys, dw, nd, err);
    pp->pruned_total += nd;
    free(pp->pruned);
    pp->pruned = dkeys; /* sorted keys dropped at this event */
    pp->n_pruned = nd;
    dkeys = NULL;
done:
    free(drop);
    free(dkeys);
    free(dw);
    free(quota);
    return st;
}

/* Survivors and new synapses as one edge list, then the CSR rebuild. */
static sm_status rebuild(event_ctx *c, sm_net *net, sm_error *err)
{
    int64_t n_keep = 0;
    for (int64_t s = 0; s < net->n_syn; s++)
        n_keep += c->keep[s];
    const int64_t n = n_keep + c->n_new;
    int32_t *pre = malloc((size_t)(n + 1) * sizeof *pre),
            *post = malloc((size_t)(n + 1) * sizeof *post);
    float *w = malloc((size_t)(n + 1) * sizeof *w);
    sm_status st = SM_OK;
    if (!pre || !post || !w) {
        st = sm_error_set(err, SM_ENOMEM, "struct: out of memory for the rebuild");
        goto done;
    }
    int64_t e = 0;
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
            if (c->keep[s]) {
                pre[e] = g;
                post[e] = net->n_in + net->post[s];
                w[e++] = net->w[s];
            }
    if (c->n_new) {
        memcpy(pre + e, c->pre, (size_t)c->n_new * sizeof *pre);
        memcpy(post + e, c->post, (size_t)c->n_new * sizeof *post);
        memcpy(w + e, c->w, (size_t)c->n_new * sizeof *w);
    }
    st = sm_net_rebuild(net, n, pre, post, w, err);
done:
    free(pre);
    free(post);
    free(w);
    return st;
}

static void finish_row(event_ctx *c, const sm_net *net, int64_t step, int64_t wake_step)
{
    sm_rewire *rw = c->rw;
    int64_t now = 0, init = 0, ever = 0, pairs = 0;
    for (int p = 0; p < SM_N_PATHS; p++) {
        c->row.n_syn[p] = net->path_count[p];
        const sm_rewire_path *pp = &rw->path[p];
        if (!pp->on) continue;
        now += net->path_count[p];
        init += pp->n_initial;
        const size_t np = (size_t)pp->n_pre * pp->n_post;
        for (size_t q = 0; q < np; q++)
            ever += pp->ever[q];
        pairs += (int64_t)np;
    }
    c->row.step = step;
    c->row.wake_step = wake_step;
    c->row.r = sm_rewire_rate(rw, rw->events);
    c->row.target_sparsity =
        rw->mode == SM_STRUCT_GMP || rw->mode == SM_STRUCT_GRANET
            ? rw->final_sparsity *
                  (1.0 - pow(1.0 - fmin(1.0, (double)(rw->events + 1) / (double)rw->horizon), 3))
            : 0.0;
    c->row.sparsity = init ? 1.0 - (double)now / (double)init : 0.0;
    c->row.ever_active = pairs ? (double)ever / (double)pairs : 0.0;
}

static int log_row(sm_rewire *rw, const sm_rewire_record *row)
{
    if (rw->events == rw->log_cap) {
        int64_t cap = rw->log_cap ? 2 * rw->log_cap : 16;
        sm_rewire_record *l = realloc(rw->log, (size_t)cap * sizeof *l);
        if (!l) return -1;
        rw->log = l;
        rw->log_cap = cap;
    }
    rw->log[rw->events] = *row;
    return 0;
}

sm_status sm_rewire_event(sm_rewire *rw, sm_net *net, int64_t step, int64_t wake_step,
                          sm_error *err)
{
    SM_ERROR_LOCAL(err);
    event_ctx c = {.rw = rw, .net = net};
    sm_status st = SM_OK;
    c.keep = malloc((size_t)(net->n_syn + 1));
    if (!c.keep || build_present(&c)) {
        st = sm_error_set(err, SM_ENOMEM, "struct: out of memory");
        goto done;
    }
    memset(c.keep, 1, (size_t)net->n_syn);
    for (int p = 0; p < SM_N_PATHS; p++)
        c.row.mean_w_pruned[p] = c.row.regrown_was_pruned[p] = NAN;
    for (int p = 0; p < SM_N_PATHS && st == SM_OK; p++)
        if (rw->path[p].on) st = event_path(&c, p, err);
    if (st == SM_OK)
        st = rw->slack
                 ? sm_net_slack_apply(rw->slack, net, c.keep, c.n_new, c.pre, c.post, c.w, err)
                 : rebuild(&c, net, err);
    if (st == SM_OK) {
        finish_row(&c, net, step, wake_step);
        if (log_row(rw, &c.row)) st = sm_error_set(err, SM_ENOMEM, "struct: out of memory");
    }
    if (st == SM_OK) {
        rw->events++;
        sm_rewire_reset_scores(rw);
    }
done:
    for (int p = 0; p < SM_N_PATHS; p++)
        free(c.present[p]);
    free(c.keep);
    free(c.pre);
    free(c.post);
    free(c.w);
    return st;
}
