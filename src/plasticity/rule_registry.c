/* The table of synaptic rules by name (stdp.rule) and creation from the config. Adding
 * a rule: its own file with its create function, one row here, its name in the
 * stdp.rule choices of the parameter table (docs/architecture.md). */
#include <string.h>

#include "somnus/plasticity/stdp.h"

static sm_rule *create_pair(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    (void)net;
    return sm_rule_pair_create(cfg, err);
}

/* The synaptic rules stdp.rule can select; adding a rule is one file and one row (and
 * its name in the stdp.rule choices of the parameter table). */
static const sm_rule_def RULES[] = {
    {SM_STDP_NONE, "none", "no synaptic plasticity", NULL},
    {SM_STDP_PAIR, "pair", "pair STDP on time since last spike (spec 4a)", create_pair},
    {SM_STDP_TRACE, "trace", "trace STDP with a moving target and a soft bound (spec 4b)",
     sm_rule_trace_create},
};

#define N_RULES (sizeof RULES / sizeof RULES[0])

size_t sm_rule_def_count(void)
{
    return N_RULES;
}

const sm_rule_def *sm_rule_def_at(size_t i)
{
    return i < N_RULES ? &RULES[i] : NULL;
}

const sm_rule_def *sm_rule_def_find(int id, sm_error *err)
{
    for (size_t i = 0; i < N_RULES; i++)
        if (RULES[i].id == id) return &RULES[i];
    sm_config_bad_choice("stdp.rule", id, err);
    return NULL;
}

sm_rule *sm_rule_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    const sm_rule_def *def = sm_rule_def_find(cfg->stdp.rule, err);
    if (!def || !def->create) return NULL;
    return def->create(cfg, net, err);
}
