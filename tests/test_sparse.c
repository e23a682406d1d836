/* Tests of sparse training (spec structural.md sections 2-3; plasticity/sparse_schedule.c
 * and models/sgsnn_sparse.c).
 *
 * The schedule, the regrowth fraction and the ERK densities are checked against the
 * spec's formulas evaluated by hand at chosen points. The selections (prune, drop,
 * regrow) are checked against an independent O(n^2) rank count written here. The mask
 * updates of the SG-SNN are driven directly (sgsnn_sparse_after_step at a chosen Adam
 * step t) on a tiny 4-5-3 network whose weights, gradients and Adam moments the test
 * sets by hand, so that every kept, dropped and regrown entry is known in advance.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/sgsnn_internal.h"
#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/plasticity/sparse_schedule.h"

/* ------------------------------------------------------------ pure arithmetic */

/* s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dT))^3, evaluated by hand (D = 1 - s). */
static void cubic_schedule_matches_hand_values(void **state)
{
    (void)state;
    /* D_i = 1, D_f = 0.1, t0 = 0, t_end = 1000, dT = 100: n = 10; t = 100: 0.9^3 = 0.729,
     * D = 1 - 0.9 (1 - 0.729) = 0.7561 */
    assert_float_near(sm_sparse_target_density(1, 0.1, 100, 0, 1000, 100), 0.7561, 1e-12);
    /* t = 300: (1 - 0.3)^3 = 0.343, s = 0.9 + (0 - 0.9) 0.343 = 0.5913, D = 0.4087 */
    assert_float_near(sm_sparse_target_density(1, 0.1, 300, 0, 1000, 100), 0.4087, 1e-12);
    /* held between updates: t = 350 is still k = 3 */
    assert_float_near(sm_sparse_target_density(1, 0.1, 350, 0, 1000, 100), 0.4087, 1e-12);
    /* t = 500: 0.5^3 = 0.125, D = 1 - 0.9 x 0.875 = 0.2125 */
    assert_float_near(sm_sparse_target_density(1, 0.1, 500, 0, 1000, 100), 0.2125, 1e-12);
    /* t_end and after: exactly D_f */
    assert_float_near(sm_sparse_target_density(1, 0.1, 1000, 0, 1000, 100), 0.1, 1e-15);
    assert_float_near(sm_sparse_target_density(1, 0.1, 1700, 0, 1000, 100), 0.1, 1e-15);
    /* t0 = 200 (k0 = 2, n = 8), t = 500: p = 3/8, (5/8)^3 = 0.244140625,
     * D = 1 - 0.9 x 0.755859375 = 0.3197265625; before t0 D stays D_i */
    assert_float_near(sm_sparse_target_density(1, 0.1, 500, 200, 1000, 100), 0.3197265625, 1e-12);
    assert_float_near(sm_sparse_target_density(1, 0.1, 100, 200, 1000, 100), 1.0, 1e-15);
    /* sparse start s_i = 0.5, s_f = 0.98, t = 200 of n = 10: (0.8)^3 = 0.512,
     * s = 0.98 - 0.48 x 0.512 = 0.73424, D = 0.26576 */
    assert_float_near(sm_sparse_target_density(0.5, 0.02, 200, 0, 1000, 100), 0.26576, 1e-12);

    /* updates due at t0 <= t, t mod dT = 0, k0 <= k <= k1 (the last one included) */
    assert_int_equal(sm_sparse_prune_due(100, 0, 1000, 100), 1);
    assert_int_equal(sm_sparse_prune_due(150, 0, 1000, 100), 0);
    assert_int_equal(sm_sparse_prune_due(1000, 0, 1000, 100), 1);
    assert_int_equal(sm_sparse_prune_due(1100, 0, 1000, 100), 0);
    assert_int_equal(sm_sparse_prune_due(100, 200, 1000, 100), 0);
    assert_int_equal(sm_sparse_prune_due(200, 200, 1000, 100), 1);
}

/* r_t = r_min + (r_0 - r_min)(1 + cos(pi t / T)) / 2 with r_0 = 0.5, r_min = 0.005. */
static void cosine_regrowth_fraction_matches_hand_values(void **state)
{
    (void)state;
    assert_float_near(sm_sparse_regrow_rate(0.5, 0.005, 0, 1000), 0.5, 1e-15);
    /* cos(pi/2) = 0: 0.005 + 0.495 / 2 */
    assert_float_near(sm_sparse_regrow_rate(0.5, 0.005, 500, 1000), 0.2525, 1e-12);
    /* cos(pi/4) = 0.70710678118654752: 0.005 + 0.495 x 1.70710678118654752 / 2 */
    assert_float_near(sm_sparse_regrow_rate(0.5, 0.005, 250, 1000), 0.42750892834367, 1e-12);
    /* cos(3 pi/4) = -0.70710678118654752: 0.005 + 0.495 x 0.29289321881345248 / 2 */
    assert_float_near(sm_sparse_regrow_rate(0.5, 0.005, 750, 1000), 0.07749107165633, 1e-12);
    assert_float_near(sm_sparse_regrow_rate(0.5, 0.005, 1000, 1000), 0.005, 1e-15);
}

/* LeNet-300-100 (784-300-100-10) at d = 0.1. raw (r + c)/(r c): eps = 0.1 x 266200 / (1084
 * + 400 + 110) = 16.70 makes the 10 x 100 layer 1.837 > 1, so it is fixed at 1 and
 * eps = (26620 - 1000) / (1084 + 400) = 17.2641509...; then layer 1 = eps 1084 / 235200,
 * layer 2 = eps 400 / 30000, both < 1. */
static void erk_densities_match_hand_computation(void **state)
{
    (void)state;
    const int rows[3] = {300, 100, 10}, cols[3] = {784, 300, 100};
    double d[3];
    sm_sparse_erk_densities(3, rows, cols, 0.1, d);
    const double eps = 25620.0 / 1484.0;
    assert_float_near(d[0], eps * 1084.0 / 235200.0, 1e-12); /* 0.0795678... */
    assert_float_near(d[1], eps * 400.0 / 30000.0, 1e-12);   /* 0.2301886... */
    assert_float_near(d[2], 1.0, 0);
    assert_float_near(d[0], 0.07956777, 1e-8);
    assert_float_near(d[1], 0.23018868, 1e-8);
    /* the overall density is the target */
    assert_float_near(d[0] * 235200 + d[1] * 30000 + d[2] * 1000, 26620.0, 1e-6);
    /* two equal square layers get the same density, equal to d */
    const int r2[2] = {50, 50}, c2[2] = {50, 50};
    double e[2];
    sm_sparse_erk_densities(2, r2, c2, 0.3, e);
    assert_float_near(e[0], 0.3, 1e-12);
    assert_float_near(e[1], 0.3, 1e-12);
}

/* 1 if entry i of a ranks above entry j: larger key, ties to the lower index. */
static int ranks_above(const float *a, size_t j, size_t i)
{
    float x = fabsf(a[j]), y = fabsf(a[i]);
    return x > y || (x == y && j < i);
}

/* Top-K among the active entries, ties to the lower flat index, and active zeros are kept
 * (ranked last) when there are fewer than K nonzero: the exactness fix. */
static void keep_topk_keeps_exactly_k_largest_active(void **state)
{
    (void)state;
    /* two blocks, one flat index: block 0 = flat 0..5, block 1 = flat 6..9 */
    float w0[6] = {0.5f, -0.1f, 0.0f, 0.3f, -0.3f, 9.0f};
    float w1[4] = {0.0f, 0.2f, -0.5f, 0.05f};
    uint8_t m0[6] = {1, 1, 1, 1, 1, 0}; /* 9.0 is inactive: never a candidate */
    uint8_t m1[4] = {1, 1, 1, 1};
    float *w[2] = {w0, w1};
    uint8_t *m[2] = {m0, m1};
    size_t len[2] = {6, 4};
    /* K = 3: |0.5| (flat 0), |-0.5| (flat 8), then the tie 0.3 / -0.3 goes to flat 3 */
    assert_int_equal(sm_sparse_keep_topk(2, w, m, len, 3), 3);
    const uint8_t want0[6] = {1, 0, 0, 1, 0, 0}, want1[4] = {0, 0, 1, 0};
    assert_memory_equal(m0, want0, 6);
    assert_memory_equal(m1, want1, 4);

    /* only 2 nonzero among 4 active: K = 3 keeps both and the active zero of lowest index */
    float v0[3] = {0.0f, 0.7f, 0.0f}, v1[2] = {0.0f, -0.2f};
    uint8_t n0[3] = {1, 1, 1}, n1[2] = {0, 1};
    float *v[2] = {v0, v1};
    uint8_t *n[2] = {n0, n1};
    size_t len2[2] = {3, 2};
    assert_int_equal(sm_sparse_keep_topk(2, v, n, len2, 3), 3);
    const uint8_t wa[3] = {1, 1, 0}, wb[2] = {0, 1};
    assert_memory_equal(n0, wa, 3);
    assert_memory_equal(n1, wb, 2);
    /* K above the active count keeps all the active ones, no inactive one */
    uint8_t p0[3] = {1, 0, 1}, p1[2] = {0, 0};
    n[0] = p0;
    n[1] = p1;
    assert_int_equal(sm_sparse_keep_topk(2, v, n, len2, 5), 2);
    assert_int_equal(p0[1], 0);
}

/* Drop the k smallest active (ties: higher index first), grow the k largest inactive
 * score (ties: lower index), grow exactly k at random among the inactive. */
static void drop_and_grow_select_by_hand(void **state)
{
    (void)state;
    const float w[8] = {0.4f, -0.1f, 0.1f, 0.0f, 0.9f, -0.2f, 0.1f, 0.3f};
    uint8_t mask[8] = {1, 1, 1, 0, 1, 1, 1, 1}, dropped[8] = {0};
    /* active |w|: 0.4 0.1 0.1 - 0.9 0.2 0.1 0.3; the 3 smallest are the three 0.1s */
    assert_int_equal(sm_sparse_drop_smallest(w, mask, dropped, 8, 2), 2);
    /* of the three tied 0.1s (flat 1, 2, 6) the higher indices go first: 6, then 2 */
    const uint8_t want_m[8] = {1, 1, 0, 0, 1, 1, 0, 1}, want_d[8] = {0, 0, 1, 0, 0, 0, 1, 0};
    assert_memory_equal(mask, want_m, 8);
    assert_memory_equal(dropped, want_d, 8);

    const float score[8] = {5, 5, 2, 3, 5, 5, 3, 5};
    uint8_t grown[8] = {0};
    /* inactive: flat 2 (2), 3 (3), 6 (3): the 2 largest are the tie 3/3 */
    assert_int_equal(sm_sparse_grow_topk(score, mask, grown, 8, 2), 2);
    const uint8_t want_g[8] = {0, 0, 0, 1, 0, 0, 1, 0};
    assert_memory_equal(grown, want_g, 8);
    assert_int_equal(mask[2], 0);

    uint8_t big[1000], g2[1000];
    memset(big, 0, sizeof big);
    memset(g2, 0, sizeof g2);
    for (int i = 0; i < 1000; i += 2)
        big[i] = 1; /* 500 active */
    assert_int_equal(sm_sparse_grow_random(9, SM_STREAM_USER, 0, big, g2, 1000, 123), 123);
    long on = 0, grown_active = 0;
    for (int i = 0; i < 1000; i++) {
        on += big[i];
        if (g2[i] && i % 2 == 0) grown_active++;
    }
    assert_int_equal(on, 623);
    assert_int_equal(grown_active, 0);
}

/* ------------------------------------------------------------ the SG-SNN's masks */

/* 4 -> 5 -> 3 (weights 20 + 15 = 35), 2 epochs of 10 iterations (the test sets them),
 * updates every 5 iterations, pruning over epoch 0..1. */
static sm_sgsnn_params tiny_sparse(int method, int scope, double d_i, double d_f)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = 4;
    p.n_hidden = 5;
    p.n_out = 3;
    p.steps = 6;
    p.batch_size = 8;
    p.epochs = 2;
    p.seed = 7;
    p.threads = 1;
    sm_sparse_params_default(&p.sparse, p.epochs);
    p.sparse.method = method;
    p.sparse.scope = scope;
    p.sparse.init = SM_SPARSE_UNIFORM;
    p.sparse.init_density = d_i;
    p.sparse.final_density = d_f;
    p.sparse.start_epoch = 0;
    p.sparse.end_epoch = 1;
    p.sparse.interval = 5;
    return p;
}

/* Flat weights of the tiny net (layer 0 then layer 1) into / out of a 35-array. */
static void get_flat(sm_sgsnn *net, int which, float *out)
{
    for (int l = 0, k = 0; l < 2; l++) {
        sm_sgsnn_layer v = which < 0   ? sm_sgsnn_get_layer(net, l)
                           : which < 2 ? sm_sgsnn_get_moment(net, l, which)
                                       : sm_sgsnn_get_grad(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            out[k++] = v.w[i];
    }
}

static void set_flat(sm_sgsnn *net, int which, const float *in)
{
    for (int l = 0, k = 0; l < 2; l++) {
        sm_sgsnn_layer v = which < 0   ? sm_sgsnn_get_layer(net, l)
                           : which < 2 ? sm_sgsnn_get_moment(net, l, which)
                                       : sm_sgsnn_get_grad(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            v.w[i] = in[k++];
    }
}

static void get_mask(sm_sgsnn *net, uint8_t *out)
{
    memcpy(out, sm_sgsnn_get_mask(net, 0), 20);
    memcpy(out + 20, sm_sgsnn_get_mask(net, 1), 15);
}

/* Runs the mask update due after Adam step t. */
static void update_at(sm_sgsnn *net, long t)
{
    net->adam_t = t;
    net->sp->iters_per_epoch = 10;
    int did = 0;
    sm_error err;
    assert_int_equal(sgsnn_sparse_after_step(net, &did, &err), SM_OK);
    assert_int_equal(did, 1);
}

/* Distinct magnitudes, mixed signs: |w| of flat i is a permutation of 0.01 .. 0.35;
 * layer 1 (flat 20..34) holds the larger ones when `layer1_big`. */
static void hand_weights(float *w, int layer1_big)
{
    for (int i = 0; i < 35; i++) {
        int r = (i * 11) % 35; /* 11 is coprime to 35: a permutation */
        if (layer1_big) r = i < 20 ? (i * 7) % 20 : 20 + ((i - 20) * 4) % 15;
        w[i] = (float)(r + 1) * 0.01f * (i % 3 ? 1.0f : -1.0f);
    }
}

/* Exactly the K largest active |w| kept after a global pruning step; pruned entries get
 * w = m = v = 0 and the kept ones keep w, m, v bit for bit; masked weights and moments
 * stay exactly 0 through later Adam steps. */
static void prune_step_removes_smallest_and_zeroes_adam_state(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_sparse(SM_SPARSE_GMP, SM_SPARSE_GLOBAL, 1.0, 0.2);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    float w[35], m[35], v[35], g[35], w2[35], m2[35], v2[35];
    hand_weights(w, 0);
    for (int i = 0; i < 35; i++) {
        m[i] = 0.001f * (float)(i + 1);
        v[i] = 0.0001f * (float)(i + 2);
        g[i] = (i % 2 ? 0.5f : -0.25f) * (float)(i + 1);
    }
    set_flat(net, -1, w);
    set_flat(net, 0, m);
    set_flat(net, 1, v);
    /* t = 5 of t_end = 10, dT = 5: p = 1/2, D = 1 - 0.8 (1 - 1/8) = 0.3, K = floor(10.5) */
    update_at(net, 5);
    uint8_t mask[35];
    get_mask(net, mask);
    get_flat(net, -1, w2);
    get_flat(net, 0, m2);
    get_flat(net, 1, v2);
    int kept = 0;
    for (int i = 0; i < 35; i++) {
        int rank = 0;
        for (int j = 0; j < 35; j++)
            rank += ranks_above(w, (size_t)j, (size_t)i);
        assert_int_equal(mask[i], rank < 10);
        kept += mask[i];
        if (mask[i]) {
            assert_true(w2[i] == w[i] && m2[i] == m[i] && v2[i] == v[i]);
        } else {
            assert_true(w2[i] == 0.0f && m2[i] == 0.0f && v2[i] == 0.0f);
        }
    }
    assert_int_equal(kept, 10);
    int n_ev = 0;
    const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n_ev);
    assert_int_equal(n_ev, 1);
    assert_int_equal(ev[0].pruned, 25);
    assert_int_equal(ev[0].regrown, 0);
    assert_float_near(ev[0].target_sparsity, 0.7, 1e-12);
    assert_float_near(ev[0].sparsity, 1.0 - 10.0 / 35.0, 1e-15);

    /* Adam steps with a dense nonzero gradient: masked entries stay exactly 0 */
    for (int s = 0; s < 3; s++) {
        set_flat(net, 2, g);
        sm_sgsnn_adam_step(net);
    }
    get_flat(net, -1, w2);
    get_flat(net, 0, m2);
    get_flat(net, 1, v2);
    for (int i = 0; i < 35; i++)
        if (!mask[i])
            assert_true(w2[i] == 0.0f && m2[i] == 0.0f && v2[i] == 0.0f);
        else
            assert_true(w2[i] != w[i] && m2[i] != m[i]);
    sm_sgsnn_destroy(net);
}

/* The exactness bug: entries regrown at w = 0 whose gradient stayed 0 are active zeros;
 * the pruning step must still keep K = floor(N D_t) entries (before the fix it kept only
 * the nonzero ones, 5 here instead of 7: sparsity 0.857 for a target of 0.8). */
static void pruning_keeps_active_zeros_so_density_is_exact(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_sparse(SM_SPARSE_GMP, SM_SPARSE_GLOBAL, 1.0, 0.2);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    float w[35];
    hand_weights(w, 0);
    set_flat(net, -1, w);
    update_at(net, 5); /* 10 kept */
    uint8_t mask[35];
    get_mask(net, mask);
    /* zero 5 of the 10 active weights (the 5 of lowest flat index) */
    get_flat(net, -1, w);
    int zeroed = 0;
    for (int i = 0; i < 35 && zeroed < 5; i++)
        if (mask[i]) {
            w[i] = 0.0f;
            zeroed++;
        }
    set_flat(net, -1, w);
    update_at(net, 10); /* t_end: D = D_f = 0.2, K = 7 */
    uint8_t after[35];
    get_mask(net, after);
    int kept = 0, kept_zero = 0;
    for (int i = 0; i < 35; i++) {
        kept += after[i];
        if (after[i] && w[i] == 0.0f) kept_zero++;
        if (!mask[i]) assert_int_equal(after[i], 0); /* nothing inactive comes back */
        if (mask[i] && w[i] != 0.0f) assert_int_equal(after[i], 1);
    }
    assert_int_equal(kept, 7);
    assert_int_equal(kept_zero, 2);
    int n_ev = 0;
    const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n_ev);
    assert_int_equal(n_ev, 2);
    assert_float_near(ev[1].sparsity, ev[1].target_sparsity, 1.0 / 35.0);
    assert_float_near(ev[1].sparsity, 0.8, 1e-12);
    sm_sgsnn_destroy(net);
}

/* Global: one top-K over both layers (layer 1 holds the 15 largest |w|, so all 10 kept
 * are there). Layer: floor(N_l D) per layer, 6 of 20 and 4 of 15. */
static void global_and_layer_scope_counts(void **state)
{
    (void)state;
    float w[35];
    hand_weights(w, 1);
    for (int scope = 0; scope < 2; scope++) {
        sm_sgsnn_params p = tiny_sparse(SM_SPARSE_GMP, scope, 1.0, 0.2);
        sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
        set_flat(net, -1, w);
        update_at(net, 5);
        int n_ev = 0;
        const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n_ev);
        assert_int_equal(n_ev, 1);
        assert_int_equal(ev[0].nnz[0], scope == SM_SPARSE_GLOBAL ? 0 : 6);
        assert_int_equal(ev[0].nnz[1], scope == SM_SPARSE_GLOBAL ? 10 : 4);
        /* in layer scope the kept ones are the per-layer top: layer 1 keeps its 4 largest */
        uint8_t mask[35];
        get_mask(net, mask);
        for (int i = 20; i < 35; i++) {
            int rank = 0;
            for (int j = 20; j < 35; j++)
                rank += ranks_above(w, (size_t)j, (size_t)i);
            assert_int_equal(mask[i], rank < (scope == SM_SPARSE_GLOBAL ? 10 : 4));
        }
        sm_sgsnn_destroy(net);
    }
}

/* Prune-and-regrow (rigl, no schedule): per layer k = ceil(r_t nnz_l), the k smallest
 * active |w| dropped, the k largest |g| among the inactive (dropped ones included)
 * grown; new entries start at w = m = v = 0, an entry dropped and regrown keeps its w,
 * m, v; nnz per layer unchanged. */
static void regrowth_by_gradient_matches_hand_selection(void **state)
{
    (void)state;
    sm_sgsnn_params p = tiny_sparse(SM_SPARSE_RIGL, SM_SPARSE_GLOBAL, 1.0, 0.5);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    uint8_t mask[35];
    get_mask(net, mask);
    int nnz0 = 0, nnz1 = 0;
    for (int i = 0; i < 35; i++) {
        if (i < 20)
            nnz0 += mask[i];
        else
            nnz1 += mask[i];
    }
    assert_int_equal(nnz0, 10); /* floor(20 x 0.5) */
    assert_int_equal(nnz1, 7);  /* floor(15 x 0.5) */
    float w[35], m[35], v[35], g[35];
    hand_weights(w, 0);
    sm_rng r;
    sm_rng_init(&r, 5, SM_STREAM_USER, 0);
    for (int i = 0; i < 35; i++) {
        g[i] = (float)sm_rng_uniform(&r) - 0.5f;
        m[i] = mask[i] ? 0.01f * (float)(i + 1) : 0.0f;
        v[i] = mask[i] ? 0.001f * (float)(i + 1) : 0.0f;
        if (!mask[i]) w[i] = 0.0f;
    }
    /* the smallest active |w| of layer 0 gets the largest |g| of all: dropped, regrown */
    int smallest = -1;
    for (int i = 0; i < 20; i++)
        if (mask[i] && (smallest < 0 || fabsf(w[i]) < fabsf(w[smallest]))) smallest = i;
    g[smallest] = 10.0f;
    set_flat(net, -1, w);
    set_flat(net, 0, m);
    set_flat(net, 1, v);
    set_flat(net, 2, g);
    update_at(net, 5);        /* T = 20: r = 0.005 + 0.495 (1 + cos(pi/4)) / 2 = 0.4275089 */
    const long k[2] = {5, 3}; /* ceil(0.4275 x 10) = 5, ceil(0.4275 x 7) = ceil(2.99) = 3 */
    uint8_t after[35];
    float w2[35], m2[35], v2[35];
    get_mask(net, after);
    get_flat(net, -1, w2);
    get_flat(net, 0, m2);
    get_flat(net, 1, v2);
    for (int l = 0; l < 2; l++) {
        const int lo = l ? 20 : 0, hi = l ? 35 : 20;
        uint8_t drop[35] = {0};
        for (int i = lo; i < hi; i++) { /* dropped: rank among active from the bottom < k */
            if (!mask[i]) continue;
            int below = 0;
            for (int j = lo; j < hi; j++)
                if (mask[j] && j != i &&
                    (fabsf(w[j]) < fabsf(w[i]) || (fabsf(w[j]) == fabsf(w[i]) && j > i)))
                    below++;
            drop[i] = below < k[l];
        }
        int nnz = 0;
        for (int i = lo; i < hi; i++) {
            if (mask[i] && !drop[i]) {
                assert_int_equal(after[i], 1); /* survivors untouched */
                assert_true(w2[i] == w[i] && m2[i] == m[i] && v2[i] == v[i]);
            }
            if (!mask[i] || drop[i]) { /* candidate for regrowth */
                int above = 0;
                for (int j = lo; j < hi; j++)
                    if ((!mask[j] || drop[j]) && ranks_above(g, (size_t)j, (size_t)i)) above++;
                assert_int_equal(after[i], above < k[l]);
            }
            if (after[i] && !mask[i]) /* new: zero-cost */
                assert_true(w2[i] == 0.0f && m2[i] == 0.0f && v2[i] == 0.0f);
            if (after[i] && drop[i]) /* dropped and regrown: kept as it was */
                assert_true(w2[i] == w[i] && m2[i] == m[i] && v2[i] == v[i]);
            if (!after[i]) assert_true(w2[i] == 0.0f && m2[i] == 0.0f && v2[i] == 0.0f);
            nnz += after[i];
        }
        assert_int_equal(nnz, l ? 7 : 10);
    }
    assert_int_equal(after[smallest], 1);
    int n_ev = 0;
    const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n_ev);
    assert_float_near(ev[0].regrow_rate, 0.005 + 0.495 * (1 + cos(M_PI / 4)) / 2, 1e-12);
    assert_int_equal(ev[0].nnz_pruned[0], ev[0].nnz[0]);
    assert_int_equal(ev[0].nnz_pruned[1], ev[0].nnz[1]);
    sm_sgsnn_destroy(net);
}

/* ------------------------------------------------------------ training runs */

/* Two classes of noisy 15 x 15 stripes (vertical / horizontal bar anywhere). */
static void make_bars(int n, float *x, int *y)
{
    sm_rng r;
    sm_rng_init(&r, 21, SM_STREAM_USER, 1);
    for (int s = 0; s < n; s++) {
        int c = s % 2, a = (int)sm_rng_below(&r, 13);
        y[s] = c;
        for (int i = 0; i < 15; i++)
            for (int j = 0; j < 15; j++) {
                int on = c ? (i >= a && i < a + 3) : (j >= a && j < a + 3);
                x[s * 225 + i * 15 + j] = 0.7f * (float)on + 0.3f * (float)sm_rng_uniform(&r);
            }
    }
}

/* 225 -> 30 -> 20 -> 2, 2 epochs of 5 minibatches (160 samples), updates every 2. */
static sm_sgsnn_params bars_params(int method)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_hidden = 30;
    p.n_extra_hidden = 1;
    p.extra_hidden[0] = 20;
    p.n_out = 2;
    p.steps = 12;
    p.batch_size = 32;
    p.epochs = 2;
    p.seed = 5;
    p.threads = 1;
    sm_sparse_params_default(&p.sparse, p.epochs);
    p.sparse.method = method;
    p.sparse.final_density = 0.1;
    p.sparse.end_epoch = 1;
    p.sparse.interval = 2;
    return p;
}

static sm_sgsnn *train_bars(const sm_sgsnn_params *p)
{
    enum { N = 160 };
    float *x = malloc(N * 225 * sizeof(float));
    int y[N];
    make_bars(N, x, y);
    sm_sgsnn *net = sm_sgsnn_create(p, NULL);
    assert_non_null(net);
    assert_int_equal(sm_sgsnn_train(net, x, y, N, NULL, NULL, 0, NULL, NULL, NULL), SM_OK);
    free(x);
    return net;
}

static int nets_equal(sm_sgsnn *a, sm_sgsnn *b)
{
    for (int l = 0; l < sm_sgsnn_n_layers(a); l++) {
        sm_sgsnn_layer la = sm_sgsnn_get_layer(a, l), lb = sm_sgsnn_get_layer(b, l);
        if (memcmp(la.w, lb.w, sizeof(float) * (size_t)la.rows * la.cols)) return 0;
        if (memcmp(la.b, lb.b, sizeof(float) * (size_t)la.rows)) return 0;
    }
    return 1;
}

/* granet (gradient regrowth) and set (random regrowth): 1 and 2 threads, same bits,
 * same masks. */
static void one_and_two_threads_give_identical_masks_and_weights(void **state)
{
    (void)state;
    const int methods[2] = {SM_SPARSE_GRANET, SM_SPARSE_SET};
    for (int k = 0; k < 2; k++) {
        sm_sgsnn_params p = bars_params(methods[k]);
        sm_sgsnn *a = train_bars(&p);
        p.threads = 2;
        sm_sgsnn *b = train_bars(&p);
        assert_true(nets_equal(a, b));
        for (int l = 0; l < 3; l++) {
            size_t n = (size_t)sm_sgsnn_get_layer(a, l).rows * sm_sgsnn_get_layer(a, l).cols;
            assert_memory_equal(sm_sgsnn_get_mask(a, l), sm_sgsnn_get_mask(b, l), n);
        }
        int na = 0, nb = 0;
        sm_sgsnn_struct_events(a, &na);
        sm_sgsnn_struct_events(b, &nb);
        assert_int_equal(na, 4); /* t = 2, 4, 6, 8: 10 iterations, regrowth while t < T */
        assert_int_equal(nb, na);
        sm_sgsnn_destroy(a);
        sm_sgsnn_destroy(b);
    }
}

/* dense with any other sparse.* values, static at density 1 (the masked Adam path with
 * all-ones masks) and gmp from 1 to 1: the same bits as the default dense network. */
static void dense_and_all_ones_masks_are_bit_identical_to_no_sparsity(void **state)
{
    (void)state;
    sm_sgsnn_params p = bars_params(SM_SPARSE_DENSE);
    sm_sparse_params_default(&p.sparse, p.epochs);
    sm_sgsnn *ref = train_bars(&p);
    p.sparse.final_density = 0.02;
    p.sparse.interval = 1;
    p.sparse.scope = SM_SPARSE_LAYER;
    sm_sgsnn *a = train_bars(&p);
    assert_true(nets_equal(ref, a));
    assert_null(sm_sgsnn_get_mask(a, 0));
    p = bars_params(SM_SPARSE_STATIC);
    p.sparse.final_density = 1.0;
    sm_sgsnn *b = train_bars(&p);
    assert_true(nets_equal(ref, b));
    p = bars_params(SM_SPARSE_GMP);
    p.sparse.final_density = 1.0;
    sm_sgsnn *c = train_bars(&p);
    assert_true(nets_equal(ref, c));
    sm_sgsnn_destroy(ref);
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    sm_sgsnn_destroy(c);
}

/* Spec S1 rows over a training run: after every update the achieved global sparsity is
 * s_t to within 1 / N_total (here exactly 1 - floor(N D_t) / N), and a prune-and-regrow
 * step leaves every layer's count as the pruning step left it. */
static void schedule_is_exact_and_regrowth_keeps_counts_in_training(void **state)
{
    (void)state;
    const int methods[3] = {SM_SPARSE_GMP, SM_SPARSE_GRANET, SM_SPARSE_SET};
    for (int k = 0; k < 3; k++) {
        sm_sgsnn_params p = bars_params(methods[k]);
        sm_sgsnn *net = train_bars(&p);
        const double N = 30.0 * 225 + 20 * 30 + 2 * 20;
        int n = 0;
        const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n);
        assert_int_equal(n, methods[k] == SM_SPARSE_GMP ? 2 : 4); /* t = 2, 4 (, 6, 8) */
        for (int e = 0; e < n; e++) {
            long nnz = ev[e].nnz[0] + ev[e].nnz[1] + ev[e].nnz[2];
            assert_int_equal(nnz, (long)floor(N * (1.0 - ev[e].target_sparsity) + 1e-9));
            assert_true(fabs(ev[e].sparsity - ev[e].target_sparsity) <= 1.0 / N);
            for (int l = 0; l < 3; l++)
                assert_int_equal(ev[e].nnz_pruned[l], ev[e].nnz[l]);
            if (methods[k] == SM_SPARSE_GMP) assert_int_equal(ev[e].regrown, 0);
        }
        assert_float_near(ev[n - 1].sparsity, 1.0 - floor(N * 0.1 + 1e-9) / N, 1e-15);
        sm_sgsnn_destroy(net);
    }
}

/* ------------------------------------------------------------ the experiment */

/* The quick sparse-sgsnn on synthetic shapes with 2 seeds: the cells of the spec's
 * results key (dense, gmp, granet at 0.05, global), means and sds equal to the runs', the
 * final sparsity at the target; one clear error for a bad density or method. */
static void experiment_quick_has_cells(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment sparse-sgsnn --quick --quiet --set "
                            "table.datasets=synthetic:100 --set data.n_train=160 --set "
                            "data.n_test=40 --set sgsnn.steps=8 --set sparse.interval=1 --set "
                            "table.seeds=2 --out s.json",
                            &out),
                     0);
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/s.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    json_t *cells = json_object_get(json_object_get(doc, "results"), "cells");
    assert_int_equal(json_array_size(cells), 3);
    const char *method[3] = {"dense", "gmp", "granet"}, *scope[3] = {"none", "global", "global"};
    const double dens[3] = {1.0, 0.05, 0.05};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(cells, i);
        assert_string_equal(json_string_value(json_object_get(c, "dataset")), "synthetic:100");
        assert_string_equal(json_string_value(json_object_get(c, "method")), method[i]);
        assert_string_equal(json_string_value(json_object_get(c, "scope")), scope[i]);
        assert_float_near(json_number_value(json_object_get(c, "density")), dens[i], 1e-12);
        assert_int_equal(json_integer_value(json_object_get(c, "n_seeds")), 2);
        json_t *a = json_object_get(c, "accuracies");
        const double a0 = json_number_value(json_array_get(a, 0)),
                     a1 = json_number_value(json_array_get(a, 1));
        assert_true(a0 >= 0 && a0 <= 1 && a1 >= 0 && a1 <= 1);
        assert_float_near(json_number_value(json_object_get(c, "mean_accuracy")), (a0 + a1) / 2,
                          1e-12);
        assert_float_near(json_number_value(json_object_get(c, "sd_accuracy")),
                          fabs(a0 - a1) / sqrt(2.0), 1e-12);
        if (i > 0) { /* 1 - floor(N 0.05) / N for N = 300 x 225 + 100 x 300 + 4 x 100 */
            const double N = 300.0 * 225 + 100 * 300 + 4 * 100;
            json_t *sp = json_object_get(c, "final_sparsity");
            assert_float_near(json_number_value(json_array_get(sp, 0)), 1 - floor(N * 0.05) / N,
                              1e-12);
        }
    }
    json_decref(doc);
    tu_expect_cli_error(dir,
                        "experiment sparse-sgsnn --quick --quiet --set table.sparse_densities=0",
                        "table.sparse_densities");
    tu_expect_cli_error(dir, "experiment sparse-sgsnn --quick --quiet --set table.sparse_methods=x",
                        "table.sparse_methods");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cubic_schedule_matches_hand_values),
        cmocka_unit_test(cosine_regrowth_fraction_matches_hand_values),
        cmocka_unit_test(erk_densities_match_hand_computation),
        cmocka_unit_test(keep_topk_keeps_exactly_k_largest_active),
        cmocka_unit_test(drop_and_grow_select_by_hand),
        cmocka_unit_test(prune_step_removes_smallest_and_zeroes_adam_state),
        cmocka_unit_test(pruning_keeps_active_zeros_so_density_is_exact),
        cmocka_unit_test(global_and_layer_scope_counts),
        cmocka_unit_test(regrowth_by_gradient_matches_hand_selection),
        cmocka_unit_test(one_and_two_threads_give_identical_masks_and_weights),
        cmocka_unit_test(dense_and_all_ones_masks_are_bit_identical_to_no_sparsity),
        cmocka_unit_test(schedule_is_exact_and_regrowth_keeps_counts_in_training),
        cmocka_unit_test_setup_teardown(experiment_quick_has_cells, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
