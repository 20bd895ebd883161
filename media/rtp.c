/* RTP header parse and build, RFC 3550 5.1 (fixed header, CSRC list),
 * 5.3.1 (header extension) and the padding rule of 5.1 ("P" bit). */
#include "rtp.h"

#include "byteorder.h"

#include <string.h>

/* Reads the extension at p (avail bytes left in the packet); *ext_total
 * gets its size with the 4-byte profile/length word. */
static int parse_extension(struct rtp_header *h, const uint8_t *p, size_t avail, size_t *ext_total,
                           struct synth_error *err)
{
    if (avail < 4)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: extension header truncated");
    h->ext_profile = be_get16(p);
    size_t data_len = (size_t)be_get16(p + 2) * 4;
    if (data_len > avail - 4)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: extension length %zu exceeds packet",
                               data_len);
    h->ext = p + 4;
    h->ext_len = data_len;
    *ext_total = 4 + data_len;
    return 0;
}

/* RFC 3550 5.1: the last octet of the padding counts the padding octets,
 * itself included, so it is at least 1 and cannot eat into the header. */
static int parse_padding(struct rtp_header *h, const uint8_t *buf, size_t len, size_t header_len,
                         struct synth_error *err)
{
    if (len == header_len)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: padding bit set but no padding");
    uint8_t n = buf[len - 1];
    if (n == 0 || n > len - header_len)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: bad padding count %u", n);
    h->pad_len = n;
    return 0;
}

int rtp_parse(struct rtp_packet *pkt, const uint8_t *buf, size_t len, struct synth_error *err)
{
    int rc;
    memset(pkt, 0, sizeof(*pkt));
    if (len > RTP_PACKET_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "rtp: packet of %zu bytes over %d", len,
                               RTP_PACKET_MAX);
    if (len < RTP_HEADER_MIN)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: %zu bytes, shorter than the header", len);

    struct rtp_header *h = &pkt->hdr;
    if (buf[0] >> 6 != RTP_VERSION)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: version %u", buf[0] >> 6);
    h->padding = buf[0] & 0x20;
    h->extension = buf[0] & 0x10;
    h->csrc_count = buf[0] & 0x0f;
    h->marker = buf[1] & 0x80;
    h->pt = buf[1] & 0x7f;
    h->seq = be_get16(buf + 2);
    h->ts = be_get32(buf + 4);
    h->ssrc = be_get32(buf + 8);

    size_t off = RTP_HEADER_MIN;
    if ((size_t)h->csrc_count * 4 > len - off)
        return synth_error_set(err, SYNTH_EPARSE, "rtp: %u CSRCs exceed packet", h->csrc_count);
    for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
        h->csrc[i] = be_get32(buf + off);

    if (h->extension) {
        size_t ext_total = 0;
        rc = parse_extension(h, buf + off, len - off, &ext_total, err);
        if (rc)
            return rc;
        off += ext_total;
    }
    if (h->padding) {
        rc = parse_padding(h, buf, len, off, err);
        if (rc)
            return rc;
    }
    pkt->header_len = off;
    pkt->payload = buf + off;
    pkt->payload_len = len - off - h->pad_len;
    return 0;
}

static int check_header(const struct rtp_header *h)
{
    if (h->pt > 0x7f || h->csrc_count > RTP_CSRC_MAX)
        return SYNTH_EINVAL;
    if (h->extension && (h->ext_len % 4 != 0 || h->ext_len / 4 > UINT16_MAX ||
                         (h->ext_len && !h->ext)))
        return SYNTH_EINVAL;
    if (h->padding != (h->pad_len > 0))
        return SYNTH_EINVAL;
    return 0;
}

int rtp_build(const struct rtp_header *h, const uint8_t *payload, size_t payload_len,
              uint8_t *buf, size_t size, size_t *used)
{
    int rc = check_header(h);
    if (rc)
        return rc;
    if (payload_len && !payload)
        return SYNTH_EINVAL;
    size_t ext_total = h->extension ? 4 + h->ext_len : 0;
    size_t total = RTP_HEADER_MIN + (size_t)h->csrc_count * 4 + ext_total;
    if (payload_len > RTP_PACKET_MAX || total + payload_len + h->pad_len > RTP_PACKET_MAX)
        return SYNTH_ETOOBIG;
    total += payload_len + h->pad_len;
    if (total > size)
        return SYNTH_ETOOBIG;

    buf[0] = (uint8_t)(RTP_VERSION << 6 | (h->padding ? 0x20 : 0) | (h->extension ? 0x10 : 0) |
                       h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
    be_put16(buf + 2, h->seq);
    be_put32(buf + 4, h->ts);
    be_put32(buf + 8, h->ssrc);
    size_t off = RTP_HEADER_MIN;
    for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
        be_put32(buf + off, h->csrc[i]);
    if (h->extension) {
        be_put16(buf + off, h->ext_profile);
        be_put16(buf + off + 2, (uint16_t)(h->ext_len / 4));
        if (h->ext_len)
            memcpy(buf + off + 4, h->ext, h->ext_len);
        off += ext_total;
    }
    if (payload_len)
        memcpy(buf + off, payload, payload_len);
    off += payload_len;
    if (h->pad_len) {
        memset(buf + off, 0, h->pad_len - 1u);
        buf[off + h->pad_len - 1] = h->pad_len;
        off += h->pad_len;
    }
    *used = off;
    return 0;
}
