/* One events.jsonl line per step result (JSON, RFC 8259; times in ISO 8601 UTC). */
#include "event_json.h"

#include "synth/base/err.h"
#include "synth/config/target.h"
#include "synth/sip/ms_diag.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* Civil date of a day count since 1970-01-01 in the proleptic Gregorian
 * calendar (H. Hinnant's days_from_civil inverse, public domain): integer
 * arithmetic, no gmtime_r (which takes glibc's time zone lock) and no
 * strftime on the worker thread, once per step result. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

int event_json_timestamp(int64_t wall_ms, char *buf, size_t size)
{
    /* Years 0000-9999 only: ISO 8601 without expanded years. */
    static const int64_t min_ms = INT64_C(-62167219200000);  /* 0000-01-01T00:00:00Z */
    static const int64_t max_ms = INT64_C(253402300799999);  /* 9999-12-31T23:59:59.999Z */
    if (wall_ms < min_ms || wall_ms > max_ms || size < sizeof("0000-00-00T00:00:00.000Z"))
        return SYNTH_EINVAL;
    /* Floor division so times before the epoch keep a positive millisecond part. */
    int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        sec--;
    }
    int64_t days = sec / 86400, tod = sec % 86400;
    if (tod < 0) {
        tod += 86400;
        days--;
    }
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    memcpy(buf, "0000-00-00T00:00:00.000Z", sizeof("0000-00-00T00:00:00.000Z"));
    put_digits(buf, (unsigned)year, 4);
    put_digits(buf + 5, month, 2);
    put_digits(buf + 8, day, 2);
    put_digits(buf + 11, (unsigned)(tod / 3600), 2);
    put_digits(buf + 14, (unsigned)(tod / 60 % 60), 2);
    put_digits(buf + 17, (unsigned)(tod % 60), 2);
    put_digits(buf + 20, (unsigned)ms, 3);
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

/* The catalogue's reading of the result's ms-diagnostics (synth/sip/ms_diag.h),
 * for both writers: false when there is none, or it does not parse. */
static bool diag_of(const struct step_result *r, struct ms_diag *d, char *meaning, size_t size)
{
    struct strv v = strv_make(r->ms_diagnostics, strnlen(r->ms_diagnostics,
                                                         sizeof(r->ms_diagnostics)));
    if (!v.l || ms_diag_parse(v, d) != 0)
        return false;
    ms_diag_describe(d, meaning, size);
    return true;
}

/* A measure kept to 3 decimals, written the same by both writers. */
static int64_t milli(double v)
{
    return (int64_t)llround(v * 1000.0);
}

/* ICE's outcome (issue #4): the nominated pair and the checks. */
static int ice_object(json_t *media, const struct media_result *m)
{
    json_t *x = json_object();
    if (!x)
        return -1;
    int rc = json_object_set_new(x, "ok", json_boolean(m->ice_ok));
    rc |= set_text(x, "failure", m->ice_failure, sizeof(m->ice_failure));
    if (m->ice_us >= 0)
        rc |= json_object_set_new(x, "ms", json_real(event_json_ms(m->ice_us)));
    rc |= set_text(x, "local_type", m->ice_local_type, sizeof(m->ice_local_type));
    rc |= set_text(x, "local_addr", m->ice_local_addr, sizeof(m->ice_local_addr));
    rc |= set_text(x, "remote_type", m->ice_remote_type, sizeof(m->ice_remote_type));
    rc |= set_text(x, "remote_addr", m->ice_remote_addr, sizeof(m->ice_remote_addr));
    rc |= set_text(x, "dialect", m->ice_dialect, sizeof(m->ice_dialect));
    rc |= json_object_set_new(x, "checks_sent", json_integer((json_int_t)m->ice_checks_sent));
    rc |= json_object_set_new(x, "checks_received",
                              json_integer((json_int_t)m->ice_checks_received));
    rc |= json_object_set_new(media, "ice", x);
    return rc;
}

/* The call's audio (issue #3): what the media measured. */
static int media_object(json_t *o, const struct media_result *m)
{
    json_t *x = json_object();
    int rc = x ? 0 : -1;
    if (!x)
        return rc;
    rc |= json_object_set_new(x, "srtp", json_boolean(m->srtp));
    rc |= set_text(x, "codec", m->codec, sizeof(m->codec));
    rc |= json_object_set_new(x, "flowed", json_boolean(m->flowed));
    rc |= json_object_set_new(x, "greeting_heard", json_boolean(m->greeting_heard));
    if (m->first_media_us >= 0)
        rc |= json_object_set_new(x, "first_media_ms", json_real(event_json_ms(m->first_media_us)));
    if (m->greeting_onset_us >= 0)
        rc |= json_object_set_new(x, "greeting_onset_ms",
                                  json_real(event_json_ms(m->greeting_onset_us)));
    rc |= json_object_set_new(x, "sent", json_integer((json_int_t)m->sent));
    rc |= json_object_set_new(x, "received", json_integer((json_int_t)m->received));
    rc |= json_object_set_new(x, "unauthenticated", json_integer((json_int_t)m->unauthenticated));
    rc |= json_object_set_new(x, "loss_pct", json_real(event_json_ms(milli(m->loss_pct))));
    rc |= json_object_set_new(x, "jitter_ms", json_real(event_json_ms(milli(m->jitter_ms))));
    rc |= json_object_set_new(x, "mos", json_real(event_json_ms(milli(m->mos))));
    rc |= json_object_set_new(x, "peer_port", json_integer(m->peer_port));
    rc |= json_object_set_new(x, "peer_port_in_range", json_boolean(m->peer_port_in_range));
    if (m->dscp_seen >= 0)
        rc |= json_object_set_new(x, "dscp", json_integer(m->dscp_seen));
    /* The policy's mark and the packets off it: what the DSCP check counts
     * (a results directory rebuilt or merged from events counts it again). */
    if (m->dscp_expected >= 0) {
        rc |= json_object_set_new(x, "dscp_expected", json_integer(m->dscp_expected));
        rc |= json_object_set_new(x, "dscp_mismatches", json_integer((json_int_t)m->dscp_mismatches));
    }
    if (m->peer_report) {
        rc |= json_object_set_new(x, "peer_loss_pct",
                                  json_real(event_json_ms(milli(m->peer_loss_pct))));
        rc |= json_object_set_new(x, "peer_jitter_ms",
                                  json_real(event_json_ms(milli(m->peer_jitter_ms))));
    }
    rc |= set_text(x, "sdp_problem", m->sdp_problem, sizeof(m->sdp_problem));
    rc |= set_text(x, "audio_file", m->audio_file, sizeof(m->audio_file));
    rc |= set_text(x, "media_path", m->media_path, sizeof(m->media_path));
    rc |= set_text(x, "relay_error", m->relay_error, sizeof(m->relay_error));
    rc |= set_text(x, "relay_server", m->relay_server, sizeof(m->relay_server));
    if (m->relay_allocate_us >= 0)
        rc |= json_object_set_new(x, "relay_allocate_ms",
                                  json_real(event_json_ms(m->relay_allocate_us)));
    rc |= set_text(x, "no_media_cause", m->no_media_cause, sizeof(m->no_media_cause));
    if (m->ice)
        rc |= ice_object(x, m);
    rc |= json_object_set_new(o, "media", x);
    return rc;
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
    rc |= json_object_set_new(o, "via", json_string(access_path_name(r->via)));
    rc |= json_object_set_new(o, "step", json_string(step_kind_name(r->kind)));
    rc |= json_object_set_new(o, "step_index", json_integer(r->step_index));
    rc |= json_object_set_new(o, "journey", json_integer((json_int_t)r->journey));
    rc |= json_object_set_new(o, "outcome", json_string(r->ok ? "ok" : "failed"));
    rc |= json_object_set_new(o, "duration_ms", json_real(event_json_ms(step_result_latency_us(r))));
    rc |= json_object_set_new(o, "start_lag_ms", json_real(event_json_ms(r->start_us - r->intended_us)));
    /* The intended start since the run's start, to the µs: "ts" is the
     * wall clock to the ms, too coarse to place an arrival due exactly at a
     * capacity step's start in its step when shards are merged. */
    rc |= json_object_set_new(o, "offset_ms", json_real(event_json_ms(r->intended_us)));
    if (!r->ok)
        rc |= json_object_set_new(o, "class", json_string(failure_class_name(r->cls)));
    if (r->http_status > 0)
        rc |= json_object_set_new(o, "http_status", json_integer(r->http_status));
    if (r->sip_status > 0)
        rc |= json_object_set_new(o, "sip_status", json_integer(r->sip_status));
    rc |= set_text(o, "sip_reason", r->sip_reason, sizeof(r->sip_reason));
    rc |= set_text(o, "ms_diagnostics", r->ms_diagnostics, sizeof(r->ms_diagnostics));
    struct ms_diag d;
    char meaning[MS_DIAG_EXPLAIN_MAX];
    if (diag_of(r, &d, meaning, sizeof(meaning))) {
        rc |= json_object_set_new(o, "ms_diagnostics_code", json_integer(d.code));
        rc |= set_text(o, "ms_diagnostics_meaning", meaning, sizeof(meaning));
    }
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
    if (r->ntlm_renewals || r->ntlm_lapses) {
        json_t *x = json_object();
        rc |= json_object_set_new(x, "renewals", json_integer(r->ntlm_renewals));
        rc |= json_object_set_new(x, "lapses", json_integer(r->ntlm_lapses));
        rc |= json_object_set_new(o, "ntlm", x);
    }
    if (r->kind == STEP_CALL && r->media.enabled)
        rc |= media_object(o, &r->media);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The line is written directly rather than through a jansson tree: building
 * the tree and json_dumps'ing it on the worker thread, once per step result,
 * was 17-20 % of synth's CPU at 2000 calls/s (docs/PERFORMANCE.md). The bytes
 * are exactly those of json_dumps(event_json_object(r, uri), EVENT_JSON_DUMP_FLAGS);
 * tests/unit/test_event_json.c compares the two on random results. */

_Static_assert(EVENT_JSON_URI_MAX == TARGET_URI_MAX, "event_json.h: URI bound");

struct line_writer {
    char *p, *end;
    bool overflow;
};

static bool lw_room(struct line_writer *w, size_t n)
{
    if (w->overflow || (size_t)(w->end - w->p) < n) {
        w->overflow = true;
        return false;
    }
    return true;
}

static void lw_raw(struct line_writer *w, const char *s, size_t n)
{
    if (!lw_room(w, n))
        return;
    memcpy(w->p, s, n);
    w->p += n;
}

/* ,"key": (the first key of the object is written with its brace) */
static void lw_key(struct line_writer *w, const char *key)
{
    size_t n = strlen(key);
    if (!lw_room(w, n + 4))
        return;
    *w->p++ = ',';
    *w->p++ = '"';
    memcpy(w->p, key, n);
    w->p += n;
    *w->p++ = '"';
    *w->p++ = ':';
}

/* A JSON string as jansson writes it (dump.c, no flags): '"', '\\' and
 * control characters escaped, everything else as is; invalid UTF-8 becomes
 * U+FFFD as in event_json_text. */
static void lw_text(struct line_writer *w, const char *s, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    size_t len = s ? strnlen(s, max) : 0;

    if (!lw_room(w, 6 * len + 2))
        return;
    char *o = w->p;
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq_len(u + i, len - i);
            if (n == 0) {
                memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD */
                o += 3;
                i++;
            } else {
                memcpy(o, s + i, n);
                o += n;
                i += n;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        i++;
    }
    *o++ = '"';
    w->p = o;
}

static void lw_key_text(struct line_writer *w, const char *key, const char *s, size_t max)
{
    if (!s || s[0] == '\0')
        return;
    lw_key(w, key);
    lw_text(w, s, max);
}

static void lw_int(struct line_writer *w, long long v)
{
    char tmp[24];
    char *t = tmp + sizeof(tmp);
    unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--t = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--t = '-';
    lw_raw(w, t, (size_t)(tmp + sizeof(tmp) - t));
}

/* Milliseconds of a µs count as jansson prints the real us / 1000.0 with
 * JSON_REAL_PRECISION(15): "%.15g", ".0" added when there is no point or
 * exponent, the exponent without '+' and leading zeros. Below 10^12 µs the
 * value has at most 12 significant digits, so "%.15g" gives exactly the
 * decimal: integer milliseconds, then up to 3 decimals without trailing
 * zeros. That is written with integer arithmetic (printf's floating point was
 * half the cost of a line); larger values take printf's path. */
static void lw_ms(struct line_writer *w, int64_t us)
{
    char tmp[40];
    if (us > -INT64_C(1000000000000) && us < INT64_C(1000000000000)) {
        uint64_t a = us < 0 ? (uint64_t)-us : (uint64_t)us;
        unsigned frac = (unsigned)(a % 1000);
        if (us < 0)
            lw_raw(w, "-", 1);
        lw_int(w, (long long)(a / 1000));
        if (frac == 0) {
            lw_raw(w, ".0", 2);
            return;
        }
        char d[4] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                     (char)('0' + frac % 10)};
        size_t n = 4;
        while (d[n - 1] == '0')
            n--;
        lw_raw(w, d, n);
        return;
    }
    int n = snprintf(tmp, sizeof(tmp), "%.15g", event_json_ms(us));
    if (n < 0 || (size_t)n >= sizeof(tmp) - 3) {
        w->overflow = true;
        return;
    }
    if (!strchr(tmp, '.') && !strchr(tmp, 'e')) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(tmp, 'e');
    if (e) {
        char *start = e + 1, *digits = e + 2;
        if (*start == '-')
            start++;
        while (*digits == '0')
            digits++;
        if (digits != start)
            memmove(start, digits, strlen(digits) + 1);
        n = (int)strlen(tmp);
    }
    lw_raw(w, tmp, (size_t)n);
}

static void lw_bool(struct line_writer *w, bool v)
{
    if (v)
        lw_raw(w, "true", 4);
    else
        lw_raw(w, "false", 5);
}

static void lw_key_bool(struct line_writer *w, const char *key, bool v)
{
    lw_key(w, key);
    lw_bool(w, v);
}

static void lw_key_int(struct line_writer *w, const char *key, long long v)
{
    lw_key(w, key);
    lw_int(w, v);
}

static void lw_key_ms(struct line_writer *w, const char *key, int64_t us)
{
    lw_key(w, key);
    lw_ms(w, us);
}

/* The same object as ice_object, key for key. */
static void lw_ice(struct line_writer *w, const struct media_result *m)
{
    static const char open[] = ",\"ice\":{\"ok\":";
    lw_raw(w, open, sizeof(open) - 1);
    lw_bool(w, m->ice_ok);
    lw_key_text(w, "failure", m->ice_failure, sizeof(m->ice_failure));
    if (m->ice_us >= 0)
        lw_key_ms(w, "ms", m->ice_us);
    lw_key_text(w, "local_type", m->ice_local_type, sizeof(m->ice_local_type));
    lw_key_text(w, "local_addr", m->ice_local_addr, sizeof(m->ice_local_addr));
    lw_key_text(w, "remote_type", m->ice_remote_type, sizeof(m->ice_remote_type));
    lw_key_text(w, "remote_addr", m->ice_remote_addr, sizeof(m->ice_remote_addr));
    lw_key_text(w, "dialect", m->ice_dialect, sizeof(m->ice_dialect));
    lw_key_int(w, "checks_sent", (long long)m->ice_checks_sent);
    lw_key_int(w, "checks_received", (long long)m->ice_checks_received);
    lw_raw(w, "}", 1);
}

/* The same object as media_object, key for key. */
static void lw_media(struct line_writer *w, const struct media_result *m)
{
    static const char open[] = ",\"media\":{\"srtp\":";
    lw_raw(w, open, sizeof(open) - 1);
    lw_bool(w, m->srtp);
    lw_key_text(w, "codec", m->codec, sizeof(m->codec));
    lw_key_bool(w, "flowed", m->flowed);
    lw_key_bool(w, "greeting_heard", m->greeting_heard);
    if (m->first_media_us >= 0)
        lw_key_ms(w, "first_media_ms", m->first_media_us);
    if (m->greeting_onset_us >= 0)
        lw_key_ms(w, "greeting_onset_ms", m->greeting_onset_us);
    lw_key_int(w, "sent", (long long)m->sent);
    lw_key_int(w, "received", (long long)m->received);
    lw_key_int(w, "unauthenticated", (long long)m->unauthenticated);
    lw_key_ms(w, "loss_pct", milli(m->loss_pct));
    lw_key_ms(w, "jitter_ms", milli(m->jitter_ms));
    lw_key_ms(w, "mos", milli(m->mos));
    lw_key_int(w, "peer_port", m->peer_port);
    lw_key_bool(w, "peer_port_in_range", m->peer_port_in_range);
    if (m->dscp_seen >= 0)
        lw_key_int(w, "dscp", m->dscp_seen);
    if (m->dscp_expected >= 0) {
        lw_key_int(w, "dscp_expected", m->dscp_expected);
        lw_key_int(w, "dscp_mismatches", (long long)m->dscp_mismatches);
    }
    if (m->peer_report) {
        lw_key_ms(w, "peer_loss_pct", milli(m->peer_loss_pct));
        lw_key_ms(w, "peer_jitter_ms", milli(m->peer_jitter_ms));
    }
    lw_key_text(w, "sdp_problem", m->sdp_problem, sizeof(m->sdp_problem));
    lw_key_text(w, "audio_file", m->audio_file, sizeof(m->audio_file));
    lw_key_text(w, "media_path", m->media_path, sizeof(m->media_path));
    lw_key_text(w, "relay_error", m->relay_error, sizeof(m->relay_error));
    lw_key_text(w, "relay_server", m->relay_server, sizeof(m->relay_server));
    if (m->relay_allocate_us >= 0)
        lw_key_ms(w, "relay_allocate_ms", m->relay_allocate_us);
    lw_key_text(w, "no_media_cause", m->no_media_cause, sizeof(m->no_media_cause));
    if (m->ice)
        lw_ice(w, m);
    lw_raw(w, "}", 1);
}

int event_json_write(const struct step_result *r, const char *user_uri, char *buf, size_t size,
                     size_t *len)
{
    char ts[EVENT_JSON_TS_MAX];
    struct line_writer w = {buf, buf + size, false};

    *len = 0;
    if (size == 0)
        return SYNTH_ETOOBIG;
    buf[0] = '\0';
    if ((unsigned)r->kind >= STEP_KIND_COUNT)
        return SYNTH_EINVAL;
    if (event_json_timestamp(r->wall_start_ms, ts, sizeof(ts)) != 0)
        snprintf(ts, sizeof(ts), "1970-01-01T00:00:00.000Z");

    /* Keys in the order of event_json_object. */
    lw_raw(&w, "{\"ts\":", 6);
    lw_text(&w, ts, sizeof(ts));
    lw_key(&w, "user");
    lw_int(&w, r->user_index);
    lw_key_text(&w, "user_uri", user_uri, TARGET_URI_MAX);
    lw_key(&w, "via");
    lw_text(&w, access_path_name(r->via), 16);
    lw_key(&w, "step");
    lw_text(&w, step_kind_name(r->kind), 64);
    lw_key(&w, "step_index");
    lw_int(&w, r->step_index);
    lw_key(&w, "journey");
    lw_int(&w, (long long)r->journey);
    lw_key(&w, "outcome");
    lw_raw(&w, r->ok ? "\"ok\"" : "\"failed\"", r->ok ? 4 : 8);
    lw_key(&w, "duration_ms");
    lw_ms(&w, step_result_latency_us(r));
    lw_key(&w, "start_lag_ms");
    lw_ms(&w, r->start_us - r->intended_us);
    lw_key(&w, "offset_ms");
    lw_ms(&w, r->intended_us);
    if (!r->ok) {
        lw_key(&w, "class");
        lw_text(&w, failure_class_name(r->cls), 64);
    }
    if (r->http_status > 0) {
        lw_key(&w, "http_status");
        lw_int(&w, r->http_status);
    }
    if (r->sip_status > 0) {
        lw_key(&w, "sip_status");
        lw_int(&w, r->sip_status);
    }
    lw_key_text(&w, "sip_reason", r->sip_reason, sizeof(r->sip_reason));
    lw_key_text(&w, "ms_diagnostics", r->ms_diagnostics, sizeof(r->ms_diagnostics));
    struct ms_diag d;
    char meaning[MS_DIAG_EXPLAIN_MAX];
    if (diag_of(r, &d, meaning, sizeof(meaning))) {
        lw_key(&w, "ms_diagnostics_code");
        lw_int(&w, d.code);
        lw_key_text(&w, "ms_diagnostics_meaning", meaning, sizeof(meaning));
    }
    lw_key_text(&w, "ms_diagnostics_public", r->ms_diagnostics_public,
                sizeof(r->ms_diagnostics_public));
    lw_key_text(&w, "reason", r->reason_hdr, sizeof(r->reason_hdr));
    lw_key_text(&w, "warning", r->warning_hdr, sizeof(r->warning_hdr));
    lw_key_text(&w, "detail", r->detail, sizeof(r->detail));
    lw_key_text(&w, "call_id", r->call_id, sizeof(r->call_id));
    if (r->pdd_us >= 0) {
        lw_key(&w, "pdd_ms");
        lw_ms(&w, r->pdd_us);
    }
    if (r->setup_us >= 0) {
        lw_key(&w, "setup_ms");
        lw_ms(&w, r->setup_us);
    }
    if (r->kind == STEP_CALL) {
        lw_key(&w, "answered");
        lw_bool(&w, r->answered);
        lw_key(&w, "bye_by_peer");
        lw_bool(&w, r->bye_by_peer);
    }
    if (r->ntlm_renewals || r->ntlm_lapses) {
        static const char open[] = ",\"ntlm\":{\"renewals\":";
        lw_raw(&w, open, sizeof(open) - 1);
        lw_int(&w, r->ntlm_renewals);
        lw_key_int(&w, "lapses", r->ntlm_lapses);
        lw_raw(&w, "}", 1);
    }
    if (r->kind == STEP_CALL && r->media.enabled)
        lw_media(&w, &r->media);
    lw_raw(&w, "}", 1);
    if (w.overflow || w.p == w.end) {
        buf[0] = '\0';
        return SYNTH_ETOOBIG;
    }
    *w.p = '\0';
    *len = (size_t)(w.p - buf);
    return 0;
}

int event_json_line(const struct step_result *r, const char *user_uri, char **line)
{
    char buf[EVENT_JSON_LINE_MAX];
    size_t n;

    *line = NULL;
    int rc = event_json_write(r, user_uri, buf, sizeof(buf), &n);
    if (rc != 0)
        return rc == SYNTH_ETOOBIG ? SYNTH_EINVAL : rc; /* cannot happen: the bound holds */
    *line = malloc(n + 1);
    if (!*line)
        return SYNTH_ENOMEM;
    memcpy(*line, buf, n + 1);
    return 0;
}
