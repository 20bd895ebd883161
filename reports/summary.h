/* summary.json: the whole result of a run in one document, the input of
 * every report writer (terminal, HTML, JUnit, Prometheus, Nagios) and of
 * `synth merge`. The keys are a contract with monitoring tools (see
 * docs/results.md): add, never rename. */
#ifndef SYNTH_REPORTS_SUMMARY_H
#define SYNTH_REPORTS_SUMMARY_H

#include "reports/verdict.h"
#include "synth/base/err.h"
#include "synth/config/scenario.h"
#include "synth/engine/run_stats.h"
#include "synth/metrics/histogram.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Raised when a key changes meaning; readers refuse a newer schema. */
#define SUMMARY_SCHEMA 1
/* A summary larger than this is no summary (the timeline of a week is ~60 MB). */
#define SUMMARY_READ_MAX (256u * 1024 * 1024)

struct summary_input {
    const char *target_name;       /* shown first everywhere; "lab" for the embedded lab */
    bool target_is_lab;            /* "target_kind": "lab" or "deployment" */
    const char *scenario_name;
    const char *version;           /* synth's version */
    int64_t started_ms;            /* wall clock at the start, ms since the epoch */
    int64_t duration_us;           /* how long the run took; 0 = the stats' duration_us */
    uint32_t workers;
    const struct run_stats *stats; /* merged over all workers */
    /* Per access path (indexed by enum access_path), when the scenario's
     * users take more than one: summary.json "paths". NULL otherwise. */
    const struct run_stats *path_stats;
    const json_t *discovery; /* summary.json "discovery" (copied); NULL: no DNS discovery */
    const json_t *capacity;  /* summary.json "capacity" (copied); NULL: none */
    const struct scenario *scenario; /* for the thresholds; may be NULL */
    const struct verdict *verdict;
    const char *ok_reason;         /* "reason" when all is well; NULL: "no failures, every
                                    * threshold met" */
};

/* Builds the summary document. Top-level keys: schema, version, target,
 * target_kind, scenario, started_at (ISO 8601 UTC), started_at_ms,
 * duration_s, workers, verdict, exit_code, reason, calls, journeys, steps,
 * generator, thresholds, findings, findings_dropped, timeline, histograms.
 * Latencies are objects {count, p50, p90, p95, p99, max, mean} in ms (null
 * when nothing was measured). New reference; NULL on ENOMEM or a NULL
 * stats/verdict. */
json_t *summary_build(const struct summary_input *in);

/* Writes the document to path atomically (a temporary file beside it, fsync,
 * rename), so a reader never sees half a summary. 0, SYNTH_EIO or SYNTH_ENOMEM
 * with "cannot write <path>: <reason>" in err. */
int summary_write(const char *path, const json_t *summary, struct synth_error *err);

/* Reads a summary written by summary_write (for `synth report` and `synth
 * merge`). SYNTH_EPARSE with "path:line:column: what" for bad JSON, or when
 * it is not a summary or its schema is newer; SYNTH_EIO when unreadable.
 * *out is a new reference on success. */
int summary_read(const char *path, json_t **out, struct synth_error *err);

/* A histogram as summary.json keeps it: totals and the non-empty buckets as
 * [index, count] pairs, exact for merging. New reference; NULL on ENOMEM. */
json_t *summary_hist_json(const struct hist *h);
/* The inverse, checking the layout (sub_bits, range_bits of the document's
 * "histograms", passed by the caller) and the totals. SYNTH_EPARSE with what
 * is wrong in err; h is initialised either way. */
int summary_hist_from_json(const json_t *j, unsigned sub_bits, unsigned range_bits,
                           struct hist *h, struct synth_error *err);

#endif
