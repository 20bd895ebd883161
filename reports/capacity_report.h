/* A capacity test in the results: summary.json "capacity" (the profile, each
 * stage or step with its target and achieved rate, calls, failures, setup
 * times and whether it held, the last step that held and the first that
 * broke, whether the generator was the bottleneck, an early stop) and the
 * findings capacity.limit, capacity.not-reached, capacity.first-step-broke,
 * run.aborted. */
#ifndef SYNTH_REPORTS_CAPACITY_REPORT_H
#define SYNTH_REPORTS_CAPACITY_REPORT_H

#include "reports/verdict.h"
#include "synth/engine/capacity.h"
#include "synth/engine/generator_watch.h"

#include <jansson.h>
#include <stdbool.h>

/* New reference; NULL on ENOMEM. g may be NULL (no generator evidence). */
json_t *capacity_json(const struct capacity *c, const struct generator_report *g,
                      bool generator_bound);

/* The findings of the capacity record. For step-until the scenario's
 * thresholds judge each step (summary.json capacity.steps): their run-wide
 * findings and the partial failures the breaking step brought are kept at
 * the level ok, and the step search gives the verdict. 0 or SYNTH_ENOMEM. */
int capacity_findings_evaluate(struct verdict *v, const struct capacity *c);

#endif
