/* Tests of synth/tls/tls_ctx: real TLS handshakes between a client and a
 * server context over a socketpair, both driven non-blockingly in one
 * thread, with certificates from the lab CA (synth/lab/certs). */
#include "synth/lab/certs.h"
#include "synth/tls/tls_ctx.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
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

/* Each round lets both sides progress as far as the socket allows; a TLS
 * 1.2/1.3 handshake needs a handful, so this only stops a stuck loop. */
#define HANDSHAKE_ROUNDS_MAX 200

/* The lab's PKI, made once for the file: a CA, the Front End leaf, the UM
 * leaf of the field failure, and a client leaf. */
struct pki {
    struct lab_ca *ca;
    struct lab_cert *fe;
    struct lab_cert *um;
    struct lab_cert *client;
};

static struct pki pki;

enum hs_result {
    HS_OK = 0,
    HS_CLIENT_FAILED,
    HS_SERVER_FAILED,
    HS_STUCK,
};

struct conn {
    int fd[2];
    SSL *c;
    SSL *s;
};

static void conn_open(struct conn *k, SSL_CTX *cctx, SSL_CTX *sctx)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, k->fd), 0);
    k->c = SSL_new(cctx);
    k->s = SSL_new(sctx);
    assert_non_null(k->c);
    assert_non_null(k->s);
    assert_int_equal(SSL_set_fd(k->c, k->fd[0]), 1);
    assert_int_equal(SSL_set_fd(k->s, k->fd[1]), 1);
    SSL_set_connect_state(k->c);
    SSL_set_accept_state(k->s);
}

/* A connection closed without close_notify makes OpenSSL mark its session
 * not resumable, so a finished handshake is shut down as a real client does. */
static void conn_close(struct conn *k)
{
    if (SSL_is_init_finished(k->c))
        SSL_shutdown(k->c);
    SSL_free(k->c);
    SSL_free(k->s);
    close(k->fd[0]);
    close(k->fd[1]);
    ERR_clear_error();
}

/* 1 done, 0 wants I/O, -1 failed. */
static int step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);

    if (r == 1)
        return 1;
    int e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* Runs both sides until both finish or one fails. In TLS 1.3 the client
 * finishes first, so a server refusing the client's certificate shows as
 * HS_SERVER_FAILED after the client is done. */
static enum hs_result handshake_run(struct conn *k)
{
    bool cdone = false, sdone = false;

    for (int i = 0; i < HANDSHAKE_ROUNDS_MAX && !(cdone && sdone); i++) {
        if (!cdone) {
            int r = step(k->c);
            if (r < 0)
                return HS_CLIENT_FAILED;
            cdone = r == 1;
        }
        if (!sdone) {
            int r = step(k->s);
            if (r < 0)
                return HS_SERVER_FAILED;
            sdone = r == 1;
        }
    }
    return cdone && sdone ? HS_OK : HS_STUCK;
}

static enum hs_result handshake(struct conn *k)
{
    enum hs_result r = handshake_run(k);

    if (r != HS_OK)
        return r;
    /* Let the client read what the server sent after its Finished (TLS 1.3
     * NewSessionTicket), as a real client does with its first read. */
    char b;
    assert_int_equal(SSL_read(k->c, &b, 1), -1);
    assert_int_equal(SSL_get_error(k->c, -1), SSL_ERROR_WANT_READ);
    return HS_OK;
}

static SSL_CTX *server_ctx(struct lab_cert *leaf, X509 *client_ca, bool request)
{
    SSL_CTX *ctx = NULL;
    struct synth_error err = {{0}};

    assert_int_equal(tls_ctx_server_new(&ctx, lab_cert_x509(leaf), lab_cert_pkey(leaf), client_ca,
                                        request, &err),
                     0);
    return ctx;
}

static SSL_CTX *client_ctx_trusting(X509 *ca)
{
    struct tls_client_opts o;
    SSL_CTX *ctx = NULL;
    struct synth_error err = {{0}};

    tls_client_opts_defaults(&o);
    o.ca_cert = ca;
    assert_int_equal(tls_ctx_client_new(&ctx, &o, &err), 0);
    return ctx;
}

/* Connects a client context to a server context with server_name; fills
 * desc with tls_describe_verify_error of the client. */
static enum hs_result connect_named(SSL_CTX *cctx, SSL_CTX *sctx, const char *server_name,
                                    char *desc, size_t size)
{
    struct conn k;
    struct synth_error err = {{0}};
    enum hs_result r;

    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, server_name, &err), 0);
    r = handshake(&k);
    tls_describe_verify_error(k.c, desc, size);
    conn_close(&k);
    return r;
}

static int setup_pki(void **state)
{
    struct synth_error err = {{0}};
    const char *fe_sans[] = {"fe.lab.synth.test", "127.0.0.1"};
    const char *um_sans[] = {"um01.lab.synth.test"};
    const char *cl_sans[] = {"edge.lab.synth.test"};

    if (lab_ca_create(&pki.ca, "synth lab CA", LAB_KEY_EC_P256, &err) ||
        lab_cert_issue(&pki.fe, pki.ca, "fe.lab.synth.test", fe_sans, 2, LAB_KEY_EC_P256, &err) ||
        lab_cert_issue(&pki.um, pki.ca, "um01", um_sans, 1, LAB_KEY_EC_P256, &err) ||
        lab_cert_issue(&pki.client, pki.ca, "edge.lab.synth.test", cl_sans, 1, LAB_KEY_EC_P256,
                       &err)) {
        fprintf(stderr, "lab PKI: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown_pki(void **state)
{
    lab_cert_free(pki.fe);
    lab_cert_free(pki.um);
    lab_cert_free(pki.client);
    lab_ca_free(pki.ca);
    return 0;
}

static void test_trusted_name_ok(void **state)
{
    SSL_CTX *sctx = server_ctx(pki.fe, NULL, false);
    SSL_CTX *cctx = client_ctx_trusting(lab_ca_x509(pki.ca));
    char desc[TLS_DESCRIBE_MAX];
    struct conn k;
    struct synth_error err = {{0}};

    assert_int_equal(connect_named(cctx, sctx, "fe.lab.synth.test", desc, sizeof(desc)), HS_OK);
    assert_string_equal(desc, "certificate verified");
    /* A trailing dot names the same host. */
    assert_int_equal(connect_named(cctx, sctx, "fe.lab.synth.test.", desc, sizeof(desc)), HS_OK);

    /* SNI reaches the server; TLS 1.3 is negotiated. */
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_string_equal(SSL_get_servername(k.s, TLSEXT_NAMETYPE_host_name), "fe.lab.synth.test");
    assert_int_equal(SSL_version(k.c), TLS1_3_VERSION);
    assert_int_equal(SSL_get_verify_result(k.c), X509_V_OK);
    conn_close(&k);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_hostname_mismatch(void **state)
{
    SSL_CTX *sctx = server_ctx(pki.fe, NULL, false);
    SSL_CTX *cctx = client_ctx_trusting(lab_ca_x509(pki.ca));
    char desc[TLS_DESCRIBE_MAX];

    assert_int_equal(connect_named(cctx, sctx, "other.lab", desc, sizeof(desc)), HS_CLIENT_FAILED);
    assert_string_equal(desc, "certificate verify failed: hostname mismatch (expected other.lab; "
                              "certificate CN=fe.lab.synth.test, SAN: DNS:fe.lab.synth.test, "
                              "IP:127.0.0.1)");
    /* A partial wildcard or a parent domain is no match either. */
    assert_int_equal(connect_named(cctx, sctx, "lab.synth.test", desc, sizeof(desc)),
                     HS_CLIENT_FAILED);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_ip_san(void **state)
{
    SSL_CTX *sctx = server_ctx(pki.fe, NULL, false);
    SSL_CTX *cctx = client_ctx_trusting(lab_ca_x509(pki.ca));
    char desc[TLS_DESCRIBE_MAX];
    struct conn k;
    struct synth_error err = {{0}};

    assert_int_equal(connect_named(cctx, sctx, "127.0.0.1", desc, sizeof(desc)), HS_OK);
    assert_string_equal(desc, "certificate verified");
    assert_int_equal(connect_named(cctx, sctx, "127.0.0.2", desc, sizeof(desc)), HS_CLIENT_FAILED);
    assert_string_equal(desc, "certificate verify failed: IP address mismatch (expected 127.0.0.2; "
                              "certificate CN=fe.lab.synth.test, SAN: DNS:fe.lab.synth.test, "
                              "IP:127.0.0.1)");
    /* The DNS SAN does not match an address, nor the address a name. */
    assert_int_equal(connect_named(cctx, sctx, "::1", desc, sizeof(desc)), HS_CLIENT_FAILED);

    /* RFC 6066 3: no SNI for an IP literal. */
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "127.0.0.1", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_null(SSL_get_servername(k.s, TLSEXT_NAMETYPE_host_name));
    conn_close(&k);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_system_store_refuses_lab(void **state)
{
    SSL_CTX *sctx = server_ctx(pki.fe, NULL, false);
    SSL_CTX *cctx = NULL;
    struct synth_error err = {{0}};
    char desc[TLS_DESCRIBE_MAX];

    assert_int_equal(tls_ctx_client_new(&cctx, NULL, &err), 0);
    assert_int_equal(connect_named(cctx, sctx, "fe.lab.synth.test", desc, sizeof(desc)),
                     HS_CLIENT_FAILED);
    assert_string_equal(desc, "certificate verify failed: unable to get local issuer certificate "
                              "(issuer CN=synth lab CA is not trusted; self-signed or private CA "
                              "chain; set ca_file to the deployment's CA)");
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_verify_off(void **state)
{
    struct lab_ca *other = NULL;
    struct lab_cert *stray = NULL;
    struct synth_error err = {{0}};
    struct tls_client_opts o = {0}; /* zeroed: verify == false */
    SSL_CTX *cctx = NULL, *sctx;
    char desc[TLS_DESCRIBE_MAX];

    /* A certificate from an unknown CA, for another name. */
    assert_int_equal(lab_ca_create(&other, "someone else", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&stray, other, "stray", NULL, 0, LAB_KEY_EC_P256, &err), 0);
    sctx = server_ctx(stray, NULL, false);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);
    assert_int_equal(connect_named(cctx, sctx, "fe.lab.synth.test", desc, sizeof(desc)), HS_OK);
    /* The verdict is still there for a certificate check to report. */
    assert_string_equal(desc, "certificate verify failed: unable to get local issuer certificate "
                              "(issuer CN=someone else is not trusted; self-signed or private CA "
                              "chain; set ca_file to the deployment's CA)");
    assert_int_equal(connect_named(cctx, sctx, "10.1.2.3", desc, sizeof(desc)), HS_OK);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* Trusted chain, wrong name, verify off: handshake done, mismatch recorded. */
    o.ca_cert = lab_ca_x509(pki.ca);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);
    sctx = server_ctx(pki.um, NULL, false);
    assert_int_equal(connect_named(cctx, sctx, "um01", desc, sizeof(desc)), HS_OK);
    assert_string_equal(desc, "certificate verify failed: hostname mismatch (expected um01; "
                              "certificate CN=um01, SAN: DNS:um01.lab.synth.test)");
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    lab_cert_free(stray);
    lab_ca_free(other);
}

/* The field failure's certificate: CN=um01, FQDN only in the SAN. A client
 * asking for the FQDN accepts it; one asking for the CN does not. */
static void test_um_cn_not_fqdn(void **state)
{
    X509 *x = lab_cert_x509(pki.um);
    char cn[64];
    GENERAL_NAMES *gens;
    SSL_CTX *sctx = server_ctx(pki.um, NULL, false);
    SSL_CTX *cctx = client_ctx_trusting(lab_ca_x509(pki.ca));
    char desc[TLS_DESCRIBE_MAX];

    assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
                                               sizeof(cn)),
                     4);
    assert_string_equal(cn, "um01");
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
    int type;
    const ASN1_STRING *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, 0), &type);
    assert_int_equal(type, GEN_DNS);
    assert_int_equal(ASN1_STRING_length(v), strlen("um01.lab.synth.test"));
    assert_memory_equal(ASN1_STRING_get0_data(v), "um01.lab.synth.test", strlen("um01.lab.synth.test"));
    GENERAL_NAMES_free(gens);

    assert_int_equal(connect_named(cctx, sctx, "um01.lab.synth.test", desc, sizeof(desc)), HS_OK);
    assert_int_equal(connect_named(cctx, sctx, "um01", desc, sizeof(desc)), HS_CLIENT_FAILED);
    assert_string_equal(desc, "certificate verify failed: hostname mismatch (expected um01; "
                              "certificate CN=um01, SAN: DNS:um01.lab.synth.test)");
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static char *peer_cn(SSL *ssl, char *buf, size_t size)
{
    X509 *x = SSL_get0_peer_certificate(ssl);

    if (!x || X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
                                        (int)size) < 0)
        return NULL;
    return buf;
}

static void test_mutual_tls(void **state)
{
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    SSL_CTX *cctx = NULL, *bare = NULL, *sctx;
    struct conn k;
    char cn[64];

    sctx = server_ctx(pki.fe, lab_ca_x509(pki.ca), true);
    tls_client_opts_defaults(&o);
    o.ca_cert = lab_ca_x509(pki.ca);
    o.client_x509 = lab_cert_x509(pki.client);
    o.client_pkey = lab_cert_pkey(pki.client);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);

    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "edge.lab.synth.test");
    assert_int_equal(SSL_get_verify_result(k.s), X509_V_OK);
    /* The CertificateRequest named the lab CA. */
    STACK_OF(X509_NAME) *cas = SSL_get_client_CA_list(k.c);
    assert_non_null(cas);
    assert_int_equal(sk_X509_NAME_num(cas), 1);
    assert_int_equal(X509_NAME_cmp(sk_X509_NAME_value(cas, 0),
                                   X509_get_subject_name(lab_ca_x509(pki.ca))),
                     0);
    conn_close(&k);

    /* Requested, not required: a client without a certificate gets in. */
    o.client_x509 = NULL;
    o.client_pkey = NULL;
    assert_int_equal(tls_ctx_client_new(&bare, &o, &err), 0);
    conn_open(&k, bare, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_null(SSL_get0_peer_certificate(k.s));
    conn_close(&k);
    SSL_CTX_free(bare);
    SSL_CTX_free(sctx);

    /* Not requested: the server sees nothing even from a client that has one. */
    sctx = server_ctx(pki.fe, lab_ca_x509(pki.ca), false);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_null(SSL_get0_peer_certificate(k.s));
    conn_close(&k);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* A client certificate from another CA: refused when the server has a CA,
 * accepted with its verdict recorded when it has none. */
static void test_mutual_tls_foreign_client(void **state)
{
    struct lab_ca *other = NULL;
    struct lab_cert *intruder = NULL;
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    SSL_CTX *cctx = NULL, *sctx;
    struct conn k;
    char cn[64], desc[TLS_DESCRIBE_MAX];

    assert_int_equal(lab_ca_create(&other, "someone else", LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_issue(&intruder, other, "intruder", NULL, 0, LAB_KEY_EC_P256, &err),
                     0);
    tls_client_opts_defaults(&o);
    o.ca_cert = lab_ca_x509(pki.ca);
    o.client_x509 = lab_cert_x509(intruder);
    o.client_pkey = lab_cert_pkey(intruder);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);

    sctx = server_ctx(pki.fe, lab_ca_x509(pki.ca), true);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_SERVER_FAILED);
    tls_describe_verify_error(k.s, desc, sizeof(desc));
    assert_string_equal(desc, "certificate verify failed: unable to get local issuer certificate "
                              "(the client certificate is not from the CA this server trusts)");
    conn_close(&k);
    SSL_CTX_free(sctx);

    sctx = server_ctx(pki.fe, NULL, true);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "intruder");
    /* With an empty store OpenSSL words it "unable to verify the first certificate". */
    assert_int_equal(SSL_get_verify_result(k.s), X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    conn_close(&k);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    lab_cert_free(intruder);
    lab_ca_free(other);
}

static void test_rsa_handshake(void **state)
{
    struct lab_ca *ca = NULL;
    struct lab_cert *leaf = NULL, *client = NULL;
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    const char *sans[] = {"fe.lab.synth.test"};
    SSL_CTX *cctx = NULL, *sctx;
    struct conn k;
    char cn[64];

    assert_int_equal(lab_ca_create(&ca, "synth lab RSA CA", LAB_KEY_RSA_2048, &err), 0);
    assert_int_equal(lab_cert_issue(&leaf, ca, "fe.lab.synth.test", sans, 1, LAB_KEY_RSA_2048, &err),
                     0);
    assert_int_equal(lab_cert_issue(&client, ca, "rsa-client", NULL, 0, LAB_KEY_RSA_2048, &err), 0);
    sctx = server_ctx(leaf, lab_ca_x509(ca), true);
    tls_client_opts_defaults(&o);
    o.ca_cert = lab_ca_x509(ca);
    o.client_x509 = lab_cert_x509(client);
    o.client_pkey = lab_cert_pkey(client);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);

    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(SSL_get0_peer_certificate(k.c))),
                     EVP_PKEY_RSA);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "rsa-client");
    conn_close(&k);

    /* TLS 1.2 too, where keyEncipherment and the RSA signature suites matter. */
    assert_int_equal(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION), 1);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_int_equal(SSL_version(k.c), TLS1_2_VERSION);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "rsa-client");
    conn_close(&k);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    lab_cert_free(leaf);
    lab_cert_free(client);
    lab_ca_free(ca);
}

/* An expired leaf: re-dated and re-signed by the lab CA. */
static void test_expired_description(void **state)
{
    struct lab_cert *old = NULL;
    struct synth_error err = {{0}};
    const char *sans[] = {"old.lab.synth.test"};
    SSL_CTX *cctx = client_ctx_trusting(lab_ca_x509(pki.ca)), *sctx;
    char desc[TLS_DESCRIBE_MAX];

    assert_int_equal(lab_cert_issue(&old, pki.ca, "old", sans, 1, LAB_KEY_EC_P256, &err), 0);
    X509 *x = lab_cert_x509(old);
    assert_non_null(ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z"));
    assert_non_null(ASN1_TIME_set_string(X509_getm_notAfter(x), "20200301120000Z"));
    assert_true(X509_sign(x, lab_ca_pkey(pki.ca), EVP_sha256()) > 0);
    sctx = server_ctx(old, NULL, false);
    assert_int_equal(connect_named(cctx, sctx, "old.lab.synth.test", desc, sizeof(desc)),
                     HS_CLIENT_FAILED);
    assert_string_equal(desc, "certificate verify failed: certificate has expired "
                              "(notAfter 2020-03-01 12:00:00 UTC)");
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    lab_cert_free(old);
}

struct files {
    char dir[64];
    char ca[96], crt[96], key[96], other_key[96], enc_key[96], garbage[96], broken[96],
        missing[96];
};

static void files_make(struct files *f)
{
    struct synth_error err = {{0}};
    struct lab_cert *spare = NULL;
    FILE *fp;

    snprintf(f->dir, sizeof(f->dir), "/tmp/synth-tls-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->dir);
    snprintf(f->crt, sizeof(f->crt), "%s/client.pem", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/client.key", f->dir);
    snprintf(f->other_key, sizeof(f->other_key), "%s/other.key", f->dir);
    snprintf(f->enc_key, sizeof(f->enc_key), "%s/encrypted.key", f->dir);
    snprintf(f->garbage, sizeof(f->garbage), "%s/garbage.pem", f->dir);
    snprintf(f->broken, sizeof(f->broken), "%s/broken.pem", f->dir);
    snprintf(f->missing, sizeof(f->missing), "%s/missing.pem", f->dir);
    assert_int_equal(lab_ca_write_pem(pki.ca, f->ca, &err), 0);
    assert_int_equal(lab_cert_write_pem(pki.client, f->crt, f->key, &err), 0);
    /* other.key: a valid key that belongs to a different certificate. */
    char spare_crt[128];
    snprintf(spare_crt, sizeof(spare_crt), "%s/spare.pem", f->dir);
    assert_int_equal(lab_cert_issue(&spare, pki.ca, "spare", NULL, 0, LAB_KEY_EC_P256, &err), 0);
    assert_int_equal(lab_cert_write_pem(spare, spare_crt, f->other_key, &err), 0);
    unlink(spare_crt);
    lab_cert_free(spare);

    /* The client's key under a passphrase: must fail, never prompt. */
    fp = fopen(f->enc_key, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_PKCS8PrivateKey(fp, lab_cert_pkey(pki.client), EVP_aes_256_cbc(),
                                               NULL, 0, NULL, "secret"),
                     1);
    fclose(fp);

    fp = fopen(f->garbage, "w");
    assert_non_null(fp);
    fputs("this is not a certificate\n", fp);
    fclose(fp);
    /* A PEM frame around bytes that are not base64 DER. */
    fp = fopen(f->broken, "w");
    assert_non_null(fp);
    fputs("-----BEGIN CERTIFICATE-----\n!!!!notbase64!!!!\n-----END CERTIFICATE-----\n", fp);
    fclose(fp);
}

static void files_remove(struct files *f)
{
    unlink(f->ca);
    unlink(f->crt);
    unlink(f->key);
    unlink(f->other_key);
    unlink(f->enc_key);
    unlink(f->garbage);
    unlink(f->broken);
    assert_int_equal(rmdir(f->dir), 0);
}

static void test_files(void **state)
{
    struct files f;
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    SSL_CTX *cctx = NULL, *sctx = NULL;
    struct conn k;
    char want[SYNTH_ERROR_MSG_MAX], cn[64];

    files_make(&f);
    tls_client_opts_defaults(&o);

    /* ca_file and client certificate files from the PEM the lab wrote. */
    o.ca_file = f.ca;
    o.client_cert = f.crt;
    o.client_key = f.key;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);
    sctx = server_ctx(pki.fe, lab_ca_x509(pki.ca), true);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "fe.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "edge.lab.synth.test");
    conn_close(&k);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* A server from files, with the CA from a file checking the client. */
    assert_int_equal(tls_ctx_server_new_files(&sctx, f.crt, f.key, f.ca, true, &err), 0);
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);
    conn_open(&k, cctx, sctx);
    assert_int_equal(tls_conn_prepare(k.c, "edge.lab.synth.test", &err), 0);
    assert_int_equal(handshake(&k), HS_OK);
    assert_string_equal(peer_cn(k.s, cn, sizeof(cn)), "edge.lab.synth.test");
    assert_int_equal(SSL_get_verify_result(k.s), X509_V_OK);
    conn_close(&k);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* The errors name the file. */
    cctx = (SSL_CTX *)&cctx;
    o.client_cert = o.client_key = NULL;
    o.ca_file = f.missing;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_EIO);
    assert_null(cctx);
    snprintf(want, sizeof(want), "%s: No such file or directory", f.missing);
    assert_string_equal(err.msg, want);

    o.ca_file = f.garbage;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_EPARSE);
    snprintf(want, sizeof(want), "%s: no certificates found", f.garbage);
    assert_string_equal(err.msg, want);

    o.ca_file = f.broken;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_EPARSE);
    snprintf(want, sizeof(want), "%s: certificate 1: error:", f.broken);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_int_equal(ERR_peek_error(), 0);

    o.ca_file = f.ca;
    o.client_cert = f.crt;
    o.client_key = f.other_key;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_ECONFIG);
    snprintf(want, sizeof(want), "%s: private key: error:", f.other_key);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, "key values mismatch"));

    o.client_key = f.enc_key;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_ECONFIG);
    snprintf(want, sizeof(want), "%s: private key: error:", f.enc_key);
    assert_memory_equal(err.msg, want, strlen(want));

    o.client_key = f.missing;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_ECONFIG);
    snprintf(want, sizeof(want), "%s: private key: error:", f.missing);
    assert_memory_equal(err.msg, want, strlen(want));

    o.client_cert = f.garbage;
    o.client_key = f.key;
    assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), SYNTH_ECONFIG);
    snprintf(want, sizeof(want), "%s: certificate: error:", f.garbage);
    assert_memory_equal(err.msg, want, strlen(want));

    assert_int_equal(tls_ctx_server_new_files(&sctx, f.crt, f.key, f.garbage, true, &err),
                     SYNTH_EPARSE);
    snprintf(want, sizeof(want), "%s: no certificates found", f.garbage);
    assert_string_equal(err.msg, want);
    assert_null(sctx);
    files_remove(&f);
}

static void test_bad_arguments(void **state)
{
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    SSL_CTX *ctx = NULL;
    SSL *ssl;
    char longname[TLS_SERVER_NAME_MAX + 8];

    tls_client_opts_defaults(&o);
    o.client_x509 = lab_cert_x509(pki.client);
    assert_int_equal(tls_ctx_client_new(&ctx, &o, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "client certificate: a certificate needs its key");
    o.client_pkey = lab_cert_pkey(pki.client);
    o.client_cert = "/some/cert.pem";
    o.client_key = "/some/key.pem";
    assert_int_equal(tls_ctx_client_new(&ctx, &o, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "client certificate: give files or in-memory objects, not both");
    o.client_x509 = NULL;
    o.client_pkey = NULL;
    o.client_key = NULL;
    assert_int_equal(tls_ctx_client_new(&ctx, &o, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "client certificate: a certificate file needs a key file");
    assert_null(ctx);

    assert_int_equal(tls_ctx_server_new(&ctx, lab_cert_x509(pki.fe), NULL, NULL, false, &err),
                     SYNTH_EINVAL);
    /* A key that is not the certificate's. */
    assert_int_equal(tls_ctx_server_new(&ctx, lab_cert_x509(pki.fe), lab_cert_pkey(pki.um), NULL,
                                        false, &err),
                     SYNTH_ETLS);
    assert_non_null(strstr(err.msg, "using private key: error:"));
    assert_null(ctx);

    assert_int_equal(tls_ctx_client_new(&ctx, NULL, &err), 0);
    ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(tls_conn_prepare(ssl, "", &err), SYNTH_EINVAL);
    assert_int_equal(tls_conn_prepare(ssl, NULL, &err), SYNTH_EINVAL);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(tls_conn_prepare(ssl, longname, &err), SYNTH_ETOOBIG);
    assert_string_equal(err.msg, "TLS server name of 261 bytes, at most 253");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

/* Resumption is opt-in: off, every connection is a full handshake; on, the
 * second connection to the same name resumes and a ticket is used once. */
static void test_resumption(void **state)
{
    struct tls_client_opts o;
    struct synth_error err = {{0}};
    SSL_CTX *cctx = NULL, *sctx = server_ctx(pki.fe, NULL, false);
    struct conn k;

    tls_client_opts_defaults(&o);
    o.ca_cert = lab_ca_x509(pki.ca);
    for (int resume = 0; resume <= 1; resume++) {
        o.resume_sessions = resume;
        assert_int_equal(tls_ctx_client_new(&cctx, &o, &err), 0);
        for (int i = 0; i < 3; i++) {
            const char *name = i < 2 ? "fe.lab.synth.test" : "127.0.0.1";
            conn_open(&k, cctx, sctx);
            assert_int_equal(tls_conn_prepare(k.c, name, &err), 0);
            assert_int_equal(handshake(&k), HS_OK);
            /* Resumed: only the second connection to the same name. */
            assert_int_equal(SSL_session_reused(k.c), resume && i == 1);
            assert_int_equal(SSL_get_verify_result(k.c), X509_V_OK);
            conn_close(&k);
        }
        SSL_CTX_free(cctx);
    }
    SSL_CTX_free(sctx);
}

static void test_describe_edges(void **state)
{
    char small[8];
    char desc[TLS_DESCRIBE_MAX];
    SSL_CTX *ctx = NULL;
    struct synth_error err = {{0}};
    SSL *ssl;

    tls_describe_verify_error(NULL, desc, sizeof(desc));
    assert_string_equal(desc, "no TLS connection");
    assert_int_equal(tls_ctx_client_new(&ctx, NULL, &err), 0);
    ssl = SSL_new(ctx);
    tls_describe_verify_error(ssl, desc, sizeof(desc));
    assert_string_equal(desc, "no certificate received");
    tls_describe_verify_error(ssl, small, sizeof(small));
    assert_int_equal(strlen(small), 0); /* too small: empty, but terminated */
    SSL_free(ssl);
    SSL_CTX_free(ctx);

    /* tls_error_set: the oldest queued OpenSSL error, then the queue is empty. */
    ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(tls_error_set(&err, SYNTH_ETLS, "x.pem: line %d", 3), SYNTH_ETLS);
    assert_string_equal(err.msg, "x.pem: line 3: error:0480006C:PEM routines::no start line");
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(tls_error_set(&err, SYNTH_EIO, "nothing queued"), SYNTH_EIO);
    assert_string_equal(err.msg, "nothing queued");
}

/* Allocation failure injection (curl's torture mode): OpenSSL's allocator
 * is replaced before its first allocation, and the Nth call after arming
 * fails, through context set-up, a mutual-TLS handshake with resumption on,
 * and the description. ASan's leak check covers every error path. */
#define TORTURE_ALLOCS_MAX 50000
/* The handshake is OpenSSL's code and some 15,000 allocations: every
 * allocation before it is failed in turn, then one in this many. */
#define TORTURE_HANDSHAKE_STRIDE 97

static long alloc_calls_at_hs; /* alloc_calls when the last handshake began */

static int tls_once(const struct files *f, enum hs_result *hs, struct synth_error *err)
{
    struct tls_client_opts o;
    SSL_CTX *cctx = NULL, *sctx = NULL;
    struct conn k = {{-1, -1}, NULL, NULL};
    char desc[TLS_DESCRIBE_MAX], b;
    int rc;

    *hs = HS_STUCK;
    tls_client_opts_defaults(&o);
    o.ca_file = f->ca;
    o.client_cert = f->crt;
    o.client_key = f->key;
    o.resume_sessions = true;
    if ((rc = tls_ctx_client_new(&cctx, &o, err)) ||
        (rc = tls_ctx_server_new(&sctx, lab_cert_x509(pki.fe), lab_cert_pkey(pki.fe),
                                 lab_ca_x509(pki.ca), true, err)))
        goto out;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, k.fd) < 0)
        goto out;
    k.c = SSL_new(cctx);
    k.s = SSL_new(sctx);
    if (!k.c || !k.s || !SSL_set_fd(k.c, k.fd[0]) || !SSL_set_fd(k.s, k.fd[1]))
        goto out;
    SSL_set_connect_state(k.c);
    SSL_set_accept_state(k.s);
    if ((rc = tls_conn_prepare(k.c, "fe.lab.synth.test", err)))
        goto out;
    alloc_calls_at_hs = alloc_calls;
    /* A failure already injected and survived: the handshake would only
     * exercise OpenSSL, at 2 ms a run. */
    if (alloc_failed)
        goto out;
    *hs = handshake_run(&k);
    if (*hs == HS_OK)
        (void)SSL_read(k.c, &b, 1); /* takes the tickets: session_new_cb */
    tls_describe_verify_error(k.c, desc, sizeof(desc));
    tls_describe_verify_error(k.s, desc, sizeof(desc));
out:
    if (k.fd[0] >= 0) {
        close(k.fd[0]);
        close(k.fd[1]);
    }
    SSL_free(k.c);
    SSL_free(k.s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
    return rc;
}

struct tls_once_arg {
    const struct files *f;
    enum hs_result hs;
};

static int tls_once_cb(void *arg, struct synth_error *err)
{
    struct tls_once_arg *a = arg;
    return tls_once(a->f, &a->hs, err);
}

static void test_alloc_failures(void **state)
{
    struct files f;
    struct synth_error err;
    enum hs_result hs;
    long n;
    int failures = 0;

    files_make(&f);
    /* Warm up OpenSSL's lazily built tables first: their failures are
     * OpenSSL's to handle, not ours. */
    long base = alloc_calls;
    assert_int_equal(tls_once(&f, &hs, &err), 0);
    assert_int_equal(hs, HS_OK);
    long before_hs = alloc_calls_at_hs - base;
    struct tls_once_arg a = {.f = &f};
    bool failed = true;
    for (n = 1; n < TORTURE_ALLOCS_MAX && failed;
         n += failed ? (n < before_hs ? 1 : TORTURE_HANDSHAKE_STRIDE) : 0)
        failures += alloc_fail_nth(n, tls_once_cb, &a, &failed) != 0;
    assert_false(failed);
    assert_int_equal(a.hs, HS_OK);
    assert_true(n < TORTURE_ALLOCS_MAX);
    print_message("%ld allocations (%ld before the handshake), %d failures reported\n", n - 1,
                  before_hs, failures);
    assert_true(failures > 0);
    files_remove(&f);
}

int main(void)
{
    /* Must precede OpenSSL's first allocation. */
    if (!ossl_alloc_fail_install()) {
        fprintf(stderr, "cannot replace OpenSSL's allocator\n");
        return 1;
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_name_ok),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_ip_san),
        cmocka_unit_test(test_system_store_refuses_lab),
        cmocka_unit_test(test_verify_off),
        cmocka_unit_test(test_um_cn_not_fqdn),
        cmocka_unit_test(test_mutual_tls),
        cmocka_unit_test(test_mutual_tls_foreign_client),
        cmocka_unit_test(test_rsa_handshake),
        cmocka_unit_test(test_expired_description),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_describe_edges),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
