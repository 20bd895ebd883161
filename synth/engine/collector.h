/* The collector: takes event lines and traces from the workers through one
 * queue and writes them to the results directory as they come, flushed, so a
 * killed run keeps what it measured. */
#ifndef SYNTH_ENGINE_COLLECTOR_H
#define SYNTH_ENGINE_COLLECTOR_H

#include "synth/base/err.h"

#include <stddef.h>

struct collector;

/* Opens DIR/events.jsonl (truncating) and creates DIR/traces/. */
int collector_open(struct collector **out, const char *dir, struct synth_error *err);
/* Queues one JSON line of len bytes, without its newline (copied). Thread-safe. */
void collector_push_line(struct collector *c, const char *line, size_t len);
/* Queues the SIP trace of a failed call (copied; credentials redacted on write). */
void collector_push_trace(struct collector *c, const char *call_id, const char *buf, size_t len);
/* Writes what is queued. Called from the main thread. */
int collector_flush(struct collector *c);
/* Lines written so far. */
size_t collector_lines(const struct collector *c);
void collector_close(struct collector *c);

/* Replaces the values of Authorization / Proxy-Authorization headers, of
 * SDP a=ice-pwd lines and the text of MRAS <password> elements with
 * "[redacted]" in place; returns the new length. */
size_t collector_redact(char *buf, size_t len);

#endif
