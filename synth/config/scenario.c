/* Loading a scenario file: steps, load and thresholds (scenario.h). The
 * format is documented in docs/configuration.md. */
#include "synth/config/scenario.h"

#include "synth/config/yaml_doc.h"
#include "synth/engine/run_stats.h"

#include <stdio.h>
#include <string.h>

/* Defaults chosen so that a monitoring run against a healthy deployment
 * never trips them, and a dead one is judged within seconds. */
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_CALL_TIMEOUT_MS 30000
#define DEFAULT_HOLD_MS 5000
#define DEFAULT_EXPIRES_S 3600
#define DEFAULT_T1_MS 500
#define DEFAULT_T2_MS 4000
#define DEFAULT_KEEPALIVE_MS 30000
#define DEFAULT_MAX_REDIRECTS 3
/* An answering UM sends its first packet within tens of ms; 5 s of nothing
 * after 200 OK is the field's "connected, no media". */
#define DEFAULT_FIRST_MEDIA_MS 5000
#define DEFAULT_RECORD_MAX_MS 60000
/* RFC 4733 leaves it to the sender; 100 ms tones with 100 ms gaps are what
 * phones send and what every DTMF detector takes. */
#define DEFAULT_DTMF_TONE_MS 100
#define DEFAULT_DTMF_PAUSE_MS 100
/* After a step-until step, its calls still in flight report within a second
 * against a healthy target; slower ones are the next step's concern. */
#define DEFAULT_SETTLE_MS 1000
/* Fewer calls than this say nothing about a failure rate. */
#define DEFAULT_ABORT_MIN_CALLS 20
/* A journey starting a quarter second late already skews setup times. */
#define DEFAULT_GENERATOR_LAG_MS 250
/* CPU used plus waited for, of what the process may use: at this the
 * generator has no headroom left. */
#define DEFAULT_GENERATOR_CPU_PCT 95.0
/* A rate beyond this is a typo, not a test: one machine does tens of thousands. */
#define RATE_MAX 100000.0

static const char *const step_names[STEP_KIND_COUNT] = {
    [STEP_OPTIONS] = "options",   [STEP_REGISTER] = "register", [STEP_CALL] = "call",
    [STEP_HANGUP] = "hangup",     [STEP_UNREGISTER] = "unregister", [STEP_WAIT] = "wait",
    [STEP_DTMF] = "dtmf",
    [STEP_UCWA_DISCOVER] = "ucwa.discover", [STEP_UCWA_TOKEN] = "ucwa.token",
    [STEP_UCWA_APPLICATION] = "ucwa.application", [STEP_UCWA_AVAILABLE] = "ucwa.available",
    [STEP_UCWA_EVENTS] = "ucwa.events", [STEP_UCWA_SIGNOUT] = "ucwa.signout",
    [STEP_UCWA_SURVIVAL] = "ucwa.survival", [STEP_SIP_SURVIVAL] = "sip.survival",
    [STEP_CHECK] = "check",
};

/* The P-GET's timeout when the scenario gives none, within the server range. */
#define DEFAULT_PGET_TIMEOUT_MS 30000
/* A P-GET's timeout the server accepts (web.config PendingGetWaitTimeMax). */
#define PGET_TIMEOUT_MAX_MS (1800 * 1000)
/* The step's deadline beyond the P-GET's timeout when the scenario gives none. */
#define PGET_DEADLINE_MARGIN_MS 15000
/* sip.survival: the proof OPTIONS after the idle interval is answered in
 * milliseconds by a live registrar; a silently dropped connection never
 * answers, and Timer F (64*T1, 32 s) is too long to wait for. */
#define DEFAULT_SIP_ANSWER_MS 5000

/* The keys each step accepts, NULL-terminated. */
static const char *const *step_keys(enum step_kind k)
{
    static const char *const timeout_only[] = {"timeout", NULL};
    static const char *const reg[] = {"expires", "timeout", NULL};
    static const char *const call[] = {"hold", "timeout", "uri", "media", "greeting",
                                       "first_media_timeout", "hangup_on_greeting", "media_path",
                                       NULL};
    static const char *const wait[] = {"duration", NULL};
    static const char *const dtmf[] = {"keys", "tone", "pause", "timeout", NULL};
    static const char *const events[] = {"pget_timeout", "timeout", NULL};
    static const char *const survival[] = {"intervals", "search", "probe", "timeout", NULL};
    static const char *const sip_survival[] = {"intervals", "search", "probe", "timeout",
                                               "answer_timeout", "expires", NULL};
    switch (k) {
    case STEP_UCWA_SURVIVAL: return survival;
    case STEP_SIP_SURVIVAL: return sip_survival;
    case STEP_DTMF: return dtmf;
    case STEP_UCWA_EVENTS: return events;
    case STEP_REGISTER: return reg;
    case STEP_CALL: return call;
    case STEP_WAIT: return wait;
    default: return timeout_only;
    }
}

static const char *const greeting_names[] = {
    [GREETING_REQUIRED] = "required", [GREETING_OPTIONAL] = "optional", [GREETING_OFF] = "off"};

const char *scenario_greeting_name(enum scenario_greeting g)
{
    return (unsigned)g <= GREETING_OFF ? greeting_names[g] : "?";
}

const char *step_kind_name(enum step_kind k)
{
    return (unsigned)k < STEP_KIND_COUNT ? step_names[k] : "?";
}

static int step_kind_of(const char *name, enum step_kind *out)
{
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        if (strcmp(name, step_names[k]) == 0) {
            *out = (enum step_kind)k;
            return 0;
        }
    }
    return SYNTH_ENOTFOUND;
}

static void step_defaults(struct scenario_step *st, enum step_kind k, unsigned line)
{
    memset(st, 0, sizeof(*st));
    st->kind = k;
    st->line = line;
    st->timeout_ms = k == STEP_CALL ? DEFAULT_CALL_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
    st->hold_ms = DEFAULT_HOLD_MS;
    st->expires_s = DEFAULT_EXPIRES_S;
    st->media = true;
    st->greeting = GREETING_REQUIRED;
    st->first_media_ms = DEFAULT_FIRST_MEDIA_MS;
    st->hangup_on_greeting = true;
    st->tone_ms = DEFAULT_DTMF_TONE_MS;
    st->pause_ms = DEFAULT_DTMF_PAUSE_MS;
    st->answer_ms = DEFAULT_SIP_ANSWER_MS;
    if (k == STEP_UCWA_EVENTS) {
        st->duration_ms = DEFAULT_PGET_TIMEOUT_MS;
        st->timeout_ms = DEFAULT_PGET_TIMEOUT_MS + PGET_DEADLINE_MARGIN_MS;
    }
}

bool step_kind_is_ucwa(enum step_kind k)
{
    return k >= STEP_UCWA_DISCOVER && k <= STEP_UCWA_SURVIVAL;
}

const struct scenario_step *scenario_pget_below(const struct scenario *s, uint32_t min_s)
{
    for (size_t i = 0; i < s->step_count; i++) {
        const struct scenario_step *st = &s->steps[i];
        if (st->kind == STEP_UCWA_EVENTS && st->duration_ms < min_s * 1000)
            return st;
        if (st->kind != STEP_UCWA_SURVIVAL || !(st->probes & SCENARIO_PROBE_PGET))
            continue;
        if (st->search_max_s && st->search_min_s < min_s)
            return st;
        for (uint32_t k = 0; k < st->interval_count; k++)
            if (st->intervals_s[k] < min_s)
                return st;
    }
    return NULL;
}

bool scenario_has_ucwa(const struct scenario *s)
{
    for (size_t i = 0; i < s->step_count; i++)
        if (step_kind_is_ucwa(s->steps[i].kind))
            return true;
    return false;
}

/* An optional key naming one of names; *out keeps its default without it. */
static int opt_enum(const struct ynode *params, const char *key, const char *const *names,
                    size_t count, int *out, struct synth_error *err)
{
    struct ynode n;
    if (!ydoc_get(params, key, &n))
        return 0;
    return ydoc_enum(&n, names, count, out, err);
}

static const char *const media_path_names[] = {
    [MEDIA_PATH_AUTO] = "auto", [MEDIA_PATH_DIRECT] = "direct", [MEDIA_PATH_RELAY] = "relay"};

const char *scenario_media_path_name(enum scenario_media_path p)
{
    return (unsigned)p <= MEDIA_PATH_RELAY ? media_path_names[p] : "?";
}

static int opt_bool(const struct ynode *map, const char *key, bool *out, struct synth_error *err)
{
    struct ynode n;
    return ydoc_get(map, key, &n) ? ydoc_bool(&n, out, err) : 0;
}

static int opt_duration(const struct ynode *map, const char *key, enum ydoc_unit store,
                        uint32_t *out, struct synth_error *err)
{
    struct ynode n;
    if (!ydoc_get(map, key, &n))
        return 0;
    return ydoc_duration(&n, store, out, err);
}

static int load_keys(const struct ynode *params, struct scenario_step *st,
                     struct synth_error *err)
{
    struct ynode n;
    if (st->kind != STEP_DTMF)
        return 0;
    int rc = ydoc_require(params, "keys", &n, err);
    if (rc == 0 && (!ydoc_is_scalar(&n) || ydoc_str(&n, st->keys, sizeof(st->keys), err) != 0))
        return ydoc_error(&n, err, "expected up to 32 DTMF keys in quotes, e.g. \"1234#\"");
    for (const char *k = st->keys; rc == 0 && *k; k++)
        if (!strchr("0123456789*#ABCDabcd", *k))
            rc = ydoc_error(&n, err, "'%c' is not a DTMF key (0-9, *, #, A-D)", *k);
    return rc;
}

static int load_intervals(const struct ynode *params, struct scenario_step *st,
                          struct synth_error *err)
{
    struct ynode n, item;
    if (!ydoc_get(params, "intervals", &n))
        return 0;
    size_t count = ydoc_is_seq(&n) ? ydoc_len(&n) : 0;
    if (count == 0 || count > SCENARIO_INTERVALS_MAX)
        return ydoc_error(&n, err, "expected a list of 1 to %d durations, e.g. [300s, 600s, 900s]",
                          SCENARIO_INTERVALS_MAX);
    for (size_t i = 0; i < count; i++) {
        ydoc_seq_at(&n, i, &item);
        int rc = ydoc_duration(&item, YDOC_UNIT_S, &st->intervals_s[i], err);
        if (rc == 0 && (st->intervals_s[i] == 0 || st->intervals_s[i] > PGET_TIMEOUT_MAX_MS / 1000))
            rc = ydoc_error(&item, err, "between 1s and 1800s");
        if (rc == 0 && i && st->intervals_s[i] <= st->intervals_s[i - 1])
            rc = ydoc_error(&item, err, "intervals go up: %u s after %u s", st->intervals_s[i],
                            st->intervals_s[i - 1]);
        if (rc != 0)
            return rc;
    }
    st->interval_count = (uint32_t)count;
    return 0;
}

static int load_search(const struct ynode *params, struct scenario_step *st,
                       struct synth_error *err)
{
    static const char *const keys[] = {"min", "max", "resolution", NULL};
    struct ynode n, v;
    if (!ydoc_get(params, "search", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    st->search_min_s = 1;
    st->search_resolution_s = 1;
    if (rc == 0)
        rc = opt_duration(&n, "min", YDOC_UNIT_S, &st->search_min_s, err);
    if (rc == 0)
        rc = ydoc_require(&n, "max", &v, err);
    if (rc == 0)
        rc = ydoc_duration(&v, YDOC_UNIT_S, &st->search_max_s, err);
    if (rc == 0)
        rc = opt_duration(&n, "resolution", YDOC_UNIT_S, &st->search_resolution_s, err);
    if (rc == 0 && (st->search_min_s == 0 || st->search_max_s <= st->search_min_s ||
                    st->search_max_s > PGET_TIMEOUT_MAX_MS / 1000 || st->search_resolution_s == 0))
        rc = ydoc_error(&n, err, "want 1s <= min < max <= 1800s and a resolution of 1s or more");
    return rc;
}

/* ucwa.survival: intervals or search (one of them), probe pget|idle|both;
 * sip.survival the same with probe keepalive|silent|both and the proof's
 * answer_timeout. The default deadline covers every round: a round lasts
 * its longest interval (and the proof), and a search needs about
 * log4(range / resolution) of them. */
static int load_survival(const struct ynode *params, struct scenario_step *st,
                         struct synth_error *err)
{
    static const char *const ucwa_names[] = {"pget", "idle", "both"};
    static const char *const sip_names[] = {"keepalive", "silent", "both"};
    bool sip = st->kind == STEP_SIP_SURVIVAL;
    /* The first of the kind's two probes, as a bit of the mask. */
    uint8_t first = sip ? SCENARIO_PROBE_SIP_KEEPALIVE : SCENARIO_PROBE_PGET;
    struct ynode n;
    int rc = load_intervals(params, st, err);
    if (rc == 0)
        rc = load_search(params, st, err);
    if (rc == 0 && (st->interval_count > 0) == (st->search_max_s > 0))
        rc = ydoc_error(params, err, "give intervals: [...] or search: {min, max, resolution}");
    int p = 2;
    if (rc == 0 && ydoc_get(params, "probe", &n))
        rc = ydoc_enum(&n, sip ? sip_names : ucwa_names, 3, &p, err);
    st->probes = (uint8_t)(p == 0 ? first : p == 1 ? first << 1 : first | first << 1);
    if (rc == 0)
        rc = opt_duration(params, "answer_timeout", YDOC_UNIT_MS, &st->answer_ms, err);
    if (rc == 0 && ydoc_get(params, "answer_timeout", &n) && st->answer_ms == 0)
        rc = ydoc_error(&n, err, "must be more than 0 (every wait has a deadline)");
    if (rc == 0 && !ydoc_get(params, "timeout", &n)) {
        uint32_t longest = st->interval_count ? st->intervals_s[st->interval_count - 1]
                                              : st->search_max_s;
        uint32_t rounds = 1;
        for (uint32_t span = st->search_max_s - st->search_min_s;
             st->search_max_s && span > st->search_resolution_s && rounds < 12; span /= 4)
            rounds++;
        st->timeout_ms = (longest * rounds + 60) * 1000 + (sip ? rounds * st->answer_ms : 0);
    }
    return rc;
}

/* ucwa.events: pget_timeout within the server's range; the step's deadline
 * (timeout) beyond it, by default by PGET_DEADLINE_MARGIN_MS. */
static int load_pget(const struct ynode *params, struct scenario_step *st,
                     struct synth_error *err)
{
    struct ynode n, t;
    bool has_timeout = ydoc_get(params, "timeout", &t);
    int rc = opt_duration(params, "pget_timeout", YDOC_UNIT_MS, &st->duration_ms, err);
    if (rc == 0 && ydoc_get(params, "pget_timeout", &n) &&
        (st->duration_ms < 1000 || st->duration_ms > PGET_TIMEOUT_MAX_MS))
        return ydoc_error(&n, err, "between 1s and 1800s (the server's P-GET range is 180-1800 s)");
    if (rc == 0 && !has_timeout)
        st->timeout_ms = st->duration_ms + PGET_DEADLINE_MARGIN_MS;
    if (rc == 0 && has_timeout && st->timeout_ms <= st->duration_ms)
        rc = ydoc_error(&t, err, "must be longer than pget_timeout (%u ms)", st->duration_ms);
    return rc;
}

static int step_params(const struct ynode *params, struct scenario_step *st,
                       struct synth_error *err)
{
    struct ynode n;
    int greeting = (int)st->greeting, path = (int)st->media_path;
    int rc = ydoc_map_check(params, step_keys(st->kind), err);
    if (rc == 0)
        rc = opt_duration(params, "timeout", YDOC_UNIT_MS, &st->timeout_ms, err);
    if (rc == 0)
        rc = opt_duration(params, "hold", YDOC_UNIT_MS, &st->hold_ms, err);
    if (rc == 0)
        rc = opt_duration(params, "expires", YDOC_UNIT_S, &st->expires_s, err);
    if (rc == 0 && st->kind == STEP_WAIT) {
        rc = ydoc_require(params, "duration", &n, err);
        if (rc == 0)
            rc = ydoc_duration(&n, YDOC_UNIT_MS, &st->duration_ms, err);
    }
    if (rc == 0 && ydoc_get(params, "uri", &n)) {
        rc = ydoc_str(&n, st->uri, sizeof(st->uri), err);
        if (rc == 0 && strncmp(st->uri, "sip", 3) != 0)
            rc = ydoc_error(&n, err, "must be a sip: or sips: URI pattern");
    }
    if (rc == 0)
        rc = load_keys(params, st, err);
    if (rc == 0)
        rc = opt_duration(params, "tone", YDOC_UNIT_MS, &st->tone_ms, err);
    if (rc == 0)
        rc = opt_duration(params, "pause", YDOC_UNIT_MS, &st->pause_ms, err);
    if (rc == 0)
        rc = opt_bool(params, "media", &st->media, err);
    if (rc == 0)
        rc = opt_enum(params, "greeting", greeting_names, GREETING_OFF + 1, &greeting, err);
    st->greeting = (enum scenario_greeting)greeting;
    if (rc == 0)
        rc = opt_duration(params, "first_media_timeout", YDOC_UNIT_MS, &st->first_media_ms, err);
    if (rc == 0)
        rc = opt_bool(params, "hangup_on_greeting", &st->hangup_on_greeting, err);
    if (rc == 0)
        rc = opt_enum(params, "media_path", media_path_names, MEDIA_PATH_RELAY + 1, &path, err);
    st->media_path = (enum scenario_media_path)path;
    if (rc == 0 && !st->media && st->greeting == GREETING_REQUIRED) {
        /* Without media nothing can be heard: the greeting is not asked. */
        if (ydoc_get(params, "greeting", &n))
            rc = ydoc_error(&n, err, "a greeting needs media: true");
        st->greeting = GREETING_OFF;
    }
    if (rc == 0 && st->kind == STEP_UCWA_EVENTS)
        rc = load_pget(params, st, err);
    if (rc == 0 && (st->kind == STEP_UCWA_SURVIVAL || st->kind == STEP_SIP_SURVIVAL))
        rc = load_survival(params, st, err);
    if (rc == 0 && ydoc_get(params, "timeout", &n) && st->timeout_ms == 0)
        rc = ydoc_error(&n, err, "must be more than 0 (every wait has a deadline)");
    if (rc == 0 && ydoc_get(params, "expires", &n) && st->expires_s < 60)
        rc = ydoc_error(&n, err, "at least 60s (RFC 3261 10.2.1.1 lets registrars refuse less)");
    return rc;
}

/* A step is "name", "name:" (null) or {name: {params}}. */
static int load_step(const struct ynode *item, struct scenario_step *st,
                     struct synth_error *err)
{
    static const char hint[] =
        "expected a step: options, register, call, hangup, unregister, wait, dtmf, "
        "ucwa.discover, ucwa.token, ucwa.application, ucwa.available, ucwa.events, "
        "ucwa.signout, ucwa.survival, sip.survival or check";
    char name[32];
    struct ynode params = {0};
    enum step_kind k;

    if (ydoc_is_scalar(item)) {
        if (ydoc_str(item, name, sizeof(name), err) != 0 || step_kind_of(name, &k) != 0)
            return ydoc_error(item, err, "%s", hint);
        step_defaults(st, k, item->line);
        if (k == STEP_WAIT)
            return ydoc_error(item, err, "wait needs a duration: - wait: {duration: 5s}");
        if (k == STEP_DTMF)
            return ydoc_error(item, err, "dtmf needs keys: - dtmf: {keys: \"1234#\"}");
        if (k == STEP_UCWA_SURVIVAL || k == STEP_SIP_SURVIVAL)
            return ydoc_error(item, err, "%s needs intervals: [...] or search: {...}",
                              step_names[k]);
        return 0;
    }
    if (!ydoc_is_map(item) || ydoc_len(item) != 1)
        return ydoc_error(item, err, "%s (one key per list item)", hint);
    int rc = ydoc_map_check(item, NULL, err);
    if (rc != 0)
        return rc;
    const char *key = ydoc_map_at(item, 0, &params);
    if (step_kind_of(key, &k) != 0)
        return ydoc_error(item, err, "unknown step '%.32s'; %s", key, hint);
    step_defaults(st, k, item->line);
    if (ydoc_is_null(&params)) {
        if (k == STEP_WAIT)
            return ydoc_error(&params, err, "wait needs a duration: - wait: {duration: 5s}");
        if (k == STEP_DTMF)
            return ydoc_error(&params, err, "dtmf needs keys: - dtmf: {keys: \"1234#\"}");
        if (k == STEP_UCWA_SURVIVAL || k == STEP_SIP_SURVIVAL)
            return ydoc_error(&params, err, "%s needs intervals: [...] or search: {...}",
                              step_names[k]);
        return 0;
    }
    return step_params(&params, st, err);
}

static int load_steps(struct scenario *s, const struct ynode *root, struct synth_error *err)
{
    struct ynode steps, item;
    int rc = ydoc_require(root, "steps", &steps, err);
    if (rc != 0)
        return rc;
    if (!ydoc_is_seq(&steps) || ydoc_len(&steps) == 0)
        return ydoc_error(&steps, err, "expected a list of steps");
    if (ydoc_len(&steps) > SCENARIO_STEPS_MAX)
        return ydoc_error(&steps, err, "at most %d steps", SCENARIO_STEPS_MAX);
    for (size_t i = 0; i < ydoc_len(&steps); i++) {
        ydoc_seq_at(&steps, i, &item);
        rc = load_step(&item, &s->steps[i], err);
        if (rc != 0)
            return rc;
        s->step_count = i + 1;
    }
    return 0;
}

/* via: internal | edge | [internal, edge] */
static int load_via(struct scenario_load *l, const struct ynode *load, struct synth_error *err)
{
    static const char *const names[] = {"internal", "edge"};
    struct ynode n;
    l->via[0] = ACCESS_INTERNAL;
    l->via_count = 1;
    if (!ydoc_get(load, "via", &n))
        return 0;
    int v[ACCESS_PATH_COUNT];
    size_t count = 0;
    int rc = ydoc_enum_list(&n, names, ACCESS_PATH_COUNT, true, v, ACCESS_PATH_COUNT, &count,
                            "give internal, edge or [internal, edge]", err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < count; i++)
        l->via[i] = (enum access_path)v[i];
    l->via_count = (uint32_t)count;
    return 0;
}

static const char *const profile_names[] = {
    [PROFILE_CONSTANT] = "constant", [PROFILE_RAMP] = "ramp", [PROFILE_STEP_UNTIL] = "step-until"};

const char *scenario_profile_name(enum scenario_profile p)
{
    return (unsigned)p <= PROFILE_STEP_UNTIL ? profile_names[p] : "?";
}

/* A duration that must be above 0. */
static int req_duration(const struct ynode *map, const char *key, uint32_t *out,
                        struct synth_error *err)
{
    struct ynode n;
    int rc = ydoc_require(map, key, &n, err);
    if (rc == 0)
        rc = ydoc_duration(&n, YDOC_UNIT_MS, out, err);
    if (rc == 0 && *out == 0)
        rc = ydoc_error(&n, err, "must be above 0");
    return rc;
}

/* stages: [{rate: 10, duration: 30s}, ...] (k6's ramping-arrival-rate). */
static int load_stages(struct scenario_load *l, const struct ynode *load,
                       struct synth_error *err)
{
    static const char *const keys[] = {"rate", "duration", NULL};
    struct ynode n, item, v;
    uint64_t total_ms = 0;
    int rc = ydoc_require(load, "stages", &n, err);
    if (rc != 0)
        return rc;
    if (!ydoc_is_seq(&n) || ydoc_len(&n) == 0 || ydoc_len(&n) > SCENARIO_STAGES_MAX)
        return ydoc_error(&n, err, "give 1 to %d stages: [{rate: 10, duration: 30s}, ...]",
                          SCENARIO_STAGES_MAX);
    for (size_t i = 0; i < ydoc_len(&n) && rc == 0; i++) {
        struct scenario_stage *st = &l->stages[i];
        ydoc_seq_at(&n, i, &item);
        st->line = item.line;
        rc = ydoc_map_check(&item, keys, err);
        if (rc == 0)
            rc = ydoc_require(&item, "rate", &v, err);
        if (rc == 0)
            rc = ydoc_double(&v, 0, RATE_MAX, &st->rate, err);
        if (rc == 0)
            rc = req_duration(&item, "duration", &st->duration_ms, err);
        total_ms += st->duration_ms;
        l->stage_count = (uint32_t)i + 1;
    }
    if (rc == 0 && total_ms > UINT32_MAX)
        rc = ydoc_error(&n, err, "the stages last longer than 49 days");
    l->duration_ms = (uint32_t)total_ms;
    return rc;
}

/* step_until: {start_rate, step, step_duration, warmup, settle, max_rate, max_steps, break_on} */
static int load_step_until(struct scenario_load *l, const struct ynode *load,
                           struct synth_error *err)
{
    static const char *const keys[] = {"start_rate", "step", "step_duration", "warmup",
                                       "settle", "max_rate", "max_steps", "break_on", NULL};
    static const char *const levels[] = {"crit", "warn"};
    struct scenario_step_until *u = &l->until;
    struct ynode n, v;
    u->max_rate = RATE_MAX;
    u->max_steps = SCENARIO_STAGES_MAX;
    u->settle_ms = DEFAULT_SETTLE_MS;
    int rc = ydoc_require(load, "step_until", &n, err);
    if (rc == 0)
        rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = ydoc_require(&n, "start_rate", &v, err);
    if (rc == 0)
        rc = ydoc_double(&v, 0.001, RATE_MAX, &u->start_rate, err);
    if (rc == 0)
        rc = ydoc_require(&n, "step", &v, err);
    if (rc == 0)
        rc = ydoc_double(&v, 0.001, RATE_MAX, &u->step_rate, err);
    if (rc == 0)
        rc = req_duration(&n, "step_duration", &u->step_ms, err);
    if (rc == 0)
        rc = opt_duration(&n, "warmup", YDOC_UNIT_MS, &u->warmup_ms, err);
    if (rc == 0 && u->warmup_ms >= u->step_ms) {
        ydoc_get(&n, "warmup", &v);
        rc = ydoc_error(&v, err, "must be shorter than step_duration (nothing would be judged)");
    }
    if (rc == 0)
        rc = opt_duration(&n, "settle", YDOC_UNIT_MS, &u->settle_ms, err);
    if (rc == 0 && ydoc_get(&n, "max_rate", &v))
        rc = ydoc_double(&v, u->start_rate, RATE_MAX, &u->max_rate, err);
    if (rc == 0 && ydoc_get(&n, "max_steps", &v))
        rc = ydoc_u32(&v, 1, SCENARIO_STAGES_MAX, &u->max_steps, err);
    if (rc == 0 && ydoc_get(&n, "break_on", &v)) {
        int w;
        rc = ydoc_enum(&v, levels, 2, &w, err);
        u->break_on_warn = w == 1;
    }
    if (rc != 0)
        return rc;
    uint32_t steps = 0;
    while (steps < u->max_steps && u->start_rate + u->step_rate * steps <= u->max_rate + 1e-9)
        steps++;
    if ((uint64_t)steps * u->step_ms > UINT32_MAX)
        return ydoc_error(&n, err, "the steps last longer than 49 days");
    l->duration_ms = steps * u->step_ms;
    return 0;
}

/* abort_on: {failure_rate: 20%, min_calls: 50, setup_p95: 3s} */
static int load_abort_on(struct scenario_load *l, const struct ynode *load,
                         struct synth_error *err)
{
    static const char *const keys[] = {"failure_rate", "min_calls", "setup_p95", NULL};
    struct scenario_abort_on *a = &l->abort_on;
    struct ynode n, v;
    if (!ydoc_get(load, "abort_on", &n))
        return 0;
    a->set = true;
    a->min_calls = DEFAULT_ABORT_MIN_CALLS;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "failure_rate", &v))
        rc = ydoc_percent(&v, 0.1, 100, &a->failure_pct, err);
    if (rc == 0 && ydoc_get(&n, "min_calls", &v))
        rc = ydoc_u32(&v, 1, UINT32_MAX, &a->min_calls, err);
    if (rc == 0)
        rc = opt_duration(&n, "setup_p95", YDOC_UNIT_MS, &a->setup_p95_ms, err);
    if (rc == 0 && a->failure_pct == 0 && a->setup_p95_ms == 0)
        rc = ydoc_error(&n, err, "give failure_rate, setup_p95 or both");
    return rc;
}

/* generator: {lag_p99: 250ms, cpu: 95%} */
static int load_generator(struct scenario_load *l, const struct ynode *load,
                          struct synth_error *err)
{
    static const char *const keys[] = {"lag_p99", "cpu", NULL};
    struct scenario_generator_limits *g = &l->generator;
    struct ynode n, v;
    uint32_t lag_ms = DEFAULT_GENERATOR_LAG_MS;
    g->cpu_pct = DEFAULT_GENERATOR_CPU_PCT;
    g->lag_p99_ms = lag_ms;
    if (!ydoc_get(load, "generator", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = opt_duration(&n, "lag_p99", YDOC_UNIT_MS, &lag_ms, err);
    if (rc == 0 && lag_ms == 0) {
        ydoc_get(&n, "lag_p99", &v);
        rc = ydoc_error(&v, err, "must be above 0");
    }
    if (rc == 0 && ydoc_get(&n, "cpu", &v))
        rc = ydoc_percent(&v, 1, 100, &g->cpu_pct, err);
    g->lag_p99_ms = lag_ms;
    return rc;
}

/* rate, stages and step_until belong each to one profile. */
static int profile_keys_check(const struct scenario_load *l, const struct ynode *load,
                              struct synth_error *err)
{
    static const char *const own[] = {
        [PROFILE_CONSTANT] = "rate", [PROFILE_RAMP] = "stages", [PROFILE_STEP_UNTIL] = "step_until"};
    struct ynode v;
    for (int p = 0; p <= PROFILE_STEP_UNTIL; p++)
        if (p != (int)l->profile && ydoc_get(load, own[p], &v))
            return ydoc_error(&v, err, "belongs to profile %s, not %s", profile_names[p],
                              profile_names[l->profile]);
    if (ydoc_get(load, "concurrent", &v) && l->profile != PROFILE_CONSTANT)
        return ydoc_error(&v, err, "belongs to profile constant, not %s",
                          profile_names[l->profile]);
    if (ydoc_get(load, "start_rate", &v) && l->profile != PROFILE_RAMP)
        return ydoc_error(&v, err, "belongs to profile ramp (step-until has step_until.start_rate)");
    if (l->profile != PROFILE_CONSTANT && ydoc_get(load, "duration", &v))
        return ydoc_error(&v, err, "the %s set the run's length; remove duration",
                          l->profile == PROFILE_RAMP ? "stages" : "steps");
    return 0;
}

static int load_profile_keys(struct scenario_load *l, const struct ynode *load,
                             struct synth_error *err)
{
    struct ynode v;
    int p = PROFILE_CONSTANT;
    int rc = opt_enum(load, "profile", profile_names, PROFILE_STEP_UNTIL + 1, &p, err);
    l->profile = (enum scenario_profile)p;
    if (rc == 0)
        rc = profile_keys_check(l, load, err);
    if (rc != 0)
        return rc;
    switch (l->profile) {
    case PROFILE_RAMP:
        if (ydoc_get(load, "start_rate", &v))
            rc = ydoc_double(&v, 0, RATE_MAX, &l->start_rate, err);
        return rc ? rc : load_stages(l, load, err);
    case PROFILE_STEP_UNTIL:
        return load_step_until(l, load, err);
    case PROFILE_CONSTANT:
        break;
    }
    bool has_rate = ydoc_get(load, "rate", &v);
    if (ydoc_get(load, "concurrent", &v)) {
        /* The closed model (k6's constant-vus): a fixed number in flight. */
        if (has_rate)
            return ydoc_error(&v, err, "give rate (open model) or concurrent (closed), not both");
        rc = ydoc_u32(&v, 1, l->users, &l->concurrent, err);
    } else {
        rc = ydoc_require(load, "rate", &v, err);
        if (rc == 0)
            rc = ydoc_double(&v, 0.001, RATE_MAX, &l->rate, err);
    }
    if (rc == 0)
        rc = opt_duration(load, "duration", YDOC_UNIT_MS, &l->duration_ms, err);
    return rc;
}

static int load_load(struct scenario *s, const struct ynode *root, struct synth_error *err)
{
    static const char *const keys[] = {"users",    "rate",       "max_concurrent", "duration",
                                       "iterations", "via",      "profile",        "start_rate",
                                       "stages",   "step_until", "abort_on",       "generator",
                                       "concurrent", NULL};
    struct scenario_load *l = &s->load;
    struct ynode n, v;
    int rc = ydoc_require(root, "load", &n, err);
    if (rc == 0)
        rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = ydoc_require(&n, "users", &v, err);
    if (rc == 0)
        rc = ydoc_u32(&v, 1, 1000000, &l->users, err);
    if (rc == 0)
        rc = load_profile_keys(l, &n, err);
    if (rc == 0 && ydoc_get(&n, "max_concurrent", &v))
        rc = ydoc_u32(&v, 1, 10000000, &l->max_concurrent, err);
    if (rc == 0 && ydoc_get(&n, "iterations", &v))
        rc = ydoc_u32(&v, 1, UINT32_MAX, &l->iterations, err);
    if (rc == 0 && !l->duration_ms && !l->iterations)
        rc = ydoc_error(&n, err, "give duration, iterations or both (a run must end)");
    if (rc == 0)
        rc = load_abort_on(l, &n, err);
    if (rc == 0)
        rc = load_generator(l, &n, err);
    if (rc == 0)
        rc = load_via(l, &n, err);
    return rc;
}

static bool metric_known(const char *metric)
{
    char name[RUN_METRIC_NAME_MAX];
    for (size_t i = 0; run_stats_metric_name(i, name, sizeof(name)) == 0; i++)
        if (strcmp(name, metric) == 0)
            return true;
    return false;
}

/* Percentages of success and MOS are bad when low; everything else
 * (latencies, loss, jitter) when high. */
static bool is_pct(const char *metric)
{
    size_t n = strlen(metric);
    return (n > 4 && strcmp(metric + n - 4, "_pct") == 0) || strncmp(metric, "mos.", 4) == 0;
}

static int load_threshold(const struct ynode *value, const char *metric,
                          struct scenario_threshold *th, struct synth_error *err)
{
    static const char *const keys[] = {"warn", "crit", NULL};
    struct ynode n;
    if (!metric_known(metric))
        return ydoc_error(value, err,
                          "unknown metric (e.g. setup_ms.p95, pdd_ms.p99, call_success_pct, "
                          "steps.register.latency_ms.p95; docs/configuration.md lists all)");
    snprintf(th->metric, sizeof(th->metric), "%s", metric);
    th->line = value->line;
    double max = is_pct(metric) || strstr(metric, "loss_pct.") == metric ||
                         strstr(metric, "peer_loss_pct.") == metric
                     ? 100.0
                     : 1e9;
    int rc = ydoc_map_check(value, keys, err);
    if (rc == 0)
        rc = ydoc_require(value, "warn", &n, err);
    if (rc == 0)
        rc = ydoc_double(&n, 0, max, &th->warn, err);
    if (rc == 0)
        rc = ydoc_require(value, "crit", &n, err);
    if (rc == 0)
        rc = ydoc_double(&n, 0, max, &th->crit, err);
    if (rc == 0 && is_pct(metric) && th->warn <= th->crit)
        rc = ydoc_error(value, err, "%s is bad when low: warn must be above crit",
                        strncmp(metric, "mos.", 4) == 0 ? "a MOS" : "a percentage");
    if (rc == 0 && !is_pct(metric) && th->warn > th->crit)
        rc = ydoc_error(value, err, "a latency is bad when high: warn must not be above crit");
    return rc;
}

static int load_thresholds(struct scenario *s, const struct ynode *root,
                           struct synth_error *err)
{
    struct ynode n, v;
    if (!ydoc_get(root, "thresholds", &n))
        return 0;
    int rc = ydoc_map_check(&n, NULL, err);
    if (rc != 0)
        return rc;
    if (ydoc_len(&n) > SCENARIO_THRESHOLDS_MAX)
        return ydoc_error(&n, err, "at most %d thresholds", SCENARIO_THRESHOLDS_MAX);
    for (size_t i = 0; i < ydoc_len(&n); i++) {
        const char *metric = ydoc_map_at(&n, i, &v);
        rc = load_threshold(&v, metric, &s->thresholds[i], err);
        if (rc != 0)
            return rc;
        s->threshold_count = i + 1;
    }
    return 0;
}

static int load_sip(struct scenario *s, const struct ynode *root, struct synth_error *err)
{
    static const char *const keys[] = {"t1", "t2", "keepalive", "max_redirects", NULL};
    struct scenario_sip *sip = &s->sip;
    struct ynode n, v;
    sip->t1_ms = DEFAULT_T1_MS;
    sip->t2_ms = DEFAULT_T2_MS;
    sip->keepalive_ms = DEFAULT_KEEPALIVE_MS;
    sip->max_redirects = DEFAULT_MAX_REDIRECTS;
    if (!ydoc_get(root, "sip", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0)
        rc = opt_duration(&n, "t1", YDOC_UNIT_MS, &sip->t1_ms, err);
    if (rc == 0)
        rc = opt_duration(&n, "t2", YDOC_UNIT_MS, &sip->t2_ms, err);
    if (rc == 0)
        rc = opt_duration(&n, "keepalive", YDOC_UNIT_MS, &sip->keepalive_ms, err);
    if (rc == 0 && ydoc_get(&n, "max_redirects", &v))
        rc = ydoc_u32(&v, 0, 10, &sip->max_redirects, err);
    if (rc == 0 && (sip->t1_ms == 0 || sip->t2_ms < sip->t1_ms)) {
        ydoc_get(&n, sip->t1_ms == 0 ? "t1" : "t2", &v);
        rc = ydoc_error(&v, err, "T1 must be above 0 and T2 at least T1 (RFC 3261 17.1.2.2)");
    }
    return rc;
}

static int load_audio(struct scenario *s, const struct ynode *root, struct synth_error *err)
{
    static const char *const keys[] = {"record", "max", NULL};
    static const char *const record_names[] = {"none", "failed", "all"};
    struct ynode n, v;
    s->audio.record = RECORD_FAILED;
    s->audio.max_ms = DEFAULT_RECORD_MAX_MS;
    if (!ydoc_get(root, "audio", &n))
        return 0;
    int rc = ydoc_map_check(&n, keys, err);
    if (rc == 0 && ydoc_get(&n, "record", &v)) {
        int r;
        rc = ydoc_enum(&v, record_names, RECORD_ALL + 1, &r, err);
        if (rc == 0)
            s->audio.record = (enum scenario_record)r;
    }
    if (rc == 0)
        rc = opt_duration(&n, "max", YDOC_UNIT_MS, &s->audio.max_ms, err);
    if (rc == 0 && s->audio.max_ms > 10 * 60 * 1000) {
        ydoc_get(&n, "max", &v);
        rc = ydoc_error(&v, err, "at most 10m (a minute of audio is 960 KB)");
    }
    return rc;
}

/* A keep-alive probe needs keep-alives: sip.keepalive is read after the steps. */
static int check_sip_survival(const struct scenario *s, struct synth_error *err)
{
    for (size_t i = 0; i < s->step_count; i++) {
        const struct scenario_step *st = &s->steps[i];
        if (st->kind == STEP_SIP_SURVIVAL && (st->probes & SCENARIO_PROBE_SIP_KEEPALIVE) &&
            s->sip.keepalive_ms == 0)
            return synth_error_set(err, SYNTH_ECONFIG,
                                   "%s:%u: steps[%zu]: sip.survival probe keepalive needs "
                                   "sip.keepalive above 0 (it is off)",
                                   s->path, st->line, i);
    }
    return 0;
}

static int scenario_from_doc(struct scenario *s, struct ydoc *d, struct synth_error *err)
{
    static const char *const keys[] = {"name", "description", "steps", "load", "thresholds",
                                       "sip", "audio", NULL};
    struct ynode root, n;
    int rc = ydoc_root(d, &root, err);
    if (rc == 0)
        rc = ydoc_map_check(&root, keys, err);
    if (rc == 0)
        rc = ydoc_require(&root, "name", &n, err);
    if (rc == 0)
        rc = ydoc_str(&n, s->name, sizeof(s->name), err);
    if (rc == 0 && ydoc_get(&root, "description", &n) && !ydoc_is_scalar(&n))
        rc = ydoc_error(&n, err, "expected text");
    if (rc == 0)
        rc = load_steps(s, &root, err);
    if (rc == 0)
        rc = load_load(s, &root, err);
    if (rc == 0)
        rc = load_thresholds(s, &root, err);
    if (rc == 0 && s->load.profile == PROFILE_STEP_UNTIL && s->threshold_count == 0) {
        struct ynode load, p;
        ydoc_get(&root, "load", &load);
        ydoc_get(&load, "profile", &p);
        rc = ydoc_error(&p, err, "step-until needs thresholds: a step breaks when one does");
    }
    if (rc == 0)
        rc = load_sip(s, &root, err);
    if (rc == 0)
        rc = load_audio(s, &root, err);
    if (rc == 0)
        rc = check_sip_survival(s, err);
    return rc;
}

int scenario_load_buffer(struct scenario *s, const char *name, const char *buf, size_t len,
                         struct synth_error *err)
{
    struct ydoc d;
    memset(s, 0, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "%s", name);
    int rc = ydoc_load_buffer(&d, name, buf, len, err);
    if (rc == 0)
        rc = scenario_from_doc(s, &d, err);
    ydoc_free(&d);
    return rc;
}

int scenario_load(struct scenario *s, const char *path, struct synth_error *err)
{
    struct ydoc d;
    memset(s, 0, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "%s", path);
    int rc = ydoc_load_file(&d, path, err);
    if (rc == 0)
        rc = scenario_from_doc(s, &d, err);
    ydoc_free(&d);
    return rc;
}

bool scenario_has_media(const struct scenario *s)
{
    for (size_t i = 0; i < s->step_count; i++)
        if (s->steps[i].kind == STEP_CALL && s->steps[i].media)
            return true;
    return false;
}
