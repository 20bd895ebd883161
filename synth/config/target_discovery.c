/* Endpoints from SRV records (target_discovery.h). */
#include "target_discovery.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* A client connects to the SRV target and checks its certificate against
 * that name (the SfB client accepts an SRV target within the SIP domain). */
static void fill(struct target_endpoint *ep, const struct discovery_entry *e,
                 const struct target_tls *tls)
{
    memset(ep, 0, sizeof(*ep));
    size_t n = strlen(e->host);
    if (n && e->host[n - 1] == '.')
        n--;
    snprintf(ep->host, sizeof(ep->host), "%.*s", (int)n, e->host);
    dns_addr_text(&e->addr, ep->address, sizeof(ep->address));
    ep->port = e->port;
    ep->transport = SIP_TRANSPORT_TLS;
    ep->tls = *tls;
    snprintf(ep->tls.server_name, sizeof(ep->tls.server_name), "%s", ep->host);
}

void target_apply_discovery(struct target *t, const struct sip_discovery *d)
{
    if (t->registrar_by_dns) {
        if (sip_discovery_found(d, DISC_SIP_INTERNAL))
            fill(&t->registrar, &d->e[DISC_SIP_INTERNAL], &t->discover.tls);
        else
            memset(&t->registrar, 0, sizeof(t->registrar));
    }
    if (!t->has_edge && sip_discovery_found(d, DISC_SIP_EXTERNAL)) {
        fill(&t->edge, &d->e[DISC_SIP_EXTERNAL], &t->discover.tls);
        t->has_edge = true;
    }
}
