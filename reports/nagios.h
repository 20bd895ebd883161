/* summary.json as Nagios / Icinga plugin output (Monitoring Plugins
 * Development Guidelines, "Plugin Output" and "Performance data"): a first
 * line `SYNTH <STATUS> - <target>: <reason> | <perfdata>`, then one line per
 * finding that is not ok (long output). The exit code is the verdict's. */
#ifndef SYNTH_REPORTS_NAGIOS_H
#define SYNTH_REPORTS_NAGIOS_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* Perfdata: one 'label'=value[UOM];warn;crit;min;max per threshold (label:
 * the metric without its unit, "setup_ms.p95" -> 'setup_p95'; a
 * below-is-bad level as the range "W:"; "U" when it had no data), then
 * 'calls', 'calls_failed' and 'duration'. 0 or SYNTH_EIO. */
int nagios_write(FILE *out, const json_t *summary, struct synth_error *err);

/* `SYNTH UNKNOWN - <reason>` for when there is no summary to judge (bad
 * input, an unreadable results directory); the caller exits 3. */
void nagios_write_unknown(FILE *out, const char *reason);

#endif
