/* Fuzz target for the MS-TURN dialect of the STUN codec
 * (synth/turn/msturn_msg.c): each input is parsed as an MS-TURN datagram
 * and as a stream; every typed accessor runs over every attribute and the
 * integrity is checked with a fixed key. Invariants: views stay inside the
 * input, an accepted message starts with the MAGIC-COOKIE, the two modes
 * agree, and what was accepted re-encodes attribute by attribute (through
 * the dialect's number translation) to a message that parses again with
 * the same types. The input's start is also read as a pseudo-TLS record
 * (pseudo_tls.c), as the relay and the client read a TCP connection's
 * first bytes. */
#include "synth/turn/msturn_msg.h"
#include "synth/turn/pseudo_tls.h"
#include "synth/base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct stun_msg dgram_msg, stream_msg, again_msg;
static uint8_t out[STUN_MSG_MAX];

static void check_span(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)data;
    if (n && (a < lo || a + n > lo + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* [MS-TURN] 2.1 TCP framing: a stream of frames split as the client and
 * the relay split it; each frame stays inside the input, its header
 * rewritten from its type and length is the input's, and its control
 * payload goes through the message parser. */
static void check_tcp_frames(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        enum msturn_tcp_type type;
        size_t frame = 0, used = 0;
        if (msturn_tcp_frame(data + off, size - off, &type, &frame) != 0 || frame > size - off)
            return;
        if (frame < MSTURN_TCP_HEADER_LEN || frame > MSTURN_TCP_HEADER_LEN + STUN_MSG_MAX)
            abort();
        uint8_t hdr[MSTURN_TCP_HEADER_LEN];
        if (msturn_tcp_header(hdr, type, frame - MSTURN_TCP_HEADER_LEN) != 0 ||
            memcmp(hdr, data + off, sizeof(hdr)) != 0)
            abort();
        if (type == MSTURN_TCP_CONTROL)
            (void)stun_msg_parse(&again_msg, data + off + MSTURN_TCP_HEADER_LEN,
                                 frame - MSTURN_TCP_HEADER_LEN, true, &stun_dialect_msturn,
                                 &used, NULL);
        off += frame;
    }
}

/* A pseudo-TLS check answers 0 only for the whole record, reports a bad
 * byte inside what it read, and agrees with itself on every prefix. */
static void check_pseudo_tls(const uint8_t *data, size_t size)
{
    int (*const checks[])(const uint8_t *, size_t, size_t *) = {pseudo_tls_check_client_hello,
                                                                pseudo_tls_check_server_hello};
    const size_t lens[] = {PSEUDO_TLS_CLIENT_HELLO_LEN, PSEUDO_TLS_SERVER_HELLO_LEN};
    for (size_t k = 0; k < 2; k++) {
        size_t bad = SIZE_MAX;
        int rc = checks[k](data, size, &bad);
        if (rc == 0 && size < lens[k])
            abort();
        if (rc == SYNTH_EPARSE && (bad >= size || bad >= lens[k]))
            abort();
        if (rc != 0 && rc != SYNTH_EPARSE && rc != SYNTH_EINCOMPLETE)
            abort();
        if (rc == SYNTH_EPARSE && checks[k](data, bad, NULL) != SYNTH_EINCOMPLETE)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used = 0, sused = 0;
    check_tcp_frames(data, size);
    check_pseudo_tls(data, size);
    int rc = stun_msg_parse(&dgram_msg, data, size, true, &stun_dialect_msturn, &used, NULL);
    int src = stun_msg_parse(&stream_msg, data, size, false, &stun_dialect_msturn, &sused, NULL);
    if (rc != 0)
        return 0;
    const struct stun_msg *m = &dgram_msg;
    /* A whole datagram parses as a stream holding exactly it. */
    if (src != 0 || sused != used || stream_msg.attr_count != m->attr_count)
        abort();
    if (m->attr_count == 0 || m->attrs[0].type != STUN_ATTR_OLD_MAGIC_COOKIE)
        abort();
    check_span(m->tid, MSTURN_TID_LEN, data, size);
    struct sockaddr_storage ss;
    socklen_t sl;
    uint32_t u32;
    struct strv reason;
    uint16_t code;
    for (size_t i = 0; i < m->attr_count; i++) {
        const struct stun_attr *a = &m->attrs[i];
        check_span(a->val, a->len, data, size);
        (void)stun_attr_xor_addr(m, a, &ss, &sl);
        (void)stun_attr_addr(a, &ss, &sl);
        (void)stun_attr_u32(a, &u32);
        if (stun_attr_error_code(a, &code, &reason) == 0 && (code < 300 || code > 699))
            abort();
    }
    static const uint8_t key[STUN_LONG_TERM_KEY_LEN] = {1, 2, 3};
    (void)stun_msg_check_integrity(m, key, sizeof(key));

    /* Re-encode: same type and id; the cookie comes from msturn_enc_init. */
    struct stun_enc e;
    size_t n = 0;
    msturn_enc_init(&e, out, sizeof(out), m->type, m->tid);
    for (size_t i = 1; i < m->attr_count; i++)
        stun_enc_attr(&e, m->attrs[i].type, m->attrs[i].val, m->attrs[i].len);
    if (stun_enc_finish(&e, &n) != 0)
        return 0;
    if (stun_msg_parse(&again_msg, out, n, true, &stun_dialect_msturn, &used, NULL) != 0)
        abort();
    if (again_msg.type != m->type || again_msg.attr_count != m->attr_count)
        abort();
    for (size_t i = 0; i < m->attr_count; i++)
        if (again_msg.attrs[i].type != m->attrs[i].type ||
            again_msg.attrs[i].len != m->attrs[i].len)
            abort();
    return 0;
}
