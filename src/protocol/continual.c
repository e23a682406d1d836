/* The continual-learning protocol (continual.h): stream, model, results document. */
#include "protocol/continual.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/io/results.h"
#include "protocol/continual_results.h"
#include "protocol/continual_safe.h"
#include "protocol/continual_sgsnn.h"
#include "protocol/continual_stdp.h"
#include "protocol/continual_stream.h"
#include "protocol/train_models.h"

static json_t *tasks_json(const sm_cl_stream *s)
{
    json_t *a = json_array();
    for (int t = 0; t < s->n_tasks; t++) {
        json_t *g = json_array();
        if (s->permuted)
            for (int c = 0; c < 10; c++)
                json_array_append_new(g, json_integer(c));
        else
            for (int k = 0; k < s->n_group[t]; k++)
                json_array_append_new(g, json_integer(s->group[t][k]));
        json_array_append_new(a, g);
    }
    return a;
}

/* --export: the accuracy matrices and, for a permuted stream, the pixel permutations
 * (T x n_in int32, row t as sm_cl_permutation gives it: task t's pixel k is the original
 * image's pixel perm[t][k]). */
static sm_status export_arrays(const sm_train_run_ctx *r, const sm_config *cfg,
                               const sm_cl_stream *s, const sm_train_data *data, json_t *cont,
                               sm_error *err)
{
    sm_cl_export_R(r, cont, s->n_tasks);
    if (!s->permuted) return SM_OK;
    const int np = data->train->width * data->train->height;
    int *perm = malloc((size_t)s->n_tasks * (size_t)np * sizeof *perm);
    if (!perm) return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    for (int t = 0; t < s->n_tasks; t++)
        sm_cl_permutation(t, np, (uint64_t)cfg->run.seed, perm + (size_t)t * np);
    sm_cl_export_array(r, "permutations", 2, (size_t)s->n_tasks, (size_t)np, perm);
    free(perm);
    return SM_OK;
}

sm_status sm_protocol_continual(const sm_config *cfg, const sm_train_data *data,
                                sm_train_run_ctx *r, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_cl_stream *s = malloc(sizeof *s);
    if (!s) return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    sm_status st = sm_cl_stream_parse(cfg, s, err);
    const int sg = cfg->train.model == SM_MODEL_SGSNN, safe = cfg->train.model == SM_MODEL_SAFE;
    if (st == SM_OK && cfg->train.model != SM_MODEL_STDP && !sg && !safe)
        st = sm_error_set(err, SM_EINVAL,
                          "protocol.kind=continual: train.model must be stdp, sgsnn or safe");
    json_t *cont = NULL;
    const double t0 = sm_train_now();
    if (st == SM_OK) {
        cont = json_pack("{s:s, s:s, s:i, s:o}", "stream", cfg->cl.stream, "scenario",
                         sm_cl_scenario_name(s->scenario), "n_tasks", s->n_tasks, "tasks",
                         tasks_json(s));
        if (!cont) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    }
    if (st == SM_OK)
        st = safe ? sm_cl_run_safe(cfg, s, data, r, cont, err)
             : sg ? sm_cl_run_sgsnn(cfg, s, data, r, cont, err)
                  : sm_cl_run_stdp(cfg, s, data, r, cont, err);
    if (st == SM_OK) {
        json_t *head = json_object_get(cont, "acc");
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:O, s:{s:O, s:O, s:O, s:O, s:O, s:O}, "
            "s:{s:f}}",
            "somnus_version", sm_version(), "command", "train", "model",
            safe ? "safe"
            : sg ? "sgsnn"
                 : "stdp",
            "protocol", "continual", "seed", (json_int_t)cfg->run.seed, "config",
            sm_config_to_json(cfg), "data", sm_train_data_json(data), "continual", cont, "final",
            "test_accuracy", head ? head : json_null(), "acc", head ? head : json_null(), "aia",
            json_object_get(cont, "aia"), "bwt", json_object_get(cont, "bwt"), "forgetting",
            json_object_get(cont, "forgetting"), "fwt", json_object_get(cont, "fwt"), "timing",
            "wall_s", sm_train_now() - t0);
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "continual: cannot build the results");
        if (st == SM_OK && r->array_fn) st = export_arrays(r, cfg, s, data, cont, err);
        if (st == SM_OK)
            *results = doc;
        else
            json_decref(doc);
    }
    json_decref(cont);
    free(s);
    return st;
}
