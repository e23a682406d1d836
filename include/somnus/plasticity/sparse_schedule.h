/* somnus: the arithmetic of sparse training in the style of GraNet (spec structural.md
 * sections 2 and 3): the cubic sparsity schedule, the cosine decay of the regrowth
 * fraction, ERK layer densities, and the selections of pruning (exact top-K by |w|) and
 * regrowth (top-k by a score, or k at random without replacement). Pure functions on
 * plain arrays; the SG-SNN's masks (models/sgsnn.h) are built on them.
 */
#ifndef SOMNUS_SPARSE_SCHEDULE_H
#define SOMNUS_SPARSE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which sparse-training method (`sparse.method`). */
typedef enum sm_sparse_method {
    SM_SPARSE_DENSE = 0,  /* no masks */
    SM_SPARSE_STATIC = 1, /* mask drawn at the start at D_f, never changed */
    SM_SPARSE_GMP = 2,    /* cubic schedule + magnitude pruning */
    SM_SPARSE_GRANET = 3, /* gmp + prune-and-regrow with cosine decay */
    SM_SPARSE_SET = 4,    /* granet with random regrowth */
    SM_SPARSE_RIGL = 5    /* D_i = D_f from the start, prune-and-regrow only */
} sm_sparse_method;

typedef enum sm_sparse_scope { SM_SPARSE_GLOBAL = 0, SM_SPARSE_LAYER = 1 } sm_sparse_scope;
typedef enum sm_sparse_init { SM_SPARSE_ERK = 0, SM_SPARSE_UNIFORM = 1 } sm_sparse_init;
typedef enum sm_sparse_regrow {
    SM_SPARSE_REGROW_GRADIENT = 0, /* |dL/dW| of the last minibatch */
    SM_SPARSE_REGROW_MOMENTUM = 1, /* |m / (sqrt(v) + 1e-8)| of Adam */
    SM_SPARSE_REGROW_RANDOM = 2    /* exactly k entries drawn without replacement */
} sm_sparse_regrow;

/* The sparse.* settings (spec section 5). Zero-filled = dense. */
typedef struct sm_sparse_params {
    int method;                /* sm_sparse_method */
    int scope;                 /* sm_sparse_scope */
    int init;                  /* sm_sparse_init: initial mask when its density is < 1 */
    int regrow;                /* sm_sparse_regrow (set forces random) */
    double init_density;       /* D_i, in (0, 1] */
    double final_density;      /* D_f, in (0, 1] */
    int start_epoch;           /* t0 = start_epoch x iterations per epoch */
    int end_epoch;             /* t_end = end_epoch x iterations per epoch */
    int interval;              /* dT, iterations between mask updates */
    double regrow_rate;        /* r_0 */
    double regrow_rate_min;    /* r_min */
    double last_layer_density; /* layer scope: output-layer floor once s_t >= 0.8; 0 = off */
} sm_sparse_params;

/* Sets the defaults of spec section 5 for `epochs` training epochs (end_epoch =
 * epochs / 2) with method `dense`. */
void sm_sparse_params_default(sm_sparse_params *p, int epochs);

/* SM_OK if every field is in range for `epochs` epochs; otherwise SM_EINVAL naming the
 * key (e.g. "sparse.final_density: value 0 is outside (0, 1]"). */
sm_status sm_sparse_params_check(const sm_sparse_params *p, int epochs, sm_error *err);

/* Target density after the mask update at iteration t (1-based), GraNet's schedule on
 * whole update counts: k = floor(t/dT), k0 = floor(t0/dT), k1 = floor(t_end/dT),
 * p = (k - k0)/(k1 - k0) (1 when k1 = k0) clipped to [0, 1], D = D_i + (D_f - D_i) *
 * (1 - (1 - p)^3). */
double sm_sparse_target_density(double d_i, double d_f, long t, long t0, long t_end, long dt);

/* 1 if a pruning step is due at iteration t: t >= t0, t mod dT = 0 and k0 <= k <= k1
 * (somnus takes the last step too, in both scopes, so D_f is reached exactly). */
int sm_sparse_prune_due(long t, long t0, long t_end, long dt);

/* Regrowth fraction at iteration t of T: r_min + (r_0 - r_min)(1 + cos(pi t / T)) / 2. */
double sm_sparse_regrow_rate(double r0, double r_min, long t, long T);

/* ERK densities of n layers (rows x cols each) for overall density d: layer density
 * eps * (rows + cols) / (rows * cols), eps chosen so that sum d_l N_l = d sum N_l, layers
 * whose density would exceed 1 fixed at 1 and eps solved again (RigL's procedure). */
void sm_sparse_erk_densities(int n, const int *rows, const int *cols, double d, double *out);

/* Keeps the K largest |w| among the entries with mask 1 over n blocks that form one flat
 * index (block 0 first); ties go to the lower flat index, so active zeros are kept only
 * after every active nonzero and the achieved count is exactly min(K, active). Entries
 * not kept get mask 0. Returns how many were kept; -1 when out of memory. */
long sm_sparse_keep_topk(int n, float *const *w, uint8_t *const *mask, const size_t *len, long K);

/* Drops the k active entries (mask 1) of smallest |w| (ties: the higher index is dropped
 * first) in one block: mask set to 0, dropped[i] set to 1 for them. Returns the count. */
long sm_sparse_drop_smallest(const float *w, uint8_t *mask, uint8_t *dropped, size_t len, long k);

/* Activates the k inactive entries (mask 0) of largest score (ties: lower index) in one
 * block; grown[i] = 1 for them. Returns the count (less when fewer are inactive). */
long sm_sparse_grow_topk(const float *score, uint8_t *mask, uint8_t *grown, size_t len, long k);

/* Activates exactly min(k, inactive) inactive entries drawn uniformly without replacement
 * from the Philox stream (seed, stream, index); grown[i] = 1 for them. */
long sm_sparse_grow_random(uint64_t seed, uint32_t stream, uint32_t index, uint8_t *mask,
                           uint8_t *grown, size_t len, long k);

/* Fills mask with exactly `nnz` ones at positions drawn uniformly without replacement from
 * the stream (seed, stream, index); the rest 0. */
int sm_sparse_random_mask(uint64_t seed, uint32_t stream, uint32_t index, uint8_t *mask, size_t len,
                          long nnz);

/* Method and option names ("granet", "global", ...), for results and messages. */
const char *sm_sparse_method_name(int method);
const char *sm_sparse_scope_name(int scope);

#ifdef __cplusplus
}
#endif
#endif
