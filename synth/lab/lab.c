/* The embedded lab: certificates, and its servers on lab_threads: one loop
 * for all by default, or (threads: per-server) three, for the UM, the A/V
 * Edge (TURN relay), and the Front End with the Edge's SIP side, the web
 * services and the middleboxes. Servers meet only through sockets, the
 * atomic counters, the relay's locked credential table (MRAS) and the UM's
 * atomic port table (the relay's inside network), so either layout holds. */
#include "lab.h"

#include "synth/lab/certs.h"
#include "synth/lab/lab_thread.h"
#include "synth/lab/lab_web.h"
#include "synth/lab/registrar.h"
#include "synth/lab/tcp_idle_relay.h"
#include "synth/lab/turn_director.h"
#include "synth/lab/turn_relay.h"
#include "synth/lab/um.h"
#include "synth/tls/tls_ctx.h"

#include <event2/event.h>
#include <openssl/crypto.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAB_PATH_MAX 1024
#define LAB_CA_CN "synth lab CA"
/* Five minutes, as Kamailio's auth module and most registrars use: long
 * enough for a slow client, short enough that a stolen nonce ages out. */
#define LAB_NONCE_LIFETIME_MS (5 * 60 * 1000)
/* Certificate key type: ECDSA handshakes are cheap enough for load tests. */
#define LAB_KEY LAB_KEY_EC_P256

enum lab_state { LAB_STARTING, LAB_READY, LAB_FAILED };

struct lab {
    struct lab_config cfg;
    struct lab_options opts;
    char state_dir[LAB_PATH_MAX];
    char ca_path[LAB_PATH_MAX];
    char fe_name[LAB_NAME_MAX]; /* the names peers verify: first SAN, else CN */
    char um_name[LAB_NAME_MAX];
    char edge_name[LAB_NAME_MAX];
    struct lab_ca *ca;
    struct lab_cert *fe_cert, *um_cert, *edge_cert;
    SSL_CTX *fe_server_ctx, *fe_client_ctx, *um_server_ctx;
    SSL_CTX *edge_server_ctx, *edge_client_ctx;
    struct lab_stats stats;
    struct lab_endpoints ep;

    /* threads: per-server: started in this order (each names what the
     * next needs) and stopped in the reverse (the relay asks the UM what is
     * inside). threads: one: fe_thread alone runs the three. */
    struct lab_thread *um_thread, *turn_thread, *fe_thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    enum lab_state state;
    int start_rc;
    struct synth_error start_err;

    /* Each on its own thread; written before the next thread starts. */
    struct um *um;
    struct turn_relay *turn;
    /* The Front End's thread. */
    struct event_base *fe_base;
    struct registrar *fe;
    struct registrar *edge;
    struct lab_web *web; /* UCWA service and reverse proxy */
    struct tcp_idle_relay *sip_box[2]; /* sip_idle_timeout_s: before the FE's and the Edge's TLS */
    struct turn_director *turn_director; /* turn_pool_redirect */
    unsigned links_pending; /* FE→UM and Edge→FE, both up before the lab is ready */
};

uint64_t lab_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *advertised_host(const struct lab_config *cfg)
{
    const char *h = cfg->listen_host;
    if (!*h || strcmp(h, "0.0.0.0") == 0)
        return "127.0.0.1";
    if (strcmp(h, "::") == 0)
        return "::1";
    return h;
}

void lab_uri_host(const struct lab_config *cfg, char *out, size_t size)
{
    const char *h = advertised_host(cfg);
    snprintf(out, size, strchr(h, ':') ? "[%s]" : "%s", h);
}

void lab_options_defaults(struct lab_options *o)
{
    memset(o, 0, sizeof(*o));
    o->nonce_lifetime_ms = LAB_NONCE_LIFETIME_MS;
    o->challenge_invites = false;
}

/* The name a peer checks a certificate against: the FQDN, which a real
 * deployment lists in the SAN (the CN may be anything, a field failure). */
static void cert_name(const struct lab_cert_spec *s, char *out, size_t size)
{
    snprintf(out, size, "%s", s->san_count ? s->san[0] : s->cn);
}

static int issue(struct lab_cert **out, const struct lab_ca *ca, const struct lab_cert_spec *s,
                 struct synth_error *err)
{
    const char *sans[LAB_SAN_MAX];
    unsigned n = s->san_count < LAB_SAN_MAX ? s->san_count : LAB_SAN_MAX;
    for (unsigned i = 0; i < n; i++)
        sans[i] = s->san[i];
    return lab_cert_issue(out, ca, s->cn, sans, n, LAB_KEY, err);
}

/* A server's client side toward the next hop: trusts the lab CA and
 * presents the server's own certificate (mutual TLS between servers). */
static int server_client_ctx(SSL_CTX **out, const struct lab_ca *ca, const struct lab_cert *own,
                             struct synth_error *err)
{
    struct tls_client_opts co;
    tls_client_opts_defaults(&co);
    co.ca_cert = lab_ca_x509(ca);
    co.client_x509 = lab_cert_x509(own);
    co.client_pkey = lab_cert_pkey(own);
    return tls_ctx_client_new(out, &co, err);
}

/* The um_cert_cn fault: the Subject CN is another name and the FQDN the
 * peers check stays only in the SAN, as in the field failure. */
static void um_cert_spec(const struct lab *lab, struct lab_cert_spec *s)
{
    *s = lab->cfg.um_cert;
    if (!lab->cfg.faults.um_cert_cn[0])
        return;
    if (s->san_count == 0) {
        snprintf(s->san[0], sizeof(s->san[0]), "%s", lab->um_name);
        s->san_count = 1;
    }
    snprintf(s->cn, sizeof(s->cn), "%s", lab->cfg.faults.um_cert_cn);
}

static int make_certs(struct lab *lab, struct synth_error *err)
{
    struct lab_cert_spec um_spec;
    um_cert_spec(lab, &um_spec);
    int rc = lab_ca_create(&lab->ca, LAB_CA_CN, LAB_KEY, err);
    if (rc == 0)
        rc = issue(&lab->fe_cert, lab->ca, &lab->cfg.fe_cert, err);
    if (rc == 0)
        rc = issue(&lab->um_cert, lab->ca, &um_spec, err);
    if (rc == 0)
        rc = issue(&lab->edge_cert, lab->ca, &lab->cfg.edge_cert, err);
    if (rc == 0)
        rc = lab_ca_write_pem(lab->ca, lab->ca_path, err);
    if (rc != 0)
        return rc;

    /* The FE asks for a certificate (the Edge and other servers present
     * one, checked against the lab CA); users present none. */
    rc = tls_ctx_server_new(&lab->fe_server_ctx, lab_cert_x509(lab->fe_cert),
                            lab_cert_pkey(lab->fe_cert), lab_ca_x509(lab->ca), true, err);
    if (rc == 0)
        rc = tls_ctx_server_new(&lab->edge_server_ctx, lab_cert_x509(lab->edge_cert),
                                lab_cert_pkey(lab->edge_cert), NULL, false, err);
    if (rc == 0)
        rc = server_client_ctx(&lab->edge_client_ctx, lab->ca, lab->edge_cert, err);
    if (rc != 0)
        return rc;
    /* The UM asks for the FE's certificate and checks it against the lab CA. */
    rc = tls_ctx_server_new(&lab->um_server_ctx, lab_cert_x509(lab->um_cert),
                            lab_cert_pkey(lab->um_cert), lab_ca_x509(lab->ca), true, err);
    if (rc != 0)
        return rc;
    return server_client_ctx(&lab->fe_client_ctx, lab->ca, lab->fe_cert, err);
}

static void set_state(struct lab *lab, enum lab_state st, int rc, const char *msg)
{
    pthread_mutex_lock(&lab->mu);
    if (lab->state == LAB_STARTING) {
        lab->state = st;
        lab->start_rc = rc;
        if (msg)
            snprintf(lab->start_err.msg, sizeof(lab->start_err.msg), "%s", msg);
        pthread_cond_broadcast(&lab->cond);
    }
    pthread_mutex_unlock(&lab->mu);
}

static void link_report(struct lab *lab, const char *what, int err, const char *detail)
{
    char msg[SYNTH_ERROR_MSG_MAX];
    if (err == 0) {
        if (--lab->links_pending == 0)
            set_state(lab, LAB_READY, 0, NULL);
        return;
    }
    snprintf(msg, sizeof(msg), "%s (%s): %s", what, synth_strerror(err),
             detail && *detail ? detail : "connection failed");
    set_state(lab, LAB_FAILED, err, msg);
    event_base_loopbreak(lab->fe_base);
}

/* The Front End's MRAS hands out a credential the A/V Edge (the lab relay)
 * accepts for its lifetime, and names the relay. On the Front End's thread:
 * the relay locks its table. */
static int mras_issue(const char *user, const char *password, uint32_t lifetime_s,
                      struct mras_relay *relay, void *arg)
{
    struct lab *lab = arg;
    if (!lab->turn)
        return SYNTH_ENOTFOUND;
    int rc = turn_relay_add_credential(lab->turn, user, password, lifetime_s);
    if (rc != 0)
        return rc;
    snprintf(relay->host, sizeof(relay->host), "%s", lab->ep.host);
    relay->udp_port = lab->ep.turn_udp_port;
    relay->tcp_port = lab->ep.turn_tcp_port;
    return 0;
}

/* The lab's inside network, as the A/V Edge's external side sees it: the
 * UM's media addresses (the other servers carry no media). */
static bool relay_inside(const struct sockaddr_storage *addr, void *arg)
{
    return um_owns_media_address(arg, addr);
}

static void um_link_ready(int err, const char *detail, void *arg)
{
    link_report(arg, "front end cannot reach the UM", err, detail);
}

static void fe_link_ready(int err, const char *detail, void *arg)
{
    link_report(arg, "edge cannot reach the front end", err, detail);
}

/* The sip_idle_timeout_s knob: a middlebox in front of the Front End's and
 * the Edge's TLS listeners. Clients are given its ports (the target and
 * the endpoints show them); the Edge still reaches the Front End directly. */
static int sip_middlebox_start(struct lab *lab, struct synth_error *err)
{
    const struct lab_faults *f = &lab->cfg.faults;
    if (!f->sip_idle_timeout_s)
        return 0;
    uint16_t *ports[2] = {&lab->ep.tls_port, &lab->ep.edge_port};
    for (int i = 0; i < 2; i++) {
        struct tcp_idle_relay_opts o = {
            .listen_host = lab->cfg.listen_host,
            .backend_host = lab->ep.host,
            .backend_port = *ports[i],
            .timeout_s = f->sip_idle_timeout_s,
            .cut = (enum tcp_idle_cut)f->sip_idle_cut,
        };
        int rc = tcp_idle_relay_start(&lab->sip_box[i], lab->fe_base, &o, err);
        if (rc != 0)
            return rc;
        *ports[i] = tcp_idle_relay_port(lab->sip_box[i]);
    }
    return 0;
}

static int um_thread_start(struct event_base *base, void *arg, struct synth_error *err)
{
    struct lab *lab = arg;
    struct um_opts uo = {
        .cfg = &lab->cfg,
        .stats = &lab->stats,
        .server_ctx = lab->um_server_ctx,
        .fqdn = lab->um_name,
        .peer_name = lab->fe_name,
    };
    int rc = um_start(&lab->um, base, &uo, err);
    if (rc == 0)
        lab->ep.um_port = um_port(lab->um);
    return rc;
}

static void um_thread_free(void *arg)
{
    struct lab *lab = arg;
    um_free(lab->um);
    lab->um = NULL;
}

static int turn_thread_start(struct event_base *base, void *arg, struct synth_error *err)
{
    struct lab *lab = arg;
    struct turn_relay_opts to = {
        .cfg = &lab->cfg,
        .stats = &lab->stats,
        .nonce_lifetime_ms = lab->opts.nonce_lifetime_ms,
        .inside = relay_inside,
        .inside_arg = lab->um,
    };
    int rc = turn_relay_start(&lab->turn, base, &to, err);
    if (rc == 0)
        lab->ep.turn_udp_port = lab->ep.turn_tcp_port = turn_relay_port(lab->turn);
    return rc;
}

static void turn_thread_free(void *arg)
{
    struct lab *lab = arg;
    turn_relay_free(lab->turn);
    lab->turn = NULL;
}

/* turn_pool_redirect: clients (the target, MRAS) are given the pool's first
 * Edge over UDP; it names the relay. */
static int turn_director_up(struct lab *lab, struct synth_error *err)
{
    if (!lab->cfg.turn_pool_redirect)
        return 0;
    struct sockaddr_storage relay;
    socklen_t relay_len;
    turn_relay_address(lab->turn, &relay, &relay_len);
    int rc = turn_director_start(&lab->turn_director, lab->fe_base, &lab->cfg, &lab->stats,
                                 &relay, err);
    if (rc == 0)
        lab->ep.turn_udp_port = turn_director_port(lab->turn_director);
    return rc;
}

static int fe_thread_start(struct event_base *base, void *arg, struct synth_error *err)
{
    struct lab *lab = arg;
    lab->fe_base = base;
    lab->links_pending = 2;
    struct registrar_opts ro = {
        .role = REGISTRAR_FRONT_END,
        .cfg = &lab->cfg,
        .stats = &lab->stats,
        .server_ctx = lab->fe_server_ctx,
        .hop_ctx = lab->fe_client_ctx,
        .fqdn = lab->fe_name,
        .hop_name = lab->um_name,
        .hop_port = lab->ep.um_port,
        .nonce_lifetime_ms = lab->opts.nonce_lifetime_ms,
        .challenge_invites = lab->opts.challenge_invites,
        .link_ready = um_link_ready,
        .mras_issue = mras_issue,
        .arg = lab,
    };
    int rc = registrar_start(&lab->fe, base, &ro, err);
    if (rc != 0)
        return rc;
    registrar_ports(lab->fe, &lab->ep.udp_port, &lab->ep.tcp_port, &lab->ep.tls_port);

    struct registrar_opts eo = {
        .role = REGISTRAR_EDGE,
        .cfg = &lab->cfg,
        .stats = &lab->stats,
        .server_ctx = lab->edge_server_ctx,
        .hop_ctx = lab->edge_client_ctx,
        .fqdn = lab->edge_name,
        .hop_name = lab->fe_name,
        .hop_port = lab->ep.tls_port,
        .listen_port = lab->cfg.edge_port,
        .nonce_lifetime_ms = lab->opts.nonce_lifetime_ms,
        .link_ready = fe_link_ready,
        .arg = lab,
    };
    rc = registrar_start(&lab->edge, base, &eo, err);
    if (rc != 0)
        return rc;
    uint16_t none;
    registrar_ports(lab->edge, &none, &none, &lab->ep.edge_port);
    rc = sip_middlebox_start(lab, err);
    if (rc != 0)
        return rc;
    rc = lab_web_start(&lab->web, base, &lab->cfg, lab->ca, lab->ep.host, err);
    if (rc != 0)
        return rc;
    lab_web_ports(lab->web, &lab->ep.ucwa_port, &lab->ep.proxy_port);
    lab_web_site_ports(lab->web, true, &lab->ep.web_internal_https, &lab->ep.web_internal_http);
    lab_web_site_ports(lab->web, false, &lab->ep.web_external_https, &lab->ep.web_external_http);
    return turn_director_up(lab, err);
}

static void fe_thread_free(void *arg)
{
    struct lab *lab = arg;
    /* Outside in: each link closes before its far end goes. */
    lab_web_free(lab->web);
    lab->web = NULL;
    turn_director_free(lab->turn_director);
    lab->turn_director = NULL;
    for (int i = 0; i < 2; i++) {
        tcp_idle_relay_free(lab->sip_box[i]);
        lab->sip_box[i] = NULL;
    }
    registrar_free(lab->edge);
    lab->edge = NULL;
    registrar_free(lab->fe);
    lab->fe = NULL;
}

/* threads: one: the three servers on one loop, in the same order. */
static int all_start(struct event_base *base, void *arg, struct synth_error *err)
{
    int rc = um_thread_start(base, arg, err);
    if (rc == 0)
        rc = turn_thread_start(base, arg, err);
    if (rc == 0)
        rc = fe_thread_start(base, arg, err);
    return rc;
}

static void all_free(void *arg)
{
    fe_thread_free(arg);
    turn_thread_free(arg);
    um_thread_free(arg);
}

static int threads_start(struct lab *lab, struct synth_error *err)
{
    if (!lab->cfg.threads_per_server) {
        struct lab_thread_opts all = {"lab", true, all_start, all_free, lab};
        return lab_thread_start(&lab->fe_thread, &all, err);
    }
    struct lab_thread_opts um = {"lab-um", true, um_thread_start, um_thread_free, lab};
    struct lab_thread_opts turn = {"lab-turn", false, turn_thread_start, turn_thread_free, lab};
    struct lab_thread_opts fe = {"lab-fe", false, fe_thread_start, fe_thread_free, lab};
    int rc = lab_thread_start(&lab->um_thread, &um, err);
    if (rc == 0)
        rc = lab_thread_start(&lab->turn_thread, &turn, err);
    if (rc == 0)
        rc = lab_thread_start(&lab->fe_thread, &fe, err);
    return rc;
}

static void threads_stop(struct lab *lab)
{
    lab_thread_stop(lab->fe_thread);
    lab->fe_thread = NULL;
    lab_thread_stop(lab->turn_thread);
    lab->turn_thread = NULL;
    lab_thread_stop(lab->um_thread);
    lab->um_thread = NULL;
}

static void lab_free(struct lab *lab)
{
    if (lab->fe_server_ctx)
        SSL_CTX_free(lab->fe_server_ctx);
    if (lab->fe_client_ctx)
        SSL_CTX_free(lab->fe_client_ctx);
    if (lab->um_server_ctx)
        SSL_CTX_free(lab->um_server_ctx);
    if (lab->edge_server_ctx)
        SSL_CTX_free(lab->edge_server_ctx);
    if (lab->edge_client_ctx)
        SSL_CTX_free(lab->edge_client_ctx);
    lab_cert_free(lab->fe_cert);
    lab_cert_free(lab->um_cert);
    lab_cert_free(lab->edge_cert);
    lab_ca_free(lab->ca);
    pthread_mutex_destroy(&lab->mu);
    pthread_cond_destroy(&lab->cond);
    OPENSSL_cleanse(lab->cfg.password, sizeof(lab->cfg.password));
    OPENSSL_cleanse(lab->cfg.turn_password, sizeof(lab->cfg.turn_password));
    free(lab);
}

int lab_start(struct lab **out, const struct lab_config *cfg, const char *state_dir,
              struct synth_error *err)
{
    return lab_start_opts(out, cfg, NULL, state_dir, err);
}

int lab_start_opts(struct lab **out, const struct lab_config *cfg,
                   const struct lab_options *opts, const char *state_dir,
                   struct synth_error *err)
{
    int rc;
    if (!out || !cfg || !state_dir || !*state_dir)
        return synth_error_set(err, SYNTH_EINVAL, "lab: configuration and state directory needed");
    if (cfg->user_count == 0)
        return synth_error_set(err, SYNTH_ECONFIG, "lab: user_count must be at least 1");
    struct lab *lab = calloc(1, sizeof(*lab));
    if (!lab)
        return synth_error_set(err, SYNTH_ENOMEM, "lab: out of memory");
    pthread_mutex_init(&lab->mu, NULL);
    pthread_cond_init(&lab->cond, NULL);
    lab->cfg = *cfg;
    if (opts)
        lab->opts = *opts;
    else
        lab_options_defaults(&lab->opts);
    if ((size_t)snprintf(lab->state_dir, sizeof(lab->state_dir), "%s", state_dir) >=
            sizeof(lab->state_dir) ||
        (size_t)snprintf(lab->ca_path, sizeof(lab->ca_path), "%s/ca.pem", state_dir) >=
            sizeof(lab->ca_path)) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "lab: state directory path too long");
        goto fail;
    }
    cert_name(&lab->cfg.fe_cert, lab->fe_name, sizeof(lab->fe_name));
    cert_name(&lab->cfg.um_cert, lab->um_name, sizeof(lab->um_name));
    cert_name(&lab->cfg.edge_cert, lab->edge_name, sizeof(lab->edge_name));

    rc = make_certs(lab, err);
    if (rc != 0)
        goto fail;
    snprintf(lab->ep.host, sizeof(lab->ep.host), "%s", advertised_host(&lab->cfg));
    rc = threads_start(lab, err);
    if (rc != 0)
        goto fail;
    /* Ready once the Front End's links to the UM and from the Edge are up. */
    pthread_mutex_lock(&lab->mu);
    while (lab->state == LAB_STARTING)
        pthread_cond_wait(&lab->cond, &lab->mu);
    pthread_mutex_unlock(&lab->mu);
    if (lab->state == LAB_FAILED) {
        rc = lab->start_rc ? lab->start_rc : SYNTH_EINTERNAL;
        synth_error_set(err, rc, "%s", lab->start_err.msg);
        goto fail;
    }
    *out = lab;
    return 0;
fail:
    threads_stop(lab);
    lab_free(lab);
    return rc;
}

void lab_stop(struct lab *lab)
{
    if (!lab)
        return;
    threads_stop(lab);
    lab_free(lab);
}

void lab_endpoints(const struct lab *lab, struct lab_endpoints *out)
{
    *out = lab->ep;
}

void lab_counters(const struct lab *lab, struct lab_counters *out)
{
    struct lab_stats *s = (struct lab_stats *)&lab->stats;
    out->reg_ok = atomic_load(&s->reg_ok);
    out->reg_rejected = atomic_load(&s->reg_rejected);
    out->invites = atomic_load(&s->invites);
    out->answered = atomic_load(&s->answered);
    out->byes = atomic_load(&s->byes);
    out->dtmf_keys = atomic_load(&s->dtmf_keys);
    out->active_dialogs = atomic_load(&s->active_dialogs);
    out->edge_requests = atomic_load(&s->edge_requests);
    out->mras_granted = atomic_load(&s->mras_granted);
    out->mras_refused = atomic_load(&s->mras_refused);
    out->mras_user_granted = atomic_load(&s->mras_user_granted);
    out->mras_user_refused = atomic_load(&s->mras_user_refused);
    out->turn_allocations = atomic_load(&s->turn_allocations);
    out->turn_active = atomic_load(&s->turn_active);
    out->turn_to_peers = atomic_load(&s->turn_to_peers);
    out->turn_from_peers = atomic_load(&s->turn_from_peers);
    out->turn_dropped = atomic_load(&s->turn_dropped);
    out->turn_released = atomic_load(&s->turn_released);
    out->turn_unreachable = atomic_load(&s->turn_unreachable);
    out->turn_redirected = atomic_load(&s->turn_redirected);
    out->turn_pseudo_tls = atomic_load(&s->turn_pseudo_tls);
    out->um_relay_candidates = atomic_load(&s->um_relay_candidates);
    out->um_ice_failed = atomic_load(&s->um_ice_failed);
}

const struct lab_config *lab_get_config(const struct lab *lab)
{
    return &lab->cfg;
}

const char *lab_state_dir(const struct lab *lab)
{
    return lab->state_dir;
}

const char *lab_ca_file(const struct lab *lab)
{
    return lab->ca_path;
}

void lab_fe_identity(const struct lab *lab, X509 **cert, EVP_PKEY **key)
{
    *cert = lab_cert_x509(lab->fe_cert);
    *key = lab_cert_pkey(lab->fe_cert);
}

const char *lab_um_name(const struct lab *lab)
{
    return lab->um_name;
}
