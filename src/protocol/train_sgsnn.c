/* The SG-SNN baseline's training protocol: epochs of BPTT with the configured sleep
 * variant, validation after every train.eval_every epochs, test accuracy at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/checkpoint.h"
#include "somnus/io/results.h"
#include "somnus/models/sgsnn.h"
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
}

static void add_row(json_t *tab, const sm_sgsnn_epoch_stats *s, int64_t images, double wall)
{
    const double w = s->sum_abs_w[0] + s->sum_abs_w[1];
    const double w0 = s->sum_abs_w0[0] + s->sum_abs_w0[1];
    sm_train_col_add(tab, "batch", json_integer(s->epoch));
    sm_train_col_add(tab, "images", json_integer(images));
    sm_train_col_add(tab, "val_accuracy", sm_train_real(s->test_acc));
    sm_train_col_add(tab, "val_loss", sm_train_real(s->test_loss));
    sm_train_col_add(tab, "train_loss", sm_train_real(s->train_loss));
    sm_train_col_add(tab, "train_accuracy", sm_train_real(s->train_acc));
    sm_train_col_add(tab, "sum_abs_w1", sm_train_real(s->sum_abs_w[0]));
    sm_train_col_add(tab, "sum_abs_w2", sm_train_real(s->sum_abs_w[1]));
    sm_train_col_add(tab, "plastic_sum_ratio", sm_train_real(w0 > 0 ? w / w0 : NAN));
    sm_train_col_add(tab, "sleep_passes", json_integer(s->sleep_passes));
    sm_train_col_add(tab, "sleep_passes_total", json_integer(s->sleep_passes_total));
    sm_train_col_add(tab, "epoch_s", json_real(s->wall_seconds));
    sm_train_col_add(tab, "sleep_s", json_real(s->sleep_seconds));
    sm_train_col_add(tab, "wall_s", json_real(wall));
}

static json_t *final_json(sm_sgsnn *net, const sm_train_data *d, const double w0[2], double *acc,
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
        double w[2];
        sm_sgsnn_sum_abs_w(net, w);
        const double ratio = w0[0] + w0[1] > 0 ? (w[0] + w[1]) / (w0[0] + w0[1]) : NAN;
        out = json_pack("{s:f, s:o, s:i, s:o, s:o, s:[f,f], s:[f,f], s:o}", "test_accuracy", *acc,
                        "test_loss", sm_train_real(loss), "n_test", te->n, "confusion", cm,
                        "per_class_accuracy", per_class, "sum_abs_w", w[0], w[1], "sum_abs_w0",
                        w0[0], w0[1], "plastic_sum_ratio", sm_train_real(ratio));
    }
    free(pred);
    return out;
}

/* The network's complete state after `epochs` epochs, and W0 of the final ratio. */
static sm_status save_checkpoint(const sm_config *cfg, const sm_train_data *d,
                                 const sm_train_run_ctx *r, const sm_sgsnn *net, json_t *tab,
                                 const sm_train_position *pos, const double w0[2], sm_error *err)
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
    if (st == SM_OK) st = sm_ckpt_add(c, "w0", w0, 2 * sizeof(double), err);
    if (st == SM_OK) st = sm_ckpt_write(c, r->ckpt_path, err);
    free(buf);
    sm_ckpt_free(c);
    return st;
}

static sm_status resume(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                        sm_sgsnn *net, json_t **tab, sm_train_position *pos, double w0[2],
                        sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_train_ckpt_resume(cfg, d, r, tab, pos, err);
    if (!c) return err->code;
    size_t n, nw;
    const void *state = sm_ckpt_get(c, "sgsnn", &n);
    const void *w = sm_ckpt_get(c, "w0", &nw);
    sm_status st = SM_OK;
    if (!state || n != sm_sgsnn_state_size(net) || !w || nw != 2 * sizeof(double))
        st = sm_error_set(err, SM_EFORMAT,
                          "%s: no SG-SNN state of this network's size: the checkpoint belongs "
                          "to another configuration",
                          r->resume_path);
    else {
        sm_sgsnn_state_load(net, state);
        memcpy(w0, w, 2 * sizeof(double));
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
    double t_eval_total = 0, w0[2], wall0 = 0;
    sm_sgsnn_sum_abs_w(net, w0);
    int e0 = 0;
    if (r->resume_path) {
        sm_train_position pos;
        st = resume(cfg, d, r, net, &tab, &pos, w0, err);
        e0 = pos.done;
        t_eval_total = pos.eval_s;
        wall0 = pos.wall_s;
    }
    for (int e = e0 + 1; e <= p.epochs && st == SM_OK; e++) {
        r->prog.batch = e;
        const int due = cfg->train.eval_every > 0 &&
                        (e % cfg->train.eval_every == 0 || e == p.epochs) && n_val > 0;
        sm_sgsnn_epoch_stats s;
        st = sm_sgsnn_train_epoch(net, tr->pixels, tr->labels, tr->n, due ? val->pixels : NULL,
                                  due ? val->labels : NULL, due ? n_val : 0, &s, err);
        if (st != SM_OK) break;
        t_eval_total += s.eval_seconds;
        add_row(tab, &s, (int64_t)e * tr->n, wall0 + sm_train_now() - t0);
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
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    if (st == SM_OK && r->sgsnn_final_fn) r->sgsnn_final_fn(r->sgsnn_final_ctx, net);
    json_decref(tab);
    json_decref(fin);
    sm_sgsnn_destroy(net);
    return st;
}
