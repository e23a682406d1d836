/* Internal: the finished runs of an experiment kept on disk (`somnus experiment --runs DIR`),
 * so that a long experiment stopped part-way (a cut session, a killed job) resumes where it
 * stopped when the same command is run again with the same folder. Each run's results
 * document is stored as DIR/<config hash>.json with the hash, the somnus version and the
 * OpenBLAS core in use; a file is reused only when all three match (runs are deterministic:
 * the same config and version give the same document on the same BLAS kernels), so a folder
 * never mixes versions or kernels into one table. */
#ifndef SOMNUS_EXP_RUN_CACHE_H
#define SOMNUS_EXP_RUN_CACHE_H

#include <jansson.h>
#include <stddef.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/protocol/experiment.h"

/* The hash a run is kept under: sm_sweep_config_hash of `cfg` with the keys only the
 * experiments read (table.*, the dc-size and dc-sleep lists) set to their defaults, so
 * that a stopped grid is reused by a call that lists fewer or more cells or seeds. No
 * run reads those keys, so runs with equal hashes compute the same document. */
void sm_run_cache_config_hash(const sm_config *cfg, char hash[17]);

/* The results document kept in ctx->runs_dir for the run whose resolved config has hash
 * `hash` (sm_sweep_config_hash) as a new reference, or NULL when the experiment keeps no
 * runs, none is kept for this hash, or the kept one is of another somnus version or
 * OpenBLAS core, or unreadable (the run is then redone and the file replaced). */
json_t *sm_run_cache_get(const sm_experiment_ctx *ctx, const char *hash);

/* Keeps `doc` (the finished run whose config has hash `hash`) in ctx->runs_dir, written
 * atomically; nothing when the experiment keeps no runs. Errors name the file. */
sm_status sm_run_cache_put(const sm_experiment_ctx *ctx, const char *hash, json_t *doc,
                           sm_error *err);

#endif
