/* Report files: written whole or not at all, the writer's error naming the
 * file, and a symbolic link written through rather than replaced. */
#include "reports/report_file.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/synth-test-report-file.XXXXXX";

static int write_hello(FILE *out, const json_t *summary, struct synth_error *err)
{
    (void)summary;
    (void)err;
    fputs("hello\n", out);
    return 0;
}

static int write_fails(FILE *out, const json_t *summary, struct synth_error *err)
{
    (void)summary;
    fputs("half", out);
    return synth_error_set(err, SYNTH_EPARSE, "histograms.setup: bad");
}

static void slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_atomic_and_through_links(void **state)
{
    char path[256], link[256], want[512], buf[64];
    struct synth_error err = {{0}};
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/metrics.prom", dir);
    assert_int_equal(report_file_write(path, write_hello, NULL, &err), 0);
    slurp(path, buf, sizeof(buf));
    assert_string_equal(buf, "hello\n");

    /* A failing writer leaves the old file and no temporary behind. */
    assert_int_equal(report_file_write(path, write_fails, NULL, &err), SYNTH_EPARSE);
    snprintf(want, sizeof(want), "cannot write %s: histograms.setup: bad", path);
    assert_string_equal(err.msg, want);
    slurp(path, buf, sizeof(buf));
    assert_string_equal(buf, "hello\n");
    snprintf(want, sizeof(want), "%s.tmp.%ld", path, (long)getpid());
    assert_int_not_equal(access(want, F_OK), 0);

    /* A link stays a link: its target is written (a rename would replace it). */
    snprintf(link, sizeof(link), "%s/link.prom", dir);
    assert_int_equal(symlink(path, link), 0);
    unlink(path);
    assert_int_equal(report_file_write(link, write_hello, NULL, &err), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    slurp(path, buf, sizeof(buf));
    assert_string_equal(buf, "hello\n");

    assert_int_equal(report_file_write("/nonexistent/x.prom", write_hello, NULL, &err),
                     SYNTH_EIO);
    unlink(link);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_and_through_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
