/* Fuzz target: SIP Digest challenge and credentials parsers (synth/sip/digest.c)
 * over arbitrary bytes, and what a client and the lab registrar then do with
 * what parsed: the Authorization is computed and the credentials verified. */
#include "synth/sip/digest.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strv v = strv_make((const char *)data, size);
    struct digest_challenge ch;
    struct digest_credentials c;
    char buf[4 * DIGEST_VALUE_MAX];
    struct sbuf sb;

    if (digest_challenge_parse(&ch, v) == 0) {
        /* Views must stay inside the input. */
        if (ch.realm.p < v.p || ch.realm.p + ch.realm.l > v.p + v.l)
            __builtin_trap();
        sbuf_init(&sb, buf, sizeof(buf));
        if (digest_authorization(&sb, &ch, "REGISTER", "sip:contoso.com", "alice", "pw", 1,
                                 "0a4f113b") != 0)
            __builtin_trap(); /* any challenge that parsed can be answered */
        /* Our answer parses back on the server side and verifies. */
        if (digest_credentials_parse(&c, strv_make(buf, sb.len)) != 0 ||
            !digest_verify(&c, "REGISTER", "pw"))
            __builtin_trap();
        (void)digest_challenge_pick(&ch, 1);
    }
    if (digest_credentials_parse(&c, v) == 0)
        (void)digest_verify(&c, "REGISTER", "pw");
    return 0;
}
