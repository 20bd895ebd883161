/* A probe of the media relay (media.turn, the A/V Edge's TURN), for `synth
 * check` and the check step: one Allocate over the target's transport and
 * dialect, over TCP after [MS-TURN]'s pseudo-TLS handshake when the target
 * makes it, with the options a call's allocation has. Any TURN answer (a
 * 401 challenge included: with credentials: mras the probe has none)
 * proves the relay reachable; an allocation made is released at once.
 * No answer within the deadline, a refused connection, or an answer that
 * is not TURN (over TCP 443: a TLS-inspecting proxy or a web server
 * answering the pseudo-TLS ClientHello) leaves it unreachable. */
#ifndef SYNTH_STEPS_RELAY_PROBE_H
#define SYNTH_STEPS_RELAY_PROBE_H

#include "synth/base/err.h"
#include "synth/config/target.h"

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct relay_probe;

struct relay_probe_result {
    char server[80];       /* host:port */
    const char *transport; /* "udp", "tcp" */
    const char *dialect;   /* "standard", "ms-turn" */
    bool pseudo_tls;
    bool reachable;        /* a TURN answer came */
    char outcome[32];      /* "allocated", turn_result_class's class, or "timeout" */
    double ms;             /* to the answer, or until it failed */
};

/* Called once, from the loop, when the probe has ended. */
typedef void(relay_probe_done_h)(struct relay_probe *p, void *arg);

/* Whether the target names a relay to probe: media.turn with a host (with
 * credentials: mras and no host, MRAS names it at call time). */
bool relay_probe_wanted(const struct target *t);
/* Starts the probe on base; it ends by itself within timeout_ms and then
 * calls done (NULL: none; the loop runs dry). A set-up failure is an
 * outcome too ("transport"), not an error. */
int relay_probe_start(struct relay_probe **out, struct event_base *base, const struct target *t,
                      uint32_t timeout_ms, relay_probe_done_h *done, void *arg,
                      struct synth_error *err);
/* The outcome: valid once done was called (or base's loop returned). */
void relay_probe_result(const struct relay_probe *p, struct relay_probe_result *r);
/* "relay 192.0.2.20:443 over tcp (ms-turn, pseudo-TLS): timeout after 5000 ms" */
void relay_probe_describe(const struct relay_probe_result *r, char *out, size_t size);
/* Stops a probe still running (its done is not called) and frees it. */
void relay_probe_free(struct relay_probe *p);

#endif
