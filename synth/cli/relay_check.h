/* `synth check`'s judgement of the media relay probe
 * (synth/steps/relay_probe.h): the finding turn-relay-unreachable
 * (critical: media of users outside, who need the relay, cannot flow),
 * summary.json "relay" and the terminal line. */
#ifndef SYNTH_CLI_RELAY_CHECK_H
#define SYNTH_CLI_RELAY_CHECK_H

#include "reports/verdict.h"
#include "synth/steps/relay_probe.h"

#include <jansson.h>
#include <stdio.h>

/* turn-relay-unreachable when it was not reachable. 0 or SYNTH_ENOMEM. */
int relay_check_findings(struct verdict *v, const struct relay_probe_result *r);
/* summary.json "relay": {server, transport, dialect, pseudo_tls, reachable, outcome, ms}. */
json_t *relay_check_json(const struct relay_probe_result *r);
/* One line for the terminal. */
void relay_check_print(FILE *f, const struct relay_probe_result *r);

#endif
