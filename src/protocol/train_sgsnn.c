/* The SG-SNN baseline's training protocol: epochs of BPTT with the configured sleep
 * variant, validation after every train.eval_every epochs, test accuracy at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "somnus/io/checkpoint.h"
#include "somnus/io/results.h"
#include "somnus/models/sgsnn.h"
#include "protocol/diag_columns.h"
#include "protocol/train_sgsnn.h"

void sm_train_sgsnn_params(const sm_config *cfg, const sm_train_data *d, sm_sgsnn_params *p)
{
    sm_sgsnn_params_default(p);
    p->n_in = d->train->width * d->train->height;
    p->n_hidden = cfg->sgsnn.n_hidden;
    p->n_out = d->train->n_classes;
    p->steps = cfg->sgsnn.steps;
    p->beta = (float)cfg->sgsnn.beta;
    p->threshold = (float)cfg->sgsnn.threshold;
    p->surrogate = (sm_sgsnn_surrogate)cfg->sgsnn.surrogate;
    p->atan_alpha = (float)cfg->sgsnn.atan_alpha;
    p->sigmoid_slope = (float)cfg->sgsnn.sigmoid_slope;
    p->lr = (float)cfg->sgsnn.lr;
    p->batch_size = cfg->sgsnn.batch;
    p->epochs = cfg->sgsnn.epochs;
    p->seed = (uint64_t)cfg->run.seed;
    p->threads = cfg->run.threads;
    p->sleep_mode = (sm_sgsnn_sleep_mode)cfg->sgsnn.sleep_mode;
    p->sleep_rate = cfg->sleep.rate > 1 ? 1 : cfg->sleep.rate;
    p->sleep_steps = cfg->sgsnn.sleep_steps;
    p->sleep_noise_sd = (float)cfg->sgsnn.noise_sd;
    p->stdp_a_plus = (float)cfg->sgsnn.a_plus;
    p->stdp_a_minus = (float)cfg->sgsnn.a_minus;
    p->stdp_tau = (float)cfg->sgsnn.tau;
    p->stdp_lr = (float)cfg->sgsnn.stdp_lr;
    p->sleep_target = (float)cfg->sgsnn.target;
    p->sleep_lambda = (float)cfg->sgsnn.lambda;
    p->sleep_max_iters = cfg->sgsnn.max_iters;
    p->sleep_trigger = cfg->sgsnn.trigger;
    p->sleep_stop = cfg->sgsnn.stop;
    p->layer_norm = cfg->sgrem.norm;
    p->onoff = cfg->sgrem.unit;
    /* sgsnn.hidden (validated by the config) overrides sgsnn.n_hidden */
    int sizes[SM_CONFIG_SGSNN_MAX_HIDDEN];
    int nh = cfg->sgsnn.hidden[0]
                 ? sm_config_parse_sizes(cfg->sgsnn.hidden, sizes, SM_CONFIG_SGSNN_MAX_HIDDEN)
                 : 0;
    if (nh > 0) {
        p->n_hidden = sizes[0];
        p->n_extra_hidden = nh - 1;
        for (int i = 1; i < nh; i++)
            p->extra_hidden[i - 1] = sizes[i];
    }
    sm_sparse_params *q = &p->sparse;
    sm_sparse_params_default(q, p->epochs);
    q->method = cfg->sparse.method;
    q->scope = cfg->sparse.scope;
    q->init = cfg->sparse.init;
    q->regrow = cfg->sparse.regrow;
    q->init_density = cfg->sparse.init_density;
    q->final_density = cfg->sparse.final_density;
    q->start_epoch = cfg->sparse.start_epoch;
    q->end_epoch = cfg->sparse.end_epoch < 0 ? p->epochs / 2 : cfg->sparse.end_epoch;
    q->interval = cfg->sparse.interval;
    q->regrow_rate = cfg->sparse.regrow_rate;
    q->regrow_rate_min = cfg->sparse.regrow_rate_min;
    q->last_layer_density = cfg->sparse.last_layer_density;
}

_Static_assert(SM_CONFIG_SGSNN_MAX_HIDDEN == SM_SGSNN_MAX_LAYERS - 1,
               "sgsnn.hidden's limit matches the network's");

static double total(const double *a, int n)
{
    double s = a[0];
    for (int i = 1; i < n; i++)
        s += a[i];
    return s;
}

static void add_row(json_t *tab, const sm_sgsnn_epoch_stats *s, int64_t images, double wall,
                    int sparse)
{
    const double w = total(s->sum_abs_w, s->n_layers);
    const double w0 = total(s->sum_abs_w0, s->n_layers);
    char name[32];
    sm_train_col_add(tab, "batch", json_integer(s->epoch));
    sm_train_col_add(tab, "images", json_integer(images));
    sm_train_col_add(tab, "val_accuracy", sm_train_real(s->test_acc));
    sm_train_col_add(tab, "val_loss", sm_train_real(s->test_loss));
    sm_train_col_add(tab, "train_loss", sm_train_real(s->train_loss));
    sm_train_col_add(tab, "train_accuracy", sm_train_real(s->train_acc));
    for (int l = 0; l < s->n_layers; l++) {
        snprintf(name, sizeof name, "sum_abs_w%d", l + 1);
        sm_train_col_add(tab, name, sm_train_real(s->sum_abs_w[l]));
    }
    if (sparse) {
        sm_train_col_add(tab, "sparsity", sm_train_real(s->sparsity));
        for (int l = 0; l < s->n_layers; l++) {
            snprintf(name, sizeof name, "density_l%d", l + 1);
            sm_train_col_add(tab, name, sm_train_real(s->density[l]));
        }
        sm_train_col_add(tab, "regrow_rate", sm_train_real(s->regrow_rate));
        sm_train_col_add(tab, "mask_updates", json_integer(s->mask_updates));
    }
    sm_train_col_add(tab, "plastic_sum_ratio", sm_train_real(w0 > 0 ? w / w0 : NAN));
    sm_train_col_add(tab, "sleep_passes", json_integer(s->sleep_passes));
    sm_train_col_add(tab, "sleep_passes_total", json_integer(s->sleep_passes_total));
    sm_train_col_add(tab, "epoch_s", json_real(s->wall_seconds));
    sm_train_col_add(tab, "sleep_s", json_real(s->sleep_seconds));
    sm_train_col_add(tab, "wall_s", json_real(wall));
    if (sparse) sm_train_col_add(tab, "mask_s", json_real(s->mask_seconds));
}

static json_t *real_array(const double *a, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, sm_train_real(a[i]));
    return arr;
}

/* results' structure_events: one row per mask update, as columns. */
static json_t *events_json(const sm_sgsnn *net)
{
    int n;
    const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n);
    const int L = sm_sgsnn_n_layers(net);
    json_t *t = json_object();
    char name[32];
    for (int i = 0; i < n; i++) {
        const sm_sgsnn_struct_event *e = &ev[i];
        sm_train_col_add(t, "iteration", json_integer(e->iteration));
        sm_train_col_add(t, "epoch", json_integer(e->epoch));
        sm_train_col_add(t, "target_sparsity", sm_train_real(e->target_sparsity));
        sm_train_col_add(t, "sparsity", sm_train_real(e->sparsity));
        for (int l = 0; l < L; l++) {
            snprintf(name, sizeof name, "sparsity_l%d", l + 1);
            sm_train_col_add(t, name, sm_train_real(1.0 - e->density[l]));
        }
        for (int l = 0; l < L; l++) {
            snprintf(name, sizeof name, "nnz_pruned_l%d", l + 1);
            sm_train_col_add(t, name, json_integer(e->nnz_pruned[l]));
            snprintf(name, sizeof name, "nnz_l%d", l + 1);
            sm_train_col_add(t, name, json_integer(e->nnz[l]));
        }
        sm_train_col_add(t, "pruned", json_integer(e->pruned));
        sm_train_col_add(t, "regrown", json_integer(e->regrown));
        sm_train_col_add(t, "regrow_rate", sm_train_real(e->regrow_rate));
        sm_train_col_add(t, "mean_abs_pruned", sm_train_real(e->mean_abs_pruned));
        sm_train_col_add(t, "regrown_was_pruned", sm_train_real(e->regrown_was_pruned));
        sm_train_col_add(t, "ever_active", sm_train_real(e->ever_active));
    }
    return t;
}

static json_t *final_json(sm_sgsnn *net, const sm_train_data *d, const double *w0, double *acc,
                          sm_error *err, sm_status *st)
{
    const sm_dataset *te = d->test;
    int *pred = malloc((size_t)te->n * sizeof *pred);
    if (!pred) {
        *st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
        return NULL;
    }
    double loss = NAN;
    *st = sm_sgsnn_evaluate(net, te->pixels, te->labels, te->n, acc, &loss, err);
    if (*st == SM_OK) *st = sm_sgsnn_predict(net, te->pixels, te->n, pred, NULL, err);
    json_t *out = NULL;
    if (*st == SM_OK) {
        json_t *per_class;
        json_t *cm = sm_train_confusion_json(te->labels, pred, te->n, te->n_classes, &per_class);
        double w[SM_SGSNN_MAX_LAYERS];
        const int L = sm_sgsnn_n_layers(net);
        sm_sgsnn_sum_abs_w(net, w);
        const double ratio = total(w0, L) > 0 ? total(w, L) / total(w0, L) : NAN;
        out = json_pack("{s:f, s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "test_accuracy", *acc,
                        "test_loss", sm_train_real(loss), "n_test", te->n, "confusion", cm,
                        "per_class_accuracy", per_class, "sum_abs_w", real_array(w, L),
                        "sum_abs_w0", real_array(w0, L), "plastic_sum_ratio", sm_train_real(ratio));
    }
    free(pred);
    return out;
}

/* The network's complete state after `epochs` epochs, and W0 of the final ratio. */
static sm_status save_checkpoint(const sm_config *cfg, const sm_train_data *d,
                                 const sm_train_run_ctx *r, const sm_sgsnn *net, json_t *tab,
                                 const sm_train_position *pos, const double *w0, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_train_ckpt_begin(cfg, d, r, tab, pos, err);
    if (!c) return err->code;
    const size_t n = sm_sgsnn_state_size(net);
    void *buf = malloc(n);
    sm_status st = buf ? SM_OK : sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
    if (st == SM_OK) {
        sm_sgsnn_state_save(net, buf);
        st = sm_ckpt_add(c, "sgsnn", buf, n, err);
    }
    const int L = sm_sgsnn_n_layers(net);
    if (st == SM_OK) st = sm_ckpt_add(c, "w0", w0, (size_t)L * sizeof(double), err);
    int n_ev;
    const sm_sgsnn_struct_event *ev = sm_sgsnn_struct_events(net, &n_ev);
    if (st == SM_OK && ev) st = sm_ckpt_add(c, "sparse_events", ev, (size_t)n_ev * sizeof *ev, err);
    if (st == SM_OK) st = sm_ckpt_write(c, r->ckpt_path, err);
    free(buf);
    sm_ckpt_free(c);
    return st;
}

static sm_status resume(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                        sm_sgsnn *net, json_t **tab, sm_train_position *pos, double *w0,
                        sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_train_ckpt_resume(cfg, d, r, tab, pos, err);
    if (!c) return err->code;
    size_t n, nw, ne = 0;
    const void *state = sm_ckpt_get(c, "sgsnn", &n);
    const void *w = sm_ckpt_get(c, "w0", &nw);
    const void *ev = sm_ckpt_get(c, "sparse_events", &ne);
    const size_t L = (size_t)sm_sgsnn_n_layers(net);
    sm_status st = SM_OK;
    if (!state || n != sm_sgsnn_state_size(net) || !w || nw != L * sizeof(double) ||
        ne % sizeof(sm_sgsnn_struct_event) != 0)
        st = sm_error_set(err, SM_EFORMAT,
                          "%s: no SG-SNN state of this network's size: the checkpoint belongs "
                          "to another configuration",
                          r->resume_path);
    else {
        sm_sgsnn_state_load(net, state);
        memcpy(w0, w, L * sizeof(double));
        if (ev)
            st = sm_sgsnn_struct_events_restore(net, ev, (int)(ne / sizeof(sm_sgsnn_struct_event)),
                                                err);
    }
    sm_ckpt_free(c);
    return st;
}

sm_status sm_train_sgsnn(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                         json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const double t_start = sm_train_now();
    sm_sgsnn_params p;
    sm_train_sgsnn_params(cfg, d, &p);
    sm_sgsnn *net = sm_sgsnn_create(&p, err);
    if (!net) return err->code;
    const sm_dataset *tr = d->train, *val = d->val;
    const int n_val = val ? val->n : 0;
    r->prog = (sm_train_progress){"train", 0, (int64_t)p.epochs * tr->n, 0, p.epochs, NAN};
    json_t *tab = json_object();
    sm_status st = SM_OK;
    const double t0 = sm_train_now();
    double t_eval_total = 0, w0[SM_SGSNN_MAX_LAYERS], wall0 = 0;
    const int sparse = p.sparse.method != SM_SPARSE_DENSE;
    sm_sgsnn_sum_abs_w(net, w0);
    int e0 = 0;
    sm_diag_iid probe = {0};
    if (r->resume_path) {
        sm_train_position pos;
        st = resume(cfg, d, r, net, &tab, &pos, w0, err);
        e0 = pos.done;
        t_eval_total = pos.eval_s;
        wall0 = pos.wall_s;
    }
    /* after a resume: the first update norm is then since the checkpoint */
    if (st == SM_OK) st = sm_diag_iid_init(&probe, cfg, val, net, err);
    for (int e = e0 + 1; e <= p.epochs && st == SM_OK; e++) {
        r->prog.batch = e;
        const int due = cfg->train.eval_every > 0 &&
                        (e % cfg->train.eval_every == 0 || e == p.epochs) && n_val > 0;
        sm_sgsnn_epoch_stats s;
        st = sm_sgsnn_train_epoch(net, tr->pixels, tr->labels, tr->n, due ? val->pixels : NULL,
                                  due ? val->labels : NULL, due ? n_val : 0, &s, err);
        if (st != SM_OK) break;
        t_eval_total += s.eval_seconds;
        add_row(tab, &s, (int64_t)e * tr->n, wall0 + sm_train_now() - t0, sparse);
        const double diag0 = probe.seconds;
        st = sm_diag_iid_sgsnn_row(&probe, cfg, net, due, s.grad_norm_mean, s.grad_norm_max, tab,
                                   err);
        if (st != SM_OK) break;
        t_eval_total += probe.seconds - diag0; /* the diagnostics count as evaluation time */
        r->prog.done += tr->n;
        if (due) r->prog.last_accuracy = s.test_acc;
        if (r->ckpt_path && e % r->ckpt_every == 0 && e < p.epochs) {
            const sm_train_position pos = {e, t_eval_total, wall0 + sm_train_now() - t0};
            st = save_checkpoint(cfg, d, r, net, tab, &pos, w0, err);
        }
        if (st == SM_OK && sm_train_report(r))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    const double t_final = sm_train_now();
    double acc = NAN;
    json_t *fin = NULL;
    if (st == SM_OK) fin = final_json(net, d, w0, &acc, err, &st);
    const double t_end = sm_train_now();
    if (st == SM_OK) {
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:I, s:o, s:o, s:{s:i, s:i, s:i, s:i}, s:o, s:o, s:o}",
            "somnus_version", sm_version(), "command", "train", "model", "sgsnn", "seed",
            (json_int_t)cfg->run.seed, "config", sm_config_to_json(cfg), "data",
            sm_train_data_json(d), "network", "n_in", p.n_in, "n_hidden", p.n_hidden, "n_out",
            p.n_out, "steps", p.steps, "evaluations", tab, "final", fin, "timing",
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:i}", "build_s", t0 - t_start, "train_s",
                      t_final - t0 - t_eval_total, "eval_s", t_eval_total, "final_s",
                      t_end - t_final, "wall_s", t_end - t_start, "epoch_s",
                      p.epochs > 0 ? (t_final - t0 - t_eval_total) / p.epochs : 0.0, "threads",
                      p.threads));
        tab = fin = NULL;
        if (doc && p.n_extra_hidden > 0) {
            json_t *h = json_array();
            json_array_append_new(h, json_integer(p.n_hidden));
            for (int i = 0; i < p.n_extra_hidden; i++)
                json_array_append_new(h, json_integer(p.extra_hidden[i]));
            json_object_set_new(json_object_get(doc, "network"), "hidden", h);
        }
        if (doc && sparse) {
            json_object_set_new(doc, "structure_events", events_json(net));
            json_object_set_new(doc, "sparse",
                                json_pack("{s:s, s:s, s:f, s:f, s:i, s:i, s:i}", "method",
                                          sm_sparse_method_name(p.sparse.method), "scope",
                                          sm_sparse_scope_name(p.sparse.scope), "init_density",
                                          p.sparse.init_density, "final_density",
                                          p.sparse.final_density, "start_epoch",
                                          p.sparse.start_epoch, "end_epoch", p.sparse.end_epoch,
                                          "interval", p.sparse.interval));
        }
        if (doc && probe.n > 0)
            json_object_set_new(json_object_get(doc, "timing"), "diag_s", json_real(probe.seconds));
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    if (st == SM_OK && r->sgsnn_final_fn) r->sgsnn_final_fn(r->sgsnn_final_ctx, net);
    if (st == SM_OK) sm_diag_iid_sgsnn_export(&probe, net, r->array_fn, r->array_ctx);
    sm_diag_iid_free(&probe);
    json_decref(tab);
    json_decref(fin);
    sm_sgsnn_destroy(net);
    return st;
}
