/* Internal: the table of models `somnus train` can train (train.model), one row per
 * model family. A row names the function that runs the model's training protocol on
 * prepared data; that function lives in the model's own train_<name>.c and uses only
 * train_common.h, so that adding a model is one file plus one row (docs/architecture.md).
 */
#ifndef SOMNUS_TRAIN_MODELS_H
#define SOMNUS_TRAIN_MODELS_H

#include <jansson.h>

#include "protocol/train_common.h"

/* Runs a model's training protocol on `data`: on success *results is the whole results
 * document (config, version, seed, data, evaluations, final). */
typedef sm_status (*sm_train_model_fn)(const sm_config *cfg, const sm_train_data *data,
                                       sm_train_run_ctx *r, json_t **results, sm_error *err);

/* One row of the model table. */
typedef struct sm_train_model {
    int id;                  /* value of train.model (the config's enum) */
    const char *name;        /* its name there */
    const char *description; /* one line */
    int sum_normalize;       /* data: rescale each image to sum to input.norm_fraction of
                                its pixels (spiking input drive), else pixels in [0, 1] */
    int needs_data;          /* 0: the model makes its own examples (hopfield, theta); no image
                                data are loaded and `data` is empty */
    sm_train_model_fn train;
    int native_size; /* 1: images keep the dataset's size (input.width/height
                        are ignored), e.g. 28 x 28 for Diehl & Cook */
} sm_train_model;

/* The table and its length. */
const sm_train_model *sm_train_model_table(size_t *count);

/* The row of train.model = id; NULL (err set, naming train.model and the allowed
 * names) if no model has that id. */
const sm_train_model *sm_train_model_find(int id, sm_error *err);

#endif
