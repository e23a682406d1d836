/* Tests of the training protocol (train.c, train_stdp.c, train_sgsnn.c): class lists,
 * data preparation, the evaluation table, evaluation on a snapshot, thread independence,
 * progress and cancelling, the SG-SNN path. Small synthetic runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/checkpoint.h"
#include "somnus/core/config.h"
#include "somnus/analysis/readout.h"
#include "somnus/models/disinh.h"
#include "somnus/protocol/train.h"
#include "somnus/protocol/train_options.h"
#include "testutil.h"

static void classes_parse(void **state)
{
    (void)state;
    int c[16], k;
    sm_error err;
    assert_int_equal(sm_train_parse_classes("all", 4, c, &k, &err), SM_OK);
    assert_int_equal(k, 4);
    assert_int_equal(c[3], 3);
    assert_int_equal(sm_train_parse_classes("0,1,7", 10, c, &k, &err), SM_OK);
    assert_int_equal(k, 3);
    assert_int_equal(c[2], 7);
    assert_int_equal(sm_train_parse_classes("0-2,7", 10, c, &k, &err), SM_OK);
    assert_int_equal(k, 4);
    assert_int_equal(c[2], 2);
    assert_int_equal(c[3], 7);
    assert_int_equal(sm_train_parse_classes("12", 10, c, &k, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "class 12 does not exist"));
    assert_int_equal(sm_train_parse_classes("1,1", 10, c, &k, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "listed twice"));
    assert_int_equal(sm_train_parse_classes("3", 10, c, &k, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "fewer than 2"));
    assert_int_equal(sm_train_parse_classes("a,b", 10, c, &k, &err), SM_EINVAL);
    assert_int_equal(sm_train_parse_classes("4-2", 10, c, &k, &err), SM_EINVAL);
    assert_int_equal(sm_train_parse_classes("1;2", 10, c, &k, &err), SM_EINVAL);
}

/* A small, fast configuration on the synthetic shapes. */
static void small_config(sm_config *c)
{
    sm_config_default(c);
    snprintf(c->data.dataset, sizeof c->data.dataset, "synthetic:100");
    c->data.n_train = 80;
    c->data.n_val = 20;
    c->data.n_test = 40;
    c->data.batch = 20;
    c->train.eval_fit = 40;
    c->input.steps_per_image = 30;
    c->sleep.period = 600;
    c->sleep.rate = 0.2;
    c->run.threads = 1;
}

static double image_sum(const sm_dataset *ds, int i)
{
    double s = 0;
    const float *x = sm_dataset_image(ds, i);
    for (int k = 0; k < ds->width * ds->height; k++)
        s += x[k];
    return s;
}

static void data_is_split_resized_and_normalized(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    snprintf(c.data.classes, sizeof c.data.classes, "1-3");
    c.input.width = c.input.height = 10;
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(d.train->n, 80);
    assert_int_equal(d.val->n, 20);
    assert_int_equal(d.test->n, 40);
    assert_int_equal(d.test_official, 0);
    assert_int_equal(d.train->width, 10);
    int counts[4];
    sm_dataset_class_counts(d.train, counts);
    assert_int_equal(counts[0], 0); /* class 0 not selected */
    assert_true(abs(counts[1] - counts[2]) <= 1 && abs(counts[2] - counts[3]) <= 1);
    /* STDP input: every image sums to 0.1 x 100 pixels. */
    for (int i = 0; i < d.train->n; i++)
        assert_float_near(image_sum(d.train, i), 10.0, 1e-3);
    sm_train_data_free(&d);

    c.train.model = SM_MODEL_SGSNN; /* currents: pixels stay in [0, 1] */
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    float mx = 0;
    for (int k = 0; k < d.train->n * 100; k++)
        mx = d.train->pixels[k] > mx ? d.train->pixels[k] : mx;
    assert_true(mx <= 1.0f && mx > 0.5f);
    sm_train_data_free(&d);
}

static void data_errors_name_the_problem(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    sm_train_data d;
    sm_error err;
    snprintf(c.data.classes, sizeof c.data.classes, "0,9");
    assert_int_equal(sm_train_data_load(&c, &d, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "class 9 does not exist"));
    assert_null(d.train);
    small_config(&c);
    c.data.n_train = 100000;
    assert_int_equal(sm_train_data_load(&c, &d, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "the split needs"));
    small_config(&c);
    snprintf(c.data.dataset, sizeof c.data.dataset, "idx:/nonexistent/img,/nonexistent/lbl");
    assert_int_not_equal(sm_train_data_load(&c, &d, &err), SM_OK);
    assert_non_null(strstr(err.msg, "/nonexistent/img"));
    small_config(&c);
    snprintf(c.data.dataset, sizeof c.data.dataset, "nosuchset");
    assert_int_equal(sm_train_data_load(&c, &d, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "nosuchset"));
}

static json_t *run(const sm_config *c, sm_error *err, sm_status *st)
{
    sm_train_data d;
    *st = sm_train_data_load(c, &d, err);
    if (*st != SM_OK) return NULL;
    json_t *doc = NULL;
    *st = sm_train_run(c, &d, NULL, NULL, &doc, err);
    sm_train_data_free(&d);
    return doc;
}

static json_t *run_ok(const sm_config *c)
{
    sm_error err;
    sm_status st;
    json_t *doc = run(c, &err, &st);
    if (st != SM_OK) fail_msg("%s", err.msg);
    return doc;
}

static json_t *col(json_t *doc, const char *name)
{
    return json_object_get(json_object_get(doc, "evaluations"), name);
}

static double fin(json_t *doc, const char *key)
{
    return json_number_value(json_object_get(json_object_get(doc, "final"), key));
}

static void stdp_run_has_one_row_per_batch_and_the_final_scores(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    json_t *doc = run_ok(&c);
    /* 80 images in batches of 20: the untrained network + 4 evaluations. */
    json_t *batch = col(doc, "batch");
    assert_int_equal(json_array_size(batch), 5);
    assert_int_equal(json_integer_value(json_array_get(batch, 4)), 4);
    assert_int_equal(json_integer_value(json_array_get(col(doc, "images"), 4)), 80);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(doc, "evaluations"), key, v)
    {
        if (json_array_size(v) != 5) fail_msg("column %s has %zu rows", key, json_array_size(v));
    }
    /* The untrained network's weights are the initial ones. */
    assert_float_near(json_number_value(json_array_get(col(doc, "plastic_sum_ratio"), 0)), 1.0,
                      1e-12);
    /* 80 images x 30 steps awake; sleep windows of 0.2 x 600 steps after every 600. */
    json_t *counters = json_object_get(doc, "counters");
    assert_int_equal(json_integer_value(json_object_get(counters, "wake_steps")), 2400);
    assert_true(json_integer_value(json_object_get(counters, "episodes")) == 3);
    /* The reported accuracy is n_correct / n_test exactly (the confusion matrix below
     * fixes n_correct independently: its diagonal). */
    assert_int_equal((int)fin(doc, "n_test"), 40);
    assert_true(fin(doc, "test_accuracy") == fin(doc, "n_correct") / 40.0);
    assert_int_equal((int)fin(doc, "n_fit_images"), 80);
    /* Confusion matrix: 4 x 4 counts summing to the test set, diagonal = n_correct. */
    json_t *cm = json_object_get(json_object_get(doc, "final"), "confusion");
    assert_int_equal(json_array_size(cm), 4);
    long total = 0, diag = 0;
    for (size_t t = 0; t < 4; t++)
        for (size_t p = 0; p < 4; p++) {
            long n = (long)json_integer_value(json_array_get(json_array_get(cm, t), p));
            total += n;
            diag += t == p ? n : 0;
        }
    assert_int_equal(total, 40);
    assert_int_equal(diag, (long)fin(doc, "n_correct"));
    /* Per-class accuracy: the diagonal over the row sums. */
    json_t *pca = json_object_get(json_object_get(doc, "final"), "per_class_accuracy");
    for (size_t t = 0; t < 4; t++) {
        long row = 0;
        for (size_t q = 0; q < 4; q++)
            row += (long)json_integer_value(json_array_get(json_array_get(cm, t), q));
        long d = (long)json_integer_value(json_array_get(json_array_get(cm, t), t));
        assert_true(row > 0);
        assert_true(json_number_value(json_array_get(pca, t)) == (double)d / (double)row);
    }
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "stdp");
    assert_non_null(json_object_get(json_object_get(doc, "config"), "data"));
    json_decref(doc);
}

/* The final readout's rows, copied out of the repr hook. */
typedef struct repr_copy {
    float *fit, *test;
    int *fit_y, *test_y;
    int n_fit, n_test, d;
} repr_copy;

static void copy_repr(void *ctx, const float *fit, const int *fit_labels, int n_fit,
                      const float *test, const int *test_labels, int n_test, int d)
{
    repr_copy *r = ctx;
    r->n_fit = n_fit;
    r->n_test = n_test;
    r->d = d;
    r->fit = malloc(sizeof(float) * (size_t)n_fit * d);
    r->test = malloc(sizeof(float) * (size_t)n_test * d);
    r->fit_y = malloc(sizeof(int) * (size_t)n_fit);
    r->test_y = malloc(sizeof(int) * (size_t)n_test);
    memcpy(r->fit, fit, sizeof(float) * (size_t)n_fit * d);
    memcpy(r->test, test, sizeof(float) * (size_t)n_test * d);
    memcpy(r->fit_y, fit_labels, sizeof(int) * (size_t)n_fit);
    memcpy(r->test_y, test_labels, sizeof(int) * (size_t)n_test);
}

/* eta squared = BCSS / (BCSS + WCSS) of rows x (n x d) by label, written out here in
 * double (two passes) as an independent check of the library's sm_phi. */
static double eta2(const float *x, const int *y, int n, int d)
{
    double bcss = 0, wcss = 0;
    for (int j = 0; j < d; j++) {
        double sum[16] = {0}, cnt[16] = {0}, all = 0;
        for (int i = 0; i < n; i++) {
            sum[y[i]] += x[(size_t)i * d + j];
            cnt[y[i]] += 1;
            all += x[(size_t)i * d + j];
        }
        all /= n;
        for (int k = 0; k < 16; k++)
            if (cnt[k] > 0) bcss += cnt[k] * (sum[k] / cnt[k] - all) * (sum[k] / cnt[k] - all);
        for (int i = 0; i < n; i++) {
            double m = sum[y[i]] / cnt[y[i]], e = x[(size_t)i * d + j] - m;
            wcss += e * e;
        }
    }
    return bcss + wcss > 0 ? bcss / (bcss + wcss) : 0;
}

static void final_reports_encoder_clipping(void **state)
{
    (void)state;
    /* Sum-normalized images (sum 0.1 x 225 = 22.5) at gain 4, whose brightest pixels
     * would need a probability above 1: the results say how much drive was asked and given. The
     * reference sums the clipped pixels of the training images here. */
    sm_config c;
    small_config(&c);
    c.input.gain = 4; /* so that the brightest pixels clip */
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    double asked = 0, given = 0, given_min = 1e300;
    int clipped_images = 0;
    for (int i = 0; i < d.train->n; i++) {
        const float *x = sm_dataset_image(d.train, i);
        double g = 0;
        int clip = 0;
        for (int k = 0; k < 225; k++) {
            const double p = 4.0 * x[k];
            asked += p;
            g += p > 1 ? 1.0 : p;
            clip |= p > 1;
        }
        given += g;
        given_min = g < given_min ? g : given_min;
        clipped_images += clip;
    }
    sm_train_data_free(&d);
    json_t *doc = run_ok(&c);
    const int n = 80;
    assert_float_near(fin(doc, "encoder_drive_asked"), 4 * 22.5, 1e-4);
    assert_float_near(fin(doc, "encoder_drive_asked"), asked / n, 1e-9);
    assert_float_near(fin(doc, "encoder_drive_given"), given / n, 1e-9);
    assert_float_near(fin(doc, "encoder_drive_given_min"), given_min, 1e-9);
    assert_float_near(fin(doc, "encoder_clipped_fraction"), (double)clipped_images / n, 1e-12);
    /* not vacuous: this data does clip */
    assert_true(clipped_images > 0);
    assert_true(fin(doc, "encoder_drive_given") < 4 * 22.5 - 0.1);
    json_decref(doc);
}

/* A frozen network with input-driven activity separates the shapes well above chance
 * (0.25): the readout and representation path work end to end. The final scores are
 * checked against values computed here from the representations the run hands out:
 * the accuracy is what the readout of readout.* (pca_logreg, defaults) scores on those
 * rows, to the row, and test_phi is eta squared of the test rows, recomputed. */
static void frozen_network_reads_out_above_chance(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.stdp.rule = SM_STDP_NONE;
    c.sleep.mode = SM_SLEEP_NONE;
    c.input.steps_per_image = 100;
    c.data.n_train = 160;
    c.data.n_test = 80;
    c.train.eval_every = 0;
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    repr_copy r = {0};
    sm_train_options opt = {.repr_fn = copy_repr, .repr_ctx = &r};
    json_t *doc = NULL;
    if (sm_train_run_opts(&c, &d, &opt, &doc, &err) != SM_OK) fail_msg("%s", err.msg);
    sm_train_data_free(&d);
    assert_int_equal(json_object_size(json_object_get(doc, "evaluations")), 0);
    assert_int_equal(r.n_fit, 160);
    assert_int_equal(r.n_test, 80);
    assert_int_equal(r.d, c.net.n_exc);

    sm_readout_params p;
    sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
    sm_readout_result res;
    assert_int_equal(sm_readout_score(&p, r.fit, r.fit_y, r.n_fit, r.test, r.test_y, r.n_test, r.d,
                                      NULL, &res, &err),
                     SM_OK);
    assert_int_equal((int)fin(doc, "n_correct"), res.n_correct);
    assert_int_equal((int)fin(doc, "n_components"), res.n_components);
    /* Above chance: 4 balanced classes, 80 test rows; a chance-level readout scores
     * 20 +- 3.9 (binomial sd): 0.6 is 7 sd above it. */
    assert_true(fin(doc, "test_accuracy") > 0.6);
    double phi = eta2(r.test, r.test_y, r.n_test, r.d);
    assert_float_near(fin(doc, "test_phi"), phi, 1e-12);
    assert_true(phi > 0.02);
    assert_float_near(fin(doc, "plastic_sum_ratio"), 1.0, 1e-12);
    json_decref(doc);
    free(r.fit);
    free(r.test);
    free(r.fit_y);
    free(r.test_y);
}

static json_t *without_timing(json_t *doc)
{
    json_object_del(doc, "timing");
    json_t *ev = json_object_get(doc, "evaluations");
    json_object_del(ev, "wall_s");
    json_object_del(ev, "epoch_s");
    json_object_del(ev, "sleep_s");
    json_object_del(ev, "samples_per_s");
    return doc;
}

/* Evaluating runs on a snapshot: the training trajectory, the final weights and the
 * final scores are the same whether or not (and how often) it is evaluated. */
static void evaluation_does_not_change_training(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    json_t *a = run_ok(&c);
    c.train.eval_every = 0;
    json_t *b = run_ok(&c);
    json_t *fa = json_object_get(a, "final"), *fb = json_object_get(b, "final");
    if (!json_equal(fa, fb)) {
        json_dumpf(fa, stderr, JSON_COMPACT);
        fputs("\n", stderr);
        json_dumpf(fb, stderr, JSON_COMPACT);
        fputs("\n", stderr);
        json_dumpf(json_object_get(a, "counters"), stderr, JSON_COMPACT);
        json_dumpf(json_object_get(b, "counters"), stderr, JSON_COMPACT);
    }
    assert_true(json_equal(fa, fb));
    assert_true(json_equal(json_object_get(a, "counters"), json_object_get(b, "counters")));
    /* The monitor series covers training only, so it matches too. */
    assert_true(json_equal(json_object_get(a, "monitor"), json_object_get(b, "monitor")));
    json_decref(a);
    json_decref(b);
}

static void same_results_for_one_and_two_threads(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.run.parallel_min = 0; /* make the small network use the threads */
    json_t *a = without_timing(run_ok(&c));
    c.run.threads = 2;
    json_t *b = without_timing(run_ok(&c));
    json_object_del(json_object_get(a, "config"), "run");
    json_object_del(json_object_get(b, "config"), "run");
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

typedef struct progress_log {
    int64_t last_done, total, calls;
    int stop_after;
    int monotone;
} progress_log;

static int on_progress(void *ctx, const sm_train_progress *p)
{
    progress_log *l = ctx;
    if (p->done < l->last_done) l->monotone = 0;
    l->last_done = p->done;
    l->total = p->total;
    l->calls++;
    return l->stop_after > 0 && l->calls >= l->stop_after;
}

static void progress_reaches_total_and_can_cancel(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    progress_log log = {0, 0, 0, 0, 1};
    json_t *doc = NULL;
    assert_int_equal(sm_train_run(&c, &d, on_progress, &log, &doc, &err), SM_OK);
    assert_true(log.monotone);
    /* 80 training + 5 evaluations x (40 + 20) + final (80 + 40). */
    assert_int_equal(log.total, 80 + 5 * 60 + 120);
    assert_int_equal(log.last_done, log.total);
    json_decref(doc);
    doc = NULL;
    progress_log stop = {0, 0, 0, 10, 1};
    assert_int_equal(sm_train_run(&c, &d, on_progress, &stop, &doc, &err), SM_ECANCELED);
    assert_null(doc);
    assert_int_equal(stop.calls, 10);
    sm_train_data_free(&d);
}

static void batch_schedule_sleeps_once_per_batch(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.sleep.schedule = SM_SCHED_BATCH;
    json_t *doc = run_ok(&c);
    json_t *sleep = json_object_get(json_object_get(doc, "config"), "sleep");
    /* period = batch x steps per image = 20 x 30 */
    assert_int_equal(json_integer_value(json_object_get(sleep, "period")), 600);
    json_t *counters = json_object_get(doc, "counters");
    assert_int_equal(json_integer_value(json_object_get(counters, "episodes")), 4);
    json_decref(doc);
}

static void image_size_must_match_the_network(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.net.n_input = 100;
    sm_error err;
    sm_status st;
    json_t *doc = run(&c, &err, &st);
    assert_int_equal(st, SM_EINVAL);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "net.n_input"));
}

static void sgsnn_learns_the_shapes(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.train.model = SM_MODEL_SGSNN;
    c.data.n_train = 200;
    c.data.n_test = 80;
    c.sgsnn.n_hidden = 64;
    c.sgsnn.steps = 20;
    c.sgsnn.batch = 20;
    c.sgsnn.epochs = 4;
    c.sgsnn.lr = 5e-3;
    json_t *doc = run_ok(&c);
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "sgsnn");
    assert_int_equal(json_array_size(col(doc, "batch")), 4);
    assert_int_equal(json_array_size(col(doc, "val_accuracy")), 4);
    /* sleep.rate 0.2, published mode: a pass every 5 minibatches; 10 minibatches per epoch. */
    assert_int_equal(json_integer_value(json_array_get(col(doc, "sleep_passes"), 0)), 2);
    double acc = fin(doc, "test_accuracy");
    if (acc < 0.8) fail_msg("SG-SNN test accuracy %.3f on the shapes", acc);
    json_decref(doc);
}

/* A run stopped mid-way and resumed from its last checkpoint ends exactly like an
 * uninterrupted one (apart from timings). */
static void checkpoint_resume_is_bit_identical(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.stdp.sign = SM_SIGN_AS_PUBLISHED; /* lively activity: many weight changes */
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *a = NULL;
    assert_int_equal(sm_train_run(&c, &d, NULL, NULL, &a, &err), SM_OK);
    char *dir = tu_mkdtemp(), path[600];
    snprintf(path, sizeof path, "%s/ck.smck", dir);
    /* Stop in the middle of batch 3: checkpoints after batches 1 and 2 exist. */
    progress_log stop = {0, 0, 0, 60 + 2 * (20 + 60) + 10, 1};
    sm_train_options o = {.progress = on_progress,
                          .progress_ctx = &stop,
                          .checkpoint_path = path,
                          .checkpoint_every = 1};
    json_t *b = NULL;
    assert_int_equal(sm_train_run_opts(&c, &d, &o, &b, &err), SM_ECANCELED);
    assert_true(tu_exists(path));
    sm_config back;
    if (sm_train_checkpoint_config(path, &back, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(back.stdp.sign, SM_SIGN_AS_PUBLISHED);
    sm_train_options r = {.resume_path = path};
    if (sm_train_run_opts(&back, &d, &r, &b, &err) != SM_OK) fail_msg("%s", err.msg);
    without_timing(a);
    without_timing(b);
    if (!json_equal(a, b)) {
        json_dumpf(json_object_get(a, "final"), stderr, JSON_COMPACT);
        fputs("\n", stderr);
        json_dumpf(json_object_get(b, "final"), stderr, JSON_COMPACT);
        fail_msg("resumed run differs");
    }
    /* Resuming with another config is refused. */
    json_t *x = NULL;
    back.stdp.eta_e *= 2;
    assert_int_equal(sm_train_run_opts(&back, &d, &r, &x, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "another config"));
    json_decref(a);
    json_decref(b);
    sm_train_data_free(&d);
    tu_rmtree(dir);
    free(dir);
}

static void sgsnn_checkpoint_resume_is_bit_identical(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.train.model = SM_MODEL_SGSNN;
    c.sgsnn.n_hidden = 24;
    c.sgsnn.steps = 10;
    c.sgsnn.batch = 16;
    c.sgsnn.epochs = 4;
    c.sleep.rate = 0.5; /* sleep passes every 2 minibatches: their counters are state too */
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *a = NULL;
    assert_int_equal(sm_train_run(&c, &d, NULL, NULL, &a, &err), SM_OK);
    char *dir = tu_mkdtemp(), path[600];
    snprintf(path, sizeof path, "%s/sg.smck", dir);
    progress_log stop = {0, 0, 0, 3, 1}; /* stop after epoch 3: checkpoints after 1, 2, 3 */
    sm_train_options o = {.progress = on_progress,
                          .progress_ctx = &stop,
                          .checkpoint_path = path,
                          .checkpoint_every = 1};
    json_t *b = NULL;
    assert_int_equal(sm_train_run_opts(&c, &d, &o, &b, &err), SM_ECANCELED);
    sm_train_options r = {.resume_path = path};
    if (sm_train_run_opts(&c, &d, &r, &b, &err) != SM_OK) fail_msg("%s", err.msg);
    without_timing(a);
    without_timing(b);
    assert_int_equal(json_array_size(json_object_get(json_object_get(b, "evaluations"), "batch")),
                     4);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    sm_train_data_free(&d);
    tu_rmtree(dir);
    free(dir);
}

/* The Diehl & Cook network resumed from a batch checkpoint ends bit-identical to an
 * uninterrupted run: 2 passes, so the resume crosses into the second pass's order; input
 * delays longer than the rest, so drive is in flight at the checkpoint (the rings are
 * state); with sleep.rate `rate`, the sleep schedule too. */
static void dc_resume_case(const char *rate)
{
    sm_config c;
    small_config(&c);
    const char *set[] = {"train.model=dc",
                         "data.n_train=30",
                         "data.n_val=0",
                         "data.n_test=10",
                         "data.batch=10",
                         "dc.n_exc=16",
                         "dc.passes=2",
                         "dc.t_present=40",
                         "dc.t_rest=2",
                         "sleep.period=500",
                         NULL};
    for (int k = 0; set[k]; k++)
        assert_int_equal(sm_config_set_assignment(&c, set[k], "test", NULL), SM_OK);
    assert_int_equal(sm_config_set(&c, "sleep.rate", rate, "test", NULL), SM_OK);
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *a = NULL;
    if (sm_train_run(&c, &d, NULL, NULL, &a, &err) != SM_OK) fail_msg("%s", err.msg);
    char *dir = tu_mkdtemp(), path[600];
    snprintf(path, sizeof path, "%s/dc.smck", dir);
    /* 6 batch rows (3 a pass): stop at the 5th, after the checkpoint of the 4th (image 40) */
    progress_log stop = {0, 0, 0, 5, 1};
    sm_train_options o = {.progress = on_progress,
                          .progress_ctx = &stop,
                          .checkpoint_path = path,
                          .checkpoint_every = 2};
    json_t *b = NULL;
    assert_int_equal(sm_train_run_opts(&c, &d, &o, &b, &err), SM_ECANCELED);
    sm_train_options r = {.resume_path = path};
    if (sm_train_run_opts(&c, &d, &r, &b, &err) != SM_OK) fail_msg("%s", err.msg);
    without_timing(a);
    without_timing(b);
    assert_int_equal(json_array_size(json_object_get(json_object_get(b, "evaluations"), "images")),
                     6);
    if (!json_equal(a, b)) {
        json_dumpf(json_object_get(a, "final"), stderr, JSON_COMPACT);
        fputs("\n", stderr);
        json_dumpf(json_object_get(b, "final"), stderr, JSON_COMPACT);
        fail_msg("resumed dc run differs (sleep.rate %s)", rate);
    }
    /* a checkpoint of another network size is refused, naming the file */
    json_t *x = NULL;
    c.dc.n_exc = 20;
    assert_int_not_equal(sm_train_run_opts(&c, &d, &r, &x, &err), SM_OK);
    assert_non_null(strstr(err.msg, "dc.smck"));
    json_decref(a);
    json_decref(b);
    sm_train_data_free(&d);
    tu_rmtree(dir);
    free(dir);
}

static void dc_checkpoint_resume_is_bit_identical(void **state)
{
    (void)state;
    dc_resume_case("0");   /* in-flight drive at the checkpoint */
    dc_resume_case("0.2"); /* windows before and after it */
}

/* The dis-inhibitory network (linear threshold: its running r0 is state too) resumed from
 * an epoch checkpoint ends bit-identical to an uninterrupted run. */
static void disinh_checkpoint_resume_is_bit_identical(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c);
    c.train.model = SM_MODEL_DISINH;
    snprintf(c.disinh.n_hidden, sizeof c.disinh.n_hidden, "12");
    c.disinh.rule = SM_DISINH_LIN_THRESH;
    c.disinh.batch = 20;
    c.disinh.epochs = 4;
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&c, &d, &err) != SM_OK) fail_msg("%s", err.msg);
    json_t *a = NULL;
    if (sm_train_run(&c, &d, NULL, NULL, &a, &err) != SM_OK) fail_msg("%s", err.msg);
    char *dir = tu_mkdtemp(), path[600];
    snprintf(path, sizeof path, "%s/di.smck", dir);
    /* 4 minibatches per epoch: stop inside epoch 3, after the checkpoints of epochs 1, 2 */
    progress_log stop = {0, 0, 0, 10, 1};
    sm_train_options o = {.progress = on_progress,
                          .progress_ctx = &stop,
                          .checkpoint_path = path,
                          .checkpoint_every = 1};
    json_t *b = NULL;
    assert_int_equal(sm_train_run_opts(&c, &d, &o, &b, &err), SM_ECANCELED);
    sm_train_options r = {.resume_path = path};
    if (sm_train_run_opts(&c, &d, &r, &b, &err) != SM_OK) fail_msg("%s", err.msg);
    without_timing(a);
    without_timing(b);
    assert_int_equal(json_array_size(json_object_get(json_object_get(b, "evaluations"), "batch")),
                     4);
    assert_true(json_equal(a, b));
    /* another model cannot resume it (its config differs) */
    json_t *x = NULL;
    c.train.model = SM_MODEL_SGSNN;
    assert_int_not_equal(sm_train_run_opts(&c, &d, &r, &x, &err), SM_OK);
    json_decref(a);
    json_decref(b);
    sm_train_data_free(&d);
    tu_rmtree(dir);
    free(dir);
}

static void damaged_or_foreign_checkpoints_are_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), path[600];
    snprintf(path, sizeof path, "%s/x.smck", dir);
    sm_error err;
    sm_ckpt *c = sm_ckpt_new();
    const int data[4] = {1, 2, 3, 4};
    assert_int_equal(sm_ckpt_add(c, "numbers", data, sizeof data, &err), SM_OK);
    assert_int_equal(sm_ckpt_add(c, "numbers", data, sizeof data, &err), SM_EINVAL);
    assert_int_equal(sm_ckpt_write(c, path, &err), SM_OK);
    sm_ckpt *r = sm_ckpt_read(path, &err);
    assert_non_null(r);
    size_t len;
    const int *back = sm_ckpt_get(r, "numbers", &len);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(back, data, sizeof data);
    sm_ckpt_free(r);
    /* Another version. */
    json_object_set_new(sm_ckpt_meta(c), "somnus_version", json_string("0.0.1-other"));
    assert_int_equal(sm_ckpt_write(c, path, &err), SM_OK);
    assert_null(sm_ckpt_read(path, &err));
    assert_non_null(strstr(err.msg, "written by somnus 0.0.1-other"));
    r = sm_ckpt_read_any_version(path, &err);
    assert_non_null(r);
    sm_ckpt_free(r);
    sm_ckpt_free(c);
    /* One flipped byte in the data. */
    FILE *f = fopen(path, "r+b");
    fseek(f, -6, SEEK_END);
    int ch = fgetc(f);
    fseek(f, -6, SEEK_END);
    fputc(ch ^ 0x10, f);
    fclose(f);
    assert_null(sm_ckpt_read_any_version(path, &err));
    assert_non_null(strstr(err.msg, "checksum mismatch"));
    assert_non_null(strstr(err.msg, path));
    /* Not a checkpoint at all; missing. */
    char *junk = tu_write_file(dir, "junk", "hello world, not a checkpoint", 29);
    assert_null(sm_ckpt_read(junk, &err));
    assert_non_null(strstr(err.msg, "not a somnus checkpoint"));
    free(junk);
    snprintf(path, sizeof path, "%s/missing.smck", dir);
    assert_null(sm_ckpt_read(path, &err));
    assert_non_null(strstr(err.msg, "missing.smck"));
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes_parse),
        cmocka_unit_test(data_is_split_resized_and_normalized),
        cmocka_unit_test(data_errors_name_the_problem),
        cmocka_unit_test(stdp_run_has_one_row_per_batch_and_the_final_scores),
        cmocka_unit_test(final_reports_encoder_clipping),
        cmocka_unit_test(frozen_network_reads_out_above_chance),
        cmocka_unit_test(evaluation_does_not_change_training),
        cmocka_unit_test(same_results_for_one_and_two_threads),
        cmocka_unit_test(progress_reaches_total_and_can_cancel),
        cmocka_unit_test(batch_schedule_sleeps_once_per_batch),
        cmocka_unit_test(image_size_must_match_the_network),
        cmocka_unit_test(sgsnn_learns_the_shapes),
        cmocka_unit_test(checkpoint_resume_is_bit_identical),
        cmocka_unit_test(sgsnn_checkpoint_resume_is_bit_identical),
        cmocka_unit_test(disinh_checkpoint_resume_is_bit_identical),
        cmocka_unit_test(dc_checkpoint_resume_is_bit_identical),
        cmocka_unit_test(damaged_or_foreign_checkpoints_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
