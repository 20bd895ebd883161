/* Finding a Skype for Business deployment from its SIP domain, as clients
 * do: the SRV records _sipinternaltls._tcp (internal clients, the pool) and
 * _sip._tls (remote clients, the Edge access service) and the autodiscover
 * names lyncdiscoverinternal / lyncdiscover (UCWA), with the address of each
 * SRV target. Every record's outcome is kept, found or not, for the report. */
#ifndef SYNTH_DNS_SIP_DISCOVERY_H
#define SYNTH_DNS_SIP_DISCOVERY_H

#include "synth/dns/dns_resolver.h"

enum discovery_record {
    DISC_SIP_INTERNAL,         /* _sipinternaltls._tcp.<domain> SRV */
    DISC_SIP_EXTERNAL,         /* _sip._tls.<domain> SRV */
    DISC_AUTODISCOVER_INTERNAL, /* lyncdiscoverinternal.<domain> A/AAAA */
    DISC_AUTODISCOVER,         /* lyncdiscover.<domain> A/AAAA */
    DISC_RECORD_COUNT,
};

/* "sip-internal", "sip-external", "autodiscover-internal", "autodiscover". */
const char *discovery_record_name(enum discovery_record k);

struct discovery_entry {
    char query[DNS_NAME_MAX];   /* the name looked up */
    bool is_srv;
    int err;                    /* 0 found, SYNTH_ENOTFOUND, SYNTH_ETIMEDOUT, ... */
    char detail[128];           /* the resolver's words when err != 0 */
    struct dns_srv srv[DNS_SRV_MAX]; /* in the order clients try them */
    size_t srv_count;
    /* The host a client would use first (the first SRV target, or the
     * autodiscover name itself) and its address. */
    char host[DNS_NAME_MAX];
    uint16_t port;              /* SRV port; 443 for autodiscover */
    int addr_err;               /* the address lookup of host */
    struct dns_addr addr;       /* valid when err == 0 && addr_err == 0 */
    int64_t elapsed_us;         /* from the first query to the last answer of this entry */
};

struct sip_discovery {
    char domain[DNS_NAME_MAX];
    struct discovery_entry e[DISC_RECORD_COUNT];
};

/* Runs every lookup of domain at once on a loop of its own and returns when
 * all have answered or deadline_ms has passed (what is left reads
 * SYNTH_ETIMEDOUT). For start-up, on a thread that may wait: the lookups
 * themselves are dns_resolver's, usable on any worker loop. 0, or an error
 * when the resolver cannot be made (a bad server list) or domain is too long. */
int sip_discovery_run(struct sip_discovery *d, const char *domain, const struct dns_opts *o,
                      uint32_t deadline_ms, struct synth_error *err);

/* Whether entry k gave a usable host and address. */
bool sip_discovery_found(const struct sip_discovery *d, enum discovery_record k);

#endif
