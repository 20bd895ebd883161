/* events.jsonl lines: parse back with jansson, contract keys, omitted empties,
 * odd bytes from the wire, timestamps. */
#include "reports/event_json.h"
#include "synth/config/target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* 2024-05-01T10:00:00.123Z */
#define WALL_MS INT64_C(1714557600123)

static json_t *parse(const char *line)
{
    json_error_t jerr;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        fail_msg("line does not parse (%d:%d: %s): %s", jerr.line, jerr.column, jerr.text, line);
    assert_true(json_is_object(o));
    return o;
}

static void test_failed_call(void **state)
{
    struct step_result r;
    char *line = NULL;

    (void)state;
    step_result_init(&r, STEP_CALL, 2, 7);
    r.journey = 41;
    r.intended_us = 5000000;
    r.start_us = 5001500;  /* 1.5 ms late */
    r.end_us = 35000000;   /* 30 s after the intended start */
    r.wall_start_ms = WALL_MS;
    r.ok = false;
    r.cls = FAIL_NO_ANSWER;
    r.sip_status = 487;
    strcpy(r.sip_reason, "Request Terminated");
    strcpy(r.ms_diagnostics, "10018;reason=\"Call terminated\"");
    strcpy(r.detail, "no 200 within 30000 ms, CANCEL sent");
    strcpy(r.call_id, "a84b4c76e66710@pc33");
    r.pdd_us = 212345;

    assert_int_equal(event_json_line(&r, "sip:alice@contoso.com", &line), 0);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    json_t *o = parse(line);

    assert_string_equal(json_string_value(json_object_get(o, "ts")), "2024-05-01T10:00:00.123Z");
    assert_int_equal(json_integer_value(json_object_get(o, "user")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "user_uri")),
                        "sip:alice@contoso.com");
    assert_string_equal(json_string_value(json_object_get(o, "step")), "call");
    assert_int_equal(json_integer_value(json_object_get(o, "step_index")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "journey")), 41);
    assert_string_equal(json_string_value(json_object_get(o, "outcome")), "failed");
    assert_true(json_real_value(json_object_get(o, "duration_ms")) == 30000.0);
    assert_true(json_real_value(json_object_get(o, "start_lag_ms")) == 1.5);
    assert_string_equal(json_string_value(json_object_get(o, "class")), "no-answer");
    assert_int_equal(json_integer_value(json_object_get(o, "sip_status")), 487);
    assert_string_equal(json_string_value(json_object_get(o, "sip_reason")), "Request Terminated");
    assert_string_equal(json_string_value(json_object_get(o, "ms_diagnostics")),
                        "10018;reason=\"Call terminated\"");
    assert_string_equal(json_string_value(json_object_get(o, "detail")),
                        "no 200 within 30000 ms, CANCEL sent");
    assert_string_equal(json_string_value(json_object_get(o, "call_id")), "a84b4c76e66710@pc33");
    assert_true(json_real_value(json_object_get(o, "pdd_ms")) == 212.345);
    assert_true(json_is_false(json_object_get(o, "answered")));
    assert_true(json_is_false(json_object_get(o, "bye_by_peer")));
    /* Unreached setup and empty texts are left out, not written as -1 or "". */
    assert_null(json_object_get(o, "setup_ms"));
    assert_null(json_object_get(o, "reason"));
    assert_null(json_object_get(o, "warning"));
    assert_null(json_object_get(o, "ms_diagnostics_public"));
    /* Reals print as measured: no 212.34500000000000597. */
    assert_non_null(strstr(line, "\"pdd_ms\":212.345"));
    json_decref(o);
    free(line);
}

static void test_ok_register(void **state)
{
    struct step_result r;
    char *line = NULL;

    (void)state;
    step_result_init(&r, STEP_REGISTER, 0, 3);
    r.intended_us = r.start_us = 1000;
    r.end_us = 46000;
    r.wall_start_ms = WALL_MS;
    r.ok = true;
    r.sip_status = 200;
    strcpy(r.sip_reason, "OK");
    assert_int_equal(event_json_line(&r, NULL, &line), 0);
    json_t *o = parse(line);
    assert_string_equal(json_string_value(json_object_get(o, "outcome")), "ok");
    assert_string_equal(json_string_value(json_object_get(o, "step")), "register");
    assert_true(json_real_value(json_object_get(o, "duration_ms")) == 45.0);
    assert_true(json_real_value(json_object_get(o, "start_lag_ms")) == 0.0);
    assert_null(json_object_get(o, "class"));
    assert_null(json_object_get(o, "user_uri"));
    assert_null(json_object_get(o, "call_id"));
    assert_null(json_object_get(o, "pdd_ms"));
    assert_null(json_object_get(o, "answered")); /* call steps only */
    assert_null(json_object_get(o, "ntlm"));     /* no SA renewed or lapsed */
    assert_int_equal(json_integer_value(json_object_get(o, "sip_status")), 200);
    /* Every key of the contract that an ok register has. */
    static const char *const keys[] = {"ts", "user", "step", "outcome", "duration_ms"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(o, keys[i]));
    json_decref(o);
    free(line);

    /* A re-REGISTER that renewed the user's NTLM SA says so. */
    r.ntlm_renewals = 1;
    assert_int_equal(event_json_line(&r, NULL, &line), 0);
    o = parse(line);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "ntlm"), "renewals")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "ntlm"), "lapses")), 0);
    json_decref(o);
    free(line);
    r.ntlm_renewals = 0;

    /* An empty URI is as good as none. */
    assert_int_equal(event_json_line(&r, "", &line), 0);
    o = parse(line);
    assert_null(json_object_get(o, "user_uri"));
    json_decref(o);
    free(line);
}

static void test_answered_call(void **state)
{
    struct step_result r;
    char *line = NULL;

    (void)state;
    step_result_init(&r, STEP_CALL, 1, 0);
    r.wall_start_ms = WALL_MS;
    r.end_us = 3000000;
    r.ok = false;
    r.cls = FAIL_DROPPED;
    r.answered = true;
    r.bye_by_peer = true;
    r.setup_us = 1500;
    r.pdd_us = 0;
    strcpy(r.call_id, "c1");
    strcpy(r.reason_hdr, "SIP;cause=200;text=\"media failure\"");
    strcpy(r.warning_hdr, "399 um01 \"no media\"");
    strcpy(r.ms_diagnostics_public, "7008");
    assert_int_equal(event_json_line(&r, "sip:bob@contoso.com", &line), 0);
    json_t *o = parse(line);
    assert_true(json_is_true(json_object_get(o, "answered")));
    assert_true(json_is_true(json_object_get(o, "bye_by_peer")));
    assert_true(json_real_value(json_object_get(o, "setup_ms")) == 1.5);
    assert_true(json_real_value(json_object_get(o, "pdd_ms")) == 0.0); /* 0 is a value */
    assert_string_equal(json_string_value(json_object_get(o, "class")), "dropped");
    assert_string_equal(json_string_value(json_object_get(o, "reason")),
                        "SIP;cause=200;text=\"media failure\"");
    assert_string_equal(json_string_value(json_object_get(o, "warning")), "399 um01 \"no media\"");
    assert_string_equal(json_string_value(json_object_get(o, "ms_diagnostics_public")), "7008");
    json_decref(o);
    free(line);
}

static void test_invalid_utf8_from_the_wire(void **state)
{
    struct step_result r;
    char *line = NULL;

    (void)state;
    step_result_init(&r, STEP_OPTIONS, 0, 0);
    r.ok = false;
    r.cls = FAIL_PROTOCOL;
    /* Latin-1 e-acute, a lone continuation byte, an overlong '/', a surrogate,
     * then valid UTF-8 that must survive. */
    strcpy(r.sip_reason, "Serveur occup\xE9 \x80 \xC0\xAF \xED\xA0\x80 caf\xC3\xA9");
    /* Full length with no NUL: read up to the array's end only. */
    memset(r.detail, 'd', sizeof(r.detail));
    assert_int_equal(event_json_line(&r, NULL, &line), 0);
    json_t *o = parse(line);
    assert_string_equal(json_string_value(json_object_get(o, "sip_reason")),
                        "Serveur occup\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD caf\xC3\xA9");
    assert_int_equal(strlen(json_string_value(json_object_get(o, "detail"))), RESULT_TEXT_MAX);
    json_decref(o);
    free(line);
}

static void test_text_helper(void **state)
{
    (void)state;
    json_t *j = event_json_text("abc\xF4\x90\x80\x80z", 100); /* > U+10FFFF */
    assert_string_equal(json_string_value(j), "abc\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                              "\xEF\xBF\xBDz");
    json_decref(j);
    j = event_json_text("\xF0\x9F\x93\x9E ok", 100); /* a 4-byte sequence is fine */
    assert_string_equal(json_string_value(j), "\xF0\x9F\x93\x9E ok");
    json_decref(j);
    j = event_json_text("\xE2\x82", 100); /* truncated sequence at the end */
    assert_string_equal(json_string_value(j), "\xEF\xBF\xBD\xEF\xBF\xBD");
    json_decref(j);
    j = event_json_text("abcdef", 3);
    assert_string_equal(json_string_value(j), "abc");
    json_decref(j);
    j = event_json_text(NULL, 3);
    assert_string_equal(json_string_value(j), "");
    json_decref(j);
}

static void test_timestamps(void **state)
{
    char buf[EVENT_JSON_TS_MAX];

    (void)state;
    assert_int_equal(event_json_timestamp(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    assert_int_equal(event_json_timestamp(-1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    assert_int_equal(event_json_timestamp(WALL_MS, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2024-05-01T10:00:00.123Z");
    assert_int_equal(event_json_timestamp(INT64_C(951782400000), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
    assert_int_equal(event_json_timestamp(WALL_MS, buf, 24), SYNTH_EINVAL); /* no room for NUL */
    assert_int_equal(event_json_timestamp(INT64_MAX, buf, sizeof(buf)), SYNTH_EINVAL);
}

static void test_bad_kind(void **state)
{
    struct step_result r;
    char *line = (char *)"untouched";

    (void)state;
    step_result_init(&r, STEP_KIND_COUNT, 0, 0);
    assert_int_equal(event_json_line(&r, NULL, &line), SYNTH_EINVAL);
    assert_null(line);
}

/* A small deterministic PRNG for the comparisons below (xorshift64*). */
static uint64_t rnd_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 0x2545F4914F6CDD1Du;
}

/* A text of random length from an alphabet with every kind of byte the
 * escaper treats apart: plain ASCII, quote, backslash, slash, control
 * characters, DEL, valid and invalid UTF-8. */
static void random_text(char *out, size_t size)
{
    static const char *const pieces[] = {
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x01", "\x1f",
        "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x93\x9E", "\xE9", "\x80", "\xC0\xAF",
        "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", ";tag=", "=\"x\"",
    };
    size_t len = 0;
    size_t want = rnd() % 4 == 0 ? 0 : rnd() % (size + 8);
    /* The longest piece is 5 bytes: room for it and the NUL. */
    while (len < want && len + 6 <= size) {
        const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
        size_t n = strlen(p);
        memcpy(out + len, p, n);
        len += n;
    }
    out[len] = '\0';
    if (rnd() % 16 == 0)
        memset(out, 'x', size); /* full length, no NUL */
}

static int64_t random_us(void)
{
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return (int64_t)(rnd() % 1000);
    case 2: return (int64_t)(rnd() % 100000000) - 50000000;
    case 3: return (int64_t)(rnd() % 1000) * 1000;
    case 4: return (int64_t)(rnd() >> 2) - INT64_C(0x1FFFFFFFFFFFFFFF); /* exponent forms */
    default: return (int64_t)(rnd() % INT64_C(2000000000000)) - INT64_C(1000000000000);
    }
}

/* event_json_line writes without a jansson tree; its bytes must be those of
 * json_dumps of event_json_object, which the format was defined by. */
/* A call with its media: the direct writer and jansson agree key for key. */
static void test_media_equals_jansson_dump(void **state)
{
    struct step_result r;
    step_result_init(&r, STEP_CALL, 1, 3);
    r.ok = true;
    r.answered = true;
    r.wall_start_ms = 1796161483096;
    struct media_result *m = &r.media;
    m->enabled = m->negotiated = m->srtp = m->flowed = m->greeting_heard = true;
    snprintf(m->codec, sizeof(m->codec), "G722");
    m->first_media_us = 18047;
    m->greeting_onset_us = 337919;
    m->sent = 160;
    m->received = 158;
    m->loss_pct = 1.25;
    m->jitter_ms = 0.5954;
    m->mos = 4.409;
    m->peer_port = 49152;
    m->peer_port_in_range = true;
    m->dscp_seen = 46;
    m->peer_report = true;
    m->peer_loss_pct = 0;
    m->peer_jitter_ms = 2.125;
    snprintf(m->audio_file, sizeof(m->audio_file), "audio/x.wav");
    /* Issue #4: the path and ICE's pair. */
    snprintf(m->media_path, sizeof(m->media_path), "relay");
    m->ice = m->ice_ok = true;
    m->ice_us = 41250;
    snprintf(m->ice_local_type, sizeof(m->ice_local_type), "relay");
    snprintf(m->ice_local_addr, sizeof(m->ice_local_addr), "127.0.0.1:19901");
    snprintf(m->ice_remote_type, sizeof(m->ice_remote_type), "host");
    snprintf(m->ice_remote_addr, sizeof(m->ice_remote_addr), "[::1]:49152");
    snprintf(m->ice_dialect, sizeof(m->ice_dialect), "ms-ice2");
    m->ice_checks_sent = 3;
    m->ice_checks_received = 2;
    snprintf(m->relay_server, sizeof(m->relay_server), "127.0.0.1:3478");
    m->relay_allocate_us = 1875; /* the allocation, its 401 round included */
    json_t *o = event_json_object(&r, "sip:a@b");
    char *want = json_dumps(o, EVENT_JSON_DUMP_FLAGS);
    char buf[EVENT_JSON_LINE_MAX];
    size_t len;
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, want);
    assert_non_null(strstr(buf, "\"media\":{\"srtp\":true,\"codec\":\"G722\",\"flowed\":true"));
    assert_non_null(strstr(buf, "\"jitter_ms\":0.595,\"mos\":4.409"));
    assert_non_null(strstr(buf, "\"relay_server\":\"127.0.0.1:3478\",\"relay_allocate_ms\":1.875,"));
    assert_non_null(strstr(buf, "\"media_path\":\"relay\",\"relay_server\":\"127.0.0.1:3478\",\"relay_allocate_ms\":1.875,\"ice\":{\"ok\":true,\"ms\":41.25,"
                                "\"local_type\":\"relay\",\"local_addr\":\"127.0.0.1:19901\""));
    assert_non_null(strstr(buf, "\"remote_addr\":\"[::1]:49152\",\"dialect\":\"ms-ice2\","
                                "\"checks_sent\":3,\"checks_received\":2}}"));
    /* A failed ICE run says why, and that no path was found. */
    snprintf(m->media_path, sizeof(m->media_path), "none");
    m->ice_ok = false;
    m->ice_us = -1;
    m->relay_server[0] = '\0';
    m->relay_allocate_us = -1;
    snprintf(m->ice_failure, sizeof(m->ice_failure), "timeout");
    snprintf(m->relay_error, sizeof(m->relay_error), "auth-refused");
    json_decref(o);
    free(want);
    o = event_json_object(&r, "sip:a@b");
    want = json_dumps(o, EVENT_JSON_DUMP_FLAGS);
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, want);
    assert_non_null(strstr(buf, "\"relay_error\":\"auth-refused\",\"ice\":{\"ok\":false,\"failure\":\"timeout\""));
    free(want);
    json_decref(o);
}

static void test_line_equals_jansson_dump(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        struct step_result r;
        char uri[TARGET_URI_MAX];
        step_result_init(&r, (enum step_kind)(rnd() % STEP_KIND_COUNT), (uint32_t)rnd(),
                         (uint32_t)rnd());
        r.journey = rnd() >> (rnd() % 64);
        r.intended_us = random_us();
        r.start_us = r.intended_us + random_us() / 2;
        r.end_us = r.intended_us + random_us() / 2;
        r.wall_start_ms = (int64_t)(rnd() % INT64_C(300000000000000)) - INT64_C(62000000000000);
        if (rnd() % 50 == 0)
            r.wall_start_ms = (int64_t)rnd(); /* unrepresentable: the epoch is written */
        r.ok = rnd() % 2;
        r.cls = (enum failure_class)(rnd() % (FAIL_CLASS_COUNT + 1));
        r.sip_status = rnd() % 3 ? (uint16_t)(rnd() % 700) : 0;
        random_text(r.sip_reason, sizeof(r.sip_reason));
        random_text(r.ms_diagnostics, sizeof(r.ms_diagnostics));
        random_text(r.ms_diagnostics_public, sizeof(r.ms_diagnostics_public));
        random_text(r.reason_hdr, sizeof(r.reason_hdr));
        random_text(r.warning_hdr, sizeof(r.warning_hdr));
        random_text(r.detail, sizeof(r.detail));
        random_text(r.call_id, sizeof(r.call_id));
        r.pdd_us = rnd() % 3 ? random_us() : -1;
        r.setup_us = rnd() % 3 ? random_us() : -1;
        r.answered = rnd() % 2;
        r.bye_by_peer = rnd() % 2;
        if (rnd() % 4 == 0) { /* NTLM SA renewals and lapses (issue #7) */
            r.ntlm_renewals = (uint16_t)(rnd() % 3);
            r.ntlm_lapses = (uint16_t)(rnd() % 3);
        }
        if (rnd() % 2) { /* a call's media with ICE (issue #4) */
            struct media_result *m = &r.media;
            m->enabled = true;
            m->ice = rnd() % 2;
            m->ice_ok = rnd() % 2;
            m->ice_us = rnd() % 3 ? random_us() : -1;
            m->relay_allocate_us = rnd() % 3 ? random_us() : -1;
            m->ice_checks_sent = rnd() % 1000;
            m->ice_checks_received = rnd() % 1000;
            random_text(m->media_path, sizeof(m->media_path));
            random_text(m->relay_error, sizeof(m->relay_error));
            random_text(m->ice_failure, sizeof(m->ice_failure));
            random_text(m->ice_local_type, sizeof(m->ice_local_type));
            random_text(m->ice_local_addr, sizeof(m->ice_local_addr));
            random_text(m->ice_remote_type, sizeof(m->ice_remote_type));
            random_text(m->ice_remote_addr, sizeof(m->ice_remote_addr));
            random_text(m->ice_dialect, sizeof(m->ice_dialect));
        }
        random_text(uri, sizeof(uri) - 1);
        uri[sizeof(uri) - 1] = '\0';
        const char *user_uri = rnd() % 8 == 0 ? NULL : uri;

        char *line = NULL;
        assert_int_equal(event_json_line(&r, user_uri, &line), 0);
        json_t *o = event_json_object(&r, user_uri);
        assert_non_null(o);
        char *want = json_dumps(o, EVENT_JSON_DUMP_FLAGS);
        assert_non_null(want);
        if (strcmp(line, want) != 0)
            fail_msg("case %d differs:\n got  %s\n want %s", i, line, want);
        free(want);
        json_decref(o);
        free(line);
    }
}

/* The integer calendar against gmtime_r and strftime, which it replaced.
 * Years 0-999: glibc's %Y does not pad them; ISO 8601 wants four digits. */
static void test_timestamps_equal_gmtime(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t ms = (int64_t)(rnd() % INT64_C(315537897600000)) - INT64_C(62167219200000);
        if (i < 1000)
            ms = INT64_C(951782400000) + (int64_t)(rnd() % 1000) * 86400000 - 500 * 86400000LL;
        char got[EVENT_JSON_TS_MAX], want[EVENT_JSON_TS_MAX], date[24];
        struct tm tm;
        int64_t sec = ms / 1000, frac = ms % 1000;
        if (frac < 0) {
            frac += 1000;
            sec--;
        }
        time_t t = (time_t)sec;
        assert_non_null(gmtime_r(&t, &tm));
        if (tm.tm_year + 1900 > 9999) {
            assert_int_equal(event_json_timestamp(ms, got, sizeof(got)), SYNTH_EINVAL);
            continue;
        }
        if (tm.tm_year + 1900 < 1000)
            continue;
        assert_true(strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) > 0);
        snprintf(want, sizeof(want), "%s.%03dZ", date, (int)frac);
        assert_int_equal(event_json_timestamp(ms, got, sizeof(got)), 0);
        assert_string_equal(got, want);
    }
    char buf[EVENT_JSON_TS_MAX];
    assert_int_equal(event_json_timestamp(INT64_C(-62167219200000), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0000-01-01T00:00:00.000Z");
    assert_int_equal(event_json_timestamp(INT64_C(-48000000000000), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0448-12-09T10:40:00.000Z");
    assert_int_equal(event_json_timestamp(INT64_C(-62167219200001), buf, sizeof(buf)),
                     SYNTH_EINVAL);
    assert_int_equal(event_json_timestamp(INT64_C(253402300799999), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
    assert_int_equal(event_json_timestamp(INT64_C(253402300800000), buf, sizeof(buf)),
                     SYNTH_EINVAL);
    assert_int_equal(event_json_timestamp(INT64_MIN, buf, sizeof(buf)), SYNTH_EINVAL);
}

/* The worker's path: the same bytes into a caller's buffer; a short buffer
 * fails whole, never a cut line. */
static void test_write_into_buffer(void **state)
{
    struct step_result r;
    char *line = NULL;
    char buf[EVENT_JSON_LINE_MAX];
    size_t len = 99;

    (void)state;
    step_result_init(&r, STEP_CALL, 1, 2);
    r.wall_start_ms = WALL_MS;
    r.end_us = 12345;
    strcpy(r.call_id, "c1");
    assert_int_equal(event_json_line(&r, "sip:a@b", &line), 0);
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, line);
    assert_int_equal(len, strlen(line));
    size_t need = len + 1;
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, need, &len), 0);
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, need - 1, &len), SYNTH_ETOOBIG);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    assert_int_equal(event_json_write(&r, "sip:a@b", buf, 0, &len), SYNTH_ETOOBIG);
    free(line);

    /* The bound holds for the worst line: every text full of control bytes. */
    memset(r.sip_reason, 1, sizeof(r.sip_reason));
    memset(r.ms_diagnostics, 1, sizeof(r.ms_diagnostics));
    memset(r.ms_diagnostics_public, 1, sizeof(r.ms_diagnostics_public));
    memset(r.reason_hdr, 1, sizeof(r.reason_hdr));
    memset(r.warning_hdr, 1, sizeof(r.warning_hdr));
    memset(r.detail, 1, sizeof(r.detail));
    memset(r.call_id, 1, sizeof(r.call_id));
    char uri[TARGET_URI_MAX];
    memset(uri, 1, sizeof(uri));
    r.ok = false;
    r.cls = FAIL_REDIRECT_LIMIT;
    r.sip_status = 699;
    r.pdd_us = r.setup_us = INT64_MAX / 2;
    r.journey = UINT64_MAX;
    assert_int_equal(event_json_write(&r, uri, buf, sizeof(buf), &len), 0);
    assert_true(len > 6 * (6 * RESULT_TEXT_MAX + RESULT_CALL_ID_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_call),
        cmocka_unit_test(test_ok_register),
        cmocka_unit_test(test_answered_call),
        cmocka_unit_test(test_invalid_utf8_from_the_wire),
        cmocka_unit_test(test_text_helper),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_bad_kind),
        cmocka_unit_test(test_write_into_buffer),
        cmocka_unit_test(test_line_equals_jansson_dump),
        cmocka_unit_test(test_media_equals_jansson_dump),
        cmocka_unit_test(test_timestamps_equal_gmtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
