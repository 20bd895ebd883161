/* SIP transport connections: UDP sockets and TCP/TLS streams through
 * libevent bufferevents (RFC 3261 18; keep-alive RFC 5626 4.4.1). */
#include "transport.h"

#include "synth/sip/udp_rx.h"
#include "synth/tls/tls_ctx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A keep-alive ping is a double CRLF; the pong a single CRLF (RFC 5626 4.4.1). */
static const char KEEPALIVE_PING[] = "\r\n\r\n";
static const char KEEPALIVE_PONG[] = "\r\n";

/* Bytes the peer may queue in our output before we call it stuck: a load
 * generator must not buffer without bound for a server that stopped reading. */
#define CONN_OUTPUT_MAX (1024 * 1024)
/* Datagrams a server socket reads per wake-up before the loop serves others. */
#define UDP_SERVER_BATCH 64

enum conn_state {
    CONN_CONNECTING,
    CONN_OPEN,
    CONN_CLOSED,
};

struct sip_conn {
    enum sip_transport transport;
    enum conn_state state;
    bool server_role;
    int fd;                      /* UDP socket; -1 for streams (owned by the bev) */
    struct event *udp_ev;
    struct bufferevent *bev;
    struct event *timer;         /* connect deadline, then keep-alive */
    struct event_base *base;
    struct sip_addr_storage remote;
    struct sip_conn_handlers h;
    void *arg;
    uint32_t keepalive_ms;
    uint64_t id;
    uint32_t pongs;              /* client streams: CRLF pongs received */
    int in_handler;              /* depth of handler calls on the stack */
    bool free_pending;           /* sip_conn_free called inside a handler */
    /* Our address, read once when the connection opens: callers ask for it
     * on every call (Via, Contact, SDP) and a getsockname per call showed up
     * in the profile. A connected socket's local address does not change. */
    bool local_known;
    uint16_t local_port;
    char local_host[INET6_ADDRSTRLEN];
};

static _Thread_local uint64_t next_conn_id = 1;

static void conn_destroy(struct sip_conn *c)
{
    if (c->timer)
        event_free(c->timer);
    if (c->udp_ev)
        event_free(c->udp_ev);
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void sip_conn_free(struct sip_conn *c)
{
    if (!c)
        return;
    if (c->in_handler) {
        c->free_pending = true;
        c->state = CONN_CLOSED;
        if (c->bev)
            bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        if (c->udp_ev)
            event_del(c->udp_ev);
        if (c->timer)
            event_del(c->timer);
        return;
    }
    conn_destroy(c);
}

/* Handlers may free the conn: hold it across the call, free after. Returns
 * false when the conn is gone and the caller must return at once. */
static void handler_enter(struct sip_conn *c)
{
    c->in_handler++;
}

static bool handler_leave(struct sip_conn *c)
{
    c->in_handler--;
    if (c->in_handler == 0 && c->free_pending) {
        conn_destroy(c);
        return false;
    }
    return !c->free_pending;
}

static void read_local(int fd, char *host, size_t size, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    host[0] = '\0';
    *port = 0;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, (socklen_t)size);
        *port = ntohs(s6->sin6_port);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, (socklen_t)size);
        *port = ntohs(s4->sin_port);
    }
}

static int conn_fd(const struct sip_conn *c)
{
    return c->fd >= 0 ? c->fd : (c->bev ? bufferevent_getfd(c->bev) : -1);
}

static void notify_connected(struct sip_conn *c, int err)
{
    if (err == 0 && !c->local_known) {
        read_local(conn_fd(c), c->local_host, sizeof(c->local_host), &c->local_port);
        c->local_known = c->local_host[0] != '\0';
    }
    if (!c->h.connected)
        return;
    handler_enter(c);
    c->h.connected(c, err, c->arg);
    handler_leave(c);
}

static bool notify_closed(struct sip_conn *c, int err)
{
    c->state = CONN_CLOSED;
    if (c->timer)
        event_del(c->timer);
    if (!c->h.closed)
        return true;
    handler_enter(c);
    c->h.closed(c, err, c->arg);
    return handler_leave(c);
}

static bool deliver(struct sip_conn *c, const struct sip_msg *msg,
                    const struct sip_addr_storage *src)
{
    if (!c->h.recv)
        return true;
    handler_enter(c);
    c->h.recv(c, msg, src, c->arg);
    return handler_leave(c);
}

static void keepalive_arm(struct sip_conn *c)
{
    if (!c->keepalive_ms || c->transport == SIP_TRANSPORT_UDP || c->server_role)
        return;
    struct timeval tv = {c->keepalive_ms / 1000, (c->keepalive_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sip_conn *c = arg;
    if (c->state == CONN_CONNECTING && c->transport == SIP_TRANSPORT_UDP) {
        c->state = CONN_OPEN;
        notify_connected(c, 0);
        return;
    }
    if (c->state == CONN_CONNECTING) {
        /* Connect or TLS handshake did not finish by the deadline. */
        c->state = CONN_CLOSED;
        if (c->bev)
            bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        notify_connected(c, SYNTH_ETIMEDOUT);
        return;
    }
    if (c->state == CONN_OPEN) {
        bufferevent_write(c->bev, KEEPALIVE_PING, sizeof(KEEPALIVE_PING) - 1);
        keepalive_arm(c);
    }
}

/* Frames and parses every whole message in the stream's input. */
static void stream_read_cb(struct bufferevent *bev, void *arg)
{
    struct sip_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (c->state == CONN_OPEN) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
            return;
        size_t want = avail < SIP_MSG_MAX ? avail : SIP_MSG_MAX;
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)want);
        if (!data)
            return;
        if (c->server_role && want >= 4 && memcmp(data, KEEPALIVE_PING, 4) == 0) {
            evbuffer_drain(in, 4);
            bufferevent_write(bev, KEEPALIVE_PONG, sizeof(KEEPALIVE_PONG) - 1);
            continue;
        }
        /* Between messages a client only receives CRLF as the pong to its
         * ping (RFC 5626 4.4.1); counted, so a caller can tell whether the
         * server answers keep-alives at all. */
        if (!c->server_role && want >= 2 && data[0] == '\r' && data[1] == '\n') {
            evbuffer_drain(in, 2);
            c->pongs++;
            continue;
        }
        struct sip_msg msg;
        size_t consumed = 0;
        int rc = sip_msg_parse(&msg, data, want, false, &consumed);
        if (rc == SYNTH_EINCOMPLETE) {
            if (consumed > 0) {
                evbuffer_drain(in, consumed);
                continue;
            }
            if (want >= SIP_MSG_MAX) {
                notify_closed(c, SYNTH_ETOOBIG);
                return;
            }
            return;
        }
        if (rc != 0) {
            /* A stream cannot resynchronise after a framing error (RFC 3261 18.3). */
            notify_closed(c, rc);
            return;
        }
        bool alive = deliver(c, &msg, &c->remote);
        if (!alive)
            return;
        evbuffer_drain(in, consumed);
    }
}

static int ssl_error_code(struct sip_conn *c)
{
    SSL *ssl = c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
    if (ssl && SSL_get_verify_result(ssl) != X509_V_OK)
        return SYNTH_ETLS;
    unsigned long e = c->bev ? bufferevent_get_openssl_error(c->bev) : 0;
    /* OpenSSL 3 reports a TCP FIN without close_notify as an error; on an
     * open connection it is a close (a middlebox's idle cut does this),
     * not a TLS failure. */
    if (e && c->state == CONN_OPEN && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return SYNTH_ECLOSED;
    return e ? SYNTH_ETLS : SYNTH_EIO;
}

static void stream_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct sip_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->state = CONN_OPEN;
        if (c->timer)
            event_del(c->timer);
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        keepalive_arm(c);
        notify_connected(c, 0);
        return;
    }
    if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        int err = SYNTH_ECLOSED;
        /* A reset is its own outcome: a firewall's idle cut looks like
         * this. Over TLS libevent reports it as an EOF (the dirty shutdown
         * we allow), with the read's errno still set. */
        if (EVUTIL_SOCKET_ERROR() == ECONNRESET) {
            err = SYNTH_ERESET;
        } else if (what & BEV_EVENT_ERROR) {
            err = c->transport == SIP_TRANSPORT_TLS ? ssl_error_code(c) : SYNTH_EIO;
            if (err == SYNTH_EIO && EVUTIL_SOCKET_ERROR() == ECONNREFUSED)
                err = SYNTH_ECONNREFUSED;
        }
        if (c->state == CONN_CONNECTING) {
            c->state = CONN_CLOSED;
            if (c->timer)
                event_del(c->timer);
            notify_connected(c, err);
            return;
        }
        if (c->state == CONN_OPEN)
            notify_closed(c, err);
    }
}

static bool udp_dgram(const struct udp_rx_dgram *d, void *arg)
{
    struct sip_conn *c = arg;
    if (c->state != CONN_OPEN)
        return false;
    if (d->len == 0)
        return true;
    struct sip_msg msg;
    size_t consumed = 0;
    if (sip_msg_parse(&msg, d->buf, d->len, true, &consumed) != 0)
        return true; /* RFC 3261 18.3: a malformed datagram is discarded */
    msg.rx_us = d->rx_us;
    return deliver(c, &msg, d->src);
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sip_conn *c = arg;
    (void)what;
    /* A server socket carries every peer's datagrams: a bounded batch per
     * wake-up, so one busy socket cannot starve the loop. A client's socket
     * is one user's: one recvmmsg takes what its transaction left there. */
    int rc = udp_rx_read(fd, c->server_role ? UDP_SERVER_BATCH : UDP_RX_BATCH, udp_dgram, c);
    /* ICMP port unreachable on a connected UDP socket: nobody listens. */
    if (rc == ECONNREFUSED && !c->server_role && c->state == CONN_OPEN)
        notify_closed(c, SYNTH_ECONNREFUSED);
}

static struct sip_conn *conn_new(struct event_base *base, enum sip_transport t,
                                 const struct sip_conn_handlers *h, void *arg)
{
    struct sip_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->transport = t;
    c->fd = -1;
    c->base = base;
    c->h = *h;
    c->arg = arg;
    c->id = next_conn_id++;
    c->timer = evtimer_new(base, timer_cb, c);
    if (!c->timer) {
        free(c);
        return NULL;
    }
    return c;
}

static void set_dscp(int fd, int family, int dscp)
{
    if (dscp < 0)
        return;
    int tos = dscp << 2;
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
    else
        setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

static int udp_connect(struct sip_conn *c, const struct sip_conn_opts *o, struct synth_error *err)
{
    int family = o->remote.ss.ss_family;
    c->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return synth_error_set(err, SYNTH_EIO, "udp socket: %s", strerror(errno));
    set_dscp(c->fd, family, o->dscp);
    udp_rx_enable(c->fd);
    if (connect(c->fd, (const struct sockaddr *)&o->remote.ss, o->remote.len) != 0)
        return synth_error_set(err, SYNTH_EIO, "udp connect: %s", strerror(errno));
    c->udp_ev = event_new(c->base, c->fd, EV_READ | EV_PERSIST, udp_read_cb, c);
    if (!c->udp_ev || event_add(c->udp_ev, NULL) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "udp event");
    /* Readiness is reported from the loop (timer_cb), so callers see one
     * code path for all transports. */
    struct timeval zero = {0, 0};
    return evtimer_add(c->timer, &zero) == 0 ? 0 : SYNTH_EIO;
}

static int stream_connect(struct sip_conn *c, const struct sip_conn_opts *o,
                          struct synth_error *err)
{
    int family = o->remote.ss.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return synth_error_set(err, SYNTH_EIO, "tcp socket: %s", strerror(errno));
    set_dscp(fd, family, o->dscp);
    int opts = BEV_OPT_CLOSE_ON_FREE;
    if (o->transport == SIP_TRANSPORT_TLS) {
        SSL *ssl = SSL_new(o->ssl_ctx);
        if (!ssl) {
            close(fd);
            return synth_error_set(err, SYNTH_ENOMEM, "SSL_new");
        }
        if (tls_conn_prepare(ssl, o->server_name, err) != 0) {
            SSL_free(ssl);
            close(fd);
            return SYNTH_ETLS;
        }
        c->bev = bufferevent_openssl_socket_new(c->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                opts);
        if (c->bev)
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
        else
            SSL_free(ssl);
    } else {
        c->bev = bufferevent_socket_new(c->base, fd, opts);
    }
    if (!c->bev) {
        close(fd);
        return synth_error_set(err, SYNTH_ENOMEM, "bufferevent");
    }
    bufferevent_setcb(c->bev, stream_read_cb, NULL, stream_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&o->remote.ss,
                                   (int)o->remote.len) != 0)
        return synth_error_set(err, SYNTH_ECONNREFUSED, "connect: %s", strerror(errno));
    return 0;
}

int sip_conn_connect(struct sip_conn **out, struct event_base *base,
                     const struct sip_conn_opts *o, const struct sip_conn_handlers *h,
                     void *arg, struct synth_error *err)
{
    int rc;
    struct sip_conn *c = conn_new(base, o->transport, h, arg);
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    c->remote = o->remote;
    c->keepalive_ms = o->keepalive_ms;
    c->state = CONN_CONNECTING;

    if (o->transport == SIP_TRANSPORT_UDP) {
        rc = udp_connect(c, o, err);
        if (rc != 0)
            goto fail;
        *out = c;
        return 0;
    }
    rc = stream_connect(c, o, err);
    if (rc != 0)
        goto fail;
    uint32_t ms = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    *out = c;
    return 0;
fail:
    conn_destroy(c);
    return rc;
}

int sip_conn_accept(struct sip_conn **out, struct event_base *base, int fd,
                    enum sip_transport transport, SSL_CTX *ssl_ctx,
                    const struct sip_conn_handlers *h, void *arg)
{
    struct sip_conn *c = conn_new(base, transport, h, arg);
    if (!c) {
        close(fd);
        return SYNTH_ENOMEM;
    }
    c->server_role = true;
    c->remote.len = sizeof(c->remote.ss);
    getpeername(fd, (struct sockaddr *)&c->remote.ss, &c->remote.len);
    evutil_make_socket_nonblocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (transport == SIP_TRANSPORT_TLS) {
        SSL *ssl = SSL_new(ssl_ctx);
        if (!ssl)
            goto fail;
        c->bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
        if (!c->bev) {
            SSL_free(ssl);
            goto fail;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    } else {
        c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (!c->bev)
            goto fail;
    }
    /* A server conn is open at once: TLS handshake errors arrive as events. */
    c->state = CONN_OPEN;
    bufferevent_setcb(c->bev, stream_read_cb, NULL, stream_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    *out = c;
    return 0;
fail:
    if (!c->bev)
        close(fd);
    conn_destroy(c);
    return SYNTH_ENOMEM;
}

int sip_conn_udp_bind(struct sip_conn **out, struct event_base *base,
                      const struct sip_addr_storage *local,
                      const struct sip_conn_handlers *h, void *arg, struct synth_error *err)
{
    int rc;
    struct sip_conn *c = conn_new(base, SIP_TRANSPORT_UDP, h, arg);
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    c->server_role = true;
    c->fd = socket(local->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        rc = synth_error_set(err, SYNTH_EIO, "udp socket: %s", strerror(errno));
        goto fail;
    }
    if (bind(c->fd, (const struct sockaddr *)&local->ss, local->len) != 0) {
        char a[80];
        sip_addr_format(local, a, sizeof(a));
        rc = synth_error_set(err, SYNTH_EIO, "bind udp %s: %s", a, strerror(errno));
        goto fail;
    }
    udp_rx_enable(c->fd);
    c->udp_ev = event_new(base, c->fd, EV_READ | EV_PERSIST, udp_read_cb, c);
    if (!c->udp_ev || event_add(c->udp_ev, NULL) != 0) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "udp event");
        goto fail;
    }
    c->state = CONN_OPEN;
    *out = c;
    return 0;
fail:
    conn_destroy(c);
    return rc;
}

int sip_conn_send(struct sip_conn *c, const char *buf, size_t len,
                  const struct sip_addr_storage *to)
{
    if (c->state != CONN_OPEN)
        return SYNTH_ECLOSED;
    if (c->transport == SIP_TRANSPORT_UDP) {
        ssize_t n;
        if (to)
            n = sendto(c->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&to->ss, to->len);
        else
            n = send(c->fd, buf, len, MSG_DONTWAIT);
        if (n < 0)
            return errno == ECONNREFUSED ? SYNTH_ECONNREFUSED : SYNTH_EIO;
        return 0;
    }
    struct evbuffer *outb = bufferevent_get_output(c->bev);
    if (evbuffer_get_length(outb) > CONN_OUTPUT_MAX)
        return SYNTH_ETOOBIG;
    return bufferevent_write(c->bev, buf, len) == 0 ? 0 : SYNTH_EIO;
}

enum sip_transport sip_conn_transport(const struct sip_conn *c)
{
    return c->transport;
}

void sip_conn_local(const struct sip_conn *c, char *host, size_t size, uint16_t *port)
{
    if (c->local_known) {
        snprintf(host, size, "%s", c->local_host);
        *port = c->local_port;
        return;
    }
    read_local(conn_fd(c), host, size, port);
}

uint32_t sip_conn_pongs(const struct sip_conn *c)
{
    return c->pongs;
}

uint64_t sip_conn_id(const struct sip_conn *c)
{
    return c->id;
}

void sip_conn_set_arg(struct sip_conn *c, void *arg)
{
    c->arg = arg;
}

SSL *sip_conn_ssl(const struct sip_conn *c)
{
    if (c->transport != SIP_TRANSPORT_TLS || !c->bev)
        return NULL;
    return bufferevent_openssl_get_ssl(c->bev);
}

int sip_addr_resolve(struct sip_addr_storage *out, const char *host, uint16_t port,
                     struct synth_error *err)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res)
        return synth_error_set(err, SYNTH_ENOTFOUND, "cannot resolve %s: %s", host,
                               gai_strerror(rc));
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

void sip_addr_format(const struct sip_addr_storage *a, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(out, size, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(out, size, "%s:%u", host, ntohs(s4->sin_port));
    }
}

bool sip_addr_equal(const struct sip_addr_storage *a, const struct sip_addr_storage *b)
{
    if (a->ss.ss_family != b->ss.ss_family)
        return false;
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
    const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}
