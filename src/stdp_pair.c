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
#include <stdlib.h>
#include <string.h>

#include "stdp_impl.h"

typedef struct pair_rule {
    sm_rule base;
    int n_table;
    /* Signed weight change by age of the other neuron, for a pre spike (pre_*) or a post
     * spike (post_*), excitatory or inhibitory presynaptic neuron. */
    float *pre_exc, *pre_inh, *post_exc, *post_inh;
    unsigned plastic_mask;
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

static void pair_apply(sm_rule *r, sm_net *net, const sm_step_spikes *sp)
{
    pair_rule *p = (pair_rule *)r;
    if (p->plastic_mask == 0) return;
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
    for (int64_t s = lo; s < hi; s++) {
        const int32_t t = post[s], a = age_post[t];
        const float x = w[s], y = x + table[lut_index(a, n)];
        const float c = clamp_bounds(y, wmin, wmax);
        const float v = a == 0 ? x : c;
        w[s] = v;
        drive[t] += v;
    }
}

/* The post passes first: a synapse onto a neuron that spiked now belongs to the post pass
 * and the pre pass leaves it alone, so once the columns are done every row can be
 * updated and delivered in one walk, spikers in order as the propagation would. */
static void pair_apply_deliver(sm_rule *r, sm_net *net, const sm_step_spikes *sp, float *drive)
{
    pair_rule *p = (pair_rule *)r;
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
    for (int k = 0; k < sp->n; k++) {
        const int g = sp->ids[k];
        const int excitatory = g < exc_limit;
        pre_deliver_range(net->w, net->post, age_post, excitatory ? p->pre_exc : p->pre_inh,
                          p->n_table, net->row[g], net->row[g + 1],
                          excitatory ? p->base.exc_min : p->base.inh_min,
                          excitatory ? p->base.exc_max : p->base.inh_max, drive);
    }
}

/* Pair STDP keeps no state of its own: spike ages live in the simulation. */
static const sm_rule_ops PAIR_OPS = {"pair",       pair_apply, NULL,
                                     pair_destroy, NULL,       pair_apply_deliver};

/* Fills the four tables; entry n-1 is 0 (ages past the window contribute nothing). */
static void fill_tables(pair_rule *p, const sm_config *cfg)
{
    for (int a = 0; a < p->n_table; a++) {
        int last = a == p->n_table - 1;
        /* Pre spike now: dt = -age(post). Post spike now: dt = +age(pre). */
        p->pre_exc[a] = last || a == 0 ? 0.0f : (float)sm_pair_stdp_dw(cfg, 1, -a);
        p->pre_inh[a] = last || a == 0 ? 0.0f : (float)sm_pair_stdp_dw(cfg, 0, -a);
        p->post_exc[a] = last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 1, a);
        p->post_inh[a] = last ? 0.0f : (float)sm_pair_stdp_dw(cfg, 0, a);
    }
}

void sm_rule_base_init(sm_rule *r, const sm_rule_ops *ops, const sm_config *cfg)
{
    r->ops = ops;
    r->exc_min = (float)cfg->stdp.exc_min;
    r->exc_max = (float)cfg->stdp.exc_max;
    r->inh_min = (float)cfg->stdp.inh_min;
    r->inh_max = (float)cfg->stdp.inh_max;
    memcpy(r->plastic, cfg->net.plastic, sizeof r->plastic);
    r->threads = 1;
}

sm_rule *sm_rule_pair_create(const sm_config *cfg, sm_error *err)
{
    pair_rule *p = calloc(1, sizeof *p);
    if (!p) {
        sm_error_set(err, SM_ENOMEM, "pair STDP: out of memory");
        return NULL;
    }
    sm_rule_base_init(&p->base, &PAIR_OPS, cfg);
    /* exp(-50) * eta is far below a float ulp of any weight: ages beyond 50 time
     * constants are exactly no-ops. */
    double tau = fmax(cfg->stdp.tau_plus, cfg->stdp.tau_minus);
    double span = ceil(50.0 * tau / cfg->run.dt) + 2;
    p->n_table = span > (1 << 22) ? (1 << 22) : (int)span;
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
