/* Internal: the loss-of-plasticity diagnostics (spec plasticity-loss.md section 1) as
 * columns of a results table, shared by the plasticity protocols (per-chunk `chunks`
 * table) and plain train runs with diag.iid (the `evaluations` table): the fixed
 * class-balanced probe set, the SG-SNN's probe counts per layer, the STDP network's E and I
 * populations and its per-pathway bound fractions. Column names: diag_<layer>_<name>. */
#ifndef SOMNUS_DIAG_COLUMNS_H
#define SOMNUS_DIAG_COLUMNS_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/error.h"
#include "somnus/io/dataset.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sim.h"
#include "somnus/core/config.h"
#include "protocol/train_common.h"

/* The Philox key of the probe draw: purpose SM_PL_PROBE (4) of plasticity_stream.h,
 * chunk 0, spelled out here so that this module does not depend on the protocols'
 * (plasticity_stream.c checks that the two agree). */
#define SM_DIAG_PROBE_KEY (UINT32_C(4) << 24)

/* The probe set: up to `want` indices into val, class-balanced (round robin over the C
 * classes of a shuffle drawn from (seed, SM_STREAM_PLASTICITY, SM_DIAG_PROBE_KEY)); *n_out
 * receives how many (fewer when val runs out). NULL if out of memory; free() it. */
int *sm_diag_probe_indices(const sm_dataset *val, int C, int want, uint64_t seed, int *n_out);

/* The nine probe columns of one layer (silent, dormant_0.025, dormant_0.1, saturated,
 * srank, srank_frac, erank, erank_frac, feature_norm) as diag_<layer>_<name>; null values
 * when d is NULL (not due). */
void sm_diag_cols(json_t *tab, const char *layer, const sm_diag_layer *d);

/* SG-SNN layer names: hidden, hidden2, hidden3, ... and output (the last of L). */
void sm_diag_sgsnn_layer_name(int layer, int L, char *buf, size_t size);

/* Neurons of SG-SNN layer l (the first hidden layer: n_hidden, also with the ON/OFF split). */
int sm_diag_sgsnn_neurons(sm_sgsnn *net, int l);

/* Probe counts of every SG-SNN layer on the n images x (counts[l]: n x neurons of layer l)
 * and their diagnostics d[l]; sv (may be NULL, else sv[l] may not be) receives the
 * singular values of each layer. Frozen weights, no noise; the network is not changed. */
sm_status sm_diag_sgsnn_probe(sm_sgsnn *net, const float *x, int n, double saturation, double delta,
                              float *const *counts, sm_diag_layer *d, double *const *sv,
                              sm_error *err);

/* The probe columns of all L SG-SNN layers (d NULL: not due, null values). */
void sm_diag_sgsnn_cols(json_t *tab, const sm_diag_layer *d, int L);

/* Spec 1.4 per SG-SNN layer: diag_<layer>_w_norm (||W||_F), w_mean_abs, sum_abs_w, b_norm,
 * update_norm (||W - w_start[l]||_F) and update_ratio (over ||w_start[l]||_F; w_start NULL:
 * null values), grad_norm_mean and grad_norm_max (gmean / gmax per layer; NULL: null). */
void sm_diag_sgsnn_norm_cols(json_t *tab, sm_sgsnn *net, float *const *w_start, const double *gmean,
                             const double *gmax);

/* Spec 1.5: the fraction of rows of W1 whose gradient over one pass of the n images x
 * (labels y; minibatches of the network's batch size, their gradients weighted by their
 * size) has a norm <= 1e-3 x the mean row norm: neurons that no longer learn at all, silent
 * or not. With the ON/OFF split a row serves a pair. Overwrites the gradient buffers (call
 * it between training steps, not inside one); the parameters are not changed. */
sm_status sm_diag_sgsnn_grad_starved(sm_sgsnn *net, const float *x, const int *y, int n,
                                     double *frac, sm_error *err);

/* The STDP network's E and I populations from probe counts rows (n x n_all, E first, then
 * I): pop[0] = E, pop[1] = I (only when n_all > n_exc). T = steps per image. */
sm_status sm_diag_stdp_pops(const float *rows, int n, int n_all, int n_exc, int T,
                            double saturation, double delta, sm_diag_layer pop[2], sm_error *err);

/* The columns of E and I (pop NULL: not due; I null when have_i is 0). */
void sm_diag_stdp_pop_cols(json_t *tab, const sm_diag_layer *pop, int have_i);

/* sum |w| per pathway (sum[SM_N_PATHS]). */
void sm_diag_stdp_pathway_sums(const sm_sim *sim, double *sum);

/* Per pathway (spec 1.6): diag_<P>_frac_at_bound (exactly at either bound),
 * diag_<P>_frac_near_bound (within 1% of the bound range of one) and
 * diag_<P>_sum_abs_ratio (sum |w| over sum0, null when sum0 is NULL). */
void sm_diag_stdp_bound_cols(json_t *tab, const sm_sim *sim, const double *sum0);

/* Spec 1.6: weight w counts as at a bound when it equals lo or hi, near one when it lies
 * within 1% of hi - lo of either. */
static inline int sm_diag_at_bound(double w, double lo, double hi)
{
    return w == lo || w == hi;
}
static inline int sm_diag_near_bound(double w, double lo, double hi)
{
    const double tol = 0.01 * (hi - lo);
    return fabs(w - lo) <= tol || fabs(w - hi) <= tol;
}

/* One plastic weight tensor of a model without pathways (spec 1.4 and 1.6): its weights at
 * the previous computed row, for the update norm. */
typedef struct sm_diag_tensor {
    size_t n;     /* weights */
    double *prev; /* n values at the previous computed row */
    int have_prev;
} sm_diag_tensor;

/* Allocates the buffer for n weights (n >= 1). */
sm_status sm_diag_tensor_init(sm_diag_tensor *t, size_t n, sm_error *err);

/* Columns of the tensor `name` with weights w (t->n doubles; NULL: not due, null values):
 * diag_<name>_weight_norm (||w||_F), diag_<name>_update_norm (||w - w at the previous
 * computed row||_F; null on the first), diag_<name>_update_ratio (that over the previous
 * ||w||_F) and, when lo < hi (bounded weights; NAN bounds: none), diag_<name>_frac_at_bound
 * and diag_<name>_frac_near_bound. Then remembers w. */
void sm_diag_tensor_cols(json_t *tab, const char *name, sm_diag_tensor *t, const double *w,
                         double lo, double hi);

void sm_diag_tensor_free(sm_diag_tensor *t);

/* Plain train runs with diag.iid (spec plasticity-loss.md 1 outside the protocols): the
 * probe set of the run (the protocols' draw, from the untransformed validation split) and
 * the SG-SNN's per-layer count buffers. */
typedef struct sm_diag_iid {
    int n;                              /* probe images (0: diag.iid off) */
    int *idx;                           /* their indices in the validation split */
    float *x;                           /* n x d pixels (SG-SNN) */
    int *y;                             /* their labels (SG-SNN, diag.grad_starved) */
    int L;                              /* SG-SNN layers with counts */
    float *counts[SM_SGSNN_MAX_LAYERS]; /* SG-SNN: counts[l], n x neurons of layer l (the last
                                           evaluation) */
    float *w_prev[SM_SGSNN_MAX_LAYERS]; /* SG-SNN: W_l at the previous row (update norms) */
    int have;                           /* 1: counts hold a computed row */
    double seconds;                     /* time spent on the diagnostics */
} sm_diag_iid;

/* Draws the probe set when cfg->diag.iid is set (else leaves *p empty: n = 0), copying
 * the pixels and labels when net is given (the SG-SNN), allocating its count buffers and
 * keeping its current weights for the first update norm, and turning on its gradient norms
 * (sm_sgsnn_track_grad_norms). Errors name the key: an empty validation split cannot give
 * a probe set; diag.grad_starved needs gradients (net given). */
sm_status sm_diag_iid_init(sm_diag_iid *p, const sm_config *cfg, const sm_dataset *val,
                           sm_sgsnn *net, sm_error *err);

/* Appends the SG-SNN's columns to tab: the probe columns computed on net now when due,
 * else null values; with diag.grad_starved diag_hidden_grad_starved (due rows); at every
 * row the norms of sm_diag_sgsnn_norm_cols, the update since the previous row and the
 * gradient norms gmean / gmax of the epoch (sm_sgsnn_epoch_stats). Nothing when diag.iid
 * is off. */
sm_status sm_diag_iid_sgsnn_row(sm_diag_iid *p, const sm_config *cfg, sm_sgsnn *net, int due,
                                const double *gmean, const double *gmax, json_t *tab,
                                sm_error *err);

/* --export: probe_counts_<layer> (float32, n x neurons) of the last computed row. */
void sm_diag_iid_sgsnn_export(const sm_diag_iid *p, sm_sgsnn *net, sm_train_array_fn fn, void *ctx);

void sm_diag_iid_free(sm_diag_iid *p);

/* Rows between computed diagnostics rows of a plain train run of dc, theta or hopfield
 * (the last row is always computed): diag.iid_every, or when it is 0 the model's default,
 * the most frequent whose measured cost stays under 5% of training (docs/plasticity.md):
 * dc ceil(20 x n_probe / data.batch), so that the probe images are at most 5% of the
 * training images (a probe image costs about as much as a training image); theta 3;
 * hopfield 4. */
int sm_diag_every(const sm_config *cfg, int n_probe);

#endif
