/* Unit tests: scenario files: steps, load, thresholds, SIP timers, and the
 * line and key every error names. */
#include "synth/config/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int parse(struct scenario *s, const char *text, struct synth_error *err)
{
    return scenario_load_buffer(s, "sc.yaml", text, strlen(text), err);
}

static void full_scenario(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    const char *text = "name: vm\n"
                       "steps:\n"
                       "  - options\n"
                       "  - register: {expires: 10m, timeout: 5s}\n"
                       "  - call: {hold: 300ms, timeout: 3s, uri: \"sip:+14255550100@{domain}\"}\n"
                       "  - hangup:\n"
                       "  - wait: {duration: 1.5s}\n"
                       "  - unregister\n"
                       "load: {users: 4, rate: 2.5, max_concurrent: 3, duration: 1m, iterations: 9}\n"
                       "thresholds:\n"
                       "  setup_ms.p95: {warn: 1500, crit: 3000}\n"
                       "  call_success_pct: {warn: 99.5, crit: 98}\n"
                       "  steps.register.latency_ms.p99: {warn: 100, crit: 200}\n"
                       "sip: {t1: 100ms, t2: 2s, keepalive: 0, max_redirects: 1}\n";
    assert_int_equal(parse(&s, text, &err), 0);
    assert_string_equal(s.name, "vm");
    assert_int_equal(s.step_count, 6);
    assert_int_equal(s.steps[0].kind, STEP_OPTIONS);
    assert_int_equal(s.steps[0].timeout_ms, 10000);
    assert_int_equal(s.steps[1].kind, STEP_REGISTER);
    assert_int_equal(s.steps[1].expires_s, 600);
    assert_int_equal(s.steps[1].timeout_ms, 5000);
    assert_int_equal(s.steps[1].line, 4);
    assert_int_equal(s.steps[2].hold_ms, 300);
    assert_string_equal(s.steps[2].uri, "sip:+14255550100@{domain}");
    assert_int_equal(s.steps[3].kind, STEP_HANGUP);
    assert_int_equal(s.steps[4].duration_ms, 1500);
    assert_int_equal(s.steps[5].kind, STEP_UNREGISTER);
    assert_int_equal(s.load.users, 4);
    assert_true(s.load.rate == 2.5);
    assert_int_equal(s.load.max_concurrent, 3);
    assert_int_equal(s.load.duration_ms, 60000);
    assert_int_equal(s.load.iterations, 9);
    assert_int_equal(s.threshold_count, 3);
    assert_string_equal(s.thresholds[1].metric, "call_success_pct");
    assert_true(s.thresholds[1].warn == 99.5 && s.thresholds[1].crit == 98);
    assert_int_equal(s.sip.t1_ms, 100);
    assert_int_equal(s.sip.t2_ms, 2000);
    assert_int_equal(s.sip.keepalive_ms, 0);
    assert_int_equal(s.sip.max_redirects, 1);
}

static void defaults(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    assert_int_equal(parse(&s, "name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\n",
                           &err),
                     0);
    assert_int_equal(s.steps[0].timeout_ms, 30000);
    assert_int_equal(s.steps[0].hold_ms, 5000);
    assert_int_equal(s.sip.t1_ms, 500);
    assert_int_equal(s.sip.t2_ms, 4000);
    assert_int_equal(s.sip.keepalive_ms, 30000);
    assert_int_equal(s.threshold_count, 0);
    assert_true(s.steps[0].media);
    assert_int_equal(s.steps[0].greeting, GREETING_REQUIRED);
    assert_int_equal(s.steps[0].first_media_ms, 5000);
    assert_true(s.steps[0].hangup_on_greeting);
    assert_int_equal(s.audio.record, RECORD_FAILED);
    assert_int_equal(s.audio.max_ms, 60000);
    assert_int_equal(s.load.via_count, 1);
    assert_int_equal(s.load.via[0], ACCESS_INTERNAL);
}

static void ucwa_steps(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    if (parse(&s, "name: x\nsteps: [ucwa.discover, ucwa.token, ucwa.application, ucwa.available,"
                  " {ucwa.events: {pget_timeout: 5s}}, ucwa.signout]\n"
                  "load: {users: 1, rate: 1, iterations: 1}\n"
                  "thresholds:\n  steps.ucwa.token.latency_ms.p95: {warn: 1, crit: 2}\n",
              &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(s.step_count, 6);
    assert_int_equal(s.steps[1].kind, STEP_UCWA_TOKEN);
    assert_int_equal(s.steps[4].duration_ms, 5000);
    assert_int_equal(s.steps[4].timeout_ms, 20000); /* the P-GET's timeout + 15 s */
    assert_true(scenario_has_ucwa(&s));
    assert_false(scenario_has_media(&s));
    assert_string_equal(step_kind_name(STEP_UCWA_SIGNOUT), "ucwa.signout");
}

/* sip.survival: the SIP probe kinds as bits, the proof's deadline, and a
 * default step deadline that covers the rounds and their proofs. */
static void sip_survival_step(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    if (parse(&s, "name: x\nsteps:\n  - sip.survival: {intervals: [3s, 9s], answer_timeout: 2s}\n"
                  "  - sip.survival: {search: {min: 1s, max: 12s}, probe: silent}\n"
                  "load: {users: 1, rate: 1, iterations: 1}\n", &err) != 0)
        fail_msg("%s", err.msg);
    const struct scenario_step *a = &s.steps[0], *b = &s.steps[1];
    assert_int_equal(a->kind, STEP_SIP_SURVIVAL);
    assert_string_equal(step_kind_name(a->kind), "sip.survival");
    assert_int_equal(a->probes, SCENARIO_PROBE_SIP_KEEPALIVE | SCENARIO_PROBE_SIP_SILENT);
    assert_int_equal(a->answer_ms, 2000);
    assert_true(a->timeout_ms >= (9 + 2) * 1000);
    assert_int_equal(b->probes, SCENARIO_PROBE_SIP_SILENT);
    assert_int_equal(b->answer_ms, 5000);
    assert_int_equal(b->search_max_s, 12);
    assert_false(step_kind_is_ucwa(a->kind));
}

static void load_via(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    assert_int_equal(parse(&s, "name: x\nsteps: [call]\n"
                               "load: {users: 2, rate: 1, iterations: 1, via: [edge, internal]}\n",
                           &err),
                     0);
    assert_int_equal(s.load.via_count, 2);
    assert_int_equal(s.load.via[0], ACCESS_EDGE);
    assert_int_equal(s.load.via[1], ACCESS_INTERNAL);
    assert_int_equal(parse(&s, "name: x\nsteps: [call]\n"
                               "load: {users: 2, rate: 1, iterations: 1, via: edge}\n",
                           &err),
                     0);
    assert_int_equal(s.load.via_count, 1);
    assert_int_equal(s.load.via[0], ACCESS_EDGE);
    assert_string_equal(access_path_name(ACCESS_EDGE), "edge");
}

static void call_media_keys(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    assert_int_equal(parse(&s,
                           "name: x\nsteps:\n  - call: {media: false}\n"
                           "  - call: {greeting: optional, first_media_timeout: 2s, "
                           "hangup_on_greeting: false, media_path: relay}\n"
                           "load: {users: 1, rate: 1, iterations: 1}\naudio: {record: all, max: 10s}\n",
                           &err),
                     0);
    assert_false(s.steps[0].media);
    assert_int_equal(s.steps[0].greeting, GREETING_OFF);
    assert_int_equal(s.steps[1].greeting, GREETING_OPTIONAL);
    assert_int_equal(s.steps[1].first_media_ms, 2000);
    assert_false(s.steps[1].hangup_on_greeting);
    assert_int_equal(s.steps[0].media_path, MEDIA_PATH_AUTO);
    assert_int_equal(s.steps[1].media_path, MEDIA_PATH_RELAY);
    assert_string_equal(scenario_media_path_name(MEDIA_PATH_DIRECT), "direct");
    assert_int_equal(s.audio.record, RECORD_ALL);
    assert_int_equal(s.audio.max_ms, 10000);
    assert_string_equal(scenario_greeting_name(GREETING_OPTIONAL), "optional");
}

struct bad_case {
    const char *text;
    const char *msg; /* the whole message expected */
};

static void load_profiles(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    const char *ramp = "name: r\nsteps: [call]\n"
                       "load:\n  users: 5\n  profile: ramp\n  start_rate: 2\n"
                       "  stages:\n    - {rate: 10, duration: 30s}\n    - {rate: 50, duration: 1m}\n"
                       "  abort_on: {failure_rate: 20%, min_calls: 50, setup_p95: 3s}\n"
                       "  generator: {lag_p99: 100ms, cpu: 80%}\n";
    assert_int_equal(parse(&s, ramp, &err), 0);
    assert_int_equal(s.load.profile, PROFILE_RAMP);
    assert_true(s.load.start_rate == 2);
    assert_int_equal(s.load.stage_count, 2);
    assert_true(s.load.stages[1].rate == 50);
    assert_int_equal(s.load.stages[1].duration_ms, 60000);
    assert_int_equal(s.load.stages[1].line, 9);
    assert_int_equal(s.load.duration_ms, 90000); /* the stages' length */
    assert_true(s.load.abort_on.set);
    assert_true(s.load.abort_on.failure_pct == 20);
    assert_int_equal(s.load.abort_on.min_calls, 50);
    assert_int_equal(s.load.abort_on.setup_p95_ms, 3000);
    assert_true(s.load.generator.lag_p99_ms == 100 && s.load.generator.cpu_pct == 80);

    const char *until = "name: u\nsteps: [call]\n"
                        "load:\n  users: 5\n  profile: step-until\n"
                        "  step_until: {start_rate: 10, step: 5, step_duration: 20s, warmup: 5s,"
                        " max_rate: 30, break_on: warn}\n"
                        "thresholds:\n  call_success_pct: {warn: 99, crit: 95}\n";
    assert_int_equal(parse(&s, until, &err), 0);
    assert_int_equal(s.load.profile, PROFILE_STEP_UNTIL);
    assert_true(s.load.until.start_rate == 10 && s.load.until.step_rate == 5);
    assert_int_equal(s.load.until.step_ms, 20000);
    assert_int_equal(s.load.until.warmup_ms, 5000);
    assert_int_equal(s.load.until.settle_ms, 1000);
    assert_true(s.load.until.break_on_warn);
    assert_int_equal(s.load.duration_ms, 5 * 20000); /* 10, 15, 20, 25, 30 */
    assert_string_equal(scenario_profile_name(s.load.profile), "step-until");

    /* The default: constant, the generator's limits at their defaults. */
    assert_int_equal(parse(&s, "name: c\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\n",
                           &err), 0);
    assert_int_equal(s.load.profile, PROFILE_CONSTANT);
    assert_int_equal(s.load.concurrent, 0);
    assert_false(s.load.abort_on.set);
    assert_true(s.load.generator.lag_p99_ms == 250 && s.load.generator.cpu_pct == 95);

    /* Constant, closed model: journeys in flight instead of a rate. */
    assert_int_equal(parse(&s, "name: c\nsteps: [call]\nload: {users: 8, concurrent: 5, duration: 1m}\n",
                           &err), 0);
    assert_int_equal(s.load.concurrent, 5);
    assert_true(s.load.rate == 0);
}

static void errors_name_line_and_key(void **state)
{
    static const struct bad_case cases[] = {
        {"name: x\nsteps:\n  - dance\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0]: expected a step: options, register, call, hangup, unregister, wait, "
         "dtmf, ucwa.discover, ucwa.token, ucwa.application, ucwa.available, ucwa.events, "
         "ucwa.signout, ucwa.survival, sip.survival or check"},
        {"name: x\nsteps: [sip.survival]\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:2: steps[0]: sip.survival needs intervals: [...] or search: {...}"},
        {"name: x\nsteps:\n  - sip.survival: {intervals: [5s], probe: pget}\n"
         "load: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].sip.survival.probe: expected keepalive, silent or both"},
        {"name: x\nsteps:\n  - sip.survival: {intervals: [5s], answer_timeout: 0s}\n"
         "load: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].sip.survival.answer_timeout: must be more than 0 (every wait has a "
         "deadline)"},
        {"name: x\nsteps:\n  - sip.survival: {intervals: [5s]}\n"
         "load: {users: 1, rate: 1, iterations: 1}\nsip: {keepalive: 0s}\n",
         "sc.yaml:3: steps[0]: sip.survival probe keepalive needs sip.keepalive above 0 (it is off)"},
        {"name: x\nsteps: [ucwa.survival]\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:2: steps[0]: ucwa.survival needs intervals: [...] or search: {...}"},
        {"name: x\nsteps:\n  - ucwa.survival: {intervals: [600s, 300s]}\n"
         "load: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].ucwa.survival.intervals[1]: intervals go up: 300 s after 600 s"},
        {"name: x\nsteps:\n  - ucwa.events: {pget_timeout: 3600s}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].ucwa.events.pget_timeout: between 1s and 1800s (the server's P-GET "
         "range is 180-1800 s)"},
        {"name: x\nsteps:\n  - ucwa.events: {pget_timeout: 30s, timeout: 10s}\n"
         "load: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].ucwa.events.timeout: must be longer than pget_timeout (30000 ms)"},
        {"name: x\nsteps:\n  - call: {hold: 3}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].call.hold: needs a unit (ms, s, m or h)"},
        {"name: x\nsteps:\n  - call: {hodl: 3s}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].call: unknown key 'hodl' (accepted: hold, timeout, uri, media, "
         "greeting, first_media_timeout, hangup_on_greeting, media_path)"},
        {"name: x\nsteps:\n  - call: {media: false, greeting: required}\n"
         "load: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].call.greeting: a greeting needs media: true"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\naudio: {record: some}\n",
         "sc.yaml:4: audio.record: expected none, failed or all"},
        {"name: x\nsteps: [wait]\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:2: steps[0]: wait needs a duration: - wait: {duration: 5s}"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1}\n",
         "sc.yaml:3: load: give duration, iterations or both (a run must end)"},
        {"name: x\nsteps: [call]\nload: {users: 0, rate: 1, iterations: 1}\n",
         "sc.yaml:3: load.users: must be between 1 and 1000000"},
        {"name: x\nsteps: [call]\n",
         "sc.yaml:1: load: missing (required)"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\n"
         "thresholds:\n  setup_ms.p42: {warn: 1, crit: 2}\n",
         "sc.yaml:5: thresholds.setup_ms.p42: unknown metric (e.g. setup_ms.p95, pdd_ms.p99, "
         "call_success_pct, steps.register.latency_ms.p95; docs/configuration.md lists all)"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\n"
         "thresholds:\n  call_success_pct: {warn: 98, crit: 99}\n",
         "sc.yaml:5: thresholds.call_success_pct: a percentage is bad when low: warn must be "
         "above crit"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1}\nsip: {t1: 0}\n",
         "sc.yaml:4: sip.t1: T1 must be above 0 and T2 at least T1 (RFC 3261 17.1.2.2)"},
        {"name: x\nsteps:\n  - register: {expires: 10s}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].register.expires: at least 60s (RFC 3261 10.2.1.1 lets registrars "
         "refuse less)"},
        {"name: x\nsteps:\n  - call: {timeout: 0}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].call.timeout: must be more than 0 (every wait has a deadline)"},
        {"name: x\nsteps: []\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:2: steps: expected a list of steps"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: \"1\", iterations: 1}\n",
         "sc.yaml:3: load.rate: expected a number without quotes"},
        {"name: x\nsteps:\n  - dtmf: {keys: \"12x\"}\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:3: steps[0].dtmf.keys: 'x' is not a DTMF key (0-9, *, #, A-D)"},
        {"name: x\nsteps: [dtmf]\nload: {users: 1, rate: 1, iterations: 1}\n",
         "sc.yaml:2: steps[0]: dtmf needs keys: - dtmf: {keys: \"1234#\"}"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1, via: dmz}\n",
         "sc.yaml:3: load.via: expected internal or edge"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1, via: [edge, edge]}\n",
         "sc.yaml:3: load.via[1]: edge is listed twice"},
        {"name: x\nsteps: [call]\nload: {users: 1, rate: 1, iterations: 1, via: []}\n",
         "sc.yaml:3: load.via: give internal, edge or [internal, edge]"},
        {"name: x\nsteps: [call]\nload: {users: 1, profile: steady, rate: 1, iterations: 1}\n",
         "sc.yaml:3: load.profile: expected constant, ramp or step-until"},
        {"name: x\nsteps: [call]\nload: {users: 1, profile: ramp, rate: 1}\n",
         "sc.yaml:3: load.rate: belongs to profile constant, not ramp"},
        {"name: x\nsteps: [call]\nload: {users: 1, profile: ramp}\n",
         "sc.yaml:3: load.stages: missing (required)"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  profile: ramp\n  stages:\n"
         "    - {rate: 10, duration: 0}\n",
         "sc.yaml:7: load.stages[0].duration: must be above 0"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  profile: ramp\n  duration: 10s\n"
         "  stages: [{rate: 1, duration: 1s}]\n",
         "sc.yaml:6: load.duration: the stages set the run's length; remove duration"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  profile: step-until\n"
         "  step_until: {start_rate: 1, step: 1, step_duration: 2s, warmup: 2s}\n"
         "thresholds: {call_success_pct: {warn: 99, crit: 95}}\n",
         "sc.yaml:6: load.step_until.warmup: must be shorter than step_duration (nothing would "
         "be judged)"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  profile: step-until\n"
         "  step_until: {start_rate: 1, step: 1, step_duration: 2s}\n",
         "sc.yaml:5: load.profile: step-until needs thresholds: a step breaks when one does"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  profile: step-until\n"
         "  step_until: {start_rate: 1, step_duration: 2s}\n",
         "sc.yaml:6: load.step_until.step: missing (required)"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  rate: 1\n  iterations: 1\n"
         "  abort_on: {failure_rate: 120%}\n",
         "sc.yaml:7: load.abort_on.failure_rate: must be between 0.1 and 100"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  rate: 1\n  iterations: 1\n"
         "  abort_on: {min_calls: 5}\n",
         "sc.yaml:7: load.abort_on: give failure_rate, setup_p95 or both"},
        {"name: x\nsteps: [call]\nload:\n  users: 1\n  rate: 1\n  iterations: 1\n"
         "  generator: {cpu: lots}\n",
         "sc.yaml:7: load.generator.cpu: expected a decimal number (or N%)"},
        {"name: x\nsteps: [call]\nload: {users: 4, rate: 2, concurrent: 2, duration: 1s}\n",
         "sc.yaml:3: load.concurrent: give rate (open model) or concurrent (closed), not both"},
        {"name: x\nsteps: [call]\nload: {users: 4, concurrent: 5, duration: 1s}\n",
         "sc.yaml:3: load.concurrent: must be between 1 and 4"},
        {"nmae: x\n",
         "sc.yaml:1: unknown key 'nmae' (accepted: name, description, steps, load, thresholds, "
         "sip, audio)"},
    };
    static struct scenario s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct synth_error err = {{0}};
        int rc = parse(&s, cases[i].text, &err);
        if (rc != SYNTH_ECONFIG || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: rc %d, message\n  got:  %s\n  want: %s", i, rc, err.msg,
                     cases[i].msg);
    }
}

static void shipped_scenarios_load(void **state)
{
    static const char *const files[] = {"scenarios/voicemail.yaml", "scenarios/voicemail-edge.yaml",
                                         "scenarios/ucwa-signin.yaml", "scenarios/capacity-step-until.yaml",
                                         "scenarios/sip-survival.yaml",
                                         "tests/integration/scenarios/short-call.yaml"};
    const char *src = getenv("SYNTH_SOURCE_DIR");
    if (!src)
        skip();
    static struct scenario s;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1024];
        struct synth_error err = {{0}};
        snprintf(path, sizeof(path), "%s/%s", src, files[i]);
        if (scenario_load(&s, path, &err) != 0)
            fail_msg("%s", err.msg);
        assert_true(s.step_count > 0);
    }
}

static void missing_file(void **state)
{
    static struct scenario s;
    struct synth_error err = {{0}};
    assert_int_not_equal(scenario_load(&s, "/nonexistent/sc.yaml", &err), 0);
    assert_string_equal(err.msg, "/nonexistent/sc.yaml: No such file or directory");
}

static void step_names(void **state)
{
    assert_string_equal(step_kind_name(STEP_OPTIONS), "options");
    assert_string_equal(step_kind_name(STEP_WAIT), "wait");
    assert_string_equal(step_kind_name((enum step_kind)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_scenario),          cmocka_unit_test(defaults),
        cmocka_unit_test(call_media_keys),        cmocka_unit_test(load_via),
        cmocka_unit_test(ucwa_steps),            cmocka_unit_test(load_profiles),
        cmocka_unit_test(sip_survival_step),
        cmocka_unit_test(errors_name_line_and_key), cmocka_unit_test(shipped_scenarios_load),
        cmocka_unit_test(missing_file),           cmocka_unit_test(step_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
