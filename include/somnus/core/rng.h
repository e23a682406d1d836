/* somnus: seeded counter-based random streams (Random123 Philox4x32-10).
 *
 * A draw is a pure function of (seed, stream, counter, index): the noise of neuron 17
 * at step 9000 is the same whether it is computed first or last, on one thread or
 * eight. Streams separate the purposes (connectivity, membrane noise, input spikes,
 * data shuffling, ...), so adding draws for one purpose never shifts another's.
 *
 * Two ways to use it:
 *  - keyed draws for the hot loop: sm_rng_block(seed, stream, counter, index);
 *  - a sequential stream (sm_rng) for setup code: shuffles, splits, synthetic data.
 */
#ifndef SOMNUS_RNG_H
#define SOMNUS_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stream identifiers. Values are part of the reproducibility contract: never renumber. */
enum sm_stream {
    SM_STREAM_CONNECT = 1,      /* synapse existence (network construction) */
    SM_STREAM_NOISE = 2,        /* membrane noise, counter = step, index = neuron */
    SM_STREAM_INPUT = 3,        /* input spikes, counter = step, index = input neuron */
    SM_STREAM_SPLIT = 4,        /* dataset split and shuffling */
    SM_STREAM_SYNTH = 5,        /* synthetic dataset generation */
    SM_STREAM_ORDER = 6,        /* presentation order of training images */
    SM_STREAM_PLACE = 7,        /* spatial placement (receptive-field centres) */
    SM_STREAM_SGSNN = 8,        /* surrogate-gradient network initialisation and batches */
    SM_STREAM_RANDOM_INPUT = 9, /* random images of `somnus run --input random` */
    SM_STREAM_THETA = 10,       /* theta-gated Helmholtz machine; index = purpose << 24 | k
                                   (weights, latents, noise, agent, centres: theta.h) */
    /* Federated Hopfield shares id 10 with theta: the two models never run in one
     * simulation, so their streams cannot meet, and the documented numbers of both were
     * measured with this id. */
    SM_STREAM_HOPFIELD = 10,   /* federated Hopfield: archetypes, examples, TAM, recall */
    SM_STREAM_DC = 11,         /* Diehl & Cook, BindsNET variant: the one reported E spike of
                                  a step (counter = step) */
    SM_STREAM_CONTINUAL = 21,  /* continual learning: class order, permutations, probe memory,
                                  drift images (index = purpose, continual_stream.h) */
    SM_STREAM_PLASTICITY = 22, /* loss-of-plasticity protocols: chunk cut, permutations,
                                  labels, probe set, fresh seeds, resets (index = purpose
                                  << 24 | chunk, protocol/plasticity_protocol.c) */
    SM_STREAM_SAFE = 27,       /* SAFE (continual learning with slow and fast learners):
                                  minibatch order (index = purpose << 16 | session << 8 |
                                  epoch), LoRA's initial A (index = 2 << 16),
                                  the ridge heads' random projections (index =
                                  3 << 16 | learner),
                                  protocol/continual_safe.h */
    SM_STREAM_USER = 1024      /* first identifier free for embedding applications */
};

typedef struct sm_rng_words {
    uint32_t w[4];
} sm_rng_words;

/* Four independent uniformly distributed 32-bit words for the given key and counter. */
sm_rng_words sm_rng_block(uint64_t seed, uint32_t stream, uint64_t counter, uint32_t index);

/* Maps a 32-bit word to a double uniform on the open interval (0, 1). */
static inline double sm_u01(uint32_t x)
{
    return ((double)x + 0.5) * (1.0 / 4294967296.0);
}

/* Maps a 32-bit word to a float uniform on the open interval (0, 1) (23-bit resolution:
 * with 24 bits the top value, (2^24 - 0.5) / 2^24, is not a float and rounds to 1). */
static inline float sm_u01f(uint32_t x)
{
    return ((float)(x >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

/* Two independent standard normal deviates from two 32-bit words (Box-Muller). */
void sm_rng_normal2(uint32_t a, uint32_t b, double *z0, double *z1);

/* A sequential stream for non-hot code. Copyable; the state is plain data. */
typedef struct sm_rng {
    uint64_t seed;
    uint64_t counter;
    uint32_t stream;
    uint32_t index;
    uint32_t buf[4];
    int used; /* words of buf already returned */
} sm_rng;

/* Starts the stream (seed, stream, index) at counter 0. `index` lets one purpose own
 * many independent streams (e.g. one per image). */
void sm_rng_init(sm_rng *r, uint64_t seed, uint32_t stream, uint32_t index);

/* Next uniformly distributed 32-bit word. */
uint32_t sm_rng_u32(sm_rng *r);

/* Next double uniform on (0, 1). */
double sm_rng_uniform(sm_rng *r);

/* Next standard normal deviate. */
double sm_rng_normal(sm_rng *r);

/* Uniform integer in [0, n) without modulo bias; n must be > 0. */
uint32_t sm_rng_below(sm_rng *r, uint32_t n);

/* Fisher-Yates shuffle of a[0..n). */
void sm_rng_shuffle(sm_rng *r, int *a, int n);

#ifdef __cplusplus
}
#endif
#endif
