/* Unit tests: a user's MRAS credentials (synth/steps/mras_creds.c): when
 * they are renewed, which relay of an answer a call takes; and the trace
 * redaction of the answer's password (synth/engine/collector.c). */
#include "synth/engine/collector.h"
#include "synth/steps/mras_creds.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define S 1000000LL

static void renewal_margin(void **state)
{
    (void)state;
    /* 480 minutes (what SfB grants): 10 minutes early, the largest margin. */
    assert_int_equal(mras_creds_renew_at(5 * S, 480), 5 * S + (480 * 60 - 600) * S);
    /* 60 minutes: a fifth, 12 minutes, is above the cap too. */
    assert_int_equal(mras_creds_renew_at(0, 60), (3600 - 600) * S);
    /* 10 minutes: a fifth (2 minutes). */
    assert_int_equal(mras_creds_renew_at(0, 10), (600 - 120) * S);
    /* 2 minutes: the 30 s floor. */
    assert_int_equal(mras_creds_renew_at(0, 2), (120 - 30) * S);
    /* 1 minute: the floor is more than half the life, so half-way. */
    assert_int_equal(mras_creds_renew_at(0, 1), 30 * S);
    /* Always before the end, never before the grant. */
    for (uint32_t d = 1; d <= 1440; d++) {
        int64_t at = mras_creds_renew_at(0, d);
        assert_true(at > 0 && at < (int64_t)d * 60 * S);
    }
}

static void relay_pick(void **state)
{
    (void)state;
    struct mras_response r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTERNET, false), -1);
    r.relays[0] = (struct mras_relay){.location = MRAS_LOCATION_INTRANET, .host = "10.0.0.5",
                                      .udp_port = 3478, .tcp_port = 443};
    r.relays[1] = (struct mras_relay){.location = MRAS_LOCATION_INTERNET, .host = "av.contoso.com",
                                      .tcp_port = 443};
    r.relays[2] = (struct mras_relay){.location = MRAS_LOCATION_INTERNET, .host = "192.0.2.9",
                                      .udp_port = 3478};
    r.relay_count = 3;
    /* The location's relay with the transport's port first. */
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTERNET, false), 2);
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTERNET, true), 1);
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTRANET, false), 0);
    /* None of the location with that port: any relay with it. */
    r.relay_count = 2;
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTERNET, false), 0);
    r.relays[0].udp_port = 0;
    assert_int_equal(mras_creds_pick_relay(&r, MRAS_LOCATION_INTERNET, false), -1);
}

/* The 200 to a SERVICE, as a failed call's trace keeps it: the password's
 * text goes, its element and everything else stay. */
static void trace_redacts_password(void **state)
{
    (void)state;
    char buf[1024];
    const char *in =
        "SIP/2.0 200 OK\r\nContent-Type: application/msrtc-media-relay-auth+xml\r\n\r\n"
        "<response><credentialsResponse><credentials><username>mras-user0001</username>"
        "<password>W9cvD2kQ7sTx4u1Z</password><duration>480</duration></credentials>"
        "</credentialsResponse></response>\n"
        "<password>ab</password><password>unterminated";
    snprintf(buf, sizeof(buf), "%s", in);
    size_t n = collector_redact(buf, strlen(buf));
    buf[n] = '\0';
    assert_null(strstr(buf, "W9cvD2kQ7sTx4u1Z"));
    assert_non_null(strstr(buf, "<username>mras-user0001</username><password>[redacted]"
                                "</password><duration>480</duration>"));
    /* Shorter than the marker: masked in place. */
    assert_non_null(strstr(buf, "<password>**</password>"));
    /* No closing tag: the scan stops there. */
    assert_non_null(strstr(buf, "<password>unterminated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renewal_margin),
        cmocka_unit_test(relay_pick),
        cmocka_unit_test(trace_redacts_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
