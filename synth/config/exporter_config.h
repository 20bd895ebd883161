/* The exporter's configuration (`synth exporter --config FILE`): named
 * modules (scenarios) and named targets, never hosts from a URL, and the
 * limits that keep a scrape storm from becoming a load test of production. */
#ifndef SYNTH_CONFIG_EXPORTER_CONFIG_H
#define SYNTH_CONFIG_EXPORTER_CONFIG_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPORTER_NAMES_MAX 32
#define EXPORTER_NAME_MAX 64
#define EXPORTER_PATH_MAX 1024

struct exporter_module {
    char name[EXPORTER_NAME_MAX];
    char scenario[EXPORTER_PATH_MAX]; /* resolved against the file's directory */
};

struct exporter_target {
    char name[EXPORTER_NAME_MAX];
    bool lab;                       /* the embedded lab (tests, demos) */
    char path[EXPORTER_PATH_MAX];   /* a target file otherwise */
};

/* Who may connect to a TLS listener, in the words of Prometheus' web
 * config (client_auth_type). Its RequestClientCert and RequireAnyClientCert
 * are not offered: a client certificate nobody verifies proves nothing. */
enum exporter_client_auth {
    EXPORTER_CLIENT_NONE,           /* NoClientCert */
    EXPORTER_CLIENT_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
    EXPORTER_CLIENT_REQUIRE,        /* RequireAndVerifyClientCert */
    EXPORTER_CLIENT_AUTH_COUNT,
};

/* tls_server_config: the listener serves HTTPS only when cert_file is set. */
struct exporter_tls {
    char cert_file[EXPORTER_PATH_MAX]; /* "" = plain HTTP; may hold the chain after the leaf */
    char key_file[EXPORTER_PATH_MAX];
    char client_ca_file[EXPORTER_PATH_MAX]; /* "" = none */
    enum exporter_client_auth client_auth;
    bool tls13_only;                   /* min_version: TLS13; TLS 1.2 otherwise */
};

struct exporter_config {
    struct exporter_module modules[EXPORTER_NAMES_MAX];
    size_t module_count;
    struct exporter_target targets[EXPORTER_NAMES_MAX];
    size_t target_count;
    uint32_t concurrency;     /* probes at once; default 2 */
    uint32_t min_interval_ms; /* per module and target: a scrape sooner gets the last result; default 60 s */
    uint32_t timeout_ms;      /* a probe's longest run (lowered by the scrape's own timeout); default 60 s */
    char user[EXPORTER_NAME_MAX]; /* basic auth on the listener; "" = none */
    char *password;               /* resolved secret (env:/file:); caller frees via exporter_config_free */
    struct exporter_tls tls;
    char path[EXPORTER_PATH_MAX];
};

/* Loads and checks the file: "file:line: key: what" on error. */
int exporter_config_load(struct exporter_config *c, const char *path, struct synth_error *err);
/* The same from memory (tests, fuzzing); name stands for the file in
 * messages and relative paths. */
int exporter_config_load_buffer(struct exporter_config *c, const char *name, const char *buf,
                                size_t len, struct synth_error *err);
void exporter_config_free(struct exporter_config *c);

const struct exporter_module *exporter_module_find(const struct exporter_config *c,
                                                   const char *name);
const struct exporter_target *exporter_target_find(const struct exporter_config *c,
                                                   const char *name);

#endif
