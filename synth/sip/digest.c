/* SIP Digest authentication (RFC 3261 22.4 on RFC 2617 3.2 and RFC 7616 3.4,
 * SHA-256 for SIP per RFC 8760). Parsers return views into the caller's header
 * value; MD5 and SHA-256 share one hashing path through OpenSSL EVP. */
#include "digest.h"

#include "auth_params.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Lowercase hex of the longest digest computed here (SHA-256), and a NUL. */
#define DIGEST_HEX_SIZE (2 * 32 + 1)
/* nc is exactly 8 hex digits (RFC 2617 3.2.2). */
#define DIGEST_NC_LEN 8

static const char *const algo_names[] = {
    [DIGEST_MD5] = "MD5",
    [DIGEST_MD5_SESS] = "MD5-sess",
    [DIGEST_SHA256] = "SHA-256",
    [DIGEST_SHA256_SESS] = "SHA-256-sess",
};

/* The inputs of the response hash, all unescaped (RFC 7616 3.4.1-3.4.3). */
struct digest_input {
    enum digest_algo algo;
    struct strv user, realm, nonce, cnonce, nc, method, uri;
    bool qop_auth;
};

/* Scratch for unquote(): one per value that may hold quoted-pairs. */
struct unq_buf {
    char b[DIGEST_VALUE_MAX];
};

static bool is_hex_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_hex(struct strv v, size_t len)
{
    if (v.l != len)
        return false;
    for (size_t i = 0; i < v.l; i++)
        if (!is_hex_char(v.p[i]))
            return false;
    return true;
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if (auth_is_ctl(*s))
            return true;
    return false;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!auth_is_token_char(*s))
            return false;
    return true;
}

static bool algo_is_sess(enum digest_algo a)
{
    return a == DIGEST_MD5_SESS || a == DIGEST_SHA256_SESS;
}

static bool algo_is_sha256(enum digest_algo a)
{
    return a == DIGEST_SHA256 || a == DIGEST_SHA256_SESS;
}

const char *digest_algo_name(enum digest_algo a)
{
    if ((unsigned)a < ARRAY_SIZE(algo_names))
        return algo_names[a];
    return "unknown";
}

/* `Digest 1*SP params`; another scheme is not malformed, only not ours. */
static int scheme_parse(struct strv value, struct auth_cursor *c)
{
    struct strv scheme;
    int err = auth_scheme_parse(value, &scheme, c);
    if (err)
        return err;
    if (!strv_caseeq(scheme, "Digest"))
        return SYNTH_EUNSUPPORTED;
    return 0;
}

static int params_collect(struct auth_cursor *c, const struct auth_param_slot *slots, size_t n)
{
    return auth_params_collect(c, slots, n, DIGEST_PARAMS_MAX, DIGEST_VALUE_MAX);
}

/* Absent means MD5 (RFC 2617 3.2.1); names compare case-insensitively
 * because PJSIP-based servers send "md5". */
static int algo_parse(struct strv v, enum digest_algo *a)
{
    if (!strv_isset(v)) {
        *a = DIGEST_MD5;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(algo_names); i++) {
        if (strv_caseeq(v, algo_names[i])) {
            *a = (enum digest_algo)i;
            return 0;
        }
    }
    return SYNTH_EUNSUPPORTED;
}

/* qop-options is a quoted comma list of tokens (RFC 2617 3.2.1). */
static bool qop_list_has_auth(struct strv v)
{
    size_t i = 0;
    while (i <= v.l) {
        size_t j = i;
        while (j < v.l && v.p[j] != ',')
            j++;
        if (strv_caseeq(strv_trim(strv_make(v.p + i, j - i)), "auth"))
            return true;
        i = j + 1;
    }
    return false;
}

int digest_challenge_parse(struct digest_challenge *ch, struct strv value)
{
    struct auth_cursor c;
    struct strv algo, qop, stale;
    const struct auth_param_slot slots[] = {
        {"realm", &ch->realm}, {"nonce", &ch->nonce},   {"opaque", &ch->opaque},
        {"algorithm", &algo},  {"qop", &qop},           {"stale", &stale},
    };

    memset(ch, 0, sizeof(*ch));
    int err = scheme_parse(value, &c);
    if (err)
        return err;
    err = params_collect(&c, slots, ARRAY_SIZE(slots));
    if (err)
        return err;
    if (!strv_isset(ch->realm) || !strv_isset(ch->nonce))
        return SYNTH_EPARSE;
    err = algo_parse(algo, &ch->algo);
    if (err)
        return err;
    if (strv_isset(qop)) {
        /* auth-int would need the body hashed into A2; no SIP server we
         * target requires it, so such a challenge is refused, not half-met. */
        if (!qop_list_has_auth(qop))
            return SYNTH_EUNSUPPORTED;
        ch->qop_auth = true;
    }
    ch->stale = strv_caseeq(stale, "true");
    return 0;
}

int digest_challenge_pick(const struct digest_challenge *chs, size_t n)
{
    int best = -1;
    if (!chs)
        return -1;
    /* Strictly better only, so among equals the server's first wins. */
    for (size_t i = 0; i < n && i <= INT_MAX; i++)
        if (best < 0 || (algo_is_sha256(chs[i].algo) && !algo_is_sha256(chs[best].algo)))
            best = (int)i;
    return best;
}

int digest_credentials_parse(struct digest_credentials *c, struct strv value)
{
    struct auth_cursor cur;
    struct strv algo;
    const struct auth_param_slot slots[] = {
        {"username", &c->username}, {"realm", &c->realm},   {"nonce", &c->nonce},
        {"uri", &c->uri},           {"response", &c->response}, {"cnonce", &c->cnonce},
        {"nc", &c->nc},             {"qop", &c->qop},       {"opaque", &c->opaque},
        {"algorithm", &algo},
    };

    memset(c, 0, sizeof(*c));
    int err = scheme_parse(value, &cur);
    if (err)
        return err;
    err = params_collect(&cur, slots, ARRAY_SIZE(slots));
    if (err)
        return err;
    if (!strv_isset(c->username) || !strv_isset(c->realm) || !strv_isset(c->nonce) ||
        !strv_isset(c->uri) || !strv_isset(c->response))
        return SYNTH_EPARSE;
    err = algo_parse(algo, &c->algo);
    if (err)
        return err;
    if (strv_isset(c->qop)) {
        if (!strv_caseeq(c->qop, "auth"))
            return SYNTH_EUNSUPPORTED;
        /* RFC 2617 3.2.2: cnonce and nc MUST accompany qop. */
        if (!strv_isset(c->cnonce) || !is_hex(c->nc, DIGEST_NC_LEN))
            return SYNTH_EPARSE;
    }
    if (algo_is_sess(c->algo) && !strv_isset(c->cnonce))
        return SYNTH_EPARSE;
    if (!is_hex(c->response, algo_is_sha256(c->algo) ? 64 : 32))
        return SYNTH_EPARSE;
    return 0;
}

/* unq() of RFC 2617 3.2.1: quoted-pairs resolved. The view itself when it
 * holds no backslash (the common case), else a copy in buf. */
static int unquote(struct strv v, struct unq_buf *buf, struct strv *out)
{
    if (v.l == 0 || !memchr(v.p, '\\', v.l)) {
        *out = v;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < v.l; i++) {
        if (v.p[i] == '\\' && i + 1 < v.l)
            i++;
        if (n == sizeof(buf->b))
            return SYNTH_ETOOBIG;
        buf->b[n++] = v.p[i];
    }
    *out = strv_make(buf->b, n);
    return 0;
}

/* H(p0 ":" p1 ":" ...) as lowercase hex (RFC 7616 3.4.1). Fed part by part,
 * so the password is never copied into a buffer of ours. */
static int hash_hex(EVP_MD_CTX *ctx, const EVP_MD *md, const struct strv *parts, size_t n,
                    char hex[DIGEST_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int err = SYNTH_EINTERNAL;

    /* Init fails when a FIPS-only configuration has no MD5. */
    if (!EVP_DigestInit_ex(ctx, md, NULL)) {
        err = SYNTH_EUNSUPPORTED;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (i && !EVP_DigestUpdate(ctx, ":", 1))
            goto out;
        if (parts[i].l && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].l))
            goto out;
    }
    if (!EVP_DigestFinal_ex(ctx, raw, &len) || 2 * (size_t)len >= DIGEST_HEX_SIZE)
        goto out;
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 0xf];
    }
    hex[2 * len] = '\0';
    err = 0;
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    return err;
}

/* request-digest (RFC 7616 3.4.1; RFC 2617 3.2.2.1 without qop). */
static int digest_compute(const struct digest_input *in, const char *password,
                          char response[DIGEST_HEX_SIZE])
{
    const EVP_MD *md = algo_is_sha256(in->algo) ? EVP_sha256() : EVP_md5();
    char ha1[DIGEST_HEX_SIZE], ha1_sess[DIGEST_HEX_SIZE], ha2[DIGEST_HEX_SIZE];
    int err = SYNTH_ENOMEM;

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        goto out;

    const struct strv a1[] = {in->user, in->realm, strv_from_cstr(password)};
    err = hash_hex(ctx, md, a1, ARRAY_SIZE(a1), ha1);
    if (err)
        goto out;
    if (algo_is_sess(in->algo)) {
        /* RFC 7616 3.4.2: A1 = H(user:realm:password):nonce:cnonce */
        const struct strv s[] = {strv_from_cstr(ha1), in->nonce, in->cnonce};
        err = hash_hex(ctx, md, s, ARRAY_SIZE(s), ha1_sess);
        if (err)
            goto out;
        memcpy(ha1, ha1_sess, sizeof(ha1));
    }
    const struct strv a2[] = {in->method, in->uri};
    err = hash_hex(ctx, md, a2, ARRAY_SIZE(a2), ha2);
    if (err)
        goto out;
    if (in->qop_auth) {
        const struct strv r[] = {strv_from_cstr(ha1), in->nonce, in->nc, in->cnonce,
                                 strv_from_cstr("auth"), strv_from_cstr(ha2)};
        err = hash_hex(ctx, md, r, ARRAY_SIZE(r), response);
    } else {
        const struct strv r[] = {strv_from_cstr(ha1), in->nonce, strv_from_cstr(ha2)};
        err = hash_hex(ctx, md, r, ARRAY_SIZE(r), response);
    }
out:
    /* H(A1) is password-equivalent: whoever has it can answer any nonce. */
    OPENSSL_cleanse(ha1, sizeof(ha1));
    OPENSSL_cleanse(ha1_sess, sizeof(ha1_sess));
    EVP_MD_CTX_free(ctx);
    return err;
}

/* A quoted-string of ours, escaping what RFC 3261 25.1 requires. */
static void put_quoted(struct sbuf *sb, const char *s)
{
    sbuf_put(sb, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_put(sb, "\\", 1);
        sbuf_put(sb, s, 1);
    }
    sbuf_put(sb, "\"", 1);
}

/* A value received quoted, echoed with its escapes as they came. */
static void put_echoed(struct sbuf *sb, const char *name, struct strv v)
{
    sbuf_printf(sb, ", %s=\"", name);
    sbuf_put_strv(sb, v);
    sbuf_put(sb, "\"", 1);
}

int digest_authorization(struct sbuf *out, const struct digest_challenge *ch, const char *method,
                         const char *uri, const char *user, const char *password,
                         uint32_t nc, const char *cnonce)
{
    struct unq_buf realm_buf, nonce_buf;
    char nc_hex[DIGEST_NC_LEN + 1];
    char response[DIGEST_HEX_SIZE];
    struct digest_input in = {0};

    if (!out || !ch || !method || !uri || !user || !password)
        return SYNTH_EINVAL;
    if ((unsigned)ch->algo >= ARRAY_SIZE(algo_names) || !strv_isset(ch->realm) ||
        !strv_isset(ch->nonce))
        return SYNTH_EINVAL;
    if (!is_token(method) || has_ctl(uri) || has_ctl(user))
        return SYNTH_EINVAL;
    bool need_cnonce = ch->qop_auth || algo_is_sess(ch->algo);
    if (need_cnonce && (!cnonce || !*cnonce || has_ctl(cnonce)))
        return SYNTH_EINVAL;
    if (ch->qop_auth && nc == 0)
        return SYNTH_EINVAL; /* nc counts requests, this one included */

    snprintf(nc_hex, sizeof(nc_hex), "%08" PRIx32, nc);
    in.algo = ch->algo;
    in.qop_auth = ch->qop_auth;
    in.user = strv_from_cstr(user);
    in.method = strv_from_cstr(method);
    in.uri = strv_from_cstr(uri);
    in.nc = strv_from_cstr(nc_hex);
    in.cnonce = need_cnonce ? strv_from_cstr(cnonce) : STRV_NULL;
    int err = unquote(ch->realm, &realm_buf, &in.realm);
    if (!err)
        err = unquote(ch->nonce, &nonce_buf, &in.nonce);
    if (!err)
        err = digest_compute(&in, password, response);
    if (err)
        return err;

    sbuf_puts(out, "Digest username=");
    put_quoted(out, user);
    put_echoed(out, "realm", ch->realm);
    put_echoed(out, "nonce", ch->nonce);
    sbuf_puts(out, ", uri=");
    put_quoted(out, uri);
    sbuf_printf(out, ", response=\"%s\", algorithm=%s", response, algo_names[ch->algo]);
    if (need_cnonce) {
        sbuf_puts(out, ", cnonce=");
        put_quoted(out, cnonce);
    }
    if (ch->qop_auth)
        sbuf_printf(out, ", qop=auth, nc=%s", nc_hex);
    if (strv_isset(ch->opaque))
        put_echoed(out, "opaque", ch->opaque);
    return sbuf_result(out);
}

bool digest_verify(const struct digest_credentials *c, const char *method, const char *password)
{
    struct unq_buf user_buf, realm_buf, nonce_buf, uri_buf, cnonce_buf;
    char expected[DIGEST_HEX_SIZE], got[DIGEST_HEX_SIZE];
    struct digest_input in = {0};

    if (!c || !method || !password || (unsigned)c->algo >= ARRAY_SIZE(algo_names))
        return false;
    in.algo = c->algo;
    in.qop_auth = strv_isset(c->qop);
    in.nc = c->nc;
    in.method = strv_from_cstr(method);
    if (unquote(c->username, &user_buf, &in.user) || unquote(c->realm, &realm_buf, &in.realm) ||
        unquote(c->nonce, &nonce_buf, &in.nonce) || unquote(c->uri, &uri_buf, &in.uri) ||
        unquote(c->cnonce, &cnonce_buf, &in.cnonce))
        return false;
    if (digest_compute(&in, password, expected) != 0)
        return false;

    /* The length is public (fixed by the algorithm); the digits are not. */
    size_t len = strlen(expected);
    if (c->response.l != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = c->response.p[i];
        got[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch - 'A' + 'a') : ch;
    }
    return CRYPTO_memcmp(got, expected, len) == 0;
}

int digest_challenge_write(struct sbuf *out, enum digest_algo algo, const char *realm,
                           const char *nonce, const char *opaque)
{
    if (!out || !realm || !nonce || (unsigned)algo >= ARRAY_SIZE(algo_names))
        return SYNTH_EINVAL;
    if (has_ctl(realm) || has_ctl(nonce) || (opaque && has_ctl(opaque)))
        return SYNTH_EINVAL;
    sbuf_puts(out, "Digest realm=");
    put_quoted(out, realm);
    sbuf_puts(out, ", nonce=");
    put_quoted(out, nonce);
    sbuf_printf(out, ", algorithm=%s, qop=\"auth\"", algo_names[algo]);
    if (opaque) {
        sbuf_puts(out, ", opaque=");
        put_quoted(out, opaque);
    }
    return sbuf_result(out);
}

int digest_random_hex(char *out, size_t out_size, size_t nbytes)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[DIGEST_RANDOM_MAX];

    if (!out || nbytes == 0 || nbytes > DIGEST_RANDOM_MAX)
        return SYNTH_EINVAL;
    if (out_size < 2 * nbytes + 1)
        return SYNTH_ETOOBIG;
    if (RAND_bytes(raw, (int)nbytes) != 1)
        return SYNTH_EINTERNAL;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 0xf];
    }
    out[2 * nbytes] = '\0';
    return 0;
}
