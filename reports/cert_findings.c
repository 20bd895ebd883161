/* Certificate check results turned into findings and summary.json data. The
 * remedies are what an engineer does with a certificate: reissue, renew,
 * install the chain. */
#include "cert_findings.h"

#include "reports/event_json.h"
#include "synth/base/sbuf.h"

#include <stdio.h>
#include <string.h>

/* Per rule: the stable finding id, what a person reads first, the fix. */
static const struct {
    const char *id;
    const char *what;
    const char *remedy;
} rule_text[CERT_RULE_COUNT] = {
    [CERT_RULE_TRUST] = {"cert-untrusted", "the certificate chain is not trusted",
                         "have the server send its intermediate CA certificates, and give the "
                         "issuing root as ca_file (or use a certificate from a CA the clients "
                         "trust)"},
    [CERT_RULE_EXPIRY] = {"cert-expiring", "the certificate expires soon or has expired",
                          "renew the certificate and install it before its notAfter date"},
    [CERT_RULE_SUBJECT] = {"cert-subject-not-fqdn",
                           "the certificate's Subject CN is not the server's FQDN",
                           "reissue the certificate with the server's FQDN as Subject CN (and "
                           "keep it in the SAN): servers match their peer by Subject name"},
    [CERT_RULE_SAN] = {"cert-san-missing-name", "the certificate's SAN lacks a name clients use",
                       "reissue the certificate with every name clients use in its SAN list"},
    [CERT_RULE_EKU] = {"cert-eku-missing",
                       "the certificate's extended key usage does not allow this use",
                       "reissue from a template with Server Authentication (and Client "
                       "Authentication where the server does mutual TLS)"},
    [CERT_RULE_KEY] = {"cert-weak", "the certificate's key is weak",
                       "reissue with an RSA key of 2048 bits or more (or EC P-256 or larger)"},
    [CERT_RULE_SIGNATURE] = {"cert-weak", "the certificate is signed with a weak digest",
                             "reissue with a SHA-256 (or stronger) signature, intermediates "
                             "included"},
};

/* The field failure of PROTOCOLS.md: what the UM's Subject name breaks. */
#define UM_SUBJECT_SYMPTOM                                                                    \
    "internal calls work; calls through the Edge connect and get no media, then BYE"
#define UM_SUBJECT_REMEDY                                                                     \
    "reissue the UM certificate with its FQDN %s as Subject CN (keep it in the SAN too), "   \
    "assign it to the UM and UM Call Router services, and restart them"

static void where(struct sbuf *sb, const struct cert_endpoint *ep)
{
    sbuf_printf(sb, "%s %s:%u (expected %s)", ep->name, ep->host, ep->port, ep->server_name);
}

static enum verdict_level rule_level(const struct cert_endpoint *ep,
                                     const struct cert_rule_result *r)
{
    if (r->status == CERT_WARN)
        return VERDICT_WARNING;
    /* A CN that is not the FQDN breaks server-to-server matching, which
     * only the UM does for every external call; elsewhere it is a risk. */
    if (r->rule == CERT_RULE_SUBJECT && ep->role != TARGET_ROLE_UM)
        return VERDICT_WARNING;
    return VERDICT_CRITICAL;
}

static int add_rule(struct verdict *v, const struct cert_endpoint *ep,
                    const struct cert_rule_result *r)
{
    char summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX], remedy[FINDING_TEXT_MAX];
    struct sbuf sb;
    bool um_subject = r->rule == CERT_RULE_SUBJECT && ep->role == TARGET_ROLE_UM;

    sbuf_init(&sb, summary, sizeof(summary));
    sbuf_printf(&sb, "%s: %s", ep->name, rule_text[r->rule].what);
    if (um_subject)
        sbuf_puts(&sb, ": " UM_SUBJECT_SYMPTOM);
    sbuf_init(&sb, evidence, sizeof(evidence));
    where(&sb, ep);
    sbuf_printf(&sb, ": %s; %s", r->summary, r->evidence);
    if (um_subject)
        snprintf(remedy, sizeof(remedy), UM_SUBJECT_REMEDY, ep->server_name);
    else
        snprintf(remedy, sizeof(remedy), "%s", rule_text[r->rule].remedy);
    return verdict_add_finding(v, rule_level(ep, r), rule_text[r->rule].id, summary, evidence,
                               remedy);
}

static int add_probe(struct verdict *v, const struct cert_endpoint *ep)
{
    char summary[FINDING_TEXT_MAX];
    /* Once TCP is up, a failure or a silence is the TLS layer's. */
    bool tls = ep->probe_err == SYNTH_ETLS || (ep->probe && ep->probe->tcp_connected);

    snprintf(summary, sizeof(summary),
             tls ? "%s: the TLS handshake failed: its certificate could not be fully checked"
                 : "%s: the endpoint is unreachable: its certificate could not be checked",
             ep->name);
    return verdict_add_finding(
        v, VERDICT_CRITICAL, tls ? "tls.handshake-failed" : "transport.unreachable", summary,
        ep->probe_detail ? ep->probe_detail : synth_strerror(ep->probe_err),
        tls ? "check the server's TLS configuration (protocol versions, ciphers) and, for "
              "mutual TLS, the client certificate given as client_cert"
            : "check the host and port, that the service runs, and that a firewall lets the "
              "connection through");
}

/* A TLS 1.3 server that refused our client certificate (or its absence)
 * after the handshake: the chain was still seen, the check's identity is
 * what to fix. */
static int add_client_refused(struct verdict *v, const struct cert_endpoint *ep)
{
    char summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX];
    struct sbuf sb;

    snprintf(summary, sizeof(summary), "%s: the server refused the client certificate %s",
             ep->name, ep->probe->client_cert_sent ? "presented" : "(none was presented)");
    sbuf_init(&sb, evidence, sizeof(evidence));
    where(&sb, ep);
    sbuf_printf(&sb, ": after the handshake: %s", ep->probe->after_handshake);
    return verdict_add_finding(v, VERDICT_WARNING, "tls.client-cert-refused", summary, evidence,
                               "give the check an identity the server trusts for mutual TLS "
                               "(client_cert and client_key)");
}

int cert_findings_add(struct verdict *v, const struct cert_endpoint *ep)
{
    int rc = 0;

    if (ep->probe_err)
        rc = add_probe(v, ep);
    else if (ep->probe && ep->probe->after_handshake[0])
        rc = add_client_refused(v, ep);
    for (int k = 0; rc == 0 && ep->report && k < CERT_RULE_COUNT; k++)
        if (ep->report->rules[k].status != CERT_PASS)
            rc = add_rule(v, ep, &ep->report->rules[k]);
    return rc;
}

/* ---- summary.json ---------------------------------------------------------- */

static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) ? -1 : 0;
}

/* o when every set succeeded (rc == 0), else NULL with o released. */
static json_t *built(json_t *o, int rc)
{
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *text(const char *s)
{
    return event_json_text(s ? s : "", FINDING_TEXT_MAX);
}

static json_t *facts_json(const struct cert_facts *f)
{
    json_t *o = json_object(), *sans = json_array();
    int rc = 0;

    if (!o || !sans) {
        json_decref(sans);
        json_decref(o);
        return NULL;
    }
    for (size_t i = 0; i < f->san_count; i++)
        rc |= json_array_append_new(sans, text(f->sans[i]));
    rc |= set(o, "subject", text(f->subject));
    rc |= set(o, "subject_cn", f->has_cn ? text(f->subject_cn) : json_null());
    rc |= set(o, "issuer", text(f->issuer));
    rc |= set(o, "sans", sans);
    rc |= set(o, "sans_total", json_integer((json_int_t)f->san_total));
    rc |= set(o, "not_before", text(f->not_before));
    rc |= set(o, "not_after", text(f->not_after));
    rc |= set(o, "days_left", json_integer(f->days_left));
    rc |= set(o, "key_type", text(f->key_type));
    rc |= set(o, "key_bits", json_integer(f->key_bits));
    rc |= set(o, "signature", text(f->signature));
    rc |= set(o, "ekus", f->has_eku ? text(f->ekus) : json_null());
    rc |= set(o, "self_signed", json_boolean(f->self_signed));
    rc |= set(o, "sha256", text(f->sha256));
    return built(o, rc);
}

static json_t *probe_json(const struct cert_endpoint *ep)
{
    const struct cert_probe *p = ep->probe;
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return NULL;
    rc |= set(o, "ok", json_boolean(ep->probe_err == 0 && p));
    rc |= set(o, "error", ep->probe_err ? text(ep->probe_detail) : json_null());
    rc |= set(o, "protocol", p && p->protocol[0] ? text(p->protocol) : json_null());
    rc |= set(o, "cipher", p && p->cipher[0] ? text(p->cipher) : json_null());
    rc |= set(o, "client_cert_requested", json_boolean(p && p->client_cert_requested));
    rc |= set(o, "client_cert_sent", json_boolean(p && p->client_cert_sent));
    rc |= set(o, "after_handshake",
              p && p->after_handshake[0] ? text(p->after_handshake) : json_null());
    return built(o, rc);
}

static json_t *rules_json(const struct cert_report *r)
{
    json_t *a = json_array();

    for (int k = 0; a && r && k < CERT_RULE_COUNT; k++) {
        const struct cert_rule_result *x = &r->rules[k];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "rule", cert_rule_name(x->rule), "result",
                              cert_status_name(x->status), "summary", text(x->summary),
                              "evidence", text(x->evidence));
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static const char *endpoint_result(const struct cert_endpoint *ep)
{
    if (!ep->report)
        return "error";
    return cert_status_name(cert_report_worst(ep->report));
}

json_t *cert_findings_json(const struct cert_endpoint *ep)
{
    json_t *o = json_object(), *names = json_array(), *chain = json_array();
    int rc = 0;

    if (!o || !names || !chain) {
        json_decref(names);
        json_decref(chain);
        return built(o, -1);
    }
    for (size_t i = 0; i < ep->name_count; i++)
        rc |= json_array_append_new(names, text(ep->names[i]));
    for (size_t i = 0; ep->report && i < ep->report->chain_len; i++)
        rc |= json_array_append_new(chain, facts_json(&ep->report->chain[i]));
    rc |= set(o, "endpoint", text(ep->name));
    rc |= set(o, "role", json_string(target_role_name(ep->role)));
    rc |= set(o, "host", text(ep->host));
    rc |= set(o, "port", json_integer(ep->port));
    rc |= set(o, "server_name", text(ep->server_name));
    rc |= set(o, "names", names);
    rc |= set(o, "mtls", json_boolean(ep->mtls));
    rc |= set(o, "trust", text(ep->trust_name));
    rc |= set(o, "result", json_string(endpoint_result(ep)));
    rc |= set(o, "probe", probe_json(ep));
    rc |= set(o, "chain", chain);
    rc |= set(o, "chain_dropped",
              json_integer(ep->probe ? (json_int_t)ep->probe->chain.dropped : 0));
    rc |= set(o, "rules", rules_json(ep->report));
    return built(o, rc);
}

int cert_findings_add_sweep(struct verdict *v, json_t *certs, const struct cert_sweep *s)
{
    for (size_t i = 0; i < s->item_count; i++) {
        const struct cert_sweep_item *it = &s->items[i];
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
            .report = it->report,
        };
        if ((v && cert_findings_add(v, &ep)) ||
            (certs && json_array_append_new(certs, cert_findings_json(&ep))))
            return SYNTH_ENOMEM;
    }
    return 0;
}
