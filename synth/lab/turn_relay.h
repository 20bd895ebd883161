/* The lab's A/V Edge: a TURN relay server (RFC 8656, RFC 5766) on the lab's
 * loop, over UDP and TCP on one port, with the long-term credential
 * mechanism (RFC 8489 9.2), one relayed UDP socket per allocation in a port
 * range, permissions, channels, Send/Data indications and ChannelData. */
#ifndef SYNTH_LAB_TURN_RELAY_H
#define SYNTH_LAB_TURN_RELAY_H

#include "synth/base/err.h"
#include "synth/lab/lab.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct turn_relay;

struct turn_relay_opts {
    const struct lab_config *cfg; /* listen_host, turn_* keys, faults; kept, not copied */
    struct lab_stats *stats;
    uint32_t nonce_lifetime_ms;   /* past it a NONCE gets 438 */
    uint32_t lifetime_default_s;  /* an allocation's; 0 = RFC 8656's 600 s (tests shorten it) */
    /* Whether addr lies on the deployment's inside network. A relayed
     * address is on the Edge's external side, which cannot route to the
     * inside: packets between the two are dropped, so an internal server
     * reaches an Edge user only relay to relay, with relay credentials of
     * its own (MRAS). NULL: every peer is reachable. */
    bool (*inside)(const struct sockaddr_storage *addr, void *arg);
    void *inside_arg;
};

/* Binds UDP and TCP on cfg->listen_host:cfg->turn_port (0: one ephemeral
 * port free on both) and adds cfg's static credential (turn_user,
 * turn_password in turn_realm) if turn_user is set. Free with
 * turn_relay_free. */
int turn_relay_start(struct turn_relay **out, struct event_base *base,
                     const struct turn_relay_opts *o, struct synth_error *err);
/* Closes every allocation, connection and socket. NULL is ignored. */
void turn_relay_free(struct turn_relay *r);

/* The listening port (UDP and TCP share it). */
uint16_t turn_relay_port(const struct turn_relay *r);

/* Where clients reach the relay: its address (a wildcard listen address
 * becomes loopback) and port, as its MS-TURN 401 names it. */
void turn_relay_address(const struct turn_relay *r, struct sockaddr_storage *out,
                        socklen_t *out_len);

/* Time-limited credentials, as MRAS hands them out ([MS-AVEDGEA]): user and
 * password valid for lifetime_s seconds (0: until removed) in the relay's
 * realm. Adding a user again replaces its password and lifetime; existing
 * allocations keep the key they were made with. Safe from any thread (MRAS
 * runs on the Front End's). 0,
 * SYNTH_EINVAL (empty or too long), SYNTH_ETOOBIG (table full). */
int turn_relay_add_credential(struct turn_relay *r, const char *user, const char *password,
                              uint32_t lifetime_s);
/* 0, or SYNTH_ENOTFOUND. */
int turn_relay_remove_credential(struct turn_relay *r, const char *user);

#endif
