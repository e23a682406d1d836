/* Tests of the structural-plasticity figures (structure_figures.h): the lines drawn,
 * against cells written by hand; the files, direct and through `somnus plot FILE.json`;
 * documents of other experiments refused by name. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/plot.h"
#include "somnus/protocol/structure_figures.h"

static json_t *sgsnn_cell(const char *ds, const char *method, const char *scope, double density,
                          double acc, double sd)
{
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}", "dataset", ds, "method", method, "scope",
                     scope, "density", density, "mean_accuracy", acc, "sd_accuracy", sd);
}

/* Cells out of order, a second dataset, the references. */
static json_t *sgsnn_results(void)
{
    json_t *cells = json_array();
    json_array_append_new(cells, sgsnn_cell("mnist", "frozen", "none", 1, 0.10, 0.01));
    json_array_append_new(cells, sgsnn_cell("mnist", "dense", "none", 1, 0.96, 0.01));
    json_array_append_new(cells, sgsnn_cell("mnist", "static", "none", 0.02, 0.87, 0.004));
    json_array_append_new(cells, sgsnn_cell("mnist", "static", "none", 0.1, 0.93, 0.006));
    json_array_append_new(cells, sgsnn_cell("mnist", "gmp", "global", 0.1, 0.95, 0.010));
    json_array_append_new(cells, sgsnn_cell("fashion", "gmp", "global", 0.1, 0.80, 0.020));
    json_t *gmp02 = sgsnn_cell("mnist", "gmp", "global", 0.02, 0.93, 0.005);
    json_object_set_new(
        gmp02, "sparsity_curve",
        json_pack("{s:[i,i,i], s:[f,f,f]}", "iteration", 25, 50, 75, "sparsity", 0.5, 0.9, 0.98));
    json_array_append_new(cells, gmp02);
    json_array_append_new(cells, sgsnn_cell("mnist", "granet", "layer", 0.05, 0.94, 0.008));
    return json_pack("{s:o}", "cells", cells);
}

static json_t *rewire_cell(const char *mode, const char *regrow, double rate, double sparsity,
                           double acc, double sd)
{
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f}", "dataset", "mnist", "mode", mode,
                     "regrow", regrow, "sleep_rate", rate, "final_sparsity", sparsity,
                     "mean_accuracy", acc, "sd_accuracy", sd);
}

static json_t *rewire_results(void)
{
    json_t *cells = json_array();
    json_array_append_new(cells, rewire_cell("none", "none", 0.2, 0, 0.85, 0.01));
    json_array_append_new(cells, rewire_cell("rewire", "coincidence", 0.2, 0, 0.10, 0));
    json_array_append_new(cells, rewire_cell("frozen", "none", 0, 0, 0.80, 0.003));
    json_array_append_new(cells, rewire_cell("none", "none", 0, 0, 0.60, 0.2)); /* R5 */
    json_array_append_new(cells, rewire_cell("gmp", "none", 0.2, 0.9, 0.70, 0.02));
    json_array_append_new(cells, rewire_cell("static", "none", 0.2, 0.9, 0.30, 0.05));
    json_array_append_new(cells, rewire_cell("gmp", "none", 0.2, 0.5, 0.84, 0.01));
    json_t *events =
        json_pack("{s:{s:[i,i], s:[f,f]}, s:{s:[i], s:[f]}}", "gmp/none/sleep0.2/sparsity0.9",
                  "wake_step", 35000, 70000, "sparsity", 0.5, 0.9, "rewire/coincidence/sleep0.2",
                  "wake_step", 35000, "sparsity", 0.0);
    return json_pack("{s:o, s:o}", "cells", cells, "events", events);
}

static void expect_line(const sm_structure_line *l, const char *label, int n, const double *x,
                        const double *y, const double *sd)
{
    assert_string_equal(l->label, label);
    assert_int_equal(l->n, n);
    for (int k = 0; k < n; k++) {
        assert_float_equal(l->x[k], x[k], 1e-12);
        assert_float_equal(l->y[k], y[k], 1e-12);
        assert_float_equal(l->sd[k], sd[k], 1e-12);
    }
}

/* sparse-sgsnn: a line per method (and scope), points by increasing sparsity 1 - D_f,
 * dense and frozen as references, the other dataset's cell left out. */
static void sgsnn_lines_by_hand(void **state)
{
    (void)state;
    json_t *res = sgsnn_results();
    sm_structure_line lines[8];
    double dense, frozen;
    assert_int_equal(
        sm_structure_accuracy_lines("sparse-sgsnn", res, "mnist", lines, 8, &dense, &frozen), 3);
    assert_float_equal(dense, 0.96, 1e-12);
    assert_float_equal(frozen, 0.10, 1e-12);
    expect_line(&lines[0], "static", 2, (double[]){0.9, 0.98}, (double[]){0.93, 0.87},
                (double[]){0.006, 0.004});
    expect_line(&lines[1], "gmp/global", 2, (double[]){0.9, 0.98}, (double[]){0.95, 0.93},
                (double[]){0.010, 0.005});
    expect_line(&lines[2], "granet/layer", 1, (double[]){0.95}, (double[]){0.94},
                (double[]){0.008});
    assert_int_equal(
        sm_structure_accuracy_lines("sparse-sgsnn", res, "fashion", lines, 8, &dense, &frozen), 1);
    assert_true(isnan(dense) && isnan(frozen));
    assert_int_equal(
        sm_structure_accuracy_lines("sparse-sgsnn", res, "mnist", lines, 2, &dense, &frozen),
        2); /* capped */
    json_decref(res);
}

/* rewire-stdp: R4's modes at sleep 0.2 only, each line from the reference at 0; the
 * frozen network the dashed reference; rewire and R5 cells left out. */
static void rewire_lines_by_hand(void **state)
{
    (void)state;
    json_t *res = rewire_results();
    sm_structure_line lines[8];
    double ref, frozen;
    assert_int_equal(
        sm_structure_accuracy_lines("rewire-stdp", res, "mnist", lines, 8, &ref, &frozen), 2);
    assert_float_equal(ref, 0.85, 1e-12);
    assert_float_equal(frozen, 0.80, 1e-12);
    expect_line(&lines[0], "gmp", 3, (double[]){0, 0.5, 0.9}, (double[]){0.85, 0.84, 0.70},
                (double[]){0.01, 0.01, 0.02});
    expect_line(&lines[1], "static", 2, (double[]){0, 0.9}, (double[]){0.85, 0.30},
                (double[]){0.01, 0.05});
    json_decref(res);
}

static long file_size(const char *dir, const char *name, unsigned char *head)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    const size_t got = fread(head, 1, 8, f);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fclose(f);
    return got == 8 ? n : -1;
}

/* The whole file (caller frees), its size in *n. */
static unsigned char *slurp(const char *dir, const char *name, long *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return b;
}

static void expect_png(const char *dir, const char *name)
{
    static const unsigned char SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    assert_true(file_size(dir, name, head) > 1000);
    assert_memory_equal(head, SIG, 8);
}

/* The files of both experiments, their count, and `somnus plot FILE.json` drawing the
 * same bytes from a stored document; other documents refused by name. */
static void figures_written_and_replotted(void **state)
{
    const char *dir = *state;
    sm_error err;
    int written = -1;
    json_t *sg = sgsnn_results(), *rw = rewire_results();
    assert_int_equal(sm_structure_figures("sparse-sgsnn", sg, dir, "s", &written, &err), SM_OK);
    assert_int_equal(written, 3); /* mnist: accuracy + sparsity; fashion: accuracy (no curve) */
    expect_png(dir, "s-accuracy_vs_sparsity-mnist.png");
    expect_png(dir, "s-sparsity-mnist.png");
    expect_png(dir, "s-accuracy_vs_sparsity-fashion.png");
    unsigned char head[8];
    assert_int_equal(file_size(dir, "s-sparsity-fashion.png", head), -1);
    assert_int_equal(sm_structure_figures("rewire-stdp", rw, dir, "r", &written, &err), SM_OK);
    assert_int_equal(written, 2);
    expect_png(dir, "r-accuracy_vs_sparsity-mnist.png");
    expect_png(dir, "r-sparsity.png");

    /* the same bytes from a stored document, through the CLI */
    long n0, n1;
    unsigned char *direct = slurp(dir, "r-accuracy_vs_sparsity-mnist.png", &n0);
    char path[4096];
    snprintf(path, sizeof path, "%s/r-accuracy_vs_sparsity-mnist.png", dir);
    assert_int_equal(remove(path), 0);
    snprintf(path, sizeof path, "%s/r.json", dir);
    json_t *doc = json_pack("{s:s, s:O}", "experiment", "rewire-stdp", "results", rw);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
    char *out = NULL;
    assert_int_equal(tu_cli(dir, "plot r.json", &out), 0);
    assert_non_null(strstr(out, "2 figures"));
    free(out);
    unsigned char *replot = slurp(dir, "r-accuracy_vs_sparsity-mnist.png", &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(direct, replot, (size_t)n0);
    free(direct);
    free(replot);

    assert_int_equal(sm_structure_figures("continual-sleep", rw, dir, "x", &written, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "continual-sleep"));
    json_t *empty = json_object();
    assert_int_equal(sm_structure_figures("sparse-sgsnn", empty, dir, "x", &written, &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "results.cells"));
    json_decref(empty);
    json_decref(sg);
    json_decref(rw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sgsnn_lines_by_hand),
        cmocka_unit_test(rewire_lines_by_hand),
        cmocka_unit_test_setup_teardown(figures_written_and_replotted, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    const int failed = cmocka_run_group_tests_name("structure_figures", tests, NULL, NULL);
    sm_plot_release_caches(); /* fontconfig's caches, for LeakSanitizer */
    return failed;
}
