/* Unit tests: classifying what a web service port sent back
 * (web_port_classify, synth/web/web_probe.h): the expected site, the
 * other site, an answer naming no site, no answer with its reason. */
#include "synth/ucwa/ucwa_http.h"
#include "synth/web/web_probe.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char *const fqdn[TARGET_WEB_SITE_COUNT] = {"pool01.contoso.com",
                                                        "webext.contoso.com"};
static const char internal_doc[] = "{\"AccessLocation\":\"Internal\",\"Root\":{\"Links\":[]}}";
static const char external_doc[] = "{\"AccessLocation\":\"External\"}";

static struct web_port_result listed(enum target_web_site s, const char *url)
{
    struct web_port_result r;
    memset(&r, 0, sizeof(r));
    r.expected = s;
    snprintf(r.url, sizeof(r.url), "%s", url);
    return r;
}

static void test_expected_site(void **state)
{
    struct web_port_result r = listed(TARGET_WEB_INTERNAL, "https://pool01.contoso.com/");
    web_port_classify(&r, UCWA_FAIL_NONE, "", 200, internal_doc, strlen(internal_doc), NULL,
                      fqdn, 5000);
    assert_int_equal(r.outcome, WEB_PORT_OK);
    assert_int_equal(r.seen, TARGET_WEB_INTERNAL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.by, "AccessLocation Internal");
    assert_string_equal(web_port_outcome_name(r.outcome), "ok");
}

/* The field case: 443 answers as the external site. */
static void test_other_site(void **state)
{
    struct web_port_result r = listed(TARGET_WEB_INTERNAL, "https://pool01.contoso.com:443/");
    struct cert_facts c;
    memset(&c, 0, sizeof(c));
    c.has_cn = true;
    snprintf(c.subject_cn, sizeof(c.subject_cn), "webext.contoso.com");
    web_port_classify(&r, UCWA_FAIL_NONE, "", 200, external_doc, strlen(external_doc), &c, fqdn,
                      5000);
    assert_int_equal(r.outcome, WEB_PORT_WRONG_SITE);
    assert_int_equal(r.seen, TARGET_WEB_EXTERNAL);
    assert_string_equal(web_port_outcome_name(r.outcome), "wrong-site");
}

/* A default IIS page: it answered, but as no Front End site. */
static void test_unidentified(void **state)
{
    static const char page[] = "<html><body>IIS Windows Server</body></html>";
    struct web_port_result r = listed(TARGET_WEB_EXTERNAL, "http://pool01.contoso.com:8080/");
    web_port_classify(&r, UCWA_FAIL_NONE, "", 404, page, strlen(page), NULL, fqdn, 5000);
    assert_int_equal(r.outcome, WEB_PORT_UNIDENTIFIED);
    assert_int_equal(r.seen, WEB_SITE_UNKNOWN);
    assert_string_equal(r.reason, "HTTP 404, no autodiscover document");
}

static void test_no_answer(void **state)
{
    static const struct {
        enum ucwa_fail fail;
        const char *detail, *reason;
    } cases[] = {
        {UCWA_FAIL_CONNECT, "Failed to connect to 127.0.0.1 port 9: Connection refused",
         "connection refused or unreachable (Failed to connect to 127.0.0.1 port 9: Connection "
         "refused)"},
        {UCWA_FAIL_TIMEOUT, "Connection timed out after 2000 milliseconds",
         "no answer within 2000 ms (Connection timed out after 2000 milliseconds)"},
        {UCWA_FAIL_TLS, "SSL certificate problem: unable to get local issuer certificate",
         "TLS failed (SSL certificate problem: unable to get local issuer certificate)"},
        {UCWA_FAIL_CLOSED, "", "the connection ended without an answer (closed)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct web_port_result r = listed(TARGET_WEB_EXTERNAL, "https://h:4443/");
        web_port_classify(&r, cases[i].fail, cases[i].detail, 0, "", 0, NULL, fqdn, 2000);
        assert_int_equal(r.outcome, WEB_PORT_NO_ANSWER);
        assert_int_equal(r.seen, WEB_SITE_UNKNOWN);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.reason, cases[i].reason);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_site),
        cmocka_unit_test(test_other_site),
        cmocka_unit_test(test_unidentified),
        cmocka_unit_test(test_no_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
