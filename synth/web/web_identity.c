/* Telling a Front End's internal web site from its external one
 * (web_identity.h). */
#include "synth/web/web_identity.h"

#include "synth/base/sbuf.h"
#include "synth/base/xml_scan.h"

#include <jansson.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* AccessLocation is the server's statement; the others are hints. */
#define WEIGHT_ACCESS_LOCATION 2
#define WEIGHT_HINT 1

static int site_of_word(const char *w, size_t n)
{
    if (n == 8 && strncasecmp(w, "Internal", 8) == 0)
        return TARGET_WEB_INTERNAL;
    if (n == 8 && strncasecmp(w, "External", 8) == 0)
        return TARGET_WEB_EXTERNAL;
    return WEB_SITE_UNKNOWN;
}

static void set_access_location(struct web_identity *id, const char *w, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof(id->access_location_text); i++)
        id->access_location_text[k++] = isprint((unsigned char)w[i]) ? w[i] : '?';
    id->access_location_text[k] = '\0';
    if (k == 0)
        snprintf(id->access_location_text, sizeof(id->access_location_text), "(empty)");
    id->access_location = site_of_word(w, n);
}

/* The host of an absolute http(s) URL, lower case, kept once. */
static void add_host(struct web_identity *id, const char *url, size_t len)
{
    size_t skip = len >= 8 && strncasecmp(url, "https://", 8) == 0  ? 8
                  : len >= 7 && strncasecmp(url, "http://", 7) == 0 ? 7
                                                                    : 0;
    if (!skip || id->host_count == WEB_IDENTITY_HOSTS_MAX)
        return;
    char host[TARGET_HOST_MAX];
    size_t k = 0;
    const char *p = url + skip, *end = url + len;
    if (p < end && *p == '[') { /* an IPv6 literal: up to ']' */
        while (p < end && *p != ']' && k + 1 < sizeof(host))
            host[k++] = *p++;
        if (p < end && k + 1 < sizeof(host))
            host[k++] = *p++;
    }
    for (; p < end && !strchr(":/?#", *p) && k + 1 < sizeof(host); p++)
        host[k++] = (char)tolower((unsigned char)*p);
    host[k] = '\0';
    if (k == 0)
        return;
    for (size_t i = 0; i < id->host_count; i++)
        if (strcmp(id->hosts[i], host) == 0)
            return;
    snprintf(id->hosts[id->host_count++], sizeof(id->hosts[0]), "%s", host);
}

static void add_href(struct web_identity *id, json_t *link)
{
    json_t *h = json_is_object(link) ? json_object_get(link, "href") : NULL;
    if (json_is_string(h))
        add_host(id, json_string_value(h), json_string_length(h));
}

/* {"AccessLocation": "External", "Root": {"Links": [{"token", "href"}]}}
 * (the Autodiscover JSON form) or UCWA's {"_links": {"user": {"href"}}}. */
static int parse_json(const char *body, size_t len, struct web_identity *id)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(root)) {
        json_decref(root);
        return SYNTH_EPARSE;
    }
    id->format = "json";
    json_t *al = json_object_get(root, "AccessLocation");
    if (json_is_string(al))
        set_access_location(id, json_string_value(al), json_string_length(al));
    json_t *links = json_object_get(json_object_get(root, "Root"), "Links");
    size_t i;
    json_t *v;
    if (json_is_array(links))
        json_array_foreach(links, i, v) add_href(id, v);
    json_t *ulinks = json_object_get(root, "_links");
    const char *k;
    if (json_is_object(ulinks))
        json_object_foreach(ulinks, k, v) add_href(id, v);
    json_decref(root);
    return 0;
}

/* <AutodiscoverResponse AccessLocation="External"><User><Link token href/>... */
static int parse_xml(const char *body, size_t len, struct web_identity *id)
{
    struct xml_elem el;
    struct strv in = strv_make(body, len), v;
    if (!xml_scan_find(in, "AutodiscoverResponse", &el))
        return SYNTH_EPARSE;
    id->format = "xml";
    if (xml_scan_attr(el.attrs, "AccessLocation", &v))
        set_access_location(id, v.p, v.l);
    /* Every <Link .../> within: scanned by hand (xml_scan finds the first). */
    const char *p = el.content.p, *end = el.content.p + el.content.l;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || end - lt < 6)
            break;
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt)
            break;
        if (strncmp(lt, "<Link", 5) == 0 && (lt[5] == ' ' || lt[5] == '\t' || lt[5] == '\n') &&
            xml_scan_attr(strv_make(lt + 5, (size_t)(gt - lt - 5)), "href", &v))
            add_host(id, v.p, v.l);
        p = gt + 1;
    }
    return 0;
}

int web_identity_parse(const char *body, size_t len, struct web_identity *out)
{
    memset(out, 0, sizeof(*out));
    out->access_location = WEB_SITE_UNKNOWN;
    out->format = "";
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && body[i] == '{')
        return parse_json(body, len, out);
    if (i < len && body[i] == '<')
        return parse_xml(body, len, out);
    return SYNTH_EPARSE;
}

bool web_name_matches(const char *cert_name, const char *host)
{
    size_t cn = strlen(cert_name), hn = strlen(host);
    if (cn && cert_name[cn - 1] == '.')
        cn--;
    if (hn && host[hn - 1] == '.')
        hn--;
    if (cn == 0 || hn == 0)
        return false;
    if (cn > 2 && cert_name[0] == '*' && cert_name[1] == '.') {
        /* "*.contoso.com" matches one label before ".contoso.com". */
        const char *dot = memchr(host, '.', hn);
        if (!dot || dot == host)
            return false;
        size_t rest = hn - (size_t)(dot - host);
        return rest == cn - 1 && strncasecmp(dot, cert_name + 1, rest) == 0;
    }
    return cn == hn && strncasecmp(cert_name, host, hn) == 0;
}

/* Whether the certificate names host (Subject CN or a DNS SAN). */
static bool cert_names(const struct cert_facts *c, const char *host)
{
    if (c->has_cn && web_name_matches(c->subject_cn, host))
        return true;
    for (size_t i = 0; i < c->san_count; i++)
        if (strncmp(c->sans[i], "DNS:", 4) == 0 && web_name_matches(c->sans[i] + 4, host))
            return true;
    return false;
}

/* The one site among those whose fqdn matches (by match(s)), or UNKNOWN
 * when none or both do; *both says which. */
static int one_site(const bool match[TARGET_WEB_SITE_COUNT], bool *both)
{
    *both = match[TARGET_WEB_INTERNAL] && match[TARGET_WEB_EXTERNAL];
    if (*both)
        return WEB_SITE_UNKNOWN;
    return match[TARGET_WEB_INTERNAL]   ? TARGET_WEB_INTERNAL
           : match[TARGET_WEB_EXTERNAL] ? TARGET_WEB_EXTERNAL
                                        : WEB_SITE_UNKNOWN;
}

static void vote(int votes[TARGET_WEB_SITE_COUNT], int site, int weight)
{
    if (site != WEB_SITE_UNKNOWN)
        votes[site] += weight;
}

void web_identify(const struct web_identity *id, const struct cert_facts *cert,
                  const char *const fqdn[TARGET_WEB_SITE_COUNT], struct web_site_call *out)
{
    int votes[TARGET_WEB_SITE_COUNT] = {0};
    struct sbuf sb;
    bool both;
    memset(out, 0, sizeof(*out));
    sbuf_init(&sb, out->by, sizeof(out->by));

    if (id && id->access_location_text[0]) {
        vote(votes, id->access_location, WEIGHT_ACCESS_LOCATION);
        sbuf_printf(&sb, "AccessLocation %s", id->access_location_text);
    } else if (id) {
        sbuf_printf(&sb, "no AccessLocation in the %s document", id->format);
    } else {
        sbuf_puts(&sb, "no autodiscover document");
    }
    if (cert) {
        bool m[TARGET_WEB_SITE_COUNT];
        for (int s = 0; s < TARGET_WEB_SITE_COUNT; s++)
            m[s] = fqdn[s] && fqdn[s][0] && cert_names(cert, fqdn[s]);
        int site = one_site(m, &both);
        vote(votes, site, WEIGHT_HINT);
        /* Short: a finding holds two of these in FINDING_TEXT_MAX. */
        if (site != WEB_SITE_UNKNOWN)
            sbuf_printf(&sb, ", certificate names %s", fqdn[site]);
        else
            sbuf_printf(&sb, ", certificate CN=%s names %s",
                        cert->has_cn ? cert->subject_cn : "(none)",
                        both ? "both sites" : "neither site's FQDN");
    }
    if (id && id->host_count) {
        bool m[TARGET_WEB_SITE_COUNT] = {false, false};
        for (size_t i = 0; i < id->host_count; i++)
            for (int s = 0; s < TARGET_WEB_SITE_COUNT; s++)
                if (fqdn[s] && fqdn[s][0] && web_name_matches(id->hosts[i], fqdn[s]))
                    m[s] = true;
        int site = one_site(m, &both);
        vote(votes, site, WEIGHT_HINT);
        if (site != WEB_SITE_UNKNOWN)
            sbuf_printf(&sb, ", links on %s", fqdn[site]);
    }
    int in = votes[TARGET_WEB_INTERNAL], ex = votes[TARGET_WEB_EXTERNAL];
    out->site = in > ex ? TARGET_WEB_INTERNAL : ex > in ? TARGET_WEB_EXTERNAL : WEB_SITE_UNKNOWN;
    out->conflict = in > 0 && in == ex;
    if (out->conflict)
        sbuf_puts(&sb, ": the identifiers disagree");
}
