/* Shared parts of a continual run's results (continual_results.h). */
#include "protocol/continual_results.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "somnus/analysis/continual_metrics.h"
#include "somnus/core/config.h"
#include "somnus/analysis/ridge_stats.h"
#include "protocol/continual_stream.h"
#include "protocol/train_common.h"

const char *sm_cl_scenario_name(int scenario)
{
    return scenario == SM_CL_TASK ? "task" : scenario == SM_CL_DOMAIN ? "domain" : "class";
}

json_t *sm_cl_matrix_json(const double *m, int rows, int cols)
{
    json_t *a = json_array();
    for (int i = 0; a && i < rows; i++) {
        json_t *row = json_array();
        for (int j = 0; j < cols; j++)
            json_array_append_new(row, sm_train_real(m[(size_t)i * (size_t)cols + (size_t)j]));
        json_array_append_new(a, row);
    }
    return a;
}

json_t *sm_cl_readout_json(const double *R, int T, const double *w)
{
    sm_cl_metrics m;
    if (sm_cl_metrics_compute(R, T, w, &m, NULL) != SM_OK)
        m = (sm_cl_metrics){NAN, NAN, NAN, NAN, NAN, NAN};
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "R", sm_cl_matrix_json(R, T + 1, T),
                     "acc", sm_train_real(m.acc), "aia", sm_train_real(m.aia), "bwt",
                     sm_train_real(m.bwt), "forgetting", sm_train_real(m.forgetting), "fwt",
                     sm_train_real(m.fwt), "plasticity", sm_train_real(m.plasticity));
}

void sm_cl_export_array(const sm_train_run_ctx *r, const char *name, int dtype, size_t rows,
                        size_t cols, const void *data)
{
    if (r && r->array_fn) r->array_fn(r->array_ctx, name, dtype, rows, cols, data);
}

/* A (T+1) x T matrix of JSON numbers and nulls into m (NaN for null); 0 if it is not one. */
static int matrix_of(json_t *a, int T, double *m)
{
    if (json_array_size(a) != (size_t)T + 1) return 0;
    for (int i = 0; i <= T; i++) {
        json_t *row = json_array_get(a, (size_t)i);
        if (json_array_size(row) != (size_t)T) return 0;
        for (int j = 0; j < T; j++) {
            json_t *v = json_array_get(row, (size_t)j);
            m[(size_t)i * T + j] = json_is_number(v) ? json_number_value(v) : NAN;
        }
    }
    return 1;
}

static void export_matrix(const sm_train_run_ctx *r, const char *name, json_t *a, int T, double *m)
{
    if (matrix_of(a, T, m)) sm_cl_export_array(r, name, 1, (size_t)T + 1, (size_t)T, m);
}

void sm_cl_export_R(const sm_train_run_ctx *r, json_t *cont, int T)
{
    if (!r || !r->array_fn || T < 1 || T > SM_CL_MAX_TASKS) return;
    double m[(SM_CL_MAX_TASKS + 1) * SM_CL_MAX_TASKS]; /* 80 kB: no allocation to fail */
    export_matrix(r, "R", json_object_get(cont, "R"), T, m);
    export_matrix(r, "R_task", json_object_get(cont, "R_task"), T, m);
    const char *key;
    json_t *v;
    json_object_foreach(cont, key, v)
    {
        json_t *R = json_object_get(v, "R");
        if (!json_is_object(v) || !R || !strcmp(key, "task") || strlen(key) > 48) continue;
        char name[64];
        snprintf(name, sizeof name, "R_%s", key);
        export_matrix(r, name, R, T, m);
    }
}

void sm_cl_export_ridge(const sm_train_run_ctx *r, const char *learner, const sm_ridge_stats *rs)
{
    if (!r || !r->array_fn || !rs) return;
    char name[64];
    snprintf(name, sizeof name, "ridge_G_%s", learner);
    r->array_fn(r->array_ctx, name, 1, (size_t)rs->d, (size_t)rs->d, rs->G);
    snprintf(name, sizeof name, "ridge_Q_%s", learner);
    r->array_fn(r->array_ctx, name, 1, (size_t)rs->d, (size_t)rs->c, rs->Q);
}
