/* Unit tests of [MS-TURN]'s pseudo-TLS (synth/turn/pseudo_tls.c) and of the
 * TURN client that opens its TCP connection with it: the two records byte
 * by byte against their TLS 1.0 fields (RFC 2246 7.4: record header,
 * handshake header, version, random, session id, cipher suite 0x0018,
 * null compression, ServerHelloDone), the checks' answers for a prefix, a
 * wrong byte and the free fields; then a client against a TCP server in
 * the test: nothing after the ClientHello until the answer, the framed
 * Allocate right after it, a server answering something else failing the
 * allocation as pseudo-tls at once, and the handshake refused over UDP. */
#include "synth/base/err.h"
#include "synth/base/net_addr.h"
#include "synth/turn/msturn_msg.h"
#include "synth/turn/pseudo_tls.h"
#include "synth/turn/turn_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void test_client_hello_fields(void **state)
{
    (void)state;
    uint8_t a[PSEUDO_TLS_CLIENT_HELLO_LEN], b[PSEUDO_TLS_CLIENT_HELLO_LEN];
    pseudo_tls_client_hello(a);
    pseudo_tls_client_hello(b);
    /* Record: handshake (22), TLS 1.0, 45 bytes; ClientHello (1), 41 bytes. */
    const uint8_t head[] = {0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x01};
    assert_memory_equal(a, head, sizeof(head));
    assert_int_equal(5 + 0x2d, sizeof(a));
    /* No session id, one suite (2 bytes) 0x0018, one compression: null. */
    const uint8_t tail[] = {0x00, 0x00, 0x02, 0x00, 0x18, 0x01, 0x00};
    assert_memory_equal(a + 43, tail, sizeof(tail));
    assert_memory_not_equal(a + 11, b + 11, 32); /* the random is fresh */
    assert_int_equal(pseudo_tls_check_client_hello(a, sizeof(a), NULL), 0);
}

static void test_server_hello_fields(void **state)
{
    (void)state;
    uint8_t a[PSEUDO_TLS_SERVER_HELLO_LEN], b[PSEUDO_TLS_SERVER_HELLO_LEN];
    pseudo_tls_server_hello(a);
    pseudo_tls_server_hello(b);
    /* One record of 78 bytes: ServerHello (2) of 70, then ServerHelloDone. */
    const uint8_t head[] = {0x16, 0x03, 0x01, 0x00, 0x4e, 0x02, 0x00, 0x00, 0x46, 0x03, 0x01};
    assert_memory_equal(a, head, sizeof(head));
    assert_int_equal(5 + 0x4e, sizeof(a));
    assert_int_equal(4 + 0x46 + 4, 0x4e);
    assert_int_equal(a[43], 32); /* session id length */
    const uint8_t tail[] = {0x00, 0x18, 0x00, 0x0e, 0x00, 0x00, 0x00};
    assert_memory_equal(a + 76, tail, sizeof(tail));
    assert_memory_not_equal(a + 11, b + 11, 32);
    assert_memory_not_equal(a + 44, b + 44, 32);
    assert_int_equal(pseudo_tls_check_server_hello(a, sizeof(a), NULL), 0);
    assert_int_equal(pseudo_tls_check_server_hello(b, sizeof(b), NULL), 0);
}

static void test_checks(void **state)
{
    (void)state;
    uint8_t c[PSEUDO_TLS_CLIENT_HELLO_LEN], s[PSEUDO_TLS_SERVER_HELLO_LEN];
    pseudo_tls_client_hello(c);
    pseudo_tls_server_hello(s);
    size_t at = 0;
    for (size_t n = 0; n < sizeof(c); n++)
        assert_int_equal(pseudo_tls_check_client_hello(c, n, NULL), SYNTH_EINCOMPLETE);
    for (size_t n = 0; n < sizeof(s); n++)
        assert_int_equal(pseudo_tls_check_server_hello(s, n, NULL), SYNTH_EINCOMPLETE);
    c[46] = 0x00;
    c[47] = 0x2f; /* another cipher suite */
    assert_int_equal(pseudo_tls_check_client_hello(c, sizeof(c), &at), SYNTH_EPARSE);
    assert_int_equal(at, 47);
    /* A wrong first byte is known at once, before the rest came. */
    const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n";
    assert_int_equal(pseudo_tls_check_server_hello(http, 4, &at), SYNTH_EPARSE);
    assert_int_equal(at, 0);
    /* The client's record is no answer: its handshake type is 1, not 2. */
    pseudo_tls_client_hello(c);
    assert_int_equal(pseudo_tls_check_server_hello(c, sizeof(c), &at), SYNTH_EPARSE);
    assert_int_equal(at, 4);
    s[80] = 0x01; /* ServerHelloDone with a body */
    assert_int_equal(pseudo_tls_check_server_hello(s, sizeof(s), &at), SYNTH_EPARSE);
    assert_int_equal(at, 80);
}

/* ---- a TURN client against a TCP server in the test ---- */

struct harness {
    struct event_base *base;
    int listen_fd, conn_fd;
    struct turn_client *tc;
    int allocated, err;
    char cls[32];
};

static void on_allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                         void *arg)
{
    struct harness *h = arg;
    (void)info;
    h->allocated++;
    h->err = err;
    snprintf(h->cls, sizeof(h->cls), "%s", turn_result_class(err, res));
}

static void run_ms(struct harness *h, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
}

static void harness_start(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    h->conn_fd = -1;
    h->base = event_base_new();
    assert_non_null(h->base);
    h->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(h->listen_fd, (struct sockaddr *)&a, alen), 0);
    assert_int_equal(listen(h->listen_fd, 4), 0);
    assert_int_equal(getsockname(h->listen_fd, (struct sockaddr *)&a, &alen), 0);
    struct turn_client_opts o = {.transport = TURN_TRANSPORT_TCP,
                                 .dialect = TURN_DIALECT_MSTURN,
                                 .username = "alice",
                                 .password = "s3cret",
                                 .pseudo_tls = true,
                                 .rto_ms = 2000, /* no deadline within the test */
                                 .rc = 2,
                                 .rm = 2};
    memcpy(&o.server, &a, sizeof(a));
    o.server_len = alen;
    struct turn_client_handlers hd = {.allocated = on_allocated};
    struct synth_error e;
    assert_int_equal(turn_client_new(&h->tc, h->base, &o, &hd, h, &e), 0);
    assert_int_equal(turn_client_allocate(h->tc), 0);
    run_ms(h, 50);
    struct pollfd p = {.fd = h->listen_fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    h->conn_fd = accept(h->listen_fd, NULL, NULL);
    assert_true(h->conn_fd >= 0);
}

static void harness_free(struct harness *h)
{
    turn_client_free(h->tc);
    if (h->conn_fd >= 0)
        close(h->conn_fd);
    close(h->listen_fd);
    event_base_free(h->base);
}

/* What the client sent so far (the loop run meanwhile), at most cap bytes. */
static size_t server_read(struct harness *h, uint8_t *buf, size_t cap, int ms)
{
    size_t got = 0;
    for (int waited = 0; waited < ms && got < cap; waited += 10) {
        run_ms(h, 10);
        ssize_t n = recv(h->conn_fd, buf + got, cap - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
    }
    return got;
}

static void test_client_waits_for_answer(void **state)
{
    (void)state;
    struct harness h;
    harness_start(&h);
    uint8_t buf[512];
    /* Only the ClientHello, however long the server takes. */
    size_t n = server_read(&h, buf, sizeof(buf), 300);
    assert_int_equal(n, PSEUDO_TLS_CLIENT_HELLO_LEN);
    assert_int_equal(pseudo_tls_check_client_hello(buf, n, NULL), 0);
    uint8_t answer[PSEUDO_TLS_SERVER_HELLO_LEN];
    pseudo_tls_server_hello(answer);
    assert_int_equal(send(h.conn_fd, answer, sizeof(answer), 0), (ssize_t)sizeof(answer));
    /* Then the Allocate that waited, in its [MS-TURN] 2.1 control frame. */
    n = server_read(&h, buf, MSTURN_TCP_HEADER_LEN + 20, 1000);
    assert_int_equal(n, MSTURN_TCP_HEADER_LEN + 20);
    enum msturn_tcp_type type;
    size_t frame = 0;
    assert_int_equal(msturn_tcp_frame(buf, n, &type, &frame), 0);
    assert_int_equal(type, MSTURN_TCP_CONTROL);
    assert_int_equal((buf[4] << 8) | buf[5], MSTURN_ALLOCATE);
    assert_int_equal(h.allocated, 0); /* nobody answered the Allocate */
    harness_free(&h);
}

static void test_wrong_answer_fails(void **state)
{
    (void)state;
    struct harness h;
    harness_start(&h);
    uint8_t buf[512];
    assert_int_equal(server_read(&h, buf, sizeof(buf), 100), PSEUDO_TLS_CLIENT_HELLO_LEN);
    const char *http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(send(h.conn_fd, http, strlen(http), 0), (ssize_t)strlen(http));
    for (int i = 0; i < 100 && !h.allocated; i++)
        run_ms(&h, 10);
    assert_int_equal(h.allocated, 1);
    assert_int_equal(h.err, SYNTH_ETLS);
    assert_string_equal(h.cls, "pseudo-tls");
    /* Nothing of the Allocate went to a server that is no Edge. */
    assert_int_equal(recv(h.conn_fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    harness_free(&h);
}

static void test_udp_refused(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct turn_client_opts o = {.transport = TURN_TRANSPORT_UDP, .pseudo_tls = true};
    net_addr_from_ip(strv_from_cstr("127.0.0.1"), 3478, &o.server, &o.server_len);
    struct turn_client_handlers hd = {.allocated = on_allocated};
    struct turn_client *tc = NULL;
    struct synth_error e;
    assert_int_equal(turn_client_new(&tc, base, &o, &hd, NULL, &e), SYNTH_EINVAL);
    assert_null(tc);
    assert_non_null(strstr(e.msg, "pseudo-TLS"));
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello_fields),
        cmocka_unit_test(test_server_hello_fields),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_client_waits_for_answer),
        cmocka_unit_test(test_wrong_answer_fails),
        cmocka_unit_test(test_udp_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
