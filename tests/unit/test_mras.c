/* Unit tests: MRAS bodies ([MS-AVEDGEA] 2.2.3) built and parsed back, a
 * response written here in the specification's shape (prefixed names,
 * entities, unknown elements), bad bodies refused by name, and the XML
 * scanner under them reading nothing past its input (a guard page). */
#include "synth/base/err.h"
#include "synth/base/xml_scan.h"
#include "synth/sip/mras.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define ARENA_DATA 8192
#include "guard_arena.h"

static const char RESPONSE[] =
    "<?xml version=\"1.0\"?>\r\n"
    "<response xmlns=\"http://schemas.microsoft.com/2006/09/sip/mrasp\" requestID=\"8761\" "
    "version=\"1.0\" serverVersion=\"2.0\" to=\"sip:um01@contoso.com\" "
    "from=\"sip:pool.contoso.com@contoso.com;gruu;opaque=srvr:MRAS:x\" reasonPhrase='OK'>\r\n"
    "  <credentialsResponse credentialsRequestID=\"8761\">\r\n"
    "    <credentials>\r\n"
    "      <username>AgAAJD7v0Z4B2&amp;x</username>\r\n"
    "      <password>pA55&lt;w0rd&#62;</password>\r\n"
    "      <duration>480</duration>\r\n"
    "      <realm>SIP Communications Service</realm>\r\n"
    "      <future>ignored</future>\r\n"
    "    </credentials>\r\n"
    "    <mediaRelayList>\r\n"
    "      <mediaRelay><location>internet</location><hostName>av.contoso.com</hostName>"
    "<udpPort>3478</udpPort><tcpPort>443</tcpPort></mediaRelay>\r\n"
    "      <m:mediaRelay xmlns:m=\"x\"><m:location>intranet</m:location>"
    "<m:directIPAddress>10.0.0.5</m:directIPAddress><m:udpPort>3478</m:udpPort></m:mediaRelay>\r\n"
    "    </mediaRelayList>\r\n"
    "  </credentialsResponse>\r\n"
    "</response>\r\n";

static void parses_spec_shaped_response(void **state)
{
    struct mras_response r;
    char why[128] = "";
    const char *p = place(RESPONSE, strlen(RESPONSE));
    if (mras_response_parse(p, strlen(RESPONSE), &r, why, sizeof(why)) != 0)
        fail_msg("%s", why);
    assert_string_equal(r.request_id, "8761");
    assert_string_equal(r.reason, "OK");
    assert_string_equal(r.username, "AgAAJD7v0Z4B2&x");
    assert_string_equal(r.password, "pA55<w0rd>");
    assert_int_equal(r.duration_min, 480);
    assert_string_equal(r.realm, "SIP Communications Service");
    assert_int_equal(r.relay_count, 2);
    assert_int_equal(r.relays[0].location, MRAS_LOCATION_INTERNET);
    assert_string_equal(r.relays[0].host, "av.contoso.com");
    assert_int_equal(r.relays[0].udp_port, 3478);
    assert_int_equal(r.relays[0].tcp_port, 443);
    assert_int_equal(r.relays[1].location, MRAS_LOCATION_INTRANET);
    assert_string_equal(r.relays[1].host, "10.0.0.5");
    assert_int_equal(r.relays[1].tcp_port, 0);
}

static void round_trips(void **state)
{
    char buf[4096];
    struct sbuf sb;
    char why[128] = "";
    struct mras_request q = {.location = MRAS_LOCATION_INTRANET, .duration_min = 480};
    snprintf(q.request_id, sizeof(q.request_id), "17");
    snprintf(q.credentials_request_id, sizeof(q.credentials_request_id), "17");
    snprintf(q.from, sizeof(q.from), "sip:um.lab.synth.test");
    snprintf(q.to, sizeof(q.to), "sip:fe.lab.synth.test;opaque=srvr:MRAS");
    snprintf(q.identity, sizeof(q.identity), "a<b");
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(mras_request_build(&sb, &q), 0);
    struct mras_request q2;
    if (mras_request_parse(sb.buf, sb.len, &q2, why, sizeof(why)) != 0)
        fail_msg("%s in %s", why, sb.buf);
    assert_string_equal(q2.request_id, "17");
    assert_string_equal(q2.to, q.to);
    assert_string_equal(q2.identity, "a<b");
    assert_int_equal(q2.location, MRAS_LOCATION_INTRANET);
    assert_int_equal(q2.duration_min, 480);

    struct mras_response r = {.duration_min = 480, .relay_count = 1};
    snprintf(r.request_id, sizeof(r.request_id), "17");
    snprintf(r.credentials_request_id, sizeof(r.credentials_request_id), "17");
    snprintf(r.username, sizeof(r.username), "1796246700:um");
    snprintf(r.password, sizeof(r.password), "s\"e&cret");
    r.relays[0] = (struct mras_relay){MRAS_LOCATION_INTRANET, "127.0.0.1", 40000, 40000};
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(mras_response_build(&sb, &r), 0);
    struct mras_response r2;
    if (mras_response_parse(sb.buf, sb.len, &r2, why, sizeof(why)) != 0)
        fail_msg("%s in %s", why, sb.buf);
    assert_string_equal(r2.password, "s\"e&cret");
    assert_string_equal(r2.username, r.username);
    assert_int_equal(r2.relays[0].udp_port, 40000);
    /* A body that does not fit is an error, not a cut XML document. */
    sbuf_init(&sb, buf, 64);
    assert_int_equal(mras_response_build(&sb, &r), SYNTH_ETOOBIG);
}

static void bad_bodies_named(void **state)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"<html/>", "no <response> element"},
        {"<response><credentialsResponse><credentials><password>x</password><duration>1"
         "</duration></credentials></credentialsResponse></response>",
         "credentials.username: missing"},
        {"<response><credentialsResponse><credentials><username>u</username><password>x"
         "</password><duration>soon</duration></credentials></credentialsResponse></response>",
         "duration: too long or malformed"},
        {"<response><credentialsResponse><credentials><username>u&bogus;</username>"
         "</credentials></credentialsResponse></response>",
         "credentials.username: too long or malformed"},
        {"<response><credentialsResponse><credentials><username>u</username><password>p"
         "</password><duration>1</duration></credentials><mediaRelayList><mediaRelay>"
         "<location>mars</location></mediaRelay></mediaRelayList></credentialsResponse>"
         "</response>",
         "location: too long or malformed"},
        {"<response><credentialsResponse><credentials><username>u", "no <response> element"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mras_response r;
        char why[128] = "";
        const char *p = place(cases[i].body, strlen(cases[i].body));
        if (mras_response_parse(p, strlen(cases[i].body), &r, why, sizeof(why)) != SYNTH_EPARSE ||
            strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, why, cases[i].why);
        /* The secret never outlives a failed parse. */
        assert_string_equal(r.password, "");
    }
}

static void scanner_bounds(void **state)
{
    struct xml_elem e;
    char out[8];
    /* Truncations of a document at every length: no read past the end. */
    static const char doc[] = "<a x='1' y=\"&amp;\"><b>t&#x41;</b><c/></a>";
    for (size_t n = 0; n <= strlen(doc); n++) {
        const char *p = place(doc, n);
        if (xml_scan_find(strv_make(p, n), "a", &e)) {
            struct strv v;
            (void)xml_scan_attr(e.attrs, "y", &v);
            (void)xml_scan_child_text(e.content, "b", out, sizeof(out));
            (void)xml_scan_find(e.content, "c", &e);
        }
    }
    const char *p = place(doc, strlen(doc));
    assert_true(xml_scan_find(strv_make(p, strlen(doc)), "a", &e));
    assert_int_equal(xml_scan_child_text(e.content, "b", out, sizeof(out)), 0);
    assert_string_equal(out, "tA");
    assert_int_equal(xml_scan_attr_text(e.attrs, "y", out, sizeof(out)), 0);
    assert_string_equal(out, "&");
    assert_int_equal(xml_scan_child_text(e.content, "c", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(xml_scan_child_text(e.content, "d", out, sizeof(out)), SYNTH_ENOTFOUND);
    assert_int_equal(xml_scan_text(strv_from_cstr("123456789"), out, sizeof(out)), SYNTH_ETOOBIG);
    assert_int_equal(xml_scan_text(strv_from_cstr("&#0;"), out, sizeof(out)), SYNTH_EPARSE);
    assert_int_equal(xml_scan_escape("<&>", out, sizeof(out)), SIZE_MAX); /* 13 bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_spec_shaped_response),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(bad_bodies_named),
        cmocka_unit_test(scanner_bounds),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
