/* Tests of the input encoders: probabilities, spike statistics, keying. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/io/encode.h"
#include "somnus/core/rng.h"

static sm_encoder *make(const sm_config *cfg, int n)
{
    sm_error err;
    sm_encoder *enc = sm_encoder_create(cfg, n, &err);
    if (!enc) fail_msg("%s", err.msg);
    return enc;
}

static void bernoulli_probability_is_clipped_x_times_gain(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.input.gain = 2.5;
    sm_encoder *enc = make(&cfg, 5);
    /* Silence before any image. */
    for (int i = 0; i < 5; i++)
        assert_true(sm_encoder_probability(enc, i) == 0.0);
    const float x[5] = {0.0f, 0.1f, 0.3f, 0.4f, 0.5f};
    sm_error err;
    assert_int_equal(sm_encoder_set_image(enc, x, &err), SM_OK);
    const double q = 1.0 / 4294967296.0; /* quantum of the threshold */
    assert_true(sm_encoder_probability(enc, 0) == 0.0);
    assert_float_near(sm_encoder_probability(enc, 1), 0.1f * 2.5, q);
    assert_float_near(sm_encoder_probability(enc, 2), 0.3f * 2.5, q);
    assert_true(sm_encoder_probability(enc, 3) == 1.0); /* 0.4 * 2.5 = 1 */
    assert_true(sm_encoder_probability(enc, 4) == 1.0); /* 1.25 clipped */
    sm_encoder_destroy(enc);

    cfg.input.gain = 1.0; /* paper config */
    enc = make(&cfg, 2);
    const float y[2] = {0.3f, 0.9f};
    assert_int_equal(sm_encoder_set_image(enc, y, &err), SM_OK);
    assert_float_near(sm_encoder_probability(enc, 0), 0.3f, q);
    assert_float_near(sm_encoder_probability(enc, 1), 0.9f, q);
    sm_encoder_destroy(enc);
}

static void image_drive_counts_what_clipping_loses(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.input.gain = 2.5;
    sm_encoder *enc = make(&cfg, 5);
    /* asked 2.5 x (0 + 0.1 + 0.3 + 0.2 + 0.8) = 3.5; given 0 + 0.25 + 0.75 + 0.5 + 1 = 2.5
     * (0.8 x 2.5 = 2 is clipped to 1). */
    const float x[5] = {0.0f, 0.1f, 0.3f, 0.2f, 0.8f};
    sm_encoder_drive d = sm_encoder_image_drive(enc, x);
    assert_float_near(d.asked, 2.5 * ((double)0.1f + (double)0.3f + (double)0.2f + (double)0.8f),
                      1e-12);
    assert_float_near(d.given, 2.5 * ((double)0.1f + (double)0.3f + (double)0.2f) + 1.0, 1e-12);
    assert_int_equal(d.clipped, 1);
    /* It reads only: the current image (silence) is unchanged. */
    for (int i = 0; i < 5; i++)
        assert_true(sm_encoder_probability(enc, i) == 0.0);
    sm_encoder_destroy(enc);
    /* rate encoder: scale r_max dt / 1000 = 500 Hz x 1 ms = 0.5 */
    cfg.input.encoder = SM_ENC_RATE;
    cfg.input.r_max = 500;
    enc = make(&cfg, 5);
    d = sm_encoder_image_drive(enc, (const float[5]){4.0f, 1.0f, 0.0f, 0.0f, 0.0f});
    assert_float_near(d.asked, 2.5, 1e-12);
    assert_float_near(d.given, 1.5, 1e-12);
    assert_int_equal(d.clipped, 1);
    sm_encoder_destroy(enc);
}

static void rate_probability_is_clipped_x_rmax_dt(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.input.encoder = SM_ENC_RATE;
    cfg.input.gain = 7; /* ignored by the rate encoder */
    sm_encoder *enc = make(&cfg, 4);
    const float x[4] = {0.5f, 1.0f, 0.0f, 30.0f};
    const double q = 1.0 / 4294967296.0;
    assert_int_equal(sm_encoder_set_image(enc, x, NULL), SM_OK);
    assert_float_near(sm_encoder_probability(enc, 0), 0.5 * 90 * 1.0 / 1000, q); /* 0.045 */
    assert_float_near(sm_encoder_probability(enc, 1), 0.090, q);
    assert_true(sm_encoder_probability(enc, 2) == 0.0);
    assert_true(sm_encoder_probability(enc, 3) == 1.0); /* 2.7 clipped */
    sm_encoder_destroy(enc);

    cfg.run.dt = 0.5;
    cfg.input.r_max = 40;
    enc = make(&cfg, 1);
    const float z = 0.75f;
    assert_int_equal(sm_encoder_set_image(enc, &z, NULL), SM_OK);
    assert_float_near(sm_encoder_probability(enc, 0), 0.75 * 40 * 0.5 / 1000, q); /* 0.015 */
    sm_encoder_destroy(enc);
}

static void spike_frequencies_within_binomial_bounds(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.run.seed = 4242;
    enum { N = 9, STEPS = 40000 };
    const double p[N] = {0.01, 0.1, 0.5, 0.9, 0.5, 0.25, 0.0, 1.0, 0.033};
    sm_encoder *enc = make(&cfg, N);
    assert_int_equal(sm_encoder_set_probabilities(enc, p, NULL), SM_OK);
    long count[N] = {0}, both = 0;
    int32_t out[N];
    for (uint64_t t = 0; t < STEPS; t++) {
        int n = sm_encoder_spikes(enc, t, out);
        int has2 = 0, has4 = 0;
        for (int k = 0; k < n; k++) {
            if (k > 0) assert_true(out[k] > out[k - 1]); /* ascending */
            count[out[k]]++;
            has2 |= out[k] == 2;
            has4 |= out[k] == 4;
        }
        both += has2 && has4;
    }
    for (int i = 0; i < N; i++) {
        double mean = STEPS * p[i], sd = sqrt(STEPS * p[i] * (1 - p[i]));
        if (fabs(count[i] - mean) > 5 * sd)
            fail_msg("neuron %d: %ld spikes, expected %.0f +- 5 x %.1f", i, count[i], mean, sd);
    }
    assert_int_equal(count[6], 0);     /* p = 0 never spikes */
    assert_int_equal(count[7], STEPS); /* p = 1 always */
    /* Neurons 2 and 4 (different Philox blocks) are independent: joint rate 0.25. */
    assert_true(fabs(both - 0.25 * STEPS) < 5 * sqrt(STEPS * 0.25 * 0.75));
    sm_encoder_destroy(enc);
}

static void same_block_neighbours_independent(void **state)
{
    (void)state;
    /* Pixels 0..3 share one Philox block: each must use its own word. */
    sm_config cfg;
    sm_config_default(&cfg);
    const double p[4] = {0.5, 0.5, 0.5, 0.5};
    sm_encoder *enc = make(&cfg, 4);
    sm_encoder_set_probabilities(enc, p, NULL);
    enum { STEPS = 20000 };
    long pair01 = 0, pair23 = 0;
    int32_t out[4];
    for (uint64_t t = 0; t < STEPS; t++) {
        int n = sm_encoder_spikes(enc, t, out);
        int s[4] = {0};
        for (int k = 0; k < n; k++)
            s[out[k]] = 1;
        pair01 += s[0] && s[1];
        pair23 += s[2] && s[3];
    }
    assert_true(fabs(pair01 - 0.25 * STEPS) < 5 * sqrt(STEPS * 0.25 * 0.75));
    assert_true(fabs(pair23 - 0.25 * STEPS) < 5 * sqrt(STEPS * 0.25 * 0.75));
    sm_encoder_destroy(enc);
}

/* Spikes of neuron i at steps [0, steps) as a bit mask per step. */
static void spike_pattern(const sm_encoder *enc, int i, int steps, uint8_t *out)
{
    int32_t *ids = malloc((size_t)enc->n * sizeof *ids);
    for (int t = 0; t < steps; t++) {
        int n = sm_encoder_spikes(enc, (uint64_t)t, ids);
        out[t] = 0;
        for (int k = 0; k < n; k++)
            out[t] |= ids[k] == i;
    }
    free(ids);
}

static void deterministic_per_seed_and_step(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.run.seed = 17;
    enum { N = 30, STEPS = 500 };
    float x[N];
    for (int i = 0; i < N; i++)
        x[i] = 0.02f * (float)i;
    sm_encoder *a = make(&cfg, N), *b = make(&cfg, N);
    sm_encoder_set_image(a, x, NULL);
    sm_encoder_set_image(b, x, NULL);
    int32_t sa[N], sb[N];
    /* Any order of steps gives the same spikes for a step. */
    for (int t = STEPS - 1; t >= 0; t--) {
        int na = sm_encoder_spikes(a, (uint64_t)t, sa);
        int nb = sm_encoder_spikes(b, (uint64_t)t, sb);
        assert_int_equal(na, nb);
        assert_memory_equal(sa, sb, (size_t)na * sizeof *sa);
        assert_int_equal(sm_encoder_spikes(a, (uint64_t)t, sb), na);
        assert_memory_equal(sa, sb, (size_t)na * sizeof *sa);
    }
    /* Another seed, other spikes. */
    cfg.run.seed = 18;
    sm_encoder *c = make(&cfg, N);
    sm_encoder_set_image(c, x, NULL);
    uint8_t pa[STEPS], pc[STEPS];
    spike_pattern(a, 20, STEPS, pa);
    spike_pattern(c, 20, STEPS, pc);
    assert_true(memcmp(pa, pc, STEPS) != 0);
    sm_encoder_destroy(a);
    sm_encoder_destroy(b);
    sm_encoder_destroy(c);
}

static void other_pixels_do_not_change_a_neuron(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.run.seed = 99;
    enum { N = 40, STEPS = 2000 };
    float x[N];
    for (int i = 0; i < N; i++)
        x[i] = 0.3f;
    sm_encoder *enc = make(&cfg, N);
    sm_encoder_set_image(enc, x, NULL);
    uint8_t before[STEPS], after[STEPS];
    spike_pattern(enc, 5, STEPS, before);
    /* Change a neighbour in the same Philox block (4), a far pixel, and silence others. */
    x[4] = 0.9f;
    x[33] = 0.0f;
    x[0] = 1.0f;
    x[6] = 0.0f;
    sm_encoder_set_image(enc, x, NULL);
    spike_pattern(enc, 5, STEPS, after);
    assert_memory_equal(before, after, STEPS);
    /* Raising the neuron's own probability only adds spikes (same uniform draws). */
    x[5] = 0.6f;
    sm_encoder_set_image(enc, x, NULL);
    spike_pattern(enc, 5, STEPS, after);
    int added = 0;
    for (int t = 0; t < STEPS; t++) {
        assert_true(after[t] >= before[t]);
        added += after[t] > before[t];
    }
    assert_true(added > 0);
    sm_encoder_destroy(enc);
}

static void invalid_pixels_rejected(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_encoder *enc = make(&cfg, 3);
    const float good[3] = {0.2f, 0.4f, 0.6f};
    assert_int_equal(sm_encoder_set_image(enc, good, NULL), SM_OK);
    const float bad_values[] = {NAN, -0.1f, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof bad_values / sizeof bad_values[0]; k++) {
        float x[3] = {0.5f, bad_values[k], 0.5f};
        sm_error err;
        assert_int_equal(sm_encoder_set_image(enc, x, &err), SM_EINVAL);
        assert_non_null(strstr(err.msg, "pixel 1"));
        /* The previous image stays in force. */
        assert_float_near(sm_encoder_probability(enc, 1), 0.4f, 1e-9);
    }
    const double bad_p[][3] = {{0.1, 1.5, 0.0}, {0.1, -0.01, 0.0}, {0.1, NAN, 0.0}};
    for (int k = 0; k < 3; k++) {
        sm_error err;
        assert_int_equal(sm_encoder_set_probabilities(enc, bad_p[k], &err), SM_EINVAL);
        assert_non_null(strstr(err.msg, "probability 1"));
    }
    sm_encoder_destroy(enc);
}

static void silence_gives_no_spikes(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_encoder *enc = make(&cfg, 10);
    int32_t out[10];
    for (uint64_t t = 0; t < 100; t++)
        assert_int_equal(sm_encoder_spikes(enc, t, out), 0);
    float x[10] = {0};
    x[3] = 0.5f;
    sm_encoder_set_image(enc, x, NULL);
    memset(x, 0, sizeof x);
    sm_encoder_set_image(enc, x, NULL); /* back to silence */
    for (uint64_t t = 0; t < 100; t++)
        assert_int_equal(sm_encoder_spikes(enc, t, out), 0);
    sm_encoder_destroy(enc);
}

/* One sm_rng_block per pixel, tested pixel by pixel: the definition of the encoder. */
static int reference_spikes(const sm_encoder *enc, uint64_t step, int32_t *out)
{
    int n = 0;
    for (int i = 0; i < enc->n; i++) {
        sm_rng_words wd = sm_rng_block(enc->seed, SM_STREAM_INPUT, step, (uint32_t)i / 4);
        if (sm_encoder_probability(enc, i) == 1.0 || wd.w[i % 4] < enc->threshold[i]) out[n++] = i;
    }
    return n;
}

static void spikes_equal_per_pixel_reference(void **state)
{
    (void)state;
    /* Sizes around the 64-pixel groups and the paper's 225; dense images (every pixel
     * active), sparse ones (a few active pixels, whole groups silent) and ones with
     * p = 0 and p = 1 pixels; seeds and steps with high 32-bit halves. Each image replaces
     * the last, so stale state from a previous image would show. */
    const int sizes[] = {1, 3, 5, 63, 64, 65, 128, 225, 300, 700};
    const uint64_t seeds[] = {0, 42, 0x123456789abcdefull};
    srand(777);
    for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
        const int n = sizes[q];
        double *p = malloc((size_t)n * sizeof *p);
        int32_t *got = malloc((size_t)n * sizeof *got), *want = malloc((size_t)n * sizeof *want);
        assert_non_null(p);
        assert_non_null(got);
        assert_non_null(want);
        for (size_t z = 0; z < sizeof seeds / sizeof seeds[0]; z++) {
            sm_config cfg;
            sm_config_default(&cfg);
            cfg.run.seed = (int64_t)seeds[z];
            sm_encoder *enc = make(&cfg, n);
            for (int pattern = 0; pattern < 4; pattern++) {
                for (int i = 0; i < n; i++) {
                    const double u = (double)rand() / RAND_MAX;
                    p[i] = pattern == 0   ? u
                           : pattern == 1 ? (rand() % 40 == 0 ? u : 0.0)
                           : pattern == 2 ? (i % 5 == 0 ? 1.0 : (i % 5 == 1 ? 0.0 : u))
                                          : (i >= n / 2 ? u : 0.0);
                }
                assert_int_equal(sm_encoder_set_probabilities(enc, p, NULL), SM_OK);
                for (int t = 0; t < 40; t++) {
                    const uint64_t step = (uint64_t)t * 0x9E3779B97F4A7C15ull >> (t % 64);
                    const int m = reference_spikes(enc, step, want);
                    assert_int_equal(sm_encoder_spikes(enc, step, got), m);
                    assert_memory_equal(got, want, (size_t)m * sizeof *got);
                }
            }
            sm_encoder_destroy(enc);
        }
        free(p);
        free(got);
        free(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bernoulli_probability_is_clipped_x_times_gain),
        cmocka_unit_test(rate_probability_is_clipped_x_rmax_dt),
        cmocka_unit_test(image_drive_counts_what_clipping_loses),
        cmocka_unit_test(spike_frequencies_within_binomial_bounds),
        cmocka_unit_test(same_block_neighbours_independent),
        cmocka_unit_test(deterministic_per_seed_and_step),
        cmocka_unit_test(other_pixels_do_not_change_a_neuron),
        cmocka_unit_test(invalid_pixels_rejected),
        cmocka_unit_test(silence_gives_no_spikes),
        cmocka_unit_test(spikes_equal_per_pixel_reference),
    };
    return cmocka_run_group_tests_name("encode", tests, NULL, NULL);
}
