/* String views. */
#include "strv.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct strv strv_from_cstr(const char *s)
{
    return s ? strv_make(s, strlen(s)) : STRV_NULL;
}

bool strv_isset(struct strv v)
{
    return v.p != NULL;
}

bool strv_eq(struct strv v, const char *s)
{
    size_t n = strlen(s);
    return v.p && v.l == n && memcmp(v.p, s, n) == 0;
}

bool strv_caseeq(struct strv v, const char *s)
{
    size_t n = strlen(s);
    return v.p && v.l == n && strncasecmp(v.p, s, n) == 0;
}

bool strv_caseeq_strv(struct strv a, struct strv b)
{
    return a.l == b.l && (a.l == 0 || strncasecmp(a.p, b.p, a.l) == 0);
}

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct strv strv_trim(struct strv v)
{
    while (v.l && is_lws(v.p[0])) {
        v.p++;
        v.l--;
    }
    while (v.l && is_lws(v.p[v.l - 1]))
        v.l--;
    return v;
}

int strv_to_u32(struct strv v, uint32_t *out)
{
    uint64_t n = 0;
    if (!v.p || v.l == 0 || v.l > 10)
        return SYNTH_EPARSE;
    for (size_t i = 0; i < v.l; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return SYNTH_EPARSE;
        n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    if (n > UINT32_MAX)
        return SYNTH_EPARSE;
    *out = (uint32_t)n;
    return 0;
}

int strv_copy(struct strv v, char *dst, size_t size)
{
    if (size == 0)
        return SYNTH_ETOOBIG;
    size_t n = v.l < size - 1 ? v.l : size - 1;
    if (n)
        memcpy(dst, v.p, n);
    dst[n] = '\0';
    return n == v.l ? 0 : SYNTH_ETOOBIG;
}

char *strv_dup(struct strv v)
{
    char *s = malloc(v.l + 1);
    if (!s)
        return NULL;
    if (v.l)
        memcpy(s, v.p, v.l);
    s[v.l] = '\0';
    return s;
}
