/* The certificate check's TLS probe: a client that takes any certificate
 * (security level 0, verification recorded, not enforced) so that what a
 * strict client would refuse can still be inspected; bounded by poll()
 * deadlines. RFC 8446 4.3.2 and 4.4.2 for CertificateRequest and chains. */
#include "cert_probe.h"

#include "synth/base/clock.h"
#include "synth/tls/tls_ctx.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How long to listen, after a TLS 1.3 handshake where a client certificate
 * was asked for, for the server's verdict on it: a TLS 1.3 server sends
 * its "certificate required" or "unknown ca" alert after our Finished. */
#define CERT_PROBE_ALERT_WAIT_MS 200

/* Per-connection state the OpenSSL callbacks write into. */
struct probe_conn {
    struct cert_probe *out;
};

/* An OpenSSL ex_data index is a process-wide registration, made once. */
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_idx = -1;

static void ex_register(void)
{
    ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int ex_index(void)
{
    pthread_once(&ex_once, ex_register);
    return ex_idx;
}

/* Keeps the first verification error and lets the handshake go on: the
 * check judges the chain itself, against its own trust store. */
static int verify_record(int preverify_ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct probe_conn *pc = ssl ? SSL_get_ex_data(ssl, ex_index()) : NULL;

    if (!preverify_ok && pc && pc->out->handshake_verify == X509_V_OK)
        pc->out->handshake_verify = X509_STORE_CTX_get_error(x);
    return 1;
}

/* Called by OpenSSL only when the server asks for a client certificate. */
static int cert_requested(SSL *ssl, void *arg)
{
    struct probe_conn *pc = SSL_get_ex_data(ssl, ex_index());

    if (pc) {
        pc->out->client_cert_requested = true;
        pc->out->client_cert_sent = SSL_get_certificate(ssl) != NULL;
    }
    return 1;
}

static int make_ctx(SSL_CTX **out, const struct cert_probe_opts *o, struct synth_error *err)
{
    struct tls_client_opts co;
    int rc;

    tls_client_opts_defaults(&co);
    co.verify = false;
    co.client_cert = o->client_cert;
    co.client_key = o->client_key;
    co.client_x509 = o->client_x509;
    co.client_pkey = o->client_pkey;
    rc = tls_ctx_client_new(out, &co, err);
    if (rc)
        return rc;
    /* Level 0 and the lowest version this OpenSSL offers: a server with an
     * RSA-1024 or SHA-1 certificate, or one speaking only TLS 1.0, must
     * still show what it presents. */
    SSL_CTX_set_security_level(*out, 0);
    if (!SSL_CTX_set_min_proto_version(*out, 0) ||
        !SSL_CTX_set_cipher_list(*out, "ALL:@SECLEVEL=0")) {
        SSL_CTX_free(*out);
        *out = NULL;
        return tls_error_set(err, SYNTH_ETLS, "setting up the probe's TLS context");
    }
    SSL_CTX_set_options(*out, SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_verify(*out, SSL_VERIFY_PEER, verify_record);
    SSL_CTX_set_cert_cb(*out, cert_requested, NULL);
    return 0;
}

/* Waits until fd is ready for events or the deadline (CLOCK_MONOTONIC µs). */
static int wait_fd(int fd, short events, int64_t deadline_us)
{
    for (;;) {
        int64_t left = deadline_us - clock_mono_us();
        if (left <= 0)
            return SYNTH_ETIMEDOUT;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)((left + 999) / 1000));
        if (n > 0)
            return 0;
        if (n == 0)
            return SYNTH_ETIMEDOUT;
        if (errno != EINTR)
            return SYNTH_EIO;
    }
}

static int tcp_connect(int *fd_out, const struct sockaddr *addr, socklen_t len,
                       const struct cert_probe_opts *o, int64_t deadline_us,
                       struct synth_error *err)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int soerr = 0, rc;
    socklen_t sl = sizeof(soerr);

    *fd_out = -1;
    if (fd < 0)
        return synth_error_set(err, SYNTH_EIO, "%s: socket: %s", o->peer, strerror(errno));
    if (connect(fd, addr, len) != 0) {
        if (errno != EINPROGRESS) {
            soerr = errno;
            goto failed;
        }
        rc = wait_fd(fd, POLLOUT, deadline_us);
        if (rc == SYNTH_ETIMEDOUT) {
            close(fd);
            return synth_error_set(err, SYNTH_ETIMEDOUT, "%s: no TCP connection within %u ms",
                                   o->peer, o->timeout_ms);
        }
        if (rc || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = rc ? EIO : errno;
        if (soerr)
            goto failed;
    }
    *fd_out = fd;
    return 0;
failed:
    close(fd);
    if (soerr == ECONNREFUSED)
        return synth_error_set(err, SYNTH_ECONNREFUSED, "%s: connection refused", o->peer);
    return synth_error_set(err, SYNTH_EIO, "%s: connect: %s", o->peer, strerror(soerr));
}

/* Runs SSL_connect to the end or the deadline. */
static int handshake(SSL *ssl, int fd, const struct cert_probe_opts *o, int64_t deadline_us,
                     struct synth_error *err)
{
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_us);
            if (w == SYNTH_ETIMEDOUT)
                return synth_error_set(err, SYNTH_ETIMEDOUT,
                                       "%s: TLS handshake not finished within %u ms", o->peer,
                                       o->timeout_ms);
            if (w)
                return synth_error_set(err, SYNTH_EIO, "%s: poll: %s", o->peer, strerror(errno));
            continue;
        }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return synth_error_set(err, SYNTH_ETLS,
                                   "%s: TLS handshake failed: the server closed the connection",
                                   o->peer);
        return tls_error_set(err, SYNTH_ETLS, "%s: TLS handshake failed", o->peer);
    }
}

/* A TLS 1.3 server judges our certificate after the handshake is over for
 * us; its alert, if any, comes within moments. */
static void listen_for_alert(SSL *ssl, int fd, struct cert_probe *out, int64_t deadline_us)
{
    int64_t until = clock_mono_us() + CERT_PROBE_ALERT_WAIT_MS * 1000;
    char b;

    if (until > deadline_us)
        until = deadline_us;
    while (wait_fd(fd, POLLIN, until) == 0) {
        ERR_clear_error();
        int r = SSL_read(ssl, &b, 1);
        int e = SSL_get_error(ssl, r);
        if (r > 0 || e == SSL_ERROR_WANT_READ)
            continue; /* a session ticket, or data: no verdict yet */
        unsigned long ossl = ERR_peek_error();
        snprintf(out->after_handshake, sizeof(out->after_handshake), "%s",
                 ossl ? ERR_reason_error_string(ossl) : "the server closed the connection");
        break;
    }
    ERR_clear_error();
}

static void take_chain(SSL *ssl, struct cert_probe *out)
{
    struct synth_error ignored;

    if (out->chain.n == 0)
        cert_chain_from_stack(&out->chain, SSL_get_peer_cert_chain(ssl), &ignored);
}

int cert_probe_run(const struct sockaddr *addr, socklen_t addr_len,
                   const struct cert_probe_opts *o, struct cert_probe *out,
                   struct synth_error *err)
{
    struct cert_probe_opts opts = *o;
    struct probe_conn pc = {.out = out};
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1, rc;

    memset(out, 0, sizeof(*out));
    out->handshake_verify = X509_V_OK;
    if (!opts.peer)
        opts.peer = opts.server_name ? opts.server_name : "peer";
    if (!opts.timeout_ms)
        opts.timeout_ms = CERT_PROBE_TIMEOUT_MS;
    int64_t deadline = clock_mono_us() + (int64_t)opts.timeout_ms * 1000;
    if (ex_index() < 0)
        return tls_error_set(err, SYNTH_EINTERNAL, "registering TLS ex_data");
    if ((rc = make_ctx(&ctx, &opts, err)))
        return rc;
    if ((rc = tcp_connect(&fd, addr, addr_len, &opts, deadline, err)))
        goto out;
    out->tcp_connected = true;
    ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set_ex_data(ssl, ex_index(), &pc)) {
        rc = tls_error_set(err, SYNTH_ENOMEM, "%s: TLS connection", opts.peer);
        goto out;
    }
    if ((rc = tls_conn_prepare(ssl, opts.server_name, err)))
        goto out;
    rc = handshake(ssl, fd, &opts, deadline, err);
    take_chain(ssl, out);
    if (rc)
        goto out;
    snprintf(out->protocol, sizeof(out->protocol), "%s", SSL_get_version(ssl));
    snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(ssl));
    if (out->client_cert_requested && SSL_version(ssl) >= TLS1_3_VERSION)
        listen_for_alert(ssl, fd, out, deadline);
    /* Close politely when we can; a server that already left is no error. */
    if (!out->after_handshake[0])
        SSL_shutdown(ssl);
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
    return rc;
}

void cert_probe_free(struct cert_probe *p)
{
    cert_chain_free(&p->chain);
}
