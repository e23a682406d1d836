/* Loss-of-plasticity diagnostics (spec plasticity-loss.md section 1) on constructed
 * matrices whose ranks, spectra and dormant fractions are known by hand. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/analysis/diagnostics.h"

/* counts = T * I (H x H): every singular value is 1, srank = erank = H. */
static void identity_has_full_rank(void **state)
{
    (void)state;
    enum { H = 7, T = 20 };
    float c[H * H] = {0};
    for (int i = 0; i < H; i++)
        c[i * H + i] = T;
    double sv[H];
    assert_int_equal(sm_diag_singular_values(c, H, H, T, sv, NULL), SM_OK);
    for (int k = 0; k < H; k++)
        assert_float_near(sv[k], 1.0, 1e-12);
    assert_int_equal(sm_diag_srank(sv, H, 0.01), H);
    assert_float_near(sm_diag_erank(sv, H), (double)H, 1e-9);
}

/* Every row a multiple of one vector: rank 1, on both Gram paths (n > H and n < H). */
static void rank_one_has_rank_one(void **state)
{
    (void)state;
    enum { N = 6, H = 4 };
    const float v[H] = {1, 2, 0, 3};
    float a[N * H], b[H * N];
    for (int x = 0; x < N; x++)
        for (int i = 0; i < H; i++) {
            a[x * H + i] = (float)(x + 1) * v[i];
            b[i * N + x] = a[x * H + i]; /* the transpose: 4 rows of 6 */
        }
    double sa[H], sb[H];
    assert_int_equal(sm_diag_singular_values(a, N, H, 1, sa, NULL), SM_OK);
    assert_int_equal(sm_diag_singular_values(b, H, N, 1, sb, NULL), SM_OK);
    /* sigma_1 = ||v|| * ||(1..6)|| = sqrt(14) * sqrt(91) */
    assert_float_near(sa[0], sqrt(14.0 * 91.0), 1e-9);
    assert_float_near(sb[0], sqrt(14.0 * 91.0), 1e-9);
    assert_int_equal(sm_diag_srank(sa, H, 0.01), 1);
    assert_int_equal(sm_diag_srank(sb, H, 0.01), 1);
    assert_float_near(sm_diag_erank(sa, H), 1.0, 1e-6);
}

/* Orthogonal rows with norms 0.5, 0.3, 0.15, 0.05 (per step, T = 10): those are the
 * singular values; cumulative shares 0.5, 0.8, 0.95, 1. */
static void known_spectrum(void **state)
{
    (void)state;
    enum { H = 4, T = 10 };
    /* rows along (1,1,0,0)/sqrt2, (1,-1,0,0)/sqrt2, e3, e4 with the chosen norms */
    const double s2 = sqrt(2.0);
    float c[H * H] = {(float)(T * 0.3 / s2),
                      (float)(-T * 0.3 / s2),
                      0,
                      0,
                      0,
                      0,
                      (float)(T * 0.05),
                      0,
                      (float)(T * 0.5 / s2),
                      (float)(T * 0.5 / s2),
                      0,
                      0,
                      0,
                      0,
                      0,
                      (float)(T * 0.15)};
    double sv[H];
    assert_int_equal(sm_diag_singular_values(c, H, H, T, sv, NULL), SM_OK);
    assert_float_near(sv[0], 0.5, 1e-6);
    assert_float_near(sv[1], 0.3, 1e-6);
    assert_float_near(sv[2], 0.15, 1e-6);
    assert_float_near(sv[3], 0.05, 1e-6);
    const double exact[H] = {0.5, 0.3, 0.15, 0.05};
    assert_int_equal(sm_diag_srank(exact, H, 0.01), 4);
    assert_int_equal(sm_diag_srank(exact, H, 0.1), 3);
    assert_int_equal(sm_diag_srank(exact, H, 0.25), 2);
    assert_int_equal(sm_diag_srank(exact, H, 0.6), 1);
    const double h = -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.15 * log(0.15) + 0.05 * log(0.05));
    assert_float_near(sm_diag_erank(exact, H), exp(h), 1e-12);
    assert_float_near(sm_diag_erank(sv, H), exp(h), 1e-5);
}

/* Means per neuron 0, 0.5, 10, 10 (layer mean 5.125): scores 0, 0.0976, 1.95, 1.95. */
static void dormant_fractions_by_hand(void **state)
{
    (void)state;
    const float c[2 * 4] = {0, 1, 10, 9, 0, 0, 10, 11};
    assert_float_near(sm_diag_dormant_fraction(c, 2, 4, 0), 0.25, 0);
    assert_float_near(sm_diag_dormant_fraction(c, 2, 4, 0.025), 0.25, 0);
    assert_float_near(sm_diag_dormant_fraction(c, 2, 4, 0.1), 0.5, 0);
    assert_float_near(sm_diag_dormant_fraction(c, 2, 4, 2.0), 1.0, 0);
    /* T = 10: means per step 0, 0.05, 1, 1 -> two at or above 0.95 */
    assert_float_near(sm_diag_saturated_fraction(c, 2, 4, 10, 0.95), 0.5, 0);
    assert_float_near(sm_diag_saturated_fraction(c, 2, 4, 20, 0.95), 0.0, 0);
    /* ||(0,.1,1,.9)|| and ||(0,0,1,1.1)|| */
    assert_float_near(sm_diag_feature_norm(c, 2, 4, 10),
                      (sqrt(0.01 + 1 + 0.81) + sqrt(1 + 1.21)) / 2, 1e-6);
    const float w[3] = {3, 0, -4};
    assert_float_near(sm_diag_frobenius(w, 3), 5.0, 0);
}

static void all_zero_layer(void **state)
{
    (void)state;
    float c[3 * 5] = {0};
    sm_diag_layer d;
    double sv[3];
    assert_int_equal(sm_diag_layer_compute(c, 3, 5, 10, 0.95, 0.01, &d, sv, NULL), SM_OK);
    assert_float_near(d.silent, 1.0, 0);
    assert_float_near(d.dormant_1, 1.0, 0);
    assert_float_near(d.saturated, 0.0, 0);
    assert_float_near(d.srank, 0.0, 0);
    assert_float_near(d.erank, 0.0, 0);
    assert_float_near(d.feature_norm, 0.0, 0);
    for (int k = 0; k < 3; k++)
        assert_float_near(sv[k], 0.0, 0);
}

static void layer_compute_agrees_with_the_parts(void **state)
{
    (void)state;
    const float c[3 * 2] = {5, 0, 0, 2, 5, 0};
    sm_diag_layer d;
    assert_int_equal(sm_diag_layer_compute(c, 3, 2, 10, 0.95, 0.01, &d, NULL, NULL), SM_OK);
    /* columns (0.5, 0, 0.5) and (0, 0.2, 0): orthogonal, sigma = 0.5 sqrt2 and 0.2 */
    const double s1 = 0.5 * sqrt(2.0), s2 = 0.2;
    assert_float_near(d.srank, 2.0, 0);
    const double p = s1 / (s1 + s2), q = s2 / (s1 + s2);
    assert_float_near(d.erank, exp(-(p * log(p) + q * log(q))), 1e-6);
    assert_float_near(d.silent, 0.0, 0);
    /* means 10/3 and 2/3, layer 2: scores 1.67 and 0.33 */
    assert_float_near(d.dormant_1, 0.0, 0);
    assert_int_equal(d.H, 2);
    assert_int_equal(sm_diag_layer_compute(c, 0, 2, 10, 0.95, 0.01, &d, NULL, NULL), SM_EINVAL);
}

/* Spec 1.5 by hand: row norms 5 (3,4), 1, 0 and 2e-3 (0, 2e-3): mean 6.002e0 / 4 = 1.5005,
 * threshold 1.5005e-3: rows 3 (0) and 4 (2e-3 > 1.5005e-3: not starved) -> 1 of 4; with
 * the last row at 1e-3 (<= threshold) -> 2 of 4; just below and above the threshold. */
static void starved_fraction_by_hand(void **state)
{
    (void)state;
    double g[8] = {3, 4, 1, 0, 0, 0, 0, 2e-3};
    assert_float_near(sm_diag_starved_fraction(g, 4, 2), 0.25, 1e-15);
    g[7] = 1e-3;
    assert_float_near(sm_diag_starved_fraction(g, 4, 2), 0.5, 1e-15);
    /* two rows: norms 1 and t; mean (1 + t) / 2; t = 1e-3 (1 + t) / 2 at t = 1e-3 / 1.999 */
    double h[2] = {1, 0.999 * 1e-3 / (2 - 1e-3)};
    assert_float_near(sm_diag_starved_fraction(h, 2, 1), 0.5, 1e-15);
    h[1] *= 1.01 / 0.999;
    assert_float_near(sm_diag_starved_fraction(h, 2, 1), 0.0, 1e-15);
    assert_float_near(sm_diag_starved_fraction(NULL, 0, 3), 0.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_has_full_rank),
        cmocka_unit_test(rank_one_has_rank_one),
        cmocka_unit_test(known_spectrum),
        cmocka_unit_test(dormant_fractions_by_hand),
        cmocka_unit_test(all_zero_layer),
        cmocka_unit_test(layer_compute_agrees_with_the_parts),
        cmocka_unit_test(starved_fraction_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
