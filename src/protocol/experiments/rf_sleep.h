/* Internal: the targets of experiment rf-sleep (spec diehl-cook.md E6), for tests. */
#ifndef SOMNUS_EXP_RF_SLEEP_H
#define SOMNUS_EXP_RF_SLEEP_H

#include <jansson.h>

/* E6's targets for one structured builder on one dataset (ours), from the experiment's
 * cells (objects with dataset, builder, target, sleep_rate, mean_accuracy, mean_batch_sd,
 * mean_rf_drift): at 20% sleep, accuracy >= Bernoulli - 1 point, and a lower per-batch sd
 * counted as met only where that accuracy part is met too (each sleep target: static,
 * initial); RF drift of initial below static; the gap without sleep, reported. A number
 * whose cells are missing is null. New reference. */
json_t *sm_rf_sleep_target_json(json_t *cells, const char *dataset, const char *builder);

#endif
