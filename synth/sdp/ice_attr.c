/* a=candidate values: the RFC 8839 5.1 (RFC 5245 15.1) syntax SfB sends with
 * [MS-ICE2], and the draft-ietf-mmusic-ice-06 form of Lync's fallback SDP
 * for 2007-era clients. */
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_scan.h"

#include <string.h>

/* RFC 8839 5.1: foundation = 1*32ice-char, component-id = 1*3DIGIT (1-256). */
#define CAND_FOUNDATION_MAX 32
#define CAND_COMPONENT_MAX 256

static int bad(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return SYNTH_EPARSE;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 5.1) */
static bool is_ice_char(char c)
{
    return sdp_is_alnum(c) || c == '+' || c == '/';
}

static bool is_conn_addr(struct strv a)
{
    return sdp_addr_ok(a, memchr(a.p, ':', a.l) != NULL);
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 20.10) */
static bool is_qvalue(struct strv v)
{
    if (!v.l || v.l > 5 || (v.p[0] != '0' && v.p[0] != '1'))
        return false;
    if (v.l == 1)
        return true;
    if (v.p[1] != '.')
        return false;
    for (size_t i = 2; i < v.l; i++)
        if (!sdp_is_digit(v.p[i]) || (v.p[0] == '1' && v.p[i] != '0'))
            return false;
    return true;
}

static enum sdp_cand_type cand_type(struct strv t)
{
    if (strv_eq(t, "host"))
        return SDP_CAND_HOST;
    if (strv_eq(t, "srflx"))
        return SDP_CAND_SRFLX;
    if (strv_eq(t, "prflx"))
        return SDP_CAND_PRFLX;
    if (strv_eq(t, "relay"))
        return SDP_CAND_RELAY;
    return SDP_CAND_OTHER;
}

const char *sdp_cand_type_str(enum sdp_cand_type t)
{
    switch (t) {
    case SDP_CAND_HOST: return "host";
    case SDP_CAND_SRFLX: return "srflx";
    case SDP_CAND_PRFLX: return "prflx";
    case SDP_CAND_RELAY: return "relay";
    case SDP_CAND_OTHER: break;
    }
    return "";
}

/* ... transport qvalue address port, after "username component password". */
static int parse_legacy(struct sdp_candidate *c, struct sdp_scan *sc, struct strv pwd,
                        struct strv transport, const char **why)
{
    struct strv q, addr, port;
    if (!sdp_all(pwd, is_ice_char) || !sdp_is_token(transport))
        return bad(why, "candidate: neither RFC 8839 nor ICE-06 syntax");
    if (!sdp_scan_word(sc, &q) || !is_qvalue(q))
        return bad(why, "candidate: ICE-06 qvalue is not 0.000-1.000");
    if (!sdp_scan_word(sc, &addr) || !is_conn_addr(addr))
        return bad(why, "candidate: bad address");
    if (!sdp_scan_word(sc, &port) || !sdp_port(port, &c->port))
        return bad(why, "candidate: bad port");
    if (!sdp_scan_done(sc))
        return bad(why, "candidate: text after an ICE-06 candidate");
    c->legacy = true;
    c->legacy_pwd = pwd;
    c->legacy_qvalue = q;
    c->transport = transport;
    c->addr = addr;
    return 0;
}

/* [raddr <addr>] [rport <port>] *(name value), after "typ <type>". */
static int parse_tail(struct sdp_candidate *c, struct sdp_scan *sc, const char **why)
{
    struct strv w, v;
    struct sdp_scan peek = *sc;
    if (sdp_scan_word(&peek, &w) && strv_eq(w, "raddr")) {
        if (!sdp_scan_word(&peek, &v) || !is_conn_addr(v))
            return bad(why, "candidate: bad raddr");
        c->raddr = v;
        *sc = peek;
    }
    peek = *sc;
    if (sdp_scan_word(&peek, &w) && strv_eq(w, "rport")) {
        if (!sdp_scan_word(&peek, &v) || !sdp_port(v, &c->rport))
            return bad(why, "candidate: bad rport");
        c->has_rport = true;
        *sc = peek;
    }
    /* Extensions come in name/value pairs (RFC 8839 5.1 cand-extension). */
    c->ext = sdp_scan_rest(sc);
    struct sdp_scan ext = sdp_scan_of(c->ext);
    while (sdp_scan_word(&ext, &w)) {
        if (!sdp_is_token(w) || !sdp_scan_word(&ext, &v))
            return bad(why, "candidate: extension without a value");
    }
    return 0;
}

int sdp_candidate_parse(struct sdp_candidate *c, struct strv value, const char **why)
{
    struct sdp_scan sc = sdp_scan_of(value);
    struct strv w, w2, w3;
    uint64_t n;

    *c = (struct sdp_candidate){0};
    if (!value.p || !sdp_scan_word(&sc, &c->foundation) || !sdp_all(c->foundation, is_ice_char))
        return bad(why, "candidate: foundation is not ice-chars");
    if (!sdp_scan_word(&sc, &w) || !sdp_u64(w, 3, CAND_COMPONENT_MAX, &n) || n == 0)
        return bad(why, "candidate: component is not 1-256");
    c->component = (uint16_t)n;
    if (!sdp_scan_word(&sc, &w2) || !sdp_scan_word(&sc, &w3))
        return bad(why, "candidate: too few fields");
    /* The priority is all digits; in the ICE-06 form that place holds the
     * transport, after the password. */
    if (!sdp_u32(w3, &c->priority))
        return parse_legacy(c, &sc, w2, w3, why);
    if (c->foundation.l > CAND_FOUNDATION_MAX)
        return bad(why, "candidate: foundation longer than 32");
    if (!sdp_is_token(w2))
        return bad(why, "candidate: transport is not a token");
    c->transport = w2;
    if (!sdp_scan_word(&sc, &c->addr) || !is_conn_addr(c->addr))
        return bad(why, "candidate: bad address");
    if (!sdp_scan_word(&sc, &w) || !sdp_port(w, &c->port))
        return bad(why, "candidate: bad port");
    if (!sdp_scan_word(&sc, &w) || !strv_eq(w, "typ"))
        return bad(why, "candidate: no 'typ'");
    if (!sdp_scan_word(&sc, &c->type_name) || !sdp_is_token(c->type_name))
        return bad(why, "candidate: no candidate type");
    c->type = cand_type(c->type_name);
    return parse_tail(c, &sc, why);
}
