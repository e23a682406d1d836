/* Tests of `somnus plot FILE.json` for continual experiments (continual_figures.h): a
 * hand-made document's figures, the heat map byte for byte against sm_plot_matrix drawn
 * here with the documented title, the files named from the keys, and the refusals. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/plot.h"
#include "somnus/protocol/continual_figures.h"

/* Two tasks, conditions "a/b" (keys with a slash) and "c"; SAFE's w_S per task. */
static const char *DOC =
    "{\"experiment\": \"continual-safe\", \"results\": {"
    "\"R\": {\"s/a\": [[null, null], [0.9, null], [0.7, 0.8]],"
    "        \"s/c\": [[null, null], [1.0, null], [0.5, 0.95]]},"
    "\"conditions\": ["
    " {\"stream\": \"s\", \"scenario\": \"class\", \"condition\": \"a\", \"acc\": 0.75,"
    "  \"acc_sd\": 0.02, \"bwt\": -0.2, \"bwt_sd\": 0.01},"
    " {\"stream\": \"s\", \"scenario\": \"class\", \"condition\": \"c\", \"acc\": 0.725,"
    "  \"acc_sd\": null, \"bwt\": -0.5, \"bwt_sd\": null},"
    " {\"stream\": \"s\", \"scenario\": \"task\", \"condition\": \"a\", \"acc\": 0.9,"
    "  \"acc_sd\": 0.0, \"bwt\": 0.0, \"bwt_sd\": 0.0}],"
    "\"targets\": {\"s\": {\"w_slow_per_task\": [0.6, 0.4]}}}}";

static unsigned char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)*len);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void figures_of_a_hand_made_document(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    json_t *doc = json_loads(DOC, 0, NULL);
    assert_non_null(doc);
    sm_error err = {0};
    int written = -1;
    if (sm_cl_document_figures(doc, dir, "x", &written, &err) != SM_OK) fail_msg("%s", err.msg);
    assert_int_equal(written, 2 * 2 + 1 + 1); /* 2 keys x (R, sequence), acc_bwt, w_slow */
    const char *files[] = {"x-R-s-a.png",        "x-sequence-s-a.png", "x-R-s-c.png",
                           "x-sequence-s-c.png", "x-acc_bwt-s.png",    "x-w_slow-s.png"};
    char path[4200];
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        if (!tu_exists(path)) fail_msg("%s was not written", files[k]);
    }
    /* the heat map of "s/a" is sm_plot_matrix of the document's R, nulls as NaN */
    const double R[6] = {NAN, NAN, 0.9, NAN, 0.7, 0.8};
    char ref[4200];
    snprintf(ref, sizeof ref, "%s/ref.png", dir);
    assert_int_equal(sm_plot_matrix(ref,
                                    "R, continual-safe s/a (row i: after task i; column j: "
                                    "task j)",
                                    "task j", "after task i", R, 3, 2, 0, 1, &err),
                     SM_OK);
    snprintf(path, sizeof path, "%s/x-R-s-a.png", dir);
    long la = 0, lb = 0;
    unsigned char *a = slurp(path, &la), *b = slurp(ref, &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, (size_t)la);
    free(a);
    free(b);
    /* and it differs from the other condition's */
    snprintf(path, sizeof path, "%s/x-R-s-c.png", dir);
    b = slurp(path, &lb);
    assert_non_null(b);
    a = slurp(ref, &la);
    assert_true(la != lb || memcmp(a, b, (size_t)la) != 0);
    free(a);
    free(b);
    json_decref(doc);
    sm_plot_release_caches();
    tu_rmtree(dir);
    free(dir);
}

static void other_documents_are_refused(void **state)
{
    const char *dir = *state;
    sm_error err = {0};
    int written;
    json_t *doc = json_loads("{\"experiment\": \"dc-size\", \"results\": {}}", 0, NULL);
    assert_int_equal(sm_cl_document_figures(doc, dir, "x", &written, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "dc-size"));
    json_decref(doc);
    doc = json_loads("{\"experiment\": \"continual-sleep\", \"results\": {\"R\": {\"k\": [[1]]},"
                     " \"conditions\": []}}",
                     0, NULL);
    assert_int_equal(sm_cl_document_figures(doc, dir, "x", &written, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "results.R[\"k\"]"));
    json_decref(doc);
    /* the command: a file that is not JSON, a document of another experiment */
    free(tu_write_file(dir, "bad.json", "{not json", 9));
    tu_expect_cli_error(dir, "plot bad.json", "bad.json");
    free(tu_write_file(dir, "dc.json", "{\"experiment\": \"dc-size\"}", 25));
    tu_expect_cli_error(dir, "plot dc.json", "continual");
    tu_expect_cli_error(dir, "plot dc.json --tables", "--tables");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_of_a_hand_made_document),
        cmocka_unit_test_setup_teardown(other_documents_are_refused, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
