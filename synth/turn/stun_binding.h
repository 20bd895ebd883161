/* A one-shot STUN Binding request (RFC 8489 3, 6.2.1) from a UDP socket the
 * caller owns: the server-reflexive address of that socket, as ICE gathers
 * it, with the usual retransmissions and a deadline. */
#ifndef SYNTH_TURN_STUN_BINDING_H
#define SYNTH_TURN_STUN_BINDING_H

#include "synth/base/err.h"

#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct stun_binding;

/* err 0 and the XOR-MAPPED-ADDRESS (or an old server's MAPPED-ADDRESS);
 * SYNTH_ETIMEDOUT when no answer came; an error response gives SYNTH_EIO
 * with its STUN code in code. The binding is already gone when this runs. */
typedef void(stun_binding_h)(int err, uint16_t code, const struct sockaddr_storage *mapped,
                             void *arg);

/* Sends the request from fd (non-blocking UDP, not owned) to server. While
 * the request runs the binding reads fd: datagrams that are not its answer
 * are dropped, so start it before media flows on the socket. rto_ms, rc, rm:
 * 0 for the RFC defaults (500 ms, 7, 16). */
int stun_binding_start(struct stun_binding **out, struct event_base *base, int fd,
                       const struct sockaddr *server, socklen_t server_len, uint32_t rto_ms,
                       unsigned rc, unsigned rm, stun_binding_h *h, void *arg);
/* Stops it without calling the handler. */
void stun_binding_cancel(struct stun_binding *b);

#endif
