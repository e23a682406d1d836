/* Helpers every subcommand shares: errors, option values, the config from --config,
 * --seed and --set, output checks, the clock. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/core/fileio.h"

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("somnus: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

const char *cli_value(const char *name, int argc, char **argv, int *i, int *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        cli_fail(CLI_USAGE, "option %s needs a value", name);
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

int cli_common_option(cli_common *c, int argc, char **argv, int *i)
{
    int bad = 0;
    const char *v;
    if ((v = cli_value("--config", argc, argv, i, &bad))) {
        if (c->n_configs == 32) return cli_fail(-1, "too many --config options"), -1;
        c->configs[c->n_configs++] = v;
        return 1;
    }
    if (!bad && (v = cli_value("--set", argc, argv, i, &bad))) {
        if (c->n_sets == 256) return cli_fail(-1, "too many --set options"), -1;
        c->sets[c->n_sets++] = v;
        return 1;
    }
    if (!bad && (v = cli_value("--seed", argc, argv, i, &bad))) {
        c->seed = v;
        return 1;
    }
    return bad ? -1 : 0;
}

sm_status cli_build_config(const cli_common *c, sm_config *cfg, sm_error *err)
{
    sm_config_default(cfg);
    return cli_build_config_on(c, cfg, err);
}

sm_status cli_build_config_on(const cli_common *c, sm_config *cfg, sm_error *err)
{
    for (int k = 0; k < c->n_configs; k++) {
        sm_status st = sm_config_load(cfg, c->configs[k], err);
        if (st != SM_OK) return st;
    }
    if (c->seed) {
        sm_status st = sm_config_set(cfg, "run.seed", c->seed, "--seed", err);
        if (st != SM_OK) return st;
    }
    for (int k = 0; k < c->n_sets; k++) {
        sm_status st = sm_config_set_assignment(cfg, c->sets[k], "--set", err);
        if (st != SM_OK) return st;
    }
    return sm_config_validate(cfg, err);
}

long long cli_parse_count(const char *option, const char *text)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || v < 0) {
        cli_fail(CLI_USAGE, "%s: '%s' is not a non-negative integer", option, text);
        return -1;
    }
    return v;
}

sm_status cli_check_writable(const char *path, sm_error *err)
{
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st == SM_OK) sm_atomic_abort(&f);
    return st;
}

double cli_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
