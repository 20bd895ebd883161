/* Unit tests: the SIP message parser and its value helpers (synth/sip/msg.c),
 * with torture cases in the spirit of RFC 4475. Every input is parsed from a
 * read-only copy that ends exactly where an unreadable page begins, so any
 * read past the end or any write to the buffer crashes the test. */
#include "synth/sip/msg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* Room for the over-limit inputs (a little more than SIP_MSG_MAX). */
#define ARENA_DATA (3 * SIP_MSG_MAX)
#include "guard_arena.h"

static struct strv sv(const char *s)
{
    size_t n = strlen(s);
    return strv_make(place(s, n), n);
}

/* 4 KB: kept out of each test's stack frame. */
static struct sip_msg msg;
static size_t used;
static struct synth_error err;
static const char *input; /* the placed copy of the last parsed input */
static size_t input_len;

static int parse_n(const char *s, size_t n, bool dgram)
{
    input = place(s, n);
    input_len = n;
    memset(&err, 0, sizeof(err));
    used = (size_t)-1;
    return sip_msg_parse_err(&msg, input, n, dgram, &used, &err);
}

static int parse_s(const char *s)
{
    return parse_n(s, strlen(s), false);
}

static int parse_dgram(const char *s)
{
    return parse_n(s, strlen(s), true);
}

#define assert_sv(v, want) assert_sv_((v), (want), __FILE__, __LINE__)
static void assert_sv_(struct strv v, const char *want, const char *file, int line)
{
    size_t n = strlen(want);
    if (!v.p || v.l != n || memcmp(v.p, want, n) != 0) {
        print_error("view \"%.*s\" (len %zu%s) != \"%s\"\n", (int)v.l, v.p ? v.p : "",
                    v.l, v.p ? "" : ", NULL", want);
        _fail(file, line);
    }
}

#define assert_err_contains(want) \
    do { \
        if (!strstr(err.msg, (want))) { \
            print_error("error \"%s\" lacks \"%s\"\n", err.msg, (want)); \
            _fail(__FILE__, __LINE__); \
        } \
    } while (0)

/* ---- messages ----------------------------------------------------------- */

#define REQ_LINE "OPTIONS sip:bob@example.com SIP/2.0\r\n"
#define H_VIA "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK-1\r\n"
#define H_FROM "From: <sip:alice@example.com>;tag=a1\r\n"
#define H_TO "To: <sip:bob@example.com>\r\n"
#define H_CALLID "Call-ID: c1@192.0.2.1\r\n"
#define H_CSEQ "CSeq: 1 OPTIONS\r\n"
#define REQ_HDRS H_VIA H_FROM H_TO H_CALLID H_CSEQ
#define RESP_HDRS H_VIA H_FROM "To: <sip:bob@example.com>;tag=b2\r\n" H_CALLID H_CSEQ

#define SDP \
    "v=0\r\n" \
    "o=- 1 1 IN IP4 192.0.2.10\r\n" \
    "s=session\r\n" \
    "c=IN IP4 192.0.2.10\r\n" \
    "t=0 0\r\n" \
    "m=audio 50000 RTP/SAVP 0 101\r\n" \
    "a=rtpmap:0 PCMU/8000\r\n"

static char text[4 * SIP_MSG_MAX]; /* messages built at run time */

static const char *invite_with_sdp(void)
{
    snprintf(text, sizeof(text),
             "INVITE sip:vm@um.example.com;transport=tls SIP/2.0\r\n"
             "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK776asdhds;rport\r\n"
             "Max-Forwards: 70\r\n"
             "From: \"Alice A.\" <sip:alice@example.com>;tag=1928301774;epid=abc\r\n"
             "To: <sip:vm@um.example.com>\r\n"
             "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
             "CSeq: 314159 INVITE\r\n"
             "Contact: <sip:alice@192.0.2.10:5061;transport=tls>\r\n"
             "Supported: ms-early-media, timer\r\n"
             "Content-Type: application/sdp\r\n"
             "Content-Length: %zu\r\n"
             "\r\n"
             "%s",
             strlen(SDP), SDP);
    return text;
}

/* ---- valid messages ----------------------------------------------------- */

static void invite_with_body(void **state)
{
    const char *m = invite_with_sdp();
    assert_int_equal(parse_s(m), 0);
    assert_int_equal(used, strlen(m));
    assert_true(msg.is_request);
    assert_sv(msg.method, "INVITE");
    assert_sv(msg.ruri, "sip:vm@um.example.com;transport=tls");
    assert_sv(msg.via.transport, "TLS");
    assert_sv(msg.via.host, "192.0.2.10");
    assert_int_equal(msg.via.port, 5061);
    assert_sv(msg.via.branch, "z9hG4bK776asdhds");
    assert_true(msg.via.has_rport);
    assert_int_equal(msg.via.rport, 0);
    assert_sv(msg.from.display, "Alice A.");
    assert_sv(msg.from.uri, "sip:alice@example.com");
    assert_sv(msg.from.tag, "1928301774");
    assert_sv(msg.from.params, ";tag=1928301774;epid=abc");
    assert_sv(msg.to.uri, "sip:vm@um.example.com");
    assert_null(msg.to.tag.p);
    assert_sv(msg.call_id, "a84b4c76e66710@pc33.example.com");
    assert_int_equal(msg.cseq, 314159);
    assert_sv(msg.cseq_method, "INVITE");
    assert_false(msg.has_expires);
    assert_int_equal(msg.content_length, strlen(SDP));
    assert_sv(msg.body, SDP);
    assert_ptr_equal(msg.raw.p, input);
    assert_int_equal(msg.raw.l, strlen(m));
    /* Supported splits in two: 10 lines, 11 values. */
    assert_int_equal(msg.hdr_count, 11);
    assert_int_equal(msg.hdrs[1].id, SIP_HDR_MAX_FORWARDS);
    assert_sv(msg.hdrs[1].value, "70");
    assert_int_equal(msg.hdrs[7].id, SIP_HDR_SUPPORTED);
    assert_sv(msg.hdrs[7].value, "ms-early-media");
    assert_int_equal(msg.hdrs[8].id, SIP_HDR_SUPPORTED);
    assert_sv(msg.hdrs[8].value, "timer");
}

static void response_with_record_route(void **state)
{
    const char *m = "SIP/2.0 200 OK\r\n"
                    "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-7;received=198.51.100.7;rport=40312\r\n"
                    "Record-Route: <sip:edge1.example.com:5061;transport=tls;lr>, <sip:fe1.example.com;lr>\r\n"
                    "Record-Route: <sip:fe2.example.com;lr;ms-role-rs-to>\r\n"
                    "From: <sip:alice@example.com>;tag=a1\r\n"
                    "To: <sip:bob@example.com>;tag=b2\r\n"
                    "Call-ID: c1\r\n"
                    "CSeq: 7 INVITE\r\n"
                    "Contact: <sip:bob@198.51.100.9:5061;transport=tls>;+sip.instance=\"<urn:uuid:1>\"\r\n"
                    "Content-Length: 0\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_false(msg.is_request);
    assert_int_equal(msg.status, 200);
    assert_sv(msg.reason, "OK");
    assert_null(msg.method.p);
    assert_sv(msg.via.received, "198.51.100.7");
    assert_true(msg.via.has_rport);
    assert_int_equal(msg.via.rport, 40312);
    assert_sv(msg.to.tag, "b2");
    assert_sv(msg.cseq_method, "INVITE");
    const struct sip_hdr *rr = sip_msg_hdr(&msg, SIP_HDR_RECORD_ROUTE, NULL);
    assert_non_null(rr);
    assert_sv(rr->value, "<sip:edge1.example.com:5061;transport=tls;lr>");
    rr = sip_msg_hdr(&msg, SIP_HDR_RECORD_ROUTE, rr);
    assert_sv(rr->value, "<sip:fe1.example.com;lr>");
    rr = sip_msg_hdr(&msg, SIP_HDR_RECORD_ROUTE, rr);
    assert_sv(rr->value, "<sip:fe2.example.com;lr;ms-role-rs-to>");
    assert_null(sip_msg_hdr(&msg, SIP_HDR_RECORD_ROUTE, rr));
    assert_int_equal(msg.content_length, 0);
    assert_int_equal(msg.body.l, 0);
    assert_ptr_equal(msg.body.p, input + strlen(m));
}

static void compact_forms(void **state)
{
    const char *m = "INVITE sip:bob@example.com SIP/2.0\r\n"
                    "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-c\r\n"
                    "f: <sip:alice@example.com>;tag=x\r\n"
                    "t: sip:bob@example.com\r\n"
                    "i: compact@host\r\n"
                    "CSeq: 2 INVITE\r\n"
                    "m: <sip:alice@192.0.2.1>\r\n"
                    "k: timer,100rel\r\n"
                    "s: lunch\r\n"
                    "o: presence\r\n"
                    "c: application/sdp\r\n"
                    "l: 4\r\n"
                    "\r\n"
                    "v=0\n";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.via.host, "192.0.2.1");
    assert_sv(msg.from.tag, "x");
    assert_sv(msg.to.uri, "sip:bob@example.com");
    assert_sv(msg.call_id, "compact@host");
    assert_int_equal(msg.content_length, 4);
    assert_sv(msg.body, "v=0\n");
    static const enum sip_hdr_id ids[] = {
        SIP_HDR_VIA,     SIP_HDR_FROM,      SIP_HDR_TO,    SIP_HDR_CALL_ID,
        SIP_HDR_CSEQ,    SIP_HDR_CONTACT,   SIP_HDR_SUPPORTED, SIP_HDR_SUPPORTED,
        SIP_HDR_OTHER,   SIP_HDR_EVENT,     SIP_HDR_CONTENT_TYPE, SIP_HDR_CONTENT_LENGTH,
    };
    assert_int_equal(msg.hdr_count, sizeof(ids) / sizeof(ids[0]));
    for (size_t i = 0; i < msg.hdr_count; i++)
        assert_int_equal(msg.hdrs[i].id, ids[i]);
    assert_sv(msg.hdrs[0].name, "v");
    /* Lookup by name matches compact forms both ways. */
    assert_ptr_equal(sip_msg_hdr_by_name(&msg, "Subject"), &msg.hdrs[8]);
    assert_ptr_equal(sip_msg_hdr_by_name(&msg, "s"), &msg.hdrs[8]);
    assert_ptr_equal(sip_msg_hdr_by_name(&msg, "Via"), &msg.hdrs[0]);
    assert_ptr_equal(sip_msg_hdr_by_name(&msg, "CONTENT-length"), &msg.hdrs[11]);
    assert_ptr_equal(sip_msg_hdr_by_name(&msg, "E"), NULL); /* Content-Encoding */
}

/* Every classified name, in mixed case, maps to its id. */
static void header_name_table(void **state)
{
    static const struct {
        const char *name;
        enum sip_hdr_id id;
    } names[] = {
        {"VIA", SIP_HDR_VIA}, {"from", SIP_HDR_FROM}, {"tO", SIP_HDR_TO},
        {"call-ID", SIP_HDR_CALL_ID}, {"CSEQ", SIP_HDR_CSEQ}, {"Contact", SIP_HDR_CONTACT},
        {"content-length", SIP_HDR_CONTENT_LENGTH}, {"Content-Type", SIP_HDR_CONTENT_TYPE},
        {"Max-Forwards", SIP_HDR_MAX_FORWARDS}, {"Expires", SIP_HDR_EXPIRES},
        {"Route", SIP_HDR_ROUTE}, {"Record-Route", SIP_HDR_RECORD_ROUTE},
        {"WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE},
        {"Proxy-Authenticate", SIP_HDR_PROXY_AUTHENTICATE},
        {"Authorization", SIP_HDR_AUTHORIZATION},
        {"Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION},
        {"Authentication-Info", SIP_HDR_AUTHENTICATION_INFO}, {"Reason", SIP_HDR_REASON},
        {"Warning", SIP_HDR_WARNING}, {"Retry-After", SIP_HDR_RETRY_AFTER},
        {"ms-diagnostics", SIP_HDR_MS_DIAGNOSTICS},
        {"MS-Diagnostics-Public", SIP_HDR_MS_DIAGNOSTICS_PUBLIC},
        {"Supported", SIP_HDR_SUPPORTED}, {"Require", SIP_HDR_REQUIRE},
        {"Allow", SIP_HDR_ALLOW}, {"User-Agent", SIP_HDR_USER_AGENT},
        {"Server", SIP_HDR_SERVER}, {"Event", SIP_HDR_EVENT},
        /* near misses stay unclassified */
        {"Vias", SIP_HDR_OTHER}, {"Contacts", SIP_HDR_OTHER}, {"Call-IE", SIP_HDR_OTHER},
        {"Max-Forward", SIP_HDR_OTHER}, {"Allow-Events", SIP_HDR_OTHER},
        {"Content-Disposition", SIP_HDR_OTHER}, {"Proxy-Require", SIP_HDR_OTHER},
    };
    size_t n = sizeof(names) / sizeof(names[0]);
    char *p = text;
    p += sprintf(p, "%s", REQ_LINE REQ_HDRS);
    /* The mandatory five come from REQ_HDRS, canonically spelled. */
    for (size_t i = 0; i < n; i++)
        if (names[i].id < SIP_HDR_VIA || names[i].id > SIP_HDR_CSEQ)
            p += sprintf(p, "%s: 0\r\n", names[i].name);
    sprintf(p, "\r\n");
    assert_int_equal(parse_s(text), 0);
    for (size_t i = 0; i < n; i++) {
        const struct sip_hdr *h = sip_msg_hdr_by_name(&msg, names[i].name);
        assert_non_null(h);
        if (h->id != names[i].id || !strv_caseeq(h->name, names[i].name)) {
            print_error("%s: id %d, want %d\n", names[i].name, h->id, names[i].id);
            fail();
        }
    }
}

/* RFC 3261 7.3.1: a line starting with SP or HTAB continues the header. */
static void folding(void **state)
{
    const char *m = "INVITE sip:bob@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP\r\n 192.0.2.1:5060\r\n\t;branch=z9hG4bK-fold\r\n"
                    "Subject: I know you're there,\r\n"
                    "         pick up the phone\r\n"
                    "\t and talk to me!\r\n"
                    "From: <sip:alice@example.com>\r\n"
                    " ;tag=f1\r\n"
                    "To: sip:bob@example.com\r\n"
                    "Call-ID: fold\r\n"
                    "CSeq:\r\n  8\r\n  INVITE\r\n"
                    "Route: <sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr>\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.via.host, "192.0.2.1");
    assert_int_equal(msg.via.port, 5060);
    assert_sv(msg.via.branch, "z9hG4bK-fold");
    assert_sv(sip_msg_hdr_by_name(&msg, "Subject")->value,
              "I know you're there,\r\n         pick up the phone\r\n\t and talk to me!");
    assert_sv(msg.from.tag, "f1");
    assert_int_equal(msg.cseq, 8);
    assert_sv(msg.cseq_method, "INVITE");
    const struct sip_hdr *r = sip_msg_hdr(&msg, SIP_HDR_ROUTE, NULL);
    assert_sv(r->value, "<sip:p1.example.com;lr>");
    assert_sv(sip_msg_hdr(&msg, SIP_HDR_ROUTE, r)->value, "<sip:p2.example.com;lr>");
}

/* HCOLON = *( SP / HTAB ) ":" SWS, SLASH and SEMI allow LWS too. */
static void odd_whitespace(void **state)
{
    const char *m = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                    "Via   :  SIP / 2.0 / UDP   host.example.com : 5070 ; branch = z9hG4bK-ws ;rport\r\n"
                    "From\t:\t\"\" <sip:alice@example.com> ;  tag = t1\r\n"
                    "To:<sip:bob@example.com>\r\n"
                    "Call-ID:ws\r\n"
                    "CSeq:  1\t OPTIONS  \r\n"
                    "Expires :\t3600\r\n"
                    "Content-Length :   0   \r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.via.transport, "UDP");
    assert_sv(msg.via.host, "host.example.com");
    assert_int_equal(msg.via.port, 5070);
    assert_sv(msg.via.branch, "z9hG4bK-ws");
    assert_true(msg.via.has_rport);
    assert_int_equal(msg.from.display.l, 0);
    assert_non_null(msg.from.display.p);
    assert_sv(msg.from.tag, "t1");
    assert_sv(msg.to.uri, "sip:bob@example.com");
    assert_sv(msg.call_id, "ws");
    assert_int_equal(msg.cseq, 1);
    assert_true(msg.has_expires);
    assert_int_equal(msg.expires, 3600);
    assert_int_equal(msg.hdrs[0].name.l, 3);
}

static void multiple_values(void **state)
{
    const char *m = "SIP/2.0 180 Ringing\r\n"
                    "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK-a, SIP/2.0/TLS b.example.com;branch=z9hG4bK-b ,SIP/2.0/UDP 192.0.2.3\r\n"
                    "Via: SIP/2.0/TCP d.example.com;branch=z9hG4bK-d\r\n"
                    "From: <sip:alice@example.com>;tag=a1\r\n"
                    "To: <sip:bob@example.com>;tag=b2\r\n"
                    "Call-ID: mv\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "Allow: INVITE, ACK, , CANCEL,BYE\r\n"
                    "Require: 100rel\r\n"
                    "Supported:\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    static const char *const vias[] = {
        "SIP/2.0/TLS a.example.com;branch=z9hG4bK-a", "SIP/2.0/TLS b.example.com;branch=z9hG4bK-b",
        "SIP/2.0/UDP 192.0.2.3", "SIP/2.0/TCP d.example.com;branch=z9hG4bK-d"};
    const struct sip_hdr *h = NULL;
    for (size_t i = 0; i < 4; i++) {
        h = sip_msg_hdr(&msg, SIP_HDR_VIA, h);
        assert_non_null(h);
        assert_sv(h->value, vias[i]);
    }
    assert_null(sip_msg_hdr(&msg, SIP_HDR_VIA, h));
    assert_sv(msg.via.host, "a.example.com"); /* the top one */
    static const char *const allow[] = {"INVITE", "ACK", "CANCEL", "BYE"};
    h = NULL;
    for (size_t i = 0; i < 4; i++) {
        h = sip_msg_hdr(&msg, SIP_HDR_ALLOW, h);
        assert_sv(h->value, allow[i]);
    }
    assert_null(sip_msg_hdr(&msg, SIP_HDR_ALLOW, h));
    /* An empty Supported is present, with an empty value. */
    h = sip_msg_hdr(&msg, SIP_HDR_SUPPORTED, NULL);
    assert_non_null(h);
    assert_int_equal(h->value.l, 0);
    assert_int_equal(msg.hdr_count, 4 + 4 + 4 + 1 + 1);
}

/* Commas inside quoted display names and <URI>s do not split. */
static void contact_list_with_commas(void **state)
{
    const char *m = "REGISTER sip:example.com SIP/2.0\r\n" H_VIA H_FROM H_TO H_CALLID
                    "CSeq: 1 REGISTER\r\n"
                    "Contact: \"Doe, John \\\"JD\\\"\" <sip:jd@192.0.2.4;x=1,2>;q=0.5, <sip:c@d>;expires=\"Thu, 01 Dec 1994\",sip:e@f;q=0.1\r\n"
                    "Contact: *\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    const struct sip_hdr *h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, NULL);
    assert_sv(h->value, "\"Doe, John \\\"JD\\\"\" <sip:jd@192.0.2.4;x=1,2>;q=0.5");
    struct sip_addr a;
    assert_int_equal(sip_addr_parse(&a, h->value), 0);
    assert_sv(a.display, "Doe, John \\\"JD\\\"");
    assert_sv(a.uri, "sip:jd@192.0.2.4;x=1,2");
    h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, h);
    assert_sv(h->value, "<sip:c@d>;expires=\"Thu, 01 Dec 1994\"");
    h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, h);
    assert_sv(h->value, "sip:e@f;q=0.1");
    h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, h);
    assert_sv(h->value, "*");
    assert_null(sip_msg_hdr(&msg, SIP_HDR_CONTACT, h));
    /* With no comma there is nothing to split: the value is kept whole and
     * judged by whoever parses it, as for any header. */
    assert_int_equal(parse_s(REQ_LINE REQ_HDRS "Contact: \"Alice <sip:a@b>\r\n\r\n"), 0);
    h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, NULL);
    assert_sv(h->value, "\"Alice <sip:a@b>");
    assert_int_equal(sip_addr_parse(&a, h->value), SYNTH_EPARSE);
}

/* Headers with commas inside one value are never split. */
static void unsplit_headers(void **state)
{
    static const char *const values[] = {
        "Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth,auth-int\", algorithm=MD5",
        "Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", response=\"0123\"",
        "Digest realm=\"p\", nonce=\"n\"",
        "NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"1\"",
        "qop=auth, rspauth=\"f\", cnonce=\"c\", nc=00000001",
        "1018;reason=\"Failed, then failed again\";source=\"fe.example.com\"",
        "399 fe.example.com \"Media, maybe\"",
        "SIP;cause=200;text=\"Call completed, elsewhere\"",
        "Sat, 13 Nov 2010 23:29:00 GMT",
        "one, two, three",
    };
    const char *m = "SIP/2.0 401 Unauthorized\r\n" RESP_HDRS
                    "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", qop=\"auth,auth-int\", algorithm=MD5\r\n"
                    "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", response=\"0123\"\r\n"
                    "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"\r\n"
                    "Proxy-Authorization: NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"1\"\r\n"
                    "Authentication-Info: qop=auth, rspauth=\"f\", cnonce=\"c\", nc=00000001\r\n"
                    "ms-diagnostics: 1018;reason=\"Failed, then failed again\";source=\"fe.example.com\"\r\n"
                    "Warning: 399 fe.example.com \"Media, maybe\"\r\n"
                    "Reason: SIP;cause=200;text=\"Call completed, elsewhere\"\r\n"
                    "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
                    "X-Unknown: one, two, three\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_int_equal(msg.status, 401);
    assert_int_equal(msg.hdr_count, 5 + 10);
    for (size_t i = 0; i < 10; i++)
        assert_sv(msg.hdrs[5 + i].value, values[i]);
    assert_int_equal(msg.hdrs[5].id, SIP_HDR_WWW_AUTHENTICATE);
    assert_int_equal(msg.hdrs[14].id, SIP_HDR_OTHER);
    assert_sv(msg.hdrs[14].name, "X-Unknown");
}

static void bare_lf_lines(void **state)
{
    const char *m = "BYE sip:bob@192.0.2.4 SIP/2.0\n"
                    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-lf\n"
                    "From: <sip:alice@example.com>;tag=a1\n"
                    "To: <sip:bob@example.com>;tag=b2\r\n"
                    "Call-ID: lf\n"
                    "CSeq: 3 BYE\n"
                    "Content-Length: 2\n"
                    "\n"
                    "ok";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.method, "BYE");
    assert_sv(msg.call_id, "lf");
    assert_sv(msg.to.tag, "b2");
    assert_sv(msg.body, "ok");
    assert_int_equal(used, strlen(m));
}

static void many_vias(void **state)
{
    char *p = text;
    p += sprintf(p, "SIP/2.0 100 Trying\r\n");
    for (int i = 0; i < 60; i++)
        p += sprintf(p, "Via: SIP/2.0/TLS proxy%d.example.com:5061;branch=z9hG4bK-%d\r\n", i, i);
    sprintf(p, H_FROM H_TO H_CALLID H_CSEQ "\r\n");
    assert_int_equal(parse_s(text), 0);
    assert_int_equal(msg.hdr_count, 64);
    assert_sv(msg.via.host, "proxy0.example.com");
    assert_sv(msg.via.branch, "z9hG4bK-0");
    int n = 0;
    for (const struct sip_hdr *h = NULL; (h = sip_msg_hdr(&msg, SIP_HDR_VIA, h)) != NULL;)
        n++;
    assert_int_equal(n, 60);
    assert_sv(msg.hdrs[59].value, "SIP/2.0/TLS proxy59.example.com:5061;branch=z9hG4bK-59");
}

static void escaped_display_name(void **state)
{
    const char *m = REQ_LINE H_VIA
                    "From: \"Alice \\\"The Boss\\\" O'Neil \\\\ \xc3\xa9\" <sip:alice@example.com>;tag=9\r\n"
                    "To: Bob  Smith <sip:bob@example.com>\r\n" H_CALLID H_CSEQ "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.from.display, "Alice \\\"The Boss\\\" O'Neil \\\\ \xc3\xa9");
    assert_sv(msg.from.tag, "9");
    assert_sv(msg.to.display, "Bob  Smith");
    assert_sv(msg.to.uri, "sip:bob@example.com");
}

static void ipv6_addresses(void **state)
{
    const char *m = "INVITE sip:[2001:db8::10]:5061;transport=tls SIP/2.0\r\n"
                    "Via: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK-v6;received=2001:db8::2;rport=40000\r\n"
                    "From: <sip:alice@[2001:db8::1]>;tag=v6\r\n"
                    "To: <sip:[2001:db8::10]>\r\n"
                    "Call-ID: v6@[2001:db8::1]\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_sv(msg.via.host, "2001:db8::1");
    assert_int_equal(msg.via.port, 5061);
    assert_sv(msg.via.received, "2001:db8::2");
    assert_int_equal(msg.via.rport, 40000);
    struct sip_uri u;
    assert_int_equal(sip_uri_parse(&u, msg.ruri), 0);
    assert_sv(u.host, "2001:db8::10");
    assert_int_equal(u.port, 5061);
    assert_sv(u.params, ";transport=tls");
    assert_int_equal(sip_uri_parse(&u, msg.from.uri), 0);
    assert_sv(u.user, "alice");
    assert_sv(u.host, "2001:db8::1");
    assert_int_equal(u.port, 0);
}

static void unknown_and_empty_headers(void **state)
{
    const char *m = REQ_LINE REQ_HDRS
                    "X-Empty:\r\n"
                    "Subject:   \r\n"
                    "P-Asserted-Identity: \"A\" <sip:a@b>, <tel:+1555>\r\n"
                    "x-odd.name!%*_+`'~: token chars\r\n"
                    "Content-Length: 0\r\n"
                    "\r\n";
    assert_int_equal(parse_s(m), 0);
    const struct sip_hdr *h = sip_msg_hdr_by_name(&msg, "x-empty");
    assert_non_null(h);
    assert_int_equal(h->value.l, 0);
    assert_int_equal(sip_msg_hdr_by_name(&msg, "subject")->value.l, 0);
    assert_sv(sip_msg_hdr_by_name(&msg, "P-Asserted-Identity")->value, "\"A\" <sip:a@b>, <tel:+1555>");
    assert_sv(sip_msg_hdr_by_name(&msg, "X-ODD.NAME!%*_+`'~")->value, "token chars");
    assert_null(sip_msg_hdr_by_name(&msg, "X-Missing"));
    assert_null(sip_msg_hdr_by_name(&msg, "Expires"));
}

static void status_line_variants(void **state)
{
    assert_int_equal(parse_s("SIP/2.0 180 \r\n" RESP_HDRS "\r\n"), 0);
    assert_int_equal(msg.status, 180);
    assert_int_equal(msg.reason.l, 0);
    assert_int_equal(parse_s("sip/2.0 486 Busy Here\r\n" RESP_HDRS "\r\n"), 0);
    assert_int_equal(msg.status, 486);
    assert_sv(msg.reason, "Busy Here");
    assert_int_equal(parse_s("SIP/2.0 699\r\n" RESP_HDRS "\r\n"), 0);
    assert_int_equal(msg.status, 699);
    assert_int_equal(parse_s("SIP/2.0 100 Tr\xc3\xa4ying\tnow \r\n" RESP_HDRS "\r\n"), 0);
    assert_sv(msg.reason, "Tr\xc3\xa4ying\tnow ");
    /* A response's CSeq method is whatever the request was. */
    assert_int_equal(parse_s("SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CALLID "CSeq: 9 BYE\r\n\r\n"), 0);
    assert_sv(msg.cseq_method, "BYE");
    assert_int_equal(parse_s("OPTIONS sip:bob@example.com sip/2.0\r\n" REQ_HDRS "\r\n"), 0);
    assert_sv(msg.method, "OPTIONS");
    /* An unknown method is fine as long as CSeq agrees (RFC 4475 3.1.1.8). */
    assert_int_equal(parse_s("NEWMETHOD tel:+15551234 SIP/2.0\r\n" H_VIA H_FROM H_TO H_CALLID
                             "CSeq: 1 NEWMETHOD\r\n\r\n"),
                     0);
    assert_sv(msg.ruri, "tel:+15551234");
}

static void cseq_and_expires_values(void **state)
{
    assert_int_equal(parse_s(REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 2147483647 OPTIONS\r\n"
                             "Expires: 99999999999999999999\r\n\r\n"),
                     0);
    assert_int_equal(msg.cseq, 2147483647u);
    assert_true(msg.has_expires);
    assert_int_equal(msg.expires, UINT32_MAX);
    assert_int_equal(parse_s(REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 000000000042 OPTIONS\r\n"
                             "Expires: 0\r\n\r\n"),
                     0);
    assert_int_equal(msg.cseq, 42);
    assert_true(msg.has_expires);
    assert_int_equal(msg.expires, 0);
    assert_int_equal(parse_s(REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 0 OPTIONS\r\n\r\n"), 0);
    assert_int_equal(msg.cseq, 0);
    assert_false(msg.has_expires);
}

/* ---- framing ------------------------------------------------------------ */

static void keepalive_crlf(void **state)
{
    assert_int_equal(parse_s("\r\n\r\n"), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 4);
    assert_int_equal(parse_s("\r\n"), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 2);
    assert_int_equal(parse_dgram("\r\n\r\n"), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 4);
    assert_int_equal(parse_s(""), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 0);
    /* A ping then the start of a message: the ping may be dropped. */
    assert_int_equal(parse_s("\r\n\r\nOPTIONS sip:bob@exa"), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 4);
    const char *m = "\r\n\r\n" REQ_LINE REQ_HDRS "\r\n";
    assert_int_equal(parse_s(m), 0);
    assert_int_equal(used, strlen(m));
    assert_ptr_equal(msg.raw.p, input + 4);
    assert_int_equal(msg.raw.l, strlen(m) - 4);
    assert_sv(msg.method, "OPTIONS");
}

/* A stream parser sees messages cut anywhere: every strict prefix must ask
 * for more, never fail and never succeed early. */
static void every_prefix_is_incomplete(void **state)
{
    static char copy[2048];
    const char *folded = "\r\n" "SIP/2.0 200 OK\r\n" H_VIA H_FROM
                         "To: <sip:bob@example.com>\r\n ;tag=b2\r\n" H_CALLID
                         "CSeq: 1 OPTIONS\r\nContent-Length:\r\n 3\r\n\r\nabc";
    const char *lf = "OPTIONS sip:b@c SIP/2.0\nVia: SIP/2.0/UDP h\nFrom: sip:a@b\n"
                     "To: sip:b@c\nCall-ID: x\nCSeq: 1 OPTIONS\nl: 1\n\nz";
    const char *msgs[] = {invite_with_sdp(), folded, lf};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(msgs[k]), crlf = strspn(msgs[k], "\r\n");
        assert_true(n < sizeof(copy));
        memcpy(copy, msgs[k], n + 1);
        for (size_t i = 0; i < n; i++) {
            int rc = parse_n(copy, i, false);
            if (rc != SYNTH_EINCOMPLETE || used != (i < crlf ? i : crlf)) {
                print_error("message %zu prefix %zu: rc %d used %zu (%s)\n", k, i, rc, used,
                            err.msg);
                fail();
            }
        }
        assert_int_equal(parse_n(copy, n, false), 0);
        assert_int_equal(used, n);
    }
}

static void back_to_back_in_one_buffer(void **state)
{
    const char *m1 = REQ_LINE REQ_HDRS "\r\n"; /* no Content-Length: 0 on a stream */
    const char *m2 = "\r\n\r\nSIP/2.0 200 OK\r\n" RESP_HDRS "Content-Length: 5\r\n\r\nhello";
    const char *m3 = "BYE sip:bob@example.com SIP/2.0\r\n";
    snprintf(text, sizeof(text), "%s%s%s", m1, m2, m3);
    size_t n = strlen(text);
    assert_int_equal(parse_s(text), 0);
    assert_int_equal(used, strlen(m1));
    assert_sv(msg.method, "OPTIONS");
    assert_int_equal(msg.body.l, 0);
    size_t off = used;
    assert_int_equal(parse_n(text + off, n - off, false), 0);
    assert_int_equal(used, strlen(m2));
    assert_int_equal(msg.status, 200);
    assert_sv(msg.body, "hello");
    off += used;
    assert_int_equal(parse_n(text + off, n - off, false), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 0);
}

static void datagram_framing(void **state)
{
    /* No Content-Length: the body runs to the end of the datagram. */
    assert_int_equal(parse_dgram(REQ_LINE REQ_HDRS "\r\nrest of it"), 0);
    assert_sv(msg.body, "rest of it");
    assert_int_equal(msg.content_length, 0);
    /* Bytes past Content-Length are not part of the message (RFC 3261 18.3). */
    const char *m = REQ_LINE REQ_HDRS "Content-Length: 4\r\n\r\nbodyjunk";
    assert_int_equal(parse_dgram(m), 0);
    assert_sv(msg.body, "body");
    assert_int_equal(used, strlen(m) - 4);
    /* The same bytes on a stream with no Content-Length: empty body. */
    assert_int_equal(parse_s(REQ_LINE REQ_HDRS "\r\nnext"), 0);
    assert_int_equal(msg.body.l, 0);
    assert_int_equal(used, strlen(REQ_LINE REQ_HDRS "\r\n"));
    /* Content-Length larger than the datagram. */
    m = REQ_LINE REQ_HDRS "Content-Length: 5\r\n\r\nbody";
    assert_int_equal(parse_dgram(m), SYNTH_EPARSE);
    assert_int_equal(used, strlen(REQ_LINE REQ_HDRS "Content-Length: "));
    assert_string_equal(err.msg, "line 7: Content-Length: larger than the datagram");
    /* ... which on a stream only means "wait". */
    assert_int_equal(parse_s(m), SYNTH_EINCOMPLETE);
    assert_int_equal(used, 0);
    /* A datagram cannot be completed later. */
    assert_int_equal(parse_dgram(REQ_LINE REQ_HDRS), SYNTH_EPARSE);
    assert_string_equal(err.msg, "line 7: datagram ends inside the header section");
    assert_int_equal(parse_dgram("OPTIONS sip:bob@exa"), SYNTH_EPARSE);
}

/* ---- malformed messages ------------------------------------------------- */

struct bad_case {
    const char *text;
    int rc;
    const char *err; /* the exact detail message */
};

static const struct bad_case bad_cases[] = {
    {REQ_LINE H_FROM H_TO H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: Via: mandatory header missing"},
    {REQ_LINE H_VIA H_TO H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: From: mandatory header missing"},
    {REQ_LINE H_VIA H_FROM H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: To: mandatory header missing"},
    {REQ_LINE H_VIA H_FROM H_TO H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: Call-ID: mandatory header missing"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "\r\n", SYNTH_EPARSE,
     "line 6: CSeq: mandatory header missing"},
    {"SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: Call-ID: mandatory header missing"},
    {"SIP/2.0 099 Odd\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status code outside 100-699"},
    {"SIP/2.0 700 Odd\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status code outside 100-699"},
    {"SIP/2.0 2000 OK\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status code is not three digits"},
    {"SIP/2.0 20x OK\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status code is not three digits"},
    {"SIP/2.0 20\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status code is not three digits"},
    {"SIP/2.1 200 OK\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE, "line 1: status line: not SIP/2.0"},
    {"SIP/2.0 200 O\x01K\r\n" RESP_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: control character in the reason phrase"},
    {"HELLO\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE, "line 1: request line: bad method"},
    {"INV@TE sip:bob@example.com SIP/2.0\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: bad method"},
    {"OPTIONS sip:bob@example.com HTTP/1.1\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: not SIP/2.0"},
    {"OPTIONS sip:bob@example.com SIP/7.0\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: not SIP/2.0"},
    {"OPTIONS sip:bob@example.com SIP/2.0 \r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: not SIP/2.0"},
    {"OPTIONS  sip:bob@example.com SIP/2.0\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: bad Request-URI"},
    {"OPTIONS <sip:bob@example.com> SIP/2.0\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: Request-URI has no scheme"},
    {"OPTIONS sip:bob@example.com\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 1: request line: bad Request-URI"},
    {REQ_LINE "Foo bar\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE, "line 2: Foo: no colon after the header name"},
    {REQ_LINE REQ_HDRS ": value\r\n\r\n", SYNTH_EPARSE, "line 7: header line without a name"},
    {REQ_LINE "Via\r\n : x\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 2: Via: no colon after the header name"},
    {REQ_LINE " folded-nothing\r\n" REQ_HDRS "\r\n", SYNTH_EPARSE,
     "line 2: continuation line without a header"},
    {REQ_LINE REQ_HDRS "\rX", SYNTH_EPARSE, "line 7: CR without LF"},
    {REQ_LINE REQ_HDRS "Content-Length: -1\r\n\r\n", SYNTH_EPARSE, "line 7: Content-Length: not a number"},
    {REQ_LINE REQ_HDRS "Content-Length: 12abc\r\n\r\n", SYNTH_EPARSE,
     "line 7: Content-Length: not a number"},
    {REQ_LINE REQ_HDRS "l: 1 2\r\n\r\n", SYNTH_EPARSE, "line 7: l: not a number"},
    {REQ_LINE REQ_HDRS "Content-Length: 0\r\nl: 0\r\n\r\n", SYNTH_EPARSE, "line 8: l: header appears twice"},
    {REQ_LINE REQ_HDRS "From: <sip:eve@example.com>;tag=e\r\n\r\n", SYNTH_EPARSE,
     "line 7: From: header appears twice"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 6: Call-ID: header appears twice"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: abc OPTIONS\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: not a number followed by a method"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 2147483648 OPTIONS\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: sequence number above 2^31-1"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 36893488147419103232 OPTIONS\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: sequence number above 2^31-1"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: -1 OPTIONS\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: not a number followed by a method"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 1\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: not a number followed by a method"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 1 INVITE\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: method differs from the request line"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 1 options\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: method differs from the request line"},
    {REQ_LINE H_VIA H_FROM H_TO H_CALLID "CSeq: 1 OPTIONS x\r\n\r\n", SYNTH_EPARSE,
     "line 6: CSeq: bad method"},
    {REQ_LINE "Via: SIP/2.0/TLS\r\n" H_FROM H_TO H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 2: Via: malformed"},
    {REQ_LINE "Via: ,\r\n" H_FROM H_TO H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 2: Via: malformed"},
    {REQ_LINE H_VIA H_FROM "To: \"Bob <sip:bob@example.com>\r\n" H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 4: To: malformed"},
    {REQ_LINE H_VIA H_FROM "To: <sip:bob @example.com>\r\n" H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 4: To: malformed"},
    {REQ_LINE H_VIA "f: sip:alice@example.com?x=y;tag=1\r\n" H_TO H_CALLID H_CSEQ "\r\n", SYNTH_EPARSE,
     "line 3: f: malformed"},
    {REQ_LINE H_VIA H_FROM H_TO "Call-ID:  \r\n" H_CSEQ "\r\n", SYNTH_EPARSE, "line 5: Call-ID: empty"},
    {REQ_LINE REQ_HDRS "Expires: soon\r\n\r\n", SYNTH_EPARSE, "line 7: Expires: not a number"},
    {REQ_LINE REQ_HDRS "Contact: <sip:alice@example.com;x=a,b\r\n\r\n", SYNTH_EPARSE,
     "line 7: Contact: unterminated quoted string or <URI>"},
    {REQ_LINE REQ_HDRS "Contact: \"Alice, <sip:alice@example.com>\r\n\r\n", SYNTH_EPARSE,
     "line 7: Contact: unterminated quoted string or <URI>"},
};

static void malformed_messages(void **state)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        for (int dgram = 0; dgram < 2; dgram++) {
            int rc = parse_n(c->text, strlen(c->text), dgram);
            if (rc != c->rc || strcmp(err.msg, c->err) != 0 || used > strlen(c->text)) {
                print_error("case %zu (%s): rc %d \"%s\" used %zu, want %d \"%s\"\n", i,
                            dgram ? "datagram" : "stream", rc, err.msg, used, c->rc, c->err);
                fail();
            }
        }
    }
}

/* *consumed points at the error; NUL bytes are refused anywhere in a header. */
static void error_offsets_and_nul(void **state)
{
    static const char head[] = REQ_LINE H_VIA;
    char m[512];
    int n = snprintf(m, sizeof(m), "%sX-Bin: a%cb\r\n%s\r\n", head, '\0', H_FROM H_TO H_CALLID H_CSEQ);
    assert_int_equal(parse_n(m, (size_t)n, false), SYNTH_EPARSE);
    assert_int_equal(used, strlen(head));
    assert_string_equal(err.msg, "line 3: NUL byte in a header line");
    /* A NUL in a folded continuation line. */
    n = snprintf(m, sizeof(m), "%sSubject: a\r\n %c\r\n%s\r\n", head, '\0', H_FROM H_TO H_CALLID H_CSEQ);
    assert_int_equal(parse_n(m, (size_t)n, false), SYNTH_EPARSE);
    assert_int_equal(used, strlen(head));
    /* ... and in the start line. */
    n = snprintf(m, sizeof(m), "OPTIONS sip:bob@exa%cmple.com SIP/2.0\r\n%s\r\n", '\0', REQ_HDRS);
    assert_int_equal(parse_n(m, (size_t)n, false), SYNTH_EPARSE);
    assert_int_equal(used, strlen("OPTIONS sip:bob@exa"));
    /* Offsets count the keep-alive CRLFs; line numbers do not. */
    const char *k = "\r\n\r\n" REQ_LINE "Bad Header\r\n\r\n";
    assert_int_equal(parse_s(k), SYNTH_EPARSE);
    assert_int_equal(used, strlen("\r\n\r\n" REQ_LINE "Bad "));
    assert_string_equal(err.msg, "line 2: Bad: no colon after the header name");
    /* Detail messages never quote values (credentials live in them). */
    assert_int_equal(parse_s(REQ_LINE REQ_HDRS "Authorization: Digest response=\"s3cret\"\r\n"
                             "Content-Length: s3cret\r\n\r\n"),
                     SYNTH_EPARSE);
    assert_null(strstr(err.msg, "s3cret"));
    /* Without an error struct the code is the same. */
    assert_int_equal(sip_msg_parse(&msg, input, input_len, false, NULL), SYNTH_EPARSE);
}

/* ---- bounds ------------------------------------------------------------- */

/* A request whose Subject line holds `fill` bytes of value. */
static size_t with_long_line(size_t fill, bool terminate)
{
    size_t n = (size_t)sprintf(text, "%sSubject: ", REQ_LINE REQ_HDRS);
    memset(text + n, 'a', fill);
    n += fill;
    if (terminate)
        n += (size_t)sprintf(text + n, "\r\n\r\n");
    return n;
}

static void line_limit(void **state)
{
    size_t name = strlen("Subject: ");
    size_t n = with_long_line(SIP_LINE_MAX - name, true);
    assert_int_equal(parse_n(text, n, false), 0);
    assert_int_equal(sip_msg_hdr_by_name(&msg, "Subject")->value.l, SIP_LINE_MAX - name);
    n = with_long_line(SIP_LINE_MAX - name + 1, true);
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
    assert_int_equal(used, strlen(REQ_LINE REQ_HDRS));
    assert_string_equal(err.msg, "line 7: line longer than SIP_LINE_MAX");
    /* Refused while still arriving: no need to wait for the end of it. */
    n = with_long_line(SIP_LINE_MAX, false);
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
    n = with_long_line(SIP_LINE_MAX - name, false);
    assert_int_equal(parse_n(text, n, false), SYNTH_EINCOMPLETE);
    /* Folded lines count together. */
    n = (size_t)sprintf(text, "%sSubject: ", REQ_LINE REQ_HDRS);
    for (int i = 0; i < 9; i++) {
        memset(text + n, 'b', 1000);
        n += 1000;
        n += (size_t)sprintf(text + n, "\r\n ");
    }
    n += (size_t)sprintf(text + n, "end\r\n\r\n");
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
    /* The start line too. */
    n = (size_t)sprintf(text, "OPTIONS sip:");
    memset(text + n, 'c', SIP_LINE_MAX);
    n += SIP_LINE_MAX;
    n += (size_t)sprintf(text + n, " SIP/2.0\r\n%s\r\n", REQ_HDRS);
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
}

static void header_count_limit(void **state)
{
    /* 5 mandatory values + 91 Route values == SIP_HEADERS_MAX. */
    for (int extra = 0; extra < 2; extra++) {
        char *p = text;
        p += sprintf(p, "%sRoute: ", REQ_LINE REQ_HDRS);
        for (int i = 0; i < SIP_HEADERS_MAX - 5 + extra; i++)
            p += sprintf(p, "%s<sip:p%d.example.com;lr>", i ? ", " : "", i);
        sprintf(p, "\r\n\r\n");
        int rc = parse_s(text);
        if (!extra) {
            assert_int_equal(rc, 0);
            assert_int_equal(msg.hdr_count, SIP_HEADERS_MAX);
            assert_sv(msg.hdrs[SIP_HEADERS_MAX - 1].value, "<sip:p90.example.com;lr>");
        } else {
            assert_int_equal(rc, SYNTH_ETOOBIG);
            assert_string_equal(err.msg, "line 7: Route: more header values than SIP_HEADERS_MAX");
        }
    }
}

/* A request of exactly `total` bytes, its body filling what the headers leave. */
static size_t sized_request(size_t total)
{
    const char *head = REQ_LINE REQ_HDRS "Content-Length: ";
    size_t body = total - strlen(head) - 5 - 4; /* 5 digits, CRLF CRLF */
    size_t n = (size_t)sprintf(text, "%s%05zu\r\n\r\n", head, body);
    memset(text + n, 'x', body);
    return n + body;
}

static void message_limit(void **state)
{
    size_t n = sized_request(SIP_MSG_MAX);
    assert_int_equal(n, SIP_MSG_MAX);
    assert_int_equal(parse_n(text, n, false), 0);
    assert_int_equal(used, SIP_MSG_MAX);
    assert_int_equal(parse_n(text, n, true), 0);
    n = sized_request(SIP_MSG_MAX + 1);
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
    assert_string_equal(err.msg, "line 7: Content-Length: message longer than SIP_MSG_MAX");
    /* Refused from the headers alone, before the body arrives. */
    size_t head = (size_t)(strstr(text, "\r\n\r\n") - text) + 4;
    assert_int_equal(parse_n(text, head, false), SYNTH_ETOOBIG);
    assert_int_equal(parse_n(text, n, true), SYNTH_ETOOBIG);
    assert_string_equal(err.msg, "line 1: datagram longer than SIP_MSG_MAX");
    /* A header section that never ends: refused at SIP_MSG_MAX bytes. */
    n = (size_t)sprintf(text, "%s", REQ_LINE);
    while (n < SIP_MSG_MAX + 100) {
        n += (size_t)sprintf(text + n, "X-Filler: ");
        memset(text + n, 'f', 7990);
        n += 7990;
        n += (size_t)sprintf(text + n, "\r\n");
    }
    assert_int_equal(parse_n(text, SIP_MSG_MAX - 1, false), SYNTH_EINCOMPLETE);
    assert_int_equal(parse_n(text, SIP_MSG_MAX, false), SYNTH_ETOOBIG);
    assert_string_equal(err.msg, "line 10: message longer than SIP_MSG_MAX");
    assert_int_equal(parse_n(text, n, false), SYNTH_ETOOBIG);
    /* Keep-alive CRLFs before a message do not count against it. */
    n = sized_request(SIP_MSG_MAX);
    memmove(text + 2, text, n);
    memcpy(text, "\r\n", 2);
    assert_int_equal(parse_n(text, n + 2, false), 0);
    assert_int_equal(used, SIP_MSG_MAX + 2);
}

/* ---- helpers ------------------------------------------------------------ */

static void addr_parse_forms(void **state)
{
    struct sip_addr a;
    assert_int_equal(sip_addr_parse(&a, sv("\"Alice\" <sip:a@b;x=y>;tag=1")), 0);
    assert_sv(a.display, "Alice");
    assert_sv(a.uri, "sip:a@b;x=y");
    assert_sv(a.params, ";tag=1");
    assert_sv(a.tag, "1");
    /* Bare addr-spec: the params belong to the header (RFC 3261 20.10). */
    assert_int_equal(sip_addr_parse(&a, sv("sip:a@b;tag=1;user=phone")), 0);
    assert_int_equal(a.display.l, 0);
    assert_sv(a.uri, "sip:a@b");
    assert_sv(a.params, ";tag=1;user=phone");
    assert_sv(a.tag, "1");
    assert_int_equal(sip_addr_parse(&a, sv("  sip:a@b  ")), 0);
    assert_sv(a.uri, "sip:a@b");
    assert_null(a.params.p);
    assert_null(a.tag.p);
    assert_int_equal(sip_addr_parse(&a, sv("<sips:a@b?subject=x>")), 0);
    assert_null(a.display.p);
    assert_sv(a.uri, "sips:a@b?subject=x");
    assert_int_equal(sip_addr_parse(&a, sv("Alice Smith\t<tel:+15551234>\r\n ;TAG=\"q;x\"")), 0);
    assert_sv(a.display, "Alice Smith");
    assert_sv(a.uri, "tel:+15551234");
    assert_sv(a.tag, "q;x");
    assert_int_equal(sip_addr_parse(&a, sv("\"\\\"quoted\\\\\" <sip:q@r>")), 0);
    assert_sv(a.display, "\\\"quoted\\\\");
    assert_int_equal(sip_addr_parse(&a, sv("\"a<b>c\"<sip:z@y>")), 0);
    assert_sv(a.display, "a<b>c");
    assert_sv(a.uri, "sip:z@y");
}

static void addr_parse_errors(void **state)
{
    static const char *const bad[] = {
        "",                        /* empty */
        "   ",                     /* whitespace only */
        "*",                       /* Contact: * is not an address */
        "\"Alice <sip:a@b>",       /* unterminated quote */
        "\"Alice\" sip:a@b",       /* quoted display without <> */
        "<sip:a@b",                /* no '>' */
        "<sip:a@b> junk",          /* not a param after '>' */
        "<sip:a @b>",              /* LWS in the URI */
        "<>",                      /* empty URI */
        "<a@b>",                   /* no scheme */
        "Al\"ice <sip:a@b>",       /* quote inside a token display name */
        "sip:a@b,c",               /* comma needs <> */
        "sip:a@b?h=1",             /* '?' needs <> */
        "sip:a @b",                /* LWS in a bare URI */
        "Al\x01ice <sip:a@b>",     /* control character */
        "\"Alice\\\" <sip:a@b>",   /* escaped closing quote */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sip_addr a;
        if (sip_addr_parse(&a, sv(bad[i])) != SYNTH_EPARSE) {
            print_error("accepted \"%s\"\n", bad[i]);
            fail();
        }
    }
    struct sip_addr a;
    assert_int_equal(sip_addr_parse(&a, STRV_NULL), SYNTH_EPARSE);
}

static void via_parse(void **state)
{
    struct sip_via v;
    assert_int_equal(sip_via_parse(&v, sv("SIP/2.0/UDP pc33.example.com:5066;branch=z9hG4bK776;received=192.0.2.9;rport=5066;maddr=x")), 0);
    assert_sv(v.transport, "UDP");
    assert_sv(v.host, "pc33.example.com");
    assert_int_equal(v.port, 5066);
    assert_sv(v.params, ";branch=z9hG4bK776;received=192.0.2.9;rport=5066;maddr=x");
    assert_sv(v.branch, "z9hG4bK776");
    assert_sv(v.received, "192.0.2.9");
    assert_true(v.has_rport);
    assert_int_equal(v.rport, 5066);
    assert_int_equal(sip_via_parse(&v, sv("sip / 2.0 / tls\r\n\t192.0.2.1 ; RPORT ; Branch=\"z9hG4bK q\"")), 0);
    assert_sv(v.transport, "tls");
    assert_sv(v.host, "192.0.2.1");
    assert_int_equal(v.port, 0);
    assert_true(v.has_rport);
    assert_int_equal(v.rport, 0);
    assert_sv(v.branch, "z9hG4bK q");
    assert_null(v.received.p);
    assert_int_equal(sip_via_parse(&v, sv("SIP/2.0/WSS [::1]")), 0);
    assert_sv(v.host, "::1");
    assert_null(v.params.p);
    assert_false(v.has_rport);
    static const char *const bad[] = {
        "SIP/2.0/UDP",                /* no sent-by */
        "SIP/2.0/UDP ",               /* no sent-by */
        "SIP/2.0 UDP host",           /* missing slash */
        "HTTP/2.0/UDP host",          /* not SIP */
        "SIP/3.0/UDP host",           /* version */
        "SIP/2.0/UDPhost",            /* no LWS before sent-by */
        "SIP/2.0/UDP host:0",         /* port 0 */
        "SIP/2.0/UDP host:65536",     /* port range */
        "SIP/2.0/UDP host:",          /* empty port */
        "SIP/2.0/UDP host junk",      /* not a param */
        "SIP/2.0/UDP [::1",           /* unterminated IPv6 */
        "SIP/2.0/UDP [1.2.3.4]",      /* not IPv6 */
        "SIP/2.0/UDP host;rport=abc", /* bad rport */
        "SIP/2.0/UDP host;rport=0",   /* rport 0 */
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sip_via_parse(&v, sv(bad[i])) != SYNTH_EPARSE) {
            print_error("accepted \"%s\"\n", bad[i]);
            fail();
        }
    }
}

static void param_get(void **state)
{
    struct strv params = sv(";transport=TLS ; lr;Expires = 60;q=\"a;b\\\"c\"; maddr=1.2.3.4;flag");
    struct strv v;
    assert_true(sip_param_get(params, "transport", &v));
    assert_sv(v, "TLS");
    assert_true(sip_param_get(params, "LR", &v));
    assert_non_null(v.p);
    assert_int_equal(v.l, 0);
    assert_true(sip_param_get(params, "expires", &v));
    assert_sv(v, "60");
    assert_true(sip_param_get(params, "Q", &v));
    assert_sv(v, "a;b\\\"c");
    assert_true(sip_param_get(params, "maddr", &v));
    assert_sv(v, "1.2.3.4");
    assert_true(sip_param_get(params, "flag", NULL));
    assert_false(sip_param_get(params, "fla", &v));
    assert_false(sip_param_get(params, "b", &v)); /* inside a quoted value */
    assert_false(sip_param_get(params, "ransport", &v));
    assert_false(sip_param_get(STRV_NULL, "lr", &v));
    /* The first occurrence wins; a value may be empty. */
    params = sv(";tag=1;tag=2;e=;x");
    assert_true(sip_param_get(params, "tag", &v));
    assert_sv(v, "1");
    assert_true(sip_param_get(params, "e", &v));
    assert_int_equal(v.l, 0);
    /* An unterminated quoted value runs to the end. */
    params = sv(";a=\"open");
    assert_true(sip_param_get(params, "a", &v));
    assert_sv(v, "open");
}

static void uri_parse(void **state)
{
    struct sip_uri u;
    assert_int_equal(sip_uri_parse(&u, sv("sip:alice:secret@atlanta.example.com:5061;transport=tls;lr?subject=hi&priority=urgent")), 0);
    assert_sv(u.scheme, "sip");
    assert_sv(u.user, "alice");
    assert_sv(u.host, "atlanta.example.com");
    assert_int_equal(u.port, 5061);
    assert_sv(u.params, ";transport=tls;lr");
    assert_sv(u.headers, "subject=hi&priority=urgent");
    struct strv t;
    assert_true(sip_param_get(u.params, "transport", &t));
    assert_sv(t, "tls");
    assert_int_equal(sip_uri_parse(&u, sv("SIPS:%61lice%40home;day=tue@[2001:db8::1]:5061")), 0);
    assert_sv(u.scheme, "SIPS");
    assert_sv(u.user, "%61lice%40home;day=tue");
    assert_sv(u.host, "2001:db8::1");
    assert_int_equal(u.port, 5061);
    assert_null(u.params.p);
    assert_int_equal(sip_uri_parse(&u, sv("sip:+1-212-555-1212@gw.example.com;user=phone")), 0);
    assert_sv(u.user, "+1-212-555-1212");
    assert_sv(u.params, ";user=phone");
    assert_int_equal(sip_uri_parse(&u, sv("sip:192.0.2.1")), 0);
    assert_null(u.user.p);
    assert_sv(u.host, "192.0.2.1");
    assert_int_equal(u.port, 0);
    assert_int_equal(sip_uri_parse(&u, sv("sip:host?")), 0);
    assert_int_equal(u.headers.l, 0);
    assert_non_null(u.headers.p);
    assert_int_equal(sip_uri_parse(&u, sv("tel:+15551234")), SYNTH_EUNSUPPORTED);
    assert_int_equal(sip_uri_parse(&u, sv("im:alice@example.com")), SYNTH_EUNSUPPORTED);
    static const char *const bad[] = {
        "", "sip", "sip:", "sip:@host", "sip:alice@", "sip:alice@host:", "sip:host:0",
        "sip:host:99999", "sip:al%4ice@host", "sip:al%4", "sip:ali ce@host", "sip:[::1",
        "sip:host junk", "sip:host:5060x", "sip:<host>", "1sip:host", "sip:al#ice@host",
        "sip:alice:pa\"ss@host", "sip:[]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sip_uri_parse(&u, sv(bad[i])) != SYNTH_EPARSE) {
            print_error("accepted \"%s\"\n", bad[i]);
            fail();
        }
    }
    assert_int_equal(sip_uri_parse(&u, STRV_NULL), SYNTH_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invite_with_body),
        cmocka_unit_test(response_with_record_route),
        cmocka_unit_test(compact_forms),
        cmocka_unit_test(header_name_table),
        cmocka_unit_test(folding),
        cmocka_unit_test(odd_whitespace),
        cmocka_unit_test(multiple_values),
        cmocka_unit_test(contact_list_with_commas),
        cmocka_unit_test(unsplit_headers),
        cmocka_unit_test(bare_lf_lines),
        cmocka_unit_test(many_vias),
        cmocka_unit_test(escaped_display_name),
        cmocka_unit_test(ipv6_addresses),
        cmocka_unit_test(unknown_and_empty_headers),
        cmocka_unit_test(status_line_variants),
        cmocka_unit_test(cseq_and_expires_values),
        cmocka_unit_test(keepalive_crlf),
        cmocka_unit_test(every_prefix_is_incomplete),
        cmocka_unit_test(back_to_back_in_one_buffer),
        cmocka_unit_test(datagram_framing),
        cmocka_unit_test(malformed_messages),
        cmocka_unit_test(error_offsets_and_nul),
        cmocka_unit_test(line_limit),
        cmocka_unit_test(header_count_limit),
        cmocka_unit_test(message_limit),
        cmocka_unit_test(addr_parse_forms),
        cmocka_unit_test(addr_parse_errors),
        cmocka_unit_test(via_parse),
        cmocka_unit_test(param_get),
        cmocka_unit_test(uri_parse),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
