/* The pool's first Edge (turn_director.h). */
#include "synth/lab/turn_director.h"

#include "synth/base/net_addr.h"
#include "synth/lab/lab_nonce.h"
#include "synth/turn/msturn_msg.h"
#include "synth/turn/stun_msg.h"

#include <event2/event.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Datagrams taken per wake-up: only Allocates come here, one per client. */
#define DIRECTOR_RX_BURST 16

struct turn_director {
    const struct lab_config *cfg;
    struct lab_stats *stats;
    const struct stun_dialect *d; /* NULL: standard TURN */
    struct sockaddr_storage relay;
    struct lab_nonce_key nonce_key;
    int fd;
    uint16_t port;
    struct event *ev;
};

/* 401 with REALM, NONCE and ALTERNATE-SERVER ([MS-TURN]), or 300 with
 * ALTERNATE-SERVER (standard): the client allocates on the relay. */
static void send_on(struct turn_director *d, const struct stun_msg *req,
                    const struct sockaddr_storage *to, socklen_t to_len)
{
    uint8_t buf[512];
    struct stun_enc e;
    size_t len;
    stun_enc_init(&e, buf, sizeof(buf), d->d, req->method, STUN_CLASS_ERROR, req->tid);
    if (d->d) {
        char nonce[LAB_NONCE_LEN(0) + 1];
        if (lab_nonce_make(&d->nonce_key, lab_now_ms(), 0, nonce, sizeof(nonce)) != 0)
            return;
        stun_enc_error_code(&e, STUN_ERR_UNAUTHORIZED, "Unauthorized");
        stun_enc_str(&e, STUN_ATTR_REALM, d->cfg->turn_realm);
        stun_enc_str(&e, STUN_ATTR_NONCE, nonce);
    } else {
        stun_enc_error_code(&e, STUN_ERR_TRY_ALTERNATE, "Try Alternate");
    }
    stun_enc_addr(&e, STUN_ATTR_ALTERNATE_SERVER, (const struct sockaddr *)&d->relay, false);
    if (!d->d) /* MS-TURN has no FINGERPRINT */
        stun_enc_fingerprint(&e);
    if (stun_enc_finish(&e, &len) != 0)
        return;
    if (sendto(d->fd, buf, len, 0, (const struct sockaddr *)to, to_len) == (ssize_t)len)
        atomic_fetch_add(&d->stats->turn_redirected, 1);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
    struct turn_director *d = arg;
    uint8_t buf[STUN_MSG_MAX];
    (void)what;
    for (int i = 0; i < DIRECTOR_RX_BURST; i++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
        if (n < 0)
            return;
        struct stun_msg m;
        size_t used;
        if (stun_msg_parse(&m, buf, (size_t)n, true, d->d, &used, NULL) != 0)
            continue;
        if (m.cls == STUN_CLASS_REQUEST && m.method == TURN_METHOD_ALLOCATE)
            send_on(d, &m, &from, from_len);
    }
}

int turn_director_start(struct turn_director **out, struct event_base *base,
                        const struct lab_config *cfg, struct lab_stats *stats,
                        const struct sockaddr_storage *relay, struct synth_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct turn_director *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (!d)
        return synth_error_set(err, SYNTH_ENOMEM, "turn director: out of memory");
    d->cfg = cfg;
    d->stats = stats;
    d->d = cfg->turn_msturn ? &stun_dialect_msturn : NULL;
    d->relay = *relay;
    d->fd = -1;
    int rc;
    if (lab_nonce_key_init(&d->nonce_key) != 0) {
        rc = synth_error_set(err, SYNTH_EINTERNAL, "turn director: no random bytes for nonces");
        goto fail;
    }
    if (net_addr_from_ip(strv_from_cstr(cfg->listen_host), 0, &ss, &len) != 0) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "turn director: listen_host '%s' is not an IP",
                             cfg->listen_host);
        goto fail;
    }
    d->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&ss, len) != 0 ||
        getsockname(d->fd, (struct sockaddr *)&ss, &len) != 0) {
        rc = synth_error_set(err, SYNTH_EIO, "turn director: udp %s: %s", cfg->listen_host,
                             strerror(errno));
        goto fail;
    }
    d->port = net_addr_port(&ss);
    d->ev = event_new(base, d->fd, EV_READ | EV_PERSIST, on_udp, d);
    if (!d->ev || event_add(d->ev, NULL) != 0) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "turn director: events");
        goto fail;
    }
    *out = d;
    return 0;
fail:
    turn_director_free(d);
    return rc;
}

void turn_director_free(struct turn_director *d)
{
    if (!d)
        return;
    if (d->ev)
        event_free(d->ev);
    if (d->fd >= 0)
        close(d->fd);
    lab_nonce_key_clear(&d->nonce_key);
    free(d);
}

uint16_t turn_director_port(const struct turn_director *d)
{
    return d->port;
}
