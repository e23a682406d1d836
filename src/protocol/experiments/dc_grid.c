/* The grid of Diehl & Cook runs behind the experiments dc-size (E1) and dc-fashion (E2),
 * spec diehl-cook.md section 8: variants x sizes x seeds of `somnus train --model dc`,
 * reduced to mean +- sd per cell, the paper's and BindsNET's reported numbers beside. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/dc_grid.h"
#include "protocol/experiments/dc_targets.h"
#include "protocol/experiments/grid_runs.h"
#include "protocol/experiments/run_cache.h"
#include "somnus/core/fileio.h"
#include "somnus/io/dataset.h"
#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/train.h"

/* Variants: "code" = the authors' code as configured; "code_clamp" = the same with
 * dc.v_clamp (v kept in [E_inh, E_exc]: without it the forward-Euler overshoot of large
 * inhibitory volleys diverges at 400 E and more, docs/diehl-cook.md); "bindsnet" =
 * configs/dc-bindsnet.cfg (below); "frozen" and "frozen_clamp" = code and code_clamp
 * without training, each learning variant's random-network control. */
static const char *const VARIANTS[] = {"code",   "code_clamp",   "bindsnet",
                                       "frozen", "frozen_clamp", NULL};
#define DC_VARIANTS "code, code_clamp, bindsnet, frozen or frozen_clamp"

static int is_clamped(const char *variant)
{
    const size_t n = strlen(variant);
    return n > 6 && !strcmp(variant + n - 6, "_clamp");
}

static int known_variant(const char *variant)
{
    for (int k = 0; VARIANTS[k]; k++)
        if (!strcmp(variant, VARIANTS[k])) return 1;
    return 0;
}

/* configs/dc-bindsnet.cfg, applied for variant "bindsnet" */
static const char *const BINDSNET[] = {"dc.fidelity=bindsnet",
                                       "dc.rule=postpre",
                                       "dc.input_delay=0",
                                       "dc.w_ei=22.5",
                                       "dc.w_ie=120",
                                       "dc.norm_sum=78.4",
                                       "dc.r_max=64",
                                       "dc.t_present=250",
                                       "dc.t_rest=0",
                                       "dc.min_spikes=0",
                                       NULL};

#define DC_MAX_LIST 16

/* Parses a comma list of positive ints; returns the count or -1. */
static int parse_ints(const char *s, int *out)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > (1 << 20) || n >= DC_MAX_LIST) return -1;
        out[n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

/* MNIST test accuracy of the paper (spec section 6) at n_exc, NaN elsewhere. */
static double paper_acc(const char *dataset, int n)
{
    if (strcmp(dataset, "mnist") != 0) return NAN;
    return n == 100 ? 0.829 : n == 400 ? 0.870 : n == 1600 ? 0.919 : n == 6400 ? 0.950 : NAN;
}

/* BindsNET's reported MNIST accuracy (#553: 77% at 100 defaults; #575: 90% at 6,400). */
static double bindsnet_acc(const char *dataset, int n)
{
    if (strcmp(dataset, "mnist") != 0) return NAN;
    return n == 100 ? 0.77 : n == 6400 ? 0.90 : NAN;
}

static sm_status write_csv(const sm_experiment_ctx *ctx, json_t *res, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "cells.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "dataset,variant,n_exc,passes,n_seeds,mean_accuracy_all,sd_accuracy,"
                  "mean_accuracy_prop,mean_accuracy_lr,paper_accuracy\n");
    json_t *cells = json_object_get(res, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        fprintf(f.fp, "%s,%s,%lld,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.4f\n",
                json_string_value(json_object_get(c, "dataset")),
                json_string_value(json_object_get(c, "variant")),
                (long long)json_integer_value(json_object_get(c, "n_exc")),
                (long long)json_integer_value(json_object_get(c, "passes")),
                (long long)json_integer_value(json_object_get(c, "n_seeds")),
                sm_json_get_number(c, "mean_accuracy_all"), sm_json_get_number(c, "sd_accuracy"),
                sm_json_get_number(c, "mean_accuracy_prop"),
                sm_json_get_number(c, "mean_accuracy_lr"), sm_json_get_number(c, "paper_accuracy"));
    }
    st = sm_atomic_commit(&f, err);
    if (st != SM_OK || !sm_experiment_file(ctx, "runs.csv", path, sizeof path)) return st;
    if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
    fprintf(f.fp, "dataset,variant,n_exc,passes,seed,acc_all,acc_prop,acc_lr,train_images_per_s\n");
    json_t *runs = json_object_get(res, "runs");
    for (size_t i = 0; i < json_array_size(runs); i++) {
        json_t *c = json_array_get(runs, i);
        fprintf(f.fp, "%s,%s,%lld,%lld,%lld,%.6f,%.6f,%.6f,%.3f\n",
                json_string_value(json_object_get(c, "dataset")),
                json_string_value(json_object_get(c, "variant")),
                (long long)json_integer_value(json_object_get(c, "n_exc")),
                (long long)json_integer_value(json_object_get(c, "passes")),
                (long long)json_integer_value(json_object_get(c, "seed")),
                sm_json_get_number(c, "acc_all"), sm_json_get_number(c, "acc_prop"),
                sm_json_get_number(c, "acc_lr"), sm_json_get_number(c, "train_images_per_s"));
    }
    return sm_atomic_commit(&f, err);
}

/* One run: cfg copy with the cell's settings, data from the loaded pool; a run kept in
 * ctx->runs_dir (`--runs`) is reused, a new one kept there. */
static sm_status one_run(const sm_experiment_ctx *ctx, const sm_dataset *pool,
                         const sm_dataset *off, const char *variant, int n_exc, int passes,
                         int64_t seed, json_t **fin, double *ips, sm_error *err)
{
    const sm_config *base = ctx->cfg;
    sm_config *c = malloc(sizeof *c);
    if (!c) return sm_error_set(err, SM_ENOMEM, "out of memory");
    *c = *base;
    c->train.model = SM_MODEL_DC;
    c->dc.n_exc = n_exc;
    c->dc.passes = sm_exp_dc_is_frozen(variant) ? 0 : passes;
    c->run.seed = seed;
    sm_status st = SM_OK;
    if (!strcmp(variant, "bindsnet"))
        for (int k = 0; BINDSNET[k] && st == SM_OK; k++)
            st = sm_config_set_assignment(c, BINDSNET[k], "dc-bindsnet", err);
    if (is_clamped(variant)) c->dc.v_clamp = 1;
    char hash[17];
    sm_run_cache_config_hash(c, hash); /* a call listing fewer sizes reuses the runs */
    json_t *doc = st == SM_OK ? sm_run_cache_get(ctx, hash) : NULL;
    sm_train_data d;
    memset(&d, 0, sizeof d);
    if (st == SM_OK && !doc) {
        st = sm_train_data_from_pool(c, pool, off, &d, err);
        if (st == SM_OK) st = sm_train_run(c, &d, NULL, NULL, &doc, err);
        if (st == SM_OK) st = sm_run_cache_put(ctx, hash, doc, err);
    }
    if (st == SM_OK) {
        *fin = json_incref(json_object_get(doc, "final"));
        *ips = sm_json_get_number(json_object_get(doc, "timing"), "train_images_per_s");
    }
    json_decref(doc);
    sm_train_data_free(&d);
    free(c);
    return st;
}

sm_status sm_exp_dc_grid(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_config *cfg = ctx->cfg;
    int sizes[DC_MAX_LIST], passes[DC_MAX_LIST];
    const int ns = parse_ints(cfg->dc.sizes, sizes), np = parse_ints(cfg->dc.size_passes, passes);
    if (ns < 1)
        return sm_error_set(err, SM_EINVAL, "dc.sizes: '%s' is not a list of sizes", cfg->dc.sizes);
    for (int k = 0; k < ns; k++)
        if (sizes[k] < 1) return sm_error_set(err, SM_EINVAL, "dc.sizes: sizes must be >= 1");
    if (np != 1 && np != ns)
        return sm_error_set(err, SM_EINVAL,
                            "dc.size_passes: '%s' needs one value or one per size (%d)",
                            cfg->dc.size_passes, ns);
    char vbuf[SM_CONFIG_STR_MAX];
    const char *variants[8];
    int nv = 0;
    snprintf(vbuf, sizeof vbuf, "%s", cfg->dc.variants);
    for (char *tok = strtok(vbuf, ","); tok; tok = strtok(NULL, ",")) {
        if (!known_variant(tok))
            return sm_error_set(err, SM_EINVAL, "dc.variants: '%s' is not " DC_VARIANTS, tok);
        for (int v = 0; v < nv; v++)
            if (!strcmp(variants[v], tok))
                return sm_error_set(err, SM_EINVAL, "dc.variants: '%s' is listed twice", tok);
        if (nv == 8) return sm_error_set(err, SM_EINVAL, "dc.variants: too many");
        variants[nv++] = tok;
    }
    if (nv == 0) return sm_error_set(err, SM_EINVAL, "dc.variants: empty");
    const int seeds = cfg->table.seeds;
    if (seeds < 1) return sm_error_set(err, SM_EINVAL, "table.seeds: need at least 1 seed");
    sm_dataset *pool = NULL, *off = NULL;
    sm_status st = sm_dataset_load_named(cfg->data.dataset, cfg->data.dir, &pool, &off, err);
    json_t *cells = json_array(), *runs = json_array();
    const int total = nv * ns * seeds;
    int done = 0;
    for (int v = 0; v < nv && st == SM_OK; v++)
        for (int k = 0; k < ns && st == SM_OK; k++) {
            const int pk = np == 1 ? passes[0] : passes[k];
            const int pass_cell = sm_exp_dc_is_frozen(variants[v]) ? 0 : pk;
            double acc[64], sa = 0, sp = 0, sl = 0, sips = 0;
            json_t *accs = json_array();
            for (int s = 0; s < seeds && st == SM_OK; s++) {
                json_t *fin = NULL;
                double ips = NAN;
                const int64_t seed = cfg->run.seed + s;
                st = one_run(ctx, pool, off, variants[v], sizes[k], pk, seed, &fin, &ips, err);
                if (st != SM_OK) break;
                const double a = sm_json_get_number(fin, "test_acc_all"),
                             p = sm_json_get_number(fin, "test_acc_prop"),
                             l = sm_json_get_number(fin, "test_acc_lr");
                if (s < 64) acc[s] = a;
                sa += a;
                sp += p;
                sl += l;
                sips += ips;
                json_array_append_new(accs, sm_exp_real(a));
                json_array_append_new(
                    runs,
                    json_pack("{s:s, s:s, s:i, s:i, s:I, s:o, s:o, s:o, s:o, s:o}", "dataset",
                              cfg->data.dataset, "variant", variants[v], "n_exc", sizes[k],
                              "passes", pass_cell, "seed", (json_int_t)seed, "acc_all",
                              sm_exp_real(a), "acc_prop", sm_exp_real(p), "acc_lr", sm_exp_real(l),
                              "train_images_per_s", sm_exp_real(ips), "theta_mean",
                              sm_exp_real(sm_json_get_number(fin, "theta_mean"))));
                json_decref(fin);
                done++;
                if (sm_experiment_log(
                        ctx,
                        "[%d/%d] %s %s n_exc %d passes %d seed %lld: all %.4f prop %.4f lr %.4f",
                        done, total, cfg->data.dataset, variants[v], sizes[k], pass_cell,
                        (long long)seed, a, p, l))
                    st = sm_error_set(err, SM_ECANCELED, "experiment: stopped by the caller");
            }
            if (st != SM_OK) {
                json_decref(accs);
                break;
            }
            const double mean = sa / seeds;
            double ss = 0;
            for (int s = 0; s < seeds && s < 64; s++)
                ss += (acc[s] - mean) * (acc[s] - mean);
            const double sd = seeds > 1 ? sqrt(ss / (seeds - 1)) : 0.0;
            const int code_like =
                strcmp(variants[v], "code") == 0 || strcmp(variants[v], "code_clamp") == 0;
            json_array_append_new(
                cells,
                json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o}",
                          "dataset", cfg->data.dataset, "variant", variants[v], "n_exc", sizes[k],
                          "passes", pass_cell, "mean_accuracy_all", sm_exp_real(mean),
                          "mean_accuracy_prop", sm_exp_real(sp / seeds), "mean_accuracy_lr",
                          sm_exp_real(sl / seeds), "sd_accuracy", sm_exp_real(sd), "n_seeds", seeds,
                          "accuracies", accs, "paper_accuracy",
                          sm_exp_real(code_like ? paper_acc(cfg->data.dataset, sizes[k]) : NAN),
                          "bindsnet_reported",
                          sm_exp_real(strcmp(variants[v], "bindsnet") == 0
                                          ? bindsnet_acc(cfg->data.dataset, sizes[k])
                                          : NAN),
                          "mean_train_images_per_s", sm_exp_real(sips / seeds)));
        }
    sm_dataset_destroy(pool);
    sm_dataset_destroy(off);
    json_t *res = json_pack("{s:o, s:o, s:o}", "targets", sm_exp_dc_targets(cells), "cells", cells,
                            "runs", runs);
    if (st == SM_OK) st = write_csv(ctx, res, err);
    if (st == SM_OK)
        *results = res;
    else
        json_decref(res);
    return st;
}
