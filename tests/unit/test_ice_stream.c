/* Unit tests of ICE for one audio stream (synth/ice/ice_stream.c) around
 * its relay: a relay-only caller towards a peer without ICE (RFC 8445
 * backwards compatibility), through the lab relay (synth/lab/turn_relay)
 * on the same loop, its media read on the stream's clock through the TURN
 * client (turn_client_poll); the allocation kept refreshed while the stream
 * polls it and after the stream stopped; the owner ending the call from
 * inside the poll. */
#include "media/media_stream.h"
#include "media/media_tick.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_stream.h"
#include "synth/lab/lab.h"
#include "synth/lab/turn_relay.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct call {
    struct event_base *base;
    struct media_tick *tick;
    struct lab_config cfg;
    struct lab_stats stats;
    struct turn_relay *relay;
    struct port_range_pool ports;
    struct media_stream *caller, *um;
    struct ice_stream *ice;
    bool gathered;
    int gather_err;
    bool first_packet;
    bool end_on_first; /* the owner ends the call at its first packet */
};

static const struct sockaddr_in loopback = {.sin_family = AF_INET,
                                            .sin_addr.s_addr = 0x0100007f};

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

/* Runs the loop ms, or until a handler breaks it; unlike a loopexit, no
 * deadline of an earlier run cuts a later one short. */
static void run_for(struct call *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    struct event *t = evtimer_new(c->base, stop_cb, c->base);
    assert_non_null(t);
    evtimer_add(t, &tv);
    event_base_dispatch(c->base);
    event_free(t);
}

static int setup(void **state)
{
    struct call *c = calloc(1, sizeof(*c));
    struct synth_error err;
    c->base = event_base_new();
    if (!c->base || media_tick_new(&c->tick, c->base, 20000, &err) != 0)
        return -1;
    lab_config_defaults(&c->cfg);
    /* A lifetime of 1 s: the client refreshes every 750 ms. */
    struct turn_relay_opts ro = {.cfg = &c->cfg, .stats = &c->stats,
                                 .nonce_lifetime_ms = 60000, .lifetime_default_s = 1};
    if (turn_relay_start(&c->relay, c->base, &ro, &err) != 0)
        return -1;
    struct port_range r[PORT_RANGE_MODALITY_COUNT] = {{50040, 50079}, {58000, 58039},
                                                      {42000, 42039}};
    port_range_pool_init(&c->ports, r, 1);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct call *c = *state;
    ice_stream_free(c->ice); /* before its stream (ice_stream.h) */
    media_stream_free(c->caller);
    media_stream_free(c->um);
    turn_relay_free(c->relay);
    media_tick_free(c->tick);
    event_base_free(c->base);
    free(c);
    return 0;
}

static struct media_stream *open_stream(struct call *c)
{
    struct media_stream *ms;
    struct synth_error err;
    struct media_stream_opts o = {.base = c->base, .tick = c->tick, .ports = &c->ports,
                                  .modality = PORT_RANGE_AUDIO,
                                  .local = (const struct sockaddr *)&loopback,
                                  .local_len = sizeof(loopback), .dscp = -1};
    if (media_stream_open(&ms, &o, &err) != 0)
        fail_msg("open: %s", err.msg);
    return ms;
}

static void on_gathered(struct ice_stream *s, int err, void *arg)
{
    struct call *c = arg;
    c->gathered = true;
    c->gather_err = err;
    event_base_loopbreak(c->base);
}

static void on_caller_event(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct call *c = arg;
    if (ev != MEDIA_EVENT_FIRST_PACKET)
        return;
    c->first_packet = true;
    if (!c->end_on_first)
        return;
    /* As call_media_end does: the ice_stream (and its TURN client, whose
     * poll this is) first, then the stream. */
    ice_stream_free(c->ice);
    c->ice = NULL;
    media_stream_free(c->caller);
    c->caller = NULL;
}

/* The caller offers only its relay; the UM, without ICE, sends there from
 * its own socket, and the caller sends through the relay to the UM. */
static void start_call(struct call *c)
{
    struct synth_error err;
    c->caller = open_stream(c);
    c->um = open_stream(c);
    struct turn_client_opts to = {.transport = TURN_TRANSPORT_UDP,
                                  .username = c->cfg.turn_user,
                                  .password = c->cfg.turn_password,
                                  .rto_ms = 20}; /* a refresh nobody reads fails in 1.6 s */
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), turn_relay_port(c->relay),
                                      &to.server, &to.server_len),
                     0);
    struct ice_stream_opts io = {.base = c->base, .ms = c->caller, .role = ICE_CONTROLLING,
                                 .turn = &to, .gathered = on_gathered, .arg = c};
    assert_int_equal(ice_stream_new(&c->ice, &io, &err), 0);
    assert_int_equal(ice_stream_gather(c->ice), SYNTH_EINCOMPLETE);
    run_for(c, 2000);
    assert_true(c->gathered);
    assert_int_equal(c->gather_err, 0);
    struct sdp_desc d;
    memset(&d, 0, sizeof(d));
    ice_stream_describe(c->ice, &d); /* c= and m=: the relay, our only candidate */

    struct media_stream_params cp = {.pt = 0, .send = true, .expect_dscp = -1,
                                     .rtcp_mux = true, .on_event = on_caller_event, .arg = c};
    assert_int_equal(media_stream_local(c->um, MEDIA_COMP_RTP, &cp.peer_rtp, &cp.peer_rtp_len),
                     0);
    cp.peer_rtcp = cp.peer_rtp;
    cp.peer_rtcp_len = cp.peer_rtp_len;
    ice_stream_apply_path(c->ice, &cp); /* permission, channel, the relay and its poll */
    assert_non_null(cp.relay);
    assert_non_null(cp.relay_poll);
    struct media_stream_params up = {.pt = 0, .send = true, .expect_dscp = -1, .rtcp_mux = true};
    assert_int_equal(net_addr_from_ip(d.addr, d.port, &up.peer_rtp, &up.peer_rtp_len), 0);
    up.peer_rtcp = up.peer_rtp;
    up.peer_rtcp_len = up.peer_rtp_len;
    if (media_stream_start(c->caller, &cp, &err) != 0 || media_stream_start(c->um, &up, &err) != 0)
        fail_msg("start: %s", err.msg);
}

static void assert_relay_alive(struct call *c)
{
    struct ice_stream_report ir;
    ice_stream_report(c->ice, &ir);
    assert_true(ir.relayed);
    assert_string_equal(ir.relay_error, ""); /* "lost-timeout" if a refresh went unread */
}

/* Media both ways through the relay, the caller's read on its clock; the
 * 1 s allocation refreshed twice while the stream polls its TURN client,
 * and again after the stream stopped, when nothing polls it any more. */
static void relayed_media_on_the_clock(void **state)
{
    struct call *c = *state;
    start_call(c);
    run_for(c, 1600);
    struct media_report cr, ur;
    media_stream_report(c->caller, &cr);
    media_stream_report(c->um, &ur);
    assert_true(c->first_packet);
    assert_true(cr.recv_packets > 40);
    assert_true(cr.loss_pct < 1.0);
    assert_true(cr.jitter_ms < 5.0);
    assert_int_equal(cr.recv_foreign, 0);
    assert_true(ur.recv_packets > 40); /* the caller's, through the relay */
    assert_relay_alive(c);

    media_stream_stop(c->caller);
    run_for(c, 3000);
    assert_relay_alive(c);
    media_stream_report(c->caller, &cr);
    assert_true(cr.recv_packets > 60);
}

/* The owner ends the call at the first packet, from inside the TURN
 * client's poll on the caller's clock: the ice_stream (and the client)
 * and the stream go, the rest of the poll touches neither (ASan), and the
 * UM's stream goes on alone. */
static void call_ended_inside_the_poll(void **state)
{
    struct call *c = *state;
    c->end_on_first = true;
    start_call(c);
    run_for(c, 1000);
    assert_true(c->first_packet);
    assert_null(c->caller);
    assert_null(c->ice);
    struct media_report ur;
    media_stream_report(c->um, &ur);
    assert_true(ur.sent_packets > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(relayed_media_on_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(call_ended_inside_the_poll, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
