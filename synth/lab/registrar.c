/* The lab's Front End: registrar (RFC 3261 10) with Digest (RFC 3261 22,
 * RFC 7616, SHA-256 first per RFC 8760) and a transaction-stateful,
 * record-routing proxy (RFC 3261 16) in front of the UM. Responses carry
 * ms-diagnostics the way an SfB pool writes them: code;reason;source. */
#include "registrar.h"

#include "synth/base/sbuf.h"
#include "synth/lab/lab_nonce.h"
#include "synth/lab/lab_ntlm.h"
#include "synth/lab/rate_window.h"
#include "synth/sip/build.h"
#include "synth/sip/digest.h"
#include "synth/sip/msg.h"
#include "synth/sip/transport.h"
#include "synth/tls/tls_ctx.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Connections and UDP peers the FE keeps apart. A stream refused past this
 * is closed at once; the least recently used UDP peer is forgotten. */
#define FE_FLOWS_MAX 65536
#define FE_FLOW_BUCKETS 4096
/* A UDP peer silent this long is forgotten: longer than a registration
 * (FE_EXPIRES_MAX) so a re-REGISTER finds its flow, and than a call. */
#define FE_UDP_FLOW_IDLE_MS (2 * 3600 * 1000)
/* INVITE transactions in flight: what CANCEL and late ACKs are matched against. */
#define FE_TXNS_MAX 65536
#define FE_TXN_BUCKETS 4096
/* RFC 3261 16.6 step 11: Timer C, reset by each provisional response, must
 * exceed 3 minutes. A never-answered call is forgotten after it. */
#define FE_TIMER_C_MS 181000
/* After the final response, 64*T1 (RFC 3261 17.2.1 Timer H) so the ACK of a
 * non-2xx and a late CANCEL still find the transaction. */
#define FE_TXN_LINGER_MS 32000
/* Housekeeping period for transactions and UDP flows. */
#define FE_SWEEP_MS 1000
/* Largest request the FE forwards; above it 513 (RFC 3261 21.5.14). Real
 * SfB INVITEs with ICE candidates and crypto lines stay under 8 KB. */
#define FE_REQUEST_MAX 16384
/* A forwarded message: the request plus our Via, Record-Route, received/rport. */
#define FE_FWD_MAX (FE_REQUEST_MAX + 2048)
/* Extra header lines of a response we build (challenges, bindings). */
#define FE_EXTRA_MAX 4096
/* An Authentication-Info line: rspauth, srand, snum, opaque, the names. */
#define FE_AUTH_INFO_MAX 1024
/* RFC 3261 10.2.1.1: the registrar may shorten the expiry; SfB grants at most an hour. */
#define FE_EXPIRES_MAX 3600
#define FE_EXPIRES_DEFAULT 3600
/* Contacts one user may hold: a desktop, a phone, a mobile and a spare. */
#define FE_BINDINGS_PER_USER 4
#define FE_CONTACT_MAX 256
/* A nonce: 64-bit issue time, 64 random bits, and a 128-bit HMAC of both,
 * in hex (lab_nonce): 64 characters, inside the lengths real servers use. */
#define FE_NONCE_RAND_BYTES 8
#define FE_NONCE_LEN LAB_NONCE_LEN(FE_NONCE_RAND_BYTES)
#define FE_BRANCH_MAX 64
/* MRAS credentials last 8 hours at most ([MS-AVEDGEA] clients ask 480 minutes). */
#define MRAS_LIFETIME_MIN 480
#define FE_METHOD_MAX 32
#define FE_HOP_CONNECT_TIMEOUT_MS 5000
#define FE_LISTEN_BACKLOG 512
#define FE_HOST_MAX 80
/* Our Via branches: the magic cookie (RFC 3261 8.1.1.7), "fe" (Front End)
 * or "ed" (Edge), the flow the request came from, 'x' and a hash of the
 * client transaction. The role tag keeps a trace readable. */
#define FE_BRANCH_PREFIX "z9hG4bKfe"
#define EDGE_BRANCH_PREFIX "z9hG4bKed"
#define BRANCH_PREFIX_LEN (sizeof(FE_BRANCH_PREFIX) - 1)

/* ms-diagnostics codes the lab writes: [MS-OCER]'s ErrorIds for the same
 * situations (synth/sip/ms_diag.c explains them), so a report of the lab
 * reads as one of a real pool would. */
/* faults.max_call_rate counts INVITEs over a sliding second; a refused
 * caller is told to retry after a second, when the window has moved on. */
#define FE_CALL_RATE_WINDOW_MS 1000
#define FE_BUSY_RETRY_AFTER_S 1

enum fe_diag {
    DIAG_AUTH_FAILED = 1000,      /* "Final handshake failed." */
    DIAG_USER_NOT_FOUND = 1003,   /* "User does not exist." */
    DIAG_REGISTER_REFUSED = 4000, /* "User services default." */
    DIAG_UNAVAILABLE = 1007,      /* "Temporarily cannot route." */
    DIAG_AOR_MISMATCH = 4004,     /* "Credentials provided are not authorized to act as specified from URI." */
    DIAG_NOT_ROUTABLE = 4005,     /* "Destination URI either not enabled for SIP or does not exist." */
    DIAG_MRAS_REFUSED = 9000,     /* the MRAS range: a server not allowed relay credentials */
    DIAG_MRAS_USER_REFUSED = 9001, /* ... a user not allowed them (mras_refuse_users) */
};

enum flow_kind {
    FLOW_STREAM, /* an accepted TCP or TLS connection */
    FLOW_UDP,    /* one source address on the UDP socket */
    FLOW_HOP,     /* the FE→UM link */
};

/* Where a message came from and where a reply goes: the unit the
 * Record-Route cid names, so in-dialog requests from the UM find the caller. */
struct flow {
    struct registrar *fe;
    uint64_t id;
    enum flow_kind kind;
    enum sip_transport transport;
    struct sip_conn *conn; /* stream or UM link; UDP flows use fe->udp */
    struct sip_addr_storage addr;
    uint64_t last_used_ms;
    struct flow *next_id, *next_addr; /* hash chains */
    struct flow *prev, *next;         /* all flows, least recently used first */
};

/* An INVITE the FE forwarded or answered itself (RFC 3261 16.10 "response context"). */
struct fe_txn {
    char branch[FE_BRANCH_MAX]; /* ours, toward the UM */
    uint64_t flow_id;
    bool local;     /* answered by the FE (407, 503...): absorb the ACK */
    bool final;     /* a final response went back to the client */
    bool cancelled; /* we answered a CANCEL: absorb the UM's 200 to ours */
    uint64_t expire_ms;
    struct fe_txn *next_hash;
    struct fe_txn *prev, *next;
};

struct binding {
    char uri[FE_CONTACT_MAX];
    uint64_t flow_id; /* the connection or source it registered over */
    uint64_t expire_ms;
};

struct aor {
    struct binding b[FE_BINDINGS_PER_USER];
    unsigned count;
};

enum hop_state { HOP_DOWN, HOP_CONNECTING, HOP_UP };

struct fe_listener {
    struct registrar *fe;
    enum sip_transport transport;
    struct evconnlistener *l;
};

struct registrar {
    enum registrar_role role;
    const char *branch_prefix; /* FE_BRANCH_PREFIX or EDGE_BRANCH_PREFIX */
    struct event_base *base;
    const struct lab_config *cfg;
    struct lab_stats *stats;
    SSL_CTX *server_ctx, *hop_ctx;
    char host[FE_HOST_MAX]; /* for Via and Record-Route */
    char fqdn[LAB_NAME_MAX];
    char hop_name[LAB_NAME_MAX];
    struct sip_addr_storage hop_addr;
    uint32_t nonce_lifetime_ms;
    bool challenge_invites;
    struct rate_window call_rate; /* faults.max_call_rate: new INVITEs admitted per second */
    void (*link_ready)(int err, const char *detail, void *arg);
    int (*mras_issue)(const char *user, const char *password, uint32_t lifetime_s,
                      struct mras_relay *relay, void *arg);
    void *arg;
    bool link_reported;

    struct sip_conn *udp;
    struct fe_listener tcp, tls;
    uint16_t port[3]; /* by enum sip_transport */

    struct flow *flow_by_id[FE_FLOW_BUCKETS];
    struct flow *flow_by_addr[FE_FLOW_BUCKETS];
    struct flow *flows_head, *flows_tail;
    size_t flow_count;
    uint64_t next_flow_id;
    struct flow *hop;
    enum hop_state hop_state;

    struct fe_txn *txn_by_branch[FE_TXN_BUCKETS];
    struct fe_txn *txns_head, *txns_tail;
    size_t txn_count;

    struct aor **aors; /* by user index, allocated on first REGISTER */
    uint32_t user_count;

    struct lab_nonce_key nonce_key;
    uint64_t hash_salt;
    /* auth: ntlm ([MS-SIPAE]): the Front End's SAs, and the one that signs
     * the answers to the request being handled (NULL: none). */
    struct lab_ntlm *ntlm;
    struct sipae_server_sa *sign_sa;
    struct event *sweep;
};

static const char ALLOW[] =
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, MESSAGE, SUBSCRIBE, NOTIFY\r\n";

/* ---- hashing ------------------------------------------------------------ */

/* FNV-1a, 64-bit: spreads buckets and names client transactions. Not a
 * defence against a hostile peer; the lab is on loopback. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static uint64_t addr_hash(const struct sip_addr_storage *a)
{
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        uint64_t h = fnv(FNV_INIT, &s6->sin6_addr, sizeof(s6->sin6_addr));
        return fnv(h, &s6->sin6_port, sizeof(s6->sin6_port));
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
    uint64_t h = fnv(FNV_INIT, &s4->sin_addr, sizeof(s4->sin_addr));
    return fnv(h, &s4->sin_port, sizeof(s4->sin_port));
}

static void addr_set_port(struct sip_addr_storage *a, uint16_t port)
{
    if (a->ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
}

static void addr_ip(const struct sip_addr_storage *a, char *out, size_t size, uint16_t *port)
{
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)size);
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)size);
        *port = ntohs(s4->sin_port);
    }
}

/* ---- flows ---------------------------------------------------------------- */

static void flow_list_remove(struct registrar *fe, struct flow *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        fe->flows_head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        fe->flows_tail = f->prev;
    f->prev = f->next = NULL;
}

static void flow_list_append(struct registrar *fe, struct flow *f)
{
    f->prev = fe->flows_tail;
    f->next = NULL;
    if (fe->flows_tail)
        fe->flows_tail->next = f;
    else
        fe->flows_head = f;
    fe->flows_tail = f;
}

static void flow_touch(struct registrar *fe, struct flow *f)
{
    f->last_used_ms = lab_now_ms();
    if (f->kind != FLOW_HOP && fe->flows_tail != f) {
        flow_list_remove(fe, f);
        flow_list_append(fe, f);
    }
}

static struct flow *flow_by_id(const struct registrar *fe, uint64_t id)
{
    for (struct flow *f = fe->flow_by_id[id % FE_FLOW_BUCKETS]; f; f = f->next_id)
        if (f->id == id)
            return f;
    return NULL;
}

static void flow_unchain(struct flow **head, struct flow *f, bool by_addr)
{
    for (struct flow **pp = head; *pp; pp = by_addr ? &(*pp)->next_addr : &(*pp)->next_id) {
        if (*pp == f) {
            *pp = by_addr ? f->next_addr : f->next_id;
            return;
        }
    }
}

/* Forgets a flow. A stream's conn is freed by the caller (it may be inside
 * the conn's own handler, where sip_conn_free defers). */
static void flow_free(struct registrar *fe, struct flow *f)
{
    flow_unchain(&fe->flow_by_id[f->id % FE_FLOW_BUCKETS], f, false);
    if (f->kind == FLOW_UDP)
        flow_unchain(&fe->flow_by_addr[addr_hash(&f->addr) % FE_FLOW_BUCKETS], f, true);
    flow_list_remove(fe, f);
    fe->flow_count--;
    free(f);
}

static struct flow *flow_new(struct registrar *fe, enum flow_kind kind, enum sip_transport t)
{
    struct flow *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->fe = fe;
    f->id = fe->next_flow_id++;
    f->kind = kind;
    f->transport = t;
    f->last_used_ms = lab_now_ms();
    f->next_id = fe->flow_by_id[f->id % FE_FLOW_BUCKETS];
    fe->flow_by_id[f->id % FE_FLOW_BUCKETS] = f;
    flow_list_append(fe, f);
    fe->flow_count++;
    return f;
}

/* The oldest UDP flow, to make room; streams are never evicted (they end
 * with their connection). */
static bool flow_evict_udp(struct registrar *fe)
{
    for (struct flow *f = fe->flows_head; f; f = f->next) {
        if (f->kind == FLOW_UDP) {
            flow_free(fe, f);
            return true;
        }
    }
    return false;
}

static struct flow *flow_udp_get(struct registrar *fe, const struct sip_addr_storage *src)
{
    size_t b = addr_hash(src) % FE_FLOW_BUCKETS;
    for (struct flow *f = fe->flow_by_addr[b]; f; f = f->next_addr) {
        if (sip_addr_equal(&f->addr, src)) {
            flow_touch(fe, f);
            return f;
        }
    }
    if (fe->flow_count >= FE_FLOWS_MAX && !flow_evict_udp(fe))
        return NULL;
    struct flow *f = flow_new(fe, FLOW_UDP, SIP_TRANSPORT_UDP);
    if (!f)
        return NULL;
    f->addr = *src;
    f->next_addr = fe->flow_by_addr[b];
    fe->flow_by_addr[b] = f;
    return f;
}

/* Sends on a flow. For UDP the destination follows RFC 3261 18.2.2 and RFC
 * 3581 4: the source address, and the source port when the Via asked for
 * rport, else the Via's port. via is NULL for requests (the source address). */
static int flow_send(struct registrar *fe, struct flow *f, const char *buf, size_t len,
                     const struct sip_via *via)
{
    if (f->kind == FLOW_UDP) {
        struct sip_addr_storage to = f->addr;
        if (via && !via->has_rport)
            addr_set_port(&to, via->port ? via->port : 5060);
        return sip_conn_send(fe->udp, buf, len, &to);
    }
    if (!f->conn)
        return SYNTH_ECLOSED;
    return sip_conn_send(f->conn, buf, len, NULL);
}

/* ---- message rewriting ---------------------------------------------------- */

#define REWRITE_EDITS_MAX 4

/* A forwarded message is the received one with a few changes: lines added
 * after the start line, one element of a header replaced or removed, lines
 * added before the blank line. Everything else is copied byte for byte, so
 * headers the lab does not know pass through untouched (RFC 3261 16.6). */
struct rewrite {
    const char *insert;
    const char *append;
    struct rewrite_edit {
        struct strv at;   /* a header value view into the message */
        const char *repl; /* NULL: remove that element */
    } edit[REWRITE_EDITS_MAX];
    size_t edits;
};

static void rewrite_edit(struct rewrite *rw, struct strv at, const char *repl)
{
    if (at.p && rw->edits < REWRITE_EDITS_MAX)
        rw->edit[rw->edits++] = (struct rewrite_edit){at, repl};
}

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void emit_line(struct sbuf *sb, const char *s, const char *e, const struct rewrite_edit *ed)
{
    if (!ed) {
        sbuf_put(sb, s, (size_t)(e - s));
        sbuf_puts(sb, "\r\n");
        return;
    }
    const char *a = ed->at.p, *b = ed->at.p + ed->at.l;
    if (ed->repl) {
        sbuf_put(sb, s, (size_t)(a - s));
        sbuf_puts(sb, ed->repl);
        sbuf_put(sb, b, (size_t)(e - b));
        sbuf_puts(sb, "\r\n");
        return;
    }
    /* Remove one element of a comma list (RFC 3261 7.3.1). */
    const char *q = b;
    while (q < e && is_lws(*q))
        q++;
    if (q < e && *q == ',') {
        q++;
        while (q < e && is_lws(*q))
            q++;
        sbuf_put(sb, s, (size_t)(a - s));
        sbuf_put(sb, q, (size_t)(e - q));
        sbuf_puts(sb, "\r\n");
        return;
    }
    const char *colon = memchr(s, ':', (size_t)(a - s));
    const char *r = a;
    while (colon && r > colon + 1 && is_lws(r[-1]))
        r--;
    if (colon && r > colon + 1 && r[-1] == ',') {
        sbuf_put(sb, s, (size_t)(r - 1 - s));
        sbuf_put(sb, b, (size_t)(e - b));
        sbuf_puts(sb, "\r\n");
    }
    /* else the element was alone on its line: the line goes */
}

static int msg_rewrite(struct sbuf *sb, const struct sip_msg *m, const struct rewrite *rw)
{
    const char *p = m->raw.p, *end = m->raw.p + m->raw.l;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return SYNTH_EPARSE;
    const char *le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    sbuf_put(sb, p, (size_t)(le - p));
    sbuf_puts(sb, "\r\n");
    if (rw->insert)
        sbuf_puts(sb, rw->insert);
    p = nl + 1;
    while (p < end) {
        /* One logical header line, folded continuations included. */
        const char *q = p;
        for (;;) {
            nl = memchr(q, '\n', (size_t)(end - q));
            if (!nl) {
                nl = end;
                break;
            }
            if (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
                q = nl + 1;
                continue;
            }
            break;
        }
        le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
        if (le == p)
            break; /* the blank line */
        const struct rewrite_edit *ed = NULL;
        for (size_t i = 0; i < rw->edits; i++)
            if (rw->edit[i].at.p >= p && rw->edit[i].at.p < le)
                ed = &rw->edit[i];
        emit_line(sb, p, le, ed);
        p = nl + 1;
    }
    if (rw->append)
        sbuf_puts(sb, rw->append);
    sbuf_puts(sb, "\r\n");
    if (m->body.l)
        sbuf_put_strv(sb, m->body);
    return sbuf_result(sb);
}

/* The n-th (0-based) value of a header, or NULL. */
static const struct sip_hdr *hdr_nth(const struct sip_msg *m, enum sip_hdr_id id, unsigned n)
{
    const struct sip_hdr *h = sip_msg_hdr(m, id, NULL);
    while (h && n--)
        h = sip_msg_hdr(m, id, h);
    return h;
}

/* The client's Via with received and rport filled in (RFC 3261 18.2.1, RFC
 * 3581 4), so the UM and any later hop see where the request really came from. */
static void via_received(struct sbuf *sb, const struct sip_hdr *via, const struct sip_via *v,
                         const struct sip_addr_storage *src)
{
    struct strv val = via->value;
    size_t head = v->params.p ? (size_t)(v->params.p - val.p) : val.l;
    sbuf_put(sb, val.p, head);
    const char *p = v->params.p, *e = v->params.p ? v->params.p + v->params.l : NULL;
    while (p && p < e) {
        const char *s = p + 1; /* past ';' */
        const char *n = memchr(s, ';', (size_t)(e - s));
        if (!n)
            n = e;
        struct strv param = strv_trim(strv_make(s, (size_t)(n - s)));
        size_t nl = 0;
        while (nl < param.l && param.p[nl] != '=')
            nl++;
        struct strv name = strv_trim(strv_make(param.p, nl));
        if (param.l && !strv_caseeq(name, "received") && !strv_caseeq(name, "rport")) {
            sbuf_puts(sb, ";");
            sbuf_put_strv(sb, param);
        }
        p = n;
    }
    char ip[INET6_ADDRSTRLEN];
    uint16_t port;
    addr_ip(src, ip, sizeof(ip), &port);
    sbuf_printf(sb, ";received=%s", ip);
    if (v->has_rport)
        sbuf_printf(sb, ";rport=%u", port);
}

/* ---- replies ---------------------------------------------------------------- */

/* [MS-SIPAE] 3.2.5.2: the response as built, signed by sa: the signature
 * covers the fields of the response itself (its To tag, its status), so it
 * is parsed back and Authentication-Info goes in after the status line. */
static int sign_response(struct registrar *fe, struct sipae_server_sa *sa, struct sbuf *sb)
{
    char line[FE_AUTH_INFO_MAX], copy[SIP_BUILD_MAX + FE_EXTRA_MAX];
    struct sbuf ls;
    struct sip_msg resp;
    size_t used = 0;
    if (sb->len > sizeof(copy) || sip_msg_parse(&resp, sb->buf, sb->len, false, &used) != 0)
        return SYNTH_EINTERNAL;
    sbuf_init(&ls, line, sizeof(line));
    int rc = lab_ntlm_sign_line(fe->ntlm, sa, &resp, &ls);
    if (rc != 0)
        return rc;
    const char *nl = memchr(sb->buf, '\n', sb->len);
    if (!nl)
        return SYNTH_EINTERNAL;
    size_t head = (size_t)(nl + 1 - sb->buf);
    memcpy(copy, sb->buf, sb->len);
    size_t len = sb->len;
    sbuf_init(sb, sb->buf, sb->cap);
    sbuf_put(sb, copy, head);
    sbuf_put(sb, ls.buf, ls.len);
    sbuf_put(sb, copy + head, len - head);
    return sbuf_result(sb);
}

static void fe_respond(struct registrar *fe, struct flow *f, const struct sip_msg *req,
                       uint16_t status, const char *reason, const char *extra)
{
    char buf[SIP_BUILD_MAX + FE_EXTRA_MAX];
    struct sbuf sb;
    char tag[17];
    sbuf_init(&sb, buf, sizeof(buf));
    /* RFC 3261 8.2.6.2: a To tag on everything but 100. */
    sip_random_token(tag, sizeof(tag));
    if (sip_build_response(&sb, req, status, reason, status == 100 ? NULL : tag, extra, NULL,
                           NULL, 0) != 0)
        return;
    if (fe->sign_sa && sign_response(fe, fe->sign_sa, &sb) != 0)
        return;
    flow_send(fe, f, sb.buf, sb.len, &req->via);
}

/* A 200 carrying body (an MRAS answer), signed like every response under
 * NTLM; the buffer is wiped (it may hold a credential). True when sent. */
static bool fe_respond_body(struct registrar *fe, struct flow *f, const struct sip_msg *req,
                            const char *content_type, const char *body, size_t len)
{
    char tag[17], out[SIP_BUILD_MAX + MRAS_BODY_MAX];
    struct sbuf ob;
    bool sent = false;
    sbuf_init(&ob, out, sizeof(out));
    sip_random_token(tag, sizeof(tag));
    if (sip_build_response(&ob, req, 200, NULL, tag, NULL, content_type, body, len) == 0 &&
        (!fe->sign_sa || sign_response(fe, fe->sign_sa, &ob) == 0)) {
        sent = true;
        flow_send(fe, f, ob.buf, ob.len, &req->via);
    }
    OPENSSL_cleanse(out, sizeof(out));
    return sent;
}

static void diag_line(struct sbuf *x, const struct registrar *fe, enum fe_diag code,
                      const char *reason)
{
    sbuf_printf(x, "ms-diagnostics: %d;reason=\"%s\";source=\"%s\"\r\n", (int)code, reason,
                fe->fqdn);
}

static void fe_respond_diag(struct registrar *fe, struct flow *f, const struct sip_msg *req,
                            uint16_t status, enum fe_diag code, const char *reason,
                            uint32_t retry_after_s)
{
    char extra[FE_EXTRA_MAX];
    struct sbuf x;
    sbuf_init(&x, extra, sizeof(extra));
    if (retry_after_s)
        sbuf_printf(&x, "Retry-After: %" PRIu32 "\r\n", retry_after_s);
    diag_line(&x, fe, code, reason);
    fe_respond(fe, f, req, status, NULL, extra);
}

/* ---- Digest ----------------------------------------------------------------- */

/* Nonces are stateless (lab_nonce). Replay of a (nonce, nc) pair within the
 * lifetime is not detected: the lab trusts its loopback clients. */
static int nonce_make(const struct registrar *fe, char out[FE_NONCE_LEN + 1])
{
    return lab_nonce_make(&fe->nonce_key, lab_now_ms(), FE_NONCE_RAND_BYTES, out,
                          FE_NONCE_LEN + 1);
}

static enum lab_nonce_state nonce_check(const struct registrar *fe, struct strv nonce)
{
    return lab_nonce_check(&fe->nonce_key, nonce, FE_NONCE_RAND_BYTES, lab_now_ms(),
                           fe->nonce_lifetime_ms);
}

/* Two challenges, SHA-256 first (RFC 8760 2.4: in order of preference), MD5
 * for the clients that know nothing else. */
static int challenge_lines(const struct registrar *fe, struct sbuf *x, const char *hdr, bool stale)
{
    char nonce[FE_NONCE_LEN + 1];
    int rc = nonce_make(fe, nonce);
    if (rc != 0)
        return rc;
    const enum digest_algo algos[] = {DIGEST_SHA256, DIGEST_MD5};
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
        sbuf_printf(x, "%s: ", hdr);
        rc = digest_challenge_write(x, algos[i], fe->cfg->domain, nonce, NULL);
        if (rc != 0)
            return rc;
        if (stale)
            sbuf_puts(x, ", stale=true");
        sbuf_puts(x, "\r\n");
    }
    return sbuf_result(x);
}

/* user0001..userNNNN (lab_config.h); anything else is not a lab user. */
static bool user_index(const struct registrar *fe, struct strv name, uint32_t *idx)
{
    uint32_t n;
    char canon[32];
    if (name.l < 5 || memcmp(name.p, "user", 4) != 0)
        return false;
    if (strv_to_u32(strv_make(name.p + 4, name.l - 4), &n) != 0 || n == 0 || n > fe->user_count)
        return false;
    snprintf(canon, sizeof(canon), "user%04" PRIu32, n);
    if (!strv_eq(name, canon))
        return false;
    *idx = n - 1;
    return true;
}

enum auth_result {
    AUTH_OK,
    AUTH_MISSING,   /* no credentials for our realm, or a nonce we did not issue: challenge */
    AUTH_STALE,     /* right password, old nonce: challenge with stale=true (RFC 7616 3.3) */
    AUTH_FAILED,    /* wrong password: 403 */
    AUTH_NO_USER,   /* 404 */
    AUTH_MALFORMED, /* 400 */
};

static enum auth_result auth_check(const struct registrar *fe, const struct sip_msg *m,
                                   enum sip_hdr_id id, uint32_t *user)
{
    struct digest_credentials c;
    bool found = false;
    char method[FE_METHOD_MAX];

    for (const struct sip_hdr *h = sip_msg_hdr(m, id, NULL); h; h = sip_msg_hdr(m, id, h)) {
        int rc = digest_credentials_parse(&c, h->value);
        if (rc == SYNTH_EUNSUPPORTED)
            continue; /* NTLM, Kerberos, TLS-DSK: real clients offer them; not ours */
        if (rc != 0)
            return AUTH_MALFORMED;
        if (strv_eq(c.realm, fe->cfg->domain)) {
            found = true;
            break;
        }
    }
    if (!found)
        return AUTH_MISSING;
    if (!user_index(fe, c.username, user))
        return AUTH_NO_USER;
    enum lab_nonce_state ns = nonce_check(fe, c.nonce);
    if (ns == LAB_NONCE_FOREIGN)
        return AUTH_MISSING;
    /* RFC 7616 3.4.6 (RFC 2617 3.2.2.5): the digest-uri must be the request's. */
    if (c.uri.l != m->ruri.l || memcmp(c.uri.p, m->ruri.p, c.uri.l) != 0)
        return AUTH_MALFORMED;
    if (strv_copy(m->method, method, sizeof(method)) != 0)
        return AUTH_MALFORMED;
    if (!digest_verify(&c, method, fe->cfg->password))
        return AUTH_FAILED;
    return ns == LAB_NONCE_STALE ? AUTH_STALE : AUTH_OK;
}

/* Answers a request whose credentials were not AUTH_OK; proxy selects 407
 * and Proxy-Authenticate (RFC 3261 22.3) over 401 and WWW-Authenticate. */
static void auth_refuse(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                        enum auth_result ar, bool proxy)
{
    char extra[FE_EXTRA_MAX];
    struct sbuf x;
    sbuf_init(&x, extra, sizeof(extra));
    switch (ar) {
    case AUTH_MISSING:
    case AUTH_STALE:
        if (challenge_lines(fe, &x, proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
                            ar == AUTH_STALE) != 0) {
            fe_respond(fe, f, m, 500, NULL, NULL);
            return;
        }
        fe_respond(fe, f, m, proxy ? 407 : 401, NULL, extra);
        return;
    case AUTH_FAILED:
        atomic_fetch_add(&fe->stats->reg_rejected, proxy ? 0 : 1);
        fe_respond_diag(fe, f, m, 403, DIAG_AUTH_FAILED, "Authentication failed", 0);
        return;
    case AUTH_NO_USER:
        atomic_fetch_add(&fe->stats->reg_rejected, proxy ? 0 : 1);
        fe_respond_diag(fe, f, m, 404, DIAG_USER_NOT_FOUND, "User does not exist", 0);
        return;
    case AUTH_MALFORMED:
        fe_respond(fe, f, m, 400, "Bad Authorization header", NULL);
        return;
    case AUTH_OK:
        return;
    }
}

/* ---- NTLM ([MS-SIPAE]) ----------------------------------------------------- */

/* The lab user an NTLM login names: user0001 with the domain in its own
 * field (LAB\user0001), or the UPN user0001@<domain>. */
static bool ntlm_user_index(const struct registrar *fe, const char *user, uint32_t *idx)
{
    const char *at = strchr(user, '@');
    size_t n = at ? (size_t)(at - user) : strlen(user);
    if (at && strcasecmp(at + 1, fe->cfg->domain) != 0)
        return false;
    return user_index(fe, strv_make(user, n), idx);
}

static const char *ntlm_password_of(const char *user, const char *domain, void *arg)
{
    const struct registrar *fe = arg;
    uint32_t idx;
    (void)domain; /* the lab is one domain: NetBIOS, DNS or none */
    return ntlm_user_index(fe, user, &idx) ? fe->cfg->password : NULL;
}

/* Judges the NTLM credentials of a request from a client. True when it may
 * go on (then fe->sign_sa signs what we answer); otherwise it has been
 * answered: 401 with a challenge (none yet, the CHALLENGE, a refused
 * password), 403 for a bad signature, 404, 400. ACKs are not answered. */
static bool ntlm_admit(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    struct synth_error e = {{0}};
    struct sipae_server_sa *sa = NULL;
    bool ack = strv_eq(m->method, "ACK");
    bool reg = strv_eq(m->method, "REGISTER");
    enum lab_ntlm_verdict v = lab_ntlm_check(fe->ntlm, f->id, m, false, &sa, &e);
    char extra[FE_EXTRA_MAX];
    struct sbuf x;

    if (v == LAB_NTLM_OK) {
        fe->sign_sa = sa;
        return true;
    }
    if (ack)
        return false;
    sbuf_init(&x, extra, sizeof(extra));
    if (v == LAB_NTLM_REFUSED) {
        /* SfB challenges afresh after a refused AUTHENTICATE. */
        atomic_fetch_add(&fe->stats->reg_rejected, reg ? 1 : 0);
        diag_line(&x, fe, DIAG_AUTH_FAILED, "Authentication failed");
    }
    switch (v) {
    case LAB_NTLM_REFUSED:
    case LAB_NTLM_CHALLENGE:
    case LAB_NTLM_CONTINUE:
        if (lab_ntlm_challenge_line(fe->ntlm, &x, false, sa) != 0) {
            fe_respond(fe, f, m, 500, NULL, NULL);
            return false;
        }
        fe_respond(fe, f, m, 401, NULL, extra);
        return false;
    case LAB_NTLM_NO_USER:
        atomic_fetch_add(&fe->stats->reg_rejected, reg ? 1 : 0);
        fe_respond_diag(fe, f, m, 404, DIAG_USER_NOT_FOUND, "User does not exist", 0);
        return false;
    case LAB_NTLM_BAD_SIGNATURE:
        fe_respond_diag(fe, f, m, 403, DIAG_AUTH_FAILED, "NTLM signature does not verify", 0);
        return false;
    case LAB_NTLM_MALFORMED:
        fe_respond(fe, f, m, 400, "Bad Authorization header", NULL);
        return false;
    case LAB_NTLM_OK:
        break;
    }
    return false;
}

/* ---- registrar ---------------------------------------------------------- */

static void aor_purge(struct aor *a, uint64_t now)
{
    for (unsigned i = 0; i < a->count;) {
        if (a->b[i].expire_ms <= now)
            a->b[i] = a->b[--a->count];
        else
            i++;
    }
}

/* One Contact of a REGISTER (RFC 3261 10.3 step 7). 0, or a SIP status. */
static uint16_t aor_apply(struct aor *a, struct strv uri, uint32_t expires, uint64_t flow_id,
                          uint64_t now)
{
    if (uri.l >= FE_CONTACT_MAX)
        return 400;
    for (unsigned i = 0; i < a->count; i++) {
        if (strv_eq(uri, a->b[i].uri)) {
            if (expires == 0) {
                a->b[i] = a->b[--a->count];
            } else {
                a->b[i].expire_ms = now + (uint64_t)expires * 1000;
                a->b[i].flow_id = flow_id;
            }
            return 0;
        }
    }
    if (expires == 0)
        return 0;
    unsigned slot = a->count;
    if (a->count == FE_BINDINGS_PER_USER) {
        /* Full: the binding closest to expiry makes room, as a client that
         * re-registers from a new address has usually left the old one. */
        slot = 0;
        for (unsigned i = 1; i < a->count; i++)
            if (a->b[i].expire_ms < a->b[slot].expire_ms)
                slot = i;
    } else {
        a->count++;
    }
    strv_copy(uri, a->b[slot].uri, sizeof(a->b[slot].uri));
    a->b[slot].expire_ms = now + (uint64_t)expires * 1000;
    a->b[slot].flow_id = flow_id;
    return 0;
}

static uint16_t register_contacts(struct aor *a, const struct sip_msg *m, uint64_t flow_id,
                                  uint32_t max_expires)
{
    uint64_t now = lab_now_ms();
    uint32_t dflt = m->has_expires ? m->expires : FE_EXPIRES_DEFAULT;
    const struct sip_hdr *h;
    size_t n = 0;

    aor_purge(a, now);
    for (h = sip_msg_hdr(m, SIP_HDR_CONTACT, NULL); h; h = sip_msg_hdr(m, SIP_HDR_CONTACT, h))
        n++;
    for (h = sip_msg_hdr(m, SIP_HDR_CONTACT, NULL); h; h = sip_msg_hdr(m, SIP_HDR_CONTACT, h)) {
        if (strv_eq(h->value, "*")) {
            /* RFC 3261 10.3 step 6: "*" only alone and with Expires: 0. */
            if (n != 1 || !m->has_expires || m->expires != 0)
                return 400;
            a->count = 0;
            return 0;
        }
        struct sip_addr addr;
        struct strv v;
        uint32_t exp = dflt;
        if (sip_addr_parse(&addr, h->value) != 0)
            return 400;
        if (sip_param_get(addr.params, "expires", &v) && strv_to_u32(v, &exp) != 0)
            return 400;
        if (exp > max_expires)
            exp = max_expires;
        uint16_t st = aor_apply(a, addr.uri, exp, flow_id, now);
        if (st)
            return st;
    }
    return 0;
}

static void fe_register(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    const struct lab_faults *faults = &fe->cfg->faults;
    uint32_t user;

    if (faults->register_reject == 503) {
        atomic_fetch_add(&fe->stats->reg_rejected, 1);
        fe_respond_diag(fe, f, m, 503, DIAG_UNAVAILABLE, "Service temporarily unavailable",
                        faults->register_retry_after_s ? faults->register_retry_after_s : 30);
        return;
    }
    if (faults->register_reject == 403) {
        atomic_fetch_add(&fe->stats->reg_rejected, 1);
        fe_respond_diag(fe, f, m, 403, DIAG_REGISTER_REFUSED, "Registration refused by policy", 0);
        return;
    }
    if (fe->ntlm) {
        /* ntlm_admit let the request in: its SA names the user. */
        if (!fe->sign_sa || !ntlm_user_index(fe, fe->sign_sa->user, &user)) {
            fe_respond_diag(fe, f, m, 404, DIAG_USER_NOT_FOUND, "User does not exist", 0);
            return;
        }
    } else {
        enum auth_result ar = auth_check(fe, m, SIP_HDR_AUTHORIZATION, &user);
        if (ar != AUTH_OK) {
            auth_refuse(fe, f, m, ar, false);
            return;
        }
    }
    /* RFC 3261 10.3 step 3: the authenticated user must own the address-of-record. */
    struct sip_uri to;
    char canon[32];
    snprintf(canon, sizeof(canon), "user%04" PRIu32, user + 1);
    if (sip_uri_parse(&to, m->to.uri) != 0 || !strv_eq(to.user, canon)) {
        atomic_fetch_add(&fe->stats->reg_rejected, 1);
        fe_respond_diag(fe, f, m, 403, DIAG_AOR_MISMATCH,
                        "Authenticated user does not own the address-of-record", 0);
        return;
    }
    if (!fe->aors[user]) {
        fe->aors[user] = calloc(1, sizeof(struct aor));
        if (!fe->aors[user]) {
            fe_respond(fe, f, m, 500, NULL, NULL);
            return;
        }
    }
    struct aor *a = fe->aors[user];
    uint32_t max = fe->cfg->register_max_expires_s ? fe->cfg->register_max_expires_s
                                                   : FE_EXPIRES_MAX;
    uint16_t st = register_contacts(a, m, f->id, max);
    if (st) {
        fe_respond(fe, f, m, st, NULL, NULL);
        return;
    }
    /* RFC 3261 10.3 step 8: the 200 lists every current binding. */
    char extra[FE_EXTRA_MAX];
    struct sbuf x;
    uint64_t now = lab_now_ms();
    sbuf_init(&x, extra, sizeof(extra));
    for (unsigned i = 0; i < a->count; i++)
        sbuf_printf(&x, "Contact: <%s>;expires=%" PRIu64 "\r\n", a->b[i].uri,
                    (a->b[i].expire_ms - now + 999) / 1000);
    atomic_fetch_add(&fe->stats->reg_ok, 1);
    fe_respond(fe, f, m, 200, NULL, extra);
}

/* ---- transactions ------------------------------------------------------- */

static size_t txn_bucket(const char *branch)
{
    return fnv(FNV_INIT, branch, strlen(branch)) % FE_TXN_BUCKETS;
}

static struct fe_txn *txn_find(const struct registrar *fe, struct strv branch)
{
    if (branch.l >= FE_BRANCH_MAX)
        return NULL;
    size_t b = fnv(FNV_INIT, branch.p, branch.l) % FE_TXN_BUCKETS;
    for (struct fe_txn *t = fe->txn_by_branch[b]; t; t = t->next_hash)
        if (strv_eq(branch, t->branch))
            return t;
    return NULL;
}

static void txn_free(struct registrar *fe, struct fe_txn *t)
{
    for (struct fe_txn **pp = &fe->txn_by_branch[txn_bucket(t->branch)]; *pp;
         pp = &(*pp)->next_hash) {
        if (*pp == t) {
            *pp = t->next_hash;
            break;
        }
    }
    if (t->prev)
        t->prev->next = t->next;
    else
        fe->txns_head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        fe->txns_tail = t->prev;
    fe->txn_count--;
    free(t);
}

/* NULL when the table is full: the caller answers 503 (an overloaded pool). */
static struct fe_txn *txn_new(struct registrar *fe, const char *branch, uint64_t flow_id)
{
    if (fe->txn_count >= FE_TXNS_MAX)
        return NULL;
    struct fe_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    snprintf(t->branch, sizeof(t->branch), "%s", branch);
    t->flow_id = flow_id;
    t->expire_ms = lab_now_ms() + FE_TIMER_C_MS;
    size_t b = txn_bucket(branch);
    t->next_hash = fe->txn_by_branch[b];
    fe->txn_by_branch[b] = t;
    t->prev = fe->txns_tail;
    if (fe->txns_tail)
        fe->txns_tail->next = t;
    else
        fe->txns_head = t;
    fe->txns_tail = t;
    fe->txn_count++;
    return t;
}

/* ---- proxy -------------------------------------------------------------- */

/* Our branch for a request from flow `from`: a function of the client
 * transaction (top Via branch and sent-by, Call-ID, CSeq number), so a
 * retransmission, its CANCEL and the ACK of a non-2xx get the same branch as
 * the INVITE without a lookup (RFC 3261 16.11 does the same for stateless
 * proxies), and the response finds its way back by the flow id in it. */
static void fe_branch(const struct registrar *fe, uint64_t from, const struct sip_msg *m,
                      char *out, size_t size)
{
    uint64_t h = fnv(FNV_INIT, &fe->hash_salt, sizeof(fe->hash_salt));
    h = fnv(h, m->via.branch.p, m->via.branch.l);
    h = fnv(h, "|", 1);
    h = fnv(h, m->via.host.p, m->via.host.l);
    h = fnv(h, &m->via.port, sizeof(m->via.port));
    h = fnv(h, m->call_id.p, m->call_id.l);
    h = fnv(h, &m->cseq, sizeof(m->cseq));
    snprintf(out, size, "%s%" PRIu64 "x%016" PRIx64, fe->branch_prefix, from, h);
}

static bool branch_flow(const struct registrar *fe, struct strv branch, uint64_t *flow_id)
{
    size_t n = BRANCH_PREFIX_LEN;
    if (branch.l <= n || memcmp(branch.p, fe->branch_prefix, n) != 0)
        return false;
    const char *x = memchr(branch.p + n, 'x', branch.l - n);
    if (!x)
        return false;
    uint32_t hi;
    struct strv digits = strv_make(branch.p + n, (size_t)(x - branch.p) - n);
    /* Flow ids stay far below 2^32 in a lab run. */
    if (strv_to_u32(digits, &hi) != 0)
        return false;
    *flow_id = hi;
    return true;
}

/* The first Route, when it is one of ours (RFC 3261 16.4): host and a port
 * of ours. cid is the flow named in it, 0 for a pre-loaded route. */
static bool route_is_ours(const struct registrar *fe, const struct sip_msg *m, struct strv *at,
                          uint64_t *cid)
{
    const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ROUTE, NULL);
    struct sip_addr a;
    struct sip_uri u;
    struct strv v;
    uint32_t n;
    char host[FE_HOST_MAX];

    *cid = 0;
    if (!h || sip_addr_parse(&a, h->value) != 0 || sip_uri_parse(&u, a.uri) != 0)
        return false;
    /* fe->host is bracketed for IPv6; the URI parser strips brackets. */
    snprintf(host, sizeof(host), "%s", fe->host[0] == '[' ? fe->host + 1 : fe->host);
    char *rb = strchr(host, ']');
    if (rb)
        *rb = '\0';
    if (!strv_caseeq(u.host, host) && !strv_caseeq(u.host, fe->fqdn))
        return false;
    if (u.port && u.port != fe->port[SIP_TRANSPORT_UDP] && u.port != fe->port[SIP_TRANSPORT_TCP] &&
        u.port != fe->port[SIP_TRANSPORT_TLS])
        return false;
    if (sip_param_get(u.params, "cid", &v) && strv_to_u32(v, &n) == 0)
        *cid = n;
    *at = h->value;
    return true;
}

static const char *transport_upper(enum sip_transport t)
{
    switch (t) {
    case SIP_TRANSPORT_UDP: return "UDP";
    case SIP_TRANSPORT_TCP: return "TCP";
    case SIP_TRANSPORT_TLS: return "TLS";
    }
    return "TLS";
}

/* auth: ntlm: a request relayed to a client (the UM's BYE) is signed with
 * the SA of the user it goes to, as a Front End signs its own requests
 * ([MS-SIPAE] 3.3); the signature covers none of what forwarding changes
 * (Via, Max-Forwards, Route), so it is computed over m as it came. With
 * faults.ntlm_bad_request_signature one hex digit of rspauth is changed. */
static int sign_request(struct registrar *fe, struct flow *to, const struct sip_msg *m,
                        struct sbuf *out)
{
    struct sipae_server_sa *sa = lab_ntlm_find(fe->ntlm, to->id, m);
    if (!sa)
        return 0;
    size_t at = out->len;
    int rc = lab_ntlm_sign_line(fe->ntlm, sa, m, out);
    if (rc != 0 || !fe->cfg->faults.ntlm_bad_request_signature)
        return rc;
    char *sig = strstr(out->buf + at, "rspauth=\"");
    if (sig) {
        sig += strlen("rspauth=\"");
        *sig = *sig == '0' ? '1' : '0';
    }
    return 0;
}

/* Forwards a request from `from` to `to` (RFC 3261 16.6): our Via on top,
 * received/rport on the client's, Max-Forwards minus one, our Route popped,
 * Record-Route when asked. Returns 0, or a status for the caller to answer. */
static uint16_t fe_forward_request(struct registrar *fe, struct flow *from,
                                   const struct sip_msg *m, struct flow *to,
                                   const char *branch, struct strv pop_route, bool record_route)
{
    char insert[1024], append[64 + FE_AUTH_INFO_MAX], mf_val[16], via_val[1024];
    char buf[FE_FWD_MAX];
    struct sbuf ins, sb, vs;
    struct rewrite rw = {0};
    uint32_t mf = 70;

    const struct sip_hdr *mfh = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS, NULL);
    if (mfh && strv_to_u32(mfh->value, &mf) != 0)
        return 400;
    /* RFC 3261 16.3 step 3 */
    if (mfh && mf == 0)
        return 483;

    sbuf_init(&ins, insert, sizeof(insert));
    sbuf_printf(&ins, "Via: SIP/2.0/%s %s:%u;branch=%s\r\n", transport_upper(to->transport),
                fe->host, fe->port[to->kind == FLOW_HOP ? SIP_TRANSPORT_TLS : to->transport],
                branch);
    if (record_route)
        sbuf_printf(&ins, "Record-Route: <sip:%s:%u;transport=%s;lr;cid=%" PRIu64 ">\r\n",
                    fe->host, fe->port[from->transport], sip_transport_name(from->transport),
                    from->id);
    if (!mfh)
        sbuf_puts(&ins, "Max-Forwards: 70\r\n");
    if (sbuf_result(&ins) != 0)
        return 500;
    rw.insert = insert;

    if (mfh) {
        snprintf(mf_val, sizeof(mf_val), "%" PRIu32, mf - 1);
        rewrite_edit(&rw, mfh->value, mf_val);
    }
    rewrite_edit(&rw, pop_route, NULL);
    if (from->kind != FLOW_HOP) {
        const struct sip_hdr *via = sip_msg_hdr(m, SIP_HDR_VIA, NULL);
        sbuf_init(&vs, via_val, sizeof(via_val));
        via_received(&vs, via, &m->via, &from->addr);
        if (sbuf_result(&vs) != 0)
            return 400;
        rewrite_edit(&rw, via->value, via_val);
    }
    struct sbuf ap;
    sbuf_init(&ap, append, sizeof(append));
    if (!sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH, NULL))
        /* A datagram may omit it (RFC 3261 18.3); a stream may not. */
        sbuf_printf(&ap, "Content-Length: %zu\r\n", m->body.l);
    if (fe->ntlm && to->kind != FLOW_HOP && sign_request(fe, to, m, &ap) != 0)
        return 500;
    if (ap.len)
        rw.append = append;
    sbuf_init(&sb, buf, sizeof(buf));
    if (msg_rewrite(&sb, m, &rw) != 0)
        return 513;
    if (flow_send(fe, to, sb.buf, sb.len, NULL) != 0)
        return to->kind == FLOW_HOP ? 503 : 430;
    return 0;
}

static void hop_link_connect(struct registrar *fe);

/* The UM link if it is up; else starts reconnecting and returns NULL. */
static struct flow *hop_flow(struct registrar *fe)
{
    if (fe->hop_state == HOP_UP)
        return fe->hop;
    if (fe->hop_state == HOP_DOWN)
        hop_link_connect(fe);
    return NULL;
}

static void fe_respond_status(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                              uint16_t status)
{
    if (status == 430)
        fe_respond(fe, f, m, 430, "Flow Failed", NULL); /* RFC 5626 11.6 */
    else if (status == 503)
        fe_respond_diag(fe, f, m, 503, DIAG_UNAVAILABLE,
                        fe->role == REGISTRAR_EDGE ? "Front End is unreachable"
                                                   : "Voice mail server is unreachable",
                        1);
    else
        fe_respond(fe, f, m, status, NULL, NULL);
}

/* An in-dialog request with our Record-Route in its route set (RFC 3261
 * 16.4, 16.12): from the UM it goes to the flow the cid names, from anyone
 * else to the UM. */
static void fe_route_dialog(struct registrar *fe, struct flow *from, const struct sip_msg *m,
                            struct strv route, uint64_t cid)
{
    bool ack = strv_eq(m->method, "ACK");
    struct flow *to;
    char branch[FE_BRANCH_MAX];

    if (from->kind == FLOW_HOP) {
        to = flow_by_id(fe, cid);
        if (!to || to->kind == FLOW_HOP) {
            if (!ack)
                fe_respond_status(fe, from, m, 430);
            return;
        }
    } else {
        to = hop_flow(fe);
        if (!to) {
            if (!ack)
                fe_respond_status(fe, from, m, 503);
            return;
        }
    }
    fe_branch(fe, from->id, m, branch, sizeof(branch));
    uint16_t st = fe_forward_request(fe, from, m, to, branch, route, false);
    if (st && !ack)
        fe_respond_status(fe, from, m, st);
}

/* Voicemail (opaque=app:voicemail, how SfB names a user's mailbox) or any
 * user (SIPp's sip:service@host) goes to the UM. */
static bool routes_to_um(const struct sip_msg *m)
{
    struct sip_uri u;
    struct strv v;
    if (sip_uri_parse(&u, m->ruri) != 0)
        return false;
    if (sip_param_get(u.params, "opaque", &v) && strv_eq(v, "app:voicemail"))
        return true;
    return u.user.l > 0;
}

static void txn_note_local(struct registrar *fe, const char *branch, uint64_t flow_id)
{
    struct fe_txn *t = txn_find(fe, strv_from_cstr(branch));
    if (!t)
        t = txn_new(fe, branch, flow_id);
    if (t) {
        t->local = true;
        t->final = true;
        t->expire_ms = lab_now_ms() + FE_TXN_LINGER_MS;
    }
}

static void fe_invite(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                      struct strv pop_route)
{
    char branch[FE_BRANCH_MAX];
    fe_branch(fe, f->id, m, branch, sizeof(branch));

    if (fe->role == REGISTRAR_FRONT_END && !routes_to_um(m)) {
        txn_note_local(fe, branch, f->id);
        fe_respond_diag(fe, f, m, 404, DIAG_NOT_ROUTABLE, "Destination URI is not routable", 0);
        return;
    }
    /* Digest's per-INVITE challenge; with NTLM every request is already signed. */
    if (fe->challenge_invites && !fe->ntlm) {
        uint32_t user;
        enum auth_result ar = auth_check(fe, m, SIP_HDR_PROXY_AUTHORIZATION, &user);
        if (ar != AUTH_OK) {
            txn_note_local(fe, branch, f->id);
            auth_refuse(fe, f, m, ar, true);
            return;
        }
    }
    struct flow *hop = hop_flow(fe);
    struct fe_txn *t = txn_find(fe, strv_from_cstr(branch));
    if (t && t->local) {
        /* A retransmission of an INVITE we refused: refuse it again. */
        t = NULL;
    } else if (!t) {
        if (!rate_window_admit(&fe->call_rate, lab_now_ms())) {
            /* An overloaded pool sheds new calls with 503 and tells the
             * caller when to come back (RFC 3261 21.5.4, 20.33). */
            txn_note_local(fe, branch, f->id);
            fe_respond_diag(fe, f, m, 503, DIAG_UNAVAILABLE, "Server is busy (call rate limit)",
                            FE_BUSY_RETRY_AFTER_S);
            return;
        }
        t = hop ? txn_new(fe, branch, f->id) : NULL;
    }
    if (!hop || !t) {
        txn_note_local(fe, branch, f->id);
        fe_respond_status(fe, f, m, 503);
        return;
    }
    /* RFC 3261 16.2: a stateful proxy answers an INVITE with 100 at once,
     * retransmissions included, so the client stops retransmitting. */
    fe_respond(fe, f, m, 100, NULL, NULL);
    uint16_t st = fe_forward_request(fe, f, m, hop, branch, pop_route, true);
    if (st) {
        t->local = true;
        t->final = true;
        t->expire_ms = lab_now_ms() + FE_TXN_LINGER_MS;
        fe_respond_status(fe, f, m, st);
    }
}

/* RFC 3261 16.10: with a response context, 200 here and CANCEL the pending
 * branch; without one, forward statelessly and let the UM answer. */
static void fe_cancel(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                      struct strv pop_route)
{
    char branch[FE_BRANCH_MAX];
    fe_branch(fe, f->id, m, branch, sizeof(branch));
    struct fe_txn *t = txn_find(fe, strv_from_cstr(branch));
    struct flow *hop = hop_flow(fe);

    if (t)
        fe_respond(fe, f, m, 200, NULL, NULL);
    if (t && (t->final || t->local || t->cancelled))
        return;
    if (!hop) {
        if (!t)
            fe_respond_status(fe, f, m, 503);
        return;
    }
    if (t)
        t->cancelled = true;
    uint16_t st = fe_forward_request(fe, f, m, hop, branch, pop_route, false);
    if (st && !t)
        fe_respond_status(fe, f, m, st);
}

/* The Subject CN of the peer certificate on the hop link ("" when none). */
static void peer_cn(const struct flow *f, char *out, size_t size)
{
    SSL *ssl = f->conn ? sip_conn_ssl(f->conn) : NULL;
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    out[0] = '\0';
    if (peer && X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, out,
                                          (int)size) < 0)
        out[0] = '\0';
}

/* Grants the MRAS request q ([MS-AVEDGEA] 3.1.5.1) to who: a credential
 * the lab relay accepts for the duration asked (at most mras_max_duration),
 * the relay named for the location the request gave. True when granted. */
static bool mras_grant(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                       const struct mras_request *q, const char *username)
{
    char body[MRAS_BODY_MAX];
    struct sbuf sb;
    uint32_t max = fe->cfg->mras_max_duration_min ? fe->cfg->mras_max_duration_min
                                                  : MRAS_LIFETIME_MIN;
    struct mras_response r = {.duration_min = q->duration_min && q->duration_min < max
                                                  ? q->duration_min
                                                  : max,
                              .relay_count = 1};
    bool granted;
    snprintf(r.request_id, sizeof(r.request_id), "%s", q->request_id);
    snprintf(r.credentials_request_id, sizeof(r.credentials_request_id), "%s",
             q->credentials_request_id);
    snprintf(r.username, sizeof(r.username), "%s", username);
    sip_random_token(r.password, 33); /* the relay checks it; the lab trusts its loopback */
    r.relays[0].location = q->location;
    if (fe->mras_issue(r.username, r.password, r.duration_min * 60, &r.relays[0], fe->arg) != 0) {
        fe_respond(fe, f, m, 503, NULL, NULL);
        OPENSSL_cleanse(r.password, sizeof(r.password));
        return false;
    }
    sbuf_init(&sb, body, sizeof(body));
    int rc = mras_response_build(&sb, &r);
    OPENSSL_cleanse(r.password, sizeof(r.password));
    granted = rc == 0 && fe_respond_body(fe, f, m, MRAS_CONTENT_TYPE, sb.buf, sb.len);
    OPENSSL_cleanse(body, sizeof(body));
    return granted;
}

/* A MRAS credentials request from the next hop ([MS-AVEDGEA] 3.1.5.1): the
 * server is recognised by its certificate's Subject CN, not its SAN list,
 * which is why a UM certificate with its FQDN only in the SAN passes TLS
 * everywhere and still gets no relay credentials. */
static void fe_mras(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    char cn[LAB_NAME_MAX], why[128], username[LAB_NAME_MAX + 32];
    struct mras_request q;

    if (!fe->mras_issue) {
        fe_respond(fe, f, m, 501, NULL, NULL);
        return;
    }
    if (mras_request_parse(m->body.p, m->body.l, &q, why, sizeof(why)) != 0) {
        fe_respond(fe, f, m, 400, "Bad MRAS Request", NULL);
        return;
    }
    peer_cn(f, cn, sizeof(cn));
    if (strcasecmp(cn, fe->hop_name) != 0) {
        char reason[LAB_NAME_MAX * 2 + 96];
        snprintf(reason, sizeof(reason),
                 "Certificate subject is not a known server FQDN (CN=%s, expected %s)",
                 cn[0] ? cn : "none", fe->hop_name);
        atomic_fetch_add(&fe->stats->mras_refused, 1);
        fe_respond_diag(fe, f, m, 403, DIAG_MRAS_REFUSED, reason, 0);
        return;
    }
    /* A server's intranet-side relay, whatever its request said. */
    q.location = MRAS_LOCATION_INTRANET;
    snprintf(username, sizeof(username), "mras-%s-%" PRIu64, cn, lab_now_ms());
    if (mras_grant(fe, f, m, &q, username))
        atomic_fetch_add(&fe->stats->mras_granted, 1);
}

/* Whether user holds a live binding made over flow f: the client's own
 * connection, or the Edge's for a user registered through it. */
static bool registered_on(const struct registrar *fe, uint32_t user, const struct flow *f)
{
    const struct aor *a = fe->aors[user];
    uint64_t now = lab_now_ms();
    for (unsigned i = 0; a && i < a->count; i++)
        if (a->b[i].flow_id == f->id && a->b[i].expire_ms > now)
            return true;
    return false;
}

/* The authenticated lab user a client's request comes from: its NTLM SA's,
 * or (Digest, with challenge_invites) its Proxy-Authorization's, which must
 * be the From user's; without either, the From user. False when it has
 * been answered (a challenge, 403, 404). */
static bool request_user(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                         uint32_t *user)
{
    struct sip_uri from;
    uint32_t authed;
    if (sip_uri_parse(&from, m->from.uri) != 0 || !user_index(fe, from.user, user)) {
        fe_respond_diag(fe, f, m, 404, DIAG_USER_NOT_FOUND, "User does not exist", 0);
        return false;
    }
    if (fe->ntlm) {
        if (fe->sign_sa && ntlm_user_index(fe, fe->sign_sa->user, &authed) && authed == *user)
            return true;
    } else if (fe->challenge_invites) {
        enum auth_result ar = auth_check(fe, m, SIP_HDR_PROXY_AUTHORIZATION, &authed);
        if (ar != AUTH_OK) {
            auth_refuse(fe, f, m, ar, true);
            return false;
        }
        if (authed == *user)
            return true;
    } else {
        return true;
    }
    fe_respond_diag(fe, f, m, 403, DIAG_AOR_MISMATCH,
                    "Credentials provided are not authorized to act as specified from URI", 0);
    return false;
}

/* A MRAS request from a client ([MS-AVEDGEA] 3.1.5.1), as a Front End
 * answers its registered users: authenticated like their other requests,
 * registered over this very connection, credentials for the location the
 * request names. mras_refuse_users refuses every user as a pool without an
 * A/V Edge for MRAS (or a user without remote access) does;
 * mras_silent_users answers nothing, mras_empty_users a 200 without
 * credentials. */
static void fe_user_mras(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    char why[128], username[64];
    struct mras_request q;
    uint32_t user;

    if (!fe->mras_issue) {
        fe_respond(fe, f, m, 501, NULL, NULL);
        return;
    }
    if (!request_user(fe, f, m, &user))
        return;
    if (!registered_on(fe, user, f)) {
        atomic_fetch_add(&fe->stats->mras_user_refused, 1);
        fe_respond_diag(fe, f, m, 403, DIAG_MRAS_USER_REFUSED,
                        "User is not registered on this connection", 0);
        return;
    }
    if (mras_request_parse(m->body.p, m->body.l, &q, why, sizeof(why)) != 0) {
        fe_respond(fe, f, m, 400, "Bad MRAS Request", NULL);
        return;
    }
    if (fe->cfg->faults.mras_silent_users)
        return; /* a Front End whose MRAS never answers */
    if (fe->cfg->faults.mras_empty_users) {
        /* A 200 whose credentialsResponse holds no credentials. */
        char body[512];
        snprintf(body, sizeof(body),
                 "<?xml version=\"1.0\" encoding=\"utf-8\"?><response requestID=\"%s\" "
                 "version=\"1.0\" serverVersion=\"2.0\" reasonPhrase=\"OK\" "
                 "xmlns=\"http://schemas.microsoft.com/2006/09/sip/mrasp\">"
                 "<credentialsResponse credentialsRequestID=\"%s\"/></response>",
                 q.request_id, q.credentials_request_id);
        fe_respond_body(fe, f, m, MRAS_CONTENT_TYPE, body, strlen(body));
        return;
    }
    if (fe->cfg->faults.mras_refuse_users) {
        atomic_fetch_add(&fe->stats->mras_user_refused, 1);
        fe_respond_diag(fe, f, m, 403, DIAG_MRAS_USER_REFUSED,
                        "User is not authorized for media relay", 0);
        return;
    }
    /* One credential per user: a renewal replaces it in the relay's table
     * (allocations keep the key they were made with). */
    snprintf(username, sizeof(username), "mras-user%04" PRIu32, user + 1);
    if (mras_grant(fe, f, m, &q, username))
        atomic_fetch_add(&fe->stats->mras_user_granted, 1);
}

/* An ACK goes on to the next hop, unless it acknowledges a response we
 * generated: that one stops here (RFC 3261 17.2.1). */
static void forward_ack(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                        struct strv route)
{
    char branch[FE_BRANCH_MAX];
    fe_branch(fe, f->id, m, branch, sizeof(branch));
    struct fe_txn *t = txn_find(fe, strv_from_cstr(branch));
    struct flow *hop = hop_flow(fe);
    if ((t && t->local) || !hop)
        return;
    fe_forward_request(fe, f, m, hop, branch, route, false);
}

/* A request relayed to the next hop without a response context: the next
 * hop answers it, the answer finds its way back by our Via. */
static void forward_to_hop(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                           struct strv route)
{
    struct flow *hop = hop_flow(fe);
    char branch[FE_BRANCH_MAX];
    if (!hop) {
        fe_respond_status(fe, f, m, 503);
        return;
    }
    fe_branch(fe, f->id, m, branch, sizeof(branch));
    uint16_t st = fe_forward_request(fe, f, m, hop, branch, route, false);
    if (st)
        fe_respond_status(fe, f, m, st);
}

/* The Edge access proxy relays everything to the Front End, which
 * authenticates and registers (as an SfB Edge hands REGISTER to the
 * Director or pool); INVITEs statefully and record-routed, so the dialog's
 * later requests and the UM's BYE come back through the Edge. */
static void edge_request(struct registrar *fe, struct flow *f, const struct sip_msg *m,
                         struct strv route)
{
    atomic_fetch_add(&fe->stats->edge_requests, 1);
    if (strv_eq(m->method, "INVITE") && !strv_isset(m->to.tag))
        fe_invite(fe, f, m, route);
    else if (strv_eq(m->method, "CANCEL"))
        fe_cancel(fe, f, m, route);
    else if (strv_eq(m->method, "ACK"))
        forward_ack(fe, f, m, route);
    else
        forward_to_hop(fe, f, m, route);
}

static void fe_request(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    bool ack = strv_eq(m->method, "ACK");
    struct strv route = STRV_NULL;
    uint64_t cid;

    if (!strv_isset(m->via.branch) && !strv_isset(m->via.host))
        return; /* no Via: nowhere to answer */
    if (!strv_isset(m->call_id) || !strv_isset(m->from.uri) || !strv_isset(m->to.uri) ||
        !strv_isset(m->cseq_method)) {
        if (!ack)
            fe_respond(fe, f, m, 400, "Missing Mandatory Header", NULL);
        return;
    }
    if (m->raw.l > FE_REQUEST_MAX) {
        if (!ack)
            fe_respond(fe, f, m, 513, NULL, NULL);
        return;
    }
    /* auth: ntlm: every request of a client is signed with its SA, the
     * REGISTER that makes the SA aside ([MS-SIPAE] 3.2.5.2). */
    if (fe->ntlm && f->kind != FLOW_HOP && !ntlm_admit(fe, f, m))
        return;
    if (route_is_ours(fe, m, &route, &cid) && cid != 0) {
        if (fe->role == REGISTRAR_EDGE)
            atomic_fetch_add(&fe->stats->edge_requests, 1);
        fe_route_dialog(fe, f, m, route, cid);
        return;
    }
    if (f->kind == FLOW_HOP && strv_eq(m->method, "SERVICE")) {
        fe_mras(fe, f, m);
        return;
    }
    if (f->kind == FLOW_HOP) {
        /* The next hop always sends within a dialog we record-routed. */
        if (!ack)
            fe_respond(fe, f, m, 404, NULL, NULL);
        return;
    }
    if (fe->role == REGISTRAR_EDGE) {
        edge_request(fe, f, m, route);
        return;
    }
    bool in_dialog = strv_isset(m->to.tag);
    if (strv_eq(m->method, "REGISTER")) {
        fe_register(fe, f, m);
    } else if (strv_eq(m->method, "SERVICE") && !in_dialog) {
        fe_user_mras(fe, f, m);
    } else if (strv_eq(m->method, "OPTIONS") && !in_dialog) {
        fe_respond(fe, f, m, 200, NULL,
                   "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, MESSAGE, "
                   "SUBSCRIBE, NOTIFY\r\n"
                   "Accept: application/sdp\r\n"
                   "Supported: path, outbound, gruu\r\n");
    } else if (strv_eq(m->method, "INVITE") && !in_dialog) {
        fe_invite(fe, f, m, route);
    } else if (strv_eq(m->method, "CANCEL")) {
        fe_cancel(fe, f, m, route);
    } else if (ack) {
        forward_ack(fe, f, m, route);
    } else if (in_dialog) {
        /* A client that ignored our Record-Route: the only dialogs are with the UM. */
        forward_to_hop(fe, f, m, route);
    } else {
        char extra[sizeof(ALLOW)];
        snprintf(extra, sizeof(extra), "%s", ALLOW);
        fe_respond(fe, f, m, 501, NULL, extra);
    }
}

/* A response: our Via on top names the flow it goes back to (RFC 3261 16.7). */
static void fe_response(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    uint64_t fid;
    if (!branch_flow(fe, m->via.branch, &fid))
        return; /* not a request we forwarded: discard (RFC 3261 16.7 step 1... 18.1.2) */
    struct flow *to = flow_by_id(fe, fid);
    if (!to || m->status == 100)
        return; /* 100 is hop-by-hop (RFC 3261 16.7 step 3) */

    struct fe_txn *t = txn_find(fe, m->via.branch);
    if (t && strv_eq(m->cseq_method, "CANCEL") && t->cancelled)
        return; /* the client already has our 200 to its CANCEL */
    if (t && strv_eq(m->cseq_method, "INVITE")) {
        uint64_t now = lab_now_ms();
        if (m->status >= 200) {
            t->final = true;
            t->expire_ms = now + FE_TXN_LINGER_MS;
        } else if (!t->final) {
            t->expire_ms = now + FE_TIMER_C_MS; /* RFC 3261 16.7 step 2 */
        }
    }
    const struct sip_hdr *ours = sip_msg_hdr(m, SIP_HDR_VIA, NULL);
    const struct sip_hdr *next = hdr_nth(m, SIP_HDR_VIA, 1);
    struct sip_via nv;
    if (!next || sip_via_parse(&nv, next->value) != 0)
        return;
    struct rewrite rw = {0};
    char buf[FE_FWD_MAX];
    struct sbuf sb;
    rewrite_edit(&rw, ours->value, NULL);
    /* auth: ntlm: what goes back to a client is signed with its SA (the
     * signature does not cover Via, so it is computed over m as it came). */
    char auth_info[FE_AUTH_INFO_MAX];
    struct sipae_server_sa *sa =
        fe->ntlm && to->kind != FLOW_HOP ? lab_ntlm_find(fe->ntlm, to->id, m) : NULL;
    if (sa) {
        struct sbuf ai;
        sbuf_init(&ai, auth_info, sizeof(auth_info));
        if (lab_ntlm_sign_line(fe->ntlm, sa, m, &ai) != 0)
            return;
        rw.append = auth_info;
    }
    sbuf_init(&sb, buf, sizeof(buf));
    if (msg_rewrite(&sb, m, &rw) != 0)
        return;
    flow_send(fe, to, sb.buf, sb.len, &nv);
}

static void fe_recv(struct registrar *fe, struct flow *f, const struct sip_msg *m)
{
    flow_touch(fe, f);
    if (m->is_request)
        fe_request(fe, f, m);
    else
        fe_response(fe, f, m);
    fe->sign_sa = NULL;
}

/* ---- connections -------------------------------------------------------- */

static void stream_recv(struct sip_conn *c, const struct sip_msg *m,
                        const struct sip_addr_storage *src, void *arg)
{
    struct flow *f = arg;
    fe_recv(f->fe, f, m);
}

static void stream_closed(struct sip_conn *c, int err, void *arg)
{
    struct flow *f = arg;
    sip_conn_free(c);
    lab_ntlm_flow_closed(f->fe->ntlm, f->id);
    flow_free(f->fe, f);
}

static void udp_recv(struct sip_conn *c, const struct sip_msg *m,
                     const struct sip_addr_storage *src, void *arg)
{
    struct registrar *fe = arg;
    struct flow *f = flow_udp_get(fe, src);
    if (f)
        fe_recv(fe, f, m);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    struct fe_listener *fl = arg;
    struct registrar *fe = fl->fe;
    static const struct sip_conn_handlers h = {NULL, stream_recv, stream_closed};

    if (fe->flow_count >= FE_FLOWS_MAX && !flow_evict_udp(fe)) {
        close(fd);
        return;
    }
    struct flow *f = flow_new(fe, FLOW_STREAM, fl->transport);
    if (!f) {
        close(fd);
        return;
    }
    if (sip_conn_accept(&f->conn, fe->base, fd, fl->transport,
                        fl->transport == SIP_TRANSPORT_TLS ? fe->server_ctx : NULL, &h, f) != 0) {
        flow_free(fe, f);
        return;
    }
    if (sa && (size_t)socklen <= sizeof(f->addr.ss)) {
        memcpy(&f->addr.ss, sa, (size_t)socklen);
        f->addr.len = (socklen_t)socklen;
    }
}

static void hop_link_report(struct registrar *fe, int err, const char *detail)
{
    if (fe->link_reported || !fe->link_ready)
        return;
    fe->link_reported = true;
    fe->link_ready(err, detail, fe->arg);
}

static void hop_connected(struct sip_conn *c, int err, void *arg)
{
    struct flow *f = arg;
    struct registrar *fe = f->fe;
    if (err != 0) {
        char detail[TLS_DESCRIBE_MAX];
        detail[0] = '\0';
        if (err == SYNTH_ETLS && sip_conn_ssl(c))
            tls_describe_verify_error(sip_conn_ssl(c), detail, sizeof(detail));
        sip_conn_free(c);
        f->conn = NULL;
        fe->hop_state = HOP_DOWN;
        hop_link_report(fe, err, detail);
        return;
    }
    fe->hop_state = HOP_UP;
    hop_link_report(fe, 0, NULL);
}

static void hop_recv(struct sip_conn *c, const struct sip_msg *m,
                    const struct sip_addr_storage *src, void *arg)
{
    struct flow *f = arg;
    fe_recv(f->fe, f, m);
}

static void hop_closed(struct sip_conn *c, int err, void *arg)
{
    struct flow *f = arg;
    sip_conn_free(c);
    f->conn = NULL;
    f->fe->hop_state = HOP_DOWN;
}

static void hop_link_connect(struct registrar *fe)
{
    static const struct sip_conn_handlers h = {hop_connected, hop_recv, hop_closed};
    struct sip_conn_opts o = {0};
    struct synth_error err;

    o.transport = SIP_TRANSPORT_TLS;
    o.remote = fe->hop_addr;
    o.ssl_ctx = fe->hop_ctx;
    o.server_name = fe->hop_name;
    o.connect_timeout_ms = FE_HOP_CONNECT_TIMEOUT_MS;
    o.dscp = -1;
    fe->hop_state = HOP_CONNECTING;
    if (sip_conn_connect(&fe->hop->conn, fe->base, &o, &h, fe->hop, &err) != 0) {
        fe->hop->conn = NULL;
        fe->hop_state = HOP_DOWN;
        hop_link_report(fe, SYNTH_EIO, err.msg);
    }
}

/* ---- housekeeping ------------------------------------------------------- */

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct registrar *fe = arg;
    uint64_t now = lab_now_ms();
    for (struct fe_txn *t = fe->txns_head, *n; t; t = n) {
        n = t->next;
        if (t->expire_ms <= now)
            txn_free(fe, t);
    }
    /* Flows are in least-recently-used order: stop at the first fresh one. */
    for (struct flow *f = fe->flows_head, *n; f; f = n) {
        n = f->next;
        if (f->last_used_ms + FE_UDP_FLOW_IDLE_MS > now)
            break;
        if (f->kind == FLOW_UDP)
            flow_free(fe, f);
    }
}

/* ---- start and stop ------------------------------------------------------- */

static const char *role_name(const struct registrar *fe)
{
    return fe->role == REGISTRAR_EDGE ? "edge" : "front end";
}

static int listen_stream(struct registrar *fe, struct fe_listener *fl, enum sip_transport t,
                         const struct sip_addr_storage *local, struct synth_error *err)
{
    fl->fe = fe;
    fl->transport = t;
    fl->l = evconnlistener_new_bind(fe->base, accept_cb, fl,
                                    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                        LEV_OPT_CLOSE_ON_EXEC,
                                    FE_LISTEN_BACKLOG, (const struct sockaddr *)&local->ss,
                                    (int)local->len);
    if (!fl->l) {
        char a[80];
        sip_addr_format(local, a, sizeof(a));
        return synth_error_set(err, SYNTH_EIO, "%s: cannot listen on %s/%s: %s",
                               role_name(fe), a, sip_transport_name(t), strerror(errno));
    }
    struct sip_addr_storage bound;
    bound.len = sizeof(bound.ss);
    if (getsockname(evconnlistener_get_fd(fl->l), (struct sockaddr *)&bound.ss, &bound.len) != 0)
        return synth_error_set(err, SYNTH_EIO, "%s: getsockname: %s", role_name(fe),
                               strerror(errno));
    char ip[INET6_ADDRSTRLEN];
    addr_ip(&bound, ip, sizeof(ip), &fe->port[t]);
    return 0;
}

static int bind_all(struct registrar *fe, const struct registrar_opts *o, struct synth_error *err)
{
    static const struct sip_conn_handlers uh = {NULL, udp_recv, NULL};
    const struct lab_config *cfg = o->cfg;
    struct sip_addr_storage local;
    int rc;

    rc = sip_addr_resolve(&local, cfg->listen_host, cfg->udp_port, err);
    if (rc != 0)
        return rc;
    fe->hop_addr = local;
    addr_set_port(&fe->hop_addr, o->hop_port);
    if (fe->role == REGISTRAR_EDGE) {
        /* An Edge access service listens on TLS only (443 in the field). */
        addr_set_port(&local, o->listen_port);
        return listen_stream(fe, &fe->tls, SIP_TRANSPORT_TLS, &local, err);
    }
    rc = sip_conn_udp_bind(&fe->udp, fe->base, &local, &uh, fe, err);
    if (rc != 0)
        return rc;
    char ip[INET6_ADDRSTRLEN];
    sip_conn_local(fe->udp, ip, sizeof(ip), &fe->port[SIP_TRANSPORT_UDP]);

    addr_set_port(&local, cfg->tcp_port);
    rc = listen_stream(fe, &fe->tcp, SIP_TRANSPORT_TCP, &local, err);
    if (rc != 0)
        return rc;
    addr_set_port(&local, cfg->tls_port);
    return listen_stream(fe, &fe->tls, SIP_TRANSPORT_TLS, &local, err);
}

int registrar_start(struct registrar **out, struct event_base *base,
                    const struct registrar_opts *o, struct synth_error *err)
{
    int rc;
    struct registrar *fe = calloc(1, sizeof(*fe));
    if (!fe)
        return synth_error_set(err, SYNTH_ENOMEM, "front end: out of memory");
    fe->role = o->role;
    fe->branch_prefix = o->role == REGISTRAR_EDGE ? EDGE_BRANCH_PREFIX : FE_BRANCH_PREFIX;
    fe->base = base;
    fe->cfg = o->cfg;
    fe->stats = o->stats;
    fe->server_ctx = o->server_ctx;
    fe->hop_ctx = o->hop_ctx;
    fe->nonce_lifetime_ms = o->nonce_lifetime_ms;
    fe->challenge_invites = o->challenge_invites;
    fe->link_ready = o->link_ready;
    fe->mras_issue = o->mras_issue;
    fe->arg = o->arg;
    fe->next_flow_id = 1;
    fe->user_count = o->cfg->user_count;
    lab_uri_host(o->cfg, fe->host, sizeof(fe->host));
    snprintf(fe->fqdn, sizeof(fe->fqdn), "%s", o->fqdn);
    snprintf(fe->hop_name, sizeof(fe->hop_name), "%s", o->hop_name);
    if (lab_nonce_key_init(&fe->nonce_key) != 0 ||
        RAND_bytes((unsigned char *)&fe->hash_salt, sizeof(fe->hash_salt)) != 1) {
        rc = synth_error_set(err, SYNTH_EINTERNAL, "front end: no random bytes for nonces");
        goto fail;
    }
    /* The call rate limit sits on the Front End, where a pool sheds load;
     * the Edge forwards to it and is not limited twice. */
    if (rate_window_init(&fe->call_rate,
                         o->role == REGISTRAR_FRONT_END ? o->cfg->faults.max_call_rate : 0,
                         FE_CALL_RATE_WINDOW_MS) != 0) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "front end: out of memory");
        goto fail;
    }
    /* The Front End authenticates; the Edge relays the exchange to it, as
     * an SfB Edge hands sign-in to the Director or pool. */
    if (o->role == REGISTRAR_FRONT_END && o->cfg->auth == LAB_AUTH_NTLM) {
        rc = lab_ntlm_new(&fe->ntlm, fe->fqdn, o->cfg->domain,
                          (uint64_t)o->cfg->faults.ntlm_sa_lifetime_s * 1000, ntlm_password_of,
                          fe, err);
        if (rc != 0)
            goto fail;
    }
    fe->aors = calloc(fe->user_count ? fe->user_count : 1, sizeof(*fe->aors));
    fe->hop = calloc(1, sizeof(*fe->hop));
    fe->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, fe);
    if (!fe->aors || !fe->hop || !fe->sweep) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "front end: out of memory");
        goto fail;
    }
    fe->hop->fe = fe;
    fe->hop->id = fe->next_flow_id++;
    fe->hop->kind = FLOW_HOP;
    fe->hop->transport = SIP_TRANSPORT_TLS;
    fe->hop->next_id = fe->flow_by_id[fe->hop->id % FE_FLOW_BUCKETS];
    fe->flow_by_id[fe->hop->id % FE_FLOW_BUCKETS] = fe->hop;

    rc = bind_all(fe, o, err);
    if (rc != 0)
        goto fail;
    struct timeval tv = {FE_SWEEP_MS / 1000, (FE_SWEEP_MS % 1000) * 1000};
    event_add(fe->sweep, &tv);
    hop_link_connect(fe);
    *out = fe;
    return 0;
fail:
    registrar_free(fe);
    return rc;
}

void registrar_ports(const struct registrar *r, uint16_t *udp, uint16_t *tcp, uint16_t *tls)
{
    *udp = r->port[SIP_TRANSPORT_UDP];
    *tcp = r->port[SIP_TRANSPORT_TCP];
    *tls = r->port[SIP_TRANSPORT_TLS];
}

size_t registrar_binding_count(const struct registrar *r)
{
    size_t n = 0;
    uint64_t now = lab_now_ms();
    for (uint32_t i = 0; i < r->user_count; i++) {
        if (!r->aors[i])
            continue;
        for (unsigned j = 0; j < r->aors[i]->count; j++)
            n += r->aors[i]->b[j].expire_ms > now;
    }
    return n;
}

void registrar_free(struct registrar *fe)
{
    if (!fe)
        return;
    rate_window_free(&fe->call_rate);
    if (fe->sweep)
        event_free(fe->sweep);
    if (fe->tcp.l)
        evconnlistener_free(fe->tcp.l);
    if (fe->tls.l)
        evconnlistener_free(fe->tls.l);
    if (fe->udp)
        sip_conn_free(fe->udp);
    while (fe->flows_head) {
        struct flow *f = fe->flows_head;
        if (f->conn)
            sip_conn_free(f->conn);
        flow_free(fe, f);
    }
    if (fe->hop) {
        if (fe->hop->conn)
            sip_conn_free(fe->hop->conn);
        free(fe->hop);
    }
    while (fe->txns_head)
        txn_free(fe, fe->txns_head);
    if (fe->aors) {
        for (uint32_t i = 0; i < fe->user_count; i++)
            free(fe->aors[i]);
        free(fe->aors);
    }
    lab_nonce_key_clear(&fe->nonce_key);
    lab_ntlm_free(fe->ntlm);
    free(fe);
}
