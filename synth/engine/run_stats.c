/* Statistics of a run: counters, latency histograms and the per-second
 * timeline, kept per worker and merged at the end. */
#include "run_stats.h"

#include "synth/base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statistics a latency metric can ask of a histogram (".p95", ".max"). */
#define HIST_STAT_COUNT HIST_STAT_NAMES

/* Run-wide latency metrics, in the order run_stats_metric_name lists them. */
enum run_hist { RUN_HIST_SETUP, RUN_HIST_PDD, RUN_HIST_LAG, RUN_HIST_COUNT };
static const char *const run_hist_prefix[RUN_HIST_COUNT] = {
    [RUN_HIST_SETUP] = "setup_ms.",
    [RUN_HIST_PDD] = "pdd_ms.",
    [RUN_HIST_LAG] = "generator.lag_ms.",
};
static const char *const run_pct_names[] = {"call_success_pct", "register_success_pct"};
#define RUN_PCT_COUNT (sizeof(run_pct_names) / sizeof(run_pct_names[0]))
/* Per step kind: its latency statistics, then its success percentage. */
#define STEP_METRIC_COUNT (HIST_STAT_COUNT + 1)

static const struct hist *run_hist(const struct run_stats *s, enum run_hist which)
{
    switch (which) {
    case RUN_HIST_SETUP:
        return &s->setup;
    case RUN_HIST_PDD:
        return &s->pdd;
    case RUN_HIST_LAG:
    case RUN_HIST_COUNT:
        break;
    }
    return &s->lag;
}

static void timeline_sec_init(struct timeline_sec *t)
{
    memset(t, 0, sizeof(*t));
    hist_init(&t->setup);
}

void run_stats_init(struct run_stats *s)
{
    memset(s, 0, sizeof(*s));
    for (int k = 0; k < STEP_KIND_COUNT; k++)
        hist_init(&s->steps[k].latency);
    hist_init(&s->setup);
    hist_init(&s->pdd);
    hist_init(&s->lag);
    media_stats_init(&s->media);
}

void run_stats_free(struct run_stats *s)
{
    survival_log_free(&s->survival);
    free(s->timeline);
    s->timeline = NULL;
    s->timeline_len = 0;
    s->timeline_cap = 0;
}

/* Makes seconds [0, len) exist. SYNTH_ENOMEM leaves s as it was. */
static int timeline_reserve(struct run_stats *s, size_t len)
{
    if (len <= s->timeline_len)
        return 0;
    if (len > s->timeline_cap) {
        size_t cap = (len + RUN_TIMELINE_CHUNK_SECONDS - 1) / RUN_TIMELINE_CHUNK_SECONDS *
                     RUN_TIMELINE_CHUNK_SECONDS;
        if (cap > RUN_TIMELINE_MAX_SECONDS)
            cap = RUN_TIMELINE_MAX_SECONDS;
        struct timeline_sec *t = realloc(s->timeline, cap * sizeof(*t));
        if (!t)
            return SYNTH_ENOMEM;
        s->timeline = t;
        s->timeline_cap = cap;
    }
    for (size_t i = s->timeline_len; i < len; i++)
        timeline_sec_init(&s->timeline[i]);
    s->timeline_len = len;
    return 0;
}

/* The timeline second of t_us, or NULL past RUN_TIMELINE_MAX_SECONDS (the
 * totals still count) or when it cannot grow (*err set). */
static struct timeline_sec *timeline_at(struct run_stats *s, int64_t t_us, int *err)
{
    /* A step that started "before" the run began (clock read before the
     * start mark) belongs to its first second. */
    uint64_t sec = t_us > 0 ? (uint64_t)t_us / 1000000u : 0;
    if (s->timeline_off)
        return NULL;
    if (sec >= RUN_TIMELINE_MAX_SECONDS)
        return NULL;
    int rc = timeline_reserve(s, (size_t)sec + 1);
    if (rc) {
        *err = rc;
        return NULL;
    }
    return &s->timeline[sec];
}

static uint64_t nonneg(int64_t us)
{
    return us > 0 ? (uint64_t)us : 0;
}

/* The fixed-size texts of a step_result may lack their NUL at full length. */
static void copy_text(char *dst, const char *src)
{
    size_t n = strnlen(src, RESULT_TEXT_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void example_from_result(struct failure_example *e, const struct step_result *r)
{
    e->at_us = r->start_us;
    e->user_index = r->user_index;
    e->sip_status = r->sip_status;
    copy_text(e->sip_reason, r->sip_reason);
    copy_text(e->ms_diagnostics, r->ms_diagnostics);
    copy_text(e->detail, r->detail);
}

int run_stats_add_result(struct run_stats *s, const struct step_result *r)
{
    int err = 0;

    if ((unsigned)r->kind >= STEP_KIND_COUNT)
        return SYNTH_EINVAL;
    struct step_stats *st = &s->steps[r->kind];
    struct timeline_sec *sec = timeline_at(s, r->start_us, &err);

    st->attempts++;
    hist_record(&st->latency, nonneg(step_result_latency_us(r)));
    if (r->ok) {
        st->ok++;
        if (sec)
            sec->ok++;
    } else {
        enum failure_class c = r->cls;
        /* A step that failed without saying why is a bug of ours, not the target's. */
        if (c == FAIL_NONE || (unsigned)c >= FAIL_CLASS_COUNT)
            c = FAIL_INTERNAL;
        st->failed++;
        if (st->failures[c]++ == 0 || r->start_us < st->first[c].at_us)
            example_from_result(&st->first[c], r);
        if (sec)
            sec->failed++;
    }

    if (r->kind == STEP_CALL) {
        s->calls_attempted++;
        if (r->answered)
            s->calls_answered++;
        if (!r->ok)
            s->calls_failed++;
        else if (r->answered)
            s->calls_ok++;
        if (r->setup_us >= 0)
            hist_record(&s->setup, (uint64_t)r->setup_us);
        if (r->pdd_us >= 0)
            hist_record(&s->pdd, (uint64_t)r->pdd_us);
        media_stats_add(&s->media, r);
        if (sec) {
            sec->calls++;
            if (r->answered)
                sec->answered++;
            if (r->setup_us >= 0)
                hist_record(&sec->setup, (uint64_t)r->setup_us);
        }
    }
    return err;
}

int run_stats_add_skip(struct run_stats *s, int64_t t_us, bool has_call)
{
    int err = 0;
    struct timeline_sec *sec = timeline_at(s, t_us, &err);

    s->journeys_skipped++;
    if (has_call)
        s->calls_skipped++;
    if (sec)
        sec->skipped++;
    return err;
}

int run_stats_add_start(struct run_stats *s, int64_t t_us, int64_t lag_us)
{
    int err = 0;
    struct timeline_sec *sec = timeline_at(s, t_us, &err);

    s->journeys_started++;
    hist_record(&s->lag, nonneg(lag_us));
    if (sec)
        sec->started++;
    return err;
}

void run_stats_add_completed(struct run_stats *s)
{
    s->journeys_completed++;
}

static void step_stats_merge(struct step_stats *dst, const struct step_stats *src)
{
    dst->attempts += src->attempts;
    dst->ok += src->ok;
    dst->failed += src->failed;
    for (int c = 0; c < FAIL_CLASS_COUNT; c++) {
        if (!src->failures[c])
            continue;
        /* Earliest wins, and dst on a tie: the same example whatever the merge order
         * of workers that did not fail at the same µs. */
        if (!dst->failures[c] || src->first[c].at_us < dst->first[c].at_us)
            dst->first[c] = src->first[c];
        dst->failures[c] += src->failures[c];
    }
    hist_merge(&dst->latency, &src->latency);
}

int run_stats_merge(struct run_stats *dst, const struct run_stats *src)
{
    if (dst == src)
        return SYNTH_EINVAL;
    /* Grow first: after this nothing can fail, so dst is never half merged. */
    int err = timeline_reserve(dst, src->timeline_len);
    if (err)
        return err;
    /* Survival probes are few; a failed append loses only some of them. */
    err = survival_log_merge(&dst->survival, &src->survival);

    for (int k = 0; k < STEP_KIND_COUNT; k++)
        step_stats_merge(&dst->steps[k], &src->steps[k]);
    dst->journeys_started += src->journeys_started;
    dst->journeys_completed += src->journeys_completed;
    dst->journeys_skipped += src->journeys_skipped;
    dst->calls_attempted += src->calls_attempted;
    dst->calls_answered += src->calls_answered;
    dst->calls_failed += src->calls_failed;
    dst->calls_skipped += src->calls_skipped;
    dst->calls_ok += src->calls_ok;
    hist_merge(&dst->setup, &src->setup);
    hist_merge(&dst->pdd, &src->pdd);
    hist_merge(&dst->lag, &src->lag);
    media_stats_merge(&dst->media, &src->media);
    for (size_t i = 0; i < src->timeline_len; i++) {
        struct timeline_sec *d = &dst->timeline[i];
        const struct timeline_sec *o = &src->timeline[i];
        d->started += o->started;
        d->skipped += o->skipped;
        d->calls += o->calls;
        d->answered += o->answered;
        d->failed += o->failed;
        d->ok += o->ok;
        hist_merge(&d->setup, &o->setup);
    }
    if (src->duration_us > dst->duration_us)
        dst->duration_us = src->duration_us;
    return err;
}

uint64_t run_stats_attempts(const struct run_stats *s)
{
    uint64_t n = 0;
    for (int k = 0; k < STEP_KIND_COUNT; k++)
        n += s->steps[k].attempts;
    return n;
}

/* ---- threshold metrics ---- */

static int pct(uint64_t part, uint64_t whole, double *out)
{
    if (whole == 0)
        return SYNTH_EINVAL;
    *out = 100.0 * (double)part / (double)whole;
    return 0;
}

static int step_metric(const struct run_stats *s, const char *rest, double *out)
{
    /* Step names may hold dots themselves ("ucwa.token"): match the name, then a dot. */
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        const char *name = step_kind_name((enum step_kind)k);
        size_t len = strlen(name);
        if (strncmp(rest, name, len) != 0 || rest[len] != '.')
            continue;
        const char *dot = rest + len;
        const struct step_stats *st = &s->steps[k];
        if (strcmp(dot + 1, "success_pct") == 0)
            return pct(st->ok, st->attempts, out);
        if (strncmp(dot + 1, "latency_ms.", 11) == 0)
            return hist_stat(&st->latency, dot + 12, 1000.0, out);
        return SYNTH_ENOTFOUND;
    }
    return SYNTH_ENOTFOUND;
}

int run_stats_metric(const struct run_stats *s, const char *metric, double *out)
{
    if (strcmp(metric, "call_success_pct") == 0)
        return pct(s->calls_ok, s->calls_attempted, out);
    if (strcmp(metric, "register_success_pct") == 0)
        return pct(s->steps[STEP_REGISTER].ok, s->steps[STEP_REGISTER].attempts, out);
    for (int h = 0; h < RUN_HIST_COUNT; h++) {
        size_t n = strlen(run_hist_prefix[h]);
        if (strncmp(metric, run_hist_prefix[h], n) == 0)
            return hist_stat(run_hist(s, (enum run_hist)h), metric + n, 1000.0, out);
    }
    if (strncmp(metric, "steps.", 6) == 0)
        return step_metric(s, metric + 6, out);
    return media_stats_metric(&s->media, metric, out);
}

int run_stats_metric_name(size_t i, char *buf, size_t size)
{
    int n;

    if (i < RUN_HIST_COUNT * HIST_STAT_COUNT) {
        n = snprintf(buf, size, "%s%s", run_hist_prefix[i / HIST_STAT_COUNT],
                     hist_stat_name(i % HIST_STAT_COUNT));
        goto out;
    }
    i -= RUN_HIST_COUNT * HIST_STAT_COUNT;
    if (i < RUN_PCT_COUNT) {
        n = snprintf(buf, size, "%s", run_pct_names[i]);
        goto out;
    }
    i -= RUN_PCT_COUNT;
    if (i >= (size_t)STEP_KIND_COUNT * STEP_METRIC_COUNT)
        return media_stats_metric_name(i - (size_t)STEP_KIND_COUNT * STEP_METRIC_COUNT, buf, size);
    const char *kind = step_kind_name((enum step_kind)(i / STEP_METRIC_COUNT));
    size_t m = i % STEP_METRIC_COUNT;
    if (m < HIST_STAT_COUNT)
        n = snprintf(buf, size, "steps.%s.latency_ms.%s", kind, hist_stat_name(m));
    else
        n = snprintf(buf, size, "steps.%s.success_pct", kind);
out:
    if (n < 0 || (size_t)n >= size)
        return SYNTH_ETOOBIG;
    return 0;
}

const char *run_stats_metric_unit(const char *metric)
{
    size_t n = strlen(metric);
    if ((n > 4 && strcmp(metric + n - 4, "_pct") == 0) || strncmp(metric, "loss_pct.", 9) == 0 ||
        strncmp(metric, "peer_loss_pct.", 14) == 0)
        return "%";
    if (strncmp(metric, "mos.", 4) == 0)
        return "";
    return "ms"; /* every other metric is a latency or jitter in ms */
}
