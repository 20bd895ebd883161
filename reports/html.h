/* The HTML report: one self-contained page that opens offline. The verdict,
 * the target and the findings first, then charts (Chart.js from Debian's
 * libjs-chart.js, inlined; data inlined as JSON) and sortable tables
 * (docs/reports.md, "HTML"). */
#ifndef SYNTH_REPORTS_HTML_H
#define SYNTH_REPORTS_HTML_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Where Debian's libjs-chart.js puts Chart.js; SYNTH_CHARTJS overrides it. */
#define HTML_CHARTJS_PATH "/usr/share/javascript/chart.js/chart.min.js"

struct html_events;

struct html_inputs {
    /* The results directory: its events.jsonl is read for the time series,
     * the media distributions and the worst calls, and the links to
     * traces/ and audio/ are relative to it. NULL: the summary alone. */
    const char *dir;
    /* Chart.js to inline. NULL: $SYNTH_CHARTJS, else HTML_CHARTJS_PATH.
     * Unreadable: the page says charts are unavailable, tables still show. */
    const char *chartjs;
    size_t worst_n; /* rows per worst-calls table; 0: HTML_WORST_MAX */
};

/* Writes the page. 0; SYNTH_EIO / SYNTH_EPARSE from reading
 * DIR/events.jsonl (a missing one is no error: no per-call sections);
 * SYNTH_ENOMEM. */
int html_write(FILE *out, const json_t *summary, const struct html_inputs *in,
               struct synth_error *err);

/* html_write with the directory alone: the report_format entry. */
int html_write_dir(FILE *out, const json_t *summary, const char *dir, struct synth_error *err);

#endif
