/* somnus benchmark: the loss-of-plasticity diagnostics' share of an SG-SNN training run
 * (spec plasticity-loss.md section 1 "Cost", target P1: < 5% at diag.every = 1). */
#ifndef SOMNUS_BENCH_PLASTICITY_H
#define SOMNUS_BENCH_PLASTICITY_H

#include <jansson.h>

/* Times, on one thread and in CPU seconds, a default SG-SNN minibatch (225 -> 1000 -> 10,
 * T = 100, batch 128, BPTT + Adam) and one diagnostics pass (probe forward of n_probe
 * images + dormant/saturated/srank/erank of the hidden and output layers), prints the
 * row and returns {minibatch_cpu_s, chunk_train_cpu_s, diag_cpu_s, share, ...}. A chunk
 * is protocol.iters_per_chunk = 200 minibatches; share = diag / (chunk + diag). quick:
 * fewer minibatches and probe images (the share is then extrapolated, not measured). */
json_t *bench_plasticity_diag(int quick);

/* diag.iid's share of default train runs of the models whose rows are not evaluations
 * (theta's two tasks, hopfield, dc on MNIST; docs/plasticity.md "Cost per model") at the
 * default frequency diag.iid_every = 0: timing.diag_cpu_s / train_cpu_s for theta and
 * hopfield, diag_s / train_s for dc, the median of a few runs; prints a row per model and returns
 * {label: {share, rows, computed_rows, repeats}}. dc needs data/mnist (skipped without it,
 * and with quick); quick: one run each. */
json_t *bench_diag_models(int quick);

#endif
