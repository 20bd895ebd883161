/* The embedded lab: a simulated Skype for Business deployment on loopback
 * (Front End registrar and proxy, Exchange UM voicemail) running on its own
 * thread and event loop. Later components (Edge, TURN relay, UCWA) plug in
 * beside the Front End and the UM in lab.c. */
#ifndef SYNTH_LAB_H
#define SYNTH_LAB_H

#include "synth/base/err.h"
#include "synth/lab/lab_config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lab;

/* Where the lab listens, with the ports the kernel gave when the
 * configuration asked for 0. */
struct lab_endpoints {
    char host[64];                          /* cfg->listen_host */
    uint16_t udp_port, tcp_port, tls_port;  /* Front End */
    uint16_t um_port;                       /* UM, TLS (server-to-server) */
    uint16_t edge_port;                     /* Edge access proxy, TLS (external users) */
    uint16_t ucwa_port;                     /* UCWA web service, HTTPS (the Front End's site) */
    uint16_t proxy_port;                    /* reverse proxy in front of it, HTTPS (clients use this) */
    /* The Front End's web sites as listed (a real one: internal 443/80,
     * external 4443/8080); with web_ports_swapped each is served by the other. */
    uint16_t web_internal_https, web_internal_http, web_external_https, web_external_http;
    uint16_t turn_udp_port, turn_tcp_port;  /* A/V Edge, TURN relay (the same port) */
};

/* A snapshot of the lab's counters (tests, the status line). */
struct lab_counters {
    uint64_t reg_ok;         /* REGISTERs answered 200 (unregisters included) */
    uint64_t reg_rejected;   /* REGISTERs refused: 403, 404, 503 (401 challenges are not counted) */
    uint64_t invites;        /* new INVITEs the UM received (retransmissions not counted) */
    uint64_t answered;       /* calls the UM answered with 200 */
    uint64_t byes;           /* BYE transactions completed at the UM, either direction */
    uint64_t dtmf_keys;      /* DTMF keys (RFC 4733) the UM received */
    int64_t active_dialogs;  /* UM calls answered and not yet ended */
    uint64_t edge_requests;  /* requests the Edge access proxy relayed, either way */
    uint64_t mras_granted;   /* MRAS (relay credentials) requests the Front End granted */
    uint64_t mras_refused;   /* ... and refused (the UM certificate's Subject CN) */
    uint64_t mras_user_granted; /* MRAS requests of users (clients) granted */
    uint64_t mras_user_refused; /* ... and refused (not registered there, mras_refuse_users) */
    uint64_t turn_allocations; /* TURN allocations made */
    int64_t turn_active;       /* TURN allocations now */
    uint64_t turn_to_peers;    /* packets relayed from clients to peers */
    uint64_t turn_from_peers;  /* packets relayed from peers to clients */
    uint64_t turn_dropped;     /* relayed packets the turn_drop_relayed knob dropped */
    uint64_t turn_released;    /* allocations their client ended (Refresh, LIFETIME 0) */
    uint64_t um_relay_candidates; /* UM answers with a relay candidate (MRAS credentials) */
    uint64_t um_ice_failed;    /* UM calls given up: no ICE pair within um_media_timeout */
    uint64_t turn_unreachable; /* relayed packets to or from the lab's inside network, dropped */
    uint64_t turn_redirected;  /* Allocates the pool's first Edge sent on (turn_pool_redirect) */
    uint64_t turn_pseudo_tls;  /* TCP connections opened with [MS-TURN]'s pseudo-TLS handshake */
};

/* The live counters; the components bump them on the lab thread, other
 * threads read them with lab_counters. */
struct lab_stats {
    atomic_uint_fast64_t reg_ok, reg_rejected, invites, answered, byes, dtmf_keys;
    atomic_int_fast64_t active_dialogs;
    atomic_uint_fast64_t edge_requests;
    atomic_uint_fast64_t mras_granted, mras_refused, mras_user_granted, mras_user_refused;
    atomic_uint_fast64_t turn_allocations, turn_to_peers, turn_from_peers, turn_dropped;
    atomic_uint_fast64_t turn_released, turn_unreachable, um_relay_candidates, um_ice_failed;
    atomic_uint_fast64_t turn_redirected, turn_pseudo_tls;
    atomic_int_fast64_t turn_active;
};

/* Knobs that are not in the lab YAML: protocol timers tests shorten, and
 * options of this release. Start from lab_options_defaults. */
struct lab_options {
    /* How long a Digest nonce stays fresh (RFC 7616 3.3 leaves it to the
     * server); past it the registrar answers 401 stale=true. */
    uint32_t nonce_lifetime_ms;
    /* The Front End challenges out-of-dialog INVITEs with 407 (RFC 3261
     * 22.3), as an SfB pool does for unauthenticated peers. Default off. */
    bool challenge_invites;
};

void lab_options_defaults(struct lab_options *o);

/* Generates the lab CA and the FE and UM certificates (names from cfg),
 * writes the CA as state_dir/ca.pem, binds the Front End (UDP, TCP, TLS on
 * cfg->listen_host, port 0 = ephemeral) and the UM (TLS), starts the lab
 * thread and returns once every listener is up and the FE has its mutual TLS
 * link to the UM. cfg is copied. Caller stops and frees with lab_stop. */
int lab_start(struct lab **out, const struct lab_config *cfg, const char *state_dir,
              struct synth_error *err);
/* The same with options (opts NULL = the defaults). */
int lab_start_opts(struct lab **out, const struct lab_config *cfg,
                   const struct lab_options *opts, const char *state_dir,
                   struct synth_error *err);

/* Stops the loop from any thread but the lab's, joins the thread, closes
 * every socket and frees the lab. NULL is ignored. */
void lab_stop(struct lab *lab);

void lab_endpoints(const struct lab *lab, struct lab_endpoints *out);
void lab_counters(const struct lab *lab, struct lab_counters *out);

/* The lab's copy of its configuration, and the paths it wrote. */
const struct lab_config *lab_get_config(const struct lab *lab);
const char *lab_state_dir(const struct lab *lab);
const char *lab_ca_file(const struct lab *lab); /* state_dir/ca.pem */
/* The Front End's certificate and key (borrowed, valid until lab_stop): the
 * client identity the UM's mutual TLS expects, for `synth check --lab`. */
void lab_fe_identity(const struct lab *lab, X509 **cert, EVP_PKEY **key);
/* The UM's FQDN: the name its peers expect (its first SAN, else its CN). */
const char *lab_um_name(const struct lab *lab);

/* For the components in synth/lab/ only. */

/* CLOCK_MONOTONIC in milliseconds: the one clock of every lab timer. */
uint64_t lab_now_ms(void);
/* The listen host as a SIP URI host: a wildcard becomes loopback (peers
 * cannot send to 0.0.0.0) and IPv6 gets its brackets (RFC 3261 25.1). */
void lab_uri_host(const struct lab_config *cfg, char *out, size_t size);

#endif
