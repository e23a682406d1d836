/* Loss-of-plasticity machinery (spec plasticity-loss.md): the SG-SNN's probe counts, SAM
 * (rho = 0 equals Adam bit for bit; the second gradient is the gradient at theta + eps),
 * resets, shrink-and-perturb and ReDo, the chunk stream, and the protocol end to end
 * (thread independence, bad input); diag.iid in plain train runs of both models. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sgsnn_probe.h"
#include "somnus/models/sgsnn_remedy.h"
#include "somnus/network/net.h"
#include "somnus/protocol/train.h"
#include "protocol/plasticity_protocol.h"
#include "protocol/plasticity_stream.h"
#include "protocol/train_sgsnn.h"

enum { N_IN = 6, HID = 12, OUT = 3, BATCH = 8 };

static sm_sgsnn_params small_params(void)
{
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = N_IN;
    p.n_hidden = HID;
    p.n_out = OUT;
    p.steps = 15;
    p.batch_size = BATCH;
    p.threads = 1;
    p.seed = 7;
    return p;
}

/* Inputs in [0, 1] and labels i mod OUT; weights scaled up so that neurons spike. */
static sm_sgsnn *small_net(sm_sgsnn_params p, float *x, int *y, int n)
{
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        for (int i = 0; i < v.rows * v.cols; i++)
            v.w[i] *= 3.0f;
        for (int i = 0; i < v.rows; i++)
            v.b[i] += 0.3f;
    }
    sm_rng r;
    sm_rng_init(&r, 5, SM_STREAM_USER, 0);
    for (int i = 0; i < n * N_IN; i++)
        x[i] = (float)sm_rng_uniform(&r);
    for (int i = 0; i < n; i++)
        y[i] = i % OUT;
    return net;
}

/* The probe's output counts are sm_sgsnn_predict's, and its hidden counts are those of
 * a hand-written LIF loop in double-checked float arithmetic. */
static void probe_counts_match_predict_and_a_hand_loop(void **state)
{
    (void)state;
    enum { N = 20 };
    float x[N * N_IN];
    int y[N];
    sm_sgsnn_params p = small_params();
    sm_sgsnn *net = small_net(p, x, y, N);
    float ch[N * HID], co[N * OUT], cp[N * OUT];
    assert_int_equal(sm_sgsnn_probe_counts(net, x, N, ch, co, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_predict(net, x, N, NULL, cp, NULL), SM_OK);
    int same = 0;
    for (int i = 0; i < N * OUT; i++)
        same += co[i] == cp[i];
    assert_true(same >= N * OUT - 1); /* a membrane within rounding of the threshold may differ */
    sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 0);
    int hsame = 0, spikes = 0;
    for (int i = 0; i < N; i++)
        for (int h = 0; h < HID; h++) {
            double cur = l1.b[h], mem = 0;
            for (int j = 0; j < N_IN; j++)
                cur += (double)l1.w[h * N_IN + j] * x[i * N_IN + j];
            int s = 0, count = 0;
            for (int t = 0; t < p.steps; t++) {
                mem = t == 0 ? cur : p.beta * mem + cur - s * p.threshold;
                s = mem > p.threshold;
                count += s;
            }
            hsame += count == (int)ch[i * HID + h];
            spikes += count;
        }
    assert_true(hsame >= N * HID - 2);
    assert_true(spikes > 0);
    sm_sgsnn_destroy(net);
}

/* SAM with rho = 0 takes exactly plain Adam's steps. */
static void sam_rho_zero_is_adam_bit_for_bit(void **state)
{
    (void)state;
    float x[BATCH * N_IN];
    int y[BATCH];
    sm_sgsnn_params p = small_params();
    sm_sgsnn *a = small_net(p, x, y, BATCH), *b = small_net(p, x, y, BATCH);
    sm_sgsnn_sam *sam = sm_sgsnn_sam_create(b, 0.0, 0, NULL);
    assert_non_null(sam);
    for (int it = 0; it < 5; it++) {
        double la, lb;
        assert_int_equal(sm_sgsnn_backprop(a, x, y, BATCH, &la, NULL, NULL), SM_OK);
        sm_sgsnn_adam_step(a);
        assert_int_equal(sm_sgsnn_sam_step(sam, x, y, BATCH, &lb, NULL, NULL, NULL), SM_OK);
        assert_true(la == lb);
    }
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer va = sm_sgsnn_get_layer(a, l), vb = sm_sgsnn_get_layer(b, l);
        assert_memory_equal(va.w, vb.w, (size_t)va.rows * va.cols * sizeof(float));
        assert_memory_equal(va.b, vb.b, (size_t)va.rows * sizeof(float));
    }
    sm_sgsnn_sam_destroy(sam);
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
}

/* The second gradient is the gradient at theta + rho g/||g|| computed independently (in
 * double for eps); with scope hidden the head keeps the first gradient. */
static void sam_second_gradient_is_taken_at_theta_plus_eps(void **state)
{
    (void)state;
    float x[BATCH * N_IN];
    int y[BATCH];
    sm_sgsnn_params p = small_params();
    p.smooth_forward = 1;
    const double rho = 0.3;
    for (int scope = 0; scope < 2; scope++) {
        sm_sgsnn *a = small_net(p, x, y, BATCH), *b = small_net(p, x, y, BATCH);
        sm_sgsnn_sam *sam = sm_sgsnn_sam_create(a, rho, scope, NULL);
        double gn[2];
        assert_int_equal(sm_sgsnn_sam_step(sam, x, y, BATCH, NULL, NULL, gn, NULL), SM_OK);
        /* b: first gradient, its norm over the scope, then theta + eps */
        assert_int_equal(sm_sgsnn_backprop(b, x, y, BATCH, NULL, NULL, NULL), SM_OK);
        const int nl = scope ? 1 : 2;
        double q = 0;
        for (int l = 0; l < nl; l++) {
            sm_sgsnn_layer g = sm_sgsnn_get_grad(b, l);
            for (int i = 0; i < g.rows * g.cols; i++)
                q += (double)g.w[i] * g.w[i];
            for (int i = 0; i < g.rows; i++)
                q += (double)g.b[i] * g.b[i];
        }
        assert_float_near(gn[0], sqrt(q), 1e-9 * sqrt(q));
        float head_g[OUT * HID];
        memcpy(head_g, sm_sgsnn_get_grad(b, 1).w, sizeof head_g);
        for (int l = 0; l < nl; l++) {
            sm_sgsnn_layer v = sm_sgsnn_get_layer(b, l), g = sm_sgsnn_get_grad(b, l);
            for (int i = 0; i < v.rows * v.cols; i++)
                v.w[i] = (float)(v.w[i] + rho * g.w[i] / sqrt(q));
            for (int i = 0; i < v.rows; i++)
                v.b[i] = (float)(v.b[i] + rho * g.b[i] / sqrt(q));
        }
        assert_int_equal(sm_sgsnn_backprop(b, x, y, BATCH, NULL, NULL, NULL), SM_OK);
        double diff = 0, norm = 0;
        for (int l = 0; l < nl; l++) {
            sm_sgsnn_layer ga = sm_sgsnn_get_grad(a, l), gb = sm_sgsnn_get_grad(b, l);
            for (int i = 0; i < ga.rows * ga.cols; i++) {
                diff = fmax(diff, fabs((double)ga.w[i] - gb.w[i]));
                norm = fmax(norm, fabs((double)gb.w[i]));
            }
        }
        assert_true(norm > 0);
        assert_true(diff <= 1e-4 * norm);
        if (scope) /* the head's step used the first gradient */
            assert_memory_equal(sm_sgsnn_get_grad(a, 1).w, head_g, sizeof head_g);
        sm_sgsnn_sam_destroy(sam);
        sm_sgsnn_destroy(a);
        sm_sgsnn_destroy(b);
    }
}

/* A head reset redraws W2 and b2 within +-1/sqrt(H), zeroes their moments, repeats from
 * the key, and leaves W1 alone; shrink and perturb with alpha mixes the two draws. */
static void resets_and_shrink_perturb(void **state)
{
    (void)state;
    float x[BATCH * N_IN];
    int y[BATCH];
    sm_sgsnn_params p = small_params();
    sm_sgsnn *a = small_net(p, x, y, BATCH), *b = small_net(p, x, y, BATCH);
    for (int it = 0; it < 3; it++) {
        sm_sgsnn_backprop(a, x, y, BATCH, NULL, NULL, NULL);
        sm_sgsnn_adam_step(a);
    }
    float w1[HID * N_IN];
    memcpy(w1, sm_sgsnn_get_layer(a, 0).w, sizeof w1);
    sm_sgsnn_reinit_layer(a, 1, 0.0, 9, 77);
    sm_sgsnn_reinit_layer(b, 1, 0.0, 9, 77);
    sm_sgsnn_layer va = sm_sgsnn_get_layer(a, 1), vb = sm_sgsnn_get_layer(b, 1);
    assert_memory_equal(va.w, vb.w, sizeof(float) * OUT * HID);
    assert_memory_equal(sm_sgsnn_get_layer(a, 0).w, w1, sizeof w1);
    const float bound = 1.0f / sqrtf((float)HID);
    double var = 0;
    for (int i = 0; i < OUT * HID; i++) {
        assert_true(fabsf(va.w[i]) <= bound);
        var += (double)va.w[i] * va.w[i];
    }
    /* uniform(-c, c) has variance c^2/3: 36 draws, loose band */
    var /= OUT * HID;
    assert_true(var > 0.3 * bound * bound / 3 && var < 2.0 * bound * bound / 3);
    for (int w = 0; w < 2; w++) {
        sm_sgsnn_layer m = sm_sgsnn_get_moment(a, 1, w), m1 = sm_sgsnn_get_moment(a, 0, w);
        for (int i = 0; i < OUT * HID; i++)
            assert_true(m.w[i] == 0.0f);
        int nz = 0;
        for (int i = 0; i < HID * N_IN; i++)
            nz += m1.w[i] != 0.0f;
        assert_true(nz > 0); /* the hidden layer's moments are kept */
    }
    /* shrink and perturb: alpha theta + (1 - alpha) fresh, fresh = the alpha = 0 draw */
    sm_sgsnn *c = small_net(p, x, y, BATCH), *d = small_net(p, x, y, BATCH);
    float before[HID * N_IN];
    memcpy(before, sm_sgsnn_get_layer(c, 0).w, sizeof before);
    sm_sgsnn_reinit_layer(c, 0, 0.6, 9, 5);
    sm_sgsnn_reinit_layer(d, 0, 0.0, 9, 5);
    for (int i = 0; i < HID * N_IN; i++)
        assert_float_near(sm_sgsnn_get_layer(c, 0).w[i],
                          0.6 * before[i] + 0.4 * sm_sgsnn_get_layer(d, 0).w[i], 1e-6);
    sm_sgsnn_destroy(a);
    sm_sgsnn_destroy(b);
    sm_sgsnn_destroy(c);
    sm_sgsnn_destroy(d);
}

/* ReDo: neurons 0 and 3 are silent on the probe, neuron 5 is below tau; the others fire. */
static void redo_reinitialises_the_dormant_neurons_only(void **state)
{
    (void)state;
    float x[BATCH * N_IN];
    int y[BATCH];
    sm_sgsnn_params p = small_params();
    sm_sgsnn *net = small_net(p, x, y, BATCH);
    float counts[2 * HID];
    for (int i = 0; i < 2 * HID; i++)
        counts[i] = 10;
    counts[0] = counts[HID + 0] = 0;
    counts[3] = counts[HID + 3] = 0;
    counts[5] = 1; /* mean 0.5 vs layer mean (20 + 20 + ... ) / 12: score < 0.1 */
    counts[HID + 5] = 0;
    float w1[HID * N_IN], w2[OUT * HID];
    memcpy(w1, sm_sgsnn_get_layer(net, 0).w, sizeof w1);
    memcpy(w2, sm_sgsnn_get_layer(net, 1).w, sizeof w2);
    assert_int_equal(sm_sgsnn_redo(net, counts, 2, 0.1, 3, 1), 3);
    sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 0), l2 = sm_sgsnn_get_layer(net, 1);
    for (int h = 0; h < HID; h++) {
        const int hit = h == 0 || h == 3 || h == 5;
        int changed = 0;
        for (int j = 0; j < N_IN; j++)
            changed += l1.w[h * N_IN + j] != w1[h * N_IN + j];
        assert_true(hit ? changed > 0 : changed == 0);
        for (int o = 0; o < OUT; o++)
            assert_true(hit ? l2.w[o * HID + h] == 0.0f : l2.w[o * HID + h] == w2[o * HID + h]);
    }
    sm_sgsnn_destroy(net);
}

/* The summary values of spec section 4 by hand. */
static void summary_by_hand(void **state)
{
    (void)state;
    const double acc[4] = {0.1, 0.8, 0.6, 0.4}, pr[4] = {NAN, 1.0, NAN, 0.5};
    double auc, prf, drop;
    sm_pl_summary(acc, pr, 3, &auc, &prf, &drop);
    assert_float_near(auc, 0.6, 1e-12);
    assert_float_near(prf, 0.5, 0);
    assert_float_near(drop, 0.4, 1e-12);
}

static sm_config synth_config(void)
{
    sm_config cfg;
    sm_config_default(&cfg);
    sm_config_set(&cfg, "data.dataset", "synthetic", "test", NULL);
    cfg.data.n_train = 200;
    cfg.data.n_val = 40;
    cfg.data.n_test = 40;
    cfg.train.model = SM_MODEL_SGSNN;
    cfg.sgsnn.n_hidden = 30;
    cfg.sgsnn.steps = 10;
    cfg.sgsnn.batch = 16;
    cfg.protocol.chunks = 4;
    cfg.protocol.iters_per_chunk = 3;
    cfg.diag.n_probe = 20;
    return cfg;
}

/* The stream: cyclic labels shift by one per chunk, grow uses k n / K images of one cut,
 * permute's first chunk is the identity and later ones are permutations, the probe is
 * class-balanced and comes from the validation split. */
static void stream_chunks(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    const int C = d.train->n_classes, D = d.train->width * d.train->height;
    cfg.protocol.kind = SM_PROTOCOL_LABEL;
    sm_pl_stream s;
    assert_int_equal(sm_pl_stream_init(&s, &cfg, &d, NULL), SM_OK);
    sm_pl_set a, b;
    assert_int_equal(sm_pl_chunk_train(&s, 1, &a, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_train(&s, 3, &b, NULL), SM_OK);
    assert_int_equal(a.n, d.train->n);
    for (int i = 0; i < a.n; i++)
        assert_int_equal(b.y[i], (a.y[i] + 2) % C);
    sm_pl_set_free(&a);
    sm_pl_set_free(&b);
    int per_class[16] = {0};
    for (int i = 0; i < s.n_probe; i++)
        per_class[d.val->labels[s.probe[i]]]++;
    assert_int_equal(s.n_probe, 20);
    for (int c = 0; c < C; c++)
        assert_int_equal(per_class[c], 20 / C);
    sm_pl_stream_free(&s);

    cfg.protocol.kind = SM_PROTOCOL_INPUT;
    assert_int_equal(sm_pl_stream_init(&s, &cfg, &d, NULL), SM_OK); /* grow */
    assert_int_equal(sm_pl_chunk_train(&s, 1, &a, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_train(&s, 3, &b, NULL), SM_OK);
    assert_int_equal(a.n, d.train->n / 4);
    assert_int_equal(b.n, 3 * d.train->n / 4);
    assert_memory_equal(a.x, b.x, (size_t)a.n * D * sizeof(float)); /* chunk 1 inside 1..3 */
    sm_pl_set_free(&a);
    sm_pl_set_free(&b);
    sm_pl_stream_free(&s);

    sm_config_set(&cfg, "protocol.input_shift", "permute", "test", NULL);
    assert_int_equal(sm_pl_stream_init(&s, &cfg, &d, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_test(&s, 1, &a, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_test(&s, 2, &b, NULL), SM_OK);
    assert_memory_equal(a.x, d.test->pixels, (size_t)a.n * D * sizeof(float));
    int moved = 0, *seen = calloc((size_t)D, sizeof *seen);
    for (int j = 0; j < D; j++) {
        const int pj = s.perm[D + j];
        seen[pj]++;
        moved += pj != j;
        assert_true(b.x[j] == a.x[pj]);
    }
    for (int j = 0; j < D; j++)
        assert_int_equal(seen[j], 1);
    assert_true(moved > D / 2);
    free(seen);
    sm_pl_set_free(&a);
    sm_pl_set_free(&b);
    sm_pl_stream_free(&s);

    /* dataset shift: chunks alternate between the listed datasets (train, test and probe) */
    sm_config_set(&cfg, "protocol.input_shift", "dataset:synthetic,synthetic:4000:5", "test", NULL);
    assert_int_equal(sm_pl_stream_init(&s, &cfg, &d, NULL), SM_OK);
    assert_int_equal(s.n_ds, 2);
    assert_string_equal(sm_pl_stream_name(&s), "input:dataset");
    sm_pl_set c3;
    assert_int_equal(sm_pl_chunk_train(&s, 1, &a, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_train(&s, 2, &b, NULL), SM_OK);
    assert_int_equal(sm_pl_chunk_train(&s, 3, &c3, NULL), SM_OK);
    assert_int_equal(a.n, s.ds[0].train->n);
    assert_memory_equal(a.x, s.ds[0].train->pixels, (size_t)a.n * D * sizeof(float));
    assert_memory_equal(b.x, s.ds[1].train->pixels, (size_t)b.n * D * sizeof(float));
    assert_memory_equal(a.x, c3.x, (size_t)a.n * D * sizeof(float)); /* chunk 3 = dataset 1 */
    assert_true(memcmp(a.x, b.x, (size_t)D * sizeof(float)) != 0);
    sm_pl_set_free(&a);
    sm_pl_set_free(&b);
    sm_pl_set_free(&c3);
    assert_int_equal(sm_pl_chunk_test(&s, 2, &a, NULL), SM_OK);
    assert_memory_equal(a.x, s.ds[1].test->pixels, (size_t)a.n * D * sizeof(float));
    sm_pl_set_free(&a);
    sm_pl_stream_free(&s);

    sm_config_set(&cfg, "protocol.input_shift", "sideways", "test", NULL);
    sm_error err;
    assert_int_equal(sm_pl_stream_init(&s, &cfg, &d, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "protocol.input_shift"));
    sm_pl_stream_free(&s);
    sm_train_data_free(&d);
}

/* Runs the protocol and returns the results document. */
static json_t *run(sm_config *cfg)
{
    json_t *doc = NULL;
    sm_error err;
    sm_train_data d;
    assert_int_equal(sm_train_data_load(cfg, &d, NULL), SM_OK);
    sm_status st = sm_train_run(cfg, &d, NULL, NULL, &doc, &err);
    sm_train_data_free(&d);
    if (st != SM_OK) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, SM_OK);
    return doc;
}

/* The same run on 1 and 2 threads gives the same chunks table; every remedy at once
 * (SAM, LayerNorm, ON/OFF, resets with shrink-and-perturb, ReDo). */
static void protocol_is_thread_independent(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    cfg.protocol.kind = SM_PROTOCOL_LABEL;
    cfg.sgrem.optimizer = SM_SG_SAM;
    cfg.sgrem.reset_every = 1;
    cfg.sgrem.shrink_alpha = 0.6;
    cfg.sgrem.redo_tau = 0.1;
    cfg.sgrem.norm = 1; /* LayerNorm and the ON/OFF split too: the full PLASTIC set */
    cfg.sgrem.unit = 1;
    cfg.protocol.fresh = SM_FRESH_EVERY;
    cfg.run.threads = 1;
    json_t *a = run(&cfg);
    cfg.run.threads = 2;
    json_t *b = run(&cfg);
    const char *keys[] = {"acc",
                          "train_acc",
                          "loss",
                          "acc_fresh",
                          "diag_hidden_srank",
                          "diag_hidden_dormant_0.1",
                          "diag_output_w_norm",
                          "reset"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *ca = json_object_get(json_object_get(a, "chunks"), keys[i]);
        json_t *cb = json_object_get(json_object_get(b, "chunks"), keys[i]);
        assert_non_null(ca);
        assert_int_equal(json_array_size(ca), 5);
        assert_true(json_equal(ca, cb));
    }
    /* resets after chunks 1, 2, 3 (k < K) */
    json_t *rs = json_object_get(json_object_get(a, "chunks"), "reset");
    assert_int_equal(json_integer_value(json_array_get(rs, 3)), 1);
    assert_int_equal(json_integer_value(json_array_get(rs, 4)), 0);
    json_t *fin = json_object_get(a, "final");
    assert_true(json_is_real(json_object_get(fin, "auc")));
    json_decref(a);
    json_decref(b);
}

/* More than one hidden layer (review item): the probe gives every layer's counts (the
 * output layer's equal sm_sgsnn_predict's), the protocol runs with a column set per layer
 * (hidden, hidden2, output), and a head reset redraws the output layer only, leaving the
 * middle layer as it was (shrink_alpha 1). */
static void protocol_runs_with_two_hidden_layers(void **state)
{
    (void)state;
    enum { N = 12, H2 = 7 };
    sm_sgsnn_params p = small_params();
    p.n_extra_hidden = 1;
    p.extra_hidden[0] = H2;
    float x[N * N_IN];
    int y[N];
    sm_sgsnn *net = small_net(p, x, y, N);
    assert_int_equal(sm_sgsnn_n_layers(net), 3);
    float c0[N * HID], c1[N * H2], c2[N * OUT], cp[N * OUT];
    float *counts[3] = {c0, c1, c2};
    assert_int_equal(sm_sgsnn_probe_counts_all(net, x, N, counts, NULL), SM_OK);
    assert_int_equal(sm_sgsnn_predict(net, x, N, NULL, cp, NULL), SM_OK);
    int same = 0;
    double s1 = 0;
    for (int i = 0; i < N * OUT; i++)
        same += c2[i] == cp[i];
    for (int i = 0; i < N * H2; i++)
        s1 += c1[i];
    assert_true(same >= N * OUT - 1);
    assert_true(s1 > 0); /* the middle layer is counted, not left empty */
    float mid[H2 * HID];
    memcpy(mid, sm_sgsnn_get_layer(net, 1).w, sizeof mid);
    float head[OUT * H2];
    memcpy(head, sm_sgsnn_get_layer(net, 2).w, sizeof head);
    sm_sgsnn_reinit_layer(net, 2, 0.0, 3, 4);
    assert_memory_equal(sm_sgsnn_get_layer(net, 1).w, mid, sizeof mid);
    assert_true(memcmp(sm_sgsnn_get_layer(net, 2).w, head, sizeof head) != 0);
    sm_sgsnn_destroy(net);

    sm_config cfg = synth_config();
    cfg.protocol.kind = SM_PROTOCOL_LABEL;
    sm_config_set(&cfg, "sgsnn.hidden", "12,8", "test", NULL);
    cfg.sgrem.optimizer = SM_SG_SAM;
    cfg.sgrem.sam_scope = SM_SAM_HIDDEN;
    cfg.sgrem.reset_every = 1;
    cfg.sgrem.redo_tau = 0.1;
    json_t *doc = run(&cfg);
    json_t *ch = json_object_get(doc, "chunks");
    const char *keys[] = {"diag_hidden_srank", "diag_hidden2_srank", "diag_output_srank",
                          "diag_hidden2_w_norm", "diag_hidden2_update_norm"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(json_array_size(json_object_get(ch, keys[i])), 5);
    assert_null(json_object_get(ch, "diag_hidden3_srank"));
    assert_null(json_object_get(ch, "diag_hidden_grad_starved")); /* off by default */
    json_decref(doc);

    /* diag.grad_starved = 1 adds its column: a fraction per due chunk (its criterion is
     * checked by hand in test_diagnostics' starved_fraction_by_hand) */
    cfg = synth_config();
    cfg.protocol.kind = SM_PROTOCOL_LABEL;
    cfg.diag.grad_starved = 1;
    doc = run(&cfg);
    json_t *gs = json_object_get(json_object_get(doc, "chunks"), "diag_hidden_grad_starved");
    assert_int_equal(json_array_size(gs), 5);
    for (size_t i = 0; i < 5; i++) {
        const double v = json_number_value(json_array_get(gs, i));
        assert_true(v >= 0 && v <= 1);
    }
    json_decref(doc);
}

/* What the array hook (--export) receives: copies kept by name. */
typedef struct got_arrays {
    int n;
    char name[8][64];
    int dtype[8];
    size_t rows[8], cols[8];
    void *data[8];
} got_arrays;

static void keep_array(void *ctx, const char *name, int dtype, size_t rows, size_t cols,
                       const void *data)
{
    got_arrays *g = ctx;
    assert_true(g->n < 8);
    const size_t bytes = rows * cols * (dtype == 1 ? 8 : 4);
    snprintf(g->name[g->n], 64, "%s", name);
    g->dtype[g->n] = dtype;
    g->rows[g->n] = rows;
    g->cols[g->n] = cols;
    g->data[g->n] = malloc(bytes);
    memcpy(g->data[g->n], data, bytes);
    g->n++;
}

static int find_array(const got_arrays *g, const char *name)
{
    for (int k = 0; k < g->n; k++)
        if (!strcmp(g->name[k], name)) return k;
    fail_msg("array %s not exported", name);
    return -1;
}

/* The export arrays of spec section 6: probe counts of the last chunk (n_probe x H, float32),
 * singular values per chunk ((K + 1) x min(n_probe, H), NaN rows where no diagnostics were
 * due) from which srank reproduces the table's column, and the permutations (K x n_in). */
static void protocol_exports_its_arrays(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    cfg.protocol.kind = SM_PROTOCOL_INPUT;
    sm_config_set(&cfg, "protocol.input_shift", "permute", "test", NULL);
    cfg.diag.every = 2;
    got_arrays g = {0};
    sm_train_options opt = {0};
    opt.array_fn = keep_array;
    opt.array_ctx = &g;
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    json_t *doc = NULL;
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &doc, NULL), SM_OK);
    const int K = cfg.protocol.chunks, H = cfg.sgsnn.n_hidden, np = cfg.diag.n_probe;
    const int D = d.train->width * d.train->height;
    sm_train_data_free(&d);
    int k = find_array(&g, "probe_counts_hidden");
    assert_int_equal(g.dtype[k], 0);
    assert_true(g.rows[k] == (size_t)np && g.cols[k] == (size_t)H);
    k = find_array(&g, "singular_values_hidden");
    assert_int_equal(g.dtype[k], 1);
    const int r = np < H ? np : H;
    assert_true(g.rows[k] == (size_t)K + 1 && g.cols[k] == (size_t)r);
    const double *sv = g.data[k];
    json_t *sr = json_object_get(json_object_get(doc, "chunks"), "diag_hidden_srank");
    for (int c = 0; c <= K; c++) {
        json_t *v = json_array_get(sr, (size_t)c);
        if (json_is_null(v)) {
            assert_true(isnan(sv[(size_t)c * r]));
        } else {
            assert_int_equal(sm_diag_srank(sv + (size_t)c * r, r, cfg.diag.srank_delta),
                             (int)json_number_value(v));
        }
    }
    assert_true(json_is_null(json_array_get(sr, 1))); /* every = 2: chunk 1 not due */
    k = find_array(&g, "permutations");
    assert_true(g.dtype[k] == 2 && g.rows[k] == (size_t)K && g.cols[k] == (size_t)D);
    const int *perm = g.data[k];
    for (int j = 0; j < D; j++) /* chunk 1 = identity */
        assert_int_equal(perm[j], j);
    find_array(&g, "probe_counts_output");
    for (int a = 0; a < g.n; a++)
        free(g.data[a]);
    json_decref(doc);
}

static void protocol_refuses_what_is_not_built(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    cfg.protocol.kind = SM_PROTOCOL_LABEL;
    cfg.train.model = SM_MODEL_STDP;
    tu_expect_train_refused(&cfg, "train.model");
}

/* The STDP network on 40 / 8 / 16 synthetic images in batches of 20, `steps` per image,
 * the readout fitted on 20. */
static sm_config stdp_config(int steps)
{
    sm_config cfg = synth_config();
    cfg.train.model = SM_MODEL_STDP;
    cfg.data.n_train = 40;
    cfg.data.n_val = 8;
    cfg.data.n_test = 16;
    cfg.data.batch = 20;
    cfg.input.steps_per_image = steps;
    cfg.train.eval_fit = 20;
    return cfg;
}

/* A small STDP protocol run (spec 3.5) on the given input shift and chunk count. */
static json_t *stdp_stream(const char *shift, int chunks)
{
    sm_config cfg = stdp_config(100);
    cfg.protocol.kind = SM_PROTOCOL_INPUT;
    cfg.protocol.chunks = chunks;
    cfg.protocol.images_per_chunk = 30;
    cfg.protocol.fresh = SM_FRESH_EVERY;
    sm_config_set(&cfg, "protocol.input_shift", shift, "test", NULL);
    return run(&cfg);
}

static double chunk_value(json_t *doc, const char *col, int row)
{
    return json_number_value(
        json_array_get(json_object_get(json_object_get(doc, "chunks"), col), (size_t)row));
}

#define SHIFT_AB "dataset:synthetic,synthetic:400:5"

/* The STDP network on a dataset shift (spec 3.5). With one chunk, dataset:A,B trains and
 * scores exactly as permute does (the first chunk of both is the run's data A, untouched,
 * walked in the seed's cut order), row for row apart from the wall time, with E firing.
 * With two chunks, chunk 2 is dataset B: its fresh reference (a new network from
 * (seed, 2) trained and scored on chunk 2's slice alone) equals the one of the stream
 * dataset:B,B; chunk 1's equals permute's. grow is refused naming protocol.input_shift. */
static void stdp_runs_the_dataset_shift(void **state)
{
    (void)state;
    json_t *p1 = stdp_stream("permute", 1), *d1 = stdp_stream(SHIFT_AB, 1);
    assert_string_equal(json_string_value(json_object_get(d1, "protocol")), "input:dataset");
    json_object_del(json_object_get(p1, "chunks"), "wall_s");
    json_object_del(json_object_get(d1, "chunks"), "wall_s");
    assert_true(chunk_value(p1, "diag_E_feature_norm", 1) > 0);
    assert_true(json_equal(json_object_get(p1, "chunks"), json_object_get(d1, "chunks")));
    assert_true(json_equal(json_object_get(p1, "final"), json_object_get(d1, "final")));
    json_t *ab = stdp_stream(SHIFT_AB, 2), *bb = stdp_stream("dataset:synthetic:400:5", 2);
    const double f2 = chunk_value(ab, "acc_fresh", 2);
    assert_true(f2 >= 0 && f2 <= 1);
    assert_float_equal(f2, chunk_value(bb, "acc_fresh", 2), 0);
    assert_float_equal(chunk_value(ab, "acc_fresh", 1), chunk_value(p1, "acc_fresh", 1), 0);
    json_decref(p1);
    json_decref(d1);
    json_decref(ab);
    json_decref(bb);

    sm_config cfg = synth_config();
    cfg.train.model = SM_MODEL_STDP;
    cfg.protocol.kind = SM_PROTOCOL_INPUT;
    sm_config_set(&cfg, "protocol.input_shift", "grow", "test", NULL);
    tu_expect_train_refused(&cfg, "protocol.input_shift");
}

/* ------------------------------------------------------------ diag.iid (plain train runs) */

static void keep_net(void *ctx, struct sm_sgsnn *net)
{
    /* the trained weights, copied into the caller's network of the same shape */
    sm_sgsnn *dst = ctx;
    const size_t n = sm_sgsnn_state_size(net);
    void *buf = malloc(n);
    assert_non_null(buf);
    sm_sgsnn_state_save(net, buf);
    sm_sgsnn_state_load(dst, buf);
    free(buf);
}

static json_t *eval_col(json_t *doc, const char *name)
{
    json_t *c = json_object_get(json_object_get(doc, "evaluations"), name);
    if (!c) fail_msg("evaluations has no column %s", name);
    return c;
}

static double last_num(json_t *doc, const char *name)
{
    json_t *c = eval_col(doc, name);
    return json_number_value(json_array_get(c, json_array_size(c) - 1));
}

/* Hand loops over a count matrix (n x H, T steps): silent and tau = 0.1 dormant fractions
 * (spec 1.1), saturated fraction at 0.95 and the mean row norm of C / T. */
static void hand_diag(const float *c, int n, int H, int T, double *silent, double *dormant,
                      double *saturated, double *fnorm)
{
    double *mean = calloc((size_t)H, sizeof *mean), layer = 0;
    assert_non_null(mean);
    *fnorm = 0;
    for (int x = 0; x < n; x++) {
        double q = 0;
        for (int i = 0; i < H; i++) {
            const double phi = (double)c[(size_t)x * H + i] / T;
            mean[i] += c[(size_t)x * H + i]; /* whole counts: the sum is exact */
            q += phi * phi;
        }
        *fnorm += sqrt(q) / n;
    }
    for (int i = 0; i < H; i++) {
        mean[i] /= (double)n * T;
        layer += mean[i] / H;
    }
    int s = 0, d = 0, sat = 0;
    for (int i = 0; i < H; i++) {
        s += mean[i] == 0;
        d += layer == 0 || mean[i] / layer <= 0.1;
        sat += mean[i] >= 0.95;
    }
    *silent = (double)s / H;
    *dormant = (double)d / H;
    *saturated = (double)sat / H;
    free(mean);
}

/* An i.i.d. SG-SNN run with diag.iid: a diag_<layer>_<name> column per layer of the
 * length of the evaluations table; with diag.n_probe above the validation size the probe
 * is the whole validation split, so the last row's values must equal hand loops over the
 * counts the trained network gives on the validation images in their own order (every
 * diagnostic ignores the order of the probe images), and srank the value from the
 * singular values of those counts. The exported probe counts have one row per image. */
static void iid_sgsnn_diag_matches_a_recomputation(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    cfg.sgsnn.epochs = 2;
    cfg.diag.iid = 1;
    cfg.diag.n_probe = 1000; /* > n_val: the probe is the whole validation split */
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    sm_sgsnn_params p;
    sm_train_sgsnn_params(&cfg, &d, &p);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    got_arrays g = {0};
    sm_train_options opt = {0};
    opt.array_fn = keep_array;
    opt.array_ctx = &g;
    opt.sgsnn_final_fn = keep_net;
    opt.sgsnn_final_ctx = net;
    json_t *doc = NULL;
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &doc, NULL), SM_OK);
    const size_t rows = json_array_size(eval_col(doc, "val_accuracy"));
    assert_int_equal(rows, 2);
    const char *layers[2] = {"hidden", "output"};
    const char *names[] = {"silent",     "dormant_0.025", "dormant_0.1", "saturated",   "srank",
                           "srank_frac", "erank",         "erank_frac",  "feature_norm"};
    for (int l = 0; l < 2; l++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            char key[64];
            snprintf(key, sizeof key, "diag_%s_%s", layers[l], names[k]);
            json_t *c = eval_col(doc, key);
            assert_int_equal(json_array_size(c), rows);
            assert_true(json_is_number(json_array_get(c, 0)) &&
                        json_is_number(json_array_get(c, 1)));
        }
    const int nv = d.val->n, T = cfg.sgsnn.steps, H[2] = {cfg.sgsnn.n_hidden, d.train->n_classes};
    float *cnt[2] = {malloc((size_t)nv * H[0] * sizeof(float)),
                     malloc((size_t)nv * H[1] * sizeof(float))};
    assert_int_equal(sm_sgsnn_probe_counts_all(net, d.val->pixels, nv, cnt, NULL), SM_OK);
    int active = 0;
    for (int l = 0; l < 2; l++) {
        double silent, dormant, sat, fnorm;
        hand_diag(cnt[l], nv, H[l], T, &silent, &dormant, &sat, &fnorm);
        char key[64];
        snprintf(key, sizeof key, "diag_%s_silent", layers[l]);
        assert_true(fabs(last_num(doc, key) - silent) < 1e-12);
        snprintf(key, sizeof key, "diag_%s_dormant_0.1", layers[l]);
        assert_true(fabs(last_num(doc, key) - dormant) < 1e-12);
        snprintf(key, sizeof key, "diag_%s_saturated", layers[l]);
        assert_true(fabs(last_num(doc, key) - sat) < 1e-12);
        snprintf(key, sizeof key, "diag_%s_feature_norm", layers[l]);
        assert_true(fabs(last_num(doc, key) - fnorm) < 1e-9 * (1 + fnorm));
        active += fnorm > 0 && silent < 1;
        const int r = nv < H[l] ? nv : H[l];
        double *sv = malloc((size_t)r * sizeof *sv);
        assert_int_equal(sm_diag_singular_values(cnt[l], nv, H[l], T, sv, NULL), SM_OK);
        snprintf(key, sizeof key, "diag_%s_srank", layers[l]);
        assert_int_equal((int)last_num(doc, key), sm_diag_srank(sv, r, cfg.diag.srank_delta));
        free(sv);
        snprintf(key, sizeof key, "probe_counts_%s", layers[l]);
        const int k = find_array(&g, key);
        assert_true(g.dtype[k] == 0 && g.rows[k] == (size_t)nv && g.cols[k] == (size_t)H[l]);
    }
    assert_true(active > 0); /* some layer spikes: the comparison is not 0 == 0 */
    assert_true(json_number_value(json_object_get(json_object_get(doc, "timing"), "diag_s")) >= 0);
    for (int l = 0; l < 2; l++)
        free(cnt[l]);
    for (int a = 0; a < g.n; a++)
        free(g.data[a]);
    sm_sgsnn_destroy(net);
    sm_train_data_free(&d);
    json_decref(doc);
}

/* Drops the columns whose name starts with `prefix` and the timing columns. */
static void drop_cols(json_t *tab, const char *prefix)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(tab, tmp, key, v)
    {
        if (!strncmp(key, prefix, strlen(prefix)) || !strcmp(key, "epoch_s") ||
            !strcmp(key, "sleep_s") || !strcmp(key, "wall_s") || !strcmp(key, "mask_s"))
            json_object_del(tab, key);
    }
}

/* diag.iid = 0 (the default) adds nothing to the document, and diag.iid = 1 changes
 * nothing else: the evaluations without their diag_* (and timing) columns and the final
 * results are identical, for the SG-SNN and the STDP network. */
static void iid_diag_changes_nothing_else(void **state)
{
    (void)state;
    for (int model = 0; model < 2; model++) {
        sm_config cfg = synth_config();
        if (model == 1) {
            cfg.train.model = SM_MODEL_STDP;
            cfg.data.n_train = 40;
            cfg.data.n_val = 8;
            cfg.data.n_test = 16;
            cfg.data.batch = 20;
            cfg.input.steps_per_image = 20;
            cfg.train.eval_fit = 20;
        }
        sm_config on = cfg;
        on.diag.iid = 1;
        json_t *a = run(&cfg), *b = run(&on);
        json_t *ta = json_object_get(a, "evaluations"), *tb = json_object_get(b, "evaluations");
        const char *key;
        json_t *v;
        json_object_foreach(ta, key, v) assert_true(strncmp(key, "diag_", 5) != 0);
        assert_null(json_object_get(json_object_get(a, "timing"), "diag_s"));
        assert_non_null(json_object_get(json_object_get(b, "timing"), "diag_s"));
        assert_true(json_object_size(tb) > json_object_size(ta));
        drop_cols(ta, "diag_");
        drop_cols(tb, "diag_");
        assert_true(json_equal(ta, tb));
        assert_true(json_equal(json_object_get(a, "final"), json_object_get(b, "final")));
        json_decref(a);
        json_decref(b);
    }
}

/* The STDP network with diag.iid: E and I columns on every evaluation row (before training
 * too) and the pathway columns of spec 1.6; the fraction at a bound equals the monitor's
 * own frac_at_bound_<P> column, and sum |w| over its start is 1 before training and equals
 * sum_abs_<P> over the initial weights' sum_abs after. */
static void iid_stdp_diag_columns(void **state)
{
    (void)state;
    sm_config cfg = stdp_config(20);
    cfg.diag.iid = 1;
    json_t *doc = run(&cfg);
    const size_t rows = json_array_size(eval_col(doc, "val_accuracy"));
    assert_int_equal(rows, 3); /* before training and after each of the 2 batches */
    const char *pops[2] = {"E", "I"};
    for (int q = 0; q < 2; q++) {
        char key[64];
        snprintf(key, sizeof key, "diag_%s_dormant_0.1", pops[q]);
        json_t *c = eval_col(doc, key);
        assert_int_equal(json_array_size(c), rows);
        for (size_t r = 0; r < rows; r++) {
            const double x = json_number_value(json_array_get(c, r));
            assert_true(json_is_number(json_array_get(c, r)) && x >= 0 && x <= 1);
        }
        snprintf(key, sizeof key, "diag_%s_srank_frac", pops[q]);
        assert_int_equal(json_array_size(eval_col(doc, key)), rows);
    }
    json_t *w0 = json_object_get(doc, "weights_initial");
    for (int p = 0; p < SM_N_PATHS; p++) {
        const char *pn = sm_pathway_name(p);
        char at[64], mon[64], ratio[64], sum[64], near[64];
        snprintf(at, sizeof at, "diag_%s_frac_at_bound", pn);
        snprintf(near, sizeof near, "diag_%s_frac_near_bound", pn);
        snprintf(mon, sizeof mon, "frac_at_bound_%s", pn);
        snprintf(ratio, sizeof ratio, "diag_%s_sum_abs_ratio", pn);
        snprintf(sum, sizeof sum, "sum_abs_%s", pn);
        const double s0 = json_number_value(json_object_get(json_object_get(w0, pn), "sum_abs"));
        for (size_t r = 0; r < rows; r++) {
            const double a = json_number_value(json_array_get(eval_col(doc, at), r));
            const double m = json_number_value(json_array_get(eval_col(doc, mon), r));
            const double nb = json_number_value(json_array_get(eval_col(doc, near), r));
            assert_true(fabs(a - m) < 1e-12);
            assert_true(nb >= a);
            const double ra = json_number_value(json_array_get(eval_col(doc, ratio), r));
            const double su = json_number_value(json_array_get(eval_col(doc, sum), r));
            if (s0 > 0) assert_true(fabs(ra - su / s0) < 1e-6 * (1 + ra));
            if (r == 0 && s0 > 0) assert_true(fabs(ra - 1) < 1e-12);
        }
    }
    json_decref(doc);
}

/* diag.iid needs a validation split for its probe set: one error naming the key. */
static void iid_diag_needs_validation_images(void **state)
{
    (void)state;
    sm_config cfg = synth_config();
    cfg.diag.iid = 1;
    cfg.data.n_val = 0;
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    json_t *doc = NULL;
    sm_error err;
    assert_int_equal(sm_train_run(&cfg, &d, NULL, NULL, &doc, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "diag.iid"));
    assert_null(doc);
    sm_train_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_counts_match_predict_and_a_hand_loop),
        cmocka_unit_test(sam_rho_zero_is_adam_bit_for_bit),
        cmocka_unit_test(sam_second_gradient_is_taken_at_theta_plus_eps),
        cmocka_unit_test(resets_and_shrink_perturb),
        cmocka_unit_test(redo_reinitialises_the_dormant_neurons_only),
        cmocka_unit_test(summary_by_hand),
        cmocka_unit_test(stream_chunks),
        cmocka_unit_test(protocol_is_thread_independent),
        cmocka_unit_test(protocol_runs_with_two_hidden_layers),
        cmocka_unit_test(protocol_exports_its_arrays),
        cmocka_unit_test(protocol_refuses_what_is_not_built),
        cmocka_unit_test(iid_sgsnn_diag_matches_a_recomputation),
        cmocka_unit_test(iid_diag_changes_nothing_else),
        cmocka_unit_test(iid_stdp_diag_columns),
        cmocka_unit_test(stdp_runs_the_dataset_shift),
        cmocka_unit_test(iid_diag_needs_validation_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
