/* The table of registered experiments: one row per experiment, in --list order. Each
 * experiment is a file of src/protocol/experiments/. */
#include <string.h>

#include "protocol/experiments/experiments.h"

static const sm_experiment_def *const EXPERIMENTS[] = {
    &sm_exp_sleep_stdp_table, &sm_exp_sleep_stdp_compare,
    &sm_exp_theta_latents,    &sm_exp_theta_pathint,
    &sm_exp_theta_remap,      &sm_exp_theta_blocks,
    &sm_exp_disinh_signflip,  &sm_exp_disinh_teacher,
    &sm_exp_hopfield_basic,   &sm_exp_hopfield_attacker,
    &sm_exp_hopfield_bbp,     &sm_exp_hopfield_cooperativity,
    &sm_exp_hopfield_novelty, &sm_exp_hopfield_drift,
    &sm_exp_ip_artificial,    &sm_exp_ip_mnist_intensity,
    &sm_exp_ip_sleep,         &sm_exp_continual_sleep,
    &sm_exp_dc_size,          &sm_exp_dc_fashion,
    &sm_exp_plasticity_sgsnn, &sm_exp_plasticity_stdp,
    &sm_exp_continual_sgsnn,  &sm_exp_sparse_sgsnn,
    &sm_exp_rewire_stdp,      &sm_exp_continual_safe,
    &sm_exp_rf_sleep,         &sm_exp_dc_sleep,
};

#define N_EXPERIMENTS (sizeof EXPERIMENTS / sizeof EXPERIMENTS[0])

size_t sm_experiment_count(void)
{
    return N_EXPERIMENTS;
}

const sm_experiment_def *sm_experiment_at(size_t i)
{
    return i < N_EXPERIMENTS ? EXPERIMENTS[i] : NULL;
}

const sm_experiment_def *sm_experiment_find(const char *name, sm_error *err)
{
    char names[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < N_EXPERIMENTS; i++) {
        if (!strcmp(EXPERIMENTS[i]->name, name)) return EXPERIMENTS[i];
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                    EXPERIMENTS[i]->name);
    }
    sm_error_set(err, SM_EINVAL, "experiment '%s' is not registered (registered: %s)", name, names);
    return NULL;
}
