/* Fuzz target: the NTLM CHALLENGE parser (synth/ntlm/ntlm_msg.c) over
 * arbitrary bytes, and what a client then does with a challenge that parsed:
 * the AUTHENTICATE message is written and its session signs a SIP buffer;
 * and the server's side: the same bytes as an AUTHENTICATE, parsed and
 * checked against a CHALLENGE as the lab's Front End does. */
#include "synth/ntlm/ntlm_msg.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct ntlm_view v, const uint8_t *data, size_t size)
{
    if (v.p && (v.p < data || v.len > size || v.p > data + size - v.len))
        __builtin_trap();
}

static void server_side(const uint8_t *data, size_t size)
{
    struct ntlm_authenticate a;
    if (ntlm_authenticate_parse(&a, data, size) != 0)
        return;
    inside(a.nt, data, size);
    inside(a.user, data, size);
    inside(a.session_key, data, size);
    static const uint8_t chal[56] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 2};
    struct ntlm_session s;
    if (ntlm_authenticate_check(&a, data, size, chal, sizeof(chal), "pw", &s) == 0)
        ntlm_session_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntlm_challenge ch;
    server_side(data, size);
    if (ntlm_challenge_parse(&ch, data, size) != 0)
        return 0;
    inside(ch.target_name, data, size);
    inside(ch.target_info, data, size);
    inside(ch.dns_computer, data, size);
    inside(ch.av_target_name, data, size);

    static uint8_t out[NTLM_MSG_MAX];
    size_t out_len = 0;
    struct ntlm_session s;
    struct ntlm_auth_input in = {
        .flags = 0x62988255, .user = "alice", .domain = "CONTOSO", .workstation = "SYNTH",
        .password = "pw",
    };
    int rc = ntlm_authenticate_write(&ch, data, size, &in, out, sizeof(out), &out_len, &s);
    if (rc == 0) {
        if (out_len < 72 || out_len > sizeof(out))
            __builtin_trap();
        uint8_t sig[NTLM_SIGNATURE_LEN];
        static const uint8_t buf[] = "<NTLM><1><1><SIP Communications Service><t>";
        if (ntlm_mac(&s.client, NULL, 100, 0, buf, sizeof(buf) - 1, sig) != 0 ||
            !ntlm_mac_verify(&s.client, NULL, 100, buf, sizeof(buf) - 1, sig))
            __builtin_trap();
        ntlm_session_clear(&s);
    } else if (rc != SYNTH_ETOOBIG) {
        __builtin_trap(); /* only a target info too big to answer may fail */
    }
    return 0;
}
