/* Fuzz target for the SIP message parser (synth/sip/msg.c): each input is
 * parsed as a datagram and as a stream (back-to-back messages included),
 * the value helpers run over every header, and the invariants a transport
 * relies on are checked: views stay inside the input, the two modes agree
 * on what is a message, and a strict prefix of a message is incomplete. */
#include "synth/sip/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Messages parsed from one stream input before giving up (each one is at
 * least a start line, so a long input of tiny garbage stays bounded). */
#define FUZZ_STREAM_MSGS 64

static struct sip_msg dgram_msg, stream_msg, prefix_msg;

static void check_view(struct strv v, const uint8_t *data, size_t size)
{
    if (!v.p) {
        if (v.l)
            abort();
        return;
    }
    uintptr_t p = (uintptr_t)v.p, lo = (uintptr_t)data;
    if (p < lo || p + v.l > lo + size)
        abort();
}

static void run_helpers(struct strv value, const uint8_t *data, size_t size)
{
    struct sip_addr addr;
    struct sip_via via;
    struct sip_uri uri;
    struct strv v;

    if (sip_addr_parse(&addr, value) == 0) {
        check_view(addr.display, data, size);
        check_view(addr.uri, data, size);
        check_view(addr.params, data, size);
        check_view(addr.tag, data, size);
        if (sip_uri_parse(&uri, addr.uri) == 0) {
            check_view(uri.user, data, size);
            check_view(uri.host, data, size);
            check_view(uri.params, data, size);
            check_view(uri.headers, data, size);
            if (sip_param_get(uri.params, "transport", &v))
                check_view(v, data, size);
        }
        if (sip_param_get(addr.params, "expires", &v))
            check_view(v, data, size);
    }
    if (sip_via_parse(&via, value) == 0) {
        check_view(via.transport, data, size);
        check_view(via.host, data, size);
        check_view(via.branch, data, size);
        check_view(via.received, data, size);
        check_view(via.params, data, size);
    }
    if (sip_uri_parse(&uri, value) == 0)
        check_view(uri.host, data, size);
    if (sip_param_get(value, "tag", &v))
        check_view(v, data, size);
}

static void check_msg(const struct sip_msg *m, const uint8_t *data, size_t size)
{
    check_view(m->method, data, size);
    check_view(m->ruri, data, size);
    check_view(m->reason, data, size);
    check_view(m->call_id, data, size);
    check_view(m->cseq_method, data, size);
    check_view(m->body, data, size);
    check_view(m->raw, data, size);
    if (m->hdr_count > SIP_HEADERS_MAX || m->raw.l > SIP_MSG_MAX)
        abort();
    if (m->is_request ? !m->method.l : (m->status < 100 || m->status > 699))
        abort();
    for (size_t i = 0; i < m->hdr_count; i++) {
        const struct sip_hdr *h = &m->hdrs[i];
        check_view(h->name, data, size);
        check_view(h->value, data, size);
        run_helpers(h->value, data, size);
        /* Every header can be found again by its own name. */
        char name[64];
        if (strv_copy(h->name, name, sizeof(name)) == 0 && !sip_msg_hdr_by_name(m, name))
            abort();
        if (h->id != SIP_HDR_OTHER && sip_msg_hdr(m, h->id, NULL) > h)
            abort();
    }
}

/* A strict prefix of a message a stream accepted can only mean "wait". The
 * prefix is an exact-size copy so ASan sees any read past it. */
static void check_prefix(const uint8_t *data, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    size_t used;
    if (!copy)
        return;
    memcpy(copy, data, n);
    if (sip_msg_parse(&prefix_msg, (const char *)copy, n, false, &used) != SYNTH_EINCOMPLETE)
        abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t used_d = 0, used_s = 0;

    int rc_d = sip_msg_parse(&dgram_msg, buf, size, true, &used_d);
    if (used_d > size)
        abort();
    if (rc_d == 0)
        check_msg(&dgram_msg, data, size);

    struct synth_error err;
    err.msg[0] = '\0';
    int rc_s = sip_msg_parse_err(&stream_msg, buf, size, false, &used_s, &err);
    if (used_s > size || (rc_s != 0 && strncmp(err.msg, "line ", 5) != 0))
        abort();
    /* The modes differ only in framing: both accept or both refuse. */
    if ((rc_d == 0) != (rc_s == 0))
        abort();
    if (rc_s == 0) {
        if (used_s == 0 || stream_msg.hdr_count != dgram_msg.hdr_count)
            abort();
        check_prefix(data, used_s - 1);
        check_prefix(data, used_s / 2);
    }

    /* The rest of the stream, as a transport would consume it. */
    size_t off = 0;
    for (int i = 0; i < FUZZ_STREAM_MSGS && off < size; i++) {
        size_t used = 0;
        int rc = sip_msg_parse(&stream_msg, buf + off, size - off, false, &used);
        if (used > size - off)
            abort();
        if (rc != 0)
            break;
        check_msg(&stream_msg, data, size);
        off += used;
    }

    /* The helpers on raw bytes, whatever the message parser thought. */
    run_helpers(strv_make(buf, size), data, size);
    return 0;
}
