/* The lab's Front End: a registrar with Digest authentication (RFC 3261 10,
 * 22; RFC 7616, RFC 8760) and a record-routing proxy (RFC 3261 16) that
 * sends voicemail calls to the UM over one mutual-TLS link. The same proxy
 * in the Edge role is the Edge access proxy: it takes external users'
 * requests on TLS and relays every one, REGISTER included, to the Front End
 * over its own mutual-TLS link, record-routing so the dialog stays on it. */
#ifndef SYNTH_LAB_REGISTRAR_H
#define SYNTH_LAB_REGISTRAR_H

#include "synth/base/err.h"
#include "synth/lab/lab.h"
#include "synth/lab/lab_config.h"

#include "synth/sip/mras.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct registrar;

enum registrar_role {
    REGISTRAR_FRONT_END, /* registrar + proxy to the UM */
    REGISTRAR_EDGE,      /* access proxy to the Front End: TLS only, no registrar */
};

struct registrar_opts {
    enum registrar_role role;
    const struct lab_config *cfg;  /* borrowed for the registrar's lifetime */
    struct lab_stats *stats;
    SSL_CTX *server_ctx;           /* FE certificate, for the TLS listener */
    /* The next hop, over mutual TLS: the UM for the Front End, the Front
     * End for the Edge. The context trusts the lab CA and presents this
     * server's certificate. */
    SSL_CTX *hop_ctx;
    const char *fqdn;              /* this server's name: ms-diagnostics source */
    const char *hop_name;          /* name the next hop's certificate must carry */
    uint16_t hop_port;             /* on cfg->listen_host */
    uint16_t listen_port;          /* Edge: its TLS port (0 = ephemeral); the FE uses cfg's */
    uint32_t nonce_lifetime_ms;
    bool challenge_invites;
    /* MRAS on the Front End ([MS-AVEDGEA]): the next hop (the UM) asks for
     * A/V Edge credentials with a SERVICE; the FE grants them only when the
     * peer certificate's Subject CN is the server FQDN it knows (hop_name),
     * as an SfB pool matches server peers. mras_issue makes the credential
     * usable at the relay and says where the relay is; NULL = no MRAS. */
    int (*mras_issue)(const char *user, const char *password, uint32_t lifetime_s,
                      struct mras_relay *relay, void *arg);
    /* Called once, from the loop, when the first link to the next hop is up (err 0)
     * or could not be made. */
    void (*link_ready)(int err, const char *detail, void *arg);
    void *arg;
};

/* Binds the listeners on cfg->listen_host and starts connecting to the UM.
 * Call on the thread that runs base. Caller frees with registrar_free (on
 * the same thread, after the loop has stopped). */
int registrar_start(struct registrar **out, struct event_base *base,
                    const struct registrar_opts *o, struct synth_error *err);

/* The bound ports (0 for a transport the role does not listen on). */
void registrar_ports(const struct registrar *r, uint16_t *udp, uint16_t *tcp, uint16_t *tls);

/* Current contact bindings of every user (expired ones not counted). */
size_t registrar_binding_count(const struct registrar *r);

void registrar_free(struct registrar *r);

#endif
