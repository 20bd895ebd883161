/* A summary rebuilt from events.jsonl alone, for a run killed before it
 * wrote summary.json (SIGKILL, a crash, the machine lost): the statistics,
 * failures and findings it measured, with a "run.killed" finding saying
 * what could not be judged. */
#ifndef SYNTH_REPORTS_SUMMARY_REBUILD_H
#define SYNTH_REPORTS_SUMMARY_REBUILD_H

#include "reports/events_read.h"
#include "synth/base/err.h"

#include <jansson.h>
#include <stdbool.h>

/* Reads events_path (twice: the run's start first) and builds a summary as
 * summary_build does. The thresholds are not judged (the scenario is not in
 * the results directory), so the verdict is at least unknown; the target is
 * named by the users' SIP domain; lab says whether it was the embedded lab.
 * *out is a new reference; *res what the read found (a cut last line).
 * 0, SYNTH_EPARSE ("path:line: key: what"), SYNTH_EIO, SYNTH_ENOMEM. */
int summary_rebuild(const char *events_path, bool lab, json_t **out,
                    struct events_read_result *res, struct synth_error *err);

#endif
