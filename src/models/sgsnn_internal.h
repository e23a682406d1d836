/* somnus: the SG-SNN's private state, shared by sgsnn.c (network, BPTT, Adam, sleep) and
 * sgsnn_sparse.c (masks, pruning, regrowth). Not installed. */
#ifndef SOMNUS_SGSNN_INTERNAL_H
#define SOMNUS_SGSNN_INTERNAL_H

#include "somnus/models/sgsnn.h"

/* Sub-purposes of SM_STREAM_SGSNN, in the top bits of the Philox index. Values are part
 * of the reproducibility contract. */
enum {
    SGSNN_PURPOSE_INIT = 0u << 28,    /* sequential stream: W1, b1, W2, b2, ... */
    SGSNN_PURPOSE_SHUFFLE = 1u << 28, /* sequential stream per epoch: index low bits = epoch */
    SGSNN_PURPOSE_NOISE = 2u << 28,   /* keyed: counter = sleep step, index low bits = neuron/4 */
    SGSNN_PURPOSE_COIN = 3u << 28,    /* keyed: counter = epoch, the per-epoch sleep decision */
    SGSNN_PURPOSE_MASK = 4u << 28,    /* sequential stream per layer: the initial mask */
    SGSNN_PURPOSE_REGROW = 5u << 28   /* sequential stream per (update, layer): random regrowth */
};

/* Weight and bias tensors of every layer, + LayerNorm's gain and shift. */
#define SGSNN_MAX_TENSORS (2 * SM_SGSNN_MAX_LAYERS + 2)

/* Per-thread scratch space of one chunk (rows = steps x chunk samples). */
typedef struct sgsnn_slot {
    float *s[SM_SGSNN_MAX_LAYERS];  /* layers 0..L-2: spikes; in the backward d loss / d spikes */
    float *sg[SM_SGSNN_MAX_LAYERS]; /* every layer: surrogate derivative at the membranes */
    float *c[SM_SGSNN_MAX_LAYERS];  /* layers 1..L-1: currents; in the backward d loss / d mem */
    float *mem1;                    /* chunk x N_0: membrane; backward d loss / d mem1[t+1] */
} sgsnn_slot;

/* Masks and the bookkeeping of their updates (NULL in the network when dense). */
typedef struct sgsnn_sparse {
    uint8_t *mask[SM_SGSNN_MAX_LAYERS];      /* 1 = active */
    uint8_t *ever[SM_SGSNN_MAX_LAYERS];      /* 1 = active at some time */
    uint8_t *prev_drop[SM_SGSNN_MAX_LAYERS]; /* removed at the previous update */
    long updates;                            /* mask updates so far */
    long iters_per_epoch;                    /* set by each training epoch */
    double last_target, last_rate;           /* s_t and r_t of the last update */
    sm_sgsnn_struct_event *ev;               /* the event log */
    int n_ev, cap_ev;
} sgsnn_sparse;

struct sm_sgsnn {
    sm_sgsnn_params p;
    int track_grad; /* 1: train_epoch measures the gradient norms (sm_sgsnn_track_grad_norms) */
    int L;          /* weight layers */
    int size[SM_SGSNN_MAX_LAYERS + 1]; /* size[0] = n_in, size[l + 1] = outputs of layer l */
    /* parameters, gradients, Adam moments: [2l] W_l, [2l + 1] b_l */
    /* after them, with LayerNorm: [2L] gain g, [2L + 1] shift c (SGSNN_MAX_TENSORS) */
    float *par[SGSNN_MAX_TENSORS];
    float *grad[SGSNN_MAX_TENSORS];
    float *adam_m[SGSNN_MAX_TENSORS];
    float *adam_v[SGSNN_MAX_TENSORS];
    size_t len[SGSNN_MAX_TENSORS];
    int n_par; /* tensors in use: 2L, + 2 with LayerNorm */
    int U;     /* rows of W1: n_hidden, or n_hidden / 2 with the ON/OFF split */
    int xform; /* LayerNorm or ON/OFF: the hidden drive is not just u (sgsnn_drive.c) */
    long adam_t;
    int epoch;
    long minibatches;
    long sleep_passes;
    uint64_t sleep_step; /* counter of the noise draws: total sleep steps so far */
    double w0[SM_SGSNN_MAX_LAYERS];
    /* minibatch workspace, sized for batch_size */
    int chunk;    /* samples per chunk: min(SGSNN_CHUNK, batch_size) */
    int n_chunks; /* chunks of a full minibatch */
    float *xb;    /* B x D gathered inputs */
    int *yb;      /* B labels */
    float *cur1;  /* B x N_0 input current; after the backward, d loss / d cur1 */
    float *cnt;   /* B x O output spike counts */
    float *gcnt;  /* B x O d loss / d count */
    double *sloss;
    float *pre;  /* with xform: B x U pre-activations u; after the forward, LayerNorm's uh */
    float *rstd; /* with xform: B values 1 / sqrt(var + 1e-5) (1 without LayerNorm) */
    float *gpre; /* with xform: B x U d loss / d u */
    float *cgrad[SGSNN_MAX_TENSORS]; /* layers >= 1: n_chunks x len, per-chunk dW, db */
    sgsnn_slot *slots;
    int n_slots;
    float *dw[SM_SGSNN_MAX_LAYERS]; /* sleep STDP accumulators */
    sgsnn_sparse *sp;
    /* continual learning: outputs the loss and predictions use (n_out flags); NULL = all */
    unsigned char *active;
};

/* The hidden drive of one image (sgsnn_drive.c): u (U entries) in, overwritten by uh when
 * LayerNorm is on; cur (n_hidden) receives the current; *rstd 1/sqrt(var + eps) (1 without
 * LayerNorm). */
void sgsnn_drive_forward(const sm_sgsnn *net, float *u, float *cur, float *rstd);
/* Its backward for one image: gcur (n_hidden) = d loss / d cur; uh and rstd as the
 * forward left them; gu (U) receives d loss / d u; with LayerNorm, d loss / d g and
 * d loss / d c of this image are added to gg and gc (U entries each). */
void sgsnn_drive_backward(const sm_sgsnn *net, const float *gcur, const float *uh, float rstd,
                          float *gu, double *gg, double *gc);

/* Creates the masks of net->p.sparse (NULL for dense), draws the initial ones and zeroes
 * the weights they exclude. */
sm_status sgsnn_sparse_create(sm_sgsnn *net, sm_error *err);
void sgsnn_sparse_destroy(sgsnn_sparse *sp);
/* W <- W * M on every layer (after anything that writes all weights, e.g. sleep). */
void sgsnn_sparse_apply(sm_sgsnn *net);
/* After the Adam step t = net->adam_t: the mask update if one is due. *did = 1 if so. */
sm_status sgsnn_sparse_after_step(sm_sgsnn *net, int *did, sm_error *err);
/* Per-layer density, overall sparsity and r_t, into the epoch stats. */
void sgsnn_sparse_stats(const sm_sgsnn *net, sm_sgsnn_epoch_stats *s);
/* Checkpoint part: masks, ever-active, previous drops, counters. */
size_t sgsnn_sparse_state_size(const sm_sgsnn *net);
void sgsnn_sparse_state_save(const sm_sgsnn *net, char *b);
void sgsnn_sparse_state_load(sm_sgsnn *net, const char *b);

#endif
