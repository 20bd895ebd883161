/* Base64 of RFC 4648 4: the standard alphabet with '=' padding, encoded
 * and decoded strictly (no blanks, no URL alphabet, canonical only). */
#ifndef SYNTH_BASE64_H
#define SYNTH_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters base64_encode writes for n bytes, not counting the NUL. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)
/* Bytes that len characters decode to at the most (less with padding). */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3)

/* Encodes len bytes, padded, NUL-terminated into out of size bytes (it
 * needs BASE64_ENCODED_LEN(len) + 1). Returns 0 or SYNTH_ETOOBIG (out
 * then holds "" when size > 0). */
int base64_encode(const uint8_t *in, size_t len, char *out, size_t size);

/* Decodes exactly len characters into out (cap bytes), *out_len set on
 * success. Strict, as RFC 4648 3.3 and 3.5 allow a decoder to be: len a
 * multiple of 4, at most two '=' and only at the end, every other
 * character of the alphabet, and the bits that padding leaves over zero
 * (so each byte string has one encoding). "" decodes to 0 bytes. Returns
 * 0, SYNTH_EPARSE or SYNTH_ETOOBIG (more than cap bytes); on failure out
 * may hold part of the result, to be wiped by a caller decoding secrets. */
int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
