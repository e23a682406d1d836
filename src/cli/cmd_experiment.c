/* somnus experiment: list the registered experiments, or run one and write its JSON
 * document plus the CSV tables and PNG figures beside it (somnus/protocol/experiment.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/io/results.h"
#include "somnus/protocol/experiment.h"
#include "blas_record.h"
#include "util.h"

typedef struct experiment_opts {
    cli_common common;
    const char *name, *out, *runs;
    int list, quick, quiet;
    long long jobs;
} experiment_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: somnus experiment --list\n"
            "       somnus experiment NAME [--quick] [--config FILE] [--set group.name=value ...]\n"
            "                         [--seed N] [--jobs N] [--out FILE.json] [--runs DIR]\n"
            "                         [--quiet]\n"
            "\n"
            "Runs a registered experiment (a paper's headline table or figure) and writes\n"
            "{\"experiment\", \"somnus_version\", \"config\", \"results\"} to --out (default\n"
            "NAME.json), with its CSV tables and PNG figures beside it as <stem>-<name>.\n"
            "  --list        one experiment a line: name, then a description\n"
            "  --quick       the reduced version (same code path, under a minute)\n"
            "  --jobs N      runs side by side (experiments that run many; 0 = all cores)\n"
            "  --runs DIR    keep each finished run in DIR (created if missing): the same\n"
            "                command again skips the runs kept there (same config,\n"
            "                somnus version and OpenBLAS core), so a stopped experiment\n"
            "                resumes\n"
            "The experiment's own defaults apply first, then --config, --seed and --set.\n");
}

static int parse(experiment_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        int bad = 0;
        const char *v;
        const int c = cli_common_option(&o->common, argc, argv, &i);
        if (c < 0) return CLI_USAGE;
        if (c > 0) continue;
        if ((v = cli_value("--out", argc, argv, &i, &bad)))
            o->out = v;
        else if (!bad && (v = cli_value("--runs", argc, argv, &i, &bad)))
            o->runs = v;
        else if (!bad && (v = cli_value("--jobs", argc, argv, &i, &bad))) {
            if ((o->jobs = cli_parse_count("--jobs", v)) < 0) return CLI_USAGE;
        } else if (!bad && !strcmp(argv[i], "--list"))
            o->list = 1;
        else if (!bad && !strcmp(argv[i], "--quick"))
            o->quick = 1;
        else if (!bad && !strcmp(argv[i], "--quiet"))
            o->quiet = 1;
        else if (!bad && !strcmp(argv[i], "--help")) {
            usage(stdout);
            return -1;
        } else if (!bad && argv[i][0] != '-' && !o->name)
            o->name = argv[i];
        else if (!bad)
            return cli_fail(CLI_USAGE,
                            "experiment: unexpected argument '%s' (see somnus experiment --help)",
                            argv[i]);
        if (bad) return CLI_USAGE;
    }
    if (!o->list && !o->name)
        return cli_fail(CLI_USAGE, "experiment: give a NAME or --list (see somnus experiment "
                                   "--help)");
    return CLI_OK;
}

static int print_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("  %s\n", line);
    fflush(stdout);
    return 0;
}

/* Splits "dir/stem.json" into its folder and stem. */
static void split_out(const char *out, char *dir, size_t dsize, char *stem, size_t ssize)
{
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    if (slash)
        snprintf(dir, dsize, "%.*s", (int)(slash - out) ? (int)(slash - out) : 1, out);
    else
        snprintf(dir, dsize, ".");
    const char *dot = strrchr(base, '.');
    snprintf(stem, ssize, "%.*s", dot && dot != base ? (int)(dot - base) : (int)strlen(base), base);
}

int cmd_experiment(int argc, char **argv)
{
    experiment_opts o;
    int rc = parse(&o, argc, argv);
    if (rc < 0) return CLI_OK;
    if (rc != CLI_OK) return rc;
    if (o.list) {
        for (size_t i = 0; i < sm_experiment_count(); i++)
            printf("%-24s %s\n", sm_experiment_at(i)->name, sm_experiment_at(i)->description);
        return CLI_OK;
    }
    sm_error err;
    const sm_experiment_def *def = sm_experiment_find(o.name, &err);
    if (!def) return cli_fail(CLI_USAGE, "%s", err.msg);
    sm_config cfg;
    sm_config_default(&cfg);
    if (sm_experiment_apply_defaults(def, o.quick, &cfg, &err) != SM_OK ||
        cli_build_config_on(&o.common, &cfg, &err) != SM_OK)
        return cli_fail(CLI_USAGE, "%s", err.msg);
    char dflt[300], dir[4096], stem[4096];
    snprintf(dflt, sizeof dflt, "%s.json", def->name);
    const char *out = o.out ? o.out : dflt;
    if (strlen(out) > 4000) return cli_fail(CLI_USAGE, "--out: path longer than 4000 characters");
    if (cli_check_writable(out, &err) != SM_OK) return cli_fail(CLI_USAGE, "--out %s", err.msg);
    split_out(out, dir, sizeof dir, stem, sizeof stem);
    if (o.runs && (strlen(o.runs) > 4000 || sm_mkdir_p(o.runs, &err) != SM_OK))
        return cli_fail(CLI_USAGE, "--runs: %s",
                        strlen(o.runs) > 4000 ? "path longer than 4000 characters" : err.msg);
    sm_experiment_ctx ctx = {.cfg = &cfg,
                             .quick = o.quick,
                             .jobs = (int)o.jobs,
                             .out_dir = dir,
                             .out_stem = stem,
                             .log = o.quiet ? NULL : print_line,
                             .runs_dir = o.runs};
    if (!o.quiet) printf("somnus experiment %s%s\n", def->name, o.quick ? " (quick)" : "");
    const double t0 = cli_now();
    json_t *doc = NULL;
    sm_status st = sm_experiment_run(def, &ctx, &doc, &err);
    if (st == SM_OK) {
        json_object_set_new(doc, "wall_s", json_real(cli_now() - t0));
        cli_record_blas(doc);
        st = sm_json_write(out, doc, &err);
    }
    json_decref(doc);
    sm_plot_release_caches(); /* experiments draw figures: cairo/fontconfig caches */
    if (st != SM_OK)
        return cli_fail(st == SM_EINVAL || st == SM_EFORMAT ? CLI_USAGE : CLI_FAIL, "%s", err.msg);
    if (!o.quiet)
        printf("somnus experiment %s: %.1f s; results: %s (tables and figures: %s/%s-*)\n",
               def->name, cli_now() - t0, out, dir, stem);
    return CLI_OK;
}
