/* The certificate check of a target's endpoints (cert_sweep.h). */
#include "synth/cli/cert_sweep.h"

#include "reports/cert_findings.h"
#include "synth/lab/lab.h"
#include "synth/sip/transport.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cert_sweep_init(struct cert_sweep *s, const struct target *t, struct lab *lab,
                     uint32_t timeout_ms)
{
    memset(s, 0, sizeof(*s));
    s->target = t;
    s->lab = lab;
    s->timeout_ms = timeout_ms;
}

static void item_names(struct cert_sweep_item *it, const char (*names)[TARGET_HOST_MAX], size_t n)
{
    for (size_t i = 0; i < n && i < CERT_NAMES_MAX; i++)
        it->names[it->name_count++] = names[i];
}

/* A SIP endpoint of the target (registrar, edge) as an item, unless a
 * checks: entry has its role or it is not TLS (or DNS did not find it). */
static void add_endpoint(struct cert_sweep *s, const char *name, enum target_role role,
                         const struct target_endpoint *ep)
{
    const struct target *t = s->target;
    for (size_t i = 0; i < t->check_count; i++)
        if (t->checks[i].role == role)
            return;
    if (!ep || !ep->host[0] || ep->transport != SIP_TRANSPORT_TLS ||
        s->item_count >= CERT_SWEEP_MAX)
        return;
    struct cert_sweep_item *it = &s->items[s->item_count++];
    it->name = name;
    it->role = role;
    /* The address the file (or DNS) gives; the name is what the certificate must carry. */
    it->host = ep->address[0] ? ep->address : ep->host;
    it->port = ep->port;
    it->tls = &ep->tls;
    it->server_name = it->tls->server_name[0] ? it->tls->server_name : ep->host;
    it->mtls = it->tls->client_cert[0] != '\0';
}

static void add_check(struct cert_sweep *s, const struct target_check *k)
{
    if (s->item_count >= CERT_SWEEP_MAX)
        return;
    struct cert_sweep_item *it = &s->items[s->item_count++];
    it->name = k->name;
    it->role = k->role;
    it->host = k->host;
    it->port = k->port;
    it->tls = &k->tls;
    it->server_name = k->tls.server_name;
    item_names(it, k->names, k->name_count);
    it->mtls = k->mtls;
    it->warn_days = k->warn_days;
    it->crit_days = k->crit_days;
}

void cert_sweep_add_target(struct cert_sweep *s)
{
    const struct target *t = s->target;
    add_endpoint(s, "registrar", TARGET_ROLE_REGISTRAR, target_endpoint_for(t, ACCESS_INTERNAL));
    add_endpoint(s, "edge", TARGET_ROLE_EDGE, target_endpoint_for(t, ACCESS_EDGE));
    for (size_t i = 0; i < t->check_count; i++)
        add_check(s, &t->checks[i]);
}

void cert_sweep_add_role(struct cert_sweep *s, enum target_role role)
{
    const struct target *t = s->target;
    for (size_t i = 0; i < t->check_count; i++)
        if (t->checks[i].role == role)
            add_check(s, &t->checks[i]);
}

static void probe_done(int rc, const struct synth_error *detail, struct cert_probe *result,
                       void *arg)
{
    struct cert_sweep_item *it = arg;
    (void)result;
    it->probe_rc = rc;
    if (rc)
        it->perr = *detail;
}

static int probe_start(struct cert_sweep *s, struct cert_sweep_item *it, struct event_base *base,
                       struct synth_error *err)
{
    struct sip_addr_storage addr;
    struct cert_probe_conn *conn;
    int rc;

    it->trust_name = it->tls->ca_file[0] ? it->tls->ca_file : "the system store";
    if ((rc = cert_trust_store_new(&it->trust, it->tls->ca_file, err)))
        return rc;
    snprintf(it->peer, sizeof(it->peer), "%s %s:%u", it->name, it->host, it->port);
    struct cert_probe_opts po = {
        .server_name = it->server_name,
        .peer = it->peer,
        .timeout_ms = s->timeout_ms,
        .client_cert = it->tls->client_cert,
        .client_key = it->tls->client_key,
    };
    /* The lab's UM expects its Front End's certificate, held in memory. */
    if (s->lab && it->role == TARGET_ROLE_UM && !po.client_cert[0])
        lab_fe_identity(s->lab, &po.client_x509, &po.client_pkey);
    it->probe_rc = sip_addr_resolve(&addr, it->host, it->port, &it->perr);
    if (it->probe_rc)
        return 0;
    return cert_probe_start(&conn, base, (const struct sockaddr *)&addr.ss, addr.len, &po,
                            &it->probe, probe_done, it, err);
}

/* Every endpoint at once on one loop: the check takes as long as the
 * slowest endpoint, not the sum. */
int cert_sweep_probe(struct cert_sweep *s, struct synth_error *err)
{
    struct event_base *base = event_base_new();
    int rc = 0;

    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "event loop: out of memory");
    for (size_t i = 0; i < s->item_count && rc == 0; i++)
        rc = probe_start(s, &s->items[i], base, err);
    /* Returns once every probe has called done; after a set-up error the
     * probes started still end, each under its deadline. */
    event_base_dispatch(base);
    event_base_free(base);
    return rc;
}

static int judge(struct cert_sweep_item *it, struct verdict *v, json_t *certs,
                 struct synth_error *err)
{
    if (!(it->report = calloc(1, sizeof(*it->report))))
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (it->probe.chain.n > 0) {
        struct cert_expect e = {
            .fqdn = it->server_name,
            .name_count = it->name_count,
            .mtls = it->mtls,
            .warn_days = it->warn_days,
            .crit_days = it->crit_days,
            .trust = it->trust,
            .trust_name = it->trust_name,
        };
        memcpy(e.names, it->names, sizeof(e.names));
        int rc = cert_check_evaluate(&it->probe.chain, &e, it->report, err);
        if (rc)
            return rc;
        it->judged = true;
    }
    struct cert_endpoint ep = {
        .name = it->name,
        .role = it->role,
        .host = it->host,
        .port = it->port,
        .server_name = it->server_name,
        .names = it->names,
        .name_count = it->name_count,
        .mtls = it->mtls,
        .trust_name = it->trust_name,
        .probe_err = it->probe_rc,
        .probe_detail = it->perr.msg,
        .probe = &it->probe,
        .report = it->judged ? it->report : NULL,
    };
    if ((v && cert_findings_add(v, &ep)) ||
        (certs && json_array_append_new(certs, cert_findings_json(&ep))))
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    return 0;
}

int cert_sweep_judge(struct cert_sweep *s, struct verdict *v, json_t *certs,
                     struct synth_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->item_count && rc == 0; i++)
        rc = judge(&s->items[i], v, certs, err);
    return rc;
}

static bool san_has(const struct cert_facts *f, const char *name)
{
    char want[CERT_NAME_MAX + 8];
    snprintf(want, sizeof(want), "DNS:%s", name);
    for (size_t i = 0; i < f->san_count; i++)
        if (strcasecmp(f->sans[i], want) == 0)
            return true;
    return false;
}

size_t cert_sweep_um_seen(const struct cert_sweep *s, struct um_cert_seen *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->item_count && n < max; i++) {
        const struct cert_sweep_item *it = &s->items[i];
        if (it->role != TARGET_ROLE_UM || !it->judged || it->report->chain_len == 0)
            continue;
        const struct cert_facts *leaf = &it->report->chain[0];
        struct um_cert_seen *u = &out[n++];
        snprintf(u->endpoint, sizeof(u->endpoint), "%s", it->peer);
        snprintf(u->cn_seen, sizeof(u->cn_seen), "%s", leaf->has_cn ? leaf->subject_cn : "");
        snprintf(u->fqdn, sizeof(u->fqdn), "%s", it->server_name);
        u->fqdn_in_san = san_has(leaf, it->server_name);
        u->cn_ok = it->report->rules[CERT_RULE_SUBJECT].status == CERT_PASS;
    }
    return n;
}

void cert_sweep_free(struct cert_sweep *s)
{
    for (size_t i = 0; i < s->item_count; i++) {
        X509_STORE_free(s->items[i].trust);
        cert_probe_free(&s->items[i].probe);
        free(s->items[i].report);
    }
    s->item_count = 0;
}
