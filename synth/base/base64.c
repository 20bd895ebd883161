/* Base64, RFC 4648 4, strict in both directions: the one codec of synth
 * (SDES keys of RFC 4568 are its users). */
#include "base64.h"

#include "err.h"

#include <stdbool.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet character, -1 for anything else ('='
 * included: padding is handled by position). */
static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_encode(const uint8_t *in, size_t len, char *out, size_t size)
{
    if (size < BASE64_ENCODED_LEN(len) + 1) {
        if (size)
            out[0] = '\0';
        return SYNTH_ETOOBIG;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        size_t left = len - i;
        uint32_t v = (uint32_t)in[i] << 16;
        if (left > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = left > 1 ? alphabet[v >> 6 & 63] : '=';
        out[o++] = left > 2 ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return 0;
}

int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (len % 4 != 0)
        return SYNTH_EPARSE;
    /* RFC 4648 3.2: "=" only completes the last quantum, one or two of it. */
    size_t pad = 0;
    if (len >= 4 && in[len - 1] == '=')
        pad = in[len - 2] == '=' ? 2 : 1;
    size_t need = BASE64_DECODED_MAX(len) - pad;
    if (need > cap)
        return SYNTH_ETOOBIG;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        size_t chars = last ? 4 - pad : 4;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = j < chars ? value_of(in[i + j]) : 0;
            if (d < 0)
                return SYNTH_EPARSE;
            v = v << 6 | (uint32_t)d;
        }
        /* RFC 4648 3.5: the bits the padding leaves over must be zero. */
        if (last && pad && (v & (pad == 1 ? 0xffu : 0xffffu)))
            return SYNTH_EPARSE;
        out[o++] = (uint8_t)(v >> 16);
        if (chars > 2)
            out[o++] = (uint8_t)(v >> 8);
        if (chars > 3)
            out[o++] = (uint8_t)v;
    }
    *out_len = o;
    return 0;
}
