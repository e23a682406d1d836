/* somnus: the losses and the aggregation of SAFE (slow and fast parameter-efficient tuning;
 * Zhao et al., NeurIPS 2024; spec continual.md section 5), each with its exact gradient.
 *
 * Everything is plain double arrays, row-major: a feature matrix is n x d (one row per
 * sample), a head W is k x d (one row per class, the nn.Linear layout). Gradients are
 * ADDED to the output buffers (so several losses can share one), never overwritten;
 * a NULL gradient pointer skips that gradient. Nothing here keeps state.
 *
 * Norms follow torch.nn.functional.normalize: v / max(|v|, SM_SAFE_EPS), so cos(0, .) = 0
 * and every function is defined (and differentiable) everywhere.
 */
#ifndef SOMNUS_SAFE_LOSS_H
#define SOMNUS_SAFE_LOSS_H

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The floor of a norm (torch's F.normalize default). */
#define SM_SAFE_EPS 1e-12

/* The normalisation of the correlation loss (safe.corr_norm). */
typedef enum sm_safe_corr_norm {
    SM_SAFE_NORM_BATCH = 0, /* columns standardised over the minibatch (sd floored at 1e-6);
                             * L_diag / d and L_rdn / (d (d - 1)) */
    SM_SAFE_NORM_SAMPLE = 1 /* rows over their L2 norm, as released; sums not divided */
} sm_safe_corr_norm;

/* Cosine head: logits[b*k + c] = s * cos(x_b, W_c) for n rows x (n x d) and k rows W. */
void sm_safe_cos_logits(const double *x, int n, int d, const double *W, int k, double s,
                        double *logits);

/* Backward of sm_safe_cos_logits given dlogits (n x k): adds dL/dx (n x d), dL/dW (k x d)
 * and dL/ds (one double) to the non-NULL outputs. */
void sm_safe_cos_backward(const double *x, int n, int d, const double *W, int k, double s,
                          const double *dlogits, double *dx, double *dW, double *ds);

/* Mean softmax cross-entropy over n rows of k logits with labels y[b] in [0, k); the
 * softmax runs over the columns with active[c] != 0 (NULL: all). dlogits (n x k, may be
 * NULL) receives scale * dL/dlogits, ADDED (inactive columns get 0). Returns the loss
 * (unscaled); NAN for n = 0 or a label on an inactive column. */
double sm_safe_ce(const double *logits, int n, int k, const int *y, const unsigned char *active,
                  double scale, double *dlogits);

/* The slow learner's transfer loss (spec 5.2): M = (1/n) Z0^T ZS with Z0, ZS the
 * normalised n x d features of the PTM (x0) and of the slow learner (xs),
 *     loss = lambda_diag * sum_i (1 - M_ii)^2 + lambda_rdn * sum_{i != j} M_ij^2
 * (each sum divided by d and d (d - 1) in the batch norm). dxs (n x d, may be NULL)
 * receives dloss/dxs, ADDED; x0 is a constant. *loss receives the loss. SM_EINVAL for
 * n < 2 (batch) or n < 1; SM_ENOMEM when scratch cannot be allocated. Uses BLAS. */
sm_status sm_safe_corr_loss(const double *x0, const double *xs, int n, int d,
                            sm_safe_corr_norm norm, double lambda_diag, double lambda_rdn,
                            double *loss, double *dxs, sm_error *err);

/* The fast learner's alignment: sum_b (1 - cos(a_b, b_b)) over n rows of d; da (may be
 * NULL) receives scale * dL/da, ADDED (b is a constant). Returns the unscaled sum. */
double sm_safe_cos_align(const double *a, const double *b, int n, int d, double scale, double *da);

/* Shannon entropy (natural log) of softmax(z) over k logits. */
double sm_safe_entropy(const double *z, int k);

/* Entropy-weighted aggregation (spec 5.4), per row b of n rows of k logits:
 *     [w_S, w_F] = softmax(-gamma * [H(zs_b), H(zf_b)]),  z_b = w_S zs_b + w_F zf_b.
 * z (n x k) receives the mixture; ws (n, may be NULL) the slow learner's weight. */
void sm_safe_aggregate(const double *zs, const double *zf, int n, int k, double gamma, double *z,
                       double *ws);

#ifdef __cplusplus
}
#endif
#endif
