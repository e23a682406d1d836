#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/analysis/readout.h"
#include "somnus/core/rng.h"

/* ------------------------------------------------------------------------------------
 * PCA
 * ---------------------------------------------------------------------------------- */

/* Points on the line y = 2x: one component, all the variance, direction (1,2)/sqrt5. */
static const double line_x[] = {0, 0, 1, 2, 2, 4, 3, 6};

static void pca_points_on_a_line_keep_one_component(void **state)
{
    (void)state;
    sm_error err;
    sm_pca *pca = sm_pca_fit(line_x, 4, 2, 0.95, &err);
    assert_non_null(pca);
    assert_int_equal(sm_pca_n_components(pca), 1);
    assert_float_near(sm_pca_explained_variance_ratio(pca, 0), 1.0, 1e-12);
    /* centred points are t * (1,2) with t = -1.5, -0.5, 0.5, 1.5: variance
     * 5 * (2.25 + 0.25 + 0.25 + 2.25) / 3 = 25/3 */
    assert_float_near(sm_pca_explained_variance(pca, 0), 25.0 / 3.0, 1e-12);
    assert_float_near(sm_pca_total_variance(pca), 25.0 / 3.0, 1e-12);
    const double *u = sm_pca_component(pca, 0);
    assert_float_near(u[0], 1.0 / sqrt(5.0), 1e-12);
    assert_float_near(u[1], 2.0 / sqrt(5.0), 1e-12);
    assert_float_near(sm_pca_mean(pca)[0], 1.5, 1e-15);
    assert_float_near(sm_pca_mean(pca)[1], 3.0, 1e-15);
    sm_pca_destroy(pca);
}

static void pca_projection_values(void **state)
{
    (void)state;
    sm_pca *pca = sm_pca_fit(line_x, 4, 2, 0.95, NULL);
    double z[4], zw[4];
    assert_int_equal(sm_pca_transform(pca, line_x, 4, 0, z, NULL), SM_OK);
    assert_int_equal(sm_pca_transform(pca, line_x, 4, 1, zw, NULL), SM_OK);
    /* (x - mean) . (1,2)/sqrt5 = t * sqrt5 */
    const double t[] = {-1.5, -0.5, 0.5, 1.5};
    for (int i = 0; i < 4; i++) {
        assert_float_near(z[i], t[i] * sqrt(5.0), 1e-12);
        assert_float_near(zw[i], t[i] * sqrt(5.0) / sqrt(25.0 / 3.0), 1e-12);
    }
    /* a new point projects with the training mean: (5, 0) -> (3.5*1 - 3*2)/sqrt5 */
    const double q[] = {5, 0};
    assert_int_equal(sm_pca_transform(pca, q, 1, 0, z, NULL), SM_OK);
    assert_float_near(z[0], -2.5 / sqrt(5.0), 1e-12);
    sm_pca_destroy(pca);
}

/* Four points +-3 u1, +-sqrt(1.5) u2 with u1 = (2,1)/sqrt5, u2 = (-1,2)/sqrt5: the
 * covariance (divisor 3) is 6 u1 u1' + 1 u2 u2' = [[5,2],[2,2]], eigenvalues 6 and 1. */
static void make_2d_case(double *x)
{
    const double s5 = sqrt(5.0), b = sqrt(1.5);
    const double pts[8] = {3 * 2 / s5,  3 * 1 / s5, -3 * 2 / s5,  -3 * 1 / s5,
                           b * -1 / s5, b * 2 / s5, -b * -1 / s5, -b * 2 / s5};
    memcpy(x, pts, sizeof pts);
}

static void pca_2d_known_eigenvalues_and_vectors(void **state)
{
    (void)state;
    double x[8];
    make_2d_case(x);
    sm_pca *pca = sm_pca_fit(x, 4, 2, 0.95, NULL);
    assert_int_equal(sm_pca_n_components(pca), 2); /* 6/7 = 0.857 < 0.95 */
    assert_float_near(sm_pca_explained_variance(pca, 0), 6.0, 1e-12);
    assert_float_near(sm_pca_explained_variance(pca, 1), 1.0, 1e-12);
    assert_float_near(sm_pca_explained_variance_ratio(pca, 0), 6.0 / 7.0, 1e-12);
    const double *u1 = sm_pca_component(pca, 0), *u2 = sm_pca_component(pca, 1);
    assert_float_near(u1[0], 2 / sqrt(5.0), 1e-12);
    assert_float_near(u1[1], 1 / sqrt(5.0), 1e-12);
    /* sign rule: the largest-magnitude loading is positive */
    assert_float_near(u2[0], -1 / sqrt(5.0), 1e-12);
    assert_float_near(u2[1], 2 / sqrt(5.0), 1e-12);
    sm_pca_destroy(pca);
    pca = sm_pca_fit(x, 4, 2, 0.85, NULL);
    assert_int_equal(sm_pca_n_components(pca), 1); /* 0.857 >= 0.85 */
    sm_pca_destroy(pca);
}

/* Eigenvalues 19 and 1: the first component explains exactly 95%. */
static void pca_component_count_at_the_95_percent_threshold(void **state)
{
    (void)state;
    const double a = sqrt(28.5), b = sqrt(1.5); /* 2a^2/3 = 19, 2b^2/3 = 1 */
    const double x[] = {a, 0, -a, 0, 0, b, 0, -b};
    sm_pca *pca = sm_pca_fit(x, 4, 2, 0.95, NULL);
    assert_int_equal(sm_pca_n_components(pca), 1); /* reaching 95% is enough */
    assert_float_near(sm_pca_explained_variance_ratio(pca, 0), 0.95, 1e-12);
    sm_pca_destroy(pca);
    pca = sm_pca_fit(x, 4, 2, 0.9501, NULL);
    assert_int_equal(sm_pca_n_components(pca), 2);
    sm_pca_destroy(pca);
    pca = sm_pca_fit(x, 4, 2, 1.0, NULL);
    assert_int_equal(sm_pca_n_components(pca), 2);
    sm_pca_destroy(pca);
}

static void pca_constant_feature_is_ignored(void **state)
{
    (void)state;
    const double x[] = {0, 7, 1, 7, 2, 7};
    sm_pca *pca = sm_pca_fit(x, 3, 2, 0.95, NULL);
    assert_int_equal(sm_pca_n_components(pca), 1);
    assert_float_near(sm_pca_total_variance(pca), 1.0, 1e-12);
    assert_float_near(sm_pca_component(pca, 0)[0], 1.0, 1e-12);
    assert_float_near(sm_pca_component(pca, 0)[1], 0.0, 1e-12);
    sm_pca_destroy(pca);
}

static void pca_identical_rows_give_one_zero_component(void **state)
{
    (void)state;
    /* 0.1 does not survive sum/n exactly; the constant-column rule keeps it exact */
    const double x[] = {0.1, 0.3, 0.1, 0.3, 0.1, 0.3};
    sm_pca *pca = sm_pca_fit(x, 3, 2, 0.95, NULL);
    assert_non_null(pca);
    assert_int_equal(sm_pca_n_components(pca), 1);
    assert_true(sm_pca_total_variance(pca) == 0.0);
    assert_true(sm_pca_explained_variance(pca, 0) == 0.0);
    assert_true(sm_pca_explained_variance_ratio(pca, 0) == 0.0);
    double z[3];
    assert_int_equal(sm_pca_transform(pca, x, 3, 1, z, NULL), SM_OK);
    for (int i = 0; i < 3; i++)
        assert_true(z[i] == 0.0);
    sm_pca_destroy(pca);
}

static void pca_rejects_bad_input(void **state)
{
    (void)state;
    sm_error err;
    const double x[] = {1, 2, 3, 4};
    assert_null(sm_pca_fit(x, 1, 4, 0.95, &err));
    assert_int_equal(err.code, SM_EINVAL);
    assert_null(sm_pca_fit(x, 2, 2, 0.0, &err));
    assert_non_null(strstr(err.msg, "variance fraction 0"));
    const double bad[] = {1, 2, NAN, 4};
    assert_null(sm_pca_fit(bad, 2, 2, 0.95, &err));
    assert_int_equal(err.code, SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "row 1, feature 0"));
}

/* ------------------------------------------------------------------------------------
 * phi
 * ---------------------------------------------------------------------------------- */

static void phi_is_zero_for_identical_class_means(void **state)
{
    (void)state;
    const float x[] = {0, 2, 1, 1}; /* class 0: {0, 2}, class 1: {1, 1}, both means 1 */
    const int y[] = {0, 0, 1, 1};
    double phi = -1;
    assert_int_equal(sm_phi(x, y, 4, 1, &phi, NULL), SM_OK);
    assert_float_near(phi, 0.0, 1e-15);
}

static void phi_is_one_without_within_class_spread(void **state)
{
    (void)state;
    const float x[] = {1, 1, 1, 1, 3, 5, 3, 5};
    const int y[] = {4, 4, 9, 9};
    double phi = -1;
    assert_int_equal(sm_phi(x, y, 4, 2, &phi, NULL), SM_OK);
    assert_float_near(phi, 1.0, 1e-15);
}

static void phi_intermediate_case(void **state)
{
    (void)state;
    /* feature 0: class 0 {0,1,2} (mean 1), class 1 {7}; grand mean 2.5:
     *   BCSS = 3 * 1.5^2 + 1 * 4.5^2 = 27, WCSS = 1 + 0 + 1 = 2
     * feature 1: class 0 {0,0,3} (mean 1), class 1 {1}; grand mean 1:
     *   BCSS = 0, WCSS = 1 + 1 + 4 = 6
     * phi = 27 / (27 + 8) */
    const double x[] = {0, 0, 1, 0, 2, 3, 7, 1};
    const int y[] = {0, 0, 0, 1};
    double phi = -1;
    assert_int_equal(sm_phi_f64(x, y, 4, 2, &phi, NULL), SM_OK);
    assert_float_near(phi, 27.0 / 35.0, 1e-14);
}

static void scatter_gives_the_sums_and_the_authors_f_ratio(void **state)
{
    (void)state;
    /* the phi_intermediate_case data: BCSS 27, WCSS 8, n = 4, k = 2:
     * F = (27 / 1) / (8 / 2) = 6.75 */
    const float x[] = {0, 0, 1, 0, 2, 3, 7, 1};
    const int y[] = {0, 0, 0, 1};
    sm_scatter s;
    assert_int_equal(sm_scatter_of(x, y, 4, 2, &s, NULL), SM_OK);
    assert_float_near(s.bcss, 27.0, 1e-12);
    assert_float_near(s.wcss, 8.0, 1e-12);
    assert_int_equal(s.n_classes, 2);
    assert_float_near(s.eta2, 27.0 / 35.0, 1e-14);
    assert_float_near(s.f_ratio, 6.75, 1e-12);
    const float sep[] = {1, 1, 3, 3};
    const int ys[] = {0, 0, 1, 1};
    assert_int_equal(sm_scatter_of(sep, ys, 4, 1, &s, NULL), SM_OK);
    assert_true(isinf(s.f_ratio)); /* no within-class spread */
}

static void phi_of_identical_rows_is_zero(void **state)
{
    (void)state;
    const float x[6] = {0};
    const int y[] = {0, 1, 2};
    double phi = -1;
    assert_int_equal(sm_phi(x, y, 3, 2, &phi, NULL), SM_OK);
    assert_true(phi == 0.0);
    /* 0.1 + 0.1 + 0.1 != 0.3: without care, rounding gives a meaningless 1e-33 / 1e-33 */
    const double x1[] = {0.1, 0.1, 0.1};
    const int y1[] = {0, 0, 1};
    assert_int_equal(sm_phi_f64(x1, y1, 3, 1, &phi, NULL), SM_OK);
    assert_true(phi == 0.0);
}

static void phi_rejects_negative_label_and_nan(void **state)
{
    (void)state;
    sm_error err;
    double phi;
    const float x[] = {0, 1, 2};
    const int y[] = {0, -2, 1};
    assert_int_equal(sm_phi(x, y, 3, 1, &phi, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "y[1] = -2"));
    const float xn[] = {0, NAN, 2};
    const int y2[] = {0, 1, 1};
    assert_int_equal(sm_phi(xn, y2, 3, 1, &phi, &err), SM_ENUMERIC);
}

/* ------------------------------------------------------------------------------------
 * QDA
 * ---------------------------------------------------------------------------------- */

/* 1-D: class 0 = {-1, 0, 1}: mean 0, S^2/(n-1) = 2/2 = 1, S2 = 0.9 * 1 + 0.1 = 1;
 *      class 1 = {8, 12}:    mean 10, S^2/(n-1) = 8/1 = 8, S2 = 0.9 * 8 + 0.1 = 7.3;
 * priors 3/5 and 2/5. */
static const double qda_x[] = {-1, 0, 1, 8, 12};
static const int qda_y[] = {0, 0, 0, 1, 1};

static void qda_decision_matches_hand_computation(void **state)
{
    (void)state;
    sm_qda *q = sm_qda_fit(qda_x, qda_y, 5, 1, 0.1, NULL);
    assert_non_null(q);
    assert_int_equal(sm_qda_n_classes(q), 2);
    const double x[] = {4.5};
    double dec[2];
    assert_int_equal(sm_qda_decision(q, x, 1, dec, NULL), SM_OK);
    assert_float_near(dec[0], -0.5 * (4.5 * 4.5 / 1.0 + log(1.0)) + log(0.6), 1e-12);
    assert_float_near(dec[1], -0.5 * (5.5 * 5.5 / 7.3 + log(7.3)) + log(0.4), 1e-12);
    sm_qda_destroy(q);
}

static void qda_prefers_the_wider_class_beyond_the_midpoint(void **state)
{
    (void)state;
    /* 4.5 is nearer class 0's mean, but class 1's larger variance wins (-10.64 vs
     * -3.98): the quadratic boundary, not nearest-mean. 2 is still class 0. */
    sm_qda *q = sm_qda_fit(qda_x, qda_y, 5, 1, 0.1, NULL);
    const double x[] = {4.5, 2.0, 10.0};
    int pred[3];
    assert_int_equal(sm_qda_predict(q, x, 3, pred, NULL), SM_OK);
    assert_int_equal(pred[0], 1);
    assert_int_equal(pred[1], 0);
    assert_int_equal(pred[2], 1);
    sm_qda_destroy(q);
}

static void qda_2d_rotated_class_covariance(void **state)
{
    (void)state;
    /* class 5: (1,1), (-1,-1): thin SVD gives 2 axes, S = (2, 0) along (1,1)/sqrt2 and
     * (1,-1)/sqrt2; S2 = 0.9 * 4 / 1 + 0.1 = 3.7 and 0.1. class 7: 4 points +-(1,0),
     * +-(0,1) around (10,0): S2 = 0.9 * 2/3 + 0.1 = 0.7 on both axes. For x = (1,-1):
     * class 5: projections 0 and sqrt2 -> norm2 = 0 + 2/0.1 = 20, u = log 3.7 + log 0.1 */
    const double x[] = {1, 1, -1, -1, 11, 0, 9, 0, 10, 1, 10, -1};
    const int y[] = {5, 5, 7, 7, 7, 7};
    sm_qda *q = sm_qda_fit(x, y, 6, 2, 0.1, NULL);
    assert_int_equal(sm_qda_label(q, 0), 5);
    assert_int_equal(sm_qda_label(q, 1), 7);
    const double t[] = {1, -1};
    double dec[2];
    assert_int_equal(sm_qda_decision(q, t, 1, dec, NULL), SM_OK);
    assert_float_near(dec[0], -0.5 * (20.0 + log(3.7) + log(0.1)) + log(2.0 / 6.0), 1e-10);
    /* class 7: (x - mean) = (-9, -1), norm2 = 82 / 0.7 */
    assert_float_near(dec[1], -0.5 * (82.0 / 0.7 + 2 * log(0.7)) + log(4.0 / 6.0), 1e-10);
    sm_qda_destroy(q);
}

static void qda_rejects_single_row_class_and_singular_covariance(void **state)
{
    (void)state;
    sm_error err;
    const double x[] = {0, 1, 2, 5};
    const int y[] = {0, 0, 0, 3};
    assert_null(sm_qda_fit(x, y, 4, 1, 0.1, &err));
    assert_int_equal(err.code, SM_EINVAL);
    assert_non_null(strstr(err.msg, "class 3 has only 1 row"));
    const double x2[] = {0, 0, 1, 1, 5, 5, 6, 6}; /* 2-D, each class on a line */
    const int y2[] = {0, 0, 1, 1};
    assert_null(sm_qda_fit(x2, y2, 4, 2, 0.0, &err));
    assert_int_equal(err.code, SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "singular"));
}

/* ------------------------------------------------------------------------------------
 * Full readout
 * ---------------------------------------------------------------------------------- */

/* Three clusters at the corners of a triangle, with a deterministic +-1 jitter. */
static void make_clusters(float *x, int *y, int n, int d, int offset)
{
    const float centre[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    for (int i = 0; i < n; i++) {
        int c = i % 3, s = i + offset;
        y[i] = c;
        for (int j = 0; j < d; j++) {
            float jitter = (float)((s * 7 + j * 3) % 5 - 2) * 0.5f;
            x[i * d + j] = (j < 2 ? centre[c][j] : 3.0f) + (j < 2 ? jitter : 0.0f);
        }
    }
}

static void logreg_separates_three_classes(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    int ytr[30], yte[9], pred[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 100);
    sm_readout_result r;
    sm_error err;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, pred, &r, &err), SM_OK);
    assert_float_near(r.accuracy, 1.0, 0);
    assert_int_equal(r.n_correct, 9);
    assert_int_equal(r.n_classes, 3);
    assert_int_equal(r.n_fit, 30);
    assert_int_equal(r.degenerate, 0);
    for (int i = 0; i < 9; i++)
        assert_int_equal(pred[i], yte[i]);
}

static void logreg_without_whitening_also_separates(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    int ytr[30], yte[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 100);
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    p.logreg_whiten = 0;
    sm_readout_result r;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, NULL), SM_OK);
    assert_float_near(r.accuracy, 1.0, 0);
}

static void constant_features_are_fine(void **state)
{
    (void)state;
    /* 4 features, 2 of them constant (3.0 and 0.0) */
    float xtr[30 * 4], xte[9 * 4];
    int ytr[30], yte[9];
    make_clusters(xtr, ytr, 30, 4, 0);
    make_clusters(xte, yte, 9, 4, 100);
    for (int i = 0; i < 30; i++)
        xtr[i * 4 + 3] = 0.0f;
    for (int i = 0; i < 9; i++)
        xte[i * 4 + 3] = 0.0f;
    sm_readout_result r;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 4, NULL, &r, NULL), SM_OK);
    assert_float_near(r.accuracy, 1.0, 0);
    assert_true(r.n_components <= 2);
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 4, NULL, &r, NULL), SM_OK);
    assert_float_near(r.accuracy, 1.0, 0);
}

/* Whitened scores make the fit independent of the representation's units: spike counts
 * and rates (counts / 1000) give the same predictions. */
static void logreg_is_invariant_to_the_units_of_x(void **state)
{
    (void)state;
    enum { N = 60, T = 30, D = 3 };
    double xtr[N * D], xte[T * D], str[N * D], ste[T * D];
    int ytr[N], yte[T], p1[T], p2[T];
    sm_rng r;
    sm_rng_init(&r, 7, SM_STREAM_USER, 1);
    /* overlapping classes, so the decision boundary placement matters */
    for (int i = 0; i < N + T; i++) {
        double *row = i < N ? xtr + i * D : xte + (i - N) * D;
        int c = i % 3;
        (i < N ? ytr : yte)[i < N ? i : i - N] = c;
        for (int j = 0; j < D; j++)
            row[j] = (j == c ? 2.0 : 0.0) + 1.5 * sm_rng_normal(&r);
    }
    for (int i = 0; i < N * D; i++)
        str[i] = xtr[i] / 1000.0;
    for (int i = 0; i < T * D; i++)
        ste[i] = xte[i] / 1000.0;
    sm_readout_result r1, r2;
    assert_int_equal(sm_readout_score_f64(NULL, xtr, ytr, N, xte, yte, T, D, p1, &r1, NULL), SM_OK);
    assert_int_equal(sm_readout_score_f64(NULL, str, ytr, N, ste, yte, T, D, p2, &r2, NULL), SM_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_true(r1.accuracy < 1.0); /* the case is not trivially separable */
}

/* Feature 0 is loud noise (sd 1000), feature 1 carries the class at scale 1: raw PCA at
 * 95% keeps only the noise direction; z-scoring first keeps both. */
static void standardize_rescues_a_quiet_informative_feature(void **state)
{
    (void)state;
    enum { N = 40, T = 20 };
    double xtr[N * 2], xte[T * 2];
    int ytr[N], yte[T];
    sm_rng r;
    sm_rng_init(&r, 3, SM_STREAM_USER, 2);
    for (int i = 0; i < N + T; i++) {
        double *row = i < N ? xtr + i * 2 : xte + (i - N) * 2;
        int c = i % 2;
        (i < N ? ytr : yte)[i < N ? i : i - N] = c;
        row[0] = 1000.0 * sm_rng_normal(&r);
        row[1] = c + 0.1 * sm_rng_normal(&r);
    }
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    assert_int_equal(p.standardize, 0);
    sm_readout_result raw, std;
    assert_int_equal(sm_readout_score_f64(&p, xtr, ytr, N, xte, yte, T, 2, NULL, &raw, NULL),
                     SM_OK);
    p.standardize = 1;
    assert_int_equal(sm_readout_score_f64(&p, xtr, ytr, N, xte, yte, T, 2, NULL, &std, NULL),
                     SM_OK);
    assert_int_equal(raw.n_components, 1);
    assert_true(raw.accuracy < 0.8);
    assert_int_equal(std.n_components, 2);
    assert_float_near(std.accuracy, 1.0, 0);
}

static void float_and_double_inputs_agree(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    double dtr[30 * 2], dte[9 * 2];
    int ytr[30], yte[9], pf[9], pd[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 7);
    for (int i = 0; i < 60; i++)
        dtr[i] = xtr[i];
    for (int i = 0; i < 18; i++)
        dte[i] = xte[i];
    sm_readout_result rf, rd;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, pf, &rf, NULL), SM_OK);
    assert_int_equal(sm_readout_score_f64(NULL, dtr, ytr, 30, dte, yte, 9, 2, pd, &rd, NULL),
                     SM_OK);
    assert_memory_equal(pf, pd, sizeof pf);
    assert_int_equal(rf.n_components, rd.n_components);
}

static void published_qda_fits_on_a_seeded_80_percent(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    int ytr[30], yte[9], p1[9], p2[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 100);
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    assert_float_near(p.fit_fraction, 0.8, 0);
    assert_float_near(p.qda_reg, 0.1, 0);
    sm_readout_result r1, r2;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, p1, &r1, NULL), SM_OK);
    assert_int_equal(r1.n_fit, 24);
    assert_float_near(r1.accuracy, 1.0, 0);
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, p2, &r2, NULL), SM_OK);
    assert_memory_equal(p1, p2, sizeof p1); /* same seed, same subsample */
}

/* A class with one row in the fit subsample is sklearn's "covariance is ill defined". */
static void published_qda_needs_two_rows_per_class(void **state)
{
    (void)state;
    const float xtr[] = {0, 1, 2, 3, 10};
    const int ytr[] = {0, 0, 0, 0, 1};
    const float xte[] = {0};
    const int yte[] = {0};
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    p.fit_fraction = 1.0;
    sm_readout_result r;
    sm_error err;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 5, xte, yte, 1, 1, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "class 1 has only 1 row"));
}

static void all_zero_counts_give_majority_guess_without_nan(void **state)
{
    (void)state;
    enum { N = 20, T = 8, D = 5 };
    float xtr[N * D] = {0}, xte[T * D] = {0};
    int ytr[N], yte[T], pred[T];
    for (int i = 0; i < N; i++)
        ytr[i] = 1 + i % 4; /* 1..4, 5 each: tie, smallest label (1) wins */
    for (int i = 0; i < T; i++)
        yte[i] = 1 + i % 4;
    for (int m = 0; m < 2; m++) {
        sm_readout_params p;
        sm_readout_params_default(&p, m ? SM_READOUT_PUBLISHED_QDA : SM_READOUT_PCA_LOGREG);
        sm_readout_result r;
        sm_error err;
        assert_int_equal(sm_readout_score(&p, xtr, ytr, N, xte, yte, T, D, pred, &r, &err), SM_OK);
        assert_int_equal(r.degenerate, 1);
        assert_int_equal(r.n_components, 1);
        assert_true(r.explained_variance == 0.0);
        assert_false(isnan(r.accuracy));
        if (!m) {
            assert_float_near(r.accuracy, 0.25, 1e-15); /* chance for 4 balanced classes */
            for (int i = 0; i < T; i++)
                assert_int_equal(pred[i], 1);
        }
    }
}

static void majority_guess_follows_the_most_frequent_class(void **state)
{
    (void)state;
    const float xtr[6] = {2, 2, 2, 2, 2, 2};
    const int ytr[] = {3, 1, 3, 0, 3, 1};
    const float xte[2] = {2, 9};
    const int yte[] = {3, 1};
    sm_readout_result r;
    int pred[2];
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 6, xte, yte, 2, 1, pred, &r, NULL), SM_OK);
    assert_int_equal(pred[0], 3);
    assert_int_equal(pred[1], 3);
    assert_float_near(r.accuracy, 0.5, 0);
}

static void readout_validates_inputs(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    int ytr[30], yte[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 100);
    sm_readout_result r;
    sm_error err;

    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 1, xte, yte, 9, 2, NULL, &r, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "at least 2 training rows, got 1"));

    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 0, 2, NULL, &r, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "test row"));

    ytr[4] = -1;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "train_y[4] = -1 is negative"));
    ytr[4] = 1;

    yte[2] = 6;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "test_y[2] = 6 is a class absent from train_y"));
    yte[2] = 2;

    xtr[2 * 7 + 1] = NAN;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err),
                     SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "train_x[row 7, feature 1] is NaN"));
    xtr[2 * 7 + 1] = 0;

    xte[0] = INFINITY;
    assert_int_equal(sm_readout_score(NULL, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err),
                     SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "test_x[row 0, feature 0] is infinite"));
    xte[0] = 0;

    int one[30] = {0};
    assert_int_equal(sm_readout_score(NULL, xtr, one, 30, xte, one, 9, 2, NULL, &r, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "single class"));

    assert_int_equal(sm_readout_score(NULL, NULL, ytr, 30, xte, yte, 9, 2, NULL, &r, &err),
                     SM_EINVAL);
}

static void readout_validates_parameters(void **state)
{
    (void)state;
    float xtr[30 * 2], xte[9 * 2];
    int ytr[30], yte[9];
    make_clusters(xtr, ytr, 30, 2, 0);
    make_clusters(xte, yte, 9, 2, 100);
    sm_readout_result r;
    sm_error err;
    sm_readout_params p;

    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    p.variance = 1.5;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "variance 1.5"));

    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    p.C = 0;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "C 0"));

    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    p.qda_reg = -0.1;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "qda_reg -0.1"));

    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    p.fit_fraction = 0.05; /* floor(1.5) = 1 row */
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "leaves 1 rows"));

    p.method = (sm_readout_method)7;
    assert_int_equal(sm_readout_score(&p, xtr, ytr, 30, xte, yte, 9, 2, NULL, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "unknown method 7"));
}

/* ------------------------------------------------------------------------------------
 * Confusion matrix
 * ---------------------------------------------------------------------------------- */

static void confusion_matrix_and_per_class_accuracy(void **state)
{
    (void)state;
    const int yt[] = {0, 0, 0, 1, 1, 2};
    const int yp[] = {0, 1, 0, 1, 0, 2};
    int cm[16];
    assert_int_equal(sm_confusion_matrix(yt, yp, 6, 4, cm, NULL), SM_OK);
    const int expect[16] = {2, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
    assert_memory_equal(cm, expect, sizeof expect);
    double acc[4];
    sm_per_class_accuracy(cm, 4, acc);
    assert_float_near(acc[0], 2.0 / 3.0, 1e-15);
    assert_float_near(acc[1], 0.5, 1e-15);
    assert_float_near(acc[2], 1.0, 1e-15);
    assert_true(isnan(acc[3])); /* class 3 has no rows */
    sm_error err;
    const int bad[] = {0, 4};
    assert_int_equal(sm_confusion_matrix(bad, bad, 2, 4, cm, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "y_true[1] = 4"));
}

/* ------------------------------------------------------------------------------------
 * Timing: the paper's size (6000 train + 1000 test images, 10 classes), 200 features
 * ---------------------------------------------------------------------------------- */

static int poisson(sm_rng *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= sm_rng_uniform(r);
    } while (p > l);
    return k - 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void timing_6000_by_200_counts(void **state)
{
    (void)state;
    enum { NTR = 6000, NTE = 1000, D = 200, K = 10 };
    float *xtr = malloc(sizeof(float) * NTR * D), *xte = malloc(sizeof(float) * NTE * D);
    int *ytr = malloc(sizeof(int) * NTR), *yte = malloc(sizeof(int) * NTE);
    sm_rng r;
    sm_rng_init(&r, 42, SM_STREAM_USER, 0);
    /* class c raises the rate of features [20c, 20c + 20) from 2 to 3 spikes */
    for (int i = 0; i < NTR + NTE; i++) {
        float *row = i < NTR ? xtr + (size_t)i * D : xte + (size_t)(i - NTR) * D;
        int c = (int)sm_rng_below(&r, K);
        if (i < NTR)
            ytr[i] = c;
        else
            yte[i - NTR] = c;
        for (int j = 0; j < D; j++)
            row[j] = (float)poisson(&r, j / 20 == c ? 3.0 : 2.0);
    }
    for (int m = 0; m < 2; m++) {
        sm_readout_params p;
        sm_readout_params_default(&p, m ? SM_READOUT_PUBLISHED_QDA : SM_READOUT_PCA_LOGREG);
        sm_readout_result res;
        sm_error err;
        double t0 = now_seconds();
        sm_status st = sm_readout_score(&p, xtr, ytr, NTR, xte, yte, NTE, D, NULL, &res, &err);
        double t1 = now_seconds();
        if (st != SM_OK) fail_msg("%s", err.msg);
        print_message("readout %s, %d x %d counts, %d classes: %.3f s, %d components, "
                      "accuracy %.3f\n",
                      sm_readout_method_name(p.method), NTR, D, K, t1 - t0, res.n_components,
                      res.accuracy);
        assert_true(res.accuracy > 0.3); /* chance is 0.1 */
    }
    double phi;
    double t0 = now_seconds();
    assert_int_equal(sm_phi(xtr, ytr, NTR, D, &phi, NULL), SM_OK);
    print_message("phi %.4f in %.3f s\n", phi, now_seconds() - t0);
    assert_true(phi > 0.0 && phi < 0.5);
    free(xtr);
    free(xte);
    free(ytr);
    free(yte);
}

/* The QDA warning: classes with no more fit rows than PCA components. 3 classes of 6 rows
 * in 12 dimensions, every coordinate an independent draw: 18 centred rows span 12
 * dimensions and no component dominates, so PCA at 95% keeps more than 6 components
 * (checked below), and each class's 6 rows (5 after centring) cannot fill them. With 200
 * rows per class in 2 dimensions, k <= 2 < 200: no warning. Logistic regression never
 * warns (it has no per-class covariance). */
static void qda_warns_when_classes_have_fewer_rows_than_components(void **state)
{
    (void)state;
    enum { N_SMALL = 18, D_SMALL = 12, N_BIG = 600 };
    float x[N_BIG * D_SMALL], xt[3 * D_SMALL];
    int y[N_BIG], yt[3] = {0, 1, 2};
    sm_rng r;
    sm_rng_init(&r, 7, SM_STREAM_SPLIT, 0);
    for (int i = 0; i < N_SMALL * D_SMALL; i++)
        x[i] = (float)sm_rng_uniform(&r);
    for (int i = 0; i < N_SMALL; i++)
        y[i] = i % 3;
    for (int i = 0; i < 3 * D_SMALL; i++)
        xt[i] = (float)sm_rng_uniform(&r);
    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    p.fit_fraction = 1.0;
    sm_readout_result res;
    assert_int_equal(sm_readout_score(&p, x, y, N_SMALL, xt, yt, 3, D_SMALL, NULL, &res, NULL),
                     SM_OK);
    assert_int_equal(res.min_class_rows, 6);
    assert_true(res.n_components > 6);
    assert_int_equal(res.underdetermined, 1);
    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    assert_int_equal(sm_readout_score(&p, x, y, N_SMALL, xt, yt, 3, D_SMALL, NULL, &res, NULL),
                     SM_OK);
    assert_int_equal(res.underdetermined, 0);
    /* Plenty of rows in 2 dimensions: class means apart, no warning. */
    for (int i = 0; i < N_BIG; i++) {
        y[i] = i % 3;
        x[2 * i] = (float)(y[i] + 0.3 * sm_rng_uniform(&r));
        x[2 * i + 1] = (float)sm_rng_uniform(&r);
    }
    sm_readout_params_default(&p, SM_READOUT_PUBLISHED_QDA);
    p.fit_fraction = 1.0;
    assert_int_equal(sm_readout_score(&p, x, y, N_BIG, xt, yt, 3, 2, NULL, &res, NULL), SM_OK);
    assert_int_equal(res.min_class_rows, 200);
    assert_int_equal(res.underdetermined, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pca_points_on_a_line_keep_one_component),
        cmocka_unit_test(pca_projection_values),
        cmocka_unit_test(pca_2d_known_eigenvalues_and_vectors),
        cmocka_unit_test(pca_component_count_at_the_95_percent_threshold),
        cmocka_unit_test(pca_constant_feature_is_ignored),
        cmocka_unit_test(pca_identical_rows_give_one_zero_component),
        cmocka_unit_test(pca_rejects_bad_input),
        cmocka_unit_test(phi_is_zero_for_identical_class_means),
        cmocka_unit_test(phi_is_one_without_within_class_spread),
        cmocka_unit_test(phi_intermediate_case),
        cmocka_unit_test(scatter_gives_the_sums_and_the_authors_f_ratio),
        cmocka_unit_test(phi_of_identical_rows_is_zero),
        cmocka_unit_test(phi_rejects_negative_label_and_nan),
        cmocka_unit_test(qda_decision_matches_hand_computation),
        cmocka_unit_test(qda_prefers_the_wider_class_beyond_the_midpoint),
        cmocka_unit_test(qda_2d_rotated_class_covariance),
        cmocka_unit_test(qda_rejects_single_row_class_and_singular_covariance),
        cmocka_unit_test(logreg_separates_three_classes),
        cmocka_unit_test(logreg_without_whitening_also_separates),
        cmocka_unit_test(constant_features_are_fine),
        cmocka_unit_test(logreg_is_invariant_to_the_units_of_x),
        cmocka_unit_test(standardize_rescues_a_quiet_informative_feature),
        cmocka_unit_test(float_and_double_inputs_agree),
        cmocka_unit_test(published_qda_fits_on_a_seeded_80_percent),
        cmocka_unit_test(published_qda_needs_two_rows_per_class),
        cmocka_unit_test(all_zero_counts_give_majority_guess_without_nan),
        cmocka_unit_test(majority_guess_follows_the_most_frequent_class),
        cmocka_unit_test(readout_validates_inputs),
        cmocka_unit_test(readout_validates_parameters),
        cmocka_unit_test(confusion_matrix_and_per_class_accuracy),
        cmocka_unit_test(timing_6000_by_200_counts),
        cmocka_unit_test(qda_warns_when_classes_have_fewer_rows_than_components),
    };
    return cmocka_run_group_tests_name("readout", tests, NULL, NULL);
}
