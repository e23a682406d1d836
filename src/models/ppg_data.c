/* The counts the Poisson-Gamma mixture sees (spec intrinsic.md A5, A6): Gamma and Poisson
 * deviates, Poisson counts of an image, normalization to a fixed total, and the intensity
 * manipulation data.intensity. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "somnus/core/config.h"
#include "somnus/models/ppg.h"

double sm_ppg_gamma_draw(sm_rng *r, double shape, double rate)
{
    if (shape < 1) {
        const double u = sm_rng_uniform(r);
        return sm_ppg_gamma_draw(r, shape + 1, rate) * pow(u, 1 / shape);
    }
    const double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        const double x = sm_rng_normal(r), t = 1 + c * x;
        if (t <= 0) continue;
        const double v = t * t * t, u = sm_rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v / rate;
    }
}

double sm_ppg_poisson_draw(sm_rng *r, double mean)
{
    if (!(mean > 0)) return 0;
    if (mean < 30) { /* inversion by sequential search */
        const double u = sm_rng_uniform(r);
        double p = exp(-mean), f = p;
        int k = 0;
        while (u > f && k < 1000) {
            k++;
            p *= mean / k;
            f += p;
        }
        return k;
    }
    /* PTRS, transformed rejection with squeeze (Hoermann 1993) */
    const double slam = sqrt(mean), loglam = log(mean);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        const double u = sm_rng_uniform(r) - 0.5, v = sm_rng_uniform(r);
        const double us = 0.5 - fabs(u);
        const double k = floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1))
            return k;
    }
}

void sm_ppg_poisson_counts(sm_rng *r, const float *x, int D, double scale, double *y)
{
    for (int d = 0; d < D; d++)
        y[d] = sm_ppg_poisson_draw(r, scale * x[d]);
}

void sm_ppg_normalize(double *y, int D, double total)
{
    double s = 0;
    for (int d = 0; d < D; d++)
        s += y[d];
    if (!(s > 0)) return;
    const double k = total / s;
    for (int d = 0; d < D; d++)
        y[d] *= k;
}

int sm_ppg_parse_means(const char *text, double *means, int max, sm_error *err)
{
    int k = 0;
    const char *s = text;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        char *end;
        errno = 0;
        const double v = strtod(s, &end);
        if (end == s || errno || !isfinite(v) || !(v > 0) || k >= max) {
            sm_error_set(err, SM_EINVAL,
                         "data.intensity_means: '%s' is not a list of at most %d positive "
                         "numbers such as 0.5,1,1.5,2",
                         text, max);
            return 0;
        }
        means[k++] = v;
        s = end;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0') return k;
        if (*s != ',') {
            sm_error_set(err, SM_EINVAL, "data.intensity_means: unexpected '%c' in '%s'", *s, text);
            return 0;
        }
        s++;
    }
}

sm_status sm_ppg_draw_intensity(int kind, const double *means, int n_means, double shape,
                                const int *pos, int n, int n_classes, uint64_t seed, uint32_t index,
                                double *z, sm_error *err)
{
    if (kind == SM_INTENSITY_NONE) {
        for (int i = 0; i < n; i++)
            z[i] = 1;
        return SM_OK;
    }
    if (kind == SM_INTENSITY_CLASS_GAMMA && n_means != n_classes)
        return sm_error_set(err, SM_EINVAL,
                            "data.intensity_means: class_gamma needs one mean per selected class "
                            "(%d), got %d",
                            n_classes, n_means);
    if (kind == SM_INTENSITY_GAMMA && n_means != 1)
        return sm_error_set(err, SM_EINVAL,
                            "data.intensity_means: gamma takes one mean for all classes, got %d",
                            n_means);
    if (kind != SM_INTENSITY_CLASS_GAMMA && kind != SM_INTENSITY_GAMMA)
        return sm_config_bad_choice("data.intensity", kind, err);
    if (!(shape > 0))
        return sm_error_set(err, SM_EINVAL, "data.intensity_shape: %g must be positive", shape);
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_PPG, index);
    for (int i = 0; i < n; i++) {
        if (pos[i] < 0 || pos[i] >= n_classes)
            return sm_error_set(err, SM_EINVAL, "ppg: stimulus %d has class position %d", i,
                                pos[i]);
        const double m = means[kind == SM_INTENSITY_CLASS_GAMMA ? pos[i] : 0];
        z[i] = sm_ppg_gamma_draw(&r, shape, shape / m);
    }
    return SM_OK;
}
