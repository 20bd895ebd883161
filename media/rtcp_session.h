/* The RTCP side of one stream (RFC 3550 6): what we report (SR while we
 * send, RR otherwise, with SDES CNAME), what the peer reports about our
 * stream (its loss and jitter: the far end's view, so one-way audio is
 * named), and the round-trip time from LSR/DLSR (6.4.1). No I/O, no clock:
 * the stream passes times in. */
#ifndef MEDIA_RTCP_SESSION_H
#define MEDIA_RTCP_SESSION_H

#include "media/rtcp.h"
#include "media/rtp_stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_CNAME_MAX 64

struct rtcp_peer_report {
    bool have;             /* a report block about our SSRC arrived */
    double loss_pct;       /* the peer's cumulative loss of our packets */
    double fraction_lost_pct; /* of its last interval */
    double jitter_ms;      /* the peer's interarrival jitter of our stream */
    bool have_rtt;
    double rtt_ms;
    uint32_t reports;      /* report blocks about us received */
};

struct rtcp_session {
    uint32_t ssrc;
    char cname[RTCP_CNAME_MAX];
    uint32_t clock_rate;
    uint16_t tx_first_seq;  /* our first RTP sequence number: the base of the peer's count */
    /* The peer's last SR, for our LSR/DLSR. */
    bool have_peer_sr;
    uint32_t peer_ssrc;
    uint32_t peer_lsr;
    int64_t peer_sr_arrival_us;
    struct rtcp_peer_report peer;
    uint64_t compounds_received;
    uint64_t compounds_bad;
    bool bye_received;
};

/* first_seq is the sequence number of our first RTP packet. */
void rtcp_session_init(struct rtcp_session *s, uint32_t ssrc, const char *cname,
                       uint32_t clock_rate, uint16_t first_seq);

/* Builds our compound: SR (when si is not NULL: we send) or RR, with a
 * report block about rx when it has packets, SDES CNAME, and BYE when bye
 * is set. now_us is monotonic. Returns 0 or SYNTH_ETOOBIG. */
int rtcp_session_build(struct rtcp_session *s, const struct rtcp_sender_info *si,
                       struct rtp_stats *rx, bool bye, int64_t now_us, uint8_t *buf,
                       size_t size, size_t *len);

/* Takes a parsed compound from the peer; ntp_now is the wall clock as NTP
 * at arrival (for the RTT), now_us monotonic. */
void rtcp_session_receive(struct rtcp_session *s, const struct rtcp_compound *c,
                          uint64_t ntp_now, int64_t now_us);

#endif
