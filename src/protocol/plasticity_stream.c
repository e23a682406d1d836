/* The chunks of the input- and label-plasticity protocols (plasticity_stream.h). */
#include "protocol/plasticity_stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/io/dataset.h"
#include "protocol/diag_columns.h"
#include "protocol/train_models.h"
#include "protocol/train_common.h"

_Static_assert(SM_DIAG_PROBE_KEY == (uint32_t)SM_PL_PROBE << 24,
               "the diagnostics' probe draw is the protocols' (purpose SM_PL_PROBE, chunk 0)");

/* Which split a label draw is for (the counter's high bits), so that the random labels
 * of training and test images are independent. */
enum { SET_TRAIN = 0, SET_TEST = 1, SET_PROBE = 2 };

static int *identity(int n)
{
    int *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    if (a)
        for (int i = 0; i < n; i++)
            a[i] = i;
    return a;
}

/* dataset:A,B,...: loads each named dataset with the run's data.* settings. The first
 * chunk's dataset need not be data.dataset: every chunk uses its own copy. */
static sm_status load_datasets(sm_pl_stream *s, const sm_config *cfg, const char *list,
                               sm_error *err)
{
    char buf[SM_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (s->n_ds == SM_PL_MAX_DATASETS)
            return sm_error_set(err, SM_EINVAL, "protocol.input_shift: more than %d datasets",
                                SM_PL_MAX_DATASETS);
        sm_config c = *cfg;
        sm_error e;
        sm_status st = sm_config_set(&c, "data.dataset", name, "protocol.input_shift", &e);
        /* as sm_train_data_load does for the run's own data (model-specific scaling) */
        const sm_train_model *model = sm_train_model_find(cfg->train.model, &e);
        sm_dataset *pool = NULL, *official = NULL;
        if (st == SM_OK && !model) st = SM_EINVAL;
        if (st == SM_OK)
            st = sm_dataset_load_named(c.data.dataset, c.data.dir, &pool, &official, &e);
        if (st == SM_OK)
            st = sm_train_data_prepare(&c, pool, official, model->sum_normalize, &s->ds[s->n_ds],
                                       &e);
        sm_dataset_destroy(pool);
        sm_dataset_destroy(official);
        if (st != SM_OK)
            return sm_error_set(err, st, "protocol.input_shift: dataset '%s': %s", name, e.msg);
        s->n_ds++;
        const sm_train_data *d = &s->ds[s->n_ds - 1];
        if (d->train->width * d->train->height != s->D || d->train->n_classes != s->C)
            return sm_error_set(err, SM_EINVAL,
                                "protocol.input_shift: dataset '%s' has %d pixels and %d classes, "
                                "data.dataset %d and %d",
                                name, d->train->width * d->train->height, d->train->n_classes, s->D,
                                s->C);
        if (!d->val || d->val->n < 1)
            return sm_error_set(err, SM_EINVAL, "data.n_val: dataset '%s' has no validation split",
                                name);
    }
    if (s->n_ds < 1)
        return sm_error_set(err, SM_EINVAL, "protocol.input_shift: 'dataset:' needs names");
    return SM_OK;
}

sm_status sm_pl_stream_init(sm_pl_stream *s, const sm_config *cfg, const sm_train_data *data,
                            sm_error *err)
{
    memset(s, 0, sizeof *s);
    s->kind = cfg->protocol.kind;
    s->label_shift = cfg->protocol.label_shift;
    s->K = cfg->protocol.chunks;
    s->C = data->train->n_classes;
    s->D = data->train->width * data->train->height;
    s->seed = (uint64_t)cfg->run.seed;
    s->data = data;
    if (s->kind == SM_PROTOCOL_INPUT) {
        const char *shift = cfg->protocol.input_shift;
        if (strcmp(shift, "permute") == 0) {
            s->permute = 1;
        } else if (strncmp(shift, "dataset:", 8) == 0) {
            sm_status st = load_datasets(s, cfg, shift + 8, err);
            if (st != SM_OK) return st;
        } else if (strcmp(shift, "grow") != 0) {
            return sm_error_set(err, SM_EINVAL,
                                "protocol.input_shift: '%s' is not one of grow, permute, "
                                "dataset:NAME,NAME,...",
                                shift);
        }
    }
    if (s->kind == SM_PROTOCOL_INPUT && !s->permute && !s->n_ds && data->train->n < s->K)
        return sm_error_set(err, SM_EINVAL,
                            "protocol.chunks: %d chunks need at least as many training images "
                            "(data.n_train gives %d)",
                            s->K, data->train->n);
    if (!data->val || data->val->n < 1)
        return sm_error_set(err, SM_EINVAL,
                            "data.n_val: the diagnostics' probe set is drawn from the validation "
                            "split, which is empty");
    sm_rng r;
    s->cut = identity(data->train->n);
    if (!s->cut) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    sm_rng_init(&r, s->seed, SM_STREAM_PLASTICITY, sm_pl_key(SM_PL_CUT, 0));
    sm_rng_shuffle(&r, s->cut, data->train->n);
    if (s->permute) {
        s->perm = malloc((size_t)s->K * s->D * sizeof *s->perm);
        if (!s->perm) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        for (int k = 0; k < s->K; k++) {
            int *p = s->perm + (size_t)k * s->D;
            for (int i = 0; i < s->D; i++)
                p[i] = i;
            sm_rng_init(&r, s->seed, SM_STREAM_PLASTICITY, sm_pl_key(SM_PL_PERM, k + 1));
            if (k > 0) sm_rng_shuffle(&r, p, s->D);
        }
    }
    if (s->kind == SM_PROTOCOL_LABEL && s->label_shift == SM_LABEL_PERMUTE) {
        s->class_perm = malloc((size_t)s->K * s->C * sizeof *s->class_perm);
        if (!s->class_perm) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        for (int k = 0; k < s->K; k++) {
            int *p = s->class_perm + (size_t)k * s->C;
            for (int c = 0; c < s->C; c++)
                p[c] = c;
            sm_rng_init(&r, s->seed, SM_STREAM_PLASTICITY, sm_pl_key(SM_PL_LABEL, k + 1));
            sm_rng_shuffle(&r, p, s->C);
        }
    }
    s->probe = sm_diag_probe_indices(data->val, s->C, cfg->diag.n_probe, s->seed, &s->n_probe);
    if (!s->probe) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    for (int i = 0; i < s->n_ds; i++) { /* each dataset's cut, with the run's key */
        const int n = s->ds[i].train->n;
        s->ds_cut[i] = identity(n);
        if (!s->ds_cut[i]) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        sm_rng_init(&r, s->seed, SM_STREAM_PLASTICITY, sm_pl_key(SM_PL_CUT, 0));
        sm_rng_shuffle(&r, s->ds_cut[i], n);
    }
    for (int i = 0; i < s->n_ds; i++) { /* each dataset's probe; all cut to the smallest */
        int n = 0;
        s->ds_probe[i] = sm_diag_probe_indices(s->ds[i].val, s->C, cfg->diag.n_probe, s->seed, &n);
        if (!s->ds_probe[i]) return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
        if (i == 0 || n < s->n_probe) s->n_probe = n;
    }
    return SM_OK;
}

const sm_train_data *sm_pl_chunk_data(const sm_pl_stream *s, int k)
{
    return s->n_ds ? &s->ds[(k - 1) % s->n_ds] : s->data;
}

const int *sm_pl_chunk_order(const sm_pl_stream *s, int k)
{
    return s->n_ds ? s->ds_cut[(k - 1) % s->n_ds] : NULL;
}

void sm_pl_stream_free(sm_pl_stream *s)
{
    free(s->cut);
    free(s->perm);
    free(s->class_perm);
    free(s->probe);
    for (int i = 0; i < s->n_ds; i++) {
        sm_train_data_free(&s->ds[i]);
        free(s->ds_probe[i]);
        free(s->ds_cut[i]);
    }
    memset(s, 0, sizeof *s);
}

const char *sm_pl_stream_name(const sm_pl_stream *s)
{
    if (s->kind == SM_PROTOCOL_INPUT)
        return s->permute ? "input:permute" : s->n_ds ? "input:dataset" : "input:grow";
    static const char *const label[] = {"label:cyclic", "label:permute", "label:random"};
    return label[s->label_shift];
}

/* The label of image i of split `set` with true class y in chunk k (1-based). */
static int relabel(const sm_pl_stream *s, int k, int set, int i, int y)
{
    if (s->kind != SM_PROTOCOL_LABEL) return y;
    switch (s->label_shift) {
    case SM_LABEL_CYCLIC: return (y + k - 1) % s->C;
    case SM_LABEL_PERMUTE: return s->class_perm[(size_t)(k - 1) * s->C + y];
    default: {
        const uint64_t counter = (uint64_t)set << 32 | (uint32_t)i;
        sm_rng_words w =
            sm_rng_block(s->seed, SM_STREAM_PLASTICITY, counter, sm_pl_key(SM_PL_LABEL, k));
        return (int)(w.w[0] % (uint32_t)s->C);
    }
    }
}

/* Copies images idx[0..n) of ds (or 0..n when idx is NULL) under chunk k's transform. */
static sm_status build(const sm_pl_stream *s, const sm_dataset *ds, const int *idx, int n, int k,
                       int set, sm_pl_set *out, sm_error *err)
{
    out->n = n;
    out->d = s->D;
    out->x = malloc((size_t)(n > 0 ? n : 1) * s->D * sizeof *out->x);
    out->y = malloc((size_t)(n > 0 ? n : 1) * sizeof *out->y);
    if (!out->x || !out->y) {
        sm_pl_set_free(out);
        return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    }
    const int *perm = s->perm ? s->perm + (size_t)(k - 1) * s->D : NULL;
    for (int a = 0; a < n; a++) {
        const int i = idx ? idx[a] : a;
        const float *src = sm_dataset_image(ds, i);
        float *dst = out->x + (size_t)a * s->D;
        if (perm)
            for (int j = 0; j < s->D; j++)
                dst[j] = src[perm[j]];
        else
            memcpy(dst, src, (size_t)s->D * sizeof *dst);
        out->y[a] = relabel(s, k, set, i, ds->labels[i]);
    }
    return SM_OK;
}

sm_status sm_pl_chunk_train(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err)
{
    const sm_dataset *tr = sm_pl_chunk_data(s, k)->train;
    const int grow = s->kind == SM_PROTOCOL_INPUT && !s->permute && !s->n_ds;
    /* grow: chunks 1..k of the cut, i.e. its first k n / K images */
    const int n = grow ? (int)((int64_t)tr->n * k / s->K) : tr->n;
    return build(s, tr, s->n_ds ? NULL : s->cut, n, k, SET_TRAIN, out, err);
}

sm_status sm_pl_chunk_test(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err)
{
    const sm_dataset *te = sm_pl_chunk_data(s, k)->test;
    return build(s, te, NULL, te->n, k, SET_TEST, out, err);
}

sm_status sm_pl_chunk_probe(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err)
{
    const int *probe = s->n_ds ? s->ds_probe[(k - 1) % s->n_ds] : s->probe;
    return build(s, sm_pl_chunk_data(s, k)->val, probe, s->n_probe, k, SET_PROBE, out, err);
}

void sm_pl_set_free(sm_pl_set *set)
{
    free(set->x);
    free(set->y);
    set->x = NULL;
    set->y = NULL;
    set->n = 0;
}

void sm_pl_summary(const double *acc, const double *pr, int K, double *auc, double *pr_final,
                   double *drop)
{
    double s = 0;
    for (int k = 1; k <= K; k++)
        s += acc[k];
    *auc = K > 0 ? s / K : NAN;
    *pr_final = K > 0 ? pr[K] : NAN;
    *drop = K > 0 ? acc[1] - acc[K] : NAN;
}

void sm_pl_final_json(json_t *fin, const double *acc, const double *pr, int K)
{
    double auc, prf, drop;
    sm_pl_summary(acc, pr, K, &auc, &prf, &drop);
    json_object_set_new(fin, "auc", sm_train_real(auc));
    json_object_set_new(fin, "pr_final", sm_train_real(prf));
    json_object_set_new(fin, "drop", sm_train_real(drop));
    json_object_set_new(fin, "test_accuracy", sm_train_real(acc[K]));
    json_object_set_new(fin, "chunks", json_integer(K));
}
