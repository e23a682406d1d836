/* Experiment sleep-stdp-compare: the like-for-like comparison of issue 16. For each
 * dataset and sleep rate, five rows of `train` runs, each a mean +- sd over seeds, with
 * the paper's number beside them:
 *   (a) the authors' protocol as their code ran it (configs/published-runs.cfg);
 *   (b) the paper config, the published readout fitted on all training images;
 *   (c) the same runs read out by PCA + logistic regression on E counts (the training is
 *       identical: the readout never changes it, so these are the same representations);
 *   (d) a frozen random network (no plasticity, no sleep) with (b)'s readout;
 *   (e) somnus's defaults (since issue 18: published STDP sign, Triesch intrinsic
 *       plasticity at 10 Hz; PCA + logistic regression on E counts) at the table's sleep
 *       rates.
 * Outputs: rows.csv, runs.csv, compare.md (the README's table), accuracy-<dataset>.png. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"

/* Rows (b)-(e) at 100 steps per image, as `make demo`; (a) sets its own 1,000. */
static const char *const DEFAULTS[] = {"input.steps_per_image=100", "train.eval_every=0",
                                       "table.sleep_rates=0,0.1,0.2", NULL};

static const char *const QUICK[] = {"data.n_train=400",
                                    "data.n_val=0",
                                    "data.n_test=100",
                                    "data.batch=100",
                                    "input.steps_per_image=25",
                                    "sleep.period=2500",
                                    "table.seeds=2",
                                    "table.sleep_rates=0,0.2",
                                    NULL};

static const char *const PAPER_READOUT[] = {"readout.method=pca_logreg", "readout.standardize=true",
                                            "readout.whiten=true", "readout.features=all", NULL};

static const char *const SET_A[] = {"ip.rule=none",
                                    "stdp.sign=as_published",
                                    "stdp.tau_plus=10",
                                    "stdp.tau_minus=7.5",
                                    "stdp.eta_e=0.0008",
                                    "stdp.eta_i=0.005",
                                    "net.w_ei=0.6",
                                    "noise.wake=true",
                                    "readout.method=pca_logreg",
                                    "readout.standardize=true",
                                    "readout.whiten=true",
                                    "readout.features=all",
                                    "readout.fit_images=300",
                                    "readout.fit_fraction=0.8",
                                    NULL};
static const char *const SET_B[] = {"ip.rule=none", "stdp.sign=as_published", NULL};
static const char *const SET_C[] = {"ip.rule=none",
                                    "stdp.sign=as_published",
                                    "readout.method=pca_logreg",
                                    "readout.standardize=false",
                                    "readout.whiten=true",
                                    "readout.features=exc",
                                    NULL};
static const char *const SET_D[] = {"ip.rule=none",
                                    "net.plastic_se=false",
                                    "net.plastic_ee=false",
                                    "net.plastic_ei=false",
                                    "net.plastic_ie=false",
                                    "sleep.mode=none",
                                    NULL};
static const char *const SET_E[] = {NULL};

typedef struct variant {
    const char *row, *label;
    const char *const *paper_readout; /* applied before `set` (NULL: none) */
    const char *const *set;
    int steps_quick_a; /* 1: in --quick, (a) keeps a shorter presentation than 1,000 */
    int no_sleep;      /* 1: run at sleep rate 0 only and repeat it in every column */
} variant;

static const variant VARIANTS[] = {
    {"a",
     "authors' protocol (published-runs.cfg: 1,000 steps/image, readout on 80% of the last "
     "300 training images)",
     NULL, SET_A, 1, 0},
    {"b",
     "paper config, published readout (standardized PCA + LR, E and I) on all training "
     "images",
     PAPER_READOUT, SET_B, 0, 0},
    {"c", "paper config, PCA + LR on E counts (same runs as b)", NULL, SET_C, 0, 0},
    {"d", "frozen random network, published readout on all training images", PAPER_READOUT, SET_D,
     0, 1},
    {"e", "somnus defaults (published sign, triesch IP at 10 Hz, PCA + LR on E counts)", NULL,
     SET_E, 0, 0},
};
#define N_VARIANTS (int)(sizeof VARIANTS / sizeof VARIANTS[0])

static sm_status apply_list(sm_config *cfg, const char *const *list, const char *row, sm_error *err)
{
    char origin[64];
    snprintf(origin, sizeof origin, "sleep-stdp-compare row %s", row);
    for (const char *const *a = list; a && *a; a++) {
        sm_status st = sm_config_set_assignment(cfg, *a, origin, err);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

/* The config of a row: the experiment's (user's) config, then the row's settings. */
static sm_status variant_config(const sm_experiment_ctx *ctx, const variant *v, sm_config *cfg,
                                sm_error *err)
{
    *cfg = *ctx->cfg;
    sm_status st = apply_list(cfg, v->paper_readout, v->row, err);
    if (st == SM_OK) st = apply_list(cfg, v->set, v->row, err);
    /* (a) presents each image for 1,000 steps, as published; --quick keeps 4 x its own. */
    if (st == SM_OK && v->steps_quick_a)
        cfg->input.steps_per_image = ctx->quick ? 4 * ctx->cfg->input.steps_per_image : 1000;
    if (st == SM_OK) st = sm_config_validate(cfg, err);
    return st;
}

/* One row's runs: cells[d][k] statistics into `out` (a JSON array of row objects). */
static sm_status run_variant(const sm_experiment_ctx *ctx, const variant *v, json_t *out,
                             json_t *runs, sm_error *err)
{
    sm_config cfg;
    sm_status st = variant_config(ctx, v, &cfg, err);
    if (st != SM_OK) return st;
    sm_grid g;
    st = sm_exp_table_grid(&cfg, v->no_sleep ? "0" : NULL, &g, err);
    const int64_t n = st == SM_OK ? sm_grid_n_cells(&g) : 0;
    sm_exp_run *rows = st == SM_OK ? calloc((size_t)n, sizeof *rows) : NULL;
    if (st == SM_OK && !rows) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    char label[16];
    snprintf(label, sizeof label, "(%s) ", v->row);
    if (st == SM_OK) st = sm_exp_run_grid(ctx, &cfg, &g, label, rows, err);
    /* Columns are the table's sleep rates even for a row run at rate 0 only. */
    sm_grid cols;
    if (st == SM_OK) st = sm_exp_table_grid(ctx->cfg, NULL, &cols, err);
    if (st != SM_OK) {
        free(rows);
        sm_grid_free(&g);
        return st;
    }
    const int n_d = g.axes[0].n, n_r = g.axes[1].n, seeds = g.axes[2].n;
    for (int d = 0; d < n_d; d++)
        for (int k = 0; k < cols.axes[1].n; k++) {
            const int kk = n_r == 1 ? 0 : k;
            const int64_t first = ((int64_t)d * n_r + kk) * seeds;
            json_t *p = sm_grid_cell_params(&cols, ((int64_t)d * cols.axes[1].n + k) * seeds);
            const char *dataset = json_string_value(json_object_get(p, "data.dataset"));
            const double rate = atof(json_string_value(json_object_get(p, "sleep.rate")));
            double mean, sd;
            sm_exp_cell_stats(rows, first, seeds, &mean, &sd);
            json_t *accs = json_array();
            for (int i = 0; i < seeds; i++) {
                json_array_append_new(accs, sm_exp_real(rows[first + i].acc));
                if (kk == k)
                    json_array_append_new(
                        runs,
                        json_pack("{s:s, s:s, s:f, s:I, s:o, s:o, s:o}", "row", v->row, "dataset",
                                  dataset, "sleep_rate", rate, "seed", (json_int_t)cfg.run.seed + i,
                                  "test_accuracy", sm_exp_real(rows[first + i].acc), "test_phi",
                                  sm_exp_real(rows[first + i].phi), "plastic_sum_ratio",
                                  sm_exp_real(rows[first + i].wsum)));
            }
            json_array_append_new(
                out, json_pack("{s:s, s:s, s:s, s:f, s:o, s:o, s:i, s:o, s:o, s:i}", "row", v->row,
                               "label", v->label, "dataset", dataset, "sleep_rate", rate,
                               "mean_accuracy", sm_exp_real(mean), "sd_accuracy", sm_exp_real(sd),
                               "n_seeds", seeds, "accuracies", accs, "paper_accuracy",
                               sm_exp_real(sm_exp_paper_accuracy(dataset, rate)), "steps_per_image",
                               cfg.input.steps_per_image));
            json_decref(p);
        }
    sm_grid_free(&cols);
    sm_grid_free(&g);
    free(rows);
    return SM_OK;
}

static sm_status write_rows_csv(const sm_experiment_ctx *ctx, json_t *rows, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "rows.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "row,dataset,sleep_rate,n_seeds,mean_accuracy,sd_accuracy,paper_accuracy,"
                  "steps_per_image\n");
    size_t i;
    json_t *r;
    for (i = 0; i < json_array_size(rows); i++) {
        r = json_array_get(rows, i);
        fprintf(f.fp, "%s,%s,%g,%lld,%.17g,%.17g,", json_string_value(json_object_get(r, "row")),
                json_string_value(json_object_get(r, "dataset")),
                sm_json_get_number(r, "sleep_rate"),
                (long long)json_integer_value(json_object_get(r, "n_seeds")),
                sm_json_get_number(r, "mean_accuracy"), sm_json_get_number(r, "sd_accuracy"));
        if (isfinite(sm_json_get_number(r, "paper_accuracy")))
            fprintf(f.fp, "%.17g", sm_json_get_number(r, "paper_accuracy"));
        fprintf(f.fp, ",%lld\n",
                (long long)json_integer_value(json_object_get(r, "steps_per_image")));
    }
    return sm_atomic_commit(&f, err);
}

static sm_status write_runs_csv(const sm_experiment_ctx *ctx, json_t *runs, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "row,dataset,sleep_rate,seed,test_accuracy,test_phi,plastic_sum_ratio\n");
    size_t i;
    json_t *r;
    for (i = 0; i < json_array_size(runs); i++) {
        r = json_array_get(runs, i);
        fprintf(
            f.fp, "%s,%s,%g,%lld,%.17g,%.17g,%.17g\n", json_string_value(json_object_get(r, "row")),
            json_string_value(json_object_get(r, "dataset")), sm_json_get_number(r, "sleep_rate"),
            (long long)json_integer_value(json_object_get(r, "seed")),
            sm_json_get_number(r, "test_accuracy"), sm_json_get_number(r, "test_phi"),
            sm_json_get_number(r, "plastic_sum_ratio"));
    }
    return sm_atomic_commit(&f, err);
}

/* compare.md: one line per row, a column per (dataset, rate), "mean +- sd", the paper's
 * numbers as the last line. */
static sm_status write_markdown(const sm_experiment_ctx *ctx, json_t *rows, int n_cols,
                                sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "compare.md", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "| row |");
    for (int c = 0; c < n_cols; c++) {
        json_t *r = json_array_get(rows, (size_t)c);
        fprintf(f.fp, " %s, sleep %g |", json_string_value(json_object_get(r, "dataset")),
                sm_json_get_number(r, "sleep_rate"));
    }
    fprintf(f.fp, "\n|---|");
    for (int c = 0; c < n_cols; c++)
        fprintf(f.fp, "---|");
    fputc('\n', f.fp);
    for (int v = 0; v < N_VARIANTS; v++) {
        fprintf(f.fp, "| (%s) %s |", VARIANTS[v].row, VARIANTS[v].label);
        for (int c = 0; c < n_cols; c++) {
            json_t *r = json_array_get(rows, (size_t)v * n_cols + c);
            fprintf(f.fp, " %.3f +- %.3f |", sm_json_get_number(r, "mean_accuracy"),
                    sm_json_get_number(r, "sd_accuracy"));
        }
        fputc('\n', f.fp);
    }
    fprintf(f.fp, "| paper (5 seeds, published runs) |");
    for (int c = 0; c < n_cols; c++) {
        const double p = sm_json_get_number(json_array_get(rows, (size_t)c), "paper_accuracy");
        if (isfinite(p))
            fprintf(f.fp, " %.3f |", p);
        else
            fprintf(f.fp, " - |");
    }
    fputc('\n', f.fp);
    return sm_atomic_commit(&f, err);
}

/* accuracy-<dataset>.png: accuracy against sleep rate, one line per row, paper dashed. */
static sm_status plot_dataset(const sm_experiment_ctx *ctx, json_t *rows, int n_cols, int d0,
                              int n_r, sm_error *err)
{
    char path[4096], name[300];
    const char *dataset =
        json_string_value(json_object_get(json_array_get(rows, (size_t)d0), "dataset"));
    snprintf(name, sizeof name, "accuracy-%s.png", dataset);
    for (char *c = name; *c; c++)
        if (*c == '/' || *c == ':' || *c == ',') *c = '_';
    if (!sm_experiment_file(ctx, name, path, sizeof path)) return SM_OK;
    double x[N_VARIANTS + 1][16], y[N_VARIANTS + 1][16], e[N_VARIANTS + 1][16];
    char labels[N_VARIANTS + 1][160];
    sm_plot_series s[N_VARIANTS + 1];
    if (n_r > 16) return SM_OK;
    for (int v = 0; v <= N_VARIANTS; v++) {
        for (int k = 0; k < n_r; k++) {
            json_t *r = json_array_get(rows, (size_t)(v < N_VARIANTS ? v : 0) * n_cols + d0 + k);
            x[v][k] = sm_json_get_number(r, "sleep_rate");
            y[v][k] = v < N_VARIANTS ? sm_json_get_number(r, "mean_accuracy")
                                     : sm_json_get_number(r, "paper_accuracy");
            e[v][k] = v < N_VARIANTS ? sm_json_get_number(r, "sd_accuracy") : 0;
        }
        if (v < N_VARIANTS)
            snprintf(labels[v], sizeof labels[v], "(%s)", VARIANTS[v].row);
        else
            snprintf(labels[v], sizeof labels[v], "paper");
        s[v] = (sm_plot_series){.label = labels[v],
                                .x = x[v],
                                .y = y[v],
                                .err_lo = v < N_VARIANTS ? e[v] : NULL,
                                .n = n_r,
                                .color = v + 1,
                                .dashed = v == N_VARIANTS};
    }
    const int n_series = isfinite(y[N_VARIANTS][0]) ? N_VARIANTS + 1 : N_VARIANTS;
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    char title[320];
    snprintf(title, sizeof title, "%s: test accuracy, rows (a)-(e) of sleep-stdp-compare", dataset);
    spec.title = title;
    spec.xlabel = "sleep rate";
    spec.ylabel = "test accuracy";
    spec.ymin = 0;
    spec.ymax = 1;
    spec.legend = SM_PLOT_LEGEND_OUTSIDE;
    return sm_plot_lines(path, &spec, s, n_series, err);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    json_t *rows = json_array(), *runs = json_array();
    sm_status st = SM_OK;
    for (int v = 0; v < N_VARIANTS && st == SM_OK; v++)
        st = run_variant(ctx, &VARIANTS[v], rows, runs, err);
    sm_grid cols;
    if (st == SM_OK) st = sm_exp_table_grid(ctx->cfg, NULL, &cols, err);
    if (st == SM_OK) {
        const int n_d = cols.axes[0].n, n_r = cols.axes[1].n;
        sm_grid_free(&cols);
        st = write_rows_csv(ctx, rows, err);
        if (st == SM_OK) st = write_runs_csv(ctx, runs, err);
        if (st == SM_OK) st = write_markdown(ctx, rows, n_d * n_r, err);
        for (int d = 0; d < n_d && st == SM_OK; d++)
            st = plot_dataset(ctx, rows, n_d * n_r, d * n_r, n_r, err);
    }
    if (st != SM_OK) {
        json_decref(rows);
        json_decref(runs);
        return st;
    }
    *results = json_pack("{s:o, s:o}", "rows", rows, "runs", runs);
    return *results ? SM_OK : sm_error_set(err, SM_ENOMEM, "out of memory");
}

const sm_experiment_def sm_exp_sleep_stdp_compare = {
    .name = "sleep-stdp-compare",
    .description = "like-for-like with Massey et al. 2026: the authors' protocol, the paper config "
                   "with two readouts, a frozen random network and somnus defaults, 5 seeds each",
    .defaults = DEFAULTS,
    .quick_defaults = QUICK,
    .run = run,
};
