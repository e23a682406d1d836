/* Finished runs of an experiment kept on disk, keyed by config hash, somnus version and
 * OpenBLAS core (run_cache.h). */
#include "protocol/experiments/run_cache.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"

void sm_run_cache_config_hash(const sm_config *cfg, char hash[17])
{
    sm_config *k = malloc(sizeof *k), *def = malloc(sizeof *def);
    if (!k || !def) { /* out of memory: the plain hash (a cache miss at worst) */
        free(k);
        free(def);
        sm_sweep_config_hash(cfg, hash);
        return;
    }
    *k = *cfg;
    sm_config_default(def);
    k->table = def->table;
    memcpy(k->dc.sizes, def->dc.sizes, sizeof k->dc.sizes);
    memcpy(k->dc.size_passes, def->dc.size_passes, sizeof k->dc.size_passes);
    memcpy(k->dc.variants, def->dc.variants, sizeof k->dc.variants);
    memcpy(k->dc.sleep_settings, def->dc.sleep_settings, sizeof k->dc.sleep_settings);
    memcpy(k->dc.sleep_rates, def->dc.sleep_rates, sizeof k->dc.sleep_rates);
    memcpy(k->dc.sleep_norms, def->dc.sleep_norms, sizeof k->dc.sleep_norms);
    sm_sweep_config_hash(k, hash);
    free(k);
    free(def);
}

/* The OpenBLAS kernel set in use: BLAS-based results differ between them in their last
 * digits (docs/architecture.md), so a run kept under another one is not reused. */
static const char *blas_core(void)
{
    const char *c = openblas_get_corename();
    return c ? c : "";
}

/* DIR/<hash>.json; 0 if the path does not fit. */
static int cache_path(const sm_experiment_ctx *ctx, const char *hash, char *path, size_t n)
{
    const int k = snprintf(path, n, "%s/%s.json", ctx->runs_dir, hash);
    return k > 0 && (size_t)k < n;
}

json_t *sm_run_cache_get(const sm_experiment_ctx *ctx, const char *hash)
{
    char path[4200];
    if (!ctx->runs_dir || !cache_path(ctx, hash, path, sizeof path)) return NULL;
    json_t *kept = json_load_file(path, 0, NULL);
    if (!kept) return NULL;
    const char *h = json_string_value(json_object_get(kept, "config_hash"));
    const char *v = json_string_value(json_object_get(kept, "somnus_version"));
    const char *b = json_string_value(json_object_get(kept, "blas_core"));
    json_t *doc = json_object_get(kept, "document");
    json_t *out = NULL;
    if (h && v && b && !strcmp(h, hash) && !strcmp(v, sm_version()) && !strcmp(b, blas_core()) &&
        json_is_object(doc) && json_object_get(doc, "final"))
        out = json_incref(doc);
    json_decref(kept);
    return out;
}

sm_status sm_run_cache_put(const sm_experiment_ctx *ctx, const char *hash, json_t *doc,
                           sm_error *err)
{
    char path[4200];
    if (!ctx->runs_dir) return SM_OK;
    if (!cache_path(ctx, hash, path, sizeof path))
        return sm_error_set(err, SM_EINVAL, "--runs %s: path too long", ctx->runs_dir);
    json_t *kept = json_pack("{s:s, s:s, s:s, s:O}", "config_hash", hash, "somnus_version",
                             sm_version(), "blas_core", blas_core(), "document", doc);
    if (!kept) return sm_error_set(err, SM_ENOMEM, "out of memory keeping a run");
    const sm_status st = sm_json_write(path, kept, err);
    json_decref(kept);
    return st;
}
