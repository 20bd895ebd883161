/* Tests of synth/lab/certs: the fields and extensions of the lab's CA and
 * leaf certificates, PEM files, input bounds, and how long generation takes. */
#include "synth/lab/certs.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ossl_alloc_fail.h"

static char *subject_cn(X509 *x)
{
    static char buf[256];
    const X509_NAME *n = X509_get_subject_name(x);
    int len = X509_NAME_get_text_by_NID((X509_NAME *)n, NID_commonName, buf, sizeof(buf));

    return len < 0 ? NULL : buf;
}

/* "DNS:a,IP:1.2.3.4" from the SAN extension, or "" when there is none. */
static const char *san_text(X509 *x)
{
    static char buf[1024];
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
        int type;
        const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
        const unsigned char *d = ASN1_STRING_get0_data(v);
        int l = ASN1_STRING_length(v);
        if (type == GEN_DNS)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sDNS:%.*s", i ? "," : "", l,
                                    (const char *)d);
        else if (type == GEN_IPADD && l == 4)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sIP:%u.%u.%u.%u", i ? "," : "",
                                    d[0], d[1], d[2], d[3]);
        else if (type == GEN_IPADD && l == 16)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sIP6:%02x%02x..%02x",
                                    i ? "," : "", d[0], d[1], d[15]);
    }
    GENERAL_NAMES_free(gens);
    return buf;
}

static int ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_ca_fields(void **state)
{
    struct lab_ca *ca = NULL;
    struct synth_error err = {{0}};
    X509 *x;

    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);
    x = lab_ca_x509(ca);
    assert_string_equal(subject_cn(x), "synth lab CA");
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    /* X509_check_ca: 1 = a v3 CA with basicConstraints CA:TRUE. */
    assert_int_equal(X509_check_ca(x), 1);
    assert_int_equal(ext_critical(x, NID_basic_constraints), 1);
    assert_int_equal(ext_critical(x, NID_key_usage), 1);
    assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    assert_non_null(X509_get0_subject_key_id(x));
    assert_int_equal(X509_verify(x, lab_ca_pkey(ca)), 1);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

    /* Valid from an hour ago (+/- a minute of test time) to LAB_CERTS_VALID_DAYS on. */
    int days, secs;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(x)), 1);
    assert_true(days == 0 && secs <= -3600 + 60 && secs >= -3600 - 60);
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)), 1);
    assert_true(days == LAB_CERTS_VALID_DAYS || (days == LAB_CERTS_VALID_DAYS - 1 && secs > 86340));
    lab_ca_free(ca);
}

static void test_leaf_fields(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *a = NULL, *b = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"fe.lab.synth.test", "127.0.0.1", "::1"};
    BIGNUM *sa = NULL, *sb = NULL;

    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&a, ca, "fe.lab.synth.test", sans, 3, LAB_KEY_EC_P256, &err),
                     0);
    assert_int_equal(lab_cert_issue(&b, ca, "fe.lab.synth.test", sans, 1, LAB_KEY_EC_P256, &err),
                     0);
    X509 *x = lab_cert_x509(a);
    assert_string_equal(subject_cn(x), "fe.lab.synth.test");
    assert_string_equal(san_text(x), "DNS:fe.lab.synth.test,IP:127.0.0.1,IP6:0000..01");
    assert_string_equal(san_text(lab_cert_x509(b)), "DNS:fe.lab.synth.test");
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(lab_ca_x509(ca))),
                     0);
    assert_int_equal(X509_check_ca(x), 0);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_int_equal(ext_critical(x, NID_key_usage), 1);
    assert_int_equal(ext_critical(x, NID_subject_alt_name), 0);
    assert_int_equal(X509_check_issued(lab_ca_x509(ca), x), X509_V_OK);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
                                           X509_get0_subject_key_id(lab_ca_x509(ca))),
                     0);
    assert_non_null(X509_get0_subject_key_id(x));
    assert_int_equal(X509_verify(x, lab_ca_pkey(ca)), 1);
    assert_int_equal(X509_verify(x, lab_cert_pkey(a)), 0);
    ERR_clear_error();
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_check_private_key(x, lab_cert_pkey(a)), 1);
    assert_int_equal(EVP_PKEY_get_base_id(lab_cert_pkey(a)), EVP_PKEY_EC);
    /* A leaf never outlives its CA. */
    assert_true(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(lab_ca_x509(ca))) <= 0);

    /* Random 128-bit serials: positive, at most 128 bits, and distinct (the
     * chance of fewer than 96 significant bits is 2^-32). */
    sa = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    sb = ASN1_INTEGER_to_BN(X509_get0_serialNumber(lab_cert_x509(b)), NULL);
    assert_non_null(sa);
    assert_non_null(sb);
    assert_false(BN_is_negative(sa));
    assert_true(BN_num_bits(sa) > 96 && BN_num_bits(sa) <= 128);
    assert_int_not_equal(BN_cmp(sa, sb), 0);
    BN_free(sa);
    BN_free(sb);
    lab_cert_free(a);
    lab_cert_free(b);
    lab_ca_free(ca);
}

/* The field failure: the UM certificate's CN is a short name, the FQDN only
 * in the SAN list. The lab must be able to build exactly that. */
static void test_um_cn_not_fqdn(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *um = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"um01.lab.synth.test"};

    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&um, ca, "um01", sans, 1, LAB_KEY_EC_P256, &err), 0);
    X509 *x = lab_cert_x509(um);
    assert_string_equal(subject_cn(x), "um01");
    assert_string_equal(san_text(x), "DNS:um01.lab.synth.test");
    /* OpenSSL ignores the CN once a DNS SAN exists (RFC 6125 6.4.4). */
    assert_int_equal(X509_check_host(x, "um01.lab.synth.test", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "um01", 0, 0, NULL), 0);
    lab_cert_free(um);

    /* Any string, even one that is not a name at all, and no SAN. */
    assert_int_equal(lab_cert_issue(&um, ca, "Exchange UM, Site 2", NULL, 0, LAB_KEY_EC_P256, &err),
                     0);
    assert_string_equal(subject_cn(lab_cert_x509(um)), "Exchange UM, Site 2");
    assert_string_equal(san_text(lab_cert_x509(um)), "");
    assert_int_equal(X509_get_ext_by_NID(lab_cert_x509(um), NID_subject_alt_name, -1), -1);
    lab_cert_free(um);
    lab_ca_free(ca);
}

static void test_rsa(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *leaf = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"fe.lab.synth.test"};

    assert_int_equal(lab_ca_create(&ca, "synth lab RSA CA", LAB_KEY_RSA_2048, &err), 0);
    assert_int_equal(lab_cert_issue(&leaf, ca, "fe.lab.synth.test", sans, 1, LAB_KEY_RSA_2048, &err),
                     0);
    X509 *x = lab_cert_x509(leaf);
    assert_int_equal(EVP_PKEY_get_base_id(lab_cert_pkey(leaf)), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(lab_cert_pkey(leaf)), 2048);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    assert_int_equal(X509_verify(x, lab_ca_pkey(ca)), 1);
    lab_cert_free(leaf);

    /* An EC leaf under the RSA CA is signed with RSA but carries no keyEncipherment. */
    assert_int_equal(lab_cert_issue(&leaf, ca, "um01", sans, 1, LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(X509_get_signature_nid(lab_cert_x509(leaf)), NID_sha256WithRSAEncryption);
    assert_int_equal(X509_get_key_usage(lab_cert_x509(leaf)), KU_DIGITAL_SIGNATURE);
    lab_cert_free(leaf);
    lab_ca_free(ca);
}

static void test_bad_input(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *leaf = (struct lab_cert *)&leaf; /* must be reset to NULL */
    struct synth_error err = {{0}};
    char long_cn[LAB_CERTS_CN_MAX + 2];
    char long_san[LAB_CERTS_SAN_LEN_MAX + 2];
    const char *many[LAB_CERTS_SAN_MAX + 1];

    assert_int_equal(lab_ca_create(&ca, "", LAB_KEY_EC_P256, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "certificate CN is empty");
    assert_null(ca);
    assert_int_equal(lab_ca_create(&ca, "x", (enum lab_key_type)7, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "unknown key type 7");
    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);

    /* RFC 5280 ub-common-name: 64 characters fit, 65 do not. */
    memset(long_cn, 'a', sizeof(long_cn) - 1);
    long_cn[sizeof(long_cn) - 1] = '\0';
    assert_int_equal(lab_cert_issue(&leaf, ca, long_cn, NULL, 0, LAB_KEY_EC_P256, &err),
                     SYNTH_EINVAL);
    assert_null(leaf);
    assert_non_null(strstr(err.msg, "certificate CN \"aaaa"));
    assert_non_null(strstr(err.msg, "string too long"));
    assert_int_equal(ERR_peek_error(), 0);
    long_cn[LAB_CERTS_CN_MAX] = '\0';
    assert_int_equal(lab_cert_issue(&leaf, ca, long_cn, NULL, 0, LAB_KEY_EC_P256, &err), 0);
    lab_cert_free(leaf);

    const char *spaced[] = {"ok.lab.synth.test", "bad name"};
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", spaced, 2, LAB_KEY_EC_P256, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "subjectAltName \"bad name\": not an IP address nor a DNS name "
                                 "(printable ASCII, 1 to 253 characters)");
    const char *empty[] = {""};
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", empty, 1, LAB_KEY_EC_P256, &err), SYNTH_EINVAL);
    const char *utf8[] = {"b\xc3\xbcro.example"};
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", utf8, 1, LAB_KEY_EC_P256, &err), SYNTH_EINVAL);
    memset(long_san, 'a', sizeof(long_san) - 1);
    long_san[sizeof(long_san) - 1] = '\0';
    const char *toolong[] = {long_san};
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", toolong, 1, LAB_KEY_EC_P256, &err),
                     SYNTH_EINVAL);
    for (size_t i = 0; i < LAB_CERTS_SAN_MAX + 1; i++)
        many[i] = "a.lab.synth.test";
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", many, LAB_CERTS_SAN_MAX + 1, LAB_KEY_EC_P256,
                                    &err),
                     SYNTH_ETOOBIG);
    assert_string_equal(err.msg, "33 subjectAltNames, at most 32");
    assert_int_equal(lab_cert_issue(&leaf, ca, "x", many, LAB_CERTS_SAN_MAX, LAB_KEY_EC_P256, &err),
                     0);
    lab_cert_free(leaf);
    assert_int_equal(lab_cert_issue(&leaf, NULL, "x", NULL, 0, LAB_KEY_EC_P256, &err), SYNTH_EINVAL);
    assert_null(leaf);
    lab_ca_free(ca);
}

struct tmpdir {
    char path[64];
};

static void tmpdir_make(struct tmpdir *t)
{
    snprintf(t->path, sizeof(t->path), "/tmp/synth-certs-XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

static void tmpdir_file(const struct tmpdir *t, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", t->path, name);
}

static void test_pem_files(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *leaf = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"fe.lab.synth.test", "127.0.0.1"};
    struct tmpdir td;
    char ca_path[128], crt_path[128], key_path[128], bad_path[160];
    struct stat st;
    FILE *f;

    tmpdir_make(&td);
    tmpdir_file(&td, "ca.pem", ca_path, sizeof(ca_path));
    tmpdir_file(&td, "fe.pem", crt_path, sizeof(crt_path));
    tmpdir_file(&td, "fe.key", key_path, sizeof(key_path));
    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&leaf, ca, "fe.lab.synth.test", sans, 2, LAB_KEY_EC_P256, &err),
                     0);

    /* A key file left world-readable by someone else is tightened. */
    f = fopen(key_path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(key_path, 0644), 0);

    assert_int_equal(lab_ca_write_pem(ca, ca_path, &err), 0);
    assert_int_equal(lab_cert_write_pem(leaf, crt_path, key_path, &err), 0);
    assert_int_equal(stat(key_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    f = fopen(ca_path, "r");
    assert_non_null(f);
    X509 *ca_back = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(ca_back);
    assert_int_equal(X509_cmp(ca_back, lab_ca_x509(ca)), 0);
    X509_free(ca_back);

    f = fopen(crt_path, "r");
    assert_non_null(f);
    X509 *leaf_back = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(leaf_back);
    assert_int_equal(X509_cmp(leaf_back, lab_cert_x509(leaf)), 0);

    f = fopen(key_path, "r");
    assert_non_null(f);
    EVP_PKEY *key_back = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(key_back);
    assert_int_equal(EVP_PKEY_eq(key_back, lab_cert_pkey(leaf)), 1);
    assert_int_equal(X509_check_private_key(leaf_back, key_back), 1);
    X509_free(leaf_back);
    EVP_PKEY_free(key_back);

    /* A directory that does not exist: the error names the file. */
    snprintf(bad_path, sizeof(bad_path), "%s/missing/fe.key", td.path);
    assert_int_equal(lab_cert_write_pem(leaf, crt_path, bad_path, &err), SYNTH_EIO);
    char want[256];
    snprintf(want, sizeof(want), "%s: No such file or directory", bad_path);
    assert_string_equal(err.msg, want);
    assert_int_equal(lab_ca_write_pem(ca, "", &err), SYNTH_EINVAL);

    unlink(ca_path);
    unlink(crt_path);
    unlink(key_path);
    assert_int_equal(rmdir(td.path), 0);
    lab_cert_free(leaf);
    lab_ca_free(ca);
}

/* The lab makes its certificates at every start and the tests make many:
 * report the cost, and fail if it is far from the expected milliseconds. */
static void test_generation_time(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *a = NULL, *b = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"fe.lab.synth.test"};
    struct timespec t0;
    double ec_ms, rsa_ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&a, ca, "fe.lab.synth.test", sans, 1, LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&b, ca, "um01", sans, 1, LAB_KEY_EC_P256, &err), 0);
    ec_ms = ms_since(&t0);
    lab_cert_free(a);
    lab_cert_free(b);
    lab_ca_free(ca);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lab_ca_create(&ca, "synth lab CA", LAB_KEY_RSA_2048, &err), 0);
    assert_int_equal(lab_cert_issue(&a, ca, "fe.lab.synth.test", sans, 1, LAB_KEY_RSA_2048, &err),
                     0);
    assert_int_equal(lab_cert_issue(&b, ca, "um01", sans, 1, LAB_KEY_RSA_2048, &err), 0);
    rsa_ms = ms_since(&t0);
    lab_cert_free(a);
    lab_cert_free(b);
    lab_ca_free(ca);

    print_message("CA + 2 leaves: EC P-256 %.2f ms, RSA 2048 %.2f ms\n", ec_ms, rsa_ms);
    /* Generous ceilings (sanitizer builds, a busy CI machine); EC is ~1 ms. */
    assert_true(ec_ms < 500.0);
    assert_true(rsa_ms < 20000.0);
}

/* Allocation failure injection (curl's torture mode): OpenSSL's allocator
 * is replaced before its first allocation, and the Nth call after arming
 * fails. ASan's leak check then covers every error path. */
#define TORTURE_ALLOCS_MAX 20000

static int make_pki(struct lab_ca **ca, struct lab_cert **leaf, struct synth_error *err)
{
    const char *sans[] = {"fe.lab.synth.test", "127.0.0.1"};
    int rc = lab_ca_create(ca, "synth lab CA", LAB_KEY_EC_P256, err);

    if (!rc)
        rc = lab_cert_issue(leaf, *ca, "um01", sans, 2, LAB_KEY_EC_P256, err);
    return rc;
}

/* A success reported despite a failed allocation must still be a whole,
 * correctly signed certificate. */
static void assert_pki_whole(struct lab_ca *ca, struct lab_cert *leaf)
{
    X509 *x = lab_cert_x509(leaf);

    assert_int_equal(X509_check_ca(lab_ca_x509(ca)), 1);
    assert_int_equal(X509_verify(lab_ca_x509(ca), lab_ca_pkey(ca)), 1);
    assert_int_equal(X509_verify(x, lab_ca_pkey(ca)), 1);
    assert_int_equal(X509_check_private_key(x, lab_cert_pkey(leaf)), 1);
    assert_string_equal(subject_cn(x), "um01");
    assert_string_equal(san_text(x), "DNS:fe.lab.synth.test,IP:127.0.0.1");
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_check_issued(lab_ca_x509(ca), x), X509_V_OK);
}

static void test_alloc_failures(void **state)
{
    struct synth_error err;
    struct lab_ca *ca = NULL;
    struct lab_cert *leaf = NULL;
    long n;
    int failures = 0, absorbed = 0;

    /* Warm up OpenSSL's lazily built tables (providers, name maps) first:
     * their failures are OpenSSL's to handle, not ours. */
    assert_int_equal(make_pki(&ca, &leaf, &err), 0);
    lab_cert_free(leaf);
    lab_ca_free(ca);
    for (n = 1; n < TORTURE_ALLOCS_MAX; n++) {
        err.msg[0] = '\0';
        ca = NULL;
        leaf = NULL;
        alloc_failed = false;
        alloc_countdown = n;
        int rc = make_pki(&ca, &leaf, &err);
        alloc_countdown = 0;
        ERR_clear_error();
        if (rc) {
            /* A failure is a known code with a message, never a crash or a leak. */
            assert_true(alloc_failed);
            assert_true(rc <= SYNTH_ENOMEM && rc >= SYNTH_EINTERNAL);
            assert_true(err.msg[0] != '\0');
            failures++;
        } else {
            assert_pki_whole(ca, leaf);
            absorbed += alloc_failed;
        }
        lab_cert_free(leaf);
        lab_ca_free(ca);
        if (!alloc_failed)
            break;
    }
    assert_true(n < TORTURE_ALLOCS_MAX);
    print_message("%ld allocations: %d failures reported, %d absorbed by OpenSSL\n", n - 1,
                  failures, absorbed);
    assert_true(failures > 0);
}

int main(void)
{
    /* Must precede OpenSSL's first allocation. */
    if (!ossl_alloc_fail_install()) {
        fprintf(stderr, "cannot replace OpenSSL's allocator\n");
        return 1;
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ca_fields),
        cmocka_unit_test(test_leaf_fields),
        cmocka_unit_test(test_um_cn_not_fqdn),
        cmocka_unit_test(test_rsa),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_pem_files),
        cmocka_unit_test(test_generation_time),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
