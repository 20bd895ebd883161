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
    FAIL_NO_MEDIA,       /* call: answered, but no authenticated media arrived ("connected-no-media") */
    FAIL_NO_GREETING,    /* call: media flowed, but no greeting (speech) was heard */
    FAIL_SDP,            /* call: the answer's SDP cannot be used (no codec, no SRTP, bad key) */
    FAIL_LOCAL,          /* synth's own resources ran out (media ports) */
    /* UCWA (issue #5): */
    FAIL_DNS,            /* the web service's name did not resolve */
    FAIL_HTTP_STATUS,    /* an unexpected HTTP status (a proxy's 504, a 500) */
    FAIL_APP_GONE,       /* the server expired the UCWA application (404/410) */
    /* ICE (issue #4): */
    FAIL_ICE,            /* call: answered, but ICE found no working candidate pair ("ice-failed") */
    FAIL_RELAY,          /* call: media_path relay, but no relay candidate (TURN allocation failed) */
    FAIL_CERT,           /* check: a certificate rule failed ("certificate") */
    /* Skype for Business authentication (issue #7): */
    FAIL_AUTH_NTLM,      /* NTLM credentials refused, or the server's signature failed */
    FAIL_AUTH_SCHEME,    /* no challenge in a scheme synth speaks (Kerberos, TLS-DSK only) */
    FAIL_MSTURN_ALLOC,   /* call: edge.turn ms-turn, but the MS-TURN Allocate failed */
    FAIL_MRAS_REFUSED,   /* call: no relay credentials from the Front End's MRAS (refused, no answer) */
    FAIL_CLASS_COUNT,
};

const char *failure_class_name(enum failure_class c); /* "timeout", "transport", ... */

#define RESULT_TEXT_MAX 256
#define RESULT_CALL_ID_MAX 128

/* What a call's audio did (the media issue); the call step fills it. */
struct media_result {
    bool enabled;               /* the call offered media */
    bool negotiated;            /* the answer was usable and the stream started */
    char sdp_problem[48];       /* why it was not ("no-common-codec", ...) */
    bool srtp;
    char codec[8];              /* "PCMU", "PCMA", "G722"; "" before negotiation */
    bool flowed;                /* authenticated RTP arrived */
    bool greeting_heard;
    int64_t first_media_us;     /* 200 OK → first authenticated packet, -1 none */
    int64_t greeting_onset_us;  /* 200 OK → start of the greeting, -1 none */
    uint64_t sent, received, unauthenticated, replayed;
    double loss_pct, jitter_ms, mos;
    uint16_t peer_port;         /* the port the peer's SDP answered with */
    bool peer_port_in_range;    /* within the target's server range for the modality */
    uint16_t range_first, range_last; /* that range, for the evidence */
    uint16_t peer_src_port;     /* the source port of its packets, 0 none */
    int dscp_seen;              /* -1 none */
    int dscp_expected;
    uint64_t dscp_mismatches;
    bool peer_rtcp;             /* the peer sent a report (SR/RR) after our media began */
    bool peer_report;           /* the peer's RTCP said what it received from us */
    double peer_loss_pct, peer_jitter_ms;
    bool has_rtt;
    double rtt_ms;
    char audio_file[128];       /* received audio kept, relative to the results dir */
    /* The path (issue #4): ICE's nominated pair, or the SDP's address for
     * a peer without ICE. "direct" or "relay"; "none" when ICE failed. */
    char media_path[8];
    bool ice;                   /* the peer answered with ICE: checks ran */
    bool ice_ok;                /* a pair was nominated */
    char ice_failure[24];       /* "timeout", "all-pairs-failed", "no-pairs" */
    char ice_local_type[8], ice_remote_type[8];  /* "host", "relay", ... */
    char ice_local_addr[56], ice_remote_addr[56];
    char ice_dialect[12];       /* the ICE the checks spoke: "rfc8445", "ms-ice2" */
    int64_t ice_us;             /* answer → nominated pair, -1 none */
    uint64_t ice_checks_sent, ice_checks_received;
    char relay_error[32];       /* why no relay candidate was offered ("auth-refused") */
    char relay_server[56];      /* the TURN server that allocated (after redirects), "" none */
    /* The relay allocation: first Allocate sent → its success, the 401
     * round and any redirect included (RFC 8656 7), -1 none. */
    int64_t relay_allocate_us;
    /* Why a connected call had no media: "ice-failed" (no candidate pair:
     * nothing was sent), "srtp-auth" (packets came, none authenticated),
     * "none-received"; "" when media flowed. */
    char no_media_cause[16];
};

struct step_result {
    enum step_kind kind;
    uint32_t step_index;
    uint32_t user_index;
    enum access_path via;      /* how the user reached the deployment */
    uint64_t journey;          /* journey number within the run */
    int64_t intended_us;       /* monotonic µs since run start when the step should start */
    int64_t start_us;          /* when it actually started */
    int64_t end_us;
    int64_t wall_start_ms;     /* wall clock (ms since epoch) at start, for reports */
    bool ok;
    enum failure_class cls;
    uint16_t sip_status;       /* final status that decided the step, 0 if none */
    uint16_t http_status;      /* UCWA steps: the last HTTP status, 0 if none */
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
    /* NTLM ([MS-SIPAE]): SAs renewed before expiry, and lapses (a request
     * the server challenged afresh, answered with a new SA) during the step. */
    uint16_t ntlm_renewals, ntlm_lapses;
    struct media_result media;
};

/* Latency as users see it: from the intended start (no coordinated omission). */
static inline int64_t step_result_latency_us(const struct step_result *r)
{
    return r->end_us - r->intended_us;
}

void step_result_init(struct step_result *r, enum step_kind kind, uint32_t step_index,
                      uint32_t user_index);

#endif
