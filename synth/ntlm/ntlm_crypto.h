/* NTLMv2 cryptography of [MS-NLMP] 3.3.2 (NTOWFv2, LMv2 and NTLMv2 responses,
 * the session base key), 3.4.5 (KXKEY, SIGNKEY, SEALKEY) and 3.4.3-3.4.4
 * (sealing and the message signature, with and without extended session
 * security, connection-oriented or connectionless). MD4 and RC4 exist only in
 * OpenSSL 3's legacy provider: it is loaded into an OSSL_LIB_CTX of this
 * module alone, so the rest of synth keeps the default policy. */
#ifndef SYNTH_NTLM_CRYPTO_H
#define SYNTH_NTLM_CRYPTO_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTLM_KEY_LEN 16       /* every NTLMv2 key, hash and proof */
#define NTLM_CHALLENGE_LEN 8  /* server and client challenges */
#define NTLM_LM_RESPONSE_LEN 24
#define NTLM_SIGNATURE_LEN 16 /* NTLMSSP_MESSAGE_SIGNATURE, 2.2.2.9 */
/* Characters of a user, domain or password once in UTF-16: Windows caps
 * passwords at 256 and account names far below; the bound sizes the stack
 * buffers the conversion writes into. */
#define NTLM_STR_MAX 256

/* Negotiate flags ([MS-NLMP] 2.2.2.5) that change the computations here. */
#define NTLM_FLAG_UNICODE 0x00000001u
#define NTLM_FLAG_OEM 0x00000002u
#define NTLM_FLAG_REQUEST_TARGET 0x00000004u
#define NTLM_FLAG_SIGN 0x00000010u
#define NTLM_FLAG_SEAL 0x00000020u
#define NTLM_FLAG_DATAGRAM 0x00000040u
#define NTLM_FLAG_LM_KEY 0x00000080u
#define NTLM_FLAG_NTLM 0x00000200u
#define NTLM_FLAG_ALWAYS_SIGN 0x00008000u
#define NTLM_FLAG_TARGET_TYPE_DOMAIN 0x00010000u
#define NTLM_FLAG_TARGET_TYPE_SERVER 0x00020000u
#define NTLM_FLAG_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLM_FLAG_IDENTIFY 0x00100000u
#define NTLM_FLAG_TARGET_INFO 0x00800000u
#define NTLM_FLAG_VERSION 0x02000000u
#define NTLM_FLAG_128 0x20000000u
#define NTLM_FLAG_KEY_EXCH 0x40000000u
#define NTLM_FLAG_56 0x80000000u

/* Loads the module's library context (default + legacy providers) once per
 * process and fetches MD4, MD5, HMAC and RC4 from it. SYNTH_EUNSUPPORTED with
 * e naming the missing piece when the legacy provider (ossl-modules/legacy.so)
 * or an algorithm is not there; every function below then fails the same way.
 * Thread-safe; the context is read-only once made. */
int ntlm_crypto_init(struct synth_error *e);

/* NTOWFv2 = HMAC_MD5(MD4(UTF-16LE(password)), UTF-16LE(Uppercase(user) ||
 * domain)) ([MS-NLMP] 3.3.2). Strings are UTF-8; Uppercase covers ASCII only
 * (Windows account names in the field; a non-ASCII lowercase letter in a user
 * name would hash differently from Windows). SYNTH_EINVAL for invalid UTF-8 or
 * more than NTLM_STR_MAX characters. The MD4 of the password is wiped. */
int ntlm_ntowfv2(const char *password, const char *user, const char *domain,
                 uint8_t key[NTLM_KEY_LEN]);

/* LMv2 response: HMAC_MD5(key, server || client)[16] || client (3.3.2). */
int ntlm_lmv2_response(const uint8_t key[NTLM_KEY_LEN],
                       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[NTLM_CHALLENGE_LEN],
                       uint8_t out[NTLM_LM_RESPONSE_LEN]);

/* Bytes of the NTLMv2 response for a target info of ti_len bytes: NTProofStr,
 * the 28-byte head of the client blob, the target info, 4 zero bytes. */
#define NTLM_NTV2_RESPONSE_LEN(ti_len) (NTLM_KEY_LEN + 28 + (ti_len) + 4)

/* NTLMv2 response (3.3.2, 2.2.2.8): temp = 01 01 Z(6) timestamp client Z(4)
 * target_info Z(4); NTProofStr = HMAC_MD5(key, server || temp); out =
 * NTProofStr || temp; session_base_key = HMAC_MD5(key, NTProofStr).
 * timestamp is a FILETIME (100 ns since 1601), written little-endian.
 * SYNTH_ETOOBIG when cap < NTLM_NTV2_RESPONSE_LEN(ti_len). */
int ntlm_ntv2_response(const uint8_t key[NTLM_KEY_LEN],
                       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[NTLM_CHALLENGE_LEN], uint64_t timestamp,
                       const uint8_t *target_info, size_t ti_len, uint8_t *out, size_t cap,
                       size_t *out_len, uint8_t session_base_key[NTLM_KEY_LEN]);

/* HMAC_MD5 of one buffer (the MIC of 3.1.5.1.2 is one). */
int ntlm_hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
                  uint8_t out[NTLM_KEY_LEN]);

/* RC4K(key, in): a fresh RC4 stream over len bytes (in and out may alias);
 * how the exported session key is carried when KEY_EXCH is negotiated. */
int ntlm_rc4k(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out);

/* SIGNKEY and SEALKEY (3.4.5.2, 3.4.5.3) from the exported session key for
 * one direction (client: client-to-server). Without extended session
 * security there is no signing key (the sealing key signs, 3.4.4.1):
 * ntlm_signkey then zeroes out and returns 0. SEALKEY shortens the key for
 * the 56 and 40 bit flags as the spec says. */
int ntlm_signkey(uint32_t flags, const uint8_t session_key[NTLM_KEY_LEN], bool client,
                 uint8_t out[NTLM_KEY_LEN]);
int ntlm_sealkey(uint32_t flags, const uint8_t session_key[NTLM_KEY_LEN], bool client,
                 uint8_t out[NTLM_KEY_LEN], size_t *out_len);

/* The RC4 state of one direction ("Handle" in 3.4.3). Connection-oriented
 * NTLM keeps it across messages; connectionless NTLM (NTLM_FLAG_DATAGRAM,
 * what SIP uses) starts it over for each message, so a handle is only needed
 * without that flag. Free with ntlm_rc4_free (wipes the key schedule). */
struct ntlm_rc4;
int ntlm_rc4_new(struct ntlm_rc4 **h, const uint8_t *key, size_t key_len);
int ntlm_rc4_update(struct ntlm_rc4 *h, const uint8_t *in, size_t len, uint8_t *out);
void ntlm_rc4_free(struct ntlm_rc4 *h);

/* The keys of one direction after authentication. */
struct ntlm_keys {
    uint32_t flags;
    uint8_t sign[NTLM_KEY_LEN];
    uint8_t seal[NTLM_KEY_LEN];
    size_t seal_len;
};

/* MAC(Handle, SigningKey, SeqNum, Message) of 3.4.4: the 16-byte
 * NTLMSSP_MESSAGE_SIGNATURE of msg. With extended session security:
 * version 1, HMAC_MD5(sign, seqnum || msg)[0..7], RC4-encrypted when
 * KEY_EXCH is negotiated, seqnum. Without: version 1, RC4 of (0, CRC32,
 * 0) with the seqnum XORed in; connectionless, the random pad is set to random_pad.
 * Connectionless: the RC4 stream starts over from SealingKey (or, with
 * extended session security, MD5(SealingKey || seqnum), 3.4.4.2) and h may
 * be NULL; otherwise h is the direction's handle and advances. */
int ntlm_mac(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum, uint32_t random_pad,
             const uint8_t *msg, size_t len, uint8_t sig[NTLM_SIGNATURE_LEN]);

/* True when sig is what ntlm_mac gives for msg (with the random pad taken
 * from sig, as a receiver does). Constant-time comparison. */
bool ntlm_mac_verify(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum,
                     const uint8_t *msg, size_t len, const uint8_t sig[NTLM_SIGNATURE_LEN]);

/* SEAL of 3.4.3: out = RC4(Handle, msg), then the signature of the
 * plaintext through the same handle (so the checksum's RC4 continues the
 * stream). Connectionless: a stream of its own for this message. */
int ntlm_seal(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum, const uint8_t *msg,
              size_t len, uint8_t *out, uint8_t sig[NTLM_SIGNATURE_LEN]);

/* CRC32 (ISO 3309, as zlib) of the version 1 signature. */
uint32_t ntlm_crc32(const uint8_t *buf, size_t len);

/* UTF-8 to UTF-16LE, *out_len in bytes; SYNTH_EINVAL for invalid UTF-8,
 * SYNTH_ETOOBIG past cap. upper: ASCII letters uppercased. */
int ntlm_utf16le(const char *s, bool upper, uint8_t *out, size_t cap, size_t *out_len);

#endif
