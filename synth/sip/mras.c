/* MRAS bodies ([MS-AVEDGEA] 2.2.3.1: request, credentialsRequest;
 * 2.2.3.1.3.2 credentialsResponse with credentials and mediaRelayList). */
#include "synth/sip/mras.h"

#include "synth/base/err.h"
#include "synth/base/xml_scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MRAS_NS "http://schemas.microsoft.com/2006/09/sip/mrasp"
/* Escaped text: at worst 6 bytes per character of a MRAS_TEXT_MAX field. */
#define MRAS_ESCAPED_MAX (6 * MRAS_TEXT_MAX)

const char *mras_location_name(enum mras_location l)
{
    return l == MRAS_LOCATION_INTRANET ? "intranet" : "internet";
}

static void put_escaped(struct sbuf *sb, const char *s)
{
    char esc[MRAS_ESCAPED_MAX];
    if (xml_scan_escape(s, esc, sizeof(esc)) == SIZE_MAX) {
        sb->overflow = true; /* a field past MRAS_TEXT_MAX cannot be sent */
        return;
    }
    sbuf_puts(sb, esc);
}

/* <tag>text</tag> with text escaped. */
static void put_elem(struct sbuf *sb, const char *tag, const char *text)
{
    sbuf_printf(sb, "<%s>", tag);
    put_escaped(sb, text);
    sbuf_printf(sb, "</%s>", tag);
}

static void put_attr(struct sbuf *sb, const char *name, const char *value)
{
    sbuf_printf(sb, " %s=\"", name);
    put_escaped(sb, value);
    sbuf_puts(sb, "\"");
}

int mras_request_build(struct sbuf *sb, const struct mras_request *r)
{
    sbuf_puts(sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?><request");
    put_attr(sb, "requestID", r->request_id);
    put_attr(sb, "version", "1.0");
    put_attr(sb, "to", r->to);
    put_attr(sb, "from", r->from);
    sbuf_puts(sb, " xmlns=\"" MRAS_NS "\"><credentialsRequest");
    put_attr(sb, "credentialsRequestID", r->credentials_request_id);
    sbuf_puts(sb, ">");
    put_elem(sb, "identity", r->identity);
    put_elem(sb, "location", mras_location_name(r->location));
    sbuf_printf(sb, "<duration>%" PRIu32 "</duration></credentialsRequest></request>",
                r->duration_min);
    return sbuf_result(sb);
}

int mras_response_build(struct sbuf *sb, const struct mras_response *r)
{
    sbuf_puts(sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?><response");
    put_attr(sb, "requestID", r->request_id);
    put_attr(sb, "version", "1.0");
    put_attr(sb, "serverVersion", "2.0");
    put_attr(sb, "reasonPhrase", r->reason[0] ? r->reason : "OK");
    sbuf_puts(sb, " xmlns=\"" MRAS_NS "\"><credentialsResponse");
    put_attr(sb, "credentialsRequestID", r->credentials_request_id);
    sbuf_puts(sb, "><credentials>");
    put_elem(sb, "username", r->username);
    put_elem(sb, "password", r->password);
    sbuf_printf(sb, "<duration>%" PRIu32 "</duration>", r->duration_min);
    if (r->realm[0])
        put_elem(sb, "realm", r->realm);
    sbuf_puts(sb, "</credentials><mediaRelayList>");
    for (size_t i = 0; i < r->relay_count && i < MRAS_RELAYS_MAX; i++) {
        const struct mras_relay *m = &r->relays[i];
        sbuf_puts(sb, "<mediaRelay>");
        put_elem(sb, "location", mras_location_name(m->location));
        put_elem(sb, "hostName", m->host);
        if (m->udp_port)
            sbuf_printf(sb, "<udpPort>%u</udpPort>", m->udp_port);
        if (m->tcp_port)
            sbuf_printf(sb, "<tcpPort>%u</tcpPort>", m->tcp_port);
        sbuf_puts(sb, "</mediaRelay>");
    }
    sbuf_puts(sb, "</mediaRelayList></credentialsResponse></response>");
    return sbuf_result(sb);
}

static int fail(char *why, size_t size, const char *what)
{
    if (size)
        snprintf(why, size, "%s", what);
    return SYNTH_EPARSE;
}

/* A required text field: "what: missing" or "what: too long or malformed". */
static int need_text(int rc, char *why, size_t why_size, const char *what)
{
    char msg[96];
    if (rc == 0)
        return 0;
    snprintf(msg, sizeof(msg), "%s: %s", what,
             rc == SYNTH_ENOTFOUND ? "missing" : "too long or malformed");
    return fail(why, why_size, msg);
}

static int parse_u32(struct strv in, const char *name, uint32_t max, uint32_t *out, bool required,
                     char *why, size_t why_size)
{
    char text[16];
    int rc = xml_scan_child_text(in, name, text, sizeof(text));
    if (rc == SYNTH_ENOTFOUND && !required)
        return 0;
    uint32_t v;
    if (rc != 0 || strv_to_u32(strv_from_cstr(text), &v) != 0 || v > max)
        return need_text(rc ? rc : SYNTH_EPARSE, why, why_size, name);
    *out = v;
    return 0;
}

static int parse_location(struct strv in, enum mras_location *out, char *why, size_t why_size)
{
    char text[16];
    int rc = xml_scan_child_text(in, "location", text, sizeof(text));
    if (rc == 0 && strcmp(text, "intranet") == 0)
        *out = MRAS_LOCATION_INTRANET;
    else if (rc == 0 && strcmp(text, "internet") == 0)
        *out = MRAS_LOCATION_INTERNET;
    else
        return need_text(rc ? rc : SYNTH_EPARSE, why, why_size, "location");
    return 0;
}

int mras_request_parse(const char *buf, size_t len, struct mras_request *out, char *why,
                       size_t why_size)
{
    struct xml_elem req, creds;
    memset(out, 0, sizeof(*out));
    if (len > MRAS_BODY_MAX)
        return fail(why, why_size, "body larger than MRAS_BODY_MAX");
    if (!xml_scan_find(strv_make(buf, len), "request", &req))
        return fail(why, why_size, "no <request> element");
    int rc = need_text(xml_scan_attr_text(req.attrs, "requestID", out->request_id,
                                          sizeof(out->request_id)),
                       why, why_size, "request.requestID");
    if (rc == 0)
        xml_scan_attr_text(req.attrs, "from", out->from, sizeof(out->from));
    if (rc == 0)
        xml_scan_attr_text(req.attrs, "to", out->to, sizeof(out->to));
    if (rc == 0 && !xml_scan_find(req.content, "credentialsRequest", &creds))
        rc = fail(why, why_size, "no <credentialsRequest> element");
    if (rc == 0)
        rc = need_text(xml_scan_attr_text(creds.attrs, "credentialsRequestID",
                                          out->credentials_request_id,
                                          sizeof(out->credentials_request_id)),
                       why, why_size, "credentialsRequest.credentialsRequestID");
    if (rc == 0)
        xml_scan_child_text(creds.content, "identity", out->identity, sizeof(out->identity));
    if (rc == 0)
        rc = parse_location(creds.content, &out->location, why, why_size);
    if (rc == 0)
        rc = parse_u32(creds.content, "duration", UINT32_MAX, &out->duration_min, true, why,
                       why_size);
    return rc;
}

static int parse_relay(struct strv in, struct mras_relay *m, char *why, size_t why_size)
{
    int rc = parse_location(in, &m->location, why, why_size);
    if (rc != 0)
        return rc;
    rc = xml_scan_child_text(in, "hostName", m->host, sizeof(m->host));
    if (rc == SYNTH_ENOTFOUND)
        rc = xml_scan_child_text(in, "directIPAddress", m->host, sizeof(m->host));
    rc = need_text(rc, why, why_size, "mediaRelay.hostName");
    uint32_t udp = 0, tcp = 0;
    if (rc == 0)
        rc = parse_u32(in, "udpPort", 65535, &udp, false, why, why_size);
    if (rc == 0)
        rc = parse_u32(in, "tcpPort", 65535, &tcp, false, why, why_size);
    m->udp_port = (uint16_t)udp;
    m->tcp_port = (uint16_t)tcp;
    return rc;
}

static int parse_relays(struct strv list, struct mras_response *out, char *why, size_t why_size)
{
    struct xml_elem relay;
    while (out->relay_count < MRAS_RELAYS_MAX && xml_scan_find(list, "mediaRelay", &relay)) {
        int rc = parse_relay(relay.content, &out->relays[out->relay_count], why, why_size);
        if (rc != 0)
            return rc;
        out->relay_count++;
        /* Past this element's end; content is followed by its closing tag. */
        const char *next = relay.content.p + relay.content.l;
        list = strv_make(next, (size_t)(list.p + list.l - next));
    }
    return 0;
}

int mras_response_parse(const char *buf, size_t len, struct mras_response *out, char *why,
                        size_t why_size)
{
    struct xml_elem resp, cr, creds, list;
    memset(out, 0, sizeof(*out));
    if (len > MRAS_BODY_MAX)
        return fail(why, why_size, "body larger than MRAS_BODY_MAX");
    if (!xml_scan_find(strv_make(buf, len), "response", &resp))
        return fail(why, why_size, "no <response> element");
    xml_scan_attr_text(resp.attrs, "requestID", out->request_id, sizeof(out->request_id));
    xml_scan_attr_text(resp.attrs, "reasonPhrase", out->reason, sizeof(out->reason));
    if (!xml_scan_find(resp.content, "credentialsResponse", &cr))
        return fail(why, why_size, "no <credentialsResponse> element");
    xml_scan_attr_text(cr.attrs, "credentialsRequestID", out->credentials_request_id,
                       sizeof(out->credentials_request_id));
    if (!xml_scan_find(cr.content, "credentials", &creds))
        return fail(why, why_size, "no <credentials> element");
    int rc = need_text(xml_scan_child_text(creds.content, "username", out->username,
                                           sizeof(out->username)),
                       why, why_size, "credentials.username");
    if (rc == 0)
        rc = need_text(xml_scan_child_text(creds.content, "password", out->password,
                                           sizeof(out->password)),
                       why, why_size, "credentials.password");
    if (rc == 0)
        rc = parse_u32(creds.content, "duration", UINT32_MAX, &out->duration_min, true, why,
                       why_size);
    if (rc == 0)
        xml_scan_child_text(creds.content, "realm", out->realm, sizeof(out->realm));
    if (rc == 0 && xml_scan_find(cr.content, "mediaRelayList", &list))
        rc = parse_relays(list.content, out, why, why_size);
    if (rc != 0)
        memset(out->password, 0, sizeof(out->password));
    return rc;
}
