/* `somnus experiment`: the list, the document and files of the sleep-STDP experiments, and
 * their numbers against independent `somnus train` runs of the same cells. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "somnus/protocol/experiment.h"
#include "testutil.h"

static json_t *load(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) fprintf(stderr, "%s: %s\n", path, je.text);
    assert_non_null(doc);
    return doc;
}

static void list_prints_every_experiment_a_line(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, "experiment --list", &out), 0);
    int lines = 0;
    for (const char *s = out; *s; s++)
        lines += *s == '\n';
    assert_int_equal(lines, (int)sm_experiment_count());
    for (size_t i = 0; i < sm_experiment_count(); i++) {
        const sm_experiment_def *e = sm_experiment_at(i);
        const char *at = strstr(out, e->name);
        assert_non_null(at);
        assert_non_null(strstr(at, e->description)); /* name, then its description */
    }
    free(out);
}

/* The quick table on built-in data: the document's keys, a cell's mean and sd from its
 * runs, the files beside it, and one cell's accuracy equal to a `somnus train` run of the
 * same configuration (the sweep runner and train are separate code paths to the run). */
static void table_quick_matches_train(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment sleep-stdp-table --quick --quiet --set "
                            "table.datasets=synthetic:600 --out t.json",
                            &out),
                     0);
    free(out);
    json_t *doc = load(dir, "t.json");
    assert_string_equal(json_string_value(json_object_get(doc, "experiment")), "sleep-stdp-table");
    assert_true(json_is_string(json_object_get(doc, "somnus_version")));
    assert_true(json_is_object(json_object_get(doc, "config")));
    json_t *cells = json_object_get(json_object_get(doc, "results"), "cells");
    assert_int_equal(json_array_size(cells), 2); /* one dataset x rates 0, 0.2 (--quick) */
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_array_get(cells, i);
        const char *keys[] = {"dataset",       "model",       "sleep_rate",
                              "mean_accuracy", "sd_accuracy", "n_seeds"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_non_null(json_object_get(c, keys[k]));
        assert_int_equal(json_integer_value(json_object_get(c, "n_seeds")), 2);
        json_t *a = json_object_get(c, "accuracies");
        const double a0 = json_number_value(json_array_get(a, 0)),
                     a1 = json_number_value(json_array_get(a, 1));
        assert_float_near(json_number_value(json_object_get(c, "mean_accuracy")), (a0 + a1) / 2,
                          1e-12);
        /* The sample sd of two values is |a0 - a1| / sqrt(2). */
        assert_float_near(json_number_value(json_object_get(c, "sd_accuracy")),
                          fabs(a0 - a1) / sqrt(2.0), 1e-12);
    }
    char path[4096];
    const char *files[] = {"t-cells.csv", "t-runs.csv", "t-accuracy.png"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        assert_true(tu_exists(path));
    }
    /* Cell (rate 0.2, seed 2) again through `somnus train` with the experiment's config. */
    json_t *c1 = json_array_get(cells, 1);
    const double expect = json_number_value(json_array_get(json_object_get(c1, "accuracies"), 1));
    assert_int_equal(tu_cli(dir,
                            "train --config t.json --set sleep.rate=0.2 --set run.seed=2 "
                            "--set data.dataset=synthetic:600 --quiet --out one.json",
                            &out),
                     0);
    free(out);
    json_t *one = load(dir, "one.json");
    assert_float_near(
        json_number_value(json_object_get(json_object_get(one, "final"), "test_accuracy")), expect,
        0);
    json_decref(one);
    json_decref(doc);
}

/* The comparison: five rows per cell, the random network's row the same in every column,
 * compare.md written. */
static void compare_quick_has_rows_a_to_e(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment sleep-stdp-compare --quick --quiet --set "
                            "table.datasets=synthetic:600 --out c.json",
                            &out),
                     0);
    free(out);
    json_t *doc = load(dir, "c.json");
    json_t *rows = json_object_get(json_object_get(doc, "results"), "rows");
    assert_int_equal(json_array_size(rows), 5 * 2); /* rows a-e x rates 0, 0.2 */
    const char *expect_rows = "aabbccddee";
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(json_string_value(json_object_get(json_array_get(rows, i), "row"))[0],
                         expect_rows[i]);
    /* (d) runs without sleep: both columns are the same runs. */
    assert_true(json_equal(json_object_get(json_array_get(rows, 6), "accuracies"),
                           json_object_get(json_array_get(rows, 7), "accuracies")));
    /* (a) presents images 4 x longer than the others in --quick (1,000 steps in full). */
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(rows, 0), "steps_per_image")), 100);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(rows, 2), "steps_per_image")), 25);
    char path[4096];
    snprintf(path, sizeof path, "%s/c-compare.md", dir);
    assert_true(tu_exists(path));
    json_decref(doc);
}

/* ip-sleep (spec intrinsic.md I1) quick: one cell per condition (none, rate 10 Hz, the
 * frozen network), the cell keys of the issue, h moved only by the rule, the figures, and
 * the rate cell's accuracy equal to a `somnus train` run of the same configuration. */
static void ip_sleep_quick_has_its_cells(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment ip-sleep --quick --quiet --set "
                            "table.datasets=synthetic:600 --out i.json",
                            &out),
                     0);
    free(out);
    json_t *doc = load(dir, "i.json");
    json_t *cells = json_object_get(json_object_get(doc, "results"), "cells");
    assert_int_equal(json_array_size(cells), 3);
    const char *rules[3] = {"none", "rate", "frozen"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(cells, i);
        const char *keys[] = {"dataset",       "sleep_rate",  "ip_rule",           "target_e",
                              "mean_accuracy", "sd_accuracy", "plastic_sum_ratio", "final_rate_e"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_non_null(json_object_get(c, keys[k]));
        assert_string_equal(json_string_value(json_object_get(c, "ip_rule")), rules[i]);
        assert_string_equal(json_string_value(json_object_get(c, "dataset")), "synthetic:600");
        /* one seed: the mean is that run, the sd 0 */
        assert_float_near(json_number_value(json_object_get(c, "mean_accuracy")),
                          json_number_value(json_array_get(json_object_get(c, "accuracies"), 0)),
                          0);
        assert_float_near(json_number_value(json_object_get(c, "sd_accuracy")), 0, 0);
        const double h = json_number_value(json_object_get(c, "h_mean_e_final"));
        assert_true(i == 1 ? h != 0 : h == 0);
        assert_true(json_number_value(json_object_get(c, "final_rate_e")) >= 0);
    }
    assert_true(json_is_null(json_object_get(json_array_get(cells, 0), "target_e")));
    assert_float_near(json_number_value(json_object_get(json_array_get(cells, 1), "target_e")), 10,
                      0);
    /* the frozen network: no plasticity, no sleep */
    assert_float_near(json_number_value(json_object_get(json_array_get(cells, 2), "sleep_rate")), 0,
                      0);
    char path[4096];
    const char *files[] = {"i-cells.csv",   "i-runs.csv",  "i-accuracy.png", "i-stability.png",
                           "i-weights.png", "i-rates.png", "i-h.png"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        assert_true(tu_exists(path));
    }
    const double expect = json_number_value(
        json_array_get(json_object_get(json_array_get(cells, 1), "accuracies"), 0));
    assert_int_equal(tu_cli(dir,
                            "train --config i.json --set ip.rule=rate --set ip.target_e=10 "
                            "--set ip.eta_h=0.02 --set sleep.rate=0.2 "
                            "--set data.dataset=synthetic:600 --quiet --out one.json",
                            &out),
                     0);
    free(out);
    json_t *one = load(dir, "one.json");
    assert_float_near(
        json_number_value(json_object_get(json_object_get(one, "final"), "test_accuracy")), expect,
        0);
    json_decref(one);
    json_decref(doc);
    tu_expect_cli_error(dir, "experiment ip-sleep --quick --quiet --set table.ip_conditions=rate7",
                        "table.ip_conditions");
}

/* The kept runs of `--runs DIR`: name = config hash of the run's document. */
typedef struct kept_runs {
    char path[8][4400];
    json_t *doc[8];
    int n;
} kept_runs;

static void read_kept(const char *dir, kept_runs *k)
{
    char d[4096];
    snprintf(d, sizeof d, "%s/kept", dir);
    DIR *dp = opendir(d);
    assert_non_null(dp);
    k->n = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.') continue;
        assert_true(k->n < 8);
        snprintf(k->path[k->n], sizeof k->path[0], "%s/%s", d, e->d_name);
        json_error_t je;
        k->doc[k->n] = json_load_file(k->path[k->n], 0, &je);
        assert_non_null(k->doc[k->n]);
        const char *h = json_string_value(json_object_get(k->doc[k->n], "config_hash"));
        assert_non_null(h);
        assert_int_equal(strlen(e->d_name), strlen(h) + 5); /* <hash>.json */
        assert_memory_equal(e->d_name, h, strlen(h));
        k->n++;
    }
    closedir(dp);
}

static void free_kept(kept_runs *k)
{
    for (int i = 0; i < k->n; i++)
        json_decref(k->doc[i]);
}

static json_t *final_of(json_t *kept)
{
    return json_object_get(json_object_get(kept, "document"), "final");
}

/* Accuracy of (rate index, seed index) in a table document. */
static double cell_acc(json_t *doc, size_t rate, size_t seed)
{
    json_t *c = json_array_get(json_object_get(json_object_get(doc, "results"), "cells"), rate);
    return json_number_value(json_array_get(json_object_get(c, "accuracies"), seed));
}

#define KEPT_TABLE                                                                                 \
    "experiment sleep-stdp-table --quick --quiet --set table.datasets=synthetic:600 --runs kept "

/* (rate index, seed index) of a kept run, from its document's config. */
static void kept_cell(json_t *kept, size_t *rate, size_t *seed)
{
    json_t *cfg = json_object_get(json_object_get(kept, "document"), "config");
    *rate = json_number_value(json_object_get(json_object_get(cfg, "sleep"), "rate")) > 0.1;
    *seed = (size_t)json_integer_value(json_object_get(json_object_get(cfg, "run"), "seed")) - 1;
}

/* --runs: every run kept under its config hash; a second call reuses them (a marker
 * written into the kept documents comes back in the table); a kept run of another somnus
 * version, one made with another OpenBLAS core and an unreadable file are run again (the
 * original numbers) and replaced. */
static void runs_dir_keeps_and_reuses_runs(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, KEPT_TABLE "--out a.json", &out), 0);
    free(out);
    json_t *a = load(dir, "a.json");
    kept_runs k;
    read_kept(dir, &k);
    assert_int_equal(k.n, 4); /* rates 0, 0.2 x seeds 1, 2 */
    size_t redo[3][2];
    for (int i = 0; i < k.n; i++) {
        assert_string_equal(json_string_value(json_object_get(k.doc[i], "somnus_version")),
                            json_string_value(json_object_get(a, "somnus_version")));
        json_object_set_new(final_of(k.doc[i]), "test_accuracy", json_real(0.4321));
        if (i < 3) kept_cell(k.doc[i], &redo[i][0], &redo[i][1]);
        if (i == 0) json_object_set_new(k.doc[i], "somnus_version", json_string("0.0.0+other"));
        if (i == 2) {
            assert_non_null(json_string_value(json_object_get(k.doc[i], "blas_core")));
            json_object_set_new(k.doc[i], "blas_core", json_string("OtherCore"));
        }
        assert_int_equal(json_dump_file(k.doc[i], k.path[i], 0), 0);
    }
    FILE *f = fopen(k.path[1], "w"); /* run 1: an unreadable file */
    assert_non_null(f);
    fputs("{not json", f);
    fclose(f);
    free_kept(&k);
    assert_int_equal(tu_cli(dir, KEPT_TABLE "--out b.json", &out), 0);
    free(out);
    json_t *b = load(dir, "b.json");
    for (size_t r = 0; r < 2; r++)
        for (size_t s = 0; s < 2; s++) {
            int again = 0;
            for (int i = 0; i < 3; i++)
                again |= r == redo[i][0] && s == redo[i][1];
            assert_float_near(cell_acc(b, r, s), again ? cell_acc(a, r, s) : 0.4321, 0);
        }
    read_kept(dir, &k); /* the redone runs replaced their files, in this version */
    assert_int_equal(k.n, 4);
    int redone = 0;
    for (int i = 0; i < k.n; i++)
        redone += json_number_value(json_object_get(final_of(k.doc[i]), "test_accuracy")) != 0.4321;
    assert_int_equal(redone, 3);
    free_kept(&k);
    json_decref(a);
    json_decref(b);
    free(tu_write_file(dir, "afile", "x", 1));
    tu_expect_cli_error(dir, "experiment sleep-stdp-table --quick --runs afile/sub", "--runs");
}

#define KEPT_DC "experiment dc-size --quick --quiet --set data.dataset=synthetic:600 --runs kept "

/* dc-size keeps its runs too: a marker written into every kept run's final all-activity
 * accuracy comes back in the second call's runs (nothing is run again). */
static void dc_grid_reuses_kept_runs(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, KEPT_DC "--out d1.json", &out), 0);
    free(out);
    kept_runs k;
    read_kept(dir, &k);
    json_t *d1 = load(dir, "d1.json");
    const size_t n = json_array_size(json_object_get(json_object_get(d1, "results"), "runs"));
    assert_true(n >= 2);
    assert_int_equal(k.n, (int)n);
    for (int i = 0; i < k.n; i++) {
        json_object_set_new(final_of(k.doc[i]), "test_acc_all", json_real(0.4321));
        assert_int_equal(json_dump_file(k.doc[i], k.path[i], 0), 0);
    }
    free_kept(&k);
    assert_int_equal(tu_cli(dir, KEPT_DC "--out d2.json", &out), 0);
    free(out);
    json_t *d2 = load(dir, "d2.json");
    json_t *runs = json_object_get(json_object_get(d2, "results"), "runs");
    assert_int_equal(json_array_size(runs), n);
    for (size_t i = 0; i < n; i++)
        assert_float_near(json_number_value(json_object_get(json_array_get(runs, i), "acc_all")),
                          0.4321, 0);
    json_decref(d1);
    json_decref(d2);
}

/* The loss-of-plasticity arms run side by side (--jobs 2) give the document of one at a
 * time: the same runs, numbers and order (only the wall time differs). */
static void plasticity_arms_do_not_depend_on_jobs(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment plasticity-stdp --quick --quiet --jobs 1 --set "
                            "data.dataset=synthetic:2000 --out j1.json",
                            &out),
                     0);
    free(out);
    assert_int_equal(tu_cli(dir,
                            "experiment plasticity-stdp --quick --quiet --jobs 2 --set "
                            "data.dataset=synthetic:2000 --out j2.json",
                            &out),
                     0);
    free(out);
    json_t *a = load(dir, "j1.json"), *b = load(dir, "j2.json");
    json_t *ra = json_object_get(a, "results"), *rb = json_object_get(b, "results");
    assert_true(json_array_size(json_object_get(ra, "runs")) >= 3);
    assert_true(json_equal(ra, rb));
    json_decref(a);
    json_decref(b);
}

static void unknown_experiment_and_bad_option_fail_cleanly(void **state)
{
    const char *dir = *state;
    tu_expect_cli_error(dir, "experiment no-such --out x.json", "is not registered");
    tu_expect_cli_error(dir, "experiment sleep-stdp-table --quick --set table.seeds=0",
                        "'table.seeds'");
    tu_expect_cli_error(dir, "experiment sleep-stdp-table --quick --bogus", "--bogus");
}

#define KEPT_SAFE                                                                                  \
    "experiment continual-safe --quick --set safe.streams=split:synthetic:0,1/2,3 "                \
    "--set data.dataset=synthetic --set safe.ptm=random --runs kept "

/* continual-safe keeps its runs (SAFE and the three ablations of the quick run): a marker
 * written into every kept run's accuracies comes back in the second call's conditions, and
 * the second call makes no extractor (its log has no extractor line). */
static void continual_safe_reuses_kept_runs(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, KEPT_SAFE "--out s1.json", &out), 0);
    assert_non_null(strstr(out, "extractor random"));
    free(out);
    kept_runs k;
    read_kept(dir, &k);
    assert_int_equal(k.n, 4);
    for (int i = 0; i < k.n; i++) {
        json_t *c = json_object_get(json_object_get(k.doc[i], "document"), "continual");
        json_object_set_new(c, "acc", json_real(0.4321));
        json_object_set_new(json_object_get(c, "aggregate"), "acc", json_real(0.4321));
        assert_int_equal(json_dump_file(k.doc[i], k.path[i], 0), 0);
    }
    free_kept(&k);
    assert_int_equal(tu_cli(dir, KEPT_SAFE "--out s2.json", &out), 0);
    assert_null(strstr(out, "extractor"));
    free(out);
    json_t *s2 = load(dir, "s2.json");
    json_t *conds = json_object_get(json_object_get(s2, "results"), "conditions");
    int marked = 0;
    for (size_t i = 0; i < json_array_size(conds); i++) {
        json_t *c = json_array_get(conds, i);
        const char *name = json_string_value(json_object_get(c, "condition"));
        const char *scen = json_string_value(json_object_get(c, "scenario"));
        if (!strcmp(scen, "class") && (!strcmp(name, "safe") || !strncmp(name, "safe-no-", 8))) {
            assert_float_near(json_number_value(json_object_get(c, "acc")), 0.4321, 0);
            marked++;
        }
    }
    assert_int_equal(marked, 4);
    json_decref(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_prints_every_experiment_a_line, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(table_quick_matches_train, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(compare_quick_has_rows_a_to_e, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(ip_sleep_quick_has_its_cells, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(runs_dir_keeps_and_reuses_runs, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(continual_safe_reuses_kept_runs, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(dc_grid_reuses_kept_runs, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(plasticity_arms_do_not_depend_on_jobs, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(unknown_experiment_and_bad_option_fail_cleanly,
                                        tu_state_dir_setup, tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
