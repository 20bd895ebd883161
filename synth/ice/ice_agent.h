/* A full ICE agent (RFC 8445) for one media stream of one or two
 * components, on a worker's loop: local and remote candidates, the
 * checklist paced by Ta, retransmissions, triggered checks, role conflicts
 * (487), regular nomination when controlling and USE-CANDIDATE when
 * controlled, and one deadline. It owns no socket: the caller feeds it the
 * STUN packets that arrive on a local candidate and gives each local
 * candidate a send function (a host socket's sendto, a TURN client's send).
 * Short-term credentials: our ufrag/pwd (RFC 8445 5.3) and the peer's. */
#ifndef SYNTH_ICE_ICE_AGENT_H
#define SYNTH_ICE_ICE_AGENT_H

#include "synth/base/err.h"
#include "synth/turn/stun_msg.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct ice_agent;

/* Bounds. A voicemail stream has a host and a relay candidate per
 * component; the peer's SDP holds at most SDP_CANDIDATES_MAX (32). Pairs
 * past ICE_PAIRS_MAX are pruned lowest first (RFC 8445 6.1.2.5 allows a
 * limit; 100 is its suggestion, 64 keeps the struct fixed and small). */
#define ICE_LOCAL_MAX 4
#define ICE_REMOTE_MAX 32
#define ICE_PAIRS_MAX 64
#define ICE_COMPONENTS_MAX 2
/* RFC 8445 5.3: ufrag at least 24 bits, pwd at least 128 bits of
 * randomness; 8 and 24 ice-chars (6 bits each) are 48 and 144. RFC 8839
 * 5.4 caps them at 256 characters. */
#define ICE_UFRAG_LEN 8
#define ICE_PWD_LEN 24
#define ICE_CRED_MAX 256
#define ICE_ADDR_TEXT_MAX 56 /* "[v6]:port" */

enum ice_role { ICE_CONTROLLED = 0, ICE_CONTROLLING = 1 };

enum ice_cand_type {
    ICE_CAND_HOST = 0,
    ICE_CAND_SRFLX,
    ICE_CAND_PRFLX,
    ICE_CAND_RELAY,
};
const char *ice_cand_type_name(enum ice_cand_type t); /* "host", "srflx", "prflx", "relay" */

/* Where the agent is. Completed and failed are final. */
enum ice_state {
    ICE_STATE_NEW = 0,  /* candidates being added */
    ICE_STATE_RUNNING,  /* checks going */
    ICE_STATE_COMPLETED,/* every component has a nominated pair */
    ICE_STATE_FAILED,   /* the deadline passed, or every pair failed */
};
const char *ice_state_name(enum ice_state s);

/* Why a run failed, for the report (ice_failure_name). */
enum ice_failure {
    ICE_FAIL_NONE = 0,
    ICE_FAIL_TIMEOUT,       /* the deadline passed before nomination */
    ICE_FAIL_ALL_FAILED,    /* every pair failed (no answer, errors) */
    ICE_FAIL_NO_PAIRS,      /* no local/remote candidates to pair */
};
const char *ice_failure_name(enum ice_failure f);

/* What differs between RFC 8445 and Microsoft's [MS-ICE2] in the checks:
 * the wire (a STUN dialect), the USERNAME of a check, the priority formula
 * and attributes a dialect adds to every check and response. Two tables:
 * ice_dialect_rfc8445 here, ice_dialect_msice2 (ice_msice2.h). */
struct stun_enc;
struct ice_dialect {
    const char *name;                /* "rfc8445", "ms-ice2": the report's media.ice.dialect */
    const struct stun_dialect *stun; /* NULL: RFC 5389 */
    /* A second integrity rule accepted from a peer (a Microsoft agent of
     * another implementation version, or one of them before its answer
     * told us what it speaks); a request in it is answered in it. NULL: none. */
    const struct stun_dialect *stun_alt;
    /* USERNAME of a check we send (RFC 8445 7.2.2: "their:ours"). */
    int (*username)(char *out, size_t size, const char *remote_ufrag, const char *local_ufrag);
    /* RFC 8445 5.1.2.1. */
    uint32_t (*priority)(enum ice_cand_type t, uint16_t local_pref, unsigned component);
    /* Added to a check from a local candidate of this foundation, before
     * MESSAGE-INTEGRITY (which covers them); NULL: nothing. */
    void (*request_attrs)(struct stun_enc *e, const char *foundation);
    /* Added to a success or error response, before MESSAGE-INTEGRITY. */
    void (*response_attrs)(struct stun_enc *e);
};
extern const struct ice_dialect ice_dialect_rfc8445;
/* RFC 8445's pieces, which [MS-ICE2] shares. */
int ice_username_rfc8445(char *out, size_t size, const char *remote_ufrag, const char *local_ufrag);
uint32_t ice_priority_rfc8445(enum ice_cand_type t, uint16_t local_pref, unsigned component);
/* The foundation of our candidates of a type (RFC 8445 5.1.1.3: one
 * interface, one STUN/TURN server: one foundation per type): "1" host,
 * "2" relay, "3" srflx, "4" prflx. The SDP and CANDIDATE-IDENTIFIER use it. */
const char *ice_cand_foundation(enum ice_cand_type t);

/* Sends one datagram from local candidate (its own transport) to `to`.
 * 0 or an error (a lost datagram: retransmission covers it). */
typedef int(ice_send_h)(void *arg, const struct sockaddr *to, socklen_t to_len,
                        const uint8_t *buf, size_t len);
/* A relayed candidate needs the TURN server's permission for each remote
 * address before checks through it can be answered (RFC 8656 9): asked
 * once per remote IP. */
typedef void(ice_permit_h)(void *arg, const struct sockaddr *peer, socklen_t peer_len);
/* The run ended: state is COMPLETED or FAILED. Called once; the handler may
 * free the agent. */
typedef void(ice_done_h)(struct ice_agent *a, enum ice_state state, void *arg);

struct ice_agent_opts {
    struct event_base *base;
    const struct ice_dialect *dialect; /* NULL: RFC 8445 */
    enum ice_role role;
    unsigned components;   /* 1 (rtcp-mux) or 2 */
    uint32_t ta_ms;        /* pacing (RFC 8445 14.2); default 50 */
    uint32_t rto_ms;       /* first retransmission wait, doubling; default 250 */
    uint32_t max_tx;       /* transmissions of one check (Rc); default 7 */
    uint32_t deadline_ms;  /* from ice_agent_start to failure; default 10000 */
    /* Controlling: how long after the first valid pair to wait for a
     * better one before nominating (RFC 8445 8.1.1 leaves it to us);
     * default 200 ms. */
    uint32_t nominate_wait_ms;
    ice_done_h *done;
    void *arg;
};

struct ice_cand_info {
    enum ice_cand_type type;
    unsigned component;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint32_t priority;
};

/* The nominated pair of a component. */
struct ice_pair_info {
    int local;                 /* index from ice_agent_add_local */
    struct ice_cand_info lc;
    struct ice_cand_info rc;
};

struct ice_stats {
    uint64_t checks_sent;      /* requests, retransmissions included */
    uint64_t checks_received;  /* requests that passed integrity */
    uint64_t responses_received;
    uint64_t bad_integrity;    /* requests or responses that failed MESSAGE-INTEGRITY */
    uint64_t alt_integrity;    /* requests or responses that passed in the dialect's stun_alt */
    uint64_t role_conflicts;   /* 487 sent or received, or a switch */
    uint64_t triggered;
    int64_t start_us;          /* ice_agent_start (monotonic) */
    int64_t done_us;           /* completion or failure, 0 before */
};

/* Our ufrag/pwd are drawn here. Caller frees with ice_agent_free. */
int ice_agent_new(struct ice_agent **out, const struct ice_agent_opts *o,
                  struct synth_error *err);
/* Frees the agent; safe from its own done handler and with NULL. */
void ice_agent_free(struct ice_agent *a);

const char *ice_agent_ufrag(const struct ice_agent *a);
/* For the SDP only: never log it. */
const char *ice_agent_pwd(const struct ice_agent *a);
enum ice_role ice_agent_role(const struct ice_agent *a);
enum ice_state ice_agent_state(const struct ice_agent *a);
enum ice_failure ice_agent_failure(const struct ice_agent *a);

/* A local candidate: type, component, its transport address (for a relay,
 * the relayed address), local_pref (65535 for one interface), the send
 * function and for a relay the permission function (may be NULL). Returns
 * its index (>= 0) or SYNTH_ETOOBIG / SYNTH_EINVAL. Its priority is the
 * dialect's. */
int ice_agent_add_local(struct ice_agent *a, enum ice_cand_type type, unsigned component,
                        const struct sockaddr *addr, socklen_t addr_len, uint16_t local_pref,
                        ice_send_h *send, ice_permit_h *permit, void *arg);
void ice_agent_local(const struct ice_agent *a, int local, struct ice_cand_info *out);

/* The peer's credentials (copied; the pwd is wiped on free). */
int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd);
/* The dialect the peer speaks, once its description says (before start
 * only; SYNTH_EINVAL after). Our priorities stay the ones already
 * signalled: both dialects compute them alike. */
int ice_agent_set_dialect(struct ice_agent *a, const struct ice_dialect *d);
const struct ice_dialect *ice_agent_dialect(const struct ice_agent *a);
/* A remote candidate from the SDP. SYNTH_ETOOBIG over ICE_REMOTE_MAX. */
int ice_agent_add_remote(struct ice_agent *a, enum ice_cand_type type, unsigned component,
                         const struct sockaddr *addr, socklen_t addr_len, uint32_t priority);

/* Fewer components than created with (the answer took rtcp-mux): before
 * start only; local candidates of a dropped component are ignored. */
int ice_agent_set_components(struct ice_agent *a, unsigned components);

/* Forms the pairs and starts the checks and the deadline. Requests that
 * arrived before (the peer may start first) were answered already. */
int ice_agent_start(struct ice_agent *a);

/* A datagram that arrived on local candidate `local` from `from`. 0 when
 * it was an ICE STUN message (consumed, answered or matched);
 * SYNTH_EUNSUPPORTED when it is not STUN (media: the caller's); SYNTH_EPARSE
 * for broken STUN (dropped). The done handler may run from here. */
int ice_agent_receive(struct ice_agent *a, int local, const struct sockaddr_storage *from,
                      const uint8_t *buf, size_t len);

/* The nominated pair of component (1-based); SYNTH_ENOTFOUND before. */
int ice_agent_selected(const struct ice_agent *a, unsigned component, struct ice_pair_info *out);
const struct ice_stats *ice_agent_stats(const struct ice_agent *a);

/* "127.0.0.1:5000" / "[::1]:5000" */
void ice_addr_text(const struct sockaddr_storage *ss, char *out, size_t size);

#endif
