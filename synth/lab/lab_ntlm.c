/* The lab Front End's NTLM security associations ([MS-SIPAE] 3.2.1: one
 * per connection; behind the Edge many users share the Edge's connection,
 * so an SA is a connection and a user). Found by opaque for requests, by
 * connection and From for the responses the Front End relays back. */
#include "lab_ntlm.h"

#include "synth/lab/lab.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SAs at once: a lab run has at most LAB_USERS_MAX users, each with a
 * connection or two; past this the oldest SA makes room. */
#define LAB_NTLM_SAS_MAX 65536
#define LAB_NTLM_BUCKETS 4096
/* A CHALLENGE not answered within this is forgotten (a client answers in
 * one round trip). */
#define LAB_NTLM_NEGOTIATE_MS 30000
#define LAB_NTLM_AOR_MAX 256
#define LAB_NTLM_NAME_MAX 64
/* Credentials headers looked at in one request. */
#define LAB_NTLM_HEADERS_MAX 8

struct entry {
    struct sipae_server_sa sa;
    uint64_t flow_id;
    uint32_t key;           /* the opaque's value */
    uint64_t aor_hash;
    char aor[LAB_NTLM_AOR_MAX]; /* From URI of the request that established it */
    struct entry *next_key, *next_aor;
    struct entry *prev, *next; /* oldest first */
};

struct lab_ntlm {
    struct sipae_server_id id;
    char fqdn[LAB_NAME_MAX], domain[LAB_NAME_MAX];
    char nb_domain[LAB_NTLM_NAME_MAX], nb_computer[LAB_NTLM_NAME_MAX];
    sipae_password_h *password_of;
    void *arg;
    uint64_t sa_lifetime_ms; /* once established */
    struct entry *by_key[LAB_NTLM_BUCKETS], *by_aor[LAB_NTLM_BUCKETS];
    struct entry *head, *tail;
    size_t count;
};

static uint64_t aor_hash(uint64_t flow_id, struct strv aor)
{
    uint64_t h = 0xcbf29ce484222325ull ^ flow_id;
    for (size_t i = 0; i < aor.l; i++) {
        h ^= (unsigned char)aor.p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* NetBIOS names: the first DNS label, uppercased, at most 15 characters. */
static void netbios_name(const char *dns, char *out, size_t size)
{
    size_t n = 0;
    while (dns[n] && dns[n] != '.' && n < 15 && n + 1 < size) {
        char c = dns[n];
        out[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    out[n] = '\0';
}

int lab_ntlm_new(struct lab_ntlm **out, const char *fqdn, const char *domain,
                 uint64_t sa_lifetime_ms, sipae_password_h *password_of, void *arg,
                 struct synth_error *e)
{
    struct synth_error ce;
    if (ntlm_crypto_init(&ce) != 0)
        return synth_error_set(e, SYNTH_EUNSUPPORTED, "lab auth: ntlm: %s", ce.msg);
    struct lab_ntlm *n = calloc(1, sizeof(*n));
    if (!n)
        return synth_error_set(e, SYNTH_ENOMEM, "no memory for the lab's NTLM SAs");
    snprintf(n->fqdn, sizeof(n->fqdn), "%s", fqdn);
    snprintf(n->domain, sizeof(n->domain), "%s", domain);
    netbios_name(domain, n->nb_domain, sizeof(n->nb_domain));
    netbios_name(fqdn, n->nb_computer, sizeof(n->nb_computer));
    n->id = (struct sipae_server_id){
        .realm = "SIP Communications Service", /* what every SfB pool names itself */
        .targetname = n->fqdn,
        .nb_domain = n->nb_domain,
        .nb_computer = n->nb_computer,
        .dns_domain = n->domain,
        .version = 4,
    };
    n->password_of = password_of;
    n->arg = arg;
    /* A working day when not set, as Lync's. */
    n->sa_lifetime_ms = sa_lifetime_ms ? sa_lifetime_ms : SIPAE_SA_LIFETIME_DEFAULT_MS;
    *out = n;
    return 0;
}

static void unchain(struct entry **pp, struct entry *x, bool by_aor)
{
    for (; *pp; pp = by_aor ? &(*pp)->next_aor : &(*pp)->next_key) {
        if (*pp == x) {
            *pp = by_aor ? x->next_aor : x->next_key;
            return;
        }
    }
}

static void entry_free(struct lab_ntlm *n, struct entry *x)
{
    unchain(&n->by_key[x->key % LAB_NTLM_BUCKETS], x, false);
    if (x->aor[0])
        unchain(&n->by_aor[x->aor_hash % LAB_NTLM_BUCKETS], x, true);
    if (x->prev)
        x->prev->next = x->next;
    else
        n->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        n->tail = x->prev;
    n->count--;
    sipae_server_sa_clear(&x->sa);
    free(x);
}

void lab_ntlm_free(struct lab_ntlm *n)
{
    if (!n)
        return;
    while (n->head)
        entry_free(n, n->head);
    free(n);
}

size_t lab_ntlm_count(const struct lab_ntlm *n)
{
    return n ? n->count : 0;
}

void lab_ntlm_flow_closed(struct lab_ntlm *n, uint64_t flow_id)
{
    if (!n)
        return;
    for (struct entry *x = n->head, *next; x; x = next) {
        next = x->next;
        if (x->flow_id == flow_id)
            entry_free(n, x);
    }
}

static uint32_t opaque_key(struct strv opaque)
{
    uint32_t k = 0;
    for (size_t i = 0; i < opaque.l; i++) {
        char c = opaque.p[i];
        k = k * 16 + (uint32_t)((c >= '0' && c <= '9') ? c - '0' : (c | 32) - 'a' + 10);
    }
    return k;
}

static struct entry *find_key(const struct lab_ntlm *n, uint64_t flow_id, struct strv opaque)
{
    for (struct entry *x = n->by_key[opaque_key(opaque) % LAB_NTLM_BUCKETS]; x; x = x->next_key)
        if (x->flow_id == flow_id && strv_eq(opaque, x->sa.opaque))
            return x;
    return NULL;
}

static struct entry *entry_new(struct lab_ntlm *n, uint64_t flow_id, uint64_t now,
                               struct synth_error *e)
{
    /* Expired SAs and abandoned negotiations at the old end go first. */
    while (n->head && (n->head->sa.expires_ms <= now || n->count >= LAB_NTLM_SAS_MAX))
        entry_free(n, n->head);
    struct entry *x = calloc(1, sizeof(*x));
    if (!x) {
        synth_error_set(e, SYNTH_ENOMEM, "no memory for an NTLM SA");
        return NULL;
    }
    if (sipae_server_sa_start(&x->sa, &n->id, now, LAB_NTLM_NEGOTIATE_MS, e) != 0) {
        free(x);
        return NULL;
    }
    x->flow_id = flow_id;
    x->key = opaque_key(strv_from_cstr(x->sa.opaque));
    x->next_key = n->by_key[x->key % LAB_NTLM_BUCKETS];
    n->by_key[x->key % LAB_NTLM_BUCKETS] = x;
    x->prev = n->tail;
    if (n->tail)
        n->tail->next = x;
    else
        n->head = x;
    n->tail = x;
    n->count++;
    return x;
}

/* The SA now stands for the user whose From the request carries: an older
 * SA of the same user on the same connection is replaced. */
static void entry_bind(struct lab_ntlm *n, struct entry *x, const struct sip_msg *req)
{
    uint64_t h = aor_hash(x->flow_id, req->from.uri);
    for (struct entry *o = n->by_aor[h % LAB_NTLM_BUCKETS], *next; o; o = next) {
        next = o->next_aor;
        if (o != x && o->flow_id == x->flow_id && strv_eq(req->from.uri, o->aor))
            entry_free(n, o);
    }
    if (strv_copy(req->from.uri, x->aor, sizeof(x->aor)) != 0)
        return; /* too long to sign relayed responses for: requests still verify */
    x->aor_hash = h;
    x->next_aor = n->by_aor[h % LAB_NTLM_BUCKETS];
    n->by_aor[h % LAB_NTLM_BUCKETS] = x;
}

struct sipae_server_sa *lab_ntlm_find(struct lab_ntlm *n, uint64_t flow_id,
                                      const struct sip_msg *m)
{
    if (!n)
        return NULL;
    struct strv aor = m->is_request ? m->to.uri : m->from.uri;
    uint64_t h = aor_hash(flow_id, aor);
    uint64_t now = lab_now_ms();
    for (struct entry *x = n->by_aor[h % LAB_NTLM_BUCKETS]; x; x = x->next_aor)
        if (x->flow_id == flow_id && x->sa.state == SIPAE_SA_ESTABLISHED &&
            x->sa.expires_ms > now && strv_eq(aor, x->aor))
            return &x->sa;
    return NULL;
}

enum lab_ntlm_verdict lab_ntlm_check(struct lab_ntlm *n, uint64_t flow_id,
                                     const struct sip_msg *req, bool proxy,
                                     struct sipae_server_sa **sa, struct synth_error *e)
{
    struct sipae_client_auth a;
    bool found = false;
    unsigned seen = 0;
    const char *name = proxy ? "Proxy-Authorization" : "Authorization";
    enum sip_hdr_id id = proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
    uint64_t now = lab_now_ms();

    *sa = NULL;
    for (const struct sip_hdr *h = sip_msg_hdr(req, id, NULL); h && seen < LAB_NTLM_HEADERS_MAX;
         h = sip_msg_hdr(req, id, h), seen++) {
        int rc = sipae_client_auth_parse(&a, h->value);
        if (rc == SYNTH_EUNSUPPORTED)
            continue; /* Digest, Kerberos: not what this registrar offers */
        if (rc != 0) {
            synth_error_set(e, rc, "malformed NTLM %s", name);
            return LAB_NTLM_MALFORMED;
        }
        /* 3.2.5.2 step 1: the credentials meant for this server. */
        if (strv_eq(a.realm, n->id.realm) && strv_caseeq(a.targetname, n->fqdn)) {
            found = true;
            break;
        }
    }
    if (!found)
        return LAB_NTLM_CHALLENGE;
    if (!strv_isset(a.opaque)) {
        if (!strv_isset(a.gssapi_data))
            return LAB_NTLM_CHALLENGE;
        /* Connectionless NTLM: the client's first token is empty and the
         * server answers with its CHALLENGE ([MS-SIPAE] 3.2.2). */
        struct entry *x = entry_new(n, flow_id, now, e);
        if (!x)
            return LAB_NTLM_MALFORMED;
        *sa = &x->sa;
        return LAB_NTLM_CONTINUE;
    }
    struct entry *x = find_key(n, flow_id, a.opaque);
    if (!x || x->sa.expires_ms <= now) {
        if (x)
            entry_free(n, x);
        return LAB_NTLM_CHALLENGE; /* an SA we no longer hold: start over */
    }
    if (x->sa.state == SIPAE_SA_NEGOTIATING) {
        int rc = sipae_server_sa_accept(&x->sa, &n->id, &a, req, n->password_of, n->arg, now, e);
        if (rc != 0) {
            entry_free(n, x);
            return rc == SYNTH_ENOTFOUND ? LAB_NTLM_NO_USER
                   : rc == SYNTH_EAUTH  ? LAB_NTLM_REFUSED
                                        : LAB_NTLM_MALFORMED;
        }
        x->sa.expires_ms = now + n->sa_lifetime_ms;
        entry_bind(n, x, req);
        *sa = &x->sa;
        return LAB_NTLM_OK;
    }
    int rc = sipae_server_sa_verify(&x->sa, &n->id, &a, req, now, e);
    if (rc != 0)
        return LAB_NTLM_BAD_SIGNATURE;
    *sa = &x->sa;
    return LAB_NTLM_OK;
}

int lab_ntlm_challenge_line(const struct lab_ntlm *n, struct sbuf *x, bool proxy,
                            const struct sipae_server_sa *sa)
{
    sbuf_puts(x, proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ");
    int rc = sipae_server_challenge(x, &n->id, sa);
    sbuf_puts(x, "\r\n");
    return rc ? rc : sbuf_result(x);
}

int lab_ntlm_sign_line(const struct lab_ntlm *n, struct sipae_server_sa *sa,
                       const struct sip_msg *resp, struct sbuf *x)
{
    sbuf_puts(x, "Authentication-Info: ");
    int rc = sipae_server_sign(sa, &n->id, x, resp, NULL);
    sbuf_puts(x, "\r\n");
    return rc ? rc : sbuf_result(x);
}
