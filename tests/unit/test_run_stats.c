/* Run statistics: counts, percentiles, timeline, merge and threshold metrics. */
#include "synth/engine/run_stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MS 1000
#define SEC 1000000

static struct step_result result(enum step_kind kind, uint32_t user, int64_t start_us,
                                 int64_t latency_us, bool ok, enum failure_class cls)
{
    struct step_result r;
    step_result_init(&r, kind, 0, user);
    r.intended_us = start_us;
    r.start_us = start_us;
    r.end_us = start_us + latency_us;
    r.ok = ok;
    r.cls = ok ? FAIL_NONE : cls;
    return r;
}

static struct step_result call(uint32_t user, int64_t start_us, bool answered, bool ok,
                               int64_t setup_us, enum failure_class cls)
{
    struct step_result r = result(STEP_CALL, user, start_us, setup_us > 0 ? setup_us : SEC, ok,
                                  cls);
    r.answered = answered;
    r.setup_us = setup_us;
    r.pdd_us = setup_us >= 0 ? setup_us / 2 : -1;
    return r;
}

static void assert_within_pct(double got, double want, double pct)
{
    double tol = want * pct / 100.0;
    if (got < want - tol || got > want + tol)
        fail_msg("%f not within %.2f%% of %f", got, pct, want);
}

static void test_call_counts(void **state)
{
    struct run_stats s;
    double v;

    (void)state;
    run_stats_init(&s);
    for (uint32_t i = 0; i < 90; i++) {
        struct step_result r = call(i, i * 10 * MS, true, true, 200 * MS, FAIL_NONE);
        assert_int_equal(run_stats_add_result(&s, &r), 0);
    }
    for (uint32_t i = 0; i < 5; i++) {
        struct step_result r = call(i, SEC, false, false, -1, FAIL_NO_ANSWER);
        assert_int_equal(run_stats_add_result(&s, &r), 0);
    }
    for (uint32_t i = 0; i < 5; i++) {
        /* Answered, then the far end hung up early: answered but not ok. */
        struct step_result r = call(i, SEC, true, false, 300 * MS, FAIL_DROPPED);
        assert_int_equal(run_stats_add_result(&s, &r), 0);
    }
    assert_int_equal(run_stats_add_skip(&s, SEC, true), 0);
    assert_int_equal(run_stats_add_skip(&s, SEC, false), 0);

    assert_int_equal(s.calls_attempted, 100);
    assert_int_equal(s.calls_answered, 95);
    assert_int_equal(s.calls_failed, 10);
    assert_int_equal(s.calls_ok, 90);
    assert_int_equal(s.calls_skipped, 1);
    assert_int_equal(s.journeys_skipped, 2);
    assert_int_equal(s.steps[STEP_CALL].attempts, 100);
    assert_int_equal(s.steps[STEP_CALL].ok, 90);
    assert_int_equal(s.steps[STEP_CALL].failed, 10);
    assert_int_equal(s.steps[STEP_CALL].failures[FAIL_NO_ANSWER], 5);
    assert_int_equal(s.steps[STEP_CALL].failures[FAIL_DROPPED], 5);
    assert_int_equal(s.setup.count, 95); /* not-answered calls have no setup time */
    assert_int_equal(s.pdd.count, 95);
    assert_int_equal(run_stats_attempts(&s), 100);

    /* Skipped arrivals are reported but are not failed calls. */
    assert_int_equal(run_stats_metric(&s, "call_success_pct", &v), 0);
    assert_true(v == 90.0);
    assert_int_equal(run_stats_metric(&s, "steps.call.success_pct", &v), 0);
    assert_true(v == 90.0);
    run_stats_free(&s);
}

static void test_percentiles(void **state)
{
    struct run_stats s;
    double v;

    (void)state;
    run_stats_init(&s);
    /* Setup times 1..1000 ms, one each, in a shuffled order. */
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t ms = (i * 617) % 1000 + 1;
        struct step_result r = call(i, 0, true, true, (int64_t)ms * MS, FAIL_NONE);
        assert_int_equal(run_stats_add_result(&s, &r), 0);
    }
    assert_int_equal(run_stats_metric(&s, "setup_ms.p50", &v), 0);
    assert_within_pct(v, 500, 1);
    assert_int_equal(run_stats_metric(&s, "setup_ms.p90", &v), 0);
    assert_within_pct(v, 900, 1);
    assert_int_equal(run_stats_metric(&s, "setup_ms.p95", &v), 0);
    assert_within_pct(v, 950, 1);
    assert_int_equal(run_stats_metric(&s, "setup_ms.p99", &v), 0);
    assert_within_pct(v, 990, 1);
    assert_int_equal(run_stats_metric(&s, "setup_ms.max", &v), 0);
    assert_true(v == 1000.0); /* exact, not a bucket bound */
    assert_int_equal(run_stats_metric(&s, "setup_ms.mean", &v), 0);
    assert_true(v == 500.5);
    assert_int_equal(run_stats_metric(&s, "pdd_ms.p50", &v), 0);
    assert_within_pct(v, 250, 1);
    /* Step latency is from the intended start: here equal to the setup time. */
    assert_int_equal(run_stats_metric(&s, "steps.call.latency_ms.p99", &v), 0);
    assert_within_pct(v, 990, 1);
    run_stats_free(&s);
}

static void test_latency_from_intended_start(void **state)
{
    struct run_stats s;
    double v;

    (void)state;
    run_stats_init(&s);
    struct step_result r = result(STEP_OPTIONS, 0, 0, 0, true, FAIL_NONE);
    r.intended_us = 1 * SEC;
    r.start_us = 1 * SEC + 400 * MS; /* started 400 ms late */
    r.end_us = r.start_us + 100 * MS;
    assert_int_equal(run_stats_add_result(&s, &r), 0);
    assert_int_equal(run_stats_metric(&s, "steps.options.latency_ms.max", &v), 0);
    assert_true(v == 500.0);

    assert_int_equal(run_stats_add_start(&s, 0, 2 * MS), 0);
    assert_int_equal(run_stats_add_start(&s, 0, -5), 0); /* early counts as no lag */
    assert_int_equal(run_stats_metric(&s, "generator.lag_ms.max", &v), 0);
    assert_true(v == 2.0);
    assert_int_equal(s.lag.min_us, 0);
    run_stats_free(&s);
}

static void test_timeline(void **state)
{
    struct run_stats s;

    (void)state;
    run_stats_init(&s);
    assert_null(s.timeline);
    struct step_result a = call(0, 500 * MS, true, true, 100 * MS, FAIL_NONE);
    struct step_result b = call(1, 1200 * MS, false, false, -1, FAIL_TIMEOUT);
    struct step_result c = result(STEP_REGISTER, 2, 3900 * MS, 50 * MS, true, FAIL_NONE);
    assert_int_equal(run_stats_add_result(&s, &a), 0);
    assert_int_equal(run_stats_add_result(&s, &b), 0);
    assert_int_equal(run_stats_add_result(&s, &c), 0);
    assert_int_equal(run_stats_add_skip(&s, 2500 * MS, true), 0);
    assert_int_equal(run_stats_add_start(&s, 1 * SEC, 0), 0);
    assert_int_equal(run_stats_add_start(&s, -3, 0), 0); /* before the start mark: second 0 */

    assert_int_equal(s.timeline_len, 4);
    assert_int_equal(s.timeline[0].calls, 1);
    assert_int_equal(s.timeline[0].answered, 1);
    assert_int_equal(s.timeline[0].ok, 1);
    assert_int_equal(s.timeline[0].started, 1);
    assert_int_equal(s.timeline[0].setup.count, 1);
    assert_int_equal(s.timeline[1].calls, 1);
    assert_int_equal(s.timeline[1].answered, 0);
    assert_int_equal(s.timeline[1].failed, 1);
    assert_int_equal(s.timeline[1].started, 1);
    assert_int_equal(s.timeline[2].skipped, 1);
    assert_int_equal(s.timeline[2].calls, 0);
    assert_int_equal(s.timeline[3].ok, 1);
    assert_int_equal(s.timeline[3].calls, 0);

    /* Past the bound the totals count, the timeline does not grow. */
    struct step_result late = result(STEP_OPTIONS, 0, (int64_t)RUN_TIMELINE_MAX_SECONDS * SEC,
                                     MS, true, FAIL_NONE);
    assert_int_equal(run_stats_add_result(&s, &late), 0);
    assert_int_equal(s.timeline_len, 4);
    assert_int_equal(s.steps[STEP_OPTIONS].attempts, 1);
    run_stats_free(&s);
    assert_null(s.timeline);
    assert_int_equal(s.timeline_len, 0);
}

static void test_failure_without_class_is_internal(void **state)
{
    struct run_stats s;

    (void)state;
    run_stats_init(&s);
    struct step_result r = result(STEP_REGISTER, 0, 0, MS, false, FAIL_NONE);
    r.cls = FAIL_NONE;
    assert_int_equal(run_stats_add_result(&s, &r), 0);
    r.cls = (enum failure_class)99;
    assert_int_equal(run_stats_add_result(&s, &r), 0);
    assert_int_equal(s.steps[STEP_REGISTER].failures[FAIL_NONE], 0);
    assert_int_equal(s.steps[STEP_REGISTER].failures[FAIL_INTERNAL], 2);

    r.kind = STEP_KIND_COUNT;
    assert_int_equal(run_stats_add_result(&s, &r), SYNTH_EINVAL);
    run_stats_free(&s);
}

static void test_first_example_is_earliest(void **state)
{
    struct run_stats s, o;

    (void)state;
    run_stats_init(&s);
    run_stats_init(&o);
    struct step_result late = result(STEP_REGISTER, 4, 5 * SEC, MS, false, FAIL_AUTH);
    late.sip_status = 403;
    strcpy(late.sip_reason, "Forbidden late");
    struct step_result early = late;
    early.start_us = early.intended_us = 2 * SEC;
    early.user_index = 9;
    strcpy(early.sip_reason, "Forbidden early");
    /* A full-length text without its NUL is cut, not over-read. */
    memset(early.detail, 'x', sizeof(early.detail));
    assert_int_equal(run_stats_add_result(&s, &late), 0);
    assert_int_equal(run_stats_add_result(&s, &early), 0);
    const struct failure_example *e = &s.steps[STEP_REGISTER].first[FAIL_AUTH];
    assert_int_equal(e->user_index, 9);
    assert_int_equal(e->at_us, 2 * SEC);
    assert_int_equal(e->sip_status, 403);
    assert_string_equal(e->sip_reason, "Forbidden early");
    assert_int_equal(strlen(e->detail), RESULT_TEXT_MAX - 1);

    /* Merging keeps the earliest whichever side holds it. */
    struct step_result earliest = late;
    earliest.start_us = earliest.intended_us = 1 * SEC;
    earliest.user_index = 1;
    assert_int_equal(run_stats_add_result(&o, &earliest), 0);
    assert_int_equal(run_stats_merge(&s, &o), 0);
    assert_int_equal(s.steps[STEP_REGISTER].first[FAIL_AUTH].user_index, 1);
    assert_int_equal(s.steps[STEP_REGISTER].failures[FAIL_AUTH], 3);
    run_stats_free(&s);
    run_stats_free(&o);
}

/* A deterministic mix of every kind of result, at times spread over 30 s. */
static void feed(struct run_stats *s, uint32_t i)
{
    uint32_t x = i * 2654435761u;
    int64_t t = (int64_t)(x % 30000) * MS;
    enum step_kind kind = (enum step_kind)(x % STEP_KIND_COUNT);
    bool ok = x % 7 != 0;
    enum failure_class cls = (enum failure_class)(1 + x % (FAIL_CLASS_COUNT - 1));

    if (x % 11 == 0) {
        assert_int_equal(run_stats_add_skip(s, t, x % 2), 0);
        return;
    }
    assert_int_equal(run_stats_add_start(s, t, (int64_t)(x % 5000)), 0);
    struct step_result r;
    if (kind == STEP_CALL)
        r = call(i, t, ok || x % 3 == 0, ok, ok ? (int64_t)(x % 900000) : -1, cls);
    else
        r = result(kind, i, t, (int64_t)(x % 2000000), ok, cls);
    snprintf(r.detail, sizeof(r.detail), "result %u", i);
    assert_int_equal(run_stats_add_result(s, &r), 0);
    if (x % 5)
        run_stats_add_completed(s);
}

static void assert_hist_equal(const struct hist *a, const struct hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->min_us, b->min_us);
    assert_int_equal(a->max_us, b->max_us);
    assert_true(a->sum_us == b->sum_us);
    assert_memory_equal(a->buckets, b->buckets, sizeof(a->buckets));
}

static void test_merge_equals_one(void **state)
{
    struct run_stats *one = malloc(sizeof(*one)), *a = malloc(sizeof(*a)),
                     *b = malloc(sizeof(*b));

    (void)state;
    assert_non_null(one);
    assert_non_null(a);
    assert_non_null(b);
    run_stats_init(one);
    run_stats_init(a);
    run_stats_init(b);
    for (uint32_t i = 0; i < 5000; i++) {
        feed(one, i);
        /* b gets the first 30 s only partly: timelines of different lengths. */
        feed(i % 3 ? a : b, i);
    }
    one->duration_us = 31 * SEC;
    a->duration_us = 30 * SEC;
    b->duration_us = 31 * SEC;
    assert_int_equal(run_stats_merge(a, b), 0);
    assert_int_equal(run_stats_merge(a, a), SYNTH_EINVAL);

    assert_int_equal(a->journeys_started, one->journeys_started);
    assert_int_equal(a->journeys_completed, one->journeys_completed);
    assert_int_equal(a->journeys_skipped, one->journeys_skipped);
    assert_int_equal(a->calls_attempted, one->calls_attempted);
    assert_int_equal(a->calls_answered, one->calls_answered);
    assert_int_equal(a->calls_failed, one->calls_failed);
    assert_int_equal(a->calls_ok, one->calls_ok);
    assert_int_equal(a->calls_skipped, one->calls_skipped);
    assert_int_equal(a->duration_us, 31 * SEC);
    assert_hist_equal(&a->setup, &one->setup);
    assert_hist_equal(&a->pdd, &one->pdd);
    assert_hist_equal(&a->lag, &one->lag);
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        const struct step_stats *x = &a->steps[k], *y = &one->steps[k];
        assert_int_equal(x->attempts, y->attempts);
        assert_int_equal(x->ok, y->ok);
        assert_int_equal(x->failed, y->failed);
        assert_memory_equal(x->failures, y->failures, sizeof(x->failures));
        assert_hist_equal(&x->latency, &y->latency);
        for (int c = 0; c < FAIL_CLASS_COUNT; c++) {
            if (!y->failures[c])
                continue;
            assert_int_equal(x->first[c].at_us, y->first[c].at_us);
            assert_string_equal(x->first[c].detail, y->first[c].detail);
        }
    }
    assert_int_equal(a->timeline_len, one->timeline_len);
    for (size_t t = 0; t < one->timeline_len; t++) {
        const struct timeline_sec *x = &a->timeline[t], *y = &one->timeline[t];
        assert_int_equal(x->started, y->started);
        assert_int_equal(x->skipped, y->skipped);
        assert_int_equal(x->calls, y->calls);
        assert_int_equal(x->answered, y->answered);
        assert_int_equal(x->failed, y->failed);
        assert_int_equal(x->ok, y->ok);
        assert_hist_equal(&x->setup, &y->setup);
    }
    /* The mix must have exercised what it claims to. */
    assert_true(one->calls_attempted > 100 && one->journeys_skipped > 100);
    assert_int_equal(one->timeline_len, 30);
    run_stats_free(one);
    run_stats_free(a);
    run_stats_free(b);
    free(one);
    free(a);
    free(b);
}

static void test_merge_into_empty(void **state)
{
    struct run_stats dst, src;

    (void)state;
    run_stats_init(&dst);
    run_stats_init(&src);
    struct step_result r = call(0, 75 * SEC, true, true, 100 * MS, FAIL_NONE);
    assert_int_equal(run_stats_add_result(&src, &r), 0);
    assert_int_equal(run_stats_merge(&dst, &src), 0);
    assert_int_equal(dst.timeline_len, 76);
    assert_true(dst.timeline_cap >= 76);
    assert_int_equal(dst.timeline[75].calls, 1);
    assert_int_equal(dst.timeline[74].calls, 0);
    assert_int_equal(dst.calls_ok, 1);
    run_stats_free(&dst);
    run_stats_free(&src);
}

static void test_metric_names(void **state)
{
    struct run_stats full, empty;
    char name[RUN_METRIC_NAME_MAX];
    char seen[320][RUN_METRIC_NAME_MAX];
    size_t n = 0;
    double v;

    (void)state;
    run_stats_init(&full);
    run_stats_init(&empty);
    /* One successful result of every kind, a call with media, a journey start. */
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        struct step_result r = k == STEP_CALL ? call(0, 0, true, true, 150 * MS, FAIL_NONE)
                                              : result((enum step_kind)k, 0, 0, 20 * MS, true,
                                                       FAIL_NONE);
        if (k == STEP_CALL) {
            r.media.enabled = r.media.flowed = r.media.greeting_heard = true;
            r.media.first_media_us = 30 * MS;
            r.media.greeting_onset_us = 400 * MS;
            r.media.loss_pct = 0.5;
            r.media.jitter_ms = 1.5;
            r.media.mos = 4.3;
            r.media.peer_rtcp = r.media.peer_report = true;
            r.media.peer_loss_pct = 0.2;
            r.media.peer_jitter_ms = 0.8;
            r.media.relay_allocate_us = 2 * MS;
        }
        assert_int_equal(run_stats_add_result(&full, &r), 0);
    }
    assert_int_equal(run_stats_add_start(&full, 0, 3 * MS), 0);

    for (size_t i = 0; run_stats_metric_name(i, name, sizeof(name)) == 0; i++) {
        assert_true(n < 320);
        for (size_t j = 0; j < n; j++)
            assert_string_not_equal(seen[j], name);
        strcpy(seen[n++], name);
        if (run_stats_metric(&full, name, &v) != 0)
            fail_msg("metric %s: no value with data", name);
        assert_true(v >= 0);
        /* No data is SYNTH_EINVAL (the verdict's "no-data"), never 0. */
        if (run_stats_metric(&empty, name, &v) != SYNTH_EINVAL)
            fail_msg("metric %s: a value without data", name);
    }
    /* 3 run-wide latencies x 6, 2 percentages, per kind 6 latencies + success,
     * then media: 2 percentages and 8 distributions x 6 (the relay's
     * allocation time the eighth). */
    assert_int_equal(n, 3 * 6 + 2 + STEP_KIND_COUNT * 7 + 2 + 8 * 6);
    assert_int_equal(run_stats_metric(&full, "relay_allocate_ms.p95", &v), 0);
    assert_true(v > 1.9 && v < 2.1);
    assert_int_equal(run_stats_metric(&full, "mos.p50", &v), 0);
    assert_true(v > 4.25 && v < 4.35);
    assert_int_equal(run_stats_metric(&full, "loss_pct.max", &v), 0);
    assert_true(v > 0.49 && v < 0.51);
    assert_int_equal(run_stats_metric(&full, "jitter_ms.max", &v), 0);
    assert_true(v > 1.49 && v < 1.51);
    assert_int_equal(run_stats_metric(&full, "media_ok_pct", &v), 0);
    assert_true(v == 100.0);
    assert_int_equal(run_stats_metric_name(n, name, sizeof(name)), SYNTH_ENOTFOUND);
    assert_int_equal(run_stats_metric_name(0, name, 5), SYNTH_ETOOBIG);

    static const char *const names[] = {"setup_ms.p50",  "setup_ms.mean", "pdd_ms.p99",
                                        "generator.lag_ms.p95", "call_success_pct",
                                        "register_success_pct", "steps.register.latency_ms.p95",
                                        "steps.wait.success_pct", "steps.call.latency_ms.max"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        bool listed = false;
        for (size_t j = 0; j < n; j++)
            listed |= strcmp(seen[j], names[i]) == 0;
        if (!listed)
            fail_msg("%s is not listed", names[i]);
    }

    static const char *const bad[] = {"",
                                      "setup_ms",
                                      "setup_ms.",
                                      "setup_ms.p42",
                                      "setup_ms.p95x",
                                      "calls",
                                      "steps.",
                                      "steps.call",
                                      "steps.call.latency_ms",
                                      "steps.call.latency_ms.",
                                      "steps.bogus.success_pct",
                                      "steps.callx.success_pct",
                                      "steps.call.success_pct.p95",
                                      "generator.lag_ms",
                                      "call_success_pct.p95"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (run_stats_metric(&full, bad[i], &v) != SYNTH_ENOTFOUND)
            fail_msg("\"%s\" should be unknown", bad[i]);
    }
    run_stats_free(&full);
    run_stats_free(&empty);
}

static void test_success_percentages(void **state)
{
    struct run_stats s;
    double v;

    (void)state;
    run_stats_init(&s);
    for (uint32_t i = 0; i < 8; i++) {
        struct step_result r = result(STEP_REGISTER, i, 0, MS, i < 6, FAIL_AUTH);
        assert_int_equal(run_stats_add_result(&s, &r), 0);
    }
    assert_int_equal(run_stats_metric(&s, "register_success_pct", &v), 0);
    assert_true(v == 75.0);
    assert_int_equal(run_stats_metric(&s, "steps.register.success_pct", &v), 0);
    assert_true(v == 75.0);
    /* No call was made: no data, not 0 % and not 100 %. */
    assert_int_equal(run_stats_metric(&s, "call_success_pct", &v), SYNTH_EINVAL);
    assert_int_equal(run_stats_metric(&s, "steps.call.success_pct", &v), SYNTH_EINVAL);
    run_stats_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_counts),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_latency_from_intended_start),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_failure_without_class_is_internal),
        cmocka_unit_test(test_first_example_is_earliest),
        cmocka_unit_test(test_merge_equals_one),
        cmocka_unit_test(test_merge_into_empty),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_success_percentages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
