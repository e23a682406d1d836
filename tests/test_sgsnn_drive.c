/* The SG-SNN's LayerNorm and ON/OFF split (spec plasticity-loss.md 2.2, 2.3; sgsnn_drive.c).
 *
 * Gradients: with smooth_forward = 1 (the spike is the antiderivative of the surrogate) and
 * the reset attached, the network is an ordinary differentiable function, so the library's
 * BPTT gradient of every tensor (W1, b1, W2, b2, LayerNorm gain and shift) must equal
 * central differences of the loss computed here in double by an independent forward pass
 * written from the spec's equations. The drive itself is checked on a hand-computed
 * vector, the probe's forward against sm_sgsnn_predict, and ReDo's pair rule by hand. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sgsnn_probe.h"
#include "somnus/models/sgsnn_remedy.h"

enum { D = 4, H = 6, O = 3, T = 6, B = 8 };

static void fill(float *a, int n, uint64_t seed, float lo, float hi)
{
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_USER, 0);
    for (int i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * (float)sm_rng_uniform(&r);
}

/* 4 -> 6 -> 3 with the given drive; weights scaled so that the neurons are in their
 * active range; LayerNorm gain and shift moved away from 1 and 0. */
static sm_sgsnn *make(int ln, int onoff, int smooth, float *x, int *y)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = D;
    p.n_hidden = H;
    p.n_out = O;
    p.steps = T;
    p.batch_size = B;
    p.seed = 11;
    p.threads = 1;
    p.smooth_forward = smooth;
    p.detach_reset = 0;
    p.layer_norm = ln;
    p.onoff = onoff;
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            v.w[i] *= 3.0f;
        for (int i = 0; i < v.rows; i++)
            v.b[i] += 0.3f;
    }
    sm_sgsnn_layer n = sm_sgsnn_get_norm(net, 0);
    if (ln) {
        fill(n.w, n.rows, 3, 0.5f, 1.5f);
        fill(n.b, n.rows, 4, 0.0f, 0.6f);
    } else {
        assert_null(n.w);
    }
    fill(x, B * D, 99, 0.0f, 1.0f);
    for (int i = 0; i < B; i++)
        y[i] = i % O;
    return net;
}

/* ------------------------------------------------------------ double reference */

typedef struct ref {
    int U, ln, onoff;
    double beta, thr, alpha;
    double *t[6]; /* W1, b1, W2, b2, g, c */
    size_t len[6];
} ref;

static ref ref_from(sm_sgsnn *net)
{
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    ref r = {sm_sgsnn_get_layer(net, 0).rows,
             p->layer_norm,
             p->onoff,
             p->beta,
             p->threshold,
             p->atan_alpha,
             {NULL},
             {0}};
    for (int k = 0; k < sm_sgsnn_n_tensors(net); k++) {
        size_t n;
        const float *a = sm_sgsnn_tensor(net, k, 0, &n);
        r.len[k] = n;
        r.t[k] = malloc(n * sizeof(double));
        for (size_t i = 0; i < n; i++)
            r.t[k][i] = a[i];
    }
    return r;
}

static void ref_free(ref *r)
{
    for (int k = 0; k < 6; k++)
        free(r->t[k]);
}

static double spike(const ref *r, double u)
{
    return 0.5 + atan(M_PI / 2 * r->alpha * u) / M_PI;
}

/* Mean cross-entropy of the output spike counts, from the spec's equations. */
static double ref_loss(const ref *r, const float *x, const int *y)
{
    const int U = r->U;
    const double *w1 = r->t[0], *b1 = r->t[1], *w2 = r->t[2], *b2 = r->t[3];
    double loss = 0;
    for (int s = 0; s < B; s++) {
        double u[H], cur[H], m1[H] = {0}, s1[H] = {0}, m2[O] = {0}, s2[O] = {0}, cnt[O] = {0};
        for (int j = 0; j < U; j++) {
            u[j] = b1[j];
            for (int d = 0; d < D; d++)
                u[j] += w1[j * D + d] * x[s * D + d];
        }
        if (r->ln) {
            double mu = 0, v = 0;
            for (int j = 0; j < U; j++)
                mu += u[j] / U;
            for (int j = 0; j < U; j++)
                v += (u[j] - mu) * (u[j] - mu) / U;
            for (int j = 0; j < U; j++)
                u[j] = r->t[4][j] * (u[j] - mu) / sqrt(v + 1e-5) + r->t[5][j];
        }
        for (int j = 0; j < U; j++) {
            cur[j] = u[j];
            if (r->onoff) cur[U + j] = -u[j];
        }
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < H; h++) {
                m1[h] = r->beta * m1[h] + cur[h] - s1[h] * r->thr;
                s1[h] = spike(r, m1[h] - r->thr);
            }
            for (int o = 0; o < O; o++) {
                double c = b2[o];
                for (int h = 0; h < H; h++)
                    c += w2[o * H + h] * s1[h];
                m2[o] = r->beta * m2[o] + c - s2[o] * r->thr;
                s2[o] = spike(r, m2[o] - r->thr);
                cnt[o] += s2[o];
            }
        }
        double mx = cnt[0], z = 0;
        for (int o = 1; o < O; o++)
            mx = fmax(mx, cnt[o]);
        for (int o = 0; o < O; o++)
            z += exp(cnt[o] - mx);
        loss += mx + log(z) - cnt[y[s]];
    }
    return loss / B;
}

static void gradient_matches_central_differences(int ln, int onoff)
{
    float x[B * D];
    int y[B];
    sm_sgsnn *net = make(ln, onoff, 1, x, y);
    double loss;
    assert_int_equal(sm_sgsnn_backprop(net, x, y, B, &loss, NULL, NULL), SM_OK);
    ref r = ref_from(net);
    assert_float_near(loss, ref_loss(&r, x, y), 1e-5); /* the same forward */
    const double eps = 1e-5;
    double worst = 0, gmax = 0;
    int checked = 0;
    for (int k = 0; k < sm_sgsnn_n_tensors(net); k++) {
        const float *g = sm_sgsnn_tensor(net, k, 1, NULL);
        double tmax = 0;
        for (size_t i = 0; i < r.len[k]; i++) {
            double keep = r.t[k][i];
            r.t[k][i] = keep + eps;
            double lp = ref_loss(&r, x, y);
            r.t[k][i] = keep - eps;
            double lm = ref_loss(&r, x, y);
            r.t[k][i] = keep;
            double fd = (lp - lm) / (2 * eps);
            worst = fmax(worst, fabs(g[i] - fd) / (1e-3 + fabs(fd)));
            tmax = fmax(tmax, fabs(fd));
            checked++;
        }
        assert_true(tmax > 1e-3); /* every tensor has a gradient worth checking */
        gmax = fmax(gmax, tmax);
    }
    if (getenv("SGSNN_VERBOSE"))
        printf("  ln %d onoff %d: %d entries, worst rel err %.2e, max |g| %.3f\n", ln, onoff,
               checked, worst, gmax);
    assert_int_equal(checked, (onoff ? H / 2 : H) * (D + 1 + 2 * ln) + O * (H + 1));
    assert_true(worst < 1e-4); /* spec P1: within 1e-4 relative */
    ref_free(&r);
    sm_sgsnn_destroy(net);
}

static void layernorm_gradient_matches_central_differences(void **state)
{
    (void)state;
    gradient_matches_central_differences(1, 0);
}

static void onoff_gradient_matches_central_differences(void **state)
{
    (void)state;
    gradient_matches_central_differences(0, 1);
}

static void layernorm_and_onoff_gradient_matches_central_differences(void **state)
{
    (void)state;
    gradient_matches_central_differences(1, 1);
}

/* u = (1, 2, 4): mu = 7/3, var = 14/9; ON half g uh + c, OFF half its negative. */
static void drive_by_hand(void **state)
{
    (void)state;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = 2;
    p.n_hidden = 6;
    p.n_out = 2;
    p.layer_norm = 1;
    p.onoff = 1;
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    assert_int_equal(sm_sgsnn_get_layer(net, 0).rows, 3);
    assert_int_equal(sm_sgsnn_get_layer(net, 1).cols, 6);
    sm_sgsnn_layer n = sm_sgsnn_get_norm(net, 0);
    for (int j = 0; j < 3; j++) /* initial gain 1, shift 0 */
        assert_true(n.w[j] == 1.0f && n.b[j] == 0.0f);
    n.w[1] = 2.0f;
    n.b[2] = 0.5f;
    const float u[3] = {1, 2, 4};
    float cur[6];
    sm_sgsnn_hidden_drive(net, u, cur);
    const double sd = sqrt(14.0 / 9.0 + 1e-5);
    const double want[3] = {(1 - 7.0 / 3) / sd, 2 * (2 - 7.0 / 3) / sd, (4 - 7.0 / 3) / sd + 0.5};
    for (int j = 0; j < 3; j++) {
        assert_float_near(cur[j], want[j], 1e-6);
        assert_true(cur[3 + j] == -cur[j]);
    }
    sm_sgsnn_destroy(net);
    p.n_hidden = 5;
    sm_error err;
    assert_null(sm_sgsnn_create(&p, &err)); /* an odd width cannot be split */
    assert_non_null(strstr(err.msg, "sgsnn.unit"));
}

/* The probe (its own forward through sm_sgsnn_hidden_drive) gives sm_sgsnn_predict's
 * output counts; the ON and OFF neuron of a pair never both fire for a strong drive. */
static void probe_matches_predict_with_the_drive(void **state)
{
    (void)state;
    float x[B * D];
    int y[B];
    for (int ln = 0; ln < 2; ln++) {
        sm_sgsnn *net = make(ln, 1, 0, x, y);
        float ch[B * H], co[B * O], cp[B * O];
        assert_int_equal(sm_sgsnn_probe_counts(net, x, B, ch, co, NULL), SM_OK);
        assert_int_equal(sm_sgsnn_predict(net, x, B, NULL, cp, NULL), SM_OK);
        assert_memory_equal(co, cp, sizeof co);
        sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0);
        int strong = 0;
        for (int s = 0; s < B; s++)
            for (int j = 0; j < H / 2; j++) {
                double u = l0.b[j];
                for (int d = 0; d < D; d++)
                    u += (double)l0.w[j * D + d] * x[s * D + d];
                if (!ln && fabs(u) > 0.2) { /* a drive well past (1 - beta) thr = 0.05 */
                    strong++;
                    assert_true((ch[s * H + j] > 0) != (ch[s * H + H / 2 + j] > 0));
                    assert_true((ch[s * H + j] > 0) == (u > 0));
                }
            }
        if (!ln) assert_true(strong > B);
        sm_sgsnn_destroy(net);
    }
}

/* ReDo with the ON/OFF split redraws a row of W1 only when both neurons of its pair are
 * dormant, and zeroes both of their columns of W2. */
static void redo_acts_on_pairs(void **state)
{
    (void)state;
    float x[B * D];
    int y[B];
    sm_sgsnn *net = make(0, 1, 0, x, y);
    /* counts of 2 images: pair 0 both silent, pair 1 ON silent only, pair 2 active */
    const float counts[2 * H] = {0, 0, 5, 0, 4, 5, 0, 0, 6, 0, 5, 4};
    sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0), l1 = sm_sgsnn_get_layer(net, 1);
    float w0[H / 2 * D], w1[O * H];
    memcpy(w0, l0.w, sizeof w0);
    memcpy(w1, l1.w, sizeof w1);
    assert_int_equal(sm_sgsnn_redo(net, counts, 2, 0.1, 5, 9), 2);
    assert_true(memcmp(w0, l0.w, D * sizeof(float)) != 0); /* row 0 redrawn */
    assert_memory_equal(w0 + D, l0.w + D, 2 * D * sizeof(float));
    for (int o = 0; o < O; o++)
        for (int h = 0; h < H; h++) {
            const int zeroed = h == 0 || h == H / 2;
            if (zeroed)
                assert_true(l1.w[o * H + h] == 0.0f);
            else
                assert_true(l1.w[o * H + h] == w1[o * H + h]);
        }
    sm_sgsnn_destroy(net);
}

/* A network with LayerNorm trains (the loss falls) and its checkpoint state carries the
 * gain and shift: a restored copy continues bit for bit. */
static void layernorm_state_round_trip(void **state)
{
    (void)state;
    float x[B * D];
    int y[B];
    sm_sgsnn *a = make(1, 1, 0, x, y), *b = make(1, 1, 0, x, y);
    double l0 = 0, l1 = 0;
    for (int it = 0; it < 30; it++) {
        assert_int_equal(sm_sgsnn_backprop(a, x, y, B, it == 0 ? &l0 : &l1, NULL, NULL), SM_OK);
        sm_sgsnn_adam_step(a);
    }
    assert_true(l1 < l0);
    const size_t n = sm_sgsnn_state_size(a);
    void *buf = malloc(n);
    sm_sgsnn_state_save(a, buf);
    sm_sgsnn_state_load(b, buf);
    free(buf);
    for (int it = 0; it < 3; it++) {
        sm_sgsnn_backprop(a, x, y, B, NULL, NULL, NULL);
        sm_sgsnn_adam_step(a);
        sm_sgsnn_backprop(b, x, y, B, NULL, NULL, NULL);
        sm_sgsnn_adam_step(b);
    }
    for (int k = 0; k < sm_sgsnn_n_tensors(a); k++) {
        size_t len;
        const float *ta = sm_sgsnn_tensor(a, k, 0, &len), *tb = sm_sgsnn_tensor(b, k, 0, NULL);
        assert_memory_equal(ta, tb, len * sizeof(float));
    }
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layernorm_gradient_matches_central_differences),
        cmocka_unit_test(onoff_gradient_matches_central_differences),
        cmocka_unit_test(layernorm_and_onoff_gradient_matches_central_differences),
        cmocka_unit_test(drive_by_hand),
        cmocka_unit_test(probe_matches_predict_with_the_drive),
        cmocka_unit_test(redo_acts_on_pairs),
        cmocka_unit_test(layernorm_state_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
