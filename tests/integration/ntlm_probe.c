/* A test driver of synth/ntlm for tests/integration/test_ntlm_peer.sh, where
 * python3-ntlm-auth (an NTLM implementation we did not write) checks what it
 * computes. Inputs that a real client draws at random come from the
 * environment so both sides can use the same ones: NTLM_PROBE_LOGIN
 * (domain\user or UPN), NTLM_PROBE_PASSWORD, NTLM_PROBE_CLIENT_CHALLENGE (16
 * hex digits), NTLM_PROBE_TIMESTAMP (FILETIME, decimal), NTLM_PROBE_SESSION_KEY
 * (32 hex digits), optionally NTLM_PROBE_VERSION (16 hex digits, the
 * AUTHENTICATE version field) and NTLM_PROBE_NEGOTIATE (the NEGOTIATE sent
 * before, hex, for the MIC); the CHALLENGE message comes as hex on stdin.
 *
 *   ntlm_probe negotiate             prints "negotiate <hex>", the NEGOTIATE
 *       message a connection-oriented client (a GSSAPI peer) starts with.
 *   ntlm_probe authenticate BUFFER   prints "authenticate <hex>" (the
 *       AUTHENTICATE message) and "signature <hex>" (the client's signature
 *       of BUFFER: connectionless with sequence number 100 as SIP does, or
 *       connection-oriented with 0), and for connection-oriented sessions
 *       "sealed <hex> <signature hex>" of BUFFER.
 *   ntlm_probe verify BUFFER SIG     checks SIG as the server's signature of
 *       BUFFER; prints "verify ok", or "verify failed" and exits 1.
 * Keys, hashes and the password are never printed. Exit 2 on bad input. */
#include "synth/ntlm/ntlm_msg.h"
#include "synth/sip/sipae.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_to(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(hex);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
        n--;
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static void print_hex(const char *label, const uint8_t *p, size_t n, const char *end)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("%s", end);
}

static int env_hex(const char *name, uint8_t *out, size_t want)
{
    const char *v = getenv(name);
    size_t n = 0;
    if (!v || hex_to(v, out, want, &n) != 0 || n != want) {
        fprintf(stderr, "ntlm_probe: %s must be %zu bytes of hex\n", name, want);
        return -1;
    }
    return 0;
}

/* What a connection-oriented client asks for: NTLMv2 with extended session
 * security, key exchange, 128-bit keys, signing and sealing. */
#define PROBE_NEGOTIATE_FLAGS                                                                     \
    (NTLM_FLAG_UNICODE | NTLM_FLAG_OEM | NTLM_FLAG_REQUEST_TARGET | NTLM_FLAG_SIGN |               \
     NTLM_FLAG_SEAL | NTLM_FLAG_NTLM | NTLM_FLAG_ALWAYS_SIGN |                                     \
     NTLM_FLAG_EXTENDED_SESSIONSECURITY | NTLM_FLAG_TARGET_INFO | NTLM_FLAG_VERSION |             \
     NTLM_FLAG_128 | NTLM_FLAG_KEY_EXCH | NTLM_FLAG_56)

int main(int argc, char **argv)
{
    static char line[2 * NTLM_MSG_MAX + 4];
    static uint8_t raw[NTLM_MSG_MAX], out[NTLM_MSG_MAX];
    char user[NTLM_STR_MAX], domain[NTLM_STR_MAX];
    size_t raw_len = 0, out_len = 0;
    struct ntlm_challenge ch;
    struct ntlm_session s;
    struct ntlm_auth_input in = {0};
    struct synth_error e = {{0}};

    if (argc == 2 && !strcmp(argv[1], "negotiate")) {
        static const uint8_t v[NTLM_VERSION_LEN] = {6, 1, 0xb1, 0x1d, 0, 0, 0, 15};
        if (ntlm_negotiate_write(PROBE_NEGOTIATE_FLAGS, v, out, sizeof(out), &out_len) != 0)
            return 2;
        print_hex("negotiate ", out, out_len, "\n");
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "authenticate") && strcmp(argv[1], "verify")) ||
        (!strcmp(argv[1], "verify") && argc < 4)) {
        fprintf(stderr, "usage: ntlm_probe negotiate | authenticate BUFFER | verify BUFFER SIGHEX\n");
        return 2;
    }
    if (ntlm_crypto_init(&e) != 0) {
        fprintf(stderr, "ntlm_probe: %s\n", e.msg);
        return 2;
    }
    const char *login = getenv("NTLM_PROBE_LOGIN"), *password = getenv("NTLM_PROBE_PASSWORD");
    const char *ts = getenv("NTLM_PROBE_TIMESTAMP");
    if (!login || !password || !ts ||
        sipae_user_split(login, user, sizeof(user), domain, sizeof(domain)) != 0) {
        fprintf(stderr, "ntlm_probe: NTLM_PROBE_LOGIN, _PASSWORD and _TIMESTAMP are needed\n");
        return 2;
    }
    if (env_hex("NTLM_PROBE_CLIENT_CHALLENGE", in.client_challenge, 8) ||
        env_hex("NTLM_PROBE_SESSION_KEY", in.random_session_key, 16))
        return 2;
    static uint8_t negotiate[NTLM_MSG_MAX];
    const char *neg_hex = getenv("NTLM_PROBE_NEGOTIATE");
    if (neg_hex) {
        if (hex_to(neg_hex, negotiate, sizeof(negotiate), &in.negotiate_len) != 0) {
            fprintf(stderr, "ntlm_probe: NTLM_PROBE_NEGOTIATE must be hex\n");
            return 2;
        }
        in.negotiate = negotiate;
    }
    if (!fgets(line, sizeof(line), stdin) || hex_to(line, raw, sizeof(raw), &raw_len) != 0) {
        fprintf(stderr, "ntlm_probe: stdin must hold the CHALLENGE message in hex\n");
        return 2;
    }
    int rc = ntlm_challenge_parse(&ch, raw, raw_len);
    if (rc != 0) {
        fprintf(stderr, "ntlm_probe: CHALLENGE refused: %s\n", synth_strerror(rc));
        return 2;
    }
    /* The client picks Unicode, so OEM is not among the flags it returns. */
    in.flags = ch.flags & ~NTLM_FLAG_OEM;
    uint8_t version[NTLM_VERSION_LEN];
    if (getenv("NTLM_PROBE_VERSION")) {
        if (env_hex("NTLM_PROBE_VERSION", version, sizeof(version)))
            return 2;
        in.version = version;
    }
    in.user = user;
    in.domain = domain;
    in.workstation = "SYNTH";
    in.password = password;
    in.timestamp = strtoull(ts, NULL, 10);
    rc = ntlm_authenticate_write(&ch, raw, raw_len, &in, out, sizeof(out), &out_len, &s);
    if (rc != 0) {
        fprintf(stderr, "ntlm_probe: AUTHENTICATE not written: %s\n", synth_strerror(rc));
        return 2;
    }

    const uint8_t *buf = (const uint8_t *)argv[2];
    size_t buf_len = strlen(argv[2]);
    bool datagram = s.flags & NTLM_FLAG_DATAGRAM;
    uint32_t seq = datagram ? SIPAE_NTLM_SEQNUM : 0;
    uint8_t sig[NTLM_SIGNATURE_LEN];
    struct ntlm_rc4 *h = NULL;
    int status = 0;

    if (!strcmp(argv[1], "authenticate")) {
        print_hex("authenticate ", out, out_len, "\n");
        if (!datagram && (rc = ntlm_rc4_new(&h, s.client.seal, s.client.seal_len)) != 0)
            goto fail;
        if ((rc = ntlm_mac(&s.client, h, seq, 0, buf, buf_len, sig)) != 0)
            goto fail;
        print_hex("signature ", sig, sizeof(sig), "\n");
        if (!datagram) {
            /* A fresh stream for sealing: the server's peer starts its own. */
            ntlm_rc4_free(h);
            h = NULL;
            uint8_t *sealed = malloc(buf_len ? buf_len : 1);
            if (!sealed || (rc = ntlm_rc4_new(&h, s.client.seal, s.client.seal_len)) != 0 ||
                (rc = ntlm_seal(&s.client, h, 0, buf, buf_len, sealed, sig)) != 0) {
                free(sealed);
                goto fail;
            }
            print_hex("sealed ", sealed, buf_len, " ");
            print_hex("", sig, sizeof(sig), "\n");
            free(sealed);
        }
    } else {
        size_t n = 0;
        if (hex_to(argv[3], sig, sizeof(sig), &n) != 0 || n != sizeof(sig)) {
            fprintf(stderr, "ntlm_probe: SIG must be 16 bytes of hex\n");
            status = 2;
            goto out;
        }
        if (!datagram && (rc = ntlm_rc4_new(&h, s.server.seal, s.server.seal_len)) != 0)
            goto fail;
        bool good = ntlm_mac_verify(&s.server, h, seq, buf, buf_len, sig);
        printf("verify %s\n", good ? "ok" : "failed");
        status = good ? 0 : 1;
    }
    goto out;
fail:
    fprintf(stderr, "ntlm_probe: %s\n", synth_strerror(rc));
    status = 2;
out:
    ntlm_rc4_free(h);
    ntlm_session_clear(&s);
    return status;
}
