/* Intrinsic plasticity rule `triesch` (spec intrinsic.md B1): Triesch's (2005) rule for
 * y = sigma(a x + b) drives gain a and bias b toward an exponential output distribution
 * of mean mu:
 *
 *   D = 1 - (2 + 1/mu) y + y^2 / mu,   b <- b + eta_b D,   a <- a + eta_g (1/a + x D)
 *
 * Spiking mapping (ours, heuristic): one window = ip.window steps; y_i = min(n_i /
 * (window rho_max), 1 - 1e-6) with n_i the window's spikes and rho_max = r_max dt / 1000;
 * x_i = the window mean of R I_syn / (theta0 - V_rest); mu = r_target / r_max; a is the
 * gain g_i (clipped to [g_min, g_max]) and b = -h_i / (theta0 - V_rest) (a positive bias
 * lowers the threshold; h clipped to [h_min, h_max]). Updates at the end of each window. */
#include "somnus/plasticity/ip_rule.h"

static double clip(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

void sm_ip_triesch_update(double *a, double *b, double x, double y, double mu, double eta_a,
                          double eta_b)
{
    const double d = 1 - (2 + 1 / mu) * y + y * y / mu;
    const double a0 = *a;
    *b += eta_b * d;
    *a = a0 + eta_a * (1 / a0 + x * d);
}

static void triesch_step(sm_ip *ip, const float *i_syn, const uint8_t *spiked)
{
    for (int k = 0; k < ip->n_ip; k++) {
        const int p = k >= ip->n_exc;
        ip->count[k] += spiked[k];
        ip->xsum[k] += ip->r_m[p] * (double)i_syn[k] / ip->span[p];
    }
    if (++ip->pos < ip->window) return;
    ip->pos = 0;
    const double w = (double)ip->window;
    for (int k = 0; k < ip->n_ip; k++) {
        const int p = k >= ip->n_exc;
        const double mu = ip->mu[p];
        double y = ip->count[k] / (w * ip->rho_max);
        y = y < 1 - 1e-6 ? y : 1 - 1e-6;
        double a = ip->gd[k], b = -ip->hd[k] / ip->span[p];
        sm_ip_triesch_update(&a, &b, ip->xsum[k] / w, y, mu, ip->eta_g, ip->eta_b);
        sm_ip_set(ip, k, clip(-b * ip->span[p], ip->h_min, ip->h_max),
                  clip(a, ip->g_min, ip->g_max));
        ip->count[k] = 0;
        ip->xsum[k] = 0;
    }
}

const sm_ip_ops sm_ip_triesch_ops = {.name = "triesch", .step = triesch_step};
