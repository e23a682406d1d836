/* Internal: the registered experiments, one file each in this folder; the table that
 * lists them is src/protocol/experiment_registry.c. */
#ifndef SOMNUS_EXPERIMENTS_H
#define SOMNUS_EXPERIMENTS_H

#include "somnus/protocol/experiment.h"

/* The sleep paper's accuracy table (spec sleep-stdp.md section 9). */
extern const sm_experiment_def sm_exp_sleep_stdp_table;
/* continual_sleep.c: spec continual.md, C4 and H1 */
extern const sm_experiment_def sm_exp_continual_sleep;
/* continual_sgsnn.c: spec continual.md, C2 and C3 */
extern const sm_experiment_def sm_exp_continual_sgsnn;
/* continual_safe.c: spec continual.md, C5-C7 (SAFE) */
extern const sm_experiment_def sm_exp_continual_safe;

/* The like-for-like comparison with the paper (issue 16): rows (a)-(e). */
extern const sm_experiment_def sm_exp_sleep_stdp_compare;

/* Loss of plasticity (spec plasticity-loss.md P2-P7). */
extern const sm_experiment_def sm_exp_plasticity_sgsnn;
extern const sm_experiment_def sm_exp_plasticity_stdp;

/* Intrinsic plasticity and sleep (spec intrinsic.md B2, grid I1). */
extern const sm_experiment_def sm_exp_ip_sleep;

/* The theta-gated Helmholtz machine (spec theta-helmholtz.md): task A, temporally varying
 * latents (Figs. 2, S1). */
extern const sm_experiment_def sm_exp_theta_latents;
/* Task B: path integration on a ring (Fig. 3) and remapping (Fig. 4). */
extern const sm_experiment_def sm_exp_theta_pathint;
extern const sm_experiment_def sm_exp_theta_remap;
/* Task A: theta-cycle alternation vs the sleep paper's block schedule (somnus's question). */
extern const sm_experiment_def sm_exp_theta_blocks;

/* Dis-inhibitory control of the plasticity sign (spec disinhibition.md 5a, 5b). */
extern const sm_experiment_def sm_exp_disinh_signflip;
extern const sm_experiment_def sm_exp_disinh_teacher;

/* Federated many-to-one Hopfield memory (spec federated-hopfield.md section 9). */
extern const sm_experiment_def sm_exp_hopfield_basic;
extern const sm_experiment_def sm_exp_hopfield_attacker;
extern const sm_experiment_def sm_exp_hopfield_bbp;
extern const sm_experiment_def sm_exp_hopfield_cooperativity;
extern const sm_experiment_def sm_exp_hopfield_novelty;
extern const sm_experiment_def sm_exp_hopfield_drift;

/* Intrinsic plasticity, part A: the Poisson-Gamma mixture (spec intrinsic.md A6, P1, P2). */
extern const sm_experiment_def sm_exp_ip_artificial;
extern const sm_experiment_def sm_exp_ip_mnist_intensity;

/* Diehl & Cook (spec diehl-cook.md section 8): E1 accuracy by size on MNIST, E2 on
 * Fashion-MNIST. */
extern const sm_experiment_def sm_exp_dc_size;
extern const sm_experiment_def sm_exp_dc_fashion;
extern const sm_experiment_def sm_exp_dc_sleep;

/* Structural plasticity of the SG-SNN (spec structural.md S1). */
extern const sm_experiment_def sm_exp_sparse_sgsnn;
/* Structural plasticity of the STDP network (spec structural.md 4.2: R2, R3, R5). */
extern const sm_experiment_def sm_exp_rewire_stdp;
/* Structured S->E receptive fields under sleep-STDP (spec diehl-cook.md 9, E6). */
extern const sm_experiment_def sm_exp_rf_sleep;

#endif
