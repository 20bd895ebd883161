/* The lab's Front End: a registrar with Digest authentication (RFC 3261 10,
 * 22; RFC 7616, RFC 8760) and a record-routing proxy (RFC 3261 16) that
 * sends voicemail calls to the UM over one mutual-TLS link. */
#ifndef SYNTH_LAB_REGISTRAR_H
#define SYNTH_LAB_REGISTRAR_H

#include "synth/base/err.h"
#include "synth/lab/lab.h"
#include "synth/lab/lab_config.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct registrar;

struct registrar_opts {
    const struct lab_config *cfg;  /* borrowed for the registrar's lifetime */
    struct lab_stats *stats;
    SSL_CTX *server_ctx;           /* FE certificate, for the TLS listener */
    SSL_CTX *um_client_ctx;        /* FE→UM: trusts the lab CA, presents the FE certificate */
    const char *fqdn;              /* the FE's name: ms-diagnostics source */
    const char *um_server_name;    /* name the UM certificate must carry */
    uint16_t um_port;
    uint32_t nonce_lifetime_ms;
    bool challenge_invites;
    /* Called once, from the loop, when the first FE→UM link is up (err 0)
     * or could not be made. */
    void (*link_ready)(int err, const char *detail, void *arg);
    void *arg;
};

/* Binds the listeners on cfg->listen_host and starts connecting to the UM.
 * Call on the thread that runs base. Caller frees with registrar_free (on
 * the same thread, after the loop has stopped). */
int registrar_start(struct registrar **out, struct event_base *base,
                    const struct registrar_opts *o, struct synth_error *err);

/* The bound ports. */
void registrar_ports(const struct registrar *r, uint16_t *udp, uint16_t *tcp, uint16_t *tls);

/* Current contact bindings of every user (expired ones not counted). */
size_t registrar_binding_count(const struct registrar *r);

void registrar_free(struct registrar *r);

#endif
