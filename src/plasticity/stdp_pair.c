/* Pair STDP on time since last spike (spec section 4a).
 *
 * For a plastic synapse j -> i where j or i spiked this step, with
 * dt = (time since j spiked) - (time since i spiked) (>= 0: pre before post):
 *   excitatory pre:  dt >= 0: w += eta_e * A_plus  * exp(-dt / tau_plus)
 *                    dt <  0: w -= eta_e * A_minus * exp( dt / tau_minus)
 *   inhibitory pre:  the opposite signs, with eta_i.
 * stdp.sign = as_published negates dt (the authors' code computed it post minus pre).
 * dt = 0 (same-step pair) follows stdp.same_step.
 *
 * Only one neuron of a non-same-step pair spiked now, so its time since spike is 0 and
 * |dt| is the other neuron's age: the exponentials are read from tables indexed by age
 * (integer steps), with eta and the amplitude folded in. Every synapse changes at most
 * once per step: a pre spike updates the synapses whose post did not spike (the post
 * pass owns same-step pairs), so the passes touch disjoint synapses and their order
 * does not matter.
 */
#include <math.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "somnus/plasticity/stdp.h"

/* Steps of one deferral epoch: each post neuron's spikes in it are a bit mask of
 * DEFER_WORDS 64-bit words (small enough to stay in the L2 cache on 10^5 neurons). */
#define DEFER_WORDS 1
#define DEFER_STEPS ((int64_t)64 * DEFER_WORDS)
/* A step long before any real one: "never spiked" (its age selects the zero entry). */
#define DEFER_NEVER (INT64_MIN / 4)

/* Deferred post passes (see the comment above defer_step). An epoch is a run of at most
 * DEFER_STEPS consecutive deferred steps from `base`; pair_settle ends it and leaves the
 * weights as the eager rule would. Steps inside the epoch are int32_t offsets from base. */
typedef struct defer_state {
    uint64_t *bits; /* n_post * DEFER_WORDS: bit k set if the post neuron spiked at base + k */
    int64_t *sync;  /* n_total: row g holds the post updates of every step <= sync[g] */
    int64_t *last;  /* n_total: latest spike step of g (DEFER_NEVER for none) */
    int64_t base;   /* the epoch's first step */
    int64_t t_last; /* the epoch's last step */
    int64_t latest; /* the epoch's last step with an E/I spike */
    int active, failed;
    /* Per sign class, the change of a spiker's synapse by the target's age: the same-step
     * post entry at age 0, the pre table beyond. */
    float *row_exc, *row_inh;
} defer_state;

typedef struct pair_rule {
    sm_rule base;
    int n_table;
    /* Signed weight change by age of the other neuron, for a pre spike (pre_*) or a post
     * spike (post_*), excitatory or inhibitory presynaptic neuron. */
    float *pre_exc, *pre_inh, *post_exc, *post_inh;
    unsigned plastic_mask;
    int force_defer;
    defer_state d;
    /* Per step, by post neuron: the pre table at its age, for excitatory and inhibitory
     * spikers (dw_by_target); allocated on first use. */
    float *dw_target[2];
    int dw_failed;
} pair_rule;

double sm_pair_stdp_dw(const sm_config *cfg, int excitatory, int64_t dt_steps)
{
    double dt = (double)dt_steps * cfg->run.dt;
    if (cfg->stdp.sign == SM_SIGN_AS_PUBLISHED) dt = -dt;
    const double eta = excitatory ? cfg->stdp.eta_e : cfg->stdp.eta_i;
    double dw;
    if (dt > 0 || (dt == 0 && cfg->stdp.same_step == SM_SAME_POTENTIATE))
        dw = eta * cfg->stdp.a_plus * exp(-dt / cfg->stdp.tau_plus);
    else if (dt < 0 || cfg->stdp.same_step == SM_SAME_DEPRESS)
        dw = -eta * cfg->stdp.a_minus * exp(dt / cfg->stdp.tau_minus);
    else
        dw = 0;
    return excitatory ? dw : -dw;
}

static void pair_destroy(sm_rule *r)
{
    pair_rule *p = (pair_rule *)r;
    free(p->pre_exc);
    free(p->pre_inh);
    free(p->post_exc);
    free(p->post_inh);
    free(p->d.bits);
    free(p->d.sync);
    free(p->d.last);
    free(p->d.row_exc);
    free(p->dw_target[0]);
    free(p->dw_target[1]);
    free(p->d.row_inh);
}

static inline int lut_index(int32_t age, int n)
{
    return age < n ? age : n - 1;
}

/* clamp(y) to [wmin, wmax]: for wmin <= wmax (the config ensures it) the same value as
 * sm_rule_clamp, in the order that compiles to min and max instructions; the other order
 * tests y twice, and its branch mispredicts wherever weights sit at their bounds. */
static inline float clamp_bounds(float y, float wmin, float wmax)
{
    const float c = y > wmax ? wmax : y;
    return c < wmin ? wmin : c;
}

static inline int is_plastic(unsigned mask, const uint8_t *pathway, int64_t s)
{
    return mask == 0xFu || ((mask >> pathway[s]) & 1u);
}

/* The synapses [lo, hi) of one row, all plastic, of one sign class: w += table[age of the
 * post neuron], except where the post neuron spiked now (age 0: the post pass owns that
 * pair). Branch-free; the select keeps untouched weights bit for bit (no clamp on them).
 * Two builds of the same loop: vectorized (gathers of ages and table entries) for long
 * rows, scalar for short ones, where the gathers' latency does not pay (the paper config's
 * rows have 20 to 60 synapses). */
#define PRE_RANGE_BODY                                                                             \
    for (int64_t s = lo; s < hi; s++) {                                                            \
        const int32_t a = age_post[post[s]];                                                       \
        const float x = w[s], y = x + table[lut_index(a, n)];                                      \
        const float c = clamp_bounds(y, wmin, wmax);                                               \
        w[s] = a == 0 ? x : c;                                                                     \
    }

/* An empty asm that GCC must assume changes x: the two loads indexed by a target then
 * each use a scaled address (post -> dw[t] without an extra shift in the chain) instead
 * of one shared byte offset. A short row's walk is bound by that chain's latency: 8% on
 * the walk in a microbenchmark, 1-2% on the paper config's steps. */
#if defined(__GNUC__)
#define INDEX_BARRIER(x) __asm__("" : "+r"(x))
#else
#define INDEX_BARRIER(x) ((void)0)
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define NO_VECTORIZE
#endif

static void pre_range_simd(float *restrict w, const int32_t *restrict post,
                           const int32_t *restrict age_post, const float *restrict table, int n,
                           int64_t lo, int64_t hi, float wmin, float wmax){
#pragma omp simd
    PRE_RANGE_BODY}

NO_VECTORIZE
    static void pre_range_scalar(float *restrict w, const int32_t *restrict post,
                                 const int32_t *restrict age_post, const float *restrict table,
                                 int n, int64_t lo, int64_t hi, float wmin, float wmax)
{
    PRE_RANGE_BODY
}

static void pre_range(float *restrict w, const int32_t *restrict post,
                      const int32_t *restrict age_post, const float *restrict table, int n,
                      int64_t lo, int64_t hi, float wmin, float wmax)
{
    if (hi - lo >= 128)
        pre_range_simd(w, post, age_post, table, n, lo, hi, wmin, wmax);
    else
        pre_range_scalar(w, post, age_post, table, n, lo, hi, wmin, wmax);
}

/* Pre spike of g: its outgoing synapses onto neurons that did not spike now. */
static void pre_pass(pair_rule *p, sm_net *net, int g, const sm_step_spikes *sp)
{
    const int excitatory = g < net->n_in + net->n_exc;
    const float *table = excitatory ? p->pre_exc : p->pre_inh;
    const int32_t *age_post = sp->age + net->n_in;
    float *restrict w = net->w;
    const int n = p->n_table;
    if (p->plastic_mask == 0xFu) {
        const float wmin = excitatory ? p->base.exc_min : p->base.inh_min;
        const float wmax = excitatory ? p->base.exc_max : p->base.inh_max;
        pre_range(w, net->post, age_post, table, n, net->row[g], net->row[g + 1], wmin, wmax);
        return;
    }
    for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
        int32_t a = age_post[net->post[s]];
        if (a == 0 || !is_plastic(p->plastic_mask, net->pathway, s)) continue;
        w[s] = sm_rule_clamp(&p->base, w[s] + table[lut_index(a, n)], excitatory);
    }
}

/* Incoming synapses [lo, hi) of the post index, all plastic, presynaptic neurons of one
 * sign class: w += table[age of the pre neuron]. */
static void post_range(float *restrict w, const uint32_t *restrict in_syn,
                       const int32_t *restrict in_pre, const int32_t *restrict age,
                       const float *restrict table, int n, int64_t lo, int64_t hi, float wmin,
                       float wmax, int prefetch)
{
    /* The weights of a column are scattered over the whole synapse array: on networks
     * larger than the caches every one is a miss, so the addresses a few iterations ahead
     * are prefetched (the index array is read sequentially anyway). */
    const int64_t ahead = 48;
    if (prefetch)
        for (int64_t k = lo; k < hi; k++) {
            const uint32_t s = in_syn[k];
            if (k + ahead < hi) __builtin_prefetch(w + in_syn[k + ahead], 1, 1);
            const float y = w[s] + table[lut_index(age[in_pre[k]], n)];
            w[s] = clamp_bounds(y, wmin, wmax);
        }
    else
        for (int64_t k = lo; k < hi; k++) {
            const uint32_t s = in_syn[k];
            const float y = w[s] + table[lut_index(age[in_pre[k]], n)];
            w[s] = clamp_bounds(y, wmin, wmax);
        }
}

/* Weights beyond which (4 MiB) the post pass prefetches. */
#define POST_PREFETCH_MIN_SYN (1 << 20)

/* Post spike of post neuron i: all its incoming synapses (same-step pairs included). */
static void post_pass(pair_rule *p, sm_net *net, int i, const sm_step_spikes *sp)
{
    const int exc_limit = net->n_in + net->n_exc;
    float *restrict w = net->w;
    const int n = p->n_table;
    if (p->plastic_mask == 0xFu) {
        /* In-synapses are listed by ascending id, hence ascending presynaptic neuron:
         * the excitatory ones come first; the split is found by bisection. */
        const int64_t lo = net->in_row[i], hi = net->in_row[i + 1];
        int64_t a = lo, b = hi;
        while (a < b) {
            int64_t m = a + (b - a) / 2;
            if (net->in_pre[m] < exc_limit)
                a = m + 1;
            else
                b = m;
        }
        const int pf = net->n_syn >= POST_PREFETCH_MIN_SYN;
        post_range(w, net->in_syn, net->in_pre, sp->age, p->post_exc, n, lo, a, p->base.exc_min,
                   p->base.exc_max, pf);
        post_range(w, net->in_syn, net->in_pre, sp->age, p->post_inh, n, a, hi, p->base.inh_min,
                   p->base.inh_max, pf);
        return;
    }
    for (int64_t k = net->in_row[i]; k < net->in_row[i + 1]; k++) {
        const uint32_t s = net->in_syn[k];
        int32_t j = net->in_pre[k];
        if (!is_plastic(p->plastic_mask, net->pathway, s)) continue;
        int excitatory = j < exc_limit;
        float dw = (excitatory ? p->post_exc : p->post_inh)[lut_index(sp->age[j], n)];
        w[s] = sm_rule_clamp(&p->base, w[s] + dw, excitatory);
    }
}

static void pair_settle(sm_rule *r, sm_net *net);
static int defer_apply(pair_rule *p, sm_net *net, const sm_step_spikes *sp);

static void pair_apply(sm_rule *r, sm_net *net, const sm_step_spikes *sp)
{
    pair_rule *p = (pair_rule *)r;
    if (p->plastic_mask == 0) return;
    if (defer_apply(p, net, sp)) return;
    pair_settle(r, net);
    /* Every synapse changes at most once per step (see the top of the file), so the
     * spikes can be shared among threads with the same result, in two phases: the pre
     * passes (disjoint rows), then the post passes (disjoint columns). The phases must not
     * overlap: a vectorized pre pass writes back, unchanged, the synapses a post pass owns.
     * Serially the order does not matter. The simulation sets threads > 1 only for steps
     * that touch many synapses. */
    if (r->threads <= 1) {
        for (int k = 0; k < sp->n; k++) {
            int g = sp->ids[k];
            pre_pass(p, net, g, sp);
            if (g >= net->n_in) post_pass(p, net, g - net->n_in, sp);
        }
        return;
    }
    int first_post = 0;
    while (first_post < sp->n && sp->ids[first_post] < net->n_in)
        first_post++;
#pragma omp parallel num_threads(r->threads)
    {
#pragma omp for schedule(dynamic, 4)
        for (int k = 0; k < sp->n; k++)
            pre_pass(p, net, sp->ids[k], sp);
#pragma omp for schedule(dynamic, 1)
        for (int k = first_post; k < sp->n; k++)
            post_pass(p, net, sp->ids[k] - net->n_in, sp);
    }
}

/* Row [lo, hi) of a spiker, all plastic, one sign class: the pre pass of PRE_RANGE_BODY,
 * then the new weight added to the target's drive. */
static void pre_deliver_range(float *restrict w, const int32_t *restrict post,
                              const int32_t *restrict age_post, const float *restrict table, int n,
                              int64_t lo, int64_t hi, float wmin, float wmax, float *restrict drive)
{
    if (hi - lo >= 128) {
        /* Long rows: the vectorized update, then the delivery. */
        pre_range_simd(w, post, age_post, table, n, lo, hi, wmin, wmax);
        for (int64_t s = lo; s < hi; s++)
            drive[post[s]] += w[s];
        return;
    }
    /* No test for targets spiking now: their post pass ran first and clamped the weight,
     * so clamp(x + -0.0) is x. */
    for (int64_t s = lo; s < hi; s++) {
        const int32_t t = post[s];
        const float c = clamp_bounds(w[s] + table[lut_index(age_post[t], n)], wmin, wmax);
        w[s] = c;
        drive[t] += c;
    }
}

/* The row walk of pre_deliver_range with the change looked up by target: dw[t] is
 * table[lut(age of t)] for this step (dw_by_target). */
static void pre_deliver_range_dw(float *restrict w, const int32_t *restrict post,
                                 const float *restrict dw, int64_t lo, int64_t hi, float wmin,
                                 float wmax, float *restrict drive)
{
    if (hi - lo >= 128) {
#pragma omp simd
        for (int64_t s = lo; s < hi; s++)
            w[s] = clamp_bounds(w[s] + dw[post[s]], wmin, wmax);
        for (int64_t s = lo; s < hi; s++)
            drive[post[s]] += w[s];
        return;
    }
    for (int64_t s = lo; s < hi; s++) {
        int64_t t = post[s];
        const float c = clamp_bounds(w[s] + dw[t], wmin, wmax);
        w[s] = c;
        INDEX_BARRIER(t);
        drive[t] += c;
    }
}

/* dw[t] = table[lut(age of t)] for every post neuron. Targets past the window get the
 * table's last entry (0); the others are looked up, by a gather where a vector of 16 has
 * many of them and one by one where it has few (at low rates most have none). */
static void fill_dw_by_target(float *restrict dw, const int32_t *restrict age_post,
                              const float *restrict table, int n, int n_post)
{
    int t = 0;
#if defined(__AVX512F__)
    const __m512i last = _mm512_set1_epi32(n - 1);
    for (; t + 16 <= n_post; t += 16) {
        const __m512i a = _mm512_loadu_si512((const void *)(age_post + t));
        const __mmask16 in = _mm512_cmplt_epi32_mask(a, last);
        const __m512 none = _mm512_set1_ps(table[n - 1]);
        if (__builtin_popcount(in) > 4) { /* a busy vector: the gather pays */
            _mm512_storeu_ps(dw + t, _mm512_mask_i32gather_ps(none, in, a, table, 4));
            continue;
        }
        _mm512_storeu_ps(dw + t, none);
        for (unsigned m = in; m; m &= m - 1) {
            const int k = t + __builtin_ctz(m);
            dw[k] = table[age_post[k]];
        }
    }
#endif
    for (; t < n_post; t++)
        dw[t] = table[lut_index(age_post[t], n)];
}

/* Fills the per-target table of each sign class whose spikers walk at least as many
 * synapses as there are post neurons (below that the fill does not pay); returns the
 * classes filled as bits (1 excitatory, 2 inhibitory), 0 also when out of memory. */
static int dw_by_target(pair_rule *p, const sm_net *net, const sm_step_spikes *sp,
                        const float *exc_table, const float *inh_table)
{
    const int exc_limit = net->n_in + net->n_exc;
    int64_t walk[2] = {0, 0};
    for (int k = 0; k < sp->n; k++) {
        const int g = sp->ids[k];
        walk[g >= exc_limit] += net->row[g + 1] - net->row[g];
    }
    if (p->dw_failed) return 0;
    const int32_t *age_post = sp->age + net->n_in;
    const float *table[2] = {exc_table, inh_table};
    int filled = 0;
    for (int c = 0; c < 2; c++) {
        if (walk[c] < net->n_post) continue;
        if (!p->dw_target[c]) p->dw_target[c] = malloc((size_t)net->n_post * sizeof(float));
        if (!p->dw_target[c]) {
            p->dw_failed = 1;
            return 0;
        }
        fill_dw_by_target(p->dw_target[c], age_post, table[c], p->n_table, net->n_post);
        filled |= 1 << c;
    }
    return filled;
}

static int defer_step(pair_rule *p, sm_net *net, const sm_step_spikes *sp, float *drive);
static int defer_apply(pair_rule *p, sm_net *net, const sm_step_spikes *sp);

/* Large networks defer the post passes (defer_step). Otherwise the post passes first: a
 * synapse onto a neuron that spiked now belongs to the post pass and the pre pass leaves
 * it alone, so once the columns are done every row can be updated and delivered in one
 * walk, spikers in order as the propagation would. */
static void pair_apply_deliver(sm_rule *r, sm_net *net, const sm_step_spikes *sp, float *drive)
{
    pair_rule *p = (pair_rule *)r;
    if (defer_step(p, net, sp, drive)) return;
    pair_settle(r, net);
    if (p->plastic_mask != 0xFu) {
        pair_apply(r, net, sp);
        for (int k = 0; k < sp->n; k++) {
            const int g = sp->ids[k];
            for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
                drive[net->post[s]] += net->w[s];
        }
        return;
    }
    for (int k = 0; k < sp->n; k++)
        if (sp->ids[k] >= net->n_in) post_pass(p, net, sp->ids[k] - net->n_in, sp);
    const int32_t *age_post = sp->age + net->n_in;
    const int exc_limit = net->n_in + net->n_exc;
    const int filled = dw_by_target(p, net, sp, p->pre_exc, p->pre_inh);
    for (int k = 0; k < sp->n; k++) {
        const int g = sp->ids[k];
        const int excitatory = g < exc_limit;
        if (filled & (excitatory ? 1 : 2)) {
            pre_deliver_range_dw(net->w, net->post, p->dw_target[!excitatory], net->row[g],
                                 net->row[g + 1], excitatory ? p->base.exc_min : p->base.inh_min,
                                 excitatory ? p->base.exc_max : p->base.inh_max, drive);
            continue;
        }
        pre_deliver_range(net->w, net->post, age_post, excitatory ? p->pre_exc : p->pre_inh,
                          p->n_table, net->row[g], net->row[g + 1],
                          excitatory ? p->base.exc_min : p->base.inh_min,
                          excitatory ? p->base.exc_max : p->base.inh_max, drive);
    }
}

/* Deferred post passes.
 *
 * On networks larger than the caches a post pass costs a miss per incoming synapse: a
 * column is scattered over the whole weight array. A deferred step only records its post
 * spikes (a bit per post neuron and step of the epoch) and applies them to a synapse
 * j -> i when row j is walked anyway: when j spikes (before its own update of the step)
 * or when the rule settles. Row j holds every post update up to step sync[j] (its last
 * spike or the epoch's start) and j has not spiked since, so its age at a later post
 * spike t_k of i is t_k - last[j]: the synapse gets w = clamp(w + post_table[lut(t_k -
 * last[j])]) for each such t_k in time order, then this step's own update, exactly the
 * float operations of the eager rule in the same order. Nothing is dropped, so the
 * weights are bit-identical.
 *
 * The epoch must see every step: a step the rule does not see (test, sleep) comes after a
 * settle; the simulation settles before anything else reads or writes weights, and an
 * eager `apply` (a sleep step, may_defer clear) settles first. A gap in the step counter,
 * ages that do not follow from the spikes seen, or an epoch longer than DEFER_STEPS settle
 * and start over.
 *
 * Only wake steps (may_defer) on networks of 2^20 synapses and more (or forced) defer,
 * serially through apply_deliver or on several threads through `apply`: there the columns
 * miss the caches. The paper's network stays eager, as it was. */

static int defer_wanted(const pair_rule *p, const sm_net *net)
{
    return p->base.may_defer && !p->d.failed && p->plastic_mask == 0xFu &&
           (p->force_defer || net->n_syn >= POST_PREFETCH_MIN_SYN);
}

static int defer_alloc(pair_rule *p, const sm_net *net)
{
    defer_state *d = &p->d;
    if (d->bits) return 1;
    const size_t np = (size_t)net->n_post, nt = (size_t)net->n_total;
    d->bits = calloc(np * DEFER_WORDS, sizeof *d->bits);
    d->sync = calloc(nt, sizeof *d->sync); /* set by defer_begin; zeroed for the analyzer */
    d->last = calloc(nt, sizeof *d->last);
    d->row_exc = malloc((size_t)p->n_table * sizeof(float));
    d->row_inh = malloc((size_t)p->n_table * sizeof(float));
    if (d->bits && d->sync && d->last && d->row_exc && d->row_inh) {
        for (int a = 0; a < p->n_table; a++) {
            d->row_exc[a] = a == 0 ? p->post_exc[0] : p->pre_exc[a];
            d->row_inh[a] = a == 0 ? p->post_inh[0] : p->pre_inh[a];
        }
        return 1;
    }
    /* Out of memory: stay eager (the same results, only slower). */
    d->failed = 1;
    return 0;
}

/* Word k of the mask of epoch offsets o with after < o < before. */
static uint64_t range_word(int k, int32_t after, int32_t before)
{
    const int64_t lo = (int64_t)after + 1 - (int64_t)64 * k, hi = (int64_t)before - (int64_t)64 * k;
    const uint64_t from = lo <= 0 ? ~0ull : lo >= 64 ? 0 : ~0ull << lo;
    const uint64_t below = hi >= 64 ? ~0ull : hi <= 0 ? 0 : (1ull << hi) - 1;
    return from & below;
}

/* Applies the post spikes of `bits` inside `range` (epoch offsets, oldest first) to the
 * weight x of a synapse whose presynaptic neuron's age at offset o is o + off. */
static inline float replay(float x, const uint64_t *bits, const uint64_t range[DEFER_WORDS],
                           int64_t off, const float *table, int n, float wmin, float wmax)
{
    for (int k = 0; k < DEFER_WORDS; k++)
        for (uint64_t m = bits[k] & range[k]; m; m &= m - 1) {
            const int64_t a = (int64_t)64 * k + __builtin_ctzll(m) + off;
            x = clamp_bounds(x + table[a < n ? a : n - 1], wmin, wmax);
        }
    return x;
}

/* The sign class of row g: its post table, row table and bounds. */
static void row_class(const pair_rule *p, const sm_net *net, int g, const float **post_table,
                      const float **row_table, float *wmin, float *wmax)
{
    const int excitatory = g < net->n_in + net->n_exc;
    *post_table = excitatory ? p->post_exc : p->post_inh;
    *row_table = excitatory ? p->d.row_exc : p->d.row_inh;
    *wmin = excitatory ? p->base.exc_min : p->base.inh_min;
    *wmax = excitatory ? p->base.exc_max : p->base.inh_max;
}

#if defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512VL__) && DEFER_WORDS == 1
/* replay() on 8 synapses at a time, the earliest pending spike of every lane per round:
 * min then max are clamp_bounds (the same results, NaN and signed zeros included), and
 * lanes without a pending spike keep their weight. A pending spike at epoch offset o
 * finds the presynaptic neuron at age o + off, the same for the whole row: the 64 table
 * entries of the epoch's offsets are loaded into four registers once, and each round
 * looks its changes up there by permutes instead of gathering from memory. Returns where
 * it stopped. */
static int64_t replay_row_avx512(float *restrict w, const int32_t *restrict post,
                                 const uint64_t *bits, uint64_t range, int64_t off,
                                 const float *table, int n, float wmin, float wmax, int64_t s,
                                 int64_t hi)
{
    const __m512i vrange = _mm512_set1_epi64((long long)range), v63 = _mm512_set1_epi64(63);
    const __m512i zero = _mm512_setzero_si512(), v32 = _mm512_set1_epi32(32);
    const __m256 vmin = _mm256_set1_ps(wmin), vmax = _mm256_set1_ps(wmax);
    float slice[64] __attribute__((aligned(64)));
    int have_slice = 0;
    __m512 t0 = _mm512_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
    for (; s + 8 <= hi; s += 8) {
        const __m256i idx = _mm256_loadu_si256((const void *)(post + s));
        __m512i b = _mm512_and_si512(_mm512_i32gather_epi64(idx, (const void *)bits, 8), vrange);
        __mmask8 m = _mm512_test_epi64_mask(b, b);
        if (!m) continue;
        if (!have_slice) {
            /* table[lut(o + off)]; offsets outside the row's range are never looked up */
            for (int o = 0; o < 64; o++) {
                const int64_t a = o + off;
                slice[o] = table[a < 0 ? 0 : (a < n ? a : n - 1)];
            }
            t0 = _mm512_load_ps(slice);
            t1 = _mm512_load_ps(slice + 16);
            t2 = _mm512_load_ps(slice + 32);
            t3 = _mm512_load_ps(slice + 48);
            have_slice = 1;
        }
        __m256 x = _mm256_loadu_ps(w + s);
        do {
            const __m512i low = _mm512_and_si512(b, _mm512_sub_epi64(zero, b));
            const __m512i o = _mm512_zextsi256_si512(
                _mm512_cvtepi64_epi32(_mm512_sub_epi64(v63, _mm512_lzcnt_epi64(low))));
            const __m512 lo = _mm512_permutex2var_ps(t0, o, t1),
                         up = _mm512_permutex2var_ps(t2, o, t3);
            const __m256 dw = _mm512_castps512_ps256(
                _mm512_mask_blend_ps(_mm512_test_epi32_mask(o, v32), lo, up));
            const __m256 c = _mm256_max_ps(vmin, _mm256_min_ps(vmax, _mm256_add_ps(x, dw)));
            x = _mm256_mask_blend_ps(m, x, c);
            b = _mm512_xor_si512(b, low);
            m = _mm512_test_epi64_mask(b, b);
        } while (m);
        _mm256_storeu_ps(w + s, x);
    }
    return s;
}
#endif

/* Row g: the post spikes of steps in (sync[g], before) replayed. Most targets have none
 * pending; AVX-512 tests 8 at a time and replays them together, which saves the
 * mispredicted branches of the scalar loop. */
static void replay_row(const pair_rule *p, sm_net *net, int g, int64_t before)
{
    const defer_state *d = &p->d;
    const float *post_table, *row_table;
    float wmin, wmax;
    row_class(p, net, g, &post_table, &row_table, &wmin, &wmax);
    float *restrict w = net->w;
    const int32_t *restrict post = net->post;
    const int n = p->n_table;
    const int32_t after = (int32_t)(d->sync[g] - d->base), end = (int32_t)(before - d->base);
    const int64_t off = d->base - d->last[g];
    uint64_t range[DEFER_WORDS];
    for (int k = 0; k < DEFER_WORDS; k++)
        range[k] = range_word(k, after, end);
    const uint64_t *bits = d->bits;
    int64_t s = net->row[g];
    const int64_t hi = net->row[g + 1];
#if defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512VL__) && DEFER_WORDS == 1
    s = replay_row_avx512(w, post, bits, range[0], off, post_table, n, wmin, wmax, s, hi);
#endif
    for (; s < hi; s++) {
        const uint64_t *b = bits + (size_t)post[s] * DEFER_WORDS;
        uint64_t any = 0;
        for (int k = 0; k < DEFER_WORDS; k++)
            any |= b[k] & range[k];
        if (any) w[s] = replay(w[s], b, range, off, post_table, n, wmin, wmax);
    }
}

/* [lo, hi) of a spiker's row, pending post spikes replayed: this step's change (the
 * same-step pair where the target spiked too, else the pre update). */
#define ROW_STEP_BODY                                                                              \
    for (int64_t s = lo; s < hi; s++) {                                                            \
        const float y = w[s] + table[lut_index(age_post[post[s]], n)];                             \
        w[s] = clamp_bounds(y, wmin, wmax);                                                        \
    }

static void row_step_simd(float *restrict w, const int32_t *restrict post,
                          const int32_t *restrict age_post, const float *restrict table, int n,
                          int64_t lo, int64_t hi, float wmin, float wmax){
#pragma omp simd
    ROW_STEP_BODY}

NO_VECTORIZE
    static void row_step_scalar(float *restrict w, const int32_t *restrict post,
                                const int32_t *restrict age_post, const float *restrict table,
                                int n, int64_t lo, int64_t hi, float wmin, float wmax)
{
    ROW_STEP_BODY
}

/* A spiker's row when this step's changes are looked up by target (dw = table[lut(age)]). */
static void row_step_dw(float *restrict w, const int32_t *restrict post, const float *restrict dw,
                        int64_t lo, int64_t hi, float wmin, float wmax)
{
#pragma omp simd
    for (int64_t s = lo; s < hi; s++)
        w[s] = clamp_bounds(w[s] + dw[post[s]], wmin, wmax);
}

/* Row of a spiker j at step t: pending post updates, then this step's update (by target
 * for the classes dw_by_target filled). */
static void spiker_update(pair_rule *p, sm_net *net, int j, int64_t t, const int32_t *age_post,
                          int filled)
{
    defer_state *d = &p->d;
    if (d->sync[j] < d->latest) replay_row(p, net, j, t);
    d->sync[j] = t;
    d->last[j] = t;
    const float *post_table, *table;
    float wmin, wmax;
    row_class(p, net, j, &post_table, &table, &wmin, &wmax);
    float *restrict w = net->w;
    const int32_t *restrict post = net->post;
    const int64_t lo = net->row[j], hi = net->row[j + 1];
    const int inhibitory = j >= net->n_in + net->n_exc;
    if (filled & (inhibitory ? 2 : 1))
        row_step_dw(w, post, p->dw_target[inhibitory], lo, hi, wmin, wmax);
    else if (hi - lo >= 128)
        row_step_simd(w, post, age_post, table, p->n_table, lo, hi, wmin, wmax);
    else
        row_step_scalar(w, post, age_post, table, p->n_table, lo, hi, wmin, wmax);
}

/* Starts an epoch at step t: every row is current, last spikes come from the ages. */
static void defer_begin(defer_state *d, const sm_net *net, const int32_t *age, int64_t t)
{
    for (int g = 0; g < net->n_total; g++) {
        d->sync[g] = t - 1;
        d->last[g] = age[g] >= SM_AGE_MAX ? DEFER_NEVER : t - age[g];
    }
    d->base = t;
    d->latest = DEFER_NEVER;
    d->active = 1;
}

/* Whether the view's ages are those of the epoch's spikes: replays compute the ages of
 * presynaptic neurons from last[] (a caller's made-up views end the epoch instead). */
static int ages_follow(const defer_state *d, const sm_net *net, const int32_t *age, int64_t t)
{
    int bad = 0;
    for (int g = 0; g < net->n_total; g++) {
        const int64_t e = t - d->last[g];
        bad |= age[g] != 0 && age[g] != (e < SM_AGE_MAX ? e : SM_AGE_MAX);
    }
    return !bad;
}

/* apply_deliver with the post passes deferred; returns 0 (nothing done) where the rule
 * stays eager. */
/* Opens or continues the epoch for this step and records its post spikes; returns 0 where
 * the rule stays eager. */
static int defer_enter(pair_rule *p, sm_net *net, const sm_step_spikes *sp)
{
    defer_state *d = &p->d;
    if (!defer_wanted(p, net) || !defer_alloc(p, net)) return 0;
    const int64_t t = (int64_t)sp->step;
    if (d->active &&
        (t != d->t_last + 1 || t - d->base >= DEFER_STEPS || !ages_follow(d, net, sp->age, t)))
        pair_settle(&p->base, net);
    if (!d->active) defer_begin(d, net, sp->age, t);
    const int32_t o = (int32_t)(t - d->base);
    for (int k = 0; k < sp->n; k++) {
        const int g = sp->ids[k];
        if (g < net->n_in) continue;
        d->bits[(size_t)(g - net->n_in) * DEFER_WORDS + (size_t)(o / 64)] |= 1ull << (o % 64);
        d->latest = t;
    }
    return 1;
}

/* apply_deliver with the post passes deferred; returns 0 (nothing done) where the rule
 * stays eager. */
static int defer_step(pair_rule *p, sm_net *net, const sm_step_spikes *sp, float *drive)
{
    if (!defer_enter(p, net, sp)) return 0;
    const int64_t t = (int64_t)sp->step;
    const int32_t *age_post = sp->age + net->n_in;
    const int filled = dw_by_target(p, net, sp, p->d.row_exc, p->d.row_inh);
    for (int k = 0; k < sp->n; k++) {
        const int j = sp->ids[k];
        spiker_update(p, net, j, t, age_post, filled);
        for (int64_t s = net->row[j]; s < net->row[j + 1]; s++)
            drive[net->post[s]] += net->w[s];
    }
    p->d.t_last = t;
    return 1;
}

/* `apply` with the post passes deferred: the spikers' rows, shared among threads (a row,
 * its sync and last entries belong to one spiker; the bits are only read); the
 * simulation's propagation then delivers them. Returns 0 where the rule stays eager. */
static int defer_apply(pair_rule *p, sm_net *net, const sm_step_spikes *sp)
{
    if (!defer_enter(p, net, sp)) return 0;
    const int64_t t = (int64_t)sp->step;
    const int32_t *age_post = sp->age + net->n_in;
    const int filled = dw_by_target(p, net, sp, p->d.row_exc, p->d.row_inh);
    if (p->base.threads <= 1)
        for (int k = 0; k < sp->n; k++)
            spiker_update(p, net, sp->ids[k], t, age_post, filled);
    else
#pragma omp parallel for num_threads(p->base.threads) schedule(dynamic, 4)
        for (int k = 0; k < sp->n; k++)
            spiker_update(p, net, sp->ids[k], t, age_post, filled);
    p->d.t_last = t;
    return 1;
}

static void pair_settle(sm_rule *r, sm_net *net)
{
    pair_rule *p = (pair_rule *)r;
    defer_state *d = &p->d;
    if (!d->active) return;
    const int threads = r->max_threads;
    if (threads <= 1)
        for (int g = 0; g < net->n_total; g++) {
            if (d->sync[g] < d->latest) replay_row(p, net, g, d->t_last + 1);
        }
    else
#pragma omp parallel for num_threads(threads) schedule(dynamic, 64)
        for (int g = 0; g < net->n_total; g++)
            if (d->sync[g] < d->latest) replay_row(p, net, g, d->t_last + 1);
    memset(d->bits, 0, (size_t)net->n_post * DEFER_WORDS * sizeof *d->bits);
    d->active = 0;
}

void sm_rule_pair_force_defer(sm_rule *rule, int force)
{
    if (rule && rule->ops->apply == pair_apply) ((pair_rule *)rule)->force_defer = force != 0;
}

/* Pair STDP's only state of its own is the deferred post spikes, which are settled
 * whenever anyone else looks at the weights: spike ages live in the simulation. */
static const sm_rule_ops PAIR_OPS = {.name = "pair",
                                     .apply = pair_apply,
                                     .flush = pair_settle,
                                     .destroy = pair_destroy,
                                     .state = NULL,
                                     .apply_deliver = pair_apply_deliver,
                                     .settle = pair_settle,
                                     .spiker_local = 1};

/* Fills the four tables; entry n-1 is 0 (ages past the window contribute nothing). */
static void fill_tables(pair_rule *p, const sm_config *cfg)
{
    for (int a = 0; a < p->n_table; a++) {
        int last = a == p->n_table - 1;
        /* Pre spike now: dt = -age(post). Post spike now: dt = +age(pre). */
        /* The pre tables' age-0 entry is -0.0, the exact identity of addition: a target
         * spiking now keeps its weight (its post pass owns the pair). */
        p->pre_exc[a] = a == 0 ? -0.0f : last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 1, -a);
        p->pre_inh[a] = a == 0 ? -0.0f : last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 0, -a);
        p->post_exc[a] = last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 1, a);
        p->post_inh[a] = last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 0, a);
    }
}

/* Longest lookup table: 16 MiB per table. A window longer than this many steps would
 * need a table the caches cannot hold; refusing it beats silently truncating it. */
#define PAIR_TABLE_MAX (1 << 22)

sm_rule *sm_rule_pair_create(const sm_config *cfg, sm_error *err)
{
    /* exp(-50) * eta is far below a float ulp of any weight: ages beyond 50 time
     * constants are exactly no-ops. */
    const double tau = fmax(cfg->stdp.tau_plus, cfg->stdp.tau_minus);
    const double span = ceil(50.0 * tau / cfg->run.dt) + 2;
    if (!(span <= PAIR_TABLE_MAX)) {
        sm_error_set(err, SM_EINVAL,
                     "'stdp.tau_plus'/'stdp.tau_minus': pair STDP's window of 50 x %g ms at "
                     "run.dt = %g ms is %.0f steps, more than its lookup table's %d; use "
                     "shorter windows or a larger run.dt",
                     tau, cfg->run.dt, span, PAIR_TABLE_MAX);
        return NULL;
    }
    pair_rule *p = calloc(1, sizeof *p);
    if (!p) {
        sm_error_set(err, SM_ENOMEM, "pair STDP: out of memory");
        return NULL;
    }
    sm_rule_base_init(&p->base, &PAIR_OPS, cfg);
    p->n_table = (int)span;
    size_t bytes = (size_t)p->n_table * sizeof(float);
    p->pre_exc = malloc(bytes);
    p->pre_inh = malloc(bytes);
    p->post_exc = malloc(bytes);
    p->post_inh = malloc(bytes);
    if (!p->pre_exc || !p->pre_inh || !p->post_exc || !p->post_inh) {
        pair_destroy(&p->base);
        free(p);
        sm_error_set(err, SM_ENOMEM, "pair STDP: out of memory");
        return NULL;
    }
    fill_tables(p, cfg);
    for (int k = 0; k < SM_N_PATHS; k++)
        if (cfg->net.plastic[k]) p->plastic_mask |= 1u << k;
    return &p->base;
}
