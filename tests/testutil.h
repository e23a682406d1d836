/* Shared helpers for the somnus test programs (cmocka). */
#ifndef SOMNUS_TESTUTIL_H
#define SOMNUS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh temporary directory (under $TMPDIR or /tmp); caller frees the path. */
char *tu_mkdtemp(void);

/* Removes a directory tree created by tu_mkdtemp. */
void tu_rmtree(const char *path);

/* Fixture pair for tests that work in a fresh temporary directory: tu_dir_setup makes it
 * and stores the path in *dir (-1 when it cannot), tu_dir_teardown removes and frees it. */
int tu_dir_setup(char **dir);
int tu_dir_teardown(char **dir);

/* The same pair as cmocka setup/teardown functions: *state holds the directory path. */
int tu_state_dir_setup(void **state);
int tu_state_dir_teardown(void **state);

/* Writes `len` bytes to dir/name and returns the full path (caller frees). */
char *tu_write_file(const char *dir, const char *name, const void *data, size_t len);

/* Runs a shell command line, captures stdout+stderr (caller frees *out), returns the
 * exit status (or -1 if it did not exit normally). */
int tu_run(const char *cmdline, char **out);

/* 1 if the path exists. */
int tu_exists(const char *path);

/* Fails the current test (never skips) unless the shell command `probe` exits 0: for
 * the independent cross-checks (numpy, h5py, h5dump, mpirun) that scripts/install-deps.sh
 * installs. `what` names the tool, `package` the Debian package that provides it. */
void tu_require_tool(const char *probe, const char *what, const char *package);

/* Number of directory entries (excluding . and ..) in dir. */
int tu_count_entries(const char *dir);

/* Runs the somnus program (SOMNUS_CLI) with `args` in directory `dir`; as tu_run. */
int tu_cli(const char *dir, const char *args, char **out);

/* Runs a somnus command in `dir` that must succeed (exit 0) without adding an entry to
 * the kept-runs directory dir/runs: every run it needs is already kept. */
void tu_cli_reuses_runs(const char *dir, const char *runs, const char *args);

/* Runs a somnus command in `dir` that must fail: non-zero exit, exactly one
 * "somnus: error:" line containing `needle`, and no new entry in `dir`. */
void tu_expect_cli_error(const char *dir, const char *args, const char *needle);

/* sm_train_run on `cfg` (its data loaded) must be refused: SM_EINVAL, a message
 * containing `needle`, no document. */
struct sm_config;
void tu_expect_train_refused(const struct sm_config *cfg, const char *needle);

/* Writes dir/img, an IDX image file of n images rows x cols (two classes of stripes:
 * vertical for even i, horizontal for odd) whose header claims n_header images and whose
 * magic is `magic` (0x803 for a valid file), and dir/lbl, an IDX label file of n_labels
 * labels 0, 1, 0, 1, ... */
void tu_write_idx_pair(const char *dir, const char *img, const char *lbl, int n, int n_header,
                       int rows, int cols, int n_labels, unsigned magic);

#define assert_float_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#endif
