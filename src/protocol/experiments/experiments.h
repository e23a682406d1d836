/* Internal: the registered experiments, one file each in this folder; the table that
 * lists them is src/protocol/experiment_registry.c. */
#ifndef SOMNUS_EXPERIMENTS_H
#define SOMNUS_EXPERIMENTS_H

#include "somnus/protocol/experiment.h"

/* The sleep paper's accuracy table (spec sleep-stdp.md section 9). */
extern const sm_experiment_def sm_exp_sleep_stdp_table;

/* Federated many-to-one Hopfield memory (spec federated-hopfield.md section 9). */
extern const sm_experiment_def sm_exp_hopfield_basic;
extern const sm_experiment_def sm_exp_hopfield_attacker;
extern const sm_experiment_def sm_exp_hopfield_bbp;
extern const sm_experiment_def sm_exp_hopfield_cooperativity;

#endif
