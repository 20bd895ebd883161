/* The one-shot STUN Binding (stun_binding.h): RFC 8489 6.2.1 timing, the
 * response matched by transaction id and source. */
#include "synth/turn/stun_binding.h"

#include "synth/base/net_addr.h"
#include "synth/turn/stun_msg.h"
#include "synth/turn/stun_rto.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Datagrams read per wake-up. */
#define BINDING_BATCH 16

struct stun_binding {
    struct event *read_ev, *timer;
    int fd;
    struct sockaddr_storage server;
    socklen_t server_len;
    uint8_t tid[STUN_TID_LEN];
    uint8_t req[STUN_HEADER_LEN + 8]; /* header and FINGERPRINT */
    size_t req_len;
    uint32_t rto_ms;
    unsigned rc, rm, sent;
    stun_binding_h *h;
    void *arg;
};

void stun_binding_cancel(struct stun_binding *b)
{
    if (!b)
        return;
    if (b->read_ev)
        event_free(b->read_ev);
    if (b->timer)
        event_free(b->timer);
    free(b);
}

/* Calls the handler with the binding already gone (STYLE.md: after a
 * callback the object may be gone; here it always is). */
static void finish(struct stun_binding *b, int err, uint16_t code,
                   const struct sockaddr_storage *mapped)
{
    stun_binding_h *h = b->h;
    void *arg = b->arg;
    stun_binding_cancel(b);
    h(err, code, mapped, arg);
}

static void transmit(struct stun_binding *b)
{
    /* A lost send is a lost datagram: the retransmission covers it. */
    (void)sendto(b->fd, b->req, b->req_len, 0, (const struct sockaddr *)&b->server,
                 b->server_len);
    b->sent++;
    uint64_t ms = stun_rto_wait_ms(b->rto_ms, b->sent, b->rc, b->rm);
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(b->timer, &tv);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct stun_binding *b = arg;
    (void)fd;
    (void)what;
    if (b->sent < b->rc) {
        transmit(b);
        return;
    }
    finish(b, SYNTH_ETIMEDOUT, 0, NULL);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct stun_binding *b = arg;
    uint8_t buf[STUN_MSG_MAX];
    (void)what;
    for (int i = 0; i < BINDING_BATCH; i++) {
        struct sockaddr_storage src;
        socklen_t src_len = sizeof(src);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &src_len);
        if (n < 0)
            return;
        struct stun_msg m;
        size_t used;
        if (!net_addr_equal(&src, &b->server) ||
            stun_msg_parse(&m, buf, (size_t)n, true, NULL, &used, NULL) != 0 ||
            m.method != STUN_METHOD_BINDING || memcmp(m.tid, b->tid, STUN_TID_LEN) != 0)
            continue;
        if (m.cls == STUN_CLASS_ERROR) {
            struct strv reason;
            finish(b, SYNTH_EIO, stun_msg_error(&m, &reason), NULL);
            return;
        }
        if (m.cls != STUN_CLASS_SUCCESS)
            continue;
        struct sockaddr_storage mapped;
        socklen_t mapped_len;
        int rc = stun_attr_xor_addr(&m, stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped,
                                    &mapped_len);
        if (rc == SYNTH_ENOTFOUND)
            rc = stun_attr_addr(stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS), &mapped, &mapped_len);
        finish(b, rc, 0, rc ? NULL : &mapped);
        return;
    }
}

int stun_binding_start(struct stun_binding **out, struct event_base *base, int fd,
                       const struct sockaddr *server, socklen_t server_len, uint32_t rto_ms,
                       unsigned rc, unsigned rm, stun_binding_h *h, void *arg)
{
    *out = NULL;
    if (server_len > sizeof(struct sockaddr_storage) || (rc && rc > STUN_RC_MAX))
        return SYNTH_EINVAL;
    struct stun_binding *b = calloc(1, sizeof(*b));
    if (!b)
        return SYNTH_ENOMEM;
    int err = 0;
    b->fd = fd;
    memcpy(&b->server, server, server_len);
    b->server_len = server_len;
    b->rto_ms = rto_ms ? rto_ms : STUN_RTO_DEFAULT_MS;
    b->rc = rc ? rc : STUN_RC_DEFAULT;
    b->rm = rm ? rm : STUN_RM_DEFAULT;
    b->h = h;
    b->arg = arg;
    b->read_ev = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, b);
    b->timer = evtimer_new(base, timer_cb, b);
    if (!b->read_ev || !b->timer || event_add(b->read_ev, NULL) != 0) {
        err = SYNTH_ENOMEM;
        goto out;
    }
    err = stun_tid_new(b->tid);
    if (err)
        goto out;
    struct stun_enc e;
    stun_enc_init(&e, b->req, sizeof(b->req), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST,
                  b->tid);
    stun_enc_fingerprint(&e);
    err = stun_enc_finish(&e, &b->req_len);
    if (err)
        goto out;
    transmit(b);
out:
    if (err) {
        stun_binding_cancel(b);
        return err;
    }
    *out = b;
    return 0;
}
