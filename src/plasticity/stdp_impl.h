/* Private helpers shared by the plasticity rule implementations. */
#ifndef SOMNUS_STDP_IMPL_H
#define SOMNUS_STDP_IMPL_H

#include "somnus/plasticity/stdp.h"

/* Fills the common part of a rule (ops, bounds, plastic pathways) from the config. */
void sm_rule_base_init(sm_rule *r, const sm_rule_ops *ops, const sm_config *cfg);

#endif
