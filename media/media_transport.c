/* The media transport seam (media_transport.h). */
#include "media/media_transport.h"

#include "media/rtcp.h"
#include "synth/base/err.h"
#include "synth/base/net_addr.h"
#include "synth/base/udp_peer.h"
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

/* The socket (and peer[] slot) a component's datagrams leave from: RTCP
 * shares RTP's with rtcp-mux. */
static int sock_of(const struct media_transport *t, enum media_component c)
{
    return c == MEDIA_COMP_RTCP && !t->rtcp_mux ? 1 : 0;
}

int media_transport_send(struct media_transport *t, enum media_component c, const uint8_t *buf,
                         size_t len)
{
    int i = sock_of(t, c);
    const struct sockaddr *to = (const struct sockaddr *)&t->peer[i];
    if (t->relay)
        return t->relay(t->relay_arg, to, t->peer_len[i], buf, len) == 0 ? 0 : SYNTH_EIO;
    if (t->sock[i] == MEDIA_SOCK_CONNECTED)
        to = NULL; /* send(2): the kernel's kept route, no lookup per packet */
    return udp_peer_send(t->fd[i], buf, len, to, t->peer_len[i], &t->refused);
}

bool media_transport_heard(struct media_transport *t, enum media_component c,
                           const struct sockaddr_storage *from)
{
    int i = c == MEDIA_COMP_RTCP ? 1 : 0;
    if (i != sock_of(t, c) || !net_addr_equal(from, &t->peer[i]))
        return false; /* with rtcp-mux the RTCP socket sends nothing */
    if (!t->relay && t->sock[i] == MEDIA_SOCK_ANY)
        t->sock[i] = udp_peer_set(t->fd[i], from, NULL) == 0 ? MEDIA_SOCK_CONNECTED
                                                             : MEDIA_SOCK_KEPT_OPEN;
    return true;
}

int media_transport_set_peer(struct media_transport *t, enum media_component c,
                             const struct sockaddr_storage *addr, socklen_t addr_len)
{
    int i = c == MEDIA_COMP_RTCP ? 1 : 0;
    bool moved = !net_addr_equal(addr, &t->peer[i]);
    t->peer[i] = *addr;
    t->peer_len[i] = addr_len;
    if (!moved || t->sock[i] != MEDIA_SOCK_CONNECTED)
        return 0;
    t->sock[i] = MEDIA_SOCK_ANY;
    return udp_peer_set(t->fd[i], NULL, NULL) == 0 ? 0 : SYNTH_EIO;
}
