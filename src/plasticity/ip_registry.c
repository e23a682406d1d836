/* The table of neuron-level (intrinsic plasticity) rules by name (ip.rule). Adding a
 * rule: its own file defining an sm_ip_ops, one row here, its name in the ip.rule
 * choices of the parameter table (docs/architecture.md). */
#include "somnus/plasticity/ip_rule.h"

static const sm_ip_def IP_RULES[] = {
    {SM_IP_NONE, "none", "no intrinsic plasticity (h = 0, g = 1)", NULL},
    {SM_IP_RATE, "rate", "threshold offset h toward a target rate every step (spec B1)",
     &sm_ip_rate_ops},
    {SM_IP_TRIESCH, "triesch",
     "Triesch (2005) gain and bias toward an exponential rate distribution, per window (spec B1)",
     &sm_ip_triesch_ops},
};

#define N_IP_RULES (sizeof IP_RULES / sizeof IP_RULES[0])

size_t sm_ip_def_count(void)
{
    return N_IP_RULES;
}

const sm_ip_def *sm_ip_def_at(size_t i)
{
    return i < N_IP_RULES ? &IP_RULES[i] : NULL;
}

const sm_ip_def *sm_ip_def_find(int id, sm_error *err)
{
    for (size_t i = 0; i < N_IP_RULES; i++)
        if (IP_RULES[i].id == id) return &IP_RULES[i];
    sm_config_bad_choice("ip.rule", id, err);
    return NULL;
}

sm_status sm_ip_create(const sm_config *cfg, int n_exc, int n_inh, sm_ip **out, sm_error *err)
{
    *out = NULL;
    const sm_ip_def *def = sm_ip_def_find(cfg->ip.rule, err);
    if (!def) return SM_EINVAL;
    if (!def->ops) return SM_OK;
    return sm_ip_create_with(cfg, def->ops, n_exc, n_inh, out, err);
}
