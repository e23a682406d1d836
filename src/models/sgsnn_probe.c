/* Per-layer spike counts of the SG-SNN on a probe set (sgsnn_probe.h). Written against
 * the public layer views so that it does not reach into the training code; the neuron
 * update is the one of sgsnn.h (reset by subtraction, delayed one step), for any number
 * of layers. */
#include "somnus/models/sgsnn_probe.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Forward spike as sgsnn.c computes it (Heaviside, or the smooth antiderivative). */
static float spike(const sm_sgsnn_params *p, float u)
{
    if (!p->smooth_forward) return u > 0.0f ? 1.0f : 0.0f;
    if (p->surrogate == SM_SGSNN_ATAN)
        return 0.5f + atanf(1.5707963267948966f * p->atan_alpha * u) * 0.3183098861837907f;
    return 0.5f + u / (1.0f + p->sigmoid_slope * fabsf(u));
}

/* Scratch of one image: the pre-activation, the drive, and per layer the T x N spikes
 * (spikes of layer l are the input of layer l + 1) and currents. */
typedef struct probe_buf {
    float *u, *cur, *s[SM_SGSNN_MAX_LAYERS], *c, *state;
} probe_buf;

/* LIF of N neurons through T steps from currents c (T x N; with stride 0 the same row
 * every step) plus bias (may be NULL): spikes into s (T x N), counts (may be NULL) into
 * cnt. Time outside, neurons inside, so that the Heaviside path vectorizes; mem and the
 * previous spikes live in `state` (2N floats). Per neuron the arithmetic is that of
 * sgsnn.c: m = beta m + c + b - s_prev thr. */
static void lif(const sm_sgsnn_params *p, int N, const float *c, size_t stride, const float *bias,
                float *s, float *cnt, float *state)
{
    const int T = p->steps;
    const float beta = p->beta, thr = p->threshold;
    if (!c || !s || !state) return; /* the caller checked its buffers; for the analyzer */
    float *restrict m = state, *restrict sp = state + N;
    for (int o = 0; o < N; o++)
        m[o] = sp[o] = 0.0f;
    for (int t = 0; t < T; t++) {
        const float *restrict ct = c + (size_t)t * stride;
        float *restrict st = s + (size_t)t * N;
        if (bias)
            for (int o = 0; o < N; o++)
                m[o] = beta * m[o] + ct[o] + bias[o] - sp[o] * thr;
        else
            for (int o = 0; o < N; o++)
                m[o] = beta * m[o] + ct[o] - sp[o] * thr;
        if (p->smooth_forward)
            for (int o = 0; o < N; o++)
                st[o] = spike(p, m[o] - thr);
        else
            for (int o = 0; o < N; o++)
                st[o] = m[o] > thr ? 1.0f : 0.0f;
        for (int o = 0; o < N; o++)
            sp[o] = st[o];
    }
    if (!cnt) return;
    for (int o = 0; o < N; o++)
        cnt[o] = 0.0f;
    for (int t = 0; t < T; t++)
        for (int o = 0; o < N; o++)
            cnt[o] += s[(size_t)t * N + o];
}

/* One image through every layer; cnt[l] (may be NULL) receives layer l's counts. */
static void one_image(sm_sgsnn *net, const float *x, probe_buf *b, float *const *cnt)
{
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    const int L = sm_sgsnn_n_layers(net), T = p->steps, H = p->n_hidden;
    const sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0);
    if (!l0.w || !l0.b) return; /* a network always has layer 0; for the analyzer */
    memcpy(b->u, l0.b, (size_t)l0.rows * sizeof *b->u);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, l0.rows, l0.cols, 1.0f, l0.w, l0.cols, x, 1, 1.0f,
                b->u, 1);
    sm_sgsnn_hidden_drive(net, b->u, b->cur);
    /* the first hidden layer: a constant current, the same every step (stride 0, no bias) */
    lif(p, H, b->cur, 0, NULL, b->s[0], cnt[0], b->state);
    for (int l = 1; l < L; l++) {
        const sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, v.rows, v.cols, 1.0f, b->s[l - 1],
                    v.cols, v.w, v.cols, 0.0f, b->c, v.rows);
        lif(p, v.rows, b->c, (size_t)v.rows, v.b, b->s[l], cnt[l], b->state);
    }
}

sm_status sm_sgsnn_probe_counts_all(sm_sgsnn *net, const float *x, int n, float *const *counts,
                                    sm_error *err)
{
    if (!net || n < 0 || (n > 0 && !x) || !counts)
        return sm_error_set(err, SM_EINVAL, "sgsnn probe: need a network and n >= 0 images");
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    const int L = sm_sgsnn_n_layers(net), T = p->steps;
    int maxn = p->n_hidden;
    for (int l = 0; l < L; l++)
        if (sm_sgsnn_get_layer(net, l).rows > maxn) maxn = sm_sgsnn_get_layer(net, l).rows;
    probe_buf b = {malloc((size_t)p->n_hidden * sizeof(float)),
                   malloc((size_t)p->n_hidden * sizeof(float)),
                   {NULL},
                   malloc((size_t)T * maxn * sizeof(float)),
                   malloc(2 * (size_t)maxn * sizeof(float))};
    int ok = b.u && b.cur && b.c && b.state;
    for (int l = 0; l < L; l++) {
        const int N = l == 0 ? p->n_hidden : sm_sgsnn_get_layer(net, l).rows;
        ok = ok && (b.s[l] = malloc((size_t)T * N * sizeof(float)));
    }
    sm_status st = ok ? SM_OK : sm_error_set(err, SM_ENOMEM, "sgsnn probe: out of memory");
    for (int i = 0; i < n && st == SM_OK; i++) {
        float *c[SM_SGSNN_MAX_LAYERS] = {NULL}; /* layers past L: none */
        for (int l = 0; l < L; l++) {
            const int N = l == 0 ? p->n_hidden : sm_sgsnn_get_layer(net, l).rows;
            c[l] = counts[l] ? counts[l] + (size_t)i * N : NULL;
        }
        one_image(net, x + (size_t)i * p->n_in, &b, c);
    }
    free(b.u);
    free(b.cur);
    free(b.c);
    free(b.state);
    for (int l = 0; l < L; l++)
        free(b.s[l]);
    return st;
}

sm_status sm_sgsnn_probe_counts(sm_sgsnn *net, const float *x, int n, float *hidden, float *out,
                                sm_error *err)
{
    float *counts[SM_SGSNN_MAX_LAYERS] = {NULL};
    const int L = sm_sgsnn_n_layers(net);
    if (L >= 2) {
        counts[0] = hidden;
        counts[L - 1] = out;
    }
    return sm_sgsnn_probe_counts_all(net, x, n, counts, err);
}
