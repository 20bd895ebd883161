/* Unit tests of media/sdes_key.c: the RFC 4568 example key (decoded
 * independently with Python's base64 module), the SfB form with 2^31 and
 * MKI 1:1, format round trips, strictness and its static reasons, random
 * keys. Inputs sit right before an unreadable page. */
#include "media/sdes_key.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* Inputs end right before an unreadable page (guard_arena.h). */
#define ARENA_DATA 4096
#include "guard_arena.h"

static int parse(struct sdes_key *k, const char *s, struct synth_error *err)
{
    size_t n = strlen(s);
    return sdes_key_parse(k, place(s, n), n, err);
}

/* The example key of the RFC 4568 offer/answer examples:
 * "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4". */
static const uint8_t rfc_key[30] = {
    0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a, 0x75, 0x66, 0x72, 0x39, 0x29,
    0x3f, 0x2c, 0x23, 0x35, 0x68, 0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51,
};

static void parses_rfc4568_example(void **state)
{
    struct sdes_key k;
    assert_int_equal(parse(&k, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4", NULL),
                     0);
    assert_memory_equal(k.key_salt, rfc_key, 30);
    assert_true(k.has_lifetime);
    assert_true(k.lifetime_pow2);
    assert_true(k.lifetime == (1u << 20));
    assert_true(k.has_mki);
    assert_int_equal(k.mki_value, 1);
    assert_int_equal(k.mki_len, 4);
    uint8_t mki[SDES_MKI_LEN_MAX];
    sdes_key_mki_bytes(&k, mki);
    assert_memory_equal(mki, "\x00\x00\x00\x01", 4);
}

static void parses_sfb_forms(void **state)
{
    struct sdes_key k;
    /* Microsoft's form: lifetime 2^31, MKI value 1 of length 1. */
    assert_int_equal(parse(&k, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^31|1:1", NULL),
                     0);
    for (int i = 0; i < 30; i++)
        assert_int_equal(k.key_salt[i], i);
    assert_true(k.lifetime == (1ull << 31));
    assert_int_equal(k.mki_value, 1);
    assert_int_equal(k.mki_len, 1);
    uint8_t mki[SDES_MKI_LEN_MAX];
    sdes_key_mki_bytes(&k, mki);
    assert_int_equal(mki[0], 1);

    /* The second line SfB sends: no lifetime, no MKI. */
    assert_int_equal(parse(&k, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", NULL), 0);
    assert_false(k.has_lifetime);
    assert_false(k.has_mki);

    /* MKI without lifetime, decimal lifetime, any case of "inline". */
    assert_int_equal(parse(&k, "INLINE:////////////////////////////////////////|7:1", NULL), 0);
    assert_false(k.has_lifetime);
    assert_int_equal(k.mki_value, 7);
    assert_int_equal(k.key_salt[29], 0xff);
    assert_int_equal(parse(&k, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1048576", NULL), 0);
    assert_false(k.lifetime_pow2);
    assert_true(k.lifetime == 1048576);
}

static void rejects_malformed(void **state)
{
    static const char *bad[] = {
        "",
        "inline:",
        "uri:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw",    /* 39 chars */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdA",  /* 41 chars */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==",   /* padding */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx-_",   /* URL alphabet */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd||1:1",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^49",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|0",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|281474976710657",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|-5",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:1|2^31", /* order */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^31|2^20",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|256:1",    /* does not fit */
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:0",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|:1",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:1000",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:1:1",
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd 2^31",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sdes_key k;
        int rc = parse(&k, bad[i], NULL);
        if (rc != SYNTH_EPARSE)
            fail_msg("accepted or wrong code %d: \"%s\"", rc, bad[i]);
    }
    struct sdes_key k;
    struct synth_error err;
    assert_int_equal(parse(&k, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:5", &err),
                     SYNTH_EUNSUPPORTED);
    assert_string_equal(err.msg, "sdes key: MKI of 5 bytes (max 4)");
}

static int parse_why(struct sdes_key *k, const char *s, const char **why)
{
    size_t n = strlen(s);
    return sdes_key_parse_why(k, place(s, n), n, why);
}

/* The reasons for the SDP parser are static texts that name the field and
 * never quote the peer's bytes; the key of a refused parameter is wiped. */
static void reasons_are_static(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *why;
    } cases[] = {
        {"uri:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", SYNTH_EPARSE, "inline"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw", SYNTH_EPARSE, "40 base64"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==", SYNTH_EPARSE, "bad base64"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^49", SYNTH_EPARSE, "lifetime"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^x", SYNTH_EPARSE, "lifetime"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:0", SYNTH_EPARSE, "MKI"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|256:1", SYNTH_EPARSE, "does not fit"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:1|2^31", SYNTH_EPARSE, "an MKI"},
        {"inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1:5", SYNTH_EUNSUPPORTED, "MKI longer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sdes_key k;
        const char *why = NULL;
        int rc = parse_why(&k, cases[i].in, &why);
        if (rc != cases[i].rc || !why || !strstr(why, cases[i].why) || strchr(why, '"'))
            fail_msg("\"%s\": rc %d, why \"%s\"", cases[i].in, rc, why ? why : "(null)");
        static const uint8_t zero[SDES_KEY_SALT_LEN];
        assert_memory_equal(k.key_salt, zero, sizeof(zero));
    }
    struct sdes_key k;
    const char *why = "untouched";
    assert_int_equal(
        parse_why(&k, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4", &why), 0);
    assert_string_equal(why, "untouched");
    assert_memory_equal(k.key_salt, rfc_key, 30);
    assert_int_equal(parse_why(&k, "inline:", NULL), SYNTH_EPARSE);
}

static void formats_and_roundtrips(void **state)
{
    struct sdes_key k;
    char out[SDES_KEY_PARAM_MAX];
    const char *in = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
    assert_int_equal(parse(&k, in, NULL), 0);
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), 0);
    assert_string_equal(out, in);

    k.lifetime_pow2 = false;
    k.lifetime = 1000;
    k.mki_value = 300;
    k.mki_len = 2;
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), 0);
    assert_string_equal(out, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000|300:2");

    k.has_lifetime = false;
    k.has_mki = false;
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), 0);
    assert_string_equal(out, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    assert_int_equal(sdes_key_format(&k, out, 47), SYNTH_ETOOBIG);
    assert_int_equal(sdes_key_format(&k, out, 48), 0);

    /* Out-of-range fields are refused, not written. */
    k.has_mki = true;
    k.mki_value = 256;
    k.mki_len = 1;
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), SYNTH_EINVAL);
    k.has_mki = false;
    k.has_lifetime = true;
    k.lifetime_pow2 = true;
    k.lifetime = 1000;
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), SYNTH_EINVAL);
    /* The longest legal form fits SDES_KEY_PARAM_MAX. */
    k.lifetime_pow2 = false;
    k.lifetime = 1ull << 48;
    k.has_mki = true;
    k.mki_value = 0xffffffffu;
    k.mki_len = 4;
    assert_int_equal(sdes_key_format(&k, out, sizeof(out)), 0);
    assert_string_equal(out + 47, "|281474976710656|4294967295:4");
}

static void generates_distinct_keys(void **state)
{
    struct sdes_key a, b, back;
    char out[SDES_KEY_PARAM_MAX];
    assert_int_equal(sdes_key_generate(&a, NULL), 0);
    assert_int_equal(sdes_key_generate(&b, NULL), 0);
    assert_memory_not_equal(a.key_salt, b.key_salt, 30);
    assert_false(a.has_lifetime || a.has_mki);
    assert_int_equal(sdes_key_format(&a, out, sizeof(out)), 0);
    assert_int_equal(strlen(out), 47);
    assert_int_equal(parse(&back, out, NULL), 0);
    assert_memory_equal(back.key_salt, a.key_salt, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_rfc4568_example),
        cmocka_unit_test(parses_sfb_forms),
        cmocka_unit_test(rejects_malformed),
        cmocka_unit_test(reasons_are_static),
        cmocka_unit_test(formats_and_roundtrips),
        cmocka_unit_test(generates_distinct_keys),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
