/* Loading a target file: the deployment under test (target.h). The format is
 * documented in docs/configuration.md; `synth lab --write-target` writes it. */
#include "synth/config/target.h"

#include "synth/base/net_addr.h"
#include "synth/base/sbuf.h"
#include "synth/config/config_file.h"
#include "synth/config/target_media.h"
#include "synth/config/target_web.h"
#include "synth/config/users.h"
#include "synth/config/yaml_doc.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SRV, then A/AAAA of its target, for four names at once: a resolver that
 * needs more than 5 s is itself a finding. */
#define TARGET_DISCOVER_TIMEOUT_MS 5000
#define DEFAULT_VOICEMAIL_URI "sip:{user}@{domain};opaque=app:voicemail"

static const char *const transport_names[] = {
    [SIP_TRANSPORT_UDP] = "udp", [SIP_TRANSPORT_TCP] = "tcp", [SIP_TRANSPORT_TLS] = "tls"};

const char *sip_transport_name(enum sip_transport t)
{
    return (unsigned)t <= SIP_TRANSPORT_TLS ? transport_names[t] : "?";
}

static const char *const auth_names[] = {
    [TARGET_AUTH_AUTO] = "auto", [TARGET_AUTH_DIGEST] = "digest", [TARGET_AUTH_NTLM] = "ntlm"};

const char *target_auth_name(enum target_auth a)
{
    return (unsigned)a <= TARGET_AUTH_NTLM ? auth_names[a] : "?";
}

static const char *const role_names[] = {
    [TARGET_ROLE_REGISTRAR] = "registrar", [TARGET_ROLE_EDGE] = "edge",
    [TARGET_ROLE_UM] = "um", [TARGET_ROLE_WEB] = "web"};
#define ROLE_COUNT (sizeof(role_names) / sizeof(role_names[0]))
/* A certificate check warning more than ten years ahead is a typo. */
#define CHECK_DAYS_MAX 3650

/* Everything one load needs to resolve relative paths and name errors. */
struct target_loader {
    struct target *t;
    size_t max_users;
    char dir[CONFIG_PATH_MAX];
    struct synth_error *err;
};

static int get_str(const struct ynode *map, const char *key, bool required, char *out,
                   size_t size, struct synth_error *err)
{
    struct ynode n;
    if (!ydoc_get(map, key, &n))
        return required ? ydoc_error(&n, err, "missing (required)") : 0;
    return ydoc_str(&n, out, size, err);
}

/* A path key, resolved against the target file's directory. */
static int get_path(struct target_loader *l, const struct ynode *map, const char *key, char *out,
                    size_t size)
{
    char rel[TARGET_PATH_MAX];
    struct ynode n;
    if (!ydoc_get(map, key, &n))
        return 0;
    int rc = ydoc_str(&n, rel, sizeof(rel), l->err);
    if (rc != 0)
        return rc;
    if (config_path_resolve(l->dir, rel, out, size) != 0)
        return ydoc_error(&n, l->err, "path too long once resolved");
    return 0;
}

static int load_tls(struct target_loader *l, const struct ynode *ep, struct target_tls *tls)
{
    static const char *const keys[] = {"server_name", "ca_file", "client_cert", "client_key",
                                       "verify", NULL};
    struct ynode n, v;
    tls->verify = true;
    if (!ydoc_get(ep, "tls", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, l->err);
    if (rc == 0)
        rc = get_str(&n, "server_name", false, tls->server_name, sizeof(tls->server_name), l->err);
    if (rc == 0)
        rc = get_path(l, &n, "ca_file", tls->ca_file, sizeof(tls->ca_file));
    if (rc == 0)
        rc = get_path(l, &n, "client_cert", tls->client_cert, sizeof(tls->client_cert));
    if (rc == 0)
        rc = get_path(l, &n, "client_key", tls->client_key, sizeof(tls->client_key));
    if (rc == 0 && ydoc_get(&n, "verify", &v))
        rc = ydoc_bool(&v, &tls->verify, l->err);
    if (rc == 0 && !tls->client_cert[0] != !tls->client_key[0])
        rc = ydoc_error(&n, l->err, "client_cert and client_key go together");
    return rc;
}

int target_tls_load(const struct ynode *parent, const char *base_dir, struct target_tls *tls,
                    struct synth_error *err)
{
    struct target_loader l = {.err = err};
    snprintf(l.dir, sizeof(l.dir), "%s", base_dir);
    return load_tls(&l, parent, tls);
}

static int load_transport(const struct ynode *ep, enum sip_transport *out,
                          struct synth_error *err)
{
    struct ynode n;
    int t;
    *out = SIP_TRANSPORT_TLS;
    if (!ydoc_get(ep, "transport", &n))
        return 0;
    int rc = ydoc_enum(&n, transport_names, SIP_TRANSPORT_TLS + 1, &t, err);
    if (rc == 0)
        *out = (enum sip_transport)t;
    return rc;
}

static int load_endpoint(struct target_loader *l, const struct ynode *root, const char *key,
                         struct target_endpoint *ep)
{
    static const char *const keys[] = {"host", "address", "port", "transport", "tls", "auth",
                                       "turn", NULL};
    struct ynode n, v;
    int rc = ydoc_require(root, key, &n, l->err);
    if (rc == 0)
        rc = ydoc_map_check(&n, keys, l->err);
    if (rc == 0 && ydoc_get(&n, "turn", &v) && strcmp(key, "edge") != 0)
        rc = ydoc_error(&v, l->err, "only in edge: (the dialect of the A/V Edge's relay)");
    if (rc == 0)
        rc = get_str(&n, "host", true, ep->host, sizeof(ep->host), l->err);
    if (rc == 0)
        rc = get_str(&n, "address", false, ep->address, sizeof(ep->address), l->err);
    if (rc == 0 && ep->address[0]) {
        struct sockaddr_storage ss;
        socklen_t len;
        ydoc_get(&n, "address", &v);
        if (net_addr_from_ip(strv_from_cstr(ep->address), 1, &ss, &len) != 0)
            rc = ydoc_error(&v, l->err, "expected an IPv4 or IPv6 address (host is the name)");
    }
    if (rc == 0)
        rc = load_transport(&n, &ep->transport, l->err);
    ep->port = ep->transport == SIP_TRANSPORT_TLS ? 5061 : 5060;
    if (rc == 0 && ydoc_get(&n, "port", &v)) {
        uint32_t port;
        rc = ydoc_u32(&v, 1, 65535, &port, l->err);
        ep->port = (uint16_t)port;
    }
    if (rc == 0)
        rc = load_tls(l, &n, &ep->tls);
    ep->auth = TARGET_AUTH_AUTO;
    if (rc == 0 && ydoc_get(&n, "auth", &v)) {
        int a;
        rc = ydoc_enum(&v, auth_names, TARGET_AUTH_NTLM + 1, &a, l->err);
        if (rc == 0)
            ep->auth = (enum target_auth)a;
    }
    if (rc == 0 && ydoc_get(&n, "tls", &v) && ep->transport != SIP_TRANSPORT_TLS)
        rc = ydoc_error(&v, l->err, "only with transport: tls");
    return rc;
}

/* edge.turn: standard|ms-turn (issue #7), the dialect the A/V Edge's relay
 * speaks. The relay itself (address, credentials) stays media.turn: the
 * Edge's SIP side and its media relay are configured apart, and a target
 * without an Edge may still name a standard relay (coturn). So edge.turn
 * applies to media.turn, and without an edge: the relay is standard. */
static int load_edge_turn(struct target_loader *l, const struct ynode *root, struct target *t)
{
    static const char *const names[] = {"standard", "ms-turn"};
    struct ynode n, v;
    int d = 0;
    if (!t->has_edge || !ydoc_get(root, "edge", &n) || !ydoc_get(&n, "turn", &v))
        return 0;
    int rc = ydoc_enum(&v, names, 2, &d, l->err);
    /* Over TCP MS-TURN frames each message ([MS-TURN] 2.1, the A/V Edge's
     * TCP 443): the TURN client does that under the dialect. */
    t->media.turn.ms_turn = rc == 0 && d == 1;
    return rc;
}

/* media.turn.pseudo_tls: true|false, default true with ms-turn over TCP.
 * Only a TCP connection to an MS-TURN relay can take it: a standard TURN
 * server (coturn) would read the ClientHello as a broken message. */
static int load_pseudo_tls(struct target_loader *l, const struct ynode *root, struct target *t)
{
    struct target_turn *turn = &t->media.turn;
    struct ynode media, n, v;
    turn->pseudo_tls = turn->ms_turn && turn->tcp;
    if (!ydoc_get(root, "media", &media) || !ydoc_get(&media, "turn", &n) ||
        !ydoc_get(&n, "pseudo_tls", &v))
        return 0;
    int rc = ydoc_bool(&v, &turn->pseudo_tls, l->err);
    if (rc == 0 && turn->pseudo_tls && !(turn->ms_turn && turn->tcp))
        rc = ydoc_error(&v, l->err, "only with transport: tcp and edge.turn: ms-turn "
                                    "(an A/V Edge's TCP 443)");
    return rc;
}

/* ucwa: {discover_url, tls?, pget_min?} */
static int load_ucwa(struct target_loader *l, const struct ynode *root, struct target_ucwa *u)
{
    static const char *const keys[] = {"discover_url", "tls", "pget_min", NULL};
    struct ynode n, v;
    u->tls.verify = true;
    u->pget_min_s = TARGET_UCWA_PGET_MIN_S;
    if (!ydoc_get(root, "ucwa", &n))
        return 0;
    u->enabled = true;
    int rc = ydoc_map_check(&n, keys, l->err);
    if (rc == 0)
        rc = get_str(&n, "discover_url", true, u->discover_url, sizeof(u->discover_url), l->err);
    if (rc == 0 && strncmp(u->discover_url, "https://", 8) != 0 &&
        strncmp(u->discover_url, "http://", 7) != 0) {
        ydoc_get(&n, "discover_url", &v);
        rc = ydoc_error(&v, l->err, "expected an https:// URL (https://lyncdiscover.<domain>/)");
    }
    if (rc == 0)
        rc = load_tls(l, &n, &u->tls);
    if (rc == 0 && ydoc_get(&n, "pget_min", &v))
        rc = ydoc_duration(&v, YDOC_UNIT_S, &u->pget_min_s, l->err);
    if (rc == 0 && ydoc_get(&n, "pget_min", &v) && (u->pget_min_s < 1 || u->pget_min_s > 1800))
        rc = ydoc_error(&v, l->err, "between 1s and 1800s");
    return rc;
}

/* discover: {dns_servers?, timeout?, tls?} */
static int load_discover(struct target_loader *l, const struct ynode *root,
                         struct target_discover *d)
{
    static const char *const keys[] = {"dns_servers", "timeout", "tls", NULL};
    struct ynode n, v;
    d->timeout_ms = TARGET_DISCOVER_TIMEOUT_MS;
    if (!ydoc_get(root, "discover", &n))
        return 0;
    d->enabled = true;
    int rc = ydoc_is_null(&n) ? 0 : ydoc_map_check(&n, keys, l->err);
    if (rc == 0)
        rc = get_str(&n, "dns_servers", false, d->dns_servers, sizeof(d->dns_servers), l->err);
    if (rc == 0 && ydoc_get(&n, "timeout", &v))
        rc = ydoc_duration(&v, YDOC_UNIT_MS, &d->timeout_ms, l->err);
    if (rc == 0 && d->timeout_ms == 0)
        rc = ydoc_error(&v, l->err, "must be more than 0 (every wait has a deadline)");
    if (rc == 0)
        rc = load_tls(l, &n, &d->tls);
    return rc;
}

const char *target_role_name(enum target_role r)
{
    return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}

static int load_check_names(const struct ynode *item, struct target_check *c,
                            struct synth_error *err)
{
    struct ynode v, n;
    if (!ydoc_get(item, "names", &v))
        return 0;
    if (!ydoc_is_seq(&v) || ydoc_len(&v) == 0)
        return ydoc_error(&v, err, "expected a list of host names");
    if (ydoc_len(&v) > TARGET_CHECK_NAMES_MAX)
        return ydoc_error(&v, err, "at most %d names", TARGET_CHECK_NAMES_MAX);
    for (size_t i = 0; i < ydoc_len(&v); i++) {
        ydoc_seq_at(&v, i, &n);
        int rc = ydoc_str(&n, c->names[i], sizeof(c->names[i]), err);
        if (rc != 0)
            return rc;
        c->name_count = i + 1;
    }
    return 0;
}

static int load_check_days(const struct ynode *item, const char *key, uint32_t *out,
                           struct synth_error *err)
{
    struct ynode v;
    if (!ydoc_get(item, key, &v))
        return 0;
    return ydoc_u32(&v, 1, CHECK_DAYS_MAX, out, err);
}

/* checks[i]: {name, role, host, port?, server_name?, names?, mtls?, ca_file?,
 * client_cert?, client_key?, warn_days?, crit_days?} */
static int load_check(struct target_loader *l, const struct ynode *item, struct target_check *c)
{
    static const char *const keys[] = {"name", "role", "host", "port", "server_name", "names",
                                       "mtls", "ca_file", "client_cert", "client_key",
                                       "warn_days", "crit_days", NULL};
    struct ynode v;
    int role = 0;
    uint32_t port = 5061;
    int rc = ydoc_map_check(item, keys, l->err);
    if (rc == 0)
        rc = get_str(item, "name", true, c->name, sizeof(c->name), l->err);
    if (rc == 0)
        rc = ydoc_require(item, "role", &v, l->err);
    if (rc == 0)
        rc = ydoc_enum(&v, role_names, ROLE_COUNT, &role, l->err);
    c->role = (enum target_role)role;
    if (rc == 0)
        rc = get_str(item, "host", true, c->host, sizeof(c->host), l->err);
    if (rc == 0 && ydoc_get(item, "port", &v))
        rc = ydoc_u32(&v, 1, 65535, &port, l->err);
    c->port = (uint16_t)port;
    if (rc == 0)
        rc = get_str(item, "server_name", false, c->tls.server_name, sizeof(c->tls.server_name),
                     l->err);
    if (rc == 0 && !c->tls.server_name[0])
        snprintf(c->tls.server_name, sizeof(c->tls.server_name), "%s", c->host);
    if (rc == 0)
        rc = load_check_names(item, c, l->err);
    if (rc == 0 && ydoc_get(item, "mtls", &v))
        rc = ydoc_bool(&v, &c->mtls, l->err);
    if (rc == 0)
        rc = get_path(l, item, "ca_file", c->tls.ca_file, sizeof(c->tls.ca_file));
    if (rc == 0)
        rc = get_path(l, item, "client_cert", c->tls.client_cert, sizeof(c->tls.client_cert));
    if (rc == 0)
        rc = get_path(l, item, "client_key", c->tls.client_key, sizeof(c->tls.client_key));
    if (rc == 0 && !c->tls.client_cert[0] != !c->tls.client_key[0])
        rc = ydoc_error(item, l->err, "client_cert and client_key go together");
    if (rc == 0)
        rc = load_check_days(item, "warn_days", &c->warn_days, l->err);
    if (rc == 0)
        rc = load_check_days(item, "crit_days", &c->crit_days, l->err);
    if (rc == 0 && c->warn_days && c->crit_days && c->crit_days > c->warn_days) {
        ydoc_get(item, "crit_days", &v);
        rc = ydoc_error(&v, l->err, "must not exceed warn_days (%u)", c->warn_days);
    }
    c->tls.verify = true;
    return rc;
}

static int load_checks(struct target_loader *l, const struct ynode *root)
{
    struct ynode n, item;
    struct target *t = l->t;
    if (!ydoc_get(root, "checks", &n))
        return 0;
    if (!ydoc_is_seq(&n))
        return ydoc_error(&n, l->err, "expected a list of endpoints ({name, role, host, ...})");
    if (ydoc_len(&n) > TARGET_CHECKS_MAX)
        return ydoc_error(&n, l->err, "at most %d endpoints", TARGET_CHECKS_MAX);
    for (size_t i = 0; i < ydoc_len(&n); i++) {
        ydoc_seq_at(&n, i, &item);
        int rc = load_check(l, &item, &t->checks[i]);
        if (rc != 0)
            return rc;
        t->check_count = i + 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->checks[j].name, t->checks[i].name) == 0) {
                struct ynode v;
                ydoc_get(&item, "name", &v);
                return ydoc_error(&v, l->err, "'%s' is already the name of checks[%zu]",
                                  t->checks[i].name, j);
            }
    }
    return 0;
}

/* users: {pattern, count, password, auth_user?, start?} */
static int load_pattern_users(struct target_loader *l, const struct ynode *n)
{
    char pattern[TARGET_URI_MAX], auth[TARGET_NAME_MAX] = "", spec[USERS_SECRET_MAX + 8] = "";
    char where[CONFIG_PATH_MAX + 64];
    struct ynode v;
    uint32_t count = 0, start = 1;
    char *secret = NULL;

    int rc = get_str(n, "pattern", true, pattern, sizeof(pattern), l->err);
    if (rc == 0 && users_pattern_check(pattern)) {
        ydoc_get(n, "pattern", &v);
        rc = ydoc_error(&v, l->err, "%s", users_pattern_check(pattern));
    }
    if (rc == 0)
        rc = ydoc_require(n, "count", &v, l->err);
    if (rc == 0)
        rc = ydoc_u32(&v, 1, (uint32_t)l->max_users, &count, l->err);
    if (rc == 0 && ydoc_get(n, "start", &v))
        rc = ydoc_u32(&v, 0, UINT32_MAX - count, &start, l->err);
    if (rc == 0 && ydoc_get(n, "auth_user", &v)) {
        rc = ydoc_str(&v, auth, sizeof(auth), l->err);
        if (rc == 0 && users_pattern_check(auth))
            rc = ydoc_error(&v, l->err, "%s", users_pattern_check(auth));
    }
    if (rc == 0)
        rc = ydoc_require(n, "password", &v, l->err);
    if (rc == 0)
        rc = ydoc_str(&v, spec, sizeof(spec), l->err);
    if (rc == 0) {
        snprintf(where, sizeof(where), "%s:%u: %s", v.doc->name, v.line, v.path);
        rc = users_secret_resolve(spec, l->dir, where, &secret, l->err);
    }
    OPENSSL_cleanse(spec, sizeof(spec));
    if (rc != 0)
        goto out;

    struct target *t = l->t;
    t->users = calloc(count, sizeof(*t->users));
    if (!t->users) {
        rc = synth_error_set(l->err, SYNTH_ENOMEM, "%s: out of memory for %u users", t->path, count);
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct target_user *u = &t->users[i];
        t->user_count = i + 1;
        if (users_pattern_expand(pattern, start + i, u->uri, sizeof(u->uri)) != 0 ||
            users_uri_check(u->uri)) {
            ydoc_get(n, "pattern", &v);
            rc = ydoc_error(&v, l->err, "user %u: '%.80s' is not a SIP URI (%s)", start + i,
                            u->uri, users_uri_check(u->uri) ? users_uri_check(u->uri) : "too long");
            goto out;
        }
        rc = auth[0] ? users_pattern_expand(auth, start + i, u->auth_user, sizeof(u->auth_user))
                     : users_uri_user(u->uri, u->auth_user, sizeof(u->auth_user));
        u->password = strdup(secret);
        if (rc != 0 || !u->password) {
            rc = synth_error_set(l->err, rc ? SYNTH_ECONFIG : SYNTH_ENOMEM,
                                 "%s: user %u: %s", t->path, start + i,
                                 rc ? "auth_user too long" : "out of memory");
            goto out;
        }
    }
out:
    users_secret_free(secret);
    return rc;
}

/* users: {csv: FILE} */
static int load_csv_users(struct target_loader *l, const struct ynode *n)
{
    char path[TARGET_PATH_MAX], dir[TARGET_PATH_MAX];
    char *buf = NULL;
    size_t len = 0;
    struct ynode v;

    int rc = get_path(l, n, "csv", path, sizeof(path));
    if (rc != 0)
        return rc;
    ydoc_get(n, "csv", &v);
    char where[CONFIG_PATH_MAX + 64];
    snprintf(where, sizeof(where), "%s:%u: %s", v.doc->name, v.line, v.path);
    rc = config_file_read(path, USERS_CSV_MAX, where, &buf, &len, l->err);
    if (rc != 0)
        return rc == SYNTH_ETOOBIG ? SYNTH_ECONFIG : rc;
    config_dirname(path, dir, sizeof(dir));
    rc = users_csv_parse(path, buf, len, dir, l->max_users, &l->t->users, &l->t->user_count,
                         l->err);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return rc;
}

static int load_users(struct target_loader *l, const struct ynode *root)
{
    static const char *const keys[] = {"csv", "pattern", "count", "password", "auth_user",
                                       "start", NULL};
    struct ynode n, v;
    int rc = ydoc_require(root, "users", &n, l->err);
    if (rc == 0)
        rc = ydoc_map_check(&n, keys, l->err);
    if (rc != 0)
        return rc;
    bool csv = ydoc_get(&n, "csv", &v);
    bool pattern = ydoc_get(&n, "pattern", &v);
    if (csv == pattern)
        return ydoc_error(&n, l->err, "give either csv: FILE or pattern: with count and password");
    if (csv) {
        for (size_t i = 1; keys[i]; i++)
            if (ydoc_get(&n, keys[i], &v))
                return ydoc_error(&v, l->err, "not with csv: (the CSV holds the users)");
        return load_csv_users(l, &n);
    }
    return load_pattern_users(l, &n);
}

static int load_root(struct target_loader *l, const struct ynode *root)
{
    /* `lab:` is what `synth lab --write-target` adds for peers; not ours. */
    static const char *const keys[] = {"name", "sip_domain", "registrar", "edge", "discover",
                                       "voicemail_uri", "users", "media", "lab", "checks", "ucwa",
                                       "web", NULL};
    struct target *t = l->t;
    struct ynode v;
    int rc = ydoc_map_check(root, keys, l->err);
    if (rc == 0)
        rc = get_str(root, "name", true, t->name, sizeof(t->name), l->err);
    if (rc == 0)
        rc = get_str(root, "sip_domain", true, t->sip_domain, sizeof(t->sip_domain), l->err);
    if (rc == 0)
        rc = load_discover(l, root, &t->discover);
    t->registrar_by_dns = t->discover.enabled && !ydoc_get(root, "registrar", &v);
    if (rc == 0 && !t->registrar_by_dns)
        rc = load_endpoint(l, root, "registrar", &t->registrar);
    t->has_edge = ydoc_get(root, "edge", &v);
    if (rc == 0 && t->has_edge)
        rc = load_endpoint(l, root, "edge", &t->edge);
    snprintf(t->voicemail_uri, sizeof(t->voicemail_uri), "%s", DEFAULT_VOICEMAIL_URI);
    if (rc == 0)
        rc = get_str(root, "voicemail_uri", false, t->voicemail_uri, sizeof(t->voicemail_uri),
                     l->err);
    if (rc == 0 && ydoc_get(root, "voicemail_uri", &v) &&
        strncmp(t->voicemail_uri, "sip", 3) != 0)
        rc = ydoc_error(&v, l->err, "must be a sip: or sips: URI pattern");
    if (rc == 0)
        rc = target_media_load(&t->media, root, l->dir, l->err);
    if (rc == 0)
        rc = load_edge_turn(l, root, t);
    if (rc == 0)
        rc = load_pseudo_tls(l, root, t);
    if (rc == 0)
        rc = load_ucwa(l, root, &t->ucwa);
    if (rc == 0)
        rc = target_web_load(&t->web, root, l->dir, l->err);
    if (rc == 0)
        rc = load_checks(l, root);
    if (rc == 0)
        rc = load_users(l, root);
    return rc;
}

static int target_from_doc(struct target *t, struct ydoc *d, const char *path,
                           size_t max_users, struct synth_error *err)
{
    struct target_loader l = {.t = t, .err = err, .max_users = max_users};
    struct ynode root;

    snprintf(t->path, sizeof(t->path), "%s", path);
    config_dirname(path, l.dir, sizeof(l.dir));
    int rc = ydoc_root(d, &root, err);
    if (rc == 0)
        rc = load_root(&l, &root);
    return rc;
}

const struct target_endpoint *target_endpoint_for(const struct target *t, enum access_path p)
{
    if (p == ACCESS_EDGE)
        return t->has_edge ? &t->edge : NULL;
    /* Left to DNS, which did not find it. */
    return t->registrar.host[0] ? &t->registrar : NULL;
}

int target_load_buffer(struct target *t, const char *name, const char *buf, size_t len,
                       size_t max_users, struct synth_error *err)
{
    struct ydoc d;
    memset(t, 0, sizeof(*t));
    if (max_users == 0 || max_users > TARGET_USERS_MAX)
        max_users = TARGET_USERS_MAX;
    int rc = ydoc_load_buffer(&d, name, buf, len, err);
    if (rc == 0)
        rc = target_from_doc(t, &d, name, max_users, err);
    ydoc_free(&d);
    if (rc != 0)
        target_free(t);
    return rc;
}

int target_load(struct target *t, const char *path, struct synth_error *err)
{
    struct ydoc d;
    memset(t, 0, sizeof(*t));
    int rc = ydoc_load_file(&d, path, err);
    if (rc == 0)
        rc = target_from_doc(t, &d, path, TARGET_USERS_MAX, err);
    ydoc_free(&d);
    if (rc != 0)
        target_free(t);
    return rc;
}

void target_free(struct target *t)
{
    OPENSSL_cleanse(t->media.turn.password, sizeof(t->media.turn.password));
    users_free(t->users, t->user_count);
    t->users = NULL;
    t->user_count = 0;
}

int target_expand_uri(const struct target *t, const char *pattern, const struct target_user *u,
                      char *out, size_t size)
{
    char user[TARGET_URI_MAX];
    struct sbuf sb;
    if (users_uri_user(u->uri, user, sizeof(user)) != 0)
        return SYNTH_ETOOBIG;
    sbuf_init(&sb, out, size);
    for (const char *p = pattern; *p; p++) {
        if (strncmp(p, "{user}", 6) == 0) {
            sbuf_puts(&sb, user);
            p += 5;
        } else if (strncmp(p, "{domain}", 8) == 0) {
            sbuf_puts(&sb, t->sip_domain);
            p += 7;
        } else {
            sbuf_put(&sb, p, 1);
        }
    }
    return sbuf_result(&sb);
}

int target_voicemail_uri(const struct target *t, const struct target_user *u, char *out,
                         size_t size)
{
    return target_expand_uri(t, t->voicemail_uri, u, out, size);
}

int target_mras_uri(const struct target *t, char *out, size_t size)
{
    const char *host = t->registrar.host[0] ? t->registrar.host : t->sip_domain;
    int n = t->media.turn.mras_uri[0]
                ? snprintf(out, size, "%s", t->media.turn.mras_uri)
                : snprintf(out, size, "sip:%s@%s;gruu;opaque=srvr:MRAS", host, t->sip_domain);
    return n < 0 || (size_t)n >= size ? SYNTH_ETOOBIG : 0;
}
