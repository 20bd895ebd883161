/* Receiver statistics of one RTP source: sequence tracking with wrap and
 * probation (RFC 3550 A.1), expected/lost/fraction (A.3), interarrival
 * jitter (A.8), and time to first packet. The caller supplies monotonic
 * microsecond timestamps; nothing here reads a clock. */
#ifndef MEDIA_RTP_STATS_H
#define MEDIA_RTP_STATS_H

#include "rtcp.h"

#include <stdbool.h>
#include <stdint.h>

/* RFC 3550 A.1 constants. */
#define RTP_STATS_MIN_SEQUENTIAL 2  /* packets in sequence before a source is valid */
#define RTP_STATS_MAX_DROPOUT 3000  /* forward jump still taken as loss */
#define RTP_STATS_MAX_MISORDER 100  /* backward step still taken as reordering */

/* What one packet did to the statistics. */
enum rtp_stats_verdict {
    RTP_STATS_ACCEPTED,   /* counted */
    RTP_STATS_PROBATION,  /* source not yet valid (A.1 probation) */
    RTP_STATS_DUPLICATE,  /* reordered or duplicate, counted as received */
    RTP_STATS_BAD_SEQ,    /* a jump; one more in sequence resyncs (A.1) */
    RTP_STATS_RESTARTED,  /* the jump was confirmed: the source restarted */
};

struct rtp_stats {
    uint32_t clock_rate;      /* Hz of the RTP timestamp, 8000 for PCMU */
    uint32_t ssrc;
    bool have_ssrc;
    /* A.1 source state */
    uint16_t max_seq;
    uint32_t cycles;          /* shifted count of seq wraps */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint32_t received;
    uint32_t expected_prior;  /* A.3, at the last report */
    uint32_t received_prior;
    /* A.8 */
    uint32_t transit;
    bool have_transit;
    double jitter;            /* timestamp units */
    /* counters beyond A.1 */
    uint64_t packets;         /* every packet given to update, valid or not */
    uint64_t payload_bytes;
    uint32_t ssrc_changes;
    uint32_t restarts;
    /* time to first packet */
    int64_t start_us;
    bool have_start;
    int64_t first_us;
    bool have_first;
    int64_t last_us;
};

/* clock_rate in Hz; 0 is taken as 8000 (PCMU/PCMA). */
void rtp_stats_init(struct rtp_stats *s, uint32_t clock_rate);

/* The reference for time to first packet (e.g. when the 200 OK arrived). */
void rtp_stats_mark_start(struct rtp_stats *s, int64_t now_us);

/* Feeds one received packet (after SRTP unprotect). A new SSRC resets the
 * sequence state, as A.1 treats it as a new source. */
enum rtp_stats_verdict rtp_stats_update(struct rtp_stats *s, uint32_t ssrc, uint16_t seq,
                                        uint32_t rtp_ts, int64_t arrival_us, size_t payload_len);

/* A.3. extended highest sequence number received. */
uint32_t rtp_stats_ext_max(const struct rtp_stats *s);
uint32_t rtp_stats_expected(const struct rtp_stats *s);
/* Cumulative lost, negative with duplicates, clamped to 24 bits signed. */
int32_t rtp_stats_lost(const struct rtp_stats *s);
/* Loss over the whole call in percent (0 when nothing was expected). */
double rtp_stats_loss_percent(const struct rtp_stats *s);
/* Fraction lost since the previous call (A.3, 8-bit fixed point); resets
 * the interval, so call it once per report. */
uint8_t rtp_stats_fraction_lost(struct rtp_stats *s);

double rtp_stats_jitter_ts(const struct rtp_stats *s);
double rtp_stats_jitter_ms(const struct rtp_stats *s);

/* Microseconds from mark_start to the first packet, or -1 if either is
 * missing. */
int64_t rtp_stats_first_packet_us(const struct rtp_stats *s);

/* Fills a report block for an RR/SR about this source (A.3 and 6.4.1);
 * lsr/dlsr come from the caller's record of the last SR it received.
 * Advances the fraction-lost interval. */
void rtp_stats_report_block(struct rtp_stats *s, uint32_t lsr, uint32_t dlsr,
                            struct rtcp_report_block *rb);

#endif
