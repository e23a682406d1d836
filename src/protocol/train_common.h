/* Internal: what every model's training protocol shares (defined in train_common.c);
 * not installed. */
#ifndef SOMNUS_TRAIN_COMMON_H
#define SOMNUS_TRAIN_COMMON_H

#include <jansson.h>

#include "somnus/protocol/train_data.h"
#include "somnus/protocol/train_options.h"

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
    sm_train_ppg_final_fn ppg_final_fn; /* the trained ppg model (NULL: none) */
    void *ppg_final_ctx;
    sm_train_dc_final_fn dc_final_fn; /* the trained dc network (NULL: none) */
    void *dc_final_ctx;
    sm_train_struct_event_fn struct_event_fn; /* after each structural event (NULL: none) */
    void *struct_event_ctx;
    sm_train_array_fn array_fn; /* input/label protocols' named arrays (NULL: none) */
    void *array_ctx;
} sm_train_run_ctx;

/* Monotonic clock in seconds. */
double sm_train_now(void);

/* CPU seconds of the whole process (every thread, BLAS helpers included). */
double sm_train_cpu_now(void);

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

struct sm_ckpt;

/* Where a run stands, as a checkpoint records it. */
typedef struct sm_train_position {
    int done;      /* batches (STDP) or epochs (SG-SNN) completed */
    double eval_s; /* seconds spent evaluating so far */
    double wall_s; /* wall time of the training loop so far */
} sm_train_position;

/* A new checkpoint whose metadata holds the config, the data description, the position,
 * the evaluation table so far and the progress counters. NULL (err set) if out of memory. */
struct sm_ckpt *sm_train_ckpt_begin(const sm_config *cfg, const sm_train_data *data,
                                    const sm_train_run_ctx *r, json_t *tab,
                                    const sm_train_position *pos, sm_error *err);

/* Reads r->resume_path, checks it was written for this config and data, and restores the
 * evaluation table (*tab replaced), the progress counters and *pos. Returns the
 * checkpoint for the model-specific sections (caller frees), or NULL with err set. */
struct sm_ckpt *sm_train_ckpt_resume(const sm_config *cfg, const sm_train_data *data,
                                     sm_train_run_ctx *r, json_t **tab, sm_train_position *pos,
                                     sm_error *err);

#endif
