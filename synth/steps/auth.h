/* Answering a Digest challenge for a synthetic user (RFC 3261 22.2, 22.3;
 * RFC 8760: SHA-256 preferred when offered). */
#ifndef SYNTH_STEPS_AUTH_H
#define SYNTH_STEPS_AUTH_H

#include "synth/engine/vuser.h"
#include "synth/sip/msg.h"

/* Writes the credentials header line ("Authorization: Digest ...\r\n" for a
 * 401, "Proxy-Authorization: ..." for a 407) answering resp's challenges.
 * *stale is set when the server said the old nonce was merely stale.
 * SYNTH_EUNSUPPORTED when no challenge is Digest (NTLM/Kerberos only). */
int auth_answer(struct vuser *u, const struct sip_msg *resp, const char *method,
                const char *uri, char *out, size_t size, bool *stale);

#endif
