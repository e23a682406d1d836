/* somnus plot: redraws a sweep's figures (and, with --tables, its tables) from the cell
 * files of its results folder, or a continual or structural-plasticity experiment's
 * figures from its document. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "somnus/analysis/plot.h"
#include "somnus/protocol/continual_figures.h"
#include "somnus/protocol/structure_figures.h"
#include "somnus/protocol/sweep.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: somnus plot DIR [--compare-rate R] [--tables]\n"
                 "       somnus plot FILE.json\n"
                 "  redraws the figures of a sweep (DIR/plots/) from DIR/cells/;\n"
                 "  --compare-rate R   sleep rate drawn against 0 (default: the best)\n"
                 "  --tables           also rewrite runs.csv, final.csv, summary.csv, summary.md\n"
                 "  FILE.json: the document of continual-sleep, continual-sgsnn or continual-safe\n"
                 "  (R heat maps, accuracy along the sequence, ACC/BWT, SAFE's w_S), or of\n"
                 "  sparse-sgsnn or rewire-stdp (accuracy vs sparsity, sparsity over training);\n"
                 "  its figures are drawn beside it as FILE-*.png\n");
}

/* somnus plot FILE.json: a continual or structural experiment's figures next to its
 * document. */
static int plot_document(const char *file)
{
    json_error_t je;
    json_t *doc = json_load_file(file, 0, &je);
    if (!doc) return cli_fail(CLI_USAGE, "%s: not a JSON document (%s)", file, je.text);
    char dir[4096], stem[1024];
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".json")) len -= 5;
    snprintf(stem, sizeof stem, "%.*s", (int)len, base);
    sm_error err;
    int written = 0, rc = CLI_OK;
    const int structural =
        sm_structure_figures_cover(json_string_value(json_object_get(doc, "experiment")));
    if ((structural ? sm_structure_document_figures(doc, dir, stem, &written, &err)
                    : sm_cl_document_figures(doc, dir, stem, &written, &err)) != SM_OK)
        rc = cli_fail(err.code == SM_EINVAL ? CLI_USAGE : CLI_FAIL, "%s: %s", file, err.msg);
    else
        printf("somnus plot: %d figures from %s in %s/%s-*.png\n", written, file, dir, stem);
    sm_plot_release_caches();
    json_decref(doc);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The cell ids: from the manifest DIR/sweep.json (grid order), else every file
 * DIR/cells/<id>.json by name. Also the axes (manifest, else the first cell's params). */
static int list_cells(const char *dir, json_t *ids, json_t *axes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    json_t *man = json_load_file(path, 0, NULL);
    if (man) {
        size_t i;
        json_t *v;
        for (i = 0; i < json_array_size(json_object_get(man, "cells")) &&
                    (v = json_array_get(json_object_get(man, "cells"), i));
             i++)
            json_array_append(ids, v);
        for (i = 0; i < json_array_size(json_object_get(man, "axes")) &&
                    (v = json_array_get(json_object_get(man, "axes"), i));
             i++)
            json_array_append(axes, json_object_get(v, "name"));
        json_decref(man);
        return 0;
    }
    snprintf(path, sizeof path, "%s/cells", dir);
    DIR *d = opendir(path);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) names[n++][len - 5] = '\0';
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t k = 0; k < n; k++) {
        json_array_append_new(ids, json_string(names[k]));
        free(names[k]);
    }
    free(names);
    return 0;
}

int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL;
    int tables = 0;
    sm_sweep_report_opts ro;
    sm_sweep_report_opts_default(&ro);
    for (int i = 1; i < argc; i++) {
        int bad = 0;
        const char *v;
        if ((v = cli_value("--compare-rate", argc, argv, &i, &bad))) {
            char *end;
            ro.compare_rate = strtod(v, &end);
            if (end == v || *end || !isfinite(ro.compare_rate))
                return cli_fail(CLI_USAGE, "--compare-rate: '%s' is not a number", v);
        } else if (bad)
            return CLI_USAGE;
        else if (!strcmp(argv[i], "--tables"))
            tables = 1;
        else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (argv[i][0] == '-' || dir)
            return cli_fail(CLI_USAGE, "plot: unexpected argument '%s' (see somnus plot --help)",
                            argv[i]);
        else
            dir = argv[i];
    }
    if (!dir) return cli_fail(CLI_USAGE, "plot: give the results folder of a sweep");
    struct stat sb;
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (tables || isfinite(ro.compare_rate)) /* the default is NaN: the best rate */
            return cli_fail(CLI_USAGE,
                            "plot %s: --tables and --compare-rate are for sweep "
                            "folders",
                            dir);
        return plot_document(dir);
    }
    json_t *ids = json_array(), *axes = json_array(), *cells = json_array();
    int rc = CLI_OK;
    if (list_cells(dir, ids, axes) != 0)
        rc = cli_fail(CLI_USAGE, "%s: no sweep results here (no sweep.json or cells/)", dir);
    size_t i, missing = 0;
    json_t *id;
    for (i = 0; i < json_array_size(ids) && (id = json_array_get(ids, i)); i++) {
        if (rc != CLI_OK) break;
        char path[4096];
        snprintf(path, sizeof path, "%s/cells/%s.json", dir, json_string_value(id));
        json_error_t je;
        json_t *doc = json_load_file(path, 0, &je);
        if (!doc) {
            missing++; /* not run yet */
            continue;
        }
        if (!json_object_get(doc, "sweep")) {
            json_decref(doc);
            rc = cli_fail(CLI_USAGE, "%s: not a sweep cell (no \"sweep\" object)", path);
            break;
        }
        if (json_array_size(axes) == 0) {
            const char *key;
            for (key = json_object_iter_key(
                     json_object_iter(json_object_get(json_object_get(doc, "sweep"), "params")));
                 key; key = json_object_iter_key(json_object_iter_next(
                          json_object_get(json_object_get(doc, "sweep"), "params"),
                          json_object_key_to_iter(key))))
                json_array_append_new(axes, json_string(key));
        }
        json_array_append_new(cells, doc);
    }
    if (rc == CLI_OK && json_array_size(cells) == 0)
        rc = cli_fail(CLI_USAGE, "%s: no finished cells in %s/cells", dir, dir);
    if (rc == CLI_OK) {
        sm_error err;
        int written = 0;
        if (sm_sweep_report(dir, cells, axes, &ro, SM_SWEEP_PLOTS | (tables ? SM_SWEEP_TABLES : 0),
                            &written, &err) != SM_OK)
            rc = cli_fail(CLI_FAIL, "%s", err.msg);
        else
            printf("somnus plot: %d files from %zu cells%s in %s\n", written,
                   json_array_size(cells),
                   missing ? " (some cells of the grid are not finished)" : "", dir);
        sm_plot_release_caches();
    }
    json_decref(ids);
    json_decref(axes);
    json_decref(cells);
    return rc;
}
