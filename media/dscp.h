/* DSCP marking of UDP media sockets and reading the mark of received
 * packets (RFC 2474 3: DSCP is the upper 6 bits of the IPv4 TOS / IPv6
 * Traffic Class octet; the lower 2 are ECN, RFC 3168, left 0 here). */
#ifndef MEDIA_DSCP_H
#define MEDIA_DSCP_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DSCP_MAX 63
/* The marks SfB QoS policies use per modality (audio EF, video AF41,
 * application sharing CS3). */
#define DSCP_EF 46
#define DSCP_AF41 34
#define DSCP_CS3 24

/* What dscp_recv_batch got of one datagram: its length, the sender, the
 * TOS / Traffic Class octet if the kernel reported it, and how long the
 * datagram waited in the socket before it was read. */
struct dscp_packet {
    size_t len;
    struct sockaddr_storage from;
    socklen_t from_len;
    bool have_tos;
    uint8_t tos;   /* whole octet, ECN included */
    uint8_t dscp;  /* tos >> 2 */
    /* µs from the kernel's receive timestamp (SO_TIMESTAMPNS) to the read;
     * 0 without one. Subtracted from the read time it gives the arrival
     * time, so jitter judges the path and the sender, not how busy the
     * reading loop was (its other work, other streams' packets first). */
    int64_t waited_us;
    bool truncated; /* longer than the buffer: len is what fit */
};

/* Marks what fd sends with dscp (TOS = dscp << 2): IP_TOS on IPv4,
 * IPV6_TCLASS on IPv6 (and IP_TOS too, for IPv4-mapped peers of a
 * dual-stack socket). Returns 0, SYNTH_EINVAL (dscp > 63) or SYNTH_EIO. */
int dscp_set(int fd, uint8_t dscp, struct synth_error *err);

/* Asks the kernel to report each packet's TOS / Traffic Class
 * (IP_RECVTOS, IPV6_RECVTCLASS) and, where it can, its receive time
 * (SO_TIMESTAMPNS); *stamped (when not NULL) says whether it will. Returns
 * 0 or SYNTH_EIO. */
int dscp_enable_recv(int fd, bool *stamped, struct synth_error *err);

/* The most datagrams one dscp_recv_batch takes. */
#define DSCP_BATCH_MAX 16

/* Up to n (at most DSCP_BATCH_MAX) queued datagrams in one recvmmsg,
 * without waiting: the i-th into bufs + i * size, described by out[i]
 * (out[i].truncated when it did not fit). Returns how many were read (0:
 * none queued), SYNTH_ECONNREFUSED (a connected socket's peer port is
 * closed: the ICMP error of an earlier send) or SYNTH_EIO. */
int dscp_recv_batch(int fd, uint8_t *bufs, size_t size, struct dscp_packet *out, unsigned n,
                    struct synth_error *err);

#endif
