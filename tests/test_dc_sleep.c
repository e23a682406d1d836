/* Tests of sleep for the Diehl & Cook network (src/models/dc_sleep.c, spec diehl-cook.md
 * section 7 item 7): silent input and frozen theta while asleep, the decay map against
 * hand values, the lazy map against a per-step reference with STDP acting, columns at 78
 * after a window, sleep.rate 0 leaving training untouched, identical results on 1 and 2
 * threads, and bad keys rejected by name. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/models/dc.h"
#include "somnus/models/dc_sleep.h"
#include "somnus/protocol/train.h"
#include "protocol/experiments/paired_stats.h"
#include "protocol/train_dc.h"

#include <jansson.h>

#define W_T (78.0 / 784.0)

static sm_dc *make_wie(int n_in, int n_exc, double delay, double w_ie)
{
    sm_dc_params p;
    sm_dc_params_default(&p);
    p.w_ie = w_ie;
    p.n_in = n_in;
    p.n_exc = n_exc;
    p.input_delay = delay;
    p.t_present = 60;
    p.t_rest = 20;
    p.min_spikes = 0;
    p.seed = 3;
    sm_dc *net = sm_dc_create(&p, NULL);
    assert_non_null(net);
    return net;
}

static sm_dc *make(int n_in, int n_exc, double delay)
{
    return make_wie(n_in, n_exc, delay, 17.0); /* the code's I->E strength */
}

static void image(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)((i * 37) % 101) / 100.0f;
}

/* After an image, a window with noise (I->E off so that E fires often): no input spike is
 * delivered, theta (values and scale) does not move, and the image window's counts
 * survive. */
static void asleep_input_silent_theta_frozen(void **state)
{
    (void)state;
    sm_dc *net = make_wie(784, 40, 10, 0.0);
    float x[784];
    image(x, 784);
    sm_dc_present(net, x, NULL);
    net->counts[5] = 17; /* as if the rest had counted spikes */
    const size_t tb = (size_t)net->n_pad * sizeof(float);
    float *theta = malloc(tb);
    memcpy(theta, net->theta, tb);
    const double scale = net->theta_scale;
    const int64_t in0 = net->n_input_spikes, e0 = net->n_e_spikes;
    const sm_dc_sleep_params sp = {0.99997, W_T, 1.5, 1};
    int64_t e_asleep = 0;
    assert_int_equal(sm_dc_sleep(net, &sp, 2000, &e_asleep, NULL), SM_OK);
    assert_int_equal(net->n_input_spikes, in0);
    assert_true(e_asleep > 0);
    assert_int_equal(net->n_e_spikes - e0, e_asleep);
    assert_memory_equal(net->theta, theta, tb);
    assert_true(net->theta_scale == scale);
    assert_int_equal(net->counts[5], 17);
    assert_int_equal(net->theta_frozen, 0); /* awake again */
    assert_true(net->noise_sigma == 0.0f);
    free(theta);
    sm_dc_destroy(net);
}

/* w_t (w / w_t)^lambda^k written with exp and log (not sleep.c's pow form). */
static double ref_map(double w, double lambda, int k)
{
    return W_T * exp(pow(lambda, k) * log(w / W_T));
}

/* A fresh network without input or noise never spikes (v starts 40 mV under rest), so
 * the window is the map alone. Hand values, w_t = 78/784 = 0.0994898, lambda 0.99997:
 * one step takes 0.2 to 0.2 exp(-3e-5 ln(0.2/w_t)) = 0.2 exp(-3e-5 x 0.698246) = 0.1999958,
 * and 0.05 to 0.05 exp(3e-5 x 0.688035) = 0.0500010; 0 stays 0. */
static void decay_map_hand_values(void **state)
{
    (void)state;
    sm_dc *net = make(20, 4, 0);
    net->p.normalize = 0;
    const int np = net->n_pad;
    net->w[0] = 0.2f;
    net->w[1] = 0.05f;
    net->w[2] = 0.0f;
    net->w[np + 3] = (float)W_T;
    const sm_dc_sleep_params sp = {0.99997, W_T, 0.0, 0};
    int64_t e = 0;
    assert_int_equal(sm_dc_sleep(net, &sp, 1, &e, NULL), SM_OK);
    assert_int_equal(e, 0);
    assert_float_near(net->w[0], 0.1999958, 1e-7);
    assert_float_near(net->w[1], 0.0500010, 1e-7);
    assert_true(net->w[2] == 0.0f);
    assert_float_near(net->w[np + 3], W_T, 1e-8);
    assert_float_near(net->w[0], ref_map(0.2f, 0.99997, 1), 2e-8);
    /* 5,000 more steps: lambda^5000 = 0.860708, 0.1999958 -> w_t (2.010223)^0.860708 */
    const double w0 = net->w[0];
    assert_int_equal(sm_dc_sleep(net, &sp, 5000, &e, NULL), SM_OK);
    assert_float_near(net->w[0], ref_map(w0, 0.99997, 5000), 2e-7);
    assert_true(net->w[0] < w0 && net->w[0] > W_T);
    assert_true(net->w[1] > 0.0500010f && net->w[1] < W_T);
    sm_dc_destroy(net);
}

/* The lazy map with STDP acting (potentiation by noise-driven E spikes while the last
 * image's x_pre traces decay) against a per-step reference: the same steps with theta
 * frozen and noise on, then every weight mapped once per step in double. Weights are not
 * read while the input is silent, so both networks fire the same spikes; values agree to
 * float rounding. Then normalization: columns sum to 78. */
static void lazy_map_matches_per_step_reference(void **state)
{
    (void)state;
    sm_dc *a = make_wie(300, 24, 0, 0.0), *b = make_wie(300, 24, 0, 0.0);
    a->p.nu_post = b->p.nu_post = 0.5; /* large potentiation: a map owed but skipped, or
                                          applied after it, would show far above rounding */
    float x[300];
    image(x, 300);
    sm_dc_present(a, x, NULL);
    sm_dc_present(b, x, NULL);
    /* a short rest: x_pre is still large when sleep starts, so STDP acts asleep */
    const int steps = 200, np = a->n_pad;
    const sm_dc_sleep_params sp = {0.999, W_T, 1.5, 0};
    float *w_before = malloc((size_t)300 * np * sizeof(float));
    memcpy(w_before, a->w, (size_t)300 * np * sizeof(float));
    int64_t e = 0;
    assert_int_equal(sm_dc_sleep(a, &sp, steps, &e, NULL), SM_OK);
    assert_true(e > 0);
    b->noise = calloc((size_t)2 * np, sizeof(float));
    b->theta_frozen = 1;
    b->noise_sigma = 1.5f;
    b->p.v_clamp = 1; /* as sm_dc_sleep */
    sm_dc_set_input(b, NULL, 0);
    for (int t = 0; t < steps; t++) {
        sm_dc_step(b);
        for (size_t k = 0; k < (size_t)300 * np; k++) {
            const double w = b->w[k];
            b->w[k] = w > 0 ? (float)(W_T * pow(w / W_T, sp.lambda)) : 0.0f;
        }
    }
    assert_int_equal(a->n_e_spikes, b->n_e_spikes);
    int changed_by_stdp = 0;
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 24; j++) {
            const size_t k = (size_t)i * np + j;
            /* the reference rounds to float every step: 200 roundings */
            assert_float_near(a->w[k], b->w[k], 2e-5 * fabs(b->w[k]) + 1e-9);
            const double decay_only = w_before[k] > 0 ? ref_map(w_before[k], sp.lambda, steps) : 0;
            changed_by_stdp += fabs(a->w[k] - decay_only) > 1e-3 * decay_only + 1e-6;
        }
    assert_true(changed_by_stdp > 100); /* STDP did act during the window */
    /* the same window with normalization: columns sum to 78 */
    const sm_dc_sleep_params spn = {0.999, W_T, 1.5, 1};
    assert_int_equal(sm_dc_sleep(a, &spn, 100, NULL, NULL), SM_OK);
    for (int j = 0; j < 24; j++) {
        double s = 0;
        for (int i = 0; i < 300; i++)
            s += a->w[(size_t)i * np + j];
        assert_float_near(s, 78.0, 1e-4);
    }
    free(w_before);
    sm_dc_destroy(a);
    sm_dc_destroy(b);
}

/* The schedule: a window after every `period` wake steps; the sleeper counts windows and
 * steps, and the asleep rate is spikes / (n_exc x time). */
static void sleeper_schedule(void **state)
{
    (void)state;
    sm_dc *net = make(784, 20, 0);
    const sm_dc_sleep_params sp = {0.99997, W_T, 1.5, 1};
    sm_dc_sleeper s;
    sm_dc_sleeper_init(&s, &sp, 350, 70);
    assert_int_equal(sm_dc_sleeper_wake(&s, net, 160, NULL), SM_OK); /* 160 < 350 */
    assert_int_equal(s.windows, 0);
    assert_int_equal(sm_dc_sleeper_wake(&s, net, 160, NULL), SM_OK); /* 320 */
    assert_int_equal(s.windows, 0);
    assert_int_equal(sm_dc_sleeper_wake(&s, net, 400, NULL), SM_OK); /* 720: 350, 700 due */
    assert_int_equal(s.windows, 2);
    assert_int_equal(s.steps, 140);
    assert_int_equal(net->step, 140);
    assert_float_near(sm_dc_sleeper_rate_hz(&s, net),
                      (double)s.e_spikes / (20 * 140 * 0.5 / 1000.0), 1e-12);
    sm_dc_destroy(net);
}

/* With sleep on, 1 and 2 threads (E split between threads) give identical state. */
static void sleep_threads_identical(void **state)
{
    (void)state;
    sm_dc *a[2];
    float x[784];
    image(x, 784);
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        a[t] = make_wie(784, 300, 10, 0.0);
        a[t]->p.par_min = 16;
        const sm_dc_sleep_params sp = {0.999, W_T, 1.5, 1};
        sm_dc_sleeper s;
        sm_dc_sleeper_init(&s, &sp, 160, 300);
        for (int k = 0; k < 3; k++) {
            const uint64_t s0 = a[t]->step;
            sm_dc_present(a[t], x, NULL);
            assert_int_equal(sm_dc_sleeper_wake(&s, a[t], (int64_t)(a[t]->step - s0), NULL), SM_OK);
        }
        assert_int_equal(s.windows, 3);
        assert_true(s.e_spikes > 0);
    }
    omp_set_num_threads(1);
    const size_t nw = (size_t)784 * a[0]->n_pad;
    assert_memory_equal(a[0]->w, a[1]->w, nw * sizeof(float));
    assert_memory_equal(a[0]->theta, a[1]->theta, (size_t)a[0]->n_pad * sizeof(float));
    assert_memory_equal(a[0]->ve, a[1]->ve, (size_t)a[0]->n_pad * sizeof(float));
    assert_int_equal(a[0]->n_e_spikes, a[1]->n_e_spikes);
    sm_dc_destroy(a[0]);
    sm_dc_destroy(a[1]);
}

/* sleep.rate 0: the trained weights are those of the plain loop (shuffled order, one
 * sm_dc_present per image), whatever the other sleep keys say. */
typedef struct weights_copy {
    float *w;
    size_t n;
} weights_copy;

static void keep_weights(void *ctx, const struct sm_dc *net)
{
    weights_copy *c = ctx;
    c->n = (size_t)net->p.n_in * net->n_pad;
    c->w = malloc(c->n * sizeof(float));
    memcpy(c->w, net->w, c->n * sizeof(float));
}

static void rate_zero_is_the_plain_run(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    const char *set[] = {"train.model=dc",
                         "data.dataset=synthetic:120",
                         "data.n_train=30",
                         "data.n_test=10",
                         "data.n_val=0",
                         "dc.n_exc=16",
                         "dc.t_present=40",
                         "dc.t_rest=10",
                         "dc.input_delay=0",
                         "sleep.rate=0",
                         "dc.sleep_sigma=9",
                         "sleep.period=500",
                         NULL};
    for (int k = 0; set[k]; k++)
        assert_int_equal(sm_config_set_assignment(&cfg, set[k], "test", NULL), SM_OK);
    sm_train_data d;
    memset(&d, 0, sizeof d);
    assert_int_equal(sm_train_data_load(&cfg, &d, NULL), SM_OK);
    weights_copy got = {0};
    sm_train_options opt;
    memset(&opt, 0, sizeof opt);
    opt.dc_final_fn = keep_weights;
    opt.dc_final_ctx = &got;
    json_t *doc = NULL;
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &doc, NULL), SM_OK);
    assert_null(json_object_get(json_object_get(doc, "final"), "sleep_rate_e_hz"));
    /* the plain loop */
    const int n_in = d.train->width * d.train->height;
    sm_dc_params p;
    sm_train_dc_params(&cfg, n_in, &p);
    sm_dc *net = sm_dc_create(&p, NULL);
    assert_non_null(net);
    int *order = malloc((size_t)d.train->n * sizeof *order);
    sm_train_dc_order(d.train->n, p.seed, 0, 0, order);
    for (int k = 0; k < d.train->n; k++)
        sm_dc_present(net, d.train->pixels + (size_t)order[k] * n_in, NULL);
    assert_int_equal(got.n, (size_t)n_in * net->n_pad);
    assert_memory_equal(got.w, net->w, got.n * sizeof(float));
    /* and sleep on changes them */
    assert_int_equal(sm_config_set_assignment(&cfg, "sleep.rate=0.2", "test", NULL), SM_OK);
    weights_copy slept = {0};
    opt.dc_final_ctx = &slept;
    json_t *doc2 = NULL;
    assert_int_equal(sm_train_run_opts(&cfg, &d, &opt, &doc2, NULL), SM_OK);
    json_t *fin = json_object_get(doc2, "final");
    /* 30 presentations of at least 100 steps: a window after every 500 wake steps */
    assert_true(json_integer_value(json_object_get(fin, "sleep_windows")) >= 6);
    assert_true(json_is_number(json_object_get(fin, "sleep_rate_e_hz")));
    assert_memory_not_equal(slept.w, net->w, got.n * sizeof(float));
    free(order);
    free(got.w);
    free(slept.w);
    json_decref(doc);
    json_decref(doc2);
    sm_dc_destroy(net);
    sm_train_data_free(&d);
}

/* The paired t-test's p-value. Three seeds, differences d = (0.01, 0.03, 0.05): mean 0.03,
 * sd 0.02, t = 0.03 / (0.02 / sqrt 3) = 2.598076; with df = 2 the two-sided p has the closed
 * form 1 - t / sqrt(t^2 + 2) = 1 - 2.598076 / 2.958040 = 0.121690. At t = 4.302653 (the 97.5%
 * quantile for df = 2) p = 0.05. Four seeds, d = (1, 2, 3, 4): t = 2.5 / (1.290994 / 2) =
 * 3.872983, df = 3, p = 0.030466 (Student's t table value). */
static void paired_p_value_hand_values(void **state)
{
    (void)state;
    const double a[] = {0.51, 0.53, 0.55}, b[] = {0.5, 0.5, 0.5};
    assert_float_near(sm_exp_paired_p(a, b, 3), 0.12168993, 1e-6);
    const double s = 0.02 / sqrt(3.0), t = 4.302652730;
    const double a2[] = {t * s - 0.02, t * s, t * s + 0.02}, z[] = {0, 0, 0};
    assert_float_near(sm_exp_paired_p(a2, z, 3), 0.05, 1e-7);
    const double a4[] = {1, 2, 3, 4}, z4[] = {0, 0, 0, 0};
    assert_float_near(sm_exp_paired_p(a4, z4, 4), 0.030466, 2e-6);
    assert_true(isnan(sm_exp_paired_p(a, b, 1)));
    const double c[] = {0.6, 0.6, 0.6};
    assert_float_near(sm_exp_paired_p(c, b, 3), 0.0, 0); /* constant nonzero difference */
}

#define DC_SLEEP_QUICK                                                                             \
    "experiment dc-sleep --quick --quiet --set data.dataset=synthetic:200 --set dc.t_present=40 "  \
    "--set dc.t_rest=10 --set sleep.period=400 --set dc.n_exc=20 "

/* The quick experiment on synthetic images (short presentations): one row per condition,
 * the paired difference equal to the two runs' accuracies, one comparison stated, and a
 * verdict that cannot say "sleep helps" from one seed. Its runs are independent: one job
 * and two jobs (the default 0 = all cores) give the same conditions. */
static void dc_sleep_quick_rows(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, DC_SLEEP_QUICK "--jobs 2 --out s.json", &out), 0);
    free(out);
    assert_int_equal(tu_cli(dir, DC_SLEEP_QUICK "--jobs 1 --out s1.json", &out), 0);
    free(out);
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/s.json", dir);
    snprintf(p2, sizeof p2, "%s/s1.json", dir);
    json_t *d1 = json_load_file(p1, 0, NULL), *d2 = json_load_file(p2, 0, NULL);
    assert_non_null(d1);
    assert_non_null(d2);
    json_t *c1 = json_object_get(json_object_get(d1, "results"), "conditions");
    json_t *c2 = json_object_get(json_object_get(d2, "results"), "conditions");
    assert_int_equal(json_array_size(c1), json_array_size(c2));
    for (size_t i = 0; i < json_array_size(c1); i++)
        assert_float_near(
            json_number_value(json_object_get(json_array_get(c1, i), "mean_accuracy")),
            json_number_value(json_object_get(json_array_get(c2, i), "mean_accuracy")), 0);
    json_decref(d1);
    json_decref(d2);
    char path[4096];
    snprintf(path, sizeof path, "%s/s.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    json_t *res = json_object_get(doc, "results"), *rows = json_object_get(res, "conditions");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    const double a0 = json_number_value(json_object_get(r0, "mean_accuracy")),
                 a1 = json_number_value(json_object_get(r1, "mean_accuracy"));
    assert_true(a0 >= 0 && a0 <= 1 && a1 >= 0 && a1 <= 1);
    assert_float_near(json_number_value(json_object_get(r1, "paired_diff_vs_no_sleep")), a1 - a0,
                      1e-12);
    assert_true(json_is_null(json_object_get(r1, "p_value"))); /* one seed: no test */
    assert_true(json_is_null(json_object_get(r1, "forgetting")));
    assert_string_equal(json_string_value(json_object_get(r0, "verdict")), "baseline");
    assert_string_not_equal(json_string_value(json_object_get(r1, "verdict")), "sleep helps");
    assert_int_equal(json_integer_value(json_object_get(res, "n_comparisons")), 1);
    assert_true(json_number_value(json_object_get(r1, "sleep_rate_e_hz")) >= 0);
    json_decref(doc);
}

/* A stopped grid is reused by a call that lists less: the quick grid (sleep 0 and 0.2)
 * with --runs keeps two runs; the same call with sleep.rates=0 and table.seeds=1 listed
 * differently starts none (no new file) and reports the cached run's accuracy. */
static void dc_sleep_runs_reused_by_a_subset(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir, DC_SLEEP_QUICK "--jobs 1 --runs runs --out a.json", &out), 0);
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/runs", dir);
    assert_int_equal(tu_count_entries(path), 2);
    tu_cli_reuses_runs(dir, "runs",
                       DC_SLEEP_QUICK "--jobs 1 --runs runs --set dc.sleep_rates=0 "
                                      "--set dc.sleep_norms=on --out b.json");
    snprintf(path, sizeof path, "%s/a.json", dir);
    json_t *a = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/b.json", dir);
    json_t *b = json_load_file(path, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    json_t *ca = json_object_get(json_object_get(a, "results"), "conditions");
    json_t *cb = json_object_get(json_object_get(b, "results"), "conditions");
    assert_int_equal(json_array_size(cb), 1);
    assert_float_near(json_number_value(json_object_get(json_array_get(cb, 0), "mean_accuracy")),
                      json_number_value(json_object_get(json_array_get(ca, 0), "mean_accuracy")),
                      0);
    json_decref(a);
    json_decref(b);
}

/* Bad keys fail naming the key. */
static void bad_keys_rejected(void **state)
{
    const char *dir = *state;
    const char *base = "train --model dc --quiet --data synthetic:60 --set data.n_train=20 "
                       "--set data.n_test=10 --set dc.n_exc=8 --set dc.t_present=20 ";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s--set dc.sleep_sigma=-1", base);
    tu_expect_cli_error(dir, cmd, "dc.sleep_sigma");
    snprintf(cmd, sizeof cmd, "%s--set dc.normalize=maybe", base);
    tu_expect_cli_error(dir, cmd, "dc.normalize");
    snprintf(cmd, sizeof cmd, "%s--set sleep.rate=0.1 --set sleep.mode=static", base);
    tu_expect_cli_error(dir, cmd, "sleep.mode");
    tu_expect_cli_error(dir, "experiment dc-sleep --quick --quiet --set dc.sleep_settings=n7",
                        "dc.sleep_settings");
    tu_expect_cli_error(dir, "experiment dc-sleep --quick --quiet --set dc.sleep_rates=0.1,0.2",
                        "dc.sleep_rates");
    tu_expect_cli_error(dir, "experiment dc-sleep --quick --quiet --set dc.sleep_norms=on,maybe",
                        "dc.sleep_norms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(asleep_input_silent_theta_frozen),
        cmocka_unit_test(decay_map_hand_values),
        cmocka_unit_test(lazy_map_matches_per_step_reference),
        cmocka_unit_test(sleeper_schedule),
        cmocka_unit_test(sleep_threads_identical),
        cmocka_unit_test(rate_zero_is_the_plain_run),
        cmocka_unit_test(paired_p_value_hand_values),
        cmocka_unit_test_setup_teardown(dc_sleep_quick_rows, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(dc_sleep_runs_reused_by_a_subset, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(bad_keys_rejected, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
