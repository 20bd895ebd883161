/* The lab's reverse proxy in front of the UCWA service (the webext role of
 * PROTOCOLS.md: external 443 → the Front End's external web site). It
 * terminates TLS and relays HTTP, because what kills mobile sessions in the
 * field is an HTTP proxy's timers: it closes a client connection idle for
 * its timeout and answers a request the backend holds longer than its read
 * timeout with 504, as nginx does (keepalive_timeout, proxy_read_timeout;
 * PEERS.md). A TCP pass-through could only cut connections, never answer
 * 504. One knob, proxy_idle_timeout_s, sets both timers. */
#ifndef SYNTH_LAB_IDLE_PROXY_H
#define SYNTH_LAB_IDLE_PROXY_H

#include "synth/base/err.h"

#include <openssl/ssl.h>
#include <stdint.h>

struct event_base;
struct idle_proxy;

/* The timers when the knob is 0: the value the field recommends
 * (PROTOCOLS.md, UCWA: >= 1200 s, 1800 s preferred). */
#define IDLE_PROXY_DEFAULT_TIMEOUT_S 1800

struct idle_proxy_opts {
    const char *listen_host;
    uint16_t port;            /* 0 = ephemeral */
    SSL_CTX *server_ctx;      /* the certificate it publishes; borrowed */
    SSL_CTX *backend_ctx;     /* client context trusting the backend's CA; borrowed */
    const char *backend_host; /* numeric address */
    const char *backend_name; /* the name the backend's certificate must match */
    uint16_t backend_port;
    uint32_t timeout_s;       /* idle and read timeout; 0 = IDLE_PROXY_DEFAULT_TIMEOUT_S */
};

int idle_proxy_start(struct idle_proxy **out, struct event_base *base,
                     const struct idle_proxy_opts *o, struct synth_error *err);
uint16_t idle_proxy_port(const struct idle_proxy *p);
void idle_proxy_free(struct idle_proxy *p);

#endif
