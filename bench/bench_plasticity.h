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

#endif
