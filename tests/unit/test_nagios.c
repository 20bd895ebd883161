/* The Nagios writer: the status line against the plugin guidelines (status
 * word, text without '|', perfdata 'label'=value[UOM];warn;crit;min;max with
 * below-is-bad levels as "W:" ranges and "U" for no data), long output, and
 * the exit code per verdict. */
#include "reports/nagios.h"

#include "reports/summary_view.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "summary_fixture.h"

static void test_status_line(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(nagios_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_line(t, "SYNTH CRITICAL - pool \"A\"\\B: register: 3 of 4 refused <403> & \"locked\" "
                   "/ see log | 'setup_p95'=1800ms;1500;3000;0 "
                   "'call_success'=100%;99.5:;98:;0;100 'mos_p50'=U;4:;3.6: 'calls'=1;;;0 "
                   "'calls_failed'=0;;;0 'duration'=2.5s;;;0");
    /* The status line comes first; then each finding that is not ok. */
    assert_true(strncmp(t, "SYNTH CRITICAL - ", 17) == 0);
    assert_line(t, "CRITICAL register.auth-refused: register: 3 of 4 refused <403> & \"locked\" "
                   "/ see log");
    assert_line(t, "WARNING threshold.setup_ms.p95: setup_ms.p95 is above its warning threshold");
    assert_line(t, "UNKNOWN generator.saturated: the generator itself fell behind");
    assert_null(strstr(t, "run.interrupted"));
    assert_int_equal(sview_exit_code(doc), 2);
    free(t);
    json_decref(doc);
}

static void test_each_status(void **state)
{
    static const struct {
        const char *verdict;
        const char *word;
        int code;
    } cases[] = {
        {"ok", "SYNTH OK - ", 0},
        {"warning", "SYNTH WARNING - ", 1},
        {"critical", "SYNTH CRITICAL - ", 2},
        {"unknown", "SYNTH UNKNOWN - ", 3},
        {"bogus", "SYNTH UNKNOWN - ", 3},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_pack("{s:i, s:s, s:s, s:s}", "schema", 1, "verdict",
                                cases[i].verdict, "target", "lab", "reason", "why");
        int rc;
        char *t = summary_fixture_render(nagios_write, doc, &rc);
        assert_int_equal(rc, 0);
        assert_true(strncmp(t, cases[i].word, strlen(cases[i].word)) == 0);
        assert_int_equal(sview_exit_code(doc), cases[i].code);
        free(t);
        json_decref(doc);
    }
}

static void test_unknown_line(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    nagios_write_unknown(out, "dir|x: no such\nfile");
    fclose(out);
    assert_string_equal(buf, "SYNTH UNKNOWN - dir/x: no such file\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_each_status),
        cmocka_unit_test(test_unknown_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
