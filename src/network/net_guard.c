#include "somnus/network/net_guard.h"

#include <math.h>

static const char *describe(float x)
{
    return isnan(x) ? "NaN" : x > 0 ? "+inf" : "-inf";
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

sm_status sm_net_check_weights(const sm_net *net, const sm_config *cfg, uint64_t step,
                               sm_error *err)
{
    for (int64_t s = 0; s < net->n_syn; s++) {
        if (isfinite(net->w[s])) continue;
        const int exc = s < net->exc_end;
        return sm_error_set(err, SM_ENUMERIC,
                            "step %llu: %s synapse %d -> %d: weight is %s (stdp.eta_%s %g, bounds "
                            "[%g, %g])",
                            (unsigned long long)step, sm_pathway_name(net->pathway[s]),
                            pre_of(net, s), net->n_in + net->post[s], describe(net->w[s]),
                            exc ? "e" : "i", exc ? cfg->stdp.eta_e : cfg->stdp.eta_i,
                            exc ? cfg->stdp.exc_min : cfg->stdp.inh_min,
                            exc ? cfg->stdp.exc_max : cfg->stdp.inh_max);
    }
    return SM_OK;
}
