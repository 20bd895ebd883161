/* The ICE agent (ice_agent.h): RFC 8445 6 (pairs, checklist, Ta), 7
 * (connectivity checks: requests, responses, role conflicts, triggered
 * checks), 8 (nomination) with the STUN codec of synth/turn. */
#include "synth/ice/ice_agent.h"

#include "synth/ice/ice_msice2.h"

#include "synth/base/clock.h"
#include "synth/base/net_addr.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TA_MS 50      /* RFC 8445 14.2 */
#define DEFAULT_RTO_MS 250    /* loopback and LAN peers answer in ms; RFC 8445 14.3 floor is 500 for many pairs */
#define DEFAULT_MAX_TX 7      /* RFC 8489 6.2.1 Rc */
#define DEFAULT_DEADLINE_MS 10000
#define DEFAULT_NOMINATE_WAIT_MS 200
/* Requests answered before ice_agent_start that become triggered checks
 * then: one per remote candidate is the most a sane peer sends. */
#define EARLY_MAX ICE_REMOTE_MAX
/* RFC 8445 5.1.2.2 recommended type preferences. */
#define TYPE_PREF_HOST 126
#define TYPE_PREF_PRFLX 110
#define TYPE_PREF_SRFLX 100
#define TYPE_PREF_RELAY 0
#define STUN_ERR_ROLE_CONFLICT 487

enum pair_state { PAIR_FROZEN, PAIR_WAITING, PAIR_IN_PROGRESS, PAIR_SUCCEEDED, PAIR_FAILED };

struct local_cand {
    struct ice_cand_info info;
    ice_send_h *send;
    ice_permit_h *permit;
    void *arg;
};

struct remote_cand {
    struct ice_cand_info info;
};

struct pair {
    int l, r;
    uint64_t prio;
    enum pair_state st;
    uint8_t tid[STUN_TID_LEN];
    uint32_t tx;              /* transmissions of the current transaction */
    int64_t next_tx_us;
    uint32_t rto_ms;
    bool use_cand;            /* the current transaction nominates (controlling) */
    bool valid;               /* a check on it succeeded (RFC 8445 7.2.5.3.2) */
    bool nominated;
    bool nominate_failed;
    bool nominate_on_success; /* controlled: USE-CANDIDATE came before it was valid */
    bool queued;              /* in the triggered queue */
};

struct early_req {
    int l;
    struct sockaddr_storage from;
    socklen_t from_len;
    uint32_t priority;
    bool use_cand;
};

struct ice_agent {
    struct ice_agent_opts o;
    const struct ice_dialect *d;
    enum ice_state state;
    enum ice_failure failure;
    enum ice_role role;
    uint64_t tiebreaker;
    char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
    char rufrag[ICE_CRED_MAX + 1], rpwd[ICE_CRED_MAX + 1];
    bool have_remote;
    struct local_cand locals[ICE_LOCAL_MAX];
    size_t nlocal;
    struct remote_cand remotes[ICE_REMOTE_MAX];
    size_t nremote;
    struct pair pairs[ICE_PAIRS_MAX];
    size_t npairs;
    int trig[ICE_PAIRS_MAX];   /* triggered check queue (FIFO, RFC 8445 6.1.4.1) */
    size_t ntrig;
    struct early_req early[EARLY_MAX];
    size_t nearly;
    /* asked for a permission: bit r of permitted[l] */
    uint64_t permitted[ICE_LOCAL_MAX];
    int selected[ICE_COMPONENTS_MAX];
    int64_t first_valid_us[ICE_COMPONENTS_MAX];
    struct event *ta, *deadline;
    struct ice_stats stats;
};

/* ---- names and the RFC 8445 dialect ---- */

const char *ice_cand_type_name(enum ice_cand_type t)
{
    switch (t) {
    case ICE_CAND_HOST: return "host";
    case ICE_CAND_SRFLX: return "srflx";
    case ICE_CAND_PRFLX: return "prflx";
    case ICE_CAND_RELAY: return "relay";
    }
    return "?";
}

const char *ice_state_name(enum ice_state s)
{
    switch (s) {
    case ICE_STATE_NEW: return "new";
    case ICE_STATE_RUNNING: return "running";
    case ICE_STATE_COMPLETED: return "completed";
    case ICE_STATE_FAILED: return "failed";
    }
    return "?";
}

const char *ice_failure_name(enum ice_failure f)
{
    switch (f) {
    case ICE_FAIL_NONE: return "none";
    case ICE_FAIL_TIMEOUT: return "timeout";
    case ICE_FAIL_ALL_FAILED: return "all-pairs-failed";
    case ICE_FAIL_NO_PAIRS: return "no-pairs";
    }
    return "?";
}

int ice_username_rfc8445(char *out, size_t size, const char *remote_ufrag, const char *local_ufrag)
{
    int n = snprintf(out, size, "%s:%s", remote_ufrag, local_ufrag);
    return n < 0 || (size_t)n >= size ? SYNTH_ETOOBIG : 0;
}

uint32_t ice_priority_rfc8445(enum ice_cand_type t, uint16_t local_pref, unsigned component)
{
    static const uint32_t type_pref[] = {
        [ICE_CAND_HOST] = TYPE_PREF_HOST, [ICE_CAND_SRFLX] = TYPE_PREF_SRFLX,
        [ICE_CAND_PRFLX] = TYPE_PREF_PRFLX, [ICE_CAND_RELAY] = TYPE_PREF_RELAY,
    };
    return (type_pref[t] << 24) + ((uint32_t)local_pref << 8) + (256 - component);
}

/* A Microsoft agent's checks can come before its answer says what it
 * speaks: they verify in its integrity rule too, and are answered in it. */
const struct ice_dialect ice_dialect_rfc8445 = {
    .name = "rfc8445",
    .stun = NULL,
    .stun_alt = &stun_dialect_msice2,
    .username = ice_username_rfc8445,
    .priority = ice_priority_rfc8445,
};

const char *ice_cand_foundation(enum ice_cand_type t)
{
    switch (t) {
    case ICE_CAND_HOST: return "1";
    case ICE_CAND_RELAY: return "2";
    case ICE_CAND_SRFLX: return "3";
    case ICE_CAND_PRFLX: return "4";
    }
    return "0";
}

void ice_addr_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
        snprintf(out, size, "[%s]:%u", ip, net_addr_port(ss));
    } else if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
        snprintf(out, size, "%s:%u", ip, net_addr_port(ss));
    } else {
        snprintf(out, size, "?");
    }
}

/* Same IP, any port: what a TURN permission covers. */
static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* ---- credentials ---- */

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 5.4): 64 symbols, 6 bits each. */
static int random_ice_chars(char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char r[ICE_PWD_LEN];
    if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
        return SYNTH_EINTERNAL;
    for (size_t i = 0; i < n; i++)
        out[i] = set[r[i] & 63];
    out[n] = '\0';
    OPENSSL_cleanse(r, sizeof(r));
    return 0;
}

/* ---- life cycle ---- */

static void ta_cb(evutil_socket_t fd, short what, void *arg);
static void deadline_cb(evutil_socket_t fd, short what, void *arg);

int ice_agent_new(struct ice_agent **out, const struct ice_agent_opts *o, struct synth_error *err)
{
    *out = NULL;
    if (!o->base || o->components < 1 || o->components > ICE_COMPONENTS_MAX)
        return synth_error_set(err, SYNTH_EINVAL, "ice: 1 or 2 components and a loop");
    struct ice_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return synth_error_set(err, SYNTH_ENOMEM, "ice: out of memory");
    a->o = *o;
    a->d = o->dialect ? o->dialect : &ice_dialect_rfc8445;
    a->o.ta_ms = o->ta_ms ? o->ta_ms : DEFAULT_TA_MS;
    a->o.rto_ms = o->rto_ms ? o->rto_ms : DEFAULT_RTO_MS;
    a->o.max_tx = o->max_tx ? o->max_tx : DEFAULT_MAX_TX;
    a->o.deadline_ms = o->deadline_ms ? o->deadline_ms : DEFAULT_DEADLINE_MS;
    a->o.nominate_wait_ms = o->nominate_wait_ms ? o->nominate_wait_ms : DEFAULT_NOMINATE_WAIT_MS;
    a->role = o->role;
    for (int i = 0; i < ICE_COMPONENTS_MAX; i++)
        a->selected[i] = -1;
    int rc = random_ice_chars(a->ufrag, ICE_UFRAG_LEN);
    if (rc == 0)
        rc = random_ice_chars(a->pwd, ICE_PWD_LEN);
    if (rc == 0 && RAND_bytes((unsigned char *)&a->tiebreaker, sizeof(a->tiebreaker)) != 1)
        rc = SYNTH_EINTERNAL;
    a->ta = event_new(o->base, -1, EV_PERSIST, ta_cb, a);
    a->deadline = evtimer_new(o->base, deadline_cb, a);
    if (rc == 0 && (!a->ta || !a->deadline))
        rc = SYNTH_ENOMEM;
    if (rc != 0) {
        ice_agent_free(a);
        return synth_error_set(err, rc, "ice: cannot create the agent");
    }
    *out = a;
    return 0;
}

void ice_agent_free(struct ice_agent *a)
{
    if (!a)
        return;
    if (a->ta)
        event_free(a->ta);
    if (a->deadline)
        event_free(a->deadline);
    OPENSSL_cleanse(a, sizeof(*a));
    free(a);
}

const char *ice_agent_ufrag(const struct ice_agent *a) { return a->ufrag; }
const char *ice_agent_pwd(const struct ice_agent *a) { return a->pwd; }
enum ice_role ice_agent_role(const struct ice_agent *a) { return a->role; }
enum ice_state ice_agent_state(const struct ice_agent *a) { return a->state; }
enum ice_failure ice_agent_failure(const struct ice_agent *a) { return a->failure; }
const struct ice_stats *ice_agent_stats(const struct ice_agent *a) { return &a->stats; }

static bool addr_ok(const struct sockaddr *addr, socklen_t len)
{
    return addr && len <= sizeof(struct sockaddr_storage) &&
           (addr->sa_family == AF_INET || addr->sa_family == AF_INET6);
}

int ice_agent_add_local(struct ice_agent *a, enum ice_cand_type type, unsigned component,
                        const struct sockaddr *addr, socklen_t addr_len, uint16_t local_pref,
                        ice_send_h *send, ice_permit_h *permit, void *arg)
{
    if (a->nlocal >= ICE_LOCAL_MAX)
        return SYNTH_ETOOBIG;
    if (!send || !addr_ok(addr, addr_len) || component < 1 || component > a->o.components ||
        type > ICE_CAND_RELAY)
        return SYNTH_EINVAL;
    struct local_cand *l = &a->locals[a->nlocal];
    memset(l, 0, sizeof(*l));
    l->info.type = type;
    l->info.component = component;
    memcpy(&l->info.addr, addr, addr_len);
    l->info.addr_len = addr_len;
    l->info.priority = a->d->priority(type, local_pref, component);
    l->send = send;
    l->permit = permit;
    l->arg = arg;
    return (int)a->nlocal++;
}

void ice_agent_local(const struct ice_agent *a, int local, struct ice_cand_info *out)
{
    *out = a->locals[local].info;
}

int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd)
{
    if (!ufrag || !pwd || !ufrag[0] || !pwd[0] || strlen(ufrag) > ICE_CRED_MAX ||
        strlen(pwd) > ICE_CRED_MAX)
        return SYNTH_EINVAL;
    snprintf(a->rufrag, sizeof(a->rufrag), "%s", ufrag);
    snprintf(a->rpwd, sizeof(a->rpwd), "%s", pwd);
    a->have_remote = true;
    return 0;
}

int ice_agent_set_dialect(struct ice_agent *a, const struct ice_dialect *d)
{
    if (!d || a->state != ICE_STATE_NEW)
        return SYNTH_EINVAL;
    a->d = d;
    return 0;
}

const struct ice_dialect *ice_agent_dialect(const struct ice_agent *a)
{
    return a->d;
}

static int find_remote(const struct ice_agent *a, unsigned component,
                       const struct sockaddr_storage *addr)
{
    for (size_t i = 0; i < a->nremote; i++)
        if (a->remotes[i].info.component == component &&
            net_addr_equal(&a->remotes[i].info.addr, addr))
            return (int)i;
    return -1;
}

static int add_remote(struct ice_agent *a, enum ice_cand_type type, unsigned component,
                      const struct sockaddr *addr, socklen_t addr_len, uint32_t priority)
{
    if (a->nremote >= ICE_REMOTE_MAX)
        return SYNTH_ETOOBIG;
    if (!addr_ok(addr, addr_len) || component < 1 || component > ICE_COMPONENTS_MAX)
        return SYNTH_EINVAL;
    struct remote_cand *r = &a->remotes[a->nremote];
    memset(r, 0, sizeof(*r));
    r->info.type = type;
    r->info.component = component;
    memcpy(&r->info.addr, addr, addr_len);
    r->info.addr_len = addr_len;
    r->info.priority = priority;
    return (int)a->nremote++;
}

int ice_agent_add_remote(struct ice_agent *a, enum ice_cand_type type, unsigned component,
                         const struct sockaddr *addr, socklen_t addr_len, uint32_t priority)
{
    int rc = add_remote(a, type, component, addr, addr_len, priority);
    return rc < 0 ? rc : 0;
}

/* ---- pairs ---- */

/* RFC 8445 6.1.2.3: G is the controlling agent's candidate priority. */
static uint64_t pair_priority(const struct ice_agent *a, const struct pair *p)
{
    uint64_t l = a->locals[p->l].info.priority, r = a->remotes[p->r].info.priority;
    uint64_t g = a->role == ICE_CONTROLLING ? l : r, d = a->role == ICE_CONTROLLING ? r : l;
    uint64_t mn = g < d ? g : d, mx = g > d ? g : d;
    return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

static void reprioritise(struct ice_agent *a)
{
    for (size_t i = 0; i < a->npairs; i++)
        a->pairs[i].prio = pair_priority(a, &a->pairs[i]);
}

static void ask_permission(struct ice_agent *a, int l, int r)
{
    struct local_cand *lc = &a->locals[l];
    if (!lc->permit)
        return;
    /* One permission covers an IP (RFC 8656 9): skip one asked already. */
    for (size_t i = 0; i < a->nremote; i++)
        if ((a->permitted[l] >> i & 1) && same_ip(&a->remotes[i].info.addr, &a->remotes[r].info.addr)) {
            a->permitted[l] |= 1ull << r;
            return;
        }
    a->permitted[l] |= 1ull << r;
    lc->permit(lc->arg, (const struct sockaddr *)&a->remotes[r].info.addr,
               a->remotes[r].info.addr_len);
}

static int find_pair(const struct ice_agent *a, int l, int r)
{
    for (size_t i = 0; i < a->npairs; i++)
        if (a->pairs[i].l == l && a->pairs[i].r == r)
            return (int)i;
    return -1;
}

/* A pair of a local and a remote candidate of one component and family;
 * -1 when they do not pair or the table is full. */
static int add_pair(struct ice_agent *a, int l, int r)
{
    const struct ice_cand_info *lc = &a->locals[l].info, *rc = &a->remotes[r].info;
    if (lc->component != rc->component || lc->addr.ss_family != rc->addr.ss_family)
        return -1;
    int i = find_pair(a, l, r);
    if (i >= 0)
        return i;
    if (a->npairs >= ICE_PAIRS_MAX)
        return -1;
    struct pair *p = &a->pairs[a->npairs];
    memset(p, 0, sizeof(*p));
    p->l = l;
    p->r = r;
    /* One stream, few candidates: every pair starts Waiting, which is the
     * state RFC 8445 6.1.2.6 gives the first pair of each foundation. */
    p->st = PAIR_WAITING;
    p->prio = pair_priority(a, p);
    ask_permission(a, l, r);
    return (int)a->npairs++;
}

static void enqueue(struct ice_agent *a, int i)
{
    if (a->pairs[i].queued || a->ntrig >= ICE_PAIRS_MAX)
        return;
    a->pairs[i].queued = true;
    a->trig[a->ntrig++] = i;
    a->stats.triggered++;
}

static int dequeue(struct ice_agent *a)
{
    if (a->ntrig == 0)
        return -1;
    int i = a->trig[0];
    memmove(a->trig, a->trig + 1, (a->ntrig - 1) * sizeof(a->trig[0]));
    a->ntrig--;
    a->pairs[i].queued = false;
    return i;
}

/* ---- sending ---- */

static void transmit(struct ice_agent *a, struct pair *p)
{
    const struct local_cand *l = &a->locals[p->l];
    const struct remote_cand *r = &a->remotes[p->r];
    uint8_t buf[512];
    char user[2 * ICE_CRED_MAX + 2];
    struct stun_enc e;
    size_t len;
    if (a->d->username(user, sizeof(user), a->rufrag, a->ufrag) != 0)
        return;
    stun_enc_init(&e, buf, sizeof(buf), a->d->stun, STUN_METHOD_BINDING, STUN_CLASS_REQUEST,
                  p->tid);
    stun_enc_str(&e, STUN_ATTR_USERNAME, user);
    /* RFC 8445 7.1.1: the priority a peer-reflexive candidate of ours would have. */
    stun_enc_u32(&e, STUN_ATTR_PRIORITY,
                 a->d->priority(ICE_CAND_PRFLX, (uint16_t)(l->info.priority >> 8),
                                l->info.component));
    if (a->role == ICE_CONTROLLING) {
        stun_enc_u64(&e, STUN_ATTR_ICE_CONTROLLING, a->tiebreaker);
        if (p->use_cand)
            stun_enc_attr(&e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    } else {
        stun_enc_u64(&e, STUN_ATTR_ICE_CONTROLLED, a->tiebreaker);
    }
    if (a->d->request_attrs)
        a->d->request_attrs(&e, ice_cand_foundation(l->info.type));
    /* RFC 8445 7.2.2: short-term credentials, the peer's password. */
    stun_enc_integrity(&e, (const uint8_t *)a->rpwd, strlen(a->rpwd));
    stun_enc_fingerprint(&e);
    if (stun_enc_finish(&e, &len) != 0)
        return;
    l->send(l->arg, (const struct sockaddr *)&r->info.addr, r->info.addr_len, buf, len);
    a->stats.checks_sent++;
    p->tx++;
    int64_t now = clock_mono_us();
    p->next_tx_us = now + (int64_t)p->rto_ms * 1000;
    p->rto_ms *= 2;
}

static void start_check(struct ice_agent *a, struct pair *p, bool use_cand)
{
    if (stun_tid_new(p->tid) != 0)
        return;
    p->st = PAIR_IN_PROGRESS;
    p->use_cand = use_cand;
    p->tx = 0;
    p->rto_ms = a->o.rto_ms;
    transmit(a, p);
}

/* The integrity rule of ours, or of the dialect's alternative, under which
 * m verifies with key; NULL (counted) if neither. */
static const struct stun_dialect *verify(struct ice_agent *a, const struct stun_msg *m,
                                         const char *key)
{
    size_t n = strlen(key);
    if (stun_msg_check_integrity(m, (const uint8_t *)key, n) == 0)
        return m->dialect;
    if (a->d->stun_alt && stun_msg_check_integrity_as(m, a->d->stun_alt, (const uint8_t *)key, n) == 0) {
        a->stats.alt_integrity++;
        return a->d->stun_alt;
    }
    a->stats.bad_integrity++;
    return NULL;
}

/* form: the integrity rule the request came in, which the answer keeps. */
static void respond(struct ice_agent *a, int l, const struct stun_msg *req,
                    const struct sockaddr_storage *from, uint16_t error,
                    const struct stun_dialect *form)
{
    const struct local_cand *lc = &a->locals[l];
    uint8_t buf[256];
    struct stun_enc e;
    size_t len;
    socklen_t from_len = from->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in);
    stun_enc_init(&e, buf, sizeof(buf), form, STUN_METHOD_BINDING,
                  error ? STUN_CLASS_ERROR : STUN_CLASS_SUCCESS, req->tid);
    if (error)
        stun_enc_error_code(&e, error, "Role Conflict");
    else
        stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)from, true);
    if (a->d->response_attrs)
        a->d->response_attrs(&e);
    /* RFC 8445 7.3: the response is keyed with our own password. */
    stun_enc_integrity(&e, (const uint8_t *)a->pwd, strlen(a->pwd));
    stun_enc_fingerprint(&e);
    if (stun_enc_finish(&e, &len) == 0)
        lc->send(lc->arg, (const struct sockaddr *)from, from_len, buf, len);
}

/* ---- the end ---- */

static void stop_timers(struct ice_agent *a)
{
    event_del(a->ta);
    event_del(a->deadline);
}

/* Last thing a caller does: the handler may free the agent. */
static void finish(struct ice_agent *a, enum ice_state st, enum ice_failure why)
{
    a->state = st;
    a->failure = why;
    a->stats.done_us = clock_mono_us();
    stop_timers(a);
    if (a->o.done)
        a->o.done(a, st, a->o.arg);
}

static bool all_nominated(const struct ice_agent *a)
{
    for (unsigned c = 0; c < a->o.components; c++)
        if (a->selected[c] < 0)
            return false;
    return true;
}

/* Returns true when the agent finished (the caller must return at once). */
static bool nominate(struct ice_agent *a, int i)
{
    struct pair *p = &a->pairs[i];
    unsigned c = a->locals[p->l].info.component;
    p->nominated = true;
    if (a->selected[c - 1] < 0)
        a->selected[c - 1] = i;
    if (a->state == ICE_STATE_RUNNING && all_nominated(a)) {
        finish(a, ICE_STATE_COMPLETED, ICE_FAIL_NONE);
        return true;
    }
    return false;
}

int ice_agent_selected(const struct ice_agent *a, unsigned component, struct ice_pair_info *out)
{
    if (component < 1 || component > a->o.components || a->selected[component - 1] < 0)
        return SYNTH_ENOTFOUND;
    const struct pair *p = &a->pairs[a->selected[component - 1]];
    out->local = p->l;
    out->lc = a->locals[p->l].info;
    out->rc = a->remotes[p->r].info;
    return 0;
}

static void controlling_nominate(struct ice_agent *a, int64_t now);

/* ---- requests (RFC 8445 7.3) ---- */

/* RFC 8445 7.3.1.1. Returns true when we answer 487. */
static bool role_conflict(struct ice_agent *a, const struct stun_msg *m)
{
    uint64_t theirs;
    if (a->role == ICE_CONTROLLING &&
        stun_attr_u64(stun_msg_attr(m, STUN_ATTR_ICE_CONTROLLING), &theirs) == 0) {
        a->stats.role_conflicts++;
        if (a->tiebreaker >= theirs)
            return true;
        a->role = ICE_CONTROLLED;
        reprioritise(a);
    } else if (a->role == ICE_CONTROLLED &&
               stun_attr_u64(stun_msg_attr(m, STUN_ATTR_ICE_CONTROLLED), &theirs) == 0) {
        a->stats.role_conflicts++;
        if (a->tiebreaker < theirs)
            return true;
        a->role = ICE_CONTROLLING;
        reprioritise(a);
    }
    return false;
}

static bool username_ok(const struct ice_agent *a, const struct stun_msg *m)
{
    struct strv u = stun_attr_strv(stun_msg_attr(m, STUN_ATTR_USERNAME));
    size_t n = strlen(a->ufrag);
    /* RFC 8445 7.3: "our-ufrag:their-ufrag". */
    return u.l > n && memcmp(u.p, a->ufrag, n) == 0 && u.p[n] == ':';
}

/* The pair a request makes (7.3.1.3, 7.3.1.4): the remote candidate known
 * or learnt as peer-reflexive. -1 when the tables are full. */
static int pair_of_request(struct ice_agent *a, int l, const struct sockaddr_storage *from,
                           socklen_t from_len, uint32_t prio)
{
    unsigned comp = a->locals[l].info.component;
    if (comp > a->o.components)
        return -1;
    int r = find_remote(a, comp, from);
    if (r < 0)
        r = add_remote(a, ICE_CAND_PRFLX, comp, (const struct sockaddr *)from, from_len, prio);
    if (r < 0)
        return -1;
    return add_pair(a, l, r);
}

/* What a request asks of a running agent; true when the agent finished. */
static bool triggered(struct ice_agent *a, int l, const struct sockaddr_storage *from,
                      socklen_t from_len, uint32_t prio, bool use_cand)
{
    int i = pair_of_request(a, l, from, from_len, prio);
    if (i < 0)
        return false;
    struct pair *p = &a->pairs[i];
    if (p->st == PAIR_WAITING || p->st == PAIR_FROZEN || p->st == PAIR_FAILED) {
        p->st = PAIR_WAITING;
        enqueue(a, i);
    }
    if (use_cand && a->role == ICE_CONTROLLED) {
        if (p->valid)
            return nominate(a, i);
        p->nominate_on_success = true;
    }
    return false;
}

static int on_request(struct ice_agent *a, int l, const struct stun_msg *m,
                      const struct sockaddr_storage *from)
{
    if (!username_ok(a, m)) {
        a->stats.bad_integrity++;
        return 0;
    }
    const struct stun_dialect *form = verify(a, m, a->pwd);
    if (!form)
        return 0;
    a->stats.checks_received++;
    if (role_conflict(a, m)) {
        respond(a, l, m, from, STUN_ERR_ROLE_CONFLICT, form);
        return 0;
    }
    respond(a, l, m, from, 0, form);
    uint32_t prio = 0;
    stun_attr_u32(stun_msg_attr(m, STUN_ATTR_PRIORITY), &prio);
    bool use_cand = stun_msg_attr(m, STUN_ATTR_USE_CANDIDATE) != NULL;
    socklen_t from_len = from->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in);
    if (a->state == ICE_STATE_NEW) {
        /* The peer began first: a triggered check once we start. */
        if (a->nearly < EARLY_MAX)
            a->early[a->nearly++] = (struct early_req){l, *from, from_len, prio, use_cand};
        return 0;
    }
    if (a->state == ICE_STATE_RUNNING)
        triggered(a, l, from, from_len, prio, use_cand);
    return 0;
}

/* ---- responses (RFC 8445 7.2.5) ---- */

static int on_response(struct ice_agent *a, int l, const struct stun_msg *m,
                       const struct sockaddr_storage *from)
{
    int i = -1;
    for (size_t k = 0; k < a->npairs && i < 0; k++)
        if (a->pairs[k].st == PAIR_IN_PROGRESS && a->pairs[k].l == l &&
            memcmp(a->pairs[k].tid, m->tid, STUN_TID_LEN) == 0)
            i = (int)k;
    if (i < 0 || a->state != ICE_STATE_RUNNING)
        return 0;
    if (!verify(a, m, a->rpwd))
        return 0;
    a->stats.responses_received++;
    struct pair *p = &a->pairs[i];
    if (m->cls == STUN_CLASS_ERROR) {
        struct strv reason;
        if (stun_msg_error(m, &reason) == STUN_ERR_ROLE_CONFLICT) {
            /* 7.2.5.1: switch roles and check the pair again. */
            a->stats.role_conflicts++;
            a->role = a->role == ICE_CONTROLLING ? ICE_CONTROLLED : ICE_CONTROLLING;
            reprioritise(a);
            p->st = PAIR_WAITING;
            p->use_cand = false;
            enqueue(a, i);
            return 0;
        }
        p->st = PAIR_FAILED;
        return 0;
    }
    /* 7.2.5.2.1: the response must come from where the request went. */
    if (!net_addr_equal(from, &a->remotes[p->r].info.addr)) {
        p->st = PAIR_FAILED;
        return 0;
    }
    p->st = PAIR_SUCCEEDED;
    bool was_valid = p->valid;
    p->valid = true;
    unsigned c = a->locals[p->l].info.component;
    if (!was_valid && a->first_valid_us[c - 1] == 0)
        a->first_valid_us[c - 1] = clock_mono_us();
    if ((p->use_cand && a->role == ICE_CONTROLLING) ||
        (p->nominate_on_success && a->role == ICE_CONTROLLED)) {
        nominate(a, i);
        return 0;
    }
    /* The best pair may be valid now: nominate without waiting for Ta. */
    if (a->role == ICE_CONTROLLING)
        controlling_nominate(a, clock_mono_us());
    return 0;
}

int ice_agent_receive(struct ice_agent *a, int local, const struct sockaddr_storage *from,
                      const uint8_t *buf, size_t len)
{
    struct stun_msg m;
    size_t used;
    if (local < 0 || (size_t)local >= a->nlocal)
        return SYNTH_EINVAL;
    int rc = stun_msg_parse(&m, buf, len, true, a->d->stun, &used, NULL);
    if (rc != 0)
        return rc == SYNTH_EUNSUPPORTED ? rc : SYNTH_EPARSE;
    /* RFC 8445 7.2.2: every check carries FINGERPRINT; without it, this is
     * someone else's STUN. */
    if (m.method != STUN_METHOD_BINDING || stun_msg_check_fingerprint(&m) != 0)
        return SYNTH_EPARSE;
    if (a->state == ICE_STATE_FAILED)
        return 0;
    if (m.cls == STUN_CLASS_REQUEST)
        return on_request(a, local, &m, from);
    if (m.cls == STUN_CLASS_SUCCESS || m.cls == STUN_CLASS_ERROR)
        return on_response(a, local, &m, from);
    return 0; /* indications: keep-alives (RFC 8445 11) */
}

/* ---- the checklist on Ta ---- */

static int best_waiting(const struct ice_agent *a)
{
    int best = -1;
    for (size_t i = 0; i < a->npairs; i++)
        if (a->pairs[i].st == PAIR_WAITING && (best < 0 || a->pairs[i].prio > a->pairs[best].prio))
            best = (int)i;
    return best;
}

/* Retransmissions due; a pair out of transmissions fails (7.2.5.2.4 timeout). */
static void retransmit_due(struct ice_agent *a, int64_t now)
{
    for (size_t i = 0; i < a->npairs; i++) {
        struct pair *p = &a->pairs[i];
        if (p->st != PAIR_IN_PROGRESS || p->next_tx_us > now)
            continue;
        if (p->tx >= a->o.max_tx) {
            p->st = PAIR_FAILED;
            if (p->use_cand)
                p->nominate_failed = true;
            continue;
        }
        transmit(a, p);
    }
}

/* 8.1.1 regular nomination: once the best pair of a component is valid,
 * or nominate_wait after its first valid pair, check it again with
 * USE-CANDIDATE. */
static void controlling_nominate(struct ice_agent *a, int64_t now)
{
    for (unsigned c = 1; c <= a->o.components; c++) {
        if (a->selected[c - 1] >= 0)
            continue;
        int best_valid = -1;
        bool pending = false, nominating = false;
        for (size_t i = 0; i < a->npairs; i++) {
            const struct pair *p = &a->pairs[i];
            if (a->locals[p->l].info.component != c)
                continue;
            if (p->use_cand && p->st == PAIR_IN_PROGRESS)
                nominating = true;
            if (p->valid && !p->nominate_failed &&
                (best_valid < 0 || p->prio > a->pairs[best_valid].prio))
                best_valid = (int)i;
        }
        if (nominating || best_valid < 0)
            continue;
        for (size_t i = 0; i < a->npairs; i++) {
            const struct pair *p = &a->pairs[i];
            if (a->locals[p->l].info.component == c && p->prio > a->pairs[best_valid].prio &&
                (p->st == PAIR_WAITING || p->st == PAIR_IN_PROGRESS || p->st == PAIR_FROZEN))
                pending = true;
        }
        if (!pending || now - a->first_valid_us[c - 1] >= (int64_t)a->o.nominate_wait_ms * 1000)
            start_check(a, &a->pairs[best_valid], true);
    }
}

static bool nothing_left(const struct ice_agent *a)
{
    for (size_t i = 0; i < a->npairs; i++) {
        const struct pair *p = &a->pairs[i];
        if (p->st != PAIR_FAILED && p->st != PAIR_SUCCEEDED)
            return false;
        if (p->valid && !p->nominate_failed)
            return false;
    }
    return a->ntrig == 0;
}

static void ta_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ice_agent *a = arg;
    int64_t now = clock_mono_us();
    if (a->state != ICE_STATE_RUNNING)
        return;
    retransmit_due(a, now);
    /* One new check per Ta (RFC 8445 6.1.4.2): triggered first. */
    int i = dequeue(a);
    if (i < 0)
        i = best_waiting(a);
    if (i >= 0)
        start_check(a, &a->pairs[i], false);
    if (a->role == ICE_CONTROLLING)
        controlling_nominate(a, now);
    /* Controlling with every pair failed: nothing can succeed any more. */
    if (a->role == ICE_CONTROLLING && nothing_left(a))
        finish(a, ICE_STATE_FAILED, ICE_FAIL_ALL_FAILED);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ice_agent *a = arg;
    if (a->state == ICE_STATE_RUNNING)
        finish(a, ICE_STATE_FAILED, ICE_FAIL_TIMEOUT);
}

int ice_agent_set_components(struct ice_agent *a, unsigned components)
{
    if (a->state != ICE_STATE_NEW || components < 1 || components > a->o.components)
        return SYNTH_EINVAL;
    a->o.components = components;
    return 0;
}

int ice_agent_start(struct ice_agent *a)
{
    if (a->state != ICE_STATE_NEW)
        return SYNTH_EINVAL;
    if (!a->have_remote)
        return SYNTH_EINVAL;
    a->state = ICE_STATE_RUNNING;
    a->stats.start_us = clock_mono_us();
    for (size_t l = 0; l < a->nlocal; l++)
        for (size_t r = 0; r < a->nremote; r++)
            if (a->locals[l].info.component <= a->o.components)
                add_pair(a, (int)l, (int)r);
    struct timeval ta = {a->o.ta_ms / 1000, (a->o.ta_ms % 1000) * 1000};
    struct timeval dl = {a->o.deadline_ms / 1000, (a->o.deadline_ms % 1000) * 1000};
    event_add(a->ta, &ta);
    evtimer_add(a->deadline, &dl);
    for (size_t k = 0; k < a->nearly; k++) {
        struct early_req *e = &a->early[k];
        if (triggered(a, e->l, &e->from, e->from_len, e->priority, e->use_cand))
            return 0;
    }
    a->nearly = 0;
    if (a->npairs == 0) {
        /* Nothing to check; the deadline would say the same, later. */
        finish(a, ICE_STATE_FAILED, ICE_FAIL_NO_PAIRS);
        return 0;
    }
    /* The first check goes now, not a Ta later. */
    int i = dequeue(a);
    if (i < 0)
        i = best_waiting(a);
    if (i >= 0)
        start_check(a, &a->pairs[i], false);
    return 0;
}
