/* Answering the registrar's challenges for a synthetic user: Digest (RFC
 * 3261 22.2, 22.3; RFC 8760: SHA-256 preferred when offered) and NTLM per
 * [MS-SIPAE], as the endpoint's `auth:` setting allows. */
#ifndef SYNTH_STEPS_AUTH_H
#define SYNTH_STEPS_AUTH_H

#include "synth/base/err.h"
#include "synth/engine/vuser.h"
#include "synth/sip/build.h"
#include "synth/sip/msg.h"

/* Writes the credentials header line ("Authorization: Digest ...\r\n" for a
 * 401, "Proxy-Authorization: ..." for a 407) answering resp's challenges.
 * *stale is set when the server said the old nonce was merely stale.
 * SYNTH_EUNSUPPORTED when no challenge is Digest (NTLM/Kerberos only). */
int auth_answer(struct vuser *u, const struct sip_msg *resp, const char *method,
                const char *uri, char *out, size_t size, bool *stale);

/* Which scheme answers resp under the endpoint's policy: Digest when
 * offered (auto, digest), else NTLM (auto, ntlm). */
enum auth_scheme { AUTH_SCHEME_NONE, AUTH_SCHEME_DIGEST, AUTH_SCHEME_NTLM };
enum auth_scheme auth_choose(const struct sip_msg *resp, enum target_auth policy);

/* Feeds an NTLM 401/407 to the user's SA (made on first use). 0: the next
 * request is to carry auth_ntlm_line's header. SYNTH_EUNSUPPORTED (no NTLM
 * challenge), SYNTH_EAUTH (refused, wrong target), others: e says why,
 * naming the schemes offered where there is no NTLM. */
int auth_ntlm_challenge(struct vuser *u, const struct sip_msg *resp, struct synth_error *e);

/* True when requests of u carry NTLM credentials (an exchange under way or
 * an established SA). */
bool auth_ntlm_active(const struct vuser *u);

/* Writes "Authorization: NTLM ...\r\n" (Proxy- after a 407) for the
 * request spec describes, signed when the SA is established: the request is
 * built once here to read the fields the signature covers. */
int auth_ntlm_line(struct vuser *u, const struct sip_request_spec *spec, char *out, size_t size,
                   struct synth_error *e);

/* Checks the server's rspauth on a final response to a signed request:
 * 0, or SYNTH_EAUTH / SYNTH_ENOTFOUND (unsigned) with e saying why. */
int auth_ntlm_verify(struct vuser *u, const struct sip_msg *resp, struct synth_error *e);

/* Forgets (wipes) the user's NTLM SA. */
void auth_ntlm_free(struct vuser *u);

#endif
