#include "somnus/lif.h"

#include <stdint.h>

static float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

sm_lif_coeffs sm_lif_coeffs_make(const sm_lif_params *p, double dt)
{
    sm_lif_coeffs c = {
        .k_syn = (float)(dt / p->tau_syn),
        .k_m = (float)(dt / p->tau_m),
        .k_a = (float)(dt / p->tau_a),
        .r_m = (float)p->r_m,
        .v_rest = (float)p->v_rest,
        .v_reset = (float)p->v_reset,
        .theta0 = (float)p->theta0,
        .v_min = (float)p->v_min,
        .v_max = (float)p->v_max,
        .theta_min = (float)p->theta_min,
        .theta_max = (float)p->theta_max,
        .delta_a = (float)p->delta_a,
    };
    return c;
}

void sm_lif_init(const sm_lif_params *p, int n, float *v, float *i_syn, float *a, float *theta)
{
    float th = clampf((float)p->theta0, (float)p->theta_min, (float)p->theta_max);
    for (int k = 0; k < n; k++) {
        v[k] = (float)p->v_init;
        i_syn[k] = 0.0f;
        a[k] = 0.0f;
        theta[k] = th;
    }
}

/* The body of sm_lif_step, with the noise test hoisted: a `noise ? ... : ...` inside the
 * loop makes the compiler emit masked loads through a NULL pointer, which on AMD Zen take
 * a fault-suppression assist per vector (a third of the step's time in the paper config). */
static inline __attribute__((always_inline)) int
lif_kernel(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
           float *restrict a, float *restrict theta, float *restrict drive,
           const float *restrict noise, uint8_t *restrict spiked, const int with_noise)
{
    int count = 0;
    const float k_syn = c->k_syn, k_m = c->k_m, v_rest = c->v_rest, r_m = c->r_m;
    const float v_min = c->v_min, v_max = c->v_max, v_reset = c->v_reset, k_a = c->k_a;
    const float delta_a = c->delta_a, theta0 = c->theta0, th_min = c->theta_min,
                th_max = c->theta_max;
    /* Branch-free body so the compiler vectorizes it; the spike test uses the threshold
     * of the previous step, as in the spec's order. */
#pragma omp simd reduction(+ : count)
    for (int k = 0; k < n; k++) {
        float cur = i_syn[k] + k_syn * (-i_syn[k] + drive[k]);
        float vm = v[k] + k_m * (-(v[k] - v_rest) + r_m * cur);
        if (with_noise) vm += noise[k];
        vm = clampf(vm, v_min, v_max);
        int s = vm > theta[k];
        vm = s ? v_reset : vm;
        float ad = a[k] - k_a * a[k];
        ad = s ? ad + delta_a : ad;
        i_syn[k] = cur;
        v[k] = vm;
        a[k] = ad;
        theta[k] = clampf(theta0 + ad, th_min, th_max);
        drive[k] = 0.0f;
        spiked[k] = (uint8_t)s;
        count += s;
    }
    return count;
}

int sm_lif_step(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
                float *restrict a, float *restrict theta, float *restrict drive,
                const float *restrict noise, uint8_t *restrict spiked)
{
    if (noise) return lif_kernel(c, n, v, i_syn, a, theta, drive, noise, spiked, 1);
    return lif_kernel(c, n, v, i_syn, a, theta, drive, NULL, spiked, 0);
}

static inline __attribute__((always_inline)) int
pops_kernel(const sm_lif_coeffs *restrict e, const sm_lif_coeffs *restrict q, int n_first, int n,
            int lo, int hi, float *restrict v, float *restrict i_syn, float *restrict a,
            float *restrict theta, float *restrict drive, const float *restrict noise,
            uint8_t *restrict spiked, const int with_noise, const int mixed)
{
    int count = 0;
    /* The per-neuron arithmetic is that of lif_kernel; in the mixed range each coefficient
     * is selected per lane (e for k < n_first, q after). */
#pragma omp simd reduction(+ : count)
    for (int k = lo; k < hi; k++) {
        const int first = !mixed || k < n_first;
        const float k_syn = first ? e->k_syn : q->k_syn, k_m = first ? e->k_m : q->k_m;
        const float v_rest = first ? e->v_rest : q->v_rest, r_m = first ? e->r_m : q->r_m;
        const float v_min = first ? e->v_min : q->v_min, v_max = first ? e->v_max : q->v_max;
        const float v_reset = first ? e->v_reset : q->v_reset, k_a = first ? e->k_a : q->k_a;
        const float delta_a = first ? e->delta_a : q->delta_a;
        const float theta0 = first ? e->theta0 : q->theta0;
        const float th_min = first ? e->theta_min : q->theta_min;
        const float th_max = first ? e->theta_max : q->theta_max;
        float cur = i_syn[k] + k_syn * (-i_syn[k] + drive[k]);
        float vm = v[k] + k_m * (-(v[k] - v_rest) + r_m * cur);
        if (with_noise) vm += noise[k];
        vm = clampf(vm, v_min, v_max);
        int s = (vm > theta[k]) & (k < n);
        vm = s ? v_reset : vm;
        float ad = a[k] - k_a * a[k];
        ad = s ? ad + delta_a : ad;
        i_syn[k] = cur;
        v[k] = vm;
        a[k] = ad;
        theta[k] = clampf(theta0 + ad, th_min, th_max);
        drive[k] = 0.0f;
        spiked[k] = (uint8_t)s;
        count += s;
    }
    return count;
}

/* Three ranges: whole vectors of the first population, the vector that straddles the
 * boundary (coefficients per lane), whole vectors of the second. */
static inline __attribute__((always_inline)) int
pops_ranges(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
            float *restrict i_syn, float *restrict a, float *restrict theta, float *restrict drive,
            const float *restrict noise, uint8_t *restrict spiked, const int with_noise)
{
    int e16 = n_first / 16 * 16, m16 = (n_first + 15) / 16 * 16;
    e16 = e16 < n_pad ? e16 : n_pad;
    m16 = m16 < n_pad ? m16 : n_pad;
    const uintptr_t addr = (uintptr_t)v | (uintptr_t)i_syn | (uintptr_t)a | (uintptr_t)theta |
                           (uintptr_t)drive | (uintptr_t)noise | (uintptr_t)spiked;
    if (addr % 64 == 0 && n_pad % 16 == 0) {
        /* The simulation's arrays: aligned and padded, so no peeling and no tail. */
        v = __builtin_assume_aligned(v, 64);
        i_syn = __builtin_assume_aligned(i_syn, 64);
        a = __builtin_assume_aligned(a, 64);
        theta = __builtin_assume_aligned(theta, 64);
        drive = __builtin_assume_aligned(drive, 64);
        spiked = __builtin_assume_aligned(spiked, 64);
        if (with_noise) noise = __builtin_assume_aligned(noise, 64);
        int count = pops_kernel(&c[0], &c[0], n_first, n, 0, e16, v, i_syn, a, theta, drive, noise,
                                spiked, with_noise, 0);
        count += pops_kernel(&c[0], &c[1], n_first, n, e16, m16, v, i_syn, a, theta, drive, noise,
                             spiked, with_noise, 1);
        count += pops_kernel(&c[1], &c[1], n_first, n, m16, n_pad, v, i_syn, a, theta, drive, noise,
                             spiked, with_noise, 0);
        return count;
    }
    int count = pops_kernel(&c[0], &c[0], n_first, n, 0, e16, v, i_syn, a, theta, drive, noise,
                            spiked, with_noise, 0);
    count += pops_kernel(&c[0], &c[1], n_first, n, e16, m16, v, i_syn, a, theta, drive, noise,
                         spiked, with_noise, 1);
    count += pops_kernel(&c[1], &c[1], n_first, n, m16, n_pad, v, i_syn, a, theta, drive, noise,
                         spiked, with_noise, 0);
    return count;
}

int sm_lif_step_pops(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                     float *restrict i_syn, float *restrict a, float *restrict theta,
                     float *restrict drive, const float *restrict noise, uint8_t *restrict spiked)
{
    if (noise)
        return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, noise, spiked, 1);
    return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, NULL, spiked, 0);
}
