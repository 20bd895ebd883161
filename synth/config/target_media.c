/* The `media:` section of a target: SRTP policy, port ranges per modality
 * for synth (client) and for the servers, DSCP marks, the prompt synth
 * plays (target.h, docs/configuration.md). */
#include "synth/config/target_media.h"

#include "media/audio_codec.h"
#include "synth/config/config_file.h"
#include "synth/config/users.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const srtp_names[] = {
    [TARGET_SRTP_REQUIRED] = "required",
    [TARGET_SRTP_OPTIONAL] = "optional",
    [TARGET_SRTP_OFF] = "off",
};

const char *target_srtp_name(enum target_srtp s)
{
    return (unsigned)s <= TARGET_SRTP_OFF ? srtp_names[s] : "?";
}

void target_media_defaults(struct target_media *m)
{
    static const struct port_range client[PORT_RANGE_MODALITY_COUNT] = {
        [PORT_RANGE_AUDIO] = {50040, 50079},
        [PORT_RANGE_VIDEO] = {58000, 58039},
        [PORT_RANGE_APPSHARING] = {42000, 42039},
    };
    static const struct port_range server[PORT_RANGE_MODALITY_COUNT] = {
        [PORT_RANGE_AUDIO] = {49152, 57500},
        [PORT_RANGE_VIDEO] = {57501, 65535},
        [PORT_RANGE_APPSHARING] = {40803, 49151},
    };
    static const uint8_t dscp[PORT_RANGE_MODALITY_COUNT] = {46, 34, 24};
    memset(m, 0, sizeof(*m));
    m->srtp = TARGET_SRTP_REQUIRED;
    memcpy(m->client_ports, client, sizeof(client));
    memcpy(m->server_ports, server, sizeof(server));
    memcpy(m->dscp, dscp, sizeof(dscp));
    m->codecs[0] = AUDIO_CODEC_PT_PCMU;
    m->codecs[1] = AUDIO_CODEC_PT_PCMA;
    m->codec_count = 2;
}

/* codecs: [PCMU, PCMA, G722], in the order of preference. */
static int load_codecs(const struct ynode *media, struct target_media *m,
                       struct synth_error *err)
{
    static const char *const names[] = {"PCMU", "PCMA", "G722"};
    static const uint8_t pts[] = {AUDIO_CODEC_PT_PCMU, AUDIO_CODEC_PT_PCMA, AUDIO_CODEC_PT_G722};
    struct ynode n;
    if (!ydoc_get(media, "codecs", &n))
        return 0;
    int v[TARGET_CODECS_MAX];
    size_t count = 0;
    int rc = ydoc_enum_list(&n, names, sizeof(names) / sizeof(names[0]), false, v,
                            TARGET_CODECS_MAX, &count,
                            "expected a list of PCMU, PCMA, G722 (in order of preference)", err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < count; i++)
        m->codecs[i] = pts[v[i]];
    m->codec_count = count;
    return 0;
}

static int load_srtp(const struct ynode *media, enum target_srtp *out, struct synth_error *err)
{
    struct ynode n;
    int v;
    if (!ydoc_get(media, "srtp", &n))
        return 0;
    int rc = ydoc_enum(&n, srtp_names, TARGET_SRTP_OFF + 1, &v, err);
    if (rc == 0)
        *out = (enum target_srtp)v;
    return rc;
}

/* {audio: 50040-50079, video: ..., appsharing: ...} */
static int load_ranges(const struct ynode *media, const char *key, struct port_range *out,
                       struct synth_error *err)
{
    static const char *const keys[] = {"audio", "video", "appsharing", NULL};
    struct ynode n, v;
    if (!ydoc_get(media, key, &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    for (int m = 0; rc == 0 && m < PORT_RANGE_MODALITY_COUNT; m++) {
        char text[32];
        if (!ydoc_get(&n, keys[m], &v))
            continue;
        rc = ydoc_str(&v, text, sizeof(text), err);
        if (rc == 0 && port_range_parse(text, strlen(text), &out[m], NULL) != 0)
            rc = ydoc_error(&v, err, "expected a port range such as 50040-50079");
    }
    return rc;
}

static int load_dscp(const struct ynode *media, uint8_t *out, struct synth_error *err)
{
    static const char *const keys[] = {"audio", "video", "appsharing", NULL};
    struct ynode n, v;
    if (!ydoc_get(media, "dscp", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    for (int m = 0; rc == 0 && m < PORT_RANGE_MODALITY_COUNT; m++) {
        uint32_t d;
        if (!ydoc_get(&n, keys[m], &v))
            continue;
        rc = ydoc_u32(&v, 0, 63, &d, err);
        out[m] = (uint8_t)d;
    }
    return rc;
}

bool target_turn_enabled(const struct target_turn *t)
{
    return t->host[0] || t->credentials == TARGET_TURN_CREDS_MRAS;
}

/* password: an env:/file: secret or the text itself, into t->password. */
static int load_turn_password(const struct ynode *v, const char *base_dir, struct target_turn *t,
                              struct synth_error *err)
{
    char spec[USERS_SECRET_MAX + 8] = "", where[CONFIG_PATH_MAX + 64];
    char *secret = NULL;
    int rc = ydoc_str(v, spec, sizeof(spec), err);
    if (rc == 0) {
        snprintf(where, sizeof(where), "%s:%u: %s", v->doc->name, v->line, v->path);
        rc = users_secret_resolve(spec, base_dir, where, &secret, err);
    }
    if (rc == 0 && strlen(secret) >= sizeof(t->password))
        rc = ydoc_error(v, err, "longer than %d bytes", TARGET_TURN_SECRET_MAX - 1);
    if (rc == 0)
        snprintf(t->password, sizeof(t->password), "%s", secret);
    OPENSSL_cleanse(spec, sizeof(spec));
    users_secret_free(secret);
    return rc;
}

/* credentials: static needs username and password; mras refuses them (each
 * user's come from the Front End) and takes mras_uri, location and
 * mras_timeout, which static refuses in turn. */
static int load_turn_credentials(const struct ynode *n, int kind, const char *base_dir,
                                 struct target_turn *t, struct synth_error *err)
{
    static const char *const locations[] = {"auto", "internet", "intranet"};
    static const char *const mras_only[] = {"mras_uri", "location", "mras_timeout"};
    static const char *const static_only[] = {"username", "password", "realm"};
    struct ynode v;
    int loc = TARGET_TURN_LOCATION_AUTO, rc = 0;
    t->credentials = (enum target_turn_creds)kind;
    t->mras_timeout_ms = TARGET_MRAS_TIMEOUT_MS;
    const char *const *refused = kind == TARGET_TURN_CREDS_MRAS ? static_only : mras_only;
    for (size_t i = 0; rc == 0 && i < 3; i++)
        if (ydoc_get(n, refused[i], &v))
            rc = ydoc_error(&v, err, kind == TARGET_TURN_CREDS_MRAS
                                         ? "not with credentials: mras (each user gets its own "
                                           "from the Front End's MRAS)"
                                         : "only with credentials: mras");
    if (rc != 0 || kind == TARGET_TURN_CREDS_STATIC) {
        if (rc == 0)
            rc = ydoc_require(n, "username", &v, err);
        if (rc == 0)
            rc = ydoc_str(&v, t->username, sizeof(t->username), err);
        if (rc == 0 && ydoc_get(n, "realm", &v))
            rc = ydoc_str(&v, t->realm, sizeof(t->realm), err);
        if (rc == 0)
            rc = ydoc_require(n, "password", &v, err);
        return rc == 0 ? load_turn_password(&v, base_dir, t, err) : rc;
    }
    if (ydoc_get(n, "mras_uri", &v)) {
        rc = ydoc_str(&v, t->mras_uri, sizeof(t->mras_uri), err);
        if (rc == 0 && strncasecmp(t->mras_uri, "sip:", 4) != 0 &&
            strncasecmp(t->mras_uri, "sips:", 5) != 0)
            rc = ydoc_error(&v, err, "expected a SIP URI (sip:...), as in-band provisioning "
                                     "gives it");
    }
    if (rc == 0 && ydoc_get(n, "location", &v))
        rc = ydoc_enum(&v, locations, 3, &loc, err);
    t->location = (enum target_turn_location)loc;
    if (rc == 0 && ydoc_get(n, "mras_timeout", &v)) {
        rc = ydoc_duration(&v, YDOC_UNIT_MS, &t->mras_timeout_ms, err);
        if (rc == 0 && t->mras_timeout_ms == 0)
            rc = ydoc_error(&v, err, "must be more than 0 (every wait has a deadline)");
    }
    return rc;
}

/* turn: {host, port, transport, credentials, username, password, realm,
 * mras_uri, location, mras_timeout, pseudo_tls}; empty = none. pseudo_tls
 * is read with the dialect (target.c), once edge.turn is known. */
static int load_turn(const struct ynode *media, const char *base_dir, struct target_turn *t,
                     struct synth_error *err)
{
    static const char *const keys[] = {"host", "port", "transport", "username", "password",
                                       "realm", "credentials", "mras_uri", "location",
                                       "mras_timeout", "pseudo_tls", NULL};
    static const char *const transports[] = {"udp", "tcp"};
    static const char *const kinds[] = {"static", "mras"};
    struct ynode n, v;
    uint32_t port = 3478;
    int tcp = 0, kind = TARGET_TURN_CREDS_STATIC;
    bool port_set = false;
    if (!ydoc_get(media, "turn", &n) || ydoc_is_null(&n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "host", &v))
        rc = ydoc_str(&v, t->host, sizeof(t->host), err);
    if (rc == 0 && ydoc_get(&n, "credentials", &v))
        rc = ydoc_enum(&v, kinds, 2, &kind, err);
    if (rc == 0 && !t->host[0] && kind != TARGET_TURN_CREDS_MRAS)
        return 0; /* the lab's hook: a section without a relay */
    if (rc == 0 && (port_set = ydoc_get(&n, "port", &v)))
        rc = ydoc_u32(&v, 1, 65535, &port, err);
    if (rc == 0 && ydoc_get(&n, "transport", &v))
        rc = ydoc_enum(&v, transports, 2, &tcp, err);
    if (rc == 0)
        rc = load_turn_credentials(&n, kind, base_dir, t, err);
    /* Without a host the MRAS answer names the relay, and its port. */
    t->port = t->host[0] || port_set ? (uint16_t)port : 0;
    t->tcp = tcp == 1;
    return rc;
}

int target_media_load(struct target_media *m, const struct ynode *root, const char *base_dir,
                      struct synth_error *err)
{
    static const char *const keys[] = {"srtp", "local_address", "client_ports", "server_ports",
                                       "dscp", "prompt", "codecs", "turn", NULL};
    struct ynode n, v;
    target_media_defaults(m);
    if (!ydoc_get(root, "media", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = load_srtp(&n, &m->srtp, err);
    if (rc == 0 && ydoc_get(&n, "local_address", &v))
        rc = ydoc_str(&v, m->local_address, sizeof(m->local_address), err);
    if (rc == 0)
        rc = load_ranges(&n, "client_ports", m->client_ports, err);
    if (rc == 0)
        rc = load_ranges(&n, "server_ports", m->server_ports, err);
    if (rc == 0)
        rc = load_dscp(&n, m->dscp, err);
    if (rc == 0)
        rc = load_codecs(&n, m, err);
    if (rc == 0)
        rc = load_turn(&n, base_dir, &m->turn, err);
    if (rc == 0 && ydoc_get(&n, "prompt", &v)) {
        char rel[TARGET_PATH_MAX];
        rc = ydoc_str(&v, rel, sizeof(rel), err);
        if (rc == 0 && config_path_resolve(base_dir, rel, m->prompt_wav, sizeof(m->prompt_wav)))
            rc = ydoc_error(&v, err, "path too long once resolved");
    }
    return rc;
}
