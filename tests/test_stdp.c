/* Tests of the plasticity rules on hand-made circuits with hand-made spike views. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/network/net.h"
#include "somnus/core/rng.h"
#include "somnus/plasticity/stdp.h"

#define MAXN 512
#define NEVER SM_AGE_MAX

/* What one step's spikes look like: built from each neuron's age (0 = spikes now). */
typedef struct view {
    uint8_t flag[MAXN];
    int32_t age[MAXN];
    int32_t ids[MAXN];
    sm_step_spikes sp;
} view;

static const sm_step_spikes *view_set(view *v, uint64_t step, const int32_t *age, int n_total)
{
    int n = 0;
    for (int g = 0; g < n_total; g++) {
        v->age[g] = age[g];
        v->flag[g] = age[g] == 0;
        if (age[g] == 0) v->ids[n++] = g;
    }
    v->sp = (sm_step_spikes){step, v->ids, n, v->flag, v->age};
    return &v->sp;
}

/* S0 | E1 E2 | I3 with S0->E1, E1->E2, E2->I3, I3->E1. */
enum { S0 = 0, E1 = 1, E2 = 2, I3 = 3, NT = 4 };

static sm_net *tiny_net(float w_se, float w_ee, float w_ei, float w_ie)
{
    const int32_t pre[] = {S0, E1, E2, I3}, post[] = {E1, E2, I3, E1};
    const float w[] = {w_se, w_ee, w_ei, w_ie};
    sm_error err;
    sm_net *net = sm_net_from_edges(1, 2, 1, 4, pre, post, w, NULL, &err);
    if (!net) fail_msg("%s", err.msg);
    return net;
}

static float weight(const sm_net *net, int pre, int post)
{
    int64_t s = sm_net_find(net, pre, post);
    assert_true(s >= 0);
    return net->w[s];
}

/* The defaults with the textbook sign: the hand values below are written for it (somnus's
 * default sign is as_published since issue 18; the flip has its own tests). */
static void textbook_default(sm_config *c)
{
    sm_config_default(c);
    c->stdp.sign = SM_SIGN_TEXTBOOK;
}

static sm_rule *pair_rule(const sm_config *cfg)
{
    sm_error err;
    sm_rule *r = sm_rule_pair_create(cfg, &err);
    if (!r) fail_msg("%s", err.msg);
    return r;
}

/* Runs one step of the pair rule on a fresh tiny net with the given ages and returns
 * the four weights (S0->E1, E1->E2, E2->I3, I3->E1). */
static void pair_once(const sm_config *cfg, const int32_t age[NT], float w_init[4], float out[4])
{
    sm_net *net = tiny_net(w_init[0], w_init[1], w_init[2], w_init[3]);
    sm_rule *r = pair_rule(cfg);
    view v;
    sm_rule_apply(r, net, view_set(&v, 100, age, NT));
    out[0] = weight(net, S0, E1);
    out[1] = weight(net, E1, E2);
    out[2] = weight(net, E2, I3);
    out[3] = weight(net, I3, E1);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

/* eta * A * exp(-3 / 7.5) with the defaults eta = 8e-4, A = 1. */
static const double A3 = 8e-4 * 0.6703200460356393;

static void pair_stdp_dw_is_the_formula(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    assert_float_near(sm_pair_stdp_dw(&c, 1, 3), A3, 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 1, -3), -A3, 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 0, 3), -A3, 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 0, -3), A3, 1e-15);
    /* Separate constants per side and per presynaptic sign. */
    c.stdp.a_plus = 2;
    c.stdp.a_minus = 0.5;
    c.stdp.tau_plus = 5;
    c.stdp.tau_minus = 10;
    c.stdp.eta_e = 1e-3;
    c.stdp.eta_i = 2e-3;
    assert_float_near(sm_pair_stdp_dw(&c, 1, 3), 1e-3 * 2 * exp(-3.0 / 5), 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 1, -3), -1e-3 * 0.5 * exp(-3.0 / 10), 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 0, 3), -2e-3 * 2 * exp(-3.0 / 5), 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 0, -3), 2e-3 * 0.5 * exp(-3.0 / 10), 1e-15);
    /* As published: dt is negated. */
    c.stdp.sign = SM_SIGN_AS_PUBLISHED;
    assert_float_near(sm_pair_stdp_dw(&c, 1, 3), -1e-3 * 0.5 * exp(-3.0 / 10), 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 1, -3), 1e-3 * 2 * exp(-3.0 / 5), 1e-15);
    /* dt is in steps: with dt = 0.5 ms, 3 steps are 1.5 ms. */
    textbook_default(&c);
    c.run.dt = 0.5;
    assert_float_near(sm_pair_stdp_dw(&c, 1, 3), 8e-4 * exp(-1.5 / 7.5), 1e-15);
    /* Same step. */
    textbook_default(&c);
    assert_float_near(sm_pair_stdp_dw(&c, 1, 0), 8e-4, 1e-15);
    assert_float_near(sm_pair_stdp_dw(&c, 0, 0), -8e-4, 1e-15);
    c.stdp.same_step = SM_SAME_DEPRESS;
    assert_float_near(sm_pair_stdp_dw(&c, 1, 0), -8e-4, 1e-15);
    c.stdp.same_step = SM_SAME_IGNORE;
    assert_true(sm_pair_stdp_dw(&c, 1, 0) == 0.0);
}

static void pair_textbook_sign(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    const double tol = 1.2e-7; /* one float ulp at 1 */

    /* Excitatory pre before post: S0 spiked 3 steps ago, E1 now -> potentiation. */
    int32_t a1[NT] = {3, 0, NEVER, NEVER};
    pair_once(&c, a1, w0, w);
    assert_float_near(w[0], 1 + A3, tol);
    assert_true(w[1] == 1.0f && w[2] == 1.0f && w[3] == -1.0f); /* no partner spiked */

    /* Excitatory post before pre: E1 spiked 3 steps ago, S0 now -> depression. */
    int32_t a2[NT] = {0, 3, NEVER, NEVER};
    pair_once(&c, a2, w0, w);
    assert_float_near(w[0], 1 - A3, tol);
    assert_true(w[1] == 1.0f && w[2] == 1.0f && w[3] == -1.0f);

    /* Inhibitory pre before post: I3 spiked 3 steps ago, E1 now -> more inhibition. */
    int32_t a3[NT] = {NEVER, 0, NEVER, 3};
    pair_once(&c, a3, w0, w);
    assert_float_near(w[3], -1 - A3, tol);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);

    /* Inhibitory post before pre: E1 spiked 3 steps ago, I3 now -> less inhibition. */
    int32_t a4[NT] = {NEVER, 3, NEVER, 0};
    pair_once(&c, a4, w0, w);
    assert_float_near(w[3], -1 + A3, tol);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);

    /* E->E and E->I: E1 (age 2) then E2 now: E1->E2 potentiates; E2 (now) before I3
     * (age 5): E2->I3 depresses. */
    int32_t a5[NT] = {NEVER, 2, 0, 5};
    pair_once(&c, a5, w0, w);
    assert_float_near(w[1], 1 + 8e-4 * exp(-2 / 7.5), tol);
    assert_float_near(w[2], 1 - 8e-4 * exp(-5 / 7.5), tol);
}

static void pair_as_published_flips(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    c.stdp.sign = SM_SIGN_AS_PUBLISHED;
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    const double tol = 1.2e-7;
    int32_t a1[NT] = {3, 0, NEVER, NEVER};
    pair_once(&c, a1, w0, w);
    assert_float_near(w[0], 1 - A3, tol);
    int32_t a2[NT] = {0, 3, NEVER, NEVER};
    pair_once(&c, a2, w0, w);
    assert_float_near(w[0], 1 + A3, tol);
    int32_t a3[NT] = {NEVER, 0, NEVER, 3};
    pair_once(&c, a3, w0, w);
    assert_float_near(w[3], -1 + A3, tol);
    int32_t a4[NT] = {NEVER, 3, NEVER, 0};
    pair_once(&c, a4, w0, w);
    assert_float_near(w[3], -1 - A3, tol);
}

static void pair_uses_each_constant(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    c.stdp.a_plus = 2;
    c.stdp.a_minus = 0.5;
    c.stdp.tau_plus = 5;
    c.stdp.tau_minus = 10;
    c.stdp.eta_e = 1e-3;
    c.stdp.eta_i = 2e-3;
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    const double tol = 1.2e-7;
    int32_t a1[NT] = {3, 0, NEVER, NEVER};
    pair_once(&c, a1, w0, w);
    assert_float_near(w[0], 1 + 1e-3 * 2 * exp(-3.0 / 5), tol);
    int32_t a2[NT] = {0, 3, NEVER, NEVER};
    pair_once(&c, a2, w0, w);
    assert_float_near(w[0], 1 - 1e-3 * 0.5 * exp(-3.0 / 10), tol);
    int32_t a3[NT] = {NEVER, 0, NEVER, 3};
    pair_once(&c, a3, w0, w);
    assert_float_near(w[3], -1 - 2e-3 * 2 * exp(-3.0 / 5), tol);
    int32_t a4[NT] = {NEVER, 3, NEVER, 0};
    pair_once(&c, a4, w0, w);
    assert_float_near(w[3], -1 + 2e-3 * 0.5 * exp(-3.0 / 10), tol);
}

static void pair_every_age_matches_the_formula(void **state)
{
    (void)state;
    /* Ages 1..400 (past the rule's table of ~50 time constants) and "never". */
    sm_config c;
    textbook_default(&c);
    c.stdp.eta_e = 0.05; /* large enough that the tail is visible in float */
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    for (int32_t age = 1; age <= 400; age++) {
        int32_t pre_first[NT] = {age, 0, NEVER, NEVER};
        pair_once(&c, pre_first, w0, w);
        double want = (float)(1.0 + (double)(float)sm_pair_stdp_dw(&c, 1, age));
        if (fabs(w[0] - want) > 1.2e-7) fail_msg("age %d: %.9g vs %.9g", age, w[0], want);
        int32_t post_first[NT] = {0, age, NEVER, NEVER};
        pair_once(&c, post_first, w0, w);
        want = (float)(1.0 + (double)(float)sm_pair_stdp_dw(&c, 1, -age));
        if (fabs(w[0] - want) > 1.2e-7) fail_msg("age -%d: %.9g vs %.9g", age, w[0], want);
    }
    int32_t never[NT] = {NEVER, 0, NEVER, NEVER};
    pair_once(&c, never, w0, w);
    assert_true(w[0] == 1.0f);
    int32_t never2[NT] = {0, NEVER, NEVER, NEVER};
    pair_once(&c, never2, w0, w);
    assert_true(w[0] == 1.0f);
}

static void pair_same_step_conventions(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    const double tol = 1.2e-7;
    /* Everyone spikes in the same step: every synapse is a same-step pair, updated once. */
    int32_t all[NT] = {0, 0, 0, 0};
    pair_once(&c, all, w0, w);
    assert_float_near(w[0], 1 + 8e-4, tol);
    assert_float_near(w[1], 1 + 8e-4, tol);
    assert_float_near(w[2], 1 + 8e-4, tol);
    assert_float_near(w[3], -1 - 8e-4, tol);
    c.stdp.same_step = SM_SAME_DEPRESS;
    pair_once(&c, all, w0, w);
    assert_float_near(w[0], 1 - 8e-4, tol);
    assert_float_near(w[1], 1 - 8e-4, tol);
    assert_float_near(w[2], 1 - 8e-4, tol);
    assert_float_near(w[3], -1 + 8e-4, tol);
    c.stdp.same_step = SM_SAME_IGNORE;
    pair_once(&c, all, w0, w);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f && w[3] == -1.0f);
    /* The published sign does not change a same-step pair. */
    c.stdp.same_step = SM_SAME_POTENTIATE;
    c.stdp.sign = SM_SIGN_AS_PUBLISHED;
    pair_once(&c, all, w0, w);
    assert_float_near(w[0], 1 + 8e-4, tol);
    assert_float_near(w[3], -1 - 8e-4, tol);
}

static void pair_once_per_synapse_when_both_spike(void **state)
{
    (void)state;
    /* Pre and post both spike now, and also spiked earlier: the update is the same-step
     * value exactly once, whichever pass sees the synapse first. */
    sm_config c;
    textbook_default(&c);
    sm_net *net = tiny_net(1.0f, 1.0f, 1.0f, -1.0f);
    sm_rule *r = pair_rule(&c);
    view v;
    int32_t age[NT] = {0, 0, NEVER, NEVER};
    sm_rule_apply(r, net, view_set(&v, 0, age, NT));
    assert_float_near(weight(net, S0, E1), 1 + 8e-4, 1.2e-7);
    /* Next step: E1 spikes again, S0 one step ago: +8e-4 exp(-1/7.5) on top. */
    int32_t age2[NT] = {1, 0, NEVER, NEVER};
    sm_rule_apply(r, net, view_set(&v, 1, age2, NT));
    assert_float_near(weight(net, S0, E1), 1 + 8e-4 + 8e-4 * exp(-1 / 7.5), 2.4e-7);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

static void pair_bounds_clamp(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    c.stdp.eta_e = 1;
    c.stdp.eta_i = 1;
    float w[4];
    /* dt = 1: |dw| = exp(-1/7.5) = 0.875 */
    float hi[4] = {24.5f, 1.0f, 1.0f, -24.5f};
    int32_t up[NT] = {1, 0, NEVER, 1}; /* S0 and I3 before E1 */
    pair_once(&c, up, hi, w);
    assert_true(w[0] == 25.0f);  /* exc_max */
    assert_true(w[3] == -25.0f); /* inh_min */
    float lo[4] = {0.5f, 1.0f, 1.0f, -0.5f};
    int32_t down[NT] = {0, 1, NEVER, 0}; /* E1 before S0 and I3 */
    pair_once(&c, down, lo, w);
    assert_true(w[0] == 0.01f);  /* exc_min */
    assert_true(w[3] == -0.01f); /* inh_max */
    /* Configured bounds are used. */
    c.stdp.exc_max = 2;
    c.stdp.inh_max = -0.2;
    float mid[4] = {1.5f, 1.0f, 1.0f, -0.5f};
    pair_once(&c, up, mid, w);
    assert_true(w[0] == 2.0f);
    pair_once(&c, down, mid, w);
    assert_true(w[3] == -0.2f);
}

/* Random spike trains on a random network: signs and bounds hold, non-plastic pathways
 * never change, plastic ones do. */
static void run_random_trains(int rule, unsigned plastic_mask)
{
    sm_config c;
    textbook_default(&c);
    c.run.seed = 21;
    c.net.n_input = 40;
    c.net.n_exc = 60;
    c.net.n_inh = 20;
    c.net.no_reciprocal = 0;
    c.stdp.rule = rule;
    c.stdp.eta_e = c.stdp.eta_i = 0.3; /* big steps: bounds are hit often */
    c.stdp.trace_eta = 0.3;
    c.stdp.trace_w_max = 40; /* soft bound above the hard bound */
    for (int p = 0; p < SM_N_PATHS; p++)
        c.net.plastic[p] = (plastic_mask >> p) & 1u;
    sm_error err;
    sm_net *net = sm_net_create(&c, &err);
    assert_non_null(net);
    sm_rule *r = sm_rule_create(&c, net, &err);
    assert_non_null(r);
    const int nt = net->n_total;
    assert_true(nt <= MAXN);
    float *w_init = malloc((size_t)net->n_syn * sizeof *w_init);
    memcpy(w_init, net->w, (size_t)net->n_syn * sizeof *w_init);
    int32_t age[MAXN];
    for (int g = 0; g < nt; g++)
        age[g] = NEVER;
    sm_rng rng;
    sm_rng_init(&rng, 5, SM_STREAM_USER, (uint32_t)rule);
    view v;
    for (uint64_t t = 0; t < 3000; t++) {
        /* Bursty activity: some steps silent, some with many spikes. */
        double p = (t / 50) % 3 == 0 ? 0.02 : 0.3;
        for (int g = 0; g < nt; g++) {
            int fire = sm_rng_uniform(&rng) < p;
            age[g] = fire ? 0 : (age[g] < NEVER ? age[g] + 1 : NEVER);
        }
        sm_rule_apply(r, net, view_set(&v, t, age, nt));
        for (int64_t s = 0; s < net->n_syn; s++) {
            float x = net->w[s];
            if (s < net->exc_end) {
                if (!(x >= 0.01f && x <= 25.0f))
                    fail_msg("step %llu: exc weight %g", (unsigned long long)t, x);
            } else {
                if (!(x >= -25.0f && x <= -0.01f))
                    fail_msg("step %llu: inh weight %g", (unsigned long long)t, x);
            }
        }
    }
    sm_rule_flush(r, net);
    int64_t changed[SM_N_PATHS] = {0};
    for (int64_t s = 0; s < net->n_syn; s++)
        changed[net->pathway[s]] += net->w[s] != w_init[s];
    for (int p = 0; p < SM_N_PATHS; p++) {
        assert_true(net->path_count[p] > 0);
        if ((plastic_mask >> p) & 1u)
            assert_true(changed[p] > net->path_count[p] / 2);
        else
            assert_int_equal(changed[p], 0);
    }
    free(w_init);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

static void pair_random_trains_keep_signs_and_fixed_pathways(void **state)
{
    (void)state;
    run_random_trains(SM_STDP_PAIR, 0xF);
    run_random_trains(SM_STDP_PAIR, (1u << SM_PATH_SE) | (1u << SM_PATH_EE)); /* later package */
    run_random_trains(SM_STDP_PAIR, (1u << SM_PATH_IE));
}

static void trace_random_trains_keep_signs_and_fixed_pathways(void **state)
{
    (void)state;
    run_random_trains(SM_STDP_TRACE, 0xF);
    run_random_trains(SM_STDP_TRACE, (1u << SM_PATH_SE) | (1u << SM_PATH_EI));
}

static void non_plastic_pathway_untouched_in_tiny_net(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    c.net.plastic[SM_PATH_EE] = 0;
    float w0[4] = {1.0f, 1.0f, 1.0f, -1.0f}, w[4];
    int32_t age[NT] = {0, 0, 0, 0};
    pair_once(&c, age, w0, w);
    assert_true(w[1] == 1.0f);
    assert_float_near(w[0], 1 + 8e-4, 1.2e-7);
    /* No plastic pathway at all: nothing moves. */
    for (int p = 0; p < SM_N_PATHS; p++)
        c.net.plastic[p] = 0;
    pair_once(&c, age, w0, w);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f && w[3] == -1.0f);
}

static void rule_create_by_name(void **state)
{
    (void)state;
    sm_config c;
    textbook_default(&c);
    sm_net *net = tiny_net(1, 1, 1, -1);
    sm_error err;
    sm_rule *r = sm_rule_create(&c, net, &err);
    assert_non_null(r);
    assert_string_equal(r->ops->name, "pair");
    assert_true(r->exc_min == 0.01f && r->exc_max == 25.0f);
    assert_true(r->inh_min == -25.0f && r->inh_max == -0.01f);
    sm_rule_destroy(r);
    c.stdp.rule = SM_STDP_TRACE;
    r = sm_rule_create(&c, net, &err);
    assert_non_null(r);
    assert_string_equal(r->ops->name, "trace");
    sm_rule_destroy(r);
    c.stdp.rule = SM_STDP_NONE;
    assert_null(sm_rule_create(&c, net, &err));
    sm_rule_destroy(NULL);
    sm_rule_flush(NULL, net);
    sm_net_destroy(net);
}

/* Trace STDP circuit: S0 S1 | E2 | I3 I4, with S0->E2 (4), S1->E2 (2), I3->E2 (-1),
 * E2->I3 (0.5). */
enum { T_S0 = 0, T_S1 = 1, T_E2 = 2, T_I3 = 3, T_I4 = 4, T_NT = 5 };

static sm_net *trace_net(void)
{
    const int32_t pre[] = {T_S0, T_S1, T_I3, T_E2}, post[] = {T_E2, T_E2, T_E2, T_I3};
    const float w[] = {4.0f, 2.0f, -1.0f, 0.5f};
    sm_error err;
    sm_net *net = sm_net_from_edges(2, 1, 2, 4, pre, post, w, NULL, &err);
    if (!net) fail_msg("%s", err.msg);
    return net;
}

static sm_rule *trace_rule(int update_freq, const sm_net *net)
{
    sm_config c;
    textbook_default(&c);
    c.stdp.rule = SM_STDP_TRACE;
    c.stdp.trace_update_freq = update_freq;
    sm_error err;
    sm_rule *r = sm_rule_create(&c, net, &err);
    if (!r) fail_msg("%s", err.msg);
    return r;
}

/* Step 0: S0 and I3 spike (traces 1). Step 1: E2 spikes. At step 1, with d = exp(-1/25):
 *   x_S0 = d, x_S1 = 0, x_I3 = d, x_I4 = 0;  mean S = d/2, mean I = d/2.
 *   S0->E2: +eta (d - d/2) (10 - 4)^0.6;  S1->E2: x = 0, unchanged;
 *   I3->E2: magnitude grows by eta (d - d/2) (10 - 1)^0.6, so w = -1 - that. */
static void trace_one_update_by_hand(void **state)
{
    (void)state;
    const double d = exp(-1.0 / 25), eta = 8e-4;
    const double w_s0 = 4 + eta * (d / 2) * pow(6.0, 0.6);
    const double w_i3 = -1 - eta * (d / 2) * pow(9.0, 0.6);
    sm_net *net = trace_net();
    sm_rule *r = trace_rule(1, net);
    view v;
    int32_t a0[T_NT] = {0, NEVER, NEVER, 0, NEVER};
    sm_rule_apply(r, net, view_set(&v, 0, a0, T_NT));
    /* I3 spiked, but its only input E2 has a zero trace: nothing changes. */
    assert_true(weight(net, T_E2, T_I3) == 0.5f);
    assert_true(weight(net, T_S0, T_E2) == 4.0f);
    int32_t a1[T_NT] = {1, NEVER, 0, 1, NEVER};
    sm_rule_apply(r, net, view_set(&v, 1, a1, T_NT));
    assert_float_near(weight(net, T_S0, T_E2), w_s0, 5e-7);
    assert_true(weight(net, T_S1, T_E2) == 2.0f);
    assert_float_near(weight(net, T_I3, T_E2), w_i3, 2e-7);
    assert_true(weight(net, T_E2, T_I3) == 0.5f);
    /* Step 2: I3 spikes. x_E2 = d equals the mean trace of E (one neuron), so E2->I3
     * does not move: the target is the presynaptic population's mean. */
    int32_t a2[T_NT] = {2, NEVER, 1, 0, NEVER};
    sm_rule_apply(r, net, view_set(&v, 2, a2, T_NT));
    assert_true(weight(net, T_E2, T_I3) == 0.5f);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

static void trace_soft_bound(void **state)
{
    (void)state;
    /* S0..S3 | E4. S0, S1, S2 spike at step 0, S3 never; E4 spikes at step 1. Then
     * x_S0..2 = d, mean S = 3d/4 and each potentiates by eta (d/4) (w_max - w)^mu:
     * none at w = w_max = 10, none (not NaN) past it at 12, eta d/4 at 9. */
    const int32_t pre[] = {0, 1, 2, 3}, post[] = {4, 4, 4, 4};
    const float w[] = {10.0f, 12.0f, 9.0f, 1.0f};
    sm_net *net = sm_net_from_edges(4, 1, 0, 4, pre, post, w, NULL, NULL);
    assert_non_null(net);
    sm_rule *r = trace_rule(1, net);
    view v;
    int32_t a0[5] = {0, 0, 0, NEVER, NEVER};
    int32_t a1[5] = {1, 1, 1, NEVER, 0};
    sm_rule_apply(r, net, view_set(&v, 0, a0, 5));
    sm_rule_apply(r, net, view_set(&v, 1, a1, 5));
    const double d = exp(-1.0 / 25);
    assert_true(net->w[0] == 10.0f);
    assert_true(net->w[1] == 12.0f);
    assert_float_near(net->w[2], 9 + 8e-4 * d / 4, 1e-6);
    assert_true(net->w[3] == 1.0f);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

static void trace_update_freq_applies_at_flush_boundary(void **state)
{
    (void)state;
    const double d = exp(-1.0 / 25), eta = 8e-4;
    const double dw1 = eta * (d / 2) * pow(6.0, 0.6); /* as computed at step 1 */
    sm_net *net = trace_net();
    sm_rule *r = trace_rule(3, net);
    view v;
    int32_t a0[T_NT] = {0, NEVER, NEVER, 0, NEVER};
    int32_t a1[T_NT] = {1, NEVER, 0, 1, NEVER};
    int32_t a2[T_NT] = {2, NEVER, 1, 2, NEVER};
    sm_rule_apply(r, net, view_set(&v, 0, a0, T_NT));
    sm_rule_apply(r, net, view_set(&v, 1, a1, T_NT));
    assert_true(weight(net, T_S0, T_E2) == 4.0f); /* accumulated, not applied */
    assert_true(weight(net, T_I3, T_E2) == -1.0f);
    sm_rule_apply(r, net, view_set(&v, 2, a2, T_NT)); /* steps 0..2 done: flush */
    assert_float_near(weight(net, T_S0, T_E2), 4 + dw1, 5e-7);
    assert_true(weight(net, T_I3, T_E2) < -1.0f);
    float after_first = weight(net, T_S0, T_E2);

    /* Second window (steps 3..5): E2 spikes at step 3; applied only at step 5. At step 3
     * x_S0 = d^3 and mean S = d^3 / 2. */
    const double dw3 = eta * (pow(d, 3) / 2) * pow(10.0 - after_first, 0.6);
    int32_t a3[T_NT] = {3, NEVER, 0, 3, NEVER};
    int32_t a4[T_NT] = {4, NEVER, 1, 4, NEVER};
    int32_t a5[T_NT] = {5, NEVER, 2, 5, NEVER};
    sm_rule_apply(r, net, view_set(&v, 3, a3, T_NT));
    assert_true(weight(net, T_S0, T_E2) == after_first);
    sm_rule_apply(r, net, view_set(&v, 4, a4, T_NT));
    assert_true(weight(net, T_S0, T_E2) == after_first);
    sm_rule_apply(r, net, view_set(&v, 5, a5, T_NT));
    assert_float_near(weight(net, T_S0, T_E2), after_first + dw3, 5e-7);
    sm_rule_destroy(r);
    sm_net_destroy(net);

    /* An explicit flush applies what is pending at once. */
    net = trace_net();
    r = trace_rule(100, net);
    sm_rule_apply(r, net, view_set(&v, 0, a0, T_NT));
    sm_rule_apply(r, net, view_set(&v, 1, a1, T_NT));
    assert_true(weight(net, T_S0, T_E2) == 4.0f);
    sm_rule_flush(r, net);
    assert_float_near(weight(net, T_S0, T_E2), 4 + dw1, 5e-7);
    sm_rule_flush(r, net); /* nothing pending: no change */
    assert_float_near(weight(net, T_S0, T_E2), 4 + dw1, 5e-7);
    sm_rule_destroy(r);
    sm_net_destroy(net);
}

static void pair_threads_give_the_same_weights(void **state)
{
    (void)state;
    /* Many spikes at once, shared among 2 threads (pre passes, then post passes): the
     * weights are those of the serial rule, bit for bit. */
    sm_config c;
    textbook_default(&c);
    c.net.n_input = 60;
    c.net.n_exc = 300;
    c.net.n_inh = 80;
    sm_error err;
    sm_net *a = sm_net_create(&c, &err), *b = sm_net_create(&c, &err);
    assert_non_null(a);
    assert_non_null(b);
    sm_rule *r1 = sm_rule_pair_create(&c, &err), *r2 = sm_rule_pair_create(&c, &err);
    r2->threads = 2;
    const int nt = a->n_total;
    int32_t *age = malloc((size_t)nt * sizeof *age), *ids = malloc((size_t)nt * sizeof *ids);
    uint8_t *flag = calloc((size_t)nt, 1);
    sm_rng r;
    sm_rng_init(&r, 9, SM_STREAM_USER, 0);
    for (uint64_t step = 0; step < 40; step++) {
        int n = 0;
        for (int g = 0; g < nt; g++) {
            double u = sm_rng_uniform(&r);
            age[g] = u < 0.2 ? 0 : (u < 0.9 ? (int32_t)(u * 60) : SM_AGE_MAX);
            flag[g] = age[g] == 0;
            if (!age[g]) ids[n++] = g;
        }
        sm_step_spikes sp = {step, ids, n, flag, age};
        sm_rule_apply(r1, a, &sp);
        sm_rule_apply(r2, b, &sp);
    }
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    free(age);
    free(ids);
    free(flag);
    sm_rule_destroy(r1);
    sm_rule_destroy(r2);
    sm_net_destroy(a);
    sm_net_destroy(b);
}

/* Random steps on a paper-sized (or, with n_exc, larger) network: apply_deliver on one copy, apply
 * then a plain propagation on the other; weights and drives must agree bit for bit. */
static void deliver_matches_apply_then_propagate(int sign, int plastic_ie, int n_exc)
{
    sm_config c;
    textbook_default(&c);
    c.stdp.sign = sign;
    c.net.n_exc = n_exc;
    c.net.plastic[SM_PATH_IE] = plastic_ie;
    sm_error err;
    sm_net *a = sm_net_create(&c, &err), *b = sm_net_create(&c, &err);
    assert_non_null(a);
    assert_non_null(b);
    sm_rule *r1 = sm_rule_pair_create(&c, &err), *r2 = sm_rule_pair_create(&c, &err);
    assert_true(sm_rule_can_deliver(r2));
    const int nt = a->n_total;
    int32_t *age = malloc((size_t)nt * sizeof *age), *ids = malloc((size_t)nt * sizeof *ids);
    uint8_t *flag = calloc((size_t)nt, 1);
    float *d1 = calloc((size_t)a->n_post, sizeof *d1), *d2 = calloc((size_t)a->n_post, sizeof *d2);
    sm_rng r;
    sm_rng_init(&r, 11, SM_STREAM_USER, 0);
    int64_t changed = 0;
    for (uint64_t step = 0; step < 300; step++) {
        /* Busy steps walk more synapses than there are post neurons, and the rule looks
         * the change up by target; every third step is sparse and takes the plain walk. */
        const double p_spike = step % 3 ? 0.1 : 0.001;
        int n = 0;
        for (int g = 0; g < nt; g++) {
            double u = sm_rng_uniform(&r);
            age[g] = u < p_spike ? 0 : (u < 0.95 ? (int32_t)(u * 400) : SM_AGE_MAX);
            flag[g] = age[g] == 0;
            if (!age[g]) ids[n++] = g;
        }
        sm_step_spikes sp = {step, ids, n, flag, age};
        memset(d1, 0, (size_t)a->n_post * sizeof *d1);
        memset(d2, 0, (size_t)a->n_post * sizeof *d2);
        sm_rule_apply(r1, a, &sp);
        for (int k = 0; k < n; k++)
            for (int64_t s = a->row[ids[k]]; s < a->row[ids[k] + 1]; s++)
                d1[a->post[s]] += a->w[s];
        sm_rule_apply_deliver(r2, b, &sp, d2);
        assert_memory_equal(d1, d2, (size_t)a->n_post * sizeof *d1);
    }
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    sm_net *fresh = sm_net_create(&c, &err);
    for (int64_t s = 0; s < a->n_syn; s++)
        changed += a->w[s] != fresh->w[s];
    assert_true(changed > a->n_syn / 2); /* the steps did change most weights */
    sm_net_destroy(fresh);
    free(age);
    free(ids);
    free(flag);
    free(d1);
    free(d2);
    sm_rule_destroy(r1);
    sm_rule_destroy(r2);
    sm_net_destroy(a);
    sm_net_destroy(b);
}

static void pair_apply_deliver_is_apply_then_propagate(void **state)
{
    (void)state;
    deliver_matches_apply_then_propagate(SM_SIGN_TEXTBOOK, 1, 200);
    deliver_matches_apply_then_propagate(SM_SIGN_AS_PUBLISHED, 1, 200);
    deliver_matches_apply_then_propagate(SM_SIGN_AS_PUBLISHED, 0, 200); /* a fixed pathway */
    /* E rows of ~150 synapses and more: the vectorized update of long rows */
    deliver_matches_apply_then_propagate(SM_SIGN_TEXTBOOK, 1, 1000);
}

/* Spike trains with memory: each neuron fires at its own rate, now and then in a burst
 * (every step) or silent for longer than the STDP window; ages follow the trains. */
typedef struct train_state {
    int32_t *age;
    int *mode_left; /* steps left in a burst (> 0) or a silence (< 0) */
    double *rate;
} train_state;

static int train_step(train_state *ts, sm_rng *r, int nt, int32_t *ids, uint8_t *flag)
{
    int n = 0;
    for (int g = 0; g < nt; g++) {
        const double u = sm_rng_uniform(r);
        int spike;
        if (ts->mode_left[g] > 0) {
            spike = 1;
            ts->mode_left[g]--;
        } else if (ts->mode_left[g] < 0) {
            spike = 0;
            ts->mode_left[g]++;
        } else {
            spike = u < ts->rate[g];
            if (u > 0.997) ts->mode_left[g] = 5 + (int)(sm_rng_uniform(r) * 40);
            if (u < 0.002) ts->mode_left[g] = -(100 + (int)(sm_rng_uniform(r) * 250));
        }
        ts->age[g] = spike ? 0 : (ts->age[g] < SM_AGE_MAX ? ts->age[g] + 1 : SM_AGE_MAX);
        flag[g] = (uint8_t)spike;
        if (spike) ids[n++] = g;
    }
    return n;
}

/* The deferred post passes (forced on a small network) against the eager rule: every
 * step's drive and, whenever settled, every weight bit for bit. Settles come at random
 * points, some steps skip the rule (as test steps do, after a settle), some go through
 * `apply` (as sleep steps do), the step counter jumps once and once the ages do not
 * follow from the spikes. */
static void deferred_matches_eager(int sign, double tau, float exc_max, uint64_t seed)
{
    sm_config c;
    textbook_default(&c);
    c.stdp.sign = sign;
    c.stdp.tau_plus = c.stdp.tau_minus = tau;
    c.stdp.eta_e = c.stdp.eta_i = 0.05;
    c.stdp.exc_max = exc_max; /* below w0 of some pathway: the first clamp matters */
    c.net.n_input = 100;
    c.net.n_exc = 400;
    c.net.n_inh = 100;
    sm_error err;
    sm_net *a = sm_net_create(&c, &err), *b = sm_net_create(&c, &err);
    assert_non_null(a);
    assert_non_null(b);
    sm_rule *eager = sm_rule_pair_create(&c, &err), *lazy = sm_rule_pair_create(&c, &err);
    sm_rule_pair_force_defer(lazy, 1);
    const int nt = a->n_total, np = a->n_post;
    int32_t *ids = malloc((size_t)nt * sizeof *ids);
    uint8_t *flag = calloc((size_t)nt, 1);
    float *d1 = calloc((size_t)np, sizeof *d1), *d2 = calloc((size_t)np, sizeof *d2);
    train_state ts = {malloc((size_t)nt * sizeof(int32_t)), calloc((size_t)nt, sizeof(int)),
                      malloc((size_t)nt * sizeof(double))};
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_USER, 0);
    double *busy = ts.rate, *quiet = calloc((size_t)nt, sizeof(double));
    for (int g = 0; g < nt; g++) {
        ts.age[g] = SM_AGE_MAX;
        busy[g] = 0.3 * sm_rng_uniform(&r) * sm_rng_uniform(&r);
        quiet[g] = 0.0005;
    }
    int settles = 0;
    uint64_t step = 5;
    for (int k = 0; k < 900; k++, step++) {
        /* Quiet stretches: steps that walk fewer synapses than there are post neurons,
         * where the rule reads the change by age instead of by target. */
        ts.rate = k % 100 < 25 ? quiet : busy;
        const int n = train_step(&ts, &r, nt, ids, flag);
        if (k == 600) /* made-up ages (as after restoring other state): no longer the spikes' */
            for (int g = 0; g < nt; g += 7)
                if (ts.age[g]) ts.age[g] = 1 + (int32_t)(sm_rng_uniform(&r) * 30);
        sm_step_spikes sp = {step, ids, n, flag, ts.age};
        const double u = sm_rng_uniform(&r);
        if (u < 0.02) {
            sm_rule_settle(lazy, b); /* a test step: no rule, current weights */
        } else if (u < 0.04) {
            lazy->may_defer = 0; /* a sleep step: the simulation keeps it eager */
            sm_rule_apply(eager, a, &sp);
            sm_rule_apply(lazy, b, &sp);
            lazy->may_defer = 1;
        } else if (u < 0.25) {
            /* a wake step on 2 threads: deferred `apply`, rows shared among threads, then
             * the spikers' rows (current) delivered as the propagation would */
            lazy->threads = lazy->max_threads = 2;
            sm_rule_apply(eager, a, &sp);
            sm_rule_apply(lazy, b, &sp);
            lazy->threads = 1;
            memset(d1, 0, (size_t)np * sizeof *d1);
            memset(d2, 0, (size_t)np * sizeof *d2);
            for (int q = 0; q < n; q++)
                for (int64_t s = a->row[ids[q]]; s < a->row[ids[q] + 1]; s++) {
                    d1[a->post[s]] += a->w[s];
                    d2[b->post[s]] += b->w[s];
                }
            assert_memory_equal(d1, d2, (size_t)np * sizeof *d1);
        } else {
            memset(d1, 0, (size_t)np * sizeof *d1);
            memset(d2, 0, (size_t)np * sizeof *d2);
            sm_rule_apply_deliver(eager, a, &sp, d1);
            sm_rule_apply_deliver(lazy, b, &sp, d2);
            assert_memory_equal(d1, d2, (size_t)np * sizeof *d1);
        }
        if (k == 450) step += 7; /* the step counter jumps */
        if (sm_rng_uniform(&r) < 0.008) {
            sm_rule_settle(lazy, b);
            assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
            settles++;
        }
    }
    sm_rule_settle(lazy, b);
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    assert_true(settles >= 2);
    free(ts.age);
    free(ts.mode_left);
    free(busy);
    free(quiet);
    free(ids);
    free(flag);
    free(d1);
    free(d2);
    sm_rule_destroy(eager);
    sm_rule_destroy(lazy);
    sm_net_destroy(a);
    sm_net_destroy(b);
}

static void pair_deferred_is_bit_identical(void **state)
{
    (void)state;
    deferred_matches_eager(SM_SIGN_TEXTBOOK, 7.5, 25, 21);
    /* A short window (W = 102 steps): silences outlast it. */
    deferred_matches_eager(SM_SIGN_AS_PUBLISHED, 2.0, 0.2f, 22);
    deferred_matches_eager(SM_SIGN_TEXTBOOK, 2.0, 25, 23);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pair_threads_give_the_same_weights),
        cmocka_unit_test(pair_apply_deliver_is_apply_then_propagate),
        cmocka_unit_test(pair_deferred_is_bit_identical),
        cmocka_unit_test(pair_stdp_dw_is_the_formula),
        cmocka_unit_test(pair_textbook_sign),
        cmocka_unit_test(pair_as_published_flips),
        cmocka_unit_test(pair_uses_each_constant),
        cmocka_unit_test(pair_every_age_matches_the_formula),
        cmocka_unit_test(pair_same_step_conventions),
        cmocka_unit_test(pair_once_per_synapse_when_both_spike),
        cmocka_unit_test(pair_bounds_clamp),
        cmocka_unit_test(pair_random_trains_keep_signs_and_fixed_pathways),
        cmocka_unit_test(trace_random_trains_keep_signs_and_fixed_pathways),
        cmocka_unit_test(non_plastic_pathway_untouched_in_tiny_net),
        cmocka_unit_test(rule_create_by_name),
        cmocka_unit_test(trace_one_update_by_hand),
        cmocka_unit_test(trace_soft_bound),
        cmocka_unit_test(trace_update_freq_applies_at_flush_boundary),
    };
    return cmocka_run_group_tests_name("stdp", tests, NULL, NULL);
}
