/* A synthetic user's media relay credentials from the Front End's Media
 * Relay Authentication Service ([MS-AVEDGEA] 3.1.5.1), as a Skype for
 * Business client gets them: a SIP SERVICE to the MRAS URI on the user's
 * own registered connection (signed or authenticated like its other
 * requests), the answer's credentials and relay kept for their duration
 * and renewed before they end. media.turn.credentials: mras (target.h). */
#ifndef SYNTH_STEPS_MRAS_CREDS_H
#define SYNTH_STEPS_MRAS_CREDS_H

#include "synth/engine/vuser.h"
#include "synth/sip/mras.h"

#include <stdint.h>

/* What a call allocates its relay with. */
struct mras_grant {
    char username[MRAS_TEXT_MAX];
    char password[MRAS_TEXT_MAX]; /* a secret: never logged */
    /* The relay of mediaRelayList for the user's location and transport:
     * hostName or directIPAddress, and its UDP or TCP port (0: none). */
    char relay_host[MRAS_TEXT_MAX];
    uint16_t relay_port;
    uint32_t duration_min;        /* as granted */
    int64_t renew_us;             /* monotonic: past this, asked anew */
};

/* The outcome of a request: err 0, or why there are no credentials:
 * SYNTH_EAUTH (a non-2xx final answer: msg is it, for its status and
 * ms-diagnostics), SYNTH_EPARSE (a 2xx without usable credentials: msg
 * is it), SYNTH_ETIMEDOUT (no answer by media.turn.mras_timeout), or the
 * transport's error. detail is a sentence for the event; never the
 * password. msg is NULL when no answer came. */
typedef void(mras_creds_h)(int err, const struct sip_msg *msg, const char *detail, void *arg);

/* The user's current credentials, asking for them when it has none or they
 * are due for renewal. 0: mras_creds_grant(u) has them now; SYNTH_EINCOMPLETE:
 * h(arg) runs from the loop once the answer (or the deadline) comes; one
 * waiter at a time (a second get replaces it). SYNTH_ENOMEM, SYNTH_ECLOSED
 * (no connection), SYNTH_ETOOBIG (the URI): nothing was sent. */
int mras_creds_get(struct vuser *u, mras_creds_h *h, void *arg);

/* The credentials while valid (before renew_us), else NULL. */
const struct mras_grant *mras_creds_grant(const struct vuser *u);

/* Forgets the waiter arg (its call gave up); a request in flight goes on. */
void mras_creds_cancel(struct vuser *u, void *arg);

/* The user's connection is going away: a request on it is forgotten (the
 * UA drops its transactions), and so is the waiter (its step fails with
 * the connection). */
void mras_creds_conn_lost(struct vuser *u);

/* Wipes and frees the user's credentials. Safe without any. */
void mras_creds_free(struct vuser *u);

/* When credentials granted at granted_us for duration_min minutes are
 * renewed: a fifth of their life early, at least MRAS_RENEW_MARGIN_MIN_S
 * and at most MRAS_RENEW_MARGIN_MAX_S before they end, and half-way
 * through a life shorter than twice the margin. An answer granting 0
 * minutes is no credential. */
#define MRAS_RENEW_MARGIN_MIN_S 30
#define MRAS_RENEW_MARGIN_MAX_S 600
int64_t mras_creds_renew_at(int64_t granted_us, uint32_t duration_min);

/* Picks the relay of r for loc and the transport (tcp: tcpPort, else
 * udpPort): one of that location first, else any with the port. -1: none. */
int mras_creds_pick_relay(const struct mras_response *r, enum mras_location loc, bool tcp);

#endif
