/* A summary rebuilt from events.jsonl alone, for a run killed before it
 * wrote summary.json (SIGKILL, a crash, the machine lost): the statistics,
 * failures and findings it measured, with a "run.killed" finding saying
 * what could not be judged. */
#ifndef SYNTH_REPORTS_SUMMARY_REBUILD_H
#define SYNTH_REPORTS_SUMMARY_REBUILD_H

#include "reports/events_read.h"
#include "synth/base/err.h"
#include "synth/engine/run_stats.h"

#include <jansson.h>
#include <stdbool.h>

/* The users' SIP domain, the best name of the target events.jsonl keeps. */
#define REBUILD_TARGET_MAX 256

/* events.jsonl read back into statistics: what summary_rebuild and synth
 * merge build their summaries from. */
struct rebuild_result {
    struct run_stats stats;  /* run_stats_init'ed by the caller, freed by it */
    /* Optional, ACCESS_PATH_COUNT of them indexed by the events' "via"
     * (init'ed and freed by the caller): the same counts per access path,
     * as a run keeps them for summary.json "paths". NULL: not wanted. */
    struct run_stats *paths;
    int64_t start_ms;        /* in: the run's wall-clock start, or -1 for the earliest
                              * intended start in the file; out: the one used */
    char target[REBUILD_TARGET_MAX]; /* out: the users' SIP domain, "" if none */
    struct events_read_result read;
};

/* Reads events_path twice (the start first, unless given) and counts every
 * event into out->stats, times relative to out->start_ms: journeys start
 * at step 0 and complete at the highest step index seen. Errors as
 * summary_rebuild's. */
int summary_rebuild_stats(const char *events_path, struct rebuild_result *out,
                          struct synth_error *err);

/* Reads events_path (twice: the run's start first) and builds a summary as
 * summary_build does. The thresholds are not judged (the scenario is not in
 * the results directory), so the verdict is at least unknown; the target is
 * named by the users' SIP domain; lab says whether it was the embedded lab.
 * *out is a new reference; *res what the read found (a cut last line).
 * 0, SYNTH_EPARSE ("path:line: key: what"), SYNTH_EIO, SYNTH_ENOMEM. */
int summary_rebuild(const char *events_path, bool lab, json_t **out,
                    struct events_read_result *res, struct synth_error *err);

#endif
