/* Asynchronous DNS on an event loop: SRV (RFC 2782) and address lookups
 * through c-ares, its sockets and timers driven by the loop, so a worker
 * never blocks on a resolver. How SfB clients find their servers
 * (_sipinternaltls._tcp, _sip._tls, lyncdiscover) is in sip_discovery.h. */
#ifndef SYNTH_DNS_RESOLVER_H
#define SYNTH_DNS_RESOLVER_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct dns_resolver;

/* RFC 1035 2.3.4: 255 octets in wire form, 253 characters as text. */
#define DNS_NAME_MAX 256
/* Records one SRV answer may give us; a real deployment has a handful. */
#define DNS_SRV_MAX 16
/* Addresses kept per name (A and AAAA together). */
#define DNS_ADDR_MAX 8

struct dns_opts {
    /* "127.0.0.1:5353,[::1]:53"; NULL or "" = the system's (resolv.conf). */
    const char *servers;
    uint32_t timeout_ms; /* per try, default 2000 */
    uint32_t tries;      /* default 2 */
};

struct dns_srv {
    char target[DNS_NAME_MAX];
    uint16_t port, priority, weight;
};

struct dns_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* err is 0, SYNTH_ENOTFOUND (the name or record does not exist),
 * SYNTH_ETIMEDOUT (no server answered) or SYNTH_EIO (a resolver error,
 * described in detail). Records come in the order a client tries them:
 * priority ascending, then weight descending (RFC 2782 leaves ties to a
 * random draw; a tester wants the same order every run). */
typedef void dns_srv_h(int err, const char *detail, const struct dns_srv *recs, size_t n,
                       void *arg);
typedef void dns_addr_h(int err, const char *detail, const struct dns_addr *addrs, size_t n,
                        void *arg);

/* A resolver on base (call on its thread). o may be NULL for the defaults.
 * Errors name the bad server list. Caller frees with dns_resolver_free,
 * which calls every pending callback with SYNTH_ECANCELED. */
int dns_resolver_new(struct dns_resolver **out, struct event_base *base,
                     const struct dns_opts *o, struct synth_error *err);
void dns_resolver_free(struct dns_resolver *r);

/* Looks up the SRV records of name ("_sip._tls.contoso.com"). */
void dns_srv_lookup(struct dns_resolver *r, const char *name, dns_srv_h *cb, void *arg);
/* Looks up name's A and AAAA records (an IP literal answers at once);
 * port goes into each address. */
void dns_addr_lookup(struct dns_resolver *r, const char *name, uint16_t port, dns_addr_h *cb,
                     void *arg);

/* The address as text without the port ("192.0.2.1", "2001:db8::1"); "?"
 * for a family it does not know. */
void dns_addr_text(const struct dns_addr *a, char *out, size_t size);

/* Orders SRV records as dns_srv_h describes (exposed for tests). */
void dns_srv_sort(struct dns_srv *recs, size_t n);

#endif
