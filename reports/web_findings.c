/* Web service port findings (web_findings.h). Why critical: a load balancer
 * or reverse proxy whose health probe hits the wrong site marks the pool's
 * web services down (the field report: "health probes fail"), so mobile
 * sign-in, address book, meetings all fail through it; a port that does not
 * answer is the same outage. */
#include "reports/web_findings.h"

#include "synth/base/sbuf.h"

#include <stdbool.h>
#include <string.h>

#define MISMATCH_ID "web-port-mismatch"
#define UNIDENTIFIED_ID "web-port-unidentified"
#define SWAP_REMEDY                                                                           \
    "bind the Front End's internal web site to 443 (https) and 80 (http) and its external "   \
    "web site to 4443 and 8080 again (IIS bindings of \"Skype for Business Server Internal "  \
    "Web Site\" and \"... External Web Site\"), or point the health probes and the reverse "  \
    "proxy at the ports the sites really use; then run synth check again"
#define NO_ANSWER_REMEDY                                                                      \
    "check that the site is started in IIS and bound to this port, and that no firewall "    \
    "drops it; health probes and the reverse proxy expect it here"
#define UNIDENTIFIED_REMEDY                                                                   \
    "check what listens on this port: a Front End web site answers the Autodiscover root "   \
    "with its AccessLocation; give the sites' fqdn: so their certificates tell them apart"

static const char *site_name(int s)
{
    return s == WEB_SITE_UNKNOWN ? "unknown" : target_web_site_name((enum target_web_site)s);
}

static bool is_https(const char *url)
{
    return strncmp(url, "https://", 8) == 0;
}

static void describe(struct sbuf *sb, const struct web_port_result *r)
{
    sbuf_printf(sb, "%s (listed for the %s site) answers as the %s site [%s]", r->url,
                site_name((int)r->expected), site_name(r->seen), r->by);
}

/* The two results answer each as the other's site, over the same scheme. */
static bool swapped(const struct web_port_result *a, const struct web_port_result *b)
{
    return b->outcome == WEB_PORT_WRONG_SITE && b->seen == (int)a->expected &&
           a->seen == (int)b->expected && is_https(a->url) == is_https(b->url);
}

static int add_swap(struct verdict *v, const struct web_port_result *a,
                    const struct web_port_result *b)
{
    char summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX];
    struct sbuf sb;
    sbuf_init(&sb, summary, sizeof(summary));
    sbuf_printf(&sb, "web sites bound to swapped ports: %s answers as the %s site, %s as the %s "
                     "site; health probes built for the defaults fail",
                a->url, site_name(a->seen), b->url, site_name(b->seen));
    sbuf_init(&sb, evidence, sizeof(evidence));
    describe(&sb, a);
    sbuf_puts(&sb, "; ");
    describe(&sb, b);
    sbuf_puts(&sb, ": bindings swapped");
    return verdict_add_finding(v, VERDICT_CRITICAL, MISMATCH_ID, summary, evidence, SWAP_REMEDY);
}

static int add_wrong(struct verdict *v, const struct web_port_result *r, size_t n, size_t i)
{
    char summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX];
    struct sbuf sb;
    sbuf_init(&sb, summary, sizeof(summary));
    sbuf_printf(&sb, "%s answers for the %s site, not the %s site it is listed for", r[i].url,
                site_name(r[i].seen), site_name((int)r[i].expected));
    sbuf_init(&sb, evidence, sizeof(evidence));
    describe(&sb, &r[i]);
    const char *other = NULL;
    for (size_t j = 0; j < n && !other; j++)
        if (j != i && r[j].seen == (int)r[i].expected && is_https(r[j].url) == is_https(r[i].url))
            other = r[j].url;
    if (other)
        sbuf_printf(&sb, "; %s answers as the %s site", other, site_name((int)r[i].expected));
    else
        sbuf_printf(&sb, "; no listed URL answers as the %s site", site_name((int)r[i].expected));
    return verdict_add_finding(v, VERDICT_CRITICAL, MISMATCH_ID, summary, evidence, SWAP_REMEDY);
}

int web_findings_add(struct verdict *v, const struct web_port_result *r, size_t n)
{
    bool used[WEB_PROBE_URLS_MAX] = {false};
    int rc = 0;
    for (size_t i = 0; i < n && i < WEB_PROBE_URLS_MAX && rc == 0; i++) {
        if (used[i])
            continue;
        switch (r[i].outcome) {
        case WEB_PORT_OK:
            break;
        case WEB_PORT_WRONG_SITE: {
            size_t j = i + 1;
            while (j < n && (used[j] || !swapped(&r[i], &r[j])))
                j++;
            if (j < n) {
                used[j] = true;
                rc = add_swap(v, &r[i], &r[j]);
            } else {
                rc = add_wrong(v, r, n, i);
            }
            break;
        }
        case WEB_PORT_NO_ANSWER:
            rc = verdict_add_findingf(v, VERDICT_CRITICAL, MISMATCH_ID,
                                      "a web service port does not answer", NO_ANSWER_REMEDY,
                                      "%s (listed for the %s site) does not answer: %s after "
                                      "%.0f ms",
                                      r[i].url, site_name((int)r[i].expected), r[i].reason,
                                      r[i].ms);
            break;
        case WEB_PORT_UNIDENTIFIED:
            rc = verdict_add_findingf(v, VERDICT_WARNING, UNIDENTIFIED_ID,
                                      "a web service port answers, but not as either Front End "
                                      "web site",
                                      UNIDENTIFIED_REMEDY, "%s (listed for the %s site): %s",
                                      r[i].url, site_name((int)r[i].expected), r[i].reason);
            break;
        }
    }
    return rc;
}

json_t *web_findings_json(const struct web_port_result *r, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:f}", "url", r[i].url,
                              "probed", r[i].probed, "site", site_name((int)r[i].expected),
                              "seen",
                              r[i].seen == WEB_SITE_UNKNOWN ? json_null()
                                                            : json_string(site_name(r[i].seen)),
                              "outcome", web_port_outcome_name(r[i].outcome), "by", r[i].by,
                              "reason", r[i].reason, "status", (json_int_t)r[i].status, "ms",
                              r[i].ms);
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

void web_findings_print(FILE *f, const struct web_port_result *r, size_t n)
{
    if (n == 0)
        return;
    fputs("\nweb service ports\n  site      result        url\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "  %-9s %-13s %s\n", site_name((int)r[i].expected),
                web_port_outcome_name(r[i].outcome), r[i].url);
        if (r[i].outcome == WEB_PORT_NO_ANSWER || r[i].outcome == WEB_PORT_UNIDENTIFIED)
            fprintf(f, "                          %s\n", r[i].reason);
        else
            fprintf(f, "                          answers as %s: %s\n", site_name(r[i].seen),
                    r[i].by);
    }
}
