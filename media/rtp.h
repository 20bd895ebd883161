/* RTP fixed header, CSRC list and header extension: parse and build
 * (RFC 3550 5.1 and 5.3.1). Parsing returns views into the caller's buffer. */
#ifndef MEDIA_RTP_H
#define MEDIA_RTP_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION 2
/* RFC 3550 5.1: V, P, X, CC, M, PT, sequence number, timestamp, SSRC. */
#define RTP_HEADER_MIN 12
/* CC is a 4-bit field. */
#define RTP_CSRC_MAX 15
/* Largest datagram we parse or build: an Ethernet-sized UDP payload with
 * room to spare; 20 ms of PCMU is 172 bytes, 60 ms of G.722 about 500. */
#define RTP_PACKET_MAX 1500

struct rtp_header {
    bool padding;
    bool extension;
    bool marker;
    uint8_t pt;          /* 7 bits */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t csrc_count;  /* 0..RTP_CSRC_MAX */
    uint32_t csrc[RTP_CSRC_MAX];
    /* RFC 3550 5.3.1: 16 bits defined by profile, then 32-bit words. */
    uint16_t ext_profile;
    const uint8_t *ext;  /* parse: view of the extension data; build: its bytes */
    size_t ext_len;      /* bytes, a multiple of 4 */
    uint8_t pad_len;     /* padding octets including the count octet; 0 if none */
};

struct rtp_packet {
    struct rtp_header hdr;
    size_t header_len;   /* fixed header + CSRCs + extension */
    const uint8_t *payload;
    size_t payload_len;  /* without padding */
};

/* Parses one RTP packet of exactly len bytes. Never reads outside
 * [buf, buf+len). Returns 0, SYNTH_EPARSE (detail in err, may be NULL) or
 * SYNTH_ETOOBIG. The views in pkt point into buf. */
int rtp_parse(struct rtp_packet *pkt, const uint8_t *buf, size_t len, struct synth_error *err);

/* Writes h (with its CSRCs, extension and padding) followed by the payload
 * into buf. *used gets the packet length. Returns 0, SYNTH_EINVAL (a field out
 * of range) or SYNTH_ETOOBIG (size too small or over RTP_PACKET_MAX). */
int rtp_build(const struct rtp_header *h, const uint8_t *payload, size_t payload_len,
              uint8_t *buf, size_t size, size_t *used);

#endif
