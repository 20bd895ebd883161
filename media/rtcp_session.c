/* RTCP reports of one stream (rtcp_session.h), RFC 3550 6.4 and A.3. */
#include "media/rtcp_session.h"

#include "synth/base/clock.h"

#include <stdio.h>
#include <string.h>

void rtcp_session_init(struct rtcp_session *s, uint32_t ssrc, const char *cname,
                       uint32_t clock_rate, uint16_t first_seq)
{
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    s->tx_first_seq = first_seq;
    s->clock_rate = clock_rate ? clock_rate : 8000;
    snprintf(s->cname, sizeof(s->cname), "%s", cname ? cname : "synth");
}

/* RFC 3550 6.4.1: DLSR in 1/65536 s since the peer's SR arrived. */
static uint32_t dlsr_of(const struct rtcp_session *s, int64_t now_us)
{
    if (!s->have_peer_sr || now_us < s->peer_sr_arrival_us)
        return 0;
    return (uint32_t)(((uint64_t)(now_us - s->peer_sr_arrival_us) << 16) / 1000000u);
}

int rtcp_session_build(struct rtcp_session *s, const struct rtcp_sender_info *si,
                       struct rtp_stats *rx, bool bye, int64_t now_us, uint8_t *buf,
                       size_t size, size_t *len)
{
    struct rtcp_report_block rb;
    size_t nrb = 0, off = 0;
    int rc;

    if (rx && rx->received > 0) {
        rtp_stats_report_block(rx, s->have_peer_sr ? s->peer_lsr : 0, dlsr_of(s, now_us), &rb);
        nrb = 1;
    }
    rc = si ? rtcp_build_sr(buf, size, &off, s->ssrc, si, nrb ? &rb : NULL, nrb)
            : rtcp_build_rr(buf, size, &off, s->ssrc, nrb ? &rb : NULL, nrb);
    if (rc == 0)
        rc = rtcp_build_sdes_cname(buf, size, &off, s->ssrc, s->cname, strlen(s->cname));
    if (rc == 0 && bye)
        rc = rtcp_build_bye(buf, size, &off, &s->ssrc, 1, NULL, 0);
    *len = off;
    return rc;
}

static void take_report(struct rtcp_session *s, const struct rtcp_report_block *rb,
                        uint64_t ntp_now)
{
    struct rtcp_peer_report *p = &s->peer;
    p->have = true;
    p->reports++;
    p->fraction_lost_pct = rb->fraction_lost * 100.0 / 256.0;
    p->jitter_ms = (double)rb->jitter * 1000.0 / s->clock_rate;
    /* A.3: expected = extended highest sequence - base + 1, the base being
     * our first sequence number (the low 16 bits of the extended count). */
    uint32_t expected = rb->ext_highest_seq - (uint32_t)s->tx_first_seq + 1;
    if (rb->ext_highest_seq < s->tx_first_seq)
        expected = 0;
    p->loss_pct = expected && rb->cumulative_lost > 0
                      ? 100.0 * rb->cumulative_lost / (double)expected
                      : 0;
    if (rb->lsr) {
        /* RFC 3550 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s. */
        uint32_t a = clock_ntp_mid32(ntp_now);
        uint32_t rtt = a - rb->lsr - rb->dlsr;
        if (rtt < (60u << 16)) { /* a minute: anything more is a clock jump */
            p->have_rtt = true;
            p->rtt_ms = rtt * 1000.0 / 65536.0;
        }
    }
}

void rtcp_session_receive(struct rtcp_session *s, const struct rtcp_compound *c,
                          uint64_t ntp_now, int64_t now_us)
{
    s->compounds_received++;
    for (size_t i = 0; i < c->count; i++) {
        const struct rtcp_packet *p = &c->pkts[i];
        if (p->type == RTCP_SR) {
            s->have_peer_sr = true;
            s->peer_ssrc = p->ssrc;
            s->peer_lsr = clock_ntp_mid32(p->sr.ntp);
            s->peer_sr_arrival_us = now_us;
        }
        if (p->type == RTCP_SR || p->type == RTCP_RR) {
            for (uint8_t k = 0; k < p->count && k < RTCP_COUNT_MAX; k++)
                if (p->reports[k].ssrc == s->ssrc)
                    take_report(s, &p->reports[k], ntp_now);
        }
        if (p->type == RTCP_BYE)
            s->bye_received = true;
    }
}
