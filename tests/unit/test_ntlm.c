/* Unit tests of synth/ntlm: the [MS-NLMP] 4.2.2-4.2.4 test vectors byte for
 * byte (NTOWFv2, LMv2 and NTLMv2 responses, session base key, encrypted
 * random session key, the AUTHENTICATE message, signing and sealing keys,
 * sealed text and signatures), the real Office Communicator 2007 R2 / OCS
 * 2007 R2 exchange SIPE's sip-sec-ntlm-tests.c records (its AUTHENTICATE
 * message and the signatures of its SIP buffers), the CHALLENGE parser on
 * malformed input placed before an unreadable page, the MIC path, and the
 * error when OpenSSL's legacy provider is missing. */
#include "synth/ntlm/ntlm_msg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define ARENA_DATA 4096
#include "guard_arena.h"
#include "hex_fixture.h"

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    char buf[2 * NTLM_MSG_MAX + 1];
    assert_true(2 * len < sizeof(buf));
    for (size_t i = 0; i < len; i++)
        snprintf(buf + 2 * i, 3, "%02x", got[i]);
    char lower[2 * NTLM_MSG_MAX + 1];
    size_t wl = strlen(want);
    assert_true(wl < sizeof(lower));
    for (size_t i = 0; i <= wl; i++)
        lower[i] = (char)((want[i] >= 'A' && want[i] <= 'F') ? want[i] + 32 : want[i]);
    assert_string_equal(buf, lower);
}

/* [MS-NLMP] 4.2.1 common values. */
static const uint8_t server_chal[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const uint8_t client_chal[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t random_key[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                       0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55};
static const uint8_t plaintext[18] = {'P', 0, 'l', 0, 'a', 0, 'i', 0, 'n', 0,
                                      't', 0, 'e', 0, 'x', 0, 't', 0};

/* 4.2.4.3's CHALLENGE_MESSAGE (flags e28a8233, target "Server", AV pairs
 * NbDomain "Domain" and NbComputer "Server"). */
static const char spec_challenge[] =
    "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044"
    "000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c00530065"
    "00720076006500720000000000";
/* 4.2.4.3's AUTHENTICATE_MESSAGE. */
static const char spec_authenticate[] =
    "4e544c4d5353500003000000180018006c00000054005400840000000c000c004800000008000800540000001000"
    "10005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e005500730065007200"
    "43004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e5"
    "1c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f00"
    "6d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9"
    "d03e";

/* Runs first, before this process loads the providers: a child with
 * OPENSSL_MODULES pointing nowhere gets a clear error, not a crash. */
static void test_legacy_provider_missing(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("OPENSSL_MODULES", "/nonexistent-synth-test", 1);
        struct synth_error e = {{0}};
        uint8_t key[16];
        int rc = ntlm_crypto_init(&e);
        int ok = rc == SYNTH_EUNSUPPORTED && strstr(e.msg, "legacy") &&
                 ntlm_ntowfv2("p", "u", "d", key) == SYNTH_EUNSUPPORTED;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct synth_error e = {{0}};
    assert_int_equal(ntlm_crypto_init(&e), 0);
}

/* 4.2.4.1.1 NTOWFv2, 4.2.4.2.1 LMv2, 4.2.4.2.2 NTLMv2, 4.2.4.1.2 session base key. */
static void test_spec_ntlmv2_responses(void **state)
{
    (void)state;
    uint8_t key[16], lm[24], nt[256], base[16], ch_raw[256];
    size_t nt_len = 0;
    struct ntlm_challenge ch;

    assert_int_equal(ntlm_ntowfv2("Password", "User", "Domain", key), 0);
    assert_hex(key, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
    assert_int_equal(ntlm_lmv2_response(key, server_chal, client_chal, lm), 0);
    assert_hex(lm, 24, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");

    size_t ch_len = unhex(spec_challenge, ch_raw, sizeof(ch_raw));
    assert_int_equal(ntlm_challenge_parse(&ch, (const uint8_t *)place(ch_raw, ch_len), ch_len), 0);
    assert_int_equal(ntlm_ntv2_response(key, ch.server_challenge, client_chal, 0,
                                        ch.target_info.p, ch.target_info.len, nt, sizeof(nt),
                                        &nt_len, base),
                     0);
    assert_int_equal(nt_len, 84);
    assert_hex(nt, 16, "68cd0ab851e51c96aabc927bebef6a1c");
    assert_hex(base, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");

    /* 4.2.4.2.3: RC4(KXKEY = session base key, RandomSessionKey). */
    uint8_t enc[16];
    assert_int_equal(ntlm_rc4k(base, 16, random_key, 16, enc), 0);
    assert_hex(enc, 16, "c5dad2544fc9799094ce1ce90bc9d03e");

    /* Too small an output is refused, not overrun. */
    assert_int_equal(ntlm_ntv2_response(key, server_chal, client_chal, 0, ch.target_info.p,
                                        ch.target_info.len, nt, 83, &nt_len, base),
                     SYNTH_ETOOBIG);
}

static void test_spec_challenge_parse(void **state)
{
    (void)state;
    uint8_t raw[256];
    struct ntlm_challenge ch;
    size_t len = unhex(spec_challenge, raw, sizeof(raw));
    assert_int_equal(ntlm_challenge_parse(&ch, (const uint8_t *)place(raw, len), len), 0);
    assert_int_equal(ch.flags, 0xe28a8233);
    assert_hex(ch.server_challenge, 8, "0123456789abcdef");
    assert_hex(ch.target_name.p, ch.target_name.len, "530065007200760065007200");
    assert_int_equal(ch.target_info.len, 36);
    assert_hex(ch.nb_domain.p, ch.nb_domain.len, "44006f006d00610069006e00");
    assert_hex(ch.nb_computer.p, ch.nb_computer.len, "530065007200760065007200");
    assert_hex(ch.version.p, ch.version.len, "060070170000000f");
    assert_false(ch.has_timestamp);
    assert_null(ch.dns_computer.p);
}

/* 4.2.4.3 AUTHENTICATE byte for byte, then 4.2.4.4: keys, sealed text and
 * the signature (connection-oriented: the checksum's RC4 continues the
 * stream that sealed the text). */
static void test_spec_authenticate_and_seal(void **state)
{
    (void)state;
    uint8_t raw[256], out[NTLM_MSG_MAX];
    size_t len = unhex(spec_challenge, raw, sizeof(raw)), out_len = 0;
    struct ntlm_challenge ch;
    struct ntlm_session s;
    const uint8_t version[8] = {0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f};
    struct ntlm_auth_input in = {
        .flags = 0xe2888235, .user = "User", .domain = "Domain", .workstation = "COMPUTER",
        .password = "Password", .timestamp = 0, .version = version,
    };
    memcpy(in.client_challenge, client_chal, 8);
    memcpy(in.random_session_key, random_key, 16);

    assert_int_equal(ntlm_challenge_parse(&ch, raw, len), 0);
    assert_int_equal(ntlm_authenticate_write(&ch, raw, len, &in, out, sizeof(out), &out_len, &s), 0);
    assert_hex(out, out_len, spec_authenticate);
    assert_false(s.mic);
    assert_hex(s.exported_session_key, 16, "55555555555555555555555555555555");
    assert_hex(s.client.sign, 16, "4788dc861b4782f35d43fd98fe1a2d39");
    assert_hex(s.client.seal, 16, "59f600973cc4960a25480a7c196e4c58");

    struct ntlm_rc4 *h = NULL;
    uint8_t sealed[18], sig[16];
    assert_int_equal(ntlm_rc4_new(&h, s.client.seal, s.client.seal_len), 0);
    assert_int_equal(ntlm_seal(&s.client, h, 0, plaintext, sizeof(plaintext), sealed, sig), 0);
    assert_hex(sealed, 18, "54e50165bf1936dc996020c1811b0f06fb5f");
    assert_hex(sig, 16, "010000007fb38ec5c55d497600000000");
    ntlm_rc4_free(h);

    /* Without KEY_EXCH the checksum is not encrypted (SIPE's test of the
     * same keys): HMAC_MD5(SigningKey, SeqNum || Message)[0..7]. */
    struct ntlm_keys plain = s.client;
    plain.flags &= ~NTLM_FLAG_KEY_EXCH;
    assert_int_equal(ntlm_rc4_new(&h, plain.seal, plain.seal_len), 0);
    assert_int_equal(ntlm_mac(&plain, h, 0, 0, plaintext, sizeof(plaintext), sig), 0);
    assert_hex(sig, 16, "0100000070352851f256430900000000");
    ntlm_rc4_free(h);
    /* Connection-oriented signing needs the handle. */
    assert_int_equal(ntlm_mac(&s.client, NULL, 0, 0, plaintext, 18, sig), SYNTH_EINVAL);
    ntlm_session_clear(&s);
}

/* 4.2.2.4 (no extended session security): the RC4 of the CRC32 and of the
 * sequence number continue the sealing stream; the flags e2028233 keep the
 * sealing key at the full random session key. */
static void test_spec_seal_without_ess(void **state)
{
    (void)state;
    struct ntlm_keys k = {.flags = 0xe2028233};
    uint8_t sealed[18], sig[16];
    struct ntlm_rc4 *h = NULL;

    assert_int_equal(ntlm_crc32(plaintext, sizeof(plaintext)), 0x93aa847d);
    assert_int_equal(ntlm_sealkey(k.flags, random_key, true, k.seal, &k.seal_len), 0);
    assert_int_equal(k.seal_len, 16);
    assert_int_equal(ntlm_rc4_new(&h, k.seal, k.seal_len), 0);
    assert_int_equal(ntlm_seal(&k, h, 0, plaintext, sizeof(plaintext), sealed, sig), 0);
    assert_hex(sealed, 18, "56fe04d861f9319af0d7238a2e3b4d457fb8");
    assert_hex(sig, 16, "0100000045c844e509dcd1df2e459d36");
    ntlm_rc4_free(h);
}

/* 4.2.3 (NTLMv1 with extended session security, 56-bit): SIGNKEY and
 * SEALKEY from the key exchange key, sealing and the MAC without KEY_EXCH
 * (values as SIPE's test file lists them). */
static void test_spec_ess_56bit_keys(void **state)
{
    (void)state;
    uint8_t kx[16], sealed[18], sig[16];
    struct ntlm_keys k = {.flags = 0x820a8233};
    unhex("eb93429a8bd952f8b89c55b87f475edc", kx, sizeof(kx));
    assert_int_equal(ntlm_signkey(k.flags, kx, true, k.sign), 0);
    assert_hex(k.sign, 16, "60e799be5c72fc92922ae8ebe961fb8d");
    assert_int_equal(ntlm_sealkey(k.flags, kx, true, k.seal, &k.seal_len), 0);
    assert_hex(k.seal, 16, "04dd7f014d8504d265a25cc86a3a7c06");
    assert_int_equal(ntlm_rc4k(k.seal, k.seal_len, plaintext, 18, sealed), 0);
    assert_hex(sealed, 18, "a02372f6530273f3aa1eb90190ce5200c99d");
    struct ntlm_rc4 *h = NULL;
    assert_int_equal(ntlm_rc4_new(&h, k.seal, k.seal_len), 0);
    assert_int_equal(ntlm_mac(&k, h, 0, 0, plaintext, 18, sig), 0);
    assert_hex(sig, 16, "01000000ff2aeb52f681793a00000000");
    ntlm_rc4_free(h);
}

/* SIPE's recorded Office Communicator 2007 R2 / OCS 2007 R2 exchange. */
static const char ocs_challenge[] =
    "4E544C4D53535000020000000000000038000000F38298E2DD1BAAF4E7E218D10000000000000000960096003800"
    "00000502CE0E0000000F02000A0043004F0053004D004F000100180043004F0053004D004F002D004F0043005300"
    "2D00520032000400160063006F0073006D006F002E006C006F00630061006C000300300063006F0073006D006F00"
    "2D006F00630073002D00720032002E0063006F0073006D006F002E006C006F00630061006C000500160063006F00"
    "73006D006F002E006C006F00630061006C0000000000";
static const char ocs_authenticate[] =
    "4E544C4D53535000030000001800180072000000C600C6008A0000000A000A004800000008000800520000001800"
    "18005A0000001000100050010000558298620502CE0E0000000F43004F0053004D004F0055007300650072004300"
    "4F0053004D004F002D004F00430053002D0052003200A1E92EFE4E078BF7C5C0049ACC6166C2D6AE875CB0FDAA41"
    "8DC0C800AE76ECA606D2B9FBEBD04731010100000000000059519A1727B9CA01D6AE875CB0FDAA41000000000200"
    "0A0043004F0053004D004F000100180043004F0053004D004F002D004F00430053002D00520032000400160063006F"
    "0073006D006F002E006C006F00630061006C000300300063006F0073006D006F002D006F00630073002D0072003200"
    "2E0063006F0073006D006F002E006C006F00630061006C000500160063006F0073006D006F002E006C006F00630061"
    "006C00000000000000000031CB739E1CA80A498591E8AE797115E4";

/* The sip-sig buffer of OCS R2's 200 to that REGISTER (SIPE's record). */
static const char ocs_200_sig_buffer[] =
    "<NTLM><9616454F><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
    "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
    "<3e49177a52><sip:user@cosmo.local><5E61CCD925D17E043D9A74835A88F664><><><7200><200>";

static void test_ocs_r2_exchange(void **state)
{
    (void)state;
    uint8_t raw[512], out[NTLM_MSG_MAX], key[16], nt[512], base[16], enc[16];
    size_t len = unhex(ocs_challenge, raw, sizeof(raw)), out_len = 0, nt_len = 0;
    struct ntlm_challenge ch;
    struct ntlm_session s;
    const uint8_t cc[8] = {0xd6, 0xae, 0x87, 0x5c, 0xb0, 0xfd, 0xaa, 0x41};
    const uint64_t when = 0x01cab927179a5159ull; /* 59519A1727B9CA01 little-endian */

    const uint8_t *placed = (const uint8_t *)place(raw, len);
    assert_int_equal(ntlm_challenge_parse(&ch, placed, len), 0);
    assert_int_equal(ch.flags, 0xe29882f3);
    assert_true(ch.flags & NTLM_FLAG_DATAGRAM);
    assert_int_equal(ch.target_info.len, 150);
    assert_hex(ch.dns_computer.p, ch.dns_computer.len,
               "63006f0073006d006f002d006f00630073002d00720032002e0063006f0073006d006f002e006c00"
               "6f00630061006c00");
    /* The random session key the client chose, recovered from its message:
     * RC4(KXKEY, EncryptedRandomSessionKey). */
    assert_int_equal(ntlm_ntowfv2("Pa$$word", "User", "COSMO", key), 0);
    assert_int_equal(ntlm_ntv2_response(key, ch.server_challenge, cc, when, ch.target_info.p,
                                        ch.target_info.len, nt, sizeof(nt), &nt_len, base),
                     0);
    unhex("31CB739E1CA80A498591E8AE797115E4", enc, sizeof(enc));
    struct ntlm_auth_input in = {
        .flags = 0x62988255, .user = "User", .domain = "COSMO", .workstation = "COSMO-OCS-R2",
        .password = "Pa$$word", .timestamp = when, .version = ch.version.p,
    };
    memcpy(in.client_challenge, cc, 8);
    assert_int_equal(ntlm_rc4k(base, 16, enc, 16, in.random_session_key), 0);
    assert_int_equal(ntlm_authenticate_write(&ch, placed, len, &in, out,
                                             sizeof(out), &out_len, &s),
                     0);
    assert_hex(out, out_len, ocs_authenticate);

    /* The SIP buffers of the REGISTER and its 200 (MS-SIPAE version 4),
     * signed with sequence number 100 as Communicator and OCS do. */
    const char *req = "<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
                      "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
                      "<3e49177a52><sip:user@cosmo.local><><><><>";
    const char *resp = ocs_200_sig_buffer;
    uint8_t sig[16];
    assert_int_equal(ntlm_mac(&s.client, NULL, 100, 0, (const uint8_t *)req, strlen(req), sig), 0);
    assert_hex(sig, 16, "0100000029618e9651b65a7764000000");
    assert_int_equal(ntlm_mac(&s.server, NULL, 100, 0, (const uint8_t *)resp, strlen(resp), sig), 0);
    assert_hex(sig, 16, "01000000E615438A917661BE64000000");
    assert_true(ntlm_mac_verify(&s.server, NULL, 100, (const uint8_t *)resp, strlen(resp), sig));
    sig[5] ^= 1;
    assert_false(ntlm_mac_verify(&s.server, NULL, 100, (const uint8_t *)resp, strlen(resp), sig));
    ntlm_session_clear(&s);
}

/* SIPE's OCS 2007 (authentication protocol version 2) sample: no extended
 * session security, connectionless, the exported session key as sealing key. */
static void test_ocs_2007_v2_signature(void **state)
{
    (void)state;
    const char *buf = "<NTLM><0878F41B><1><SIP Communications Service><ocs1.ocs.provo.novell.com>"
                      "<8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx><3><REGISTER>"
                      "<sip:gabriel@ocs.provo.novell.com><2947328781>"
                      "<B816D65C2300A32CFA6D371F2AF537FD><900><200>";
    struct ntlm_keys k = {.flags = NTLM_FLAG_DATAGRAM | NTLM_FLAG_SIGN | NTLM_FLAG_UNICODE,
                          .seal_len = 16};
    uint8_t sig[16];
    unhex("5F029153BC025058969548615E7099BA", k.seal, sizeof(k.seal));
    assert_int_equal(ntlm_mac(&k, NULL, 100, 0, (const uint8_t *)buf, strlen(buf), sig), 0);
    assert_hex(sig, 16, "0100000000000000BF2E52667DDF6DED");
}

/* MsvAvTimestamp in the challenge: LM response Z(24), MsvAvFlags with the
 * MIC bit in the target info sent back, and a MIC that checks. */
static void test_mic_when_timestamp(void **state)
{
    (void)state;
    uint8_t raw[256], out[NTLM_MSG_MAX], mic[16], copy[NTLM_MSG_MAX], all[2 * NTLM_MSG_MAX];
    size_t len = unhex(spec_challenge, raw, sizeof(raw)), out_len = 0;
    /* Insert MsvAvTimestamp (id 7, 8 bytes) before MsvAvEOL: target info
     * 36 -> 48 bytes. */
    const uint8_t ts[12] = {7, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    memmove(raw + len - 4 + 12, raw + len - 4, 4);
    memcpy(raw + len - 4, ts, 12);
    len += 12;
    raw[40] = raw[42] = 48;
    struct ntlm_challenge ch;
    struct ntlm_session s;
    assert_int_equal(ntlm_challenge_parse(&ch, raw, len), 0);
    assert_true(ch.has_timestamp);
    assert_int_equal(ch.timestamp, 0x0807060504030201ull);

    struct ntlm_auth_input in = {.flags = 0xe2888235, .user = "User", .domain = "Domain",
                                 .workstation = "", .password = "Password"};
    assert_int_equal(ntlm_authenticate_write(&ch, raw, len, &in, out, sizeof(out), &out_len, &s), 0);
    assert_true(s.mic);
    /* LM response: 24 zero bytes at its offset. */
    uint32_t lm_off = out[16] | out[17] << 8;
    for (int i = 0; i < 24; i++)
        assert_int_equal(out[lm_off + i], 0);
    /* The NT response carries the server's timestamp and MsvAvFlags = 2. */
    uint32_t nt_off = out[24] | out[25] << 8;
    assert_memory_equal(out + nt_off + 24, ts + 4, 8);
    const uint8_t flags_av[8] = {6, 0, 4, 0, 2, 0, 0, 0};
    assert_memory_equal(out + nt_off + 44 + 48 - 4, flags_av, 8);
    /* MIC = HMAC_MD5(ExportedSessionKey, CHALLENGE || AUTHENTICATE(MIC = 0)). */
    memcpy(copy, out, out_len);
    memset(copy + 72, 0, 16);
    memcpy(all, raw, len);
    memcpy(all + len, copy, out_len);
    assert_int_equal(ntlm_hmac_md5(s.exported_session_key, 16, all, len + out_len, mic), 0);
    assert_memory_equal(out + 72, mic, 16);
    ntlm_session_clear(&s);
}

static void test_challenge_malformed(void **state)
{
    (void)state;
    uint8_t good[256], bad[256];
    struct ntlm_challenge ch;
    size_t len = unhex(spec_challenge, good, sizeof(good));

    /* Every truncation fails cleanly (the guard page catches an over-read). */
    for (size_t n = 0; n < len; n++) {
        int rc = ntlm_challenge_parse(&ch, (const uint8_t *)place(good, n), n);
        assert_int_not_equal(rc, 0);
    }
    memcpy(bad, good, len);
    bad[8] = 3; /* an AUTHENTICATE is not a challenge */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    memcpy(bad, good, len);
    bad[44] = 0xf0; /* target info offset past the end */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    memcpy(bad, good, len);
    bad[40] = bad[42] = 0xff; /* target info length past the end */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    memcpy(bad, good, len);
    bad[56 + 12 + 2] = 0x30; /* first AV pair longer than the list */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    memcpy(bad, good, len);
    bad[56 + 12 + 16] = 2; /* second AV pair repeats MsvAvNbDomainName */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    memcpy(bad, good, len);
    bad[len - 4] = 9; /* MsvAvEOL turned into an empty MsvAvTargetName: no end */
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    /* An offset near 2^32 must not wrap. */
    memcpy(bad, good, len);
    bad[16] = bad[17] = bad[18] = bad[19] = 0xff;
    assert_int_equal(ntlm_challenge_parse(&ch, bad, len), SYNTH_EPARSE);
    uint8_t big[NTLM_MSG_MAX + 1] = {0};
    assert_int_equal(ntlm_challenge_parse(&ch, big, sizeof(big)), SYNTH_ETOOBIG);
}

static void test_inputs_refused(void **state)
{
    (void)state;
    uint8_t key[16], out[64];
    size_t n = 0;
    assert_int_equal(ntlm_ntowfv2("pw\xff", "User", "Domain", key), SYNTH_EINVAL);
    assert_int_equal(ntlm_ntowfv2("pw", "U\xc0\x80", "Domain", key), SYNTH_EINVAL);
    char long_pw[NTLM_STR_MAX + 2];
    memset(long_pw, 'a', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    assert_int_equal(ntlm_ntowfv2(long_pw, "User", "Domain", key), SYNTH_EINVAL);
    /* Non-ASCII passwords are UTF-16 (a surrogate pair for U+1F600). */
    assert_int_equal(ntlm_utf16le("\xc3\xa9\xf0\x9f\x98\x80", false, out, sizeof(out), &n), 0);
    assert_int_equal(n, 6);
    assert_hex(out, n, "e9003dd800de");
    assert_int_equal(ntlm_negotiate_write(NTLM_FLAG_UNICODE, NULL, out, 39, &n), SYNTH_ETOOBIG);
    assert_int_equal(ntlm_negotiate_write(0xe2088297, NULL, out, sizeof(out), &n), 0);
    assert_int_equal(n, 40);
    assert_hex(out, 16, "4e544c4d5353500001000000978208e2");
}

/* The server half on the same vectors: 4.2.4.3's AUTHENTICATE accepted
 * from the password, the keys of 4.2.4.4 derived; OCS R2's as well (the
 * KEY_EXCH path); a wrong password, user or domain refused. */
static void test_server_checks_spec_authenticate(void **state)
{
    (void)state;
    uint8_t chal[256], auth[512];
    size_t clen = unhex(spec_challenge, chal, sizeof(chal));
    size_t alen = unhex(spec_authenticate, auth, sizeof(auth));
    struct ntlm_authenticate a;
    struct ntlm_session s;
    char name[64];

    const uint8_t *placed = (const uint8_t *)place(auth, alen);
    assert_int_equal(ntlm_authenticate_parse(&a, placed, alen), 0);
    assert_int_equal(a.flags, 0xe2888235);
    assert_int_equal(ntlm_utf8_from_utf16le(a.user, name, sizeof(name)), 0);
    assert_string_equal(name, "User");
    assert_int_equal(ntlm_utf8_from_utf16le(a.domain, name, sizeof(name)), 0);
    assert_string_equal(name, "Domain");
    assert_int_equal(ntlm_utf8_from_utf16le(a.workstation, name, sizeof(name)), 0);
    assert_string_equal(name, "COMPUTER");
    assert_int_equal(ntlm_authenticate_check(&a, placed, alen, chal, clen, "Password", &s), 0);
    assert_false(s.mic);
    assert_hex(s.exported_session_key, 16, "55555555555555555555555555555555");
    assert_hex(s.client.sign, 16, "4788dc861b4782f35d43fd98fe1a2d39");
    assert_hex(s.client.seal, 16, "59f600973cc4960a25480a7c196e4c58");
    assert_int_equal(ntlm_authenticate_check(&a, placed, alen, chal, clen, "password", &s),
                     SYNTH_EAUTH);
    assert_hex(s.exported_session_key, 16, "00000000000000000000000000000000");

    /* The response names the user and domain it was computed for. */
    uint8_t other[512];
    memcpy(other, auth, alen);
    other[0x48] = 'd'; /* "Domain" -> "domain": the domain is not uppercased */
    assert_int_equal(ntlm_authenticate_parse(&a, other, alen), 0);
    assert_int_equal(ntlm_authenticate_check(&a, other, alen, chal, clen, "Password", &s),
                     SYNTH_EAUTH);

    clen = unhex(ocs_challenge, chal, sizeof(chal));
    alen = unhex(ocs_authenticate, auth, sizeof(auth));
    placed = (const uint8_t *)place(auth, alen);
    assert_int_equal(ntlm_authenticate_parse(&a, placed, alen), 0);
    assert_int_equal(ntlm_authenticate_check(&a, placed, alen, chal, clen, "Pa$$word", &s), 0);
    /* The keys sign the 200 of SIPE's recorded exchange byte for byte. */
    const char *resp = ocs_200_sig_buffer;
    uint8_t sig[16];
    assert_int_equal(ntlm_mac(&s.server, NULL, 100, 0, (const uint8_t *)resp, strlen(resp), sig), 0);
    assert_hex(sig, 16, "01000000E615438A917661BE64000000");
    ntlm_session_clear(&s);
}

/* A CHALLENGE the server writes reads back through the client's parser,
 * names and timestamp in place; the client's AUTHENTICATE to it passes the
 * server's check, MIC included, and a flipped MIC byte does not. */
static void test_server_challenge_roundtrip(void **state)
{
    (void)state;
    struct ntlm_challenge_input ci = {
        .flags = NTLM_FLAG_UNICODE | NTLM_FLAG_SIGN | NTLM_FLAG_DATAGRAM | NTLM_FLAG_NTLM |
                 NTLM_FLAG_ALWAYS_SIGN | NTLM_FLAG_EXTENDED_SESSIONSECURITY | NTLM_FLAG_VERSION |
                 NTLM_FLAG_128 | NTLM_FLAG_KEY_EXCH,
        .server_challenge = {1, 2, 3, 4, 5, 6, 7, 8},
        .nb_domain = "LAB", .nb_computer = "FE", .dns_domain = "lab.synth.test",
        .dns_computer = "fe.lab.synth.test", .timestamp = 0x01d0000000000000ull,
    };
    uint8_t chal[NTLM_MSG_MAX], out[NTLM_MSG_MAX];
    size_t clen = 0, out_len = 0;
    struct ntlm_challenge ch;
    struct ntlm_session cs, ss;
    char name[64];

    assert_int_equal(ntlm_challenge_write(&ci, chal, 40, &clen), SYNTH_ETOOBIG);
    assert_int_equal(ntlm_challenge_write(&ci, chal, sizeof(chal), &clen), 0);
    const uint8_t *placed = (const uint8_t *)place(chal, clen);
    assert_int_equal(ntlm_challenge_parse(&ch, placed, clen), 0);
    assert_true(ch.flags & NTLM_FLAG_TARGET_INFO);
    assert_memory_equal(ch.server_challenge, ci.server_challenge, 8);
    assert_int_equal(ntlm_utf8_from_utf16le(ch.dns_computer, name, sizeof(name)), 0);
    assert_string_equal(name, "fe.lab.synth.test");
    assert_int_equal(ntlm_utf8_from_utf16le(ch.nb_domain, name, sizeof(name)), 0);
    assert_string_equal(name, "LAB");
    assert_int_equal(ntlm_utf8_from_utf16le(ch.target_name, name, sizeof(name)), 0);
    assert_string_equal(name, "LAB");
    assert_true(ch.has_timestamp);
    assert_int_equal(ch.timestamp, ci.timestamp);

    struct ntlm_auth_input in = {
        .flags = ch.flags, .user = "user0001", .domain = "LAB", .workstation = "SYNTH",
        .password = "synth-lab",
    };
    memset(in.client_challenge, 0x42, 8);
    memset(in.random_session_key, 0x17, 16);
    assert_int_equal(ntlm_authenticate_write(&ch, chal, clen, &in, out, sizeof(out), &out_len, &cs), 0);
    assert_true(cs.mic);
    struct ntlm_authenticate a;
    assert_int_equal(ntlm_authenticate_parse(&a, out, out_len), 0);
    assert_int_equal(ntlm_authenticate_check(&a, out, out_len, chal, clen, "synth-lab", &ss), 0);
    assert_true(ss.mic);
    assert_memory_equal(ss.exported_session_key, cs.exported_session_key, 16);
    assert_memory_equal(ss.server.sign, cs.server.sign, 16);
    out[72] ^= 1; /* the MIC */
    assert_int_equal(ntlm_authenticate_check(&a, out, out_len, chal, clen, "synth-lab", &ss),
                     SYNTH_EAUTH);
    ntlm_session_clear(&cs);
}

/* The AUTHENTICATE parser on hostile input, each placed before the guard
 * page: truncations, a field past the end, an NTLMv1-sized response. */
static void test_authenticate_malformed(void **state)
{
    (void)state;
    uint8_t auth[512];
    size_t alen = unhex(spec_authenticate, auth, sizeof(auth));
    struct ntlm_authenticate a;
    for (size_t n = 0; n < alen; n += 7) {
        const uint8_t *p = (const uint8_t *)place(auth, n);
        int rc = ntlm_authenticate_parse(&a, p, n);
        assert_true(rc == SYNTH_EPARSE || (rc == 0 && n >= 0xe8));
    }
    uint8_t bad[512];
    memcpy(bad, auth, alen);
    bad[24] = 0xf0; /* NT response offset past the end */
    assert_int_equal(ntlm_authenticate_parse(&a, (const uint8_t *)place(bad, alen), alen), SYNTH_EPARSE);
    memcpy(bad, auth, alen);
    bad[20] = bad[22] = 24; /* a 24-byte NTLMv1 response */
    assert_int_equal(ntlm_authenticate_parse(&a, (const uint8_t *)place(bad, alen), alen), SYNTH_EPARSE);
    memcpy(bad, auth, alen);
    bad[8] = 2; /* a CHALLENGE, not an AUTHENTICATE */
    assert_int_equal(ntlm_authenticate_parse(&a, bad, alen), SYNTH_EPARSE);
    char name[8];
    const uint8_t lone[] = {0x00, 0xdc};
    assert_int_equal(ntlm_utf8_from_utf16le((struct ntlm_view){lone, 2}, name, sizeof(name)), SYNTH_EPARSE);
    const uint8_t odd[] = {'a', 0, 'b'};
    assert_int_equal(ntlm_utf8_from_utf16le((struct ntlm_view){odd, 3}, name, sizeof(name)), SYNTH_EPARSE);
    const uint8_t pair[] = {0x3d, 0xd8, 0x00, 0xde, 'e', 0}; /* U+1F600 then e */
    assert_int_equal(ntlm_utf8_from_utf16le((struct ntlm_view){pair, 6}, name, sizeof(name)), 0);
    assert_string_equal(name, "\xf0\x9f\x98\x80" "e");
    assert_int_equal(ntlm_utf8_from_utf16le((struct ntlm_view){pair, 6}, name, 5), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_provider_missing),
        cmocka_unit_test(test_spec_ntlmv2_responses),
        cmocka_unit_test(test_spec_challenge_parse),
        cmocka_unit_test(test_spec_authenticate_and_seal),
        cmocka_unit_test(test_spec_seal_without_ess),
        cmocka_unit_test(test_spec_ess_56bit_keys),
        cmocka_unit_test(test_ocs_r2_exchange),
        cmocka_unit_test(test_ocs_2007_v2_signature),
        cmocka_unit_test(test_mic_when_timestamp),
        cmocka_unit_test(test_challenge_malformed),
        cmocka_unit_test(test_inputs_refused),
        cmocka_unit_test(test_server_checks_spec_authenticate),
        cmocka_unit_test(test_server_challenge_roundtrip),
        cmocka_unit_test(test_authenticate_malformed),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
