#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/fileio.h"

static void commit_renames_into_place(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    sm_atomic_file f;
    sm_error err;
    assert_int_equal(sm_atomic_open(&f, path, &err), SM_OK);
    fputs("hello", f.fp);
    assert_false(tu_exists(path)); /* nothing under the final name before commit */
    assert_int_equal(sm_atomic_commit(&f, &err), SM_OK);
    char *data;
    size_t len;
    assert_int_equal(sm_read_file(path, &data, &len, &err), SM_OK);
    assert_string_equal(data, "hello");
    assert_int_equal(tu_count_entries(dir), 1);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

static void abort_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    sm_atomic_file f;
    assert_int_equal(sm_atomic_open(&f, path, NULL), SM_OK);
    fputs("partial", f.fp);
    sm_atomic_abort(&f);
    assert_int_equal(tu_count_entries(dir), 0);
    tu_rmtree(dir);
    free(dir);
}

static void unwritable_directory_names_the_path(void **state)
{
    (void)state;
    sm_atomic_file f;
    sm_error err;
    assert_int_equal(sm_atomic_open(&f, "/nonexistent-dir/x.json", &err), SM_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.json"));
}

static void missing_file_read_names_the_path(void **state)
{
    (void)state;
    char *data;
    size_t len;
    sm_error err;
    assert_int_equal(sm_read_file("/no/such/file.cfg", &data, &len, &err), SM_EIO);
    assert_non_null(strstr(err.msg, "/no/such/file.cfg"));
    assert_null(data);
}

static void mkdir_p_creates_parents(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    assert_int_equal(sm_mkdir_p(path, NULL), SM_OK);
    assert_true(tu_exists(path));
    assert_int_equal(sm_mkdir_p(path, NULL), SM_OK); /* idempotent */
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_renames_into_place),
        cmocka_unit_test(abort_leaves_nothing),
        cmocka_unit_test(unwritable_directory_names_the_path),
        cmocka_unit_test(missing_file_read_names_the_path),
        cmocka_unit_test(mkdir_p_creates_parents),
    };
    return cmocka_run_group_tests_name("fileio", tests, NULL, NULL);
}
