/* um-cert-breaks-edge-media (edge_media_findings.h). */
#include "reports/edge_media_findings.h"

#include "synth/base/sbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

static bool san_has(const struct cert_facts *f, const char *name)
{
    char want[CERT_NAME_MAX + 8];
    snprintf(want, sizeof(want), "DNS:%s", name);
    for (size_t i = 0; i < f->san_count; i++)
        if (strcasecmp(f->sans[i], want) == 0)
            return true;
    return false;
}

size_t um_cert_seen_collect(const struct cert_sweep *s, struct um_cert_seen *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->item_count && n < max; i++) {
        const struct cert_sweep_item *it = &s->items[i];
        if (it->role != TARGET_ROLE_UM || !it->report || it->report->chain_len == 0)
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


static const char REMEDY[] =
    "reissue the UM certificate with the server's FQDN as its Subject CN (keep it in the SAN "
    "list too), assign it to the UM and UM Call Router services "
    "(Enable-ExchangeCertificate -Services UM,UMCallRouter) and restart them: the Front End "
    "knows servers by their certificate's Subject name, refuses the UM's A/V Edge (MRAS) "
    "credentials otherwise, and without a relay the UM cannot reach a remote caller's media";

/* The first UM endpoint whose Subject CN is not its FQDN, or NULL. */
static const struct um_cert_seen *first_bad(const struct um_cert_seen *um, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!um[i].cn_ok)
            return &um[i];
    return NULL;
}

static void describe_control(struct sbuf *sb, const struct edge_media_counts *c)
{
    if (!c->have_internal)
        return;
    sbuf_printf(sb, "; internal calls, the control: %" PRIu64 " of %" PRIu64
                " heard the greeting", c->internal_greeting, c->internal_calls);
}

int edge_media_findings_add(struct verdict *v, const struct um_cert_seen *um, size_t um_count,
                            const struct edge_media_counts *c)
{
    const struct um_cert_seen *bad = first_bad(um, um_count);
    char evidence[FINDING_TEXT_MAX];
    struct sbuf sb;
    if (!bad || c->edge_no_media == 0)
        return 0;
    sbuf_init(&sb, evidence, sizeof(evidence));
    sbuf_printf(&sb, "UM endpoint %s presents Subject CN=%s, expected %s", bad->endpoint,
                bad->cn_seen[0] ? bad->cn_seen : "(none)", bad->fqdn);
    if (bad->fqdn_in_san)
        sbuf_puts(&sb, " (the FQDN is only in the SAN list)");
    sbuf_printf(&sb, "; %" PRIu64 " of %" PRIu64 " Edge calls connected-no-media", c->edge_no_media,
                c->edge_calls);
    if (c->edge_ice_failed)
        sbuf_printf(&sb, " (%" PRIu64 " with no ICE candidate pair)", c->edge_ice_failed);
    describe_control(&sb, c);
    return verdict_add_finding(v, VERDICT_CRITICAL, "um-cert-breaks-edge-media",
                               "calls through the Edge connect without media because the UM "
                               "certificate's Subject CN is not the UM's FQDN",
                               evidence, REMEDY);
}
