/* Which of a Front End's two web sites answered: the identifiers a real
 * server shows on the wire, and the call made from them. Pure (no I/O).
 *
 * - AccessLocation ("Internal" / "External") of the Lync Autodiscover
 *   root document ([MS-OCDISCWS] 2.2; Lync Server 2013 "Understanding
 *   Autodiscover": the attribute says through which site the request came),
 *   in its JSON form (application/vnd.microsoft.rtc.autodiscover+json) or
 *   its XML form (AutodiscoverResponse AccessLocation="...").
 * - The certificate the site presents: the internal site carries the pool's
 *   internal web FQDN, the external one the external web services FQDN.
 * - The hosts of the document's links (Root.Links[].href, _links.*.href),
 *   which the server builds from the site's published name.
 * One identifier can be absent or mislead (a certificate naming both sites,
 * links built from the Host header); the call weighs them. */
#ifndef SYNTH_WEB_WEB_IDENTITY_H
#define SYNTH_WEB_WEB_IDENTITY_H

#include "synth/config/target.h"
#include "synth/tls/cert_check.h"

#include <stdbool.h>
#include <stddef.h>

/* Neither site (or no identifier could say). */
#define WEB_SITE_UNKNOWN TARGET_WEB_SITE_COUNT
/* Link hosts kept from one document: Autodiscover lists a dozen links on
 * two or three hosts. */
#define WEB_IDENTITY_HOSTS_MAX 8
#define WEB_IDENTITY_TEXT_MAX 32
#define WEB_BY_MAX 512

/* What one autodiscover document says of itself. */
struct web_identity {
    int access_location;                      /* a target_web_site, or WEB_SITE_UNKNOWN */
    char access_location_text[WEB_IDENTITY_TEXT_MAX]; /* as sent (printable); "" = absent */
    char hosts[WEB_IDENTITY_HOSTS_MAX][TARGET_HOST_MAX]; /* lower case, distinct */
    size_t host_count;
    const char *format;                       /* "json", "xml" */
};

/* Reads body (len bytes, need not be NUL-terminated) as the JSON or the XML
 * form. 0, or SYNTH_EPARSE when it is neither (out then says nothing).
 * Never reads past len. */
int web_identity_parse(const char *body, size_t len, struct web_identity *out);

/* The site one answer came from. */
struct web_site_call {
    int site;           /* a target_web_site, or WEB_SITE_UNKNOWN */
    bool conflict;      /* identifiers disagreed (then site is UNKNOWN) */
    char by[WEB_BY_MAX]; /* each identifier and what it said, e.g. "AccessLocation
                         * External, certificate names webext.contoso.com, links on
                         * webext.contoso.com" (the names are the sites' fqdn) */
};

/* Weighs the identifiers: AccessLocation counts twice (the server's own
 * word), the certificate and the link hosts once each; the site with more
 * wins, a tie between two sites is a conflict. id and cert may be NULL (no
 * document, plain HTTP); fqdn[s] "" when site s has none configured. */
void web_identify(const struct web_identity *id, const struct cert_facts *cert,
                  const char *const fqdn[TARGET_WEB_SITE_COUNT], struct web_site_call *out);

/* Whether a certificate name (a DNS name, or "*.label..." matching one
 * left-most label, RFC 6125 6.4.3) matches host; case and a trailing dot
 * are ignored. */
bool web_name_matches(const char *cert_name, const char *host);

#endif
