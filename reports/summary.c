/* summary.json: built from the merged statistics and the verdict, written
 * atomically, read back for `synth report` and `synth merge` (JSON, RFC 8259). */
#include "summary.h"

#include "reports/event_json.h"
#include "reports/report_file.h"
#include "reports/survival_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* See event_json.c: 15 significant digits print our ms values as written. */
#define SUMMARY_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

static const struct {
    const char *key;
    double p; /* percentile; < 0 for max, > 100 for mean */
} latency_keys[] = {
    {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"max", -1}, {"mean", 101},
};
#define LATENCY_KEY_COUNT (sizeof(latency_keys) / sizeof(latency_keys[0]))

/* jansson's setters return -1 for a NULL value: one flag checks a whole object. */
static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) ? -1 : 0;
}

static json_t *count_json(uint64_t n)
{
    /* Counts past 2^63 do not happen; clamp rather than wrap negative. */
    return json_integer(n > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)n);
}

static json_t *text_json(const char *s)
{
    return event_json_text(s ? s : "", FINDING_TEXT_MAX);
}

/* ms with 3 decimals: what a person reads, and exact for our µs integers. */
static json_t *ms_json(double us)
{
    return json_real(round(us) / 1000.0);
}

static json_t *latency_json(const struct hist *h)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    rc |= set(o, "count", count_json(h->count));
    for (size_t i = 0; i < LATENCY_KEY_COUNT; i++) {
        json_t *v;
        double p = latency_keys[i].p;
        if (h->count == 0)
            v = json_null(); /* nothing measured is not 0 ms */
        else if (p < 0)
            v = ms_json((double)h->max_us);
        else if (p > 100)
            v = ms_json(hist_mean_us(h));
        else
            v = ms_json((double)hist_percentile(h, p));
        rc |= set(o, latency_keys[i].key, v);
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A percentage, or null when nothing was attempted. */
static json_t *pct_json(uint64_t part, uint64_t whole)
{
    if (whole == 0)
        return json_null();
    return json_real(round(100000.0 * (double)part / (double)whole) / 1000.0);
}

/* The calls' audio (issue #3 contract: media_ok, greeting_heard,
 * connected_no_media, first_media_ms, loss_pct, jitter_ms, mos). The
 * distributions are kept in thousandths, so latency_json's ms serve. */
static int media_json(json_t *o, const struct media_stats *m)
{
    int rc = 0;
    json_t *policy = json_object();
    if (!policy)
        return -1;
    rc |= set(o, "media_calls", count_json(m->calls));
    rc |= set(o, "media_ok", count_json(m->media_ok));
    rc |= set(o, "greeting_heard", count_json(m->greeting_heard));
    rc |= set(o, "connected_no_media", count_json(m->connected_no_media));
    rc |= set(o, "first_media_ms", latency_json(&m->first_media));
    rc |= set(o, "greeting_onset_ms", latency_json(&m->greeting_onset));
    rc |= set(o, "loss_pct", latency_json(&m->loss));
    rc |= set(o, "jitter_ms", latency_json(&m->jitter));
    rc |= set(o, "mos", latency_json(&m->mos));
    rc |= set(o, "peer_loss_pct", latency_json(&m->peer_loss));
    rc |= set(o, "peer_jitter_ms", latency_json(&m->peer_jitter));
    rc |= set(policy, "port_checked", count_json(m->port_checked));
    rc |= set(policy, "port_out_of_range", count_json(m->port_out_of_range));
    rc |= set(policy, "dscp_checked", count_json(m->dscp_checked));
    rc |= set(policy, "dscp_mismatch", count_json(m->dscp_mismatch));
    rc |= set(policy, "srtp_unauthenticated_packets", count_json(m->unauthenticated));
    rc |= set(policy, "peer_reports", count_json(m->peer_reports));
    rc |= set(policy, "one_way_to_us", count_json(m->one_way_to_us));
    rc |= set(o, "media_policy", policy);
    /* Issue #4: where the media went, and ICE. */
    json_t *path = json_object(), *ice = json_object();
    if (!path || !ice) {
        json_decref(path);
        json_decref(ice);
        return -1;
    }
    rc |= set(path, "direct", count_json(m->path_direct));
    rc |= set(path, "relay", count_json(m->path_relay));
    rc |= set(path, "none", count_json(m->path_none));
    rc |= set(o, "media_path", path);
    rc |= set(ice, "calls", count_json(m->ice_calls));
    rc |= set(ice, "failed", count_json(m->ice_failed));
    rc |= set(ice, "ms", latency_json(&m->ice));
    rc |= set(o, "ice", ice);
    rc |= set(o, "relay_allocate_ms", latency_json(&m->relay_allocate));
    return rc;
}

static json_t *calls_json(const struct run_stats *s)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    rc |= set(o, "attempted", count_json(s->calls_attempted));
    rc |= set(o, "answered", count_json(s->calls_answered));
    rc |= set(o, "failed", count_json(s->calls_failed));
    rc |= set(o, "skipped", count_json(s->calls_skipped));
    rc |= set(o, "ok", count_json(s->calls_ok));
    rc |= set(o, "success_pct", pct_json(s->calls_ok, s->calls_attempted));
    rc |= set(o, "setup_ms", latency_json(&s->setup));
    rc |= set(o, "pdd_ms", latency_json(&s->pdd));
    rc |= media_json(o, &s->media);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *journeys_json(const struct run_stats *s)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    rc |= set(o, "started", count_json(s->journeys_started));
    rc |= set(o, "completed", count_json(s->journeys_completed));
    rc |= set(o, "skipped", count_json(s->journeys_skipped));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *step_json(const struct step_stats *st)
{
    json_t *o = json_object();
    json_t *failures = json_object();
    int rc = 0;

    if (!o || !failures) {
        json_decref(failures);
        goto fail;
    }
    for (int c = 0; c < FAIL_CLASS_COUNT; c++) {
        if (st->failures[c])
            rc |= set(failures, failure_class_name((enum failure_class)c),
                      count_json(st->failures[c]));
    }
    rc |= set(o, "attempts", count_json(st->attempts));
    rc |= set(o, "ok", count_json(st->ok));
    rc |= set(o, "failed", count_json(st->failed));
    rc |= set(o, "success_pct", pct_json(st->ok, st->attempts));
    rc |= set(o, "latency_ms", latency_json(&st->latency));
    rc |= set(o, "failures", failures);
    if (rc)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *steps_json(const struct run_stats *s)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    /* Only the steps the run took: an empty row says nothing. */
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        if (s->steps[k].attempts)
            rc |= set(o, step_kind_name((enum step_kind)k), step_json(&s->steps[k]));
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *generator_json(const struct run_stats *s)
{
    json_t *o = json_object();

    if (!o || set(o, "lag_ms", latency_json(&s->lag))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *thresholds_json(const struct scenario *sc, const struct run_stats *s)
{
    json_t *a = json_array();

    if (!a)
        return NULL;
    for (size_t i = 0; sc && i < sc->threshold_count; i++) {
        struct threshold_result t;
        json_t *o = json_object();
        int rc = 0;

        verdict_threshold_eval(&sc->thresholds[i], s, &t);
        if (!o || json_array_append_new(a, o))
            goto fail;
        rc |= set(o, "metric", text_json(t.th->metric));
        rc |= set(o, "warn", json_real(t.th->warn));
        rc |= set(o, "crit", json_real(t.th->crit));
        rc |= set(o, "value", t.has_value ? json_real(round(t.value * 1000.0) / 1000.0)
                                          : json_null());
        /* A threshold that could not be checked is neither passed nor failed. */
        rc |= set(o, "level", json_string(t.has_value ? verdict_name(t.level) : "unknown"));
        rc |= set(o, "direction", json_string(t.below_is_bad ? "below-is-bad" : "above-is-bad"));
        if (t.metric_err)
            rc |= set(o, "error",
                      json_string(t.metric_err == SYNTH_ENOTFOUND ? "unknown-metric" : "no-data"));
        rc |= set(o, "line", json_integer(t.th->line));
        if (rc)
            goto fail;
    }
    return a;
fail:
    json_decref(a);
    return NULL;
}

static json_t *findings_json(const struct verdict *v)
{
    json_t *a = json_array();

    if (!a)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct finding *f = &v->findings[i];
        json_t *o = json_object();
        int rc = 0;

        if (!o || json_array_append_new(a, o))
            goto fail;
        rc |= set(o, "id", text_json(f->id));
        rc |= set(o, "severity", json_string(finding_severity_name(f->level)));
        rc |= set(o, "level", json_string(verdict_name(f->level)));
        rc |= set(o, "summary", text_json(f->summary));
        rc |= set(o, "evidence", text_json(f->evidence));
        rc |= set(o, "remedy", text_json(f->remedy));
        if (f->has_value)
            rc |= set(o, "value", json_real(round(f->value * 1000.0) / 1000.0));
        if (rc)
            goto fail;
    }
    return a;
fail:
    json_decref(a);
    return NULL;
}

static json_t *timeline_entry(size_t t, const struct timeline_sec *sec)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    rc |= set(o, "t", json_integer((json_int_t)t));
    rc |= set(o, "started", json_integer(sec ? sec->started : 0));
    rc |= set(o, "skipped", json_integer(sec ? sec->skipped : 0));
    rc |= set(o, "calls", json_integer(sec ? sec->calls : 0));
    rc |= set(o, "answered", json_integer(sec ? sec->answered : 0));
    rc |= set(o, "failed", json_integer(sec ? sec->failed : 0));
    rc |= set(o, "ok", json_integer(sec ? sec->ok : 0));
    rc |= set(o, "setup_p95_ms", sec && sec->setup.count
                                     ? ms_json((double)hist_percentile(&sec->setup, 95))
                                     : json_null());
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *timeline_json(const struct run_stats *s, int64_t duration_us)
{
    json_t *a = json_array();
    /* One entry per second of the run, quiet seconds at the end included. */
    size_t n = s->timeline_len;
    if (duration_us > 0) {
        uint64_t secs = ((uint64_t)duration_us + 999999u) / 1000000u;
        if (secs > RUN_TIMELINE_MAX_SECONDS)
            secs = RUN_TIMELINE_MAX_SECONDS;
        if (secs > n)
            n = (size_t)secs;
    }

    if (!a)
        return NULL;
    for (size_t t = 0; t < n; t++) {
        if (json_array_append_new(a, timeline_entry(t, t < s->timeline_len ? &s->timeline[t]
                                                                            : NULL))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *summary_hist_json(const struct hist *h)
{
    json_t *o = json_object();
    json_t *buckets = json_array();
    int rc = 0;

    if (!o || !buckets) {
        json_decref(buckets);
        goto fail;
    }
    rc |= set(o, "count", count_json(h->count));
    rc |= set(o, "overflow", count_json(h->overflow));
    rc |= set(o, "min_us", count_json(h->min_us));
    rc |= set(o, "max_us", count_json(h->max_us));
    /* The sum of integer µs is an integer (exact below 2^53): as a JSON integer
     * it reads back bit for bit whatever the real precision of the writer. */
    if (h->sum_us < 9.2e18 && h->sum_us == floor(h->sum_us))
        rc |= set(o, "sum_us", json_integer((json_int_t)h->sum_us));
    else
        rc |= set(o, "sum_us", json_real(h->sum_us));
    rc |= set(o, "buckets", buckets);
    if (rc)
        goto fail;
    for (size_t i = hist_next_bucket(h, 0); i < hist_bucket_count();
         i = hist_next_bucket(h, i + 1)) {
        json_t *pair = json_pack("[II]", (json_int_t)i, (json_int_t)h->buckets[i]);
        if (json_array_append_new(buckets, pair))
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *histograms_json(const struct run_stats *s)
{
    json_t *o = json_object();
    json_t *steps = json_object();
    int rc = 0;

    if (!o || !steps) {
        json_decref(steps);
        goto fail;
    }
    rc |= set(o, "unit", json_string("us"));
    rc |= set(o, "sub_bits", json_integer(HIST_SUB_BITS));
    rc |= set(o, "range_bits", json_integer(HIST_RANGE_BITS));
    rc |= set(o, "setup", summary_hist_json(&s->setup));
    rc |= set(o, "pdd", summary_hist_json(&s->pdd));
    rc |= set(o, "lag", summary_hist_json(&s->lag));
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        if (s->steps[k].attempts)
            rc |= set(steps, step_kind_name((enum step_kind)k),
                      summary_hist_json(&s->steps[k].latency));
    }
    rc |= set(o, "steps", steps);
    if (rc)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* The one-line reason Nagios shows: the most severe finding, or that all is well. */
static json_t *reason_json(const struct verdict *v, const char *ok_reason)
{
    if (v->n > 0 && v->findings[0].level != VERDICT_OK)
        return text_json(v->findings[0].summary);
    if (v->level == VERDICT_OK)
        return text_json(ok_reason ? ok_reason : "no failures, every threshold met");
    return json_string(verdict_name(v->level));
}

/* "via": the access paths the scenario's users took. */
static json_t *via_json(const struct scenario *sc)
{
    json_t *a = json_array();
    uint32_t n = sc ? sc->load.via_count : 0;
    if (a && n == 0)
        json_array_append_new(a, json_string(access_path_name(ACCESS_INTERNAL)));
    for (uint32_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(access_path_name(sc->load.via[i])));
    return a;
}

/* "paths": calls and steps per access path, so internal and external
 * users are compared side by side; null when all took one path. */
static json_t *paths_json(const struct summary_input *in)
{
    if (!in->path_stats || !in->scenario)
        return json_null();
    json_t *o = json_object();
    for (uint32_t i = 0; o && i < in->scenario->load.via_count; i++) {
        enum access_path p = in->scenario->load.via[i];
        const struct run_stats *s = &in->path_stats[p];
        json_t *one = json_object();
        int rc = !one;
        rc |= set(one, "calls", calls_json(s));
        rc |= set(one, "journeys", journeys_json(s));
        rc |= set(one, "steps", steps_json(s));
        if (rc || set(o, access_path_name(p), one)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *summary_build(const struct summary_input *in)
{
    char started[EVENT_JSON_TS_MAX];
    json_t *o;
    int rc = 0;

    if (!in || !in->stats || !in->verdict)
        return NULL;
    const struct run_stats *s = in->stats;
    const struct verdict *v = in->verdict;
    int64_t duration_us = in->duration_us > 0 ? in->duration_us : s->duration_us;
    if (event_json_timestamp(in->started_ms, started, sizeof(started)) != 0)
        snprintf(started, sizeof(started), "1970-01-01T00:00:00.000Z");

    o = json_object();
    if (!o)
        return NULL;
    rc |= set(o, "schema", json_integer(SUMMARY_SCHEMA));
    rc |= set(o, "version", text_json(in->version ? in->version : "unknown"));
    rc |= set(o, "target", text_json(in->target_name ? in->target_name : "?"));
    rc |= set(o, "target_kind", json_string(in->target_is_lab ? "lab" : "deployment"));
    rc |= set(o, "scenario", text_json(in->scenario_name));
    rc |= set(o, "started_at", json_string(started));
    rc |= set(o, "started_at_ms", json_integer(in->started_ms));
    rc |= set(o, "duration_s", json_real(round((double)duration_us / 1000.0) / 1000.0));
    rc |= set(o, "workers", json_integer(in->workers));
    rc |= set(o, "verdict", json_string(verdict_name(v->level)));
    rc |= set(o, "exit_code", json_integer(v->level));
    rc |= set(o, "reason", reason_json(v, in->ok_reason));
    rc |= set(o, "via", via_json(in->scenario));
    rc |= set(o, "calls", calls_json(s));
    rc |= set(o, "journeys", journeys_json(s));
    rc |= set(o, "steps", steps_json(s));
    rc |= set(o, "paths", paths_json(in));
    if (in->discovery)
        rc |= set(o, "discovery", json_deep_copy(in->discovery));
    if (s->survival.n)
        rc |= set(o, "survival", survival_json(&s->survival));
    rc |= set(o, "generator", generator_json(s));
    if (in->capacity)
        rc |= set(o, "capacity", json_deep_copy(in->capacity));
    rc |= set(o, "thresholds", thresholds_json(in->scenario, s));
    rc |= set(o, "findings", findings_json(v));
    rc |= set(o, "findings_dropped", count_json(v->dropped));
    rc |= set(o, "timeline", timeline_json(s, duration_us));
    rc |= set(o, "histograms", histograms_json(s));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int dump(FILE *out, const json_t *summary, struct synth_error *err)
{
    if (json_dumpf(summary, out, SUMMARY_DUMP_FLAGS) != 0 || fputc('\n', out) == EOF)
        return synth_error_set(err, SYNTH_EIO, "%s",
                               errno ? strerror(errno) : "write failed");
    return 0;
}

int summary_write(const char *path, const json_t *summary, struct synth_error *err)
{
    return report_file_write(path, dump, summary, err);
}

int summary_read(const char *path, json_t **out, struct synth_error *err)
{
    json_error_t jerr;
    json_t *doc;

    *out = NULL;
    errno = 0;
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (json_error_code(&jerr) == json_error_cannot_open_file)
            return synth_error_set(err, SYNTH_EIO, "%s: %s", path, jerr.text);
        return synth_error_set(err, SYNTH_EPARSE, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                               jerr.text);
    }
    const json_t *schema = json_object_get(doc, "schema");
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "verdict")) ||
        !json_is_integer(schema)) {
        json_decref(doc);
        return synth_error_set(err, SYNTH_EPARSE, "%s: not a synth summary (no verdict/schema)",
                               path);
    }
    if (json_integer_value(schema) > SUMMARY_SCHEMA) {
        json_int_t v = json_integer_value(schema);
        json_decref(doc);
        return synth_error_set(err, SYNTH_EPARSE,
                               "%s: summary schema %lld is newer than this synth reads (%d)",
                               path, (long long)v, SUMMARY_SCHEMA);
    }
    *out = doc;
    return 0;
}

/* A non-negative integer member, as JSON holds it. */
static int get_u64(const json_t *o, const char *key, uint64_t *v)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return SYNTH_EPARSE;
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

int summary_hist_from_json(const json_t *j, unsigned sub_bits, unsigned range_bits,
                           struct hist *h, struct synth_error *err)
{
    uint64_t count, overflow, min_us, max_us;
    const json_t *buckets = json_object_get(j, "buckets");
    const json_t *sum = json_object_get(j, "sum_us");
    const json_t *pair;
    size_t i;

    hist_init(h);
    /* Bucket indexes mean something only in the layout that wrote them. */
    if (sub_bits != HIST_SUB_BITS || range_bits != HIST_RANGE_BITS)
        return synth_error_set(err, SYNTH_EPARSE,
                               "histogram layout %u/%u, this synth reads %u/%u", sub_bits,
                               range_bits, (unsigned)HIST_SUB_BITS, (unsigned)HIST_RANGE_BITS);
    if (!json_is_object(j) || get_u64(j, "count", &count) || get_u64(j, "overflow", &overflow) ||
        get_u64(j, "min_us", &min_us) || get_u64(j, "max_us", &max_us) || !json_is_number(sum) ||
        !json_is_array(buckets))
        return synth_error_set(err, SYNTH_EPARSE,
                               "histogram: count, overflow, min_us, max_us, sum_us and buckets "
                               "are required");
    json_array_foreach(buckets, i, pair) {
        const json_t *idx = json_array_get(pair, 0), *n = json_array_get(pair, 1);
        if (json_array_size(pair) != 2 || !json_is_integer(idx) || !json_is_integer(n) ||
            json_integer_value(idx) < 0 || json_integer_value(n) <= 0 ||
            json_integer_value(n) > UINT32_MAX ||
            hist_add_bucket(h, (size_t)json_integer_value(idx), (uint32_t)json_integer_value(n))) {
            hist_init(h);
            return synth_error_set(err, SYNTH_EPARSE, "histogram: bucket %zu is not a valid "
                                   "[index, count] pair", i);
        }
    }
    if (hist_set_totals(h, count, overflow, min_us, max_us, json_number_value(sum)) != 0) {
        hist_init(h);
        return synth_error_set(err, SYNTH_EPARSE,
                               "histogram: totals do not agree with the buckets");
    }
    return 0;
}
