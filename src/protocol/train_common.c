/* Pieces every model's training protocol shares (train_stdp.c, train_sgsnn.c, and each
 * model a row of train_models.c names): clock, progress, result columns, the data and
 * confusion objects, checkpoint metadata. */
#include "protocol/train_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/analysis/readout.h"
#include "somnus/io/checkpoint.h"
#include "somnus/io/results.h"

double sm_train_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double sm_train_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void sm_train_col_add(json_t *table, const char *name, json_t *value)
{
    json_t *col = json_object_get(table, name);
    if (!col) {
        col = json_array();
        json_object_set_new(table, name, col);
    }
    json_array_append_new(col, value);
}

json_t *sm_train_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *sm_train_data_json(const sm_train_data *d)
{
    int *counts = calloc((size_t)d->train->n_classes, sizeof *counts);
    json_t *classes = json_array();
    if (counts) {
        sm_dataset_class_counts(d->train, counts);
        for (int c = 0; c < d->train->n_classes; c++)
            if (counts[c]) json_array_append_new(classes, json_integer(c));
    }
    free(counts);
    return json_pack("{s:s, s:s, s:o, s:i, s:i, s:i, s:i, s:i, s:s}", "dataset", d->name, "source",
                     d->train->source, "classes", classes, "n_train", d->train->n, "n_val",
                     d->val ? d->val->n : 0, "n_test", d->test->n, "width", d->train->width,
                     "height", d->train->height, "test_from",
                     d->test_official ? "official test set" : "pool");
}

json_t *sm_train_confusion_json(const int *y, const int *pred, int n, int n_labels,
                                json_t **per_class)
{
    int *cm = calloc((size_t)n_labels * (size_t)n_labels, sizeof *cm);
    double *acc = malloc((size_t)n_labels * sizeof *acc);
    json_t *rows = json_array();
    *per_class = json_array();
    if (cm && acc && sm_confusion_matrix(y, pred, n, n_labels, cm, NULL) == SM_OK) {
        sm_per_class_accuracy(cm, n_labels, acc);
        for (int t = 0; t < n_labels; t++) {
            json_t *r = json_array();
            for (int p = 0; p < n_labels; p++)
                json_array_append_new(r, json_integer(cm[t * n_labels + p]));
            json_array_append_new(rows, r);
            json_array_append_new(*per_class, sm_train_real(acc[t]));
        }
    }
    free(cm);
    free(acc);
    return rows;
}

int sm_train_report(sm_train_run_ctx *r)
{
    if (!r->fn) return 0;
    return r->fn(r->ctx, &r->prog);
}

struct sm_ckpt *sm_train_ckpt_begin(const sm_config *cfg, const sm_train_data *data,
                                    const sm_train_run_ctx *r, json_t *tab,
                                    const sm_train_position *pos, sm_error *err)
{
    sm_ckpt *c = sm_ckpt_new();
    if (!c) {
        sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
        return NULL;
    }
    json_t *m = sm_ckpt_meta(c);
    json_object_set_new(m, "command", json_string("train"));
    json_object_set_new(m, "config", sm_config_to_json(cfg));
    json_object_set_new(m, "data", sm_train_data_json(data));
    json_object_set_new(m, "batches_done", json_integer(pos->done));
    json_object_set_new(m, "evaluations", json_deep_copy(tab));
    json_object_set_new(m, "eval_s", json_real(pos->eval_s));
    json_object_set_new(m, "wall_s", json_real(pos->wall_s));
    json_object_set_new(m, "progress_done", json_integer(r->prog.done));
    json_object_set_new(m, "last_accuracy", sm_train_real(r->prog.last_accuracy));
    return c;
}

struct sm_ckpt *sm_train_ckpt_resume(const sm_config *cfg, const sm_train_data *data,
                                     sm_train_run_ctx *r, json_t **tab, sm_train_position *pos,
                                     sm_error *err)
{
    const char *path = r->resume_path;
    sm_ckpt *c = sm_ckpt_read(path, err);
    if (!c) return NULL;
    json_t *m = sm_ckpt_meta(c);
    json_t *cj = sm_config_to_json(cfg), *dj = sm_train_data_json(data);
    sm_status st = SM_OK;
    if (!json_equal(cj, json_object_get(m, "config")))
        st = sm_error_set(err, SM_EINVAL, "%s: the checkpoint was written with another config",
                          path);
    else if (!json_equal(dj, json_object_get(m, "data")))
        st = sm_error_set(err, SM_EINVAL, "%s: the checkpoint was written for other data", path);
    else if (!json_is_integer(json_object_get(m, "batches_done")) ||
             !json_is_object(json_object_get(m, "evaluations")))
        st = sm_error_set(err, SM_EFORMAT, "%s: not a `somnus train` checkpoint", path);
    json_decref(cj);
    json_decref(dj);
    if (st != SM_OK) {
        sm_ckpt_free(c);
        return NULL;
    }
    pos->done = (int)json_integer_value(json_object_get(m, "batches_done"));
    pos->eval_s = json_number_value(json_object_get(m, "eval_s"));
    pos->wall_s = json_number_value(json_object_get(m, "wall_s"));
    json_decref(*tab);
    *tab = json_deep_copy(json_object_get(m, "evaluations"));
    r->prog.done = json_integer_value(json_object_get(m, "progress_done"));
    json_t *la = json_object_get(m, "last_accuracy");
    r->prog.last_accuracy = json_is_number(la) ? json_number_value(la) : NAN;
    return c;
}
