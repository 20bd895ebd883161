/* The certificate check of a target's endpoints (cert_sweep.h). */
#include "synth/tls/cert_sweep.h"

#include "synth/sip/transport.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cert_sweep_init(struct cert_sweep *s, const struct target *t, uint32_t timeout_ms)
{
    memset(s, 0, sizeof(*s));
    s->target = t;
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
    struct cert_sweep *s = it->sweep;
    (void)result;
    it->conn = NULL;
    it->probe_rc = rc;
    if (rc)
        it->perr = *detail;
    if (--s->running == 0 && s->done)
        s->done(s, s->arg);
}

static int probe_start(struct cert_sweep *s, struct cert_sweep_item *it, struct event_base *base,
                       struct synth_error *err)
{
    struct sip_addr_storage addr;
    int rc;

    it->sweep = s;
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
    if (it->role == TARGET_ROLE_UM && !po.client_cert[0]) {
        po.client_x509 = s->um_client_x509;
        po.client_pkey = s->um_client_pkey;
    }
    it->probe_rc = sip_addr_resolve(&addr, it->host, it->port, &it->perr);
    if (it->probe_rc)
        return 0;
    rc = cert_probe_start(&it->conn, base, (const struct sockaddr *)&addr.ss, addr.len, &po,
                          &it->probe, probe_done, it, err);
    if (rc == 0)
        s->running++;
    return rc;
}

int cert_sweep_start(struct cert_sweep *s, struct event_base *base, cert_sweep_done_h *done,
                     void *arg, struct synth_error *err)
{
    int rc = 0;
    s->done = NULL; /* no done while starting: a probe may not end before all began */
    s->running = 1;
    for (size_t i = 0; i < s->item_count && rc == 0; i++)
        rc = probe_start(s, &s->items[i], base, err);
    s->running--;
    if (rc != 0) {
        cert_sweep_cancel(s);
        return rc;
    }
    if (s->running == 0)
        return SYNTH_ENOTFOUND;
    s->done = done;
    s->arg = arg;
    return 0;
}

void cert_sweep_cancel(struct cert_sweep *s)
{
    for (size_t i = 0; i < s->item_count; i++) {
        if (s->items[i].conn) {
            cert_probe_cancel(s->items[i].conn);
            s->items[i].conn = NULL;
        }
    }
    s->running = 0;
    s->done = NULL;
}

/* Every endpoint at once on one loop: the check takes as long as the
 * slowest endpoint, not the sum. */
int cert_sweep_run(struct cert_sweep *s, struct synth_error *err)
{
    struct event_base *base = event_base_new();
    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "event loop: out of memory");
    int rc = cert_sweep_start(s, base, NULL, NULL, err);
    if (rc == 0)
        event_base_dispatch(base); /* returns once every probe has ended */
    event_base_free(base);
    return rc == SYNTH_ENOTFOUND ? 0 : rc;
}

static int evaluate(struct cert_sweep_item *it, struct synth_error *err)
{
    if (it->probe.chain.n == 0)
        return 0;
    if (!(it->report = calloc(1, sizeof(*it->report))))
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
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
    if (rc) {
        free(it->report);
        it->report = NULL;
    }
    return rc;
}

int cert_sweep_evaluate(struct cert_sweep *s, struct synth_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->item_count && rc == 0; i++)
        rc = evaluate(&s->items[i], err);
    return rc;
}

enum cert_status cert_sweep_worst(const struct cert_sweep *s)
{
    enum cert_status worst = CERT_PASS;
    for (size_t i = 0; i < s->item_count; i++) {
        const struct cert_sweep_item *it = &s->items[i];
        enum cert_status st = it->probe_rc || !it->report ? CERT_FAIL
                                                          : cert_report_worst(it->report);
        if (st > worst)
            worst = st;
    }
    return worst;
}

void cert_sweep_free(struct cert_sweep *s)
{
    cert_sweep_cancel(s);
    for (size_t i = 0; i < s->item_count; i++) {
        X509_STORE_free(s->items[i].trust);
        cert_probe_free(&s->items[i].probe);
        free(s->items[i].report);
    }
    s->item_count = 0;
}
