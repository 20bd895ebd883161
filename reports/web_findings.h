/* Web service port probe results as findings (stable ids web-port-mismatch,
 * web-port-unidentified) and summary.json "web_ports" (issue #5). */
#ifndef SYNTH_REPORTS_WEB_FINDINGS_H
#define SYNTH_REPORTS_WEB_FINDINGS_H

#include "reports/verdict.h"
#include "synth/web/web_probe.h"

#include <jansson.h>
#include <stdio.h>

/* web-port-mismatch (critical): a URL that answers as the other site (two
 * URLs that answer each as the other's site are one finding: the bindings
 * are swapped), or that does not answer; web-port-unidentified (warning):
 * an answer that names no site. 0 or SYNTH_ENOMEM. */
int web_findings_add(struct verdict *v, const struct web_port_result *r, size_t n);

/* [{url, probed, site, seen, outcome, by, reason, status, ms}]; seen is
 * null when no site could be told. New reference; NULL on ENOMEM. */
json_t *web_findings_json(const struct web_port_result *r, size_t n);

/* One line per URL, for the terminal. */
void web_findings_print(FILE *f, const struct web_port_result *r, size_t n);

#endif
