/* Experiment sleep-stdp-table: the accuracy table of Massey et al. (2026), spec
 * sleep-stdp.md section 9: datasets x sleep rates x seeds of `somnus train` on the paper
 * config, run by the sweep runner, each cell's mean +- sd over seeds beside the paper's
 * number. Outputs: cells.csv (one row per dataset and rate), runs.csv (one row per run),
 * accuracy.png (accuracy against sleep rate, the paper's numbers dashed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/sweep_runner.h"

/* The paper config (configs/paper.cfg: published sign, the published readout fitted on
 * all training images) at 100 steps per image, as `make demo` runs it; evaluations during
 * training are off because the table needs only the final score (they run on a
 * snapshot and never change training). */
static const char *const DEFAULTS[] = {"ip.rule=none",
                                       "stdp.sign=as_published",
                                       "readout.method=pca_logreg",
                                       "readout.standardize=true",
                                       "readout.whiten=true",
                                       "readout.features=all",
                                       "input.steps_per_image=100",
                                       "train.eval_every=0",
                                       NULL};

static sm_status write_csvs(const sm_experiment_ctx *ctx, const sm_grid *g, const sm_exp_run *rows,
                            json_t *cells, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "dataset,model,sleep_rate,n_seeds,mean_accuracy,sd_accuracy,paper_accuracy\n");
    size_t i;
    json_t *c;
    for (i = 0; i < json_array_size(cells); i++) {
        c = json_array_get(cells, i);
        fprintf(f.fp, "%s,stdp,%.17g,%lld,%.17g,%.17g,",
                json_string_value(json_object_get(c, "dataset")),
                json_number_value(json_object_get(c, "sleep_rate")),
                (long long)json_integer_value(json_object_get(c, "n_seeds")),
                json_number_value(json_object_get(c, "mean_accuracy")),
                json_number_value(json_object_get(c, "sd_accuracy")));
        json_t *p = json_object_get(c, "paper_accuracy");
        if (json_is_number(p)) fprintf(f.fp, "%.17g", json_number_value(p));
        fputc('\n', f.fp);
    }
    st = sm_atomic_commit(&f, err);
    if (st != SM_OK || !sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return st;
    if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
    fprintf(f.fp, "dataset,sleep_rate,seed,test_accuracy,test_phi,plastic_sum_ratio\n");
    const int64_t n = sm_grid_n_cells(g);
    for (int64_t cell = 0; cell < n; cell++) {
        json_t *p = sm_grid_cell_params(g, cell);
        fprintf(f.fp, "%s,%s,%s,%.17g,%.17g,%.17g\n",
                json_string_value(json_object_get(p, "data.dataset")),
                json_string_value(json_object_get(p, "sleep.rate")),
                json_string_value(json_object_get(p, "run.seed")), rows[cell].acc, rows[cell].phi,
                rows[cell].wsum);
        json_decref(p);
    }
    return sm_atomic_commit(&f, err);
}

static sm_status plot_table(const sm_experiment_ctx *ctx, const sm_grid *g, json_t *cells,
                            sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, "accuracy.png", path, sizeof path)) return SM_OK;
    const int n_d = g->axes[0].n, n_r = g->axes[1].n;
    double *x = malloc(sizeof(double) * (size_t)n_r * 4 * (size_t)n_d);
    sm_plot_series *s = calloc((size_t)2 * n_d, sizeof *s);
    char(*labels)[2][96] = calloc((size_t)n_d, sizeof *labels);
    if (!x || !s || !labels) {
        free(x);
        free(s);
        free(labels);
        return sm_error_set(err, SM_ENOMEM, "out of memory");
    }
    int n_s = 0;
    for (int d = 0; d < n_d; d++) {
        double *xs = x + (size_t)d * 4 * (size_t)n_r, *m = xs + n_r, *sd = m + n_r, *pp = sd + n_r;
        int have_paper = 0;
        for (int k = 0; k < n_r; k++) {
            json_t *c = json_array_get(cells, (size_t)d * n_r + k);
            xs[k] = json_number_value(json_object_get(c, "sleep_rate"));
            m[k] = json_number_value(json_object_get(c, "mean_accuracy"));
            sd[k] = json_number_value(json_object_get(c, "sd_accuracy"));
            json_t *p = json_object_get(c, "paper_accuracy");
            pp[k] = json_is_number(p) ? json_number_value(p) : NAN;
            have_paper |= json_is_number(p);
        }
        const char *name =
            json_string_value(json_object_get(json_array_get(cells, (size_t)d * n_r), "dataset"));
        snprintf(labels[d][0], sizeof labels[d][0], "%s (somnus, mean +- sd)", name);
        snprintf(labels[d][1], sizeof labels[d][1], "%s (paper)", name);
        s[n_s++] = (sm_plot_series){
            .label = labels[d][0], .x = xs, .y = m, .err_lo = sd, .n = n_r, .color = d + 1};
        if (have_paper)
            s[n_s++] = (sm_plot_series){
                .label = labels[d][1], .x = xs, .y = pp, .n = n_r, .color = d + 1, .dashed = 1};
    }
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = "STDP network: test accuracy against sleep rate";
    spec.xlabel = "sleep rate";
    spec.ylabel = "test accuracy";
    spec.ymin = 0;
    spec.ymax = 1;
    sm_status st = sm_plot_lines(path, &spec, s, n_s, err);
    free(x);
    free(s);
    free(labels);
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    sm_grid g;
    sm_status st = sm_exp_table_grid(cfg, NULL, &g, err);
    if (st != SM_OK) {
        sm_grid_free(&g);
        return st;
    }
    const int64_t n = sm_grid_n_cells(&g);
    sm_exp_run *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    if (st == SM_OK) st = sm_exp_run_grid(ctx, ctx->cfg, &g, "", rows, err);
    json_t *cells = json_array();
    const int n_d = g.axes[0].n, n_r = g.axes[1].n, seeds = g.axes[2].n;
    for (int d = 0; st == SM_OK && d < n_d; d++)
        for (int k = 0; k < n_r; k++) {
            const int64_t first = ((int64_t)d * n_r + k) * seeds;
            json_t *p = sm_grid_cell_params(&g, first);
            const char *dataset = json_string_value(json_object_get(p, "data.dataset"));
            const double rate = atof(json_string_value(json_object_get(p, "sleep.rate")));
            double mean, sd;
            sm_exp_cell_stats(rows, first, seeds, &mean, &sd);
            json_t *accs = json_array();
            for (int i = 0; i < seeds; i++)
                json_array_append_new(accs, sm_exp_real(rows[first + i].acc));
            json_array_append_new(
                cells,
                json_pack("{s:s, s:s, s:f, s:o, s:o, s:i, s:o, s:o}", "dataset", dataset, "model",
                          "stdp", "sleep_rate", rate, "mean_accuracy", sm_exp_real(mean),
                          "sd_accuracy", sm_exp_real(sd), "n_seeds", seeds, "accuracies", accs,
                          "paper_accuracy", sm_exp_real(sm_exp_paper_accuracy(dataset, rate))));
            json_decref(p);
        }
    if (st == SM_OK) st = write_csvs(ctx, &g, rows, cells, err);
    if (st == SM_OK) st = plot_table(ctx, &g, cells, err);
    if (st == SM_OK) {
        *results =
            json_pack("{s:o, s:{s:i, s:i, s:i, s:i, s:s, s:i}}", "cells", cells, "protocol",
                      "steps_per_image", cfg->input.steps_per_image, "n_train", cfg->data.n_train,
                      "batch", cfg->data.batch, "n_test", cfg->data.n_test, "readout",
                      cfg->readout.method ? "published_qda" : "pca_logreg", "readout_fit_images",
                      cfg->readout.fit_images ? cfg->readout.fit_images : cfg->data.n_train);
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    } else
        json_decref(cells);
    free(rows);
    sm_grid_free(&g);
    return st;
}

const sm_experiment_def sm_exp_sleep_stdp_table = {
    .name = "sleep-stdp-table",
    .description = "Massey et al. 2026 accuracy table: datasets x sleep rates x seeds of the "
                   "STDP network (paper config), mean +- sd beside the paper's numbers",
    .defaults = DEFAULTS,
    /* Few images and a short wake period, so that sleep windows still happen (4 per run). */
    .quick_defaults =
        (const char *const[]){"data.n_train=400", "data.n_val=0", "data.n_test=100",
                              "data.batch=100", "input.steps_per_image=25", "sleep.period=2500",
                              "table.seeds=2", "table.sleep_rates=0,0.2", NULL},
    .run = run,
};
