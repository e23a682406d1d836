/* The per-step pieces of dc sleep that the step and the STDP code call (dc_sleep.h): the
 * membrane noise and the lazy power-law map (kept apart from dc_sleep.c, which runs the
 * window through sm_dc_step, so that no file cycle forms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/plasticity/sleep.h"
#include "models/dc_internal.h"

void sm_dc_add_noise(sm_dc *net)
{
    const int np = net->n_pad, n = net->p.n_exc; /* np is a multiple of 16 */
    const double sigma = net->noise_sigma;
    float *z = net->noise;
    /* index = E neuron j, or n_pad + I neuron j; one block feeds four neighbours */
    for (int b = 0; b < 2 * np / 4; b++) {
        const sm_rng_words w = sm_rng_block(net->p.seed, SM_STREAM_NOISE, net->step, (uint32_t)b);
        double g[4];
        sm_rng_normal2(w.w[0], w.w[1], &g[0], &g[1]);
        sm_rng_normal2(w.w[2], w.w[3], &g[2], &g[3]);
        for (int k = 0; k < 4; k++)
            z[4 * b + k] = (float)(sigma * g[k]);
    }
    for (int j = 0; j < n; j++) {
        net->ve[j] += z[j];
        net->vi[j] += z[np + j];
    }
}

/* The map applied k times: w_t (|w| / w_t)^(lambda^k) (sleep.h's map, exponent lambda^k). */
static float map_k_times(const sm_dc *net, float w, int32_t k)
{
    if (k <= 0 || w == 0.0f) return w;
    return (float)sm_sleep_powerlaw_map(w, net->map_target, pow(net->map_lambda, (double)k));
}

void sm_dc_map_catch_up(sm_dc *net, size_t idx)
{
    const int32_t k = net->map_k - net->map_stamp[idx];
    net->w[idx] = map_k_times(net, net->w[idx], k);
    net->map_stamp[idx] = net->map_k;
}

/* Brings every weight up to date at the end of a window. Most weights were never touched
 * (stamp 0): their exponent lambda^map_k is computed once. */
void sm_dc_map_flush(sm_dc *net)
{
    const int np = net->n_pad, n = net->p.n_exc, n_in = net->p.n_in;
    const double c = pow(net->map_lambda, (double)net->map_k), t = net->map_target;
    for (int i = 0; i < n_in; i++)
        for (int j = 0; j < n; j++) {
            const size_t idx = (size_t)i * np + j;
            const float w = net->w[idx];
            if (w == 0.0f) continue;
            net->w[idx] = net->map_stamp[idx] == 0
                              ? (float)sm_sleep_powerlaw_map(w, t, c)
                              : map_k_times(net, w, net->map_k - net->map_stamp[idx]);
        }
}
