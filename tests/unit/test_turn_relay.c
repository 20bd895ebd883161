/* Unit tests of the lab relay (synth/lab/turn_relay.h) with synth's TURN
 * client, both on one loop on loopback: the time-limited credentials MRAS
 * will hand out (allocate with one, refused once removed or expired),
 * allocations expiring on the sweep, and the relay's MS-TURN mode with the
 * client's MS-TURN dialect. */
#include "synth/lab/turn_relay.h"

#include "synth/base/net_addr.h"
#include "synth/turn/turn_client.h"

#include <event2/event.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct outcome {
    struct event_base *base;
    bool done;
    int err;
    uint16_t code;
    uint32_t lifetime_s;
};

static void refreshed(int err, const struct turn_result *res, void *arg)
{
    struct outcome *o = arg;
    o->done = true;
    o->err = err;
    o->code = res ? res->code : 0;
    event_base_loopbreak(o->base);
}

/* Runs the loop until the outcome is in (10 s at most). */
static void wait_outcome(struct outcome *o)
{
    struct timeval deadline = {10, 0};
    o->done = false;
    event_base_loopexit(o->base, &deadline);
    event_base_dispatch(o->base);
    assert_true(o->done);
    assert_int_equal(o->err, 0);
}

static void allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                      void *arg)
{
    struct outcome *o = arg;
    o->done = true;
    o->err = err;
    o->code = res ? res->code : 0;
    o->lifetime_s = info ? info->lifetime_s : 0;
    event_base_loopbreak(o->base);
}

/* A client of the relay on port, its Allocate answered into o. */
static struct turn_client *client_allocate(struct outcome *o, uint16_t port, const char *user,
                                           const char *password)
{
    struct turn_client_opts opts = {.transport = TURN_TRANSPORT_UDP, .username = user,
                                    .password = password, .rto_ms = 100};
    struct turn_client_handlers h = {.allocated = allocated};
    struct turn_client *tc = NULL;
    struct synth_error err;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), port, &opts.server,
                                      &opts.server_len),
                     0);
    assert_int_equal(turn_client_new(&tc, o->base, &opts, &h, o, &err), 0);
    assert_int_equal(turn_client_allocate(tc), 0);
    wait_outcome(o);
    return tc;
}

/* One Allocate as user/password; the STUN error code (0 = allocated). */
static uint16_t allocate(struct event_base *base, uint16_t port, const char *user,
                         const char *password)
{
    struct outcome o = {.base = base};
    turn_client_free(client_allocate(&o, port, user, password));
    return o.code;
}

/* A relay on a new loop; static_user false: no credential from the
 * configuration. cfg and stats outlive it (the relay keeps cfg). */
static struct turn_relay *relay_new(struct event_base **base, struct lab_config *cfg,
                                    struct lab_stats *stats, bool static_user,
                                    uint32_t lifetime_default_s)
{
    struct synth_error err = {{0}};
    struct turn_relay *r = NULL;
    lab_config_defaults(cfg);
    if (!static_user)
        cfg->turn_user[0] = '\0';
    *base = event_base_new();
    assert_non_null(*base);
    struct turn_relay_opts o = {.cfg = cfg, .stats = stats, .nonce_lifetime_ms = 60000,
                                .lifetime_default_s = lifetime_default_s};
    assert_int_equal(turn_relay_start(&r, *base, &o, &err), 0);
    return r;
}

static void credentials(void **state)
{
    static struct lab_config cfg;
    static struct lab_stats stats;
    struct event_base *base;
    (void)state;
    struct turn_relay *r = relay_new(&base, &cfg, &stats, false, 0);
    uint16_t port = turn_relay_port(r);
    assert_int_not_equal(port, 0);

    assert_int_equal(allocate(base, port, "mras-user", "mras-pass"), 401);
    assert_int_equal(turn_relay_add_credential(r, "mras-user", "mras-pass", 480 * 60), 0);
    assert_int_equal(allocate(base, port, "mras-user", "mras-pass"), 0);
    assert_int_equal(allocate(base, port, "mras-user", "wrong"), 401);
    assert_int_equal(atomic_load(&stats.turn_allocations), 1);
    /* Replaced with a new password, then removed. */
    assert_int_equal(turn_relay_add_credential(r, "mras-user", "next", 60), 0);
    assert_int_equal(allocate(base, port, "mras-user", "mras-pass"), 401);
    assert_int_equal(allocate(base, port, "mras-user", "next"), 0);
    assert_int_equal(turn_relay_remove_credential(r, "mras-user"), 0);
    assert_int_equal(turn_relay_remove_credential(r, "mras-user"), SYNTH_ENOTFOUND);
    assert_int_equal(allocate(base, port, "mras-user", "next"), 401);
    /* A credential of one second is refused once the second is over. */
    assert_int_equal(turn_relay_add_credential(r, "brief", "pw", 1), 0);
    assert_int_equal(allocate(base, port, "brief", "pw"), 0);
    usleep(1100 * 1000);
    assert_int_equal(allocate(base, port, "brief", "pw"), 401);
    assert_int_equal(turn_relay_add_credential(r, "", "pw", 0), SYNTH_EINVAL);

    turn_relay_free(r);
    event_base_free(base);
}

/* An allocation refreshed (by Refresh, to its lifetime again) and then no
 * more is gone after its lifetime: the sweep frees it. */
static void expiry(void **state)
{
    static struct lab_config cfg;
    static struct lab_stats stats;
    struct event_base *base;
    (void)state;
    struct turn_relay *r = relay_new(&base, &cfg, &stats, true, 1);
    struct outcome out = {.base = base};
    struct turn_client *tc = client_allocate(&out, turn_relay_port(r), cfg.turn_user,
                                             cfg.turn_password);
    assert_int_equal(out.code, 0);
    assert_int_equal(out.lifetime_s, 1);
    assert_int_equal(atomic_load(&stats.turn_active), 1);
    assert_int_equal(turn_client_refresh(tc, refreshed, &out), 0);
    wait_outcome(&out);
    assert_int_equal(out.code, 0);
    /* The client would refresh at 3/4 of the lifetime; gone, it does not.
     * Lifetime 1 s, then the next 1 s sweep: 2.5 s covers both. */
    turn_client_free(tc);
    struct timeval later = {2, 500000};
    event_base_loopexit(base, &later);
    event_base_dispatch(base);
    assert_int_equal(atomic_load(&stats.turn_active), 0);
    assert_int_equal(atomic_load(&stats.turn_allocations), 1);
    turn_relay_free(r);
    event_base_free(base);
}

/* ---- turn_dialect: ms-turn ---- */

struct ms_rx {
    struct event_base *base;
    uint8_t data[64];
    size_t len;
    struct sockaddr_storage from;
};

static void ms_data(const struct sockaddr_storage *peer, const uint8_t *data, size_t len,
                    int64_t rx_us, void *arg)
{
    struct ms_rx *rx = arg;
    rx->len = len < sizeof(rx->data) ? len : sizeof(rx->data);
    memcpy(rx->data, data, rx->len);
    rx->from = *peer;
    event_base_loopbreak(rx->base);
}

static void ms_allocated(int err, const struct turn_result *res,
                         const struct turn_alloc_info *info, void *arg)
{
    (void)info;
    struct ms_rx *rx = arg;
    rx->len = err ? 1000 + (size_t)(-err) : res->code;
    event_base_loopbreak(rx->base);
}

/* Runs the loop up to ms milliseconds or until a handler breaks it. */
static void run_for(struct event_base *base, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static struct turn_client *ms_client(struct event_base *base, uint16_t port,
                                     enum turn_dialect d, const struct lab_config *cfg,
                                     struct ms_rx *rx)
{
    struct turn_client_opts opts = {.transport = TURN_TRANSPORT_UDP, .dialect = d,
                                    .username = cfg->turn_user, .password = cfg->turn_password,
                                    .rto_ms = 100, .rc = 3};
    struct turn_client_handlers h = {.allocated = ms_allocated, .data = ms_data};
    struct turn_client *tc = NULL;
    struct synth_error err;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), port, &opts.server,
                                      &opts.server_len),
                     0);
    assert_int_equal(turn_client_new(&tc, base, &opts, &h, rx, &err), 0);
    rx->len = 9999;
    assert_int_equal(turn_client_allocate(tc), 0);
    /* Short rounds: a loopexit left from an earlier round may end one. */
    for (int i = 0; i < 100 && rx->len == 9999; i++)
        run_for(base, 100);
    return tc;
}

/* The lab relay in MS-TURN mode with synth's client in the same dialect:
 * the Allocate (401 round included), a refresh, data to a peer by Send (the
 * permission it opens lets the answer back as a Data Indication), then Set
 * Active Destination and the same both ways unframed; and a standard
 * client gets no answer from it at all. */
static void msturn_relay(void **state)
{
    static struct lab_config cfg;
    static struct lab_stats stats;
    struct event_base *base;
    (void)state;
    lab_config_defaults(&cfg);
    cfg.turn_msturn = true;
    base = event_base_new();
    struct synth_error err = {{0}};
    struct turn_relay *r = NULL;
    struct turn_relay_opts ro = {.cfg = &cfg, .stats = &stats, .nonce_lifetime_ms = 60000};
    assert_int_equal(turn_relay_start(&r, base, &ro, &err), 0);
    uint16_t port = turn_relay_port(r);

    struct ms_rx rx = {.base = base};
    struct turn_client *tc = ms_client(base, port, TURN_DIALECT_MSTURN, &cfg, &rx);
    assert_int_equal(rx.len, 0); /* allocated */
    const struct turn_alloc_info *info = turn_client_info(tc);
    assert_int_equal(info->requests, 2); /* the 401 round */
    assert_int_equal(info->relayed.ss_family, AF_INET);
    assert_int_equal(atomic_load(&stats.turn_allocations), 1);
    struct outcome out = {.base = base};
    assert_int_equal(turn_client_refresh(tc, refreshed, &out), 0);
    wait_outcome(&out);
    assert_int_equal(out.code, 0);

    /* A peer on loopback. */
    int peer = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage pa;
    socklen_t pl;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 0, &pa, &pl), 0);
    assert_int_equal(bind(peer, (struct sockaddr *)&pa, pl), 0);
    pl = sizeof(pa);
    assert_int_equal(getsockname(peer, (struct sockaddr *)&pa, &pl), 0);
    struct timeval one = {1, 0};
    setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &one, sizeof(one));

    for (int active = 0; active < 2; active++) {
        if (active) {
            uint16_t ch = 0;
            assert_int_equal(
                turn_client_bind_channel(tc, (struct sockaddr *)&pa, &ch, refreshed, &out), 0);
            wait_outcome(&out);
            assert_int_equal(out.code, 0);
        } else {
            assert_int_equal(turn_client_permit(tc, (struct sockaddr *)&pa, NULL, NULL), 0);
        }
        const uint8_t hello[] = {0x80, 0x00, 'h', 'i', (uint8_t)active};
        assert_int_equal(turn_client_send(tc, (struct sockaddr *)&pa, hello, sizeof(hello)), 0);
        run_for(base, 100);
        uint8_t got[64];
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(peer, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
        assert_int_equal(n, sizeof(hello));
        assert_memory_equal(got, hello, sizeof(hello));
        assert_true(net_addr_equal(&from, &info->relayed)); /* from the relayed address */
        rx.len = 0;
        assert_int_equal(sendto(peer, "back", 4, 0, (struct sockaddr *)&from, fl), 4);
        for (int i = 0; i < 20 && rx.len == 0; i++)
            run_for(base, 100);
        assert_int_equal(rx.len, 4);
        assert_memory_equal(rx.data, "back", 4);
        assert_true(net_addr_equal(&rx.from, &pa));
    }
    /* An ICE check (RFC 5389 STUN, not MS-TURN) both ways to the active
     * destination: forwarded as it is, not taken for TURN. */
    uint8_t check[STUN_HEADER_LEN], tid[STUN_TID_LEN] = {7};
    struct stun_enc e;
    size_t clen = 0;
    stun_enc_init(&e, check, sizeof(check), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
    assert_int_equal(stun_enc_finish(&e, &clen), 0);
    assert_int_equal(turn_client_send(tc, (struct sockaddr *)&pa, check, clen), 0);
    run_for(base, 100);
    uint8_t got[64];
    struct sockaddr_storage from;
    socklen_t fl = sizeof(from);
    assert_int_equal(recvfrom(peer, got, sizeof(got), 0, (struct sockaddr *)&from, &fl),
                     (ssize_t)clen);
    assert_memory_equal(got, check, clen);
    rx.len = 0;
    assert_int_equal(sendto(peer, check, clen, 0, (struct sockaddr *)&from, fl), (ssize_t)clen);
    for (int i = 0; i < 20 && rx.len == 0; i++)
        run_for(base, 100);
    assert_int_equal(rx.len, clen);
    assert_memory_equal(rx.data, check, clen);

    const struct turn_client_stats *st = turn_client_stats(tc);
    assert_int_equal(st->tx_indication, 1);
    assert_int_equal(st->rx_indication, 1);
    assert_int_equal(st->tx_channel, 2); /* the active destination, unframed */
    assert_int_equal(st->rx_channel, 2);
    turn_client_close(tc);
    run_for(base, 200);
    assert_int_equal(atomic_load(&stats.turn_active), 0); /* released by Allocate LIFETIME 0 */
    close(peer);

    /* A standard client: the MS-TURN relay does not answer it. */
    struct turn_client *std = ms_client(base, port, TURN_DIALECT_STANDARD, &cfg, &rx);
    assert_int_equal(rx.len, 1000 + (size_t)(-SYNTH_ETIMEDOUT));
    turn_client_free(std);
    turn_relay_free(r);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(credentials), cmocka_unit_test(expiry),
                                       cmocka_unit_test(msturn_relay)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
