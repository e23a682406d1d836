#include "somnus/io/encode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "core/philox_simd.h"
#include "somnus/core/rng.h"

sm_encoder *sm_encoder_create(const sm_config *cfg, int n, sm_error *err)
{
    sm_encoder *enc = calloc(1, sizeof *enc);
    const int groups = (n + 63) / 64;
    if (enc) {
        enc->threshold = calloc((size_t)n + 1, sizeof *enc->threshold);
        enc->all = calloc((size_t)n + 1, 1);
        enc->active = calloc((size_t)n + 1, sizeof *enc->active);
        /* 64-byte aligned: one group's words j are one AVX-512 vector. */
        enc->group_thr = aligned_alloc(64, (size_t)(groups + 1) * 64 * sizeof *enc->group_thr);
        enc->group_all = calloc((size_t)groups + 1, sizeof *enc->group_all);
        enc->group_live = calloc((size_t)groups + 1, sizeof *enc->group_live);
    }
    if (!enc || !enc->threshold || !enc->all || !enc->active || !enc->group_thr ||
        !enc->group_all || !enc->group_live) {
        sm_encoder_destroy(enc);
        sm_error_set(err, SM_ENOMEM, "encoder: out of memory");
        return NULL;
    }
    memset(enc->group_thr, 0, (size_t)(groups + 1) * 64 * sizeof *enc->group_thr);
    enc->n = n;
    enc->n_groups = groups;
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
    free(enc->group_thr);
    free(enc->group_all);
    free(enc->group_live);
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
    for (int g = 0; g < enc->n_groups; g++)
        enc->group_all[g] = enc->group_live[g] = 0;
    for (int i = 0; i < enc->n; i++) {
        const int on = enc->threshold[i] > 0 || enc->all[i];
        if (on) enc->active[enc->n_active++] = i;
        enc->group_thr[i / 64 * 64 + i % 4 * 16 + i % 64 / 4] = enc->threshold[i];
        enc->group_all[i / 64] |= (uint64_t)enc->all[i] << (i % 64);
        enc->group_live[i / 64] |= (uint64_t)on << (i % 64);
    }
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

sm_encoder_drive sm_encoder_image_drive(const sm_encoder *enc, const float *x)
{
    const double scale = enc->kind == SM_ENC_RATE ? enc->r_max * enc->dt / 1000.0 : enc->gain;
    sm_encoder_drive d = {0, 0, 0};
    for (int i = 0; i < enc->n; i++) {
        const double p = x[i] >= 0 && isfinite(x[i]) ? (double)x[i] * scale : 0.0;
        d.asked += p;
        d.given += p > 1 ? 1 : p;
        d.clipped += p > 1;
    }
    return d;
}

double sm_encoder_probability(const sm_encoder *enc, int i)
{
    return enc->all[i] ? 1.0 : enc->threshold[i] / 4294967296.0;
}

#if defined(__AVX512F__) && defined(__BMI2__)
/* Each group of 64 pixels is 16 Philox blocks, four vectors of words. Comparing word j of
 * the blocks with the thresholds of pixels 4 t + j gives a 16-bit mask, and _pdep_u64
 * spreads it to every fourth bit of the pixel-order mask, so the words are never
 * transposed. Groups without an active pixel are skipped (a sparse image's saving); the
 * words and the test are those of the per-pixel paths below. Two groups go through Philox
 * together (the group after the last one is all zero, so g + 1 always exists). */
static void pair_spikes(const sm_encoder *enc, uint64_t step, int g, uint64_t m[2])
{
    m[0] = m[1] = 0;
    if (!(enc->group_live[g] | enc->group_live[g + 1])) return;
    __m512i y[4][4];
    philox_x8(enc->seed, SM_STREAM_INPUT, step, 16 * (uint32_t)g, 4, y);
    for (int h = 0; h < 2; h++) {
        const uint32_t *thr = enc->group_thr + (size_t)64 * (size_t)(g + h);
        m[h] = enc->group_all[g + h];
        for (int j = 0; j < 4; j++) {
            const __m512i w = philox_pack(y[(size_t)2 * h][j], y[(size_t)2 * h + 1][j]);
            const __mmask16 lt =
                _mm512_cmplt_epu32_mask(w, _mm512_load_si512(thr + (size_t)16 * j));
            m[h] |= _pdep_u64(lt, 0x1111111111111111ull << j);
        }
    }
}

/* The masks of several groups are computed before any is read out: the read-out loop's
 * unpredictable exit would otherwise stop the next groups' Philox chains from overlapping
 * these. */
#define ENC_GROUPS 8

int sm_encoder_spikes(const sm_encoder *enc, uint64_t step, int32_t *out)
{
    int count = 0;
    for (int g0 = 0; g0 < enc->n_groups; g0 += ENC_GROUPS) {
        const int ng = enc->n_groups - g0 < ENC_GROUPS ? enc->n_groups - g0 : ENC_GROUPS;
        uint64_t m[ENC_GROUPS];
        for (int g = 0; g < ng; g += 2)
            pair_spikes(enc, step, g0 + g, m + g);
        for (int g = 0; g < ng; g++)
            for (; m[g]; m[g] &= m[g] - 1)
                out[count++] = 64 * (g0 + g) + __builtin_ctzll(m[g]);
    }
    return count;
}
#else
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
#endif
