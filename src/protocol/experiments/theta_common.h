/* Internal: helpers the theta-gated Helmholtz machine experiments share (theta_common.c). */
#ifndef SOMNUS_THETA_COMMON_H
#define SOMNUS_THETA_COMMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/models/theta_pathint.h"

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

/* CPU time of the calling thread in seconds (the load-independent cost of a loop). */
double sm_theta_cpu_now(void);

/* ---- task B helpers (path integration) ---- */

/* The last `cap` samples of p's somatic rates and the agent's position. */
typedef struct sm_theta_rec {
    int n, cap;
    int64_t count; /* samples pushed so far (the newest cap are kept) */
    float *x;      /* cap x n */
    double *pos;   /* cap */
} sm_theta_rec;

sm_status sm_theta_rec_init(sm_theta_rec *r, int n, int cap, sm_error *err);
void sm_theta_rec_free(sm_theta_rec *r);

/* Runs `steps` steps (learning if `learn`); every `sample_every` steps pushes p's rates
 * and the position into rec (may be NULL); every `err_every` steps stores the two error
 * averages into err_p/err_g[*n_err] (NULL: none; at most max_err). */
void sm_theta_pi_run(sm_theta_pathint *m, int64_t steps, int learn, sm_theta_rec *rec,
                     int sample_every, int err_every, double *err_p, double *err_g, int max_err,
                     int *n_err);

/* Position decoders (theta.decoder). */
enum sm_theta_decoder_kind {
    SM_THETA_DECODER_RIDGE = 0, /* ridge regression (alpha, intercept unpenalized, as sklearn's
                                   Ridge) from p's rates to (cos, sin)(2 pi x / L), decoded
                                   as the angle */
    SM_THETA_DECODER_ARGMAX = 1 /* the preferred position of the most active unit: the centre
                                   of the bin (SM_THETA_ARGMAX_BINS over the track) where the
                                   unit's mean rate over the training samples is highest
                                   (first on ties; bins without samples are skipped) */
};
#define SM_THETA_ARGMAX_BINS 100

/* A fitted decoder from p's n rates to a position on the ring. */
typedef struct sm_theta_decoder {
    int kind; /* enum sm_theta_decoder_kind */
    int n;
    double *b; /* ridge: n x 2 */
    double b0[2];
    double *pref; /* argmax: n preferred positions (m) */
    double track_len;
} sm_theta_decoder;

/* Fits a decoder of `kind` on the samples of rec (alpha: the ridge penalty). Errors:
 * SM_EINVAL for fewer than 2 samples or an unknown kind (naming theta.decoder), SM_ENOMEM,
 * SM_ENUMERIC when the ridge system is not positive definite. */
sm_status sm_theta_decoder_fit(sm_theta_decoder *d, const sm_theta_rec *rec, int kind, double alpha,
                               double track_len, sm_error *err);
void sm_theta_decoder_free(sm_theta_decoder *d);

/* Decoded position (m, in [0, track_len)) from n rates. */
double sm_theta_decode(const sm_theta_decoder *d, const float *rates);

/* The name of a decoder kind ("ridge", "argmax"). */
const char *sm_theta_decoder_name(int kind);

/* Path-integration test, `repeats` times in sequence on the same network: spin_steps with
 * the normal gate, then test_steps in generative mode (theta = 1, sensory input lesioned),
 * noise off, no learning. err[r * (spin_steps + test_steps) + s] = decoded error (m) at
 * step s of repeat r. The gate and noise are restored afterwards. */
void sm_theta_pi_test(sm_theta_pathint *m, const sm_theta_decoder *d, int64_t spin_steps,
                      int64_t test_steps, int repeats, double *err);

#endif
