/* somnus: SAFE's learners on a frozen spiking extractor (spec continual.md 5.1-5.3).
 *
 * The pre-trained model (PTM) is the hidden LIF layer of an SG-SNN (sgsnn.h): with the
 * image a constant current, each hidden neuron j sees u_j = (W1 x + b1)_j at every step.
 * A learner's parameter-efficient tuning is SSF: the neuron is driven by
 * I_j = gamma_j u_j + shift_j instead (gamma = 1, shift = 0 is the PTM), and its feature is
 * phi_j = (spike count over T steps) / T. The layer is the SG-SNN's neuron exactly:
 *     mem[t] = beta mem[t-1] + I - spk[t-1] threshold,   spk[t] = H(mem[t] - threshold)
 * for t = 1..T from mem[0] = spk[0] = 0, and the gradient is its BPTT with the surrogate
 * derivative (or, with smooth_forward, the exact gradient of the smooth forward whose
 * derivative the surrogate is). Because the input is constant, a neuron's trajectory is
 * a function of the scalar I alone, so the backward recomputes it per neuron instead of
 * storing n x T x d states.
 *
 * LoRA is the other tuning (sm_safe_learner_lora): the input weights become W1 + B A with
 * A (r x p) drawn at random and B (d x r) zero at the start, both trained, so
 *     I_j = u_j + (B A x)_j
 * with x the image (p pixels); gamma and shift then stay at 1 and 0 and are not trained.
 * Its gradients follow from dL/dI (the same BPTT): dB = dI^T (X A^T), dA = (dI B)^T X, by BLAS.
 *
 * A learner = a tuning (SSF, or LoRA) + a cosine head (W: k x d, scale s), trained by
 * SGD with momentum and weight decay (torch.optim.SGD). The slow learner's loss is
 * CE + the correlation transfer loss against the PTM's features; the fast learner's is
 * CE + alignment with the slow features + cross-classification (safe_loss.h).
 *
 * Threads: OpenMP over neurons in the layer's forward and backward, each neuron summing
 * over the samples in order, so results are bit-identical for any thread count.
 */
#ifndef SOMNUS_SAFE_H
#define SOMNUS_SAFE_H

#include "somnus/core/error.h"
#include "somnus/models/safe_loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The frozen LIF layer's constants (copied from the PTM's sgsnn params). */
typedef struct sm_safe_lif {
    int d;              /* hidden neurons */
    int steps;          /* T */
    double beta;        /* membrane decay */
    double threshold;   /* firing threshold and reset amount */
    int surrogate;      /* sm_sgsnn_surrogate: 0 atan, 1 fast sigmoid */
    double atan_alpha;  /* 2 */
    double slope;       /* k of the fast sigmoid, 25 */
    int smooth_forward; /* 1: the forward spike is the smooth function (exact gradients) */
    int detach_reset;   /* 1: the reset carries no gradient (as the SG-SNN's BPTT) */
    int threads;        /* OpenMP threads over the samples (0: the OpenMP default) */
} sm_safe_lif;

/* phi (n x d) of n samples u (n x d floats: W1 x + b1 per image) under SSF (gamma, shift). */
void sm_safe_ssf_forward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                         const double *shift, double *phi);

/* BPTT of sm_safe_ssf_forward: given dphi (n x d), ADDS dL/dgamma and dL/dshift (d each). */
void sm_safe_ssf_backward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                          const double *shift, const double *dphi, double *dgamma, double *dshift);

/* The loss weights and the optimiser (spec 5.5). */
typedef struct sm_safe_opts {
    sm_safe_corr_norm corr_norm;
    double lambda_diag, lambda_rdn; /* slow learner's transfer loss */
    double lambda_cos, lambda_cc;   /* fast learner's alignment, cross-classification */
    double momentum, weight_decay;
} sm_safe_opts;

/* The tuning of a learner (safe.pet). */
typedef enum sm_safe_pet { SM_SAFE_PET_SSF = 0, SM_SAFE_PET_LORA = 1 } sm_safe_pet;

/* One learner: tuning parameters, cosine head, their gradients and momentum buffers. */
typedef struct sm_safe_learner {
    int d, k;
    int r, p;                             /* LoRA rank and inputs; r = 0: SSF */
    double *gamma, *shift;                /* d each (fixed at 1, 0 under LoRA) */
    double *A, *B;                        /* LoRA: r x p and d x r (NULL under SSF) */
    double *W;                            /* k x d */
    double s;                             /* head scale */
    double *g_gamma, *g_shift, *g_W, g_s; /* gradients of the last *_grad call */
    double *v_gamma, *v_shift, *v_W, v_s; /* momentum */
    double *g_A, *g_B, *v_A, *v_B;        /* LoRA's gradients and momentum */
} sm_safe_learner;

/* A learner with gamma = 1, shift = 0, W = 0, s = 10 and zero momentum; NULL (err set) on
 * bad sizes or out of memory. */
sm_safe_learner *sm_safe_learner_create(int d, int k, sm_error *err);

/* Frees it (NULL is fine). */
void sm_safe_learner_free(sm_safe_learner *l);

/* Switches a fresh learner to LoRA of rank r on p inputs: A (r x p) copied from A0, B = 0,
 * zero gradients and momentum; gamma and shift set to 1 and 0 and no longer trained.
 * SM_EINVAL (naming safe.lora_rank) unless 1 <= r <= d and p >= 1; SM_ENOMEM. */
sm_status sm_safe_learner_lora(sm_safe_learner *l, int r, int p, const double *A0, sm_error *err);

/* phi (n x d) of n samples under the learner's tuning: u (n x d) = W1 x + b1 as for
 * sm_safe_ssf_forward; x (n x p pixels) is read under LoRA only (may be NULL under SSF). */
void sm_safe_learner_forward(const sm_safe_learner *l, const sm_safe_lif *L, const float *u,
                             const float *x, int n, double *phi);

/* Copies parameters (not gradients) from src; momentum reset to 0 (a new optimiser, as
 * at the start of a session). Same sizes and tuning (LoRA rank, inputs) required
 * (SM_EINVAL otherwise). */
sm_status sm_safe_learner_copy(sm_safe_learner *dst, const sm_safe_learner *src, sm_error *err);

/* The slow learner's loss on a minibatch (spec 5.2) and its gradient (into l->g_*):
 *   CE(head(phi_S(u)), y) + lambda_diag L_diag + lambda_rdn L_rdn against phi0 (n x d, the
 * PTM's features of the same images). x: the images (n x p; read under LoRA only, may be
 * NULL under SSF). active: k flags of the outputs of the softmax.
 * *loss (may be NULL) receives the loss. */
sm_status sm_safe_slow_grad(sm_safe_learner *l, const sm_safe_lif *L, const sm_safe_opts *o,
                            const float *u, const float *x, const double *phi0, const int *y, int n,
                            const unsigned char *active, double *loss, sm_error *err);

/* The fast learner's loss on a minibatch (spec 5.3) and its gradient (into f->g_*):
 *   CE(head_F(phi_F(u)), y) + lambda_cos sum_b (1 - cos(phi_F, phi_S))
 *   + lambda_cc [CE(head_F([W_S,old; phi_S]), [old; y]) + CE(head_S([W_F,old; phi_F]), [old; y])]
 * phiS: the frozen slow learner's features of the same images (n x d); old: k flags of the
 * classes seen before this session (rows that are all zero are skipped). The slow learner
 * is read only. */
sm_status sm_safe_fast_grad(sm_safe_learner *f, const sm_safe_learner *slow, const sm_safe_lif *L,
                            const sm_safe_opts *o, const float *u, const float *x,
                            const double *phiS, const int *y, int n, const unsigned char *active,
                            const unsigned char *old, double *loss, sm_error *err);

/* One SGD step with the stored gradients (torch.optim.SGD: g += wd p; v = mu v + g;
 * p -= lr v) on the tuning (gamma and shift, or A and B), W and s. */
void sm_safe_sgd_step(sm_safe_learner *l, const sm_safe_opts *o, double lr);

/* lr of step `it` of `total` under the cosine schedule to 0: lr0 (1 + cos(pi it/total))/2. */
double sm_safe_cosine_lr(double lr0, long it, long total);

#ifdef __cplusplus
}
#endif
#endif
