/* STUN message codec (stun_msg.h): RFC 8489 5, 6, 14 (RFC 5389 6, 15),
 * TURN attributes of RFC 8656 14, ChannelData of RFC 8656 12.4-12.5, and the
 * demultiplexing rule of RFC 7983 7. */
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* ---- the RFC 5389 dialect ---- */

bool stun_header_rfc5389(const uint8_t *hdr)
{
    return get32(hdr + 4) == STUN_MAGIC_COOKIE;
}

uint16_t stun_attr_same(uint16_t t)
{
    return t;
}

static int hmac_into(const EVP_MD *md, const uint8_t *msg, size_t len, const uint8_t *key,
                     size_t key_len, uint8_t *out, size_t out_len)
{
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    /* HMAC() takes one buffer; the callers hand it the message prefix with
     * the length field already adjusted, so no copy is needed here. */
    if (!HMAC(md, key, (int)key_len, msg, len, full, &n) || n < out_len)
        return SYNTH_EINTERNAL;
    memcpy(out, full, out_len);
    return 0;
}

static int rfc_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
                         uint8_t out[STUN_MI_LEN])
{
    return hmac_into(EVP_sha1(), msg, len, key, key_len, out, STUN_MI_LEN);
}

const struct stun_dialect stun_dialect_rfc5389 = {
    .name = "rfc5389",
    .tid_len = STUN_TID_LEN,
    .header_ok = stun_header_rfc5389,
    .attr_to_wire = stun_attr_same,
    .attr_from_wire = stun_attr_same,
    .integrity = rfc_integrity,
};

static const struct stun_dialect *dialect_or_rfc(const struct stun_dialect *d)
{
    return d ? d : &stun_dialect_rfc5389;
}

/* ---- CRC-32 ---- */

/* Reflected polynomial 0xEDB88320 (ISO 3309 / ITU-T V.42, RFC 8489 14.7),
 * one table entry per byte value. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- message type ---- */

/* RFC 8489 5: the method's 12 bits are split around the two class bits,
 * M11..M7 C1 M6..M4 C0 M3..M0. */
static uint16_t type_make(uint16_t method, enum stun_class cls)
{
    unsigned c = (unsigned)cls;
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      ((c & 1) << 4) | ((c & 2) << 7));
}

static void type_split(uint16_t type, uint16_t *method, enum stun_class *cls)
{
    *method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
    *cls = (enum stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
}

enum stun_demux stun_demux(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return STUN_DEMUX_OTHER;
    uint8_t b = buf[0];
    if (b <= 3)
        return STUN_DEMUX_STUN;
    if (b >= 16 && b <= 19)
        return STUN_DEMUX_ZRTP;
    if (b >= 20 && b <= 63)
        return STUN_DEMUX_DTLS;
    if (b >= 64 && b <= 79)
        return STUN_DEMUX_CHANNEL;
    if (b >= 128 && b <= 191)
        return STUN_DEMUX_RTP;
    return STUN_DEMUX_OTHER;
}

/* ---- parsing ---- */

/* The value lengths a known attribute may have: exact (min == max), a
 * range, or a multiple of some step (UNKNOWN-ATTRIBUTES lists 16-bit types). */
struct attr_rule {
    uint16_t type;
    uint16_t min, max;
    uint16_t step;
};

static const struct attr_rule attr_rules[] = {
    {STUN_ATTR_MAPPED_ADDRESS, 8, 20, 12},
    {STUN_ATTR_USERNAME, 0, STUN_USERNAME_MAX, 1},
    {STUN_ATTR_MESSAGE_INTEGRITY, STUN_MI_LEN, STUN_MI_LEN, 1},
    {STUN_ATTR_ERROR_CODE, 4, 4 + STUN_TEXT_MAX, 1},
    {STUN_ATTR_UNKNOWN_ATTRIBUTES, 0, 2 * STUN_ATTRS_MAX, 2},
    {STUN_ATTR_CHANNEL_NUMBER, 4, 4, 1},
    {STUN_ATTR_LIFETIME, 4, 4, 1},
    {STUN_ATTR_XOR_PEER_ADDRESS, 8, 20, 12},
    {STUN_ATTR_DATA, 0, STUN_MSG_MAX, 1},
    {STUN_ATTR_REALM, 0, STUN_TEXT_MAX, 1},
    {STUN_ATTR_NONCE, 0, STUN_TEXT_MAX, 1},
    {STUN_ATTR_XOR_RELAYED_ADDRESS, 8, 20, 12},
    {STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 4, 4, 1},
    {STUN_ATTR_REQUESTED_TRANSPORT, 4, 4, 1},
    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 16, STUN_MI256_LEN, 4},
    {STUN_ATTR_XOR_MAPPED_ADDRESS, 8, 20, 12},
    {STUN_ATTR_PRIORITY, 4, 4, 1},
    {STUN_ATTR_USE_CANDIDATE, 0, 0, 1},
    {STUN_ATTR_SOFTWARE, 0, STUN_TEXT_MAX, 1},
    {STUN_ATTR_ALTERNATE_SERVER, 8, 20, 12},
    {STUN_ATTR_FINGERPRINT, 4, 4, 1},
    {STUN_ATTR_ICE_CONTROLLED, 8, 8, 1},
    {STUN_ATTR_ICE_CONTROLLING, 8, 8, 1},
    {STUN_ATTR_OLD_MAGIC_COOKIE, 4, 4, 1},
    {STUN_ATTR_OLD_DESTINATION_ADDRESS, 8, 20, 12},
    {STUN_ATTR_OLD_REMOTE_ADDRESS, 8, 20, 12},
    {STUN_ATTR_MS_VERSION, 4, 4, 1},
    {STUN_ATTR_MS_SEQUENCE_NUMBER, 24, 24, 1}, /* [MS-TURN] connection id + sequence */
};

static const struct attr_rule *rule_of(uint16_t type)
{
    for (size_t i = 0; i < sizeof(attr_rules) / sizeof(attr_rules[0]); i++)
        if (attr_rules[i].type == type)
            return &attr_rules[i];
    return NULL;
}

static bool is_addr_type(uint16_t t)
{
    return t == STUN_ATTR_MAPPED_ADDRESS || t == STUN_ATTR_XOR_PEER_ADDRESS ||
           t == STUN_ATTR_XOR_RELAYED_ADDRESS || t == STUN_ATTR_XOR_MAPPED_ADDRESS ||
           t == STUN_ATTR_OLD_DESTINATION_ADDRESS || t == STUN_ATTR_OLD_REMOTE_ADDRESS ||
           t == STUN_ATTR_ALTERNATE_SERVER;
}

/* Checks one attribute's value beyond its length; NULL or why not. */
static const char *attr_value_check(const struct stun_attr *a)
{
    const struct attr_rule *r = rule_of(a->type);
    /* An address is read by offset: never without its length checked, rule
     * or no rule. */
    if (is_addr_type(a->type) && a->len != 8 && a->len != 20)
        return "address value has a wrong length";
    if (!r)
        return NULL;
    if (a->len < r->min || a->len > r->max || (a->len - r->min) % r->step != 0)
        return "attribute value has a wrong length";
    if (is_addr_type(a->type)) {
        uint8_t fam = a->val[1];
        if (!((fam == 0x01 && a->len == 8) || (fam == 0x02 && a->len == 20)))
            return "address family does not match the length";
    }
    if (a->type == STUN_ATTR_ERROR_CODE) {
        uint8_t cls = a->val[2] & 0x07, num = a->val[3];
        if (cls < 3 || cls > 6 || num > 99)
            return "error code outside 300-699";
    }
    return NULL;
}

static int parse_fail(struct synth_error *err, size_t off, const char *why)
{
    return synth_error_set(err, SYNTH_EPARSE, "offset %zu: %s", off, why);
}

int stun_stream_frame_len(const uint8_t *buf, size_t len, size_t *frame_len)
{
    if (len < 4)
        return SYNTH_EINCOMPLETE;
    size_t n = get16(buf + 2);
    /* The parser's test (two zero bits), not RFC 7983's narrower 0..3: a
     * stream carries only STUN and ChannelData, and the two must agree. */
    if ((buf[0] & 0xC0) == 0)
        n += STUN_HEADER_LEN;
    else if ((buf[0] & 0xC0) == 0x40) /* RFC 8656 12.5: ChannelData, any channel */
        n = pad4(n + TURN_CHANNEL_HEADER_LEN);
    else
        return SYNTH_EPARSE;
    if (n > STUN_MSG_MAX)
        return SYNTH_ETOOBIG;
    *frame_len = n;
    return 0;
}

/* One reading of the attributes: padded to four bytes each (RFC 8489 14),
 * or not. */
static int walk_attrs(struct stun_msg *m, const struct stun_dialect *d, bool padded,
                      struct synth_error *err)
{
    size_t off = STUN_HEADER_LEN;
    while (off < m->len) {
        if (m->len - off < STUN_ATTR_HEADER_LEN)
            return parse_fail(err, off, "attribute header past the end");
        if (m->attr_count == STUN_ATTRS_MAX)
            return synth_error_set(err, SYNTH_ETOOBIG, "offset %zu: more than %d attributes",
                                   off, STUN_ATTRS_MAX);
        if (m->fp >= 0)
            return parse_fail(err, off, "attribute after FINGERPRINT");
        struct stun_attr *a = &m->attrs[m->attr_count];
        a->type = d->attr_from_wire(get16(m->raw + off));
        a->len = get16(m->raw + off + 2);
        a->off = (uint16_t)off;
        a->val = m->raw + off + STUN_ATTR_HEADER_LEN;
        size_t room = m->len - off - STUN_ATTR_HEADER_LEN;
        if (a->len > room)
            return parse_fail(err, off, "attribute value past the end");
        size_t step = padded ? pad4(a->len) : a->len;
        if (step > room)
            return parse_fail(err, off, "attribute padding past the end");
        const char *why = attr_value_check(a);
        if (why)
            return parse_fail(err, off, why);
        int idx = (int)m->attr_count++;
        switch (a->type) {
        case STUN_ATTR_MESSAGE_INTEGRITY:
            if (m->mi < 0 && m->mi256 < 0)
                m->mi = idx;
            break;
        case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
            if (m->mi256 < 0)
                m->mi256 = idx;
            break;
        case STUN_ATTR_FINGERPRINT:
            m->fp = idx;
            break;
        default:
            if (a->type < 0x8000 && !rule_of(a->type) && m->mi < 0 && m->mi256 < 0 &&
                m->unknown_count < sizeof(m->unknown) / sizeof(m->unknown[0]))
                m->unknown[m->unknown_count++] = a->type;
            break;
        }
        off += STUN_ATTR_HEADER_LEN + step;
    }
    return 0;
}

/* Padded first; in a dialect that allows it, unpadded when that fails (the
 * first reading's error is the one reported). */
static int parse_attrs(struct stun_msg *m, const struct stun_dialect *d, struct synth_error *err)
{
    int rc = walk_attrs(m, d, true, err);
    if (rc == 0 || rc == SYNTH_ETOOBIG || !d->unpadded_ok)
        return rc;
    m->attr_count = 0;
    m->mi = m->mi256 = m->fp = -1;
    m->unknown_count = 0;
    return walk_attrs(m, d, false, NULL) == 0 ? 0 : rc;
}

int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len, bool datagram,
                   const struct stun_dialect *d, size_t *used, struct synth_error *err)
{
    d = dialect_or_rfc(d);
    *used = 0;
    /* Not STUN: the two top bits are not zero (RFC 8489 6), or, once the
     * header is in, the magic cookie is missing. */
    if (len > 0 && (buf[0] & 0xC0) != 0)
        return synth_error_set(err, SYNTH_EUNSUPPORTED, "offset 0: not a STUN message");
    if (len >= 8 && !d->header_ok(buf))
        return synth_error_set(err, SYNTH_EUNSUPPORTED, "offset 4: no magic cookie");
    if (len < STUN_HEADER_LEN) {
        if (!datagram)
            return SYNTH_EINCOMPLETE;
        /* Under 8 bytes the cookie cannot tell: call it not STUN. */
        return synth_error_set(err, len < 8 ? SYNTH_EUNSUPPORTED : SYNTH_EPARSE,
                               "offset %zu: shorter than a STUN header", len);
    }
    size_t body = get16(buf + 2);
    if (body % 4 != 0 && !d->unpadded_ok)
        return parse_fail(err, 2, "message length is not a multiple of 4");
    if (STUN_HEADER_LEN + body > STUN_MSG_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "offset 2: message of %zu bytes, over %d",
                               STUN_HEADER_LEN + body, STUN_MSG_MAX);
    if (STUN_HEADER_LEN + body > len) {
        if (datagram)
            return parse_fail(err, 2, "message length past the end of the datagram");
        return SYNTH_EINCOMPLETE;
    }
    if (datagram && STUN_HEADER_LEN + body != len)
        return parse_fail(err, STUN_HEADER_LEN + body, "bytes after the message");

    m->dialect = d;
    m->raw = buf;
    m->len = STUN_HEADER_LEN + body;
    m->type = get16(buf);
    type_split(m->type, &m->method, &m->cls);
    m->tid = buf + STUN_HEADER_LEN - d->tid_len;
    m->attr_count = 0;
    m->mi = m->mi256 = m->fp = -1;
    m->unknown_count = 0;
    int rc = parse_attrs(m, d, err);
    if (rc)
        return rc;
    if (d->msg_check && d->msg_check(m) != 0)
        return synth_error_set(err, SYNTH_EUNSUPPORTED, "offset %d: not a %s message",
                               STUN_HEADER_LEN, d->name);
    *used = m->len;
    return 0;
}

const struct stun_attr *stun_msg_attr(const struct stun_msg *m, uint16_t type)
{
    /* Only what integrity protects, when there is integrity (RFC 8489 14.5). */
    size_t end = m->attr_count;
    if (m->mi >= 0)
        end = (size_t)m->mi;
    else if (m->mi256 >= 0)
        end = (size_t)m->mi256;
    if (type == STUN_ATTR_MESSAGE_INTEGRITY)
        return m->mi >= 0 ? &m->attrs[m->mi] : NULL;
    if (type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
        return m->mi256 >= 0 ? &m->attrs[m->mi256] : NULL;
    if (type == STUN_ATTR_FINGERPRINT)
        return m->fp >= 0 ? &m->attrs[m->fp] : NULL;
    for (size_t i = 0; i < end; i++)
        if (m->attrs[i].type == type)
            return &m->attrs[i];
    return NULL;
}

static int addr_decode(const struct stun_attr *a, const uint8_t *xor_key,
                       struct sockaddr_storage *out, socklen_t *out_len)
{
    if (!a)
        return SYNTH_ENOTFOUND;
    if (!is_addr_type(a->type) || attr_value_check(a))
        return SYNTH_EPARSE;
    memset(out, 0, sizeof(*out));
    uint16_t port = get16(a->val + 2);
    uint8_t ip[16];
    size_t n = a->val[1] == 0x01 ? 4 : 16;
    for (size_t i = 0; i < n; i++)
        ip[i] = (uint8_t)(a->val[4 + i] ^ (xor_key ? xor_key[i] : 0));
    if (xor_key)
        port ^= get16(xor_key);
    if (n == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)out;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, ip, 4);
        *out_len = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, ip, 16);
        *out_len = sizeof(*s6);
    }
    return 0;
}

int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
                       struct sockaddr_storage *out, socklen_t *out_len)
{
    /* RFC 8489 14.2: the magic cookie, then the transaction id, which are
     * the 16 bytes after the length field; [MS-TURN] 2.2.2.16 XORs with its
     * 128-bit transaction id, the same 16 bytes. */
    return addr_decode(a, m->raw + 4, out, out_len);
}

int stun_attr_addr(const struct stun_attr *a, struct sockaddr_storage *out, socklen_t *out_len)
{
    return addr_decode(a, NULL, out, out_len);
}

int stun_attr_u32(const struct stun_attr *a, uint32_t *out)
{
    if (!a)
        return SYNTH_ENOTFOUND;
    if (a->len != 4)
        return SYNTH_EPARSE;
    *out = get32(a->val);
    return 0;
}

int stun_attr_u64(const struct stun_attr *a, uint64_t *out)
{
    if (!a)
        return SYNTH_ENOTFOUND;
    if (a->len != 8)
        return SYNTH_EPARSE;
    *out = (uint64_t)get32(a->val) << 32 | get32(a->val + 4);
    return 0;
}

int stun_attr_error_code(const struct stun_attr *a, uint16_t *code, struct strv *reason)
{
    if (!a)
        return SYNTH_ENOTFOUND;
    if (a->type != STUN_ATTR_ERROR_CODE || attr_value_check(a))
        return SYNTH_EPARSE;
    *code = (uint16_t)((a->val[2] & 0x07) * 100 + a->val[3]);
    *reason = strv_make((const char *)a->val + 4, a->len - 4u);
    return 0;
}

int stun_attr_channel(const struct stun_attr *a, uint16_t *channel)
{
    if (!a)
        return SYNTH_ENOTFOUND;
    if (a->len != 4)
        return SYNTH_EPARSE;
    *channel = get16(a->val);
    return 0;
}

struct strv stun_attr_strv(const struct stun_attr *a)
{
    if (!a)
        return strv_make("", 0);
    return strv_make((const char *)a->val, a->len);
}

uint16_t stun_msg_error(const struct stun_msg *m, struct strv *reason)
{
    uint16_t code = 0;
    *reason = strv_make("", 0);
    if (stun_attr_error_code(stun_msg_attr(m, STUN_ATTR_ERROR_CODE), &code, reason) != 0)
        code = 0;
    return code;
}

/* The message up to attribute `a` with the length field saying the message
 * ends where `a` ends (RFC 8489 14.5, 14.6, 14.7): a copy, since the parsed
 * buffer is read-only. Bounded by STUN_MSG_MAX. */
static size_t prefix_with_length(const struct stun_msg *m, const struct stun_attr *a,
                                 uint8_t *copy)
{
    memcpy(copy, m->raw, a->off);
    put16(copy + 2, (uint16_t)(a->off + STUN_ATTR_HEADER_LEN + pad4(a->len) - STUN_HEADER_LEN));
    return a->off;
}

static int check_mac(const struct stun_msg *m, const struct stun_dialect *d, int idx, bool sha256,
                     const uint8_t *key, size_t key_len)
{
    if (idx < 0)
        return SYNTH_ENOTFOUND;
    const struct stun_attr *a = &m->attrs[idx];
    uint8_t copy[STUN_MSG_MAX];
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t n = prefix_with_length(m, a, copy);
    int rc = sha256 ? hmac_into(EVP_sha256(), copy, n, key, key_len, mac, a->len)
                    : d->integrity(copy, n, key, key_len, mac);
    if (rc)
        return rc;
    return CRYPTO_memcmp(mac, a->val, a->len) == 0 ? 0 : SYNTH_EAUTH;
}

int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
    return check_mac(m, m->dialect, m->mi, false, key, key_len);
}

int stun_msg_check_integrity_as(const struct stun_msg *m, const struct stun_dialect *d,
                                const uint8_t *key, size_t key_len)
{
    return check_mac(m, dialect_or_rfc(d), m->mi, false, key, key_len);
}

int stun_msg_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
    return check_mac(m, m->dialect, m->mi256, true, key, key_len);
}

int stun_msg_check_fingerprint(const struct stun_msg *m)
{
    if (m->fp < 0)
        return SYNTH_ENOTFOUND;
    const struct stun_attr *a = &m->attrs[m->fp];
    /* FINGERPRINT is last, so the length field already covers it. */
    uint32_t crc = stun_crc32(m->raw, a->off) ^ STUN_FINGERPRINT_XOR;
    return crc == get32(a->val) ? 0 : SYNTH_EPARSE;
}

/* ---- encoding ---- */

void stun_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap, const struct stun_dialect *d,
                   uint16_t method, enum stun_class cls, const uint8_t *tid)
{
    e->dialect = dialect_or_rfc(d);
    e->buf = buf;
    e->cap = cap < STUN_MSG_MAX ? cap : STUN_MSG_MAX;
    e->len = 0;
    e->pad = 0;
    e->overflow = e->cap < STUN_HEADER_LEN;
    if (e->overflow)
        return;
    put16(buf, type_make(method, cls));
    put16(buf + 2, 0);
    if (e->dialect->tid_len == STUN_TID_LEN)
        put32(buf + 4, STUN_MAGIC_COOKIE);
    memcpy(buf + STUN_HEADER_LEN - e->dialect->tid_len, tid, e->dialect->tid_len);
    e->len = STUN_HEADER_LEN;
    if (e->dialect->enc_begin)
        e->dialect->enc_begin(e);
}

/* Reserves an attribute of len value bytes (padded), keeps the header's
 * length current and returns where the value goes, or NULL on overflow. */
static uint8_t *attr_reserve(struct stun_enc *e, uint16_t type, size_t len)
{
    if (e->overflow || len > 0xFFFF || e->cap - e->len < STUN_ATTR_HEADER_LEN + pad4(len)) {
        e->overflow = true;
        return NULL;
    }
    uint8_t *p = e->buf + e->len;
    put16(p, e->dialect->attr_to_wire(type));
    put16(p + 2, (uint16_t)len);
    memset(p + STUN_ATTR_HEADER_LEN + len, e->pad, pad4(len) - len);
    e->len += STUN_ATTR_HEADER_LEN + pad4(len);
    put16(e->buf + 2, (uint16_t)(e->len - STUN_HEADER_LEN));
    return p + STUN_ATTR_HEADER_LEN;
}

void stun_enc_attr(struct stun_enc *e, uint16_t type, const void *val, size_t len)
{
    uint8_t *p = attr_reserve(e, type, len);
    if (p && len)
        memcpy(p, val, len);
}

void stun_enc_str(struct stun_enc *e, uint16_t type, const char *s)
{
    stun_enc_attr(e, type, s, strlen(s));
}

void stun_enc_u32(struct stun_enc *e, uint16_t type, uint32_t v)
{
    uint8_t *p = attr_reserve(e, type, 4);
    if (p)
        put32(p, v);
}

void stun_enc_u64(struct stun_enc *e, uint16_t type, uint64_t v)
{
    uint8_t *p = attr_reserve(e, type, 8);
    if (p) {
        put32(p, (uint32_t)(v >> 32));
        put32(p + 4, (uint32_t)v);
    }
}

void stun_enc_addr(struct stun_enc *e, uint16_t type, const struct sockaddr *sa, bool xor)
{
    const uint8_t *ip;
    uint16_t port;
    size_t n;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        ip = (const uint8_t *)&s4->sin_addr;
        port = ntohs(s4->sin_port);
        n = 4;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        ip = (const uint8_t *)&s6->sin6_addr;
        port = ntohs(s6->sin6_port);
        n = 16;
    } else {
        e->overflow = true; /* no address to write is a bug; fail the message */
        return;
    }
    uint8_t *p = attr_reserve(e, type, 4 + n);
    if (!p)
        return;
    p[0] = 0;
    p[1] = n == 4 ? 0x01 : 0x02;
    put16(p + 2, xor ? (uint16_t)(port ^ get16(e->buf + 4)) : port);
    for (size_t i = 0; i < n; i++)
        p[4 + i] = (uint8_t)(ip[i] ^ (xor ? e->buf[4 + i] : 0));
}

void stun_enc_error_code(struct stun_enc *e, uint16_t code, const char *reason)
{
    size_t rl = strlen(reason);
    if (rl > STUN_TEXT_MAX)
        rl = STUN_TEXT_MAX;
    uint8_t *p = attr_reserve(e, STUN_ATTR_ERROR_CODE, 4 + rl);
    if (!p)
        return;
    p[0] = p[1] = 0;
    p[2] = (uint8_t)(code / 100);
    p[3] = (uint8_t)(code % 100);
    memcpy(p + 4, reason, rl);
}

void stun_enc_unknown_attrs(struct stun_enc *e, const uint16_t *types, size_t n)
{
    uint8_t *p = attr_reserve(e, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
    for (size_t i = 0; p && i < n; i++)
        put16(p + 2 * i, types[i]);
}

void stun_enc_channel(struct stun_enc *e, uint16_t channel)
{
    uint8_t *p = attr_reserve(e, STUN_ATTR_CHANNEL_NUMBER, 4);
    if (p) {
        put16(p, channel);
        put16(p + 2, 0); /* RFFU */
    }
}

void stun_enc_transport(struct stun_enc *e, uint8_t protocol)
{
    uint8_t v[4] = {protocol, 0, 0, 0}; /* RFFU */
    stun_enc_attr(e, STUN_ATTR_REQUESTED_TRANSPORT, v, sizeof(v));
}

void stun_enc_family(struct stun_enc *e, int family)
{
    uint8_t v[4] = {family == AF_INET6 ? 0x02 : 0x01, 0, 0, 0}; /* RFFU */
    stun_enc_attr(e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v, sizeof(v));
}

static void enc_mac(struct stun_enc *e, uint16_t type, size_t mac_len, const uint8_t *key,
                    size_t key_len)
{
    size_t off = e->len;
    /* Reserving first sets the length field to cover this attribute, which
     * is what the MAC is computed with (RFC 8489 14.5). */
    uint8_t *p = attr_reserve(e, type, mac_len);
    if (!p)
        return;
    int rc = type == STUN_ATTR_MESSAGE_INTEGRITY
                 ? e->dialect->integrity(e->buf, off, key, key_len, p)
                 : hmac_into(EVP_sha256(), e->buf, off, key, key_len, p, mac_len);
    if (rc)
        e->overflow = true;
}

void stun_enc_integrity(struct stun_enc *e, const uint8_t *key, size_t key_len)
{
    enc_mac(e, STUN_ATTR_MESSAGE_INTEGRITY, STUN_MI_LEN, key, key_len);
}

void stun_enc_integrity_sha256(struct stun_enc *e, const uint8_t *key, size_t key_len)
{
    enc_mac(e, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, STUN_MI256_LEN, key, key_len);
}

void stun_enc_fingerprint(struct stun_enc *e)
{
    size_t off = e->len;
    uint8_t *p = attr_reserve(e, STUN_ATTR_FINGERPRINT, 4);
    if (p)
        put32(p, stun_crc32(e->buf, off) ^ STUN_FINGERPRINT_XOR);
}

int stun_enc_finish(const struct stun_enc *e, size_t *len)
{
    if (e->overflow)
        return SYNTH_ETOOBIG;
    *len = e->len;
    return 0;
}

/* ---- credentials ---- */

int stun_key_long_term(struct strv username, struct strv realm, struct strv password,
                       uint8_t key[STUN_LONG_TERM_KEY_LEN])
{
    int rc = SYNTH_EINTERNAL;
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return SYNTH_ENOMEM;
    /* Init fails where a FIPS-only configuration has no MD5. */
    if (!EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
        goto out;
    if (!EVP_DigestUpdate(ctx, username.p, username.l) || !EVP_DigestUpdate(ctx, ":", 1) ||
        !EVP_DigestUpdate(ctx, realm.p, realm.l) || !EVP_DigestUpdate(ctx, ":", 1) ||
        !EVP_DigestUpdate(ctx, password.p, password.l))
        goto out;
    if (!EVP_DigestFinal_ex(ctx, key, &n) || n != STUN_LONG_TERM_KEY_LEN)
        goto out;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int stun_tid_new(uint8_t tid[STUN_TID_LEN])
{
    return stun_tid_fill(tid, STUN_TID_LEN);
}

int stun_tid_fill(uint8_t *tid, size_t n)
{
    return RAND_bytes(tid, (int)n) == 1 ? 0 : SYNTH_EINTERNAL;
}

size_t stun_dialect_tid_len(const struct stun_dialect *d)
{
    return dialect_or_rfc(d)->tid_len;
}

/* ---- ChannelData ---- */

int stun_chandata_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *channel,
                        const uint8_t **data, size_t *data_len, size_t *used)
{
    return stun_chandata_parse_upto(buf, len, stream, TURN_CHANNEL_MAX, channel, data, data_len,
                                    used);
}

int stun_chandata_parse_upto(const uint8_t *buf, size_t len, bool stream, uint16_t channel_max,
                             uint16_t *channel, const uint8_t **data, size_t *data_len,
                             size_t *used)
{
    *used = 0;
    if (len < TURN_CHANNEL_HEADER_LEN)
        return stream ? SYNTH_EINCOMPLETE : SYNTH_EPARSE;
    uint16_t ch = get16(buf);
    if (ch < TURN_CHANNEL_MIN || ch > channel_max)
        return SYNTH_EUNSUPPORTED;
    size_t n = get16(buf + 2);
    size_t frame = TURN_CHANNEL_HEADER_LEN + n;
    if (stream)
        frame = pad4(frame);
    if (frame > len)
        return stream ? SYNTH_EINCOMPLETE : SYNTH_EPARSE;
    *channel = ch;
    *data = buf + TURN_CHANNEL_HEADER_LEN;
    *data_len = n;
    *used = stream ? frame : len;
    return 0;
}

int stun_chandata_encode(uint8_t *buf, size_t cap, uint16_t channel, const uint8_t *data,
                         size_t data_len, bool stream, size_t *out_len)
{
    size_t frame = TURN_CHANNEL_HEADER_LEN + data_len;
    size_t total = stream ? pad4(frame) : frame;
    if (data_len > 0xFFFF || total > cap)
        return SYNTH_ETOOBIG;
    put16(buf, channel);
    put16(buf + 2, (uint16_t)data_len);
    if (data_len)
        memcpy(buf + TURN_CHANNEL_HEADER_LEN, data, data_len);
    memset(buf + frame, 0, total - frame);
    *out_len = total;
    return 0;
}
