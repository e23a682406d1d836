#include "somnus/models/sim_guard.h"

#include <math.h>

#include "somnus/network/net.h"
#include "somnus/network/net_guard.h"

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
    return sm_net_check_weights(net, &sim->cfg, sim->count.steps, err);
}
