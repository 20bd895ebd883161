/* The certificate check's TLS probe: a client that takes any certificate
 * (security level 0, verification recorded, not enforced) so that what a
 * strict client would refuse can still be inspected. A state machine on a
 * libevent loop (connect, handshake, a moment's wait for the server's
 * verdict on our certificate), under one deadline timer. RFC 8446 4.3.2 and
 * 4.4.2 for CertificateRequest and chains. */
#include "cert_probe.h"

#include "synth/tls/tls_ctx.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/event.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How long to listen, after a TLS 1.3 handshake where a client certificate
 * was asked for, for the server's verdict on it: a TLS 1.3 server sends
 * its "certificate required" or "unknown ca" alert after our Finished. */
#define CERT_PROBE_ALERT_WAIT_MS 200

enum probe_state {
    PROBE_CONNECTING, /* TCP connect in progress */
    PROBE_HANDSHAKE,  /* SSL_connect wants I/O */
    PROBE_ALERT_WAIT, /* done for us; listening for the server's verdict */
};

struct cert_probe_conn {
    enum probe_state state;
    struct event_base *base;
    struct event *io, *timer;
    int fd;
    int connect_errno; /* connect(2) failed at once with this */
    SSL_CTX *ctx;
    SSL *ssl;
    struct cert_probe_opts opts;
    char peer[CERT_PROBE_PEER_MAX];
    char server_name[CERT_PROBE_PEER_MAX];
    struct cert_probe *out;
    struct synth_error err;
    cert_probe_done_h *done;
    void *arg;
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
    struct cert_probe *out = ssl ? SSL_get_ex_data(ssl, ex_index()) : NULL;

    if (!preverify_ok && out && out->handshake_verify == X509_V_OK)
        out->handshake_verify = X509_STORE_CTX_get_error(x);
    return 1;
}

/* Called by OpenSSL only when the server asks for a client certificate. */
static int cert_requested(SSL *ssl, void *arg)
{
    struct cert_probe *out = SSL_get_ex_data(ssl, ex_index());

    if (out) {
        out->client_cert_requested = true;
        out->client_cert_sent = SSL_get_certificate(ssl) != NULL;
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

static void conn_free(struct cert_probe_conn *c)
{
    if (c->io)
        event_free(c->io);
    if (c->timer)
        event_free(c->timer);
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    ERR_clear_error();
    free(c);
}

/* The one exit: the chain is taken, the conn freed, then the caller told
 * (it may start anything from done; c is gone by then). */
static void finish(struct cert_probe_conn *c, int rc)
{
    struct cert_probe *out = c->out;
    struct synth_error err = c->err;
    cert_probe_done_h *done = c->done;
    void *arg = c->arg;
    struct synth_error ignored;

    if (c->ssl && out->chain.n == 0)
        cert_chain_from_stack(&out->chain, SSL_get_peer_cert_chain(c->ssl), &ignored);
    if (rc == 0 && c->ssl) {
        snprintf(out->protocol, sizeof(out->protocol), "%s", SSL_get_version(c->ssl));
        snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(c->ssl));
        /* Close politely when we can; a server that already left is no error. */
        if (!out->after_handshake[0])
            SSL_shutdown(c->ssl);
    }
    conn_free(c);
    done(rc, &err, out, arg);
}

/* Waits for events on the socket (EV_READ or EV_WRITE), once. */
static int want(struct cert_probe_conn *c, short events);

static void io_cb(evutil_socket_t fd, short what, void *arg);

static int want(struct cert_probe_conn *c, short events)
{
    event_del(c->io);
    if (event_assign(c->io, c->base, c->fd, events, io_cb, c) != 0 || event_add(c->io, NULL) != 0)
        return synth_error_set(&c->err, SYNTH_EINTERNAL, "%s: event", c->peer);
    return 0;
}

static int arm_timer(struct cert_probe_conn *c, uint32_t ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (evtimer_add(c->timer, &tv) != 0)
        return synth_error_set(&c->err, SYNTH_EINTERNAL, "%s: timer", c->peer);
    return 0;
}

/* A TLS 1.3 server judges our certificate after the handshake is over for
 * us; its alert, if any, comes within moments. */
static void alert_readable(struct cert_probe_conn *c)
{
    char b;
    int r, e;

    for (;;) {
        ERR_clear_error();
        r = SSL_read(c->ssl, &b, 1);
        e = SSL_get_error(c->ssl, r);
        if (r <= 0)
            break; /* data: read on */
    }
    if (e == SSL_ERROR_WANT_READ) {
        int rc = want(c, EV_READ);
        if (rc)
            finish(c, rc);
        return;
    }
    unsigned long ossl = ERR_peek_error();
    snprintf(c->out->after_handshake, sizeof(c->out->after_handshake), "%s",
             ossl && ERR_reason_error_string(ossl) ? ERR_reason_error_string(ossl)
                                                   : "the server closed the connection");
    finish(c, 0);
}

static void handshake_step(struct cert_probe_conn *c)
{
    ERR_clear_error();
    int r = SSL_connect(c->ssl), rc;
    if (r == 1) {
        /* Only where a client certificate was asked for can a TLS 1.3
         * server still refuse us after our Finished. */
        if (!c->out->client_cert_requested || SSL_version(c->ssl) < TLS1_3_VERSION) {
            finish(c, 0);
            return;
        }
        c->state = PROBE_ALERT_WAIT;
        event_del(c->timer);
        if ((rc = arm_timer(c, CERT_PROBE_ALERT_WAIT_MS)) || (rc = want(c, EV_READ)))
            finish(c, rc);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if ((rc = want(c, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE)))
            finish(c, rc);
        return;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        rc = synth_error_set(&c->err, SYNTH_ETLS,
                             "%s: TLS handshake failed: the server closed the connection", c->peer);
    else
        rc = tls_error_set(&c->err, SYNTH_ETLS, "%s: TLS handshake failed", c->peer);
    finish(c, rc);
}

static void connected(struct cert_probe_conn *c)
{
    int soerr = 0, rc;
    socklen_t sl = sizeof(soerr);

    if (c->connect_errno)
        soerr = c->connect_errno;
    else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr == ECONNREFUSED) {
        finish(c, synth_error_set(&c->err, SYNTH_ECONNREFUSED, "%s: connection refused", c->peer));
        return;
    }
    if (soerr) {
        finish(c, synth_error_set(&c->err, SYNTH_EIO, "%s: connect: %s", c->peer,
                                  strerror(soerr)));
        return;
    }
    c->out->tcp_connected = true;
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || !SSL_set_ex_data(c->ssl, ex_index(), c->out)) {
        finish(c, tls_error_set(&c->err, SYNTH_ENOMEM, "%s: TLS connection", c->peer));
        return;
    }
    if ((rc = tls_conn_prepare(c->ssl, c->server_name, &c->err))) {
        finish(c, rc);
        return;
    }
    c->state = PROBE_HANDSHAKE;
    handshake_step(c);
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    struct cert_probe_conn *c = arg;

    switch (c->state) {
    case PROBE_CONNECTING: connected(c); return;
    case PROBE_HANDSHAKE: handshake_step(c); return;
    case PROBE_ALERT_WAIT: alert_readable(c); return;
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct cert_probe_conn *c = arg;

    switch (c->state) {
    case PROBE_CONNECTING:
        finish(c, synth_error_set(&c->err, SYNTH_ETIMEDOUT, "%s: no TCP connection within %u ms",
                                  c->peer, c->opts.timeout_ms));
        return;
    case PROBE_HANDSHAKE:
        finish(c, synth_error_set(&c->err, SYNTH_ETIMEDOUT,
                                  "%s: TLS handshake not finished within %u ms", c->peer,
                                  c->opts.timeout_ms));
        return;
    case PROBE_ALERT_WAIT:
        finish(c, 0); /* no alert: the server took us */
        return;
    }
}

int cert_probe_start(struct cert_probe_conn **out, struct event_base *base,
                     const struct sockaddr *addr, socklen_t addr_len,
                     const struct cert_probe_opts *o, struct cert_probe *result,
                     cert_probe_done_h *done, void *arg, struct synth_error *err)
{
    struct cert_probe_conn *c;
    int rc;

    *out = NULL;
    memset(result, 0, sizeof(*result));
    result->handshake_verify = X509_V_OK;
    if (!o->server_name || !*o->server_name)
        return synth_error_set(err, SYNTH_EINVAL, "certificate probe: no server name");
    if (ex_index() < 0)
        return tls_error_set(err, SYNTH_EINTERNAL, "registering TLS ex_data");
    c = calloc(1, sizeof(*c));
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "certificate probe: out of memory");
    c->fd = -1;
    c->base = base;
    c->opts = *o;
    c->out = result;
    c->done = done;
    c->arg = arg;
    if (!c->opts.timeout_ms)
        c->opts.timeout_ms = CERT_PROBE_TIMEOUT_MS;
    snprintf(c->peer, sizeof(c->peer), "%s", o->peer ? o->peer : o->server_name);
    snprintf(c->server_name, sizeof(c->server_name), "%s", o->server_name);
    c->opts.peer = c->peer;
    c->opts.server_name = c->server_name;
    if ((rc = make_ctx(&c->ctx, &c->opts, err)))
        goto fail;
    c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        rc = synth_error_set(err, SYNTH_EIO, "%s: socket: %s", c->peer, strerror(errno));
        goto fail;
    }
    c->io = event_new(base, c->fd, EV_WRITE, io_cb, c);
    c->timer = evtimer_new(base, timer_cb, c);
    if (!c->io || !c->timer) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "certificate probe: out of memory");
        goto fail;
    }
    if ((rc = arm_timer(c, c->opts.timeout_ms)))
        goto fail_err;
    c->state = PROBE_CONNECTING;
    /* A refusal found at once is still told through done, from the loop. */
    if (connect(c->fd, addr, addr_len) != 0 && errno != EINPROGRESS) {
        c->connect_errno = errno;
        event_active(c->io, EV_WRITE, 0);
    }
    else if ((rc = want(c, EV_WRITE)))
        goto fail_err;
    *out = c;
    return 0;
fail_err:
    *err = c->err;
fail:
    conn_free(c);
    return rc;
}

void cert_probe_cancel(struct cert_probe_conn *c)
{
    if (c)
        conn_free(c);
}

/* cert_probe_run's own loop: the result lands here. */
struct probe_wait {
    int rc;
    struct synth_error *err;
};

static void wait_done(int rc, const struct synth_error *detail, struct cert_probe *result,
                      void *arg)
{
    struct probe_wait *w = arg;
    w->rc = rc;
    if (rc && w->err)
        *w->err = *detail;
}

int cert_probe_run(const struct sockaddr *addr, socklen_t addr_len,
                   const struct cert_probe_opts *o, struct cert_probe *out,
                   struct synth_error *err)
{
    struct event_base *base = event_base_new();
    struct cert_probe_conn *c;
    struct probe_wait w = {.rc = SYNTH_EINTERNAL, .err = err};
    int rc;

    memset(out, 0, sizeof(*out));
    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "certificate probe: event loop");
    rc = cert_probe_start(&c, base, addr, addr_len, o, out, wait_done, &w, err);
    if (rc == 0) {
        /* Returns when the probe's events are gone, i.e. once done ran. */
        event_base_dispatch(base);
        rc = w.rc;
    }
    event_base_free(base);
    return rc;
}

void cert_probe_free(struct cert_probe *p)
{
    cert_chain_free(&p->chain);
}
