/* Trace STDP with a moving target and a soft bound (spec section 4b).
 *
 * Every neuron keeps a trace x (x += 1 on a spike, decays with tau_trace). When a
 * postsynaptic neuron i spikes, each plastic incoming synapse j -> i with x_j > 0 changes
 * its magnitude by
 *     d|w| = eta * (x_j - x_tar) * (w_max - |w|)^mu
 * where x_tar is the mean trace of j's population (S for S->E, E for E->E and E->I,
 * I for I->E) at that step. The base of the soft bound is floored at 0 so a weight past
 * w_max cannot produce NaN. Traces are updated (decay, then +1 for this step's spikes)
 * before the rule reads them. With stdp.trace_update_freq > 1 the changes are computed
 * with the weights of the step they happen in and applied together every that many
 * steps (and on flush).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/plasticity/stdp.h"

typedef struct trace_rule {
    sm_rule base;
    float *x;    /* n_total traces */
    float decay; /* exp(-dt / tau_trace) */
    float eta, w_max, mu;
    int update_freq;
    float *acc; /* n_syn accumulated changes (update_freq > 1) */
    int64_t n_syn;
    int n_total;
    uint64_t last_flush;
    unsigned plastic_mask;
} trace_rule;

static void trace_destroy(sm_rule *r)
{
    trace_rule *t = (trace_rule *)r;
    free(t->x);
    free(t->acc);
}

static void population_means(const trace_rule *t, const sm_net *net, float mean[3])
{
    int bounds[4] = {0, net->n_in, net->n_in + net->n_exc, net->n_total};
    for (int p = 0; p < 3; p++) {
        double s = 0;
        for (int g = bounds[p]; g < bounds[p + 1]; g++)
            s += t->x[g];
        int n = bounds[p + 1] - bounds[p];
        mean[p] = n ? (float)(s / n) : 0.0f;
    }
}

static void apply_change(trace_rule *t, sm_net *net, int64_t s, float dmag, int excitatory)
{
    float w = net->w[s] + (excitatory ? dmag : -dmag);
    net->w[s] = sm_rule_clamp(&t->base, w, excitatory);
}

static void trace_flush(sm_rule *r, sm_net *net)
{
    trace_rule *t = (trace_rule *)r;
    if (!t->acc) return;
    for (int64_t s = 0; s < net->n_syn; s++) {
        if (t->acc[s] != 0.0f) {
            apply_change(t, net, s, t->acc[s], s < net->exc_end);
            t->acc[s] = 0.0f;
        }
    }
}

static void post_spike(trace_rule *t, sm_net *net, int i, const float mean[3])
{
    const int exc_limit = net->n_in + net->n_exc;
    for (int64_t k = net->in_row[i]; k < net->in_row[i + 1]; k++) {
        const int64_t s = net->in_syn[k];
        int32_t j = net->in_pre[k];
        if (t->x[j] <= 0.0f) continue;
        if (t->plastic_mask != 0xFu && !((t->plastic_mask >> net->pathway[s]) & 1u)) continue;
        int excitatory = j < exc_limit;
        float room = fmaxf(t->w_max - fabsf(net->w[s]), 0.0f);
        float target = mean[sm_net_population(net, j)];
        float dmag = t->eta * (t->x[j] - target) * powf(room, t->mu);
        if (t->acc)
            t->acc[s] += dmag;
        else
            apply_change(t, net, s, dmag, excitatory);
    }
}

static void trace_apply(sm_rule *r, sm_net *net, const sm_step_spikes *sp)
{
    trace_rule *t = (trace_rule *)r;
    for (int g = 0; g < net->n_total; g++)
        t->x[g] *= t->decay;
    for (int k = 0; k < sp->n; k++)
        t->x[sp->ids[k]] += 1.0f;
    float mean[3];
    int have_means = 0;
    for (int k = 0; k < sp->n; k++) {
        int g = sp->ids[k];
        if (g < net->n_in) continue;
        if (!have_means) {
            population_means(t, net, mean);
            have_means = 1;
        }
        post_spike(t, net, g - net->n_in, mean);
    }
    if (t->acc && sp->step + 1 - t->last_flush >= (uint64_t)t->update_freq) {
        trace_flush(r, net);
        t->last_flush = sp->step + 1;
    }
}

/* Dynamic state: the traces, the accumulated changes and the flush clock. */
static size_t trace_state(sm_rule *r, void *buf, int save)
{
    trace_rule *t = (trace_rule *)r;
    const size_t nx = (size_t)t->n_total * sizeof(float);
    const size_t na = t->acc ? (size_t)t->n_syn * sizeof(float) : 0;
    const size_t size = nx + na + sizeof t->last_flush;
    if (!buf) return size;
    char *b = buf;
    if (save) {
        memcpy(b, t->x, nx);
        if (na) memcpy(b + nx, t->acc, na);
        memcpy(b + nx + na, &t->last_flush, sizeof t->last_flush);
    } else {
        memcpy(t->x, b, nx);
        if (na) memcpy(t->acc, b + nx, na);
        memcpy(&t->last_flush, b + nx + na, sizeof t->last_flush);
    }
    return size;
}

/* No apply_deliver: this rule changes weights on post spikes and in flushes only, so
 * the rows gain nothing from a fused walk. */
static const sm_rule_ops TRACE_OPS = {.name = "trace",
                                      .apply = trace_apply,
                                      .flush = trace_flush,
                                      .destroy = trace_destroy,
                                      .state = trace_state,
                                      .spiker_local = 0};

sm_rule *sm_rule_trace_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    trace_rule *t = calloc(1, sizeof *t);
    if (!t) goto oom;
    sm_rule_base_init(&t->base, &TRACE_OPS, cfg);
    t->x = calloc((size_t)net->n_total, sizeof *t->x);
    t->n_total = net->n_total;
    if (!t->x) goto oom;
    t->decay = (float)exp(-cfg->run.dt / cfg->stdp.trace_tau);
    t->eta = (float)cfg->stdp.trace_eta;
    t->w_max = (float)cfg->stdp.trace_w_max;
    t->mu = (float)cfg->stdp.trace_mu;
    t->update_freq = cfg->stdp.trace_update_freq;
    t->n_syn = net->n_syn;
    if (t->update_freq > 1) {
        t->acc = calloc((size_t)(net->n_syn ? net->n_syn : 1), sizeof *t->acc);
        if (!t->acc) goto oom;
    }
    for (int k = 0; k < SM_N_PATHS; k++)
        if (cfg->net.plastic[k]) t->plastic_mask |= 1u << k;
    return &t->base;
oom:
    if (t) {
        trace_destroy(&t->base);
        free(t);
    }
    sm_error_set(err, SM_ENOMEM, "trace STDP: out of memory");
    return NULL;
}
