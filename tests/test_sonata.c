/* Tests of the sonata module: write then read, the spike-train bridge, the streaming
 * writer, files made with plain HDF5 calls the way other tools write them, bad files, and
 * an independent check with h5py (Debian python3-h5py) or h5dump (hdf5-tools). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "somnus/io/sonata.h"

#define PYTHON "/usr/bin/python3"

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_then_read(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "s.h5");
    const uint64_t ids[5] = {7, 3, 9, 3, 0};
    const double ts[5] = {2.5, 0.0, 0.0, 1.0, 2.5};
    sm_error err;
    assert_int_equal(sm_sonata_write_spikes(p, "exc", ids, ts, 5, &err), SM_OK);
    assert_int_equal(tu_count_entries(dir), 1); /* no temporary file left */
    sm_sonata_spikes *s = sm_sonata_read_spikes(p, "exc", &err);
    if (!s) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(s);
    assert_int_equal(s->n, 5);
    assert_string_equal(s->sorting, "by_time");
    /* sorted by time, ties by node id */
    const uint64_t want_ids[5] = {3, 9, 3, 0, 7};
    const double want_ts[5] = {0.0, 0.0, 1.0, 2.5, 2.5};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(s->node_ids[k], want_ids[k]);
        assert_true(s->timestamps_ms[k] == want_ts[k]);
    }
    sm_sonata_spikes_destroy(s);
    /* the only population is found without naming it */
    s = sm_sonata_read_spikes(p, NULL, &err);
    assert_non_null(s);
    assert_int_equal(s->n, 5);
    sm_sonata_spikes_destroy(s);
    /* no spikes at all is a valid file */
    assert_int_equal(sm_sonata_write_spikes(p, NULL, NULL, NULL, 0, &err), SM_OK);
    s = sm_sonata_read_spikes(p, SM_SONATA_DEFAULT_POPULATION, &err);
    assert_non_null(s);
    assert_int_equal(s->n, 0);
    sm_sonata_spikes_destroy(s);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void write_rejects_bad_arguments(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "s.h5");
    sm_error err;
    const uint64_t ids[2] = {1, 2};
    const double neg[2] = {1.0, -0.5}, nan_t[2] = {NAN, 1};
    assert_int_equal(sm_sonata_write_spikes(p, "a", ids, neg, 2, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, p));
    assert_int_equal(sm_sonata_write_spikes(p, "a", ids, nan_t, 2, &err), SM_EINVAL);
    assert_int_equal(sm_sonata_write_spikes(p, "a/b", ids, neg, 0, &err), SM_EINVAL);
    assert_int_equal(sm_sonata_write_spikes(p, "a", NULL, NULL, 2, &err), SM_EINVAL);
    assert_int_equal(tu_count_entries(dir), 0);
    const double ok[2] = {0, 1};
    assert_int_equal(sm_sonata_write_spikes("/nonexistent-dir/s.h5", "a", ids, ok, 2, &err),
                     SM_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/s.h5"));
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void train_bridge_and_writer(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "w.h5"), *q = path_in(dir, "t.h5");
    sm_error err;
    sm_sonata_writer w;
    assert_int_equal(sm_sonata_writer_open(&w, p, "net", 0.5, &err), SM_OK);
    const int32_t a[2] = {4, 1}, b[1] = {2};
    sm_sonata_writer_sink(&w, 0, a, 2);
    sm_sonata_writer_sink(&w, 3, b, 1);
    assert_false(tu_exists(p)); /* nothing on disk before close */
    assert_int_equal(sm_sonata_writer_close(&w, &err), SM_OK);
    sm_sonata_spikes *s = sm_sonata_read_spikes(p, "net", &err);
    assert_non_null(s);
    assert_int_equal(s->n, 3);
    assert_int_equal(s->node_ids[0], 1);
    assert_int_equal(s->node_ids[1], 4);
    assert_int_equal(s->node_ids[2], 2);
    assert_true(s->timestamps_ms[2] == 1.5); /* step 3 x dt 0.5 */
    sm_sonata_spikes_destroy(s);

    /* as simulation input: steps floor(t / dt), duplicates in a step count once */
    const uint64_t ids[4] = {2, 2, 0, 5};
    const double ts[4] = {1.0, 1.4, 0.2, 3.0};
    assert_int_equal(sm_sonata_write_spikes(q, "in", ids, ts, 4, &err), SM_OK);
    sm_spike_train *t = sm_sonata_read_train(q, "in", 6, 0.5, &err);
    assert_non_null(t);
    assert_int_equal(t->n, 3);
    assert_int_equal(t->step[0], 0);
    assert_int_equal(t->neuron[0], 0);
    assert_int_equal(t->step[1], 2);
    assert_int_equal(t->neuron[1], 2);
    assert_int_equal(t->step[2], 6);
    assert_int_equal(t->neuron[2], 5);
    int32_t out[8];
    assert_int_equal(sm_spike_train_input(t, 2, out), 1);
    assert_int_equal(out[0], 2);
    /* and back: write_train gives the step start times */
    assert_int_equal(sm_sonata_write_train(p, "again", t, 0.5, &err), SM_OK);
    sm_spike_train_destroy(t);
    s = sm_sonata_read_spikes(p, "again", &err);
    assert_non_null(s);
    assert_int_equal(s->n, 3);
    assert_true(s->timestamps_ms[1] == 1.0 && s->timestamps_ms[2] == 3.0);
    sm_sonata_spikes_destroy(s);
    /* a node id beyond the input population is an error naming the file */
    assert_null(sm_sonata_read_train(q, "in", 5, 0.5, &err));
    assert_non_null(strstr(err.msg, q));
    assert_non_null(strstr(err.msg, "out of range"));

    sm_sonata_writer w2;
    assert_int_equal(sm_sonata_writer_open(&w2, q, NULL, 1.0, &err), SM_OK);
    sm_sonata_writer_abort(&w2);
    free(p);
    free(q);
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ hand-made files */

typedef struct {
    int no_spikes_group;
    const char *pop;
    int ts_ndim;    /* 1, or 2 for a bad shape */
    hid_t ts_type;  /* file type of timestamps (0: no dataset) */
    const void *ts; /* native double data */
    hsize_t n_ts;
    hid_t id_type;   /* file type of node_ids (0: no dataset) */
    const void *ids; /* native int64 data */
    hsize_t n_ids;
    const char *units; /* NULL: no attribute */
    int units_fixed;   /* fixed-length string instead of variable */
    int sorting_enum;  /* libsonata-style enum attribute */
    const char *second_pop;
} h5spec;

static void attr_string(hid_t obj, const char *name, const char *value, int fixed)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, fixed ? strlen(value) : H5T_VARIABLE);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, t, fixed ? (const void *)value : (const void *)&value) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void make_h5(const char *path, const h5spec *sp)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    if (!sp->no_spikes_group) {
        hid_t g = H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t p = H5Gcreate2(g, sp->pop, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(p >= 0);
        if (sp->second_pop)
            H5Gclose(H5Gcreate2(g, sp->second_pop, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        if (sp->ts_type) {
            hsize_t dims[2] = {sp->n_ts, 1};
            hid_t s = H5Screate_simple(sp->ts_ndim, dims, NULL);
            hid_t d =
                H5Dcreate2(p, "timestamps", sp->ts_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            assert_true(d >= 0);
            if (sp->n_ts && sp->ts)
                H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sp->ts);
            if (sp->units) attr_string(d, "units", sp->units, sp->units_fixed);
            H5Dclose(d);
            H5Sclose(s);
        }
        if (sp->id_type) {
            hid_t s = H5Screate_simple(1, &sp->n_ids, NULL);
            hid_t d =
                H5Dcreate2(p, "node_ids", sp->id_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            assert_true(d >= 0);
            if (sp->n_ids && sp->ids)
                H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, sp->ids);
            H5Dclose(d);
            H5Sclose(s);
        }
        if (sp->sorting_enum) {
            hid_t e = H5Tenum_create(H5T_NATIVE_SCHAR);
            signed char v = 0;
            H5Tenum_insert(e, "none", &v);
            v = 1;
            H5Tenum_insert(e, "by_id", &v);
            v = 2;
            H5Tenum_insert(e, "by_time", &v);
            hid_t s = H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(p, "sorting", e, s, H5P_DEFAULT, H5P_DEFAULT);
            v = 1;
            H5Awrite(a, e, &v);
            H5Aclose(a);
            H5Sclose(s);
            H5Tclose(e);
        }
        H5Gclose(p);
        H5Gclose(g);
    }
    H5Fclose(f);
}

static void other_writers_layouts(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "o.h5");
    const double ts[3] = {0.25, 0.5, 0.001};
    const int64_t ids[3] = {3, 1, 2};
    /* float32 seconds, int32 ids, fixed-length units, enum sorting (libsonata) */
    h5spec sp = {.pop = "V1",
                 .ts_ndim = 1,
                 .ts_type = H5T_IEEE_F32LE,
                 .ts = ts,
                 .n_ts = 3,
                 .id_type = H5T_STD_I32LE,
                 .ids = ids,
                 .n_ids = 3,
                 .units = "s",
                 .units_fixed = 1,
                 .sorting_enum = 1};
    make_h5(p, &sp);
    sm_error err;
    sm_sonata_spikes *s = sm_sonata_read_spikes(p, NULL, &err);
    if (!s) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(s);
    assert_int_equal(s->n, 3);
    assert_string_equal(s->sorting, "by_id");
    assert_true(s->timestamps_ms[0] == 250.0 && s->timestamps_ms[1] == 500.0);
    assert_float_near(s->timestamps_ms[2], 1.0, 1e-4);
    assert_int_equal(s->node_ids[1], 1);
    sm_sonata_spikes_destroy(s);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void expect_reject(const char *path, const char *pop, const char *what)
{
    sm_error err;
    sm_error_clear(&err);
    assert_null(sm_sonata_read_spikes(path, pop, &err));
    assert_int_not_equal(err.code, SM_OK);
    if (!strstr(err.msg, path) || !strstr(err.msg, what)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, what);
        fail();
    }
}

static void bad_files_rejected(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "bad.h5");
    const double ts[3] = {0.25, 0.5, 1}, neg[3] = {1, -2, 3}, inf_t[3] = {1, INFINITY, 3};
    const int64_t ids[3] = {3, 1, 2}, neg_ids[3] = {0, -1, 2};
    expect_reject("/nonexistent-dir/x.h5", NULL, "cannot open");
    expect_reject(dir, NULL, "directory");
    char *txt = tu_write_file(dir, "text.h5", "neuron,time_ms\n1,2\n", 19);
    expect_reject(txt, NULL, "not an HDF5 file");
    free(txt);
    h5spec base = {.pop = "p",
                   .ts_ndim = 1,
                   .ts_type = H5T_IEEE_F64LE,
                   .ts = ts,
                   .n_ts = 3,
                   .id_type = H5T_STD_U64LE,
                   .ids = ids,
                   .n_ids = 3,
                   .units = "ms"};
    h5spec sp = base;
    sp.no_spikes_group = 1;
    make_h5(p, &sp);
    expect_reject(p, NULL, "no /spikes group");
    make_h5(p, &base);
    expect_reject(p, "q", "no population group /spikes/q");
    expect_reject(p, "../p", "invalid SONATA population name");
    sp = base;
    sp.second_pop = "other";
    make_h5(p, &sp);
    expect_reject(p, NULL, "2 populations in /spikes (other, p)");
    sp = base;
    sp.n_ids = 2;
    make_h5(p, &sp);
    expect_reject(p, "p", "3 timestamps but 2 node_ids");
    sp = base;
    sp.ts = neg;
    make_h5(p, &sp);
    expect_reject(p, "p", "timestamps[1] = -2 is not a finite time >= 0");
    sp = base;
    sp.ts = inf_t;
    make_h5(p, &sp);
    expect_reject(p, "p", "timestamps[1] = inf");
    sp = base;
    sp.id_type = H5T_STD_I64LE;
    sp.ids = neg_ids;
    make_h5(p, &sp);
    expect_reject(p, "p", "node_ids[1] = -1 is negative");
    sp = base;
    sp.id_type = 0;
    make_h5(p, &sp);
    expect_reject(p, "p", "node_ids missing");
    sp = base;
    sp.id_type = H5T_IEEE_F64LE;
    make_h5(p, &sp);
    expect_reject(p, "p", "node_ids is not of an integer type");
    sp = base;
    sp.ts_ndim = 2;
    make_h5(p, &sp);
    expect_reject(p, "p", "timestamps is not one-dimensional");
    sp = base;
    sp.units = "us";
    make_h5(p, &sp);
    expect_reject(p, "p", "units 'us' not supported");
    sp = base;
    sp.n_ts = sp.n_ids = 1000000000; /* declared, never written */
    sp.ts = sp.ids = NULL;
    make_h5(p, &sp);
    expect_reject(p, "p", "claims more values than the file stores");
    /* truncated HDF5: the first kilobyte of a valid file */
    make_h5(p, &base);
    char *data;
    size_t len;
    sm_error err;
    assert_int_equal(sm_read_file(p, &data, &len, &err), SM_OK);
    char *cut = tu_write_file(dir, "cut.h5", data, len / 2);
    free(data);
    sm_sonata_spikes *s = sm_sonata_read_spikes(cut, "p", &err);
    assert_null(s);
    assert_non_null(strstr(err.msg, cut));
    free(cut);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ independent readers */

static void h5py_and_h5dump_agree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *p = path_in(dir, "x.h5");
    const uint64_t ids[4] = {10, 11, 12, 10};
    const double ts[4] = {3.0, 0.5, 0.5, 1.25};
    sm_error err;
    assert_int_equal(sm_sonata_write_spikes(p, "exc", ids, ts, 4, &err), SM_OK);
    /* Both readers are required (Debian python3-h5py, hdf5-tools): a missing one fails
     * the test, it is never skipped. */
    tu_require_tool(PYTHON " -c 'import h5py, numpy'", PYTHON " with h5py and numpy",
                    "python3-h5py python3-numpy");
    tu_require_tool("h5dump --version", "h5dump", "hdf5-tools");
    char cmd[4096], *out = NULL;
    int rc;
    {
        snprintf(cmd, sizeof cmd,
                 PYTHON " -c \"\n"
                        "import h5py, numpy as np\n"
                        "f = h5py.File('%s', 'r')\n"
                        "g = f['spikes']['exc']\n"
                        "s = g.attrs['sorting']\n"
                        "s = s.decode() if isinstance(s, bytes) else s\n"
                        "assert s == 'by_time', s\n"
                        "u = g['timestamps'].attrs['units']\n"
                        "u = u.decode() if isinstance(u, bytes) else u\n"
                        "assert u == 'ms', u\n"
                        "assert g['timestamps'].dtype == np.float64, g['timestamps'].dtype\n"
                        "assert g['node_ids'].dtype == np.uint64, g['node_ids'].dtype\n"
                        "assert g['timestamps'][:].tolist() == [0.5, 0.5, 1.25, 3.0]\n"
                        "assert g['node_ids'][:].tolist() == [11, 12, 10, 10]\n"
                        "print('h5py ok')\n"
                        "\" 2>&1",
                 p);
        rc = tu_run(cmd, &out);
        if (rc != 0) fprintf(stderr, "%s\n", out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "h5py ok"));
        free(out);
        out = NULL;
    }
    {
        snprintf(cmd, sizeof cmd, "h5dump -d /spikes/exc/node_ids -A 0 %s 2>&1", p);
        rc = tu_run(cmd, &out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "H5T_STD_U64LE"));
        assert_non_null(strstr(out, "11, 12, 10, 10"));
        free(out);
        out = NULL;
        snprintf(cmd, sizeof cmd, "h5dump -a /spikes/exc/sorting %s 2>&1", p);
        rc = tu_run(cmd, &out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "\"by_time\""));
        free(out);
        out = NULL;
    }
    free(out);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read),         cmocka_unit_test(write_rejects_bad_arguments),
        cmocka_unit_test(train_bridge_and_writer), cmocka_unit_test(other_writers_layouts),
        cmocka_unit_test(bad_files_rejected),      cmocka_unit_test(h5py_and_h5dump_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
