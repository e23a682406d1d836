/* Tests of the continual-learning protocol (spec continual.md, target C1): the metrics of
 * hand-made accuracy matrices, the linear CKA, the ridge head from accumulated statistics
 * against an independent batch fit (LAPACKE least squares), the task streams, and the
 * random-network anchors of section 3 (drift exactly 0, final row of R equal to a joint
 * ridge fit, class-IL BWT below 0). Small synthetic runs. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/continual_metrics.h"
#include "somnus/analysis/ridge_stats.h"
#include "somnus/core/config.h"
#include "somnus/core/rng.h"
#include "somnus/protocol/train.h"
#include "protocol/continual_sgsnn.h"
#include "protocol/continual_stream.h"
#include "testutil.h"

#define N NAN

static void metrics_of_a_class_incremental_R(void **state)
{
    (void)state;
    /* rows: after 0..3 tasks; null above the diagonal (tasks not yet seen) */
    const double R[] = {N, N, N, 0.9, N, N, 0.95, 0.8, N, 0.5, 0.4, 0.7};
    sm_cl_metrics m;
    assert_int_equal(sm_cl_metrics_compute(R, 3, NULL, &m, NULL), SM_OK);
    assert_float_equal(m.acc, (0.5 + 0.4 + 0.7) / 3, 1e-15);
    /* A_1 = 0.9, A_2 = (0.95 + 0.8) / 2, A_3 = ACC */
    assert_float_equal(m.aia, (0.9 + 0.875 + 1.6 / 3) / 3, 1e-15);
    assert_float_equal(m.bwt, ((0.5 - 0.9) + (0.4 - 0.8)) / 2, 1e-15);
    /* task 1: max(0.9 - 0.5, 0.95 - 0.5) = 0.45; task 2: 0.8 - 0.4 = 0.4 */
    assert_float_equal(m.forgetting, (0.45 + 0.4) / 2, 1e-15);
    assert_true(isnan(m.fwt)); /* R[0] and R[j-1][j] are null in class-IL */
    assert_float_equal(m.plasticity, (0.9 + 0.8 + 0.7) / 3, 1e-15);
    /* weighted A_i (test sizes 1, 3, 1) */
    const double w[] = {1, 3, 1};
    assert_int_equal(sm_cl_metrics_compute(R, 3, w, &m, NULL), SM_OK);
    assert_float_equal(m.aia, (0.9 + (0.95 + 3 * 0.8) / 4 + (0.5 + 1.2 + 0.7) / 5) / 3, 1e-15);
}

static void metrics_of_a_domain_incremental_R(void **state)
{
    (void)state;
    const double R[] = {0.1, 0.2, 0.9, 0.3, 0.7, 0.8};
    sm_cl_metrics m;
    assert_int_equal(sm_cl_metrics_compute(R, 2, NULL, &m, NULL), SM_OK);
    assert_float_equal(m.acc, 0.75, 1e-15);
    assert_float_equal(m.aia, (0.9 + 0.75) / 2, 1e-15);
    assert_float_equal(m.bwt, -0.2, 1e-15);
    assert_float_equal(m.forgetting, 0.2, 1e-15);
    assert_float_equal(m.fwt, 0.3 - 0.2, 1e-15);
    assert_float_equal(m.plasticity, 0.85, 1e-15);
    /* one task: no backward or forward transfer */
    const double R1[] = {0.1, 0.6};
    assert_int_equal(sm_cl_metrics_compute(R1, 1, NULL, &m, NULL), SM_OK);
    assert_float_equal(m.acc, 0.6, 1e-15);
    assert_true(isnan(m.bwt) && isnan(m.forgetting) && isnan(m.fwt));
    sm_error err;
    assert_int_equal(sm_cl_metrics_compute(R1, 0, NULL, &m, &err), SM_EINVAL);
    const double w0[] = {0};
    assert_int_equal(sm_cl_metrics_compute(R1, 1, w0, &m, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "weight"));
}

static void cka_is_one_for_the_same_representation(void **state)
{
    (void)state;
    enum { n = 40, d = 6 };
    float X[n * d], Y[n * d], Z[n * 1];
    sm_rng r;
    sm_rng_init(&r, 3, SM_STREAM_USER, 0);
    for (int i = 0; i < n * d; i++) {
        X[i] = (float)sm_rng_normal(&r);
        Y[i] = 2 * X[i] + 1; /* CKA is invariant to scale and shift */
    }
    assert_true(sm_cl_linear_cka(X, d, X, d, n) == 1.0);
    assert_float_equal(sm_cl_linear_cka(X, d, Y, d, n), 1.0, 1e-6);
    for (int i = 0; i < n; i++)
        Z[i] = 5;
    assert_true(isnan(sm_cl_linear_cka(X, d, Z, 1, n)));
    /* a different representation: CKA below 1 */
    for (int i = 0; i < n * d; i++)
        Y[i] = (float)sm_rng_normal(&r);
    const double c = sm_cl_linear_cka(X, d, Y, d, n);
    assert_true(c > 0 && c < 0.9);
}

/* The head from statistics added in chunks equals the batch ridge fit computed by LAPACK's
 * least squares on the augmented system [X; sqrt(lambda) I] W = [Y; 0] (QR, not the normal
 * equations), to 1e-9 relative. */
static void ridge_from_statistics_equals_the_batch_fit(void **state)
{
    (void)state;
    enum { n = 60, d = 7, c = 3 };
    float x[n * d];
    int y[n];
    sm_rng r;
    sm_rng_init(&r, 11, SM_STREAM_USER, 1);
    for (int i = 0; i < n; i++) {
        y[i] = (int)(sm_rng_u32(&r) % c);
        for (int a = 0; a < d; a++)
            x[i * d + a] = (float)(sm_rng_uniform(&r) * 20 + (a == y[i] ? 10 : 0));
    }
    const double scale = 0.01, lambda = 0.05;
    sm_error err;
    sm_ridge_stats *s = sm_ridge_stats_create(d, c, &err);
    assert_non_null(s);
    assert_int_equal(sm_ridge_stats_add(s, x, y, 13, scale, &err), SM_OK);
    assert_int_equal(sm_ridge_stats_add(s, x + 13 * d, y + 13, 20, scale, &err), SM_OK);
    assert_int_equal(sm_ridge_stats_add(s, x + 33 * d, y + 33, 27, scale, &err), SM_OK);
    assert_int_equal(s->n_class[0] + s->n_class[1] + s->n_class[2], n);
    const int cls[] = {2, 0}; /* a subset of the classes, in any order */
    double W[d * 2];
    assert_int_equal(sm_ridge_solve(s, lambda, cls, 2, W, &err), SM_OK);
    double A[(n + d) * d], B[(n + d) * 2];
    memset(A, 0, sizeof A);
    memset(B, 0, sizeof B);
    for (int i = 0; i < n; i++) {
        for (int a = 0; a < d; a++)
            A[i * d + a] = scale * x[i * d + a];
        B[i * 2 + 0] = y[i] == 2;
        B[i * 2 + 1] = y[i] == 0;
    }
    for (int a = 0; a < d; a++)
        A[(n + a) * d + a] = sqrt(lambda);
    assert_int_equal(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', n + d, d, 2, A, d, B, 2), 0);
    for (int k = 0; k < d * 2; k++)
        assert_true(fabs(W[k] - B[k]) <= 1e-9 * fabs(B[k]) + 1e-12);
    /* scores are x W */
    double sc[2];
    sm_ridge_scores(W, d, 2, x, 1, scale, sc);
    double want = 0;
    for (int a = 0; a < d; a++)
        want += scale * x[a] * W[a * 2 + 1];
    assert_float_equal(sc[1], want, 1e-12);
    /* a bad label adds nothing; a singular G without ridge is refused */
    const int bad = 3;
    assert_int_equal(sm_ridge_stats_add(s, x, &bad, 1, scale, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "label 3"));
    sm_ridge_stats_free(s);
    s = sm_ridge_stats_create(d, c, &err);
    assert_int_equal(sm_ridge_solve(s, 0, cls, 2, W, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "positive definite"));
    sm_ridge_stats_free(s);
}

static void streams_parse_and_refuse_mistakes(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    c.protocol.kind = SM_PROTOCOL_CONTINUAL;
    sm_cl_stream s;
    sm_error err;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    assert_int_equal(s.n_tasks, 5);
    assert_int_equal(s.scenario, SM_CL_CLASS);
    assert_int_equal(s.group[3][0], 6);
    assert_int_equal(s.group[3][1], 7);
    assert_int_equal(s.task_of[9], 4);
    assert_int_equal(s.n_outputs, 10);
    sm_config d;
    assert_int_equal(sm_cl_data_config(&c, &d, &err), SM_OK);
    assert_int_equal(d.data.n_train, 6000);
    assert_int_equal(d.data.n_val, 600);
    assert_int_equal(d.data.n_test, 2000);
    /* custom grouping, domain scenario: labels are positions in the task */
    snprintf(c.cl.stream, sizeof c.cl.stream, "split:mnist:0,1,2/3,4,5/6,7,8,9");
    c.cl.scenario = SM_CL_DOMAIN;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    assert_int_equal(s.n_tasks, 3);
    assert_int_equal(s.n_group[2], 4);
    assert_int_equal(s.pos_of[8], 2);
    assert_int_equal(s.n_outputs, 4);
    /* shuffled order: the same classes, dealt from the seed */
    snprintf(c.cl.stream, sizeof c.cl.stream, "split-mnist");
    c.cl.scenario = SM_CL_AUTO;
    c.cl.order = SM_CL_SHUFFLED;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    int seen[10] = {0};
    for (int t = 0; t < 5; t++)
        for (int k = 0; k < 2; k++)
            seen[s.group[t][k]]++;
    for (int k = 0; k < 10; k++)
        assert_int_equal(seen[k], 1);
    /* permuted: domain-IL, 10 tasks, permutations of the pixels */
    c.cl.order = SM_CL_FIXED;
    snprintf(c.cl.stream, sizeof c.cl.stream, "permuted-mnist");
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    assert_int_equal(s.n_tasks, 10);
    assert_int_equal(s.scenario, SM_CL_DOMAIN);
    int p0[225], p1[225], cnt[225] = {0}, moved = 0;
    sm_cl_permutation(0, 225, 1, p0);
    sm_cl_permutation(3, 225, 1, p1);
    for (int k = 0; k < 225; k++) {
        assert_int_equal(p0[k], k);
        cnt[p1[k]]++;
        moved += p1[k] != k;
    }
    for (int k = 0; k < 225; k++)
        assert_int_equal(cnt[k], 1);
    assert_true(moved > 200);
    c.cl.scenario = SM_CL_CLASS;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "domain"));
    /* mistakes name the key */
    c.cl.scenario = SM_CL_AUTO;
    snprintf(c.cl.stream, sizeof c.cl.stream, "split-fashion");
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "data.dataset=fashion"));
    snprintf(c.cl.stream, sizeof c.cl.stream, "split:mnist:0,1/1,2");
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));
    snprintf(c.cl.stream, sizeof c.cl.stream, "rotated-mnist");
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "cl.stream"));
}

/* A small stream on the synthetic shapes (4 classes). */
static void small_config(sm_config *c, const char *stream)
{
    sm_config_default(c);
    c->protocol.kind = SM_PROTOCOL_CONTINUAL;
    snprintf(c->data.dataset, sizeof c->data.dataset, "synthetic:100");
    snprintf(c->cl.stream, sizeof c->cl.stream, "split:synthetic:100:%s", stream);
    c->cl.per_class_train = 20;
    c->cl.per_class_val = 6;
    c->cl.per_class_test = 10;
    c->cl.probe_per_class = 4;
    c->cl.drift_images = 24;
    c->data.batch = 20;
    c->input.steps_per_image = 100; /* each frozen presentation starts from rest */
    c->sleep.period = 2000;
    c->run.threads = 1;
}

static json_t *run(const sm_config *c)
{
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *res = NULL;
    if (sm_train_run(c, &d, NULL, NULL, &res, &err) != SM_OK) fail_msg("%s", err.msg);
    sm_train_data_free(&d);
    return res;
}

static double num(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Section 3's anchors for the fixed random network (plasticity and sleep off). */
static void frozen_random_network_anchors(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "0,1/2,3");
    c.stdp.rule = SM_STDP_NONE;
    c.sleep.rate = 0;
    c.ip.rule = SM_IP_NONE; /* frozen: no synaptic, sleep or intrinsic change */
    json_t *res = run(&c);
    json_t *cont = json_object_get(res, "continual");
    assert_non_null(cont);
    json_t *drift = json_array_get(json_object_get(cont, "drift"), 0);
    assert_int_equal(json_array_size(drift), 2);
    for (size_t k = 0; k < 2; k++)
        assert_true(num(json_array_get(drift, k)) == 0.0); /* exactly */
    json_t *R = json_object_get(cont, "R");
    assert_int_equal(json_array_size(R), 3);
    assert_true(json_is_null(json_array_get(json_array_get(R, 0), 0)));
    assert_true(json_is_null(json_array_get(json_array_get(R, 1), 1)));
    const double a1 = num(json_array_get(json_array_get(R, 2), 0));
    const double a2 = num(json_array_get(json_array_get(R, 2), 1));
    assert_true(num(json_object_get(cont, "bwt")) < 0); /* the readout's own forgetting */
    /* the joint fit: one task of all four classes, same images */
    sm_config j;
    small_config(&j, "0,1,2,3");
    j.stdp.rule = SM_STDP_NONE;
    j.sleep.rate = 0;
    j.ip.rule = SM_IP_NONE;
    json_t *rj = run(&j);
    json_t *Rj = json_object_get(json_object_get(rj, "continual"), "R");
    const double joint = num(json_array_get(json_array_get(Rj, 1), 0));
    assert_float_equal((a1 + a2) / 2, joint, 1e-9);
    json_decref(res);
    json_decref(rj);
}

static void learning_run_reports_R_and_metrics(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "0,1/2,3");
    c.sleep.rate = 0.2;
    json_t *res = run(&c);
    assert_string_equal(json_string_value(json_object_get(res, "protocol")), "continual");
    json_t *cont = json_object_get(res, "continual");
    const char *keys[] = {"R",   "R_task",     "acc",   "aia",   "bwt",   "forgetting",
                          "fwt", "plasticity", "stats", "probe", "drift", "tasks"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_non_null(json_object_get(cont, keys[k]));
    const double acc = num(json_object_get(cont, "acc"));
    assert_true(acc >= 0 && acc <= 1);
    assert_float_equal(num(json_object_get(json_object_get(res, "final"), "test_accuracy")), acc,
                       0);
    /* task-IL is at least class-IL on the final row (fewer outputs to choose from) */
    json_t *Rt = json_object_get(cont, "R_task");
    json_t *R = json_object_get(cont, "R");
    for (size_t k = 0; k < 2; k++)
        assert_true(num(json_array_get(json_array_get(Rt, 2), k)) >=
                    num(json_array_get(json_array_get(R, 2), k)));
    const double d0 = num(json_array_get(json_array_get(json_object_get(cont, "drift"), 0), 0));
    assert_true(d0 >= 0 && d0 <= 1);
    json_decref(res);
    /* no joint reference for the STDP network */
    c.cl.joint = 1;
    sm_train_data d;
    sm_error err;
    assert_int_equal(sm_train_data_load(&c, &d, &err), SM_OK);
    assert_int_equal(sm_train_run(&c, &d, NULL, NULL, &res, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "cl.joint"));
    sm_train_data_free(&d);
    c.cl.joint = 0;
}

/* The SG-SNN's scoring rules on hand-made counts: split MNIST after 2 tasks, class-IL
 * allows {0..3}, task-IL of task 2 allows {2, 3}. */
static void sgsnn_scoring_rules(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    snprintf(c.data.dataset, sizeof c.data.dataset, "mnist");
    sm_cl_stream s;
    sm_error err;
    assert_int_equal(sm_cl_stream_parse(&c, &s, &err), SM_OK);
    unsigned char ok[SM_CL_MAX_CLASSES];
    sm_cl_sgsnn_allowed(&s, SM_CL_CLASS, 2, 0, 1, ok);
    for (int o = 0; o < 10; o++)
        assert_int_equal(ok[o], o < 4);
    sm_cl_sgsnn_allowed(&s, SM_CL_TASK, 2, 0, 1, ok);
    for (int o = 0; o < 10; o++)
        assert_int_equal(ok[o], o == 2 || o == 3);
    /* image 0: largest count on 9 (not allowed), then 2 = label; image 1: tie 2/3 -> 2,
     * label 3 */
    float counts[20] = {0};
    counts[9] = 50, counts[2] = 7, counts[0] = 3;
    counts[10 + 2] = 4, counts[10 + 3] = 4;
    const int y[2] = {2, 3};
    assert_true(sm_cl_sgsnn_accuracy(counts, y, 2, 10, ok) == 0.5);
    sm_cl_sgsnn_allowed(&s, SM_CL_CLASS, 5, 0, 0, ok);
    assert_true(sm_cl_sgsnn_accuracy(counts, y, 2, 10, ok) == 0.0);
}

static json_t *load(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (!doc) fail_msg("%s: %s", path, e.text);
    return doc;
}

/* The quick experiment on the synthetic shapes: the results keys, 7 conditions (plus their
 * task-IL rows), R per condition, H1's paired differences, the files, and one run equal to
 * `somnus train` with the same configuration. */
static void continual_sleep_quick(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(
        tu_cli(dir,
               "experiment continual-sleep --quick --quiet --set "
               "data.dataset=synthetic:100 --set cl.stream=split:synthetic:100:0,1/2,3 "
               "--set cl.per_class_train=20 --set cl.per_class_val=6 --set "
               "cl.per_class_test=10 --set cl.images_per_task=20 --set "
               "cl.drift_images=24 --set cl.probe_per_class=4 --set sleep.period=2000 "
               "--out e.json",
               &out),
        0);
    free(out);
    json_t *doc = load(dir, "e.json");
    json_t *res = json_object_get(doc, "results");
    json_t *conds = json_object_get(res, "conditions");
    assert_int_equal(json_array_size(conds), 14);
    const char *keys[] = {"model", "stream", "scenario",   "condition",
                          "acc",   "bwt",    "forgetting", "n_seeds"};
    for (size_t i = 0; i < 14; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_non_null(json_object_get(json_array_get(conds, i), keys[k]));
    json_t *c0 = json_array_get(conds, 0);
    assert_string_equal(json_string_value(json_object_get(c0, "condition")), "random-20");
    assert_true(num(json_object_get(c0, "drift_task1")) == 0.0);
    json_t *R = json_object_get(json_object_get(res, "R"), "published-sleep0.2-20");
    assert_int_equal(json_array_size(R), 3);
    json_t *h = json_object_get(json_object_get(res, "H1"), "20");
    json_t *d = json_object_get(h, "published: BWT(sleep 0.2) - BWT(sleep 0)");
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "n")), 1);
    char path[4096];
    const char *files[] = {"e-conditions.csv", "e-runs.csv", "e-R-random-20.png"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        assert_true(tu_exists(path));
    }
    /* the published-sign, sleep 0.2 run again through `somnus train` */
    json_t *c3 = json_array_get(conds, 6);
    assert_string_equal(json_string_value(json_object_get(c3, "condition")),
                        "published-sleep0.2-20");
    assert_int_equal(
        tu_cli(dir, "train --config e.json --set sleep.rate=0.2 --quiet --out one.json", &out), 0);
    free(out);
    json_t *one = load(dir, "one.json");
    assert_float_equal(num(json_object_get(json_object_get(one, "continual"), "acc")),
                       num(json_object_get(c3, "acc")), 0);
    json_decref(one);
    json_decref(doc);
    /* a condition name that does not exist: exit 2, naming it */
    assert_int_equal(
        tu_cli(dir, "experiment continual-sleep --quick --set cl.conditions=random,bogus", &out),
        2);
    assert_non_null(strstr(out, "cl.conditions: 'bogus'"));
    free(out);
}

/* The SG-SNN experiment's split-stream conditions (C2) on the synthetic shapes with a small
 * network: fine-tuning, joint, sleep published and epoch 0.2 (each with its task-IL row),
 * R per condition (the joint one defined on its last row only), the paired sleep - none
 * differences, the files, and one run equal to `somnus train` with the same settings. */
static void continual_sgsnn_quick(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(
        tu_cli(dir,
               "experiment continual-sgsnn --quick --quiet --set data.dataset=synthetic:100 "
               "--set cl.stream=split:synthetic:100:0,1/2,3 --set "
               "cl.conditions=split-finetune,split-joint,split-published0.2,split-epoch0.2 "
               "--set cl.per_class_train=20 --set cl.per_class_val=6 --set "
               "cl.per_class_test=10 --set sgsnn.n_hidden=16 --set sgsnn.steps=10 --set "
               "sgsnn.batch=10 --out e.json",
               &out),
        0);
    free(out);
    json_t *doc = load(dir, "e.json");
    json_t *res = json_object_get(doc, "results");
    json_t *conds = json_object_get(res, "conditions");
    assert_int_equal(json_array_size(conds), 8);
    const char *keys[] = {"model", "stream", "scenario",   "condition",
                          "acc",   "bwt",    "forgetting", "n_seeds"};
    for (size_t i = 0; i < 8; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_non_null(json_object_get(json_array_get(conds, i), keys[k]));
    json_t *c0 = json_array_get(conds, 0), *c1 = json_array_get(conds, 1);
    assert_string_equal(json_string_value(json_object_get(c0, "condition")), "split-finetune");
    assert_string_equal(json_string_value(json_object_get(c0, "scenario")), "class");
    assert_string_equal(json_string_value(json_object_get(c1, "scenario")), "task");
    assert_string_equal(json_string_value(json_object_get(c0, "model")), "sgsnn");
    json_t *R = json_object_get(json_object_get(res, "R"), "split-joint");
    assert_int_equal(json_array_size(R), 3);
    assert_true(json_is_null(json_array_get(json_array_get(R, 1), 0))); /* joint: last row */
    assert_true(json_is_number(json_array_get(json_array_get(R, 2), 1)));
    assert_true(json_is_null(json_object_get(json_array_get(conds, 2), "bwt")));
    json_t *p =
        json_object_get(json_object_get(res, "paired"), "split-published0.2 - split-finetune");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "acc"), "n")), 1);
    assert_int_equal(json_array_size(json_object_get(res, "targets")), 0); /* not split MNIST */
    char path[4096];
    const char *files[] = {"e-conditions.csv", "e-runs.csv", "e-R-split-finetune.png",
                           "e-R_task-split-epoch0.2.png"};
    for (size_t k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        assert_true(tu_exists(path));
    }
    /* the fine-tuning run again through `somnus train` */
    assert_int_equal(tu_cli(dir,
                            "train --config e.json --set sgsnn.sleep_mode=none --set "
                            "sleep.rate=0 --set cl.tasks=0 --quiet --out one.json",
                            &out),
                     0);
    free(out);
    json_t *one = load(dir, "one.json");
    json_t *oc = json_object_get(one, "continual");
    assert_float_equal(num(json_object_get(oc, "acc")), num(json_object_get(c0, "acc")), 0);
    assert_float_equal(num(json_object_get(oc, "bwt")), num(json_object_get(c0, "bwt")), 0);
    json_decref(one);
    json_decref(doc);
    assert_int_equal(
        tu_cli(dir, "experiment continual-sgsnn --quick --set cl.conditions=split-bogus", &out), 2);
    assert_non_null(strstr(out, "cl.conditions: 'split-bogus'"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_of_a_class_incremental_R),
        cmocka_unit_test(metrics_of_a_domain_incremental_R),
        cmocka_unit_test(cka_is_one_for_the_same_representation),
        cmocka_unit_test(ridge_from_statistics_equals_the_batch_fit),
        cmocka_unit_test(streams_parse_and_refuse_mistakes),
        cmocka_unit_test(frozen_random_network_anchors),
        cmocka_unit_test(learning_run_reports_R_and_metrics),
        cmocka_unit_test(sgsnn_scoring_rules),
        cmocka_unit_test_setup_teardown(continual_sleep_quick, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(continual_sgsnn_quick, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
