/* RTP receiver statistics: RFC 3550 A.1 (sequence validation), A.3 (loss),
 * A.8 (jitter). The A.1 state machine is kept as the RFC gives it, so a
 * reader can check it line by line against the appendix. */
#include "rtp_stats.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)

void rtp_stats_init(struct rtp_stats *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof(*s));
    s->clock_rate = clock_rate ? clock_rate : 8000;
}

void rtp_stats_mark_start(struct rtp_stats *s, int64_t now_us)
{
    s->start_us = now_us;
    s->have_start = true;
}

/* A.1 init_seq */
static void init_seq(struct rtp_stats *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

static void new_source(struct rtp_stats *s, uint32_t ssrc, uint16_t seq)
{
    if (s->have_ssrc)
        s->ssrc_changes++;
    s->ssrc = ssrc;
    s->have_ssrc = true;
    init_seq(s, seq);
    s->max_seq = (uint16_t)(seq - 1);
    s->probation = RTP_STATS_MIN_SEQUENTIAL;
    s->have_transit = false;
    s->jitter = 0;
}

/* A.1 update_seq, returning why a packet was or was not counted. */
static enum rtp_stats_verdict update_seq(struct rtp_stats *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);

    if (s->probation) {
        /* packet is in sequence */
        if (seq == (uint16_t)(s->max_seq + 1)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                init_seq(s, seq);
                s->received++;
                return RTP_STATS_ACCEPTED;
            }
        } else {
            s->probation = RTP_STATS_MIN_SEQUENTIAL - 1;
            s->max_seq = seq;
        }
        return RTP_STATS_PROBATION;
    }
    if (udelta == 0) {
        /* A.1 counts a repeat of the highest packet as in order; the counts
         * stay as the RFC has them, but it is a duplicate, and feeding it
         * to the jitter estimate would add a spurious transit step. */
        s->received++;
        return RTP_STATS_DUPLICATE;
    }
    if (udelta < RTP_STATS_MAX_DROPOUT) {
        /* in order, with permissible gap */
        if (seq < s->max_seq)
            s->cycles += RTP_SEQ_MOD; /* sequence number wrapped */
        s->max_seq = seq;
    } else if (udelta <= RTP_SEQ_MOD - RTP_STATS_MAX_MISORDER) {
        /* the sequence number made a very large jump */
        if (seq == s->bad_seq) {
            /* Two sequential packets: assume the other side restarted
             * without telling us, so just re-sync. */
            init_seq(s, seq);
            s->received++;
            s->restarts++;
            return RTP_STATS_RESTARTED;
        }
        s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
        return RTP_STATS_BAD_SEQ;
    } else {
        /* duplicate or reordered packet */
        s->received++;
        return RTP_STATS_DUPLICATE;
    }
    s->received++;
    return RTP_STATS_ACCEPTED;
}

/* A.8: D(i-1,i) from transit times in timestamp units; the difference is
 * taken modulo 2^32 so timestamp and arrival clock wraps cancel out. The
 * arrival clock counts from the first packet: only differences matter, and
 * a small origin keeps the multiplication far from overflow. */
static void update_jitter(struct rtp_stats *s, uint32_t rtp_ts, int64_t arrival_us)
{
    int64_t rel_us = arrival_us - s->first_us;
    uint32_t arrival = (uint32_t)((rel_us * (int64_t)s->clock_rate) / 1000000);
    uint32_t transit = arrival - rtp_ts;
    if (s->have_transit) {
        int32_t d = (int32_t)(transit - s->transit);
        double ad = d < 0 ? -(double)d : (double)d;
        s->jitter += (ad - s->jitter) / 16.0;
    }
    s->transit = transit;
    s->have_transit = true;
}

enum rtp_stats_verdict rtp_stats_update(struct rtp_stats *s, uint32_t ssrc, uint16_t seq,
                                        uint32_t rtp_ts, int64_t arrival_us, size_t payload_len)
{
    s->packets++;
    s->payload_bytes += payload_len;
    s->last_us = arrival_us;
    if (!s->have_first) {
        s->first_us = arrival_us;
        s->have_first = true;
    }
    if (!s->have_ssrc || ssrc != s->ssrc)
        new_source(s, ssrc, seq);

    enum rtp_stats_verdict v = update_seq(s, seq);
    if (v == RTP_STATS_ACCEPTED || v == RTP_STATS_RESTARTED)
        update_jitter(s, rtp_ts, arrival_us);
    return v;
}

uint32_t rtp_stats_ext_max(const struct rtp_stats *s)
{
    return s->cycles + s->max_seq;
}

uint32_t rtp_stats_expected(const struct rtp_stats *s)
{
    if (!s->have_ssrc || s->probation)
        return 0;
    return rtp_stats_ext_max(s) - s->base_seq + 1;
}

int32_t rtp_stats_lost(const struct rtp_stats *s)
{
    int64_t lost = (int64_t)rtp_stats_expected(s) - (int64_t)s->received;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    return (int32_t)lost;
}

double rtp_stats_loss_percent(const struct rtp_stats *s)
{
    uint32_t expected = rtp_stats_expected(s);
    int32_t lost = rtp_stats_lost(s);
    if (expected == 0 || lost <= 0)
        return 0.0;
    return 100.0 * lost / expected;
}

uint8_t rtp_stats_fraction_lost(struct rtp_stats *s)
{
    uint32_t expected = rtp_stats_expected(s);
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    if (expected_interval == 0 || lost_interval <= 0)
        return 0;
    return (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);
}

double rtp_stats_jitter_ts(const struct rtp_stats *s)
{
    return s->jitter;
}

double rtp_stats_jitter_ms(const struct rtp_stats *s)
{
    return s->jitter * 1000.0 / s->clock_rate;
}

int64_t rtp_stats_first_packet_us(const struct rtp_stats *s)
{
    if (!s->have_start || !s->have_first)
        return -1;
    return s->first_us - s->start_us;
}

void rtp_stats_report_block(struct rtp_stats *s, uint32_t lsr, uint32_t dlsr,
                            struct rtcp_report_block *rb)
{
    rb->ssrc = s->ssrc;
    rb->fraction_lost = rtp_stats_fraction_lost(s);
    rb->cumulative_lost = rtp_stats_lost(s);
    rb->ext_highest_seq = rtp_stats_ext_max(s);
    rb->jitter = (uint32_t)s->jitter;
    rb->lsr = lsr;
    rb->dlsr = dlsr;
}
