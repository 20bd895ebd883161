/* Fuzz target for the RTP header parser (media/rtp.c): views stay inside
 * the input, the lengths add up, and building the parsed header and payload
 * gives back the input byte for byte (but for padding filler, which the
 * builder writes as zeros). */
#include "media/rtp.h"

#include <stdlib.h>
#include <string.h>

static uint8_t rebuilt[RTP_PACKET_MAX];

static void check_view(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    if (!p) {
        if (n)
            abort();
        return;
    }
    if (p < data || p + n > data + size)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_packet pkt;
    struct synth_error err;
    if (rtp_parse(&pkt, data, size, &err) != 0)
        return 0;
    const struct rtp_header *h = &pkt.hdr;
    check_view(pkt.payload, pkt.payload_len, data, size);
    check_view(h->ext, h->ext_len, data, size);
    if (pkt.header_len + pkt.payload_len + h->pad_len != size || h->csrc_count > RTP_CSRC_MAX)
        abort();

    size_t used = 0;
    if (rtp_build(h, pkt.payload, pkt.payload_len, rebuilt, sizeof(rebuilt), &used) != 0)
        abort();
    if (used != size)
        abort();
    size_t filler = h->pad_len ? h->pad_len - 1u : 0;
    size_t body = size - h->pad_len;
    if (memcmp(rebuilt, data, body) != 0 || rebuilt[size - 1] != data[size - 1])
        abort();
    for (size_t i = 0; i < filler; i++)
        if (rebuilt[body + i] != 0)
            abort();
    return 0;
}
