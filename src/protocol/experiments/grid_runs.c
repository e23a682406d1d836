/* Shared by the sleep-STDP experiments: a grid of `train` runs (datasets x sleep rates
 * x seeds) through the sweep runner, reduced to mean +- sd per (dataset, rate). */
#include "protocol/experiments/grid_runs.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/run_cache.h"
#include "somnus/protocol/sweep_runner.h"

sm_status sm_exp_table_grid(const sm_config *cfg, const char *rates, sm_grid *g, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    char spec[SM_CONFIG_STR_MAX + 64];
    sm_grid_init(g);
    snprintf(spec, sizeof spec, "data.dataset=%s", cfg->table.datasets);
    sm_status st = sm_grid_add(g, spec, err);
    snprintf(spec, sizeof spec, "sleep.rate=%s", rates ? rates : cfg->table.sleep_rates);
    if (st == SM_OK) st = sm_grid_add(g, spec, err);
    snprintf(spec, sizeof spec, "run.seed=%lld:%lld", (long long)cfg->run.seed,
             (long long)cfg->run.seed + cfg->table.seeds - 1);
    if (st == SM_OK) st = sm_grid_add(g, spec, err);
    if (st != SM_OK) {
        const sm_error inner = *err; /* err->msg cannot be both the output and an argument */
        return sm_error_set(err, inner.code ? inner.code : st, "sleep-stdp-table: %s", inner.msg);
    }
    return SM_OK;
}

static double final_number(json_t *doc, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, "final"), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Fills rows[cell] from a finished run's document (kept in rows with keep_docs). */
static void fill_row(sm_exp_run *row, json_t *doc, int keep_docs)
{
    row->acc = final_number(doc, "test_accuracy");
    row->phi = final_number(doc, "test_phi");
    row->wsum = final_number(doc, "plastic_sum_ratio");
    row->done = 1;
    if (keep_docs)
        row->doc = doc;
    else
        json_decref(doc);
}

/* The key each cell's run is kept under: sm_run_cache_config_hash of its resolved config,
 * which leaves out the experiment-only lists (table.*), so a call listing fewer or more
 * datasets, rates or seeds reuses the runs an earlier call kept. */
static sm_status cache_keys(const sm_grid *g, const sm_config *base, char (*keys)[17],
                            sm_error *err)
{
    sm_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return sm_error_set(err, SM_ENOMEM, "out of memory");
    sm_status st = SM_OK;
    for (int64_t c = 0; c < sm_grid_n_cells(g) && st == SM_OK; c++) {
        st = sm_grid_cell_config(g, c, base, cfg, err);
        if (st == SM_OK) sm_run_cache_config_hash(cfg, keys[c]);
    }
    free(cfg);
    return st;
}

/* The cells to run: those without a run kept in ctx->runs_dir; the kept ones fill their
 * rows here. Returns the count. */
static int64_t cells_to_run(const sm_experiment_ctx *ctx, const sm_sweep_runner *r,
                            char (*keys)[17], sm_exp_run *rows, int keep_docs, int64_t *cells)
{
    int64_t m = 0;
    for (int64_t c = 0; c < sm_sweep_runner_n_cells(r); c++) {
        json_t *doc = sm_run_cache_get(ctx, keys[c]);
        if (doc)
            fill_row(&rows[c], doc, keep_docs);
        else
            cells[m++] = c;
    }
    return m;
}

/* Runs every cell; fills rows[cell] (and keeps the documents with keep_docs). */
static sm_status run_grid(const sm_experiment_ctx *ctx, const sm_config *base, const sm_grid *g,
                          const char *label, sm_exp_run *rows, int keep_docs, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_sweep_runner *r = sm_sweep_runner_create(g, base, err);
    if (!r) return err->code ? err->code : SM_EINVAL;
    const int64_t n = sm_sweep_runner_n_cells(r);
    int64_t *cells = malloc((size_t)n * sizeof *cells);
    char(*keys)[17] = malloc((size_t)n * sizeof *keys);
    volatile sig_atomic_t stop = 0;
    sm_status st = cells && keys ? SM_OK : sm_error_set(err, SM_ENOMEM, "out of memory");
    if (st == SM_OK) st = cache_keys(g, base, keys, err);
    const int64_t m = st == SM_OK ? cells_to_run(ctx, r, keys, rows, keep_docs, cells) : 0;
    int64_t done = n - m;
    if (st == SM_OK && done > 0 &&
        sm_experiment_log(ctx, "%s%lld of %lld runs kept in %s", label, (long long)done,
                          (long long)n, ctx->runs_dir))
        stop = 1;
    if (st == SM_OK && m > 0) st = sm_sweep_runner_start(r, cells, m, ctx->jobs, &stop, err);
    for (int all_done = m == 0; st == SM_OK && !all_done;) {
        sm_sweep_cell *c = sm_sweep_runner_next(r, 0.2, &all_done);
        if (!c) continue;
        if (c->error) {
            st = sm_error_set(err, strcmp(c->error, "interrupted") ? SM_EINVAL : SM_ECANCELED,
                              "run %s: %s", sm_sweep_runner_cell_id(r, c->cell), c->error);
        } else {
            json_t *doc = json_loadb(c->json, c->json_len, 0, NULL);
            st = doc ? sm_run_cache_put(ctx, keys[c->cell], doc, err)
                     : sm_error_set(err, SM_EFORMAT, "a run's document does not parse");
            fill_row(&rows[c->cell], doc, keep_docs);
            if (sm_experiment_log(ctx, "%s[%lld/%lld] %s: test accuracy %.3f", label,
                                  (long long)++done, (long long)n,
                                  sm_sweep_runner_cell_id(r, c->cell), rows[c->cell].acc))
                stop = 1;
        }
        sm_sweep_cell_free(c);
    }
    if (st == SM_OK && stop) st = sm_error_set(err, SM_ECANCELED, "experiment stopped");
    free(cells);
    free(keys);
    sm_sweep_runner_destroy(r);
    return st;
}

sm_status sm_exp_run_grid(const sm_experiment_ctx *ctx, const sm_config *base, const sm_grid *g,
                          const char *label, sm_exp_run *rows, sm_error *err)
{
    return run_grid(ctx, base, g, label, rows, 0, err);
}

sm_status sm_exp_run_grid_docs(const sm_experiment_ctx *ctx, const sm_config *base,
                               const sm_grid *g, const char *label, sm_exp_run *rows, sm_error *err)
{
    return run_grid(ctx, base, g, label, rows, 1, err);
}

/* Mean and sample sd of the runs of (dataset d, rate k): cells d*K*S + k*S + s. */
void sm_exp_free_arm_rows(sm_exp_run **rows, sm_grid *grids, size_t n_arms)
{
    for (size_t a = 0; a < n_arms; a++) {
        if (rows[a])
            for (int64_t i = 0; i < sm_grid_n_cells(&grids[a]); i++)
                json_decref(rows[a][i].doc);
        free(rows[a]);
        sm_grid_free(&grids[a]);
    }
}

void sm_exp_cell_stats(const sm_exp_run *rows, int64_t first, int seeds, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < seeds; i++)
        s += rows[first + i].acc;
    *mean = s / seeds;
    for (int i = 0; i < seeds; i++)
        ss += (rows[first + i].acc - *mean) * (rows[first + i].acc - *mean);
    *sd = seeds > 1 ? sqrt(ss / (seeds - 1)) : 0;
}

json_t *sm_exp_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Published STDP-SNN test accuracy (%, mean of 5 seeds), spec section 9. */
typedef struct paper_row {
    const char *dataset;
    double rate[5], acc[5];
} paper_row;

static const paper_row PAPER[] = {
    {"mnist", {0, 0.1, 0.2, 0.3, 1}, {63.0, 66.0, 74.2, 71.4, 72.1}},
    {"kmnist", {0, 0.1, 0.2, 0.3, 1}, {57.3, 66.2, 52.7, 44.3, 43.6}},
    {"fashion", {0, 0.1, 0.2, 0.3, 1}, {53.8, 62.0, 45.4, 34.6, 34.6}},
    {"notmnist", {0, 0.1, 0.2, 0.3, 1}, {56.9, 72.4, 59.3, 44.1, 43.6}},
};

double sm_exp_paper_accuracy(const char *dataset, double rate)
{
    for (size_t i = 0; i < sizeof PAPER / sizeof PAPER[0]; i++)
        if (!strcmp(PAPER[i].dataset, dataset))
            for (int k = 0; k < 5; k++)
                if (fabs(PAPER[i].rate[k] - rate) < 1e-9) return PAPER[i].acc[k] / 100;
    return NAN;
}
