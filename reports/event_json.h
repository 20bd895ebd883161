/* events.jsonl: one JSON object per step result, written as the run goes so a
 * run that dies still leaves its evidence. The keys are a contract with
 * monitoring tools (see docs/results.md): add, never rename. */
#ifndef SYNTH_REPORTS_EVENT_JSON_H
#define SYNTH_REPORTS_EVENT_JSON_H

#include "synth/engine/step_result.h"
#include "synth/sip/ms_diag.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* jansson prints reals with 17 significant digits by default, which turns
 * 212.345 into 212.34500000000000597. 15 digits round-trip every value we
 * write (µs counts / 1000, below 2^53) and print as written. */
#define EVENT_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* "2024-05-01T10:00:00.123Z" and its NUL. */
#define EVENT_JSON_TS_MAX 32

/* Formats r as one JSON object, without a trailing newline, into *line
 * (malloc'd; caller frees). user_uri is the user's SIP URI, or NULL / "" to
 * write only the index. Keys: ts, user, user_uri, step, step_index, journey,
 * outcome, duration_ms, start_lag_ms, class (failed steps), sip_status,
 * sip_reason, ms_diagnostics, ms_diagnostics_public, reason, warning, detail,
 * call_id, pdd_ms, setup_ms, answered and bye_by_peer (call steps); empty texts
 * and unreached times are left out. Returns 0, SYNTH_EINVAL or SYNTH_ENOMEM. */
int event_json_line(const struct step_result *r, const char *user_uri, char **line);

/* Bytes of the longest line and its NUL: about 1000 of keys, numbers and
 * names (the media object and its ICE part included), plus the texts
 * (user_uri, six RESULT_TEXT_MAX texts, call_id, the media's texts), each
 * byte of which may become six ("\u0001"). */
#define EVENT_JSON_URI_MAX 256 /* TARGET_URI_MAX */
#define EVENT_JSON_MEDIA_TEXT_MAX (sizeof(((struct media_result *)0)->codec) + \
    sizeof(((struct media_result *)0)->sdp_problem) + sizeof(((struct media_result *)0)->audio_file) + \
    sizeof(((struct media_result *)0)->media_path) + sizeof(((struct media_result *)0)->relay_error) + \
    sizeof(((struct media_result *)0)->no_media_cause) + sizeof(((struct media_result *)0)->relay_server) + \
    sizeof(((struct media_result *)0)->ice_dialect) + \
    sizeof(((struct media_result *)0)->ice_failure) + 2 * sizeof(((struct media_result *)0)->ice_local_type) + \
    2 * sizeof(((struct media_result *)0)->ice_local_addr))
#define EVENT_JSON_LINE_MAX \
    (1024 + 2 * MS_DIAG_EXPLAIN_MAX + 6 * (EVENT_JSON_URI_MAX + 6 * RESULT_TEXT_MAX + RESULT_CALL_ID_MAX + \
                 EVENT_JSON_MEDIA_TEXT_MAX))

/* The same line into buf (NUL-terminated; its length in *len), without an
 * allocation: the worker's path. Returns 0, SYNTH_EINVAL (bad kind) or
 * SYNTH_ETOOBIG (size below what the line needs; EVENT_JSON_LINE_MAX is
 * always enough). */
int event_json_write(const struct step_result *r, const char *user_uri, char *buf, size_t size,
                     size_t *len);

/* The same object as a jansson tree, for callers that embed it (caller
 * json_decref's); NULL on ENOMEM. json_dumps(o, EVENT_JSON_DUMP_FLAGS) gives
 * the bytes of event_json_line, which writes them without the tree. */
json_t *event_json_object(const struct step_result *r, const char *user_uri);

/* A JSON string of the text s, read up to its NUL or max bytes. Bytes that
 * are not valid UTF-8 become U+FFFD: peers put anything in reason phrases and
 * jansson refuses invalid UTF-8, and one odd byte must not lose a whole event.
 * New reference; NULL only on ENOMEM. */
json_t *event_json_text(const char *s, size_t max);

/* ISO 8601 UTC with milliseconds of a wall-clock time in ms since the epoch.
 * Returns 0, or SYNTH_EINVAL when the time cannot be represented or size is short. */
int event_json_timestamp(int64_t wall_ms, char *buf, size_t size);

/* Milliseconds of a µs duration, as a JSON number with at most 3 decimals. */
double event_json_ms(int64_t us);

#endif
