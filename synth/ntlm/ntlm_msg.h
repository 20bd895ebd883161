/* NTLM messages of [MS-NLMP] 2.2.1: NEGOTIATE and AUTHENTICATE written, and a
 * bounds-checked CHALLENGE parser that hands back views into the caller's
 * buffer with the AV pairs of its target info (2.2.2.1). Building the
 * AUTHENTICATE message runs the NTLMv2 client of 3.1.5.1.2 and yields the
 * session's signing and sealing keys. */
#ifndef SYNTH_NTLM_MSG_H
#define SYNTH_NTLM_MSG_H

#include "ntlm_crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest CHALLENGE accepted, and the largest AUTHENTICATE written. Real
 * ones are 200-400 bytes (the target info names the domain and server a few
 * times); 4 KB bounds the copy of the target info into the NTLMv2 response. */
#define NTLM_MSG_MAX 4096
/* AV pairs in one target info: 2.2.2.1 defines 11 ids; the bound caps the
 * work of a hostile list. */
#define NTLM_AV_PAIRS_MAX 32
#define NTLM_VERSION_LEN 8
#define NTLM_MIC_LEN 16

/* AvId values (2.2.2.1). */
enum ntlm_av_id {
    NTLM_AV_EOL = 0,
    NTLM_AV_NB_COMPUTER = 1,
    NTLM_AV_NB_DOMAIN = 2,
    NTLM_AV_DNS_COMPUTER = 3,
    NTLM_AV_DNS_DOMAIN = 4,
    NTLM_AV_DNS_TREE = 5,
    NTLM_AV_FLAGS = 6,
    NTLM_AV_TIMESTAMP = 7,
    NTLM_AV_SINGLE_HOST = 8,
    NTLM_AV_TARGET_NAME = 9,
    NTLM_AV_CHANNEL_BINDINGS = 10,
};
/* MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
#define NTLM_AV_FLAG_MIC 0x00000002u

struct ntlm_view {
    const uint8_t *p;
    size_t len;
};

struct ntlm_challenge {
    uint32_t flags;
    uint8_t server_challenge[NTLM_CHALLENGE_LEN];
    struct ntlm_view target_name; /* UTF-16LE (or OEM) as sent */
    struct ntlm_view target_info; /* the AV pair list, MsvAvEOL included */
    struct ntlm_view version;     /* 8 bytes when NTLM_FLAG_VERSION, else empty */
    /* From the target info; UTF-16LE views, empty when absent. */
    struct ntlm_view nb_computer, nb_domain, dns_computer, dns_domain, dns_tree, av_target_name;
    bool has_timestamp;
    uint64_t timestamp; /* MsvAvTimestamp, FILETIME */
};

/* Parses a CHALLENGE_MESSAGE (2.2.1.2). Every offset and length is checked
 * against len before use; the target info must be a well-formed AV pair list
 * ending in MsvAvEOL, with no id repeated. 0, SYNTH_EPARSE (not NTLMSSP, not
 * type 2, a field outside the buffer, a broken AV list), SYNTH_ETOOBIG
 * (over NTLM_MSG_MAX or NTLM_AV_PAIRS_MAX). */
int ntlm_challenge_parse(struct ntlm_challenge *ch, const uint8_t *buf, size_t len);

/* NEGOTIATE_MESSAGE (2.2.1.1) with no domain or workstation, the version
 * field when NTLM_FLAG_VERSION is in flags. SYNTH_ETOOBIG if cap is short. */
int ntlm_negotiate_write(uint32_t flags, const uint8_t version[NTLM_VERSION_LEN], uint8_t *out,
                         size_t cap, size_t *out_len);

/* What the client brings to the AUTHENTICATE message. */
struct ntlm_auth_input {
    uint32_t flags;          /* of the AUTHENTICATE message and the session */
    const char *user;        /* UTF-8; Uppercase()d into NTOWFv2 only */
    const char *domain;      /* may be "" (UPN user names) */
    const char *workstation; /* may be "" */
    const char *password;    /* into NTOWFv2 only */
    uint8_t client_challenge[NTLM_CHALLENGE_LEN]; /* random per message */
    uint64_t timestamp;      /* FILETIME now; the server's MsvAvTimestamp wins */
    uint8_t random_session_key[NTLM_KEY_LEN];    /* random; used when KEY_EXCH */
    const uint8_t *version;  /* NTLM_VERSION_LEN bytes, NULL: all zero */
    /* The NEGOTIATE message sent before, for the MIC; NULL in connectionless
     * mode, where there is none (3.1.5.2). */
    const uint8_t *negotiate;
    size_t negotiate_len;
};

/* Both directions' keys of an authenticated session (3.4.5). */
struct ntlm_session {
    uint32_t flags;
    uint8_t exported_session_key[NTLM_KEY_LEN];
    struct ntlm_keys client, server;
    bool mic; /* a MIC was sent (the challenge carried MsvAvTimestamp) */
};

/* Writes the AUTHENTICATE_MESSAGE (2.2.1.3) answering ch (raw: the
 * challenge's bytes, for the MIC) and fills *s. NTLMv2 only; Unicode strings
 * (the flag is required). When the challenge carries MsvAvTimestamp its time
 * is used, the LM response is Z(24), MsvAvFlags gains the MIC bit and a MIC
 * (HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE))
 * is written, as 3.1.5.1.2 says. SYNTH_EINVAL for a missing input or no
 * Unicode, SYNTH_ETOOBIG past cap or NTLM_MSG_MAX. The password, the NT
 * hash and keys other than those in *s are wiped before returning. */
int ntlm_authenticate_write(const struct ntlm_challenge *ch, const uint8_t *raw, size_t raw_len,
                            const struct ntlm_auth_input *in, uint8_t *out, size_t cap,
                            size_t *out_len, struct ntlm_session *s);

/* ---- the server side (3.1.5.2.2 connectionless, 3.3.2 NTLMv2) ---- */

/* What a server puts in its CHALLENGE_MESSAGE. Names are UTF-8; the target
 * info carries them (MsvAvNbDomainName, MsvAvNbComputerName,
 * MsvAvDnsDomainName, MsvAvDnsComputerName) and, when timestamp is not 0,
 * MsvAvTimestamp, which makes the client send a MIC. */
struct ntlm_challenge_input {
    uint32_t flags;
    uint8_t server_challenge[NTLM_CHALLENGE_LEN];
    const char *nb_domain, *nb_computer, *dns_domain, *dns_computer;
    uint64_t timestamp; /* FILETIME, 0: none */
    const uint8_t *version; /* NTLM_VERSION_LEN bytes, NULL: all zero */
};

/* Writes a CHALLENGE_MESSAGE (2.2.1.2), TargetName the NetBIOS domain.
 * SYNTH_EINVAL for a missing name or invalid UTF-8, SYNTH_ETOOBIG past cap. */
int ntlm_challenge_write(const struct ntlm_challenge_input *in, uint8_t *out, size_t cap,
                         size_t *out_len);

/* An AUTHENTICATE_MESSAGE (2.2.1.3) as received: views into the buffer. */
struct ntlm_authenticate {
    uint32_t flags;
    struct ntlm_view lm, nt, domain, user, workstation, session_key;
};

/* Parses an AUTHENTICATE_MESSAGE: every field inside the buffer, the NT
 * response long enough for NTLMv2 (NTProofStr and the 28-byte blob head).
 * 0, SYNTH_EPARSE, SYNTH_ETOOBIG (over NTLM_MSG_MAX). */
int ntlm_authenticate_parse(struct ntlm_authenticate *a, const uint8_t *buf, size_t len);

/* The server's check of an AUTHENTICATE (3.2.5.1.2 with NTLMv2, 3.3.2):
 * recomputes the NTLMv2 response from the password it knows for the user
 * and domain the message names, compares it in constant time, and on a
 * match fills *s with the session keys (the exported key decrypted with
 * RC4K when KEY_EXCH) and checks the MIC over CHALLENGE || AUTHENTICATE
 * when the client's target info says one is there. challenge: the
 * CHALLENGE bytes the server sent. 0; SYNTH_EAUTH for a wrong response or
 * MIC (a wrong password); SYNTH_EPARSE for an LM-only or NTLMv1 answer or
 * names that are not UTF-16. The NT hash is wiped before returning. */
int ntlm_authenticate_check(const struct ntlm_authenticate *a, const uint8_t *raw, size_t raw_len,
                            const uint8_t *challenge, size_t challenge_len, const char *password,
                            struct ntlm_session *s);

/* UTF-16LE (a name from a message) to UTF-8, NUL-terminated; surrogate
 * pairs joined. SYNTH_EPARSE for an odd length or a lone surrogate,
 * SYNTH_ETOOBIG past size. */
int ntlm_utf8_from_utf16le(struct ntlm_view w, char *out, size_t size);

/* Wipes the session's keys. */
void ntlm_session_clear(struct ntlm_session *s);

#endif
