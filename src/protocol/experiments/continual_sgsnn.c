/* Experiment continual-sgsnn (spec continual.md sections 4 and 7, targets C2 and C3): the
 * SG-SNN trained task after task.
 *  C2, the split stream of cl.stream (split MNIST, class-incremental): fine-tuning (no
 *      sleep), the joint reference (all tasks shuffled together, same budget), and sleep
 *      0.2 in the `published` and the `epoch` mode;
 *  C3, permuted MNIST (cl.tasks tasks, 10 by default; domain-incremental): fine-tuning,
 *      sleep `published` 0.2 and the joint reference;
 * each for run.seed .. run.seed + cl.seeds - 1, compared paired by seed. Outputs:
 * conditions.csv (means +- sd), runs.csv (one row per run), R-<condition>.png (and
 * R_task-<condition>.png for class-IL runs): the mean R as a heat map, the same along the
 * sequence (R-sequence-<condition>.png, R_task-sequence-<condition>.png), acc_bwt.png (ACC
 * and BWT per condition, mean +- sd). */
#include <math.h>
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

static const char *const DEFAULTS[] = {"protocol.kind=continual", "train.model=sgsnn",
                                       "data.dataset=mnist", "cl.stream=split-mnist", NULL};

/* spec 7: 1 seed, 1 epoch per task; fewer images per class and 3 permuted tasks so that the
 * seven conditions finish in a few seconds */
static const char *const QUICK[] = {"cl.seeds=1",
                                    "cl.epochs_per_task=1",
                                    "cl.per_class_train=40",
                                    "cl.per_class_val=10",
                                    "cl.per_class_test=20",
                                    "cl.tasks=3",
                                    NULL};

typedef struct condition {
    const char *name; /* in cl.conditions and the results */
    int permuted;     /* 0: the split stream cl.stream (C2); 1: permuted-mnist (C3) */
    int joint;
    const char *mode; /* sgsnn.sleep_mode */
    double rate;      /* sleep.rate */
} condition;

static const condition CONDITIONS[] = {
    {"split-finetune", 0, 0, "none", 0},
    {"split-joint", 0, 1, "none", 0},
    {"split-published0.2", 0, 0, "published", 0.2},
    {"split-epoch0.2", 0, 0, "epoch", 0.2},
    {"permuted-finetune", 1, 0, "none", 0},
    {"permuted-published0.2", 1, 0, "published", 0.2},
    {"permuted-joint", 1, 1, "none", 0},
};
#define N_COND (int)(sizeof CONDITIONS / sizeof CONDITIONS[0])
enum { SPLIT_FT, SPLIT_JOINT, SPLIT_PUB, SPLIT_EPOCH, PERM_FT, PERM_PUB, PERM_JOINT };

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

/* One run's numbers: the scenario's metrics, then the task-IL ones (class-IL runs). */
enum { M_ACC, M_BWT, M_FORG, M_AIA, M_PLAST, M_FWT, M_TACC, M_TBWT, M_TFORG, M_WALL, N_M };
static const char *const M_NAMES[N_M] = {
    "acc",      "bwt",      "forgetting",      "aia",   "plasticity", "fwt",
    "task_acc", "task_bwt", "task_forgetting", "wall_s"};

typedef struct run_out {
    double m[N_M];
    double *R, *Rt; /* (T+1) x T each */
} run_out;

static void read_matrix(json_t *R, int T, double *out)
{
    for (int i = 0; i <= T; i++)
        for (int j = 0; j < T; j++)
            out[i * T + j] =
                sm_json_number(json_array_get(json_array_get(R, (size_t)i), (size_t)j));
}

static void read_run(json_t *doc, int T, run_out *o)
{
    json_t *c = json_object_get(doc, "continual"), *t = json_object_get(c, "task");
    for (int q = 0; q < M_TACC; q++)
        o->m[q] = sm_json_number(json_object_get(c, M_NAMES[q]));
    o->m[M_TACC] = sm_json_number(json_object_get(t, "acc"));
    o->m[M_TBWT] = sm_json_number(json_object_get(t, "bwt"));
    o->m[M_TFORG] = sm_json_number(json_object_get(t, "forgetting"));
    o->m[M_WALL] = sm_json_number(json_object_get(json_object_get(c, "timing"), "wall_s"));
    read_matrix(json_object_get(c, "R"), T, o->R);
    read_matrix(json_object_get(c, "R_task"), T, o->Rt);
}

/* The grid of condition k: its settings x run.seed = run.seed .. + seeds - 1. */
static sm_status condition_grid(const sm_config *cfg, int k, int perm_tasks, int seeds, sm_grid *g,
                                sm_error *err)
{
    const condition *c = &CONDITIONS[k];
    char spec[6][96];
    int n = 0;
    snprintf(spec[n++], sizeof spec[0], "sgsnn.sleep_mode=%s", c->mode);
    snprintf(spec[n++], sizeof spec[0], "sleep.rate=%g", c->rate);
    snprintf(spec[n++], sizeof spec[0], "cl.joint=%s", c->joint ? "true" : "false");
    if (c->permuted) {
        /* the split stream comes from the base config; the permuted one is fixed */
        snprintf(spec[n++], sizeof spec[0], "cl.stream=permuted-mnist");
        snprintf(spec[n++], sizeof spec[0], "data.dataset=mnist");
    }
    snprintf(spec[n++], sizeof spec[0], "cl.tasks=%d", c->permuted ? perm_tasks : 0);
    sm_grid_init(g);
    sm_status st = SM_OK;
    for (int a = 0; a < n && st == SM_OK; a++)
        st = sm_grid_add(g, spec[a], err);
    char seed[96];
    snprintf(seed, sizeof seed, "run.seed=%lld:%lld", (long long)cfg->run.seed,
             (long long)cfg->run.seed + seeds - 1);
    if (st == SM_OK) st = sm_grid_add(g, seed, err);
    return st;
}

/* Runs condition k for `seeds` seeds into out[0..seeds). */
static sm_status run_condition(const sm_experiment_ctx *ctx, int k, int perm_tasks, int seeds,
                               int T, run_out *out, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!out) return sm_error_set(err, SM_EINVAL, "continual-sgsnn: no room for the runs");
    sm_grid g;
    sm_status st = condition_grid(ctx->cfg, k, perm_tasks, seeds, &g, err);
    sm_exp_run *rows = st == SM_OK ? calloc((size_t)seeds, sizeof *rows) : NULL;
    if (st == SM_OK && !rows) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    char label[64];
    snprintf(label, sizeof label, "continual-sgsnn %s", CONDITIONS[k].name);
    if (st == SM_OK) st = sm_exp_run_grid_docs(ctx, ctx->cfg, &g, label, rows, err);
    for (int s = 0; rows && s < seeds; s++) {
        if (st == SM_OK) read_run(rows[s].doc, T, &out[s]);
        json_decref(rows[s].doc);
    }
    free(rows);
    sm_grid_free(&g);
    return st;
}

/* Per-condition aggregate: means and sds of the metrics, mean R and R_task. */
typedef struct cond_sum {
    double m[N_M], sd[N_M];
    double *R, *Rt;
} cond_sum;

static void summarise(const run_out *o, int seeds, int T, cond_sum *c)
{
    double x[1024];
    if (!o) return;
    for (int q = 0; q < N_M; q++) {
        for (int s = 0; s < seeds; s++)
            x[s] = o[s].m[q];
        sm_exp_mean_sd(x, seeds, &c->m[q], &c->sd[q]);
    }
    for (int e = 0; e < (T + 1) * T; e++) {
        double sd;
        for (int s = 0; s < seeds; s++)
            x[s] = o[s].R[e];
        sm_exp_mean_sd(x, seeds, &c->R[e], &sd);
        for (int s = 0; s < seeds; s++)
            x[s] = o[s].Rt[e];
        sm_exp_mean_sd(x, seeds, &c->Rt[e], &sd);
    }
}

static json_t *matrix_json(const double *R, int T)
{
    json_t *m = json_array();
    for (int i = 0; i <= T; i++) {
        json_t *row = json_array();
        for (int j = 0; j < T; j++)
            json_array_append_new(row, sm_exp_real(R[i * T + j]));
        json_array_append_new(m, row);
    }
    return m;
}

static sm_status plot_R(const sm_experiment_ctx *ctx, const char *what, const char *name,
                        const double *R, int T, sm_error *err)
{
    char file[160], path[4096], title[200];
    snprintf(file, sizeof file, "%s-%s.png", what, name);
    if (!sm_experiment_file(ctx, file, path, sizeof path)) return SM_OK;
    snprintf(title, sizeof title, "%s, SG-SNN %s (row i: after task i; column j: task j)", what,
             name);
    sm_status st = sm_plot_matrix(path, title, "task j", "after task i", R, T + 1, T, 0, 1, err);
    snprintf(file, sizeof file, "%s-sequence-%s.png", what, name);
    snprintf(title, sizeof title, "%s, SG-SNN %s: accuracy on each task along the sequence", what,
             name);
    if (st == SM_OK && sm_experiment_file(ctx, file, path, sizeof path))
        st = sm_cl_plot_sequence(path, title, R, T, err);
    return st;
}

/* The experiment's whole state. */
typedef struct exp_state {
    const sm_experiment_ctx *ctx;
    int seeds, T[2], perm_tasks; /* T[0]: split stream, T[1]: permuted */
    const char *scen[2], *stream[2];
    run_out *runs[N_COND];
    cond_sum sum[N_COND];
    double *store;
} exp_state;

static sm_status state_init(exp_state *e, const sm_experiment_ctx *ctx, sm_error *err)
{
    const sm_config *cfg = ctx->cfg;
    memset(e, 0, sizeof *e);
    e->ctx = ctx;
    e->seeds = cfg->cl.seeds;
    if (e->seeds > 1024) return sm_error_set(err, SM_EINVAL, "cl.seeds: at most 1024");
    sm_status st = check_conditions(cfg, err);
    /* the split stream as configured, read with cl.tasks = 0 (cl.tasks is the permuted
     * stream's length here) */
    sm_config split = *cfg;
    split.cl.tasks = 0;
    sm_cl_stream cs;
    if (st == SM_OK) st = sm_cl_stream_parse(&split, &cs, err);
    if (st == SM_OK && cs.permuted)
        st = sm_error_set(err, SM_EINVAL,
                          "cl.stream: continual-sgsnn takes a split stream (its permuted "
                          "stream is permuted-mnist, with cl.tasks tasks); '%s' is permuted",
                          cfg->cl.stream);
    if (st != SM_OK) return st;
    e->T[0] = cs.n_tasks;
    e->scen[0] = cs.scenario == SM_CL_TASK     ? "task"
                 : cs.scenario == SM_CL_DOMAIN ? "domain"
                                               : "class";
    e->stream[0] = cfg->cl.stream;
    e->perm_tasks = cfg->cl.tasks > 0 ? cfg->cl.tasks : 10;
    if (e->perm_tasks > SM_CL_MAX_TASKS)
        return sm_error_set(err, SM_EINVAL, "cl.tasks: %d exceeds %d", e->perm_tasks,
                            SM_CL_MAX_TASKS);
    e->T[1] = e->perm_tasks;
    e->scen[1] = "domain";
    e->stream[1] = "permuted-mnist";
    size_t need = 0;
    for (int k = 0; k < N_COND; k++) {
        const int T = e->T[CONDITIONS[k].permuted];
        need += (size_t)(T + 1) * T * (2 * (size_t)e->seeds + 2);
    }
    e->store = malloc(need * sizeof *e->store);
    for (int k = 0; k < N_COND; k++)
        e->runs[k] = calloc((size_t)e->seeds, sizeof *e->runs[k]);
    for (int k = 0; k < N_COND; k++)
        if (!e->runs[k] || !e->store) return sm_error_set(err, SM_ENOMEM, "out of memory");
    double *p = e->store;
    for (int k = 0; k < N_COND; k++) {
        const size_t cells =
            (size_t)(e->T[CONDITIONS[k].permuted] + 1) * (size_t)e->T[CONDITIONS[k].permuted];
        for (int s = 0; s < e->seeds; s++) {
            e->runs[k][s].R = p;
            e->runs[k][s].Rt = p + cells;
            p += 2 * cells;
        }
        e->sum[k].R = p;
        e->sum[k].Rt = p + cells;
        p += 2 * cells;
    }
    return SM_OK;
}

static void state_free(exp_state *e)
{
    for (int k = 0; k < N_COND; k++)
        free(e->runs[k]);
    free(e->store);
}

/* The rows of `conditions` for condition k: the scenario's, and task-IL for class-IL. */
static void condition_rows(const exp_state *e, int k, json_t *conds)
{
    const condition *c = &CONDITIONS[k];
    const cond_sum *s = &e->sum[k];
    json_t *acc = json_array(), *bwt = json_array();
    for (int q = 0; q < e->seeds; q++) {
        json_array_append_new(acc, sm_exp_real(e->runs[k][q].m[M_ACC]));
        json_array_append_new(bwt, sm_exp_real(e->runs[k][q].m[M_BWT]));
    }
    json_array_append_new(
        conds,
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                  "s:i, s:o, s:o, s:o}",
                  "model", "sgsnn", "stream", e->stream[c->permuted], "scenario",
                  e->scen[c->permuted], "condition", c->name, "acc", sm_exp_real(s->m[M_ACC]),
                  "acc_sd", sm_exp_real(s->sd[M_ACC]), "bwt", sm_exp_real(s->m[M_BWT]), "bwt_sd",
                  sm_exp_real(s->sd[M_BWT]), "forgetting", sm_exp_real(s->m[M_FORG]), "aia",
                  sm_exp_real(s->m[M_AIA]), "plasticity", sm_exp_real(s->m[M_PLAST]), "fwt",
                  sm_exp_real(s->m[M_FWT]), "wall_s", sm_exp_real(s->m[M_WALL]), "n_seeds",
                  e->seeds, "acc_per_seed", acc, "bwt_per_seed", bwt, "sleep",
                  json_pack("{s:s, s:f}", "mode", c->mode, "rate", c->rate)));
    if (strcmp(e->scen[c->permuted], "class") != 0) return;
    json_array_append_new(conds, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i}", "model",
                                           "sgsnn", "stream", e->stream[0], "scenario", "task",
                                           "condition", c->name, "acc", sm_exp_real(s->m[M_TACC]),
                                           "acc_sd", sm_exp_real(s->sd[M_TACC]), "bwt",
                                           sm_exp_real(s->m[M_TBWT]), "forgetting",
                                           sm_exp_real(s->m[M_TFORG]), "n_seeds", e->seeds));
}

/* Sleep vs fine-tuning of the same stream, paired by seed: ACC and BWT differences. */
static json_t *paired(const exp_state *e)
{
    static const int PAIRS[][2] = {
        {SPLIT_PUB, SPLIT_FT}, {SPLIT_EPOCH, SPLIT_FT}, {PERM_PUB, PERM_FT}};
    json_t *out = json_object();
    double a[1024], b[1024];
    for (size_t p = 0; p < sizeof PAIRS / sizeof PAIRS[0]; p++) {
        const int x = PAIRS[p][0], y = PAIRS[p][1];
        if (!selected(e->ctx->cfg, x) || !selected(e->ctx->cfg, y)) continue;
        json_t *d = json_object();
        for (int q = 0; q < 2; q++) {
            const int m = q ? M_BWT : M_ACC;
            for (int s = 0; s < e->seeds; s++) {
                a[s] = e->runs[x][s].m[m];
                b[s] = e->runs[y][s].m[m];
            }
            json_object_set_new(d, M_NAMES[m], sm_exp_paired_json(a, b, e->seeds));
        }
        char key[128];
        snprintf(key, sizeof key, "%s - %s", CONDITIONS[x].name, CONDITIONS[y].name);
        json_object_set_new(out, key, d);
    }
    return out;
}

static void target(json_t *t, const char *id, const char *what, double value, int met,
                   double published)
{
    json_array_append_new(t, json_pack("{s:s, s:s, s:o, s:b, s:o}", "id", id, "target", what,
                                       "value", sm_exp_real(value), "met", met && isfinite(value),
                                       "published", sm_exp_real(published)));
}

/* C2 (on split MNIST, class-IL) and C3; "published" is van de Ven and Tolias 2019's MLP
 * figure where the spec quotes one (NaN: none). */
static json_t *targets(const exp_state *e)
{
    const sm_config *cfg = e->ctx->cfg;
    json_t *t = json_array();
    const double *ft = e->sum[SPLIT_FT].m, *jt = e->sum[SPLIT_JOINT].m;
    if (!strcmp(cfg->cl.stream, "split-mnist") && !strcmp(e->scen[0], "class")) {
        if (selected(cfg, SPLIT_FT)) {
            target(t, "C2", "fine-tuning ACC in [0.18, 0.22]", ft[M_ACC],
                   ft[M_ACC] >= 0.18 && ft[M_ACC] <= 0.22, 0.199);
            target(t, "C2", "fine-tuning BWT <= -0.90", ft[M_BWT], ft[M_BWT] <= -0.90, NAN);
            target(t, "C2", "fine-tuning task-IL ACC >= 0.80", ft[M_TACC], ft[M_TACC] >= 0.80,
                   0.90);
        }
        if (selected(cfg, SPLIT_JOINT))
            target(t, "C2", "joint ACC >= 0.93", jt[M_ACC], jt[M_ACC] >= 0.93, 0.979);
    }
    const double *pf = e->sum[PERM_FT].m, *pj = e->sum[PERM_JOINT].m;
    if (selected(cfg, PERM_FT) && selected(cfg, PERM_JOINT))
        target(t, "C3", "fine-tuning ACC - joint ACC in [-0.40, -0.05]", pf[M_ACC] - pj[M_ACC],
               pf[M_ACC] >= pj[M_ACC] - 0.40 && pf[M_ACC] <= pj[M_ACC] - 0.05, NAN);
    return t;
}

static sm_status write_csvs(const exp_state *e, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    sm_status st = SM_OK;
    if (sm_experiment_file(e->ctx, "conditions.csv", path, sizeof path)) {
        if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
        fprintf(f.fp, "condition,stream,scenario,n_seeds");
        for (int q = 0; q < N_M; q++)
            fprintf(f.fp, ",%s,%s_sd", M_NAMES[q], M_NAMES[q]);
        fprintf(f.fp, "\n");
        for (int k = 0; k < N_COND; k++) {
            if (!selected(e->ctx->cfg, k)) continue;
            const int p = CONDITIONS[k].permuted;
            fprintf(f.fp, "%s,%s,%s,%d", CONDITIONS[k].name, e->stream[p], e->scen[p], e->seeds);
            for (int q = 0; q < N_M; q++)
                fprintf(f.fp, ",%.6g,%.6g", e->sum[k].m[q], e->sum[k].sd[q]);
            fprintf(f.fp, "\n");
        }
        if ((st = sm_atomic_commit(&f, err)) != SM_OK) return st;
    }
    if (sm_experiment_file(e->ctx, "runs.csv", path, sizeof path)) {
        if ((st = sm_atomic_open(&f, path, err)) != SM_OK) return st;
        fprintf(f.fp, "condition,seed");
        for (int q = 0; q < N_M; q++)
            fprintf(f.fp, ",%s", M_NAMES[q]);
        fprintf(f.fp, "\n");
        for (int k = 0; k < N_COND; k++)
            for (int s = 0; s < e->seeds && selected(e->ctx->cfg, k); s++) {
                fprintf(f.fp, "%s,%lld", CONDITIONS[k].name, (long long)e->ctx->cfg->run.seed + s);
                for (int q = 0; q < N_M; q++)
                    fprintf(f.fp, ",%.6g", e->runs[k][s].m[q]);
                fprintf(f.fp, "\n");
            }
        st = sm_atomic_commit(&f, err);
    }
    return st;
}

/* ACC and BWT of the selected conditions (mean +- sd over seeds), in one figure. */
static sm_status plot_acc_bwt(const exp_state *e, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(e->ctx, "acc_bwt.png", path, sizeof path)) return SM_OK;
    const char *names[N_COND];
    double acc[N_COND], acc_sd[N_COND], bwt[N_COND], bwt_sd[N_COND];
    int n = 0;
    for (int k = 0; k < N_COND; k++) {
        if (!selected(e->ctx->cfg, k)) continue;
        names[n] = CONDITIONS[k].name;
        acc[n] = e->sum[k].m[M_ACC];
        acc_sd[n] = e->sum[k].sd[M_ACC];
        bwt[n] = e->sum[k].m[M_BWT];
        bwt_sd[n++] = e->sum[k].sd[M_BWT];
    }
    if (n == 0) return SM_OK;
    return sm_cl_plot_acc_bwt(path, "continual-sgsnn: ACC and BWT per condition", names, acc,
                              acc_sd, bwt, bwt_sd, n, err);
}

static sm_status report(const exp_state *e, json_t **results, sm_error *err)
{
    json_t *conds = json_array(), *R = json_object(), *Rt = json_object();
    sm_status st = SM_OK;
    for (int k = 0; k < N_COND && st == SM_OK; k++) {
        if (!selected(e->ctx->cfg, k)) continue;
        const int p = CONDITIONS[k].permuted, T = e->T[p];
        condition_rows(e, k, conds);
        json_object_set_new(R, CONDITIONS[k].name, matrix_json(e->sum[k].R, T));
        st = plot_R(e->ctx, "R", CONDITIONS[k].name, e->sum[k].R, T, err);
        if (st == SM_OK && !strcmp(e->scen[p], "class")) {
            json_object_set_new(Rt, CONDITIONS[k].name, matrix_json(e->sum[k].Rt, T));
            st = plot_R(e->ctx, "R_task", CONDITIONS[k].name, e->sum[k].Rt, T, err);
        }
    }
    if (st == SM_OK) st = plot_acc_bwt(e, err);
    if (st == SM_OK) st = write_csvs(e, err);
    if (st == SM_OK) {
        *results = json_pack("{s:o, s:o, s:o, s:o, s:o}", "conditions", conds, "R", R, "R_task", Rt,
                             "paired", paired(e), "targets", targets(e));
        if (!*results) st = sm_error_set(err, SM_ENOMEM, "out of memory");
    } else {
        json_decref(conds);
        json_decref(R);
        json_decref(Rt);
    }
    return st;
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    exp_state e;
    sm_status st = state_init(&e, ctx, err);
    for (int k = 0; k < N_COND && st == SM_OK; k++) {
        if (!selected(ctx->cfg, k)) continue;
        st = run_condition(ctx, k, e.perm_tasks, e.seeds, e.T[CONDITIONS[k].permuted], e.runs[k],
                           err);
        if (st == SM_OK) summarise(e.runs[k], e.seeds, e.T[CONDITIONS[k].permuted], &e.sum[k]);
    }
    if (st == SM_OK) st = report(&e, results, err);
    state_free(&e);
    return st;
}

const sm_experiment_def sm_exp_continual_sgsnn = {
    .name = "continual-sgsnn",
    .description = "the SG-SNN task after task: split MNIST class-IL (fine-tuning, joint, sleep "
                   "published/epoch 0.2) and permuted MNIST domain-IL (fine-tuning, sleep "
                   "published 0.2, joint), paired by seed (spec continual.md, C2 and C3)",
    .defaults = DEFAULTS,
    .quick_defaults = QUICK,
    .run = run,
};
