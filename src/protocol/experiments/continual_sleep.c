/* Experiment continual-sleep (spec continual.md sections 3 and 7, target C4 and hypothesis
 * H1): the STDP network on split MNIST, class-incremental, `stats` readout, under seven
 * conditions (sleep.rate 0, 0.1, 0.2 with the textbook and the published STDP sign, and the
 * fixed random network: plasticity and sleep off) at two budgets (400 images per task and
 * all of them), run.seed .. run.seed + cl.seeds - 1, each condition paired by seed.
 * Outputs: conditions.csv (means +- sd), runs.csv (one row per run), R-<condition>.png (the
 * mean R as a heat map), sequence-<condition>.png (the accuracy on each task along the
 * sequence), acc_bwt.png (ACC and BWT per condition, mean +- sd). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/continual_plots.h"
#include "protocol/continual_stream.h"
#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "protocol/experiments/name_list.h"
#include "protocol/experiments/paired_stats.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/sweep_runner.h"

static const char *const DEFAULTS[] = {"protocol.kind=continual",
                                       "train.model=stdp",
                                       "data.dataset=mnist",
                                       "cl.stream=split-mnist",
                                       "cl.readout=both",
                                       "stdp.sign=as_published",
                                       "readout.features=exc",
                                       "input.steps_per_image=100",
                                       "ip.rule=none",
                                       NULL};

/* spec 7: 1 seed, 200 STDP images per task; fewer validation/test images so that the 7
 * conditions finish in well under a minute */
static const char *const QUICK[] = {"cl.seeds=1",          "cl.images_per_task=200",
                                    "cl.per_class_val=20", "cl.per_class_test=40",
                                    "cl.drift_images=100", NULL};

typedef struct condition {
    const char *name;
    const char *sets[3]; /* grid axes with one value each */
} condition;

static const condition CONDITIONS[] = {
    {"random", {"stdp.rule=none", "sleep.rate=0", NULL}},
    {"published-sleep0", {"stdp.sign=as_published", "sleep.rate=0", NULL}},
    {"published-sleep0.1", {"stdp.sign=as_published", "sleep.rate=0.1", NULL}},
    {"published-sleep0.2", {"stdp.sign=as_published", "sleep.rate=0.2", NULL}},
    {"textbook-sleep0", {"stdp.sign=textbook", "sleep.rate=0", NULL}},
    {"textbook-sleep0.1", {"stdp.sign=textbook", "sleep.rate=0.1", NULL}},
    {"textbook-sleep0.2", {"stdp.sign=textbook", "sleep.rate=0.2", NULL}},
};
#define N_COND (int)(sizeof CONDITIONS / sizeof CONDITIONS[0])

/* Is condition k selected by cl.conditions ("all" or a comma list of names)? */
static int selected(const sm_config *cfg, int k)
{
    return sm_exp_list_has(cfg->cl.conditions, CONDITIONS[k].name);
}

/* cl.conditions names only known conditions. */
static sm_status check_conditions(const sm_config *cfg, sm_error *err)
{
    const char *names[N_COND];
    for (int k = 0; k < N_COND; k++)
        names[k] = CONDITIONS[k].name;
    return sm_exp_list_check("cl.conditions", cfg->cl.conditions, names, N_COND, err);
}

/* One run's numbers. */
typedef struct run_out {
    double acc, bwt, forgetting, aia, plasticity, task_acc, task_bwt, probe_acc, probe_bwt, drift1;
    double *R; /* (T+1) x T */
} run_out;

/* The q-th scalar of a run in declaration order (0 acc ... 9 drift1). */
static double run_field(const run_out *o, int q)
{
    const double f[10] = {o->acc,      o->bwt,      o->forgetting, o->aia,       o->plasticity,
                          o->task_acc, o->task_bwt, o->probe_acc,  o->probe_bwt, o->drift1};
    return f[q];
}

static void read_run(json_t *doc, int T, run_out *o)
{
    json_t *c = json_object_get(doc, "continual");
    o->acc = sm_json_number(json_object_get(c, "acc"));
    o->bwt = sm_json_number(json_object_get(c, "bwt"));
    o->forgetting = sm_json_number(json_object_get(c, "forgetting"));
    o->aia = sm_json_number(json_object_get(c, "aia"));
    o->plasticity = sm_json_number(json_object_get(c, "plasticity"));
    json_t *t = json_object_get(c, "task"), *p = json_object_get(c, "probe");
    o->task_acc = sm_json_number(json_object_get(t, "acc"));
    o->task_bwt = sm_json_number(json_object_get(t, "bwt"));
    o->probe_acc = sm_json_number(json_object_get(p, "acc"));
    o->probe_bwt = sm_json_number(json_object_get(p, "bwt"));
    o->drift1 = sm_json_number(json_array_get(json_array_get(json_object_get(c, "drift"), 0), 0));
    json_t *R = json_object_get(c, "R");
    for (int i = 0; i <= T; i++)
        for (int j = 0; j < T; j++)
            o->R[i * T + j] =
                sm_json_number(json_array_get(json_array_get(R, (size_t)i), (size_t)j));
}

/* Runs condition k at budget `images` for `seeds` seeds into out[0..seeds). */
static sm_status run_condition(const sm_experiment_ctx *ctx, int k, int images, int seeds, int T,
                               run_out *out, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_config *cfg = ctx->cfg;
    sm_grid g;
    sm_grid_init(&g);
    char spec[128];
    sm_status st = SM_OK;
    for (int a = 0; a < 3 && CONDITIONS[k].sets[a] && st == SM_OK; a++)
        st = sm_grid_add(&g, CONDITIONS[k].sets[a], err);
    snprintf(spec, sizeof spec, "cl.images_per_task=%d", images);
    if (st == SM_OK) st = sm_grid_add(&g, spec, err);
    snprintf(spec, sizeof spec, "run.seed=%lld:%lld", (long long)cfg->run.seed,
             (long long)cfg->run.seed + seeds - 1);
    if (st == SM_OK) st = sm_grid_add(&g, spec, err);
    sm_sweep_runner *r = st == SM_OK ? sm_sweep_runner_create(&g, cfg, err) : NULL;
    if (st == SM_OK && !r) st = err->code ? err->code : SM_EINVAL;
    const int64_t n = r ? sm_sweep_runner_n_cells(r) : 0;
    int64_t cells[1024];
    volatile sig_atomic_t stop = 0;
    for (int64_t c = 0; c < n && c < 1024; c++)
        cells[c] = c;
    if (st == SM_OK) st = sm_sweep_runner_start(r, cells, n, ctx->jobs, &stop, err);
    for (int all_done = 0; st == SM_OK && !all_done;) {
        sm_sweep_cell *c = sm_sweep_runner_next(r, 0.2, &all_done);
        if (!c) continue;
        if (c->error)
            st = sm_error_set(err, strcmp(c->error, "interrupted") ? SM_EINVAL : SM_ECANCELED,
                              "continual-sleep: %s", c->error);
        else {
            json_t *doc = json_loadb(c->json, c->json_len, 0, NULL);
            read_run(doc, T, &out[c->cell]);
            json_decref(doc);
            if (sm_experiment_log(ctx, "%s, %d images/task, seed %lld: ACC %.3f BWT %.3f",
                                  CONDITIONS[k].name, images, (long long)cfg->run.seed + c->cell,
                                  out[c->cell].acc, out[c->cell].bwt))
                stop = 1;
        }
        sm_sweep_cell_free(c);
    }
    if (st == SM_OK && stop) st = sm_error_set(err, SM_ECANCELED, "continual-sleep: stopped");
    sm_sweep_runner_destroy(r);
    sm_grid_free(&g);
    return st;
}

/* The mean R of a condition as a heat map and as accuracy along the sequence. */
static sm_status plot_R(const sm_experiment_ctx *ctx, const char *name, const double *R, int T,
                        sm_error *err)
{
    char file[160], path[4096], title[200];
    snprintf(file, sizeof file, "R-%s.png", name);
    if (!sm_experiment_file(ctx, file, path, sizeof path)) return SM_OK;
    snprintf(title, sizeof title, "R, %s (row i: after task i; column j: task j)", name);
    sm_status st = sm_plot_matrix(path, title, "task j", "after task i", R, T + 1, T, 0, 1, err);
    snprintf(file, sizeof file, "sequence-%s.png", name);
    snprintf(title, sizeof title, "accuracy on each task along the sequence, %s", name);
    if (st == SM_OK && sm_experiment_file(ctx, file, path, sizeof path))
        st = sm_cl_plot_sequence(path, title, R, T, err);
    return st;
}

/* ACC and BWT per condition (mean +- sd over seeds). */
static sm_status plot_acc_bwt(const sm_experiment_ctx *ctx, const char *const *names,
                              const double (*m)[4], int n, sm_error *err)
{
    char path[4096];
    if (n < 1 || !sm_experiment_file(ctx, "acc_bwt.png", path, sizeof path)) return SM_OK;
    double acc[64], acc_sd[64], bwt[64], bwt_sd[64];
    for (int k = 0; k < n && k < 64; k++) {
        acc[k] = m[k][0];
        acc_sd[k] = m[k][1];
        bwt[k] = m[k][2];
        bwt_sd[k] = m[k][3];
    }
    return sm_cl_plot_acc_bwt(path, "continual-sleep: ACC and BWT per condition", names, acc,
                              acc_sd, bwt, bwt_sd, n < 64 ? n : 64, err);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_config *cfg = ctx->cfg;
    const int seeds = cfg->cl.seeds;
    if (seeds > 1024) return sm_error_set(err, SM_EINVAL, "cl.seeds: at most 1024");
    sm_cl_stream stream;
    sm_status st = sm_cl_stream_parse(cfg, &stream, err);
    if (st != SM_OK) return st;
    const int T = stream.n_tasks;
    if ((st = check_conditions(cfg, err)) != SM_OK) return st;
    const char *sname = cfg->cl.stream, *scen = stream.scenario == SM_CL_TASK     ? "task"
                                                : stream.scenario == SM_CL_DOMAIN ? "domain"
                                                                                  : "class";
    int budgets[2] = {400, 0}, n_budgets = 2;
    if (ctx->quick || cfg->cl.images_per_task > 0) {
        budgets[0] = cfg->cl.images_per_task;
        n_budgets = 1;
    }
    const int n_runs = N_COND * n_budgets * seeds;
    run_out *runs = calloc((size_t)n_runs, sizeof *runs);
    double *Rs = malloc((size_t)n_runs * (size_t)(T + 1) * T * sizeof *Rs);
    if (!runs || !Rs) {
        free(runs);
        free(Rs);
        return sm_error_set(err, SM_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n_runs; k++)
        runs[k].R = Rs + (size_t)k * (size_t)(T + 1) * T;
    for (int b = 0; b < n_budgets && st == SM_OK; b++)
        for (int k = 0; k < N_COND && st == SM_OK; k++)
            if (selected(cfg, k))
                st = run_condition(ctx, k, budgets[b], seeds, T,
                                   runs + ((size_t)b * N_COND + k) * seeds, err);
    json_t *conds = json_array(), *Rj = json_object(), *h1 = json_object(), *targets = json_array();
    double *R = malloc((size_t)(T + 1) * T * sizeof *R);
    double x[1024], y[1024];
    char path[4096], plot_names[2 * N_COND][96];
    const char *plot_np[2 * N_COND];
    double plot_m[2 * N_COND][4];
    int n_plot = 0;
    sm_atomic_file f;
    int csv = 0;
    if (st == SM_OK && sm_experiment_file(ctx, "conditions.csv", path, sizeof path)) {
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            csv = 1;
            fprintf(f.fp, "condition,budget,scenario,n_seeds,acc,acc_sd,bwt,bwt_sd,forgetting,"
                          "aia,plasticity,probe_acc,probe_bwt,drift_task1\n");
        }
    }
    for (int b = 0; b < n_budgets && st == SM_OK; b++)
        for (int k = 0; k < N_COND; k++) {
            if (!selected(cfg, k)) continue;
            run_out *o = runs + ((size_t)b * N_COND + k) * seeds;
            char name[96];
            const int images = budgets[b];
            if (images > 0)
                snprintf(name, sizeof name, "%s-%d", CONDITIONS[k].name, images);
            else
                snprintf(name, sizeof name, "%s-full", CONDITIONS[k].name);
            double m[10], sd[10];
            for (int q = 0; q < 10; q++) {
                for (int s = 0; s < seeds; s++)
                    x[s] = run_field(&o[s], q);
                sm_exp_mean_sd(x, seeds, &m[q], &sd[q]);
            }
            for (int c = 0; c < (T + 1) * T; c++) {
                for (int s = 0; s < seeds; s++)
                    x[s] = o[s].R[c];
                double sdc;
                sm_exp_mean_sd(x, seeds, &R[c], &sdc);
            }
            json_t *acc_seeds = json_array(), *bwt_seeds = json_array();
            for (int s = 0; s < seeds; s++) {
                json_array_append_new(acc_seeds, sm_exp_real(o[s].acc));
                json_array_append_new(bwt_seeds, sm_exp_real(o[s].bwt));
            }
            json_array_append_new(
                conds, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, "
                                 "s:o, s:o, s:o, s:o, s:i, s:o, s:o}",
                                 "model", "stdp", "stream", sname, "scenario", scen, "condition",
                                 name, "images_per_task", images, "acc", sm_exp_real(m[0]),
                                 "acc_sd", sm_exp_real(sd[0]), "bwt", sm_exp_real(m[1]), "bwt_sd",
                                 sm_exp_real(sd[1]), "forgetting", sm_exp_real(m[2]), "aia",
                                 sm_exp_real(m[3]), "plasticity", sm_exp_real(m[4]), "probe_acc",
                                 sm_exp_real(m[7]), "probe_bwt", sm_exp_real(m[8]), "drift_task1",
                                 sm_exp_real(m[9]), "n_seeds", seeds, "acc_per_seed", acc_seeds,
                                 "bwt_per_seed", bwt_seeds));
            json_array_append_new(
                conds, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:i}", "model", "stdp",
                                 "stream", sname, "scenario", "task", "condition", name,
                                 "images_per_task", images, "acc", sm_exp_real(m[5]), "bwt",
                                 sm_exp_real(m[6]), "forgetting", json_null(), "n_seeds", seeds));
            json_t *Rm = json_array();
            for (int i = 0; i <= T; i++) {
                json_t *row = json_array();
                for (int j = 0; j < T; j++)
                    json_array_append_new(row, sm_exp_real(R[i * T + j]));
                json_array_append_new(Rm, row);
            }
            json_object_set_new(Rj, name, Rm);
            if (csv)
                fprintf(f.fp, "%s,%d,%s,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
                        name, images, scen, seeds, m[0], sd[0], m[1], sd[1], m[2], m[3], m[4], m[7],
                        m[8], m[9]);
            if (st == SM_OK) st = plot_R(ctx, name, R, T, err);
            snprintf(plot_names[n_plot], sizeof plot_names[n_plot], "%s", name);
            plot_np[n_plot] = plot_names[n_plot];
            plot_m[n_plot][0] = m[0];
            plot_m[n_plot][1] = sd[0];
            plot_m[n_plot][2] = m[1];
            plot_m[n_plot++][3] = sd[1];
        }
    if (st == SM_OK) st = plot_acc_bwt(ctx, plot_np, (const double(*)[4])plot_m, n_plot, err);
    if (csv) {
        if (st == SM_OK)
            st = sm_atomic_commit(&f, err);
        else
            sm_atomic_abort(&f);
    }
    /* H1 and the C4 targets, per budget */
    for (int b = 0; b < n_budgets && st == SM_OK; b++) {
        char bn[32];
        if (budgets[b] > 0)
            snprintf(bn, sizeof bn, "%d", budgets[b]);
        else
            snprintf(bn, sizeof bn, "full");
        json_t *hb = json_object();
        const run_out *ctl = runs + ((size_t)b * N_COND + 0) * seeds;
        for (int sign = 0; sign < 2; sign++) {
            const char *sn = sign ? "textbook" : "published";
            const run_out *s0 = runs + ((size_t)b * N_COND + 1 + (size_t)3 * sign) * seeds;
            for (int rate = 1; rate <= 2 && selected(cfg, 1 + 3 * sign); rate++) {
                if (!selected(cfg, 1 + 3 * sign + rate)) continue;
                const run_out *sr =
                    runs + ((size_t)b * N_COND + 1 + (size_t)3 * sign + rate) * seeds;
                for (int s = 0; s < seeds; s++) {
                    x[s] = sr[s].bwt;
                    y[s] = s0[s].bwt;
                }
                char key[96];
                snprintf(key, sizeof key, "%s: BWT(sleep %s) - BWT(sleep 0)", sn,
                         rate == 1 ? "0.1" : "0.2");
                json_object_set_new(hb, key, sm_exp_paired_json(x, y, seeds));
            }
            for (int rate = 0; rate <= 2 && selected(cfg, 0); rate++) {
                if (!selected(cfg, 1 + 3 * sign + rate)) continue;
                const run_out *sr =
                    runs + ((size_t)b * N_COND + 1 + (size_t)3 * sign + rate) * seeds;
                for (int s = 0; s < seeds; s++) {
                    x[s] = sr[s].bwt;
                    y[s] = ctl[s].bwt;
                }
                char key[96];
                snprintf(key, sizeof key, "%s sleep %s: BWT - BWT(random control)", sn,
                         rate == 0   ? "0"
                         : rate == 1 ? "0.1"
                                     : "0.2");
                json_object_set_new(hb, key, sm_exp_paired_json(x, y, seeds));
            }
        }
        json_object_set_new(h1, bn, hb);
        /* C4 */
        double mc, sdc, ms, sds, m0, sd0, dmax = 0;
        const run_out *p2 = runs + ((size_t)b * N_COND + 3) * seeds,
                      *p0 = runs + ((size_t)b * N_COND + 1) * seeds;
        for (int s = 0; s < seeds; s++) {
            x[s] = ctl[s].acc;
            dmax = fabs(ctl[s].drift1) > dmax ? fabs(ctl[s].drift1) : dmax;
        }
        sm_exp_mean_sd(x, seeds, &mc, &sdc);
        for (int s = 0; s < seeds; s++)
            x[s] = p2[s].acc;
        sm_exp_mean_sd(x, seeds, &ms, &sds);
        for (int s = 0; s < seeds; s++)
            x[s] = p0[s].acc;
        sm_exp_mean_sd(x, seeds, &m0, &sd0);
        char t[200];
        snprintf(t, sizeof t, "random control ACC >= 0.70 with drift = 0 (%s)", bn);
        if (!selected(cfg, 0) || !selected(cfg, 1) || !selected(cfg, 3)) continue;
        json_array_append_new(targets, json_pack("{s:s, s:o, s:b}", "target", t, "value",
                                                 sm_exp_real(mc), "met", mc >= 0.70 && dmax == 0));
        snprintf(t, sizeof t, "published sign, sleep 0.2: ACC >= control - 0.05 (%s)", bn);
        json_array_append_new(targets, json_pack("{s:s, s:o, s:b}", "target", t, "value",
                                                 sm_exp_real(ms - mc), "met", ms >= mc - 0.05));
        snprintf(t, sizeof t, "published sign, no sleep: ACC <= control - 0.20 (%s)", bn);
        json_array_append_new(targets, json_pack("{s:s, s:o, s:b}", "target", t, "value",
                                                 sm_exp_real(m0 - mc), "met", m0 <= mc - 0.20));
    }
    if (st == SM_OK && sm_experiment_file(ctx, "runs.csv", path, sizeof path)) {
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "condition,images_per_task,seed,acc,bwt,forgetting,aia,plasticity,"
                          "task_acc,task_bwt,probe_acc,probe_bwt,drift_task1\n");
            for (int b = 0; b < n_budgets; b++)
                for (int k = 0; k < N_COND; k++)
                    for (int s = 0; s < seeds && selected(cfg, k); s++) {
                        const run_out *o = runs + ((size_t)b * N_COND + k) * seeds + s;
                        fprintf(f.fp,
                                "%s,%d,%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
                                CONDITIONS[k].name, budgets[b], (long long)cfg->run.seed + s,
                                o->acc, o->bwt, o->forgetting, o->aia, o->plasticity, o->task_acc,
                                o->task_bwt, o->probe_acc, o->probe_bwt, o->drift1);
                    }
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK) {
        *results = json_pack("{s:o, s:o, s:o, s:o}", "conditions", conds, "R", Rj, "H1", h1,
                             "targets", targets);
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    } else {
        json_decref(conds);
        json_decref(Rj);
        json_decref(h1);
        json_decref(targets);
    }
    free(R);
    free(runs);
    free(Rs);
    return st;
}

const sm_experiment_def sm_exp_continual_sleep = {
    .name = "continual-sleep",
    .description = "does sleep reduce forgetting? STDP network on split MNIST (class-IL, ridge "
                   "statistics readout): sleep 0/0.1/0.2 x STDP sign and the random control, "
                   "paired by seed (spec continual.md, C4 and H1)",
    .defaults = DEFAULTS,
    .quick_defaults = QUICK,
    .run = run,
};
