/* Tokenizer of SIP authentication header values (RFC 3261 25.1, RFC 7230 7
 * for empty list elements), shared by Digest and [MS-SIPAE]. Moved here
 * from digest.c unchanged in behaviour. */
#include "auth_params.h"

#include "synth/base/err.h"

#include <string.h>

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool auth_is_ctl(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 0x20 || u == 0x7f;
}

bool auth_is_token_char(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

/* Unquoted values are taken more loosely than token: servers send base64
 * nonces unquoted ('/', '=', '+'). What would change meaning once echoed back
 * between quotes (a quote, a backslash) or end the element is refused. */
static bool is_bare_value_char(char c)
{
    return !auth_is_ctl(c) && !is_lws(c) && c != ',' && c != '"' && c != '\\';
}

static void skip_lws(struct auth_cursor *c)
{
    while (c->p < c->end && is_lws(*c->p))
        c->p++;
}

/* quoted-string (RFC 3261 25.1); c->p is on the opening quote. CR and LF are
 * refused inside: folding never occurs there in practice, and a bare line
 * break echoed back into our Authorization would inject a header. */
static int scan_quoted(struct auth_cursor *c, struct strv *value)
{
    const char *start = ++c->p;
    while (c->p < c->end) {
        char ch = *c->p;
        if (ch == '"') {
            *value = strv_make(start, (size_t)(c->p - start));
            c->p++;
            return 0;
        }
        if (ch == '\\') {
            c->p++;
            if (c->p == c->end || *c->p == '\r' || *c->p == '\n')
                return SYNTH_EPARSE;
        } else if (auth_is_ctl(ch) && ch != '\t') {
            return SYNTH_EPARSE;
        }
        c->p++;
    }
    return SYNTH_EPARSE; /* unterminated */
}

static int scan_bare(struct auth_cursor *c, struct strv *value)
{
    const char *start = c->p;
    while (c->p < c->end && is_bare_value_char(*c->p))
        c->p++;
    if (c->p == start)
        return SYNTH_EPARSE;
    *value = strv_make(start, (size_t)(c->p - start));
    return 0;
}

/* Next auth-param of the comma list; empty elements are skipped (RFC 7230 7).
 * Returns 1 with *ap set, 0 at the end of the list, or a negative code. */
static int param_next(struct auth_cursor *c, struct auth_param *ap, size_t value_max)
{
    for (;;) {
        skip_lws(c);
        if (c->p == c->end || *c->p != ',')
            break;
        c->p++;
    }
    if (c->p == c->end)
        return 0;

    const char *name = c->p;
    while (c->p < c->end && auth_is_token_char(*c->p))
        c->p++;
    if (c->p == name)
        return SYNTH_EPARSE;
    ap->name = strv_make(name, (size_t)(c->p - name));

    skip_lws(c);
    if (c->p == c->end || *c->p != '=')
        return SYNTH_EPARSE;
    c->p++;
    skip_lws(c);
    int err = (c->p < c->end && *c->p == '"') ? scan_quoted(c, &ap->value)
                                               : scan_bare(c, &ap->value);
    if (err)
        return err;
    if (ap->value.l > value_max)
        return SYNTH_ETOOBIG;

    skip_lws(c);
    if (c->p < c->end) {
        if (*c->p != ',')
            return SYNTH_EPARSE;
        c->p++;
    }
    return 1;
}

int auth_params_collect(struct auth_cursor *c, const struct auth_param_slot *slots, size_t n,
                        size_t params_max, size_t value_max)
{
    struct auth_param ap;
    size_t count = 0;
    int rc;

    for (size_t i = 0; i < n; i++)
        *slots[i].value = STRV_NULL;
    while ((rc = param_next(c, &ap, value_max)) > 0) {
        if (++count > params_max)
            return SYNTH_ETOOBIG;
        for (size_t i = 0; i < n; i++) {
            if (!strv_caseeq(ap.name, slots[i].name))
                continue;
            if (strv_isset(*slots[i].value))
                return SYNTH_EPARSE;
            *slots[i].value = ap.value;
            break;
        }
    }
    return rc;
}

int auth_scheme_parse(struct strv value, struct strv *scheme, struct auth_cursor *c)
{
    if (!value.p)
        return SYNTH_EPARSE;
    c->p = value.p;
    c->end = value.p + value.l;
    skip_lws(c);
    const char *start = c->p;
    while (c->p < c->end && auth_is_token_char(*c->p))
        c->p++;
    *scheme = strv_make(start, (size_t)(c->p - start));
    if (scheme->l == 0 || (c->p < c->end && !is_lws(*c->p)))
        return SYNTH_EPARSE;
    return 0;
}
