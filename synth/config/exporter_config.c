/* Exporter configuration (exporter_config.h). */
#include "synth/config/exporter_config.h"

#include "synth/config/config_file.h"
#include "synth/config/users.h"
#include "synth/config/yaml_doc.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONCURRENCY 2
#define DEFAULT_MIN_INTERVAL_MS 60000
#define DEFAULT_TIMEOUT_MS 60000
#define CONCURRENCY_MAX 64

static int name_check(const struct ynode *key_node, const char *name, struct synth_error *err)
{
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return ydoc_error(key_node, err, "'%s': names are letters, digits, - _ .", name);
    return 0;
}

static int load_path(const struct ynode *map, const char *key, const char *dir, char *out,
                     size_t size, struct synth_error *err)
{
    struct ynode v;
    char rel[EXPORTER_PATH_MAX];
    int rc = ydoc_require(map, key, &v, err);
    if (rc == 0)
        rc = ydoc_str(&v, rel, sizeof(rel), err);
    if (rc == 0 && config_path_resolve(dir, rel, out, size))
        rc = ydoc_error(&v, err, "path too long once resolved");
    return rc;
}

static int load_modules(struct exporter_config *c, const struct ynode *root, const char *dir,
                        struct synth_error *err)
{
    static const char *const keys[] = {"scenario", NULL};
    struct ynode n, v;
    int rc = ydoc_require(root, "modules", &n, err);
    if (rc == 0 && (!ydoc_is_map(&n) || ydoc_len(&n) == 0 || ydoc_len(&n) > EXPORTER_NAMES_MAX))
        return ydoc_error(&n, err, "expected 1 to %d modules: {NAME: {scenario: FILE}}",
                          EXPORTER_NAMES_MAX);
    if (rc == 0)
        rc = ydoc_map_check(&n, NULL, err);
    for (size_t i = 0; rc == 0 && i < ydoc_len(&n); i++) {
        struct exporter_module *m = &c->modules[i];
        const char *name = ydoc_map_at(&n, i, &v);
        if ((size_t)snprintf(m->name, sizeof(m->name), "%s", name) >= sizeof(m->name))
            return ydoc_error(&v, err, "module name too long");
        rc = name_check(&v, name, err);
        if (rc == 0)
            rc = ydoc_map_check(&v, keys, err);
        if (rc == 0)
            rc = load_path(&v, "scenario", dir, m->scenario, sizeof(m->scenario), err);
        c->module_count = i + 1;
    }
    return rc;
}

static int load_targets(struct exporter_config *c, const struct ynode *root, const char *dir,
                        struct synth_error *err)
{
    static const char *const keys[] = {"target", "lab", NULL};
    struct ynode n, v, x;
    int rc = ydoc_require(root, "targets", &n, err);
    if (rc == 0 && (!ydoc_is_map(&n) || ydoc_len(&n) == 0 || ydoc_len(&n) > EXPORTER_NAMES_MAX))
        return ydoc_error(&n, err, "expected 1 to %d targets: {NAME: {target: FILE} or {lab: true}}",
                          EXPORTER_NAMES_MAX);
    if (rc == 0)
        rc = ydoc_map_check(&n, NULL, err);
    for (size_t i = 0; rc == 0 && i < ydoc_len(&n); i++) {
        struct exporter_target *t = &c->targets[i];
        const char *name = ydoc_map_at(&n, i, &v);
        if ((size_t)snprintf(t->name, sizeof(t->name), "%s", name) >= sizeof(t->name))
            return ydoc_error(&v, err, "target name too long");
        rc = name_check(&v, name, err);
        if (rc == 0)
            rc = ydoc_map_check(&v, keys, err);
        if (rc == 0 && ydoc_get(&v, "lab", &x))
            rc = ydoc_bool(&x, &t->lab, err);
        if (rc == 0 && !t->lab)
            rc = load_path(&v, "target", dir, t->path, sizeof(t->path), err);
        else if (rc == 0 && ydoc_get(&v, "target", &x))
            rc = ydoc_error(&x, err, "a target is either lab: true or a target file");
        c->target_count = i + 1;
    }
    return rc;
}

static int load_limits(struct exporter_config *c, const struct ynode *root, struct synth_error *err)
{
    static const char *const keys[] = {"concurrency", "min_interval", "timeout", NULL};
    struct ynode n, v;
    if (!ydoc_get(root, "limits", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "concurrency", &v))
        rc = ydoc_u32(&v, 1, CONCURRENCY_MAX, &c->concurrency, err);
    if (rc == 0 && ydoc_get(&n, "min_interval", &v))
        rc = ydoc_duration(&v, YDOC_UNIT_MS, &c->min_interval_ms, err);
    if (rc == 0 && ydoc_get(&n, "timeout", &v)) {
        rc = ydoc_duration(&v, YDOC_UNIT_MS, &c->timeout_ms, err);
        if (rc == 0 && c->timeout_ms == 0)
            rc = ydoc_error(&v, err, "must be more than 0 (every wait has a deadline)");
    }
    return rc;
}

static int load_auth(struct exporter_config *c, const struct ynode *root, const char *dir,
                     struct synth_error *err)
{
    static const char *const keys[] = {"user", "password", NULL};
    struct ynode n, v;
    char spec[512], where[EXPORTER_PATH_MAX + 64];
    if (!ydoc_get(root, "basic_auth", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = ydoc_require(&n, "user", &v, err);
    if (rc == 0)
        rc = ydoc_str(&v, c->user, sizeof(c->user), err);
    if (rc == 0)
        rc = ydoc_require(&n, "password", &v, err);
    if (rc == 0)
        rc = ydoc_str(&v, spec, sizeof(spec), err);
    if (rc == 0) {
        snprintf(where, sizeof(where), "%s:%u: %s", v.doc->name, v.line, v.path);
        rc = users_secret_resolve(spec, dir, where, &c->password, err);
    }
    OPENSSL_cleanse(spec, sizeof(spec));
    return rc;
}

/* A file the listener reads at start: resolved and checked now, so the
 * error names the line of the config rather than only the file. */
static int load_tls_file(const struct ynode *map, const char *key, const char *dir, char *out,
                         size_t size, struct synth_error *err)
{
    struct ynode v;
    int rc = load_path(map, key, dir, out, size, err);
    if (rc == 0 && ydoc_get(map, key, &v) && access(out, R_OK) != 0)
        rc = ydoc_error(&v, err, "%s: cannot be read", out);
    return rc;
}

/* tls_server_config, as Prometheus' web config spells it. */
static int load_tls(struct exporter_config *c, const struct ynode *root, const char *dir,
                    struct synth_error *err)
{
    static const char *const keys[] = {"cert_file", "key_file", "client_ca_file",
                                       "client_auth_type", "min_version", NULL};
    static const char *const auth[EXPORTER_CLIENT_AUTH_COUNT] = {
        "NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
    static const char *const versions[] = {"TLS12", "TLS13"};
    struct exporter_tls *t = &c->tls;
    struct ynode n, v;
    int kind = EXPORTER_CLIENT_NONE, version = 0;
    if (!ydoc_get(root, "tls_server_config", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = load_tls_file(&n, "cert_file", dir, t->cert_file, sizeof(t->cert_file), err);
    if (rc == 0)
        rc = load_tls_file(&n, "key_file", dir, t->key_file, sizeof(t->key_file), err);
    if (rc == 0 && ydoc_get(&n, "client_ca_file", &v)) {
        rc = load_tls_file(&n, "client_ca_file", dir, t->client_ca_file,
                           sizeof(t->client_ca_file), err);
        /* A CA given means clients are to be checked: Prometheus refuses a
         * CA without a policy; the safe reading is to require them. */
        kind = EXPORTER_CLIENT_REQUIRE;
    }
    if (rc == 0 && ydoc_get(&n, "client_auth_type", &v)) {
        rc = ydoc_enum(&v, auth, EXPORTER_CLIENT_AUTH_COUNT, &kind, err);
        if (rc == 0 && kind != EXPORTER_CLIENT_NONE && !t->client_ca_file[0])
            rc = ydoc_error(&v, err, "%s needs client_ca_file (the CA client certificates "
                            "are verified against)", auth[kind]);
        else if (rc == 0 && kind == EXPORTER_CLIENT_NONE && t->client_ca_file[0])
            rc = ydoc_error(&v, err, "client_ca_file is given, but NoClientCert would never "
                            "use it");
    }
    if (rc == 0 && ydoc_get(&n, "min_version", &v))
        rc = ydoc_enum(&v, versions, 2, &version, err);
    t->client_auth = (enum exporter_client_auth)kind;
    t->tls13_only = version == 1;
    return rc;
}

static int from_doc(struct exporter_config *c, struct ydoc *d, const char *path,
                    struct synth_error *err)
{
    static const char *const keys[] = {"modules",    "targets",           "limits",
                                       "basic_auth", "tls_server_config", NULL};
    struct ynode root;
    char dir[EXPORTER_PATH_MAX];

    snprintf(c->path, sizeof(c->path), "%s", path);
    config_dirname(path, dir, sizeof(dir));
    int rc = ydoc_root(d, &root, err);
    if (rc == 0)
        rc = ydoc_map_check(&root, keys, err);
    if (rc == 0)
        rc = load_modules(c, &root, dir, err);
    if (rc == 0)
        rc = load_targets(c, &root, dir, err);
    if (rc == 0)
        rc = load_limits(c, &root, err);
    if (rc == 0)
        rc = load_auth(c, &root, dir, err);
    if (rc == 0)
        rc = load_tls(c, &root, dir, err);
    return rc;
}

static void defaults(struct exporter_config *c)
{
    memset(c, 0, sizeof(*c));
    c->concurrency = DEFAULT_CONCURRENCY;
    c->min_interval_ms = DEFAULT_MIN_INTERVAL_MS;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
}

int exporter_config_load(struct exporter_config *c, const char *path, struct synth_error *err)
{
    struct ydoc d;
    defaults(c);
    /* The document is freed whatever the load said (it may hold a partial tree). */
    int rc = ydoc_load_file(&d, path, err);
    if (rc == 0)
        rc = from_doc(c, &d, path, err);
    ydoc_free(&d);
    if (rc != 0)
        exporter_config_free(c);
    return rc;
}

int exporter_config_load_buffer(struct exporter_config *c, const char *name, const char *buf,
                                size_t len, struct synth_error *err)
{
    struct ydoc d;
    defaults(c);
    /* The document is freed whatever the load said (it may hold a partial tree). */
    int rc = ydoc_load_buffer(&d, name, buf, len, err);
    if (rc == 0)
        rc = from_doc(c, &d, name, err);
    ydoc_free(&d);
    if (rc != 0)
        exporter_config_free(c);
    return rc;
}

void exporter_config_free(struct exporter_config *c)
{
    users_secret_free(c->password);
    c->password = NULL;
}

const struct exporter_module *exporter_module_find(const struct exporter_config *c,
                                                   const char *name)
{
    for (size_t i = 0; i < c->module_count; i++)
        if (strcmp(c->modules[i].name, name) == 0)
            return &c->modules[i];
    return NULL;
}

const struct exporter_target *exporter_target_find(const struct exporter_config *c,
                                                   const char *name)
{
    for (size_t i = 0; i < c->target_count; i++)
        if (strcmp(c->targets[i].name, name) == 0)
            return &c->targets[i];
    return NULL;
}
