/* The STDP network in the continual protocol (spec continual.md section 3): the tasks'
 * training images in order (sleep by its schedule, state carried over), and after every
 * task, on a snapshot with frozen weights, the two readouts (`stats`: exemplar-free ridge
 * statistics; `probe`: a memory of images refitted by the somnus readout), the accuracy
 * matrix R and the representation drift.
 *
 * Every frozen presentation starts from the network's initial neuron state and draws its
 * input spikes from a clock keyed by the image (part and index), so a representation is a
 * function of the weights and the image alone: a frozen network's features never change
 * (drift exactly 0) and its stats readout equals a batch fit on the same images. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/continual_metrics.h"
#include "somnus/analysis/readout.h"
#include "somnus/analysis/ridge_stats.h"
#include "somnus/core/rng.h"
#include "somnus/io/encode.h"
#include "somnus/models/sim.h"
#include "somnus/models/sim_guard.h"
#include "somnus/models/sim_state.h"
#include "protocol/continual_results.h"
#include "protocol/continual_stdp.h"

/* Input clock of frozen presentations: far above any training clock (train_stdp.c uses
 * 2^62 and up for its own evaluations; these runs never mix the two). Image k of part p
 * starts at CLOCK_BASE + p * 2^56 + k * 2^24. */
#define CLOCK_BASE (UINT64_C(1) << 62)
enum { PART_TRAIN = 0, PART_VAL = 1, PART_TEST = 2 };
#define MAX_GRID 64

typedef struct task_set {
    sm_dataset *ds; /* the task's images (labels as the readout sees them) */
    int *orig;      /* index of each in its part (the clock key) */
} task_set;

typedef struct cl_stdp {
    const sm_config *cfg;
    const sm_cl_stream *s;
    sm_train_run_ctx *run;
    sm_sim *sim;
    sm_encoder *enc;
    sm_sim_state *s0; /* the neuron state at construction */
    int evaluating;
    uint64_t eval_clock;
    int d, T;
    task_set *train, *val, *test;
    task_set drift;
} cl_stdp;

static int cl_input(void *ctx, uint64_t step, int32_t *out)
{
    cl_stdp *c = ctx;
    if (c->evaluating) return sm_encoder_spikes(c->enc, c->eval_clock++, out);
    return sm_encoder_spikes(c->enc, step, out);
}

/* Frozen representations (counts) of images idx[0..n) of ts (idx NULL: 0..n-1). */
static sm_status represent(cl_stdp *c, const task_set *ts, int part, const int *idx, int n,
                           float *rows, sm_error *err)
{
    for (int k = 0; k < n; k++) {
        const int i = idx ? idx[k] : k;
        sm_sim_state_restore(c->sim, c->s0);
        c->eval_clock = CLOCK_BASE + ((uint64_t)part << 56) + ((uint64_t)ts->orig[i] << 24);
        sm_status st = sm_encoder_set_image(c->enc, sm_dataset_image(ts->ds, i), err);
        if (st != SM_OK) return st;
        sm_monitor_reset_counts(c->sim->mon);
        st = sm_sim_test(c->sim, c->cfg->input.steps_per_image, err);
        if (st != SM_OK) return st;
        float *row = rows + (size_t)k * (size_t)c->d;
        for (int j = 0; j < c->d; j++)
            row[j] = (float)c->sim->mon->counts[j];
        c->run->prog.done++;
        if (sm_train_report(c->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

/* Parses cl.ridge_grid: "a:b" (integers a..b) or a comma list of exponents. */
static sm_status parse_grid(const char *text, double *k, int *n, sm_error *err)
{
    int a, b;
    char tail;
    *n = 0;
    if (sscanf(text, "%d:%d%c", &a, &b, &tail) == 2) {
        if (b < a || b - a + 1 > MAX_GRID || a < -30 || b > 30)
            return sm_error_set(err, SM_EINVAL, "cl.ridge_grid: bad range '%s'", text);
        for (int v = a; v <= b; v++)
            k[(*n)++] = v;
        return SM_OK;
    }
    const char *p = text;
    while (*p && *n < MAX_GRID) {
        char *end;
        const double v = strtod(p, &end);
        if (end == p || !isfinite(v) || fabs(v) > 30)
            return sm_error_set(err, SM_EINVAL,
                                "cl.ridge_grid: '%s' is not a:b or a comma list of exponents",
                                text);
        k[(*n)++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return sm_error_set(err, SM_EINVAL, "cl.ridge_grid: unexpected '%c' in '%s'", *end,
                                text);
    }
    if (*n == 0) return sm_error_set(err, SM_EINVAL, "cl.ridge_grid: empty");
    return SM_OK;
}

/* Accuracy of rows x (n) under ridge scores restricted to the outputs out[0..k) (column
 * indices into W's k_all columns, labels lab[]). */
static double ridge_accuracy(const double *W, int d, int k_all, const float *x, const int *y, int n,
                             double scale, const int *cols, const int *lab, int k, double *scratch)
{
    if (n == 0) return NAN;
    sm_ridge_scores(W, d, k_all, x, n, scale, scratch);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        const double *sc = scratch + (size_t)i * (size_t)k_all;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (sc[cols[j]] > sc[cols[best]]) best = j;
        ok += lab[best] == y[i];
    }
    return (double)ok / n;
}

/* The outputs allowed for task j after i tasks: labels lab[0..*k) among the active set
 * act[0..n_act) (their columns cols[]). Task-IL: the task's classes; otherwise all active. */
static int task_outputs(const sm_cl_stream *s, int task_il, int j, const int *act, int n_act,
                        int *cols, int *lab)
{
    int k = 0;
    for (int a = 0; a < n_act; a++)
        if (!task_il || s->permuted || s->task_of[act[a]] == j) {
            cols[k] = a;
            lab[k++] = act[a];
        }
    return k;
}

typedef struct reps {
    float *x; /* rows */
    int *y;
    int n;
} reps;

static void reps_free(reps *r)
{
    free(r->x);
    free(r->y);
    r->x = NULL;
    r->y = NULL;
    r->n = 0;
}

static sm_status reps_of(cl_stdp *c, const task_set *ts, int part, const int *idx, int n, reps *r,
                         sm_error *err)
{
    r->n = n;
    r->x = malloc(((size_t)n * (size_t)c->d + 1) * sizeof *r->x);
    r->y = malloc(((size_t)n + 1) * sizeof *r->y);
    if (!r->x || !r->y) return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    for (int k = 0; k < n; k++)
        r->y[k] = ts->ds->labels[idx ? idx[k] : k];
    return represent(c, ts, part, idx, n, r->x, err);
}

/* Everything measured after task i (1-based). */
typedef struct row_out {
    double *R, *R_task, *R_probe; /* (T+1) x T each */
    double *ridge_k, *ridge_val;  /* per task */
    float *drift_rows;            /* T x n_drift x d */
} row_out;

static sm_status probe_row(cl_stdp *c, int i, const reps *mem, const reps *test, row_out *o,
                           sm_error *err)
{
    const int T = c->T;
    int n_lab = 0, seen[SM_CL_MAX_CLASSES] = {0};
    for (int k = 0; k < mem->n; k++)
        if (!seen[mem->y[k]]++) n_lab++;
    if (n_lab < 2) return SM_OK; /* a single class: nothing to fit (row stays null) */
    int n_test = 0;
    for (int j = 0; j < T; j++)
        n_test += test[j].n;
    float *tx = malloc(((size_t)n_test * (size_t)c->d + 1) * sizeof *tx);
    int *ty = malloc(((size_t)n_test + 1) * sizeof *ty),
        *pred = malloc(((size_t)n_test + 1) * sizeof *pred);
    sm_status st =
        tx && ty && pred ? SM_OK : sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    int m = 0;
    for (int j = 0; st == SM_OK && j < T; j++) {
        if (test[j].n == 0) continue; /* not represented (a task not yet seen) */
        memcpy(tx + (size_t)m * (size_t)c->d, test[j].x,
               (size_t)test[j].n * (size_t)c->d * sizeof *tx);
        memcpy(ty + m, test[j].y, (size_t)test[j].n * sizeof *ty);
        m += test[j].n;
    }
    if (st == SM_OK && n_test > 0) {
        sm_readout_params p;
        sm_readout_params_default(&p, SM_READOUT_PCA_LOGREG);
        p.variance = c->cfg->readout.variance;
        p.C = c->cfg->readout.c;
        p.standardize = c->cfg->readout.standardize;
        p.logreg_whiten = c->cfg->readout.whiten;
        p.seed = (uint64_t)c->cfg->run.seed;
        sm_readout_result res;
        st = sm_readout_score(&p, mem->x, mem->y, mem->n, tx, ty, n_test, c->d, pred, &res, err);
        m = 0;
        for (int j = 0; st == SM_OK && j < T; j++) {
            int ok = 0;
            for (int k = 0; k < test[j].n; k++)
                ok += pred[m + k] == ty[m + k];
            if (test[j].n > 0) o->R_probe[(size_t)i * T + j] = (double)ok / test[j].n;
            m += test[j].n;
        }
    }
    free(tx);
    free(ty);
    free(pred);
    return st;
}

/* The stats readout after task i: lambda on the validation images of tasks 1..i, then R. */
static sm_status stats_row(cl_stdp *c, int i, const sm_ridge_stats *rs, const reps *val,
                           const reps *test, const double *grid, int n_grid, row_out *o,
                           sm_error *err)
{
    const sm_cl_stream *s = c->s;
    const int T = c->T, d = c->d;
    const double scale = 1.0 / c->cfg->input.steps_per_image;
    int act[SM_CL_MAX_CLASSES], n_act = 0;
    for (int y = 0; y < s->n_outputs; y++)
        if (rs->n_class[y] > 0 || (s->scenario == SM_CL_CLASS &&
                                   c->cfg->cl.active_outputs == SM_CL_ALL && (s->task_of[y] >= 0)))
            act[n_act++] = y;
    if (n_act < 1) return SM_OK;
    int max_n = 1;
    for (int j = 0; j < T; j++) {
        max_n = val[j].n > max_n ? val[j].n : max_n;
        max_n = test[j].n > max_n ? test[j].n : max_n;
    }
    double *W = malloc((size_t)d * (size_t)n_act * sizeof *W);
    double *scr = malloc((size_t)max_n * (size_t)n_act * sizeof *scr);
    if (!W || !scr) {
        free(W);
        free(scr);
        return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    }
    const int task_sel = s->scenario == SM_CL_TASK;
    const double md = sm_ridge_stats_mean_diag(rs);
    double best = -1, best_k = NAN;
    int cols[SM_CL_MAX_CLASSES], lab[SM_CL_MAX_CLASSES];
    sm_status st = SM_OK;
    for (int g = 0; g < n_grid && st == SM_OK; g++) {
        const double lambda = pow(10.0, grid[g]) * (md > 0 ? md : 1.0);
        st = sm_ridge_solve(rs, lambda, act, n_act, W, err);
        if (st != SM_OK) break;
        double ok = 0, n = 0;
        for (int j = 0; j < i; j++) {
            const int k = task_outputs(s, task_sel, j, act, n_act, cols, lab);
            const double a =
                ridge_accuracy(W, d, n_act, val[j].x, val[j].y, val[j].n, scale, cols, lab, k, scr);
            if (val[j].n > 0) {
                ok += a * val[j].n;
                n += val[j].n;
            }
        }
        const double a = n > 0 ? ok / n : 0;
        if (a > best) {
            best = a;
            best_k = grid[g];
        }
    }
    o->ridge_k[i - 1] = best_k;
    o->ridge_val[i - 1] = n_grid > 0 ? best : NAN;
    if (st == SM_OK)
        st = sm_ridge_solve(rs, pow(10.0, best_k) * (md > 0 ? md : 1.0), act, n_act, W, err);
    for (int j = 0; st == SM_OK && j < T; j++) {
        if (test[j].n == 0) continue;
        /* class- and task-IL: a task not yet seen has no statistics (null) */
        if (s->scenario != SM_CL_DOMAIN && j >= i) continue;
        int k = task_outputs(s, s->scenario == SM_CL_TASK, j, act, n_act, cols, lab);
        o->R[(size_t)i * T + j] =
            ridge_accuracy(W, d, n_act, test[j].x, test[j].y, test[j].n, scale, cols, lab, k, scr);
        if (s->scenario == SM_CL_CLASS) {
            k = task_outputs(s, 1, j, act, n_act, cols, lab);
            o->R_task[(size_t)i * T + j] = ridge_accuracy(W, d, n_act, test[j].x, test[j].y,
                                                          test[j].n, scale, cols, lab, k, scr);
        }
    }
    free(W);
    free(scr);
    return st;
}

/* Trains on task t's first n images. */
static sm_status train_task(cl_stdp *c, int t, int n, sm_error *err)
{
    const sm_dataset *ds = c->train[t].ds;
    for (int k = 0; k < n; k++) {
        sm_status st = sm_encoder_set_image(c->enc, sm_dataset_image(ds, k), err);
        if (st == SM_OK) st = sm_sim_wake(c->sim, c->cfg->input.steps_per_image, err);
        if (st == SM_OK && ((k + 1) % c->cfg->data.batch == 0 || k + 1 == n))
            st = sm_sim_check_finite(c->sim, err);
        if (st != SM_OK) return st;
        c->run->prog.done++;
        if (sm_train_report(c->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

/* probe_per_class images of each class of task t, drawn from its first n (seeded). */
static int probe_pick(const cl_stdp *c, int t, int n, int *idx)
{
    const sm_dataset *ds = c->train[t].ds;
    int *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm), m = 0;
    int per[SM_CL_MAX_CLASSES] = {0};
    if (!perm) return -1;
    for (int k = 0; k < n; k++)
        perm[k] = k;
    sm_rng r;
    sm_rng_init(&r, (uint64_t)c->cfg->run.seed, SM_STREAM_CONTINUAL,
                (uint32_t)(SM_CL_RNG_PROBE << 16 | t));
    sm_rng_shuffle(&r, perm, n);
    for (int k = 0; k < n; k++) {
        const int y = ds->labels[perm[k]];
        if (per[y] < c->cfg->cl.probe_per_class) {
            per[y]++;
            idx[m++] = perm[k];
        }
    }
    free(perm);
    return m;
}

static void task_set_free(task_set *t)
{
    sm_dataset_destroy(t->ds);
    free(t->orig);
    t->ds = NULL;
    t->orig = NULL;
}

static sm_status task_set_make(const sm_cl_stream *s, const sm_dataset *part, int t, uint64_t seed,
                               task_set *out, sm_error *err)
{
    out->orig = malloc((size_t)(part && part->n > 0 ? part->n : 1) * sizeof *out->orig);
    if (!out->orig) return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    if (!part || part->n == 0) {
        out->ds = NULL;
        return SM_OK;
    }
    out->ds = sm_cl_task_images(s, part, t, seed, out->orig, err);
    return out->ds ? SM_OK : err->code;
}

static int set_n(const task_set *t)
{
    return t->ds ? t->ds->n : 0;
}

sm_status sm_cl_run_stdp(const sm_config *cfg_in, const sm_cl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *cont, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int pixels = data->train->width * data->train->height;
    if (pixels != cfg_in->net.n_input)
        return sm_error_set(err, SM_EINVAL,
                            "train: images have %d pixels but net.n_input is %d; set "
                            "input.width/input.height or net.n_input to match",
                            pixels, cfg_in->net.n_input);
    if (cfg_in->cl.joint)
        return sm_error_set(err, SM_EINVAL,
                            "cl.joint: the joint reference is not built for the STDP network (its "
                            "random control is the readout-only reference: stdp.rule=none, "
                            "sleep.rate=0, ip.rule=none)");
    double grid[MAX_GRID];
    int n_grid = 0;
    sm_status st = parse_grid(cfg_in->cl.ridge_grid, grid, &n_grid, err);
    if (st != SM_OK) return st;
    sm_config cfg = *cfg_in;
    if (cfg.sleep.schedule == SM_SCHED_BATCH)
        cfg.sleep.period = (int64_t)cfg.data.batch * cfg.input.steps_per_image;
    const int T = s->n_tasks;
    const uint64_t seed = (uint64_t)cfg.run.seed;
    const int want_stats = cfg.cl.readout != SM_CL_PROBE,
              want_probe = cfg.cl.readout != SM_CL_STATS;
    cl_stdp c = {.cfg = &cfg, .s = s, .run = r, .T = T};
    c.d = cfg.net.n_exc + (cfg.readout.features == SM_FEAT_ALL ? cfg.net.n_inh : 0);
    c.train = calloc((size_t)T, sizeof *c.train);
    c.val = calloc((size_t)T, sizeof *c.val);
    c.test = calloc((size_t)T, sizeof *c.test);
    const size_t RN = (size_t)(T + 1) * (size_t)T;
    row_out o = {0};
    o.R = malloc(RN * sizeof *o.R);
    o.R_task = malloc(RN * sizeof *o.R_task);
    o.R_probe = malloc(RN * sizeof *o.R_probe);
    o.ridge_k = malloc((size_t)T * sizeof *o.ridge_k);
    o.ridge_val = malloc((size_t)T * sizeof *o.ridge_val);
    reps *val = calloc((size_t)T, sizeof *val), *test = calloc((size_t)T, sizeof *test);
    reps mem = {0}, drift_now = {0};
    int *mem_idx_all = NULL, *mem_task = NULL, n_mem = 0;
    float *drift = NULL;
    double *drift_out = malloc((size_t)T * sizeof *drift_out);
    int *n_per_task = calloc((size_t)T, sizeof *n_per_task);
    sm_ridge_stats *rs = NULL;
    if (!c.train || !c.val || !c.test || !o.R || !o.R_task || !o.R_probe || !o.ridge_k ||
        !o.ridge_val || !val || !test || !drift_out || !n_per_task) {
        st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
        goto done;
    }
    for (size_t k = 0; k < RN; k++)
        o.R[k] = o.R_task[k] = o.R_probe[k] = NAN;
    for (int t = 0; t < T; t++)
        o.ridge_k[t] = o.ridge_val[t] = drift_out[t] = NAN;
    for (int t = 0; t < T && st == SM_OK; t++) {
        st = task_set_make(s, data->train, t, seed, &c.train[t], err);
        if (st == SM_OK) st = task_set_make(s, data->val, t, seed, &c.val[t], err);
        if (st == SM_OK) st = task_set_make(s, data->test, t, seed, &c.test[t], err);
    }
    /* drift images: the first cl.drift_images validation images (all classes, task 1's
     * pixels) */
    const int n_drift = data->val && cfg.cl.drift_images < data->val->n ? cfg.cl.drift_images
                        : data->val                                     ? data->val->n
                                                                        : 0;
    if (st == SM_OK && n_drift > 1) {
        c.drift.orig = malloc((size_t)n_drift * sizeof *c.drift.orig);
        if (!c.drift.orig) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
        for (int k = 0; st == SM_OK && k < n_drift; k++)
            c.drift.orig[k] = k;
        if (st == SM_OK) {
            c.drift.ds = sm_dataset_subset(data->val, c.drift.orig, n_drift, err);
            if (!c.drift.ds) st = err->code;
        }
        drift = malloc((size_t)T * (size_t)n_drift * (size_t)c.d * sizeof *drift);
        if (!drift && st == SM_OK) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    }
    if (st == SM_OK && want_stats) {
        rs = sm_ridge_stats_create(c.d, s->n_outputs, err);
        if (!rs) st = err->code;
    }
    int64_t work = 0;
    for (int t = 0; t < T; t++) {
        const int n = set_n(&c.train[t]);
        n_per_task[t] =
            cfg.cl.images_per_task > 0 && cfg.cl.images_per_task < n ? cfg.cl.images_per_task : n;
        work += (int64_t)2 * n_per_task[t] + (int64_t)(t + 1) * set_n(&c.val[t]) +
                (int64_t)T * (set_n(&c.test[t]) + n_drift);
    }
    mem_idx_all = malloc(((size_t)T * (size_t)(s->n_outputs > 0 ? s->n_outputs : 1) *
                              (size_t)cfg.cl.probe_per_class +
                          1) *
                         sizeof *mem_idx_all);
    mem_task = malloc(((size_t)T * (size_t)(s->n_outputs > 0 ? s->n_outputs : 1) *
                           (size_t)cfg.cl.probe_per_class +
                       1) *
                      sizeof *mem_task);
    if (st == SM_OK && (!mem_idx_all || !mem_task))
        st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    if (st != SM_OK) goto done;
    c.sim = sm_sim_create(&cfg, err);
    if (!c.sim) {
        st = err->code;
        goto done;
    }
    c.enc = sm_encoder_create(&cfg, cfg.net.n_input, err);
    if (!c.enc) {
        st = err->code;
        goto done;
    }
    sm_sim_set_input(c.sim, cl_input, &c);
    c.s0 = sm_sim_state_save(c.sim, err);
    if (!c.s0) {
        st = err->code;
        goto done;
    }
    r->prog = (sm_train_progress){"train", 0, work, 0, T, NAN};
    const double t0 = sm_train_now();
    double t_eval = 0;
    for (int i = 1; i <= T && st == SM_OK; i++) {
        const int t = i - 1;
        r->prog.batch = i;
        r->prog.stage = "train";
        st = train_task(&c, t, n_per_task[t], err);
        if (st != SM_OK) break;
        const double te = sm_train_now();
        r->prog.stage = "eval";
        sm_sim_state *snap = sm_sim_state_save(c.sim, err);
        if (!snap) {
            st = err->code;
            break;
        }
        c.evaluating = 1;
        /* stats: the task's training images, at the weights just after learning it */
        if (want_stats) {
            reps tr = {0};
            st = reps_of(&c, &c.train[t], PART_TRAIN, NULL, n_per_task[t], &tr, err);
            if (st == SM_OK)
                st = sm_ridge_stats_add(rs, tr.x, tr.y, tr.n, 1.0 / cfg.input.steps_per_image, err);
            reps_free(&tr);
        }
        /* probe memory: new images of this task's classes join the memory */
        if (st == SM_OK && want_probe) {
            const int m = probe_pick(&c, t, n_per_task[t], mem_idx_all + n_mem);
            if (m < 0) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
            for (int k = 0; k < m; k++)
                mem_task[n_mem + k] = t;
            n_mem += m > 0 ? m : 0;
        }
        if (st == SM_OK && want_probe && n_mem > 0) {
            reps_free(&mem);
            mem.n = n_mem;
            mem.x = malloc((size_t)n_mem * (size_t)c.d * sizeof *mem.x);
            mem.y = malloc((size_t)n_mem * sizeof *mem.y);
            if (!mem.x || !mem.y) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
            for (int k = 0; st == SM_OK && k < n_mem; k++) {
                const task_set *ts = &c.train[mem_task[k]];
                mem.y[k] = ts->ds->labels[mem_idx_all[k]];
                st = represent(&c, ts, PART_TRAIN, &mem_idx_all[k], 1,
                               mem.x + (size_t)k * (size_t)c.d, err);
            }
        }
        /* validation (tasks 1..i) and test images (tasks 1..i, or all in domain-IL) */
        for (int j = 0; st == SM_OK && j < T; j++) {
            reps_free(&val[j]);
            reps_free(&test[j]);
            if (j < i && c.val[j].ds)
                st = reps_of(&c, &c.val[j], PART_VAL, NULL, set_n(&c.val[j]), &val[j], err);
            if (st == SM_OK && (j < i || s->scenario == SM_CL_DOMAIN || want_probe) &&
                (j < i || s->scenario == SM_CL_DOMAIN))
                st = reps_of(&c, &c.test[j], PART_TEST, NULL, set_n(&c.test[j]), &test[j], err);
        }
        if (st == SM_OK && drift) {
            st = reps_of(&c, &c.drift, PART_VAL, NULL, n_drift, &drift_now, err);
            if (st == SM_OK)
                memcpy(drift + (size_t)t * (size_t)n_drift * (size_t)c.d, drift_now.x,
                       (size_t)n_drift * (size_t)c.d * sizeof *drift);
            reps_free(&drift_now);
        }
        c.evaluating = 0;
        sm_sim_state_restore(c.sim, snap);
        sm_sim_state_free(snap);
        if (st == SM_OK && want_stats) st = stats_row(&c, i, rs, val, test, grid, n_grid, &o, err);
        if (st == SM_OK && want_probe) st = probe_row(&c, i, &mem, test, &o, err);
        t_eval += sm_train_now() - te;
        if (st == SM_OK && want_stats) r->prog.last_accuracy = o.R[(size_t)i * T + t];
    }
    if (st != SM_OK) goto done;
    for (int t = 0; drift && t < T; t++) {
        const float *a = drift + (size_t)t * (size_t)n_drift * (size_t)c.d;
        const float *b = drift + (size_t)(T - 1) * (size_t)n_drift * (size_t)c.d;
        drift_out[t] = 1.0 - sm_cl_linear_cka(a, c.d, b, c.d, n_drift);
    }
    {
        double *w = malloc((size_t)T * sizeof *w);
        for (int t = 0; w && t < T; t++)
            w[t] = set_n(&c.test[t]) > 0 ? set_n(&c.test[t]) : 1;
        json_t *js = want_stats ? sm_cl_readout_json(o.R, T, w) : NULL;
        json_t *jp = want_probe ? sm_cl_readout_json(o.R_probe, T, w) : NULL;
        json_t *jt =
            want_stats && s->scenario == SM_CL_CLASS ? sm_cl_readout_json(o.R_task, T, w) : NULL;
        json_t *head = want_stats ? js : jp;
        const char *keys[] = {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"};
        for (size_t k = 0; head && k < sizeof keys / sizeof keys[0]; k++)
            json_object_set(cont, keys[k], json_object_get(head, keys[k]));
        json_object_set_new(cont, "readout", json_string(want_stats ? "stats" : "probe"));
        if (jt) {
            json_object_set(cont, "R_task", json_object_get(jt, "R"));
            json_object_set_new(cont, "task", jt);
        } else
            json_object_set_new(cont, "R_task", json_null());
        if (js) {
            json_object_set_new(js, "ridge_log10_multiplier", sm_cl_matrix_json(o.ridge_k, 1, T));
            json_object_set_new(js, "ridge_val_accuracy", sm_cl_matrix_json(o.ridge_val, 1, T));
            json_object_set_new(cont, "stats", js);
        }
        if (jp) json_object_set_new(cont, "probe", jp);
        json_object_set_new(cont, "drift", sm_cl_matrix_json(drift_out, 1, T));
        json_t *npt = json_array();
        for (int t = 0; t < T; t++)
            json_array_append_new(npt, json_integer(n_per_task[t]));
        json_object_set_new(cont, "train_images_per_task", npt);
        json_object_set_new(cont, "drift_images", json_integer(drift ? n_drift : 0));
        json_object_set_new(
            cont, "timing",
            json_pack("{s:f, s:f}", "wall_s", sm_train_now() - t0, "eval_s", t_eval));
        free(w);
        if (!head) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
        if (st == SM_OK && want_stats) sm_cl_export_ridge(r, "stats", rs);
    }
done:
    for (int t = 0; T > 0 && t < T; t++) {
        if (c.train) task_set_free(&c.train[t]);
        if (c.val) task_set_free(&c.val[t]);
        if (c.test) task_set_free(&c.test[t]);
        if (val) reps_free(&val[t]);
        if (test) reps_free(&test[t]);
    }
    task_set_free(&c.drift);
    reps_free(&mem);
    free(c.train);
    free(c.val);
    free(c.test);
    free(val);
    free(test);
    free(o.R);
    free(o.R_task);
    free(o.R_probe);
    free(o.ridge_k);
    free(o.ridge_val);
    free(mem_idx_all);
    free(mem_task);
    free(drift);
    free(drift_out);
    free(n_per_task);
    sm_ridge_stats_free(rs);
    sm_sim_state_free(c.s0);
    sm_encoder_destroy(c.enc);
    sm_sim_destroy(c.sim);
    return st;
}
