/* Tests of structural plasticity of the STDP network (spec structural.md 4, R1). */
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/io/checkpoint.h"
#include "somnus/models/sim_state.h"
#include "somnus/models/sim.h"
#include "somnus/plasticity/rewire.h"

static void small_config(sm_config *c, const char *mode)
{
    sm_config_default(c);
    c->net.n_input = 40;
    c->net.n_exc = 30;
    c->net.n_inh = 10;
    c->sleep.period = 500;
    c->sleep.rate = 0.2;
    sm_error err;
    assert_int_equal(sm_config_set(c, "struct.mode", mode, "test", &err), SM_OK);
    assert_int_equal(sm_config_set(c, "struct.pathways", "se,ee,ei,ie", "test", &err), SM_OK);
}

/* Constant input: every fourth stimulus neuron spikes every other step. */
static int input(void *ctx, uint64_t step, int32_t *out)
{
    (void)ctx;
    int n = 0;
    if (step % 2) return 0;
    for (int i = 0; i < 40; i += 4)
        out[n++] = i;
    return n;
}

/* Construction rules, signs and bounds of the current network. */
static void check_rules(const sm_sim *sim)
{
    const sm_net *net = sim->net;
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            if (s > net->row[g]) assert_true(net->post[s] > net->post[s - 1]); /* no duplicate */
            const int post_g = net->n_in + net->post[s];
            assert_int_equal(net->pathway[s], sm_net_pathway_of(net, g, post_g));
            if (net->pathway[s] == SM_PATH_EE) assert_int_not_equal(g, post_g);
            if (net->pathway[s] == SM_PATH_IE) {
                assert_true(net->w[s] <= -0.01f + 1e-6f);
                assert_true(net->w[s] >= (float)sim->cfg.stdp.inh_min);
                assert_true(sm_net_find(net, post_g, g) < 0); /* no reciprocal E/I */
            } else {
                assert_true(net->w[s] >= 0.01f - 1e-6f);
                assert_true(net->w[s] <= (float)sim->cfg.stdp.exc_max);
            }
        }
}

static void rewire_keeps_counts_and_rules(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "rewire");
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    sm_sim_set_input(sim, input, NULL);
    int64_t n0[SM_N_PATHS];
    memcpy(n0, sim->net->path_count, sizeof n0);
    assert_int_equal(sm_sim_wake(sim, 2001, &err), SM_OK);
    assert_int_equal(sim->rw->events, 4);
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_int_equal(sim->net->path_count[p], n0[p]);
    assert_true(sim->rw->path[SM_PATH_SE].regrown_total > 0);
    check_rules(sim);
    sm_sim_destroy(sim);
}

static void gmp_follows_the_schedule(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "gmp");
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    sm_rewire_set_horizon(sim->rw, 4);
    sm_sim_set_input(sim, input, NULL);
    const int64_t n0 = sim->net->path_count[SM_PATH_SE];
    assert_int_equal(sm_sim_wake(sim, 2001, &err), SM_OK);
    /* after the last of K = 4 events: floor(n0 (1 - 0.75)) */
    assert_int_equal(sim->net->path_count[SM_PATH_SE], (int64_t)floor(n0 * 0.25 + 1e-9));
    check_rules(sim);
    sm_sim_destroy(sim);
}

/* Scripted spikes: pre S0 at step 0, post E0 at step 2; G(S0 -> E0) = e^(-2/tau+), H = 0. */
static void coincidence_score_by_hand(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "rewire");
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    sm_rewire *rw = sim->rw;
    const int32_t pre[1] = {0}, post[1] = {40};
    sm_rewire_observe(rw, pre, 1, 1);
    sm_rewire_observe(rw, NULL, 0, 1);
    sm_rewire_observe(rw, post, 1, 1);
    const double d = exp(-c.run.dt / c.stdp.tau_plus);
    const sm_rewire_path *pp = &rw->path[SM_PATH_SE];
    assert_float_equal(pp->g[0], (float)(d * d), 1e-6);
    assert_float_equal(pp->h[0], 0.0, 0);
    assert_float_equal(sm_rewire_score(rw, SM_PATH_SE, 0, 0), (float)(d * d), 1e-6);
    sm_sim_destroy(sim);
}

/* rewire with rate 0 changes nothing: weights bitwise as without structural plasticity. */
static void rate_zero_equals_none(void **state)
{
    (void)state;
    sm_config a, b;
    small_config(&a, "rewire");
    a.structural.rate = a.structural.rate_min = 0;
    small_config(&b, "none");
    sm_error err;
    sm_sim *sa = sm_sim_create(&a, &err), *sb = sm_sim_create(&b, &err);
    assert_non_null(sa);
    assert_non_null(sb);
    sm_sim_set_input(sa, input, NULL);
    sm_sim_set_input(sb, input, NULL);
    assert_int_equal(sm_sim_wake(sa, 1501, &err), SM_OK);
    assert_int_equal(sm_sim_wake(sb, 1501, &err), SM_OK);
    assert_int_equal(sa->net->n_syn, sb->net->n_syn);
    assert_memory_equal(sa->net->w, sb->net->w, (size_t)sa->net->n_syn * sizeof(float));
    sm_sim_destroy(sa);
    sm_sim_destroy(sb);
}

/* One S->E synapse of the test's own drop order: |w|, then synapse id. */
typedef struct by_mag {
    float a;
    int64_t s;
} by_mag;

static int by_mag_cmp(const void *x, const void *y)
{
    const by_mag *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->s > b->s) - (a->s < b->s);
}

static int key_cmp64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* One event's S->E drops against a full sort done here: magnitude pruning drops the
 * ceil(r n) smallest |w| (ties broken by synapse id), at_bound drops exactly the synapses
 * within 1e-6 of the new-synapse weight. Weights are set to seven values so that most
 * comparisons are ties. */
static void prune_drops_the_smallest(const char *prune)
{
    sm_config c;
    small_config(&c, "rewire");
    sm_error err;
    assert_int_equal(sm_config_set(&c, "struct.prune", prune, "test", &err), SM_OK);
    sm_sim *sim = sm_sim_create(&c, &err);
    assert_non_null(sim);
    sm_net *net = sim->net;
    const sm_rewire_path *pp = &sim->rw->path[SM_PATH_SE];
    const int at_bound = !strcmp(prune, "at_bound");
    by_mag *m = malloc((size_t)net->n_syn * sizeof *m);
    int64_t *key = malloc((size_t)net->n_syn * sizeof *key), n = 0;
    assert_non_null(m);
    assert_non_null(key);
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            if (net->pathway[s] != SM_PATH_SE) continue;
            net->w[s] =
                at_bound && s % 3 == 0 ? sim->rw->w_new_exc : 0.05f + 0.01f * (float)(s % 7);
            key[s] = (int64_t)(g - pp->pre0) * pp->n_post + net->post[s] - pp->post0;
            m[n++] = (by_mag){net->w[s], s};
        }
    const double r = sm_rewire_rate(sim->rw, sim->rw->events);
    assert_int_equal(sm_sim_struct_event(sim, &err), SM_OK);
    qsort(m, (size_t)n, sizeof *m, by_mag_cmp);
    int64_t want = 0;
    if (at_bound)
        while (want < n && m[want].a <= sim->rw->w_new_exc + 1e-6f)
            want++;
    else
        want = (int64_t)ceil(r * (double)n - 1e-12);
    assert_true(want > 0 && want < n / 2);
    int64_t *expect = malloc((size_t)want * sizeof *expect);
    assert_non_null(expect);
    for (int64_t q = 0; q < want; q++)
        expect[q] = key[m[q].s];
    qsort(expect, (size_t)want, sizeof *expect, key_cmp64);
    assert_int_equal(pp->n_pruned, want);
    assert_memory_equal(pp->pruned, expect, (size_t)want * sizeof *expect);
    free(expect);
    free(key);
    free(m);
    sm_sim_destroy(sim);
}

static void magnitude_prune_drops_the_smallest(void **state)
{
    (void)state;
    prune_drops_the_smallest("magnitude");
}

static void at_bound_prune_drops_those_at_the_bound(void **state)
{
    (void)state;
    prune_drops_the_smallest("at_bound");
}

/* Two simulations hold the same network, structural state and event log, bitwise. */
static void assert_same(const sm_sim *a, const sm_sim *b)
{
    const sm_net *x = a->net, *y = b->net;
    assert_int_equal(x->n_syn, y->n_syn);
    assert_int_equal(x->exc_end, y->exc_end);
    assert_memory_equal(x->row, y->row, (size_t)(x->n_total + 1) * sizeof *x->row);
    assert_memory_equal(x->post, y->post, (size_t)x->n_syn * sizeof *x->post);
    assert_memory_equal(x->w, y->w, (size_t)x->n_syn * sizeof *x->w);
    assert_memory_equal(x->in_syn, y->in_syn, (size_t)x->n_syn * sizeof *x->in_syn);
    assert_memory_equal(a->v, b->v, (size_t)x->n_post * sizeof *a->v);
    assert_int_equal(a->rw->events, b->rw->events);
    assert_memory_equal(a->rw->log, b->rw->log, (size_t)a->rw->events * sizeof *a->rw->log);
    const sm_rewire_path *pa = &a->rw->path[SM_PATH_SE], *pb = &b->rw->path[SM_PATH_SE];
    assert_memory_equal(pa->g, pb->g, (size_t)pa->n_pre * pa->n_post * sizeof *pa->g);
}

/* Resuming from a checkpoint taken after two events (gmp: the count has changed, so the
 * network must be rebuilt from the saved synapses) continues bit-identically. */
static void resume_across_events_is_bitwise(void **state)
{
    (void)state;
    const char *modes[2] = {"rewire", "gmp"};
    for (int m = 0; m < 2; m++) {
        sm_config c;
        small_config(&c, modes[m]);
        sm_error err;
        sm_sim *a = sm_sim_create(&c, &err), *b = sm_sim_create(&c, &err);
        assert_non_null(a);
        assert_non_null(b);
        sm_rewire_set_horizon(a->rw, 4);
        sm_rewire_set_horizon(b->rw, 4);
        sm_sim_set_input(a, input, NULL);
        sm_sim_set_input(b, input, NULL);
        assert_int_equal(sm_sim_wake(a, 1200, &err), SM_OK);
        assert_int_equal(sm_sim_wake(b, 1200, &err), SM_OK);
        assert_int_equal(b->rw->events, 2);
        sm_ckpt *ck = sm_ckpt_new();
        assert_int_equal(sm_sim_checkpoint_save(b, ck, &err), SM_OK);
        sm_sim_destroy(b);
        b = sm_sim_create(&c, &err); /* fresh: the initial network */
        assert_non_null(b);
        sm_rewire_set_horizon(b->rw, 4);
        sm_sim_set_input(b, input, NULL);
        if (m == 1) assert_int_not_equal(b->net->n_syn, a->net->n_syn);
        assert_int_equal(sm_sim_checkpoint_load(b, ck, "mem", &err), SM_OK);
        assert_same(a, b);
        assert_int_equal(sm_sim_wake(a, 801, &err), SM_OK);
        assert_int_equal(sm_sim_wake(b, 801, &err), SM_OK);
        assert_int_equal(a->rw->events, 4);
        assert_same(a, b);
        check_rules(b);
        sm_ckpt_free(ck);
        sm_sim_destroy(a);
        sm_sim_destroy(b);
    }
}

/* A checkpoint without structural sections does not restore into a rewiring network. */
static void resume_without_synapses_is_refused(void **state)
{
    (void)state;
    sm_config c;
    small_config(&c, "none");
    sm_error err;
    sm_sim *a = sm_sim_create(&c, &err);
    assert_non_null(a);
    sm_ckpt *ck = sm_ckpt_new();
    assert_int_equal(sm_sim_checkpoint_save(a, ck, &err), SM_OK);
    small_config(&c, "rewire");
    sm_sim *b = sm_sim_create(&c, &err);
    assert_non_null(b);
    assert_int_equal(sm_sim_checkpoint_load(b, ck, "x.smck", &err), SM_EFORMAT);
    assert_non_null(strstr(err.msg, "synapses"));
    sm_ckpt_free(ck);
    sm_sim_destroy(a);
    sm_sim_destroy(b);
}

/* 1, 2 and 8 threads (parallel loops forced on the small network) give the same
 * synapses. */
static void threads_are_bitwise(void **state)
{
    (void)state;
    static const int THREADS[] = {1, 2, 8}; /* 8: oversubscribed on the 2-core machine */
    sm_sim *s[3];
    for (int t = 0; t < 3; t++) {
        sm_config c;
        small_config(&c, "rewire");
        c.run.threads = THREADS[t];
        c.run.parallel_min = 0;
        sm_error err;
        s[t] = sm_sim_create(&c, &err);
        assert_non_null(s[t]);
        sm_sim_set_input(s[t], input, NULL);
        assert_int_equal(sm_sim_wake(s[t], 2001, &err), SM_OK);
    }
    assert_int_equal(s[0]->rw->events, 4);
    assert_same(s[0], s[1]);
    assert_same(s[0], s[2]);
    for (int t = 0; t < 3; t++)
        sm_sim_destroy(s[t]);
}

/* struct.layout = slack (rows edited in place, with so little spare room that rows fill
 * up and are laid out again) gives the network the rebuild layout gives, bitwise. */
static void slack_equals_rebuild(void **state)
{
    (void)state;
    const char *modes[2] = {"rewire", "granet"};
    for (int m = 0; m < 2; m++) {
        sm_sim *s[2];
        for (int k = 0; k < 2; k++) {
            sm_config c;
            small_config(&c, modes[m]);
            sm_error err;
            if (k) {
                assert_int_equal(sm_config_set(&c, "struct.layout", "slack", "test", &err), SM_OK);
                c.structural.slack = 0;
            }
            s[k] = sm_sim_create(&c, &err);
            assert_non_null(s[k]);
            sm_rewire_set_horizon(s[k]->rw, 4);
            sm_sim_set_input(s[k], input, NULL);
            assert_int_equal(sm_sim_wake(s[k], 2001, &err), SM_OK);
        }
        assert_non_null(s[1]->rw->slack);
        assert_true(s[1]->rw->slack->relayouts > 0); /* full rows were met */
        assert_same(s[0], s[1]);
        assert_memory_equal(s[0]->net->in_row, s[1]->net->in_row,
                            (size_t)(s[0]->net->n_post + 1) * sizeof *s[0]->net->in_row);
        assert_memory_equal(s[0]->net->pathway, s[1]->net->pathway, (size_t)s[0]->net->n_syn);
        check_rules(s[1]);
        sm_sim_destroy(s[0]);
        sm_sim_destroy(s[1]);
    }
}

static double jnum(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The cell of (mode, regrow, sleep 0.2, final_sparsity) in an experiment's results. */
static json_t *rw_cell(json_t *cells, const char *mode, const char *regrow, double sparsity)
{
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (!strcmp(json_string_value(json_object_get(c, "mode")), mode) &&
            !strcmp(json_string_value(json_object_get(c, "regrow")), regrow) &&
            fabs(jnum(c, "sleep_rate") - 0.2) < 1e-12 &&
            fabs(jnum(c, "final_sparsity") - sparsity) < 1e-12)
            return c;
    }
    fail_msg("no cell %s/%s/%g", mode, regrow, sparsity);
    return NULL;
}

/* One saved run of the experiment (--runs DIR) by struct.mode, seed 1: its document. */
static json_t *rw_run(const char *dir, const char *mode, double p_se)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    json_t *found = NULL;
    for (struct dirent *e; !found && (e = readdir(d));) {
        if (!strstr(e->d_name, ".json")) continue;
        snprintf(path, sizeof path, "%s/runs/%s", dir, e->d_name);
        json_t *f = json_load_file(path, 0, NULL);
        assert_non_null(f);
        json_t *doc = json_object_get(f, "document"), *cfg = json_object_get(doc, "config");
        json_t *st = json_object_get(cfg, "struct"), *net = json_object_get(cfg, "net");
        if (!strcmp(json_string_value(json_object_get(st, "mode")), mode) &&
            json_integer_value(json_object_get(doc, "seed")) == 1 &&
            fabs(jnum(net, "p_se") - p_se) < 1e-9 &&
            json_object_get(json_object_get(doc, "final"), "plastic_sum_ratio"))
            found = json_incref(doc);
        json_decref(f);
    }
    closedir(d);
    assert_non_null(found);
    return found;
}

static int64_t syn_count(json_t *doc, const char *path)
{
    json_t *n = json_object_get(json_object_get(doc, "network"), "synapses_per_pathway");
    return json_integer_value(json_object_get(n, path));
}

/* The quick rewire-stdp experiment (synthetic images, 2 seeds): every cell's mean and sd
 * from its accuracies; R2, R3 and R4 recomputed from the cells; R4's static control built
 * with p_se, p_ee x 0.1 and the other pathways as the reference; gmp ending at
 * floor(0.1 n0) synapses of the reference's n0 on each rewired pathway. */
static void rewire_stdp_quick_targets_by_hand(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment rewire-stdp --quick --quiet --set "
                            "table.datasets=synthetic:200 --set data.n_train=100 --set "
                            "data.n_test=50 --set table.seeds=2 --runs runs --out r.json",
                            &out),
                     0);
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/r.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    json_t *res = json_object_get(doc, "results");
    json_t *cells = json_object_get(res, "cells");
    assert_int_equal(json_array_size(cells), 8);
    const double seed1_acc0 = json_number_value(
        json_array_get(json_object_get(json_array_get(cells, 0), "accuracies"), 0));
    for (size_t i = 0; i < 8; i++) {
        json_t *c = json_array_get(cells, i), *a = json_object_get(c, "accuracies");
        const double a0 = json_number_value(json_array_get(a, 0)),
                     a1 = json_number_value(json_array_get(a, 1));
        assert_float_near(jnum(c, "mean_accuracy"), (a0 + a1) / 2, 1e-12);
        assert_float_near(jnum(c, "sd_accuracy"), fabs(a0 - a1) / sqrt(2.0), 1e-12);
    }
    json_t *t = json_array_get(json_object_get(res, "targets"), 0);
    json_t *co = rw_cell(cells, "rewire", "coincidence", 0),
           *rnd = rw_cell(cells, "rewire", "random", 0);
    json_t *ref = rw_cell(cells, "none", "none", 0);
    const double r2 = jnum(co, "f_on") - jnum(rnd, "f_on");
    assert_float_near(jnum(t, "r2_f_on_co_minus_random"), r2, 1e-12);
    assert_int_equal(json_is_true(json_object_get(t, "r2_met")), r2 >= 0.10);
    assert_float_near(jnum(t, "r3_co_minus_reference"),
                      jnum(co, "mean_accuracy") - jnum(ref, "mean_accuracy"), 1e-12);
    const double gr = jnum(rw_cell(cells, "granet", "coincidence", 0.9), "mean_accuracy");
    const double gm = jnum(rw_cell(cells, "gmp", "none", 0.9), "mean_accuracy");
    const double stc = jnum(rw_cell(cells, "static", "none", 0.9), "mean_accuracy");
    assert_float_near(jnum(t, "r4_granet_minus_gmp_at_0.9"), gr - gm, 1e-12);
    assert_float_near(jnum(t, "r4_gmp_minus_static_at_0.9"), gm - stc, 1e-12);
    assert_int_equal(json_is_true(json_object_get(t, "r4_met")), gr >= gm && gm >= stc);
    /* the static control: p_se and p_ee (struct.pathways) x (1 - 0.9), ei and ie as built */
    json_t *r_ref = rw_run(dir, "none", 0.1), *r_static = rw_run(dir, "none", 0.01);
    json_t *r_gmp = rw_run(dir, "gmp", 0.1);
    json_t *net = json_object_get(json_object_get(r_static, "config"), "net");
    json_t *net0 = json_object_get(json_object_get(r_ref, "config"), "net");
    assert_float_near(jnum(net, "p_ee"), 0.1 * jnum(net0, "p_ee"), 1e-12);
    assert_float_near(jnum(net, "p_ei"), jnum(net0, "p_ei"), 0);
    assert_float_near(jnum(net, "p_ie"), jnum(net0, "p_ie"), 0);
    assert_true(syn_count(r_static, "SE") < syn_count(r_ref, "SE") / 5);
    assert_float_near(
        jnum(json_object_get(json_object_get(r_gmp, "config"), "struct"), "final_sparsity"), 0.9,
        0);
    /* the cubic schedule's last target, floor(n0 (1 - s_f)), in the code's double arithmetic */
    assert_int_equal(syn_count(r_gmp, "SE"), (int64_t)floor(syn_count(r_ref, "SE") * (1 - 0.9)));
    assert_int_equal(syn_count(r_gmp, "EE"), (int64_t)floor(syn_count(r_ref, "EE") * (1 - 0.9)));
    assert_int_equal(syn_count(r_gmp, "EI"), syn_count(r_ref, "EI"));
    json_decref(r_ref);
    json_decref(r_static);
    json_decref(r_gmp);
    json_decref(doc);
    /* a call listing one seed reuses the kept runs of seed 1 (the kept-run key leaves out
     * table.*): no new file, and the same seed-1 accuracy */
    tu_cli_reuses_runs(dir, "runs",
                       "experiment rewire-stdp --quick --quiet --set "
                       "table.datasets=synthetic:200 --set data.n_train=100 --set "
                       "data.n_test=50 --set table.seeds=1 --runs runs --out r1.json");
    snprintf(path, sizeof path, "%s/r1.json", dir);
    json_t *doc1 = json_load_file(path, 0, NULL);
    assert_non_null(doc1);
    json_t *c1 = json_array_get(json_object_get(json_object_get(doc1, "results"), "cells"), 0);
    assert_float_near(jnum(c1, "mean_accuracy"), seed1_acc0, 0);
    json_decref(doc1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rewire_keeps_counts_and_rules),
        cmocka_unit_test(gmp_follows_the_schedule),
        cmocka_unit_test(coincidence_score_by_hand),
        cmocka_unit_test(rate_zero_equals_none),
        cmocka_unit_test(resume_across_events_is_bitwise),
        cmocka_unit_test(resume_without_synapses_is_refused),
        cmocka_unit_test(threads_are_bitwise),
        cmocka_unit_test(slack_equals_rebuild),
        cmocka_unit_test(magnitude_prune_drops_the_smallest),
        cmocka_unit_test(at_bound_prune_drops_those_at_the_bound),
        cmocka_unit_test_setup_teardown(rewire_stdp_quick_targets_by_hand, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests_name("rewire", tests, NULL, NULL);
}
