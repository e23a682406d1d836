/* Shared helpers of the somnus command-line program (util.c), below every subcommand. */
#ifndef SOMNUS_CLI_UTIL_H
#define SOMNUS_CLI_UTIL_H

#include "somnus/core/config.h"
#include "somnus/core/error.h"

/* Exit codes: 0 success, 1 run-time failure, 2 bad usage or input. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "somnus: error: <message>" on stderr and returns `code`. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options every simulating command takes: --config FILE (repeatable), --set k=v
 * (repeatable), --seed N. Config files apply first, then --seed, then --set in order. */
typedef struct cli_common {
    const char *configs[32];
    int n_configs;
    const char *sets[256];
    int n_sets;
    const char *seed;
} cli_common;

/* If argv[*i] is a common option, consumes it (and its value) and returns 1; returns -1
 * after printing an error for a missing value; 0 if not a common option. */
int cli_common_option(cli_common *c, int argc, char **argv, int *i);

/* Builds the configuration: defaults, then files, --seed, --set; then validates. */
sm_status cli_build_config(const cli_common *c, sm_config *cfg, sm_error *err);

/* Like cli_build_config, but starting from *cfg as it is (e.g. an experiment's defaults
 * on top of the table's) instead of the defaults. */
sm_status cli_build_config_on(const cli_common *c, sm_config *cfg, sm_error *err);

/* Value of an option "--name VALUE" or "--name=VALUE" at argv[*i]; NULL if argv[*i] is not
 * that option. Exits via cli_fail on a missing value (sets *bad). */
const char *cli_value(const char *name, int argc, char **argv, int *i, int *bad);

/* Parses a non-negative integer option value; returns -1 on error. */
long long cli_parse_count(const char *option, const char *text);

/* Fails early, before any work, if `path` cannot be created (tries a temp file beside it). */
sm_status cli_check_writable(const char *path, sm_error *err);

/* Monotonic clock in seconds. */
double cli_now(void);

#endif
