/* [MS-SIPAE] NTLM over SIP: header parsing (the auth-param grammar of
 * auth_params.c), the client's security association, the sip-sig buffer of
 * 3.2.5.2 and its signatures through synth/ntlm. Behaviour checked against
 * the exchanges SIPE records between Office Communicator and OCS. */
#include "sipae.h"

#include "auth_params.h"
#include "synth/base/clock.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Windows 7 / NTLM revision 15 in the AUTHENTICATE version field
 * ([MS-NLMP] 2.2.2.10); servers only log it. */
static const uint8_t client_version[NTLM_VERSION_LEN] = {6, 1, 0xb0, 0x1d, 0, 0, 0, 0x0f};
/* What we accept of the server's CHALLENGE flags ([MS-NLMP] 3.1.5.2.1:
 * connectionless, the client takes the server's choice among its own). */
#define SIPAE_CLIENT_FLAGS                                                                        \
    (NTLM_FLAG_UNICODE | NTLM_FLAG_REQUEST_TARGET | NTLM_FLAG_SIGN | NTLM_FLAG_DATAGRAM |         \
     NTLM_FLAG_NTLM | NTLM_FLAG_ALWAYS_SIGN | NTLM_FLAG_EXTENDED_SESSIONSECURITY |               \
     NTLM_FLAG_IDENTIFY | NTLM_FLAG_TARGET_INFO | NTLM_FLAG_VERSION | NTLM_FLAG_128 |            \
     NTLM_FLAG_KEY_EXCH | NTLM_FLAG_56)
/* FILETIME of the Unix epoch, in 100 ns units since 1601. */
#define FILETIME_UNIX_EPOCH 116444736000000000ull
#define DEFAULT_WORKSTATION "SYNTH"

static const char *const state_names[] = {
    [SIPAE_SA_NONE] = "none",
    [SIPAE_SA_NEGOTIATING] = "negotiating",
    [SIPAE_SA_ESTABLISHED] = "established",
    [SIPAE_SA_EXPIRED] = "expired",
};

const char *sipae_state_name(enum sipae_state s)
{
    if ((unsigned)s < ARRAY_SIZE(state_names))
        return state_names[s];
    return "unknown";
}

static enum sipae_scheme scheme_of(struct strv name)
{
    if (strv_caseeq(name, "NTLM"))
        return SIPAE_SCHEME_NTLM;
    if (strv_caseeq(name, "Kerberos"))
        return SIPAE_SCHEME_KERBEROS;
    if (strv_caseeq(name, "TLS-DSK"))
        return SIPAE_SCHEME_TLS_DSK;
    return SIPAE_SCHEME_OTHER;
}

int sipae_challenge_parse(struct sipae_challenge *ch, struct strv value)
{
    struct auth_cursor c;
    struct strv version;
    const struct auth_param_slot slots[] = {
        {"realm", &ch->realm},   {"targetname", &ch->targetname}, {"opaque", &ch->opaque},
        {"gssapi-data", &ch->gssapi_data}, {"sts-uri", &ch->sts_uri}, {"version", &version},
    };

    memset(ch, 0, sizeof(*ch));
    int err = auth_scheme_parse(value, &ch->scheme_name, &c);
    if (err)
        return err;
    if (strv_caseeq(ch->scheme_name, "Digest"))
        return SYNTH_EUNSUPPORTED;
    ch->scheme = scheme_of(ch->scheme_name);
    err = auth_params_collect(&c, slots, ARRAY_SIZE(slots), SIPAE_PARAMS_MAX, SIPAE_TOKEN_MAX);
    if (err)
        return err;
    if (ch->scheme != SIPAE_SCHEME_OTHER && !strv_isset(ch->realm))
        return SYNTH_EPARSE;
    if (ch->scheme == SIPAE_SCHEME_NTLM && !strv_isset(ch->targetname))
        return SYNTH_EPARSE;
    if (ch->realm.l >= SIPAE_NAME_MAX || ch->targetname.l >= SIPAE_NAME_MAX ||
        ch->opaque.l >= SIPAE_NAME_MAX)
        return SYNTH_ETOOBIG;
    if (strv_isset(version) && strv_to_u32(version, &ch->version) != 0)
        return SYNTH_EPARSE;
    return 0;
}

int sipae_auth_info_parse(struct sipae_auth_info *ai, struct strv value)
{
    struct auth_cursor c;
    const struct auth_param_slot slots[] = {
        {"rspauth", &ai->rspauth}, {"srand", &ai->srand}, {"snum", &ai->snum},
        {"opaque", &ai->opaque},   {"qop", &ai->qop},     {"realm", &ai->realm},
        {"targetname", &ai->targetname},
    };

    memset(ai, 0, sizeof(*ai));
    int err = auth_scheme_parse(value, &ai->scheme_name, &c);
    if (!err)
        err = auth_params_collect(&c, slots, ARRAY_SIZE(slots), SIPAE_PARAMS_MAX, SIPAE_NAME_MAX);
    if (err)
        return err;
    if (!strv_isset(ai->rspauth) || !strv_isset(ai->srand) || !strv_isset(ai->snum) ||
        !strv_isset(ai->realm) || !strv_isset(ai->targetname))
        return SYNTH_EPARSE;
    return 0;
}

static void put_field(struct sbuf *out, struct strv v)
{
    sbuf_put(out, "<", 1);
    if (v.l)
        sbuf_put_strv(out, v);
    sbuf_put(out, ">", 1);
}

/* The CSeq number as written: the value up to its first blank. */
static struct strv cseq_number(const struct sip_msg *msg)
{
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CSEQ, NULL);
    if (!h)
        return STRV_NULL;
    size_t n = 0;
    while (n < h->value.l && h->value.p[n] != ' ' && h->value.p[n] != '\t')
        n++;
    return strv_make(h->value.p, n);
}

static bool uri_has_scheme(struct strv uri, const char *scheme)
{
    size_t n = strlen(scheme);
    return uri.l > n && strv_caseeq(strv_make(uri.p, n), scheme);
}

/* The sip and tel URIs of P-Asserted-Identity (or P-Preferred-Identity),
 * RFC 3325 9.1: one or two name-addrs, comma-separated. */
static void asserted_identity(const struct sip_msg *msg, struct strv *sip, struct strv *tel)
{
    *sip = *tel = STRV_NULL;
    const struct sip_hdr *h = sip_msg_hdr_by_name(msg, "P-Asserted-Identity");
    if (!h)
        h = sip_msg_hdr_by_name(msg, "P-Preferred-Identity");
    if (!h)
        return;
    const char *p = h->value.p, *end = h->value.p + h->value.l;
    while (p < end) {
        const char *start = p;
        bool in_angle = false, in_quote = false;
        while (p < end && (in_angle || in_quote || *p != ',')) {
            if (*p == '"' && !in_angle)
                in_quote = !in_quote;
            else if (*p == '<' && !in_quote)
                in_angle = true;
            else if (*p == '>' && !in_quote)
                in_angle = false;
            p++;
        }
        struct sip_addr a;
        if (sip_addr_parse(&a, strv_trim(strv_make(start, (size_t)(p - start)))) == 0) {
            if (!sip->p && (uri_has_scheme(a.uri, "sip:") || uri_has_scheme(a.uri, "sips:")))
                *sip = a.uri;
            else if (!tel->p && uri_has_scheme(a.uri, "tel:"))
                *tel = a.uri;
        }
        if (p < end)
            p++;
    }
}

int sipae_sig_buffer(struct sbuf *out, const struct sip_msg *msg, uint32_t version,
                     struct strv scheme, struct strv rand, struct strv num, struct strv realm,
                     struct strv targetname)
{
    if (!out || !msg)
        return SYNTH_EINVAL;
    put_field(out, scheme);
    put_field(out, rand);
    put_field(out, num);
    put_field(out, realm);
    put_field(out, targetname);
    put_field(out, msg->call_id);
    put_field(out, cseq_number(msg));
    put_field(out, msg->cseq_method);
    put_field(out, msg->from.uri);
    put_field(out, msg->from.tag);
    if (version >= 3) {
        struct strv sip, tel;
        asserted_identity(msg, &sip, &tel);
        put_field(out, msg->to.uri);
        put_field(out, msg->to.tag);
        put_field(out, sip);
        put_field(out, tel);
    } else {
        put_field(out, msg->to.tag);
    }
    const struct sip_hdr *exp = sip_msg_hdr(msg, SIP_HDR_EXPIRES, NULL);
    put_field(out, exp ? exp->value : STRV_NULL);
    if (!msg->is_request)
        sbuf_printf(out, "<%u>", (unsigned)msg->status);
    return sbuf_result(out);
}

void sipae_offered_schemes(const struct sip_msg *resp, char *out, size_t size)
{
    struct sbuf sb;
    sbuf_init(&sb, out, size);
    const enum sip_hdr_id ids[] = {SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE};
    bool first = true;
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        for (const struct sip_hdr *h = sip_msg_hdr(resp, ids[i], NULL); h;
             h = sip_msg_hdr(resp, ids[i], h)) {
            struct auth_cursor c;
            struct strv scheme;
            if (auth_scheme_parse(h->value, &scheme, &c) != 0)
                continue;
            sbuf_printf(&sb, "%s%.*s", first ? "" : ", ", (int)scheme.l, scheme.p);
            first = false;
        }
    }
    if (first)
        sbuf_puts(&sb, "none");
}

int sipae_user_split(const char *login, char *user, size_t user_size, char *domain,
                     size_t domain_size)
{
    if (!login || !user || !domain || user_size == 0 || domain_size == 0)
        return SYNTH_EINVAL;
    const char *bs = strchr(login, '\\');
    struct strv d = bs ? strv_make(login, (size_t)(bs - login)) : strv_make("", 0);
    const char *u = bs ? bs + 1 : login;
    if (!*u)
        return SYNTH_EINVAL;
    if (strv_copy(d, domain, domain_size) != 0 ||
        strv_copy(strv_from_cstr(u), user, user_size) != 0)
        return SYNTH_ETOOBIG;
    return 0;
}

void sipae_sa_init(struct sipae_sa *sa, uint64_t lifetime_ms)
{
    memset(sa, 0, sizeof(*sa));
    sa->lifetime_ms = lifetime_ms ? lifetime_ms : SIPAE_SA_LIFETIME_DEFAULT_MS;
}

void sipae_sa_reset(struct sipae_sa *sa)
{
    uint64_t lifetime = sa->lifetime_ms;
    OPENSSL_cleanse(sa, sizeof(*sa));
    sipae_sa_init(sa, lifetime);
}

void sipae_sa_renew_start(struct sipae_sa *next, const struct sipae_sa *cur)
{
    sipae_sa_init(next, cur->lifetime_ms);
    next->proxy = cur->proxy;
    next->version = cur->version;
    snprintf(next->realm, sizeof(next->realm), "%s", cur->realm);
    snprintf(next->targetname, sizeof(next->targetname), "%s", cur->targetname);
    next->token_pending = true; /* connectionless: the empty token opens it */
    next->state = SIPAE_SA_NEGOTIATING;
}

uint64_t sipae_sa_margin_ms(const struct sipae_sa *sa)
{
    uint64_t m = sa->lifetime_ms / 4;
    return m < SIPAE_RENEW_MARGIN_MAX_MS ? m : SIPAE_RENEW_MARGIN_MAX_MS;
}

/* The NTLM challenge of resp (WWW- or Proxy-Authenticate by its status). */
static int find_ntlm(const struct sip_msg *resp, bool *proxy, struct sipae_challenge *ch)
{
    *proxy = resp->status == 407;
    enum sip_hdr_id id = *proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
    int last = SYNTH_EUNSUPPORTED;
    for (const struct sip_hdr *h = sip_msg_hdr(resp, id, NULL); h; h = sip_msg_hdr(resp, id, h)) {
        int rc = sipae_challenge_parse(ch, h->value);
        if (rc == 0 && ch->scheme == SIPAE_SCHEME_NTLM)
            return 0;
        if (rc == SYNTH_EPARSE || rc == SYNTH_ETOOBIG)
            last = rc;
    }
    return last;
}

/* ASCII case-insensitive comparison of a UTF-16LE name with a string. */
static bool utf16_caseeq(struct ntlm_view w, struct strv s)
{
    if (w.len != 2 * s.l)
        return false;
    for (size_t i = 0; i < s.l; i++) {
        if (w.p[2 * i + 1] != 0)
            return false;
        char a = (char)w.p[2 * i], b = s.p[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

static int answer_challenge(struct sipae_sa *sa, const struct sipae_challenge *ch,
                            const struct sipae_credentials *cr, uint64_t now_ms,
                            struct synth_error *e)
{
    uint8_t raw[NTLM_MSG_MAX], out[NTLM_MSG_MAX];
    size_t raw_len = 0, out_len = 0;
    char user[NTLM_STR_MAX], domain[NTLM_STR_MAX];
    struct ntlm_challenge nc;
    struct ntlm_auth_input in = {0};
    int err;

    if (!strv_isset(ch->opaque))
        return synth_error_set(e, SYNTH_EPARSE, "NTLM challenge with gssapi-data but no opaque");
    err = base64_decode(ch->gssapi_data.p, ch->gssapi_data.l, raw, sizeof(raw), &raw_len);
    if (!err)
        err = ntlm_challenge_parse(&nc, raw, raw_len);
    if (err)
        return synth_error_set(e, SYNTH_EPARSE, "NTLM gssapi-data is not a CHALLENGE message: %s",
                               synth_strerror(err));
    if (!(nc.flags & NTLM_FLAG_DATAGRAM) || !(nc.flags & NTLM_FLAG_UNICODE))
        return synth_error_set(e, SYNTH_EUNSUPPORTED,
                               "NTLM server did not offer connectionless Unicode NTLM (flags %08" PRIx32 ")",
                               nc.flags);
    /* The targetname names the server that holds the SA: the computer that
     * answers NTLM must be that one ([MS-SIPAE] 3.2.5.1). */
    if (nc.dns_computer.p && !utf16_caseeq(nc.dns_computer, strv_from_cstr(sa->targetname)))
        return synth_error_set(e, SYNTH_EAUTH,
                               "NTLM targetname \"%s\" is not the computer that answered the challenge",
                               sa->targetname);
    err = sipae_user_split(cr->login, user, sizeof(user), domain, sizeof(domain));
    if (err)
        return synth_error_set(e, err, "NTLM user name is empty or too long");

    in.flags = nc.flags & SIPAE_CLIENT_FLAGS;
    in.user = user;
    in.domain = domain;
    in.workstation = cr->workstation && *cr->workstation ? cr->workstation : DEFAULT_WORKSTATION;
    in.password = cr->password;
    in.version = client_version;
    in.timestamp = (uint64_t)clock_wall_ms() * 10000u + FILETIME_UNIX_EPOCH;
    if (RAND_bytes(in.client_challenge, sizeof(in.client_challenge)) != 1 ||
        RAND_bytes(in.random_session_key, sizeof(in.random_session_key)) != 1) {
        err = synth_error_set(e, SYNTH_EINTERNAL, "no random bytes for NTLM");
        goto out;
    }
    err = ntlm_authenticate_write(&nc, raw, raw_len, &in, out, sizeof(out), &out_len, &sa->ntlm);
    if (err) {
        /* ntlm_crypto_init explains a missing legacy provider. */
        struct synth_error ce;
        if (ntlm_crypto_init(&ce) != 0)
            err = synth_error_set(e, err, "%s", ce.msg);
        else
            err = synth_error_set(e, err, "NTLM AUTHENTICATE not written: %s", synth_strerror(err));
        goto out;
    }
    err = base64_encode(out, out_len, sa->token, sizeof(sa->token));
    if (err) {
        synth_error_set(e, err, "NTLM AUTHENTICATE too long for gssapi-data");
        goto out;
    }
    strv_copy(ch->opaque, sa->opaque, sizeof(sa->opaque));
    sa->token_pending = true;
    sa->state = SIPAE_SA_ESTABLISHED;
    sa->confirmed = false;
    sa->cnum = 0;
    sa->snum = 0;
    sa->expires_ms = now_ms + sa->lifetime_ms;
out:
    OPENSSL_cleanse(&in.random_session_key, sizeof(in.random_session_key));
    OPENSSL_cleanse(out, sizeof(out));
    if (err)
        ntlm_session_clear(&sa->ntlm);
    return err;
}

int sipae_sa_on_challenge(struct sipae_sa *sa, const struct sip_msg *resp,
                          const struct sipae_credentials *cr, uint64_t now_ms,
                          struct synth_error *e)
{
    struct sipae_challenge ch;
    bool proxy;

    if (!sa || !resp || !cr || !cr->login || !cr->password)
        return SYNTH_EINVAL;
    int err = find_ntlm(resp, &proxy, &ch);
    if (err == SYNTH_EUNSUPPORTED) {
        char offered[SIPAE_NAME_MAX];
        sipae_offered_schemes(resp, offered, sizeof(offered));
        return synth_error_set(e, err, "server offers no NTLM (schemes offered: %s)", offered);
    }
    if (err)
        return synth_error_set(e, err, "malformed NTLM challenge in %u response",
                               (unsigned)resp->status);
    if (cr->expected_target && !strv_caseeq(ch.targetname, cr->expected_target))
        return synth_error_set(e, SYNTH_EAUTH, "NTLM targetname \"%.*s\" is not the expected \"%s\"",
                               (int)ch.targetname.l, ch.targetname.p, cr->expected_target);

    if (!strv_isset(ch.gssapi_data)) {
        /* A fresh challenge after our AUTHENTICATE: the server refused it. */
        if (sa->state == SIPAE_SA_ESTABLISHED && !sa->confirmed)
            return synth_error_set(e, SYNTH_EAUTH,
                                   "NTLM credentials refused by %s (challenged again after AUTHENTICATE)",
                                   sa->targetname);
        bool lapsed = sa->state == SIPAE_SA_ESTABLISHED && sa->confirmed;
        if (lapsed) {
            /* What it lasted: from its AUTHENTICATE to this challenge. */
            uint64_t lasted = now_ms - (sa->expires_ms - sa->lifetime_ms);
            if (lasted > 0 && lasted < sa->lifetime_ms)
                sa->lifetime_ms = lasted;
        }
        sipae_sa_reset(sa);
        sa->lapsed = lapsed;
        sa->proxy = proxy;
        sa->version = ch.version;
        strv_copy(ch.realm, sa->realm, sizeof(sa->realm));
        strv_copy(ch.targetname, sa->targetname, sizeof(sa->targetname));
        sa->token[0] = '\0'; /* connectionless: no NEGOTIATE, an empty token */
        sa->token_pending = true;
        sa->state = SIPAE_SA_NEGOTIATING;
        return 0;
    }
    if (sa->state != SIPAE_SA_NEGOTIATING)
        return synth_error_set(e, SYNTH_EAUTH, "NTLM CHALLENGE without a negotiation under way");
    if (!strv_eq(ch.realm, sa->realm) || !strv_eq(ch.targetname, sa->targetname))
        return synth_error_set(e, SYNTH_EAUTH, "NTLM realm or targetname changed mid-exchange");
    if (ch.version)
        sa->version = ch.version;
    return answer_challenge(sa, &ch, cr, now_ms, e);
}

static int hex_decode16(struct strv hex, uint8_t out[NTLM_SIGNATURE_LEN])
{
    if (hex.l != 2 * NTLM_SIGNATURE_LEN)
        return SYNTH_EPARSE;
    for (size_t i = 0; i < hex.l; i++) {
        char c = hex.p[i];
        int v = (c >= '0' && c <= '9') ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (v < 0)
            return SYNTH_EPARSE;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 0;
}

/* GetMIC of msg's sip-sig buffer under one direction's keys, in hex: the
 * client's response= and the server's rspauth= are both this. */
static int sig_hex(const struct ntlm_keys *k, const struct sip_msg *msg, uint32_t version,
                   const char *rand, const char *num, const char *realm, const char *targetname,
                   char hex[2 * NTLM_SIGNATURE_LEN + 1])
{
    char buf[SIPAE_SIG_MAX];
    struct sbuf sb;
    uint8_t sig[NTLM_SIGNATURE_LEN];
    sbuf_init(&sb, buf, sizeof(buf));
    int err = sipae_sig_buffer(&sb, msg, version, strv_from_cstr("NTLM"), strv_from_cstr(rand),
                               strv_from_cstr(num), strv_from_cstr(realm),
                               strv_from_cstr(targetname));
    if (!err)
        err = ntlm_mac(k, NULL, SIPAE_NTLM_SEQNUM, 0, (const uint8_t *)buf, sb.len, sig);
    if (err)
        return err;
    for (size_t i = 0; i < sizeof(sig); i++)
        snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    return 0;
}

/* True when hexsig is the signature of msg's sip-sig buffer (fields as
 * the signer wrote them) under k. */
static bool sig_check(const struct ntlm_keys *k, const struct sip_msg *msg, uint32_t version,
                      struct strv scheme, struct strv rand, struct strv num, struct strv realm,
                      struct strv targetname, struct strv hexsig)
{
    char buf[SIPAE_SIG_MAX];
    struct sbuf sb;
    uint8_t sig[NTLM_SIGNATURE_LEN];
    if (hex_decode16(hexsig, sig) != 0)
        return false;
    sbuf_init(&sb, buf, sizeof(buf));
    if (sipae_sig_buffer(&sb, msg, version, scheme, rand, num, realm, targetname) != 0)
        return false;
    return ntlm_mac_verify(k, NULL, SIPAE_NTLM_SEQNUM, (const uint8_t *)buf, sb.len, sig);
}

/* 8 random hex digits: crand and srand. */
static int rand_hex8(char out[9])
{
    uint8_t r[4];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return SYNTH_EINTERNAL;
    snprintf(out, 9, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    return 0;
}

int sipae_authorization(struct sipae_sa *sa, struct sbuf *out, const struct sip_msg *req,
                        const char *crand, struct synth_error *e)
{
    char rand_buf[9], cnum[12], hex[2 * NTLM_SIGNATURE_LEN + 1];

    if (!sa || !out || !req)
        return SYNTH_EINVAL;
    if (sa->state != SIPAE_SA_NEGOTIATING && sa->state != SIPAE_SA_ESTABLISHED)
        return synth_error_set(e, SYNTH_EINVAL, "no NTLM security association to sign with (%s)",
                               sipae_state_name(sa->state));
    bool sign = sa->state == SIPAE_SA_ESTABLISHED && (!sa->token_pending || sa->version >= 4);
    if (sign) {
        if (!crand) {
            if (rand_hex8(rand_buf) != 0)
                return synth_error_set(e, SYNTH_EINTERNAL, "no random bytes for crand");
            crand = rand_buf;
        }
        snprintf(cnum, sizeof(cnum), "%" PRIu32, sa->cnum + 1);
        int err = sig_hex(&sa->ntlm.client, req, sa->version, crand, cnum, sa->realm,
                          sa->targetname, hex);
        if (err)
            return synth_error_set(e, err, "NTLM signature not computed: %s", synth_strerror(err));
        sa->cnum++;
    }
    sbuf_puts(out, "NTLM qop=\"auth\"");
    if (sa->opaque[0])
        sbuf_printf(out, ", opaque=\"%s\"", sa->opaque);
    sbuf_printf(out, ", realm=\"%s\", targetname=\"%s\"", sa->realm, sa->targetname);
    if (sa->token_pending) {
        sbuf_printf(out, ", gssapi-data=\"%s\"", sa->token);
        if (sa->version)
            sbuf_printf(out, ", version=%" PRIu32, sa->version);
    }
    if (sign)
        sbuf_printf(out, ", crand=\"%s\", cnum=\"%s\", response=\"%s\"", crand, cnum, hex);
    int err = sbuf_result(out);
    if (err)
        return synth_error_set(e, err, "Authorization header does not fit");
    sa->token_pending = false;
    return 0;
}

/* The (Proxy-)Authentication-Info of msg that belongs to this SA. */
static int find_auth_info(const struct sipae_sa *sa, const struct sip_msg *msg,
                          struct sipae_auth_info *ai)
{
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_AUTHENTICATION_INFO, NULL);
    if (!h)
        h = sip_msg_hdr_by_name(msg, "Proxy-Authentication-Info");
    for (; h; h = h->id == SIP_HDR_AUTHENTICATION_INFO
                      ? sip_msg_hdr(msg, SIP_HDR_AUTHENTICATION_INFO, h)
                      : NULL) {
        /* 3.2.5.2 step 1: the SA with the same protocol, realm and target;
         * while an SA is renewed two share those, and the opaque tells
         * which one signed. */
        if (sipae_auth_info_parse(ai, h->value) == 0 && strv_caseeq(ai->scheme_name, "NTLM") &&
            strv_eq(ai->realm, sa->realm) && strv_eq(ai->targetname, sa->targetname) &&
            (!strv_isset(ai->opaque) || !sa->opaque[0] || strv_eq(ai->opaque, sa->opaque)))
            return 0;
    }
    return SYNTH_ENOTFOUND;
}

int sipae_sa_verify(struct sipae_sa *sa, const struct sip_msg *msg, struct synth_error *e)
{
    struct sipae_auth_info ai;
    uint32_t snum = 0;

    if (!sa || !msg)
        return SYNTH_EINVAL;
    if (sa->state != SIPAE_SA_ESTABLISHED)
        return synth_error_set(e, SYNTH_EAUTH, "signed message without an established NTLM SA");
    if (find_auth_info(sa, msg, &ai) != 0)
        return synth_error_set(e, SYNTH_ENOTFOUND, "no NTLM signature for %s in the message",
                               sa->targetname);
    if (strv_to_u32(ai.snum, &snum) != 0)
        return synth_error_set(e, SYNTH_EAUTH, "malformed rspauth or snum from %s", sa->targetname);
    if (!sig_check(&sa->ntlm.server, msg, sa->version, ai.scheme_name, ai.srand, ai.snum,
                   ai.realm, ai.targetname, ai.rspauth))
        return synth_error_set(e, SYNTH_EAUTH, "rspauth from %s does not verify (snum %" PRIu32 ")",
                               sa->targetname, snum);
    /* A signature is only good once: snum counts up within the SA. */
    if (sa->confirmed && snum <= sa->snum)
        return synth_error_set(e, SYNTH_EAUTH, "replayed snum %" PRIu32 " from %s (last %" PRIu32 ")",
                               snum, sa->targetname, sa->snum);
    sa->snum = snum;
    sa->confirmed = true;
    return 0;
}

bool sipae_sa_tick(struct sipae_sa *sa, uint64_t now_ms, uint64_t margin_ms)
{
    if (!sa || sa->state != SIPAE_SA_ESTABLISHED)
        return false;
    if (now_ms >= sa->expires_ms) {
        sa->state = SIPAE_SA_EXPIRED;
        ntlm_session_clear(&sa->ntlm);
        return true;
    }
    return sa->expires_ms - now_ms <= margin_ms;
}

/* ---- the server half ------------------------------------------------------ */

/* What the server offers in its CHALLENGE (the flags OCS and Lync send):
 * connectionless Unicode NTLMv2 with signing, 128-bit keys, key exchange. */
#define SIPAE_SERVER_FLAGS                                                                        \
    (NTLM_FLAG_UNICODE | NTLM_FLAG_REQUEST_TARGET | NTLM_FLAG_SIGN | NTLM_FLAG_DATAGRAM |         \
     NTLM_FLAG_NTLM | NTLM_FLAG_ALWAYS_SIGN | NTLM_FLAG_TARGET_TYPE_DOMAIN |                      \
     NTLM_FLAG_EXTENDED_SESSIONSECURITY | NTLM_FLAG_TARGET_INFO | NTLM_FLAG_VERSION |             \
     NTLM_FLAG_128 | NTLM_FLAG_KEY_EXCH | NTLM_FLAG_56)
/* Windows Server 2012 R2 / NTLM revision 15 in the CHALLENGE version field. */
static const uint8_t server_version[NTLM_VERSION_LEN] = {6, 3, 0x80, 0x25, 0, 0, 0, 0x0f};

int sipae_client_auth_parse(struct sipae_client_auth *a, struct strv value)
{
    struct auth_cursor c;
    struct strv scheme, version;
    const struct auth_param_slot slots[] = {
        {"realm", &a->realm},       {"targetname", &a->targetname}, {"opaque", &a->opaque},
        {"gssapi-data", &a->gssapi_data}, {"crand", &a->crand},    {"cnum", &a->cnum},
        {"response", &a->response}, {"qop", &a->qop},               {"version", &version},
    };

    memset(a, 0, sizeof(*a));
    int err = auth_scheme_parse(value, &scheme, &c);
    if (err)
        return err;
    if (!strv_caseeq(scheme, "NTLM"))
        return SYNTH_EUNSUPPORTED;
    err = auth_params_collect(&c, slots, ARRAY_SIZE(slots), SIPAE_PARAMS_MAX, SIPAE_TOKEN_MAX);
    if (err)
        return err;
    if (!strv_isset(a->realm) || !strv_isset(a->targetname))
        return SYNTH_EPARSE;
    if (strv_isset(version) && strv_to_u32(version, &a->version) != 0)
        return SYNTH_EPARSE;
    return 0;
}

int sipae_server_challenge(struct sbuf *out, const struct sipae_server_id *id,
                           const struct sipae_server_sa *sa)
{
    char token[BASE64_ENCODED_LEN(SIPAE_SERVER_CHALLENGE_MAX) + 1];
    if (!out || !id)
        return SYNTH_EINVAL;
    sbuf_puts(out, "NTLM ");
    if (sa) {
        int err = base64_encode(sa->challenge, sa->challenge_len, token, sizeof(token));
        if (err)
            return err;
        sbuf_printf(out, "opaque=\"%s\", gssapi-data=\"%s\", ", sa->opaque, token);
    }
    sbuf_printf(out, "realm=\"%s\", targetname=\"%s\"", id->realm, id->targetname);
    if (id->version)
        sbuf_printf(out, ", version=%" PRIu32, id->version);
    return sbuf_result(out);
}

int sipae_server_sa_start(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                          uint64_t now_ms, uint64_t lifetime_ms, struct synth_error *e)
{
    struct ntlm_challenge_input in = {
        .flags = SIPAE_SERVER_FLAGS,
        .nb_domain = id->nb_domain,
        .nb_computer = id->nb_computer,
        .dns_domain = id->dns_domain,
        .dns_computer = id->targetname,
        /* A timestamp makes the client send a MIC (3.1.5.1.2), which
         * binds the CHALLENGE to the AUTHENTICATE. */
        .timestamp = (uint64_t)clock_wall_ms() * 10000u + FILETIME_UNIX_EPOCH,
        .version = server_version,
    };
    sipae_server_sa_clear(sa);
    if (RAND_bytes(in.server_challenge, sizeof(in.server_challenge)) != 1 ||
        rand_hex8(sa->opaque) != 0)
        return synth_error_set(e, SYNTH_EINTERNAL, "no random bytes for the NTLM challenge");
    int err = ntlm_challenge_write(&in, sa->challenge, sizeof(sa->challenge), &sa->challenge_len);
    if (err)
        return synth_error_set(e, err, "NTLM CHALLENGE not written: %s", synth_strerror(err));
    sa->version = id->version;
    sa->state = SIPAE_SA_NEGOTIATING;
    sa->expires_ms = now_ms + (lifetime_ms ? lifetime_ms : SIPAE_SA_LIFETIME_DEFAULT_MS);
    return 0;
}

int sipae_server_sa_accept(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                           const struct sipae_client_auth *a, const struct sip_msg *req,
                           sipae_password_h *password_of, void *arg, uint64_t now_ms,
                           struct synth_error *e)
{
    uint8_t raw[NTLM_MSG_MAX];
    size_t raw_len = 0;
    struct ntlm_authenticate am;
    int err;

    if (!sa || !id || !a || !req || !password_of)
        return SYNTH_EINVAL;
    if (sa->state != SIPAE_SA_NEGOTIATING || !strv_eq(a->opaque, sa->opaque))
        return synth_error_set(e, SYNTH_EAUTH, "AUTHENTICATE for no NTLM exchange under way");
    err = base64_decode(a->gssapi_data.p, a->gssapi_data.l, raw, sizeof(raw), &raw_len);
    if (!err)
        err = ntlm_authenticate_parse(&am, raw, raw_len);
    if (!err)
        err = ntlm_utf8_from_utf16le(am.user, sa->user, sizeof(sa->user));
    if (!err)
        err = ntlm_utf8_from_utf16le(am.domain, sa->domain, sizeof(sa->domain));
    if (err)
        return synth_error_set(e, SYNTH_EPARSE, "gssapi-data is not an NTLM AUTHENTICATE: %s",
                               synth_strerror(err));
    const char *password = password_of(sa->user, sa->domain, arg);
    if (!password)
        return synth_error_set(e, SYNTH_ENOTFOUND, "NTLM user %s is not known", sa->user);
    err = ntlm_authenticate_check(&am, raw, raw_len, sa->challenge, sa->challenge_len, password,
                                  &sa->ntlm);
    if (err == SYNTH_EAUTH)
        return synth_error_set(e, err, "NTLM response of %s does not verify", sa->user);
    if (err)
        return synth_error_set(e, err, "NTLM AUTHENTICATE not checked: %s", synth_strerror(err));
    sa->state = SIPAE_SA_ESTABLISHED;
    sa->cnum = sa->snum = 0;
    /* Version 4 clients sign the request that carries the AUTHENTICATE. */
    if (sa->version >= 4 || strv_isset(a->response))
        return sipae_server_sa_verify(sa, id, a, req, now_ms, e);
    return 0;
}

int sipae_server_sa_verify(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                           const struct sipae_client_auth *a, const struct sip_msg *req,
                           uint64_t now_ms, struct synth_error *e)
{
    uint32_t cnum = 0;
    if (!sa || !id || !a || !req)
        return SYNTH_EINVAL;
    if (sa->state != SIPAE_SA_ESTABLISHED || now_ms >= sa->expires_ms)
        return synth_error_set(e, SYNTH_EINVAL, "NTLM SA %s is not established",
                               sa->opaque);
    if (!strv_isset(a->response) || !strv_isset(a->crand) || strv_to_u32(a->cnum, &cnum) != 0)
        return synth_error_set(e, SYNTH_EAUTH, "request without an NTLM signature");
    if (!strv_eq(a->realm, id->realm) || !strv_caseeq(a->targetname, id->targetname))
        return synth_error_set(e, SYNTH_EAUTH, "signature for another realm or target");
    if (!sig_check(&sa->ntlm.client, req, sa->version, strv_from_cstr("NTLM"), a->crand, a->cnum,
                   a->realm, a->targetname, a->response))
        return synth_error_set(e, SYNTH_EAUTH, "NTLM signature of %s does not verify (cnum %" PRIu32 ")",
                               sa->user, cnum);
    /* 3.3.5.2: cnum counts up; an old one is a replay. */
    if (cnum <= sa->cnum)
        return synth_error_set(e, SYNTH_EAUTH, "replayed cnum %" PRIu32 " (last %" PRIu32 ")",
                               cnum, sa->cnum);
    sa->cnum = cnum;
    return 0;
}

int sipae_server_sign(struct sipae_server_sa *sa, const struct sipae_server_id *id,
                      struct sbuf *out, const struct sip_msg *resp, const char *srand)
{
    char rand_buf[9], snum[12], hex[2 * NTLM_SIGNATURE_LEN + 1];
    if (!sa || !id || !out || !resp || sa->state != SIPAE_SA_ESTABLISHED)
        return SYNTH_EINVAL;
    if (!srand) {
        if (rand_hex8(rand_buf) != 0)
            return SYNTH_EINTERNAL;
        srand = rand_buf;
    }
    snprintf(snum, sizeof(snum), "%" PRIu32, sa->snum + 1);
    int err = sig_hex(&sa->ntlm.server, resp, sa->version, srand, snum, id->realm,
                      id->targetname, hex);
    if (err)
        return err;
    sa->snum++;
    sbuf_printf(out,
                "NTLM rspauth=\"%s\", srand=\"%s\", snum=\"%s\", opaque=\"%s\", qop=\"auth\", "
                "targetname=\"%s\", realm=\"%s\"",
                hex, srand, snum, sa->opaque, id->targetname, id->realm);
    return sbuf_result(out);
}

void sipae_server_sa_clear(struct sipae_server_sa *sa)
{
    if (sa)
        OPENSSL_cleanse(sa, sizeof(*sa));
}
