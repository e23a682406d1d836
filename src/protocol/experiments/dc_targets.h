/* Internal: the spec's targets for the Diehl & Cook grids (diehl-cook.md section 8, E1
 * and E2, all ours), marked on the cells of dc-size and dc-fashion (dc_targets.c). */
#ifndef SOMNUS_EXP_DC_TARGETS_H
#define SOMNUS_EXP_DC_TARGETS_H

#include <jansson.h>

/* The all-activity accuracy target of a trained cell: MNIST (E1) 0.80 / 0.85 / 0.88 at
 * 100 / 400 / 1,600 E (0.86 at 400 E with 20 passes or more); Fashion-MNIST (E2) 0.68 /
 * 0.72 / 0.75 / 0.77 at 100 / 400 / 1,600 / 6,400 E; NaN for other sizes and datasets. */
double sm_exp_dc_target_accuracy(const char *dataset, int n_exc, int passes);

/* Whether a dc-size / dc-fashion variant is a frozen control (frozen, frozen_clamp):
 * trained for 0 passes, never marked against an accuracy target. */
int sm_exp_dc_is_frozen(const char *variant);

/* results.targets of a grid's cells (each {dataset, variant, n_exc, passes,
 * mean_accuracy_all, mean_accuracy_prop}): one row per trained cell with a target
 * {variant, n_exc, passes, target, mean_accuracy_all, met}, and one per learning variant
 * {variant, rising_with_n_exc (means strictly increasing over its sizes; null with one
 * size), proportion_within_1pt (mean_accuracy_prop >= mean_accuracy_all - 0.01 at every
 * size), beats_frozen (above its frozen control at every size that has one: frozen_clamp
 * for code_clamp, frozen otherwise; null when none ran)}, and for MNIST
 * {bindsnet_below_code: BindsNET's mean below the code variant's at every shared size}. */
json_t *sm_exp_dc_targets(const json_t *cells);

#endif
