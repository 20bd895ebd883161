/* SIP message parser: start line, header fields (compact forms, folding,
 * comma-separated lists), the essential headers and the body, as views into
 * the caller's buffer (RFC 3261 sections 7, 18.3, 20, 25; RFC 4475 torture
 * cases). One pass over the header section, no allocation, no writes. */
#include "synth/sip/msg.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* RFC 3261 8.1.1.5: the CSeq sequence number MUST be less than 2**31. */
#define SIP_CSEQ_MAX 2147483647u
#define SIP_PORT_MAX 65535u
/* Longest header name echoed into an error message; names are tokens from
 * the peer, so bound what lands in a log line. */
#define SIP_ERR_NAME_MAX 64

/* ---- characters (RFC 3261 25.1) ---------------------------------------- */

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Folded values keep their CRLF (views cannot remove it), so everything
 * after the header split treats CR and LF as whitespace. */
static inline bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static inline bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* Control characters other than HTAB, which no start line or display name
 * may carry (CR and LF are handled where lines are split). */
static inline bool is_ctl(char c)
{
    unsigned char u = (unsigned char)c;
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
 * A table: every header name goes through it byte by byte. */
static const unsigned char token_tab[256] = {
    ['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1,
    ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1, ['`'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['~'] = 1,
};

static inline bool is_token(char c)
{
    return token_tab[(unsigned char)c] != 0;
}

/* unreserved, user-unreserved and the password extras: what a userinfo may
 * hold besides escapes. */
static bool is_user_char(char c)
{
    if (is_alnum(c))
        return true;
    switch (c) {
    case '-': case '_': case '.': case '!': case '~': case '*': case '\'':
    case '(': case ')': case '&': case '=': case '+': case '$': case ',':
    case ';': case '?': case '/':
        return true;
    default:
        return false;
    }
}

/* hostname / IPv4address; '_' is not in the grammar but appears in real
 * DNS names (SRV-style labels), and rejecting it buys nothing. */
static inline bool is_host_char(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_';
}

/* Case-insensitive compare of n bytes against a lower-case literal. */
static bool name_is(const char *p, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lit[i])
            return false;
    return true;
}

/* strv_trim, inlined: it runs for every header value. */
static inline struct strv trim(const char *s, const char *e)
{
    while (s < e && is_lws(*s))
        s++;
    while (e > s && is_lws(e[-1]))
        e--;
    return strv_make(s, (size_t)(e - s));
}

/* Case-insensitive equality of two views, without a libc call. */
static bool caseeq(struct strv a, const char *b, size_t bl)
{
    if (a.l != bl)
        return false;
    for (size_t i = 0; i < bl; i++)
        if (lower(a.p[i]) != lower(b[i]))
            return false;
    return true;
}

static const char *skip_lws(const char *s, const char *e)
{
    while (s < e && is_lws(*s))
        s++;
    return s;
}

/* Digits in [s, e) (at least one, nothing else); the value saturates at
 * cap so any run of digits is safe and "too large" is value >= cap. */
static bool digits_value(const char *s, const char *e, uint64_t cap, uint64_t *out)
{
    uint64_t n = 0;
    if (s == e)
        return false;
    for (; s < e; s++) {
        if (!is_digit(*s))
            return false;
        n = n * 10 + (uint64_t)(*s - '0');
        if (n > cap)
            n = cap;
    }
    *out = n;
    return true;
}

/* port = 1*DIGIT; 0 is not a port we can send to. Advances *sp. */
static bool parse_port(const char **sp, const char *e, uint16_t *port)
{
    const char *s = *sp, *d = s;
    uint64_t v;
    while (d < e && is_digit(*d))
        d++;
    if (!digits_value(s, d, SIP_PORT_MAX + 1, &v) || v == 0 || v > SIP_PORT_MAX)
        return false;
    *port = (uint16_t)v;
    *sp = d;
    return true;
}

/* host = hostname / IPv4address / IPv6reference; the view of an IPv6
 * reference leaves out the brackets so it can go to inet_pton as is. */
static bool parse_host(const char **sp, const char *e, struct strv *host)
{
    const char *s = *sp, *q;
    if (s < e && *s == '[') {
        bool colon = false;
        for (q = s + 1; q < e && (is_hex(*q) || *q == ':' || *q == '.'); q++)
            colon |= *q == ':';
        if (!colon || q == e || *q != ']')
            return false;
        *host = strv_make(s + 1, (size_t)(q - s - 1));
        *sp = q + 1;
        return true;
    }
    for (q = s; q < e && is_host_char(*q); q++)
        ;
    if (q == s)
        return false;
    *host = strv_make(s, (size_t)(q - s));
    *sp = q;
    return true;
}

/* absoluteURI starts with scheme ":" (RFC 3261 25.1, RFC 3986 3.1). */
static const char *scheme_end(const char *s, const char *e)
{
    const char *q = s;
    if (q == e || !is_alpha(*q))
        return NULL;
    while (q < e && (is_alnum(*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    return (q < e && *q == ':') ? q : NULL;
}

/* ---- header names ------------------------------------------------------ */

/* RFC 3261 7.3.3 compact forms and the later ones in the IANA SIP header
 * registry; `full` lets sip_msg_hdr_by_name match the ones we do not
 * classify (e.g. "s" for Subject). */
static enum sip_hdr_id compact_form(char c, const char **full)
{
    enum sip_hdr_id id = SIP_HDR_OTHER;
    const char *f = NULL;
    switch (lower(c)) {
    case 'a': f = "Accept-Contact"; break;
    case 'b': f = "Referred-By"; break;
    case 'c': f = "Content-Type"; id = SIP_HDR_CONTENT_TYPE; break;
    case 'd': f = "Request-Disposition"; break;
    case 'e': f = "Content-Encoding"; break;
    case 'f': f = "From"; id = SIP_HDR_FROM; break;
    case 'i': f = "Call-ID"; id = SIP_HDR_CALL_ID; break;
    case 'j': f = "Reject-Contact"; break;
    case 'k': f = "Supported"; id = SIP_HDR_SUPPORTED; break;
    case 'l': f = "Content-Length"; id = SIP_HDR_CONTENT_LENGTH; break;
    case 'm': f = "Contact"; id = SIP_HDR_CONTACT; break;
    case 'n': f = "Identity-Info"; break;
    case 'o': f = "Event"; id = SIP_HDR_EVENT; break;
    case 'r': f = "Refer-To"; break;
    case 's': f = "Subject"; break;
    case 't': f = "To"; id = SIP_HDR_TO; break;
    case 'u': f = "Allow-Events"; break;
    case 'v': f = "Via"; id = SIP_HDR_VIA; break;
    case 'x': f = "Session-Expires"; break;
    case 'y': f = "Identity"; break;
    default: break;
    }
    if (full)
        *full = f;
    return id;
}

/* Switch on length, then on the first letter, then one compare: a message
 * has ~10-20 headers and this runs for each, so no loop over a name table. */
static enum sip_hdr_id hdr_lookup(const char *p, size_t n)
{
#define HDR(lit, id) \
    return (sizeof(lit) - 1 == n && name_is(p, lit, n)) ? (id) : SIP_HDR_OTHER
    switch (n) {
    case 1:
        return compact_form(p[0], NULL);
    case 2:
        HDR("to", SIP_HDR_TO);
    case 3:
        HDR("via", SIP_HDR_VIA);
    case 4:
        switch (lower(p[0])) {
        case 'f': HDR("from", SIP_HDR_FROM);
        case 'c': HDR("cseq", SIP_HDR_CSEQ);
        }
        break;
    case 5:
        switch (lower(p[0])) {
        case 'r': HDR("route", SIP_HDR_ROUTE);
        case 'a': HDR("allow", SIP_HDR_ALLOW);
        case 'e': HDR("event", SIP_HDR_EVENT);
        }
        break;
    case 6:
        switch (lower(p[0])) {
        case 'r': HDR("reason", SIP_HDR_REASON);
        case 's': HDR("server", SIP_HDR_SERVER);
        }
        break;
    case 7:
        switch (lower(p[0])) {
        case 'c':
            if (lower(p[1]) == 'a')
                HDR("call-id", SIP_HDR_CALL_ID);
            HDR("contact", SIP_HDR_CONTACT);
        case 'e': HDR("expires", SIP_HDR_EXPIRES);
        case 'r': HDR("require", SIP_HDR_REQUIRE);
        case 'w': HDR("warning", SIP_HDR_WARNING);
        }
        break;
    case 9:
        HDR("supported", SIP_HDR_SUPPORTED);
    case 10:
        HDR("user-agent", SIP_HDR_USER_AGENT);
    case 11:
        HDR("retry-after", SIP_HDR_RETRY_AFTER);
    case 12:
        switch (lower(p[0])) {
        case 'c': HDR("content-type", SIP_HDR_CONTENT_TYPE);
        case 'm': HDR("max-forwards", SIP_HDR_MAX_FORWARDS);
        case 'r': HDR("record-route", SIP_HDR_RECORD_ROUTE);
        }
        break;
    case 13:
        HDR("authorization", SIP_HDR_AUTHORIZATION);
    case 14:
        switch (lower(p[0])) {
        case 'c': HDR("content-length", SIP_HDR_CONTENT_LENGTH);
        case 'm': HDR("ms-diagnostics", SIP_HDR_MS_DIAGNOSTICS);
        }
        break;
    case 16:
        HDR("www-authenticate", SIP_HDR_WWW_AUTHENTICATE);
    case 18:
        HDR("proxy-authenticate", SIP_HDR_PROXY_AUTHENTICATE);
    case 19:
        switch (lower(p[0])) {
        case 'p': HDR("proxy-authorization", SIP_HDR_PROXY_AUTHORIZATION);
        case 'a': HDR("authentication-info", SIP_HDR_AUTHENTICATION_INFO);
        }
        break;
    case 21:
        HDR("ms-diagnostics-public", SIP_HDR_MS_DIAGNOSTICS_PUBLIC);
    default:
        break;
    }
    return SIP_HDR_OTHER;
#undef HDR
}

/* Headers whose grammar is a comma-separated list (RFC 3261 20.x: Via,
 * Route, Record-Route, Contact, Supported, Require, Allow). The auth
 * headers, Warning, Reason, Date and ms-diagnostics have commas inside one
 * value and are never split; unknown headers are not split because we
 * cannot know their grammar. */
static bool is_list(enum sip_hdr_id id)
{
    switch (id) {
    case SIP_HDR_VIA:
    case SIP_HDR_ROUTE:
    case SIP_HDR_RECORD_ROUTE:
    case SIP_HDR_CONTACT:
    case SIP_HDR_SUPPORTED:
    case SIP_HDR_REQUIRE:
    case SIP_HDR_ALLOW:
        return true;
    default:
        return false;
    }
}

/* ---- the message parser ------------------------------------------------ */

struct parser {
    const char *buf;
    size_t len;
    size_t start;  /* offset of the start line, after keep-alive CRLFs */
    size_t lim;    /* min(len, start + SIP_MSG_MAX): no byte of the message lies past it */
    bool dgram;
    /* Where and why parsing stopped; formatted only if the caller asks. */
    size_t err_off;
    struct strv err_hdr;
    const char *err_why;
};

/* The single-valued headers the essentials come from, as found. */
struct seen {
    const struct sip_hdr *via, *from, *to, *call_id, *cseq, *content_length, *expires;
    uint64_t cl; /* saturated at SIP_MSG_MAX + 1 */
};

static int fail(struct parser *p, int code, size_t off, struct strv hdr, const char *why)
{
    p->err_off = off;
    p->err_hdr = hdr;
    p->err_why = why;
    return code;
}

static size_t off_of(const struct parser *p, const char *at)
{
    return (size_t)(at - p->buf);
}

/* The bytes ran out at `at` before the header section ended. */
static int out_of_bytes(struct parser *p, size_t at)
{
    if (p->lim - p->start >= SIP_MSG_MAX)
        return fail(p, SYNTH_ETOOBIG, at, STRV_NULL, "message longer than SIP_MSG_MAX");
    if (p->dgram)
        return fail(p, SYNTH_EPARSE, at, STRV_NULL, "datagram ends inside the header section");
    return fail(p, SYNTH_EINCOMPLETE, at, STRV_NULL, "header section not complete yet");
}

/* Offset of the LF ending the physical line at `from`, which belongs to the
 * field starting at `field`: the search never goes past SIP_LINE_MAX (plus
 * its CRLF) from the field start, nor past the message bound. */
static int find_lf(struct parser *p, size_t from, size_t field, size_t *lf)
{
    size_t stop = field + SIP_LINE_MAX + 2;
    bool line_bound = stop <= p->lim;
    if (!line_bound)
        stop = p->lim;
    if (from < stop) {
        const char *q = memchr(p->buf + from, '\n', stop - from);
        if (q) {
            *lf = off_of(p, q);
            return 0;
        }
    }
    if (line_bound)
        return fail(p, SYNTH_ETOOBIG, field, STRV_NULL, "line longer than SIP_LINE_MAX");
    return out_of_bytes(p, stop);
}

/* End of line content: the LF, or the CR before it (RFC 3261 7.5 asks for
 * CRLF, but bare LF is common enough in hand-written tests and tools). */
static size_t line_end(const char *b, size_t start, size_t lf)
{
    return (lf > start && b[lf - 1] == '\r') ? lf - 1 : lf;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.2). */
static int parse_status_line(struct parser *p, struct sip_msg *m, size_t s, size_t e)
{
    const char *b = p->buf;
    size_t q = s + 7;
    if (e - s < 8 || !name_is(b + s, "sip/2.0", 7) || b[q] != ' ')
        return fail(p, SYNTH_EPARSE, s, STRV_NULL, "status line: not SIP/2.0");
    q++;
    if (e - q < 3 || !is_digit(b[q]) || !is_digit(b[q + 1]) || !is_digit(b[q + 2]) ||
        (e - q > 3 && b[q + 3] != ' '))
        return fail(p, SYNTH_EPARSE, q, STRV_NULL, "status code is not three digits");
    unsigned code = (unsigned)(b[q] - '0') * 100 + (unsigned)(b[q + 1] - '0') * 10 +
                    (unsigned)(b[q + 2] - '0');
    /* RFC 3261 21: classes 1xx to 6xx only. */
    if (code < 100 || code > 699)
        return fail(p, SYNTH_EPARSE, q, STRV_NULL, "status code outside 100-699");
    /* A missing SP + reason is outside the grammar; accept it as an empty
     * phrase, since the code is what matters. */
    size_t r = e - q > 3 ? q + 4 : e;
    for (size_t i = r; i < e; i++)
        if (is_ctl(b[i]))
            return fail(p, SYNTH_EPARSE, i, STRV_NULL, "control character in the reason phrase");
    m->is_request = false;
    m->status = (uint16_t)code;
    m->reason = strv_make(b + r, e - r);
    return 0;
}

/* Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 7.1): single
 * spaces, as RFC 4475 3.1.2.7 and 3.1.2.15 expect malformed spacing to be
 * refused rather than guessed at. */
static int parse_request_line(struct parser *p, struct sip_msg *m, size_t s, size_t e)
{
    const char *b = p->buf;
    size_t q = s;
    while (q < e && is_token(b[q]))
        q++;
    if (q == s || q == e || b[q] != ' ')
        return fail(p, SYNTH_EPARSE, q, STRV_NULL, "request line: bad method");
    m->method = strv_make(b + s, q - s);
    size_t u = ++q;
    while (q < e && (unsigned char)b[q] > 0x20 && (unsigned char)b[q] < 0x7f)
        q++;
    if (q == u || q == e || b[q] != ' ')
        return fail(p, SYNTH_EPARSE, q, STRV_NULL, "request line: bad Request-URI");
    /* RFC 4475 3.1.2.11: "<sip:...>" as Request-URI is malformed. */
    if (!scheme_end(b + u, b + q))
        return fail(p, SYNTH_EPARSE, u, STRV_NULL, "request line: Request-URI has no scheme");
    m->ruri = strv_make(b + u, q - u);
    q++;
    /* RFC 3261 7.1: the version string is case-insensitive. */
    if (e - q != 7 || !name_is(b + q, "sip/2.0", 7))
        return fail(p, SYNTH_EPARSE, q, STRV_NULL, "request line: not SIP/2.0");
    m->is_request = true;
    return 0;
}

static int add_value(struct parser *p, struct sip_msg *m, enum sip_hdr_id id, struct strv name,
                     struct strv value)
{
    if (m->hdr_count == SIP_HEADERS_MAX)
        return fail(p, SYNTH_ETOOBIG, off_of(p, value.p), name,
                    "more header values than SIP_HEADERS_MAX");
    m->hdrs[m->hdr_count++] = (struct sip_hdr){id, name, value};
    return 0;
}

/* Bytes the list splitter must look at; everything else is skipped by a
 * table lookup. */
static const unsigned char list_special[256] = {
    ['"'] = 1, ['<'] = 1, ['>'] = 1, [','] = 1, ['\\'] = 1,
};

/* RFC 3261 7.3.1: a list header may come as one line with commas or as
 * several lines. Commas inside quoted strings and <URI>s (20.10) do not
 * separate. Empty elements are skipped; a wholly empty value (legal for
 * Supported, Require, Allow) stays as one empty entry so its presence shows.
 * Most values hold one element (one Via or Contact per line), so a value
 * without a comma is taken whole: quotes and brackets are then checked by
 * whoever parses the value (sip_addr_parse, sip_via_parse), as for any
 * other header. */
static int add_list(struct parser *p, struct sip_msg *m, enum sip_hdr_id id, struct strv name,
                    struct strv value)
{
    const char *s = value.p, *e = value.p + value.l, *el = s, *q = s;
    bool quoted = false, angle = false;
    size_t before = m->hdr_count;
    int rc;
    if (!memchr(s, ',', value.l))
        return add_value(p, m, id, name, value);
    for (; q < e; q++) {
        while (q < e && !list_special[(unsigned char)*q])
            q++;
        if (q == e)
            break;
        if (quoted) {
            if (*q == '\\' && q + 1 < e)
                q++;
            else if (*q == '"')
                quoted = false;
        } else if (*q == '"') {
            quoted = true;
        } else if (*q == '<') {
            angle = true;
        } else if (*q == '>') {
            angle = false;
        } else if (*q == ',' && !angle) {
            struct strv v = trim(el, q);
            if (v.l && (rc = add_value(p, m, id, name, v)) != 0)
                return rc;
            el = q + 1;
        }
    }
    if (quoted || angle)
        return fail(p, SYNTH_EPARSE, off_of(p, value.p), name,
                    "unterminated quoted string or <URI>");
    struct strv v = trim(el, e);
    if (v.l || m->hdr_count == before)
        return add_value(p, m, id, name, v.l ? v : strv_make(value.p, 0));
    return 0;
}

/* RFC 4475 3.1.2.19 (multiple values in single-value fields): a second
 * From, To, Call-ID, CSeq, Content-Length or Expires is refused. */
static int note_once(struct parser *p, const struct sip_hdr **slot, const struct sip_hdr *h)
{
    if (*slot)
        return fail(p, SYNTH_EPARSE, off_of(p, h->name.p), h->name, "header appears twice");
    *slot = h;
    return 0;
}

static int note_field(struct parser *p, struct seen *seen, const struct sip_hdr *h)
{
    const char *s = h->value.p, *e = s + h->value.l;
    int rc;
    switch (h->id) {
    case SIP_HDR_VIA:
        if (!seen->via)
            seen->via = h;
        return 0;
    case SIP_HDR_FROM:
        return note_once(p, &seen->from, h);
    case SIP_HDR_TO:
        return note_once(p, &seen->to, h);
    case SIP_HDR_CALL_ID:
        return note_once(p, &seen->call_id, h);
    case SIP_HDR_CSEQ:
        return note_once(p, &seen->cseq, h);
    case SIP_HDR_CONTENT_LENGTH:
        if ((rc = note_once(p, &seen->content_length, h)) != 0)
            return rc;
        /* RFC 3261 20.14: 1*DIGIT; a sign or garbage is a framing error. */
        if (!digits_value(s, e, (uint64_t)SIP_MSG_MAX + 1, &seen->cl))
            return fail(p, SYNTH_EPARSE, off_of(p, s), h->name, "not a number");
        return 0;
    case SIP_HDR_EXPIRES:
        return note_once(p, &seen->expires, h);
    default:
        return 0;
    }
}

/* One header field: [field, eol) with any folding inside. */
static int parse_field(struct parser *p, struct sip_msg *m, struct seen *seen, size_t field,
                       size_t eol)
{
    const char *b = p->buf;
    if (memchr(b + field, '\0', eol - field))
        return fail(p, SYNTH_EPARSE, field, STRV_NULL, "NUL byte in a header line");
    size_t q = field;
    while (q < eol && is_token(b[q]))
        q++;
    struct strv name = strv_make(b + field, q - field);
    if (name.l == 0)
        return fail(p, SYNTH_EPARSE, field, STRV_NULL, "header line without a name");
    /* HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 25.1) */
    while (q < eol && is_ws(b[q]))
        q++;
    if (q == eol || b[q] != ':')
        return fail(p, SYNTH_EPARSE, q, name, "no colon after the header name");
    struct strv value = trim(b + q + 1, b + eol);
    enum sip_hdr_id id = hdr_lookup(name.p, name.l);
    size_t first = m->hdr_count;
    int rc = is_list(id) ? add_list(p, m, id, name, value) : add_value(p, m, id, name, value);
    if (rc == 0 && id != SIP_HDR_OTHER && m->hdr_count > first)
        rc = note_field(p, seen, &m->hdrs[first]);
    return rc;
}

/* Header fields up to the empty line; *hdr_end is the offset just past it. */
static int parse_headers(struct parser *p, struct sip_msg *m, struct seen *seen, size_t pos,
                         size_t *hdr_end)
{
    const char *b = p->buf;
    for (;;) {
        if (pos >= p->lim)
            return out_of_bytes(p, pos);
        if (b[pos] == '\n') {
            *hdr_end = pos + 1;
            return 0;
        }
        if (b[pos] == '\r') {
            if (pos + 1 >= p->lim)
                return out_of_bytes(p, pos + 1);
            if (b[pos + 1] != '\n')
                return fail(p, SYNTH_EPARSE, pos, STRV_NULL, "CR without LF");
            *hdr_end = pos + 2;
            return 0;
        }
        /* Folds are consumed with the line they continue, so a line starting
         * with whitespace here follows the start line. */
        if (is_ws(b[pos]))
            return fail(p, SYNTH_EPARSE, pos, STRV_NULL, "continuation line without a header");
        /* RFC 3261 7.3.1: a line starting with SP or HTAB continues the field,
         * so the field ends only at an LF whose next byte we can see. */
        size_t field = pos, from = pos, lf;
        int rc;
        for (;;) {
            if ((rc = find_lf(p, from, field, &lf)) != 0)
                return rc;
            if (lf + 1 >= p->lim)
                return out_of_bytes(p, lf + 1);
            if (!is_ws(b[lf + 1]))
                break;
            from = lf + 1;
        }
        size_t eol = line_end(b, field, lf);
        if (eol - field > SIP_LINE_MAX)
            return fail(p, SYNTH_ETOOBIG, field, STRV_NULL, "line longer than SIP_LINE_MAX");
        if ((rc = parse_field(p, m, seen, field, eol)) != 0)
            return rc;
        pos = lf + 1;
    }
}

/* CSeq = 1*DIGIT LWS Method (RFC 3261 20.16). */
static int parse_cseq(struct parser *p, struct sip_msg *m, const struct sip_hdr *h)
{
    const char *s = h->value.p, *e = s + h->value.l, *d = s;
    uint64_t n;
    while (d < e && is_digit(*d))
        d++;
    if (!digits_value(s, d, (uint64_t)SIP_CSEQ_MAX + 1, &n) || d == e || !is_lws(*d))
        return fail(p, SYNTH_EPARSE, off_of(p, s), h->name, "not a number followed by a method");
    if (n > SIP_CSEQ_MAX)
        return fail(p, SYNTH_EPARSE, off_of(p, s), h->name, "sequence number above 2^31-1");
    const char *ms = skip_lws(d, e), *me = ms;
    while (me < e && is_token(*me))
        me++;
    if (me == ms || me != e)
        return fail(p, SYNTH_EPARSE, off_of(p, ms), h->name, "bad method");
    m->cseq = (uint32_t)n;
    m->cseq_method = strv_make(ms, (size_t)(me - ms));
    /* RFC 4475 3.1.2.16: a request whose CSeq method differs is malformed;
     * methods are case-sensitive (RFC 3261 7.1). */
    if (m->is_request && (m->method.l != m->cseq_method.l ||
                          memcmp(m->method.p, m->cseq_method.p, m->method.l) != 0))
        return fail(p, SYNTH_EPARSE, off_of(p, ms), h->name,
                    "method differs from the request line");
    return 0;
}

/* RFC 3261 8.1.1 lists To, From, CSeq, Call-ID and Via as mandatory in every
 * request, and 8.2.6.2 copies them into every response: a response without
 * them cannot be matched to a transaction, so both are held to it. */
static int take_essentials(struct parser *p, struct sip_msg *m, const struct seen *s,
                           size_t hdr_end)
{
    static const char *const names[] = {"Via", "From", "To", "Call-ID", "CSeq"};
    const struct sip_hdr *const found[] = {s->via, s->from, s->to, s->call_id, s->cseq};
    for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++)
        if (!found[i])
            return fail(p, SYNTH_EPARSE, hdr_end - 1, strv_from_cstr(names[i]),
                        "mandatory header missing"); /* at the empty line */

    if (sip_via_parse(&m->via, s->via->value) != 0)
        return fail(p, SYNTH_EPARSE, off_of(p, s->via->value.p), s->via->name, "malformed");
    if (sip_addr_parse(&m->from, s->from->value) != 0)
        return fail(p, SYNTH_EPARSE, off_of(p, s->from->value.p), s->from->name, "malformed");
    if (sip_addr_parse(&m->to, s->to->value) != 0)
        return fail(p, SYNTH_EPARSE, off_of(p, s->to->value.p), s->to->name, "malformed");
    if (s->call_id->value.l == 0)
        return fail(p, SYNTH_EPARSE, off_of(p, s->call_id->value.p), s->call_id->name, "empty");
    m->call_id = s->call_id->value;
    int rc = parse_cseq(p, m, s->cseq);
    if (rc != 0)
        return rc;
    if (s->expires) {
        /* RFC 3261 20.19: delta-seconds; larger than 2**32-1 is taken as
         * 2**32-1 (10.2.1 treats huge expiry as "very long"), not refused. */
        struct strv v = s->expires->value;
        uint64_t n;
        if (!digits_value(v.p, v.p + v.l, UINT32_MAX, &n))
            return fail(p, SYNTH_EPARSE, off_of(p, v.p), s->expires->name, "not a number");
        m->has_expires = true;
        m->expires = (uint32_t)n;
    }
    return 0;
}

/* RFC 3261 18.3: Content-Length frames the body on streams (absent is read
 * as 0); on datagrams the body runs to the end of the packet, and bytes past
 * Content-Length are discarded. */
static int take_body(struct parser *p, struct sip_msg *m, const struct seen *s, size_t hdr_end,
                     size_t *used)
{
    size_t have = p->len - hdr_end, body;
    if (s->content_length) {
        if (p->dgram && s->cl > have)
            return fail(p, SYNTH_EPARSE, off_of(p, s->content_length->value.p),
                        s->content_length->name, "larger than the datagram");
        if (s->cl > SIP_MSG_MAX - (hdr_end - p->start))
            return fail(p, SYNTH_ETOOBIG, off_of(p, s->content_length->value.p),
                        s->content_length->name, "message longer than SIP_MSG_MAX");
        if (s->cl > have)
            return fail(p, SYNTH_EINCOMPLETE, p->len, STRV_NULL, "body not complete yet");
        body = (size_t)s->cl;
        m->content_length = (uint32_t)s->cl;
    } else {
        body = p->dgram ? have : 0;
    }
    m->body = strv_make(p->buf + hdr_end, body);
    m->raw = strv_make(p->buf + p->start, hdr_end + body - p->start);
    *used = hdr_end + body;
    return 0;
}

/* Leaves hdrs[] alone: clearing 3.8 KB per message would cost more than
 * parsing a small one, and hdr_count says which entries are valid. */
static void msg_reset(struct sip_msg *m)
{
    memset(m, 0, offsetof(struct sip_msg, hdrs));
    memset(&m->hdr_count, 0, sizeof(*m) - offsetof(struct sip_msg, hdr_count));
}

static int parse_message(struct parser *p, struct sip_msg *m, size_t *used)
{
    const char *b = p->buf;
    size_t pos = 0, lf, hdr_end = 0;
    struct seen seen = {0};
    int rc;

    msg_reset(m);
    /* RFC 5626 4.4.1 keep-alives ("\r\n\r\n" ping, "\r\n" pong) sit between
     * messages on a stream, and RFC 3261 7.5 says to ignore CRLFs before a
     * start line. */
    while (pos < p->len && (b[pos] == '\r' || b[pos] == '\n'))
        pos++;
    p->start = pos;
    if (pos == p->len)
        return fail(p, SYNTH_EINCOMPLETE, pos, STRV_NULL, "only keep-alive CRLFs");
    p->lim = p->len - pos > SIP_MSG_MAX ? pos + SIP_MSG_MAX : p->len;
    if (p->dgram && p->len - pos > SIP_MSG_MAX)
        return fail(p, SYNTH_ETOOBIG, pos, STRV_NULL, "datagram longer than SIP_MSG_MAX");

    if ((rc = find_lf(p, pos, pos, &lf)) != 0)
        return rc;
    size_t eol = line_end(b, pos, lf);
    if (eol - pos > SIP_LINE_MAX)
        return fail(p, SYNTH_ETOOBIG, pos, STRV_NULL, "line longer than SIP_LINE_MAX");
    /* "SIP/" cannot begin a method ('/' is not a token character). */
    if (eol - pos >= 4 && name_is(b + pos, "sip/", 4))
        rc = parse_status_line(p, m, pos, eol);
    else
        rc = parse_request_line(p, m, pos, eol);
    if (rc != 0)
        return rc;

    if ((rc = parse_headers(p, m, &seen, lf + 1, &hdr_end)) != 0)
        return rc;
    if ((rc = take_essentials(p, m, &seen, hdr_end)) != 0)
        return rc;
    return take_body(p, m, &seen, hdr_end, used);
}

int sip_msg_parse_err(struct sip_msg *msg, const char *buf, size_t len, bool is_datagram,
                      size_t *consumed, struct synth_error *err)
{
    struct parser p = {.buf = buf, .len = len, .dgram = is_datagram};
    size_t used = 0;
    int rc = parse_message(&p, msg, &used);
    if (rc == SYNTH_EINCOMPLETE)
        used = p.start;
    else if (rc != 0)
        used = p.err_off;
    if (consumed)
        *consumed = used;
    if (rc != 0 && err) {
        /* Line numbers count from the start line; values are never quoted
         * since Authorization and friends carry credentials. */
        unsigned line = 1;
        for (size_t i = p.start; i < p.err_off && i < len; i++)
            line += buf[i] == '\n';
        if (p.err_hdr.p) {
            int n = (int)(p.err_hdr.l < SIP_ERR_NAME_MAX ? p.err_hdr.l : SIP_ERR_NAME_MAX);
            synth_error_set(err, rc, "line %u: %.*s: %s", line, n, p.err_hdr.p, p.err_why);
        } else {
            synth_error_set(err, rc, "line %u: %s", line, p.err_why);
        }
    }
    return rc;
}

int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len, bool is_datagram,
                  size_t *consumed)
{
    return sip_msg_parse_err(msg, buf, len, is_datagram, consumed, NULL);
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id,
                                  const struct sip_hdr *prev)
{
    size_t i = prev ? (size_t)(prev - msg->hdrs) + 1 : 0;
    for (; i < msg->hdr_count; i++)
        if (msg->hdrs[i].id == id)
            return &msg->hdrs[i];
    return NULL;
}

/* A header name with a compact form replaced by its full name. */
static struct strv full_name(struct strv name)
{
    const char *full = NULL;
    if (name.l == 1)
        compact_form(name.p[0], &full);
    return full ? strv_from_cstr(full) : name;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, const char *name)
{
    if (!name)
        return NULL;
    struct strv want = full_name(strv_from_cstr(name));
    enum sip_hdr_id id = hdr_lookup(want.p, want.l);
    if (id != SIP_HDR_OTHER)
        return sip_msg_hdr(msg, id, NULL);
    for (size_t i = 0; i < msg->hdr_count; i++)
        if (msg->hdrs[i].id == SIP_HDR_OTHER &&
            strv_caseeq_strv(full_name(msg->hdrs[i].name), want))
            return &msg->hdrs[i];
    return NULL;
}

/* ---- values ------------------------------------------------------------ */

/* The next generic-param of a ";a=b;c" list (RFC 3261 25.1), advancing
 * *sp past it; false at the end. SEMI = SWS ";" SWS, and stray separators
 * are skipped. A bare flag has an empty, not NULL, value; a quoted value is
 * the inside of the quotes, escapes kept. */
static bool param_next(const char **sp, const char *e, struct strv *name, struct strv *value)
{
    const char *s = *sp, *t;
    while (s < e && (is_lws(*s) || *s == ';'))
        s++;
    if (s == e) {
        *sp = s;
        return false;
    }
    const char *ns = s;
    while (s < e && *s != '=' && *s != ';' && !is_lws(*s))
        s++;
    *name = strv_make(ns, (size_t)(s - ns));
    *value = strv_make(s, 0);
    t = skip_lws(s, e);
    if (t < e && *t == '=') {
        t = skip_lws(t + 1, e);
        const char *vs = t;
        if (t < e && *t == '"') {
            for (vs = ++t; t < e && *t != '"'; t++)
                if (*t == '\\' && t + 1 < e)
                    t++;
        } else {
            while (t < e && *t != ';' && !is_lws(*t))
                t++;
        }
        *value = strv_make(vs, (size_t)(t - vs));
    }
    /* Whatever follows the value up to the next ';' is not ours. */
    while (t < e && *t != ';')
        t++;
    *sp = t;
    return true;
}

/* No whitespace, quotes or angle brackets inside a URI (RFC 4475 3.1.2.4:
 * "<sip:user @host>" is malformed). `bare` adds what RFC 3261 20.10 says
 * forces the <> form: comma and question mark (semicolon ends the URI). */
static bool uri_chars_ok(const char *s, const char *e, bool bare)
{
    for (; s < e; s++) {
        if (is_lws(*s) || is_ctl(*s) || *s == '<' || *s == '>' || *s == '"')
            return false;
        if (bare && (*s == ',' || *s == '?'))
            return false;
    }
    return true;
}

int sip_addr_parse(struct sip_addr *addr, struct strv value)
{
    *addr = (struct sip_addr){0};
    if (!value.p)
        return SYNTH_EPARSE;
    value = strv_trim(value);
    const char *s = value.p, *e = s + value.l, *q, *rest;
    if (s == e)
        return SYNTH_EPARSE;
    if (*s == '"') {
        /* quoted-string: a backslash escapes the next byte (RFC 3261 25.1);
         * the view keeps the escapes, as a view cannot remove them. */
        for (q = s + 1; q < e && *q != '"'; q++)
            if (*q == '\\' && q + 1 < e)
                q++;
        if (q >= e)
            return SYNTH_EPARSE;
        addr->display = strv_make(s + 1, (size_t)(q - s - 1));
        q = skip_lws(q + 1, e);
        if (q == e || *q != '<')
            return SYNTH_EPARSE;
    } else {
        for (q = s; q < e && *q != '<' && *q != ';' && *q != '"'; q++)
            if (is_ctl(*q) && !is_lws(*q))
                return SYNTH_EPARSE;
        if (q < e && *q == '"')
            return SYNTH_EPARSE;
        if (q == e || *q == ';') {
            /* addr-spec: the params after it belong to the header (20.10). */
            struct strv uri = strv_trim(strv_make(s, (size_t)(q - s)));
            if (!scheme_end(uri.p, uri.p + uri.l) || !uri_chars_ok(uri.p, uri.p + uri.l, true))
                return SYNTH_EPARSE;
            addr->uri = uri;
            rest = q;
            goto params;
        }
        if (q > s)
            addr->display = strv_trim(strv_make(s, (size_t)(q - s)));
    }
    /* q is at '<' */
    const char *us = q + 1, *gt = memchr(us, '>', (size_t)(e - us));
    if (!gt || !scheme_end(us, gt) || !uri_chars_ok(us, gt, false))
        return SYNTH_EPARSE;
    addr->uri = strv_make(us, (size_t)(gt - us));
    rest = skip_lws(gt + 1, e);
    if (rest < e && *rest != ';')
        return SYNTH_EPARSE;
params:
    if (rest < e) {
        addr->params = strv_make(rest, (size_t)(e - rest));
        sip_param_get(addr->params, "tag", &addr->tag);
    }
    return 0;
}

static const char *token_end(const char *s, const char *e)
{
    while (s < e && is_token(*s))
        s++;
    return s;
}

/* sent-protocol = protocol-name SLASH protocol-version SLASH transport, with
 * SLASH = SWS "/" SWS (RFC 3261 20.42, 25.1). */
int sip_via_parse(struct sip_via *via, struct strv value)
{
    *via = (struct sip_via){0};
    if (!value.p)
        return SYNTH_EPARSE;
    const char *s = skip_lws(value.p, value.p + value.l), *e = value.p + value.l, *t;

    t = token_end(s, e);
    if (t - s != 3 || !name_is(s, "sip", 3))
        return SYNTH_EPARSE;
    s = skip_lws(t, e);
    if (s == e || *s != '/')
        return SYNTH_EPARSE;
    s = skip_lws(s + 1, e);
    t = token_end(s, e);
    if (t - s != 3 || memcmp(s, "2.0", 3) != 0)
        return SYNTH_EPARSE;
    s = skip_lws(t, e);
    if (s == e || *s != '/')
        return SYNTH_EPARSE;
    s = skip_lws(s + 1, e);
    t = token_end(s, e);
    if (t == s || t == e || !is_lws(*t))
        return SYNTH_EPARSE;
    via->transport = strv_make(s, (size_t)(t - s));

    /* sent-by = host [ COLON port ] */
    s = skip_lws(t, e);
    if (!parse_host(&s, e, &via->host))
        return SYNTH_EPARSE;
    s = skip_lws(s, e);
    if (s < e && *s == ':') {
        s = skip_lws(s + 1, e);
        if (!parse_port(&s, e, &via->port))
            return SYNTH_EPARSE;
        s = skip_lws(s, e);
    }
    if (s == e)
        return 0;
    if (*s != ';')
        return SYNTH_EPARSE;
    via->params = strv_make(s, (size_t)(e - s));

    /* One pass for the three we keep; the first of each wins, as in
     * sip_param_get. */
    struct strv pn, pv, rport = STRV_NULL;
    while (param_next(&s, e, &pn, &pv)) {
        if (!via->branch.p && caseeq(pn, "branch", 6))
            via->branch = pv;
        else if (!via->received.p && caseeq(pn, "received", 8))
            via->received = pv;
        else if (!rport.p && caseeq(pn, "rport", 5))
            rport = pv;
    }
    /* RFC 3581: "rport" alone in a request, "rport=port" once filled in. */
    if (rport.p) {
        via->has_rport = true;
        if (rport.l) {
            const char *rp = rport.p;
            if (!parse_port(&rp, rport.p + rport.l, &via->rport) || rp != rport.p + rport.l)
                return SYNTH_EPARSE;
        }
    }
    return 0;
}

bool sip_param_get(struct strv params, const char *name, struct strv *value)
{
    if (!params.p || !name)
        return false;
    size_t nl = strlen(name);
    const char *s = params.p, *e = s + params.l;
    struct strv pn, pv;
    while (param_next(&s, e, &pn, &pv)) {
        if (caseeq(pn, name, nl)) {
            if (value)
                *value = pv;
            return true;
        }
    }
    return false;
}

/* "%" HEX HEX escapes, everything else accepted by ok(). */
static bool escaped_ok(const char *s, const char *e, bool (*ok)(char))
{
    for (; s < e; s++) {
        if (*s == '%') {
            if (e - s < 3 || !is_hex(s[1]) || !is_hex(s[2]))
                return false;
            s += 2;
        } else if (!ok(*s)) {
            return false;
        }
    }
    return true;
}

/* SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 * (RFC 3261 19.1.1, 25.1). */
int sip_uri_parse(struct sip_uri *uri, struct strv value)
{
    *uri = (struct sip_uri){0};
    if (!value.p)
        return SYNTH_EPARSE;
    value = strv_trim(value);
    const char *s = value.p, *e = s + value.l;
    const char *colon = scheme_end(s, e);
    if (!colon)
        return SYNTH_EPARSE;
    struct strv scheme = strv_make(s, (size_t)(colon - s));
    if (!strv_caseeq(scheme, "sip") && !strv_caseeq(scheme, "sips"))
        return SYNTH_EUNSUPPORTED;
    s = colon + 1;
    if (!uri_chars_ok(s, e, false))
        return SYNTH_EPARSE;

    /* '@' is in no part of a SIP URI but userinfo (escaped elsewhere), so
     * the first one ends it. */
    const char *at = memchr(s, '@', (size_t)(e - s));
    if (at) {
        const char *pw = memchr(s, ':', (size_t)(at - s));
        const char *ue = pw ? pw : at;
        if (ue == s || !escaped_ok(s, ue, is_user_char) ||
            (pw && !escaped_ok(pw + 1, at, is_user_char)))
            return SYNTH_EPARSE;
        uri->user = strv_make(s, (size_t)(ue - s));
        s = at + 1;
    }
    if (!parse_host(&s, e, &uri->host))
        return SYNTH_EPARSE;
    if (s < e && *s == ':') {
        s++;
        if (!parse_port(&s, e, &uri->port))
            return SYNTH_EPARSE;
    }
    if (s < e && *s == ';') {
        const char *q = memchr(s, '?', (size_t)(e - s));
        const char *pe = q ? q : e;
        uri->params = strv_make(s, (size_t)(pe - s));
        s = pe;
    }
    if (s < e && *s == '?') {
        uri->headers = strv_make(s + 1, (size_t)(e - s - 1));
        s = e;
    }
    if (s != e)
        return SYNTH_EPARSE;
    uri->scheme = scheme;
    return 0;
}
