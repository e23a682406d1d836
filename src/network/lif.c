#include "somnus/network/lif.h"

#include <stdint.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

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

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* Hand-written 16-lane vectors: GCC's auto-vectorized loop runs 64 lanes per iteration and
 * leaves the mixed E/I vector and the short I range to scalar epilogues, which took most of
 * the time in the paper config (256 neurons). Every operation below is the one of
 * pops_kernel (the portable loop below), in the same order, so results are bit-identical. */
typedef struct lif_vcoef {
    __m512 k_syn, k_m, v_rest, r_m, v_min, v_max, v_reset, k_a, delta_a, theta0, th_min, th_max;
} lif_vcoef;

typedef struct lif_arrays {
    float *v, *i_syn, *a, *theta, *drive;
    const float *noise;
    uint8_t *spiked;
    const float *h, *g; /* intrinsic offset and gain (both NULL: h = 0, g = 1) */
} lif_arrays;

#define LIF_PICK(f) _mm512_mask_blend_ps(first, _mm512_set1_ps(q->f), _mm512_set1_ps(e->f))

/* Lanes set in `first` take e's coefficients, the others q's. */
static inline lif_vcoef vcoef(const sm_lif_coeffs *e, const sm_lif_coeffs *q, __mmask16 first)
{
    lif_vcoef c = {LIF_PICK(k_syn),   LIF_PICK(k_m),    LIF_PICK(v_rest),    LIF_PICK(r_m),
                   LIF_PICK(v_min),   LIF_PICK(v_max),  LIF_PICK(v_reset),   LIF_PICK(k_a),
                   LIF_PICK(delta_a), LIF_PICK(theta0), LIF_PICK(theta_min), LIF_PICK(theta_max)};
    return c;
}

#undef LIF_PICK

/* clampf on 16 lanes, NaN and signed zeros included: min(hi, x) is x > hi ? hi : x. */
static inline __m512 vclamp(__m512 x, __m512 lo, __m512 hi)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_min_ps(hi, x), lo);
}

/* Lanes [0, m) of a 16-lane mask, m clamped to [0, 16]. */
static inline __mmask16 lanes_below(int m)
{
    return (__mmask16)(m <= 0 ? 0 : (m >= 16 ? 0xFFFF : (1u << m) - 1));
}

static inline __m512 vload(const float *p, __mmask16 in, const int part)
{
    return part ? _mm512_maskz_loadu_ps(in, p) : _mm512_loadu_ps(p);
}

static inline void vstore(float *p, __m512 x, __mmask16 in, const int part)
{
    if (part)
        _mm512_mask_storeu_ps(p, in, x);
    else
        _mm512_storeu_ps(p, x);
}

/* Neurons [k, k + 16) (only lanes `in` when `part`); lanes outside `live` never spike. */
static inline __attribute__((always_inline)) int lif_vec(const lif_vcoef *c, const lif_arrays x,
                                                         int k, __mmask16 live, __mmask16 in,
                                                         const int with_noise, const int part,
                                                         const int with_ip)
{
    const __m512 i_syn = vload(x.i_syn + k, in, part), v = vload(x.v + k, in, part);
    const __m512 a = vload(x.a + k, in, part), theta = vload(x.theta + k, in, part);
    const __m512 cur = _mm512_add_ps(
        i_syn, _mm512_mul_ps(c->k_syn, _mm512_sub_ps(vload(x.drive + k, in, part), i_syn)));
    __m512 rin = _mm512_mul_ps(c->r_m, cur);
    if (with_ip) rin = _mm512_mul_ps(vload(x.g + k, in, part), rin);
    const __m512 w = _mm512_sub_ps(rin, _mm512_sub_ps(v, c->v_rest));
    __m512 vm = _mm512_add_ps(v, _mm512_mul_ps(c->k_m, w));
    if (with_noise) vm = _mm512_add_ps(vm, vload(x.noise + k, in, part));
    vm = vclamp(vm, c->v_min, c->v_max);
    const __mmask16 s = _mm512_cmp_ps_mask(vm, theta, _CMP_GT_OQ) & live;
    vm = _mm512_mask_mov_ps(vm, s, c->v_reset);
    __m512 ad = _mm512_sub_ps(a, _mm512_mul_ps(c->k_a, a));
    ad = _mm512_mask_add_ps(ad, s, ad, c->delta_a);
    vstore(x.i_syn + k, cur, in, part);
    vstore(x.v + k, vm, in, part);
    vstore(x.a + k, ad, in, part);
    __m512 th = _mm512_add_ps(c->theta0, ad);
    if (with_ip) th = _mm512_add_ps(th, vload(x.h + k, in, part));
    vstore(x.theta + k, vclamp(th, c->th_min, c->th_max), in, part);
    vstore(x.drive + k, _mm512_setzero_ps(), in, part);
    _mm_mask_storeu_epi8(x.spiked + k, part ? in : 0xFFFF, _mm_maskz_set1_epi8(s, 1));
    return __builtin_popcount(s);
}

/* Whole vectors of the first population, the vector straddling the boundary (coefficients
 * per lane), whole vectors of the second, then a partial last vector if n_pad needs one. */
static inline __attribute__((always_inline)) int pops_avx512(const sm_lif_coeffs c[2], int n_first,
                                                             int n, int n_pad, const lif_arrays x,
                                                             const int with_noise,
                                                             const int with_ip)
{
    int count = 0, k = 0;
    const lif_vcoef ce = vcoef(&c[0], &c[0], 0xFFFF);
    for (; k + 16 <= n_first && k + 16 <= n_pad; k += 16)
        count += lif_vec(&ce, x, k, lanes_below(n - k), 0xFFFF, with_noise, 0, with_ip);
    if (k < n_first && k < n_pad) {
        const lif_vcoef cm = vcoef(&c[0], &c[1], lanes_below(n_first - k));
        count +=
            lif_vec(&cm, x, k, lanes_below(n - k), lanes_below(n_pad - k), with_noise, 1, with_ip);
        k += 16;
    }
    const lif_vcoef ci = vcoef(&c[1], &c[1], 0xFFFF);
    for (; k + 16 <= n_pad; k += 16)
        count += lif_vec(&ci, x, k, lanes_below(n - k), 0xFFFF, with_noise, 0, with_ip);
    if (k < n_pad)
        count +=
            lif_vec(&ci, x, k, lanes_below(n - k), lanes_below(n_pad - k), with_noise, 1, with_ip);
    return count;
}

static int step_pops(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, const lif_arrays x)
{
    if (x.h) {
        if (x.noise) return pops_avx512(c, n_first, n, n_pad, x, 1, 1);
        return pops_avx512(c, n_first, n, n_pad, x, 0, 1);
    }
    if (x.noise) return pops_avx512(c, n_first, n, n_pad, x, 1, 0);
    return pops_avx512(c, n_first, n, n_pad, x, 0, 0);
}

int sm_lif_step(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
                float *restrict a, float *restrict theta, float *restrict drive,
                const float *restrict noise, uint8_t *restrict spiked)
{
    const sm_lif_coeffs cc[2] = {*c, *c};
    const lif_arrays x = {v, i_syn, a, theta, drive, noise, spiked, NULL, NULL};
    return step_pops(cc, n, n, n, x);
}

int sm_lif_step_pops(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                     float *restrict i_syn, float *restrict a, float *restrict theta,
                     float *restrict drive, const float *restrict noise, uint8_t *restrict spiked)
{
    const lif_arrays x = {v, i_syn, a, theta, drive, noise, spiked, NULL, NULL};
    return step_pops(c, n_first, n, n_pad, x);
}

int sm_lif_step_pops_ip(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                        float *restrict i_syn, float *restrict a, float *restrict theta,
                        float *restrict drive, const float *restrict noise, const float *restrict h,
                        const float *restrict g, uint8_t *restrict spiked)
{
    const lif_arrays x = {v, i_syn, a, theta, drive, noise, spiked, h, g};
    return step_pops(c, n_first, n, n_pad, x);
}
#else
static inline __attribute__((always_inline)) int
pops_kernel(const sm_lif_coeffs *restrict e, const sm_lif_coeffs *restrict q, int n_first, int n,
            int lo, int hi, float *restrict v, float *restrict i_syn, float *restrict a,
            float *restrict theta, float *restrict drive, const float *restrict noise,
            const float *restrict h, const float *restrict g, uint8_t *restrict spiked,
            const int with_noise, const int mixed, const int with_ip)
{
    int count = 0;
    /* The spec's per-neuron update, branch-free so the compiler vectorizes it (the spike
     * test uses the previous step's threshold, as in the spec's order); in the mixed range
     * each coefficient is selected per lane (e for k < n_first, q after). */
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
        float rin = r_m * cur;
        if (with_ip) rin = g[k] * rin;
        float vm = v[k] + k_m * (-(v[k] - v_rest) + rin);
        if (with_noise) vm += noise[k];
        vm = clampf(vm, v_min, v_max);
        int s = (vm > theta[k]) & (k < n);
        vm = s ? v_reset : vm;
        float ad = a[k] - k_a * a[k];
        ad = s ? ad + delta_a : ad;
        i_syn[k] = cur;
        v[k] = vm;
        a[k] = ad;
        float th = theta0 + ad;
        if (with_ip) th = th + h[k];
        theta[k] = clampf(th, th_min, th_max);
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
            const float *restrict noise, const float *restrict h, const float *restrict g,
            uint8_t *restrict spiked, const int with_noise, const int with_ip)
{
    int e16 = n_first / 16 * 16, m16 = (n_first + 15) / 16 * 16;
    e16 = e16 < n_pad ? e16 : n_pad;
    m16 = m16 < n_pad ? m16 : n_pad;
    const uintptr_t addr = (uintptr_t)v | (uintptr_t)i_syn | (uintptr_t)a | (uintptr_t)theta |
                           (uintptr_t)drive | (uintptr_t)noise | (uintptr_t)h | (uintptr_t)g |
                           (uintptr_t)spiked;
    if (addr % 64 == 0 && n_pad % 16 == 0) {
        /* The simulation's arrays: aligned and padded, so no peeling and no tail. */
        v = __builtin_assume_aligned(v, 64);
        i_syn = __builtin_assume_aligned(i_syn, 64);
        a = __builtin_assume_aligned(a, 64);
        theta = __builtin_assume_aligned(theta, 64);
        drive = __builtin_assume_aligned(drive, 64);
        spiked = __builtin_assume_aligned(spiked, 64);
        if (with_noise) noise = __builtin_assume_aligned(noise, 64);
        if (with_ip) {
            h = __builtin_assume_aligned(h, 64);
            g = __builtin_assume_aligned(g, 64);
        }
        int count = pops_kernel(&c[0], &c[0], n_first, n, 0, e16, v, i_syn, a, theta, drive, noise,
                                h, g, spiked, with_noise, 0, with_ip);
        count += pops_kernel(&c[0], &c[1], n_first, n, e16, m16, v, i_syn, a, theta, drive, noise,
                             h, g, spiked, with_noise, 1, with_ip);
        count += pops_kernel(&c[1], &c[1], n_first, n, m16, n_pad, v, i_syn, a, theta, drive, noise,
                             h, g, spiked, with_noise, 0, with_ip);
        return count;
    }
    int count = pops_kernel(&c[0], &c[0], n_first, n, 0, e16, v, i_syn, a, theta, drive, noise, h,
                            g, spiked, with_noise, 0, with_ip);
    count += pops_kernel(&c[0], &c[1], n_first, n, e16, m16, v, i_syn, a, theta, drive, noise, h, g,
                         spiked, with_noise, 1, with_ip);
    count += pops_kernel(&c[1], &c[1], n_first, n, m16, n_pad, v, i_syn, a, theta, drive, noise, h,
                         g, spiked, with_noise, 0, with_ip);
    return count;
}

/* The noise test is hoisted out of the loop: a `noise ? ... : ...` inside it makes the
 * compiler emit masked loads through a NULL pointer, which on AMD Zen take a
 * fault-suppression assist per vector (a third of the step's time in the paper config). */
int sm_lif_step_pops(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                     float *restrict i_syn, float *restrict a, float *restrict theta,
                     float *restrict drive, const float *restrict noise, uint8_t *restrict spiked)
{
    if (noise)
        return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, noise, NULL, NULL,
                           spiked, 1, 0);
    return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, NULL, NULL, NULL, spiked, 0,
                       0);
}

int sm_lif_step_pops_ip(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, float *restrict v,
                        float *restrict i_syn, float *restrict a, float *restrict theta,
                        float *restrict drive, const float *restrict noise, const float *restrict h,
                        const float *restrict g, uint8_t *restrict spiked)
{
    if (noise)
        return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, noise, h, g, spiked, 1,
                           1);
    return pops_ranges(c, n_first, n, n_pad, v, i_syn, a, theta, drive, NULL, h, g, spiked, 0, 1);
}

/* One population: both coefficient sets are c. */
int sm_lif_step(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
                float *restrict a, float *restrict theta, float *restrict drive,
                const float *restrict noise, uint8_t *restrict spiked)
{
    const sm_lif_coeffs cc[2] = {*c, *c};
    return sm_lif_step_pops(cc, n, n, n, v, i_syn, a, theta, drive, noise, spiked);
}
#endif
