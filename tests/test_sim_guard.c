/* Tests of the numerical guard (sim_guard.c): a NaN or Inf planted in each kind of
 * state is found and described with the step, population, neuron and parameters. */
#include <math.h>
#include <string.h>

#include "somnus/models/sim_guard.h"
#include "testutil.h"

static sm_sim *small_sim(void)
{
    sm_config c;
    sm_config_default(&c);
    c.net.n_input = 20;
    c.net.n_exc = 10;
    c.net.n_inh = 4;
    sm_error err;
    sm_sim *sim = sm_sim_create(&c, &err);
    if (!sim) fail_msg("%s", err.msg);
    if (sm_sim_wake(sim, 7, &err) != SM_OK) fail_msg("%s", err.msg);
    return sim;
}

static void finite_state_passes(void **state)
{
    (void)state;
    sm_sim *sim = small_sim();
    sm_error err;
    assert_int_equal(sm_sim_check_finite(sim, &err), SM_OK);
    sm_sim_destroy(sim);
}

static void nan_membrane_of_an_inhibitory_neuron(void **state)
{
    (void)state;
    sm_sim *sim = small_sim();
    sm_error err;
    sim->v[12] = NAN; /* post index 12 = I neuron 2 */
    assert_int_equal(sm_sim_check_finite(sim, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "step 7: I neuron 2: membrane potential is NaN"));
    assert_non_null(strstr(err.msg, "lif_i: tau_m 30 ms"));
    assert_non_null(strstr(err.msg, "noise.sigma 2 mV"));
    sm_sim_destroy(sim);
}

static void infinite_threshold_and_drive(void **state)
{
    (void)state;
    sm_sim *sim = small_sim();
    sm_error err;
    sim->theta[3] = -INFINITY;
    assert_int_equal(sm_sim_check_finite(sim, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "E neuron 3: threshold is -inf"));
    sim->theta[3] = -55;
    sim->drive[0] = INFINITY;
    assert_int_equal(sm_sim_check_finite(sim, &err), SM_ENUMERIC);
    assert_non_null(strstr(err.msg, "E neuron 0: pending synaptic drive is +inf"));
    sm_sim_destroy(sim);
}

static void nan_weight_names_the_synapse(void **state)
{
    (void)state;
    sm_sim *sim = small_sim();
    sm_error err;
    const sm_net *net = sim->net;
    /* The first synapse of the first inhibitory neuron: an I->E synapse. */
    int g = net->n_in + net->n_exc;
    int64_t s = net->row[g];
    assert_true(s < net->row[g + 1]);
    net->w[s] = NAN;
    assert_int_equal(sm_sim_check_finite(sim, &err), SM_ENUMERIC);
    char want[128];
    snprintf(want, sizeof want, "IE synapse %d -> %d: weight is NaN (stdp.eta_i", g,
             net->n_in + net->post[s]);
    if (!strstr(err.msg, want)) fail_msg("message: %s", err.msg);
    sm_sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finite_state_passes),
        cmocka_unit_test(nan_membrane_of_an_inhibitory_neuron),
        cmocka_unit_test(infinite_threshold_and_drive),
        cmocka_unit_test(nan_weight_names_the_synapse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
