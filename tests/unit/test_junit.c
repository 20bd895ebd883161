/* The JUnit writer: a testcase per step, threshold and finding with the
 * right outcome, counts that match, XML escaping of peers' texts. The
 * schema itself is checked by tests/integration/test_report.sh (xmllint). */
#include "reports/junit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "summary_fixture.h"

static size_t count(const char *text, const char *s)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
        n++;
    return n;
}

static void test_cases(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(junit_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_line(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    /* 2 steps + 3 thresholds + 3 findings (the threshold's own is not repeated). */
    assert_line(t, "<testsuites name=\"synth\" tests=\"8\" failures=\"3\" errors=\"1\" "
                   "skipped=\"1\" time=\"2.500\">");
    assert_line(t, "  <testsuite name=\"synth\" tests=\"8\" failures=\"3\" errors=\"1\" "
                   "skipped=\"1\" time=\"2.500\" timestamp=\"2026-12-02T20:37:17\">");
    assert_int_equal(count(t, "<testcase "), 8);
    assert_line(t, "    <testcase name=\"register\" classname=\"synth.step\" time=\"0.010\">");
    /* A step's failure names its findings with their evidence. */
    assert_line(t, "      <failure message=\"register: 3 of 4 attempts failed (auth-refused 3)\" "
                   "type=\"step-failures\">summary: register: 3 of 4 attempts failed "
                   "(auth-refused 3)&#10;finding: register.auth-refused&#10;summary: register: "
                   "3 of 4 refused &lt;403&gt; &amp; &quot;locked&quot; | see log&#10;evidence: "
                   "first: user 0&#10;then user 1&#10;remedy: check &apos;passwords&apos;&#10;"
                   "</failure>");
    /* A threshold's failure carries its finding's summary and evidence. */
    assert_line(t, "      <failure message=\"setup_ms.p95 is above its warning threshold\" "
                   "type=\"warning\">summary: setup_ms.p95 is above its warning threshold&#10;"
                   "evidence: 1800 ms &gt; 1500&#10;</failure>");
    assert_line(t, "      <skipped message=\"mos.p50: not measured (no-data)\">summary: mos.p50: "
                   "not measured (no-data)&#10;</skipped>");
    assert_int_equal(count(t, "name=\"threshold.setup_ms.p95\""), 0);
    /* Unknown: the measurement is in doubt, an error rather than a failure. */
    assert_line(t, "      <error message=\"the generator itself fell behind\" type=\"warning\">"
                   "summary: the generator itself fell behind&#10;evidence: p99 300 ms&#10;"
                   "remedy: more workers&#10;</error>");
    /* An info finding passes, its evidence kept as output. */
    assert_line(t, "    <testcase name=\"run.interrupted\" classname=\"synth.finding\" "
                   "time=\"0.000\">");
    assert_line(t, "      <system-out>signal 2</system-out>");
    free(t);
    json_decref(doc);
}

static void test_escaping(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(junit_write, doc, &rc);

    (void)state;
    assert_line(t, "      <property name=\"target\" value=\"pool &quot;A&quot;\\B\"/>");
    assert_line(t, "      <failure message=\"register: 3 of 4 refused &lt;403&gt; &amp; "
                   "&quot;locked&quot; | see log\" type=\"critical\">summary: register: 3 of 4 "
                   "refused &lt;403&gt; &amp; &quot;locked&quot; | see log&#10;evidence: first: "
                   "user 0&#10;then user 1&#10;remedy: check &apos;passwords&apos;&#10;"
                   "</failure>");
    free(t);
    json_decref(doc);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    junit_put_escaped(out, "a\tb\x01\x1f\x7f\r<]]>");
    fclose(out);
    /* XML 1.0 section 2.2 has no place for C0 controls but tab, LF and CR. */
    assert_string_equal(buf, "a&#9;b???&#13;&lt;]]&gt;");
    free(buf);
}

static void test_empty_summary(void **state)
{
    json_t *doc = json_pack("{s:i, s:s}", "schema", 1, "verdict", "unknown");
    int rc;
    char *t = summary_fixture_render(junit_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_line(t, "<testsuites name=\"synth\" tests=\"0\" failures=\"0\" errors=\"0\" "
                   "skipped=\"0\" time=\"0.000\">");
    assert_line(t, "    <system-out>verdict: unknown - </system-out>");
    free(t);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_empty_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
