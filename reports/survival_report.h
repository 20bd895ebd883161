/* Session survival in the results (issue #5): summary.json "survival" (per
 * session kind and probe, each interval with how many probes survived and
 * how the others died, and the estimated idle timeout) and the finding
 * proxy-idle-timeout-short with the field's recommendation. */
#ifndef SYNTH_REPORTS_SURVIVAL_REPORT_H
#define SYNTH_REPORTS_SURVIVAL_REPORT_H

#include "reports/verdict.h"
#include "synth/base/err.h"
#include "synth/engine/survival.h"

#include <jansson.h>

/* Shorter idle timeouts sign mobile users out: the field recommends at
 * least 1200 s on reverse proxies and firewalls, 1800 s preferred. */
#define SURVIVAL_RECOMMENDED_S 1200
#define SURVIVAL_PREFERRED_S 1800

/* [{session: "ucwa"|"sip-tls", probe: "pget"|"idle"|"keepalive"|"silent",
 * hop (sip-tls only), pongs (keepalive only: CRLF pongs received), intervals: [{idle_s, survived, probes,
 * survived_count, died_how}], estimated_timeout_s, uncertainty_s}], one
 * entry per probe kind and hop; null when nothing was probed. New
 * reference, NULL on ENOMEM. */
json_t *survival_json(const struct survival_log *l);

/* The inverse, for `synth merge`: appends to l the outcomes a "survival"
 * array (as survival_json wrote it; null or absent adds none) counts, per
 * interval its survivors and its deaths (each with the interval's
 * died_how), a keep-alive series' pongs on its first outcome. What the
 * array does not keep (how long each probe lasted) is 0. The estimate and
 * the findings then follow from l as from a run's own log. 0, SYNTH_ENOMEM,
 * or SYNTH_EPARSE naming the entry ("survival[1].intervals[0]: ..."). */
int survival_log_from_json(const json_t *a, struct survival_log *l, struct synth_error *err);

/* proxy-idle-timeout-short (warning) for each probe kind and hop whose
 * estimate is below SURVIVAL_RECOMMENDED_S; a SIP one names the hop. */
int survival_findings_evaluate(struct verdict *v, const struct survival_log *l);

#endif
