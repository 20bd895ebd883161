/* Unit tests: merging shard results (reports/merge.c): which summaries may
 * be merged (one scenario, each shard once), the statistics summed exactly
 * (histograms bucket by bucket, journeys, skips placed in their second of
 * the merged timeline), events ordered by start, findings only a shard
 * could make carried over. The shards' summaries are built here by
 * summary_build from recorded statistics, as synth run builds them. */
#include "reports/merge.h"

#include "reports/summary.h"
#include "synth/config/scenario.h"
#include "synth/engine/run_stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define N 3
#define T0 1796287058000LL /* the first shard's wall-clock start, ms */

static const char SCENARIO[] = "name: merge-test\n"
                               "steps:\n"
                               "  - register: {timeout: 5s}\n"
                               "  - call: {hold: 1s}\n"
                               "load: {users: 9, rate: 3, iterations: 9}\n"
                               "thresholds:\n"
                               "  setup_ms.p95: {warn: 1500, crit: 3000}\n";

struct fixture {
    struct scenario sc;
    struct run_stats shard[N]; /* what each shard measured */
    struct run_stats whole;    /* the same results counted by one process */
    json_t *summary[N];
    struct merge_shard ms[N];
    char dir[N][16];
};

static void result(struct run_stats *s, enum step_kind kind, uint32_t user, int64_t at_us,
                   int64_t took_us)
{
    struct step_result r;
    step_result_init(&r, kind, kind == STEP_CALL, user);
    r.intended_us = r.start_us = at_us;
    r.end_us = at_us + took_us;
    r.ok = true;
    if (kind == STEP_CALL) {
        r.answered = true;
        r.setup_us = took_us / 7;
        r.pdd_us = took_us / 9;
    }
    run_stats_add_result(s, &r);
}

/* Shard k: users 3k..3k+2, arrivals k, k+3, k+6 at 3/s, started k * 400 ms
 * after shard 0; latencies spread over many buckets. */
static json_t *shard_summary(struct fixture *f, uint32_t k, const char *sha)
{
    struct run_stats *s = &f->shard[k];
    run_stats_init(s);
    for (uint32_t a = 0; a < 3; a++) {
        uint64_t j = a * N + k;
        int64_t at = (int64_t)j * 333333;
        int64_t local = at - (int64_t)k * 400000; /* its own clock starts later */
        int64_t took = 1000 + (int64_t)j * 7919 * 13;
        for (struct run_stats *t = s; t; t = t == s ? &f->whole : NULL) {
            int64_t when = t == s ? local : at;
            run_stats_add_start(t, when, 100 + (int64_t)j);
            result(t, STEP_REGISTER, 3 * k + a, when, took);
            result(t, STEP_CALL, 3 * k + a, when + took, took * 3);
            run_stats_add_completed(t);
        }
    }
    /* Three skipped arrivals at 0.2 s of shard 2's clock: 1.0 s of the merged run. */
    for (int i = 0; k == 2 && i < 3; i++) {
        run_stats_add_skip(s, 200000, true);
        run_stats_add_skip(&f->whole, 1000000, true);
    }
    s->duration_us = 3000000;
    struct verdict v;
    verdict_init(&v);
    verdict_evaluate(&v, &f->sc, s);
    if (k == 1)
        verdict_add_finding(&v, VERDICT_UNKNOWN, "generator.saturated", "the generator",
                            "lag p99 900 ms", "more shards");
    if (k == 0) /* a shard's own threshold verdict: the merge judges again */
        verdict_add_finding(&v, VERDICT_WARNING, "threshold.pdd_ms.p95", "shard pdd", "", "");
    if (k == 2)
        verdict_add_finding(&v, VERDICT_CRITICAL, "web-port-mismatch", "ports swapped",
                            "443 answers as external", "swap the bindings");
    const struct summary_input in = {
        .target_name = "lab", .target_is_lab = true, .scenario_name = f->sc.name,
        .version = "test", .started_ms = T0 + (int64_t)k * 400, .workers = 1, .stats = s,
        .scenario = &f->sc, .verdict = &v,
    };
    json_t *o = summary_build(&in);
    verdict_free(&v);
    assert_non_null(o);
    json_object_set_new(o, "scenario_sha256", json_string(sha));
    json_object_set_new(o, "shard", json_pack("{sisi}", "index", (int)k, "count", N));
    return o;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct synth_error err = {{0}};
    assert_non_null(f);
    assert_int_equal(scenario_load_buffer(&f->sc, "merge.yaml", SCENARIO, sizeof(SCENARIO) - 1,
                                          &err), 0);
    run_stats_init(&f->whole);
    /* Given in the wrong order: merge_check puts them in shard order. */
    for (uint32_t i = 0; i < N; i++) {
        uint32_t k = N - 1 - i;
        f->summary[i] = shard_summary(f, k, "ab12");
        snprintf(f->dir[i], sizeof(f->dir[i]), "shard-%u", k);
        f->ms[i] = (struct merge_shard){f->dir[i], f->summary[i]};
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int k = 0; k < N; k++) {
        run_stats_free(&f->shard[k]);
        json_decref(f->summary[k]);
    }
    run_stats_free(&f->whole);
    free(f);
    return 0;
}

static void accepts_one_run_in_shard_order(void **state)
{
    struct fixture *f = *state;
    struct merge_identity id;
    struct synth_error err = {{0}};
    assert_int_equal(merge_check(f->ms, N, &id, &err), 0);
    assert_int_equal(id.count, N);
    assert_string_equal(id.scenario, "merge-test");
    assert_string_equal(f->ms[0].dir, "shard-0");
    assert_string_equal(f->ms[2].dir, "shard-2");
    assert_int_equal(id.started_ms, T0);
    assert_int_equal(id.ended_ms, T0 + 800 + 3000);
}

static void refuses_what_is_not_one_run(void **state)
{
    struct fixture *f = *state;
    struct merge_identity id;
    struct synth_error err = {{0}};
    struct merge_shard two[N];

    /* Missing: two of three. */
    assert_int_equal(merge_check(f->ms, 2, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "of 3 missing"));
    /* Duplicate. */
    memcpy(two, f->ms, sizeof(two));
    two[2] = two[1];
    assert_int_equal(merge_check(two, N, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "given twice"));
    /* Another scenario file (same name, other digest). */
    json_t *other = json_deep_copy(f->summary[1]);
    json_object_set_new(other, "scenario_sha256", json_string("cd34"));
    memcpy(two, f->ms, sizeof(two));
    two[1].summary = other;
    assert_int_equal(merge_check(two, N, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "shards of different scenarios are not merged"));
    /* Another count. */
    json_object_set_new(other, "scenario_sha256", json_string("ab12"));
    json_object_set_new(other, "shard", json_pack("{sisi}", "index", 1, "count", 4));
    assert_int_equal(merge_check(two, N, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "a shard of 4"));
    /* A start that is no wall clock (a hand-edited or corrupt file). */
    json_object_set_new(other, "shard", json_pack("{sisi}", "index", 1, "count", N));
    json_object_set_new(other, "started_at_ms", json_integer(-5));
    assert_int_equal(merge_check(two, N, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    /* Not a shard at all. */
    json_object_del(other, "shard");
    assert_int_equal(merge_check(two, N, &id, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "not a shard"));
    json_decref(other);
}

static void hist_equal(const struct hist *a, const struct hist *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->min_us, b->min_us);
    assert_int_equal(a->max_us, b->max_us);
    assert_true(a->sum_us == b->sum_us);
    assert_memory_equal(a->buckets, b->buckets, sizeof(a->buckets));
}

/* The merged statistics are those of one process that saw every result. */
static void sums_exactly(void **state)
{
    struct fixture *f = *state;
    struct merge_identity id;
    struct synth_error err = {{0}};
    struct run_stats *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(merge_check(f->ms, N, &id, &err), 0);
    /* What the merged events.jsonl gives back: every step result, with
     * lags and journeys unknown (a line per step, none per arrival). */
    run_stats_init(m);
    for (int k = 0; k < N; k++) {
        struct run_stats only = f->shard[k];
        hist_init(&only.lag);
        only.journeys_started = only.journeys_completed = only.journeys_skipped = 0;
        only.calls_skipped = 0;
        only.timeline_len = 0; /* borrowed: the merge below reads no timeline */
        assert_int_equal(run_stats_merge(m, &only), 0);
    }
    assert_int_equal(merge_stats(f->ms, N, &id, true, m, &err), 0);
    hist_equal(&m->setup, &f->whole.setup);
    hist_equal(&m->pdd, &f->whole.pdd);
    hist_equal(&m->lag, &f->whole.lag);
    hist_equal(&m->steps[STEP_REGISTER].latency, &f->whole.steps[STEP_REGISTER].latency);
    hist_equal(&m->steps[STEP_CALL].latency, &f->whole.steps[STEP_CALL].latency);
    assert_int_equal(m->journeys_started, 9);
    assert_int_equal(m->journeys_completed, 9);
    assert_int_equal(m->journeys_skipped, 3);
    assert_int_equal(m->calls_skipped, 3);
    /* The skips at 0.2 s of shard 2 (started 0.8 s late) are in second 1. */
    assert_true(m->timeline_len >= 2);
    assert_int_equal(m->timeline[0].skipped, 0);
    assert_int_equal(m->timeline[1].skipped, 3);
    assert_int_equal(m->duration_us, 3800000);
    for (size_t p = 50; p <= 99; p += 49)
        assert_int_equal(hist_percentile(&m->setup, (double)p),
                         hist_percentile(&f->whole.setup, (double)p));
    run_stats_free(m);
    free(m);
}

/* Events that disagree with the summaries (a cut file) are refused. */
static void refuses_events_that_disagree(void **state)
{
    struct fixture *f = *state;
    struct merge_identity id;
    struct synth_error err = {{0}};
    struct run_stats *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(merge_check(f->ms, N, &id, &err), 0);
    run_stats_init(m);
    result(m, STEP_CALL, 0, 0, 1000); /* one call where there were nine */
    assert_int_equal(merge_stats(f->ms, N, &id, true, m, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, "hold 1 calls"));
    run_stats_free(m);
    free(m);
}

static void carries_generator_findings(void **state)
{
    struct fixture *f = *state;
    struct merge_identity id;
    struct synth_error err = {{0}};
    struct verdict v;
    assert_int_equal(merge_check(f->ms, N, &id, &err), 0);
    verdict_init(&v);
    verdict_add_finding(&v, VERDICT_CRITICAL, "threshold.setup_ms.p95", "slow", "", "");
    verdict_add_finding(&v, VERDICT_CRITICAL, "transport.unreachable", "down", "", "");
    assert_int_equal(merge_findings(f->ms, N, &v), 0);
    const struct finding *gen = NULL, *th = NULL, *down = NULL;
    for (size_t i = 0; i < v.n; i++) {
        if (strcmp(v.findings[i].id, "generator.saturated") == 0)
            gen = &v.findings[i];
        else if (strcmp(v.findings[i].id, "threshold.setup_ms.p95") == 0)
            th = &v.findings[i];
        else if (strcmp(v.findings[i].id, "transport.unreachable") == 0)
            down = &v.findings[i];
    }
    assert_non_null(gen);
    assert_string_equal(gen->evidence, "shard 1: lag p99 900 ms");
    /* The shards' threshold findings are not carried (judged again); the
     * checks before the load are. */
    bool web = false;
    for (size_t i = 0; i < v.n; i++) {
        assert_true(strcmp(v.findings[i].id, "threshold.pdd_ms.p95") != 0);
        web |= strcmp(v.findings[i].id, "web-port-mismatch") == 0 &&
               strcmp(v.findings[i].evidence, "shard 2: 443 answers as external") == 0;
    }
    assert_true(web);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    /* A saturated shard: the slow threshold is in doubt, an outage is not. */
    assert_int_equal(th->level, VERDICT_UNKNOWN);
    assert_int_equal(down->level, VERDICT_CRITICAL);
    verdict_free(&v);
}

static json_t *cert_entry(const char *endpoint, const char *sha, const char *result)
{
    return json_pack("{ss ss si ss s[{ss}]}", "endpoint", endpoint, "host", "um.lab", "port", 5061,
                     "result", result, "chain", "sha256", sha);
}

/* The same endpoint from every shard is kept once; a shard that saw another
 * certificate is named in the entry and raises a warning; an endpoint only
 * one shard checked is kept too. */
static void certificates_once_disagreement_flagged(void **state)
{
    struct fixture *f = *state;
    struct verdict v;
    json_t *out;
    for (int k = 0; k < N; k++) {
        json_t *a = json_array();
        json_array_append_new(a, cert_entry("um", k == 2 ? "bbbb" : "aaaa", "ok"));
        if (k == 1)
            json_array_append_new(a, cert_entry("edge", "cccc", "warn"));
        json_object_set_new(f->summary[k], "certificates", a);
    }
    verdict_init(&v);
    assert_int_equal(merge_certificates(f->ms, N, &out, &v), 0);
    assert_int_equal(json_array_size(out), 2);
    const json_t *um = json_array_get(out, 0), *d = json_object_get(um, "shards_disagree");
    assert_string_equal(json_string_value(json_object_get(um, "endpoint")), "um");
    assert_int_equal(json_array_size(d), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(d, 0), "shard")), 2);
    assert_null(json_object_get(json_array_get(out, 1), "shards_disagree"));
    assert_int_equal(v.n, 1);
    assert_string_equal(v.findings[0].id, "merge.certificates-differ");
    assert_int_equal(v.level, VERDICT_WARNING);
    assert_non_null(strstr(v.findings[0].evidence, "shard 2 saw bbbb"));
    json_decref(out);
    verdict_free(&v);
    /* Agreeing shards: one entry each, no finding; none checked: NULL. */
    for (int k = 0; k < N; k++) {
        json_t *a = json_array();
        json_array_append_new(a, cert_entry("um", "aaaa", "ok"));
        json_object_set_new(f->summary[k], "certificates", a);
    }
    verdict_init(&v);
    assert_int_equal(merge_certificates(f->ms, N, &out, &v), 0);
    assert_int_equal(json_array_size(out), 1);
    assert_int_equal(v.n, 0);
    json_decref(out);
    for (int k = 0; k < N; k++)
        json_object_del(f->summary[k], "certificates");
    assert_int_equal(merge_certificates(f->ms, N, &out, &v), 0);
    assert_null(out);
    verdict_free(&v);
}

/* Events of three files, each in its own order, come out by start time. */
static void orders_events_by_time(void **state)
{
    char tmpl[] = "/tmp/test_merge.XXXXXX";
    char *base = mkdtemp(tmpl);
    char path[256], out[256], line[512];
    const char *ts[N][2] = {{"2026-12-03T08:00:00.500Z", "2026-12-03T08:00:00.100Z"},
                            {"2026-12-03T08:00:00.300Z", "2026-12-03T08:00:01.000Z"},
                            {"2026-12-03T08:00:00.100Z", "2026-12-03T08:00:00.200Z"}};
    struct merge_shard s[N];
    char dirs[N][200];
    struct synth_error err = {{0}};
    size_t cut;

    assert_non_null(base);
    for (int k = 0; k < N; k++) {
        snprintf(dirs[k], sizeof(dirs[k]), "%s/s%d", base, k);
        assert_int_equal(mkdir(dirs[k], 0700), 0);
        snprintf(path, sizeof(path), "%s/events.jsonl", dirs[k]);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        for (int i = 0; i < 2; i++)
            fprintf(fp, "{\"ts\":\"%s\",\"shard\":%d}\n", ts[k][i], k);
        if (k == 1)
            fputs("{\"ts\":\"2026-12-03T08:00:00.0", fp); /* killed mid-line */
        fclose(fp);
        s[k] = (struct merge_shard){dirs[k], NULL};
    }
    snprintf(out, sizeof(out), "%s/merged.jsonl", base);
    assert_int_equal(merge_events(s, N, out, &cut, &err), 0);
    assert_int_equal(cut, 1);
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    const char *want[] = {"00.100Z\",\"shard\":0", "00.100Z\",\"shard\":2",
                          "00.200Z\",\"shard\":2", "00.300Z\",\"shard\":1",
                          "00.500Z\",\"shard\":0", "01.000Z\",\"shard\":1"};
    for (size_t i = 0; i < 6; i++) {
        assert_non_null(fgets(line, sizeof(line), fp));
        assert_non_null(strstr(line, want[i]));
    }
    assert_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    for (int k = 0; k < N; k++) {
        snprintf(path, sizeof(path), "%s/events.jsonl", dirs[k]);
        unlink(path);
        rmdir(dirs[k]);
    }
    unlink(out);
    rmdir(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accepts_one_run_in_shard_order, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_what_is_not_one_run, setup, teardown),
        cmocka_unit_test_setup_teardown(sums_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_events_that_disagree, setup, teardown),
        cmocka_unit_test_setup_teardown(carries_generator_findings, setup, teardown),
        cmocka_unit_test_setup_teardown(certificates_once_disagreement_flagged, setup, teardown),
        cmocka_unit_test(orders_events_by_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
