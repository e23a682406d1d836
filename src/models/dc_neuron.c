/* The Diehl & Cook neuron populations (spec diehl-cook.md section 2): conductance LIF
 * with forward Euler as in the authors' Brian 1 code, and BindsNET's current LIF. Both
 * integrate, test the threshold and reset in one pass; spikers are collected in
 * ascending order afterwards, so the result does not depend on how threads split E. */
#include <math.h>
#include <string.h>

#include "somnus/core/threads.h"
#include "somnus/core/rng.h"
#include "models/dc_internal.h"

/* Collects marked neurons [0, n) into out (ascending), clearing the marks; eight marks
 * at a time (marks past n are 0: the array is padded to 16). */
static int collect(uint8_t *mark, int n, int32_t *out)
{
    int k = 0;
    for (int j0 = 0; j0 < n; j0 += 8) {
        uint64_t w;
        memcpy(&w, mark + j0, 8);
        if (!w) continue;
        memset(mark + j0, 0, 8);
        for (; w; w &= w - 1)
            out[k++] = j0 + __builtin_ctzll(w) / 8;
    }
    return k;
}

static int steps_of(double ms, double dt)
{
    return (int)lround(ms / dt);
}

/* Conductances and traces below this are set to 0 (they only decay: denormal floats
 * would slow every later step ~100-fold and change nothing measurable). */
#define DC_TINY 1e-30f

/* Refractoriness as Brian 1.4 runs the authors' code (neurongroup.py, reset.py): a
 * neuron that spiked at step t0 may spike again from step t0 + rs (rs = refrac/dt; Brian
 * blocks spikes until t0 dt + refrac - dt/2). The I group has a scalar reset, so Brian's
 * Refractoriness also holds v at v_reset at the end of steps t0 .. t0 + rs (the threshold
 * at t0 + rs sees v integrated one step from v_reset). The E group's reset is a string
 * ('v = v_reset_e; theta += ...'), for which Brian installs no clamp: v restarts from
 * v_reset and integrates freely while spikes are blocked. ref[j] counts down from rs;
 * a spike is allowed when ref <= 1, v is held while ref > 0 (I only). */

/* E neurons [j0, j1) of the conductance model: Euler step, refractoriness (above),
 * threshold v > thr + theta_s S (S = theta_scale, already decayed for this step), reset
 * and theta increment (inc = theta_plus / S). Branch-free so that it vectorizes. */
static void cond_e_range(const sm_dc_neuron *c, double dt, int j0, int j1, float *restrict v,
                         float *restrict ge, float *restrict gi, int32_t *restrict ref,
                         float *restrict theta, float scale, float inc, float thr,
                         uint8_t *restrict mark, int clamp)
{
    const float a = (float)(dt / c->tau_m), vr = (float)c->v_rest, vreset = (float)c->v_reset;
    const float ee = (float)c->e_exc, ei = (float)c->e_inh;
    const float dge = (float)(1 - dt / c->tau_ge), dgi = (float)(1 - dt / c->tau_gi);
    const int rs = steps_of(c->refrac, dt);
    for (int j = j0; j < j1; j++) {
        const float x = v[j], e = ge[j], g = gi[j];
        float vn = x + a * ((vr - x) + e * (ee - x) + g * (ei - x));
        if (clamp) vn = vn < ei ? ei : (vn > ee ? ee : vn);
        const float e2 = e * dge, g2 = g * dgi;
        ge[j] = e2 < DC_TINY ? 0.0f : e2;
        gi[j] = g2 < DC_TINY ? 0.0f : g2;
        const int r = ref[j];
        const int s = (r <= 1) & (vn > thr + theta[j] * scale);
        mark[j] = (uint8_t)s;
        v[j] = s ? vreset : vn; /* not held: Brian 1 holds v only under a scalar reset */
        ref[j] = s ? rs : (r > 0 ? r - 1 : 0);
        theta[j] += s ? inc : 0.0f;
    }
}

/* The same for I neurons (no theta). */
static void cond_i_range(const sm_dc_neuron *c, double dt, int j0, int j1, float *v, float *ge,
                         float *gi, int32_t *ref, float thr, uint8_t *mark, int clamp)
{
    const float a = (float)(dt / c->tau_m), vr = (float)c->v_rest, vreset = (float)c->v_reset;
    const float ee = (float)c->e_exc, ei = (float)c->e_inh;
    const float dge = (float)(1 - dt / c->tau_ge), dgi = (float)(1 - dt / c->tau_gi);
    const int rs = steps_of(c->refrac, dt);
    for (int j = j0; j < j1; j++) {
        const float x = v[j], e = ge[j], g = gi[j];
        float vn = x + a * ((vr - x) + e * (ee - x) + g * (ei - x));
        if (clamp) vn = vn < ei ? ei : (vn > ee ? ee : vn);
        const float e2 = e * dge, g2 = g * dgi;
        ge[j] = e2 < DC_TINY ? 0.0f : e2;
        gi[j] = g2 < DC_TINY ? 0.0f : g2;
        const int r = ref[j];
        const int s = (r <= 1) & (vn > thr);
        mark[j] = (uint8_t)s;
        v[j] = ((r > 0) | s) ? vreset : vn;
        ref[j] = s ? rs : (r > 0 ? r - 1 : 0);
    }
}

void sm_dc_theta_decay(sm_dc *net, double factor)
{
    net->theta_scale *= factor;
    if (net->theta_scale < 0.5) { /* fold the factor in (rarely: every ~1.4e7 steps) */
        for (int j = 0; j < net->n_pad; j++)
            net->theta[j] = (float)(net->theta[j] * net->theta_scale);
        net->theta_scale = 1.0;
    }
}

/* Runs f over [0, n) in blocks of 256, on net->p.threads OpenMP threads when par (no
 * OpenMP region at all otherwise: an if(0) region still costs a futex call per step). */
#define DC_RANGES(n, par, CALL)                                                                    \
    do {                                                                                           \
        if (par) {                                                                                 \
            const int nb_ = ((n) + 255) / 256, nt_ = sm_threads(net->p.threads);                   \
            _Pragma("omp parallel for schedule(static) num_threads(nt_)") for (int b_ = 0;         \
                                                                               b_ < nb_; b_++)     \
            {                                                                                      \
                const int j0 = 256 * b_, j1 = j0 + 256 < (n) ? j0 + 256 : (n);                     \
                CALL;                                                                              \
            }                                                                                      \
        } else {                                                                                   \
            const int j0 = 0, j1 = (n);                                                            \
            CALL;                                                                                  \
        }                                                                                          \
    } while (0)

void sm_dc_cond_prepare(sm_dc *net, sm_dc_cond_consts *k)
{
    const sm_dc_params *p = &net->p;
    const int adapt = net->learning && !net->theta_frozen;
    if (adapt) sm_dc_theta_decay(net, 1.0 - p->dt / p->tau_theta);
    k->scale = (float)net->theta_scale;
    k->inc = adapt ? (float)(p->theta_plus / net->theta_scale) : 0.0f;
    k->thr = (float)(p->e.v_thresh - p->theta_offset);
}

void sm_dc_cond_range(sm_dc *net, const sm_dc_cond_consts *k, int j0, int j1)
{
    const sm_dc_params *p = &net->p;
    cond_e_range(&p->e, p->dt, j0, j1, net->ve, net->gee, net->gie, net->refe, net->theta, k->scale,
                 k->inc, k->thr, net->e_mark, p->v_clamp);
    cond_i_range(&p->i, p->dt, j0, j1, net->vi, net->gei, net->gii, net->refi, (float)p->i.v_thresh,
                 net->i_mark, p->v_clamp);
}

void sm_dc_collect(sm_dc *net, int *ne, int *ni)
{
    *ne = collect(net->e_mark, net->p.n_exc, net->e_spk);
    *ni = collect(net->i_mark, net->p.n_exc, net->i_spk);
}

void sm_dc_neurons_cond(sm_dc *net, int *ne, int *ni)
{
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc, par = n >= p->par_min;
    sm_dc_cond_consts k;
    sm_dc_cond_prepare(net, &k);
    DC_RANGES(n, par, sm_dc_cond_range(net, &k, j0, j1));
    sm_dc_collect(net, ne, ni);
}

/* One current-based population (BindsNET LIFNodes / DiehlAndCookNodes): decay toward
 * rest, add the drive (ge - gi) unless refractory, count down, threshold v >= thr + theta,
 * reset; the drive is consumed. */
static void current_range(const sm_dc_neuron *c, double dt, int j0, int j1, float *v, float *ge,
                          float *gi, int32_t *ref, float *theta, float scale, float inc,
                          uint8_t *mark)
{
    const float dec = (float)exp(-dt / c->tau_m), vr = (float)c->v_rest;
    const float vreset = (float)c->v_reset;
    const int rs = steps_of(c->refrac, dt);
    const float thr = (float)c->v_thresh;
    for (int j = j0; j < j1; j++) {
        float x = dec * (v[j] - vr) + vr;
        const float th = theta ? theta[j] * scale : 0.0f;
        const int r = ref[j];
        if (r <= 0) x += ge[j] - gi[j];
        ge[j] = gi[j] = 0;
        const int r2 = r - 1;
        const int s = x >= thr + th;
        mark[j] = (uint8_t)s;
        v[j] = s ? vreset : x;
        ref[j] = s ? rs : (r2 > 0 ? r2 : 0);
        if (s && theta) theta[j] += inc;
    }
}

void sm_dc_neurons_current(sm_dc *net, int *ne, int *ni)
{
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc, par = n >= p->par_min;
    const int adapt = net->learning && !net->theta_frozen;
    if (adapt) sm_dc_theta_decay(net, exp(-p->dt / p->tau_theta));
    const float sc = (float)net->theta_scale;
    const float inc = adapt ? (float)(p->theta_plus / net->theta_scale) : 0.0f;
    DC_RANGES(n, par,
              current_range(&p->e, p->dt, j0, j1, net->ve, net->gee, net->gie, net->refe,
                            net->theta, sc, inc, net->e_mark));
    DC_RANGES(n, par,
              current_range(&p->i, p->dt, j0, j1, net->vi, net->gei, net->gii, net->refi, NULL, 1,
                            0, net->i_mark));
    int k = collect(net->e_mark, n, net->e_spk);
    if (k > 1) { /* BindsNET's one_spike: one spiker, uniformly at random, is reported */
        const sm_rng_words b = sm_rng_block(p->seed, SM_STREAM_DC, net->step, 0);
        net->e_spk[0] = net->e_spk[(int)(sm_u01(b.w[0]) * k)];
        k = 1;
    }
    *ne = k;
    *ni = collect(net->i_mark, n, net->i_spk);
}
