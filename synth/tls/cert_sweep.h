/* The certificate check of a target's TLS endpoints, for `synth check`, the
 * scenario step `check`, and `synth run`'s diagnosis of Edge calls without
 * media: which endpoints (the registrar, the edge, the target's checks:), a
 * probe of each at once on one loop (cert_probe.h), and each chain judged
 * against what the target expects (cert_check.h). Findings and summary
 * entries are the reports' (reports/cert_findings.h). */
#ifndef SYNTH_TLS_CERT_SWEEP_H
#define SYNTH_TLS_CERT_SWEEP_H

#include "synth/config/target.h"
#include "synth/tls/cert_check.h"
#include "synth/tls/cert_probe.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The registrar and the edge plus the target's checks. */
#define CERT_SWEEP_MAX (TARGET_CHECKS_MAX + 2)

struct event_base;
struct cert_sweep;

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
    struct cert_probe_conn *conn; /* while it runs */
    struct cert_sweep *sweep;
    int probe_rc;
    struct synth_error perr;
    struct cert_report *report;   /* the judgement, when a chain came back */
};

/* Every probe ended. */
typedef void(cert_sweep_done_h)(struct cert_sweep *s, void *arg);

struct cert_sweep {
    const struct target *target; /* borrowed */
    /* Presented to UM endpoints whose check names no client certificate
     * file (the embedded lab's Front End identity, in memory); may be NULL. */
    X509 *um_client_x509;
    EVP_PKEY *um_client_pkey;
    uint32_t timeout_ms;         /* per endpoint; 0: CERT_PROBE_TIMEOUT_MS */
    struct cert_sweep_item items[CERT_SWEEP_MAX];
    size_t item_count;
    size_t running;
    cert_sweep_done_h *done;
    void *arg;
};

void cert_sweep_init(struct cert_sweep *s, const struct target *t, uint32_t timeout_ms);
/* The registrar and the edge first (unless checks: entries have their
 * roles, or they are not TLS), then the checks in the file's order. */
void cert_sweep_add_target(struct cert_sweep *s);
/* Only the checks: entries of one role (e.g. every UM of the target). */
void cert_sweep_add_role(struct cert_sweep *s, enum target_role role);

/* Starts every probe on base (never blocks). 0: done runs once, from the
 * loop, when the last probe ended. SYNTH_ENOTFOUND: nothing to probe. Any
 * other error (a CA or client certificate that cannot be read is bad
 * input) cancels what had started; done does not run then. An endpoint
 * that cannot be reached is an outcome (its probe_rc), not an error. */
int cert_sweep_start(struct cert_sweep *s, struct event_base *base, cert_sweep_done_h *done,
                     void *arg, struct synth_error *err);
/* Stops the probes still running; done will not run. */
void cert_sweep_cancel(struct cert_sweep *s);
/* The same on a loop of its own: blocking, for a command line. */
int cert_sweep_run(struct cert_sweep *s, struct synth_error *err);

/* Judges each chain that came back (item->report). 0 or SYNTH_ENOMEM. */
int cert_sweep_evaluate(struct cert_sweep *s, struct synth_error *err);

/* The worst rule status over the judged items; CERT_FAIL also when a probe
 * failed. */
enum cert_status cert_sweep_worst(const struct cert_sweep *s);

void cert_sweep_free(struct cert_sweep *s);

#endif
