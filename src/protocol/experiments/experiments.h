/* Internal: the registered experiments, one file each in this folder; the table that
 * lists them is src/protocol/experiment_registry.c. */
#ifndef SOMNUS_EXPERIMENTS_H
#define SOMNUS_EXPERIMENTS_H

#include "somnus/protocol/experiment.h"

/* The sleep paper's accuracy table (spec sleep-stdp.md section 9). */
extern const sm_experiment_def sm_exp_sleep_stdp_table;

/* The like-for-like comparison with the paper (issue 16): rows (a)-(e). */
extern const sm_experiment_def sm_exp_sleep_stdp_compare;

/* Dis-inhibitory control of the plasticity sign (spec disinhibition.md 5a, 5b). */
extern const sm_experiment_def sm_exp_disinh_signflip;
extern const sm_experiment_def sm_exp_disinh_teacher;

#endif
