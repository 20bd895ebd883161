/* The lab's middlebox on the SIP path (the sip_idle_timeout_s knob): a
 * TCP relay in front of a TLS listener (the Front End's, the Edge's) that
 * cuts a connection idle for its timeout, as a stateful firewall or a
 * layer-4 load balancer does. TLS stays end to end: the relay sees only
 * bytes, so idle means no byte in either direction, and the client's
 * double-CRLF keep-alives (and the server's pongs) keep a connection
 * alive. idle_proxy (the web side) terminates TLS to answer 504s; a SIP
 * middlebox does not, hence a relay of its own. */
#ifndef SYNTH_LAB_TCP_IDLE_RELAY_H
#define SYNTH_LAB_TCP_IDLE_RELAY_H

#include "synth/base/err.h"

#include <stdint.h>

struct event_base;
struct tcp_idle_relay;

/* What the client sees when the relay cuts an idle connection. */
enum tcp_idle_cut {
    TCP_IDLE_CUT_FIN,  /* an orderly close: EOF on the next read (proxies, some firewalls) */
    TCP_IDLE_CUT_RST,  /* a reset (SO_LINGER 0), as load balancers and many firewalls send */
    TCP_IDLE_CUT_DROP, /* the state is forgotten silently: what the client sends goes nowhere */
    TCP_IDLE_CUT_COUNT,
};

const char *tcp_idle_cut_name(enum tcp_idle_cut c); /* "fin", "rst", "drop" */

struct tcp_idle_relay_opts {
    const char *listen_host;  /* numeric address */
    const char *backend_host; /* numeric address */
    uint16_t backend_port;
    uint32_t timeout_s;       /* > 0 */
    enum tcp_idle_cut cut;
};

int tcp_idle_relay_start(struct tcp_idle_relay **out, struct event_base *base,
                         const struct tcp_idle_relay_opts *o, struct synth_error *err);
uint16_t tcp_idle_relay_port(const struct tcp_idle_relay *r);
void tcp_idle_relay_free(struct tcp_idle_relay *r);

#endif
