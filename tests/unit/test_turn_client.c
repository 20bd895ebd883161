/* Unit tests of the TURN client (synth/turn/turn_client.c) and the Binding
 * (stun_binding.c) against a small TURN responder in the test, on a real
 * loopback UDP socket: the 401 → credentials round, 438 stale nonce with the
 * new nonce, 486/508/401 reported with code and reason, the RFC 8489 6.2.1
 * retransmission schedule and its timeout, permissions, Send/Data
 * indications, ChannelBind and ChannelData both ways, refresh (on time by
 * itself) and release, a client freed from its own handler, and reading on
 * the owner's clock (turn_client_poll: kernel arrival stamps, answers still
 * handled, a free from inside the poll). The coturn
 * integration test (tests/integration/test_peers_coturn.sh) covers TCP and
 * a server we did not write. */
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/turn/stun_binding.h"
#include "synth/turn/stun_msg.h"
#include "synth/turn/turn_client.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define USER "alice"
#define PASS "s3cret"
#define REALM "synth.test"
#define RTO_MS 20
/* A timer may fire a little early and, on two shared cores under ASan,
 * late; a copy sent late makes the next gap look short by as much. */
#define EARLY_MS 5
#define LATE_FIXED_MS 15
#define LATE_SHARE 0.25
#define COPIES_MAX 64

enum policy {
    POLICY_OPEN,        /* answers everything, no authentication */
    POLICY_AUTH,        /* 401 first, then checks the credentials */
    POLICY_STALE_ONCE,  /* as AUTH, but the first authenticated request gets 438 */
    POLICY_QUOTA,       /* as AUTH, then 486 */
    POLICY_CAPACITY,    /* as AUTH, then 508 */
    POLICY_SILENT,      /* answers nothing */
    POLICY_DROP_TWO,    /* OPEN, but ignores the first two copies */
    POLICY_MISMATCH,    /* as AUTH, but the first client port gets 437 (5-tuple in use) */
};

struct copy {
    int64_t t_us;
    uint16_t method;
    enum stun_class cls;
    bool authed;
    char nonce[32];
    uint32_t lifetime; /* Refresh: the LIFETIME asked for */
    uint16_t src_port;
};

struct server {
    int fd;
    struct event *ev;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    enum policy policy;
    uint32_t grant_lifetime;
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    const char *nonce;
    bool sent_stale;
    struct copy copy[COPIES_MAX];
    size_t copies;
    /* What arrived for the relay. */
    uint8_t sent_data[256];
    size_t sent_len;
    bool got_send_indication, got_chandata;
    bool refuse_permissions; /* 403 to every CreatePermission from now on */
    uint16_t bound_channel;
    struct sockaddr_storage bound_peer;
    const struct sockaddr_storage *redirect_to; /* 300 Try Alternate to every Allocate */
    struct sockaddr_storage client; /* where the last request came from */
    socklen_t client_len;
    struct event *media_timer;      /* sends media_left ChannelData to client, one per 20 ms */
    int media_left;
    int64_t sent_us[8];             /* when media_timer_cb sent each, clock_mono_us() */
    int sent;
};

struct harness {
    struct event_base *base;
    struct server srv;
    struct server alt; /* a second server, for redirects (alt.fd 0: none) */
    struct turn_client *tc;
    int alloc_calls, alloc_err;
    struct turn_result alloc_res;
    struct turn_alloc_info info;
    int done_calls, done_err;
    struct turn_result done_res;
    int data_calls;
    uint8_t data[256];
    size_t data_len;
    struct sockaddr_storage data_peer;
    int64_t data_rx_us[8];  /* arrival times the data handler was given */
    bool free_in_handler;
    bool free_on_data;
    bool expect_failed;
    int failed_calls, failed_err;
    struct turn_result failed_res;
};

static struct sockaddr_storage peer_addr(void)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 40404, &ss, &len), 0);
    return ss;
}

static void reply(struct server *s, const struct sockaddr_storage *to, socklen_t to_len,
                  const struct stun_msg *req, uint16_t code, const char *reason, bool sign,
                  void (*extra)(struct server *, struct stun_enc *, const struct sockaddr_storage *))
{
    uint8_t out[1024];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, req->method,
                  code ? STUN_CLASS_ERROR : STUN_CLASS_SUCCESS, req->tid);
    if (code) {
        stun_enc_error_code(&e, code, reason);
        if (code == 401 || code == 438) {
            stun_enc_str(&e, STUN_ATTR_REALM, REALM);
            stun_enc_str(&e, STUN_ATTR_NONCE, s->nonce);
        }
        if (code == 300)
            stun_enc_addr(&e, STUN_ATTR_ALTERNATE_SERVER,
                          (const struct sockaddr *)s->redirect_to, false);
    } else if (extra) {
        extra(s, &e, to);
    }
    if (sign)
        stun_enc_integrity(&e, s->key, sizeof(s->key));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_true(sendto(s->fd, out, n, 0, (const struct sockaddr *)to, to_len) == (ssize_t)n);
}

static void allocate_attrs(struct server *s, struct stun_enc *e, const struct sockaddr_storage *to)
{
    struct sockaddr_storage relay;
    socklen_t len;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 55555, &relay, &len), 0);
    stun_enc_addr(e, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&relay, true);
    stun_enc_addr(e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)to, true);
    stun_enc_u32(e, STUN_ATTR_LIFETIME, s->grant_lifetime);
}

static void mapped_attr(struct server *s, struct stun_enc *e, const struct sockaddr_storage *to)
{
    (void)s;
    stun_enc_addr(e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)to, true);
}

static void lifetime_attr(struct server *s, struct stun_enc *e, const struct sockaddr_storage *to)
{
    (void)to;
    stun_enc_u32(e, STUN_ATTR_LIFETIME, s->grant_lifetime);
}

static void on_relay_data(struct server *s, const struct sockaddr_storage *from, socklen_t flen,
                          const uint8_t *buf, size_t n)
{
    uint16_t ch;
    const uint8_t *d;
    size_t dlen, used;
    if (stun_chandata_parse(buf, n, false, &ch, &d, &dlen, &used) != 0 || ch != s->bound_channel)
        return;
    s->got_chandata = true;
    memcpy(s->sent_data, d, dlen);
    s->sent_len = dlen;
    /* Echo it back on the same channel, reversed, so the test sees it is new data. */
    uint8_t rev[256], out[300];
    for (size_t i = 0; i < dlen; i++)
        rev[i] = d[dlen - 1 - i];
    size_t olen = 0;
    assert_int_equal(stun_chandata_encode(out, sizeof(out), ch, rev, dlen, false, &olen), 0);
    assert_true(sendto(s->fd, out, olen, 0, (const struct sockaddr *)from, flen) == (ssize_t)olen);
}

static void on_send_indication(struct server *s, const struct sockaddr_storage *from,
                               socklen_t flen, const struct stun_msg *m)
{
    struct sockaddr_storage peer;
    socklen_t plen;
    const struct stun_attr *data = stun_msg_attr(m, STUN_ATTR_DATA);
    assert_non_null(data);
    assert_int_equal(stun_attr_xor_addr(m, stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS), &peer,
                                        &plen), 0);
    s->got_send_indication = true;
    memcpy(s->sent_data, data->val, data->len);
    s->sent_len = data->len;
    /* The peer answers: a Data indication from the same peer. */
    uint8_t out[512], tid[STUN_TID_LEN];
    struct stun_enc e;
    size_t n = 0;
    assert_int_equal(stun_tid_new(tid), 0);
    stun_enc_init(&e, out, sizeof(out), NULL, TURN_METHOD_DATA, STUN_CLASS_INDICATION, tid);
    stun_enc_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer, true);
    stun_enc_attr(&e, STUN_ATTR_DATA, "pong", 4);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_true(sendto(s->fd, out, n, 0, (const struct sockaddr *)from, flen) == (ssize_t)n);
}

static void server_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    uint8_t buf[STUN_MSG_MAX];
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    (void)what;
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    if (n <= 0)
        return;
    struct stun_msg m;
    size_t used;
    if (stun_demux(buf, (size_t)n) == STUN_DEMUX_CHANNEL) {
        on_relay_data(s, &from, flen, buf, (size_t)n);
        return;
    }
    assert_int_equal(stun_msg_parse(&m, buf, (size_t)n, true, NULL, &used, NULL), 0);
    assert_int_equal(stun_msg_check_fingerprint(&m), m.cls == STUN_CLASS_INDICATION ? SYNTH_ENOTFOUND : 0);
    if (m.cls == STUN_CLASS_INDICATION) {
        assert_int_equal(m.method, TURN_METHOD_SEND);
        on_send_indication(s, &from, flen, &m);
        return;
    }
    s->client = from;
    s->client_len = flen;
    struct copy *c = &s->copy[s->copies < COPIES_MAX ? s->copies++ : COPIES_MAX - 1];
    memset(c, 0, sizeof(*c));
    c->t_us = clock_mono_us();
    c->method = m.method;
    c->cls = m.cls;
    c->authed = m.mi >= 0;
    c->src_port = net_addr_port(&from);
    strv_copy(stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_NONCE)), c->nonce, sizeof(c->nonce));
    (void)stun_attr_u32(stun_msg_attr(&m, STUN_ATTR_LIFETIME), &c->lifetime);

    if (s->redirect_to && m.method == TURN_METHOD_ALLOCATE) {
        reply(s, &from, flen, &m, 300, "Try Alternate", false, NULL);
        return;
    }
    bool sign = false;
    switch (s->policy) {
    case POLICY_SILENT:
        return;
    case POLICY_DROP_TWO:
        if (s->copies <= 2)
            return;
        break;
    case POLICY_OPEN:
        break;
    default:
        if (!c->authed) {
            reply(s, &from, flen, &m, 401, "Unauthorized", false, NULL);
            return;
        }
        char user[64];
        assert_int_equal(strv_copy(stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_USERNAME)), user,
                                   sizeof(user)), 0);
        assert_string_equal(user, USER);
        if (strcmp(c->nonce, s->nonce) != 0) {
            reply(s, &from, flen, &m, 438, "Stale Nonce", false, NULL);
            return;
        }
        if (stun_msg_check_integrity(&m, s->key, sizeof(s->key)) != 0) {
            reply(s, &from, flen, &m, 401, "Unauthorized", false, NULL);
            return;
        }
        if (s->policy == POLICY_STALE_ONCE && !s->sent_stale) {
            s->sent_stale = true;
            s->nonce = "nonce-2";
            reply(s, &from, flen, &m, 438, "Stale Nonce", false, NULL);
            return;
        }
        if (s->policy == POLICY_MISMATCH && m.method == TURN_METHOD_ALLOCATE &&
            c->src_port == s->copy[0].src_port) {
            reply(s, &from, flen, &m, 437, "Allocation Mismatch", true, NULL);
            return;
        }
        if (s->policy == POLICY_QUOTA && m.method == TURN_METHOD_ALLOCATE) {
            reply(s, &from, flen, &m, 486, "Allocation Quota Reached", true, NULL);
            return;
        }
        if (s->policy == POLICY_CAPACITY && m.method == TURN_METHOD_ALLOCATE) {
            reply(s, &from, flen, &m, 508, "Insufficient Capacity", true, NULL);
            return;
        }
        sign = true;
        break;
    }
    if (m.method == TURN_METHOD_CREATE_PERMISSION && s->refuse_permissions) {
        reply(s, &from, flen, &m, 403, "Forbidden", sign, NULL);
        return;
    }
    switch (m.method) {
    case TURN_METHOD_ALLOCATE:
        reply(s, &from, flen, &m, 0, NULL, sign, allocate_attrs);
        break;
    case STUN_METHOD_BINDING:
        reply(s, &from, flen, &m, 0, NULL, sign, mapped_attr);
        break;
    case TURN_METHOD_REFRESH:
        reply(s, &from, flen, &m, 0, NULL, sign, lifetime_attr);
        break;
    case TURN_METHOD_CHANNEL_BIND: {
        socklen_t plen;
        assert_int_equal(stun_attr_channel(stun_msg_attr(&m, STUN_ATTR_CHANNEL_NUMBER),
                                           &s->bound_channel), 0);
        assert_int_equal(stun_attr_xor_addr(&m, stun_msg_attr(&m, STUN_ATTR_XOR_PEER_ADDRESS),
                                            &s->bound_peer, &plen), 0);
        reply(s, &from, flen, &m, 0, NULL, sign, NULL);
        break;
    }
    default:
        reply(s, &from, flen, &m, 0, NULL, sign, NULL);
        break;
    }
}

static void server_open(struct event_base *base, struct server *s, enum policy policy)
{
    memset(s, 0, sizeof(*s));
    s->policy = policy;
    s->nonce = "nonce-1";
    s->grant_lifetime = 600;
    assert_int_equal(stun_key_long_term(strv_from_cstr(USER), strv_from_cstr(REALM),
                                        strv_from_cstr(PASS), s->key), 0);
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 0, &s->addr, &s->addr_len), 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&s->addr, s->addr_len), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&s->addr, &s->addr_len), 0);
    s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, server_cb, s);
    assert_non_null(s->ev);
    assert_int_equal(event_add(s->ev, NULL), 0);
}

static void server_start(struct harness *h, enum policy policy)
{
    server_open(h->base, &h->srv, policy);
}

static void on_allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                         void *arg)
{
    struct harness *h = arg;
    h->alloc_calls++;
    h->alloc_err = err;
    h->alloc_res = *res;
    if (info)
        h->info = *info;
    if (h->free_in_handler) {
        turn_client_free(h->tc);
        h->tc = NULL;
    }
    event_base_loopbreak(h->base);
}

static void on_done(int err, const struct turn_result *res, void *arg)
{
    struct harness *h = arg;
    h->done_calls++;
    h->done_err = err;
    h->done_res = *res;
    event_base_loopbreak(h->base);
}

static void on_data(const struct sockaddr_storage *peer, const uint8_t *data, size_t len,
                    int64_t rx_us, void *arg)
{
    struct harness *h = arg;
    if (h->data_calls < 8)
        h->data_rx_us[h->data_calls] = rx_us;
    h->data_calls++;
    h->data_peer = *peer;
    if (h->free_on_data) {
        turn_client_free(h->tc);
        h->tc = NULL;
    }
    memcpy(h->data, data, len < sizeof(h->data) ? len : sizeof(h->data));
    h->data_len = len;
    event_base_loopbreak(h->base);
}

static void on_failed(int err, const struct turn_result *res, void *arg)
{
    struct harness *h = arg;
    if (!h->expect_failed)
        fail_msg("the allocation failed: %s %u", synth_strerror(err), res->code);
    h->failed_calls++;
    h->failed_err = err;
    h->failed_res = *res;
    event_base_loopbreak(h->base);
}

/* Runs the loop until a handler breaks it, or ms pass. */
static void run_for(struct harness *h, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
}

static void harness_init_opts(struct harness *h, enum policy policy, const char *password,
                              uint32_t permission_refresh_ms);

static void harness_init(struct harness *h, enum policy policy, const char *password)
{
    harness_init_opts(h, policy, password, 0);
}

static void harness_init_opts(struct harness *h, enum policy policy, const char *password,
                              uint32_t permission_refresh_ms)
{
    memset(h, 0, sizeof(*h));
    h->base = event_base_new();
    assert_non_null(h->base);
    server_start(h, policy);
    struct turn_client_opts o = {
        .transport = TURN_TRANSPORT_UDP,
        .server = h->srv.addr,
        .server_len = h->srv.addr_len,
        .username = USER,
        .password = password,
        .software = "synth test",
        .rto_ms = RTO_MS,
        .permission_refresh_ms = permission_refresh_ms,
    };
    struct turn_client_handlers hs = {on_allocated, on_data, on_failed};
    struct synth_error err;
    assert_int_equal(turn_client_new(&h->tc, h->base, &o, &hs, h, &err), 0);
}

static void harness_free(struct harness *h)
{
    turn_client_free(h->tc);
    event_free(h->srv.ev);
    close(h->srv.fd);
    if (h->alt.ev) {
        event_free(h->alt.ev);
        close(h->alt.fd);
    }
    event_base_free(h->base);
}

static void allocate(struct harness *h)
{
    assert_int_equal(turn_client_allocate(h->tc), 0);
    run_for(h, 3000);
    assert_int_equal(h->alloc_calls, 1);
}

static void test_allocate_with_credentials(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 0);
    assert_string_equal(turn_result_class(h.alloc_err, &h.alloc_res), "ok");
    assert_int_equal(net_addr_port(&h.info.relayed), 55555);
    assert_int_equal(h.info.lifetime_s, 600);
    assert_int_equal(h.info.requests, 2);
    assert_true(h.info.allocate_us > 0 && h.info.allocate_us < 1000000);
    /* The mapped address is our socket as the server saw it. */
    assert_int_equal(h.info.mapped.ss_family, AF_INET);
    assert_int_not_equal(net_addr_port(&h.info.mapped), 0);
    assert_int_equal(h.srv.copies, 2);
    assert_false(h.srv.copy[0].authed);
    assert_true(h.srv.copy[1].authed);
    assert_string_equal(h.srv.copy[1].nonce, "nonce-1");
    harness_free(&h);
}

static void test_stale_nonce_retried(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_STALE_ONCE, PASS);
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 0);
    assert_int_equal(h.srv.copies, 3);
    assert_string_equal(h.srv.copy[1].nonce, "nonce-1");
    assert_string_equal(h.srv.copy[2].nonce, "nonce-2");
    assert_true(turn_client_stats(h.tc)->stale_nonces == 1);
    harness_free(&h);
}

/* A 437: the client tries once more from a new local port, from the 401 on. */
static void test_mismatch_new_port(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_MISMATCH, PASS);
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 0);
    assert_int_equal(h.srv.copies, 4);
    assert_int_equal(h.srv.copy[1].src_port, h.srv.copy[0].src_port);
    assert_int_not_equal(h.srv.copy[2].src_port, h.srv.copy[0].src_port);
    assert_false(h.srv.copy[2].authed);
    assert_true(h.srv.copy[3].authed);
    assert_int_equal(h.info.requests, 4);
    assert_true(turn_client_stats(h.tc)->mismatch_retries == 1);
    harness_free(&h);
}

/* RFC 8656 (RFC 5766 6.2.2): a 300 with ALTERNATE-SERVER sends the Allocate
 * to that server, from the start and from a new socket. */
static void test_try_alternate(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    server_open(h.base, &h.alt, POLICY_AUTH);
    h.srv.redirect_to = &h.alt.addr;
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 0);
    assert_int_equal(h.srv.copies, 1);
    assert_int_equal(h.alt.copies, 2); /* 401, then with credentials */
    assert_false(h.alt.copy[0].authed);
    assert_true(h.alt.copy[1].authed);
    assert_int_equal(turn_client_stats(h.tc)->redirects, 1);
    assert_true(net_addr_equal(turn_client_server(h.tc), &h.alt.addr));
    harness_free(&h);
}

/* Two servers that send the client to each other: it gives up after
 * TURN_REDIRECTS_MAX hops with the 300 as the answer. */
static void test_redirect_loop_bounded(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    server_open(h.base, &h.alt, POLICY_AUTH);
    h.srv.redirect_to = &h.alt.addr;
    h.alt.redirect_to = &h.srv.addr;
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 300);
    assert_int_equal(turn_client_stats(h.tc)->redirects, 2);
    assert_int_equal(h.srv.copies + h.alt.copies, 3);
    harness_free(&h);
}

static void expect_refused(enum policy policy, const char *password, uint16_t code,
                           const char *reason, const char *cls)
{
    struct harness h;
    harness_init(&h, policy, password);
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, code);
    assert_string_equal(h.alloc_res.reason, reason);
    assert_string_equal(turn_result_class(h.alloc_err, &h.alloc_res), cls);
    /* One unauthenticated and one authenticated request, no retry loop. */
    assert_int_equal(h.srv.copies, 2);
    assert_int_equal(turn_client_permit(h.tc, NULL, NULL, NULL), SYNTH_EINVAL);
    harness_free(&h);
}

static void test_quota_486(void **state)
{
    (void)state;
    expect_refused(POLICY_QUOTA, PASS, 486, "Allocation Quota Reached", "allocation-quota");
}

static void test_capacity_508(void **state)
{
    (void)state;
    expect_refused(POLICY_CAPACITY, PASS, 508, "Insufficient Capacity", "insufficient-capacity");
}

static void test_wrong_password(void **state)
{
    (void)state;
    expect_refused(POLICY_AUTH, "wrong", 401, "Unauthorized", "auth-refused");
}

static int64_t ms_between(const struct copy *a, const struct copy *b)
{
    return (b->t_us - a->t_us) / 1000;
}

/* RFC 8489 6.2.1: Rc = 7 copies at 0, RTO, 3 RTO, 7 RTO ... 63 RTO, then a
 * timeout Rm * RTO after the last one (79 RTO in all). */
static void test_retransmission_schedule(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_SILENT, PASS);
    int64_t t0 = clock_mono_us();
    allocate(&h);
    int64_t took_ms = (clock_mono_us() - t0) / 1000;
    assert_int_equal(h.alloc_err, SYNTH_ETIMEDOUT);
    assert_string_equal(turn_result_class(h.alloc_err, &h.alloc_res), "timeout");
    assert_int_equal(h.srv.copies, 7);
    assert_int_equal(h.info.requests, 0); /* no info without an allocation */
    for (size_t i = 1; i < 7; i++) {
        int64_t want = (int64_t)RTO_MS << (i - 1);
        int64_t got = ms_between(&h.srv.copy[i - 1], &h.srv.copy[i]);
        if (got < want - EARLY_MS || got > want + LATE_FIXED_MS + (int64_t)(want * LATE_SHARE))
            fail_msg("gap %zu: %lld ms, want %lld", i, (long long)got, (long long)want);
    }
    int64_t want_total = 79 * RTO_MS;
    if (took_ms < want_total - EARLY_MS ||
        took_ms > want_total + LATE_FIXED_MS + (int64_t)(want_total * LATE_SHARE))
        fail_msg("timeout after %lld ms, want %lld", (long long)took_ms, (long long)want_total);
    harness_free(&h);
}

static void test_retransmission_recovers(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_DROP_TWO, PASS);
    allocate(&h);
    assert_int_equal(h.alloc_err, 0);
    assert_int_equal(h.alloc_res.code, 0);
    assert_int_equal(h.info.requests, 3);
    /* Two lost copies cost RTO + 2 RTO before the third got through. */
    assert_true(h.info.allocate_us >= (3 * RTO_MS - EARLY_MS) * 1000);
    harness_free(&h);
}

static void wait_done(struct harness *h, int calls)
{
    for (int i = 0; i < 50 && h->done_calls < calls; i++)
        run_for(h, 100);
    assert_int_equal(h->done_calls, calls);
    assert_int_equal(h->done_err, 0);
    assert_int_equal(h->done_res.code, 0);
}

static void wait_data(struct harness *h, int calls)
{
    for (int i = 0; i < 50 && h->data_calls < calls; i++)
        run_for(h, 100);
    assert_int_equal(h->data_calls, calls);
}

static void test_relay_both_ways(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    allocate(&h);
    assert_int_equal(h.alloc_res.code, 0);
    struct sockaddr_storage peer = peer_addr();

    /* Send and Data indications. */
    assert_int_equal(turn_client_permit(h.tc, (struct sockaddr *)&peer, on_done, &h), 0);
    wait_done(&h, 1);
    assert_int_equal(h.srv.copy[h.srv.copies - 1].method, TURN_METHOD_CREATE_PERMISSION);
    assert_int_equal(turn_client_send(h.tc, (struct sockaddr *)&peer, (const uint8_t *)"ping", 4), 0);
    wait_data(&h, 1);
    assert_true(h.srv.got_send_indication);
    assert_int_equal(h.srv.sent_len, 4);
    assert_memory_equal(h.srv.sent_data, "ping", 4);
    assert_int_equal(h.data_len, 4);
    assert_memory_equal(h.data, "pong", 4);
    assert_true(net_addr_equal(&h.data_peer, &peer));
    assert_true(turn_client_stats(h.tc)->tx_indication == 1 && turn_client_stats(h.tc)->rx_indication == 1);

    /* A channel: then ChannelData both ways. */
    uint16_t ch = 0;
    assert_int_equal(turn_client_bind_channel(h.tc, (struct sockaddr *)&peer, &ch, on_done, &h), 0);
    assert_int_equal(ch, TURN_CHANNEL_MIN);
    wait_done(&h, 2);
    assert_int_equal(h.srv.bound_channel, ch);
    assert_true(net_addr_equal(&h.srv.bound_peer, &peer));
    assert_int_equal(turn_client_send(h.tc, (struct sockaddr *)&peer, (const uint8_t *)"abc", 3), 0);
    wait_data(&h, 2);
    assert_true(h.srv.got_chandata);
    assert_memory_equal(h.srv.sent_data, "abc", 3);
    assert_int_equal(h.data_len, 3);
    assert_memory_equal(h.data, "cba", 3);
    assert_true(net_addr_equal(&h.data_peer, &peer));
    assert_true(turn_client_stats(h.tc)->tx_channel == 1 && turn_client_stats(h.tc)->rx_channel == 1);

    /* Refresh, then release with LIFETIME 0. */
    assert_int_equal(turn_client_refresh(h.tc, on_done, &h), 0);
    wait_done(&h, 3);
    assert_int_equal(h.srv.copy[h.srv.copies - 1].lifetime, 600);
    h.srv.grant_lifetime = 0;
    assert_int_equal(turn_client_release(h.tc, on_done, &h), 0);
    wait_done(&h, 4);
    assert_int_equal(h.srv.copy[h.srv.copies - 1].method, TURN_METHOD_REFRESH);
    assert_int_equal(h.srv.copy[h.srv.copies - 1].lifetime, 0);
    assert_int_equal(turn_client_send(h.tc, (struct sockaddr *)&peer, (const uint8_t *)"x", 1),
                     SYNTH_EINVAL);
    harness_free(&h);
}

/* A lifetime of 1 s: the client refreshes by itself at 3/4 of it. */
static void test_refresh_on_time(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    h.srv.grant_lifetime = 1;
    allocate(&h);
    assert_int_equal(h.alloc_res.code, 0);
    assert_int_equal(h.info.lifetime_s, 1);
    int64_t t0 = h.srv.copy[1].t_us;
    run_for(&h, 1300);
    /* 750 ms, then (lifetime 1 again) 1500 ms: one refresh in 1.3 s. */
    size_t refreshes = 0;
    for (size_t i = 0; i < h.srv.copies; i++)
        if (h.srv.copy[i].method == TURN_METHOD_REFRESH) {
            refreshes++;
            int64_t at = (h.srv.copy[i].t_us - t0) / 1000;
            assert_true(at >= 750 - EARLY_MS && at <= 750 + LATE_FIXED_MS + 200);
        }
    assert_int_equal(refreshes, 1);
    harness_free(&h);
}

/* An automatic refresh the server refuses loses the allocation: reported
 * once through the failed handler with the server's code. */
static void test_permission_refresh_refused(void **state)
{
    (void)state;
    struct harness h;
    harness_init_opts(&h, POLICY_AUTH, PASS, 100);
    h.expect_failed = true;
    allocate(&h);
    struct sockaddr_storage peer = peer_addr();
    assert_int_equal(turn_client_permit(h.tc, (struct sockaddr *)&peer, on_done, &h), 0);
    wait_done(&h, 1);
    h.srv.refuse_permissions = true;
    for (int i = 0; i < 20 && !h.failed_calls; i++)
        run_for(&h, 100);
    assert_int_equal(h.failed_calls, 1);
    assert_int_equal(h.failed_err, 0);
    assert_int_equal(h.failed_res.code, 403);
    assert_string_equal(turn_result_class(h.failed_err, &h.failed_res), "forbidden");
    assert_int_equal(turn_client_refresh(h.tc, NULL, NULL), SYNTH_EINVAL);
    run_for(&h, 300); /* no second report, no more refreshes */
    assert_int_equal(h.failed_calls, 1);
    harness_free(&h);
}

/* Nobody listens on the server's port: over UDP the ICMP error ends the
 * Allocate at once, not after the 79 RTO of the retransmissions; over TCP
 * the refused connect does. */
static void test_server_port_closed(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_OPEN, PASS);
    event_del(h.srv.ev);
    close(h.srv.fd); /* the port is now closed; the client is made anew for it */
    h.srv.fd = socket(AF_INET, SOCK_DGRAM, 0);
    /* The same over TCP: nothing listens on that port either. */
    for (int tcp = 0; tcp < 2; tcp++) {
        struct turn_client_opts o = {.transport = tcp ? TURN_TRANSPORT_TCP : TURN_TRANSPORT_UDP,
                                     .server = h.srv.addr, .server_len = h.srv.addr_len,
                                     .username = USER, .password = PASS, .rto_ms = 200};
        struct turn_client_handlers hs = {on_allocated, on_data, on_failed};
        struct synth_error err;
        h.alloc_calls = 0;
        turn_client_free(h.tc);
        assert_int_equal(turn_client_new(&h.tc, h.base, &o, &hs, &h, &err), 0);
        assert_int_equal(turn_client_pollable(h.tc), !tcp); /* TCP stays on its events */
        int64_t t0 = clock_mono_us();
        allocate(&h);
        assert_int_equal(h.alloc_err, SYNTH_ECONNREFUSED);
        assert_string_equal(turn_result_class(h.alloc_err, &h.alloc_res), "transport");
        assert_true(clock_mono_us() - t0 < 150 * 1000);
    }
    harness_free(&h);
}

static void test_free_inside_handler(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, POLICY_AUTH, PASS);
    h.free_in_handler = true;
    allocate(&h);
    assert_null(h.tc);
    run_for(&h, 50); /* nothing of the client may run any more */
    harness_free(&h);
}

/* ---- read on the owner's clock ---- */

static void media_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    uint8_t out[64];
    size_t n = 0;
    (void)fd;
    (void)what;
    assert_int_equal(stun_chandata_encode(out, sizeof(out), s->bound_channel,
                                          (const uint8_t *)"rtp!", 4, false, &n), 0);
    if (s->sent < (int)(sizeof(s->sent_us) / sizeof(s->sent_us[0])))
        s->sent_us[s->sent++] = clock_mono_us();
    assert_true(sendto(s->fd, out, n, 0, (const struct sockaddr *)&s->client, s->client_len) ==
                (ssize_t)n);
    if (--s->media_left > 0) {
        struct timeval tv = {0, 20 * 1000};
        evtimer_add(s->media_timer, &tv);
    }
}

/* An allocation with a channel to the peer, then polled once: from then on
 * the client's socket is the owner's to read. */
static void polled_channel(struct harness *h)
{
    harness_init(h, POLICY_AUTH, PASS);
    allocate(h);
    struct sockaddr_storage peer = peer_addr();
    assert_int_equal(turn_client_permit(h->tc, (struct sockaddr *)&peer, on_done, h), 0);
    wait_done(h, 1);
    assert_int_equal(turn_client_bind_channel(h->tc, (struct sockaddr *)&peer, NULL, on_done, h),
                     0);
    wait_done(h, 2);
    assert_true(turn_client_pollable(h->tc)); /* UDP, and this kernel stamps */
    turn_client_poll(h->tc);
    assert_int_equal(h->data_calls, 0);
    h->srv.media_timer = evtimer_new(h->base, media_timer_cb, &h->srv);
    assert_non_null(h->srv.media_timer);
    /* The kernel turns receive stamps on in deferred work once a first
     * socket asks (test_dscp says more); until then a datagram is stamped
     * when it is read. Wait, with a deadline, for one that waited 2 ms to
     * say so. */
    bool live = false;
    for (int i = 0; i < 100 && !live; i++) {
        h->srv.media_left = 1;
        media_timer_cb(-1, 0, &h->srv);
        struct timespec three = {0, 3 * 1000 * 1000};
        nanosleep(&three, NULL);
        turn_client_poll(h->tc);
        live = h->data_calls == 1 && clock_mono_us() - h->data_rx_us[0] >= 2000;
        h->data_calls = 0;
    }
    assert_true(live);
}

static void polled_free(struct harness *h)
{
    event_free(h->srv.media_timer);
    harness_free(h);
}

/* Five ChannelData packets 20 ms apart that nobody reads until the owner
 * polls: all five at once, each with the time it reached the socket. */
static void test_poll_gives_kernel_arrival(void **state)
{
    (void)state;
    struct harness h;
    polled_channel(&h);
    h.srv.media_left = 5;
    h.srv.sent = 0;
    media_timer_cb(-1, 0, &h.srv);
    while (h.srv.media_left > 0) /* an earlier run's loopexit may end a run early */
        run_for(&h, 50);
    run_for(&h, 30);
    assert_int_equal(h.data_calls, 0); /* the loop no longer reads the socket */
    int64_t read_us = clock_mono_us();
    turn_client_poll(h.tc);
    assert_int_equal(h.data_calls, 5);
    assert_int_equal(h.data_len, 4);
    assert_memory_equal(h.data, "rtp!", 4);
    /* Each arrived as it was sent (loopback delivers inside the sendto),
     * however late the timer that sent it ran on a loaded machine; the
     * first 80 ms or more before the read. */
    assert_int_equal(h.srv.sent, 5);
    for (int i = 0; i < 5; i++)
        assert_in_range(h.data_rx_us[i] - h.srv.sent_us[i] + 1000, 0, 6000);
    assert_true(read_us - h.data_rx_us[0] >= 80000);
    polled_free(&h);
}

/* While polled, an answer waits for the next poll; once the owner ends its
 * polling (its stream stopped, the allocation lives on) the loop reads the
 * answers again, with no poll at all. */
static void test_poll_end_answers_on_events(void **state)
{
    (void)state;
    struct harness h;
    polled_channel(&h);
    assert_int_equal(turn_client_refresh(h.tc, on_done, &h), 0);
    run_for(&h, 60); /* answered, retransmitted, answered: nobody reads */
    assert_int_equal(h.done_calls, 2);
    turn_client_poll(h.tc);
    assert_int_equal(h.done_calls, 3); /* the first answer; the copies' match nothing */
    assert_int_equal(h.done_res.code, 0);
    turn_client_poll_end(h.tc);
    assert_int_equal(turn_client_refresh(h.tc, on_done, &h), 0);
    wait_done(&h, 4);
    h.srv.media_left = 2;
    media_timer_cb(-1, 0, &h.srv);
    wait_data(&h, 2); /* media on the loop's wake-ups too */
    polled_free(&h);
}

/* The data handler frees the client at the first of three packets read in
 * one poll: the rest are not handed over, and nothing of the client is
 * touched after (ASan). */
static void test_free_inside_poll(void **state)
{
    (void)state;
    struct harness h;
    polled_channel(&h);
    h.free_on_data = true;
    h.srv.media_left = 3;
    media_timer_cb(-1, 0, &h.srv);
    run_for(&h, 100);
    turn_client_poll(h.tc);
    assert_int_equal(h.data_calls, 1);
    assert_null(h.tc);
    run_for(&h, 50);
    polled_free(&h);
}

struct binding_result {
    int calls, err;
    uint16_t code;
    struct sockaddr_storage mapped;
    struct event_base *base;
};

static void on_binding(int err, uint16_t code, const struct sockaddr_storage *mapped, void *arg)
{
    struct binding_result *r = arg;
    r->calls++;
    r->err = err;
    r->code = code;
    if (mapped)
        r->mapped = *mapped;
    event_base_loopbreak(r->base);
}

static void binding_run(enum policy policy, struct binding_result *r,
                        struct sockaddr_storage *local)
{
    struct harness h;
    memset(&h, 0, sizeof(h));
    h.base = event_base_new();
    server_start(&h, policy);
    memset(r, 0, sizeof(*r));
    r->base = h.base;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    socklen_t len;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 0, local, &len), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)local, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)local, &len), 0);
    struct stun_binding *b = NULL;
    assert_int_equal(stun_binding_start(&b, h.base, fd, (struct sockaddr *)&h.srv.addr,
                                        h.srv.addr_len, RTO_MS, 3, 2, on_binding, r), 0);
    run_for(&h, 2000);
    assert_int_equal(r->calls, 1);
    close(fd);
    event_free(h.srv.ev);
    close(h.srv.fd);
    event_base_free(h.base);
}

static void test_binding(void **state)
{
    (void)state;
    struct binding_result r;
    struct sockaddr_storage local;
    binding_run(POLICY_OPEN, &r, &local);
    assert_int_equal(r.err, 0);
    assert_true(net_addr_equal(&r.mapped, &local));
    /* Silent server: 3 copies (0, RTO, 3 RTO), then 2 RTO more. */
    int64_t t0 = clock_mono_us();
    binding_run(POLICY_SILENT, &r, &local);
    assert_int_equal(r.err, SYNTH_ETIMEDOUT);
    int64_t took = (clock_mono_us() - t0) / 1000;
    assert_true(took >= 5 * RTO_MS - EARLY_MS && took < 5 * RTO_MS + 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocate_with_credentials),
        cmocka_unit_test(test_stale_nonce_retried),
        cmocka_unit_test(test_mismatch_new_port),
        cmocka_unit_test(test_try_alternate),
        cmocka_unit_test(test_redirect_loop_bounded),
        cmocka_unit_test(test_quota_486),
        cmocka_unit_test(test_capacity_508),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_retransmission_schedule),
        cmocka_unit_test(test_retransmission_recovers),
        cmocka_unit_test(test_relay_both_ways),
        cmocka_unit_test(test_refresh_on_time),
        cmocka_unit_test(test_permission_refresh_refused),
        cmocka_unit_test(test_server_port_closed),
        cmocka_unit_test(test_free_inside_handler),
        cmocka_unit_test(test_poll_gives_kernel_arrival),
        cmocka_unit_test(test_poll_end_answers_on_events),
        cmocka_unit_test(test_free_inside_poll),
        cmocka_unit_test(test_binding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
