/* Tests of network construction: densities, construction rules, CSR and post index. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/network/net.h"

/* A larger network than the default so that 5-sigma bounds are tight. */
static void big_config(sm_config *c, int64_t seed, int no_reciprocal)
{
    sm_config_default(c);
    c->run.seed = seed;
    c->net.n_input = 1000;
    c->net.n_exc = 2000;
    c->net.n_inh = 500;
    c->net.no_reciprocal = no_reciprocal;
}

static sm_net *make(const sm_config *c)
{
    sm_error err;
    sm_net *net = sm_net_create(c, &err);
    if (!net) fail_msg("sm_net_create: %s", err.msg);
    return net;
}

static void assert_binomial(int64_t count, double n, double p, const char *what)
{
    double mean = n * p, sd = sqrt(n * p * (1 - p));
    if (fabs((double)count - mean) > 5 * sd)
        fail_msg("%s: %lld synapses, expected %.1f +- 5 x %.1f", what, (long long)count, mean, sd);
}

/* Structural invariants every network must satisfy. */
static void check_structure(const sm_net *net)
{
    assert_int_equal(net->n_post, net->n_exc + net->n_inh);
    assert_int_equal(net->n_total, net->n_in + net->n_post);
    assert_int_equal(net->row[0], 0);
    assert_int_equal(net->row[net->n_total], net->n_syn);
    const int first_i = net->n_in + net->n_exc;
    assert_int_equal(net->exc_end, net->row[first_i]);
    int64_t count[SM_N_PATHS] = {0};
    for (int g = 0; g < net->n_total; g++) {
        assert_true(net->row[g] <= net->row[g + 1]);
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            int post = net->post[s];
            assert_true(post >= 0 && post < net->n_post);
            if (s > net->row[g] && net->post[s - 1] >= post)
                fail_msg("row %d not strictly sorted at synapse %lld", g, (long long)s);
            int path = sm_net_pathway_of(net, g, net->n_in + post);
            assert_true(path >= 0);
            assert_int_equal(net->pathway[s], path);
            count[path]++;
            /* Excitatory block first, then inhibitory. */
            assert_int_equal(s < net->exc_end, g < first_i);
            assert_int_equal(s < net->exc_end, path != SM_PATH_IE);
            /* Signs. */
            if (path == SM_PATH_IE)
                assert_true(net->w[s] <= 0);
            else
                assert_true(net->w[s] >= 0);
            assert_int_equal(sm_net_find(net, g, net->n_in + post), s);
        }
    }
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_int_equal(net->path_count[p], count[p]);

    /* Postsynaptic index: each synapse exactly once, under its target, with its pre. */
    uint8_t *seen = calloc((size_t)net->n_syn + 1, 1);
    assert_int_equal(net->in_row[0], 0);
    assert_int_equal(net->in_row[net->n_post], net->n_syn);
    for (int i = 0; i < net->n_post; i++) {
        for (int64_t k = net->in_row[i]; k < net->in_row[i + 1]; k++) {
            int64_t s = net->in_syn[k];
            assert_true(s >= 0 && s < net->n_syn);
            assert_int_equal(seen[s], 0);
            seen[s] = 1;
            assert_int_equal(net->post[s], i);
            int pre = net->in_pre[k];
            assert_true(net->row[pre] <= s && s < net->row[pre + 1]);
            if (k > net->in_row[i]) assert_true(net->in_syn[k - 1] < s); /* ascending id */
        }
    }
    for (int64_t s = 0; s < net->n_syn; s++)
        assert_int_equal(seen[s], 1);
    free(seen);
}

static int64_t count_reciprocal(const sm_net *net)
{
    const int first_i = net->n_in + net->n_exc;
    int64_t both = 0;
    for (int k = 0; k < net->n_inh; k++)
        for (int64_t s = net->row[first_i + k]; s < net->row[first_i + k + 1]; s++)
            both += sm_net_find(net, net->n_in + net->post[s], first_i + k) >= 0;
    return both;
}

static void densities_within_binomial_bounds(void **state)
{
    (void)state;
    sm_config c;
    big_config(&c, 7, 1);
    sm_net *net = make(&c);
    check_structure(net);
    const double ne = 2000, ni = 500, nin = 1000;
    assert_binomial(net->path_count[SM_PATH_SE], nin * ne, 0.10, "S->E");
    assert_binomial(net->path_count[SM_PATH_EE], ne * (ne - 1), 0.15, "E->E");
    assert_binomial(net->path_count[SM_PATH_EI], ne * ni, 0.20, "E->I");
    /* I_k -> E_j survives only where E_j -> I_k is absent: p_ie * (1 - p_ei). */
    assert_binomial(net->path_count[SM_PATH_IE], ni * ne, 0.25 * 0.80, "I->E (no reciprocal)");

    /* The geometric skips place targets uniformly: the neighbours of the skipped self
     * target and the first and last columns get their share. */
    int64_t next = 0, prev = 0, first = 0, last = 0;
    for (int j = 0; j < 2000; j++) {
        int g = 1000 + j;
        next += j + 1 < 2000 && sm_net_find(net, g, g + 1) >= 0;
        prev += j > 0 && sm_net_find(net, g, g - 1) >= 0;
    }
    for (int g = 0; g < 1000; g++) {
        first += sm_net_find(net, g, 1000) >= 0;
        last += sm_net_find(net, g, 1000 + 1999) >= 0;
    }
    assert_binomial(next, 1999, 0.15, "E_j->E_j+1");
    assert_binomial(prev, 1999, 0.15, "E_j->E_j-1");
    assert_binomial(first, 1000, 0.10, "S->E_0");
    assert_binomial(last, 1000, 0.10, "S->E_last");
    sm_net_destroy(net);
}

static void no_self_synapses_and_no_reciprocal_pairs(void **state)
{
    (void)state;
    sm_config c;
    big_config(&c, 11, 1);
    sm_net *net = make(&c);
    for (int g = c.net.n_input; g < c.net.n_input + c.net.n_exc; g++)
        assert_int_equal(sm_net_find(net, g, g), -1);
    assert_int_equal(count_reciprocal(net), 0);

    /* Without the rule, reciprocal pairs appear at rate p_ei * p_ie. */
    sm_config c0 = c;
    c0.net.no_reciprocal = 0;
    sm_net *full = make(&c0);
    check_structure(full);
    assert_binomial(full->path_count[SM_PATH_IE], 500.0 * 2000, 0.25, "I->E (reciprocal allowed)");
    assert_binomial(count_reciprocal(full), 500.0 * 2000, 0.20 * 0.25, "reciprocal pairs");

    /* The rule removes only I->E synapses: the excitatory block is the same, and the
     * kept I->E synapses are exactly those of the full network without an E->I partner. */
    assert_int_equal(net->exc_end, full->exc_end);
    assert_memory_equal(net->post, full->post, (size_t)net->exc_end * sizeof *net->post);
    const int first_i = 1000 + 2000;
    int64_t kept = 0;
    for (int k = 0; k < 500; k++) {
        for (int64_t s = full->row[first_i + k]; s < full->row[first_i + k + 1]; s++) {
            int e = 1000 + full->post[s];
            int reciprocal = sm_net_find(full, e, first_i + k) >= 0;
            int present = sm_net_find(net, first_i + k, e) >= 0;
            assert_int_equal(present, !reciprocal);
            kept += present;
        }
    }
    assert_int_equal(kept, net->path_count[SM_PATH_IE]);
    sm_net_destroy(full);
    sm_net_destroy(net);
}

static void initial_weights_are_w0_per_pathway(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    c.net.w0[SM_PATH_SE] = 0.11;
    c.net.w0[SM_PATH_EE] = 0.22;
    c.net.w0[SM_PATH_EI] = 0.33;
    c.net.w0[SM_PATH_IE] = -0.44;
    c.net.plastic[SM_PATH_EI] = 0;
    sm_net *net = make(&c);
    check_structure(net);
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_true(net->path_count[p] > 0);
    for (int64_t s = 0; s < net->n_syn; s++)
        assert_true(net->w[s] == (float)c.net.w0[net->pathway[s]]);
    assert_int_equal(net->plastic[SM_PATH_EI], 0);
    assert_int_equal(net->plastic[SM_PATH_EE], 1);
    /* abs sums per pathway: count * |w0| (double accumulation of float weights). */
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_float_near(sm_net_pathway_abs_sum(net, p),
                          net->path_count[p] * fabs((double)(float)c.net.w0[p]), 1e-9);
    /* Populations. */
    assert_int_equal(sm_net_population(net, 0), 0);
    assert_int_equal(sm_net_population(net, 224), 0);
    assert_int_equal(sm_net_population(net, 225), 1);
    assert_int_equal(sm_net_population(net, 424), 1);
    assert_int_equal(sm_net_population(net, 425), 2);
    assert_int_equal(sm_net_pathway_of(net, 0, 1), -1);     /* S -> S */
    assert_int_equal(sm_net_pathway_of(net, 425, 426), -1); /* I -> I */
    assert_int_equal(sm_net_pathway_of(net, 0, 425), -1);   /* S -> I */
    sm_net_destroy(net);
}

static void same_seed_same_network_other_seed_differs(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    c.run.seed = 5;
    sm_net *a = make(&c), *b = make(&c);
    assert_int_equal(a->n_syn, b->n_syn);
    assert_memory_equal(a->row, b->row, ((size_t)a->n_total + 1) * sizeof *a->row);
    assert_memory_equal(a->post, b->post, (size_t)a->n_syn * sizeof *a->post);
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    c.run.seed = 6;
    sm_net *d = make(&c);
    int differ = d->n_syn != a->n_syn ||
                 memcmp(d->row, a->row, ((size_t)a->n_total + 1) * sizeof *a->row) != 0;
    assert_true(differ);
    sm_net_destroy(a);
    sm_net_destroy(b);
    sm_net_destroy(d);
}

static void thread_count_does_not_change_the_network(void **state)
{
    (void)state;
    sm_config c;
    big_config(&c, 3, 1);
    c.run.parallel_min = 0;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    sm_net *a = make(&c);
    omp_set_num_threads(2);
    sm_net *b = make(&c);
    omp_set_num_threads(saved);
    assert_int_equal(a->n_syn, b->n_syn);
    assert_memory_equal(a->row, b->row, ((size_t)a->n_total + 1) * sizeof *a->row);
    assert_memory_equal(a->post, b->post, (size_t)a->n_syn * sizeof *a->post);
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    assert_memory_equal(a->in_syn, b->in_syn, (size_t)a->n_syn * sizeof *a->in_syn);
    sm_net_destroy(a);
    sm_net_destroy(b);
}

static void extreme_probabilities(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    c.net.n_input = 30;
    c.net.n_exc = 20;
    c.net.n_inh = 10;
    /* p = 1: every allowed pair (no self-synapses; reciprocal rule removes all I->E). */
    for (int p = 0; p < SM_N_PATHS; p++)
        c.net.p[p] = 1;
    sm_net *net = make(&c);
    check_structure(net);
    assert_int_equal(net->path_count[SM_PATH_SE], 30 * 20);
    assert_int_equal(net->path_count[SM_PATH_EE], 20 * 19);
    assert_int_equal(net->path_count[SM_PATH_EI], 20 * 10);
    assert_int_equal(net->path_count[SM_PATH_IE], 0);
    sm_net_destroy(net);
    c.net.no_reciprocal = 0;
    net = make(&c);
    assert_int_equal(net->path_count[SM_PATH_IE], 10 * 20);
    sm_net_destroy(net);

    /* p = 0 and a vanishingly small p: no synapses (the geometric skip overflows an
     * int64 for p ~ 1e-19 unless it is compared in floating point). */
    sm_config t;
    big_config(&t, 1, 1);
    t.net.p[SM_PATH_SE] = 0;
    t.net.p[SM_PATH_EE] = 1e-19;
    t.net.p[SM_PATH_EI] = 1e-300;
    t.net.p[SM_PATH_IE] = 5e-324;
    net = make(&t);
    check_structure(net);
    assert_int_equal(net->n_syn, 0);
    sm_net_destroy(net);
}

static void from_edges_builds_sorted_rows(void **state)
{
    (void)state;
    /* S0 S1 | E2 E3 | I4, edges deliberately out of order. */
    const int32_t pre[] = {3, 0, 0, 4, 2, 1, 2, 4};
    const int32_t post[] = {2, 3, 2, 2, 4, 2, 3, 3};
    const float w[] = {0.3f, 0.1f, 0.2f, -0.5f, 0.4f, 0.7f, 0.9f, -0.6f};
    const int plastic[SM_N_PATHS] = {1, 0, 1, 0};
    sm_error err;
    sm_net *net = sm_net_from_edges(2, 2, 1, 8, pre, post, w, plastic, &err);
    if (!net) fail_msg("%s", err.msg);
    check_structure(net);
    const int64_t row[] = {0, 2, 3, 5, 6, 8};
    const int32_t want_post[] = {0, 1, 0, 1, 2, 0, 0, 1};
    const float want_w[] = {0.2f, 0.1f, 0.7f, 0.9f, 0.4f, 0.3f, -0.5f, -0.6f};
    const uint8_t want_path[] = {SM_PATH_SE, SM_PATH_SE, SM_PATH_SE, SM_PATH_EE,
                                 SM_PATH_EI, SM_PATH_EE, SM_PATH_IE, SM_PATH_IE};
    assert_memory_equal(net->row, row, sizeof row);
    assert_memory_equal(net->post, want_post, sizeof want_post);
    assert_memory_equal(net->w, want_w, sizeof want_w);
    assert_memory_equal(net->pathway, want_path, sizeof want_path);
    assert_int_equal(net->exc_end, 6);
    assert_int_equal(net->path_count[SM_PATH_SE], 3);
    assert_int_equal(net->path_count[SM_PATH_EE], 2);
    assert_int_equal(net->path_count[SM_PATH_EI], 1);
    assert_int_equal(net->path_count[SM_PATH_IE], 2);
    assert_memory_equal(net->plastic, plastic, sizeof plastic);
    /* Post index: E2 <- {0 (S0), 2 (S1), 5 (E3), 6 (I4)}, E3 <- {1, 3, 7}, I4 <- {4}. */
    const int64_t in_row[] = {0, 4, 7, 8};
    const uint32_t in_syn[] = {0, 2, 5, 6, 1, 3, 7, 4};
    const int32_t in_pre[] = {0, 1, 3, 4, 0, 2, 4, 2};
    assert_memory_equal(net->in_row, in_row, sizeof in_row);
    assert_memory_equal(net->in_syn, in_syn, sizeof in_syn);
    assert_memory_equal(net->in_pre, in_pre, sizeof in_pre);
    assert_int_equal(sm_net_find(net, 0, 3), 1);
    assert_int_equal(sm_net_find(net, 3, 4), -1);
    assert_int_equal(sm_net_find(net, 4, 3), 7);
    assert_float_near(sm_net_pathway_abs_sum(net, SM_PATH_IE), 1.1, 1e-6);
    sm_net_destroy(net);

    /* NULL plastic means all plastic; an empty network is fine. */
    net = sm_net_from_edges(1, 1, 1, 0, NULL, NULL, NULL, NULL, &err);
    assert_non_null(net);
    assert_int_equal(net->n_syn, 0);
    for (int p = 0; p < SM_N_PATHS; p++)
        assert_int_equal(net->plastic[p], 1);
    sm_net_destroy(net);
}

static void from_edges_rejects_impossible_synapses(void **state)
{
    (void)state;
    /* S0 S1 | E2 E3 | I4 I5 */
    struct {
        int32_t pre, post;
        float w;
        const char *what;
    } bad[] = {
        {0, 1, 0.1f, "S -> S"},
        {2, 0, 0.1f, "E -> S"},
        {4, 5, -0.1f, "I -> I"},
        {0, 4, 0.1f, "S -> I"},
        {2, 3, -0.1f, "E -> E < 0"},
        {0, 2, -0.1f, "S -> E < 0"},
        {2, 4, -0.1f, "E -> I < 0"},
        {4, 2, 0.1f, "I -> E > 0"},
        {2, 3, NAN, "NaN weight"},
        {2, 3, INFINITY, "inf"},
        {6, 2, 0.1f, "pre out of range"},
        {-1, 2, 0.1f, "negative pre"},
        {2, 6, 0.1f, "post out of range"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        /* A valid edge first, so the error names edge 1. */
        int32_t pre[2] = {0, bad[k].pre}, post[2] = {2, bad[k].post};
        float w[2] = {0.1f, bad[k].w};
        sm_error err;
        sm_error_clear(&err);
        sm_net *net = sm_net_from_edges(2, 2, 2, 2, pre, post, w, NULL, &err);
        if (net) fail_msg("accepted %s", bad[k].what);
        assert_int_equal(err.code, SM_EINVAL);
        assert_non_null(strstr(err.msg, "edge 1"));
    }
}

static void large_arrays_on_huge_pages_build_and_index(void **state)
{
    (void)state;
    /* ~1.4 million synapses: the synapse arrays pass 4 MiB and take the 2 MiB-aligned,
     * huge-page allocation. Same structure checks as every network, then a full write of
     * the weights (ASan sees the whole array) and destruction. */
    sm_config c;
    sm_config_default(&c);
    c.net.n_input = 100;
    c.net.n_exc = 3000;
    c.net.n_inh = 200;
    sm_error err;
    sm_net *net = sm_net_create(&c, &err);
    assert_non_null(net);
    assert_true(net->n_syn * (int64_t)sizeof(float) >= (int64_t)4 << 20);
    assert_int_equal((uintptr_t)net->w % ((uintptr_t)2 << 20), 0);
    assert_int_equal((uintptr_t)net->in_syn % ((uintptr_t)2 << 20), 0);
    check_structure(net);
    for (int64_t s = 0; s < net->n_syn; s++)
        net->w[s] = net->w[s] * 0.5f;
    sm_net_destroy(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(densities_within_binomial_bounds),
        cmocka_unit_test(large_arrays_on_huge_pages_build_and_index),
        cmocka_unit_test(no_self_synapses_and_no_reciprocal_pairs),
        cmocka_unit_test(initial_weights_are_w0_per_pathway),
        cmocka_unit_test(same_seed_same_network_other_seed_differs),
        cmocka_unit_test(thread_count_does_not_change_the_network),
        cmocka_unit_test(extreme_probabilities),
        cmocka_unit_test(from_edges_builds_sorted_rows),
        cmocka_unit_test(from_edges_rejects_impossible_synapses),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
