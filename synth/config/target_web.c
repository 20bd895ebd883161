/* The `web:` section of a target (target_web.h): per site (internal,
 * external) its FQDN, its URLs, TLS trust; one probe deadline. */
#include "synth/config/target_web.h"

#include <stdio.h>
#include <string.h>

static const char *const site_names[TARGET_WEB_SITE_COUNT] = {
    [TARGET_WEB_INTERNAL] = "internal",
    [TARGET_WEB_EXTERNAL] = "external",
};

const char *target_web_site_name(enum target_web_site s)
{
    return (unsigned)s < TARGET_WEB_SITE_COUNT ? site_names[s] : "?";
}

/* http:// or https://, then a host: what curl will be given. */
static bool url_ok(const char *u)
{
    const char *rest = strncmp(u, "https://", 8) == 0  ? u + 8
                       : strncmp(u, "http://", 7) == 0 ? u + 7
                                                       : NULL;
    return rest && *rest && *rest != '/' && *rest != ':' && !strpbrk(u, " \t\"<>\\");
}

static int load_urls(const struct ynode *site, struct target_web_site_cfg *c,
                     struct synth_error *err)
{
    struct ynode v, item;
    int rc = ydoc_require(site, "urls", &v, err);
    if (rc != 0)
        return rc;
    if (!ydoc_is_seq(&v) || ydoc_len(&v) == 0)
        return ydoc_error(&v, err, "expected a list of URLs (https://host:443/, http://host:80/)");
    if (ydoc_len(&v) > TARGET_WEB_URLS_MAX)
        return ydoc_error(&v, err, "at most %d URLs", TARGET_WEB_URLS_MAX);
    for (size_t i = 0; i < ydoc_len(&v); i++) {
        ydoc_seq_at(&v, i, &item);
        rc = ydoc_str(&item, c->urls[i], sizeof(c->urls[i]), err);
        if (rc != 0)
            return rc;
        if (!url_ok(c->urls[i]))
            return ydoc_error(&item, err, "expected an https:// or http:// URL with a host");
        c->url_count = i + 1;
    }
    return 0;
}

/* internal: / external: {fqdn?, urls, tls?} */
static int load_site(const struct ynode *web, enum target_web_site s, const char *base_dir,
                     struct target_web_site_cfg *c, struct synth_error *err)
{
    static const char *const keys[] = {"fqdn", "urls", "tls", NULL};
    struct ynode n, v, t;
    c->tls.verify = true;
    if (!ydoc_get(web, site_names[s], &n))
        return 0;
    c->listed = true;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "fqdn", &v))
        rc = ydoc_str(&v, c->fqdn, sizeof(c->fqdn), err);
    if (rc == 0)
        rc = load_urls(&n, c, err);
    if (rc == 0)
        rc = target_tls_load(&n, base_dir, &c->tls, err);
    /* The probe sends the URL's host as SNI and judges the certificate's
     * names itself (fqdn:); a web site asks for no client certificate. */
    if (rc == 0 && (c->tls.server_name[0] || c->tls.client_cert[0])) {
        ydoc_get(&n, "tls", &t);
        rc = ydoc_error(&t, err, "only ca_file and verify here (the site's name is fqdn:)");
    }
    return rc;
}

/* web: {timeout?, internal?, external?} with at least one site. */
int target_web_load(struct target_web *w, const struct ynode *root, const char *base_dir,
                    struct synth_error *err)
{
    static const char *const keys[] = {"timeout", "internal", "external", NULL};
    struct ynode n, v;
    memset(w, 0, sizeof(*w));
    w->timeout_ms = TARGET_WEB_TIMEOUT_MS;
    if (!ydoc_get(root, "web", &n))
        return 0;
    w->enabled = true;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "timeout", &v)) {
        rc = ydoc_duration(&v, YDOC_UNIT_MS, &w->timeout_ms, err);
        if (rc == 0 && (w->timeout_ms == 0 || w->timeout_ms > TARGET_WEB_TIMEOUT_MAX_MS))
            rc = ydoc_error(&v, err, "expected more than 0 and at most 60s");
    }
    for (int s = 0; rc == 0 && s < TARGET_WEB_SITE_COUNT; s++)
        rc = load_site(&n, (enum target_web_site)s, base_dir, &w->sites[s], err);
    if (rc == 0 && !w->sites[TARGET_WEB_INTERNAL].listed && !w->sites[TARGET_WEB_EXTERNAL].listed)
        rc = ydoc_error(&n, err, "name the internal: and/or external: site");
    return rc;
}
