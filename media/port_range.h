/* UDP media port ranges per modality (audio, video, application sharing,
 * as SfB's media port settings define them): parse "50040-50079", check a
 * port against a range, and bind sockets inside a range with retries. */
#ifndef MEDIA_PORT_RANGE_H
#define MEDIA_PORT_RANGE_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum port_range_modality {
    PORT_RANGE_AUDIO,
    PORT_RANGE_VIDEO,
    PORT_RANGE_APPSHARING,
    PORT_RANGE_MODALITY_COUNT,
};

/* Ports tried by one bind call before giving up: a whole configured range
 * when it is small, but bounded so a huge range full of busy ports cannot
 * stall a worker's loop. SfB ranges are tens to hundreds of ports. */
#define PORT_RANGE_TRIES_MAX 1024

struct port_range {
    uint16_t first;
    uint16_t last; /* inclusive, >= first; first == 0 means "not set" */
};

/* The allocation state of one worker: its ranges and where each one's next
 * search starts. Several workers may share ranges; the kernel's bind
 * arbitrates, which is why a busy port is retried, not an error. */
struct port_range_pool {
    struct port_range range[PORT_RANGE_MODALITY_COUNT];
    uint32_t cursor[PORT_RANGE_MODALITY_COUNT];
};

/* A bound socket, or an RTP/RTCP pair on P (even) and P+1 (RFC 3550 11). */
struct port_range_binding {
    int fd[2];      /* fd[1] is -1 without a pair */
    uint16_t port;  /* the RTP port */
};

/* "50040-50079" or a single port "5004", len bytes. Returns 0 or
 * SYNTH_EPARSE (also for 0, over 65535, or last < first). */
int port_range_parse(const char *s, size_t len, struct port_range *out, struct synth_error *err);

bool port_range_contains(struct port_range r, uint16_t port);
size_t port_range_size(struct port_range r);
const char *port_range_modality_name(enum port_range_modality m);

/* seed spreads workers' first tries across the range (e.g. the worker
 * index) so they do not all collide on the first port. */
void port_range_pool_init(struct port_range_pool *p, const struct port_range ranges[],
                          uint32_t seed);

/* The modality whose range holds port (to check the ports a peer's SDP
 * offers); SYNTH_ENOTFOUND if none. */
int port_range_pool_modality_of(const struct port_range_pool *p, uint16_t port,
                                enum port_range_modality *out);

/* Binds a non-blocking UDP socket (two with pair) on local's address (its
 * port is ignored) at a free port of the modality's range, skipping ports
 * in use. The caller closes out->fd. Returns 0, SYNTH_EINVAL (range not
 * set, or a pair asked of a range without an even port and its successor),
 * SYNTH_ENOTFOUND (every port tried was busy) or SYNTH_EIO. */
int port_range_pool_bind(struct port_range_pool *p, enum port_range_modality m,
                         const struct sockaddr *local, socklen_t local_len, bool pair,
                         struct port_range_binding *out, struct synth_error *err);

#endif
