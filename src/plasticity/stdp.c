/* The rule interface: creation by name and dispatch. The rules live in stdp_pair.c
 * and stdp_trace.c. */
#include "somnus/plasticity/stdp.h"

#include <stdlib.h>

sm_rule *sm_rule_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    switch (cfg->stdp.rule) {
    case SM_STDP_PAIR: return sm_rule_pair_create(cfg, err);
    case SM_STDP_TRACE: return sm_rule_trace_create(cfg, net, err);
    default: return NULL;
    }
}

void sm_rule_apply(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes)
{
    rule->ops->apply(rule, net, spikes);
}

int sm_rule_can_deliver(const sm_rule *rule)
{
    return rule && rule->ops->apply_deliver;
}

void sm_rule_apply_deliver(sm_rule *rule, sm_net *net, const sm_step_spikes *spikes, float *drive)
{
    rule->ops->apply_deliver(rule, net, spikes, drive);
}

void sm_rule_flush(sm_rule *rule, sm_net *net)
{
    if (rule && rule->ops->flush) rule->ops->flush(rule, net);
}

void sm_rule_settle(sm_rule *rule, sm_net *net)
{
    if (rule && rule->ops->settle) rule->ops->settle(rule, net);
}

size_t sm_rule_state_size(sm_rule *rule)
{
    return rule && rule->ops->state ? rule->ops->state(rule, NULL, 1) : 0;
}

void sm_rule_state_save(sm_rule *rule, void *buf)
{
    if (rule && rule->ops->state) rule->ops->state(rule, buf, 1);
}

void sm_rule_state_load(sm_rule *rule, const void *buf)
{
    /* The rule only reads buf when restoring. */
    if (rule && rule->ops->state) rule->ops->state(rule, (void *)buf, 0);
}

void sm_rule_destroy(sm_rule *rule)
{
    if (!rule) return;
    if (rule->ops->destroy) rule->ops->destroy(rule);
    free(rule);
}
