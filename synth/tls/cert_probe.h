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

/* Probes addr. Blocking, bounded by o->timeout_ms with poll() deadlines: for
 * the CLI's `synth check`, never on a worker's loop. Errors, with the peer
 * named in err: SYNTH_ECONNREFUSED, SYNTH_ETIMEDOUT (connect or handshake),
 * SYNTH_EIO (other socket errors), SYNTH_ETLS (the handshake failed; when the
 * server's certificate arrived first, out->chain holds it all the same).
 * Free out with cert_probe_free after success or failure. */
int cert_probe_run(const struct sockaddr *addr, socklen_t addr_len,
                   const struct cert_probe_opts *o, struct cert_probe *out,
                   struct synth_error *err);

void cert_probe_free(struct cert_probe *p);

#endif
