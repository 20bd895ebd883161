/* One audio stream (media_stream.h): RTP/SRTP out on the media clock, RTP
 * in on the same clock (from its socket or its relay) or on socket events,
 * RTCP on events, everything counted (RFC 3550, RFC 3711). */
#include "media/media_stream.h"

#include "media/dscp.h"
#include "media/media_tick.h"
#include "media/media_transport.h"
#include "media/prompt_player.h"
#include "media/quality.h"
#include "media/rtp.h"
#include "media/rtp_stats.h"
#include "synth/base/clock.h"
#include "synth/base/loop.h"
#include "synth/base/net_addr.h"
#include "synth/base/udp_peer.h"

#include <event2/event.h>
#include <openssl/rand.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Datagrams read at one go before yielding to the rest of the loop. */
#define READ_MAX 32
/* Datagrams one recvmmsg asks for: on the clock one is due per period, a
 * few more after a burst; on events one has come (RTCP, an ICE check). A
 * full batch reads again. */
#define READ_BATCH 4
/* After a stall, at most this many frames are sent at once; the rest are
 * skipped (their timestamps advance) rather than bursting a second of audio. */
#define CATCH_UP_MAX 5
/* The first RTCP report goes out this soon, so short calls send one too. */
#define RTCP_FIRST_MS 1000
#define PACKET_BUF (RTP_PACKET_MAX + SRTPSESS_OVERHEAD_MAX)
/* A peer report this long after our start can speak of our media. */
#define REPORT_AFTER_US 500000

enum stream_state { STREAM_OPEN, STREAM_RUNNING, STREAM_STOPPED };

struct media_stream {
    struct media_stream_opts o;
    struct media_stream_params p;
    enum stream_state state;
    struct port_range_binding bind;
    struct event *rtp_ev, *rtcp_ev;
    struct media_tick_client tick;
    struct srtpsess *tx, *rx;
    /* sending */
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    struct prompt_player player; /* p.prompt, coded once at load for G.711 */
    bool sending;
    int64_t start_us;
    int64_t next_rtcp_us;
    uint32_t tx_packets, tx_octets; /* RTCP sender info counts (RFC 3550 6.4.1) */
    /* receiving */
    struct rtp_stats rx_stats;
    struct greeting greet;
    int16_t frame[MEDIA_FRAME_SAMPLES];
    size_t frame_fill;
    struct recording rec;
    struct rtcp_session rtcp;
    struct media_report r;
    struct media_transport tp;  /* the path media takes (ICE's pair, or the SDP's addresses) */
    media_stun_h *stun_h;       /* STUN on our sockets or relay: the ICE agent's */
    void *stun_arg;
    uint64_t frames_skipped;
    struct dtmf_sender dtmf_tx;
    bool dtmf_sending;
    uint32_t dtmf_ts_base;  /* RTP timestamp at the first key's start */
    struct dtmf_receiver dtmf_rx;
    char last_key;          /* a key that just arrived, for the event */
    struct audio_codec codec; /* p.pt's */
    /* RTP read on the media clock, not on wake-ups (media_stream_start
     * says why): direct media with kernel stamps from the RTP socket
     * (polled), relayed media from tp.poll. */
    bool stamped;      /* the RTP socket's datagrams carry receive stamps */
    bool polled;
    int busy;          /* reads in progress (a handler may stop the stream inside one) */
    bool free_pending; /* freed inside a read: destroyed when the last one returns */
};

/* ---- helpers ---- */

static uint32_t random_u32(void)
{
    uint32_t v = 0;
    if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
        v = (uint32_t)clock_mono_us() * 2654435761u;
    return v;
}

/* ---- RTCP ---- */

static void send_rtcp(struct media_stream *ms, bool bye, int64_t now)
{
    uint8_t buf[PACKET_BUF];
    size_t len = 0;
    struct rtcp_sender_info si = {
        .ntp = clock_ntp_now(),
        .rtp_ts = ms->ts,
        .packet_count = ms->tx_packets,
        .octet_count = ms->tx_octets,
    };
    bool sender = ms->tx_packets > 0;
    if (rtcp_session_build(&ms->rtcp, sender ? &si : NULL, &ms->rx_stats, bye, now, buf,
                           RTP_PACKET_MAX, &len) != 0)
        return;
    if (ms->tx && srtpsess_protect_rtcp(ms->tx, buf, &len, sizeof(buf), NULL) != 0) {
        ms->r.send_errors++;
        return;
    }
    if (media_transport_send(&ms->tp, MEDIA_COMP_RTCP, buf, len) != 0)
        ms->r.send_errors++;
    else
        ms->r.rtcp_sent++;
}

static void on_rtcp(struct media_stream *ms, enum media_component c,
                    const struct sockaddr_storage *from, uint8_t *buf, size_t len, int64_t now)
{
    struct rtcp_compound rc;
    if (ms->rx) {
        enum srtpsess_result res;
        if (srtpsess_unprotect_rtcp(ms->rx, buf, &len, &res, NULL) != 0) {
            ms->rtcp.compounds_bad++;
            return;
        }
    }
    if (rtcp_parse(&rc, buf, len, NULL) != 0) {
        ms->rtcp.compounds_bad++;
        return;
    }
    media_transport_heard(&ms->tp, c, from);
    rtcp_session_receive(&ms->rtcp, &rc, clock_ntp_now(), now);
    ms->r.rtcp_received++;
    /* Only a report (SR or RR) says what the peer heard, and only one made
     * after our first packets could arrive: an APP ping at answer time (as
     * baresip sends) says nothing. */
    bool report = rtcp_find(&rc, RTCP_SR) || rtcp_find(&rc, RTCP_RR);
    if (report && now - ms->start_us >= REPORT_AFTER_US)
        ms->r.peer_reports_late++;
}

/* ---- sending ---- */

static void send_packet(struct media_stream *ms, const struct rtp_header *h,
                        const uint8_t *payload, size_t payload_len)
{
    uint8_t buf[PACKET_BUF];
    size_t len = 0;
    if (rtp_build(h, payload, payload_len, buf, sizeof(buf), &len) != 0)
        return;
    if (ms->tx && srtpsess_protect_rtp(ms->tx, buf, &len, sizeof(buf), NULL) != 0) {
        ms->r.send_errors++;
        return;
    }
    if (media_transport_send(&ms->tp, MEDIA_COMP_RTP, buf, len) != 0) {
        ms->r.send_errors++;
        return;
    }
    ms->r.sent_packets++;
    ms->r.sent_bytes += len;
    ms->tx_packets++;
    ms->tx_octets += (uint32_t)payload_len;
}

/* One telephone-event packet instead of audio; false in a pause between keys. */
static bool send_dtmf_frame(struct media_stream *ms)
{
    struct dtmf_packet dp;
    uint8_t payload[DTMF_PAYLOAD_LEN];
    if (!dtmf_sender_tick(&ms->dtmf_tx, &dp))
        return false;
    dtmf_build(&dp.ev, payload);
    struct rtp_header h = {
        .marker = dp.marker,
        .pt = ms->p.dtmf_pt,
        .seq = ms->seq++,
        .ts = ms->dtmf_ts_base + dp.ts_offset, /* one timestamp per key (RFC 4733 2.5.1.2) */
        .ssrc = ms->ssrc,
    };
    send_packet(ms, &h, payload, sizeof(payload));
    return true;
}

static void send_frame(struct media_stream *ms)
{
    uint8_t payload[MEDIA_FRAME_SAMPLES];

    if (ms->dtmf_sending && send_dtmf_frame(ms)) {
        prompt_player_skip(&ms->player, MEDIA_FRAME_SAMPLES); /* it keeps its pace under the keys */
    } else {
        size_t n = prompt_player_next(&ms->player, &ms->codec, MEDIA_FRAME_SAMPLES, payload);
        struct rtp_header h = {
            .marker = ms->r.sent_packets == 0, /* RFC 3551 4.1: first packet of a talkspurt */
            .pt = ms->p.pt,
            .seq = ms->seq++,
            .ts = ms->ts,
            .ssrc = ms->ssrc,
        };
        send_packet(ms, &h, payload, n);
    }
    ms->ts += MEDIA_FRAME_SAMPLES;
}

static bool read_pending(struct media_stream *ms);

static void on_tick(struct media_tick_client *c, int64_t due_us, uint32_t periods)
{
    struct media_stream *ms = c->arg;
    if (ms->polled || ms->tp.poll) {
        if (!read_pending(ms))
            return; /* a handler freed it */
        if (ms->state != STREAM_RUNNING)
            return; /* a handler stopped it */
    }
    int64_t now = clock_mono_us();
    bool was_done = ms->player.done;
    if (ms->sending && ms->p.stop_after_ms &&
        now - ms->start_us >= (int64_t)ms->p.stop_after_ms * 1000)
        ms->sending = false;
    if (ms->sending) {
        uint32_t skip = periods > CATCH_UP_MAX ? periods - CATCH_UP_MAX : 0;
        ms->ts += skip * MEDIA_FRAME_SAMPLES;
        ms->frames_skipped += skip;
        for (uint32_t i = skip; i < periods; i++)
            send_frame(ms);
    }
    if (now >= ms->next_rtcp_us) {
        uint32_t every = ms->p.rtcp_interval_ms ? ms->p.rtcp_interval_ms : MEDIA_RTCP_INTERVAL_MS;
        ms->next_rtcp_us = now + (int64_t)every * 1000;
        send_rtcp(ms, false, now);
    }
    bool dtmf_done = ms->dtmf_sending && dtmf_sender_done(&ms->dtmf_tx);
    if (dtmf_done) {
        ms->dtmf_sending = false;
        ms->r.dtmf_sent = (uint32_t)ms->dtmf_tx.count;
    }
    /* Last: the owner may free the stream from its handler. */
    if (dtmf_done && ms->p.on_event) {
        ms->p.on_event(ms, MEDIA_EVENT_DTMF_SENT, ms->p.arg);
        return;
    }
    if (!was_done && ms->player.done && ms->p.on_event)
        ms->p.on_event(ms, MEDIA_EVENT_PROMPT_DONE, ms->p.arg);
}

/* ---- receiving ---- */

static void feed_audio(struct media_stream *ms, const uint8_t *payload, size_t n)
{
    int16_t pcm[RTP_PACKET_MAX];
    n = audio_codec_decode(&ms->codec, payload, n, pcm, RTP_PACKET_MAX);
    if (ms->p.record_ms)
        recording_append(&ms->rec, pcm, n);
    if (!ms->p.detect_greeting)
        return;
    for (size_t i = 0; i < n;) {
        size_t take = MEDIA_FRAME_SAMPLES - ms->frame_fill;
        if (take > n - i)
            take = n - i;
        memcpy(ms->frame + ms->frame_fill, pcm + i, take * sizeof(*pcm));
        ms->frame_fill += take;
        i += take;
        if (ms->frame_fill == MEDIA_FRAME_SAMPLES) {
            greeting_feed(&ms->greet, ms->frame, MEDIA_FRAME_SAMPLES);
            ms->frame_fill = 0;
        }
    }
}

/* Unprotects and checks one RTP datagram; false when it does not count. */
static bool accept_rtp(struct media_stream *ms, uint8_t *buf, size_t *len, struct rtp_packet *pkt,
                       int64_t now)
{
    if (ms->rx) {
        enum srtpsess_result res = SRTPSESS_OK;
        if (srtpsess_unprotect_rtp(ms->rx, buf, len, &res, NULL) != 0) {
            if (res == SRTPSESS_AUTH_FAIL)
                ms->r.recv_unauthenticated++;
            else if (res == SRTPSESS_REPLAY)
                ms->r.recv_replayed++;
            else
                ms->r.recv_other_bad++;
            return false;
        }
    }
    if (rtp_parse(pkt, buf, *len, NULL) == 0 && ms->p.dtmf && pkt->hdr.pt == ms->p.dtmf_pt) {
        struct dtmf_event e;
        if (dtmf_parse(pkt->payload, pkt->payload_len, &e) == 0)
            ms->last_key = dtmf_receiver_feed(&ms->dtmf_rx, pkt->hdr.ts, &e);
        /* One sequence space per source (RFC 3550 5.1): events count in it,
         * or every key would look like lost audio. */
        rtp_stats_update(&ms->rx_stats, pkt->hdr.ssrc, pkt->hdr.seq, pkt->hdr.ts, now, 0);
        return false;
    }
    if (rtp_parse(pkt, buf, *len, NULL) != 0 || pkt->hdr.pt != ms->p.pt) {
        /* telephone-event and comfort noise are not audio to judge. */
        if (pkt->hdr.pt < 96 || pkt->hdr.pt > 127)
            ms->r.recv_other_bad++;
        return false;
    }
    return true;
}

/* Returns true when an event was raised: the caller must return at once. */
static bool on_rtp(struct media_stream *ms, enum media_component c, uint8_t *buf, size_t len,
                   const struct dscp_packet *dp, int64_t now)
{
    struct rtp_packet pkt;
    ms->last_key = 0;
    if (!accept_rtp(ms, buf, &len, &pkt, now)) {
        if (ms->last_key && ms->p.on_event) {
            ms->p.on_event(ms, MEDIA_EVENT_DTMF, ms->p.arg);
            return true;
        }
        return false;
    }
    if (!media_transport_heard(&ms->tp, c, &dp->from))
        ms->r.recv_foreign++;
    rtp_stats_update(&ms->rx_stats, pkt.hdr.ssrc, pkt.hdr.seq, pkt.hdr.ts, now, pkt.payload_len);
    ms->r.recv_packets++;
    ms->r.recv_bytes += len;
    int dscp = dp->have_tos ? dp->dscp : -1;
    if (ms->p.expect_dscp >= 0 && dscp != ms->p.expect_dscp)
        ms->r.dscp_mismatches++;
    feed_audio(ms, pkt.payload, pkt.payload_len);
    if (ms->r.first_packet_us < 0) {
        ms->r.first_packet_us = now - ms->start_us;
        ms->r.peer_port_seen = net_addr_port(&dp->from);
        ms->r.dscp_seen = dscp;
        if (ms->p.on_event) {
            ms->p.on_event(ms, MEDIA_EVENT_FIRST_PACKET, ms->p.arg);
            return true;
        }
    }
    if (ms->p.detect_greeting && !ms->r.greeting_heard) {
        struct greeting_result g;
        greeting_result(&ms->greet, &g);
        if (g.detected) {
            ms->r.greeting_heard = true;
            ms->r.greeting_onset_us = ms->r.first_packet_us + g.onset_ms * 1000;
            if (ms->p.on_event) {
                ms->p.on_event(ms, MEDIA_EVENT_GREETING, ms->p.arg);
                return true;
            }
        }
    }
    return false;
}

/* One datagram from a socket or the relay, arrived at rx_us. Returns true
 * when a handler ran that may have freed the stream: outside a read
 * (guard_enter) the caller returns at once. */
static bool dispatch(struct media_stream *ms, enum media_component c, uint8_t *buf,
                     const struct dscp_packet *dp, int64_t rx_us)
{
    enum media_pkt k = media_transport_classify(buf, dp->len, c == MEDIA_COMP_RTCP,
                                                ms->p.rtcp_mux);
    if (k == MEDIA_PKT_STUN) {
        if (!ms->stun_h)
            return false;
        ms->stun_h(ms, c, &dp->from, buf, dp->len, ms->stun_arg);
        return true;
    }
    if (ms->state != STREAM_RUNNING)
        return false; /* nothing is expected before start */
    int64_t now = rx_us;
    if (now < ms->start_us)
        now = ms->start_us; /* queued before start: counted from start */
    if (k == MEDIA_PKT_RTCP) {
        on_rtcp(ms, c, &dp->from, buf, dp->len, now);
        return false;
    }
    if (k == MEDIA_PKT_OTHER) {
        ms->r.recv_other_bad++;
        return false;
    }
    return on_rtp(ms, c, buf, dp->len, dp, now);
}

/* ---- reading ---- */

static void destroy(struct media_stream *ms);

/* Around every read of the stream's sockets or relay: a handler inside
 * (ICE's, the owner's) may free the stream, which then waits for the
 * outermost read to end. */
static void guard_enter(struct media_stream *ms)
{
    ms->busy++;
}

/* False when the stream is gone: the caller returns at once. */
static bool guard_leave(struct media_stream *ms)
{
    if (--ms->busy == 0 && ms->free_pending) {
        destroy(ms);
        return false;
    }
    return !ms->free_pending;
}

/* Whether what was read may still be dispatched. */
static bool reading(const struct media_stream *ms)
{
    return !ms->free_pending && ms->state != STREAM_STOPPED;
}

/* The one reader of the stream's sockets, on their wake-ups and on the
 * clock: what fd holds now, READ_BATCH datagrams per recvmmsg, up to
 * READ_MAX. False when a handler freed the stream. */
static bool read_socket(struct media_stream *ms, int fd, enum media_component c)
{
    uint8_t bufs[READ_BATCH][PACKET_BUF];
    struct dscp_packet dp[READ_BATCH];
    guard_enter(ms);
    for (int total = 0; total < READ_MAX && reading(ms); total += READ_BATCH) {
        int n = dscp_recv_batch(fd, &bufs[0][0], PACKET_BUF, dp, READ_BATCH, NULL);
        if (n == SYNTH_ECONNREFUSED) {
            /* A connected socket's peer port closed (the ICMP of one of our
             * sends); reading it cleared the error, and what is queued
             * behind it is still to be read. */
            ms->tp.refused++;
            continue;
        }
        int64_t now = clock_mono_us();
        for (int i = 0; i < n && reading(ms); i++) {
            if (dp[i].truncated) {
                if (ms->state == STREAM_RUNNING)
                    ms->r.recv_other_bad++;
                continue;
            }
            /* Arrival from the kernel's stamp (dscp.h), however late the read. */
            dispatch(ms, c, bufs[i], &dp[i], now - dp[i].waited_us);
        }
        if (n < READ_BATCH)
            break;
    }
    return guard_leave(ms);
}

/* What came for a running stream since its last read, where the clock reads
 * it: its RTP socket (direct media) or its relay. False when a handler
 * freed the stream. */
static bool read_pending(struct media_stream *ms)
{
    if (ms->polled)
        return read_socket(ms, ms->bind.fd[0], MEDIA_COMP_RTP);
    guard_enter(ms);
    ms->tp.poll(ms->tp.relay_arg, MEDIA_POLL_READ);
    return guard_leave(ms);
}

void media_stream_input(struct media_stream *ms, enum media_component c,
                        const struct sockaddr_storage *from, const uint8_t *data, size_t len,
                        int64_t rx_us)
{
    uint8_t buf[PACKET_BUF];
    if (!reading(ms) || len > sizeof(buf))
        return;
    memcpy(buf, data, len);
    struct dscp_packet dp = {.len = len, .from = *from, .from_len = sizeof(*from)};
    dispatch(ms, c, buf, &dp, rx_us);
}

static void rtp_cb(evutil_socket_t fd, short what, void *arg)
{
    read_socket(arg, (int)fd, MEDIA_COMP_RTP);
}

static void rtcp_cb(evutil_socket_t fd, short what, void *arg)
{
    read_socket(arg, (int)fd, MEDIA_COMP_RTCP);
}

/* ---- life cycle ---- */

/* Below signalling when the loop has priorities (loop.h); a plain base
 * (tests) has one priority and keeps it. */
static void media_priority(struct event *ev)
{
    if (event_base_get_npriorities(event_get_base(ev)) >= LOOP_PRIORITIES)
        event_priority_set(ev, LOOP_PRIORITY_MEDIA);
}

static void report_init(struct media_report *r)
{
    memset(r, 0, sizeof(*r));
    r->first_packet_us = -1;
    r->greeting_onset_us = -1;
    r->dscp_seen = -1;
}

static int mark_socket(int fd, int dscp, bool *stamped, struct synth_error *err)
{
    int rc = dscp >= 0 ? dscp_set(fd, (uint8_t)dscp, err) : 0;
    return rc ? rc : dscp_enable_recv(fd, stamped, err);
}

int media_stream_open(struct media_stream **out, const struct media_stream_opts *o,
                      struct synth_error *err)
{
    struct media_stream *ms = calloc(1, sizeof(*ms));
    int rc;
    *out = NULL;
    if (!ms)
        return synth_error_set(err, SYNTH_ENOMEM, "media: out of memory");
    ms->o = *o;
    ms->bind.fd[0] = ms->bind.fd[1] = -1;
    report_init(&ms->r);
    rc = port_range_pool_bind(o->ports, o->modality, o->local, o->local_len, true, &ms->bind,
                              err);
    if (rc == 0)
        rc = mark_socket(ms->bind.fd[0], o->dscp, &ms->stamped, err);
    if (rc == 0)
        rc = mark_socket(ms->bind.fd[1], o->dscp, NULL, err);
    if (rc != 0)
        goto fail;
    /* Before start only STUN (ICE checks) is taken; media is drained. */
    ms->rtp_ev = event_new(o->base, ms->bind.fd[0], EV_READ | EV_PERSIST, rtp_cb, ms);
    ms->rtcp_ev = event_new(o->base, ms->bind.fd[1], EV_READ | EV_PERSIST, rtcp_cb, ms);
    if (!ms->rtp_ev || !ms->rtcp_ev) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "media: out of memory");
        goto fail;
    }
    media_priority(ms->rtp_ev);
    media_priority(ms->rtcp_ev);
    event_add(ms->rtp_ev, NULL);
    event_add(ms->rtcp_ev, NULL);
    ms->tick.on_tick = on_tick;
    ms->tick.arg = ms;
    *out = ms;
    return 0;
fail:
    media_stream_free(ms);
    return rc;
}

uint16_t media_stream_port(const struct media_stream *ms)
{
    return ms->bind.port;
}

void media_stream_set_stun_handler(struct media_stream *ms, media_stun_h *h, void *arg)
{
    ms->stun_h = h;
    ms->stun_arg = arg;
}

int media_stream_local(const struct media_stream *ms, enum media_component c,
                       struct sockaddr_storage *out, socklen_t *len)
{
    *len = sizeof(*out);
    return getsockname(ms->bind.fd[c == MEDIA_COMP_RTCP ? 1 : 0], (struct sockaddr *)out, len)
               ? SYNTH_EIO : 0;
}

int media_stream_send_raw(struct media_stream *ms, enum media_component c,
                          const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                          size_t len)
{
    int fd = ms->bind.fd[c == MEDIA_COMP_RTCP ? 1 : 0];
    return udp_peer_send(fd, buf, len, to, to_len, &ms->tp.refused);
}

int media_stream_peer(const struct media_stream *ms, enum media_component c,
                      struct sockaddr_storage *out, socklen_t *len)
{
    *len = sizeof(*out);
    return getpeername(ms->bind.fd[c == MEDIA_COMP_RTCP ? 1 : 0], (struct sockaddr *)out, len)
               ? SYNTH_ENOTFOUND : 0;
}

int media_stream_set_peer(struct media_stream *ms, enum media_component c,
                          const struct sockaddr_storage *addr, socklen_t addr_len)
{
    if (ms->state != STREAM_RUNNING)
        return SYNTH_EINVAL;
    if (c == MEDIA_COMP_RTCP) {
        ms->p.peer_rtcp = *addr;
        ms->p.peer_rtcp_len = addr_len;
    } else {
        ms->p.peer_rtp = *addr;
        ms->p.peer_rtp_len = addr_len;
    }
    return media_transport_set_peer(&ms->tp, c, addr, addr_len);
}

static int make_srtp(struct media_stream *ms, struct synth_error *err)
{
    int rc = srtpsess_global_init(err);
    if (rc == 0)
        rc = srtpsess_create(&ms->tx, ms->p.suite, SRTPSESS_SEND, &ms->p.tx_key, err);
    if (rc == 0)
        rc = srtpsess_create(&ms->rx, ms->p.suite, SRTPSESS_RECV, &ms->p.rx_key, err);
    return rc;
}

int media_stream_start(struct media_stream *ms, const struct media_stream_params *p,
                       struct synth_error *err)
{
    if (ms->state != STREAM_OPEN)
        return synth_error_set(err, SYNTH_EINVAL, "media: stream already started");
    ms->p = *p;
    if (audio_codec_open(&ms->codec, p->pt) != 0)
        return synth_error_set(err, SYNTH_EUNSUPPORTED, "media: payload type %u is not a codec of ours",
                               p->pt);
    if (p->srtp) {
        int rc = make_srtp(ms, err);
        if (rc != 0)
            return rc;
    }
    int64_t now = clock_mono_us();
    ms->ssrc = random_u32();
    ms->seq = (uint16_t)random_u32();
    ms->ts = random_u32();
    ms->start_us = now;
    ms->next_rtcp_us = now + RTCP_FIRST_MS * 1000;
    ms->sending = p->send;
    prompt_player_init(&ms->player, p->prompt, p->loop_prompt);
    rtp_stats_init(&ms->rx_stats, PROMPT_RATE);
    rtp_stats_mark_start(&ms->rx_stats, now);
    greeting_init(&ms->greet, &p->greeting);
    recording_init(&ms->rec, p->record_ms);
    rtcp_session_init(&ms->rtcp, ms->ssrc, p->cname, PROMPT_RATE, ms->seq);
    dtmf_receiver_init(&ms->dtmf_rx);
    ms->r.started = true;
    ms->tp = (struct media_transport){
        .fd = {ms->bind.fd[0], ms->bind.fd[1]},
        .peer = {p->peer_rtp, p->peer_rtcp},
        .peer_len = {p->peer_rtp_len, p->peer_rtcp_len},
        .rtcp_mux = p->rtcp_mux,
        .relay = p->relay,
        .poll = p->relay && !ms->o.rx_on_events ? p->relay_poll : NULL,
        .relay_arg = p->relay_arg,
    };
    ms->state = STREAM_RUNNING;
    /* Media is read by the clock that sends it: one packet is due per
     * period, and a wake-up of the loop per packet (epoll, a context switch,
     * the read that finds the socket empty) cost more than the read itself.
     * The kernel's stamps keep each packet's arrival time exact however late
     * it is read, so jitter and first-packet times are unchanged; ICE checks
     * after the start wait up to a period. Direct media: our RTP socket,
     * when it has stamps. Relayed media arrives on the TURN client's socket:
     * the relay's poll (tp.poll, offered only with stamps) reads it; without
     * one it stays on the relay's events. */
    if (!p->relay && ms->stamped && !ms->o.rx_on_events) {
        event_del(ms->rtp_ev);
        ms->polled = true;
    }
    media_tick_add(ms->o.tick, &ms->tick);
    return 0;
}

int media_stream_send_dtmf(struct media_stream *ms, const char *keys, uint32_t tone_ms,
                           uint32_t pause_ms)
{
    if (!ms->p.dtmf)
        return SYNTH_EUNSUPPORTED;
    if (ms->dtmf_sending)
        return SYNTH_EINCOMPLETE;
    if (ms->state != STREAM_RUNNING || dtmf_sender_start(&ms->dtmf_tx, keys, tone_ms, pause_ms))
        return SYNTH_EINVAL;
    ms->dtmf_ts_base = ms->ts;
    ms->dtmf_sending = true;
    return 0;
}

void media_stream_stop(struct media_stream *ms)
{
    if (ms->state != STREAM_RUNNING)
        return;
    /* What came since the last tick counts too; not from a handler inside
     * a read, whose own batch is still being dispatched. */
    if ((ms->polled || ms->tp.poll) && !ms->busy &&
        (!read_pending(ms) || ms->state != STREAM_RUNNING))
        return; /* a handler freed or stopped it */
    send_rtcp(ms, true, clock_mono_us());
    ms->state = STREAM_STOPPED;
    media_tick_remove(ms->o.tick, &ms->tick);
    if (ms->rtp_ev)
        event_del(ms->rtp_ev);
    if (ms->rtcp_ev)
        event_del(ms->rtcp_ev);
    /* Last: the relay (its allocation may live on) reads for itself again. */
    if (ms->tp.poll)
        ms->tp.poll(ms->tp.relay_arg, MEDIA_POLL_END);
}

static void finish_report(const struct media_stream *ms, struct media_report *out)
{
    struct rtp_stats st = ms->rx_stats;
    out->loss_pct = out->recv_packets ? rtp_stats_loss_percent(&st) : 0;
    out->lost = out->recv_packets ? rtp_stats_lost(&st) : 0;
    out->jitter_ms = out->recv_packets ? rtp_stats_jitter_ms(&st) : 0;
    out->peer = ms->rtcp.peer;
    snprintf(out->dtmf_received, sizeof(out->dtmf_received), "%s", ms->dtmf_rx.keys);
    struct greeting_result g;
    greeting_result(&ms->greet, &g);
    out->speech_ms = g.speech_ms;
    if (out->peer_port_seen)
        out->peer_port_in_range =
            port_range_contains(ms->o.ports->range[ms->o.modality], out->peer_port_seen);
    if (out->recv_packets) {
        struct quality_input in = {
            .loss_percent = out->loss_pct,
            .jitter_ms = out->jitter_ms,
            .delay_ms = out->peer.have_rtt ? out->peer.rtt_ms / 2 : 0,
            .plc = true,
        };
        struct quality_result q;
        quality_estimate(&in, &q);
        out->mos = q.mos;
    }
}

void media_stream_report(const struct media_stream *ms, struct media_report *out)
{
    *out = ms->r;
    out->icmp_refused = ms->tp.refused;
    if (ms->r.started)
        finish_report(ms, out);
}

const struct recording *media_stream_recording(const struct media_stream *ms)
{
    return &ms->rec;
}

/* No MEDIA_POLL_END for a running stream: its relay's owner is freed
 * before it (media_stream_params), and the polling with it. */
static void destroy(struct media_stream *ms)
{
    if (ms->state == STREAM_RUNNING) {
        ms->state = STREAM_STOPPED;
        media_tick_remove(ms->o.tick, &ms->tick);
    }
    if (ms->rtp_ev)
        event_free(ms->rtp_ev);
    if (ms->rtcp_ev)
        event_free(ms->rtcp_ev);
    for (int i = 0; i < 2; i++)
        if (ms->bind.fd[i] >= 0)
            close(ms->bind.fd[i]);
    srtpsess_free(ms->tx);
    srtpsess_free(ms->rx);
    recording_free(&ms->rec);
    audio_codec_close(&ms->codec);
    free(ms);
}

void media_stream_free(struct media_stream *ms)
{
    if (!ms)
        return;
    if (ms->busy) {
        ms->free_pending = true; /* freed when the clock's read returns */
        return;
    }
    destroy(ms);
}
