/* somnus: command-line entry point. One file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"
#include "somnus/io/results.h"

typedef struct command {
    const char *name;
    const char *help; /* one or two lines for `somnus --help` */
    int (*fn)(int argc, char **argv);
} command;

static const command COMMANDS[] = {
    {"train",
     "the paper's protocol on images: batches, sleep, evaluations,\n"
     "             test accuracy (any model of train.model)",
     cmd_train},
    {"experiment", "a registered paper experiment in one command (--list shows them)",
     cmd_experiment},
    {"sweep",
     "a grid of train runs (datasets, sleep rates, seeds, any\n"
     "             parameter) in parallel, resumable, with MPI; tables and figures",
     cmd_sweep},
    {"plot", "redraw a sweep's figures from its results folder", cmd_plot},
    {"summary", "a table of test accuracy, phi, weight sums from results files", cmd_summary},
    {"run", "simulate the network on random, silent or spike-file input", cmd_run},
    {"config", "show parameters: --list (table), --show (resolved config as JSON)", cmd_config},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: somnus <command> [options]\n\ncommands:\n");
    for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
        fprintf(out, "  %-11s%s\n", COMMANDS[k].name, COMMANDS[k].help);
    fprintf(out, "  %-11s%s\n", "version", "print the version");
    fprintf(out, "\ncommon options: --config FILE  --set group.name=value  --seed N\n"
                 "`somnus <command> --help` describes a command.\n");
}

void openblas_set_num_threads(int n);

int main(int argc, char **argv)
{
    /* OpenBLAS's result depends on its thread count (blocking changes the order of sums),
     * and the readout's PCA goes through it: one BLAS thread for every command, so that
     * `train` scores a run exactly as `sweep` and `experiment` cells do, on any machine. */
    openblas_set_num_threads(1);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
        if (!strcmp(cmd, COMMANDS[k].name)) return COMMANDS[k].fn(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("somnus %s\n", sm_version());
        return CLI_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    return cli_fail(CLI_USAGE, "unknown command '%s' (see somnus --help)", cmd);
}
