/* The STDP network's training protocol: batches, sleep, frozen-weight evaluations on a
 * snapshot, the final readout. See include/somnus/train.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/checkpoint.h"
#include "somnus/io/encode.h"
#include "somnus/analysis/readout.h"
#include "somnus/analysis/rf_drift.h"
#include "somnus/io/results.h"
#include "somnus/models/sim_json.h"
#include "somnus/models/sim.h"
#include "somnus/models/sim_guard.h"
#include "somnus/models/sim_state.h"
#include "protocol/diag_columns.h"
#include "protocol/train_stdp.h"
#include "protocol/train_stdp_struct.h"

/* Evaluation presentations draw their input spikes from counters far above any training
 * input clock, so evaluating never reuses (or shifts) the training input's random
 * numbers; evaluation after batch b starts at EVAL_CLOCK_BASE + b * 2^33 (b < 2^28) and
 * the final readout at EVAL_CLOCK_BASE + 2^61, so each one's input is the same whether
 * or not the others ran. */
#define EVAL_CLOCK_BASE (UINT64_C(1) << 62)
#define EVAL_CLOCK_FINAL (UINT64_C(1) << 61)
#define EVAL_CLOCK_SHIFT 33

typedef struct trainer {
    const sm_config *cfg;
    const sm_train_data *data;
    sm_train_run_ctx *run;
    sm_sim *sim;
    sm_encoder *enc;
    int evaluating;      /* 1: input keyed by the evaluation clock */
    uint64_t eval_clock; /* input clock of the running evaluation */
    int d;               /* representation width: E, or E and I, neurons */
    double t_eval;       /* seconds spent evaluating */
    double wall_offset;  /* wall_s of the batches run before a resume */
    sm_weight_stats w_initial[SM_N_PATHS];
    double plastic_initial;
    uint8_t *on;    /* structural plasticity: on-pixels of the training set (else NULL) */
    float *w_start; /* weights at the start (rf_drift_se), NULL when rewiring moves synapses */
    /* diag.iid: the probe images are validation images, so their counts (E and I) are
     * copied while the evaluation presents the validation split: no extra presentations */
    sm_diag_iid probe;
    int *probe_slot;         /* per validation image: 1 + its probe row, or 0 */
    float *probe_rows;       /* probe.n x (E + I) counts of the running evaluation */
    double sum0[SM_N_PATHS]; /* sum |w| per pathway at the start */
} trainer;

static int trainer_input(void *ctx, uint64_t step, int32_t *out)
{
    trainer *t = ctx;
    if (t->evaluating) return sm_encoder_spikes(t->enc, t->eval_clock++, out);
    return sm_encoder_spikes(t->enc, step, out);
}

/* The readout of the final scores (per_batch = 0) or of the per-batch evaluations. */
static void readout_params(const sm_config *cfg, int per_batch, sm_readout_params *p)
{
    int method = cfg->readout.method;
    if (per_batch && cfg->train.eval_readout > 0) method = cfg->train.eval_readout - 1;
    sm_readout_params_default(p, (sm_readout_method)method);
    p->variance = cfg->readout.variance;
    p->C = cfg->readout.c;
    p->standardize = cfg->readout.standardize;
    p->logreg_whiten = cfg->readout.whiten;
    p->qda_reg = cfg->readout.qda_reg;
    if (cfg->readout.fit_fraction > 0) p->fit_fraction = cfg->readout.fit_fraction;
    p->seed = (uint64_t)cfg->run.seed;
}

static double plastic_sum(const sm_config *cfg, const sm_weight_stats w[SM_N_PATHS])
{
    double s = 0;
    for (int p = 0; p < SM_N_PATHS; p++)
        if (cfg->net.plastic[p]) s += w[p].sum_abs;
    return s;
}

/* Presents image i of ds for one presentation in the test phase (weights frozen) and
 * writes the E (and I) spike counts to row. */
static sm_status represent_one(trainer *t, const sm_dataset *ds, int i, float *row, sm_error *err)
{
    sm_status st = sm_encoder_set_image(t->enc, sm_dataset_image(ds, i), err);
    if (st != SM_OK) return st;
    sm_monitor_reset_counts(t->sim->mon);
    st = sm_sim_test(t->sim, t->cfg->input.steps_per_image, err);
    for (int k = 0; k < t->d; k++)
        row[k] = (float)t->sim->mon->counts[k];
    const int slot = t->probe_slot && ds == t->data->val ? t->probe_slot[i] - 1 : -1;
    const int n_all = t->sim->net->n_exc + t->sim->net->n_inh;
    for (int k = 0; slot >= 0 && k < n_all; k++)
        t->probe_rows[(size_t)slot * n_all + k] = (float)t->sim->mon->counts[k];
    return st;
}

/* Representations of images idx[0..n) of ds (idx NULL = 0..n-1) into rows (n x d). */
static sm_status represent(trainer *t, const sm_dataset *ds, const int *idx, int n, float *rows,
                           int *labels, sm_error *err)
{
    for (int k = 0; k < n; k++) {
        int i = idx ? idx[k] : k;
        sm_status st = represent_one(t, ds, i, rows + (size_t)k * (size_t)t->d, err);
        if (st != SM_OK) return st;
        labels[k] = ds->labels[i];
        t->run->prog.done++;
        if (sm_train_report(t->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

/* The first images of the training order, balanced over classes: per class its first
 * ceil(n / k) images, taken in training order until n. Every class with an image is in,
 * so the validation labels are known to the readout. */
static int balanced_prefix(const sm_dataset *ds, int n, int *idx)
{
    int *per = calloc((size_t)ds->n_classes, sizeof *per), k = 0, m = 0;
    if (!per) return -1;
    sm_dataset_class_counts(ds, per);
    for (int c = 0; c < ds->n_classes; c++)
        k += per[c] > 0;
    memset(per, 0, (size_t)ds->n_classes * sizeof *per);
    if (k == 0) {
        free(per);
        return 0;
    }
    const int quota = (n + k - 1) / k;
    for (int i = 0; i < ds->n && m < n; i++)
        if (per[ds->labels[i]]++ < quota) idx[m++] = i;
    free(per);
    return m;
}

typedef struct eval_result {
    double val_accuracy, val_phi, fit_phi, rate_e, rate_i;
    int n_components;
    int have_diag;        /* diag.iid: pop holds this evaluation's probe diagnostics */
    sm_diag_layer pop[2]; /* E, I */
} eval_result;

/* diag.iid: the E and I diagnostics of the probe rows the evaluation just filled. */
static sm_status probe_diag(trainer *t, eval_result *out, sm_error *err)
{
    const double t0 = sm_train_now();
    const sm_net *net = t->sim->net;
    sm_status st = sm_diag_stdp_pops(t->probe_rows, t->probe.n, net->n_exc + net->n_inh, net->n_exc,
                                     t->cfg->input.steps_per_image, t->cfg->diag.saturation,
                                     t->cfg->diag.srank_delta, out->pop, err);
    out->have_diag = st == SM_OK;
    t->probe.seconds += sm_train_now() - t0;
    return st;
}

static void mean_rates(const trainer *t, const float *rows, int n, double *re, double *ri)
{
    const sm_net *net = t->sim->net;
    double se = 0, si = 0;
    for (int k = 0; k < n; k++) {
        const float *row = rows + (size_t)k * (size_t)t->d;
        for (int j = 0; j < net->n_exc; j++)
            se += row[j];
        for (int j = net->n_exc; j < t->d; j++)
            si += row[j];
    }
    const double sec = n * t->cfg->input.steps_per_image * t->cfg->run.dt / 1000.0;
    *re = n && net->n_exc ? se / (net->n_exc * sec) : NAN;
    *ri = n && t->d > net->n_exc ? si / ((t->d - net->n_exc) * sec) : NAN;
}

/* Frozen-weight evaluation on a snapshot: fit on a balanced prefix of the training
 * images, score on the validation images. */
static sm_status evaluate(trainer *t, int batch, eval_result *out, sm_error *err)
{
    t->eval_clock = EVAL_CLOCK_BASE + ((uint64_t)batch << EVAL_CLOCK_SHIFT);
    *out = (eval_result){NAN, NAN, NAN, NAN, NAN, 0, 0, {{0}}};
    const double t0 = sm_train_now();
    const sm_dataset *tr = t->data->train, *val = t->data->val;
    const int n_val = val ? val->n : 0;
    int n_fit = t->cfg->train.eval_fit < tr->n ? t->cfg->train.eval_fit : tr->n;
    int *idx = malloc((size_t)n_fit * sizeof *idx);
    int *y = malloc((size_t)(n_fit + n_val) * sizeof *y);
    float *rows = calloc((size_t)(n_fit + n_val) * (size_t)t->d, sizeof *rows);
    sm_sim_state *snap = sm_sim_state_save(t->sim, err);
    sm_status st = SM_OK;
    if (!idx || !y || !rows || !snap) {
        st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
        goto done;
    }
    n_fit = balanced_prefix(tr, n_fit, idx);
    if (n_fit < 0) {
        st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
        goto done;
    }
    t->evaluating = 1;
    t->run->prog.stage = "eval";
    st = represent(t, tr, idx, n_fit, rows, y, err);
    float *vrows = rows + (size_t)n_fit * (size_t)t->d;
    if (st == SM_OK && n_val > 0) st = represent(t, val, NULL, n_val, vrows, y + n_fit, err);
    t->evaluating = 0;
    sm_sim_state_restore(t->sim, snap);
    if (st == SM_OK) st = sm_phi(rows, y, n_fit, t->d, &out->fit_phi, err);
    if (st == SM_OK && n_val > 0) {
        sm_readout_params p;
        sm_readout_result res;
        readout_params(t->cfg, 1, &p);
        st = sm_readout_score(&p, rows, y, n_fit, vrows, y + n_fit, n_val, t->d, NULL, &res, err);
        if (st == SM_OK) st = sm_phi(vrows, y + n_fit, n_val, t->d, &out->val_phi, err);
        if (st == SM_OK) {
            out->val_accuracy = res.accuracy;
            out->n_components = res.n_components;
            mean_rates(t, vrows, n_val, &out->rate_e, &out->rate_i);
        }
        if (st == SM_OK && t->probe.n > 0) st = probe_diag(t, out, err);
    }
done:
    sm_sim_state_free(snap);
    free(idx);
    free(y);
    free(rows);
    t->run->prog.stage = "train";
    t->t_eval += sm_train_now() - t0;
    return st;
}

static void spikes_so_far(const sm_monitor *m, uint64_t out[3])
{
    for (int p = 0; p < 3; p++)
        out[p] = m->total_spikes[p] + m->window_spikes[p];
}

/* One row of the evaluations table. */
static void add_row(trainer *t, json_t *tab, int batch, int64_t images, const eval_result *e,
                    const uint64_t spikes_before[3], uint64_t steps_before, double wall)
{
    sm_sim *sim = t->sim;
    sm_weight_stats w[SM_N_PATHS];
    sm_monitor_weight_stats(sim->mon, sim->net, w);
    double sums[2];
    sm_sleep_block_sums(sim->sleep, sim->net, sums);
    uint64_t now[3];
    spikes_so_far(sim->mon, now);
    const double sec = (double)(sim->count.steps - steps_before) * t->cfg->run.dt / 1000.0;
    const int sizes[3] = {sim->net->n_in, sim->net->n_exc, sim->net->n_inh};
    double rate[3];
    for (int p = 0; p < 3; p++)
        rate[p] =
            sec > 0 && sizes[p] ? (double)(now[p] - spikes_before[p]) / (sizes[p] * sec) : NAN;
    sm_train_col_add(tab, "batch", json_integer(batch));
    sm_train_col_add(tab, "images", json_integer(images));
    sm_train_col_add(tab, "wake_steps", json_integer(sim->count.wake_steps));
    sm_train_col_add(tab, "sleep_steps", json_integer(sim->count.sleep_steps));
    sm_train_col_add(tab, "episodes", json_integer(sim->count.episodes));
    sm_train_col_add(tab, "val_accuracy", sm_train_real(e->val_accuracy));
    sm_train_col_add(tab, "val_phi", sm_train_real(e->val_phi));
    sm_train_col_add(tab, "fit_phi", sm_train_real(e->fit_phi));
    sm_train_col_add(tab, "n_components", json_integer(e->n_components));
    sm_train_col_add(tab, "train_rate_e_hz", sm_train_real(rate[1]));
    sm_train_col_add(tab, "train_rate_i_hz", sm_train_real(rate[2]));
    sm_train_col_add(tab, "eval_rate_e_hz", sm_train_real(e->rate_e));
    sm_train_col_add(tab, "eval_rate_i_hz", sm_train_real(e->rate_i));
    for (int p = 0; p < SM_N_PATHS; p++) {
        char name[64];
        const char *pn = sm_pathway_name(p);
        snprintf(name, sizeof name, "sum_abs_%s", pn);
        sm_train_col_add(tab, name, sm_train_real(w[p].sum_abs));
        snprintf(name, sizeof name, "mean_%s", pn);
        sm_train_col_add(tab, name, sm_train_real(w[p].mean));
        snprintf(name, sizeof name, "sd_%s", pn);
        sm_train_col_add(tab, name, sm_train_real(w[p].sd));
        snprintf(name, sizeof name, "frac_at_bound_%s", pn);
        sm_train_col_add(tab, name, sm_train_real(w[p].frac_at_bound));
    }
    const double *w0 = sim->sleep->w0_block;
    sm_train_col_add(tab, "exc_over_w0", sm_train_real(w0[0] > 0 ? sums[0] / w0[0] : NAN));
    sm_train_col_add(tab, "inh_over_w0", sm_train_real(w0[1] > 0 ? sums[1] / w0[1] : NAN));
    sm_train_col_add(
        tab, "plastic_sum_ratio",
        sm_train_real(t->plastic_initial > 0 ? plastic_sum(t->cfg, w) / t->plastic_initial : NAN));
    if (sim->ip) { /* intrinsic plasticity: h (mV) and g per population */
        const char *pop[2] = {"e", "i"};
        for (int p = 0; p < 2; p++) {
            double hm, hs, gm;
            sm_ip_stats(sim->ip, p, &hm, &hs, &gm);
            char name[64];
            snprintf(name, sizeof name, "ip_h_mean_%s", pop[p]);
            sm_train_col_add(tab, name, sm_train_real(hm));
            snprintf(name, sizeof name, "ip_h_sd_%s", pop[p]);
            sm_train_col_add(tab, name, sm_train_real(hs));
            snprintf(name, sizeof name, "ip_g_mean_%s", pop[p]);
            sm_train_col_add(tab, name, sm_train_real(gm));
        }
    }
    if (sim->rw) sm_struct_add_columns(sim, t->on, tab);
    if (t->probe.n > 0) { /* diag.iid */
        const double t0 = sm_train_now();
        sm_diag_stdp_pop_cols(tab, e->have_diag ? e->pop : NULL, sim->net->n_inh > 0);
        sm_diag_stdp_bound_cols(tab, sim, t->sum0);
        t->probe.seconds += sm_train_now() - t0;
    }
    sm_train_col_add(tab, "wall_s", json_real(wall));
}

/* diag.iid: the probe set and the map from validation images to probe rows. */
static sm_status probe_init(trainer *t, sm_error *err)
{
    sm_status st = sm_diag_iid_init(&t->probe, t->cfg, t->data->val, NULL, err);
    if (st != SM_OK || t->probe.n == 0) return st;
    const sm_dataset *val = t->data->val;
    const int n_all = t->sim->net->n_exc + t->sim->net->n_inh;
    t->probe_slot = calloc((size_t)val->n, sizeof *t->probe_slot);
    t->probe_rows = malloc((size_t)t->probe.n * n_all * sizeof *t->probe_rows);
    if (!t->probe_slot || !t->probe_rows)
        return sm_error_set(err, SM_ENOMEM, "train: out of memory");
    for (int a = 0; a < t->probe.n; a++)
        t->probe_slot[t->probe.idx[a]] = a + 1;
    return SM_OK;
}

/* Trains on images [from, to) of the training set. */
static sm_status train_images(trainer *t, int from, int to, sm_error *err)
{
    const sm_dataset *tr = t->data->train;
    for (int i = from; i < to; i++) {
        sm_status st = sm_encoder_set_image(t->enc, sm_dataset_image(tr, i), err);
        if (st == SM_OK) st = sm_sim_wake(t->sim, t->cfg->input.steps_per_image, err);
        if (st != SM_OK) return st;
        t->run->prog.done++;
        if (sm_train_report(t->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

typedef struct final_result {
    sm_readout_result res;
    double phi;
    sm_scatter scatter;
    json_t *confusion, *per_class;
    float *rows; /* (n_fit + n_test) x d representations, kept for the repr_fn hook */
    int *y;      /* their labels */
    int n_fit, n_test;
} final_result;

/* The final readout: fitted on all (or the last readout.fit_images) training images,
 * scored on the test images. */
static sm_status final_readout(trainer *t, final_result *f, sm_error *err)
{
    const sm_dataset *tr = t->data->train, *te = t->data->test;
    int n_fit = t->cfg->readout.fit_images > 0 && t->cfg->readout.fit_images < tr->n
                    ? t->cfg->readout.fit_images
                    : tr->n;
    const int n = n_fit + te->n;
    int *idx = malloc((size_t)n_fit * sizeof *idx), *y = malloc((size_t)n * sizeof *y);
    int *pred = malloc((size_t)te->n * sizeof *pred);
    float *rows = malloc((size_t)n * (size_t)t->d * sizeof *rows);
    sm_status st = SM_OK;
    memset(f, 0, sizeof *f);
    if (!idx || !y || !pred || !rows) {
        st = sm_error_set(err, SM_ENOMEM, "train: out of memory for the final readout");
        goto done;
    }
    for (int k = 0; k < n_fit; k++)
        idx[k] = tr->n - n_fit + k;
    t->run->prog.stage = "final";
    t->evaluating = 1;
    t->eval_clock = EVAL_CLOCK_BASE + EVAL_CLOCK_FINAL;
    st = represent(t, tr, idx, n_fit, rows, y, err);
    float *trows = rows + (size_t)n_fit * (size_t)t->d;
    if (st == SM_OK) st = represent(t, te, NULL, te->n, trows, y + n_fit, err);
    t->evaluating = 0;
    sm_readout_params p;
    readout_params(t->cfg, 0, &p);
    if (st == SM_OK)
        st =
            sm_readout_score(&p, rows, y, n_fit, trows, y + n_fit, te->n, t->d, pred, &f->res, err);
    if (st == SM_OK) st = sm_scatter_of(trows, y + n_fit, te->n, t->d, &f->scatter, err);
    if (st == SM_OK) {
        f->phi = f->scatter.eta2;
        f->confusion =
            sm_train_confusion_json(y + n_fit, pred, te->n, te->n_classes, &f->per_class);
    }
done:
    free(idx);
    free(pred);
    f->rows = rows;
    f->y = y;
    f->n_fit = n_fit;
    f->n_test = te->n;
    return st;
}

/* The encoder's drive over the training images (each once, as training presents them):
 * mean drive asked and given (expected input spikes per step), the smallest given, and
 * the fraction of images with a clipped pixel. A sum-normalized image whose pixels would
 * need a probability above 1 is clipped and loses drive (docs/formats.md). */
static void add_encoder_drive(const trainer *t, json_t *final)
{
    const sm_dataset *tr = t->data->train;
    double asked = 0, given = 0, given_min = INFINITY;
    int clipped = 0;
    for (int i = 0; i < tr->n; i++) {
        const sm_encoder_drive d = sm_encoder_image_drive(t->enc, sm_dataset_image(tr, i));
        asked += d.asked;
        given += d.given;
        given_min = d.given < given_min ? d.given : given_min;
        clipped += d.clipped > 0;
    }
    const double n = tr->n;
    json_object_set_new(final, "encoder_drive_asked", sm_train_real(n > 0 ? asked / n : NAN));
    json_object_set_new(final, "encoder_drive_given", sm_train_real(n > 0 ? given / n : NAN));
    json_object_set_new(final, "encoder_drive_given_min", sm_train_real(n > 0 ? given_min : NAN));
    json_object_set_new(final, "encoder_clipped_fraction",
                        sm_train_real(n > 0 ? clipped / n : NAN));
}

static json_t *final_json(trainer *t, const final_result *f)
{
    sm_weight_stats w[SM_N_PATHS];
    sm_monitor_weight_stats(t->sim->mon, t->sim->net, w);
    double sums[2];
    sm_sleep_block_sums(t->sim->sleep, t->sim->net, sums);
    const double *w0 = t->sim->sleep->w0_block;
    json_t *warning = json_null();
    if (f->res.underdetermined) {
        char msg[320];
        snprintf(msg, sizeof msg,
                 "published_qda: the smallest class has %d fit rows for %d PCA components, so "
                 "its covariance spans only its own rows and QDA scores near chance; fit on "
                 "more images (readout.fit_images) or use readout.method=pca_logreg "
                 "(docs/readout.md)",
                 f->res.min_class_rows, f->res.n_components);
        warning = json_string(msg);
    }
    json_t *final = json_pack(
        "{s:f, s:i, s:i, s:o, s:o, s:o, s:f, s:i, s:b, s:s, s:o, s:o, s:o, s:o, s:o}",
        "test_accuracy", f->res.accuracy, "n_correct", f->res.n_correct, "n_test", f->res.n_test,
        "test_phi", sm_train_real(f->phi), "test_f_ratio", sm_train_real(f->scatter.f_ratio),
        "n_fit_images", json_integer(f->res.n_fit), "explained_variance", f->res.explained_variance,
        "n_components", f->res.n_components, "degenerate", f->res.degenerate, "readout",
        sm_readout_method_name((sm_readout_method)t->cfg->readout.method), "confusion",
        f->confusion ? json_incref(f->confusion) : json_array(), "per_class_accuracy",
        f->per_class ? json_incref(f->per_class) : json_array(), "plastic_sum_ratio",
        sm_train_real(t->plastic_initial > 0 ? plastic_sum(t->cfg, w) / t->plastic_initial : NAN),
        "exc_over_w0", sm_train_real(w0[0] > 0 ? sums[0] / w0[0] : NAN), "inh_over_w0",
        sm_train_real(w0[1] > 0 ? sums[1] / w0[1] : NAN));
    if (final && t->sim->ip) {
        double hm, hs, gm;
        sm_ip_stats(t->sim->ip, 0, &hm, &hs, &gm);
        json_object_set_new(final, "ip_h_mean_e", sm_train_real(hm));
        json_object_set_new(final, "ip_h_sd_e", sm_train_real(hs));
        json_object_set_new(final, "ip_g_mean_e", sm_train_real(gm));
    }
    if (final && t->on)
        json_object_set_new(final, "f_on", sm_train_real(sm_struct_f_on(t->sim->net, t->on)));
    if (final && t->sim->rw)
        json_object_set_new(final, "structure_events_n", json_integer(t->sim->rw->events));
    if (final && t->w_start) /* spec diehl-cook.md 9: receptive-field drift and dead E */
        json_object_set_new(final, "rf_drift_se",
                            sm_train_real(sm_rf_drift(t->sim->net, t->w_start)));
    if (final && f->rows)
        json_object_set_new(final, "dead_e_fraction",
                            sm_train_real(sm_dead_fraction(f->rows + (size_t)f->n_fit * t->d,
                                                           f->n_test, t->d, t->sim->net->n_exc)));
    if (final) {
        add_encoder_drive(t, final);
        json_object_set_new(final, "min_class_fit_rows", json_integer(f->res.min_class_rows));
        json_object_set_new(final, "readout_warning", warning);
    } else
        json_decref(warning);
    return final;
}

static sm_status check_sizes(const sm_config *cfg, const sm_train_data *data, sm_error *err)
{
    const int pixels = data->train->width * data->train->height;
    if (pixels != cfg->net.n_input)
        return sm_error_set(err, SM_EINVAL,
                            "train: images have %d pixels (%d x %d) but net.n_input is %d; set "
                            "input.width/input.height or net.n_input to match",
                            pixels, data->train->width, data->train->height, cfg->net.n_input);
    return SM_OK;
}

/* Writes the state after `batches` batches (between batches: no episode is running). */
static sm_status save_checkpoint(trainer *t, json_t *tab, int batches, double wall, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_train_position pos = {batches, t->t_eval, wall};
    sm_ckpt *c = sm_train_ckpt_begin(t->cfg, t->data, t->run, tab, &pos, err);
    if (!c) return err->code;
    sm_status st = sm_sim_checkpoint_save(t->sim, c, err);
    if (st == SM_OK) st = sm_ckpt_write(c, t->run->ckpt_path, err);
    sm_ckpt_free(c);
    return st;
}

/* Restores a checkpoint into the freshly built trainer; *k0 = batches already done. */
static sm_status resume(trainer *t, json_t **tab, int *k0, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_train_position pos;
    sm_ckpt *c = sm_train_ckpt_resume(t->cfg, t->data, t->run, tab, &pos, err);
    if (!c) return err->code;
    sm_status st = sm_sim_checkpoint_load(t->sim, c, t->run->resume_path, err);
    *k0 = pos.done;
    t->t_eval = pos.eval_s;
    t->wall_offset = pos.wall_s;
    sm_ckpt_free(c);
    return st;
}

static sm_status run_batches(trainer *t, json_t *tab, int k0, sm_error *err)
{
    const sm_config *cfg = t->cfg;
    const int n = t->data->train->n, b = cfg->data.batch;
    const int n_batches = (n + b - 1) / b;
    const double t0 = sm_train_now() - t->wall_offset;
    uint64_t spikes[3];
    uint64_t steps0 = t->sim->count.steps;
    spikes_so_far(t->sim->mon, spikes);
    eval_result e;
    sm_status st = SM_OK;
    if (cfg->train.eval_every > 0 && k0 == 0) {
        st = evaluate(t, 0, &e, err);
        if (st != SM_OK) return st;
        add_row(t, tab, 0, 0, &e, spikes, steps0, sm_train_now() - t0);
        t->run->prog.last_accuracy = e.val_accuracy;
    }
    for (int k = k0; k < n_batches && st == SM_OK; k++) {
        t->run->prog.batch = k + 1;
        spikes_so_far(t->sim->mon, spikes);
        steps0 = t->sim->count.steps;
        const int to = (k + 1) * b < n ? (k + 1) * b : n;
        st = train_images(t, k * b, to, err);
        /* A diverged state stops the run here, naming the step and the parameters. */
        if (st == SM_OK) st = sm_sim_check_finite(t->sim, err);
        const int due = cfg->train.eval_every > 0 &&
                        ((k + 1) % cfg->train.eval_every == 0 || k + 1 == n_batches);
        if (st == SM_OK && due) {
            st = evaluate(t, k + 1, &e, err);
            if (st == SM_OK) {
                add_row(t, tab, k + 1, to, &e, spikes, steps0, sm_train_now() - t0);
                t->run->prog.last_accuracy = e.val_accuracy;
            }
        }
        if (st == SM_OK && t->run->ckpt_path && (k + 1) % t->run->ckpt_every == 0 &&
            k + 1 < n_batches)
            st = save_checkpoint(t, tab, k + 1, sm_train_now() - t0, err);
    }
    return st;
}

static int64_t planned_work(const sm_config *cfg, const sm_train_data *d)
{
    const int n = d->train->n, b = cfg->data.batch, n_batches = (n + b - 1) / b;
    const int fit = cfg->train.eval_fit < n ? cfg->train.eval_fit : n;
    int n_evals = 0;
    if (cfg->train.eval_every > 0)
        n_evals = 1 + n_batches / cfg->train.eval_every + (n_batches % cfg->train.eval_every != 0);
    const int final_fit =
        cfg->readout.fit_images > 0 && cfg->readout.fit_images < n ? cfg->readout.fit_images : n;
    return (int64_t)n + (int64_t)n_evals * (fit + (d->val ? d->val->n : 0)) + final_fit +
           d->test->n;
}

sm_status sm_train_stdp(const sm_config *cfg_in, const sm_train_data *data, sm_train_run_ctx *r,
                        json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_status st = check_sizes(cfg_in, data, err);
    if (st != SM_OK) return st;
    sm_config cfg = *cfg_in;
    /* The batch schedule sleeps at the start of every batch: its period is the batch. */
    if (cfg.sleep.schedule == SM_SCHED_BATCH)
        cfg.sleep.period = (int64_t)cfg.data.batch * cfg.input.steps_per_image;
    const double t_start = sm_train_now();
    trainer t = {.cfg = &cfg, .data = data, .run = r};
    t.sim = sm_sim_create(&cfg, err);
    if (!t.sim) return err->code;
    t.enc = sm_encoder_create(&cfg, cfg.net.n_input, err);
    if (!t.enc) {
        sm_sim_destroy(t.sim);
        return err->code;
    }
    sm_sim_set_input(t.sim, trainer_input, &t);
    t.d = cfg.net.n_exc + (cfg.readout.features == SM_FEAT_ALL ? cfg.net.n_inh : 0);
    sm_monitor_weight_stats(t.sim->mon, t.sim->net, t.w_initial);
    t.plastic_initial = plastic_sum(&cfg, t.w_initial);
    if (!t.sim->rw) { /* without rewiring the synapses stay where they are: drift is defined */
        t.w_start = malloc((size_t)(t.sim->net->n_syn ? t.sim->net->n_syn : 1) * sizeof(float));
        if (t.w_start) memcpy(t.w_start, t.sim->net->w, (size_t)t.sim->net->n_syn * sizeof(float));
    }
    if (t.sim->rw) {
        t.sim->rw->on_event = r->struct_event_fn;
        t.sim->rw->on_event_ctx = r->struct_event_ctx;
    }
    if (t.sim->rw)
        sm_rewire_set_horizon(
            t.sim->rw,
            sm_struct_predicted_events(&cfg, (int64_t)data->train->n * cfg.input.steps_per_image));
    /* on-pixels for f_on in every run, so the reference without rewiring reports it too */
    const int n_pix = data->train->width * data->train->height;
    t.on = n_pix == cfg.net.n_input ? malloc((size_t)n_pix) : NULL;
    if (!t.on && n_pix == cfg.net.n_input) {
        sm_encoder_destroy(t.enc);
        sm_sim_destroy(t.sim);
        free(t.w_start);
        return sm_error_set(err, SM_ENOMEM, "train: out of memory");
    }
    if (t.on) sm_struct_on_pixels(data->train, t.on);
    sm_diag_stdp_pathway_sums(t.sim, t.sum0);
    st = probe_init(&t, err);
    const int b = cfg.data.batch;
    r->prog = (sm_train_progress){
        "train", 0, planned_work(&cfg, data), 0, (data->train->n + b - 1) / b, NAN};
    const double t_train = sm_train_now();
    json_t *tab = json_object();
    int k0 = 0;
    if (st == SM_OK && r->resume_path) st = resume(&t, &tab, &k0, err);
    if (st == SM_OK) st = run_batches(&t, tab, k0, err);
    if (st == SM_OK && t.sim->mon->window_steps > 0) st = sm_sim_record(t.sim, err);
    const double t_final = sm_train_now();
    final_result f = {0};
    if (st == SM_OK) st = final_readout(&t, &f, err);
    const double t_end = sm_train_now();
    if (st == SM_OK) {
        const double train_s = t_final - t_train - t.t_eval;
        json_t *doc = json_pack(
            "{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "somnus_version",
            sm_version(), "command", "train", "model", "stdp", "seed", (json_int_t)cfg.run.seed,
            "config", sm_config_to_json(&cfg), "data", sm_train_data_json(data), "network",
            sm_net_to_json(t.sim->net), "evaluations", tab, "final", final_json(&t, &f),
            "weights_initial", sm_pathway_stats_to_json(t.w_initial), "counters",
            sm_sim_counters_to_json(&t.sim->count), "monitor", sm_monitor_to_json(t.sim->mon),
            "timing",
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:i}", "build_s", t_train - t_start,
                      "train_s", train_s, "eval_s", t.t_eval, "final_s", t_end - t_final, "wall_s",
                      t_end - t_start, "train_steps_per_s",
                      train_s > 0
                          ? (double)(t.sim->count.wake_steps + t.sim->count.sleep_steps) / train_s
                          : 0.0,
                      "threads", t.sim->threads));
        tab = NULL;
        if (doc && t.probe.n > 0)
            json_object_set_new(json_object_get(doc, "timing"), "diag_s",
                                json_real(t.probe.seconds));
        if (doc && t.sim->rw)
            json_object_set_new(doc, "structure_events", sm_struct_events_json(t.sim->rw));
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    if (st == SM_OK && r->repr_fn)
        r->repr_fn(r->repr_ctx, f.rows, f.y, f.n_fit, f.rows + (size_t)f.n_fit * (size_t)t.d,
                   f.y + f.n_fit, f.n_test, t.d);
    if (st == SM_OK && r->final_fn) r->final_fn(r->final_ctx, t.sim);
    free(f.rows);
    free(f.y);
    json_decref(tab);
    json_decref(f.confusion);
    json_decref(f.per_class);
    sm_encoder_destroy(t.enc);
    sm_sim_destroy(t.sim);
    free(t.on);
    free(t.w_start);
    sm_diag_iid_free(&t.probe);
    free(t.probe_slot);
    free(t.probe_rows);
    return st;
}
