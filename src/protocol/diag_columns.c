/* The loss-of-plasticity diagnostics as table columns (diag_columns.h): one place for
 * the probe set and the columns, so the protocols and plain train runs report the same
 * quantities under the same names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/models/sgsnn_probe.h"
#include "protocol/diag_columns.h"
#include "protocol/train_common.h"

int *sm_diag_probe_indices(const sm_dataset *val, int C, int want, uint64_t seed, int *n_out)
{
    int *order = malloc((size_t)(val->n > 0 ? val->n : 1) * sizeof *order);
    int *out = malloc((size_t)(want > 0 ? want : 1) * sizeof *out);
    int *used = calloc((size_t)(val->n > 0 ? val->n : 1), sizeof *used);
    if (!order || !out || !used) {
        free(order);
        free(out);
        free(used);
        return NULL;
    }
    for (int i = 0; i < val->n; i++)
        order[i] = i;
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_PLASTICITY, SM_DIAG_PROBE_KEY);
    sm_rng_shuffle(&r, order, val->n);
    int n = 0, progress = 1;
    while (n < want && progress) { /* one image of each class per round */
        progress = 0;
        for (int c = 0; c < C && n < want; c++)
            for (int i = 0; i < val->n; i++)
                if (!used[i] && val->labels[order[i]] == c) {
                    used[i] = 1;
                    out[n++] = order[i];
                    progress = 1;
                    break;
                }
    }
    free(order);
    free(used);
    *n_out = n;
    return out;
}

void sm_diag_cols(json_t *tab, const char *layer, const sm_diag_layer *d)
{
    static const char *const NAMES[9] = {"silent",    "dormant_0.025", "dormant_0.1",
                                         "saturated", "srank",         "srank_frac",
                                         "erank",     "erank_frac",    "feature_norm"};
    const double v[9] = {
        d ? d->silent : NAN,    d ? d->dormant_025 : NAN,  d ? d->dormant_1 : NAN,
        d ? d->saturated : NAN, d ? d->srank : NAN,        d ? d->srank / d->H : NAN,
        d ? d->erank : NAN,     d ? d->erank / d->H : NAN, d ? d->feature_norm : NAN};
    for (int k = 0; k < 9; k++) {
        char key[96];
        snprintf(key, sizeof key, "diag_%s_%s", layer, NAMES[k]);
        sm_train_col_add(tab, key, sm_train_real(v[k]));
    }
}

void sm_diag_sgsnn_layer_name(int layer, int L, char *buf, size_t size)
{
    if (layer == L - 1)
        snprintf(buf, size, "output");
    else if (layer == 0)
        snprintf(buf, size, "hidden");
    else
        snprintf(buf, size, "hidden%d", layer + 1);
}

int sm_diag_sgsnn_neurons(sm_sgsnn *net, int l)
{
    return l == 0 ? sm_sgsnn_get_params(net)->n_hidden : sm_sgsnn_get_layer(net, l).rows;
}

sm_status sm_diag_sgsnn_probe(sm_sgsnn *net, const float *x, int n, double saturation, double delta,
                              float *const *counts, sm_diag_layer *d, double *const *sv,
                              sm_error *err)
{
    const int T = sm_sgsnn_get_params(net)->steps;
    sm_status st = sm_sgsnn_probe_counts_all(net, x, n, counts, err);
    for (int l = 0; l < sm_sgsnn_n_layers(net) && st == SM_OK; l++)
        st = sm_diag_layer_compute(counts[l], n, sm_diag_sgsnn_neurons(net, l), T, saturation,
                                   delta, &d[l], sv ? sv[l] : NULL, err);
    return st;
}

void sm_diag_sgsnn_cols(json_t *tab, const sm_diag_layer *d, int L)
{
    for (int l = 0; l < L; l++) {
        char ln[24];
        sm_diag_sgsnn_layer_name(l, L, ln, sizeof ln);
        sm_diag_cols(tab, ln, d ? &d[l] : NULL);
    }
}

static void norm_col(json_t *tab, int layer, int L, const char *name, double v)
{
    char key[96], ln[24];
    sm_diag_sgsnn_layer_name(layer, L, ln, sizeof ln);
    snprintf(key, sizeof key, "diag_%s_%s", ln, name);
    sm_train_col_add(tab, key, sm_train_real(v));
}

void sm_diag_sgsnn_norm_cols(json_t *tab, sm_sgsnn *net, float *const *w_start, const double *gmean,
                             const double *gmax)
{
    const int L = sm_sgsnn_n_layers(net);
    for (int l = 0; l < L; l++) {
        sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        const size_t n = (size_t)v.rows * v.cols;
        double sum_abs = 0, upd = NAN, w0n = NAN;
        for (size_t i = 0; i < n; i++)
            sum_abs += fabs((double)v.w[i]);
        if (w_start) {
            double q = 0;
            for (size_t i = 0; i < n; i++) {
                double d = (double)v.w[i] - w_start[l][i];
                q += d * d;
            }
            upd = sqrt(q);
            w0n = sm_diag_frobenius(w_start[l], n);
        }
        norm_col(tab, l, L, "w_norm", sm_diag_frobenius(v.w, n));
        norm_col(tab, l, L, "w_mean_abs", sum_abs / (double)n);
        norm_col(tab, l, L, "sum_abs_w", sum_abs);
        norm_col(tab, l, L, "b_norm", sm_diag_frobenius(v.b, (size_t)v.rows));
        norm_col(tab, l, L, "update_norm", upd);
        norm_col(tab, l, L, "update_ratio", w0n > 0 ? upd / w0n : NAN);
        norm_col(tab, l, L, "grad_norm_mean", gmean ? gmean[l] : NAN);
        norm_col(tab, l, L, "grad_norm_max", gmax ? gmax[l] : NAN);
    }
}

sm_status sm_diag_sgsnn_grad_starved(sm_sgsnn *net, const float *x, const int *y, int n,
                                     double *frac, sm_error *err)
{
    const sm_sgsnn_layer g = sm_sgsnn_get_grad(net, 0);
    const int B = sm_sgsnn_get_params(net)->batch_size, U = g.rows, D = g.cols;
    const int d = sm_sgsnn_get_params(net)->n_in;
    double *acc = calloc((size_t)U * D, sizeof *acc);
    if (!acc) return sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    sm_status st = SM_OK;
    for (int a = 0; a < n && st == SM_OK; a += B) {
        const int nb = n - a < B ? n - a : B;
        st = sm_sgsnn_backprop(net, x + (size_t)a * d, y + a, nb, NULL, NULL, err);
        for (size_t i = 0; st == SM_OK && i < (size_t)U * D; i++)
            acc[i] += (double)g.w[i] * nb / n;
    }
    if (st == SM_OK) *frac = sm_diag_starved_fraction(acc, U, D);
    free(acc);
    return st;
}

/* Columns c0..c1 of rows (n x n_all) as an n x (c1 - c0) matrix. */
static float *columns(const float *rows, int n, int n_all, int c0, int c1)
{
    const int w = c1 - c0;
    float *f = malloc((size_t)(n > 0 ? n : 1) * (w > 0 ? w : 1) * sizeof *f);
    for (int a = 0; f && a < n; a++)
        memcpy(f + (size_t)a * w, rows + (size_t)a * n_all + c0, (size_t)w * sizeof *f);
    return f;
}

sm_status sm_diag_stdp_pops(const float *rows, int n, int n_all, int n_exc, int T,
                            double saturation, double delta, sm_diag_layer pop[2], sm_error *err)
{
    float *e = columns(rows, n, n_all, 0, n_exc);
    float *in = columns(rows, n, n_all, n_exc, n_all);
    sm_status st = e && in ? SM_OK : sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    if (st == SM_OK)
        st = sm_diag_layer_compute(e, n, n_exc, T, saturation, delta, &pop[0], NULL, err);
    if (st == SM_OK && n_all > n_exc)
        st = sm_diag_layer_compute(in, n, n_all - n_exc, T, saturation, delta, &pop[1], NULL, err);
    free(e);
    free(in);
    return st;
}

void sm_diag_stdp_pop_cols(json_t *tab, const sm_diag_layer *pop, int have_i)
{
    sm_diag_cols(tab, "E", pop ? &pop[0] : NULL);
    sm_diag_cols(tab, "I", pop && have_i ? &pop[1] : NULL);
}

void sm_diag_stdp_pathway_sums(const sm_sim *sim, double *sum)
{
    const sm_net *net = sim->net;
    for (int p = 0; p < SM_N_PATHS; p++)
        sum[p] = 0;
    for (int64_t s = 0; s < net->n_syn; s++)
        sum[net->pathway[s]] += fabs((double)net->w[s]);
}

void sm_diag_stdp_bound_cols(json_t *tab, const sm_sim *sim, const double *sum0)
{
    const sm_net *net = sim->net;
    const sm_monitor *m = sim->mon;
    int64_t n[SM_N_PATHS] = {0}, at[SM_N_PATHS] = {0}, near[SM_N_PATHS] = {0};
    double sum[SM_N_PATHS] = {0};
    for (int64_t s = 0; s < net->n_syn; s++) {
        const int p = net->pathway[s], b = p == SM_PATH_IE;
        const float w = net->w[s], lo = m->bound_lo[b], hi = m->bound_hi[b];
        n[p]++;
        at[p] += sm_diag_at_bound(w, lo, hi);
        near[p] += sm_diag_near_bound(w, lo, hi);
        sum[p] += fabs((double)w);
    }
    for (int p = 0; p < SM_N_PATHS; p++) {
        char key[64];
        const char *pn = sm_pathway_name(p);
        snprintf(key, sizeof key, "diag_%s_frac_at_bound", pn);
        sm_train_col_add(tab, key, sm_train_real(n[p] ? (double)at[p] / n[p] : NAN));
        snprintf(key, sizeof key, "diag_%s_frac_near_bound", pn);
        sm_train_col_add(tab, key, sm_train_real(n[p] ? (double)near[p] / n[p] : NAN));
        snprintf(key, sizeof key, "diag_%s_sum_abs_ratio", pn);
        sm_train_col_add(tab, key, sm_train_real(sum0 && sum0[p] > 0 ? sum[p] / sum0[p] : NAN));
    }
}

sm_status sm_diag_tensor_init(sm_diag_tensor *t, size_t n, sm_error *err)
{
    memset(t, 0, sizeof *t);
    t->prev = malloc((n > 0 ? n : 1) * sizeof *t->prev);
    if (!t->prev) return sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    t->n = n;
    return SM_OK;
}

static void tensor_col(json_t *tab, const char *name, const char *what, double v)
{
    char key[96];
    snprintf(key, sizeof key, "diag_%s_%s", name, what);
    sm_train_col_add(tab, key, sm_train_real(v));
}

void sm_diag_tensor_cols(json_t *tab, const char *name, sm_diag_tensor *t, const double *w,
                         double lo, double hi)
{
    double sq = NAN, upd = NAN, prev_sq = 0, at = NAN, near = NAN;
    if (w) {
        int64_t n_at = 0, n_near = 0;
        sq = 0;
        double d2 = 0;
        for (size_t k = 0; k < t->n; k++) {
            const double q = t->have_prev ? t->prev[k] : 0;
            sq += w[k] * w[k];
            prev_sq += q * q;
            d2 += (w[k] - q) * (w[k] - q);
            n_at += sm_diag_at_bound(w[k], lo, hi);
            n_near += sm_diag_near_bound(w[k], lo, hi);
        }
        upd = t->have_prev ? sqrt(d2) : NAN;
        at = t->n ? (double)n_at / t->n : NAN;
        near = t->n ? (double)n_near / t->n : NAN;
    }
    tensor_col(tab, name, "weight_norm", w ? sqrt(sq) : NAN);
    tensor_col(tab, name, "update_norm", upd);
    tensor_col(tab, name, "update_ratio", prev_sq > 0 ? upd / sqrt(prev_sq) : NAN);
    if (lo < hi) {
        tensor_col(tab, name, "frac_at_bound", at);
        tensor_col(tab, name, "frac_near_bound", near);
    }
    if (w) {
        memcpy(t->prev, w, t->n * sizeof *w);
        t->have_prev = 1;
    }
}

void sm_diag_tensor_free(sm_diag_tensor *t)
{
    free(t->prev);
    memset(t, 0, sizeof *t);
}

sm_status sm_diag_iid_init(sm_diag_iid *p, const sm_config *cfg, const sm_dataset *val,
                           sm_sgsnn *net, sm_error *err)
{
    memset(p, 0, sizeof *p);
    if (!cfg->diag.iid) return SM_OK;
    if (!val || val->n < 1)
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid: the diagnostics' probe set is drawn from the validation "
                            "split, which is empty (set data.n_val)");
    if (cfg->diag.grad_starved && !net)
        return sm_error_set(err, SM_EINVAL,
                            "diag.grad_starved: only the SG-SNN has gradients (set it to 0 for "
                            "this model)");
    if (cfg->diag.iid_every != 0 && cfg->train.model != SM_MODEL_DC)
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid_every: this model computes the diagnostics at each of its "
                            "evaluations; set train.eval_every to thin them (diag.iid_every is "
                            "for dc, theta and hopfield)");
    p->idx = sm_diag_probe_indices(val, val->n_classes, cfg->diag.n_probe, (uint64_t)cfg->run.seed,
                                   &p->n);
    if (!p->idx) return sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    if (!net) return SM_OK;
    const size_t d = (size_t)val->width * val->height;
    p->x = malloc((size_t)(p->n > 0 ? p->n : 1) * (d > 0 ? d : 1) * sizeof *p->x);
    int ok = p->x != NULL;
    p->y = malloc((size_t)(p->n > 0 ? p->n : 1) * sizeof *p->y);
    ok = ok && p->y;
    for (int a = 0; ok && a < p->n; a++) {
        memcpy(p->x + (size_t)a * d, sm_dataset_image(val, p->idx[a]), d * sizeof *p->x);
        p->y[a] = val->labels[p->idx[a]];
    }
    p->L = sm_sgsnn_n_layers(net);
    for (int l = 0; l < p->L; l++) {
        const int H = sm_diag_sgsnn_neurons(net, l);
        const sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
        p->counts[l] = malloc((size_t)(p->n > 0 ? p->n : 1) * (H > 0 ? H : 1) * sizeof(float));
        p->w_prev[l] = malloc((size_t)v.rows * v.cols * sizeof(float));
        ok = ok && p->counts[l] && p->w_prev[l];
        if (ok) memcpy(p->w_prev[l], v.w, (size_t)v.rows * v.cols * sizeof(float));
    }
    sm_sgsnn_track_grad_norms(net, 1);
    if (!ok) {
        sm_diag_iid_free(p);
        return sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    }
    return SM_OK;
}

sm_status sm_diag_iid_sgsnn_row(sm_diag_iid *p, const sm_config *cfg, sm_sgsnn *net, int due,
                                const double *gmean, const double *gmax, json_t *tab, sm_error *err)
{
    if (p->n == 0) return SM_OK;
    const double t0 = sm_train_now();
    sm_diag_layer d[SM_SGSNN_MAX_LAYERS];
    memset(d, 0, sizeof d);
    sm_status st = SM_OK;
    if (due)
        st = sm_diag_sgsnn_probe(net, p->x, p->n, cfg->diag.saturation, cfg->diag.srank_delta,
                                 p->counts, d, NULL, err);
    if (st == SM_OK) sm_diag_sgsnn_cols(tab, due ? d : NULL, p->L);
    if (st == SM_OK && due) p->have = 1;
    double starved = NAN;
    if (st == SM_OK && due && cfg->diag.grad_starved)
        st = sm_diag_sgsnn_grad_starved(net, p->x, p->y, p->n, &starved, err);
    if (st == SM_OK && cfg->diag.grad_starved)
        sm_train_col_add(tab, "diag_hidden_grad_starved", sm_train_real(starved));
    if (st == SM_OK) {
        sm_diag_sgsnn_norm_cols(tab, net, p->w_prev, gmean, gmax);
        for (int l = 0; l < p->L; l++) {
            const sm_sgsnn_layer v = sm_sgsnn_get_layer(net, l);
            memcpy(p->w_prev[l], v.w, (size_t)v.rows * v.cols * sizeof(float));
        }
    }
    p->seconds += sm_train_now() - t0;
    return st;
}

void sm_diag_iid_sgsnn_export(const sm_diag_iid *p, sm_sgsnn *net, sm_train_array_fn fn, void *ctx)
{
    for (int l = 0; l < p->L && p->have && fn; l++) {
        char name[64], ln[24];
        sm_diag_sgsnn_layer_name(l, p->L, ln, sizeof ln);
        snprintf(name, sizeof name, "probe_counts_%s", ln);
        fn(ctx, name, 0, (size_t)p->n, (size_t)sm_diag_sgsnn_neurons(net, l), p->counts[l]);
    }
}

void sm_diag_iid_free(sm_diag_iid *p)
{
    free(p->idx);
    free(p->x);
    free(p->y);
    for (int l = 0; l < p->L; l++) {
        free(p->counts[l]);
        free(p->w_prev[l]);
    }
    memset(p, 0, sizeof *p);
}

int sm_diag_every(const sm_config *cfg, int n_probe)
{
    if (cfg->diag.iid_every > 0) return cfg->diag.iid_every;
    switch (cfg->train.model) {
    case SM_MODEL_DC: { /* a probe image costs about a training image */
        const long long b = cfg->data.batch > 0 ? cfg->data.batch : 1;
        const long long k = (20LL * n_probe + b - 1) / b;
        return k < 1 ? 1 : (k > (1 << 20) ? 1 << 20 : (int)k);
    }
    case SM_MODEL_THETA: return 3;
    case SM_MODEL_HOPFIELD: return 4;
    default: return 1;
    }
}
