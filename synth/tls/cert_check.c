/* Certificate rules of an endpoint: the fields of a presented chain (RFC
 * 5280 4.1, 4.2.1.6 SAN, 4.2.1.12 EKU) judged against the deployment's
 * expectations, with the fields as evidence. */
#include "cert_check.h"

#include "synth/base/sbuf.h"
#include "synth/tls/tls_ctx.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* SANs named in a rule's evidence before "and N more". */
#define CERT_EVIDENCE_SANS_MAX 6

static const char *const rule_names[CERT_RULE_COUNT] = {
    [CERT_RULE_TRUST] = "chain-trusted", [CERT_RULE_EXPIRY] = "expiry",
    [CERT_RULE_SUBJECT] = "subject-cn",  [CERT_RULE_SAN] = "san-names",
    [CERT_RULE_EKU] = "eku",             [CERT_RULE_KEY] = "key-size",
    [CERT_RULE_SIGNATURE] = "signature",
};

const char *cert_rule_name(enum cert_rule r)
{
    return (unsigned)r < CERT_RULE_COUNT ? rule_names[r] : "?";
}

const char *cert_status_name(enum cert_status s)
{
    switch (s) {
    case CERT_PASS: return "pass";
    case CERT_WARN: return "warn";
    case CERT_FAIL: return "fail";
    }
    return "?";
}

/* ---- chains ---------------------------------------------------------------- */

int cert_chain_push(struct cert_chain *c, X509 *x, struct synth_error *err)
{
    if (c->n == CERT_CHAIN_MAX) {
        c->dropped++;
        return synth_error_set(err, SYNTH_ETOOBIG, "more than %d certificates in the chain",
                               CERT_CHAIN_MAX);
    }
    if (!X509_up_ref(x))
        return tls_error_set(err, SYNTH_EINTERNAL, "certificate reference");
    c->cert[c->n++] = x;
    return 0;
}

void cert_chain_free(struct cert_chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        X509_free(c->cert[i]);
    memset(c, 0, sizeof(*c));
}

int cert_chain_from_stack(struct cert_chain *c, STACK_OF(X509) *sk, struct synth_error *err)
{
    int n = sk ? sk_X509_num(sk) : 0;

    memset(c, 0, sizeof(*c));
    for (int i = 0; i < n; i++) {
        if (c->n == CERT_CHAIN_MAX) {
            c->dropped = (size_t)(n - i);
            break;
        }
        int rc = cert_chain_push(c, sk_X509_value(sk, i), err);
        if (rc) {
            cert_chain_free(c);
            return rc;
        }
    }
    return 0;
}

/* Appends x, which it consumes, or counts it as dropped past CERT_CHAIN_MAX. */
static int chain_take(struct cert_chain *c, X509 *x, struct synth_error *err)
{
    int rc = 0;

    if (c->n == CERT_CHAIN_MAX)
        c->dropped++;
    else
        rc = cert_chain_push(c, x, err);
    X509_free(x);
    return rc;
}

/* An encrypted PEM block is not a certificate; never prompt for it. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
    return -1;
}

int cert_chain_from_pem(struct cert_chain *c, const void *buf, size_t len,
                        struct synth_error *err)
{
    BIO *bio;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    if (len > CERT_INPUT_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "PEM input of %zu bytes, at most %u", len,
                               CERT_INPUT_MAX);
    bio = BIO_new_mem_buf(buf, (int)len);
    if (!bio)
        return tls_error_set(err, SYNTH_ENOMEM, "PEM input");
    ERR_clear_error();
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        if (!x)
            break;
        if ((rc = chain_take(c, x, err)))
            goto out;
    }
    if (c->n == 0)
        rc = tls_error_set(err, SYNTH_EPARSE, "no PEM certificate");
    ERR_clear_error();
out:
    BIO_free(bio);
    if (rc)
        cert_chain_free(c);
    return rc;
}

int cert_chain_from_der(struct cert_chain *c, const void *buf, size_t len,
                        struct synth_error *err)
{
    const unsigned char *p = buf, *end = p + len;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    if (len > CERT_INPUT_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "DER input of %zu bytes, at most %u", len,
                               CERT_INPUT_MAX);
    while (p < end) {
        const unsigned char *at = p;
        X509 *x = d2i_X509(NULL, &p, (long)(end - p));
        if (!x || p <= at) {
            X509_free(x);
            if (c->n == 0)
                rc = tls_error_set(err, SYNTH_EPARSE, "DER certificate at byte %zu",
                                   (size_t)(at - (const unsigned char *)buf));
            break;
        }
        if ((rc = chain_take(c, x, err)))
            break;
    }
    if (!rc && c->n == 0)
        rc = synth_error_set(err, SYNTH_EPARSE, "no DER certificate");
    ERR_clear_error();
    if (rc)
        cert_chain_free(c);
    return rc;
}

/* ---- facts ----------------------------------------------------------------- */

/* Certificate text is chosen by whoever made the certificate and goes into
 * terminals and reports: printable ASCII only, cut with "..." to fit. */
static void safe_copy(char *out, size_t size, const unsigned char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < size; i++)
        out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    out[n] = '\0';
    if (n < len && size > 4)
        memcpy(out + size - 4, "...", 4);
}

static void dn_text(const X509_NAME *name, char *out, size_t size)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    snprintf(out, size, "?");
    if (!bio)
        goto out;
    /* RFC 2253 order is reversed (CN first), what people read in tools. */
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        goto out;
    len = BIO_get_mem_data(bio, &data);
    if (len >= 0)
        safe_copy(out, size, (const unsigned char *)data, (size_t)len);
out:
    BIO_free(bio);
    ERR_clear_error();
}

/* The most specific (last) CN, as RFC 6125 6.4.4 reads a Subject. */
static bool subject_cn(X509 *x, char *out, size_t size)
{
    const X509_NAME *subj = X509_get_subject_name(x);
    int i = -1, last = -1;
    unsigned char *utf8 = NULL;
    int len;

    out[0] = '\0';
    while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0)
        last = i;
    if (last < 0)
        return false;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last)));
    if (len < 0) {
        ERR_clear_error();
        snprintf(out, size, "?");
        return true;
    }
    safe_copy(out, size, utf8, (size_t)len);
    OPENSSL_free(utf8);
    return true;
}

static void san_text(const GENERAL_NAME *gn, char *out, size_t size)
{
    int type;
    const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
    char tmp[CERT_NAME_MAX];

    switch (type) {
    case GEN_DNS:
        safe_copy(tmp, sizeof(tmp), ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
        snprintf(out, size, "DNS:%s", tmp);
        return;
    case GEN_IPADD: {
        char ip[INET6_ADDRSTRLEN] = "?";
        int l = ASN1_STRING_length(v);
        if (l == 4 || l == 16)
            inet_ntop(l == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(v), ip, sizeof(ip));
        snprintf(out, size, "IP:%s", ip);
        return;
    }
    case GEN_EMAIL:
        safe_copy(tmp, sizeof(tmp), ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
        snprintf(out, size, "email:%s", tmp);
        return;
    case GEN_URI:
        safe_copy(tmp, sizeof(tmp), ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
        snprintf(out, size, "URI:%s", tmp);
        return;
    default:
        snprintf(out, size, "other:%d", type);
    }
}

static void read_sans(X509 *x, struct cert_facts *f)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0;

    for (int i = 0; i < n; i++) {
        if (f->san_count < CERT_SANS_MAX)
            san_text(sk_GENERAL_NAME_value(gens, i), f->sans[f->san_count++], CERT_NAME_MAX);
        f->san_total++;
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
}

static void time_text(const ASN1_TIME *t, char *out, size_t size)
{
    struct tm tm;

    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        snprintf(out, size, "?");
        ERR_clear_error();
    }
}

/* Whole days from now to t, rounded towards the past: 0.5 days left is 0,
 * half a day expired is -1. */
static int64_t days_until(const ASN1_TIME *t, time_t now)
{
    ASN1_TIME *n = ASN1_TIME_set(NULL, now);
    int days = 0, secs = 0;
    int64_t d = 0;

    if (n && t && ASN1_TIME_diff(&days, &secs, n, t) == 1)
        d = days - (secs < 0 ? 1 : 0);
    ASN1_TIME_free(n);
    ERR_clear_error();
    return d;
}

static void read_key(X509 *x, struct cert_facts *f)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    int id;

    snprintf(f->key_type, sizeof(f->key_type), "?");
    if (!k) {
        ERR_clear_error();
        return;
    }
    f->key_bits = EVP_PKEY_get_bits(k);
    id = EVP_PKEY_get_base_id(k);
    const char *name = id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS ? "RSA"
                       : id == EVP_PKEY_EC                         ? "EC"
                       : id == EVP_PKEY_DSA                        ? "DSA"
                                                                   : OBJ_nid2sn(id);
    snprintf(f->key_type, sizeof(f->key_type), "%s", name && id != NID_undef ? name : "?");
}

static void read_ekus(X509 *x, struct cert_facts *f)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    struct sbuf sb;

    sbuf_init(&sb, f->ekus, sizeof(f->ekus));
    f->has_eku = eku != NULL;
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(o);
        char oid[64];
        f->eku_server |= nid == NID_server_auth || nid == NID_anyExtendedKeyUsage;
        f->eku_client |= nid == NID_client_auth || nid == NID_anyExtendedKeyUsage;
        if (nid != NID_undef)
            snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
        else if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
            snprintf(oid, sizeof(oid), "?");
        sbuf_printf(&sb, "%s%s", i ? ", " : "", oid);
    }
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();
}

void cert_facts_read(X509 *x, time_t now, struct cert_facts *f)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct sbuf sb;

    memset(f, 0, sizeof(*f));
    if (!now)
        now = time(NULL);
    dn_text(X509_get_subject_name(x), f->subject, sizeof(f->subject));
    dn_text(X509_get_issuer_name(x), f->issuer, sizeof(f->issuer));
    f->has_cn = subject_cn(x, f->subject_cn, sizeof(f->subject_cn));
    read_sans(x, f);
    time_text(X509_get0_notBefore(x), f->not_before, sizeof(f->not_before));
    time_text(X509_get0_notAfter(x), f->not_after, sizeof(f->not_after));
    f->days_left = days_until(X509_get0_notAfter(x), now);
    read_key(x, f);
    int sig = X509_get_signature_nid(x);
    snprintf(f->signature, sizeof(f->signature), "%s",
             sig != NID_undef && OBJ_nid2ln(sig) ? OBJ_nid2ln(sig) : "?");
    read_ekus(x, f);
    f->self_signed = X509_self_signed(x, 0) == 1;
    sbuf_init(&sb, f->sha256, sizeof(f->sha256));
    if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
        for (unsigned i = 0; i < mdlen; i++)
            sbuf_printf(&sb, "%s%02X", i ? ":" : "", md[i]);
    ERR_clear_error();
}

/* ---- rules ----------------------------------------------------------------- */

static void result_set(struct cert_rule_result *r, enum cert_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result_set(struct cert_rule_result *r, enum cert_status st, const char *fmt, ...)
{
    va_list ap;

    r->status = st;
    va_start(ap, fmt);
    vsnprintf(r->summary, sizeof(r->summary), fmt, ap);
    va_end(ap);
}

/* "DNS:a, DNS:b and 3 more" (or "no SAN"). */
static void put_sans(struct sbuf *sb, const struct cert_facts *f)
{
    if (f->san_total == 0) {
        sbuf_puts(sb, "no SAN");
        return;
    }
    sbuf_puts(sb, "SAN ");
    for (size_t i = 0; i < f->san_count && i < CERT_EVIDENCE_SANS_MAX; i++)
        sbuf_printf(sb, "%s%s", i ? ", " : "", f->sans[i]);
    if (f->san_total > CERT_EVIDENCE_SANS_MAX)
        sbuf_printf(sb, " and %zu more", f->san_total - CERT_EVIDENCE_SANS_MAX);
}

/* A host name as compared: no trailing dot, at most CERT_NAME_MAX - 1. */
static void host_norm(const char *in, char *out, size_t size)
{
    size_t len = strlen(in);

    if (len > 1 && in[len - 1] == '.')
        len--;
    if (len >= size)
        len = size - 1;
    memcpy(out, in, len);
    out[len] = '\0';
}

static bool is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void rule_trust(const struct cert_chain *c, const struct cert_expect *e,
                       struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_TRUST];
    const struct cert_facts *leaf = &rep->chain[0];
    const char *store = e->trust_name && *e->trust_name ? e->trust_name : "the trust store";
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    struct sbuf sb;

    sbuf_init(&sb, r->evidence, sizeof(r->evidence));
    sbuf_printf(&sb, "issuer %s; %zu certificate%s presented", leaf->issuer, rep->chain_len,
                rep->chain_len == 1 ? "" : "s");
    if (!e->trust || !untrusted || !(ctx = X509_STORE_CTX_new())) {
        result_set(r, CERT_FAIL, "no trust store to verify against");
        rep->verify_error = X509_V_ERR_UNSPECIFIED;
        goto out;
    }
    for (size_t i = 1; i < c->n; i++)
        if (!sk_X509_push(untrusted, c->cert[i])) {
            result_set(r, CERT_FAIL, "out of memory verifying the chain");
            goto out;
        }
    if (X509_STORE_CTX_init(ctx, e->trust, c->cert[0], untrusted) != 1) {
        result_set(r, CERT_FAIL, "cannot set up chain verification");
        goto out;
    }
    /* Expiry is its own rule; weak keys and digests are the cert-weak
     * rules: trust alone is asked here, at security level 0. */
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), 0);
    if (X509_verify_cert(ctx) == 1) {
        STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
        X509 *root = built ? sk_X509_value(built, sk_X509_num(built) - 1) : NULL;
        char root_dn[CERT_DN_MAX] = "?";
        if (root)
            dn_text(X509_get_subject_name(root), root_dn, sizeof(root_dn));
        rep->verify_error = X509_V_OK;
        result_set(r, CERT_PASS, "chains to %s in %s", root_dn, store);
        goto out;
    }
    rep->verify_error = X509_STORE_CTX_get_error(ctx);
    result_set(r, CERT_FAIL, "not trusted: %s (depth %d) against %s",
               X509_verify_cert_error_string(rep->verify_error),
               X509_STORE_CTX_get_error_depth(ctx), store);
    if (leaf->self_signed)
        sbuf_puts(&sb, "; the leaf is self-signed");
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    ERR_clear_error();
}

static void rule_expiry(const struct cert_chain *c, const struct cert_expect *e,
                        struct cert_report *rep, time_t now)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_EXPIRY];
    uint32_t warn = e->warn_days ? e->warn_days : CERT_WARN_DAYS_DEFAULT;
    uint32_t crit = e->crit_days ? e->crit_days : CERT_CRIT_DAYS_DEFAULT;
    size_t soonest = 0;
    struct sbuf sb;

    /* An intermediate that runs out first breaks the chain as surely. */
    for (size_t i = 1; i < rep->chain_len; i++)
        if (rep->chain[i].days_left < rep->chain[soonest].days_left)
            soonest = i;
    const struct cert_facts *f = &rep->chain[soonest];
    const char *which = soonest == 0 ? "the certificate" : "a CA certificate of the chain";
    sbuf_init(&sb, r->evidence, sizeof(r->evidence));
    sbuf_printf(&sb, "%s: notBefore %s, notAfter %s (%lld days left; warn < %u, crit < %u)",
                soonest == 0 ? "leaf" : f->subject, f->not_before, f->not_after,
                (long long)f->days_left, warn, crit);
    if (X509_cmp_time(X509_get0_notBefore(c->cert[0]), &now) > 0)
        result_set(r, CERT_FAIL, "the certificate is not valid before %s", rep->chain[0].not_before);
    else if (X509_cmp_time(X509_get0_notAfter(c->cert[soonest]), &now) < 0)
        result_set(r, CERT_FAIL, "%s expired on %s", which, f->not_after);
    else if (f->days_left < (int64_t)crit)
        result_set(r, CERT_FAIL, "%s expires in %lld days (%s)", which, (long long)f->days_left,
                   f->not_after);
    else if (f->days_left < (int64_t)warn)
        result_set(r, CERT_WARN, "%s expires in %lld days (%s)", which, (long long)f->days_left,
                   f->not_after);
    else
        result_set(r, CERT_PASS, "%lld days left (notAfter %s)", (long long)f->days_left,
                   f->not_after);
    ERR_clear_error();
}

static void rule_subject(const struct cert_expect *e, struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_SUBJECT];
    const struct cert_facts *leaf = &rep->chain[0];
    char want[CERT_NAME_MAX], got[CERT_NAME_MAX];
    struct sbuf sb;

    host_norm(e->fqdn, want, sizeof(want));
    host_norm(leaf->subject_cn, got, sizeof(got));
    sbuf_init(&sb, r->evidence, sizeof(r->evidence));
    sbuf_printf(&sb, "subject %s; ", leaf->subject);
    put_sans(&sb, leaf);
    sbuf_printf(&sb, "; expected FQDN %s", want);
    /* Exact, no wildcard: servers match their peer by Subject name. */
    if (is_ip_literal(want))
        result_set(r, CERT_WARN, "the expected name %s is an address: no FQDN to compare the "
                   "Subject CN=%s with (set server_name)", want, got);
    else if (!leaf->has_cn)
        result_set(r, CERT_FAIL, "the Subject has no CN; expected CN=%s", want);
    else if (strcasecmp(want, got) != 0)
        result_set(r, CERT_FAIL, "Subject CN=%s is not the FQDN %s", got, want);
    else
        result_set(r, CERT_PASS, "Subject CN=%s", got);
}

static void rule_san(const struct cert_chain *c, const struct cert_expect *e,
                     struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_SAN];
    const char *one[1] = {e->fqdn};
    const char *const *names = e->name_count ? e->names : one;
    size_t count = e->name_count ? e->name_count : 1, missing = 0;
    char list[CERT_TEXT_MAX / 2];
    struct sbuf miss, sb;

    sbuf_init(&miss, list, sizeof(list));
    for (size_t i = 0; i < count && i < CERT_NAMES_MAX; i++) {
        char name[CERT_NAME_MAX];
        int ok;
        host_norm(names[i] ? names[i] : "", name, sizeof(name));
        if (is_ip_literal(name))
            ok = X509_check_ip_asc(c->cert[0], name, 0);
        else
            ok = X509_check_host(c->cert[0], name, strlen(name),
                                 X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                     X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                                 NULL);
        if (ok != 1)
            sbuf_printf(&miss, "%s%s", missing++ ? ", " : "", name);
    }
    ERR_clear_error();
    sbuf_init(&sb, r->evidence, sizeof(r->evidence));
    put_sans(&sb, &rep->chain[0]);
    sbuf_printf(&sb, "; expected %zu name%s", count, count == 1 ? "" : "s");
    if (missing)
        result_set(r, CERT_FAIL, "the SAN lacks %s", list);
    else
        result_set(r, CERT_PASS, "the SAN holds every expected name (%zu)", count);
}

static void rule_eku(const struct cert_expect *e, struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_EKU];
    const struct cert_facts *leaf = &rep->chain[0];

    snprintf(r->evidence, sizeof(r->evidence), "extendedKeyUsage: %s; %s",
             leaf->has_eku ? leaf->ekus : "absent",
             e->mtls ? "mutual TLS: serverAuth and clientAuth needed" : "serverAuth needed");
    /* RFC 5280 4.2.1.12: no extension means any purpose. */
    if (!leaf->has_eku)
        result_set(r, CERT_PASS, "no extendedKeyUsage extension: any purpose");
    else if (!leaf->eku_server)
        result_set(r, CERT_FAIL, "extendedKeyUsage lacks serverAuth");
    else if (e->mtls && !leaf->eku_client)
        result_set(r, CERT_FAIL, "extendedKeyUsage lacks clientAuth, needed for mutual TLS");
    else
        result_set(r, CERT_PASS, "extendedKeyUsage %s", leaf->ekus);
}

static void rule_key(struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_KEY];
    const struct cert_facts *leaf = &rep->chain[0];
    const char *t = leaf->key_type;
    /* NIST SP 800-131A: RSA/DSA below 2048 and EC below 256 bits are disallowed. */
    int min = strcmp(t, "RSA") == 0 || strcmp(t, "DSA") == 0 ? 2048
              : strcmp(t, "EC") == 0                         ? 256
                                                             : 0;

    snprintf(r->evidence, sizeof(r->evidence), "public key %s %d bits", t, leaf->key_bits);
    if (strcmp(t, "?") == 0)
        result_set(r, CERT_WARN, "the public key could not be read");
    else if (leaf->key_bits < min)
        result_set(r, CERT_FAIL, "%s key of %d bits is weak (at least %d)", t, leaf->key_bits,
                   min);
    else
        result_set(r, CERT_PASS, "%s %d bits", t, leaf->key_bits);
}

static bool digest_weak(X509 *x)
{
    int md = NID_undef, pk = NID_undef;

    if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
        return false;
    return md == NID_sha1 || md == NID_md5 || md == NID_md4 || md == NID_md2;
}

static void rule_signature(const struct cert_chain *c, struct cert_report *rep)
{
    struct cert_rule_result *r = &rep->rules[CERT_RULE_SIGNATURE];
    struct sbuf sb;
    size_t weak = rep->chain_len;

    sbuf_init(&sb, r->evidence, sizeof(r->evidence));
    for (size_t i = 0; i < rep->chain_len; i++) {
        sbuf_printf(&sb, "%s%s: %s", i ? "; " : "", i ? rep->chain[i].subject : "leaf",
                    rep->chain[i].signature);
        /* A root's self-signature is never checked by a client; a
         * self-signed leaf's digest is still what the server shows. */
        bool root = i > 0 && rep->chain[i].self_signed;
        if (weak == rep->chain_len && !root && digest_weak(c->cert[i]))
            weak = i;
    }
    if (weak < rep->chain_len)
        result_set(r, CERT_FAIL, "%s is signed with %s (weak digest)",
                   weak == 0 ? "the certificate" : "a CA certificate of the chain",
                   rep->chain[weak].signature);
    else
        result_set(r, CERT_PASS, "%s", rep->chain[0].signature);
}

int cert_trust_store_new(X509_STORE **out, const char *ca_file, struct synth_error *err)
{
    X509_STORE *s = X509_STORE_new();
    int rc = 0;

    *out = NULL;
    if (!s)
        return tls_error_set(err, SYNTH_ENOMEM, "trust store");
    if (ca_file && *ca_file)
        rc = tls_store_add_ca_file(s, ca_file, err);
    else if (X509_STORE_set_default_paths(s) != 1)
        rc = tls_error_set(err, SYNTH_ETLS, "loading the system CA store");
    if (rc) {
        X509_STORE_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cert_check_evaluate(const struct cert_chain *chain, const struct cert_expect *e,
                        struct cert_report *out, struct synth_error *err)
{
    time_t now;

    memset(out, 0, sizeof(*out));
    if (!chain || chain->n == 0)
        return synth_error_set(err, SYNTH_EINVAL, "no certificate to check");
    if (!e || !e->fqdn || !*e->fqdn)
        return synth_error_set(err, SYNTH_EINVAL, "no expected FQDN");
    now = e->now ? e->now : time(NULL);
    out->chain_len = chain->n;
    for (size_t i = 0; i < chain->n; i++)
        cert_facts_read(chain->cert[i], now, &out->chain[i]);
    for (int k = 0; k < CERT_RULE_COUNT; k++)
        out->rules[k].rule = (enum cert_rule)k;
    rule_trust(chain, e, out);
    rule_expiry(chain, e, out, now);
    rule_subject(e, out);
    rule_san(chain, e, out);
    rule_eku(e, out);
    rule_key(out);
    rule_signature(chain, out);
    return 0;
}

enum cert_status cert_report_worst(const struct cert_report *r)
{
    enum cert_status w = CERT_PASS;

    for (int k = 0; k < CERT_RULE_COUNT; k++)
        if (r->rules[k].status > w)
            w = r->rules[k].status;
    return w;
}
