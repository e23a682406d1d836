/* Figures of a continual experiment from its results document (continual_figures.h). */
#include "somnus/protocol/continual_figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/plot.h"
#include "protocol/continual_plots.h"

enum { MAX_T = 64, MAX_CONDITIONS = 64 };

/* key as part of a file name: '/' -> '-', anything outside [A-Za-z0-9.-] -> '_'. */
static void file_part(const char *key, char *buf, size_t size)
{
    size_t k = 0;
    for (; key[k] && k + 1 < size; k++) {
        const char ch = key[k];
        const int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        buf[k] = ch == '/' ? '-' : keep ? ch : '_';
    }
    buf[k] = '\0';
}

static double number_or_nan(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* R (rows x T, row-major, NaN for null) from a JSON array of rows; T from its last row.
 * 0 on success. */
static int read_R(const json_t *a, double *R, int *rows, int *T)
{
    const size_t nr = json_array_size(a);
    const size_t nc = nr ? json_array_size(json_array_get(a, nr - 1)) : 0;
    if (nr < 2 || nc < 1 || nc > MAX_T || nr != nc + 1) return -1;
    for (size_t i = 0; i < nr; i++) {
        const json_t *row = json_array_get(a, i);
        if (json_array_size(row) != nc) return -1;
        for (size_t j = 0; j < nc; j++)
            R[i * nc + j] = number_or_nan(json_array_get(row, j));
    }
    *rows = (int)nr;
    *T = (int)nc;
    return 0;
}

/* The heat map and the along-the-sequence figure of every key of results.R. */
static sm_status draw_R(const char *exp, const json_t *Rs, const char *dir, const char *stem,
                        int *written, sm_error *err)
{
    const char *key;
    const json_t *v;
    double R[(MAX_T + 1) * MAX_T];
    json_object_foreach((json_t *)Rs, key, v)
    {
        int rows, T;
        if (read_R(v, R, &rows, &T) != 0)
            return sm_error_set(err, SM_EINVAL,
                                "results.R[\"%s\"]: not a (T+1) x T matrix with T in 1..%d", key,
                                MAX_T);
        char part[160], path[4400], title[400];
        file_part(key, part, sizeof part);
        snprintf(path, sizeof path, "%s/%s-R-%s.png", dir, stem, part);
        snprintf(title, sizeof title, "R, %s %s (row i: after task i; column j: task j)", exp, key);
        sm_status st = sm_plot_matrix(path, title, "task j", "after task i", R, rows, T, 0, 1, err);
        if (st != SM_OK) return st;
        snprintf(path, sizeof path, "%s/%s-sequence-%s.png", dir, stem, part);
        snprintf(title, sizeof title, "%s %s: accuracy on each task along the sequence", exp, key);
        st = sm_cl_plot_sequence(path, title, R, T, err);
        if (st != SM_OK) return st;
        *written += 2;
    }
    return SM_OK;
}

/* ACC and BWT of one stream's class-IL conditions. */
static sm_status draw_acc_bwt(const char *exp, const json_t *conds, const char *stream,
                              const char *dir, const char *stem, int *written, sm_error *err)
{
    const char *names[MAX_CONDITIONS];
    double m[4][MAX_CONDITIONS];
    int n = 0;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)conds, i, c)
    {
        const char *s = json_string_value(json_object_get(c, "stream"));
        const char *sc = json_string_value(json_object_get(c, "scenario"));
        const char *name = json_string_value(json_object_get(c, "condition"));
        if (!s || !name || strcmp(s, stream) != 0 || (sc && strcmp(sc, "class") != 0)) continue;
        if (n == MAX_CONDITIONS) break;
        names[n] = name;
        m[0][n] = number_or_nan(json_object_get(c, "acc"));
        m[1][n] = number_or_nan(json_object_get(c, "acc_sd"));
        m[2][n] = number_or_nan(json_object_get(c, "bwt"));
        m[3][n++] = number_or_nan(json_object_get(c, "bwt_sd"));
    }
    if (n == 0) return SM_OK;
    char part[160], path[4400], title[400];
    file_part(stream, part, sizeof part);
    snprintf(path, sizeof path, "%s/%s-acc_bwt-%s.png", dir, stem, part);
    snprintf(title, sizeof title, "%s on %s: ACC and BWT per condition", exp, stream);
    const sm_status st = sm_cl_plot_acc_bwt(path, title, names, m[0], m[1], m[2], m[3], n, err);
    if (st == SM_OK) ++*written;
    return st;
}

/* SAFE's w_S per task from results.targets[stream].w_slow_per_task (means only). */
static sm_status draw_w_slow(const char *exp, const json_t *targets, const char *stream,
                             const char *dir, const char *stem, int *written, sm_error *err)
{
    const json_t *w = json_object_get(json_object_get(targets, stream), "w_slow_per_task");
    const int T = (int)json_array_size(w);
    if (T < 1 || T > MAX_T) return SM_OK;
    double mean[MAX_T], sd[MAX_T];
    for (int j = 0; j < T; j++) {
        mean[j] = number_or_nan(json_array_get(w, (size_t)j));
        sd[j] = NAN;
    }
    char part[160], path[4400], title[400];
    file_part(stream, part, sizeof part);
    snprintf(path, sizeof path, "%s/%s-w_slow-%s.png", dir, stem, part);
    snprintf(title, sizeof title,
             "%s on %s: mean slow-learner weight w_S per task's classes after the last session",
             exp, stream);
    const sm_status st = sm_cl_plot_w_slow(path, title, mean, sd, T, err);
    if (st == SM_OK) ++*written;
    return st;
}

sm_status sm_cl_document_figures(const json_t *doc, const char *dir, const char *stem, int *written,
                                 sm_error *err)
{
    *written = 0;
    const char *exp = json_string_value(json_object_get(doc, "experiment"));
    if (!exp || (strcmp(exp, "continual-sleep") != 0 && strcmp(exp, "continual-sgsnn") != 0 &&
                 strcmp(exp, "continual-safe") != 0))
        return sm_error_set(err, SM_EINVAL,
                            "not the document of a continual experiment (\"experiment\" is %s%s%s; "
                            "continual-sleep, continual-sgsnn or continual-safe)",
                            exp ? "'" : "", exp ? exp : "missing", exp ? "'" : "");
    const json_t *res = json_object_get(doc, "results");
    const json_t *Rs = json_object_get(res, "R"), *conds = json_object_get(res, "conditions");
    if (!json_is_object(Rs) || !json_is_array(conds))
        return sm_error_set(err, SM_EINVAL,
                            "%s document without results.R and "
                            "results.conditions",
                            exp);
    sm_status st = draw_R(exp, Rs, dir, stem, written, err);
    /* one ACC/BWT figure per stream, in the order the conditions name them */
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)conds, i, c)
    {
        const char *s = json_string_value(json_object_get(c, "stream"));
        int first = s != NULL;
        for (size_t k = 0; first && k < i; k++)
            first = !json_equal(json_object_get(json_array_get(conds, k), "stream"),
                                json_object_get(c, "stream"));
        if (st != SM_OK || !first) continue;
        st = draw_acc_bwt(exp, conds, s, dir, stem, written, err);
        if (st == SM_OK && !strcmp(exp, "continual-safe"))
            st = draw_w_slow(exp, json_object_get(res, "targets"), s, dir, stem, written, err);
    }
    return st;
}
