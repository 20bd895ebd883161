/* The MS-TURN dialect of the STUN codec ([MS-TURN] 2.2, after
 * draft-ietf-behave-turn-08 and the STUN-02 draft): a 128-bit transaction id
 * where RFC 5389 has its cookie, the MAGIC-COOKIE attribute first in every
 * message, its own message types and attribute numbers, and the old
 * MESSAGE-INTEGRITY over the message zero-padded to 64 bytes. */
#ifndef SYNTH_TURN_MSTURN_MSG_H
#define SYNTH_TURN_MSTURN_MSG_H

#include "synth/turn/stun_msg.h"

#include <stdint.h>

/* [MS-TURN] 2.2.2.8: the value of the MAGIC-COOKIE attribute. */
#define MSTURN_MAGIC_COOKIE 0x72C64BC6u
#define MSTURN_TID_LEN 16
/* [MS-TURN] 2.2.2.17 MS-Version: 1 says an [MS-ICE] client, 2 an [MS-ICE2]
 * one, 3 and up add SHA-256 integrity, IPv6 and multiplexed TURN. We send
 * 1, as libnice's MS-TURN mode does against Lync and Skype for Business
 * Edges: the allocation is made before the answer says which ICE the peer
 * speaks, and 1 asks the Edge for nothing we do not do. */
#define MSTURN_VERSION 1u
/* MS-Sequence Number: a 20-byte connection id the server chose, then a
 * 32-bit sequence number the client raises on each Send and Set Active
 * Destination (as libnice's MS-TURN mode does). */
#define MSTURN_CONNECTION_ID_LEN 20
#define MSTURN_SEQUENCE_LEN (MSTURN_CONNECTION_ID_LEN + 4)

/* Message types of [MS-TURN] 2.2.1, whole (method and class bits). */
enum msturn_type {
    MSTURN_ALLOCATE = 0x0003,
    MSTURN_ALLOCATE_OK = 0x0103,
    MSTURN_ALLOCATE_ERR = 0x0113,
    MSTURN_SEND = 0x0004,
    MSTURN_DATA_IND = 0x0115,
    MSTURN_SET_ACTIVE_DEST = 0x0006,
    MSTURN_SET_ACTIVE_DEST_OK = 0x0106,
    MSTURN_SET_ACTIVE_DEST_ERR = 0x0116,
};

/* The methods of those types, as the codec splits a type (RFC 5389 6):
 * Send's request bits, the Data Indication's two class bits (0x0115 reads
 * as method 5, class error). */
enum msturn_method {
    MSTURN_METHOD_SEND = 0x004,
    MSTURN_METHOD_DATA_IND = 0x005,
    MSTURN_METHOD_SET_ACTIVE_DEST = 0x006,
};

/* Attribute numbers on the MS-TURN wire ([MS-TURN] 2.2.2) where they differ
 * from the codec's (stun_msg.h): the dialect translates both ways. */
enum msturn_wire_attr {
    MSTURN_WIRE_ALTERNATE_SERVER = 0x000E,
    MSTURN_WIRE_MAGIC_COOKIE = 0x000F,
    MSTURN_WIRE_DESTINATION_ADDRESS = 0x0011,
    MSTURN_WIRE_REMOTE_ADDRESS = 0x0012,
    MSTURN_WIRE_NONCE = 0x0014,         /* RFC 5389: REALM */
    MSTURN_WIRE_REALM = 0x0015,         /* RFC 5389: NONCE */
    MSTURN_WIRE_MS_VERSION = 0x8008,
    MSTURN_WIRE_XOR_MAPPED_ADDRESS = 0x8020,
    MSTURN_WIRE_MS_SEQUENCE_NUMBER = 0x8050,
};

extern const struct stun_dialect stun_dialect_msturn;

/* Starts a message of an MS-TURN type (enum msturn_type) with its
 * MAGIC-COOKIE attribute; tid is MSTURN_TID_LEN bytes. */
void msturn_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap, uint16_t type,
                     const uint8_t *tid);

/* The MESSAGE-INTEGRITY of the STUN-02 draft ([MS-TURN] 2.2.2, Message Integrity): HMAC-SHA1
 * with key over msg[0..len) zero-padded to a multiple of 64 bytes. */
int msturn_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
                     uint8_t out[STUN_MI_LEN]);

/* [MS-TURN] 2.1: over TCP every message goes in a frame of its own: a
 * 4-byte header (type, a reserved zero byte, the payload's length, big
 * endian) before it. A control frame carries a TURN message; an
 * end-to-end data frame, data to or from the active destination as it is
 * (what the UDP dialect sends unframed). libnice's OC2007 TCP mode reads
 * it the same way. */
#define MSTURN_TCP_HEADER_LEN 4
enum msturn_tcp_type { MSTURN_TCP_CONTROL = 0x02, MSTURN_TCP_DATA = 0x03 };

/* The frame at the head of buf: its type and whole length (header
 * included, at most MSTURN_TCP_HEADER_LEN + STUN_MSG_MAX). 0;
 * SYNTH_EINCOMPLETE before the header is all there; SYNTH_EPARSE for
 * another type or a non-zero reserved byte (a stream cannot resynchronise
 * after one); SYNTH_ETOOBIG past the bound. */
int msturn_tcp_frame(const uint8_t *buf, size_t len, enum msturn_tcp_type *type,
                     size_t *frame_len);
/* Writes the header of a frame carrying payload_len bytes; SYNTH_ETOOBIG
 * past STUN_MSG_MAX. */
int msturn_tcp_header(uint8_t out[MSTURN_TCP_HEADER_LEN], enum msturn_tcp_type type,
                      size_t payload_len);

#endif
