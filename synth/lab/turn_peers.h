/* One allocation's permissions (RFC 8656 9) and channel bindings (RFC 8656
 * 12) in the lab relay: fixed-size tables with expiry times, no I/O, so
 * the rules (by IP for permissions, by IP and port for channels, a channel
 * and a peer bound once) are tested alone. */
#ifndef SYNTH_LAB_TURN_PEERS_H
#define SYNTH_LAB_TURN_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A call talks to one or two peers (the UM, a conference MCU); ICE may try a
 * few candidates of each. 32 of each leaves room and keeps an allocation
 * at about 9 KB (addresses are sockaddr_storage). */
#define TURN_PEERS_PERM_MAX 32
#define TURN_PEERS_CHAN_MAX 32
/* RFC 8656 9: permissions last 300 s; RFC 8656 12: bindings 600 s. */
#define TURN_PERMISSION_LIFETIME_MS (300u * 1000)
#define TURN_CHANNEL_LIFETIME_MS (600u * 1000)

struct turn_perm {
    struct sockaddr_storage ip; /* the port is not compared */
    uint64_t expire_ms;
};

struct turn_chan {
    uint16_t number;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint64_t expire_ms;
};

struct turn_peers {
    struct turn_perm perm[TURN_PEERS_PERM_MAX];
    size_t perm_count;
    struct turn_chan chan[TURN_PEERS_CHAN_MAX];
    size_t chan_count;
};

/* Installs or refreshes the permission for peer's IP until now + lifetime.
 * 0, or SYNTH_ETOOBIG when the table is full (508). */
int turn_peers_permit(struct turn_peers *t, const struct sockaddr_storage *peer, uint64_t now_ms,
                      uint64_t lifetime_ms);
bool turn_peers_permitted(const struct turn_peers *t, const struct sockaddr_storage *peer,
                          uint64_t now_ms);

/* Binds (or refreshes) channel number to peer, and permits peer's IP (RFC
 * 8656 11.2). 0; SYNTH_EINVAL when the number is bound to another peer or
 * the peer to another number (400); SYNTH_ETOOBIG when full (508). */
int turn_peers_bind(struct turn_peers *t, uint16_t number, const struct sockaddr_storage *peer,
                    socklen_t peer_len, uint64_t now_ms);
/* The live binding of a number, or of a peer (IP and port); NULL if none. */
const struct turn_chan *turn_peers_channel(const struct turn_peers *t, uint16_t number,
                                           uint64_t now_ms);
const struct turn_chan *turn_peers_channel_of(const struct turn_peers *t,
                                              const struct sockaddr_storage *peer,
                                              uint64_t now_ms);

/* Drops what expired. */
void turn_peers_expire(struct turn_peers *t, uint64_t now_ms);

#endif
