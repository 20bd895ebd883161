/* Permissions and channel bindings of one allocation (turn_peers.h):
 * RFC 8656 9 (by IP address alone) and 12 (channel <-> transport address,
 * both ways unique). Linear scans: the tables hold at most 32 entries. */
#include "synth/lab/turn_peers.h"

#include "synth/base/err.h"

#include <netinet/in.h>
#include <string.h>

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
                      &((const struct sockaddr_in *)(const void *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

static uint16_t port_of(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_port;
    if (a->ss_family == AF_INET6)
        return ((const struct sockaddr_in6 *)(const void *)a)->sin6_port;
    return 0;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    return same_ip(a, b) && port_of(a) == port_of(b);
}

int turn_peers_permit(struct turn_peers *t, const struct sockaddr_storage *peer, uint64_t now_ms,
                      uint64_t lifetime_ms)
{
    struct turn_perm *p = NULL;
    for (size_t i = 0; i < t->perm_count && !p; i++)
        if (same_ip(&t->perm[i].ip, peer))
            p = &t->perm[i];
    if (!p) {
        turn_peers_expire(t, now_ms);
        if (t->perm_count == TURN_PEERS_PERM_MAX)
            return SYNTH_ETOOBIG;
        p = &t->perm[t->perm_count++];
        p->ip = *peer;
    }
    p->expire_ms = now_ms + lifetime_ms;
    return 0;
}

bool turn_peers_permitted(const struct turn_peers *t, const struct sockaddr_storage *peer,
                          uint64_t now_ms)
{
    for (size_t i = 0; i < t->perm_count; i++)
        if (same_ip(&t->perm[i].ip, peer))
            return t->perm[i].expire_ms > now_ms;
    return false;
}

int turn_peers_bind(struct turn_peers *t, uint16_t number, const struct sockaddr_storage *peer,
                    socklen_t peer_len, uint64_t now_ms)
{
    turn_peers_expire(t, now_ms);
    struct turn_chan *c = NULL;
    for (size_t i = 0; i < t->chan_count; i++) {
        bool num = t->chan[i].number == number, addr = same_addr(&t->chan[i].peer, peer);
        if (num != addr)
            return SYNTH_EINVAL; /* RFC 8656 11.2: one binding each way */
        if (num)
            c = &t->chan[i];
    }
    if (!c && t->chan_count == TURN_PEERS_CHAN_MAX)
        return SYNTH_ETOOBIG;
    /* The permission first: a full permission table must not leave a
     * channel to a peer that cannot be reached. */
    int rc = turn_peers_permit(t, peer, now_ms, TURN_PERMISSION_LIFETIME_MS);
    if (rc)
        return rc;
    if (!c) {
        c = &t->chan[t->chan_count++];
        c->number = number;
        c->peer = *peer;
        c->peer_len = peer_len;
    }
    c->expire_ms = now_ms + TURN_CHANNEL_LIFETIME_MS;
    return 0;
}

const struct turn_chan *turn_peers_channel(const struct turn_peers *t, uint16_t number,
                                           uint64_t now_ms)
{
    for (size_t i = 0; i < t->chan_count; i++)
        if (t->chan[i].number == number)
            return t->chan[i].expire_ms > now_ms ? &t->chan[i] : NULL;
    return NULL;
}

const struct turn_chan *turn_peers_channel_of(const struct turn_peers *t,
                                              const struct sockaddr_storage *peer,
                                              uint64_t now_ms)
{
    for (size_t i = 0; i < t->chan_count; i++)
        if (same_addr(&t->chan[i].peer, peer))
            return t->chan[i].expire_ms > now_ms ? &t->chan[i] : NULL;
    return NULL;
}

void turn_peers_expire(struct turn_peers *t, uint64_t now_ms)
{
    /* Swap-remove: order does not matter in either table. */
    for (size_t i = 0; i < t->perm_count;)
        if (t->perm[i].expire_ms <= now_ms)
            t->perm[i] = t->perm[--t->perm_count];
        else
            i++;
    for (size_t i = 0; i < t->chan_count;)
        if (t->chan[i].expire_ms <= now_ms)
            t->chan[i] = t->chan[--t->chan_count];
        else
            i++;
}
