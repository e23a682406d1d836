/* The diagnostics' share of an SG-SNN training run (bench_plasticity.h). CPU time of this
 * process, so that other processes on the machine do not inflate either part. */
#include "bench_plasticity.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sgsnn_probe.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Images with MNIST's mean ink (19% of the pixels at 0.7), labels i mod 10. */
static float *images(int n, int d, int *y)
{
    float *x = malloc((size_t)n * d * sizeof *x);
    if (!x) exit(1);
    sm_rng r;
    sm_rng_init(&r, 1, SM_STREAM_USER, 91);
    for (size_t i = 0; i < (size_t)n * d; i++)
        x[i] = sm_rng_uniform(&r) < 0.19 ? 0.7f : 0.0f;
    for (int i = 0; y && i < n; i++)
        y[i] = i % 10;
    return x;
}

json_t *bench_plasticity_diag(int quick)
{
    const int iters = quick ? 3 : 20, chunk_iters = 200, n_probe = quick ? 200 : 1000;
    sm_sgsnn_params p;
    sm_sgsnn_params_default(&p);
    p.threads = 1;
    openblas_set_num_threads(1);
    sm_sgsnn *net = sm_sgsnn_create(&p, NULL);
    if (!net) exit(1);
    int *y = malloc((size_t)p.batch_size * sizeof *y);
    float *xb = images(p.batch_size, p.n_in, y), *xp = images(n_probe, p.n_in, NULL);
    float *ch = malloc((size_t)n_probe * p.n_hidden * sizeof *ch);
    float *co = malloc((size_t)n_probe * p.n_out * sizeof *co);
    if (!y || !ch || !co) exit(1);
    sm_sgsnn_backprop(net, xb, y, p.batch_size, NULL, NULL, NULL); /* warm-up */
    double c0 = cpu_s();
    for (int it = 0; it < iters; it++) {
        sm_sgsnn_backprop(net, xb, y, p.batch_size, NULL, NULL, NULL);
        sm_sgsnn_adam_step(net);
    }
    const double mb = (cpu_s() - c0) / iters;
    c0 = cpu_s();
    sm_sgsnn_probe_counts(net, xp, n_probe, ch, co, NULL);
    const double probe = cpu_s() - c0;
    sm_diag_layer dh, dout;
    c0 = cpu_s();
    sm_diag_layer_compute(ch, n_probe, p.n_hidden, p.steps, 0.95, 0.01, &dh, NULL, NULL);
    sm_diag_layer_compute(co, n_probe, p.n_out, p.steps, 0.95, 0.01, &dout, NULL, NULL);
    const double rank = cpu_s() - c0;
    /* with quick, scale the probe to 1,000 images (the rank part is not linear: as is) */
    const double diag = probe * 1000.0 / n_probe + rank, chunk = mb * chunk_iters;
    const double share = diag / (chunk + diag);
    printf("\nplasticity diagnostics (SG-SNN 225-1000-10, T 100, 1 thread, CPU s): minibatch "
           "%.4f, chunk of %d %.2f; probe forward %.3f + rank %.3f = %.3f per pass: %.1f%% of a "
           "chunk with diag.every = 1 (target < 5%%)%s; hidden srank %.0f\n",
           mb, chunk_iters, chunk, probe * 1000.0 / n_probe, rank, diag, 100 * share,
           quick ? " [quick: extrapolated]" : "", dh.srank);
    free(y);
    free(xb);
    free(xp);
    free(ch);
    free(co);
    sm_sgsnn_destroy(net);
    return json_pack("{s:f, s:i, s:f, s:f, s:f, s:f, s:f, s:i}", "minibatch_cpu_s", mb,
                     "chunk_minibatches", chunk_iters, "chunk_train_cpu_s", chunk, "probe_cpu_s",
                     probe * 1000.0 / n_probe, "rank_cpu_s", rank, "diag_cpu_s", diag, "share",
                     share, "n_probe", n_probe);
}
