/* Unit tests: two media streams on loopback, one playing a generated
 * greeting like the lab's UM, one listening like a synthetic caller: SRTP
 * both ways, the greeting heard, DSCP and ports checked, RTCP reports and
 * the wrong-key and no-media cases; the sockets connected to the peer once
 * it is heard (IPv4 and IPv6), again when it moves, and a peer gone
 * mid-call (ICMP port unreachable) that ends nothing. */
#include "media/dscp.h"
#include "media/media_stream.h"
#include "media/media_tick.h"
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct pair {
    struct event_base *base;
    struct media_tick *tick;
    struct port_range_pool caller_ports, um_ports;
    struct media_stream *caller, *um;
    struct prompt greeting;
    struct sdes_key caller_key, um_key;
    bool greeting_event, first_event, dtmf_sent_event;
    int dtmf_keys_seen;
    bool um_on_events; /* the UM reads its RTP on socket events, not the clock */
    bool caller_on_events;
    struct media_stream *um2; /* where the UM moves to */
    /* A relay for the caller (relay_poll): the UM sends to relay_fd, which
     * the caller's clock reads through the hook on every poll_every-th poll. */
    int relay_fd;
    int polls, ends, poll_every;
};

static const struct sockaddr_in loopback = {.sin_family = AF_INET,
                                            .sin_addr.s_addr = 0x0100007f};
static const struct sockaddr_in6 loopback6 = {.sin6_family = AF_INET6,
                                              .sin6_addr = IN6ADDR_LOOPBACK_INIT};

static void on_event(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct pair *p = arg;
    if (ev == MEDIA_EVENT_GREETING) {
        p->greeting_event = true;
        event_base_loopbreak(p->base);
    }
    if (ev == MEDIA_EVENT_FIRST_PACKET)
        p->first_event = true;
    if (ev == MEDIA_EVENT_DTMF_SENT)
        p->dtmf_sent_event = true;
}

static void on_um_event(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct pair *p = arg;
    if (ev == MEDIA_EVENT_DTMF)
        p->dtmf_keys_seen++;
}

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));
    struct synth_error err;
    p->relay_fd = -1;
    p->base = event_base_new();
    if (media_tick_new(&p->tick, p->base, 20000, &err) != 0)
        return -1;
    /* The caller uses the client audio range, the UM the server range. */
    struct port_range caller[PORT_RANGE_MODALITY_COUNT] = {{50040, 50079}, {58000, 58039},
                                                           {42000, 42039}};
    struct port_range um[PORT_RANGE_MODALITY_COUNT] = {{49152, 57500}, {57501, 65535},
                                                       {40803, 49151}};
    port_range_pool_init(&p->caller_ports, caller, 1);
    port_range_pool_init(&p->um_ports, um, 2);
    if (prompt_generate_speech(&p->greeting, 8000, 42, &err) != 0 ||
        sdes_key_generate(&p->caller_key, &err) != 0 || sdes_key_generate(&p->um_key, &err) != 0)
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    media_stream_free(p->caller);
    media_stream_free(p->um);
    media_stream_free(p->um2);
    if (p->relay_fd >= 0)
        close(p->relay_fd);
    prompt_free(&p->greeting);
    media_tick_free(p->tick);
    event_base_free(p->base);
    free(p);
    return 0;
}

static struct media_stream *open_stream_at(struct pair *p, struct port_range_pool *pool, int dscp,
                                           const struct sockaddr *local, socklen_t local_len)
{
    struct media_stream *ms;
    struct synth_error err;
    struct media_stream_opts o = {
        .base = p->base, .tick = p->tick, .ports = pool, .modality = PORT_RANGE_AUDIO,
        .local = local, .local_len = local_len, .dscp = dscp,
        .rx_on_events = pool == &p->um_ports ? p->um_on_events : p->caller_on_events,
    };
    if (media_stream_open(&ms, &o, &err) != 0)
        fail_msg("open: %s", err.msg);
    return ms;
}

static struct media_stream *open_stream(struct pair *p, struct port_range_pool *pool, int dscp)
{
    return open_stream_at(p, pool, dscp, (const struct sockaddr *)&loopback, sizeof(loopback));
}

static void address(struct media_stream_params *mp, uint16_t port)
{
    struct sockaddr_in *a = (struct sockaddr_in *)&mp->peer_rtp;
    *a = loopback;
    a->sin_port = htons(port);
    mp->peer_rtp_len = sizeof(*a);
    a = (struct sockaddr_in *)&mp->peer_rtcp;
    *a = loopback;
    a->sin_port = htons((uint16_t)(port + 1));
    mp->peer_rtcp_len = sizeof(*a);
}

/* The peer's RTP and RTCP addresses, as its SDP says: its sockets'. */
static void peer_of(struct media_stream_params *mp, const struct media_stream *peer)
{
    assert_int_equal(media_stream_local(peer, MEDIA_COMP_RTP, &mp->peer_rtp, &mp->peer_rtp_len),
                     0);
    assert_int_equal(
        media_stream_local(peer, MEDIA_COMP_RTCP, &mp->peer_rtcp, &mp->peer_rtcp_len), 0);
}

/* Starts both ends; um_tx is the key the UM really uses (a fault when it
 * is not the one it announced). */
static void start_both(struct pair *p, const struct sdes_key *um_tx, bool um_sends)
{
    struct synth_error err;
    struct media_stream_params c = {.pt = 0, .dtmf = true, .dtmf_pt = 101, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->caller_key, .rx_key = p->um_key,
                                    .send = true, .detect_greeting = true, .record_ms = 5000,
                                    .expect_dscp = 46, .rtcp_interval_ms = 500,
                                    .on_event = on_event, .arg = p};
    greeting_config_default(&c.greeting);
    peer_of(&c, p->um);
    struct media_stream_params u = {.pt = 0, .dtmf = true, .dtmf_pt = 101, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = *um_tx, .rx_key = p->caller_key,
                                    .prompt = &p->greeting, .send = um_sends,
                                    .expect_dscp = -1, .rtcp_interval_ms = 500,
                                    .on_event = on_um_event, .arg = p};
    peer_of(&u, p->caller);
    if (media_stream_start(p->um, &u, &err) != 0 || media_stream_start(p->caller, &c, &err) != 0)
        fail_msg("start: %s", err.msg);
}

static void run_for(struct pair *p, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(p->base, &tv);
    event_base_dispatch(p->base);
}

static void greeting_heard_over_srtp(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, 46);
    p->um = open_stream(p, &p->um_ports, 46);
    assert_in_range(media_stream_port(p->caller), 50040, 50079);
    assert_in_range(media_stream_port(p->um), 49152, 57500);
    assert_int_equal(media_stream_port(p->um) % 2, 0);
    start_both(p, &p->um_key, true);
    run_for(p, 6000); /* ends early at the greeting */
    assert_true(p->first_event);
    assert_true(p->greeting_event);
    /* A little longer so RTCP reports cross. */
    run_for(p, 700);

    struct media_report c, u;
    media_stream_report(p->caller, &c);
    media_stream_report(p->um, &u);
    assert_true(c.greeting_heard);
    assert_in_range(c.first_packet_us, 0, 200000);
    assert_in_range(c.greeting_onset_us, 100000, 1000000); /* the prompt's 300 ms lead-in */
    assert_true(c.recv_packets > 50);
    assert_int_equal(c.recv_unauthenticated, 0);
    assert_true(c.loss_pct < 1.0);
    assert_true(c.jitter_ms < 20.0);
    assert_true(c.mos > 4.0);
    assert_int_equal(c.dscp_seen, 46);
    assert_int_equal(c.dscp_mismatches, 0);
    assert_int_equal(c.peer_port_seen, media_stream_port(p->um));
    assert_false(c.peer_port_in_range); /* the server's port is not in the client range */
    assert_int_equal(c.recv_foreign, 0);
    /* Both directions flowed: the UM received the caller's packets too. */
    assert_true(u.recv_packets > 50);
    assert_int_equal(u.recv_unauthenticated, 0);
    /* The UM's RTCP says what it received from us; ours what we got. */
    assert_true(c.rtcp_received >= 1);
    assert_true(c.peer.have);
    assert_true(c.peer.loss_pct < 1.0);
    assert_true(u.peer.have);
    assert_true(media_stream_recording(p->caller)->samples > 8000);
    media_stream_stop(p->caller);
    media_stream_stop(p->caller); /* twice is safe */
}

/* The same call with the UM reading on socket wake-ups while the caller
 * reads on the media clock: both ways of receiving count alike. */
static void greeting_heard_um_on_events(void **state)
{
    struct pair *p = *state;
    p->um_on_events = true;
    greeting_heard_over_srtp(state);
}

static void wrong_key_is_unauthenticated(void **state)
{
    struct pair *p = *state;
    struct sdes_key other;
    struct synth_error err;
    assert_int_equal(sdes_key_generate(&other, &err), 0);
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_both(p, &other, true);
    run_for(p, 600);
    struct media_report c;
    media_stream_report(p->caller, &c);
    assert_false(p->first_event);
    assert_int_equal(c.recv_packets, 0);
    assert_true(c.recv_unauthenticated > 20);
    assert_int_equal(c.first_packet_us, -1);
    assert_false(c.greeting_heard);
    assert_true(c.mos == 0);
}

static void no_media_from_the_peer(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_both(p, &p->um_key, false);
    run_for(p, 400);
    struct media_report c, u;
    media_stream_report(p->caller, &c);
    media_stream_report(p->um, &u);
    assert_int_equal(c.recv_packets, 0);
    assert_int_equal(c.recv_unauthenticated, 0);
    assert_true(c.sent_packets >= 15);
    assert_true(u.recv_packets >= 15); /* one-way audio: the UM hears us */
    assert_int_equal(u.sent_packets, 0);
}

static void dtmf_keys_cross(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_both(p, &p->um_key, true);
    assert_int_equal(media_stream_send_dtmf(p->caller, "12x", 100, 100), SYNTH_EINVAL);
    assert_int_equal(media_stream_send_dtmf(p->caller, "1234#", 100, 60), 0);
    assert_int_equal(media_stream_send_dtmf(p->caller, "9", 100, 60), SYNTH_EINCOMPLETE);
    /* 5 keys of 100 ms (+2 end repeats) and 4 pauses: about 1 s. */
    run_for(p, 1500);
    assert_true(p->dtmf_sent_event);
    struct media_report c, u;
    media_stream_report(p->caller, &c);
    media_stream_report(p->um, &u);
    assert_int_equal(c.dtmf_sent, 5);
    assert_string_equal(u.dtmf_received, "1234#");
    assert_int_equal(p->dtmf_keys_seen, 5);
    /* The audio went on around the keys: the UM's stats lost nothing. */
    assert_true(u.loss_pct < 1.0);
}

/* The transport seam (media_transport): what the caller sends goes through
 * a relay function (a TURN client in a call), which here hands it to the
 * UM's stream as media_stream_input; STUN on the caller's socket goes to
 * its handler before and after start, never into the media counts. */
static int relayed, stun_seen;
static enum media_component stun_comp;

static int relay_to_um(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                       size_t len)
{
    struct pair *p = arg;
    struct sockaddr_storage from;
    socklen_t fl;
    assert_int_equal(media_stream_local(p->caller, MEDIA_COMP_RTP, &from, &fl), 0);
    relayed++;
    media_stream_input(p->um, MEDIA_COMP_RTP, &from, buf, len, clock_mono_us());
    return 0;
}

static void on_stun(struct media_stream *ms, enum media_component c,
                    const struct sockaddr_storage *from, const uint8_t *buf, size_t len, void *arg)
{
    stun_seen++;
    stun_comp = c;
}

#define STUN_REQUEST_LEN (STUN_HEADER_LEN + 8)

static void stun_request(uint8_t msg[STUN_REQUEST_LEN])
{
    uint8_t tid[STUN_TID_LEN] = {1};
    struct stun_enc e;
    size_t len;
    stun_enc_init(&e, msg, STUN_REQUEST_LEN, NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    assert_int_equal(len, STUN_REQUEST_LEN);
}

/* A Binding request from a socket of nobody's to a loopback port. */
static void send_stun_to(struct pair *p, uint16_t port)
{
    uint8_t msg[STUN_REQUEST_LEN];
    stun_request(msg);
    struct sockaddr_in to = loopback;
    to.sin_port = htons(port);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to));
    close(fd);
}

/* One from a stream's RTP socket to another's: the peer's ICE check. */
static void send_stun_from(struct media_stream *from, const struct media_stream *to)
{
    uint8_t msg[STUN_REQUEST_LEN];
    struct sockaddr_storage ss;
    socklen_t len;
    stun_request(msg);
    assert_int_equal(media_stream_local(to, MEDIA_COMP_RTP, &ss, &len), 0);
    assert_int_equal(media_stream_send_raw(from, MEDIA_COMP_RTP, (struct sockaddr *)&ss, len, msg,
                                           sizeof(msg)),
                     0);
}

/* An ICE handler that frees the stream from inside the clock's read of its
 * RTP socket (a check that ends the call): the free waits for the read to
 * return, and nothing of the stream is touched after it (ASan). */
/* A handler of the caller's ending the call from inside the stream. */
static void free_caller(struct pair *p, struct media_stream *ms)
{
    assert_ptr_equal(ms, p->caller);
    media_stream_free(p->caller);
    p->caller = NULL;
}

static void on_stun_free(struct media_stream *ms, enum media_component c,
                         const struct sockaddr_storage *from, const uint8_t *buf, size_t len,
                         void *arg)
{
    stun_seen++;
    free_caller(arg, ms);
}

static void stun_frees_the_stream_while_it_reads(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    stun_seen = 0;
    start_both(p, &p->um_key, true);
    run_for(p, 300);
    struct media_report c;
    media_stream_report(p->caller, &c);
    assert_true(c.recv_packets > 5); /* direct media, read on the clock */
    media_stream_set_stun_handler(p->caller, on_stun_free, p);
    /* From the peer: by now the caller's socket takes nothing from elsewhere. */
    send_stun_from(p->um, p->caller);
    send_stun_from(p->um, p->caller); /* a second one in the same read */
    run_for(p, 200);
    assert_int_equal(stun_seen, 1);
    assert_null(p->caller);
    run_for(p, 100); /* the clock goes on for the UM alone */
    struct media_report u;
    media_stream_report(p->um, &u);
    assert_true(u.sent_packets > 20);
}

static void relay_path_and_stun(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    relayed = stun_seen = 0;
    media_stream_set_stun_handler(p->caller, on_stun, p);
    send_stun_to(p, media_stream_port(p->caller));
    run_for(p, 50);
    assert_int_equal(stun_seen, 1); /* before start: ICE checks come first */
    struct sockaddr_storage local;
    socklen_t len;
    assert_int_equal(media_stream_local(p->caller, MEDIA_COMP_RTCP, &local, &len), 0);
    assert_int_equal(net_addr_port(&local), media_stream_port(p->caller) + 1);
    send_stun_to(p, media_stream_port(p->caller) + 1);
    run_for(p, 50);
    assert_int_equal(stun_seen, 2);
    assert_int_equal(stun_comp, MEDIA_COMP_RTCP);

    struct synth_error err;
    struct media_stream_params c = {.pt = 0, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->caller_key, .rx_key = p->um_key, .send = true,
                                    .expect_dscp = -1, .rtcp_interval_ms = 200,
                                    .relay = relay_to_um, .relay_arg = p, .rtcp_mux = true};
    address(&c, media_stream_port(p->um));
    struct media_stream_params u = {.pt = 0, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->um_key, .rx_key = p->caller_key,
                                    .prompt = &p->greeting, .send = true, .rtcp_mux = true,
                                    .expect_dscp = -1, .rtcp_interval_ms = 200};
    address(&u, media_stream_port(p->caller));
    if (media_stream_start(p->um, &u, &err) != 0 || media_stream_start(p->caller, &c, &err) != 0)
        fail_msg("start: %s", err.msg);
    run_for(p, 1200); /* past the first RTCP report (1 s) */
    send_stun_to(p, media_stream_port(p->caller));
    run_for(p, 100);
    struct media_report cr, ur;
    media_stream_report(p->caller, &cr);
    media_stream_report(p->um, &ur);
    assert_int_equal(stun_seen, 3);
    assert_int_equal(cr.recv_other_bad, 0); /* STUN is not counted as bad media */
    assert_true(cr.recv_packets > 10);      /* the UM's media, direct */
    assert_true(ur.recv_packets > 10);      /* ours, through the relay function */
    assert_int_equal(ur.recv_unauthenticated, 0);
    assert_int_equal((uint64_t)relayed, cr.sent_packets + cr.rtcp_sent);
    assert_true(ur.rtcp_received >= 1);     /* RTCP took the relay too (rtcp-mux) */
}

/* ---- relayed media read on the caller's clock (relay_poll) ---- */

/* The relay's side of a poll: what reached relay_fd, handed over with the
 * kernel's arrival stamps, as turn_client_poll does. Every poll_every-th
 * poll only, so most packets wait 20-40 ms in the socket: a late read. */
static void relay_poll_sim(void *arg, enum media_poll what)
{
    struct pair *p = arg;
    if (what == MEDIA_POLL_END) {
        p->ends++;
        return;
    }
    assert_int_equal(p->ends, 0); /* never polled after the end */
    if (++p->polls % p->poll_every != 0)
        return;
    struct media_stream *ms = p->caller; /* a handler may free it and clear p->caller */
    uint8_t bufs[DSCP_BATCH_MAX][1600];
    struct dscp_packet dp[DSCP_BATCH_MAX];
    int n = dscp_recv_batch(p->relay_fd, &bufs[0][0], sizeof(bufs[0]), dp, DSCP_BATCH_MAX, NULL);
    int64_t now = clock_mono_us();
    for (int i = 0; i < n; i++)
        media_stream_input(ms, MEDIA_COMP_RTP, &dp[i].from, bufs[i], dp[i].len,
                           now - dp[i].waited_us);
}

/* The UM sends to a socket of the test (the relay); the caller sends
 * through relay_to_um and reads the relay on its clock. */
static void start_relayed(struct pair *p, int poll_every, media_event_h *caller_event)
{
    struct synth_error err;
    struct sockaddr_in ra = loopback;
    socklen_t rl = sizeof(ra);
    p->poll_every = poll_every;
    p->relay_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(p->relay_fd >= 0);
    assert_int_equal(bind(p->relay_fd, (struct sockaddr *)&ra, rl), 0);
    assert_int_equal(getsockname(p->relay_fd, (struct sockaddr *)&ra, &rl), 0);
    bool stamped = false;
    assert_int_equal(dscp_enable_recv(p->relay_fd, &stamped, &err), 0);
    assert_true(stamped);
    struct media_stream_params c = {.pt = 0, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->caller_key, .rx_key = p->um_key, .send = true,
                                    .expect_dscp = -1, .rtcp_mux = true,
                                    .relay = relay_to_um, .relay_poll = relay_poll_sim,
                                    .relay_arg = p, .on_event = caller_event, .arg = p};
    address(&c, media_stream_port(p->um));
    struct media_stream_params u = {.pt = 0, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->um_key, .rx_key = p->caller_key,
                                    .prompt = &p->greeting, .loop_prompt = true, .send = true,
                                    .rtcp_mux = true, .expect_dscp = -1};
    address(&u, ntohs(ra.sin_port));
    if (media_stream_start(p->um, &u, &err) != 0 || media_stream_start(p->caller, &c, &err) != 0)
        fail_msg("start: %s", err.msg);
}

/* Packets read three periods late in bunches of three: jitter (RFC 3550
 * A.8) comes from the kernel's stamps, so it stays near zero; judged by the
 * read time it would be over 10 ms. The stream's stop ends the polling once,
 * and nothing polls after it. */
static void relayed_media_read_on_the_clock(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_relayed(p, 3, on_event);
    run_for(p, 1500);
    struct media_report c, u;
    media_stream_report(p->caller, &c);
    assert_true(p->polls >= 50); /* about one per 20 ms period */
    assert_true(c.recv_packets >= 50);
    assert_true(p->first_event);
    assert_int_equal(c.recv_foreign, 0);
    assert_true(c.loss_pct < 1.0);
    assert_true(c.jitter_ms < 3.0);
    media_stream_report(p->um, &u);
    assert_true(u.recv_packets >= 50); /* the other way, through relay_to_um */
    int polls = p->polls;
    media_stream_stop(p->caller);
    assert_int_equal(p->ends, 1);
    assert_int_equal(p->polls, polls + 1); /* stop read what was left first */
    run_for(p, 100);
    assert_int_equal(p->ends, 1);
    assert_int_equal(p->polls, polls + 1);
}

/* The owner frees the stream from its first-packet event, raised inside the
 * relay's poll while more of the batch is still to be handed over: the rest
 * is ignored, the free completes when the poll returns (ASan), and no
 * MEDIA_POLL_END follows (the relay's owner goes before the stream). */
static void on_event_free(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct pair *p = arg;
    if (ev != MEDIA_EVENT_FIRST_PACKET)
        return;
    p->first_event = true;
    free_caller(p, ms);
}

static void relay_poll_frees_the_stream(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_relayed(p, 5, on_event_free); /* four periods' packets in the first read */
    run_for(p, 400);
    assert_true(p->first_event);
    assert_null(p->caller);
    int polls = p->polls;
    run_for(p, 100); /* the clock goes on for the UM alone */
    assert_int_equal(p->polls, polls);
    assert_int_equal(p->ends, 0);
}

/* ---- the sockets connected to the peer (media_transport_heard) ---- */

/* Runs the loop for ms by the clock, however often a handler breaks it
 * (the caller's greeting does). */
static void run_ms(struct pair *p, int ms)
{
    int64_t end = clock_mono_us() + (int64_t)ms * 1000;
    while (clock_mono_us() < end)
        run_for(p, 20);
}

/* ms's socket c is connected to peer's socket c (getpeername). */
static void assert_connected(const struct media_stream *ms, enum media_component c,
                             const struct media_stream *peer)
{
    struct sockaddr_storage got, want;
    socklen_t got_len, want_len;
    assert_int_equal(media_stream_peer(ms, c, &got, &got_len), 0);
    assert_int_equal(media_stream_local(peer, c, &want, &want_len), 0);
    assert_true(net_addr_equal(&got, &want));
}

static void assert_unconnected(const struct media_stream *ms, enum media_component c)
{
    struct sockaddr_storage got;
    socklen_t got_len;
    assert_int_equal(media_stream_peer(ms, c, &got, &got_len), SYNTH_ENOTFOUND);
}

/* A Binding request to a stream's RTP socket from a socket of nobody's. */
static void send_stun_stranger(const struct media_stream *to)
{
    uint8_t msg[STUN_REQUEST_LEN];
    struct sockaddr_storage ss;
    socklen_t len;
    stun_request(msg);
    assert_int_equal(media_stream_local(to, MEDIA_COMP_RTP, &ss, &len), 0);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len),
                     (ssize_t)sizeof(msg));
    close(fd);
}

/* Unconnected until the stream runs and the peer's first authenticated
 * packet on a socket came from where that socket sends to; then connected
 * to it, RTP at once and RTCP (no rtcp-mux) at the first report, both ends.
 * What the stream judges of the peer's media is read as before: the DSCP of
 * every packet (the UM marks AF41, not audio's EF) and the peer's port.
 * From then on a stranger's datagrams no longer reach the stream; the
 * peer's (an ICE check) still do. */
static void connected_once_heard(struct pair *p, const struct sockaddr *local, socklen_t len)
{
    p->caller = open_stream_at(p, &p->caller_ports, 46, local, len);
    p->um = open_stream_at(p, &p->um_ports, DSCP_AF41, local, len);
    stun_seen = 0;
    media_stream_set_stun_handler(p->caller, on_stun, p);
    send_stun_stranger(p->caller);
    run_for(p, 50);
    assert_int_equal(stun_seen, 1); /* before start, everyone's checks come in */
    start_both(p, &p->um_key, true);
    assert_unconnected(p->caller, MEDIA_COMP_RTP);
    assert_unconnected(p->caller, MEDIA_COMP_RTCP);
    run_ms(p, 1300); /* past the first RTCP reports (1 s) */
    for (enum media_component c = MEDIA_COMP_RTP; c <= MEDIA_COMP_RTCP; c++) {
        assert_connected(p->caller, c, p->um);
        assert_connected(p->um, c, p->caller);
    }
    struct media_report c;
    media_stream_report(p->caller, &c);
    assert_true(c.recv_packets > 40);
    assert_true(c.rtcp_received >= 1);
    assert_int_equal(c.dscp_seen, DSCP_AF41);
    assert_int_equal(c.dscp_mismatches, c.recv_packets); /* after the connect too */
    assert_int_equal(c.peer_port_seen, media_stream_port(p->um));
    assert_false(c.peer_port_in_range);
    assert_int_equal(c.recv_foreign, 0);
    assert_int_equal(c.icmp_refused, 0);
    send_stun_stranger(p->caller);
    run_for(p, 50);
    assert_int_equal(stun_seen, 1);
    send_stun_from(p->um, p->caller);
    run_for(p, 50);
    assert_int_equal(stun_seen, 2);
}

static void connected_once_heard_ipv4(void **state)
{
    connected_once_heard(*state, (const struct sockaddr *)&loopback, sizeof(loopback));
}

static void connected_once_heard_ipv6(void **state)
{
    connected_once_heard(*state, (const struct sockaddr *)&loopback6, sizeof(loopback6));
}

/* The peer moves to another socket (a new pair): the caller's socket is
 * unconnected at once, so the new peer's media comes in, and connected to
 * the new peer once it is heard. */
static void reconnected_when_the_peer_moves(void **state)
{
    struct pair *p = *state;
    struct synth_error err;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    start_both(p, &p->um_key, true);
    run_ms(p, 300);
    assert_connected(p->caller, MEDIA_COMP_RTP, p->um);

    p->um2 = open_stream(p, &p->um_ports, -1);
    struct media_stream_params u = {.pt = 0, .srtp = true, .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80,
                                    .tx_key = p->um_key, .rx_key = p->caller_key,
                                    .prompt = &p->greeting, .loop_prompt = true, .send = true,
                                    .expect_dscp = -1};
    peer_of(&u, p->caller);
    if (media_stream_start(p->um2, &u, &err) != 0)
        fail_msg("start: %s", err.msg);
    media_stream_free(p->um);
    p->um = NULL;
    struct media_stream_params moved;
    peer_of(&moved, p->um2);
    assert_int_equal(media_stream_set_peer(p->caller, MEDIA_COMP_RTP, &moved.peer_rtp,
                                           moved.peer_rtp_len),
                     0);
    assert_int_equal(media_stream_set_peer(p->caller, MEDIA_COMP_RTCP, &moved.peer_rtcp,
                                           moved.peer_rtcp_len),
                     0);
    assert_unconnected(p->caller, MEDIA_COMP_RTP);
    struct media_report before, after, u2;
    media_stream_report(p->caller, &before);
    run_ms(p, 400);
    assert_connected(p->caller, MEDIA_COMP_RTP, p->um2);
    media_stream_report(p->caller, &after);
    media_stream_report(p->um2, &u2);
    assert_true(after.recv_packets >= before.recv_packets + 10);
    assert_int_equal(after.recv_foreign, 0);
    assert_true(u2.recv_packets >= 10); /* what the caller sends goes to the new place */
}

/* The UM's sockets close mid-call: every packet the caller sends comes back
 * as ICMP port unreachable, reported on its connected sockets as
 * ECONNREFUSED. The caller counts it and goes on: it sends every period,
 * with no send error, and still reads its socket (a check from the peer's
 * address, open again, arrives). */
static void peer_gone_mid_call(void **state)
{
    struct pair *p = *state;
    p->caller = open_stream(p, &p->caller_ports, -1);
    p->um = open_stream(p, &p->um_ports, -1);
    stun_seen = 0;
    media_stream_set_stun_handler(p->caller, on_stun, p);
    start_both(p, &p->um_key, true);
    run_ms(p, 300);
    assert_connected(p->caller, MEDIA_COMP_RTP, p->um);
    struct sockaddr_storage gone;
    socklen_t gone_len;
    assert_int_equal(media_stream_local(p->um, MEDIA_COMP_RTP, &gone, &gone_len), 0);
    struct media_report before, after;
    media_stream_report(p->caller, &before);
    media_stream_free(p->um);
    p->um = NULL;
    run_ms(p, 400);
    media_stream_report(p->caller, &after);
    assert_true(after.icmp_refused >= 10);
    assert_int_equal(after.send_errors, 0);
    assert_true(after.sent_packets >= before.sent_packets + 15);

    int fd = socket(gone.ss_family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&gone, gone_len), 0);
    uint8_t msg[STUN_REQUEST_LEN];
    struct sockaddr_storage to;
    socklen_t to_len;
    stun_request(msg);
    assert_int_equal(media_stream_local(p->caller, MEDIA_COMP_RTP, &to, &to_len), 0);
    assert_int_equal(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, to_len),
                     (ssize_t)sizeof(msg));
    run_ms(p, 60);
    close(fd);
    assert_int_equal(stun_seen, 1);
    struct sockaddr_storage peer;
    socklen_t peer_len;
    assert_int_equal(media_stream_peer(p->caller, MEDIA_COMP_RTP, &peer, &peer_len), 0);
    assert_true(net_addr_equal(&peer, &gone));
}

/* The same with the caller reading on socket wake-ups: the error wakes the
 * socket, and its read clears it. */
static void peer_gone_mid_call_on_events(void **state)
{
    struct pair *p = *state;
    p->caller_on_events = true;
    peer_gone_mid_call(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(relay_path_and_stun, setup, teardown),
        cmocka_unit_test_setup_teardown(greeting_heard_over_srtp, setup, teardown),
        cmocka_unit_test_setup_teardown(greeting_heard_um_on_events, setup, teardown),
        cmocka_unit_test_setup_teardown(stun_frees_the_stream_while_it_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_key_is_unauthenticated, setup, teardown),
        cmocka_unit_test_setup_teardown(no_media_from_the_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(dtmf_keys_cross, setup, teardown),
        cmocka_unit_test_setup_teardown(relayed_media_read_on_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_poll_frees_the_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(connected_once_heard_ipv4, setup, teardown),
        cmocka_unit_test_setup_teardown(connected_once_heard_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(reconnected_when_the_peer_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_gone_mid_call, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_gone_mid_call_on_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
