/* somnus: the surrogate-gradient spiking network (spec section 8). See sgsnn.h for the
 * model and docs/sgsnn.md for the derivation of the backward pass and the choices.
 *
 * How a minibatch of nb samples is computed (run_minibatch):
 *  1. cur1 = x W1^T + b1 for the whole minibatch (the hidden layer's constant input).
 *  2. The samples are cut into chunks of SGSNN_CHUNK. Each chunk runs its forward pass,
 *     loss and BPTT on one thread, with single-threaded BLAS calls, in a per-thread
 *     scratch space (`slot`) small enough to stay in cache: the T x chunk x H history
 *     lives only while its chunk is processed, so memory does not grow with the batch.
 *     A chunk leaves behind d loss / d cur1 of its samples and its own dW2, db2.
 *  3. dW1 = (d loss / d cur1)^T x for the whole minibatch; dW2 = the chunk dW2 summed in
 *     chunk order.
 * Every BLAS call and every sum has the same operands and order whatever the number of
 * threads and whichever thread runs which chunk, so results are bit-identical for 1 and
 * N threads (tested).
 *
 * Inside a chunk of cb samples, T steps, H hidden, O outputs, time and batch are
 * flattened into T*cb rows (row = t*cb + b), so that the hidden -> output products of all
 * steps are one GEMM each way:
 *     s1  [T*cb x H]  hidden spikes; after the output layer's backward, d loss / d s1
 *     sg1 [T*cb x H]  surrogate derivative at the hidden membranes
 *     c2  [T*cb x O]  output currents (without bias); in the backward, d loss / d mem2
 *     sg2 [T*cb x O]  surrogate derivative at the output membranes
 * The hidden layer is driven by a constant current, so its whole trajectory is computed
 * before the output layer: its neurons are independent of one another and of the output.
 */
#include "somnus/models/sgsnn.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "somnus/core/threads.h"
#include "somnus/core/rng.h"
#include "sgsnn_internal.h"

enum {
    PURPOSE_INIT = SGSNN_PURPOSE_INIT,
    PURPOSE_SHUFFLE = SGSNN_PURPOSE_SHUFFLE,
    PURPOSE_NOISE = SGSNN_PURPOSE_NOISE,
    PURPOSE_COIN = SGSNN_PURPOSE_COIN
};

/* Samples per chunk. Part of the arithmetic (it sets the order of the dW2 sum), so
 * changing it changes the last bits of a run; the thread count does not. Small, so that a
 * chunk's history (2 x T x chunk x H floats, 3.2 MB at the defaults) stays in cache. */
#ifndef SGSNN_CHUNK
#define SGSNN_CHUNK 4
#endif

/* Hidden neurons per block of the dW1 and cur1 products (fixed for the same reason). */
#define SGSNN_ROWS 64

typedef sgsnn_slot slot;

/* ---------------------------------------------------------------- helpers */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Zeroed float array, 64-byte aligned for the vector loops and BLAS. */
static float *falloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    float *a = aligned_alloc(64, bytes);
    if (a) memset(a, 0, bytes);
    return a;
}

static int n_threads(const sm_sgsnn *net)
{
    return sm_threads(net->p.threads);
}

/* The chunks call BLAS from several threads at once, each call on one thread: OpenBLAS's
 * own pool is set to 1 for the duration of a library call and restored afterwards. */
static int blas_serial_begin(void)
{
    int saved = openblas_get_num_threads();
    if (saved != 1) openblas_set_num_threads(1);
    return saved;
}

static void blas_serial_end(int saved)
{
    if (saved != 1) openblas_set_num_threads(saved);
}

static inline float surrogate(const sm_sgsnn_params *p, float u)
{
    if (p->surrogate == SM_SGSNN_ATAN) {
        float a = 1.5707963267948966f * p->atan_alpha * u;
        return 0.5f * p->atan_alpha / (1.0f + a * a);
    }
    float d = 1.0f + p->sigmoid_slope * fabsf(u);
    return 1.0f / (d * d);
}

/* The forward spike: Heaviside (spike iff mem > threshold), or in smooth mode the
 * antiderivative of the surrogate, shifted so that it passes through 1/2 at u = 0. */
static inline float spike_fn(const sm_sgsnn_params *p, float u)
{
    if (!p->smooth_forward) return u > 0.0f ? 1.0f : 0.0f;
    if (p->surrogate == SM_SGSNN_ATAN)
        return 0.5f + atanf(1.5707963267948966f * p->atan_alpha * u) * 0.3183098861837907f;
    return 0.5f + u / (1.0f + p->sigmoid_slope * fabsf(u));
}

/* ---------------------------------------------------------------- parameters */

void sm_sgsnn_params_default(sm_sgsnn_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_in = 225;
    p->n_hidden = 1000;
    p->n_out = 10;
    p->steps = 100;
    p->beta = 0.95f;
    p->threshold = 1.0f;
    p->surrogate = SM_SGSNN_ATAN;
    p->atan_alpha = 2.0f;
    p->sigmoid_slope = 25.0f;
    p->detach_reset = 1;
    p->smooth_forward = 0;
    p->lr = 1e-3f;
    p->adam_beta1 = 0.9f;
    p->adam_beta2 = 0.999f;
    p->adam_eps = 1e-8f;
    p->batch_size = 128;
    p->epochs = 10;
    p->seed = 1;
    p->threads = 0;
    p->sleep_mode = SM_SGSNN_SLEEP_NONE;
    p->sleep_rate = 0.0;
    p->sleep_steps = 100;
    p->sleep_noise_sd = 3.0f;
    p->stdp_a_plus = 0.01f;
    p->stdp_a_minus = 0.012f;
    p->stdp_tau = 20.0f;
    p->stdp_lr = 1e-3f;
    p->sleep_target = 0.2f;
    p->sleep_lambda = 0.999f;
    p->sleep_max_iters = 500;
    p->sleep_trigger = 1.1;
    p->sleep_stop = 1.0;
    sm_sparse_params_default(&p->sparse, p->epochs);
}

#define CHECK_INT(field, lo, hi)                                                                   \
    do {                                                                                           \
        if (p->field < (lo) || p->field > (hi))                                                    \
            return sm_error_set(err, SM_EINVAL, "sgsnn." #field ": value %d is outside [%d, %d]",  \
                                (int)p->field, (int)(lo), (int)(hi));                              \
    } while (0)

/* Written as !(inside) so that NaN is rejected too. */
#define CHECK_REAL(field, lo, hi)                                                                  \
    do {                                                                                           \
        if (!((double)p->field >= (lo) && (double)p->field <= (hi)))                               \
            return sm_error_set(err, SM_EINVAL, "sgsnn." #field ": value %g is outside [%g, %g]",  \
                                (double)p->field, (double)(lo), (double)(hi));                     \
    } while (0)

#define CHECK_POSITIVE(field)                                                                      \
    do {                                                                                           \
        if (!((double)p->field > 0.0) || isinf((double)p->field))                                  \
            return sm_error_set(err, SM_EINVAL,                                                    \
                                "sgsnn." #field ": value %g must be positive and finite",          \
                                (double)p->field);                                                 \
    } while (0)

sm_status sm_sgsnn_params_check(const sm_sgsnn_params *p, sm_error *err)
{
    if (!p) return sm_error_set(err, SM_EINVAL, "sgsnn: no parameters given");
    const int big = 1 << 24;
    CHECK_INT(n_in, 1, big);
    CHECK_INT(n_hidden, 1, big);
    CHECK_INT(n_out, 1, 1 << 16);
    CHECK_INT(steps, 1, 1 << 20);
    CHECK_INT(batch_size, 1, 1 << 20);
    if ((long long)p->steps * p->batch_size > INT_MAX)
        return sm_error_set(err, SM_EINVAL,
                            "sgsnn.steps x sgsnn.batch_size: %d x %d exceeds the BLAS index range",
                            p->steps, p->batch_size);
    if ((long long)p->n_in * p->n_hidden > INT_MAX || (long long)p->n_hidden * p->n_out > INT_MAX)
        return sm_error_set(err, SM_EINVAL, "sgsnn: layer sizes %d x %d x %d are too large",
                            p->n_in, p->n_hidden, p->n_out);
    CHECK_REAL(beta, 0.0, 1.0);
    CHECK_POSITIVE(threshold);
    CHECK_INT(surrogate, SM_SGSNN_ATAN, SM_SGSNN_FAST_SIGMOID);
    CHECK_POSITIVE(atan_alpha);
    CHECK_POSITIVE(sigmoid_slope);
    CHECK_INT(detach_reset, 0, 1);
    CHECK_INT(smooth_forward, 0, 1);
    CHECK_REAL(lr, 0.0, 1e3);
    CHECK_REAL(adam_beta1, 0.0, 0.999999);
    CHECK_REAL(adam_beta2, 0.0, 0.999999999);
    CHECK_POSITIVE(adam_eps);
    CHECK_INT(epochs, 0, INT_MAX);
    CHECK_INT(threads, 0, 4096);
    CHECK_INT(sleep_mode, SM_SGSNN_SLEEP_NONE, SM_SGSNN_SLEEP_TRIGGERED);
    CHECK_REAL(sleep_rate, 0.0, 1.0);
    CHECK_INT(sleep_steps, 1, 1 << 24);
    CHECK_REAL(sleep_noise_sd, 0.0, 1e6);
    CHECK_REAL(stdp_a_plus, 0.0, 1e6);
    CHECK_REAL(stdp_a_minus, 0.0, 1e6);
    CHECK_POSITIVE(stdp_tau);
    CHECK_REAL(stdp_lr, 0.0, 1e6);
    CHECK_POSITIVE(sleep_target);
    CHECK_POSITIVE(sleep_lambda);
    CHECK_INT(sleep_max_iters, 0, INT_MAX);
    CHECK_REAL(sleep_trigger, 0.0, 1e6);
    CHECK_REAL(sleep_stop, 0.0, 1e6);
    CHECK_INT(n_extra_hidden, 0, SM_SGSNN_MAX_LAYERS - 2);
    for (int e = 0; e < p->n_extra_hidden; e++) {
        int prev = e == 0 ? p->n_hidden : p->extra_hidden[e - 1];
        if (p->extra_hidden[e] < 1 || p->extra_hidden[e] > big)
            return sm_error_set(err, SM_EINVAL,
                                "sgsnn.hidden: layer %d has %d neurons, outside [1, %d]", e + 2,
                                p->extra_hidden[e], big);
        if ((long long)prev * p->extra_hidden[e] > INT_MAX ||
            (long long)p->extra_hidden[e] * p->n_out > INT_MAX ||
            (long long)p->steps * p->batch_size * p->extra_hidden[e] > (1ll << 40))
            return sm_error_set(err, SM_EINVAL, "sgsnn.hidden: layer %d (%d neurons) is too large",
                                e + 2, p->extra_hidden[e]);
    }
    CHECK_INT(layer_norm, 0, 1);
    CHECK_INT(onoff, 0, 1);
    if (p->onoff && p->n_hidden % 2 != 0)
        return sm_error_set(err, SM_EINVAL,
                            "sgsnn.unit: onoff needs an even number of hidden neurons (got %d)",
                            p->n_hidden);
    if ((p->onoff || p->layer_norm) && p->sparse.method != SM_SPARSE_DENSE)
        return sm_error_set(err, SM_EINVAL,
                            "sgsnn.norm/sgsnn.unit: LayerNorm and the ON/OFF split are not "
                            "built for sparse training (sparse.method must be dense)");
    return sm_sparse_params_check(&p->sparse, p->epochs, err);
}

/* ---------------------------------------------------------------- lifetime */

static void free_slots(sm_sgsnn *net)
{
    for (int i = 0; i < net->n_slots; i++) {
        for (int l = 0; l < SM_SGSNN_MAX_LAYERS; l++) {
            free(net->slots[i].s[l]);
            free(net->slots[i].sg[l]);
            free(net->slots[i].c[l]);
        }
        free(net->slots[i].mem1);
    }
    free(net->slots);
    net->slots = NULL;
    net->n_slots = 0;
}

/* Makes sure there is a scratch slot for each of n threads. */
static sm_status ensure_slots(sm_sgsnn *net, int n, sm_error *err)
{
    if (n <= net->n_slots) return SM_OK;
    const int L = net->L;
    const size_t rows = (size_t)net->p.steps * net->chunk;
    slot *sl = calloc((size_t)n, sizeof *sl);
    int ok = sl != NULL;
    for (int i = 0; ok && i < n; i++) {
        for (int l = 0; l < L && ok; l++) {
            const size_t N = (size_t)net->size[l + 1];
            sl[i].sg[l] = falloc(rows * N);
            ok = sl[i].sg[l] != NULL;
            if (ok && l < L - 1) ok = (sl[i].s[l] = falloc(rows * N)) != NULL;
            if (ok && l > 0) ok = (sl[i].c[l] = falloc(rows * N)) != NULL;
        }
        if (ok) ok = (sl[i].mem1 = falloc((size_t)net->chunk * net->size[1])) != NULL;
    }
    free_slots(net);
    net->slots = sl;
    net->n_slots = sl ? n : 0;
    if (!ok) {
        free_slots(net);
        return sm_error_set(err, SM_ENOMEM,
                            "sgsnn: out of memory for %d threads' scratch space "
                            "(%.1f MB each)",
                            n, 2.0 * (double)(rows * net->size[1]) * sizeof(float) / 1e6);
    }
    return SM_OK;
}

void sm_sgsnn_destroy(sm_sgsnn *net)
{
    if (!net) return;
    for (int k = 0; k < SGSNN_MAX_TENSORS; k++) {
        free(net->par[k]);
        free(net->grad[k]);
        free(net->adam_m[k]);
        free(net->adam_v[k]);
        free(net->cgrad[k]);
    }
    for (int l = 0; l < SM_SGSNN_MAX_LAYERS; l++)
        free(net->dw[l]);
    free_slots(net);
    free(net->sloss);
    free(net->xb);
    free(net->yb);
    free(net->cur1);
    free(net->cnt);
    free(net->gcnt);
    free(net->pre);
    free(net->rstd);
    free(net->gpre);
    free(net->active);
    sgsnn_sparse_destroy(net->sp);
    free(net);
}

sm_sgsnn *sm_sgsnn_create(const sm_sgsnn_params *p, sm_error *err)
{
    if (sm_sgsnn_params_check(p, err) != SM_OK) return NULL;
    sm_sgsnn *net = calloc(1, sizeof *net);
    if (!net) {
        sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for the network");
        return NULL;
    }
    net->p = *p;
    net->L = 2 + p->n_extra_hidden;
    net->size[0] = p->n_in;
    net->size[1] = p->n_hidden;
    for (int e = 0; e < p->n_extra_hidden; e++)
        net->size[2 + e] = p->extra_hidden[e];
    net->size[net->L] = p->n_out;
    const int L = net->L;
    const size_t D = (size_t)p->n_in, H = (size_t)p->n_hidden, O = (size_t)p->n_out;
    const size_t B = (size_t)p->batch_size;
    net->U = p->onoff ? p->n_hidden / 2 : p->n_hidden;
    net->xform = p->onoff || p->layer_norm;
    net->n_par = 2 * L + (p->layer_norm ? 2 : 0);
    for (int l = 0; l < L; l++) {
        const size_t rows = l == 0 ? (size_t)net->U : (size_t)net->size[l + 1];
        net->len[(size_t)2 * l] = rows * net->size[l];
        net->len[2 * l + 1] = rows;
    }
    if (p->layer_norm) net->len[(size_t)2 * L] = net->len[(size_t)2 * L + 1] = (size_t)net->U;
    net->chunk = p->batch_size < SGSNN_CHUNK ? p->batch_size : SGSNN_CHUNK;
    net->n_chunks = (p->batch_size + net->chunk - 1) / net->chunk;
    int ok = 1;
    for (int k = 0; k < net->n_par; k++) {
        net->par[k] = falloc(net->len[k]);
        net->grad[k] = falloc(net->len[k]);
        net->adam_m[k] = falloc(net->len[k]);
        net->adam_v[k] = falloc(net->len[k]);
        ok = ok && net->par[k] && net->grad[k] && net->adam_m[k] && net->adam_v[k];
        if (k >= 2 && k < 2 * L)
            ok = ok && (net->cgrad[k] = falloc((size_t)net->n_chunks * net->len[k]));
    }
    if (net->xform) {
        net->pre = falloc(B * (size_t)net->U);
        net->gpre = falloc(B * (size_t)net->U);
        net->rstd = falloc(B);
        ok = ok && net->pre && net->gpre && net->rstd;
    }
    for (int l = 0; l < L; l++)
        ok = ok && (net->dw[l] = falloc(net->len[(size_t)2 * l]));
    net->xb = falloc(B * D);
    net->yb = calloc(B, sizeof(int));
    net->cur1 = falloc(B * H);
    net->cnt = falloc(B * O);
    net->gcnt = falloc(B * O);
    net->sloss = calloc(B, sizeof(double));
    ok = ok && net->xb && net->yb && net->cur1 && net->cnt && net->gcnt && net->sloss;
    if (!ok) {
        sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for a %zu x %zu x %zu network", D, H, O);
        sm_sgsnn_destroy(net);
        return NULL;
    }

    /* nn.Linear.reset_parameters: kaiming_uniform(a = sqrt 5) for the weight gives the
     * bound 1/sqrt(fan_in); the bias uses the same bound. Drawn in PyTorch's order. */
    sm_rng r;
    sm_rng_init(&r, p->seed, SM_STREAM_SGSNN, PURPOSE_INIT);
    for (int k = 0; k < 2 * L; k++) {
        const int fan_in = net->size[k / 2]; /* parameter k belongs to layer k / 2 */
        double a = 1.0 / sqrt((double)fan_in);
        for (size_t i = 0; i < net->len[k]; i++)
            net->par[k][i] = (float)(a * (2.0 * sm_rng_uniform(&r) - 1.0));
    }
    if (p->layer_norm) /* gain 1, shift 0 (falloc zeroed it); no draws, so the weights above
                        * are those of the network without LayerNorm */
        for (int j = 0; j < net->U; j++)
            net->par[(size_t)2 * L][j] = 1.0f;
    if (sgsnn_sparse_create(net, err) != SM_OK) {
        sm_sgsnn_destroy(net);
        return NULL;
    }
    sm_sgsnn_sum_abs_w(net, net->w0);
    return net;
}

const sm_sgsnn_params *sm_sgsnn_get_params(const sm_sgsnn *net)
{
    return &net->p;
}

int sm_sgsnn_n_layers(const sm_sgsnn *net)
{
    return net ? net->L : 0;
}

sm_sgsnn_layer sm_sgsnn_get_layer(sm_sgsnn *net, int layer)
{
    sm_sgsnn_layer v = {0};
    if (!net || layer < 0 || layer >= net->L) return v;
    v.w = net->par[(size_t)2 * layer];
    v.b = net->par[2 * layer + 1];
    v.rows = layer == 0 ? net->U : net->size[layer + 1];
    v.cols = net->size[layer];
    return v;
}

sm_sgsnn_layer sm_sgsnn_get_norm(sm_sgsnn *net, int which)
{
    sm_sgsnn_layer v = {0};
    if (!net || !net->p.layer_norm || which < 0 || which > 3) return v;
    float *const *a[4] = {net->par, net->grad, net->adam_m, net->adam_v};
    v.w = a[which][(size_t)2 * net->L];
    v.b = a[which][(size_t)2 * net->L + 1];
    v.rows = net->U;
    v.cols = 1;
    return v;
}

int sm_sgsnn_n_tensors(const sm_sgsnn *net)
{
    return net ? net->n_par : 0;
}

float *sm_sgsnn_tensor(sm_sgsnn *net, int k, int which, size_t *len)
{
    if (!net || k < 0 || k >= net->n_par || which < 0 || which > 3) return NULL;
    float *const *a[4] = {net->par, net->grad, net->adam_m, net->adam_v};
    if (len) *len = net->len[k];
    return a[which][k];
}

sm_sgsnn_layer sm_sgsnn_get_grad(sm_sgsnn *net, int layer)
{
    sm_sgsnn_layer v = sm_sgsnn_get_layer(net, layer);
    if (v.w) {
        v.w = net->grad[(size_t)2 * layer];
        v.b = net->grad[2 * layer + 1];
    }
    return v;
}

/* ---- plasticity-loss remedies (issue 20): access to the Adam moments ---- */
sm_sgsnn_layer sm_sgsnn_get_moment(sm_sgsnn *net, int layer, int which)
{
    sm_sgsnn_layer v = sm_sgsnn_get_layer(net, layer);
    if (v.w) {
        float *const *m = which ? net->adam_v : net->adam_m;
        v.w = m[(size_t)2 * layer];
        v.b = m[2 * layer + 1];
    }
    return v;
}
/* ---- end of the plasticity-loss block ---- */

static double sum_abs(const float *w, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)w[i]);
    return s;
}

void sm_sgsnn_sum_abs_w(const sm_sgsnn *net, double *out)
{
    for (int l = 0; l < net->L; l++)
        out[l] = sum_abs(net->par[(size_t)2 * l], net->len[(size_t)2 * l]);
}

/* ---------------------------------------------------------------- forward and BPTT */

/* One row of the hidden layer's surrogate derivative, u = mem - thr. Written as separate
 * loops over plain arrays so that the compiler vectorizes them. */
static void surrogate_row(const sm_sgsnn_params *p, const float *restrict mem, float *restrict g,
                          int n)
{
    const float thr = p->threshold;
    if (p->surrogate == SM_SGSNN_ATAN) {
        const float c = 1.5707963267948966f * p->atan_alpha, half = 0.5f * p->atan_alpha;
        for (int i = 0; i < n; i++) {
            float a = c * (mem[i] - thr);
            g[i] = half / (1.0f + a * a);
        }
    } else {
        const float k = p->sigmoid_slope;
        for (int i = 0; i < n; i++) {
            float d = 1.0f + k * fabsf(mem[i] - thr);
            g[i] = 1.0f / (d * d);
        }
    }
}

/* What chunk c of a minibatch works on: its samples' rows of the minibatch buffers and
 * the scratch slot of the thread that runs it. */
typedef struct chunk {
    const float *x;
    const int *y; /* NULL when only predicting */
    int cb;       /* samples in this chunk */
    int nb;       /* samples in the whole minibatch (the loss is a mean over them) */
    float *cur1, *cnt, *gcnt;
    float *gw[SM_SGSNN_MAX_LAYERS], *gb[SM_SGSNN_MAX_LAYERS]; /* layers >= 1: this chunk's */
    double *loss;
    slot *sl;
} chunk;

static chunk chunk_at(sm_sgsnn *net, const float *x, const int *y, int nb, int c, slot *sl)
{
    const size_t D = (size_t)net->p.n_in, H = (size_t)net->p.n_hidden, O = (size_t)net->p.n_out;
    const size_t first = (size_t)c * net->chunk;
    chunk k;
    k.x = x + first * D;
    k.y = y ? y + first : NULL;
    k.cb = nb - (int)first < net->chunk ? nb - (int)first : net->chunk;
    k.nb = nb;
    k.cur1 = net->cur1 + first * H;
    k.cnt = net->cnt + first * O;
    k.gcnt = net->gcnt + first * O;
    k.loss = net->sloss + first;
    for (int l = 1; l < net->L; l++) {
        k.gw[l] = net->cgrad[(size_t)2 * l] + (size_t)c * net->len[(size_t)2 * l];
        k.gb[l] = net->cgrad[2 * l + 1] + (size_t)c * net->len[2 * l + 1];
    }
    k.sl = sl;
    return k;
}

/* Forward pass of one chunk from its input currents k->cur1: fills cnt, and the slot's
 * histories (spikes, currents and with `train` the surrogate derivatives) that the
 * backward pass needs. */
static void chunk_forward(const sm_sgsnn *net, chunk *k, int train)
{
    const sm_sgsnn_params *p = &net->p;
    const int H = p->n_hidden, T = p->steps, cb = k->cb, L = net->L;
    const float beta = p->beta, thr = p->threshold;
    slot *sl = k->sl;

    for (int b = 0; b < cb; b++) {
        const float *restrict cur = k->cur1 + (size_t)b * H;
        float *restrict mem = sl->mem1 + (size_t)b * H;
        for (int t = 0; t < T; t++) {
            float *restrict s = sl->s[0] + ((size_t)t * cb + b) * H;
            if (t == 0) {
                for (int h = 0; h < H; h++)
                    mem[h] = cur[h]; /* = beta*0 + cur - 0*thr */
            } else {
                const float *restrict sp = sl->s[0] + ((size_t)(t - 1) * cb + b) * H;
                for (int h = 0; h < H; h++)
                    mem[h] = beta * mem[h] + cur[h] - sp[h] * thr;
            }
            if (p->smooth_forward)
                for (int h = 0; h < H; h++)
                    s[h] = spike_fn(p, mem[h] - thr);
            else
                for (int h = 0; h < H; h++)
                    s[h] = mem[h] > thr ? 1.0f : 0.0f;
            if (train) surrogate_row(p, mem, sl->sg[0] + ((size_t)t * cb + b) * H, H);
        }
    }

    /* Every later layer: its currents of all steps at once, c = s_prev W^T ((T*cb) x N),
     * then its neurons one by one through time. The last layer counts its spikes. */
    for (int l = 1; l < L; l++) {
        const int N = net->size[l + 1], K = net->size[l], out = l == L - 1;
        float *c = sl->c[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T * cb, N, K, 1.0f, sl->s[l - 1], K,
                    net->par[(size_t)2 * l], K, 0.0f, c, N);
        const float *bias = net->par[2 * l + 1];
        float *s = out ? NULL : sl->s[l], *sg = sl->sg[l];
        for (int b = 0; b < cb; b++) {
            for (int o = 0; o < N; o++) {
                float m = 0.0f, sprev = 0.0f, count = 0.0f;
                for (int t = 0; t < T; t++) {
                    size_t i = ((size_t)t * cb + b) * N + o;
                    m = beta * m + c[i] + bias[o] - sprev * thr;
                    sprev = spike_fn(p, m - thr);
                    if (out)
                        count += sprev;
                    else
                        s[i] = sprev;
                    if (train) sg[i] = surrogate(p, m - thr);
                }
                if (out) k->cnt[(size_t)b * N + o] = count;
            }
        }
    }
}

/* The first largest count among the active outputs (act NULL: all). */
static int argmax_lowest(const float *c, int n, const unsigned char *act)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if ((!act || act[i]) && (best < 0 || c[i] > c[best])) best = i;
    return best < 0 ? 0 : best;
}

/* Cross-entropy of softmax(counts) over the active outputs (act NULL: all) for one sample;
 * with g != NULL also writes d(mean loss)/d counts = (softmax - onehot) / nb, 0 on inactive
 * outputs (they are outside the softmax, as if their logits were -infinity). */
static double ce_loss(const float *c, int O, int y, float *g, int nb, const unsigned char *act)
{
    int imax = argmax_lowest(c, O, act);
    double mx = c[imax], z = 1.0; /* z >= exp(c[imax] - mx) = 1 */
    for (int o = 0; o < O; o++)
        if (o != imax && (!act || act[o])) z += exp((double)c[o] - mx);
    double logz = mx + log(z);
    if (g)
        for (int o = 0; o < O; o++)
            g[o] = act && !act[o] ? 0.0f
                                  : (float)((exp((double)c[o] - logz) - (o == y ? 1.0 : 0.0)) / nb);
    return logz - (double)c[y];
}

/* BPTT of one spike-driven layer l >= 1, backward in time; g = d loss / d mem[t] is
 * written over its currents. The output layer's d loss / d spk[t] is the constant gcnt;
 * a hidden layer's is in s[l] (left there by the layer above).
 *   d loss / d spk[t] -= thr * g[t+1]  (only if the reset is attached)
 *   g[t] = (d loss / d spk[t]) * sg[t] + beta * g[t+1]                              */
static void layer_backward_time(const sm_sgsnn *net, chunk *k, int l)
{
    const sm_sgsnn_params *p = &net->p;
    const int N = net->size[l + 1], T = p->steps, cb = k->cb, out = l == net->L - 1;
    const float beta = p->beta, thr = p->threshold;
    const int attached = !p->detach_reset;
    slot *sl = k->sl;
    float *g = sl->c[l];
    const float *sg = sl->sg[l], *gspk = out ? NULL : sl->s[l];
    for (int b = 0; b < cb; b++) {
        for (int o = 0; o < N; o++) {
            float gnext = 0.0f, gc = out ? k->gcnt[(size_t)b * N + o] : 0.0f;
            for (int t = T - 1; t >= 0; t--) {
                size_t i = ((size_t)t * cb + b) * N + o;
                if (!out) gc = gspk[i];
                float gs = attached ? gc - thr * gnext : gc;
                float gm = gs * sg[i] + beta * gnext;
                g[i] = gm;
                gnext = gm;
            }
        }
    }
}

/* BPTT of one chunk after its forward pass: leaves d loss / d cur1 in k->cur1 and the
 * chunk's dW, db of every layer >= 1 in k->gw, k->gb. */
static void chunk_backward(const sm_sgsnn *net, chunk *k)
{
    const sm_sgsnn_params *p = &net->p;
    const int H = p->n_hidden, O = p->n_out, T = p->steps, cb = k->cb;
    const float beta = p->beta, thr = p->threshold;
    const int attached = !p->detach_reset;
    slot *sl = k->sl;

    for (int b = 0; b < cb; b++)
        k->loss[b] = ce_loss(k->cnt + (size_t)b * O, O, k->y[b], k->gcnt + (size_t)b * O, k->nb,
                             net->active);

    for (int l = net->L - 1; l >= 1; l--) {
        const int N = net->size[l + 1], K = net->size[l];
        layer_backward_time(net, k, l);
        const float *g = sl->c[l];
        /* dW = g^T s_prev (N x K), summed over steps and samples by one GEMM; db = sum g */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, T * cb, 1.0f, g, N, sl->s[l - 1],
                    K, 0.0f, k->gw[l], K);
        for (int o = 0; o < N; o++) {
            double sum = 0.0;
            for (size_t r = 0; r < (size_t)T * cb; r++)
                sum += g[r * N + o];
            k->gb[l][o] = (float)sum;
        }
        /* d loss / d s_prev through the currents, written over s_prev (no longer needed) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T * cb, K, N, 1.0f, g, N,
                    net->par[(size_t)2 * l], K, 0.0f, sl->s[l - 1], K);
    }

    /* First hidden layer, backward in time; its input current is constant, so
     * d loss / d cur1 = sum_t d loss / d mem1[t], accumulated over cur1 (no longer needed);
     * mem1 holds d loss / d mem1[t+1]. */
    for (int b = 0; b < cb; b++) {
        float *restrict gn = sl->mem1 + (size_t)b * H, *restrict gc = k->cur1 + (size_t)b * H;
        for (int h = 0; h < H; h++)
            gn[h] = gc[h] = 0.0f;
        for (int t = T - 1; t >= 0; t--) {
            const float *restrict gs = sl->s[0] + ((size_t)t * cb + b) * H;
            const float *restrict sg = sl->sg[0] + ((size_t)t * cb + b) * H;
            if (attached)
                for (int h = 0; h < H; h++) {
                    float gm = (gs[h] - thr * gn[h]) * sg[h] + beta * gn[h];
                    gc[h] += gm;
                    gn[h] = gm;
                }
            else
                for (int h = 0; h < H; h++) {
                    float gm = gs[h] * sg[h] + beta * gn[h];
                    gc[h] += gm;
                    gn[h] = gm;
                }
        }
    }
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Forward (and with `train` BPTT) of nb <= batch_size samples whose rows are contiguous
 * in x. Fills cnt, and sloss when y is given; with `train`, the gradient buffers. */
static sm_status run_minibatch(sm_sgsnn *net, const float *x, const int *y, int nb, int train,
                               sm_error *err)
{
    const int D = net->p.n_in, H = net->p.n_hidden, O = net->p.n_out;
    const int nt = n_threads(net);
    sm_status st = ensure_slots(net, nt, err);
    if (st != SM_OK) return st;

    /* 1. u = x W1^T + b1 (nb x U), by fixed blocks of rows of W1: straight into cur1 (U = H)
     * or, with LayerNorm / ON/OFF, into pre and then through the drive per image */
    float *cur1 = net->cur1;
    const float *w1 = net->par[0], *b1 = net->par[1];
    const int U = net->U, xf = net->xform, nblk1 = (U + SGSNN_ROWS - 1) / SGSNN_ROWS;
    float *u = xf ? net->pre : cur1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nblk1 > 1)
    for (int blk = 0; blk < nblk1; blk++) {
        int h0 = blk * SGSNN_ROWS, hn = U - h0 < SGSNN_ROWS ? U - h0 : SGSNN_ROWS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, hn, D, 1.0f, x, D,
                    w1 + (size_t)h0 * D, D, 0.0f, u + h0, U);
        for (int b = 0; b < nb; b++)
            for (int h = h0; h < h0 + hn; h++)
                u[(size_t)b * U + h] += b1[h];
    }
    if (xf)
#pragma omp parallel for schedule(static) num_threads(nt) if (nb > 1)
        for (int b = 0; b < nb; b++)
            sgsnn_drive_forward(net, u + (size_t)b * U, cur1 + (size_t)b * H, net->rstd + b);

    /* 2. the chunks */
    const int nc = (nb + net->chunk - 1) / net->chunk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nc > 1)
    for (int c = 0; c < nc; c++) {
        chunk k = chunk_at(net, x, y, nb, c, &net->slots[thread_id()]);
        chunk_forward(net, &k, train);
        if (train) {
            chunk_backward(net, &k);
        } else if (y) {
            for (int b = 0; b < k.cb; b++)
                k.loss[b] = ce_loss(k.cnt + (size_t)b * O, O, k.y[b], NULL, 1, net->active);
        }
    }
    if (!train) return SM_OK;

    /* 3. with LayerNorm / ON/OFF: d loss / d u per image (in image order: the LayerNorm
     * gain and shift gradients are sums over the images) */
    const float *gu = cur1;
    if (xf) {
        const int ln = net->p.layer_norm;
        double *acc = ln ? calloc(2 * (size_t)U, sizeof *acc) : NULL;
        if (ln && !acc) return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory");
        for (int b = 0; b < nb; b++)
            sgsnn_drive_backward(net, cur1 + (size_t)b * H, u + (size_t)b * U, net->rstd[b],
                                 net->gpre + (size_t)b * U, acc, ln ? acc + U : NULL);
        for (int j = 0; ln && j < U; j++) {
            net->grad[(size_t)2 * net->L][j] = (float)acc[j];
            net->grad[(size_t)2 * net->L + 1][j] = (float)acc[U + j];
        }
        free(acc);
        gu = net->gpre;
    }
    /* dW1 = gu^T x (U x D) and db1 over the whole minibatch, by the same blocks */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nblk1 > 1)
    for (int blk = 0; blk < nblk1; blk++) {
        int h0 = blk * SGSNN_ROWS, hn = U - h0 < SGSNN_ROWS ? U - h0 : SGSNN_ROWS;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hn, D, nb, 1.0f, gu + h0, U, x, D,
                    0.0f, net->grad[0] + (size_t)h0 * D, D);
        for (int h = h0; h < h0 + hn; h++) {
            double sum = 0.0;
            for (int b = 0; b < nb; b++)
                sum += gu[(size_t)b * U + h];
            net->grad[1][h] = (float)sum;
        }
    }
    /* dW, db of the later layers = sum of the chunk gradients, always in chunk order */
    for (int q = 2; q < 2 * net->L; q++) {
        const size_t n = net->len[q];
        const float *cg = net->cgrad[q];
        float *g = net->grad[q];
        for (size_t i = 0; i < n; i++) {
            float sum = cg[i];
            for (int c = 1; c < nc; c++)
                sum += cg[(size_t)c * n + i];
            g[i] = sum;
        }
    }
    return SM_OK;
}

/* Forward + backward on nb samples; x rows contiguous. */
static sm_status backprop(sm_sgsnn *net, const float *x, const int *y, int nb, double *loss_out,
                          int *correct_out, sm_error *err)
{
    sm_status st = run_minibatch(net, x, y, nb, 1, err);
    if (st != SM_OK) return st;
    const int O = net->p.n_out;
    double loss = 0.0;
    int correct = 0;
    for (int b = 0; b < nb; b++) {
        loss += net->sloss[b];
        correct += argmax_lowest(net->cnt + (size_t)b * O, O, net->active) == y[b];
    }
    loss /= nb;
    if (!isfinite(loss))
        return sm_error_set(err, SM_ENUMERIC, "sgsnn: the loss is %g (non-finite)", loss);
    if (loss_out) *loss_out = loss;
    if (correct_out) *correct_out = correct;
    return SM_OK;
}

static sm_status check_labels(const sm_sgsnn *net, const int *y, int n, const char *what,
                              sm_error *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= net->p.n_out)
            return sm_error_set(err, SM_EINVAL, "sgsnn: %s label %d at index %d is outside [0, %d)",
                                what, y[i], i, net->p.n_out);
        else if (net->active && !net->active[y[i]])
            return sm_error_set(err, SM_EINVAL,
                                "sgsnn: %s label %d at index %d is not an active output", what,
                                y[i], i);
    return SM_OK;
}

sm_status sm_sgsnn_backprop(sm_sgsnn *net, const float *x, const int *y, int n, double *loss,
                            int *n_correct, sm_error *err)
{
    if (!net || !x || !y)
        return sm_error_set(err, SM_EINVAL, "sgsnn_backprop: NULL network, inputs or labels");
    if (n < 1 || n > net->p.batch_size)
        return sm_error_set(err, SM_EINVAL,
                            "sgsnn_backprop: minibatch of %d samples, expected 1..%d", n,
                            net->p.batch_size);
    sm_status st = check_labels(net, y, n, "minibatch", err);
    if (st != SM_OK) return st;
    int saved = blas_serial_begin();
    st = backprop(net, x, y, n, loss, n_correct, err);
    blas_serial_end(saved);
    return st;
}

/* ---------------------------------------------------------------- active outputs
 * (continual learning: the loss and predictions over the classes seen so far) */

sm_status sm_sgsnn_set_active_outputs(sm_sgsnn *net, const unsigned char *active, sm_error *err)
{
    if (!net) return sm_error_set(err, SM_EINVAL, "sgsnn_set_active_outputs: NULL network");
    if (!active) {
        free(net->active);
        net->active = NULL;
        return SM_OK;
    }
    const int O = net->p.n_out;
    int any = 0;
    for (int o = 0; o < O; o++)
        any |= active[o] != 0;
    if (!any) return sm_error_set(err, SM_EINVAL, "sgsnn_set_active_outputs: no output is active");
    if (!net->active && !(net->active = malloc((size_t)O)))
        return sm_error_set(err, SM_ENOMEM, "sgsnn_set_active_outputs: out of memory");
    for (int o = 0; o < O; o++)
        net->active[o] = active[o] != 0;
    return SM_OK;
}

/* ---------------------------------------------------------------- Adam */

void sm_sgsnn_adam_update(float *p, const float *g, float *m, float *v, size_t n, long step,
                          float lr, float beta1, float beta2, float eps)
{
    /* As torch.optim.Adam (single-tensor path): the bias corrections in double, the
     * elementwise work in float; m is updated by lerp as PyTorch does. */
    double bc1 = 1.0 - pow((double)beta1, (double)step);
    double bc2 = 1.0 - pow((double)beta2, (double)step);
    float step_size = (float)((double)lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float w1 = 1.0f - beta1, w2 = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        m[i] += w1 * (g[i] - m[i]);
        v[i] = beta2 * v[i] + w2 * g[i] * g[i];
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] -= step_size * (m[i] / denom);
    }
}

void sm_sgsnn_adam_update_masked(float *p, const float *g, float *m, float *v, const uint8_t *mask,
                                 size_t n, long step, float lr, float beta1, float beta2, float eps)
{
    /* the same arithmetic as sm_sgsnn_adam_update, entry by entry */
    double bc1 = 1.0 - pow((double)beta1, (double)step);
    double bc2 = 1.0 - pow((double)beta2, (double)step);
    float step_size = (float)((double)lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float w1 = 1.0f - beta1, w2 = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        if (!mask[i]) continue;
        m[i] += w1 * (g[i] - m[i]);
        v[i] = beta2 * v[i] + w2 * g[i] * g[i];
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] -= step_size * (m[i] / denom);
    }
}

void sm_sgsnn_adam_step(sm_sgsnn *net)
{
    const sm_sgsnn_params *p = &net->p;
    net->adam_t++;
    /* W1 dominates: split it into chunks, each updated independently (elementwise, so
     * the result does not depend on the split). */
    const size_t block = 16384;
    for (int k = 0; k < net->n_par; k++) {
        size_t n = net->len[k], nblocks = (n + block - 1) / block;
        float *par = net->par[k], *m = net->adam_m[k], *v = net->adam_v[k];
        const float *g = net->grad[k];
        const uint8_t *mask = net->sp && k % 2 == 0 && k < 2 * net->L ? net->sp->mask[k / 2] : NULL;
        long t = net->adam_t;
#pragma omp parallel for schedule(static) num_threads(n_threads(net)) if (nblocks > 1)
        for (size_t c = 0; c < nblocks; c++) {
            size_t lo = c * block, len = lo + block > n ? n - lo : block;
            if (mask)
                sm_sgsnn_adam_update_masked(par + lo, g + lo, m + lo, v + lo, mask + lo, len, t,
                                            p->lr, p->adam_beta1, p->adam_beta2, p->adam_eps);
            else
                sm_sgsnn_adam_update(par + lo, g + lo, m + lo, v + lo, len, t, p->lr, p->adam_beta1,
                                     p->adam_beta2, p->adam_eps);
        }
    }
}

/* ---------------------------------------------------------------- evaluation */

sm_status sm_sgsnn_predict(sm_sgsnn *net, const float *x, int n, int *pred, float *counts,
                           sm_error *err)
{
    if (!net || (n > 0 && !x))
        return sm_error_set(err, SM_EINVAL, "sgsnn_predict: NULL network or inputs");
    if (n < 0) return sm_error_set(err, SM_EINVAL, "sgsnn_predict: negative count %d", n);
    const int B = net->p.batch_size, D = net->p.n_in, O = net->p.n_out;
    int saved = blas_serial_begin();
    for (int start = 0; start < n; start += B) {
        int nb = n - start < B ? n - start : B;
        sm_status st = run_minibatch(net, x + (size_t)start * D, NULL, nb, 0, err);
        if (st != SM_OK) {
            blas_serial_end(saved);
            return st;
        }
        for (int b = 0; b < nb; b++) {
            const float *c = net->cnt + (size_t)b * O;
            if (pred) pred[start + b] = argmax_lowest(c, O, net->active);
            if (counts) memcpy(counts + (size_t)(start + b) * O, c, (size_t)O * sizeof(float));
        }
    }
    blas_serial_end(saved);
    return SM_OK;
}

sm_status sm_sgsnn_evaluate(sm_sgsnn *net, const float *x, const int *y, int n, double *accuracy,
                            double *loss, sm_error *err)
{
    if (!net || (n > 0 && (!x || !y)))
        return sm_error_set(err, SM_EINVAL, "sgsnn_evaluate: NULL network, inputs or labels");
    if (n < 0) return sm_error_set(err, SM_EINVAL, "sgsnn_evaluate: negative count %d", n);
    sm_status st = check_labels(net, y, n, "evaluation", err);
    if (st != SM_OK) return st;
    const int B = net->p.batch_size, D = net->p.n_in, O = net->p.n_out;
    double lsum = 0.0;
    long correct = 0;
    int saved = blas_serial_begin();
    for (int start = 0; start < n; start += B) {
        int nb = n - start < B ? n - start : B;
        st = run_minibatch(net, x + (size_t)start * D, y + start, nb, 0, err);
        if (st != SM_OK) {
            blas_serial_end(saved);
            return st;
        }
        for (int b = 0; b < nb; b++) {
            lsum += net->sloss[b];
            correct += argmax_lowest(net->cnt + (size_t)b * O, O, net->active) == y[start + b];
        }
    }
    blas_serial_end(saved);
    if (accuracy) *accuracy = n > 0 ? (double)correct / n : NAN;
    if (loss) *loss = n > 0 ? lsum / n : NAN;
    return SM_OK;
}

/* ---------------------------------------------------------------- sleep */

void sm_sgsnn_powerlaw_map(float *w, size_t n, float target, float lambda, int threads)
{
    const double tg = target, lam = lambda;
#pragma omp parallel for schedule(static) num_threads(sm_threads(threads)) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)w[i]);
        if (a == 0.0) continue;
        double m = tg * pow(a / tg, lam);
        w[i] = (float)(w[i] < 0.0f ? -m : m);
    }
}

void sm_sgsnn_stdp_step(int n_pre, int n_post, const float *s_pre, const float *s_post,
                        float *x_pre, float *x_post, float decay, float a_plus, float a_minus,
                        float *dw)
{
    for (int j = 0; j < n_pre; j++)
        x_pre[j] = decay * x_pre[j] + s_pre[j];
    for (int i = 0; i < n_post; i++)
        x_post[i] = decay * x_post[i] + s_post[i];
    /* potentiation: each post spike adds a_plus x (presynaptic traces) to its row */
    for (int i = 0; i < n_post; i++) {
        if (s_post[i] == 0.0f) continue;
        float *row = dw + (size_t)i * n_pre;
        float a = a_plus * s_post[i];
        for (int j = 0; j < n_pre; j++)
            row[j] += a * x_pre[j];
    }
    /* depression: each pre spike subtracts a_minus x (postsynaptic traces) from its column */
    for (int j = 0; j < n_pre; j++) {
        if (s_pre[j] == 0.0f) continue;
        float a = a_minus * s_pre[j];
        for (int i = 0; i < n_post; i++)
            dw[(size_t)i * n_pre + j] -= a * x_post[i];
    }
}

sm_status sm_sgsnn_sleep_pass(sm_sgsnn *net, sm_error *err)
{
    const sm_sgsnn_params *p = &net->p;
    const int L = net->L, D = p->n_in;
    const float beta = p->beta, thr = p->threshold, sd = p->sleep_noise_sd;
    const float decay = expf(-1.0f / p->stdp_tau);
    int N = 0, maxn = 0; /* all neurons of layers 0..L-1, in layer order (the noise index) */
    for (int l = 0; l < L; l++) {
        N += net->size[l + 1];
        if (net->size[l + 1] > maxn) maxn = net->size[l + 1];
    }
    if (maxn < 1)
        return sm_error_set(err, SM_EINVAL, "sgsnn_sleep_pass: the network has no neurons");

    /* state (one network, no batch): per layer membranes, spikes (now and previous step),
     * postsynaptic trace and its copy as the next layer's presynaptic trace; noise */
    float *buf = falloc((size_t)D * 2 + (size_t)N * 6 + (size_t)net->size[1]);
    int *spk = malloc((size_t)maxn * sizeof(int));
    if (!buf || !spk) {
        free(buf);
        free(spk);
        return sm_error_set(err, SM_ENOMEM, "sgsnn_sleep_pass: out of memory");
    }
    float *s_in = buf, *x_in = s_in + D; /* the input layer: silent, so its trace stays 0 */
    float *mem[SM_SGSNN_MAX_LAYERS], *s[SM_SGSNN_MAX_LAYERS], *s_prev[SM_SGSNN_MAX_LAYERS];
    float *x_post[SM_SGSNN_MAX_LAYERS], *x_pre[SM_SGSNN_MAX_LAYERS];
    float *q = x_in + D, *noise = q + (size_t)N * 5, *drive0 = noise + N;
    /* zero input: the first hidden layer's current is its drive for u = b1 (b1 itself
     * without LayerNorm or the ON/OFF split) */
    sm_sgsnn_hidden_drive(net, net->par[1], drive0);
    for (int l = 0; l < L; l++) {
        const int n = net->size[l + 1];
        mem[l] = q;
        s[l] = q + n;
        s_prev[l] = q + (size_t)2 * n;
        x_post[l] = q + (size_t)3 * n;
        x_pre[l] = q + (size_t)4 * n;
        q += (size_t)5 * n;
        memset(net->dw[l], 0, net->len[(size_t)2 * l] * sizeof(float));
    }

    for (int t = 0; t < p->sleep_steps; t++) {
        uint64_t counter = net->sleep_step++;
        for (int k = 0; k < N; k += 4) {
            sm_rng_words w =
                sm_rng_block(p->seed, SM_STREAM_SGSNN, counter, PURPOSE_NOISE | (uint32_t)(k / 4));
            double z[4];
            sm_rng_normal2(w.w[0], w.w[1], &z[0], &z[1]);
            sm_rng_normal2(w.w[2], w.w[3], &z[2], &z[3]);
            for (int u = 0; u < 4 && k + u < N; u++)
                noise[k + u] = (float)((double)sd * z[u]);
        }
        const float *nz = noise;
        int nspk = 0;
        for (int l = 0; l < L; l++) {
            const int n = net->size[l + 1], K = net->size[l];
            const float *bias = l == 0 ? drive0 : net->par[2 * l + 1], *w = net->par[(size_t)2 * l];
            float *m = mem[l], *sp = s[l], *spp = s_prev[l];
            if (l == 0) {
                /* first hidden layer: zero input, so the current is the bias alone */
                for (int h = 0; h < n; h++) {
                    float v = beta * m[h] + bias[h] + nz[h] - spp[h] * thr;
                    m[h] = v;
                    sp[h] = v > thr ? 1.0f : 0.0f;
                }
            } else {
                /* current = b + W s_prev_layer, summed over that layer's spikes only */
                for (int o = 0; o < n; o++) {
                    const float *row = w + (size_t)o * K;
                    float c = bias[o];
                    for (int u = 0; u < nspk; u++)
                        c += row[spk[u]];
                    float v = beta * m[o] + c + nz[o] - spp[o] * thr;
                    m[o] = v;
                    sp[o] = v > thr ? 1.0f : 0.0f;
                }
            }
            nspk = 0;
            for (int h = 0; h < n; h++)
                if (sp[h] != 0.0f) spk[nspk++] = h;
            nz += n;
        }
        /* STDP on every layer. A hidden layer's trace appears twice (post of its input
         * weights, pre of its output weights) so that each call advances its own copy
         * once per step. */
        for (int l = 0; l < L; l++) {
            const int n = net->size[l + 1], K = net->size[l];
            if (l == 0 && net->U != n) /* ON/OFF: the input is silent, so W1's update is 0 */
                continue;
            if (l == 0)
                sm_sgsnn_stdp_step(D, n, s_in, s[0], x_in, x_post[0], decay, p->stdp_a_plus,
                                   p->stdp_a_minus, net->dw[0]);
            else
                sm_sgsnn_stdp_step(K, n, s[l - 1], s[l], x_pre[l - 1], x_post[l], decay,
                                   p->stdp_a_plus, p->stdp_a_minus, net->dw[l]);
        }
        for (int l = 0; l < L; l++)
            memcpy(s_prev[l], s[l], (size_t)net->size[l + 1] * sizeof(float));
    }
    free(spk);
    free(buf);

    for (int l = 0; l < L; l++)
        for (size_t i = 0; i < net->len[(size_t)2 * l]; i++)
            net->par[(size_t)2 * l][i] += p->stdp_lr * net->dw[l][i];
    for (int l = 0; l < L; l++)
        sm_sgsnn_powerlaw_map(net->par[(size_t)2 * l], net->len[(size_t)2 * l], p->sleep_target,
                              p->sleep_lambda, p->threads);
    if (net->sp) sgsnn_sparse_apply(net);
    net->sleep_passes++;
    return SM_OK;
}

static double total(const double *a, int n)
{
    double s = a[0];
    for (int i = 1; i < n; i++)
        s += a[i];
    return s;
}

int sm_sgsnn_sleep_phase(sm_sgsnn *net, int max_iters)
{
    const double w0 = total(net->w0, net->L);
    int done = 0;
    while (done < max_iters) {
        if (sm_sgsnn_sleep_pass(net, NULL) != SM_OK) break;
        done++;
        if (net->p.sleep_stop > 0.0) {
            double s[SM_SGSNN_MAX_LAYERS] = {0};
            sm_sgsnn_sum_abs_w(net, s);
            if (total(s, net->L) <= net->p.sleep_stop * w0) break;
        }
    }
    return done;
}

long sm_sgsnn_sleep_period(double rate)
{
    if (!(rate > 0.0)) return 0;
    double q = floor(1.0 / rate + 1e-9);
    return q < 1.0 ? 1 : (long)q;
}

/* ---------------------------------------------------------------- training */

void sm_sgsnn_track_grad_norms(sm_sgsnn *net, int on)
{
    net->track_grad = on != 0;
}

/* ||dL/dW_l||_F of the current gradient, added to sum[l] and maxed into max[l]. */
static void grad_norms(sm_sgsnn *net, double *sum, double *max)
{
    for (int l = 0; l < net->L; l++) {
        const sm_sgsnn_layer g = sm_sgsnn_get_grad(net, l);
        double q = 0;
        for (size_t i = 0; i < (size_t)g.rows * g.cols; i++)
            q += (double)g.w[i] * g.w[i];
        sum[l] += sqrt(q);
        if (sqrt(q) > max[l]) max[l] = sqrt(q);
    }
}

static sm_status train_epoch(sm_sgsnn *net, const float *x, const int *y, int n,
                             const float *x_test, const int *y_test, int n_test,
                             sm_sgsnn_epoch_stats *stats, sm_error *err)
{
    if (!net || !x || !y || n < 1)
        return sm_error_set(err, SM_EINVAL,
                            "sgsnn_train_epoch: needs a network and at least one sample (n = %d)",
                            n);
    if (n_test < 0 || (n_test > 0 && (!x_test || !y_test)))
        return sm_error_set(err, SM_EINVAL, "sgsnn_train_epoch: bad test set (n_test = %d)",
                            n_test);
    sm_status st = check_labels(net, y, n, "training", err);
    if (st == SM_OK) st = check_labels(net, y_test, n_test, "test", err);
    if (st != SM_OK) return st;
    const sm_sgsnn_params *p = &net->p;
    const int D = p->n_in, B = p->batch_size;
    double t0 = now_seconds(), t_sleep = 0.0, t_eval = 0.0, t_mask = 0.0;
    int updates = 0;
    if (net->sp) net->sp->iters_per_epoch = (n + B - 1) / B;

    int *order = malloc((size_t)n * sizeof(int));
    if (!order) return sm_error_set(err, SM_ENOMEM, "sgsnn_train_epoch: out of memory");
    for (int i = 0; i < n; i++)
        order[i] = i;
    sm_rng r;
    sm_rng_init(&r, p->seed, SM_STREAM_SGSNN,
                PURPOSE_SHUFFLE | ((uint32_t)net->epoch & 0x0fffffffu));
    sm_rng_shuffle(&r, order, n);

    const long period =
        p->sleep_mode == SM_SGSNN_SLEEP_PUBLISHED ? sm_sgsnn_sleep_period(p->sleep_rate) : 0;
    int passes = 0, batches = 0;
    double loss_sum = 0.0, gsum[SM_SGSNN_MAX_LAYERS] = {0}, gmax[SM_SGSNN_MAX_LAYERS] = {0};
    long correct = 0;
    for (int start = 0; start < n && st == SM_OK; start += B) {
        int nb = n - start < B ? n - start : B;
        for (int b = 0; b < nb; b++) {
            memcpy(net->xb + (size_t)b * D, x + (size_t)order[start + b] * D,
                   (size_t)D * sizeof(float));
            net->yb[b] = y[order[start + b]];
        }
        double loss = 0.0;
        int c = 0;
        st = backprop(net, net->xb, net->yb, nb, &loss, &c, err);
        if (st != SM_OK) break;
        loss_sum += loss * nb;
        correct += c;
        if (net->track_grad) grad_norms(net, gsum, gmax);
        batches++;
        sm_sgsnn_adam_step(net);
        net->minibatches++;
        if (net->sp) {
            double tm = now_seconds();
            int did = 0;
            st = sgsnn_sparse_after_step(net, &did, err);
            updates += did;
            t_mask += now_seconds() - tm;
            if (st != SM_OK) break;
        }
        if (period > 0 && net->minibatches % period == 0) {
            double ts = now_seconds();
            st = sm_sgsnn_sleep_pass(net, err);
            passes++;
            t_sleep += now_seconds() - ts;
        }
    }
    free(order);
    if (st != SM_OK) return st;

    double s[SM_SGSNN_MAX_LAYERS] = {0};
    if (p->sleep_mode == SM_SGSNN_SLEEP_EPOCH && p->sleep_rate > 0.0) {
        sm_rng_words w = sm_rng_block(p->seed, SM_STREAM_SGSNN, (uint64_t)net->epoch, PURPOSE_COIN);
        if (sm_u01(w.w[0]) < p->sleep_rate) {
            double ts = now_seconds();
            passes += sm_sgsnn_sleep_phase(net, p->sleep_max_iters);
            t_sleep += now_seconds() - ts;
        }
    } else if (p->sleep_mode == SM_SGSNN_SLEEP_TRIGGERED) {
        sm_sgsnn_sum_abs_w(net, s);
        if (total(s, net->L) > p->sleep_trigger * total(net->w0, net->L)) {
            double ts = now_seconds();
            passes += sm_sgsnn_sleep_phase(net, p->sleep_max_iters);
            t_sleep += now_seconds() - ts;
        }
    }
    net->epoch++;

    double acc = NAN, tloss = NAN;
    if (n_test > 0) {
        double te = now_seconds();
        st = sm_sgsnn_evaluate(net, x_test, y_test, n_test, &acc, &tloss, err);
        t_eval = now_seconds() - te;
        if (st != SM_OK) return st;
    }
    if (stats) {
        memset(stats, 0, sizeof *stats);
        stats->epoch = net->epoch;
        stats->train_loss = loss_sum / n;
        stats->train_acc = (double)correct / n;
        stats->test_acc = acc;
        stats->test_loss = tloss;
        sm_sgsnn_sum_abs_w(net, stats->sum_abs_w);
        for (int l = 0; l < net->L; l++)
            stats->sum_abs_w0[l] = net->w0[l];
        stats->n_layers = net->L;
        stats->mask_updates = updates;
        stats->mask_seconds = t_mask;
        sgsnn_sparse_stats(net, stats);
        stats->sleep_passes = passes;
        stats->sleep_passes_total = net->sleep_passes;
        stats->minibatches_total = net->minibatches;
        stats->sleep_seconds = t_sleep;
        stats->eval_seconds = t_eval;
        stats->wall_seconds = now_seconds() - t0;
        for (int l = 0; l < net->L; l++) {
            stats->grad_norm_mean[l] = net->track_grad ? gsum[l] / batches : NAN;
            stats->grad_norm_max[l] = net->track_grad ? gmax[l] : NAN;
        }
    }
    return SM_OK;
}

sm_status sm_sgsnn_train_epoch(sm_sgsnn *net, const float *x, const int *y, int n,
                               const float *x_test, const int *y_test, int n_test,
                               sm_sgsnn_epoch_stats *stats, sm_error *err)
{
    int saved = blas_serial_begin();
    sm_status st = train_epoch(net, x, y, n, x_test, y_test, n_test, stats, err);
    blas_serial_end(saved);
    return st;
}

sm_status sm_sgsnn_train(sm_sgsnn *net, const float *x, const int *y, int n, const float *x_test,
                         const int *y_test, int n_test, sm_sgsnn_epoch_fn cb, void *user,
                         sm_error *err)
{
    if (!net) return sm_error_set(err, SM_EINVAL, "sgsnn_train: NULL network");
    for (int e = 0; e < net->p.epochs; e++) {
        sm_sgsnn_epoch_stats st;
        sm_status s = sm_sgsnn_train_epoch(net, x, y, n, x_test, y_test, n_test, &st, err);
        if (s != SM_OK) return s;
        if (cb && cb(&st, user)) break;
    }
    return SM_OK;
}

/* ---------------------------------------------------------------- checkpoint state */

/* Layout: the parameter arrays (W1, b1, W2, b2, ...), then their Adam m and v, then the
 * counters, W0 per layer and, with masks, the sparse state. For the classic network this
 * is the layout of earlier versions. Gradients and workspaces are recomputed before they
 * are read, so they are not state. */
typedef struct sgsnn_counters {
    long adam_t, minibatches, sleep_passes;
    int epoch, pad;
    uint64_t sleep_step;
} sgsnn_counters;

size_t sm_sgsnn_state_size(const sm_sgsnn *net)
{
    size_t n = 0;
    for (int k = 0; k < net->n_par; k++)
        n += 3 * net->len[k] * sizeof(float);
    return n + sizeof(sgsnn_counters) + (size_t)net->L * sizeof(double) +
           sgsnn_sparse_state_size(net);
}

void sm_sgsnn_state_save(const sm_sgsnn *net, void *buf)
{
    char *b = buf;
    float *const *arrays[3] = {net->par, net->adam_m, net->adam_v};
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < net->n_par; k++) {
            memcpy(b, arrays[a][k], net->len[k] * sizeof(float));
            b += net->len[k] * sizeof(float);
        }
    sgsnn_counters c;
    memset(&c, 0, sizeof c);
    c.adam_t = net->adam_t;
    c.minibatches = net->minibatches;
    c.sleep_passes = net->sleep_passes;
    c.epoch = net->epoch;
    c.sleep_step = net->sleep_step;
    memcpy(b, &c, sizeof c);
    b += sizeof c;
    memcpy(b, net->w0, (size_t)net->L * sizeof(double));
    b += (size_t)net->L * sizeof(double);
    sgsnn_sparse_state_save(net, b);
}

void sm_sgsnn_state_load(sm_sgsnn *net, const void *buf)
{
    const char *b = buf;
    float **arrays[3] = {net->par, net->adam_m, net->adam_v};
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < net->n_par; k++) {
            memcpy(arrays[a][k], b, net->len[k] * sizeof(float));
            b += net->len[k] * sizeof(float);
        }
    sgsnn_counters c;
    memcpy(&c, b, sizeof c);
    b += sizeof c;
    net->adam_t = c.adam_t;
    net->minibatches = c.minibatches;
    net->sleep_passes = c.sleep_passes;
    net->epoch = c.epoch;
    net->sleep_step = c.sleep_step;
    memcpy(net->w0, b, (size_t)net->L * sizeof(double));
    b += (size_t)net->L * sizeof(double);
    sgsnn_sparse_state_load(net, b);
}
