/* Shard results combined exactly (merge.h). */
#include "merge.h"

#include "reports/event_json.h"
#include "reports/events_read.h"
#include "reports/summary.h"
#include "reports/summary_view.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits of a SHA-256 shown in messages: enough to tell two files apart. */
#define MERGE_SHA_SHOWN 12
/* 9999-12-31T23:59:59.999Z: a start past it is no wall clock. */
#define MERGE_WALL_MAX_MS INT64_C(253402300799999)
/* Ten years: a run longer than that is a corrupt summary. */
#define MERGE_DURATION_MAX_S (10.0 * 366 * 86400)

static const json_t *shard_of(const json_t *summary, json_int_t *index, json_int_t *count)
{
    const json_t *sh = json_object_get(summary, "shard");
    const json_t *i = json_object_get(sh, "index"), *c = json_object_get(sh, "count");
    if (!json_is_integer(i) || !json_is_integer(c))
        return NULL;
    *index = json_integer_value(i);
    *count = json_integer_value(c);
    return *count >= 1 && *index >= 0 && *index < *count ? sh : NULL;
}

static int by_index(const void *a, const void *b)
{
    json_int_t ia, ib, c;
    shard_of(((const struct merge_shard *)a)->summary, &ia, &c);
    shard_of(((const struct merge_shard *)b)->summary, &ib, &c);
    return ia < ib ? -1 : ia > ib;
}

int merge_check(struct merge_shard *s, size_t n, struct merge_identity *id,
                struct synth_error *err)
{
    json_int_t index, count = 0, first_count = 0;
    double dur;

    memset(id, 0, sizeof(*id));
    if (n == 0)
        return synth_error_set(err, SYNTH_EINVAL, "no shard directories given");
    for (size_t k = 0; k < n; k++) {
        const json_t *sum = s[k].summary;
        const char *name = sview_str(sum, "scenario", NULL);
        const char *sha = sview_str(sum, "scenario_sha256", NULL);
        if (!shard_of(sum, &index, &count))
            return synth_error_set(err, SYNTH_EINVAL,
                                   "%s: not a shard (its summary.json has no shard: {index, "
                                   "count}; run each part with --shard K/N)", s[k].dir);
        if (!name || !sha)
            return synth_error_set(err, SYNTH_EINVAL,
                                   "%s: summary.json names no scenario or scenario_sha256",
                                   s[k].dir);
        if (k == 0) {
            id->scenario = name;
            id->scenario_sha256 = sha;
            first_count = count;
        } else if (strcmp(name, id->scenario) != 0 || strcmp(sha, id->scenario_sha256) != 0) {
            return synth_error_set(err, SYNTH_EINVAL,
                                   "%s: scenario '%s' (sha256 %.*s) differs from %s's '%s' "
                                   "(sha256 %.*s): shards of different scenarios are not merged",
                                   s[k].dir, name, MERGE_SHA_SHOWN, sha, s[0].dir, id->scenario,
                                   MERGE_SHA_SHOWN, id->scenario_sha256);
        } else if (count != first_count) {
            return synth_error_set(err, SYNTH_EINVAL, "%s: a shard of %lld, %s one of %lld",
                                   s[k].dir, (long long)count, s[0].dir,
                                   (long long)first_count);
        }
        const json_t *at = json_object_get(sum, "started_at_ms");
        int64_t start = (int64_t)json_integer_value(at);
        if (!json_is_integer(at) || start < 0 || start > MERGE_WALL_MAX_MS ||
            !sview_num(sum, "duration_s", &dur) || !(dur >= 0 && dur <= MERGE_DURATION_MAX_S))
            return synth_error_set(err, SYNTH_EINVAL,
                                   "%s: summary.json started_at_ms or duration_s missing or out "
                                   "of range", s[k].dir);
        int64_t end = start + (int64_t)(dur * 1000.0 + 0.5);
        if (k == 0 || start < id->started_ms)
            id->started_ms = start;
        if (k == 0 || end > id->ended_ms)
            id->ended_ms = end;
    }
    qsort(s, n, sizeof(*s), by_index);
    for (size_t k = 1; k < n; k++) {
        json_int_t a, b;
        shard_of(s[k - 1].summary, &a, &count);
        shard_of(s[k].summary, &b, &count);
        if (a == b)
            return synth_error_set(err, SYNTH_EINVAL, "shard %lld of %lld given twice: %s and %s",
                                   (long long)a, (long long)count, s[k - 1].dir, s[k].dir);
    }
    for (size_t k = 0; k < (size_t)first_count; k++) {
        if (k >= n || (shard_of(s[k].summary, &index, &count), index != (json_int_t)k))
            return synth_error_set(err, SYNTH_EINVAL,
                                   "shard %zu of %lld missing (%zu director%s given)", k,
                                   (long long)first_count, n, n == 1 ? "y" : "ies");
    }
    id->count = (uint32_t)first_count;
    return 0;
}

/* --- events.jsonl: every shard's lines, ordered by start --- */

/* An ISO 8601 UTC time as event_json writes it, fixed width: it sorts as text. */
#define MERGE_TS_MAX EVENT_JSON_TS_MAX

struct ev_line {
    char ts[MERGE_TS_MAX];
    uint32_t shard;
    size_t seq;
    char *text;
    size_t len;
};

struct ev_all {
    struct ev_line *v;
    size_t n, cap;
    char *pending; /* the raw line the skip filter saw, until its object arrives */
    size_t pending_len;
    uint32_t shard;
    struct synth_error *err;
};

/* Sees each raw line before it is parsed: kept for the object's turn. */
static bool keep_raw(const char *line, size_t len, void *arg)
{
    struct ev_all *a = arg;
    free(a->pending);
    a->pending = malloc(len + 1);
    if (a->pending) {
        memcpy(a->pending, line, len);
        a->pending[len] = '\0';
    }
    a->pending_len = len;
    return false;
}

static int take(const json_t *ev, size_t line, void *arg)
{
    struct ev_all *a = arg;
    if (!a->pending)
        return synth_error_set(a->err, SYNTH_ENOMEM, "out of memory");
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        struct ev_line *v = realloc(a->v, cap * sizeof(*v));
        if (!v)
            return synth_error_set(a->err, SYNTH_ENOMEM, "out of memory");
        a->v = v;
        a->cap = cap;
    }
    struct ev_line *l = &a->v[a->n++];
    snprintf(l->ts, sizeof(l->ts), "%s", sview_str(ev, "ts", ""));
    l->shard = a->shard;
    l->seq = line;
    l->text = a->pending;
    l->len = a->pending_len;
    a->pending = NULL;
    return 0;
}

static int by_time(const void *pa, const void *pb)
{
    const struct ev_line *a = pa, *b = pb;
    int c = strcmp(a->ts, b->ts);
    if (c)
        return c;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int merge_events(const struct merge_shard *s, size_t n, const char *out_path,
                 size_t *truncated, struct synth_error *err)
{
    struct ev_all a = {.err = err};
    char path[PATH_MAX];
    FILE *f = NULL;
    int rc = 0;

    *truncated = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        struct events_read_result res;
        if (snprintf(path, sizeof(path), "%s/events.jsonl", s[k].dir) >= (int)sizeof(path)) {
            rc = synth_error_set(err, SYNTH_ETOOBIG, "%s: path too long", s[k].dir);
            break;
        }
        a.shard = (uint32_t)k;
        rc = events_read_filtered(path, keep_raw, take, &a, &res, err);
        *truncated += res.truncated;
    }
    if (rc)
        goto out;
    qsort(a.v, a.n, sizeof(*a.v), by_time);
    f = fopen(out_path, "w");
    if (!f) {
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", out_path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < a.n; i++) {
        const struct ev_line *l = &a.v[i];
        bool nl = l->len && l->text[l->len - 1] == '\n';
        if (fwrite(l->text, 1, l->len, f) != l->len || (!nl && fputc('\n', f) == EOF)) {
            rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", out_path,
                                 strerror(errno));
            goto out;
        }
    }
out:
    if (f && fclose(f) != 0 && !rc)
        rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", out_path, strerror(errno));
    for (size_t i = 0; i < a.n; i++)
        free(a.v[i].text);
    free(a.v);
    free(a.pending);
    return rc;
}

/* --- statistics --- */

static uint64_t count_at(const json_t *summary, const char *obj, const char *key)
{
    const json_t *v = json_object_get(json_object_get(summary, obj), key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
                                                           : 0;
}

/* dst += the histogram j of a summary ("histograms" layout lay). */
static int add_hist(struct hist *dst, const json_t *j, const json_t *lay, const char *dir,
                    const char *what, struct synth_error *err)
{
    struct hist h;
    json_int_t sub = json_integer_value(json_object_get(lay, "sub_bits"));
    json_int_t range = json_integer_value(json_object_get(lay, "range_bits"));
    struct synth_error why = {{0}};

    if (summary_hist_from_json(j, (unsigned)sub, (unsigned)range, &h, &why) != 0)
        return synth_error_set(err, SYNTH_EPARSE, "%s: summary.json histograms.%s: %s", dir,
                               what, why.msg);
    hist_merge(dst, &h);
    return 0;
}

/* n skipped arrivals at t_us: one counted the ordinary way (it places the
 * second in the timeline), the rest added to the same counters at once, so
 * a shard that skipped millions costs no more than one that skipped one. */
static int add_skips_at(struct run_stats *stats, int64_t t_us, bool has_call, uint64_t n)
{
    if (n == 0)
        return 0;
    int rc = run_stats_add_skip(stats, t_us, has_call);
    uint64_t rest = n - 1;
    stats->journeys_skipped += rest;
    stats->calls_skipped += has_call ? rest : 0;
    size_t sec = t_us > 0 ? (size_t)(t_us / 1000000) : 0;
    if (sec < stats->timeline_len) {
        uint64_t v = stats->timeline[sec].skipped + rest;
        stats->timeline[sec].skipped = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
    return rc;
}

/* Arrivals a shard skipped, each into the second of the merged timeline it
 * fell in (the shard's own second, moved by its start's offset). */
static int add_skips(struct run_stats *stats, const json_t *summary, int64_t offset_us,
                     bool has_call)
{
    uint64_t want = count_at(summary, "journeys", "skipped"), done = 0;
    const json_t *sec;
    size_t t;
    int rc = 0;

    json_array_foreach(json_object_get(summary, "timeline"), t, sec) {
        json_int_t k = json_integer_value(json_object_get(sec, "skipped"));
        uint64_t n = k > 0 ? (uint64_t)k : 0;
        if (n > want - done)
            n = want - done;
        /* The middle of the second: an offset of a few ms keeps it there. */
        rc |= add_skips_at(stats, offset_us + (int64_t)t * 1000000 + 500000, has_call, n);
        done += n;
    }
    /* Past the timeline's cap (a week): counted at the start. */
    rc |= add_skips_at(stats, offset_us, has_call, want - done);
    return rc;
}

static int step_kind_named(const char *name)
{
    for (int k = 0; k < STEP_KIND_COUNT; k++)
        if (strcmp(step_kind_name((enum step_kind)k), name) == 0)
            return k;
    return -1;
}

int merge_stats(const struct merge_shard *s, size_t n, const struct merge_identity *id,
                bool has_call, struct run_stats *stats, struct synth_error *err)
{
    struct hist *acc = malloc((3 + STEP_KIND_COUNT) * sizeof(*acc));
    bool has_step[STEP_KIND_COUNT] = {false};
    uint64_t started = 0, completed = 0, calls = 0, attempts = 0;
    int rc = 0;

    if (!acc)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    for (int i = 0; i < 3 + STEP_KIND_COUNT; i++)
        hist_init(&acc[i]);
    for (size_t k = 0; k < n && !rc; k++) {
        const json_t *sum = s[k].summary, *lay = json_object_get(sum, "histograms");
        const json_t *steps = json_object_get(lay, "steps"), *h;
        const char *name;
        rc = add_hist(&acc[0], json_object_get(lay, "setup"), lay, s[k].dir, "setup", err);
        if (!rc)
            rc = add_hist(&acc[1], json_object_get(lay, "pdd"), lay, s[k].dir, "pdd", err);
        if (!rc)
            rc = add_hist(&acc[2], json_object_get(lay, "lag"), lay, s[k].dir, "lag", err);
        json_object_foreach((json_t *)steps, name, h) {
            int kind = step_kind_named(name);
            if (rc || kind < 0)
                continue;
            has_step[kind] = true;
            rc = add_hist(&acc[3 + kind], h, lay, s[k].dir, name, err);
        }
        started += count_at(sum, "journeys", "started");
        completed += count_at(sum, "journeys", "completed");
        calls += count_at(sum, "calls", "attempted");
        const json_t *st;
        json_object_foreach(json_object_get((json_t *)sum, "steps"), name, st)
            attempts += json_is_integer(json_object_get(st, "attempts"))
                            ? (uint64_t)json_integer_value(json_object_get(st, "attempts"))
                            : 0;
        int64_t start = (int64_t)json_integer_value(json_object_get(sum, "started_at_ms"));
        if (!rc && add_skips(stats, sum, (start - id->started_ms) * 1000, has_call) != 0)
            rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    }
    if (rc)
        goto out;
    /* The events and the summaries were written by the same runs: counts
     * that disagree mean a file was cut or edited, and an exact merge of
     * them is impossible. */
    if (calls != stats->calls_attempted || attempts != run_stats_attempts(stats)) {
        rc = synth_error_set(err, SYNTH_EPARSE,
                             "the shards' events.jsonl hold %llu calls and %llu steps, their "
                             "summary.json files %llu and %llu: an events file was cut or "
                             "changed",
                             (unsigned long long)stats->calls_attempted,
                             (unsigned long long)run_stats_attempts(stats),
                             (unsigned long long)calls, (unsigned long long)attempts);
        goto out;
    }
    stats->setup = acc[0];
    stats->pdd = acc[1];
    stats->lag = acc[2];
    for (int k = 0; k < STEP_KIND_COUNT; k++)
        if (has_step[k])
            stats->steps[k].latency = acc[3 + k];
    stats->journeys_started = started;
    stats->journeys_completed = completed;
    stats->duration_us = (id->ended_ms - id->started_ms) * 1000;
out:
    free(acc);
    return rc;
}

/* --- what only the shards hold --- */

/* The checks each shard made before its load (the same target, so the
 * first shard's answer stands for all): summary.json keys copied as they are. */
static const char *const PRE_RUN_KEYS[] = {"discovery", "web_ports"};

int merge_pre_run(const struct merge_shard *s, size_t n, json_t *summary)
{
    for (size_t i = 0; i < sizeof(PRE_RUN_KEYS) / sizeof(PRE_RUN_KEYS[0]); i++) {
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_object_get(s[k].summary, PRE_RUN_KEYS[i]);
            if (!v || json_is_null(v))
                continue;
            if (json_object_set_new(summary, PRE_RUN_KEYS[i], json_deep_copy(v)) != 0)
                return SYNTH_ENOMEM;
            break;
        }
    }
    return 0;
}

/* --- certificates: one entry per endpoint, disagreement flagged --- */

static bool same_endpoint(const json_t *a, const json_t *b)
{
    return strcmp(sview_str(a, "endpoint", ""), sview_str(b, "endpoint", "")) == 0 &&
           strcmp(sview_str(a, "host", ""), sview_str(b, "host", "")) == 0 &&
           json_equal(json_object_get(a, "port"), json_object_get(b, "port"));
}

/* What a shard saw of an endpoint: its leaf certificate and the result. */
static const char *leaf_sha(const json_t *ep)
{
    return sview_str(json_array_get(json_object_get(ep, "chain"), 0), "sha256", "none");
}

static bool same_view(const json_t *a, const json_t *b)
{
    return strcmp(leaf_sha(a), leaf_sha(b)) == 0 &&
           strcmp(sview_str(a, "result", ""), sview_str(b, "result", "")) == 0;
}

/* Records on the kept entry what shard k saw instead: {shard, sha256, result}. */
static int note_disagreement(json_t *kept, const json_t *seen, size_t k)
{
    json_t *d = json_object_get(kept, "shards_disagree");
    if (!d) {
        d = json_array();
        if (!d || json_object_set_new(kept, "shards_disagree", d))
            return SYNTH_ENOMEM;
    }
    return json_array_append_new(d, json_pack("{sIssss}", "shard", (json_int_t)k, "sha256",
                                              leaf_sha(seen), "result",
                                              sview_str(seen, "result", "")))
               ? SYNTH_ENOMEM
               : 0;
}

int merge_certificates(const struct merge_shard *s, size_t n, json_t **out, struct verdict *v)
{
    json_t *all = NULL;
    const json_t *ep;
    size_t i;

    *out = NULL;
    for (size_t k = 0; k < n; k++) {
        const json_t *certs = json_object_get(s[k].summary, "certificates");
        if (!json_is_array(certs))
            continue;
        if (!all && !(all = json_array()))
            return SYNTH_ENOMEM;
        json_array_foreach(certs, i, ep) {
            json_t *kept = NULL, *x;
            size_t j;
            json_array_foreach(all, j, x)
                if (!kept && same_endpoint(x, ep))
                    kept = x;
            int rc = !kept ? json_array_append_new(all, json_deep_copy(ep))
                     : same_view(kept, ep) ? 0
                                           : note_disagreement(kept, ep, k);
            if (rc) {
                json_decref(all);
                return SYNTH_ENOMEM;
            }
        }
    }
    json_array_foreach(all, i, ep) {
        const json_t *d = json_object_get(ep, "shards_disagree");
        if (!d)
            continue;
        if (verdict_add_findingf(
                v, VERDICT_WARNING, "merge.certificates-differ",
                "the shards saw different certificates (or results) for the same endpoint",
                "a pool whose servers present different certificates, or one renewed during "
                "the run: check each server of the pool behind this name",
                "%s (%s:%lld): the first shard saw leaf sha256 %.16s... (%s); shard %lld saw "
                "%.16s... (%s)",
                sview_str(ep, "endpoint", "?"), sview_str(ep, "host", "?"),
                (long long)json_integer_value(json_object_get(ep, "port")), leaf_sha(ep),
                sview_str(ep, "result", "?"),
                (long long)json_integer_value(json_object_get(json_array_get(d, 0), "shard")),
                sview_str(json_array_get(d, 0), "sha256", "?"),
                sview_str(json_array_get(d, 0), "result", "?")) != 0) {
            json_decref(all);
            return SYNTH_ENOMEM;
        }
    }
    *out = all;
    return 0;
}

/* Thresholds are judged again on the merged figures; every other finding a
 * shard made (the generator's, the checks made
 * before the load: certificates, DNS, web ports, the Edge diagnosis) is
 * kept unless the merged verdict already has its id. */
static bool carried(const char *id)
{
    /* Judged again by merge on the merged data: the thresholds, the
     * survival estimate, the capacity search (and its abort). */
    static const char *const again[] = {"threshold.", "capacity.", "proxy-idle-timeout-short",
                                        "run.aborted"};
    for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++)
        if (strncmp(id, again[i], strlen(again[i])) == 0)
            return false;
    return true;
}

static bool has_finding(const struct verdict *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->findings[i].id, id) == 0)
            return true;
    return false;
}

/* verdict_generator's rule: a slow generator explains every critical but
 * the two no load can cause. */
static bool load_could_cause(const struct finding *f)
{
    return f->level == VERDICT_CRITICAL && strcmp(f->id, "transport.unreachable") != 0 &&
           strcmp(f->id, "tls.verify-failed") != 0;
}

int merge_findings(const struct merge_shard *s, size_t n, struct verdict *v)
{
    bool bound = false;
    char evidence[FINDING_TEXT_MAX];

    for (size_t k = 0; k < n; k++) {
        const json_t *f;
        size_t i;
        json_array_foreach(json_object_get(s[k].summary, "findings"), i, f) {
            const char *fid = sview_str(f, "id", "");
            enum verdict_level level;
            if (!carried(fid) || has_finding(v, fid) ||
                verdict_from_name(sview_str(f, "level", ""), &level) != 0)
                continue;
            snprintf(evidence, sizeof(evidence), "shard %zu: %s", k, sview_str(f, "evidence", ""));
            if (verdict_add_finding(v, level, fid, sview_str(f, "summary", ""), evidence,
                                    sview_str(f, "remedy", "")) != 0)
                return SYNTH_ENOMEM;
            bound |= strcmp(fid, "generator.saturated") == 0;
        }
    }
    if (bound)
        verdict_relevel(v, load_could_cause, VERDICT_UNKNOWN);
    return 0;
}
