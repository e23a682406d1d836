/* Running a registered experiment: defaults, the document around its results, output
 * file names, progress lines (experiment.h). The table is in experiment_registry.c. */
#include "somnus/protocol/experiment.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "somnus/io/results.h"

static sm_status apply(const char *const *list, const char *origin, sm_config *cfg, sm_error *err)
{
    for (const char *const *a = list; a && *a; a++) {
        sm_status st = sm_config_set_assignment(cfg, *a, origin, err);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

sm_status sm_experiment_apply_defaults(const sm_experiment_def *def, int quick, sm_config *cfg,
                                       sm_error *err)
{
    char origin[160];
    snprintf(origin, sizeof origin, "experiment %s", def->name);
    sm_status st = apply(def->defaults, origin, cfg, err);
    snprintf(origin, sizeof origin, "experiment %s --quick", def->name);
    if (st == SM_OK && quick) st = apply(def->quick_defaults, origin, cfg, err);
    return st;
}

sm_status sm_experiment_run(const sm_experiment_def *def, const sm_experiment_ctx *ctx,
                            json_t **doc, sm_error *err)
{
    *doc = NULL;
    if (!def || !ctx || !ctx->cfg)
        return sm_error_set(err, SM_EINVAL, "experiment: no experiment or config given");
    sm_status st = sm_config_validate(ctx->cfg, err);
    if (st != SM_OK) return st;
    json_t *results = NULL;
    st = def->run(ctx, &results, err);
    if (st != SM_OK) {
        json_decref(results);
        return st;
    }
    *doc = json_pack("{s:s, s:s, s:I, s:b, s:o, s:o}", "experiment", def->name, "somnus_version",
                     sm_version(), "seed", (json_int_t)ctx->cfg->run.seed, "quick", ctx->quick != 0,
                     "config", sm_config_to_json(ctx->cfg), "results", results);
    if (!*doc) return sm_error_set(err, SM_ENOMEM, "experiment %s: out of memory", def->name);
    return SM_OK;
}

int sm_experiment_file(const sm_experiment_ctx *ctx, const char *name, char *buf, size_t size)
{
    if (!ctx->out_dir) return 0;
    const int n = snprintf(buf, size, "%s/%s-%s", ctx->out_dir,
                           ctx->out_stem ? ctx->out_stem : "experiment", name);
    return n > 0 && (size_t)n < size;
}

int sm_experiment_log(const sm_experiment_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->log) return 0;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return ctx->log(ctx->log_ctx, line);
}
