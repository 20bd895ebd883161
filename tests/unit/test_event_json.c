/* events.jsonl lines: parse back with jansson, contract keys, omitted empties,
 * odd bytes from the wire, timestamps. */
#include "reports/event_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    assert_int_equal(json_integer_value(json_object_get(o, "sip_status")), 200);
    /* Every key of the contract that an ok register has. */
    static const char *const keys[] = {"ts", "user", "step", "outcome", "duration_ms"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(o, keys[i]));
    json_decref(o);
    free(line);

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
