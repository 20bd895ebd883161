/* SDP session descriptions (RFC 8866, which obsoletes RFC 4566) parsed into
 * bounded structs of views into the caller's buffer, with the attributes an
 * audio call to SfB / Exchange UM carries: RFC 3264, 3605, 4568, 4574, 5761,
 * 8839 (ICE) and Microsoft's [MS-SDPEXT]. The parser never copies and never
 * writes to the buffer; the result is valid as long as the buffer is. */
#ifndef SYNTH_SDP_H
#define SYNTH_SDP_H

#include "media/sdes_key.h"
#include "media/srtp_session.h"
#include "synth/base/err.h"
#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bounds ---------------------------------------------------------------
 * A real SfB audio+video offer with a dozen candidates per stream is 4-8 KB;
 * SIP_MSG_MAX (64 KB) bounds the body anyway, half of it is room enough for
 * any description we can use and caps the work a hostile peer can cause. */
#define SDP_MAX 32768
/* The longest lines in the field are H.264 fmtp lines with sprop parameter
 * sets and crypto lines with several keys: a few hundred bytes. */
#define SDP_LINE_MAX 1024
/* A voicemail call has one audio stream; an SfB call offer can carry audio,
 * video, panoramic video and application sharing. A fifth is not a call we
 * can test, and each media section costs ~10 KB of struct. */
#define SDP_MEDIA_MAX 4
/* SfB's audio m-line lists ~15 payload types (RTAudio, SILK, Siren, G.722,
 * PCMU/A, CN, RED, telephone-event); twice that is room enough. */
#define SDP_FORMATS_MAX 32
/* Every a= line of the whole description. SfB's audio section carries ~60
 * (candidates, rtpmaps, crypto, x- attributes); four full sections fit. */
#define SDP_ATTRS_MAX 256
/* a=crypto + a=cryptoscale lines per media: SfB sends 2-3, SIP phones offer
 * one per suite (4 at most in practice: 80/32 x 128/256). */
#define SDP_CRYPTO_MAX 8
/* key-params on one crypto line: RFC 4568 allows several keys told apart by
 * MKI; [MS-SDPEXT] 3.1.5.1 allows one. Nobody sends more than two. */
#define SDP_CRYPTO_KEYS_MAX 4
/* Candidates per media: SfB gathers host, srflx and relay, UDP and two TCP
 * flavours, for two components, sometimes IPv6 too: 12-24. */
#define SDP_CANDIDATES_MAX 32

/* A literal as a view, for filling the builder's structs. */
#define SDP_LIT(s) ((struct strv){(s), sizeof(s) - 1})

/* ---- values ---------------------------------------------------------------- */

enum sdp_addrtype {
    SDP_ADDR_IP4 = 0,
    SDP_ADDR_IP6,
};

/* c= (RFC 8866 5.7), also a=rtcp's optional address (RFC 3605 2.1). Only the
 * nettype IN exists. A FQDN is allowed by the grammar and kept as written. */
struct sdp_conn {
    enum sdp_addrtype type;
    struct strv addr;  /* NULL view: no c= here */
};

/* o= (RFC 8866 5.2). sess-id and version are digit strings of any length
 * (NTP timestamps, or 64-bit random numbers some peers print in full). */
struct sdp_origin {
    struct strv username;
    struct strv sess_id;
    struct strv sess_version;
    struct sdp_conn conn;
};

enum sdp_media_type {
    SDP_MEDIA_OTHER = 0,
    SDP_MEDIA_AUDIO,
    SDP_MEDIA_VIDEO,
};

enum sdp_proto {
    SDP_PROTO_OTHER = 0,
    SDP_PROTO_RTP_AVP,          /* RFC 3551 */
    SDP_PROTO_RTP_SAVP,         /* RFC 3711 with SDES keys (RFC 4568) */
    SDP_PROTO_UDP_TLS_RTP_SAVP, /* DTLS-SRTP (RFC 5764): parsed, not negotiated */
    SDP_PROTO_RTP_AVPF,
    SDP_PROTO_RTP_SAVPF,
};

/* RFC 8866 6.7; RFC 3264 5.1: absent means sendrecv. */
enum sdp_dir {
    SDP_DIR_SENDRECV = 0,
    SDP_DIR_SENDONLY,
    SDP_DIR_RECVONLY,
    SDP_DIR_INACTIVE,
};

/* a=encryption ([MS-SDPEXT] 3.1.5.8): whether SRTP is a must. */
enum sdp_encryption {
    SDP_ENC_NONE = 0, /* no attribute */
    SDP_ENC_REQUIRED,
    SDP_ENC_OPTIONAL,
    SDP_ENC_REJECTED,
};

/* One format of an m= line with its rtpmap and fmtp (RFC 8866 6.6, 6.15). */
struct sdp_format {
    struct strv fmt;      /* as on the m= line */
    int pt;               /* 0-127 for RTP profiles, -1 otherwise */
    struct strv name;     /* rtpmap encoding name; NULL view without rtpmap */
    uint32_t clock;
    uint32_t channels;    /* 0 when the rtpmap has no encoding parameters */
    struct strv fmtp;     /* the parameters after "a=fmtp:<fmt> "; NULL view if none */
};

/* One key-param of a crypto line, "inline:<key||salt>[|lifetime][|MKI:length]"
 * (RFC 4568 9.2). Its syntax is media/sdes_key's: for a suite we know the
 * parser hands it to sdes_key_parse, for another one it keeps only the view
 * (such a line is never used, and its key-info may differ: AES_256 keys are
 * 46 bytes). */
struct sdp_crypto_key {
    struct strv param;     /* as written; the builder ignores it */
    struct sdes_key key;   /* decoded; zero unless the line's suite_known */
};

/* a=crypto (RFC 4568 9.1) or a=cryptoscale ([MS-SDPEXT] 3.1.5.2, which adds
 * a role before the suite and shares the tag space with a=crypto). The
 * suite table is media/srtp_session's: suite holds something only when
 * suite_known (a suite libsrtp does for us with a 30-byte key||salt). */
struct sdp_crypto {
    uint32_t tag;
    struct strv suite_name;  /* as written; the builder writes suite's own */
    bool suite_known;
    enum srtpsess_suite suite;
    struct sdp_crypto_key keys[SDP_CRYPTO_KEYS_MAX];
    size_t key_count;
    struct strv session_params; /* everything after the key-params; NULL view if none */
    struct strv scale_role;     /* a=cryptoscale only ("client", "server"); NULL view for a=crypto */
};

enum sdp_cand_type {
    SDP_CAND_OTHER = 0,
    SDP_CAND_HOST,
    SDP_CAND_SRFLX,
    SDP_CAND_PRFLX,
    SDP_CAND_RELAY,
};

/* a=candidate (RFC 8839 5.1, RFC 5245 15.1). Lync's fallback SDP for 2007
 * clients (the "ms-proxy-2007fallback" part) uses the older syntax of
 * draft-ietf-mmusic-ice-06, "username component password transport qvalue
 * address port": that form is kept with legacy set, the username as the
 * foundation, no priority and no type. */
struct sdp_candidate {
    struct strv foundation;
    uint16_t component;
    struct strv transport;  /* "UDP", "TCP", [MS-ICE2]'s "TCP-PASS" / "TCP-ACT" */
    uint32_t priority;
    struct strv addr;
    uint16_t port;
    enum sdp_cand_type type;
    struct strv type_name;  /* after "typ" */
    struct strv raddr;      /* NULL view if absent */
    uint16_t rport;
    bool has_rport;
    struct strv ext;        /* extension pairs after rport ("generation 0"); NULL view if none */
    bool legacy;
    struct strv legacy_pwd;
    struct strv legacy_qvalue;
};

/* Any a= line: name and value (NULL view for a property like a=rtcp-mux).
 * Every attribute is kept here, the known ones are also parsed below. */
struct sdp_attr {
    struct strv name;
    struct strv value;
};

/* Attributes found at session and at media level. */
struct sdp_common {
    bool has_dir;
    enum sdp_dir dir;
    enum sdp_encryption encryption;
    struct strv ice_ufrag, ice_pwd;  /* NULL views if absent */
    bool has_ice_options;            /* a=ice-options (RFC 8839 5.6) */
    bool ice2;                       /* ... listing "ice2": an RFC 8445 agent (RFC 8445 10) */
    size_t attr_first, attr_count;   /* this section's lines in sdp_session.attrs */
};

struct sdp_media {
    enum sdp_media_type type;
    struct strv type_name;
    uint16_t port;          /* 0: the stream is rejected or disabled (RFC 3264 5.1, 6) */
    uint16_t port_count;    /* the "/<number of ports>" suffix, 1 if absent */
    enum sdp_proto proto;
    struct strv proto_name;
    struct sdp_format fmts[SDP_FORMATS_MAX];
    size_t fmt_count;
    struct sdp_conn conn;   /* media-level c=; NULL addr if absent */

    struct sdp_common a;
    uint32_t ptime;         /* ms, 0 if absent (RFC 8866 6.4; fraction dropped) */
    bool has_rtcp;          /* a=rtcp (RFC 3605) */
    uint16_t rtcp_port;
    struct sdp_conn rtcp_conn;
    bool rtcp_mux;          /* RFC 5761 5.1.1 */
    struct sdp_crypto crypto[SDP_CRYPTO_MAX];  /* crypto and cryptoscale, in order */
    size_t crypto_count;
    struct sdp_candidate cands[SDP_CANDIDATES_MAX];
    size_t cand_count;
    bool has_ssrc_range;    /* a=x-ssrc-range:<first>-<last> ([MS-SDPEXT] 3.1.5.5) */
    uint32_t ssrc_first, ssrc_last;
    struct strv label;      /* RFC 4574; SfB's "main-audio" */
};

/* ~50 KB (32 candidates in each of 4 sections are most of it): make it
 * static or allocate it, keep it off small stacks. */
struct sdp_session {
    struct sdp_origin origin;
    struct strv name;       /* s= */
    struct sdp_conn conn;   /* session-level c=; NULL addr if absent */
    uint64_t t_start, t_stop;  /* the first t= line */
    struct sdp_common a;
    struct sdp_media media[SDP_MEDIA_MAX];
    size_t media_count;
    struct sdp_attr attrs[SDP_ATTRS_MAX];
    size_t attr_count;
};

/* Where and why parsing stopped. `reason` is a static string: peer bytes
 * never land in it, so it can go to a log line as is. */
struct sdp_error {
    unsigned line;   /* from 1 */
    size_t offset;   /* of the offending byte in buf */
    const char *reason;
};

/* ---- parsing --------------------------------------------------------------- */

/* Parses a whole description strictly (RFC 8866 9): v=, o=, s= first, the
 * session fields in the order of the grammar, at least one t=, every media
 * section with a connection address (its own or the session's), every
 * type letter known. Lines end in CRLF or a bare LF (RFC 8866 5 asks parsers
 * to accept both); the last line may lack its line ending, and empty lines
 * are allowed only at the very end. Known attributes are checked against
 * their own RFC; a malformed one rejects the description.
 * A crypto line with a key method other than inline, or with an MKI longer
 * than SDES_MKI_LEN_MAX, is kept only in attrs (RFC 4568 5.1.1: an answerer
 * ignores what it does not understand). The keys of known suites are
 * decoded into *sdp: wipe it when done if it may be copied elsewhere.
 * Returns 0; SYNTH_EPARSE (malformed); SYNTH_ETOOBIG (a bound above);
 * SYNTH_EUNSUPPORTED (well-formed but not something a call can use: a
 * multicast c=); SYNTH_EINVAL (NULL argument).
 * On failure err (may be NULL) says where and why and *sdp holds nothing
 * valid. */
int sdp_parse(struct sdp_session *sdp, const char *buf, size_t len, struct sdp_error *err);

/* "SDP line 6: m=: port is not 0-65535" into e; returns code (synth_error_set style). */
int sdp_error_format(const struct sdp_error *err, int code, struct synth_error *e);

/* The value parsers behind sdp_parse, for one attribute value (after the
 * colon). 0, SYNTH_EPARSE, SYNTH_ETOOBIG or SYNTH_EUNSUPPORTED; *why (may be
 * NULL) gets a static reason. */
int sdp_crypto_parse(struct sdp_crypto *c, struct strv value, bool scale, const char **why);
int sdp_candidate_parse(struct sdp_candidate *c, struct strv value, const char **why);

/* The media section's connection: its own c=, else the session's (RFC 8866 5.7). */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *sdp, const struct sdp_media *m);
/* Media direction over session direction over sendrecv (RFC 8866 6.7). */
enum sdp_dir sdp_media_dir(const struct sdp_session *sdp, const struct sdp_media *m);
/* a=encryption, media level over session level. */
enum sdp_encryption sdp_media_encryption(const struct sdp_session *sdp, const struct sdp_media *m);
/* ICE credentials, media level over session level (RFC 8839 5.4). */
struct strv sdp_media_ice_ufrag(const struct sdp_session *sdp, const struct sdp_media *m);
struct strv sdp_media_ice_pwd(const struct sdp_session *sdp, const struct sdp_media *m);
/* The section's (else the session's) a=ice-options lists "ice2". */
bool sdp_media_ice2(const struct sdp_session *sdp, const struct sdp_media *m);
/* The format with this payload type, NULL if the m= line does not list it. */
const struct sdp_format *sdp_media_format(const struct sdp_media *m, int pt);
/* First attribute of the section named `name` (case-insensitive), after
 * `prev` if not NULL; m NULL means session level. NULL if none. */
const struct sdp_attr *sdp_attr_find(const struct sdp_session *sdp, const struct sdp_media *m,
                                     const char *name, const struct sdp_attr *prev);

/* ---- names ------------------------------------------------------------------ */

const char *sdp_dir_str(enum sdp_dir d);
const char *sdp_proto_str(enum sdp_proto p);          /* "" for SDP_PROTO_OTHER */
const char *sdp_encryption_str(enum sdp_encryption e); /* "" for SDP_ENC_NONE */
const char *sdp_cand_type_str(enum sdp_cand_type t);  /* "" for SDP_CAND_OTHER */

#endif
