/* Combining the results of the N shards of one run (`synth merge`): which
 * directories may be merged (one scenario, every shard once), their events
 * in one time-ordered events.jsonl, and the statistics summed exactly:
 * histograms bucket by bucket, counters added, timelines aligned by the
 * wall clock of each shard's start. The summary is then built as a run
 * builds its own (summary_build), so the merged directory is one that
 * `synth report` reads like any other. */
#ifndef SYNTH_REPORTS_MERGE_H
#define SYNTH_REPORTS_MERGE_H

#include "reports/verdict.h"
#include "synth/base/err.h"
#include "synth/engine/run_stats.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One shard's results directory and its summary.json (borrowed). */
struct merge_shard {
    const char *dir;
    const json_t *summary;
};

/* What the shards share, once merge_check accepted them. */
struct merge_identity {
    const char *scenario;        /* name (borrowed from the first summary) */
    const char *scenario_sha256;
    uint32_t count;              /* N */
    int64_t started_ms;          /* the earliest shard's start: the merged run's */
    int64_t ended_ms;            /* the latest shard's end */
};

/* Checks that the n summaries are shards 0..N-1 of one scenario, each
 * exactly once, and reorders s by shard index. SYNTH_EINVAL with the first
 * problem: "DIR: not a shard", "DIR: scenario ... differs from DIR0's",
 * "shard K of N given twice: A and B", "shard K of N missing". */
int merge_check(struct merge_shard *s, size_t n, struct merge_identity *id,
                struct synth_error *err);

/* The shards' events.jsonl into out_path, ordered by start time ("ts"; on a
 * tie by shard, then line). A shard's cut last line is skipped (with
 * *truncated counting them). SYNTH_EIO, SYNTH_EPARSE, SYNTH_ENOMEM. */
int merge_events(const struct merge_shard *s, size_t n, const char *out_path,
                 size_t *truncated, struct synth_error *err);

/* Completes stats (read back from the merged events, times relative to
 * id->started_ms) with what only the shards' summaries hold, exactly: the
 * histograms (setup, pdd, generator lag, per-step latency) replaced by the
 * sum of the shards' buckets, journeys started and completed summed, each
 * skipped arrival counted in its second. Refuses (SYNTH_EPARSE) shards whose
 * events and summaries disagree on the calls and steps attempted. */
int merge_stats(const struct merge_shard *s, size_t n, const struct merge_identity *id,
                bool has_call, struct run_stats *stats, struct synth_error *err);

/* The shards' own findings but those merge judges again on the merged
 * figures (thresholds, survival's proxy-idle-timeout-short, capacity.*,
 * run.aborted), each id once, the first shard's with "shard K: " before its
 * evidence: the generator's, the checks before the load. A generator-bound shard lowers the merged run's criticals the way
 * verdict_generator does. 0 or SYNTH_ENOMEM. */
int merge_findings(const struct merge_shard *s, size_t n, struct verdict *v);

/* Copies the checks made before the load (summary.json discovery,
 * web_ports) from the first shard that has them into the merged summary.
 * 0 or SYNTH_ENOMEM. */
int merge_pre_run(const struct merge_shard *s, size_t n, json_t *summary);

/* summary.json "certificates" of the merged run: each endpoint (endpoint,
 * host, port) once, as the first shard that checked it saw it; a shard that
 * saw another leaf certificate or result is listed in the entry's
 * "shards_disagree" [{shard, sha256, result}] and raises the warning
 * merge.certificates-differ. *out NULL when no shard checked any (new
 * reference otherwise). 0 or SYNTH_ENOMEM. */
int merge_certificates(const struct merge_shard *s, size_t n, json_t **out, struct verdict *v);

#endif
