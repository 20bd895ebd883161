/* A parsed SIP message: views into the caller's buffer (RFC 3261 section 7, 20, 25).
 * The parser never copies and never writes to the buffer; the message is
 * valid as long as the buffer is. */
#ifndef SYNTH_SIP_MSG_H
#define SYNTH_SIP_MSG_H

#include "synth/base/err.h"
#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds: a real SfB REGISTER 200 with in-band provisioning is ~6 KB; 64 KB
 * leaves room for large SDP and ms-diagnostics while capping what a broken or
 * hostile peer can make us buffer. */
#define SIP_MSG_MAX 65536
#define SIP_HEADERS_MAX 96   /* header values after comma splitting */
#define SIP_LINE_MAX 8192    /* one header line, folded lines included */

enum sip_hdr_id {
    SIP_HDR_OTHER = 0,
    SIP_HDR_VIA,
    SIP_HDR_FROM,
    SIP_HDR_TO,
    SIP_HDR_CALL_ID,
    SIP_HDR_CSEQ,
    SIP_HDR_CONTACT,
    SIP_HDR_CONTENT_LENGTH,
    SIP_HDR_CONTENT_TYPE,
    SIP_HDR_MAX_FORWARDS,
    SIP_HDR_EXPIRES,
    SIP_HDR_ROUTE,
    SIP_HDR_RECORD_ROUTE,
    SIP_HDR_WWW_AUTHENTICATE,
    SIP_HDR_PROXY_AUTHENTICATE,
    SIP_HDR_AUTHORIZATION,
    SIP_HDR_PROXY_AUTHORIZATION,
    SIP_HDR_AUTHENTICATION_INFO,
    SIP_HDR_REASON,
    SIP_HDR_WARNING,
    SIP_HDR_RETRY_AFTER,
    SIP_HDR_MS_DIAGNOSTICS,
    SIP_HDR_MS_DIAGNOSTICS_PUBLIC,
    SIP_HDR_SUPPORTED,
    SIP_HDR_REQUIRE,
    SIP_HDR_ALLOW,
    SIP_HDR_USER_AGENT,
    SIP_HDR_SERVER,
    SIP_HDR_EVENT,
    SIP_HDR_ID_COUNT,
};

/* One header value. Values of Via, Route, Record-Route, Contact, Supported,
 * Require and Allow are split at commas outside quotes and <>, one entry per
 * element (empty elements dropped; an empty value stays as one empty entry).
 * A folded value still holds its CRLF + whitespace: treat CR and LF as
 * whitespace (every helper below does). */
struct sip_hdr {
    enum sip_hdr_id id;
    struct strv name;  /* as written (may be compact, e.g. "v") */
    struct strv value; /* trimmed; one element when the header is comma-split */
};

/* name-addr / addr-spec of From, To, Contact, Route (RFC 3261 20.10). */
struct sip_addr {
    struct strv display; /* without quotes, backslash escapes kept; may be empty */
    struct strv uri;     /* inside <> if present */
    struct strv params;  /* header params after the URI, starting at the first ';' */
    struct strv tag;     /* the tag param, if any */
};

/* Top Via (RFC 3261 20.42). */
struct sip_via {
    struct strv transport; /* "UDP", "TCP", "TLS" */
    struct strv host;      /* IPv6 without brackets */
    uint16_t port;         /* 0 if absent */
    struct strv params;    /* starting at the first ';' */
    struct strv branch;
    struct strv received;
    bool has_rport;
    uint16_t rport;        /* 0 when present without value */
};

struct sip_msg {
    bool is_request;
    struct strv method;  /* request */
    struct strv ruri;    /* request */
    uint16_t status;     /* response */
    struct strv reason;  /* response */

    struct sip_hdr hdrs[SIP_HEADERS_MAX];
    size_t hdr_count;

    /* Essentials, parsed once (absent ones are STRV_NULL / 0). */
    struct sip_via via;  /* the first Via */
    struct sip_addr from, to;
    struct strv call_id;
    uint32_t cseq;
    struct strv cseq_method;
    bool has_expires;
    uint32_t expires;
    uint32_t content_length; /* the header's value; 0 if absent */
    struct strv body;        /* length 0 (pointing past the headers) if none */

    struct strv raw; /* the whole message, start line to end of body */
    /* Set by the transport, not the parser: when it arrived (clock_mono_us;
     * the kernel's time over UDP), 0 when not known. */
    int64_t rx_us;
};

/* Parses one message from the front of a stream or datagram.
 * Returns 0 and sets *consumed (bytes of this message, body included, plus
 * any keep-alive CRLFs before it). On a datagram bytes past Content-Length
 * are not part of the message (RFC 3261 18.3) and *consumed stops before them.
 *
 * SYNTH_EINCOMPLETE: more bytes are needed (stream transports: no empty line
 * yet, or a body shorter than Content-Length). *consumed is then the number
 * of leading CRLF bytes (RFC 5626 keep-alives, "\r\n\r\n" ping or "\r\n"
 * pong) the caller may drop; a buffer holding only CRLFs gives EINCOMPLETE
 * with *consumed == len, on datagrams too.
 * SYNTH_ETOOBIG: SIP_MSG_MAX, SIP_HEADERS_MAX or SIP_LINE_MAX exceeded
 * (a stream is refused as soon as its Content-Length cannot fit).
 * SYNTH_EPARSE: malformed, including a datagram that ends early or whose
 * Content-Length is larger than the datagram.
 * On ETOOBIG and EPARSE *consumed is the offset of the error in buf.
 *
 * Framing: on a stream a missing Content-Length means an empty body; on a
 * datagram it means "body to the end" (RFC 3261 18.3). Lines may end in CRLF
 * or bare LF. Requests AND responses must carry Via, From, To, Call-ID and
 * CSeq (RFC 3261 8.1.1, 8.2.6.2); a second From, To, Call-ID, CSeq,
 * Content-Length or Expires is malformed; a request's CSeq method must equal
 * its method. On any error *msg holds no valid message. */
int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len, bool is_datagram,
                  size_t *consumed);
/* The same, and on failure (any non-zero return, EINCOMPLETE included) a
 * one-line reason in *err (may be NULL), e.g. "line 4: CSeq: sequence number
 * above 2^31-1". Line numbers count from the start line. Header values are
 * never quoted: Authorization and friends carry credentials. */
int sip_msg_parse_err(struct sip_msg *msg, const char *buf, size_t len, bool is_datagram,
                      size_t *consumed, struct synth_error *err);

/* First header with id (after `prev` if not NULL), NULL if none. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id,
                                  const struct sip_hdr *prev);
/* First header with this name (case-insensitive, compact forms matched). */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, const char *name);

/* Parses a name-addr or addr-spec. 0 or SYNTH_EPARSE. In the bare form
 * (sip:a@b;tag=1) the params belong to the header, as RFC 3261 20.10 says.
 * The URI is checked for a scheme and for no whitespace only; a Contact "*"
 * is not an address (check for it first). */
int sip_addr_parse(struct sip_addr *addr, struct strv value);
/* Parses a Via value (LWS allowed around '/' and ':'). 0 or SYNTH_EPARSE. */
int sip_via_parse(struct sip_via *via, struct strv value);

/* Finds `name` (case-insensitive) in a ";a=b;c" parameter list; *value is
 * empty (not NULL) for a bare flag. Returns true if present; value may be
 * NULL. Quoted values are returned without quotes, backslash escapes kept. */
bool sip_param_get(struct strv params, const char *name, struct strv *value);

/* SIP URI (RFC 3261 19.1): sip:user:password@host:port;params?headers */
struct sip_uri {
    struct strv scheme; /* "sip" or "sips" */
    struct strv user;   /* %HH escapes kept; the password is not kept */
    struct strv host;   /* IPv6 without brackets */
    uint16_t port;      /* 0 if absent */
    struct strv params; /* starting at the first ';' */
    struct strv headers;
};
/* 0; SYNTH_EUNSUPPORTED for a well-formed URI of another scheme (tel:,
 * im:, ...); SYNTH_EPARSE otherwise. */
int sip_uri_parse(struct sip_uri *uri, struct strv value);

#endif
