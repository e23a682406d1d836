#include "somnus/encode.h"

#include <math.h>
#include <stdlib.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "philox_simd.h"
#include "somnus/rng.h"

sm_encoder *sm_encoder_create(const sm_config *cfg, int n, sm_error *err)
{
    sm_encoder *enc = calloc(1, sizeof *enc);
    if (enc) {
        enc->threshold = calloc((size_t)n + 1, sizeof *enc->threshold);
        enc->all = calloc((size_t)n + 1, 1);
        enc->active = calloc((size_t)n + 1, sizeof *enc->active);
    }
    if (!enc || !enc->threshold || !enc->all || !enc->active) {
        sm_encoder_destroy(enc);
        sm_error_set(err, SM_ENOMEM, "encoder: out of memory");
        return NULL;
    }
    enc->n = n;
    enc->kind = cfg->input.encoder;
    enc->gain = cfg->input.gain;
    enc->r_max = cfg->input.r_max;
    enc->dt = cfg->run.dt;
    enc->seed = (uint64_t)cfg->run.seed;
    return enc;
}

void sm_encoder_destroy(sm_encoder *enc)
{
    if (!enc) return;
    free(enc->threshold);
    free(enc->all);
    free(enc->active);
    free(enc);
}

static void set_p(sm_encoder *enc, int i, double p)
{
    p = p < 0 ? 0 : (p > 1 ? 1 : p);
    enc->all[i] = p >= 1.0;
    double t = floor(p * 4294967296.0);
    enc->threshold[i] = t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
}

static void index_active(sm_encoder *enc)
{
    enc->n_active = 0;
    for (int i = 0; i < enc->n; i++)
        if (enc->threshold[i] > 0 || enc->all[i]) enc->active[enc->n_active++] = i;
}

sm_status sm_encoder_set_image(sm_encoder *enc, const float *x, sm_error *err)
{
    const double scale = enc->kind == SM_ENC_RATE ? enc->r_max * enc->dt / 1000.0 : enc->gain;
    for (int i = 0; i < enc->n; i++)
        if (!(x[i] >= 0) || !isfinite(x[i]))
            return sm_error_set(err, SM_EINVAL, "encoder: pixel %d has invalid value %g", i,
                                (double)x[i]);
    for (int i = 0; i < enc->n; i++)
        set_p(enc, i, (double)x[i] * scale);
    index_active(enc);
    return SM_OK;
}

sm_status sm_encoder_set_probabilities(sm_encoder *enc, const double *p, sm_error *err)
{
    for (int i = 0; i < enc->n; i++)
        if (!(p[i] >= 0 && p[i] <= 1))
            return sm_error_set(err, SM_EINVAL, "encoder: probability %d is %g, not in [0, 1]", i,
                                p[i]);
    for (int i = 0; i < enc->n; i++)
        set_p(enc, i, p[i]);
    index_active(enc);
    return SM_OK;
}

double sm_encoder_probability(const sm_encoder *enc, int i)
{
    return enc->all[i] ? 1.0 : enc->threshold[i] / 4294967296.0;
}

/* Dense path: every pixel is tested with a branch-free comparison (inactive pixels have
 * threshold 0 and never pass); the results form bit masks and the spikes are read off the
 * masks in ascending order. Same words, same test, same output as the sparse path. */
static int spikes_dense(const sm_encoder *enc, uint64_t step, int32_t *out)
{
    int count = 0;
    uint32_t words[4][PHILOX_BATCH];
    uint32_t flat[4 * PHILOX_BATCH]; /* the words in pixel order */
    for (int base = 0; base < enc->n; base += 4 * PHILOX_BATCH) {
        philox_batch(enc->seed, SM_STREAM_INPUT, step, (uint32_t)base / 4, PHILOX_BATCH, words);
        for (int b = 0; b < PHILOX_BATCH; b++)
            for (int j = 0; j < 4; j++)
                flat[4 * b + j] = words[j][b];
        const int end = base + 4 * PHILOX_BATCH < enc->n ? base + 4 * PHILOX_BATCH : enc->n;
        const uint32_t *thr = enc->threshold + base;
        const uint8_t *all = enc->all + base;
        int i = 0;
#ifdef __AVX512F__
        for (; i + 16 <= end - base; i += 16) {
            __m512i wv = _mm512_loadu_si512(flat + i), tv = _mm512_loadu_si512(thr + i);
            __mmask16 m = _mm512_cmplt_epu32_mask(wv, tv);
            __m128i av = _mm_loadu_si128((const __m128i *)(all + i));
            m |= _mm_test_epi8_mask(av, av);
            unsigned mask = m;
            while (mask) {
                out[count++] = base + i + __builtin_ctz(mask);
                mask &= mask - 1;
            }
        }
#endif
        for (; i < end - base; i++) {
            out[count] = base + i;
            count += all[i] || flat[i] < thr[i];
        }
    }
    return count;
}

int sm_encoder_spikes(const sm_encoder *enc, uint64_t step, int32_t *out)
{
    if (2 * enc->n_active >= enc->n) return spikes_dense(enc, step, out);
    int count = 0, k = 0;
    uint32_t words[4][PHILOX_BATCH];
    /* Blocks are generated in batches of PHILOX_BATCH (4 * PHILOX_BATCH pixels) covering the
     * active pixels; one Philox block serves four neighbouring pixels, as before. */
    while (k < enc->n_active) {
        const uint32_t first = (uint32_t)enc->active[k] / 4;
        const uint32_t end_pixel = (first + PHILOX_BATCH) * 4;
        philox_batch(enc->seed, SM_STREAM_INPUT, step, first, PHILOX_BATCH, words);
        for (; k < enc->n_active && (uint32_t)enc->active[k] < end_pixel; k++) {
            int i = enc->active[k];
            uint32_t rel = (uint32_t)i / 4 - first;
            out[count] = i;
            count += enc->all[i] || words[i & 3][rel] < enc->threshold[i];
        }
    }
    return count;
}
