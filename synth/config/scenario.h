/* The scenario: what each synthetic user does (steps), how much load, and the
 * thresholds that decide the verdict. Loaded from YAML; see docs/configuration.md. */
#ifndef SYNTH_CONFIG_SCENARIO_H
#define SYNTH_CONFIG_SCENARIO_H

#include "synth/base/err.h"
#include "synth/config/access_path.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCENARIO_STEPS_MAX 64
#define SCENARIO_THRESHOLDS_MAX 32
#define SCENARIO_NAME_MAX 128
/* Intervals of a survival ladder (300, 600, 900, 1200, 1800 s and a few more). */
#define SCENARIO_INTERVALS_MAX 16
/* Probe kinds as a bit mask: 1u << enum survival_probe (survival.h). */
#define SCENARIO_PROBE_PGET 1u
#define SCENARIO_PROBE_IDLE 2u
#define SCENARIO_PROBE_SIP_KEEPALIVE 4u
#define SCENARIO_PROBE_SIP_SILENT 8u

enum step_kind {
    STEP_OPTIONS,    /* SIP OPTIONS ping to the registrar */
    STEP_REGISTER,   /* REGISTER with Digest; keeps re-registering until unregister */
    STEP_CALL,       /* INVITE the voicemail URI, wait for 200, ACK, hold */
    STEP_HANGUP,     /* BYE the active call */
    STEP_UNREGISTER, /* REGISTER Expires: 0 */
    STEP_WAIT,       /* idle for a duration */
    STEP_DTMF,       /* send keys (RFC 4733) in the active call: a PIN, menu choices */
    /* UCWA (issue #5), over HTTPS to the target's ucwa.discover_url: */
    STEP_UCWA_DISCOVER,    /* autodiscover: the user resource's link */
    STEP_UCWA_TOKEN,       /* sign in: 401 challenge, OAuth password grant, home pool */
    STEP_UCWA_APPLICATION, /* create the application */
    STEP_UCWA_AVAILABLE,   /* makeMeAvailable */
    STEP_UCWA_EVENTS,      /* one P-GET on the event channel, until a batch or its timeout */
    STEP_UCWA_SIGNOUT,     /* DELETE the application */
    STEP_UCWA_SURVIVAL,    /* sessions held idle for growing intervals: the idle timeout */
    STEP_SIP_SURVIVAL,     /* SIP TLS connections held idle, with and without keep-alives */
    STEP_CHECK,            /* the certificates of the target's TLS endpoints (synth check) */
    STEP_KIND_COUNT,
};

const char *step_kind_name(enum step_kind k); /* "options", "register", ... */

/* What a call expects of the answering side's audio. */
enum scenario_greeting {
    GREETING_REQUIRED, /* no greeting heard is a failure (no-greeting) */
    GREETING_OPTIONAL, /* listened for and reported, not judged */
    GREETING_OFF,      /* not listened for */
};

const char *scenario_greeting_name(enum scenario_greeting g);

/* Which ICE candidates a call offers (issue #4): the path media may take. */
enum scenario_media_path {
    MEDIA_PATH_AUTO,   /* host and, with a TURN server, relay: ICE picks */
    MEDIA_PATH_DIRECT, /* host candidates only */
    MEDIA_PATH_RELAY,  /* only the relay candidate: media must cross the TURN server */
};

const char *scenario_media_path_name(enum scenario_media_path p); /* "auto", "direct", "relay" */

struct scenario_step {
    enum step_kind kind;
    uint32_t timeout_ms;  /* deadline of the step (call: until answered) */
    uint32_t hold_ms;     /* call: time in the call after 200 OK */
    uint32_t duration_ms; /* wait; ucwa.events: the P-GET's timeout (pget_timeout) */
    uint32_t expires_s;   /* register: requested expiry */
    char uri[256];        /* call: Request-URI pattern; "" = the target's voicemail URI */
    /* call: media (issue #3). hold_ms is the longest the call stays; it
     * ends sooner once the greeting is heard when hangup_on_greeting. */
    bool media;                      /* SDP with audio, RTP/SRTP both ways (default true) */
    enum scenario_greeting greeting; /* default required */
    uint32_t first_media_ms;         /* no authenticated packet by then: connected-no-media */
    bool hangup_on_greeting;         /* default true: leave no message in a real mailbox */
    enum scenario_media_path media_path; /* default auto */
    /* dtmf */
    char keys[33];                   /* "1234#" */
    uint32_t tone_ms;                /* each key, default 100 */
    uint32_t pause_ms;               /* between keys, default 100 */
    /* ucwa.survival: a ladder of intervals, or a search between min and
     * max to within resolution; probes SURVIVAL_PGET/IDLE as a bit mask. */
    uint32_t intervals_s[SCENARIO_INTERVALS_MAX];
    uint32_t interval_count;
    uint32_t search_min_s, search_max_s, search_resolution_s; /* max 0 = no search */
    uint8_t probes;
    uint32_t answer_ms;   /* sip.survival: the proof OPTIONS must be answered within this */
    uint32_t line;        /* line in the scenario file, for messages */
};

/* How the arrival rate moves over the run (load.profile). */
enum scenario_profile {
    PROFILE_CONSTANT,   /* load.rate throughout (the default) */
    PROFILE_RAMP,       /* stages of target rate and duration, linear within each */
    PROFILE_STEP_UNTIL, /* the rate raised step by step until a threshold breaks */
};

const char *scenario_profile_name(enum scenario_profile p); /* "constant", "ramp", "step-until" */

/* Stages of a ramp, steps of step-until. */
#define SCENARIO_STAGES_MAX 64

struct scenario_stage {
    double rate;          /* target rate at the stage's end */
    uint32_t duration_ms;
    uint32_t line;
};

/* load.step_until: steps of start_rate + i * step_rate, each step_ms long,
 * until a threshold breaks, max_rate is passed or max_steps are run. */
struct scenario_step_until {
    double start_rate, step_rate, max_rate;
    uint32_t step_ms;
    uint32_t warmup_ms;  /* a step's first results are not judged (the rate settles) */
    uint32_t settle_ms;  /* after a step ends, its late results are awaited this long */
    uint32_t max_steps;
    bool break_on_warn;  /* a warn level breaks a step (default: only crit) */
};

/* load.abort_on: stop starting journeys when the target is clearly failing. */
struct scenario_abort_on {
    bool set;
    double failure_pct;    /* calls failed of calls ended; 0 = not checked */
    uint32_t min_calls;    /* judged only after this many calls ended */
    uint32_t setup_p95_ms; /* 0 = not checked */
};

/* load.generator: when the generator, not the target, is the bottleneck. */
struct scenario_generator_limits {
    double lag_p99_ms; /* journeys starting later than this (p99): default 250 ms */
    double cpu_pct;    /* CPU time used plus waited for, of the CPUs it may run on */
};

struct scenario_load {
    uint32_t users;          /* synthetic users taking part (<= target users) */
    double rate;             /* journeys started per second, open model (constant) */
    uint32_t concurrent;     /* constant, closed model: journeys always in flight, each
                              * user starting its next as its last ends; 0 = open model */
    enum scenario_profile profile;
    double start_rate;       /* ramp: rate at the start of the first stage (default 0) */
    struct scenario_stage stages[SCENARIO_STAGES_MAX];
    uint32_t stage_count;
    struct scenario_step_until until;
    struct scenario_abort_on abort_on;
    struct scenario_generator_limits generator;
    uint32_t max_concurrent; /* cap on journeys in flight; 0 = users */
    uint32_t duration_ms;    /* stop starting journeys after this; 0 = no limit
                              * (ramp, step-until: the profile's length) */
    uint32_t iterations;     /* journeys in all; 0 = no limit (duration must be set) */
    /* How users reach the deployment: user i takes via[i % via_count].
     * Default one path, internal. */
    enum access_path via[ACCESS_PATH_COUNT];
    uint32_t via_count;
};

/* A threshold on a summary metric. warn < crit means "above is bad" (latency);
 * warn > crit means "below is bad" (success percentage). */
struct scenario_threshold {
    char metric[64]; /* e.g. "setup_ms.p95", "call_success_pct", "steps.register.latency_ms.p95" */
    double warn;
    double crit;
    uint32_t line;
};

/* SIP timing; every field-scale timeout is configurable so tests run in seconds. */
struct scenario_sip {
    uint32_t t1_ms;          /* RFC 3261 T1, default 500 */
    uint32_t t2_ms;          /* default 4000 */
    uint32_t keepalive_ms;   /* double-CRLF interval on TCP/TLS, default 30000; 0 = off */
    uint32_t max_redirects;  /* 3xx followed at most this many times, default 3 */
};

/* Which calls' received audio is kept as WAV in DIR/audio/. */
enum scenario_record { RECORD_NONE, RECORD_FAILED, RECORD_ALL };

struct scenario_audio {
    enum scenario_record record; /* default failed */
    uint32_t max_ms;             /* per call, default 60 s */
};

struct scenario {
    char name[SCENARIO_NAME_MAX];
    struct scenario_step steps[SCENARIO_STEPS_MAX];
    size_t step_count;
    struct scenario_load load;
    struct scenario_threshold thresholds[SCENARIO_THRESHOLDS_MAX];
    size_t threshold_count;
    struct scenario_sip sip;
    struct scenario_audio audio;
    char path[1024];
};

/* Whether any call step carries media (the prompt, precise timers). */
bool scenario_has_media(const struct scenario *s);
/* Whether a step speaks UCWA (the target then needs ucwa:). */
bool scenario_has_ucwa(const struct scenario *s);
/* The first step that would hold a P-GET shorter than min_s (ucwa.events'
 * pget_timeout, a ucwa.survival pget probe's shortest interval), or NULL:
 * a real server holds its event channel 180-1800 s (PROTOCOLS.md, UCWA). */
const struct scenario_step *scenario_pget_below(const struct scenario *s, uint32_t min_s);
bool step_kind_is_ucwa(enum step_kind k);

/* Loads and validates; errors as "file:line: key: what is wrong". */
int scenario_load(struct scenario *s, const char *path, struct synth_error *err);

/* The same from memory (tests, fuzzing); name stands for the file in messages. */
int scenario_load_buffer(struct scenario *s, const char *name, const char *buf, size_t len,
                         struct synth_error *err);

#endif
