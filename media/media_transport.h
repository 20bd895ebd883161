/* Where one media stream's datagrams go and how arriving ones are told
 * apart: the seam between media_stream and the path ICE chose. Direct: from
 * the stream's own RTP/RTCP sockets to the peer, each socket connected to
 * it once the peer is shown to send from there (media_transport_heard).
 * Relayed: through a send function (a TURN client's, RFC 8656: ChannelData
 * once a channel is bound) to the peer's address. Arriving datagrams are
 * STUN (ICE's), RTP or RTCP (RFC 7983 7 first byte, RFC 5761 4 payload
 * types), or other. */
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

/* What a socket of a direct path receives from. */
enum media_sock_peer {
    MEDIA_SOCK_ANY = 0,    /* unconnected: every source (ICE's checks, a peer not yet heard) */
    MEDIA_SOCK_CONNECTED,  /* connected to peer[i]: its datagrams only, sent with send(2) */
    MEDIA_SOCK_KEPT_OPEN,  /* the kernel refused the connect: stays unconnected */
};

struct media_transport {
    int fd[2];                         /* the stream's sockets (not owned); fd[1] RTCP */
    struct sockaddr_storage peer[2];   /* where RTP and RTCP go */
    socklen_t peer_len[2];
    bool rtcp_mux;                     /* RTCP on the RTP socket and address */
    media_relay_send_h *relay;         /* non-NULL: everything goes through it */
    media_relay_poll_h *poll;          /* non-NULL: the clock reads the relay (relay_arg) */
    void *relay_arg;
    enum media_sock_peer sock[2];      /* direct path: fd[i]'s peer */
    /* ICMP port unreachable reported on a connected socket (the peer's port
     * closed, as at the end of a call): counted, never an end of the media. */
    uint64_t refused;
};

enum media_pkt { MEDIA_PKT_RTP, MEDIA_PKT_RTCP, MEDIA_PKT_STUN, MEDIA_PKT_OTHER };

/* What a datagram is: on the RTCP port (no mux) RTP-looking bytes are RTCP. */
enum media_pkt media_transport_classify(const uint8_t *buf, size_t len, bool rtcp_port,
                                        bool rtcp_mux);

/* Sends one RTP or RTCP datagram on the transport's path. 0, or SYNTH_EIO. */
int media_transport_send(struct media_transport *t, enum media_component c, const uint8_t *buf,
                         size_t len);

/* An authenticated RTP or RTCP datagram came from `from`, on socket c
 * (MEDIA_COMP_RTCP: the RTCP socket) or, with c RTP, through the relay:
 * true when that is the address we send to from there. On a direct path the
 * first such datagram connects the socket to it. The peer's address is
 * final by then (the stream starts on ICE's nominated pair, or on the
 * answer's address without ICE), and the peer is seen to send from where we
 * send to (symmetric RTP, RFC 4961), so what the kernel drops from then on
 * is nobody's media. A peer that sends from another address than the one
 * we send to is never connected to, and stays heard (recv_foreign). */
bool media_transport_heard(struct media_transport *t, enum media_component c,
                           const struct sockaddr_storage *from);

/* The peer moved (a new pair, a new answer): what component c sends goes to
 * addr from now on, and a socket connected to the old address receives from
 * every source again until the new peer is heard. 0, or SYNTH_EIO when the
 * kernel kept the old connection (it never does for UDP). */
int media_transport_set_peer(struct media_transport *t, enum media_component c,
                             const struct sockaddr_storage *addr, socklen_t addr_len);

#endif
