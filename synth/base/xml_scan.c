/* Bounded XML scanning (xml_scan.h). */
#include "synth/base/xml_scan.h"

#include "synth/base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *find_char(const char *p, const char *end, char c)
{
    const void *q = memchr(p, c, (size_t)(end - p));
    return q ? q : NULL;
}

static bool is_name_end(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/';
}

/* Whether the tag name at p (up to end) has local name `name`. */
static bool local_name_is(const char *p, const char *end, const char *name, const char **after)
{
    const char *q = p;
    while (q < end && !is_name_end(*q))
        q++;
    const char *colon = p;
    for (const char *r = p; r < q; r++)
        if (*r == ':')
            colon = r + 1;
    size_t n = strlen(name);
    *after = q;
    return (size_t)(q - colon) == n && memcmp(colon, name, n) == 0;
}

/* The closing tag </[prefix:]name> from p on; NULL if none within end. */
static const char *find_close(const char *p, const char *end, const char *name,
                              const char **close_end)
{
    while (p < end) {
        const char *lt = find_char(p, end, '<');
        if (!lt || lt + 1 >= end)
            return NULL;
        const char *after;
        if (lt[1] == '/' && local_name_is(lt + 2, end, name, &after)) {
            const char *gt = find_char(after, end, '>');
            if (!gt)
                return NULL;
            *close_end = gt + 1;
            return lt;
        }
        p = lt + 1;
    }
    return NULL;
}

bool xml_scan_find(struct strv in, const char *name, struct xml_elem *out)
{
    const char *p = in.p, *end = in.p + in.l;
    while (p && p < end) {
        const char *lt = find_char(p, end, '<');
        if (!lt || lt + 1 >= end)
            return false;
        const char *after;
        if (lt[1] == '/' || lt[1] == '?' || lt[1] == '!' ||
            !local_name_is(lt + 1, end, name, &after)) {
            p = lt + 1;
            continue;
        }
        const char *gt = find_char(after, end, '>');
        if (!gt)
            return false;
        bool empty = gt > after && gt[-1] == '/';
        out->attrs = strv_make(after, (size_t)((empty ? gt - 1 : gt) - after));
        if (empty) {
            out->content = strv_make(gt + 1, 0);
            return true;
        }
        const char *close_end;
        const char *close = find_close(gt + 1, end, name, &close_end);
        if (!close)
            return false;
        out->content = strv_make(gt + 1, (size_t)(close - (gt + 1)));
        return true;
    }
    return false;
}

bool xml_scan_attr(struct strv attrs, const char *name, struct strv *value)
{
    const char *p = attrs.p, *end = attrs.p + attrs.l;
    size_t n = strlen(name);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        const char *key = p;
        while (p < end && *p != '=' && *p != ' ' && *p != '\t')
            p++;
        size_t klen = (size_t)(p - key);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p != '=')
            return false;
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return false;
        char q = *p++;
        const char *vend = find_char(p, end, q);
        if (!vend)
            return false;
        if (klen == n && memcmp(key, name, n) == 0) {
            *value = strv_make(p, (size_t)(vend - p));
            return true;
        }
        p = vend + 1;
    }
    return false;
}

/* One entity at p (after '&'); its character in *c and its length with ';'. */
static int entity(const char *p, const char *end, char *c, size_t *len)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t n = strlen(named[i].name);
        if ((size_t)(end - p) >= n && memcmp(p, named[i].name, n) == 0) {
            *c = named[i].c;
            *len = n;
            return 0;
        }
    }
    if (end - p < 3 || p[0] != '#')
        return SYNTH_EPARSE;
    bool hex = p[1] == 'x';
    uint32_t v = 0;
    const char *q = p + (hex ? 2 : 1);
    for (; q < end && *q != ';'; q++) {
        int d = *q >= '0' && *q <= '9' ? *q - '0'
                : hex && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
                : hex && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
                                                : -1;
        if (d < 0 || v > 0x7f)
            return SYNTH_EPARSE;
        v = v * (hex ? 16u : 10u) + (uint32_t)d;
    }
    /* ASCII only: what these bodies hold (names, tokens, numbers). */
    if (q >= end || q == p + (hex ? 2 : 1) || v == 0 || v > 0x7f)
        return SYNTH_EPARSE;
    *c = (char)v;
    *len = (size_t)(q + 1 - p);
    return 0;
}

int xml_scan_text(struct strv v, char *out, size_t size)
{
    struct strv t = strv_trim(v);
    const char *p = t.p, *end = t.p + t.l;
    size_t n = 0;
    if (size == 0)
        return SYNTH_ETOOBIG;
    while (p < end) {
        char c = *p;
        size_t used = 1;
        /* XML 1.0 2.2: no control characters but tab, CR and LF; a NUL
         * would also cut the C string short. */
        if (c == '<' || ((unsigned char)c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
            return SYNTH_EPARSE;
        if (c == '&') {
            if (entity(p + 1, end, &c, &used) != 0 ||
                ((unsigned char)c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
                return SYNTH_EPARSE;
            used++; /* the '&' itself */
        }
        if (n + 1 >= size) {
            out[0] = '\0';
            return SYNTH_ETOOBIG;
        }
        out[n++] = c;
        p += used;
    }
    out[n] = '\0';
    return 0;
}

int xml_scan_child_text(struct strv in, const char *name, char *out, size_t size)
{
    struct xml_elem e;
    if (!xml_scan_find(in, name, &e))
        return SYNTH_ENOTFOUND;
    return xml_scan_text(e.content, out, size);
}

int xml_scan_attr_text(struct strv attrs, const char *name, char *out, size_t size)
{
    struct strv v;
    if (!xml_scan_attr(attrs, name, &v))
        return SYNTH_ENOTFOUND;
    return xml_scan_text(v, out, size);
}

size_t xml_scan_escape(const char *s, char *out, size_t size)
{
    size_t n = 0;
    const char *first = s, *last = s + strlen(s) - (*s ? 1 : 0);
    for (; *s; s++) {
        const char *rep = NULL;
        char num[8];
        /* Whitespace at either end as a character reference: xml_scan_text
         * trims the literal kind, so the text reads back the same. */
        if ((s == first || s == last) && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
            snprintf(num, sizeof(num), "&#%d;", *s);
            rep = num;
        }
        switch (rep ? 0 : *s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: break;
        }
        size_t len = rep ? strlen(rep) : 1;
        if (n + len + 1 > size)
            return SIZE_MAX;
        memcpy(out + n, rep ? rep : s, len);
        n += len;
    }
    if (n + 1 > size)
        return SIZE_MAX;
    out[n] = '\0';
    return n;
}
