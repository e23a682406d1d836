/* somnus: the surrogate-gradient spiking network of spec section 8 ("SG-SNN").
 *
 * A feed-forward LIF network, n_in -> n_hidden [-> extra hidden layers] -> n_out
 * (225 -> 1000 -> 10 by default; 784 -> 300 -> 100 -> 10 with extra_hidden = {100}), trained by
 * backpropagation through time with a surrogate spike derivative, cross-entropy on the output spike
 * counts and Adam; plus the three sleep variants of the spec (published per-minibatch passes,
 * per-epoch phases, sum|W|-triggered phases). See docs/sgsnn.md for the equations, the choices and
 * their reasons.
 *
 * Neuron (snnTorch `Leaky`, reset by subtraction, reset delayed by one step):
 *     mem[t] = beta * mem[t-1] + I[t] - reset[t] * threshold,   reset[t] = spk[t-1]
 *     spk[t] = H(mem[t] - threshold)       H(0) = 0, i.e. a spike needs mem > threshold
 * with mem[0] = spk[0] = 0, I_hidden[t] = W1 x + b1 (the image is a constant current) and
 * I_l[t] = W_l spk_{l-1}[t] + b_l for every later layer (hidden or output). Loss = mean over the
 * minibatch of -log softmax(c)[y] with c = sum_t spk_out[t]; prediction = argmax c (ties: lowest
 * index).
 *
 * Data are plain arrays: x is n x n_in floats, row-major, values nominally in [0, 1];
 * y holds n class indices in [0, n_out). Nothing here knows what a dataset is.
 *
 * Threads and BLAS: dense products go through CBLAS (link -lopenblas). A minibatch is cut
 * into fixed chunks of samples that OpenMP threads process independently, each calling
 * BLAS single-threaded; sums over chunks run in a fixed order. Results are therefore
 * bit-identical for any number of threads (and from run to run). During each training or
 * evaluation call OpenBLAS's own thread count is set to 1 and restored afterwards; an
 * application that runs several networks side by side on its own threads should set it
 * to 1 once (OPENBLAS_NUM_THREADS=1) so that the calls do not toggle it under each other.
 */
#ifndef SOMNUS_SGSNN_H
#define SOMNUS_SGSNN_H

#include <stddef.h>
#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/plasticity/sparse_schedule.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most weight layers (hidden layers + output layer). */
#define SM_SGSNN_MAX_LAYERS 8

/* Surrogate derivative of the spike function, evaluated at u = mem - threshold. */
typedef enum sm_sgsnn_surrogate {
    SM_SGSNN_ATAN = 0,        /* (alpha/2) / (1 + (pi/2 * alpha * u)^2)  snnTorch atan, alpha 2 */
    SM_SGSNN_FAST_SIGMOID = 1 /* 1 / (1 + k|u|)^2                snnTorch fast_sigmoid, k 25 */
} sm_sgsnn_surrogate;

/* When and how long the network sleeps (spec section 8). */
typedef enum sm_sgsnn_sleep_mode {
    SM_SGSNN_SLEEP_NONE = 0,
    /* Published runs: one pass after every floor(1/sleep_rate)-th minibatch, counted
     * from the start of training across epochs (sleep_rate 0 = never). */
    SM_SGSNN_SLEEP_PUBLISHED = 1,
    /* Later version: after each epoch, with probability sleep_rate, a phase of up to
     * sleep_max_iters passes (ends early once sum|W| <= sleep_stop * W0). */
    SM_SGSNN_SLEEP_EPOCH = 2,
    /* Variant: after each epoch, if sum|W| > sleep_trigger * W0, passes until
     * sum|W| <= sleep_stop * W0, at most sleep_max_iters. */
    SM_SGSNN_SLEEP_TRIGGERED = 3
} sm_sgsnn_sleep_mode;

/* Every parameter, with the default that sm_sgsnn_params_default() sets. */
typedef struct sm_sgsnn_params {
    /* architecture */
    int n_in;        /* 225: inputs (pixels) */
    int n_hidden;    /* 1000: hidden LIF neurons */
    int n_out;       /* 10: output LIF neurons = classes */
    int steps;       /* 100: time steps T per image */
    float beta;      /* 0.95: membrane decay per step, in [0, 1] */
    float threshold; /* 1.0: firing threshold (also the amount subtracted at reset) */
    /* gradient */
    sm_sgsnn_surrogate surrogate; /* SM_SGSNN_ATAN */
    float atan_alpha;             /* 2.0 */
    float sigmoid_slope;          /* 25.0: k of the fast sigmoid */
    int detach_reset;   /* 1: the reset term carries no gradient (as snnTorch's mem_reset) */
    int smooth_forward; /* 0: diagnostic; 1 = the forward spike is the smooth function whose
                         * derivative is the surrogate (atan: 1/2 + atan(pi alpha u / 2)/pi,
                         * fast sigmoid: 1/2 + u/(1+k|u|)), so BPTT is an exact gradient */
    /* optimiser: Adam as torch.optim.Adam, no weight decay */
    float lr;         /* 1e-3 (the published runs used 5e-4) */
    float adam_beta1; /* 0.9 */
    float adam_beta2; /* 0.999 */
    float adam_eps;   /* 1e-8 */
    int batch_size;   /* 128; the last minibatch of an epoch may be smaller */
    int epochs;       /* 10: epochs run by sm_sgsnn_train */
    uint64_t seed;    /* 1: initial weights, minibatch order, sleep noise and coin */
    int threads;      /* 0: OpenMP threads as the environment sets (OMP_NUM_THREADS);
                       * > 0: this many. Does not change the results. */
    /* sleep */
    sm_sgsnn_sleep_mode sleep_mode; /* SM_SGSNN_SLEEP_NONE */
    double sleep_rate;              /* 0.0: in [0, 1] */
    int sleep_steps;                /* 100: steps of one sleep pass */
    float sleep_noise_sd;           /* 3.0: sd of the Gaussian added to every membrane per step */
    float stdp_a_plus;              /* 0.01 */
    float stdp_a_minus;             /* 0.012 */
    float stdp_tau;                 /* 20: trace time constant, in steps */
    float stdp_lr;                  /* 1e-3: W += stdp_lr * dW after each pass */
    float sleep_target;             /* 0.2: w -> sign(w) * target * (|w|/target)^lambda */
    float sleep_lambda;             /* 0.999 */
    int sleep_max_iters;            /* 500: passes per phase (epoch and triggered modes) */
    double sleep_trigger;           /* 1.1: triggered mode starts above this x W0 */
    double sleep_stop;              /* 1.0: a phase ends at or below this x W0; 0 = never early */
    /* more hidden layers after the first (n_hidden): sizes extra_hidden[0..n_extra_hidden) */
    int n_extra_hidden;                        /* 0 */
    int extra_hidden[SM_SGSNN_MAX_LAYERS - 2]; /* sizes, each >= 1 */
    /* sparse training (masks on every weight matrix; biases never masked) */
    sm_sparse_params sparse; /* method dense (see sparse_schedule.h) */
    /* the first hidden layer's drive (spec plasticity-loss.md 2.2, 2.3; sgsnn_drive.c) */
    int layer_norm; /* 0; 1: LayerNorm over the pre-activation u = W1 x + b1 of each image,
                     * I = g * (u - mean) / sqrt(var + 1e-5) + c, gain g and shift c learned */
    int onoff;      /* 0; 1: ON/OFF split (spiking CReLU): W1 has n_hidden/2 rows, the first
                     * half of the hidden neurons is driven by +u, the second by -u */
} sm_sgsnn_params;

/* Fills `p` with the defaults listed above. */
void sm_sgsnn_params_default(sm_sgsnn_params *p);

/* SM_OK if every field is in range; otherwise SM_EINVAL with a message naming the field
 * and the value (e.g. "sgsnn.beta: value 1.5 is outside [0, 1]"). */
sm_status sm_sgsnn_params_check(const sm_sgsnn_params *p, sm_error *err);

typedef struct sm_sgsnn sm_sgsnn;

/* Creates a network with PyTorch nn.Linear initialisation: every weight and bias of a
 * layer uniform in [-1/sqrt(fan_in), +1/sqrt(fan_in)], drawn from (seed, SM_STREAM_SGSNN).
 * Memory: parameters, Adam moments and gradients (4 x 4 x (n_in + n_out + 1) x n_hidden
 * bytes), minibatch buffers (batch_size x (n_in + n_hidden) floats) and, at the first
 * training or evaluation call, a BPTT scratch space per thread of 2 x steps x 4 x
 * n_hidden floats (3.2 MB at the defaults): about 10 MB + 3.2 MB per thread in all.
 * Copies `p`. NULL on error (`err` says why). */
sm_sgsnn *sm_sgsnn_create(const sm_sgsnn_params *p, sm_error *err);

/* Frees everything the network owns. NULL is allowed. */
void sm_sgsnn_destroy(sm_sgsnn *net);

/* The parameters the network was created with (owned by the network). */
const sm_sgsnn_params *sm_sgsnn_get_params(const sm_sgsnn *net);

/* A view of one layer's parameters (or gradients): w is rows x cols, row-major, with
 * rows = postsynaptic neurons and cols = presynaptic ones (the nn.Linear layout);
 * b has rows entries. Pointers stay owned by the network and valid until destroy; the
 * caller may write through them (e.g. to load a checkpoint). */
typedef struct sm_sgsnn_layer {
    float *w;
    float *b;
    int rows;
    int cols;
} sm_sgsnn_layer;

/* Layer 0: input -> hidden (n_hidden x n_in); layer l: previous layer -> next (the last
 * one, sm_sgsnn_n_layers - 1, is the output layer, n_out x its input). With masks, the
 * weights of inactive entries are 0 and must stay so. An out-of-range layer gives an
 * all-zero view. */
sm_sgsnn_layer sm_sgsnn_get_layer(sm_sgsnn *net, int layer);

/* The gradients left by the last sm_sgsnn_backprop (same shapes as the layers). */
sm_sgsnn_layer sm_sgsnn_get_grad(sm_sgsnn *net, int layer);

/* The Adam moments of a layer (which = 0: first moment m, 1: second moment v), same
 * shapes as the layer; for the remedies that re-initialise parameters (sgsnn_reset.h),
 * which set the moments of what they redraw to 0. */
sm_sgsnn_layer sm_sgsnn_get_moment(sm_sgsnn *net, int layer, int which);

/* Weight layers: hidden layers + 1 (2 for the classic 1-hidden-layer network). */
int sm_sgsnn_n_layers(const sm_sgsnn *net);

/* The LayerNorm parameters of the first hidden layer (p->layer_norm = 1): w = gain g,
 * b = shift c, rows = entries of the pre-activation u (n_hidden, or n_hidden/2 with
 * onoff), cols = 1. which: 0 parameters, 1 gradients, 2 Adam m, 3 Adam v. An all-zero view
 * without LayerNorm or for another `which`. */
sm_sgsnn_layer sm_sgsnn_get_norm(sm_sgsnn *net, int which);

/* Every trainable tensor in a fixed order: W_0, b_0, ..., W_{L-1}, b_{L-1}, then the
 * LayerNorm gain and shift if any. sm_sgsnn_n_tensors gives their count; sm_sgsnn_tensor
 * gives tensor k (which: 0 parameters, 1 gradients, 2 Adam m, 3 Adam v) and its length
 * in *len (may be NULL); NULL for k or which out of range. For remedies that treat
 * parameters generically (SAM). */
int sm_sgsnn_n_tensors(const sm_sgsnn *net);
float *sm_sgsnn_tensor(sm_sgsnn *net, int k, int which, size_t *len);

/* The first hidden layer's constant input current (n_hidden entries) for the pre-
 * activation u = W1 x + b1 of one image (rows of layer 0 entries): u itself, or after
 * LayerNorm and/or the ON/OFF split as the training code computes it. */
void sm_sgsnn_hidden_drive(const sm_sgsnn *net, const float *u, float *cur);

/* sum |w| of each layer's weights (biases excluded), accumulated in double: out has
 * sm_sgsnn_n_layers entries. */
void sm_sgsnn_sum_abs_w(const sm_sgsnn *net, double *out);

/* The mask of a layer's weights (rows x cols, 1 = active), owned by the network; NULL
 * for the dense method or an out-of-range layer. */
const uint8_t *sm_sgsnn_get_mask(const sm_sgsnn *net, int layer);

/* One mask update (spec structural.md section 2), a row of results' structure_events. */
typedef struct sm_sgsnn_struct_event {
    long iteration;                       /* optimizer step t after which it ran */
    int epoch;                            /* 1-based epoch it ran in */
    double target_sparsity;               /* s_t of the schedule (current one if not pruning) */
    double sparsity;                      /* achieved, over all masked weights */
    double density[SM_SGSNN_MAX_LAYERS];  /* per layer, after the update */
    long nnz_pruned[SM_SGSNN_MAX_LAYERS]; /* per layer after the pruning step, before regrowth */
    long nnz[SM_SGSNN_MAX_LAYERS];        /* per layer after the update */
    long pruned;                          /* removed by the schedule's pruning + regrowth drop */
    long regrown;                         /* activated by regrowth */
    double regrow_rate;                   /* r_t (0 without regrowth) */
    double mean_abs_pruned;               /* mean |w| of the removed entries (NAN if none) */
    double regrown_was_pruned;            /* regrown entries removed at the previous update */
    double ever_active;                   /* fraction of all weights ever active */
} sm_sgsnn_struct_event;

/* The mask updates so far (owned by the network; *n set to their count). */
const sm_sgsnn_struct_event *sm_sgsnn_struct_events(const sm_sgsnn *net, int *n);

/* Replaces the event log (resuming from a checkpoint). SM_ENOMEM on failure. */
sm_status sm_sgsnn_struct_events_restore(sm_sgsnn *net, const sm_sgsnn_struct_event *ev, int n,
                                         sm_error *err);

/* Forward + BPTT on one minibatch of n <= batch_size samples: stores d(loss)/d(params)
 * in the gradient buffers (see sm_sgsnn_get_grad), does not change the parameters.
 * *loss (may be NULL) = mean cross-entropy over the n samples; *n_correct (may be NULL)
 * = how many predictions equal y. */
sm_status sm_sgsnn_backprop(sm_sgsnn *net, const float *x, const int *y, int n, double *loss,
                            int *n_correct, sm_error *err);

/* Continual learning: restricts the loss (softmax cross-entropy), the predictions and the
 * accuracies of every later call to the outputs o with active[o] != 0 (n_out flags,
 * copied); NULL restores all outputs (the default). Inactive outputs are outside the
 * softmax (their gradient is 0), and a label on an inactive output is an error. The mask
 * is not part of the saved state. SM_EINVAL if no output is active. */
sm_status sm_sgsnn_set_active_outputs(sm_sgsnn *net, const unsigned char *active, sm_error *err);

/* One Adam step of every parameter with the current gradients (step counter + 1). */
void sm_sgsnn_adam_step(sm_sgsnn *net);

/* Forward only, any n >= 0 (processed in minibatches). pred (may be NULL) receives n
 * predicted classes; counts (may be NULL) receives n x n_out output spike counts. */
sm_status sm_sgsnn_predict(sm_sgsnn *net, const float *x, int n, int *pred, float *counts,
                           sm_error *err);

/* Accuracy in [0, 1] and mean cross-entropy (either pointer may be NULL) on a labelled
 * set, forward only. n = 0 gives accuracy and loss NAN. */
sm_status sm_sgsnn_evaluate(sm_sgsnn *net, const float *x, const int *y, int n, double *accuracy,
                            double *loss, sm_error *err);

/* What one epoch did, for the CLI to write per-epoch results. */
typedef struct sm_sgsnn_epoch_stats {
    int epoch;         /* 1-based count of epochs trained by this network */
    double train_loss; /* mean over the epoch's samples of the minibatch losses */
    double train_acc;  /* fraction correct on the minibatches as they were trained on
                        * (prediction before that minibatch's update) */
    double test_acc;   /* after the epoch and its sleep; NAN without a test set */
    double test_loss;  /* idem */
    double sum_abs_w[SM_SGSNN_MAX_LAYERS];  /* per layer, after the epoch and its sleep */
    double sum_abs_w0[SM_SGSNN_MAX_LAYERS]; /* per layer, at creation (W0 of the sleep rules) */
    int sleep_passes;                       /* sleep passes run during this epoch */
    long sleep_passes_total;                /* since creation */
    long minibatches_total;                 /* since creation */
    double wall_seconds;                    /* the whole epoch: training, sleep and evaluation */
    double sleep_seconds;                   /* of which sleeping */
    double eval_seconds;                    /* of which evaluating the test set */
    int n_layers;                        /* weight layers (entries used in the per-layer arrays) */
    double density[SM_SGSNN_MAX_LAYERS]; /* per layer after the epoch (1 when dense) */
    double sparsity;                     /* over all weights after the epoch */
    double regrow_rate;                  /* r_t at the epoch's end (0 without regrowth) */
    int mask_updates;                    /* mask updates during the epoch */
    double mask_seconds;                 /* of the epoch's time, in mask updates */
    /* ||dL/dW||_F per layer of each minibatch's gradient (the one the Adam step used), mean
     * and max over the epoch; NAN unless sm_sgsnn_track_grad_norms is on */
    double grad_norm_mean[SM_SGSNN_MAX_LAYERS];
    double grad_norm_max[SM_SGSNN_MAX_LAYERS];
} sm_sgsnn_epoch_stats;

/* Turns the per-minibatch gradient norms of sm_sgsnn_epoch_stats on or off (off at
 * creation: they cost one pass over the gradients per minibatch). */
void sm_sgsnn_track_grad_norms(sm_sgsnn *net, int on);

/* One epoch: shuffle (seeded by seed and epoch number), minibatch steps, the sleep rule
 * of p->sleep_mode, then evaluation on the test set if n_test > 0 (x_test/y_test may be
 * NULL when n_test = 0). Fills *stats (may be NULL). */
sm_status sm_sgsnn_train_epoch(sm_sgsnn *net, const float *x, const int *y, int n,
                               const float *x_test, const int *y_test, int n_test,
                               sm_sgsnn_epoch_stats *stats, sm_error *err);

/* Called after each epoch; return nonzero to stop training early. */
typedef int (*sm_sgsnn_epoch_fn)(const sm_sgsnn_epoch_stats *stats, void *user);

/* p->epochs calls of sm_sgsnn_train_epoch, with `cb` (may be NULL) after each. */
sm_status sm_sgsnn_train(sm_sgsnn *net, const float *x, const int *y, int n, const float *x_test,
                         const int *y_test, int n_test, sm_sgsnn_epoch_fn cb, void *user,
                         sm_error *err);

/* One sleep pass of p->sleep_steps steps: zero input (the first hidden layer's current is
 * its bias alone), Gaussian membrane noise on every layer, trace STDP on every layer
 * accumulated over the pass and then applied (W += stdp_lr * dW), then the power-law
 * map on every weight matrix, then the masks (inactive weights back to 0). Biases and the
 * Adam state are left alone. */
sm_status sm_sgsnn_sleep_pass(sm_sgsnn *net, sm_error *err);

/* Runs sleep passes until sum|W| <= p->sleep_stop x W0 (checked after each pass; never
 * early when sleep_stop is 0) or max_iters passes; returns the number run. */
int sm_sgsnn_sleep_phase(sm_sgsnn *net, int max_iters);

/* floor(1/rate) for rate in (0, 1] (with a 1e-9 allowance so 1/0.1 gives 10); 0 for
 * rate <= 0 (= never). */
long sm_sgsnn_sleep_period(double rate);

/* ---- checkpoints ---- */
/* Size in bytes of the network's complete training state: weights and biases, Adam
 * moments and step, epoch, minibatch and sleep counters, the sleep noise counter, W0. */
size_t sm_sgsnn_state_size(const sm_sgsnn *net);
/* Copies that state into buf (sm_sgsnn_state_size bytes). */
void sm_sgsnn_state_save(const sm_sgsnn *net, void *buf);
/* Restores it into a network created with the same parameters; training then continues
 * exactly as if it had not stopped. */
void sm_sgsnn_state_load(sm_sgsnn *net, const void *buf);

/* ---- the building blocks, exposed for tests and for other modules ---- */

/* One Adam update of n parameters as torch.optim.Adam: m += (1-b1)(g-m);
 * v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 * `step` is t, 1 for the first update. */
void sm_sgsnn_adam_update(float *p, const float *g, float *m, float *v, size_t n, long step,
                          float lr, float beta1, float beta2, float eps);

/* As sm_sgsnn_adam_update, but only where mask[i] = 1: elsewhere p, m and v are left as
 * they are (0 for a masked weight), which equals feeding the masked gradient g*M and
 * applying W <- W*M afterwards (spec structural.md section 3). */
void sm_sgsnn_adam_update_masked(float *p, const float *g, float *m, float *v, const uint8_t *mask,
                                 size_t n, long step, float lr, float beta1, float beta2,
                                 float eps);

/* w[i] -> sign(w[i]) * target * (|w[i]| / target)^lambda, in place (0 stays 0), on
 * `threads` OpenMP threads above 65,536 weights (0: the OpenMP default); the same result
 * on any count (each weight on its own). */
void sm_sgsnn_powerlaw_map(float *w, size_t n, float target, float lambda, int threads);

/* One step of trace pair STDP for a dense n_post x n_pre weight block. Spikes are 0/1.
 * First the traces: x_pre = decay * x_pre + s_pre, x_post = decay * x_post + s_post;
 * then dw[i*n_pre + j] += a_plus * s_post[i] * x_pre[j] - a_minus * x_post[i] * s_pre[j].
 * (So a same-step pair counts both ways: a_plus - a_minus.) Cost follows the spikes. */
void sm_sgsnn_stdp_step(int n_pre, int n_post, const float *s_pre, const float *s_post,
                        float *x_pre, float *x_post, float decay, float a_plus, float a_minus,
                        float *dw);

#ifdef __cplusplus
}
#endif
#endif
