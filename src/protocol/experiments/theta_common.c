/* Helpers of the theta-gated Helmholtz machine experiments (theta_common.h). */
#include "protocol/experiments/theta_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *sm_theta_jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *sm_theta_jarray(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, sm_theta_jreal(v[i]));
    return a;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sm_theta_median(const double *v, int n)
{
    if (n < 1) return NAN;
    double *c = malloc(sizeof(double) * (size_t)n);
    if (!c) return NAN;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            free(c);
            return NAN;
        }
        c[i] = v[i];
    }
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    const double m = (n % 2) ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

void sm_theta_mean_sd(const double *v, int n, double *mean, double *sd)
{
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++)
        s += v[i];
    const double m = n > 0 ? s / n : NAN;
    for (int i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

double sm_theta_pearson(const float *x, const float *y, int n, int stride)
{
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < n; i++) {
        mx += x[(size_t)i * stride];
        my += y[(size_t)i * stride];
    }
    mx /= n;
    my /= n;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (int i = 0; i < n; i++) {
        const double a = x[(size_t)i * stride] - mx, b = y[(size_t)i * stride] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : NAN;
}

void sm_theta_acf(const float *data, int steps, int stride, int col0, int units, int n_lag,
                  double *acf)
{
    for (int L = 0; L < n_lag; L++) {
        double s = 0.0;
        int used = 0;
        for (int u = 0; u < units && L < steps - 1; u++) {
            const float *col = data + col0 + u;
            const double r = sm_theta_pearson(col + (size_t)L * stride, col, steps - L, stride);
            if (!isnan(r)) {
                s += r;
                used++;
            }
        }
        acf[L] = used ? s / used : NAN;
    }
}

double sm_theta_acf_cross(const double *acf, int n_lag, double level)
{
    for (int L = 1; L < n_lag; L++)
        if (acf[L] <= level && acf[L - 1] > level)
            return (L - 1) + (acf[L - 1] - level) / (acf[L - 1] - acf[L]);
    return NAN;
}

double sm_theta_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
