/* The CSV writer: RFC 4180 (CRLF, quoting), one row per timeline second with
 * its wall time, empty cells where the timeline has null, running totals. */
#include "reports/csv_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "summary_fixture.h"

static void test_rows(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(csv_report_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_string_equal(
        t, "elapsed_s,time,journeys_started,arrivals_skipped,calls,calls_answered,steps_ok,"
           "steps_failed,setup_p95_ms,calls_cumulative,calls_answered_cumulative,"
           "steps_failed_cumulative\r\n"
           "0,2026-12-02T20:37:17.861Z,2,0,1,1,2,1,1.5,1,1,1\r\n"
           "1,2026-12-02T20:37:18.861Z,2,1,0,0,0,2,,1,1,3\r\n");
    free(t);
    /* No timeline, no start: the header alone; no time without a start. */
    json_object_del(doc, "started_at_ms");
    json_array_remove(json_object_get(doc, "timeline"), 1);
    t = summary_fixture_render(csv_report_write, doc, &rc);
    assert_non_null(strstr(t, "\r\n0,,2,0,1,1,2,1,1.5,1,1,1\r\n"));
    free(t);
    json_object_del(doc, "timeline");
    t = summary_fixture_render(csv_report_write, doc, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(strstr(t, "\r\n") + 2, "\r\n"));
    free(t);
    json_decref(doc);
}

static void test_quoting(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    csv_report_field(out, "plain");
    fputc('|', out);
    csv_report_field(out, "a,b");
    fputc('|', out);
    csv_report_field(out, "say \"hi\"");
    fputc('|', out);
    csv_report_field(out, "two\r\nlines");
    fputc('|', out);
    csv_report_field(out, "");
    fclose(out);
    assert_string_equal(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\r\nlines\"|");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
