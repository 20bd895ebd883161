/* The verdict: thresholds at their boundaries both ways, unknown when nothing
 * ran, findings from failures, the caller's findings and the list bound. */
#include "reports/verdict.h"

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

struct fixture {
    struct run_stats stats;
    struct scenario sc;
    struct verdict v;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    run_stats_init(&f->stats);
    verdict_init(&f->v);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    run_stats_free(&f->stats);
    verdict_free(&f->v);
    free(f);
    return 0;
}

static void add_threshold(struct scenario *sc, const char *metric, double warn, double crit)
{
    struct scenario_threshold *t = &sc->thresholds[sc->threshold_count++];
    snprintf(t->metric, sizeof(t->metric), "%s", metric);
    t->warn = warn;
    t->crit = crit;
    t->line = (uint32_t)(10 + sc->threshold_count);
}

static void add(struct run_stats *s, enum step_kind kind, uint32_t user, int64_t start_us,
                bool ok, enum failure_class cls, const char *detail)
{
    struct step_result r;
    step_result_init(&r, kind, 0, user);
    r.intended_us = r.start_us = start_us;
    r.end_us = start_us + 10 * MS;
    r.ok = ok;
    r.cls = ok ? FAIL_NONE : cls;
    if (detail)
        snprintf(r.detail, sizeof(r.detail), "%s", detail);
    if (kind == STEP_CALL && ok) {
        r.answered = true;
        r.setup_us = 1000 * MS; /* every call: exactly 1000 ms */
        r.pdd_us = 400 * MS;
    }
    assert_int_equal(run_stats_add_result(s, &r), 0);
}

static const struct finding *find(const struct verdict *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->findings[i].id, id) == 0)
            return &v->findings[i];
    }
    return NULL;
}

/* Evaluates a single threshold over 100 calls (90 ok at setup 1000 ms). */
static enum verdict_level one_threshold(const char *metric, double warn, double crit)
{
    struct fixture *f = calloc(1, sizeof(*f));
    enum verdict_level level;

    assert_non_null(f);
    run_stats_init(&f->stats);
    verdict_init(&f->v);
    for (uint32_t i = 0; i < 100; i++)
        add(&f->stats, STEP_CALL, i, i * MS, i < 90, FAIL_REJECTED, NULL);
    add_threshold(&f->sc, metric, warn, crit);
    /* Cover the call step so the partial failures leave the verdict to the threshold. */
    add_threshold(&f->sc, "call_success_pct", 0, -1);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    level = f->v.level;
    run_stats_free(&f->stats);
    verdict_free(&f->v);
    free(f);
    return level;
}

static void test_above_is_bad_boundaries(void **state)
{
    (void)state;
    /* The p95 of 90 values of exactly 1000 ms is 1000.0 ms. */
    assert_int_equal(one_threshold("setup_ms.p95", 1000, 2000), VERDICT_OK);
    assert_int_equal(one_threshold("setup_ms.p95", 999.999, 2000), VERDICT_WARNING);
    assert_int_equal(one_threshold("setup_ms.p95", 500, 1000), VERDICT_WARNING);
    assert_int_equal(one_threshold("setup_ms.p95", 500, 999.999), VERDICT_CRITICAL);
    /* warn == crit: above is bad, and above is then critical. */
    assert_int_equal(one_threshold("setup_ms.p95", 1000, 1000), VERDICT_OK);
    assert_int_equal(one_threshold("setup_ms.p95", 999, 999), VERDICT_CRITICAL);
}

static void test_below_is_bad_boundaries(void **state)
{
    (void)state;
    /* 90 of 100 calls answered and ok: 90 %. */
    assert_int_equal(one_threshold("call_success_pct", 90, 80), VERDICT_OK);
    assert_int_equal(one_threshold("call_success_pct", 90.001, 80), VERDICT_WARNING);
    assert_int_equal(one_threshold("call_success_pct", 95, 90), VERDICT_WARNING);
    assert_int_equal(one_threshold("call_success_pct", 95, 90.001), VERDICT_CRITICAL);
}

static void test_threshold_finding(void **state)
{
    struct fixture *f = *state;
    struct threshold_result t;

    for (uint32_t i = 0; i < 10; i++)
        add(&f->stats, STEP_CALL, i, i * SEC, true, FAIL_NONE, NULL);
    add_threshold(&f->sc, "setup_ms.p95", 800, 1500);
    add_threshold(&f->sc, "call_success_pct", 99, 95);
    add_threshold(&f->sc, "pdd_ms.p50", 300, 350);

    verdict_threshold_eval(&f->sc.thresholds[0], &f->stats, &t);
    assert_true(t.has_value);
    assert_false(t.below_is_bad);
    assert_true(t.value == 1000.0);
    assert_int_equal(t.level, VERDICT_WARNING);
    verdict_threshold_eval(&f->sc.thresholds[1], &f->stats, &t);
    assert_true(t.below_is_bad);
    assert_int_equal(t.level, VERDICT_OK);

    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    const struct finding *setup = find(&f->v, "threshold.setup_ms.p95");
    assert_non_null(setup);
    assert_int_equal(setup->level, VERDICT_WARNING);
    assert_true(setup->has_value && setup->value == 1000.0);
    assert_string_equal(setup->evidence, "setup_ms.p95 = 1000.0 ms > warn 800 ms");
    assert_string_equal(setup->summary, "setup_ms.p95 is above its warning threshold");
    assert_true(setup->remedy[0] != '\0');
    const struct finding *pdd = find(&f->v, "threshold.pdd_ms.p50");
    assert_non_null(pdd);
    assert_int_equal(pdd->level, VERDICT_CRITICAL);
    assert_string_equal(pdd->evidence, "pdd_ms.p50 = 400.0 ms > crit 350 ms");
    /* A passing threshold is no finding; the most severe comes first. */
    assert_null(find(&f->v, "threshold.call_success_pct"));
    assert_int_equal(f->v.n, 2);
    assert_string_equal(f->v.findings[0].id, "threshold.pdd_ms.p50");
    assert_string_equal(verdict_name(f->v.level), "critical");
}

static void test_below_evidence(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 20; i++)
        add(&f->stats, STEP_CALL, i, i * SEC, i != 3, FAIL_NO_ANSWER, NULL);
    add_threshold(&f->sc, "call_success_pct", 99, 90);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    const struct finding *fi = find(&f->v, "threshold.call_success_pct");
    assert_non_null(fi);
    assert_string_equal(fi->evidence, "call_success_pct = 95.0 % < warn 99 %");
    assert_string_equal(fi->summary, "call_success_pct is below its warning threshold");
    /* The threshold judges the partial no-answers: their finding is info. */
    const struct finding *na = find(&f->v, "call.no-answer");
    assert_non_null(na);
    assert_int_equal(na->level, VERDICT_OK);
    assert_string_equal(finding_severity_name(na->level), "info");
    assert_int_equal(f->v.level, VERDICT_WARNING);
}

static void test_unknown_when_nothing_attempted(void **state)
{
    struct fixture *f = *state;

    add_threshold(&f->sc, "setup_ms.p95", 800, 1500);
    assert_int_equal(run_stats_add_skip(&f->stats, 0, true), 0);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_UNKNOWN);
    assert_int_equal((int)f->v.level, 3); /* the Nagios exit code */
    assert_string_equal(verdict_name(f->v.level), "unknown");
    assert_int_equal(f->v.n, 1);
    assert_string_equal(f->v.findings[0].id, "run.nothing-attempted");
    assert_string_equal(f->v.findings[0].evidence, "0 journeys started, 1 arrivals skipped");
    assert_non_null(strstr(f->v.findings[0].remedy, "max_concurrent"));
}

static void test_no_data_threshold_is_warning(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 5; i++)
        add(&f->stats, STEP_REGISTER, i, i * SEC, true, FAIL_NONE, NULL);
    add_threshold(&f->sc, "setup_ms.p95", 800, 1500);
    add_threshold(&f->sc, "register_success_pct", 99, 90);
    add_threshold(&f->sc, "steps.call.success_pct", 99, 90);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_WARNING);
    assert_int_equal(f->v.n, 1);
    const struct finding *nd = find(&f->v, "threshold.no-data");
    assert_non_null(nd);
    assert_int_equal(nd->level, VERDICT_WARNING);
    assert_string_equal(nd->evidence,
                        "2 threshold(s) without data: setup_ms.p95, steps.call.success_pct");
}

static void test_unknown_metric(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_OPTIONS, 0, 0, true, FAIL_NONE, NULL);
    add_threshold(&f->sc, "setup_ms.p97", 1, 2);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_UNKNOWN);
    const struct finding *u = find(&f->v, "threshold.unknown-metric");
    assert_non_null(u);
    assert_string_equal(u->evidence, "1 unknown metric(s): setup_ms.p97 (line 11)");
}

static void test_auth_refused(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 10; i++)
        add(&f->stats, STEP_REGISTER, i, (10 - i) * SEC, i >= 3, FAIL_AUTH, NULL);
    /* Even with a success threshold that passes, refused credentials page. */
    add_threshold(&f->sc, "register_success_pct", 50, 10);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    const struct finding *a = find(&f->v, "register.auth-refused");
    assert_non_null(a);
    assert_int_equal(a->level, VERDICT_CRITICAL);
    assert_string_equal(a->summary, "register: credentials refused on 3 of 10 attempts");
    assert_non_null(strstr(a->remedy, "password"));
    /* The earliest failure is the example: user 2 started at 8 s. */
    assert_non_null(strstr(a->evidence, "first: user 2 at 8.000 s"));
}

static void test_rejected_partial_and_total(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 4; i++) {
        struct step_result r;
        step_result_init(&r, STEP_REGISTER, 1, i);
        r.ok = i > 0;
        r.cls = i > 0 ? FAIL_NONE : FAIL_REJECTED;
        r.sip_status = 404;
        strcpy(r.sip_reason, "Not Found");
        strcpy(r.ms_diagnostics, "4005;reason=\"Destination URI either not enabled for SIP\"");
        assert_int_equal(run_stats_add_result(&f->stats, &r), 0);
    }
    for (uint32_t i = 0; i < 3; i++)
        add(&f->stats, STEP_CALL, i, SEC, false, FAIL_NO_ANSWER, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    const struct finding *rej = find(&f->v, "register.rejected");
    assert_non_null(rej);
    /* One of four without a success threshold: a warning. */
    assert_int_equal(rej->level, VERDICT_WARNING);
    assert_non_null(strstr(rej->evidence, "SIP 404 Not Found"));
    assert_non_null(strstr(rej->evidence, "ms-diagnostics: 4005;"));
    /* Every call unanswered: critical. */
    const struct finding *na = find(&f->v, "call.no-answer");
    assert_non_null(na);
    assert_int_equal(na->level, VERDICT_CRITICAL);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    assert_string_equal(f->v.findings[0].id, "call.no-answer");
}

static void test_transport_unreachable(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 5; i++)
        add(&f->stats, STEP_OPTIONS, i, (i + 1) * SEC, false, i < 4 ? FAIL_TRANSPORT : FAIL_TLS,
            i < 4 ? "connect to 192.0.2.1:5061: Connection refused" : "handshake: reset");
    add(&f->stats, STEP_REGISTER, 0, 0, true, FAIL_NONE, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    const struct finding *u = find(&f->v, "transport.unreachable");
    assert_non_null(u);
    assert_int_equal(u->level, VERDICT_CRITICAL);
    assert_string_equal(u->summary,
                        "the target is unreachable: every options attempt failed to connect");
    assert_non_null(strstr(u->evidence, "options: 5 of 5 attempts failed (transport 4, tls 1)"));
    assert_non_null(strstr(u->evidence, "Connection refused"));
    /* Said once: no options.transport finding repeating it. */
    assert_null(find(&f->v, "options.transport"));
    /* One TLS failure of five is a partial failure on its own. */
    const struct finding *tls = find(&f->v, "tls.verify-failed");
    assert_non_null(tls);
    assert_int_equal(tls->level, VERDICT_WARNING);
}

static void test_partial_transport_is_not_unreachable(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_OPTIONS, 0, 0, false, FAIL_TRANSPORT, "reset");
    add(&f->stats, STEP_OPTIONS, 1, 0, true, FAIL_NONE, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_null(find(&f->v, "transport.unreachable"));
    const struct finding *t = find(&f->v, "options.transport");
    assert_non_null(t);
    assert_int_equal(t->level, VERDICT_WARNING);
    assert_int_equal(f->v.level, VERDICT_WARNING);
}

static void test_tls_verify_failed(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_REGISTER, 3, 2 * SEC, false, FAIL_TLS, "later failure");
    add(&f->stats, STEP_OPTIONS, 1, 1 * SEC, false, FAIL_TLS,
        "certificate verify failed: unable to get local issuer certificate");
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    const struct finding *tls = find(&f->v, "tls.verify-failed");
    assert_non_null(tls);
    assert_int_equal(tls->level, VERDICT_CRITICAL);
    /* The earliest detail leads the evidence. */
    assert_int_equal(strncmp(tls->evidence,
                             "certificate verify failed: unable to get local issuer certificate; "
                             "2 of 2 attempts",
                             80),
                     0);
    assert_non_null(find(&f->v, "transport.unreachable"));
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
}

static void test_consequences_are_info(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_CALL, 0, 0, true, FAIL_NONE, NULL);
    add(&f->stats, STEP_HANGUP, 0, 0, false, FAIL_NOT_READY, NULL);
    add(&f->stats, STEP_HANGUP, 1, 0, true, FAIL_NONE, NULL);
    add(&f->stats, STEP_WAIT, 0, 0, false, FAIL_CANCELED, NULL);
    add(&f->stats, STEP_WAIT, 1, 0, true, FAIL_NONE, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_OK);
    assert_int_equal(find(&f->v, "hangup.not-ready")->level, VERDICT_OK);
    assert_int_equal(find(&f->v, "wait.canceled")->level, VERDICT_OK);
}

static void test_internal_error_is_unknown(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_OPTIONS, 0, 0, false, FAIL_INTERNAL, NULL);
    add(&f->stats, STEP_OPTIONS, 0, 0, true, FAIL_NONE, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_UNKNOWN);
    assert_non_null(find(&f->v, "options.internal"));
}

static void test_skipped_arrivals_reported(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_CALL, 0, 0, true, FAIL_NONE, NULL);
    assert_int_equal(run_stats_add_start(&f->stats, 0, 0), 0);
    assert_int_equal(run_stats_add_skip(&f->stats, 0, true), 0);
    assert_int_equal(run_stats_add_skip(&f->stats, 0, true), 0);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_OK);
    const struct finding *s = find(&f->v, "load.arrivals-skipped");
    assert_non_null(s);
    assert_string_equal(s->evidence, "2 of 3 arrivals skipped (2 would have called)");
}

static void test_caller_findings_and_precedence(void **state)
{
    struct fixture *f = *state;

    add(&f->stats, STEP_OPTIONS, 0, 0, true, FAIL_NONE, NULL);
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_OK);
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_WARNING, "w.one", "s", NULL, NULL), 0);
    assert_int_equal(f->v.level, VERDICT_WARNING);
    /* A saturated generator: the measurement is in doubt, worse than a warning. */
    assert_int_equal(verdict_add_findingf(&f->v, VERDICT_UNKNOWN, "generator.saturated",
                                          "the generator fell behind", "add workers",
                                          "generator.lag_ms.p99 = %.1f ms > %d ms", 812.5, 100),
                     0);
    assert_int_equal(f->v.level, VERDICT_UNKNOWN);
    const struct finding *g = find(&f->v, "generator.saturated");
    assert_string_equal(g->evidence, "generator.lag_ms.p99 = 812.5 ms > 100 ms");
    assert_string_equal(find(&f->v, "w.one")->evidence, "");
    /* An outage pages even then. */
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_CRITICAL, "c", "s", "e", "r"), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_UNKNOWN, "u2", "s", "e", "r"), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    /* Most severe first; equal levels in the order added. */
    assert_string_equal(f->v.findings[0].id, "c");
    assert_string_equal(f->v.findings[1].id, "generator.saturated");
    assert_string_equal(f->v.findings[2].id, "u2");
    assert_string_equal(f->v.findings[3].id, "w.one");
    assert_string_equal(finding_severity_name(VERDICT_UNKNOWN), "warning");
}

static void test_findings_bounded(void **state)
{
    struct fixture *f = *state;
    char id[32];

    for (int i = 0; i < VERDICT_FINDINGS_MAX + 36; i++) {
        snprintf(id, sizeof(id), "w.%d", i);
        assert_int_equal(verdict_add_finding(&f->v, VERDICT_WARNING, id, "s", "e", "r"), 0);
    }
    assert_int_equal(f->v.n, VERDICT_FINDINGS_MAX);
    assert_int_equal(f->v.dropped, 36);
    assert_string_equal(f->v.findings[VERDICT_FINDINGS_MAX - 1].id, "w.63");
    /* A more severe one still gets in, the last warning goes. */
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_CRITICAL, "crit", "s", "e", "r"), 0);
    assert_int_equal(f->v.n, VERDICT_FINDINGS_MAX);
    assert_int_equal(f->v.dropped, 37);
    assert_string_equal(f->v.findings[0].id, "crit");
    assert_string_equal(f->v.findings[1].id, "w.0");
    assert_string_equal(f->v.findings[VERDICT_FINDINGS_MAX - 1].id, "w.62");
    /* A dropped finding still raises the verdict. */
    verdict_free(&f->v);
    for (int i = 0; i < VERDICT_FINDINGS_MAX; i++)
        assert_int_equal(verdict_add_finding(&f->v, VERDICT_CRITICAL, "c", "", "", ""), 0);
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_WARNING, "w", "", "", ""), 0);
    assert_int_equal(f->v.dropped, 1);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
}

static void test_long_texts_cut(void **state)
{
    struct fixture *f = *state;
    char big[FINDING_TEXT_MAX * 2];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(verdict_add_finding(&f->v, VERDICT_OK, "x", big, big, big), 0);
    assert_int_equal(strlen(f->v.findings[0].summary), FINDING_TEXT_MAX);
}

static void test_names(void **state)
{
    enum verdict_level l;

    (void)state;
    assert_string_equal(verdict_name(VERDICT_OK), "ok");
    assert_string_equal(verdict_name(VERDICT_WARNING), "warning");
    assert_string_equal(verdict_name(VERDICT_CRITICAL), "critical");
    assert_string_equal(verdict_name(VERDICT_UNKNOWN), "unknown");
    assert_string_equal(verdict_name((enum verdict_level)42), "unknown");
    assert_int_equal(VERDICT_OK, 0);
    assert_int_equal(VERDICT_WARNING, 1);
    assert_int_equal(VERDICT_CRITICAL, 2);
    assert_int_equal(VERDICT_UNKNOWN, 3);
    assert_int_equal(verdict_from_name("critical", &l), 0);
    assert_int_equal(l, VERDICT_CRITICAL);
    assert_int_equal(verdict_from_name("CRITICAL", &l), SYNTH_EINVAL);
    assert_int_equal(verdict_from_name(NULL, &l), SYNTH_EINVAL);
    assert_string_equal(finding_severity_name(VERDICT_OK), "info");
    assert_string_equal(finding_severity_name(VERDICT_CRITICAL), "critical");
}

/* A starved generator: the thresholds it made critical become unknown, an
 * outage no load causes stays critical; a busy but punctual one is not bound. */
static void test_generator_bound(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < 20; i++)
        add(&f->stats, STEP_CALL, i, i * MS, true, FAIL_NONE, NULL);
    add_threshold(&f->sc, "setup_ms.p95", 200, 500); /* every call took 1000 ms */
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_int_equal(f->v.level, VERDICT_CRITICAL);

    struct generator_report g = {.lag_p99_ms = 900, .lag_limit_ms = 250, .started = 20, .late = 20,
                                 .cpus = 1, .seconds = 4, .saturated_seconds = 4,
                                 .cpu_limit_pct = 95, .saturation_pct_mean = 140};
    assert_true(verdict_generator(&f->v, &g));
    assert_true(g.lag_bound && g.cpu_bound);
    assert_int_equal(f->v.level, VERDICT_UNKNOWN);
    assert_int_equal(find(&f->v, "threshold.setup_ms.p95")->level, VERDICT_UNKNOWN);
    const struct finding *s = find(&f->v, "generator.saturated");
    assert_non_null(s);
    assert_non_null(strstr(s->evidence, "900.0 ms late (p99; limit 250 ms)"));
    assert_non_null(strstr(s->evidence, "4 of 4 s at or above 95 %"));

    /* An unreachable target pages whatever the generator did. */
    verdict_free(&f->v);
    verdict_init(&f->v);
    for (uint32_t i = 0; i < 3; i++)
        add(&f->stats, STEP_OPTIONS, i, i * SEC, false, FAIL_TRANSPORT, "refused");
    assert_int_equal(verdict_evaluate(&f->v, &f->sc, &f->stats), 0);
    assert_true(verdict_generator(&f->v, &g));
    assert_int_equal(f->v.level, VERDICT_CRITICAL);
    assert_int_equal(find(&f->v, "transport.unreachable")->level, VERDICT_CRITICAL);
    assert_int_equal(f->v.findings[0].level, VERDICT_CRITICAL); /* still most severe first */

    /* Saturated seconds alone, with the schedule kept and nothing dropped: not bound. */
    struct generator_report busy = {.lag_p99_ms = 5, .lag_limit_ms = 250, .started = 1000,
                                    .seconds = 10, .saturated_seconds = 10};
    assert_false(verdict_generator(&f->v, &busy));
    busy.skipped = 50; /* 5 % of arrivals dropped */
    assert_true(verdict_generator(&f->v, &busy));
    assert_true(busy.cpu_bound && !busy.lag_bound);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_above_is_bad_boundaries),
        cmocka_unit_test(test_below_is_bad_boundaries),
        cmocka_unit_test_setup_teardown(test_threshold_finding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_below_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_when_nothing_attempted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_data_threshold_is_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_partial_and_total, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_transport_is_not_unreachable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tls_verify_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consequences_are_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal_error_is_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skipped_arrivals_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_findings_and_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_findings_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_texts_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generator_bound, setup, teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
