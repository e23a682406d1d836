/* The diagnostics' share of an SG-SNN training run (bench_plasticity.h). CPU time of this
 * process, so that other processes on the machine do not inflate either part. */
#include "bench_plasticity.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/core/rng.h"
#include "somnus/models/sgsnn.h"
#include "somnus/models/sgsnn_probe.h"
#include "somnus/protocol/train.h"

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

static int cmp_share(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One model's row: `reps` default runs with diag.iid = 1 at the default frequency, the
 * median share; NAN (and a printed reason) when the run cannot start. */
static double model_share(const char *label, const char *const *sets, int reps, int cpu,
                          json_t *out)
{
    sm_config cfg;
    sm_config_default(&cfg);
    for (int k = 0; sets[k]; k++)
        sm_config_set_assignment(&cfg, sets[k], "bench", NULL);
    sm_train_data d;
    sm_error err;
    if (sm_train_data_load(&cfg, &d, &err) != SM_OK) {
        printf("  %-34s skipped (%s)\n", label, err.msg);
        return NAN;
    }
    double v[9];
    int n = 0;
    json_t *doc = NULL;
    for (int r = 0; r < reps && r < 9; r++) {
        json_decref(doc);
        doc = NULL;
        if (sm_train_run(&cfg, &d, NULL, NULL, &doc, &err) != SM_OK) {
            printf("  %-34s failed (%s)\n", label, err.msg);
            break;
        }
        json_t *t = json_object_get(doc, "timing");
        const char *dk = cpu ? "diag_cpu_s" : "diag_s", *tk = cpu ? "train_cpu_s" : "train_s";
        v[n++] =
            json_number_value(json_object_get(t, dk)) / json_number_value(json_object_get(t, tk));
    }
    sm_train_data_free(&d);
    double share = NAN;
    if (n > 0) {
        qsort(v, (size_t)n, sizeof *v, cmp_share);
        share = v[n / 2];
        json_t *ev = json_object_get(doc, "evaluations");
        const char *key;
        json_t *col;
        int rows = 0, computed = 0;
        json_object_foreach(ev, key, col)
        {
            const size_t len = strlen(key);
            if (len > 6 && !strcmp(key + len - 6, "_srank")) {
                rows = (int)json_array_size(col);
                for (int k = 0; k < rows; k++)
                    computed += json_is_number(json_array_get(col, (size_t)k));
                break;
            }
        }
        printf("  %-34s %2d of %2d rows computed: %5.2f%% of training (%s, median of %d; target "
               "< 5%%)\n",
               label, computed, rows, 100 * share, cpu ? "CPU" : "wall", n);
        json_object_set_new(out, label,
                            json_pack("{s:f, s:i, s:i, s:i}", "share", share, "rows", rows,
                                      "computed_rows", computed, "repeats", n));
    }
    json_decref(doc);
    return share;
}

json_t *bench_diag_models(int quick)
{
    openblas_set_num_threads(1);
    printf("\ndiag.iid at the default frequency (diag.iid_every = 0), default runs, 1 thread:\n");
    json_t *out = json_object();
    const char *latents[] = {"train.model=theta", "theta.task=latents", "diag.iid=1",
                             "run.threads=1", NULL};
    const char *pathint[] = {"train.model=theta", "theta.task=pathint", "diag.iid=1",
                             "run.threads=1", NULL};
    const char *hopfield[] = {"train.model=hopfield", "diag.iid=1", "run.threads=1", NULL};
    const char *dc[] = {"train.model=dc", "data.dataset=mnist", "diag.iid=1", "run.threads=1",
                        NULL};
    model_share("theta task A (30 min)", latents, quick ? 1 : 7, 1, out);
    model_share("theta task B (30 min)", pathint, quick ? 1 : 3, 1, out);
    model_share("hopfield (N 400, T 12)", hopfield, quick ? 1 : 7, 1, out);
    if (!quick) model_share("dc (100 E, MNIST 6,000 images)", dc, 1, 0, out);
    return out;
}
