/* Unit tests of the ICE agent (synth/ice/ice_agent.c): two agents in this
 * process over loopback UDP sockets reach the same nominated pair (one
 * component and two), a role conflict (both controlling) is resolved by
 * 487 and ends in one pair, a peer that never answers fails by the
 * deadline, and the checks' integrity: a check verifies with the peer's
 * password only, and one signed with another password gets no answer.
 * [MS-ICE2] agents reach their pair too, with each other and with an
 * RFC 8445 agent (its additions are comprehension-optional). */
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_agent.h"
#include "synth/ice/ice_msice2.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define RUN_LIMIT_MS 5000

struct sock {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
    struct event *ev;
    struct side *side;
    int local;
};

struct side {
    struct ice_agent *a;
    struct sock s[2];
    unsigned comps;
    bool done;
    enum ice_state st;
    int64_t done_us;
    struct event_base *base;
    struct side *peer;
};

static int send_fd(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                   size_t len)
{
    struct sock *s = arg;
    return sendto(s->fd, buf, len, 0, to, to_len) < 0 ? SYNTH_EIO : 0;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sock *s = arg;
    uint8_t buf[2048];
    for (int i = 0; i < 16; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        if (s->side->a)
            ice_agent_receive(s->side->a, s->local, &from, buf, (size_t)n);
    }
}

static void on_done(struct ice_agent *a, enum ice_state st, void *arg)
{
    struct side *sd = arg;
    sd->done = true;
    sd->st = st;
    sd->done_us = clock_mono_us();
    if (sd->peer && sd->peer->done)
        event_base_loopbreak(sd->base);
}

static void open_sock(struct event_base *base, struct sock *s, struct side *sd)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&in, sizeof(in)), 0);
    s->len = sizeof(s->addr);
    getsockname(s->fd, (struct sockaddr *)&s->addr, &s->len);
    s->side = sd;
    s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, read_cb, s);
    event_add(s->ev, NULL);
}

static void side_init_in(struct side *sd, struct event_base *base, enum ice_role role,
                         unsigned comps, uint32_t deadline_ms, const struct ice_dialect *d)
{
    memset(sd, 0, sizeof(*sd));
    sd->base = base;
    sd->comps = comps;
    struct ice_agent_opts o = {
        .base = base, .role = role, .components = comps, .ta_ms = 5, .rto_ms = 50,
        .deadline_ms = deadline_ms, .nominate_wait_ms = 20, .done = on_done, .arg = sd,
        .dialect = d,
    };
    struct synth_error err;
    assert_int_equal(ice_agent_new(&sd->a, &o, &err), 0);
    for (unsigned c = 0; c < comps; c++) {
        open_sock(base, &sd->s[c], sd);
        int l = ice_agent_add_local(sd->a, ICE_CAND_HOST, c + 1, (struct sockaddr *)&sd->s[c].addr,
                                    sd->s[c].len, 65535, send_fd, NULL, &sd->s[c]);
        assert_true(l >= 0);
        sd->s[c].local = l;
    }
}

static void side_init(struct side *sd, struct event_base *base, enum ice_role role,
                      unsigned comps, uint32_t deadline_ms)
{
    side_init_in(sd, base, role, comps, deadline_ms, NULL);
}

static void side_free(struct side *sd)
{
    ice_agent_free(sd->a);
    for (unsigned c = 0; c < sd->comps; c++) {
        event_free(sd->s[c].ev);
        close(sd->s[c].fd);
    }
}

/* What the SDP carries, from one side to the other. */
static void tell(struct side *from, struct side *to)
{
    assert_int_equal(ice_agent_set_remote_credentials(to->a, ice_agent_ufrag(from->a),
                                                      ice_agent_pwd(from->a)), 0);
    for (unsigned c = 0; c < from->comps; c++) {
        struct ice_cand_info ci;
        ice_agent_local(from->a, from->s[c].local, &ci);
        assert_int_equal(ice_agent_add_remote(to->a, ci.type, ci.component,
                                              (struct sockaddr *)&ci.addr, ci.addr_len,
                                              ci.priority), 0);
    }
}

static void run(struct event_base *base)
{
    struct timeval tv = {RUN_LIMIT_MS / 1000, 0};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static void assert_same_pair(struct side *x, struct side *y, unsigned comp)
{
    struct ice_pair_info px, py;
    assert_int_equal(ice_agent_selected(x->a, comp, &px), 0);
    assert_int_equal(ice_agent_selected(y->a, comp, &py), 0);
    assert_true(net_addr_equal(&px.lc.addr, &py.rc.addr));
    assert_true(net_addr_equal(&px.rc.addr, &py.lc.addr));
    assert_true(net_addr_equal(&px.lc.addr, &x->s[comp - 1].addr));
}

static void pair_up_in(unsigned comps, const struct ice_dialect *da, const struct ice_dialect *db)
{
    struct event_base *base = event_base_new();
    struct side a, b;
    side_init_in(&a, base, ICE_CONTROLLING, comps, 3000, da);
    side_init_in(&b, base, ICE_CONTROLLED, comps, 3000, db);
    a.peer = &b;
    b.peer = &a;
    tell(&a, &b);
    tell(&b, &a);
    int64_t t0 = clock_mono_us();
    assert_int_equal(ice_agent_start(b.a), 0);
    assert_int_equal(ice_agent_start(a.a), 0);
    run(base);
    assert_true(a.done && b.done);
    assert_int_equal(a.st, ICE_STATE_COMPLETED);
    assert_int_equal(b.st, ICE_STATE_COMPLETED);
    for (unsigned c = 1; c <= comps; c++)
        assert_same_pair(&a, &b, c);
    const struct ice_stats *sa = ice_agent_stats(a.a), *sb = ice_agent_stats(b.a);
    assert_true(sa->checks_sent >= comps && sb->checks_received >= comps);
    assert_true(sb->checks_sent >= comps && sa->checks_received >= comps);
    assert_int_equal(sa->bad_integrity + sb->bad_integrity, 0);
    /* Well under the deadline on loopback. */
    assert_true(a.done_us - t0 < 1000000);
    side_free(&a);
    side_free(&b);
    event_base_free(base);
}

static void pair_up(unsigned comps)
{
    pair_up_in(comps, NULL, NULL);
}

static void test_nominated_pair(void **state)
{
    (void)state;
    pair_up(1);
}

static void test_msice2_pairs(void **state)
{
    (void)state;
    pair_up_in(2, &ice_dialect_msice2, &ice_dialect_msice2);
    pair_up_in(1, &ice_dialect_msice2, &ice_dialect_rfc8445);
    pair_up_in(1, &ice_dialect_rfc8445, &ice_dialect_msice2);
}

static void test_two_components(void **state)
{
    (void)state;
    pair_up(2);
}

static void test_role_conflict(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct side a, b;
    side_init(&a, base, ICE_CONTROLLING, 1, 3000);
    side_init(&b, base, ICE_CONTROLLING, 1, 3000);
    a.peer = &b;
    b.peer = &a;
    tell(&a, &b);
    tell(&b, &a);
    assert_int_equal(ice_agent_start(a.a), 0);
    assert_int_equal(ice_agent_start(b.a), 0);
    run(base);
    assert_int_equal(a.st, ICE_STATE_COMPLETED);
    assert_int_equal(b.st, ICE_STATE_COMPLETED);
    assert_int_not_equal(ice_agent_role(a.a), ice_agent_role(b.a));
    assert_true(ice_agent_stats(a.a)->role_conflicts + ice_agent_stats(b.a)->role_conflicts > 0);
    assert_same_pair(&a, &b, 1);
    side_free(&a);
    side_free(&b);
    event_base_free(base);
}

static void test_silent_peer_fails_by_deadline(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct side a, b;
    side_init(&a, base, ICE_CONTROLLING, 1, 400);
    side_init(&b, base, ICE_CONTROLLED, 1, 400);
    a.peer = NULL;
    tell(&b, &a);
    /* b's socket exists but nobody reads it: b never answers. */
    event_del(b.s[0].ev);
    int64_t t0 = clock_mono_us();
    assert_int_equal(ice_agent_start(a.a), 0);
    struct timeval tv = {1, 0};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    assert_true(a.done);
    assert_int_equal(a.st, ICE_STATE_FAILED);
    assert_int_equal(ice_agent_failure(a.a), ICE_FAIL_TIMEOUT);
    int64_t took = a.done_us - t0;
    assert_true(took >= 390000 && took < 700000);
    assert_true(ice_agent_stats(a.a)->checks_sent >= 2); /* retransmitted */
    struct ice_pair_info p;
    assert_int_equal(ice_agent_selected(a.a, 1, &p), SYNTH_ENOTFOUND);
    side_free(&a);
    side_free(&b);
    event_base_free(base);
}

/* A sender that keeps a copy of the check instead of sending it. */
static uint8_t captured[1024];
static size_t captured_len;

static int capture(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                   size_t len)
{
    if (!captured_len && len <= sizeof(captured)) {
        memcpy(captured, buf, len);
        captured_len = len;
    }
    return 0;
}

static void test_integrity(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct side b;
    side_init(&b, base, ICE_CONTROLLED, 1, 1000);
    struct ice_agent *a;
    struct ice_agent_opts o = {.base = base, .role = ICE_CONTROLLING, .components = 1};
    assert_int_equal(ice_agent_new(&a, &o, NULL), 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(9),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int l = ice_agent_add_local(a, ICE_CAND_HOST, 1, (struct sockaddr *)&me, sizeof(me), 65535,
                                capture, NULL, NULL);
    assert_int_equal(l, 0);
    assert_int_equal(strlen(ice_agent_ufrag(a)), ICE_UFRAG_LEN);
    assert_int_equal(strlen(ice_agent_pwd(a)), ICE_PWD_LEN);
    assert_int_equal(ice_agent_set_remote_credentials(a, ice_agent_ufrag(b.a), ice_agent_pwd(b.a)), 0);
    assert_int_equal(ice_agent_add_remote(a, ICE_CAND_HOST, 1, (struct sockaddr *)&b.s[0].addr,
                                          b.s[0].len, 2130706431), 0);
    captured_len = 0;
    assert_int_equal(ice_agent_start(a), 0);
    assert_true(captured_len > 0);

    struct stun_msg m;
    size_t used;
    assert_int_equal(stun_msg_parse(&m, captured, captured_len, true, NULL, &used, NULL), 0);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_int_equal(stun_msg_check_fingerprint(&m), 0);
    const char *pb = ice_agent_pwd(b.a), *pa = ice_agent_pwd(a);
    assert_int_equal(stun_msg_check_integrity(&m, (const uint8_t *)pb, strlen(pb)), 0);
    assert_int_equal(stun_msg_check_integrity(&m, (const uint8_t *)pa, strlen(pa)), SYNTH_EAUTH);
    char user[64];
    snprintf(user, sizeof(user), "%s:%s", ice_agent_ufrag(b.a), ice_agent_ufrag(a));
    struct strv u = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_USERNAME));
    assert_int_equal(u.l, strlen(user));
    assert_memory_equal(u.p, user, u.l);
    assert_non_null(stun_msg_attr(&m, STUN_ATTR_PRIORITY));
    assert_non_null(stun_msg_attr(&m, STUN_ATTR_ICE_CONTROLLING));

    /* The same check delivered to b is answered; one signed with a's own
     * password is not. */
    struct sockaddr_storage from;
    memcpy(&from, &me, sizeof(me));
    assert_int_equal(ice_agent_receive(b.a, 0, &from, captured, captured_len), 0);
    assert_int_equal(ice_agent_stats(b.a)->checks_received, 1);
    uint8_t forged[512];
    struct stun_enc e;
    uint8_t tid[STUN_TID_LEN];
    size_t len;
    stun_tid_new(tid);
    stun_enc_init(&e, forged, sizeof(forged), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
    stun_enc_str(&e, STUN_ATTR_USERNAME, user);
    stun_enc_integrity(&e, (const uint8_t *)pa, strlen(pa));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    assert_int_equal(ice_agent_receive(b.a, 0, &from, forged, len), 0);
    assert_int_equal(ice_agent_stats(b.a)->checks_received, 1);
    assert_int_equal(ice_agent_stats(b.a)->bad_integrity, 1);
    /* Not STUN: the media's. */
    uint8_t rtp[12] = {0x80, 0};
    assert_int_equal(ice_agent_receive(b.a, 0, &from, rtp, sizeof(rtp)), SYNTH_EUNSUPPORTED);
    ice_agent_free(a);
    side_free(&b);
    event_base_free(base);
}

static void test_priorities(void **state)
{
    (void)state;
    /* RFC 8445 5.1.2.1 with the recommended type preferences. */
    assert_int_equal(ice_dialect_rfc8445.priority(ICE_CAND_HOST, 65535, 1), 2130706431u);
    assert_int_equal(ice_dialect_rfc8445.priority(ICE_CAND_RELAY, 65535, 1), 16777215u);
    assert_int_equal(ice_dialect_rfc8445.priority(ICE_CAND_HOST, 65535, 2), 2130706430u);
    assert_string_equal(ice_cand_type_name(ICE_CAND_RELAY), "relay");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priorities),
        cmocka_unit_test(test_nominated_pair),
        cmocka_unit_test(test_two_components),
        cmocka_unit_test(test_msice2_pairs),
        cmocka_unit_test(test_role_conflict),
        cmocka_unit_test(test_silent_peer_fails_by_deadline),
        cmocka_unit_test(test_integrity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
