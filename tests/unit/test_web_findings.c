/* Unit tests: web service port results as findings and summary.json
 * entries (reports/web_findings.h): a swapped pair is one finding, a lone
 * wrong site names where the expected site answers, no answer carries its
 * reason, an unidentified answer is a warning. */
#include "reports/web_findings.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct web_port_result res(enum target_web_site expected, const char *url,
                                  enum web_port_outcome o, int seen, const char *by)
{
    struct web_port_result r;
    memset(&r, 0, sizeof(r));
    r.expected = expected;
    r.outcome = o;
    r.seen = seen;
    r.status = o == WEB_PORT_NO_ANSWER ? 0 : 200;
    snprintf(r.url, sizeof(r.url), "%s", url);
    snprintf(r.by, sizeof(r.by), "%s", by);
    return r;
}

static void test_healthy(void **state)
{
    struct web_port_result r[2] = {
        res(TARGET_WEB_INTERNAL, "https://fe:443/", WEB_PORT_OK, TARGET_WEB_INTERNAL, "a"),
        res(TARGET_WEB_EXTERNAL, "https://fe:4443/", WEB_PORT_OK, TARGET_WEB_EXTERNAL, "b"),
    };
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(web_findings_add(&v, r, 2), 0);
    assert_int_equal(v.n, 0);
    assert_int_equal(v.level, VERDICT_OK);
    verdict_free(&v);
}

static void test_swapped_pair(void **state)
{
    struct web_port_result r[4] = {
        res(TARGET_WEB_INTERNAL, "https://fe:443/", WEB_PORT_WRONG_SITE, TARGET_WEB_EXTERNAL,
            "AccessLocation External"),
        res(TARGET_WEB_INTERNAL, "http://fe:80/", WEB_PORT_OK, TARGET_WEB_INTERNAL, "x"),
        res(TARGET_WEB_EXTERNAL, "https://fe:4443/", WEB_PORT_WRONG_SITE, TARGET_WEB_INTERNAL,
            "AccessLocation Internal"),
        res(TARGET_WEB_EXTERNAL, "http://fe:8080/", WEB_PORT_OK, TARGET_WEB_EXTERNAL, "y"),
    };
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(web_findings_add(&v, r, 4), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    assert_string_equal(v.findings[0].id, "web-port-mismatch");
    assert_string_equal(v.findings[0].summary,
                        "web sites bound to swapped ports: https://fe:443/ answers as the "
                        "external site, https://fe:4443/ as the internal site; health probes "
                        "built for the defaults fail");
    assert_string_equal(v.findings[0].evidence,
                        "https://fe:443/ (listed for the internal site) answers as the external "
                        "site [AccessLocation External]; https://fe:4443/ (listed for the "
                        "external site) answers as the internal site [AccessLocation Internal]: "
                        "bindings swapped");
    assert_non_null(strstr(v.findings[0].remedy, "4443 and 8080"));
    verdict_free(&v);
}

/* Both listed external ports answer as internal: no pair, but where the
 * external site is to be found (nowhere) is said. */
static void test_lone_wrong_site(void **state)
{
    struct web_port_result r[2] = {
        res(TARGET_WEB_INTERNAL, "https://fe:443/", WEB_PORT_OK, TARGET_WEB_INTERNAL, "a"),
        res(TARGET_WEB_EXTERNAL, "https://fe:4443/", WEB_PORT_WRONG_SITE, TARGET_WEB_INTERNAL,
            "AccessLocation Internal"),
    };
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(web_findings_add(&v, r, 2), 0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.findings[0].summary,
                        "https://fe:4443/ answers for the internal site, not the external site it "
                        "is listed for");
    assert_string_equal(v.findings[0].evidence,
                        "https://fe:4443/ (listed for the external site) answers as the internal "
                        "site [AccessLocation Internal]; no listed URL answers as the external "
                        "site");
    verdict_free(&v);
    /* And when another listed URL answers as the expected site, it is named. */
    r[0] = res(TARGET_WEB_EXTERNAL, "https://fe2:4443/", WEB_PORT_OK, TARGET_WEB_EXTERNAL, "b");
    verdict_init(&v);
    assert_int_equal(web_findings_add(&v, r, 2), 0);
    assert_non_null(strstr(v.findings[0].evidence, "; https://fe2:4443/ answers as the external "
                                                   "site"));
    verdict_free(&v);
}

static void test_no_answer_and_unidentified(void **state)
{
    struct web_port_result r[2] = {
        res(TARGET_WEB_EXTERNAL, "https://fe:4443/", WEB_PORT_NO_ANSWER, WEB_SITE_UNKNOWN, ""),
        res(TARGET_WEB_INTERNAL, "http://fe:80/", WEB_PORT_UNIDENTIFIED, WEB_SITE_UNKNOWN, ""),
    };
    snprintf(r[0].reason, sizeof(r[0].reason), "no answer within 2000 ms (timed out)");
    r[0].ms = 2000.4;
    snprintf(r[1].reason, sizeof(r[1].reason), "HTTP 404, no autodiscover document");
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(web_findings_add(&v, r, 2), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    assert_string_equal(v.findings[0].id, "web-port-mismatch");
    assert_string_equal(v.findings[0].evidence,
                        "https://fe:4443/ (listed for the external site) does not answer: no "
                        "answer within 2000 ms (timed out) after 2000 ms");
    assert_string_equal(v.findings[1].id, "web-port-unidentified");
    assert_int_equal(v.findings[1].level, VERDICT_WARNING);
    assert_string_equal(v.findings[1].evidence,
                        "http://fe:80/ (listed for the internal site): HTTP 404, no autodiscover "
                        "document");
    verdict_free(&v);

    json_t *j = web_findings_json(r, 2);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    json_t *e = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(e, "site")), "external");
    assert_true(json_is_null(json_object_get(e, "seen")));
    assert_string_equal(json_string_value(json_object_get(e, "outcome")), "no-answer");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_swapped_pair),
        cmocka_unit_test(test_lone_wrong_site),
        cmocka_unit_test(test_no_answer_and_unidentified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
