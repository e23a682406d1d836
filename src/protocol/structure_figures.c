/* Figures of the structural-plasticity experiments (structure_figures.h). */
#include "somnus/io/results.h"
#include "somnus/protocol/structure_figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/plot.h"

enum { MAX_DATASETS = 8, MAX_CURVE = 4096 };

int sm_structure_figures_cover(const char *experiment)
{
    return experiment &&
           (!strcmp(experiment, "sparse-sgsnn") || !strcmp(experiment, "rewire-stdp"));
}

/* The line labelled `label` in lines[0..*n), added when new; NULL when full. */
static sm_structure_line *line_of(sm_structure_line *lines, int *n, int max, const char *label)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(lines[i].label, label)) return &lines[i];
    if (*n == max) return NULL;
    sm_structure_line *l = &lines[(*n)++];
    memset(l, 0, sizeof *l);
    snprintf(l->label, sizeof l->label, "%s", label);
    return l;
}

static void add_point(sm_structure_line *l, double x, double y, double sd)
{
    if (!l || l->n == SM_STRUCT_FIG_MAX_POINTS) return;
    int k = l->n++;
    for (; k > 0 && l->x[k - 1] > x; k--) { /* insertion keeps the points sorted by x */
        l->x[k] = l->x[k - 1];
        l->y[k] = l->y[k - 1];
        l->sd[k] = l->sd[k - 1];
    }
    l->x[k] = x;
    l->y[k] = y;
    l->sd[k] = sd;
}

/* sparse-sgsnn: frozen and dense are references, every other method a line. */
static int sgsnn_lines(const json_t *cells, const char *dataset, sm_structure_line *lines, int max,
                       double *dense, double *frozen)
{
    int n = 0;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (strcmp(sm_json_get_string(c, "dataset"), dataset) != 0) continue;
        const char *method = sm_json_get_string(c, "method"),
                   *scope = sm_json_get_string(c, "scope");
        const double acc = sm_json_get_number(c, "mean_accuracy"),
                     d = sm_json_get_number(c, "density");
        if (!*method || !isfinite(d)) return -1;
        if (!strcmp(method, "dense")) {
            *dense = acc;
        } else if (!strcmp(method, "frozen")) {
            *frozen = acc;
        } else {
            char label[96];
            snprintf(label, sizeof label, "%s%s%.40s", method, strcmp(scope, "none") ? "/" : "",
                     strcmp(scope, "none") ? scope : "");
            add_point(line_of(lines, &n, max, label), 1 - d, acc,
                      sm_json_get_number(c, "sd_accuracy"));
        }
    }
    return n;
}

/* rewire-stdp: R4's modes as lines from the reference at sparsity 0. */
static int rewire_lines(const json_t *cells, const char *dataset, sm_structure_line *lines, int max,
                        double *dense, double *frozen)
{
    static const char *const MODES[] = {"granet", "gmp", "static"};
    double ref = NAN, ref_sd = NAN;
    int n = 0;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (strcmp(sm_json_get_string(c, "dataset"), dataset) != 0) continue;
        const char *mode = sm_json_get_string(c, "mode");
        const double rate = sm_json_get_number(c, "sleep_rate"),
                     s = sm_json_get_number(c, "final_sparsity");
        if (!*mode || !isfinite(rate)) return -1;
        if (!strcmp(mode, "frozen")) *frozen = sm_json_get_number(c, "mean_accuracy");
        if (fabs(rate - 0.2) > 1e-9) continue;
        if (!strcmp(mode, "none")) {
            ref = sm_json_get_number(c, "mean_accuracy");
            ref_sd = sm_json_get_number(c, "sd_accuracy");
        }
        for (int m = 0; m < 3; m++)
            if (!strcmp(mode, MODES[m])) {
                if (!isfinite(s)) return -1;
                add_point(line_of(lines, &n, max, mode), s, sm_json_get_number(c, "mean_accuracy"),
                          sm_json_get_number(c, "sd_accuracy"));
            }
    }
    *dense = ref;
    for (int l = 0; l < n && isfinite(ref); l++)
        add_point(&lines[l], 0, ref, ref_sd);
    return n;
}

int sm_structure_accuracy_lines(const char *experiment, const json_t *results, const char *dataset,
                                sm_structure_line *lines, int max, double *dense, double *frozen)
{
    const json_t *cells = json_object_get(results, "cells");
    *dense = *frozen = NAN;
    if (!json_is_array(cells) || !sm_structure_figures_cover(experiment)) return -1;
    return !strcmp(experiment, "sparse-sgsnn")
               ? sgsnn_lines(cells, dataset, lines, max, dense, frozen)
               : rewire_lines(cells, dataset, lines, max, dense, frozen);
}

/* name as part of a file name: characters outside [A-Za-z0-9.-] become '_'. */
static void safe_name(const char *name, char *buf, size_t size)
{
    size_t k = 0;
    for (; name[k] && k + 1 < size; k++) {
        const char ch = name[k];
        const int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        buf[k] = ok ? ch : '_';
    }
    buf[k] = '\0';
}

/* The datasets of results.cells in order of first appearance. */
static int datasets_of(const json_t *cells, const char **out)
{
    int n = 0;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        const char *d = sm_json_get_string(c, "dataset");
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = !strcmp(out[k], d);
        if (!seen && *d && n < MAX_DATASETS) out[n++] = d;
    }
    return n;
}

/* Line colours: the palette without black, which the references use. */
static int line_color(int l)
{
    static const int C[] = {SM_PLOT_BLUE,   SM_PLOT_ORANGE, SM_PLOT_GREEN, SM_PLOT_VERMILLION,
                            SM_PLOT_PURPLE, SM_PLOT_SKY,    SM_PLOT_YELLOW};
    return C[l % (int)(sizeof C / sizeof C[0])];
}

/* A dashed horizontal reference at y over [x0, x1]. */
static sm_plot_series hline(const char *label, const double *x, const double *y, int marker)
{
    return (sm_plot_series){.label = label,
                            .x = x,
                            .y = y,
                            .n = 2,
                            .style = SM_PLOT_LINE | (marker ? SM_PLOT_MARKERS : 0),
                            .color = SM_PLOT_BLACK,
                            .marker = marker,
                            .dashed = 1};
}

static sm_status accuracy_figure(const char *experiment, const json_t *results, const char *dataset,
                                 const char *dir, const char *stem, int *written, sm_error *err)
{
    sm_structure_line lines[SM_STRUCT_FIG_MAX_LINES];
    double dense, frozen;
    const int n = sm_structure_accuracy_lines(experiment, results, dataset, lines,
                                              SM_STRUCT_FIG_MAX_LINES, &dense, &frozen);
    if (n < 0)
        return sm_error_set(err, SM_EINVAL, "%s results: a cell of %s lacks its method or sparsity",
                            experiment, dataset);
    const int rewire = !strcmp(experiment, "rewire-stdp");
    if (n == 0) return SM_OK; /* rewire-stdp without R4's arms: nothing to draw */
    sm_plot_series s[SM_STRUCT_FIG_MAX_LINES + 2];
    double x0 = 1, x1 = 0;
    for (int l = 0; l < n; l++) {
        s[l] = (sm_plot_series){.label = lines[l].label,
                                .x = lines[l].x,
                                .y = lines[l].y,
                                .err_lo = lines[l].sd,
                                .n = lines[l].n,
                                .color = line_color(l)};
        for (int k = 0; k < lines[l].n; k++) {
            x0 = lines[l].x[k] < x0 ? lines[l].x[k] : x0;
            x1 = lines[l].x[k] > x1 ? lines[l].x[k] : x1;
        }
    }
    const double xr[2] = {x0, x1}, yd[2] = {dense, dense}, yf[2] = {frozen, frozen};
    int ns = n;
    if (isfinite(dense) && !rewire) s[ns++] = hline("dense", xr, yd, 0);
    if (isfinite(frozen)) s[ns++] = hline("frozen random network", xr, yf, SM_PLOT_SQUARE);
    char part[96], path[4400], title[320];
    safe_name(dataset, part, sizeof part);
    snprintf(path, sizeof path, "%s/%s-accuracy_vs_sparsity-%s.png", dir, stem, part);
    snprintf(title, sizeof title, "%s, %s: test accuracy (mean +- sd over seeds)%s", experiment,
             dataset, rewire ? "; lines start at the reference network" : "");
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = rewire ? "final sparsity of the rewired pathways (share of synapses removed)"
                         : "final sparsity 1 - D_f (share of weights removed)";
    spec.ylabel = "test accuracy";
    spec.ymin = 0;
    spec.ymax = 1;
    spec.legend = SM_PLOT_LEGEND_OUTSIDE;
    const sm_status st = sm_plot_lines(path, &spec, s, ns, err);
    if (st == SM_OK) ++*written;
    return st;
}

/* One curve: x and y columns of a JSON object of arrays, NaN for non-numbers; 0 when
 * absent, of unequal lengths or longer than cap. */
static int read_curve(const json_t *obj, const char *xk, const char *yk, double *x, double *y,
                      size_t cap)
{
    const json_t *xa = json_object_get(obj, xk), *ya = json_object_get(obj, yk);
    const size_t n = json_array_size(xa);
    if (n == 0 || n != json_array_size(ya) || n > cap) return 0;
    for (size_t k = 0; k < n; k++) {
        x[k] =
            json_is_number(json_array_get(xa, k)) ? json_number_value(json_array_get(xa, k)) : NAN;
        y[k] =
            json_is_number(json_array_get(ya, k)) ? json_number_value(json_array_get(ya, k)) : NAN;
    }
    return (int)n;
}

/* Curves drawn on one pair of axes: labels and (x, y) per curve. */
typedef struct curves {
    char label[SM_STRUCT_FIG_MAX_LINES][96];
    double x[SM_STRUCT_FIG_MAX_LINES][MAX_CURVE], y[SM_STRUCT_FIG_MAX_LINES][MAX_CURVE];
    int n[SM_STRUCT_FIG_MAX_LINES], count;
} curves;

static sm_status draw_curves(const curves *cv, const char *path, const char *title,
                             const char *xlabel, int *written, sm_error *err)
{
    if (cv->count == 0) return SM_OK;
    sm_plot_series s[SM_STRUCT_FIG_MAX_LINES];
    for (int l = 0; l < cv->count; l++)
        s[l] = (sm_plot_series){.label = cv->label[l],
                                .x = cv->x[l],
                                .y = cv->y[l],
                                .n = cv->n[l],
                                .color = line_color(l)};
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = xlabel;
    spec.ylabel = "sparsity";
    spec.ymin = 0;
    spec.ymax = 1;
    spec.legend = SM_PLOT_LEGEND_OUTSIDE;
    const sm_status st = sm_plot_lines(path, &spec, s, cv->count, err);
    if (st == SM_OK) ++*written;
    return st;
}

/* sparse-sgsnn: the pruning methods' sparsity over iterations at the lowest density. */
static sm_status sgsnn_sparsity_figure(const json_t *cells, const char *dataset, const char *dir,
                                       const char *stem, int *written, sm_error *err)
{
    double dmin = 1;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (!strcmp(sm_json_get_string(c, "dataset"), dataset) &&
            json_object_get(c, "sparsity_curve") && sm_json_get_number(c, "density") < dmin)
            dmin = sm_json_get_number(c, "density");
    }
    curves *cv = calloc(1, sizeof *cv);
    if (!cv) return sm_error_set(err, SM_ENOMEM, "sparse-sgsnn figures: out of memory");
    json_array_foreach((json_t *)cells, i, c)
    {
        const json_t *curve = json_object_get(c, "sparsity_curve");
        if (strcmp(sm_json_get_string(c, "dataset"), dataset) != 0 || !curve ||
            sm_json_get_number(c, "density") != dmin || cv->count == SM_STRUCT_FIG_MAX_LINES)
            continue;
        const int k = cv->count;
        cv->n[k] = read_curve(curve, "iteration", "sparsity", cv->x[k], cv->y[k], MAX_CURVE);
        if (cv->n[k] == 0) continue;
        const char *scope = sm_json_get_string(c, "scope");
        snprintf(cv->label[k], sizeof cv->label[k], "%.40s%s%.40s", sm_json_get_string(c, "method"),
                 strcmp(scope, "none") ? "/" : "", strcmp(scope, "none") ? scope : "");
        cv->count++;
    }
    char part[96], path[4400], title[320];
    safe_name(dataset, part, sizeof part);
    snprintf(path, sizeof path, "%s/%s-sparsity-%s.png", dir, stem, part);
    snprintf(title, sizeof title, "sparse-sgsnn, %s: sparsity at each mask update, D_f %g (seed 1)",
             dataset, dmin);
    const sm_status st =
        draw_curves(cv, path, title, "training iteration (minibatch)", written, err);
    free(cv);
    return st;
}

/* rewire-stdp: results.events' gmp and granet arms, sparsity over wake steps. */
static sm_status rewire_sparsity_figure(const json_t *events, const char *dir, const char *stem,
                                        int *written, sm_error *err)
{
    curves *cv = calloc(1, sizeof *cv);
    if (!cv) return sm_error_set(err, SM_ENOMEM, "rewire-stdp figures: out of memory");
    const char *key;
    const json_t *ev;
    json_object_foreach((json_t *)events, key, ev)
    {
        if ((strncmp(key, "gmp/", 4) != 0 && strncmp(key, "granet/", 7) != 0) ||
            cv->count == SM_STRUCT_FIG_MAX_LINES)
            continue;
        const int k = cv->count; /* from the whole initial count: sparsity 0 at step 0 */
        cv->n[k] =
            read_curve(ev, "wake_step", "sparsity", cv->x[k] + 1, cv->y[k] + 1, MAX_CURVE - 1);
        if (cv->n[k] == 0) continue;
        cv->x[k][0] = cv->y[k][0] = 0;
        cv->n[k]++;
        snprintf(cv->label[k], sizeof cv->label[k], "%s", key);
        cv->count++;
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/%s-sparsity.png", dir, stem);
    const sm_status st = draw_curves(
        cv, path, "rewire-stdp: sparsity at each structural event (first run of each arm)",
        "wake step", written, err);
    free(cv);
    return st;
}

sm_status sm_structure_figures(const char *experiment, const json_t *results, const char *dir,
                               const char *stem, int *written, sm_error *err)
{
    *written = 0;
    if (!sm_structure_figures_cover(experiment))
        return sm_error_set(
            err, SM_EINVAL, "not the results of sparse-sgsnn or rewire-stdp (experiment %s%s%s)",
            experiment ? "'" : "", experiment ? experiment : "missing", experiment ? "'" : "");
    const json_t *cells = json_object_get(results, "cells");
    if (!json_is_array(cells))
        return sm_error_set(err, SM_EINVAL, "%s document without results.cells", experiment);
    const char *ds[MAX_DATASETS];
    const int nd = datasets_of(cells, ds);
    const int sgsnn = !strcmp(experiment, "sparse-sgsnn");
    sm_status st = SM_OK;
    for (int d = 0; d < nd && st == SM_OK; d++) {
        st = accuracy_figure(experiment, results, ds[d], dir, stem, written, err);
        if (st == SM_OK && sgsnn) st = sgsnn_sparsity_figure(cells, ds[d], dir, stem, written, err);
    }
    const json_t *events = json_object_get(results, "events");
    if (st == SM_OK && !sgsnn && json_is_object(events))
        st = rewire_sparsity_figure(events, dir, stem, written, err);
    return st;
}

sm_status sm_structure_document_figures(const json_t *doc, const char *dir, const char *stem,
                                        int *written, sm_error *err)
{
    return sm_structure_figures(json_string_value(json_object_get(doc, "experiment")),
                                json_object_get(doc, "results"), dir, stem, written, err);
}
