/* ICE for one audio stream of a call (RFC 8445, RFC 8839): the candidates
 * of a media_stream's sockets (host) and of a TURN allocation (relay,
 * RFC 8656), their a=candidate/ice-ufrag/ice-pwd lines, the peer's from its
 * SDP, the agent run, and the path it chose turned into the stream's
 * parameters: direct from our socket, or through the relay. Both synth's
 * caller (controlling, host and relay) and the lab's UM (controlled, host)
 * use it. */
#ifndef SYNTH_ICE_ICE_STREAM_H
#define SYNTH_ICE_ICE_STREAM_H

#include "media/media_stream.h"
#include "synth/ice/ice_agent.h"
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_build.h"
#include "synth/sdp/sdp_negotiate.h"
#include "synth/turn/turn_client.h"

struct ice_stream;

/* Relay allocation finished (err 0: a relay candidate exists). */
typedef void(ice_stream_gathered_h)(struct ice_stream *s, int err, void *arg);
/* ICE finished: state COMPLETED or FAILED. May free the ice_stream. */
typedef void(ice_stream_done_h)(struct ice_stream *s, enum ice_state state, void *arg);

struct ice_stream_opts {
    struct event_base *base;
    struct media_stream *ms;           /* borrowed; outlives the ice_stream */
    enum ice_role role;
    bool host;                         /* offer host candidates */
    bool rtcp_component;               /* also a host candidate for RTCP (component 2) */
    const struct turn_client_opts *turn; /* relay from this server (copied); NULL: none */
    uint32_t deadline_ms;              /* ICE checks; 0: the agent's default */
    /* The ICE to speak whatever the peer says (the lab UM's ice_dialect);
     * NULL: the one the peer's description speaks (ice_dialect_of_sdp). */
    const struct ice_dialect *dialect;
    ice_stream_gathered_h *gathered;
    ice_stream_done_h *done;
    void *arg;
};

/* What ICE did, for a call's report. Secrets (pwd) never appear here. */
struct ice_stream_report {
    bool used;                    /* the peer does ICE: checks ran */
    enum ice_state state;
    char failure[24];             /* ice_failure_name, "" when none */
    bool relayed;                 /* media goes through the TURN server */
    char local_type[8], remote_type[8];
    char local_addr[ICE_ADDR_TEXT_MAX], remote_addr[ICE_ADDR_TEXT_MAX];
    int64_t ice_us;               /* ice_stream_start → nominated, -1 none */
    uint64_t checks_sent, checks_received;
    char dialect[12];             /* ice_dialect name: "rfc8445", "ms-ice2" */
    char relay_error[32];         /* why there is no relay candidate (turn_result_class) */
    char relay_addr[ICE_ADDR_TEXT_MAX]; /* our relayed address, "" none */
    /* The TURN server that allocated it: the configured one, or another
     * of the Edge pool a redirect sent us to; "" none. */
    char relay_server[ICE_ADDR_TEXT_MAX];
    int64_t relay_allocate_us; /* the allocation's time (turn_alloc_info), -1 none */
};

/* Host candidates at once; caller frees with ice_stream_free. */
int ice_stream_new(struct ice_stream **out, const struct ice_stream_opts *o,
                   struct synth_error *err);
void ice_stream_free(struct ice_stream *s);

/* Starts the TURN allocation when there is a server: SYNTH_EINCOMPLETE
 * until gathered runs; 0 when there is nothing to wait for. */
int ice_stream_gather(struct ice_stream *s);
bool ice_stream_has_relay(const struct ice_stream *s);

/* Our ICE lines for the SDP (views into s, valid while it lives): ufrag,
 * pwd and the candidates; the default candidate (c= and m=) in d->addr and
 * d->port: the relay when we offer only that one, else left alone. */
void ice_stream_describe(struct ice_stream *s, struct sdp_desc *d);
/* The same for an answerer's struct sdp_local. */
void ice_stream_describe_local(struct ice_stream *s, struct sdp_local *l);

/* The peer's ICE from its description: SYNTH_ENOTFOUND when it has no
 * ice-ufrag/pwd (a peer without ICE: RFC 8445 backwards compatibility),
 * else 0 with its usable candidates taken (UDP, numeric addresses).
 * components: 1 with rtcp-mux, else 2. */
int ice_stream_set_remote(struct ice_stream *s, const struct sdp_session *sdp,
                          const struct sdp_media *m, unsigned components);

/* Runs the checks; done reports the outcome. */
int ice_stream_start(struct ice_stream *s);

/* The chosen path into p: peer_rtp/peer_rtcp and, for a relay, the relay
 * send function. Without ICE (the peer has none) and with only a relay,
 * media goes through the relay to the addresses already in p. */
void ice_stream_apply_path(struct ice_stream *s, struct media_stream_params *p);

void ice_stream_report(const struct ice_stream *s, struct ice_stream_report *out);

#endif
