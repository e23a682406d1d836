/* somnus: the Poisson-Gamma mixture ("PPG") with intrinsic plasticity of Monk, Savin &
 * Luecke (NeurIPS 2016), spec intrinsic.md part A, and its Poisson-mixture baselines.
 *
 * Generative model (A1): c ~ uniform over C classes, z | c ~ Gamma(alpha_c, beta_c) (rate
 * beta_c), y_d | c, z ~ Poisson(z W_cd) with W_cd >= 0 and sum_d W_cd = A.
 *
 * Circuit (A2, A3): unit c computes I_c(y) = sum_d y_d log W_cd + g_c(Y) + log(1/C) with
 * Y = sum_d y_d and the intrinsic excitability
 *     g_c(Y) = lgamma(Y + alpha_c) - lgamma(alpha_c) + alpha_c log beta_c
 *              - (alpha_c + Y) log(beta_c + A)                        (shape moments/fixed)
 *     g_c(Y) = Y log(lambda_c / A) - lambda_c                          (shape poisson)
 *     g_c(Y) = 0                                                       (shape off: PM)
 * and soft winner-take-all competition s_c = softmax(I)_c (or one-hot argmax / a sampled
 * winner). The posterior intensity estimate is z_hat = sum_c s_c (alpha_c + Y)/(beta_c + A).
 *
 * Learning (A4), one stimulus per update:
 *     W_cd     += eps_W (A / Ybar) s_c (y_d - (Y / A) W_cd)      (Hebb + synaptic scaling)
 *     lambda_c += eps_I s_c (Y - lambda_c)                        (intrinsic)
 *     nu_c     += eps_I s_c ((Y - lambda_old)^2 - nu_c)           (spread)
 *     alpha_c = clip(lambda_c^2 / max(nu_c - lambda_c, 1e-3 lambda_c), 0.1, 1e4)  (moments)
 *     beta_c  = A alpha_c / lambda_c
 * Ybar is a running mean of Y (time constant 1,000 stimuli). W_cd is floored at
 * 1e-6 A / D and each row renormalized to A every 1,000 updates against rounding.
 *
 * Nothing here knows what an image or a dataset is: counts are rows of doubles (integer
 * valued for Poisson counts, any non-negative reals after normalization). Not thread-safe
 * per model; separate models are independent.
 */
#ifndef SOMNUS_PPG_H
#define SOMNUS_PPG_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Random stream of the ppg model and its data (index = purpose, see the ppg_* files). */
#define SM_STREAM_PPG 18u

/* ppg.shape: how the intrinsic parameters enter g_c (values as in the config table). */
enum sm_ppg_shape { SM_PPG_MOMENTS = 0, SM_PPG_FIXED = 1, SM_PPG_OFF = 2, SM_PPG_POISSON = 3 };
/* ppg.competition. */
enum sm_ppg_competition { SM_PPG_SOFTMAX = 0, SM_PPG_WTA = 1, SM_PPG_SAMPLE = 2 };
/* ppg.counts. */
enum sm_ppg_counts { SM_PPG_COUNTS_POISSON = 0, SM_PPG_COUNTS_ENCODER = 1 };
/* M-step of the batch EM reference (sm_ppg_em). */
enum sm_ppg_mstep { SM_PPG_MSTEP_MOMENTS = 0, SM_PPG_MSTEP_ML = 1 };

/* What a model is made of. */
typedef struct sm_ppg_params {
    int units;       /* C >= 1 */
    int dim;         /* D >= 1 input channels */
    double a;        /* A > 0 */
    double alpha0;   /* alpha of shape fixed (> 0) */
    int shape;       /* enum sm_ppg_shape */
    int competition; /* enum sm_ppg_competition */
    uint64_t seed;   /* the sampled competition's stream */
} sm_ppg_params;

/* A model. Fields are stable to read; write through the functions (they keep logw,
 * alpha and beta consistent with w, lambda and nu). */
typedef struct sm_ppg {
    int C, D;
    double A, alpha0;
    int shape, competition;
    double *w;      /* C x D weights, row c sums to A */
    double *logw;   /* log w (the synaptic efficacies) */
    double *lambda; /* C: preferred mean brightness E[Y | c] */
    double *nu;     /* C: its spread Var[Y | c] */
    double *alpha;  /* C: Gamma shape */
    double *beta;   /* C: Gamma rate, A alpha / lambda */
    double ybar;    /* running mean of Y over stimuli (0 until set: the first Y) */
    int64_t updates;
    sm_rng rng; /* competition = sample */
} sm_ppg;

/* A new model: uniform weights A / D, lambda = 1, nu = 2, Ybar unset (call sm_ppg_init_from_data or
 * set the state with sm_ppg_set_unit). NULL (err set naming the bad field) for sizes < 1,
 * A <= 0, alpha0 <= 0 or an unknown shape/competition. */
sm_ppg *sm_ppg_create(const sm_ppg_params *p, sm_error *err);

/* Frees a model (NULL is fine). */
void sm_ppg_destroy(sm_ppg *m);

/* Initialization of A4 from the n x D count rows y: W_c = A x (data mean x (1 + 0.1 u),
 * u uniform on (-1, 1) from (seed, SM_STREAM_PPG, index 5)), normalized; lambda_c = mean Y,
 * nu_c = var Y (all units the same); Ybar = mean Y. SM_EINVAL if n < 2 or every count is
 * zero. */
sm_status sm_ppg_init_from_data(sm_ppg *m, const double *y, int n, uint64_t seed, sm_error *err);

/* Sets unit c's pattern (w: D non-negative values, rescaled to sum A and floored),
 * lambda and nu, and derives alpha and beta. */
void sm_ppg_set_unit(sm_ppg *m, int c, const double *w, double lambda, double nu);

/* Recomputes alpha_c and beta_c from lambda_c and nu_c (moments) or alpha0 (fixed). */
void sm_ppg_update_shape(sm_ppg *m, int c);

/* Switches the shape (enum sm_ppg_shape) and re-derives every unit's alpha and beta
 * (ppg.fixed_epochs: alpha = alpha0 first, moments afterwards). */
void sm_ppg_set_shape(sm_ppg *m, int shape);

/* g_c(Y) of unit c for the model's shape (0 for off). */
double sm_ppg_log_g(const sm_ppg *m, int c, double Y);

/* log P(Y = k) of the negative binomial of Gamma(alpha, beta)-Poisson(z A):
 * lgamma(k + alpha) - lgamma(alpha) - lgamma(k + 1) + alpha log q + k log(1 - q),
 * q = beta / (beta + A). */
double sm_ppg_nb_logpmf(double alpha, double beta, double A, double k);

/* The inputs I_c(y) of all units into I[0..C); returns Y. */
double sm_ppg_inputs(const sm_ppg *m, const double *y, double *I);

/* Soft WTA: s = softmax(I) (max subtracted) into s[0..C); returns log sum_c exp(I_c). */
double sm_ppg_softmax(const double *I, int C, double *s);

/* The posterior s = p(c | y) into s[0..C); returns the per-sample log-likelihood
 * log p(y) = logsumexp(I) - sum_d lgamma(y_d + 1); *Y_out (may be NULL) gets Y. */
double sm_ppg_posterior(const sm_ppg *m, const double *y, double *s, double *Y_out);

/* Index of the largest s_c (the lowest on ties). */
int sm_ppg_argmax(const double *s, int C);

/* Applies the model's competition to the posterior s in place: softmax leaves it,
 * wta makes it one-hot at the argmax, sample one-hot at a winner drawn from s (the
 * model's stream). Returns the winner (argmax for softmax). */
int sm_ppg_compete(sm_ppg *m, double *s);

/* The learning step of A4 for one stimulus y (total Y) with competition output s and
 * rates eps_w, eps_i (Ybar is updated after the step). Rows with s_c = 0 are untouched. */
void sm_ppg_learn(sm_ppg *m, const double *y, double Y, const double *s, double eps_w,
                  double eps_i);

/* Posterior, competition and learning for one stimulus; s (C values, may be NULL)
 * receives the competition output. Returns the winner. */
int sm_ppg_step(sm_ppg *m, const double *y, double eps_w, double eps_i, double *s);

/* Posterior mean of the intensity, sum_c s_c (alpha_c + Y) / (beta_c + A); for shape
 * poisson sum_c s_c lambda_c / A, for off Y / A. */
double sm_ppg_zhat(const sm_ppg *m, const double *s, double Y);

/* Mean per-sample log-likelihood of n rows (posterior over the current parameters). */
double sm_ppg_loglik(const sm_ppg *m, const double *y, int n);

/* ---- batch EM reference (ppg_em.c; tests and P1 only) ------------------------------ */

/* Batch EM from the model's current state, at most `iters` iterations or until the
 * per-sample log-likelihood changes by less than tol: E-step s_cn (softmax), M-step
 * W_cd = A sum_n s y_dn / sum_n s Y_n (floored like the online rule), then moments:
 * lambda_c, nu_c the s-weighted mean and variance of Y and alpha, beta as online; or ml:
 * alpha_c solves log a - digamma(a) = log mean<z> - mean<log z> (Newton), beta_c =
 * alpha_c / mean<z>, lambda_c = A alpha_c / beta_c. Shape off/poisson/fixed: only W and
 * lambda (and nu) by moments. *loglik (may be NULL) = final per-sample log-likelihood.
 * Returns the iterations run, or -1 (err set) when out of memory. */
int sm_ppg_em(sm_ppg *m, const double *y, int n, int iters, double tol, int mstep, double *loglik,
              sm_error *err);

/* digamma and trigamma (recurrence to x >= 6, then the asymptotic series; x > 0). */
double sm_ppg_digamma(double x);
double sm_ppg_trigamma(double x);

/* ---- data (ppg_data.c) ------------------------------------------------------------ */

/* Gamma(shape, rate) deviate (Marsaglia-Tsang; shape < 1 by the u^(1/shape) boost). */
double sm_ppg_gamma_draw(sm_rng *r, double shape, double rate);

/* Poisson(mean) deviate: inversion below mean 30, Hoermann's PTRS above; 0 for mean <= 0. */
double sm_ppg_poisson_draw(sm_rng *r, double mean);

/* y_d ~ Poisson(scale x_d), d < D. */
void sm_ppg_poisson_counts(sm_rng *r, const float *x, int D, double scale, double *y);

/* Rescales y to sum to `total` (a zero row stays zero). */
void sm_ppg_normalize(double *y, int D, double total);

/* Parses data.intensity_means ("1" or "0.5,1,1.5,2") into means[0..max); returns how
 * many, or 0 (err set naming data.intensity_means) for a bad or non-positive entry. */
int sm_ppg_parse_means(const char *text, double *means, int max, sm_error *err);

/* Draws the intensity z[0..n) of n stimuli of class positions pos[i] (0..n_classes-1):
 * kind none (enum sm_data_intensity) gives 1; class_gamma Gamma(shape, mean means[pos]);
 * gamma Gamma(shape, mean means[0]). `means` must hold n_classes values for class_gamma
 * and 1 for gamma (SM_EINVAL naming data.intensity_means otherwise). Stream (seed,
 * SM_STREAM_PPG, index). */
sm_status sm_ppg_draw_intensity(int kind, const double *means, int n_means, double shape,
                                const int *pos, int n, int n_classes, uint64_t seed, uint32_t index,
                                double *z, sm_error *err);

/* ---- evaluation (ppg_eval.c) ------------------------------------------------------ */

/* Majority labelling: unit_label[c] = the most frequent label (lowest on ties) among the
 * stimuli unit c wins (winner[i]), or -1 if it wins none. Labels in [0, n_labels). */
void sm_ppg_label_units(const int *winner, const int *label, int n, int C, int n_labels,
                        int *unit_label);

/* Clustering accuracy: units matched one-to-one to labels by the Hungarian method on the
 * confusion of winners (maximum agreement); the fraction of stimuli whose winner is
 * matched to their label. match[c] (C values, may be NULL) = the label of unit c or -1. */
double sm_ppg_cluster_accuracy(const int *winner, const int *label, int n, int C, int n_labels,
                               int *match);

/* Pearson correlation of a and b (NaN if either is constant or n < 2). */
double sm_ppg_corr(const double *a, const double *b, int n);

/* Spearman rank correlation (average ranks for ties; NaN as above). */
double sm_ppg_spearman(const double *a, const double *b, int n);

#ifdef __cplusplus
}
#endif
#endif
