/* somnus: task A of the theta-gated Helmholtz machine -- temporally varying latents
 * (George et al. 2023, Figs. 2 and S1; spec theta-helmholtz.md section 6).
 *
 * Latents z (n_latent stationary Gaussian processes, unit variance, squared-exponential
 * autocorrelation with time constant tau_latent) -> features f = W_f z (fixed) -> sensory
 * layer p (basal = f, identity; apical <- g) -> hidden layer g (basal <- p; apical <- g,
 * recurrent, with L2). All compartments linear. One step:
 *     k += 1; theta = gate(k); z; f; p (compartments, soma); learn p; g; learn g.
 * The latents are white noise convolved with a Gaussian kernel of sd tau_latent / sqrt 2
 * (truncated at +-4 sd, normalized to unit variance): autocorrelation exp(-lag^2 /
 * (2 tau^2)), the same statistics as the reference's conditional GP sampler; that sampler
 * is the option SM_THETA_LATENTS_CONDITIONAL.
 */
#ifndef SOMNUS_THETA_LATENTS_H
#define SOMNUS_THETA_LATENTS_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/models/theta.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the latents are drawn (theta.latent_sampler). */
enum sm_theta_latent_sampler {
    /* white noise convolved with a Gaussian kernel (stationary from step 1) */
    SM_THETA_LATENTS_CONVOLUTION = 0,
    /* the reference's sampler: each value drawn from the GP conditioned on the last
     * 3 tau / dt - 1 values (kernel jitter 1e-5), the history starting as zeros */
    SM_THETA_LATENTS_CONDITIONAL = 1
};

typedef struct sm_theta_latents_params {
    uint64_t seed;
    double dt, freq, duty, phase_offset, block_s; /* gate (s, Hz, 1, cycles, s) */
    int gate, schedule;                           /* enum sm_theta_gate_kind / _schedule */
    double tau_pi, loss_tau;                      /* s */
    double eta, l2_rec, w_init_rec;
    int n_latent, n_feature;
    double tau_latent;  /* s */
    int latent_sampler; /* enum sm_theta_latent_sampler */
    double noise_sd, noise_sd_hidden_apical, noise_tau;
} sm_theta_latents_params;

/* The parameters of group theta.* and run.seed. */
void sm_theta_latents_params_from_config(sm_theta_latents_params *p, const sm_config *cfg);

/* The model. Fields are readable by callers (tests, experiments); change them only
 * through the functions below, except gate.force, noise.on and the blocks' eta, which a
 * protocol may set between steps. */
typedef struct sm_theta_latents {
    sm_theta_latents_params par;
    int64_t k; /* steps done (the global clock: step k sees t = k dt) */
    sm_theta_gate gate;
    sm_theta_noise noise;
    int64_t err_start; /* steps after a restart before the error average starts (2 / freq) */
    int ntap;          /* latent kernel length */
    float *kernel;     /* ntap taps, sum of squares 1 */
    float *white;      /* n_latent rows of 2 ntap: the last ntap white draws, twice */
    int head;          /* position of the newest draw in each row (and head + ntap) */
    float *z;          /* n_latent latents this step */
    int cond_n;        /* conditional sampler: values conditioned on */
    double *cond_a;    /* cond_n weights C_N^-1 k, oldest value first */
    double cond_sd;    /* sd of the conditional draw */
    double *cond_hist; /* n_latent rows of 2 cond_n: the last cond_n values, twice */
    int cond_head;
    float *wf;        /* n_feature x n_latent feature weights */
    float *f;         /* n_feature features this step */
    sm_theta_layer p; /* sensory layer (HPC) */
    sm_theta_layer g; /* hidden layer (EC) */
} sm_theta_latents;

/* Builds the model (weights, kernel, a full window of past white noise). */
sm_status sm_theta_latents_init(sm_theta_latents *m, const sm_theta_latents_params *p,
                                sm_error *err);

/* Frees everything init allocated (safe on a zeroed struct). */
void sm_theta_latents_free(sm_theta_latents *m);

/* One step of dt; learning if `learn`. */
void sm_theta_latents_step(sm_theta_latents *m, int learn);

/* Restarts both layers' error averages (at the start of a phase). */
void sm_theta_latents_restart_errors(sm_theta_latents *m);

#ifdef __cplusplus
}
#endif
#endif
