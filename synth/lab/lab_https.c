/* HTTPS listeners for the lab (lab_https.h). */
#include "synth/lab/lab_https.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Request head and body bounds: UCWA requests are a few hundred bytes; a
 * bearer token makes the head ~2 KB. */
#define LAB_HTTPS_HEADERS_MAX (16 * 1024)
#define LAB_HTTPS_BODY_MAX (64 * 1024)

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);
    if (!ssl)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                                             BUFFEREVENT_SSL_ACCEPTING,
                                                             BEV_OPT_CLOSE_ON_FREE);
    if (bev) /* clients and proxies often close without close_notify */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

int lab_https_listen(struct evhttp **out, struct event_base *base, SSL_CTX *ctx, const char *host,
                     uint16_t port, uint32_t idle_s, uint16_t *bound, const char *what,
                     struct synth_error *err)
{
    struct evhttp *http = evhttp_new(base);
    if (!http)
        return synth_error_set(err, SYNTH_ENOMEM, "%s: evhttp_new failed", what);
    if (ctx) /* NULL: plain HTTP (a web site's port 80 / 8080) */
        evhttp_set_bevcb(http, bev_cb, ctx);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
    evhttp_set_max_headers_size(http, LAB_HTTPS_HEADERS_MAX);
    evhttp_set_max_body_size(http, LAB_HTTPS_BODY_MAX);
    evhttp_set_timeout(http, (int)idle_s);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, host, port);
    if (!bs) {
        evhttp_free(http);
        return synth_error_set(err, SYNTH_EIO, "%s: cannot listen on %s port %u: %s", what, host,
                               port, strerror(errno));
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0) {
        evhttp_free(http);
        return synth_error_set(err, SYNTH_EIO, "%s: getsockname: %s", what, strerror(errno));
    }
    *bound = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *out = http;
    return 0;
}

void lab_https_nodelay(struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void lab_https_reply(struct evhttp_request *req, int status, const char *content_type,
                     const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (text && b) {
        evbuffer_add(b, text, strlen(text));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    }
    evhttp_send_reply(req, status, NULL, b);
    if (b)
        evbuffer_free(b);
}

void lab_https_reply_json(struct evhttp_request *req, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    lab_https_reply(req, status, "application/vnd.microsoft.com.ucwa+json; charset=utf-8", text);
    free(text);
}
