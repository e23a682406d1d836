/* Sweep grids: parsing, cells, ids, config hashes, the weights export; and the data
 * preparation from a cached pool (same images as sm_train_data_load). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/models/sim.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/train.h"

static void add_ok(sm_grid *g, const char *spec)
{
    sm_error err;
    sm_status st = sm_grid_add(g, spec, &err);
    if (st != SM_OK) fprintf(stderr, "%s: %s\n", spec, err.msg);
    assert_int_equal(st, SM_OK);
}

static void ranges_give_exact_values(void **state)
{
    (void)state;
    sm_grid g;
    sm_grid_init(&g);
    add_ok(&g, "sleep.rate=0:1:0.1");
    assert_int_equal(g.axes[0].n, 11);
    const char *want[] = {"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"};
    for (int k = 0; k < 11; k++)
        assert_string_equal(g.axes[0].values[k], want[k]);
    add_ok(&g, "run.seed=1:5");
    assert_int_equal(g.axes[1].n, 5);
    assert_string_equal(g.axes[1].values[0], "1");
    assert_string_equal(g.axes[1].values[4], "5");
    assert_int_equal(sm_grid_n_cells(&g), 55);
    /* The value a cell gets is exactly the one --set would give: 0.3 is strtod("0.3"),
     * not 3 * 0.1. */
    sm_config base, c;
    sm_config_default(&base);
    base.run.threads = 4;
    sm_error err;
    assert_int_equal(sm_grid_cell_config(&g, 3 * 5 + 2, &base, &c, &err), SM_OK);
    assert_true(c.sleep.rate == 0.3);
    assert_int_equal(c.run.seed, 3);
    assert_int_equal(c.run.threads, 1);
    /* Order: the first axis varies slowest. */
    int idx[2];
    sm_grid_cell_index(&g, 54, idx);
    assert_int_equal(idx[0], 10);
    assert_int_equal(idx[1], 4);
    sm_grid_cell_index(&g, 6, idx);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 1);
    sm_grid_free(&g);
    assert_int_equal(g.n_axes, 0);

    sm_grid_init(&g);
    add_ok(&g, "sleep.rate=0, 0.05:0.15:0.05,1");
    assert_int_equal(g.axes[0].n, 5);
    assert_string_equal(g.axes[0].values[1], "0.05");
    assert_string_equal(g.axes[0].values[3], "0.15");
    assert_string_equal(g.axes[0].values[4], "1");
    add_ok(&g, "lif_e.tau_m=10:35:10"); /* the end need not be on the grid */
    assert_int_equal(g.axes[1].n, 3);
    assert_string_equal(g.axes[1].values[2], "30");
    add_ok(&g, "data.dataset=mnist,fashion,synthetic:100");
    assert_int_equal(g.axes[2].n, 3);
    assert_string_equal(g.axes[2].values[2], "synthetic:100");
    add_ok(&g, "data.classes=0,1;2-4"); /* ';' when values contain commas */
    assert_int_equal(g.axes[3].n, 2);
    assert_string_equal(g.axes[3].values[0], "0,1");
    add_ok(&g, "stdp.sign=textbook,as_published");
    assert_int_equal(sm_grid_n_cells(&g), 5 * 3 * 3 * 2 * 2);
    sm_grid_free(&g);

    sm_grid_init(&g);
    add_ok(&g, "sleep.rate=0.25:0.75:0.25");
    assert_int_equal(g.axes[0].n, 3);
    assert_string_equal(g.axes[0].values[2], "0.75");
    add_ok(&g, "run.seed=7");
    assert_int_equal(sm_grid_n_cells(&g), 3);
    sm_grid_free(&g);
}

static void expect_bad(const char *spec, const char *needle)
{
    sm_grid g;
    sm_grid_init(&g);
    sm_error err;
    if (!strncmp(spec, "TWICE:", 6)) {
        add_ok(&g, spec + 6);
        spec += 6;
    }
    sm_status st = sm_grid_add(&g, spec, &err);
    if (st == SM_OK || !strstr(err.msg, needle))
        fprintf(stderr, "spec '%s': status %d, message '%s', expected '%s'\n", spec, st,
                st == SM_OK ? "" : err.msg, needle);
    assert_int_not_equal(st, SM_OK);
    assert_non_null(strstr(err.msg, needle));
    assert_non_null(strstr(err.msg, "--grid"));
    sm_grid_free(&g);
}

static void bad_grids_are_rejected(void **state)
{
    (void)state;
    expect_bad("sleep.rate", "expected group.name=values");
    expect_bad("sleep.rat=0,1", "unknown parameter 'sleep.rat' (did you mean 'sleep.rate'?)");
    expect_bad("bogus=1", "unknown parameter 'bogus'");
    expect_bad("sleep.rate=", "empty value");
    expect_bad("sleep.rate=0,,1", "empty value");
    expect_bad("sleep.rate=abc", "is not a number");
    expect_bad("sleep.rate=-1", "out of range");
    expect_bad("sleep.rate=0:-1", "ends below its start");
    expect_bad("sleep.rate=0:1:0", "step > 0");
    expect_bad("sleep.rate=0:1:-0.1", "step > 0");
    expect_bad("sleep.rate=0:x", "not a finite number");
    expect_bad("sleep.rate=0:1:0.1:3", "bad range");
}

static void bad_grids_more(void **state)
{
    (void)state;
    expect_bad("run.seed=1:5:0.5", "not in whole numbers");
    expect_bad("run.seed=1,2,1", "value '1' listed twice");
    expect_bad("sleep.rate=0.1,0.10", "listed twice");
    expect_bad("TWICE:run.seed=1,2", "given twice");
    expect_bad("run.threads=1,2", "one thread");
    expect_bad("stdp.sign=textbook,sideways", "stdp.sign");
    expect_bad("sleep.rate=0:1e9:1e-9", "more than");
}

static void cell_ids_are_readable_and_distinct(void **state)
{
    (void)state;
    sm_grid g;
    sm_grid_init(&g);
    add_ok(&g, "data.dataset=mnist,fashion");
    add_ok(&g, "sleep.rate=0,0.1");
    add_ok(&g, "run.seed=1:2");
    char id[SM_SWEEP_ID_MAX];
    sm_grid_cell_id(&g, 7, id, sizeof id);
    assert_string_equal(id, "data.dataset=fashion__sleep.rate=0.1__run.seed=2");
    json_t *p = sm_grid_cell_params(&g, 7);
    assert_string_equal(json_string_value(json_object_get(p, "sleep.rate")), "0.1");
    assert_string_equal(json_string_value(json_object_get(p, "data.dataset")), "fashion");
    json_decref(p);
    sm_grid_free(&g);
    /* Characters that do not belong in a file name are replaced, and a hash keeps two
     * values that map to the same text apart. */
    sm_grid_init(&g);
    add_ok(&g, "data.dataset=idx:a/b,c;idx:a_b,c");
    char a[SM_SWEEP_ID_MAX], b[SM_SWEEP_ID_MAX];
    sm_grid_cell_id(&g, 0, a, sizeof a);
    sm_grid_cell_id(&g, 1, b, sizeof b);
    assert_null(strpbrk(a, "/:,"));
    assert_string_not_equal(a, b);
    assert_non_null(strstr(a, "data.dataset=idx_a_b_c__"));
    sm_grid_free(&g);
}

static void config_hash_follows_the_config(void **state)
{
    (void)state;
    sm_config a, b;
    sm_config_default(&a);
    sm_config_default(&b);
    char ha[17], hb[17];
    sm_sweep_config_hash(&a, ha);
    sm_sweep_config_hash(&b, hb);
    assert_string_equal(ha, hb);
    assert_int_equal(strlen(ha), 16);
    b.lif[0].tau_m += 1;
    sm_sweep_config_hash(&b, hb);
    assert_string_not_equal(ha, hb);
}

static void se_weights_round_trip_as_npy(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    /* Mark one S->E synapse so its place in the matrix can be checked. */
    int pre = -1, post = -1;
    for (int g = 0; g < sim->net->n_in && pre < 0; g++)
        for (int64_t s = sim->net->row[g]; s < sim->net->row[g + 1]; s++)
            if (sim->net->pathway[s] == SM_PATH_SE && g == 7) {
                sim->net->w[s] = 0.625f;
                pre = g;
                post = sim->net->post[s];
                break;
            }
    assert_true(pre == 7);
    size_t len;
    void *npy = sm_sweep_se_npy(sim, &len);
    assert_non_null(npy);
    assert_int_equal(len % 16, 0); /* 64-byte header + 200 * 225 * 4 bytes */
    char *dir = tu_mkdtemp();
    char *path = tu_write_file(dir, "w.se.npy", npy, len);
    float *w;
    int rows, cols;
    assert_int_equal(sm_npy_read_f32(path, &w, &rows, &cols, &err), SM_OK);
    assert_int_equal(rows, 200);
    assert_int_equal(cols, 225);
    assert_true(w[(size_t)post * 225 + 7] == 0.625f);
    double sum = 0;
    for (int k = 0; k < rows * cols; k++)
        sum += fabs(w[k]);
    /* Everything else is the S->E pathway at its initial weight. */
    const double expect =
        (double)(sim->net->path_count[SM_PATH_SE] - 1) * (float)c.net.w0[0] + 0.625;
    assert_float_near(sum, expect, 1e-3);
    free(w);
    /* A truncated file is an error naming it. */
    char *bad = tu_write_file(dir, "bad.npy", npy, len - 4);
    assert_int_equal(sm_npy_read_f32(bad, &w, &rows, &cols, &err), SM_EFORMAT);
    assert_non_null(strstr(err.msg, "bad.npy"));
    free(bad);
    free(npy);
    free(path);
    tu_rmtree(dir);
    free(dir);
    sm_sim_destroy(sim);
}

static void data_from_pool_matches_data_load(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    snprintf(c.data.dataset, sizeof c.data.dataset, "synthetic:30");
    c.data.n_train = 40;
    c.data.n_val = 8;
    c.data.n_test = 16;
    snprintf(c.data.classes, sizeof c.data.classes, "0-2");
    c.run.seed = 5;
    sm_train_data a, b;
    assert_int_equal(sm_train_data_load(&c, &a, &err), SM_OK);
    sm_dataset *pool, *official;
    assert_int_equal(sm_dataset_load_named(c.data.dataset, c.data.dir, &pool, &official, &err),
                     SM_OK);
    assert_int_equal(sm_train_data_from_pool(&c, pool, official, &b, &err), SM_OK);
    const sm_dataset *pa[3] = {a.train, a.val, a.test}, *pb[3] = {b.train, b.val, b.test};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(pa[k]->n, pb[k]->n);
        assert_memory_equal(pa[k]->labels, pb[k]->labels, (size_t)pa[k]->n * sizeof(int));
        assert_memory_equal(pa[k]->pixels, pb[k]->pixels, (size_t)pa[k]->n * 225 * sizeof(float));
    }
    assert_string_equal(a.name, b.name);
    sm_train_data_free(&a);
    sm_train_data_free(&b);
    /* Errors of the split come back the same way. */
    c.data.n_train = 100;
    assert_int_not_equal(sm_train_data_from_pool(&c, pool, official, &b, &err), SM_OK);
    assert_null(b.train);
    sm_dataset_destroy(pool);
    sm_dataset_destroy(official);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranges_give_exact_values),
        cmocka_unit_test(bad_grids_are_rejected),
        cmocka_unit_test(bad_grids_more),
        cmocka_unit_test(cell_ids_are_readable_and_distinct),
        cmocka_unit_test(config_hash_follows_the_config),
        cmocka_unit_test(se_weights_round_trip_as_npy),
        cmocka_unit_test(data_from_pool_matches_data_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
