/* Internal: helpers the theta-gated Helmholtz machine experiments share (theta_common.c). */
#ifndef SOMNUS_THETA_COMMON_H
#define SOMNUS_THETA_COMMON_H

#include <jansson.h>
#include <stddef.h>

/* A JSON real, or null for NaN/Inf. */
json_t *sm_theta_jreal(double v);

/* A JSON array of n reals (NaN as null). */
json_t *sm_theta_jarray(const double *v, int n);

/* Median of n values (NaN if n == 0 or any is NaN); v is not modified. */
double sm_theta_median(const double *v, int n);

/* Mean and sample sd of n values. */
void sm_theta_mean_sd(const double *v, int n, double *mean, double *sd);

/* Pearson correlation of x[i * stride] and y[i * stride], i < n (NaN if a variance is 0). */
double sm_theta_pearson(const float *x, const float *y, int n, int stride);

/* Mean over `units` columns of a row-major (steps x stride) series of the autocorrelation
 * at lags 0 .. n_lag - 1 (lag L: Pearson of rows [L, steps) against [0, steps - L) of the
 * column, as the reference's autocorrelations()); into acf[n_lag]. Columns start at col0. */
void sm_theta_acf(const float *data, int steps, int stride, int col0, int units, int n_lag,
                  double *acf);

/* The first lag (in steps, linearly interpolated) where acf falls to `level`; NaN if it
 * never does. */
double sm_theta_acf_cross(const double *acf, int n_lag, double level);

/* Monotonic clock in seconds. */
double sm_theta_now(void);

#endif
