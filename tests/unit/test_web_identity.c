/* Unit tests: telling a Front End's internal web site from its external one
 * (synth/web/web_identity.h): the Autodiscover document in its JSON and XML
 * forms, certificate names, and the weighing of the identifiers. Inputs sit
 * right before an unreadable page. */
#include "synth/web/web_identity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define ARENA_DATA 16384
#include "guard_arena.h"

/* The Autodiscover JSON form, as an external request gets it. */
static const char doc_json[] =
    "{\"AccessLocation\":\"External\",\"Root\":{\"Links\":["
    "{\"token\":\"Domain\",\"href\":\"https://WebExt.Contoso.com/Autodiscover/"
    "AutodiscoverService.svc/root/domain\"},"
    "{\"token\":\"User\",\"href\":\"https://webext.contoso.com:443/Autodiscover/"
    "AutodiscoverService.svc/root/user\"}]}}";

/* The XML form (Lync Server 2013, "Understanding Autodiscover"). */
static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<AutodiscoverResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" AccessLocation=\"Internal\">"
    "<User><SipClientInternalAccess fqdn=\"pool01.contoso.com\" port=\"443\"/>"
    "<Link token=\"Internal/Autodiscover\" href=\"https://pool01.contoso.com/Autodiscover/"
    "AutodiscoverService.svc/root\"/>"
    "<Link token=\"Self\" href=\"https://pool01.contoso.com/Autodiscover/"
    "AutodiscoverService.svc/root/user\"/></User></AutodiscoverResponse>";

/* UCWA's root: links only, no AccessLocation. */
static const char doc_ucwa[] =
    "{\"_links\":{\"self\":{\"href\":\"https://lyncweb.contoso.com/Autodiscover/"
    "AutodiscoverService.svc/root\"},\"user\":{\"href\":\"https://lyncweb.contoso.com/"
    "Autodiscover/AutodiscoverService.svc/root/oauth/user\"}}}";

static const char *const fqdn[TARGET_WEB_SITE_COUNT] = {"pool01.contoso.com",
                                                        "webext.contoso.com"};

static void test_json_form(void **state)
{
    struct web_identity id;
    const char *p = place(doc_json, strlen(doc_json));
    assert_int_equal(web_identity_parse(p, strlen(doc_json), &id), 0);
    assert_string_equal(id.format, "json");
    assert_int_equal(id.access_location, TARGET_WEB_EXTERNAL);
    assert_string_equal(id.access_location_text, "External");
    /* Lower case, the port left out, kept once. */
    assert_int_equal(id.host_count, 1);
    assert_string_equal(id.hosts[0], "webext.contoso.com");
}

static void test_xml_form(void **state)
{
    struct web_identity id;
    const char *p = place(doc_xml, strlen(doc_xml));
    assert_int_equal(web_identity_parse(p, strlen(doc_xml), &id), 0);
    assert_string_equal(id.format, "xml");
    assert_int_equal(id.access_location, TARGET_WEB_INTERNAL);
    assert_int_equal(id.host_count, 1);
    assert_string_equal(id.hosts[0], "pool01.contoso.com");
}

static void test_ucwa_root_has_no_access_location(void **state)
{
    struct web_identity id;
    const char *p = place(doc_ucwa, strlen(doc_ucwa));
    assert_int_equal(web_identity_parse(p, strlen(doc_ucwa), &id), 0);
    assert_int_equal(id.access_location, WEB_SITE_UNKNOWN);
    assert_string_equal(id.access_location_text, "");
    assert_int_equal(id.host_count, 1);
    assert_string_equal(id.hosts[0], "lyncweb.contoso.com");
}

static void test_not_a_document(void **state)
{
    static const char *const bad[] = {
        "", "   ", "<html><body>IIS Windows Server</body></html>", "404 Not Found",
        "{\"AccessLocation\":", "[\"AccessLocation\",\"Internal\"]",
        "<AutodiscoverResponse AccessLocation=\"Internal\">", /* never closed */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct web_identity id;
        const char *p = place(bad[i], strlen(bad[i]));
        assert_int_equal(web_identity_parse(p, strlen(bad[i]), &id), SYNTH_EPARSE);
        assert_int_equal(id.access_location, WEB_SITE_UNKNOWN);
    }
}

static void test_unknown_access_location(void **state)
{
    static const char doc[] = "{\"AccessLocation\":\"Extranet\\u0001\"}";
    struct web_identity id;
    const char *p = place(doc, strlen(doc));
    assert_int_equal(web_identity_parse(p, strlen(doc), &id), 0);
    assert_int_equal(id.access_location, WEB_SITE_UNKNOWN);
    assert_string_equal(id.access_location_text, "Extranet?"); /* printable only */
}

/* Every prefix of each document: no read past the input, whatever it gives. */
static void test_prefixes(void **state)
{
    const char *docs[] = {doc_json, doc_xml, doc_ucwa};
    for (size_t d = 0; d < 3; d++)
        for (size_t n = 0; n <= strlen(docs[d]); n++) {
            struct web_identity id;
            const char *p = place(docs[d], n);
            int rc = web_identity_parse(p, n, &id);
            assert_true(rc == 0 || rc == SYNTH_EPARSE);
            assert_true(id.host_count <= WEB_IDENTITY_HOSTS_MAX);
        }
}

static void test_name_matches(void **state)
{
    assert_true(web_name_matches("webext.contoso.com", "WEBEXT.contoso.com."));
    assert_true(web_name_matches("*.contoso.com", "webext.contoso.com"));
    assert_false(web_name_matches("*.contoso.com", "a.webext.contoso.com"));
    assert_false(web_name_matches("*.contoso.com", "contoso.com"));
    assert_false(web_name_matches("webext.contoso.com", "webext.contoso.co"));
    assert_false(web_name_matches("", "webext.contoso.com"));
}

static struct cert_facts cert(const char *cn, const char *san1, const char *san2)
{
    struct cert_facts c;
    memset(&c, 0, sizeof(c));
    c.has_cn = cn != NULL;
    snprintf(c.subject_cn, sizeof(c.subject_cn), "%s", cn ? cn : "");
    if (san1)
        snprintf(c.sans[c.san_count++], sizeof(c.sans[0]), "DNS:%s", san1);
    if (san2)
        snprintf(c.sans[c.san_count++], sizeof(c.sans[0]), "DNS:%s", san2);
    return c;
}

static struct web_identity doc_of(const char *text)
{
    struct web_identity id;
    assert_int_equal(web_identity_parse(text, strlen(text), &id), 0);
    return id;
}

static void test_identify_agreeing(void **state)
{
    struct web_identity id = doc_of(doc_json);
    struct cert_facts c = cert("web.contoso.com", "webext.contoso.com", NULL);
    struct web_site_call call;
    web_identify(&id, &c, fqdn, &call);
    assert_int_equal(call.site, TARGET_WEB_EXTERNAL);
    assert_false(call.conflict);
    assert_string_equal(call.by, "AccessLocation External, certificate names webext.contoso.com, "
                                 "links on webext.contoso.com");
}

/* One certificate for both sites: it cannot tell them; AccessLocation does. */
static void test_identify_shared_certificate(void **state)
{
    struct web_identity id = doc_of(doc_xml);
    struct cert_facts c = cert("pool01.contoso.com", "pool01.contoso.com", "webext.contoso.com");
    struct web_site_call call;
    web_identify(&id, &c, fqdn, &call);
    assert_int_equal(call.site, TARGET_WEB_INTERNAL);
    assert_non_null(strstr(call.by, "names both sites"));
}

/* Without the document (a bare IIS page over TLS) the certificate decides. */
static void test_identify_certificate_only(void **state)
{
    struct cert_facts c = cert("webext.contoso.com", NULL, NULL);
    struct web_site_call call;
    web_identify(NULL, &c, fqdn, &call);
    assert_int_equal(call.site, TARGET_WEB_EXTERNAL);
    assert_string_equal(call.by, "no autodiscover document, certificate names "
                                 "webext.contoso.com");
    /* Over plain HTTP, nothing is left to tell. */
    web_identify(NULL, NULL, fqdn, &call);
    assert_int_equal(call.site, WEB_SITE_UNKNOWN);
    assert_false(call.conflict);
}

/* AccessLocation (twice the weight) against both hints: a tie, a conflict. */
static void test_identify_conflict(void **state)
{
    static const char doc[] = "{\"AccessLocation\":\"Internal\",\"Root\":{\"Links\":[{\"href\":"
                              "\"https://webext.contoso.com/x\"}]}}";
    struct web_identity id = doc_of(doc);
    struct cert_facts c = cert("webext.contoso.com", NULL, NULL);
    struct web_site_call call;
    web_identify(&id, &c, fqdn, &call);
    assert_int_equal(call.site, WEB_SITE_UNKNOWN);
    assert_true(call.conflict);
    assert_non_null(strstr(call.by, "the identifiers disagree"));
    /* Against the certificate alone, AccessLocation wins. */
    struct web_identity bare = doc_of("{\"AccessLocation\":\"Internal\"}");
    web_identify(&bare, &c, fqdn, &call);
    assert_int_equal(call.site, TARGET_WEB_INTERNAL);
}

/* No FQDNs configured: only AccessLocation counts. */
static void test_identify_without_fqdns(void **state)
{
    const char *const none[TARGET_WEB_SITE_COUNT] = {"", ""};
    struct web_identity id = doc_of(doc_json);
    struct cert_facts c = cert("webext.contoso.com", NULL, NULL);
    struct web_site_call call;
    web_identify(&id, &c, none, &call);
    assert_int_equal(call.site, TARGET_WEB_EXTERNAL);
    assert_string_equal(call.by, "AccessLocation External, certificate CN=webext.contoso.com "
                                 "names neither site's FQDN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_form),
        cmocka_unit_test(test_xml_form),
        cmocka_unit_test(test_ucwa_root_has_no_access_location),
        cmocka_unit_test(test_not_a_document),
        cmocka_unit_test(test_unknown_access_location),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_name_matches),
        cmocka_unit_test(test_identify_agreeing),
        cmocka_unit_test(test_identify_shared_certificate),
        cmocka_unit_test(test_identify_certificate_only),
        cmocka_unit_test(test_identify_conflict),
        cmocka_unit_test(test_identify_without_fqdns),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
