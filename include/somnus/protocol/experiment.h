/* somnus: registered experiments (`somnus experiment NAME`).
 *
 * An experiment is a paper's headline figure or table in one call: it takes the resolved
 * configuration (the experiment's own defaults, then the user's --config file, --set
 * overrides and --seed), runs what it needs (train runs, sweeps, its model's own loop)
 * and returns its "results" object. sm_experiment_run wraps that into the document
 *   {"experiment": NAME, "somnus_version": ..., "config": {...}, "results": {...}}
 * and the experiment writes its CSV tables and PNG figures beside the JSON file through
 * sm_experiment_file(). Every experiment has a reduced version (`quick`: fewer images,
 * seeds or steps, the same code path) that finishes in under a minute on two cores.
 *
 * Adding an experiment: one .c file in src/protocol/experiments/ defining its
 * sm_experiment_def, and one row in the table of src/protocol/experiment_registry.c
 * (docs/architecture.md walks through it).
 */
#ifndef SOMNUS_EXPERIMENT_H
#define SOMNUS_EXPERIMENT_H

#include <jansson.h>
#include <stddef.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A line of progress for a terminal or a log ("cell 3/30: mnist sleep 0.2 seed 1: 0.93").
 * Return nonzero to stop the experiment (it then fails with SM_ECANCELED). */
typedef int (*sm_experiment_log_fn)(void *ctx, const char *line);

/* What an experiment run sees besides its config. Stable fields (the struct is public
 * so that an embedding program can call an experiment's run function directly). */
typedef struct sm_experiment_ctx {
    const sm_config *cfg;     /* resolved config; run.seed is the seed */
    int quick;                /* nonzero: the reduced version */
    int jobs;                 /* parallel runs an experiment may start (0 = all cores) */
    const char *out_dir;      /* folder for CSV/PNG files; NULL = write none */
    const char *out_stem;     /* file-name stem: tables are <out_dir>/<stem>-<name> */
    sm_experiment_log_fn log; /* may be NULL */
    void *log_ctx;
    /* Folder keeping each finished run's document (<config hash>.json), so that the same
     * call resumes a stopped experiment; NULL = none. Experiments built on the grid runner,
     * plasticity-* and dc-size / dc-fashion use it. */
    const char *runs_dir;
} sm_experiment_ctx;

/* One row of the experiment table. */
typedef struct sm_experiment_def {
    const char *name;        /* as typed after `somnus experiment` */
    const char *description; /* one line for `somnus experiment --list` */
    /* "group.name=value" assignments applied to the defaults before the user's config,
     * NULL-terminated (the experiment's paper config); NULL for none. */
    const char *const *defaults;
    /* Assignments applied after `defaults` for the reduced version (--quick); NULL for
     * none. */
    const char *const *quick_defaults;
    /* Runs the experiment; on success *results is a new JSON object. Files go through
     * sm_experiment_file(). Errors name what failed. */
    sm_status (*run)(const sm_experiment_ctx *ctx, json_t **results, sm_error *err);
} sm_experiment_def;

/* Number of registered experiments. */
size_t sm_experiment_count(void);

/* Registered experiment i (0 <= i < sm_experiment_count(), in --list order); NULL past
 * the end. */
const sm_experiment_def *sm_experiment_at(size_t i);

/* The experiment called `name`, or NULL (err set, listing the names) if none is. */
const sm_experiment_def *sm_experiment_find(const char *name, sm_error *err);

/* Applies def->defaults, then with quick != 0 def->quick_defaults, to *cfg (call on a
 * default config, before the user's file and --set, so that the user has the last
 * word). */
sm_status sm_experiment_apply_defaults(const sm_experiment_def *def, int quick, sm_config *cfg,
                                       sm_error *err);

/* Runs `def` with ctx (ctx->cfg is validated first) and returns the whole document
 * {"experiment", "somnus_version", "config", "results"} in *doc (caller json_decref's). */
sm_status sm_experiment_run(const sm_experiment_def *def, const sm_experiment_ctx *ctx,
                            json_t **doc, sm_error *err);

/* The path of an output file `name` ("cells.csv") of this run, <out_dir>/<stem>-<name>,
 * into buf. Returns 0 if the run writes no files (out_dir NULL) or the path does not fit. */
int sm_experiment_file(const sm_experiment_ctx *ctx, const char *name, char *buf, size_t size);

/* Sends a formatted progress line to ctx->log; returns nonzero if the caller asked to
 * stop. */
int sm_experiment_log(const sm_experiment_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
