/* Statistics of a run: counters and latency histograms per step kind, per
 * call, of the generator's lag, and a per-second timeline. Each worker keeps
 * its own (no sharing on the hot path); they are merged at the end. */
#ifndef SYNTH_ENGINE_RUN_STATS_H
#define SYNTH_ENGINE_RUN_STATS_H

#include "synth/engine/media_stats.h"
#include "synth/engine/step_result.h"
#include "synth/engine/survival.h"
#include "synth/metrics/histogram.h"

#include <stddef.h>
#include <stdint.h>

/* A run longer than this keeps counting but stops adding timeline seconds:
 * each second holds two histograms, and a week of seconds is the memory bound. */
#define RUN_TIMELINE_MAX_SECONDS (7 * 24 * 3600)
/* The timeline grows a minute at a time: a realloc per minute of run, and at
 * most a minute of histograms allocated ahead. */
#define RUN_TIMELINE_CHUNK_SECONDS 60

/* The earliest failure of one class, kept as the evidence a finding quotes
 * ("first: user 7 at 3.2 s, 403 Forbidden"). Earliest by start time so that
 * merging workers in any order gives the same example. */
struct failure_example {
    int64_t at_us;       /* start of the failed step, µs since run start */
    uint32_t user_index;
    uint16_t sip_status; /* 0 if none */
    char sip_reason[RESULT_TEXT_MAX];
    char ms_diagnostics[RESULT_TEXT_MAX];
    char detail[RESULT_TEXT_MAX];
};

struct step_stats {
    uint64_t attempts, ok, failed;
    uint64_t failures[FAIL_CLASS_COUNT];
    struct hist latency; /* µs, from the intended start */
    struct failure_example first[FAIL_CLASS_COUNT]; /* valid where failures[c] > 0 */
};

struct timeline_sec {
    uint32_t started;  /* journeys started */
    uint32_t skipped;  /* arrivals skipped (concurrency cap full) */
    uint32_t calls;    /* calls attempted */
    uint32_t answered;
    uint32_t failed;   /* failed steps of any kind */
    uint32_t ok;       /* successful steps of any kind */
    struct hist setup; /* call setup µs of calls answered in this second */
};

struct run_stats {
    struct step_stats steps[STEP_KIND_COUNT];
    uint64_t journeys_started, journeys_completed, journeys_skipped;
    uint64_t calls_attempted, calls_answered, calls_failed, calls_skipped;
    uint64_t calls_ok; /* answered and ok: the numerator of call_success_pct */
    struct hist setup; /* INVITE → 200, µs */
    struct hist pdd;   /* INVITE → first 18x, µs */
    struct hist lag;   /* generator lag: actual - intended journey start, µs */
    struct media_stats media; /* the calls' audio */
    struct survival_log survival; /* ucwa.survival probes */
    struct timeline_sec *timeline; /* index = second since run start */
    size_t timeline_len;
    size_t timeline_cap; /* seconds allocated; grows by RUN_TIMELINE_CHUNK_SECONDS */
    int64_t duration_us;
    bool timeline_off; /* count, but keep no timeline (per-path copies) */
};

/* Allocates nothing until the first timeline second; zeroes and inits the histograms. */
void run_stats_init(struct run_stats *s);
void run_stats_free(struct run_stats *s);

/* Counts one step result (the second is taken from r->start_us). A failed
 * result without a class (a step that did not say why) counts as "internal".
 * SYNTH_EINVAL for a step kind out of range; SYNTH_ENOMEM when the timeline
 * cannot grow (the totals are counted all the same). */
int run_stats_add_result(struct run_stats *s, const struct step_result *r);
/* An arrival that found the concurrency cap full; has_call says if the journey would call. */
int run_stats_add_skip(struct run_stats *s, int64_t t_us, bool has_call);
/* A journey started lag_us after its intended time. */
int run_stats_add_start(struct run_stats *s, int64_t t_us, int64_t lag_us);
void run_stats_add_completed(struct run_stats *s);

/* dst += src (timelines aligned by second; duration the longer; failure
 * examples the earliest). On SYNTH_ENOMEM dst is unchanged. */
int run_stats_merge(struct run_stats *dst, const struct run_stats *src);

/* Value of a threshold metric (names as in scenario_metric_known): percentiles in ms,
 * percentages 0..100. Returns SYNTH_ENOTFOUND for an unknown name, SYNTH_EINVAL when
 * the metric has no data (e.g. no calls were made): the verdict treats that as unknown. */
int run_stats_metric(const struct run_stats *s, const char *metric, double *out);

/* The i-th metric name run_stats_metric knows, in a stable order, into buf
 * (for docs, the scenario loader's check and tests): 0, SYNTH_ENOTFOUND past
 * the last, SYNTH_ETOOBIG if buf is short (RUN_METRIC_NAME_MAX always fits). */
#define RUN_METRIC_NAME_MAX 64
int run_stats_metric_name(size_t i, char *buf, size_t size);

/* The unit a metric is given in: "%", "ms", or "" (MOS has none). */
const char *run_stats_metric_unit(const char *metric);

/* Steps attempted in all; 0 means the run measured nothing. */
uint64_t run_stats_attempts(const struct run_stats *s);

#endif
