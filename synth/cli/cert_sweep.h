/* The certificate check of a target's TLS endpoints, for `synth check` and
 * for `synth run`'s diagnosis of Edge calls without media: which endpoints
 * (the registrar, the edge, the target's checks:), a probe of each at once
 * on one loop (synth/tls/cert_probe.h), and the judgement of what each
 * presented into findings and summary.json "certificates" entries. */
#ifndef SYNTH_CLI_CERT_SWEEP_H
#define SYNTH_CLI_CERT_SWEEP_H

#include "reports/edge_media_findings.h"
#include "reports/verdict.h"
#include "synth/config/target.h"
#include "synth/tls/cert_check.h"
#include "synth/tls/cert_probe.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The registrar and the edge plus the target's checks. */
#define CERT_SWEEP_MAX (TARGET_CHECKS_MAX + 2)

struct lab;

/* One endpoint to check, from the registrar or a `checks:` entry. */
struct cert_sweep_item {
    const char *name;
    enum target_role role;
    const char *host;
    uint16_t port;
    const struct target_tls *tls;
    const char *server_name;
    const char *names[CERT_NAMES_MAX];
    size_t name_count;
    bool mtls;
    uint32_t warn_days, crit_days;
    /* The probe's outcome. */
    char peer[TARGET_NAME_MAX + TARGET_HOST_MAX + 16];
    X509_STORE *trust;
    const char *trust_name;
    struct cert_probe probe;
    int probe_rc;
    struct synth_error perr;
    bool judged;
    struct cert_report *report; /* once judged with a chain */
};

struct cert_sweep {
    const struct target *target; /* borrowed */
    struct lab *lab;             /* the embedded lab, or NULL: its UM wants its FE's certificate */
    uint32_t timeout_ms;         /* per endpoint; 0: CERT_PROBE_TIMEOUT_MS */
    struct cert_sweep_item items[CERT_SWEEP_MAX];
    size_t item_count;
};

void cert_sweep_init(struct cert_sweep *s, const struct target *t, struct lab *lab,
                     uint32_t timeout_ms);
/* The registrar and the edge first (unless checks: entries have their
 * roles, or they are not TLS), then the checks in the file's order. */
void cert_sweep_add_target(struct cert_sweep *s);
/* Only the checks: entries of one role (e.g. every UM of the target). */
void cert_sweep_add_role(struct cert_sweep *s, enum target_role role);

/* Probes every item at once; returns when the last is done (each under
 * its deadline). A CA or client certificate that cannot be read is bad
 * input (an error); an endpoint that cannot be reached is a finding. */
int cert_sweep_probe(struct cert_sweep *s, struct synth_error *err);

/* Judges each item: findings into v, entries into certs (either NULL to
 * skip). Only ENOMEM is an error. */
int cert_sweep_judge(struct cert_sweep *s, struct verdict *v, json_t *certs,
                     struct synth_error *err);

/* What the UM endpoints among the judged items showed, for
 * edge_media_findings_add; returns how many were written (at most max). */
size_t cert_sweep_um_seen(const struct cert_sweep *s, struct um_cert_seen *out, size_t max);

void cert_sweep_free(struct cert_sweep *s);

#endif
