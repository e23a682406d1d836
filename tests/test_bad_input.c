/* One table of bad inputs for every reader and option the command line has: each row
 * writes the files it needs, runs one command, and expects a non-zero exit, exactly one
 * "somnus: error:" line containing a given text, and no new file in the directory (no
 * partial output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir;

typedef struct bad_case {
    const char *file;    /* file to write first (NULL = none) */
    const char *content; /* its bytes (text; "" = empty file) */
    size_t len;          /* 0 = strlen(content) */
    const char *args;    /* somnus command line */
    const char *needle;  /* text the error must contain */
} bad_case;

#define IDX_HEAD(n3) "\x00\x00\x08\x03\x00\x00\x00" n3 "\x00\x00\x00\x02\x00\x00\x00\x02"
#define LBL "\x00\x00\x08\x01\x00\x00\x00\x02\x00\x01"

static const bad_case CASES[] = {
    /* options */
    {NULL, NULL, 0, "run --steps -5", "--steps: '-5' is not a non-negative integer"},
    {NULL, NULL, 0, "run --steps 10 --set noise.sigma=nan", "not a finite number"},
    {NULL, NULL, 0, "run --steps 10 --set lif_e.tau_m=inf", "not a finite number"},
    {NULL, NULL, 0, "run --steps 10 --set lif_e.tau_m=1e400", "not a finite number"},
    {NULL, NULL, 0, "run --steps 10 --set net.n_exc=99999999999", "out of range"},
    {NULL, NULL, 0, "run --steps 10 --set net.n_exc=-1", "out of range"},
    {NULL, NULL, 0, "run --steps 10 --set sleep.rate=", "is not a number"},
    {NULL, NULL, 0, "run --steps 10 --set nosuch.param=1", "unknown parameter 'nosuch.param'"},
    {NULL, NULL, 0, "run --steps 10 --set noequals", "is not of the form group.name=value"},
    {NULL, NULL, 0, "run --steps 10 --seed -3", "run.seed"},
    {NULL, NULL, 0, "run --steps 10 --out /proc/r.json", "/proc/r.json"},
    {NULL, NULL, 0, "run --steps 10 --out nodir/r.json", "nodir/r.json"},
    {NULL, NULL, 0, "train --set data.n_train=-4", "out of range"},
    {NULL, NULL, 0, "train --set data.dataset= ", "empty value"},
    {NULL, NULL, 0, "train --checkpoint-every 0", "--checkpoint-every"},
    /* refused by the model after the data are read: no empty checkpoint folder is left */
    {NULL, NULL, 0,
     "train --model dc --data synthetic:60 --set data.n_train=20 --set data.n_val=10 "
     "--set data.n_test=10 --set dc.n_exc=8 --set dc.t_present=20 --set diag.iid=1 "
     "--checkpoint-every 1 --out t.json",
     "diag.iid"},
    {NULL, NULL, 0, "train --out /proc/t.json", "/proc/t.json"},
    {NULL, NULL, 0, "sweep --grid sleep.rate= --out sw", "sleep.rate"},
    {NULL, NULL, 0, "sweep --grid nosuch.x=1,2 --out sw", "nosuch.x"},
    {NULL, NULL, 0, "config --frob", "--frob"},
    /* config files */
    /* (An empty config file sets nothing and an empty spike file is silence: both valid.) */
    {"c.cfg", "=3\n", 0, "run --steps 10 --config c.cfg", "c.cfg:1"},
    {"c.cfg", "lif_e.tau_mm = 3\n", 0, "run --steps 10 --config c.cfg", "c.cfg:1"},
    {"c.cfg", "sleep.rate = nan\n", 0, "run --steps 10 --config c.cfg", "c.cfg:1"},
    {"c.json", "{\"lif_e\": {\"tau_m\": ", 0, "run --steps 10 --config c.json", "invalid JSON"},
    {"c.json", "{\"bogus\": 1}", 0, "run --steps 10 --config c.json", "unknown parameter"},
    {"c.json", "[1, 2]", 0, "run --steps 10 --config c.json", "c.json"},
    {"c.cfg", "\x01\x02\x00\x03", 4, "run --steps 10 --config c.cfg", "binary data"},
    /* spike files */
    {NULL, NULL, 0, "run --steps 10 --input spikes:nofile.csv", "nofile.csv"},
    {"s.csv", "1,2\n-1,3\n", 0, "run --steps 10 --input spikes:s.csv", "s.csv:2"},
    {"s.csv", "1,inf\n", 0, "run --steps 10 --input spikes:s.csv", "not a finite time"},
    {"s.csv", "99999999999,1\n", 0, "run --steps 10 --input spikes:s.csv", "s.csv:1"},
    /* IDX files (2 images of 2 x 2, labels 0, 1 in LBL) */
    {"l", LBL, 10, "train --data idx:empty,l", "empty"},
    {"empty", "", 0, "train --data idx:empty,l", "empty: truncated"},
    {"bad", "\x12\x34\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02zzzzzzzz", 24,
     "train --data idx:bad,l", "not an IDX file"},
    {"short", IDX_HEAD("\x02") "abc", 19, "train --data idx:short,l", "short: truncated"},
    {"huge", IDX_HEAD("\x7f") "abcdabcd", 24, "train --data idx:huge,l", "huge: truncated"},
    {"more", IDX_HEAD("\x03") "abcdabcdabcd", 28, "train --data idx:more,l", "l"},
    /* checkpoints */
    {"ck/checkpoint.smck", "", 0, "train --resume ck", "not a somnus checkpoint"},
    {"ck/checkpoint.smck", "SOMNUSCK\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20,
     "train --resume ck", "checkpoint format 9"},
    {NULL, NULL, 0, "train --resume nock", "nock/checkpoint.smck"},
    /* results files for summary */
    {"r.json", "{}", 0, "summary r.json", "not a `somnus train` results file"},
    {"e.json", "", 0, "summary e.json", "e.json"},
    {"r.json", "{", 0, "summary r.json", "r.json"},
};

static void every_bad_input_fails_cleanly(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const bad_case *c = &CASES[k];
        if (c->file) {
            if (!strncmp(c->file, "ck/", 3)) {
                char sub[600];
                snprintf(sub, sizeof sub, "mkdir -p '%s/ck'", dir);
                char *o = NULL;
                tu_run(sub, &o);
                free(o);
            }
            free(tu_write_file(dir, c->file, c->content, c->len ? c->len : strlen(c->content)));
        }
        int before = tu_count_entries(dir);
        char *out = NULL;
        int rc = tu_cli(dir, c->args, &out);
        const char *first = out ? strstr(out, "somnus: error:") : NULL;
        int one_line = first && first == out && !strchr(strchr(out, '\n') + 1, '\n');
        if (rc == 0 || !first || !one_line || !strstr(out, c->needle) ||
            tu_count_entries(dir) != before) {
            fprintf(stderr, "case %zu: somnus %s\n  exit %d, expected text '%s', output:\n%s\n", k,
                    c->args, rc, c->needle, out ? out : "(none)");
            failures++;
        }
        free(out);
    }
    assert_int_equal(failures, 0);
}

static int setup(void **state)
{
    (void)state;
    return tu_dir_setup(&dir);
}

static int teardown(void **state)
{
    (void)state;
    return tu_dir_teardown(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_bad_input_fails_cleanly),
    };
    return cmocka_run_group_tests_name("bad_input", tests, setup, teardown);
}
