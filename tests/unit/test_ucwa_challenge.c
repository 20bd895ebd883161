/* Unit tests of synth/ucwa/ucwa_challenge.c: the three forms of the
 * MsRtcOAuth challenge that PROTOCOLS.md lists (quoted href, unquoted href,
 * after a Bearer challenge), and malformed values. */
#include "synth/ucwa/ucwa_challenge.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define ARENA_DATA 4096
#include "guard_arena.h"

static int parse(struct ucwa_challenge *ch, const char *s)
{
    return ucwa_challenge_parse(ch, place(s, strlen(s)), strlen(s));
}

static void assert_view(struct strv v, const char *want)
{
    assert_non_null(v.p);
    assert_int_equal(v.l, strlen(want));
    assert_memory_equal(v.p, want, v.l);
}

#define GRANTS "urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"

static void test_quoted(void **state)
{
    struct ucwa_challenge ch;
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"https://webpool.contoso.com/WebTicket/oauthtoken\","
                                "grant_type=\"" GRANTS "\""), 0);
    assert_view(ch.href, "https://webpool.contoso.com/WebTicket/oauthtoken");
    assert_view(ch.grant_type, GRANTS);
    assert_true(ch.password_grant);
    assert_null(ch.client_id.p);
}

static void test_unquoted(void **state)
{
    struct ucwa_challenge ch;
    assert_int_equal(parse(&ch, "MsRtcOAuth href=https://webpool.contoso.com/WebTicket/oauthtoken,"
                                "grant_type=\"urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting\""), 0);
    assert_view(ch.href, "https://webpool.contoso.com/WebTicket/oauthtoken");
    assert_false(ch.password_grant); /* windows and anonmeeting only */
}

static void test_after_bearer(void **state)
{
    struct ucwa_challenge ch;
    assert_int_equal(parse(&ch, "Bearer trusted_issuers=\"00000001-0000-0000-c000-000000000000@contoso.com\", "
                                "client_id=\"00000004-0000-0ff1-ce00-000000000000\", "
                                "MsRtcOAuth href=\"https://webpool.contoso.com/WebTicket/oauthtoken\", "
                                "grant_type=\"" GRANTS "\""), 0);
    assert_view(ch.href, "https://webpool.contoso.com/WebTicket/oauthtoken");
    assert_view(ch.trusted_issuers, "00000001-0000-0000-c000-000000000000@contoso.com");
    assert_view(ch.client_id, "00000004-0000-0ff1-ce00-000000000000");
    assert_true(ch.password_grant);
    /* And with the other challenge after ours, and an empty element. */
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"https://h/t\",grant_type=\"password\",, Negotiate"), 0);
    assert_view(ch.href, "https://h/t");
    assert_true(ch.password_grant);
}

static void test_refused(void **state)
{
    struct ucwa_challenge ch;
    assert_int_equal(parse(&ch, "Bearer realm=\"x\""), SYNTH_ENOTFOUND);
    assert_int_equal(parse(&ch, "Negotiate, NTLM"), SYNTH_ENOTFOUND);
    assert_int_equal(parse(&ch, ""), SYNTH_ENOTFOUND);
    assert_int_equal(parse(&ch, "MsRtcOAuth grant_type=\"password\""), SYNTH_EPARSE); /* no href */
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"https://h/t"), SYNTH_EPARSE);     /* unterminated */
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"a\",href=\"b\""), SYNTH_EPARSE);  /* twice */
    assert_int_equal(parse(&ch, "href=\"a\""), SYNTH_EPARSE);                        /* no scheme */
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"a\\\"b\""), SYNTH_EPARSE);        /* quoted-pair */
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"https://h/\r\nX: y\""), SYNTH_EPARSE);
    assert_int_equal(parse(&ch, "MsRtcOAuth href=a b=c"), SYNTH_EPARSE);
    assert_int_equal(parse(&ch, "MsRtcOAuth href=\"a\", MsRtcOAuth href=\"b\""), SYNTH_EPARSE);
    char many[1024] = "MsRtcOAuth href=x";
    for (int i = 0; i < UCWA_CHALLENGE_PARAMS_MAX; i++)
        strcat(many, ",p=1");
    assert_int_equal(parse(&ch, many), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_unquoted),
        cmocka_unit_test(test_after_bearer),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
