/* DNS discovery in the results: summary.json "discovery" (every record
 * looked up, found or not, with its targets and address) and the findings
 * dns-srv-missing, dns-srv-mismatch and dns-autodiscover-missing. */
#ifndef SYNTH_REPORTS_DISCOVERY_REPORT_H
#define SYNTH_REPORTS_DISCOVERY_REPORT_H

#include "reports/verdict.h"
#include "synth/config/access_path.h"
#include "synth/config/target.h"
#include "synth/dns/sip_discovery.h"

#include <jansson.h>

/* {domain, records: [{record, query, found, error, targets: [{host, port,
 * priority, weight}], host, port, address, elapsed_ms}]}. New reference;
 * NULL on ENOMEM. */
json_t *discovery_json(const struct sip_discovery *d);

/* What the run needed from DNS and what the file said, for the findings. */
struct discovery_needs {
    bool path_used[ACCESS_PATH_COUNT];  /* the scenario's users take this path */
    bool path_by_dns[ACCESS_PATH_COUNT]; /* its endpoint was left to DNS */
    const struct target_endpoint *configured[ACCESS_PATH_COUNT]; /* named in the file, or NULL */
};

/* A missing SRV record a used path depended on is critical (those users
 * cannot reach the deployment); other missing records are warnings, as is
 * an SRV record that points elsewhere than the file's endpoint. */
int discovery_findings_evaluate(struct verdict *v, const struct sip_discovery *d,
                                const struct discovery_needs *needs);

#endif
