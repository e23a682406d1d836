/* somnus config: the parameter table and the resolved configuration. */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "somnus/io/results.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: somnus config --list | --show [--config FILE] [--set k=v] [--seed N]\n"
                 "  --list   every parameter with default, unit, allowed range, description\n"
                 "  --show   the resolved configuration (defaults + files + --set) as JSON\n");
}

int cmd_config(int argc, char **argv)
{
    cli_common common = {0};
    int list = 0, show = 0;
    for (int i = 1; i < argc; i++) {
        int r = cli_common_option(&common, argc, argv, &i);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--list"))
            list = 1;
        else if (!strcmp(argv[i], "--show"))
            show = 1;
        else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else
            return cli_fail(CLI_USAGE, "config: unknown option '%s'", argv[i]);
    }
    if (!list && !show) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (list) sm_config_print_table(stdout);
    if (show) {
        sm_config cfg;
        sm_error err;
        if (cli_build_config(&common, &cfg, &err) != SM_OK)
            return cli_fail(CLI_USAGE, "%s", err.msg);
        json_t *j = sm_config_to_json(&cfg);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(j);
    }
    return CLI_OK;
}
