/* The rule interface: the table of rules by name (one row per rule), creation from
 * stdp.rule, the base every rule embeds, and dispatch. The rules live in their own files
 * (stdp_pair.c, stdp_trace.c). */
#include "somnus/plasticity/stdp.h"

#include <stdio.h>
#include <stdlib.h>
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
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < N_RULES; i++) {
        if (RULES[i].id == id) return &RULES[i];
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? "|" : "",
                                    RULES[i].name);
    }
    sm_error_set(err, SM_EINVAL, "'stdp.rule': %d is not one of %s", id, names);
    return NULL;
}

sm_rule *sm_rule_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    const sm_rule_def *def = sm_rule_def_find(cfg->stdp.rule, err);
    if (!def || !def->create) return NULL;
    return def->create(cfg, net, err);
}

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
