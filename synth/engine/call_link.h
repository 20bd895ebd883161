/* A call's own SIP connection, for when a redirect (RFC 3261 8.1.3.4) names
 * another server than the registrar: a Director sending a user to its home
 * pool, the UM call router naming the UM server. The dialog's requests
 * (ACK, BYE, CANCEL) then go the same way. */
#ifndef SYNTH_ENGINE_CALL_LINK_H
#define SYNTH_ENGINE_CALL_LINK_H

#include "synth/engine/vuser.h"

/* The UA the current call uses: its own link, or the registrar's. */
struct sip_ua *call_link_ua(struct vuser *u);

/* Where the call's requests go now (the link's, or the registrar's). */
void call_link_dest(const struct vuser *u, struct sip_addr_storage *dest,
                    enum sip_transport *transport);

/* Connects a link to dest (server_name for TLS); done fires from the loop
 * once usable or failed. The previous link, if any, is retired. */
int call_link_open(struct vuser *u, const struct sip_addr_storage *dest,
                   enum sip_transport transport, const char *server_name, vuser_ready_h *done,
                   void *arg);

/* Forgets a pending open's done callback for arg (the step gave up). */
void call_link_cancel_wait(struct vuser *u, void *arg);

/* The call is over: its link (if any) is retired. Safe inside its callbacks. */
void call_link_release(struct vuser *u);

/* Frees a retired link; call only outside any callback of it. */
void call_link_reap(struct vuser *u);

#endif
