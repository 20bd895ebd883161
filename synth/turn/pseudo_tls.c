/* [MS-TURN] pseudo-TLS records (pseudo_tls.h): built from a template and
 * checked against it, the random fields left out of the check. */
#include "pseudo_tls.h"

#include "synth/base/err.h"

#include <openssl/rand.h>
#include <string.h>

/* Record header (type, version 3.1, length), handshake header (type,
 * 24-bit length), client version 3.1, then the random at 11. */
#define HELLO_RANDOM_AT 11
#define RANDOM_LEN 32
#define SERVER_SESSION_ID_AT 44
#define SESSION_ID_LEN 32

static const uint8_t client_hello[PSEUDO_TLS_CLIENT_HELLO_LEN] = {
    0x16, 0x03, 0x01, 0x00, 0x2d,  /* handshake record, TLS 1.0, 45 bytes */
    0x01, 0x00, 0x00, 0x29,        /* ClientHello, 41 bytes */
    0x03, 0x01,                    /* client_version */
    [HELLO_RANDOM_AT + RANDOM_LEN] = 0x00, /* session id: none */
    0x00, 0x02, 0x00, 0x18,        /* one cipher suite: 0x0018 */
    0x01, 0x00,                    /* one compression method: null */
};

static const uint8_t server_hello[PSEUDO_TLS_SERVER_HELLO_LEN] = {
    0x16, 0x03, 0x01, 0x00, 0x4e,  /* handshake record, TLS 1.0, 78 bytes */
    0x02, 0x00, 0x00, 0x46,        /* ServerHello, 70 bytes */
    0x03, 0x01,                    /* server_version */
    [HELLO_RANDOM_AT + RANDOM_LEN] = SESSION_ID_LEN,
    [SERVER_SESSION_ID_AT + SESSION_ID_LEN] = 0x00, 0x18, /* cipher suite */
    0x00,                          /* compression: null */
    0x0e, 0x00, 0x00, 0x00,        /* ServerHelloDone, empty */
};

/* Random bytes for a field a peer does not check. RAND_bytes fails only
 * when OpenSSL's generator cannot be seeded; the handshake protects
 * nothing, so zeros are then as good. */
static void fill_random(uint8_t *p, size_t len)
{
    if (RAND_bytes(p, (int)len) != 1)
        memset(p, 0, len);
}

void pseudo_tls_client_hello(uint8_t out[PSEUDO_TLS_CLIENT_HELLO_LEN])
{
    memcpy(out, client_hello, sizeof(client_hello));
    fill_random(out + HELLO_RANDOM_AT, RANDOM_LEN);
}

void pseudo_tls_server_hello(uint8_t out[PSEUDO_TLS_SERVER_HELLO_LEN])
{
    memcpy(out, server_hello, sizeof(server_hello));
    fill_random(out + HELLO_RANDOM_AT, RANDOM_LEN);
    fill_random(out + SERVER_SESSION_ID_AT, SESSION_ID_LEN);
}

static bool in_field(size_t i, size_t at, size_t len)
{
    return i >= at && i < at + len;
}

/* Every byte of buf equals the template's, except inside the free fields
 * (the random, and the server's session id when sid_at is non-zero). */
static int check(const uint8_t *tmpl, size_t tmpl_len, size_t sid_at, const uint8_t *buf,
                 size_t len, size_t *bad_at)
{
    size_t n = len < tmpl_len ? len : tmpl_len;
    for (size_t i = 0; i < n; i++) {
        if (in_field(i, HELLO_RANDOM_AT, RANDOM_LEN) ||
            (sid_at && in_field(i, sid_at, SESSION_ID_LEN)))
            continue;
        if (buf[i] != tmpl[i]) {
            if (bad_at)
                *bad_at = i;
            return SYNTH_EPARSE;
        }
    }
    return len < tmpl_len ? SYNTH_EINCOMPLETE : 0;
}

int pseudo_tls_check_client_hello(const uint8_t *buf, size_t len, size_t *bad_at)
{
    return check(client_hello, sizeof(client_hello), 0, buf, len, bad_at);
}

int pseudo_tls_check_server_hello(const uint8_t *buf, size_t len, size_t *bad_at)
{
    return check(server_hello, sizeof(server_hello), SERVER_SESSION_ID_AT, buf, len, bad_at);
}
