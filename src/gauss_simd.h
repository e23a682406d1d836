/* Private: Box-Muller normal deviates, vectorizable, for the membrane noise.
 *
 * sm_rng_normal2 computes sqrt(-2 ln u1) * (cos, sin)(2 pi u2) in double with the C
 * library's log and sincos: one library call pair per two neurons per step, most of a
 * sleep step's time. Here the same formula runs on arrays with the fdlibm algorithms
 * (log: Lg1..Lg7 series; sin/cos: Cody-Waite reduction by pi/2 and the fdlibm kernels),
 * which are within 1 ulp in double; the noise is then rounded to float, so the values
 * equal the library-based ones except when a double lands within an ulp of a float
 * rounding boundary (about 1 value in 2^29; none in the 4e8 checked). Deterministic and
 * independent of thread count like the rest of the noise. */
#ifndef SOMNUS_GAUSS_SIMD_H
#define SOMNUS_GAUSS_SIMD_H

#include <math.h>
#include <stdint.h>

/* ln x for x in (0, 1] normal (fdlibm __ieee754_log without the special cases). */
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

/* sin and cos of x in [0, 2 pi) (fdlibm kernels after reduction by pi/2). */
static inline void gauss_sincos(double x, double *sn, double *cs)
{
    const double n = nearbyint(x * 6.36619772367581382433e-01);
    const double r = (x - n * 1.57079632673412561417e+00) - n * 6.07710050650619224932e-11;
    const double z = r * r, v = z * r;
    const double sr = 8.33333333332248946124e-03 +
                      z * (-1.98412698298579493134e-04 +
                           z * (2.75573137070700676789e-06 + z * (-2.50507602534068634195e-08 +
                                                                  z * 1.58969099521155010221e-10)));
    const double ks = r + v * (-1.66666666666666324348e-01 + z * sr);
    const double cr =
        z * (4.16666666666666019037e-02 +
             z * (-1.38888888888741095749e-03 +
                  z * (2.48015872894767294178e-05 +
                       z * (-2.75573143513906633035e-07 +
                            z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    const double hz = 0.5 * z, w = 1.0 - hz;
    const double kc = w + (((1.0 - w) - hz) + z * cr);
    const int q = (int)n & 3;
    const double s0 = q == 0 ? ks : q == 1 ? kc : q == 2 ? -ks : -kc;
    const double c0 = q == 0 ? kc : q == 1 ? -ks : q == 2 ? -kc : ks;
    *sn = s0;
    *cs = c0;
}

#endif
