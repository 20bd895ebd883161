/* The lab's Exchange Unified Messaging server: a voicemail user agent server
 * (RFC 3261 13.3, 15) behind its own mutual-TLS listener, with the fault
 * knobs of lab_config (answer delay, never answer, hang up after). */
#ifndef SYNTH_LAB_UM_H
#define SYNTH_LAB_UM_H

#include "synth/base/err.h"
#include "synth/lab/lab.h"
#include "synth/lab/lab_config.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;

struct um;

struct um_opts {
    const struct lab_config *cfg; /* borrowed for the UM's lifetime */
    struct lab_stats *stats;
    SSL_CTX *server_ctx;          /* UM certificate; asks for the peer's, verified by the lab CA */
    const char *fqdn;             /* the UM's name, for its Contact */
    const char *peer_name;        /* the only server allowed in: the FE's certificate name */
};

/* Binds the TLS listener on cfg->listen_host:cfg->um_port (0 = ephemeral).
 * Call on the thread that runs base; free with um_free on it, after the
 * loop has stopped. */
int um_start(struct um **out, struct event_base *base, const struct um_opts *o,
             struct synth_error *err);

uint16_t um_port(const struct um *um);

/* Whether a is one of the UM's media addresses (turn_relay_opts.inside). */
bool um_owns_media_address(const struct um *um, const struct sockaddr_storage *a);

/* Calls in the UM's table (ringing, answered, hanging up). */
size_t um_call_count(const struct um *um);

void um_free(struct um *um);

#endif
