/* Findings about the calls' media policy (issue #3): the port the server
 * answered media from against its configured range, and the DSCP marks of
 * what it sent against the modality's policy. Each with its evidence and
 * the fix an engineer would make. */
#ifndef SYNTH_REPORTS_MEDIA_FINDINGS_H
#define SYNTH_REPORTS_MEDIA_FINDINGS_H

#include "reports/verdict.h"
#include "synth/engine/run_stats.h"

/* Adds media-port-out-of-range and dscp-mismatch when they apply. */
int media_findings_evaluate(struct verdict *v, const struct run_stats *s);

#endif
