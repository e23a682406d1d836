#include "somnus/models/sim_guard.h"

#include <math.h>

#include "somnus/network/net.h"

static const char *describe(float x)
{
    return isnan(x) ? "NaN" : x > 0 ? "+inf" : "-inf";
}

/* First non-finite entry of x[0..n), or -1. */
static int first_bad(const float *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}

static sm_status neuron_error(const sm_sim *sim, int i, const char *what, float x, sm_error *err)
{
    const sm_net *net = sim->net;
    const int inh = i >= net->n_exc;
    const sm_lif_params *p = &sim->cfg.lif[inh];
    return sm_error_set(
        err, SM_ENUMERIC,
        "step %llu: %s neuron %d: %s is %s (%s: tau_m %g ms, tau_syn %g ms, r_m %g, "
        "theta0 %g mV, delta_a %g mV; noise.sigma %g mV)",
        (unsigned long long)sim->count.steps, inh ? "I" : "E", inh ? i - net->n_exc : i, what,
        describe(x), inh ? "lif_i" : "lif_e", p->tau_m, p->tau_syn, p->r_m, p->theta0, p->delta_a,
        sim->cfg.noise.sigma);
}

static int pre_of(const sm_net *net, int64_t s)
{
    int lo = 0, hi = net->n_total; /* row is ascending: find g with row[g] <= s < row[g+1] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (net->row[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

sm_status sm_sim_check_finite(const sm_sim *sim, sm_error *err)
{
    const sm_net *net = sim->net;
    const int n = net->n_post;
    struct {
        const float *x;
        const char *what;
    } state[] = {{sim->v, "membrane potential"},
                 {sim->i_syn, "synaptic current"},
                 {sim->a, "threshold adaptation"},
                 {sim->theta, "threshold"},
                 {sim->drive, "pending synaptic drive"}};
    for (size_t k = 0; k < sizeof state / sizeof state[0]; k++) {
        int i = first_bad(state[k].x, n);
        if (i >= 0) return neuron_error(sim, i, state[k].what, state[k].x[i], err);
    }
    for (int64_t s = 0; s < net->n_syn; s++) {
        if (isfinite(net->w[s])) continue;
        const int exc = s < net->exc_end;
        const sm_config *c = &sim->cfg;
        return sm_error_set(err, SM_ENUMERIC,
                            "step %llu: %s synapse %d -> %d: weight is %s (stdp.eta_%s %g, bounds "
                            "[%g, %g])",
                            (unsigned long long)sim->count.steps, sm_pathway_name(net->pathway[s]),
                            pre_of(net, s), net->n_in + net->post[s], describe(net->w[s]),
                            exc ? "e" : "i", exc ? c->stdp.eta_e : c->stdp.eta_i,
                            exc ? c->stdp.exc_min : c->stdp.inh_min,
                            exc ? c->stdp.exc_max : c->stdp.inh_max);
    }
    return SM_OK;
}
