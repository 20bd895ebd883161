/* Socket addresses from numeric IPv4/IPv6 text (never a DNS lookup: the
 * callers run on event loops), and the comparisons media needs. */
#ifndef SYNTH_NET_ADDR_H
#define SYNTH_NET_ADDR_H

#include "synth/base/strv.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* "192.0.2.1" or "2001:db8::1" (no brackets) and a port; 0 or SYNTH_EPARSE. */
int net_addr_from_ip(struct strv ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

uint16_t net_addr_port(const struct sockaddr_storage *ss);

/* Same family, address and port. */
bool net_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
