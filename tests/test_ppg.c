/* The Poisson-Gamma mixture with intrinsic plasticity (spec intrinsic.md part A, tests of
 * section E): the circuit's inputs and posterior against an independent numpy computation
 * (Gauss-Laguerre integral over z, 200 nodes), the negative binomial's normalization, the
 * updates against hand-computed values and the conservation of A, the online rules'
 * fixed points against batch EM, data.intensity, bad input, and the quick experiments. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "somnus/core/config.h"
#include "somnus/io/npy.h"
#include "somnus/models/ppg.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"

/* The reference: I_c = log of the integral over z of Gamma(z; a, b) prod_d Poisson(y_d;
 * z W_cd), by Gauss-Laguerre quadrature after x = (b + A) z, plus sum_d lgamma(y_d + 1)
 * and log(1/C); the posterior as numpy's softmax of it. Nothing of the closed form. */
static const char REFERENCE[] =
    "import numpy as np, sys, math\n"
    "d = sys.argv[1]\n"
    "W = np.load(d + '/W.npy'); ab = np.load(d + '/ab.npy'); Y = np.load(d + '/y.npy')\n"
    "A = float(np.load(d + '/A.npy')[0])\n"
    "# 200-node Gauss-Laguerre rule (numpy's laggauss overflows at 200): nodes are the\n"
    "# eigenvalues of the Jacobi matrix, log weights log x - 2 log((n+1) L_{n+1}(x)) with\n"
    "# the three-term recurrence rescaled per node\n"
    "n = 200; J = np.diag(2.0 * np.arange(n) + 1) + np.diag(np.arange(1.0, n), 1) + "
    "np.diag(np.arange(1.0, n), -1)\n"
    "x = np.linalg.eigvalsh(J); p0 = np.ones(n); p1 = 1 - x; ls = np.zeros(n)\n"
    "for j in range(1, n + 1):\n"
    "    p2 = ((2 * j + 1 - x) * p1 - j * p0) / (j + 1)\n"
    "    sc = np.maximum(np.abs(p2), 1.0); p0, p1 = p1 / sc, p2 / sc; ls += np.log(sc)\n"
    "lwq = np.log(x) - 2 * np.log(n + 1) - 2 * (np.log(np.abs(p1)) + ls)\n"
    "assert abs(np.exp(lwq).sum() - 1) < 1e-9\n"
    "C, D = W.shape\n"
    "out = np.zeros((Y.shape[0], C)); post = np.zeros_like(out)\n"
    "for i in range(Y.shape[0]):\n"
    "    y = Y[i]\n"
    "    lf = sum(math.lgamma(v + 1) for v in y)\n"
    "    for c in range(C):\n"
    "        a, b = ab[c]; k = b + A; z = x / k\n"
    "        lgam = a * np.log(b) + (a - 1) * np.log(z) - b * z - math.lgamma(a)\n"
    "        lam = np.outer(z, W[c])\n"
    "        lpois = (y[None, :] * np.log(lam) - lam).sum(1) - lf\n"
    "        f = lgam + lpois + x - np.log(k)\n"
    "        f = f + lwq; m = f.max()\n"
    "        out[i, c] = m + np.log(np.exp(f - m).sum()) + lf - np.log(C)\n"
    "    e = np.exp(out[i] - out[i].max()); post[i] = e / e.sum()\n"
    "np.save(d + '/I.npy', out); np.save(d + '/s.npy', post)\n";

static void save(const char *dir, const char *name, size_t r, size_t c, const double *v)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    assert_int_equal(sm_npy_write_matrix(path, SM_NPY_F64, r, c, v, NULL), SM_OK);
}

static sm_npy_array *load(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    sm_npy_array *a = sm_npy_read(path, NULL);
    assert_non_null(a);
    return a;
}

static sm_ppg *model(int C, int D, double A, int shape)
{
    sm_ppg_params p = {C, D, A, 10, shape, SM_PPG_SOFTMAX, 1};
    sm_ppg *m = sm_ppg_create(&p, NULL);
    assert_non_null(m);
    return m;
}

/* E: I_c equals the log of a numerical integral over z to 1e-6; the soft WTA equals the
 * softmax of the independent I to 1e-9. */
static void inputs_match_numerical_integral(void **state)
{
    (void)state;
    tu_require_tool(PYTHON " -c 'import numpy'", PYTHON " with numpy", "python3-numpy");
    enum { C = 3, D = 6, N = 5 };
    const double A = 2.5;
    sm_ppg *m = model(C, D, A, SM_PPG_MOMENTS);
    sm_rng r;
    sm_rng_init(&r, 3, SM_STREAM_USER, 0);
    double W[C * D], ab[C * 2], y[N * D];
    const double lam[C] = {8, 20, 35}, nu[C] = {20, 60, 400};
    for (int c = 0; c < C; c++) {
        double w[D];
        for (int d = 0; d < D; d++)
            w[d] = 0.2 + sm_rng_uniform(&r);
        sm_ppg_set_unit(m, c, w, lam[c], nu[c]);
        memcpy(W + c * D, m->w + c * D, sizeof w);
        ab[2 * c] = m->alpha[c];
        ab[2 * c + 1] = m->beta[c];
    }
    for (int i = 0; i < N * D; i++)
        y[i] = sm_ppg_poisson_draw(&r, 1 + 5 * sm_rng_uniform(&r));
    char *dir = tu_mkdtemp();
    save(dir, "W", C, D, W);
    save(dir, "ab", C, 2, ab);
    save(dir, "y", N, D, y);
    save(dir, "A", 1, 1, &A);
    char *script = tu_write_file(dir, "ref.py", REFERENCE, strlen(REFERENCE));
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, PYTHON " %s %s 2>&1", script, dir);
    if (tu_run(cmd, &out) != 0) fail_msg("numpy reference failed: %s", out);
    free(out);
    sm_npy_array *I = load(dir, "I"), *s = load(dir, "s");
    const double *Iref = I->data, *sref = s->data;
    for (int n = 0; n < N; n++) {
        double Ic[C], sc[C];
        sm_ppg_inputs(m, y + n * D, Ic);
        sm_ppg_posterior(m, y + n * D, sc, NULL);
        for (int c = 0; c < C; c++) {
            assert_float_near(Ic[c], Iref[n * C + c], 1e-6);
            assert_float_near(sc[c], sref[n * C + c], 1e-9);
        }
    }
    sm_npy_destroy(I);
    sm_npy_destroy(s);
    free(script);
    tu_rmtree(dir);
    free(dir);
    sm_ppg_destroy(m);
}

/* E: the negative binomial of the brightness sums to 1 over k to 1e-9; its mean is
 * lambda = A alpha / beta. */
static void negative_binomial_sums_to_one(void **state)
{
    (void)state;
    const double cases[][3] = {{20, 0.4, 1}, {0.7, 0.01, 1}, {5, 1, 2.5}, {300, 3, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double a = cases[i][0], b = cases[i][1], A = cases[i][2];
        double sum = 0, mean = 0;
        for (int k = 0; k < 200000; k++) {
            const double p = exp(sm_ppg_nb_logpmf(a, b, A, k));
            sum += p;
            mean += k * p;
        }
        assert_float_near(sum, 1, 1e-9);
        assert_float_near(mean / (A * a / b), 1, 1e-8);
    }
}

/* A4 by hand: one update of W, lambda, nu, alpha, beta. */
static void update_matches_hand_computation(void **state)
{
    (void)state;
    sm_ppg *m = model(2, 3, 1, SM_PPG_MOMENTS);
    const double w[3] = {0.2, 0.3, 0.5};
    sm_ppg_set_unit(m, 0, w, 2, 3);
    sm_ppg_set_unit(m, 1, w, 2, 3);
    m->ybar = 4;
    const double y[3] = {1, 0, 3}, s[2] = {0.5, 0};
    sm_ppg_learn(m, y, 4, s, 0.1, 0.1);
    /* eps' = 0.1 * A / Ybar = 0.025; k = eps' s = 0.0125; w += k (y - Y w / A) */
    assert_float_near(m->w[0], 0.2025, 1e-15);
    assert_float_near(m->w[1], 0.285, 1e-15);
    assert_float_near(m->w[2], 0.5125, 1e-15);
    assert_float_near(m->logw[1], log(0.285), 1e-15);
    assert_float_near(m->lambda[0], 2.1, 1e-15);             /* 2 + 0.05 (4 - 2) */
    assert_float_near(m->nu[0], 3.05, 1e-15);                /* 3 + 0.05 (4 - 3) */
    assert_float_near(m->alpha[0], 2.1 * 2.1 / 0.95, 1e-12); /* lambda^2 / (nu - lambda) */
    assert_float_near(m->beta[0], m->alpha[0] / 2.1, 1e-12); /* A alpha / lambda */
    assert_true(m->w[3] == 0.2 && m->lambda[1] == 2 && m->nu[1] == 3); /* s = 0: untouched */
    assert_float_near(m->ybar, 4, 1e-15);
    /* the clip: nu < lambda gives alpha from 1e-3 lambda, capped at 1e4 */
    sm_ppg_set_unit(m, 1, w, 50, 40);
    assert_float_near(m->alpha[1], 1e4, 1e-9);
    sm_ppg_set_unit(m, 1, w, 2, 500);
    assert_float_near(m->alpha[1], 0.1, 1e-15);
    /* shape poisson: g = Y log(lambda / A) - lambda; off: 0 */
    m->shape = SM_PPG_POISSON;
    assert_float_near(sm_ppg_log_g(m, 0, 7), 7 * log(2.1) - 2.1, 1e-12);
    m->shape = SM_PPG_OFF;
    assert_true(sm_ppg_log_g(m, 0, 7) == 0);
    sm_ppg_destroy(m);
}

/* E: A is conserved by the synaptic rule (many updates, soft and hard competition). */
static void synaptic_rule_conserves_a(void **state)
{
    (void)state;
    enum { C = 4, D = 30 };
    for (int comp = 0; comp < 3; comp++) {
        sm_ppg_params p = {C, D, 3.5, 10, SM_PPG_MOMENTS, comp, 2};
        sm_ppg *m = sm_ppg_create(&p, NULL);
        sm_rng r;
        sm_rng_init(&r, 5, SM_STREAM_USER, 1);
        double y[D], drift = 0;
        for (int it = 0; it < 999; it++) { /* below the periodic renormalization */
            for (int d = 0; d < D; d++)
                y[d] = sm_ppg_poisson_draw(&r, 3 * sm_rng_uniform(&r) * (1 + (d % 4 == it % 4)));
            sm_ppg_step(m, y, 0.05, 0.01, NULL);
        }
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int d = 0; d < D; d++)
                s += m->w[c * D + d];
            drift = fmax(drift, fabs(s / 3.5 - 1));
        }
        assert_true(drift < 1e-12);
        sm_ppg_destroy(m);
    }
}

/* E: online PPG with eps annealed to 1e-4 on a fixed 2,000-stimulus set ends within 1% of
 * the batch EM reference with the moments M-step (W, lambda and alpha). */
static void online_reaches_batch_em_fixed_point(void **state)
{
    (void)state;
    enum { C = 3, D = 12, N = 2000 };
    const double lam[C] = {30, 90, 60}, alpha = 4;
    double W[C * D], *y = malloc(sizeof(double) * N * D);
    sm_rng r;
    sm_rng_init(&r, 11, SM_STREAM_USER, 2);
    for (int c = 0; c < C; c++)
        for (int d = 0; d < D; d++)
            W[c * D + d] = (d / 4 == c ? 1.0 : 0.15) / (4 + 0.15 * 8);
    for (int i = 0; i < N; i++) {
        const int c = i % C;
        const double z = sm_ppg_gamma_draw(&r, alpha, alpha / lam[c]);
        for (int d = 0; d < D; d++)
            y[i * D + d] = sm_ppg_poisson_draw(&r, z * W[c * D + d]);
    }
    sm_ppg *on = model(C, D, 1, SM_PPG_MOMENTS), *em = model(C, D, 1, SM_PPG_MOMENTS);
    /* both from the same perturbed truth (a fixed point is what is compared, not the
     * escape from the symmetric start) */
    assert_int_equal(sm_ppg_init_from_data(on, y, N, 4, NULL), SM_OK);
    for (int c = 0; c < C; c++) {
        double w[D];
        for (int d = 0; d < D; d++)
            w[d] = W[c * D + d] * (0.7 + 0.6 * sm_rng_uniform(&r));
        const double l = lam[c] * 1.3;
        sm_ppg_set_unit(on, c, w, l, 2 * (l + l * l / alpha));
        sm_ppg_set_unit(em, c, w, l, 2 * (l + l * l / alpha));
    }
    em->ybar = on->ybar;
    const int iters = sm_ppg_em(em, y, N, 2000, 1e-13, SM_PPG_MSTEP_MOMENTS, NULL, NULL);
    assert_true(iters > 1 && iters < 2000);
    /* online: eps from 2e-2 down to 1e-4 (geometric over 30 epochs), then 10 at 1e-4 */
    int order[N];
    sm_rng_init(&r, 11, SM_STREAM_USER, 3);
    for (int e = 0; e < 40; e++) {
        const double eps = e < 30 ? 2e-2 * pow(1e-4 / 2e-2, e / 29.0) : 1e-4;
        for (int i = 0; i < N; i++)
            order[i] = i;
        sm_rng_shuffle(&r, order, N);
        for (int i = 0; i < N; i++)
            sm_ppg_step(on, y + order[i] * D, eps, eps, NULL);
    }
    for (int c = 0; c < C; c++) { /* the same initialization: the same unit order */
        double l1 = 0;
        for (int d = 0; d < D; d++)
            l1 += fabs(on->w[c * D + d] - em->w[c * D + d]);
        assert_true(l1 < 0.01);
        assert_float_near(on->lambda[c] / em->lambda[c], 1, 0.01);
        assert_float_near(on->alpha[c] / em->alpha[c], 1, 0.01);
    }
    sm_ppg_destroy(on);
    sm_ppg_destroy(em);
    free(y);
}

/* data.intensity: class_gamma draws z with the class's mean and CV 1/sqrt(shape), gamma
 * one mean for all, none z = 1; wrong lists are refused naming the key. */
static void intensity_manipulation(void **state)
{
    (void)state;
    enum { N = 40000 };
    static double z[N];
    static int pos[N];
    for (int i = 0; i < N; i++)
        pos[i] = i % 2;
    double means[8];
    sm_error err;
    assert_int_equal(sm_ppg_parse_means("0.5, 2", means, 8, &err), 2);
    assert_int_equal(
        sm_ppg_draw_intensity(SM_INTENSITY_CLASS_GAMMA, means, 2, 20, pos, N, 2, 1, 1, z, &err),
        SM_OK);
    double s[2] = {0}, q[2] = {0};
    for (int i = 0; i < N; i++) {
        s[pos[i]] += z[i];
        q[pos[i]] += z[i] * z[i];
    }
    for (int k = 0; k < 2; k++) {
        const double m = s[k] / (N / 2), v = q[k] / (N / 2) - m * m;
        assert_float_near(m / means[k], 1, 0.01);             /* se 0.16% */
        assert_float_near(sqrt(v) / m * sqrt(20.0), 1, 0.03); /* se ~0.5% */
    }
    assert_int_equal(
        sm_ppg_draw_intensity(SM_INTENSITY_NONE, means, 2, 20, pos, 10, 2, 1, 1, z, &err), SM_OK);
    for (int i = 0; i < 10; i++)
        assert_true(z[i] == 1);
    assert_int_equal(
        sm_ppg_draw_intensity(SM_INTENSITY_GAMMA, means, 2, 5, pos, 10, 2, 1, 1, z, &err),
        SM_EINVAL);
    assert_non_null(strstr(err.msg, "data.intensity_means"));
    assert_int_equal(
        sm_ppg_draw_intensity(SM_INTENSITY_CLASS_GAMMA, means, 1, 5, pos, 10, 2, 1, 1, z, &err),
        SM_EINVAL);
    assert_non_null(strstr(err.msg, "data.intensity_means"));
    assert_int_equal(sm_ppg_parse_means("1,-2", means, 8, &err), 0);
    assert_non_null(strstr(err.msg, "data.intensity_means"));
    assert_int_equal(sm_ppg_parse_means("1,,2", means, 8, &err), 0);
    /* Poisson counts: mean and variance of the deviates (inversion and PTRS branches) */
    sm_rng r;
    sm_rng_init(&r, 9, SM_STREAM_USER, 4);
    const double mu[2] = {3.5, 120};
    for (int k = 0; k < 2; k++) {
        double a = 0, b = 0;
        for (int i = 0; i < N; i++) {
            const double x = sm_ppg_poisson_draw(&r, mu[k]);
            a += x;
            b += x * x;
        }
        a /= N;
        assert_float_near(a / mu[k], 1, 0.02);
        assert_float_near((b / N - a * a) / mu[k], 1, 0.04);
    }
}

/* Bad input: one error line naming the key, exit 2, nothing written. */
static void bad_input_is_refused(void **state)
{
    const char *dir = *state;
    tu_expect_cli_error(dir,
                        "train --data synthetic:20 --set data.intensity=class_gamma --out x.json",
                        "data.intensity applies to train.model=ppg only");
    tu_expect_cli_error(dir, "train --data synthetic:20 --set input.normalize=true --out x.json",
                        "input.normalize");
    tu_expect_cli_error(dir,
                        "train --model ppg --data synthetic:20 --set data.intensity=bright "
                        "--out x.json",
                        "data.intensity");
    tu_expect_cli_error(dir,
                        "train --model ppg --data synthetic:20 --set data.classes=0,1,2 --set "
                        "data.n_train=30 --set data.n_val=0 --set data.n_test=10 --set "
                        "data.intensity=class_gamma "
                        "--set data.intensity_means=1,2 --out x.json",
                        "one mean per selected class (3), got 2");
    tu_expect_cli_error(dir,
                        "train --model ppg --data synthetic:20 --set data.intensity=gamma "
                        "--set data.intensity_means=0 --out x.json",
                        "data.intensity_means");
    tu_expect_cli_error(dir,
                        "train --model ppg --data synthetic:20 --set ppg.shape=gauss --out "
                        "x.json",
                        "ppg.shape");
    tu_expect_cli_error(dir, "train --model ppg --data synthetic:20 --set ppg.a=0 --out x.json",
                        "ppg.a");
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static json_t *load_json(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tu_exists(path);
}

/* train --model ppg: the results document and the export arrays. */
static void train_ppg_writes_results_and_exports(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "train --model ppg --data synthetic:40 --set data.classes=0-3 "
                            "--set data.n_train=100 --set data.n_val=20 --set data.n_test=40 "
                            "--set ppg.units=6 --set ppg.epochs=2 --set "
                            "data.intensity=class_gamma --set data.intensity_means=0.5,1,1.5,2 "
                            "--quiet --out p.json --export ex",
                            &out),
                     0);
    free(out);
    json_t *doc = load_json(dir, "p.json");
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "ppg");
    json_t *ev = json_object_get(doc, "evaluations"), *fin = json_object_get(doc, "final");
    const char *cols[] = {"val_accuracy", "loglik_per_sample", "z_corr", "lambda_0", "alpha_5"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        assert_int_equal(json_array_size(json_object_get(ev, cols[i])), 2);
    const double acc = num(fin, "test_accuracy");
    assert_true(acc >= 0 && acc <= 1);
    assert_int_equal(json_array_size(json_object_get(fin, "unit_labels")), 6);
    assert_true(num(fin, "z_corr") > 0.5); /* z spans a factor 4 across classes */
    const char *files[] = {"ex/ppg_w.npy", "ex/ppg_lambda.npy", "ex/ppg_alpha.npy",
                           "ex/ppg_posterior_test.npy", "ex/ppg_zhat_test.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_true(exists(dir, files[i]));
    char path[4096];
    snprintf(path, sizeof path, "%s/ex/ppg_posterior_test.npy", dir);
    sm_npy_array *a = sm_npy_read(path, NULL);
    assert_non_null(a);
    assert_int_equal(a->shape[0], 40);
    assert_int_equal(a->shape[1], 6);
    sm_npy_destroy(a);
    json_decref(doc);
}

/* The quick experiments: their keys, and the numbers they summarize. */
static void quick_experiments_have_their_keys(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment ip-artificial --quick --quiet --set data.n_train=1500 "
                            "--set data.n_test=600 --set ppg.epochs=3 --set ppg.fixed_epochs=2 "
                            "--out a.json",
                            &out),
                     0);
    free(out);
    json_t *doc = load_json(dir, "a.json");
    json_t *res = json_object_get(doc, "results"), *stats = json_object_get(res, "stats");
    const char *keys[] = {"clustering_accuracy_ppg", "clustering_accuracy_pm", "pattern_corr",
                          "z_corr"};
    for (size_t i = 0; i < 4; i++) {
        const double v = num(res, keys[i]);
        assert_true(v >= -1 && v <= 1);
        assert_float_near(v, num(json_object_get(stats, keys[i]), "mean"), 1e-12);
    }
    assert_int_equal(json_array_size(json_object_get(res, "targets")), 7);
    assert_true(num(res, "clustering_accuracy_pm") <= 0.7); /* PM: same-pattern classes merge */
    assert_true(num(res, "z_corr") > 0.9);
    const char *files[] = {"a-seeds.csv", "a-units.csv", "a-weights.png", "a-zhat.png"};
    for (size_t i = 0; i < 4; i++)
        assert_true(exists(dir, files[i]));
    json_decref(doc);

    assert_int_equal(tu_cli(dir,
                            "experiment ip-mnist-intensity --quick --quiet --set "
                            "data.dataset=synthetic:60 --set data.n_train=120 --set "
                            "data.n_test=60 --set ppg.units=6 --set ppg.epochs=2 --out b.json",
                            &out),
                     0);
    free(out);
    doc = load_json(dir, "b.json");
    res = json_object_get(doc, "results");
    json_t *cells = json_object_get(res, "cells");
    assert_int_equal(json_array_size(cells), 15); /* 3 intensities x 5 models */
    for (size_t i = 0; i < 15; i++) {
        json_t *c = json_array_get(cells, i);
        const double m = num(c, "mean_accuracy");
        assert_true(m >= 0 && m <= 1);
        assert_float_near(m, json_number_value(json_array_get(json_object_get(c, "accuracies"), 0)),
                          1e-12);
    }
    assert_int_equal(json_array_size(json_object_get(res, "targets")), 5);
    assert_true(exists(dir, "b-cells.csv") && exists(dir, "b-accuracy.png"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inputs_match_numerical_integral),
        cmocka_unit_test(negative_binomial_sums_to_one),
        cmocka_unit_test(update_matches_hand_computation),
        cmocka_unit_test(synaptic_rule_conserves_a),
        cmocka_unit_test(online_reaches_batch_em_fixed_point),
        cmocka_unit_test(intensity_manipulation),
        cmocka_unit_test_setup_teardown(bad_input_is_refused, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(train_ppg_writes_results_and_exports, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(quick_experiments_have_their_keys, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
