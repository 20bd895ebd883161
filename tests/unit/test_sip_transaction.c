/* Unit tests of the client transactions in synth/sip/ua.c against RFC 3261
 * 17.1: Timer A/B for INVITE (17.1.1.2), Timer E/F for non-INVITE (17.1.2.2),
 * the ACK of a non-2xx final (17.1.1.3), matching by branch and CSeq method
 * (17.1.3), and no retransmission over a reliable transport. The UA runs on
 * a real loopback socket with a small T1; a plain socket in the test is the
 * server and notes when each copy arrives. */
#include "synth/sip/msg.h"
#include "synth/sip/ua.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Small timers keep the suite quick; 64*T1 is still long against loop jitter. */
#define T1_MS 25
#define T2_MS (4 * T1_MS)
#define TIMEOUT_MS (64 * T1_MS) /* Timer B and Timer F */
/* A timer may fire a little early (clock granularity) and, under load
 * (sanitizers, two shared cores), late; a copy sent late makes the next gap
 * look short by as much. Late is bounded by a fixed part plus a share. */
#define EARLY_MS 10
#define LATE_FIXED_MS 15
#define LATE_SHARE 0.25

#define COPIES_MAX 128
#define RECV_MAX 65536

struct copy {
    int64_t t_us;
    char method[16];
    char branch[64];
    char to[160];
    uint32_t cseq;
    char cseq_method[16];
};

struct harness;
typedef void(request_h)(struct harness *h, size_t idx, const struct sip_msg *m);

struct harness {
    struct event_base *base;
    enum sip_transport transport;
    int fd;      /* UDP server socket, or TCP listener */
    int conn_fd; /* accepted TCP connection */
    struct event *ev, *conn_ev;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char last_reply[2048]; /* the last response the server sent */
    size_t last_reply_len;
    char stream[RECV_MAX];
    size_t stream_len;
    uint16_t port;

    struct sip_ua *ua;
    const char *method;
    int connect_err;
    int64_t sent_us; /* when sip_ua_request returned */

    struct copy copy[COPIES_MAX];
    size_t copies; /* every request received, ACKs included */
    request_h *on_request;
    int policy_status;        /* what the default policies answer */

    /* The transaction's handler calls. */
    int finals;       /* a final response or an error */
    int provisionals;
    int last_err;
    uint16_t last_status;
    int64_t final_us;

    /* Responses that matched no transaction (the request handler). */
    int strays;
    uint16_t stray_status;
};

/* Wall-clock time: the kernel stamps datagrams with it (SO_TIMESTAMPNS),
 * so both sides are read on the same clock. */
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the server side -------------------------------------------------- */

static void strv_to(struct strv v, char *out, size_t size)
{
    if (strv_copy(v, out, size) != 0)
        out[0] = '\0';
}

static void note_request(struct harness *h, const struct sip_msg *m, int64_t t_us)
{
    assert_true(h->copies < COPIES_MAX);
    struct copy *c = &h->copy[h->copies];
    c->t_us = t_us;
    strv_to(m->method, c->method, sizeof(c->method));
    strv_to(m->via.branch, c->branch, sizeof(c->branch));
    const struct sip_hdr *to = sip_msg_hdr(m, SIP_HDR_TO, NULL);
    if (to)
        strv_to(to->value, c->to, sizeof(c->to));
    c->cseq = m->cseq;
    strv_to(m->cseq_method, c->cseq_method, sizeof(c->cseq_method));
    size_t idx = h->copies++;
    if (h->on_request)
        h->on_request(h, idx, m);
}

static void server_send(struct harness *h, const char *buf, size_t len)
{
    ssize_t n;
    if (h->transport == SIP_TRANSPORT_UDP)
        n = sendto(h->fd, buf, len, 0, (struct sockaddr *)&h->peer, h->peer_len);
    else
        n = send(h->conn_fd, buf, len, 0);
    assert_int_equal(n, (ssize_t)len);
}

/* What a response may change against the request, to test matching. */
struct resp_edit {
    const char *branch;      /* replaces the Via branch */
    const char *call_id;     /* replaces the Call-ID */
    const char *cseq_method; /* replaces the CSeq method */
};

/* A response written by hand from the request's values (not with our
 * builder, so a bug shared by builder and UA cannot hide). */
static void reply(struct harness *h, const struct sip_msg *m, uint16_t status,
                  const struct resp_edit *e)
{
    char via[256], from[256], to[256], call_id[128], method[16], branch[64];
    strv_to(sip_msg_hdr(m, SIP_HDR_VIA, NULL)->value, via, sizeof(via));
    strv_to(sip_msg_hdr(m, SIP_HDR_FROM, NULL)->value, from, sizeof(from));
    strv_to(sip_msg_hdr(m, SIP_HDR_TO, NULL)->value, to, sizeof(to));
    strv_to(m->call_id, call_id, sizeof(call_id));
    strv_to(m->cseq_method, method, sizeof(method));
    strv_to(m->via.branch, branch, sizeof(branch));
    if (e && e->branch) {
        char *b = strstr(via, branch);
        assert_non_null(b);
        char rest[256];
        snprintf(rest, sizeof(rest), "%s", b + strlen(branch));
        snprintf(b, sizeof(via) - (size_t)(b - via), "%s%s", e->branch, rest);
    }
    char buf[2048];
    int n = snprintf(buf, sizeof(buf),
                     "SIP/2.0 %u Whatever\r\n"
                     "Via: %s\r\n"
                     "From: %s\r\n"
                     "To: %s%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %u %s\r\n"
                     "Content-Length: 0\r\n\r\n",
                     status, via, from, to, status > 100 ? ";tag=srv1" : "",
                     e && e->call_id ? e->call_id : call_id, m->cseq,
                     e && e->cseq_method ? e->cseq_method : method);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    memcpy(h->last_reply, buf, (size_t)n);
    h->last_reply_len = (size_t)n;
    server_send(h, buf, (size_t)n);
}

/* Datagrams are timed by the kernel on arrival, not when the loop gets to
 * them, so a busy machine delays the reading but not the measurement. */
static void udp_read(evutil_socket_t fd, short what, void *arg)
{
    struct harness *h = arg;
    char buf[RECV_MAX];
    char ctl[CMSG_SPACE(sizeof(struct timespec))];
    for (;;) {
        struct iovec iov = {buf, sizeof(buf)};
        struct msghdr mh = {
            .msg_name = &h->peer,
            .msg_namelen = sizeof(h->peer),
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = ctl,
            .msg_controllen = sizeof(ctl),
        };
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n <= 0)
            return;
        h->peer_len = mh.msg_namelen;
        int64_t t_us = now_us();
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                t_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
            }
        }
        struct sip_msg m;
        size_t used;
        assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, true, &used), 0);
        assert_true(m.is_request);
        note_request(h, &m, t_us);
    }
}

static void tcp_read(evutil_socket_t fd, short what, void *arg)
{
    struct harness *h = arg;
    ssize_t n = recv(fd, h->stream + h->stream_len, sizeof(h->stream) - h->stream_len,
                     MSG_DONTWAIT);
    if (n <= 0) {
        event_del(h->conn_ev);
        return;
    }
    h->stream_len += (size_t)n;
    for (;;) {
        struct sip_msg m;
        size_t used = 0;
        int rc = sip_msg_parse(&m, h->stream, h->stream_len, false, &used);
        if (rc == SYNTH_EINCOMPLETE)
            return;
        assert_int_equal(rc, 0);
        note_request(h, &m, now_us());
        memmove(h->stream, h->stream + used, h->stream_len - used);
        h->stream_len -= used;
    }
}

static void tcp_accept(evutil_socket_t fd, short what, void *arg)
{
    struct harness *h = arg;
    h->conn_fd = accept(fd, NULL, NULL);
    assert_true(h->conn_fd >= 0);
    h->conn_ev = event_new(h->base, h->conn_fd, EV_READ | EV_PERSIST, tcp_read, h);
    assert_non_null(h->conn_ev);
    event_add(h->conn_ev, NULL);
}

static void server_open(struct harness *h)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bool udp = h->transport == SIP_TRANSPORT_UDP;
    h->fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    assert_true(h->fd >= 0);
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
    h->port = ntohs(a.sin_port);
    if (udp) {
        int one = 1;
        assert_int_equal(setsockopt(h->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)), 0);
    } else {
        assert_int_equal(listen(h->fd, 4), 0);
    }
    h->ev = event_new(h->base, h->fd, EV_READ | EV_PERSIST, udp ? udp_read : tcp_accept, h);
    assert_non_null(h->ev);
    event_add(h->ev, NULL);
}

/* ---- the client side -------------------------------------------------- */

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
    struct harness *h = arg;
    if (err == 0 && msg->status < 200) {
        h->provisionals++;
        h->last_status = msg->status;
        return;
    }
    h->finals++;
    h->last_err = err;
    h->last_status = err ? 0 : msg->status;
    h->final_us = now_us();
}

static bool on_stray(struct sip_ua *ua, const struct sip_msg *msg, void *arg)
{
    struct harness *h = arg;
    if (!msg->is_request) {
        h->strays++;
        h->stray_status = msg->status;
    }
    return true;
}

static void send_request(struct harness *h)
{
    char ruri[64];
    snprintf(ruri, sizeof(ruri), "sip:uas@127.0.0.1:%u", h->port);
    struct sip_request_spec spec = {
        .method = h->method,
        .ruri = ruri,
        .from = "<sip:uac@synth.test>",
        .from_tag = "uac1",
        .to = "<sip:uas@synth.test>",
        .call_id = "ctrans-test-1",
        .cseq = 1,
        .contact = sip_ua_contact(h->ua),
        .expires = -1,
    };
    assert_int_equal(sip_ua_request(h->ua, &spec, on_response, h, NULL), 0);
    h->sent_us = now_us();
}

static void ua_connected(int err, void *arg)
{
    struct harness *h = arg;
    h->connect_err = err;
    if (err == 0)
        send_request(h);
}

/* Sends `method` over `transport` and runs the loop for window_ms. */
static void run(struct harness *h, enum sip_transport transport, const char *method,
                request_h *policy, uint32_t window_ms)
{
    h->base = event_base_new();
    assert_non_null(h->base);
    h->transport = transport;
    h->method = method;
    h->on_request = policy;
    h->conn_fd = -1;
    h->connect_err = -1;
    server_open(h);

    struct sip_ua_opts o = {
        .conn = {.transport = transport, .connect_timeout_ms = 2000, .dscp = -1},
        .timers = {.t1_ms = T1_MS, .t2_ms = T2_MS},
        .contact_user = "uac",
    };
    struct sockaddr_in *a = (struct sockaddr_in *)&o.conn.remote.ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(h->port);
    o.conn.remote.len = sizeof(*a);
    struct synth_error err;
    assert_int_equal(sip_ua_new(&h->ua, h->base, &o, ua_connected, NULL, h, &err), 0);
    sip_ua_set_request_handler(h->ua, on_stray, h);

    struct timeval tv = {window_ms / 1000, (window_ms % 1000) * 1000};
    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
    assert_int_equal(h->connect_err, 0);
}

static int teardown(void **state)
{
    struct harness *h = *state;
    sip_ua_free(h->ua);
    if (h->conn_ev)
        event_free(h->conn_ev);
    if (h->conn_fd >= 0)
        close(h->conn_fd);
    if (h->ev)
        event_free(h->ev);
    if (h->fd >= 0)
        close(h->fd);
    if (h->base)
        event_base_free(h->base);
    free(h);
    return 0;
}

static int setup(void **state)
{
    struct harness *h = calloc(1, sizeof(*h));
    if (!h)
        return -1;
    h->fd = -1;
    h->conn_fd = -1;
    *state = h;
    return 0;
}

/* ---- assertions ------------------------------------------------------- */

static void assert_ms(int64_t got_us, uint32_t want_ms, const char *what, size_t i)
{
    double got = (double)got_us / 1000.0;
    double lo = (double)want_ms - EARLY_MS;
    double hi = (double)want_ms + LATE_FIXED_MS + LATE_SHARE * want_ms;
    if (got < lo || got > hi)
        fail_msg("%s %zu: %.1f ms, want %u ms (accepted %.0f..%.0f)", what, i, got, want_ms, lo,
                 hi);
}

/* Copies of the request itself (not ACKs), in arrival order. */
static size_t request_copies(const struct harness *h, size_t *idx, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->copies && n < max; i++)
        if (strcmp(h->copy[i].method, h->method) == 0)
            idx[n++] = i;
    return n;
}

/* The gaps between successive copies must be want[0], want[1], ... With
 * last_may_miss the last copy, due one T1 before Timer F, may lose that race
 * when a loaded machine runs every timer a little late: the copies that came
 * are still checked, and the timeout on its own. */
static void assert_schedule(const struct harness *h, const uint32_t *want, size_t count,
                            bool last_may_miss)
{
    size_t idx[COPIES_MAX];
    size_t n = request_copies(h, idx, COPIES_MAX);
    if (n != count + 1 && !(last_may_miss && n == count))
        fail_msg("%s: %zu copies arrived, want %zu", h->method, n, count + 1);
    for (size_t i = 0; i + 1 < n; i++) {
        assert_string_equal(h->copy[idx[i + 1]].branch, h->copy[idx[0]].branch);
        assert_ms(h->copy[idx[i + 1]].t_us - h->copy[idx[i]].t_us, want[i], "interval", i + 1);
    }
}

static void assert_intervals(const struct harness *h, const uint32_t *want, size_t count)
{
    assert_schedule(h, want, count, false);
}

static void assert_timed_out_once(const struct harness *h)
{
    assert_int_equal(h->finals, 1);
    assert_int_equal(h->last_err, SYNTH_ETIMEDOUT);
    assert_ms(h->final_us - h->sent_us, TIMEOUT_MS, "timeout after", 0);
}

/* ---- INVITE (17.1.1.2) ------------------------------------------------ */

/* No answer: Timer A doubles from T1 without a cap (T1, 2T1 ... 32T1: seven
 * copies in 63*T1), Timer B ends it at 64*T1 with one timeout. */
static void test_invite_timer_a_doubles_until_timer_b(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "INVITE", NULL, TIMEOUT_MS + 6 * T1_MS);
    const uint32_t want[] = {T1_MS, 2 * T1_MS, 4 * T1_MS, 8 * T1_MS, 16 * T1_MS, 32 * T1_MS};
    assert_intervals(h, want, 6);
    assert_timed_out_once(h);
    assert_int_equal(h->provisionals, 0);
}

static void answer_first_with_provisional(struct harness *h, size_t idx, const struct sip_msg *m)
{
    if (idx == 0)
        reply(h, m, (uint16_t)h->policy_status, NULL);
}

/* A provisional moves the INVITE to Proceeding: no copy after it (not even
 * the one Timer A had already scheduled), and Timer B no longer applies:
 * a ringing INVITE waits for the TU (the call step's CANCEL deadline). */
static void test_invite_provisional_stops_retransmissions(void **state)
{
    struct harness *h = *state;
    h->policy_status = 180;
    run(h, SIP_TRANSPORT_UDP, "INVITE", answer_first_with_provisional, TIMEOUT_MS + 8 * T1_MS);
    size_t idx[COPIES_MAX];
    size_t n = request_copies(h, idx, COPIES_MAX);
    if (n != 1)
        fail_msg("%zu INVITE copies after a 180 at once, want 1 (the first %s +%.1f ms)", n,
                 n > 1 ? "retransmission came" : "",
                 n > 1 ? (double)(h->copy[idx[1]].t_us - h->copy[idx[0]].t_us) / 1000.0 : 0.0);
    assert_int_equal(h->provisionals, 1);
    assert_int_equal(h->last_status, 180);
    if (h->finals != 0)
        fail_msg("a ringing INVITE ended after %.0f ms (err %d): Timer B fires in Calling only",
                 (double)(h->final_us - h->sent_us) / 1000.0, h->last_err);
}

/* A 100 Trying that arrives after some retransmissions stops them too. */
static void answer_third_with_trying(struct harness *h, size_t idx, const struct sip_msg *m)
{
    if (idx == 2)
        reply(h, m, 100, NULL);
}

static void test_invite_late_trying_stops_retransmissions(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "INVITE", answer_third_with_trying, 3 * T1_MS + 16 * T1_MS);
    const uint32_t want[] = {T1_MS, 2 * T1_MS};
    assert_intervals(h, want, 2);
    assert_int_equal(h->provisionals, 1);
    assert_int_equal(h->finals, 0);
}

/* 17.1.1.3: a non-2xx final is ACKed on the INVITE's branch with the
 * response's To tag; a retransmitted final is ACKed again and not reported
 * twice; no INVITE copies after the final. */
static void busy_and_repeat(struct harness *h, size_t idx, const struct sip_msg *m)
{
    if (idx == 0) {
        reply(h, m, 486, NULL);
    } else if (idx == 1 && strv_eq(m->method, "ACK")) {
        /* As if our ACK was lost: the UAS sends its final again, byte for byte. */
        server_send(h, h->last_reply, h->last_reply_len);
    }
}

static void test_invite_non2xx_acked_and_reported_once(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "INVITE", busy_and_repeat, 20 * T1_MS);
    assert_int_equal(h->copies, 3); /* INVITE, ACK, ACK for the repeated 486 */
    assert_string_equal(h->copy[0].method, "INVITE");
    for (size_t i = 1; i < 3; i++) {
        assert_string_equal(h->copy[i].method, "ACK");
        assert_string_equal(h->copy[i].branch, h->copy[0].branch);
        assert_int_equal(h->copy[i].cseq, h->copy[0].cseq);
        assert_string_equal(h->copy[i].cseq_method, "ACK");
        assert_non_null(strstr(h->copy[i].to, ";tag=srv1"));
    }
    assert_int_equal(h->finals, 1);
    assert_int_equal(h->last_err, 0);
    assert_int_equal(h->last_status, 486);
}

/* A 2xx ends the INVITE transaction at once (17.1.1.2); the UAS's repeat
 * of it is the dialog's business (13.2.2.4) and reaches the request handler. */
static void ok_and_repeat(struct harness *h, size_t idx, const struct sip_msg *m)
{
    if (idx != 0)
        return;
    reply(h, m, 200, NULL);
    server_send(h, h->last_reply, h->last_reply_len);
}

static void test_invite_2xx_ends_transaction(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "INVITE", ok_and_repeat, 20 * T1_MS);
    assert_intervals(h, NULL, 0);
    assert_int_equal(h->copies, 1); /* no ACK from the transaction: the TU sends it */
    assert_int_equal(h->finals, 1);
    assert_int_equal(h->last_status, 200);
    assert_int_equal(h->strays, 1);
    assert_int_equal(h->stray_status, 200);
}

/* ---- non-INVITE (17.1.2.2) -------------------------------------------- */

/* No answer: Timer E doubles from T1 and stays at T2 (T1, 2T1, 4T1 = T2,
 * T2...), Timer F ends it at 64*T1. */
static void test_non_invite_timer_e_capped_at_t2_until_timer_f(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "OPTIONS", NULL, TIMEOUT_MS + 6 * T1_MS);
    /* Copies at 0, 1, 3, 7, 11, ... 63 T1: three doublings, then 14 at T2. */
    uint32_t want[3 + 14];
    want[0] = T1_MS;
    want[1] = 2 * T1_MS;
    for (size_t i = 2; i < sizeof(want) / sizeof(want[0]); i++)
        want[i] = T2_MS;
    assert_schedule(h, want, sizeof(want) / sizeof(want[0]), true);
    assert_timed_out_once(h);
}

/* After a provisional a non-INVITE keeps retransmitting, every T2 (the
 * copy already scheduled still goes), and Timer F still ends it. */
static void test_non_invite_provisional_retransmits_at_t2(void **state)
{
    struct harness *h = *state;
    h->policy_status = 100;
    run(h, SIP_TRANSPORT_UDP, "OPTIONS", answer_first_with_provisional, TIMEOUT_MS + 6 * T1_MS);
    /* Copies at 0, T1, then T1 + k*T2 up to 61 T1: 1 + 15 intervals. */
    uint32_t want[16];
    want[0] = T1_MS;
    for (size_t i = 1; i < 16; i++)
        want[i] = T2_MS;
    assert_schedule(h, want, 16, true);
    assert_int_equal(h->provisionals, 1);
    assert_timed_out_once(h);
}

static void ok_on_third(struct harness *h, size_t idx, const struct sip_msg *m)
{
    if (idx == 2)
        reply(h, m, 200, NULL);
}

/* A final response ends it: no copy after it, one call of the handler. */
static void test_non_invite_final_stops_retransmissions(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "OPTIONS", ok_on_third, 3 * T1_MS + 16 * T1_MS);
    const uint32_t want[] = {T1_MS, 2 * T1_MS};
    assert_intervals(h, want, 2);
    assert_int_equal(h->finals, 1);
    assert_int_equal(h->last_err, 0);
    assert_int_equal(h->last_status, 200);
    assert_ms(h->final_us - h->copy[2].t_us, 0, "final after the third copy", 0);
}

/* ---- matching (17.1.3) ------------------------------------------------ */

/* The first answers carry another branch, or the right branch with the
 * CSeq method of a CANCEL: neither belongs to the transaction, which keeps
 * retransmitting. Then the right branch with a different Call-ID: the
 * branch and method alone decide, so that one completes it. */
static void match_policy(struct harness *h, size_t idx, const struct sip_msg *m)
{
    struct resp_edit other_branch = {.branch = "z9hG4bKnot-ours"};
    struct resp_edit cancel_method = {.cseq_method = "CANCEL"};
    struct resp_edit other_call = {.call_id = "another-call-id"};
    if (idx == 0)
        reply(h, m, 200, &other_branch);
    else if (idx == 1)
        reply(h, m, 200, &cancel_method);
    else if (idx == 2)
        reply(h, m, 200, &other_call);
}

static void test_response_matched_by_branch_and_method(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_UDP, "OPTIONS", match_policy, 3 * T1_MS + 16 * T1_MS);
    const uint32_t want[] = {T1_MS, 2 * T1_MS};
    assert_intervals(h, want, 2);
    assert_int_equal(h->strays, 2); /* the two that did not match went to the UA's handler */
    assert_int_equal(h->finals, 1);
    assert_int_equal(h->last_status, 200);
}

/* ---- reliable transports (17.1.1.2, 17.1.2.2: no Timer A/E) ------------ */

static void test_tcp_invite_not_retransmitted(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_TCP, "INVITE", NULL, TIMEOUT_MS + 6 * T1_MS);
    assert_intervals(h, NULL, 0);
    assert_timed_out_once(h);
}

static void test_tcp_non_invite_not_retransmitted(void **state)
{
    struct harness *h = *state;
    run(h, SIP_TRANSPORT_TCP, "OPTIONS", NULL, TIMEOUT_MS + 6 * T1_MS);
    assert_intervals(h, NULL, 0);
    assert_timed_out_once(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_invite_timer_a_doubles_until_timer_b, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invite_provisional_stops_retransmissions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invite_late_trying_stops_retransmissions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invite_non2xx_acked_and_reported_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invite_2xx_ends_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_invite_timer_e_capped_at_t2_until_timer_f,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_invite_provisional_retransmits_at_t2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_non_invite_final_stops_retransmissions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_response_matched_by_branch_and_method, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tcp_invite_not_retransmitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_non_invite_not_retransmitted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
