/* Unit tests of synth/sip/digest.c: RFC 2617 3.5 and RFC 7616 3.9.1 vectors,
 * the -sess and RFC 2069 forms (expected values computed independently with
 * `openssl dgst`), the challenge picker, client/server round trips and
 * malformed input. Parser inputs sit right before an unreadable page. */
#include "synth/sip/digest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* Inputs end right before an unreadable page (guard_arena.h). */
#define ARENA_DATA 4096
#include "guard_arena.h"

static struct strv guarded(const char *s)
{
    size_t n = strlen(s);
    return strv_make(place(s, n), n);
}

static void assert_strv(struct strv v, const char *want)
{
    assert_non_null(v.p);
    char buf[DIGEST_VALUE_MAX + 1];
    assert_int_equal(strv_copy(v, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

/* RFC 2617 3.5: the challenge, then the response the RFC gives. */
static void test_rfc2617_example(void **state)
{
    struct digest_challenge ch;
    int err = digest_challenge_parse(&ch, guarded(
        "Digest\r\n realm=\"testrealm@host.com\",\r\n qop=\"auth,auth-int\",\r\n"
        " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
        " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    assert_int_equal(err, 0);
    assert_int_equal(ch.algo, DIGEST_MD5);
    assert_true(ch.qop_auth);
    assert_false(ch.stale);
    assert_strv(ch.realm, "testrealm@host.com");
    assert_strv(ch.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_strv(ch.opaque, "5ccc069c403ebaf9f0171e9517f40e41");

    char buf[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    err = digest_authorization(&sb, &ch, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", 1,
                               "0a4f113b");
    assert_int_equal(err, 0);
    assert_string_equal(buf,
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
        "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", "
        "qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
}

/* RFC 7616 3.9.1: same challenge for both algorithms; note "Circle of Life". */
static void check_rfc7616(const char *algo, enum digest_algo want_algo, const char *want_response)
{
    char challenge[512];
    snprintf(challenge, sizeof(challenge),
             "Digest\r\n       realm=\"http-auth@example.org\",\r\n"
             "       qop=\"auth, auth-int\",\r\n       algorithm=%s,\r\n"
             "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
             "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
             algo);
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(challenge)), 0);
    assert_int_equal(ch.algo, want_algo);
    assert_true(ch.qop_auth);

    char buf[512], want[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "GET", "/dir/index.html", "Mufasa",
                                          "Circle of Life", 1,
                                          "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
                     0);
    snprintf(want, sizeof(want),
             "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
             "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", "
             "response=\"%s\", algorithm=%s, "
             "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, nc=00000001, "
             "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
             want_response, algo);
    assert_string_equal(buf, want);

    /* The RFC's Authorization, in its order, checked by the server side. */
    char auth[768];
    snprintf(auth, sizeof(auth),
             "Digest username=\"Mufasa\",\r\n       realm=\"http-auth@example.org\",\r\n"
             "       uri=\"/dir/index.html\",\r\n       algorithm=%s,\r\n"
             "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
             "       nc=00000001,\r\n"
             "       cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
             "       qop=auth,\r\n       response=\"%s\",\r\n"
             "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
             algo, want_response);
    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(auth)), 0);
    assert_int_equal(c.algo, want_algo);
    assert_strv(c.username, "Mufasa");
    assert_strv(c.nc, "00000001");
    assert_strv(c.qop, "auth");
    assert_true(digest_verify(&c, "GET", "Circle of Life"));
    assert_false(digest_verify(&c, "GET", "Circle Of Life"));
    assert_false(digest_verify(&c, "POST", "Circle of Life"));
}

static void test_rfc7616_md5(void **state)
{
    check_rfc7616("MD5", DIGEST_MD5, "8ca523f5e9506fed4657c9700eebdbec");
}

static void test_rfc7616_sha256(void **state)
{
    check_rfc7616("SHA-256", DIGEST_SHA256,
                  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/* Computes the response for a challenge and returns the response="" value. */
static void response_of(const char *challenge, const char *method, const char *uri,
                        const char *user, const char *password, uint32_t nc, const char *cnonce,
                        char *resp, size_t resp_size)
{
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(challenge)), 0);
    char buf[1024];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, method, uri, user, password, nc, cnonce), 0);
    const char *p = strstr(buf, "response=\"");
    assert_non_null(p);
    p += strlen("response=\"");
    const char *q = strchr(p, '"');
    assert_non_null(q);
    assert_true((size_t)(q - p) < resp_size);
    memcpy(resp, p, (size_t)(q - p));
    resp[q - p] = '\0';
}

static void test_sess_variants(void **state)
{
    char resp[80];
    response_of("Digest realm=\"testrealm@host.com\", qop=\"auth\", algorithm=MD5-sess, "
                "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
                "GET", "/dir/index.html", "Mufasa", "Circle Of Life", 1, "0a4f113b", resp,
                sizeof(resp));
    assert_string_equal(resp, "8e3825c57e897f5a0dec6c2d4e5059d0");

    response_of("Digest realm=\"http-auth@example.org\", qop=\"auth\", algorithm=SHA-256-sess, "
                "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\"",
                "GET", "/dir/index.html", "Mufasa", "Circle of Life", 1,
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", resp, sizeof(resp));
    assert_string_equal(resp, "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7");

    /* nc is hex: 42 is 0000002a. Names are case-insensitive. */
    response_of("Digest REALM=\"biloxi.com\", Qop=auth, ALGORITHM=sha-256-SESS, nonce=abc",
                "INVITE", "sip:um@biloxi.com", "bob", "zanzibar", 42, "cn1", resp, sizeof(resp));
    assert_string_equal(resp, "4807641d1fdf98dcb6ff2a8a9d7b0f8b3140b00a74590aa463e2e650dcd84a60");
}

/* -sess without qop still hashes the cnonce into A1 (RFC 2617 3.2.2.2),
 * so it must be sent. */
static void test_sess_without_qop(void **state)
{
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "Digest realm=\"biloxi.com\", nonce=\"abc\", algorithm=MD5-sess")), 0);
    assert_false(ch.qop_auth);
    char buf[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:biloxi.com", "bob",
                                          "zanzibar", 0, NULL),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:biloxi.com", "bob",
                                          "zanzibar", 0, "cn1"),
                     0);
    assert_string_equal(buf,
        "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"abc\", uri=\"sip:biloxi.com\", "
        "response=\"1395b22732c21cd361a90772575c6ce0\", algorithm=MD5-sess, cnonce=\"cn1\"");
    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(buf)), 0);
    assert_true(digest_verify(&c, "REGISTER", "zanzibar"));
    assert_false(digest_verify(&c, "REGISTER", "Zanzibar"));
}

/* No qop: RFC 2069 form, what Asterisk's chan_sip still sends. */
static void test_rfc2069_mode(void **state)
{
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "Digest algorithm=MD5, realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"")),
        0);
    assert_false(ch.qop_auth);
    assert_false(strv_isset(ch.opaque));
    char buf[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:biloxi.com", "bob",
                                          "zanzibar", 0, NULL),
                     0);
    assert_string_equal(buf,
        "Digest username=\"bob\", realm=\"biloxi.com\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:biloxi.com\", "
        "response=\"4441045a8075db3ead543693997e2a0e\", algorithm=MD5");

    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(buf)), 0);
    assert_false(strv_isset(c.qop));
    assert_true(digest_verify(&c, "REGISTER", "zanzibar"));
    assert_false(digest_verify(&c, "REGISTER", "zanzibaR"));
}

/* Quoted-pairs: the hash sees the unescaped realm, the header echoes it as sent. */
static void test_escaped_quotes(void **state)
{
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "Digest realm=\"a\\\"b\\\\c\", nonce=abc, stale=TRUE")), 0);
    assert_strv(ch.realm, "a\\\"b\\\\c");
    assert_true(ch.stale);
    char buf[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:biloxi.com", "bob",
                                          "zanzibar", 0, NULL),
                     0);
    assert_string_equal(buf,
        "Digest username=\"bob\", realm=\"a\\\"b\\\\c\", nonce=\"abc\", uri=\"sip:biloxi.com\", "
        "response=\"0fd09d4f82d6c07d9123090e4bb6930d\", algorithm=MD5");

    /* A user name with a quote is escaped on the way out and back in. */
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:biloxi.com", "o\"brien",
                                          "pw", 0, NULL),
                     0);
    assert_non_null(strstr(buf, "username=\"o\\\"brien\""));
    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(buf)), 0);
    assert_true(digest_verify(&c, "REGISTER", "pw"));
}

static void test_pick(void **state)
{
    struct digest_challenge chs[3];
    memset(chs, 0, sizeof(chs));
    assert_int_equal(digest_challenge_pick(chs, 0), -1);
    assert_int_equal(digest_challenge_pick(NULL, 3), -1);

    chs[0].algo = DIGEST_MD5;
    chs[1].algo = DIGEST_SHA256;
    chs[2].algo = DIGEST_SHA256_SESS;
    assert_int_equal(digest_challenge_pick(chs, 3), 1);
    assert_int_equal(digest_challenge_pick(chs, 1), 0);

    chs[0].algo = DIGEST_SHA256_SESS;
    chs[1].algo = DIGEST_SHA256;
    assert_int_equal(digest_challenge_pick(chs, 2), 0); /* server's order among equals */

    chs[0].algo = DIGEST_MD5_SESS;
    chs[1].algo = DIGEST_MD5;
    chs[2].algo = DIGEST_SHA256_SESS;
    assert_int_equal(digest_challenge_pick(chs, 2), 0);
    assert_int_equal(digest_challenge_pick(chs, 3), 2);
}

/* Lab registrar and client together, for every algorithm. */
static void test_round_trip(void **state)
{
    const enum digest_algo algos[] = {DIGEST_MD5, DIGEST_MD5_SESS, DIGEST_SHA256,
                                      DIGEST_SHA256_SESS};
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
        char nonce[33], cnonce[17], hdr[256], auth[768];
        struct sbuf sb;
        assert_int_equal(digest_random_hex(nonce, sizeof(nonce), 16), 0);
        assert_int_equal(digest_random_hex(cnonce, sizeof(cnonce), 8), 0);

        sbuf_init(&sb, hdr, sizeof(hdr));
        assert_int_equal(digest_challenge_write(&sb, algos[i], "contoso.com", nonce, "op\"1"), 0);
        char want[256];
        snprintf(want, sizeof(want),
                 "Digest realm=\"contoso.com\", nonce=\"%s\", algorithm=%s, qop=\"auth\", "
                 "opaque=\"op\\\"1\"",
                 nonce, digest_algo_name(algos[i]));
        assert_string_equal(hdr, want);

        struct digest_challenge ch;
        assert_int_equal(digest_challenge_parse(&ch, guarded(hdr)), 0);
        assert_int_equal(ch.algo, algos[i]);
        assert_true(ch.qop_auth);

        sbuf_init(&sb, auth, sizeof(auth));
        assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:contoso.com",
                                              "alice@contoso.com", "S3cret!", 7, cnonce),
                         0);
        assert_null(strstr(auth, "S3cret!"));

        struct digest_credentials c;
        assert_int_equal(digest_credentials_parse(&c, guarded(auth)), 0);
        assert_int_equal(c.algo, algos[i]);
        assert_strv(c.nonce, nonce);
        assert_strv(c.cnonce, cnonce);
        assert_strv(c.nc, "00000007");
        assert_strv(c.uri, "sip:contoso.com");
        assert_strv(c.opaque, "op\\\"1");
        assert_true(digest_verify(&c, "REGISTER", "S3cret!"));
        assert_false(digest_verify(&c, "REGISTER", "S3cret"));
        assert_false(digest_verify(&c, "INVITE", "S3cret!"));
    }
}

/* Changing any hashed field must break verification. */
static void test_verify_tamper(void **state)
{
    const char *auth = "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
                       "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
                       "uri=\"/dir/index.html\", "
                       "response=\"8CA523F5E9506FED4657C9700EEBDBEC\", algorithm=MD5, "
                       "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
                       "nc=00000001";
    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(auth)), 0);
    assert_true(digest_verify(&c, "GET", "Circle of Life")); /* uppercase hex accepted */

    struct digest_credentials t = c;
    t.nc = strv_from_cstr("00000002");
    assert_false(digest_verify(&t, "GET", "Circle of Life"));
    t = c;
    t.cnonce = strv_from_cstr("x");
    assert_false(digest_verify(&t, "GET", "Circle of Life"));
    t = c;
    t.uri = strv_from_cstr("/dir/index.htm");
    assert_false(digest_verify(&t, "GET", "Circle of Life"));
    t = c;
    t.algo = DIGEST_MD5_SESS;
    assert_false(digest_verify(&t, "GET", "Circle of Life"));
    t = c;
    t.response.l--;
    assert_false(digest_verify(&t, "GET", "Circle of Life"));
    assert_false(digest_verify(NULL, "GET", "Circle of Life"));
}

struct bad_case {
    const char *value;
    int err;
};

static void test_challenge_malformed(void **state)
{
    char long_value[DIGEST_VALUE_MAX + 64];
    char many[DIGEST_PARAMS_MAX * 8 + 64];
    snprintf(long_value, sizeof(long_value), "Digest realm=\"r\", nonce=\"%0*d\"",
             DIGEST_VALUE_MAX + 1, 0);
    size_t n = (size_t)snprintf(many, sizeof(many), "Digest realm=r, nonce=n");
    for (int i = 0; i < DIGEST_PARAMS_MAX; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, ", x%d=1", i);

    const struct bad_case cases[] = {
        {"NTLM realm=\"SIP Communications Service\", targetname=\"fe.contoso.com\", version=4",
         SYNTH_EUNSUPPORTED},
        {"Kerberos realm=\"SIP Communications Service\", targetname=\"sip/fe.contoso.com\", "
         "version=4",
         SYNTH_EUNSUPPORTED},
        {"TLS-DSK realm=\"SIP Communications Service\", targetname=\"fe.contoso.com\", "
         "version=4, sts-uri=\"https://fe.contoso.com:443/CertProv/CertProvisioningService.svc\"",
         SYNTH_EUNSUPPORTED},
        {"Basic realm=\"x\"", SYNTH_EUNSUPPORTED},
        {"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", SYNTH_EUNSUPPORTED},
        {"Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5", SYNTH_EUNSUPPORTED},
        {"Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", SYNTH_EUNSUPPORTED},
        {"Digest realm=\"r\", nonce=\"n\", qop=\"\"", SYNTH_EUNSUPPORTED},
        {"", SYNTH_EPARSE},
        {"   ", SYNTH_EPARSE},
        {"Digest", SYNTH_EPARSE},
        {"Digest ", SYNTH_EPARSE},
        {"Digest,realm=\"r\", nonce=\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\"", SYNTH_EPARSE},
        {"Digest nonce=\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n\", realm=\"s\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n\", NONCE=\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n\\", SYNTH_EPARSE},
        {"Digest realm=\"r\" nonce=\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=,", SYNTH_EPARSE},
        {"Digest realm=\"r\", =\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce \"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n\"x", SYNTH_EPARSE},
        {"Digest realm=\"r\r\nVia: x\", nonce=\"n\"", SYNTH_EPARSE},
        {"Digest realm=\"r\\\nVia: x\", nonce=\"n\"", SYNTH_EPARSE},
        {"Digest realm=r\\x, nonce=n", SYNTH_EPARSE},
        {"Digest realm=\"r\", nonce=\"n\", Digest realm=\"s\"", SYNTH_EPARSE},
        {long_value, SYNTH_ETOOBIG},
        {many, SYNTH_ETOOBIG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct digest_challenge ch;
        int err = digest_challenge_parse(&ch, guarded(cases[i].value));
        if (err != cases[i].err)
            fail_msg("case %zu `%s`: got %d, want %d", i, cases[i].value, err, cases[i].err);
    }
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, STRV_NULL), SYNTH_EPARSE);
}

/* What real servers send, in shapes the strict grammar would not need. */
static void test_challenge_lenient(void **state)
{
    struct digest_challenge ch;
    /* Unquoted base64 nonce, tabs and folding around '=' and ',', empty
     * list elements, unknown parameters, lowercase scheme and algorithm. */
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "digest  realm\t=\t\"asterisk\" ,,\r\n\tnonce = 1594391457/a1b6+Qw== ,"
        " domain=\"sip:a.example\", algorithm=md5 , qop=\"auth-int , AUTH\", x-ext=\"\",")),
        0);
    assert_strv(ch.realm, "asterisk");
    assert_strv(ch.nonce, "1594391457/a1b6+Qw==");
    assert_int_equal(ch.algo, DIGEST_MD5);
    assert_true(ch.qop_auth);
    assert_false(strv_isset(ch.opaque));

    /* Empty realm and opaque are legal quoted-strings, and set. */
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "Digest realm=\"\", nonce=\"n\", opaque=\"\", stale=false, algorithm=\"SHA-256\"")), 0);
    assert_true(strv_isset(ch.realm));
    assert_int_equal(ch.realm.l, 0);
    assert_true(strv_isset(ch.opaque));
    assert_false(ch.stale);
    assert_int_equal(ch.algo, DIGEST_SHA256);
    assert_false(ch.qop_auth);
}

static void test_credentials_malformed(void **state)
{
    const char *r32 = "response=\"6629fae49393a05397450978507c4ef1\"";
    char buf[DIGEST_VALUE_MAX];
    struct {
        const char *fmt;
        int err;
    } cases[] = {
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", %s", 0},
        {"NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"1\", %s",
         SYNTH_EUNSUPPORTED},
        {"Digest realm=\"r\", nonce=\"n\", uri=\"sip:x\", %s", SYNTH_EPARSE},
        {"Digest username=\"u\", nonce=\"n\", uri=\"sip:x\", %s", SYNTH_EPARSE},
        {"Digest username=\"u\", realm=\"r\", uri=\"sip:x\", %s", SYNTH_EPARSE},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", %s", SYNTH_EPARSE},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\"%.0s", SYNTH_EPARSE},
        {"Digest username=\"u\", username=\"v\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", %s",
         SYNTH_EPARSE},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", qop=auth, "
         "cnonce=\"c\", %s",
         SYNTH_EPARSE}, /* qop without nc */
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", qop=auth, nc=00000001, "
         "%s",
         SYNTH_EPARSE}, /* qop without cnonce */
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", qop=auth, nc=1, "
         "cnonce=\"c\", %s",
         SYNTH_EPARSE}, /* nc not 8 digits */
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", qop=auth-int, "
         "nc=00000001, cnonce=\"c\", %s",
         SYNTH_EUNSUPPORTED},
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", algorithm=MD5-sess, %s",
         SYNTH_EPARSE}, /* -sess needs cnonce */
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", algorithm=SHA-256, %s",
         SYNTH_EPARSE}, /* 32 hex digits for SHA-256 */
        {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", algorithm=SHA3, %s",
         SYNTH_EUNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(buf, sizeof(buf), cases[i].fmt, r32);
        struct digest_credentials c;
        int err = digest_credentials_parse(&c, guarded(buf));
        if (err != cases[i].err)
            fail_msg("case %zu `%s`: got %d, want %d", i, buf, err, cases[i].err);
    }
    struct digest_credentials c;
    assert_int_equal(digest_credentials_parse(&c, guarded(
        "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", "
        "response=\"6629fae49393a05397450978507c4eg1\"")), SYNTH_EPARSE); /* not hex */
}

static void test_authorization_args(void **state)
{
    struct digest_challenge ch;
    assert_int_equal(digest_challenge_parse(&ch, guarded(
        "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"")), 0);
    char buf[512];
    struct sbuf sb;

    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob\r\nVia: evil",
                                          "pw", 1, "c"),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x\n", "bob", "pw", 1, "c"),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REG ISTER", "sip:x", "bob", "pw", 1, "c"),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob", "pw", 0, "c"),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob", "pw", 1, NULL),
                     SYNTH_EINVAL);
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob", NULL, 1, "c"),
                     SYNTH_EINVAL);
    assert_int_equal(sb.len, 0);

    /* Too small a buffer is ETOOBIG, never a truncated header. */
    char small[64];
    sbuf_init(&sb, small, sizeof(small));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob", "pw", 1, "c"),
                     SYNTH_ETOOBIG);

    /* The password is in no byte of the output, even when it looks like a field. */
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_authorization(&sb, &ch, "REGISTER", "sip:x", "bob",
                                          "pw\"secret\r\n", 0xffffffffu, "c"),
                     0);
    assert_null(strstr(buf, "secret"));
    assert_non_null(strstr(buf, "nc=ffffffff"));

    assert_int_equal(digest_challenge_write(&sb, DIGEST_MD5, "r\n", "n", NULL), SYNTH_EINVAL);
    assert_int_equal(digest_challenge_write(&sb, (enum digest_algo)9, "r", "n", NULL),
                     SYNTH_EINVAL);
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(digest_challenge_write(&sb, DIGEST_SHA256, "contoso.com", "abc", NULL), 0);
    assert_string_equal(buf, "Digest realm=\"contoso.com\", nonce=\"abc\", algorithm=SHA-256, "
                             "qop=\"auth\"");
}

static void test_random_hex(void **state)
{
    char a[65], b[65];
    assert_int_equal(digest_random_hex(a, sizeof(a), 32), 0);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_int_equal(digest_random_hex(b, sizeof(b), 32), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(digest_random_hex(a, 64, 32), SYNTH_ETOOBIG);
    assert_int_equal(digest_random_hex(a, sizeof(a), 0), SYNTH_EINVAL);
    assert_int_equal(digest_random_hex(a, sizeof(a), DIGEST_RANDOM_MAX + 1), SYNTH_EINVAL);
}

static void test_algo_names(void **state)
{
    assert_string_equal(digest_algo_name(DIGEST_MD5), "MD5");
    assert_string_equal(digest_algo_name(DIGEST_MD5_SESS), "MD5-sess");
    assert_string_equal(digest_algo_name(DIGEST_SHA256), "SHA-256");
    assert_string_equal(digest_algo_name(DIGEST_SHA256_SESS), "SHA-256-sess");
    assert_string_equal(digest_algo_name((enum digest_algo)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc2617_example),
        cmocka_unit_test(test_rfc7616_md5),
        cmocka_unit_test(test_rfc7616_sha256),
        cmocka_unit_test(test_sess_variants),
        cmocka_unit_test(test_sess_without_qop),
        cmocka_unit_test(test_rfc2069_mode),
        cmocka_unit_test(test_escaped_quotes),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_verify_tamper),
        cmocka_unit_test(test_challenge_malformed),
        cmocka_unit_test(test_challenge_lenient),
        cmocka_unit_test(test_credentials_malformed),
        cmocka_unit_test(test_authorization_args),
        cmocka_unit_test(test_random_hex),
        cmocka_unit_test(test_algo_names),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
