/* events.jsonl read back: every line handed over in order, a last line cut
 * by a killed run skipped and reported, any other bad line an error naming
 * file:line, over-long lines refused. */
#include "reports/events_read.h"

#include "reports/event_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char path[] = "/tmp/synth-test-events.XXXXXX";

static void write_file(const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

struct seen {
    size_t n;
    size_t lines[8];
    json_int_t users[8];
};

static int on_event(const json_t *ev, size_t line, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8) {
        s->lines[s->n] = line;
        s->users[s->n] = json_integer_value(json_object_get(ev, "user"));
    }
    s->n++;
    return 0;
}

static int setup(void **state)
{
    int fd = mkstemp(path);
    (void)state;
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_whole_and_cut(void **state)
{
    static const char text[] = "{\"user\":1}\n{\"user\":2}\n{\"user\":3}\n";
    struct events_read_result res;
    struct seen s = {0};
    struct synth_error err = {{0}};

    (void)state;
    write_file(text, sizeof(text) - 1);
    assert_int_equal(events_read(path, on_event, &s, &res, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(res.events, 3);
    assert_false(res.truncated);
    assert_int_equal(s.lines[2], 3);
    assert_int_equal(s.users[2], 3);
    /* A complete last object without its newline still counts. */
    write_file(text, sizeof(text) - 2);
    assert_int_equal(events_read(path, NULL, NULL, &res, &err), 0);
    assert_int_equal(res.events, 3);
    assert_false(res.truncated);
    /* Cut inside the third object, as a killed run leaves it: two events. */
    static const char cut[] = "{\"user\":1}\n{\"user\":2}\n{\"user\":3,\"st";
    memset(&s, 0, sizeof(s));
    write_file(cut, sizeof(cut) - 1);
    assert_int_equal(events_read(path, on_event, &s, &res, &err), 0);
    assert_int_equal(s.n, 2);
    assert_true(res.truncated);
    assert_int_equal(res.truncated_line, 3);
}

static void test_bad_lines(void **state)
{
    static const char broken[] = "{\"user\":1}\n{\"user\":\n{\"user\":3}\n";
    static const char array[] = "{\"user\":1}\n[1,2]\n";
    static const char cut_with_newline[] = "{\"user\":1}\n{\"user\":2,\n";
    struct events_read_result res;
    struct synth_error err = {{0}};
    char want[600];

    (void)state;
    write_file(broken, sizeof(broken) - 1);
    assert_int_equal(events_read(path, NULL, NULL, &res, &err), SYNTH_EPARSE);
    snprintf(want, sizeof(want), "%s:2: ", path);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    write_file(array, sizeof(array) - 1);
    assert_int_equal(events_read(path, NULL, NULL, &res, &err), SYNTH_EPARSE);
    snprintf(want, sizeof(want), "%s:2: not a JSON object", path);
    assert_string_equal(err.msg, want);
    /* A whole line (its newline written) that is bad is corruption, not a cut. */
    write_file(cut_with_newline, sizeof(cut_with_newline) - 1);
    assert_int_equal(events_read(path, NULL, NULL, &res, &err), SYNTH_EPARSE);
    assert_int_equal(events_read("/nonexistent/events.jsonl", NULL, NULL, &res, &err),
                     SYNTH_EIO);
}

static void test_line_too_long(void **state)
{
    size_t len = EVENT_JSON_LINE_MAX + 100;
    char *text = malloc(len + 1);
    struct events_read_result res;
    struct synth_error err = {{0}};

    (void)state;
    assert_non_null(text);
    memset(text, ' ', len);
    text[0] = '{';
    text[len - 2] = '}';
    text[len - 1] = '\n';
    write_file(text, len);
    free(text);
    assert_int_equal(events_read(path, NULL, NULL, &res, &err), SYNTH_EPARSE);
    assert_non_null(strstr(err.msg, ":1: line longer than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_and_cut),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_line_too_long),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
