/* The lab's web side (lab_web.h): the Front End's two web sites, each with
 * its certificate and its HTTPS and HTTP ports, and the reverse proxy in
 * front of the external one. */
#include "synth/lab/lab_web.h"

#include "synth/lab/idle_proxy.h"
#include "synth/lab/ucwa_service.h"
#include "synth/tls/tls_ctx.h"

#include <stdio.h>
#include <stdlib.h>

/* One Front End web site. */
struct lab_web_site {
    struct lab_cert *cert;
    SSL_CTX *server_ctx;
    struct ucwa_service *svc;
    char name[LAB_NAME_MAX + 32]; /* its certificate's CN */
};

struct lab_web {
    struct lab_web_site site[2]; /* [0] external (the proxy's backend), [1] internal */
    SSL_CTX *client_ctx;
    struct idle_proxy *proxy;
    bool swapped;                /* web_ports_swapped: each site on the other's ports */
};

enum { SITE_EXTERNAL = 0, SITE_INTERNAL = 1 };

void lab_web_site_fqdn(const struct lab_config *cfg, bool internal, char *out, size_t size)
{
    /* The internal site answers on the pool's FQDN; the external one is
     * published by the reverse proxy as the external web services FQDN. */
    if (internal)
        snprintf(out, size, "%s", cfg->fe_cert.cn);
    else
        snprintf(out, size, "webext.%s", cfg->domain);
}

/* External: CN web.<domain>; SAN webext., lyncdiscover.<domain>, host.
 * Internal: CN and SAN the pool FQDN, lyncdiscoverinternal.<domain>, host.
 * Neither names the other site's FQDN, as with real separate certificates. */
static int site_cert(struct lab_web_site *s, bool internal, const struct lab_config *cfg,
                     const struct lab_ca *ca, const char *host, struct synth_error *err)
{
    char sans[2][LAB_NAME_MAX + 32];
    /* The address too: lab clients reach the sites by 127.0.0.1 and must
     * still verify them (no DNS in the lab). */
    const char *list[4] = {s->name, sans[0], sans[1], host};
    if (internal) {
        lab_web_site_fqdn(cfg, true, s->name, sizeof(s->name));
        snprintf(sans[0], sizeof(sans[0]), "lyncdiscoverinternal.%s", cfg->domain);
        list[2] = host;
    } else {
        snprintf(s->name, sizeof(s->name), "web.%s", cfg->domain);
        lab_web_site_fqdn(cfg, false, sans[0], sizeof(sans[0]));
        snprintf(sans[1], sizeof(sans[1]), "lyncdiscover.%s", cfg->domain);
    }
    int rc = lab_cert_issue(&s->cert, ca, s->name, list, internal ? 3 : 4, LAB_KEY_EC_P256, err);
    if (rc == 0)
        rc = tls_ctx_server_new(&s->server_ctx, lab_cert_x509(s->cert), lab_cert_pkey(s->cert),
                                NULL, false, err);
    return rc;
}

static int site_start(struct lab_web_site *s, bool internal, struct event_base *base,
                      const struct lab_config *cfg, const struct lab_ca *ca, const char *host,
                      struct synth_error *err)
{
    int rc = site_cert(s, internal, cfg, ca, host, err);
    struct ucwa_service_opts uo = {
        .cfg = cfg, .server_ctx = s->server_ctx, .internal = internal, .http = true};
    if (rc == 0)
        rc = ucwa_service_start(&s->svc, base, &uo, err);
    return rc;
}

/* The site serving what is listed as the external (or internal) site's ports. */
static const struct lab_web_site *bound(const struct lab_web *w, bool internal)
{
    return &w->site[internal != w->swapped ? SITE_INTERNAL : SITE_EXTERNAL];
}

int lab_web_start(struct lab_web **out, struct event_base *base, const struct lab_config *cfg,
                  const struct lab_ca *ca, const char *host, struct synth_error *err)
{
    struct lab_web *w = calloc(1, sizeof(*w));
    if (!w)
        return synth_error_set(err, SYNTH_ENOMEM, "lab web: out of memory");
    w->swapped = cfg->faults.web_ports_swapped;
    int rc = site_start(&w->site[SITE_EXTERNAL], false, base, cfg, ca, host, err);
    if (rc == 0)
        rc = site_start(&w->site[SITE_INTERNAL], true, base, cfg, ca, host, err);
    struct tls_client_opts co;
    tls_client_opts_defaults(&co);
    co.ca_cert = lab_ca_x509(ca);
    if (rc == 0)
        rc = tls_ctx_client_new(&w->client_ctx, &co, err);
    if (rc == 0) {
        /* The proxy forwards to the external site's port, whichever site
         * listens there (swapped: the internal one, as in the field). */
        const struct lab_web_site *be = bound(w, false);
        struct idle_proxy_opts po = {
            .listen_host = cfg->listen_host,
            .server_ctx = w->site[SITE_EXTERNAL].server_ctx,
            .backend_ctx = w->client_ctx,
            .backend_host = host,
            .backend_name = be->name,
            .backend_port = ucwa_service_port(be->svc),
            .timeout_s = cfg->faults.proxy_idle_timeout_s,
        };
        rc = idle_proxy_start(&w->proxy, base, &po, err);
    }
    if (rc != 0) {
        lab_web_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void lab_web_ports(const struct lab_web *w, uint16_t *ucwa_port, uint16_t *proxy_port)
{
    *ucwa_port = ucwa_service_port(bound(w, false)->svc);
    *proxy_port = idle_proxy_port(w->proxy);
}

void lab_web_site_ports(const struct lab_web *w, bool internal, uint16_t *https, uint16_t *http)
{
    const struct lab_web_site *s = bound(w, internal);
    *https = ucwa_service_port(s->svc);
    *http = ucwa_service_http_port(s->svc);
}

const char *lab_web_server_name(const struct lab_web *w)
{
    return w->site[SITE_EXTERNAL].name;
}

void lab_web_free(struct lab_web *w)
{
    if (!w)
        return;
    idle_proxy_free(w->proxy);
    for (int i = 0; i < 2; i++) {
        ucwa_service_free(w->site[i].svc);
        if (w->site[i].server_ctx)
            SSL_CTX_free(w->site[i].server_ctx);
        lab_cert_free(w->site[i].cert);
    }
    if (w->client_ctx)
        SSL_CTX_free(w->client_ctx);
    free(w);
}
