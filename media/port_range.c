/* Media port ranges and binding inside them. The search walks the range
 * from a per-pool cursor, so consecutive calls hand out consecutive ports
 * and a port just released is not reused at once (a late packet of the
 * previous call would land in the new one). */
#include "port_range.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* "65535" */
#define PORT_DIGITS_MAX 5

static int parse_port(const char *s, size_t len, uint16_t *out)
{
    if (len == 0 || len > PORT_DIGITS_MAX)
        return SYNTH_EPARSE;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SYNTH_EPARSE;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return SYNTH_EPARSE;
    *out = (uint16_t)v;
    return 0;
}

int port_range_parse(const char *s, size_t len, struct port_range *out, struct synth_error *err)
{
    const char *dash = memchr(s, '-', len);
    struct port_range r;
    int rc = dash ? parse_port(s, (size_t)(dash - s), &r.first) : parse_port(s, len, &r.first);
    if (!rc)
        rc = dash ? parse_port(dash + 1, len - (size_t)(dash - s) - 1, &r.last) : 0;
    if (!dash)
        r.last = r.first;
    if (rc || r.last < r.first)
        return synth_error_set(err, SYNTH_EPARSE, "port range \"%.*s\": want FIRST-LAST",
                               (int)len, s);
    *out = r;
    return 0;
}

bool port_range_contains(struct port_range r, uint16_t port)
{
    return r.first != 0 && port >= r.first && port <= r.last;
}

size_t port_range_size(struct port_range r)
{
    return r.first ? (size_t)r.last - r.first + 1 : 0;
}

const char *port_range_modality_name(enum port_range_modality m)
{
    switch (m) {
    case PORT_RANGE_AUDIO: return "audio";
    case PORT_RANGE_VIDEO: return "video";
    case PORT_RANGE_APPSHARING: return "appsharing";
    case PORT_RANGE_MODALITY_COUNT: break;
    }
    return "unknown";
}

void port_range_pool_init(struct port_range_pool *p, const struct port_range ranges[],
                          uint32_t seed)
{
    memset(p, 0, sizeof(*p));
    for (int m = 0; m < PORT_RANGE_MODALITY_COUNT; m++) {
        p->range[m] = ranges[m];
        size_t n = port_range_size(ranges[m]);
        /* Spread workers by a prime stride so neighbours start apart. */
        p->cursor[m] = n ? (uint32_t)((seed * 7919u) % n) : 0;
    }
}

int port_range_pool_modality_of(const struct port_range_pool *p, uint16_t port,
                                enum port_range_modality *out)
{
    for (int m = 0; m < PORT_RANGE_MODALITY_COUNT; m++) {
        if (port_range_contains(p->range[m], port)) {
            *out = (enum port_range_modality)m;
            return 0;
        }
    }
    return SYNTH_ENOTFOUND;
}

/* Binds one UDP socket at port; *fd gets it, or -1 with the bind errno in
 * *err_no (EADDRINUSE means try the next). */
static int bind_one(const struct sockaddr *local, socklen_t local_len, uint16_t port, int *fd,
                    int *err_no)
{
    struct sockaddr_storage ss;
    if (local_len > sizeof(ss))
        return SYNTH_EINVAL;
    memcpy(&ss, local, local_len);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    else if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    else
        return SYNTH_EINVAL;
    *fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0) {
        *err_no = errno;
        return SYNTH_EIO;
    }
    if (bind(*fd, (struct sockaddr *)&ss, local_len) != 0) {
        *err_no = errno;
        close(*fd);
        *fd = -1;
        return *err_no == EADDRINUSE ? SYNTH_ENOTFOUND : SYNTH_EIO;
    }
    return 0;
}

/* Tries the candidate port (and port+1 for a pair). SYNTH_ENOTFOUND means
 * busy: the caller moves on. */
static int try_port(const struct sockaddr *local, socklen_t local_len, uint16_t port, bool pair,
                    struct port_range_binding *out, int *err_no)
{
    int rc = bind_one(local, local_len, port, &out->fd[0], err_no);
    if (rc || !pair)
        return rc;
    rc = bind_one(local, local_len, (uint16_t)(port + 1), &out->fd[1], err_no);
    if (rc) {
        close(out->fd[0]);
        out->fd[0] = -1;
    }
    return rc;
}

int port_range_pool_bind(struct port_range_pool *p, enum port_range_modality m,
                         const struct sockaddr *local, socklen_t local_len, bool pair,
                         struct port_range_binding *out, struct synth_error *err)
{
    out->fd[0] = out->fd[1] = -1;
    out->port = 0;
    if ((unsigned)m >= PORT_RANGE_MODALITY_COUNT || !p->range[m].first)
        return synth_error_set(err, SYNTH_EINVAL, "port range: no %s range configured",
                               port_range_modality_name(m));
    struct port_range r = p->range[m];
    size_t n = port_range_size(r);
    /* A pair takes an even port and the next one, both inside the range. */
    size_t step = pair ? 2 : 1;
    uint32_t base = r.first;
    if (pair) {
        base = (r.first + 1u) & ~1u;
        if (base + 1u > r.last)
            return synth_error_set(err, SYNTH_EINVAL, "port range %u-%u holds no RTP/RTCP pair",
                                   r.first, r.last);
        n = (r.last - base + 1u) / 2;
    }
    size_t tries = n < PORT_RANGE_TRIES_MAX ? n : PORT_RANGE_TRIES_MAX;
    int err_no = 0;
    for (size_t i = 0; i < tries; i++) {
        uint32_t slot = (p->cursor[m] + (uint32_t)i) % (uint32_t)n;
        uint16_t port = (uint16_t)(base + slot * step);
        int rc = try_port(local, local_len, port, pair, out, &err_no);
        if (rc == SYNTH_ENOTFOUND)
            continue;
        if (rc)
            return synth_error_set(err, rc, "port range: bind %u: %s", port, strerror(err_no));
        p->cursor[m] = (slot + 1) % (uint32_t)n;
        out->port = port;
        return 0;
    }
    return synth_error_set(err, SYNTH_ENOTFOUND, "port range: %s %u-%u: %zu ports busy",
                           port_range_modality_name(m), r.first, r.last, tries);
}
