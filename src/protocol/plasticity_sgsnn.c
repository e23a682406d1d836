/* The SG-SNN on an input- or label-plasticity stream (plasticity_protocol.h): I minibatches
 * per chunk with Adam or SAM, the configured sleep, resets and ReDo; after each chunk the
 * test and train accuracy, the diagnostics of both layers on the probe set and the fresh
 * reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sgsnn_probe.h"
#include "somnus/models/sgsnn_remedy.h"
#include "protocol/diag_columns.h"
#include "protocol/plasticity_protocol.h"
#include "protocol/plasticity_stream.h"
#include "protocol/train_sgsnn.h"

/* What training on one chunk measured. */
typedef struct chunk_stats {
    double loss;                            /* mean of the minibatch losses (first pass with SAM) */
    double gnorm_mean[SM_SGSNN_MAX_LAYERS]; /* ||dL/dW|| per layer, mean over the minibatches */
    double gnorm_max[SM_SGSNN_MAX_LAYERS];  /* and max */
    double sam_g[2];                        /* SAM: mean ||g|| and ||g'|| over the scope */
    int sleep_passes;
} chunk_stats;

/* sum |W| over every layer (the triggered sleep's measure). */
static double sum_abs_all(const sm_sgsnn *net)
{
    double w[SM_SGSNN_MAX_LAYERS], s = 0;
    sm_sgsnn_sum_abs_w(net, w);
    for (int l = 0; l < sm_sgsnn_n_layers(net); l++)
        s += w[l];
    return s;
}

/* A trainer: the network, SAM's buffers and the counters that span chunks. */
typedef struct trainer {
    sm_sgsnn *net;
    sm_sgsnn_sam *sam; /* NULL: plain Adam */
    long minibatches;
    double w0; /* sum |W| at creation (triggered sleep) */
} trainer;

static sm_status trainer_init(trainer *t, const sm_config *cfg, const sm_sgsnn_params *p,
                              sm_error *err)
{
    memset(t, 0, sizeof *t);
    t->net = sm_sgsnn_create(p, err);
    if (!t->net) return err ? err->code : SM_ENOMEM;
    t->w0 = sum_abs_all(t->net);
    if (cfg->sgrem.optimizer == SM_SG_SAM) {
        t->sam = sm_sgsnn_sam_create(t->net, cfg->sgrem.sam_rho,
                                     cfg->sgrem.sam_scope == SM_SAM_HIDDEN, err);
        if (!t->sam) return err ? err->code : SM_ENOMEM;
    }
    return SM_OK;
}

static void trainer_free(trainer *t)
{
    sm_sgsnn_sam_destroy(t->sam);
    sm_sgsnn_destroy(t->net);
}

static double frob(const float *w, size_t n)
{
    return sm_diag_frobenius(w, n);
}

/* The sleep of sgsnn.sleep_mode after a chunk (epoch and triggered modes: a chunk is an
 * epoch). Returns the passes run. */
static int chunk_sleep(trainer *t, const sm_sgsnn_params *p, int k)
{
    if (p->sleep_mode == SM_SGSNN_SLEEP_EPOCH) {
        sm_rng_words w = sm_rng_block(p->seed, SM_STREAM_PLASTICITY, 0, sm_pl_key(SM_PL_SLEEP, k));
        if (sm_u01(w.w[0]) < p->sleep_rate) return sm_sgsnn_sleep_phase(t->net, p->sleep_max_iters);
    } else if (p->sleep_mode == SM_SGSNN_SLEEP_TRIGGERED) {
        if (sum_abs_all(t->net) > p->sleep_trigger * t->w0)
            return sm_sgsnn_sleep_phase(t->net, p->sleep_max_iters);
    }
    return 0;
}

/* I minibatches on `set`, in an order shuffled from (seed, chunk) and reshuffled after
 * each pass; `salt` tells the fresh network's order from the main one's. */
static sm_status train_chunk(trainer *t, const sm_pl_set *set, int iters, int k, uint32_t salt,
                             chunk_stats *cs, sm_error *err)
{
    const sm_sgsnn_params *p = sm_sgsnn_get_params(t->net);
    const int B = p->batch_size < set->n ? p->batch_size : set->n, D = set->d;
    int *order = malloc((size_t)set->n * sizeof *order), *yb = malloc((size_t)B * sizeof *yb);
    float *xb = malloc((size_t)B * D * sizeof *xb);
    memset(cs, 0, sizeof *cs);
    if (!order || !yb || !xb) {
        free(order);
        free(yb);
        free(xb);
        return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    }
    for (int i = 0; i < set->n; i++)
        order[i] = i;
    sm_rng r;
    sm_rng_init(&r, p->seed ^ salt, SM_STREAM_PLASTICITY, sm_pl_key(SM_PL_ORDER, k));
    sm_rng_shuffle(&r, order, set->n);
    const long period =
        p->sleep_mode == SM_SGSNN_SLEEP_PUBLISHED ? sm_sgsnn_sleep_period(p->sleep_rate) : 0;
    sm_status st = SM_OK;
    int pos = 0;
    double loss_sum = 0;
    for (int it = 0; it < iters && st == SM_OK; it++) {
        if (pos + B > set->n) { /* a pass ended: reshuffle, start over */
            sm_rng_shuffle(&r, order, set->n);
            pos = 0;
        }
        for (int b = 0; b < B; b++) {
            memcpy(xb + (size_t)b * D, set->x + (size_t)order[pos + b] * D, (size_t)D * sizeof *xb);
            yb[b] = set->y[order[pos + b]];
        }
        pos += B;
        double loss = 0, g[2] = {0, 0};
        const int L = sm_sgsnn_n_layers(t->net);
        if (t->sam) {
            st = sm_sgsnn_sam_step(t->sam, xb, yb, B, &loss, NULL, g, err);
            cs->sam_g[0] += g[0] / iters;
            cs->sam_g[1] += g[1] / iters;
        } else {
            st = sm_sgsnn_backprop(t->net, xb, yb, B, &loss, NULL, err);
        }
        if (st != SM_OK) break;
        for (int l = 0; l < L; l++) { /* the gradient the step used */
            sm_sgsnn_layer gv = sm_sgsnn_get_grad(t->net, l);
            double n = frob(gv.w, (size_t)gv.rows * gv.cols);
            cs->gnorm_mean[l] += n / iters;
            if (n > cs->gnorm_max[l]) cs->gnorm_max[l] = n;
        }
        if (!t->sam) sm_sgsnn_adam_step(t->net);
        loss_sum += loss;
        t->minibatches++;
        if (period > 0 && t->minibatches % period == 0) {
            st = sm_sgsnn_sleep_pass(t->net, err);
            cs->sleep_passes++;
        }
    }
    cs->loss = loss_sum / iters;
    if (st == SM_OK) cs->sleep_passes += chunk_sleep(t, p, k);
    free(order);
    free(yb);
    free(xb);
    return st;
}

/* Accuracy on an evenly strided subset of at most m images of `set`. */
static sm_status subset_accuracy(sm_sgsnn *net, const sm_pl_set *set, int m, double *acc,
                                 sm_error *err)
{
    const int n = m < set->n ? m : set->n;
    float *x = malloc((size_t)(n > 0 ? n : 1) * set->d * sizeof *x);
    int *y = malloc((size_t)(n > 0 ? n : 1) * sizeof *y);
    sm_status st = x && y ? SM_OK : sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    for (int a = 0; a < n && st == SM_OK; a++) {
        const int i = (int)((int64_t)a * set->n / n);
        memcpy(x + (size_t)a * set->d, set->x + (size_t)i * set->d, (size_t)set->d * sizeof *x);
        y[a] = set->y[i];
    }
    if (st == SM_OK) st = sm_sgsnn_evaluate(net, x, y, n, acc, NULL, err);
    free(x);
    free(y);
    return st;
}

/* --export: the last probe counts and every due chunk's singular values, per layer. */
static void export_arrays(sm_train_run_ctx *r, sm_sgsnn *net, int n_probe, float *const *counts,
                          double *const *sv, int K)
{
    const int L = sm_sgsnn_n_layers(net);
    for (int l = 0; l < L && r->array_fn; l++) {
        char name[64], ln[24];
        const int H = sm_diag_sgsnn_neurons(net, l);
        const int rk = n_probe < H ? n_probe : H;
        sm_diag_sgsnn_layer_name(l, L, ln, sizeof ln);
        snprintf(name, sizeof name, "probe_counts_%s", ln);
        r->array_fn(r->array_ctx, name, 0, (size_t)n_probe, (size_t)H, counts[l]);
        snprintf(name, sizeof name, "singular_values_%s", ln);
        r->array_fn(r->array_ctx, name, 1, (size_t)K + 1, (size_t)rk, sv[l]);
    }
}

/* Weight, update and gradient norms of every layer (diag_columns.h); w_start (may be NULL)
 * = the weights at the chunk's start, cs (may be NULL) = the chunk's training; SAM's two
 * gradient norms. */
static void norm_cols(json_t *tab, sm_sgsnn *net, float *const *w_start, const chunk_stats *cs)
{
    sm_diag_sgsnn_norm_cols(tab, net, w_start, cs ? cs->gnorm_mean : NULL,
                            cs ? cs->gnorm_max : NULL);
    sm_train_col_add(tab, "diag_sam_grad_norm", sm_train_real(cs ? cs->sam_g[0] : NAN));
    sm_train_col_add(tab, "diag_sam_grad_norm_perturbed", sm_train_real(cs ? cs->sam_g[1] : NAN));
}

/* Accuracy of a fresh network (own seed from (seed, chunk)) trained on chunk k alone. */
static sm_status fresh_accuracy(const sm_config *cfg, const sm_sgsnn_params *p0, int k,
                                const sm_pl_set *train, const sm_pl_set *test, double *acc,
                                sm_error *err)
{
    sm_sgsnn_params p = *p0;
    sm_rng_words w = sm_rng_block(p0->seed, SM_STREAM_PLASTICITY, 0, sm_pl_key(SM_PL_FRESH, k));
    p.seed = (uint64_t)w.w[0] << 32 | w.w[1];
    trainer t;
    chunk_stats cs;
    sm_status st = trainer_init(&t, cfg, &p, err);
    if (st == SM_OK)
        st = train_chunk(&t, train, cfg->protocol.iters_per_chunk, k, 0x5eed, &cs, err);
    if (st == SM_OK) st = sm_sgsnn_evaluate(t.net, test->x, test->y, test->n, acc, NULL, err);
    trainer_free(&t);
    return st;
}

static int fresh_due(const sm_config *cfg, int k)
{
    const int K = cfg->protocol.chunks;
    if (cfg->protocol.fresh == SM_FRESH_EVERY) return 1;
    return cfg->protocol.fresh == SM_FRESH_ENDS && (k == 1 || k == K);
}

/* Resets and ReDo after chunk k (after its evaluation and diagnostics). */
static int remedies(const sm_config *cfg, trainer *t, int k, const float *ch, int n_probe,
                    int *n_redo)
{
    const int K = cfg->protocol.chunks, r = cfg->sgrem.reset_every;
    const int L = sm_sgsnn_n_layers(t->net);
    const uint64_t seed = sm_sgsnn_get_params(t->net)->seed;
    int reset = 0;
    if (r > 0 && (k - 1) % r == 0 && k < K) {
        /* the head (output layer) is redrawn; every other layer too with `all`, else it is
         * shrunk and perturbed. Keys: 2k for the output layer and 2k + 1 for layer 0 (as
         * with one hidden layer), bit 23 | 8k + l for the middle layers l */
        const int all = cfg->sgrem.reset_layers == SM_RESET_ALL;
        sm_sgsnn_reinit_layer(t->net, L - 1, 0.0, seed, sm_pl_key(SM_PL_RESET, 2 * k));
        for (int l = 0; l < L - 1; l++) {
            const int key = l == 0 ? 2 * k + 1 : 0x800000 | (SM_SGSNN_MAX_LAYERS * k + l);
            sm_sgsnn_reinit_layer(t->net, l, all ? 0.0 : cfg->sgrem.shrink_alpha, seed,
                                  sm_pl_key(SM_PL_RESET, key));
        }
        reset = 1;
    }
    *n_redo = cfg->sgrem.redo_tau > 0 ? sm_sgsnn_redo(t->net, ch, n_probe, cfg->sgrem.redo_tau,
                                                      seed, sm_pl_key(SM_PL_REDO, k))
                                      : 0;
    return reset;
}

typedef struct row {
    int k;
    double acc, train_acc, loss, acc_fresh, wall;
    int sleep_passes, reset, redo;
} row;

static void add_row(json_t *tab, const sm_pl_stream *s, const row *w)
{
    sm_train_col_add(tab, "chunk", json_integer(w->k));
    /* the transform's id: the chunk whose permutation, labelling or cut is in force */
    sm_train_col_add(tab, "transform", json_integer(w->k < 1 ? 1 : w->k));
    (void)s;
    sm_train_col_add(tab, "acc", sm_train_real(w->acc));
    sm_train_col_add(tab, "train_acc", sm_train_real(w->train_acc));
    sm_train_col_add(tab, "loss", sm_train_real(w->loss));
    sm_train_col_add(tab, "acc_fresh", sm_train_real(w->acc_fresh));
    sm_train_col_add(tab, "pr", sm_train_real(w->acc / w->acc_fresh));
    sm_train_col_add(tab, "wall_s", json_real(w->wall));
    sm_train_col_add(tab, "sleep_passes", json_integer(w->sleep_passes));
    sm_train_col_add(tab, "reset", json_integer(w->reset));
    sm_train_col_add(tab, "redo_neurons", json_integer(w->redo));
}

/* Everything one chunk needs, built and freed together. */
typedef struct chunk_data {
    sm_pl_set train, test, probe;
} chunk_data;

static void chunk_data_free(chunk_data *c)
{
    sm_pl_set_free(&c->train);
    sm_pl_set_free(&c->test);
    sm_pl_set_free(&c->probe);
}

static sm_status chunk_data_build(const sm_pl_stream *s, int k, chunk_data *c, sm_error *err)
{
    memset(c, 0, sizeof *c);
    sm_status st = sm_pl_chunk_train(s, k, &c->train, err);
    if (st == SM_OK) st = sm_pl_chunk_test(s, k, &c->test, err);
    if (st == SM_OK) st = sm_pl_chunk_probe(s, k, &c->probe, err);
    if (st != SM_OK) chunk_data_free(c);
    return st;
}

sm_status sm_pl_run_sgsnn(const sm_config *cfg, const sm_pl_stream *s, const sm_train_data *data,
                          sm_train_run_ctx *r, json_t *tab, json_t *fin, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_sgsnn_params p;
    sm_train_sgsnn_params(cfg, data, &p);
    const int K = cfg->protocol.chunks, I = cfg->protocol.iters_per_chunk;
    trainer t;
    sm_status st = trainer_init(&t, cfg, &p, err);
    const int L = st == SM_OK ? sm_sgsnn_n_layers(t.net) : 0;
    float *counts[SM_SGSNN_MAX_LAYERS] = {NULL}, *w_start[SM_SGSNN_MAX_LAYERS] = {NULL};
    double *sv[SM_SGSNN_MAX_LAYERS] = {NULL}; /* (K + 1) x min(n_probe, H_l), NaN if not due */
    int rank[SM_SGSNN_MAX_LAYERS] = {0};
    double *acc = calloc((size_t)K + 1, sizeof *acc), *pr = calloc((size_t)K + 1, sizeof *pr);
    int ok = acc && pr;
    for (int l = 0; l < L; l++) {
        const sm_sgsnn_layer v = sm_sgsnn_get_layer(t.net, l);
        const int H = sm_diag_sgsnn_neurons(t.net, l);
        counts[l] = malloc((size_t)s->n_probe * H * sizeof(float));
        w_start[l] = malloc((size_t)v.rows * v.cols * sizeof(float));
        rank[l] = s->n_probe < H ? s->n_probe : H;
        sv[l] = malloc(((size_t)K + 1) * rank[l] * sizeof(double));
        ok = ok && counts[l] && w_start[l] && sv[l];
        for (size_t i = 0; sv[l] && i < ((size_t)K + 1) * rank[l]; i++)
            sv[l][i] = NAN;
    }
    if (st == SM_OK && !ok) st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    r->prog = (sm_train_progress){"train", 0, (int64_t)K * I, 0, K, NAN};
    const double t0 = sm_train_now();
    for (int k = 0; k <= K && st == SM_OK; k++) {
        chunk_data c;
        st = chunk_data_build(s, k < 1 ? 1 : k, &c, err);
        if (st != SM_OK) break;
        row w = {k, NAN, NAN, NAN, NAN, 0, 0, 0, 0};
        chunk_stats cs = {0};
        for (int l = 0; l < L; l++) {
            sm_sgsnn_layer v = sm_sgsnn_get_layer(t.net, l);
            memcpy(w_start[l], v.w, (size_t)v.rows * v.cols * sizeof(float));
        }
        if (k >= 1) {
            st = train_chunk(&t, &c.train, I, k, 0, &cs, err);
            w.loss = cs.loss;
            w.sleep_passes = cs.sleep_passes;
        }
        if (st == SM_OK)
            st = sm_sgsnn_evaluate(t.net, c.test.x, c.test.y, c.test.n, &w.acc, NULL, err);
        if (st == SM_OK)
            st = subset_accuracy(t.net, &c.train, cfg->diag.n_train_acc, &w.train_acc, err);
        const int due = cfg->diag.every > 0 && (k % cfg->diag.every == 0 || k == K);
        sm_diag_layer d[SM_SGSNN_MAX_LAYERS];
        memset(d, 0, sizeof d);
        double *svk[SM_SGSNN_MAX_LAYERS];
        for (int l = 0; l < L; l++)
            svk[l] = sv[l] + (size_t)k * rank[l];
        if (st == SM_OK && (due || (k >= 1 && cfg->sgrem.redo_tau > 0)))
            st = sm_diag_sgsnn_probe(t.net, c.probe.x, c.probe.n, cfg->diag.saturation,
                                     cfg->diag.srank_delta, counts, d, due ? svk : NULL, err);
        double starved = NAN;
        if (st == SM_OK && due && cfg->diag.grad_starved)
            st = sm_diag_sgsnn_grad_starved(t.net, c.probe.x, c.probe.y, c.probe.n, &starved, err);
        if (st == SM_OK && k >= 1 && fresh_due(cfg, k))
            st = fresh_accuracy(cfg, &p, k, &c.train, &c.test, &w.acc_fresh, err);
        if (st == SM_OK && k >= 1) w.reset = remedies(cfg, &t, k, counts[0], c.probe.n, &w.redo);
        chunk_data_free(&c);
        if (st != SM_OK) break;
        w.wall = sm_train_now() - t0;
        acc[k] = w.acc;
        pr[k] = w.acc / w.acc_fresh;
        add_row(tab, s, &w);
        sm_diag_sgsnn_cols(tab, due ? d : NULL, L);
        if (cfg->diag.grad_starved)
            sm_train_col_add(tab, "diag_hidden_grad_starved", sm_train_real(starved));
        norm_cols(tab, t.net, k >= 1 ? w_start : NULL, k >= 1 ? &cs : NULL);
        r->prog.batch = k;
        r->prog.done = (int64_t)k * I;
        r->prog.last_accuracy = w.acc;
        if (sm_train_report(r))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    if (st == SM_OK) sm_pl_final_json(fin, acc, pr, K);
    if (st == SM_OK && r->sgsnn_final_fn) r->sgsnn_final_fn(r->sgsnn_final_ctx, t.net);
    if (st == SM_OK) export_arrays(r, t.net, s->n_probe, counts, sv, K);
    for (int l = 0; l < L; l++) {
        free(counts[l]);
        free(w_start[l]);
        free(sv[l]);
    }
    free(acc);
    free(pr);
    trainer_free(&t);
    return st;
}
