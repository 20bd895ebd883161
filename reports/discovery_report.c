/* DNS discovery results and findings (discovery_report.h). */
#include "reports/discovery_report.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) ? -1 : 0;
}

static json_t *targets_json(const struct discovery_entry *e)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < e->srv_count; i++) {
        json_t *t = json_object();
        int rc = !t;
        rc |= set(t, "host", json_string(e->srv[i].target));
        rc |= set(t, "port", json_integer(e->srv[i].port));
        rc |= set(t, "priority", json_integer(e->srv[i].priority));
        rc |= set(t, "weight", json_integer(e->srv[i].weight));
        if (rc || json_array_append_new(a, t)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *entry_json(enum discovery_record k, const struct discovery_entry *e)
{
    char ip[INET6_ADDRSTRLEN] = "";
    bool found = e->err == 0 && e->addr_err == 0;
    json_t *o = json_object();
    int rc = !o;
    if (found)
        dns_addr_text(&e->addr, ip, sizeof(ip));
    rc |= set(o, "record", json_string(discovery_record_name(k)));
    rc |= set(o, "query", json_string(e->query));
    rc |= set(o, "type", json_string(e->is_srv ? "SRV" : "A/AAAA"));
    rc |= set(o, "found", json_boolean(found));
    rc |= set(o, "error", found ? json_null() : json_string(e->detail));
    if (e->is_srv)
        rc |= set(o, "targets", targets_json(e));
    rc |= set(o, "host", e->host[0] ? json_string(e->host) : json_null());
    rc |= set(o, "port", e->port ? json_integer(e->port) : json_null());
    rc |= set(o, "address", found ? json_string(ip) : json_null());
    rc |= set(o, "elapsed_ms", json_real((double)(e->elapsed_us / 100) / 10.0));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *discovery_json(const struct sip_discovery *d)
{
    json_t *o = json_object(), *recs = json_array();
    int rc = !o || !recs;
    for (int k = 0; !rc && k < DISC_RECORD_COUNT; k++) {
        json_t *e = entry_json((enum discovery_record)k, &d->e[k]);
        rc |= !e || json_array_append_new(recs, e);
    }
    rc |= set(o, "domain", json_string(d->domain));
    rc |= set(o, "records", recs);
    recs = NULL;
    if (rc) {
        json_decref(recs);
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Names compare without case and without the root's trailing dot. */
static bool same_host(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

static const struct {
    enum discovery_record record;
    enum access_path path;
    const char *who, *publish;
} srv_records[] = {
    {DISC_SIP_INTERNAL, ACCESS_INTERNAL, "internal clients",
     "SRV 0 0 5061 <pool FQDN> (the Front End pool or Director)"},
    {DISC_SIP_EXTERNAL, ACCESS_EDGE, "remote clients",
     "SRV 0 0 443 <Edge access FQDN> (sip.<domain>)"},
};

static int srv_missing(struct verdict *v, const struct discovery_entry *e, const char *who,
                       const char *publish, bool needed)
{
    return verdict_add_findingf(
        v, needed ? VERDICT_CRITICAL : VERDICT_WARNING, "dns-srv-missing",
        needed ? "DNS gives no server for the users of this run: they cannot sign in"
               : "a SIP SRV record clients look up is missing",
        publish, "%s: %s (%s find their server through it); publish %s", e->query,
        e->detail[0] ? e->detail : "not found", who, e->query);
}

int discovery_findings_evaluate(struct verdict *v, const struct sip_discovery *d,
                                const struct discovery_needs *needs)
{
    int err = 0;
    for (size_t i = 0; !err && i < sizeof(srv_records) / sizeof(srv_records[0]); i++) {
        const struct discovery_entry *e = &d->e[srv_records[i].record];
        enum access_path p = srv_records[i].path;
        const struct target_endpoint *conf = needs->configured[p];
        if (e->err != 0 || e->addr_err != 0) {
            err = srv_missing(v, e, srv_records[i].who, srv_records[i].publish,
                              needs->path_used[p] && needs->path_by_dns[p]);
        } else if (conf && (!same_host(e->host, conf->host) || e->port != conf->port)) {
            err = verdict_add_findingf(
                v, VERDICT_WARNING, "dns-srv-mismatch",
                "the SRV record points elsewhere than the target's endpoint",
                "clients follow the SRV record: correct it, or the target if it is the "
                "record that is right",
                "%s -> %s:%u, the target's %s is %s:%u", e->query, e->host, e->port,
                p == ACCESS_EDGE ? "edge" : "registrar", conf->host, conf->port);
        }
    }
    for (int k = DISC_AUTODISCOVER_INTERNAL; !err && k <= DISC_AUTODISCOVER; k++) {
        const struct discovery_entry *e = &d->e[k];
        if (e->err == 0 && e->addr_err == 0)
            continue;
        err = verdict_add_findingf(
            v, VERDICT_WARNING, "dns-autodiscover-missing",
            "an autodiscover name does not resolve: mobile and Mac clients (UCWA) cannot find "
            "the deployment",
            "publish it (A or CNAME) to the reverse proxy (external) or the Front End pool "
            "(internal) that serves the autodiscover web service",
            "%s: %s", e->query, e->detail[0] ? e->detail : "not found");
    }
    return err;
}
