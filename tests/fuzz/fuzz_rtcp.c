/* Fuzz target for the RTCP compound parser (media/rtcp.c): packets tile the
 * input exactly, every view stays inside it, and report blocks, CNAMEs and
 * BYEs rebuilt with the builders parse back to the same values. */
#include "media/rtcp.h"

#include <stdlib.h>
#include <string.h>

static struct rtcp_compound c, again;
static uint8_t rebuilt[RTCP_PACKET_MAX * 2];

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

/* Rebuilds p alone and parses it back: same type, same fields. */
static void check_rebuild(const struct rtcp_packet *p)
{
    size_t off = 0;
    int rc;
    switch (p->type) {
    case RTCP_SR:
        rc = rtcp_build_sr(rebuilt, sizeof(rebuilt), &off, p->ssrc, &p->sr, p->reports, p->count);
        break;
    case RTCP_RR:
        rc = rtcp_build_rr(rebuilt, sizeof(rebuilt), &off, p->ssrc, p->reports, p->count);
        break;
    case RTCP_SDES:
        if (p->count == 0 || !p->chunks[0].cname)
            return;
        rc = rtcp_build_sdes_cname(rebuilt, sizeof(rebuilt), &off, p->chunks[0].ssrc,
                                   (const char *)p->chunks[0].cname, p->chunks[0].cname_len);
        break;
    case RTCP_BYE:
        rc = rtcp_build_bye(rebuilt, sizeof(rebuilt), &off, p->bye_ssrc, p->count,
                            (const char *)p->reason, p->reason_len);
        break;
    default:
        return;
    }
    if (rc != 0 || rtcp_parse(&again, rebuilt, off, NULL) != 0 || again.count != 1)
        abort();
    const struct rtcp_packet *q = &again.pkts[0];
    if (q->type != p->type)
        abort();
    if (p->type == RTCP_SR || p->type == RTCP_RR) {
        if (q->ssrc != p->ssrc || q->count != p->count ||
            memcmp(q->reports, p->reports, p->count * sizeof(p->reports[0])) != 0)
            abort();
        if (p->type == RTCP_SR && memcmp(&q->sr, &p->sr, sizeof(p->sr)) != 0)
            abort();
    } else if (p->type == RTCP_SDES) {
        if (q->chunks[0].ssrc != p->chunks[0].ssrc ||
            q->chunks[0].cname_len != p->chunks[0].cname_len ||
            memcmp(q->chunks[0].cname, p->chunks[0].cname, p->chunks[0].cname_len) != 0)
            abort();
    } else {
        if (q->count != p->count || memcmp(q->bye_ssrc, p->bye_ssrc, p->count * 4) != 0 ||
            q->reason_len != p->reason_len ||
            (p->reason_len && memcmp(q->reason, p->reason, p->reason_len) != 0))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)rtcp_is_rtcp(data, size);
    if (rtcp_parse(&c, data, size, NULL) != 0)
        return 0;
    if (c.count == 0 || c.count > RTCP_COMPOUND_MAX)
        abort();
    size_t total = 0;
    for (size_t i = 0; i < c.count; i++) {
        const struct rtcp_packet *p = &c.pkts[i];
        if (p->raw != data + total || p->raw_len < 4 || p->raw_len % 4)
            abort();
        check_view(p->raw, p->raw_len, data, size);
        total += p->raw_len;
        if (p->type == RTCP_SDES)
            for (unsigned j = 0; j < p->count; j++)
                check_view(p->chunks[j].cname, p->chunks[j].cname_len, p->raw, p->raw_len);
        if (p->type == RTCP_BYE)
            check_view(p->reason, p->reason_len, p->raw, p->raw_len);
        check_rebuild(p);
    }
    if (total != size)
        abort();
    return 0;
}
