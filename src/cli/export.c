/* somnus train --export DIR: the trained network, the final readout's representations and
 * the monitor series as numpy .npy files (docs/formats.md, "Export folder"). The training
 * hooks copy what they need into memory; the files are written only after the run and its
 * results file succeeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "export.h"
#include "somnus/core/fileio.h"
#include "somnus/io/npy.h"
#include "somnus/models/dc.h"
#include "somnus/models/ppg.h"
#include "somnus/models/sgsnn.h"
#include "somnus/protocol/train_options.h"
#include "somnus/models/sim.h"
#include "somnus/plasticity/ip_rule.h"

sm_status cli_export_prepare(cli_export *e, const char *dir, sm_error *err)
{
    memset(e, 0, sizeof *e);
    e->dir = dir;
    if (strlen(dir) > 4000)
        return sm_error_set(err, SM_EINVAL, "%s: path longer than 4000 characters", dir);
    struct stat sb;
    e->created = stat(dir, &sb) != 0;
    sm_status st = sm_mkdir_p(dir, err);
    if (st != SM_OK) return st;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/weights.npy", dir);
    st = cli_check_writable(probe, err);
    if (st != SM_OK) cli_export_discard(e);
    return st;
}

void cli_export_discard(cli_export *e)
{
    if (e->dir && e->created) rmdir(e->dir); /* only if still empty */
    e->created = 0;
}

static void *dup_or_fail(cli_export *e, const void *src, size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        e->failed = 1;
        return NULL;
    }
    if (bytes) memcpy(p, src, bytes);
    return p;
}

void cli_export_net_hook(void *ctx, const struct sm_sim *sim)
{
    cli_export *e = ctx;
    const sm_net *net = sim->net;
    const size_t n = (size_t)net->n_syn;
    e->n_syn = net->n_syn;
    e->n_in = net->n_in;
    e->n_exc = net->n_exc;
    e->pre = malloc((n ? n : 1) * sizeof *e->pre);
    e->post = malloc((n ? n : 1) * sizeof *e->post);
    e->w = dup_or_fail(e, net->w, n * sizeof *e->w);
    e->pathway = dup_or_fail(e, net->pathway, n);
    e->se = calloc((size_t)net->n_exc * (size_t)net->n_in + 1, sizeof *e->se);
    if (!e->pre || !e->post || !e->w || !e->pathway || !e->se) {
        e->failed = 1;
        return;
    }
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            e->pre[s] = g;
            e->post[s] = net->n_in + net->post[s];
            if (net->pathway[s] == SM_PATH_SE && net->post[s] < net->n_exc)
                e->se[(size_t)net->post[s] * (size_t)net->n_in + (size_t)g] = net->w[s];
        }
    e->have_net = 1;
    if (sim->rw && !e->failed) { /* S->E mask [n_exc, n_in] */
        e->se_mask = calloc((size_t)net->n_exc * (size_t)net->n_in + 1, 1);
        if (!e->se_mask) e->failed = 1;
        for (int g = 0; e->se_mask && g < net->n_in; g++)
            for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
                if (net->pathway[s] == SM_PATH_SE)
                    e->se_mask[(size_t)net->post[s] * (size_t)net->n_in + (size_t)g] = 1;
    }
    if (sim->ip) { /* h and g as the LIF update reads them (E first, then I) */
        e->n_post = sim->ip->n_post;
        e->ip_h = dup_or_fail(e, sim->ip->h, (size_t)e->n_post * sizeof *e->ip_h);
        e->ip_g = dup_or_fail(e, sim->ip->g, (size_t)e->n_post * sizeof *e->ip_g);
        e->have_ip = !e->failed;
    }
}

void cli_export_struct_hook(void *ctx, const struct sm_net *net, int64_t event)
{
    cli_export *e = ctx;
    if (e->failed || e->snapshot_every <= 0 || (event + 1) % e->snapshot_every) return;
    const int k = e->n_snap;
    int64_t *ev = realloc(e->snap_event, (size_t)(k + 1) * sizeof *ev);
    if (ev) e->snap_event = ev;
    int64_t *nn = realloc(e->snap_n, (size_t)(k + 1) * sizeof *nn);
    if (nn) e->snap_n = nn;
    int32_t **pr = realloc(e->snap_pre, (size_t)(k + 1) * sizeof *pr);
    if (pr) e->snap_pre = pr;
    int32_t **po = realloc(e->snap_post, (size_t)(k + 1) * sizeof *po);
    if (po) e->snap_post = po;
    float **ww = realloc(e->snap_w, (size_t)(k + 1) * sizeof *ww);
    if (ww) e->snap_w = ww;
    if (!ev || !nn || !pr || !po || !ww) {
        e->failed = 1;
        return;
    }
    const size_t n = (size_t)net->n_syn;
    e->snap_pre[k] = malloc((n ? n : 1) * sizeof **pr);
    e->snap_post[k] = malloc((n ? n : 1) * sizeof **po);
    e->snap_w[k] = dup_or_fail(e, net->w, n * sizeof **ww);
    e->snap_event[k] = event;
    e->snap_n[k] = net->n_syn;
    e->n_snap = k + 1; /* freed with the others even if incomplete */
    if (!e->snap_pre[k] || !e->snap_post[k] || !e->snap_w[k]) {
        e->failed = 1;
        return;
    }
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            e->snap_pre[k][s] = g;
            e->snap_post[k][s] = net->n_in + net->post[s];
        }
}

void cli_export_repr_hook(void *ctx, const float *fit, const int *fit_labels, int n_fit,
                          const float *test, const int *test_labels, int n_test, int d)
{
    cli_export *e = ctx;
    e->n_fit = n_fit;
    e->n_test = n_test;
    e->d = d;
    e->fit = dup_or_fail(e, fit, (size_t)n_fit * (size_t)d * sizeof *fit);
    e->test = dup_or_fail(e, test, (size_t)n_test * (size_t)d * sizeof *test);
    e->fit_y = malloc(((size_t)n_fit + 1) * sizeof *e->fit_y);
    e->test_y = malloc(((size_t)n_test + 1) * sizeof *e->test_y);
    if (!e->fit || !e->test || !e->fit_y || !e->test_y) {
        e->failed = 1;
        return;
    }
    for (int k = 0; k < n_fit; k++)
        e->fit_y[k] = fit_labels[k];
    for (int k = 0; k < n_test; k++)
        e->test_y[k] = test_labels[k];
    e->have_repr = 1;
}

void cli_export_sgsnn_hook(void *ctx, struct sm_sgsnn *net)
{
    cli_export *e = ctx;
    e->n_layers = sm_sgsnn_n_layers(net);
    for (int l = 0; l < e->n_layers; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        const uint8_t *m = sm_sgsnn_get_mask(net, l);
        if (m) e->lm[l] = dup_or_fail(e, m, (size_t)v.rows * (size_t)v.cols);
        e->rows[l] = v.rows;
        e->cols[l] = v.cols;
        e->lw[l] = dup_or_fail(e, v.w, (size_t)v.rows * (size_t)v.cols * sizeof *v.w);
        e->lb[l] = dup_or_fail(e, v.b, (size_t)v.rows * sizeof *v.b);
    }
    e->have_sgsnn = !e->failed;
}

static float *to_f32(cli_export *e, const double *v, size_t n)
{
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) {
        e->failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (float)v[i];
    return out;
}

void cli_export_ppg_hook(void *ctx, const sm_train_ppg_final *f)
{
    cli_export *e = ctx;
    const sm_ppg *m = f->model;
    e->ppg_c = m->C;
    e->ppg_d = m->D;
    e->ppg_n = f->n_test;
    e->ppg_w = to_f32(e, m->w, (size_t)m->C * (size_t)m->D);
    e->ppg_lambda = to_f32(e, m->lambda, (size_t)m->C);
    e->ppg_alpha = to_f32(e, m->alpha, (size_t)m->C);
    e->ppg_post = to_f32(e, f->posterior, (size_t)f->n_test * (size_t)m->C);
    e->ppg_zhat = to_f32(e, f->zhat, (size_t)f->n_test);
    e->have_ppg = !e->failed;
}

void cli_export_dc_hook(void *ctx, const sm_dc *net)
{
    cli_export *e = ctx;
    const int n_in = net->p.n_in, n = net->p.n_exc, np = net->n_pad;
    e->dc_n_in = n_in;
    e->dc_n_exc = n;
    e->dc_w = malloc((size_t)n_in * (size_t)n * sizeof *e->dc_w);
    e->dc_theta = malloc((size_t)n * sizeof *e->dc_theta);
    if (!e->dc_w || !e->dc_theta) {
        e->failed = 1;
        return;
    }
    for (int i = 0; i < n_in; i++) /* the padded row without its padding */
        memcpy(e->dc_w + (size_t)i * n, net->w + (size_t)i * np, (size_t)n * sizeof *e->dc_w);
    for (int j = 0; j < n; j++)
        e->dc_theta[j] = sm_dc_theta(net, j);
    e->have_dc = 1;
}

void cli_export_array_hook(void *ctx, const char *name, int dtype, size_t rows, size_t cols,
                           const void *data)
{
    cli_export *e = ctx;
    const size_t size = dtype == 1 ? 8 : 4, bytes = rows * (cols ? cols : 1) * size;
    int k = 0;
    while (k < e->n_arr && strcmp(e->arr[k].name, name) != 0)
        k++;
    if (k == (int)(sizeof e->arr / sizeof e->arr[0])) {
        e->failed = 1; /* more arrays than the table holds: reported as out of memory */
        return;
    }
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy) {
        e->failed = 1;
        return;
    }
    memcpy(copy, data, bytes);
    if (k == e->n_arr)
        e->n_arr++;
    else
        free(e->arr[k].data);
    snprintf(e->arr[k].name, sizeof e->arr[k].name, "%s", name);
    e->arr[k].dtype = dtype;
    e->arr[k].rows = rows;
    e->arr[k].cols = cols;
    e->arr[k].data = copy;
}

static sm_status put(const cli_export *e, const char *name, sm_npy_dtype dtype, int ndim, size_t d0,
                     size_t d1, const void *data, sm_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", e->dir, name);
    const size_t shape[2] = {d0, d1};
    return sm_npy_write(path, dtype, ndim, shape, data, err);
}

/* <prefix>_<column>.npy (float64) for every column of a results object of columns
 * ("monitor", "structure_events") whose name starts with `only` (NULL: every column); the
 * phase strings become 0 wake, 1 sleep, 2 test; null (NaN) stays NaN. */
static sm_status put_columns(const cli_export *e, json_t *mon, const char *prefix, const char *only,
                             sm_error *err)
{
    const char *key;
    json_t *col;
    json_object_foreach(mon, key, col)
    {
        if (only && strncmp(key, only, strlen(only)) != 0) continue;
        const size_t n = json_array_size(col);
        double *v = malloc((n ? n : 1) * sizeof *v);
        if (!v) return sm_error_set(err, SM_ENOMEM, "--export: out of memory");
        for (size_t k = 0; k < n; k++) {
            json_t *x = json_array_get(col, k);
            const char *s = json_string_value(x);
            v[k] = json_is_number(x) ? json_number_value(x)
                   : s               ? (!strcmp(s, "wake")    ? 0
                                        : !strcmp(s, "sleep") ? 1
                                                              : 2)
                                     : NAN;
        }
        char name[256];
        snprintf(name, sizeof name, "%s_%s.npy", prefix, key);
        sm_status st = put(e, name, SM_NPY_F64, 1, n, 0, v, err);
        free(v);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

/* connectivity/event_<k>_{pre,post,w}.npy for every snapshot. */
static sm_status put_snapshots(const cli_export *e, sm_error *err)
{
    if (!e->n_snap) return SM_OK;
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/connectivity", e->dir);
    sm_status st = sm_mkdir_p(sub, err);
    for (int k = 0; k < e->n_snap && st == SM_OK; k++) {
        const size_t n = (size_t)e->snap_n[k];
        const char *part[3] = {"pre", "post", "w"};
        const void *data[3] = {e->snap_pre[k], e->snap_post[k], e->snap_w[k]};
        for (int q = 0; q < 3 && st == SM_OK; q++) {
            char name[128];
            snprintf(name, sizeof name, "connectivity/event_%lld_%s.npy",
                     (long long)e->snap_event[k], part[q]);
            st = put(e, name, q == 2 ? SM_NPY_F32 : SM_NPY_I32, 1, n, 0, data[q], err);
        }
    }
    return st;
}

sm_status cli_export_write(cli_export *e, json_t *doc, sm_error *err)
{
    if (e->failed) return sm_error_set(err, SM_ENOMEM, "--export: out of memory");
    sm_status st = SM_OK;
    const size_t n = (size_t)e->n_syn;
    if (e->have_net) {
        st = put(e, "weights_pre.npy", SM_NPY_I32, 1, n, 0, e->pre, err);
        if (st == SM_OK) st = put(e, "weights_post.npy", SM_NPY_I32, 1, n, 0, e->post, err);
        if (st == SM_OK) st = put(e, "weights.npy", SM_NPY_F32, 1, n, 0, e->w, err);
        if (st == SM_OK) st = put(e, "weights_pathway.npy", SM_NPY_U8, 1, n, 0, e->pathway, err);
        if (st == SM_OK)
            st = put(e, "se_weights.npy", SM_NPY_F32, 2, (size_t)e->n_exc, (size_t)e->n_in, e->se,
                     err);
        if (st == SM_OK && e->se_mask)
            st = put(e, "se_mask.npy", SM_NPY_U8, 2, (size_t)e->n_exc, (size_t)e->n_in, e->se_mask,
                     err);
    }
    if (st == SM_OK) st = put_snapshots(e, err);
    if (st == SM_OK && e->have_ip) {
        st = put(e, "ip_h.npy", SM_NPY_F32, 1, (size_t)e->n_post, 0, e->ip_h, err);
        if (st == SM_OK) st = put(e, "ip_g.npy", SM_NPY_F32, 1, (size_t)e->n_post, 0, e->ip_g, err);
    }
    if (st == SM_OK && e->have_repr) {
        const size_t d = (size_t)e->d;
        st = put(e, "train_repr.npy", SM_NPY_F32, 2, (size_t)e->n_fit, d, e->fit, err);
        if (st == SM_OK)
            st = put(e, "train_labels.npy", SM_NPY_I32, 1, (size_t)e->n_fit, 0, e->fit_y, err);
        if (st == SM_OK)
            st = put(e, "test_repr.npy", SM_NPY_F32, 2, (size_t)e->n_test, d, e->test, err);
        if (st == SM_OK)
            st = put(e, "test_labels.npy", SM_NPY_I32, 1, (size_t)e->n_test, 0, e->test_y, err);
    }
    json_t *mon = json_object_get(doc, "monitor");
    if (st == SM_OK && json_is_object(mon)) st = put_columns(e, mon, "monitor", NULL, err);
    json_t *sev = json_object_get(doc, "structure_events");
    if (st == SM_OK && json_is_object(sev)) st = put_columns(e, sev, "struct", NULL, err);
    /* the input/label protocols: every column of the per-chunk table, and named arrays */
    json_t *chk = json_object_get(doc, "chunks");
    if (st == SM_OK && json_is_object(chk)) st = put_columns(e, chk, "chunks", NULL, err);
    /* diag.iid: the diagnostics columns of the evaluations table (the other evaluation
     * columns stay in the results JSON only, as before) */
    json_t *ev = json_object_get(doc, "evaluations");
    if (st == SM_OK && json_is_object(ev)) st = put_columns(e, ev, "evaluations", "diag_", err);
    static const sm_npy_dtype DT[3] = {SM_NPY_F32, SM_NPY_F64, SM_NPY_I32};
    for (int k = 0; k < e->n_arr && st == SM_OK; k++) {
        char name[80];
        snprintf(name, sizeof name, "%s.npy", e->arr[k].name);
        st = put(e, name, DT[e->arr[k].dtype], e->arr[k].cols ? 2 : 1, e->arr[k].rows,
                 e->arr[k].cols, e->arr[k].data, err);
    }
    if (st == SM_OK && e->have_sgsnn) {
        for (int l = 0; l < e->n_layers && st == SM_OK; l++) {
            char W[32], B[32], M[32];
            snprintf(W, sizeof W, "w%d.npy", l + 1);
            snprintf(B, sizeof B, "b%d.npy", l + 1);
            snprintf(M, sizeof M, "mask%d.npy", l + 1);
            const size_t r = (size_t)e->rows[l], c = (size_t)e->cols[l];
            st = put(e, W, SM_NPY_F32, 2, r, c, e->lw[l], err);
            if (st == SM_OK) st = put(e, B, SM_NPY_F32, 1, r, 0, e->lb[l], err);
            if (st == SM_OK && e->lm[l]) st = put(e, M, SM_NPY_U8, 2, r, c, e->lm[l], err);
        }
    }
    if (st == SM_OK && e->have_dc) {
        st = put(e, "dc_weights.npy", SM_NPY_F32, 2, (size_t)e->dc_n_in, (size_t)e->dc_n_exc,
                 e->dc_w, err);
        if (st == SM_OK)
            st = put(e, "dc_theta.npy", SM_NPY_F64, 1, (size_t)e->dc_n_exc, 0, e->dc_theta, err);
    }
    if (st == SM_OK && e->have_ppg) {
        const size_t c = (size_t)e->ppg_c, nt = (size_t)e->ppg_n;
        st = put(e, "ppg_w.npy", SM_NPY_F32, 2, c, (size_t)e->ppg_d, e->ppg_w, err);
        if (st == SM_OK) st = put(e, "ppg_lambda.npy", SM_NPY_F32, 1, c, 0, e->ppg_lambda, err);
        if (st == SM_OK) st = put(e, "ppg_alpha.npy", SM_NPY_F32, 1, c, 0, e->ppg_alpha, err);
        if (st == SM_OK)
            st = put(e, "ppg_posterior_test.npy", SM_NPY_F32, 2, nt, c, e->ppg_post, err);
        if (st == SM_OK) st = put(e, "ppg_zhat_test.npy", SM_NPY_F32, 1, nt, 0, e->ppg_zhat, err);
    }
    return st;
}

void cli_export_free(cli_export *e)
{
    free(e->pre);
    free(e->post);
    free(e->w);
    free(e->pathway);
    free(e->se);
    free(e->se_mask);
    for (int k = 0; k < e->n_snap; k++) {
        free(e->snap_pre[k]);
        free(e->snap_post[k]);
        free(e->snap_w[k]);
    }
    free(e->snap_pre);
    free(e->snap_post);
    free(e->snap_w);
    free(e->snap_event);
    free(e->snap_n);
    free(e->ip_h);
    free(e->ip_g);
    free(e->fit);
    free(e->test);
    free(e->fit_y);
    free(e->test_y);
    for (int l = 0; l < SM_SGSNN_MAX_LAYERS; l++) {
        free(e->lw[l]);
        free(e->lb[l]);
        free(e->lm[l]);
    }
    free(e->dc_w);
    free(e->dc_theta);
    free(e->ppg_w);
    free(e->ppg_lambda);
    free(e->ppg_alpha);
    free(e->ppg_post);
    free(e->ppg_zhat);
    for (int k = 0; k < e->n_arr; k++)
        free(e->arr[k].data);
    const char *dir = e->dir;
    const int created = e->created;
    memset(e, 0, sizeof *e);
    e->dir = dir;
    e->created = created;
}

/* ---- somnus run --weights DIR ---- */

/* dir/name read as a vector of n values of `dtype`; NULL (err set, naming the file) if
 * it cannot be read or has another dtype or shape. */
static sm_npy_array *read_vector(const char *dir, const char *name, sm_npy_dtype dtype, int64_t n,
                                 sm_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sm_npy_array *a = sm_npy_read(path, err);
    if (!a) return NULL;
    if (a->dtype != dtype) {
        sm_error_set(err, SM_EFORMAT, "%s: dtype %s, expected %s (as somnus train --export writes)",
                     path, sm_npy_dtype_descr(a->dtype), sm_npy_dtype_descr(dtype));
    } else if (a->ndim != 1 || a->shape[0] != (size_t)n) {
        char shape[64] = "()";
        if (a->ndim == 1)
            snprintf(shape, sizeof shape, "(%zu,)", a->shape[0]);
        else if (a->ndim >= 2)
            snprintf(shape, sizeof shape, "(%zu, %zu%s)", a->shape[0], a->shape[1],
                     a->ndim > 2 ? ", ..." : "");
        sm_error_set(err, SM_EINVAL,
                     "%s: shape %s, but this network has %lld synapses (not the trained "
                     "network: run with the training's config, --config RESULTS.json)",
                     path, shape, (long long)n);
    } else
        return a;
    sm_npy_destroy(a);
    return NULL;
}

sm_status cli_weights_load(const char *dir, sm_net *net, sm_error *err)
{
    const int64_t n = net->n_syn;
    sm_npy_array *pre = read_vector(dir, "weights_pre.npy", SM_NPY_I32, n, err);
    sm_npy_array *post = pre ? read_vector(dir, "weights_post.npy", SM_NPY_I32, n, err) : NULL;
    sm_npy_array *path = post ? read_vector(dir, "weights_pathway.npy", SM_NPY_U8, n, err) : NULL;
    sm_npy_array *w = path ? read_vector(dir, "weights.npy", SM_NPY_F32, n, err) : NULL;
    /* (read_vector's status is in err; without err a failed read is SM_EINVAL) */
    sm_status st = SM_EINVAL;
    if (pre && post && path && w)
        st = SM_OK;
    else if (err && err->code != SM_OK)
        st = err->code;
    for (int g = 0; st == SM_OK && g < net->n_total; g++)
        for (int64_t s = net->row[g]; st == SM_OK && s < net->row[g + 1]; s++) {
            const int32_t a = ((const int32_t *)pre->data)[s], b = ((const int32_t *)post->data)[s];
            const int p = ((const uint8_t *)path->data)[s];
            const float x = ((const float *)w->data)[s];
            const int my_post = net->n_in + net->post[s];
            if (a != g || b != my_post)
                st = sm_error_set(err, SM_EINVAL,
                                  "%s/%s: synapse %lld connects %d -> %d, this network's %d -> %d "
                                  "(not the trained network: run with the training's config, "
                                  "--config RESULTS.json)",
                                  dir, a != g ? "weights_pre.npy" : "weights_post.npy",
                                  (long long)s, a, b, g, my_post);
            else if (p != net->pathway[s])
                st = sm_error_set(err, SM_EINVAL,
                                  "%s/weights_pathway.npy: synapse %lld (%d -> %d) is pathway %d, "
                                  "this network's is %s",
                                  dir, (long long)s, a, b, p, sm_pathway_name(net->pathway[s]));
            else if (!isfinite(x) || (p == SM_PATH_IE ? x > 0 : x < 0))
                st = sm_error_set(err, SM_EINVAL,
                                  "%s/weights.npy: synapse %lld (%s %d -> %d) has weight %g, not "
                                  "a finite weight of its pathway's sign",
                                  dir, (long long)s, sm_pathway_name(p), a, b, (double)x);
        }
    if (st == SM_OK && w) memcpy(net->w, w->data, (size_t)n * sizeof *net->w);
    sm_npy_destroy(pre);
    sm_npy_destroy(post);
    sm_npy_destroy(path);
    sm_npy_destroy(w);
    return st;
}
