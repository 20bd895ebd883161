/* summary.json against the contract, written and read back, histograms
 * recombined exactly; the terminal table and the progress line rendered
 * from it. */
#include "reports/progress.h"
#include "reports/summary.h"
#include "reports/terminal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MS 1000
#define SEC 1000000

struct fixture {
    struct run_stats stats;
    struct scenario sc;
    struct verdict v;
    struct summary_input in;
    json_t *doc;
};

static void add_threshold(struct scenario *sc, const char *metric, double warn, double crit)
{
    struct scenario_threshold *t = &sc->thresholds[sc->threshold_count++];
    snprintf(t->metric, sizeof(t->metric), "%s", metric);
    t->warn = warn;
    t->crit = crit;
    t->line = 20;
}

/* 12 s of run: 100 calls (95 answered, 2 dropped, 3 unanswered), their
 * registers (3 refused), skipped arrivals. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    run_stats_init(&f->stats);
    verdict_init(&f->v);
    for (uint32_t i = 0; i < 100; i++) {
        int64_t t = (int64_t)i * 100 * MS; /* 0 .. 9.9 s */
        struct step_result r;
        run_stats_add_start(&f->stats, t, (int64_t)(i % 10) * MS);
        step_result_init(&r, STEP_REGISTER, 0, i);
        r.intended_us = r.start_us = t;
        r.end_us = t + 30 * MS;
        r.ok = i % 40 != 5;
        r.cls = r.ok ? FAIL_NONE : FAIL_AUTH;
        r.sip_status = r.ok ? 200 : 403;
        run_stats_add_result(&f->stats, &r);

        step_result_init(&r, STEP_CALL, 1, i);
        r.intended_us = r.start_us = t + 30 * MS;
        r.answered = i % 20 != 3;
        r.ok = r.answered && i % 50 != 7;
        r.cls = r.ok ? FAIL_NONE : r.answered ? FAIL_DROPPED : FAIL_NO_ANSWER;
        r.setup_us = r.answered ? (int64_t)(100 + i) * MS : -1;
        r.pdd_us = (int64_t)(50 + i) * MS;
        r.end_us = r.start_us + 2 * SEC;
        run_stats_add_result(&f->stats, &r);
        run_stats_add_completed(&f->stats);
    }
    run_stats_add_skip(&f->stats, 5 * SEC, true);
    run_stats_add_skip(&f->stats, 6 * SEC, false);
    f->stats.duration_us = 11 * SEC + 500 * MS;

    add_threshold(&f->sc, "setup_ms.p95", 150, 300);
    add_threshold(&f->sc, "call_success_pct", 99, 90);
    add_threshold(&f->sc, "steps.options.success_pct", 99, 90); /* no options: no data */
    snprintf(f->sc.name, sizeof(f->sc.name), "voicemail-smoke");
    if (verdict_evaluate(&f->v, &f->sc, &f->stats) != 0)
        return -1;

    f->in = (struct summary_input){
        .target_name = "contoso-prod",
        .scenario_name = f->sc.name,
        .version = "0.1.0",
        .started_ms = INT64_C(1714557600000),
        .workers = 2,
        .stats = &f->stats,
        .scenario = &f->sc,
        .verdict = &f->v,
    };
    f->doc = summary_build(&f->in);
    if (!f->doc)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    json_decref(f->doc);
    run_stats_free(&f->stats);
    verdict_free(&f->v);
    free(f);
    return 0;
}

/* Walks a path like "calls.setup_ms.p95" through objects. */
static const json_t *at(const json_t *o, const char *path)
{
    char key[128];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        assert_true(n < sizeof(key));
        memcpy(key, path, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        path += n + (dot ? 1 : 0);
    }
    return o;
}

enum want { W_STR, W_INT, W_NUM, W_OBJ, W_ARR, W_BOOL };

static void want(const json_t *root, const char *path, enum want w)
{
    const json_t *j = at(root, path);
    bool ok = false;
    switch (w) {
    case W_STR:
        ok = json_is_string(j);
        break;
    case W_INT:
        ok = json_is_integer(j);
        break;
    case W_NUM:
        ok = json_is_number(j);
        break;
    case W_OBJ:
        ok = json_is_object(j);
        break;
    case W_ARR:
        ok = json_is_array(j);
        break;
    case W_BOOL:
        ok = json_is_boolean(j);
        break;
    }
    if (!ok)
        fail_msg("%s: missing or of the wrong type", path);
}

static void want_latency(const json_t *root, const char *path)
{
    static const char *const p[] = {"p50", "p90", "p95", "p99", "max"};
    char full[128];
    want(root, path, W_OBJ);
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        snprintf(full, sizeof(full), "%s.%s", path, p[i]);
        want(root, full, W_NUM);
    }
}

static double num(const json_t *root, const char *path)
{
    const json_t *j = at(root, path);
    if (!json_is_number(j))
        fail_msg("%s: not a number", path);
    return json_number_value(j);
}

static void test_contract_keys(void **state)
{
    struct fixture *f = *state;
    const json_t *d = f->doc;

    /* The contract, key by key. */
    want(d, "verdict", W_STR);
    want(d, "target", W_STR);
    want(d, "calls", W_OBJ);
    want(d, "calls.attempted", W_INT);
    want(d, "calls.answered", W_INT);
    want(d, "calls.failed", W_INT);
    want(d, "calls.skipped", W_INT);
    want_latency(d, "calls.setup_ms");
    want_latency(d, "calls.pdd_ms");
    want(d, "steps", W_OBJ);
    want(d, "generator", W_OBJ);
    want_latency(d, "generator.lag_ms");
    want(d, "findings", W_ARR);
    want(d, "timeline", W_ARR);
    /* And the extras. */
    want(d, "journeys.started", W_INT);
    want(d, "journeys.completed", W_INT);
    want(d, "journeys.skipped", W_INT);
    want(d, "thresholds", W_ARR);
    want(d, "version", W_STR);
    want(d, "scenario", W_STR);
    want(d, "started_at", W_STR);
    want(d, "duration_s", W_NUM);
    want(d, "exit_code", W_INT);
    want(d, "histograms.setup.buckets", W_ARR);
    want(d, "histograms.lag.buckets", W_ARR);

    const char *verdict = json_string_value(at(d, "verdict"));
    static const char *const exit_names[] = {"ok", "warning", "critical", "unknown"};
    json_int_t code = json_integer_value(at(d, "exit_code"));
    assert_true(code >= 0 && code <= 3);
    assert_string_equal(verdict, exit_names[code]);

    /* Every step the run took, with its own keys. */
    const char *name;
    const json_t *st;
    size_t steps = 0;
    json_object_foreach((json_t *)at(d, "steps"), name, st) {
        want(st, "attempts", W_INT);
        want(st, "ok", W_INT);
        want(st, "failed", W_INT);
        want_latency(st, "latency_ms");
        want(st, "failures", W_OBJ);
        const char *cls;
        const json_t *n;
        json_object_foreach((json_t *)json_object_get(st, "failures"), cls, n)
            assert_true(json_is_integer(n) && json_integer_value(n) > 0);
        steps++;
    }
    assert_int_equal(steps, 2);

    size_t i;
    const json_t *fi;
    assert_true(json_array_size(at(d, "findings")) > 0);
    json_array_foreach(at(d, "findings"), i, fi) {
        want(fi, "id", W_STR);
        want(fi, "severity", W_STR);
        want(fi, "summary", W_STR);
        want(fi, "evidence", W_STR);
        want(fi, "remedy", W_STR);
        const char *sev = json_string_value(json_object_get(fi, "severity"));
        assert_true(strcmp(sev, "info") == 0 || strcmp(sev, "warning") == 0 ||
                    strcmp(sev, "critical") == 0);
    }

    const json_t *e;
    json_array_foreach(at(d, "timeline"), i, e) {
        want(e, "t", W_INT);
        want(e, "started", W_INT);
        want(e, "answered", W_INT);
        want(e, "failed", W_INT);
        want(e, "skipped", W_INT);
        want(e, "calls", W_INT);
        want(e, "ok", W_INT);
        assert_int_equal(json_integer_value(json_object_get(e, "t")), (json_int_t)i);
        const json_t *p95 = json_object_get(e, "setup_p95_ms");
        assert_true(json_is_number(p95) || json_is_null(p95));
    }

    const json_t *th;
    json_array_foreach(at(d, "thresholds"), i, th) {
        want(th, "metric", W_STR);
        want(th, "warn", W_NUM);
        want(th, "crit", W_NUM);
        want(th, "level", W_STR);
        assert_non_null(json_object_get(th, "value"));
    }
}

static void test_values(void **state)
{
    struct fixture *f = *state;
    const json_t *d = f->doc;

    assert_string_equal(json_string_value(at(d, "target")), "contoso-prod");
    assert_string_equal(json_string_value(at(d, "target_kind")), "deployment");
    assert_string_equal(json_string_value(at(d, "scenario")), "voicemail-smoke");
    assert_string_equal(json_string_value(at(d, "started_at")), "2024-05-01T10:00:00.000Z");
    assert_true(num(d, "duration_s") == 11.5);
    assert_int_equal(json_integer_value(at(d, "workers")), 2);
    /* Refused credentials: critical, and the reason says so. */
    assert_string_equal(json_string_value(at(d, "verdict")), "critical");
    assert_int_equal(json_integer_value(at(d, "exit_code")), 2);
    assert_string_equal(json_string_value(at(d, "reason")),
                        "register: credentials refused on 3 of 100 attempts");

    assert_int_equal(json_integer_value(at(d, "calls.attempted")), 100);
    assert_int_equal(json_integer_value(at(d, "calls.answered")), 95);
    assert_int_equal(json_integer_value(at(d, "calls.failed")), 7);
    assert_int_equal(json_integer_value(at(d, "calls.skipped")), 1);
    assert_int_equal(json_integer_value(at(d, "journeys.skipped")), 2);
    assert_int_equal(json_integer_value(at(d, "journeys.completed")), 100);
    assert_true(num(d, "calls.success_pct") == 93.0);
    /* Setup times 100..199 ms over the 95 answered calls. */
    assert_true(num(d, "calls.setup_ms.max") == 199.0);
    double p50 = num(d, "calls.setup_ms.p50");
    assert_true(p50 >= 148 * 0.99 && p50 <= 150 * 1.01);
    assert_int_equal(json_integer_value(at(d, "calls.setup_ms.count")), 95);
    assert_true(num(d, "generator.lag_ms.max") == 9.0);
    assert_int_equal(json_integer_value(at(d, "steps.register.failures.auth-refused")), 3);
    assert_int_equal(json_integer_value(at(d, "steps.call.failures.no-answer")), 5);
    assert_int_equal(json_integer_value(at(d, "steps.call.failures.dropped")), 2);
    assert_true(num(d, "steps.register.latency_ms.p99") == 30.0);

    /* One entry per second of the 11.5 s run, the quiet last two included. */
    const json_t *tl = at(d, "timeline");
    assert_int_equal(json_array_size(tl), 12);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tl, 0), "calls")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tl, 5), "skipped")), 1);
    assert_true(json_is_null(json_object_get(json_array_get(tl, 11), "setup_p95_ms")));
    assert_true(json_is_number(json_object_get(json_array_get(tl, 0), "setup_p95_ms")));

    /* Thresholds in scenario order, each with its outcome. */
    const json_t *th = at(d, "thresholds");
    assert_int_equal(json_array_size(th), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(th, 0), "level")),
                        "warning");
    assert_string_equal(json_string_value(json_object_get(json_array_get(th, 1), "level")),
                        "warning");
    assert_true(json_number_value(json_object_get(json_array_get(th, 1), "value")) == 93.0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(th, 2), "level")),
                        "unknown");
    assert_true(json_is_null(json_object_get(json_array_get(th, 2), "value")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(th, 2), "error")),
                        "no-data");
    /* The most severe finding first. */
    const json_t *first = json_array_get(at(d, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")),
                        "register.auth-refused");
    assert_string_equal(json_string_value(json_object_get(first, "severity")), "critical");
}

static void test_empty_run(void **state)
{
    struct run_stats s;
    struct verdict v;
    struct scenario sc = {0};

    (void)state;
    run_stats_init(&s);
    verdict_init(&v);
    assert_int_equal(verdict_evaluate(&v, &sc, &s), 0);
    struct summary_input in = {.target_name = "lab", .target_is_lab = true,
                               .stats = &s, .verdict = &v};
    json_t *d = summary_build(&in);
    assert_non_null(d);
    assert_string_equal(json_string_value(at(d, "verdict")), "unknown");
    assert_int_equal(json_integer_value(at(d, "exit_code")), 3);
    assert_string_equal(json_string_value(at(d, "target_kind")), "lab");
    /* Nothing measured: null, never 0 ms. */
    assert_true(json_is_null(at(d, "calls.setup_ms.p95")));
    assert_int_equal(json_integer_value(at(d, "calls.setup_ms.count")), 0);
    assert_true(json_is_null(at(d, "calls.success_pct")));
    assert_int_equal(json_object_size(at(d, "steps")), 0);
    assert_int_equal(json_array_size(at(d, "timeline")), 0);
    json_decref(d);

    in.verdict = NULL;
    assert_null(summary_build(&in));
    verdict_free(&v);
    run_stats_free(&s);
}

static void test_write_read(void **state)
{
    struct fixture *f = *state;
    struct synth_error err = {{0}};
    char dir[] = "/tmp/synth_test_summary_XXXXXX";
    char path[256], bad[256], other[256];
    json_t *back = NULL;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    assert_int_equal(summary_write(path, f->doc, &err), 0);
    /* Rewriting replaces it whole. */
    assert_int_equal(summary_write(path, f->doc, &err), 0);
    assert_int_equal(summary_read(path, &back, &err), 0);
    assert_true(json_equal(back, f->doc));
    json_decref(back);

    /* No temporary file is left beside it. */
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);

    /* A directory that does not exist: EIO, the path named. */
    snprintf(bad, sizeof(bad), "%s/missing/summary.json", dir);
    assert_int_equal(summary_write(bad, f->doc, &err), SYNTH_EIO);
    assert_non_null(strstr(err.msg, "missing/summary.json.tmp"));

    /* Broken JSON: file:line:column. */
    snprintf(other, sizeof(other), "%s/broken.json", dir);
    FILE *fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("{\n  \"verdict\": \"ok\",\n  \"schema\": 1,\n  oops\n}\n", fp);
    fclose(fp);
    assert_int_equal(summary_read(other, &back, &err), SYNTH_EPARSE);
    assert_null(back);
    char want_prefix[300];
    snprintf(want_prefix, sizeof(want_prefix), "%s:4:", other);
    assert_int_equal(strncmp(err.msg, want_prefix, strlen(want_prefix)), 0);

    /* JSON, but not a summary. */
    fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("{\"hello\": 1}\n", fp);
    fclose(fp);
    assert_int_equal(summary_read(other, &back, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "not a synth summary"));

    /* A newer schema is refused, not misread. */
    fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("{\"verdict\": \"ok\", \"schema\": 99}\n", fp);
    fclose(fp);
    assert_int_equal(summary_read(other, &back, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "schema 99"));

    snprintf(bad, sizeof(bad), "%s/none.json", dir);
    assert_int_equal(summary_read(bad, &back, &err), SYNTH_EIO);

    unlink(path);
    unlink(other);
    assert_int_equal(rmdir(dir), 0);
}

static void test_histograms_recombine_exactly(void **state)
{
    struct fixture *f = *state;
    struct synth_error err = {{0}};
    struct hist *h = malloc(sizeof(*h));
    const json_t *hs = at(f->doc, "histograms");
    unsigned sub = (unsigned)json_integer_value(json_object_get(hs, "sub_bits"));
    unsigned range = (unsigned)json_integer_value(json_object_get(hs, "range_bits"));

    assert_non_null(h);
    assert_int_equal(summary_hist_from_json(json_object_get(hs, "setup"), sub, range, h, &err), 0);
    assert_memory_equal(h, &f->stats.setup, sizeof(*h));
    assert_int_equal(summary_hist_from_json(at(hs, "steps.register"), sub, range, h, &err), 0);
    assert_memory_equal(h, &f->stats.steps[STEP_REGISTER].latency, sizeof(*h));

    /* Through text, as synth merge reads it. */
    char *text = json_dumps(json_object_get(hs, "lag"), JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_t *back = json_loads(text, 0, NULL);
    assert_int_equal(summary_hist_from_json(back, sub, range, h, &err), 0);
    assert_memory_equal(h, &f->stats.lag, sizeof(*h));
    json_decref(back);
    free(text);

    /* Another layout, or totals that disagree with the buckets, are refused. */
    assert_int_equal(summary_hist_from_json(json_object_get(hs, "setup"), sub + 1, range, h, &err),
                     SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "layout"));
    json_t *bad = json_deep_copy(json_object_get(hs, "setup"));
    json_object_set_new(bad, "count", json_integer(1));
    assert_int_equal(summary_hist_from_json(bad, sub, range, h, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "totals"));
    assert_int_equal(h->count, 0);
    json_object_set_new(bad, "buckets", json_pack("[[i,i]]", 99999, 1));
    assert_int_equal(summary_hist_from_json(bad, sub, range, h, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "bucket 0"));
    json_object_del(bad, "sum_us");
    assert_int_equal(summary_hist_from_json(bad, sub, range, h, &err), SYNTH_EPARSE);
    json_decref(bad);
    free(h);
}

static char *render(const json_t *doc, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    terminal_summary(out, doc, color);
    fclose(out);
    return buf;
}

static void test_terminal(void **state)
{
    struct fixture *f = *state;

    char *text = render(f->doc, false);
    /* The target leads, alone on the first line. */
    assert_int_equal(strncmp(text, "target: contoso-prod\n", 21), 0);
    assert_non_null(strstr(text, "verdict: CRITICAL"));
    assert_non_null(strstr(text, "calls:   100 attempted, 95 answered, 7 failed, 1 skipped"));
    assert_non_null(strstr(text, "register.auth-refused"));
    assert_non_null(strstr(text, "remedy:   check the password / account lockout"));
    assert_non_null(strstr(text, "setup_ms.p95"));
    assert_non_null(strstr(text, "auth-refused 3"));
    assert_null(strchr(text, '\033')); /* no color unless asked */
    free(text);

    text = render(f->doc, true);
    assert_non_null(strstr(text, "\033[31mCRITICAL"));
    free(text);

    /* The lab is named as such; peer text cannot drive the terminal. */
    json_t *lab = json_deep_copy(f->doc);
    json_object_set_new(lab, "target", json_string("lab"));
    json_object_set_new(lab, "target_kind", json_string("lab"));
    json_object_set_new(lab, "reason", json_string("evil\033[2Jreason"));
    text = render(lab, false);
    assert_int_equal(strncmp(text, "target: lab (embedded lab)\n", 27), 0);
    assert_non_null(strstr(text, "evil?[2Jreason"));
    free(text);
    json_decref(lab);

    /* An old or partial summary still renders. */
    json_t *old = json_pack("{s:s, s:s}", "target", "old-run", "verdict", "ok");
    text = render(old, false);
    assert_non_null(strstr(text, "target: old-run"));
    assert_non_null(strstr(text, "verdict: OK"));
    assert_non_null(strstr(text, "calls:   - attempted"));
    free(text);
    json_decref(old);
}

static void test_progress_line(void **state)
{
    char line[PROGRESS_LINE_MAX];
    struct progress_snapshot p = {
        .elapsed_s = 12.7, .calls_started = 240, .calls_ok = 236, .calls_failed = 2,
        .journeys_skipped = 0, .rate = 20.06, .setup_p95_ms = 212.4,
    };

    (void)state;
    progress_line(line, sizeof(line), &p);
    assert_string_equal(line, "[  12s] calls 240 started, 236 ok, 2 failed, 0 skipped | 20.1/s | "
                              "setup p95 212 ms");
    p.setup_p95_ms = -1;
    p.elapsed_s = 3600;
    progress_line(line, sizeof(line), &p);
    assert_string_equal(line, "[3600s] calls 240 started, 236 ok, 2 failed, 0 skipped | 20.1/s | "
                              "setup p95 - ms");
    /* Cut, still terminated. */
    char small[10];
    progress_line(small, sizeof(small), &p);
    assert_string_equal(small, "[3600s] c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_contract_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test(test_empty_run),
        cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histograms_recombine_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal, setup, teardown),
        cmocka_unit_test(test_progress_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
