/* The dis-inhibitory network's training protocol (spec/disinhibition.md section 4):
 * disinh.epochs epochs of minibatches of disinh.batch images in a shuffled order (run.seed),
 * each an open loop, Q, the closed loop and the rule's update (or, with disinh.rule = bp,
 * the forward pass without I units and backpropagation, same network and optimizer);
 * validation after every train.eval_every epochs; test accuracy (open-loop argmax) at the
 * end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/io/checkpoint.h"
#include "somnus/io/results.h"
#include "somnus/models/disinh.h"
#include "protocol/diag_disinh.h"
#include "protocol/train_disinh.h"

static const char *const RULES[] = {"exact", "lin_thresh", "lin_fixed", "bp", "as_published"};

/* Pixels as doubles (the network's precision). */
static double *to_double(const sm_dataset *d)
{
    const size_t n = (size_t)d->n * d->width * d->height;
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (x)
        for (size_t i = 0; i < n; i++)
            x[i] = d->pixels[i];
    return x;
}

/* After `pos->done` epochs: the network's state, the shuffling RNG and the current order. */
static sm_status save_checkpoint(const sm_config *cfg, const sm_train_data *d,
                                 const sm_train_run_ctx *r, const sm_disinh *net, json_t *tab,
                                 const sm_train_position *pos, const sm_rng *rng, const int *order,
                                 int n, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_train_ckpt_begin(cfg, d, r, tab, pos, err);
    if (!c) return err->code;
    const size_t ns = sm_disinh_state_size(net);
    void *buf = malloc(ns);
    sm_status st = buf ? SM_OK : sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
    if (st == SM_OK) {
        sm_disinh_state_save(net, buf);
        st = sm_ckpt_add(c, "disinh", buf, ns, err);
    }
    if (st == SM_OK) st = sm_ckpt_add(c, "rng", rng, sizeof *rng, err);
    if (st == SM_OK) st = sm_ckpt_add(c, "order", order, (size_t)n * sizeof *order, err);
    if (st == SM_OK) st = sm_ckpt_write(c, r->ckpt_path, err);
    free(buf);
    sm_ckpt_free(c);
    return st;
}

static sm_status resume(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                        sm_disinh *net, json_t **tab, sm_train_position *pos, sm_rng *rng,
                        int *order, int n, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_ckpt *c = sm_train_ckpt_resume(cfg, d, r, tab, pos, err);
    if (!c) return err->code;
    size_t ns, nr, no;
    const void *state = sm_ckpt_get(c, "disinh", &ns);
    const void *rs = sm_ckpt_get(c, "rng", &nr);
    const void *os = sm_ckpt_get(c, "order", &no);
    sm_status st = SM_OK;
    if (!state || ns != sm_disinh_state_size(net) || !rs || nr != sizeof *rng || !os ||
        no != (size_t)n * sizeof *order)
        st = sm_error_set(err, SM_EFORMAT,
                          "%s: no disinh state of this network's size: the checkpoint belongs "
                          "to another model or configuration",
                          r->resume_path);
    else {
        sm_disinh_state_load(net, state);
        memcpy(rng, rs, sizeof *rng);
        memcpy(order, os, no);
    }
    sm_ckpt_free(c);
    return st;
}

sm_status sm_train_disinh(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                          json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const double t_start = sm_train_now();
    const sm_dataset *tr = d->train, *val = d->val, *te = d->test;
    const int n_in = tr->width * tr->height;
    sm_disinh_params p;
    sm_status st = sm_disinh_params_from_config(cfg, n_in, tr->n_classes, &p, err);
    if (st != SM_OK) return st;
    sm_disinh *net = sm_disinh_create(&p, err);
    if (!net) return err->code;
    double *xtr = to_double(tr), *xval = val && val->n ? to_double(val) : NULL,
           *xte = to_double(te);
    const int B = p.batch;
    double *xb = malloc((size_t)B * n_in * sizeof *xb);
    int *yb = malloc((size_t)B * sizeof *yb), *order = malloc((size_t)tr->n * sizeof *order);
    int *pred = malloc((size_t)(te->n > 0 ? te->n : 1) * sizeof *pred);
    json_t *tab = json_object(), *fin = NULL;
    sm_diag_disinh diag; /* diag.iid */
    st = sm_diag_disinh_init(&diag, cfg, val, net, err);
    if (st != SM_OK) goto done;
    if (!xtr || !xte || (val && val->n && !xval) || !xb || !yb || !order || !pred || !tab) {
        st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
        goto done;
    }
    const int n_val = val ? val->n : 0;
    const int epochs = cfg->disinh.epochs;
    r->prog = (sm_train_progress){"train", 0, (int64_t)epochs * tr->n, 0, epochs, NAN};
    sm_rng rng;
    sm_rng_init(&rng, (uint64_t)cfg->run.seed, 0x64740000u, 0);
    for (int i = 0; i < tr->n; i++)
        order[i] = i;
    const double t0 = sm_train_now();
    double t_eval = 0, wall0 = 0;
    int e0 = 0;
    if (r->resume_path) {
        sm_train_position pos;
        st = resume(cfg, d, r, net, &tab, &pos, &rng, order, tr->n, err);
        e0 = pos.done;
        t_eval = pos.eval_s;
        wall0 = pos.wall_s;
    }
    for (int e = e0 + 1; e <= epochs && st == SM_OK; e++) {
        r->prog.batch = e;
        const double te0 = sm_train_now();
        sm_rng_shuffle(&rng, order, tr->n);
        double cl = 0, ol = 0, f = 0, ltp = 0, oli = 0, cli = 0;
        int correct = 0, nb = 0;
        for (int s0 = 0; s0 < tr->n && st == SM_OK; s0 += B) {
            const int m = tr->n - s0 < B ? tr->n - s0 : B;
            for (int s = 0; s < m; s++) {
                memcpy(xb + (size_t)s * n_in, xtr + (size_t)order[s0 + s] * n_in,
                       (size_t)n_in * sizeof *xb);
                yb[s] = tr->labels[order[s0 + s]];
            }
            sm_disinh_step_stats ss;
            st = sm_disinh_train_batch(net, xb, yb, m, &ss, err);
            if (st != SM_OK) break;
            cl += ss.cl_loss;
            ol += ss.ol_loss;
            f += ss.mean_abs_f;
            ltp += ss.frac_ltp;
            oli += ss.ol_iters;
            cli += ss.cl_iters;
            correct += ss.n_correct;
            nb++;
            r->prog.done += m;
            if (sm_train_report(r))
                st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
        }
        if (st != SM_OK) break;
        const double train_s = sm_train_now() - te0;
        const int due = cfg->train.eval_every > 0 &&
                        (e % cfg->train.eval_every == 0 || e == epochs) && n_val > 0;
        double vacc = NAN, vloss = NAN;
        const double tv0 = sm_train_now();
        if (due) st = sm_disinh_evaluate(net, xval, val->labels, n_val, NULL, &vacc, &vloss, err);
        t_eval += sm_train_now() - tv0;
        if (due) r->prog.last_accuracy = vacc;
        sm_train_col_add(tab, "batch", json_integer(e));
        sm_train_col_add(tab, "images", json_integer((json_int_t)e * tr->n));
        sm_train_col_add(tab, "val_accuracy", sm_train_real(vacc));
        sm_train_col_add(tab, "val_loss", sm_train_real(vloss));
        sm_train_col_add(tab, "train_loss", sm_train_real(cl / nb));
        sm_train_col_add(tab, "train_ol_loss", sm_train_real(ol / nb));
        sm_train_col_add(tab, "train_accuracy", sm_train_real((double)correct / tr->n));
        sm_train_col_add(tab, "mean_abs_qc", sm_train_real(f / nb));
        sm_train_col_add(tab, "frac_ltp", sm_train_real(ltp / nb));
        sm_train_col_add(tab, "ol_iters", sm_train_real(oli / nb));
        sm_train_col_add(tab, "cl_iters", sm_train_real(cli / nb));
        for (int l = 0; l <= p.n_layers; l++) {
            char name[32];
            snprintf(name, sizeof name, "sum_abs_w%d", l + 1);
            sm_train_col_add(tab, name, sm_train_real(sm_disinh_weight_norm(net, l)));
        }
        sm_train_col_add(tab, "epoch_s", json_real(train_s));
        sm_train_col_add(tab, "samples_per_s", json_real(train_s > 0 ? tr->n / train_s : 0));
        sm_train_col_add(tab, "wall_s", json_real(wall0 + sm_train_now() - t0));
        const double diag0 = diag.probe.seconds;
        if (st == SM_OK) st = sm_diag_disinh_row(&diag, cfg, net, due, tab, err);
        t_eval += diag.probe.seconds - diag0; /* the diagnostics count as evaluation time */
        if (st == SM_OK && r->ckpt_path && e % r->ckpt_every == 0 && e < epochs) {
            const sm_train_position pos = {e, t_eval, wall0 + sm_train_now() - t0};
            st = save_checkpoint(cfg, d, r, net, tab, &pos, &rng, order, tr->n, err);
        }
    }
    const double t_final = sm_train_now();
    if (st == SM_OK) {
        double acc = NAN, loss = NAN;
        st = sm_disinh_evaluate(net, xte, te->labels, te->n, pred, &acc, &loss, err);
        if (st == SM_OK) {
            json_t *per_class;
            json_t *cm =
                sm_train_confusion_json(te->labels, pred, te->n, te->n_classes, &per_class);
            fin = json_pack("{s:f, s:o, s:i, s:o, s:o}", "test_accuracy", acc, "test_loss",
                            sm_train_real(loss), "n_test", te->n, "confusion", cm,
                            "per_class_accuracy", per_class);
        }
    }
    const double t_end = sm_train_now();
    if (st == SM_OK) {
        json_t *hidden = json_array();
        for (int l = 0; l < p.n_layers; l++)
            json_array_append_new(hidden, json_integer(p.n_hidden[l]));
        const double train_s = t_final - t0 - t_eval;
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:{s:i, s:o, s:i}, s:o, s:o, s:o}",
            "somnus_version", sm_version(), "command", "train", "model", "disinh", "rule",
            RULES[p.rule], "seed", (json_int_t)cfg->run.seed, "config", sm_config_to_json(cfg),
            "data", sm_train_data_json(d), "network", "n_in", n_in, "n_hidden", hidden, "n_out",
            p.n_out, "evaluations", tab, "final", fin, "timing",
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "build_s", t0 - t_start, "train_s", train_s,
                      "eval_s", t_eval, "final_s", t_end - t_final, "wall_s", t_end - t_start,
                      "samples_per_s", train_s > 0 ? (double)epochs * tr->n / train_s : 0.0));
        if (doc && diag.probe.n > 0)
            json_object_set_new(json_object_get(doc, "timing"), "diag_s",
                                json_real(diag.probe.seconds));
        tab = fin = NULL;
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
done:
    sm_diag_disinh_free(&diag);
    json_decref(tab);
    json_decref(fin);
    free(xtr);
    free(xval);
    free(xte);
    free(xb);
    free(yb);
    free(order);
    free(pred);
    sm_disinh_destroy(net);
    return st;
}
