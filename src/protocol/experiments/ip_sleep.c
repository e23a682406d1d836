/* Experiment ip-sleep (spec intrinsic.md B2, grid I1): does intrinsic plasticity replace
 * sleep or complement it? Conditions (intrinsic-plasticity rule and targets, STDP sign,
 * the frozen random network) x datasets x sleep rates x seeds of `somnus train` on the
 * paper config, run by the sweep runner; each cell reduced to mean +- sd over seeds.
 * Readout: PCA + logistic regression on E counts. Outputs: cells.csv, runs.csv and the
 * figures accuracy.png, stability.png, weights.png, rates.png (against sleep rate) and
 * h.png (mean threshold offset h of E over batches). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "protocol/experiments/name_list.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"

/* configs/paper.cfg at 100 steps per image with the readout of the spec: PCA + logistic
 * regression on the E counts. Evaluations every batch give the stability measure, the
 * wake rates per batch and h over time. */
static const char *const DEFAULTS[] = {"stdp.sign=as_published",   "readout.method=pca_logreg",
                                       "readout.standardize=true", "readout.whiten=true",
                                       "readout.features=exc",     "input.steps_per_image=100",
                                       "train.eval_every=1",       NULL};

/* One condition of the grid. */
typedef struct ip_cond {
    const char *name;    /* as listed in table.ip_conditions */
    const char *rule;    /* ip.rule */
    double target_e;     /* ip.target_e; NaN for no rule */
    double eta_h;        /* ip.eta_h; NaN where the rule has none */
    const char *sign;    /* stdp.sign */
    int frozen;          /* 1: no plasticity, no sleep (the random-network control) */
    const char *rates;   /* sleep rates of this condition; NULL = table.sleep_rates */
    const char *dataset; /* the only dataset of this condition; NULL = table.datasets */
} ip_cond;

static const ip_cond CONDS[] = {
    {"none", "none", NAN, NAN, "as_published", 0, NULL, NULL},
    {"rate5", "rate", 5, 0.02, "as_published", 0, NULL, NULL},
    {"rate10", "rate", 10, 0.02, "as_published", 0, NULL, NULL},
    {"rate20", "rate", 20, 0.02, "as_published", 0, NULL, NULL},
    {"rate10_slow", "rate", 10, 0.002, "as_published", 0, NULL, NULL},
    {"triesch10", "triesch", 10, NAN, "as_published", 0, NULL, NULL},
    {"textbook_none", "none", NAN, NAN, "textbook", 0, "0,0.2", "mnist"},
    {"textbook_rate10", "rate", 10, 0.02, "textbook", 0, "0,0.2", "mnist"},
    {"frozen", "none", NAN, NAN, "as_published", 1, "0", NULL},
};
#define N_CONDS ((int)(sizeof CONDS / sizeof CONDS[0]))

/* What one run gives. */
typedef struct ip_run {
    double acc, wsum, rate_final, rate_b7, stab, h_final;
    int n_batches;
    double *h, *rate; /* per evaluated batch (0 = before training) */
} ip_run;

/* One cell: a condition, a dataset and a sleep rate over seeds. */
typedef struct ip_cell {
    const ip_cond *cond;
    char dataset[64];
    double sleep_rate;
    int seeds;
    ip_run *runs; /* seeds runs */
    double mean, sd, wsum, rate_final, stab, rate_b7_min, h_final;
} ip_cell;

/* Reads a run's document: final scores and the per-batch evaluation columns. */
static int read_run(json_t *doc, ip_run *r)
{
    json_t *fin = json_object_get(doc, "final"), *ev = json_object_get(doc, "evaluations");
    r->acc = sm_json_number(json_object_get(fin, "test_accuracy"));
    r->wsum = sm_json_number(json_object_get(fin, "plastic_sum_ratio"));
    json_t *batch = json_object_get(ev, "batch"), *val = json_object_get(ev, "val_accuracy");
    json_t *rate = json_object_get(ev, "train_rate_e_hz"), *h = json_object_get(ev, "ip_h_mean_e");
    const int n = (int)json_array_size(batch);
    r->n_batches = n;
    r->h = calloc((size_t)n + 1, sizeof *r->h);
    r->rate = calloc((size_t)n + 1, sizeof *r->rate);
    if (!r->h || !r->rate) return 0;
    double s = 0, ss = 0;
    int m = 0;
    r->rate_b7 = r->rate_final = r->h_final = NAN;
    for (int i = 0; i < n; i++) {
        const double b = sm_json_number(json_array_get(batch, (size_t)i));
        r->h[i] = h ? sm_json_number(json_array_get(h, (size_t)i)) : 0;
        r->rate[i] = sm_json_number(json_array_get(rate, (size_t)i));
        if (b == 7) r->rate_b7 = r->rate[i];
        if (b >= 10 && b <= 20) {
            const double a = sm_json_number(json_array_get(val, (size_t)i));
            s += a;
            ss += a * a;
            m++;
        }
    }
    if (n > 0) {
        r->rate_final = r->rate[n - 1];
        r->h_final = r->h[n - 1];
    }
    r->stab = m > 1 ? sqrt(fmax(0, (ss - s * s / m) / (m - 1))) : NAN;
    return 1;
}

static double mean_of(const ip_cell *c, size_t field)
{
    double s = 0;
    for (int i = 0; i < c->seeds; i++) {
        double v;
        memcpy(&v, (const char *)&c->runs[i] + field, sizeof v);
        s += v;
    }
    return s / c->seeds;
}

static void reduce_cell(ip_cell *c)
{
    double s = 0, ss = 0, lo = INFINITY;
    for (int i = 0; i < c->seeds; i++)
        s += c->runs[i].acc;
    c->mean = s / c->seeds;
    for (int i = 0; i < c->seeds; i++) {
        ss += (c->runs[i].acc - c->mean) * (c->runs[i].acc - c->mean);
        lo = c->runs[i].rate_b7 < lo ? c->runs[i].rate_b7 : lo;
    }
    c->sd = c->seeds > 1 ? sqrt(ss / (c->seeds - 1)) : 0;
    c->wsum = mean_of(c, offsetof(ip_run, wsum));
    c->rate_final = mean_of(c, offsetof(ip_run, rate_final));
    c->stab = mean_of(c, offsetof(ip_run, stab));
    c->h_final = mean_of(c, offsetof(ip_run, h_final));
    c->rate_b7_min = isfinite(lo) ? lo : NAN;
}

/* The base config of a condition. */
static sm_status cond_config(const sm_config *cfg, const ip_cond *k, sm_config *out, sm_error *err)
{
    *out = *cfg;
    char a[96];
    sm_status st = sm_config_set(out, "ip.rule", k->rule, "ip-sleep", err);
    if (st == SM_OK) st = sm_config_set(out, "stdp.sign", k->sign, "ip-sleep", err);
    if (st == SM_OK && isfinite(k->target_e)) {
        snprintf(a, sizeof a, "%g", k->target_e);
        st = sm_config_set(out, "ip.target_e", a, "ip-sleep", err);
    }
    if (st == SM_OK && isfinite(k->eta_h)) {
        snprintf(a, sizeof a, "%g", k->eta_h);
        st = sm_config_set(out, "ip.eta_h", a, "ip-sleep", err);
    }
    const char *plastic[] = {"net.plastic_se", "net.plastic_ee", "net.plastic_ei",
                             "net.plastic_ie"};
    for (int p = 0; k->frozen && st == SM_OK && p < 4; p++)
        st = sm_config_set(out, plastic[p], "false", "ip-sleep", err);
    if (st == SM_OK && k->dataset)
        st = sm_config_set(out, "table.datasets", k->dataset, "ip-sleep", err);
    return st;
}

/* table.ip_conditions names only known conditions. */
static sm_status check_list(const char *list, sm_error *err)
{
    const char *names[N_CONDS];
    for (int k = 0; k < N_CONDS; k++)
        names[k] = CONDS[k].name;
    return sm_exp_list_check("table.ip_conditions", list, names, N_CONDS, err);
}

/* Runs one condition's grid and appends its cells. */
static sm_status run_cond(const sm_experiment_ctx *ctx, const ip_cond *k, ip_cell **cells,
                          int *n_cells, sm_error *err)
{
    sm_config base;
    sm_grid g;
    sm_grid_init(&g);
    sm_status st = cond_config(ctx->cfg, k, &base, err);
    if (st == SM_OK) st = sm_exp_table_grid(&base, k->rates, &g, err);
    if (st != SM_OK) {
        sm_grid_free(&g);
        return st;
    }
    const int64_t n = sm_grid_n_cells(&g);
    sm_exp_run *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    char label[80];
    snprintf(label, sizeof label, "%s ", k->name);
    if (st == SM_OK) st = sm_exp_run_grid_docs(ctx, &base, &g, label, rows, err);
    const int n_d = g.axes[0].n, n_r = g.axes[1].n, seeds = g.axes[2].n;
    ip_cell *grown =
        st == SM_OK ? realloc(*cells, (size_t)(*n_cells + n_d * n_r) * sizeof **cells) : NULL;
    if (st == SM_OK && !grown) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    if (grown) *cells = grown;
    for (int d = 0; st == SM_OK && d < n_d; d++)
        for (int r = 0; st == SM_OK && r < n_r; r++) {
            const int64_t first = ((int64_t)d * n_r + r) * seeds;
            ip_cell *c = &(*cells)[(*n_cells)++];
            memset(c, 0, sizeof *c);
            json_t *p = sm_grid_cell_params(&g, first);
            c->cond = k;
            snprintf(c->dataset, sizeof c->dataset, "%s",
                     json_string_value(json_object_get(p, "data.dataset")));
            c->sleep_rate =
                k->frozen ? 0 : atof(json_string_value(json_object_get(p, "sleep.rate")));
            json_decref(p);
            c->seeds = seeds;
            c->runs = calloc((size_t)seeds, sizeof *c->runs);
            if (!c->runs) st = sm_error_set(err, SM_ENOMEM, "out of memory");
            for (int i = 0; st == SM_OK && i < seeds; i++)
                if (!read_run(rows[first + i].doc, &c->runs[i]))
                    st = sm_error_set(err, SM_ENOMEM, "out of memory");
            if (st == SM_OK) reduce_cell(c);
        }
    for (int64_t i = 0; rows && i < n; i++)
        json_decref(rows[i].doc);
    free(rows);
    sm_grid_free(&g);
    return st;
}

static json_t *cell_json(const ip_cell *c)
{
    const ip_cond *k = c->cond;
    json_t *accs = json_array();
    for (int i = 0; i < c->seeds; i++)
        json_array_append_new(accs, sm_exp_real(c->runs[i].acc));
    return json_pack(
        "{s:s, s:s, s:f, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:i, s:o}",
        "dataset", c->dataset, "condition", k->name, "sleep_rate", c->sleep_rate, "ip_rule",
        k->frozen ? "frozen" : k->rule, "target_e", sm_exp_real(k->target_e), "mean_accuracy",
        sm_exp_real(c->mean), "sd_accuracy", sm_exp_real(c->sd), "plastic_sum_ratio",
        sm_exp_real(c->wsum), "final_rate_e", sm_exp_real(c->rate_final), "eta_h",
        sm_exp_real(k->eta_h), "stdp_sign", k->sign, "mean_accuracy_qda", json_null(),
        "stability_sd", sm_exp_real(c->stab), "rate_e_batch7_min", sm_exp_real(c->rate_b7_min),
        "h_mean_e_final", sm_exp_real(c->h_final), "n_seeds", c->seeds, "accuracies", accs);
}

static sm_status write_csvs(const sm_experiment_ctx *ctx, const ip_cell *cells, int n,
                            sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "dataset,condition,ip_rule,target_e,eta_h,stdp_sign,sleep_rate,n_seeds,"
                  "mean_accuracy,sd_accuracy,stability_sd,plastic_sum_ratio,final_rate_e,"
                  "rate_e_batch7_min,h_mean_e_final\n");
    for (int i = 0; i < n; i++) {
        const ip_cell *c = &cells[i];
        fprintf(f.fp, "%s,%s,%s,%g,%g,%s,%g,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
                c->dataset, c->cond->name, c->cond->frozen ? "frozen" : c->cond->rule,
                c->cond->target_e, c->cond->eta_h, c->cond->sign, c->sleep_rate, c->seeds, c->mean,
                c->sd, c->stab, c->wsum, c->rate_final, c->rate_b7_min, c->h_final);
    }
    st = sm_atomic_commit(&f, err);
    if (st != SM_OK || !sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return st;
    if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
    fprintf(f.fp, "dataset,condition,sleep_rate,seed_index,test_accuracy,stability_sd,"
                  "plastic_sum_ratio,final_rate_e,rate_e_batch7,h_mean_e_final\n");
    for (int i = 0; i < n; i++)
        for (int s = 0; s < cells[i].seeds; s++) {
            const ip_run *r = &cells[i].runs[s];
            fprintf(f.fp, "%s,%s,%g,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", cells[i].dataset,
                    cells[i].cond->name, cells[i].sleep_rate, s, r->acc, r->stab, r->wsum,
                    r->rate_final, r->rate_b7, r->h_final);
        }
    return sm_atomic_commit(&f, err);
}

/* A metric of the cells against sleep rate: one line per (condition, dataset); the frozen
 * control (one rate) as a dashed level line over the rates shown. */
static sm_status plot_metric(const sm_experiment_ctx *ctx, const ip_cell *cells, int n,
                             const char *file, const char *title, const char *ylabel, size_t field,
                             int with_sd, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, file, path, sizeof path)) return SM_OK;
    double *buf = calloc((size_t)n * 3 + 8, sizeof *buf);
    sm_plot_series *s = calloc((size_t)n, sizeof *s);
    char(*labels)[96] = calloc((size_t)n, sizeof *labels);
    int *seen = calloc((size_t)n, sizeof *seen);
    if (!buf || !s || !labels || !seen) {
        free(buf);
        free(s);
        free(labels);
        free(seen);
        return sm_error_set(err, SM_ENOMEM, "out of memory");
    }
    double rmax = 0;
    for (int i = 0; i < n; i++)
        rmax = cells[i].sleep_rate > rmax ? cells[i].sleep_rate : rmax;
    int n_s = 0, used = 0;
    for (int i = 0; i < n; i++) {
        if (seen[i]) continue;
        double *x = buf + used, *y = x + n, *e = y + n; /* room: one third each at most */
        int m = 0;
        for (int j = i; j < n; j++)
            if (!seen[j] && cells[j].cond == cells[i].cond &&
                !strcmp(cells[j].dataset, cells[i].dataset)) {
                seen[j] = 1;
                x[m] = cells[j].sleep_rate;
                memcpy(&y[m], (const char *)&cells[j] + field, sizeof y[m]);
                e[m] = cells[j].sd;
                m++;
            }
        if (cells[i].cond->frozen && m == 1 && rmax > 0) {
            x[1] = rmax;
            y[1] = y[0];
            e[1] = e[0];
            m = 2;
        }
        used += m;
        snprintf(labels[n_s], sizeof labels[n_s], "%s, %s", cells[i].dataset, cells[i].cond->name);
        s[n_s] = (sm_plot_series){.label = labels[n_s],
                                  .x = x,
                                  .y = y,
                                  .err_lo = with_sd ? e : NULL,
                                  .n = m,
                                  .dashed = cells[i].cond->frozen};
        n_s++;
    }
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = "sleep rate";
    spec.ylabel = ylabel;
    sm_status st = sm_plot_lines(path, &spec, s, n_s, err);
    free(buf);
    free(s);
    free(labels);
    free(seen);
    return st;
}

/* Mean h of E over batches (mean over seeds), one line per cell with a rule. */
static sm_status plot_h(const sm_experiment_ctx *ctx, const ip_cell *cells, int n, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, "h.png", path, sizeof path)) return SM_OK;
    int nb = 0;
    for (int i = 0; i < n; i++)
        nb = cells[i].runs[0].n_batches > nb ? cells[i].runs[0].n_batches : nb;
    double *y = calloc((size_t)n * (size_t)(nb + 1), sizeof *y);
    sm_plot_series *s = calloc((size_t)n, sizeof *s);
    char(*labels)[96] = calloc((size_t)n, sizeof *labels);
    if (!y || !s || !labels) {
        free(y);
        free(s);
        free(labels);
        return sm_error_set(err, SM_ENOMEM, "out of memory");
    }
    int n_s = 0;
    for (int i = 0; i < n; i++) {
        const ip_cell *c = &cells[i];
        if (!strcmp(c->cond->rule, "none")) continue;
        double *row = y + (size_t)n_s * (size_t)(nb + 1);
        const int m = c->runs[0].n_batches;
        for (int b = 0; b < m; b++) {
            for (int k = 0; k < c->seeds; k++)
                row[b] += b < c->runs[k].n_batches ? c->runs[k].h[b] : NAN;
            row[b] /= c->seeds;
        }
        snprintf(labels[n_s], sizeof labels[n_s], "%s, %s, sleep %g", c->dataset, c->cond->name,
                 c->sleep_rate);
        s[n_s] = (sm_plot_series){.label = labels[n_s], .y = row, .n = m};
        n_s++;
    }
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = "Intrinsic threshold offset h of E (mean over neurons and seeds)";
    spec.xlabel = "batch";
    spec.ylabel = "h (mV)";
    sm_status st = n_s ? sm_plot_lines(path, &spec, s, n_s, err) : SM_OK;
    free(y);
    free(s);
    free(labels);
    return st;
}

static sm_status plots(const sm_experiment_ctx *ctx, const ip_cell *c, int n, sm_error *err)
{
    sm_status st = plot_metric(ctx, c, n, "accuracy.png",
                               "Test accuracy (PCA + LR on E), mean +- sd over seeds",
                               "test accuracy", offsetof(ip_cell, mean), 1, err);
    if (st == SM_OK)
        st = plot_metric(ctx, c, n, "stability.png",
                         "Stability: sd of validation accuracy over batches 10-20",
                         "sd of val accuracy", offsetof(ip_cell, stab), 0, err);
    if (st == SM_OK)
        st = plot_metric(ctx, c, n, "weights.png", "Plastic weight sum / start",
                         "plastic_sum_ratio", offsetof(ip_cell, wsum), 0, err);
    if (st == SM_OK)
        st = plot_metric(ctx, c, n, "rates.png", "Wake E rate over the last batch", "rate (Hz)",
                         offsetof(ip_cell, rate_final), 0, err);
    if (st == SM_OK) st = plot_h(ctx, c, n, err);
    return st;
}

static void free_cells(ip_cell *cells, int n)
{
    for (int i = 0; i < n; i++) {
        for (int s = 0; cells[i].runs && s < cells[i].seeds; s++) {
            free(cells[i].runs[s].h);
            free(cells[i].runs[s].rate);
        }
        free(cells[i].runs);
    }
    free(cells);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    sm_status st = check_list(cfg->table.ip_conditions, err);
    ip_cell *cells = NULL;
    int n = 0;
    for (int k = 0; st == SM_OK && k < N_CONDS; k++)
        if (sm_exp_list_has(cfg->table.ip_conditions, CONDS[k].name))
            st = run_cond(ctx, &CONDS[k], &cells, &n, err);
    if (st == SM_OK) st = write_csvs(ctx, cells, n, err);
    if (st == SM_OK) st = plots(ctx, cells, n, err);
    if (st == SM_OK) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, cell_json(&cells[i]));
        *results =
            json_pack("{s:o, s:{s:i, s:i, s:i, s:i, s:s, s:s}}", "cells", arr, "protocol",
                      "steps_per_image", cfg->input.steps_per_image, "n_train", cfg->data.n_train,
                      "batch", cfg->data.batch, "n_test", cfg->data.n_test, "readout", "pca_logreg",
                      "features", cfg->readout.features == SM_FEAT_EXC ? "exc" : "all");
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    }
    free_cells(cells, n);
    return st;
}

const sm_experiment_def sm_exp_ip_sleep = {
    .name = "ip-sleep",
    .description = "Intrinsic plasticity and sleep (spec intrinsic.md I1): sleep rate x IP rule x "
                   "targets, the textbook sign and the frozen network, mean +- sd over seeds",
    .defaults = DEFAULTS,
    .quick_defaults =
        (const char *const[]){"data.n_train=80", "data.n_val=20", "data.n_test=40", "data.batch=40",
                              "train.eval_fit=20", "input.steps_per_image=20", "sleep.period=800",
                              "table.seeds=1", "table.datasets=mnist", "table.sleep_rates=0.2",
                              "table.ip_conditions=none,rate10,frozen", NULL},
    .run = run,
};
