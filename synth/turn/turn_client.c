/* The TURN client (turn_client.h): Allocate with the long-term credential
 * mechanism (RFC 8489 9.2), Refresh (RFC 8656 8), CreatePermission (9),
 * Send and Data indications (10, 11), ChannelBind and ChannelData (12), over
 * UDP with retransmissions (RFC 8489 6.2.1) or over TCP with stream framing
 * (RFC 8656 12.5). */
#include "synth/turn/turn_client.h"

#include "synth/turn/msturn_msg.h"

#include "media/dscp.h"
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/base/rx_stamp.h"
#include "synth/base/udp_peer.h"
#include "synth/turn/pseudo_tls.h"
#include "synth/turn/stun_rto.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A request (CreatePermission for every peer, with credentials) stays far
 * below this; it is kept for retransmission. */
#define TURN_REQ_MAX 1024
/* Datagrams read at one go before the loop serves other sockets. */
#define TURN_UDP_BATCH 16
/* Datagrams one recvmmsg asks for: a polled socket holds a period's media
 * packet or two, now and then an answer; each buffer is STUN_MSG_MAX. */
#define TURN_READ_BATCH 4
/* Bytes queued towards a TCP server that stopped reading before we call it
 * stuck: a load generator must not buffer without bound. */
#define TURN_TCP_OUTPUT_MAX (256 * 1024)
#define TURN_CREDENTIAL_MAX 256
/* RFC 8656 7.4 (RFC 5766 6.4): a 437 to an Allocate says the server still
 * holds our 5-tuple (a crashed client's, or our own released a moment ago:
 * coturn keeps a released 5-tuple for a while, and the kernel may hand the
 * same local port to the next socket; bench_turn_alloc saw it on 9% of fast
 * UDP allocations, and on 1.4% once more after one retry). A new local port
 * is a new 5-tuple: retried up to three times. */
#define TURN_MISMATCH_RETRIES 3
/* Servers an Allocate may be sent on to (redirect): a pool names one of its
 * members, which keeps the client; more than two hops is a loop. */
#define TURN_REDIRECTS_MAX 2

/* What differs between the dialects (turn_client.h), in one table: the
 * codec's dialect, the methods a logical request goes out as, the
 * attributes that carry the relay and the peers, and what a message adds. */
struct turn_wire {
    const struct stun_dialect *stun; /* NULL: RFC 5389 */
    uint16_t refresh_method;         /* MS-TURN: an Allocate on the allocation */
    uint16_t bind_method;            /* MS-TURN: Set Active Destination (0x0006) */
    uint16_t send_method, data_method;
    enum stun_class send_cls, data_cls; /* MS-TURN: Send 0x0004, Data 0x0115 */
    uint16_t relayed_attr, to_peer_attr, from_peer_attr;
    bool addr_xor;      /* peer and relay addresses XORed (RFC 8656 14) */
    bool permissions;   /* CreatePermission exists */
    bool transport_attr; /* REQUESTED-TRANSPORT in the Allocate */
    bool fingerprint;
    bool send_authed;   /* Send carries USERNAME, REALM, NONCE, MI */
    bool ms_version;    /* MS-Version in the Allocate */
    bool raw_active;    /* data to/from the bound peer goes unframed */
};

static const struct turn_wire wire_standard = {
    .refresh_method = TURN_METHOD_REFRESH,
    .bind_method = TURN_METHOD_CHANNEL_BIND,
    .send_method = TURN_METHOD_SEND,
    .send_cls = STUN_CLASS_INDICATION,
    .data_method = TURN_METHOD_DATA,
    .data_cls = STUN_CLASS_INDICATION,
    .relayed_attr = STUN_ATTR_XOR_RELAYED_ADDRESS,
    .to_peer_attr = STUN_ATTR_XOR_PEER_ADDRESS,
    .from_peer_attr = STUN_ATTR_XOR_PEER_ADDRESS,
    .addr_xor = true,
    .permissions = true,
    .transport_attr = true,
    .fingerprint = true,
};

/* [MS-TURN] 2.2.1: Send is 0x0004 (method 4, request bits, never
 * answered), the Data Indication 0x0115 (method 5 with both class bits);
 * 2.2.2: the relayed address in MAPPED-ADDRESS, peers in plain
 * DESTINATION-ADDRESS / REMOTE-ADDRESS. Send and Set Active Destination
 * carry the credentials as libnice's MS-TURN mode does. */
static const struct turn_wire wire_msturn = {
    .stun = &stun_dialect_msturn,
    .refresh_method = TURN_METHOD_ALLOCATE,
    .bind_method = MSTURN_METHOD_SET_ACTIVE_DEST,
    .send_method = MSTURN_METHOD_SEND,
    .send_cls = STUN_CLASS_REQUEST,
    .data_method = MSTURN_METHOD_DATA_IND,
    .data_cls = STUN_CLASS_ERROR,
    .relayed_attr = STUN_ATTR_MAPPED_ADDRESS,
    .to_peer_attr = STUN_ATTR_OLD_DESTINATION_ADDRESS,
    .from_peer_attr = STUN_ATTR_OLD_REMOTE_ADDRESS,
    .send_authed = true,
    .ms_version = true,
    .raw_active = true,
};

enum turn_state {
    TURN_IDLE,
    TURN_ALLOCATING,
    TURN_ALLOCATED,
    TURN_RELEASED,
    TURN_FAILED,
};

/* Who reads the UDP socket. The loop, on its wake-ups, until a media
 * stream's clock polls (turn_client_poll) and takes over; back to the loop
 * when the stream stops (turn_client_poll_end). Keeping the event while
 * polled would save nothing: packets arrive out of phase with the clock,
 * so the event would fire for nearly each one before the poll came. While
 * polled, answers (Refresh, CreatePermission, ChannelBind, 401/438
 * rounds) wait up to a period, against an RTO of 500 ms. Nobody once the
 * transport is down. TCP stays on its bufferevent. */
enum turn_reader {
    TURN_READER_LOOP,
    TURN_READER_OWNER,
    TURN_READER_NONE,
};

struct turn_peer {
    bool used;
    struct sockaddr_storage addr;
    socklen_t len;
    bool permitted;    /* CreatePermission (or ChannelBind) succeeded */
    uint16_t channel;  /* 0 if none asked */
    bool channel_ok;   /* ChannelBind succeeded */
};

struct turn_trans {
    bool used;
    struct turn_client *tc;
    struct event *timer;
    uint16_t method;    /* the logical request (RFC 8656 numbers) */
    uint8_t tid[STUN_TID_MAX];
    uint8_t req[TURN_REQ_MAX];
    size_t req_len;
    bool authed;        /* sent with MESSAGE-INTEGRITY */
    unsigned sent;      /* transmissions of this tid */
    unsigned stale;     /* 438 answers so far */
    uint32_t peers;     /* CreatePermission: bit i = peers[i] */
    int channel_peer;   /* ChannelBind: index in peers */
    uint32_t lifetime;  /* Refresh */
    turn_done_h *h;
    void *arg;
};

struct turn_client {
    struct event_base *base;
    struct turn_client_opts o;
    const struct turn_wire *w;
    struct turn_client_handlers h;
    void *arg;
    enum turn_state state;
    int fd;                  /* UDP */
    struct event *udp_ev;
    enum turn_reader reader;
    bool stamped;            /* the UDP socket has kernel receive stamps */
    struct bufferevent *bev; /* TCP */
    /* o.pseudo_tls: what we send waits here until the server's pseudo-TLS
     * answer came (ptls_wait). */
    struct evbuffer *held;
    bool ptls_wait;
    struct event *connect_timer;
    struct event *refresh_timer, *perm_timer, *chan_timer;
    struct event *reopen_ev;  /* a new socket, from the loop (not inside a read) */
    bool reopen_pending;
    char username[TURN_CREDENTIAL_MAX];
    char password[TURN_CREDENTIAL_MAX];
    char software[TURN_CREDENTIAL_MAX];
    char realm[STUN_TEXT_MAX + 1];
    char nonce[STUN_TEXT_MAX + 1];
    size_t nonce_len, realm_len;
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    bool have_key;
    /* [MS-TURN] MS-Sequence Number of the Allocate success, if it had one:
     * echoed with a rising sequence in Send and Set Active Destination. */
    uint8_t ms_conn_id[MSTURN_CONNECTION_ID_LEN];
    uint32_t ms_seq;
    bool ms_seq_valid;
    int64_t alloc_start_us;
    struct turn_alloc_info info;
    struct turn_client_stats stats;
    uint16_t next_channel;
    struct turn_peer peers[TURN_PEERS_MAX];
    struct turn_trans trans[TURN_TRANS_MAX];
    int in_handler;
    bool free_pending;
};

/* ---- lifetime of the object across handlers ---- */

static int reader_set(struct turn_client *tc, enum turn_reader r)
{
    tc->reader = r;
    if (!tc->udp_ev)
        return 0;
    return r == TURN_READER_LOOP ? event_add(tc->udp_ev, NULL) : event_del(tc->udp_ev);
}

static void client_destroy(struct turn_client *tc)
{
    for (size_t i = 0; i < TURN_TRANS_MAX; i++)
        if (tc->trans[i].timer)
            event_free(tc->trans[i].timer);
    struct event *evs[] = {tc->udp_ev,     tc->connect_timer, tc->refresh_timer,
                           tc->perm_timer, tc->chan_timer,    tc->reopen_ev};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (evs[i])
            event_free(evs[i]);
    if (tc->bev)
        bufferevent_free(tc->bev);
    if (tc->held)
        evbuffer_free(tc->held);
    if (tc->fd >= 0)
        close(tc->fd);
    OPENSSL_cleanse(tc->password, sizeof(tc->password));
    OPENSSL_cleanse(tc->key, sizeof(tc->key));
    free(tc);
}

void turn_client_free(struct turn_client *tc)
{
    if (!tc)
        return;
    if (tc->in_handler) {
        /* Stop everything now; the memory goes when the handler returns. */
        tc->free_pending = true;
        tc->state = TURN_FAILED;
        reader_set(tc, TURN_READER_NONE);
        if (tc->bev)
            bufferevent_disable(tc->bev, EV_READ | EV_WRITE);
        for (size_t i = 0; i < TURN_TRANS_MAX; i++)
            if (tc->trans[i].timer)
                event_del(tc->trans[i].timer);
        return;
    }
    client_destroy(tc);
}

static int refresh(struct turn_client *tc, uint32_t lifetime, turn_done_h *h, void *arg);

void turn_client_close(struct turn_client *tc)
{
    if (!tc)
        return;
    if (!tc->in_handler && tc->state == TURN_ALLOCATED && refresh(tc, 0, NULL, NULL) == 0 &&
        tc->bev) {
        /* Over TCP the request is still in the output buffer: push it out
         * now, as the free below closes the connection. */
        evbuffer_write(bufferevent_get_output(tc->bev), bufferevent_getfd(tc->bev));
    }
    turn_client_free(tc);
}

static void handler_enter(struct turn_client *tc)
{
    tc->in_handler++;
}

/* False when the client is gone (or going) and the caller must return. */
static bool handler_leave(struct turn_client *tc)
{
    tc->in_handler--;
    if (tc->in_handler == 0 && tc->free_pending) {
        client_destroy(tc);
        return false;
    }
    return !tc->free_pending;
}

/* ---- sending ---- */

static int send_bytes(struct turn_client *tc, const uint8_t *buf, size_t len);

/* Where bytes toward a TCP server go: the connection, or, until its
 * pseudo-TLS answer came, the held buffer. NULL when there is no
 * connection. */
static struct evbuffer *stream_out(struct turn_client *tc)
{
    if (!tc->bev)
        return NULL;
    return tc->ptls_wait ? tc->held : bufferevent_get_output(tc->bev);
}

/* [MS-TURN] 2.1 over TCP: the frame header goes first (raw_active is the
 * MS-TURN dialect's mark). type says what buf is: a TURN message or data
 * for the active destination. */
static int send_framed(struct turn_client *tc, enum msturn_tcp_type type, const uint8_t *buf,
                       size_t len)
{
    if (tc->o.transport != TURN_TRANSPORT_TCP || !tc->w->raw_active)
        return send_bytes(tc, buf, len);
    uint8_t hdr[MSTURN_TCP_HEADER_LEN];
    int rc = msturn_tcp_header(hdr, type, len);
    if (rc != 0)
        return rc;
    struct evbuffer *out = stream_out(tc);
    if (!out)
        return SYNTH_ECLOSED;
    if (evbuffer_get_length(out) + sizeof(hdr) + len > TURN_TCP_OUTPUT_MAX)
        return SYNTH_ETOOBIG;
    if (evbuffer_add(out, hdr, sizeof(hdr)) != 0)
        return SYNTH_ENOMEM;
    return evbuffer_add(out, buf, len) == 0 ? 0 : SYNTH_ENOMEM;
}

static int send_bytes(struct turn_client *tc, const uint8_t *buf, size_t len)
{
    if (tc->o.transport == TURN_TRANSPORT_UDP) {
        ssize_t n = send(tc->fd, buf, len, 0);
        /* A full socket buffer drops the datagram, as the network would:
         * retransmission covers requests. */
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNREFUSED ? SYNTH_ECONNREFUSED : SYNTH_EIO;
        return 0;
    }
    struct evbuffer *out = stream_out(tc);
    if (!out)
        return SYNTH_ECLOSED;
    if (evbuffer_get_length(out) + len > TURN_TCP_OUTPUT_MAX)
        return SYNTH_ETOOBIG;
    return evbuffer_add(out, buf, len) == 0 ? 0 : SYNTH_ENOMEM;
}

static struct timeval tv_ms(uint64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

/* The method a logical request (RFC 8656 numbers) goes out as. */
static uint16_t wire_method(const struct turn_client *tc, uint16_t method)
{
    if (method == TURN_METHOD_REFRESH)
        return tc->w->refresh_method;
    if (method == TURN_METHOD_CHANNEL_BIND)
        return tc->w->bind_method;
    return method;
}

/* The long-term credentials (RFC 8489 9.2.4, [MS-TURN] 3.1.12) and the
 * integrity over everything before them; under MS-TURN the MS-Sequence
 * Number before them, when the server gave a connection id. */
static void enc_credentials(struct turn_client *tc, struct stun_enc *e, bool sequenced)
{
    if (sequenced && tc->ms_seq_valid) {
        uint8_t v[MSTURN_SEQUENCE_LEN];
        uint32_t n = ++tc->ms_seq;
        memcpy(v, tc->ms_conn_id, MSTURN_CONNECTION_ID_LEN);
        v[20] = (uint8_t)(n >> 24);
        v[21] = (uint8_t)(n >> 16);
        v[22] = (uint8_t)(n >> 8);
        v[23] = (uint8_t)n;
        stun_enc_attr(e, STUN_ATTR_MS_SEQUENCE_NUMBER, v, sizeof(v));
    }
    stun_enc_str(e, STUN_ATTR_USERNAME, tc->username);
    stun_enc_attr(e, STUN_ATTR_REALM, tc->realm, tc->realm_len);
    stun_enc_attr(e, STUN_ATTR_NONCE, tc->nonce, tc->nonce_len);
    stun_enc_integrity(e, tc->key, sizeof(tc->key));
}

/* Writes the request of a transaction with a new transaction id and, once
 * the realm and nonce are known, the credentials (RFC 8489 9.2.4). */
static int trans_build(struct turn_client *tc, struct turn_trans *tr)
{
    struct stun_enc e;
    size_t tid_len = stun_dialect_tid_len(tc->w->stun);
    int rc = stun_tid_fill(tr->tid, tid_len);
    if (rc)
        return rc;
    stun_enc_init(&e, tr->req, sizeof(tr->req), tc->w->stun, wire_method(tc, tr->method),
                  STUN_CLASS_REQUEST, tr->tid);
    switch (tr->method) {
    case TURN_METHOD_ALLOCATE:
        if (tc->w->ms_version)
            stun_enc_u32(&e, STUN_ATTR_MS_VERSION, MSTURN_VERSION);
        if (tc->w->transport_attr)
            stun_enc_transport(&e, TURN_PROTO_UDP);
        if (tc->o.relay_family == AF_INET6)
            stun_enc_family(&e, AF_INET6);
        if (tc->o.lifetime_s)
            stun_enc_u32(&e, STUN_ATTR_LIFETIME, tc->o.lifetime_s);
        break;
    case TURN_METHOD_REFRESH:
        stun_enc_u32(&e, STUN_ATTR_LIFETIME, tr->lifetime);
        break;
    case TURN_METHOD_CREATE_PERMISSION:
        for (int i = 0; i < TURN_PEERS_MAX; i++)
            if (tr->peers & (1u << i))
                stun_enc_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS,
                              (const struct sockaddr *)&tc->peers[i].addr, true);
        break;
    case TURN_METHOD_CHANNEL_BIND: {
        const struct turn_peer *p = &tc->peers[tr->channel_peer];
        if (tc->w->permissions)
            stun_enc_channel(&e, p->channel);
        stun_enc_addr(&e, tc->w->to_peer_attr, (const struct sockaddr *)&p->addr,
                      tc->w->addr_xor);
        break;
    }
    default:
        return SYNTH_EINTERNAL;
    }
    if (tc->software[0])
        stun_enc_str(&e, STUN_ATTR_SOFTWARE, tc->software);
    tr->authed = tc->have_key;
    if (tc->have_key)
        enc_credentials(tc, &e, tr->method == TURN_METHOD_CHANNEL_BIND);
    /* FINGERPRINT lets a server sharing its port with media tell STUN
     * apart (RFC 8489 7); coturn accepts it either way. MS-TURN has the
     * MAGIC-COOKIE attribute for that instead. */
    if (tc->w->fingerprint)
        stun_enc_fingerprint(&e);
    tr->sent = 0;
    return stun_enc_finish(&e, &tr->req_len);
}

static uint64_t trans_wait_ms(const struct turn_client *tc, const struct turn_trans *tr)
{
    if (tc->o.transport == TURN_TRANSPORT_TCP)
        return stun_rto_total_ms(tc->o.rto_ms, tc->o.rc, tc->o.rm);
    return stun_rto_wait_ms(tc->o.rto_ms, tr->sent, tc->o.rc, tc->o.rm);
}

static int trans_transmit(struct turn_client *tc, struct turn_trans *tr)
{
    int rc = send_framed(tc, MSTURN_TCP_CONTROL, tr->req, tr->req_len);
    if (rc)
        return rc;
    tr->sent++;
    if (tr->method == TURN_METHOD_ALLOCATE)
        tc->info.requests++;
    struct timeval tv = tv_ms(trans_wait_ms(tc, tr));
    evtimer_add(tr->timer, &tv);
    return 0;
}

static void trans_release(struct turn_trans *tr)
{
    evtimer_del(tr->timer);
    tr->used = false;
}

static struct turn_trans *trans_new(struct turn_client *tc, uint16_t method)
{
    for (size_t i = 0; i < TURN_TRANS_MAX; i++) {
        struct turn_trans *tr = &tc->trans[i];
        if (!tr->used) {
            struct event *timer = tr->timer;
            memset(tr, 0, sizeof(*tr));
            tr->timer = timer;
            tr->used = true;
            tr->tc = tc;
            tr->method = method;
            tr->channel_peer = -1;
            return tr;
        }
    }
    return NULL;
}

static int trans_start(struct turn_client *tc, struct turn_trans *tr)
{
    int rc = trans_build(tc, tr);
    if (rc == 0)
        rc = trans_transmit(tc, tr);
    if (rc)
        trans_release(tr);
    return rc;
}

/* What a request is about: the peers of a CreatePermission, the peer of a
 * ChannelBind, the lifetime of a Refresh. */
struct turn_trans_args {
    uint32_t peers;
    int channel_peer;
    uint32_t lifetime;
};

static int trans_request(struct turn_client *tc, uint16_t method,
                         const struct turn_trans_args *a, turn_done_h *h, void *arg)
{
    struct turn_trans *tr = trans_new(tc, method);
    if (!tr)
        return SYNTH_ETOOBIG;
    tr->peers = a->peers;
    tr->channel_peer = a->channel_peer;
    tr->lifetime = a->lifetime;
    tr->h = h;
    tr->arg = arg;
    return trans_start(tc, tr);
}

static int permit_peers(struct turn_client *tc, uint32_t mask, turn_done_h *h, void *arg)
{
    struct turn_trans_args a = {.peers = mask, .channel_peer = -1};
    return trans_request(tc, TURN_METHOD_CREATE_PERMISSION, &a, h, arg);
}

static int channel_bind(struct turn_client *tc, int idx, turn_done_h *h, void *arg)
{
    struct turn_trans_args a = {.channel_peer = idx};
    return trans_request(tc, TURN_METHOD_CHANNEL_BIND, &a, h, arg);
}

/* ---- results ---- */

static void result_set(struct turn_result *r, uint16_t code, struct strv reason)
{
    r->code = code;
    size_t n = reason.l < sizeof(r->reason) - 1 ? reason.l : sizeof(r->reason) - 1;
    memcpy(r->reason, reason.p, n);
    r->reason[n] = '\0';
}

static void arm_ms(struct event *ev, uint64_t ms)
{
    struct timeval tv = tv_ms(ms);
    evtimer_add(ev, &tv);
}

/* Refresh well before the lifetime runs out: at three quarters of it, so a
 * request that needs its full retransmission schedule still lands in time
 * for lifetimes down to a minute; short test lifetimes scale the same. */
static void refresh_schedule(struct turn_client *tc)
{
    if (tc->info.lifetime_s)
        arm_ms(tc->refresh_timer, (uint64_t)tc->info.lifetime_s * 750);
}

/* The allocation is lost: tell the owner once. Returns false if gone. */
static bool client_fail(struct turn_client *tc, int err, const struct turn_result *res)
{
    if (tc->state == TURN_FAILED || tc->state == TURN_RELEASED)
        return true;
    tc->state = TURN_FAILED;
    evtimer_del(tc->refresh_timer);
    evtimer_del(tc->perm_timer);
    evtimer_del(tc->chan_timer);
    if (!tc->h.failed)
        return true;
    struct turn_result none = {0};
    handler_enter(tc);
    tc->h.failed(err, res ? res : &none, tc->arg);
    return handler_leave(tc);
}

/* Finishes a transaction: state changes, then the one handler that wants
 * to hear. The transaction is free before any handler runs. */
static void trans_finish(struct turn_client *tc, struct turn_trans *tr, int err,
                         const struct turn_result *res, const struct stun_msg *msg)
{
    struct turn_trans t = *tr; /* the handler may start new transactions */
    trans_release(tr);
    bool ok = err == 0 && res->code == 0;

    switch (t.method) {
    case TURN_METHOD_ALLOCATE: {
        if (ok) {
            struct turn_alloc_info *in = &tc->info;
            uint32_t life = 0;
            const struct stun_attr *ra = stun_msg_attr(msg, tc->w->relayed_attr);
            int rc = tc->w->addr_xor
                         ? stun_attr_xor_addr(msg, ra, &in->relayed, &in->relayed_len)
                         : stun_attr_addr(ra, &in->relayed, &in->relayed_len);
            if (rc == 0)
                (void)stun_attr_xor_addr(msg, stun_msg_attr(msg, STUN_ATTR_XOR_MAPPED_ADDRESS),
                                         &in->mapped, &in->mapped_len);
            if (rc == 0)
                rc = stun_attr_u32(stun_msg_attr(msg, STUN_ATTR_LIFETIME), &life);
            if (rc) {
                err = SYNTH_EPARSE; /* a success without a relay is no allocation */
                ok = false;
            } else {
                in->lifetime_s = life;
                const struct stun_attr *seq = stun_msg_attr(msg, STUN_ATTR_MS_SEQUENCE_NUMBER);
                if (seq && t.method == TURN_METHOD_ALLOCATE && tc->w->raw_active) {
                    memcpy(tc->ms_conn_id, seq->val, MSTURN_CONNECTION_ID_LEN);
                    tc->ms_seq_valid = true;
                }
                in->allocate_us = clock_mono_us() - tc->alloc_start_us;
                tc->state = TURN_ALLOCATED;
                refresh_schedule(tc);
            }
        }
        if (!ok)
            tc->state = TURN_FAILED;
        if (tc->h.allocated) {
            handler_enter(tc);
            tc->h.allocated(err, res, ok ? &tc->info : NULL, tc->arg);
            handler_leave(tc);
        }
        return;
    }
    case TURN_METHOD_REFRESH:
        if (ok && t.lifetime == 0) {
            tc->state = TURN_RELEASED;
            evtimer_del(tc->refresh_timer);
            evtimer_del(tc->perm_timer);
            evtimer_del(tc->chan_timer);
        } else if (ok) {
            uint32_t life = t.lifetime;
            (void)stun_attr_u32(stun_msg_attr(msg, STUN_ATTR_LIFETIME), &life);
            tc->info.lifetime_s = life;
            refresh_schedule(tc);
        }
        break;
    case TURN_METHOD_CREATE_PERMISSION:
        for (int i = 0; ok && i < TURN_PEERS_MAX; i++)
            if (t.peers & (1u << i))
                tc->peers[i].permitted = true;
        break;
    case TURN_METHOD_CHANNEL_BIND:
        if (ok && t.channel_peer >= 0) {
            /* [MS-TURN]: one active destination at a time. */
            for (int i = 0; tc->w->raw_active && i < TURN_PEERS_MAX; i++)
                tc->peers[i].channel_ok = false;
            tc->peers[t.channel_peer].channel_ok = true;
            tc->peers[t.channel_peer].permitted = true; /* RFC 8656 12.2 */
        }
        break;
    default:
        break;
    }
    if (t.h) {
        handler_enter(tc);
        t.h(err, res, t.arg);
        handler_leave(tc);
        return;
    }
    /* Nobody asked for this one (an automatic refresh): a failure of it is
     * the allocation's failure; a release with no handler is just done. */
    if (!ok && !(t.method == TURN_METHOD_REFRESH && t.lifetime == 0))
        client_fail(tc, err, res);
}

static void trans_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turn_trans *tr = arg;
    struct turn_client *tc = tr->tc;
    (void)fd;
    (void)what;
    if (!tr->used)
        return;
    if (tc->o.transport == TURN_TRANSPORT_UDP && tr->sent < tc->o.rc) {
        int rc = trans_transmit(tc, tr);
        if (rc == 0)
            return;
        struct turn_result none = {0};
        trans_finish(tc, tr, rc, &none, NULL);
        return;
    }
    struct turn_result none = {0};
    trans_finish(tc, tr, SYNTH_ETIMEDOUT, &none, NULL);
}

/* Takes the realm and nonce of a 401 or 438 (RFC 8489 9.2.5). */
static int take_challenge(struct turn_client *tc, const struct stun_msg *m)
{
    struct strv realm = stun_attr_strv(stun_msg_attr(m, STUN_ATTR_REALM));
    struct strv nonce = stun_attr_strv(stun_msg_attr(m, STUN_ATTR_NONCE));
    if (!nonce.l || (!realm.l && !tc->realm_len))
        return SYNTH_EPARSE;
    if (realm.l) {
        memcpy(tc->realm, realm.p, realm.l);
        tc->realm_len = realm.l;
    }
    memcpy(tc->nonce, nonce.p, nonce.l);
    tc->nonce_len = nonce.l;
    int rc = stun_key_long_term(strv_from_cstr(tc->username),
                                strv_make(tc->realm, tc->realm_len),
                                strv_from_cstr(tc->password), tc->key);
    tc->have_key = rc == 0;
    return rc;
}

/* The Allocate again from the start on a new socket (reopen_cb), from the
 * loop rather than inside this read. */
static void reopen(struct turn_client *tc, struct turn_trans *tr)
{
    trans_release(tr);
    tc->reopen_pending = true;
    event_active(tc->reopen_ev, EV_TIMEOUT, 1);
}

/* Where the Allocate is to go instead: RFC 8656 (RFC 5766 6.2.2) answers
 * 300 Try Alternate with ALTERNATE-SERVER; an [MS-TURN] Edge names in its
 * 401 to an Allocate over UDP the server of its pool the client is to send
 * its next Allocate to (usually itself). Another server means the Allocate
 * again from the start on a new socket (the nonce is the first server's).
 * True when redirected: tr is released. */
static bool redirect(struct turn_client *tc, struct turn_trans *tr, const struct stun_msg *m,
                     uint16_t code)
{
    bool ms_challenge = tc->w->stun == &stun_dialect_msturn && code == STUN_ERR_UNAUTHORIZED &&
                        tc->o.transport == TURN_TRANSPORT_UDP;
    if (code != STUN_ERR_TRY_ALTERNATE && !ms_challenge)
        return false;
    struct sockaddr_storage alt;
    socklen_t alt_len;
    if (stun_attr_addr(stun_msg_attr(m, STUN_ATTR_ALTERNATE_SERVER), &alt, &alt_len) != 0 ||
        net_addr_equal(&alt, &tc->o.server) || tc->stats.redirects >= TURN_REDIRECTS_MAX)
        return false; /* a 300 without one stays an error */
    tc->stats.redirects++;
    tc->o.server = alt;
    tc->o.server_len = alt_len;
    reopen(tc, tr);
    return true;
}

static void on_response(struct turn_client *tc, const struct stun_msg *m)
{
    struct turn_trans *tr = NULL;
    for (size_t i = 0; i < TURN_TRANS_MAX; i++)
        if (tc->trans[i].used &&
            memcmp(tc->trans[i].tid, m->tid, stun_dialect_tid_len(tc->w->stun)) == 0 &&
            wire_method(tc, tc->trans[i].method) == m->method) {
            tr = &tc->trans[i];
            break;
        }
    if (!tr)
        return; /* late retransmission answer, or not ours */

    struct strv reason;
    uint16_t code = m->cls == STUN_CLASS_ERROR ? stun_msg_error(m, &reason) : 0;
    bool challenge = code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_STALE_NONCE;
    /* RFC 8489 9.2.5: what we sent with credentials must come back with
     * valid integrity, except the challenges; a response that fails is
     * dropped as if never received (the retransmissions go on). */
    if (tr->authed && !challenge &&
        (m->mi < 0 || stun_msg_check_integrity(m, tc->key, sizeof(tc->key)) != 0))
        return;
    if (m->cls == STUN_CLASS_ERROR && code == 0)
        code = STUN_ERR_SERVER_ERROR; /* an error without ERROR-CODE: broken server */

    if (code == STUN_ERR_ALLOCATION_MISMATCH && tr->method == TURN_METHOD_ALLOCATE &&
        tc->stats.mismatch_retries < TURN_MISMATCH_RETRIES) {
        tc->stats.mismatch_retries++;
        reopen(tc, tr);
        return;
    }
    if (tr->method == TURN_METHOD_ALLOCATE && tc->state != TURN_ALLOCATED && redirect(tc, tr, m, code))
        return;
    bool retry = false;
    if (code == STUN_ERR_UNAUTHORIZED && !tr->authed)
        retry = true; /* the first challenge: now with credentials */
    else if (code == STUN_ERR_STALE_NONCE && tr->authed && tr->stale < TURN_STALE_RETRIES) {
        tr->stale++;
        tc->stats.stale_nonces++;
        retry = true;
    }
    if (retry && take_challenge(tc, m) == 0) {
        int rc = trans_build(tc, tr);
        evtimer_del(tr->timer);
        if (rc == 0)
            rc = trans_transmit(tc, tr);
        if (rc == 0)
            return;
        struct turn_result none = {0};
        trans_finish(tc, tr, rc, &none, NULL);
        return;
    }
    struct turn_result res = {0};
    if (code)
        result_set(&res, code, reason);
    trans_finish(tc, tr, 0, &res, m);
}

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

static int peer_find(const struct turn_client *tc, const struct sockaddr_storage *a, bool by_port)
{
    for (int i = 0; i < TURN_PEERS_MAX; i++) {
        const struct turn_peer *p = &tc->peers[i];
        if (!p->used || p->addr.ss_family != a->ss_family)
            continue;
        if (by_port ? net_addr_equal(&p->addr, a) : same_ip(&p->addr, a))
            return i;
    }
    return -1;
}

static bool deliver(struct turn_client *tc, const struct sockaddr_storage *peer,
                    const uint8_t *data, size_t len, int64_t rx_us)
{
    if (!tc->h.data)
        return true;
    handler_enter(tc);
    tc->h.data(peer, data, len, rx_us, tc->arg);
    return handler_leave(tc);
}

/* One STUN message or ChannelData frame from the server. False if the
 * client is gone. */
static int active_peer(const struct turn_client *tc)
{
    for (int i = 0; tc->w->raw_active && i < TURN_PEERS_MAX; i++)
        if (tc->peers[i].used && tc->peers[i].channel_ok)
            return i;
    return -1;
}

/* Data from the active destination, as it came; dropped without one. */
static bool deliver_active(struct turn_client *tc, const uint8_t *buf, size_t len,
                           int64_t rx_us)
{
    int a = active_peer(tc);
    if (a < 0) {
        tc->stats.rx_dropped++;
        return true;
    }
    tc->stats.rx_channel++;
    return deliver(tc, &tc->peers[a].addr, buf, len, rx_us);
}

/* One datagram or frame that reached us at rx_us (turn_data_h). */
static bool on_packet(struct turn_client *tc, const uint8_t *buf, size_t len, int64_t rx_us)
{
    bool stream = tc->o.transport == TURN_TRANSPORT_TCP;
    if (tc->w->raw_active && stun_demux(buf, len) != STUN_DEMUX_STUN)
        /* [MS-TURN] Set Active Destination: the server forwards the active
         * destination's datagrams as they are. */
        return deliver_active(tc, buf, len, rx_us);
    if (stun_demux(buf, len) == STUN_DEMUX_CHANNEL) {
        uint16_t ch;
        const uint8_t *data;
        size_t dlen, used;
        if (stun_chandata_parse(buf, len, stream, &ch, &data, &dlen, &used) == 0)
            for (int i = 0; i < TURN_PEERS_MAX; i++)
                if (tc->peers[i].used && tc->peers[i].channel == ch && tc->peers[i].channel_ok) {
                    tc->stats.rx_channel++;
                    return deliver(tc, &tc->peers[i].addr, data, dlen, rx_us);
                }
        tc->stats.rx_dropped++;
        return true;
    }
    struct stun_msg m;
    size_t used;
    int rc = stun_msg_parse(&m, buf, len, true, tc->w->stun, &used, NULL);
    if (rc == SYNTH_EUNSUPPORTED && active_peer(tc) >= 0) {
        /* Not MS-TURN but STUN-shaped: the active destination's own STUN
         * (an ICE check), forwarded as it is. */
        tc->stats.rx_channel++;
        return deliver(tc, &tc->peers[active_peer(tc)].addr, buf, len, rx_us);
    }
    if (rc != 0) {
        tc->stats.rx_dropped++; /* a client drops what it cannot read */
        return true;
    }
    /* Before responses: MS-TURN's Data Indication has the error class bits. */
    if (m.cls == tc->w->data_cls && m.method == tc->w->data_method) {
        struct sockaddr_storage peer;
        socklen_t plen;
        const struct stun_attr *data = stun_msg_attr(&m, STUN_ATTR_DATA);
        const struct stun_attr *from = stun_msg_attr(&m, tc->w->from_peer_attr);
        if (!data || (tc->w->addr_xor ? stun_attr_xor_addr(&m, from, &peer, &plen)
                                      : stun_attr_addr(from, &peer, &plen))) {
            tc->stats.rx_dropped++;
            return true;
        }
        tc->stats.rx_indication++;
        return deliver(tc, &peer, data->val, data->len, rx_us);
    }
    if (m.cls == STUN_CLASS_SUCCESS || m.cls == STUN_CLASS_ERROR) {
        handler_enter(tc);
        on_response(tc, &m);
        return handler_leave(tc);
    }
    return true;
}

static void transport_down(struct turn_client *tc, int err);

/* The one reader of the UDP socket, on its wake-ups and on the owner's
 * polls: what it holds now, TURN_READ_BATCH datagrams per recvmmsg, up to
 * TURN_UDP_BATCH, each with its arrival time. The client may be gone when
 * it returns. */
static void udp_read(struct turn_client *tc)
{
    uint8_t bufs[TURN_READ_BATCH][STUN_MSG_MAX];
    struct dscp_packet dp[TURN_READ_BATCH];
    for (int total = 0; total < TURN_UDP_BATCH; total += TURN_READ_BATCH) {
        int n = dscp_recv_batch(tc->fd, &bufs[0][0], STUN_MSG_MAX, dp, TURN_READ_BATCH, NULL);
        /* Port unreachable from the server's host: nobody listens there,
         * which a monitoring run should say at once, not after 39.5 s. */
        if (n == SYNTH_ECONNREFUSED)
            transport_down(tc, SYNTH_ECONNREFUSED);
        if (n <= 0)
            return;
        int64_t now = clock_mono_us();
        for (int i = 0; i < n; i++) {
            if (dp[i].truncated)
                continue; /* over STUN_MSG_MAX: no message of ours */
            if (!on_packet(tc, bufs[i], dp[i].len, now - dp[i].waited_us) || tc->reopen_pending)
                return;
        }
        if (n < TURN_READ_BATCH)
            return;
    }
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    udp_read(arg);
}

static void transport_down(struct turn_client *tc, int err);

/* One [MS-TURN] 2.1 frame: a TURN message, or the active destination's
 * data as it is (its media, or its own STUN: an ICE check). False if the
 * client is gone. */
static bool on_msturn_frame(struct turn_client *tc, enum msturn_tcp_type type,
                            const uint8_t *p, size_t len, int64_t rx_us)
{
    return type == MSTURN_TCP_CONTROL ? on_packet(tc, p, len, rx_us)
                                      : deliver_active(tc, p, len, rx_us);
}

/* The server's pseudo-TLS answer, once it is whole: what waited is sent.
 * False while it is incomplete, or when it is wrong (the client has then
 * failed: the server does not speak pseudo-TLS, or is no A/V Edge). */
static bool pseudo_tls_answered(struct turn_client *tc, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    size_t want = avail < PSEUDO_TLS_SERVER_HELLO_LEN ? avail : PSEUDO_TLS_SERVER_HELLO_LEN;
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)want);
    int rc = p ? pseudo_tls_check_server_hello(p, want, NULL) : SYNTH_EINCOMPLETE;
    if (rc == SYNTH_EINCOMPLETE)
        return false;
    if (rc != 0) {
        transport_down(tc, SYNTH_ETLS);
        return false;
    }
    evbuffer_drain(in, PSEUDO_TLS_SERVER_HELLO_LEN);
    tc->ptls_wait = false;
    if (evbuffer_add_buffer(bufferevent_get_output(tc->bev), tc->held) != 0) {
        transport_down(tc, SYNTH_ENOMEM);
        return false;
    }
    return true;
}

/* Splits the stream: self-delimiting STUN and ChannelData (RFC 8656
 * 12.5), or under MS-TURN its 2.1 frames, whose header is skipped. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
    struct turn_client *tc = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    bool ms = tc->w->raw_active;
    size_t skip = ms ? MSTURN_TCP_HEADER_LEN : 0;
    int64_t now = clock_mono_us(); /* a stream has no per-datagram stamps */
    if (tc->ptls_wait && !pseudo_tls_answered(tc, in))
        return;
    for (;;) {
        size_t avail = evbuffer_get_length(in), frame = 0;
        enum msturn_tcp_type type = MSTURN_TCP_CONTROL;
        const uint8_t *head = evbuffer_pullup(in, avail < 4 ? (ev_ssize_t)avail : 4);
        int rc = !head ? SYNTH_EINCOMPLETE
                 : ms  ? msturn_tcp_frame(head, avail, &type, &frame)
                       : stun_stream_frame_len(head, avail, &frame);
        if (rc == SYNTH_EINCOMPLETE || (rc == 0 && frame > avail))
            return;
        if (rc) {
            /* A stream cannot resynchronise after a framing error. */
            bufferevent_disable(bev, EV_READ);
            client_fail(tc, SYNTH_EPARSE, NULL);
            return;
        }
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)frame);
        if (!p)
            return;
        /* A STUN message parses at its own length; the ChannelData frame
         * keeps its padding, which the parser skips. */
        bool alive = ms ? on_msturn_frame(tc, type, p + skip, frame - skip, now)
                        : on_packet(tc, p, frame, now);
        if (!alive || tc->reopen_pending)
            return;
        evbuffer_drain(in, frame);
    }
}

/* The connection is down (or never came up; or, over UDP, the server's host
 * said its port is closed): every transaction in flight
 * fails with it, then the allocation. */
static void transport_down(struct turn_client *tc, int err)
{
    if (tc->bev)
        bufferevent_disable(tc->bev, EV_READ | EV_WRITE);
    reader_set(tc, TURN_READER_NONE);
    if (tc->connect_timer)
        evtimer_del(tc->connect_timer);
    handler_enter(tc);
    for (size_t i = 0; i < TURN_TRANS_MAX && !tc->free_pending; i++)
        if (tc->trans[i].used) {
            struct turn_result none = {0};
            trans_finish(tc, &tc->trans[i], err, &none, NULL);
        }
    if (!tc->free_pending && tc->state == TURN_ALLOCATED)
        client_fail(tc, err, NULL);
    handler_leave(tc);
}

static void tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct turn_client *tc = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        evtimer_del(tc->connect_timer);
        return;
    }
    if (what & BEV_EVENT_EOF)
        transport_down(tc, SYNTH_ECLOSED);
    else if (what & BEV_EVENT_ERROR)
        transport_down(tc, EVUTIL_SOCKET_ERROR() == ECONNREFUSED ? SYNTH_ECONNREFUSED : SYNTH_EIO);
}

static void connect_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    transport_down(arg, SYNTH_ETIMEDOUT);
}

/* ---- refresh timers ---- */

static void refresh_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turn_client *tc = arg;
    (void)fd;
    (void)what;
    if (tc->state != TURN_ALLOCATED)
        return;
    int rc = turn_client_refresh(tc, NULL, NULL);
    if (rc)
        client_fail(tc, rc, NULL);
}

static void perm_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turn_client *tc = arg;
    (void)fd;
    (void)what;
    if (tc->state != TURN_ALLOCATED)
        return;
    uint32_t mask = 0;
    for (int i = 0; i < TURN_PEERS_MAX; i++)
        if (tc->peers[i].used && tc->peers[i].permitted)
            mask |= 1u << i;
    int rc = mask ? permit_peers(tc, mask, NULL, NULL) : 0;
    if (rc) {
        client_fail(tc, rc, NULL);
        return;
    }
    arm_ms(tc->perm_timer, tc->o.permission_refresh_ms);
}

static void chan_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turn_client *tc = arg;
    (void)fd;
    (void)what;
    if (tc->state != TURN_ALLOCATED)
        return;
    for (int i = 0; i < TURN_PEERS_MAX; i++) {
        if (!tc->peers[i].used || !tc->peers[i].channel_ok)
            continue;
        int rc = channel_bind(tc, i, NULL, NULL);
        if (rc) {
            client_fail(tc, rc, NULL);
            return;
        }
    }
    arm_ms(tc->chan_timer, tc->o.channel_refresh_ms);
}

/* ---- public API ---- */

static int copy_str(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        return SYNTH_ETOOBIG;
    memcpy(dst, src, n + 1);
    return 0;
}

/* A new connection opens with the pseudo-TLS ClientHello (written while
 * the connect is in progress); what follows waits for the answer. */
static int pseudo_tls_start(struct turn_client *tc, struct synth_error *err)
{
    uint8_t hello[PSEUDO_TLS_CLIENT_HELLO_LEN];
    pseudo_tls_client_hello(hello);
    if (!tc->held)
        tc->held = evbuffer_new();
    if (!tc->held || evbuffer_drain(tc->held, evbuffer_get_length(tc->held)) != 0 ||
        bufferevent_write(tc->bev, hello, sizeof(hello)) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
    tc->ptls_wait = true;
    return 0;
}

static int open_socket(struct turn_client *tc, struct synth_error *err)
{
    const struct sockaddr *sa = (const struct sockaddr *)&tc->o.server;
    if (tc->o.transport == TURN_TRANSPORT_UDP) {
        tc->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (tc->fd < 0)
            return synth_error_set(err, SYNTH_EIO, "turn: socket: %s", strerror(errno));
        /* Connected, so only the server's datagrams arrive; a closed
         * server port comes back as ECONNREFUSED and fails the requests. */
        if (udp_peer_set(tc->fd, &tc->o.server, err) != 0)
            return SYNTH_EIO;
        /* Best effort: without stamps the client is read on wake-ups only. */
        tc->stamped = rx_stamp_enable(tc->fd);
        tc->udp_ev = event_new(tc->base, tc->fd, EV_READ | EV_PERSIST, udp_read_cb, tc);
        /* A new socket of a polled client (a 437 retry) stays polled. */
        if (!tc->udp_ev ||
            reader_set(tc, tc->reader == TURN_READER_OWNER ? TURN_READER_OWNER
                                                           : TURN_READER_LOOP) != 0)
            return synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
        return 0;
    }
    tc->bev = bufferevent_socket_new(tc->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!tc->connect_timer)
        tc->connect_timer = evtimer_new(tc->base, connect_timer_cb, tc);
    if (!tc->bev || !tc->connect_timer)
        return synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
    bufferevent_setcb(tc->bev, tcp_read_cb, NULL, tcp_event_cb, tc);
    bufferevent_setwatermark(tc->bev, EV_READ, 0, STUN_MSG_MAX * 4);
    if (bufferevent_enable(tc->bev, EV_READ | EV_WRITE) != 0 ||
        bufferevent_socket_connect(tc->bev, (struct sockaddr *)&tc->o.server,
                                   (int)tc->o.server_len) != 0)
        return synth_error_set(err, SYNTH_ECONNREFUSED, "turn: TCP connect failed at once");
    arm_ms(tc->connect_timer, tc->o.connect_timeout_ms);
    return tc->o.pseudo_tls ? pseudo_tls_start(tc, err) : 0;
}

/* After a 437 or a redirect: the Allocate again from a new socket (to the
 * server now in o.server), from the start (the server's nonce may belong to
 * the old 5-tuple, or to the other server). The new socket opens before
 * the old one closes, so the kernel cannot hand out the same port again. */
static void reopen_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turn_client *tc = arg;
    struct synth_error e;
    (void)fd;
    (void)what;
    struct event *old_ev = tc->udp_ev;
    struct bufferevent *old_bev = tc->bev;
    int old_fd = tc->fd;
    tc->udp_ev = NULL;
    tc->bev = NULL;
    tc->fd = -1;
    tc->reopen_pending = false;
    tc->have_key = false;
    tc->realm_len = tc->nonce_len = 0;
    if (tc->connect_timer)
        evtimer_del(tc->connect_timer);
    int rc = open_socket(tc, &e);
    if (old_ev)
        event_free(old_ev);
    if (old_fd >= 0)
        close(old_fd);
    if (old_bev)
        bufferevent_free(old_bev);
    struct turn_trans *tr = rc ? NULL : trans_new(tc, TURN_METHOD_ALLOCATE);
    if (rc == 0)
        rc = tr ? trans_start(tc, tr) : SYNTH_ETOOBIG;
    if (rc == 0)
        return;
    tc->state = TURN_FAILED;
    if (tc->h.allocated) {
        struct turn_result none = {0};
        handler_enter(tc);
        tc->h.allocated(rc, &none, NULL, tc->arg);
        handler_leave(tc);
    }
}

int turn_client_new(struct turn_client **out, struct event_base *base,
                    const struct turn_client_opts *o, const struct turn_client_handlers *h,
                    void *arg, struct synth_error *err)
{
    *out = NULL;
    if (o->rc > STUN_RC_MAX)
        return synth_error_set(err, SYNTH_EINVAL, "turn: Rc %u over %d", o->rc, STUN_RC_MAX);
    if (o->pseudo_tls && o->transport != TURN_TRANSPORT_TCP)
        return synth_error_set(err, SYNTH_EINVAL, "turn: pseudo-TLS is a TCP handshake");
    struct turn_client *tc = calloc(1, sizeof(*tc));
    if (!tc)
        return synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
    int rc = 0;
    tc->base = base;
    tc->o = *o;
    tc->w = o->dialect == TURN_DIALECT_MSTURN ? &wire_msturn : &wire_standard;
    tc->h = *h;
    tc->arg = arg;
    tc->fd = -1;
    tc->next_channel = TURN_CHANNEL_MIN;
    if (!tc->o.rto_ms)
        tc->o.rto_ms = STUN_RTO_DEFAULT_MS;
    if (!tc->o.rc)
        tc->o.rc = STUN_RC_DEFAULT;
    if (!tc->o.rm)
        tc->o.rm = STUN_RM_DEFAULT;
    if (!tc->o.connect_timeout_ms)
        tc->o.connect_timeout_ms = 5000;
    if (!tc->o.permission_refresh_ms)
        tc->o.permission_refresh_ms = 240 * 1000;
    if (!tc->o.channel_refresh_ms)
        tc->o.channel_refresh_ms = 540 * 1000;
    if (copy_str(tc->username, sizeof(tc->username), o->username) ||
        copy_str(tc->password, sizeof(tc->password), o->password) ||
        copy_str(tc->software, sizeof(tc->software), o->software)) {
        rc = synth_error_set(err, SYNTH_ETOOBIG, "turn: credential or software over %d bytes",
                             TURN_CREDENTIAL_MAX - 1);
        goto out;
    }
    tc->o.username = tc->o.password = tc->o.software = NULL; /* ours are the copies */
    for (size_t i = 0; i < TURN_TRANS_MAX; i++)
        if (!(tc->trans[i].timer = evtimer_new(base, trans_timer_cb, &tc->trans[i]))) {
            rc = synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
            goto out;
        }
    tc->refresh_timer = evtimer_new(base, refresh_timer_cb, tc);
    tc->perm_timer = evtimer_new(base, perm_timer_cb, tc);
    tc->chan_timer = evtimer_new(base, chan_timer_cb, tc);
    tc->reopen_ev = evtimer_new(base, reopen_cb, tc);
    if (!tc->refresh_timer || !tc->perm_timer || !tc->chan_timer || !tc->reopen_ev) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "turn: out of memory");
        goto out;
    }
    rc = open_socket(tc, err);
out:
    if (rc) {
        client_destroy(tc);
        return rc;
    }
    *out = tc;
    return 0;
}

int turn_client_allocate(struct turn_client *tc)
{
    if (tc->state != TURN_IDLE)
        return SYNTH_EINVAL;
    struct turn_trans *tr = trans_new(tc, TURN_METHOD_ALLOCATE);
    if (!tr)
        return SYNTH_ETOOBIG;
    tc->state = TURN_ALLOCATING;
    tc->alloc_start_us = clock_mono_us();
    int rc = trans_start(tc, tr);
    if (rc)
        tc->state = TURN_FAILED;
    return rc;
}

static int peer_add(struct turn_client *tc, const struct sockaddr *peer, bool by_port)
{
    struct sockaddr_storage ss;
    socklen_t len = peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
        return SYNTH_EINVAL;
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, peer, len);
    int idx = peer_find(tc, &ss, by_port);
    if (idx >= 0)
        return idx;
    for (int i = 0; i < TURN_PEERS_MAX; i++)
        if (!tc->peers[i].used) {
            memset(&tc->peers[i], 0, sizeof(tc->peers[i]));
            tc->peers[i].used = true;
            tc->peers[i].addr = ss;
            tc->peers[i].len = len;
            return i;
        }
    return SYNTH_ETOOBIG;
}

int turn_client_permit(struct turn_client *tc, const struct sockaddr *peer, turn_done_h *h,
                       void *arg)
{
    if (tc->state != TURN_ALLOCATED)
        return SYNTH_EINVAL;
    int idx = peer_add(tc, peer, false);
    if (idx < 0)
        return idx;
    if (!tc->w->permissions) {
        /* [MS-TURN]: no CreatePermission; the first Send or Set Active
         * Destination to the peer opens it on the server. */
        tc->peers[idx].permitted = true;
        if (h) {
            struct turn_result none = {0};
            h(0, &none, arg);
        }
        return 0;
    }
    int rc = permit_peers(tc, 1u << idx, h, arg);
    if (rc == 0 && !evtimer_pending(tc->perm_timer, NULL))
        arm_ms(tc->perm_timer, tc->o.permission_refresh_ms);
    return rc;
}

int turn_client_bind_channel(struct turn_client *tc, const struct sockaddr *peer,
                             uint16_t *channel, turn_done_h *h, void *arg)
{
    if (tc->state != TURN_ALLOCATED)
        return SYNTH_EINVAL;
    int idx = peer_add(tc, peer, true);
    if (idx < 0)
        return idx;
    struct turn_peer *p = &tc->peers[idx];
    if (!p->channel) {
        if (tc->next_channel > TURN_CHANNEL_MAX)
            return SYNTH_ETOOBIG;
        p->channel = tc->next_channel++;
    }
    if (channel)
        *channel = p->channel;
    int rc = channel_bind(tc, idx, h, arg);
    if (rc == 0 && !evtimer_pending(tc->chan_timer, NULL))
        arm_ms(tc->chan_timer, tc->o.channel_refresh_ms);
    return rc;
}

static int refresh(struct turn_client *tc, uint32_t lifetime, turn_done_h *h, void *arg)
{
    if (tc->state != TURN_ALLOCATED)
        return SYNTH_EINVAL;
    struct turn_trans_args a = {.lifetime = lifetime, .channel_peer = -1};
    return trans_request(tc, TURN_METHOD_REFRESH, &a, h, arg);
}

int turn_client_refresh(struct turn_client *tc, turn_done_h *h, void *arg)
{
    uint32_t life = tc->o.lifetime_s ? tc->o.lifetime_s : tc->info.lifetime_s;
    return refresh(tc, life ? life : 600, h, arg);
}

int turn_client_release(struct turn_client *tc, turn_done_h *h, void *arg)
{
    return refresh(tc, 0, h, arg);
}

int turn_client_send(struct turn_client *tc, const struct sockaddr *peer, const uint8_t *data,
                     size_t len)
{
    if (tc->state != TURN_ALLOCATED)
        return SYNTH_EINVAL;
    bool stream = tc->o.transport == TURN_TRANSPORT_TCP;
    uint8_t buf[STUN_MSG_MAX];
    size_t n = 0;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in));
    int idx = peer_find(tc, &ss, true);
    if (idx >= 0 && tc->peers[idx].channel_ok && tc->w->raw_active) {
        tc->stats.tx_channel++; /* [MS-TURN] the active destination: as it is */
        return send_framed(tc, MSTURN_TCP_DATA, data, len);
    }
    if (idx >= 0 && tc->peers[idx].channel_ok) {
        int rc = stun_chandata_encode(buf, sizeof(buf), tc->peers[idx].channel, data, len, stream,
                                      &n);
        if (rc == 0)
            tc->stats.tx_channel++;
        return rc ? rc : send_bytes(tc, buf, n);
    }
    uint8_t tid[STUN_TID_MAX];
    struct stun_enc e;
    int rc = stun_tid_fill(tid, stun_dialect_tid_len(tc->w->stun));
    if (rc)
        return rc;
    stun_enc_init(&e, buf, sizeof(buf), tc->w->stun, tc->w->send_method, tc->w->send_cls, tid);
    stun_enc_addr(&e, tc->w->to_peer_attr, peer, tc->w->addr_xor);
    stun_enc_attr(&e, STUN_ATTR_DATA, data, len);
    if (tc->w->send_authed && tc->have_key)
        enc_credentials(tc, &e, true);
    rc = stun_enc_finish(&e, &n);
    if (rc == 0)
        tc->stats.tx_indication++;
    return rc ? rc : send_framed(tc, MSTURN_TCP_CONTROL, buf, n);
}

bool turn_client_pollable(const struct turn_client *tc)
{
    return tc->o.transport == TURN_TRANSPORT_UDP && tc->stamped;
}

void turn_client_poll(struct turn_client *tc)
{
    /* Inside a handler the socket is being read already: the rest of
     * that batch is still to be dispatched. */
    if (!turn_client_pollable(tc) || tc->in_handler || tc->reader == TURN_READER_NONE)
        return;
    if (tc->reader == TURN_READER_LOOP)
        reader_set(tc, TURN_READER_OWNER);
    udp_read(tc);
}

void turn_client_poll_end(struct turn_client *tc)
{
    if (tc->reader == TURN_READER_OWNER)
        reader_set(tc, TURN_READER_LOOP);
}

const struct turn_alloc_info *turn_client_info(const struct turn_client *tc)
{
    return &tc->info;
}

const struct turn_client_stats *turn_client_stats(const struct turn_client *tc)
{
    return &tc->stats;
}

const char *turn_result_class(int err, const struct turn_result *res)
{
    if (err == SYNTH_ETIMEDOUT)
        return "timeout";
    if (err == SYNTH_EPARSE)
        return "protocol";
    if (err == SYNTH_ETLS)
        return "pseudo-tls"; /* the server's answer to our ClientHello was not a ServerHello */
    if (err)
        return "transport";
    switch (res->code) {
    case 0: return "ok";
    case STUN_ERR_UNAUTHORIZED:
    case STUN_ERR_WRONG_CREDENTIALS: return "auth-refused";
    case STUN_ERR_STALE_NONCE: return "stale-nonce";
    case STUN_ERR_ALLOCATION_QUOTA: return "allocation-quota";
    case STUN_ERR_INSUFFICIENT_CAPACITY: return "insufficient-capacity";
    case STUN_ERR_ALLOCATION_MISMATCH: return "allocation-mismatch";
    case STUN_ERR_FORBIDDEN: return "forbidden";
    case STUN_ERR_UNSUPPORTED_TRANSPORT: return "unsupported-transport";
    case STUN_ERR_ADDRESS_FAMILY:
    case STUN_ERR_PEER_ADDRESS_FAMILY: return "address-family";
    default: return res->code >= 500 ? "server-error" : "refused";
    }
}

const struct sockaddr_storage *turn_client_server(const struct turn_client *tc)
{
    return &tc->o.server;
}
