/* Input->E delays of the Diehl & Cook network, as the authors' code runs them: a Brian 1.4
 * DelayConnection (delays uniform in [0, 10 ms), floored to steps) with the C STDP class,
 * which reads the traces of the other side at the moment a spike reaches the synapse
 * (brian/experimental/c_stdp.py, DelayConnection branch). Timing in dc.h, sm_dc_step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "models/dc_internal.h"

/* Key of the delay draws in SM_STREAM_CONNECT: above every weight key (input index). */
#define DC_DELAY_KEY (UINT64_C(1) << 40)

/* Slot of step `s` in a ring of n (s may be negative at the start: earlier steps read the
 * zeroed slots, i.e. no spikes before step 0). */
static inline int slot_of(int64_t s, int n)
{
    const int64_t m = s % n;
    return (int)(m < 0 ? m + n : m);
}

static void *zalloc(size_t bytes)
{
    return calloc(bytes ? bytes : 1, 1);
}

void sm_dc_delays_free(sm_dc *net)
{
    void *arrs[] = {net->delay,      net->gbuf,     net->xpre_hist,
                    net->post1_hist, net->ring_spk, net->ring_n};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(arrs[k]);
}

/* Delay of one synapse: floor(u * D/dt), u uniform in [0, 1), as Brian's rand() * max /
 * dt truncated (D/dt = 20 gives 0..19). */
static void draw_delays(sm_dc *net, double span)
{
    const sm_dc_params *p = &net->p;
    const int np = net->n_pad;
    for (int i = 0; i < p->n_in; i++)
        for (int j = 0; j < p->n_exc; j += 4) {
            sm_rng_words b = sm_rng_block(p->seed, SM_STREAM_CONNECT, DC_DELAY_KEY + (uint64_t)i,
                                          (uint32_t)j / 4);
            for (int t = 0; t < 4 && j + t < p->n_exc; t++) {
                int d = (int)floor(sm_u01(b.w[t]) * span);
                net->delay[(size_t)i * np + j + t] =
                    (uint8_t)(d < net->n_delay ? d : net->n_delay - 1);
            }
        }
}

int sm_dc_delays_init(sm_dc *net)
{
    const sm_dc_params *p = &net->p;
    if (!(p->input_delay > 0)) return 1;
    const double span = p->input_delay / p->dt;
    net->n_delay = (int)ceil(span - 1e-9);
    if (net->n_delay < 1) net->n_delay = 1;
    if (net->n_delay > 255) return 0; /* config caps the delay; uint8 per synapse */
    net->lag = (int)floor(span + 1e-9) + 1;
    net->hist_n = net->lag + 1;
    const size_t np = (size_t)net->n_pad, nin = (size_t)p->n_in, h = (size_t)net->hist_n;
    net->delay = zalloc(nin * np);
    net->gbuf = zalloc((size_t)net->n_delay * np * sizeof(float));
    net->xpre_hist = zalloc(h * nin * sizeof(float));
    net->post1_hist = zalloc(h * np * sizeof(float));
    net->ring_spk = zalloc(h * nin * sizeof(int32_t));
    net->ring_n = zalloc(h * sizeof(int32_t));
    if (!net->delay || !net->gbuf || !net->xpre_hist || !net->post1_hist || !net->ring_spk ||
        !net->ring_n)
        return 0;
    draw_delays(net, span);
    return 1;
}

void sm_dc_delays_clear_history(sm_dc *net)
{
    if (!net->delay) return;
    const size_t h = (size_t)net->hist_n;
    memset(net->xpre_hist, 0, h * (size_t)net->p.n_in * sizeof(float));
    memset(net->post1_hist, 0, h * (size_t)net->n_pad * sizeof(float));
    memset(net->ring_n, 0, h * sizeof(int32_t));
}

/* Adds input i's row to the drive due d_ij steps from `base`, E neurons [j0, j1). */
static void scatter_row(sm_dc *net, int i, int base, int j0, int j1)
{
    const int np = net->n_pad, K = net->n_delay;
    const float *row = net->w + (size_t)i * np;
    const uint8_t *d = net->delay + (size_t)i * np;
    float *g = net->gbuf;
    for (int j = j0; j < j1; j++) {
        int s = base + d[j];
        s -= s >= K ? K : 0;
        g[(size_t)s * np + j] += row[j];
    }
}

/* Moves the drive due now into gee, E neurons [j0, j1). */
static void release_due(sm_dc *net, int base, int j0, int j1)
{
    float *due = net->gbuf + (size_t)base * net->n_pad;
    for (int j = j0; j < j1; j++) {
        net->gee[j] += due[j];
        due[j] = 0;
    }
}

void sm_dc_deliver_delayed(sm_dc *net, int n_spk)
{
    const int np = net->n_pad, base = slot_of((int64_t)net->step, net->n_delay);
    const int32_t *spk = net->in_spk;
    if (net->p.n_exc >= net->p.par_min) {
        const int nb = (np + 255) / 256;
#pragma omp parallel for schedule(static)
        for (int b = 0; b < nb; b++) {
            const int j0 = 256 * b, j1 = j0 + 256 < np ? j0 + 256 : np;
            for (int s = 0; s < n_spk; s++)
                scatter_row(net, spk[s], base, j0, j1);
            release_due(net, base, j0, j1);
        }
        return;
    }
    for (int s = 0; s < n_spk; s++)
        scatter_row(net, spk[s], base, 0, np);
    release_due(net, base, 0, np);
}

/* Depression of the spikes of step now - L, each synapse with x_post1 at the end of step
 * (now - L + d_ij). */
static void depress_due(sm_dc *net)
{
    const int64_t t = (int64_t)net->step - net->lag;
    if (t < 0) return;
    const int H = net->hist_n, np = net->n_pad, sl = slot_of(t, H);
    const float nu = (float)net->p.nu_pre;
    const int32_t *spk = net->ring_spk + (size_t)sl * net->p.n_in;
    for (int s = 0; s < net->ring_n[sl]; s++) {
        const int i = spk[s];
        float *row = net->w + (size_t)i * np;
        const uint8_t *d = net->delay + (size_t)i * np;
        for (int j = 0; j < np; j++) {
            const float x1 = net->post1_hist[(size_t)slot_of(t + d[j], H) * np + j];
            const float w = row[j] - nu * x1;
            row[j] = w < 0 ? 0 : w;
        }
    }
}

/* Drops inputs whose x_pre has been 0 over the whole delay window. */
static void prune_pre_list(sm_dc *net)
{
    const int64_t now = (int64_t)net->step, keep = net->pre_tab_n + net->hist_n;
    int m = 0;
    for (int a = 0; a < net->n_pre_list; a++) {
        const int i = net->pre_list[a];
        if (now - net->pre_last[i] < keep)
            net->pre_list[m++] = i;
        else
            net->pre_listed[i] = 0;
    }
    net->n_pre_list = m;
}

/* Potentiation of E spiker j's column, each synapse with x_pre at the end of step
 * (now - 1 - d_ij). */
static void potentiate(sm_dc *net, int j, float f)
{
    const int np = net->n_pad, H = net->hist_n, n_in = net->p.n_in;
    const float wmax = (float)net->p.w_max;
    const int64_t now = (int64_t)net->step;
    for (int a = 0; a < net->n_pre_list; a++) {
        const int i = net->pre_list[a];
        const size_t k = (size_t)i * np + j;
        const float x = net->xpre_hist[(size_t)slot_of(now - 1 - net->delay[k], H) * n_in + i];
        const float w = net->w[k] + f * x;
        net->w[k] = w > wmax ? wmax : w;
    }
}

/* The end-of-step records: this step's input spikes, x_pre and x_post1. */
static void record_step(sm_dc *net, int n_spk)
{
    const int H = net->hist_n, n_in = net->p.n_in, np = net->n_pad;
    const int sl = slot_of((int64_t)net->step, H);
    memcpy(net->ring_spk + (size_t)sl * n_in, net->in_spk, (size_t)n_spk * sizeof(int32_t));
    net->ring_n[sl] = n_spk;
    float *xp = net->xpre_hist + (size_t)sl * n_in;
    for (int i = 0; i < n_in; i++) { /* as sm_dc_xpre (dc_net.c), kept here: no call upward */
        const int64_t age = (int64_t)net->step - net->pre_last[i];
        xp[i] = age >= 0 && age < net->pre_tab_n ? net->pre_tab[age] : 0.0f;
    }
    memcpy(net->post1_hist + (size_t)sl * np, net->xpost1, (size_t)np * sizeof(float));
}

void sm_dc_stdp_delayed(sm_dc *net, int n_spk, int n_e)
{
    const sm_dc_params *p = &net->p;
    for (int s = 0; s < n_spk; s++) /* x_pre = 1 at the spike (Brian's immediate pre code) */
        sm_dc_pre_spike(net, net->in_spk[s]);
    depress_due(net);
    if (n_e > 0) prune_pre_list(net);
    for (int k = 0; k < n_e; k++) {
        const int j = net->e_spk[k];
        const float f = (float)p->nu_post * (p->rule == SM_DC_TRIPLET ? net->xpost2[j] : 1.0f);
        if (f > 0) potentiate(net, j, f);
        net->xpost1[j] = net->xpost2[j] = 1.0f;
        if (!net->in_active[j]) {
            net->in_active[j] = 1;
            net->active[net->n_active++] = j;
        }
    }
    record_step(net, n_spk);
}
