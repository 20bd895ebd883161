/* Typed, forgiving reads of a summary.json tree for the report writers: a key
 * missing from an older (or hand-edited) summary reads as absent, never as a
 * crash, so one writer serves every schema-1 document (docs/results.md). */
#ifndef SYNTH_REPORTS_SUMMARY_VIEW_H
#define SYNTH_REPORTS_SUMMARY_VIEW_H

#include <jansson.h>
#include <stdbool.h>

/* The string member key of o, or dflt when o is not an object or the member
 * is absent or not a string. */
const char *sview_str(const json_t *o, const char *key, const char *dflt);

/* The finite number member key of o into *v; false (and *v untouched) when
 * absent, null or not a number. */
bool sview_num(const json_t *o, const char *key, double *v);

/* The summary's exit code (Nagios: 0 ok, 1 warning, 2 critical, 3 unknown),
 * from "verdict" (the name is the contract; "exit_code" only when the name is
 * unreadable). 3 when neither says. */
int sview_exit_code(const json_t *summary);

#endif
