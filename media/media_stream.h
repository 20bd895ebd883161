/* One audio stream of a call on a worker's loop: RTP/RTCP sockets bound in
 * the modality's port range and marked with its DSCP, SRTP both ways
 * (libsrtp2), the prompt sent every 20 ms from the worker's media clock,
 * and everything measured of what arrives: time to first authenticated
 * packet, loss and jitter (RFC 3550), SRTP failures, the DSCP marks and the
 * source port of the peer's media, the greeting (speech) heard, and the
 * peer's own view from its RTCP reports. Both synth's callers and the lab's
 * UM use it. */
#ifndef MEDIA_STREAM_H
#define MEDIA_STREAM_H

#include "media/dtmf.h"
#include "media/media_transport.h"
#include "media/greeting.h"
#include "media/audio_codec.h"
#include "media/port_range.h"
#include "media/prompt.h"
#include "media/recording.h"
#include "media/rtcp_session.h"
#include "media/sdes_key.h"
#include "media/srtp_session.h"
#include "synth/base/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct media_tick;
struct media_stream;

/* 20 ms of 8 kHz G.711: RFC 3551 4.5 default packetisation. */
#define MEDIA_FRAME_SAMPLES 160
#define MEDIA_PTIME_MS 20
/* RFC 3550 6.2: 5 s is the minimum RTCP interval for a two-party session. */
#define MEDIA_RTCP_INTERVAL_MS 5000

struct media_stream_opts {
    struct event_base *base;
    struct media_tick *tick;          /* the worker's (or the lab's) media clock */
    struct port_range_pool *ports;    /* the worker's pool; its ranges are the policy */
    enum port_range_modality modality;
    const struct sockaddr *local;     /* the address to bind (its port is ignored) */
    socklen_t local_len;
    int dscp;                         /* mark what we send; -1 = leave unmarked */
    /* Read RTP on wake-ups of its socket (direct) or of the relay's,
     * instead of on the media clock (media_stream_start): for tests and
     * benchmarks of the two ways. */
    bool rx_on_events;
};

/* Something worth telling the owner as it happens. */
enum media_event {
    MEDIA_EVENT_FIRST_PACKET,  /* the first authenticated RTP packet arrived */
    MEDIA_EVENT_GREETING,      /* the greeting detector says: speech heard */
    MEDIA_EVENT_PROMPT_DONE,   /* a non-looping prompt has been sent whole */
    MEDIA_EVENT_DTMF,          /* a DTMF key arrived (media_report.dtmf_received) */
    MEDIA_EVENT_DTMF_SENT,     /* the keys of media_stream_send_dtmf are all out */
    MEDIA_EVENT_PATH_FAILED,   /* raised by the stream's owner: no path (ICE failed), no media */
};
typedef void(media_event_h)(struct media_stream *ms, enum media_event ev, void *arg);

struct media_stream_params {
    struct sockaddr_storage peer_rtp;
    socklen_t peer_rtp_len;
    struct sockaddr_storage peer_rtcp;  /* ignored with rtcp_mux */
    socklen_t peer_rtcp_len;
    bool rtcp_mux;
    uint8_t pt;                         /* 0 PCMU, 8 PCMA or 9 G.722 (audio_codec.h) */
    bool dtmf;                          /* telephone-event agreed (RFC 4733) */
    uint8_t dtmf_pt;                    /* its payload type */
    bool srtp;
    enum srtpsess_suite suite;
    struct sdes_key tx_key;             /* protects what we send (the key we put in our SDP) */
    struct sdes_key rx_key;             /* the peer's key, for what it sends */
    const struct prompt *prompt;        /* borrowed, must outlive the stream; NULL = silence */
    bool loop_prompt;                   /* start over at its end (the lab's UM does not) */
    bool send;                          /* false: receive only (a fault: UM sends no media) */
    bool detect_greeting;
    struct greeting_config greeting;    /* used when detect_greeting */
    uint32_t record_ms;                 /* keep up to this much received audio; 0 = none */
    int expect_dscp;                    /* what received packets should carry; -1 = no judgement */
    uint32_t stop_after_ms;             /* stop sending after this (a fault knob); 0 = never */
    uint32_t rtcp_interval_ms;          /* 0 = MEDIA_RTCP_INTERVAL_MS */
    const char *cname;                  /* RTCP SDES CNAME */
    /* The path: NULL sends from our sockets to peer_rtp/peer_rtcp; else
     * everything goes through relay (a TURN client) to those addresses,
     * and what comes back is fed with media_stream_input. With relay_poll
     * the stream's clock reads the relay (media_transport.h); the relay
     * offers it only when it knows each datagram's arrival time. Both stay
     * valid while the stream runs: their owner (an ice_stream) is freed
     * before the stream, and that ends the polling with it. */
    media_relay_send_h *relay;
    media_relay_poll_h *relay_poll;
    void *relay_arg;
    media_event_h *on_event;
    void *arg;
};

/* What a stream measured; times in µs from media_stream_start, -1 when the
 * thing did not happen. */
struct media_report {
    bool started;
    int64_t first_packet_us;     /* first authenticated RTP packet */
    int64_t greeting_onset_us;   /* start of the speech the detector heard */
    uint64_t sent_packets, sent_bytes;
    uint64_t recv_packets, recv_bytes;  /* authenticated RTP */
    uint64_t recv_unauthenticated;      /* SRTP auth failures */
    uint64_t recv_replayed;
    uint64_t recv_other_bad;            /* bad MKI, malformed, not RTP, wrong PT */
    uint64_t recv_foreign;              /* from an address other than the negotiated one
                                           (seen only while the socket is unconnected) */
    double loss_pct;
    int32_t lost;
    double jitter_ms;
    double mos;                         /* E-model estimate of what we received; 0 without media */
    uint16_t peer_port_seen;            /* source port of the peer's first good packet; 0 none */
    bool peer_port_in_range;            /* within the modality's configured range */
    int dscp_seen;                      /* DSCP of the first good packet, -1 none */
    uint64_t dscp_mismatches;           /* good packets whose DSCP != expect_dscp */
    bool greeting_heard;
    uint32_t speech_ms;
    struct rtcp_peer_report peer;       /* the far end's view of our stream */
    uint64_t rtcp_sent, rtcp_received;
    uint64_t peer_reports_late;         /* SR/RR from the peer sent after our media could reach it */
    uint64_t send_errors;
    uint64_t icmp_refused;              /* the peer's port closed under a connected socket: counted only */
    char dtmf_received[DTMF_DIGITS_MAX * 2 + 1]; /* keys the peer sent (RFC 4733) */
    uint32_t dtmf_sent;                 /* keys we sent */
};

/* Binds the RTP socket (and RTCP, the next port) in the modality's range,
 * marks them, and starts listening; nothing is sent before start. Caller
 * frees with media_stream_free. */
int media_stream_open(struct media_stream **out, const struct media_stream_opts *o,
                      struct synth_error *err);

uint16_t media_stream_port(const struct media_stream *ms); /* RTP; RTCP is port + 1 */

/* STUN that arrives on the stream's sockets, or by media_stream_input, in
 * any state: ICE's connectivity checks (RFC 7983 7 demultiplexing). The
 * handler may free the stream. */
typedef void(media_stun_h)(struct media_stream *ms, enum media_component c,
                           const struct sockaddr_storage *from, const uint8_t *buf, size_t len,
                           void *arg);
void media_stream_set_stun_handler(struct media_stream *ms, media_stun_h *h, void *arg);

/* The bound address of the RTP or RTCP socket (a host candidate). */
int media_stream_local(const struct media_stream *ms, enum media_component c,
                       struct sockaddr_storage *out, socklen_t *len);
/* Sends a datagram from that socket (an ICE check or response). */
int media_stream_send_raw(struct media_stream *ms, enum media_component c,
                          const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                          size_t len);
/* The peer that socket is connected to: once a running stream on a direct
 * path has heard its peer from where it sends to (media_transport_heard);
 * SYNTH_ENOTFOUND while it receives from every source. */
int media_stream_peer(const struct media_stream *ms, enum media_component c,
                      struct sockaddr_storage *out, socklen_t *len);
/* A datagram that arrived by another path (the TURN relay): handled as if
 * it came on the component's socket at rx_us (clock_mono_us() time: the
 * kernel's stamp of the relay's socket, so a late read does not count as
 * jitter; the read time when that is all there is), without a DSCP mark. */
void media_stream_input(struct media_stream *ms, enum media_component c,
                        const struct sockaddr_storage *from, const uint8_t *data, size_t len,
                        int64_t rx_us);

/* Starts the media with the negotiated parameters (copied). */
int media_stream_start(struct media_stream *ms, const struct media_stream_params *p,
                       struct synth_error *err);

/* The peer of a running stream moved (a new ICE pair, a new answer): what
 * component c sends goes to addr from now on, and its socket is connected
 * again once the new peer is heard. SYNTH_EINVAL unless running. */
int media_stream_set_peer(struct media_stream *ms, enum media_component c,
                          const struct sockaddr_storage *addr, socklen_t addr_len);

/* Sends keys as RFC 4733 events (tone_ms each, pause_ms between) in place
 * of audio; MEDIA_EVENT_DTMF_SENT when done. SYNTH_EINVAL for keys that are
 * not DTMF, SYNTH_EUNSUPPORTED when no telephone-event was agreed, and
 * SYNTH_EINCOMPLETE while earlier keys are still going out. */
int media_stream_send_dtmf(struct media_stream *ms, const char *keys, uint32_t tone_ms,
                           uint32_t pause_ms);

/* Stops sending (with an RTCP BYE) and receiving; the report stays. */
void media_stream_stop(struct media_stream *ms);

void media_stream_report(const struct media_stream *ms, struct media_report *out);

/* The received audio (empty unless record_ms was set). */
const struct recording *media_stream_recording(const struct media_stream *ms);

/* Frees the stream; from a handler that runs inside the stream's own read
 * (of its sockets or its relay), the free completes when that read
 * returns. */
void media_stream_free(struct media_stream *ms);

#endif
