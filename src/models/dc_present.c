/* One Diehl & Cook presentation (spec diehl-cook.md section 3): normalization, input,
 * rest, and the low-activity retry. */
#include <math.h>
#include <string.h>

#include "models/dc_internal.h"

int sm_dc_present(sm_dc *net, const float *x, int32_t *counts_out)
{
    return sm_dc_present_ei(net, x, counts_out, NULL);
}

int sm_dc_present_ei(sm_dc *net, const float *x, int32_t *counts_out, int32_t *i_out)
{
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc;
    const int64_t on = (int64_t)llround(p->t_present / p->dt);
    const int64_t off = (int64_t)llround(p->t_rest / p->dt);
    double intensity = 2.0;
    int retries = 0;
    for (;;) {
        if (net->learning && p->normalize) sm_dc_normalize(net);
        if (p->reset_state) sm_dc_reset_state(net);
        sm_dc_set_input(net, x, intensity);
        for (int64_t t = 0; t < on; t++)
            sm_dc_step(net);
        int64_t total = 0;
        for (int j = 0; j < n; j++)
            total += net->counts[j];
        const int ok = total >= p->min_spikes || retries >= p->max_retries;
        if (ok && counts_out) memcpy(counts_out, net->counts, (size_t)n * sizeof *counts_out);
        if (ok && i_out) memcpy(i_out, net->i_counts, (size_t)n * sizeof *i_out);
        memset(net->counts, 0, (size_t)n * sizeof *net->counts);
        memset(net->i_counts, 0, (size_t)n * sizeof *net->i_counts);
        sm_dc_set_input(net, NULL, 0);
        for (int64_t t = 0; t < off; t++)
            sm_dc_step(net);
        if (ok) break;
        intensity += 1.0;
        retries++;
        net->repeats++;
    }
    return retries;
}
