/* synth/steps/auth.c: a user's NTLM SAs are per connection ([MS-SIPAE]
 * 3.2.1): the registrar connection's and a redirected call's link are
 * negotiated with their own servers and never touch each other, and
 * auth_on_challenge gives each challenge the step's contract class. The
 * servers are synth's server half (sipae.c), as in test_sipae.c. */
#include "synth/engine/call_link.h"
#include "synth/engine/worker.h"
#include "synth/sip/sipae.h"
#include "synth/steps/auth.h"
#include "synth/steps/step.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char PASSWORD[] = "s3cret-pw";

/* The registrar, and the home pool a Director's 302 sends calls to. */
static const struct sipae_server_id registrar_id = {
    .realm = "SIP Communications Service", .targetname = "fe.lab.synth.test",
    .nb_domain = "LAB", .nb_computer = "FE", .dns_domain = "lab.synth.test", .version = 4,
};
static const struct sipae_server_id pool_id = {
    .realm = "SIP Communications Service", .targetname = "fe02.lab.synth.test",
    .nb_domain = "LAB", .nb_computer = "FE02", .dns_domain = "lab.synth.test", .version = 4,
};

static const char *password_of(const char *user, const char *domain, void *arg)
{
    (void)domain;
    (void)arg;
    return strcmp(user, "user0001") == 0 ? PASSWORD : NULL;
}

/* One user of a target under auth: policy, and a step run for it. */
struct fixture {
    struct target t;
    struct run_plan plan;
    struct worker w;
    struct target_user id;
    struct vuser u;
    struct vuser_ntlm link; /* a redirected call's link, as call_link.c holds it */
    struct step_run run;
};

static struct fixture *fixture_new(enum target_auth policy)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->t.registrar.host, sizeof(f->t.registrar.host), "127.0.0.1");
    f->t.registrar.auth = policy;
    f->plan.target = &f->t;
    f->w.plan = &f->plan;
    snprintf(f->id.uri, sizeof(f->id.uri), "sip:user0001@lab.synth.test");
    snprintf(f->id.auth_user, sizeof(f->id.auth_user), "LAB\\user0001");
    f->id.password = (char *)PASSWORD;
    f->u.w = &f->w;
    f->u.id = &f->id;
    f->u.via = ACCESS_INTERNAL;
    f->u.ntlm.u = &f->u;
    f->link.u = &f->u;
    f->run.u = &f->u;
    return f;
}

static void fixture_free(struct fixture *f)
{
    auth_ntlm_free(&f->u.ntlm);
    auth_ntlm_free(&f->link);
    free(f);
}

static struct sip_msg parse(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct sip_msg parse(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < size);
    struct sip_msg m;
    size_t used = 0;
    assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, false, &used), 0);
    return m;
}

/* The INVITE of cseq on a connection, signed (or carrying the token) with
 * n's SA as the connection's hook writes it; its Authorization in *a. */
static struct sip_msg invite(struct vuser_ntlm *n, int cseq, char *buf, size_t size,
                             struct sipae_client_auth *a)
{
    static const char fmt[] = "INVITE sip:user0001@lab.synth.test;opaque=app:voicemail SIP/2.0\r\n"
                              "Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK%d\r\n"
                              "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                              "To: <sip:user0001@lab.synth.test;opaque=app:voicemail>\r\n"
                              "Call-ID: redirected-1\r\nCSeq: %d INVITE\r\n%s"
                              "Content-Length: 0\r\n\r\n";
    char line[SIPAE_TOKEN_MAX + 700], plain[1024];
    struct synth_error e = {{0}};
    struct sbuf sb;
    struct sip_msg req = parse(plain, sizeof(plain), fmt, cseq, cseq, "");
    assert_true(auth_ntlm_active(n));
    sbuf_init(&sb, line, sizeof(line));
    sbuf_puts(&sb, "Authorization: ");
    assert_int_equal(sipae_authorization(n->sa, &sb, &req, NULL, &e), 0);
    sbuf_puts(&sb, "\r\n");
    req = parse(buf, size, fmt, cseq, cseq, line);
    const struct sip_hdr *h = sip_msg_hdr(&req, SIP_HDR_AUTHORIZATION, NULL);
    assert_non_null(h);
    assert_int_equal(sipae_client_auth_parse(a, h->value), 0);
    return req;
}

/* The server's answer to the INVITE of cseq with the header line hdr. */
static struct sip_msg answer(int status, int cseq, const char *hdr, char *buf, size_t size)
{
    return parse(buf, size,
                 "SIP/2.0 %d %s\r\nVia: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK%d\r\n"
                 "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                 "To: <sip:user0001@lab.synth.test;opaque=app:voicemail>;tag=s1\r\n"
                 "Call-ID: redirected-1\r\nCSeq: %d INVITE\r\n%sContent-Length: 0\r\n\r\n",
                 status, status == 200 ? "OK" : "Unauthorized", cseq, cseq, hdr);
}

/* A 401 with the server's challenge (opening one when ssa is NULL) fed to
 * the step on connection n. */
static enum failure_class challenged(struct fixture *f, struct vuser_ntlm *n,
                                     const struct sipae_server_id *id,
                                     const struct sipae_server_sa *ssa, int cseq,
                                     uint32_t *rounds, char *detail, size_t size)
{
    char ch[SIPAE_TOKEN_MAX + 200], hdr[SIPAE_TOKEN_MAX + 300], buf[SIPAE_TOKEN_MAX + 1400];
    struct sbuf sb;
    sbuf_init(&sb, ch, sizeof(ch));
    assert_int_equal(sipae_server_challenge(&sb, id, ssa), 0);
    snprintf(hdr, sizeof(hdr), "WWW-Authenticate: %s\r\n", ch);
    struct sip_msg m = answer(401, cseq, hdr, buf, sizeof(buf));
    enum auth_scheme scheme = AUTH_SCHEME_NONE;
    enum failure_class cls =
        auth_on_challenge(&f->run, n, &m, "192.0.2.7:5060", rounds, &scheme, detail, size);
    if (cls == FAIL_NONE)
        assert_int_equal(scheme, AUTH_SCHEME_NTLM);
    return cls;
}

/* The whole exchange on connection n with the server id: its opening
 * challenge, the empty token, its CHALLENGE, the AUTHENTICATE it accepts.
 * password: what the server holds for the user (NULL: the right one). */
static int negotiate(struct fixture *f, struct vuser_ntlm *n, const struct sipae_server_id *id,
                     struct sipae_server_sa *ssa, sipae_password_h *pw)
{
    char buf[SIPAE_TOKEN_MAX + 2048], detail[RESULT_TEXT_MAX];
    struct sipae_client_auth a;
    struct synth_error e = {{0}};
    uint32_t rounds = 0;
    assert_int_equal(challenged(f, n, id, NULL, 1, &rounds, detail, sizeof(detail)), FAIL_NONE);
    assert_int_equal(n->sa->state, SIPAE_SA_NEGOTIATING);
    struct sip_msg req = invite(n, 2, buf, sizeof(buf), &a);
    assert_true(strv_isset(a.gssapi_data) && a.gssapi_data.l == 0);
    assert_true(strv_eq(a.targetname, id->targetname));
    assert_int_equal(sipae_server_sa_start(ssa, id, 1000, 30000, &e), 0);
    assert_int_equal(challenged(f, n, id, ssa, 2, &rounds, detail, sizeof(detail)), FAIL_NONE);
    assert_int_equal(rounds, 2);
    assert_int_equal(n->sa->state, SIPAE_SA_ESTABLISHED);
    req = invite(n, 3, buf, sizeof(buf), &a);
    assert_true(strv_eq(a.opaque, ssa->opaque));
    return sipae_server_sa_accept(ssa, id, &a, &req, pw, NULL, 1000, &e);
}

/* The server signs its 200 over ssa; the client checks it with n's SA. */
static int signed_200(struct vuser_ntlm *n, struct sipae_server_sa *ssa,
                      const struct sipae_server_id *id, int cseq)
{
    char plain[1024], buf[2048], ai[600], hdr[700];
    struct sip_msg ok = answer(200, cseq, "", plain, sizeof(plain));
    struct sbuf sb;
    sbuf_init(&sb, ai, sizeof(ai));
    assert_int_equal(sipae_server_sign(ssa, id, &sb, &ok, NULL), 0);
    snprintf(hdr, sizeof(hdr), "Authentication-Info: %s\r\n", ai);
    ok = answer(200, cseq, hdr, buf, sizeof(buf));
    struct synth_error e = {{0}};
    return sipae_sa_verify(n->sa, &ok, &e);
}

/* The registrar connection holds its SA; the call's link negotiates its
 * own with the pool the redirect named; each signs for its own server
 * only, and the link's going leaves the registrar's as it was. */
static void test_link_has_its_own_sa(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(TARGET_AUTH_NTLM);
    struct sipae_server_sa reg_ssa = {0}, pool_ssa = {0};
    char buf[SIPAE_TOKEN_MAX + 2048];
    struct sipae_client_auth a;
    struct synth_error e = {{0}};

    assert_int_equal(negotiate(f, &f->u.ntlm, &registrar_id, &reg_ssa, password_of), 0);
    assert_int_equal(signed_200(&f->u.ntlm, &reg_ssa, &registrar_id, 3), 0);
    struct sipae_sa before = *f->u.ntlm.sa;
    assert_null(f->link.sa);
    assert_false(auth_ntlm_active(&f->link)); /* the link's first INVITE goes unsigned */

    assert_int_equal(negotiate(f, &f->link, &pool_id, &pool_ssa, password_of), 0);
    assert_string_equal(f->link.sa->targetname, "fe02.lab.synth.test");
    assert_string_equal(f->u.ntlm.sa->targetname, "fe.lab.synth.test");
    assert_string_not_equal(f->link.sa->opaque, f->u.ntlm.sa->opaque);
    assert_memory_equal(f->u.ntlm.sa, &before, sizeof(before));
    assert_int_equal(f->u.ntlm_lapses, 0);

    /* The link's ACK/BYE signatures are the pool's to check, and its 200s
     * verify with the link's SA, not the registrar's. */
    struct sip_msg req = invite(&f->link, 4, buf, sizeof(buf), &a);
    assert_int_equal(sipae_server_sa_verify(&pool_ssa, &pool_id, &a, &req, 1000, &e), 0);
    assert_int_equal(signed_200(&f->link, &pool_ssa, &pool_id, 4), 0);
    assert_true(f->link.sa->confirmed);
    assert_int_equal(signed_200(&f->u.ntlm, &pool_ssa, &pool_id, 5), SYNTH_ENOTFOUND);

    auth_ntlm_free(&f->link);
    assert_null(f->link.sa);
    assert_false(auth_ntlm_active(&f->link));
    assert_true(auth_ntlm_active(&f->u.ntlm));
    assert_memory_equal(f->u.ntlm.sa, &before, sizeof(before));
    sipae_server_sa_clear(&reg_ssa);
    sipae_server_sa_clear(&pool_ssa);
    fixture_free(f);
}

static const char *wrong_password(const char *user, const char *domain, void *arg)
{
    (void)user;
    (void)domain;
    (void)arg;
    return "not-the-password";
}

/* The pool refuses the AUTHENTICATE (challenges afresh): auth-ntlm-refused
 * naming it, the credentials locked, the registrar's SA untouched. */
static void test_link_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(TARGET_AUTH_AUTO);
    struct sipae_server_sa ssa = {0};
    char detail[RESULT_TEXT_MAX];
    assert_int_equal(negotiate(f, &f->link, &pool_id, &ssa, wrong_password), SYNTH_EAUTH);
    uint32_t rounds = 2;
    assert_int_equal(challenged(f, &f->link, &pool_id, NULL, 4, &rounds, detail, sizeof(detail)),
                     FAIL_AUTH_NTLM);
    assert_non_null(strstr(detail, "NTLM credentials refused by fe02.lab.synth.test"));
    assert_null(strstr(detail, PASSWORD));
    assert_true(f->u.credentials_refused);
    assert_null(f->u.ntlm.sa);
    sipae_server_sa_clear(&ssa);
    fixture_free(f);
}

/* A link's SA that the pool lets lapse is negotiated again on it, counted
 * as the user's lapse; the registrar's renewal is not touched (the user is
 * registered, but the registrar's SA is not the one that lapsed). */
static void test_link_lapse(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(TARGET_AUTH_NTLM);
    struct sipae_server_sa ssa = {0};
    char detail[RESULT_TEXT_MAX];
    f->u.registered = true;
    assert_int_equal(negotiate(f, &f->link, &pool_id, &ssa, password_of), 0);
    assert_int_equal(signed_200(&f->link, &ssa, &pool_id, 3), 0);
    uint32_t rounds = 0;
    assert_int_equal(challenged(f, &f->link, &pool_id, NULL, 4, &rounds, detail, sizeof(detail)),
                     FAIL_NONE);
    assert_int_equal(f->link.sa->state, SIPAE_SA_NEGOTIATING);
    assert_int_equal(f->u.ntlm_lapses, 1);
    assert_null(f->u.reregister); /* step_register_refresh_arm was not called */
    assert_false(f->u.credentials_refused);
    sipae_server_sa_clear(&ssa);
    fixture_free(f);
}

/* What a challenge on the link comes to under each auth: policy. */
static void test_link_challenge_classes(void **state)
{
    (void)state;
    static const char krb[] =
        "WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", "
        "targetname=\"sip/fe02.lab.synth.test\", version=4\r\n"
        "WWW-Authenticate: TLS-DSK realm=\"SIP Communications Service\", "
        "targetname=\"fe02.lab.synth.test\", version=4, "
        "sts-uri=\"https://fe02.lab.synth.test/CertProv/CertProvisioningService.svc\"\r\n";
    static const char digest[] =
        "WWW-Authenticate: Digest realm=\"lab.synth.test\", nonce=\"abc\", qop=\"auth\"\r\n";
    struct fixture *f = fixture_new(TARGET_AUTH_NTLM);
    char buf[2048], detail[RESULT_TEXT_MAX];
    enum auth_scheme scheme;
    uint32_t rounds = 0;

    struct sip_msg m = answer(401, 1, krb, buf, sizeof(buf));
    assert_int_equal(auth_on_challenge(&f->run, &f->link, &m, "192.0.2.7:5060", &rounds, &scheme,
                                       detail, sizeof(detail)),
                     FAIL_AUTH_SCHEME);
    assert_string_equal(detail, "192.0.2.7:5060 offers no scheme synth answers under auth: ntlm "
                                "(schemes offered: Kerberos, TLS-DSK)");
    assert_null(f->link.sa);

    /* Digest there: answered under auto, refused as a scheme under ntlm. */
    m = answer(401, 1, digest, buf, sizeof(buf));
    assert_int_equal(auth_on_challenge(&f->run, &f->link, &m, "192.0.2.7:5060", &rounds, &scheme,
                                       detail, sizeof(detail)),
                     FAIL_AUTH_SCHEME);
    f->t.registrar.auth = TARGET_AUTH_AUTO;
    assert_int_equal(auth_on_challenge(&f->run, &f->link, &m, "192.0.2.7:5060", &rounds, &scheme,
                                       detail, sizeof(detail)),
                     FAIL_NONE);
    assert_int_equal(scheme, AUTH_SCHEME_DIGEST);
    assert_int_equal(rounds, 0);

    /* A server that never finishes the exchange: given up after four rounds. */
    rounds = 4;
    assert_int_equal(challenged(f, &f->link, &pool_id, NULL, 5, &rounds, detail, sizeof(detail)),
                     FAIL_AUTH_NTLM);
    assert_non_null(strstr(detail, "not done after 4 rounds"));
    assert_true(f->u.credentials_refused);
    fixture_free(f);
}

/* Without a link the call uses the registrar connection's NTLM. */
static void test_call_link_ntlm_default(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(TARGET_AUTH_NTLM);
    assert_ptr_equal(call_link_ntlm(&f->u), &f->u.ntlm);
    assert_string_equal(call_link_server(&f->u), "the registrar");
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_has_its_own_sa),
        cmocka_unit_test(test_link_refused),
        cmocka_unit_test(test_link_lapse),
        cmocka_unit_test(test_link_challenge_classes),
        cmocka_unit_test(test_call_link_ntlm_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
