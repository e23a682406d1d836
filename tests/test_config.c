/* Tests of the configuration table, --set parsing, config files and validation. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/io/results.h"

/* Every field of two configs, compared through the table. */
static void assert_configs_equal(const sm_config *a, const sm_config *b)
{
    size_t n;
    const sm_param_def *t = sm_param_table(&n);
    for (size_t i = 0; i < n; i++) {
        double x = sm_config_get(a, &t[i]), y = sm_config_get(b, &t[i]);
        if (x != y) fail_msg("parameter %s differs: %.17g vs %.17g", t[i].name, x, y);
        if (t[i].type == SM_PT_STRING) {
            const char *sa = (const char *)a + t[i].offset, *sb = (const char *)b + t[i].offset;
            if (strcmp(sa, sb) != 0) fail_msg("parameter %s differs: %s vs %s", t[i].name, sa, sb);
        }
    }
    assert_int_equal(a->run.seed, b->run.seed); /* exact, beyond double precision */
}

static void defaults_are_the_spec_values(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    /* Section 1 */
    assert_int_equal(c.net.n_input, 225);
    assert_int_equal(c.net.n_exc, 200);
    assert_int_equal(c.net.n_inh, 50);
    assert_true(c.net.p[SM_PATH_SE] == 0.10 && c.net.p[SM_PATH_EE] == 0.15);
    assert_true(c.net.p[SM_PATH_EI] == 0.20 && c.net.p[SM_PATH_IE] == 0.25);
    assert_true(c.net.w0[SM_PATH_SE] == 0.15 && c.net.w0[SM_PATH_EE] == 0.30);
    assert_true(c.net.w0[SM_PATH_EI] == 0.40 && c.net.w0[SM_PATH_IE] == -0.50);
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_int_equal(c.net.plastic[p], 1);
    assert_int_equal(c.net.no_reciprocal, 1);
    /* Section 2, both populations */
    for (int i = 0; i < 2; i++) {
        assert_true(c.lif[i].tau_m == 30 && c.lif[i].tau_syn == 30 && c.lif[i].r_m == 30);
        assert_true(c.lif[i].v_rest == -70 && c.lif[i].v_reset == -80 && c.lif[i].theta0 == -55);
        assert_true(c.lif[i].v_min == -100 && c.lif[i].v_max == 40);
        assert_true(c.lif[i].theta_min == -90 && c.lif[i].theta_max == 0);
        assert_true(c.lif[i].tau_a == 100 && c.lif[i].delta_a == 3);
    }
    assert_true(c.noise.sigma == 2.0);
    assert_int_equal(c.noise.wake, 0);
    assert_int_equal(c.noise.sleep, 1);
    assert_int_equal(c.noise.test, 0);
    assert_true(c.run.dt == 1.0);
    /* Section 3 */
    assert_int_equal(c.input.encoder, SM_ENC_BERNOULLI);
    assert_true(c.input.gain == 1.0 && c.input.r_max == 90 && c.input.norm_fraction == 0.1);
    assert_int_equal(c.input.steps_per_image, 1000);
    assert_int_equal(c.input.width * c.input.height, 225);
    /* Section 4 */
    assert_int_equal(c.stdp.rule, SM_STDP_PAIR);
    /* Issue 18's defaults that learn (docs/intrinsic.md, "Defaults"): the published sign,
     * Triesch's intrinsic plasticity, no sleep; configs/paper.cfg sets the paper's. */
    assert_int_equal(c.stdp.sign, SM_SIGN_AS_PUBLISHED);
    assert_int_equal(c.ip.rule, SM_IP_TRIESCH);
    assert_true(c.sleep.rate == 0);
    assert_int_equal(c.stdp.same_step, SM_SAME_POTENTIATE);
    assert_true(c.stdp.eta_e == 8e-4 && c.stdp.eta_i == 8e-4);
    assert_true(c.stdp.a_plus == 1 && c.stdp.a_minus == 1);
    assert_true(c.stdp.tau_plus == 7.5 && c.stdp.tau_minus == 7.5);
    assert_true(c.stdp.exc_min == 0.01 && c.stdp.exc_max == 25);
    assert_true(c.stdp.inh_min == -25 && c.stdp.inh_max == -0.01);
    assert_true(c.stdp.trace_tau == 25 && c.stdp.trace_eta == 8e-4);
    assert_true(c.stdp.trace_w_max == 10 && c.stdp.trace_mu == 0.6);
    /* Section 5 */
    assert_int_equal(c.sleep.mode, SM_SLEEP_POWERLAW);
    assert_int_equal(c.sleep.schedule, SM_SCHED_PERIOD);
    assert_int_equal(c.sleep.period, 35000);
    assert_int_equal(c.sleep.max_steps, 10000);
    assert_true(c.sleep.lambda == 0.99997);
    assert_true(c.sleep.target_exc == 0.01 && c.sleep.target_inh == -0.01);
    assert_true(c.sleep.tolerance == 0.001);
    assert_int_equal(c.sleep.norm_mode, SM_NORM_NONE);
    /* The defaults pass validation. */
    sm_error err;
    assert_int_equal(sm_config_validate(&c, &err), SM_OK);
}

static void table_rows_are_consistent(void **state)
{
    (void)state;
    size_t n;
    const sm_param_def *t = sm_param_table(&n);
    assert_true(n > 50);
    sm_config c;
    sm_config_default(&c);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(sm_param_find(t[i].name), &t[i]); /* names unique */
        assert_non_null(t[i].help);
        assert_true(strlen(t[i].help) > 0);
        assert_true(sm_config_get(&c, &t[i]) == t[i].def);
        if (t[i].type != SM_PT_ENUM && (t[i].def < t[i].min || t[i].def > t[i].max))
            fail_msg("default of %s outside its range", t[i].name);
    }
    assert_null(sm_param_find("lif_e.tau"));
}

static void set_parses_numbers_bools_enums(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_set(&c, "lif_e.tau_m", "20", "--set", &err), SM_OK);
    assert_true(c.lif[0].tau_m == 20);
    assert_true(c.lif[1].tau_m == 30); /* the I population is separate */
    assert_int_equal(sm_config_set(&c, "stdp.eta_e", "1.5e-3", "--set", &err), SM_OK);
    assert_true(c.stdp.eta_e == 1.5e-3);
    assert_int_equal(sm_config_set(&c, "net.n_exc", "400", "--set", &err), SM_OK);
    assert_int_equal(c.net.n_exc, 400);
    assert_int_equal(sm_config_set(&c, "sleep.period", "70000", "--set", &err), SM_OK);
    assert_int_equal(c.sleep.period, 70000);
    assert_int_equal(sm_config_set(&c, "net.w_ie", "-0.75", "--set", &err), SM_OK);
    assert_true(c.net.w0[SM_PATH_IE] == -0.75);

    assert_int_equal(sm_config_set(&c, "net.plastic_ei", "false", "--set", &err), SM_OK);
    assert_int_equal(c.net.plastic[SM_PATH_EI], 0);
    assert_int_equal(sm_config_set(&c, "net.plastic_ei", "true", "--set", &err), SM_OK);
    assert_int_equal(c.net.plastic[SM_PATH_EI], 1);
    assert_int_equal(sm_config_set(&c, "noise.wake", "1", "--set", &err), SM_OK);
    assert_int_equal(c.noise.wake, 1);
    assert_int_equal(sm_config_set(&c, "noise.sleep", "off", "--set", &err), SM_OK);
    assert_int_equal(c.noise.sleep, 0);

    assert_int_equal(sm_config_set(&c, "stdp.sign", "as_published", "--set", &err), SM_OK);
    assert_int_equal(c.stdp.sign, SM_SIGN_AS_PUBLISHED);
    assert_int_equal(sm_config_set(&c, "stdp.same_step", "ignore", "--set", &err), SM_OK);
    assert_int_equal(c.stdp.same_step, SM_SAME_IGNORE);
    assert_int_equal(sm_config_set(&c, "sleep.mode", "neuron", "--set", &err), SM_OK);
    assert_int_equal(c.sleep.mode, SM_SLEEP_NEURON);
    /* An enum with explicit values ("none=0|static=2|...") */
    assert_int_equal(sm_config_set(&c, "sleep.norm_mode", "layer", "--set", &err), SM_OK);
    assert_int_equal(c.sleep.norm_mode, SM_NORM_LAYER);
    assert_int_equal(sm_config_set(&c, "input.encoder", "rate", "--set", &err), SM_OK);
    assert_int_equal(c.input.encoder, SM_ENC_RATE);

    /* The assignment form trims spaces. */
    assert_int_equal(sm_config_set_assignment(&c, " lif_i.r_m = 12.5 ", "--set", &err), SM_OK);
    assert_true(c.lif[1].r_m == 12.5);
    assert_int_equal(sm_config_set_assignment(&c, "lif_i.r_m", "--set", &err), SM_EINVAL);
}

static void formatted_values_read_back(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    char buf[64];
    sm_config_format(&c, sm_param_find("stdp.sign"), buf, sizeof buf);
    assert_string_equal(buf, "as_published");
    sm_config_format(&c, sm_param_find("net.no_reciprocal"), buf, sizeof buf);
    assert_string_equal(buf, "true");
    sm_config_format(&c, sm_param_find("sleep.period"), buf, sizeof buf);
    assert_string_equal(buf, "35000");
    c.sleep.norm_mode = SM_NORM_NEURON;
    sm_config_format(&c, sm_param_find("sleep.norm_mode"), buf, sizeof buf);
    assert_string_equal(buf, "neuron");
}

static void text_parameters_set_format_and_reject(void **state)
{
    (void)state;
    sm_config c, d;
    sm_error err;
    sm_config_default(&c);
    sm_config_default(&d);
    assert_string_equal(c.data.dataset, "mnist");
    assert_string_equal(c.data.classes, "all");
    assert_int_equal(sm_config_set(&c, "data.dataset", "fashion", "--set", &err), SM_OK);
    char buf[SM_CONFIG_STR_MAX];
    sm_config_format(&c, sm_param_find("data.dataset"), buf, sizeof buf);
    assert_string_equal(buf, "fashion");
    /* Equal values are equal bytes, whatever was stored before. */
    assert_int_equal(sm_config_set(&c, "data.dataset", "mnist", "--set", &err), SM_OK);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(sm_config_set(&c, "data.dataset", "", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "data.dataset"));
    char longv[SM_CONFIG_STR_MAX + 8];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(sm_config_set(&c, "data.dir", longv, "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "longer than 255"));
    assert_string_equal(c.data.dir, "data");
}

static void large_seed_is_kept_exactly(void **state)
{
    (void)state;
    /* 2^53 + 1 is not a double: a parse through double would give 2^53, the seed of
     * another run. */
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_set(&c, "run.seed", "9007199254740993", "--set", &err), SM_OK);
    assert_int_equal(c.run.seed, INT64_C(9007199254740993));
    char buf[64];
    sm_config_format(&c, sm_param_find("run.seed"), buf, sizeof buf);
    assert_string_equal(buf, "9007199254740993");
    /* ... and so does the config recorded in every results file. */
    json_t *j = sm_config_to_json(&c);
    assert_true(json_integer_value(json_object_get(json_object_get(j, "run"), "seed")) ==
                INT64_C(9007199254740993));
    json_decref(j);
}

static void results_json_readers(void **state)
{
    (void)state;
    /* Numbers (integer or real) read as doubles; anything else, an absent key or a NULL
     * object as NaN; strings as themselves, otherwise "". */
    json_t *o = json_pack("{s:i, s:f, s:s, s:b, s:n}", "i", 7, "r", 0.25, "s", "code", "b", 1, "z");
    assert_non_null(o);
    assert_true(sm_json_get_number(o, "i") == 7.0);
    assert_true(sm_json_get_number(o, "r") == 0.25);
    assert_true(isnan(sm_json_get_number(o, "s")));
    assert_true(isnan(sm_json_get_number(o, "b")));
    assert_true(isnan(sm_json_get_number(o, "z")));
    assert_true(isnan(sm_json_get_number(o, "missing")));
    assert_true(isnan(sm_json_get_number(NULL, "i")));
    assert_true(sm_json_number(json_object_get(o, "r")) == 0.25);
    assert_true(isnan(sm_json_number(NULL)));
    assert_string_equal(sm_json_get_string(o, "s"), "code");
    assert_string_equal(sm_json_get_string(o, "i"), "");
    assert_string_equal(sm_json_get_string(o, "missing"), "");
    assert_string_equal(sm_json_get_string(NULL, "s"), "");
    json_decref(o);
}

static void unknown_name_suggests_close_one(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_set(&c, "lif_e.tau_n", "20", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "--set"));
    assert_non_null(strstr(err.msg, "'lif_e.tau_n'"));
    assert_non_null(strstr(err.msg, "did you mean 'lif_e.tau_m'"));
    assert_int_equal(sm_config_set(&c, "stdp.tau_plsu", "20", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "'stdp.tau_plus'"));
    /* Nothing close: no suggestion, but the name is still reported. */
    assert_int_equal(sm_config_set(&c, "completely.unrelated_thing", "1", "--set", &err),
                     SM_EINVAL);
    assert_non_null(strstr(err.msg, "completely.unrelated_thing"));
    assert_null(strstr(err.msg, "did you mean"));
}

static void bad_values_rejected_naming_the_option(void **state)
{
    (void)state;
    static const char *bad_real[] = {"abc", "nan", "NaN", "inf", "-inf", "", "1.5x", "1e999", "  "};
    sm_config c, orig;
    sm_config_default(&c);
    sm_config_default(&orig);
    sm_error err;
    for (size_t i = 0; i < sizeof bad_real / sizeof bad_real[0]; i++) {
        sm_error_clear(&err);
        if (sm_config_set(&c, "lif_e.tau_m", bad_real[i], "--set", &err) != SM_EINVAL)
            fail_msg("value '%s' accepted for lif_e.tau_m", bad_real[i]);
        assert_non_null(strstr(err.msg, "lif_e.tau_m"));
        assert_non_null(strstr(err.msg, "--set"));
    }
    /* Out of range, both sides, and the message names the option. */
    assert_int_equal(sm_config_set(&c, "lif_e.tau_m", "-3", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "lif_e.tau_m"));
    assert_non_null(strstr(err.msg, "range"));
    assert_int_equal(sm_config_set(&c, "net.p_se", "1.5", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "net.p_se"));
    assert_int_equal(sm_config_set(&c, "net.w_ie", "0.5", "--set", &err),
                     SM_EINVAL); /* wrong sign */
    assert_non_null(strstr(err.msg, "net.w_ie"));
    assert_int_equal(sm_config_set(&c, "sleep.lambda", "1.01", "--set", &err), SM_EINVAL);
    /* Integers: fractions rejected. */
    assert_int_equal(sm_config_set(&c, "net.n_exc", "10.5", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "net.n_exc"));
    assert_int_equal(sm_config_set(&c, "net.n_exc", "0", "--set", &err), SM_EINVAL);
    /* Booleans and enums. */
    assert_int_equal(sm_config_set(&c, "noise.wake", "maybe", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "noise.wake"));
    assert_int_equal(sm_config_set(&c, "noise.wake", "", "--set", &err), SM_EINVAL);
    assert_int_equal(sm_config_set(&c, "stdp.sign", "published", "--set", &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "stdp.sign"));
    assert_non_null(strstr(err.msg, "as_published")); /* lists the choices */
    assert_int_equal(sm_config_set(&c, "stdp.sign", "", "--set", &err), SM_EINVAL);
    assert_int_equal(sm_config_set(&c, "sleep.norm_mode", "2", "--set", &err), SM_EINVAL);
    /* A rejected value leaves the configuration untouched. */
    assert_memory_equal(&c, &orig, sizeof c);
}

static void key_value_file_with_comments(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const char *text = "# a comment line\n"
                       "\n"
                       "lif_e.tau_m = 20   # trailing comment\n"
                       "  stdp.sign=as_published\n"
                       "net.plastic_ie = false\n"
                       "sleep.rate = 0.1\n";
    char *path = tu_write_file(dir, "run.cfg", text, strlen(text));
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_load(&c, path, &err), SM_OK);
    assert_true(c.lif[0].tau_m == 20);
    assert_int_equal(c.stdp.sign, SM_SIGN_AS_PUBLISHED);
    assert_int_equal(c.net.plastic[SM_PATH_IE], 0);
    assert_true(c.sleep.rate == 0.1);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void bad_line_reports_file_and_line(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const char *text = "lif_e.tau_m = 20\n# comment\nlif_e.tau_syn = abc\n";
    char *path = tu_write_file(dir, "bad.cfg", text, strlen(text));
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_load(&c, path, &err), SM_EINVAL);
    char want[600];
    snprintf(want, sizeof want, "%s:3", path);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "lif_e.tau_syn"));
    free(path);

    const char *text2 = "\n\nlif_e.tau_m 20\n";
    path = tu_write_file(dir, "noeq.cfg", text2, strlen(text2));
    assert_int_equal(sm_config_load(&c, path, &err), SM_EINVAL);
    snprintf(want, sizeof want, "%s:3", path);
    assert_non_null(strstr(err.msg, want));
    free(path);

    const char *text3 = "lif_e.tau_m = 20\nlif_e.tau_mm = 20\n";
    path = tu_write_file(dir, "typo.cfg", text3, strlen(text3));
    assert_int_equal(sm_config_load(&c, path, &err), SM_EINVAL);
    snprintf(want, sizeof want, "%s:2", path);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "lif_e.tau_m'"));
    free(path);

    /* JSON syntax errors are located too. */
    const char *text4 = "{\n  \"lif_e\": {\n    \"tau_m\": 20,,\n  }\n}\n";
    path = tu_write_file(dir, "bad.json", text4, strlen(text4));
    assert_int_equal(sm_config_load(&c, path, &err), SM_EFORMAT);
    snprintf(want, sizeof want, "%s:3", path);
    assert_non_null(strstr(err.msg, want));
    free(path);

    /* A JSON value of the wrong kind names the key and the file. */
    const char *text5 = "{\"lif_e\": {\"tau_m\": [1, 2]}}";
    path = tu_write_file(dir, "arr.json", text5, strlen(text5));
    assert_int_equal(sm_config_load(&c, path, &err), SM_EFORMAT);
    assert_non_null(strstr(err.msg, "lif_e.tau_m"));
    assert_non_null(strstr(err.msg, path));
    free(path);

    assert_int_equal(sm_config_load(&c, "/no/such/dir/x.cfg", &err), SM_EIO);
    assert_non_null(strstr(err.msg, "/no/such/dir/x.cfg"));
    tu_rmtree(dir);
    free(dir);
}

static void json_nested_flat_and_results_style(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    const char *nested = "{\"lif_e\": {\"tau_m\": 20.5, \"delta_a\": 1},"
                         " \"stdp\": {\"sign\": \"as_published\", \"eta_e\": 0.001},"
                         " \"net\": {\"plastic_ei\": false, \"n_exc\": 300},"
                         " \"run\": {\"seed\": 42}}";
    const char *flat =
        "{\"lif_e.tau_m\": 20.5, \"lif_e.delta_a\": 1, \"stdp.sign\": \"as_published\","
        " \"stdp.eta_e\": 1e-3, \"net.plastic_ei\": false, \"net.n_exc\": 300,"
        " \"run.seed\": 42}";
    const char *results =
        "{\"version\": \"0.1.0\", \"metrics\": {\"phi\": 0.5},"
        " \"config\": {\"lif_e\": {\"tau_m\": 20.5, \"delta_a\": 1},"
        " \"stdp.sign\": \"as_published\", \"stdp\": {\"eta_e\": 0.001},"
        " \"net\": {\"plastic_ei\": false, \"n_exc\": 300}, \"run\": {\"seed\": 42}}}";
    const char *texts[3] = {nested, flat, results};
    sm_config want;
    sm_config_default(&want);
    want.lif[0].tau_m = 20.5;
    want.lif[0].delta_a = 1;
    want.stdp.sign = SM_SIGN_AS_PUBLISHED;
    want.stdp.eta_e = 0.001;
    want.net.plastic[SM_PATH_EI] = 0;
    want.net.n_exc = 300;
    want.run.seed = 42;
    for (int k = 0; k < 3; k++) {
        char *path = tu_write_file(dir, "c.json", texts[k], strlen(texts[k]));
        sm_config c;
        sm_config_default(&c);
        sm_error err;
        if (sm_config_load(&c, path, &err) != SM_OK) fail_msg("variant %d: %s", k, err.msg);
        assert_configs_equal(&c, &want);
        free(path);
    }
    /* An unknown key inside a nested group is named in full. */
    const char *typo = "{\"lif_e\": {\"tau_mm\": 20}}";
    char *path = tu_write_file(dir, "t.json", typo, strlen(typo));
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    assert_int_equal(sm_config_load(&c, path, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "lif_e.tau_mm"));
    assert_non_null(strstr(err.msg, path));
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A configuration with every kind of non-default value. */
static void unusual_config(sm_config *c)
{
    sm_config_default(c);
    c->run.seed = INT64_C(1234567890123);
    c->run.dt = 0.25;
    c->net.n_exc = 321;
    c->net.w0[SM_PATH_IE] = -0.123456789012345;
    c->net.plastic[SM_PATH_EI] = 0;
    c->lif[1].tau_m = 1.0 / 3.0;
    c->lif[0].theta0 = -54.999999999;
    c->noise.wake = 1;
    c->stdp.sign = SM_SIGN_AS_PUBLISHED;
    c->stdp.same_step = SM_SAME_DEPRESS;
    c->stdp.eta_e = 3.3e-7;
    c->sleep.mode = SM_SLEEP_LAYER;
    c->sleep.norm_mode = SM_NORM_NEURON;
    c->sleep.period = 123457;
    c->input.encoder = SM_ENC_RATE;
    snprintf(c->data.dataset, sizeof c->data.dataset, "synthetic:50:7");
    snprintf(c->data.classes, sizeof c->data.classes, "0-2,3");
    c->readout.method = 1;
    c->sgsnn.lr = 5e-4;
}

static void key_value_round_trip(void **state)
{
    (void)state;
    sm_config src;
    unusual_config(&src);
    size_t n;
    const sm_param_def *t = sm_param_table(&n);
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "# written by test_config\n");
    for (size_t i = 0; i < n; i++) {
        char v[SM_CONFIG_STR_MAX];
        sm_config_format(&src, &t[i], v, sizeof v);
        len += (size_t)snprintf(text + len, cap - len, "%s = %s  # %s\n", t[i].name, v, t[i].unit);
        assert_true(len < cap);
    }
    char *dir = tu_mkdtemp();
    char *path = tu_write_file(dir, "rt.cfg", text, len);
    sm_config back;
    sm_config_default(&back);
    sm_error err;
    if (sm_config_load(&back, path, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_configs_equal(&back, &src);
    free(path);
    free(text);
    tu_rmtree(dir);
    free(dir);
}

static void json_round_trip(void **state)
{
    (void)state;
    sm_config src;
    unusual_config(&src);
    size_t n;
    const sm_param_def *t = sm_param_table(&n);
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "{\"config\": {");
    for (size_t i = 0; i < n; i++) {
        char v[SM_CONFIG_STR_MAX];
        sm_config_format(&src, &t[i], v, sizeof v);
        int quoted = t[i].type == SM_PT_ENUM || t[i].type == SM_PT_STRING;
        len += (size_t)snprintf(text + len, cap - len, "%s\"%s\": %s%s%s", i ? ", " : "", t[i].name,
                                quoted ? "\"" : "", v, quoted ? "\"" : "");
        assert_true(len < cap);
    }
    len += (size_t)snprintf(text + len, cap - len, "}}\n");
    char *dir = tu_mkdtemp();
    char *path = tu_write_file(dir, "rt.json", text, len);
    sm_config back;
    sm_config_default(&back);
    sm_error err;
    if (sm_config_load(&back, path, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_configs_equal(&back, &src);
    free(path);
    free(text);
    tu_rmtree(dir);
    free(dir);
}

static void cross_validation(void **state)
{
    (void)state;
    sm_config c;
    sm_error err;

    sm_config_default(&c);
    c.lif[0].v_min = 40;
    c.lif[0].v_max = 40;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "lif_e.v_min"));

    sm_config_default(&c);
    c.lif[1].v_min = 50;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "lif_i.v_min"));

    sm_config_default(&c);
    c.lif[0].theta_min = 1;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "lif_e.theta_min"));

    sm_config_default(&c);
    c.stdp.exc_min = 25;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "stdp.exc_min"));
    c.stdp.exc_min = 30;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);

    sm_config_default(&c);
    c.stdp.inh_min = -0.01;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "stdp.inh_min"));

    sm_config_default(&c);
    c.run.dt = 40; /* larger than tau_m = 30 */
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "run.dt"));

    /* Power-law sleep needs weights bounded away from 0, but only when it runs. */
    sm_config_default(&c);
    c.sleep.rate = 0.2;
    c.stdp.exc_min = 0;
    assert_int_equal(sm_config_validate(&c, &err), SM_EINVAL);
    c.sleep.rate = 0;
    assert_int_equal(sm_config_validate(&c, &err), SM_OK);

    /* A valid, non-default combination passes. */
    sm_config_default(&c);
    c.lif[0].v_min = -120;
    c.lif[0].v_max = -10;
    c.stdp.exc_min = 0.5;
    c.stdp.exc_max = 0.6;
    assert_int_equal(sm_config_validate(&c, &err), SM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_spec_values),
        cmocka_unit_test(table_rows_are_consistent),
        cmocka_unit_test(set_parses_numbers_bools_enums),
        cmocka_unit_test(formatted_values_read_back),
        cmocka_unit_test(text_parameters_set_format_and_reject),
        cmocka_unit_test(large_seed_is_kept_exactly),
        cmocka_unit_test(results_json_readers),
        cmocka_unit_test(unknown_name_suggests_close_one),
        cmocka_unit_test(bad_values_rejected_naming_the_option),
        cmocka_unit_test(key_value_file_with_comments),
        cmocka_unit_test(bad_line_reports_file_and_line),
        cmocka_unit_test(json_nested_flat_and_results_style),
        cmocka_unit_test(key_value_round_trip),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(cross_validation),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
