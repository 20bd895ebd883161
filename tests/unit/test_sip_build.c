/* Unit tests: SIP message building (synth/sip/build.c): the exact bytes of
 * requests and responses, and the random tokens of tags, branches and
 * Call-IDs, which must be unique across calls, threads and forked processes. */
#include "synth/sip/build.h"
#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define TOKENS 20000
#define TOKEN_SIZE 17 /* 8 random bytes, as tags are */

static int cmp_token(const void *a, const void *b)
{
    return memcmp(a, b, TOKEN_SIZE);
}

static void fill(char (*t)[TOKEN_SIZE], size_t n)
{
    for (size_t i = 0; i < n; i++)
        sip_random_token(t[i], TOKEN_SIZE);
}

/* No two equal among n (sorts t). */
static void assert_unique(char (*t)[TOKEN_SIZE], size_t n)
{
    qsort(t, n, TOKEN_SIZE, cmp_token);
    for (size_t i = 1; i < n; i++)
        if (memcmp(t[i - 1], t[i], TOKEN_SIZE) == 0)
            fail_msg("token %s repeated", t[i]);
}

static void token_format(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 17, 25, 33, 64, 65, 80};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char buf[96];
        memset(buf, '#', sizeof(buf));
        sip_random_token(buf, sizes[k]);
        size_t want = (sizes[k] - 1) / 2 * 2;
        if (want > 64)
            want = 64;
        assert_int_equal(strlen(buf), want);
        assert_int_equal(strspn(buf, "0123456789abcdef"), want);
        assert_int_equal(buf[want + 1], '#'); /* nothing written past the NUL */
    }
    /* Every hex digit shows up in every position: no stuck nibble. */
    unsigned seen[16] = {0};
    for (int i = 0; i < 4000; i++) {
        char t[TOKEN_SIZE];
        sip_random_token(t, sizeof(t));
        for (int j = 0; j < 16; j++)
            seen[j] |= 1u << (t[j] <= '9' ? t[j] - '0' : t[j] - 'a' + 10);
    }
    for (int j = 0; j < 16; j++)
        assert_int_equal(seen[j], 0xFFFF);
}

static void *thread_fill(void *arg)
{
    fill(arg, TOKENS);
    return NULL;
}

/* Each thread has its own generator: their streams must not overlap. */
static void tokens_unique_across_threads(void **state)
{
    (void)state;
    char (*t)[TOKEN_SIZE] = malloc(3 * TOKENS * TOKEN_SIZE);
    assert_non_null(t);
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, thread_fill, t), 0);
    assert_int_equal(pthread_create(&b, NULL, thread_fill, t + TOKENS), 0);
    fill(t + 2 * TOKENS, TOKENS);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_unique(t, 3 * TOKENS);
    free(t);
}

/* A forked child must not repeat its parent's tokens. */
static void tokens_unique_across_fork(void **state)
{
    (void)state;
    char (*t)[TOKEN_SIZE] = malloc(2 * TOKENS * TOKEN_SIZE);
    assert_non_null(t);
    int p[2];
    assert_int_equal(pipe(p), 0);
    char first[TOKEN_SIZE];
    sip_random_token(first, sizeof(first)); /* the parent's generator is seeded */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fill(t, TOKENS);
        ssize_t left = TOKENS * TOKEN_SIZE;
        const char *q = (const char *)t;
        while (left > 0) {
            ssize_t n = write(p[1], q, (size_t)left);
            if (n <= 0)
                _exit(1);
            q += n;
            left -= n;
        }
        _exit(0);
    }
    close(p[1]);
    fill(t + TOKENS, TOKENS);
    size_t got = 0;
    char *q = (char *)t;
    while (got < TOKENS * TOKEN_SIZE) {
        ssize_t n = read(p[0], q + got, TOKENS * TOKEN_SIZE - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_unique(t, 2 * TOKENS);
    free(t);
}

static void request_bytes(void **state)
{
    (void)state;
    char buf[SIP_BUILD_MAX];
    struct sbuf sb;
    struct sip_request_spec r = {
        .method = "INVITE",
        .ruri = "sip:service@127.0.0.1:5060",
        .via = "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc;rport",
        .from = "<sip:caller1@127.0.0.1>",
        .from_tag = "f1",
        .to = "<sip:service@127.0.0.1>",
        .to_tag = "t2",
        .call_id = "cid@h",
        .cseq = 4294967295u,
        .contact = "<sip:caller1@127.0.0.1:40000;transport=udp>",
        .routes = "<sip:p1;lr>,<sip:p2;lr>",
        .expires = 0,
        .extra = "Supported: timer\r\n",
        .content_type = "application/sdp",
        .body = "v=0\r\n",
        .body_len = 5,
    };
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sip_build_request(&sb, &r), 0);
    assert_string_equal(buf, "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc;rport\r\n"
                             "Max-Forwards: 70\r\n"
                             "Route: <sip:p1;lr>,<sip:p2;lr>\r\n"
                             "From: <sip:caller1@127.0.0.1>;tag=f1\r\n"
                             "To: <sip:service@127.0.0.1>;tag=t2\r\n"
                             "Call-ID: cid@h\r\n"
                             "CSeq: 4294967295 INVITE\r\n"
                             "Contact: <sip:caller1@127.0.0.1:40000;transport=udp>\r\n"
                             "Expires: 0\r\n"
                             "User-Agent: synth/" SYNTH_VERSION "\r\n"
                             "Supported: timer\r\n"
                             "Content-Type: application/sdp\r\n"
                             "Content-Length: 5\r\n\r\n"
                             "v=0\r\n");
    assert_int_equal(sb.len, strlen(buf));

    /* The optional parts left out. */
    r.method = "BYE";
    r.to_tag = NULL;
    r.contact = r.routes = r.extra = NULL;
    r.expires = -1;
    r.cseq = 2;
    r.body_len = 0;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sip_build_request(&sb, &r), 0);
    assert_string_equal(buf, "BYE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc;rport\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:caller1@127.0.0.1>;tag=f1\r\n"
                             "To: <sip:service@127.0.0.1>\r\n"
                             "Call-ID: cid@h\r\n"
                             "CSeq: 2 BYE\r\n"
                             "User-Agent: synth/" SYNTH_VERSION "\r\n"
                             "Content-Length: 0\r\n\r\n");

    /* Every buffer too short by any amount fails, NUL-terminated, in bounds. */
    size_t full = strlen(buf);
    for (size_t cap = 1; cap <= full; cap++) {
        char small[512];
        memset(small, '#', sizeof(small));
        sbuf_init(&sb, small, cap);
        assert_int_equal(sip_build_request(&sb, &r), SYNTH_ETOOBIG);
        assert_true(memchr(small, '\0', cap) != NULL);
        assert_int_equal(small[cap], '#');
    }
}

static void response_bytes(void **state)
{
    (void)state;
    static const char req_text[] =
        "BYE sip:caller1@127.0.0.1:40000 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\n"
        "Record-Route: <sip:p1;lr>\r\n"
        "From: <sip:service@127.0.0.1>;tag=t2\r\n"
        "To: <sip:caller1@127.0.0.1>\r\n"
        "Call-ID: cid@h\r\n"
        "CSeq: 7 BYE\r\n"
        "Content-Length: 0\r\n\r\n";
    struct sip_msg req;
    size_t used = 0;
    assert_int_equal(sip_msg_parse(&req, req_text, strlen(req_text), true, &used), 0);
    char buf[SIP_BUILD_MAX];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sip_build_response(&sb, &req, 200, NULL, "f1", "Allow: BYE\r\n", "text/plain",
                                        "hi", 2),
                     0);
    assert_string_equal(buf, "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\n"
                             "Record-Route: <sip:p1;lr>\r\n"
                             "From: <sip:service@127.0.0.1>;tag=t2\r\n"
                             "To: <sip:caller1@127.0.0.1>;tag=f1\r\n"
                             "Call-ID: cid@h\r\n"
                             "CSeq: 7 BYE\r\n"
                             "Server: synth/" SYNTH_VERSION "\r\n"
                             "Allow: BYE\r\n"
                             "Content-Type: text/plain\r\n"
                             "Content-Length: 2\r\n\r\n"
                             "hi");
    /* A final error: no Record-Route; the reason given wins. */
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sip_build_response(&sb, &req, 486, "Busy", NULL, NULL, NULL, NULL, 0), 0);
    assert_string_equal(buf, "SIP/2.0 486 Busy\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\n"
                             "From: <sip:service@127.0.0.1>;tag=t2\r\n"
                             "To: <sip:caller1@127.0.0.1>\r\n"
                             "Call-ID: cid@h\r\n"
                             "CSeq: 7 BYE\r\n"
                             "Server: synth/" SYNTH_VERSION "\r\n"
                             "Content-Length: 0\r\n\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_bytes),
        cmocka_unit_test(response_bytes),
        cmocka_unit_test(token_format),
        cmocka_unit_test(tokens_unique_across_threads),
        cmocka_unit_test(tokens_unique_across_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
