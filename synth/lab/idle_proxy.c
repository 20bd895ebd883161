/* The lab's reverse proxy (idle_proxy.h): evhttp on both sides, one
 * backend connection per request, as nginx talks to an upstream by default
 * (HTTP/1.0, no upstream keep-alive), so a held P-GET never queues another
 * request behind it. */
#include "synth/lab/idle_proxy.h"

#include "synth/lab/lab_https.h"
#include "synth/tls/tls_ctx.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The backend connection's own timers sit past the proxy's read timeout,
 * so it is always the proxy that gives up first, with its 504. */
#define IDLE_PROXY_BACKEND_SLACK_S 5
#define IDLE_PROXY_NAME_MAX 256

/* One request in flight. */
struct relay {
    struct idle_proxy *p;
    struct evhttp_request *creq;     /* the client's; NULL once answered */
    struct evhttp_connection *evcon; /* to the backend */
    struct event *timer;             /* the read timeout, then the reaper */
    struct relay *prev, *next;
};

struct idle_proxy {
    struct event_base *base;
    struct evhttp *http;
    uint16_t port;
    SSL_CTX *backend_ctx;
    char backend_host[64];
    char backend_name[IDLE_PROXY_NAME_MAX];
    uint16_t backend_port;
    uint32_t timeout_s;
    struct relay *relays;
};

/* RFC 7230 6.1: hop-by-hop headers stay on their hop; Content-Length is
 * evhttp's to write for the body it sends. */
static bool hop_by_hop(const char *name)
{
    static const char *const names[] = {"Connection", "Keep-Alive", "Proxy-Authenticate",
                                        "Proxy-Authorization", "TE", "Trailer",
                                        "Transfer-Encoding", "Upgrade", "Content-Length"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

static void copy_headers(struct evkeyvalq *to, const struct evkeyvalq *from)
{
    for (const struct evkeyval *kv = from->tqh_first; kv; kv = kv->next.tqe_next)
        if (!hop_by_hop(kv->key))
            evhttp_add_header(to, kv->key, kv->value);
}

static void relay_free(struct relay *r)
{
    struct idle_proxy *p = r->p;
    if (r->evcon)
        evhttp_connection_free(r->evcon); /* drops its request without a callback */
    if (r->creq) /* the proxy is going away under a request */
        evhttp_send_reply(r->creq, 503, "Service Unavailable", NULL);
    if (r->prev)
        r->prev->next = r->next;
    else
        p->relays = r->next;
    if (r->next)
        r->next->prev = r->prev;
    event_free(r->timer);
    free(r);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    relay_free(arg);
}

/* nginx's page for the same case. */
static void reply_gateway(struct evhttp_request *req, int status, const char *reason)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_printf(b, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
                               "<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
                            status, reason, status, reason);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/html");
    evhttp_send_reply(req, status, reason, b);
    if (b)
        evbuffer_free(b);
}

/* The read timeout: the backend held the request too long. */
static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct relay *r = arg;
    struct evhttp_request *creq = r->creq;
    r->creq = NULL;
    reply_gateway(creq, 504, "Gateway Time-out");
    relay_free(r);
}

static void backend_done(struct evhttp_request *breq, void *arg)
{
    struct relay *r = arg;
    struct evhttp_request *creq = r->creq;
    r->creq = NULL;
    event_del(r->timer);
    int code = breq ? evhttp_request_get_response_code(breq) : 0;
    if (code == 0) {
        reply_gateway(creq, 502, "Bad Gateway");
    } else {
        copy_headers(evhttp_request_get_output_headers(creq),
                     evhttp_request_get_input_headers(breq));
        evhttp_send_reply(creq, code, evhttp_request_get_response_code_line(breq),
                          evhttp_request_get_input_buffer(breq));
    }
    /* libevent still holds the connection during this callback: free it
     * from the loop, right after. */
    event_assign(r->timer, r->p->base, -1, 0, reap_cb, r);
    event_active(r->timer, EV_TIMEOUT, 0);
}

static int relay_start(struct idle_proxy *p, struct relay *r, struct evhttp_request *creq)
{
    struct synth_error e;
    SSL *ssl = SSL_new(p->backend_ctx);
    if (!ssl || tls_conn_prepare(ssl, p->backend_name, &e) != 0) {
        SSL_free(ssl);
        return -1;
    }
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        p->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        SSL_free(ssl);
        return -1;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    r->evcon = evhttp_connection_base_bufferevent_new(p->base, NULL, bev, p->backend_host,
                                                      p->backend_port);
    if (!r->evcon) {
        bufferevent_free(bev);
        return -1;
    }
    evhttp_connection_set_timeout(r->evcon, (int)(p->timeout_s + IDLE_PROXY_BACKEND_SLACK_S));
    struct evhttp_request *breq = evhttp_request_new(backend_done, r);
    if (!breq)
        return -1;
    copy_headers(evhttp_request_get_output_headers(breq), evhttp_request_get_input_headers(creq));
    evbuffer_add_buffer(evhttp_request_get_output_buffer(breq),
                        evhttp_request_get_input_buffer(creq));
    /* evhttp_make_request frees breq itself when it fails. */
    if (evhttp_make_request(r->evcon, breq, evhttp_request_get_command(creq),
                            evhttp_request_get_uri(creq)) != 0)
        return -1;
    lab_https_nodelay(r->evcon); /* connecting: the socket exists now */
    struct timeval tv = {p->timeout_s, 0};
    return evtimer_add(r->timer, &tv);
}

static void request_cb(struct evhttp_request *creq, void *arg)
{
    struct idle_proxy *p = arg;
    lab_https_nodelay(evhttp_request_get_connection(creq));
    struct relay *r = calloc(1, sizeof(*r));
    if (r)
        r->timer = evtimer_new(p->base, timeout_cb, r);
    if (!r || !r->timer) {
        free(r);
        reply_gateway(creq, 503, "Service Unavailable");
        return;
    }
    r->p = p;
    r->creq = creq;
    r->next = p->relays;
    if (p->relays)
        p->relays->prev = r;
    p->relays = r;
    if (relay_start(p, r, creq) != 0) {
        r->creq = NULL;
        reply_gateway(creq, 502, "Bad Gateway");
        relay_free(r);
    }
}

int idle_proxy_start(struct idle_proxy **out, struct event_base *base,
                     const struct idle_proxy_opts *o, struct synth_error *err)
{
    struct idle_proxy *p = calloc(1, sizeof(*p));
    if (!p)
        return synth_error_set(err, SYNTH_ENOMEM, "proxy: out of memory");
    p->base = base;
    p->backend_ctx = o->backend_ctx;
    snprintf(p->backend_host, sizeof(p->backend_host), "%s", o->backend_host);
    snprintf(p->backend_name, sizeof(p->backend_name), "%s", o->backend_name);
    p->backend_port = o->backend_port;
    p->timeout_s = o->timeout_s ? o->timeout_s : IDLE_PROXY_DEFAULT_TIMEOUT_S;
    int rc = lab_https_listen(&p->http, base, o->server_ctx, o->listen_host, o->port,
                              p->timeout_s, &p->port, "proxy", err);
    if (rc != 0) {
        free(p);
        return rc;
    }
    evhttp_set_gencb(p->http, request_cb, p);
    *out = p;
    return 0;
}

uint16_t idle_proxy_port(const struct idle_proxy *p)
{
    return p->port;
}

void idle_proxy_free(struct idle_proxy *p)
{
    if (!p)
        return;
    while (p->relays)
        relay_free(p->relays);
    evhttp_free(p->http);
    free(p);
}
