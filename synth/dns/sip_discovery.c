/* SfB client discovery by DNS (sip_discovery.h). The names are the ones
 * Microsoft documents for Lync/SfB clients: _sipinternaltls._tcp for the
 * internal pool, _sip._tls for the Edge, lyncdiscover[internal] for the
 * autodiscover web service. */
#include "sip_discovery.h"

#include "synth/base/clock.h"
#include "synth/base/loop.h"

#include <event2/event.h>

#include <stdio.h>
#include <string.h>

/* The autodiscover service answers on HTTPS. */
#define AUTODISCOVER_PORT 443

static const struct {
    const char *name, *prefix;
    bool srv;
} records[DISC_RECORD_COUNT] = {
    [DISC_SIP_INTERNAL] = {"sip-internal", "_sipinternaltls._tcp.", true},
    [DISC_SIP_EXTERNAL] = {"sip-external", "_sip._tls.", true},
    [DISC_AUTODISCOVER_INTERNAL] = {"autodiscover-internal", "lyncdiscoverinternal.", false},
    [DISC_AUTODISCOVER] = {"autodiscover", "lyncdiscover.", false},
};

const char *discovery_record_name(enum discovery_record k)
{
    return (unsigned)k < DISC_RECORD_COUNT ? records[k].name : "?";
}

struct discovery_run {
    struct sip_discovery *d;
    struct dns_resolver *r;
    struct event_base *base;
    int64_t start_us;
    unsigned pending;
};

struct entry_ctx {
    struct discovery_run *run;
    struct discovery_entry *e;
};

static void entry_done(struct entry_ctx *c)
{
    c->e->elapsed_us = clock_mono_us() - c->run->start_us;
    if (--c->run->pending == 0)
        event_base_loopbreak(c->run->base);
}

static void addr_done(int err, const char *detail, const struct dns_addr *addrs, size_t n,
                      void *arg)
{
    struct entry_ctx *c = arg;
    c->e->addr_err = err;
    if (err == 0 && n > 0)
        c->e->addr = addrs[0];
    else if (!c->e->detail[0])
        snprintf(c->e->detail, sizeof(c->e->detail), "%s: %s", c->e->host,
                 detail && *detail ? detail : "no address");
    entry_done(c);
}

static void srv_done(int err, const char *detail, const struct dns_srv *recs, size_t n,
                     void *arg)
{
    struct entry_ctx *c = arg;
    struct discovery_entry *e = c->e;
    e->err = err;
    if (err != 0 || n == 0) {
        if (err == 0)
            e->err = SYNTH_ENOTFOUND;
        snprintf(e->detail, sizeof(e->detail), "%s", detail && *detail ? detail : "no records");
        e->addr_err = e->err;
        entry_done(c);
        return;
    }
    memcpy(e->srv, recs, n * sizeof(*recs));
    e->srv_count = n;
    snprintf(e->host, sizeof(e->host), "%s", recs[0].target);
    e->port = recs[0].port;
    dns_addr_lookup(c->run->r, e->host, e->port, addr_done, c);
}

/* An autodiscover name is its own host: found when it has an address. */
static void name_done(int err, const char *detail, const struct dns_addr *addrs, size_t n,
                      void *arg)
{
    struct entry_ctx *c = arg;
    c->e->err = err;
    addr_done(err, detail, addrs, n, arg);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

int sip_discovery_run(struct sip_discovery *d, const char *domain, const struct dns_opts *o,
                      uint32_t deadline_ms, struct synth_error *err)
{
    struct discovery_run run = {.d = d};
    struct entry_ctx ctx[DISC_RECORD_COUNT];
    struct event *deadline = NULL;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    if (strlen(domain) + sizeof("_sipinternaltls._tcp.") > DNS_NAME_MAX)
        return synth_error_set(err, SYNTH_ECONFIG, "dns: domain '%.64s...' is too long", domain);
    snprintf(d->domain, sizeof(d->domain), "%s", domain);
    for (int k = 0; k < DISC_RECORD_COUNT; k++) {
        struct discovery_entry *e = &d->e[k];
        snprintf(e->query, sizeof(e->query), "%s%s", records[k].prefix, domain);
        e->is_srv = records[k].srv;
        /* Until an answer says otherwise: what the deadline leaves. */
        e->err = e->addr_err = SYNTH_ETIMEDOUT;
        snprintf(e->detail, sizeof(e->detail), "no answer within %u ms", deadline_ms);
    }
    run.base = loop_new(false);
    if (!run.base)
        return synth_error_set(err, SYNTH_ENOMEM, "dns: out of memory");
    rc = dns_resolver_new(&run.r, run.base, o, err);
    if (rc != 0)
        goto out;
    deadline = evtimer_new(run.base, deadline_cb, run.base);
    if (!deadline) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "dns: out of memory");
        goto out;
    }
    struct timeval tv = {deadline_ms / 1000, (deadline_ms % 1000) * 1000};
    evtimer_add(deadline, &tv);
    run.start_us = clock_mono_us();
    run.pending = DISC_RECORD_COUNT;
    for (int k = 0; k < DISC_RECORD_COUNT; k++) {
        struct discovery_entry *e = &d->e[k];
        ctx[k] = (struct entry_ctx){&run, e};
        e->detail[0] = '\0';
        if (e->is_srv) {
            dns_srv_lookup(run.r, e->query, srv_done, &ctx[k]);
        } else {
            /* Same size as query; memcpy, as GCC's -Wrestrict misreads a snprintf between fields. */
            memcpy(e->host, e->query, strlen(e->query) + 1);
            e->port = AUTODISCOVER_PORT;
            dns_addr_lookup(run.r, e->host, e->port, name_done, &ctx[k]);
        }
    }
    if (run.pending)
        event_base_dispatch(run.base);
    for (int k = 0; k < DISC_RECORD_COUNT; k++)
        if (d->e[k].err == SYNTH_ETIMEDOUT && !d->e[k].detail[0])
            snprintf(d->e[k].detail, sizeof(d->e[k].detail), "no answer within %u ms",
                     deadline_ms);
out:
    /* Lookups still pending answer SYNTH_ECANCELED into ctx; keep their
     * timeout verdict rather than let the cancellation overwrite it. */
    if (run.r) {
        struct sip_discovery keep = *d;
        dns_resolver_free(run.r);
        *d = keep;
    }
    if (deadline)
        event_free(deadline);
    event_base_free(run.base);
    return rc;
}

bool sip_discovery_found(const struct sip_discovery *d, enum discovery_record k)
{
    return (unsigned)k < DISC_RECORD_COUNT && d->e[k].err == 0 && d->e[k].addr_err == 0;
}
