/* Extending somnus: the example of docs/architecture.md as a test (a rule written outside
 * the library plugged into the simulation), the registries' consistency with the
 * parameter table, and the checks on what user callbacks hand back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/protocols.h"
#include "protocol/train_models.h"
#include "somnus/models/sim.h"
#include "somnus/plasticity/ip_rule.h"
#include "somnus/plasticity/stdp.h"
#include "somnus/protocol/experiment.h"
#include "testutil.h"

/* ------------------------------------------------------------------ a toy rule */

/* "Presynaptic depression": every step, each spiking neuron's plastic outgoing
 * synapses lose `delta`, clamped to the bounds. Embeds sm_rule first, as every rule. */
typedef struct toy_rule {
    sm_rule base;
    float delta;
    int calls;
} toy_rule;

static void toy_apply(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes)
{
    toy_rule *t = (toy_rule *)rule;
    t->calls++;
    for (int k = 0; k < spikes->n; k++) {
        const int g = spikes->ids[k];
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
            if (rule->plastic[net->pathway[s]])
                net->w[s] = sm_rule_clamp(rule, net->w[s] - t->delta, s < net->exc_end);
    }
}

static const sm_rule_ops TOY_OPS = {.name = "toy", .apply = toy_apply, .spiker_local = 1};

/* 3 stimulus neurons -> 2 E neurons, all S->E synapses, nothing else. */
static void toy_config(sm_config *c)
{
    sm_config_default(c);
    c->net.n_input = 3;
    c->net.n_exc = 2;
    c->net.n_inh = 0;
    c->net.p[SM_PATH_SE] = 1;
    c->net.p[SM_PATH_EE] = c->net.p[SM_PATH_EI] = c->net.p[SM_PATH_IE] = 0;
    c->net.w0[SM_PATH_SE] = 1.0;
    c->stdp.rule = SM_STDP_NONE;
    c->sleep.mode = SM_SLEEP_NONE;
    c->stdp.exc_min = 0.25;
}

/* S0 spikes every step, S1 on even steps, S2 never. */
static int toy_input(void *ctx, uint64_t step, int32_t *out)
{
    (void)ctx;
    int n = 0;
    out[n++] = 0;
    if (step % 2 == 0) out[n++] = 1;
    return n;
}

static void toy_rule_changes_weights_as_computed_by_hand(void **state)
{
    (void)state;
    sm_config c;
    toy_config(&c);
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    assert_null(sim->rule); /* stdp.rule = none */
    toy_rule *t = calloc(1, sizeof *t);
    assert_non_null(t);
    sm_rule_base_init(&t->base, &TOY_OPS, &c);
    t->delta = 0.0625f; /* a power of two: every subtraction below is exact */
    sm_sim_set_rule(sim, &t->base);
    sm_sim_set_input(sim, toy_input, NULL);
    assert_int_equal(sm_sim_wake(sim, 7, &err), SM_OK);
    assert_int_equal(t->calls, 7);
    /* S0 spiked 7 times: 1 - 7/16 = 0.5625; S1 on steps 0, 2, 4, 6: 1 - 4/16 = 0.75;
     * S2 never: 1. Each has two synapses (to E0 and E1). */
    const float expect[3] = {0.5625f, 0.75f, 1.0f};
    const sm_net *net = sim->net;
    for (int g = 0; g < 3; g++) {
        assert_int_equal(net->row[g + 1] - net->row[g], 2);
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
            assert_true(net->w[s] == expect[g]);
    }
    /* 20 more steps: S0 would reach 1 - 27/16 < 0 and stops at stdp.exc_min = 0.25. */
    assert_int_equal(sm_sim_wake(sim, 20, &err), SM_OK);
    for (int64_t s = net->row[0]; s < net->row[1]; s++)
        assert_true(net->w[s] == 0.25f);
    /* The test phase freezes weights: the rule is not called. */
    assert_int_equal(sm_sim_test(sim, 5, &err), SM_OK);
    assert_int_equal(t->calls, 27);
    sm_sim_destroy(sim); /* destroys the rule too (ASan checks) */
}

/* ------------------------------------------------------------------ input checks */

typedef struct bad_input {
    int mode; /* 0: index out of range, 1: descending, 2: count too large, 3: negative */
} bad_input;

static int bad_input_fn(void *ctx, uint64_t step, int32_t *out)
{
    const bad_input *b = ctx;
    if (step < 3) { /* three good steps first */
        out[0] = 1;
        return 1;
    }
    switch (b->mode) {
    case 0: out[0] = 3; return 1; /* n_in = 3: index 3 is one past the end */
    case 1:
        out[0] = 2;
        out[1] = 1;
        return 2;
    case 2: return 4;
    default: return -1;
    }
}

static void input_function_output_is_checked(void **state)
{
    (void)state;
    const char *needles[4] = {"returned neuron 3 at position 0 of input step 3",
                              "returned neuron 1 at position 1 of input step 3",
                              "returned 4 spikes at input step 3",
                              "returned -1 spikes at input step 3"};
    for (int mode = 0; mode < 4; mode++) {
        sm_config c;
        toy_config(&c);
        sm_error err;
        sm_sim *sim = sm_sim_create(&c, &err);
        assert_non_null(sim);
        bad_input b = {mode};
        sm_sim_set_input(sim, bad_input_fn, &b);
        assert_int_equal(sm_sim_wake(sim, 10, &err), SM_EINVAL);
        if (!strstr(err.msg, needles[mode])) fprintf(stderr, "message: %s\n", err.msg);
        assert_non_null(strstr(err.msg, needles[mode]));
        assert_int_equal(sim->count.wake_steps, 3); /* the three good steps, then the stop */
        /* With err = NULL the step still fails, without a crash. */
        assert_int_equal(sm_sim_test(sim, 1, NULL), SM_EINVAL);
        sm_sim_destroy(sim);
    }
}

/* ------------------------------------------------------------------ registries */

/* The parameter table's choices of an enum, as a '|'-separated string. */
static const char *choices_of(const char *name)
{
    const sm_param_def *d = sm_param_find(name);
    assert_non_null(d);
    return d->choices;
}

/* "name" occurs as a whole choice in "a|b=4|name|c". */
static int has_choice(const char *choices, const char *name)
{
    const size_t n = strlen(name);
    for (const char *s = choices; s; s = strchr(s, '|') ? strchr(s, '|') + 1 : NULL)
        if (!strncmp(s, name, n) && (s[n] == '|' || s[n] == '=' || s[n] == '\0')) return 1;
    return 0;
}

static int count_choices(const char *choices)
{
    int n = 1;
    for (const char *s = choices; *s; s++)
        n += *s == '|';
    return n;
}

static void registries_match_the_parameter_table(void **state)
{
    (void)state;
    const char *rules = choices_of("stdp.rule");
    assert_int_equal(count_choices(rules), (int)sm_rule_def_count());
    for (size_t i = 0; i < sm_rule_def_count(); i++) {
        const sm_rule_def *d = sm_rule_def_at(i);
        assert_true(has_choice(rules, d->name));
        sm_config c;
        sm_config_default(&c);
        assert_int_equal(sm_config_set(&c, "stdp.rule", d->name, "test", NULL), SM_OK);
        assert_int_equal(c.stdp.rule, d->id); /* the table's value is the row's id */
    }
    assert_null(sm_rule_def_at(sm_rule_def_count()));
    /* Neuron-level rules: IP_RULES and the ip.rule choices agree, row by row. */
    const char *ip_rules = choices_of("ip.rule");
    assert_int_equal(count_choices(ip_rules), (int)sm_ip_def_count());
    for (size_t i = 0; i < sm_ip_def_count(); i++) {
        const sm_ip_def *d = sm_ip_def_at(i);
        assert_true(has_choice(ip_rules, d->name));
        assert_true(d->ops == NULL || strcmp(d->ops->name, d->name) == 0);
        sm_config c;
        sm_config_default(&c);
        assert_int_equal(sm_config_set(&c, "ip.rule", d->name, "test", NULL), SM_OK);
        assert_int_equal(c.ip.rule, d->id);
        assert_ptr_equal(sm_ip_def_find(d->id, NULL), d);
    }
    assert_null(sm_ip_def_at(sm_ip_def_count()));
    size_t n_models;
    const sm_train_model *m = sm_train_model_table(&n_models);
    const char *models = choices_of("train.model");
    assert_int_equal(count_choices(models), (int)n_models);
    for (size_t i = 0; i < n_models; i++) {
        sm_config c;
        sm_config_default(&c);
        assert_int_equal(sm_config_set(&c, "train.model", m[i].name, "test", NULL), SM_OK);
        assert_int_equal(c.train.model, m[i].id);
        assert_ptr_equal(sm_train_model_find(m[i].id, NULL), &m[i]);
    }
    size_t n_protocols;
    const sm_protocol *pr = sm_protocol_table(&n_protocols);
    const char *kinds = choices_of("protocol.kind");
    assert_int_equal(count_choices(kinds), (int)n_protocols);
    for (size_t i = 0; i < n_protocols; i++) {
        sm_config c;
        sm_config_default(&c);
        assert_int_equal(sm_config_set(&c, "protocol.kind", pr[i].name, "test", NULL), SM_OK);
        assert_int_equal(c.protocol.kind, pr[i].id);
        assert_ptr_equal(sm_protocol_find(pr[i].id, NULL), &pr[i]);
    }
    /* Experiment names are unique and each has a description and a run function. */
    for (size_t i = 0; i < sm_experiment_count(); i++) {
        const sm_experiment_def *e = sm_experiment_at(i);
        assert_non_null(e->run);
        assert_true(strlen(e->description) > 10);
        assert_ptr_equal(sm_experiment_find(e->name, NULL), e);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(sm_experiment_at(j)->name, e->name);
    }
    assert_null(sm_experiment_at(sm_experiment_count()));
}

static void unknown_ids_are_refused_by_their_module(void **state)
{
    (void)state;
    sm_error err;
    assert_null(sm_rule_def_find(9, &err));
    assert_string_equal(err.msg, "'stdp.rule': 9 is not one of none|pair|trace");
    assert_null(sm_train_model_find(99, &err));
    assert_non_null(strstr(err.msg, "'train.model': 99 is not one of stdp|sgsnn"));
    assert_null(sm_experiment_find("no-such-experiment", &err));
    assert_non_null(strstr(err.msg, "sleep-stdp-table"));
    /* A config filled in C (not through the table) with an unknown rule: the simulation
     * refuses it by the rule table's message. */
    sm_config c;
    toy_config(&c);
    c.stdp.rule = 9;
    assert_null(sm_sim_create(&c, &err));
    assert_non_null(strstr(err.msg, "stdp.rule"));
    assert_null(sm_sim_create(&c, NULL));
    /* The same for the neuron-level rule table. */
    assert_null(sm_ip_def_find(7, &err));
    assert_string_equal(err.msg, "'ip.rule': 7 is not one of none|rate|triesch");
    toy_config(&c);
    c.ip.rule = 7;
    assert_null(sm_sim_create(&c, &err));
    assert_non_null(strstr(err.msg, "ip.rule"));
    toy_config(&c);
    c.ip.rule = SM_IP_RATE;
    c.ip.sleep = 5;
    assert_null(sm_sim_create(&c, &err));
    assert_non_null(strstr(err.msg, "ip.sleep"));
}

/* The command line: an unknown enum value is one line naming the key, exit 2. */
static void cli_refuses_bad_enum_values(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    tu_expect_cli_error(dir, "run --steps 5 --set stdp.rule=9",
                        "'stdp.rule': '9' is not one of none|pair|trace");
    tu_expect_cli_error(dir, "run --steps 5 --set sleep.mode=42",
                        "'sleep.mode': '42' is not one of none|powerlaw|static|layer|neuron");
    char *out = NULL;
    assert_int_equal(tu_cli(dir, "run --steps 5 --set stdp.rule=9", &out), 2); /* usage */
    free(out);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toy_rule_changes_weights_as_computed_by_hand),
        cmocka_unit_test(input_function_output_is_checked),
        cmocka_unit_test(registries_match_the_parameter_table),
        cmocka_unit_test(unknown_ids_are_refused_by_their_module),
        cmocka_unit_test(cli_refuses_bad_enum_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
