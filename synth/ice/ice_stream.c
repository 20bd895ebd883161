/* ICE for one audio stream (ice_stream.h): candidates from the stream's
 * sockets and a TURN allocation, SDP in and out (RFC 8839 5.1, 5.4), the
 * agent's choice turned into the stream's path. */
#include "synth/ice/ice_stream.h"

#include "synth/base/net_addr.h"
#include "synth/ice/ice_msice2.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One interface: the highest local preference (RFC 8445 5.1.2.1). */
#define LOCAL_PREF 65535

struct host_ctx {
    struct ice_stream *s;
    enum media_component c;
};

struct ice_stream {
    struct ice_stream_opts o;
    struct turn_client_opts turn;
    bool have_turn;
    struct ice_agent *a;
    struct host_ctx host[2];
    int host_local[2];      /* agent indices, -1 none */
    int relay_local;
    struct turn_client *tc;
    bool gathering;
    bool used;              /* the peer does ICE */
    bool started;
    struct ice_stream_report rep;
    /* text of our candidates for the SDP */
    char addr_text[ICE_LOCAL_MAX][INET6_ADDRSTRLEN];
    char raddr_text[INET6_ADDRSTRLEN];
    struct sdp_candidate cands[ICE_LOCAL_MAX];
    size_t cand_count;
    char rufrag[ICE_CRED_MAX + 1], rpwd[ICE_CRED_MAX + 1];
};

/* ---- send functions ---- */

static int host_send(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                     size_t len)
{
    struct host_ctx *h = arg;
    return media_stream_send_raw(h->s->o.ms, h->c, to, to_len, buf, len);
}

static int relay_send(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                      size_t len)
{
    struct ice_stream *s = arg;
    return s->tc ? turn_client_send(s->tc, to, buf, len) : SYNTH_EIO;
}

/* The stream's clock reads the relay (media_transport.h). */
static void relay_poll(void *arg, enum media_poll what)
{
    struct ice_stream *s = arg;
    if (!s->tc)
        return;
    if (what == MEDIA_POLL_END)
        turn_client_poll_end(s->tc);
    else
        turn_client_poll(s->tc); /* may free s: nothing after */
}

static void relay_permit(void *arg, const struct sockaddr *peer, socklen_t peer_len)
{
    struct ice_stream *s = arg;
    if (s->tc)
        turn_client_permit(s->tc, peer, NULL, NULL);
}

/* ---- what arrives ---- */

static void on_stun(struct media_stream *ms, enum media_component c,
                    const struct sockaddr_storage *from, const uint8_t *buf, size_t len,
                    void *arg)
{
    struct ice_stream *s = arg;
    int l = s->host_local[c == MEDIA_COMP_RTCP ? 1 : 0];
    if (l >= 0)
        ice_agent_receive(s->a, l, from, buf, len); /* may free s: nothing after */
}

static void on_relay_data(const struct sockaddr_storage *peer, const uint8_t *data, size_t len,
                          int64_t rx_us, void *arg)
{
    struct ice_stream *s = arg;
    if (stun_demux(data, len) == STUN_DEMUX_STUN) {
        if (s->relay_local >= 0)
            ice_agent_receive(s->a, s->relay_local, peer, data, len);
        return;
    }
    media_stream_input(s->o.ms, MEDIA_COMP_RTP, peer, data, len, rx_us);
}

/* ---- the relay ---- */

static void sockaddr_ip_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
    const void *a = ss->ss_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
    if (!inet_ntop(ss->ss_family, a, out, (socklen_t)size))
        snprintf(out, size, "?");
}

static void on_allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                         void *arg)
{
    struct ice_stream *s = arg;
    s->gathering = false;
    int rc = err ? err : res->code ? SYNTH_EAUTH : 0;
    if (rc == 0) {
        int l = ice_agent_add_local(s->a, ICE_CAND_RELAY, 1, (const struct sockaddr *)&info->relayed,
                                    info->relayed_len, LOCAL_PREF, relay_send, relay_permit, s);
        if (l < 0)
            rc = l;
        else
            s->relay_local = l;
        ice_addr_text(&info->relayed, s->rep.relay_addr, sizeof(s->rep.relay_addr));
        ice_addr_text(turn_client_server(s->tc), s->rep.relay_server, sizeof(s->rep.relay_server));
        s->rep.relay_allocate_us = info->allocate_us;
    }
    if (rc != 0) {
        snprintf(s->rep.relay_error, sizeof(s->rep.relay_error), "%s",
                 turn_result_class(err, res));
        turn_client_free(s->tc);
        s->tc = NULL;
    }
    if (s->o.gathered)
        s->o.gathered(s, rc, s->o.arg);
}

static void on_relay_failed(int err, const struct turn_result *res, void *arg)
{
    struct ice_stream *s = arg;
    snprintf(s->rep.relay_error, sizeof(s->rep.relay_error), "lost-%s",
             turn_result_class(err, res));
}

/* ---- life cycle ---- */

static void on_done(struct ice_agent *a, enum ice_state st, void *arg);

static int add_host(struct ice_stream *s, enum media_component c, struct synth_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (media_stream_local(s->o.ms, c, &ss, &len) != 0)
        return synth_error_set(err, SYNTH_EIO, "ice: media socket has no address");
    s->host[c] = (struct host_ctx){s, c};
    int l = ice_agent_add_local(s->a, ICE_CAND_HOST, c == MEDIA_COMP_RTCP ? 2 : 1,
                                (struct sockaddr *)&ss, len, LOCAL_PREF, host_send, NULL,
                                &s->host[c]);
    if (l < 0)
        return synth_error_set(err, l, "ice: cannot add a host candidate");
    s->host_local[c] = l;
    return 0;
}

int ice_stream_new(struct ice_stream **out, const struct ice_stream_opts *o,
                   struct synth_error *err)
{
    struct ice_stream *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return synth_error_set(err, SYNTH_ENOMEM, "ice: out of memory");
    s->o = *o;
    s->host_local[0] = s->host_local[1] = -1;
    s->relay_local = -1;
    if (o->turn) {
        s->turn = *o->turn;
        s->have_turn = true;
    }
    s->o.turn = NULL;
    s->rep.ice_us = -1;
    struct ice_agent_opts ao = {
        .base = o->base,
        .role = o->role,
        .components = o->host && o->rtcp_component ? 2 : 1,
        .deadline_ms = o->deadline_ms,
        .dialect = o->dialect,
        .done = on_done,
        .arg = s,
    };
    int rc = ice_agent_new(&s->a, &ao, err);
    if (rc == 0 && o->host)
        rc = add_host(s, MEDIA_COMP_RTP, err);
    if (rc == 0 && o->host && o->rtcp_component)
        rc = add_host(s, MEDIA_COMP_RTCP, err);
    if (rc != 0) {
        ice_stream_free(s);
        return rc;
    }
    /* Checks can come before our answer is even read: take them now. */
    media_stream_set_stun_handler(o->ms, on_stun, s);
    *out = s;
    return 0;
}

void ice_stream_free(struct ice_stream *s)
{
    if (!s)
        return;
    media_stream_set_stun_handler(s->o.ms, NULL, NULL);
    turn_client_close(s->tc);
    ice_agent_free(s->a);
    memset(s->rpwd, 0, sizeof(s->rpwd));
    free(s);
}

int ice_stream_gather(struct ice_stream *s)
{
    if (!s->have_turn)
        return 0;
    struct turn_client_handlers h = {.allocated = on_allocated, .data = on_relay_data,
                                     .failed = on_relay_failed};
    struct synth_error e;
    int rc = turn_client_new(&s->tc, s->o.base, &s->turn, &h, s, &e);
    if (rc == 0)
        rc = turn_client_allocate(s->tc);
    if (rc != 0) {
        snprintf(s->rep.relay_error, sizeof(s->rep.relay_error), "transport");
        turn_client_free(s->tc);
        s->tc = NULL;
        return rc;
    }
    s->gathering = true;
    return SYNTH_EINCOMPLETE;
}

bool ice_stream_has_relay(const struct ice_stream *s)
{
    return s->relay_local >= 0;
}

/* ---- SDP ---- */

static void build_cands(struct ice_stream *s)
{
    s->cand_count = 0;
    int order[3] = {s->host_local[0], s->host_local[1], s->relay_local};
    for (size_t k = 0; k < 3; k++) {
        if (order[k] < 0)
            continue;
        struct ice_cand_info ci;
        ice_agent_local(s->a, order[k], &ci);
        size_t i = s->cand_count++;
        sockaddr_ip_text(&ci.addr, s->addr_text[i], sizeof(s->addr_text[i]));
        struct sdp_candidate *c = &s->cands[i];
        memset(c, 0, sizeof(*c));
        c->foundation = strv_from_cstr(ice_cand_foundation(ci.type));
        c->component = (uint16_t)ci.component;
        c->transport = SDP_LIT("UDP");
        c->priority = ci.priority;
        c->addr = strv_from_cstr(s->addr_text[i]);
        c->port = net_addr_port(&ci.addr);
        c->type = ci.type == ICE_CAND_RELAY ? SDP_CAND_RELAY : SDP_CAND_HOST;
        if (ci.type == ICE_CAND_RELAY && s->tc) {
            /* RFC 8839 5.1: a relay names its mapped address as raddr/rport. */
            const struct turn_alloc_info *info = turn_client_info(s->tc);
            sockaddr_ip_text(&info->mapped, s->raddr_text, sizeof(s->raddr_text));
            c->raddr = strv_from_cstr(s->raddr_text);
            c->rport = net_addr_port(&info->mapped);
            c->has_rport = true;
        }
    }
}

/* The lines both an offer (sdp_desc) and an answer (sdp_local) carry. */
static void describe(struct ice_stream *s, struct strv *ufrag, struct strv *pwd,
                     bool *ice2, struct sdp_candidate *cands, size_t *count)
{
    build_cands(s);
    /* An RFC 8445 agent says so (RFC 8445 10); [MS-ICE2]'s never writes
     * ice-options ([MS-SDPEXT] 3.1.5.21.3). Following the peer: we speak
     * RFC 8445 until its answer says otherwise. */
    *ice2 = ice_agent_dialect(s->a) == &ice_dialect_rfc8445;
    *ufrag = strv_from_cstr(ice_agent_ufrag(s->a));
    *pwd = strv_from_cstr(ice_agent_pwd(s->a));
    *count = 0;
    for (size_t i = 0; i < s->cand_count && i < SDP_DESC_CANDIDATES_MAX; i++)
        cands[(*count)++] = s->cands[i];
}

void ice_stream_describe(struct ice_stream *s, struct sdp_desc *d)
{
    describe(s, &d->ice_ufrag, &d->ice_pwd, &d->ice2, d->cands, &d->cand_count);
    if (!s->o.host && s->relay_local >= 0) {
        /* RFC 8445 5.1.4 / RFC 8839 4.2.1.2: c= and m= carry the default
         * candidate, here the only one: a peer without ICE sends there too. */
        d->addr = s->cands[0].addr;
        d->port = s->cands[0].port;
    }
}

void ice_stream_describe_local(struct ice_stream *s, struct sdp_local *l)
{
    describe(s, &l->ice_ufrag, &l->ice_pwd, &l->ice2, l->cands, &l->cand_count);
}

static enum ice_cand_type type_of(enum sdp_cand_type t)
{
    switch (t) {
    case SDP_CAND_SRFLX: return ICE_CAND_SRFLX;
    case SDP_CAND_PRFLX: return ICE_CAND_PRFLX;
    case SDP_CAND_RELAY: return ICE_CAND_RELAY;
    default: return ICE_CAND_HOST;
    }
}

int ice_stream_set_remote(struct ice_stream *s, const struct sdp_session *sdp,
                          const struct sdp_media *m, unsigned components)
{
    struct strv uf = sdp_media_ice_ufrag(sdp, m), pw = sdp_media_ice_pwd(sdp, m);
    if (!uf.p || !pw.p)
        return SYNTH_ENOTFOUND;
    if (strv_copy(uf, s->rufrag, sizeof(s->rufrag)) != 0 ||
        strv_copy(pw, s->rpwd, sizeof(s->rpwd)) != 0 ||
        ice_agent_set_remote_credentials(s->a, s->rufrag, s->rpwd) != 0)
        return SYNTH_EPARSE;
    s->used = true;
    if (!s->o.dialect)
        ice_agent_set_dialect(s->a, ice_dialect_of_sdp(sdp, m));
    /* Our agent may have fewer components (relay only): never more. */
    unsigned have = s->o.host && s->o.rtcp_component ? 2 : 1;
    unsigned n = components < have ? components : have;
    ice_agent_set_components(s->a, n);
    for (size_t i = 0; i < m->cand_count; i++) {
        const struct sdp_candidate *c = &m->cands[i];
        struct sockaddr_storage ss;
        socklen_t len;
        /* UDP only: [MS-ICE2]'s TCP-PASS/TCP-ACT and RFC 6544 are not ours. */
        if (c->legacy || !strv_caseeq(c->transport, "UDP") || c->component > n ||
            c->type == SDP_CAND_OTHER || net_addr_from_ip(c->addr, c->port, &ss, &len) != 0)
            continue;
        if (ice_agent_add_remote(s->a, type_of(c->type), c->component, (struct sockaddr *)&ss,
                                 len, c->priority) != 0)
            break;
    }
    return 0;
}

/* ---- running ---- */

static void on_done(struct ice_agent *a, enum ice_state st, void *arg)
{
    struct ice_stream *s = arg;
    struct ice_pair_info p;
    if (st == ICE_STATE_COMPLETED && ice_agent_selected(a, 1, &p) == 0 &&
        p.lc.type == ICE_CAND_RELAY && s->tc) {
        /* Media through the relay by ChannelData once bound (RFC 8656 12). */
        uint16_t ch;
        turn_client_bind_channel(s->tc, (const struct sockaddr *)&p.rc.addr, &ch, NULL, NULL);
    }
    if (s->o.done)
        s->o.done(s, st, s->o.arg);
}

int ice_stream_start(struct ice_stream *s)
{
    if (!s->used)
        return SYNTH_EINVAL;
    s->started = true;
    return ice_agent_start(s->a);
}

/* Media through the relay, read on the stream's clock when the TURN
 * client knows arrival times (turn_client_pollable). */
static void use_relay(struct ice_stream *s, struct media_stream_params *p)
{
    p->relay = relay_send;
    p->relay_poll = s->tc && turn_client_pollable(s->tc) ? relay_poll : NULL;
    p->relay_arg = s;
}

void ice_stream_apply_path(struct ice_stream *s, struct media_stream_params *p)
{
    struct ice_pair_info pi;
    if (s->used && ice_agent_selected(s->a, 1, &pi) == 0) {
        p->peer_rtp = pi.rc.addr;
        p->peer_rtp_len = pi.rc.addr_len;
        if (ice_agent_selected(s->a, 2, &pi) == 0) {
            p->peer_rtcp = pi.rc.addr;
            p->peer_rtcp_len = pi.rc.addr_len;
        }
        ice_agent_selected(s->a, 1, &pi);
        if (pi.lc.type == ICE_CAND_RELAY)
            use_relay(s, p);
        return;
    }
    if (!s->used && !s->o.host && s->tc) {
        /* A peer without ICE, and we offered only the relay: it sends to
         * the relay, and we send through it (permissions for its IPs). */
        uint16_t ch;
        turn_client_permit(s->tc, (const struct sockaddr *)&p->peer_rtp, NULL, NULL);
        turn_client_bind_channel(s->tc, (const struct sockaddr *)&p->peer_rtp, &ch, NULL, NULL);
        use_relay(s, p);
    }
}

void ice_stream_report(const struct ice_stream *s, struct ice_stream_report *out)
{
    *out = s->rep;
    out->used = s->used;
    out->state = ice_agent_state(s->a);
    const struct ice_stats *st = ice_agent_stats(s->a);
    out->checks_sent = st->checks_sent;
    out->checks_received = st->checks_received;
    snprintf(out->dialect, sizeof(out->dialect), "%s", ice_agent_dialect(s->a)->name);
    if (out->state == ICE_STATE_FAILED)
        snprintf(out->failure, sizeof(out->failure), "%s", ice_failure_name(ice_agent_failure(s->a)));
    struct ice_pair_info pi;
    if (s->used && ice_agent_selected(s->a, 1, &pi) == 0) {
        out->relayed = pi.lc.type == ICE_CAND_RELAY;
        snprintf(out->local_type, sizeof(out->local_type), "%s", ice_cand_type_name(pi.lc.type));
        snprintf(out->remote_type, sizeof(out->remote_type), "%s", ice_cand_type_name(pi.rc.type));
        ice_addr_text(&pi.lc.addr, out->local_addr, sizeof(out->local_addr));
        ice_addr_text(&pi.rc.addr, out->remote_addr, sizeof(out->remote_addr));
        out->ice_us = st->done_us - st->start_us;
    } else if (!s->used && !s->o.host && s->tc) {
        out->relayed = true;
    }
}
