/* SDP parser: the lines of a session description (RFC 8866 5, grammar in 9),
 * their order, the session and media sections, and the attributes a call
 * uses, as views into the caller's buffer. One pass, no allocation. */
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_scan.h"

#include <arpa/inet.h>
#include <string.h>

/* RFC 8839 5.4: ufrag = 4*256ice-char, password = 22*256ice-char. */
#define ICE_UFRAG_MIN 4
#define ICE_PWD_MIN 22
#define ICE_CRED_MAX 256
/* RFC 8866 9: t= times are NTP seconds, 1*DIGIT; 20 digits hold any u64. */
#define SDP_TIME_DIGITS 20

struct parser {
    struct sdp_session *sdp;
    const char *buf;
    size_t len;
    unsigned line;
    size_t line_off;
    struct sdp_media *m;     /* the current media section, NULL at session level */
    struct sdp_common *a;    /* its attributes */
    int rank;                /* of the last field of this section (field_rank) */
    char last;               /* type letter of the last line */
    bool seen_o, seen_s, seen_t;
    struct sdp_error *err;
};

static int fail(struct parser *p, int code, size_t off, const char *why)
{
    if (p->err) {
        p->err->line = p->line;
        p->err->offset = off;
        p->err->reason = why;
    }
    return code;
}

static int fail_line(struct parser *p, int code, const char *why)
{
    return fail(p, code, p->line_off, why);
}

/* ---- addresses ------------------------------------------------------------- */

static bool is_fqdn_char(char c)
{
    return sdp_is_alnum(c) || c == '-' || c == '.' || c == '_';
}

bool sdp_addr_ok(struct strv addr, bool ip6)
{
    char tmp[SDP_ADDR_MAX + 1];
    unsigned char bin[16];
    bool numeric = true, alpha = false;
    if (!addr.p || addr.l == 0 || strv_copy(addr, tmp, sizeof(tmp)) != 0)
        return false;
    if (ip6 && memchr(addr.p, ':', addr.l))
        return inet_pton(AF_INET6, tmp, bin) == 1;
    for (size_t i = 0; i < addr.l; i++) {
        if (!is_fqdn_char(addr.p[i]))
            return false;
        numeric &= sdp_is_digit(addr.p[i]) || addr.p[i] == '.';
        alpha |= sdp_is_alpha(addr.p[i]);
    }
    /* All digits and dots: it must be a dotted quad (RFC 8866 9 IP4-address),
     * so "300.1.1.1" is not mistaken for a host name. */
    if (numeric)
        return !ip6 && inet_pton(AF_INET, tmp, bin) == 1;
    return alpha && addr.p[0] != '.' && addr.p[0] != '-';
}

/* nettype SP addrtype SP address, as in c=, o= and a=rtcp. */
static int parse_conn(struct parser *p, struct sdp_scan *sc, struct sdp_conn *c)
{
    struct strv net, type, addr;
    if (!sdp_scan_word(sc, &net) || !sdp_scan_word(sc, &type) || !sdp_scan_word(sc, &addr))
        return fail_line(p, SYNTH_EPARSE, "connection: expected IN <addrtype> <address>");
    if (!strv_eq(net, "IN"))
        return fail_line(p, SYNTH_EPARSE, "connection: nettype is not IN");
    if (strv_eq(type, "IP4"))
        c->type = SDP_ADDR_IP4;
    else if (strv_eq(type, "IP6"))
        c->type = SDP_ADDR_IP6;
    else
        return fail_line(p, SYNTH_EPARSE, "connection: addrtype is not IP4 or IP6");
    /* RFC 8866 5.7: "/ttl" and "/count" only follow multicast addresses. */
    if (memchr(addr.p, '/', addr.l))
        return fail_line(p, SYNTH_EUNSUPPORTED, "connection: multicast address");
    if (!sdp_addr_ok(addr, c->type == SDP_ADDR_IP6))
        return fail_line(p, SYNTH_EPARSE, "connection: bad address");
    c->addr = addr;
    return 0;
}

/* ---- session fields -------------------------------------------------------- */

static int parse_version(struct parser *p, struct strv v)
{
    if (!strv_eq(v, "0"))
        return fail_line(p, SYNTH_EPARSE, "v=: version is not 0");
    return 0;
}

static bool digits_only(struct strv v)
{
    return sdp_all(v, sdp_is_digit);
}

static bool is_visible(char c)
{
    return (unsigned char)c > 0x20 && (unsigned char)c != 0x7f;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int parse_origin(struct parser *p, struct strv v)
{
    struct sdp_origin *o = &p->sdp->origin;
    struct sdp_scan sc = sdp_scan_of(v);
    if (!sdp_scan_word(&sc, &o->username) || !sdp_all(o->username, is_visible))
        return fail_line(p, SYNTH_EPARSE, "o=: no username");
    if (!sdp_scan_word(&sc, &o->sess_id) || !digits_only(o->sess_id))
        return fail_line(p, SYNTH_EPARSE, "o=: sess-id is not digits");
    if (!sdp_scan_word(&sc, &o->sess_version) || !digits_only(o->sess_version))
        return fail_line(p, SYNTH_EPARSE, "o=: sess-version is not digits");
    int rc = parse_conn(p, &sc, &o->conn);
    if (rc)
        return rc;
    if (!sdp_scan_done(&sc))
        return fail_line(p, SYNTH_EPARSE, "o=: text after the address");
    p->seen_o = true;
    return 0;
}

static int parse_c(struct parser *p, struct strv v)
{
    struct sdp_conn *c = p->m ? &p->m->conn : &p->sdp->conn;
    struct sdp_scan sc = sdp_scan_of(v);
    if (c->addr.p)
        return fail_line(p, SYNTH_EPARSE, "c=: second connection line in a section");
    int rc = parse_conn(p, &sc, c);
    if (rc == 0 && !sdp_scan_done(&sc))
        rc = fail_line(p, SYNTH_EPARSE, "c=: text after the address");
    return rc;
}

/* t=<start-time> <stop-time>; only the first is kept (a call is "t=0 0"). */
static int parse_t(struct parser *p, struct strv v)
{
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv a, b;
    uint64_t start, stop;
    if (!sdp_scan_word(&sc, &a) || !sdp_scan_word(&sc, &b) || !sdp_scan_done(&sc) ||
        !sdp_u64(a, SDP_TIME_DIGITS, UINT64_MAX, &start) ||
        !sdp_u64(b, SDP_TIME_DIGITS, UINT64_MAX, &stop))
        return fail_line(p, SYNTH_EPARSE, "t=: expected two decimal times");
    if (!p->seen_t) {
        p->sdp->t_start = start;
        p->sdp->t_stop = stop;
    }
    p->seen_t = true;
    return 0;
}

/* b=<bwtype>:<bandwidth> (RFC 8866 5.8); checked, not kept. */
static int parse_b(struct parser *p, struct strv v)
{
    const char *colon = memchr(v.p, ':', v.l);
    if (!colon || !sdp_is_token(strv_make(v.p, (size_t)(colon - v.p))) ||
        !digits_only(strv_make(colon + 1, (size_t)(v.p + v.l - colon - 1))))
        return fail_line(p, SYNTH_EPARSE, "b=: expected <bwtype>:<bandwidth>");
    return 0;
}

/* ---- m= -------------------------------------------------------------------- */

static enum sdp_proto proto_of(struct strv v)
{
    if (strv_eq(v, "RTP/AVP"))
        return SDP_PROTO_RTP_AVP;
    if (strv_eq(v, "RTP/SAVP"))
        return SDP_PROTO_RTP_SAVP;
    if (strv_eq(v, "UDP/TLS/RTP/SAVP"))
        return SDP_PROTO_UDP_TLS_RTP_SAVP;
    if (strv_eq(v, "RTP/AVPF"))
        return SDP_PROTO_RTP_AVPF;
    if (strv_eq(v, "RTP/SAVPF"))
        return SDP_PROTO_RTP_SAVPF;
    return SDP_PROTO_OTHER;
}

const char *sdp_proto_str(enum sdp_proto p)
{
    switch (p) {
    case SDP_PROTO_RTP_AVP: return "RTP/AVP";
    case SDP_PROTO_RTP_SAVP: return "RTP/SAVP";
    case SDP_PROTO_UDP_TLS_RTP_SAVP: return "UDP/TLS/RTP/SAVP";
    case SDP_PROTO_RTP_AVPF: return "RTP/AVPF";
    case SDP_PROTO_RTP_SAVPF: return "RTP/SAVPF";
    case SDP_PROTO_OTHER: break;
    }
    return "";
}

static bool is_proto_char(char c)
{
    return sdp_is_token_char(c) || c == '/';
}

/* RTP profiles name payload types in fmt (RFC 8866 5.14): "RTP/" anywhere
 * in the proto covers AVP, SAVP, AVPF, the DTLS and TCP variants. */
static bool proto_is_rtp(struct strv proto)
{
    for (size_t i = 0; i + 4 <= proto.l; i++)
        if (memcmp(proto.p + i, "RTP/", 4) == 0)
            return true;
    return false;
}

static int parse_fmts(struct parser *p, struct sdp_media *m, struct sdp_scan *sc)
{
    bool rtp = proto_is_rtp(m->proto_name);
    struct strv f;
    uint64_t pt;
    while (sdp_scan_word(sc, &f)) {
        if (m->fmt_count == SDP_FORMATS_MAX)
            return fail_line(p, SYNTH_ETOOBIG, "m=: more than SDP_FORMATS_MAX formats");
        if (!sdp_is_token(f))
            return fail_line(p, SYNTH_EPARSE, "m=: format is not a token");
        struct sdp_format *fmt = &m->fmts[m->fmt_count++];
        *fmt = (struct sdp_format){.fmt = f, .pt = -1};
        if (rtp) {
            /* RFC 3550 5.1: the payload type is 7 bits. */
            if (!sdp_u64(f, 3, 127, &pt))
                return fail_line(p, SYNTH_EPARSE, "m=: RTP payload type is not 0-127");
            fmt->pt = (int)pt;
        }
    }
    if (m->fmt_count == 0)
        return fail_line(p, SYNTH_EPARSE, "m=: no formats");
    return 0;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_m(struct parser *p, struct strv v)
{
    struct sdp_session *s = p->sdp;
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv media, port, proto;
    if (s->media_count == SDP_MEDIA_MAX)
        return fail_line(p, SYNTH_ETOOBIG, "m=: more than SDP_MEDIA_MAX media sections");
    struct sdp_media *m = &s->media[s->media_count++];
    *m = (struct sdp_media){0};
    m->a.attr_first = s->attr_count;
    p->m = m;
    p->a = &m->a;

    if (!sdp_scan_word(&sc, &media) || !sdp_is_token(media))
        return fail_line(p, SYNTH_EPARSE, "m=: media is not a token");
    m->type_name = media;
    m->type = strv_eq(media, "audio") ? SDP_MEDIA_AUDIO
            : strv_eq(media, "video") ? SDP_MEDIA_VIDEO : SDP_MEDIA_OTHER;
    if (!sdp_scan_word(&sc, &port))
        return fail_line(p, SYNTH_EPARSE, "m=: no port");
    const char *slash = memchr(port.p, '/', port.l);
    struct strv pn = slash ? strv_make(port.p, (size_t)(slash - port.p)) : port;
    m->port_count = 1;
    if (!sdp_port(pn, &m->port))
        return fail_line(p, SYNTH_EPARSE, "m=: port is not 0-65535");
    if (slash && (!sdp_port(strv_make(slash + 1, (size_t)(port.p + port.l - slash - 1)),
                            &m->port_count) || m->port_count == 0))
        return fail_line(p, SYNTH_EPARSE, "m=: number of ports is not 1-65535");
    if (!sdp_scan_word(&sc, &proto) || !sdp_all(proto, is_proto_char) || proto.p[0] == '/')
        return fail_line(p, SYNTH_EPARSE, "m=: proto is not token *(/ token)");
    m->proto_name = proto;
    m->proto = proto_of(proto);
    return parse_fmts(p, m, &sc);
}

/* ---- attributes ------------------------------------------------------------- */

static int attr_fail(struct parser *p, int rc, const char *why)
{
    return fail_line(p, rc, why);
}

static struct sdp_format *format_by_fmt(struct sdp_media *m, struct strv f)
{
    for (size_t i = 0; i < m->fmt_count; i++)
        if (m->fmts[i].fmt.l == f.l && memcmp(m->fmts[i].fmt.p, f.p, f.l) == 0)
            return &m->fmts[i];
    return NULL;
}

/* rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
 * (RFC 8866 6.6). A map for a type the m= line does not list says nothing
 * about this stream; it stays in attrs only. */
static int attr_rtpmap(struct parser *p, struct strv v)
{
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv pt, enc;
    if (!sdp_scan_word(&sc, &pt) || !sdp_scan_word(&sc, &enc) || !sdp_scan_done(&sc))
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: expected <pt> <name>/<rate>");
    const char *s1 = memchr(enc.p, '/', enc.l);
    if (!s1)
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: no clock rate");
    const char *end = enc.p + enc.l;
    const char *s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
    struct strv name = strv_make(enc.p, (size_t)(s1 - enc.p));
    struct strv rate = strv_make(s1 + 1, (size_t)((s2 ? s2 : end) - s1 - 1));
    uint32_t clock, channels = 0;
    if (!sdp_is_token(name))
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: encoding name is not a token");
    if (!sdp_u32(rate, &clock) || clock == 0)
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: clock rate is not a positive number");
    if (s2 && (!sdp_u32(strv_make(s2 + 1, (size_t)(end - s2 - 1)), &channels) || channels == 0))
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: encoding parameters are not a positive number");
    struct sdp_format *f = format_by_fmt(p->m, pt);
    if (!f)
        return 0;
    if (f->pt < 0)
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: on a non-RTP stream");
    if (f->name.p)
        return attr_fail(p, SYNTH_EPARSE, "rtpmap: second map for a payload type");
    f->name = name;
    f->clock = clock;
    f->channels = channels;
    return 0;
}

/* fmtp:<format> <format specific parameters> (RFC 8866 6.15) */
static int attr_fmtp(struct parser *p, struct strv v)
{
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv fmt, params;
    if (!sdp_scan_word(&sc, &fmt) || !(params = sdp_scan_rest(&sc)).p)
        return attr_fail(p, SYNTH_EPARSE, "fmtp: expected <format> <parameters>");
    struct sdp_format *f = format_by_fmt(p->m, fmt);
    if (!f)
        return 0;
    if (f->fmtp.p)
        return attr_fail(p, SYNTH_EPARSE, "fmtp: second fmtp for a format");
    f->fmtp = params;
    return 0;
}

/* ptime:<packet time> in ms, an integer or a decimal (RFC 8866 6.4). */
static int attr_ptime(struct parser *p, struct strv v)
{
    const char *dot = memchr(v.p, '.', v.l);
    struct strv ip = dot ? strv_make(v.p, (size_t)(dot - v.p)) : v;
    if (p->m->ptime)
        return attr_fail(p, SYNTH_EPARSE, "ptime: second ptime");
    if (!sdp_u32(ip, &p->m->ptime) ||
        (dot && !digits_only(strv_make(dot + 1, (size_t)(v.p + v.l - dot - 1)))) ||
        p->m->ptime == 0)
        return attr_fail(p, SYNTH_EPARSE, "ptime: not a positive number of ms");
    return 0;
}

static int set_dir(struct parser *p, enum sdp_dir d)
{
    if (p->a->has_dir)
        return attr_fail(p, SYNTH_EPARSE, "direction: second direction attribute");
    p->a->has_dir = true;
    p->a->dir = d;
    return 0;
}

static int attr_sendrecv(struct parser *p, struct strv v) { return set_dir(p, SDP_DIR_SENDRECV); }
static int attr_sendonly(struct parser *p, struct strv v) { return set_dir(p, SDP_DIR_SENDONLY); }
static int attr_recvonly(struct parser *p, struct strv v) { return set_dir(p, SDP_DIR_RECVONLY); }
static int attr_inactive(struct parser *p, struct strv v) { return set_dir(p, SDP_DIR_INACTIVE); }

/* rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 2.1) */
static int attr_rtcp(struct parser *p, struct strv v)
{
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv port;
    if (p->m->has_rtcp)
        return attr_fail(p, SYNTH_EPARSE, "rtcp: second rtcp attribute");
    if (!sdp_scan_word(&sc, &port) || !sdp_port(port, &p->m->rtcp_port))
        return attr_fail(p, SYNTH_EPARSE, "rtcp: port is not 0-65535");
    if (!sdp_scan_done(&sc)) {
        int rc = parse_conn(p, &sc, &p->m->rtcp_conn);
        if (rc)
            return rc;
        if (!sdp_scan_done(&sc))
            return attr_fail(p, SYNTH_EPARSE, "rtcp: text after the address");
    }
    p->m->has_rtcp = true;
    return 0;
}

static int attr_rtcp_mux(struct parser *p, struct strv v)
{
    p->m->rtcp_mux = true;
    return 0;
}

static int add_crypto(struct parser *p, struct strv v, bool scale)
{
    const char *why = NULL;
    struct sdp_media *m = p->m;
    if (m->crypto_count == SDP_CRYPTO_MAX)
        return attr_fail(p, SYNTH_ETOOBIG, "crypto: more than SDP_CRYPTO_MAX crypto lines");
    int rc = sdp_crypto_parse(&m->crypto[m->crypto_count], v, scale, &why);
    if (rc == SYNTH_EUNSUPPORTED)
        return 0;
    if (rc)
        return attr_fail(p, rc, why);
    /* RFC 4568 9.1; [MS-SDPEXT] 3.1.5.1 makes tags unique across a=crypto
     * and a=cryptoscale. */
    for (size_t i = 0; i < m->crypto_count; i++)
        if (m->crypto[i].tag == m->crypto[m->crypto_count].tag)
            return attr_fail(p, SYNTH_EPARSE, "crypto: tag used twice");
    m->crypto_count++;
    return 0;
}

static int attr_crypto(struct parser *p, struct strv v) { return add_crypto(p, v, false); }
static int attr_cryptoscale(struct parser *p, struct strv v) { return add_crypto(p, v, true); }

static int attr_encryption(struct parser *p, struct strv v)
{
    enum sdp_encryption e;
    if (p->a->encryption != SDP_ENC_NONE)
        return attr_fail(p, SYNTH_EPARSE, "encryption: second encryption attribute");
    if (strv_caseeq(v, "required"))
        e = SDP_ENC_REQUIRED;
    else if (strv_caseeq(v, "optional"))
        e = SDP_ENC_OPTIONAL;
    else if (strv_caseeq(v, "rejected"))
        e = SDP_ENC_REJECTED;
    else
        return attr_fail(p, SYNTH_EPARSE, "encryption: not required, optional or rejected");
    p->a->encryption = e;
    return 0;
}

static bool is_ice_char(char c)
{
    return sdp_is_alnum(c) || c == '+' || c == '/';
}

static int ice_cred(struct parser *p, struct strv v, struct strv *dst, size_t min, const char *why)
{
    if (dst->p)
        return attr_fail(p, SYNTH_EPARSE, "ice: second ufrag or pwd in a section");
    if (v.l < min || v.l > ICE_CRED_MAX || !sdp_all(v, is_ice_char))
        return attr_fail(p, SYNTH_EPARSE, why);
    *dst = v;
    return 0;
}

static int attr_ice_ufrag(struct parser *p, struct strv v)
{
    return ice_cred(p, v, &p->a->ice_ufrag, ICE_UFRAG_MIN, "ice-ufrag: not 4-256 ice-chars");
}

static int attr_ice_pwd(struct parser *p, struct strv v)
{
    return ice_cred(p, v, &p->a->ice_pwd, ICE_PWD_MIN, "ice-pwd: not 22-256 ice-chars");
}

/* ice-options:<tag> *(SP <tag>) (RFC 8839 5.6). Its grammar says
 * 1*ice-char, but registered options have used other token characters
 * ("rtp+ecn" fits; proposals with "-" do not), so a token is enough; several
 * lines in a section add up. Only "ice2" (RFC 8445 10) changes what we do. */
static int attr_ice_options(struct parser *p, struct strv v)
{
    struct sdp_scan sc = sdp_scan_of(v);
    struct strv tag;
    p->a->has_ice_options = true;
    while (sdp_scan_word(&sc, &tag)) {
        if (!sdp_is_token(tag))
            return attr_fail(p, SYNTH_EPARSE, "ice-options: a tag is not a token");
        if (strv_eq(tag, "ice2"))
            p->a->ice2 = true;
    }
    return 0;
}

static int attr_candidate(struct parser *p, struct strv v)
{
    const char *why = NULL;
    struct sdp_media *m = p->m;
    if (m->cand_count == SDP_CANDIDATES_MAX)
        return attr_fail(p, SYNTH_ETOOBIG, "candidate: more than SDP_CANDIDATES_MAX candidates");
    int rc = sdp_candidate_parse(&m->cands[m->cand_count], v, &why);
    if (rc)
        return attr_fail(p, rc, why);
    m->cand_count++;
    return 0;
}

/* x-ssrc-range:<first>-<last> ([MS-SDPEXT] 3.1.5.5) */
static int attr_ssrc_range(struct parser *p, struct strv v)
{
    const char *dash = memchr(v.p, '-', v.l);
    struct sdp_media *m = p->m;
    if (m->has_ssrc_range)
        return attr_fail(p, SYNTH_EPARSE, "x-ssrc-range: second range");
    if (!dash || !sdp_u32(strv_make(v.p, (size_t)(dash - v.p)), &m->ssrc_first) ||
        !sdp_u32(strv_make(dash + 1, (size_t)(v.p + v.l - dash - 1)), &m->ssrc_last) ||
        m->ssrc_first > m->ssrc_last)
        return attr_fail(p, SYNTH_EPARSE, "x-ssrc-range: expected <first>-<last>");
    m->has_ssrc_range = true;
    return 0;
}

/* label:<pointer>, a token (RFC 4574 4). */
static int attr_label(struct parser *p, struct strv v)
{
    if (p->m->label.p)
        return attr_fail(p, SYNTH_EPARSE, "label: second label");
    if (!sdp_is_token(v))
        return attr_fail(p, SYNTH_EPARSE, "label: not a token");
    p->m->label = v;
    return 0;
}

enum attr_value {
    VALUE_NONE,   /* a property attribute: a=<name> */
    VALUE_NEEDED, /* a=<name>:<value> */
};

enum attr_level {
    LEVEL_MEDIA, /* meaningless at session level: kept in attrs only there */
    LEVEL_BOTH,
};

static const struct {
    const char *name;
    enum attr_value value;
    enum attr_level level;
    int (*parse)(struct parser *p, struct strv v);
} known_attrs[] = {
    {"rtpmap", VALUE_NEEDED, LEVEL_MEDIA, attr_rtpmap},
    {"fmtp", VALUE_NEEDED, LEVEL_MEDIA, attr_fmtp},
    {"ptime", VALUE_NEEDED, LEVEL_MEDIA, attr_ptime},
    {"sendrecv", VALUE_NONE, LEVEL_BOTH, attr_sendrecv},
    {"sendonly", VALUE_NONE, LEVEL_BOTH, attr_sendonly},
    {"recvonly", VALUE_NONE, LEVEL_BOTH, attr_recvonly},
    {"inactive", VALUE_NONE, LEVEL_BOTH, attr_inactive},
    {"rtcp", VALUE_NEEDED, LEVEL_MEDIA, attr_rtcp},
    {"rtcp-mux", VALUE_NONE, LEVEL_MEDIA, attr_rtcp_mux},
    {"crypto", VALUE_NEEDED, LEVEL_MEDIA, attr_crypto},
    {"cryptoscale", VALUE_NEEDED, LEVEL_MEDIA, attr_cryptoscale},
    {"encryption", VALUE_NEEDED, LEVEL_BOTH, attr_encryption},
    {"ice-ufrag", VALUE_NEEDED, LEVEL_BOTH, attr_ice_ufrag},
    {"ice-pwd", VALUE_NEEDED, LEVEL_BOTH, attr_ice_pwd},
    {"ice-options", VALUE_NEEDED, LEVEL_BOTH, attr_ice_options},
    {"candidate", VALUE_NEEDED, LEVEL_MEDIA, attr_candidate},
    {"x-ssrc-range", VALUE_NEEDED, LEVEL_MEDIA, attr_ssrc_range},
    {"label", VALUE_NEEDED, LEVEL_MEDIA, attr_label},
};

/* a=<attribute-name>[:<attribute-value>] (RFC 8866 5.13). Names are
 * case-sensitive in the grammar and every peer writes them in lower case. */
static int parse_a(struct parser *p, struct strv v)
{
    struct sdp_session *s = p->sdp;
    const char *colon = memchr(v.p, ':', v.l);
    struct strv name = colon ? strv_make(v.p, (size_t)(colon - v.p)) : v;
    struct strv value = colon ? strv_make(colon + 1, (size_t)(v.p + v.l - colon - 1)) : STRV_NULL;
    if (!sdp_is_token(name))
        return fail_line(p, SYNTH_EPARSE, "a=: attribute name is not a token");
    if (colon && value.l == 0)
        return fail_line(p, SYNTH_EPARSE, "a=: empty attribute value");
    if (s->attr_count == SDP_ATTRS_MAX)
        return fail_line(p, SYNTH_ETOOBIG, "a=: more than SDP_ATTRS_MAX attributes");
    s->attrs[s->attr_count++] = (struct sdp_attr){name, value};
    p->a->attr_count++;

    for (size_t i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]); i++) {
        if (!strv_eq(name, known_attrs[i].name))
            continue;
        if (!p->m && known_attrs[i].level == LEVEL_MEDIA)
            return 0;
        if ((known_attrs[i].value == VALUE_NEEDED) != (value.p != NULL))
            return fail_line(p, SYNTH_EPARSE, known_attrs[i].value == VALUE_NEEDED
                                                  ? "a=: attribute needs a value"
                                                  : "a=: property attribute with a value");
        return known_attrs[i].parse(p, value);
    }
    return 0;
}

/* ---- lines and their order ------------------------------------------------- */

/* Free text (i=, u=, e=, p=, k=, r=, z=, s=): checked for presence only. */
static int parse_text(struct parser *p, struct strv v)
{
    if (!v.l)
        return fail_line(p, SYNTH_EPARSE, "field is empty");
    return 0;
}

/* RFC 8866 5.3 says s= MUST NOT be empty, but peers do send "s=" and
 * nothing reads the name; refusing the call over it would hide the test. */
static int parse_s(struct parser *p, struct strv v)
{
    p->sdp->name = v;
    p->seen_s = true;
    return 0;
}

/* Position of a field in its section (RFC 8866 9): a field may not come
 * before one of lower rank; `once` fields may not repeat. t= and r= share
 * a rank, as time descriptions repeat ("t= r= r= t="). */
struct field {
    char type;
    int rank;
    bool once;
    int (*parse)(struct parser *p, struct strv v);
};

static const struct field session_fields[] = {
    {'v', 0, true, parse_version}, {'o', 1, true, parse_origin}, {'s', 2, true, parse_s},
    {'i', 3, true, parse_text},    {'u', 4, true, parse_text},   {'e', 5, false, parse_text},
    {'p', 6, false, parse_text},   {'c', 7, true, parse_c},      {'b', 8, false, parse_b},
    {'t', 9, false, parse_t},      {'r', 9, false, parse_text},  {'z', 10, true, parse_text},
    {'k', 11, true, parse_text},   {'a', 12, false, parse_a},    {'m', 13, false, parse_m},
};

static const struct field media_fields[] = {
    {'m', 0, true, parse_m},     {'i', 1, true, parse_text}, {'c', 2, true, parse_c},
    {'b', 3, false, parse_b},    {'k', 4, true, parse_text}, {'a', 5, false, parse_a},
};

static const struct field *field_of(const struct field *tab, size_t n, char type)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].type == type)
            return &tab[i];
    return NULL;
}

static int parse_line(struct parser *p, char type, struct strv v)
{
    bool media = p->m != NULL;
    const struct field *f = media ? field_of(media_fields, 6, type)
                                  : field_of(session_fields, 15, type);
    if (p->line == 1 && type != 'v')
        return fail_line(p, SYNTH_EPARSE, "first line is not v=");
    if (!f) {
        if (field_of(session_fields, 15, type))
            return fail_line(p, SYNTH_EPARSE, "session-level field inside a media section");
        /* RFC 8866 5: a parser MUST ignore a whole description with a type
         * letter it does not understand. */
        return fail_line(p, SYNTH_EPARSE, "unknown type letter");
    }
    if (type == 'm') {
        if (!p->seen_o || !p->seen_s)
            return fail_line(p, SYNTH_EPARSE, "m= before o= and s=");
        if (!p->seen_t)
            return fail_line(p, SYNTH_EPARSE, "m= before any t=");
        p->rank = -1;
    } else if (type == 'r' && p->last != 't' && p->last != 'r') {
        return fail_line(p, SYNTH_EPARSE, "r= not after t=");
    } else if (f->rank < p->rank || (f->rank == p->rank && f->once)) {
        return fail_line(p, SYNTH_EPARSE, f->rank < p->rank ? "field out of order"
                                                            : "field repeated");
    } else if (p->line > 1 && f->rank > 2 && !(p->seen_o && p->seen_s)) {
        return fail_line(p, SYNTH_EPARSE, "o= and s= must follow v=");
    }
    p->rank = type == 'm' ? 0 : f->rank;
    p->last = type;
    return f->parse(p, v);
}

/* Bytes from `off` that are only CR and LF: allowed trailing padding. */
static bool only_newlines(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* One line at p->line_off: its content in *v, the next offset in *next. */
static int next_line(struct parser *p, struct strv *v, size_t *next)
{
    size_t off = p->line_off, room = p->len - off;
    size_t scan = room < SDP_LINE_MAX + 2 ? room : SDP_LINE_MAX + 2;
    const char *lf = memchr(p->buf + off, '\n', scan);
    size_t end;
    if (lf) {
        end = (size_t)(lf - p->buf);
        *next = end + 1;
    } else if (room <= SDP_LINE_MAX + 1) {
        end = p->len;  /* the last line, without its line ending */
        *next = p->len;
    } else {
        return fail_line(p, SYNTH_ETOOBIG, "line longer than SDP_LINE_MAX");
    }
    if (end > off && p->buf[end - 1] == '\r')
        end--;
    if (end - off > SDP_LINE_MAX)
        return fail_line(p, SYNTH_ETOOBIG, "line longer than SDP_LINE_MAX");
    /* RFC 8866 9: text is any byte but NUL, CR and LF. */
    for (size_t i = off; i < end; i++)
        if (p->buf[i] == '\0' || p->buf[i] == '\r')
            return fail(p, SYNTH_EPARSE, i, "NUL or bare CR inside a line");
    *v = strv_make(p->buf + off, end - off);
    return 0;
}

static int parse_lines(struct parser *p)
{
    while (p->line_off < p->len) {
        struct strv v;
        size_t next;
        p->line++;
        int rc = next_line(p, &v, &next);
        if (rc)
            return rc;
        if (v.l == 0) {
            if (only_newlines(p->buf + p->line_off, p->len - p->line_off))
                return 0;
            return fail_line(p, SYNTH_EPARSE, "empty line");
        }
        /* <type>=<value>, no blanks around '=' (RFC 8866 5). */
        if (v.l < 2 || v.p[1] != '=' || v.p[0] < 'a' || v.p[0] > 'z')
            return fail_line(p, SYNTH_EPARSE, "line is not <letter>=<value>");
        rc = parse_line(p, v.p[0], strv_make(v.p + 2, v.l - 2));
        if (rc)
            return rc;
        p->line_off = next;
    }
    return 0;
}

/* What the grammar requires beyond the order of the lines. */
static int check_whole(struct parser *p)
{
    const struct sdp_session *s = p->sdp;
    if (p->line == 0)
        return fail(p, SYNTH_EPARSE, 0, "empty description");
    if (!p->seen_o || !p->seen_s)
        return fail(p, SYNTH_EPARSE, p->len, "no o= or s= line");
    if (!p->seen_t)
        return fail(p, SYNTH_EPARSE, p->len, "no t= line");
    for (size_t i = 0; i < s->media_count; i++) {
        /* RFC 8866 5.7: c= at session level or in every media section. */
        if (!s->conn.addr.p && !s->media[i].conn.addr.p)
            return fail(p, SYNTH_EPARSE, p->len, "media section without a connection address");
    }
    return 0;
}

int sdp_parse(struct sdp_session *sdp, const char *buf, size_t len, struct sdp_error *err)
{
    struct parser p = {.sdp = sdp, .buf = buf, .len = len, .err = err, .rank = -1};
    if (err)
        *err = (struct sdp_error){0, 0, NULL};
    if (!sdp || (!buf && len))
        return fail(&p, SYNTH_EINVAL, 0, "no description");
    memset(sdp, 0, offsetof(struct sdp_session, media));
    sdp->media_count = 0;
    sdp->attr_count = 0;
    p.a = &sdp->a;
    if (len > SDP_MAX)
        return fail(&p, SYNTH_ETOOBIG, SDP_MAX, "description longer than SDP_MAX");
    int rc = parse_lines(&p);
    if (rc == 0)
        rc = check_whole(&p);
    sdp->a.attr_first = 0;
    return rc;
}

int sdp_error_format(const struct sdp_error *err, int code, struct synth_error *e)
{
    if (!err || !err->reason)
        return synth_error_set(e, code, "SDP: %s", synth_strerror(code));
    return synth_error_set(e, code, "SDP line %u: %s", err->line, err->reason);
}

/* ---- queries --------------------------------------------------------------- */

const struct sdp_conn *sdp_media_conn(const struct sdp_session *sdp, const struct sdp_media *m)
{
    return m->conn.addr.p ? &m->conn : &sdp->conn;
}

enum sdp_dir sdp_media_dir(const struct sdp_session *sdp, const struct sdp_media *m)
{
    if (m->a.has_dir)
        return m->a.dir;
    return sdp->a.has_dir ? sdp->a.dir : SDP_DIR_SENDRECV;
}

enum sdp_encryption sdp_media_encryption(const struct sdp_session *sdp, const struct sdp_media *m)
{
    return m->a.encryption != SDP_ENC_NONE ? m->a.encryption : sdp->a.encryption;
}

struct strv sdp_media_ice_ufrag(const struct sdp_session *sdp, const struct sdp_media *m)
{
    return m->a.ice_ufrag.p ? m->a.ice_ufrag : sdp->a.ice_ufrag;
}

struct strv sdp_media_ice_pwd(const struct sdp_session *sdp, const struct sdp_media *m)
{
    return m->a.ice_pwd.p ? m->a.ice_pwd : sdp->a.ice_pwd;
}

bool sdp_media_ice2(const struct sdp_session *sdp, const struct sdp_media *m)
{
    return m->a.has_ice_options ? m->a.ice2 : sdp->a.ice2;
}

const struct sdp_format *sdp_media_format(const struct sdp_media *m, int pt)
{
    for (size_t i = 0; i < m->fmt_count; i++)
        if (m->fmts[i].pt == pt && pt >= 0)
            return &m->fmts[i];
    return NULL;
}

const struct sdp_attr *sdp_attr_find(const struct sdp_session *sdp, const struct sdp_media *m,
                                     const char *name, const struct sdp_attr *prev)
{
    const struct sdp_common *a = m ? &m->a : &sdp->a;
    const struct sdp_attr *first = &sdp->attrs[a->attr_first], *end = first + a->attr_count;
    for (const struct sdp_attr *at = prev ? prev + 1 : first; at >= first && at < end; at++)
        if (strv_caseeq(at->name, name))
            return at;
    return NULL;
}

const char *sdp_dir_str(enum sdp_dir d)
{
    switch (d) {
    case SDP_DIR_SENDRECV: return "sendrecv";
    case SDP_DIR_SENDONLY: return "sendonly";
    case SDP_DIR_RECVONLY: return "recvonly";
    case SDP_DIR_INACTIVE: return "inactive";
    }
    return "sendrecv";
}

const char *sdp_encryption_str(enum sdp_encryption e)
{
    switch (e) {
    case SDP_ENC_REQUIRED: return "required";
    case SDP_ENC_OPTIONAL: return "optional";
    case SDP_ENC_REJECTED: return "rejected";
    case SDP_ENC_NONE: break;
    }
    return "";
}
