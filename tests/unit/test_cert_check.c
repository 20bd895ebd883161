/* Tests of synth/tls/cert_check (the rules), reports/cert_findings (their
 * findings) and the probe's distinct connect error, on certificates made
 * here with the lab's CA (synth/lab/certs) and re-signed where a field must
 * be what the field sees: SAN-only FQDN, expired, expiring, RSA-1024, SHA-1,
 * missing EKU, untrusted issuer. */
#include "reports/cert_findings.h"
#include "synth/lab/certs.h"
#include "synth/tls/cert_check.h"
#include "synth/tls/cert_probe.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ossl_alloc_fail.h"

#define FQDN "um.lab.synth.test"
/* One parse and judgement of a two-certificate chain is a few thousand
 * OpenSSL allocations; each is failed in turn. */
#define TORTURE_ALLOCS_MAX 20000
#define DAY (24 * 3600)

static struct {
    struct lab_ca *ca, *other_ca;
    X509_STORE *trust;
} pki;

static int setup(void **state)
{
    struct synth_error err = {{0}};

    if (lab_ca_create(&pki.ca, "synth test CA", LAB_KEY_EC_P256, &err) ||
        lab_ca_create(&pki.other_ca, "somebody else's CA", LAB_KEY_EC_P256, &err)) {
        fprintf(stderr, "CA: %s\n", err.msg);
        return -1;
    }
    pki.trust = X509_STORE_new();
    return pki.trust && X509_STORE_add_cert(pki.trust, lab_ca_x509(pki.ca)) == 1 ? 0 : -1;
}

static int teardown(void **state)
{
    X509_STORE_free(pki.trust);
    lab_ca_free(pki.ca);
    lab_ca_free(pki.other_ca);
    return 0;
}

static struct lab_cert *issue(const struct lab_ca *ca, const char *cn, const char *san)
{
    struct lab_cert *c = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {san};

    assert_int_equal(lab_cert_issue(&c, ca, cn, sans, san ? 1 : 0, LAB_KEY_EC_P256, &err), 0);
    return c;
}

static void resign(X509 *x, const EVP_MD *md)
{
    assert_true(X509_sign(x, lab_ca_pkey(pki.ca), md) > 0);
}

static struct cert_expect expect(void)
{
    struct cert_expect e = {.fqdn = FQDN, .trust = pki.trust, .trust_name = "ca.pem"};
    return e;
}

/* Judges leaf (then the CA) against e; the caller frees the report. */
static struct cert_report *judge(X509 *leaf, const struct cert_expect *e)
{
    struct cert_chain chain = {0};
    struct synth_error err = {{0}};
    struct cert_report *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    assert_int_equal(cert_chain_push(&chain, leaf, &err), 0);
    assert_int_equal(cert_chain_push(&chain, lab_ca_x509(pki.ca), &err), 0);
    assert_int_equal(cert_check_evaluate(&chain, e, r, &err), 0);
    cert_chain_free(&chain);
    return r;
}

/* The findings r gives an endpoint of role; the caller frees v. */
static void findings_for(const struct cert_report *r, enum target_role role, struct verdict *v)
{
    struct cert_endpoint ep = {.name = target_role_name(role), .role = role,
                               .host = "127.0.0.1", .port = 5061, .server_name = FQDN,
                               .report = r};
    verdict_init(v);
    assert_int_equal(cert_findings_add(v, &ep), 0);
}

/* The first (most severe) finding r gives an endpoint of role. */
static void assert_finding(const struct cert_report *r, enum target_role role, const char *id,
                           enum verdict_level level)
{
    struct verdict v;
    findings_for(r, role, &v);
    assert_true(v.n >= 1);
    assert_string_equal(v.findings[0].id, id);
    assert_int_equal(v.level, level);
    verdict_free(&v);
}

static void assert_only_failing(const struct cert_report *r, enum cert_rule rule,
                                enum cert_status st)
{
    for (int k = 0; k < CERT_RULE_COUNT; k++) {
        if (r->rules[k].status != (k == (int)rule ? st : CERT_PASS))
            fail_msg("rule %s is %s (%s), want %s", cert_rule_name((enum cert_rule)k),
                     cert_status_name(r->rules[k].status), r->rules[k].summary,
                     cert_status_name(k == (int)rule ? st : CERT_PASS));
    }
}

static void test_good(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    struct cert_expect e = expect();
    e.mtls = true;
    struct cert_report *r = judge(lab_cert_x509(c), &e);

    for (int k = 0; k < CERT_RULE_COUNT; k++)
        assert_int_equal(r->rules[k].status, CERT_PASS);
    assert_int_equal(cert_report_worst(r), CERT_PASS);
    assert_int_equal(r->chain_len, 2);
    assert_string_equal(r->chain[0].subject, "CN=" FQDN);
    assert_string_equal(r->chain[0].subject_cn, FQDN);
    assert_string_equal(r->chain[0].issuer, "CN=synth test CA");
    assert_int_equal(r->chain[0].san_count, 1);
    assert_string_equal(r->chain[0].sans[0], "DNS:" FQDN);
    assert_string_equal(r->chain[0].key_type, "EC");
    assert_int_equal(r->chain[0].key_bits, 256);
    assert_string_equal(r->chain[0].signature, "ecdsa-with-SHA256");
    assert_string_equal(r->chain[0].ekus, "serverAuth, clientAuth");
    assert_false(r->chain[0].self_signed);
    assert_true(r->chain[1].self_signed);
    assert_true(r->chain[0].days_left >= 89 && r->chain[0].days_left <= 90);
    assert_int_equal(strlen(r->chain[0].sha256), 32 * 3 - 1);
    assert_non_null(strstr(r->rules[CERT_RULE_TRUST].summary, "CN=synth test CA in ca.pem"));

    /* A clean report adds no finding. */
    struct verdict v;
    findings_for(r, TARGET_ROLE_UM, &v);
    assert_int_equal(v.n, 0);
    assert_int_equal(v.level, VERDICT_OK);
    verdict_free(&v);
    free(r);
    lab_cert_free(c);
}

/* The field failure: CN=um01, the FQDN only in the SAN. */
static void test_san_only_fqdn(void **state)
{
    struct lab_cert *c = issue(pki.ca, "um01", FQDN);
    struct cert_expect e = expect();
    struct cert_report *r = judge(lab_cert_x509(c), &e);

    assert_only_failing(r, CERT_RULE_SUBJECT, CERT_FAIL);
    assert_string_equal(r->rules[CERT_RULE_SUBJECT].summary,
                        "Subject CN=um01 is not the FQDN " FQDN);
    assert_non_null(strstr(r->rules[CERT_RULE_SUBJECT].evidence, "SAN DNS:" FQDN));

    /* On the UM it is critical, with the symptom and the remedy. */
    struct verdict v;
    findings_for(r, TARGET_ROLE_UM, &v);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    assert_string_equal(v.findings[0].id, "cert-subject-not-fqdn");
    assert_non_null(strstr(v.findings[0].summary, "internal calls work; calls through the Edge "
                                                  "connect and get no media, then BYE"));
    assert_non_null(strstr(v.findings[0].evidence, "CN=um01"));
    assert_non_null(strstr(v.findings[0].evidence, "expected " FQDN));
    assert_non_null(strstr(v.findings[0].remedy, "with its FQDN " FQDN " as Subject CN"));
    verdict_free(&v);

    /* Elsewhere a warning. */
    findings_for(r, TARGET_ROLE_EDGE, &v);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.level, VERDICT_WARNING);
    assert_null(strstr(v.findings[0].summary, "no media"));
    verdict_free(&v);
    free(r);
    lab_cert_free(c);
}

static void test_names_compared_loosely(void **state)
{
    struct lab_cert *c = issue(pki.ca, "UM.Lab.Synth.Test", FQDN);
    struct cert_expect e = expect();
    e.fqdn = FQDN ".";
    struct cert_report *r = judge(lab_cert_x509(c), &e);

    /* Case and one trailing dot do not matter. */
    assert_int_equal(cert_report_worst(r), CERT_PASS);
    free(r);

    /* An address is no FQDN: the CN cannot be judged, and says so. */
    e.fqdn = "127.0.0.1";
    r = judge(lab_cert_x509(c), &e);
    assert_int_equal(r->rules[CERT_RULE_SUBJECT].status, CERT_WARN);
    assert_non_null(strstr(r->rules[CERT_RULE_SUBJECT].summary, "set server_name"));
    free(r);

    /* A name missing from the SAN is reported by name. */
    e.fqdn = FQDN;
    e.names[0] = FQDN;
    e.names[1] = "um-alias.lab.synth.test";
    e.names[2] = "127.0.0.1";
    e.name_count = 3;
    r = judge(lab_cert_x509(c), &e);
    assert_only_failing(r, CERT_RULE_SAN, CERT_FAIL);
    assert_string_equal(r->rules[CERT_RULE_SAN].summary,
                        "the SAN lacks um-alias.lab.synth.test, 127.0.0.1");
    assert_finding(r, TARGET_ROLE_WEB, "cert-san-missing-name", VERDICT_CRITICAL);
    free(r);
    lab_cert_free(c);
}

static void test_expired(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    X509 *x = lab_cert_x509(c);
    assert_non_null(ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z"));
    assert_non_null(ASN1_TIME_set_string(X509_getm_notAfter(x), "20200301120000Z"));
    resign(x, EVP_sha256());
    struct cert_expect e = expect();
    struct cert_report *r = judge(x, &e);

    /* Still trusted: expiry is its own rule. */
    assert_only_failing(r, CERT_RULE_EXPIRY, CERT_FAIL);
    assert_string_equal(r->rules[CERT_RULE_EXPIRY].summary,
                        "the certificate expired on 2020-03-01T12:00:00Z");
    assert_true(r->chain[0].days_left < 0);
    assert_finding(r, TARGET_ROLE_REGISTRAR, "cert-expiring", VERDICT_CRITICAL);
    free(r);
    lab_cert_free(c);
}

static void test_expiring_in_10_days(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    X509 *x = lab_cert_x509(c);
    time_t now = time(NULL);
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 10, 3600, &now));
    resign(x, EVP_sha256());
    struct cert_expect e = expect();
    e.now = now;
    struct cert_report *r = judge(x, &e);

    assert_only_failing(r, CERT_RULE_EXPIRY, CERT_WARN);
    assert_int_equal(r->chain[0].days_left, 10);
    assert_non_null(strstr(r->rules[CERT_RULE_EXPIRY].summary, "expires in 10 days"));
    assert_finding(r, TARGET_ROLE_EDGE, "cert-expiring", VERDICT_WARNING);
    free(r);

    /* The levels are the caller's: 10 days is critical under crit 14. */
    e.warn_days = 60;
    e.crit_days = 14;
    r = judge(x, &e);
    assert_int_equal(r->rules[CERT_RULE_EXPIRY].status, CERT_FAIL);
    free(r);
    e.warn_days = 5;
    e.crit_days = 2;
    r = judge(x, &e);
    assert_int_equal(r->rules[CERT_RULE_EXPIRY].status, CERT_PASS);
    free(r);
    lab_cert_free(c);
}

static void test_rsa_1024(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    X509 *x = lab_cert_x509(c);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(k);
    assert_int_equal(X509_set_pubkey(x, k), 1);
    resign(x, EVP_sha256());
    struct cert_expect e = expect();
    struct cert_report *r = judge(x, &e);

    assert_only_failing(r, CERT_RULE_KEY, CERT_FAIL);
    assert_string_equal(r->rules[CERT_RULE_KEY].summary,
                        "RSA key of 1024 bits is weak (at least 2048)");
    assert_string_equal(r->chain[0].key_type, "RSA");
    assert_int_equal(r->chain[0].key_bits, 1024);
    assert_finding(r, TARGET_ROLE_UM, "cert-weak", VERDICT_CRITICAL);
    free(r);
    EVP_PKEY_free(k);
    lab_cert_free(c);
}

static void test_sha1_signed(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    X509 *x = lab_cert_x509(c);
    resign(x, EVP_sha1());
    struct cert_expect e = expect();
    struct cert_report *r = judge(x, &e);

    /* Trusted (security level 0), but weak. */
    assert_only_failing(r, CERT_RULE_SIGNATURE, CERT_FAIL);
    assert_string_equal(r->chain[0].signature, "ecdsa-with-SHA1");
    assert_string_equal(r->rules[CERT_RULE_SIGNATURE].summary,
                        "the certificate is signed with ecdsa-with-SHA1 (weak digest)");
    free(r);
    lab_cert_free(c);
}

/* EKU replaced by one without serverAuth, and one without clientAuth. */
static void set_eku(X509 *x, const char *value)
{
    X509V3_CTX v3;
    int i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
    assert_true(i >= 0);
    X509_EXTENSION_free(X509_delete_ext(x, i));
    X509V3_set_ctx(&v3, lab_ca_x509(pki.ca), x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_ext_key_usage, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    resign(x, EVP_sha256());
}

static void test_missing_eku(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    X509 *x = lab_cert_x509(c);
    struct cert_expect e = expect();

    set_eku(x, "clientAuth");
    struct cert_report *r = judge(x, &e);
    assert_only_failing(r, CERT_RULE_EKU, CERT_FAIL);
    assert_string_equal(r->rules[CERT_RULE_EKU].summary, "extendedKeyUsage lacks serverAuth");
    free(r);

    set_eku(x, "serverAuth");
    r = judge(x, &e);
    assert_int_equal(cert_report_worst(r), CERT_PASS);
    free(r);
    e.mtls = true;
    r = judge(x, &e);
    assert_only_failing(r, CERT_RULE_EKU, CERT_FAIL);
    assert_non_null(strstr(r->rules[CERT_RULE_EKU].summary, "clientAuth"));
    free(r);

    /* RFC 5280 4.2.1.12: no extension at all is any purpose. */
    X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_ext_key_usage, -1)));
    resign(x, EVP_sha256());
    r = judge(x, &e);
    assert_int_equal(cert_report_worst(r), CERT_PASS);
    assert_false(r->chain[0].has_eku);
    free(r);
    lab_cert_free(c);
}

static void test_untrusted_issuer(void **state)
{
    struct lab_cert *c = issue(pki.other_ca, FQDN, FQDN);
    struct cert_chain chain = {0};
    struct synth_error err = {{0}};
    struct cert_report *r = calloc(1, sizeof(*r));
    struct cert_expect e = expect();

    assert_non_null(r);
    assert_int_equal(cert_chain_push(&chain, lab_cert_x509(c), &err), 0);
    assert_int_equal(cert_check_evaluate(&chain, &e, r, &err), 0);
    assert_only_failing(r, CERT_RULE_TRUST, CERT_FAIL);
    assert_int_equal(r->verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_non_null(strstr(r->rules[CERT_RULE_TRUST].evidence, "issuer CN=somebody else's CA"));
    assert_finding(r, TARGET_ROLE_REGISTRAR, "cert-untrusted", VERDICT_CRITICAL);

    /* No store at all fails the rule rather than passing it. */
    e.trust = NULL;
    assert_int_equal(cert_check_evaluate(&chain, &e, r, &err), 0);
    assert_int_equal(r->rules[CERT_RULE_TRUST].status, CERT_FAIL);
    cert_chain_free(&chain);
    free(r);
    lab_cert_free(c);
}

static void test_parse(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    struct cert_chain chain;
    struct synth_error err = {{0}};
    unsigned char *der = NULL, both[8192];
    char *pem = NULL;
    long pem_len;
    int der_len = i2d_X509(lab_cert_x509(c), &der);
    BIO *bio = BIO_new(BIO_s_mem());

    assert_true(der_len > 0);
    assert_int_equal(PEM_write_bio_X509(bio, lab_cert_x509(c)), 1);
    assert_int_equal(PEM_write_bio_X509(bio, lab_ca_x509(pki.ca)), 1);
    pem_len = BIO_get_mem_data(bio, &pem);

    assert_int_equal(cert_chain_from_pem(&chain, pem, (size_t)pem_len, &err), 0);
    assert_int_equal(chain.n, 2);
    assert_int_equal(X509_cmp(chain.cert[0], lab_cert_x509(c)), 0);
    cert_chain_free(&chain);

    /* DER back to back. */
    assert_true((size_t)der_len * 2 <= sizeof(both));
    memcpy(both, der, (size_t)der_len);
    memcpy(both + der_len, der, (size_t)der_len);
    assert_int_equal(cert_chain_from_der(&chain, both, (size_t)der_len * 2, &err), 0);
    assert_int_equal(chain.n, 2);
    cert_chain_free(&chain);
    /* A truncated second one keeps the first. */
    assert_int_equal(cert_chain_from_der(&chain, both, (size_t)der_len + 10, &err), 0);
    assert_int_equal(chain.n, 1);
    cert_chain_free(&chain);

    /* Garbage and truncation fail with a reason; nothing is kept. */
    assert_int_equal(cert_chain_from_der(&chain, der, (size_t)der_len - 1, &err), SYNTH_EPARSE);
    assert_int_equal(chain.n, 0);
    assert_int_equal(cert_chain_from_pem(&chain, "not a certificate", 17, &err), SYNTH_EPARSE);
    assert_int_equal(cert_chain_from_der(&chain, "", 0, &err), SYNTH_EPARSE);
    const char *broken = "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n";
    assert_int_equal(cert_chain_from_pem(&chain, broken, strlen(broken), &err), SYNTH_EPARSE);
    assert_int_equal(ERR_peek_error(), 0);

    /* Longer chains are cut at CERT_CHAIN_MAX and say so. */
    BIO *many = BIO_new(BIO_s_mem());
    for (int i = 0; i < CERT_CHAIN_MAX + 2; i++)
        assert_int_equal(PEM_write_bio_X509(many, lab_cert_x509(c)), 1);
    char *m;
    long mlen = BIO_get_mem_data(many, &m);
    assert_int_equal(cert_chain_from_pem(&chain, m, (size_t)mlen, &err), 0);
    assert_int_equal(chain.n, CERT_CHAIN_MAX);
    assert_int_equal(chain.dropped, 2);
    cert_chain_free(&chain);

    struct cert_report *r = calloc(1, sizeof(*r));
    struct cert_expect e = expect();
    assert_int_equal(cert_check_evaluate(&chain, &e, r, &err), SYNTH_EINVAL);
    free(r);
    BIO_free(many);
    BIO_free(bio);
    OPENSSL_free(der);
    lab_cert_free(c);
}

static void test_trust_store_file(void **state)
{
    X509_STORE *s = NULL;
    struct synth_error err = {{0}};
    char dir[] = "/tmp/synth-certcheck-XXXXXX", path[64];

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    assert_int_equal(cert_trust_store_new(&s, path, &err), SYNTH_EIO);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(lab_ca_write_pem(pki.ca, path, &err), 0);
    assert_int_equal(cert_trust_store_new(&s, path, &err), 0);
    X509_STORE_free(s);
    assert_int_equal(cert_trust_store_new(&s, NULL, &err), 0); /* the system store */
    X509_STORE_free(s);
    unlink(path);
    rmdir(dir);
}

/* A port nobody listens on: connection refused, the peer named. */
static void test_probe_refused(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct cert_probe p;
    struct synth_error err = {{0}};

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    struct cert_probe_opts o = {.server_name = FQDN, .peer = "um 127.0.0.1", .timeout_ms = 2000};
    assert_int_equal(cert_probe_run((struct sockaddr *)&sa, sizeof(sa), &o, &p, &err),
                     SYNTH_ECONNREFUSED);
    assert_string_equal(err.msg, "um 127.0.0.1: connection refused");
    assert_int_equal(p.chain.n, 0);
    cert_probe_free(&p);

    /* In summary.json the endpoint is an error with the probe's reason. */
    struct cert_endpoint ep = {.name = "um", .role = TARGET_ROLE_UM, .host = "127.0.0.1",
                               .port = 1, .server_name = FQDN, .probe_err = SYNTH_ECONNREFUSED,
                               .probe_detail = err.msg, .probe = &p};
    json_t *j = cert_findings_json(&ep);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "result")), "error");
    assert_false(json_is_true(json_object_get(json_object_get(j, "probe"), "ok")));
    json_decref(j);
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(cert_findings_add(&v, &ep), 0);
    assert_string_equal(v.findings[0].id, "transport.unreachable");
    assert_int_equal(v.level, VERDICT_CRITICAL);
    verdict_free(&v);
}

struct check_input {
    const char *pem;
    size_t len;
    struct cert_report *r;
};

/* Parses a PEM chain, judges it and renders it, as synth check does. */
static int check_once(void *arg, struct synth_error *err)
{
    struct check_input *in = arg;
    struct cert_chain chain;
    struct cert_expect e = expect();
    int rc = cert_chain_from_pem(&chain, in->pem, in->len, err);

    if (rc)
        return rc;
    rc = cert_check_evaluate(&chain, &e, in->r, err);
    if (rc == 0) {
        struct cert_endpoint ep = {.name = "um", .role = TARGET_ROLE_UM, .host = "127.0.0.1",
                                   .port = 5061, .server_name = FQDN, .report = in->r};
        json_decref(cert_findings_json(&ep));
    }
    cert_chain_free(&chain);
    return rc;
}

/* Under allocation failures a check fails with a code and a message or
 * judges what it could read; it never crashes or leaks (ASan). */
static void test_alloc_failures(void **state)
{
    struct lab_cert *c = issue(pki.ca, "um01", FQDN);
    struct check_input in = {.r = calloc(1, sizeof(*in.r))};
    struct synth_error err;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long n;
    int failures = 0;
    bool failed = true;

    assert_non_null(in.r);
    assert_int_equal(PEM_write_bio_X509(bio, lab_cert_x509(c)), 1);
    assert_int_equal(PEM_write_bio_X509(bio, lab_ca_x509(pki.ca)), 1);
    in.len = (size_t)BIO_get_mem_data(bio, &pem);
    in.pem = pem;
    assert_int_equal(check_once(&in, &err), 0); /* OpenSSL's tables warm */
    for (n = 1; n < TORTURE_ALLOCS_MAX && failed; n += failed)
        failures += alloc_fail_nth(n, check_once, &in, &failed) != 0;
    assert_false(failed);
    assert_int_equal(in.r->rules[CERT_RULE_SUBJECT].status, CERT_FAIL);
    print_message("%ld allocations, %d failures reported\n", n - 1, failures);
    assert_true(failures > 0);
    BIO_free(bio);
    free(in.r);
    lab_cert_free(c);
}

/* A TLS 1.3 server refusing our certificate after the handshake. */
static void test_client_cert_refused(void **state)
{
    struct lab_cert *c = issue(pki.ca, FQDN, FQDN);
    struct cert_expect e = expect();
    struct cert_report *r = judge(lab_cert_x509(c), &e);
    struct cert_probe p = {.tcp_connected = true, .client_cert_requested = true};
    struct verdict v;

    snprintf(p.after_handshake, sizeof(p.after_handshake), "tlsv13 alert certificate required");
    struct cert_endpoint ep = {.name = "um", .role = TARGET_ROLE_UM, .host = "127.0.0.1",
                               .port = 5061, .server_name = FQDN, .probe = &p, .report = r};
    verdict_init(&v);
    assert_int_equal(cert_findings_add(&v, &ep), 0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.findings[0].id, "tls.client-cert-refused");
    assert_int_equal(v.level, VERDICT_WARNING);
    assert_non_null(strstr(v.findings[0].summary, "(none was presented)"));
    assert_non_null(strstr(v.findings[0].evidence, "tlsv13 alert certificate required"));
    verdict_free(&v);
    free(r);
    lab_cert_free(c);
}

int main(void)
{
    /* Must precede OpenSSL's first allocation. */
    if (!ossl_alloc_fail_install()) {
        fprintf(stderr, "cannot replace OpenSSL's allocator\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_san_only_fqdn),
        cmocka_unit_test(test_names_compared_loosely),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_expiring_in_10_days),
        cmocka_unit_test(test_rsa_1024),
        cmocka_unit_test(test_sha1_signed),
        cmocka_unit_test(test_missing_eku),
        cmocka_unit_test(test_untrusted_issuer),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_trust_store_file),
        cmocka_unit_test(test_probe_refused),
        cmocka_unit_test(test_client_cert_refused),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
