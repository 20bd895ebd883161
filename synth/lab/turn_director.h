/* The first A/V Edge of the lab's pool: a TURN server that allocates
 * nothing and sends every Allocate on to the relay, as one Edge of a pool
 * does with a client it hands to another: [MS-TURN] in its 401, with
 * ALTERNATE-SERVER naming the relay; standard TURN with 300 Try Alternate
 * and ALTERNATE-SERVER (RFC 8656, RFC 5766 6.2.2). Lab knob
 * turn_pool_redirect. UDP only. */
#ifndef SYNTH_LAB_TURN_DIRECTOR_H
#define SYNTH_LAB_TURN_DIRECTOR_H

#include "synth/base/err.h"
#include "synth/lab/lab.h"

#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct turn_director;

/* Binds UDP on cfg->listen_host (an ephemeral port) and answers there,
 * naming relay (the relay's address and port). cfg and stats are kept.
 * Free with turn_director_free. */
int turn_director_start(struct turn_director **out, struct event_base *base,
                        const struct lab_config *cfg, struct lab_stats *stats,
                        const struct sockaddr_storage *relay, struct synth_error *err);
void turn_director_free(struct turn_director *d);
uint16_t turn_director_port(const struct turn_director *d);

#endif
