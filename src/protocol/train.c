/* The training protocol of spec section 7: data preparation, then the protocol of the
 * model train.model selects (the table in train_models.c). */
#include "somnus/protocol/train.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/io/checkpoint.h"
#include "somnus/analysis/readout.h"
#include "somnus/io/results.h"
#include "protocol/continual_stream.h"
#include "protocol/protocols.h"
#include "protocol/train_models.h"

sm_status sm_train_data_from_pool(const sm_config *cfg, const sm_dataset *pool,
                                  const sm_dataset *official, sm_train_data *out, sm_error *err)
{
    memset(out, 0, sizeof *out);
    const sm_train_model *model = sm_train_model_find(cfg->train.model, err);
    if (!model) return SM_EINVAL;
    if (!model->needs_data) return SM_OK; /* the model makes its own examples */
    if (cfg->protocol.kind == SM_PROTOCOL_CONTINUAL) {
        /* the stream's classes and per-class sizes (spec continual.md section 1) */
        sm_config c;
        sm_status st = sm_cl_data_config(cfg, &c, err);
        if (st != SM_OK) return st;
        return sm_train_data_prepare(&c, pool, official, model->sum_normalize, out, err);
    }
    if (model->native_size && pool) {
        sm_config *c = malloc(sizeof *c);
        if (!c) return sm_error_set(err, SM_ENOMEM, "train: out of memory");
        *c = *cfg;
        c->input.width = pool->width;
        c->input.height = pool->height;
        sm_status st = sm_train_data_prepare(c, pool, official, model->sum_normalize, out, err);
        free(c);
        return st;
    }
    return sm_train_data_prepare(cfg, pool, official, model->sum_normalize, out, err);
}

sm_status sm_train_data_load(const sm_config *cfg, sm_train_data *out, sm_error *err)
{
    memset(out, 0, sizeof *out);
    const sm_train_model *model = sm_train_model_find(cfg->train.model, err);
    if (!model) return SM_EINVAL;
    if (!model->needs_data) return SM_OK; /* the model makes its own examples */
    sm_dataset *pool = NULL, *official = NULL;
    sm_status st = sm_dataset_load_named(cfg->data.dataset, cfg->data.dir, &pool, &official, err);
    if (st == SM_OK) st = sm_train_data_from_pool(cfg, pool, official, out, err);
    sm_dataset_destroy(pool);
    sm_dataset_destroy(official);
    return st;
}

sm_status sm_train_run_opts(const sm_config *cfg, const sm_train_data *data,
                            const sm_train_options *opt, json_t **results, sm_error *err)
{
    *results = NULL;
    const sm_protocol *protocol = sm_protocol_find(cfg->protocol.kind, err);
    const sm_train_model *model = sm_train_model_find(cfg->train.model, err);
    if (!protocol || !model) return SM_EINVAL;
    if (cfg->diag.iid && cfg->protocol.kind == SM_PROTOCOL_CONTINUAL)
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid: the continual protocol computes no diagnostics (they are "
                            "in plain runs and, per chunk, in the input and label protocols)");
    if (model->needs_data &&
        (!data || !data->train || !data->test || data->train->n < 2 || data->test->n < 1))
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
                          .sgsnn_final_ctx = opt->sgsnn_final_ctx,
                          .ppg_final_fn = opt->ppg_final_fn,
                          .ppg_final_ctx = opt->ppg_final_ctx,
                          .dc_final_fn = opt->dc_final_fn,
                          .dc_final_ctx = opt->dc_final_ctx,
                          .struct_event_fn = opt->struct_event_fn,
                          .struct_event_ctx = opt->struct_event_ctx,
                          .array_fn = opt->array_fn,
                          .array_ctx = opt->array_ctx};
    r.prog.last_accuracy = NAN;
    return protocol->run(cfg, data, &r, results, err);
}

sm_status sm_train_run(const sm_config *cfg, const sm_train_data *data,
                       sm_train_progress_fn progress, void *ctx, json_t **results, sm_error *err)
{
    sm_train_options o = {.progress = progress, .progress_ctx = ctx};
    return sm_train_run_opts(cfg, data, &o, results, err);
}

sm_status sm_train_checkpoint_config(const char *path, sm_config *cfg, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_ckpt_read(path, err);
    if (!c) return err->code;
    sm_config_default(cfg);
    sm_status st =
        sm_config_load_json_object(cfg, json_object_get(sm_ckpt_meta(c), "config"), path, err);
    if (st == SM_OK) st = sm_config_validate(cfg, err);
    sm_ckpt_free(c);
    return st;
}
