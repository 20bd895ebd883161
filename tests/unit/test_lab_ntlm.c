/* Unit tests of synth/lab/lab_ntlm.c, the lab Front End's NTLM SAs, driven
 * by synth's own client half (checked elsewhere against python3-ntlm-auth):
 * each verdict (challenge, CHALLENGE, accepted, refused password, unknown
 * user, bad or replayed signature, malformed), the SA bound to its
 * connection, the SA a relayed response is signed with, and a closed
 * connection taking its SAs along. */
#include "synth/lab/lab_ntlm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char *password_of(const char *user, const char *domain, void *arg)
{
    (void)domain;
    (void)arg;
    return strcmp(user, "user0001") == 0 ? "synth-lab" : NULL;
}

static const char req_fmt[] = "REGISTER sip:lab.synth.test SIP/2.0\r\n"
                              "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK%d\r\n"
                              "%s"
                              "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                              "To: <sip:user0001@lab.synth.test>\r\n"
                              "Call-ID: ln-1\r\nCSeq: %d REGISTER\r\nExpires: 600\r\n"
                              "Content-Length: 0\r\n\r\n";

struct wire {
    char buf[8192];
    struct sip_msg m;
};

static void parse_into(struct wire *w)
{
    size_t used = 0;
    assert_int_equal(sip_msg_parse(&w->m, w->buf, strlen(w->buf), false, &used), 0);
}

/* The client's request cseq, signed or with its token when sa has one. */
static void client_req(struct wire *w, struct sipae_sa *sa, int cseq)
{
    char line[6144] = "";
    if (sa->state == SIPAE_SA_NEGOTIATING || sa->state == SIPAE_SA_ESTABLISHED) {
        struct wire bare;
        struct synth_error e = {{0}};
        struct sbuf sb;
        snprintf(bare.buf, sizeof(bare.buf), req_fmt, cseq, "", cseq);
        parse_into(&bare);
        char auth[6000];
        sbuf_init(&sb, auth, sizeof(auth));
        assert_int_equal(sipae_authorization(sa, &sb, &bare.m, NULL, &e), 0);
        snprintf(line, sizeof(line), "Authorization: %s\r\n", auth);
    }
    snprintf(w->buf, sizeof(w->buf), req_fmt, cseq, line, cseq);
    parse_into(w);
}

/* The 401 the lab writes for sa (NULL: the opening one), to the client. */
static void challenge_client(struct lab_ntlm *n, struct sipae_server_sa *ssa, struct sipae_sa *sa,
                             const char *login, const char *password, int expect)
{
    char lines[6144];
    struct sbuf x;
    struct wire w;
    struct synth_error e = {{0}};
    sbuf_init(&x, lines, sizeof(lines));
    assert_int_equal(lab_ntlm_challenge_line(n, &x, false, ssa), 0);
    snprintf(w.buf, sizeof(w.buf),
             "SIP/2.0 401 Unauthorized\r\n%sFrom: <sip:user0001@lab.synth.test>;tag=c1\r\n"
             "To: <sip:user0001@lab.synth.test>;tag=s1\r\nCall-ID: ln-1\r\nCSeq: 1 REGISTER\r\n"
             "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n",
             lines);
    parse_into(&w);
    struct sipae_credentials cr = {.login = login, .password = password,
                                   .expected_target = "fe.lab.synth.test"};
    assert_int_equal(sipae_sa_on_challenge(sa, &w.m, &cr, 0, &e), expect);
}

/* Through the exchange on flow: returns the verdict for the AUTHENTICATE. */
static enum lab_ntlm_verdict sign_in(struct lab_ntlm *n, uint64_t flow, struct sipae_sa *sa,
                                     const char *login, const char *password,
                                     struct sipae_server_sa **ssa, struct synth_error *e)
{
    struct wire w;
    sipae_sa_init(sa, 0);
    client_req(&w, sa, 1);
    assert_int_equal(lab_ntlm_check(n, flow, &w.m, false, ssa, e), LAB_NTLM_CHALLENGE);
    assert_null(*ssa);
    challenge_client(n, NULL, sa, login, password, 0);
    client_req(&w, sa, 2);
    assert_int_equal(lab_ntlm_check(n, flow, &w.m, false, ssa, e), LAB_NTLM_CONTINUE);
    assert_non_null(*ssa);
    challenge_client(n, *ssa, sa, login, password, 0);
    client_req(&w, sa, 3);
    return lab_ntlm_check(n, flow, &w.m, false, ssa, e);
}

/* A fresh lab_ntlm for each test. */
static int setup(void **state)
{
    struct lab_ntlm *n = NULL;
    struct synth_error e = {{0}};
    int rc = lab_ntlm_new(&n, "fe.lab.synth.test", "lab.synth.test", 0, password_of, NULL, &e);
    *state = n;
    return rc;
}

static int teardown(void **state)
{
    lab_ntlm_free(*state);
    return 0;
}

static void test_sign_in_and_requests(void **state)
{
    struct lab_ntlm *n = *state;
    struct synth_error e = {{0}};
    struct sipae_sa sa;
    struct sipae_server_sa *ssa = NULL;
    struct wire w;

    assert_int_equal(sign_in(n, 7, &sa, "LAB\\user0001", "synth-lab", &ssa, &e), LAB_NTLM_OK);
    assert_string_equal(ssa->user, "user0001");
    assert_int_equal(lab_ntlm_count(n), 1);
    /* The 200 the lab signs verifies at the client. */
    snprintf(w.buf, sizeof(w.buf), "SIP/2.0 200 OK\r\nFrom: <sip:user0001@lab.synth.test>;tag=c1\r\n"
             "To: <sip:user0001@lab.synth.test>;tag=s9\r\nCall-ID: ln-1\r\nCSeq: 3 REGISTER\r\n"
             "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK3\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n");
    parse_into(&w);
    /* A response relayed back over flow 7 for this user finds the SA. */
    assert_ptr_equal(lab_ntlm_find(n, 7, &w.m), ssa);
    assert_null(lab_ntlm_find(n, 8, &w.m));
    char line[1024];
    struct sbuf x;
    sbuf_init(&x, line, sizeof(line));
    assert_int_equal(lab_ntlm_sign_line(n, ssa, &w.m, &x), 0);
    struct wire signed200;
    const char *nl = strchr(w.buf, '\n') + 1;
    snprintf(signed200.buf, sizeof(signed200.buf), "%.*s%s%s", (int)(nl - w.buf), w.buf, line, nl);
    parse_into(&signed200);
    assert_int_equal(sipae_sa_verify(&sa, &signed200.m, &e), 0);

    /* Later requests: signed ones pass, a replay and another connection do not. */
    client_req(&w, &sa, 4);
    struct sipae_server_sa *got = NULL;
    assert_int_equal(lab_ntlm_check(n, 7, &w.m, false, &got, &e), LAB_NTLM_OK);
    assert_ptr_equal(got, ssa);
    assert_int_equal(lab_ntlm_check(n, 7, &w.m, false, &got, &e), LAB_NTLM_BAD_SIGNATURE);
    client_req(&w, &sa, 5);
    assert_int_equal(lab_ntlm_check(n, 9, &w.m, false, &got, &e), LAB_NTLM_CHALLENGE);
    /* A forged signature. */
    client_req(&w, &sa, 6);
    char *resp = strstr(w.buf, "response=\"");
    assert_non_null(resp);
    resp[12] = resp[12] == '0' ? '1' : '0';
    parse_into(&w);
    assert_int_equal(lab_ntlm_check(n, 7, &w.m, false, &got, &e), LAB_NTLM_BAD_SIGNATURE);
    /* A new sign-in by the same user on the same connection replaces the SA. */
    assert_int_equal(sign_in(n, 7, &sa, "LAB\\user0001", "synth-lab", &ssa, &e), LAB_NTLM_OK);
    assert_int_equal(lab_ntlm_count(n), 1);
    /* The connection closes: its SAs go. */
    lab_ntlm_flow_closed(n, 7);
    assert_int_equal(lab_ntlm_count(n), 0);
    client_req(&w, &sa, 7);
    assert_int_equal(lab_ntlm_check(n, 7, &w.m, false, &got, &e), LAB_NTLM_CHALLENGE);
    sipae_sa_reset(&sa);
}

static void test_refusals(void **state)
{
    struct lab_ntlm *n = *state;
    struct synth_error e = {{0}};
    struct sipae_sa sa;
    struct sipae_server_sa *ssa = NULL;
    struct wire w;

    assert_int_equal(sign_in(n, 3, &sa, "LAB\\user0001", "wrong", &ssa, &e), LAB_NTLM_REFUSED);
    assert_null(strstr(e.msg, "wrong"));
    assert_int_equal(lab_ntlm_count(n), 0); /* the failed exchange is forgotten */
    /* The client then sees the opening challenge again: refused. */
    challenge_client(n, NULL, &sa, "LAB\\user0001", "wrong", SYNTH_EAUTH);
    sipae_sa_reset(&sa);

    /* Credentials for another server, and a Digest answer: challenged. */
    snprintf(w.buf, sizeof(w.buf), req_fmt, 1,
             "Authorization: NTLM qop=\"auth\", realm=\"SIP Communications Service\", "
             "targetname=\"fe.other.test\", gssapi-data=\"\"\r\n", 1);
    parse_into(&w);
    assert_int_equal(lab_ntlm_check(n, 3, &w.m, false, &ssa, &e), LAB_NTLM_CHALLENGE);
    snprintf(w.buf, sizeof(w.buf), req_fmt, 1,
             "Authorization: Digest username=\"user0001\", realm=\"lab.synth.test\", nonce=\"1\", "
             "uri=\"sip:lab.synth.test\", response=\"00\"\r\n", 1);
    parse_into(&w);
    assert_int_equal(lab_ntlm_check(n, 3, &w.m, false, &ssa, &e), LAB_NTLM_CHALLENGE);
    /* A malformed NTLM header, and an AUTHENTICATE that is not one. */
    snprintf(w.buf, sizeof(w.buf), req_fmt, 1, "Authorization: NTLM qop=\"auth\", realm=\"x\r\n", 1);
    parse_into(&w);
    assert_int_equal(lab_ntlm_check(n, 3, &w.m, false, &ssa, &e), LAB_NTLM_MALFORMED);
    sipae_sa_init(&sa, 0);
    challenge_client(n, NULL, &sa, "LAB\\user0001", "synth-lab", 0);
    client_req(&w, &sa, 2);
    assert_int_equal(lab_ntlm_check(n, 3, &w.m, false, &ssa, &e), LAB_NTLM_CONTINUE);
    char bogus[512];
    snprintf(bogus, sizeof(bogus),
             "Authorization: NTLM qop=\"auth\", opaque=\"%s\", realm=\"SIP Communications Service\", "
             "targetname=\"fe.lab.synth.test\", gssapi-data=\"TlRMTVNTUAADAAAA\"\r\n", ssa->opaque);
    snprintf(w.buf, sizeof(w.buf), req_fmt, 3, bogus, 3);
    parse_into(&w);
    assert_int_equal(lab_ntlm_check(n, 3, &w.m, false, &ssa, &e), LAB_NTLM_MALFORMED);
    sipae_sa_reset(&sa);

    /* Signed in as a user the lab does not have (the UPN form). */
    assert_int_equal(sign_in(n, 5, &sa, "user0404@lab.synth.test", "synth-lab", &ssa, &e),
                     LAB_NTLM_NO_USER);
    assert_non_null(strstr(e.msg, "user0404"));
    sipae_sa_reset(&sa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sign_in_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
