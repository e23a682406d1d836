/* somnus: input encoders (spec section 3). An image (grayscale values, already resized
 * and normalized by the dataset code) becomes one spike probability per stimulus
 * neuron; every step each stimulus neuron spikes independently with its probability:
 *
 *   bernoulli: p_i = clip(x_i * gain, 0, 1)                    (paper config)
 *   rate:      p_i = clip(x_i * r_max * dt / 1000, 0, 1)       (later package, r_max in Hz)
 *
 * Draws are keyed by (seed, step, neuron), so a neuron's spikes do not depend on the
 * other pixels, on thread count or on evaluation order.
 */
#ifndef SOMNUS_ENCODE_H
#define SOMNUS_ENCODE_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An encoder. Public so that the vectorized input path can be inlined; stable to read:
 * n, kind, gain, r_max, dt, seed. The rest is internal: use the functions below. */
typedef struct sm_encoder {
    int n;    /* stimulus neurons */
    int kind; /* enum sm_encoder_kind */
    double gain, r_max, dt;
    uint64_t seed;
    uint32_t *threshold; /* n: spike iff a uniform 32-bit word < threshold (p * 2^32) */
    uint8_t *all;        /* n: 1 when p == 1 (always spikes) */
    int32_t *active;     /* indices with p > 0, ascending */
    int n_active;
    /* The same tests by groups of 64 pixels (16 Philox blocks), for the vectorized path:
     * group_thr[64 g + 16 j + t] = threshold[64 g + 4 t + j] (word j of block 16 g + t),
     * 0 past n; bit q of group_all[g] / group_live[g] = all / p > 0 of pixel 64 g + q. */
    int n_groups;
    uint32_t *group_thr;
    uint64_t *group_all, *group_live;
} sm_encoder;

/* Creates an encoder for `n` stimulus neurons from the input.* parameters and run.seed.
 * All probabilities start at 0 (silence). Caller destroys. */
sm_encoder *sm_encoder_create(const sm_config *cfg, int n, sm_error *err);

/* Frees the encoder (NULL is fine). */
void sm_encoder_destroy(sm_encoder *enc);

/* Sets the current image: n values (>= 0). NaN or negative values are an error. */
sm_status sm_encoder_set_image(sm_encoder *enc, const float *x, sm_error *err);

/* Sets the spike probabilities directly (each in [0, 1]). */
sm_status sm_encoder_set_probabilities(sm_encoder *enc, const double *p, sm_error *err);

/* Probability of neuron i under the current image (as quantized to 2^-32). */
double sm_encoder_probability(const sm_encoder *enc, int i);

/* The drive of one image: what the encoder is asked for and what it gives. */
typedef struct sm_encoder_drive {
    double asked; /* sum over pixels of x_i * scale (expected input spikes per step asked) */
    double given; /* sum of clip(x_i * scale, 0, 1): what the encoder delivers */
    int clipped;  /* pixels whose x_i * scale exceeds 1 (their excess is lost) */
} sm_encoder_drive;

/* The drive of the n-pixel image x (n = enc->n) under enc's encoder (scale = gain, or
 * r_max dt / 1000 for the rate encoder); values that are not >= 0 count as 0. Reads
 * only; does not change the current image. A sum-normalized image whose pixels ask for
 * more than probability 1 loses drive: given < asked. */
sm_encoder_drive sm_encoder_image_drive(const sm_encoder *enc, const float *x);

/* Writes the stimulus neurons spiking at `step` to out (ascending) and returns how many. */
int sm_encoder_spikes(const sm_encoder *enc, uint64_t step, int32_t *out);

#ifdef __cplusplus
}
#endif
#endif
