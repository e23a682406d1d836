/* Internal: mean +- sd over seeds and the paired 95% t-interval of a difference, for the
 * experiments that compare conditions paired by seed (spec continual.md section 2). */
#ifndef SOMNUS_EXP_PAIRED_STATS_H
#define SOMNUS_EXP_PAIRED_STATS_H

#include <jansson.h>

/* Mean of x[0..n) and its sample sd (n - 1; NaN for n < 2). NaN entries propagate. */
void sm_exp_mean_sd(const double *x, int n, double *mean, double *sd);

/* Two-sided 95% quantile of Student's t with df degrees of freedom (1.96 past 30; NaN for
 * df < 1). */
double sm_exp_t975(int df);

/* The paired difference a[s] - b[s] over n seeds as a new JSON object {mean, sd, ci95_lo,
 * ci95_hi, n, per_seed} (null for undefined numbers). */
json_t *sm_exp_paired_json(const double *a, const double *b, int n);

/* Two-sided p-value of the paired t-test of a[s] - b[s] over n seeds (uncorrected): with
 * t = mean / (sd / sqrt(n)) and df = n - 1, p = I_{df / (df + t^2)}(df / 2, 1 / 2) (the
 * regularized incomplete beta function). NaN for n < 2 or sd = 0 with mean 0; 0 for
 * sd = 0 with a nonzero mean. */
double sm_exp_paired_p(const double *a, const double *b, int n);

#endif
