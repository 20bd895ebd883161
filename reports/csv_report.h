/* summary.json "timeline" as CSV, one row per second of the run (like
 * SIPp's -trace_stat file), for spreadsheet users: RFC 4180 (CRLF, quoted
 * fields). Columns are documented in docs/reports.md, "CSV". */
#ifndef SYNTH_REPORTS_CSV_REPORT_H
#define SYNTH_REPORTS_CSV_REPORT_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* Header, then a row per timeline entry: elapsed_s, time (UTC, ISO 8601),
 * journeys_started, arrivals_skipped, calls, calls_answered, steps_ok,
 * steps_failed, setup_p95_ms (empty when no call was answered that second),
 * then calls_cumulative, calls_answered_cumulative, steps_failed_cumulative.
 * A summary without a timeline gives the header alone. 0 or SYNTH_EIO. */
int csv_report_write(FILE *out, const json_t *summary, struct synth_error *err);

/* One field per RFC 4180 section 2: quoted (quotes doubled) when it holds a
 * comma, a double quote, CR or LF, as is otherwise. */
void csv_report_field(FILE *out, const char *s);

#endif
