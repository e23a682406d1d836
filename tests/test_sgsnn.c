/* Tests of the surrogate-gradient network (src/sgsnn.c).
 *
 * How the BPTT is checked. A Heaviside spike has no derivative, so finite differences
 * of the real network's loss say nothing about a surrogate gradient. Two checks together
 * cover it instead:
 *  1. Smooth twin + finite differences. With smooth_forward = 1 the library's forward
 *     uses, as the spike, the function whose derivative is the surrogate (atan:
 *     1/2 + atan(pi alpha u/2)/pi; fast sigmoid: 1/2 + u/(1+k|u|)), while its backward
 *     code is the very same as for Heaviside spikes. The network is then an ordinary
 *     differentiable function and its BPTT gradient must equal central finite differences
 *     of the loss, computed here in double by an independent straightforward forward
 *     pass. For a detached reset the finite differences hold the reset values fixed at
 *     those of the unperturbed run: that is exactly what detaching means.
 *  2. Heaviside forward against a reference BPTT. With real spikes the library's batched
 *     BLAS BPTT must equal a naive per-sample, per-step double-precision implementation
 *     of the same backward equations (the ones check 1 validated), for both surrogates
 *     and both reset options.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"

/* ------------------------------------------------------------ small helpers */

static void uniform_fill(float *a, size_t n, uint64_t seed, float lo, float hi)
{
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_USER, 0);
    for (size_t i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * (float)sm_rng_uniform(&r);
}

/* 4 -> 5 -> 3, T = 6, batch 8 */
static sm_sgsnn_params tiny_params(void)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = 4;
    p.n_hidden = 5;
    p.n_out = 3;
    p.steps = 6;
    p.batch_size = 8;
    p.seed = 7;
    p.threads = 1;
    return p;
}

static int layers_equal(sm_sgsnn *a, sm_sgsnn *b)
{
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer la = sm_sgsnn_get_layer(a, l), lb = sm_sgsnn_get_layer(b, l);
        if (memcmp(la.w, lb.w, sizeof(float) * (size_t)la.rows * la.cols)) return 0;
        if (memcmp(la.b, lb.b, sizeof(float) * (size_t)la.rows)) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ double reference */

typedef struct ref_net {
    int D, H, O, T;
    double beta, thr, alpha, k;
    int atan, detach, smooth;
    double *w1, *b1, *w2, *b2;
    const unsigned char *act; /* outputs inside the softmax (NULL: all) */
} ref_net;

static ref_net ref_from(sm_sgsnn *net)
{
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    ref_net r = {p->n_in,
                 p->n_hidden,
                 p->n_out,
                 p->steps,
                 p->beta,
                 p->threshold,
                 p->atan_alpha,
                 p->sigmoid_slope,
                 p->surrogate == SM_SGSNN_ATAN,
                 p->detach_reset,
                 p->smooth_forward,
                 NULL,
                 NULL,
                 NULL,
                 NULL,
                 NULL};
    double **dst[4] = {&r.w1, &r.b1, &r.w2, &r.b2};
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        size_t nw = (size_t)v.rows * v.cols;
        *dst[2 * l] = malloc(nw * sizeof(double));
        *dst[2 * l + 1] = malloc((size_t)v.rows * sizeof(double));
        for (size_t i = 0; i < nw; i++)
            (*dst[2 * l])[i] = v.w[i];
        for (int i = 0; i < v.rows; i++)
            (*dst[2 * l + 1])[i] = v.b[i];
    }
    return r;
}

static void ref_free(ref_net *r)
{
    free(r->w1);
    free(r->b1);
    free(r->w2);
    free(r->b2);
}

/* snnTorch's surrogates, written from their definitions */
static double ref_sg(const ref_net *r, double u)
{
    if (r->atan) {
        double a = M_PI / 2 * r->alpha * u;
        return r->alpha / 2 / (1 + a * a);
    }
    return 1 / ((1 + r->k * fabs(u)) * (1 + r->k * fabs(u)));
}

static double ref_spike(const ref_net *r, double u)
{
    if (!r->smooth) return u > 0 ? 1.0 : 0.0;
    if (r->atan) return 0.5 + atan(M_PI / 2 * r->alpha * u) / M_PI;
    return 0.5 + u / (1 + r->k * fabs(u));
}

/* Mean cross-entropy of the spike counts. reset_in (may be NULL): per sample, step and
 * neuron, the reset values to use instead of the previous spikes (hidden then output);
 * reset_out (may be NULL) records the ones used. min_margin (may be NULL): the smallest
 * |mem - thr| seen. */
static double ref_loss(const ref_net *r, const float *x, const int *y, int n,
                       const double *reset_in, double *reset_out, double *min_margin)
{
    const int D = r->D, H = r->H, O = r->O, T = r->T;
    const size_t per = (size_t)T * (H + O);
    double loss = 0, margin = 1e300;
    for (int s = 0; s < n; s++) {
        double cur[64], m1[64] = {0}, s1[64] = {0}, m2[64] = {0}, s2[64] = {0}, cnt[64] = {0};
        for (int h = 0; h < H; h++) {
            cur[h] = r->b1[h];
            for (int d = 0; d < D; d++)
                cur[h] += r->w1[h * D + d] * x[s * D + d];
        }
        for (int t = 0; t < T; t++) {
            const size_t base = s * per + (size_t)t * (H + O);
            for (int h = 0; h < H; h++) {
                double reset = reset_in ? reset_in[base + h] : s1[h];
                if (reset_out) reset_out[base + h] = reset;
                m1[h] = r->beta * m1[h] + cur[h] - reset * r->thr;
                margin = fmin(margin, fabs(m1[h] - r->thr));
                s1[h] = ref_spike(r, m1[h] - r->thr);
            }
            for (int o = 0; o < O; o++) {
                double c = r->b2[o];
                for (int h = 0; h < H; h++)
                    c += r->w2[o * H + h] * s1[h];
                double reset = reset_in ? reset_in[base + H + o] : s2[o];
                if (reset_out) reset_out[base + H + o] = reset;
                m2[o] = r->beta * m2[o] + c - reset * r->thr;
                margin = fmin(margin, fabs(m2[o] - r->thr));
                s2[o] = ref_spike(r, m2[o] - r->thr);
                cnt[o] += s2[o];
            }
        }
        /* softmax over the active outputs only (an inactive logit is -infinity) */
        double mx = -1e300, z = 0;
        for (int o = 0; o < O; o++)
            if (!r->act || r->act[o]) mx = fmax(mx, cnt[o]);
        for (int o = 0; o < O; o++)
            if (!r->act || r->act[o]) z += exp(cnt[o] - mx);
        loss += mx + log(z) - cnt[y[s]];
    }
    if (min_margin) *min_margin = margin;
    return loss / n;
}

/* The backward equations, one sample and one step at a time. Gradients are added to g
 * (layout W1, b1, W2, b2 concatenated). */
static void ref_grad(const ref_net *r, const float *x, const int *y, int n, double *g)
{
    const int D = r->D, H = r->H, O = r->O, T = r->T;
    double *gw1 = g, *gb1 = gw1 + H * D, *gw2 = gb1 + H, *gb2 = gw2 + O * H;
    for (int s = 0; s < n; s++) {
        double cur[64], m1[16][64], s1[16][64], m2[16][64], cnt[64] = {0};
        for (int h = 0; h < H; h++) {
            cur[h] = r->b1[h];
            for (int d = 0; d < D; d++)
                cur[h] += r->w1[h * D + d] * x[s * D + d];
        }
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++) {
                double prev_m = t ? m1[t - 1][h] : 0, prev_s = t ? s1[t - 1][h] : 0;
                m1[t][h] = r->beta * prev_m + cur[h] - prev_s * r->thr;
                s1[t][h] = ref_spike(r, m1[t][h] - r->thr);
            }
        for (int t = 0; t < T; t++)
            for (int o = 0; o < O; o++) {
                double c = r->b2[o];
                for (int h = 0; h < H; h++)
                    c += r->w2[o * H + h] * s1[t][h];
                double prev_m = t ? m2[t - 1][o] : 0;
                double prev_s = t ? ref_spike(r, m2[t - 1][o] - r->thr) : 0;
                m2[t][o] = r->beta * prev_m + c - prev_s * r->thr;
                cnt[o] += ref_spike(r, m2[t][o] - r->thr);
            }
        double mx = cnt[0], z = 0, gc[64];
        for (int o = 1; o < O; o++)
            mx = fmax(mx, cnt[o]);
        for (int o = 0; o < O; o++)
            z += exp(cnt[o] - mx);
        for (int o = 0; o < O; o++)
            gc[o] = (exp(cnt[o] - mx) / z - (o == y[s])) / n;

        double gm2_next[64] = {0}, gm1_next[64] = {0}, gcur[64] = {0};
        double gs1[16][64];
        for (int t = T - 1; t >= 0; t--)
            for (int o = 0; o < O; o++) {
                double gspk = gc[o] - (r->detach ? 0 : r->thr * gm2_next[o]);
                double gm = gspk * ref_sg(r, m2[t][o] - r->thr) + r->beta * gm2_next[o];
                gm2_next[o] = gm;
                gb2[o] += gm;
                for (int h = 0; h < H; h++)
                    gw2[o * H + h] += gm * s1[t][h];
                for (int h = 0; h < H; h++)
                    gs1[t][h] = (o ? gs1[t][h] : 0) + gm * r->w2[o * H + h];
            }
        for (int t = T - 1; t >= 0; t--)
            for (int h = 0; h < H; h++) {
                double gspk = gs1[t][h] - (r->detach ? 0 : r->thr * gm1_next[h]);
                double gm = gspk * ref_sg(r, m1[t][h] - r->thr) + r->beta * gm1_next[h];
                gm1_next[h] = gm;
                gcur[h] += gm;
            }
        for (int h = 0; h < H; h++) {
            gb1[h] += gcur[h];
            for (int d = 0; d < D; d++)
                gw1[h * D + d] += gcur[h] * x[s * D + d];
        }
    }
}

/* The library's gradient, as one array in the reference's layout. */
static double *lib_grad(sm_sgsnn *net, size_t *count)
{
    size_t total = 0;
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_grad(net, l);
        total += (size_t)v.rows * v.cols + v.rows;
    }
    double *g = malloc(total * sizeof(double)), *q = g;
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_grad(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            *q++ = v.w[i];
        for (int i = 0; i < v.rows; i++)
            *q++ = v.b[i];
    }
    *count = total;
    return g;
}

static double *ref_param(ref_net *r, size_t i)
{
    size_t n1 = (size_t)r->H * r->D, n2 = n1 + r->H, n3 = n2 + (size_t)r->O * r->H;
    if (i < n1) return &r->w1[i];
    if (i < n2) return &r->b1[i - n1];
    if (i < n3) return &r->w2[i - n2];
    return &r->b2[i - n3];
}

/* A tiny network whose weights are scaled up so that most neurons spike sometimes. */
static sm_sgsnn *tiny_net(sm_sgsnn_surrogate sur, int detach, int smooth, float *x, int *y)
{
    sm_sgsnn_params p = tiny_params();
    p.surrogate = sur;
    p.detach_reset = detach;
    p.smooth_forward = smooth;
    if (sur == SM_SGSNN_FAST_SIGMOID)
        p.sigmoid_slope = 5.0f; /* finite differences need
                                 * a curvature they resolve */
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            v.w[i] *= 3.0f;
        for (int i = 0; i < v.rows; i++)
            v.b[i] += 0.3f;
    }
    uniform_fill(x, (size_t)p.batch_size * p.n_in, 99, 0.0f, 1.0f);
    for (int i = 0; i < p.batch_size; i++)
        y[i] = i % p.n_out;
    return net;
}

/* act (may be NULL): the active outputs (sm_sgsnn_set_active_outputs) of the library and
 * the reference alike; the labels are then taken among the active outputs. */
static void check_against_finite_differences(sm_sgsnn_surrogate sur, int detach,
                                             const unsigned char *act)
{
    float x[8 * 4];
    int y[8];
    sm_sgsnn *net = tiny_net(sur, detach, 1, x, y);
    if (act) {
        int on[3], k = 0;
        for (int o = 0; o < 3; o++)
            if (act[o]) on[k++] = o;
        for (int i = 0; i < 8; i++)
            y[i] = on[i % k];
        assert_int_equal(sm_sgsnn_set_active_outputs(net, act, NULL), SM_OK);
    }
    double loss;
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, &loss, NULL, NULL), SM_OK);
    size_t n;
    double *g = lib_grad(net, &n);
    ref_net r = ref_from(net);
    r.act = act;
    double *frozen = NULL;
    if (detach) frozen = malloc(8 * (size_t)r.T * (r.H + r.O) * sizeof(double));
    double base = ref_loss(&r, x, y, 8, NULL, frozen, NULL);
    assert_float_near(loss, base, 1e-5); /* same forward */
    const double eps = 1e-5;
    double worst = 0, gmax = 0;
    for (size_t i = 0; i < n; i++) {
        double *w = ref_param(&r, i), keep = *w;
        *w = keep + eps;
        double lp = ref_loss(&r, x, y, 8, frozen, NULL, NULL);
        *w = keep - eps;
        double lm = ref_loss(&r, x, y, 8, frozen, NULL, NULL);
        *w = keep;
        double fd = (lp - lm) / (2 * eps);
        worst = fmax(worst, fabs(g[i] - fd) / (1e-3 + fabs(fd)));
        gmax = fmax(gmax, fabs(fd));
    }
    if (getenv("SGSNN_VERBOSE")) printf("  fd: worst rel err %.2e, max |g| %.3f\n", worst, gmax);
    assert_true(gmax > 1e-2);  /* the check is not vacuous */
    assert_true(worst < 1e-4); /* measured ~2e-6: float BPTT against double differences */
    free(frozen);
    free(g);
    ref_free(&r);
    sm_sgsnn_destroy(net);
}

static void bptt_atan_matches_finite_differences_with_reset_attached(void **state)
{
    (void)state;
    check_against_finite_differences(SM_SGSNN_ATAN, 0, NULL);
}

static void bptt_atan_matches_finite_differences_with_reset_detached(void **state)
{
    (void)state;
    check_against_finite_differences(SM_SGSNN_ATAN, 1, NULL);
}

static void bptt_fast_sigmoid_matches_finite_differences_with_reset_attached(void **state)
{
    (void)state;
    check_against_finite_differences(SM_SGSNN_FAST_SIGMOID, 0, NULL);
}

static void bptt_fast_sigmoid_matches_finite_differences_with_reset_detached(void **state)
{
    (void)state;
    check_against_finite_differences(SM_SGSNN_FAST_SIGMOID, 1, NULL);
}

static void check_against_reference(sm_sgsnn_surrogate sur, int detach)
{
    float x[8 * 4];
    int y[8];
    sm_sgsnn *net = tiny_net(sur, detach, 0, x, y);
    double loss;
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, &loss, NULL, NULL), SM_OK);
    size_t n;
    double *g = lib_grad(net, &n);
    ref_net r = ref_from(net);
    double margin;
    double rl = ref_loss(&r, x, y, 8, NULL, NULL, &margin);
    assert_true(margin > 1e-4); /* float and double runs make the same spikes */
    assert_float_near(loss, rl, 1e-5);
    double *rg = calloc(n, sizeof(double));
    ref_grad(&r, x, y, 8, rg);
    double worst = 0, gmax = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(g[i] - rg[i]) / (1e-4 + fabs(rg[i])));
        gmax = fmax(gmax, fabs(rg[i]));
    }
    if (getenv("SGSNN_VERBOSE"))
        printf("  ref: worst rel err %.2e, max |g| %.3f, margin %.1e\n", worst, gmax, margin);
    assert_true(gmax > 1e-2);
    assert_true(worst < 2e-5); /* measured ~2e-6: float against double */
    free(rg);
    free(g);
    ref_free(&r);
    sm_sgsnn_destroy(net);
}

static void bptt_with_spikes_matches_reference_atan_detached(void **state)
{
    (void)state;
    check_against_reference(SM_SGSNN_ATAN, 1);
}

static void bptt_with_spikes_matches_reference_atan_attached(void **state)
{
    (void)state;
    check_against_reference(SM_SGSNN_ATAN, 0);
}

static void bptt_with_spikes_matches_reference_fast_sigmoid_detached(void **state)
{
    (void)state;
    check_against_reference(SM_SGSNN_FAST_SIGMOID, 1);
}

static void bptt_with_spikes_matches_reference_fast_sigmoid_attached(void **state)
{
    (void)state;
    check_against_reference(SM_SGSNN_FAST_SIGMOID, 0);
}

/* Continual learning (spec continual.md C1): with only the outputs seen so far active
 * (class-incremental: outputs 0 and 1 of 3 after the first task), the loss is the
 * cross-entropy of the softmax over the active outputs. Its BPTT gradient must equal
 * central differences of the masked reference loss (which also finds the gradient of the
 * inactive output's weights to be 0: its count is outside the loss), for both surrogates. */
static void masked_head_gradient_matches_finite_differences(void **state)
{
    (void)state;
    static const unsigned char seen[3] = {1, 1, 0}, middle_off[3] = {1, 0, 1};
    check_against_finite_differences(SM_SGSNN_ATAN, 0, seen);
    check_against_finite_differences(SM_SGSNN_FAST_SIGMOID, 1, seen);
    check_against_finite_differences(SM_SGSNN_ATAN, 1, middle_off);
}

/* The mask is what changes the gradient: the inactive output's row of W2 and its bias get
 * exactly 0 (nothing reaches them), the same labels without the mask give a different
 * gradient, and NULL restores the unmasked one bit for bit. */
static void masked_head_zeroes_the_inactive_row_and_changes_the_rest(void **state)
{
    (void)state;
    static const unsigned char seen[3] = {1, 1, 0};
    float x[8 * 4];
    int y[8];
    size_t n;
    sm_sgsnn *net = tiny_net(SM_SGSNN_ATAN, 0, 0, x, y);
    for (int i = 0; i < 8; i++)
        y[i] = i % 2;
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, NULL, NULL, NULL), SM_OK);
    double *g_all = lib_grad(net, &n);
    assert_int_equal(sm_sgsnn_set_active_outputs(net, seen, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, NULL, NULL, NULL), SM_OK);
    double *g_seen = lib_grad(net, &n);
    sm_sgsnn_layer w2 = sm_sgsnn_get_grad(net, 1);
    for (int h = 0; h < w2.cols; h++)
        assert_true(w2.w[2 * w2.cols + h] == 0.0f);
    assert_true(w2.b[2] == 0.0f);
    double diff = 0, gmax = 0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs(g_all[i] - g_seen[i]));
        gmax = fmax(gmax, fabs(g_seen[i]));
    }
    assert_true(gmax > 1e-2);
    assert_true(diff > 1e-3);
    assert_int_equal(sm_sgsnn_set_active_outputs(net, NULL, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, NULL, NULL, NULL), SM_OK);
    double *g_back = lib_grad(net, &n);
    assert_memory_equal(g_back, g_all, n * sizeof *g_all);
    free(g_all);
    free(g_seen);
    free(g_back);
    sm_sgsnn_destroy(net);
}

/* Detaching the reset must matter, or the option would be untested by the above. */
static void detaching_the_reset_changes_the_gradient(void **state)
{
    (void)state;
    float x[8 * 4];
    int y[8];
    double *g[2];
    size_t n;
    for (int d = 0; d < 2; d++) {
        sm_sgsnn *net = tiny_net(SM_SGSNN_ATAN, d, 0, x, y);
        assert_int_equal(sm_sgsnn_backprop(net, x, y, 8, NULL, NULL, NULL), SM_OK);
        g[d] = lib_grad(net, &n);
        sm_sgsnn_destroy(net);
    }
    double diff = 0;
    for (size_t i = 0; i < n; i++)
        diff = fmax(diff, fabs(g[0][i] - g[1][i]));
    assert_true(diff > 1e-3);
    free(g[0]);
    free(g[1]);
}

/* ------------------------------------------------------------ forward semantics */

/* W = 0 and output biases 0.5, 2, 2, 1 (threshold 1, beta 0.95, T 6), by hand:
 *  0.5: mem 0.5, 0.975, 1.42625 (spike), 0.95*1.42625+0.5-1 = 0.85494, 1.31219 (spike),
 *       0.74658                                          -> 2 spikes
 *  2:   mem 2 (spike), 2.9, 3.755, ... always above 1     -> 6 spikes
 *  1:   mem 1.0 exactly: no spike (a spike needs mem > threshold); then 1.95, 1.8525,
 *       1.75988, 1.67188, 1.58829, all spikes             -> 5 spikes
 * and the tie between outputs 1 and 2 goes to the lower index. */
static void lif_counts_and_tie_break_match_hand_values(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_params();
    p.n_out = 4;
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 1);
    memset(l1.w, 0, sizeof(float) * (size_t)l1.rows * l1.cols);
    const float b2[4] = {0.5f, 2.0f, 2.0f, 1.0f};
    memcpy(l1.b, b2, sizeof b2);
    float x[4] = {0.1f, 0.2f, 0.3f, 0.4f}, counts[4];
    int pred;
    assert_int_equal(sm_sgsnn_predict(net, x, 1, &pred, counts, NULL), SM_OK);
    assert_float_equal(counts[0], 2.0f, 0);
    assert_float_equal(counts[1], 6.0f, 0);
    assert_float_equal(counts[2], 6.0f, 0);
    assert_float_equal(counts[3], 5.0f, 0);
    assert_int_equal(pred, 1);
    sm_sgsnn_destroy(net);
}

static void init_is_uniform_within_one_over_sqrt_fan_in(void **state)
{
    (void)state;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.batch_size = 4; /* keep the workspace small */
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        double bound = 1.0 / sqrt((double)v.cols), mean_abs = 0;
        size_t nw = (size_t)v.rows * v.cols;
        for (size_t i = 0; i < nw; i++) {
            assert_true(fabs(v.w[i]) <= bound);
            mean_abs += fabs(v.w[i]) / nw;
        }
        for (int i = 0; i < v.rows; i++)
            assert_true(fabs(v.b[i]) <= bound);
        assert_float_near(mean_abs, bound / 2, bound * 0.02); /* E|U(-a,a)| = a/2 */
    }
    sm_sgsnn_destroy(net);
}

/* ------------------------------------------------------------ Adam */

/* lr 0.1, betas 0.9/0.999, eps 1e-8, p0 = 1, gradients 0.5 then -1:
 *  t=1: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25 -> p = 1 - 0.1 * 0.5/0.5 = 0.9
 *  t=2: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975;
 *       m^ = -0.055/0.19, sqrt(v^) = sqrt(0.00124975/0.001999) = 0.790688
 *       -> p = 0.9 + 0.1 * (0.055/0.19) / 0.790688 = 0.9366104 */
static void adam_matches_hand_computed_steps(void **state)
{
    (void)state;
    float p = 1.0f, m = 0.0f, v = 0.0f, g = 0.5f;
    sm_sgsnn_adam_update(&p, &g, &m, &v, 1, 1, 0.1f, 0.9f, 0.999f, 1e-8f);
    assert_float_near(m, 0.05, 1e-7);    /* float: 1 - 0.9f is 0.100000024 */
    assert_float_near(v, 0.00025, 1e-8); /* 1 - 0.999f is 0.00099998713 */
    assert_float_near(p, 0.9, 1e-6);
    g = -1.0f;
    sm_sgsnn_adam_update(&p, &g, &m, &v, 1, 2, 0.1f, 0.9f, 0.999f, 1e-8f);
    assert_float_near(m, -0.055, 1e-7);
    assert_float_near(v, 0.00124975, 1e-7);
    assert_float_near(p, 0.9366104, 1e-6);
}

/* ------------------------------------------------------------ sleep building blocks */

/* lambda 0.5, target 0.2: 0.05 -> 0.2 sqrt(0.25) = 0.1; -0.8 -> -0.2 sqrt(4) = -0.4;
 * 0.2 stays; 0 stays. lambda 0.999: 0.05 -> 0.2 * 0.25^0.999 = 0.0500694 (grows: below
 * the target |w| moves up towards it). */
static void powerlaw_map_matches_hand_values(void **state)
{
    (void)state;
    float w[5] = {0.05f, -0.8f, 0.2f, 0.0f, 0.05f};
    sm_sgsnn_powerlaw_map(w, 4, 0.2f, 0.5f, 1);
    assert_float_near(w[0], 0.1, 1e-7);
    assert_float_near(w[1], -0.4, 1e-7);
    assert_float_near(w[2], 0.2, 1e-7);
    assert_float_equal(w[3], 0.0f, 0);
    sm_sgsnn_powerlaw_map(w + 4, 1, 0.2f, 0.999f, 1);
    assert_float_near(w[4], 0.0500694, 1e-7);
}

/* One pre and one post neuron, A+ 0.01, A- 0.012, d = exp(-1/20) = 0.951229.
 * pre spikes at t = 0 and 3, post at t = 2 and 3 (traces updated before use):
 *  t0: x_pre 1,      x_post 0      pre spike:  - A- * 0                 = 0
 *  t1: x_pre d,      x_post 0                                           = 0
 *  t2: x_pre d^2,    x_post 1      post spike: + A+ d^2                 = 0.0090484
 *  t3: x_pre d^3+1,  x_post d+1    both:       + A+ (d^3+1) - A- (d+1) = -0.0048077
 *  total dw = 0.0042407 */
static void stdp_matches_hand_computed_spike_train(void **state)
{
    (void)state;
    const float pre[4] = {1, 0, 0, 1}, post[4] = {0, 0, 1, 1};
    float x_pre = 0, x_post = 0, dw = 0;
    for (int t = 0; t < 4; t++)
        sm_sgsnn_stdp_step(1, 1, &pre[t], &post[t], &x_pre, &x_post, expf(-1.0f / 20.0f), 0.01f,
                           0.012f, &dw);
    assert_float_near(dw, 0.0042407, 1e-7);
    assert_float_near(x_pre, 1.860708, 1e-6);
    assert_float_near(x_post, 1.951229, 1e-6);
}

/* dw is post-major (rows = post, the nn.Linear layout): a pre spike on neuron 1 followed
 * by a post spike on neuron 0 touches dw[0][1] only. */
static void stdp_uses_post_major_layout(void **state)
{
    (void)state;
    float x_pre[3] = {0}, x_post[2] = {0}, dw[6] = {0};
    const float pre0[3] = {0, 1, 0}, post0[2] = {0, 0}, pre1[3] = {0, 0, 0}, post1[2] = {1, 0};
    sm_sgsnn_stdp_step(3, 2, pre0, post0, x_pre, x_post, 0.5f, 1.0f, 1.0f, dw);
    sm_sgsnn_stdp_step(3, 2, pre1, post1, x_pre, x_post, 0.5f, 1.0f, 1.0f, dw);
    for (int i = 0; i < 6; i++)
        assert_float_equal(dw[i], i == 1 ? 0.5f : 0.0f, 0);
}

static void sleep_period_is_floor_of_inverse_rate(void **state)
{
    (void)state;
    assert_int_equal(sm_sgsnn_sleep_period(0.0), 0);
    assert_int_equal(sm_sgsnn_sleep_period(0.1), 10);
    assert_int_equal(sm_sgsnn_sleep_period(0.2), 5);
    assert_int_equal(sm_sgsnn_sleep_period(0.3), 3);
    assert_int_equal(sm_sgsnn_sleep_period(0.4), 2);
    assert_int_equal(sm_sgsnn_sleep_period(0.5), 2);
    for (int k = 6; k <= 10; k++)
        assert_int_equal(sm_sgsnn_sleep_period(k / 10.0), 1);
}

/* With zero input the first layer's STDP sees no presynaptic spike: W1 changes only by
 * the power-law map, W2 also by STDP, and no bias changes. */
static void sleep_pass_changes_first_layer_only_by_the_map(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_params();
    p.n_hidden = 50;
    p.stdp_lr = 1.0f; /* make STDP visible next to the map */
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0), l1 = sm_sgsnn_get_layer(net, 1);
    size_t n0 = (size_t)l0.rows * l0.cols, n1 = (size_t)l1.rows * l1.cols;
    float *w0 = malloc(n0 * sizeof(float)), *w1 = malloc(n1 * sizeof(float));
    float b0[50], b1[3];
    memcpy(w0, l0.w, n0 * sizeof(float));
    memcpy(w1, l1.w, n1 * sizeof(float));
    memcpy(b0, l0.b, sizeof b0);
    memcpy(b1, l1.b, sizeof b1);
    sm_sgsnn_powerlaw_map(w0, n0, p.sleep_target, p.sleep_lambda, 1);
    sm_sgsnn_powerlaw_map(w1, n1, p.sleep_target, p.sleep_lambda, 1);
    assert_int_equal(sm_sgsnn_sleep_pass(net, NULL), SM_OK);
    assert_memory_equal(l0.w, w0, n0 * sizeof(float));
    assert_memory_not_equal(l1.w, w1, n1 * sizeof(float));
    assert_memory_equal(l0.b, b0, sizeof b0);
    assert_memory_equal(l1.b, b1, sizeof b1);
    free(w0);
    free(w1);
    sm_sgsnn_destroy(net);
}

/* ------------------------------------------------------------ synthetic task */

/* Four classes of noisy 15 x 15 images: a horizontal bar, a vertical bar (3 pixels wide,
 * anywhere), a 5 x 5 block (anywhere), a diagonal band (any offset); pixel =
 * min(1, 0.7 pattern + 0.4 noise). */
static void make_shapes(int n, uint64_t seed, float *x, int *y)
{
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_USER, 1);
    for (int s = 0; s < n; s++) {
        int c = s % 4, a = (int)sm_rng_below(&r, 11), b = (int)sm_rng_below(&r, 11);
        y[s] = c;
        for (int i = 0; i < 15; i++)
            for (int j = 0; j < 15; j++) {
                int on = c == 0   ? (i >= a + 1 && i < a + 4)
                         : c == 1 ? (j >= a + 1 && j < a + 4)
                         : c == 2 ? (i >= a && i < a + 5 && j >= b && j < b + 5)
                                  : abs(i - j - (a - 5)) <= 1;
                float v = 0.7f * (float)on + 0.4f * (float)sm_rng_uniform(&r);
                x[s * 225 + i * 15 + j] = v > 1.0f ? 1.0f : v;
            }
    }
}

static sm_sgsnn_params shapes_params(void)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_hidden = 100;
    p.n_out = 4;
    p.steps = 25;
    p.batch_size = 32;
    p.epochs = 6; /* seeds 1..8 all reach 0.97-1.0 by epoch 6 (seed 6 is the slowest) */
    p.seed = 3;
    return p;
}

typedef struct shapes {
    float *x, *xt;
    int *y, *yt;
    int n, nt;
} shapes;

static shapes shapes_make(int n, int nt)
{
    shapes s = {malloc((size_t)n * 225 * sizeof(float)),
                malloc((size_t)nt * 225 * sizeof(float)),
                malloc((size_t)n * sizeof(int)),
                malloc((size_t)nt * sizeof(int)),
                n,
                nt};
    make_shapes(n, 11, s.x, s.y);
    make_shapes(nt, 12, s.xt, s.yt);
    return s;
}

static void shapes_free(shapes *s)
{
    free(s->x);
    free(s->xt);
    free(s->y);
    free(s->yt);
}

static int record_last(const sm_sgsnn_epoch_stats *st, void *user)
{
    *(sm_sgsnn_epoch_stats *)user = *st;
    return 0;
}

static void learns_synthetic_shapes_to_ninety_percent(void **state)
{
    (void)state;
    shapes s = shapes_make(800, 400);
    sm_sgsnn_params p = shapes_params();
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    sm_sgsnn_epoch_stats last;
    sm_error err;
    assert_int_equal(sm_sgsnn_train(net, s.x, s.y, s.n, s.xt, s.yt, s.nt, record_last, &last, &err),
                     SM_OK);
    printf("  shapes: %d epochs, train loss %.3f acc %.3f, test acc %.3f, %.2f s/epoch\n",
           last.epoch, last.train_loss, last.train_acc, last.test_acc, last.wall_seconds);
    assert_int_equal(last.epoch, 6);
    assert_true(last.test_acc >= 0.9);
    double acc;
    assert_int_equal(sm_sgsnn_evaluate(net, s.xt, s.yt, s.nt, &acc, NULL, NULL), SM_OK);
    assert_float_equal(acc, last.test_acc, 0);
    shapes_free(&s);
    sm_sgsnn_destroy(net);
}

/* Same seed, same data -> bit-identical weights, with sleep noise in the run too. */
static void same_seed_gives_identical_weights(void **state)
{
    (void)state;
    shapes s = shapes_make(200, 8);
    sm_sgsnn_params p = shapes_params();
    p.epochs = 2;
    p.sleep_mode = SM_SGSNN_SLEEP_PUBLISHED;
    p.sleep_rate = 0.5;
    sm_sgsnn *a = sm_sgsnn_create(&p, NULL), *b = sm_sgsnn_create(&p, NULL);
    assert_int_equal(sm_sgsnn_train(a, s.x, s.y, s.n, NULL, NULL, 0, NULL, NULL, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_train(b, s.x, s.y, s.n, NULL, NULL, 0, NULL, NULL, NULL), SM_OK);
    assert_true(layers_equal(a, b));
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    p.seed = 4; /* and a different seed does change them */
    a = sm_sgsnn_create(&p, NULL);
    p.seed = 3;
    b = sm_sgsnn_create(&p, NULL);
    assert_false(layers_equal(a, b));
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    shapes_free(&s);
}

/* Chunks, fixed reduction order and single-threaded BLAS calls: 1 and 2 threads give
 * the same bits (8 chunks of 4 samples per minibatch of 32). */
static void thread_count_does_not_change_the_weights(void **state)
{
    (void)state;
    shapes s = shapes_make(200, 8);
    sm_sgsnn_params p = shapes_params();
    p.epochs = 1;
    p.threads = 1;
    sm_sgsnn *a = sm_sgsnn_create(&p, NULL);
    p.threads = 2;
    sm_sgsnn *b = sm_sgsnn_create(&p, NULL);
    assert_int_equal(sm_sgsnn_train(a, s.x, s.y, s.n, NULL, NULL, 0, NULL, NULL, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_train(b, s.x, s.y, s.n, NULL, NULL, 0, NULL, NULL, NULL), SM_OK);
    assert_true(layers_equal(a, b));
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    shapes_free(&s);
}

/* floor(1/0.4) = floor(1/0.5) = 2: the two rates give the same training, sleep
 * included (200 samples / 32 = 7 minibatches an epoch, 14 in 2 epochs -> 7 passes). */
static void sleep_rates_forty_and_fifty_percent_are_identical(void **state)
{
    (void)state;
    shapes s = shapes_make(200, 8);
    sm_sgsnn_params p = shapes_params();
    p.sleep_mode = SM_SGSNN_SLEEP_PUBLISHED;
    p.sleep_rate = 0.4;
    sm_sgsnn *a = sm_sgsnn_create(&p, NULL);
    p.sleep_rate = 0.5;
    sm_sgsnn *b = sm_sgsnn_create(&p, NULL);
    sm_sgsnn_epoch_stats sa, sb;
    for (int e = 0; e < 2; e++) {
        assert_int_equal(sm_sgsnn_train_epoch(a, s.x, s.y, s.n, NULL, NULL, 0, &sa, NULL), SM_OK);
        assert_int_equal(sm_sgsnn_train_epoch(b, s.x, s.y, s.n, NULL, NULL, 0, &sb, NULL), SM_OK);
    }
    assert_int_equal(sa.sleep_passes_total, 7);
    assert_int_equal(sb.sleep_passes_total, 7);
    assert_true(layers_equal(a, b));
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    shapes_free(&s);
}

/* Per-epoch mode: rate 1 always sleeps (3 passes when capped at 3 with no early stop),
 * rate 0 never. */
static void epoch_sleep_runs_phase_with_probability_rate(void **state)
{
    (void)state;
    shapes s = shapes_make(64, 8);
    sm_sgsnn_params p = shapes_params();
    p.sleep_mode = SM_SGSNN_SLEEP_EPOCH;
    p.sleep_max_iters = 3;
    p.sleep_stop = 0.0;
    for (int k = 0; k < 2; k++) {
        p.sleep_rate = k ? 1.0 : 0.0;
        sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
        sm_sgsnn_epoch_stats st;
        assert_int_equal(sm_sgsnn_train_epoch(net, s.x, s.y, s.n, NULL, NULL, 0, &st, NULL), SM_OK);
        assert_int_equal(st.sleep_passes, k ? 3 : 0);
        sm_sgsnn_destroy(net);
    }
    shapes_free(&s);
}

/* Triggered mode with lr 0 (training leaves W alone): weights at their initial sum do
 * not trigger; weights scaled by 1.2 (> 1.1 x W0) do, and a strongly shrinking map
 * (target 0.001, lambda 0.5) brings sum|W| under W0 after one pass, which ends the phase. */
static void triggered_sleep_starts_above_and_stops_below_threshold(void **state)
{
    (void)state;
    shapes s = shapes_make(64, 8);
    sm_sgsnn_params p = shapes_params();
    p.lr = 0.0f;
    p.sleep_mode = SM_SGSNN_SLEEP_TRIGGERED;
    p.sleep_target = 0.001f;
    p.sleep_lambda = 0.5f;
    for (int k = 0; k < 2; k++) {
        sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
        if (k)
            for (int l = 0; l < 2; l++) {
                sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
                for (int i = 0; i < v.rows * v.cols; i++)
                    v.w[i] *= 1.2f;
            }
        sm_sgsnn_epoch_stats st;
        assert_int_equal(sm_sgsnn_train_epoch(net, s.x, s.y, s.n, NULL, NULL, 0, &st, NULL), SM_OK);
        assert_int_equal(st.sleep_passes, k ? 1 : 0);
        if (k)
            assert_true(st.sum_abs_w[0] + st.sum_abs_w[1] <= st.sum_abs_w0[0] + st.sum_abs_w0[1]);
        sm_sgsnn_destroy(net);
    }
    shapes_free(&s);
}

/* ------------------------------------------------------------ parameters and errors */

static void defaults_follow_the_spec(void **state)
{
    (void)state;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    assert_int_equal(p.n_in, 225);
    assert_int_equal(p.n_hidden, 1000);
    assert_int_equal(p.n_out, 10);
    assert_int_equal(p.steps, 100);
    assert_float_equal(p.beta, 0.95f, 0);
    assert_float_equal(p.threshold, 1.0f, 0);
    assert_int_equal(p.batch_size, 128);
    assert_float_equal(p.lr, 1e-3f, 0);
    assert_float_equal(p.sleep_noise_sd, 3.0f, 0);
    assert_float_equal(p.stdp_a_plus, 0.01f, 0);
    assert_float_equal(p.stdp_a_minus, 0.012f, 0);
    assert_float_equal(p.stdp_tau, 20.0f, 0);
    assert_float_equal(p.sleep_target, 0.2f, 0);
    assert_float_equal(p.sleep_lambda, 0.999f, 0);
    assert_int_equal(p.sleep_max_iters, 500);
    assert_int_equal(sm_sgsnn_params_check(&p, NULL), SM_OK);
}

static void bad_parameter_is_named_in_the_error(void **state)
{
    (void)state;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.beta = 1.5f;
    sm_error err;
    assert_null(sm_sgsnn_create(&p, &err));
    assert_int_equal(err.code, SM_EINVAL);
    assert_non_null(strstr(err.msg, "sgsnn.beta"));
    assert_non_null(strstr(err.msg, "1.5"));
    sm_sgsnn_params_default(&p);
    p.sleep_rate = NAN;
    assert_int_equal(sm_sgsnn_params_check(&p, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "sgsnn.sleep_rate"));
}

static void label_out_of_range_is_rejected(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_params();
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    float x[8] = {0};
    int y[2] = {0, 3};
    sm_error err;
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 2, NULL, NULL, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "label 3 at index 1"));
    assert_int_equal(sm_sgsnn_train_epoch(net, x, y, 2, NULL, NULL, 0, NULL, &err), SM_EINVAL);
    sm_sgsnn_destroy(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bptt_atan_matches_finite_differences_with_reset_attached),
        cmocka_unit_test(bptt_atan_matches_finite_differences_with_reset_detached),
        cmocka_unit_test(bptt_fast_sigmoid_matches_finite_differences_with_reset_attached),
        cmocka_unit_test(bptt_fast_sigmoid_matches_finite_differences_with_reset_detached),
        cmocka_unit_test(bptt_with_spikes_matches_reference_atan_detached),
        cmocka_unit_test(bptt_with_spikes_matches_reference_atan_attached),
        cmocka_unit_test(bptt_with_spikes_matches_reference_fast_sigmoid_detached),
        cmocka_unit_test(bptt_with_spikes_matches_reference_fast_sigmoid_attached),
        cmocka_unit_test(detaching_the_reset_changes_the_gradient),
        cmocka_unit_test(masked_head_gradient_matches_finite_differences),
        cmocka_unit_test(masked_head_zeroes_the_inactive_row_and_changes_the_rest),
        cmocka_unit_test(lif_counts_and_tie_break_match_hand_values),
        cmocka_unit_test(init_is_uniform_within_one_over_sqrt_fan_in),
        cmocka_unit_test(adam_matches_hand_computed_steps),
        cmocka_unit_test(powerlaw_map_matches_hand_values),
        cmocka_unit_test(stdp_matches_hand_computed_spike_train),
        cmocka_unit_test(stdp_uses_post_major_layout),
        cmocka_unit_test(sleep_period_is_floor_of_inverse_rate),
        cmocka_unit_test(sleep_pass_changes_first_layer_only_by_the_map),
        cmocka_unit_test(learns_synthetic_shapes_to_ninety_percent),
        cmocka_unit_test(same_seed_gives_identical_weights),
        cmocka_unit_test(thread_count_does_not_change_the_weights),
        cmocka_unit_test(sleep_rates_forty_and_fifty_percent_are_identical),
        cmocka_unit_test(epoch_sleep_runs_phase_with_probability_rate),
        cmocka_unit_test(triggered_sleep_starts_above_and_stops_below_threshold),
        cmocka_unit_test(defaults_follow_the_spec),
        cmocka_unit_test(bad_parameter_is_named_in_the_error),
        cmocka_unit_test(label_out_of_range_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
