/* DNS lookups through c-ares on a libevent loop: c-ares tells which sockets
 * it wants watched (ARES_OPT_SOCK_STATE_CB) and when it next needs to run
 * (ares_timeout); the loop calls ares_process_fd for both. */
#include "dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <event2/event.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sockets c-ares keeps open at once: one UDP and one TCP per server, for
 * the few servers a resolv.conf lists. */
#define DNS_SOCKETS_MAX 16
#define DNS_TIMEOUT_MS_DEFAULT 2000
#define DNS_TRIES_DEFAULT 2

struct dns_socket {
    ares_socket_t fd;
    struct event *ev;
};

struct dns_resolver {
    struct event_base *base;
    ares_channel channel;
    struct event *timer;
    struct dns_socket socks[DNS_SOCKETS_MAX];
    unsigned nsocks;
};

struct dns_query {
    struct dns_resolver *r;
    dns_srv_h *srv_cb;
    dns_addr_h *addr_cb;
    void *arg;
    uint16_t port;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = ARES_SUCCESS;

static void library_init(void)
{
    library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static int status_err(int status)
{
    switch (status) {
    case ARES_SUCCESS: return 0;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME: return SYNTH_ENOTFOUND;
    case ARES_ETIMEOUT: return SYNTH_ETIMEDOUT;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return SYNTH_ECANCELED;
    case ARES_ENOMEM: return SYNTH_ENOMEM;
    default: return SYNTH_EIO;
    }
}

static void schedule(struct dns_resolver *r)
{
    struct timeval tv;
    if (ares_timeout(r->channel, NULL, &tv))
        evtimer_add(r->timer, &tv);
    else
        evtimer_del(r->timer);
}

static void socket_cb(evutil_socket_t fd, short what, void *arg)
{
    struct dns_resolver *r = arg;
    ares_process_fd(r->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
                    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
    schedule(r);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct dns_resolver *r = arg;
    ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    schedule(r);
}

static struct dns_socket *socket_slot(struct dns_resolver *r, ares_socket_t fd)
{
    for (unsigned i = 0; i < r->nsocks; i++)
        if (r->socks[i].fd == fd)
            return &r->socks[i];
    return NULL;
}

static void socket_forget(struct dns_resolver *r, struct dns_socket *s)
{
    if (s->ev)
        event_free(s->ev);
    *s = r->socks[--r->nsocks];
}

/* c-ares opens, closes and changes interest in its sockets through this. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_resolver *r = data;
    struct dns_socket *s = socket_slot(r, fd);
    if (s && s->ev) {
        event_free(s->ev);
        s->ev = NULL;
    }
    if (!readable && !writable) {
        if (s)
            socket_forget(r, s);
        return;
    }
    if (!s) {
        /* Past the bound the query times out rather than spin on a socket we do not watch. */
        if (r->nsocks >= DNS_SOCKETS_MAX)
            return;
        s = &r->socks[r->nsocks++];
        s->fd = fd;
    }
    short what = (short)(EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
    s->ev = event_new(r->base, fd, what, socket_cb, r);
    if (s->ev)
        event_add(s->ev, NULL);
}

int dns_resolver_new(struct dns_resolver **out, struct event_base *base,
                     const struct dns_opts *o, struct synth_error *err)
{
    struct ares_options opts;
    int rc = 0;

    pthread_once(&library_once, library_init);
    if (library_status != ARES_SUCCESS)
        return synth_error_set(err, SYNTH_EINTERNAL, "dns: %s", ares_strerror(library_status));
    struct dns_resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return synth_error_set(err, SYNTH_ENOMEM, "dns: out of memory");
    r->base = base;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = sock_state_cb;
    opts.sock_state_cb_data = r;
    opts.timeout = (int)(o && o->timeout_ms ? o->timeout_ms : DNS_TIMEOUT_MS_DEFAULT);
    opts.tries = (int)(o && o->tries ? o->tries : DNS_TRIES_DEFAULT);
    int status = ares_init_options(&r->channel, &opts,
                                   ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status != ARES_SUCCESS) {
        r->channel = NULL;
        rc = synth_error_set(err, status_err(status), "dns: %s", ares_strerror(status));
        goto fail;
    }
    if (o && o->servers && *o->servers) {
        status = ares_set_servers_ports_csv(r->channel, o->servers);
        if (status != ARES_SUCCESS) {
            rc = synth_error_set(err, SYNTH_ECONFIG, "dns: servers '%.200s': %s", o->servers,
                                 ares_strerror(status));
            goto fail;
        }
    }
    r->timer = evtimer_new(base, timer_cb, r);
    if (!r->timer) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "dns: out of memory");
        goto fail;
    }
    *out = r;
    return 0;
fail:
    dns_resolver_free(r);
    return rc;
}

void dns_resolver_free(struct dns_resolver *r)
{
    if (!r)
        return;
    /* Pending callbacks run here with SYNTH_ECANCELED. */
    if (r->channel)
        ares_destroy(r->channel);
    while (r->nsocks)
        socket_forget(r, &r->socks[0]);
    if (r->timer)
        event_free(r->timer);
    free(r);
}

static struct dns_query *query_new(struct dns_resolver *r, void *arg)
{
    struct dns_query *q = calloc(1, sizeof(*q));
    if (q) {
        q->r = r;
        q->arg = arg;
    }
    return q;
}

static int srv_cmp(const void *a, const void *b)
{
    const struct dns_srv *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return strcmp(x->target, y->target);
}

void dns_addr_text(const struct dns_addr *a, char *out, size_t size)
{
    const void *p = a->ss.ss_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
    if (!inet_ntop(a->ss.ss_family, p, out, (socklen_t)size))
        snprintf(out, size, "?");
}

void dns_srv_sort(struct dns_srv *recs, size_t n)
{
    qsort(recs, n, sizeof(*recs), srv_cmp);
}

static void srv_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct dns_query *q = arg;
    struct dns_srv recs[DNS_SRV_MAX];
    struct ares_srv_reply *reply = NULL;
    size_t n = 0;
    (void)timeouts;

    if (status == ARES_SUCCESS)
        status = ares_parse_srv_reply(abuf, alen, &reply);
    for (struct ares_srv_reply *p = reply; p && n < DNS_SRV_MAX; p = p->next) {
        snprintf(recs[n].target, sizeof(recs[n].target), "%s", p->host);
        recs[n].port = p->port;
        recs[n].priority = p->priority;
        recs[n].weight = p->weight;
        n++;
    }
    if (reply)
        ares_free_data(reply);
    /* RFC 2782: a single record with target "." means the service is decidedly absent. */
    if (status == ARES_SUCCESS && n == 1 && (recs[0].target[0] == '\0' ||
                                             strcmp(recs[0].target, ".") == 0)) {
        n = 0;
        status = ARES_ENODATA;
    }
    dns_srv_sort(recs, n);
    q->srv_cb(status_err(status), status == ARES_SUCCESS ? "" : ares_strerror(status), recs, n,
              q->arg);
    free(q);
}

void dns_srv_lookup(struct dns_resolver *r, const char *name, dns_srv_h *cb, void *arg)
{
    struct dns_query *q = query_new(r, arg);
    if (!q) {
        cb(SYNTH_ENOMEM, "out of memory", NULL, 0, arg);
        return;
    }
    q->srv_cb = cb;
    ares_query(r->channel, name, ns_c_in, ns_t_srv, srv_answer, q);
    schedule(r);
}

static void addr_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct dns_query *q = arg;
    struct dns_addr addrs[DNS_ADDR_MAX];
    size_t n = 0;
    (void)timeouts;

    for (struct ares_addrinfo_node *p = res ? res->nodes : NULL; p && n < DNS_ADDR_MAX;
         p = p->ai_next) {
        if ((size_t)p->ai_addrlen > sizeof(addrs[n].ss))
            continue;
        memset(&addrs[n], 0, sizeof(addrs[n]));
        memcpy(&addrs[n].ss, p->ai_addr, (size_t)p->ai_addrlen);
        addrs[n].len = (socklen_t)p->ai_addrlen;
        uint16_t port = htons(q->port);
        if (p->ai_family == AF_INET)
            ((struct sockaddr_in *)&addrs[n].ss)->sin_port = port;
        else if (p->ai_family == AF_INET6)
            ((struct sockaddr_in6 *)&addrs[n].ss)->sin6_port = port;
        else
            continue;
        n++;
    }
    if (res)
        ares_freeaddrinfo(res);
    if (status == ARES_SUCCESS && n == 0)
        status = ARES_ENODATA;
    q->addr_cb(status_err(status), status == ARES_SUCCESS ? "" : ares_strerror(status), addrs, n,
               q->arg);
    free(q);
}

void dns_addr_lookup(struct dns_resolver *r, const char *name, uint16_t port, dns_addr_h *cb,
                     void *arg)
{
    struct ares_addrinfo_hints hints;
    struct dns_query *q = query_new(r, arg);
    if (!q) {
        cb(SYNTH_ENOMEM, "out of memory", NULL, 0, arg);
        return;
    }
    q->addr_cb = cb;
    q->port = port;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    ares_getaddrinfo(r->channel, name, NULL, &hints, addr_answer, q);
    schedule(r);
}
