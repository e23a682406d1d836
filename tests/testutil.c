#include "testutil.h"

#include <jansson.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "somnus/protocol/train.h"

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/somnus-test-XXXXXX", base ? base : "/tmp") < 0) return NULL;
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

void tu_rmtree(const char *path)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "rm -rf '%s'", path) < 0) return;
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
    free(cmd);
}

int tu_dir_setup(char **dir)
{
    *dir = tu_mkdtemp();
    return *dir ? 0 : -1;
}

int tu_dir_teardown(char **dir)
{
    tu_rmtree(*dir);
    free(*dir);
    *dir = NULL;
    return 0;
}

int tu_state_dir_setup(void **state)
{
    return tu_dir_setup((char **)state);
}

int tu_state_dir_teardown(void **state)
{
    return tu_dir_teardown((char **)state);
}

char *tu_write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0) return NULL;
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        free(path);
        return NULL;
    }
    fwrite(data, 1, len, fp);
    fclose(fp);
    return path;
}

int tu_run(const char *cmdline, char **out)
{
    char *full = NULL;
    if (asprintf(&full, "%s 2>&1", cmdline) < 0) return -1;
    FILE *p = popen(full, "r");
    free(full);
    if (!p) return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tu_require_tool(const char *probe, const char *what, const char *package)
{
    char *out = NULL;
    int rc = tu_run(probe, &out);
    if (rc != 0)
        fail_msg("%s is missing (`%s` exited %d: %s); scripts/install-deps.sh installs "
                 "Debian %s, and `make test` runs it first",
                 what, probe, rc, out ? out : "", package);
    free(out);
}

int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

int tu_cli(const char *dir, const char *args, char **out)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "cd '%s' && %s %s", dir, SOMNUS_CLI, args) < 0) return -1;
    int rc = tu_run(cmd, out);
    free(cmd);
    return rc;
}

void tu_cli_reuses_runs(const char *dir, const char *runs, const char *args)
{
    char path[4096], *out = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, runs);
    const int kept = tu_count_entries(path);
    const int rc = tu_cli(dir, args, &out);
    if (rc != 0) fprintf(stderr, "command: %s\nexit %d, output:\n%s\n", args, rc, out);
    assert_int_equal(rc, 0);
    assert_true(kept > 0);
    assert_int_equal(tu_count_entries(path), kept);
    free(out);
}

void tu_expect_cli_error(const char *dir, const char *args, const char *needle)
{
    char *out = NULL;
    int before = tu_count_entries(dir);
    int rc = tu_cli(dir, args, &out);
    if (rc == 0 || !strstr(out, needle) || !strstr(out, "somnus: error:"))
        fprintf(stderr, "command: %s\nexit %d, output:\n%s\n", args, rc, out);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "somnus: error:"));
    assert_non_null(strstr(out, needle));
    assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* exactly one line */
    assert_int_equal(tu_count_entries(dir), before);
    free(out);
}

/* Big-endian 32-bit words, as IDX headers store them. */
static void put_be32(unsigned char *b, const unsigned *words, int n)
{
    for (int k = 0; k < n; k++)
        for (int j = 0; j < 4; j++)
            b[4 * k + j] = (unsigned char)(words[k] >> (24 - 8 * j));
}

void tu_write_idx_pair(const char *dir, const char *img, const char *lbl, int n, int n_header,
                       int rows, int cols, int n_labels, unsigned magic)
{
    size_t px = (size_t)rows * (size_t)cols, len = 16 + (size_t)n * px;
    unsigned char *b = calloc(len, 1);
    const unsigned hdr[4] = {magic, (unsigned)n_header, (unsigned)rows, (unsigned)cols};
    put_be32(b, hdr, 4);
    for (int i = 0; i < n; i++)
        for (size_t p = 0; p < px; p++) {
            int r = (int)(p / (size_t)cols), c = (int)(p % (size_t)cols);
            int on = i % 2 ? r % 4 < 2 : c % 4 < 2; /* class 1: horizontal, 0: vertical */
            b[16 + (size_t)i * px + p] = (unsigned char)(on ? 200 + (i * 7 + (int)p) % 56 : 0);
        }
    free(tu_write_file(dir, img, b, len));
    unsigned char *l = calloc(8 + (size_t)n_labels, 1);
    const unsigned lh[2] = {0x801, (unsigned)n_labels};
    put_be32(l, lh, 2);
    for (int i = 0; i < n_labels; i++)
        l[8 + i] = (unsigned char)(i % 2);
    free(tu_write_file(dir, lbl, l, 8 + (size_t)n_labels));
    free(b);
    free(l);
}

void tu_expect_train_refused(const struct sm_config *cfg, const char *needle)
{
    sm_train_data d;
    memset(&d, 0, sizeof d);
    assert_int_equal(sm_train_data_load(cfg, &d, NULL), SM_OK);
    json_t *doc = NULL;
    sm_error err;
    assert_int_equal(sm_train_run(cfg, &d, NULL, NULL, &doc, &err), SM_EINVAL);
    sm_train_data_free(&d);
    if (!strstr(err.msg, needle)) fail_msg("'%s' does not name %s", err.msg, needle);
    assert_null(doc);
}
