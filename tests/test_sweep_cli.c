/* somnus sweep and somnus plot as a user drives them: a tiny grid on the synthetic set,
 * its tables checked against the cell files, resume, --jobs 1 vs 2, MPI ranks vs one
 * process, interruption, bad input, figures. */
#include "testutil.h"

#include <cairo.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "somnus/analysis/plot.h"

#define TINY                                                                                       \
    "--set data.n_train=40 --set data.n_val=8 --set data.n_test=16 --set data.batch=20 "           \
    "--set input.steps_per_image=20 --set train.eval_fit=20 --set monitor.interval=50 "            \
    "--set stdp.sign=as_published --set sleep.period=200 --set sleep.tolerance=0 "
#define GRID "--grid data.dataset=synthetic:100 --grid sleep.rate=0,0.5 --grid run.seed=1:3 "
#define N_CELLS 6
#define N_EVALS 3 /* before training and after each of the 2 batches */

static char *dir;

static int setup(void **state)
{
    (void)state;
    return tu_dir_setup(&dir);
}

static int teardown(void **state)
{
    (void)state;
    return tu_dir_teardown(&dir);
}

static char *path_in(const char *sub)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, sub) < 0) return NULL;
    return p;
}

static int cli(const char *args, char **out)
{
    return tu_cli(dir, args, out);
}

static void expect_error(const char *args, const char *needle)
{
    tu_expect_cli_error(dir, args, needle);
}

static void run_ok(const char *args, char **out)
{
    char *o = NULL;
    int rc = cli(args, &o);
    if (rc != 0) fprintf(stderr, "somnus %s\nexit %d:\n%s\n", args, rc, o);
    assert_int_equal(rc, 0);
    if (out)
        *out = o;
    else
        free(o);
}

/* ------------------------------------------------------------------ CSV */

typedef struct csv {
    int rows, cols;
    char ***cell; /* rows + 1 (header) x cols */
} csv;

static csv read_csv(const char *path)
{
    csv c = {0, 0, NULL};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char **fields = NULL;
        int n = 0;
        /* Our files quote no field in these tests (no commas in the values). */
        assert_null(strchr(line, '"'));
        char *save = NULL, *s = line;
        for (;;) {
            char *comma = strchr(s, ',');
            if (comma) *comma = '\0';
            fields = realloc(fields, (size_t)(n + 1) * sizeof *fields);
            fields[n++] = strdup(s);
            if (!comma) break;
            s = comma + 1;
        }
        (void)save;
        if (c.rows == 0 && !c.cell) c.cols = n;
        assert_int_equal(n, c.cols);
        c.cell = realloc(c.cell, (size_t)(c.rows + 1) * sizeof *c.cell);
        c.cell[c.rows++] = fields;
    }
    fclose(f);
    c.rows--; /* the header */
    return c;
}

static int col(const csv *c, const char *name)
{
    for (int k = 0; k < c->cols; k++)
        if (!strcmp(c->cell[0][k], name)) return k;
    fprintf(stderr, "no column %s\n", name);
    fail();
    return -1;
}

static const char *at(const csv *c, int row, const char *name)
{
    return c->cell[row + 1][col(c, name)];
}

static void free_csv(csv *c)
{
    for (int r = 0; r <= c->rows; r++) {
        for (int k = 0; k < c->cols; k++)
            free(c->cell[r][k]);
        free(c->cell[r]);
    }
    free(c->cell);
}

/* ------------------------------------------------------------------ cells */

static json_t *load_cell(const char *sub, const char *id)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s/cells/%s.json", dir, sub, id);
    json_error_t je;
    json_t *doc = json_load_file(p, 0, &je);
    if (!doc) fprintf(stderr, "%s: %s\n", p, je.text);
    assert_non_null(doc);
    return doc;
}

/* The document without what may differ between two runs of the same cell. */
static json_t *without_timing(json_t *doc)
{
    json_object_del(doc, "timing");
    json_object_del(json_object_get(doc, "evaluations"), "wall_s");
    return doc;
}

/* The cell ids of the manifest of folder sub, which must list n cells. */
static json_t *cell_ids_n(const char *sub, size_t n)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s/sweep.json", dir, sub);
    json_t *man = json_load_file(p, 0, NULL);
    assert_non_null(man);
    json_t *ids = json_incref(json_object_get(man, "cells"));
    json_decref(man);
    assert_int_equal(json_array_size(ids), n);
    return ids;
}

static json_t *cell_ids(const char *sub)
{
    return cell_ids_n(sub, N_CELLS);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* Every cell of sweep folders a and b holds the same results (apart from timing) and
 * the same weights. */
static void same_results(const char *a, const char *b)
{
    json_t *ids = cell_ids(a);
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        json_t *da = without_timing(load_cell(a, json_string_value(id)));
        json_t *db = without_timing(load_cell(b, json_string_value(id)));
        if (!json_equal(da, db)) fprintf(stderr, "cell %s differs\n", json_string_value(id));
        assert_true(json_equal(da, db));
        json_decref(da);
        json_decref(db);
        char pa[8192], pb[8192];
        snprintf(pa, sizeof pa, "%s/%s/cells/%s.se.npy", dir, a, json_string_value(id));
        snprintf(pb, sizeof pb, "%s/%s/cells/%s.se.npy", dir, b, json_string_value(id));
        size_t la, lb;
        char *ba = slurp(pa, &la), *bb = slurp(pb, &lb);
        assert_non_null(ba);
        assert_non_null(bb);
        assert_int_equal(la, lb);
        assert_memory_equal(ba, bb, la);
        free(ba);
        free(bb);
    }
    json_decref(ids);
}

/* No temporary or partial file anywhere in a sweep folder's cells/. */
static void only_whole_files(const char *sub)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s/cells", dir, sub);
    DIR *d = opendir(p);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, ".."))) continue;
        size_t n = strlen(e->d_name);
        const int ok = (n > 5 && !strcmp(e->d_name + n - 5, ".json")) ||
                       (n > 7 && !strcmp(e->d_name + n - 7, ".se.npy"));
        if (!ok) fprintf(stderr, "stray file %s\n", e->d_name);
        assert_true(ok);
        if (!strcmp(e->d_name + n - 5, ".json")) {
            char q[8704];
            snprintf(q, sizeof q, "%s/%s", p, e->d_name);
            json_t *doc = json_load_file(q, 0, NULL);
            assert_non_null(doc);
            assert_non_null(json_object_get(doc, "final"));
            json_decref(doc);
        }
    }
    closedir(d);
}

/* ------------------------------------------------------------------ tests */

static void tiny_sweep_writes_tables_that_match_the_cells(void **state)
{
    (void)state;
    char *out;
    run_ok("sweep " GRID TINY "--jobs 2 --out a", &out);
    assert_non_null(strstr(out, "6 cells, 6 to run, 0 done already"));
    assert_non_null(strstr(out, "6 cells run, 0 skipped"));
    free(out);
    only_whole_files("a");

    /* runs.csv: one row per cell per evaluation, the grid parameters as columns. */
    char *p = path_in("a/runs.csv");
    csv r = read_csv(p);
    free(p);
    assert_int_equal(r.rows, N_CELLS * N_EVALS);
    const char *need[] = {
        "data.dataset", "sleep.rate",      "run.seed",     "cell",          "model",
        "batch",        "images",          "val_accuracy", "val_phi",       "plastic_sum_ratio",
        "exc_over_w0",  "inh_over_w0",     "sum_abs_SE",   "sum_abs_EE",    "sum_abs_EI",
        "sum_abs_IE",   "train_rate_e_hz", "wall_s",       "test_accuracy", "test_phi"};
    for (size_t k = 0; k < sizeof need / sizeof *need; k++)
        (void)col(&r, need[k]);
    json_t *ids = cell_ids("a");
    for (int row = 0; row < r.rows; row++) {
        const int cell = row / N_EVALS, e = row % N_EVALS;
        assert_string_equal(at(&r, row, "cell"),
                            json_string_value(json_array_get(ids, (size_t)cell)));
        assert_string_equal(at(&r, row, "data.dataset"), "synthetic:100");
        assert_string_equal(at(&r, row, "sleep.rate"), cell < 3 ? "0" : "0.5");
        assert_int_equal(atoi(at(&r, row, "run.seed")), cell % 3 + 1);
        assert_int_equal(atoi(at(&r, row, "batch")), e);
        json_t *doc = load_cell("a", at(&r, row, "cell"));
        json_t *ev = json_object_get(doc, "evaluations");
        assert_float_near(
            atof(at(&r, row, "val_accuracy")),
            json_number_value(json_array_get(json_object_get(ev, "val_accuracy"), (size_t)e)),
            1e-9);
        assert_float_near(
            atof(at(&r, row, "sum_abs_EE")),
            json_number_value(json_array_get(json_object_get(ev, "sum_abs_EE"), (size_t)e)), 1e-6);
        assert_float_near(
            atof(at(&r, row, "test_accuracy")),
            json_number_value(json_object_get(json_object_get(doc, "final"), "test_accuracy")),
            1e-9);
        json_decref(doc);
    }
    free_csv(&r);

    /* final.csv: one row per cell. */
    p = path_in("a/final.csv");
    csv f = read_csv(p);
    free(p);
    assert_int_equal(f.rows, N_CELLS);
    (void)col(&f, "test_accuracy");
    (void)col(&f, "sleep_steps");
    (void)col(&f, "last_val_accuracy");

    /* summary.csv: mean and sd over the seeds per sleep rate, from the cell files. */
    p = path_in("a/summary.csv");
    csv s = read_csv(p);
    free(p);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.cols, 13);
    for (int g = 0; g < 2; g++) {
        assert_string_equal(at(&s, g, "sleep.rate"), g ? "0.5" : "0");
        assert_string_equal(at(&s, g, "model"), "stdp");
        assert_int_equal(atoi(at(&s, g, "n")), 3);
        const char *stats[] = {"test_accuracy", "test_phi", "plastic_sum_ratio"};
        for (int k = 0; k < 3; k++) {
            double v[3], mean = 0, q = 0;
            for (int seed = 0; seed < 3; seed++) {
                json_t *doc =
                    load_cell("a", json_string_value(json_array_get(ids, (size_t)(3 * g + seed))));
                v[seed] =
                    json_number_value(json_object_get(json_object_get(doc, "final"), stats[k]));
                mean += v[seed] / 3;
                json_decref(doc);
            }
            for (int seed = 0; seed < 3; seed++)
                q += (v[seed] - mean) * (v[seed] - mean);
            char name[64];
            snprintf(name, sizeof name, "%s_mean", stats[k]);
            assert_float_near(atof(at(&s, g, name)), mean, 1e-8);
            snprintf(name, sizeof name, "%s_sd", stats[k]);
            assert_float_near(atof(at(&s, g, name)), sqrt(q / 2), 1e-8);
        }
    }
    free_csv(&s);
    /* With sleep the cells slept (the published sign drives the weights off W0). */
    for (int row = 0; row < f.rows; row++)
        if (!strcmp(at(&f, row, "sleep.rate"), "0.5"))
            assert_true(atoi(at(&f, row, "sleep_steps")) > 0);
    free_csv(&f);
    json_decref(ids);
    p = path_in("a/summary.md");
    size_t len;
    char *md = slurp(p, &len);
    free(p);
    assert_non_null(md);
    assert_non_null(strstr(md, "| data.dataset | sleep.rate | model | n | test accuracy |"));
    assert_non_null(strstr(md, "| synthetic:100 | 0.5 | stdp | 3 |"));
    free(md);

    /* A pandas-like reader: python's csv module (the system python3 is required). */
    tu_require_tool("/usr/bin/python3 --version", "/usr/bin/python3", "python3");
    {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import csv,sys; "
                 "rows=list(csv.DictReader(open('%s/a/runs.csv'))); "
                 "assert len(rows)==%d and rows[0]['sleep.rate']=='0', rows[0]; print('csv ok')\"",
                 dir, N_CELLS * N_EVALS);
        char *o;
        int rc = tu_run(cmd, &o);
        if (rc) fprintf(stderr, "%s\n", o);
        assert_int_equal(rc, 0);
        free(o);
    }
}

static void png_size(const char *sub, int *w, int *h)
{
    char *p = path_in(sub);
    cairo_surface_t *s = cairo_image_surface_create_from_png(p);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) fprintf(stderr, "%s: not a PNG\n", p);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    cairo_surface_destroy(s);
    free(p);
}

static void figures_are_pngs_and_plot_redraws_them(void **state)
{
    (void)state;
    int w, h;
    png_size("a/plots/accuracy_vs_sleep_rate.png", &w, &h);
    assert_int_equal(w, 800);
    assert_int_equal(h, 500);
    png_size("a/plots/accuracy_over_batches.png", &w, &h);
    assert_int_equal(w, 800);
    png_size("a/plots/weight_sum.png", &w, &h);
    assert_int_equal(h, 500);
    /* The S->E weights of seed 1 with and without sleep: 200 tiles of 15 x 15. */
    json_t *ids = cell_ids("a");
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    g.title = "x";
    sm_plot_grid_frame fr;
    sm_error err;
    assert_int_equal(sm_plot_image_grid_frame(200, 15, 15, &g, &fr, &err), SM_OK);
    const size_t cells[2] = {0, 3};
    for (int k = 0; k < 2; k++) {
        char sub[1024];
        snprintf(sub, sizeof sub, "a/plots/se_weights_%s.png",
                 json_string_value(json_array_get(ids, cells[k])));
        png_size(sub, &w, &h);
        assert_int_equal(w, fr.width);
        assert_int_equal(h, fr.height);
    }
    json_decref(ids);
    sm_plot_release_caches();

    /* somnus plot: the figures come back from the cell files alone. */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/a/plots'", dir);
    assert_int_equal(system(cmd), 0);
    char *out;
    run_ok("plot a", &out);
    assert_non_null(strstr(out, "somnus plot: 5 files from 6 cells"));
    free(out);
    png_size("a/plots/accuracy_vs_sleep_rate.png", &w, &h);
    assert_int_equal(w, 800);
    png_size("a/plots/weight_sum.png", &w, &h);
    assert_int_equal(w, 800);
    char *o2 = NULL;
    int rc = cli("plot nowhere", &o2);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(o2, "somnus: error: nowhere: no sweep results"));
    free(o2);
}

/* Loss-of-plasticity figures: two seeds of an i.i.d. SG-SNN run with diag.iid and of a
 * label-protocol run give plots/dormant.png and plots/srank.png (one series per kind and
 * layer, mean +- sd over the seeds); runs.csv carries the diag columns of both tables (2
 * evaluations of the iid runs, 4 chunk rows of the protocol runs); somnus plot redraws
 * the same bytes from the cells alone. */
#define DIAG_SWEEP                                                                                 \
    "sweep --grid protocol.kind=iid,label --grid run.seed=1:2 --set train.model=sgsnn "            \
    "--set data.dataset=synthetic --set data.n_train=200 --set data.n_val=40 "                     \
    "--set data.n_test=40 --set sgsnn.n_hidden=30 --set sgsnn.steps=10 --set sgsnn.batch=16 "      \
    "--set sgsnn.epochs=2 --set protocol.chunks=3 --set protocol.iters_per_chunk=3 "               \
    "--set diag.n_probe=20 --set diag.iid=1 --out d"

static void diag_figures_and_plot_redraws_them(void **state)
{
    (void)state;
    run_ok(DIAG_SWEEP, NULL);
    const char *figs[2] = {"d/plots/dormant.png", "d/plots/srank.png"};
    char *bytes[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        int w, h;
        png_size(figs[k], &w, &h);
        assert_int_equal(w, 800);
        assert_int_equal(h, 500);
        char *p = path_in(figs[k]);
        bytes[k] = slurp(p, &len[k]);
        assert_non_null(bytes[k]);
        free(p);
    }
    char *p = path_in("d/runs.csv");
    csv r = read_csv(p);
    free(p);
    assert_int_equal(r.rows, 2 * 2 + 2 * 4);
    int finite = 0;
    for (int row = 0; row < r.rows; row++) {
        const double v = atof(at(&r, row, "diag_hidden_dormant_0.1"));
        assert_true(v >= 0 && v <= 1);
        finite += at(&r, row, "diag_output_srank_frac")[0] != '\0';
    }
    assert_int_equal(finite, r.rows);
    free_csv(&r);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/d/plots'", dir);
    assert_int_equal(system(cmd), 0);
    run_ok("plot d", NULL);
    for (int k = 0; k < 2; k++) {
        char *q = path_in(figs[k]);
        size_t n;
        char *again = slurp(q, &n);
        free(q);
        assert_non_null(again);
        assert_int_equal(n, len[k]);
        assert_memory_equal(again, bytes[k], n);
        free(again);
        free(bytes[k]);
    }
}

/* The same figures from the other models' diag.iid columns: a dc sweep (E, I) and a ppg
 * sweep (units) over two seeds draw plots/dormant.png and plots/srank.png, and runs.csv
 * carries a dormant fraction in [0, 1] on every row (the dc rows are all due here). */
static void diag_figures_of_dc_ppg_and_hopfield(void **state)
{
    (void)state;
    const char *runs[3] = {
        "sweep --grid run.seed=1:2 --set train.model=dc --set data.dataset=synthetic:120 "
        "--set data.n_train=24 --set data.n_val=10 --set data.n_test=6 --set data.batch=8 "
        "--set dc.n_exc=16 --set dc.t_present=40 --set dc.t_rest=10 --set diag.iid=1 "
        "--set diag.iid_every=1 --out dd",
        "sweep --grid run.seed=1:2 --set train.model=ppg --set data.dataset=synthetic:120 "
        "--set data.n_train=60 --set data.n_val=20 --set data.n_test=10 --set ppg.epochs=3 "
        "--set diag.iid=1 --out dp",
        "sweep --grid run.seed=1:2 --set train.model=hopfield --set hopfield.N=60 "
        "--set hopfield.T=4 --set diag.iid=1 --set diag.iid_every=1 --out dh"};
    const char *out[3] = {"dd", "dp", "dh"},
               *colname[3] = {"diag_E_dormant_0.1", "diag_units_dormant_0.1",
                              "diag_units_dormant_0.1"};
    const int rows[3] = {2 * 3, 2 * 3, 2 * 4};
    for (int m = 0; m < 3; m++) {
        run_ok(runs[m], NULL);
        const char *figs[2] = {"plots/dormant.png", "plots/srank.png"};
        for (int k = 0; k < 2; k++) {
            char f[64];
            snprintf(f, sizeof f, "%s/%s", out[m], figs[k]);
            int w, h;
            png_size(f, &w, &h);
            assert_int_equal(w, 800);
        }
        char f[64];
        snprintf(f, sizeof f, "%s/runs.csv", out[m]);
        char *p = path_in(f);
        csv r = read_csv(p);
        free(p);
        assert_int_equal(r.rows, rows[m]);
        for (int row = 0; row < r.rows; row++) {
            const char *v = at(&r, row, colname[m]);
            assert_true(v[0] != '\0' && atof(v) >= 0 && atof(v) <= 1);
        }
        free_csv(&r);
    }
}

static long mtime_of(const char *sub, const char *id)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s/cells/%s.json", dir, sub, id);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return (long)st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

static void rerun_resumes_only_missing_cells(void **state)
{
    (void)state;
    char *out;
    run_ok("sweep " GRID TINY "--out a", &out);
    assert_non_null(strstr(out, "6 cells, 0 to run, 6 done already"));
    free(out);
    json_t *ids = cell_ids("a");
    const char *gone = json_string_value(json_array_get(ids, 4));
    long before[N_CELLS];
    for (int k = 0; k < N_CELLS; k++)
        before[k] = mtime_of("a", json_string_value(json_array_get(ids, (size_t)k)));
    char p[8192];
    snprintf(p, sizeof p, "%s/a/cells/%s.json", dir, gone);
    assert_int_equal(remove(p), 0);
    run_ok("sweep " GRID TINY "--out a", &out);
    assert_non_null(strstr(out, "6 cells, 1 to run, 5 done already"));
    assert_non_null(strstr(out, gone));
    free(out);
    for (int k = 0; k < N_CELLS; k++) {
        long now = mtime_of("a", json_string_value(json_array_get(ids, (size_t)k)));
        if (k == 4)
            assert_true(now != before[k]);
        else
            assert_true(now == before[k]);
    }
    /* A different base config makes every cell out of date. */
    run_ok("sweep " GRID TINY "--set train.eval_fit=10 --out b --quiet", NULL);
    run_ok("sweep " GRID TINY "--set train.eval_fit=20 --out b", &out);
    assert_non_null(strstr(out, "6 cells, 6 to run, 0 done already"));
    free(out);
    json_decref(ids);
}

/* Sets key (a string, or null when value is NULL) at the top of (sub = NULL) or in the
 * "final" object of the JSON file dir/rel. */
static void edit_json(const char *rel, const char *sub, const char *key, const char *value)
{
    char *p = path_in(rel);
    json_error_t je;
    json_t *doc = json_load_file(p, 0, &je);
    if (!doc) fail_msg("%s: %s", p, je.text);
    json_t *obj = sub ? json_object_get(doc, sub) : doc;
    json_object_set_new(obj, key, value ? json_string(value) : json_null());
    assert_int_equal(json_dump_file(doc, p, JSON_INDENT(2)), 0);
    json_decref(doc);
    free(p);
}

#define VGRID "--grid data.dataset=synthetic:100 --grid run.seed=1:3 "

static void resume_with_another_version_needs_force(void **state)
{
    (void)state;
    char *out;
    run_ok("sweep " VGRID TINY "--out v --quiet --no-plots", NULL);
    /* The folder was started by another version: refused, nothing rewritten. */
    edit_json("v/sweep.json", NULL, "somnus_version", "0.0.1-old");
    expect_error("sweep " VGRID TINY "--out v --quiet --no-plots",
                 "resuming a sweep of somnus 0.0.1-old (");
    char *p = path_in("v/sweep.json");
    size_t len;
    char *man = slurp(p, &len);
    free(p);
    assert_non_null(strstr(man, "0.0.1-old"));
    free(man);
    /* --force resumes (the finished cells are kept) and says so. */
    run_ok("sweep " VGRID TINY "--out v --no-plots --force", &out);
    assert_non_null(strstr(out, "somnus: warning: --force: resuming a sweep of somnus 0.0.1-old"));
    assert_non_null(strstr(out, "3 cells, 0 to run, 3 done already"));
    free(out);
    /* A finished cell of another version is found too (the manifest is this version's). */
    json_t *ids = cell_ids_n("v", 3);
    char rel[512];
    snprintf(rel, sizeof rel, "v/cells/%s.json", json_string_value(json_array_get(ids, 1)));
    edit_json(rel, NULL, "somnus_version", "0.0.2-old");
    char needle[600];
    snprintf(needle, sizeof needle, "resuming a sweep of somnus 0.0.2-old (v/cells/%s.json)",
             json_string_value(json_array_get(ids, 1)));
    expect_error("sweep " VGRID TINY "--out v --quiet --no-plots", needle);
    json_decref(ids);
}

static void summary_n_counts_finite_values(void **state)
{
    (void)state;
    /* Of the 3 runs of folder v, one has no test accuracy (null), and two no test phi:
     * n is 2, the accuracy's mean is over those 2, the phi's (of 1 run) is marked. */
    json_t *ids = cell_ids_n("v", 3);
    double acc[3];
    for (int k = 0; k < 3; k++) {
        json_t *doc = load_cell("v", json_string_value(json_array_get(ids, (size_t)k)));
        acc[k] = json_number_value(json_object_get(json_object_get(doc, "final"), "test_accuracy"));
        json_decref(doc);
    }
    char rel[512];
    snprintf(rel, sizeof rel, "v/cells/%s.json", json_string_value(json_array_get(ids, 0)));
    edit_json(rel, "final", "test_accuracy", NULL);
    edit_json(rel, "final", "test_phi", NULL);
    snprintf(rel, sizeof rel, "v/cells/%s.json", json_string_value(json_array_get(ids, 2)));
    edit_json(rel, "final", "test_phi", NULL);
    json_decref(ids);
    run_ok("plot v --tables", NULL);
    char *p = path_in("v/summary.csv");
    csv s = read_csv(p);
    free(p);
    assert_int_equal(s.rows, 1);
    assert_int_equal(atoi(at(&s, 0, "n")), 2);
    assert_float_near(atof(at(&s, 0, "test_accuracy_mean")), (acc[1] + acc[2]) / 2, 1e-8);
    assert_string_equal(at(&s, 0, "test_phi_sd"), ""); /* one value: no sd */
    free_csv(&s);
    p = path_in("v/summary.md");
    size_t len;
    char *md = slurp(p, &len);
    free(p);
    assert_non_null(strstr(md, "| synthetic:100 | stdp | 2 | "));
    assert_non_null(strstr(md, "(n 1)"));
    free(md);
}

static void jobs_do_not_change_results(void **state)
{
    (void)state;
    run_ok("sweep " GRID TINY "--jobs 1 --quiet --no-plots --out j1", NULL);
    same_results("a", "j1");
    char *p = path_in("j1/plots");
    assert_false(tu_exists(p));
    free(p);
}

static void mpi_ranks_give_the_local_results(void **state)
{
    (void)state;
    /* The MPI path is part of the suite: a build without MPI, or a missing mpirun, fails
     * here instead of skipping (scripts/install-deps.sh installs libopenmpi-dev and
     * openmpi-bin; CMake's SOMNUS_MPI is on when it finds them). */
    const char *mpiexec = SOMNUS_MPIEXEC;
    if (!mpiexec[0])
        fail_msg("built without MPI (SOMNUS_MPI=OFF, or CMake found no MPI): install "
                 "libopenmpi-dev openmpi-bin (scripts/install-deps.sh) and reconfigure");
    if (access(mpiexec, X_OK) != 0)
        fail_msg("mpirun %s is not executable: install openmpi-bin (scripts/install-deps.sh)",
                 mpiexec);
    char cmd[8192], *out = NULL;
    /* OpenMPI keeps memory until exit that LeakSanitizer would report; root needs the
     * explicit permission. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
             "ASAN_OPTIONS=detect_leaks=0 OMPI_MCA_btl=self,vader OMPI_MCA_plm_rsh_agent=false "
             "%s --allow-run-as-root --oversubscribe -n 2 %s sweep " GRID TINY "--out m",
             dir, mpiexec, SOMNUS_CLI);
    int rc = tu_run(cmd, &out);
    if (rc != 0) fprintf(stderr, "%s\nexit %d:\n%s\n", cmd, rc, out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "(MPI)"));
    assert_non_null(strstr(out, "6 cells run, 0 skipped"));
    free(out);
    same_results("a", "m");
    only_whole_files("m");
}

static void interrupt_leaves_whole_files_and_resumes(void **state)
{
    (void)state;
    /* Cells of a few hundred ms each; SIGINT after about a second. */
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && { %s sweep --grid run.seed=1:40 " TINY
             "--set input.steps_per_image=60 --set data.dataset=synthetic:100 --jobs 2 "
             "--out i & pid=$!; sleep 1.5; kill -INT $pid; wait $pid; echo \"rc=$?\"; }",
             dir, SOMNUS_CLI);
    tu_run(cmd, &out);
    const int interrupted = strstr(out, "rc=130") != NULL;
    if (!interrupted && !strstr(out, "rc=0")) fprintf(stderr, "%s\n", out);
    assert_true(interrupted || strstr(out, "rc=0"));
    if (interrupted) assert_non_null(strstr(out, "somnus: error: interrupted"));
    free(out);
    only_whole_files("i");
    run_ok("sweep --grid run.seed=1:40 " TINY
           "--set input.steps_per_image=60 --set data.dataset=synthetic:100 --jobs 2 --no-plots "
           "--out i",
           &out);
    assert_non_null(strstr(out, "40 cells, "));
    free(out);
    only_whole_files("i");
    snprintf(cmd, sizeof cmd, "ls '%s/i/cells' | grep -c '\\.json$'", dir);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_int_equal(atoi(out), 40);
    free(out);
}

static void bad_input_fails_before_any_run(void **state)
{
    (void)state;
    expect_error("sweep --grid sleep.rat=0,1 --out e",
                 "unknown parameter 'sleep.rat' (did you mean 'sleep.rate'?)");
    expect_error("sweep --out e", "empty grid");
    expect_error("sweep --grid sleep.rate= --out e", "empty value");
    expect_error("sweep --grid sleep.rate=0:1:0 --out e", "step > 0");
    expect_error("sweep --grid run.seed=1,x --out e", "'x' is not");
    expect_error("sweep --grid sleep.rate=0,1", "--out DIR is required");
    expect_error("sweep --grid data.dataset=nosuchset --out e", "nosuchset");
    expect_error("sweep --grid data.n_train=100000 --set data.dataset=synthetic:10 --out e",
                 "the split needs");
    expect_error("sweep --grid sleep.rate=0,1 --set data.dataset=synthetic:100 " TINY
                 "--out /proc/somnus-sweep-out",
                 "/proc/somnus-sweep-out");
    expect_error("sweep --grid sleep.rate=0,1 --jobs 0 --out e", "--jobs");
    expect_error("sweep --grid sleep.rate=0,1 --frob --out e", "unknown option '--frob'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiny_sweep_writes_tables_that_match_the_cells),
        cmocka_unit_test(figures_are_pngs_and_plot_redraws_them),
        cmocka_unit_test(diag_figures_and_plot_redraws_them),
        cmocka_unit_test(diag_figures_of_dc_ppg_and_hopfield),
        cmocka_unit_test(rerun_resumes_only_missing_cells),
        cmocka_unit_test(resume_with_another_version_needs_force),
        cmocka_unit_test(summary_n_counts_finite_values),
        cmocka_unit_test(jobs_do_not_change_results),
        cmocka_unit_test(mpi_ranks_give_the_local_results),
        cmocka_unit_test(interrupt_leaves_whole_files_and_resumes),
        cmocka_unit_test(bad_input_fails_before_any_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
