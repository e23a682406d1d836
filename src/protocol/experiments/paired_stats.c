/* Mean +- sd over seeds and paired t-intervals (spec continual.md section 2: conditions
 * are compared paired by seed, with a 95% t-interval of the difference). */
#include "protocol/experiments/paired_stats.h"

#include <math.h>
#include <stdlib.h>

#include "protocol/experiments/grid_runs.h"

void sm_exp_mean_sd(const double *x, int n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *mean = n > 0 ? s / n : NAN;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

double sm_exp_t975(int df)
{
    static const double T[] = {NAN,   12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                               2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                               2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                               2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    return df < 1 ? NAN : df <= 30 ? T[df] : 1.96;
}

json_t *sm_exp_paired_json(const double *a, const double *b, int n)
{
    double *d = calloc((size_t)(n > 0 ? n : 1), sizeof *d), m = NAN, sd = NAN;
    json_t *diffs = json_array();
    if (!d || !diffs) {
        free(d);
        json_decref(diffs);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        d[i] = a[i] - b[i];
        json_array_append_new(diffs, sm_exp_real(d[i]));
    }
    sm_exp_mean_sd(d, n, &m, &sd);
    free(d);
    const double h = n > 1 ? sm_exp_t975(n - 1) * sd / sqrt(n) : NAN;
    return json_pack("{s:o, s:o, s:o, s:o, s:i, s:o}", "mean", sm_exp_real(m), "sd",
                     sm_exp_real(sd), "ci95_lo", sm_exp_real(m - h), "ci95_hi", sm_exp_real(m + h),
                     "n", n, "per_seed", diffs);
}

/* Continued fraction of the incomplete beta function (modified Lentz), for
 * x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = fabs(d) < tiny ? tiny : d;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        for (int half = 0; half < 2; half++) {
            d = 1 + aa * d;
            d = fabs(d) < tiny ? tiny : d;
            c = 1 + aa / c;
            c = fabs(c) < tiny ? tiny : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        }
        if (fabs(d * c - 1) < 1e-15) break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b). */
static double inc_beta(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double lf = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lf) * beta_cf(a, b, x) / a;
    return 1 - exp(lf) * beta_cf(b, a, 1 - x) / b;
}

double sm_exp_paired_p(const double *a, const double *b, int n)
{
    if (n < 2) return NAN;
    double *d = malloc((size_t)n * sizeof *d), m, sd;
    if (!d) return NAN;
    for (int i = 0; i < n; i++)
        d[i] = a[i] - b[i];
    sm_exp_mean_sd(d, n, &m, &sd);
    free(d);
    if (!isfinite(m) || !isfinite(sd)) return NAN;
    if (sd == 0) return m == 0 ? NAN : 0.0;
    const double t = m / (sd / sqrt(n)), df = n - 1;
    return inc_beta(df / 2, 0.5, df / (df + t * t));
}
