/* Reading events.jsonl back (JSON Lines: one JSON object per line), for
 * `synth report` and the writers that need single calls. A run killed while
 * writing leaves its last line cut: that line is skipped with a warning, any
 * other bad line is an error naming file:line. */
#ifndef SYNTH_REPORTS_EVENTS_READ_H
#define SYNTH_REPORTS_EVENTS_READ_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a read found besides the events. */
struct events_read_result {
    size_t events;         /* objects handed to the callback */
    size_t skipped;        /* complete lines the skip filter left unparsed */
    bool truncated;        /* the last line was cut (no newline, not JSON) */
    size_t truncated_line; /* its number, from 1 */
};

/* Called once per event, in file order (line from 1); the object is
 * borrowed for the call. A non-zero return stops the read and is returned. */
typedef int (*events_read_fn)(const json_t *event, size_t line, void *arg);

/* A reader's filter on a raw line (its newline included): true skips the
 * line unparsed (and unchecked). Parsing is most of a read's cost (about
 * 8 µs a line with jansson here), so a writer that needs a few kinds of
 * events names the ones it does not. */
typedef bool (*events_skip_fn)(const char *line, size_t len, void *arg);

/* Reads path, calling fn (may be NULL: count and check only). 0;
 * SYNTH_EIO when unreadable; SYNTH_EPARSE with "path:line: what" for a bad
 * line that is not the cut last one, or one longer than EVENT_JSON_LINE_MAX;
 * SYNTH_ENOMEM; or fn's code. */
int events_read(const char *path, events_read_fn fn, void *arg, struct events_read_result *res,
                struct synth_error *err);

/* events_read with a skip filter (skip may be NULL). A last line without
 * its newline is never skipped, so a cut one is still found. */
int events_read_filtered(const char *path, events_skip_fn skip, events_read_fn fn, void *arg,
                         struct events_read_result *res, struct synth_error *err);

#endif
