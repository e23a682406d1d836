/* Private: vectorizable logarithm and Box-Muller deviates.
 *
 * gauss_log is fdlibm's double logarithm (within 1 ulp), written so that GCC vectorizes
 * it; the lazy sleep uses it. The membrane noise uses the float Box-Muller below:
 * sqrt(-2 ln u1) (cos, sin)(2 pi u2), the formula of sm_rng_normal2, with the same words
 * and the same mapping of words to uniforms, so a value differs from sm_rng_normal2's by
 * a few 2^-24 of the radius at most. Deterministic and independent of thread count like
 * the rest of the noise. */
#ifndef SOMNUS_GAUSS_SIMD_H
#define SOMNUS_GAUSS_SIMD_H

#include <math.h>
#include <stdint.h>

/* ln x for x > 0 normal (fdlibm __ieee754_log without the special cases). */
static inline double gauss_log(double x)
{
    union {
        double d;
        uint64_t u;
    } b = {x};
    int64_t hx = (int64_t)(b.u >> 32);
    int64_t k = (hx >> 20) - 1023;
    hx &= 0x000fffff;
    int64_t i = (hx + 0x95f64) & 0x100000; /* normalize m into [sqrt(2)/2, sqrt(2)) */
    b.u = ((uint64_t)(hx | (i ^ 0x3ff00000)) << 32) | (b.u & 0xffffffffull);
    k += (i >> 20);
    const double f = b.d - 1.0;
    const double s = f / (2.0 + f), dk = (double)k;
    const double z = s * s, w = z * z;
    const double t1 = w * (3.999999999940941908e-01 +
                           w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    const double t2 = z * (6.666666666666735130e-01 +
                           w * (2.857142874366239149e-01 +
                                w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    const double r = t2 + t1, hfsq = 0.5 * f * f;
    return dk * 6.93147180369123816490e-01 -
           ((hfsq - (s * (hfsq + r) + dk * 1.90821492927058770002e-10)) - f);
}

/* Float Box-Muller for the membrane noise. The noise is a float, so it is computed in
 * float: 16 lanes a vector instead of 8, and polynomials of half the degree (the Cephes
 * logf, sinf and cosf kernels). Both words are used as integers, which makes the float
 * forms as accurate as the double ones rounded to float, within a few float ulps:
 *   - the angle 2 pi (w + 1/2) / 2^32 is reduced to its quadrant exactly, from the top
 *     bits of w, and the rest r (|r| <= pi/4) is a float of relative error 2^-24;
 *   - ln u for u = (w + 1/2) / 2^32 >= 1/2 starts from 1 - u, computed from ~w, so it
 *     keeps its relative accuracy as u -> 1 (where u itself would round to 1).
 * Against sqrt(-2 ln u) (cos, sin)(2 pi v) in long double (2.56e7 values in a
 * microbenchmark, 2^21 and the words where the branches switch in tests/test_rng.c):
 * |error| <= 3.5 * 2^-24 times the radius (3.15 in the test), and 96-97% of the values
 * away from zeros of cos and sin are the correctly rounded float or an ulp from it. */

/* -2 ln((w + 1/2) / 2^32). */
static inline float gauss_m2ln_f(uint32_t w)
{
    union {
        float f;
        uint32_t u;
    } b = {((float)w + 0.5f) * (1.0f / 4294967296.0f)};
    const float e = (float)((int32_t)(b.u >> 23) - 126); /* u = m 2^e, m in [1/2, 1) */
    b.u = (b.u & 0x007fffffu) | 0x3f000000u;
    const float m = b.f;
    const float y = ((float)(~w) + 0.5f) * (1.0f / 4294967296.0f); /* 1 - u */
    /* ln u = e ln 2 + ln(1 + f), with 1 + f in [sqrt(2)/2, sqrt(2)) */
    const int small = m < 0.70710678f, upper = w >= 0x80000000u, near1 = y <= 0.29289322f;
    const float f_lo = (small ? m + m : m) - 1.0f, e_lo = small ? e - 1.0f : e;
    const float f_hi = near1 ? -y : 1.0f - (y + y), e_hi = near1 ? 0.0f : -1.0f;
    const float f = upper ? f_hi : f_lo, k = upper ? e_hi : e_lo;
    const float z = f * f;
    float p = 7.0376836292E-2f;
    p = p * f + -1.1514610310E-1f;
    p = p * f + 1.1676998740E-1f;
    p = p * f + -1.2420140846E-1f;
    p = p * f + 1.4249322787E-1f;
    p = p * f + -1.6668057665E-1f;
    p = p * f + 2.0000714765E-1f;
    p = p * f + -2.4999993993E-1f;
    p = p * f + 3.3333331174E-1f;
    /* ln 2 in two parts (0.693359375 is exact in 10 bits), as Cephes */
    const float l = (f + ((p * f * z + k * -2.12194440e-4f) - 0.5f * z)) + k * 0.693359375f;
    return -2.0f * l;
}

/* sin and cos of 2 pi (w + 1/2) / 2^32. */
static inline void gauss_sincos_f(uint32_t w, float *sn, float *cs)
{
    const uint32_t t = w + 0x20000000u; /* quadrant q nearest to the angle, offset d */
    const uint32_t q = t >> 30;
    const int32_t d = (int32_t)(t & 0x3fffffffu) - 0x20000000;
    const float r = ((float)d + 0.5f) * (1.57079632679489662f / 1073741824.0f);
    const float z = r * r;
    const float s =
        r + r * z * (-1.6666654611E-1f + z * (8.3321608736E-3f + z * -1.9515295891E-4f));
    const float c =
        (1.0f - 0.5f * z) +
        z * z * (4.166664568298827E-2f + z * (-1.388731625493765E-3f + z * 2.443315711809948E-5f));
    *sn = q == 0 ? s : q == 1 ? c : q == 2 ? -s : -c;
    *cs = q == 0 ? c : q == 1 ? -s : q == 2 ? -c : s;
}

#endif
