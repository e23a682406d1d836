/* Training data from an already loaded pool, and sm_train_run with a hook on the trained
 * simulation: the two pieces `somnus sweep` needs to run many cells in one process.
 * The preparation mirrors sm_train_data_load (train.c) step by step, so that a cell run
 * from a cached pool gives the same images as `somnus train` with the same config. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/train.h"
#include "train_impl.h"

static sm_dataset *pool_select_classes(const sm_dataset *ds, const sm_config *cfg, sm_error *err)
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

static sm_status pool_prepare_part(sm_dataset **part, const sm_config *cfg, int normalize,
                                   sm_error *err)
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

static sm_status pool_split(const sm_config *cfg, const sm_dataset *pool,
                            const sm_dataset *official, sm_train_data *out, sm_error *err)
{
    const uint64_t seed = (uint64_t)cfg->run.seed;
    if (official && cfg->data.official_test) {
        sm_status st = sm_dataset_split(pool, cfg->data.n_train, cfg->data.n_val, 0, seed,
                                        &out->train, &out->val, NULL, err);
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
        p = pool_select_classes(pool, cfg, err);
        if (p && official) t = pool_select_classes(official, cfg, err);
        st = p && (!official || t) ? SM_OK : err->code;
    }
    if (st == SM_OK) st = pool_split(cfg, p ? p : pool, p ? t : official, out, err);
    sm_dataset_destroy(p);
    sm_dataset_destroy(t);
    const int normalize = cfg->train.model == SM_MODEL_STDP;
    if (st == SM_OK) st = pool_prepare_part(&out->train, cfg, normalize, err);
    if (st == SM_OK) st = pool_prepare_part(&out->val, cfg, normalize, err);
    if (st == SM_OK) st = pool_prepare_part(&out->test, cfg, normalize, err);
    if (st != SM_OK) sm_train_data_free(out);
    return st;
}

sm_status sm_train_run_final(const sm_config *cfg, const sm_train_data *data,
                             sm_train_progress_fn progress, void *ctx, sm_train_final_fn final_fn,
                             void *final_ctx, json_t **results, sm_error *err)
{
    *results = NULL;
    if (!data || !data->train || !data->test || data->train->n < 2 || data->test->n < 1)
        return sm_error_set(err, SM_EINVAL, "train: need at least 2 training and 1 test image");
    sm_train_run_ctx r = {.fn = progress, .ctx = ctx, .final_fn = final_fn, .final_ctx = final_ctx};
    r.prog.last_accuracy = NAN;
    return cfg->train.model == SM_MODEL_SGSNN ? sm_train_sgsnn(cfg, data, &r, results, err)
                                              : sm_train_stdp(cfg, data, &r, results, err);
}
