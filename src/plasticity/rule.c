/* The rule interface (somnus/plasticity/stdp.h): the base every rule embeds and the
 * dispatch to its ops. The rules live in their own files (stdp_pair.c, stdp_trace.c);
 * the table of rules by name is rule_registry.c. */
#include "somnus/plasticity/stdp.h"

#include <stdlib.h>
#include <string.h>

#include "somnus/plasticity/stdp.h"

void sm_rule_base_init(sm_rule *r, const sm_rule_ops *ops, const sm_config *cfg)
{
    r->ops = ops;
    r->exc_min = (float)cfg->stdp.exc_min;
    r->exc_max = (float)cfg->stdp.exc_max;
    r->inh_min = (float)cfg->stdp.inh_min;
    r->inh_max = (float)cfg->stdp.inh_max;
    memcpy(r->plastic, cfg->net.plastic, sizeof r->plastic);
    r->threads = 1;
    r->may_defer = 1;
    r->max_threads = 1;
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
