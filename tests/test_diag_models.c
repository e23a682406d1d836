/* diag.iid (spec plasticity-loss.md section 1) for the models beyond the SG-SNN and the
 * STDP network: the weight-tensor columns by hand, Diehl & Cook (E and I populations of a
 * frozen copy, input->E weights) and the Poisson-Gamma mixture (posteriors of the units)
 * recomputed independently on tiny runs, the theta machine's probe segment (a frozen copy
 * run through the first seconds of its generated input), the Hopfield federation's operators
 * and fixed cues; how often each computes them; diag.iid = 0 leaves every document as it
 * was; bad input is refused naming the key. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/rng.h"
#include "somnus/models/dc.h"
#include "somnus/models/disinh.h"
#include "somnus/models/hopfield.h"
#include "somnus/models/hopfield_run.h"
#include "somnus/models/ppg.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/theta_latents.h"
#include "somnus/protocol/train.h"
#include "protocol/diag_columns.h"
#include "protocol/train_dc.h"
#include "protocol/train_sgsnn.h"

/* last: lapacke.h brings complex.h, whose macro I would clash with the models' headers */
#include <lapacke.h>

/* ------------------------------------------------------------------ helpers */

static json_t *col(json_t *doc, const char *name)
{
    json_t *c = json_object_get(json_object_get(doc, "evaluations"), name);
    if (!c) fail_msg("evaluations has no column %s", name);
    return c;
}

static double last(json_t *doc, const char *name)
{
    json_t *c = col(doc, name);
    return json_number_value(json_array_get(c, json_array_size(c) - 1));
}

static double lastf(json_t *doc, const char *fmt, const char *a)
{
    char key[96];
    snprintf(key, sizeof key, fmt, a);
    return last(doc, key);
}

/* Hand loops over an n x H matrix of counts over T steps (spec 1.1, 1.4): silent and
 * tau = 0.1 dormant fractions, mean row norm of C / T. */
static void hand_diag(const float *c, int n, int H, int T, double *silent, double *dormant,
                      double *fnorm)
{
    double *mean = calloc((size_t)H, sizeof *mean), layer = 0;
    assert_non_null(mean);
    *fnorm = 0;
    for (int x = 0; x < n; x++) {
        double q = 0;
        for (int i = 0; i < H; i++) {
            const double phi = (double)c[(size_t)x * H + i] / T;
            mean[i] += c[(size_t)x * H + i];
            q += phi * phi;
        }
        *fnorm += sqrt(q) / n;
    }
    for (int i = 0; i < H; i++) {
        mean[i] /= (double)n * T;
        layer += mean[i] / H;
    }
    int s = 0, d = 0;
    for (int i = 0; i < H; i++) {
        s += mean[i] == 0;
        d += layer == 0 || mean[i] / layer <= 0.1;
    }
    *silent = (double)s / H;
    *dormant = (double)d / H;
    free(mean);
}

static int srank_of(const float *c, int n, int H, int T)
{
    const int r = n < H ? n : H;
    double *sv = malloc((size_t)r * sizeof *sv);
    assert_non_null(sv);
    assert_int_equal(sm_diag_singular_values(c, n, H, T, sv, NULL), SM_OK);
    const int k = sm_diag_srank(sv, r, 0.01);
    free(sv);
    return k;
}

typedef struct arrays {
    int n;
    char name[4][64];
    size_t rows[4], cols[4];
    float *data[4];
} arrays;

static void keep_array(void *ctx, const char *name, int dtype, size_t rows, size_t cols,
                       const void *data)
{
    arrays *g = ctx;
    assert_true(g->n < 4 && dtype == 0);
    snprintf(g->name[g->n], 64, "%s", name);
    g->rows[g->n] = rows;
    g->cols[g->n] = cols;
    g->data[g->n] = malloc(rows * cols * sizeof(float));
    memcpy(g->data[g->n], data, rows * cols * sizeof(float));
    g->n++;
}

static int find(const arrays *g, const char *name)
{
    for (int k = 0; k < g->n; k++)
        if (!strcmp(g->name[k], name)) return k;
    fail_msg("array %s not exported", name);
    return -1;
}

static void arrays_free(arrays *g)
{
    for (int k = 0; k < g->n; k++)
        free(g->data[k]);
}

static sm_config config(const char *const *set)
{
    sm_config cfg;
    sm_config_default(&cfg);
    for (int k = 0; set[k]; k++)
        assert_int_equal(sm_config_set_assignment(&cfg, set[k], "test", NULL), SM_OK);
    return cfg;
}

static json_t *run(const sm_config *cfg, sm_train_options *opt, sm_error *err)
{
    sm_train_data d;
    assert_int_equal(sm_train_data_load(cfg, &d, NULL), SM_OK);
    json_t *doc = NULL;
    sm_train_options none;
    memset(&none, 0, sizeof none);
    const sm_status st = sm_train_run_opts(cfg, &d, opt ? opt : &none, &doc, err);
    sm_train_data_free(&d);
    if (!err && st != SM_OK) fail_msg("train failed (%d)", (int)st);
    return st == SM_OK ? doc : NULL;
}

/* ------------------------------------------------------------------ weight tensor */

/* w = (3, 4) then (0, 4) on the bounds [0, 4]: ||w|| 5, then 4; the update (3, 0) has norm
 * 3 and ratio 3 / 5; at a bound 1 of 2 (4), then 2 of 2 (0 and 4); near (within 0.04) the
 * same.
 * A row not due gives null values and keeps the previous weights. */
static void tensor_columns_by_hand(void **state)
{
    (void)state;
    sm_diag_tensor t;
    assert_int_equal(sm_diag_tensor_init(&t, 2, NULL), SM_OK);
    json_t *tab = json_object();
    const double w1[2] = {3, 4}, w2[2] = {0, 4}, w3[2] = {0.03, 3.97};
    sm_diag_tensor_cols(tab, "X", &t, w1, 0, 4);
    sm_diag_tensor_cols(tab, "X", &t, NULL, 0, 4);
    sm_diag_tensor_cols(tab, "X", &t, w2, 0, 4);
    sm_diag_tensor_cols(tab, "X", &t, w3, 0, 4);
    json_t *wn = json_object_get(tab, "diag_X_weight_norm");
    json_t *un = json_object_get(tab, "diag_X_update_norm");
    json_t *ur = json_object_get(tab, "diag_X_update_ratio");
    json_t *at = json_object_get(tab, "diag_X_frac_at_bound");
    json_t *nb = json_object_get(tab, "diag_X_frac_near_bound");
    assert_int_equal(json_array_size(wn), 4);
    assert_float_equal(json_number_value(json_array_get(wn, 0)), 5, 1e-15);
    assert_true(json_is_null(json_array_get(un, 0)) && json_is_null(json_array_get(ur, 0)));
    assert_float_equal(json_number_value(json_array_get(at, 0)), 0.5, 0);
    assert_float_equal(json_number_value(json_array_get(nb, 0)), 0.5, 0);
    json_t *all[5] = {wn, un, ur, at, nb};
    for (int k = 0; k < 5; k++)
        assert_true(json_is_null(json_array_get(all[k], 1)));
    assert_float_equal(json_number_value(json_array_get(wn, 2)), 4, 1e-15);
    assert_float_equal(json_number_value(json_array_get(un, 2)), 3, 1e-15);
    assert_float_equal(json_number_value(json_array_get(ur, 2)), 0.6, 1e-15);
    assert_float_equal(json_number_value(json_array_get(at, 2)), 1, 0);
    assert_float_equal(json_number_value(json_array_get(nb, 2)), 1, 0);
    /* 0.03 and 3.97 are near (|d| <= 0.04) but not at a bound; the update sqrt(2) 0.03 */
    assert_float_equal(json_number_value(json_array_get(at, 3)), 0, 0);
    assert_float_equal(json_number_value(json_array_get(nb, 3)), 1, 0);
    assert_float_equal(json_number_value(json_array_get(un, 3)), sqrt(2.0) * 0.03, 1e-12);
    /* no bounds: no bound columns */
    json_t *tab2 = json_object();
    sm_diag_tensor_cols(tab2, "Y", &t, w1, NAN, NAN);
    assert_null(json_object_get(tab2, "diag_Y_frac_at_bound"));
    assert_non_null(json_object_get(tab2, "diag_Y_weight_norm"));
    json_decref(tab);
    json_decref(tab2);
    sm_diag_tensor_free(&t);
}

/* ------------------------------------------------------------------ Diehl & Cook */

static const char *const DC_SET[] = {"train.model=dc",
                                     "data.dataset=synthetic:120",
                                     "data.n_train=24",
                                     "data.n_val=10",
                                     "data.n_test=6",
                                     "data.batch=8",
                                     "dc.n_exc=16",
                                     "dc.t_present=40",
                                     "dc.t_rest=10",
                                     "diag.n_probe=1000",
                                     "diag.iid=1",
                                     "diag.iid_every=1",
                                     NULL};

typedef struct dc_copy {
    float *w, *theta;
    double theta_scale;
    int n_pad;
} dc_copy;

static void keep_dc(void *ctx, const struct sm_dc *net)
{
    dc_copy *c = ctx;
    const size_t nw = (size_t)net->p.n_in * net->n_pad;
    c->w = malloc(nw * sizeof(float));
    c->theta = malloc((size_t)net->n_pad * sizeof(float));
    memcpy(c->w, net->w, nw * sizeof(float));
    memcpy(c->theta, net->theta, (size_t)net->n_pad * sizeof(float));
    c->theta_scale = net->theta_scale;
    c->n_pad = net->n_pad;
}

/* The last row equals hand loops over the counts of a network rebuilt by hand from the
 * trained weights and thresholds (new network of the same parameters, state as built, step
 * 0, learning off), shown the probe images (the class-balanced draw; with n_probe above the
 * validation size, every validation image) in the probe's order: silent, dormant 0.1,
 * feature norm, srank of E and I; ||W||_F and the bound fractions of the input->E weights
 * by hand. Rows: one per data.batch images; the update norm is null on the first only. */
static void dc_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = config(DC_SET);
    dc_copy got = {0};
    arrays g = {0};
    sm_train_options opt;
    memset(&opt, 0, sizeof opt);
    opt.dc_final_fn = keep_dc;
    opt.dc_final_ctx = &got;
    opt.array_fn = keep_array;
    opt.array_ctx = &g;
    json_t *doc = run(&cfg, &opt, NULL);
    assert_int_equal(json_array_size(col(doc, "diag_E_silent")), 3); /* 24 images / 8 */
    assert_true(json_is_null(json_array_get(col(doc, "diag_SE_update_norm"), 0)));
    assert_true(json_number_value(json_array_get(col(doc, "diag_SE_update_norm"), 2)) > 0);
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    const int n_in = d.val->width * d.val->height, n = cfg.dc.n_exc;
    int np;
    int *idx = sm_diag_probe_indices(d.val, d.val->n_classes, 1000, (uint64_t)cfg.run.seed, &np);
    assert_int_equal(np, d.val->n);
    sm_dc_params p;
    sm_train_dc_params(&cfg, n_in, &p);
    sm_dc *net = sm_dc_create(&p, NULL);
    assert_non_null(net);
    memcpy(net->w, got.w, (size_t)n_in * got.n_pad * sizeof(float));
    memcpy(net->theta, got.theta, (size_t)got.n_pad * sizeof(float));
    net->theta_scale = got.theta_scale;
    sm_dc_set_learning(net, 0);
    float *ce = malloc((size_t)np * n * sizeof *ce), *ci = malloc((size_t)np * n * sizeof *ci);
    int32_t *e = malloc((size_t)n * sizeof *e), *in = malloc((size_t)n * sizeof *in);
    for (int a = 0; a < np; a++) {
        sm_dc_present_ei(net, d.val->pixels + (size_t)idx[a] * n_in, e, in);
        for (int j = 0; j < n; j++) {
            ce[(size_t)a * n + j] = (float)e[j];
            ci[(size_t)a * n + j] = (float)in[j];
        }
    }
    const int T = 80 + 20; /* (t_present + t_rest) / dt 0.5 */
    const char *pops[2] = {"E", "I"};
    float *c[2] = {ce, ci};
    double total = 0;
    for (int q = 0; q < 2; q++) {
        double silent, dormant, fnorm;
        hand_diag(c[q], np, n, T, &silent, &dormant, &fnorm);
        assert_float_equal(lastf(doc, "diag_%s_silent", pops[q]), silent, 1e-12);
        assert_float_equal(lastf(doc, "diag_%s_dormant_0.1", pops[q]), dormant, 1e-12);
        assert_float_equal(lastf(doc, "diag_%s_feature_norm", pops[q]), fnorm, 1e-9);
        assert_int_equal((int)lastf(doc, "diag_%s_srank", pops[q]), srank_of(c[q], np, n, T));
        char name[32];
        snprintf(name, sizeof name, "probe_counts_%s", pops[q]);
        const int k = find(&g, name);
        assert_true(g.rows[k] == (size_t)np && g.cols[k] == (size_t)n);
        assert_memory_equal(g.data[k], c[q], (size_t)np * n * sizeof(float));
        total += fnorm;
    }
    assert_true(total > 0); /* spikes: the comparison is not 0 == 0 */
    double sq = 0;
    int at = 0, near = 0;
    for (int i = 0; i < n_in; i++)
        for (int j = 0; j < n; j++) {
            const double w = got.w[(size_t)i * got.n_pad + j];
            sq += w * w;
            at += w == 0 || w == 1;
            near += fabs(w) <= 0.01 || fabs(w - 1) <= 0.01;
        }
    assert_float_equal(last(doc, "diag_SE_weight_norm"), sqrt(sq), 1e-9 * sqrt(sq));
    assert_float_equal(last(doc, "diag_SE_frac_at_bound"), (double)at / (n_in * n), 1e-15);
    assert_float_equal(last(doc, "diag_SE_frac_near_bound"), (double)near / (n_in * n), 1e-15);
    assert_true(json_number_value(json_object_get(json_object_get(doc, "timing"), "diag_s")) >= 0);
    free(ce), free(ci), free(e), free(in), free(idx), free(got.w), free(got.theta);
    arrays_free(&g);
    sm_dc_destroy(net);
    sm_train_data_free(&d);
    json_decref(doc);
}

/* ------------------------------------------------------------------ Poisson-Gamma mixture */

static const char *const PPG_SET[] = {"train.model=ppg",
                                      "data.dataset=synthetic:120",
                                      "data.n_train=60",
                                      "data.n_val=20",
                                      "data.n_test=10",
                                      "ppg.epochs=3",
                                      "diag.n_probe=1000",
                                      "diag.iid=1",
                                      NULL};

typedef struct ppg_copy {
    double *w;
    int C, D;
} ppg_copy;

static void keep_ppg(void *ctx, const sm_train_ppg_final *f)
{
    ppg_copy *c = ctx;
    c->C = f->model->C;
    c->D = f->model->D;
    c->w = malloc((size_t)c->C * c->D * sizeof *c->w);
    memcpy(c->w, f->model->w, (size_t)c->C * c->D * sizeof *c->w);
}

/* One row per epoch; the exported probe posteriors (n_probe x C) are distributions (rows
 * sum to 1); the last row's unit diagnostics equal hand loops over them (T = 1) and srank
 * their singular values; ||W||_F by hand from the trained model. */
static void ppg_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = config(PPG_SET);
    ppg_copy got = {0};
    arrays g = {0};
    sm_train_options opt;
    memset(&opt, 0, sizeof opt);
    opt.ppg_final_fn = keep_ppg;
    opt.ppg_final_ctx = &got;
    opt.array_fn = keep_array;
    opt.array_ctx = &g;
    json_t *doc = run(&cfg, &opt, NULL);
    assert_int_equal(json_array_size(col(doc, "diag_units_silent")), 3);
    assert_true(json_is_null(json_array_get(col(doc, "diag_W_update_norm"), 0)));
    const int k = find(&g, "probe_posterior_units");
    const int n = (int)g.rows[k], C = (int)g.cols[k];
    assert_int_equal(n, 20);
    assert_int_equal(C, got.C);
    const float *phi = g.data[k];
    for (int a = 0; a < n; a++) {
        double s = 0;
        for (int c = 0; c < C; c++)
            s += phi[(size_t)a * C + c];
        assert_float_equal(s, 1, 1e-5);
    }
    double silent, dormant, fnorm;
    hand_diag(phi, n, C, 1, &silent, &dormant, &fnorm);
    assert_float_equal(last(doc, "diag_units_silent"), silent, 1e-12);
    assert_float_equal(last(doc, "diag_units_dormant_0.1"), dormant, 1e-12);
    assert_float_equal(last(doc, "diag_units_feature_norm"), fnorm, 1e-9);
    assert_int_equal((int)last(doc, "diag_units_srank"), srank_of(phi, n, C, 1));
    double sq = 0;
    for (size_t q = 0; q < (size_t)got.C * got.D; q++)
        sq += got.w[q] * got.w[q];
    assert_float_equal(last(doc, "diag_W_weight_norm"), sqrt(sq), 1e-12 * sqrt(sq));
    free(got.w);
    arrays_free(&g);
    json_decref(doc);
}

/* ------------------------------------------------------------------ dis-inhibitory network */

static const char *const DISINH_SET[] = {"train.model=disinh",
                                         "data.dataset=synthetic:120",
                                         "data.n_train=40",
                                         "data.n_val=12",
                                         "data.n_test=10",
                                         "disinh.n_hidden=12",
                                         "disinh.batch=20",
                                         "disinh.epochs=2",
                                         "diag.n_probe=1000",
                                         "diag.iid=1",
                                         NULL};

/* The protocol's training by hand (train_disinh.c: the order shuffled once per epoch by
 * (seed, 0x64740000, 0), minibatches of disinh.batch), then the probe's open loop: the last
 * row equals hand loops over r_E and phi_I(u_I) of the probe images (T = 1), srank their
 * singular values, ||W1||_F and ||W2||_F by hand; saturated is null (rates are unbounded). */
static void disinh_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = config(DISINH_SET);
    json_t *doc = run(&cfg, NULL, NULL);
    assert_int_equal(json_array_size(col(doc, "diag_hidden_E_silent")), 2);
    assert_true(json_is_null(json_array_get(col(doc, "diag_hidden_E_saturated"), 1)));
    assert_true(json_is_null(json_array_get(col(doc, "diag_W1_update_norm"), 0)));
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    const sm_dataset *tr = d.train, *val = d.val;
    const int n_in = tr->width * tr->height, H = 12, B = 20;
    sm_disinh_params p;
    assert_int_equal(sm_disinh_params_from_config(&cfg, n_in, tr->n_classes, &p, NULL), SM_OK);
    sm_disinh *net = sm_disinh_create(&p, NULL);
    assert_non_null(net);
    int *order = malloc((size_t)tr->n * sizeof *order), yb[20];
    double *xb = malloc((size_t)B * n_in * sizeof *xb);
    for (int i = 0; i < tr->n; i++)
        order[i] = i;
    sm_rng rng;
    sm_rng_init(&rng, (uint64_t)cfg.run.seed, 0x64740000u, 0);
    for (int e = 0; e < 2; e++) {
        sm_rng_shuffle(&rng, order, tr->n);
        for (int s0 = 0; s0 < tr->n; s0 += B) {
            for (int s = 0; s < B; s++) {
                for (int i = 0; i < n_in; i++)
                    xb[(size_t)s * n_in + i] = tr->pixels[(size_t)order[s0 + s] * n_in + i];
                yb[s] = tr->labels[order[s0 + s]];
            }
            sm_disinh_step_stats ss;
            assert_int_equal(sm_disinh_train_batch(net, xb, yb, B, &ss, NULL), SM_OK);
        }
    }
    int np;
    int *idx = sm_diag_probe_indices(val, val->n_classes, 1000, (uint64_t)cfg.run.seed, &np);
    assert_int_equal(np, 12); /* <= disinh.batch: one open loop */
    double *x = malloc((size_t)np * n_in * sizeof *x);
    for (int a = 0; a < np; a++)
        for (int i = 0; i < n_in; i++)
            x[(size_t)a * n_in + i] = val->pixels[(size_t)idx[a] * n_in + i];
    assert_int_equal(sm_disinh_open_loop(net, x, np, 0, NULL, NULL), SM_OK);
    sm_disinh_state st;
    sm_disinh_layer_state(net, 0, &st);
    float *re = malloc((size_t)np * H * sizeof *re), *ri = malloc((size_t)np * H * sizeof *ri);
    for (int k = 0; k < np * H; k++) {
        re[k] = (float)st.r_e[k];
        ri[k] = (float)sm_disinh_phi(&p.act_i, st.u_i[k]);
    }
    const char *pops[2] = {"E", "I"};
    float *c[2] = {re, ri};
    for (int q = 0; q < 2; q++) {
        double silent, dormant, fnorm;
        hand_diag(c[q], np, H, 1, &silent, &dormant, &fnorm);
        assert_true(fnorm > 0);
        assert_float_equal(lastf(doc, "diag_hidden_%s_silent", pops[q]), silent, 1e-12);
        assert_float_equal(lastf(doc, "diag_hidden_%s_dormant_0.1", pops[q]), dormant, 1e-12);
        assert_float_equal(lastf(doc, "diag_hidden_%s_feature_norm", pops[q]), fnorm, 1e-9 * fnorm);
        assert_int_equal((int)lastf(doc, "diag_hidden_%s_srank", pops[q]),
                         srank_of(c[q], np, H, 1));
    }
    for (int l = 0; l < 2; l++) {
        int rows, cols;
        double *bias, sq = 0;
        const double *w = sm_disinh_weights(net, l, &rows, &cols, &bias);
        for (int k = 0; k < rows * cols; k++)
            sq += w[k] * w[k];
        assert_float_equal(lastf(doc, "diag_W%s_weight_norm", l ? "2" : "1"), sqrt(sq),
                           1e-12 * sqrt(sq));
    }
    free(order), free(xb), free(idx), free(x), free(re), free(ri);
    sm_disinh_destroy(net);
    sm_train_data_free(&d);
    json_decref(doc);
}

/* ------------------------------------------------------------------ SG-SNN norms (spec 1.4, 1.5)
 */

static const char *const SG_SET[] = {"train.model=sgsnn", "data.dataset=synthetic:120",
                                     "data.n_train=32",   "data.n_val=20",
                                     "data.n_test=10",    "sgsnn.n_hidden=30",
                                     "sgsnn.steps=10",    "sgsnn.batch=32",
                                     "sgsnn.epochs=2",    "sgsnn.sleep_mode=none",
                                     "diag.n_probe=1000", "diag.grad_starved=1",
                                     "diag.iid=1",        NULL};

static double frob_hand(const float *a, const float *b, size_t n)
{
    double q = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)a[i] - (b ? b[i] : 0);
        q += d * d;
    }
    return sqrt(q);
}

static void keep_sg(void *ctx, struct sm_sgsnn *net)
{
    sm_sgsnn_layer v = sm_sgsnn_get_layer(net, 0);
    float **w = ctx;
    *w = malloc((size_t)v.rows * v.cols * sizeof(float));
    memcpy(*w, v.w, (size_t)v.rows * v.cols * sizeof(float));
}

/* One minibatch per epoch (n_train = batch), so an epoch is one gradient of the whole
 * training set and one Adam step, redone by hand on a fresh network of the same seed:
 * grad_norm_mean = grad_norm_max = ||dL/dW_l||_F of that gradient, update_norm = ||W after
 * - W before|| per epoch (the first against the initial weights), w_norm of the trained
 * network; the gradient-starved fraction from one gradient over the probe set (the whole
 * validation split, one minibatch) and the rows of its W1 part by hand. The order of the
 * images inside the minibatch differs (float sums): relative tolerance 1e-4. */
static void sgsnn_norms_match_a_hand_run(void **state)
{
    (void)state;
    sm_config cfg = config(SG_SET);
    float *w_final = NULL;
    sm_train_options opt;
    memset(&opt, 0, sizeof opt);
    opt.sgsnn_final_fn = keep_sg;
    opt.sgsnn_final_ctx = &w_final;
    json_t *doc = run(&cfg, &opt, NULL);
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    sm_sgsnn_params p;
    sm_train_sgsnn_params(&cfg, &d, &p);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    const char *layers[2] = {"hidden", "output"};
    float *prev[2];
    size_t nw[2];
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        nw[l] = (size_t)v.rows * v.cols;
        prev[l] = malloc(nw[l] * sizeof(float));
        memcpy(prev[l], v.w, nw[l] * sizeof(float));
    }
    for (int e = 0; e < 2; e++) {
        assert_int_equal(
            sm_sgsnn_backprop(net, d.train->pixels, d.train->labels, 32, NULL, NULL, NULL), SM_OK);
        double g[2];
        for (int l = 0; l < 2; l++) {
            sm_sgsnn_layer gv = sm_sgsnn_get_grad(net, l);
            g[l] = frob_hand(gv.w, NULL, nw[l]);
        }
        sm_sgsnn_adam_step(net);
        for (int l = 0; l < 2; l++) {
            char key[64];
            snprintf(key, sizeof key, "diag_%s_grad_norm_mean", layers[l]);
            const double gm = json_number_value(json_array_get(col(doc, key), e));
            snprintf(key, sizeof key, "diag_%s_grad_norm_max", layers[l]);
            const double gx = json_number_value(json_array_get(col(doc, key), e));
            assert_true(g[l] > 0);
            assert_float_equal(gm, g[l], 1e-4 * g[l]);
            assert_float_equal(gx, gm, 0);
            sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
            const double u = frob_hand(v.w, prev[l], nw[l]);
            snprintf(key, sizeof key, "diag_%s_update_norm", layers[l]);
            assert_float_equal(json_number_value(json_array_get(col(doc, key), e)), u, 1e-4 * u);
            snprintf(key, sizeof key, "diag_%s_w_norm", layers[l]);
            const double wn = frob_hand(v.w, NULL, nw[l]);
            assert_float_equal(json_number_value(json_array_get(col(doc, key), e)), wn, 1e-6 * wn);
            memcpy(prev[l], v.w, nw[l] * sizeof(float));
        }
    }
    /* the hand run is the run: the trained W1 agrees */
    const double wn = frob_hand(w_final, NULL, nw[0]);
    assert_float_equal(frob_hand(w_final, prev[0], nw[0]), 0, 1e-4 * wn);
    /* gradient-starved: the trained weights, the probe (= the validation split) at once */
    sm_sgsnn_layer v0 = sm_sgsnn_get_layer(net, 0);
    memcpy(v0.w, w_final, nw[0] * sizeof(float));
    assert_int_equal(
        sm_sgsnn_backprop(net, d.val->pixels, d.val->labels, d.val->n, NULL, NULL, NULL), SM_OK);
    sm_sgsnn_layer g0 = sm_sgsnn_get_grad(net, 0);
    double *rn = malloc((size_t)g0.rows * sizeof *rn), mean = 0;
    for (int i = 0; i < g0.rows; i++) {
        rn[i] = frob_hand(g0.w + (size_t)i * g0.cols, NULL, (size_t)g0.cols);
        mean += rn[i] / g0.rows;
    }
    int starved = 0, close = 0;
    for (int i = 0; i < g0.rows; i++) {
        starved += rn[i] <= 1e-3 * mean;
        close += fabs(rn[i] - 1e-3 * mean) < 1e-3 * 1e-3 * mean; /* too near to call */
    }
    assert_int_equal(close, 0);
    assert_float_equal(last(doc, "diag_hidden_grad_starved"), (double)starved / g0.rows, 1e-15);
    free(rn);
    for (int l = 0; l < 2; l++)
        free(prev[l]);
    free(w_final);
    sm_sgsnn_destroy(net);
    sm_train_data_free(&d);
    json_decref(doc);
}

/* ------------------------------------------------------------------ theta machine */

static const char *const THETA_SET[] = {"train.model=theta", "theta.task=latents",
                                        "theta.train_min=2", "diag.iid=1",
                                        "diag.probe_s=1",    NULL};

/* Copies every non-identity block's weights of layer s into layer d (built alike). */
static void copy_theta_weights(sm_theta_layer *d, const sm_theta_layer *s)
{
    for (int c = 0; c < 2; c++) {
        sm_theta_comp *dc = c ? &d->apical : &d->basal;
        const sm_theta_comp *sc = c ? &s->apical : &s->basal;
        for (int j = 0; j < sc->n_blocks; j++) {
            const sm_theta_block *b = &sc->blocks[j];
            if (b->identity) continue;
            for (size_t k = 0; k < (size_t)s->n * (b->n_src + b->bias); k++)
                dc->blocks[j].w[k] = b->w[k];
        }
    }
}

/* The protocol by hand (train_theta.c: a minute of inference and one of generation
 * without learning, then theta.train_min minutes of learning under the gate), then the
 * probe: a model built from the same parameters, given the trained weights, 40 steps
 * (1 s at dt 25 ms) in inference mode without noise or learning. The last row equals hand
 * loops over |r| of g's somata and of p's apical compartment (silent, dormant, feature
 * norm), srank of the signed rates, and ||W||_F of the three plastic blocks; the first
 * row's update norm is null, the saturated fraction null; timing.diag_s is recorded. */
static void theta_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = config(THETA_SET);
    json_t *doc = run(&cfg, NULL, NULL);
    assert_int_equal(json_array_size(col(doc, "diag_hidden_srank")), 2);
    assert_true(json_is_null(json_array_get(col(doc, "diag_hidden_saturated"), 1)));
    assert_true(
        json_is_null(json_array_get(col(doc, "diag_hidden_basal_from_sensory_update_norm"), 0)));
    assert_non_null(json_object_get(json_object_get(doc, "timing"), "diag_s"));
    sm_theta_latents_params par;
    sm_theta_latents_params_from_config(&par, &cfg);
    sm_theta_latents m, q;
    assert_int_equal(sm_theta_latents_init(&m, &par, NULL), SM_OK);
    const int per_min = 2400;
    for (int phase = 0; phase < 3; phase++) {
        m.gate.force = phase == 2 ? -1 : phase;
        for (int s = 0; s < (phase == 2 ? 2 : 1) * per_min; s++)
            sm_theta_latents_step(&m, phase == 2);
    }
    assert_int_equal(sm_theta_latents_init(&q, &par, NULL), SM_OK);
    copy_theta_weights(&q.p, &m.p);
    copy_theta_weights(&q.g, &m.g);
    q.gate.force = 0;
    q.noise.on = 0;
    const int T = 40, Hg = q.g.n, Hp = q.p.n;
    float *phi[2] = {malloc((size_t)T * Hg * sizeof(float)),
                     malloc((size_t)T * Hp * sizeof(float))};
    float *mag[2] = {malloc((size_t)T * Hg * sizeof(float)),
                     malloc((size_t)T * Hp * sizeof(float))};
    for (int t = 0; t < T; t++) {
        sm_theta_latents_step(&q, 0);
        for (int i = 0; i < Hg; i++)
            phi[0][t * Hg + i] = q.g.r[i], mag[0][t * Hg + i] = fabsf(q.g.r[i]);
        for (int i = 0; i < Hp; i++)
            phi[1][t * Hp + i] = q.p.apical.r[i], mag[1][t * Hp + i] = fabsf(q.p.apical.r[i]);
    }
    const char *pops[2] = {"hidden", "sensory_apical"};
    const int H[2] = {Hg, Hp};
    for (int k = 0; k < 2; k++) {
        double silent, dormant, fnorm;
        hand_diag(mag[k], T, H[k], 1, &silent, &dormant, &fnorm);
        assert_true(fnorm > 0);
        assert_float_equal(lastf(doc, "diag_%s_silent", pops[k]), silent, 1e-12);
        assert_float_equal(lastf(doc, "diag_%s_dormant_0.1", pops[k]), dormant, 1e-12);
        assert_float_equal(lastf(doc, "diag_%s_feature_norm", pops[k]), fnorm, 1e-9 * fnorm);
        const int sr = srank_of(phi[k], T, H[k], 1);
        assert_true(sr >= 2);
        assert_int_equal((int)lastf(doc, "diag_%s_srank", pops[k]), sr);
    }
    const struct {
        const char *name;
        const sm_theta_block *b;
        int n;
    } blocks[3] = {{"sensory_apical_from_hidden", &m.p.apical.blocks[0], Hp},
                   {"hidden_basal_from_sensory", &m.g.basal.blocks[0], Hg},
                   {"hidden_apical_from_hidden", &m.g.apical.blocks[0], Hg}};
    for (int k = 0; k < 3; k++) {
        double sq = 0;
        const sm_theta_block *b = blocks[k].b;
        for (size_t i = 0; i < (size_t)blocks[k].n * (b->n_src + b->bias); i++)
            sq += (double)b->w[i] * b->w[i];
        assert_float_equal(lastf(doc, "diag_%s_weight_norm", blocks[k].name), sqrt(sq),
                           1e-12 * sqrt(sq));
    }
    for (int k = 0; k < 2; k++)
        free(phi[k]), free(mag[k]);
    sm_theta_latents_free(&m);
    sm_theta_latents_free(&q);
    json_decref(doc);
}

/* ------------------------------------------------------------------ nothing else changes */

static void drop(json_t *doc)
{
    json_t *tab = json_object_get(doc, "evaluations");
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(tab, tmp, key, v)
    {
        if (!strncmp(key, "diag_", 5) || !strcmp(key, "wall_s") || !strcmp(key, "epoch_s") ||
            !strcmp(key, "samples_per_s") || !strcmp(key, "sleep_s") || !strcmp(key, "mask_s"))
            json_object_del(tab, key);
    }
}

/* Per model: diag.iid = 0 adds no diag_ column and no timing.diag_s; diag.iid = 1 leaves
 * every other evaluation column (timings aside) and `final` identical (theta's probe copy
 * must leave the training model alone; the SG-SNN with
 * diag.grad_starved too, whose BPTT pass over the probe set must leave the training alone). */
static void diag_changes_nothing_else(void **state)
{
    (void)state;
    const char *const *sets[] = {DC_SET, PPG_SET, DISINH_SET, SG_SET, THETA_SET};
    for (int m = 0; m < 5; m++) {
        sm_config on = config(sets[m]), off = on;
        off.diag.iid = 0;
        off.diag.grad_starved = 0;
        json_t *a = run(&off, NULL, NULL), *b = run(&on, NULL, NULL);
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(a, "evaluations"), key, v)
            assert_true(strncmp(key, "diag_", 5) != 0);
        assert_null(json_object_get(json_object_get(a, "timing"), "diag_s"));
        assert_non_null(json_object_get(json_object_get(b, "timing"), "diag_s"));
        drop(a);
        drop(b);
        assert_true(
            json_equal(json_object_get(a, "evaluations"), json_object_get(b, "evaluations")));
        assert_true(json_equal(json_object_get(a, "final"), json_object_get(b, "final")));
        json_decref(a);
        json_decref(b);
    }
}

/* diag.iid without validation images (dc, ppg, disinh): one error naming the key, no
 * document; diag.grad_starved with these models: one naming that key. */
static void diag_needs_validation_images(void **state)
{
    (void)state;
    const char *const *sets[] = {DC_SET, PPG_SET, DISINH_SET};
    for (int m = 0; m < 3; m++) {
        sm_config cfg = config(sets[m]);
        cfg.data.n_val = 0;
        sm_error err;
        assert_null(run(&cfg, NULL, &err));
        assert_non_null(strstr(err.msg, "diag.iid"));
        /* and the gradient-starved fraction needs gradients (the SG-SNN's) */
        cfg.data.n_val = 10;
        cfg.diag.grad_starved = 1;
        assert_null(run(&cfg, NULL, &err));
        assert_non_null(strstr(err.msg, "diag.grad_starved"));
    }
}

/* ------------------------------------------------------------------ how often */

/* The indices of the rows of column `name` that hold a number, as a bit mask. */
static unsigned computed_rows(json_t *doc, const char *name)
{
    json_t *c = col(doc, name);
    unsigned m = 0;
    for (size_t k = 0; k < json_array_size(c) && k < 32; k++)
        m |= json_is_number(json_array_get(c, k)) ? 1u << k : 0;
    return m;
}

/* dc: 48 training images in batches of 4 are 12 rows. By default every
 * ceil(20 x probe images / data.batch)-th row and the last are computed: 1 probe image ->
 * every 5th (rows 5, 10, 12), 2 -> every 10th (10, 12); diag.iid_every = 3 -> 3, 6, 9, 12.
 * Rows are 1-based here, bits 0-based. */
static void dc_diag_frequency(void **state)
{
    (void)state;
    const struct {
        const char *val, *every;
        unsigned rows;
    } cases[] = {{"data.n_val=1", "diag.iid_every=0", 1u << 4 | 1u << 9 | 1u << 11},
                 {"data.n_val=2", "diag.iid_every=0", 1u << 9 | 1u << 11},
                 {"data.n_val=2", "diag.iid_every=3", 1u << 2 | 1u << 5 | 1u << 8 | 1u << 11}};
    for (int k = 0; k < 3; k++) {
        sm_config cfg = config(DC_SET);
        const char *more[] = {"data.n_train=48",
                              "data.batch=4",
                              "dc.t_present=10",
                              "dc.t_rest=5",
                              cases[k].val,
                              cases[k].every,
                              NULL};
        for (int j = 0; more[j]; j++)
            assert_int_equal(sm_config_set_assignment(&cfg, more[j], "test", NULL), SM_OK);
        json_t *doc = run(&cfg, NULL, NULL);
        assert_int_equal(json_array_size(col(doc, "diag_E_srank")), 12);
        assert_int_equal(computed_rows(doc, "diag_E_srank"), cases[k].rows);
        assert_int_equal(computed_rows(doc, "diag_SE_weight_norm"), cases[k].rows);
        json_decref(doc);
    }
}

/* theta: 4 minute rows; by default every 3rd and the last (rows 3 and 4), each equal to
 * the same row of a run that computes every row (the probe copy leaves training alone);
 * rows 1 and 2 null. */
static void theta_diag_every_third_minute(void **state)
{
    (void)state;
    sm_config cfg = config(THETA_SET);
    cfg.theta.train_min = 4;
    json_t *dflt = run(&cfg, NULL, NULL);
    cfg.diag.iid_every = 1;
    json_t *all = run(&cfg, NULL, NULL);
    const char *names[] = {"diag_hidden_srank", "diag_hidden_feature_norm",
                           "diag_sensory_apical_silent",
                           "diag_hidden_basal_from_sensory_weight_norm", NULL};
    for (int j = 0; names[j]; j++) {
        assert_int_equal(computed_rows(dflt, names[j]), 1u << 2 | 1u << 3);
        assert_int_equal(computed_rows(all, names[j]), 0xfu);
        for (size_t r = 2; r < 4; r++)
            assert_true(json_equal(json_array_get(col(dflt, names[j]), r),
                                   json_array_get(col(all, names[j]), r)));
    }
    json_decref(dflt);
    json_decref(all);
}

/* ------------------------------------------------------------------ Hopfield federation */

static const char *const HF_SET[] = {"train.model=hopfield",
                                     "hopfield.N=64",
                                     "hopfield.K=2",
                                     "hopfield.L=2",
                                     "hopfield.T=6",
                                     "hopfield.M=40",
                                     "hopfield.recall_reps=3",
                                     "hopfield.recall_m0=0.1",
                                     "diag.iid=1",
                                     "diag.iid_every=2",
                                     NULL};

/* Every round's operators, copied by an observer of the test's own. */
typedef struct hf_seen {
    int N, L;
    double *Js; /* T x N x N */
    double *Jc; /* T x L x N x N */
} hf_seen;

static sm_status see_client(void *ctx, int t, int c, const double *Jc, int N, sm_error *err)
{
    (void)err;
    hf_seen *h = ctx;
    memcpy(h->Jc + ((size_t)t * h->L + c) * N * N, Jc, (size_t)N * N * sizeof *Jc);
    return SM_OK;
}

static sm_status see_round(void *ctx, int t, const double *Js, const double *lam, const double *xi,
                           int K, int N, sm_error *err)
{
    (void)lam, (void)xi, (void)K, (void)err;
    hf_seen *h = ctx;
    memcpy(h->Js + (size_t)t * N * N, Js, (size_t)N * N * sizeof *Js);
    return SM_OK;
}

static double fro_diff(const double *a, const double *b, size_t n)
{
    double q = 0;
    for (size_t k = 0; k < n; k++) {
        const double d = a[k] - (b ? b[k] : 0);
        q += d * d;
    }
    return sqrt(q);
}

static double row_num(json_t *doc, const char *name, size_t r)
{
    return json_number_value(json_array_get(col(doc, name), r));
}

/* srank (delta 0.01) and erank by hand from singular values s (descending). */
static void ranks_by_hand(const double *s, int r, int *srank, double *erank)
{
    double total = 0, cum = 0, h = 0;
    for (int k = 0; k < r; k++)
        total += s[k];
    *srank = 0;
    for (int k = 0; k < r && cum < 0.99 * total; k++) {
        cum += s[k];
        *srank = k + 1;
    }
    for (int k = 0; k < r; k++)
        if (s[k] > 0) h -= s[k] / total * log(s[k] / total);
    *erank = exp(h);
}

/* Rounds 0, 2, 4 and 5 are computed (every 2nd and the last), 1 and 3 null. At round 5:
 * the server's and each client's ||J||_F, the update since round 4 and its ratio, from the
 * operators an observer of the test's own copied; srank / erank of J_s from LAPACKE's SVD
 * (not the model's eigenvalues); the probe by hand: the cues drawn as specified (archetype
 * mu's stream, cues mu, mu + K, ...), relaxed by plain loops s_i <- sgn(sum_j J_ij s_j)
 * until nothing changes, read as (1 + s) / 2: silent, dormant 0.1, saturated, feature
 * norm and srank by hand loops, and the exported probe_counts_units equal to them. The
 * federation's results are those of a run without diag.iid. */
static void hopfield_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = config(HF_SET);
    arrays g = {0};
    sm_train_options opt;
    memset(&opt, 0, sizeof opt);
    opt.array_fn = keep_array;
    opt.array_ctx = &g;
    json_t *doc = run(&cfg, &opt, NULL);
    const unsigned due = 1u | 1u << 2 | 1u << 4 | 1u << 5;
    assert_int_equal(computed_rows(doc, "diag_units_srank"), due);
    assert_int_equal(computed_rows(doc, "diag_client1_weight_norm"), due);
    assert_int_equal(computed_rows(doc, "diag_server_update_norm"), due & ~1u);
    assert_non_null(json_object_get(json_object_get(doc, "timing"), "diag_s"));
    const int N = 64, K = 2, L = 2, T = 6, n = K * 3;
    const size_t n2 = (size_t)N * N;
    hf_seen h = {N, L, malloc(T * n2 * sizeof(double)), malloc(T * L * n2 * sizeof(double))};
    const sm_hf_observer obs = {&h, see_client, see_round};
    sm_hf_result *res = NULL;
    assert_int_equal(sm_hf_run_observed(&cfg, (uint64_t)cfg.run.seed, &obs, &res, NULL), SM_OK);
    const double *J4 = h.Js + 5 * n2, *J2 = h.Js + 4 * n2; /* rounds 5 and 4 */
    assert_float_equal(row_num(doc, "diag_server_weight_norm", 5), fro_diff(J4, NULL, n2), 1e-12);
    assert_float_equal(row_num(doc, "diag_server_update_norm", 5), fro_diff(J4, J2, n2), 1e-12);
    assert_float_equal(row_num(doc, "diag_server_update_ratio", 5),
                       fro_diff(J4, J2, n2) / fro_diff(J2, NULL, n2), 1e-12);
    for (int c = 0; c < L; c++) {
        const double *a = h.Jc + ((size_t)5 * L + c) * n2, *b = h.Jc + ((size_t)4 * L + c) * n2;
        char name[48];
        snprintf(name, sizeof name, "diag_client%d_update_norm", c);
        assert_true(fro_diff(a, b, n2) > 0);
        assert_float_equal(row_num(doc, name, 5), fro_diff(a, b, n2), 1e-12);
    }
    /* the server's ranks from an SVD of J_s(5) */
    double *A = malloc(n2 * sizeof *A), *s = malloc((size_t)N * sizeof *s);
    double *sup = malloc((size_t)N * sizeof *sup);
    memcpy(A, J4, n2 * sizeof *A);
    assert_int_equal(
        LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', N, N, A, N, s, NULL, 1, NULL, 1, sup), 0);
    int sr;
    double er;
    ranks_by_hand(s, N, &sr, &er);
    assert_true(sr > K);
    assert_int_equal((int)row_num(doc, "diag_server_srank", 5), sr);
    assert_float_equal(row_num(doc, "diag_server_erank", 5), er, 1e-9 * er);
    /* the probe by hand */
    double *S = malloc((size_t)n * N * sizeof *S), *S2 = malloc((size_t)N * sizeof *S2);
    for (int mu = 0; mu < K; mu++) {
        sm_rng rng;
        sm_rng_init(&rng, (uint64_t)cfg.run.seed, SM_STREAM_HOPFIELD,
                    sm_hf_rng_index(SM_HF_RNG_DIAG_PROBE, 0, mu));
        for (int a = mu; a < n; a += K)
            for (int i = 0; i < N; i++) {
                const double x = res->xi_true[(size_t)mu * N + i];
                S[(size_t)a * N + i] = sm_rng_uniform(&rng) < 0.5 * (1 + 0.1) ? x : -x;
            }
    }
    for (int step = 0, changed = 1; step < 30 && changed; step++) {
        changed = 0;
        for (int a = 0; a < n; a++) {
            double *x = S + (size_t)a * N;
            for (int i = 0; i < N; i++) {
                double f = 0;
                for (int j = 0; j < N; j++)
                    f += J4[(size_t)i * N + j] * x[j];
                S2[i] = f >= 0 ? 1 : -1;
            }
            for (int i = 0; i < N; i++) {
                changed |= S2[i] != x[i];
                x[i] = S2[i];
            }
        }
    }
    float *cnt = malloc((size_t)n * N * sizeof *cnt);
    for (size_t k = 0; k < (size_t)n * N; k++)
        cnt[k] = (float)((1 + S[k]) / 2);
    double silent, dormant, fnorm;
    hand_diag(cnt, n, N, 1, &silent, &dormant, &fnorm);
    int sat = 0;
    for (int i = 0; i < N; i++) {
        double m = 0;
        for (int a = 0; a < n; a++)
            m += cnt[(size_t)a * N + i] / n;
        sat += m >= 0.95;
    }
    assert_true(fnorm > 0 && srank_of(cnt, n, N, 1) >= K); /* cues weak enough (m0 0.1) to
                                                              end in more than two states */
    assert_float_equal(row_num(doc, "diag_units_silent", 5), silent, 1e-12);
    assert_float_equal(row_num(doc, "diag_units_dormant_0.1", 5), dormant, 1e-12);
    assert_float_equal(row_num(doc, "diag_units_saturated", 5), (double)sat / N, 1e-12);
    assert_float_equal(row_num(doc, "diag_units_feature_norm", 5), fnorm, 1e-9 * fnorm);
    assert_int_equal((int)row_num(doc, "diag_units_srank", 5), srank_of(cnt, n, N, 1));
    const int k = find(&g, "probe_counts_units");
    assert_true(g.rows[k] == (size_t)n && g.cols[k] == (size_t)N);
    assert_memory_equal(g.data[k], cnt, (size_t)n * N * sizeof(float));
    /* and the federation is the one a run without diag.iid has */
    cfg.diag.iid = 0;
    json_t *off = run(&cfg, NULL, NULL);
    assert_null(json_object_get(off, "evaluations"));
    json_t *ra = json_object_get(doc, "results"), *rb = json_object_get(off, "results");
    json_object_del(ra, "timings");
    json_object_del(rb, "timings");
    assert_true(json_equal(ra, rb));
    free(A), free(s), free(sup), free(S), free(S2), free(cnt), free(h.Js), free(h.Jc);
    sm_hf_result_destroy(res);
    arrays_free(&g);
    json_decref(doc);
    json_decref(off);
}

/* The Hopfield probe is hopfield.recall_reps cues per archetype: none is refused by name;
 * diag.iid_every is for the models whose rows are not evaluations, refused by name for
 * the others; the continual protocol refuses diag.iid by name. */
static void diag_refusals_by_name(void **state)
{
    (void)state;
    sm_config cfg = config(HF_SET);
    cfg.hopfield.recall_reps = 0;
    tu_expect_train_refused(&cfg, "hopfield.recall_reps");
    sm_config p = config(PPG_SET);
    p.diag.iid_every = 2;
    tu_expect_train_refused(&p, "diag.iid_every");
    /* and the continual protocol, which computes no diagnostics, refuses diag.iid */
    sm_config c = config(SG_SET);
    c.protocol.kind = SM_PROTOCOL_CONTINUAL;
    sm_train_data none;
    memset(&none, 0, sizeof none);
    json_t *doc = NULL;
    sm_error err;
    assert_int_equal(sm_train_run(&c, &none, NULL, NULL, &doc, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "diag.iid"));
    assert_null(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tensor_columns_by_hand),
        cmocka_unit_test(dc_diag_matches_a_recomputation),
        cmocka_unit_test(ppg_diag_matches_a_recomputation),
        cmocka_unit_test(disinh_diag_matches_a_recomputation),
        cmocka_unit_test(sgsnn_norms_match_a_hand_run),
        cmocka_unit_test(diag_changes_nothing_else),
        cmocka_unit_test(diag_needs_validation_images),
        cmocka_unit_test(theta_diag_matches_a_recomputation),
        cmocka_unit_test(dc_diag_frequency),
        cmocka_unit_test(theta_diag_every_third_minute),
        cmocka_unit_test(hopfield_diag_matches_a_recomputation),
        cmocka_unit_test(diag_refusals_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
