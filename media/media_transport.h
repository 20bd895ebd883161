/* Where one media stream's datagrams go and how arriving ones are told
 * apart: the seam between media_stream and the path ICE chose. Direct: from
 * the stream's own RTP/RTCP sockets to the peer. Relayed: through a send
 * function (a TURN client's, RFC 8656: ChannelData once a channel is
 * bound) to the peer's address. Arriving datagrams are STUN (ICE's), RTP or
 * RTCP (RFC 7983 7 first byte, RFC 5761 4 payload types), or other. */
#ifndef MEDIA_MEDIA_TRANSPORT_H
#define MEDIA_MEDIA_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum media_component { MEDIA_COMP_RTP = 0, MEDIA_COMP_RTCP = 1 };

/* Sends buf to `to` by another path than our sockets; 0 or an error. */
typedef int(media_relay_send_h)(void *arg, const struct sockaddr *to, socklen_t to_len,
                                const uint8_t *buf, size_t len);

/* What a running stream's media clock asks of its relay. */
enum media_poll {
    MEDIA_POLL_READ, /* hand over now what arrived for the stream (media_stream_input) */
    MEDIA_POLL_END,  /* the stream stopped: the relay reads on its own again */
};
/* Reads the relay on the stream's clock instead of on the relay's own
 * socket wake-ups (media_stream_start says why). From inside READ the
 * relay's handlers run: they may free the stream and the relay's owner. */
typedef void(media_relay_poll_h)(void *arg, enum media_poll what);

struct media_transport {
    int fd[2];                         /* the stream's sockets (not owned); fd[1] RTCP */
    struct sockaddr_storage peer[2];   /* where RTP and RTCP go */
    socklen_t peer_len[2];
    bool rtcp_mux;                     /* RTCP on the RTP socket and address */
    media_relay_send_h *relay;         /* non-NULL: everything goes through it */
    media_relay_poll_h *poll;          /* non-NULL: the clock reads the relay (relay_arg) */
    void *relay_arg;
};

enum media_pkt { MEDIA_PKT_RTP, MEDIA_PKT_RTCP, MEDIA_PKT_STUN, MEDIA_PKT_OTHER };

/* What a datagram is: on the RTCP port (no mux) RTP-looking bytes are RTCP. */
enum media_pkt media_transport_classify(const uint8_t *buf, size_t len, bool rtcp_port,
                                        bool rtcp_mux);

/* Sends one RTP or RTCP datagram on the transport's path. 0, or SYNTH_EIO. */
int media_transport_send(const struct media_transport *t, enum media_component c,
                         const uint8_t *buf, size_t len);

#endif
