/* Unit tests of synth/ucwa/ucwa_json.c on bodies in the shapes of
 * Microsoft's UCWA 2.0 reference (application dashboard, event channel,
 * autodiscover root), written here; inputs end at an unreadable page. */
#include "synth/ucwa/ucwa_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define ARENA_DATA 16384
#include "guard_arena.h"

static struct synth_error e;

#define BODY(s) place(s, strlen(s)), strlen(s)

static const char app_url[] = "https://webpool.contoso.com/ucwa/oauth/v1/applications";

static void test_url_resolve(void **state)
{
    char out[UCWA_URL_MAX];
    const char *base = "https://fe1.contoso.com:4443/ucwa/oauth/v1/applications/101?ack=3";
    assert_int_equal(ucwa_url_resolve(base, "/ucwa/x", out, sizeof(out)), 0);
    assert_string_equal(out, "https://fe1.contoso.com:4443/ucwa/x");
    assert_int_equal(ucwa_url_resolve(base, "events?ack=4", out, sizeof(out)), 0);
    assert_string_equal(out, "https://fe1.contoso.com:4443/ucwa/oauth/v1/applications/events?ack=4");
    assert_int_equal(ucwa_url_resolve(base, "https://other.contoso.com/a", out, sizeof(out)), 0);
    assert_string_equal(out, "https://other.contoso.com/a");
    assert_int_equal(ucwa_url_resolve(base, "//pool2.contoso.com/b", out, sizeof(out)), 0);
    assert_string_equal(out, "https://pool2.contoso.com/b");
    assert_int_equal(ucwa_url_resolve("https://h?q=1", "x", out, sizeof(out)), 0);
    assert_string_equal(out, "https://h/x");
    assert_int_equal(ucwa_url_resolve("ftp://h/", "/x", out, sizeof(out)), SYNTH_EPARSE);
    assert_int_equal(ucwa_url_resolve(base, "/a b", out, sizeof(out)), SYNTH_EPARSE);
    assert_int_equal(ucwa_url_resolve(base, "/a\r\nX: y", out, sizeof(out)), SYNTH_EPARSE);
    assert_int_equal(ucwa_url_resolve(base, "/abc", out, 20), SYNTH_ETOOBIG);
}

static void test_root(void **state)
{
    struct ucwa_root r;
    const char *b =
        "{\"_links\":{\"self\":{\"href\":\"https://lyncdiscover.contoso.com/Autodiscover/"
        "AutodiscoverService.svc/root?originalDomain=contoso.com\"},"
        "\"xframe\":{\"href\":\"https://webpool.contoso.com/Autodiscover/XFrame/XFrame.html\"},"
        "\"redirect\":{\"href\":\"https://lyncdiscover.contoso.com/\"},"
        "\"user\":{\"href\":\"https://webpool.contoso.com/Autodiscover/AutodiscoverService.svc/"
        "root/oauth/user?originalDomain=contoso.com\"}}}";
    assert_int_equal(ucwa_json_root(&r, "https://lyncdiscover.contoso.com/", BODY(b), &e), 0);
    assert_string_equal(r.user, "https://webpool.contoso.com/Autodiscover/AutodiscoverService.svc/"
                                "root/oauth/user?originalDomain=contoso.com");
    assert_string_equal(r.xframe, "https://webpool.contoso.com/Autodiscover/XFrame/XFrame.html");

    assert_int_equal(ucwa_json_root(&r, "https://l/", BODY("{\"_links\":{}}"), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "autodiscover: _links.user missing");
    assert_int_equal(ucwa_json_root(&r, "https://l/", BODY("{\"_links\":{\"user\":{\"href\":7}}}"), &e),
                     SYNTH_EPARSE);
    assert_non_null(strstr(e.msg, "_links.user.href is not a non-empty string"));
    assert_int_equal(ucwa_json_root(&r, "https://l/", BODY("<html>"), &e), SYNTH_EPARSE);
    assert_non_null(strstr(e.msg, "autodiscover: not JSON: line 1"));
    assert_int_equal(ucwa_json_root(&r, "https://l/", BODY("[1]"), &e), SYNTH_EPARSE);
    /* Duplicated keys are refused: which one a server meant is unknowable. */
    assert_int_equal(ucwa_json_root(&r, "https://l/",
                                    BODY("{\"_links\":{\"user\":{\"href\":\"/a\",\"href\":\"/b\"}}}"),
                                    &e),
                     SYNTH_EPARSE);
}

static void test_user(void **state)
{
    struct ucwa_user u;
    const char *url = "https://webpool.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user";
    const char *b = "{\"_links\":{\"self\":{\"href\":\"" "/Autodiscover/AutodiscoverService.svc/root/oauth/user\"},"
                    "\"applications\":{\"href\":\"https://webpool.contoso.com/ucwa/oauth/v1/applications\","
                    "\"revision\":\"2\"},\"xframe\":{\"href\":\"/Autodiscover/XFrame/XFrame.html\"}}}";
    assert_int_equal(ucwa_json_user(&u, url, BODY(b), &e), 0);
    assert_string_equal(u.applications, "https://webpool.contoso.com/ucwa/oauth/v1/applications");
    assert_string_equal(u.redirect, "");
    const char *r = "{\"_links\":{\"self\":{\"href\":\"/x\"},\"redirect\":{\"href\":"
                    "\"https://pool2.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user\"}}}";
    assert_int_equal(ucwa_json_user(&u, url, BODY(r), &e), 0);
    assert_string_equal(u.applications, "");
    assert_string_equal(u.redirect,
                        "https://pool2.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user");
    assert_int_equal(ucwa_json_user(&u, url, BODY("{\"_links\":{\"self\":{\"href\":\"/x\"}}}"), &e),
                     SYNTH_EPARSE);
    assert_string_equal(e.msg, "user: _links.applications missing (and no redirect)");
}

static void test_token(void **state)
{
    struct ucwa_token t;
    const char *b = "{\"access_token\":\"cwt=AAEBHAEFAAAAAAAFFQAAAMG2\",\"expires_in\":28799,"
                    "\"ms_rtc_identityscope\":\"local\",\"token_type\":\"Bearer\"}";
    assert_int_equal(ucwa_json_token(&t, BODY(b), &e), 0);
    assert_string_equal(t.access_token, "cwt=AAEBHAEFAAAAAAAFFQAAAMG2");
    assert_int_equal(t.expires_in, 28799);
    assert_int_equal(ucwa_json_token(&t, BODY("{\"access_token\":\"x\",\"expires_in\":1,"
                                              "\"token_type\":\"MAC\"}"), &e),
                     SYNTH_EPARSE);
    assert_string_equal(e.msg, "token: token_type 'MAC', expected Bearer");
    assert_int_equal(ucwa_json_token(&t, BODY("{\"access_token\":\"x\",\"expires_in\":-5,"
                                              "\"token_type\":\"bearer\"}"), &e),
                     SYNTH_EPARSE);
    assert_int_equal(ucwa_json_token(&t, BODY("{\"error\":\"invalid_grant\"}"), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "token: access_token missing");
    /* A broken body may hold the token: the message does not quote it. */
    assert_int_equal(ucwa_json_token(&t, BODY("{\"access_token\":\"cwt=SECRET\" \"x\"}"), &e),
                     SYNTH_EPARSE);
    assert_null(strstr(e.msg, "SECRET"));
}

/* The application resource as a 201 to the POST, trimmed of people and
 * onlineMeetings but in their shape. */
static const char app_body[] =
    "{\"culture\":\"en-US\",\"userAgent\":\"synth/0.1\",\"type\":\"Phone\",\"endpointId\":"
    "\"9f1c6b4e-0b7a-4d54-9d6c-3f2a1b0c9e77\",\"rel\":\"application\","
    "\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101\"},"
    "\"policies\":{\"href\":\"/ucwa/oauth/v1/applications/101/policies\"},"
    "\"batch\":{\"href\":\"/ucwa/oauth/v1/applications/101/batch\"},"
    "\"events\":{\"href\":\"/ucwa/oauth/v1/applications/101/events?ack=1\"}},"
    "\"_embedded\":{\"me\":{\"name\":\"User One\",\"uri\":\"sip:user0001@contoso.com\","
    "\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101/me\"},"
    "\"makeMeAvailable\":{\"href\":\"/ucwa/oauth/v1/applications/101/me/makeMeAvailable\"},"
    "\"callForwardingSettings\":{\"href\":\"/ucwa/oauth/v1/applications/101/me/callForwardingSettings\"},"
    "\"photo\":{\"href\":\"/ucwa/oauth/v1/applications/101/photos/user0001@contoso.com\"}},"
    "\"rel\":\"me\"},"
    "\"people\":{\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101/people\"}},\"rel\":\"people\"},"
    "\"communication\":{\"9f1c6b4e\":\"please pass this in a PUT request\","
    "\"supportedModalities\":[],\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101/communication\"},"
    "\"startMessaging\":{\"href\":\"/ucwa/oauth/v1/applications/101/communication/messagingInvitations\"}},"
    "\"rel\":\"communication\"}}}";

static void test_application(void **state)
{
    struct ucwa_application a;
    assert_int_equal(ucwa_json_application(&a, app_url, BODY(app_body), &e), 0);
    assert_string_equal(a.self, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101");
    assert_string_equal(a.events, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/events?ack=1");
    assert_string_equal(a.me, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/me");
    assert_string_equal(a.make_me_available,
                        "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/me/makeMeAvailable");
    assert_string_equal(a.report_my_activity, "");
    assert_string_equal(a.communication,
                        "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/communication");

    /* After makeMeAvailable: no such link, the keep-alive under communication. */
    const char *after =
        "{\"_links\":{\"self\":{\"href\":\"/a/1\"},\"events\":{\"href\":\"/a/1/events?ack=3\"}},"
        "\"_embedded\":{\"me\":{\"_links\":{\"self\":{\"href\":\"/a/1/me\"}}},"
        "\"communication\":{\"_links\":{\"self\":{\"href\":\"/a/1/communication\"},"
        "\"reportMyActivity\":{\"href\":\"/a/1/reportMyActivity\"}}}}}";
    assert_int_equal(ucwa_json_application(&a, app_url, BODY(after), &e), 0);
    assert_string_equal(a.make_me_available, "");
    assert_string_equal(a.report_my_activity, "https://webpool.contoso.com/a/1/reportMyActivity");

    const char *no_mma = "{\"_links\":{\"self\":{\"href\":\"/a/1\"},\"events\":{\"href\":\"/e\"}},"
                         "\"_embedded\":{\"me\":{\"_links\":{\"self\":{\"href\":\"/a/1/me\"}}}}}";
    assert_int_equal(ucwa_json_application(&a, app_url, BODY(no_mma), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "application: _embedded.me._links.makeMeAvailable missing");
    const char *no_me = "{\"_links\":{\"self\":{\"href\":\"/a/1\"},\"events\":{\"href\":\"/e\"}}}";
    assert_int_equal(ucwa_json_application(&a, app_url, BODY(no_me), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "application: _embedded.me missing");
    const char *no_events = "{\"_links\":{\"self\":{\"href\":\"/a/1\"}}}";
    assert_int_equal(ucwa_json_application(&a, app_url, BODY(no_events), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "application: _links.events missing");
}

static void test_events(void **state)
{
    struct ucwa_events ev;
    const char *url = "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/events?ack=1&timeout=60";
    const char *b =
        "{\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101/events?ack=1\"},"
        "\"next\":{\"href\":\"/ucwa/oauth/v1/applications/101/events?ack=2\"}},"
        "\"sender\":[{\"rel\":\"me\",\"href\":\"/ucwa/oauth/v1/applications/101/me\",\"events\":["
        "{\"link\":{\"rel\":\"me\",\"href\":\"/ucwa/oauth/v1/applications/101/me\"},"
        "\"_embedded\":{\"me\":{\"name\":\"User One\",\"_links\":{\"self\":{\"href\":\"/ucwa/oauth/v1/applications/101/me\"},"
        "\"reportMyActivity\":{\"href\":\"/ucwa/oauth/v1/applications/101/reportMyActivity\"}},\"rel\":\"me\"}},"
        "\"type\":\"updated\"},"
        "{\"link\":{\"rel\":\"presence\",\"href\":\"/ucwa/oauth/v1/applications/101/me/presence\"},\"type\":\"added\"}]},"
        "{\"rel\":\"communication\",\"href\":\"/ucwa/oauth/v1/applications/101/communication\",\"events\":["
        "{\"link\":{\"rel\":\"communication\",\"href\":\"/ucwa/oauth/v1/applications/101/communication\"},"
        "\"type\":\"updated\"}]}]}";
    assert_int_equal(ucwa_json_events(&ev, url, BODY(b), &e), 0);
    assert_string_equal(ev.next, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/events?ack=2");
    assert_int_equal(ev.count, 3);
    assert_int_equal(ev.kept, 3);
    assert_string_equal(ev.ev[0].sender, "me");
    assert_string_equal(ev.ev[0].rel, "me");
    assert_string_equal(ev.ev[0].type, "updated");
    assert_string_equal(ev.ev[1].rel, "presence");
    assert_string_equal(ev.ev[1].type, "added");
    assert_string_equal(ev.ev[2].sender, "communication");
    assert_string_equal(ev.report_my_activity,
                        "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/reportMyActivity");

    /* The server's timeout: an empty batch with the next link. */
    const char *empty = "{\"_links\":{\"self\":{\"href\":\"events?ack=2\"},\"next\":{\"href\":\"events?ack=2\"}}}";
    assert_int_equal(ucwa_json_events(&ev, url, BODY(empty), &e), 0);
    assert_int_equal(ev.count, 0);
    assert_string_equal(ev.next, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101/events?ack=2");
    /* Resync instead of next. */
    const char *resync = "{\"_links\":{\"resync\":{\"href\":\"/ucwa/oauth/v1/applications/101\"}}}";
    assert_int_equal(ucwa_json_events(&ev, url, BODY(resync), &e), 0);
    assert_string_equal(ev.next, "");
    assert_string_equal(ev.resync, "https://webpool.contoso.com/ucwa/oauth/v1/applications/101");

    assert_int_equal(ucwa_json_events(&ev, url, BODY("{\"_links\":{}}"), &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "events: _links.next missing");
    assert_int_equal(ucwa_json_events(&ev, url,
                                      BODY("{\"_links\":{\"next\":{\"href\":\"/n\"}},\"sender\":[{\"rel\":\"me\","
                                           "\"events\":[{\"type\":\"added\"}]}]}"), &e),
                     SYNTH_EPARSE);
    assert_string_equal(e.msg, "events: sender[0].events[0] needs link.rel and type");
    assert_int_equal(ucwa_json_events(&ev, url, BODY("{\"_links\":{\"next\":{\"href\":\"/n\"}},\"sender\":{}}"), &e),
                     SYNTH_EPARSE);
}

/* More events than kept: all counted, the first UCWA_EVENTS_MAX kept. */
static void test_events_bounded(void **state)
{
    static char b[ARENA_DATA];
    struct ucwa_events ev;
    size_t n = (size_t)snprintf(b, sizeof(b), "{\"_links\":{\"next\":{\"href\":\"/n\"}},\"sender\":[{\"rel\":\"people\",\"events\":[");
    for (int i = 0; i < UCWA_EVENTS_MAX + 8; i++)
        n += (size_t)snprintf(b + n, sizeof(b) - n, "%s{\"link\":{\"rel\":\"contact\",\"href\":\"/c/%d\"},\"type\":\"added\"}",
                              i ? "," : "", i);
    n += (size_t)snprintf(b + n, sizeof(b) - n, "]}]}");
    assert_true(n < sizeof(b));
    assert_int_equal(ucwa_json_events(&ev, "https://h/e", place(b, n), n, &e), 0);
    assert_int_equal(ev.count, UCWA_EVENTS_MAX + 8);
    assert_int_equal(ev.kept, UCWA_EVENTS_MAX);
    /* Past the body bound: refused before parsing. */
    assert_int_equal(ucwa_json_events(&ev, "https://h/e", b, UCWA_BODY_MAX + 1, &e), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_resolve),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_application),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_events_bounded),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
