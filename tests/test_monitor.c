/* Tests of the monitor: weight statistics, spike counts and rates, numeric checks. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/models/monitor.h"
#include "somnus/models/sim_json.h"
#include "somnus/plasticity/ip_rule.h"
#include "somnus/network/net.h"

/* S0 S1 S2 S3 | E4 E5 | I6.
 *   S->E: 0.01 (lower bound), 0.5, 25 (upper bound), 1.49
 *   E->E: none
 *   E->I: 0.4
 *   I->E: -0.01 (bound inh_max), -2 */
static sm_net *hand_net(void)
{
    const int32_t pre[] = {0, 1, 2, 3, 4, 6, 6};
    const int32_t post[] = {4, 4, 5, 5, 6, 4, 5};
    const float w[] = {0.01f, 0.5f, 25.0f, 1.49f, 0.4f, -0.01f, -2.0f};
    sm_error err;
    sm_net *net = sm_net_from_edges(4, 2, 1, 7, pre, post, w, NULL, &err);
    if (!net) fail_msg("%s", err.msg);
    return net;
}

static sm_monitor *make(const sm_config *cfg, const sm_net *net)
{
    sm_error err;
    sm_monitor *m = sm_monitor_create(cfg, net, &err);
    if (!m) fail_msg("%s", err.msg);
    return m;
}

static void weight_stats_by_hand(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = hand_net();
    sm_monitor *m = make(&cfg, net);
    sm_weight_stats st[SM_N_PATHS];
    sm_monitor_weight_stats(m, net, st);

    /* S->E: sum 27, mean 6.75, population sd sqrt(627.4702 / 4 - 6.75^2) = 10.5501208 */
    const sm_weight_stats *se = &st[SM_PATH_SE];
    assert_int_equal(se->n, 4);
    assert_float_near(se->sum_abs, 27.0, 1e-6);
    assert_float_near(se->mean, 6.75, 1e-6);
    assert_float_near(se->sd, 10.5501208, 1e-6);
    assert_float_near(se->min, 0.01, 1e-8);
    assert_float_near(se->max, 25.0, 0);
    assert_float_near(se->frac_at_bound, 0.5, 0);

    const sm_weight_stats *ee = &st[SM_PATH_EE];
    assert_int_equal(ee->n, 0);
    assert_true(ee->sum_abs == 0 && ee->mean == 0 && ee->sd == 0);
    assert_true(ee->min == 0 && ee->max == 0 && ee->frac_at_bound == 0);

    const sm_weight_stats *ei = &st[SM_PATH_EI];
    assert_int_equal(ei->n, 1);
    assert_float_near(ei->mean, 0.4, 1e-7);
    assert_true(ei->sd == 0);
    assert_float_near(ei->min, 0.4, 1e-7);
    assert_float_near(ei->max, 0.4, 1e-7);
    assert_true(ei->frac_at_bound == 0);

    /* I->E: signed values; sum of |w| 2.01, mean -1.005, sd 0.995. */
    const sm_weight_stats *ie = &st[SM_PATH_IE];
    assert_int_equal(ie->n, 2);
    assert_float_near(ie->sum_abs, 2.01, 1e-7);
    assert_float_near(ie->mean, -1.005, 1e-7);
    assert_float_near(ie->sd, 0.995, 1e-6);
    assert_float_near(ie->min, -2.0, 0);
    assert_float_near(ie->max, -0.01, 1e-8);
    assert_float_near(ie->frac_at_bound, 0.5, 0);

    /* The bounds come from the configuration. */
    sm_monitor_destroy(m);
    cfg.stdp.exc_max = 1.49;
    cfg.stdp.inh_min = -2;
    m = make(&cfg, net);
    sm_monitor_weight_stats(m, net, st);
    assert_float_near(st[SM_PATH_SE].frac_at_bound, 0.5, 0); /* 0.01 and 1.49; 25 is not */
    assert_float_near(st[SM_PATH_IE].frac_at_bound, 1.0, 0);
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

static void counts_and_rates_in_hz(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = hand_net();
    sm_monitor *m = make(&cfg, net);
    /* 10 steps of 1 ms: 8 S spikes (4 neurons), 3 E spikes (2), 1 I spike (1). */
    const int32_t s1[] = {0, 1, 2, 4}, s2[] = {3, 4, 5}, s3[] = {0, 1, 2, 3, 6};
    sm_monitor_step(m, s1, 4, SM_PHASE_WAKE);
    sm_monitor_step(m, s2, 3, SM_PHASE_WAKE);
    sm_monitor_step(m, NULL, 0, SM_PHASE_SLEEP);
    sm_monitor_step(m, s3, 5, SM_PHASE_SLEEP);
    sm_monitor_step(m, NULL, 0, SM_PHASE_SLEEP);
    for (int k = 0; k < 5; k++)
        sm_monitor_step(m, NULL, 0, SM_PHASE_WAKE);
    assert_int_equal(m->counts[0], 2); /* E4 */
    assert_int_equal(m->counts[1], 1); /* E5 */
    assert_int_equal(m->counts[2], 1); /* I6 */
    sm_error err;
    assert_int_equal(sm_monitor_record(m, net, 10, 7, SM_PHASE_WAKE, &err), SM_OK);
    assert_int_equal(m->n_records, 1);
    const sm_monitor_sample *r = &m->records[0];
    assert_int_equal(r->step, 10);
    assert_int_equal(r->wake_steps, 7);
    assert_int_equal(r->phase, SM_PHASE_WAKE);
    assert_int_equal(r->steps, 10);
    assert_int_equal(r->sleep_steps, 3);
    assert_float_near(r->rate_hz[0], 8 / (4 * 0.010), 1e-9); /* 200 Hz */
    assert_float_near(r->rate_hz[1], 3 / (2 * 0.010), 1e-9); /* 150 Hz */
    assert_float_near(r->rate_hz[2], 1 / (1 * 0.010), 1e-9); /* 100 Hz */
    assert_float_near(r->w[SM_PATH_SE].sum_abs, 27.0, 1e-6); /* weights recorded too */

    /* The window restarts; counts are kept until reset. */
    for (int k = 0; k < 4; k++)
        sm_monitor_step(m, s2, 3, SM_PHASE_WAKE);
    assert_int_equal(sm_monitor_record(m, net, 14, 11, SM_PHASE_WAKE, &err), SM_OK);
    r = &m->records[1];
    assert_int_equal(r->steps, 4);
    assert_int_equal(r->sleep_steps, 0);
    assert_float_near(r->rate_hz[0], 4 / (4 * 0.004), 1e-9); /* 250 Hz */
    assert_float_near(r->rate_hz[1], 8 / (2 * 0.004), 1e-9); /* 1000 Hz */
    assert_true(r->rate_hz[2] == 0);
    assert_int_equal(m->counts[0], 6);
    assert_int_equal(m->counts[1], 5);
    assert_int_equal(m->total_spikes[0], 12);
    assert_int_equal(m->total_spikes[1], 11);
    assert_int_equal(m->total_spikes[2], 1);
    sm_monitor_reset_counts(m);
    for (int i = 0; i < 3; i++)
        assert_int_equal(m->counts[i], 0);
    /* An empty window has zero rates, not NaN. */
    assert_int_equal(sm_monitor_record(m, net, 14, 11, SM_PHASE_WAKE, &err), SM_OK);
    for (int p = 0; p < 3; p++)
        assert_true(m->records[2].rate_hz[p] == 0);
    sm_monitor_destroy(m);

    /* dt = 0.5 ms: the same spikes over half the time are twice the rate. */
    cfg.run.dt = 0.5;
    m = make(&cfg, net);
    for (int k = 0; k < 4; k++)
        sm_monitor_step(m, s2, 3, SM_PHASE_WAKE);
    assert_int_equal(sm_monitor_record(m, net, 4, 4, SM_PHASE_WAKE, &err), SM_OK);
    assert_float_near(m->records[0].rate_hz[1], 8 / (2 * 0.002), 1e-9); /* 2000 Hz */
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

static void many_records_grow(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = hand_net();
    sm_monitor *m = make(&cfg, net);
    const int32_t s[] = {4};
    for (int k = 0; k < 300; k++) {
        sm_monitor_step(m, s, 1, SM_PHASE_WAKE);
        assert_int_equal(sm_monitor_record(m, net, (uint64_t)k + 1, k + 1, SM_PHASE_WAKE, NULL),
                         SM_OK);
    }
    assert_int_equal(m->n_records, 300);
    for (int k = 0; k < 300; k++) {
        assert_int_equal(m->records[k].step, k + 1);
        assert_float_near(m->records[k].rate_hz[1], 1 / (2 * 0.001), 1e-9);
    }
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

static void non_finite_weight_names_the_pathway(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_net *net = hand_net();
    sm_monitor *m = make(&cfg, net);
    sm_error err;
    net->w[sm_net_find(net, 6, 5)] = NAN;
    assert_int_equal(sm_monitor_record(m, net, 1234, 1000, SM_PHASE_SLEEP, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "I->E"));
    assert_non_null(strstr(err.msg, "NaN"));
    assert_non_null(strstr(err.msg, "1234"));
    sm_weight_stats st[SM_N_PATHS];
    sm_monitor_weight_stats(m, net, st);
    assert_true(isnan(st[SM_PATH_IE].min) && isnan(st[SM_PATH_IE].max));
    assert_true(isfinite(st[SM_PATH_SE].sum_abs)); /* other pathways unaffected */

    net->w[sm_net_find(net, 6, 5)] = -2.0f;
    net->w[sm_net_find(net, 1, 4)] = INFINITY;
    assert_int_equal(sm_monitor_record(m, net, 1235, 1000, SM_PHASE_WAKE, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "S->E"));
    assert_non_null(strstr(err.msg, "infinite"));

    net->w[sm_net_find(net, 1, 4)] = 0.5f;
    assert_int_equal(sm_monitor_record(m, net, 1236, 1000, SM_PHASE_WAKE, &err), SM_OK);
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

static double col_at(json_t *mon, const char *name, size_t k)
{
    json_t *c = json_object_get(mon, name);
    if (!json_is_array(c)) fail_msg("monitor column %s missing", name);
    return json_is_number(json_array_get(c, k)) ? json_number_value(json_array_get(c, k)) : NAN;
}

/* With a rule attached each record carries mean and sd of h and mean g per population,
 * and the JSON has the columns h_mean_E ... g_mean_I; without one it has none. */
static void intrinsic_plasticity_columns(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_error err;
    assert_int_equal(sm_config_set(&cfg, "ip.rule", "rate", "test", &err), SM_OK);
    assert_int_equal(sm_config_set(&cfg, "ip.populations", "ei", "test", &err), SM_OK);
    sm_net *net = hand_net();
    sm_monitor *m = make(&cfg, net);
    json_t *plain = sm_monitor_to_json(m);
    assert_null(json_object_get(plain, "h_mean_E")); /* no rule: no columns */
    json_decref(plain);
    sm_ip *ip = NULL;
    assert_int_equal(sm_ip_create(&cfg, 2, 1, &ip, &err), SM_OK);
    sm_monitor_attach_ip(m, ip);
    /* the first record sees h = 0, g = 1 everywhere */
    assert_int_equal(sm_monitor_record(m, net, 1, 1, SM_PHASE_WAKE, &err), SM_OK);
    /* E4: h 1.5, g 1.2; E5: h -0.5, g 0.8; I6: h 3, g 2 */
    sm_ip_set(ip, 0, 1.5, 1.2);
    sm_ip_set(ip, 1, -0.5, 0.8);
    sm_ip_set(ip, 2, 3.0, 2.0);
    assert_int_equal(sm_monitor_record(m, net, 2, 2, SM_PHASE_SLEEP, &err), SM_OK);
    const sm_monitor_sample *r = &m->records[1];
    assert_float_near(r->ip_h_mean[0], 0.5, 1e-12);
    assert_float_near(r->ip_h_sd[0], sqrt(2.0), 1e-12); /* (1^2 + 1^2) / (2 - 1) */
    assert_float_near(r->ip_g_mean[0], 1.0, 1e-12);
    assert_float_near(r->ip_h_mean[1], 3.0, 1e-12);
    assert_float_near(r->ip_h_sd[1], 0.0, 0); /* one neuron */
    assert_float_near(r->ip_g_mean[1], 2.0, 1e-12);
    json_t *mon = sm_monitor_to_json(m);
    const double want[2][6] = {{0, 0, 1, 0, 0, 1}, {0.5, sqrt(2.0), 1.0, 3, 0, 2}};
    static const char *names[6] = {"h_mean_E", "h_sd_E", "g_mean_E",
                                   "h_mean_I", "h_sd_I", "g_mean_I"};
    for (size_t k = 0; k < 2; k++)
        for (int c = 0; c < 6; c++)
            assert_float_near(col_at(mon, names[c], k), want[k][c], 1e-12);
    assert_int_equal(json_array_size(json_object_get(mon, "h_mean_E")), 2);
    json_decref(mon);
    sm_ip_destroy(ip);
    sm_monitor_destroy(m);
    sm_net_destroy(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weight_stats_by_hand),
        cmocka_unit_test(counts_and_rates_in_hz),
        cmocka_unit_test(many_records_grow),
        cmocka_unit_test(non_finite_weight_names_the_pathway),
        cmocka_unit_test(intrinsic_plasticity_columns),
    };
    return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
