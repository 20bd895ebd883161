/* DSCP marking and reading (RFC 2474 3). Linux reports the received TOS of
 * IPv4 as a one-byte IP_TOS control message and the IPv6 Traffic Class as
 * an int IPV6_TCLASS message (ip(7), ipv6(7)). */
#include "dscp.h"

#include "synth/base/rx_stamp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <time.h>

/* Room for one IP_TOS or IPV6_TCLASS message and a timestamp; the kernel
 * may add others we did not ask for only if another option enables them. */
#define DSCP_CMSG_SPACE (CMSG_SPACE(sizeof(int)) * 2 + RX_STAMP_CMSG_SPACE)

static int socket_family(int fd, struct synth_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return synth_error_set(err, SYNTH_EIO, "dscp: getsockname: %s", strerror(errno));
    return ss.ss_family;
}

static int set_int(int fd, int level, int name, int value, const char *what,
                   struct synth_error *err)
{
    if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
        return synth_error_set(err, SYNTH_EIO, "dscp: setsockopt %s: %s", what, strerror(errno));
    return 0;
}

int dscp_set(int fd, uint8_t dscp, struct synth_error *err)
{
    if (dscp > DSCP_MAX)
        return synth_error_set(err, SYNTH_EINVAL, "dscp: %u is over %d", dscp, DSCP_MAX);
    int tos = dscp << 2;
    int family = socket_family(fd, err);
    if (family < 0)
        return family;
    if (family == AF_INET6) {
        int rc = set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, tos, "IPV6_TCLASS", err);
        if (rc)
            return rc;
        /* Best effort: a v6-only socket may refuse it, and has no v4 peers. */
        (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
        return 0;
    }
    return set_int(fd, IPPROTO_IP, IP_TOS, tos, "IP_TOS", err);
}

int dscp_enable_recv(int fd, bool *stamped, struct synth_error *err)
{
    int family = socket_family(fd, err);
    if (family < 0)
        return family;
    /* best effort: without it, arrival is the read time */
    bool on = rx_stamp_enable(fd);
    if (stamped)
        *stamped = on;
    if (family == AF_INET6) {
        int rc = set_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS", err);
        if (rc)
            return rc;
        (void)set_int(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS", NULL);
        return 0;
    }
    return set_int(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS", err);
}

static void read_cmsgs(struct msghdr *msg, struct dscp_packet *out)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (rx_stamp_age(c, &out->waited_us))
            continue;
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
            c->cmsg_len >= CMSG_LEN(sizeof(uint8_t))) {
            uint8_t tos;
            memcpy(&tos, CMSG_DATA(c), sizeof(tos));
            out->tos = tos;
            out->have_tos = true;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
                   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int tclass;
            memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
            out->tos = (uint8_t)tclass;
            out->have_tos = true;
        }
    }
    out->dscp = (uint8_t)(out->tos >> 2);
}

/* Room for one datagram's control messages, aligned for struct cmsghdr as
 * CMSG_FIRSTHDR expects. */
union dscp_control {
    char buf[DSCP_CMSG_SPACE];
    struct cmsghdr align;
};

static void prepare(struct msghdr *msg, struct iovec *iov, union dscp_control *control,
                    void *buf, size_t size, struct dscp_packet *out)
{
    *iov = (struct iovec){.iov_base = buf, .iov_len = size};
    memset(out, 0, sizeof(*out));
    *msg = (struct msghdr){
        .msg_name = &out->from,
        .msg_namelen = sizeof(out->from),
        .msg_iov = iov,
        .msg_iovlen = 1,
        .msg_control = control->buf,
        .msg_controllen = sizeof(control->buf),
    };
}

/* What the kernel said of a datagram read into msg, len bytes long. */
static void finish(struct msghdr *msg, size_t len, struct dscp_packet *out)
{
    out->len = len;
    out->from_len = msg->msg_namelen;
    out->truncated = (msg->msg_flags & MSG_TRUNC) != 0;
    read_cmsgs(msg, out);
}

int dscp_recv_batch(int fd, uint8_t *bufs, size_t size, struct dscp_packet *out, unsigned n,
                    struct synth_error *err)
{
    if (n > DSCP_BATCH_MAX)
        n = DSCP_BATCH_MAX;
    struct mmsghdr mm[DSCP_BATCH_MAX];
    struct iovec iov[DSCP_BATCH_MAX];
    union dscp_control control[DSCP_BATCH_MAX];
    for (unsigned i = 0; i < n; i++)
        prepare(&mm[i].msg_hdr, &iov[i], &control[i], bufs + (size_t)i * size, size, &out[i]);
    int got;
    do {
        got = recvmmsg(fd, mm, n, MSG_DONTWAIT, NULL);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return synth_error_set(err, errno == ECONNREFUSED ? SYNTH_ECONNREFUSED : SYNTH_EIO,
                               "dscp: recvmmsg: %s", strerror(errno));
    }
    for (int i = 0; i < got; i++)
        finish(&mm[i].msg_hdr, mm[i].msg_len, &out[i]);
    return got;
}
