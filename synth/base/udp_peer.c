/* The peer of a UDP socket (udp_peer.h). */
#include "synth/base/udp_peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static socklen_t addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int udp_peer_set(int fd, const struct sockaddr_storage *peer, struct synth_error *err)
{
    struct sockaddr_storage none = {.ss_family = AF_UNSPEC};
    const struct sockaddr_storage *to = peer ? peer : &none;
    if (connect(fd, (const struct sockaddr *)to, peer ? addr_len(peer) : sizeof(none)) != 0)
        return synth_error_set(err, SYNTH_EIO, "udp: connect%s: %s", peer ? "" : " (none)",
                               strerror(errno));
    return 0;
}

static ssize_t send_once(int fd, const void *buf, size_t len, const struct sockaddr *to,
                         socklen_t to_len)
{
    ssize_t n;
    do {
        n = to ? sendto(fd, buf, len, 0, to, to_len) : send(fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n;
}

int udp_peer_send(int fd, const void *buf, size_t len, const struct sockaddr *to,
                  socklen_t to_len, uint64_t *refused)
{
    ssize_t n = send_once(fd, buf, len, to, to_len);
    if (n < 0 && errno == ECONNREFUSED) {
        if (refused)
            (*refused)++;
        n = send_once(fd, buf, len, to, to_len);
    }
    return n < 0 ? SYNTH_EIO : 0;
}
