/* Fuzz target: MRAS request and response bodies (synth/sip/mras.c) and the
 * XML scanner under them, over arbitrary bytes; whatever parses is built
 * again and must parse back to the same credentials. */
#include "synth/sip/mras.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[4 * MRAS_BODY_MAX];
    struct mras_response r, r2;
    struct mras_request q, q2;
    struct sbuf sb;
    char why[128];

    if (mras_response_parse((const char *)data, size, &r, why, sizeof(why)) == 0) {
        sbuf_init(&sb, buf, sizeof(buf));
        if (mras_response_build(&sb, &r) == 0 &&
            (mras_response_parse(sb.buf, sb.len, &r2, why, sizeof(why)) != 0 ||
             strcmp(r.username, r2.username) != 0 || strcmp(r.password, r2.password) != 0 ||
             r.relay_count != r2.relay_count))
            __builtin_trap();
    }
    if (mras_request_parse((const char *)data, size, &q, why, sizeof(why)) == 0) {
        sbuf_init(&sb, buf, sizeof(buf));
        if (mras_request_build(&sb, &q) == 0 &&
            (mras_request_parse(sb.buf, sb.len, &q2, why, sizeof(why)) != 0 ||
             strcmp(q.request_id, q2.request_id) != 0 || q.duration_min != q2.duration_min))
            __builtin_trap();
    }
    return 0;
}
