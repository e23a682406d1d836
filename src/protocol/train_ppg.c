/* The Poisson-Gamma mixture's training protocol (spec intrinsic.md A5): counts from the
 * images (Poisson(z gain x) with the data.intensity manipulation, or the input encoder's
 * spike counts), ppg.epochs epochs of online learning in a seeded order, an evaluation
 * after every epoch and the test at the end (majority labelling of the units). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/encode.h"
#include "somnus/io/results.h"
#include "somnus/models/ppg.h"
#include "protocol/diag_columns.h"
#include "protocol/train_ppg.h"

/* Stream indices of SM_STREAM_PPG used here (5: initial weights, 7: sampled winners). */
enum { IDX_Z_TRAIN = 1, IDX_Z_VAL = 2, IDX_Z_TEST = 3, IDX_ORDER = 6, IDX_COUNTS = 10 };

/* One split's counts: the intensity z and class position of every image, and (for the
 * evaluation sets) one fixed draw of counts. */
typedef struct split {
    const sm_dataset *ds;
    int n;
    int *pos;    /* class position in data.classes order */
    double *z;   /* intensity */
    double *y;   /* n x D counts (one draw) */
    int *winner; /* argmax of the posterior */
    double *zhat;
    double *post; /* n x C posterior (test only) */
} split;

typedef struct ctx {
    const sm_config *cfg;
    int D, C, k; /* inputs, units, selected classes */
    double gain, ybar_norm;
    sm_encoder *enc;
    uint64_t presentations;
    sm_rng counts_rng;
} ctx;

static void split_free(split *s)
{
    free(s->pos);
    free(s->z);
    free(s->y);
    free(s->winner);
    free(s->zhat);
    free(s->post);
}

/* Counts of image x at intensity z into y (one presentation). */
static sm_status draw_counts(ctx *c, const float *x, double z, double *y, sm_error *err)
{
    const int D = c->D;
    if (c->cfg->ppg.counts == SM_PPG_COUNTS_ENCODER) {
        float *xs = malloc((size_t)D * sizeof *xs);
        int32_t *ids = malloc((size_t)D * sizeof *ids);
        sm_status st = xs && ids ? SM_OK : sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
        for (int d = 0; st == SM_OK && d < D; d++)
            xs[d] = (float)(x[d] * z);
        if (st == SM_OK) st = sm_encoder_set_image(c->enc, xs, err);
        if (st == SM_OK) {
            memset(y, 0, (size_t)D * sizeof *y);
            const int steps = c->cfg->input.steps_per_image;
            const uint64_t t0 = c->presentations * (uint64_t)steps;
            for (int t = 0; t < steps; t++) {
                const int n = sm_encoder_spikes(c->enc, t0 + (uint64_t)t, ids);
                for (int i = 0; i < n; i++)
                    y[ids[i]] += 1;
            }
        }
        c->presentations++;
        free(xs);
        free(ids);
        if (st != SM_OK) return st;
    } else {
        sm_ppg_poisson_counts(&c->counts_rng, x, D, z * c->gain, y);
    }
    if (c->cfg->input.normalize) sm_ppg_normalize(y, D, c->ybar_norm);
    return SM_OK;
}

static sm_status split_init(ctx *c, split *s, const sm_dataset *ds, const int *pos_of_label,
                            const double *means, int n_means, uint32_t zidx, sm_error *err)
{
    memset(s, 0, sizeof *s);
    s->ds = ds;
    s->n = ds ? ds->n : 0;
    if (s->n == 0) return SM_OK;
    s->pos = malloc((size_t)s->n * sizeof *s->pos);
    s->z = malloc((size_t)s->n * sizeof *s->z);
    s->y = malloc((size_t)s->n * c->D * sizeof *s->y);
    s->winner = malloc((size_t)s->n * sizeof *s->winner);
    s->zhat = malloc((size_t)s->n * sizeof *s->zhat);
    if (!s->pos || !s->z || !s->y || !s->winner || !s->zhat)
        return sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    for (int i = 0; i < s->n; i++)
        s->pos[i] = pos_of_label[ds->labels[i]];
    return sm_ppg_draw_intensity(c->cfg->data.intensity, means, n_means,
                                 c->cfg->data.intensity_shape, s->pos, s->n, c->k,
                                 (uint64_t)c->cfg->run.seed, zidx, s->z, err);
}

static sm_status split_draw(ctx *c, split *s, sm_error *err)
{
    sm_status st = SM_OK;
    for (int i = 0; i < s->n && st == SM_OK; i++)
        st = draw_counts(c, sm_dataset_image(s->ds, i), s->z[i], s->y + (size_t)i * c->D, err);
    return st;
}

/* Posterior argmax and z_hat of every stimulus of the split; mean log-likelihood. */
static double split_score(const sm_ppg *m, split *s)
{
    double *p = malloc((size_t)m->C * sizeof *p), sum = 0;
    if (!p) return NAN;
    for (int i = 0; i < s->n; i++) {
        double Y;
        sum += sm_ppg_posterior(m, s->y + (size_t)i * m->D, p, &Y);
        s->winner[i] = sm_ppg_argmax(p, m->C);
        s->zhat[i] = sm_ppg_zhat(m, p, Y);
        if (s->post) memcpy(s->post + (size_t)i * m->C, p, (size_t)m->C * sizeof *p);
    }
    free(p);
    return s->n ? sum / s->n : NAN;
}

static double majority_accuracy(const split *s, const int *unit_label)
{
    int hit = 0;
    for (int i = 0; i < s->n; i++)
        hit += unit_label[s->winner[i]] == s->pos[i];
    return s->n ? (double)hit / s->n : NAN;
}

static json_t *z_corr_json(const sm_config *cfg, const split *s)
{
    if (cfg->data.intensity == SM_INTENSITY_NONE || s->n < 2) return json_null();
    return sm_train_real(sm_ppg_corr(s->zhat, s->z, s->n));
}

static void add_row(json_t *tab, const sm_ppg *m, int epoch, int64_t images, double train_acc,
                    double val_acc, double ll, json_t *zc, double wall)
{
    sm_train_col_add(tab, "batch", json_integer(epoch));
    sm_train_col_add(tab, "images", json_integer(images));
    sm_train_col_add(tab, "train_accuracy", sm_train_real(train_acc));
    sm_train_col_add(tab, "val_accuracy", sm_train_real(val_acc));
    sm_train_col_add(tab, "loglik_per_sample", sm_train_real(ll));
    sm_train_col_add(tab, "z_corr", zc);
    for (int c = 0; c < m->C; c++) {
        char name[32];
        snprintf(name, sizeof name, "lambda_%d", c);
        sm_train_col_add(tab, name, sm_train_real(m->lambda[c]));
        snprintf(name, sizeof name, "alpha_%d", c);
        sm_train_col_add(tab, name, sm_train_real(m->alpha[c]));
    }
    sm_train_col_add(tab, "wall_s", json_real(wall));
}

/* Confusion of true class positions x predicted (unit labels); winners whose unit has no
 * label are counted in "unlabelled". */
/* diag.iid: the units' posteriors s_c (the soft-WTA output, a rate in [0, 1], T = 1) on the
 * probe images' fixed validation counts (into phi, n_probe x C), and the weights W (C x D;
 * floored, not bounded: no bound columns). */
static sm_status diag_row(sm_diag_iid *probe, sm_diag_tensor *wt, float *phi, const sm_ppg *m,
                          const split *val, const sm_config *cfg, json_t *tab, sm_error *err)
{
    if (probe->n == 0) return SM_OK;
    const double t0 = sm_train_now();
    double *p = malloc((size_t)m->C * sizeof *p);
    sm_status st = p ? SM_OK : sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    for (int a = 0; st == SM_OK && a < probe->n; a++) {
        double Y;
        sm_ppg_posterior(m, val->y + (size_t)probe->idx[a] * m->D, p, &Y);
        for (int c = 0; c < m->C; c++)
            phi[(size_t)a * m->C + c] = (float)p[c];
    }
    sm_diag_layer d;
    if (st == SM_OK)
        st = sm_diag_layer_compute(phi, probe->n, m->C, 1, cfg->diag.saturation,
                                   cfg->diag.srank_delta, &d, NULL, err);
    if (st == SM_OK) {
        sm_diag_cols(tab, "units", &d);
        sm_diag_tensor_cols(tab, "W", wt, m->w, NAN, NAN);
    }
    free(p);
    probe->seconds += sm_train_now() - t0;
    return st;
}

static json_t *final_json(const sm_ppg *m, const split *te, const int *unit_label, int k, double ll,
                          const sm_config *cfg, const int *classes)
{
    int *cm = calloc((size_t)k * k, sizeof *cm), unl = 0, hit = 0;
    json_t *rows = json_array(), *per = json_array();
    for (int i = 0; cm && i < te->n; i++) {
        const int p = unit_label[te->winner[i]];
        if (p < 0)
            unl++;
        else
            cm[te->pos[i] * k + p]++;
        hit += p == te->pos[i];
    }
    for (int t = 0; cm && t < k; t++) {
        json_t *r = json_array();
        int tot = 0;
        for (int p = 0; p < k; p++) {
            json_array_append_new(r, json_integer(cm[t * k + p]));
            tot += cm[t * k + p];
        }
        int n_t = 0;
        for (int i = 0; i < te->n; i++)
            n_t += te->pos[i] == t;
        json_array_append_new(rows, r);
        json_array_append_new(per, sm_train_real(n_t ? (double)cm[t * k + t] / n_t : NAN));
        (void)tot;
    }
    free(cm);
    json_t *labels = json_array(), *lam = json_array(), *alp = json_array(), *cls = json_array();
    for (int c = 0; c < m->C; c++) {
        json_array_append_new(labels, unit_label[c] >= 0 ? json_integer(classes[unit_label[c]])
                                                         : json_null());
        json_array_append_new(lam, sm_train_real(m->lambda[c]));
        json_array_append_new(alp, sm_train_real(m->alpha[c]));
    }
    for (int j = 0; j < k; j++)
        json_array_append_new(cls, json_integer(classes[j]));
    const double acc = te->n ? (double)hit / te->n : NAN;
    const double clu = sm_ppg_cluster_accuracy(te->winner, te->pos, te->n, m->C, k, NULL);
    return json_pack("{s:o, s:i, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "test_accuracy", sm_train_real(acc), "n_test", te->n, "confusion", rows,
                     "per_class_accuracy", per, "unlabelled", unl, "clustering_accuracy",
                     sm_train_real(clu), "loglik_per_sample", sm_train_real(ll), "z_corr",
                     z_corr_json(cfg, te), "unit_labels", labels, "classes", cls, "lambda", lam,
                     "alpha", alp);
}

sm_status sm_train_ppg(const sm_config *cfg, const sm_train_data *d, sm_train_run_ctx *r,
                       json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (r->ckpt_path || r->resume_path)
        return sm_error_set(err, SM_EINVAL,
                            "train: the ppg model has no checkpoints (a run takes seconds); "
                            "drop --checkpoint-every/--resume");
    const double t_start = sm_train_now();
    const sm_dataset *tr = d->train;
    ctx c = {.cfg = cfg, .D = tr->width * tr->height};
    int *classes = malloc((size_t)tr->n_classes * sizeof *classes);
    int *pos_of_label = malloc((size_t)tr->n_classes * sizeof *pos_of_label);
    double means[1024];
    split s_tr = {0}, s_val = {0}, s_te = {0};
    sm_ppg *m = NULL;
    json_t *tab = json_object();
    int *order = malloc((size_t)tr->n * sizeof *order), *unit_label = NULL;
    double *y = malloc((size_t)c.D * sizeof *y);
    sm_status st = classes && pos_of_label && order && y && tab
                       ? SM_OK
                       : sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    if (st == SM_OK)
        st = sm_train_parse_classes(cfg->data.classes, tr->n_classes, classes, &c.k, err);
    int n_means = 0;
    if (st == SM_OK) {
        for (int l = 0; l < tr->n_classes; l++)
            pos_of_label[l] = 0;
        for (int j = 0; j < c.k; j++)
            pos_of_label[classes[j]] = j;
        n_means = sm_ppg_parse_means(cfg->data.intensity_means, means, 1024, err);
        if (n_means == 0) st = SM_EINVAL;
    }
    c.C = cfg->ppg.units > 0 ? cfg->ppg.units : c.k;
    if (st == SM_OK && cfg->ppg.counts == SM_PPG_COUNTS_ENCODER) {
        c.enc = sm_encoder_create(cfg, c.D, err);
        if (!c.enc) st = err->code;
    }
    sm_rng_init(&c.counts_rng, (uint64_t)cfg->run.seed, SM_STREAM_PPG, IDX_COUNTS);
    if (st == SM_OK) st = split_init(&c, &s_tr, tr, pos_of_label, means, n_means, IDX_Z_TRAIN, err);
    if (st == SM_OK)
        st = split_init(&c, &s_val, d->val, pos_of_label, means, n_means, IDX_Z_VAL, err);
    if (st == SM_OK)
        st = split_init(&c, &s_te, d->test, pos_of_label, means, n_means, IDX_Z_TEST, err);
    if (st == SM_OK) {
        s_te.post = malloc((size_t)s_te.n * c.C * sizeof *s_te.post);
        if (!s_te.post) st = sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    }
    /* gain: mean Y = 100 at z = 1 unless given */
    if (st == SM_OK) {
        double sx = 0;
        for (size_t i = 0; i < (size_t)tr->n * c.D; i++)
            sx += tr->pixels[i];
        sx /= tr->n;
        c.gain = cfg->ppg.gain > 0 ? cfg->ppg.gain : (sx > 0 ? 100 / sx : 0);
        if (!(c.gain > 0)) st = sm_error_set(err, SM_EINVAL, "ppg: the training images are blank");
    }
    /* Ybar of normalization: the mean total of an unnormalized draw */
    if (st == SM_OK && cfg->input.normalize) {
        sm_config raw = *cfg;
        raw.input.normalize = 0;
        ctx c0 = c;
        c0.cfg = &raw;
        c0.presentations = 1u << 30; /* encoder steps no other presentation uses */
        sm_rng_init(&c0.counts_rng, (uint64_t)cfg->run.seed, SM_STREAM_PPG, IDX_COUNTS + 1);
        double sy = 0;
        for (int i = 0; i < tr->n && st == SM_OK; i++) {
            st = draw_counts(&c0, sm_dataset_image(tr, i), s_tr.z[i], y, err);
            for (int dd = 0; dd < c.D; dd++)
                sy += y[dd];
        }
        c.ybar_norm = sy / tr->n;
    }
    if (st == SM_OK) st = split_draw(&c, &s_tr, err);
    if (st == SM_OK) st = split_draw(&c, &s_val, err);
    if (st == SM_OK) st = split_draw(&c, &s_te, err);
    if (st == SM_OK) {
        sm_ppg_params p = {c.C,
                           c.D,
                           cfg->ppg.a,
                           cfg->ppg.alpha0,
                           cfg->ppg.shape,
                           cfg->ppg.competition,
                           (uint64_t)cfg->run.seed};
        m = sm_ppg_create(&p, err);
        /* NULL comes with err set; SM_EINTERNAL only guards st == SM_OK below */
        if (!m) st = err->code != SM_OK ? err->code : SM_EINTERNAL;
    }
    if (st == SM_OK) st = sm_ppg_init_from_data(m, s_tr.y, s_tr.n, (uint64_t)cfg->run.seed, err);
    sm_diag_iid probe = {0}; /* diag.iid */
    sm_diag_tensor wt = {0};
    float *phi = NULL; /* the probe posteriors of the last row */
    if (st == SM_OK) st = sm_diag_iid_init(&probe, cfg, d->val, NULL, err);
    if (st == SM_OK && probe.n > 0) st = sm_diag_tensor_init(&wt, (size_t)c.C * c.D, err);
    if (st == SM_OK && probe.n > 0 && !(phi = malloc((size_t)probe.n * c.C * sizeof *phi)))
        st = sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    unit_label = st == SM_OK ? malloc((size_t)c.C * sizeof *unit_label) : NULL;
    if (st == SM_OK && !unit_label) st = sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    const int epochs = cfg->ppg.epochs;
    r->prog = (sm_train_progress){"train", 0, (int64_t)epochs * tr->n, 0, epochs, NAN};
    sm_rng order_rng;
    sm_rng_init(&order_rng, (uint64_t)cfg->run.seed, SM_STREAM_PPG, IDX_ORDER);
    const double t0 = sm_train_now();
    for (int e = 1; e <= epochs && st == SM_OK; e++) {
        r->prog.batch = e;
        const double f = e == epochs && epochs > 1 ? cfg->ppg.last_epoch_eps : 1;
        if (cfg->ppg.shape == SM_PPG_MOMENTS)
            sm_ppg_set_shape(m, e <= cfg->ppg.fixed_epochs ? SM_PPG_FIXED : SM_PPG_MOMENTS);
        for (int i = 0; i < tr->n; i++)
            order[i] = i;
        sm_rng_shuffle(&order_rng, order, tr->n);
        for (int i = 0; i < tr->n && st == SM_OK; i++) {
            const int j = order[i];
            /* the first epoch sees the evaluation draw, later ones fresh counts */
            const double *yi = s_tr.y + (size_t)j * c.D;
            if (e > 1) {
                st = draw_counts(&c, sm_dataset_image(tr, j), s_tr.z[j], y, err);
                yi = y;
            }
            if (st == SM_OK && sm_ppg_step(m, yi, cfg->ppg.eps_w * f, cfg->ppg.eps_i * f, NULL) < 0)
                st = sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
        }
        if (st != SM_OK) break;
        const double ll = split_score(m, &s_tr);
        sm_ppg_label_units(s_tr.winner, s_tr.pos, s_tr.n, c.C, c.k, unit_label);
        const double tacc = majority_accuracy(&s_tr, unit_label);
        double vacc = NAN;
        if (s_val.n > 0) {
            split_score(m, &s_val);
            vacc = majority_accuracy(&s_val, unit_label);
        }
        r->prog.done += tr->n;
        r->prog.last_accuracy = s_val.n > 0 ? vacc : tacc;
        add_row(tab, m, e, (int64_t)e * tr->n, tacc, vacc, ll, z_corr_json(cfg, &s_tr),
                sm_train_now() - t0);
        st = diag_row(&probe, &wt, phi, m, &s_val, cfg, tab, err);
        if (st == SM_OK && sm_train_report(r))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    const double t_final = sm_train_now();
    json_t *fin = NULL;
    if (st == SM_OK) {
        split_score(m, &s_tr);
        sm_ppg_label_units(s_tr.winner, s_tr.pos, s_tr.n, c.C, c.k, unit_label);
        const double ll = split_score(m, &s_te);
        fin = final_json(m, &s_te, unit_label, c.k, ll, cfg, classes);
        if (!fin) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the final scores");
    }
    const double t_end = sm_train_now();
    if (st == SM_OK) {
        json_t *doc =
            json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:{s:i, s:i, s:f, s:f, s:f}, s:o, s:o, s:o}",
                      "somnus_version", sm_version(), "command", "train", "model", "ppg", "seed",
                      (json_int_t)cfg->run.seed, "config", sm_config_to_json(cfg), "data",
                      sm_train_data_json(d), "network", "n_in", c.D, "n_units", c.C, "gain", c.gain,
                      "ybar", m->ybar, "ybar_normalized", cfg->input.normalize ? c.ybar_norm : 0.0,
                      "evaluations", tab, "final", fin, "timing",
                      json_pack("{s:f, s:f, s:f, s:f}", "build_s", t0 - t_start, "train_s",
                                t_final - t0 - probe.seconds, "final_s", t_end - t_final, "wall_s",
                                t_end - t_start));
        if (doc && probe.n > 0)
            json_object_set_new(json_object_get(doc, "timing"), "diag_s", json_real(probe.seconds));
        tab = fin = NULL;
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    if (st == SM_OK && r->ppg_final_fn) {
        sm_train_ppg_final f = {m, s_te.post, s_te.zhat, s_te.n};
        r->ppg_final_fn(r->ppg_final_ctx, &f);
    }
    json_decref(tab);
    json_decref(fin);
    if (st == SM_OK && phi && r->array_fn)
        r->array_fn(r->array_ctx, "probe_posterior_units", 0, (size_t)probe.n, (size_t)c.C, phi);
    free(phi);
    sm_diag_iid_free(&probe);
    sm_diag_tensor_free(&wt);
    sm_ppg_destroy(m);
    sm_encoder_destroy(c.enc);
    split_free(&s_tr);
    split_free(&s_val);
    split_free(&s_te);
    free(classes);
    free(pos_of_label);
    free(order);
    free(unit_label);
    free(y);
    return st;
}
