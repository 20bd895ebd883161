/* summary.json as Prometheus metrics: the text exposition format 0.0.4
 * (# HELP / # TYPE, base units: seconds, ratios), for a textfile collector,
 * a pushgateway or `synth exporter`. The metric names are a contract with
 * dashboards and alerts (docs/reports.md, "Prometheus"): add, never rename. */
#ifndef SYNTH_REPORTS_PROMETHEUS_H
#define SYNTH_REPORTS_PROMETHEUS_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* The fixed `le` bounds of every synth histogram, in seconds (+Inf comes on
 * top): fixed so a series keeps its buckets from run to run, and spanning a
 * loopback REGISTER (~1 ms) to an idle-survival probe (an hour). */
#define PROM_LE_COUNT 20
extern const double prom_le_seconds[PROM_LE_COUNT];

/* Writes the metrics of summary. Sections whose keys are absent (an older
 * summary, no media, no "certificates") are left out. 0; SYNTH_EPARSE when a
 * histogram in "histograms" is corrupt (err says which); SYNTH_EIO when out
 * failed. */
int prometheus_write(FILE *out, const json_t *summary, struct synth_error *err);

#endif
