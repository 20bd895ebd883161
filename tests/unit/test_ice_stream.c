/* Unit tests of ICE for one audio stream (synth/ice/ice_stream.c) around
 * its relay: a relay-only caller towards a peer without ICE (RFC 8445
 * backwards compatibility), through the lab relay (synth/lab/turn_relay)
 * on the same loop, its media read on the stream's clock through the TURN
 * client (turn_client_poll); the allocation kept refreshed while the stream
 * polls it and after the stream stopped; the owner ending the call from
 * inside the poll. And two agents with host candidates: the sockets
 * unconnected through the checks, connected to the nominated pair's far
 * end once media flows on it. */
#include "media/media_stream.h"
#include "media/media_tick.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_stream.h"
#include "synth/lab/lab.h"
#include "synth/lab/turn_relay.h"
#include "synth/sdp/sdp_build.h"

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
    struct ice_stream *ice, *um_ice;
    struct sockaddr_storage relayed; /* the caller's relayed address: the UM sends there */
    int ice_done;                    /* agents completed (both ends ICE) */
    struct media_stream_params cp, up; /* waiting for ICE's pair */
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
    /* Its own audio ports, apart from test_media_stream's 50040-50079
     * (ctest -j runs the two side by side, and once found every pair of a
     * shared range busy): the top of synth's client range (20000-32767),
     * below the kernel's ephemeral ports and the lab's relay range. */
    struct port_range r[PORT_RANGE_MODALITY_COUNT] = {{32700, 32739}, {58000, 58039},
                                                      {42000, 42039}};
    port_range_pool_init(&c->ports, r, 1);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct call *c = *state;
    ice_stream_free(c->ice); /* before its stream (ice_stream.h) */
    ice_stream_free(c->um_ice);
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
    c->relayed = up.peer_rtp;
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
    /* The UM's socket is connected to the relayed address its media comes
     * from; the caller's own socket carries none (the TURN client's does,
     * connected to the server) and stays open. */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    assert_int_equal(media_stream_peer(c->um, MEDIA_COMP_RTP, &peer, &peer_len), 0);
    assert_true(net_addr_equal(&peer, &c->relayed));
    assert_int_equal(media_stream_peer(c->caller, MEDIA_COMP_RTP, &peer, &peer_len),
                     SYNTH_ENOTFOUND);

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

/* ---- both ends ICE, host candidates ---- */

static void assert_unconnected(const struct media_stream *ms)
{
    struct sockaddr_storage peer;
    socklen_t len;
    assert_int_equal(media_stream_peer(ms, MEDIA_COMP_RTP, &peer, &len), SYNTH_ENOTFOUND);
}

/* As call_media and um_media do: the stream starts on the nominated pair;
 * its socket is still open to every source then. */
static void on_host_done(struct ice_stream *s, enum ice_state st, void *arg)
{
    struct call *c = arg;
    bool caller = s == c->ice;
    struct media_stream *ms = caller ? c->caller : c->um;
    struct media_stream_params *p = caller ? &c->cp : &c->up;
    assert_int_equal(st, ICE_STATE_COMPLETED);
    assert_unconnected(ms);
    ice_stream_apply_path(s, p);
    assert_int_equal(media_stream_start(ms, p, NULL), 0);
    c->ice_done++;
}

/* s's description as its SDP, parsed as the other end reads it. */
static void describe_to(struct ice_stream *s, const struct media_stream *ms,
                        struct sdp_session *out, char *buf, size_t size)
{
    struct sdp_desc d;
    struct sdp_error se;
    struct sbuf sb;
    memset(&d, 0, sizeof(d));
    d.addr = strv_from_cstr("127.0.0.1");
    d.port = media_stream_port(ms);
    d.rtcp_mux = true;
    d.proto = SDP_PROTO_RTP_AVP;
    d.codecs[d.codec_count++] = SDP_CODEC_PCMU;
    ice_stream_describe(s, &d);
    sbuf_init(&sb, buf, size);
    assert_int_equal(sdp_build(&sb, &d), 0);
    assert_int_equal(sdp_parse(out, buf, sb.len, &se), 0);
}

static struct ice_stream *host_agent(struct call *c, struct media_stream *ms, enum ice_role role)
{
    struct ice_stream *s;
    struct synth_error err;
    struct ice_stream_opts o = {.base = c->base, .ms = ms, .role = role, .host = true,
                                .done = on_host_done, .arg = c};
    assert_int_equal(ice_stream_new(&s, &o, &err), 0);
    return s;
}

/* Checks, nomination, then media on the pair: each stream's socket is
 * connected to the far end of the nominated pair (getpeername), not before. */
static void host_pair_connected_after_nomination(void **state)
{
    struct call *c = *state;
    static struct sdp_session offer, answer;
    char offer_buf[2048], answer_buf[2048];
    c->caller = open_stream(c);
    c->um = open_stream(c);
    c->ice = host_agent(c, c->caller, ICE_CONTROLLING);
    c->um_ice = host_agent(c, c->um, ICE_CONTROLLED);
    describe_to(c->ice, c->caller, &offer, offer_buf, sizeof(offer_buf));
    describe_to(c->um_ice, c->um, &answer, answer_buf, sizeof(answer_buf));
    assert_int_equal(ice_stream_set_remote(c->um_ice, &offer, &offer.media[0], 1), 0);
    assert_int_equal(ice_stream_set_remote(c->ice, &answer, &answer.media[0], 1), 0);
    c->cp = (struct media_stream_params){.pt = 0, .send = true, .expect_dscp = -1,
                                         .rtcp_mux = true};
    c->up = c->cp;
    assert_int_equal(ice_stream_start(c->um_ice), 0);
    assert_int_equal(ice_stream_start(c->ice), 0);
    for (int i = 0; i < 100 && c->ice_done < 2; i++)
        run_for(c, 20);
    assert_int_equal(c->ice_done, 2);
    run_for(c, 200);
    struct sockaddr_storage peer, local;
    socklen_t peer_len, local_len;
    assert_int_equal(media_stream_peer(c->caller, MEDIA_COMP_RTP, &peer, &peer_len), 0);
    assert_int_equal(media_stream_local(c->um, MEDIA_COMP_RTP, &local, &local_len), 0);
    assert_true(net_addr_equal(&peer, &local));
    assert_true(net_addr_equal(&peer, &c->cp.peer_rtp)); /* the nominated pair's */
    assert_int_equal(media_stream_peer(c->um, MEDIA_COMP_RTP, &peer, &peer_len), 0);
    assert_int_equal(media_stream_local(c->caller, MEDIA_COMP_RTP, &local, &local_len), 0);
    assert_true(net_addr_equal(&peer, &local));
    struct media_report cr, ur;
    media_stream_report(c->caller, &cr);
    media_stream_report(c->um, &ur);
    assert_true(cr.recv_packets > 5);
    assert_true(ur.recv_packets > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(relayed_media_on_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(call_ended_inside_the_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(host_pair_connected_after_nomination, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
