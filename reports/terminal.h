/* The table `synth run` prints at the end, rendered from summary.json alone
 * so that `synth report` re-renders an old run the same way. */
#ifndef SYNTH_REPORTS_TERMINAL_H
#define SYNTH_REPORTS_TERMINAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Writes the summary as a table: the target first ("target: lab (embedded
 * lab)"), the verdict, calls, latency percentiles, steps, thresholds and
 * findings with their remedies. color adds ANSI colors (the caller decides:
 * a terminal, not NO_COLOR). Keys missing from an older summary are shown as
 * "-"; nothing here fails. */
void terminal_summary(FILE *out, const json_t *summary, bool color);

/* What `synth check` prints from its summary: the target and verdict, then
 * per endpoint the presented leaf and a row per rule (endpoint, rule,
 * result, what was found; the evidence under each rule that did not pass),
 * then the findings. */
void terminal_check_summary(FILE *out, const json_t *summary, bool color);

#endif
