/* Experiment disinh-teacher: Figure 4 of Rossbroich & Zenke (2023), spec
 * disinhibition.md section 5b. A 30-20-2 E-I student learns an untrained teacher online
 * through its local rule while a PI controller reaches it only through the
 * interneurons. Rules: exact inverse and linear threshold (section 3, the default), and
 * the notebook's as-published variants. teacher.seeds seeds from run.seed; per epoch the
 * open-loop and closed-loop MSE and the least-control loss, each seed and the median.
 * Outputs: teacher.csv (epoch, rule, seed, ol_mse, cl_mse, lcl; median rows have no
 * seed), teacher-mse.png (log10 median OL and CL MSE), teacher-lcl.png. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/models/disinh_teacher.h"

/* Figure 4's settings (the notebook's): phi_E (5, 1, 3), phi_I (1, 1, 3), PI gains. */
static const char *const DEFAULTS[] = {
    "ctrl.k_p=30",          "ctrl.k_i=15",          "ctrl.leak=0.5",
    "ctrl.tau=0.1",         "disinh.act_e.scale=5", "disinh.act_e.shift=3",
    "disinh.act_i.scale=1", "disinh.act_i.shift=3", NULL};

#define N_RULES 4
static const char *const RULE_NAMES[N_RULES] = {"exact", "lin_thresh", "as_published_exact",
                                                "as_published_lin"};

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n, int stride)
{
    double tmp[1000] = {0};
    if (n < 1) return NAN;
    for (int i = 0; i < n; i++)
        tmp[i] = v[(size_t)i * stride];
    qsort(tmp, (size_t)n, sizeof tmp[0], cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static json_t *row(int epoch, const char *rule, json_t *seed, double ol, double cl, double lc)
{
    return json_pack("{s:i, s:s, s:o, s:f, s:f, s:f}", "epoch", epoch, "rule", rule, "seed", seed,
                     "ol_mse", ol, "cl_mse", cl, "lcl", lc);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    const int ns = cfg->teacher.seeds, ne = cfg->teacher.epochs;
    const size_t per = (size_t)ne;
    if (cfg->teacher.draw[0] && ns != 1)
        return sm_error_set(err, SM_EINVAL,
                            "disinh-teacher: teacher.draw fixes the inputs and both networks, so "
                            "more seeds would repeat one run: set teacher.seeds=1");
    const int n_runs = ns * N_RULES;
    double *ol = calloc((size_t)n_runs * per, sizeof *ol);
    double *cl = calloc((size_t)n_runs * per, sizeof *cl);
    double *lc = calloc((size_t)n_runs * per, sizeof *lc);
    sm_status *sts = calloc((size_t)n_runs, sizeof *sts);
    sm_error *errs = calloc((size_t)n_runs, sizeof *errs);
    if (!ol || !cl || !lc || !sts || !errs) {
        free(ol);
        free(cl);
        free(lc);
        free(sts);
        free(errs);
        return sm_error_set(err, SM_ENOMEM, "disinh-teacher: out of memory");
    }
#pragma omp parallel for schedule(dynamic)                                                         \
    num_threads(ctx->jobs > 0 ? ctx->jobs : omp_get_num_procs())
    for (int r = 0; r < n_runs; r++) {
        const int seed_i = r / N_RULES, rule = r % N_RULES;
        sm_disinh_teacher_params p;
        sm_disinh_teacher_params_from_config(cfg, (uint64_t)cfg->run.seed + (uint64_t)seed_i, &p);
        sts[r] = sm_disinh_teacher_run(&p, (sm_disinh_teacher_rule)rule, ol + r * per, cl + r * per,
                                       lc + r * per, &errs[r]);
    }
    sm_status st = SM_OK;
    for (int r = 0; r < n_runs && st == SM_OK; r++)
        if (sts[r] != SM_OK)
            st = sm_error_set(err, sts[r], "disinh-teacher: seed %lld, rule %s: %s",
                              (long long)cfg->run.seed + r / N_RULES, RULE_NAMES[r % N_RULES],
                              errs[r].msg);
    /* medians over seeds, per rule and epoch */
    double *med = calloc((size_t)(size_t)N_RULES * per * 3, sizeof *med);
    if (!med && st == SM_OK) st = sm_error_set(err, SM_ENOMEM, "disinh-teacher: out of memory");
    json_t *epochs = json_array(), *summary = json_object();
    for (int rule = 0; rule < N_RULES && st == SM_OK; rule++) {
        for (int e = 0; e < ne; e++) {
            const size_t off = (size_t)rule * per + (size_t)e;
            med[off] = median(ol + rule * per + e, ns, N_RULES * ne);
            med[(size_t)N_RULES * per + off] = median(cl + rule * per + e, ns, N_RULES * ne);
            med[(size_t)2 * N_RULES * per + off] = median(lc + rule * per + e, ns, N_RULES * ne);
            for (int s = 0; s < ns; s++) {
                const size_t k = (size_t)(s * N_RULES + rule) * per + (size_t)e;
                json_array_append_new(
                    epochs,
                    row(e, RULE_NAMES[rule], json_integer(cfg->run.seed + s), ol[k], cl[k], lc[k]));
            }
            json_array_append_new(epochs, row(e, RULE_NAMES[rule], json_null(), med[off],
                                              med[(size_t)N_RULES * per + off],
                                              med[(size_t)2 * N_RULES * per + off]));
        }
        /* A3: median OL MSE >= 3 at epoch 0 and <= 0.01 by the last epoch; median CL MSE
         * <= 1e-3 at every epoch after the first */
        double cl_max = 0;
        for (int e = 1; e < ne; e++)
            if (med[(size_t)N_RULES * per + (size_t)rule * per + e] > cl_max)
                cl_max = med[(size_t)N_RULES * per + (size_t)rule * per + e];
        const double first = med[(size_t)rule * per], last = med[(size_t)rule * per + ne - 1];
        json_object_set_new(summary, RULE_NAMES[rule],
                            json_pack("{s:f, s:f, s:f, s:b}", "ol_mse_first", first, "ol_mse_last",
                                      last, "cl_mse_max_after_first", cl_max, "a3_met",
                                      first >= 3 && last <= 0.01 && cl_max <= 1e-3));
    }
    char path[4096];
    if (st == SM_OK && sm_experiment_file(ctx, "teacher.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "epoch,rule,seed,ol_mse,cl_mse,lcl\n");
            for (int rule = 0; rule < N_RULES; rule++)
                for (int e = 0; e < ne; e++) {
                    for (int s = 0; s < ns; s++) {
                        const size_t k = (size_t)(s * N_RULES + rule) * per + (size_t)e;
                        fprintf(f.fp, "%d,%s,%lld,%.10g,%.10g,%.10g\n", e, RULE_NAMES[rule],
                                (long long)cfg->run.seed + s, ol[k], cl[k], lc[k]);
                    }
                    const size_t off = (size_t)rule * per + (size_t)e;
                    fprintf(f.fp, "%d,%s,,%.10g,%.10g,%.10g\n", e, RULE_NAMES[rule], med[off],
                            med[(size_t)N_RULES * per + off], med[(size_t)2 * N_RULES * per + off]);
                }
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK && sm_experiment_file(ctx, "teacher-mse.png", path, sizeof path)) {
        double *lg = malloc((size_t)(size_t)N_RULES * per * 2 * sizeof *lg);
        double *ex = malloc(per * sizeof *ex);
        if (!lg || !ex) {
            st = sm_error_set(err, SM_ENOMEM, "disinh-teacher: out of memory");
        } else {
            for (size_t j = 0; j < (size_t)(size_t)N_RULES * per * 2; j++)
                lg[j] = log10(med[j] > 1e-12 ? med[j] : 1e-12);
            for (int e = 0; e < ne; e++)
                ex[e] = e;
            sm_plot_series s[2 * N_RULES];
            char labels[2 * N_RULES][64];
            for (int rule = 0; rule < N_RULES; rule++)
                for (int k = 0; k < 2; k++) {
                    const int i = 2 * rule + k;
                    snprintf(labels[i], sizeof labels[i], "%s %s", RULE_NAMES[rule],
                             k ? "CL" : "OL");
                    s[i] = (sm_plot_series){labels[i],
                                            ex,
                                            lg + (size_t)k * (size_t)N_RULES * per +
                                                (size_t)rule * per,
                                            NULL,
                                            NULL,
                                            ne,
                                            SM_PLOT_LINE,
                                            rule + 1,
                                            0,
                                            k};
                }
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            spec.title = "student-teacher: median MSE over seeds (dashed: closed loop)";
            spec.xlabel = "training epoch (5 s)";
            spec.ylabel = "log10 MSE";
            spec.legend = SM_PLOT_LEGEND_OUTSIDE;
            spec.width = 1000;
            st = sm_plot_lines(path, &spec, s, 2 * N_RULES, err);
        }
        free(ex);
        free(lg);
    }
    if (st == SM_OK && sm_experiment_file(ctx, "teacher-lcl.png", path, sizeof path)) {
        double *ex = malloc(per * sizeof *ex),
               *lg = malloc((size_t)(size_t)N_RULES * per * sizeof *lg);
        if (!ex || !lg) {
            st = sm_error_set(err, SM_ENOMEM, "disinh-teacher: out of memory");
        } else {
            for (int e = 0; e < ne; e++)
                ex[e] = e;
            for (size_t j = 0; j < (size_t)(size_t)N_RULES * per; j++) {
                const double v = med[(size_t)2 * N_RULES * per + j];
                lg[j] = log10(v > 1e-12 ? v : 1e-12);
            }
            sm_plot_series s[N_RULES];
            for (int rule = 0; rule < N_RULES; rule++)
                s[rule] = (sm_plot_series){RULE_NAMES[rule],
                                           ex,
                                           lg + (size_t)rule * per,
                                           NULL,
                                           NULL,
                                           ne,
                                           SM_PLOT_LINE,
                                           rule + 1,
                                           0,
                                           0};
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            spec.title = "least-control loss (median over seeds)";
            spec.xlabel = "training epoch (5 s)";
            spec.ylabel = "log10 sum_l ||Q_l^T c||^2";
            spec.legend = SM_PLOT_LEGEND_OUTSIDE;
            st = sm_plot_lines(path, &spec, s, N_RULES, err);
        }
        free(ex);
        free(lg);
    }
    free(ol);
    free(cl);
    free(lc);
    free(sts);
    free(errs);
    free(med);
    if (st != SM_OK) {
        json_decref(epochs);
        json_decref(summary);
        return st;
    }
    *results = json_pack("{s:o, s:o, s:{s:i, s:i, s:i, s:f, s:f}}", "epochs", epochs, "summary",
                         summary, "protocol", "seeds", ns, "burn_in", cfg->teacher.burn_in,
                         "epochs", ne, "epoch_s", cfg->teacher.epoch_s, "dt", cfg->teacher.dt);
    return *results ? SM_OK : sm_error_set(err, SM_ENOMEM, "disinh-teacher: results");
}

const sm_experiment_def sm_exp_disinh_teacher = {
    .name = "disinh-teacher",
    .description = "Rossbroich & Zenke 2023 Fig. 4: 30-20-2 E-I student learns a teacher online "
                   "through its local rule (OL/CL MSE per epoch, median of teacher.seeds)",
    .defaults = DEFAULTS,
    .quick_defaults = (const char *const[]){"teacher.seeds=1", "teacher.epochs=12", NULL},
    .run = run,
};
