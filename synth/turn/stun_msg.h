/* STUN messages (RFC 5389, RFC 8489) with the TURN attributes (RFC 5766,
 * RFC 8656) and the ICE ones (RFC 8445 7.1.1): an encoder over a caller's
 * buffer, a parser that returns views into the input, integrity and
 * fingerprint, credentials, TURN ChannelData framing (RFC 8656 12.4) and the
 * first-byte demultiplexing of one socket (RFC 7983 7). */
#ifndef SYNTH_TURN_STUN_MSG_H
#define SYNTH_TURN_STUN_MSG_H

#include "synth/base/err.h"
#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_HEADER_LEN 20
#define STUN_TID_LEN 12
/* The old drafts MS-TURN follows have no cookie in the header: bytes 4..19
 * are a 128-bit transaction id. Room for either. */
#define STUN_TID_MAX 16
#define STUN_ATTR_HEADER_LEN 4
#define STUN_MI_LEN 20        /* HMAC-SHA1 */
#define STUN_MI256_LEN 32     /* HMAC-SHA256; RFC 8489 14.6 allows a 16..32 byte truncation */
#define STUN_FINGERPRINT_XOR 0x5354554eu
#define STUN_LONG_TERM_KEY_LEN 16 /* MD5 */

/* Bounds. Relayed payloads are voice media (RTP under the 1500-byte MTU) and
 * TURN control messages of a few hundred bytes; 8 KB leaves room for a video
 * packet or a large error reason while capping what one stream frame can make
 * us buffer. A Data indication carrying more is refused, not truncated. */
#define STUN_MSG_MAX 8192
/* An Allocate success carries about eight attributes (XOR-RELAYED-ADDRESS,
 * XOR-MAPPED-ADDRESS, LIFETIME, RESERVATION-TOKEN, SOFTWARE, MI, MI-SHA256,
 * FINGERPRINT); 32 leaves room for unknown optional ones and keeps struct
 * stun_msg small enough for the stack. More is refused. */
#define STUN_ATTRS_MAX 32
/* RFC 8489 14.3, 14.9, 14.10, 14.14: text attributes are under 513 bytes
 * (USERNAME) or 128 characters, at most 763 bytes of UTF-8. */
#define STUN_USERNAME_MAX 512
#define STUN_TEXT_MAX 763

enum stun_class {
    STUN_CLASS_REQUEST = 0,
    STUN_CLASS_INDICATION = 1,
    STUN_CLASS_SUCCESS = 2,
    STUN_CLASS_ERROR = 3,
};

enum stun_method {
    STUN_METHOD_BINDING = 0x001,
    TURN_METHOD_ALLOCATE = 0x003,
    TURN_METHOD_REFRESH = 0x004,
    TURN_METHOD_SEND = 0x006,
    TURN_METHOD_DATA = 0x007,
    TURN_METHOD_CREATE_PERMISSION = 0x008,
    TURN_METHOD_CHANNEL_BIND = 0x009,
};

/* Attribute types as RFC 5389/8489/8656/8445 number them. A dialect may put
 * other numbers on the wire; the parser and the encoder translate, so every
 * caller speaks these. */
enum stun_attr_type {
    STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    STUN_ATTR_USERNAME = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    STUN_ATTR_ERROR_CODE = 0x0009,
    STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    STUN_ATTR_CHANNEL_NUMBER = 0x000C,
    STUN_ATTR_LIFETIME = 0x000D,
    STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
    STUN_ATTR_DATA = 0x0013,
    STUN_ATTR_REALM = 0x0014,
    STUN_ATTR_NONCE = 0x0015,
    STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
    STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
    STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
    STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_PRIORITY = 0x0024,
    STUN_ATTR_USE_CANDIDATE = 0x0025,
    STUN_ATTR_SOFTWARE = 0x8022,
    STUN_ATTR_ALTERNATE_SERVER = 0x8023, /* a plain address, as MAPPED-ADDRESS */
    STUN_ATTR_FINGERPRINT = 0x8028,
    STUN_ATTR_ICE_CONTROLLED = 0x8029,
    STUN_ATTR_ICE_CONTROLLING = 0x802A,
    /* Attributes only an old-draft dialect carries (draft-ietf-behave-turn-08
     * as [MS-TURN] 2.2.2 uses it), numbered here where RFC 5389 assigns
     * nothing, in the comprehension-optional range. The dialect's table
     * maps them to their wire numbers. */
    STUN_ATTR_OLD_MAGIC_COOKIE = 0xF00F,
    STUN_ATTR_OLD_DESTINATION_ADDRESS = 0xF011, /* a plain address, as MAPPED-ADDRESS */
    STUN_ATTR_OLD_REMOTE_ADDRESS = 0xF012,      /* likewise */
    STUN_ATTR_MS_VERSION = 0xF808,
    STUN_ATTR_MS_SEQUENCE_NUMBER = 0xF850,
};

/* Error codes of RFC 8489 14.8 and RFC 8656 19 that a client acts on. */
enum stun_error_code {
    STUN_ERR_TRY_ALTERNATE = 300,
    STUN_ERR_BAD_REQUEST = 400,
    STUN_ERR_UNAUTHORIZED = 401,
    STUN_ERR_FORBIDDEN = 403,
    STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
    STUN_ERR_ALLOCATION_MISMATCH = 437,
    STUN_ERR_STALE_NONCE = 438,
    STUN_ERR_ADDRESS_FAMILY = 440,
    STUN_ERR_WRONG_CREDENTIALS = 441,
    STUN_ERR_UNSUPPORTED_TRANSPORT = 442,
    STUN_ERR_PEER_ADDRESS_FAMILY = 443,
    STUN_ERR_ALLOCATION_QUOTA = 486,
    STUN_ERR_SERVER_ERROR = 500,
    STUN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/* REQUESTED-TRANSPORT protocol numbers (RFC 8656 14.7). */
#define TURN_PROTO_UDP 17

/* The dialect of the wire: what differs between RFC STUN and the old-draft
 * STUN that Microsoft's A/V Edge speaks (MS-TURN: no magic cookie in the
 * header but an attribute, other attribute numbers, another integrity
 * computation). The codec calls through this table in the few places those
 * differ, so a second dialect is a second table. NULL means RFC 5389. */
struct stun_enc;
struct stun_msg;
struct stun_dialect {
    const char *name;
    /* Bytes of transaction id at the end of the 20-byte header: 12 after
     * the magic cookie (RFC 5389 6), or 16 where the header has no cookie. */
    size_t tid_len;
    /* Bytes 4..7 of a header that belongs to this dialect. */
    bool (*header_ok)(const uint8_t *hdr);
    /* RFC attribute number <-> the number on the wire. */
    uint16_t (*attr_to_wire)(uint16_t type);
    uint16_t (*attr_from_wire)(uint16_t wire);
    /* MESSAGE-INTEGRITY over msg[0..len) whose header length field already
     * says where the integrity attribute ends. */
    int (*integrity)(const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
                     uint8_t out[STUN_MI_LEN]);
    /* Optional. What every message of the dialect starts with, written
     * right after the header (MS-TURN: the MAGIC-COOKIE attribute); and the
     * check of a parsed message that it belongs to the dialect: 0, or
     * SYNTH_EUNSUPPORTED so the caller treats it as not STUN. */
    void (*enc_begin)(struct stun_enc *e);
    int (*msg_check)(const struct stun_msg *m);
    /* Also reads attributes that are not padded to four bytes, when the
     * padded reading fails: libnice writes MS-TURN and MS-ICE2 so (its
     * NO_ALIGNED_ATTRIBUTES mode), and Microsoft's servers take it, so a
     * Microsoft peer may answer so too. We write them padded, as RFC 5389
     * and [MS-TURN] 2.2.2's lengths that exclude padding do. */
    bool unpadded_ok;
};

extern const struct stun_dialect stun_dialect_rfc5389;
/* Its pieces, for dialects that share them: the magic cookie in bytes
 * 4..7, attribute numbers as they are. */
bool stun_header_rfc5389(const uint8_t *hdr);
uint16_t stun_attr_same(uint16_t type);

/* ---- parsing ---- */

struct stun_attr {
    uint16_t type;      /* RFC number (translated from the wire by the dialect) */
    uint16_t len;       /* value length, without padding */
    const uint8_t *val; /* view into the parsed buffer */
    uint16_t off;       /* offset of the attribute header in the message */
};

/* A parsed message: views into the caller's buffer, valid as long as it is.
 * Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT are not looked up (RFC 8489 14.5: they are not protected). */
struct stun_msg {
    const struct stun_dialect *dialect;
    const uint8_t *raw; /* the whole message */
    size_t len;         /* STUN_HEADER_LEN + the header's length field */
    uint16_t type;      /* the raw message type */
    uint16_t method;
    enum stun_class cls;
    const uint8_t *tid; /* dialect->tid_len bytes (STUN_TID_LEN for RFC 5389) */
    size_t attr_count;
    struct stun_attr attrs[STUN_ATTRS_MAX];
    int mi;    /* index of MESSAGE-INTEGRITY in attrs, or -1 */
    int mi256; /* of MESSAGE-INTEGRITY-SHA256, or -1 */
    int fp;    /* of FINGERPRINT, or -1 */
    /* Comprehension-required types (below 0x8000) the codec does not know,
     * for a 420 answer (RFC 8489 6.3.1); at most 8 kept. */
    uint16_t unknown[8];
    size_t unknown_count;
};

/* What the first byte of a packet on a shared socket says it is (RFC 7983 7;
 * ChannelData 64..79 per RFC 8656 12). */
enum stun_demux {
    STUN_DEMUX_STUN,     /* 0..3 */
    STUN_DEMUX_ZRTP,     /* 16..19 */
    STUN_DEMUX_DTLS,     /* 20..63 */
    STUN_DEMUX_CHANNEL,  /* 64..79: TURN ChannelData */
    STUN_DEMUX_RTP,      /* 128..191: RTP and RTCP */
    STUN_DEMUX_OTHER,    /* anything else, or empty */
};
enum stun_demux stun_demux(const uint8_t *buf, size_t len);

/* Parses one message from buf[0..len). Datagrams must hold exactly one
 * message; on a stream, buf may hold more (used = the message's bytes) or
 * less (SYNTH_EINCOMPLETE). Returns 0; SYNTH_EUNSUPPORTED when it is not STUN
 * at all (first bits or magic cookie: RTP, ChannelData, DTLS, garbage), so a
 * demultiplexer can hand it on; SYNTH_EPARSE when it is STUN but broken (bad
 * length, attribute past the end, bad padding, bad attribute value, misplaced
 * FINGERPRINT), with "offset N: why" in err; SYNTH_ETOOBIG over a bound.
 * d: NULL for RFC 5389. Integrity is not checked here (the key depends on
 * attributes): see stun_msg_check_integrity. */
int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len, bool datagram,
                   const struct stun_dialect *d, size_t *used, struct synth_error *err);

/* Stream framing (TCP, TLS): bytes of the STUN message or ChannelData frame
 * (padding included, RFC 8656 12.5; first bits 01, so RFC 5766's channels up
 * to 0x7FFF too) that starts buf. 0 and frame_len once
 * the first 4 bytes are in (the frame may be longer than len: wait);
 * SYNTH_EINCOMPLETE under 4 bytes; SYNTH_EPARSE when it is neither;
 * SYNTH_ETOOBIG over STUN_MSG_MAX. */
int stun_stream_frame_len(const uint8_t *buf, size_t len, size_t *frame_len);

/* The first attribute of this type before MESSAGE-INTEGRITY (or an integrity
 * attribute or FINGERPRINT themselves), NULL if none. */
const struct stun_attr *stun_msg_attr(const struct stun_msg *m, uint16_t type);

/* Typed values; each returns 0 or SYNTH_EPARSE / SYNTH_ENOTFOUND (a NULL
 * attribute, so callers can pass stun_msg_attr's result directly). */
int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
                       struct sockaddr_storage *out, socklen_t *out_len);
int stun_attr_addr(const struct stun_attr *a, struct sockaddr_storage *out, socklen_t *out_len);
int stun_attr_u32(const struct stun_attr *a, uint32_t *out); /* LIFETIME, PRIORITY */
int stun_attr_u64(const struct stun_attr *a, uint64_t *out); /* ICE-CONTROLLED/-CONTROLLING */
int stun_attr_error_code(const struct stun_attr *a, uint16_t *code, struct strv *reason);
int stun_attr_channel(const struct stun_attr *a, uint16_t *channel);
struct strv stun_attr_strv(const struct stun_attr *a); /* text and DATA; empty if NULL */
/* The error code of an error response (0 and an empty reason if none). */
uint16_t stun_msg_error(const struct stun_msg *m, struct strv *reason);

/* 0 if MESSAGE-INTEGRITY (-SHA256) verifies with key; SYNTH_EAUTH if it does
 * not; SYNTH_ENOTFOUND if the message has none. */
int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len);
/* The same with the integrity rule of dialect d (NULL: RFC 5389's) instead
 * of the one the message was parsed with: for peers that speak one header
 * but two ways of computing the MAC. */
int stun_msg_check_integrity_as(const struct stun_msg *m, const struct stun_dialect *d,
                                const uint8_t *key, size_t key_len);
int stun_msg_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t key_len);
/* 0 if FINGERPRINT verifies; SYNTH_EPARSE if not; SYNTH_ENOTFOUND if absent. */
int stun_msg_check_fingerprint(const struct stun_msg *m);

/* ---- encoding ---- */

/* A message built in a caller's buffer. Calls after an overflow do nothing;
 * stun_enc_finish reports it (like struct sbuf). The header's length field is
 * kept current, so integrity and fingerprint can be added at any point. */
struct stun_enc {
    const struct stun_dialect *dialect;
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
    uint8_t pad; /* padding byte value: 0; RFC 5769's vectors use 0x20 */
};

/* d NULL for RFC 5389; tid is d->tid_len bytes (STUN_TID_LEN for RFC 5389). */
void stun_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap, const struct stun_dialect *d,
                   uint16_t method, enum stun_class cls, const uint8_t *tid);
void stun_enc_attr(struct stun_enc *e, uint16_t type, const void *val, size_t len);
void stun_enc_str(struct stun_enc *e, uint16_t type, const char *s);
void stun_enc_u32(struct stun_enc *e, uint16_t type, uint32_t v);
void stun_enc_u64(struct stun_enc *e, uint16_t type, uint64_t v);
/* XOR-MAPPED/-PEER/-RELAYED-ADDRESS (xor = true) or MAPPED-ADDRESS. */
void stun_enc_addr(struct stun_enc *e, uint16_t type, const struct sockaddr *sa, bool xor);
void stun_enc_error_code(struct stun_enc *e, uint16_t code, const char *reason);
void stun_enc_unknown_attrs(struct stun_enc *e, const uint16_t *types, size_t n);
void stun_enc_channel(struct stun_enc *e, uint16_t channel);
void stun_enc_transport(struct stun_enc *e, uint8_t protocol);
/* REQUESTED-ADDRESS-FAMILY (RFC 8656 14.8): AF_INET or AF_INET6. */
void stun_enc_family(struct stun_enc *e, int family);
/* MESSAGE-INTEGRITY (HMAC-SHA1) and -SHA256 over everything so far. */
void stun_enc_integrity(struct stun_enc *e, const uint8_t *key, size_t key_len);
void stun_enc_integrity_sha256(struct stun_enc *e, const uint8_t *key, size_t key_len);
void stun_enc_fingerprint(struct stun_enc *e);
/* 0 and the message's length, or SYNTH_ETOOBIG if it did not fit. */
int stun_enc_finish(const struct stun_enc *e, size_t *len);

/* ---- credentials ---- */

/* Long-term key (RFC 5389 15.4): MD5(username ":" realm ":" password), the
 * strings as given (SASLprep is the caller's: ASCII credentials need none). */
int stun_key_long_term(struct strv username, struct strv realm, struct strv password,
                       uint8_t key[STUN_LONG_TERM_KEY_LEN]);
/* The short-term key is the password itself (RFC 8489 9.1.1). */

/* A 96-bit transaction id from OpenSSL's RAND_bytes. */
int stun_tid_new(uint8_t tid[STUN_TID_LEN]);
/* n random bytes of transaction id (a dialect's tid_len). */
int stun_tid_fill(uint8_t *tid, size_t n);
/* Bytes of transaction id the dialect puts in a header (d NULL: RFC 5389). */
size_t stun_dialect_tid_len(const struct stun_dialect *d);

/* CRC-32 (ISO-HDLC, as zlib's), table-driven: FINGERPRINT's checksum. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/* ---- ChannelData (RFC 8656 12.4, 12.5) ---- */

#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX 0x4FFF
/* RFC 5766 11 allowed channels up to 0x7FFF; RFC 8656 12 keeps 0x4000-0x4FFF
 * for clients but a server still meets the old range: coturn's
 * turnutils_uclient binds numbers such as 0x748a. */
#define TURN_CHANNEL_MAX_RFC5766 0x7FFF
#define TURN_CHANNEL_HEADER_LEN 4

/* Parses a ChannelData frame. stream: the frame is padded to 4 bytes (TCP);
 * used covers the padding. Datagrams may carry padding too (RFC 8656 12.5):
 * bytes after the data are ignored. 0; SYNTH_EINCOMPLETE (stream, short);
 * SYNTH_EUNSUPPORTED if the channel number is outside 0x4000-0x4FFF;
 * SYNTH_EPARSE if the length runs past a datagram. */
int stun_chandata_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *channel,
                        const uint8_t **data, size_t *data_len, size_t *used);
/* The same with channels up to channel_max (TURN_CHANNEL_MAX_RFC5766 for a
 * server). */
int stun_chandata_parse_upto(const uint8_t *buf, size_t len, bool stream, uint16_t channel_max,
                             uint16_t *channel, const uint8_t **data, size_t *data_len,
                             size_t *used);
/* Writes a frame (padded when stream); 0 and its length, SYNTH_ETOOBIG. */
int stun_chandata_encode(uint8_t *buf, size_t cap, uint16_t channel, const uint8_t *data,
                         size_t data_len, bool stream, size_t *out_len);

#endif
