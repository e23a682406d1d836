/* Internal: what the hopfield-* experiments share: many seeds of sm_hf_run side by side,
 * the per-round JSON columns (mean and sd over seeds), rounds.csv, the .npy exports and
 * the standard figures (spec federated-hopfield.md section 9). */
#ifndef SOMNUS_HOPFIELD_COMMON_H
#define SOMNUS_HOPFIELD_COMMON_H

#include <jansson.h>

#include "somnus/models/hopfield_run.h"
#include "somnus/protocol/experiment.h"

/* Runs cfg's federation for seeds run.seed .. run.seed + S - 1 (S = hopfield.seeds) on
 * ctx->jobs threads; res (S entries, caller frees each with sm_hf_result_destroy) in seed
 * order. `tag` prefixes the progress lines. */
sm_status hf_run_seeds(const sm_experiment_ctx *ctx, const sm_config *cfg, const char *tag,
                       sm_hf_result **res, sm_error *err);

/* The per-round summary of S runs: round, Kh (mean, median), retrieval (+ sd), m (T x K),
 * fro, gap, w / w_raw / p / H (T x L, mean over seeds), top eigenvalues of J_s and J_KS,
 * mp_edge, bytes_up, bytes_down, final_retrieval (+ sd), recall statistics, seeds and
 * timings. */
json_t *hf_summary(sm_hf_result *const *res, int S);

/* Writes <stem>-<prefix>rounds.csv, the .npy exports (xi_true, xi_hat as int8, J_server,
 * eigs of the first seed; w (S x L x T), mag (S x K x T)) and the figures overlap.png,
 * w.png, kh.png (each name prefixed by `prefix`, "" for none). Nothing without out_dir. */
sm_status hf_write_outputs(const sm_experiment_ctx *ctx, sm_hf_result *const *res, int S,
                           const char *prefix, sm_error *err);

/* Mean and sample sd of x[0..n) (sd 0 when n < 2). */
void hf_mean_sd(const double *x, int n, double *mean, double *sd);

#endif
