#include "somnus/encode.h"

#include <math.h>
#include <stdlib.h>

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

int sm_encoder_spikes(const sm_encoder *enc, uint64_t step, int32_t *out)
{
    int count = 0;
    uint32_t block = UINT32_MAX;
    sm_rng_words words = {{0, 0, 0, 0}};
    for (int k = 0; k < enc->n_active; k++) {
        int i = enc->active[k];
        /* One Philox call serves four neighbouring pixels. */
        if ((uint32_t)i / 4 != block) {
            block = (uint32_t)i / 4;
            words = sm_rng_block(enc->seed, SM_STREAM_INPUT, step, block);
        }
        if (enc->all[i] || words.w[i & 3] < enc->threshold[i]) out[count++] = i;
    }
    return count;
}
