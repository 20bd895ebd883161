/* Fuzz target for the STUN codec (synth/turn/stun_msg.c): each input is
 * parsed as a datagram and as a stream, every typed accessor runs over every
 * attribute, integrity and fingerprint are checked, and it is read as
 * ChannelData. Invariants: views stay inside the input, the two modes agree,
 * a strict prefix of a stream message is incomplete, and what the parser
 * accepted re-encodes attribute by attribute to something it accepts again. */
#include "synth/turn/stun_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct stun_msg dgram_msg, stream_msg, prefix_msg, again_msg;

static void check_span(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)data;
    if (n && (a < lo || a + n > lo + size))
        abort();
}

static void run_accessors(const struct stun_msg *m, const uint8_t *data, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    uint32_t u32;
    uint64_t u64;
    uint16_t u16;
    struct strv reason;
    for (size_t i = 0; i < m->attr_count; i++) {
        const struct stun_attr *a = &m->attrs[i];
        check_span(a->val, a->len, data, size);
        (void)stun_attr_xor_addr(m, a, &ss, &sl);
        (void)stun_attr_addr(a, &ss, &sl);
        (void)stun_attr_u32(a, &u32);
        (void)stun_attr_u64(a, &u64);
        (void)stun_attr_channel(a, &u16);
        if (stun_attr_error_code(a, &u16, &reason) == 0 && (u16 < 300 || u16 > 699))
            abort();
        struct strv v = stun_attr_strv(a);
        check_span((const uint8_t *)v.p, v.l, data, size);
    }
    (void)stun_msg_error(m, &reason);
    static const uint8_t key[] = "fuzz";
    (void)stun_msg_check_integrity(m, key, 4);
    (void)stun_msg_check_integrity_sha256(m, key, 4);
    (void)stun_msg_check_fingerprint(m);
}

/* Re-encodes every attribute as it was (the type and value bytes). */
static void check_reencode(const struct stun_msg *m)
{
    static uint8_t out[STUN_MSG_MAX];
    struct stun_enc e;
    size_t n = 0, used = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, m->method, m->cls, m->tid);
    for (size_t i = 0; i < m->attr_count; i++)
        stun_enc_attr(&e, m->attrs[i].type, m->attrs[i].val, m->attrs[i].len);
    if (stun_enc_finish(&e, &n) != 0 || n != m->len)
        abort();
    if (stun_msg_parse(&again_msg, out, n, true, NULL, &used, NULL) != 0)
        abort();
    if (again_msg.attr_count != m->attr_count || again_msg.type != m->type)
        abort();
}

static void check_prefix(const uint8_t *data, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    size_t used;
    if (!copy)
        return;
    memcpy(copy, data, n);
    if (stun_msg_parse(&prefix_msg, copy, n, false, NULL, &used, NULL) != SYNTH_EINCOMPLETE)
        abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synth_error err;
    size_t used_d = 0, used_s = 0;
    int rc_d = stun_msg_parse(&dgram_msg, data, size, true, NULL, &used_d, &err);
    if (rc_d == 0) {
        if (used_d != size || dgram_msg.attr_count > STUN_ATTRS_MAX)
            abort();
        run_accessors(&dgram_msg, data, size);
        check_reencode(&dgram_msg);
    } else if (rc_d == SYNTH_EPARSE && strncmp(err.msg, "offset ", 7) != 0) {
        abort();
    }

    int rc_s = stun_msg_parse(&stream_msg, data, size, false, NULL, &used_s, &err);
    if (used_s > size)
        abort();
    if (rc_s == 0) {
        size_t frame = 0;
        if (stun_stream_frame_len(data, size, &frame) != 0 || frame != used_s)
            abort();
        run_accessors(&stream_msg, data, size);
        check_prefix(data, used_s - 1);
        check_prefix(data, used_s / 2);
    }
    /* A datagram holding exactly one message is also a complete stream. */
    if (rc_d == 0 && (rc_s != 0 || used_s != used_d))
        abort();

    /* The same bytes as ChannelData, both ways. */
    uint16_t ch;
    const uint8_t *d;
    size_t dlen, used;
    for (int stream = 0; stream < 2; stream++)
        if (stun_chandata_parse(data, size, stream, &ch, &d, &dlen, &used) == 0) {
            check_span(d, dlen, data, size);
            if (used > size || ch < TURN_CHANNEL_MIN || ch > TURN_CHANNEL_MAX)
                abort();
        }
    (void)stun_demux(data, size);
    return 0;
}
