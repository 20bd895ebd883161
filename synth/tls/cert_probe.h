/* A TLS probe of one endpoint for the certificate check: connects, sends the
 * expected name as SNI (RFC 6066 3), completes a handshake that accepts
 * whatever the server presents (OpenSSL security level 0, every protocol
 * version OpenSSL allows, verification recorded but never fatal) and keeps
 * the presented chain. Presents a client certificate when one is given and
 * the server asks (RFC 8446 4.3.2; SfB servers do mutual TLS). */
#ifndef SYNTH_TLS_CERT_PROBE_H
#define SYNTH_TLS_CERT_PROBE_H

#include "synth/base/err.h"
#include "synth/tls/cert_check.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Default deadline of a whole probe (connect + handshake). */
#define CERT_PROBE_TIMEOUT_MS 5000
/* A name for messages ("um 127.0.0.1:5065") or a server name, with NUL. */
#define CERT_PROBE_PEER_MAX 300

struct cert_probe_opts {
    const char *server_name;   /* SNI (not sent for an IP literal); required */
    const char *peer;          /* how errors name the peer, e.g. "um 127.0.0.1:5065" */
    uint32_t timeout_ms;       /* 0: CERT_PROBE_TIMEOUT_MS */
    const char *client_cert;   /* PEM files for mutual TLS, optional */
    const char *client_key;
    X509 *client_x509;         /* or in memory (the lab's) */
    EVP_PKEY *client_pkey;
};

struct cert_probe {
    struct cert_chain chain;      /* as presented, leaf first; owned */
    bool tcp_connected;           /* a failure after this is the TLS layer's */
    char protocol[16];            /* "TLSv1.3" */
    char cipher[64];
    bool client_cert_requested;   /* the server sent a CertificateRequest */
    bool client_cert_sent;
    long handshake_verify;        /* X509_V_* the handshake saw (no trust store: informative) */
    char after_handshake[160];    /* an alert right after the handshake ("" = none), e.g.
                                   * the server refusing our client certificate (TLS 1.3) */
};

struct cert_probe_conn;
struct event_base;

/* Called once when a probe ends: err 0 or, with the peer named in detail,
 * SYNTH_ECONNREFUSED, SYNTH_ETIMEDOUT (connect or handshake), SYNTH_EIO
 * (other socket errors), SYNTH_ETLS (the handshake failed; when the server's
 * certificate arrived first, result->chain holds it all the same). The probe
 * is gone when this runs. */
typedef void(cert_probe_done_h)(int err, const struct synth_error *detail,
                                struct cert_probe *result, void *arg);

/* Starts probing addr on base: never blocks; every wait is under
 * o->timeout_ms. result (the caller's, filled as the probe goes; free it with
 * cert_probe_free) must outlive the probe. Errors here are set-up failures
 * (bad options, no memory, no socket); every outcome of the connection comes
 * through done, from the loop. */
int cert_probe_start(struct cert_probe_conn **out, struct event_base *base,
                     const struct sockaddr *addr, socklen_t addr_len,
                     const struct cert_probe_opts *o, struct cert_probe *result,
                     cert_probe_done_h *done, void *arg, struct synth_error *err);

/* Stops a probe whose done has not run; done will not run. */
void cert_probe_cancel(struct cert_probe_conn *c);

/* The same on a loop of its own, returning the outcome: blocking (up to
 * o->timeout_ms plus a moment), for a command line, not for a worker. */
int cert_probe_run(const struct sockaddr *addr, socklen_t addr_len,
                   const struct cert_probe_opts *o, struct cert_probe *out,
                   struct synth_error *err);

void cert_probe_free(struct cert_probe *p);

#endif
