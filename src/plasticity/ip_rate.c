/* Intrinsic plasticity rule `rate` (spec intrinsic.md B1): a homeostatic threshold
 * toward a target rate, the SORN rule of Lazar et al. (2009) in continuous time. Every
 * active step, for each adapting neuron i of population p:
 *
 *   h_i <- clip(h_i + eta_h * (s_i - rho_p), h_min, h_max),   rho_p = r_target_p dt / 1000
 *
 * A neuron 10 Hz above its target raises its threshold by 10 eta_h mV per second. */
#include "somnus/plasticity/ip_rule.h"

static void rate_step(sm_ip *ip, const float *i_syn, const uint8_t *spiked)
{
    (void)i_syn;
    for (int k = 0; k < ip->n_ip; k++) {
        const int p = k >= ip->n_exc;
        double h = ip->hd[k] + ip->eta_h * ((double)spiked[k] - ip->rho[p]);
        h = h < ip->h_min ? ip->h_min : (h > ip->h_max ? ip->h_max : h);
        ip->hd[k] = h;
        ip->h[k] = (float)h;
    }
}

const sm_ip_ops sm_ip_rate_ops = {.name = "rate", .step = rate_step};
