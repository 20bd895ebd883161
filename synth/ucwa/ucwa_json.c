/* UCWA resources from JSON bodies (ucwa_json.h). Shapes from Microsoft's
 * UCWA 2.0 reference: "Application dashboard", "Events in UCWA", "Event
 * channel details", "Web links"; the token response is RFC 6749 5.1. */
#include "synth/ucwa/ucwa_json.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- URLs ------------------------------------------------------------------ */

static size_t scheme_len(const char *u)
{
    if (strncasecmp(u, "https://", 8) == 0)
        return 8;
    if (strncasecmp(u, "http://", 7) == 0)
        return 7;
    return 0;
}

static int put(char *out, size_t size, const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen + blen + 1 > size)
        return SYNTH_ETOOBIG;
    memmove(out, a, alen);
    memcpy(out + alen, b, blen + 1);
    return 0;
}

int ucwa_url_resolve(const char *base, const char *href, char *out, size_t size)
{
    size_t sl = scheme_len(base);
    if (!sl || !*href)
        return SYNTH_EPARSE;
    for (const unsigned char *p = (const unsigned char *)href; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return SYNTH_EPARSE; /* would break the request line */
    if (scheme_len(href))
        return put(out, size, "", 0, href);
    if (href[0] == '/' && href[1] == '/')
        return put(out, size, base, sl - 2, href);
    const char *path = base + sl + strcspn(base + sl, "/?#");
    if (href[0] == '/')
        return put(out, size, base, (size_t)(path - base), href);
    /* Relative path: base's directory, without its query. */
    const char *end = path + strcspn(path, "?#");
    const char *slash = end;
    while (slash > path && slash[-1] != '/')
        slash--;
    if (slash == path) { /* "https://host" or "https://host?x": the root */
        int rc = put(out, size, base, (size_t)(path - base), "/");
        return rc ? rc : put(out, size, out, strlen(out), href);
    }
    return put(out, size, base, (size_t)(slash - base), href);
}

/* ---- jansson helpers ---------------------------------------------------------- */

/* quiet: jansson's message quotes the text near the error, which in a
 * token response may be the token itself: left out there. */
static int load(json_t **root, const char *what, bool quiet, const char *buf, size_t len,
                struct synth_error *err)
{
    json_error_t je;
    if (len > UCWA_BODY_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: body of %zu bytes, at most %d", what,
                               len, UCWA_BODY_MAX);
    *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root)
        return synth_error_set(err, SYNTH_EPARSE, "%s: not JSON: line %d column %d%s%s", what,
                               je.line, je.column, quiet ? "" : ": ", quiet ? "" : je.text);
    if (!json_is_object(*root)) {
        json_decref(*root);
        *root = NULL;
        return synth_error_set(err, SYNTH_EPARSE, "%s: not a JSON object", what);
    }
    return 0;
}

/* The value at a dotted path of object keys ("_embedded.me._links"), or NULL. */
static json_t *at(json_t *obj, const char *path)
{
    char key[UCWA_NAME_MAX];
    while (obj && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key) || !json_is_object(obj))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        path += n + (path[n] == '.');
    }
    return obj;
}

/* The href of link `rel` under obj's _links, resolved into out. Absent is
 * not an error when optional (out becomes ""); prefix names obj in errors. */
static int link_href(json_t *obj, const char *prefix, const char *rel, const char *url,
                     bool optional, char *out, size_t size, const char *what,
                     struct synth_error *err)
{
    char path[2 * UCWA_NAME_MAX];
    snprintf(path, sizeof(path), "%s%s_links.%s.href", prefix, *prefix ? "." : "", rel);
    json_t *h = at(obj, path);
    out[0] = '\0';
    if (!h) {
        if (optional)
            return 0;
        return synth_error_set(err, SYNTH_EPARSE, "%s: %s%s_links.%s missing", what, prefix,
                               *prefix ? "." : "", rel);
    }
    if (!json_is_string(h) || json_string_length(h) == 0)
        return synth_error_set(err, SYNTH_EPARSE, "%s: %s is not a non-empty string", what, path);
    int rc = ucwa_url_resolve(url, json_string_value(h), out, size);
    if (rc == SYNTH_ETOOBIG)
        return synth_error_set(err, rc, "%s: %s longer than %zu", what, path, size - 1);
    if (rc != 0)
        return synth_error_set(err, rc, "%s: %s is not a usable URL", what, path);
    return 0;
}

static int copy_str(json_t *v, char *out, size_t size, const char *what, const char *field,
                    struct synth_error *err)
{
    if (!json_is_string(v))
        return synth_error_set(err, SYNTH_EPARSE, "%s: %s is not a string", what, field);
    if (json_string_length(v) >= size)
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: %s longer than %zu", what, field,
                               size - 1);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* ---- resources ---------------------------------------------------------------- */

int ucwa_json_root(struct ucwa_root *out, const char *url, const char *buf, size_t len,
                   struct synth_error *err)
{
    json_t *root;
    int rc = load(&root, "autodiscover", false, buf, len, err);
    if (rc != 0)
        return rc;
    rc = link_href(root, "", "user", url, false, out->user, sizeof(out->user), "autodiscover",
                   err);
    if (rc == 0)
        rc = link_href(root, "", "xframe", url, true, out->xframe, sizeof(out->xframe),
                       "autodiscover", err);
    json_decref(root);
    return rc;
}

int ucwa_json_user(struct ucwa_user *out, const char *url, const char *buf, size_t len,
                   struct synth_error *err)
{
    json_t *root;
    int rc = load(&root, "user", false, buf, len, err);
    if (rc != 0)
        return rc;
    rc = link_href(root, "", "applications", url, true, out->applications,
                   sizeof(out->applications), "user", err);
    if (rc == 0)
        rc = link_href(root, "", "redirect", url, true, out->redirect, sizeof(out->redirect),
                       "user", err);
    if (rc == 0 && !out->applications[0] && !out->redirect[0])
        rc = synth_error_set(err, SYNTH_EPARSE, "user: _links.applications missing (and no redirect)");
    if (rc == 0 && out->applications[0] && out->redirect[0])
        out->redirect[0] = '\0'; /* the applications link is the answer */
    json_decref(root);
    return rc;
}

int ucwa_json_token(struct ucwa_token *out, const char *buf, size_t len, struct synth_error *err)
{
    json_t *root;
    int rc = load(&root, "token", true, buf, len, err);
    if (rc != 0)
        return rc;
    json_t *tok = json_object_get(root, "access_token");
    json_t *type = json_object_get(root, "token_type");
    json_t *exp = json_object_get(root, "expires_in");
    if (!tok)
        rc = synth_error_set(err, SYNTH_EPARSE, "token: access_token missing");
    else if (!json_is_string(tok) || json_string_length(tok) == 0)
        rc = synth_error_set(err, SYNTH_EPARSE, "token: access_token is not a non-empty string");
    else if (json_string_length(tok) >= sizeof(out->access_token))
        rc = synth_error_set(err, SYNTH_ETOOBIG, "token: access_token of %zu bytes, at most %zu",
                             json_string_length(tok), sizeof(out->access_token) - 1);
    else if (!type || !json_is_string(type))
        rc = synth_error_set(err, SYNTH_EPARSE, "token: token_type missing");
    else if (strcasecmp(json_string_value(type), "Bearer") != 0)
        rc = synth_error_set(err, SYNTH_EPARSE, "token: token_type '%.32s', expected Bearer",
                             json_string_value(type));
    else if (!exp || !json_is_integer(exp) || json_integer_value(exp) <= 0 ||
             json_integer_value(exp) > UINT32_MAX)
        rc = synth_error_set(err, SYNTH_EPARSE, "token: expires_in is not a positive integer");
    if (rc == 0) {
        memcpy(out->access_token, json_string_value(tok), json_string_length(tok) + 1);
        out->expires_in = (uint32_t)json_integer_value(exp);
    }
    json_decref(root);
    return rc;
}

int ucwa_json_application(struct ucwa_application *out, const char *url, const char *buf,
                          size_t len, struct synth_error *err)
{
    static const char what[] = "application";
    json_t *root;
    int rc = load(&root, what, false, buf, len, err);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = link_href(root, "", "self", url, false, out->self, sizeof(out->self), what, err);
    if (rc == 0)
        rc = link_href(root, "", "events", url, false, out->events, sizeof(out->events), what,
                       err);
    if (rc == 0 && !json_is_object(at(root, "_embedded.me")))
        rc = synth_error_set(err, SYNTH_EPARSE, "application: _embedded.me missing");
    if (rc == 0)
        rc = link_href(root, "_embedded.me", "self", url, true, out->me, sizeof(out->me), what,
                       err);
    if (rc == 0)
        rc = link_href(root, "_embedded.me", "makeMeAvailable", url, true,
                       out->make_me_available, sizeof(out->make_me_available), what, err);
    if (rc == 0)
        rc = link_href(root, "_embedded.me", "reportMyActivity", url, true,
                       out->report_my_activity, sizeof(out->report_my_activity), what, err);
    if (rc == 0 && !out->report_my_activity[0])
        rc = link_href(root, "_embedded.communication", "reportMyActivity", url, true,
                       out->report_my_activity, sizeof(out->report_my_activity), what, err);
    if (rc == 0)
        rc = link_href(root, "_embedded.communication", "self", url, true, out->communication,
                       sizeof(out->communication), what, err);
    /* One of the two must be there: before makeMeAvailable its link, after
     * it the keep-alive. Neither means the server offers no presence. */
    if (rc == 0 && !out->make_me_available[0] && !out->report_my_activity[0])
        rc = synth_error_set(err, SYNTH_EPARSE,
                             "application: _embedded.me._links.makeMeAvailable missing");
    json_decref(root);
    return rc;
}

/* An event's embedded me may carry the keep-alive link (after makeMeAvailable). */
static int event_embedded(json_t *e, const char *url, struct ucwa_events *out,
                          struct synth_error *err)
{
    if (out->report_my_activity[0] || !json_is_object(at(e, "_embedded.me")))
        return 0;
    return link_href(e, "_embedded.me", "reportMyActivity", url, true, out->report_my_activity,
                     sizeof(out->report_my_activity), "events", err);
}

static int sender_events(json_t *s, size_t si, const char *url, struct ucwa_events *out,
                         struct synth_error *err)
{
    char field[64];
    json_t *rel = json_object_get(s, "rel");
    json_t *events = json_object_get(s, "events");
    if (!json_is_string(rel))
        return synth_error_set(err, SYNTH_EPARSE, "events: sender[%zu].rel missing", si);
    if (!json_is_array(events))
        return synth_error_set(err, SYNTH_EPARSE, "events: sender[%zu].events is not a list", si);
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        json_t *link_rel = at(e, "link.rel");
        json_t *type = json_object_get(e, "type");
        if (!json_is_object(e) || !json_is_string(link_rel) || !json_is_string(type))
            return synth_error_set(err, SYNTH_EPARSE,
                                   "events: sender[%zu].events[%zu] needs link.rel and type", si,
                                   i);
        int rc = event_embedded(e, url, out, err);
        if (rc != 0)
            return rc;
        out->count++;
        if (out->kept == UCWA_EVENTS_MAX)
            continue;
        struct ucwa_event *ev = &out->ev[out->kept];
        snprintf(field, sizeof(field), "sender[%zu].events[%zu]", si, i);
        rc = copy_str(rel, ev->sender, sizeof(ev->sender), "events", field, err);
        if (rc == 0)
            rc = copy_str(link_rel, ev->rel, sizeof(ev->rel), "events", field, err);
        if (rc == 0)
            rc = copy_str(type, ev->type, sizeof(ev->type), "events", field, err);
        if (rc != 0)
            return rc;
        out->kept++;
    }
    return 0;
}

int ucwa_json_events(struct ucwa_events *out, const char *url, const char *buf, size_t len,
                     struct synth_error *err)
{
    json_t *root;
    int rc = load(&root, "events", false, buf, len, err);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = link_href(root, "", "resync", url, true, out->resync, sizeof(out->resync), "events",
                   err);
    if (rc == 0)
        rc = link_href(root, "", "next", url, out->resync[0] != '\0', out->next,
                       sizeof(out->next), "events", err);
    json_t *senders = json_object_get(root, "sender");
    if (rc == 0 && senders && !json_is_array(senders))
        rc = synth_error_set(err, SYNTH_EPARSE, "events: sender is not a list");
    for (size_t i = 0; rc == 0 && senders && i < json_array_size(senders); i++) {
        json_t *s = json_array_get(senders, i);
        if (!json_is_object(s))
            rc = synth_error_set(err, SYNTH_EPARSE, "events: sender[%zu] is not an object", i);
        else
            rc = sender_events(s, i, url, out, err);
    }
    json_decref(root);
    return rc;
}
