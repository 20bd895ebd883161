/* `synth check`'s probe of the media relay (media.turn, the A/V Edge's
 * TURN): one Allocate over the target's transport and dialect, over TCP
 * after [MS-TURN]'s pseudo-TLS handshake when the target makes it, as a
 * call's would go. Any TURN answer (a 401 challenge included: with
 * credentials: mras the check has none) proves the relay reachable; an
 * allocation made is released at once. No answer within the deadline, a
 * refused connection, or an answer that is not TURN (over TCP 443: a
 * TLS-inspecting proxy or a web server answering the pseudo-TLS
 * ClientHello) is the finding turn-relay-unreachable (critical: media of
 * users outside, who need the relay, cannot flow). */
#ifndef SYNTH_CLI_RELAY_CHECK_H
#define SYNTH_CLI_RELAY_CHECK_H

#include "reports/verdict.h"
#include "synth/base/err.h"
#include "synth/config/target.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct event_base;
struct relay_check;

struct relay_check_result {
    char server[80];       /* host:port */
    const char *transport; /* "udp", "tcp" */
    const char *dialect;   /* "standard", "ms-turn" */
    bool pseudo_tls;
    bool reachable;        /* a TURN answer came */
    char outcome[32];      /* "allocated", turn_result_class's class, or "timeout" */
    double ms;             /* to the answer, or until it failed */
};

/* Whether the target names a relay the check can reach: media.turn with a
 * host (with credentials: mras and no host, MRAS names it at call time). */
bool relay_check_wanted(const struct target *t);
/* Starts the probe on base; it ends by itself within timeout_ms. */
int relay_check_start(struct relay_check **out, struct event_base *base, const struct target *t,
                      uint32_t timeout_ms, struct synth_error *err);
/* The outcome, once base's loop has returned. */
void relay_check_result(const struct relay_check *c, struct relay_check_result *r);
void relay_check_free(struct relay_check *c);

/* turn-relay-unreachable when it was not reachable. 0 or SYNTH_ENOMEM. */
int relay_check_findings(struct verdict *v, const struct relay_check_result *r);
/* summary.json "relay": {server, transport, dialect, pseudo_tls, reachable, outcome, ms}. */
json_t *relay_check_json(const struct relay_check_result *r);
/* One line for the terminal. */
void relay_check_print(FILE *f, const struct relay_check_result *r);

#endif
