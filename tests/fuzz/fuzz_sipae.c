/* Fuzz target: the [MS-SIPAE] header parsers (synth/sip/sipae.c) over
 * arbitrary bytes as a header value, and, when the bytes are a SIP message,
 * what a client does with it: the schemes offered listed, the SA fed the
 * 401/407 (an NTLM CHALLENGE in gssapi-data is answered), the next
 * Authorization written, and a signature checked. */
#include "synth/sip/sipae.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct strv v, struct strv in)
{
    if (v.p && (v.p < in.p || v.l > in.l || v.p > in.p + in.l - v.l))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strv v = strv_make((const char *)data, size);
    struct sipae_challenge ch;
    struct sipae_auth_info ai;
    if (sipae_challenge_parse(&ch, v) == 0) {
        inside(ch.realm, v);
        inside(ch.gssapi_data, v);
    }
    if (sipae_auth_info_parse(&ai, v) == 0)
        inside(ai.rspauth, v);
    struct sipae_client_auth ca;
    if (sipae_client_auth_parse(&ca, v) == 0) {
        inside(ca.opaque, v);
        inside(ca.gssapi_data, v);
        inside(ca.response, v);
    }

    struct sip_msg m;
    size_t used = 0;
    if (sip_msg_parse(&m, (const char *)data, size, true, &used) != 0)
        return 0;
    static char buf[SIPAE_SIG_MAX], line[SIPAE_TOKEN_MAX + 1024];
    static struct sipae_sa sa;
    struct sbuf sb;
    struct synth_error e;
    sipae_offered_schemes(&m, buf, sizeof(buf));
    sbuf_init(&sb, buf, sizeof(buf));
    (void)sipae_sig_buffer(&sb, &m, 4, strv_from_cstr("NTLM"), strv_from_cstr("1"),
                           strv_from_cstr("1"), strv_from_cstr("r"), strv_from_cstr("t"));
    struct sipae_credentials cr = {.login = "CONTOSO\\alice", .password = "pw"};
    sipae_sa_init(&sa, 0);
    /* A challenge with gssapi-data needs a negotiation under way first. */
    sa.state = SIPAE_SA_NEGOTIATING;
    if (m.status == 401 || m.status == 407) {
        const struct sip_hdr *h = sip_msg_hdr(&m, m.status == 407 ? SIP_HDR_PROXY_AUTHENTICATE
                                                                   : SIP_HDR_WWW_AUTHENTICATE,
                                              NULL);
        if (h && sipae_challenge_parse(&ch, h->value) == 0 && ch.scheme == SIPAE_SCHEME_NTLM) {
            strv_copy(ch.realm, sa.realm, sizeof(sa.realm));
            strv_copy(ch.targetname, sa.targetname, sizeof(sa.targetname));
        }
    }
    if (sipae_sa_on_challenge(&sa, &m, &cr, 0, &e) == 0) {
        sbuf_init(&sb, line, sizeof(line));
        int rc = sipae_authorization(&sa, &sb, &m, NULL, &e);
        if (rc != 0 && rc != SYNTH_ETOOBIG)
            __builtin_trap(); /* an SA that took the challenge can answer it */
    }
    if (sa.state == SIPAE_SA_ESTABLISHED)
        (void)sipae_sa_verify(&sa, &m, &e);
    sipae_sa_reset(&sa);
    return 0;
}
