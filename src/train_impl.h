/* Internal: pieces shared by the two training protocols (train.c, train_stdp.c,
 * train_sgsnn.c). Not installed. */
#ifndef SOMNUS_TRAIN_IMPL_H
#define SOMNUS_TRAIN_IMPL_H

#include <jansson.h>

#include "somnus/train.h"

typedef struct sm_train_run_ctx {
    sm_train_progress_fn fn;
    void *ctx;
    sm_train_progress prog;
    sm_train_final_fn final_fn; /* sm_train_run_final's hook (NULL: none) */
    void *final_ctx;
    const char *ckpt_path; /* checkpoint file (NULL: none) */
    int ckpt_every;
    const char *resume_path;
    sm_train_repr_fn repr_fn; /* the final readout's rows (NULL: none) */
    void *repr_ctx;
    sm_train_sgsnn_final_fn sgsnn_final_fn; /* the trained SG-SNN (NULL: none) */
    void *sgsnn_final_ctx;
} sm_train_run_ctx;

/* Monotonic clock in seconds. */
double sm_train_now(void);

/* Calls the progress callback (if any); nonzero = stop. */
int sm_train_report(sm_train_run_ctx *r);

/* Appends `value` (reference stolen) to the array `name` of the column table. */
void sm_train_col_add(json_t *table, const char *name, json_t *value);

/* A JSON real, or null for NaN/Inf (JSON has no NaN). */
json_t *sm_train_real(double v);

/* {"dataset", "source", "classes", "n_train", "n_val", "n_test", "width", "height",
 *  "test_from"}. */
json_t *sm_train_data_json(const sm_train_data *d);

/* Confusion matrix rows (true x predicted) and per-class accuracy (into *per_class). */
json_t *sm_train_confusion_json(const int *y, const int *pred, int n, int n_labels,
                                json_t **per_class);

sm_status sm_train_stdp(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                        json_t **results, sm_error *err);
sm_status sm_train_sgsnn(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                         json_t **results, sm_error *err);

#endif
