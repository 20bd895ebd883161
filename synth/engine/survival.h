/* Session survival across idle intervals (issue #5): the outcome of each
 * probe (a P-GET held N seconds; a keep-alive connection left silent N
 * seconds), the search that picks the next intervals (a fixed ladder, or
 * bisection between the longest interval that survived and the shortest
 * that died), and the estimated idle timeout with its uncertainty. Pure
 * logic: the ucwa.survival step runs the probes. */
#ifndef SYNTH_ENGINE_SURVIVAL_H
#define SYNTH_ENGINE_SURVIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Probes one run keeps; a 30-minute ladder has a handful per user. */
#define SURVIVAL_OUTCOMES_MAX 4096
/* Intervals probed at once in one round of the search (k-section): each
 * round cuts the open range into SURVIVAL_ROUND_PROBES + 1 parts. */
#define SURVIVAL_ROUND_PROBES 3
#define SURVIVAL_DIED_HOW_MAX 24
/* "edge " + a host name and port. */
#define SURVIVAL_HOP_MAX 96

enum survival_probe {
    SURVIVAL_PGET, /* one P-GET with timeout=N on a connection of its own: the proxy's read timeout */
    SURVIVAL_IDLE, /* a kept connection silent for N, then a request: its idle timeout */
    /* The SIP TLS connection (sip.survival): registered, held N, then an
     * OPTIONS on it. With double-CRLF keep-alives (RFC 5626 4.4.1) it
     * shows whether the client's keep-alive holds the path open; silent,
     * it finds a middlebox's idle timeout. */
    SURVIVAL_SIP_KEEPALIVE,
    SURVIVAL_SIP_SILENT,
    SURVIVAL_PROBE_COUNT,
};

/* "pget", "idle", "keepalive", "silent" */
const char *survival_probe_name(enum survival_probe p);
/* The session a probe holds, summary.json's "session": "ucwa" or "sip-tls". */
const char *survival_probe_session(enum survival_probe p);

/* How a SIP TLS probe died, from the transport's error (err != 0: the
 * connection failed or the proof request got no answer) or the proof
 * request's final status (err == 0): "closed" (FIN), "reset" (RST),
 * "tls-alert", "no-answer", "sip-3xx", "sip-4xx", "sip-5xx", "sip-6xx",
 * "transport-error"; "" when it survived (err 0, a 2xx). */
const char *survival_sip_died_how(int err, uint16_t status);

struct survival_outcome {
    enum survival_probe probe;
    uint32_t idle_s;
    bool survived;
    /* How it died: "proxy-504", "closed", "reset", "no-answer", "pget-error",
     * "application-gone", "token-expired"; SIP: survival_sip_died_how;
     * "" when it survived. */
    char died_how[SURVIVAL_DIED_HOW_MAX];
    double held_s; /* how long it actually lasted */
    /* The hop the session was held to ("registrar fe.example.com:5061");
     * "" for UCWA. Reported per probe kind and hop. */
    char hop[SURVIVAL_HOP_MAX];
    /* SIP keep-alive probes: the server's CRLF pongs to our pings. */
    uint32_t pongs;
};

struct survival_log {
    struct survival_outcome *o;
    size_t n, cap;
    size_t dropped; /* beyond SURVIVAL_OUTCOMES_MAX */
};

void survival_log_init(struct survival_log *l);
void survival_log_free(struct survival_log *l);
/* Appends (copied); 0 or SYNTH_ENOMEM; past the bound it counts a drop. */
int survival_log_add(struct survival_log *l, const struct survival_outcome *o);
int survival_log_merge(struct survival_log *dst, const struct survival_log *src);

/* The search for one probe kind: between lo (survived) and hi (died). */
struct survival_search {
    uint32_t lo_s;         /* longest interval known to survive; 0 = none yet */
    uint32_t hi_s;         /* shortest known to die; 0 = none yet */
    uint32_t max_s;        /* the longest interval the search may probe */
    uint32_t resolution_s; /* stop when hi - lo <= this */
};

void survival_search_init(struct survival_search *s, uint32_t min_s, uint32_t max_s,
                          uint32_t resolution_s);
void survival_search_update(struct survival_search *s, uint32_t idle_s, bool survived);
/* The next round's intervals (ascending, distinct, strictly between what is
 * known) into out; 0 when the search is done. */
size_t survival_search_next(const struct survival_search *s, uint32_t *out, size_t max);

struct survival_estimate {
    bool have;             /* both a survivor and a death: a bounded estimate */
    double timeout_s;      /* midway between them */
    double uncertainty_s;  /* half the gap */
    uint32_t survived_max_s; /* 0 = none survived */
    uint32_t died_min_s;     /* 0 = none died */
    size_t probes;
};

/* The estimate for one probe kind from outcomes of any kinds. A death below
 * a survivor (a flaky path) widens nothing: the shortest death and the
 * longest survivor below it bound the timeout. */
void survival_estimate(const struct survival_outcome *o, size_t n, enum survival_probe probe,
                       struct survival_estimate *out);

#endif
