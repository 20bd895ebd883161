/* Datagrams read in batches (recvmmsg), each with the kernel's time of
 * arrival (SO_TIMESTAMPNS), so a loop that wakes seldom still knows when
 * every message came in (a response's latency is not the loop's lateness). */
#ifndef SYNTH_SIP_UDP_RX_H
#define SYNTH_SIP_UDP_RX_H

#include "synth/sip/transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Datagrams one recvmmsg takes: a client socket holds the few messages of
 * one user's transaction (100, 180, 200) between two wake-ups. */
#define UDP_RX_BATCH 8

struct udp_rx_dgram {
    const char *buf;
    size_t len;
    const struct sip_addr_storage *src;
    int64_t rx_us; /* clock_mono_us() time the kernel received it; 0 = not known */
};

/* Asks the kernel to stamp every datagram fd receives. Best effort: without
 * stamps rx_us is the time of the read. */
void udp_rx_enable(int fd);

/* Returns false to stop reading (the connection is gone). */
typedef bool (*udp_rx_handler)(const struct udp_rx_dgram *d, void *arg);

/* Reads up to max datagrams in recvmmsg batches, calling on_dgram for each,
 * until the socket is drained, max is reached or on_dgram returns false.
 * Returns 0, or the first recvmmsg's errno when it read nothing (EAGAIN is
 * 0). The buffers are the calling thread's and valid during on_dgram only. */
int udp_rx_read(int fd, int max, udp_rx_handler on_dgram, void *arg);

#endif
