/* somnus summary: one table row per `somnus train` results file (test accuracy, phi,
 * plastic weight sum at the end relative to the start, wall time), as aligned text or
 * Markdown. Reads only; a file that is not a train results file is an error. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: somnus summary [--markdown] RESULTS.json...\n"
                 "  one row per `somnus train` results file: model, dataset, sleep rate, STDP\n"
                 "  sign, test accuracy, phi, plastic weight sum end/start, wall time\n");
}

static double num(json_t *doc, const char *group, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, group), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *text(json_t *doc, const char *group, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_object_get(doc, "config"), group), key);
    return json_is_string(v) ? json_string_value(v) : "?";
}

static double cfg_num(json_t *doc, const char *group, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_object_get(doc, "config"), group), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The dataset's name without folders: "idx:/data/x/img.gz,/data/x/lbl" becomes
 * "idx:img.gz,lbl", "mnist-json:/data/m" "mnist-json:m"; names without a path as given. */
static const char *dataset_label(char *buf, size_t n, const char *name)
{
    const char *colon = strchr(name, ':');
    if (!colon || (strncmp(name, "idx:", 4) != 0 && strncmp(name, "mnist-json:", 11) != 0)) {
        snprintf(buf, n, "%s", name);
        return buf;
    }
    size_t len = (size_t)(colon + 1 - name);
    snprintf(buf, n, "%.*s", (int)len, name);
    for (const char *p = colon + 1; *p && len + 1 < n;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *base = p;
        for (const char *q = p; q < end; q++)
            if (*q == '/' && q + 1 < end) base = q + 1;
        const char *stop = end > base && end[-1] == '/' ? end - 1 : end;
        len += (size_t)snprintf(buf + len, n - len, "%s%.*s", p == colon + 1 ? "" : ",",
                                (int)(stop - base), base);
        if (len >= n) break;
        p = *end ? end + 1 : end;
    }
    return buf;
}

/* "0.852" or "-" for a missing value. */
static const char *fmt(char *buf, size_t n, const char *f, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, f, v);
    return buf;
}

static void row(int md, int first_width, const char *cells[9])
{
    const int W[9] = {-first_width, -6, -10, 6, -13, 9, 6, 11, 7};
    for (int k = 0; k < 9; k++) {
        if (md)
            printf("| %s ", cells[k]);
        else
            printf("%*s%s", W[k], cells[k], k < 8 ? "  " : "");
    }
    puts(md ? "|" : "");
}

int cmd_summary(int argc, char **argv)
{
    int md = 0, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--markdown"))
            md = 1;
        else if (!strcmp(argv[first], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else
            return cli_fail(CLI_USAGE, "summary: unknown option '%s'", argv[first]);
    }
    if (first == argc) return cli_fail(CLI_USAGE, "summary: no results files given");
    json_t *docs[256];
    int n = argc - first;
    if (n > 256) return cli_fail(CLI_USAGE, "summary: at most 256 files");
    for (int k = 0; k < n; k++) {
        json_error_t je;
        docs[k] = json_load_file(argv[first + k], 0, &je);
        const char *why = !docs[k] ? je.text
                          : !json_is_object(json_object_get(docs[k], "final"))
                              ? "not a `somnus train` results file (no \"final\" object)"
                              : NULL;
        if (why) {
            for (int j = 0; j <= k; j++)
                json_decref(docs[j]);
            return cli_fail(CLI_USAGE, "%s: %s", argv[first + k], why);
        }
    }
    const char *head[9] = {"results",  "model", "dataset",    "sleep", "stdp sign",
                           "test acc", "phi",   "wsum end/0", "wall s"};
    int width = 7;
    for (int k = first; k < argc; k++)
        width = (int)strlen(argv[k]) > width ? (int)strlen(argv[k]) : width;
    row(md, width, head);
    if (md) puts("|---|---|---|---:|---|---:|---:|---:|---:|");
    for (int k = 0; k < n; k++) {
        json_t *d = docs[k];
        char b[5][32], ds[512];
        /* A readout that cannot work (QDA with fewer rows per class than components) is
         * marked, and explained under the table. */
        const int warn =
            json_is_string(json_object_get(json_object_get(d, "final"), "readout_warning"));
        const char *model = json_string_value(json_object_get(d, "model"));
        int sg = model && !strcmp(model, "sgsnn");
        const char *cells[9] = {
            argv[first + k],
            model ? model : "?",
            dataset_label(ds, sizeof ds, text(d, "data", "dataset")),
            fmt(b[0], 32, "%.2f", cfg_num(d, "sleep", "rate")),
            sg ? "-" : text(d, "stdp", "sign"),
            fmt(b[1], 32, warn ? "%.3f !" : "%.3f", num(d, "final", "test_accuracy")),
            fmt(b[2], 32, "%.3f", num(d, "final", "test_phi")),
            fmt(b[3], 32, "%.2f", num(d, "final", "plastic_sum_ratio")),
            fmt(b[4], 32, "%.1f", num(d, "timing", "wall_s"))};
        row(md, width, cells);
    }
    for (int k = 0; k < n; k++) {
        const char *w = json_string_value(
            json_object_get(json_object_get(docs[k], "final"), "readout_warning"));
        if (w) printf("%s%s: %s\n", md ? "\n! " : "! ", argv[first + k], w);
        json_decref(docs[k]);
    }
    return CLI_OK;
}
