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

/* Milliseconds until u's SA is due for renewal (its margin before expiry,
 * sipae_sa_margin_ms); 0 when due now; UINT64_MAX without an established SA
 * or with a renewal under way. A REGISTER sent once it is due negotiates
 * the new SA on the same connection; until that one's AUTHENTICATE goes out
 * the old one signs everything else. */
uint64_t auth_ntlm_renew_in_ms(struct vuser *u);

/* True when requests of u carry NTLM credentials (an exchange under way or
 * an established SA). */
bool auth_ntlm_active(const struct vuser *u);

/* Puts the user's SA on ua, the user's own connection (the SA belongs to
 * it, [MS-SIPAE] 3.2.1): every request sent there (REGISTER, INVITE, ACK,
 * BYE, CANCEL, OPTIONS) carries "Authorization: NTLM ..." with the
 * exchange's token or the SA's signature over that very request, and every
 * response is checked for the server's rspauth: one that fails, or a 2xx
 * without one, ends its transaction with SYNTH_EAUTH (u->ntlm_detail says
 * why). Nothing happens while the user has no SA (Digest). */
void auth_ntlm_attach(struct vuser *u, struct sip_ua *ua);

/* Forgets (wipes) the user's NTLM SA. */
void auth_ntlm_free(struct vuser *u);

#endif
