/* TLS contexts (OpenSSL 3) for synth's clients and the lab's servers, the
 * per-connection name checks of RFC 6125 / RFC 6066 3 (SNI), and a readable
 * account of why a peer certificate was refused. */
#ifndef SYNTH_TLS_CTX_H
#define SYNTH_TLS_CTX_H

#include "synth/base/err.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdbool.h>
#include <stddef.h>

/* Number of server names whose last session a resuming client context keeps. */
#define TLS_SESSION_CACHE_MAX 64
/* A DNS name (RFC 1035 2.3.4) or an IPv6 literal, plus NUL. */
#define TLS_SERVER_NAME_MAX 254
/* Enough for tls_describe_verify_error with a few SANs. */
#define TLS_DESCRIBE_MAX 512

struct tls_client_opts {
    const char *ca_file;     /* PEM bundle; NULL or "" = the system store (unless ca_cert) */
    X509 *ca_cert;           /* alternative: trust this in-memory CA (the lab's) */
    const char *client_cert; /* PEM files, optional (mutual TLS) */
    const char *client_key;
    X509 *client_x509;       /* in-memory alternative to the files */
    EVP_PKEY *client_pkey;
    bool verify;             /* default true: check the chain and the server name */
    bool resume_sessions;    /* default false: every synthetic user is a separate client */
};

/* Fills the defaults (verify on, resumption off). A zeroed struct means
 * verify == false, so start from this. */
void tls_client_opts_defaults(struct tls_client_opts *o);

/* Client context: TLS 1.2 and 1.3, OpenSSL's default ciphers, peer
 * verification (SSL_VERIFY_PEER) unless o->verify is false. With
 * o->resume_sessions, the last session per server name is kept and offered by
 * tls_conn_prepare (TLS 1.3 tickets are used once, RFC 8446 C.4); OpenSSL
 * will not resume a connection that ended without SSL_shutdown. o may be
 * NULL for the defaults. Errors name the file ("ca.pem: no certificates
 * found"). Caller frees *out with SSL_CTX_free. */
int tls_ctx_client_new(SSL_CTX **out, const struct tls_client_opts *o,
                       struct synth_error *err);

/* Per-connection setup before the handshake on an SSL made from a
 * tls_ctx_client_new context: SNI = server_name (not for an IP literal,
 * RFC 6066 3), and, when the context verifies, the name the certificate must
 * match: a DNS name via SSL_set1_host (no partial wildcards), an IP literal
 * via its iPAddress SAN. One trailing dot is ignored. */
int tls_conn_prepare(SSL *ssl, const char *server_name, struct synth_error *err);

/* Server context from an in-memory certificate and key (the lab). chain_ca,
 * when not NULL, is the trust anchor for client certificates. With
 * request_client_cert, a certificate is asked for but not required; when one is
 * sent it must verify against chain_ca if given, and is accepted as is (the
 * result stays in SSL_get_verify_result) if not. TLS 1.2 and 1.3. Caller frees
 * *out with SSL_CTX_free. */
int tls_ctx_server_new(SSL_CTX **out, X509 *cert, EVP_PKEY *key, X509 *chain_ca,
                       bool request_client_cert, struct synth_error *err);

/* The same from PEM files; cert_file may hold the chain after the leaf;
 * ca_file (optional) as chain_ca above. */
int tls_ctx_server_new_files(SSL_CTX **out, const char *cert_file, const char *key_file,
                             const char *ca_file, bool request_client_cert,
                             struct synth_error *err);

/* Adds every certificate of a PEM bundle to store (at most 4096); errors name
 * the file and the certificate ("ca.pem: certificate 2: ..."), and a file
 * with none is an error. */
int tls_store_add_ca_file(X509_STORE *store, const char *path, struct synth_error *err);

/* Explains the verification result of ssl for error messages and findings,
 * e.g. "certificate verify failed: hostname mismatch (expected
 * sip.contoso.com; certificate CN=um01, SAN: DNS:um01.contoso.com)".
 * Always NUL-terminates out (size > 0); truncates to fit. */
void tls_describe_verify_error(SSL *ssl, char *out, size_t size);

/* Like synth_error_set, then appends ": " and the oldest queued OpenSSL error
 * (ERR_error_string_n) when there is one, and clears this thread's queue so a
 * stale error cannot be blamed on a later call. Returns code. */
int tls_error_set(struct synth_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
