/* The lab's configuration: defaults, the YAML file and the --fault knobs
 * (lab_config.h, docs/lab.md). One table of fault knobs serves the file's
 * `faults:` section and the command line, so both accept the same values. */
#include "synth/lab/lab_config.h"

#include "media/port_range.h"
#include "synth/config/config_file.h"
#include "synth/config/yaml_doc.h"
#include "synth/lab/rate_window.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAB_DEFAULT_DOMAIN "lab.synth.test"
#define LAB_DEFAULT_USERS 100
#define LAB_DEFAULT_PASSWORD "synth-lab"
#define LAB_DEFAULT_MAX_MESSAGE_MS 60000
#define LAB_DEFAULT_MEDIA_TIMEOUT_MS 3000
/* SfB's server audio range: what a healthy UM answers from. */
#define LAB_UM_MEDIA_FIRST 49152
#define LAB_UM_MEDIA_LAST 57500
/* The relay's ports: the field's Edge relays from 50000-59999, but here
 * that lies in the kernel's ephemeral range (32768-60999) and the UM's audio
 * range (49152-57500), where the lab's own sockets would take ports from it;
 * above both is free. */
#define LAB_TURN_RELAY_FIRST 61000
#define LAB_TURN_RELAY_LAST 65535
#define LAB_TURN_USER "synth-turn"
#define LAB_TURN_PASSWORD "synth-turn-lab"
/* The lab registrar keeps an array per user; a million is the target's cap. */
#define LAB_USERS_MAX 1000000

/* ---- fault knobs ---- */

/* Most knobs are a flag or a duration in a field of struct lab_faults; the
 * ones with their own rules (the status codes, the DSCP, the CN) have a function. */
typedef const char *(*fault_parse_fn)(struct lab_faults *f, const char *v, size_t len);

enum knob_kind { KNOB_FLAG, KNOB_MS, KNOB_S, KNOB_CUSTOM };

/* A status code knob: one of two codes, or 0 for off; false if not. */
static bool parse_code(const char *v, size_t len, uint32_t a, uint32_t b, uint16_t *out)
{
    uint32_t code;
    if (ydoc_parse_u32(v, len, 0, 999, &code) || (code != 0 && code != a && code != b))
        return false;
    *out = (uint16_t)code;
    return true;
}

static const char *parse_reject(struct lab_faults *f, const char *v, size_t len)
{
    return parse_code(v, len, 403, 503, &f->register_reject)
               ? NULL
               : "expected 403 or 503 (0 turns it off)";
}

static const char *parse_turn_refuse(struct lab_faults *f, const char *v, size_t len)
{
    return parse_code(v, len, 486, 508, &f->turn_refuse_allocate)
               ? NULL
               : "expected 486 or 508 (0 turns it off)";
}

static const char *parse_max_call_rate(struct lab_faults *f, const char *v, size_t len)
{
    return ydoc_parse_u32(v, len, 0, RATE_WINDOW_LIMIT_MAX, &f->max_call_rate)
               ? "expected calls per second, 0-100000 (0 turns it off)"
               : NULL;
}

static const char *parse_dscp(struct lab_faults *f, const char *v, size_t len)
{
    uint32_t d;
    if (ydoc_parse_u32(v, len, 0, 63, &d))
        return "expected a DSCP value 0-63";
    f->um_dscp = (uint8_t)d;
    f->um_dscp_set = true;
    return NULL;
}

/* A printable name that fits a CN; the UM's certificate is issued with it. */
static const char *parse_um_cert_cn(struct lab_faults *f, const char *v, size_t len)
{
    if (len >= sizeof(f->um_cert_cn))
        return "expected a name of at most 64 characters";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
            return "expected a name of printable characters without spaces";
    memcpy(f->um_cert_cn, v, len);
    f->um_cert_cn[len] = '\0';
    return NULL;
}

/* How the SIP middlebox cuts: the names of enum tcp_idle_cut, in order. */
static const char *parse_sip_idle_cut(struct lab_faults *f, const char *v, size_t len)
{
    static const char *const names[] = {"fin", "rst", "drop"};
    for (uint8_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == len && strncmp(v, names[i], len) == 0) {
            f->sip_idle_cut = i;
            return NULL;
        }
    }
    return "expected fin, rst or drop";
}

#define FLAG(key, field) {key, KNOB_FLAG, offsetof(struct lab_faults, field), NULL, "true|false"}
#define MS(key, field) {key, KNOB_MS, offsetof(struct lab_faults, field), NULL, "milliseconds"}
#define S(key, field) {key, KNOB_S, offsetof(struct lab_faults, field), NULL, "seconds"}

static const struct fault_knob {
    const char *key;
    enum knob_kind kind;
    size_t offset;       /* of the bool or uint32_t field */
    fault_parse_fn parse; /* KNOB_CUSTOM */
    const char *doc;
} fault_knobs[] = {
    {"register_reject", KNOB_CUSTOM, 0, parse_reject, "403|503"},
    {"register_retry_after_s", KNOB_S, offsetof(struct lab_faults, register_retry_after_s), NULL,
     "seconds"},
    MS("answer_delay_ms", answer_delay_ms),
    FLAG("never_answer", never_answer),
    MS("bye_after_ms", bye_after_ms),
    FLAG("um_no_media", um_no_media),
    FLAG("um_wrong_key", um_wrong_key),
    FLAG("um_deaf", um_deaf),
    FLAG("um_port_outside_range", um_port_outside_range),
    {"um_dscp", KNOB_CUSTOM, 0, parse_dscp, "0-63"},
    MS("um_stop_media_after_ms", um_stop_media_after_ms),
    FLAG("um_ice_silent", um_ice_silent),
    {"um_cert_cn", KNOB_CUSTOM, 0, parse_um_cert_cn, "NAME"},
    S("proxy_idle_timeout_s", proxy_idle_timeout_s),
    S("ucwa_app_expiry_s", ucwa_app_expiry_s),
    S("ucwa_token_expiry_s", ucwa_token_expiry_s),
    FLAG("ucwa_redirect", ucwa_redirect),
    FLAG("web_ports_swapped", web_ports_swapped),
    {"turn_refuse_allocate", KNOB_CUSTOM, 0, parse_turn_refuse, "486|508"},
    FLAG("turn_drop_relayed", turn_drop_relayed),
    {"max_call_rate", KNOB_CUSTOM, 0, parse_max_call_rate, "calls per second"},
    S("sip_idle_timeout_s", sip_idle_timeout_s),
    {"sip_idle_cut", KNOB_CUSTOM, 0, parse_sip_idle_cut, "fin|rst|drop"},
    FLAG("mras_refuse_users", mras_refuse_users),
    FLAG("mras_silent_users", mras_silent_users),
    FLAG("mras_empty_users", mras_empty_users),
    /* Last: the list of knobs in an error message is cut at its size. */
    S("ntlm_sa_lifetime_s", ntlm_sa_lifetime_s),
    FLAG("ntlm_bad_request_signature", ntlm_bad_request_signature),
};
#undef FLAG
#undef MS
#undef S

static const char *knob_apply(const struct fault_knob *k, struct lab_faults *f, const char *v,
                              size_t len)
{
    char *field = (char *)f + k->offset;
    switch (k->kind) {
    case KNOB_FLAG:
        /* `--fault web_ports_swapped=1` reads as a switch on a command line. */
        if (len == 1 && (v[0] == '1' || v[0] == '0')) {
            *(bool *)(void *)field = v[0] == '1';
            return NULL;
        }
        return ydoc_parse_bool(v, len, (bool *)(void *)field);
    case KNOB_MS:
        return ydoc_parse_duration(v, len, YDOC_UNIT_MS, YDOC_UNIT_MS, (uint32_t *)(void *)field);
    case KNOB_S:
        return ydoc_parse_duration(v, len, YDOC_UNIT_S, YDOC_UNIT_S, (uint32_t *)(void *)field);
    case KNOB_CUSTOM:
        break;
    }
    return k->parse(f, v, len);
}
#define FAULT_KNOB_COUNT (sizeof(fault_knobs) / sizeof(fault_knobs[0]))

static const struct fault_knob *knob_find(const char *key, size_t len)
{
    for (size_t i = 0; i < FAULT_KNOB_COUNT; i++)
        if (strlen(fault_knobs[i].key) == len && strncmp(fault_knobs[i].key, key, len) == 0)
            return &fault_knobs[i];
    return NULL;
}

static void knob_list(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < FAULT_KNOB_COUNT && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s=%s", i ? ", " : "", fault_knobs[i].key,
                         fault_knobs[i].doc);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int lab_config_set_fault(struct lab_config *c, const char *key_value, struct synth_error *err)
{
    char list[512];
    const char *eq = strchr(key_value, '=');
    knob_list(list, sizeof(list));
    if (!eq)
        return synth_error_set(err, SYNTH_ECONFIG, "expected KEY=VALUE, one of: %s", list);
    const struct fault_knob *k = knob_find(key_value, (size_t)(eq - key_value));
    if (!k)
        return synth_error_set(err, SYNTH_ECONFIG, "unknown fault '%.*s'; known: %s",
                               (int)(eq - key_value > 64 ? 64 : eq - key_value), key_value, list);
    const char *why = knob_apply(k, &c->faults, eq + 1, strlen(eq + 1));
    if (why)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: %s", k->key, why);
    return 0;
}

/* ---- defaults ---- */

static void cert_default(struct lab_cert_spec *s, const char *host, const char *domain)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->cn, sizeof(s->cn), "%s.%s", host, domain);
    snprintf(s->san[0], sizeof(s->san[0]), "%s.%s", host, domain);
    s->san_count = 1;
}

/* The Edge's external name is sip.<domain>, the record clients are given
 * for remote access (PROTOCOLS.md, "The deployment, as seen from outside"). */
static void cert_defaults(struct lab_config *c)
{
    cert_default(&c->fe_cert, "fe", c->domain);
    cert_default(&c->um_cert, "um", c->domain);
    cert_default(&c->edge_cert, "sip", c->domain);
}

void lab_config_defaults(struct lab_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->domain, sizeof(c->domain), "%s", LAB_DEFAULT_DOMAIN);
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->user_count = LAB_DEFAULT_USERS;
    snprintf(c->password, sizeof(c->password), "%s", LAB_DEFAULT_PASSWORD);
    cert_defaults(c);
    c->um_max_message_ms = LAB_DEFAULT_MAX_MESSAGE_MS;
    c->um_media_timeout_ms = LAB_DEFAULT_MEDIA_TIMEOUT_MS;
    c->um_media_first = LAB_UM_MEDIA_FIRST;
    c->um_media_last = LAB_UM_MEDIA_LAST;
    c->turn_relay_first = LAB_TURN_RELAY_FIRST;
    c->turn_relay_last = LAB_TURN_RELAY_LAST;
    snprintf(c->turn_realm, sizeof(c->turn_realm), "%s", c->domain);
    snprintf(c->turn_user, sizeof(c->turn_user), "%s", LAB_TURN_USER);
    snprintf(c->turn_password, sizeof(c->turn_password), "%s", LAB_TURN_PASSWORD);
}

/* ---- the file ---- */

static int load_port(const struct ynode *root, const char *key, uint16_t *out,
                     struct synth_error *err)
{
    struct ynode n;
    uint32_t v;
    if (!ydoc_get(root, key, &n))
        return 0;
    int rc = ydoc_u32(&n, 0, 65535, &v, err);
    *out = (uint16_t)v;
    return rc;
}

/* A certificate: {cn: NAME, san: [NAMES]}; an absent cn keeps the default,
 * an absent san means none (so the CN-only case can be built). */
static int load_cert(const struct ynode *root, const char *key, struct lab_cert_spec *s,
                     struct synth_error *err)
{
    static const char *const keys[] = {"cn", "san", NULL};
    struct ynode n, v, item;
    if (!ydoc_get(root, key, &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "cn", &v))
        rc = ydoc_str(&v, s->cn, sizeof(s->cn), err);
    if (rc != 0 || !ydoc_get(&n, "san", &v))
        return rc;
    if (!ydoc_is_seq(&v))
        return ydoc_error(&v, err, "expected a list of DNS names");
    if (ydoc_len(&v) > LAB_SAN_MAX)
        return ydoc_error(&v, err, "at most %d names", LAB_SAN_MAX);
    s->san_count = 0;
    for (size_t i = 0; i < ydoc_len(&v); i++) {
        ydoc_seq_at(&v, i, &item);
        rc = ydoc_str(&item, s->san[i], sizeof(s->san[i]), err);
        if (rc != 0)
            return rc;
        s->san_count = (unsigned)i + 1;
    }
    return 0;
}

static int load_faults(struct lab_config *c, const struct ynode *root, struct synth_error *err)
{
    struct ynode n, v;
    if (!ydoc_get(root, "faults", &n))
        return 0;
    int rc = ydoc_map_check(&n, NULL, err);
    for (size_t i = 0; rc == 0 && i < ydoc_len(&n); i++) {
        const char *key = ydoc_map_at(&n, i, &v);
        const struct fault_knob *k = knob_find(key, strlen(key));
        char list[512];
        knob_list(list, sizeof(list));
        if (!k)
            return ydoc_error(&v, err, "unknown fault; known: %s", list);
        if (!ydoc_is_scalar(&v))
            return ydoc_error(&v, err, "expected %s", k->doc);
        const yaml_node_t *node = v.node;
        const char *why = knob_apply(k, &c->faults, (const char *)node->data.scalar.value,
                                     node->data.scalar.length);
        if (why)
            rc = ydoc_error(&v, err, "%s", why);
    }
    return rc;
}

/* A path key, taken relative to the configuration file's directory. */
static int load_path(const struct ynode *root, const char *key, char *out, size_t size,
                     struct synth_error *err)
{
    char rel[1024], dir[1024];
    struct ynode n;
    if (!ydoc_get(root, key, &n))
        return 0;
    int rc = ydoc_str(&n, rel, sizeof(rel), err);
    config_dirname(n.doc->name, dir, sizeof(dir));
    if (rc == 0 && config_path_resolve(dir, rel, out, size))
        rc = ydoc_error(&n, err, "path too long once resolved");
    return rc;
}

/* A port range such as 49152-57500. */
static int load_range(const struct ynode *root, const char *key, uint16_t *first,
                      uint16_t *last, struct synth_error *err)
{
    char text[32];
    struct port_range r = {0, 0};
    struct ynode n;
    if (!ydoc_get(root, key, &n))
        return 0;
    int rc = ydoc_str(&n, text, sizeof(text), err);
    if (rc == 0 && port_range_parse(text, strlen(text), &r, NULL) != 0)
        rc = ydoc_error(&n, err, "expected a port range such as 49152-57500");
    if (rc == 0) {
        *first = r.first;
        *last = r.last;
    }
    return rc;
}

static int load_turn(struct lab_config *c, const struct ynode *root, struct synth_error *err)
{
    struct ynode n;
    int rc = load_port(root, "turn_port", &c->turn_port, err);
    if (rc == 0)
        rc = load_range(root, "turn_relay_ports", &c->turn_relay_first, &c->turn_relay_last, err);
    if (rc == 0 && ydoc_get(root, "turn_realm", &n))
        rc = ydoc_str(&n, c->turn_realm, sizeof(c->turn_realm), err);
    if (rc == 0 && ydoc_get(root, "turn_user", &n))
        rc = ydoc_str(&n, c->turn_user, sizeof(c->turn_user), err);
    if (rc == 0 && ydoc_get(root, "turn_password", &n))
        rc = ydoc_str(&n, c->turn_password, sizeof(c->turn_password), err);
    if (rc == 0 && ydoc_get(root, "turn_user_quota", &n))
        rc = ydoc_u32(&n, 0, UINT32_MAX, &c->turn_user_quota, err);
    if (rc == 0 && ydoc_get(root, "turn_nonce_lifetime", &n))
        rc = ydoc_duration(&n, YDOC_UNIT_MS, &c->turn_nonce_lifetime_ms, err);
    if (rc == 0 && ydoc_get(root, "turn_dialect", &n)) {
        static const char *const dialects[] = {"standard", "ms-turn"};
        int d = 0;
        rc = ydoc_enum(&n, dialects, 2, &d, err);
        c->turn_msturn = d == 1;
    }
    if (rc == 0 && ydoc_get(root, "turn_pool_redirect", &n))
        rc = ydoc_bool(&n, &c->turn_pool_redirect, err);
    if (rc == 0 && ydoc_get(root, "ice_dialect", &n)) {
        static const char *const dialects[] = {"rfc8445", "ms-ice2"};
        int d = 0;
        rc = ydoc_enum(&n, dialects, 2, &d, err);
        c->ice_msice2 = d == 1;
    }
    if (rc == 0 && ydoc_get(root, "turn_credentials", &n)) {
        static const char *const kinds[] = {"static", "mras"};
        int k = 0;
        rc = ydoc_enum(&n, kinds, 2, &k, err);
        c->turn_mras_credentials = k == 1;
    }
    if (rc == 0 && ydoc_get(root, "mras_max_duration", &n)) {
        uint32_t s = 0;
        rc = ydoc_duration(&n, YDOC_UNIT_S, &s, err);
        if (rc == 0 && (s < 60 || s % 60 != 0))
            rc = ydoc_error(&n, err, "whole minutes, at least 1m (MRAS durations are minutes)");
        c->mras_max_duration_min = s / 60;
    }
    if (rc == 0 && ydoc_get(root, "threads", &n)) {
        static const char *const layouts[] = {"one", "per-server"};
        int t = 0;
        rc = ydoc_enum(&n, layouts, 2, &t, err);
        c->threads_per_server = t == 1;
    }
    return rc;
}

static int load_root(struct lab_config *c, const struct ynode *root, struct synth_error *err)
{
    static const char *const keys[] = {"domain", "listen_host", "udp_port", "tcp_port",
                                       "tls_port", "um_port", "edge_port", "users", "password", "auth", "fe_cert",
                                       "um_cert", "edge_cert", "um_max_message", "um_media_timeout", "um_media_ports",
                                       "um_greeting", "um_record_dir", "register_max_expires",
                                       "turn_port", "turn_relay_ports", "turn_realm", "turn_user",
                                       "turn_password", "turn_user_quota", "turn_nonce_lifetime",
                                       "turn_dialect", "turn_pool_redirect", "turn_credentials", "mras_max_duration", "ice_dialect",
                                       "threads", "faults", NULL};
    struct ynode n;
    int rc = ydoc_map_check(root, keys, err);
    if (rc == 0 && ydoc_get(root, "domain", &n)) {
        rc = ydoc_str(&n, c->domain, sizeof(c->domain), err);
        /* Certificates and the TURN realm follow the domain unless the file
         * names them. */
        cert_defaults(c);
        snprintf(c->turn_realm, sizeof(c->turn_realm), "%s", c->domain);
    }
    if (rc == 0 && ydoc_get(root, "listen_host", &n))
        rc = ydoc_str(&n, c->listen_host, sizeof(c->listen_host), err);
    if (rc == 0)
        rc = load_port(root, "udp_port", &c->udp_port, err);
    if (rc == 0)
        rc = load_port(root, "tcp_port", &c->tcp_port, err);
    if (rc == 0)
        rc = load_port(root, "tls_port", &c->tls_port, err);
    if (rc == 0)
        rc = load_port(root, "um_port", &c->um_port, err);
    if (rc == 0)
        rc = load_port(root, "edge_port", &c->edge_port, err);
    if (rc == 0 && ydoc_get(root, "users", &n))
        rc = ydoc_u32(&n, 1, LAB_USERS_MAX, &c->user_count, err);
    if (rc == 0 && ydoc_get(root, "password", &n))
        rc = ydoc_str(&n, c->password, sizeof(c->password), err);
    if (rc == 0 && ydoc_get(root, "auth", &n)) {
        static const char *const auths[] = {[LAB_AUTH_DIGEST] = "digest", [LAB_AUTH_NTLM] = "ntlm"};
        int a = 0;
        rc = ydoc_enum(&n, auths, 2, &a, err);
        c->auth = (enum lab_auth)a;
    }
    if (rc == 0)
        rc = load_cert(root, "fe_cert", &c->fe_cert, err);
    if (rc == 0)
        rc = load_cert(root, "um_cert", &c->um_cert, err);
    if (rc == 0)
        rc = load_cert(root, "edge_cert", &c->edge_cert, err);
    if (rc == 0 && ydoc_get(root, "register_max_expires", &n))
        rc = ydoc_duration(&n, YDOC_UNIT_S, &c->register_max_expires_s, err);
    if (rc == 0 && ydoc_get(root, "um_max_message", &n))
        rc = ydoc_duration(&n, YDOC_UNIT_MS, &c->um_max_message_ms, err);
    if (rc == 0 && ydoc_get(root, "um_media_timeout", &n))
        rc = ydoc_duration(&n, YDOC_UNIT_MS, &c->um_media_timeout_ms, err);
    if (rc == 0)
        rc = load_range(root, "um_media_ports", &c->um_media_first, &c->um_media_last, err);
    if (rc == 0)
        rc = load_turn(c, root, err);
    if (rc == 0)
        rc = load_path(root, "um_greeting", c->um_greeting, sizeof(c->um_greeting), err);
    if (rc == 0)
        rc = load_path(root, "um_record_dir", c->um_record_dir, sizeof(c->um_record_dir), err);
    if (rc == 0)
        rc = load_faults(c, root, err);
    return rc;
}

static int from_doc(struct lab_config *c, struct ydoc *d, int rc, struct synth_error *err)
{
    struct ynode root;
    if (rc == 0)
        rc = ydoc_root(d, &root, err);
    if (rc == 0)
        rc = load_root(c, &root, err);
    ydoc_free(d);
    return rc;
}

int lab_config_load(struct lab_config *c, const char *path, struct synth_error *err)
{
    struct ydoc d;
    int rc = ydoc_load_file(&d, path, err);
    return from_doc(c, &d, rc, err);
}

int lab_config_load_buffer(struct lab_config *c, const char *name, const char *buf, size_t len,
                           struct synth_error *err)
{
    struct ydoc d;
    int rc = ydoc_load_buffer(&d, name, buf, len, err);
    return from_doc(c, &d, rc, err);
}
