/* Tests of the dis-inhibitory rate network (src/models/disinh*.c), spec
 * disinhibition.md section 7: A1, A2 (single E-I pair sign flip), A8 (fixed point vs
 * Euler; Q vs finite differences), A9 (gain 0: no weight change), the BP baseline's
 * gradient against finite differences of the loss, a reduced A3 (the teacher task
 * learns), the config checks and the disinh-signflip experiment's results keys. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/core/rng.h"
#include "somnus/models/disinh.h"
#include "somnus/models/disinh_teacher.h"
#include "somnus/protocol/experiment.h"

/* ------------------------------------------------------------ helpers */

static void fill_uniform(double *a, size_t n, uint64_t seed, double lo, double hi)
{
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_USER, 0);
    for (size_t i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * sm_rng_uniform(&r);
}

/* 10 -> 8 -> 6 -> 3: two hidden layers, so that J_l = J_{l+1} W_{l+1} D_l is exercised. */
static sm_disinh_params small_params(int batch)
{
    sm_config cfg;
    sm_config_default(&cfg);
    sm_disinh_params p;
    assert_int_equal(sm_config_set(&cfg, "disinh.n_hidden", "8,6", "test", NULL), SM_OK);
    assert_int_equal(sm_disinh_params_from_config(&cfg, 10, 3, &p, NULL), SM_OK);
    p.batch = batch;
    p.seed = 7;
    return p;
}

/* Makes the small network's weights larger than the default 1/fan_in so that the
 * closed loop moves the state noticeably. */
static void scale_weights(sm_disinh *net, double s)
{
    for (int l = 0; l <= 2; l++) {
        int r, c;
        double *b;
        double *w = sm_disinh_weights(net, l, &r, &c, &b);
        for (int i = 0; i < r * c; i++)
            w[i] *= s;
        if (b)
            for (int i = 0; i < r; i++)
                b[i] = 0.1 * (i % 3) - 0.1;
    }
}

/* ------------------------------------------------------------ transfer function */

static void test_transfer(void **state)
{
    (void)state;
    const sm_disinh_act a = {1, 1, 0}, b = {5, 1, 3};
    assert_float_near(sm_disinh_phi(&a, 0), log(2.0), 1e-15);
    assert_float_near(sm_disinh_dphi(&a, 0), 0.5, 1e-15);
    /* 5 log(1 + e), 5 / (1 + e^-1), 3 + log(expm1(0.5)): python's math module */
    assert_float_near(sm_disinh_phi(&b, 4), 6.566308437591114, 1e-12);
    assert_float_near(sm_disinh_dphi(&b, 4), 3.6552928931500244, 1e-12);
    assert_float_near(sm_disinh_phi_inv(&b, 2.5), 2.5672478704328117, 1e-12);
    for (double u = -20; u <= 60; u += 0.37)
        assert_float_near(sm_disinh_phi_inv(&a, sm_disinh_phi(&a, u)), u, 1e-7 * (1 + fabs(u)));
    /* expansion of phi^-1 at r0 = 0.8 (s = k = 1, h = 0): u0 = log(e^0.8 - 1),
     * delta = 1 / sigmoid(u0), theta = u0 - 0.8 delta (python) */
    double th, de;
    sm_disinh_lin_inv(&a, 0.8, &th, &de);
    assert_float_near(de, 1.8159662209160936, 1e-12);
    assert_float_near(th, -1.2493906559218502, 1e-12);
}

/* ------------------------------------------------------------ A1, A2: sign flip */

static void test_signflip_exact(void **state)
{
    (void)state;
    double r[8];
    const double targets[2] = {4, 3};
    for (int t = 0; t < 2; t++) {
        const int n = sm_disinh_neuron_crossings(targets[t], 5, 0, 0, 0, 13, 260, r, 8);
        assert_int_equal(n, 1);
        assert_float_near(r[0], targets[t], 0.01);
        /* LTP below the target, LTD above: steady states at x giving r_E = r_tar -+ 0.5 */
        for (double x = 0.5; x < 13; x += 0.5) {
            sm_disinh_neuron s;
            sm_disinh_neuron_steady(x, targets[t], 5, &s);
            const double dw = sm_disinh_neuron_dw(x, &s, 0, 0, 0);
            if (s.r_e < targets[t] - 0.05) assert_true(dw > 0);
            if (s.r_e > targets[t] + 0.05) assert_true(dw < 0);
        }
    }
    /* no target: the E-I pair is balanced and the rule silent */
    assert_int_equal(sm_disinh_neuron_crossings(NAN, 5, 0, 0, 0, 13, 260, r, 8), 0);
    double mx = 0;
    for (double x = 0.01; x <= 13; x += 0.01) {
        sm_disinh_neuron s;
        sm_disinh_neuron_steady(x, NAN, 5, &s);
        const double d = fabs(sm_disinh_neuron_dw(x, &s, 0, 0, 0));
        if (d > mx) mx = d;
    }
    assert_true(mx < 1e-6);
}

static void test_signflip_linear(void **state)
{
    (void)state;
    double r[8];
    /* (theta, delta) = (1.5, 1.5): spec 5a's recomputed values */
    assert_int_equal(sm_disinh_neuron_crossings(4, 5, 1, 1.5, 1.5, 13, 260, r, 8), 2);
    assert_float_near(r[0], 1.50, 0.02);
    assert_float_near(r[1], 4.09, 0.03);
    assert_int_equal(sm_disinh_neuron_crossings(3, 5, 1, 1.5, 1.5, 13, 260, r, 8), 2);
    assert_float_near(r[0], 1.50, 0.02);
    assert_float_near(r[1], 3.11, 0.03);
    assert_int_equal(sm_disinh_neuron_crossings(NAN, 5, 1, 1.5, 1.5, 13, 260, r, 8), 2);
    assert_float_near(r[0], 1.95, 0.03);
    assert_float_near(r[1], 5.83, 0.03);
    /* isolated neuron (u_E = x, fixed r_I): threshold at r_E = 1.5 + 1.5 r_I */
    const double ri[4] = {0.01, 0.673, 1.337, 2.0};
    for (int k = 0; k < 4; k++) {
        sm_disinh_neuron s = {0};
        double prev = NAN;
        for (double x = 0.01; x <= 9; x += 0.001) {
            s.u_e = x;
            s.r_e = log1p(exp(x - 3));
            s.r_i = ri[k];
            const double dw = sm_disinh_neuron_dw(x, &s, 1, 1.5, 1.5);
            if (!isnan(prev) && prev < 0 && dw >= 0)
                assert_float_near(s.r_e, 1.5 + 1.5 * ri[k], 0.01);
            prev = dw;
        }
    }
}

/* ------------------------------------------------------------ A8: solvers agree */

static void test_fixed_point_vs_euler(void **state)
{
    (void)state;
    const int n = 100;
    sm_disinh_params p = small_params(n);
    p.dt = 0.00025;
    p.t_max = 20;
    p.tol = 1e-10;
    sm_disinh *fp = sm_disinh_create(&p, NULL);
    p.solver = SM_DISINH_EULER;
    sm_disinh *eu = sm_disinh_create(&p, NULL);
    assert_non_null(fp);
    assert_non_null(eu);
    scale_weights(fp, 2.0);
    scale_weights(eu, 2.0);
    double *x = malloc((size_t)n * 10 * sizeof *x), *ys = malloc((size_t)n * 3 * sizeof *ys);
    fill_uniform(x, (size_t)n * 10, 11, 0, 1.5);
    fill_uniform(ys, (size_t)n * 3, 12, 0, 1);
    double it;
    assert_int_equal(sm_disinh_open_loop(fp, x, n, 0, &it, NULL), SM_OK);
    assert_int_equal(sm_disinh_open_loop(eu, x, n, 0, NULL, NULL), SM_OK);
    for (int l = 0; l < 2; l++) {
        sm_disinh_state a, b;
        sm_disinh_layer_state(fp, l, &a);
        sm_disinh_layer_state(eu, l, &b);
        for (int j = 0; j < n * (l ? 6 : 8); j++) {
            assert_float_near(a.u_e[j], b.u_e[j], 1e-4);
            assert_float_near(a.u_i[j], b.u_i[j], 1e-4);
            /* open loop: balance u_I = r_E */
            assert_float_near(a.u_i[j], a.r_e[j], 1e-12);
        }
    }
    for (int j = 0; j < n * 3; j++)
        assert_float_near(sm_disinh_output(fp)[j], sm_disinh_output(eu)[j], 1e-4);
    sm_disinh_compute_q(fp, n);
    sm_disinh_compute_q(eu, n);
    assert_int_equal(sm_disinh_closed_loop(fp, x, ys, n, 1.0, NULL, NULL), SM_OK);
    assert_int_equal(sm_disinh_closed_loop(eu, x, ys, n, 1.0, NULL, NULL), SM_OK);
    double moved = 0;
    for (int l = 0; l < 2; l++) {
        sm_disinh_state a, b;
        sm_disinh_layer_state(fp, l, &a);
        sm_disinh_layer_state(eu, l, &b);
        for (int j = 0; j < n * (l ? 6 : 8); j++) {
            assert_float_near(a.u_e[j], b.u_e[j], 1e-4);
            assert_float_near(a.u_i[j], b.u_i[j], 1e-4);
            assert_float_near(a.err[j], b.err[j], 1e-4);
            /* closed loop: the exact rule's bracket is the top-down drive f */
            const double pe = a.err[j] / a.f[j];
            if (fabs(a.f[j]) > 1e-6) assert_true(pe > 0 && pe <= 1.0 + 1e-9);
            if (fabs(a.f[j]) > moved) moved = fabs(a.f[j]);
        }
    }
    assert_true(moved > 1e-2); /* the controller did act */
    for (int j = 0; j < n * 3; j++) {
        assert_float_near(sm_disinh_output(fp)[j], sm_disinh_output(eu)[j], 1e-4);
        assert_float_near(sm_disinh_control(fp)[j], sm_disinh_control(eu)[j], 1e-4);
    }
    free(x);
    free(ys);
    sm_disinh_destroy(fp);
    sm_disinh_destroy(eu);
}

/* ------------------------------------------------------------ A8: Q vs finite differences */

/* y of the feed-forward chain when u_E of layer l, unit i, moves from its steady state by
 * h, the E-I loop ignored (inhibition held at its steady-state value): u_1 changes by
 * W_1 (phi_E(u_0 + h e_i) - phi_E(u_0)), y = W_out phi_E(u_1). */
static void chain_y(sm_disinh *net, const double *ue0, const double *ue1, int l, int i, double h,
                    double *y)
{
    const sm_disinh_act act = sm_disinh_get_params(net)->act_e;
    int r1, c1, r2, c2;
    const double *w1 = sm_disinh_weights(net, 1, &r1, &c1, NULL);
    const double *w2 = sm_disinh_weights(net, 2, &r2, &c2, NULL);
    double u1[6];
    memcpy(u1, ue1, sizeof u1);
    if (l == 0) {
        const double dr = sm_disinh_phi(&act, ue0[i] + h) - sm_disinh_phi(&act, ue0[i]);
        for (int a = 0; a < 6; a++)
            u1[a] += w1[a * 8 + i] * dr;
    } else {
        u1[i] += h;
    }
    for (int k = 0; k < 3; k++) {
        y[k] = 0;
        for (int a = 0; a < 6; a++)
            y[k] += w2[k * 6 + a] * sm_disinh_phi(&act, u1[a]);
    }
}

static void test_q_finite_differences(void **state)
{
    (void)state;
    const int n = 5;
    sm_disinh_params p = small_params(n);
    sm_disinh *net = sm_disinh_create(&p, NULL);
    assert_non_null(net);
    scale_weights(net, 2.0);
    double x[50];
    fill_uniform(x, 50, 21, 0, 1);
    assert_int_equal(sm_disinh_open_loop(net, x, n, 0, NULL, NULL), SM_OK);
    sm_disinh_compute_q(net, n);
    const sm_disinh_act ai = p.act_i;
    for (int s = 0; s < n; s++) {
        sm_disinh_state st0, st1;
        sm_disinh_layer_state(net, 0, &st0);
        sm_disinh_layer_state(net, 1, &st1);
        for (int l = 0; l < 2; l++) {
            const int nl = l ? 6 : 8;
            const double *ui = (l ? st1.u_i : st0.u_i) + s * nl;
            double qfd[3 * 8], ss = 0;
            for (int i = 0; i < nl; i++) {
                double yp[3], ym[3];
                const double h = 1e-5;
                chain_y(net, st0.u_e + s * 8, st1.u_e + s * 6, l, i, h, yp);
                chain_y(net, st0.u_e + s * 8, st1.u_e + s * 6, l, i, -h, ym);
                for (int k = 0; k < 3; k++) {
                    qfd[k * nl + i] = (yp[k] - ym[k]) / (2 * h) * sm_disinh_dphi(&ai, ui[i]);
                    ss += qfd[k * nl + i] * qfd[k * nl + i];
                }
            }
            const double *q = sm_disinh_q(net, l) + (size_t)s * 3 * nl;
            for (int j = 0; j < 3 * nl; j++)
                assert_float_near(q[j], qfd[j] / sqrt(ss), 1e-3);
        }
    }
    sm_disinh_destroy(net);
}

/* ------------------------------------------------------------ A9: gain 0 */

static void test_gain_zero_no_change(void **state)
{
    (void)state;
    const int n = 20;
    sm_disinh_params p = small_params(n);
    sm_disinh *net = sm_disinh_create(&p, NULL);
    assert_non_null(net);
    scale_weights(net, 2.0);
    double x[200], ys[60];
    fill_uniform(x, 200, 31, 0, 1.5);
    fill_uniform(ys, 60, 32, 0, 1);
    assert_int_equal(sm_disinh_open_loop(net, x, n, 0, NULL, NULL), SM_OK);
    sm_disinh_compute_q(net, n);
    assert_int_equal(sm_disinh_closed_loop(net, x, ys, n, 0.0, NULL, NULL), SM_OK);
    const size_t np = sm_disinh_n_params(net);
    double *g = malloc(np * sizeof *g);
    sm_disinh_weight_changes(net, x, n, g);
    for (size_t i = 0; i < np; i++)
        assert_true(fabs(g[i]) < 1e-6);
    /* and with the controller on, the same call does change the weights */
    assert_int_equal(sm_disinh_closed_loop(net, x, ys, n, 1.0, NULL, NULL), SM_OK);
    sm_disinh_weight_changes(net, x, n, g);
    double mx = 0;
    for (size_t i = 0; i < np; i++)
        if (fabs(g[i]) > mx) mx = fabs(g[i]);
    assert_true(mx > 1e-3);
    free(g);
    sm_disinh_destroy(net);
}

/* ------------------------------------------------------------ BP baseline */

/* Mean soft-target cross entropy of the network without I units: an independent forward
 * pass here, r = phi_E(W r + b), y = W_out r. */
static double bp_loss(sm_disinh *net, const double *x, const int *lab, int n)
{
    const sm_disinh_act act = sm_disinh_get_params(net)->act_e;
    int r0, c0, r1, c1, r2, c2;
    double *b0, *b1;
    const double *w0 = sm_disinh_weights(net, 0, &r0, &c0, &b0);
    const double *w1 = sm_disinh_weights(net, 1, &r1, &c1, &b1);
    const double *w2 = sm_disinh_weights(net, 2, &r2, &c2, NULL);
    double loss = 0;
    for (int s = 0; s < n; s++) {
        double h0[8], h1[6], y[3];
        for (int i = 0; i < 8; i++) {
            double a = b0[i];
            for (int j = 0; j < 10; j++)
                a += w0[i * 10 + j] * x[s * 10 + j];
            h0[i] = sm_disinh_phi(&act, a);
        }
        for (int i = 0; i < 6; i++) {
            double a = b1[i];
            for (int j = 0; j < 8; j++)
                a += w1[i * 8 + j] * h0[j];
            h1[i] = sm_disinh_phi(&act, a);
        }
        double mx = -1e300, z = 0;
        for (int k = 0; k < 3; k++) {
            y[k] = 0;
            for (int j = 0; j < 6; j++)
                y[k] += w2[k * 6 + j] * h1[j];
            if (y[k] > mx) mx = y[k];
        }
        for (int k = 0; k < 3; k++)
            z += exp(y[k] - mx);
        for (int k = 0; k < 3; k++) {
            const double t = k == lab[s] ? 0.99 : 0.005;
            loss -= t * (y[k] - mx - log(z));
        }
    }
    return loss / n;
}

static void test_bp_gradient(void **state)
{
    (void)state;
    const int n = 6;
    sm_disinh_params p = small_params(n);
    p.rule = SM_DISINH_BP;
    p.optimizer = SM_DISINH_SGD;
    p.lr = 1e-7;
    sm_disinh *net = sm_disinh_create(&p, NULL);
    assert_non_null(net);
    scale_weights(net, 2.0);
    double x[60];
    fill_uniform(x, 60, 41, 0, 1);
    const int lab[6] = {0, 1, 2, 2, 1, 0};
    /* finite-difference gradient of a few parameters of each layer, before the step */
    const size_t np = sm_disinh_n_params(net);
    double *before = malloc(np * sizeof *before), *fd = malloc(np * sizeof *fd);
    double *all[3];
    size_t len[3];
    int idx = 0;
    for (int l = 0; l < 3; l++) {
        int r, c;
        double *b;
        all[l] = sm_disinh_weights(net, l, &r, &c, &b);
        len[l] = (size_t)r * c + (b ? (size_t)r : 0); /* bias follows the matrix */
    }
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < len[l]; i += 7) {
            const double h = 1e-6, w = all[l][i];
            all[l][i] = w + h;
            const double lp = bp_loss(net, x, lab, n);
            all[l][i] = w - h;
            const double lm = bp_loss(net, x, lab, n);
            all[l][i] = w;
            fd[idx++] = -(lp - lm) / (2 * h);
        }
    for (int l = 0, k = 0; l < 3; l++)
        for (size_t i = 0; i < len[l]; i++)
            before[k++] = all[l][i];
    sm_disinh_step_stats st;
    assert_int_equal(sm_disinh_train_batch(net, x, lab, n, &st, NULL), SM_OK);
    assert_float_near(st.cl_loss, bp_loss(net, x, lab, n), 1e-3);
    idx = 0;
    size_t off = 0;
    for (int l = 0; l < 3; l++) {
        for (size_t i = 0; i < len[l]; i += 7) {
            const double g = (all[l][i] - before[off + i]) / p.lr;
            assert_float_near(g, fd[idx], 1e-5 + 1e-3 * fabs(fd[idx]));
            idx++;
        }
        off += len[l];
    }
    free(before);
    free(fd);
    sm_disinh_destroy(net);
}

/* ------------------------------------------------------------ training learns */

static void test_train_learns(void **state)
{
    (void)state;
    /* two classes: input mass in the first or the second half */
    const int n = 50;
    const int rules[3] = {SM_DISINH_EXACT, SM_DISINH_LIN_THRESH, SM_DISINH_BP};
    for (int ri = 0; ri < 3; ri++) {
        const int rule = rules[ri];
        sm_disinh_params p = small_params(n);
        p.n_out = 2;
        p.rule = rule;
        p.lr = 1e-2;
        sm_disinh *net = sm_disinh_create(&p, NULL);
        assert_non_null(net);
        double x[500];
        int lab[50];
        fill_uniform(x, 500, 51, 0, 0.3);
        for (int s = 0; s < n; s++) {
            lab[s] = s % 2;
            for (int j = 0; j < 5; j++)
                x[s * 10 + j + 5 * lab[s]] += 1.0;
        }
        double acc0, acc1, loss0, loss1;
        assert_int_equal(sm_disinh_evaluate(net, x, lab, n, NULL, &acc0, &loss0, NULL), SM_OK);
        for (int e = 0; e < 60; e++)
            assert_int_equal(sm_disinh_train_batch(net, x, lab, n, NULL, NULL), SM_OK);
        assert_int_equal(sm_disinh_evaluate(net, x, lab, n, NULL, &acc1, &loss1, NULL), SM_OK);
        assert_true(loss1 < 0.5 * loss0);
        assert_true(acc1 >= 0.98);
        sm_disinh_destroy(net);
    }
}

/* The frozen-network control: hidden weights and biases keep their start, the readout
 * learns (checked through the checkpoint state, whose first block is the parameters). */
static void test_freeze_hidden(void **state)
{
    (void)state;
    const int n = 20;
    sm_disinh_params p = small_params(n);
    p.n_out = 2;
    p.freeze_hidden = 1;
    sm_disinh *net = sm_disinh_create(&p, NULL);
    assert_non_null(net);
    const size_t ns = sm_disinh_state_size(net);
    unsigned char *a = malloc(ns), *b = malloc(ns);
    sm_disinh_state_save(net, a);
    double x[200];
    int lab[20];
    fill_uniform(x, 200, 7, 0, 1);
    for (int s = 0; s < n; s++)
        lab[s] = s % 2;
    const double w0 = sm_disinh_weight_norm(net, p.n_layers);
    assert_int_equal(sm_disinh_train_batch(net, x, lab, n, NULL, NULL), SM_OK);
    sm_disinh_state_save(net, b);
    /* hidden block: W_1 (8 x 10), b_1, W_2 (6 x 8), b_2; then W_out */
    const size_t hid = (size_t)(8 * 10 + 8 + 6 * 8 + 6) * sizeof(double);
    assert_memory_equal(a, b, hid);
    assert_memory_not_equal(a + hid, b + hid, 6 * 2 * sizeof(double));
    assert_true(sm_disinh_weight_norm(net, p.n_layers) != w0);
    free(a);
    free(b);
    sm_disinh_destroy(net);
}

/* ------------------------------------------------------------ A3 */

/* The Figure 4 settings with the authors' own draw (JAX PRNGKey(2), recomputed by
 * scripts/disinh-reference-draw.py into tests/data). */
static void teacher_params(sm_config *cfg, int epochs, sm_disinh_teacher_params *p)
{
    sm_config_default(cfg);
    const char *sets[] = {"ctrl.k_p=30",
                          "ctrl.k_i=15",
                          "ctrl.leak=0.5",
                          "disinh.act_e.scale=5",
                          "disinh.act_e.shift=3",
                          "disinh.act_i.shift=3",
                          "teacher.draw=" SOMNUS_SOURCE_DIR "/tests/data/disinh-teacher-seed2.txt"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        assert_int_equal(sm_config_set_assignment(cfg, sets[i], "test", NULL), SM_OK);
    cfg->teacher.epochs = epochs;
    sm_disinh_teacher_params_from_config(cfg, 2, p);
}

/* The notebook's own printed OL MSE (cell 21 of "Figure 4.ipynb" at ccf957e) for its two
 * rules, epochs 0-4: the same networks give the same learning curve (the notebook
 * integrates with adaptive Tsit5 in float32, somnus with Euler 0.5 ms in double). */
static void test_teacher_matches_notebook(void **state)
{
    (void)state;
    sm_config cfg;
    sm_disinh_teacher_params p;
    teacher_params(&cfg, 5, &p);
    const double nb_exact[5] = {5.264478, 2.9760065, 1.6316317, 0.70705044, 0.3614552};
    const double nb_lin[5] = {5.264478, 1.5288918, 0.40197185, 0.08338577, 0.034455735};
    double ol[5], cl[5], lc[5];
    assert_int_equal(sm_disinh_teacher_run(&p, SM_TEACHER_EXACT_PUB, ol, cl, lc, NULL), SM_OK);
    for (int e = 0; e < 5; e++)
        assert_true(fabs(ol[e] / nb_exact[e] - 1) < 0.02);
    assert_int_equal(sm_disinh_teacher_run(&p, SM_TEACHER_LIN_PUB, ol, cl, lc, NULL), SM_OK);
    for (int e = 0; e < 5; e++)
        assert_true(fabs(ol[e] / nb_lin[e] - 1) < 0.02);
}

/* A3 on the authors' draw, section 3's exact rule: OL MSE from >= 3 to <= 0.01 by epoch
 * 59, CL MSE <= 1e-3 after the first epoch (measured: 5.26 -> 0.0026, CL <= 8.0e-4). The
 * 5-seed median of A3 is not met (docs/disinhibition.md): not tested. */
static void test_teacher_a3(void **state)
{
    (void)state;
    sm_config cfg;
    sm_disinh_teacher_params p;
    teacher_params(&cfg, 60, &p);
    double ol[60], cl[60], lc[60];
    assert_int_equal(sm_disinh_teacher_run(&p, SM_TEACHER_EXACT, ol, cl, lc, NULL), SM_OK);
    assert_true(ol[0] >= 3);
    assert_true(ol[59] <= 0.01);
    for (int e = 1; e < 60; e++)
        assert_true(cl[e] <= 1e-3);
}

/* A bad draw file is refused, naming the file. */
static void test_teacher_draw_refused(void **state)
{
    (void)state;
    sm_config cfg;
    sm_disinh_teacher_params p;
    teacher_params(&cfg, 1, &p);
    p.n_hidden = 21;
    double ol[1], cl[1], lc[1];
    sm_error err;
    assert_int_equal(sm_disinh_teacher_run(&p, SM_TEACHER_EXACT, ol, cl, lc, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "disinh-teacher-seed2.txt"));
    p.n_hidden = 20;
    p.draw = "/nonexistent/draw.txt";
    assert_int_equal(sm_disinh_teacher_run(&p, SM_TEACHER_EXACT, ol, cl, lc, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "/nonexistent/draw.txt"));
}

/* ------------------------------------------------------------ config */

static void test_config_refuses(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_error err;
    assert_int_equal(sm_config_validate(&cfg, &err), SM_OK);
    assert_int_not_equal(sm_config_set(&cfg, "disinh.rule", "hebb", "--set", &err), SM_OK);
    assert_non_null(strstr(err.msg, "disinh.rule"));
    assert_int_not_equal(sm_config_set(&cfg, "disinh.tau_i", "-1", "--set", &err), SM_OK);
    assert_int_equal(sm_config_set(&cfg, "disinh.n_hidden", "256,x", "--set", &err), SM_OK);
    assert_int_not_equal(sm_config_validate(&cfg, &err), SM_OK);
    assert_non_null(strstr(err.msg, "disinh.n_hidden"));
    sm_config_default(&cfg);
    assert_int_equal(sm_config_set(&cfg, "disinh.dt", "0.01", "--set", &err), SM_OK);
    assert_int_not_equal(sm_config_validate(&cfg, &err), SM_OK);
    assert_non_null(strstr(err.msg, "disinh.dt"));
    int sizes[8];
    assert_int_equal(sm_config_parse_sizes("256, 128,64", sizes, 8), 3);
    assert_int_equal(sizes[1], 128);
    assert_int_equal(sm_config_parse_sizes("0", sizes, 8), 0);
    assert_int_equal(sm_config_parse_sizes("1,2,3,4,5,6,7,8,9", sizes, 8), 0);
    /* as_published is the teacher notebook's rule: the rate network refuses it */
    sm_disinh_params p = small_params(4);
    p.rule = SM_DISINH_AS_PUBLISHED;
    assert_null(sm_disinh_create(&p, &err));
    assert_non_null(strstr(err.msg, "as_published"));
    /* learned Q is defined for the teacher task only */
    p.rule = SM_DISINH_EXACT;
    p.q_mode = SM_DISINH_Q_LEARNED;
    assert_null(sm_disinh_create(&p, &err));
    assert_non_null(strstr(err.msg, "disinh.q"));
    sm_config_default(&cfg);
    assert_int_equal(sm_config_set(&cfg, "disinh.q", "learned", "--set", &err), SM_OK);
}

/* ------------------------------------------------------------ experiment */

static void test_signflip_experiment(void **state)
{
    (void)state;
    const sm_experiment_def *def = sm_experiment_find("disinh-signflip", NULL);
    assert_non_null(def);
    sm_config cfg;
    sm_config_default(&cfg);
    assert_int_equal(sm_experiment_apply_defaults(def, 1, &cfg, NULL), SM_OK);
    sm_experiment_ctx ctx = {.cfg = &cfg, .quick = 1, .jobs = 1};
    json_t *doc = NULL;
    assert_int_equal(sm_experiment_run(def, &ctx, &doc, NULL), SM_OK);
    json_t *res = json_object_get(doc, "results");
    json_t *cross = json_object_get(res, "crossings");
    assert_true(json_is_array(cross));
    /* exact 2 + lin_fixed 6 + lin_fixed_b 6 + isolated 4 */
    assert_int_equal((int)json_array_size(cross), 18);
    json_t *first = json_array_get(cross, 0);
    assert_string_equal(json_string_value(json_object_get(first, "rule")), "exact");
    assert_float_near(json_real_value(json_object_get(first, "r_E_at_zero")), 4.0, 0.01);
    assert_true(json_real_value(json_object_get(res, "max_abs_dw_no_target")) < 1e-6);
    assert_non_null(sm_experiment_find("disinh-teacher", NULL));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer),
        cmocka_unit_test(test_signflip_exact),
        cmocka_unit_test(test_signflip_linear),
        cmocka_unit_test(test_fixed_point_vs_euler),
        cmocka_unit_test(test_q_finite_differences),
        cmocka_unit_test(test_gain_zero_no_change),
        cmocka_unit_test(test_bp_gradient),
        cmocka_unit_test(test_train_learns),
        cmocka_unit_test(test_freeze_hidden),
        cmocka_unit_test(test_teacher_matches_notebook),
        cmocka_unit_test(test_teacher_a3),
        cmocka_unit_test(test_teacher_draw_refused),
        cmocka_unit_test(test_config_refuses),
        cmocka_unit_test(test_signflip_experiment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
