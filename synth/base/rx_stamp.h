/* Kernel receive timestamps (SO_TIMESTAMPNS, socket(7)): how long ago a
 * datagram arrived, so a loop that read it late still times it right. The
 * SIP transport (synth/sip/udp_rx) and the media sockets (media/dscp) both
 * read them. */
#ifndef SYNTH_BASE_RX_STAMP_H
#define SYNTH_BASE_RX_STAMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Control-message room one stamp needs. */
#define RX_STAMP_CMSG_SPACE CMSG_SPACE(sizeof(struct timespec))

/* Asks the kernel to stamp what fd receives; true if it will. Best effort:
 * without stamps the caller times a datagram by its read. */
bool rx_stamp_enable(int fd);

/* When c is a SCM_TIMESTAMPNS message: *age_us gets how long ago the
 * kernel stamped it, by the wall clock the kernel stamps with (0 when that
 * clock stepped back since), and true. Otherwise false. */
bool rx_stamp_age(const struct cmsghdr *c, int64_t *age_us);

#endif
