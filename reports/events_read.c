/* events.jsonl reader: bounded lines (the writer's own maximum), each a JSON
 * object (RFC 8259); a cut last line is the mark of a killed run. */
#include "events_read.h"

#include "reports/event_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int events_read(const char *path, events_read_fn fn, void *arg, struct events_read_result *res,
                struct synth_error *err)
{
    return events_read_filtered(path, NULL, fn, arg, res, err);
}

int events_read_filtered(const char *path, events_skip_fn skip, events_read_fn fn, void *arg,
                         struct events_read_result *res, struct synth_error *err)
{
    /* A line, its newline and fgets' NUL; one byte more tells "too long". */
    const size_t cap = EVENT_JSON_LINE_MAX + 2;
    char *buf = NULL;
    FILE *f = NULL;
    size_t line = 0;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    f = fopen(path, "r");
    if (!f)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, strerror(errno));
    buf = malloc(cap);
    if (!buf) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    while (fgets(buf, (int)cap, f)) {
        size_t len = strlen(buf);
        bool newline = len > 0 && buf[len - 1] == '\n';
        json_error_t jerr;

        line++;
        if (!newline && !feof(f)) {
            rc = synth_error_set(err, SYNTH_EPARSE, "%s:%zu: line longer than %zu bytes", path,
                                 line, (size_t)EVENT_JSON_LINE_MAX);
            goto out;
        }
        if (newline && skip && skip(buf, len, arg)) {
            res->skipped++;
            continue;
        }
        json_t *ev = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(ev)) {
            json_decref(ev);
            if (!newline) {
                /* Cut mid-write: what the run measured up to here stands. */
                res->truncated = true;
                res->truncated_line = line;
                break;
            }
            rc = synth_error_set(err, SYNTH_EPARSE, "%s:%zu: %s", path, line,
                                 ev ? "not a JSON object" : jerr.text);
            goto out;
        }
        res->events++;
        rc = fn ? fn(ev, line, arg) : 0;
        json_decref(ev);
        if (rc)
            goto out;
    }
    if (ferror(f))
        rc = synth_error_set(err, SYNTH_EIO, "%s: read error", path);
out:
    free(buf);
    fclose(f);
    return rc;
}
