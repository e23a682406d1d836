/* The SG-SNN in the continual protocol (spec continual.md section 4): fine-tuning (Adam on
 * all weights, task after task, cl.epochs_per_task epochs each, the configured sleep mode
 * unchanged and its counters carried over), the loss and the predictions over the active
 * outputs of the scenario, and the joint reference (cl.joint: one session on all tasks'
 * training images shuffled together, with the same total budget). After every task the
 * test images of every task are scored under the scenario's rule (R) and, for class-IL
 * runs, under the task-IL rule as well (R_task). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/continual_metrics.h"
#include "somnus/models/sgsnn.h"
#include "protocol/continual_results.h"
#include "protocol/continual_sgsnn.h"
#include "protocol/train_sgsnn.h"

typedef struct cl_sg {
    const sm_config *cfg;
    const sm_cl_stream *s;
    sm_train_run_ctx *run;
    sm_sgsnn *net;
    int T, O, D;
    sm_dataset **train, **test; /* per task */
    float *counts;              /* largest test set x O */
    double *R, *R_task;         /* (T+1) x T */
    json_t *epochs;             /* per-epoch table */
} cl_sg;

void sm_cl_sgsnn_allowed(const sm_cl_stream *s, int rule, int seen, int active_all, int j,
                         unsigned char *ok)
{
    /* n_outputs <= SM_CL_MAX_CLASSES by the stream's parsing; the bound keeps it visible */
    const int O = s->n_outputs < SM_CL_MAX_CLASSES ? s->n_outputs : SM_CL_MAX_CLASSES;
    for (int o = 0; o < O; o++) {
        int a;
        if (rule == SM_CL_DOMAIN || s->permuted)
            a = 1;
        else if (s->task_of[o] < 0)
            a = 0;
        else if (rule == SM_CL_TASK)
            a = s->task_of[o] == j;
        else
            a = active_all || s->task_of[o] < seen;
        ok[o] = (unsigned char)a;
    }
}

double sm_cl_sgsnn_accuracy(const float *counts, const int *y, int n, int O,
                            const unsigned char *ok)
{
    if (n <= 0) return NAN;
    int right = 0;
    for (int i = 0; i < n; i++) {
        const float *c = counts + (size_t)i * (size_t)O;
        int best = -1;
        for (int o = 0; o < O; o++)
            if (ok[o] && (best < 0 || c[o] > c[best])) best = o;
        right += best == y[i];
    }
    return (double)right / n;
}

/* Row i of R (and R_task): every task's test images after `seen` tasks (seen = T for the
 * joint reference); class-IL entries of unseen tasks stay null. */
static sm_status score_row(cl_sg *c, int i, int seen, sm_error *err)
{
    const sm_cl_stream *s = c->s;
    unsigned char ok[SM_CL_MAX_CLASSES] = {0};
    for (int j = 0; j < c->T; j++) {
        const sm_dataset *te = c->test[j];
        const int need = s->scenario != SM_CL_CLASS || j < seen;
        if (!te || te->n == 0 || !need) continue;
        sm_status st = sm_sgsnn_predict(c->net, te->pixels, te->n, NULL, c->counts, err);
        if (st != SM_OK) return st;
        sm_cl_sgsnn_allowed(s, s->scenario, seen, c->cfg->cl.active_outputs == SM_CL_ALL, j, ok);
        c->R[(size_t)i * c->T + j] = sm_cl_sgsnn_accuracy(c->counts, te->labels, te->n, c->O, ok);
        if (s->scenario == SM_CL_CLASS) {
            sm_cl_sgsnn_allowed(s, SM_CL_TASK, seen, 0, j, ok);
            c->R_task[(size_t)i * c->T + j] =
                sm_cl_sgsnn_accuracy(c->counts, te->labels, te->n, c->O, ok);
        }
        c->run->prog.done += te->n;
        if (sm_train_report(c->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

/* epochs epochs on (x, y, n) with the training mask of task t (t = -1: joint). */
static sm_status train_session(cl_sg *c, int t, const float *x, const int *y, int n, int epochs,
                               sm_error *err)
{
    const sm_cl_stream *s = c->s;
    unsigned char ok[SM_CL_MAX_CLASSES];
    const int all = c->cfg->cl.active_outputs == SM_CL_ALL || t < 0;
    sm_status st;
    if (s->scenario == SM_CL_DOMAIN) {
        st = sm_sgsnn_set_active_outputs(c->net, NULL, err);
    } else {
        /* task-IL: the task's own classes (joint: every class of the stream) */
        sm_cl_sgsnn_allowed(s, t >= 0 ? s->scenario : SM_CL_CLASS, t + 1, all, t, ok);
        st = sm_sgsnn_set_active_outputs(c->net, ok, err);
    }
    for (int e = 0; e < epochs && st == SM_OK; e++) {
        sm_sgsnn_epoch_stats es;
        st = sm_sgsnn_train_epoch(c->net, x, y, n, NULL, NULL, 0, &es, err);
        if (st != SM_OK) break;
        sm_train_col_add(c->epochs, "task", json_integer(t < 0 ? 0 : t + 1));
        sm_train_col_add(c->epochs, "epoch", json_integer(es.epoch));
        sm_train_col_add(c->epochs, "train_loss", sm_train_real(es.train_loss));
        sm_train_col_add(c->epochs, "train_accuracy", sm_train_real(es.train_acc));
        sm_train_col_add(c->epochs, "sleep_passes", json_integer(es.sleep_passes));
        sm_train_col_add(c->epochs, "sum_abs_w1", sm_train_real(es.sum_abs_w[0]));
        sm_train_col_add(c->epochs, "sum_abs_w2", sm_train_real(es.sum_abs_w[1]));
        c->run->prog.done += n;
        if (sm_train_report(c->run))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    /* scoring applies its own rules to the raw counts */
    if (st == SM_OK) st = sm_sgsnn_set_active_outputs(c->net, NULL, err);
    return st;
}

/* All tasks' training images in one set (the joint reference). */
static sm_status joint_data(const cl_sg *c, float **x, int **y, int *n, sm_error *err)
{
    int total = 0;
    for (int t = 0; t < c->T; t++)
        total += c->train[t] ? c->train[t]->n : 0;
    *x = malloc((size_t)(total > 0 ? total : 1) * (size_t)c->D * sizeof **x);
    *y = malloc((size_t)(total > 0 ? total : 1) * sizeof **y);
    if (!*x || !*y) return sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    int k = 0;
    for (int t = 0; t < c->T; t++) {
        const sm_dataset *d = c->train[t];
        if (!d || d->n == 0) continue;
        memcpy(*x + (size_t)k * (size_t)c->D, d->pixels, (size_t)d->n * (size_t)c->D * sizeof **x);
        memcpy(*y + k, d->labels, (size_t)d->n * sizeof **y);
        k += d->n;
    }
    *n = total;
    return SM_OK;
}

static sm_status run_stream(cl_sg *c, sm_error *err)
{
    const int T = c->T, E = c->cfg->cl.epochs_per_task;
    sm_status st = SM_OK;
    /* row 0: the untrained network (defined for task- and domain-IL only) */
    if (c->s->scenario != SM_CL_CLASS) st = score_row(c, 0, 0, err);
    if (c->cfg->cl.joint) {
        float *x = NULL;
        int *y = NULL, n = 0;
        if (st == SM_OK) st = joint_data(c, &x, &y, &n, err);
        if (st == SM_OK && n == 0)
            st = sm_error_set(err, SM_EINVAL, "continual: the stream has no training images");
        c->run->prog.batch = T;
        if (st == SM_OK) st = train_session(c, -1, x, y, n, E, err);
        free(x);
        free(y);
        if (st == SM_OK) st = score_row(c, T, T, err);
        return st;
    }
    for (int t = 0; t < T && st == SM_OK; t++) {
        const sm_dataset *d = c->train[t];
        c->run->prog.batch = t + 1;
        if (!d || d->n == 0)
            return sm_error_set(err, SM_EINVAL, "continual: task %d has no training images", t + 1);
        st = train_session(c, t, d->pixels, d->labels, d->n, E, err);
        if (st == SM_OK) st = score_row(c, t + 1, t + 1, err);
        if (st == SM_OK) c->run->prog.last_accuracy = c->R[(size_t)(t + 1) * T + t];
    }
    return st;
}

static void put_results(const cl_sg *c, json_t *cont, double wall)
{
    const int T = c->T;
    double *w = malloc((size_t)T * sizeof *w);
    for (int t = 0; w && t < T; t++)
        w[t] = c->test[t] && c->test[t]->n > 0 ? c->test[t]->n : 1;
    json_t *head = sm_cl_readout_json(c->R, T, w);
    const char *keys[] = {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"};
    for (size_t k = 0; head && k < sizeof keys / sizeof keys[0]; k++)
        json_object_set(cont, keys[k], json_object_get(head, keys[k]));
    json_decref(head);
    if (c->s->scenario == SM_CL_CLASS) {
        json_t *jt = sm_cl_readout_json(c->R_task, T, w);
        json_object_set(cont, "R_task", json_object_get(jt, "R"));
        json_object_set_new(cont, "task", jt);
    } else
        json_object_set_new(cont, "R_task", json_null());
    json_object_set_new(cont, "joint", json_boolean(c->cfg->cl.joint));
    json_object_set_new(cont, "epochs_per_task", json_integer(c->cfg->cl.epochs_per_task));
    json_object_set(cont, "epochs", c->epochs);
    double sw[SM_SGSNN_MAX_LAYERS];
    sm_sgsnn_sum_abs_w(c->net, sw);
    json_t *swa = json_array();
    for (int l = 0; l < sm_sgsnn_n_layers(c->net); l++)
        json_array_append_new(swa, json_real(sw[l]));
    json_object_set_new(cont, "sum_abs_w", swa);
    json_object_set_new(cont, "timing", json_pack("{s:f}", "wall_s", wall));
    free(w);
}

static void cl_sg_free(cl_sg *c)
{
    for (int t = 0; t < c->T; t++) {
        if (c->train) sm_dataset_destroy(c->train[t]);
        if (c->test) sm_dataset_destroy(c->test[t]);
    }
    free(c->train);
    free(c->test);
    free(c->counts);
    free(c->R);
    free(c->R_task);
    json_decref(c->epochs);
    sm_sgsnn_destroy(c->net);
}

sm_status sm_cl_run_sgsnn(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                          sm_train_run_ctx *r, json_t *cont, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int T = s->n_tasks;
    const uint64_t seed = (uint64_t)cfg->run.seed;
    cl_sg c = {.cfg = cfg, .s = s, .run = r, .T = T, .O = s->n_outputs};
    c.D = data->train->width * data->train->height;
    c.train = calloc((size_t)T, sizeof(sm_dataset *));
    c.test = calloc((size_t)T, sizeof(sm_dataset *));
    c.R = malloc((size_t)(T + 1) * (size_t)T * sizeof *c.R);
    c.R_task = malloc((size_t)(T + 1) * (size_t)T * sizeof *c.R_task);
    c.epochs = json_object();
    sm_status st = SM_OK;
    if (!c.train || !c.test || !c.R || !c.R_task || !c.epochs)
        st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    for (int k = 0; st == SM_OK && k < (T + 1) * T; k++)
        c.R[k] = c.R_task[k] = NAN;
    int max_test = 1;
    int64_t work = 0;
    for (int t = 0; t < T && st == SM_OK; t++) {
        c.train[t] = sm_cl_task_images(s, data->train, t, seed, NULL, err);
        /* NULL comes with err set; SM_EINTERNAL only guards st == SM_OK below */
        if (!c.train[t]) st = err->code != SM_OK ? err->code : SM_EINTERNAL;
        if (st == SM_OK && data->test && data->test->n > 0) {
            c.test[t] = sm_cl_task_images(s, data->test, t, seed, NULL, err);
            if (!c.test[t]) st = err->code;
        }
        if (st == SM_OK) {
            const int nt = c.test[t] ? c.test[t]->n : 0;
            max_test = nt > max_test ? nt : max_test;
            work += (int64_t)c.train[t]->n * cfg->cl.epochs_per_task + (int64_t)(T + 1) * nt;
        }
    }
    if (st == SM_OK) {
        c.counts = malloc((size_t)max_test * (size_t)c.O * sizeof *c.counts);
        if (!c.counts) st = sm_error_set(err, SM_ENOMEM, "continual: out of memory");
    }
    if (st == SM_OK) {
        sm_sgsnn_params p;
        sm_train_sgsnn_params(cfg, data, &p);
        p.n_in = c.D;
        p.n_out = c.O;
        p.epochs = cfg->cl.epochs_per_task;
        c.net = sm_sgsnn_create(&p, err);
        if (!c.net) st = err->code;
    }
    r->prog = (sm_train_progress){"train", 0, work, 0, T, NAN};
    const double t0 = sm_train_now();
    if (st == SM_OK) st = run_stream(&c, err);
    if (st == SM_OK) put_results(&c, cont, sm_train_now() - t0);
    cl_sg_free(&c);
    return st;
}
