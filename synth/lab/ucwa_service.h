/* The lab's UCWA web service: what a Skype for Business Front End's web
 * site serves a UCWA client (autodiscover root, user resource with the
 * MsRtcOAuth challenge, the oauthtoken password grant, applications with
 * me/makeMeAvailable/reportMyActivity and the event channel), over TLS
 * with evhttp, for the lab's users. docs/lab.md lists the resources. */
#ifndef SYNTH_LAB_UCWA_SERVICE_H
#define SYNTH_LAB_UCWA_SERVICE_H

#include "synth/base/err.h"
#include "synth/lab/lab_config.h"

#include <openssl/ssl.h>
#include <stdint.h>

struct event_base;
struct ucwa_service;

/* Token lifetime when the fault knob does not shorten it: SfB's OAuth
 * tokens last 8 hours. */
#define UCWA_SERVICE_TOKEN_S (8 * 3600)
/* The server's P-GET range (web.config PendingGetWaitTimeMin/Max). The lab
 * holds a P-GET for what the client asks, from 1 s (so tests need not wait
 * 180 s) up to the maximum; without timeout= it holds the minimum. */
#define UCWA_SERVICE_PGET_DEFAULT_S 180
#define UCWA_SERVICE_PGET_MAX_S 1800

struct ucwa_service_opts {
    const struct lab_config *cfg; /* users, password, faults; borrowed */
    SSL_CTX *server_ctx;          /* the web certificate; borrowed */
    uint16_t port;                /* 0 = ephemeral */
    /* Which Front End web site this is: its Autodiscover document says
     * AccessLocation Internal or External (the external site is the one
     * the reverse proxy publishes). */
    bool internal;
    bool http;                    /* also plain HTTP (the site's 80 / 8080), ephemeral port */
};

/* Listens on cfg->listen_host:port. Call on base's thread; free there. */
int ucwa_service_start(struct ucwa_service **out, struct event_base *base,
                       const struct ucwa_service_opts *o, struct synth_error *err);
uint16_t ucwa_service_port(const struct ucwa_service *s);
uint16_t ucwa_service_http_port(const struct ucwa_service *s); /* 0 without opts.http */
void ucwa_service_free(struct ucwa_service *s);

#endif
