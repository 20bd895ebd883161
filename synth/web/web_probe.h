/* Web service port probes (issue #5, item 3; PROTOCOLS.md "Web service
 * ports"): each URL the target's web: section lists is asked for the
 * Autodiscover root document, and the answer is classified: the expected
 * site, the other site (the field's swapped 443/4443 bindings), an answer
 * that tells no site, or no answer (refused, timed out, TLS failed) within
 * the deadline. All URLs at once on the caller's loop, through the curl
 * multi client of synth/ucwa/ucwa_http.h. */
#ifndef SYNTH_WEB_WEB_PROBE_H
#define SYNTH_WEB_WEB_PROBE_H

#include "synth/base/err.h"
#include "synth/config/target.h"
#include "synth/web/web_identity.h"

#include <stddef.h>
#include <stdint.h>

/* Every URL of both sites. */
#define WEB_PROBE_URLS_MAX (TARGET_WEB_URLS_MAX * TARGET_WEB_SITE_COUNT)
/* What the probe asks a URL whose path is "/" (or none) for. */
#define WEB_PROBE_ROOT_PATH "/Autodiscover/AutodiscoverService.svc/root"
/* The Autodiscover document's own media type, which carries AccessLocation
 * ([MS-OCDISCWS] 2.2.1); plain JSON and XML are accepted back. */
#define WEB_PROBE_ACCEPT                                                                      \
    "application/vnd.microsoft.rtc.autodiscover+json;v=1, "                                   \
    "application/vnd.microsoft.rtc.autodiscover+xml;v=1;q=0.9, application/json;q=0.8"
#define WEB_REASON_MAX 320

enum web_port_outcome {
    WEB_PORT_OK,           /* answered as the site it is listed for */
    WEB_PORT_WRONG_SITE,   /* answered as the other site */
    WEB_PORT_UNIDENTIFIED, /* answered, but nothing said which site */
    WEB_PORT_NO_ANSWER,    /* refused, timed out, TLS failed, cut */
};

/* "ok", "wrong-site", "unidentified", "no-answer". */
const char *web_port_outcome_name(enum web_port_outcome o);

struct web_port_result {
    char url[TARGET_URI_MAX];            /* as listed */
    char probed[TARGET_URI_MAX + 64];    /* with the root path */
    enum target_web_site expected;
    enum web_port_outcome outcome;
    int seen;                            /* a target_web_site, or WEB_SITE_UNKNOWN */
    char by[WEB_BY_MAX];                 /* the identifiers and what each said */
    char reason[WEB_REASON_MAX];         /* no answer: why; unidentified: what came */
    long status;                         /* HTTP status; 0 without an answer */
    double ms;                           /* the exchange, or until it failed */
};

/* Classifies what came back from url (listed for expected): fail is a
 * ucwa_fail (0 = a whole response came), detail curl's words; body the
 * response; cert the leaf presented over TLS (NULL over HTTP). fqdn as for
 * web_identify. Pure. */
void web_port_classify(struct web_port_result *r, int fail, const char *detail, long status,
                       const char *body, size_t body_len, const struct cert_facts *cert,
                       const char *const fqdn[TARGET_WEB_SITE_COUNT], uint32_t timeout_ms);

struct event_base;
struct web_probe;

/* Starts a probe of every URL of w on base (never blocks; each request
 * under w->timeout_ms). Results are complete once base has no more events
 * of the probe (event_base_dispatch returned). Free with web_probe_free. */
int web_probe_start(struct web_probe **out, struct event_base *base, const struct target_web *w,
                    struct synth_error *err);
/* The results, in the file's order (internal's URLs first). */
size_t web_probe_results(const struct web_probe *p, const struct web_port_result **out);
void web_probe_free(struct web_probe *p);

/* The same on a loop of its own, results copied into out (room for
 * WEB_PROBE_URLS_MAX) and their number into *n: blocking for at most
 * w->timeout_ms and a moment, for a command line (synth run before its
 * users start), never for a worker. */
int web_probe_run(const struct target_web *w, struct web_port_result *out, size_t *n,
                  struct synth_error *err);

#endif
