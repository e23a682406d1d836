/* Private: Philox4x32-10 (Random123) on a batch of consecutive blocks, with AVX-512
 * intrinsics where available, else as a structure of arrays that the compiler vectorizes.
 * Bit-identical to sm_rng_block(seed, stream, counter, first + b) for b in [0, nb);
 * used where a step needs many blocks (input spikes, membrane noise). */
#ifndef SOMNUS_PHILOX_SIMD_H
#define SOMNUS_PHILOX_SIMD_H

#include <stdint.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#define PHILOX_BATCH 64

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

#ifdef __AVX512F__
static inline __m512i philox_xor3(__m512i a, __m512i b, uint32_t k)
{
    return _mm512_ternarylogic_epi32(a, b, _mm512_set1_epi32((int)k), 0x96);
}

/* Blocks first + [0, 8 nv), eight per vector, one per 64-bit lane: vpmuludq multiplies
 * the low words into a full product, whose low half is already the next x1/x3 word; high
 * halves hold junk that never reaches a low word. The nv vectors go through each round
 * together, so their multiply chains overlap. Only word 0 of the counter differs between
 * blocks, so half of the first two rounds is the same for all and done once in scalar. */
static inline __attribute__((always_inline)) void philox_x8(uint64_t seed, uint32_t stream,
                                                            uint64_t counter, uint32_t first,
                                                            const int nv, __m512i y[][4])
{
    uint32_t k0 = (uint32_t)seed + PHILOX_W0, k1 = (uint32_t)(seed >> 32) + PHILOX_W1;
    const uint64_t p1 = (uint64_t)PHILOX_M1 * (uint32_t)counter;
    const uint32_t a0 = (uint32_t)(p1 >> 32) ^ stream ^ (uint32_t)seed, a1 = (uint32_t)p1;
    const uint64_t p0 = (uint64_t)PHILOX_M0 * a0;
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i c3 = _mm512_set1_epi64((uint32_t)(counter >> 32));
    for (int v = 0; v < nv; v++) {
        const __m512i c0 = _mm512_add_epi64(_mm512_set1_epi64(first + 8 * (uint32_t)v), lane);
        const __m512i q0 = _mm512_mul_epu32(c0, m0);
        const __m512i x2 = philox_xor3(_mm512_srli_epi64(q0, 32), c3, (uint32_t)(seed >> 32));
        const __m512i q1 = _mm512_mul_epu32(x2, m1);
        y[v][0] = philox_xor3(_mm512_srli_epi64(q1, 32), _mm512_set1_epi64(a1), k0);
        y[v][1] = q1;
        y[v][2] = philox_xor3(q0, _mm512_set1_epi64(p0 >> 32), k1);
        y[v][3] = _mm512_set1_epi64(p0);
    }
    for (int r = 2; r < 10; r++) {
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
        for (int v = 0; v < nv; v++) {
            const __m512i q0 = _mm512_mul_epu32(y[v][0], m0), q1 = _mm512_mul_epu32(y[v][2], m1);
            y[v][0] = philox_xor3(_mm512_srli_epi64(q1, 32), y[v][1], k0);
            y[v][1] = q1;
            y[v][2] = philox_xor3(_mm512_srli_epi64(q0, 32), y[v][3], k1);
            y[v][3] = q0;
        }
    }
}

/* Word j of 16 blocks (the low words of two philox_x8 vectors) as one vector. */
static inline __m512i philox_pack(__m512i lo8, __m512i hi8)
{
    const __m512i low = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_epi32(lo8, low, hi8);
}
#endif

static inline void philox_batch(uint64_t seed, uint32_t stream, uint64_t counter, uint32_t first,
                                int nb, uint32_t out[4][PHILOX_BATCH])
{
#ifdef __AVX512F__
    /* Whole vectors of 32 blocks: out has room for them. */
    for (int b = 0; b < nb; b += 32) {
        __m512i y[4][4];
        philox_x8(seed, stream, counter, first + (uint32_t)b, 4, y);
        for (int j = 0; j < 4; j++) {
            _mm512_storeu_si512(out[j] + b, philox_pack(y[0][j], y[1][j]));
            _mm512_storeu_si512(out[j] + b + 16, philox_pack(y[2][j], y[3][j]));
        }
    }
#else
    uint32_t x0[PHILOX_BATCH], x1[PHILOX_BATCH], x2[PHILOX_BATCH], x3[PHILOX_BATCH];
    const uint32_t c1 = stream, c2 = (uint32_t)counter, c3 = (uint32_t)(counter >> 32);
    for (int b = 0; b < PHILOX_BATCH; b++) {
        x0[b] = first + (uint32_t)b;
        x1[b] = c1;
        x2[b] = c2;
        x3[b] = c3;
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
#pragma omp simd
        for (int b = 0; b < PHILOX_BATCH; b++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * x0[b], p1 = (uint64_t)PHILOX_M1 * x2[b];
            uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1[b] ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x3[b] ^ k1;
            x0[b] = y0;
            x1[b] = (uint32_t)p1;
            x2[b] = y2;
            x3[b] = (uint32_t)p0;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    for (int b = 0; b < nb; b++) {
        out[0][b] = x0[b];
        out[1][b] = x1[b];
        out[2][b] = x2[b];
        out[3][b] = x3[b];
    }
#endif
}

#endif
