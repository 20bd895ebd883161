/* The lab's web side, started as one piece on the lab thread: the Front
 * End's internal and external web sites (each a UCWA service with its own
 * certificate, HTTPS and HTTP ports, and AccessLocation), and the reverse
 * proxy in front of the external one. */
#ifndef SYNTH_LAB_WEB_H
#define SYNTH_LAB_WEB_H

#include "synth/base/err.h"
#include "synth/lab/certs.h"
#include "synth/lab/lab_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lab_web;

/* Issues the sites' certificates from ca (external: CN web.<domain>; SAN
 * web., webext., lyncdiscover.<domain> and host, the address clients use;
 * internal: the pool FQDN, lyncdiscoverinternal.<domain>, host), starts
 * both sites and the proxy (cfg->faults.proxy_idle_timeout_s) on
 * cfg->listen_host, ephemeral ports. With cfg->faults.web_ports_swapped
 * each site listens where the other is listed (lab_web_site_ports) and the
 * proxy reaches the internal site. cfg and ca are borrowed. */
int lab_web_start(struct lab_web **out, struct event_base *base, const struct lab_config *cfg,
                  const struct lab_ca *ca, const char *host, struct synth_error *err);
void lab_web_ports(const struct lab_web *w, uint16_t *ucwa_port, uint16_t *proxy_port);
/* The ports listed for the internal (or external) site: a real Front End's
 * 443/80 (4443/8080). */
void lab_web_site_ports(const struct lab_web *w, bool internal, uint16_t *https, uint16_t *http);
/* The site's FQDN, the name its certificate carries and a target lists. */
void lab_web_site_fqdn(const struct lab_config *cfg, bool internal, char *out, size_t size);
/* The name the web certificate is issued for (web.<domain>). */
const char *lab_web_server_name(const struct lab_web *w);
void lab_web_free(struct lab_web *w);

#endif
