/* SDES key attributes: a=crypto (RFC 4568 9.1) and [MS-SDPEXT]'s
 * a=cryptoscale. The line's grammar is parsed here; the inline key-param
 * (RFC 4568 9.2) is media/sdes_key's and the suite table is
 * media/srtp_session's, so the SDP side and the SRTP side read keys alike. */
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_scan.h"

#include <openssl/crypto.h>
#include <string.h>

/* RFC 4568 9.1: tag = 1*9DIGIT. */
#define CRYPTO_TAG_DIGITS 9

static bool is_suite_char(char c)
{
    return sdp_is_alnum(c) || c == '_';
}

/* session-param = 1*(VCHAR) */
static bool is_vchar(char c)
{
    return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

static bool is_vchar_or_blank(char c)
{
    return is_vchar(c) || sdp_is_blank(c);
}

static int bad(const char **why, int code, const char *reason)
{
    if (why)
        *why = reason;
    return code;
}

/* key-param = key-method ":" key-info (RFC 4568 9.1). Only the inline
 * method is ours; its key-info is read by sdes_key when the suite is one we
 * know (SYNTH_EUNSUPPORTED from it, a long MKI, drops the line as another
 * key method does). */
static int parse_key_param(struct sdp_crypto *c, struct sdp_crypto_key *k, struct strv v,
                           const char **why)
{
    const char *colon = memchr(v.p, ':', v.l);
    *k = (struct sdp_crypto_key){.param = v};
    if (!colon || colon == v.p)
        return bad(why, SYNTH_EPARSE, "crypto: key-param is not method:info");
    if (!strv_caseeq(strv_make(v.p, (size_t)(colon - v.p)), "inline"))
        return bad(why, SYNTH_EUNSUPPORTED, "crypto: key method other than inline");
    if (!c->suite_known)
        return 0;
    return sdes_key_parse_why(&k->key, v.p, v.l, why);
}

/* key-params = key-param *(";" key-param) */
static int parse_key_params(struct sdp_crypto *c, struct strv v, const char **why)
{
    const char *s = v.p, *e = v.p + v.l;
    for (;;) {
        const char *semi = memchr(s, ';', (size_t)(e - s));
        const char *pe = semi ? semi : e;
        if (c->key_count == SDP_CRYPTO_KEYS_MAX)
            return bad(why, SYNTH_ETOOBIG, "crypto: more than SDP_CRYPTO_KEYS_MAX keys");
        int rc = parse_key_param(c, &c->keys[c->key_count], strv_make(s, (size_t)(pe - s)), why);
        if (rc)
            return rc;
        c->key_count++;
        if (!semi)
            return 0;
        s = semi + 1;
    }
}

int sdp_crypto_parse(struct sdp_crypto *c, struct strv value, bool scale, const char **why)
{
    struct sdp_scan sc = sdp_scan_of(value);
    struct strv tag, suite, keys;
    uint64_t n;

    *c = (struct sdp_crypto){0};
    if (!value.p)
        return bad(why, SYNTH_EPARSE, "crypto: empty");
    if (!sdp_scan_word(&sc, &tag) || !sdp_u64(tag, CRYPTO_TAG_DIGITS, UINT32_MAX, &n))
        return bad(why, SYNTH_EPARSE, "crypto: tag is not 1-9 digits");
    c->tag = (uint32_t)n;
    if (scale) {
        if (!sdp_scan_word(&sc, &c->scale_role) || !sdp_all(c->scale_role, sdp_is_alpha))
            return bad(why, SYNTH_EPARSE, "cryptoscale: no role");
    }
    if (!sdp_scan_word(&sc, &suite) || !sdp_all(suite, is_suite_char))
        return bad(why, SYNTH_EPARSE, "crypto: suite is not letters, digits, '_'");
    c->suite_name = suite;
    c->suite_known = srtpsess_suite_parse(suite.p, suite.l, &c->suite) == 0;
    if (!sdp_scan_word(&sc, &keys))
        return bad(why, SYNTH_EPARSE, "crypto: no key-params");
    int rc = parse_key_params(c, keys, why);
    if (rc)
        goto out;
    c->session_params = sdp_scan_rest(&sc);
    if (c->session_params.p && !sdp_all(c->session_params, is_vchar_or_blank))
        rc = bad(why, SYNTH_EPARSE, "crypto: session-param is not visible characters");
out:
    /* A refused or skipped line leaves no decoded key behind. */
    if (rc)
        OPENSSL_cleanse(c->keys, sizeof(c->keys));
    return rc;
}
