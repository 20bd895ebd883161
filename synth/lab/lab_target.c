/* The lab as a target: a struct target for synth run --lab, and the same as
 * YAML (the format of synth/config/target.h) for peers and later runs. */
#include "lab_target.h"

#include "synth/config/target_web.h"
#include "synth/config/users.h"
#include "synth/lab/lab_web.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the lab's users are called: user0001..userNNNN (lab_config.h). The
 * YAML form is the loader's pattern syntax for the same names. */
#define LAB_USER_FMT "user%04" PRIu32
#define LAB_USER_PATTERN "user{n:04}"
#define LAB_VOICEMAIL_URI "sip:{user}@{domain};opaque=app:voicemail"
#define LAB_TARGET_PATH_NOTE "(embedded lab)"
/* The lab's UCWA holds a P-GET for any timeout, so tests run in seconds. */
#define LAB_PGET_MIN_S 1
/* Below the server ranges (40803-65535), above the usual ephemeral ports' start. */
#define LAB_CLIENT_AUDIO_FIRST 20000
#define LAB_CLIENT_AUDIO_LAST 32767

/* The SfB policy, but with wide client ranges: one machine plays many
 * clients, and a load test must not run out of ports at 20 calls. */
static void lab_target_media(struct target_media *m)
{
    target_media_defaults(m);
    m->client_ports[PORT_RANGE_AUDIO] = (struct port_range){LAB_CLIENT_AUDIO_FIRST,
                                                            LAB_CLIENT_AUDIO_LAST};
}

/* The A/V Edge clients allocate relay candidates on: the lab relay with its
 * static credential, or (turn_credentials: mras) each user's own from the
 * Front End's MRAS, which names the relay as a real pool's does. */
static void lab_target_turn(const struct lab_config *cfg, const struct lab_endpoints *ep,
                            struct target_turn *t)
{
    memset(t, 0, sizeof(*t));
    t->mras_timeout_ms = TARGET_MRAS_TIMEOUT_MS;
    t->ms_turn = cfg->turn_msturn; /* edge.turn follows the lab's turn_dialect */
    if (cfg->turn_mras_credentials) {
        /* The pool's FQDN, as the Front End's in-band provisioning names it. */
        t->credentials = TARGET_TURN_CREDS_MRAS;
        snprintf(t->mras_uri, sizeof(t->mras_uri), "sip:%s@%s;gruu;opaque=srvr:MRAS",
                 cfg->fe_cert.cn, cfg->domain);
        return;
    }
    if (!cfg->turn_user[0] || !ep->turn_udp_port)
        return;
    snprintf(t->host, sizeof(t->host), "%s", ep->host);
    t->port = ep->turn_udp_port;
    snprintf(t->username, sizeof(t->username), "%s", cfg->turn_user);
    snprintf(t->password, sizeof(t->password), "%s", cfg->turn_password);
    snprintf(t->realm, sizeof(t->realm), "%s", cfg->turn_realm[0] ? cfg->turn_realm : cfg->domain);
}

/* The name clients check a lab certificate against (lab.c does the same). */
static const char *spec_name(const struct lab_cert_spec *s)
{
    return s->san_count ? s->san[0] : s->cn;
}

static int fill_endpoint(struct target_endpoint *e, const char *host, uint16_t port,
                         const char *server_name, const char *ca_file)
{
    snprintf(e->host, sizeof(e->host), "%s", host);
    e->port = port;
    e->transport = SIP_TRANSPORT_TLS;
    e->tls.verify = true;
    snprintf(e->tls.server_name, sizeof(e->tls.server_name), "%s", server_name);
    if ((size_t)snprintf(e->tls.ca_file, sizeof(e->tls.ca_file), "%s", ca_file) >=
        sizeof(e->tls.ca_file))
        return SYNTH_ECONFIG;
    return 0;
}

/* The UM's TLS listener as `synth check` sees it: server-to-server mutual
 * TLS, its FQDN expected as the Subject CN and in the SAN. */
static void lab_target_um_check(const struct lab *lab, struct target_check *c)
{
    const struct lab_config *cfg = lab_get_config(lab);
    struct lab_endpoints ep;
    lab_endpoints(lab, &ep);

    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "um");
    c->role = TARGET_ROLE_UM;
    snprintf(c->host, sizeof(c->host), "%s", ep.host);
    c->port = ep.um_port;
    snprintf(c->tls.server_name, sizeof(c->tls.server_name), "%s", lab_um_name(lab));
    snprintf(c->tls.ca_file, sizeof(c->tls.ca_file), "%s", lab_ca_file(lab));
    c->tls.verify = true;
    c->mtls = true;
    for (unsigned i = 0; i < cfg->um_cert.san_count && i < TARGET_CHECK_NAMES_MAX; i++)
        snprintf(c->names[c->name_count++], sizeof(c->names[0]), "%s", cfg->um_cert.san[i]);
}

/* The root clients discover the lab's UCWA through: its reverse proxy. */
static void discover_url(const struct lab_endpoints *ep, char *out, size_t size)
{
    bool v6 = strchr(ep->host, ':') != NULL;
    snprintf(out, size, "https://%s%s%s:%u/", v6 ? "[" : "", ep->host, v6 ? "]" : "",
             ep->proxy_port);
}

/* The Front End's two web sites, each at the ports it is listed on (what
 * web_ports_swapped leaves as it was: the knob moves the sites, not the list). */
static void lab_target_web(const struct lab *lab, const struct lab_endpoints *ep,
                           struct target_web *w)
{
    const uint16_t ports[TARGET_WEB_SITE_COUNT][2] = {
        [TARGET_WEB_INTERNAL] = {ep->web_internal_https, ep->web_internal_http},
        [TARGET_WEB_EXTERNAL] = {ep->web_external_https, ep->web_external_http},
    };
    bool v6 = strchr(ep->host, ':') != NULL;
    memset(w, 0, sizeof(*w));
    w->enabled = true;
    w->timeout_ms = TARGET_WEB_TIMEOUT_MS;
    for (int s = 0; s < TARGET_WEB_SITE_COUNT; s++) {
        struct target_web_site_cfg *c = &w->sites[s];
        c->listed = true;
        lab_web_site_fqdn(lab_get_config(lab), s == TARGET_WEB_INTERNAL, c->fqdn, sizeof(c->fqdn));
        for (int i = 0; i < 2; i++)
            snprintf(c->urls[i], sizeof(c->urls[i]), "%s://%s%s%s:%u/", i ? "http" : "https",
                     v6 ? "[" : "", ep->host, v6 ? "]" : "", ports[s][i]);
        c->url_count = 2;
        c->tls.verify = true;
        snprintf(c->tls.ca_file, sizeof(c->tls.ca_file), "%s", lab_ca_file(lab));
    }
}

int lab_target_fill(const struct lab *lab, struct target *t, struct synth_error *err)
{
    const struct lab_config *cfg = lab_get_config(lab);
    struct lab_endpoints ep;
    lab_endpoints(lab, &ep);

    memset(t, 0, sizeof(*t));
    if (cfg->user_count > TARGET_USERS_MAX)
        return synth_error_set(err, SYNTH_ECONFIG, "lab: %" PRIu32 " users, a target holds at most %d",
                               cfg->user_count, TARGET_USERS_MAX);
    snprintf(t->name, sizeof(t->name), "lab");
    lab_target_media(&t->media);
    lab_target_turn(cfg, &ep, &t->media.turn);
    snprintf(t->sip_domain, sizeof(t->sip_domain), "%s", cfg->domain);
    t->has_edge = true;
    if (fill_endpoint(&t->registrar, ep.host, ep.tls_port, cfg->fe_cert.cn, lab_ca_file(lab)) ||
        fill_endpoint(&t->edge, ep.host, ep.edge_port, spec_name(&cfg->edge_cert),
                      lab_ca_file(lab)))
        return synth_error_set(err, SYNTH_ECONFIG, "lab: CA path too long for a target");
    snprintf(t->voicemail_uri, sizeof(t->voicemail_uri), "%s", LAB_VOICEMAIL_URI);
    snprintf(t->path, sizeof(t->path), "%s", LAB_TARGET_PATH_NOTE);
    t->ucwa.enabled = true;
    discover_url(&ep, t->ucwa.discover_url, sizeof(t->ucwa.discover_url));
    t->ucwa.tls.verify = true;
    t->ucwa.pget_min_s = LAB_PGET_MIN_S;
    snprintf(t->ucwa.tls.ca_file, sizeof(t->ucwa.tls.ca_file), "%s", lab_ca_file(lab));
    lab_target_um_check(lab, &t->checks[0]);
    t->check_count = 1;
    lab_target_web(lab, &ep, &t->web);

    struct target_user *u = calloc(cfg->user_count, sizeof(*u));
    if (!u)
        return synth_error_set(err, SYNTH_ENOMEM, "lab: out of memory for %" PRIu32 " users",
                               cfg->user_count);
    for (uint32_t i = 0; i < cfg->user_count; i++) {
        snprintf(u[i].auth_user, sizeof(u[i].auth_user), LAB_USER_FMT, i + 1);
        snprintf(u[i].uri, sizeof(u[i].uri), "sip:%s@%s", u[i].auth_user, cfg->domain);
        u[i].password = strdup(cfg->password);
        if (!u[i].password) {
            users_free(u, i);
            return synth_error_set(err, SYNTH_ENOMEM, "lab: out of memory for users");
        }
    }
    t->users = u;
    t->user_count = cfg->user_count;
    return 0;
}

/* A YAML double-quoted scalar (YAML 1.2 5.7: \" \\ and \xNN escapes). */
static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void write_endpoint(FILE *f, const char *key, const char *host, uint16_t port,
                           const char *server_name, const char *ca_file)
{
    fprintf(f, "%s:\n  host: ", key);
    yaml_quoted(f, host);
    fprintf(f, "\n  port: %u\n  transport: tls\n  tls:\n    ca_file: ", port);
    yaml_quoted(f, ca_file);
    fputs("\n    server_name: ", f);
    yaml_quoted(f, server_name);
    fputc('\n', f);
}

static void write_web(FILE *f, const struct lab *lab, const struct lab_endpoints *ep)
{
    struct target_web w;
    lab_target_web(lab, ep, &w);
    fputs("web:\n", f);
    for (int s = 0; s < TARGET_WEB_SITE_COUNT; s++) {
        const struct target_web_site_cfg *c = &w.sites[s];
        fprintf(f, "  %s:\n    fqdn: ", target_web_site_name((enum target_web_site)s));
        yaml_quoted(f, c->fqdn);
        for (size_t i = 0; i < c->url_count; i++) {
            fputs(i ? ", " : "\n    urls: [", f);
            yaml_quoted(f, c->urls[i]);
        }
        fputs("]\n    tls:\n      ca_file: ", f);
        yaml_quoted(f, c->tls.ca_file);
        fputc('\n', f);
    }
}

static void write_yaml(FILE *f, const struct lab *lab)
{
    const struct lab_config *cfg = lab_get_config(lab);
    struct lab_endpoints ep;
    char pattern[LAB_NAME_MAX + 32];
    lab_endpoints(lab, &ep);

    fputs("# The embedded lab as a synth target, written by `synth lab`. Valid while\n"
          "# that lab runs: its CA and certificates are made anew at each start.\n", f);
    fputs("name: lab\nsip_domain: ", f);
    yaml_quoted(f, cfg->domain);
    fputc('\n', f);
    write_endpoint(f, "registrar", ep.host, ep.tls_port, cfg->fe_cert.cn, lab_ca_file(lab));
    write_endpoint(f, "edge", ep.host, ep.edge_port, spec_name(&cfg->edge_cert),
                   lab_ca_file(lab));
    if (cfg->turn_msturn)
        fputs("  turn: ms-turn\n", f);
    fputs("voicemail_uri: ", f);
    yaml_quoted(f, LAB_VOICEMAIL_URI);
    snprintf(pattern, sizeof(pattern), "sip:" LAB_USER_PATTERN "@%s", cfg->domain);
    fputs("\nusers:\n  pattern: ", f);
    yaml_quoted(f, pattern);
    fputs("\n  password: ", f);
    yaml_quoted(f, cfg->password);
    fprintf(f, "\n  count: %" PRIu32 "\n", cfg->user_count);
    fprintf(f, "media:\n  srtp: required\n  client_ports: {audio: %d-%d}\n",
            LAB_CLIENT_AUDIO_FIRST, LAB_CLIENT_AUDIO_LAST);
    struct target_turn turn;
    lab_target_turn(cfg, &ep, &turn);
    if (turn.credentials == TARGET_TURN_CREDS_MRAS) {
        fputs("  turn: {credentials: mras, mras_uri: ", f);
        yaml_quoted(f, turn.mras_uri);
        fputs("}\n", f);
    } else if (turn.host[0]) {
        fprintf(f, "  turn: {host: \"%s\", port: %u, transport: udp, username: ", turn.host,
                turn.port);
        yaml_quoted(f, turn.username);
        fputs(", password: ", f);
        yaml_quoted(f, turn.password);
        fputs(", realm: ", f);
        yaml_quoted(f, turn.realm);
        fputs("}\n", f);
    }
    char url[TARGET_URI_MAX];
    discover_url(&ep, url, sizeof(url));
    fprintf(f, "ucwa:\n  pget_min: %us\n  discover_url: ", LAB_PGET_MIN_S);
    yaml_quoted(f, url);
    fputs("\n  tls:\n    ca_file: ", f);
    yaml_quoted(f, lab_ca_file(lab));
    fputc('\n', f);
    write_web(f, lab, &ep);
    struct target_check um;
    lab_target_um_check(lab, &um);
    /* No client certificate: the lab keeps its Front End's key in memory;
     * the UM asks for one but completes the handshake without. */
    fputs("checks:\n  - name: um\n    role: um\n    host: ", f);
    yaml_quoted(f, um.host);
    fprintf(f, "\n    port: %u\n    server_name: ", um.port);
    yaml_quoted(f, um.tls.server_name);
    fputs("\n    ca_file: ", f);
    yaml_quoted(f, um.tls.ca_file);
    fputs("\n    mtls: true\n", f);
    for (size_t i = 0; i < um.name_count; i++) {
        fputs(i ? ", " : "    names: [", f);
        yaml_quoted(f, um.names[i]);
    }
    if (um.name_count)
        fputs("]\n", f);
    /* Not part of the target format: what tests and peers (SIPp) need to
     * reach every listener. target_load skips this section. */
    fputs("lab:\n  host: ", f);
    yaml_quoted(f, ep.host);
    fprintf(f, "\n  udp_port: %u\n  tcp_port: %u\n  tls_port: %u\n  um_port: %u\n"
               "  edge_port: %u\n  turn_udp_port: %u\n  turn_tcp_port: %u\n",
            ep.udp_port, ep.tcp_port, ep.tls_port, ep.um_port, ep.edge_port, ep.turn_udp_port,
            ep.turn_tcp_port);
    /* The web side: the UCWA service, and the proxy clients go through. */
    fprintf(f, "  ucwa_port: %u\n  proxy_port: %u\n", ep.ucwa_port, ep.proxy_port);
    fputs("  ucwa_discover_url: ", f);
    yaml_quoted(f, url);
    fputc('\n', f);
    fputs("  fe_server_name: ", f);
    yaml_quoted(f, cfg->fe_cert.cn);
    fputs("\n  um_server_name: ", f);
    yaml_quoted(f, cfg->um_cert.cn);
    fputs("\n  state_dir: ", f);
    yaml_quoted(f, lab_state_dir(lab));
    fputc('\n', f);
}

/* Written beside the destination and renamed, so a reader polling for the
 * file never sees half of it. */
int lab_target_write(const struct lab *lab, const char *path, struct synth_error *err)
{
    char tmp[TARGET_PATH_MAX + 8];
    if (!path || !*path || (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return synth_error_set(err, SYNTH_EINVAL, "lab: bad target path");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", tmp, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return synth_error_set(err, SYNTH_EIO, "%s: %s", tmp, strerror(e));
    }
    write_yaml(f, lab);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        unlink(tmp);
        return synth_error_set(err, SYNTH_EIO, "%s: write failed", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(e));
    }
    return 0;
}
