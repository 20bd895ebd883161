/* The lab Front End's side of NTLM per [MS-SIPAE] (lab `auth: ntlm`): the
 * server security associations it holds, one per client connection and
 * user, found by the opaque the client echoes; each request's NTLM
 * credentials judged against them, and the signatures on the answers. The
 * protocol itself is synth/sip/sipae.c's server half. */
#ifndef SYNTH_LAB_LAB_NTLM_H
#define SYNTH_LAB_LAB_NTLM_H

#include "synth/base/sbuf.h"
#include "synth/sip/msg.h"
#include "synth/sip/sipae.h"

#include <stdint.h>

struct lab_ntlm;

/* What a request's credentials come to. */
enum lab_ntlm_verdict {
    LAB_NTLM_OK,            /* signed by an established SA (or its AUTHENTICATE was good) */
    LAB_NTLM_CHALLENGE,     /* none, expired or unknown SA: 401 with the opening challenge */
    LAB_NTLM_CONTINUE,      /* the empty token: 401 with the CHALLENGE of a new SA */
    LAB_NTLM_REFUSED,       /* wrong password: 401 with the opening challenge again */
    LAB_NTLM_NO_USER,       /* 404 */
    LAB_NTLM_BAD_SIGNATURE, /* a signature that does not verify or replays: 403 */
    LAB_NTLM_MALFORMED,     /* 400 */
};

/* fqdn: the targetname (the Front End's name); domain: the SIP domain,
 * also the NTLM DNS domain. password_of maps the AUTHENTICATE's user and
 * domain to a password (NULL: no such user). sa_lifetime_ms: how long an
 * established SA lasts (0: SIPAE_SA_LIFETIME_DEFAULT_MS, a working day);
 * a request signed with one older than that is challenged afresh. Caller
 * frees with lab_ntlm_free. */
int lab_ntlm_new(struct lab_ntlm **out, const char *fqdn, const char *domain,
                 uint64_t sa_lifetime_ms, sipae_password_h *password_of, void *arg,
                 struct synth_error *e);
void lab_ntlm_free(struct lab_ntlm *n);

/* Judges req's NTLM Authorization (or Proxy-Authorization when proxy)
 * arriving on flow_id; *sa is the SA for OK and CONTINUE (its user once
 * OK). e says why for the refusals; nothing secret goes in it. */
enum lab_ntlm_verdict lab_ntlm_check(struct lab_ntlm *n, uint64_t flow_id,
                                     const struct sip_msg *req, bool proxy,
                                     struct sipae_server_sa **sa, struct synth_error *e);

/* Writes the "WWW-Authenticate: NTLM ...\r\n" line (Proxy- when proxy):
 * the opening challenge when sa is NULL, else the SA's CHALLENGE. */
int lab_ntlm_challenge_line(const struct lab_ntlm *n, struct sbuf *x, bool proxy,
                            const struct sipae_server_sa *sa);

/* Writes "Authentication-Info: NTLM rspauth=...\r\n" signing resp (a
 * response, or a request the server sends the client). */
int lab_ntlm_sign_line(const struct lab_ntlm *n, struct sipae_server_sa *sa,
                       const struct sip_msg *resp, struct sbuf *x);

/* The established SA, on flow_id, of the user m goes to: the one whose
 * From a response carries, or whose To a request carries (the BYE of the UM
 * hanging up, [MS-SIPAE] 3.3: the server signs its requests to the client
 * too). The SA a message forwarded over that flow is signed with; NULL
 * when none. */
struct sipae_server_sa *lab_ntlm_find(struct lab_ntlm *n, uint64_t flow_id,
                                      const struct sip_msg *m);

/* A connection closed: its SAs go (an SA belongs to one connection). */
void lab_ntlm_flow_closed(struct lab_ntlm *n, uint64_t flow_id);

/* SAs held (negotiating and established). */
size_t lab_ntlm_count(const struct lab_ntlm *n);

#endif
