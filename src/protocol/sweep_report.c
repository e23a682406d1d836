/* Tables and figures of a sweep, from its cell documents (see include/somnus/sweep.h and
 * docs/sweep.md). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus/analysis/plot.h"
#include "somnus/io/results.h"
#include "somnus/network/net.h"
#include "somnus/protocol/sweep.h"
#include "protocol/continual_plots.h"

void sm_sweep_report_opts_default(sm_sweep_report_opts *o)
{
    o->rate_param = "sleep.rate";
    o->seed_param = "run.seed";
    o->compare_rate = NAN;
}

/* ------------------------------------------------------------------ JSON access */

static double num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : json_is_boolean(v) ? json_is_true(v) : NAN;
}

static const char *param_of(json_t *doc, const char *name)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "sweep"), "params"), name));
    return s ? s : "";
}

static const char *cell_id(json_t *doc)
{
    const char *s = json_string_value(json_object_get(json_object_get(doc, "sweep"), "id"));
    return s ? s : "";
}

static const char *model_of(json_t *doc)
{
    const char *s = json_string_value(json_object_get(doc, "model"));
    return s ? s : "";
}

static double final_num(json_t *doc, const char *key)
{
    return num(json_object_get(json_object_get(doc, "final"), key));
}

/* The per-evaluation table: "evaluations", or for the input/label protocols their per-chunk
 * table "chunks" (so runs.csv has one row per chunk). */
static json_t *eval_table(json_t *doc)
{
    json_t *t = json_object_get(doc, "evaluations");
    return t ? t : json_object_get(doc, "chunks");
}

static size_t eval_rows(json_t *doc)
{
    json_t *tab = eval_table(doc);
    const char *key;
    json_t *col;
    size_t n = 0;
    for (key = json_object_iter_key(json_object_iter(tab));
         key && (col = json_object_iter_value(json_object_key_to_iter(key)));
         key = json_object_iter_key(json_object_iter_next(tab, json_object_key_to_iter(key))))
        if (json_array_size(col) > n) n = json_array_size(col);
    return n;
}

static double eval_num(json_t *doc, const char *col, size_t row)
{
    return num(json_array_get(json_object_get(eval_table(doc), col), row));
}

/* Appends the keys of `obj` (scalars only when `scalars`) that `names` lacks. */
static void union_keys(json_t *names, json_t *obj, int scalars)
{
    const char *key;
    json_t *v;
    for (key = json_object_iter_key(json_object_iter(obj));
         key && (v = json_object_iter_value(json_object_key_to_iter(key)));
         key = json_object_iter_key(json_object_iter_next(obj, json_object_key_to_iter(key)))) {
        if (scalars && (json_is_object(v) || json_is_array(v))) continue;
        size_t i;
        json_t *n;
        int found = 0;
        for (i = 0; i < json_array_size(names) && (n = json_array_get(names, i)); i++)
            if (!strcmp(json_string_value(n), key)) found = 1;
        if (!found) json_array_append_new(names, json_string(key));
    }
}

/* ------------------------------------------------------------------ CSV */

static void csv_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r") && *s != ' ') {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.10g", v);
}

static void csv_value(FILE *f, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        csv_num(f, json_real_value(v));
    else if (json_is_string(v))
        csv_text(f, json_string_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "true" : "false", f);
}

static void csv_axes(FILE *f, json_t *doc, json_t *axes)
{
    size_t i;
    json_t *a;
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++) {
        csv_text(f, param_of(doc, json_string_value(a)));
        fputc(',', f);
    }
    csv_text(f, cell_id(doc));
    fputc(',', f);
    csv_text(f, model_of(doc));
}

static void csv_header(FILE *f, json_t *axes)
{
    size_t i;
    json_t *a;
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++)
        fprintf(f, "%s,", json_string_value(a));
    fputs("cell,model", f);
}

static sm_status open_out(sm_atomic_file *af, const char *dir, const char *name, sm_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return sm_atomic_open(af, path, err);
}

static sm_status write_runs(const char *dir, json_t *cells, json_t *axes, sm_error *err)
{
    json_t *cols = json_array();
    size_t i, k;
    json_t *doc, *c;
    for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++)
        union_keys(cols, eval_table(doc), 0);
    sm_atomic_file af;
    sm_status st = open_out(&af, dir, "runs.csv", err);
    if (st != SM_OK) {
        json_decref(cols);
        return st;
    }
    FILE *f = af.fp;
    csv_header(f, axes);
    for (k = 0; k < json_array_size(cols) && (c = json_array_get(cols, k)); k++)
        fprintf(f, ",%s", json_string_value(c));
    fputs(",test_accuracy,test_phi\n", f);
    for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++) {
        json_t *tab = eval_table(doc);
        const size_t n = eval_rows(doc);
        for (size_t r = 0; r < n; r++) {
            csv_axes(f, doc, axes);
            for (k = 0; k < json_array_size(cols) && (c = json_array_get(cols, k)); k++) {
                fputc(',', f);
                csv_value(f, json_array_get(json_object_get(tab, json_string_value(c)), r));
            }
            fputc(',', f);
            csv_num(f, final_num(doc, "test_accuracy"));
            fputc(',', f);
            csv_num(f, final_num(doc, "test_phi"));
            fputc('\n', f);
        }
    }
    json_decref(cols);
    return sm_atomic_commit(&af, err);
}

/* Rows of one continual accuracy matrix (learner `name`): every defined cell R[i][j-1]
 * as (seed, learner, i, j, accuracy); i = tasks learned (0..T), j = task (1..T). */
static void continual_rows(FILE *f, json_t *doc, json_t *axes, const char *name, json_t *R)
{
    for (size_t i = 0; i < json_array_size(R); i++) {
        json_t *row = json_array_get(R, i);
        for (size_t j = 0; j < json_array_size(row); j++) {
            json_t *v = json_array_get(row, j);
            if (!json_is_number(v)) continue; /* null: undefined (a task not yet seen) */
            csv_axes(f, doc, axes);
            fprintf(f, ",%lld,", (long long)json_integer_value(json_object_get(doc, "seed")));
            csv_text(f, name);
            fprintf(f, ",%zu,%zu,", i, j + 1);
            csv_num(f, json_number_value(v));
            fputc('\n', f);
        }
    }
}

/* continual.csv: R in long form for every continual cell (the reported matrix as learner
 * "reported", then every readout or learner object of `continual` with its own R, the
 * task-IL matrix as "task"). Not written when no cell is a continual run. */
static sm_status write_continual(const char *dir, json_t *cells, json_t *axes, int *count,
                                 sm_error *err)
{
    size_t i;
    json_t *doc;
    int any = 0;
    for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++)
        any |= json_is_array(json_object_get(json_object_get(doc, "continual"), "R"));
    if (!any) return SM_OK;
    sm_atomic_file af;
    sm_status st = open_out(&af, dir, "continual.csv", err);
    if (st != SM_OK) return st;
    FILE *f = af.fp;
    csv_header(f, axes);
    fputs(",seed,learner,i,j,accuracy\n", f);
    for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++) {
        json_t *cont = json_object_get(doc, "continual"), *v;
        const char *key;
        continual_rows(f, doc, axes, "reported", json_object_get(cont, "R"));
        json_object_foreach(cont, key, v)
        {
            if (json_is_object(v) && json_is_array(json_object_get(v, "R")))
                continual_rows(f, doc, axes, key, json_object_get(v, "R"));
        }
    }
    st = sm_atomic_commit(&af, err);
    if (st == SM_OK) (*count)++;
    return st;
}

static const char *const TIMING_COLS[] = {"wall_s", "train_steps_per_s"};

static sm_status write_final(const char *dir, json_t *cells, json_t *axes, sm_error *err)
{
    json_t *fcols = json_array(), *ccols = json_array(), *lcols = json_array();
    size_t i, k;
    json_t *doc, *c;
    for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++) {
        union_keys(fcols, json_object_get(doc, "final"), 1);
        union_keys(ccols, json_object_get(doc, "counters"), 1);
        const char *key;
        for (key = json_object_iter_key(json_object_iter(eval_table(doc))); key;
             key = json_object_iter_key(
                 json_object_iter_next(eval_table(doc), json_object_key_to_iter(key)))) {
            if (strncmp(key, "sum_abs_", 8) != 0 && strcmp(key, "val_accuracy") != 0) continue;
            json_t *tmp = json_object();
            json_object_set_new(tmp, key, json_null());
            union_keys(lcols, tmp, 0);
            json_decref(tmp);
        }
    }
    sm_atomic_file af;
    sm_status st = open_out(&af, dir, "final.csv", err);
    if (st == SM_OK) {
        FILE *f = af.fp;
        csv_header(f, axes);
        for (k = 0; k < json_array_size(fcols) && (c = json_array_get(fcols, k)); k++)
            fprintf(f, ",%s", json_string_value(c));
        for (k = 0; k < json_array_size(lcols) && (c = json_array_get(lcols, k)); k++)
            fprintf(f, ",last_%s", json_string_value(c));
        for (k = 0; k < json_array_size(ccols) && (c = json_array_get(ccols, k)); k++)
            fprintf(f, ",%s", json_string_value(c));
        for (k = 0; k < 2; k++)
            fprintf(f, ",%s", TIMING_COLS[k]);
        fputc('\n', f);
        for (i = 0; i < json_array_size(cells) && (doc = json_array_get(cells, i)); i++) {
            csv_axes(f, doc, axes);
            for (k = 0; k < json_array_size(fcols) && (c = json_array_get(fcols, k)); k++) {
                fputc(',', f);
                csv_value(f, json_object_get(json_object_get(doc, "final"), json_string_value(c)));
            }
            const size_t n = eval_rows(doc);
            for (k = 0; k < json_array_size(lcols) && (c = json_array_get(lcols, k)); k++) {
                fputc(',', f);
                if (n) csv_num(f, eval_num(doc, json_string_value(c), n - 1));
            }
            for (k = 0; k < json_array_size(ccols) && (c = json_array_get(ccols, k)); k++) {
                fputc(',', f);
                csv_value(f,
                          json_object_get(json_object_get(doc, "counters"), json_string_value(c)));
            }
            for (k = 0; k < 2; k++) {
                fputc(',', f);
                csv_value(f, json_object_get(json_object_get(doc, "timing"), TIMING_COLS[k]));
            }
            fputc('\n', f);
        }
        st = sm_atomic_commit(&af, err);
    }
    json_decref(fcols);
    json_decref(ccols);
    json_decref(lcols);
    return st;
}

/* ------------------------------------------------------------------ groups */

/* Cells grouped by the values of every axis except the skipped ones (and by model),
 * in order of first appearance. */
typedef struct group {
    int first;  /* index of the first cell */
    int n;      /* cells */
    int *cells; /* indices into the cells array */
} group;

typedef struct groups {
    int n;
    group *g;
} groups;

static int same_key(json_t *a, json_t *b, json_t *axes, const char *skip1, const char *skip2)
{
    size_t i;
    json_t *ax;
    for (i = 0; i < json_array_size(axes) && (ax = json_array_get(axes, i)); i++) {
        const char *name = json_string_value(ax);
        if ((skip1 && !strcmp(name, skip1)) || (skip2 && !strcmp(name, skip2))) continue;
        if (strcmp(param_of(a, name), param_of(b, name)) != 0) return 0;
    }
    return !strcmp(model_of(a), model_of(b));
}

static int make_groups(json_t *cells, json_t *axes, const char *skip1, const char *skip2,
                       groups *out)
{
    const int n = (int)json_array_size(cells);
    out->n = 0;
    out->g = calloc((size_t)(n ? n : 1), sizeof *out->g);
    if (!out->g) return -1;
    for (int c = 0; c < n; c++) {
        json_t *doc = json_array_get(cells, (size_t)c);
        int k = 0;
        while (k < out->n &&
               !same_key(json_array_get(cells, (size_t)out->g[k].first), doc, axes, skip1, skip2))
            k++;
        if (k == out->n) {
            out->g[k].first = c;
            out->g[k].cells = malloc((size_t)n * sizeof(int));
            if (!out->g[k].cells) return -1;
            out->n++;
        }
        out->g[k].cells[out->g[k].n++] = c;
    }
    return 0;
}

static void free_groups(groups *g)
{
    if (g->g)
        for (int k = 0; k < g->n; k++)
            free(g->g[k].cells);
    free(g->g);
    g->g = NULL;
    g->n = 0;
}

/* Mean and sample sd of the finite values; *n_finite of them. */
static void mean_sd(const double *v, int n, double *mean, double *sd, int *n_finite)
{
    double s = 0;
    int m = 0;
    for (int k = 0; k < n; k++)
        if (isfinite(v[k])) {
            s += v[k];
            m++;
        }
    *mean = m ? s / m : NAN;
    double q = 0;
    for (int k = 0; k < n; k++)
        if (isfinite(v[k])) q += (v[k] - *mean) * (v[k] - *mean);
    *sd = m > 1 ? sqrt(q / (m - 1)) : NAN;
    if (n_finite) *n_finite = m;
}

/* Mean and sd of `key` over the group's cells with a finite value; *n_finite of them
 * (NULL: not wanted). */
static void group_stat(json_t *cells, const group *g, const char *key, double *mean, double *sd,
                       int *n_finite)
{
    double *v = malloc((size_t)(g->n > 0 ? g->n : 1) * sizeof *v);
    if (n_finite) *n_finite = 0;
    if (!v) {
        *mean = *sd = NAN;
        return;
    }
    for (int k = 0; k < g->n; k++) {
        json_t *doc = json_array_get(cells, (size_t)g->cells[k]);
        v[k] = !strcmp(key, "wall_s") ? num(json_object_get(json_object_get(doc, "timing"), key))
                                      : final_num(doc, key);
    }
    mean_sd(v, g->n, mean, sd, n_finite);
    free(v);
}

static const char *const SUMMARY_STATS[] = {"test_accuracy", "test_phi", "plastic_sum_ratio",
                                            "exc_over_w0"};
#define N_SUMMARY_STATS 4

static sm_status write_summary(const char *dir, json_t *cells, json_t *axes,
                               const sm_sweep_report_opts *o, sm_error *err)
{
    groups gs;
    if (make_groups(cells, axes, o->seed_param, NULL, &gs)) {
        free_groups(&gs);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    sm_atomic_file af, am;
    sm_status st = open_out(&af, dir, "summary.csv", err);
    if (st == SM_OK) {
        st = open_out(&am, dir, "summary.md", err);
        if (st != SM_OK) sm_atomic_abort(&af);
    }
    if (st != SM_OK) {
        free_groups(&gs);
        return st;
    }
    FILE *f = af.fp, *m = am.fp;
    size_t i;
    json_t *a;
    int seeded = 0;
    fprintf(m, "# Sweep summary\n\n");
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++) {
        if (!strcmp(json_string_value(a), o->seed_param)) {
            seeded = 1;
            continue;
        }
        fprintf(f, "%s,", json_string_value(a));
    }
    fprintf(f, "model,n");
    for (int s = 0; s < N_SUMMARY_STATS; s++)
        fprintf(f, ",%s_mean,%s_sd", SUMMARY_STATS[s], SUMMARY_STATS[s]);
    fprintf(f, ",wall_s_mean\n");
    fprintf(m,
            "Test accuracy, phi (class separation of the test representations), plastic "
            "weight sum at the end over its start, and the excitatory block sum over its "
            "sleep baseline W0: mean \u00b1 sd over %s per row (n runs). %zu cells.\n\n",
            seeded ? o->seed_param : "the runs", json_array_size(cells));
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++)
        if (strcmp(json_string_value(a), o->seed_param) != 0)
            fprintf(m, "| %s ", json_string_value(a));
    fprintf(m, "| model | n | test accuracy | test phi | plastic sum ratio | exc / W0 |\n");
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++)
        if (strcmp(json_string_value(a), o->seed_param) != 0) fprintf(m, "|---");
    fprintf(m, "|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < gs.n; k++) {
        json_t *doc = json_array_get(cells, (size_t)gs.g[k].first);
        for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++) {
            const char *name = json_string_value(a);
            if (!strcmp(name, o->seed_param)) continue;
            csv_text(f, param_of(doc, name));
            fputc(',', f);
            fprintf(m, "| %s ", param_of(doc, name));
        }
        /* n: the runs with a finite test accuracy (those its mean and sd are over; a
         * failed or undefined score is null in the cell). A statistic over fewer runs
         * says so in summary.md. */
        double mean, sd;
        int n_acc, n_stat;
        group_stat(cells, &gs.g[k], SUMMARY_STATS[0], &mean, &sd, &n_acc);
        csv_text(f, model_of(doc));
        fprintf(f, ",%d", n_acc);
        fprintf(m, "| %s | %d ", model_of(doc), n_acc);
        for (int s = 0; s < N_SUMMARY_STATS; s++) {
            group_stat(cells, &gs.g[k], SUMMARY_STATS[s], &mean, &sd, &n_stat);
            fputc(',', f);
            csv_num(f, mean);
            fputc(',', f);
            csv_num(f, sd);
            if (!isfinite(mean))
                fprintf(m, "| \u2013 ");
            else if (isfinite(sd))
                fprintf(m, "| %.3f \u00b1 %.3f ", mean, sd);
            else
                fprintf(m, "| %.3f ", mean);
            if (isfinite(mean) && n_stat != n_acc) fprintf(m, "(n %d) ", n_stat);
        }
        double wm, wsd;
        group_stat(cells, &gs.g[k], "wall_s", &wm, &wsd, NULL);
        fputc(',', f);
        csv_num(f, wm);
        fputc('\n', f);
        fprintf(m, "|\n");
    }
    free_groups(&gs);
    st = sm_atomic_commit(&af, err);
    if (st == SM_OK)
        st = sm_atomic_commit(&am, err);
    else
        sm_atomic_abort(&am);
    return st;
}

/* ------------------------------------------------------------------ figures */

static double rate_of(json_t *doc, const char *rate_param)
{
    const char *s = param_of(doc, rate_param);
    char *end;
    double v = strtod(s, &end);
    return end != s ? v : NAN;
}

static int has_axis(json_t *axes, const char *name)
{
    size_t i;
    json_t *a;
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++)
        if (!strcmp(json_string_value(a), name)) return 1;
    return 0;
}

/* Legend text of a series group: its values (axes other than seed and rate) and the
 * model when the models differ. */
static void group_label(json_t *cells, json_t *axes, const sm_sweep_report_opts *o, const group *g,
                        int models_differ, char *buf, size_t size)
{
    json_t *doc = json_array_get(cells, (size_t)g->first);
    size_t len = 0, i;
    json_t *a;
    buf[0] = '\0';
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++) {
        const char *name = json_string_value(a);
        if (!strcmp(name, o->seed_param) || !strcmp(name, o->rate_param)) continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", param_of(doc, name));
        if (w < 0 || (size_t)w >= size - len) return;
        len += (size_t)w;
    }
    if (models_differ || len == 0)
        snprintf(buf + len, size - len, "%s%s", len ? ", " : "", model_of(doc));
}

static void file_suffix(const char *label, int n_groups, char *buf, size_t size)
{
    if (n_groups <= 1) {
        buf[0] = '\0';
        return;
    }
    size_t len = 0;
    buf[len++] = '_';
    for (const char *p = label; *p && len + 1 < size && len < 80; p++) {
        const unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '.' || c == '-')
            buf[len++] = (char)c;
        else if (buf[len - 1] != '_')
            buf[len++] = '_';
    }
    while (len > 1 && buf[len - 1] == '_')
        len--;
    buf[len] = '\0';
}

/* Rates of a series group: the summary groups (cells over seeds) inside it, by rate. */
typedef struct rate_set {
    int n;
    double *rate;
    group *cells; /* per rate: the cells (all seeds) */
    double *mean_acc, *sd_acc;
} rate_set;

static void free_rate_set(rate_set *r)
{
    if (r->cells)
        for (int k = 0; k < r->n; k++)
            free(r->cells[k].cells);
    free(r->rate);
    free(r->cells);
    free(r->mean_acc);
    free(r->sd_acc);
    memset(r, 0, sizeof *r);
}

static int make_rate_set(json_t *cells, const group *sg, const char *rate_param, rate_set *r)
{
    const int n = sg->n;
    memset(r, 0, sizeof *r);
    const size_t m = (size_t)(n > 0 ? n : 1);
    r->rate = calloc(m, sizeof *r->rate);
    r->cells = calloc(m, sizeof *r->cells);
    r->mean_acc = calloc(m, sizeof *r->mean_acc);
    r->sd_acc = calloc(m, sizeof *r->sd_acc);
    if (!r->rate || !r->cells || !r->mean_acc || !r->sd_acc) return -1;
    for (int k = 0; k < n; k++) {
        const int c = sg->cells[k];
        const double v = rate_of(json_array_get(cells, (size_t)c), rate_param);
        int j = 0;
        while (j < r->n && !(r->rate[j] == v || (isnan(v) && isnan(r->rate[j]))))
            j++;
        if (j == r->n) {
            r->rate[j] = v;
            r->cells[j].first = c;
            r->cells[j].cells = calloc(m, sizeof(int));
            r->n++;
        }
        if (!r->cells[j].cells) return -1;
        r->cells[j].cells[r->cells[j].n++] = c;
    }
    /* Sort by rate (insertion sort: a handful of values). */
    for (int a = 1; a < r->n; a++)
        for (int b = a; b > 0 && r->rate[b] < r->rate[b - 1]; b--) {
            double t = r->rate[b];
            r->rate[b] = r->rate[b - 1];
            r->rate[b - 1] = t;
            group gt = r->cells[b];
            r->cells[b] = r->cells[b - 1];
            r->cells[b - 1] = gt;
        }
    for (int j = 0; j < r->n; j++)
        group_stat(cells, &r->cells[j], "test_accuracy", &r->mean_acc[j], &r->sd_acc[j], NULL);
    return 0;
}

/* The rates drawn against each other: all when there are at most 4; otherwise 0, the
 * compared rate (opts or best mean test accuracy among the non-zero ones) and the
 * largest. Returns how many indices went to sel (at most 4). *cmp = the compared one. */
static int pick_rates(const rate_set *r, double compare, int *sel, int *cmp)
{
    int best = -1;
    for (int j = 0; j < r->n; j++) {
        if (isfinite(compare)) {
            if (fabs(r->rate[j] - compare) < 1e-9) best = j;
        } else if (r->rate[j] != 0 && isfinite(r->mean_acc[j]) &&
                   (best < 0 || r->mean_acc[j] > r->mean_acc[best]))
            best = j;
    }
    if (best < 0) best = r->n - 1;
    *cmp = best;
    int n = 0;
    if (r->n <= 4) {
        for (int j = 0; j < r->n; j++)
            sel[n++] = j;
        return n;
    }
    if (r->rate[0] == 0 && best != 0) sel[n++] = 0;
    sel[n++] = best;
    if (best != r->n - 1) sel[n++] = r->n - 1;
    return n;
}

static void rate_text(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.6g", v);
}

/* Mean and sd over cells of val_accuracy per evaluation row; x = batch of the first. */
static int batch_curve(json_t *cells, const group *g, double **x, double **y, double **sd)
{
    size_t rows = 0;
    for (int k = 0; k < g->n; k++) {
        size_t r = eval_rows(json_array_get(cells, (size_t)g->cells[k]));
        if (r > rows) rows = r;
    }
    *x = malloc((rows ? rows : 1) * sizeof **x);
    *y = malloc((rows ? rows : 1) * sizeof **y);
    *sd = malloc((rows ? rows : 1) * sizeof **sd);
    double *v = malloc((size_t)(g->n ? g->n : 1) * sizeof *v);
    if (!*x || !*y || !*sd || !v) {
        free(v);
        return -1;
    }
    json_t *first = json_array_get(cells, (size_t)g->first);
    for (size_t r = 0; r < rows; r++) {
        double b = eval_num(first, "batch", r);
        (*x)[r] = isfinite(b) ? b : (double)r;
        for (int k = 0; k < g->n; k++)
            v[k] = eval_num(json_array_get(cells, (size_t)g->cells[k]), "val_accuracy", r);
        mean_sd(v, g->n, &(*y)[r], &(*sd)[r], NULL);
    }
    free(v);
    return (int)rows;
}

/* Plastic weight sum over its start, per monitor record of the training (wake and
 * sleep), with a first point at step 0. */
static int weight_curve(json_t *doc, double **x, double **y)
{
    json_t *mon = json_object_get(doc, "monitor"),
           *net = json_object_get(json_object_get(doc, "config"), "net");
    json_t *w0 = json_object_get(doc, "weights_initial");
    const size_t n = json_array_size(json_object_get(mon, "step"));
    *x = malloc((n + 1) * sizeof **x);
    *y = malloc((n + 1) * sizeof **y);
    if (!*x || !*y) return -1;
    double init = 0;
    int plastic[SM_N_PATHS];
    for (int p = 0; p < SM_N_PATHS; p++) {
        char key[32];
        const char *pn = sm_pathway_name(p);
        snprintf(key, sizeof key, "plastic_%c%c", tolower((unsigned char)pn[0]),
                 tolower((unsigned char)pn[1]));
        json_t *pv = json_object_get(net, key);
        plastic[p] = !pv || json_is_true(pv);
        if (plastic[p]) init += num(json_object_get(json_object_get(w0, pn), "sum_abs"));
    }
    (*x)[0] = 0;
    (*y)[0] = 1;
    size_t m = 1;
    for (size_t r = 0; r < n; r++) {
        /* The final readout's test-phase records (weights frozen) are not training. */
        const char *ph = json_string_value(json_array_get(json_object_get(mon, "phase"), r));
        if (ph && !strcmp(ph, "test")) continue;
        double s = 0;
        for (int p = 0; p < SM_N_PATHS; p++) {
            if (!plastic[p]) continue;
            char key[32];
            snprintf(key, sizeof key, "%s_sum_abs", sm_pathway_name(p));
            s += num(json_array_get(json_object_get(mon, key), r));
        }
        (*x)[m] = num(json_array_get(json_object_get(mon, "step"), r));
        (*y)[m++] = init > 0 ? s / init : NAN;
    }
    return (int)m;
}

/* Sleep episodes as [start, end) steps from the monitor records: each record covers
 * (step - steps, step] and counts its sleep steps; an episode is one contiguous block.
 * A block at the end of a record continues into the next record when that one starts
 * asleep; a block inside a record starts where the wake count reaches a multiple of
 * sleep.period. */
static int sleep_bands(json_t *doc, double **lo, double **hi)
{
    json_t *mon = json_object_get(doc, "monitor");
    json_t *step = json_object_get(mon, "step"), *steps = json_object_get(mon, "steps");
    json_t *slept = json_object_get(mon, "sleep_steps"), *phase = json_object_get(mon, "phase");
    json_t *wake = json_object_get(mon, "wake_steps");
    const double period =
        num(json_object_get(json_object_get(json_object_get(doc, "config"), "sleep"), "period"));
    const size_t n = json_array_size(step);
    *lo = malloc((n ? n : 1) * sizeof **lo);
    *hi = malloc((n ? n : 1) * sizeof **hi);
    if (!*lo || !*hi) return -1;
    int m = 0;
    for (size_t r = 0; r < n; r++) {
        const double s = num(json_array_get(slept, r));
        if (!(s > 0)) continue;
        const double end = num(json_array_get(step, r)), len = num(json_array_get(steps, r));
        const double start = end - len;
        const char *ph = json_string_value(json_array_get(phase, r));
        const char *prev = r ? json_string_value(json_array_get(phase, r - 1)) : NULL;
        double a;
        if (prev && !strcmp(prev, "sleep"))
            a = start;
        else if (ph && !strcmp(ph, "sleep"))
            a = end - s;
        else {
            const double w_prev = r ? num(json_array_get(wake, r - 1)) : 0;
            const double w_now = num(json_array_get(wake, r));
            double before = period > 0 ? ceil(w_prev / period) * period - w_prev : NAN;
            if (!(before >= 0 && before <= w_now - w_prev)) before = (len - s) / 2;
            a = start + before;
        }
        if (m > 0 && a <= (*hi)[m - 1] + 0.5)
            (*hi)[m - 1] = a + s > (*hi)[m - 1] ? a + s : (*hi)[m - 1];
        else {
            (*lo)[m] = a;
            (*hi)[m] = a + s;
            m++;
        }
    }
    return m;
}

static sm_status plot_path(char *buf, size_t size, const char *dir, const char *name,
                           const char *suffix)
{
    snprintf(buf, size, "%s/plots/%s%s.png", dir, name, suffix);
    return SM_OK;
}

static sm_status plot_weights(const char *dir, json_t *doc, int *written, sm_error *err)
{
    char npy[4096], png[4096];
    snprintf(npy, sizeof npy, "%s/cells/%s.se.npy", dir, cell_id(doc));
    FILE *probe = fopen(npy, "rb");
    if (!probe) return SM_OK; /* no weights (SG-SNN, or removed): no figure */
    fclose(probe);
    float *w;
    int rows, cols;
    sm_status st = sm_npy_read_f32(npy, &w, &rows, &cols, err);
    if (st != SM_OK) return st;
    json_t *in = json_object_get(json_object_get(doc, "config"), "input");
    int tw = (int)num(json_object_get(in, "width")), th = (int)num(json_object_get(in, "height"));
    if (tw * th != cols) {
        tw = cols;
        th = 1;
    }
    snprintf(png, sizeof png, "%s/plots/se_weights_%s.png", dir, cell_id(doc));
    char title[512];
    int len = snprintf(title, sizeof title, "S->E weights of the %d E neurons:", rows);
    const char *key;
    json_t *v;
    for (key = json_object_iter_key(
             json_object_iter(json_object_get(json_object_get(doc, "sweep"), "params")));
         key && (v = json_object_iter_value(json_object_key_to_iter(key)));
         key = json_object_iter_key(
             json_object_iter_next(json_object_get(json_object_get(doc, "sweep"), "params"),
                                   json_object_key_to_iter(key)))) {
        if (len < 0 || (size_t)len >= sizeof title) break;
        len += snprintf(title + len, sizeof title - (size_t)len, " %s=%s", key,
                        json_string_value(v) ? json_string_value(v) : "");
    }
    sm_plot_grid_spec g;
    sm_plot_grid_spec_default(&g);
    g.title = title;
    st = sm_plot_image_grid(png, w, rows, tw, th, &g, err);
    free(w);
    if (st == SM_OK) (*written)++;
    return st;
}

/* ------------------------------------------------------------------ continual figures */

/* Tasks of a continual cell (rows of continual.R minus one); 0 if it is not one. */
static int cl_tasks(json_t *doc)
{
    const size_t rows = json_array_size(json_object_get(json_object_get(doc, "continual"), "R"));
    return rows >= 2 && rows <= 101 ? (int)rows - 1 : 0;
}

/* The mean over the group's cells of R[i][j] (the finite values; NaN when none). */
static void cl_mean_R(json_t *cells, const group *g, int T, double *R)
{
    for (int i = 0; i <= T; i++)
        for (int j = 0; j < T; j++) {
            double s = 0;
            int m = 0;
            for (int k = 0; k < g->n; k++) {
                json_t *doc = json_array_get(cells, (size_t)g->cells[k]);
                json_t *R_ = json_object_get(json_object_get(doc, "continual"), "R");
                const double v = num(json_array_get(json_array_get(R_, (size_t)i), (size_t)j));
                if (isfinite(v)) s += v, m++;
            }
            R[(size_t)i * T + j] = m ? s / m : NAN;
        }
}

/* Label of a group of cells that differ by seed only: its axis values but the seed's. */
static void cl_label(json_t *doc, json_t *axes, const char *seed_param, char *buf, size_t size)
{
    size_t len = 0, i;
    json_t *a;
    buf[0] = '\0';
    for (i = 0; i < json_array_size(axes) && (a = json_array_get(axes, i)); i++) {
        const char *name = json_string_value(a);
        if (!strcmp(name, seed_param)) continue;
        const int w =
            snprintf(buf + len, size - len, "%s%s=%s", len ? ", " : "", name, param_of(doc, name));
        if (w < 0 || (size_t)w >= size - len) return;
        len += (size_t)w;
    }
    if (len == 0) snprintf(buf, size, "%s", model_of(doc));
}

/* Continual cells (spec continual.md section 8), per group of cells differing by seed
 * only: the mean R as a heat map (R<suffix>.png) and along the sequence
 * (sequence<suffix>.png); and ACC and BWT of every group, mean +- sd (acc_bwt.png). */
static sm_status plot_continual(const char *dir, json_t *cells, json_t *axes,
                                const sm_sweep_report_opts *o, int *written, sm_error *err)
{
    groups g;
    if (make_groups(cells, axes, o->seed_param, NULL, &g)) {
        free_groups(&g);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    const int n = g.n < 64 ? g.n : 64; /* the ACC/BWT figure's limit */
    char(*labels)[256] = calloc((size_t)(n > 0 ? n : 1), sizeof *labels);
    const char *names[64];
    double m[4][64];
    int nc = 0;
    sm_status st = labels ? SM_OK : sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    for (int k = 0; st == SM_OK && k < n; k++) {
        json_t *first = json_array_get(cells, (size_t)g.g[k].first);
        const int T = cl_tasks(first);
        if (T == 0) continue;
        double *R = malloc((size_t)(T + 1) * T * sizeof *R);
        if (!R) {
            st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
            break;
        }
        cl_mean_R(cells, &g.g[k], T, R);
        cl_label(first, axes, o->seed_param, labels[nc], sizeof labels[nc]);
        char suffix[96], png[4096], title[400];
        file_suffix(labels[nc], g.n, suffix, sizeof suffix);
        plot_path(png, sizeof png, dir, "R", suffix);
        snprintf(title, sizeof title, "R, %s (mean over %d runs)", labels[nc], g.g[k].n);
        st = sm_plot_matrix(png, title, "task j", "after task i", R, T + 1, T, 0, 1, err);
        if (st == SM_OK) (*written)++;
        plot_path(png, sizeof png, dir, "sequence", suffix);
        snprintf(title, sizeof title, "accuracy on each task along the sequence, %s", labels[nc]);
        if (st == SM_OK) st = sm_cl_plot_sequence(png, title, R, T, err);
        if (st == SM_OK) (*written)++;
        free(R);
        names[nc] = labels[nc];
        group_stat(cells, &g.g[k], "acc", &m[0][nc], &m[1][nc], NULL);
        group_stat(cells, &g.g[k], "bwt", &m[2][nc], &m[3][nc], NULL);
        nc++;
    }
    if (st == SM_OK && nc > 0) {
        char png[4096];
        plot_path(png, sizeof png, dir, "acc_bwt", "");
        st = sm_cl_plot_acc_bwt(png, "ACC and BWT per condition", names, m[0], m[1], m[2], m[3], nc,
                                err);
        if (st == SM_OK) (*written)++;
    }
    free(labels);
    free_groups(&g);
    return st;
}

/* The layers (or populations) with a column diag_<layer><suffix> in some cell's table, in
 * order of first appearance; at most `max`. */
static int diag_layers(json_t *cells, const char *suffix, char (*out)[32], int max)
{
    int n = 0;
    const size_t ls = strlen(suffix);
    for (size_t c = 0; c < json_array_size(cells); c++) {
        json_t *tab = eval_table(json_array_get(cells, c));
        const char *key;
        json_t *col;
        json_object_foreach(tab, key, col)
        {
            const size_t lk = strlen(key);
            if (strncmp(key, "diag_", 5) != 0 || lk <= 5 + ls || strcmp(key + lk - ls, suffix) != 0)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)(lk - 5 - ls), key + 5);
            int k = 0;
            while (k < n && strcmp(out[k], name) != 0)
                k++;
            if (k == n && n < max) snprintf(out[n++], sizeof out[0], "%s", name);
        }
    }
    return n;
}

/* Mean and sd over the group's cells of column `col` per row of the per-evaluation (or
 * per-chunk) table; x = the first cell's chunk, else batch, else the row index. */
static int column_curve(json_t *cells, const group *g, const char *col, double *x, double *y,
                        double *sd, double *v, size_t rows)
{
    json_t *first = json_array_get(cells, (size_t)g->first);
    const int chunked = json_object_get(eval_table(first), "chunk") != NULL;
    for (size_t r = 0; r < rows; r++) {
        const double b = eval_num(first, chunked ? "chunk" : "batch", r);
        x[r] = isfinite(b) ? b : (double)r;
        for (int k = 0; k < g->n; k++)
            v[k] = eval_num(json_array_get(cells, (size_t)g->cells[k]), col, r);
        mean_sd(v, g->n, &y[r], &sd[r], NULL);
    }
    return (int)rows;
}

enum { DIAG_MAX_LAYERS = 8 };

/* plots/<file>.png: the loss-of-plasticity diagnostic diag_<layer><suffix> over chunks (or
 * evaluations), one series per layer and group of cells that differ only by seed, mean
 * +- sd over the seeds. Nothing when no cell has the column (diag.iid off, other models). */
static sm_status plot_diag(const char *dir, json_t *cells, json_t *axes,
                           const sm_sweep_report_opts *o, const char *suffix, const char *file,
                           const char *what, int *written, sm_error *err)
{
    char layers[DIAG_MAX_LAYERS][32];
    const int nl = diag_layers(cells, suffix, layers, DIAG_MAX_LAYERS);
    if (nl == 0) return SM_OK;
    groups gs;
    if (make_groups(cells, axes, o->seed_param, NULL, &gs)) {
        free_groups(&gs);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    int models_differ = 0;
    for (size_t i = 1; i < json_array_size(cells); i++)
        models_differ |=
            strcmp(model_of(json_array_get(cells, i)), model_of(json_array_get(cells, 0))) != 0;
    sm_sweep_report_opts lo = *o;
    lo.rate_param = ""; /* a group's label names every axis but the seed */
    const int ns = gs.n * nl;
    sm_plot_series *s = calloc((size_t)ns, sizeof *s);
    char(*lab)[320] = calloc((size_t)ns, sizeof *lab);
    double **buf = calloc((size_t)ns * 3, sizeof *buf);
    double *v = malloc((json_array_size(cells) + 1) * sizeof *v);
    if (!s || !lab || !buf || !v) {
        free(s);
        free(lab);
        free(buf);
        free(v);
        free_groups(&gs);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    sm_status st = SM_OK;
    for (int k = 0; st == SM_OK && k < gs.n; k++) {
        char gl[256];
        group_label(cells, axes, &lo, &gs.g[k], models_differ, gl, sizeof gl);
        size_t rows = 0;
        for (int c = 0; c < gs.g[k].n; c++) {
            const size_t r = eval_rows(json_array_get(cells, (size_t)gs.g[k].cells[c]));
            if (r > rows) rows = r;
        }
        for (int l = 0; st == SM_OK && l < nl; l++) {
            const size_t i = (size_t)k * nl + l;
            char col[64];
            snprintf(col, sizeof col, "diag_%s%s", layers[l], suffix);
            for (int q = 0; q < 3; q++)
                buf[3 * i + q] = malloc((rows ? rows : 1) * sizeof(double));
            if (!buf[3 * i] || !buf[3 * i + 1] || !buf[3 * i + 2]) {
                st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
                break;
            }
            const int n = column_curve(cells, &gs.g[k], col, buf[3 * i], buf[3 * i + 1],
                                       buf[3 * i + 2], v, rows);
            snprintf(lab[i], sizeof lab[i], "%s%s%s", gl, gl[0] ? ", " : "", layers[l]);
            s[i] = (sm_plot_series){.label = lab[i],
                                    .x = buf[3 * i],
                                    .y = buf[3 * i + 1],
                                    .err_lo = buf[3 * i + 2],
                                    .n = n,
                                    .style = SM_PLOT_LINE | SM_PLOT_BAND |
                                             (n <= 30 ? SM_PLOT_MARKERS : 0),
                                    .dashed = l > 0};
        }
    }
    if (st == SM_OK) {
        size_t chunked = 0; /* cells with a per-chunk table (protocols) */
        for (size_t c = 0; c < json_array_size(cells); c++)
            chunked += json_object_get(eval_table(json_array_get(cells, c)), "chunk") != NULL;
        const int all = chunked == json_array_size(cells), none = chunked == 0;
        char title[256], path[4096];
        snprintf(title, sizeof title, "%s per %s (mean \u00b1 sd over seeds)", what,
                 all    ? "chunk"
                 : none ? "evaluation"
                        : "chunk or evaluation");
        sm_plot_spec spec;
        sm_plot_spec_default(&spec);
        spec.title = title;
        spec.xlabel = all ? "chunk" : none ? "batch" : "chunk (protocols), batch (i.i.d. runs)";
        spec.ylabel = what;
        plot_path(path, sizeof path, dir, file, "");
        st = sm_plot_lines(path, &spec, s, ns, err);
        if (st == SM_OK) (*written)++;
    }
    for (size_t i = 0; i < 3 * (size_t)ns; i++)
        free(buf[i]);
    free(buf);
    free(v);
    free(lab);
    free(s);
    free_groups(&gs);
    return st;
}

static sm_status write_plots(const char *dir, json_t *cells, json_t *axes,
                             const sm_sweep_report_opts *o, int *written, sm_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/plots", dir);
    sm_status st = sm_mkdir_p(path, err);
    if (st != SM_OK) return st;
    const int with_rate = has_axis(axes, o->rate_param);
    groups sg;
    if (make_groups(cells, axes, o->seed_param, o->rate_param, &sg)) {
        free_groups(&sg);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    int models_differ = 0;
    for (size_t i = 1; i < json_array_size(cells); i++)
        models_differ |=
            strcmp(model_of(json_array_get(cells, i)), model_of(json_array_get(cells, 0))) != 0;
    rate_set *rs = calloc((size_t)(sg.n ? sg.n : 1), sizeof *rs);
    char(*labels)[256] = calloc((size_t)(sg.n ? sg.n : 1), sizeof *labels);
    if (!rs || !labels) {
        free(rs);
        free(labels);
        free_groups(&sg);
        return sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
    }
    for (int k = 0; st == SM_OK && k < sg.n; k++) {
        if (make_rate_set(cells, &sg.g[k], o->rate_param, &rs[k]))
            st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
        group_label(cells, axes, o, &sg.g[k], models_differ, labels[k], sizeof labels[k]);
    }

    /* 1. Test accuracy vs sleep rate, one series per group, error bars = sd over seeds. */
    if (st == SM_OK && with_rate) {
        sm_plot_series *s = calloc((size_t)(sg.n > 0 ? sg.n : 1), sizeof *s);
        if (!s) st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
        for (int k = 0; st == SM_OK && k < sg.n; k++)
            s[k] = (sm_plot_series){.label = labels[k],
                                    .x = rs[k].rate,
                                    .y = rs[k].mean_acc,
                                    .err_lo = rs[k].sd_acc,
                                    .n = rs[k].n};
        if (st == SM_OK) {
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            spec.title = "Test accuracy vs sleep rate (mean \u00b1 sd over seeds)";
            spec.xlabel = o->rate_param;
            spec.ylabel = "test accuracy";
            plot_path(path, sizeof path, dir, "accuracy_vs_sleep_rate", "");
            st = sm_plot_lines(path, &spec, s, sg.n, err);
            if (st == SM_OK) (*written)++;
        }
        free(s);
    }

    for (int k = 0; st == SM_OK && k < sg.n; k++) {
        char suffix[128], title[512];
        file_suffix(labels[k], sg.n, suffix, sizeof suffix);
        int sel[4], cmp, n_sel;
        group whole = sg.g[k];
        if (with_rate) {
            n_sel = pick_rates(&rs[k], o->compare_rate, sel, &cmp);
        } else {
            n_sel = 1;
            sel[0] = cmp = 0;
        }
        /* 2. Validation accuracy over batches, mean +- sd over seeds. */
        sm_plot_series s[4];
        double *bx[4] = {0}, *by[4] = {0}, *bsd[4] = {0};
        char lab[4][64];
        int ns = 0;
        for (int j = 0; j < n_sel && st == SM_OK; j++) {
            const group *g = with_rate ? &rs[k].cells[sel[j]] : &whole;
            int n = batch_curve(cells, g, &bx[j], &by[j], &bsd[j]);
            if (n < 0) {
                st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
                break;
            }
            if (with_rate) {
                char rt[32];
                rate_text(rs[k].rate[sel[j]], rt, sizeof rt);
                snprintf(lab[j], sizeof lab[j], "sleep %s%s", rt,
                         sel[j] == cmp && !isfinite(o->compare_rate) && rs[k].n > 4 ? " (best)"
                                                                                    : "");
            } else
                snprintf(lab[j], sizeof lab[j], "mean of %d runs", g->n);
            s[ns++] = (sm_plot_series){.label = lab[j],
                                       .x = bx[j],
                                       .y = by[j],
                                       .err_lo = bsd[j],
                                       .n = n,
                                       .style = SM_PLOT_LINE | SM_PLOT_BAND |
                                                (n <= 30 ? SM_PLOT_MARKERS : 0),
                                       .dashed = with_rate && rs[k].rate[sel[j]] == 0};
        }
        if (st == SM_OK && ns > 0 && s[0].n > 0) {
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            snprintf(title, sizeof title,
                     "Validation accuracy over training%s%s (mean \u00b1 sd over seeds)",
                     labels[k][0] ? ": " : "", labels[k]);
            spec.title = title;
            spec.xlabel = "batch";
            spec.ylabel = "validation accuracy";
            plot_path(path, sizeof path, dir, "accuracy_over_batches", suffix);
            st = sm_plot_lines(path, &spec, s, ns, err);
            if (st == SM_OK) (*written)++;
        }
        for (int j = 0; j < 4; j++) {
            free(bx[j]);
            free(by[j]);
            free(bsd[j]);
        }
        /* 3. Plastic weight sum over time for the first seed: no sleep vs the compared
         * rate, the latter's sleep episodes shaded. 4. Their S->E weights. */
        int pick[2], np = 0;
        if (with_rate) {
            if (rs[k].rate[0] == 0 && cmp != 0) pick[np++] = rs[k].cells[0].first;
            pick[np++] = rs[k].cells[cmp].first;
        } else
            pick[np++] = whole.first;
        double *wx[2] = {0}, *wy[2] = {0}, *blo = NULL, *bhi = NULL;
        sm_plot_series ws[2];
        char wl[2][64];
        int nb = 0;
        for (int j = 0; j < np && st == SM_OK; j++) {
            json_t *doc = json_array_get(cells, (size_t)pick[j]);
            int n = weight_curve(doc, &wx[j], &wy[j]);
            if (n < 0) st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
            if (j == np - 1 && st == SM_OK) {
                nb = sleep_bands(doc, &blo, &bhi);
                if (nb < 0) st = sm_error_set(err, SM_ENOMEM, "sweep: out of memory");
            }
            if (with_rate) {
                char rt[32];
                rate_text(rate_of(doc, o->rate_param), rt, sizeof rt);
                snprintf(wl[j], sizeof wl[j], "sleep %s", rt);
            } else
                snprintf(wl[j], sizeof wl[j], "%s", "plastic sum");
            ws[j] = (sm_plot_series){.label = wl[j],
                                     .x = wx[j],
                                     .y = wy[j],
                                     .n = n,
                                     .style = SM_PLOT_LINE,
                                     .dashed = np == 2 && j == 0};
        }
        if (st == SM_OK) {
            sm_plot_spec spec;
            sm_plot_spec_default(&spec);
            json_t *first = json_array_get(cells, (size_t)pick[0]);
            snprintf(title, sizeof title, "Plastic weight sum / start%s%s, %s %s",
                     labels[k][0] ? ": " : "", labels[k], o->seed_param,
                     param_of(first, o->seed_param)[0] ? param_of(first, o->seed_param) : "-");
            spec.title = title;
            spec.xlabel = "simulation step";
            spec.ylabel = "plastic weight sum / start";
            spec.band_start = blo;
            spec.band_end = bhi;
            spec.n_bands = nb;
            spec.band_label = nb ? "sleep" : NULL;
            plot_path(path, sizeof path, dir, "weight_sum", suffix);
            st = sm_plot_lines(path, &spec, ws, np, err);
            if (st == SM_OK) (*written)++;
        }
        for (int j = 0; j < 2; j++) {
            free(wx[j]);
            free(wy[j]);
        }
        free(blo);
        free(bhi);
        for (int j = 0; j < np && st == SM_OK; j++)
            st = plot_weights(dir, json_array_get(cells, (size_t)pick[j]), written, err);
    }
    if (st == SM_OK) st = plot_continual(dir, cells, axes, o, written, err);
    /* 5. Loss-of-plasticity diagnostics (protocol runs, or train runs with diag.iid). */
    if (st == SM_OK)
        st = plot_diag(dir, cells, axes, o, "_dormant_0.1", "dormant",
                       "dormant fraction (tau = 0.1)", written, err);
    if (st == SM_OK)
        st =
            plot_diag(dir, cells, axes, o, "_srank_frac", "srank", "srank / neurons", written, err);
    if (rs)
        for (int k = 0; k < sg.n; k++)
            free_rate_set(&rs[k]);
    free(rs);
    free(labels);
    free_groups(&sg);
    return st;
}

sm_status sm_sweep_report(const char *dir, json_t *cells, json_t *axes,
                          const sm_sweep_report_opts *opts, int what, int *written, sm_error *err)
{
    sm_sweep_report_opts def;
    if (!opts) {
        sm_sweep_report_opts_default(&def);
        opts = &def;
    }
    int count = 0;
    sm_status st = SM_OK;
    if (!json_is_array(cells) || !json_is_array(axes))
        return sm_error_set(err, SM_EINVAL, "sweep report: cells and axes must be arrays");
    if (what & SM_SWEEP_TABLES) {
        st = write_runs(dir, cells, axes, err);
        if (st == SM_OK) st = write_final(dir, cells, axes, err);
        if (st == SM_OK) st = write_summary(dir, cells, axes, opts, err);
        if (st == SM_OK) count += 4;
        if (st == SM_OK) st = write_continual(dir, cells, axes, &count, err);
    }
    if (st == SM_OK && (what & SM_SWEEP_PLOTS) && json_array_size(cells) > 0)
        st = write_plots(dir, cells, axes, opts, &count, err);
    if (written) *written = count;
    return st;
}
