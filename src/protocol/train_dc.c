/* The Diehl & Cook training protocol (spec diehl-cook.md sections 3 and 5): dc.passes
 * passes through the training images with learning on (in a seeded shuffled order:
 * sm_train_dc_order), then, frozen, the labelling images and the test images; label
 * assignment (all-activity and proportion weighting) and PCA + logistic regression on the
 * E counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/label_assign.h"
#include "somnus/analysis/readout.h"
#include "somnus/core/rng.h"
#include "somnus/io/checkpoint.h"
#include "somnus/io/results.h"
#include "somnus/models/dc_sleep.h"
#include "somnus/models/dc_state.h"
#include "somnus/models/sim.h"
#include "protocol/diag_dc.h"
#include "protocol/train_dc.h"

void sm_train_dc_params(const sm_config *cfg, int n_in, sm_dc_params *p)
{
    sm_dc_params_default(p);
    p->n_in = n_in;
    p->n_exc = cfg->dc.n_exc;
    if (cfg->dc.fidelity == SM_DC_BINDSNET) sm_dc_params_bindsnet(p);
    p->rule = (sm_dc_rule)cfg->dc.rule;
    p->w_ei = cfg->dc.w_ei;
    p->w_ie = cfg->dc.w_ie;
    p->nu_pre = cfg->dc.nu_pre;
    p->nu_post = cfg->dc.nu_post;
    p->norm_sum = cfg->dc.norm_sum;
    p->r_max = cfg->dc.r_max;
    p->t_present = cfg->dc.t_present;
    p->t_rest = cfg->dc.t_rest;
    p->min_spikes = cfg->dc.min_spikes;
    p->max_retries = cfg->dc.max_retries;
    p->theta_plus = cfg->dc.theta_plus;
    p->tau_theta = cfg->dc.tau_theta;
    p->par_min = cfg->dc.par_min;
    p->threads = cfg->run.threads;
    p->v_clamp = cfg->dc.v_clamp;
    p->input_delay = cfg->dc.input_delay;
    p->normalize = cfg->dc.normalize;
    p->seed = (uint64_t)cfg->run.seed;
}

void sm_train_dc_order(int n, uint64_t seed, int pass, int fresh_each_pass, int *order)
{
    for (int k = 0; k < n; k++)
        order[k] = k;
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_ORDER, fresh_each_pass ? (uint32_t)pass : 0u);
    sm_rng_shuffle(&r, order, n);
}

/* Presents images order[0..n) of ds (order NULL: 0..n-1) frozen, counts into rows of
 * `counts` (n x n_exc). */
static int64_t respond(sm_dc *net, const sm_dataset *ds, const int *order, int n, int32_t *counts,
                       sm_train_run_ctx *r)
{
    const int d = ds->width * ds->height;
    int64_t rep = 0;
    for (int k = 0; k < n; k++) {
        const size_t i = (size_t)(order ? order[k] : k);
        rep += sm_dc_present(net, ds->pixels + i * d, counts + (size_t)k * net->p.n_exc);
        r->prog.done++;
    }
    return rep;
}

/* Where the training loop stands: images shown (whole batches) and failed presentations. */
typedef struct loop_state {
    int64_t shown, repeats;
} loop_state;

/* After lp->shown images (a multiple of data.batch): the network, the sleep schedule and
 * the loop counters. The image order is not saved: it is a function of (seed, pass). */
static sm_status save_checkpoint(const sm_config *cfg, const sm_train_data *d,
                                 const sm_train_run_ctx *r, const sm_dc *net,
                                 const sm_dc_sleeper *sl, json_t *tab, const loop_state *lp,
                                 double wall_s, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_train_position pos = {(int)(lp->shown / cfg->data.batch), 0, wall_s};
    sm_ckpt *c = sm_train_ckpt_begin(cfg, d, r, tab, &pos, err);
    if (!c) return err->code;
    const size_t ns = sm_dc_state_size(net);
    void *buf = malloc(ns);
    sm_status st = buf ? sm_dc_state_save(net, buf, err)
                       : sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
    if (st == SM_OK) st = sm_ckpt_add(c, "dc", buf, ns, err);
    if (st == SM_OK) st = sm_ckpt_add(c, "dc_sleeper", sl, sizeof *sl, err);
    if (st == SM_OK) st = sm_ckpt_add(c, "dc_loop", lp, sizeof *lp, err);
    if (st == SM_OK) st = sm_ckpt_write(c, r->ckpt_path, err);
    free(buf);
    sm_ckpt_free(c);
    return st;
}

static sm_status resume(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                        sm_dc *net, sm_dc_sleeper *sl, json_t **tab, loop_state *lp, double *wall_s,
                        sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_train_position pos;
    sm_ckpt *c = sm_train_ckpt_resume(cfg, d, r, tab, &pos, err);
    if (!c) return err->code;
    size_t ns, nsl, nl;
    const void *state = sm_ckpt_get(c, "dc", &ns);
    const void *sls = sm_ckpt_get(c, "dc_sleeper", &nsl);
    const void *ls = sm_ckpt_get(c, "dc_loop", &nl);
    sm_status st = SM_OK;
    if (!state || ns != sm_dc_state_size(net) || !sls || nsl != sizeof *sl || !ls ||
        nl != sizeof *lp)
        st = sm_error_set(err, SM_EFORMAT,
                          "%s: no dc state of this network's size: the checkpoint belongs to "
                          "another model or configuration",
                          r->resume_path);
    else {
        sm_dc_state_load(net, state);
        memcpy(sl, sls, sizeof *sl);
        memcpy(lp, ls, sizeof *lp);
        *wall_s = pos.wall_s;
    }
    sm_ckpt_free(c);
    return st;
}

static double accuracy(const int *pred, const int *y, int n)
{
    int ok = 0;
    for (int k = 0; k < n; k++)
        ok += pred[k] == y[k];
    return n ? (double)ok / n : NAN;
}

static double dead_frac(const int32_t *counts, int n_img, int n)
{
    int dead = 0;
    for (int j = 0; j < n; j++) {
        int64_t s = 0;
        for (int k = 0; k < n_img; k++)
            s += counts[(size_t)k * n + j];
        dead += s == 0;
    }
    return (double)dead / n;
}

sm_status sm_train_dc(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                      json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const double t_start = sm_train_now();
    const sm_dataset *tr = d->train, *te = d->test;
    if (cfg->dc.fidelity < 0 || cfg->dc.fidelity > 1) {
        sm_config_bad_choice("dc.fidelity", cfg->dc.fidelity, err);
        return SM_EINVAL;
    }
    if (cfg->dc.rule < 0 || cfg->dc.rule > 2) {
        sm_config_bad_choice("dc.rule", cfg->dc.rule, err);
        return SM_EINVAL;
    }
    const int sleeping = cfg->sleep.rate > 0 && cfg->sleep.mode != SM_SLEEP_NONE;
    if (sleeping && cfg->sleep.mode != SM_SLEEP_POWERLAW)
        return sm_error_set(err, SM_EINVAL,
                            "sleep.mode: train.model=dc sleeps with powerlaw only (or none)");
    if (cfg->diag.iid && (r->resume_path || r->ckpt_path))
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid: train.model=dc does not checkpoint the diagnostics' own "
                            "state (the last weights of the update norm); run with diag.iid=0 or "
                            "without --checkpoint-every/--resume");
    const int n_in = tr->width * tr->height, n = cfg->dc.n_exc, nc = tr->n_classes;
    sm_dc_params p;
    sm_train_dc_params(cfg, n_in, &p);
    sm_dc *net = sm_dc_create(&p, err);
    if (!net) return err->code;
    sm_diag_dc diag; /* diag.iid: the probe diagnostics at the evaluation rows */
    if (sm_diag_dc_init(&diag, cfg, d->val, net, err) != SM_OK) {
        sm_dc_destroy(net);
        return err->code;
    }
    /* sleep (spec diehl-cook.md 7 item 7): the power-law map toward norm_sum / n_in */
    sm_dc_sleeper sl;
    const sm_dc_sleep_params sp = {cfg->sleep.lambda, p.norm_sum / n_in, cfg->dc.sleep_sigma,
                                   p.normalize};
    sm_dc_sleeper_init(&sl, &sp, cfg->sleep.period, sleeping ? sm_sim_sleep_window(cfg) : 0);
    const int n_assign =
        cfg->dc.n_assign > 0 && cfg->dc.n_assign < tr->n ? cfg->dc.n_assign : tr->n;
    const int64_t total = (int64_t)cfg->dc.passes * tr->n + n_assign + te->n;
    r->prog = (sm_train_progress){"train", 0, total, 0, cfg->dc.passes, NAN};
    int32_t *cnt = malloc((size_t)n * sizeof *cnt);
    int32_t *ca = calloc((size_t)n_assign * n, sizeof *ca);
    int32_t *ct = calloc((size_t)te->n * n, sizeof *ct);
    int *assign = malloc((size_t)n * sizeof *assign);
    double *rates = malloc((size_t)n * nc * sizeof *rates);
    int *pa = malloc((size_t)te->n * sizeof *pa), *pp = malloc((size_t)te->n * sizeof *pp);
    int *pl = malloc((size_t)te->n * sizeof *pl);
    int *order = malloc((size_t)(tr->n > 0 ? tr->n : 1) * sizeof *order);
    int *alab = malloc((size_t)n_assign * sizeof *alab); /* labels in presentation order */
    json_t *tab = json_object();
    sm_status st = cnt && ca && ct && assign && rates && pa && pp && pl && order && alab && tab
                       ? SM_OK
                       : sm_error_set(err, SM_ENOMEM, "train: out of memory");
    /* training: the batch rows record repeats, theta and the silent fraction */
    const int batch = cfg->data.batch;
    loop_state lp = {0, 0};
    double wall0 = 0; /* training wall time before a resume */
    if (st == SM_OK && r->resume_path) st = resume(cfg, d, r, net, &sl, &tab, &lp, &wall0, err);
    const int64_t shown0 = lp.shown, n_train_total = (int64_t)cfg->dc.passes * tr->n;
    const double t0 = sm_train_now();
    int64_t shown = lp.shown, rep_train = lp.repeats;
    int64_t in_spk0 = net->n_input_spikes;
    int32_t *alive = calloc((size_t)n, sizeof *alive);
    if (!alive && st == SM_OK) st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
    for (int pass = (int)(shown0 / (tr->n > 0 ? tr->n : 1));
         alive && pass < cfg->dc.passes && st == SM_OK; pass++) {
        r->prog.batch = pass + 1;
        sm_train_dc_order(tr->n, p.seed, pass, p.fidelity == SM_DC_BINDSNET, order);
        int64_t rep_b = 0;
        for (int k = (int)(shown - (int64_t)pass * tr->n); k < tr->n && st == SM_OK; k++) {
            const uint64_t step0 = net->step;
            rep_b += sm_dc_present(net, tr->pixels + (size_t)order[k] * n_in, cnt);
            st = sm_dc_sleeper_wake(&sl, net, (int64_t)(net->step - step0), err);
            for (int j = 0; j < n; j++)
                alive[j] |= cnt[j] > 0;
            shown++;
            r->prog.done++;
            const int last = pass == cfg->dc.passes - 1 && k == tr->n - 1;
            if (shown % batch == 0 || last) {
                int dead = 0;
                for (int j = 0; j < n; j++) {
                    dead += !alive[j];
                    alive[j] = 0;
                }
                sm_train_col_add(tab, "images", json_integer(shown));
                sm_train_col_add(tab, "repeats", json_integer(rep_b));
                sm_train_col_add(tab, "theta_mean", json_real(sm_dc_theta_mean(net)));
                sm_train_col_add(tab, "dead_E_frac", json_real((double)dead / n));
                sm_train_col_add(tab, "wall_s", json_real(wall0 + sm_train_now() - t0));
                st = sm_diag_dc_row(&diag, cfg, net, last, tab, err);
                rep_train += rep_b;
                rep_b = 0;
                if (st == SM_OK && sm_train_report(r))
                    st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
                if (st == SM_OK && r->ckpt_path && shown % batch == 0 &&
                    (shown / batch) % r->ckpt_every == 0 && shown < n_train_total) {
                    lp = (loop_state){shown, rep_train};
                    st = save_checkpoint(cfg, d, r, net, &sl, tab, &lp, wall0 + sm_train_now() - t0,
                                         err);
                }
            }
        }
        rep_train += rep_b;
    }
    free(alive);
    const double t_train = sm_train_now() - t0 - diag.probe.seconds; /* without diag.iid */
    const int64_t events = (net->n_input_spikes - in_spk0) * (int64_t)n;
    const double theta_final = sm_dc_theta_mean(net);
    /* frozen: assignment on the first n_assign training images of the first pass's order
     * (a balanced mix, not the first classes of a class-sorted pool), then the test
     * images */
    if (cfg->dc.passes == 0) sm_dc_normalize(net); /* the control sees the trained scale */
    sm_dc_set_learning(net, 0);
    if (st == SM_OK) {
        sm_train_dc_order(tr->n, p.seed, 0, p.fidelity == SM_DC_BINDSNET, order);
        for (int k = 0; k < n_assign; k++)
            alab[k] = tr->labels[order[k]];
    }
    const double t1 = sm_train_now();
    int64_t rep_assign = 0, rep_test = 0;
    if (st == SM_OK) rep_assign = respond(net, tr, order, n_assign, ca, r);
    const double t2 = sm_train_now();
    if (st == SM_OK) rep_test = respond(net, te, NULL, te->n, ct, r);
    const double t3 = sm_train_now();
    double acc_all = NAN, acc_prop = NAN, acc_lr = NAN;
    if (st == SM_OK) st = sm_label_assign(ca, alab, n_assign, n, nc, assign, rates, err);
    if (st == SM_OK) st = sm_label_predict(ct, te->n, n, nc, assign, rates, SM_VOTE_ALL, pa, err);
    if (st == SM_OK) st = sm_label_predict(ct, te->n, n, nc, assign, rates, SM_VOTE_PROP, pp, err);
    if (st == SM_OK) {
        acc_all = accuracy(pa, te->labels, te->n);
        acc_prop = accuracy(pp, te->labels, te->n);
        /* PCA + logistic regression on the same counts (somnus's readout) */
        float *fa = malloc((size_t)n_assign * n * sizeof *fa);
        float *ft = malloc((size_t)te->n * n * sizeof *ft);
        if (fa && ft) {
            for (size_t q = 0; q < (size_t)n_assign * n; q++)
                fa[q] = (float)ca[q];
            for (size_t q = 0; q < (size_t)te->n * n; q++)
                ft[q] = (float)ct[q];
            sm_readout_params rp;
            sm_readout_params_default(&rp, SM_READOUT_PCA_LOGREG);
            rp.variance = cfg->readout.variance;
            rp.C = cfg->readout.c;
            rp.seed = (uint64_t)cfg->run.seed;
            sm_readout_result rr;
            sm_error e2 = {0};
            if (sm_readout_score(&rp, fa, alab, n_assign, ft, te->labels, te->n, n, pl, &rr, &e2) ==
                SM_OK)
                acc_lr = rr.accuracy;
        } else {
            st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
        }
        free(fa);
        free(ft);
    }
    const double t_end = sm_train_now();
    if (st == SM_OK) {
        json_t *per_class, *per_class_prop;
        json_t *cm = sm_train_confusion_json(te->labels, pa, te->n, nc, &per_class);
        json_t *cmp = sm_train_confusion_json(te->labels, pp, te->n, nc, &per_class_prop);
        json_decref(cmp);
        json_t *asg = json_array();
        for (int c = 0; c < nc; c++) {
            int m = 0;
            for (int j = 0; j < n; j++)
                m += assign[j] == c;
            json_array_append_new(asg, json_integer(m));
        }
        int unassigned = 0;
        for (int j = 0; j < n; j++)
            unassigned += assign[j] < 0;
        json_t *fin = json_pack(
            "{s:o, s:o, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:i, s:o, s:f, s:o, s:I, s:I, s:I}",
            "test_accuracy", sm_train_real(acc_all), "test_acc_all", sm_train_real(acc_all),
            "test_acc_prop", sm_train_real(acc_prop), "test_acc_lr", sm_train_real(acc_lr),
            "n_test", te->n, "n_assign", n_assign, "confusion", cm, "per_class_accuracy", per_class,
            "per_class_accuracy_prop", per_class_prop, "unassigned", unassigned,
            "neurons_per_class", asg, "theta_mean", theta_final, "dead_E_frac",
            sm_train_real(dead_frac(ct, te->n, n)), "repeats_train", (json_int_t)rep_train,
            "repeats_assign", (json_int_t)rep_assign, "repeats_test", (json_int_t)rep_test);
        /* rates of this invocation's training (after a resume: the part it ran) */
        const double ips = t_train > 0 ? (double)(shown - shown0) / t_train : 0;
        json_t *doc =
            json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:{s:i, s:i, s:s, s:s, s:f}, s:o, s:o, s:o}",
                      "somnus_version", sm_version(), "command", "train", "model", "dc", "seed",
                      (json_int_t)cfg->run.seed, "config", sm_config_to_json(cfg), "data",
                      sm_train_data_json(d), "network", "n_in", n_in, "n_exc", n, "fidelity",
                      cfg->dc.fidelity == SM_DC_CODE ? "code" : "bindsnet", "rule",
                      cfg->dc.rule == SM_DC_TRIPLET ? "triplet"
                      : cfg->dc.rule == SM_DC_PAIR  ? "pair"
                                                    : "postpre",
                      "dt", p.dt, "evaluations", tab, "final", fin, "timing",
                      json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:i}", "build_s",
                                t0 - t_start, "train_s", t_train, "assign_s", t2 - t1, "test_s",
                                t3 - t2, "wall_s", t_end - t_start, "train_images_per_s", ips,
                                "train_images", (json_int_t)shown, "events_per_s",
                                t_train > 0 ? (double)events / t_train : 0.0, "test_images_per_s",
                                t3 > t2 ? te->n / (t3 - t2) : 0.0, "threads", cfg->run.threads));
        if (sleeping && fin) {
            json_object_set_new(fin, "sleep_rate_e_hz",
                                sm_train_real(sm_dc_sleeper_rate_hz(&sl, net)));
            json_object_set_new(fin, "sleep_windows", json_integer(sl.windows));
            json_object_set_new(fin, "sleep_steps", json_integer(sl.steps));
        }
        if (doc && diag.probe.n > 0)
            json_object_set_new(json_object_get(doc, "timing"), "diag_s",
                                json_real(diag.probe.seconds));
        tab = NULL;
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    json_decref(tab);
    if (st == SM_OK && r->dc_final_fn) r->dc_final_fn(r->dc_final_ctx, net);
    if (st == SM_OK) sm_diag_dc_export(&diag, r->array_fn, r->array_ctx);
    sm_diag_dc_free(&diag);
    free(cnt);
    free(ca);
    free(ct);
    free(assign);
    free(rates);
    free(pa);
    free(pp);
    free(pl);
    free(order);
    free(alab);
    sm_dc_destroy(net);
    return st;
}
