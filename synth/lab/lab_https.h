/* An HTTPS server socket for the lab's web components (the UCWA service,
 * the reverse proxy in front of it): libevent's evhttp with every accepted
 * connection wrapped in bufferevent_openssl. */
#ifndef SYNTH_LAB_HTTPS_H
#define SYNTH_LAB_HTTPS_H

#include "synth/base/err.h"

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdint.h>

struct event_base;
struct evhttp;
struct evhttp_request;

/* Makes an evhttp on base serving TLS with ctx (borrowed for its lifetime;
 * NULL serves plain HTTP) on host:port (0 = ephemeral; the bound port in *bound). idle_s closes a
 * connection that sends nothing for that long, between requests as while
 * reading one (a held request is not idle: evhttp stops reading during it).
 * Free with evhttp_free. what names the component in errors. */
int lab_https_listen(struct evhttp **out, struct event_base *base, SSL_CTX *ctx, const char *host,
                     uint16_t port, uint32_t idle_s, uint16_t *bound, const char *what,
                     struct synth_error *err);

/* Turns Nagle off on the connection of req (or of an outgoing evcon):
 * evhttp writes a response's head and body, and bufferevent_openssl its TLS
 * records, in separate segments, and Nagle with the peer's delayed ACK
 * held each exchange ~40 ms here. Idempotent, one syscall. */
struct evhttp_connection;
void lab_https_nodelay(struct evhttp_connection *evcon);

/* Sends status with text (NUL-terminated, borrowed) as a body of
 * content_type, or no body when text is NULL. */
void lab_https_reply(struct evhttp_request *req, int status, const char *content_type,
                     const char *text);

/* Sends status with a JSON body of UCWA's media type (text of j, which is
 * taken), or no body when j is NULL. */
void lab_https_reply_json(struct evhttp_request *req, int status, json_t *j);

#endif
