/* The certificate check's results as findings (stable ids cert-subject-not-fqdn,
 * cert-san-missing-name, cert-expiring, cert-untrusted, cert-weak,
 * cert-eku-missing) and as summary.json "certificates" entries. The UM's
 * Subject name is judged hardest: it is the field failure of PROTOCOLS.md,
 * "Certificates". */
#ifndef SYNTH_REPORTS_CERT_FINDINGS_H
#define SYNTH_REPORTS_CERT_FINDINGS_H

#include "reports/verdict.h"
#include "synth/config/target.h"
#include "synth/tls/cert_check.h"
#include "synth/tls/cert_probe.h"
#include "synth/tls/cert_sweep.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* One checked endpoint: what was expected, how the probe went, and the
 * judgement of the chain it brought back. Borrowed pointers. */
struct cert_endpoint {
    const char *name;                 /* "registrar", "um" */
    enum target_role role;
    const char *host;
    uint16_t port;
    const char *server_name;          /* the expected FQDN, sent as SNI */
    const char *const *names;         /* the SAN must hold each */
    size_t name_count;
    bool mtls;
    const char *trust_name;           /* the CA file, or "the system store" */
    int probe_err;                    /* 0, or the probe's synth_err */
    const char *probe_detail;         /* its message, peer named */
    const struct cert_probe *probe;   /* NULL when it never ran */
    const struct cert_report *report; /* NULL when no chain was judged */
};

/* Adds a finding for each rule that did not pass, and one for a probe that
 * failed (transport.unreachable, tls.handshake-failed). Returns 0 or
 * SYNTH_ENOMEM. */
int cert_findings_add(struct verdict *v, const struct cert_endpoint *ep);

/* The endpoint as a summary.json "certificates" entry: endpoint, role, host,
 * port, server_name, names, mtls, trust, result (pass, warn, fail, error),
 * probe {ok, error, protocol, cipher, client_cert_requested,
 * client_cert_sent, after_handshake}, chain [{subject, subject_cn, issuer,
 * sans, not_before, not_after, days_left, key_type, key_bits, signature,
 * ekus, self_signed, sha256}], rules [{rule, result, summary, evidence}].
 * New reference; NULL on ENOMEM. */
json_t *cert_findings_json(const struct cert_endpoint *ep);

/* Both for every item of an evaluated sweep: findings into v, entries into
 * certs (either may be NULL). 0 or SYNTH_ENOMEM. */
int cert_findings_add_sweep(struct verdict *v, json_t *certs, const struct cert_sweep *s);

#endif
