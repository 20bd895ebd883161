/* RTCP compound parse and build: RFC 3550 6.1 (compound), 6.4.1 (SR), 6.4.2
 * (RR), 6.5 (SDES), 6.6 (BYE), A.2 (header validity checks). */
#include "rtcp.h"

#include "byteorder.h"

#include <string.h>

#define RTCP_VERSION 2
#define RTCP_HEADER_LEN 4
#define RTCP_SENDER_INFO_LEN 20
#define RTCP_REPORT_BLOCK_LEN 24

/* 24-bit two's complement on the wire (RFC 3550 6.4.1 cumulative lost). */
static int32_t sign_extend24(uint32_t v)
{
    return (v & 0x800000) ? (int32_t)(v | 0xff000000u) : (int32_t)v;
}

static int parse_report_blocks(struct rtcp_packet *p, const uint8_t *b, size_t avail,
                               struct synth_error *err)
{
    if ((size_t)p->count * RTCP_REPORT_BLOCK_LEN > avail)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: %u report blocks exceed packet",
                               p->count);
    for (unsigned i = 0; i < p->count; i++, b += RTCP_REPORT_BLOCK_LEN) {
        struct rtcp_report_block *rb = &p->reports[i];
        rb->ssrc = be_get32(b);
        rb->fraction_lost = b[4];
        rb->cumulative_lost = sign_extend24(be_get24(b + 5));
        rb->ext_highest_seq = be_get32(b + 8);
        rb->jitter = be_get32(b + 12);
        rb->lsr = be_get32(b + 16);
        rb->dlsr = be_get32(b + 20);
    }
    return 0;
}

/* SR and RR share the layout after the SSRC but for the 20-byte sender
 * info; bytes after the report blocks are profile extensions (6.4.1). */
static int parse_report(struct rtcp_packet *p, const uint8_t *b, size_t len,
                        struct synth_error *err)
{
    size_t need = 4 + (p->type == RTCP_SR ? RTCP_SENDER_INFO_LEN : 0);
    if (len < need)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: %s of %zu bytes too short",
                               p->type == RTCP_SR ? "SR" : "RR", len);
    p->ssrc = be_get32(b);
    if (p->type == RTCP_SR) {
        p->sr.ntp = (uint64_t)be_get32(b + 4) << 32 | be_get32(b + 8);
        p->sr.rtp_ts = be_get32(b + 12);
        p->sr.packet_count = be_get32(b + 16);
        p->sr.octet_count = be_get32(b + 20);
    }
    return parse_report_blocks(p, b + need, len - need, err);
}

/* One SDES chunk at b[*off]: SSRC, items, a null item, padding to the next
 * 32-bit boundary (RFC 3550 6.5). Only CNAME is kept. */
static int parse_sdes_chunk(struct rtcp_sdes_chunk *ch, const uint8_t *b, size_t len, size_t *off,
                            struct synth_error *err)
{
    size_t o = *off;
    if (len - o < 4)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: SDES chunk truncated");
    ch->ssrc = be_get32(b + o);
    o += 4;
    for (;;) {
        if (o >= len)
            return synth_error_set(err, SYNTH_EPARSE, "rtcp: SDES chunk without end item");
        uint8_t type = b[o];
        if (type == 0)
            break;
        if (len - o < 2 || b[o + 1] > len - o - 2)
            return synth_error_set(err, SYNTH_EPARSE, "rtcp: SDES item %u truncated", type);
        if (type == RTCP_SDES_CNAME && !ch->cname) {
            ch->cname = b + o + 2;
            ch->cname_len = b[o + 1];
        }
        o += 2 + (size_t)b[o + 1];
    }
    /* The null octet, then up to the boundary: o+1 rounded up to 4. */
    o = (o + 4) & ~(size_t)3;
    if (o > len)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: SDES chunk padding truncated");
    *off = o;
    return 0;
}

static int parse_sdes(struct rtcp_packet *p, const uint8_t *b, size_t len, struct synth_error *err)
{
    size_t off = 0;
    for (unsigned i = 0; i < p->count; i++) {
        int rc = parse_sdes_chunk(&p->chunks[i], b, len, &off, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_bye(struct rtcp_packet *p, const uint8_t *b, size_t len, struct synth_error *err)
{
    size_t ids = (size_t)p->count * 4;
    if (ids > len)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: BYE with %u SSRCs truncated", p->count);
    for (unsigned i = 0; i < p->count; i++)
        p->bye_ssrc[i] = be_get32(b + 4 * i);
    if (ids < len) {
        size_t n = b[ids];
        if (n > len - ids - 1)
            return synth_error_set(err, SYNTH_EPARSE, "rtcp: BYE reason truncated");
        p->reason = b + ids + 1;
        p->reason_len = n;
    }
    return 0;
}

static int parse_body(struct rtcp_packet *p, const uint8_t *body, size_t len,
                      struct synth_error *err)
{
    switch (p->type) {
    case RTCP_SR:
    case RTCP_RR: return parse_report(p, body, len, err);
    case RTCP_SDES: return parse_sdes(p, body, len, err);
    case RTCP_BYE: return parse_bye(p, body, len, err);
    default: return 0; /* APP, XR, RTPFB/PSFB, vendor types: raw view only */
    }
}

/* One packet at buf (avail bytes left in the compound); *pkt_len gets its
 * length from the header. */
static int parse_packet(struct rtcp_packet *p, const uint8_t *buf, size_t avail, size_t *pkt_len,
                        struct synth_error *err)
{
    if (avail < RTCP_HEADER_LEN)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: %zu trailing bytes", avail);
    if (buf[0] >> 6 != RTCP_VERSION)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: version %u", buf[0] >> 6);
    size_t len = ((size_t)be_get16(buf + 2) + 1) * 4;
    if (len > avail)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: length %zu exceeds the %zu bytes left",
                               len, avail);
    memset(p, 0, sizeof(*p));
    p->type = buf[1];
    p->count = buf[0] & 0x1f;
    p->raw = buf;
    p->raw_len = len;

    size_t body_len = len - RTCP_HEADER_LEN;
    if (buf[0] & 0x20) {
        /* RFC 3550 6.4.1 / A.2: only the last packet of a compound may pad. */
        uint8_t pad = buf[len - 1];
        if (len != avail)
            return synth_error_set(err, SYNTH_EPARSE, "rtcp: padding before the last packet");
        if (pad == 0 || pad > body_len)
            return synth_error_set(err, SYNTH_EPARSE, "rtcp: bad padding count %u", pad);
        body_len -= pad;
    }
    *pkt_len = len;
    return parse_body(p, buf + RTCP_HEADER_LEN, body_len, err);
}

int rtcp_parse(struct rtcp_compound *c, const uint8_t *buf, size_t len, struct synth_error *err)
{
    c->count = 0;
    if (len > RTCP_PACKET_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "rtcp: compound of %zu bytes over %d", len,
                               RTCP_PACKET_MAX);
    if (len == 0)
        return synth_error_set(err, SYNTH_EPARSE, "rtcp: empty");
    size_t off = 0;
    while (off < len) {
        if (c->count == RTCP_COMPOUND_MAX)
            return synth_error_set(err, SYNTH_ETOOBIG, "rtcp: more than %d packets",
                                   RTCP_COMPOUND_MAX);
        size_t pkt_len = 0;
        int rc = parse_packet(&c->pkts[c->count], buf + off, len - off, &pkt_len, err);
        if (rc)
            return rc;
        c->count++;
        off += pkt_len;
    }
    return 0;
}

bool rtcp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

const struct rtcp_packet *rtcp_find(const struct rtcp_compound *c, uint8_t type)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->pkts[i].type == type)
            return &c->pkts[i];
    return NULL;
}

/* Writes the common header for a packet of len bytes (a multiple of 4). */
static void put_header(uint8_t *p, unsigned count, uint8_t type, size_t len)
{
    p[0] = (uint8_t)(RTCP_VERSION << 6 | count);
    p[1] = type;
    be_put16(p + 2, (uint16_t)(len / 4 - 1));
}

static void put_report_block(uint8_t *b, const struct rtcp_report_block *rb)
{
    be_put32(b, rb->ssrc);
    b[4] = rb->fraction_lost;
    /* 6.4.1: clamp to the 24-bit signed range rather than wrap. */
    int32_t lost = rb->cumulative_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    be_put24(b + 5, (uint32_t)lost & 0xffffff);
    be_put32(b + 8, rb->ext_highest_seq);
    be_put32(b + 12, rb->jitter);
    be_put32(b + 16, rb->lsr);
    be_put32(b + 20, rb->dlsr);
}

/* SR (si != NULL) or RR. */
static int build_report(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                        const struct rtcp_sender_info *si, const struct rtcp_report_block *rb,
                        size_t n)
{
    if (n > RTCP_COUNT_MAX || (n && !rb))
        return SYNTH_EINVAL;
    size_t len = RTCP_HEADER_LEN + 4 + (si ? RTCP_SENDER_INFO_LEN : 0) + n * RTCP_REPORT_BLOCK_LEN;
    if (*off > size || len > size - *off)
        return SYNTH_ETOOBIG;
    uint8_t *p = buf + *off;
    put_header(p, (unsigned)n, si ? RTCP_SR : RTCP_RR, len);
    be_put32(p + 4, ssrc);
    uint8_t *b = p + 8;
    if (si) {
        be_put32(b, (uint32_t)(si->ntp >> 32));
        be_put32(b + 4, (uint32_t)si->ntp);
        be_put32(b + 8, si->rtp_ts);
        be_put32(b + 12, si->packet_count);
        be_put32(b + 16, si->octet_count);
        b += RTCP_SENDER_INFO_LEN;
    }
    for (size_t i = 0; i < n; i++, b += RTCP_REPORT_BLOCK_LEN)
        put_report_block(b, &rb[i]);
    *off += len;
    return 0;
}

int rtcp_build_sr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                  const struct rtcp_sender_info *si, const struct rtcp_report_block *rb,
                  size_t rb_count)
{
    if (!si)
        return SYNTH_EINVAL;
    return build_report(buf, size, off, ssrc, si, rb, rb_count);
}

int rtcp_build_rr(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                  const struct rtcp_report_block *rb, size_t rb_count)
{
    return build_report(buf, size, off, ssrc, NULL, rb, rb_count);
}

int rtcp_build_sdes_cname(uint8_t *buf, size_t size, size_t *off, uint32_t ssrc,
                          const char *cname, size_t cname_len)
{
    if (cname_len > RTCP_SDES_TEXT_MAX || (cname_len && !cname))
        return SYNTH_EINVAL;
    /* SSRC, type, length, text, at least one null octet, up to 4-aligned. */
    size_t chunk = (4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
    size_t len = RTCP_HEADER_LEN + chunk;
    if (*off > size || len > size - *off)
        return SYNTH_ETOOBIG;
    uint8_t *p = buf + *off;
    memset(p, 0, len);
    put_header(p, 1, RTCP_SDES, len);
    be_put32(p + 4, ssrc);
    p[8] = RTCP_SDES_CNAME;
    p[9] = (uint8_t)cname_len;
    if (cname_len)
        memcpy(p + 10, cname, cname_len);
    *off += len;
    return 0;
}

int rtcp_build_bye(uint8_t *buf, size_t size, size_t *off, const uint32_t *ssrc, size_t count,
                   const char *reason, size_t reason_len)
{
    if (count > RTCP_COUNT_MAX || (count && !ssrc) || reason_len > RTCP_SDES_TEXT_MAX ||
        (reason_len && !reason))
        return SYNTH_EINVAL;
    size_t body = count * 4 + (reason ? (1 + reason_len + 3) & ~(size_t)3 : 0);
    size_t len = RTCP_HEADER_LEN + body;
    if (*off > size || len > size - *off)
        return SYNTH_ETOOBIG;
    uint8_t *p = buf + *off;
    memset(p, 0, len);
    put_header(p, (unsigned)count, RTCP_BYE, len);
    for (size_t i = 0; i < count; i++)
        be_put32(p + 4 + 4 * i, ssrc[i]);
    if (reason) {
        p[4 + count * 4] = (uint8_t)reason_len;
        if (reason_len)
            memcpy(p + 5 + count * 4, reason, reason_len);
    }
    *off += len;
    return 0;
}
