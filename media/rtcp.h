/* RTCP compound packets: parse and build of SR, RR (with report blocks),
 * SDES CNAME and BYE (RFC 3550 6.4, 6.5, 6.6, 6.1 compound rules). Other
 * packet types (APP, XR, feedback) are kept as raw views. */
#ifndef MEDIA_RTCP_H
#define MEDIA_RTCP_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
};

/* RFC 3550 6.4.1: RC, SC and the BYE source count are 5-bit fields. */
#define RTCP_COUNT_MAX 31
/* Packets kept from one compound. A real compound holds SR/RR, SDES and
 * maybe BYE or a feedback message; SfB adds a few of its own. More than
 * this is refused rather than silently dropped. */
#define RTCP_COMPOUND_MAX 16
/* Largest compound parsed or built: one datagram. */
#define RTCP_PACKET_MAX 1500
/* RFC 3550 6.5 and 6.6: SDES item text and BYE reason have 8-bit lengths. */
#define RTCP_SDES_TEXT_MAX 255
/* SDES item type CNAME, RFC 3550 6.5.1. */
#define RTCP_SDES_CNAME 1

/* RFC 3550 6.4.1, the five report-block words. */
struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;   /* fixed point, lost/expected * 256 */
    int32_t cumulative_lost; /* 24-bit signed on the wire */
    uint32_t ext_highest_seq;
    uint32_t jitter;         /* timestamp units */
    uint32_t lsr;            /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr;           /* 1/65536 s */
};

struct rtcp_sender_info {
    uint64_t ntp;            /* NTP timestamp, 32.32 fixed point */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
};

struct rtcp_sdes_chunk {
    uint32_t ssrc;
    const uint8_t *cname;    /* view, NULL if the chunk has no CNAME */
    size_t cname_len;
};

struct rtcp_packet {
    uint8_t type;            /* enum rtcp_type or any other PT */
    uint8_t count;           /* the 5-bit RC/SC/subtype field */
    const uint8_t *raw;      /* the whole packet, header included */
    size_t raw_len;
    /* The body by type; which member is valid follows from type. */
    union {
        struct { /* SR and RR */
            uint32_t ssrc;
            struct rtcp_sender_info sr; /* SR only */
            struct rtcp_report_block reports[RTCP_COUNT_MAX];
        };
        struct rtcp_sdes_chunk chunks[RTCP_COUNT_MAX]; /* SDES */
        struct {                                       /* BYE */
            uint32_t bye_ssrc[RTCP_COUNT_MAX];
            const uint8_t *reason; /* view, NULL if none */
            size_t reason_len;
        };
    };
};

struct rtcp_compound {
    size_t count;
    struct rtcp_packet pkts[RTCP_COMPOUND_MAX];
};

/* RFC 5761 4: with rtcp-mux, a second octet of 192..223 is RTCP (its PT with
 * the marker bit), anything else RTP. */
bool rtcp_is_rtcp(const uint8_t *buf, size_t len);

/* Parses a compound of exactly len bytes (RFC 3550 6.1 and A.2: version 2,
 * the packet lengths add up to len, padding only in the last packet). A
 * compound may start with any type so that reduced-size RTCP (RFC 5506)
 * passes. Never reads outside [buf, buf+len). Returns 0, SYNTH_EPARSE with
 * detail in err (may be NULL), or SYNTH_ETOOBIG. */
int rtcp_parse(struct rtcp_compound *c, const uint8_t *buf, size_t len, struct synth_error *err);

/* Builders append one packet at buf[*off] (size is the whole buffer) and
 * advance *off; call them in turn to build a compound. They return 0,
 * SYNTH_EINVAL (count over RTCP_COUNT_MAX, text over 255 bytes) or
 * SYNTH_ETOOBIG (buffer too small); on error *off is unchanged. */
int rtcp_build_sr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                  const struct rtcp_sender_info *si, const struct rtcp_report_block *rb,
                  size_t rb_count);
int rtcp_build_rr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                  const struct rtcp_report_block *rb, size_t rb_count);
/* One chunk with one CNAME item (RFC 3550 6.5.1). */
int rtcp_build_sdes_cname(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                          const char *cname, size_t cname_len);
/* reason may be NULL (no reason text). */
int rtcp_build_bye(uint8_t *buf, size_t size, size_t *off, const uint32_t *ssrc, size_t count,
                   const char *reason, size_t reason_len);

/* The first packet of the given type in c, or NULL. */
const struct rtcp_packet *rtcp_find(const struct rtcp_compound *c, uint8_t type);

#endif
