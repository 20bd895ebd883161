/* The lab's web side, started as one piece on the lab thread: the web
 * certificate, the UCWA service and the reverse proxy in front of it. */
#ifndef SYNTH_LAB_WEB_H
#define SYNTH_LAB_WEB_H

#include "synth/base/err.h"
#include "synth/lab/certs.h"
#include "synth/lab/lab_config.h"

#include <stdint.h>

struct event_base;
struct lab_web;

/* Issues the web certificate from ca (CN web.<domain>; SAN web., webext.,
 * lyncdiscover.<domain> and the address clients use, host), starts the
 * UCWA service and the proxy (cfg->faults.proxy_idle_timeout_s) on
 * cfg->listen_host, ephemeral ports. cfg and ca are borrowed. */
int lab_web_start(struct lab_web **out, struct event_base *base, const struct lab_config *cfg,
                  const struct lab_ca *ca, const char *host, struct synth_error *err);
void lab_web_ports(const struct lab_web *w, uint16_t *ucwa_port, uint16_t *proxy_port);
/* The name the web certificate is issued for (web.<domain>). */
const char *lab_web_server_name(const struct lab_web *w);
void lab_web_free(struct lab_web *w);

#endif
