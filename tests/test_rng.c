/* Tests of the counter-based random streams: known answers, keying, distributions. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gauss_simd.h"
#include "somnus/core/rng.h"

static int words_equal(sm_rng_words a, sm_rng_words b)
{
    return memcmp(a.w, b.w, sizeof a.w) == 0;
}

/* Random123's tests/kat_vectors, "philox4x32 10" lines (counter[4] key[2] -> result[4]).
 * sm_rng_block maps (seed, stream, counter, index) to counter {index, stream,
 * counter_lo, counter_hi} and key {seed_lo, seed_hi}. */
static void philox_known_answers(void **state)
{
    (void)state;
    sm_rng_words r = sm_rng_block(0, 0, 0, 0);
    assert_int_equal(r.w[0], 0x6627e8d5u);
    assert_int_equal(r.w[1], 0xe169c58du);
    assert_int_equal(r.w[2], 0xbc57ac4cu);
    assert_int_equal(r.w[3], 0x9b00dbd8u);

    r = sm_rng_block(UINT64_MAX, 0xffffffffu, UINT64_MAX, 0xffffffffu);
    assert_int_equal(r.w[0], 0x408f276du);
    assert_int_equal(r.w[1], 0x41c83b0eu);
    assert_int_equal(r.w[2], 0xa20bc7c6u);
    assert_int_equal(r.w[3], 0x6d5451fdu);

    r = sm_rng_block(UINT64_C(0x299f31d0a4093822), 0x85a308d3u, UINT64_C(0x0370734413198a2e),
                     0x243f6a88u);
    assert_int_equal(r.w[0], 0xd16cfe09u);
    assert_int_equal(r.w[1], 0x94fdccebu);
    assert_int_equal(r.w[2], 0x5001e420u);
    assert_int_equal(r.w[3], 0x24126ea1u);
}

static void same_key_same_words_any_change_differs(void **state)
{
    (void)state;
    const uint64_t seed = 12345, counter = 777;
    const uint32_t stream = SM_STREAM_NOISE, index = 42;
    sm_rng_words base = sm_rng_block(seed, stream, counter, index);
    assert_true(words_equal(base, sm_rng_block(seed, stream, counter, index)));
    /* Each component of the key, including the high halves, matters. */
    assert_false(words_equal(base, sm_rng_block(seed + 1, stream, counter, index)));
    assert_false(
        words_equal(base, sm_rng_block(seed + (UINT64_C(1) << 32), stream, counter, index)));
    assert_false(words_equal(base, sm_rng_block(seed, SM_STREAM_INPUT, counter, index)));
    assert_false(words_equal(base, sm_rng_block(seed, stream, counter + 1, index)));
    assert_false(
        words_equal(base, sm_rng_block(seed, stream, counter + (UINT64_C(1) << 32), index)));
    assert_false(words_equal(base, sm_rng_block(seed, stream, counter, index + 1)));
    /* The four words of one block are not copies of each other. */
    assert_true(base.w[0] != base.w[1] && base.w[1] != base.w[2] && base.w[2] != base.w[3]);

    /* Sequential streams: same (seed, stream, index) -> same sequence; copies continue
     * identically; another index is another sequence. */
    sm_rng a, b, c;
    sm_rng_init(&a, 99, SM_STREAM_SPLIT, 3);
    sm_rng_init(&b, 99, SM_STREAM_SPLIT, 3);
    sm_rng_init(&c, 99, SM_STREAM_SPLIT, 4);
    int differ = 0;
    for (int k = 0; k < 1000; k++) {
        uint32_t x = sm_rng_u32(&a);
        assert_int_equal(x, sm_rng_u32(&b));
        differ += x != sm_rng_u32(&c);
    }
    assert_true(differ > 990);
    sm_rng copy = a;
    for (int k = 0; k < 10; k++)
        assert_int_equal(sm_rng_u32(&a), sm_rng_u32(&copy));
    /* The sequential stream is the keyed blocks in counter order. */
    sm_rng s;
    sm_rng_init(&s, 5, 9, 2);
    for (uint64_t ctr = 0; ctr < 3; ctr++) {
        sm_rng_words w = sm_rng_block(5, 9, ctr, 2);
        for (int i = 0; i < 4; i++)
            assert_int_equal(sm_rng_u32(&s), w.w[i]);
    }
}

static void u01_maps_to_open_interval(void **state)
{
    (void)state;
    assert_true(sm_u01(0) > 0.0);
    assert_true(sm_u01(UINT32_MAX) < 1.0);
    assert_float_near(sm_u01(UINT32_C(0x80000000)), 0.5 + 0.5 / 4294967296.0, 1e-15);
    assert_true(sm_u01f(0) > 0.0f);
    assert_true(sm_u01f(UINT32_MAX) < 1.0f);
    /* The float map is monotone and centred: mean of the 2^16 evenly spaced words 0.5. */
    double sum = 0;
    float prev = 0.0f;
    for (uint32_t k = 0; k < 65536; k++) {
        float u = sm_u01f(k << 16 | 0x8000u); /* bucket midpoints */
        assert_true(u > prev && u < 1.0f);
        prev = u;
        sum += u;
    }
    assert_float_near(sum / 65536.0, 0.5, 1e-6);
}

static void uniform_mean_and_variance(void **state)
{
    (void)state;
    const int n = 1000000;
    sm_rng r;
    sm_rng_init(&r, 2024, SM_STREAM_USER, 0);
    double sum = 0, sq = 0, lo = 1, hi = 0;
    long below_quarter = 0;
    for (int k = 0; k < n; k++) {
        double u = sm_rng_uniform(&r);
        sum += u;
        sq += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        below_quarter += u < 0.25;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    /* mean: sd sqrt(1/12/n); variance of U: 1/12, the sd of its estimate sqrt(1/180/n). */
    assert_true(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12.0 / n));
    assert_true(fabs(var - 1.0 / 12.0) < 5 * sqrt(1.0 / 180.0 / n));
    assert_true(lo > 0 && hi < 1);
    assert_true(lo < 1e-4 && hi > 1 - 1e-4);
    assert_true(fabs(below_quarter - 0.25 * n) < 5 * sqrt(n * 0.25 * 0.75));
}

/* Sums of z, z^2, z^3, z^4 over deviates expected standard normal. */
typedef struct moments {
    double m[4];
    long n;
} moments;

static void moments_add(moments *a, double z)
{
    a->m[0] += z;
    a->m[1] += z * z;
    a->m[2] += z * z * z;
    a->m[3] += z * z * z * z;
    a->n++;
}

/* Each mean within 5 sds of a standard normal's: E z = 0 (sd 1/sqrt n), E z^2 = 1
 * (sqrt(2/n)), E z^3 = 0 (sqrt(15/n)), E z^4 = 3 (sqrt(96/n)). */
static void assert_standard_normal(const moments *a)
{
    const double n = (double)a->n;
    assert_true(fabs(a->m[0] / n) < 5 * sqrt(1.0 / n));
    assert_true(fabs(a->m[1] / n - 1) < 5 * sqrt(2.0 / n));
    assert_true(fabs(a->m[2] / n) < 5 * sqrt(15.0 / n));
    assert_true(fabs(a->m[3] / n - 3) < 5 * sqrt(96.0 / n));
}

static void normal_moments(void **state)
{
    (void)state;
    const int n = 1000000;
    sm_rng r;
    sm_rng_init(&r, 77, SM_STREAM_USER, 1);
    moments a = {{0}, 0};
    long beyond2 = 0;
    for (int k = 0; k < n; k++) {
        double z = sm_rng_normal(&r);
        moments_add(&a, z);
        beyond2 += fabs(z) > 2;
    }
    assert_standard_normal(&a);
    const double p2 = 0.04550026389635842; /* P(|z| > 2) */
    assert_true(fabs(beyond2 - p2 * n) < 5 * sqrt(n * p2 * (1 - p2)));

    /* The pair form: both deviates standard normal and uncorrelated. */
    double s0 = 0, s1 = 0, s01 = 0;
    for (int k = 0; k < n / 2; k++) {
        double z0, z1;
        sm_rng_normal2(sm_rng_u32(&r), sm_rng_u32(&r), &z0, &z1);
        s0 += z0 * z0;
        s1 += z1 * z1;
        s01 += z0 * z1;
    }
    assert_true(fabs(s0 / (n / 2) - 1) < 5 * sqrt(2.0 / (n / 2)));
    assert_true(fabs(s1 / (n / 2) - 1) < 5 * sqrt(2.0 / (n / 2)));
    assert_true(fabs(s01 / (n / 2)) < 5 * sqrt(1.0 / (n / 2)));
}

/* The membrane noise's float Box-Muller (gauss_simd.h) against its formula in long double,
 * sqrt(-2 ln u) (cos, sin)(2 pi v): within 4 * 2^-24 of the radius (the documented bound is
 * 3.5), on random words and on the words where the reductions switch branches. */
static void float_box_muller_matches_formula(void **state)
{
    (void)state;
    static const uint32_t edge[] = {0u,          1u,          0x1fffffffu, 0x20000000u, 0x3fffffffu,
                                    0x40000000u, 0x5fffffffu, 0x60000000u, 0x7fffffffu, 0x80000000u,
                                    0x9fffffffu, 0xa0000000u, 0xb504f333u, 0xc0000000u, 0xdfffffffu,
                                    0xe0000000u, 0xfffffffeu, 0xffffffffu};
    const int n_edge = (int)(sizeof edge / sizeof edge[0]);
    sm_rng r;
    sm_rng_init(&r, 5, SM_STREAM_USER, 2);
    double worst = 0;
    long close = 0, total = 0;
    for (int k = 0; k < 1 << 20; k++) {
        const uint32_t a = k < n_edge * n_edge ? edge[k / n_edge] : sm_rng_u32(&r);
        const uint32_t b = k < n_edge * n_edge ? edge[k % n_edge] : sm_rng_u32(&r);
        const long double u = ((long double)a + 0.5L) / 4294967296.0L;
        const long double v = ((long double)b + 0.5L) / 4294967296.0L;
        const long double radius = sqrtl(-2.0L * logl(u));
        const long double angle = 6.283185307179586476925L * v;
        const long double exact[2] = {radius * cosl(angle), radius * sinl(angle)};
        float sn, cs;
        gauss_sincos_f(b, &sn, &cs);
        const float rad = sqrtf(gauss_m2ln_f(a)), got[2] = {rad * cs, rad * sn};
        for (int j = 0; j < 2; j++) {
            const double err = (double)(fabsl((long double)got[j] - exact[j]) / radius);
            worst = err > worst ? err : worst;
            /* the correctly rounded float or a neighbour, where the value is not near a
             * zero of cos or sin (there an error of the radius' size spans many ulps) */
            if (fabsl(exact[j]) < radius / 10) continue;
            const float near = (float)exact[j];
            close += got[j] == near || got[j] == nextafterf(near, INFINITY) ||
                     got[j] == nextafterf(near, -INFINITY);
            total++;
        }
    }
    assert_true(worst > 0);                /* float, not exact */
    assert_true(worst < 4.0 / 16777216.0); /* 4 * 2^-24 of the radius */
    print_message("float Box-Muller: worst %.2f * 2^-24 of the radius, %.4f within an ulp\n",
                  worst * 16777216.0, (double)close / (double)total);
    assert_true(close > (long)(0.95 * (double)total)); /* 97% measured */
}

/* The float deviates are standard normal and a pair is uncorrelated, with a fair tail:
 * P(|z| > 4) = 6.3e-5 (the words' resolution allows |z| up to 6.76). */
static void float_box_muller_moments(void **state)
{
    (void)state;
    const int n = 2000000;
    sm_rng r;
    sm_rng_init(&r, 78, SM_STREAM_USER, 3);
    moments a = {{0}, 0};
    double s01 = 0, top = 0;
    long beyond4 = 0;
    for (int k = 0; k < n / 2; k++) {
        float sn, cs;
        gauss_sincos_f(sm_rng_u32(&r), &sn, &cs);
        const float rad = sqrtf(gauss_m2ln_f(sm_rng_u32(&r)));
        const double z[2] = {rad * cs, rad * sn};
        for (int j = 0; j < 2; j++) {
            moments_add(&a, z[j]);
            beyond4 += fabs(z[j]) > 4;
            top = fabs(z[j]) > top ? fabs(z[j]) : top;
        }
        s01 += z[0] * z[1];
    }
    assert_standard_normal(&a);
    assert_true(fabs(s01 / (n / 2)) < 5 * sqrt(1.0 / (n / 2)));
    const double p4 = 6.334248366623996e-05; /* P(|z| > 4) */
    assert_true(fabs(beyond4 - p4 * n) < 5 * sqrt(n * p4));
    assert_true(top > 4.5 && top < 6.7);
    /* The largest radius, from the smallest word: sqrt(2 * 33 ln 2) = 6.764. */
    assert_true(fabs(sqrtf(gauss_m2ln_f(0)) - 6.7639f) < 1e-3f);
    assert_true(gauss_m2ln_f(0xffffffffu) > 0); /* u < 1: never a zero radius */
}

static void below_is_unbiased(void **state)
{
    (void)state;
    sm_rng r;
    sm_rng_init(&r, 31337, SM_STREAM_USER, 2);
    /* Chi-square on a small n: 7 cells, 70000 draws, 6 degrees of freedom. P(chi2 > 35)
     * is about 4e-6. */
    enum { N = 7, DRAWS = 70000 };
    long count[N] = {0};
    for (int k = 0; k < DRAWS; k++) {
        uint32_t x = sm_rng_below(&r, N);
        assert_true(x < N);
        count[x]++;
    }
    double chi2 = 0, e = (double)DRAWS / N;
    for (int i = 0; i < N; i++)
        chi2 += (count[i] - e) * (count[i] - e) / e;
    assert_true(chi2 < 35);

    /* n = 3 * 2^30: x % n would put twice the mass below 2^30. The lower and upper
     * halves of [0, n) must be equally likely. */
    const uint32_t big = UINT32_C(3) << 30;
    long lower = 0;
    const int m = 200000;
    for (int k = 0; k < m; k++) {
        uint32_t x = sm_rng_below(&r, big);
        assert_true(x < big);
        lower += x < big / 2;
    }
    assert_true(fabs(lower - 0.5 * m) < 5 * sqrt(m * 0.25));

    /* n = 1 always gives 0. */
    for (int k = 0; k < 100; k++)
        assert_int_equal(sm_rng_below(&r, 1), 0);
}

static void shuffle_is_a_uniform_permutation(void **state)
{
    (void)state;
    sm_rng r;
    sm_rng_init(&r, 8, SM_STREAM_SPLIT, 0);
    enum { N = 1000 };
    int a[N], seen[N];
    for (int i = 0; i < N; i++)
        a[i] = i;
    sm_rng_shuffle(&r, a, N);
    memset(seen, 0, sizeof seen);
    int moved = 0;
    for (int i = 0; i < N; i++) {
        assert_true(a[i] >= 0 && a[i] < N);
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > N - 20); /* about 1 fixed point expected */

    /* All 6 orders of 3 elements equally likely (chi-square, 5 dof, P(> 30) ~ 1.5e-5). */
    enum { DRAWS = 60000 };
    long count[6] = {0};
    for (int k = 0; k < DRAWS; k++) {
        int b[3] = {0, 1, 2};
        sm_rng_shuffle(&r, b, 3);
        count[b[0] * 2 + (b[1] > b[2])]++;
    }
    double chi2 = 0, e = DRAWS / 6.0;
    for (int i = 0; i < 6; i++)
        chi2 += (count[i] - e) * (count[i] - e) / e;
    assert_true(chi2 < 30);

    /* Same seed, same shuffle; n = 0 and 1 are no-ops. */
    int x[50], y[50];
    for (int i = 0; i < 50; i++)
        x[i] = y[i] = i;
    sm_rng r1, r2;
    sm_rng_init(&r1, 1, SM_STREAM_ORDER, 0);
    sm_rng_init(&r2, 1, SM_STREAM_ORDER, 0);
    sm_rng_shuffle(&r1, x, 50);
    sm_rng_shuffle(&r2, y, 50);
    assert_memory_equal(x, y, sizeof x);
    int one = 7;
    sm_rng_shuffle(&r1, &one, 1);
    assert_int_equal(one, 7);
    sm_rng_shuffle(&r1, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philox_known_answers),
        cmocka_unit_test(same_key_same_words_any_change_differs),
        cmocka_unit_test(u01_maps_to_open_interval),
        cmocka_unit_test(uniform_mean_and_variance),
        cmocka_unit_test(normal_moments),
        cmocka_unit_test(float_box_muller_matches_formula),
        cmocka_unit_test(float_box_muller_moments),
        cmocka_unit_test(below_is_unbiased),
        cmocka_unit_test(shuffle_is_a_uniform_permutation),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
