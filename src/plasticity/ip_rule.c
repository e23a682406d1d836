/* The neuron-level rule interface: state, creation with given ops, checkpoints and
 * statistics (include/somnus/plasticity/ip_rule.h). The rules are ip_rate.c and
 * ip_triesch.c; their table, and creation from the config, is ip_registry.c. */
#include "somnus/plasticity/ip_rule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Zeroed, 64-byte aligned and padded to 16 floats, as the LIF update's arrays. */
static float *alloc_lanes(int n)
{
    const size_t bytes = ((size_t)n + 15) / 16 * 16 * sizeof(float);
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes ? bytes : 64);
    return p;
}

void sm_ip_destroy(sm_ip *ip)
{
    if (!ip) return;
    free(ip->h);
    free(ip->g);
    free(ip->hd);
    free(ip->gd);
    free(ip->count);
    free(ip->xsum);
    free(ip);
}

void sm_ip_set(sm_ip *ip, int k, double h, double g)
{
    ip->hd[k] = h;
    ip->gd[k] = g;
    ip->h[k] = (float)h;
    ip->g[k] = (float)g;
}

sm_status sm_ip_create_with(const sm_config *cfg, const sm_ip_ops *ops, int n_exc, int n_inh,
                            sm_ip **out, sm_error *err)
{
    *out = NULL;
    if (cfg->ip.populations != SM_IP_POP_E && cfg->ip.populations != SM_IP_POP_EI)
        return sm_config_bad_choice("ip.populations", cfg->ip.populations, err);
    if (cfg->ip.sleep != SM_IP_SLEEP_FREEZE && cfg->ip.sleep != SM_IP_SLEEP_ON)
        return sm_config_bad_choice("ip.sleep", cfg->ip.sleep, err);
    sm_ip *ip = calloc(1, sizeof *ip);
    if (!ip) return sm_error_set(err, SM_ENOMEM, "intrinsic plasticity: out of memory");
    const int n = n_exc + n_inh;
    ip->ops = ops;
    ip->n_exc = n_exc;
    ip->n_post = n;
    ip->n_ip = cfg->ip.populations == SM_IP_POP_EI ? n : n_exc;
    ip->h = alloc_lanes(n);
    ip->g = alloc_lanes(n);
    ip->hd = calloc((size_t)n + 1, sizeof *ip->hd);
    ip->gd = calloc((size_t)n + 1, sizeof *ip->gd);
    ip->count = calloc((size_t)n + 1, sizeof *ip->count);
    ip->xsum = calloc((size_t)n + 1, sizeof *ip->xsum);
    if (!ip->h || !ip->g || !ip->hd || !ip->gd || !ip->count || !ip->xsum) {
        sm_ip_destroy(ip);
        return sm_error_set(err, SM_ENOMEM, "intrinsic plasticity: out of memory");
    }
    const size_t pad = ((size_t)n + 15) / 16 * 16;
    for (size_t k = 0; k < pad; k++)
        ip->g[k] = 1.0f; /* padding too: the LIF update reads whole vectors */
    for (int k = 0; k < n; k++)
        ip->gd[k] = 1.0;
    const double dt = cfg->run.dt;
    ip->window = cfg->ip.window > 0 ? cfg->ip.window : cfg->input.steps_per_image;
    ip->rho[0] = cfg->ip.target_e * dt / 1000.0;
    ip->rho[1] = cfg->ip.target_i * dt / 1000.0;
    ip->eta_h = cfg->ip.eta_h;
    ip->h_min = cfg->ip.h_min;
    ip->h_max = cfg->ip.h_max;
    ip->rho_max = cfg->ip.r_max * dt / 1000.0;
    ip->mu[0] = cfg->ip.target_e / cfg->ip.r_max;
    ip->mu[1] = cfg->ip.target_i / cfg->ip.r_max;
    for (int p = 0; p < 2; p++) {
        ip->span[p] = cfg->lif[p].theta0 - cfg->lif[p].v_rest;
        ip->r_m[p] = cfg->lif[p].r_m;
    }
    ip->eta_b = cfg->ip.eta_b;
    ip->eta_g = cfg->ip.eta_g;
    ip->g_min = cfg->ip.g_min;
    ip->g_max = cfg->ip.g_max;
    ip->sleep_on = cfg->ip.sleep == SM_IP_SLEEP_ON;
    *out = ip;
    return SM_OK;
}

void sm_ip_step(sm_ip *ip, const float *i_syn, const uint8_t *spiked)
{
    if (ip) ip->ops->step(ip, i_syn, spiked);
}

/* State layout: hd, gd, xsum (n doubles each), count (n uint32), pos (int64). */
size_t sm_ip_state(sm_ip *ip, void *buf, int save)
{
    const size_t n = (size_t)ip->n_post;
    const size_t bytes = 3 * n * sizeof(double) + n * sizeof(uint32_t) + sizeof(int64_t);
    if (!buf) return bytes;
    unsigned char *b = buf;
    void *parts[5] = {ip->hd, ip->gd, ip->xsum, ip->count, &ip->pos};
    const size_t sizes[5] = {n * sizeof(double), n * sizeof(double), n * sizeof(double),
                             n * sizeof(uint32_t), sizeof(int64_t)};
    for (int k = 0; k < 5; k++) {
        save ? memcpy(b, parts[k], sizes[k]) : memcpy(parts[k], b, sizes[k]);
        b += sizes[k];
    }
    if (!save)
        for (size_t k = 0; k < n; k++) {
            ip->h[k] = (float)ip->hd[k];
            ip->g[k] = (float)ip->gd[k];
        }
    return bytes;
}

void sm_ip_stats(const sm_ip *ip, int pop, double *h_mean, double *h_sd, double *g_mean)
{
    const int lo = pop ? ip->n_exc : 0, hi = pop ? ip->n_post : ip->n_exc;
    double s = 0, ss = 0, sg = 0;
    for (int k = lo; k < hi; k++) {
        s += ip->hd[k];
        sg += ip->gd[k];
    }
    const int n = hi - lo;
    *h_mean = n > 0 ? s / n : NAN;
    *g_mean = n > 0 ? sg / n : NAN;
    for (int k = lo; k < hi; k++)
        ss += (ip->hd[k] - *h_mean) * (ip->hd[k] - *h_mean);
    *h_sd = n > 1 ? sqrt(ss / (n - 1)) : (n == 1 ? 0 : NAN);
}
