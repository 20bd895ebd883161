/* A TURN client (RFC 8656, RFC 5766) on a worker's libevent loop, over UDP
 * or TCP: one allocation with long-term credentials, its refreshes,
 * permissions and channels, data sent and received through the relay. It
 * never blocks; every request has a deadline (RFC 8489 6.2.1 over UDP, Ti
 * over TCP). */
#ifndef SYNTH_TURN_TURN_CLIENT_H
#define SYNTH_TURN_TURN_CLIENT_H

#include "synth/base/err.h"
#include "synth/turn/stun_msg.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct turn_client;

enum turn_transport {
    TURN_TRANSPORT_UDP,
    TURN_TRANSPORT_TCP,
};

/* Bounds. A synthetic user talks to one or two media peers (the UM, a
 * conference); 16 permissions/channels per allocation is plenty and keeps
 * the tables fixed-size. Requests in flight at once: an Allocate or
 * Refresh, a CreatePermission and a ChannelBind per peer. */
#define TURN_PEERS_MAX 16
#define TURN_TRANS_MAX 16
/* 438 answers to one request before giving up: a server that keeps calling
 * a fresh nonce stale is broken, and retrying forever would hide it. */
#define TURN_STALE_RETRIES 3
#define TURN_REASON_MAX 128

/* The wire the relay speaks: RFC 8656 (coturn, the lab by default) or
 * MS-TURN ([MS-TURN], Microsoft's A/V Edge). The same client runs both;
 * under MS-TURN a refresh is a new Allocate on the allocation, there is no
 * CreatePermission (sending to a peer installs it on the server), a
 * bound channel is the Set Active Destination, after which data to and
 * from that peer goes unframed, and Send carries the credentials. Over
 * TCP MS-TURN puts each message in a frame of [MS-TURN] 2.1 (a TURN
 * message, or data for the active destination). */
enum turn_dialect {
    TURN_DIALECT_STANDARD,
    TURN_DIALECT_MSTURN,
};

struct turn_client_opts {
    enum turn_transport transport;
    enum turn_dialect dialect;
    struct sockaddr_storage server;
    socklen_t server_len;
    const char *username; /* long-term credentials, copied */
    const char *password;
    const char *software; /* SOFTWARE of every request; NULL = none */
    /* RFC 8489 6.2.1: initial RTO (default 500 ms), Rc requests in all
     * (default 7) and the last wait of Rm * RTO (default 16). Over TCP the
     * deadline of a request is the same total (39.5 s by default, Ti). */
    uint32_t rto_ms;
    uint32_t rc;
    uint32_t rm;
    uint32_t connect_timeout_ms; /* TCP; default 5000 */
    /* TCP: open the connection with [MS-TURN]'s pseudo-TLS handshake
     * (synth/turn/pseudo_tls.h), as clients of an A/V Edge on TCP 443 do;
     * nothing else is sent before the server's answer. A server that
     * answers something else fails the client with SYNTH_ETLS. */
    bool pseudo_tls;
    uint32_t lifetime_s;         /* LIFETIME asked for; 0 = the server's default */
    /* AF_INET6 asks for an IPv6 relay (REQUESTED-ADDRESS-FAMILY, RFC 8656
     * 7.1); 0 or AF_INET leaves the server's default, IPv4, whatever the
     * family of the connection to the server. */
    int relay_family;
    /* Refresh intervals of permissions (they last 300 s, RFC 8656 9) and
     * channels (600 s, RFC 8656 12); defaults 240 s and 540 s. */
    uint32_t permission_refresh_ms;
    uint32_t channel_refresh_ms;
};

/* The outcome of a request. err != 0 when no answer came (SYNTH_ETIMEDOUT,
 * a transport error, a response that failed integrity: nothing to
 * classify); otherwise code is 0 on success or the server's STUN error code
 * with its reason (401 after credentials were sent means they were refused;
 * 486, 508, 437, 403 ... as the server said). */
struct turn_result {
    uint16_t code;
    char reason[TURN_REASON_MAX];
};

/* The allocation, valid from the allocated handler on. */
struct turn_alloc_info {
    struct sockaddr_storage relayed; /* XOR-RELAYED-ADDRESS */
    socklen_t relayed_len;
    struct sockaddr_storage mapped;  /* XOR-MAPPED-ADDRESS: our server-reflexive address */
    socklen_t mapped_len;
    uint32_t lifetime_s;
    int64_t allocate_us; /* first Allocate sent to its success, 401 round included */
    unsigned requests;   /* Allocate requests sent, retransmissions included */
};

/* Packets through the relay, by framing: what a test checks to know which
 * path carried the data, and what a report counts. */
struct turn_client_stats {
    uint64_t tx_indication, tx_channel;
    uint64_t rx_indication, rx_channel;
    uint64_t rx_dropped; /* from the server but unreadable or for no known channel */
    uint64_t stale_nonces;     /* 438 answers retried with the new nonce */
    uint64_t mismatch_retries; /* 437 answers to an Allocate retried from a new port */
    uint64_t redirects;        /* Allocates sent on to an ALTERNATE-SERVER (300; MS-TURN 401) */
};

/* The server the client talks to now: the configured one, or where a
 * redirect sent it. */
const struct sockaddr_storage *turn_client_server(const struct turn_client *tc);

typedef void(turn_done_h)(int err, const struct turn_result *res, void *arg);
/* rx_us: when the datagram reached our socket, on clock_mono_us()'s clock:
 * the kernel's receive stamp over UDP (however late it was read), the read
 * time over TCP or without stamps. */
typedef void(turn_data_h)(const struct sockaddr_storage *peer, const uint8_t *data, size_t len,
                          int64_t rx_us, void *arg);

struct turn_client_handlers {
    /* The Allocate finished: info is NULL unless err == 0 && res->code == 0. */
    void (*allocated)(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                      void *arg);
    /* Data from a peer, by Data indication or ChannelData. */
    turn_data_h *data;
    /* The allocation was lost after it succeeded: an automatic refresh was
     * refused or timed out, or the TCP connection closed. */
    turn_done_h *failed;
};

/* Creates the client and opens its socket (UDP connected to the server, or
 * a TCP connect in progress). Handlers may free the client (turn_client_free)
 * from inside; the client never touches itself after such a call. */
int turn_client_new(struct turn_client **out, struct event_base *base,
                    const struct turn_client_opts *o, const struct turn_client_handlers *h,
                    void *arg, struct synth_error *err);
/* Silently drops the allocation (no Refresh 0: see turn_client_release). */
void turn_client_free(struct turn_client *tc);
/* Ends the allocation as a client leaving should (RFC 8656 7.2: a Refresh
 * with LIFETIME 0, sent once, its answer not awaited), then frees the
 * client. Without it every call would hold a relayed port on the server
 * until the lifetime runs out. NULL is ignored. */
void turn_client_close(struct turn_client *tc);

/* Starts the Allocate: unauthenticated, then with the realm and nonce of the
 * 401; a 438 is retried with its new nonce, a 437 from a new local port (up to 3 times)
 * (RFC 8656 7.4). The answer goes to allocated. */
int turn_client_allocate(struct turn_client *tc);

/* CreatePermission for peer's IP (the port is ignored, RFC 8656 9), kept
 * refreshed; h gets the first answer (NULL: none wanted). MS-TURN has no
 * such request: the peer is noted and h is called at once, from inside. */
int turn_client_permit(struct turn_client *tc, const struct sockaddr *peer, turn_done_h *h,
                       void *arg);
/* ChannelBind of a new channel number to peer, kept refreshed; once bound,
 * turn_client_send uses ChannelData to it. */
int turn_client_bind_channel(struct turn_client *tc, const struct sockaddr *peer,
                             uint16_t *channel, turn_done_h *h, void *arg);
/* Refresh now with the configured lifetime. */
int turn_client_refresh(struct turn_client *tc, turn_done_h *h, void *arg);
/* Refresh with LIFETIME 0: the server frees the relay. */
int turn_client_release(struct turn_client *tc, turn_done_h *h, void *arg);

/* Sends data to peer through the relay: ChannelData if a channel to it is
 * bound, a Send indication otherwise (the peer needs a permission). Best
 * effort, like the UDP it stands for. */
int turn_client_send(struct turn_client *tc, const struct sockaddr *peer, const uint8_t *data,
                     size_t len);

/* Reading on the owner's clock (a media stream's, through ice_stream):
 * relayed media is one datagram per period, and waking the loop for each
 * cost more than reading it. True when the client can be read so: over
 * UDP, its socket stamping what it receives, so late reads keep exact
 * arrival times. */
bool turn_client_pollable(const struct turn_client *tc);
/* Reads what the socket holds now and runs the handlers, as its wake-up
 * would; they may free the client (and their owner). From the first call
 * the socket is no longer read on its own wake-ups: the owner polls at
 * least once per period until turn_client_poll_end. Does nothing when not
 * pollable, or from inside the client's own handlers. */
void turn_client_poll(struct turn_client *tc);
/* The owner stops polling (its stream stopped; the allocation may live
 * on): the socket is read on its wake-ups again. Runs no handler. */
void turn_client_poll_end(struct turn_client *tc);

const struct turn_alloc_info *turn_client_info(const struct turn_client *tc);
const struct turn_client_stats *turn_client_stats(const struct turn_client *tc);

/* What a caller reports a failed request as: "auth-refused" (401 after
 * credentials, 441), "stale-nonce", "allocation-quota" (486),
 * "insufficient-capacity" (508), "allocation-mismatch" (437), "forbidden"
 * (403), "unsupported-transport" (442), "address-family" (440, 443),
 * "server-error" (5xx), "refused"
 * (another code), "timeout", "transport", "protocol"; "ok" for success. */
const char *turn_result_class(int err, const struct turn_result *res);

#endif
