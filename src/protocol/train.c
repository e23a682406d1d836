/* The experiment protocol (spec section 7) for the STDP network; data preparation and
 * the shared results pieces. The SG-SNN protocol is in train_sgsnn.c. */
#include "somnus/protocol/train.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/io/checkpoint.h"
#include "somnus/analysis/readout.h"
#include "somnus/io/results.h"
#include "protocol/train_impl.h"

double sm_train_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------ classes */

static int parse_int(const char **s, int *v)
{
    if (!isdigit((unsigned char)**s)) return 0;
    long x = 0;
    while (isdigit((unsigned char)**s)) {
        x = x * 10 + (**s - '0');
        if (x > 100000) return 0;
        (*s)++;
    }
    *v = (int)x;
    return 1;
}

sm_status sm_train_parse_classes(const char *text, int n_classes, int *classes, int *k,
                                 sm_error *err)
{
    *k = 0;
    if (!strcmp(text, "all")) {
        for (int c = 0; c < n_classes; c++)
            classes[(*k)++] = c;
        return SM_OK;
    }
    char *seen = calloc((size_t)n_classes, 1);
    if (!seen) return sm_error_set(err, SM_ENOMEM, "out of memory");
    const char *s = text;
    sm_status st = SM_OK;
    for (;;) {
        int a, b;
        if (!parse_int(&s, &a)) {
            st = sm_error_set(err, SM_EINVAL,
                              "data.classes: '%s' is not 'all' or a list such as 0,1,7 or 0-4",
                              text);
            break;
        }
        b = a;
        if (*s == '-') {
            s++;
            if (!parse_int(&s, &b) || b < a) {
                st = sm_error_set(err, SM_EINVAL, "data.classes: bad range in '%s'", text);
                break;
            }
        }
        if (b >= n_classes) {
            st = sm_error_set(err, SM_EINVAL,
                              "data.classes: class %d does not exist (the dataset has classes "
                              "0-%d)",
                              b, n_classes - 1);
            break;
        }
        for (int c = a; c <= b; c++) {
            if (seen[c]) {
                st = sm_error_set(err, SM_EINVAL, "data.classes: class %d listed twice", c);
                break;
            }
            seen[c] = 1;
            classes[(*k)++] = c;
        }
        if (st != SM_OK || *s == '\0') break;
        if (*s != ',') {
            st = sm_error_set(err, SM_EINVAL, "data.classes: unexpected '%c' in '%s'", *s, text);
            break;
        }
        s++;
    }
    free(seen);
    if (st == SM_OK && *k < 2)
        st = sm_error_set(err, SM_EINVAL, "data.classes: '%s' selects fewer than 2 classes", text);
    return st;
}

/* ------------------------------------------------------------------ data */

void sm_train_data_free(sm_train_data *d)
{
    if (!d) return;
    sm_dataset_destroy(d->train);
    sm_dataset_destroy(d->val);
    sm_dataset_destroy(d->test);
    d->train = d->val = d->test = NULL;
}

static sm_dataset *select_classes(const sm_dataset *ds, const sm_config *cfg, sm_error *err)
{
    int *classes = malloc((size_t)ds->n_classes * sizeof *classes), k;
    if (!classes) {
        sm_error_set(err, SM_ENOMEM, "out of memory");
        return NULL;
    }
    sm_dataset *out = NULL;
    if (sm_train_parse_classes(cfg->data.classes, ds->n_classes, classes, &k, err) == SM_OK)
        out = sm_dataset_select_classes(ds, classes, k, 0, err);
    free(classes);
    return out;
}

/* Resize and (for the STDP encoder) normalize one part, replacing it. */
static sm_status prepare_part(sm_dataset **part, const sm_config *cfg, int normalize, sm_error *err)
{
    if (!*part || (*part)->n == 0) return SM_OK;
    sm_dataset *r = sm_dataset_resize(*part, cfg->input.width, cfg->input.height, err);
    if (!r) return err->code;
    sm_dataset_destroy(*part);
    *part = r;
    if (normalize && cfg->input.norm_fraction > 0)
        return sm_dataset_normalize_sum(r, cfg->input.norm_fraction, err);
    return SM_OK;
}

static sm_status split_data(const sm_config *cfg, const sm_dataset *pool,
                            const sm_dataset *official, sm_train_data *out, sm_error *err)
{
    const uint64_t seed = (uint64_t)cfg->run.seed;
    if (official && cfg->data.official_test) {
        sm_status st = sm_dataset_split(pool, cfg->data.n_train, cfg->data.n_val, 0, seed,
                                        &out->train, &out->val, NULL, err);
        /* A different seed for the test draw: the pool's split and the test set's
         * selection are independent choices. */
        if (st == SM_OK)
            st = sm_dataset_split(official, cfg->data.n_test, 0, 0, seed ^ UINT64_C(0x7e57),
                                  &out->test, NULL, NULL, err);
        out->test_official = 1;
        return st;
    }
    return sm_dataset_split(pool, cfg->data.n_train, cfg->data.n_val, cfg->data.n_test, seed,
                            &out->train, &out->val, &out->test, err);
}

sm_status sm_train_data_from_pool(const sm_config *cfg, const sm_dataset *pool,
                                  const sm_dataset *official, sm_train_data *out, sm_error *err)
{
    memset(out, 0, sizeof *out);
    if (!pool) return sm_error_set(err, SM_EINVAL, "train: no dataset");
    snprintf(out->name, sizeof out->name, "%s", cfg->data.dataset);
    sm_dataset *p = NULL, *t = NULL;
    sm_status st = SM_OK;
    if (strcmp(cfg->data.classes, "all") != 0) {
        p = select_classes(pool, cfg, err);
        if (p && official) t = select_classes(official, cfg, err);
        st = p && (!official || t) ? SM_OK : err->code;
    }
    if (st == SM_OK) st = split_data(cfg, p ? p : pool, p ? t : official, out, err);
    sm_dataset_destroy(p);
    sm_dataset_destroy(t);
    const int normalize = cfg->train.model == SM_MODEL_STDP;
    if (st == SM_OK) st = prepare_part(&out->train, cfg, normalize, err);
    if (st == SM_OK) st = prepare_part(&out->val, cfg, normalize, err);
    if (st == SM_OK) st = prepare_part(&out->test, cfg, normalize, err);
    if (st != SM_OK) sm_train_data_free(out);
    return st;
}

sm_status sm_train_data_load(const sm_config *cfg, sm_train_data *out, sm_error *err)
{
    memset(out, 0, sizeof *out);
    sm_dataset *pool = NULL, *official = NULL;
    sm_status st = sm_dataset_load_named(cfg->data.dataset, cfg->data.dir, &pool, &official, err);
    if (st == SM_OK) st = sm_train_data_from_pool(cfg, pool, official, out, err);
    sm_dataset_destroy(pool);
    sm_dataset_destroy(official);
    return st;
}

/* ------------------------------------------------------------------ shared results */

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

sm_status sm_train_run_opts(const sm_config *cfg, const sm_train_data *data,
                            const sm_train_options *opt, json_t **results, sm_error *err)
{
    *results = NULL;
    if (!data || !data->train || !data->test || data->train->n < 2 || data->test->n < 1)
        return sm_error_set(err, SM_EINVAL, "train: need at least 2 training and 1 test image");
    sm_train_options none = {0};
    if (!opt) opt = &none;
    sm_train_run_ctx r = {.fn = opt->progress,
                          .ctx = opt->progress_ctx,
                          .final_fn = opt->final_fn,
                          .final_ctx = opt->final_ctx,
                          .ckpt_path = opt->checkpoint_every > 0 ? opt->checkpoint_path : NULL,
                          .ckpt_every = opt->checkpoint_every,
                          .resume_path = opt->resume_path,
                          .repr_fn = opt->repr_fn,
                          .repr_ctx = opt->repr_ctx,
                          .sgsnn_final_fn = opt->sgsnn_final_fn,
                          .sgsnn_final_ctx = opt->sgsnn_final_ctx};
    r.prog.last_accuracy = NAN;
    return cfg->train.model == SM_MODEL_SGSNN ? sm_train_sgsnn(cfg, data, &r, results, err)
                                              : sm_train_stdp(cfg, data, &r, results, err);
}

sm_status sm_train_run(const sm_config *cfg, const sm_train_data *data,
                       sm_train_progress_fn progress, void *ctx, json_t **results, sm_error *err)
{
    sm_train_options o = {.progress = progress, .progress_ctx = ctx};
    return sm_train_run_opts(cfg, data, &o, results, err);
}

sm_status sm_train_checkpoint_config(const char *path, sm_config *cfg, sm_error *err)
{
    sm_ckpt *c = sm_ckpt_read(path, err);
    if (!c) return err->code;
    sm_config_default(cfg);
    sm_status st =
        sm_config_load_json_object(cfg, json_object_get(sm_ckpt_meta(c), "config"), path, err);
    if (st == SM_OK) st = sm_config_validate(cfg, err);
    sm_ckpt_free(c);
    return st;
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
