/* summary.json as a JUnit XML report, the format CI servers (Jenkins, GitLab,
 * GitHub actions) and go-live checklists read: one suite named "synth", one
 * testcase per step aggregate, per threshold and per finding, failures
 * carrying the finding's summary, evidence and remedy. tests/junit.xsd is
 * the schema it is checked against (docs/reports.md, "JUnit"). */
#ifndef SYNTH_REPORTS_JUNIT_H
#define SYNTH_REPORTS_JUNIT_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* Testcases, by classname:
 *   synth.step       one per step in "steps"; failed when an attempt failed,
 *                    the step's findings ("<step>.<class>") in the body
 *   synth.threshold  one per threshold; failed at warning or critical,
 *                    skipped when it had no data
 *   synth.finding    one per finding not already a threshold's; failed at
 *                    warning or critical, an error when unknown (the
 *                    measurement itself is in doubt), passed when info
 * 0, SYNTH_ENOMEM, or SYNTH_EIO when out failed. */
int junit_write(FILE *out, const json_t *summary, struct synth_error *err);

/* s with XML's five special characters as entities, tab/LF/CR as character
 * references (kept in attributes) and the control characters XML 1.0 cannot
 * hold (section 2.2) as '?'. */
void junit_put_escaped(FILE *out, const char *s);

#endif
