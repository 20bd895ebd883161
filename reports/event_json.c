/* One events.jsonl line per step result (JSON, RFC 8259; times in ISO 8601 UTC). */
#include "event_json.h"

#include "synth/base/err.h"
#include "synth/config/target.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* jansson prints reals with 17 significant digits by default, which turns
 * 212.345 into 212.34500000000000597. 15 digits round-trip every value we
 * write (µs counts / 1000, below 2^53) and print as written. */
#define EVENT_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Length of the valid UTF-8 sequence at s (RFC 3629 section 4), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0; /* continuation byte, overlong lead C0/C1, or beyond U+10FFFF */
    if (n > left)
        return 0;
    /* The second byte's range rules out overlongs, surrogates and > U+10FFFF. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return n;
}

json_t *event_json_text(const char *s, size_t max)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *u = (const unsigned char *)s;
    size_t len = s ? strnlen(s, max) : 0;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    if (i == len)
        return json_stringn(s ? s : "", len);

    /* Each invalid byte becomes 3 bytes at most. */
    char *fixed = malloc(len * 3 + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0) {
            memcpy(fixed + o, replacement, 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(fixed + o, s + i, n);
        o += n;
        i += n;
    }
    json_t *j = json_stringn(fixed, o);
    free(fixed);
    return j;
}

int event_json_timestamp(int64_t wall_ms, char *buf, size_t size)
{
    struct tm tm;
    char date[24];

    /* Floor division so times before the epoch keep a positive millisecond part. */
    int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    if ((int64_t)t != sec || !gmtime_r(&t, &tm))
        return SYNTH_EINVAL;
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return SYNTH_EINVAL; /* ISO 8601 without expanded years */
    if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return SYNTH_EINVAL;
    int n = snprintf(buf, size, "%s.%03dZ", date, (int)ms);
    if (n < 0 || (size_t)n >= size)
        return SYNTH_EINVAL;
    return 0;
}

double event_json_ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* Adds obj[key] = text unless the text is empty; 0 or -1 on ENOMEM. */
static int set_text(json_t *obj, const char *key, const char *s, size_t max)
{
    if (!s || s[0] == '\0')
        return 0;
    return json_object_set_new(obj, key, event_json_text(s, max));
}

json_t *event_json_object(const struct step_result *r, const char *user_uri)
{
    char ts[EVENT_JSON_TS_MAX];
    json_t *o = json_object();

    if (!o || (unsigned)r->kind >= STEP_KIND_COUNT) {
        json_decref(o);
        return NULL;
    }
    /* A wall clock before 1970 or past 9999 is a broken clock; the event still counts. */
    if (event_json_timestamp(r->wall_start_ms, ts, sizeof(ts)) != 0)
        snprintf(ts, sizeof(ts), "1970-01-01T00:00:00.000Z");

    int rc = 0;
    rc |= json_object_set_new(o, "ts", json_string(ts));
    rc |= json_object_set_new(o, "user", json_integer(r->user_index));
    rc |= set_text(o, "user_uri", user_uri, TARGET_URI_MAX);
    rc |= json_object_set_new(o, "step", json_string(step_kind_name(r->kind)));
    rc |= json_object_set_new(o, "step_index", json_integer(r->step_index));
    rc |= json_object_set_new(o, "journey", json_integer((json_int_t)r->journey));
    rc |= json_object_set_new(o, "outcome", json_string(r->ok ? "ok" : "failed"));
    rc |= json_object_set_new(o, "duration_ms", json_real(event_json_ms(step_result_latency_us(r))));
    rc |= json_object_set_new(o, "start_lag_ms", json_real(event_json_ms(r->start_us - r->intended_us)));
    if (!r->ok)
        rc |= json_object_set_new(o, "class", json_string(failure_class_name(r->cls)));
    if (r->sip_status > 0)
        rc |= json_object_set_new(o, "sip_status", json_integer(r->sip_status));
    rc |= set_text(o, "sip_reason", r->sip_reason, sizeof(r->sip_reason));
    rc |= set_text(o, "ms_diagnostics", r->ms_diagnostics, sizeof(r->ms_diagnostics));
    rc |= set_text(o, "ms_diagnostics_public", r->ms_diagnostics_public,
                   sizeof(r->ms_diagnostics_public));
    rc |= set_text(o, "reason", r->reason_hdr, sizeof(r->reason_hdr));
    rc |= set_text(o, "warning", r->warning_hdr, sizeof(r->warning_hdr));
    rc |= set_text(o, "detail", r->detail, sizeof(r->detail));
    rc |= set_text(o, "call_id", r->call_id, sizeof(r->call_id));
    if (r->pdd_us >= 0)
        rc |= json_object_set_new(o, "pdd_ms", json_real(event_json_ms(r->pdd_us)));
    if (r->setup_us >= 0)
        rc |= json_object_set_new(o, "setup_ms", json_real(event_json_ms(r->setup_us)));
    if (r->kind == STEP_CALL) {
        rc |= json_object_set_new(o, "answered", json_boolean(r->answered));
        rc |= json_object_set_new(o, "bye_by_peer", json_boolean(r->bye_by_peer));
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int event_json_line(const struct step_result *r, const char *user_uri, char **line)
{
    int err = 0;
    json_t *o = NULL;

    *line = NULL;
    if ((unsigned)r->kind >= STEP_KIND_COUNT)
        return SYNTH_EINVAL;
    o = event_json_object(r, user_uri);
    if (!o) {
        err = SYNTH_ENOMEM;
        goto out;
    }
    *line = json_dumps(o, EVENT_JSON_DUMP_FLAGS);
    if (!*line)
        err = SYNTH_ENOMEM;
out:
    json_decref(o);
    return err;
}
