/* NTLM authentication of SIP per [MS-SIPAE] (and [MS-SIP] 3.1.4.2): the
 * NTLM challenges of a 401/407, the security association (SA) a connection
 * holds with the server, the Authorization lines of the exchange, and the
 * signatures both sides put on every later message (response= from us,
 * rspauth= in (Proxy-)Authentication-Info from the server) over the sip-sig
 * buffer of [MS-SIPAE] 3.2.5.2. Connectionless NTLM ([MS-NLMP] 3.1.5.2). */
#ifndef SYNTH_SIP_SIPAE_H
#define SYNTH_SIP_SIPAE_H

#include "synth/base/base64.h"
#include "synth/base/err.h"
#include "synth/base/sbuf.h"
#include "synth/base/strv.h"
#include "synth/ntlm/ntlm_msg.h"
#include "synth/sip/msg.h"

#include <stdbool.h>
#include <stdint.h>

/* gssapi-data carries a whole NTLM message in base64. */
#define SIPAE_TOKEN_MAX BASE64_ENCODED_LEN(NTLM_MSG_MAX)
/* Parameters of one header: [MS-SIPAE] 2.2 defines about a dozen. */
#define SIPAE_PARAMS_MAX 32
/* realm, targetname, opaque and the like: "SIP Communications Service", a
 * server FQDN, 8 hex digits in the field; 255 is the longest DNS name. */
#define SIPAE_NAME_MAX 256
/* A sip-sig buffer: a dozen header values between angle brackets, each at
 * most a SIP line. */
#define SIPAE_SIG_MAX 8192
/* Communicator and OCS/Lync sign every message with NTLM sequence number
 * 100 (the 0x64 in the clear in each recorded response= and rspauth= of
 * SIPE's sip-sec-ntlm-tests.c): connectionless NTLM leaves the number to the
 * application ([MS-NLMP] 3.4.4) and [MS-SIPAE] carries cnum beside it. */
#define SIPAE_NTLM_SEQNUM 100u
/* SA lifetime when the caller gives none: Lync's NTLM SA lasts hours; the
 * client renews it by authenticating again before this runs out. */
#define SIPAE_SA_LIFETIME_DEFAULT_MS (8ull * 3600 * 1000)
/* How early an SA is renewed: SIPE re-authenticates six minutes before its
 * eight hours are up; a short lifetime (one learned from a server that let
 * the SA lapse, a lab's) is renewed with a quarter of it left. */
#define SIPAE_RENEW_MARGIN_MAX_MS (6ull * 60 * 1000)

enum sipae_scheme { SIPAE_SCHEME_NTLM, SIPAE_SCHEME_KERBEROS, SIPAE_SCHEME_TLS_DSK, SIPAE_SCHEME_OTHER };

/* A WWW-Authenticate / Proxy-Authenticate value of a Microsoft scheme.
 * Views into the value (quoted ones without the quotes); absent: STRV_NULL. */
struct sipae_challenge {
    enum sipae_scheme scheme;
    struct strv scheme_name;
    struct strv realm, targetname, opaque, gssapi_data, sts_uri;
    uint32_t version; /* 0 when absent (protocol versions 1 and 2) */
};

/* 0 for NTLM, Kerberos, TLS-DSK or another non-Digest scheme (so a caller
 * can list what a server offers); SYNTH_EUNSUPPORTED for Digest (digest.h
 * reads those); SYNTH_EPARSE when malformed, a parameter repeats, realm is
 * missing (NTLM: or targetname) or version is not a number; SYNTH_ETOOBIG
 * past SIPAE_TOKEN_MAX / SIPAE_PARAMS_MAX. */
int sipae_challenge_parse(struct sipae_challenge *ch, struct strv value);

/* (Proxy-)Authentication-Info: the server's signature (3.2.5.2). */
struct sipae_auth_info {
    struct strv scheme_name, rspauth, srand, snum, opaque, qop, realm, targetname;
};
/* 0; SYNTH_EPARSE when rspauth, srand, snum, realm or targetname is missing
 * or the header is malformed. */
int sipae_auth_info_parse(struct sipae_auth_info *ai, struct strv value);

/* The sip-sig buffer of [MS-SIPAE] 3.2.5.2 / [MS-SIP] 3.1.4.2: <scheme>
 * <rand><num><realm><targetname><Call-ID><CSeq number><CSeq method><From
 * URI><From tag>, then for version >= 3 <To URI><To tag><P-Asserted-Identity
 * sip URI><its tel URI>, else <To tag>; then <Expires> and, for a
 * response, <status>. Values as they appear in the message, empty brackets
 * for an absent one. SYNTH_ETOOBIG past out's room. */
int sipae_sig_buffer(struct sbuf *out, const struct sip_msg *msg, uint32_t version,
                     struct strv scheme, struct strv rand, struct strv num, struct strv realm,
                     struct strv targetname);

/* Lists the schemes of every WWW-Authenticate / Proxy-Authenticate of resp,
 * comma-separated in the server's order ("NTLM, Kerberos"), into out. */
void sipae_offered_schemes(const struct sip_msg *resp, char *out, size_t size);

/* Splits a sign-in name: "CONTOSO\alice" gives domain CONTOSO and user
 * alice; a UPN ("alice@contoso.com") or a bare name stays whole as the user
 * with an empty domain (NTLM accepts a UPN in the user field). SYNTH_EINVAL
 * for an empty user part, SYNTH_ETOOBIG when a part does not fit. */
int sipae_user_split(const char *login, char *user, size_t user_size, char *domain,
                     size_t domain_size);

/* The SA's life ([MS-SIPAE] 3.2.1): none until a server challenges; then
 * negotiating (tokens exchanged); established once our AUTHENTICATE is
 * written (signing starts); expired when its lifetime is over (a new,
 * unsigned request starts again). */
enum sipae_state { SIPAE_SA_NONE, SIPAE_SA_NEGOTIATING, SIPAE_SA_ESTABLISHED, SIPAE_SA_EXPIRED };

struct sipae_credentials {
    const char *login;       /* domain\user or UPN */
    const char *password;    /* into NTOWFv2 only, never logged */
    const char *workstation; /* NULL or "": "SYNTH" */
    /* The targetname the server must announce ([MS-SIPAE] 3.2.5.1); NULL:
     * any, though it must still name the computer that answers NTLM. */
    const char *expected_target;
};

struct sipae_sa {
    enum sipae_state state;
    bool proxy;           /* 407: Proxy-Authorization / Proxy-Authentication-Info */
    bool confirmed;       /* the server's rspauth verified at least once */
    uint32_t version;
    char realm[SIPAE_NAME_MAX], targetname[SIPAE_NAME_MAX], opaque[SIPAE_NAME_MAX];
    char token[SIPAE_TOKEN_MAX + 1]; /* gssapi-data for the next request */
    bool token_pending;
    uint32_t cnum;        /* of the last signed request */
    uint32_t snum;        /* of the last verified server signature */
    uint64_t lifetime_ms, expires_ms; /* monotonic */
    /* The server challenged afresh a request signed by this confirmed SA:
     * it let the SA lapse (set by sipae_sa_on_challenge; the caller counts
     * and clears it). */
    bool lapsed;
    struct ntlm_session ntlm;
};

/* lifetime_ms 0: SIPAE_SA_LIFETIME_DEFAULT_MS. */
void sipae_sa_init(struct sipae_sa *sa, uint64_t lifetime_ms);
/* Wipes the keys and returns to none (keeps the lifetime). */
void sipae_sa_reset(struct sipae_sa *sa);

/* Starts the renewal of cur into next ([MS-SIPAE] 3.2.1: a new SA is
 * negotiated on the same connection before the old one expires): next takes
 * cur's realm, targetname, version, direction and lifetime and is
 * negotiating with the empty token, so the next request signed with it
 * opens a fresh exchange while cur goes on signing everything else. */
void sipae_sa_renew_start(struct sipae_sa *next, const struct sipae_sa *cur);

/* The margin before expiry at which sa is renewed: a quarter of its
 * lifetime, at most SIPAE_RENEW_MARGIN_MAX_MS. */
uint64_t sipae_sa_margin_ms(const struct sipae_sa *sa);

/* A 401 or 407 arrived for a request of this SA. The NTLM challenge
 * without gssapi-data starts negotiating (the next request carries an empty
 * gssapi-data); with gssapi-data and opaque it is the server's CHALLENGE
 * message, answered with AUTHENTICATE, and the SA is established. Errors,
 * each with a sentence in e: SYNTH_EUNSUPPORTED when no NTLM challenge is
 * there (e lists the schemes offered, e.g. "Kerberos, TLS-DSK"); SYNTH_EAUTH
 * when the server challenges afresh after our AUTHENTICATE (credentials
 * refused), when targetname is not expected_target or not the computer the
 * CHALLENGE names, or realm/targetname change mid-exchange; SYNTH_EPARSE for
 * a broken gssapi-data. now_ms: monotonic, for the SA's expiry.
 * No lifetime comes with an NTLM SA on the wire ([MS-SIPAE] names none;
 * SIPE assumes eight hours), so a confirmed SA challenged afresh is a lapse:
 * lapsed is set, and the SA's lifetime shrinks to what this one lasted, so
 * the next SA is renewed before the server drops it. */
int sipae_sa_on_challenge(struct sipae_sa *sa, const struct sip_msg *resp,
                          const struct sipae_credentials *cr, uint64_t now_ms,
                          struct synth_error *e);

/* Writes the value of the Authorization (Proxy-Authorization when
 * sa->proxy) header for req, the request as it will be sent without that
 * header (its Call-ID, CSeq, From, To, Expires are signed): while
 * negotiating `NTLM qop="auth", realm=.., targetname=.., gssapi-data=..,
 * version=N`, the AUTHENTICATE one with opaque (and, version >= 4, signed);
 * once established `NTLM qop="auth", opaque=.., realm=.., targetname=..,
 * crand=.., cnum=.., response=..`. crand may be NULL (8 random hex digits).
 * SYNTH_EINVAL in state none or expired. */
int sipae_authorization(struct sipae_sa *sa, struct sbuf *out, const struct sip_msg *req,
                        const char *crand, struct synth_error *e);

/* Verifies the server's signature on msg (a response, or a request it
 * sends): (Proxy-)Authentication-Info for this SA's realm and targetname,
 * rspauth over the sip-sig buffer with srand and snum, snum above the last
 * one seen. 0; SYNTH_ENOTFOUND when msg carries no signature for this SA;
 * SYNTH_EAUTH when it does not verify or replays an snum. */
int sipae_sa_verify(struct sipae_sa *sa, const struct sip_msg *msg, struct synth_error *e);

/* Moves an established SA to expired once now_ms reaches its expiry;
 * returns true when the SA is within margin_ms of it (renew now). */
bool sipae_sa_tick(struct sipae_sa *sa, uint64_t now_ms, uint64_t margin_ms);

const char *sipae_state_name(enum sipae_state s);

/* ---- the server half ([MS-SIPAE] 3.3, the registrar's side) ---------- */

/* A CHALLENGE message as a server writes it: the four names of the target
 * info and a timestamp come to about 200 bytes; the SA keeps it for the MIC. */
#define SIPAE_SERVER_CHALLENGE_MAX 512
/* An opaque names the SA: 8 hex digits, as OCS writes them. */
#define SIPAE_OPAQUE_LEN 8

/* Who the server is in its challenges and signatures. */
struct sipae_server_id {
    const char *realm;      /* "SIP Communications Service" */
    const char *targetname; /* the server FQDN; also MsvAvDnsComputerName */
    const char *nb_domain, *nb_computer, *dns_domain;
    uint32_t version;       /* 3 or 4 */
};

/* An NTLM Authorization / Proxy-Authorization from a client. Views. */
struct sipae_client_auth {
    struct strv realm, targetname, opaque, gssapi_data, crand, cnum, response, qop;
    uint32_t version;
};
/* 0; SYNTH_EUNSUPPORTED when the scheme is not NTLM (Digest, Kerberos);
 * SYNTH_EPARSE when malformed, realm or targetname missing. */
int sipae_client_auth_parse(struct sipae_client_auth *a, struct strv value);

/* The server's SA with one client connection. */
struct sipae_server_sa {
    enum sipae_state state; /* negotiating once the CHALLENGE is out */
    uint32_t version;
    char opaque[SIPAE_OPAQUE_LEN + 1];
    uint8_t challenge[SIPAE_SERVER_CHALLENGE_MAX];
    size_t challenge_len;
    char user[NTLM_STR_MAX], domain[NTLM_STR_MAX]; /* as the AUTHENTICATE names them */
    uint32_t cnum;  /* of the last verified client signature */
    uint32_t snum;  /* of the last signature we wrote */
    uint64_t expires_ms;
    struct ntlm_session ntlm;
};

/* Writes a WWW-/Proxy-Authenticate value: with sa NULL the opening
 * challenge (`NTLM realm=.., targetname=.., version=N`), with a negotiating
 * SA the one carrying its CHALLENGE (opaque and gssapi-data). */
int sipae_server_challenge(struct sbuf *out, const struct sipae_server_id *id,
                           const struct sipae_server_sa *sa);

/* Answers a client's empty token: a new opaque and server challenge, the
 * CHALLENGE message (connectionless, [MS-NLMP] 3.1.5.2.1) kept in sa;
 * negotiating until now_ms + lifetime_ms. SYNTH_EINTERNAL without random
 * bytes, SYNTH_ETOOBIG when the names do not fit. */
int sipae_server_sa_start(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                          uint64_t now_ms, uint64_t lifetime_ms, struct synth_error *e);

/* The password of a user the AUTHENTICATE names, or NULL: no such user. */
typedef const char *(sipae_password_h)(const char *user, const char *domain, void *arg);

/* Takes the client's AUTHENTICATE (a's gssapi-data) for the negotiating
 * sa and establishes it; with version >= 4 the request itself must carry a
 * good signature (checked here). 0; SYNTH_ENOTFOUND (unknown user),
 * SYNTH_EAUTH (wrong password or signature), SYNTH_EPARSE, each with e. */
int sipae_server_sa_accept(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                           const struct sipae_client_auth *a, const struct sip_msg *req,
                           sipae_password_h *password_of, void *arg, uint64_t now_ms,
                           struct synth_error *e);

/* Verifies the client's signature (response= over the sip-sig buffer with
 * crand and cnum) on a later request of an established sa; cnum must grow.
 * 0; SYNTH_EAUTH (bad, replayed or absent), SYNTH_EINVAL when sa is not
 * established or has expired at now_ms. */
int sipae_server_sa_verify(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                           const struct sipae_client_auth *a, const struct sip_msg *req,
                           uint64_t now_ms, struct synth_error *e);

/* Writes the Authentication-Info value signing resp (the response as it
 * is sent, without that header): `NTLM rspauth=.., srand=.., snum=..,
 * opaque=.., qop="auth", targetname=.., realm=..`. srand may be NULL (8
 * random hex digits). The snum counts up. */
int sipae_server_sign(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                      struct sbuf *out, const struct sip_msg *resp, const char *srand);

/* Wipes the SA's keys. */
void sipae_server_sa_clear(struct sipae_server_sa *sa);

#endif
