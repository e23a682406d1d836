/* Experiment continual-safe (spec continual.md sections 5-7, targets C5-C7): SAFE on split
 * MNIST with an extractor pretrained on Fashion-MNIST, and on split Fashion with one
 * pretrained on MNIST, cl.seeds seeds each.
 *
 * Selection (section 6), per stream: with safe.tune, every (lambda_diag, lambda_rdn) of
 * safe.lambda_grid^2 is run on every seed with safe.score_test off (validation only; no
 * test image is read); the pair with the best validation ACC of the aggregate (at
 * safe.gamma) averaged over seeds wins, then gamma is the value of safe.gamma_grid with the
 * best mean validation ACC of the winner's runs (its saved logits: no retraining). Only then
 * are the test images scored, once, by the final runs: SAFE with the choice, and the
 * ablations of 5.6 on the same extractor (no cross-classification, no alignment, no
 * transfer loss); slow-only, fast-only and PTM + ridge are heads of the SAFE run itself.
 * The extractor is pretrained once per seed and stream and shared by all its runs.
 *
 * Results: conditions (mean over seeds of acc, bwt, forgetting; task-IL rows), R per
 * condition ("stream/condition"), the tuning table, the targets C5-C7 met or not.
 * Files: conditions.csv, tuning.csv; per stream R-<stream>-<condition>.png and
 * sequence-<stream>-<condition>.png (mean R as a heat map and along the sequence),
 * acc_bwt-<stream>.png (ACC and BWT per condition) and w_slow-<stream>.png (mean w_S per
 * task). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/protocol/train.h"
#include "somnus/analysis/plot.h"
#include "protocol/continual_plots.h"
#include "protocol/continual_safe.h"
#include "protocol/continual_stream.h"
#include "protocol/experiments/experiments.h"
#include "protocol/experiments/name_list.h"
#include "protocol/experiments/run_cache.h"
#include "protocol/experiments/grid_runs.h"

static const char *const DEFAULTS[] = {"protocol.kind=continual", "train.model=safe", NULL};

/* 1 seed, no tuning grid, small tasks and a small extractor: well under 15 s */
static const char *const QUICK[] = {
    "cl.seeds=1",          "safe.tune=false",      "safe.epochs_first=1", "safe.epochs_later=1",
    "safe.ptm_epochs=1",   "safe.ptm_images=1000", "sgsnn.n_hidden=100",  "cl.per_class_train=60",
    "cl.per_class_val=20", "cl.per_class_test=40", "cl.ridge_grid=-2:0",  NULL};

enum { N_STREAMS = 2, MAX_SEEDS = 64, MAX_VALS = 16 };

/* A stream of the experiment: its cl.stream, its data.dataset, the target it tests. */
typedef struct stream_def {
    const char *stream, *dataset;
    int target; /* 5: C5, 6: C6, 0: none (a stream given by the user) */
} stream_def;
static const stream_def STREAMS[N_STREAMS] = {{"split-mnist", "mnist", 5},
                                              {"split-fashion", "fashion", 6}};

/* The final conditions: SAFE's heads, then the ablation runs. */
enum { C_SAFE, C_SLOW, C_FAST, C_PTM, C_ORACLE, C_NO_CC, C_NO_COS, C_NO_TRANSFER, N_COND };
static const char *const COND[N_COND] = {"safe",        "slow-only",       "fast-only",
                                         "ptm-ridge",   "oracle-selected", "safe-no-cc",
                                         "safe-no-cos", "safe-no-transfer"};
static const char *const HEAD[N_COND] = {"aggregate",       "slow",      "fast",      "ptm_ridge",
                                         "oracle_selected", "aggregate", "aggregate", "aggregate"};

/* Per seed of a stream: its data and extractor (pretrained on first use). */
typedef struct seed_run {
    sm_config cfg;
    sm_cl_stream s;
    sm_train_data data;
    sm_cl_safe_ptm ptm;
    int ptm_ready;
} seed_run;

/* The seed's extractor, made when a run first needs it: an experiment resumed with --runs
 * whose runs of this seed are all kept never pretrains it. */
static sm_status ensure_ptm(const sm_experiment_ctx *ctx, seed_run *sr, sm_error *err)
{
    if (sr->ptm_ready) return SM_OK;
    const sm_config *c = &sr->cfg;
    sm_status st = sm_cl_safe_ptm_make(c, &sr->s, &sr->data, &sr->ptm, err);
    if (st != SM_OK) return st;
    sr->ptm_ready = 1;
    if (sm_experiment_log(ctx, "%s seed %lld: extractor %s, its accuracy %.3f on %s (%.1f s)",
                          c->cl.stream, (long long)c->run.seed, sr->ptm.source,
                          sr->ptm.pretrain_acc, sr->ptm.acc_on[0] ? sr->ptm.acc_on : "-",
                          sr->ptm.wall_s))
        return sm_error_set(err, SM_ECANCELED, "continual-safe: stopped");
    return SM_OK;
}

/* One SAFE run of seed k with cfg; the "continual" object in *cont. With --runs the object
 * is kept under the run's config hash (which covers the seed, the stream, the extractor's
 * settings and every safe.* value) and a kept one is used instead of running. */
static sm_status safe_run(const sm_experiment_ctx *ctx, seed_run *sr, const sm_config *cfg,
                          json_t **cont, sm_error *err)
{
    char hash[17];
    sm_sweep_config_hash(cfg, hash);
    json_t *kept = sm_run_cache_get(ctx, hash);
    *cont = kept ? json_incref(json_object_get(kept, "continual")) : NULL;
    json_decref(kept);
    if (*cont) return SM_OK;
    sm_status st = ensure_ptm(ctx, sr, err);
    sm_train_run_ctx r = {0};
    if (st == SM_OK) *cont = json_object();
    if (st == SM_OK && !*cont) st = sm_error_set(err, SM_ENOMEM, "continual-safe: out of memory");
    if (st == SM_OK) st = sm_cl_run_safe_with(cfg, &sr->s, &sr->data, &sr->ptm, &r, *cont, err);
    if (st == SM_OK && ctx->runs_dir) { /* the cache wants a document with a "final" */
        json_t *doc =
            json_pack("{s:O, s:{s:O}}", "continual", *cont, "final", "acc",
                      json_object_get(*cont, "acc") ? json_object_get(*cont, "acc") : json_null());
        st = doc ? sm_run_cache_put(ctx, hash, doc, err)
                 : sm_error_set(err, SM_ENOMEM, "continual-safe: out of memory");
        json_decref(doc);
    }
    if (st != SM_OK) json_decref(*cont), *cont = NULL;
    return st;
}

static double jnum(json_t *o, const char *a, const char *b)
{
    json_t *x = a ? json_object_get(o, a) : o;
    if (b) x = json_object_get(x, b);
    return json_is_number(x) ? json_number_value(x) : NAN;
}

static void mean_sd(const double *x, int n, double *m, double *sd)
{
    double s = 0, q = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) s += x[i], k++;
    *m = k ? s / k : NAN;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) q += (x[i] - *m) * (x[i] - *m);
    *sd = k > 1 ? sqrt(q / (k - 1)) : NAN;
}

/* Each seed's config, stream and data (the extractors come later: ensure_ptm). */
static sm_status seeds_setup(const sm_experiment_ctx *ctx, const stream_def *def, seed_run *sr,
                             int n, sm_error *err)
{
    for (int k = 0; k < n; k++) {
        sm_config c = *ctx->cfg;
        c.run.seed = ctx->cfg->run.seed + k;
        snprintf(c.cl.stream, sizeof c.cl.stream, "%s", def->stream);
        snprintf(c.data.dataset, sizeof c.data.dataset, "%s", def->dataset);
        /* per-stream defaults of section 1 (0 = the stream's own) */
        sm_status st = sm_cl_stream_parse(&c, &sr[k].s, err);
        if (st == SM_OK) st = sm_train_data_load(&c, &sr[k].data, err);
        sr[k].cfg = c;
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

/* The tuning of section 6: sets *ld, *lr, *gamma; appends rows to `tuning`. */
static sm_status tune(const sm_experiment_ctx *ctx, const stream_def *def, seed_run *sr, int n,
                      double *ld, double *lr, double *gamma, json_t *tuning, sm_error *err)
{
    if (ctx->cfg->safe.tune_seeds > 0 && ctx->cfg->safe.tune_seeds < n)
        n = ctx->cfg->safe.tune_seeds;
    double v[MAX_VALS], gam[MAX_VALS];
    int nv = 0, ng = 0;
    sm_status st = sm_cl_safe_parse_list(ctx->cfg->safe.lambda_grid, "safe.lambda_grid", v, &nv,
                                         MAX_VALS, err);
    if (st == SM_OK)
        st = sm_cl_safe_parse_list(ctx->cfg->safe.gamma_grid, "safe.gamma_grid", gam, &ng, MAX_VALS,
                                   err);
    double best = -1, best_g[MAX_VALS] = {0};
    for (int a = 0; a < nv && st == SM_OK; a++)
        for (int b = 0; b < nv && st == SM_OK; b++) {
            double acc[MAX_SEEDS], gacc[MAX_VALS] = {0};
            for (int k = 0; k < n && st == SM_OK; k++) {
                sm_config c = sr[k].cfg;
                c.safe.lambda_diag = v[a];
                c.safe.lambda_rdn = v[b];
                c.safe.score_test = 0;
                json_t *cont;
                st = safe_run(ctx, &sr[k], &c, &cont, err);
                if (st != SM_OK) break;
                json_t *val = json_object_get(cont, "val");
                acc[k] = jnum(val, "aggregate", "acc");
                json_t *vg = json_object_get(val, "gamma");
                for (int g = 0; g < ng; g++)
                    gacc[g] += jnum(json_array_get(vg, (size_t)g), "acc", NULL) / n;
                json_decref(cont);
                if (sm_experiment_log(ctx, "%s tune (%g, %g) seed %d: val ACC %.4f", def->stream,
                                      v[a], v[b], k + 1, acc[k]))
                    st = sm_error_set(err, SM_ECANCELED, "continual-safe: stopped");
            }
            if (st != SM_OK) break;
            double m, sd;
            mean_sd(acc, n, &m, &sd);
            json_t *gj = json_array();
            for (int g = 0; g < ng; g++)
                json_array_append_new(gj, sm_exp_real(gacc[g]));
            json_array_append_new(tuning, json_pack("{s:s, s:f, s:f, s:o, s:o, s:o}", "stream",
                                                    def->stream, "lambda_diag", v[a], "lambda_rdn",
                                                    v[b], "val_acc", sm_exp_real(m), "val_acc_sd",
                                                    sm_exp_real(sd), "val_acc_per_gamma", gj));
            if (m > best) {
                best = m, *ld = v[a], *lr = v[b];
                memcpy(best_g, gacc, sizeof best_g);
            }
        }
    int gi = 0;
    for (int g = 1; g < ng; g++)
        if (best_g[g] > best_g[gi]) gi = g;
    if (st == SM_OK) *gamma = gam[gi];
    return st;
}

/* Final runs of one stream with the chosen setting: acc/bwt/forgetting and R per condition
 * and seed into out[cond][metric][seed], Rs[cond] (sum over seeds), task-IL of SAFE. */
typedef struct stream_out {
    double m[N_COND + 1][3][MAX_SEEDS]; /* + 1: SAFE task-IL */
    double *R[N_COND + 1];
    double val_acc[MAX_SEEDS];
    double ws[MAX_SEEDS][SM_CL_MAX_TASKS];
    int T;
} stream_out;

static void take(json_t *h, stream_out *o, int c, int k)
{
    const char *key[3] = {"acc", "bwt", "forgetting"};
    for (int q = 0; q < 3; q++)
        o->m[c][q][k] = jnum(h, key[q], NULL);
    json_t *R = json_object_get(h, "R");
    for (int i = 0; i <= o->T; i++)
        for (int j = 0; j < o->T; j++) {
            json_t *x = json_array_get(json_array_get(R, (size_t)i), (size_t)j);
            o->R[c][i * o->T + j] += (json_is_number(x) ? json_number_value(x) : NAN);
        }
}

static sm_status final_runs(const sm_experiment_ctx *ctx, const stream_def *def, seed_run *sr,
                            int n, const sm_config *chosen, stream_out *o, sm_error *err)
{
    sm_status st = SM_OK;
    for (int k = 0; k < n && st == SM_OK; k++)
        for (int run = 0; run < (chosen->safe.ablations ? 4 : 1) && st == SM_OK; run++) {
            sm_config c = *chosen;
            c.run.seed = sr[k].cfg.run.seed;
            c.safe.score_test = 1;
            if (run == 1) c.safe.lambda_cc = 0;
            if (run == 2) c.safe.lambda_cos = 0;
            if (run == 3) c.safe.lambda_diag = c.safe.lambda_rdn = 0;
            json_t *cont;
            st = safe_run(ctx, &sr[k], &c, &cont, err);
            if (st != SM_OK) break;
            if (run == 0) {
                for (int h = C_SAFE; h <= C_ORACLE; h++)
                    take(json_object_get(cont, HEAD[h]), o, h, k);
                take(json_object_get(cont, "task"), o, N_COND, k);
                o->val_acc[k] = jnum(json_object_get(cont, "val"), "aggregate", "acc");
                json_t *ws = json_array_get(json_object_get(cont, "w_slow_per_task"), 0);
                for (int j = 0; j < o->T; j++)
                    o->ws[k][j] = jnum(json_array_get(ws, (size_t)j), NULL, NULL);
            } else {
                take(cont, o, C_SAFE + 4 + run, k);
            }
            if (sm_experiment_log(ctx, "%s seed %d %s: ACC %.4f", def->stream, k + 1,
                                  run == 0 ? "safe" : COND[C_SAFE + 4 + run],
                                  jnum(cont, "acc", NULL)))
                st = sm_error_set(err, SM_ECANCELED, "continual-safe: stopped");
            json_decref(cont);
        }
    return st;
}

static json_t *per_seed(const double *x, int n)
{
    json_t *a = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(a, sm_exp_real(x[k]));
    return a;
}

/* Conditions rows, R and the targets of one stream. */
static void report(const stream_def *def, const stream_out *o, int n, json_t *conds, json_t *Rj,
                   json_t *targets, FILE *csv)
{
    const int T = o->T;
    double m[N_COND + 1][3], sd[N_COND + 1][3];
    for (int c = 0; c <= N_COND; c++) {
        for (int q = 0; q < 3; q++)
            mean_sd(o->m[c][q], n, &m[c][q], &sd[c][q]);
        if (isnan(m[c][0])) continue; /* an ablation not run */
        const char *name = c < N_COND ? COND[c] : "safe";
        const char *scen = c < N_COND ? "class" : "task";
        json_array_append_new(
            conds,
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:o}", "model", "safe",
                      "stream", def->stream, "scenario", scen, "condition", name, "acc",
                      sm_exp_real(m[c][0]), "acc_sd", sm_exp_real(sd[c][0]), "bwt",
                      sm_exp_real(m[c][1]), "bwt_sd", sm_exp_real(sd[c][1]), "forgetting",
                      sm_exp_real(m[c][2]), "n_seeds", n, "acc_per_seed", per_seed(o->m[c][0], n)));
        json_t *Rm = json_array();
        for (int i = 0; i <= T; i++) {
            json_t *row = json_array();
            for (int j = 0; j < T; j++)
                json_array_append_new(row, sm_exp_real(o->R[c][i * T + j] / n));
            json_array_append_new(Rm, row);
        }
        char key[96];
        snprintf(key, sizeof key, "%s/%s%s", def->stream, name, c < N_COND ? "" : "/task");
        json_object_set_new(Rj, key, Rm);
        if (csv)
            fprintf(csv, "%s,%s,%s,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", def->stream, name, scen, n,
                    m[c][0], sd[c][0], m[c][1], sd[c][1], m[c][2]);
    }
    const double acc = m[C_SAFE][0], ptm = m[C_PTM][0];
    const double best1 = fmax(m[C_SLOW][0], m[C_FAST][0]);
    json_t *t = json_object();
    if (def->target == 5) {
        json_object_set_new(t, "C5_acc_ge_0.85", json_boolean(acc >= 0.85));
        json_object_set_new(t, "C5_acc_ge_ptm_ridge_plus_0.01", json_boolean(acc >= ptm + 0.01));
        json_object_set_new(t, "C5_aggregate_ge_max_slow_fast_minus_0.005",
                            json_boolean(acc >= best1 - 0.005));
        json_object_set_new(t, "C5_bwt_ge_-0.08", json_boolean(m[C_SAFE][1] >= -0.08));
    } else if (def->target == 6) {
        json_object_set_new(t, "C6_acc_ge_0.70", json_boolean(acc >= 0.70));
        json_object_set_new(t, "C6_acc_ge_ptm_ridge", json_boolean(acc >= ptm));
    }
    json_object_set_new(t, "C7_oracle_minus_acc", sm_exp_real(m[C_ORACLE][0] - acc));
    json_object_set_new(t, "C7_below_0.01", json_boolean(m[C_ORACLE][0] - acc < 0.01));
    double wsm[SM_CL_MAX_TASKS];
    json_t *wj = json_array();
    for (int j = 0; j < T; j++) {
        double x[MAX_SEEDS], s;
        for (int k = 0; k < n; k++)
            x[k] = o->ws[k][j];
        mean_sd(x, n, &wsm[j], &s);
        json_array_append_new(wj, sm_exp_real(wsm[j]));
    }
    json_object_set_new(t, "w_slow_per_task", wj);
    json_object_set_new(t, "val_acc_per_seed", per_seed(o->val_acc, n));
    json_object_set_new(targets, def->stream, t);
}

/* The stream's name as part of a file name (split:synthetic:0,1/2,3 -> split_synthetic_0_1_2_3). */
static void file_part(const char *stream, char *buf, size_t size)
{
    size_t k = 0;
    for (; stream[k] && k + 1 < size; k++) {
        const char ch = stream[k];
        buf[k] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '-' || ch == '.'
                     ? ch
                     : '_';
    }
    buf[k] = '\0';
}

/* The figures of one stream: per condition the mean R (heat map and along the sequence),
 * ACC and BWT per condition, and the mean w_S per task. */
static sm_status plot_stream(const sm_experiment_ctx *ctx, const stream_def *def,
                             const stream_out *o, int n, sm_error *err)
{
    const int T = o->T;
    char sn[96], file[256], path[4096], title[300];
    file_part(def->stream, sn, sizeof sn);
    double *R = malloc((size_t)(T + 1) * T * sizeof *R);
    if (!R) return sm_error_set(err, SM_ENOMEM, "continual-safe: out of memory");
    const char *names[N_COND];
    double m[4][N_COND];
    int nc = 0;
    sm_status st = SM_OK;
    for (int c = 0; c < N_COND && st == SM_OK; c++) {
        double a, asd, b, bsd;
        mean_sd(o->m[c][0], n, &a, &asd);
        mean_sd(o->m[c][1], n, &b, &bsd);
        if (isnan(a)) continue; /* an ablation not run */
        names[nc] = COND[c];
        m[0][nc] = a, m[1][nc] = asd, m[2][nc] = b, m[3][nc++] = bsd;
        for (int i = 0; i < (T + 1) * T; i++)
            R[i] = o->R[c][i] / n;
        snprintf(file, sizeof file, "R-%s-%s.png", sn, COND[c]);
        snprintf(title, sizeof title, "R, SAFE %s on %s (row i: after task i; column j: task j)",
                 COND[c], def->stream);
        if (sm_experiment_file(ctx, file, path, sizeof path))
            st = sm_plot_matrix(path, title, "task j", "after task i", R, T + 1, T, 0, 1, err);
        snprintf(file, sizeof file, "sequence-%s-%s.png", sn, COND[c]);
        snprintf(title, sizeof title, "SAFE %s on %s: accuracy on each task along the sequence",
                 COND[c], def->stream);
        if (st == SM_OK && sm_experiment_file(ctx, file, path, sizeof path))
            st = sm_cl_plot_sequence(path, title, R, T, err);
    }
    free(R);
    snprintf(file, sizeof file, "acc_bwt-%s.png", sn);
    snprintf(title, sizeof title, "SAFE on %s: ACC and BWT per condition", def->stream);
    if (st == SM_OK && nc > 0 && sm_experiment_file(ctx, file, path, sizeof path))
        st = sm_cl_plot_acc_bwt(path, title, names, m[0], m[1], m[2], m[3], nc, err);
    double wm[SM_CL_MAX_TASKS], wsd[SM_CL_MAX_TASKS];
    for (int j = 0; j < T; j++) {
        double x[MAX_SEEDS];
        for (int k = 0; k < n; k++)
            x[k] = o->ws[k][j];
        mean_sd(x, n, &wm[j], &wsd[j]);
    }
    snprintf(file, sizeof file, "w_slow-%s.png", sn);
    snprintf(title, sizeof title,
             "SAFE on %s: mean slow-learner weight w_S per task's classes after the last session",
             def->stream);
    if (st == SM_OK && sm_experiment_file(ctx, file, path, sizeof path))
        st = sm_cl_plot_w_slow(path, title, wm, wsd, T, err);
    return st;
}

static sm_status run_stream(const sm_experiment_ctx *ctx, const stream_def *def, json_t *conds,
                            json_t *Rj, json_t *tuning, json_t *chosen_j, json_t *targets,
                            FILE *csv, sm_error *err)
{
    const int n = ctx->cfg->cl.seeds;
    seed_run *sr = calloc((size_t)n, sizeof *sr);
    stream_out *o = calloc(1, sizeof *o);
    if (!sr || !o) {
        free(sr), free(o);
        return sm_error_set(err, SM_ENOMEM, "continual-safe: out of memory");
    }
    for (int c = 0; c <= N_COND; c++)
        for (int q = 0; q < 3; q++)
            for (int k = 0; k < MAX_SEEDS; k++)
                o->m[c][q][k] = NAN; /* a condition not run stays NaN and is not reported */
    sm_status st = seeds_setup(ctx, def, sr, n, err);
    sm_config chosen = sr[0].cfg;
    if (st == SM_OK && ctx->cfg->safe.tune)
        st = tune(ctx, def, sr, n, &chosen.safe.lambda_diag, &chosen.safe.lambda_rdn,
                  &chosen.safe.gamma, tuning, err);
    if (st == SM_OK) {
        json_object_set_new(chosen_j, def->stream,
                            json_pack("{s:f, s:f, s:f, s:b}", "lambda_diag",
                                      chosen.safe.lambda_diag, "lambda_rdn", chosen.safe.lambda_rdn,
                                      "gamma", chosen.safe.gamma, "tuned", ctx->cfg->safe.tune));
        o->T = sr[0].s.n_tasks;
        for (int c = 0; c <= N_COND; c++) {
            o->R[c] = calloc((size_t)(o->T + 1) * o->T, sizeof *o->R[c]);
            if (!o->R[c]) st = sm_error_set(err, SM_ENOMEM, "continual-safe: out of memory");
        }
    }
    if (st == SM_OK) st = final_runs(ctx, def, sr, n, &chosen, o, err);
    if (st == SM_OK) report(def, o, n, conds, Rj, targets, csv);
    if (st == SM_OK) st = plot_stream(ctx, def, o, n, err);
    for (int c = 0; c <= N_COND; c++)
        free(o->R[c]);
    for (int k = 0; k < n; k++) {
        sm_train_data_free(&sr[k].data);
        sm_cl_safe_ptm_free(&sr[k].ptm);
    }
    free(sr), free(o);
    return st;
}

static sm_status run_safe(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int generic = strncmp(ctx->cfg->safe.streams, "split:", 6) == 0;
    static const char *const KNOWN[] = {"split-mnist", "split-fashion"};
    sm_status st0 =
        generic ? SM_OK : sm_exp_list_check("safe.streams", ctx->cfg->safe.streams, KNOWN, 2, err);
    if (st0 != SM_OK) return st0;
    if (ctx->cfg->cl.seeds > MAX_SEEDS)
        return sm_error_set(err, SM_EINVAL, "cl.seeds: continual-safe runs at most %d seeds",
                            MAX_SEEDS);
    json_t *conds = json_array(), *Rj = json_object(), *tuning = json_array();
    json_t *chosen = json_object(), *targets = json_object();
    char path[4096];
    sm_atomic_file f;
    FILE *csv = NULL;
    sm_status st = SM_OK;
    if (sm_experiment_file(ctx, "conditions.csv", path, sizeof path)) {
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            csv = f.fp;
            fprintf(csv, "stream,condition,scenario,n_seeds,acc,acc_sd,bwt,bwt_sd,forgetting\n");
        }
    }
    if (generic) { /* one stream given by the user, on data.dataset */
        const stream_def g = {ctx->cfg->safe.streams, ctx->cfg->data.dataset, 0};
        st = run_stream(ctx, &g, conds, Rj, tuning, chosen, targets, csv, err);
    }
    for (int si = 0; si < N_STREAMS && st == SM_OK && !generic; si++)
        if (sm_exp_list_has(ctx->cfg->safe.streams, STREAMS[si].stream))
            st = run_stream(ctx, &STREAMS[si], conds, Rj, tuning, chosen, targets, csv, err);
    if (csv) {
        if (st == SM_OK)
            st = sm_atomic_commit(&f, err);
        else
            sm_atomic_abort(&f);
    }
    if (st == SM_OK)
        *results = json_pack("{s:o, s:o, s:o, s:o, s:o}", "conditions", conds, "R", Rj, "tuning",
                             tuning, "chosen", chosen, "targets", targets);
    else {
        json_decref(conds), json_decref(Rj), json_decref(tuning);
        json_decref(chosen), json_decref(targets);
    }
    return st;
}

const sm_experiment_def sm_exp_continual_safe = {
    "continual-safe",
    "SAFE (slow and fast learners on a frozen pretrained SG-SNN layer) on split MNIST and split "
    "Fashion, choices on validation only, with ablations (spec continual.md C5-C7)",
    DEFAULTS, QUICK, run_safe};
