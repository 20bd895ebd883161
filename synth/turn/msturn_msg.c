/* The MS-TURN dialect (msturn_msg.h): [MS-TURN] 2.2.1 (header, message
 * types), 2.2.2 (attributes, MAGIC-COOKIE first), the integrity of the
 * STUN-02 draft it cites (10.2.8: the text padded with zeroes to a multiple
 * of 64 bytes) with the long-term key of the digest challenge (3.1.12). */
#include "synth/turn/msturn_msg.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* The 64-byte block HMAC's padding rounds up to. */
#define MSTURN_MI_BLOCK 64

/* Pairs of (codec number, wire number); every pair is a swap, so the table
 * reads the same both ways and no wire number maps onto another's. */
static const uint16_t attr_swaps[][2] = {
    {STUN_ATTR_OLD_MAGIC_COOKIE, MSTURN_WIRE_MAGIC_COOKIE},
    {STUN_ATTR_OLD_DESTINATION_ADDRESS, MSTURN_WIRE_DESTINATION_ADDRESS},
    {STUN_ATTR_OLD_REMOTE_ADDRESS, MSTURN_WIRE_REMOTE_ADDRESS},
    {STUN_ATTR_NONCE, MSTURN_WIRE_NONCE},
    {STUN_ATTR_MS_VERSION, MSTURN_WIRE_MS_VERSION},
    {STUN_ATTR_XOR_MAPPED_ADDRESS, MSTURN_WIRE_XOR_MAPPED_ADDRESS},
    {STUN_ATTR_MS_SEQUENCE_NUMBER, MSTURN_WIRE_MS_SEQUENCE_NUMBER},
    {STUN_ATTR_ALTERNATE_SERVER, MSTURN_WIRE_ALTERNATE_SERVER},
};

static uint16_t attr_swap(uint16_t t)
{
    for (size_t i = 0; i < sizeof(attr_swaps) / sizeof(attr_swaps[0]); i++) {
        if (attr_swaps[i][0] == t)
            return attr_swaps[i][1];
        if (attr_swaps[i][1] == t)
            return attr_swaps[i][0];
    }
    return t;
}

/* No cookie in the header: anything may sit in bytes 4..7. Whether it is
 * MS-TURN is decided by the first attribute (msg_check). */
static bool header_any(const uint8_t *hdr)
{
    (void)hdr;
    return true;
}

int msturn_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
                     uint8_t out[STUN_MI_LEN])
{
    uint8_t padded[STUN_MSG_MAX + MSTURN_MI_BLOCK];
    if (len > STUN_MSG_MAX)
        return SYNTH_ETOOBIG;
    size_t n = (len + MSTURN_MI_BLOCK - 1) / MSTURN_MI_BLOCK * MSTURN_MI_BLOCK;
    memcpy(padded, msg, len);
    memset(padded + len, 0, n - len);
    unsigned int mlen = 0;
    if (!HMAC(EVP_sha1(), key, (int)key_len, padded, n, out, &mlen) || mlen != STUN_MI_LEN)
        return SYNTH_EINTERNAL;
    return 0;
}

static void cookie_first(struct stun_enc *e)
{
    stun_enc_u32(e, STUN_ATTR_OLD_MAGIC_COOKIE, MSTURN_MAGIC_COOKIE);
}

/* [MS-TURN] 2.2.2: the MAGIC-COOKIE attribute MUST be first; it is what
 * tells a TURN message from media on the same port. */
static int cookie_check(const struct stun_msg *m)
{
    uint32_t v = 0;
    if (m->attr_count == 0 || m->attrs[0].type != STUN_ATTR_OLD_MAGIC_COOKIE ||
        stun_attr_u32(&m->attrs[0], &v) != 0 || v != MSTURN_MAGIC_COOKIE)
        return SYNTH_EUNSUPPORTED;
    return 0;
}

const struct stun_dialect stun_dialect_msturn = {
    .name = "ms-turn",
    .tid_len = MSTURN_TID_LEN,
    .header_ok = header_any,
    .attr_to_wire = attr_swap,
    .attr_from_wire = attr_swap,
    .integrity = msturn_integrity,
    .enc_begin = cookie_first,
    .msg_check = cookie_check,
    .unpadded_ok = true,
};

void msturn_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap, uint16_t type,
                     const uint8_t *tid)
{
    /* The codec takes a method and a class (RFC 5389 6); the MS-TURN types
     * are written whole, so split them the same way. */
    uint16_t method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
    enum stun_class cls = (enum stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
    stun_enc_init(e, buf, cap, &stun_dialect_msturn, method, cls, tid);
}

int msturn_tcp_frame(const uint8_t *buf, size_t len, enum msturn_tcp_type *type,
                     size_t *frame_len)
{
    if (len < MSTURN_TCP_HEADER_LEN)
        return SYNTH_EINCOMPLETE;
    if ((buf[0] != MSTURN_TCP_CONTROL && buf[0] != MSTURN_TCP_DATA) || buf[1] != 0)
        return SYNTH_EPARSE;
    size_t n = ((size_t)buf[2] << 8) | buf[3];
    if (n > STUN_MSG_MAX)
        return SYNTH_ETOOBIG;
    *type = (enum msturn_tcp_type)buf[0];
    *frame_len = MSTURN_TCP_HEADER_LEN + n;
    return 0;
}

int msturn_tcp_header(uint8_t out[MSTURN_TCP_HEADER_LEN], enum msturn_tcp_type type,
                      size_t payload_len)
{
    if (payload_len > STUN_MSG_MAX)
        return SYNTH_ETOOBIG;
    out[0] = (uint8_t)type;
    out[1] = 0;
    out[2] = (uint8_t)(payload_len >> 8);
    out[3] = (uint8_t)payload_len;
    return 0;
}
