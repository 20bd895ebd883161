/* The result of one step of one synthetic user's journey: what the collector
 * writes to events.jsonl and what the statistics count. */
#ifndef SYNTH_ENGINE_STEP_RESULT_H
#define SYNTH_ENGINE_STEP_RESULT_H

#include "synth/config/scenario.h"

#include <stdbool.h>
#include <stdint.h>

/* Why a step failed. The names are a contract (summary.json "failures",
 * events.jsonl "class"): add, never rename. */
enum failure_class {
    FAIL_NONE = 0,
    FAIL_TIMEOUT,        /* no final answer by the step's deadline */
    FAIL_TRANSPORT,      /* connect refused, reset, closed, DNS */
    FAIL_TLS,            /* handshake or certificate verification failed */
    FAIL_AUTH,           /* credentials refused (403, or 401 after credentials) */
    FAIL_REJECTED,       /* other 4xx/6xx final response */
    FAIL_SERVER_ERROR,   /* 5xx */
    FAIL_NO_ANSWER,      /* call: not answered by the deadline, CANCEL sent */
    FAIL_DROPPED,        /* call: ended by the far end before the hold time */
    FAIL_REDIRECT_LIMIT, /* too many 3xx */
    FAIL_NOT_READY,      /* step needs state an earlier step did not make (hangup without call) */
    FAIL_PROTOCOL,       /* the peer broke the protocol (unparseable answer, missing To tag) */
    FAIL_CANCELED,       /* the run was stopped */
    FAIL_INTERNAL,
    FAIL_CLASS_COUNT,
};

const char *failure_class_name(enum failure_class c); /* "timeout", "transport", ... */

#define RESULT_TEXT_MAX 256
#define RESULT_CALL_ID_MAX 128

struct step_result {
    enum step_kind kind;
    uint32_t step_index;
    uint32_t user_index;
    uint64_t journey;          /* journey number within the run */
    int64_t intended_us;       /* monotonic µs since run start when the step should start */
    int64_t start_us;          /* when it actually started */
    int64_t end_us;
    int64_t wall_start_ms;     /* wall clock (ms since epoch) at start, for reports */
    bool ok;
    enum failure_class cls;
    uint16_t sip_status;       /* final status that decided the step, 0 if none */
    char sip_reason[RESULT_TEXT_MAX];
    char ms_diagnostics[RESULT_TEXT_MAX];
    char ms_diagnostics_public[RESULT_TEXT_MAX];
    char reason_hdr[RESULT_TEXT_MAX];  /* Reason header */
    char warning_hdr[RESULT_TEXT_MAX]; /* Warning header */
    char detail[RESULT_TEXT_MAX];      /* human explanation (TLS error, which deadline) */
    char call_id[RESULT_CALL_ID_MAX];
    /* Call steps only, -1 when not reached. */
    int64_t pdd_us;            /* INVITE sent → first 18x */
    int64_t setup_us;          /* INVITE sent → 200 */
    bool answered;
    bool bye_by_peer;          /* the far end hung up */
};

/* Latency as users see it: from the intended start (no coordinated omission). */
static inline int64_t step_result_latency_us(const struct step_result *r)
{
    return r->end_us - r->intended_us;
}

void step_result_init(struct step_result *r, enum step_kind kind, uint32_t step_index,
                      uint32_t user_index);

#endif
