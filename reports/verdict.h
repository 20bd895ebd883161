/* The verdict of a run and the findings behind it: each scenario threshold
 * measured against the run's statistics, and the failures explained with
 * evidence and a remedy. The level is the process exit code, as Nagios and
 * Icinga read it (Monitoring Plugins Development Guidelines, "Plugin Return Codes"). */
#ifndef SYNTH_REPORTS_VERDICT_H
#define SYNTH_REPORTS_VERDICT_H

#include "synth/config/scenario.h"
#include "synth/engine/generator_watch.h"
#include "synth/engine/run_stats.h"

#include <stdbool.h>
#include <stddef.h>

enum verdict_level {
    VERDICT_OK = 0,
    VERDICT_WARNING = 1,
    VERDICT_CRITICAL = 2,
    VERDICT_UNKNOWN = 3,
};

/* Findings beyond this are dropped (the least severe first) and counted in
 * verdict.dropped: a run where every step fails in every way must still give
 * a report a person can read. Thresholds (SCENARIO_THRESHOLDS_MAX) plus one
 * finding per failing step and class fit in ordinary runs. */
#define VERDICT_FINDINGS_MAX 64
/* Bound of each finding text; longer texts are cut. */
#define FINDING_TEXT_MAX 512

struct finding {
    char *id;       /* "threshold.setup_ms.p95", "register.auth-refused", ... */
    enum verdict_level level; /* what it does to the verdict */
    char *summary;  /* one line a person reads first */
    char *evidence; /* measured values, first failure seen */
    char *remedy;   /* what to check or change; may be "" */
    bool has_value; /* threshold findings: the measured value */
    double value;
};

struct verdict {
    enum verdict_level level;
    struct finding *findings; /* most severe first, then in the order found */
    size_t n;
    size_t dropped; /* findings left out because the list was full */
};

/* The outcome of one threshold, for the verdict and summary.json "thresholds". */
struct threshold_result {
    const struct scenario_threshold *th;
    bool has_value;    /* false: unknown metric or no data */
    int metric_err;    /* 0, SYNTH_ENOTFOUND (unknown name) or SYNTH_EINVAL (no data) */
    double value;
    enum verdict_level level; /* VERDICT_OK when there is no value */
    bool below_is_bad; /* warn > crit */
};

/* "ok", "warning", "critical", "unknown" (summary.json "verdict"). */
const char *verdict_name(enum verdict_level level);
/* Parses a verdict_name back (for `synth report` on an old summary); 0 or SYNTH_EINVAL. */
int verdict_from_name(const char *name, enum verdict_level *level);
/* summary.json "severity" of a finding: "info", "warning" or "critical". A finding
 * that makes the verdict unknown (the measurement itself is in doubt) reads "warning". */
const char *finding_severity_name(enum verdict_level level);

void verdict_init(struct verdict *v);
void verdict_free(struct verdict *v);

/* Measures one threshold: warn < crit means above is bad, warn > crit below is
 * bad (warn == crit: above is bad). A value exactly at a bound passes it. */
void verdict_threshold_eval(const struct scenario_threshold *th, const struct run_stats *s,
                            struct threshold_result *out);

/* Fills v (which must be fresh from verdict_init) from the run: UNKNOWN when no
 * step was attempted at all; otherwise a finding per breached threshold
 * ("threshold.<metric>"), one "threshold.no-data" for thresholds whose metric
 * had no data, and findings from the failures ("transport.unreachable",
 * "tls.verify-failed", "<step>.<class>"). Returns 0 or SYNTH_ENOMEM. */
int verdict_evaluate(struct verdict *v, const struct scenario *sc, const struct run_stats *s);

/* Adds a finding from the caller (e.g. "generator.saturated" with VERDICT_UNKNOWN)
 * and raises the verdict to it. Texts are copied (NULL = ""), cut at
 * FINDING_TEXT_MAX. Verdict order: ok < warning < unknown < critical: an outage
 * pages even when the generator is in doubt, but a doubtful measurement is not
 * merely a warning. Returns 0 or SYNTH_ENOMEM. */
int verdict_add_finding(struct verdict *v, enum verdict_level level, const char *id,
                        const char *summary, const char *evidence, const char *remedy);

/* Like verdict_add_finding with printf-style evidence. */
int verdict_add_findingf(struct verdict *v, enum verdict_level level, const char *id,
                         const char *summary, const char *remedy, const char *evidence_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Sets every finding for which pick says yes to level to, keeps the order
 * (most severe first) and recomputes the verdict from the findings kept. */
void verdict_relevel(struct verdict *v, bool (*pick)(const struct finding *f),
                     enum verdict_level to);

/* Decides whether the generator, not the target, was the bottleneck: its
 * journeys started later than g->lag_limit_ms (p99), or at least half of
 * the run's seconds (two at least) used or waited for g->cpu_limit_pct of
 * its CPUs while its schedule slipped (lag p99 above a tenth of the limit)
 * or it dropped more than 1 % of its arrivals. Then the finding generator.saturated (unknown) and every
 * critical finding that could come from a slow generator (all but
 * transport.unreachable and tls.verify-failed, which no load causes) is
 * lowered to unknown: the run is never a false critical for the target.
 * Sets g->lag_bound and g->cpu_bound; returns whether bound. */
bool verdict_generator(struct verdict *v, struct generator_report *g);

#endif
