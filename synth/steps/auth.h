/* Answering the registrar's challenges for a synthetic user: Digest (RFC
 * 3261 22.2, 22.3; RFC 8760: SHA-256 preferred when offered) and NTLM per
 * [MS-SIPAE], as the endpoint's `auth:` setting allows. */
#ifndef SYNTH_STEPS_AUTH_H
#define SYNTH_STEPS_AUTH_H

#include "synth/base/err.h"
#include "synth/engine/step_result.h"
#include "synth/engine/vuser.h"
#include "synth/sip/build.h"
#include "synth/sip/msg.h"

struct step_run;

/* Writes the credentials header line ("Authorization: Digest ...\r\n" for a
 * 401, "Proxy-Authorization: ..." for a 407) answering resp's challenges.
 * *stale is set when the server said the old nonce was merely stale.
 * SYNTH_EUNSUPPORTED when no challenge is Digest (NTLM/Kerberos only). A
 * request signed with ntlm's SA (the NTLM of the connection it went on;
 * NULL: one without) challenged afresh is a lapse: ntlm negotiates anew and
 * out is left empty (the connection's hook signs the request sent again). */
int auth_answer(struct vuser *u, struct vuser_ntlm *ntlm, const struct sip_msg *resp,
                const char *method, const char *uri, char *out, size_t size, bool *stale);

/* Which scheme answers resp under the endpoint's policy: Digest when
 * offered (auto, digest), else NTLM (auto, ntlm). */
enum auth_scheme { AUTH_SCHEME_NONE, AUTH_SCHEME_DIGEST, AUTH_SCHEME_NTLM };
enum auth_scheme auth_choose(const struct sip_msg *resp, enum target_auth policy);

/* Feeds an NTLM 401/407 to n, the NTLM of the connection the request went
 * on (its SA made on first use). 0: the request is to be sent again, and
 * the connection's hook (auth_ntlm_attach) puts the exchange's token on it.
 * SYNTH_EUNSUPPORTED (no NTLM challenge), SYNTH_EAUTH (refused, wrong
 * target), others: e says why, naming the server (its targetname) or the
 * schemes offered where there is no NTLM. */
int auth_ntlm_challenge(struct vuser_ntlm *n, const struct sip_msg *resp, struct synth_error *e);

/* A step's request on n's connection got a 401/407 from server (its name
 * in the detail: "the registrar", or the address a redirect named): picks
 * the scheme under the endpoint's `auth:` and, for NTLM, feeds n
 * (*rounds counts the step's NTLM rounds, at most four: the empty token,
 * the AUTHENTICATE, and again after a lapse). FAIL_NONE with *scheme
 * DIGEST (answer with auth_answer) or NTLM (send the request again as it
 * is); otherwise the class the step fails with and why in detail:
 * auth-unsupported-scheme with the schemes offered, auth-ntlm-refused (the
 * credentials are then never sent again), protocol. */
enum failure_class auth_on_challenge(struct step_run *run, struct vuser_ntlm *n,
                                     const struct sip_msg *resp, const char *server,
                                     uint32_t *rounds, enum auth_scheme *scheme, char *detail,
                                     size_t size);

/* Milliseconds until u's SA is due for renewal (its margin before expiry,
 * sipae_sa_margin_ms); 0 when due now; UINT64_MAX without an established SA
 * or with a renewal under way. A REGISTER sent once it is due negotiates
 * the new SA on the same connection; until that one's AUTHENTICATE goes out
 * the old one signs everything else. */
uint64_t auth_ntlm_renew_in_ms(struct vuser *u);

/* True when requests on n's connection carry NTLM credentials (an exchange
 * under way or an established SA). */
bool auth_ntlm_active(const struct vuser_ntlm *n);

/* Puts n on ua, the connection n belongs to ([MS-SIPAE] 3.2.1: the user's
 * registrar connection, or a redirected call's link): every request sent
 * there (REGISTER, INVITE, ACK, BYE, CANCEL, OPTIONS) carries
 * "Authorization: NTLM ..." with the exchange's token or the SA's signature
 * over that very request, and every response is checked for the server's
 * rspauth: one that fails, or a 2xx without one, ends its transaction with
 * SYNTH_EAUTH (the user's ntlm_detail says why); a request from the server
 * that does not verify is refused (ntlm_request_detail). Nothing happens
 * while n has no SA (Digest, or no challenge yet). n outlives ua. */
void auth_ntlm_attach(struct vuser_ntlm *n, struct sip_ua *ua);

/* Forgets (wipes) n's SAs. */
void auth_ntlm_free(struct vuser_ntlm *n);

#endif
