/* The lab's SIP-path middlebox (tcp_idle_relay.h): one flow per accepted
 * connection, a bufferevent on each side, one idle timer re-armed by every
 * byte read from either side. */
#include "synth/lab/tcp_idle_relay.h"

#include "synth/base/net_addr.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Connections held at once: the lab's users and their survival probes. */
#define RELAY_FLOWS_MAX 4096
/* Bytes queued towards one side before the flow is reset: SIP messages are
 * small, and a side that stopped reading must not grow the lab's memory. */
#define RELAY_QUEUE_MAX (1024 * 1024)
#define RELAY_BACKLOG 128

enum { SIDE_CLIENT, SIDE_BACKEND };

struct flow {
    struct tcp_idle_relay *r;
    struct bufferevent *side[2];
    struct event *idle;
    bool dropped;  /* TCP_IDLE_CUT_DROP happened: the client's bytes are discarded */
    bool draining; /* one side closed: the other is closed once its output is sent */
    struct flow *prev, *next;
};

struct tcp_idle_relay {
    struct event_base *base;
    struct evconnlistener *l;
    uint16_t port;
    struct sockaddr_storage backend;
    socklen_t backend_len;
    uint32_t timeout_s;
    enum tcp_idle_cut cut;
    struct flow *flows;
    size_t flow_count;
};

const char *tcp_idle_cut_name(enum tcp_idle_cut c)
{
    static const char *const names[] = {"fin", "rst", "drop"};
    return (unsigned)c < TCP_IDLE_CUT_COUNT ? names[c] : "?";
}

/* SO_LINGER 0: close() sends RST instead of FIN (tcp(7)). */
static void set_reset(struct bufferevent *bev)
{
    struct linger lg = {1, 0};
    if (bev)
        setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void side_close(struct flow *f, int s, bool reset)
{
    if (!f->side[s])
        return;
    if (reset)
        set_reset(f->side[s]);
    bufferevent_free(f->side[s]);
    f->side[s] = NULL;
}

static void flow_free(struct flow *f, bool reset)
{
    struct tcp_idle_relay *r = f->r;
    side_close(f, SIDE_CLIENT, reset);
    side_close(f, SIDE_BACKEND, reset);
    if (f->prev)
        f->prev->next = f->next;
    else
        r->flows = f->next;
    if (f->next)
        f->next->prev = f->prev;
    r->flow_count--;
    event_free(f->idle);
    free(f);
}

static int side_of(const struct flow *f, const struct bufferevent *bev)
{
    return bev == f->side[SIDE_CLIENT] ? SIDE_CLIENT : SIDE_BACKEND;
}

static void idle_arm(struct flow *f)
{
    struct timeval tv = {(time_t)f->r->timeout_s, 0};
    evtimer_add(f->idle, &tv);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct flow *f = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct bufferevent *to = f->side[!side_of(f, bev)];
    if (f->dropped || !to) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (evbuffer_get_length(bufferevent_get_output(to)) > RELAY_QUEUE_MAX) {
        flow_free(f, true);
        return;
    }
    bufferevent_write_buffer(to, in);
    idle_arm(f); /* any byte, either way, is activity */
}

/* A side that is the last one left closes once what it was sent is out. */
static void write_cb(struct bufferevent *bev, void *arg)
{
    struct flow *f = arg;
    if (f->draining && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        flow_free(f, false);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct flow *f = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    /* One side went away: pass it on, as the end hosts' TCP would. A
     * client leaving a dropped flow ends it. */
    int s = side_of(f, bev);
    bool reset = (what & BEV_EVENT_ERROR) && EVUTIL_SOCKET_ERROR() == ECONNRESET;
    side_close(f, s, false);
    struct bufferevent *other = f->side[!s];
    if (!other || reset || f->dropped ||
        evbuffer_get_length(bufferevent_get_output(other)) == 0) {
        flow_free(f, reset);
        return;
    }
    f->draining = true;
    bufferevent_disable(other, EV_READ);
}

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    struct flow *f = arg;
    switch (f->r->cut) {
    case TCP_IDLE_CUT_FIN: flow_free(f, false); return;
    case TCP_IDLE_CUT_RST: flow_free(f, true); return;
    default:
        /* The middlebox forgets the flow; the client is not told, and
         * whatever it sends from now on is lost. */
        f->dropped = true;
        side_close(f, SIDE_BACKEND, false);
        return;
    }
}

static struct bufferevent *side_new(struct flow *f, evutil_socket_t fd)
{
    struct bufferevent *b = bufferevent_socket_new(f->r->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!b)
        return NULL;
    bufferevent_setcb(b, read_cb, write_cb, event_cb, f);
    bufferevent_enable(b, EV_READ | EV_WRITE);
    return b;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct tcp_idle_relay *r = arg;
    struct flow *f = r->flow_count < RELAY_FLOWS_MAX ? calloc(1, sizeof(*f)) : NULL;
    if (f)
        f->idle = evtimer_new(r->base, idle_cb, f);
    if (!f || !f->idle) {
        free(f);
        evutil_closesocket(fd);
        return;
    }
    f->r = r;
    f->next = r->flows;
    if (r->flows)
        r->flows->prev = f;
    r->flows = f;
    r->flow_count++;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    evutil_make_socket_nonblocking(fd);
    f->side[SIDE_CLIENT] = side_new(f, fd);
    if (!f->side[SIDE_CLIENT]) {
        evutil_closesocket(fd);
        flow_free(f, false);
        return;
    }
    f->side[SIDE_BACKEND] = side_new(f, -1);
    if (!f->side[SIDE_BACKEND] ||
        bufferevent_socket_connect(f->side[SIDE_BACKEND], (struct sockaddr *)&r->backend,
                                   (int)r->backend_len) != 0) {
        flow_free(f, true);
        return;
    }
    idle_arm(f);
}

int tcp_idle_relay_start(struct tcp_idle_relay **out, struct event_base *base,
                         const struct tcp_idle_relay_opts *o, struct synth_error *err)
{
    struct sockaddr_storage local;
    socklen_t local_len;
    struct tcp_idle_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return synth_error_set(err, SYNTH_ENOMEM, "sip middlebox: out of memory");
    r->base = base;
    r->timeout_s = o->timeout_s;
    r->cut = o->cut;
    if (net_addr_from_ip(strv_from_cstr(o->backend_host), o->backend_port, &r->backend,
                         &r->backend_len) != 0 ||
        net_addr_from_ip(strv_from_cstr(o->listen_host), 0, &local, &local_len) != 0) {
        free(r);
        return synth_error_set(err, SYNTH_ECONFIG, "sip middlebox: %s or %s is not an address",
                               o->listen_host, o->backend_host);
    }
    r->l = evconnlistener_new_bind(base, accept_cb, r,
                                   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                       LEV_OPT_CLOSE_ON_EXEC,
                                   RELAY_BACKLOG, (struct sockaddr *)&local, (int)local_len);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    if (!r->l ||
        getsockname(evconnlistener_get_fd(r->l), (struct sockaddr *)&bound, &blen) != 0) {
        int e = errno;
        if (r->l)
            evconnlistener_free(r->l);
        free(r);
        return synth_error_set(err, SYNTH_EIO, "sip middlebox: cannot listen on %s: %s",
                               o->listen_host, strerror(e));
    }
    r->port = net_addr_port(&bound);
    *out = r;
    return 0;
}

uint16_t tcp_idle_relay_port(const struct tcp_idle_relay *r)
{
    return r->port;
}

void tcp_idle_relay_free(struct tcp_idle_relay *r)
{
    if (!r)
        return;
    while (r->flows)
        flow_free(r->flows, false);
    evconnlistener_free(r->l);
    free(r);
}
