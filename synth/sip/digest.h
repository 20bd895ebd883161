/* SIP Digest authentication: challenges, credentials and the response hash.
 * RFC 3261 22.4 over RFC 2617 and RFC 7616 (MD5, SHA-256 and their -sess
 * forms), with RFC 8760 for SHA-256 in SIP. qop=auth only; auth-int is refused. */
#ifndef SYNTH_SIP_DIGEST_H
#define SYNTH_SIP_DIGEST_H

#include "synth/base/err.h"
#include "synth/base/sbuf.h"
#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest parameter value accepted. Real nonces are 32-64 characters
 * (Kamailio, Asterisk, RFC 7616's base64 examples); 1 KB leaves room for a
 * proxy's long opaque and bounds the unescape buffers kept on the stack. */
#define DIGEST_VALUE_MAX 1024
/* Parameters in one header value: RFC 7616 defines about a dozen; the bound
 * caps the work a hostile peer can ask for. */
#define DIGEST_PARAMS_MAX 32
/* Most random bytes digest_random_hex hands out at once. */
#define DIGEST_RANDOM_MAX 64

enum digest_algo { DIGEST_MD5, DIGEST_MD5_SESS, DIGEST_SHA256, DIGEST_SHA256_SESS };

/* Views into the header value given to the parser (valid as long as it is).
 * A quoted value is the text between the quotes as written: quoted-pairs
 * (RFC 3261 25.1) are still escaped; the hash sees them unescaped and
 * digest_authorization echoes them as received. Absent: STRV_NULL. */
struct digest_challenge {
    enum digest_algo algo; /* MD5 when the challenge names none (RFC 2617 3.2.1) */
    struct strv realm, nonce, opaque;
    bool qop_auth;         /* qop offered and includes "auth"; false: RFC 2069 mode */
    bool stale;
};

/* Parses the value of WWW-Authenticate / Proxy-Authenticate. SYNTH_EUNSUPPORTED
 * for a scheme other than Digest (NTLM, Kerberos, TLS-DSK — real SfB offers
 * those), an unknown algorithm, or a qop list without "auth" (auth-int only);
 * SYNTH_EPARSE when malformed (missing realm/nonce, duplicated parameter);
 * SYNTH_ETOOBIG past DIGEST_VALUE_MAX / DIGEST_PARAMS_MAX. */
int digest_challenge_parse(struct digest_challenge *ch, struct strv value);

/* Of several challenges in one response, the preferred: SHA-256 over MD5
 * (RFC 8760 2.4), the server's order among equals (RFC 7616 3.7).
 * Returns the index, or -1 when n is 0. */
int digest_challenge_pick(const struct digest_challenge *chs, size_t n);

/* Computes the response and writes the full header value
 * `Digest username="..", realm="..", nonce="..", uri="..", response="..",
 * algorithm=.., cnonce="..", qop=auth, nc=00000001, opaque=".."` into out.
 * qop and nc only when ch->qop_auth; cnonce then and for the -sess algorithms,
 * which hash it into A1 (RFC 2617 3.2.2.2). The password goes into the hash
 * only. SYNTH_EINVAL for a control character in user/uri/method (header
 * injection), nc 0 or a missing cnonce where one is needed; SYNTH_ETOOBIG if
 * out is too small; SYNTH_EUNSUPPORTED if OpenSSL refuses the hash (FIPS). */
int digest_authorization(struct sbuf *out, const struct digest_challenge *ch, const char *method,
                         const char *uri, const char *user, const char *password,
                         uint32_t nc, const char *cnonce);

/* Server side, used by the embedded lab registrar. Views as in
 * struct digest_challenge; qop is STRV_NULL when the client sent none. */
struct digest_credentials {
    struct strv username, realm, nonce, uri, response, cnonce, nc, qop, opaque;
    enum digest_algo algo;
};

/* Parses an Authorization / Proxy-Authorization value. SYNTH_EPARSE when
 * username, realm, nonce, uri or response is missing, when qop is given
 * without cnonce and an 8-digit hex nc, or the response is not hex of the
 * algorithm's length; SYNTH_EUNSUPPORTED for another scheme, algorithm or
 * a qop other than auth. */
int digest_credentials_parse(struct digest_credentials *c, struct strv value);

/* True when c->response is what `password` gives. Constant-time in the
 * comparison. Checking that realm and nonce are the ones issued (and nc
 * replay) is the caller's job. */
bool digest_verify(const struct digest_credentials *c, const char *method, const char *password);

/* Writes a challenge header value
 * `Digest realm="..", nonce="..", algorithm=MD5, qop="auth"[, opaque=".."]`;
 * opaque may be NULL. SYNTH_EINVAL for a control character in an argument. */
int digest_challenge_write(struct sbuf *out, enum digest_algo algo, const char *realm,
                           const char *nonce, const char *opaque);

/* Writes 2 * nbytes lowercase hex characters of RAND_bytes output and a NUL.
 * SYNTH_EINVAL for nbytes 0 or over DIGEST_RANDOM_MAX, SYNTH_ETOOBIG when
 * out_size < 2 * nbytes + 1, SYNTH_EINTERNAL if the RNG fails. */
int digest_random_hex(char *out, size_t out_size, size_t nbytes);

/* "MD5", "MD5-sess", "SHA-256", "SHA-256-sess" (RFC 7616 6.1); never NULL. */
const char *digest_algo_name(enum digest_algo a);

#endif
