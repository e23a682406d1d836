#include "somnus/core/rng.h"

#include <math.h>
#include <Random123/philox.h>

sm_rng_words sm_rng_block(uint64_t seed, uint32_t stream, uint64_t counter, uint32_t index)
{
    philox4x32_ctr_t c = {{index, stream, (uint32_t)counter, (uint32_t)(counter >> 32)}};
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t r = philox4x32(c, k);
    sm_rng_words out = {{r.v[0], r.v[1], r.v[2], r.v[3]}};
    return out;
}

void sm_rng_normal2(uint32_t a, uint32_t b, double *z0, double *z1)
{
    double radius = sqrt(-2.0 * log(sm_u01(a)));
    double angle = 6.283185307179586 * sm_u01(b);
    *z0 = radius * cos(angle);
    *z1 = radius * sin(angle);
}

void sm_rng_init(sm_rng *r, uint64_t seed, uint32_t stream, uint32_t index)
{
    r->seed = seed;
    r->stream = stream;
    r->index = index;
    r->counter = 0;
    r->used = 4;
}

uint32_t sm_rng_u32(sm_rng *r)
{
    if (r->used == 4) {
        sm_rng_words w = sm_rng_block(r->seed, r->stream, r->counter++, r->index);
        for (int i = 0; i < 4; i++)
            r->buf[i] = w.w[i];
        r->used = 0;
    }
    return r->buf[r->used++];
}

double sm_rng_uniform(sm_rng *r)
{
    return sm_u01(sm_rng_u32(r));
}

double sm_rng_normal(sm_rng *r)
{
    /* One deviate per call keeps the stream position simple to reason about. */
    uint32_t a = sm_rng_u32(r), b = sm_rng_u32(r);
    double z0, z1;
    sm_rng_normal2(a, b, &z0, &z1);
    return z0;
}

uint32_t sm_rng_below(sm_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection of the biased low range. */
    uint64_t m = (uint64_t)sm_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)sm_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void sm_rng_shuffle(sm_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)sm_rng_below(r, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
