/* Tests of task B of the theta-gated Helmholtz machine (src/models/theta_pathint.c) and of
 * the theta experiments through the program (theta-pathint, theta-remap, theta-blocks). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/theta_common.h"
#include "somnus/core/config.h"
#include "somnus/io/npy.h"
#include "somnus/models/theta_pathint.h"

static sm_theta_pathint_params params(uint64_t seed)
{
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.theta.eta = 0.01;
    cfg.theta.w_init_rec = 0.2;
    sm_theta_pathint_params p;
    sm_theta_pathint_params_from_config(&p, &cfg);
    p.seed = seed;
    return p;
}

/* periodic distance, centres, place cells, velocity and conjunctive cells, by hand */
static void test_cells_by_hand(void **state)
{
    (void)state;
    sm_theta_pathint_params p = params(2);
    sm_theta_pathint m;
    assert_int_equal(sm_theta_pathint_init(&m, &p, NULL), SM_OK);
    assert_float_near(sm_theta_pathint_distance(&m, 0.05, 0.95), 0.1, 1e-12);
    assert_float_near(sm_theta_pathint_distance(&m, 0.2, 0.7), 0.5, 1e-12);
    assert_float_near(sm_theta_pathint_distance(&m, 0.3, 0.1), 0.2, 1e-12);
    /* centres: spacing 0.01, jitter within +-0.0045 of (i + 0.5) / 100 */
    for (int i = 0; i < p.n; i++)
        assert_true(fabs(m.centres[i] - (i + 0.5) * 0.01) <= 0.0045 + 1e-6);
    for (int k = 0; k < 50; k++) {
        const float vp = m.vc[0], vm = m.vc[1];
        const double x0 = m.x, v0 = m.v;
        sm_theta_pathint_step(&m, 1);
        /* the move uses last step's velocity (then v is updated), as RatInABox's 1D agent */
        assert_float_near(sm_theta_pathint_distance(&m, m.x, fmod(x0 + v0 * 0.025 + 1.0, 1.0)), 0.0,
                          1e-12);
        /* the velocity cells of last step carried v0 */
        assert_float_near(vp - vm, v0 / 0.5, 1e-6);
        /* place cell 17: exp(-d^2 / (2 * 0.06^2)) */
        const double d = sm_theta_pathint_distance(&m, m.x, m.centres[17]);
        assert_float_near(m.pc[17], exp(-d * d / (2 * 0.06 * 0.06)), 1e-6);
        /* conjunctive cells: this step's g, last step's velocity cells, threshold 1 */
        for (int i = 0; i < p.n; i++) {
            assert_float_near(m.cvc[i], fmax(0.0, m.g.r[i] + (vp - vm) - 1.0), 1e-6);
            assert_float_near(m.cvc[p.n + i], fmax(0.0, m.g.r[i] + (vm - vp) - 1.0), 1e-6);
        }
        /* velocity cells: max(0, +-v) / 0.5 */
        assert_float_near(m.vc[0], fmax(0.0, m.v) / 0.5, 1e-6);
        assert_float_near(m.vc[1], fmax(0.0, -m.v) / 0.5, 1e-6);
        assert_true(m.x >= 0 && m.x < 1.0);
        /* g's dendrites are retanh: never negative, below 1 (before noise: sd 0.01) */
        for (int i = 0; i < p.n; i++)
            assert_true(m.g.basal.r[i] > -0.1f && m.g.basal.r[i] < 1.1f);
    }
    sm_theta_pathint_free(&m);
}

/* the agent's velocity: OU with sd 0.5 m/s and correlation time 0.7 s */
static void test_agent_statistics(void **state)
{
    (void)state;
    sm_theta_pathint_params p = params(3);
    sm_theta_pathint m;
    assert_int_equal(sm_theta_pathint_init(&m, &p, NULL), SM_OK);
    const int steps = 20000, lag = 28; /* 0.7 s */
    double *v = malloc(sizeof(double) * steps);
    for (int k = 0; k < steps; k++) {
        sm_theta_pathint_step(&m, 0);
        v[k] = m.v;
    }
    double ss = 0, sl = 0;
    for (int k = lag; k < steps; k++) {
        ss += v[k] * v[k];
        sl += v[k] * v[k - lag];
    }
    assert_float_near(sqrt(ss / (steps - lag)), 0.5, 0.08);
    assert_float_near(sl / ss, pow(1 - 0.025 / 0.7, lag), 0.08);
    free(v);
    sm_theta_pathint_free(&m);
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* remap is a permutation of the centres; a copy continues bit for bit like the original */
static void test_remap_and_copy(void **state)
{
    (void)state;
    sm_theta_pathint_params p = params(4);
    sm_theta_pathint a, b;
    assert_int_equal(sm_theta_pathint_init(&a, &p, NULL), SM_OK);
    assert_int_equal(sm_theta_pathint_init(&b, &p, NULL), SM_OK);
    for (int k = 0; k < 300; k++)
        sm_theta_pathint_step(&a, 1);
    assert_int_equal(sm_theta_pathint_copy(&b, &a, NULL), SM_OK);
    float *c0 = malloc(sizeof(float) * p.n), *c1 = malloc(sizeof(float) * p.n);
    memcpy(c0, a.centres, sizeof(float) * p.n);
    sm_theta_pathint_remap(&a);
    sm_theta_pathint_remap(&b);
    assert_memory_equal(a.centres, b.centres, sizeof(float) * p.n);
    int moved = 0;
    for (int i = 0; i < p.n; i++)
        moved += a.centres[i] != c0[i];
    assert_true(moved > p.n / 2);
    memcpy(c1, a.centres, sizeof(float) * p.n);
    qsort(c0, (size_t)p.n, sizeof(float), cmp_float);
    qsort(c1, (size_t)p.n, sizeof(float), cmp_float);
    assert_memory_equal(c0, c1, sizeof(float) * p.n);
    for (int k = 0; k < 300; k++) {
        sm_theta_pathint_step(&a, 1);
        sm_theta_pathint_step(&b, 1);
    }
    assert_memory_equal(a.g.r, b.g.r, sizeof(float) * p.n);
    assert_memory_equal(a.g_rec->w, b.g_rec->w, sizeof(float) * p.n * p.n);
    /* frozen blocks do not change while the others learn */
    float *w = malloc(sizeof(float) * p.n * p.n);
    memcpy(w, a.g_rec->w, sizeof(float) * p.n * p.n);
    a.g_rec->eta = 0;
    float before = a.g_from_p->w[5];
    for (int k = 0; k < 100; k++)
        sm_theta_pathint_step(&a, 1);
    assert_memory_equal(w, a.g_rec->w, sizeof(float) * p.n * p.n);
    assert_true(a.g_from_p->w[5] != before);
    free(w);
    free(c0);
    free(c1);
    sm_theta_pathint_free(&a);
    sm_theta_pathint_free(&b);
}

/* the ridge decoder on place-cell rates recovers the position */
static void test_decoder(void **state)
{
    (void)state;
    sm_theta_pathint_params p = params(5);
    sm_theta_pathint m;
    assert_int_equal(sm_theta_pathint_init(&m, &p, NULL), SM_OK);
    sm_theta_rec rec;
    assert_int_equal(sm_theta_rec_init(&rec, p.n, 2000, NULL), SM_OK);
    float *map = malloc(sizeof(float) * 200 * p.n);
    sm_theta_pathint_ratemaps(&m, 200, map, NULL);
    for (int s = 0; s < 2000; s++) {
        const int b = (s * 37) % 200;
        memcpy(rec.x + (size_t)s * p.n, map + (size_t)b * p.n, sizeof(float) * p.n);
        rec.pos[s] = (b + 0.5) / 200.0;
    }
    rec.count = 2000;
    sm_theta_decoder d;
    assert_int_equal(sm_theta_decoder_fit(&d, &rec, SM_THETA_DECODER_RIDGE, 0.01, 1.0, NULL),
                     SM_OK);
    for (int b = 0; b < 200; b += 7) {
        const double x = sm_theta_decode(&d, map + (size_t)b * p.n);
        assert_true(sm_theta_pathint_distance(&m, x, (b + 0.5) / 200.0) < 0.01);
    }
    sm_theta_decoder_free(&d);
    sm_theta_rec_free(&rec);
    free(map);
    sm_theta_pathint_free(&m);
}

/* the argmax decoder by hand: preferred positions are the bins of highest mean rate */
static void test_argmax_decoder(void **state)
{
    (void)state;
    sm_theta_rec rec;
    assert_int_equal(sm_theta_rec_init(&rec, 3, 8, NULL), SM_OK);
    /* positions 0.105 (bin 10), 0.505 (bin 50, twice), 0.805 (bin 80) */
    const double pos[4] = {0.105, 0.505, 0.805, 0.505};
    const float x[4][3] = {
        {1.0f, 0.2f, 0.0f}, {0.3f, 0.9f, 0.1f}, {0.0f, 0.4f, 0.7f}, {0.1f, 0.5f, 0.2f}};
    for (int s = 0; s < 4; s++) {
        memcpy(rec.x + (size_t)s * 3, x[s], sizeof x[s]);
        rec.pos[s] = pos[s];
    }
    rec.count = 4;
    sm_theta_decoder d;
    assert_int_equal(sm_theta_decoder_fit(&d, &rec, SM_THETA_DECODER_ARGMAX, 0.01, 1.0, NULL),
                     SM_OK);
    /* bin means: unit 0: 1.0, 0.2, 0.0; unit 1: 0.2, 0.7, 0.4; unit 2: 0.0, 0.15, 0.7 */
    assert_float_near(d.pref[0], 0.105, 1e-12);
    assert_float_near(d.pref[1], 0.505, 1e-12);
    assert_float_near(d.pref[2], 0.805, 1e-12);
    const float r1[3] = {0.1f, 0.9f, 0.3f}, r2[3] = {0.5f, 0.1f, 0.6f}, r3[3] = {0.5f, 0.5f, 0.1f};
    assert_float_near(sm_theta_decode(&d, r1), 0.505, 1e-12);
    assert_float_near(sm_theta_decode(&d, r2), 0.805, 1e-12);
    assert_float_near(sm_theta_decode(&d, r3), 0.105, 1e-12); /* tie: the first unit */
    sm_theta_decoder_free(&d);
    /* an unknown kind names the option */
    sm_error err;
    assert_int_equal(sm_theta_decoder_fit(&d, &rec, 7, 0.01, 1.0, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "theta.decoder"));
    sm_theta_rec_free(&rec);
}

static json_t *run_cli_json(const char *dir, const char *args, const char *json_name)
{
    char *out = NULL;
    const int rc = tu_cli(dir, args, &out);
    if (rc != 0) fprintf(stderr, "%s\n", out ? out : "");
    free(out);
    assert_int_equal(rc, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, json_name);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    assert_non_null(doc);
    return doc;
}

static void test_pathint_cli(void **state)
{
    char **dir = (char **)state;
    json_t *doc = run_cli_json(*dir,
                               "experiment theta-pathint --quick --quiet --set theta.train_min=1 "
                               "--set theta.pi_spinup_s=2 --set theta.pi_test_s=2 --out p.json",
                               "p.json");
    json_t *res = json_object_get(doc, "results");
    const char *keys[] = {"pi_error_1s_m", "pi_error_1s_untrained_m", "final_err_sensory",
                          "final_err_hidden", "pi_error_chance_m"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(json_is_number(json_object_get(res, keys[i])));
    const double e = json_number_value(json_object_get(res, "pi_error_1s_m"));
    assert_true(e >= 0 && e <= 0.5);
    json_decref(doc);
    char path[4096];
    const char *files[] = {"p-errors.csv", "p-errors.png", "p-pi_error.csv", "p-pi_error.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", *dir, files[i]);
        assert_true(tu_exists(path));
    }
    snprintf(path, sizeof path, "%s/p-ratemaps.npy", *dir);
    sm_npy_array *a = sm_npy_read(path, NULL);
    assert_non_null(a);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], 100);
    assert_int_equal(a->shape[1], 100);
    /* sorted by peak: the peak bins of the rows never decrease */
    int last = -1;
    for (int r = 0; r < 100; r++) {
        const float *row = (const float *)a->data + (size_t)r * 100;
        int best = 0;
        for (int b = 1; b < 100; b++)
            if (row[b] > row[best]) best = b;
        assert_true(best >= last);
        last = best;
    }
    sm_npy_destroy(a);
    snprintf(path, sizeof path, "%s/p-weights_sorted.npy", *dir);
    a = sm_npy_read(path, NULL);
    assert_non_null(a);
    assert_int_equal(a->ndim, 3);
    assert_int_equal(a->shape[0], 3);
    sm_npy_destroy(a);
}

static void test_remap_and_blocks_cli(void **state)
{
    char **dir = (char **)state;
    json_t *doc = run_cli_json(*dir,
                               "experiment theta-remap --quick --quiet --set theta.train_min=0.5 "
                               "--set theta.remap_infer_min=0.2 --set theta.pi_repeats=2 --out "
                               "r.json",
                               "r.json");
    json_t *pe = json_object_get(json_object_get(doc, "results"), "pi_error_1s_m");
    const char *cond[] = {"before", "after_remap", "after_retrain"};
    for (int i = 0; i < 3; i++)
        assert_true(json_is_number(json_object_get(pe, cond[i])));
    json_decref(doc);
    doc = run_cli_json(*dir,
                       "experiment theta-blocks --quick --quiet --set theta.train_min=1 "
                       "--out b.json",
                       "b.json");
    json_t *res = json_object_get(doc, "results");
    assert_true(json_is_number(json_object_get(json_object_get(res, "theta"), "final_err_hidden")));
    assert_true(json_is_number(json_object_get(json_object_get(res, "block"), "final_err_hidden")));
    json_decref(doc);
    char path[4096];
    const char *files[] = {"r-remap.csv", "r-remap.png", "b-blocks.csv", "b-blocks.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", *dir, files[i]);
        assert_true(tu_exists(path));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_by_hand),
        cmocka_unit_test(test_agent_statistics),
        cmocka_unit_test(test_remap_and_copy),
        cmocka_unit_test(test_decoder),
        cmocka_unit_test(test_argmax_decoder),
        cmocka_unit_test_setup_teardown(test_pathint_cli, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_remap_and_blocks_cli, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
