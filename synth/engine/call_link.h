/* A call's own SIP connection, for when a redirect (RFC 3261 8.1.3.4) names
 * another server than the registrar: a Director sending a user to its home
 * pool, the UM call router naming the UM server. The dialog's requests
 * (ACK, BYE, CANCEL) then go the same way. A server there that
 * authenticates with NTLM gets an SA of this connection's own ([MS-SIPAE]
 * 3.2.1), negotiated by the INVITE it challenges; it signs every request
 * of the link and checks what that server signs, and goes with the link. */
#ifndef SYNTH_ENGINE_CALL_LINK_H
#define SYNTH_ENGINE_CALL_LINK_H

#include "synth/engine/vuser.h"

/* The UA the current call uses: its own link, or the registrar's. */
struct sip_ua *call_link_ua(struct vuser *u);

/* The NTLM of the connection the current call uses: its link's, or the
 * registrar connection's. */
struct vuser_ntlm *call_link_ntlm(struct vuser *u);

/* Who is at the other end, for details: the link's server ("192.0.2.7:5061")
 * or "the registrar". */
const char *call_link_server(const struct vuser *u);

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

/* Frees a retired link and wipes its SA; call only outside any callback of
 * it. */
void call_link_reap(struct vuser *u);

#endif
