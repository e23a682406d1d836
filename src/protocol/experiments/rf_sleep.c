/* Experiment rf-sleep (spec diehl-cook.md section 9, E6): structured S->E receptive fields
 * (net.se_connectivity gaussian at sigma 1 and 2 px, oriented) against the Bernoulli draw,
 * on the sleep-STDP paper config, across sleep rates 0, 0.1, 0.2 and the sleep targets
 * static (today's) and initial (each synapse toward its own initial weight; structured
 * fields with sleep only). N_E = 196 for every builder (the block layout needs an even
 * side); Bernoulli also at the paper's 200 (reported only). Frozen random networks
 * (stdp.rule=none, no sleep) of every builder run beside. Each arm is a grid of datasets x
 * rates x seeds through the sweep runner. Per run: test accuracy (PCA + LR on E counts),
 * per-batch accuracy sd (validation accuracy over the second half of training's
 * evaluations), plastic sum ratio, RF drift (1 - corr of each E's S->E vector with its
 * initial one), dead-E fraction. table.sleep_rates selects rates (each arm runs the listed
 * ones it has); table.datasets and table.seeds as elsewhere. Outputs: cells.csv, cells.md,
 * runs.csv; results.cells, results.targets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "protocol/experiments/rf_sleep.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"

/* The paper config at 100 steps per image, 6,000 / 1,000 images, batches of 300; E counts
 * into PCA + LR; a validation evaluation every 2 batches for the per-batch sd. */
static const char *const DEFAULTS[] = {"train.model=stdp",
                                       "ip.rule=none",
                                       "stdp.sign=as_published",
                                       "readout.method=pca_logreg",
                                       "readout.standardize=true",
                                       "readout.whiten=true",
                                       "readout.features=exc",
                                       "input.steps_per_image=100",
                                       "data.n_train=6000",
                                       "data.n_val=100",
                                       "data.n_test=1000",
                                       "data.batch=300",
                                       "train.eval_every=2",
                                       "table.sleep_rates=0,0.1,0.2",
                                       "table.datasets=mnist,fashion",
                                       "table.seeds=5",
                                       NULL};

static const char *const QUICK[] = {"data.n_train=200",
                                    "data.n_val=50",
                                    "data.n_test=100",
                                    "data.batch=100",
                                    "train.eval_every=1",
                                    "train.eval_fit=100",
                                    "input.steps_per_image=40",
                                    "sleep.period=2500",
                                    "table.datasets=mnist",
                                    "table.seeds=1",
                                    NULL};

/* One arm: builder label, sleep target, its sleep rates, config assignments, and whether
 * --quick runs it (at sleep rate 0.2 only). */
typedef struct arm {
    const char *builder, *target, *rates;
    const char *const *set;
    int quick;
} arm;

#define B196 "net.n_exc=196"
static const char *const BERN196[] = {B196, NULL};
static const char *const BERN200[] = {"net.n_exc=200", NULL};
static const char *const G1S[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=1", NULL};
static const char *const G1I[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=1",
                                  "sleep.target=initial", NULL};
static const char *const G2S[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=2", NULL};
static const char *const G2I[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=2",
                                  "sleep.target=initial", NULL};
static const char *const ORS[] = {B196, "net.se_connectivity=oriented", NULL};
static const char *const ORI[] = {B196, "net.se_connectivity=oriented", "sleep.target=initial",
                                  NULL};
static const char *const FB[] = {B196, "stdp.rule=none", NULL};
static const char *const FG1[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=1",
                                  "stdp.rule=none", NULL};
static const char *const FG2[] = {B196, "net.se_connectivity=gaussian", "net.rf_sigma=2",
                                  "stdp.rule=none", NULL};
static const char *const FOR[] = {B196, "net.se_connectivity=oriented", "stdp.rule=none", NULL};

static const arm ARMS[] = {
    {"bernoulli", "static", "0,0.1,0.2", BERN196, 1},
    {"gaussian1", "static", "0,0.1,0.2", G1S, 1},
    {"gaussian1", "initial", "0.1,0.2", G1I, 0},
    {"gaussian2", "static", "0,0.1,0.2", G2S, 0},
    {"gaussian2", "initial", "0.1,0.2", G2I, 0},
    {"oriented", "static", "0,0.1,0.2", ORS, 0},
    {"oriented", "initial", "0.1,0.2", ORI, 1},
    {"bernoulli200", "static", "0,0.1,0.2", BERN200, 0},
    {"bernoulli", "frozen", "0", FB, 0},
    {"gaussian1", "frozen", "0", FG1, 0},
    {"gaussian2", "frozen", "0", FG2, 0},
    {"oriented", "frozen", "0", FOR, 0},
};
#define N_ARMS (sizeof ARMS / sizeof ARMS[0])
#define N_BUILDERS 4 /* the N_E = 196 builders compared by the targets */
static const char *const BUILDERS[N_BUILDERS] = {"bernoulli", "gaussian1", "gaussian2", "oriented"};

static double final_number(json_t *doc, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, "final"), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Sample sd of the validation accuracy over the evaluations in the second half of
 * training (batch >= half the last evaluated batch, batch > 0). NaN with fewer than 2. */
static double batch_sd(json_t *doc)
{
    json_t *ev = json_object_get(doc, "evaluations");
    json_t *b = json_object_get(ev, "batch"), *a = json_object_get(ev, "val_accuracy");
    const size_t n = json_array_size(b);
    if (!n || json_array_size(a) != n) return NAN;
    const double last = (double)json_integer_value(json_array_get(b, n - 1));
    double s = 0, ss = 0;
    int m = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const double k = (double)json_integer_value(json_array_get(b, i));
            json_t *v = json_array_get(a, i);
            if (k <= 0 || k < last / 2 || !json_is_number(v)) continue;
            const double x = json_number_value(v);
            if (pass == 0) {
                s += x;
                m++;
            } else
                ss += (x - s / m) * (x - s / m);
        }
    return m > 1 ? sqrt(ss / (m - 1)) : NAN;
}

/* The per-run numbers the cells average, in this order. */
enum { M_ACC, M_BSD, M_RATIO, M_DRIFT, M_DEAD, N_M };
static const char *const M_NAMES[N_M] = {"accuracy", "batch_sd", "plastic_sum_ratio", "rf_drift",
                                         "dead_e_fraction"};

static void run_metrics(const sm_exp_run *r, double m[N_M])
{
    m[M_ACC] = r->acc;
    m[M_BSD] = batch_sd(r->doc);
    m[M_RATIO] = final_number(r->doc, "plastic_sum_ratio");
    m[M_DRIFT] = final_number(r->doc, "rf_drift_se");
    m[M_DEAD] = final_number(r->doc, "dead_e_fraction");
}

/* The rates of `arm_rates` that table.sleep_rates also lists (compared as numbers), into
 * out; returns how many. Lets a run select rates (e.g. table.sleep_rates=0,0.2). */
static int select_rates(const char *arm_rates, const char *table, char *out, size_t size)
{
    int n = 0;
    out[0] = 0;
    for (const char *a = arm_rates; *a;) {
        char *end;
        const double r = strtod(a, &end);
        for (const char *t = table; *t;) {
            char *tend;
            const double x = strtod(t, &tend);
            if (tend == t) break;
            if (fabs(x - r) < 1e-12) {
                size_t len = strlen(out);
                snprintf(out + len, size - len, "%s%.*s", n ? "," : "", (int)(end - a), a);
                n++;
                break;
            }
            t = *tend == ',' ? tend + 1 : tend;
        }
        if (end == a) break;
        a = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* Runs one arm (datasets x rates x seeds) into *rows (one per grid cell); an arm none of
 * whose rates table.sleep_rates lists is skipped (*rows stays NULL). */
static sm_status run_arm(const sm_experiment_ctx *ctx, const arm *a, sm_exp_run **rows, sm_grid *g,
                         sm_error *err)
{
    sm_config c = *ctx->cfg;
    sm_status st = SM_OK;
    for (int i = 0; st == SM_OK && a->set[i]; i++) {
        char key[128];
        const char *eq = strchr(a->set[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->set[i]), a->set[i]);
        st = sm_config_set(&c, key, eq + 1, "rf-sleep", err);
    }
    char rates[SM_CONFIG_STR_MAX];
    if (!select_rates(ctx->quick ? "0.2" : a->rates, ctx->cfg->table.sleep_rates, rates,
                      sizeof rates))
        return st;
    if (st == SM_OK) st = sm_exp_table_grid(&c, rates, g, err);
    sm_exp_run *r = st == SM_OK ? calloc((size_t)sm_grid_n_cells(g) + 1, sizeof *r) : NULL;
    *rows = r;
    if (st == SM_OK && !r) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    char label[96];
    snprintf(label, sizeof label, "%s/%s ", a->builder, a->target);
    if (st == SM_OK) st = sm_exp_run_grid_docs(ctx, &c, g, label, r, err);
    for (int64_t k = 0; st == SM_OK && r && k < sm_grid_n_cells(g); k++) {
        double m[N_M];
        run_metrics(&r[k], m);
        if (sm_experiment_log(ctx,
                              "%s run %lld: accuracy %.4f batch_sd %.4f ratio %.4f drift %.4f "
                              "dead %.4f",
                              label, (long long)k, m[M_ACC], m[M_BSD], m[M_RATIO], m[M_DRIFT],
                              m[M_DEAD]))
            st = sm_error_set(err, SM_ECANCELED, "rf-sleep: stopped");
    }
    return st;
}

/* One cell: an arm at one dataset and rate, mean and sd over its seeds. */
static json_t *cell_json(const arm *a, const sm_grid *g, const sm_exp_run *rows, int64_t first,
                         int seeds)
{
    json_t *p = sm_grid_cell_params(g, first);
    json_t *cell =
        json_pack("{s:s, s:s, s:s, s:f, s:i}", "dataset", sm_json_get_string(p, "data.dataset"),
                  "builder", a->builder, "target", a->target, "sleep_rate",
                  atof(sm_json_get_string(p, "sleep.rate")), "n_seeds", seeds);
    json_decref(p);
    json_t *accs = json_array();
    for (int k = 0; k < N_M; k++) {
        double s = 0, ss = 0, v[64];
        int n = 0;
        for (int i = 0; i < seeds && i < 64; i++) {
            double m[N_M];
            run_metrics(&rows[first + i], m);
            if (k == M_ACC) json_array_append_new(accs, sm_exp_real(m[M_ACC]));
            if (isfinite(m[k])) v[n++] = m[k];
        }
        for (int i = 0; i < n; i++)
            s += v[i];
        const double mean = n ? s / n : NAN;
        for (int i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        char key[64];
        snprintf(key, sizeof key, "mean_%s", M_NAMES[k]);
        json_object_set_new(cell, key, sm_exp_real(mean));
        snprintf(key, sizeof key, "sd_%s", M_NAMES[k]);
        json_object_set_new(cell, key, sm_exp_real(n > 1 ? sqrt(ss / (n - 1)) : NAN));
    }
    json_object_set_new(cell, "accuracies", accs);
    return cell;
}

static json_t *find(json_t *cells, const char *dataset, const char *builder, const char *target,
                    double rate)
{
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (!strcmp(sm_json_get_string(c, "dataset"), dataset) &&
            !strcmp(sm_json_get_string(c, "builder"), builder) &&
            !strcmp(sm_json_get_string(c, "target"), target) &&
            fabs(sm_json_get_number(c, "sleep_rate") - rate) < 1e-9)
            return c;
    }
    return NULL;
}

static json_t *met(double margin)
{
    return isfinite(margin) ? json_boolean(margin >= 0) : json_null();
}

/* A "lower per-batch sd" verdict: only where the accuracy part of the same target is met
 * (a network stuck at chance has a low sd for no good reason), else false; null if
 * either number is missing. */
static json_t *sd_met(double acc_margin, double sd_gain)
{
    if (!isfinite(acc_margin) || !isfinite(sd_gain)) return json_null();
    return json_boolean(acc_margin >= 0 && sd_gain > 0);
}

json_t *sm_rf_sleep_target_json(json_t *cells, const char *dataset, const char *builder)
{
    json_t *b2 = find(cells, dataset, "bernoulli", "static", 0.2);
    json_t *b0 = find(cells, dataset, "bernoulli", "static", 0.0);
    json_t *s2 = find(cells, dataset, builder, "static", 0.2);
    json_t *i2 = find(cells, dataset, builder, "initial", 0.2);
    json_t *s0 = find(cells, dataset, builder, "static", 0.0);
    const double acc_b = sm_json_get_number(b2, "mean_accuracy"),
                 sd_b = sm_json_get_number(b2, "mean_batch_sd");
    const double d_s = sm_json_get_number(s2, "mean_accuracy") - acc_b,
                 d_i = sm_json_get_number(i2, "mean_accuracy") - acc_b;
    const double sd_s = sd_b - sm_json_get_number(s2, "mean_batch_sd"),
                 sd_i = sd_b - sm_json_get_number(i2, "mean_batch_sd");
    const double drift =
        sm_json_get_number(s2, "mean_rf_drift") - sm_json_get_number(i2, "mean_rf_drift");
    return json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "dataset", dataset,
        "builder", builder, "acc_static_minus_bernoulli", sm_exp_real(d_s), "acc_static_met",
        met(d_s + 0.01), "acc_initial_minus_bernoulli", sm_exp_real(d_i), "acc_initial_met",
        met(d_i + 0.01), "batch_sd_bernoulli_minus_static", sm_exp_real(sd_s),
        "batch_sd_static_met", sd_met(d_s + 0.01, sd_s), "batch_sd_bernoulli_minus_initial",
        sm_exp_real(sd_i), "batch_sd_initial_met", sd_met(d_i + 0.01, sd_i),
        "drift_static_minus_initial", sm_exp_real(drift), "drift_met",
        isfinite(drift) ? json_boolean(drift > 0) : json_null(), "gap_no_sleep_vs_bernoulli",
        sm_exp_real(sm_json_get_number(s0, "mean_accuracy") -
                    sm_json_get_number(b0, "mean_accuracy")));
}

static void print_row(FILE *fp, json_t *c, int md)
{
    const char *fmt =
        md ? "| %s | %s | %s | %g | %lld | %.4f +- %.4f | %.4f | %.4f | %.4f | %.4f |\n"
           : "%s,%s,%s,%g,%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n";
    fprintf(fp, fmt, sm_json_get_string(c, "dataset"), sm_json_get_string(c, "builder"),
            sm_json_get_string(c, "target"), sm_json_get_number(c, "sleep_rate"),
            (long long)json_integer_value(json_object_get(c, "n_seeds")),
            sm_json_get_number(c, "mean_accuracy"), sm_json_get_number(c, "sd_accuracy"),
            sm_json_get_number(c, "mean_batch_sd"), sm_json_get_number(c, "mean_plastic_sum_ratio"),
            sm_json_get_number(c, "mean_rf_drift"), sm_json_get_number(c, "mean_dead_e_fraction"));
}

static sm_status write_cells(const sm_experiment_ctx *ctx, json_t *cells, int md, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, md ? "cells.md" : "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    if (md)
        fprintf(f.fp, "| dataset | builder | target | sleep | seeds | accuracy | per-batch sd | "
                      "plastic sum ratio | RF drift | dead E |\n|---|---|---|---|---|---|---|---|"
                      "---|---|\n");
    else
        fprintf(f.fp, "dataset,builder,target,sleep_rate,n_seeds,mean_accuracy,sd_accuracy,"
                      "mean_batch_sd,plastic_sum_ratio,rf_drift,dead_e_fraction\n");
    for (size_t i = 0; i < json_array_size(cells); i++)
        print_row(f.fp, json_array_get(cells, i), md);
    return sm_atomic_commit(&f, err);
}

static sm_status write_runs(const sm_experiment_ctx *ctx, sm_grid *grids, sm_exp_run **rows,
                            sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "builder,target,sleep_rate,dataset,seed,test_accuracy,batch_sd,"
                  "plastic_sum_ratio,rf_drift,dead_e_fraction\n");
    for (size_t a = 0; a < N_ARMS; a++)
        for (int64_t cell = 0; rows[a] && cell < sm_grid_n_cells(&grids[a]); cell++) {
            json_t *p = sm_grid_cell_params(&grids[a], cell);
            double m[N_M];
            run_metrics(&rows[a][cell], m);
            fprintf(f.fp, "%s,%s,%s,%s,%s,%.6f,%.6f,%.6f,%.6f,%.6f\n", ARMS[a].builder,
                    ARMS[a].target, sm_json_get_string(p, "sleep.rate"),
                    sm_json_get_string(p, "data.dataset"), sm_json_get_string(p, "run.seed"),
                    m[M_ACC], m[M_BSD], m[M_RATIO], m[M_DRIFT], m[M_DEAD]);
            json_decref(p);
        }
    return sm_atomic_commit(&f, err);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    sm_grid grids[N_ARMS];
    sm_exp_run *rows[N_ARMS] = {0};
    sm_status st = SM_OK;
    for (size_t a = 0; a < N_ARMS; a++)
        sm_grid_init(&grids[a]);
    const int seeds = ctx->cfg->table.seeds;
    for (size_t a = 0; st == SM_OK && a < N_ARMS; a++)
        if (!ctx->quick || ARMS[a].quick) st = run_arm(ctx, &ARMS[a], &rows[a], &grids[a], err);
    json_t *cells = json_array(), *targets = json_array();
    for (size_t a = 0; st == SM_OK && a < N_ARMS; a++)
        for (int64_t first = 0; rows[a] && first < sm_grid_n_cells(&grids[a]); first += seeds)
            json_array_append_new(cells, cell_json(&ARMS[a], &grids[a], rows[a], first, seeds));
    size_t a0 = 0; /* the first arm that ran gives the datasets */
    while (a0 + 1 < N_ARMS && !rows[a0])
        a0++;
    const int n_d = st == SM_OK && rows[a0] ? grids[a0].axes[0].n : 0;
    for (int d = 0; d < n_d; d++) {
        json_t *p = sm_grid_cell_params(&grids[a0], (int64_t)d * grids[a0].axes[1].n * seeds);
        for (int b = 1; b < N_BUILDERS; b++)
            json_array_append_new(
                targets,
                sm_rf_sleep_target_json(cells, sm_json_get_string(p, "data.dataset"), BUILDERS[b]));
        json_decref(p);
    }
    if (st == SM_OK) st = write_cells(ctx, cells, 0, err);
    if (st == SM_OK) st = write_cells(ctx, cells, 1, err);
    if (st == SM_OK) st = write_runs(ctx, grids, rows, err);
    if (st == SM_OK) {
        *results = json_pack("{s:o, s:o}", "cells", cells, "targets", targets);
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    } else {
        json_decref(cells);
        json_decref(targets);
    }
    sm_exp_free_arm_rows(rows, grids, N_ARMS);
    return st;
}

const sm_experiment_def sm_exp_rf_sleep = {
    .name = "rf-sleep",
    .description = "structured S->E receptive fields vs Bernoulli under sleep-STDP (spec "
                   "diehl-cook.md 9, E6): gaussian (sigma 1, 2 px) and oriented fields x sleep "
                   "rate x sleep target static/initial, N_E = 196, frozen networks beside",
    .defaults = DEFAULTS,
    .quick_defaults = QUICK,
    .run = run,
};
