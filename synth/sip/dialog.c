/* UAC dialogs (RFC 3261 12). */
#include "dialog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dialog *dialog_new(const char *call_id, const char *local_uri, const char *local_tag,
                          const char *remote_uri, uint32_t invite_cseq)
{
    struct dialog *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    /* Truncation keeps what fits, as before; a dialog per call makes
     * these copies hot, so no printf. */
    (void)strv_copy(strv_from_cstr(call_id), d->call_id, sizeof(d->call_id));
    (void)strv_copy(strv_from_cstr(local_uri), d->local_uri, sizeof(d->local_uri));
    (void)strv_copy(strv_from_cstr(local_tag), d->local_tag, sizeof(d->local_tag));
    (void)strv_copy(strv_from_cstr(remote_uri), d->remote_uri, sizeof(d->remote_uri));
    d->invite_cseq = invite_cseq;
    d->local_cseq = invite_cseq;
    return d;
}

void dialog_free(struct dialog *d)
{
    free(d);
}

/* 12.1.2: the route set is the Record-Route list in reverse order. */
static int reverse_routes(struct dialog *d, const struct sip_msg *resp)
{
    const struct sip_hdr *rr[SIP_HEADERS_MAX];
    size_t n = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_RECORD_ROUTE, NULL); h;
         h = sip_msg_hdr(resp, SIP_HDR_RECORD_ROUTE, h))
        rr[n++] = h;
    struct sbuf sb;
    sbuf_init(&sb, d->routes, sizeof(d->routes));
    while (n > 0) {
        n--;
        sbuf_put_strv(&sb, rr[n]->value);
        if (n > 0)
            sbuf_puts(&sb, ", ");
    }
    return sbuf_result(&sb);
}

int dialog_confirm(struct dialog *d, const struct sip_msg *resp)
{
    if (!strv_isset(resp->to.tag) || resp->to.tag.l == 0)
        return SYNTH_EPARSE;
    const struct sip_hdr *c = sip_msg_hdr(resp, SIP_HDR_CONTACT, NULL);
    struct sip_addr contact;
    if (!c || sip_addr_parse(&contact, c->value) != 0)
        return SYNTH_EPARSE;
    if (strv_copy(resp->to.tag, d->remote_tag, sizeof(d->remote_tag)) != 0 ||
        strv_copy(contact.uri, d->remote_target, sizeof(d->remote_target)) != 0)
        return SYNTH_ETOOBIG;
    int rc = reverse_routes(d, resp);
    if (rc != 0)
        return rc;
    d->confirmed = true;
    return 0;
}

void dialog_request(struct dialog *d, const char *method, struct sip_request_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->method = method;
    /* 12.2.1.1: with a loose-routing route set the Request-URI is the remote target. */
    spec->ruri = d->remote_target;
    spec->from = d->local_uri;
    spec->from_tag = d->local_tag;
    spec->to = d->remote_uri;
    spec->to_tag = d->remote_tag;
    spec->call_id = d->call_id;
    spec->cseq = strcmp(method, "ACK") == 0 ? d->invite_cseq : ++d->local_cseq;
    spec->routes = d->routes[0] ? d->routes : NULL;
    spec->expires = -1;
}

bool dialog_matches(const struct dialog *d, const struct sip_msg *msg)
{
    if (!strv_eq(msg->call_id, d->call_id))
        return false;
    /* In a request from the far end the roles swap: its From tag is our remote tag. */
    const struct strv theirs = msg->is_request ? msg->from.tag : msg->to.tag;
    const struct strv ours = msg->is_request ? msg->to.tag : msg->from.tag;
    return strv_eq(ours, d->local_tag) && (!d->confirmed || strv_eq(theirs, d->remote_tag));
}
