/* The media transport seam (media_transport.h). */
#include "media/media_transport.h"

#include "media/rtcp.h"
#include "synth/base/err.h"
#include "synth/turn/stun_msg.h"

enum media_pkt media_transport_classify(const uint8_t *buf, size_t len, bool rtcp_port,
                                        bool rtcp_mux)
{
    switch (stun_demux(buf, len)) {
    case STUN_DEMUX_STUN:
        return MEDIA_PKT_STUN;
    case STUN_DEMUX_RTP:
        if (rtcp_port || (rtcp_mux && rtcp_is_rtcp(buf, len)))
            return MEDIA_PKT_RTCP;
        /* Through a relay everything arrives on one path: the payload type
         * tells RTCP apart (RFC 5761 4) whatever was negotiated. */
        return rtcp_is_rtcp(buf, len) ? MEDIA_PKT_RTCP : MEDIA_PKT_RTP;
    default:
        return MEDIA_PKT_OTHER;
    }
}

int media_transport_send(const struct media_transport *t, enum media_component c,
                         const uint8_t *buf, size_t len)
{
    int i = c == MEDIA_COMP_RTCP && !t->rtcp_mux ? 1 : 0;
    const struct sockaddr *to = (const struct sockaddr *)&t->peer[i];
    if (t->relay)
        return t->relay(t->relay_arg, to, t->peer_len[i], buf, len) == 0 ? 0 : SYNTH_EIO;
    return sendto(t->fd[i], buf, len, 0, to, t->peer_len[i]) < 0 ? SYNTH_EIO : 0;
}
