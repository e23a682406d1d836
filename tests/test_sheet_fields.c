/* Tests of the structured recurrent pathways on the E sheet (sheet_fields.h, spec
 * diehl-cook.md section 9): the Gaussian E->E and the I->E ring recomputed by hand from
 * their definitions, the matched incoming sums, net.no_reciprocal on the ring, the same
 * synapses on 1 and 2 threads, bad values. */
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/network/net.h"

static sm_net *make(const sm_config *c)
{
    sm_error err;
    sm_net *net = sm_net_create(c, &err);
    if (!net) fail_msg("sm_net_create: %s", err.msg);
    return net;
}

/* Weight of pre (global index) onto E neuron j, 0 where there is no synapse. */
static double onto_e(const sm_net *net, int pre, int j)
{
    int64_t s = sm_net_find(net, pre, net->n_in + j);
    return s < 0 ? 0.0 : (double)net->w[s];
}

/* Toroidal distance on an h x w grid, written out here rather than taken from the library. */
static double torus(double r0, double c0, double r1, double c1, int h, int w)
{
    double dr = fabs(r0 - r1), dc = fabs(c0 - c1);
    if (dr > h - dr) dr = h - dr;
    if (dc > w - dc) dc = w - dc;
    return sqrt(dr * dr + dc * dc);
}

/* 16 E neurons on a 4 x 4 torus, 4 I neurons on a 2 x 2 sheet (at rows, columns 0 and 2). */
static void sheet_config(sm_config *c)
{
    sm_config_default(c);
    c->net.n_input = 9;
    c->input.height = c->input.width = 3;
    c->net.n_exc = 16;
    c->net.n_inh = 4;
}

static void gaussian_ee_by_hand(void **state)
{
    (void)state;
    sm_config c;
    sheet_config(&c);
    c.net.ee_connectivity = SM_EE_GAUSSIAN;
    c.net.ee_sigma = 1.2;
    sm_net *net = make(&c);
    const double in_sum = 0.15 * 15 * 0.3; /* p_ee x (N_E - 1) x w_ee */
    double k[16][16];
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            double d = torus(i / 4, i % 4, j / 4, j % 4, 4, 4);
            double v = exp(-d * d / (2 * 1.2 * 1.2));
            k[i][j] = i != j && v >= 0.01 ? v : 0;
        }
    int64_t expected = 0;
    for (int j = 0; j < 16; j++) {
        double ksum = 0, wsum = 0;
        for (int i = 0; i < 16; i++)
            ksum += k[i][j];
        for (int i = 0; i < 16; i++) {
            double want = k[i][j] * in_sum / ksum, got = onto_e(net, c.net.n_input + i, j);
            if (fabs(got - want) > 1e-6 * in_sum)
                fail_msg("E %d -> E %d: %g, want %g", i, j, got, want);
            expected += want > 0;
            wsum += got;
        }
        assert_float_near(wsum / in_sum, 1.0, 1e-6);
    }
    /* on a 4 x 4 torus the farthest cell is at distance 2 sqrt 2 (kernel 0.0623): every
     * other E neuron is a target, so only the 16 self-pairs are missing */
    assert_int_equal(expected, 16 * 15);
    assert_int_equal(net->path_count[SM_PATH_EE], expected);
    sm_net_destroy(net);
}

/* The ring's weights by hand: I neuron k at ((k / 2) x 2, (k % 2) x 2) on the 4 x 4 torus. */
static void ring_weights(double radius, double width, double want[4][16])
{
    const double in_sum = 0.25 * 4 * -0.5; /* p_ie x N_I x w_ie */
    for (int j = 0; j < 16; j++) {
        double ksum = 0;
        for (int k = 0; k < 4; k++) {
            double d = torus((k / 2) * 2.0, (k % 2) * 2.0, j / 4, j % 4, 4, 4);
            double x = (d - radius) / width, v = exp(-0.5 * x * x);
            want[k][j] = v >= 0.01 ? v : 0;
            ksum += want[k][j];
        }
        for (int k = 0; k < 4; k++)
            want[k][j] *= ksum > 0 ? in_sum / ksum : 0;
    }
}

static void ring_ie_by_hand(void **state)
{
    (void)state;
    sm_config c;
    sheet_config(&c);
    c.net.ie_connectivity = SM_IE_RING;
    c.net.ie_radius = 1.5;
    c.net.ie_width = 0.4;
    c.net.no_reciprocal = 0;
    sm_net *net = make(&c);
    double want[4][16];
    ring_weights(1.5, 0.4, want);
    const int first_i = c.net.n_input + 16;
    int64_t made = 0;
    for (int j = 0; j < 16; j++) {
        double wsum = 0;
        for (int k = 0; k < 4; k++) {
            double got = onto_e(net, first_i + k, j);
            if (fabs(got - want[k][j]) > 1e-6)
                fail_msg("I %d -> E %d: %g, want %g", k, j, got, want[k][j]);
            made += got != 0;
            wsum += got;
        }
        /* every E neuron is at distance 1 or sqrt 2 of some I neuron: all get the sum */
        assert_float_near(wsum, -0.5, 1e-6);
    }
    /* the centre is spared: at d = 0 the kernel is e^-7.03 < 0.01 (E 0 sits on I 0's cell),
     * and so is d = 2 sqrt 2 (e^-5.5); d = 1 .. sqrt 5 make synapses */
    assert_int_equal(net->path_count[SM_PATH_IE], made);
    assert_true(made < 64);
    assert_true(onto_e(net, first_i, 0) == 0.0);
    assert_true(onto_e(net, first_i, 5) < 0.0); /* E 5 at (1, 1): d = sqrt 2, the ring's crest */
    sm_net_destroy(net);

    /* net.no_reciprocal removes exactly the ring synapses whose E -> I partner exists */
    c.net.no_reciprocal = 1;
    net = make(&c);
    int64_t kept = 0;
    for (int j = 0; j < 16; j++)
        for (int k = 0; k < 4; k++) {
            int reciprocal = sm_net_find(net, c.net.n_input + j, first_i + k) >= 0;
            double got = onto_e(net, first_i + k, j);
            assert_true(fabs(got - (reciprocal ? 0.0 : want[k][j])) <= 1e-6);
            kept += got != 0;
        }
    assert_int_equal(net->path_count[SM_PATH_IE], kept);
    assert_true(kept < made);
    sm_net_destroy(net);
}

static void same_synapses_on_1_and_2_threads(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    c.net.n_exc = 196;
    c.net.n_inh = 49;
    c.net.ee_connectivity = SM_EE_GAUSSIAN;
    c.net.ie_connectivity = SM_IE_RING;
    c.run.parallel_min = 0;
    c.run.threads = 1;
    sm_net *a = make(&c);
    c.run.threads = 2;
    sm_net *b = make(&c);
    assert_int_equal(a->n_syn, b->n_syn);
    assert_memory_equal(a->row, b->row, (size_t)(a->n_total + 1) * sizeof *a->row);
    assert_memory_equal(a->post, b->post, (size_t)a->n_syn * sizeof *a->post);
    assert_memory_equal(a->w, b->w, (size_t)a->n_syn * sizeof *a->w);
    /* matched totals: 0.15 x 195 x 0.3 per E neuron (E->E); the ring's -0.25 x 49 x 0.5
     * per E neuron before net.no_reciprocal removes some */
    assert_float_near(sm_net_pathway_abs_sum(a, SM_PATH_EE) / (196 * 0.15 * 195 * 0.3), 1.0, 1e-6);
    assert_true(sm_net_pathway_abs_sum(a, SM_PATH_IE) < 196 * 0.25 * 49 * 0.5);
    sm_net_destroy(a);
    sm_net_destroy(b);
}

static void expect_set_error(const char *name, const char *value)
{
    sm_config c;
    sm_config_default(&c);
    sm_error err = {0};
    assert_int_not_equal(sm_config_set(&c, name, value, "test", &err), SM_OK);
    if (!strstr(err.msg, name)) fail_msg("error '%s' does not name %s", err.msg, name);
}

static void bad_values_are_rejected_naming_the_key(void **state)
{
    (void)state;
    expect_set_error("net.ee_connectivity", "ring");
    expect_set_error("net.ie_connectivity", "gaussian");
    expect_set_error("net.ee_sigma", "0");
    expect_set_error("net.ee_sigma", "nan");
    expect_set_error("net.ie_radius", "-1");
    expect_set_error("net.ie_width", "0");
    expect_set_error("net.ie_width", "inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gaussian_ee_by_hand),
        cmocka_unit_test(ring_ie_by_hand),
        cmocka_unit_test(same_synapses_on_1_and_2_threads),
        cmocka_unit_test(bad_values_are_rejected_naming_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
