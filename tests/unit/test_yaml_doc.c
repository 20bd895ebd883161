/* Unit tests: the YAML layer: typed values, key checks and messages that
 * name the file, the line and the key. */
#include "synth/config/yaml_doc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int load(struct ydoc *d, struct ynode *root, const char *text, struct synth_error *err)
{
    int rc = ydoc_load_buffer(d, "t.yaml", text, strlen(text), err);
    return rc ? rc : ydoc_root(d, root, err);
}

static void syntax_error_names_line(void **state)
{
    struct ydoc d;
    struct ynode root;
    struct synth_error err = {{0}};
    assert_int_equal(load(&d, &root, "a: 1\nb: [1, 2\nc: 3\n", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "t.yaml:"));
    assert_non_null(strstr(err.msg, "YAML syntax error"));
    ydoc_free(&d);

    assert_int_equal(load(&d, &root, "", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml: the file is empty");
    ydoc_free(&d);

    assert_int_equal(load(&d, &root, "- a\n- b\n", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:1: the file must be a mapping of keys");
    ydoc_free(&d);
}

static void unknown_and_duplicate_keys(void **state)
{
    static const char *const keys[] = {"host", "port", NULL};
    struct ydoc d;
    struct ynode root, reg;
    struct synth_error err = {{0}};
    assert_int_equal(load(&d, &root, "registrar:\n  host: x\n  prot: 5061\n", &err), 0);
    assert_true(ydoc_get(&root, "registrar", &reg));
    assert_int_equal(ydoc_map_check(&reg, keys, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg,
                        "t.yaml:3: registrar: unknown key 'prot' (accepted: host, port)");
    ydoc_free(&d);

    assert_int_equal(load(&d, &root, "a: 1\nb: 2\na: 3\n", &err), 0);
    assert_int_equal(ydoc_map_check(&root, NULL, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:3: key 'a' appears twice (first at line 1)");
    ydoc_free(&d);
}

static void typed_values(void **state)
{
    struct ydoc d;
    struct ynode root, n;
    struct synth_error err = {{0}};
    uint32_t u = 0;
    double x = 0;
    bool b = false;
    char s[8];
    const char *text = "port: 5061\nquoted: \"5061\"\nbig: 70000\nrate: 2.5\nhex: 0x10\n"
                       "on: true\nyes_word: yes\nname: abcdefghij\nempty:\nnull_word: ~\n";
    assert_int_equal(load(&d, &root, text, &err), 0);

    assert_true(ydoc_get(&root, "port", &n));
    assert_int_equal(ydoc_u32(&n, 1, 65535, &u, &err), 0);
    assert_int_equal(u, 5061);
    assert_true(ydoc_get(&root, "quoted", &n));
    assert_int_equal(ydoc_u32(&n, 1, 65535, &u, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:2: quoted: expected a whole number without quotes");
    assert_true(ydoc_get(&root, "big", &n));
    assert_int_equal(ydoc_u32(&n, 1, 65535, &u, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:3: big: must be between 1 and 65535");

    assert_true(ydoc_get(&root, "rate", &n));
    assert_int_equal(ydoc_double(&n, 0, 10, &x, &err), 0);
    assert_true(x == 2.5);
    assert_true(ydoc_get(&root, "hex", &n));
    assert_int_equal(ydoc_double(&n, 0, 100, &x, &err), SYNTH_ECONFIG);

    assert_true(ydoc_get(&root, "on", &n));
    assert_int_equal(ydoc_bool(&n, &b, &err), 0);
    assert_true(b);
    assert_true(ydoc_get(&root, "yes_word", &n));
    assert_int_equal(ydoc_bool(&n, &b, &err), SYNTH_ECONFIG);

    assert_true(ydoc_get(&root, "name", &n));
    assert_int_equal(ydoc_str(&n, s, sizeof(s), &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:8: name: too long (10 bytes, at most 7)");
    assert_true(ydoc_get(&root, "empty", &n));
    assert_true(ydoc_is_null(&n));
    assert_int_equal(ydoc_str(&n, s, sizeof(s), &err), SYNTH_ECONFIG);
    assert_true(ydoc_get(&root, "null_word", &n));
    assert_true(ydoc_is_null(&n));

    assert_false(ydoc_get(&root, "absent", &n));
    assert_int_equal(ydoc_require(&root, "absent", &n, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:1: absent: missing (required)");
    ydoc_free(&d);
}

static void durations(void **state)
{
    uint32_t v = 0;
    assert_null(ydoc_parse_duration("500ms", 5, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 500);
    assert_null(ydoc_parse_duration("16m", 3, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 960000);
    assert_null(ydoc_parse_duration("1.5s", 4, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 1500);
    assert_null(ydoc_parse_duration("1h", 2, YDOC_UNIT_NONE, YDOC_UNIT_S, &v));
    assert_int_equal(v, 3600);
    assert_null(ydoc_parse_duration("0", 1, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 0);
    assert_null(ydoc_parse_duration("250", 3, YDOC_UNIT_MS, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 250);
    assert_null(ydoc_parse_duration("30", 2, YDOC_UNIT_S, YDOC_UNIT_MS, &v));
    assert_int_equal(v, 30000);
    assert_string_equal(ydoc_parse_duration("30", 2, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v),
                        "needs a unit (ms, s, m or h)");
    assert_string_equal(ydoc_parse_duration("500ms", 5, YDOC_UNIT_NONE, YDOC_UNIT_S, &v),
                        "must be a whole number of seconds");
    assert_string_equal(ydoc_parse_duration("5 s", 3, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v),
                        "unknown unit (use ms, s, m or h)");
    assert_string_equal(ydoc_parse_duration("0.0001s", 7, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v),
                        "finer than a millisecond");
    assert_string_equal(ydoc_parse_duration("50d", 3, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v),
                        "unknown unit (use ms, s, m or h)");
    assert_string_equal(ydoc_parse_duration("1200h", 5, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v),
                        "too long");
    assert_non_null(ydoc_parse_duration("ms", 2, YDOC_UNIT_NONE, YDOC_UNIT_MS, &v));
    assert_non_null(ydoc_parse_duration("", 0, YDOC_UNIT_MS, YDOC_UNIT_MS, &v));
}

static void duration_unit_follows_key(void **state)
{
    struct ydoc d;
    struct ynode root, n;
    struct synth_error err = {{0}};
    uint32_t v = 0;
    assert_int_equal(load(&d, &root, "hold_ms: 250\ntimeout: 3\n", &err), 0);
    assert_true(ydoc_get(&root, "hold_ms", &n));
    assert_int_equal(ydoc_duration(&n, YDOC_UNIT_MS, &v, &err), 0);
    assert_int_equal(v, 250);
    assert_true(ydoc_get(&root, "timeout", &n));
    assert_int_equal(ydoc_duration(&n, YDOC_UNIT_MS, &v, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:2: timeout: needs a unit (ms, s, m or h)");
    ydoc_free(&d);
}

static void sequences_and_paths(void **state)
{
    struct ydoc d;
    struct ynode root, seq, item, val;
    struct synth_error err = {{0}};
    assert_int_equal(load(&d, &root, "steps:\n  - register\n  - call: {hold: x}\n", &err), 0);
    assert_true(ydoc_get(&root, "steps", &seq));
    assert_true(ydoc_is_seq(&seq));
    assert_int_equal(ydoc_len(&seq), 2);
    ydoc_seq_at(&seq, 1, &item);
    assert_int_equal(item.line, 3);
    assert_string_equal(item.path, "steps[1]");
    const char *key = ydoc_map_at(&item, 0, &val);
    assert_string_equal(key, "call");
    assert_string_equal(val.path, "steps[1].call");
    ydoc_seq_at(&seq, 5, &item);
    assert_null(item.node);
    ydoc_free(&d);
    ydoc_free(&d); /* twice is safe */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax_error_names_line), cmocka_unit_test(unknown_and_duplicate_keys),
        cmocka_unit_test(typed_values),            cmocka_unit_test(durations),
        cmocka_unit_test(duration_unit_follows_key), cmocka_unit_test(sequences_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
