/* Per-layer spike counts of the SG-SNN on a probe set (sgsnn_probe.h). Written against
 * the public layer views so that it does not reach into the training code; the neuron
 * update is the one of sgsnn.h (reset by subtraction, delayed one step). */
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

/* One image: hidden spikes of every step into s (T x H), counts into ch and co. */
static void one_image(const sm_sgsnn_params *p, const sm_sgsnn_layer *l1, const sm_sgsnn_layer *l2,
                      const float *x, float *cur, float *mem, float *s, float *c2, float *ch,
                      float *co)
{
    const int H = p->n_hidden, O = p->n_out, T = p->steps;
    const float beta = p->beta, thr = p->threshold;
    memcpy(cur, l1->b, (size_t)H * sizeof *cur);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, H, p->n_in, 1.0f, l1->w, p->n_in, x, 1, 1.0f, cur, 1);
    for (int t = 0; t < T; t++) {
        float *st = s + (size_t)t * H;
        const float *prev = t > 0 ? st - H : NULL;
        for (int h = 0; h < H; h++) {
            mem[h] = prev ? beta * mem[h] + cur[h] - prev[h] * thr : cur[h];
            st[h] = spike(p, mem[h] - thr);
        }
    }
    if (ch) {
        memset(ch, 0, (size_t)H * sizeof *ch);
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                ch[h] += s[(size_t)t * H + h];
    }
    if (!co) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, O, H, 1.0f, s, H, l2->w, H, 0.0f, c2,
                O);
    for (int o = 0; o < O; o++) {
        float m = 0.0f, sprev = 0.0f, count = 0.0f;
        for (int t = 0; t < T; t++) {
            m = beta * m + c2[(size_t)t * O + o] + l2->b[o] - sprev * thr;
            sprev = spike(p, m - thr);
            count += sprev;
        }
        co[o] = count;
    }
}

sm_status sm_sgsnn_probe_counts(sm_sgsnn *net, const float *x, int n, float *hidden, float *out,
                                sm_error *err)
{
    if (!net || n < 0 || (n > 0 && !x))
        return sm_error_set(err, SM_EINVAL, "sgsnn probe: need a network and n >= 0 images");
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    const sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 0), l2 = sm_sgsnn_get_layer(net, 1);
    const int H = p->n_hidden, O = p->n_out, T = p->steps;
    float *cur = malloc((size_t)H * sizeof *cur), *mem = malloc((size_t)H * sizeof *mem);
    float *s = malloc((size_t)T * H * sizeof *s), *c2 = malloc((size_t)T * O * sizeof *c2);
    sm_status st = SM_OK;
    if (!cur || !mem || !s || !c2) st = sm_error_set(err, SM_ENOMEM, "sgsnn probe: out of memory");
    for (int i = 0; i < n && st == SM_OK; i++)
        one_image(p, &l1, &l2, x + (size_t)i * p->n_in, cur, mem, s, c2,
                  hidden ? hidden + (size_t)i * H : NULL, out ? out + (size_t)i * O : NULL);
    free(cur);
    free(mem);
    free(s);
    free(c2);
    return st;
}
