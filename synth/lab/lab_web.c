/* The lab's web side (lab_web.h): certificate, TLS contexts, the UCWA
 * service behind the idle proxy. */
#include "synth/lab/lab_web.h"

#include "synth/lab/idle_proxy.h"
#include "synth/lab/ucwa_service.h"
#include "synth/tls/tls_ctx.h"

#include <stdio.h>
#include <stdlib.h>

struct lab_web {
    struct lab_cert *cert;
    SSL_CTX *server_ctx, *client_ctx;
    struct ucwa_service *ucwa;
    struct idle_proxy *proxy;
    char name[LAB_NAME_MAX + 8];
};

static int web_certs(struct lab_web *w, const struct lab_config *cfg, const struct lab_ca *ca,
                     const char *host, struct synth_error *err)
{
    char sans[3][LAB_NAME_MAX + 16];
    snprintf(w->name, sizeof(w->name), "web.%s", cfg->domain);
    snprintf(sans[0], sizeof(sans[0]), "webext.%s", cfg->domain);
    snprintf(sans[1], sizeof(sans[1]), "lyncdiscover.%s", cfg->domain);
    snprintf(sans[2], sizeof(sans[2]), "%s", host);
    /* The address too: lab clients reach the proxy by 127.0.0.1 and must
     * still verify it (no DNS in the lab). */
    const char *list[] = {w->name, sans[0], sans[1], sans[2]};
    int rc = lab_cert_issue(&w->cert, ca, w->name, list, 4, LAB_KEY_EC_P256, err);
    if (rc == 0)
        rc = tls_ctx_server_new(&w->server_ctx, lab_cert_x509(w->cert), lab_cert_pkey(w->cert),
                                NULL, false, err);
    if (rc != 0)
        return rc;
    struct tls_client_opts co;
    tls_client_opts_defaults(&co);
    co.ca_cert = lab_ca_x509(ca);
    return tls_ctx_client_new(&w->client_ctx, &co, err);
}

int lab_web_start(struct lab_web **out, struct event_base *base, const struct lab_config *cfg,
                  const struct lab_ca *ca, const char *host, struct synth_error *err)
{
    struct lab_web *w = calloc(1, sizeof(*w));
    if (!w)
        return synth_error_set(err, SYNTH_ENOMEM, "lab web: out of memory");
    int rc = web_certs(w, cfg, ca, host, err);
    struct ucwa_service_opts uo = {.cfg = cfg, .server_ctx = w->server_ctx};
    if (rc == 0)
        rc = ucwa_service_start(&w->ucwa, base, &uo, err);
    if (rc == 0) {
        struct idle_proxy_opts po = {
            .listen_host = cfg->listen_host,
            .server_ctx = w->server_ctx,
            .backend_ctx = w->client_ctx,
            .backend_host = host,
            .backend_name = w->name,
            .backend_port = ucwa_service_port(w->ucwa),
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
    *ucwa_port = ucwa_service_port(w->ucwa);
    *proxy_port = idle_proxy_port(w->proxy);
}

const char *lab_web_server_name(const struct lab_web *w)
{
    return w->name;
}

void lab_web_free(struct lab_web *w)
{
    if (!w)
        return;
    idle_proxy_free(w->proxy);
    ucwa_service_free(w->ucwa);
    if (w->server_ctx)
        SSL_CTX_free(w->server_ctx);
    if (w->client_ctx)
        SSL_CTX_free(w->client_ctx);
    lab_cert_free(w->cert);
    free(w);
}
