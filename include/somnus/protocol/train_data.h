/* somnus: the images of one training run (spec section 7's data step): the three
 * prepared datasets, class selection, freeing. Loading and preparing from a config is
 * sm_train_data_load in train.h (it depends on the model, which decides the input
 * scaling); sm_train_data_prepare here does the model-independent work. */
#ifndef SOMNUS_TRAIN_DATA_H
#define SOMNUS_TRAIN_DATA_H

#include <jansson.h>
#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/io/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The images of one run, prepared per the config. */
typedef struct sm_train_data {
    sm_dataset *train, *val, *test; /* val may have n = 0 */
    char name[SM_CONFIG_STR_MAX];   /* data.dataset */
    int test_official;              /* 1: test images from the dataset's own test set */
} sm_train_data;

/* Parses data.classes ("all", "3", "0,1,7", "0-4", "0-2,7") into classes[0..*k) for a
 * dataset of n_classes classes; "all" gives 0..n_classes-1. Errors name data.classes. */
sm_status sm_train_parse_classes(const char *text, int n_classes, int *classes, int *k,
                                 sm_error *err);

/* Frees the three datasets (the struct itself is the caller's). */
void sm_train_data_free(sm_train_data *d);

/* Selects data.classes of `pool` (and `official`, its own test set, or NULL), splits
 * with run.seed, resizes to input.width x input.height and, with sum_normalize != 0,
 * rescales each image to sum to input.norm_fraction of its pixels (spiking input
 * drive); without, pixels stay in [0, 1]. `pool` and `official` are only read. The
 * caller frees `out` with sm_train_data_free. */
sm_status sm_train_data_prepare(const sm_config *cfg, const sm_dataset *pool,
                                const sm_dataset *official, int sum_normalize, sm_train_data *out,
                                sm_error *err);

#ifdef __cplusplus
}
#endif
#endif
