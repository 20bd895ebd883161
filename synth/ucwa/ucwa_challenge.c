/* MsRtcOAuth challenges (ucwa_challenge.h): RFC 7235 2.1 / 4.1 syntax, a
 * list of challenges each a scheme and its auth-params, read loosely where
 * real UCWA servers are loose (an unquoted href). */
#include "synth/ucwa/ucwa_challenge.h"

#include "synth/base/err.h"

#include <string.h>

enum scheme { SCHEME_NONE, SCHEME_BEARER, SCHEME_MSRTC, SCHEME_OTHER };

struct cursor {
    const char *p, *end;
};

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 7230 3.2.6 tchar. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ctl(char c)
{
    return (unsigned char)c < 0x20 || c == 0x7f;
}

static void skip(struct cursor *c, bool commas)
{
    while (c->p < c->end && (is_lws(*c->p) || (commas && *c->p == ',')))
        c->p++;
}

/* A quoted-string without quoted-pairs, or a bare value up to a comma or
 * white space (an unquoted URL holds neither). */
static int value_scan(struct cursor *c, struct strv *v)
{
    if (c->p < c->end && *c->p == '"') {
        const char *start = ++c->p;
        while (c->p < c->end && *c->p != '"') {
            if (*c->p == '\\' || (is_ctl(*c->p) && *c->p != '\t'))
                return SYNTH_EPARSE;
            c->p++;
        }
        if (c->p == c->end)
            return SYNTH_EPARSE; /* unterminated */
        *v = strv_make(start, (size_t)(c->p - start));
        c->p++;
        return 0;
    }
    const char *start = c->p;
    while (c->p < c->end && *c->p != ',' && !is_lws(*c->p)) {
        if (is_ctl(*c->p) || *c->p == '"' || *c->p == '\\')
            return SYNTH_EPARSE;
        c->p++;
    }
    *v = strv_make(start, (size_t)(c->p - start));
    return 0;
}

static int assign(struct strv *slot, struct strv v)
{
    if (strv_isset(*slot))
        return SYNTH_EPARSE; /* the same parameter twice */
    *slot = v;
    return 0;
}

static int param_set(struct ucwa_challenge *ch, enum scheme s, struct strv name, struct strv v)
{
    if (s == SCHEME_MSRTC && strv_caseeq(name, "href"))
        return assign(&ch->href, v);
    if (s == SCHEME_MSRTC && strv_caseeq(name, "grant_type"))
        return assign(&ch->grant_type, v);
    if (s == SCHEME_BEARER && strv_caseeq(name, "trusted_issuers"))
        return assign(&ch->trusted_issuers, v);
    if (s == SCHEME_BEARER && strv_caseeq(name, "client_id"))
        return assign(&ch->client_id, v);
    return 0; /* realm, scope and extensions are not ours */
}

static bool list_has(struct strv list, const char *item)
{
    const char *p = list.p, *end = list.p + list.l;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (strv_caseeq(strv_trim(strv_make(p, (size_t)(stop - p))), item))
            return true;
        p = stop + (comma != NULL);
    }
    return false;
}

int ucwa_challenge_parse(struct ucwa_challenge *ch, const char *value, size_t len)
{
    enum scheme s = SCHEME_NONE;
    bool found = false;
    size_t params = 0;
    memset(ch, 0, sizeof(*ch));
    if (!value)
        return SYNTH_EPARSE;
    struct cursor c = {value, value + len};
    for (;;) {
        skip(&c, true);
        if (c.p == c.end)
            break;
        const char *start = c.p;
        while (c.p < c.end && is_tchar(*c.p))
            c.p++;
        struct strv name = strv_make(start, (size_t)(c.p - start));
        if (name.l == 0)
            return SYNTH_EPARSE;
        skip(&c, false);
        if (c.p < c.end && *c.p == '=') {
            struct strv v;
            if (s == SCHEME_NONE || ++params > UCWA_CHALLENGE_PARAMS_MAX)
                return s == SCHEME_NONE ? SYNTH_EPARSE : SYNTH_ETOOBIG;
            c.p++;
            skip(&c, false);
            int rc = value_scan(&c, &v);
            if (rc == 0)
                rc = param_set(ch, s, name, v);
            if (rc != 0)
                return rc;
            skip(&c, false);
            if (c.p < c.end && *c.p != ',')
                return SYNTH_EPARSE;
            continue;
        }
        /* A token not followed by '=' starts the next challenge. */
        if (strv_caseeq(name, "MsRtcOAuth")) {
            if (found)
                return SYNTH_EPARSE;
            found = true;
            s = SCHEME_MSRTC;
        } else {
            s = strv_caseeq(name, "Bearer") ? SCHEME_BEARER : SCHEME_OTHER;
        }
    }
    if (!found)
        return SYNTH_ENOTFOUND;
    if (!strv_isset(ch->href) || ch->href.l == 0)
        return SYNTH_EPARSE;
    ch->password_grant = strv_isset(ch->grant_type) && list_has(ch->grant_type, "password");
    return 0;
}
