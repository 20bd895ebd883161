/* The lab's TURN relay (turn_relay.h): RFC 8656 (RFC 5766) over UDP and TCP,
 * the long-term credential mechanism of RFC 8489 9.2 with stateless nonces,
 * the STUN codec of synth/turn for every message. Allocate 7.2, Refresh 7.3,
 * CreatePermission 9, Send/Data 10, ChannelBind 11, ChannelData 12. With
 * turn_dialect: ms-turn it speaks [MS-TURN] instead (over TCP in the frames of
 * its 2.1): Allocate (also as refresh and release), Send (which opens the
 * permission), Set Active Destination (whose peer's data then goes
 * unframed) and Data Indication. */
#include "synth/lab/turn_relay.h"

#include "media/dscp.h"
#include "synth/base/net_addr.h"
#include "synth/lab/turn_creds.h"
#include "synth/lab/lab_nonce.h"
#include "synth/lab/turn_peers.h"
#include "synth/turn/msturn_msg.h"
#include "synth/turn/pseudo_tls.h"
#include "synth/turn/stun_msg.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Allocations at once: each holds a socket and about 10 KB; a lab on two
 * cores relays media for far fewer calls than this (docs/PERFORMANCE.md). */
#define RELAY_ALLOCS_MAX 4096
#define RELAY_ALLOC_BUCKETS 4096
/* TCP connections: one allocation each, plus some that never allocate. */
#define RELAY_CONNS_MAX (RELAY_ALLOCS_MAX + 256)
/* RFC 8656 7.2: a 600 s default lifetime; 3600 s is the recommended cap. */
#define RELAY_LIFETIME_DEFAULT_S 600
#define RELAY_LIFETIME_MAX_S 3600
#define RELAY_SWEEP_MS 1000
/* Datagrams read per readiness of one socket, so one busy peer cannot keep
 * the loop from the others. */
#define RELAY_RX_BURST 64
/* Datagrams one read takes (recvmmsg): a busy socket empties in a few
 * calls, and one that holds a single datagram, as an allocation's relayed
 * socket does, costs one call instead of a second that finds it empty. */
#define RELAY_RX_BATCH DSCP_BATCH_MAX
/* The client-facing UDP socket's receive buffer, bytes (see listen_on). */
#define RELAY_UDP_RCVBUF (4 * 1024 * 1024)
/* Bytes queued toward a TCP client past which relayed data is dropped, as a
 * router drops UDP: media is late anyway by then. */
#define RELAY_TCP_OUT_MAX (256 * 1024)
/* A TCP client's unread input, bounded at a few of the largest frames. */
#define RELAY_TCP_IN_MAX (4 * STUN_MSG_MAX)
/* turn_port 0: ports tried for one that is free on both UDP and TCP. */
#define RELAY_PORT_TRIES 16
#define RELAY_LISTEN_BACKLOG 512
#define RELAY_SOFTWARE "synth lab relay"
/* The largest datagram a peer can send; what does not fit a Data indication
 * or ChannelData toward the client is dropped. */
#define RELAY_DATAGRAM_MAX 65536
/* RFC 8656 14.6 and 14.9, not in the codec's table: an even relayed port
 * (for RTP) and, with the R bit, the next one held for RTCP under a
 * RESERVATION-TOKEN that a second Allocate presents. */
#define TURN_ATTR_EVEN_PORT 0x0018
#define TURN_ATTR_RESERVATION_TOKEN 0x0022
#define EVEN_PORT_R 0x80
#define RESERVATION_TOKEN_LEN 8
/* RFC 8656 7.2: a reservation is held about 30 s. Pairs asked for at once
 * are a few per call set-up; 256 is far beyond the lab's rate x 30 s. */
#define RELAY_RESERVATION_MS 30000
#define RELAY_RESERVATIONS_MAX 256

struct relay_conn;

/* Where a message came from: a UDP source, or a TCP connection. */
struct relay_flow {
    struct relay_conn *conn; /* NULL for UDP */
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

struct relay_alloc {
    struct turn_relay *r;
    struct relay_alloc *next_hash;
    struct relay_alloc *prev, *next;
    struct relay_flow flow; /* the client's 5-tuple (RFC 8656 2.2) */
    int fd;                 /* the relayed transport address */
    struct event *ev;
    struct sockaddr_storage relayed;
    socklen_t relayed_len;
    char user[STUN_USERNAME_MAX + 1];
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    uint8_t tid[STUN_TID_MAX]; /* of the Allocate: its retransmission gets the success again */
    struct sockaddr_storage active; /* [MS-TURN] Set Active Destination, if has_active */
    socklen_t active_len;
    bool has_active;
    uint8_t ms_conn_id[MSTURN_CONNECTION_ID_LEN]; /* [MS-TURN] MS-Sequence Number */
    uint32_t ms_seq;                              /* the highest seen */
    uint8_t token[RESERVATION_TOKEN_LEN]; /* of the port reserved beside it, if has_token */
    bool has_token;
    uint32_t lifetime_s;
    uint64_t expire_ms;
    struct turn_peers peers;
};

struct relay_conn {
    struct turn_relay *r;
    struct bufferevent *bev;
    struct relay_flow flow;
    struct relay_alloc *alloc;
    struct relay_conn *prev, *next;
    bool opened; /* its first bytes were read: a pseudo-TLS handshake or not */
};

/* A relayed port held for the Allocate that presents its token. */
struct relay_reservation {
    uint8_t token[RESERVATION_TOKEN_LEN];
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t expire_ms;
};


struct turn_relay {
    struct event_base *base;
    const struct lab_config *cfg;
    bool ms; /* turn_dialect: ms-turn */
    const struct stun_dialect *d;
    struct lab_stats *stats;
    uint32_t nonce_lifetime_ms;
    uint32_t lifetime_default_s;
    bool (*inside)(const struct sockaddr_storage *addr, void *arg);
    void *inside_arg;
    struct lab_nonce_key nonce_key;
    struct sockaddr_storage relay_ip; /* where relayed sockets bind (port 0) */
    socklen_t relay_ip_len;
    uint16_t port;
    uint32_t port_cursor;
    int udp_fd;
    struct event *udp_ev;
    struct evconnlistener *tcp;
    struct event *sweep;

    struct relay_alloc *by_addr[RELAY_ALLOC_BUCKETS]; /* UDP allocations by client address */
    struct relay_alloc *allocs;
    size_t alloc_count;
    struct relay_conn *conns;
    size_t conn_count;
    /* MRAS on the Front End's thread adds credentials while the relay's
     * thread reads them: the table is shared under creds_mu. A lookup is
     * one per Allocate, never per packet. */
    pthread_mutex_t creds_mu;
    struct turn_creds creds;
    uint8_t *rx; /* RELAY_RX_BATCH datagrams of RELAY_DATAGRAM_MAX, for every read */
    struct relay_reservation resv[RELAY_RESERVATIONS_MAX];
    size_t resv_count;
};

/* ---- addresses ---- */

static size_t addr_hash(const struct sockaddr_storage *a)
{
    /* FNV-1a over the IP and port: spreads buckets; the lab is on loopback,
     * so no defence against a hostile peer is needed. */
    const uint8_t *p;
    size_t n;
    uint16_t port = net_addr_port(a);
    if (a->ss_family == AF_INET6) {
        p = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr;
        n = 16;
    } else {
        p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)a)->sin_addr;
        n = 4;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h = (h ^ (port & 0xFF)) * 0x100000001b3ull;
    h = (h ^ (port >> 8)) * 0x100000001b3ull;
    return (size_t)(h % RELAY_ALLOC_BUCKETS);
}

static bool is_unspecified(const struct sockaddr_storage *a)
{
    static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, &any6,
                  sizeof(any6)) == 0;
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
    if (a->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)a)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)(void *)a)->sin_port = htons(port);
}

/* ---- sending ---- */

/* A TCP client's bytes: with turn_dialect ms-turn each in an [MS-TURN]
 * 2.1 frame of its type. */
static void conn_send(struct turn_relay *r, struct relay_conn *c, enum msturn_tcp_type type,
                      const uint8_t *buf, size_t len)
{
    uint8_t hdr[MSTURN_TCP_HEADER_LEN];
    if (r->ms) {
        if (msturn_tcp_header(hdr, type, len) != 0)
            return;
        bufferevent_write(c->bev, hdr, sizeof(hdr));
    }
    bufferevent_write(c->bev, buf, len);
}

static void flow_send(struct turn_relay *r, const struct relay_flow *f, const uint8_t *buf,
                      size_t len)
{
    if (f->conn) {
        conn_send(r, f->conn, MSTURN_TCP_CONTROL, buf, len);
        return;
    }
    /* Best effort, as UDP is: a full socket buffer loses the datagram. */
    (void)sendto(r->udp_fd, buf, len, 0, (const struct sockaddr *)&f->addr, f->addr_len);
}

/* A response to req: SOFTWARE, then MESSAGE-INTEGRITY with key (NULL for
 * the unauthenticated answers: challenges, Binding, 400) and FINGERPRINT. */
static void reply_start(struct stun_enc *e, uint8_t *buf, size_t cap, const struct stun_msg *req,
                        enum stun_class cls)
{
    stun_enc_init(e, buf, cap, req->dialect, req->method, cls, req->tid);
}

static void reply_send(struct turn_relay *r, const struct relay_flow *f, struct stun_enc *e,
                       const uint8_t *key)
{
    size_t len;
    stun_enc_str(e, STUN_ATTR_SOFTWARE, RELAY_SOFTWARE);
    if (key)
        stun_enc_integrity(e, key, STUN_LONG_TERM_KEY_LEN);
    if (!r->ms) /* MS-TURN has no FINGERPRINT: MI comes last */
        stun_enc_fingerprint(e);
    if (stun_enc_finish(e, &len) == 0)
        flow_send(r, f, e->buf, len);
}

static const char *reason_of(uint16_t code)
{
    switch (code) {
    case STUN_ERR_BAD_REQUEST: return "Bad Request";
    case STUN_ERR_UNAUTHORIZED: return "Unauthorized";
    case STUN_ERR_FORBIDDEN: return "Forbidden";
    case STUN_ERR_UNKNOWN_ATTRIBUTE: return "Unknown Attribute";
    case STUN_ERR_ALLOCATION_MISMATCH: return "Allocation Mismatch";
    case STUN_ERR_STALE_NONCE: return "Stale Nonce";
    case STUN_ERR_ADDRESS_FAMILY: return "Address Family not Supported";
    case STUN_ERR_WRONG_CREDENTIALS: return "Wrong Credentials";
    case STUN_ERR_UNSUPPORTED_TRANSPORT: return "Unsupported Transport Protocol";
    case STUN_ERR_PEER_ADDRESS_FAMILY: return "Peer Address Family Mismatch";
    case STUN_ERR_ALLOCATION_QUOTA: return "Allocation Quota Reached";
    case STUN_ERR_INSUFFICIENT_CAPACITY: return "Insufficient Capacity";
    default: return "Server Error";
    }
}

/* An error response; a challenge (401, 438) carries REALM and a new NONCE
 * (RFC 8489 9.2.4) and no integrity. */
static void reply_error(struct turn_relay *r, const struct relay_flow *f,
                        const struct stun_msg *req, uint16_t code, const uint8_t *key)
{
    uint8_t buf[512];
    struct stun_enc e;
    reply_start(&e, buf, sizeof(buf), req, STUN_CLASS_ERROR);
    stun_enc_error_code(&e, code, reason_of(code));
    if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
        stun_enc_unknown_attrs(&e, req->unknown, req->unknown_count);
    if (!key && (code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_STALE_NONCE)) {
        char nonce[LAB_NONCE_LEN(0) + 1];
        if (lab_nonce_make(&r->nonce_key, lab_now_ms(), 0, nonce, sizeof(nonce)) != 0)
            return;
        stun_enc_str(&e, STUN_ATTR_REALM, r->cfg->turn_realm);
        stun_enc_str(&e, STUN_ATTR_NONCE, nonce);
        /* An Edge names itself in its 401 over UDP when it keeps the
         * client ([MS-TURN]; libnice notes the Edge always sends it): the
         * client stays. The pool's first Edge names another (turn_director). */
        if (r->ms && !f->conn) {
            struct sockaddr_storage self;
            socklen_t self_len;
            turn_relay_address(r, &self, &self_len);
            stun_enc_addr(&e, STUN_ATTR_ALTERNATE_SERVER, (const struct sockaddr *)&self, false);
        }
    }
    reply_send(r, f, &e, key);
}

/* ---- credentials ---- */

int turn_relay_add_credential(struct turn_relay *r, const char *user, const char *password,
                              uint32_t lifetime_s)
{
    uint64_t expire = lifetime_s ? lab_now_ms() + (uint64_t)lifetime_s * 1000 : 0;
    pthread_mutex_lock(&r->creds_mu);
    int rc = turn_creds_add(&r->creds, r->cfg->turn_realm, user, password, expire);
    pthread_mutex_unlock(&r->creds_mu);
    return rc;
}

int turn_relay_remove_credential(struct turn_relay *r, const char *user)
{
    pthread_mutex_lock(&r->creds_mu);
    int rc = turn_creds_remove(&r->creds, user);
    pthread_mutex_unlock(&r->creds_mu);
    return rc;
}

/* The key of user's credential if it has not expired; false otherwise. */
static bool credential_key(struct turn_relay *r, struct strv user, uint8_t *key)
{
    pthread_mutex_lock(&r->creds_mu);
    const struct turn_cred *c = turn_creds_find(&r->creds, user, lab_now_ms());
    if (c)
        memcpy(key, c->key, STUN_LONG_TERM_KEY_LEN);
    pthread_mutex_unlock(&r->creds_mu);
    return c != NULL;
}

/* RFC 8489 9.2.4, in its order. The key the allocation on this 5-tuple was
 * made with, for its own user; else of the credential table, and another
 * user on an allocation's 5-tuple gets 441 (RFC 8656 5). True when authenticated (key filled); otherwise
 * the answer went out. */
static bool authenticate(struct turn_relay *r, const struct relay_flow *f,
                         const struct stun_msg *m, const struct relay_alloc *a, uint8_t *key,
                         struct strv *user)
{
    const struct stun_attr *un = stun_msg_attr(m, STUN_ATTR_USERNAME);
    const struct stun_attr *realm = stun_msg_attr(m, STUN_ATTR_REALM);
    const struct stun_attr *nonce = stun_msg_attr(m, STUN_ATTR_NONCE);
    if (m->mi < 0) {
        reply_error(r, f, m, STUN_ERR_UNAUTHORIZED, NULL);
        return false;
    }
    if (!un || !realm || !nonce) {
        reply_error(r, f, m, STUN_ERR_BAD_REQUEST, NULL);
        return false;
    }
    /* A nonce of an earlier run (another secret) is stale too: the client
     * retries with the new one instead of calling its password refused. */
    if (lab_nonce_check(&r->nonce_key, stun_attr_strv(nonce), 0, lab_now_ms(),
                        r->nonce_lifetime_ms) != LAB_NONCE_FRESH) {
        reply_error(r, f, m, STUN_ERR_STALE_NONCE, NULL);
        return false;
    }
    *user = stun_attr_strv(un);
    bool other_user = a && !strv_eq(*user, a->user);
    if (a && !other_user) {
        memcpy(key, a->key, STUN_LONG_TERM_KEY_LEN);
    } else {
        if (!credential_key(r, *user, key)) {
            reply_error(r, f, m, STUN_ERR_UNAUTHORIZED, NULL);
            return false;
        }
    }
    if (stun_msg_check_integrity(m, key, STUN_LONG_TERM_KEY_LEN) != 0) {
        reply_error(r, f, m, STUN_ERR_UNAUTHORIZED, NULL);
        return false;
    }
    if (other_user) {
        reply_error(r, f, m, STUN_ERR_WRONG_CREDENTIALS, key);
        return false;
    }
    return true;
}

/* ---- allocations ---- */

static struct relay_alloc *alloc_find(struct turn_relay *r, const struct relay_flow *f)
{
    if (f->conn)
        return f->conn->alloc;
    for (struct relay_alloc *a = r->by_addr[addr_hash(&f->addr)]; a; a = a->next_hash)
        if (net_addr_equal(&a->flow.addr, &f->addr))
            return a;
    return NULL;
}

static void alloc_free(struct relay_alloc *a)
{
    struct turn_relay *r = a->r;
    if (a->flow.conn) {
        a->flow.conn->alloc = NULL;
    } else {
        struct relay_alloc **pp = &r->by_addr[addr_hash(&a->flow.addr)];
        while (*pp && *pp != a)
            pp = &(*pp)->next_hash;
        if (*pp)
            *pp = a->next_hash;
    }
    if (a->prev)
        a->prev->next = a->next;
    else
        r->allocs = a->next;
    if (a->next)
        a->next->prev = a->prev;
    r->alloc_count--;
    atomic_fetch_sub(&r->stats->turn_active, 1);
    if (a->ev)
        event_free(a->ev);
    if (a->fd >= 0)
        close(a->fd);
    OPENSSL_cleanse(a->key, sizeof(a->key));
    free(a);
}

static uint32_t lifetime_of(const struct turn_relay *r, const struct stun_msg *m)
{
    uint32_t want = r->lifetime_default_s;
    if (stun_attr_u32(stun_msg_attr(m, STUN_ATTR_LIFETIME), &want) != 0)
        return r->lifetime_default_s;
    if (want == 0)
        return 0;
    /* RFC 8656 7.2: min(asked, max), and never below the default. */
    if (want > RELAY_LIFETIME_MAX_S)
        want = RELAY_LIFETIME_MAX_S;
    return want < r->lifetime_default_s ? r->lifetime_default_s : want;
}

static void on_peer_data(evutil_socket_t fd, short what, void *arg);

/* A UDP socket bound to the relay address and port: the descriptor, or -1
 * with errno. */
static int bind_port(const struct turn_relay *r, uint16_t port, struct sockaddr_storage *addr,
                     socklen_t *len)
{
    *addr = r->relay_ip;
    *len = r->relay_ip_len;
    set_port(addr, port);
    int fd = socket(r->relay_ip.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)addr, *len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    return fd;
}

/* The allocation's socket on the next free port of the range (next-fit
 * from a cursor, so a port just released is not handed out again at once);
 * even: an even port; rv: the port after it too, for a reservation. 0;
 * SYNTH_ETOOBIG when no port (or pair) is free (508). */
static int relay_bind(struct turn_relay *r, struct relay_alloc *a, bool even,
                      struct relay_reservation *rv)
{
    uint32_t first = r->cfg->turn_relay_first, last = r->cfg->turn_relay_last;
    uint32_t n = last >= first ? last - first + 1 : 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t port = first + (r->port_cursor + i) % n;
        if ((even && port % 2) || (rv && port == last))
            continue;
        a->fd = bind_port(r, (uint16_t)port, &a->relayed, &a->relayed_len);
        if (a->fd < 0 && errno != EADDRINUSE && errno != EACCES)
            break; /* out of descriptors: no capacity either */
        if (a->fd < 0)
            continue;
        if (rv) {
            rv->fd = bind_port(r, (uint16_t)(port + 1), &rv->addr, &rv->addr_len);
            if (rv->fd < 0) {
                close(a->fd);
                a->fd = -1;
                continue;
            }
        }
        r->port_cursor = (r->port_cursor + i + (rv ? 2 : 1)) % n;
        return 0;
    }
    a->fd = -1;
    return SYNTH_ETOOBIG;
}

/* The relayed socket of the Allocate: the reserved one its token names,
 * or a new one (with a reservation beside it when EVEN-PORT has R). */
static int relay_socket(struct turn_relay *r, struct relay_alloc *a, const struct stun_msg *m)
{
    const struct stun_attr *tok = stun_msg_attr(m, TURN_ATTR_RESERVATION_TOKEN);
    const struct stun_attr *even = stun_msg_attr(m, TURN_ATTR_EVEN_PORT);
    uint64_t now = lab_now_ms();
    if (tok) {
        for (size_t i = 0; i < r->resv_count; i++) {
            struct relay_reservation *rv = &r->resv[i];
            if (rv->expire_ms <= now || memcmp(rv->token, tok->val, RESERVATION_TOKEN_LEN) != 0)
                continue;
            a->fd = rv->fd;
            a->relayed = rv->addr;
            a->relayed_len = rv->addr_len;
            r->resv[i] = r->resv[--r->resv_count];
            return 0;
        }
        return SYNTH_ENOTFOUND; /* RFC 8656 7.2: 508 */
    }
    if (!even || !(even->val[0] & EVEN_PORT_R))
        return relay_bind(r, a, even != NULL, NULL);
    struct relay_reservation *rv = &r->resv[r->resv_count];
    uint8_t rnd[STUN_TID_LEN]; /* RAND_bytes, as transaction ids are made */
    if (stun_tid_new(rnd) != 0)
        return SYNTH_EINTERNAL;
    memcpy(rv->token, rnd, RESERVATION_TOKEN_LEN);
    int rc = relay_bind(r, a, true, rv);
    if (rc)
        return rc;
    rv->expire_ms = now + RELAY_RESERVATION_MS;
    memcpy(a->token, rv->token, RESERVATION_TOKEN_LEN);
    a->has_token = true;
    r->resv_count++;
    return 0;
}

static void resv_expire(struct turn_relay *r, uint64_t now)
{
    for (size_t i = 0; i < r->resv_count;) {
        if (r->resv[i].expire_ms <= now) {
            close(r->resv[i].fd);
            r->resv[i] = r->resv[--r->resv_count];
        } else {
            i++;
        }
    }
}

static size_t user_allocs(const struct turn_relay *r, struct strv user)
{
    size_t n = 0;
    for (const struct relay_alloc *a = r->allocs; a; a = a->next)
        n += strv_eq(user, a->user);
    return n;
}

static void allocate_success(struct turn_relay *r, const struct relay_flow *f,
                             const struct stun_msg *m, const struct relay_alloc *a)
{
    uint8_t buf[512];
    struct stun_enc e;
    reply_start(&e, buf, sizeof(buf), m, STUN_CLASS_SUCCESS);
    /* [MS-TURN] 2.2.2: the relayed address is a plain MAPPED-ADDRESS. */
    stun_enc_addr(&e, r->ms ? STUN_ATTR_MAPPED_ADDRESS : STUN_ATTR_XOR_RELAYED_ADDRESS,
                  (const struct sockaddr *)&a->relayed, !r->ms);
    stun_enc_u32(&e, STUN_ATTR_LIFETIME, a->lifetime_s);
    stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)&f->addr, true);
    if (a->has_token)
        stun_enc_attr(&e, TURN_ATTR_RESERVATION_TOKEN, a->token, RESERVATION_TOKEN_LEN);
    if (r->ms) {
        uint8_t seq[MSTURN_SEQUENCE_LEN] = {0};
        memcpy(seq, a->ms_conn_id, MSTURN_CONNECTION_ID_LEN);
        stun_enc_u32(&e, STUN_ATTR_MS_VERSION, MSTURN_VERSION);
        stun_enc_attr(&e, STUN_ATTR_MS_SEQUENCE_NUMBER, seq, sizeof(seq));
    }
    reply_send(r, f, &e, a->key);
}

/* The checks of RFC 8656 7.2 that need no resources: 0 or the error code. */
static uint16_t allocate_check(const struct turn_relay *r, const struct stun_msg *m,
                               struct strv user)
{
    const struct stun_attr *tr = stun_msg_attr(m, STUN_ATTR_REQUESTED_TRANSPORT);
    const struct stun_attr *fam = stun_msg_attr(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
    /* [MS-TURN] has no REQUESTED-TRANSPORT: its relay is UDP. */
    if ((!tr && !r->ms) || (tr && tr->len != 4))
        return STUN_ERR_BAD_REQUEST;
    if (tr && tr->val[0] != TURN_PROTO_UDP)
        return STUN_ERR_UNSUPPORTED_TRANSPORT;
    const struct stun_attr *even = stun_msg_attr(m, TURN_ATTR_EVEN_PORT);
    const struct stun_attr *tok = stun_msg_attr(m, TURN_ATTR_RESERVATION_TOKEN);
    /* RFC 8656 7.2: a token comes alone, without EVEN-PORT or a family. */
    if ((even && even->len != 1) || (tok && (tok->len != RESERVATION_TOKEN_LEN || even || fam)))
        return STUN_ERR_BAD_REQUEST;
    if (even && (even->val[0] & EVEN_PORT_R) && r->resv_count == RELAY_RESERVATIONS_MAX)
        return STUN_ERR_INSUFFICIENT_CAPACITY;
    if (fam && fam->val[0] != (r->relay_ip.ss_family == AF_INET6 ? 0x02 : 0x01))
        return STUN_ERR_ADDRESS_FAMILY;
    if (r->cfg->faults.turn_refuse_allocate)
        return r->cfg->faults.turn_refuse_allocate;
    if (r->cfg->turn_user_quota && user_allocs(r, user) >= r->cfg->turn_user_quota)
        return STUN_ERR_ALLOCATION_QUOTA;
    if (r->alloc_count >= RELAY_ALLOCS_MAX)
        return STUN_ERR_INSUFFICIENT_CAPACITY;
    return 0;
}

static void do_refresh(struct turn_relay *r, const struct relay_flow *f, const struct stun_msg *m,
                       struct relay_alloc *a, const uint8_t *key);

static void do_allocate(struct turn_relay *r, const struct relay_flow *f, const struct stun_msg *m,
                        struct relay_alloc *existing, const uint8_t *key, struct strv user)
{
    if (existing) {
        /* RFC 8656 7.2: a retransmission of the request that made it is
         * answered again; anything else on this 5-tuple is a mismatch.
         * MS-TURN refreshes (and, LIFETIME 0, releases) with a new Allocate. */
        if (memcmp(existing->tid, m->tid, stun_dialect_tid_len(m->dialect)) == 0)
            allocate_success(r, f, m, existing);
        else if (r->ms)
            do_refresh(r, f, m, existing, key);
        else
            reply_error(r, f, m, STUN_ERR_ALLOCATION_MISMATCH, key);
        return;
    }
    uint16_t code = allocate_check(r, m, user);
    if (code) {
        reply_error(r, f, m, code, key);
        return;
    }
    struct relay_alloc *a = calloc(1, sizeof(*a));
    if (!a) {
        reply_error(r, f, m, STUN_ERR_INSUFFICIENT_CAPACITY, key);
        return;
    }
    a->r = r;
    a->flow = *f;
    /* The connection id comes from RAND_bytes, as transaction ids do. */
    if ((r->ms && stun_tid_fill(a->ms_conn_id, sizeof(a->ms_conn_id)) != 0) ||
        relay_socket(r, a, m) != 0) {
        free(a);
        reply_error(r, f, m, STUN_ERR_INSUFFICIENT_CAPACITY, key);
        return;
    }
    a->ev = event_new(r->base, a->fd, EV_READ | EV_PERSIST, on_peer_data, a);
    if (!a->ev || event_add(a->ev, NULL) != 0) {
        if (a->ev)
            event_free(a->ev);
        close(a->fd);
        free(a);
        reply_error(r, f, m, STUN_ERR_INSUFFICIENT_CAPACITY, key);
        return;
    }
    strv_copy(user, a->user, sizeof(a->user));
    memcpy(a->key, key, sizeof(a->key));
    memcpy(a->tid, m->tid, stun_dialect_tid_len(m->dialect));
    a->lifetime_s = lifetime_of(r, m);
    if (a->lifetime_s == 0)
        a->lifetime_s = r->lifetime_default_s;
    a->expire_ms = lab_now_ms() + (uint64_t)a->lifetime_s * 1000;
    if (f->conn) {
        f->conn->alloc = a;
    } else {
        size_t b = addr_hash(&f->addr);
        a->next_hash = r->by_addr[b];
        r->by_addr[b] = a;
    }
    a->next = r->allocs;
    if (r->allocs)
        r->allocs->prev = a;
    r->allocs = a;
    r->alloc_count++;
    atomic_fetch_add(&r->stats->turn_allocations, 1);
    atomic_fetch_add(&r->stats->turn_active, 1);
    allocate_success(r, f, m, a);
}

static void do_refresh(struct turn_relay *r, const struct relay_flow *f, const struct stun_msg *m,
                       struct relay_alloc *a, const uint8_t *key)
{
    uint8_t buf[256];
    struct stun_enc e;
    uint32_t lifetime = lifetime_of(r, m);
    reply_start(&e, buf, sizeof(buf), m, STUN_CLASS_SUCCESS);
    stun_enc_u32(&e, STUN_ATTR_LIFETIME, lifetime);
    if (lifetime == 0) {
        alloc_free(a); /* RFC 8656 7.3: LIFETIME 0 deletes it */
        atomic_fetch_add(&r->stats->turn_released, 1);
    } else {
        a->lifetime_s = lifetime;
        a->expire_ms = lab_now_ms() + (uint64_t)lifetime * 1000;
    }
    reply_send(r, f, &e, key);
}

/* XOR-PEER-ADDRESS i of m (RFC 8656 9.2 allows several); 0 or the error. */
static uint16_t peer_at(const struct turn_relay *r, const struct stun_msg *m, size_t i,
                        struct sockaddr_storage *peer, socklen_t *len)
{
    size_t seen = 0;
    size_t end = m->mi >= 0 ? (size_t)m->mi : m->attr_count;
    for (size_t k = 0; k < end; k++) {
        if (m->attrs[k].type != STUN_ATTR_XOR_PEER_ADDRESS || seen++ != i)
            continue;
        if (stun_attr_xor_addr(m, &m->attrs[k], peer, len) != 0)
            return STUN_ERR_BAD_REQUEST;
        return peer->ss_family == r->relay_ip.ss_family ? 0 : STUN_ERR_PEER_ADDRESS_FAMILY;
    }
    return i == 0 ? STUN_ERR_BAD_REQUEST : 1; /* 1: no more */
}

static void reply_empty(struct turn_relay *r, const struct relay_flow *f, const struct stun_msg *m,
                        const uint8_t *key)
{
    uint8_t buf[128];
    struct stun_enc e;
    reply_start(&e, buf, sizeof(buf), m, STUN_CLASS_SUCCESS);
    reply_send(r, f, &e, key);
}

static void do_permission(struct turn_relay *r, const struct relay_flow *f,
                          const struct stun_msg *m, struct relay_alloc *a, const uint8_t *key)
{
    struct sockaddr_storage peers[STUN_ATTRS_MAX];
    socklen_t len;
    size_t n = 0;
    /* Every address is checked before any is installed (RFC 8656 9.2: all
     * or none). */
    for (; n < STUN_ATTRS_MAX; n++) {
        uint16_t code = peer_at(r, m, n, &peers[n], &len);
        if (code == 1)
            break;
        if (code) {
            reply_error(r, f, m, code, key);
            return;
        }
    }
    uint64_t now = lab_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (turn_peers_permit(&a->peers, &peers[i], now, TURN_PERMISSION_LIFETIME_MS) != 0) {
            reply_error(r, f, m, STUN_ERR_INSUFFICIENT_CAPACITY, key);
            return;
        }
    }
    reply_empty(r, f, m, key);
}

static void do_channel_bind(struct turn_relay *r, const struct relay_flow *f,
                            const struct stun_msg *m, struct relay_alloc *a, const uint8_t *key)
{
    struct sockaddr_storage peer;
    socklen_t len = 0;
    uint16_t ch = 0;
    uint16_t code = peer_at(r, m, 0, &peer, &len);
    if (code == 0 && (stun_attr_channel(stun_msg_attr(m, STUN_ATTR_CHANNEL_NUMBER), &ch) != 0 ||
                      ch < TURN_CHANNEL_MIN || ch > TURN_CHANNEL_MAX_RFC5766))
        code = STUN_ERR_BAD_REQUEST;
    if (code == 0) {
        int rc = turn_peers_bind(&a->peers, ch, &peer, len, lab_now_ms());
        if (rc == SYNTH_EINVAL)
            code = STUN_ERR_BAD_REQUEST;
        else if (rc)
            code = STUN_ERR_INSUFFICIENT_CAPACITY;
    }
    if (code)
        reply_error(r, f, m, code, key);
    else
        reply_empty(r, f, m, key);
}

/* ---- data ---- */

/* The Edge's external side cannot reach the inside network (turn_relay_opts). */
static bool unreachable(struct turn_relay *r, const struct sockaddr_storage *peer)
{
    if (!r->inside || !r->inside(peer, r->inside_arg))
        return false;
    atomic_fetch_add(&r->stats->turn_unreachable, 1);
    return true;
}

/* Toward a peer from the allocation's relayed address. */
static void relay_out(struct relay_alloc *a, const struct sockaddr_storage *peer,
                      socklen_t peer_len, const uint8_t *data, size_t len)
{
    struct turn_relay *r = a->r;
    if (unreachable(r, peer))
        return;
    if (r->cfg->faults.turn_drop_relayed) {
        atomic_fetch_add(&r->stats->turn_dropped, 1);
        return;
    }
    if (sendto(a->fd, data, len, 0, (const struct sockaddr *)peer, peer_len) >= 0)
        atomic_fetch_add(&r->stats->turn_to_peers, 1);
}

static void on_send_indication(struct turn_relay *r, const struct stun_msg *m,
                               struct relay_alloc *a)
{
    struct sockaddr_storage peer;
    socklen_t len;
    const struct stun_attr *data = stun_msg_attr(m, STUN_ATTR_DATA);
    /* RFC 8656 10.2: anything wrong and the indication is dropped silently. */
    if (!a || !data || peer_at(r, m, 0, &peer, &len) != 0 || m->unknown_count ||
        !turn_peers_permitted(&a->peers, &peer, lab_now_ms()))
        return;
    relay_out(a, &peer, len, data->val, data->len);
}

static void on_chandata(struct turn_relay *r, const struct relay_flow *f, const uint8_t *buf,
                        size_t len)
{
    uint16_t ch;
    const uint8_t *data;
    size_t data_len, used;
    struct relay_alloc *a = alloc_find(r, f);
    if (!a || stun_chandata_parse_upto(buf, len, f->conn != NULL, TURN_CHANNEL_MAX_RFC5766, &ch,
                                       &data, &data_len, &used) != 0)
        return;
    const struct turn_chan *c = turn_peers_channel(&a->peers, ch, lab_now_ms());
    if (c)
        relay_out(a, &c->peer, c->peer_len, data, data_len);
}

/* [MS-TURN]: the DESTINATION-ADDRESS of a Send or Set Active Destination,
 * whose permission it opens (or keeps open); false if it has none. */
static bool ms_destination(struct relay_alloc *a, const struct stun_msg *m,
                           struct sockaddr_storage *peer, socklen_t *len)
{
    /* The MS-Sequence Number of this allocation's connection, not older
     * than the last one: what another connection or a replay lacks. */
    const struct stun_attr *seq = stun_msg_attr(m, STUN_ATTR_MS_SEQUENCE_NUMBER);
    uint32_t n = 0;
    if (!seq || memcmp(seq->val, a->ms_conn_id, MSTURN_CONNECTION_ID_LEN) != 0)
        return false;
    n = (uint32_t)seq->val[20] << 24 | (uint32_t)seq->val[21] << 16 |
        (uint32_t)seq->val[22] << 8 | seq->val[23];
    if (n < a->ms_seq)
        return false;
    a->ms_seq = n;
    if (stun_attr_addr(stun_msg_attr(m, STUN_ATTR_OLD_DESTINATION_ADDRESS), peer, len) != 0 ||
        peer->ss_family != a->r->relay_ip.ss_family)
        return false;
    return turn_peers_permit(&a->peers, peer, lab_now_ms(), TURN_PERMISSION_LIFETIME_MS) == 0;
}

static void ms_send(struct relay_alloc *a, const struct stun_msg *m)
{
    struct sockaddr_storage peer;
    socklen_t len;
    const struct stun_attr *data = stun_msg_attr(m, STUN_ATTR_DATA);
    if (data && ms_destination(a, m, &peer, &len))
        relay_out(a, &peer, len, data->val, data->len);
}

static void ms_set_active(struct turn_relay *r, const struct relay_flow *f,
                          const struct stun_msg *m, struct relay_alloc *a, const uint8_t *key)
{
    struct sockaddr_storage peer;
    socklen_t len;
    if (!ms_destination(a, m, &peer, &len)) {
        reply_error(r, f, m, STUN_ERR_BAD_REQUEST, key);
        return;
    }
    a->active = peer;
    a->active_len = len;
    a->has_active = true;
    reply_empty(r, f, m, key);
}

/* The message to the client that carries a peer's datagram: ChannelData,
 * a Data indication, or [MS-TURN]'s Data Indication (0x0115, plain
 * REMOTE-ADDRESS); 0 and its length. */
static int frame_for_client(const struct relay_alloc *a, const struct sockaddr_storage *peer,
                            const uint8_t *data, size_t len, uint64_t now, uint8_t *buf,
                            size_t cap, size_t *n)
{
    const struct turn_chan *c = turn_peers_channel_of(&a->peers, peer, now);
    if (c)
        return stun_chandata_encode(buf, cap, c->number, data, len, a->flow.conn != NULL, n);
    uint8_t tid[STUN_TID_MAX];
    struct stun_enc e;
    bool ms = a->r->ms;
    if (stun_tid_fill(tid, ms ? MSTURN_TID_LEN : STUN_TID_LEN) != 0)
        return SYNTH_EINTERNAL;
    if (ms)
        msturn_enc_init(&e, buf, cap, MSTURN_DATA_IND, tid);
    else
        stun_enc_init(&e, buf, cap, NULL, TURN_METHOD_DATA, STUN_CLASS_INDICATION, tid);
    stun_enc_addr(&e, ms ? STUN_ATTR_OLD_REMOTE_ADDRESS : STUN_ATTR_XOR_PEER_ADDRESS,
                  (const struct sockaddr *)peer, !ms);
    stun_enc_attr(&e, STUN_ATTR_DATA, data, len);
    return stun_enc_finish(&e, n);
}

/* From a peer to the client: ChannelData when a channel is bound to the
 * peer, else a Data indication (RFC 8656 11.3, 12.6); the active
 * destination's as it is under MS-TURN; nothing from a peer without a
 * permission. */
static void relay_in(struct relay_alloc *a, const struct sockaddr_storage *peer,
                     const uint8_t *data, size_t len)
{
    struct turn_relay *r = a->r;
    uint8_t buf[STUN_MSG_MAX];
    size_t n;
    uint64_t now = lab_now_ms();
    /* The active destination stays permitted while it is active: its
     * traffic is unframed, so no Send would refresh its permission. */
    bool active = a->has_active && net_addr_equal(&a->active, peer);
    if ((!active && !turn_peers_permitted(&a->peers, peer, now)) || unreachable(r, peer))
        return;
    if (r->cfg->faults.turn_drop_relayed) {
        atomic_fetch_add(&r->stats->turn_dropped, 1);
        return;
    }
    if (a->flow.conn &&
        evbuffer_get_length(bufferevent_get_output(a->flow.conn->bev)) > RELAY_TCP_OUT_MAX)
        return;
    if (active) {
        if (a->flow.conn)
            conn_send(r, a->flow.conn, MSTURN_TCP_DATA, data, len);
        else
            flow_send(r, &a->flow, data, len);
        atomic_fetch_add(&r->stats->turn_from_peers, 1);
        return;
    }
    if (frame_for_client(a, peer, data, len, now, buf, sizeof(buf), &n) != 0)
        return;
    flow_send(r, &a->flow, buf, n);
    atomic_fetch_add(&r->stats->turn_from_peers, 1);
}

typedef void(relay_rx_h)(void *arg, const struct dscp_packet *dp, uint8_t *buf);

/* What fd holds, RELAY_RX_BATCH datagrams per read and at most
 * RELAY_RX_BURST, each to h. */
static void read_burst(struct turn_relay *r, int fd, relay_rx_h *h, void *arg)
{
    struct dscp_packet dp[RELAY_RX_BATCH];
    for (int total = 0; total < RELAY_RX_BURST; total += RELAY_RX_BATCH) {
        int n = dscp_recv_batch(fd, r->rx, RELAY_DATAGRAM_MAX, dp, RELAY_RX_BATCH, NULL);
        for (int i = 0; i < n; i++)
            h(arg, &dp[i], r->rx + (size_t)i * RELAY_DATAGRAM_MAX);
        if (n < RELAY_RX_BATCH)
            return;
    }
}

static void peer_datagram(void *arg, const struct dscp_packet *dp, uint8_t *buf)
{
    relay_in(arg, &dp->from, buf, dp->len);
}

static void on_peer_data(evutil_socket_t fd, short what, void *arg)
{
    struct relay_alloc *a = arg;
    (void)what;
    read_burst(a->r, (int)fd, peer_datagram, a);
}

/* ---- messages from clients ---- */

static void binding_success(struct turn_relay *r, const struct relay_flow *f,
                            const struct stun_msg *m)
{
    uint8_t buf[256];
    struct stun_enc e;
    reply_start(&e, buf, sizeof(buf), m, STUN_CLASS_SUCCESS);
    stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)&f->addr, true);
    reply_send(r, f, &e, NULL);
}

/* Comprehension-required attributes the codec did not know and the relay
 * does not either (RFC 8489 6.3.1.1: 420). */
static bool has_unknown(const struct stun_msg *m)
{
    for (size_t i = 0; i < m->unknown_count; i++)
        if (m->method != TURN_METHOD_ALLOCATE || (m->unknown[i] != TURN_ATTR_EVEN_PORT &&
                                                  m->unknown[i] != TURN_ATTR_RESERVATION_TOKEN))
            return true;
    return false;
}

static void on_request(struct turn_relay *r, const struct relay_flow *f, const struct stun_msg *m)
{
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    struct strv user;
    if (m->method == STUN_METHOD_BINDING) {
        if (m->unknown_count)
            reply_error(r, f, m, STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
        else
            binding_success(r, f, m);
        return;
    }
    bool known = r->ms ? (m->method == TURN_METHOD_ALLOCATE || m->method == MSTURN_METHOD_SEND ||
                          m->method == MSTURN_METHOD_SET_ACTIVE_DEST)
                       : (m->method == TURN_METHOD_ALLOCATE || m->method == TURN_METHOD_REFRESH ||
                          m->method == TURN_METHOD_CREATE_PERMISSION ||
                          m->method == TURN_METHOD_CHANNEL_BIND);
    if (!known) {
        reply_error(r, f, m, STUN_ERR_BAD_REQUEST, NULL);
        return;
    }
    struct relay_alloc *a = alloc_find(r, f);
    if (!authenticate(r, f, m, a, key, &user))
        return;
    /* After authentication, so the 420 carries integrity the client can
     * check (RFC 8489 6.3.1.1). */
    if (has_unknown(m)) {
        reply_error(r, f, m, STUN_ERR_UNKNOWN_ATTRIBUTE, key);
        return;
    }
    if (m->method == TURN_METHOD_ALLOCATE) {
        do_allocate(r, f, m, a, key, user);
        return;
    }
    if (!a) {
        reply_error(r, f, m, STUN_ERR_ALLOCATION_MISMATCH, key);
        return;
    }
    if (r->ms) {
        /* [MS-TURN] 2.2.1: Send (0x0004) is never answered. */
        if (m->method == MSTURN_METHOD_SEND)
            ms_send(a, m);
        else
            ms_set_active(r, f, m, a, key);
        return;
    }
    if (m->method == TURN_METHOD_REFRESH)
        do_refresh(r, f, m, a, key);
    else if (m->method == TURN_METHOD_CREATE_PERMISSION)
        do_permission(r, f, m, a, key);
    else
        do_channel_bind(r, f, m, a, key);
}

/* [MS-TURN]: what a client sends that is not TURN goes, as it is, to its
 * active destination (media, or its own STUN); without one it is dropped. */
static void to_active(struct turn_relay *r, const struct relay_flow *f, const uint8_t *buf,
                      size_t len)
{
    struct relay_alloc *a = alloc_find(r, f);
    if (a && a->has_active)
        relay_out(a, &a->active, a->active_len, buf, len);
}

/* One STUN message or ChannelData frame from a client. */
static void on_client_frame(struct turn_relay *r, const struct relay_flow *f, const uint8_t *buf,
                            size_t len)
{
    struct stun_msg m;
    size_t used;
    if (r->ms && len > 0 && (buf[0] & 0xC0) != 0) {
        to_active(r, f, buf, len); /* [MS-TURN]: not TURN */
        return;
    }
    if (len > 0 && (buf[0] & 0xC0) == 0x40) {
        on_chandata(r, f, buf, len);
        return;
    }
    memset(&m, 0, offsetof(struct stun_msg, attrs));
    int rc = stun_msg_parse(&m, buf, len, f->conn == NULL, r->d, &used, NULL);
    if (rc == SYNTH_EPARSE || rc == SYNTH_ETOOBIG) {
        /* Broken past its header (the parser got as far as the type and
         * transaction id): a request gets 400, RFC 8489 6.3.1. */
        if (m.raw && m.cls == STUN_CLASS_REQUEST) {
            m.unknown_count = 0;
            reply_error(r, f, &m, STUN_ERR_BAD_REQUEST, NULL);
        }
        return;
    }
    if (rc == SYNTH_EUNSUPPORTED && r->ms) {
        to_active(r, f, buf, len); /* STUN, not MS-TURN: the client's ICE check */
        return;
    }
    if (rc != 0 || (m.fp >= 0 && stun_msg_check_fingerprint(&m) != 0))
        return; /* not STUN, or a bad FINGERPRINT: RFC 8489 7.3 drops it */
    if (m.cls == STUN_CLASS_REQUEST)
        on_request(r, f, &m);
    else if (m.cls == STUN_CLASS_INDICATION && m.method == TURN_METHOD_SEND)
        on_send_indication(r, &m, alloc_find(r, f));
}

static void client_datagram(void *arg, const struct dscp_packet *dp, uint8_t *buf)
{
    struct relay_flow f = {.conn = NULL, .addr = dp->from, .addr_len = dp->from_len};
    on_client_frame(arg, &f, buf, dp->len);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    read_burst(arg, (int)fd, client_datagram, arg);
}

/* ---- TCP ---- */

static void conn_free(struct relay_conn *c)
{
    struct turn_relay *r = c->r;
    /* RFC 8656 3.1: the allocation goes with its TCP connection. */
    if (c->alloc)
        alloc_free(c->alloc);
    bufferevent_free(c->bev);
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->conn_count--;
    free(c);
}

/* [MS-TURN] 2.1 frames from a TCP client: a control frame is a TURN
 * message, an end-to-end data frame goes to the active destination. */
static void conn_read_msturn(struct relay_conn *c, struct evbuffer *in)
{
    for (;;) {
        size_t avail = evbuffer_get_length(in), frame = 0;
        enum msturn_tcp_type type;
        uint8_t *head = avail >= MSTURN_TCP_HEADER_LEN ? evbuffer_pullup(in, MSTURN_TCP_HEADER_LEN)
                                                       : NULL;
        int rc = head ? msturn_tcp_frame(head, avail, &type, &frame) : SYNTH_EINCOMPLETE;
        if (rc == SYNTH_EINCOMPLETE || (rc == 0 && frame > avail))
            return;
        if (rc != 0) {
            conn_free(c); /* not MS-TURN framing: nothing more can be read */
            return;
        }
        const uint8_t *p = evbuffer_pullup(in, (ssize_t)frame) + MSTURN_TCP_HEADER_LEN;
        size_t n = frame - MSTURN_TCP_HEADER_LEN;
        if (type == MSTURN_TCP_DATA)
            to_active(c->r, &c->flow, p, n);
        else
            on_client_frame(c->r, &c->flow, p, n);
        evbuffer_drain(in, frame);
    }
}

/* [MS-TURN]: an Edge on TCP 443 MUST take a pseudo-TLS ClientHello as a
 * connection's first bytes and answer it (pseudo_tls.h); a connection that
 * opens with a 2.1 frame has none. False while the hello is incomplete,
 * or when the connection was closed for a wrong one. */
static bool conn_opening(struct relay_conn *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    const uint8_t *p = evbuffer_pullup(in, 1);
    if (!p)
        return false;
    if (p[0] != PSEUDO_TLS_RECORD_HANDSHAKE) {
        c->opened = true;
        return true;
    }
    size_t want = avail < PSEUDO_TLS_CLIENT_HELLO_LEN ? avail : PSEUDO_TLS_CLIENT_HELLO_LEN;
    p = evbuffer_pullup(in, (ev_ssize_t)want);
    int rc = pseudo_tls_check_client_hello(p, want, NULL);
    if (rc == SYNTH_EINCOMPLETE)
        return false;
    if (rc != 0) {
        conn_free(c); /* a real TLS client, or garbage: nothing we can read */
        return false;
    }
    evbuffer_drain(in, PSEUDO_TLS_CLIENT_HELLO_LEN);
    uint8_t answer[PSEUDO_TLS_SERVER_HELLO_LEN];
    pseudo_tls_server_hello(answer);
    bufferevent_write(c->bev, answer, sizeof(answer));
    atomic_fetch_add(&c->r->stats->turn_pseudo_tls, 1);
    c->opened = true;
    return true;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
    struct relay_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->r->ms) {
        if (c->opened || conn_opening(c, in))
            conn_read_msturn(c, in);
        return;
    }
    /* Bounded by what the input holds (RELAY_TCP_IN_MAX, the watermark). */
    for (;;) {
        size_t avail = evbuffer_get_length(in), frame = 0;
        uint8_t *head = avail >= 4 ? evbuffer_pullup(in, 4) : NULL;
        int rc = head ? stun_stream_frame_len(head, avail, &frame) : SYNTH_EINCOMPLETE;
        if (rc == SYNTH_EINCOMPLETE || (rc == 0 && frame > avail))
            return;
        if (rc != 0) {
            conn_free(c); /* not STUN framing: nothing more can be read */
            return;
        }
        on_client_frame(c->r, &c->flow, evbuffer_pullup(in, (ssize_t)frame), frame);
        evbuffer_drain(in, frame);
    }
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct turn_relay *r = arg;
    (void)l;
    struct relay_conn *c = r->conn_count < RELAY_CONNS_MAX ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    /* Media over TCP: Nagle would hold each small frame for the ACK of the
     * last (about 40 ms each on loopback, measured). */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->r = r;
    c->flow.conn = c;
    memcpy(&c->flow.addr, sa, (size_t)salen < sizeof(c->flow.addr) ? (size_t)salen
                                                                     : sizeof(c->flow.addr));
    c->flow.addr_len = (socklen_t)salen;
    c->bev = bufferevent_socket_new(r->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        evutil_closesocket(fd);
        free(c);
        return;
    }
    c->next = r->conns;
    if (r->conns)
        r->conns->prev = c;
    r->conns = c;
    r->conn_count++;
    bufferevent_setwatermark(c->bev, EV_READ, 0, RELAY_TCP_IN_MAX);
    bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- housekeeping ---- */

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct turn_relay *r = arg;
    uint64_t now = lab_now_ms();
    (void)fd;
    (void)what;
    for (struct relay_alloc *a = r->allocs, *next; a; a = next) {
        next = a->next;
        if (a->expire_ms <= now)
            alloc_free(a);
        else
            turn_peers_expire(&a->peers, now);
    }
    pthread_mutex_lock(&r->creds_mu);
    turn_creds_expire(&r->creds, now);
    pthread_mutex_unlock(&r->creds_mu);
    resv_expire(r, now);
}

/* ---- start and stop ---- */

static int listen_on(struct turn_relay *r, uint16_t port, struct synth_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (net_addr_from_ip(strv_from_cstr(r->cfg->listen_host), port, &ss, &len) != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "turn relay: listen_host '%s' is not an IP",
                               r->cfg->listen_host);
    r->udp_fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->udp_fd < 0 || bind(r->udp_fd, (struct sockaddr *)&ss, len) != 0 ||
        getsockname(r->udp_fd, (struct sockaddr *)&ss, &len) != 0) {
        int e = errno;
        if (r->udp_fd >= 0)
            close(r->udp_fd);
        r->udp_fd = -1;
        return synth_error_set(err, SYNTH_EIO, "turn relay: udp %s:%u: %s", r->cfg->listen_host,
                               port, strerror(e));
    }
    r->port = net_addr_port(&ss);
    /* Every client's ChannelData arrives on this one socket: at the
     * default buffer (about 270 small datagrams, as the kernel counts each
     * one's overhead) a stall of the lab's loop of 30 ms dropped media at 100
     * relayed calls. Best effort: the kernel caps it at net.core.rmem_max. */
    int rcvbuf = RELAY_UDP_RCVBUF;
    setsockopt(r->udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    r->tcp = evconnlistener_new_bind(r->base, on_accept, r,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                         LEV_OPT_CLOSE_ON_EXEC,
                                     RELAY_LISTEN_BACKLOG, (struct sockaddr *)&ss, (int)len);
    if (!r->tcp) {
        int e = errno;
        close(r->udp_fd);
        r->udp_fd = -1;
        return synth_error_set(err, SYNTH_EIO, "turn relay: tcp %s:%u: %s", r->cfg->listen_host,
                               r->port, strerror(e));
    }
    /* Relayed sockets bind to the listen address; a wildcard becomes
     * loopback, an address peers can send to. */
    r->relay_ip = ss;
    r->relay_ip_len = len;
    if (is_unspecified(&ss))
        net_addr_from_ip(strv_from_cstr(ss.ss_family == AF_INET6 ? "::1" : "127.0.0.1"), 0,
                         &r->relay_ip, &r->relay_ip_len);
    set_port(&r->relay_ip, 0);
    return 0;
}

int turn_relay_start(struct turn_relay **out, struct event_base *base,
                     const struct turn_relay_opts *o, struct synth_error *err)
{
    int rc;
    const struct lab_config *cfg = o->cfg;
    if (cfg->turn_relay_first == 0 || cfg->turn_relay_first > cfg->turn_relay_last)
        return synth_error_set(err, SYNTH_ECONFIG, "turn relay: bad relay port range %u-%u",
                               cfg->turn_relay_first, cfg->turn_relay_last);
    struct turn_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return synth_error_set(err, SYNTH_ENOMEM, "turn relay: out of memory");
    r->base = base;
    r->cfg = cfg;
    r->ms = cfg->turn_msturn;
    r->d = r->ms ? &stun_dialect_msturn : NULL;
    r->stats = o->stats;
    r->inside = o->inside;
    r->inside_arg = o->inside_arg;
    r->nonce_lifetime_ms = cfg->turn_nonce_lifetime_ms ? cfg->turn_nonce_lifetime_ms
                                                       : o->nonce_lifetime_ms;
    r->lifetime_default_s = o->lifetime_default_s ? o->lifetime_default_s
                                                  : RELAY_LIFETIME_DEFAULT_S;
    r->udp_fd = -1;
    pthread_mutex_init(&r->creds_mu, NULL);
    r->rx = malloc((size_t)RELAY_RX_BATCH * RELAY_DATAGRAM_MAX);
    if (!r->rx) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "turn relay: out of memory");
        goto fail;
    }
    if (lab_nonce_key_init(&r->nonce_key) != 0) {
        rc = synth_error_set(err, SYNTH_EINTERNAL, "turn relay: no random bytes for nonces");
        goto fail;
    }
    /* Port 0: the kernel picks a UDP port, which may be taken on TCP. */
    rc = listen_on(r, cfg->turn_port, err);
    for (int i = 1; rc != 0 && cfg->turn_port == 0 && i < RELAY_PORT_TRIES; i++)
        rc = listen_on(r, 0, err);
    if (rc != 0)
        goto fail;
    r->udp_ev = event_new(base, r->udp_fd, EV_READ | EV_PERSIST, on_udp, r);
    r->sweep = event_new(base, -1, EV_PERSIST, on_sweep, r);
    struct timeval tv = {RELAY_SWEEP_MS / 1000, (RELAY_SWEEP_MS % 1000) * 1000};
    if (!r->udp_ev || !r->sweep || event_add(r->udp_ev, NULL) != 0 ||
        event_add(r->sweep, &tv) != 0) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "turn relay: events");
        goto fail;
    }
    if (cfg->turn_user[0] &&
        turn_relay_add_credential(r, cfg->turn_user, cfg->turn_password, 0) != 0) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "turn relay: bad turn_user");
        goto fail;
    }
    *out = r;
    return 0;
fail:
    turn_relay_free(r);
    return rc;
}

void turn_relay_free(struct turn_relay *r)
{
    if (!r)
        return;
    while (r->conns)
        conn_free(r->conns);
    while (r->allocs)
        alloc_free(r->allocs);
    resv_expire(r, UINT64_MAX);
    if (r->sweep)
        event_free(r->sweep);
    if (r->udp_ev)
        event_free(r->udp_ev);
    if (r->tcp)
        evconnlistener_free(r->tcp);
    if (r->udp_fd >= 0)
        close(r->udp_fd);
    pthread_mutex_destroy(&r->creds_mu);
    free(r->rx);
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
}

uint16_t turn_relay_port(const struct turn_relay *r)
{
    return r->port;
}

void turn_relay_address(const struct turn_relay *r, struct sockaddr_storage *out,
                        socklen_t *out_len)
{
    *out = r->relay_ip;
    *out_len = r->relay_ip_len;
    set_port(out, r->port);
}
