/* Internal to synth/sdp: the cursor and character classes the SDP line and
 * attribute parsers share (RFC 8866 9 grammar). Not part of the API. */
#ifndef SYNTH_SDP_SCAN_H
#define SYNTH_SDP_SCAN_H

#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest address we check with inet_pton: an IPv6 literal with an embedded
 * IPv4 part is 45 characters; a FQDN may be 253. */
#define SDP_ADDR_MAX 253

/* A cursor over [s, e): every read is bounded by e. */
struct sdp_scan {
    const char *s;
    const char *e;
};

/* A NULL view gives an empty cursor (NULL + 0 is undefined in C). */
static inline struct sdp_scan sdp_scan_of(struct strv v)
{
    if (!v.p)
        return (struct sdp_scan){NULL, NULL};
    return (struct sdp_scan){v.p, v.p + v.l};
}

static inline bool sdp_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool sdp_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool sdp_is_alnum(char c)
{
    return sdp_is_alpha(c) || sdp_is_digit(c);
}

/* token-char (RFC 8866 9): visible ASCII but " ( ) , / : ; < = > ? @ [ \ ] */
static inline bool sdp_is_token_char(char c)
{
    unsigned char u = (unsigned char)c;
    if (u < 0x21 || u > 0x7e)
        return false;
    switch (c) {
    case '"': case '(': case ')': case ',': case '/': case ':': case ';':
    case '<': case '=': case '>': case '?': case '@': case '[': case '\\': case ']':
        return false;
    default:
        return true;
    }
}

/* Fields are separated by one SP in the grammar; runs of SP or HTAB and
 * trailing blanks are accepted (Lync ends candidate lines with a space). */
static inline bool sdp_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool sdp_scan_done(const struct sdp_scan *sc)
{
    const char *s = sc->s;
    while (s < sc->e && sdp_is_blank(*s))
        s++;
    return s == sc->e;
}

/* The next blank-separated word; false at the end. */
static inline bool sdp_scan_word(struct sdp_scan *sc, struct strv *w)
{
    const char *s = sc->s, *q;
    while (s < sc->e && sdp_is_blank(*s))
        s++;
    for (q = s; q < sc->e && !sdp_is_blank(*q); q++)
        ;
    sc->s = q;
    if (q == s)
        return false;
    *w = strv_make(s, (size_t)(q - s));
    return true;
}

/* The rest after the blanks, NULL view if nothing is left. */
static inline struct strv sdp_scan_rest(struct sdp_scan *sc)
{
    const char *s = sc->s, *e = sc->e;
    while (s < e && sdp_is_blank(*s))
        s++;
    while (e > s && sdp_is_blank(e[-1]))
        e--;
    sc->s = sc->e;
    return s == e ? STRV_NULL : strv_make(s, (size_t)(e - s));
}

static inline bool sdp_all(struct strv v, bool (*ok)(char))
{
    if (!v.l)
        return false;
    for (size_t i = 0; i < v.l; i++)
        if (!ok(v.p[i]))
            return false;
    return true;
}

static inline bool sdp_is_token(struct strv v)
{
    return sdp_all(v, sdp_is_token_char);
}

/* Up to max_digits decimal digits filling v, at most max. */
static inline bool sdp_u64(struct strv v, size_t max_digits, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;
    if (!v.l || v.l > max_digits)
        return false;
    for (size_t i = 0; i < v.l; i++) {
        if (!sdp_is_digit(v.p[i]))
            return false;
        uint64_t d = (uint64_t)(v.p[i] - '0');
        if (n > (max - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

static inline bool sdp_u32(struct strv v, uint32_t *out)
{
    uint64_t n;
    if (!sdp_u64(v, 10, UINT32_MAX, &n))
        return false;
    *out = (uint32_t)n;
    return true;
}

/* port = 1*DIGIT, 0-65535 (0 is meaningful in SDP: a rejected stream). */
static inline bool sdp_port(struct strv v, uint16_t *out)
{
    uint64_t n;
    if (!sdp_u64(v, 5, 65535, &n))
        return false;
    *out = (uint16_t)n;
    return true;
}

/* Checks an address of addrtype IP4 / IP6 (or a FQDN, which the grammar
 * allows for both). Defined in sdp.c. */
bool sdp_addr_ok(struct strv addr, bool ip6);

#endif
