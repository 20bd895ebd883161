/* events.jsonl objects read back into step results: what event_json wrote
 * comes back field for field (times to the µs), so a summary rebuilt from
 * the events of a killed run counts what the run counted. */
#include "reports/event_json.h"
#include "reports/event_result.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define START_MS INT64_C(1796243837861)

static void call_result(struct step_result *r)
{
    step_result_init(r, STEP_CALL, 1, 7);
    r->journey = 3;
    r->intended_us = 2500000;
    r->start_us = 2500120;
    r->end_us = 5711263;
    r->wall_start_ms = START_MS + 2500;
    r->ok = false;
    r->cls = FAIL_NO_MEDIA;
    r->sip_status = 200;
    snprintf(r->sip_reason, sizeof(r->sip_reason), "OK");
    snprintf(r->ms_diagnostics, sizeof(r->ms_diagnostics), "1008;reason=\"x\"");
    snprintf(r->detail, sizeof(r->detail), "no authenticated media");
    snprintf(r->call_id, sizeof(r->call_id), "abc@host");
    r->pdd_us = 512;
    r->setup_us = 587;
    r->answered = true;
    r->media.enabled = true;
    r->media.srtp = true;
    r->media.flowed = false;
    r->media.first_media_us = -1;
    r->media.sent = 249;
    r->media.received = 0;
    r->media.unauthenticated = 248;
    r->media.loss_pct = 1.5;
    r->media.jitter_ms = 0.25;
    r->media.mos = 4.409;
    r->media.peer_port = 30000;
    r->media.peer_port_in_range = false;
    r->media.dscp_seen = 46;
    r->media.peer_report = true;
    r->media.peer_loss_pct = 2.5;
    r->media.peer_jitter_ms = 0.125;
    snprintf(r->media.relay_server, sizeof(r->media.relay_server), "127.0.0.1:3478");
    r->media.relay_allocate_us = 2250;
}

static void test_round_trip(void **state)
{
    struct step_result in, out;
    struct synth_error err = {{0}};
    json_t *ev;

    (void)state;
    call_result(&in);
    ev = event_json_object(&in, "sip:user0008@lab.synth.test");
    assert_non_null(ev);
    assert_int_equal(event_result_parse(ev, START_MS, &out, &err), 0);
    assert_int_equal(out.kind, STEP_CALL);
    assert_int_equal(out.step_index, 1);
    assert_int_equal(out.user_index, 7);
    assert_int_equal(out.journey, 3);
    assert_int_equal(out.intended_us, in.intended_us);
    assert_int_equal(out.start_us, in.start_us);
    assert_int_equal(out.end_us, in.end_us);
    assert_int_equal(out.wall_start_ms, in.wall_start_ms);
    assert_false(out.ok);
    assert_int_equal(out.cls, FAIL_NO_MEDIA);
    assert_int_equal(out.sip_status, 200);
    assert_string_equal(out.ms_diagnostics, in.ms_diagnostics);
    assert_string_equal(out.detail, in.detail);
    assert_string_equal(out.call_id, in.call_id);
    assert_int_equal(out.pdd_us, 512);
    assert_int_equal(out.setup_us, 587);
    assert_true(out.answered);
    assert_false(out.bye_by_peer);
    assert_true(out.media.enabled);
    assert_true(out.media.srtp);
    assert_false(out.media.flowed);
    assert_int_equal(out.media.first_media_us, -1);
    assert_int_equal(out.media.unauthenticated, 248);
    assert_true(out.media.loss_pct == 1.5 && out.media.mos == 4.409);
    assert_int_equal(out.media.peer_port, 30000);
    assert_false(out.media.peer_port_in_range);
    assert_int_equal(out.media.dscp_seen, 46);
    /* Not in events.jsonl: no DSCP check can be counted again. */
    assert_int_equal(out.media.dscp_expected, -1);
    assert_true(out.media.peer_report);
    assert_true(out.media.peer_loss_pct == 2.5);
    /* The relay's allocation time comes back: a merge counts it again. */
    assert_string_equal(out.media.relay_server, "127.0.0.1:3478");
    assert_int_equal(out.media.relay_allocate_us, 2250);
    json_decref(ev);
}

static void test_bad_events(void **state)
{
    static const char *const bad[] = {
        "{\"ts\":\"2026-12-02T20:37:17.861Z\",\"step\":\"dance\",\"outcome\":\"ok\"}",
        "{\"ts\":\"yesterday\",\"step\":\"call\",\"outcome\":\"ok\"}",
        "{\"ts\":\"2026-12-02T20:37:17.861Z\",\"step\":\"call\",\"outcome\":\"maybe\"}",
        "{\"ts\":\"2026-12-02T20:37:17.861Z\",\"step\":\"call\",\"outcome\":\"failed\"}",
    };
    static const char *const why[] = {"step:", "ts:", "outcome:", "class:"};
    struct step_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct synth_error err = {{0}};
        json_t *ev = json_loads(bad[i], 0, NULL);
        assert_non_null(ev);
        assert_int_equal(event_result_parse(ev, START_MS, &r, &err), SYNTH_EINVAL);
        assert_true(strncmp(err.msg, why[i], strlen(why[i])) == 0);
        json_decref(ev);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
