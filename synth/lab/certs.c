/* The lab's certificate authority: keys and X.509 v3 certificates made in
 * memory with OpenSSL 3 (RFC 5280 4.1 for the fields, 4.2.1 for the
 * extensions), and PEM files for peers that need them on disk. */
#include "certs.h"

#include "synth/tls/tls_ctx.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 5280 4.1.2.2 allows up to 20 octets; 128 random bits make collisions
 * between lab runs (a client caching a session or a CRL) impossible in practice. */
#define LAB_SERIAL_BYTES 16
/* notBefore this far in the past, so a client whose clock runs a little
 * behind the lab's does not see "certificate is not yet valid". */
#define LAB_BACKDATE_S 3600

struct lab_ca {
    X509 *x509;
    EVP_PKEY *pkey;
};

struct lab_cert {
    X509 *x509;
    EVP_PKEY *pkey;
};

static const char *key_type_name(enum lab_key_type kt)
{
    switch (kt) {
    case LAB_KEY_EC_P256: return "EC P-256";
    case LAB_KEY_RSA_2048: return "RSA 2048";
    }
    return NULL;
}

static int key_generate(EVP_PKEY **out, enum lab_key_type kt, struct synth_error *err)
{
    switch (kt) {
    case LAB_KEY_EC_P256:
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case LAB_KEY_RSA_2048:
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    }
    if (!*out)
        return tls_error_set(err, SYNTH_ETLS, "generating %s key", key_type_name(kt));
    return 0;
}

static int set_random_serial(X509 *x)
{
    unsigned char raw[LAB_SERIAL_BYTES];
    BIGNUM *bn = NULL;
    int ok = 0;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        goto out;
    /* Unsigned: DER adds a 0x00 octet when the top bit is set, still <= 20. */
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    if (!bn)
        goto out;
    /* RFC 5280 4.1.2.2: positive, so never zero. */
    if (BN_is_zero(bn) && !BN_one(bn))
        goto out;
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
out:
    BN_free(bn);
    return ok ? 0 : -1;
}

/* cn goes in as UTF-8 whatever it holds: the lab must be able to make the
 * odd certificates seen in the field. OpenSSL enforces ub-common-name. */
static int set_subject_cn(X509 *x, const char *cn, struct synth_error *err)
{
    X509_NAME *name = X509_get_subject_name(x);

    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                    -1, -1, 0))
        return tls_error_set(err, SYNTH_EINVAL, "certificate CN \"%s\"", cn);
    return 0;
}

/* For the fixed extensions only: the config syntax would misread a comma in
 * a caller's string, so SANs are built as GENERAL_NAMEs instead. */
static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value, struct synth_error *err)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value);
    int ok;

    if (!ext)
        return tls_error_set(err, SYNTH_ETLS, "extension %s \"%s\"", OBJ_nid2sn(nid), value);
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok)
        return tls_error_set(err, SYNTH_ETLS, "adding extension %s", OBJ_nid2sn(nid));
    return 0;
}

/* Binary form of an IPv4/IPv6 literal (RFC 5280 4.2.1.6: 4 or 16 octets),
 * or 0 when s is not one. */
static int ip_literal(const char *s, unsigned char ip[16])
{
    if (inet_pton(AF_INET, s, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, ip) == 1)
        return 16;
    return 0;
}

/* A dNSName is an IA5String (RFC 5280 4.2.1.6); wildcards are let through
 * since the lab may want to offer one. */
static bool dns_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > LAB_CERTS_SAN_LEN_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

static GENERAL_NAME *san_entry(const char *s)
{
    unsigned char ip[16];
    int iplen = ip_literal(s, ip);
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_STRING *v = NULL;

    if (!gn)
        return NULL;
    v = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    if (!v)
        goto fail;
    if (iplen ? !ASN1_OCTET_STRING_set(v, ip, iplen) : !ASN1_STRING_set(v, s, (int)strlen(s)))
        goto fail;
    GENERAL_NAME_set0_value(gn, iplen ? GEN_IPADD : GEN_DNS, v);
    return gn;
fail:
    ASN1_STRING_free(v);
    GENERAL_NAME_free(gn);
    return NULL;
}

static int add_sans(X509 *x, const char *const *sans, size_t san_count, struct synth_error *err)
{
    GENERAL_NAMES *gens = NULL;
    int rc = 0;

    if (san_count == 0)
        return 0;
    gens = sk_GENERAL_NAME_new_null();
    if (!gens)
        return synth_error_set(err, SYNTH_ENOMEM, "subjectAltName: out of memory");
    for (size_t i = 0; i < san_count; i++) {
        GENERAL_NAME *gn = san_entry(sans[i]);
        if (!gn || !sk_GENERAL_NAME_push(gens, gn)) {
            GENERAL_NAME_free(gn);
            rc = synth_error_set(err, SYNTH_ENOMEM, "subjectAltName: out of memory");
            goto out;
        }
    }
    /* Not critical: the subject is not empty (RFC 5280 4.2.1.6). */
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) != 1)
        rc = tls_error_set(err, SYNTH_ETLS, "adding subjectAltName");
out:
    GENERAL_NAMES_free(gens);
    return rc;
}

static int check_sans(const char *const *sans, size_t san_count, struct synth_error *err)
{
    unsigned char ip[16];

    if (san_count > LAB_CERTS_SAN_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "%zu subjectAltNames, at most %d",
                               san_count, LAB_CERTS_SAN_MAX);
    if (san_count && !sans)
        return synth_error_set(err, SYNTH_EINVAL, "subjectAltName list is NULL");
    for (size_t i = 0; i < san_count; i++) {
        if (!sans[i])
            return synth_error_set(err, SYNTH_EINVAL, "subjectAltName %zu is NULL", i + 1);
        if (!ip_literal(sans[i], ip) && !dns_name_ok(sans[i], strlen(sans[i])))
            return synth_error_set(err, SYNTH_EINVAL,
                                   "subjectAltName \"%.64s\": not an IP address nor a DNS "
                                   "name (printable ASCII, 1 to %d characters)",
                                   sans[i], LAB_CERTS_SAN_LEN_MAX);
    }
    return 0;
}

/* Builds and signs one certificate. issuer == NULL makes a self-signed CA;
 * otherwise a leaf signed by issuer/issuer_key. */
static int cert_build(X509 **out, EVP_PKEY *key, const char *cn, const X509 *issuer,
                      EVP_PKEY *issuer_key, const char *const *sans, size_t san_count,
                      enum lab_key_type kt, struct synth_error *err)
{
    X509 *x = X509_new();
    X509V3_CTX v3;
    bool is_ca = issuer == NULL;
    int rc;

    *out = NULL;
    if (!x)
        return synth_error_set(err, SYNTH_ENOMEM, "certificate: out of memory");
    if (!X509_set_version(x, X509_VERSION_3) || set_random_serial(x) < 0 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -LAB_BACKDATE_S) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), LAB_CERTS_VALID_DAYS, 0, NULL) ||
        !X509_set_pubkey(x, key)) {
        rc = tls_error_set(err, SYNTH_ETLS, "certificate \"%s\": setting fields", cn);
        goto out;
    }
    /* A leaf issued late in the CA's life must not outlive it (RFC 5280 6.1.3
     * checks each certificate on its own, but a peer's checker may not). */
    if (!is_ca && ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(issuer)) > 0 &&
        !X509_set1_notAfter(x, X509_get0_notAfter(issuer))) {
        rc = tls_error_set(err, SYNTH_ETLS, "certificate \"%s\": notAfter", cn);
        goto out;
    }
    rc = set_subject_cn(x, cn, err);
    if (rc)
        goto out;
    if (!X509_set_issuer_name(x, X509_get_subject_name(is_ca ? x : issuer))) {
        rc = tls_error_set(err, SYNTH_ETLS, "certificate \"%s\": issuer name", cn);
        goto out;
    }

    X509V3_set_ctx(&v3, is_ca ? x : (X509 *)issuer, x, NULL, NULL, 0);
    if (is_ca) {
        /* RFC 5280 4.2.1.9 and 4.2.1.3: a CA says so, critically. An AKI is
         * optional on a self-signed certificate (4.2.1.1). */
        if ((rc = add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE", err)) ||
            (rc = add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign", err)) ||
            (rc = add_ext(x, &v3, NID_subject_key_identifier, "hash", err)))
            goto out;
    } else {
        /* keyEncipherment only where the key can do it: TLS 1.2 RSA key
         * exchange (RFC 5246 7.4.2); an EC key never encrypts. */
        const char *ku = kt == LAB_KEY_RSA_2048 ? "critical,digitalSignature,keyEncipherment"
                                                : "critical,digitalSignature";
        if ((rc = add_ext(x, &v3, NID_basic_constraints, "CA:FALSE", err)) ||
            (rc = add_ext(x, &v3, NID_key_usage, ku, err)) ||
            (rc = add_ext(x, &v3, NID_ext_key_usage, "serverAuth,clientAuth", err)) ||
            (rc = add_ext(x, &v3, NID_subject_key_identifier, "hash", err)) ||
            (rc = add_ext(x, &v3, NID_authority_key_identifier, "keyid:always", err)) ||
            (rc = add_sans(x, sans, san_count, err)))
            goto out;
    }

    if (!X509_sign(x, is_ca ? key : issuer_key, EVP_sha256())) {
        rc = tls_error_set(err, SYNTH_ETLS, "signing certificate \"%s\"", cn);
        goto out;
    }
    /* OpenSSL 3.0 can report success from X509_sign after an allocation
     * failed inside the provider, leaving a signature no peer accepts (seen
     * with allocation failure injection); an EC verify costs ~0.1 ms. */
    if (X509_verify(x, is_ca ? key : issuer_key) != 1) {
        rc = tls_error_set(err, SYNTH_ETLS, "certificate \"%s\": signature does not verify", cn);
        goto out;
    }
    *out = x;
    x = NULL;
    rc = 0;
out:
    X509_free(x);
    return rc;
}

static int check_common(const char *cn, enum lab_key_type kt, struct synth_error *err)
{
    if (!key_type_name(kt))
        return synth_error_set(err, SYNTH_EINVAL, "unknown key type %d", (int)kt);
    if (!cn || !*cn)
        return synth_error_set(err, SYNTH_EINVAL, "certificate CN is empty");
    return 0;
}

int lab_ca_create(struct lab_ca **out, const char *cn, enum lab_key_type kt,
                  struct synth_error *err)
{
    struct lab_ca *ca = NULL;
    int rc;

    *out = NULL;
    rc = check_common(cn, kt, err);
    if (rc)
        return rc;
    ca = calloc(1, sizeof(*ca));
    if (!ca)
        return synth_error_set(err, SYNTH_ENOMEM, "CA: out of memory");
    rc = key_generate(&ca->pkey, kt, err);
    if (rc)
        goto out;
    rc = cert_build(&ca->x509, ca->pkey, cn, NULL, NULL, NULL, 0, kt, err);
    if (rc)
        goto out;
    *out = ca;
    ca = NULL;
out:
    lab_ca_free(ca);
    return rc;
}

int lab_cert_issue(struct lab_cert **out, const struct lab_ca *ca, const char *cn,
                   const char *const *sans, size_t san_count, enum lab_key_type kt,
                   struct synth_error *err)
{
    struct lab_cert *cert = NULL;
    int rc;

    *out = NULL;
    if (!ca)
        return synth_error_set(err, SYNTH_EINVAL, "no CA to issue \"%s\"", cn ? cn : "");
    if ((rc = check_common(cn, kt, err)) || (rc = check_sans(sans, san_count, err)))
        return rc;
    cert = calloc(1, sizeof(*cert));
    if (!cert)
        return synth_error_set(err, SYNTH_ENOMEM, "certificate: out of memory");
    rc = key_generate(&cert->pkey, kt, err);
    if (rc)
        goto out;
    rc = cert_build(&cert->x509, cert->pkey, cn, ca->x509, ca->pkey, sans, san_count, kt, err);
    if (rc)
        goto out;
    *out = cert;
    cert = NULL;
out:
    lab_cert_free(cert);
    return rc;
}

X509 *lab_ca_x509(const struct lab_ca *ca)
{
    return ca->x509;
}

EVP_PKEY *lab_ca_pkey(const struct lab_ca *ca)
{
    return ca->pkey;
}

X509 *lab_cert_x509(const struct lab_cert *cert)
{
    return cert->x509;
}

EVP_PKEY *lab_cert_pkey(const struct lab_cert *cert)
{
    return cert->pkey;
}

/* Opens for writing with mode; fchmod as well, since O_CREAT's mode does
 * nothing to a file that already exists (a key must not stay 0644). */
static int open_write(FILE **out, const char *path, mode_t mode, bool force_mode,
                      struct synth_error *err)
{
    int fd;

    *out = NULL;
    if (!path || !*path)
        return synth_error_set(err, SYNTH_EINVAL, "no file name to write");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(errno));
    if (force_mode && fchmod(fd, mode) < 0) {
        int e = errno;
        close(fd);
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(e));
    }
    *out = fdopen(fd, "w");
    if (!*out) {
        int e = errno;
        close(fd);
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* fclose reports the write errors buffered stdio kept back (a full disk). */
static int close_written(FILE *f, const char *path, bool wrote, struct synth_error *err)
{
    if (fclose(f) != 0)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(errno));
    if (!wrote)
        return tls_error_set(err, SYNTH_EIO, "%s: writing PEM", path);
    return 0;
}

static int write_cert_pem(X509 *x, const char *path, struct synth_error *err)
{
    FILE *f;
    int rc = open_write(&f, path, 0644, false, err);

    if (rc)
        return rc;
    return close_written(f, path, PEM_write_X509(f, x) == 1, err);
}

int lab_ca_write_pem(const struct lab_ca *ca, const char *path, struct synth_error *err)
{
    return write_cert_pem(ca->x509, path, err);
}

int lab_cert_write_pem(const struct lab_cert *cert, const char *cert_path,
                       const char *key_path, struct synth_error *err)
{
    FILE *f;
    int rc = write_cert_pem(cert->x509, cert_path, err);

    if (rc)
        return rc;
    rc = open_write(&f, key_path, 0600, true, err);
    if (rc)
        return rc;
    /* Unencrypted PKCS#8: Kamailio, nginx and coturn read it without a passphrase. */
    return close_written(f, key_path,
                         PEM_write_PrivateKey(f, cert->pkey, NULL, NULL, 0, NULL, NULL) == 1,
                         err);
}

void lab_ca_free(struct lab_ca *ca)
{
    if (!ca)
        return;
    X509_free(ca->x509);
    EVP_PKEY_free(ca->pkey);
    free(ca);
}

void lab_cert_free(struct lab_cert *cert)
{
    if (!cert)
        return;
    X509_free(cert->x509);
    EVP_PKEY_free(cert->pkey);
    free(cert);
}
