/* The field failure of PROTOCOLS.md, "Certificates", diagnosed as one
 * finding: calls through the Edge connect without media while the UM's
 * certificate carries its FQDN only in the SAN list (Subject CN is another
 * name). Either half alone is a finding of its own (connected-no-media,
 * cert-subject-not-fqdn); together they are the cause and its symptom, so
 * the finding um-cert-breaks-edge-media names both, with the remedy. */
#ifndef SYNTH_REPORTS_EDGE_MEDIA_FINDINGS_H
#define SYNTH_REPORTS_EDGE_MEDIA_FINDINGS_H

#include "reports/verdict.h"
#include "synth/tls/cert_sweep.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UM_CERT_TEXT_MAX 256

/* What one UM endpoint's certificate showed. */
struct um_cert_seen {
    char endpoint[UM_CERT_TEXT_MAX]; /* "um 10.0.0.5:5061" */
    char cn_seen[UM_CERT_TEXT_MAX];  /* the Subject CN, "" when it has none */
    char fqdn[UM_CERT_TEXT_MAX];     /* the name expected as Subject CN */
    bool fqdn_in_san;                /* the FQDN is among the SAN names */
    bool cn_ok;                      /* the subject-cn rule passed */
};

/* The calls of the run by path, from its statistics. */
struct edge_media_counts {
    uint64_t edge_calls;           /* Edge calls answered that offered media */
    uint64_t edge_no_media;        /* ... classified connected-no-media */
    uint64_t edge_ice_failed;      /* ... of which no ICE pair was found */
    bool have_internal;            /* internal users took part (the control) */
    uint64_t internal_calls;
    uint64_t internal_greeting;    /* internal calls that heard the greeting */
};

/* What the UM endpoints of an evaluated sweep showed; returns how many
 * were written (at most max). */
size_t um_cert_seen_collect(const struct cert_sweep *s, struct um_cert_seen *out, size_t max);

/* Adds um-cert-breaks-edge-media (critical) when Edge calls had no media
 * and a UM endpoint's Subject CN is not its FQDN; nothing otherwise. 0 or
 * SYNTH_ENOMEM. */
int edge_media_findings_add(struct verdict *v, const struct um_cert_seen *um, size_t um_count,
                            const struct edge_media_counts *c);

#endif
