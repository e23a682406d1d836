/* Experiment rewire-stdp (spec structural.md 4.2, R2-R5): structural plasticity of the
 * STDP network's synapses. Per dataset (table.datasets) and seed (table.seeds from
 * run.seed) the arms below run `somnus train` on the paper config; each arm is a grid of
 * datasets x seeds through the sweep runner. Accuracy is PCA + logistic regression on E
 * counts. The frozen random network (no STDP, no sleep) and the reference without
 * structural change run beside the rewiring arms. Outputs: cells.csv (one row per arm and
 * dataset), runs.csv (one row per run); results.cells, results.targets (R2-R4 marked),
 * results.events (the first seed's structure_events per arm: sparsity over events). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/structure_figures.h"
#include "somnus/protocol/sweep.h"

/* The base of spec 4.2: configs/paper.cfg at 100 steps per image, MNIST 6,000 / 1,000,
 * batches of 300, sleep rate 0.2, E counts into PCA + LR. */
static const char *const DEFAULTS[] = {"train.model=stdp",
                                       "ip.rule=none",
                                       "stdp.sign=as_published",
                                       "readout.method=pca_logreg",
                                       "readout.standardize=true",
                                       "readout.whiten=true",
                                       "readout.features=exc",
                                       "input.steps_per_image=100",
                                       "data.n_train=6000",
                                       "data.n_test=1000",
                                       "data.batch=300",
                                       "train.eval_every=0",
                                       "table.datasets=mnist",
                                       "table.seeds=5",
                                       NULL};

/* Few images and short periods, so that a run still has 3 sleep episodes and events. */
static const char *const QUICK[] = {"data.n_train=200",
                                    "data.n_val=0",
                                    "data.n_test=100",
                                    "data.batch=100",
                                    "input.steps_per_image=40",
                                    "sleep.period=2500",
                                    "struct.period=2500",
                                    "table.seeds=1",
                                    NULL};

/* One arm: its labels, its config assignments (NULL-terminated), whether --quick runs it
 * (loading the data costs ~1 s a run, so --quick keeps the arms R2-R4 compare), and R4's
 * sparsity s: struct.final_sparsity for gmp and granet; for mode "static" the network is
 * built with the rewired pathways' connection probabilities times 1 - s (a random network
 * at gmp's final count); 0 for the other arms. */
typedef struct arm {
    const char *mode, *regrow, *rate;
    const char *const *set;
    int quick;
    double sparsity;
} arm;

static const char *const FROZEN[] = {"stdp.rule=none", NULL};
static const char *const REF[] = {"struct.mode=none", NULL};
static const char *const CO[] = {"struct.mode=rewire", "struct.regrow=coincidence", NULL};
static const char *const SD[] = {"struct.mode=rewire", "struct.regrow=stdp", NULL};
static const char *const RND[] = {"struct.mode=rewire", "struct.regrow=random", NULL};
static const char *const PRUNE[] = {"struct.mode=rewire", "struct.regrow=none", NULL};
/* R5: without sleep, events every struct.period wake steps */
static const char *const REF0[] = {"struct.mode=none", NULL};
static const char *const CO0[] = {"struct.mode=rewire", "struct.regrow=coincidence",
                                  "struct.when=period", NULL};
static const char *const RND0[] = {"struct.mode=rewire", "struct.regrow=random",
                                   "struct.when=period", NULL};
/* R4: the pruning curve (struct.final_sparsity from the arm) and its static control */
static const char *const GMP[] = {"struct.mode=gmp", NULL};
static const char *const GRANET[] = {"struct.mode=granet", "struct.regrow=coincidence", NULL};
static const char *const STATIC[] = {"struct.mode=none", NULL};

/* R2/R3's arms first, so that a run cut short still has them in its log; R4 at 0.9 (its
 * target) before the rest of its curve. */
static const arm ARMS[] = {
    {"none", "none", "0.2", REF, 1, 0},
    {"rewire", "coincidence", "0.2", CO, 1, 0},
    {"rewire", "random", "0.2", RND, 1, 0},
    {"frozen", "none", "0", FROZEN, 1, 0},
    {"rewire", "stdp", "0.2", SD, 0, 0},
    {"rewire", "none", "0.2", PRUNE, 0, 0},
    {"none", "none", "0", REF0, 0, 0},
    {"rewire", "coincidence", "0", CO0, 1, 0},
    {"rewire", "random", "0", RND0, 0, 0},
    {"granet", "coincidence", "0.2", GRANET, 1, 0.9},
    {"gmp", "none", "0.2", GMP, 1, 0.9},
    {"static", "none", "0.2", STATIC, 1, 0.9},
    {"granet", "coincidence", "0.2", GRANET, 0, 0.75},
    {"gmp", "none", "0.2", GMP, 0, 0.75},
    {"static", "none", "0.2", STATIC, 0, 0.75},
    {"granet", "coincidence", "0.2", GRANET, 0, 0.5},
    {"gmp", "none", "0.2", GMP, 0, 0.5},
    {"static", "none", "0.2", STATIC, 0, 0.5},
};
#define N_ARMS (sizeof ARMS / sizeof ARMS[0])

static double final_number(json_t *doc, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, "final"), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Mean and sample sd of one final number over a cell's seeds. */
static void stats(const sm_exp_run *rows, int64_t first, int seeds, const char *key, double *mean,
                  double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < seeds; i++)
        s += final_number(rows[first + i].doc, key);
    *mean = s / seeds;
    for (int i = 0; i < seeds; i++) {
        const double d = final_number(rows[first + i].doc, key) - *mean;
        ss += d * d;
    }
    *sd = seeds > 1 ? sqrt(ss / (seeds - 1)) : 0;
}

/* R4's sparsity on the arm's config: struct.final_sparsity for gmp and granet; for the
 * static control, net.p_P x (1 - s) for every pathway P of struct.pathways. */
static sm_status set_sparsity(sm_config *c, const arm *a, sm_error *err)
{
    static const char *const P_KEY[SM_N_PATHS] = {"net.p_se", "net.p_ee", "net.p_ei", "net.p_ie"};
    char v[64];
    if (a->sparsity <= 0) return SM_OK;
    if (strcmp(a->mode, "static") != 0) {
        snprintf(v, sizeof v, "%.17g", a->sparsity);
        return sm_config_set(c, "struct.final_sparsity", v, "rewire-stdp", err);
    }
    unsigned mask = 0;
    sm_status st = sm_config_struct_pathways(c, &mask, err);
    for (int p = 0; st == SM_OK && p < SM_N_PATHS; p++) {
        if (!(mask & (1u << p))) continue;
        snprintf(v, sizeof v, "%.17g", c->net.p[p] * (1 - a->sparsity));
        st = sm_config_set(c, P_KEY[p], v, "rewire-stdp", err);
    }
    return st;
}

/* Runs one arm (datasets x seeds) into *rows (allocated here, one per grid cell). */
static sm_status run_arm(const sm_experiment_ctx *ctx, const arm *a, sm_exp_run **rows, sm_grid *g,
                         sm_error *err)
{
    sm_config c = *ctx->cfg;
    sm_status st = SM_OK;
    for (int i = 0; st == SM_OK && a->set[i]; i++) {
        char key[128];
        const char *eq = strchr(a->set[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->set[i]), a->set[i]);
        st = sm_config_set(&c, key, eq + 1, "rewire-stdp", err);
    }
    if (st == SM_OK) st = set_sparsity(&c, a, err);
    if (st == SM_OK) st = sm_exp_table_grid(&c, a->rate, g, err);
    sm_exp_run *r = st == SM_OK ? calloc((size_t)sm_grid_n_cells(g) + 1, sizeof *r) : NULL;
    *rows = r;
    if (st == SM_OK && !r) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    char label[128];
    snprintf(label, sizeof label, "%s/%s/sleep %s/sparsity %g ", a->mode, a->regrow, a->rate,
             a->sparsity);
    if (st == SM_OK) st = sm_exp_run_grid_docs(ctx, &c, g, label, r, err);
    for (int64_t k = 0; st == SM_OK && r && k < sm_grid_n_cells(g); k++) /* a log keeping it all */
        if (sm_experiment_log(ctx, "%s run %lld: accuracy %.4f f_on %.4f plastic_sum_ratio %.4f",
                              label, (long long)k, r[k].acc, final_number(r[k].doc, "f_on"),
                              r[k].wsum))
            st = sm_error_set(err, SM_ECANCELED, "rewire-stdp: stopped");
    return st;
}

static json_t *cell_json(const arm *a, const char *dataset, const sm_exp_run *rows, int64_t first,
                         int seeds)
{
    double acc, acc_sd, f_on, f_sd, ratio, r_sd;
    stats(rows, first, seeds, "test_accuracy", &acc, &acc_sd);
    stats(rows, first, seeds, "f_on", &f_on, &f_sd);
    stats(rows, first, seeds, "plastic_sum_ratio", &ratio, &r_sd);
    json_t *accs = json_array();
    for (int i = 0; i < seeds; i++)
        json_array_append_new(accs, sm_exp_real(rows[first + i].acc));
    return json_pack(
        "{s:s, s:s, s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o}", "dataset", dataset,
        "mode", a->mode, "regrow", a->regrow, "sleep_rate", atof(a->rate), "final_sparsity",
        a->sparsity, "mean_accuracy", sm_exp_real(acc), "sd_accuracy", sm_exp_real(acc_sd), "f_on",
        sm_exp_real(f_on), "sd_f_on", sm_exp_real(f_sd), "plastic_sum_ratio", sm_exp_real(ratio),
        "sd_plastic_sum_ratio", sm_exp_real(r_sd), "n_seeds", seeds, "accuracies", accs);
}

static json_t *met(double margin)
{
    return isfinite(margin) ? json_boolean(margin >= 0) : json_null();
}

/* The cell of (dataset, mode, regrow, final_sparsity) at sleep rate 0.2, or NULL. */
static json_t *find(json_t *cells, const char *dataset, const char *mode, const char *regrow,
                    double sparsity)
{
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (!strcmp(json_string_value(json_object_get(c, "dataset")), dataset) &&
            !strcmp(json_string_value(json_object_get(c, "mode")), mode) &&
            !strcmp(json_string_value(json_object_get(c, "regrow")), regrow) &&
            fabs(sm_json_get_number(c, "sleep_rate") - 0.2) < 1e-9 &&
            fabs(sm_json_get_number(c, "final_sparsity") - sparsity) < 1e-9)
            return c;
    }
    return NULL;
}

/* R2, R3 and R4 for one dataset (at sleep rate 0.2; R4 at sparsity 0.9). */
static json_t *targets_json(json_t *cells, const char *dataset)
{
    json_t *co = find(cells, dataset, "rewire", "coincidence", 0);
    json_t *rnd = find(cells, dataset, "rewire", "random", 0);
    json_t *ref = find(cells, dataset, "none", "none", 0);
    const double df = sm_json_get_number(co, "f_on") - sm_json_get_number(rnd, "f_on");
    const double d_ref =
        sm_json_get_number(co, "mean_accuracy") - sm_json_get_number(ref, "mean_accuracy");
    const double d_rnd =
        sm_json_get_number(co, "mean_accuracy") - sm_json_get_number(rnd, "mean_accuracy");
    const double ratio =
        sm_json_get_number(co, "plastic_sum_ratio") / sm_json_get_number(ref, "plastic_sum_ratio");
    const double gmp =
        sm_json_get_number(find(cells, dataset, "gmp", "none", 0.9), "mean_accuracy");
    const double d_granet =
        sm_json_get_number(find(cells, dataset, "granet", "coincidence", 0.9), "mean_accuracy") -
        gmp;
    const double d_gmp =
        gmp - sm_json_get_number(find(cells, dataset, "static", "none", 0.9), "mean_accuracy");
    return json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "dataset", dataset,
        "r4_granet_minus_gmp_at_0.9", sm_exp_real(d_granet), "r4_gmp_minus_static_at_0.9",
        sm_exp_real(d_gmp), "r4_met",
        isfinite(d_granet + d_gmp) ? json_boolean(d_granet >= 0 && d_gmp >= 0) : json_null(),
        "r2_f_on_co_minus_random", sm_exp_real(df), "r2_met", met(df - 0.10),
        "r3_co_minus_reference", sm_exp_real(d_ref), "r3_vs_reference_met", met(d_ref + 0.01),
        "r3_co_minus_random", sm_exp_real(d_rnd), "r3_vs_random_met", met(d_rnd - 0.01),
        "r3_sum_ratio_co_over_reference", sm_exp_real(ratio), "r3_sum_ratio_met",
        isfinite(ratio) ? json_boolean(ratio <= 1.25 && ratio >= 1 / 1.25) : json_null());
}

static sm_status write_csvs(const sm_experiment_ctx *ctx, json_t *cells, sm_grid *grids,
                            sm_exp_run **rows, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "dataset,mode,regrow,sleep_rate,final_sparsity,n_seeds,mean_accuracy,sd_accuracy,"
                  "f_on,sd_f_on,plastic_sum_ratio\n");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        fprintf(f.fp, "%s,%s,%s,%g,%g,%lld,%.6f,%.6f,%.6f,%.6f,%.6f\n",
                json_string_value(json_object_get(c, "dataset")),
                json_string_value(json_object_get(c, "mode")),
                json_string_value(json_object_get(c, "regrow")),
                sm_json_get_number(c, "sleep_rate"), sm_json_get_number(c, "final_sparsity"),
                (long long)json_integer_value(json_object_get(c, "n_seeds")),
                sm_json_get_number(c, "mean_accuracy"), sm_json_get_number(c, "sd_accuracy"),
                sm_json_get_number(c, "f_on"), sm_json_get_number(c, "sd_f_on"),
                sm_json_get_number(c, "plastic_sum_ratio"));
    }
    st = sm_atomic_commit(&f, err);
    if (st != SM_OK || !sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return st;
    if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
    fprintf(f.fp, "mode,regrow,sleep_rate,final_sparsity,dataset,seed,test_accuracy,f_on,"
                  "plastic_sum_ratio\n");
    for (size_t a = 0; a < N_ARMS; a++)
        for (int64_t cell = 0; rows[a] && cell < sm_grid_n_cells(&grids[a]); cell++) {
            json_t *p = sm_grid_cell_params(&grids[a], cell);
            fprintf(f.fp, "%s,%s,%s,%g,%s,%s,%.6f,%.6f,%.6f\n", ARMS[a].mode, ARMS[a].regrow,
                    ARMS[a].rate, ARMS[a].sparsity,
                    json_string_value(json_object_get(p, "data.dataset")),
                    json_string_value(json_object_get(p, "run.seed")), rows[a][cell].acc,
                    final_number(rows[a][cell].doc, "f_on"), rows[a][cell].wsum);
            json_decref(p);
        }
    return sm_atomic_commit(&f, err);
}

/* The first run's structure_events of every rewiring arm, keyed "mode/regrow/sleep" (and
 * "/sparsity<s>" for R4's arms). */
static json_t *events_json(sm_exp_run **rows)
{
    json_t *o = json_object();
    for (size_t a = 0; a < N_ARMS; a++) {
        json_t *ev = rows[a] ? json_object_get(rows[a][0].doc, "structure_events") : NULL;
        if (!ev) continue;
        char key[128];
        if (ARMS[a].sparsity > 0)
            snprintf(key, sizeof key, "%s/%s/sleep%s/sparsity%g", ARMS[a].mode, ARMS[a].regrow,
                     ARMS[a].rate, ARMS[a].sparsity);
        else
            snprintf(key, sizeof key, "%s/%s/sleep%s", ARMS[a].mode, ARMS[a].regrow, ARMS[a].rate);
        json_object_set(o, key, ev);
    }
    return o;
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
    const int n_d = st == SM_OK ? grids[0].axes[0].n : 0;
    for (int d = 0; d < n_d; d++) {
        json_t *p0 = sm_grid_cell_params(&grids[0], (int64_t)d * seeds);
        for (size_t a = 0; a < N_ARMS; a++) {
            if (!rows[a]) continue;
            json_t *p = sm_grid_cell_params(&grids[a], (int64_t)d * seeds);
            json_array_append_new(
                cells, cell_json(&ARMS[a], json_string_value(json_object_get(p, "data.dataset")),
                                 rows[a], (int64_t)d * seeds, seeds));
            json_decref(p);
        }
        json_array_append_new(
            targets, targets_json(cells, json_string_value(json_object_get(p0, "data.dataset"))));
        json_decref(p0);
    }
    if (st == SM_OK) st = write_csvs(ctx, cells, grids, rows, err);
    if (st == SM_OK) {
        *results = json_pack("{s:o, s:o, s:o}", "cells", cells, "targets", targets, "events",
                             events_json(rows));
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
        int written = 0;
        if (st == SM_OK && ctx->out_dir)
            st = sm_structure_figures("rewire-stdp", *results, ctx->out_dir,
                                      ctx->out_stem ? ctx->out_stem : "experiment", &written, err);
        if (st != SM_OK) {
            json_decref(*results);
            *results = NULL;
        }
    } else {
        json_decref(cells);
        json_decref(targets);
    }
    sm_exp_free_arm_rows(rows, grids, N_ARMS);
    return st;
}

const sm_experiment_def sm_exp_rewire_stdp = {
    .name = "rewire-stdp",
    .description = "structural plasticity of the STDP network (spec structural.md 4.2 R2-R5): "
                   "rewiring by coincidence, stdp, random or prune-only beside the reference "
                   "and the frozen random network; the gmp / granet / static pruning curve",
    .defaults = DEFAULTS,
    .quick_defaults = QUICK,
    .run = run,
};
