/* Private: Philox4x32-10 (Random123) on a batch of consecutive blocks, written as a
 * structure of arrays so that the compiler vectorizes it (32x32->64-bit multiplies).
 * Bit-identical to sm_rng_block(seed, stream, counter, first + b) for b in [0, nb);
 * used where a step needs many blocks (input spikes, membrane noise). */
#ifndef SOMNUS_PHILOX_SIMD_H
#define SOMNUS_PHILOX_SIMD_H

#include <stdint.h>

#define PHILOX_BATCH 64

static inline void philox_batch(uint64_t seed, uint32_t stream, uint64_t counter, uint32_t first,
                                int nb, uint32_t out[4][PHILOX_BATCH])
{
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
            uint64_t p0 = (uint64_t)0xD2511F53u * x0[b], p1 = (uint64_t)0xCD9E8D57u * x2[b];
            uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1[b] ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x3[b] ^ k1;
            x0[b] = y0;
            x1[b] = (uint32_t)p1;
            x2[b] = y2;
            x3[b] = (uint32_t)p0;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int b = 0; b < nb; b++) {
        out[0][b] = x0[b];
        out[1][b] = x1[b];
        out[2][b] = x2[b];
        out[3][b] = x3[b];
    }
}

#endif
