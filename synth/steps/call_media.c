/* The audio of a call (call_media.h): offer, answer, stream, verdict data. */
#include "synth/steps/call_media.h"

#include "media/media_tick.h"
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_stream.h"
#include "synth/engine/call_link.h"
#include "synth/engine/worker.h"
#include "synth/sdp/sdp_negotiate.h"
#include "synth/sip/build.h"
#include "synth/steps/mras_creds.h"
#include "synth/steps/step.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Crypto tags of our offer: the 80-bit tag first (SfB's default), then 32. */
#define TAG_SHA1_80 1
#define TAG_SHA1_32 2
/* The relay must be there before the INVITE goes: a short RTO and few
 * tries keep a dead TURN server from eating the call's deadline (4 tries
 * from 100 ms: 2.3 s; then media_path auto goes on without a relay). */
#define TURN_RTO_MS 100
#define TURN_TRIES 4
/* ICE's own deadline when the step sets no first-media timeout. */
#define ICE_DEADLINE_MS 10000

struct call_media {
    struct media_stream *stream;
    struct sdp_desc offer;      /* kept: the answer is negotiated against it */
    char addr[INET6_ADDRSTRLEN];
    struct sdes_key key;        /* ours: protects what we send */
    struct sdp_session *answer; /* ~48 KB, so on the heap */
    /* ICE (issue #4) */
    bool described;             /* offer filled (once: re-sent INVITEs reuse it) */
    struct ice_stream *ice;
    enum scenario_media_path path;
    call_media_ready_h *ready;
    void *ready_arg;
    struct media_stream_params params; /* waiting for ICE's pair */
    int64_t answer_us, media_start_us;
    /* media.turn.credentials: mras: waiting for the user's credentials;
     * failed: they could not be had (the call's class is mras-refused). */
    bool mras_waiting, mras_failed;
    char note[RESULT_TEXT_MAX]; /* for an answered call's detail; "" none */
};

static struct call_media *media_of(struct vuser *u)
{
    if (!u->media)
        u->media = calloc(1, sizeof(struct call_media));
    return u->media;
}

static void local_address(struct vuser *u, char *out, size_t size)
{
    const char *cfg = u->w->plan->target->media.local_address;
    uint16_t port;
    if (cfg[0])
        snprintf(out, size, "%s", cfg);
    else
        sip_conn_local(sip_ua_conn(call_link_ua(u)), out, size, &port);
}


static int open_stream(struct vuser *u, struct call_media *cm, struct synth_error *err)
{
    const struct target_media *tm = &u->w->plan->target->media;
    struct sockaddr_storage local;
    socklen_t len;
    local_address(u, cm->addr, sizeof(cm->addr));
    if (net_addr_from_ip(strv_from_cstr(cm->addr), 0, &local, &len) != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "media: local address %s is not an address",
                               cm->addr);
    struct media_stream_opts o = {
        .base = u->w->base,
        .tick = u->w->media_tick,
        .ports = &u->w->media_ports,
        .modality = PORT_RANGE_AUDIO,
        .local = (const struct sockaddr *)&local,
        .local_len = len,
        .dscp = tm->dscp[PORT_RANGE_AUDIO],
    };
    int rc = media_stream_open(&cm->stream, &o, err);
    if (rc == 0 && tm->srtp != TARGET_SRTP_OFF)
        rc = sdes_key_generate(&cm->key, err);
    return rc;
}

static void on_gathered(struct ice_stream *s, int err, void *arg)
{
    struct vuser *u = arg;
    struct call_media *cm = u->media;
    call_media_ready_h *ready = cm->ready;
    char detail[160];
    cm->ready = NULL;
    if (err && cm->path == MEDIA_PATH_RELAY) {
        struct ice_stream_report r;
        ice_stream_report(s, &r);
        snprintf(detail, sizeof(detail), "media_path: relay, but the TURN allocation on the "
                 "target's media.turn server failed (%s)", r.relay_error);
        ready(SYNTH_EAUTH, detail, cm->ready_arg);
        return;
    }
    ready(0, NULL, cm->ready_arg);
}

static void on_ice_done(struct ice_stream *s, enum ice_state st, void *arg);

void call_media_turn_opts(const struct target_turn *t, const struct mras_grant *g,
                          struct turn_client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->transport = t->tcp ? TURN_TRANSPORT_TCP : TURN_TRANSPORT_UDP;
    o->dialect = t->ms_turn ? TURN_DIALECT_MSTURN : TURN_DIALECT_STANDARD;
    o->pseudo_tls = t->pseudo_tls;
    const char *host = t->host[0] || !g ? t->host : g->relay_host;
    uint16_t port = t->port || !g ? t->port : g->relay_port;
    net_addr_from_ip(strv_from_cstr(host), port, &o->server, &o->server_len);
    o->username = g ? g->username : t->username;
    o->password = g ? g->password : t->password;
    o->software = "synth";
    o->rto_ms = TURN_RTO_MS;
    o->rc = TURN_TRIES;
}

/* With the target's media.turn.host and a MRAS answer naming another relay,
 * the operator's host is used; the answered call's detail says so. */
static void note_relay_disagreement(struct call_media *cm, const struct target_turn *t,
                                    const struct mras_grant *g)
{
    cm->note[0] = '\0';
    if (!g || !t->host[0] || !g->relay_host[0])
        return;
    if (strcmp(t->host, g->relay_host) == 0 && (!t->port || t->port == g->relay_port))
        return;
    snprintf(cm->note, sizeof(cm->note),
             "MRAS names the relay %s:%u; media.turn.host %s:%u was used", g->relay_host,
             g->relay_port, t->host, t->port);
}

const char *call_media_note(const struct vuser *u)
{
    const struct call_media *cm = u->media;
    return cm ? cm->note : "";
}

static bool wants_relay(const struct vuser *u, const struct call_media *cm)
{
    return target_turn_enabled(&u->w->plan->target->media.turn) &&
           cm->path != MEDIA_PATH_DIRECT && !cm->mras_failed;
}

static int open_ice(struct vuser *u, struct call_media *cm, struct synth_error *err)
{
    const struct target_turn *t = &u->w->plan->target->media.turn;
    const struct mras_grant *g = t->credentials == TARGET_TURN_CREDS_MRAS ? mras_creds_grant(u)
                                                                          : NULL;
    struct turn_client_opts to;
    bool relay = wants_relay(u, cm) && (g || t->credentials == TARGET_TURN_CREDS_STATIC);
    if (cm->path == MEDIA_PATH_RELAY && !target_turn_enabled(t))
        return synth_error_set(err, SYNTH_ECONFIG,
                               "media_path: relay, but the target has no media.turn server");
    if (relay) {
        call_media_turn_opts(t, g, &to);
        note_relay_disagreement(cm, t, g);
        const char *host = t->host[0] ? t->host : g->relay_host;
        struct sockaddr_storage probe;
        socklen_t len;
        if (net_addr_from_ip(strv_from_cstr(host), 1, &probe, &len) != 0)
            return synth_error_set(err, SYNTH_ECONFIG, "%s %s is not an address (the worker "
                                   "loop makes no DNS lookups: set media.turn.host)",
                                   t->host[0] ? "media.turn.host" : "the MRAS relay", host);
        if (!t->port && !g->relay_port)
            return synth_error_set(err, SYNTH_ECONFIG, "the MRAS relay %s has no %s port",
                                   host, t->tcp ? "TCP" : "UDP");
    }
    uint32_t first = u->run->cfg->first_media_ms;
    struct ice_stream_opts o = {
        .base = u->w->base,
        .ms = cm->stream,
        .role = ICE_CONTROLLING,
        .host = cm->path != MEDIA_PATH_RELAY,
        .rtcp_component = cm->path != MEDIA_PATH_RELAY,
        .turn = relay ? &to : NULL,
        .deadline_ms = first && first < ICE_DEADLINE_MS ? first : ICE_DEADLINE_MS,
        .gathered = on_gathered,
        .done = on_ice_done,
        .arg = u,
    };
    return ice_stream_new(&cm->ice, &o, err);
}

/* ICE with the relay (when one is wanted) from here on: 0 when the offer
 * can be written now, SYNTH_EINCOMPLETE when cm->ready runs later. */
static int gather(struct vuser *u, struct call_media *cm, struct synth_error *err)
{
    int rc = open_ice(u, cm, err);
    if (rc != 0)
        return rc;
    rc = ice_stream_gather(cm->ice);
    if (rc == SYNTH_EINCOMPLETE)
        return rc;
    if (rc != 0 && cm->path == MEDIA_PATH_RELAY)
        return synth_error_set(err, SYNTH_EAUTH, "media_path: relay, but the TURN client "
                               "cannot reach the target's media.turn server");
    return 0;
}

/* The user's MRAS credentials came, or could not be had. A call that must
 * relay fails (mras-refused, with the answer's status and ms-diagnostics
 * noted); media_path auto goes on without a relay. */
static void on_mras(int err, const struct sip_msg *msg, const char *detail, void *arg)
{
    struct vuser *u = arg;
    struct call_media *cm = u->media;
    struct synth_error e = {{0}};
    if (!cm || !cm->mras_waiting || !cm->ready)
        return; /* the call that waited is gone */
    call_media_ready_h *ready = cm->ready;
    void *ready_arg = cm->ready_arg;
    cm->mras_waiting = false;
    if (err) {
        cm->mras_failed = true;
        if (msg && u->run)
            step_note_response(u->run, msg);
        if (cm->path == MEDIA_PATH_RELAY) {
            cm->ready = NULL;
            ready(err, detail, ready_arg);
            return;
        }
    }
    int rc = gather(u, cm, &e);
    if (rc == SYNTH_EINCOMPLETE)
        return;
    cm->ready = NULL;
    ready(rc, rc ? e.msg : NULL, ready_arg);
}

int call_media_prepare(struct vuser *u, bool media, enum scenario_media_path path,
                       call_media_ready_h *ready, void *arg, struct synth_error *err)
{
    struct call_media *cm = media_of(u);
    if (!cm)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (!media || cm->stream)
        return 0;
    cm->path = path;
    int rc = open_stream(u, cm, err);
    if (rc != 0)
        return rc;
    cm->ready = ready;
    cm->ready_arg = arg;
    if (wants_relay(u, cm) &&
        u->w->plan->target->media.turn.credentials == TARGET_TURN_CREDS_MRAS) {
        rc = mras_creds_get(u, on_mras, u);
        if (rc == SYNTH_EINCOMPLETE) {
            cm->mras_waiting = true;
            return rc;
        }
        if (rc != 0) {
            cm->mras_failed = true;
            if (path == MEDIA_PATH_RELAY) {
                cm->ready = NULL;
                return synth_error_set(err, rc, "cannot send the MRAS SERVICE: %s",
                                       synth_strerror(rc));
            }
        }
    }
    rc = gather(u, cm, err);
    if (rc != SYNTH_EINCOMPLETE)
        cm->ready = NULL;
    return rc;
}

enum failure_class call_media_fail_class(const struct vuser *u)
{
    const struct call_media *cm = u->media;
    if (cm && (cm->mras_waiting || cm->mras_failed))
        return FAIL_MRAS_REFUSED;
    return u->w->plan->target->media.turn.ms_turn ? FAIL_MSTURN_ALLOC : FAIL_RELAY;
}

static void add_crypto(struct sdp_desc *d, uint32_t tag, enum srtpsess_suite suite,
                       const struct sdes_key *key)
{
    struct sdp_crypto *c = &d->crypto[d->crypto_count++];
    memset(c, 0, sizeof(*c));
    c->tag = tag;
    c->suite_known = true;
    c->suite = suite;
    c->keys[0].key = *key;
    c->key_count = 1;
}

static void describe_offer(struct vuser *u, struct call_media *cm, bool media)
{
    enum target_srtp srtp = u->w->plan->target->media.srtp;
    struct sdp_desc *d = &cm->offer;
    uint64_t id = sip_random_u64();
    memset(d, 0, sizeof(*d));
    d->username = strv_from_cstr("synth");
    d->sess_id = id >> 1; /* RFC 8866 5.2: a number that fits NTP's 63 bits */
    d->sess_version = 1;
    d->session_name = strv_from_cstr("synth");
    d->addr = strv_from_cstr(cm->addr);
    /* Without media, the discard port (RFC 863): nothing comes back to us. */
    d->port = media ? media_stream_port(cm->stream) : 9;
    const struct target_media *tm = &u->w->plan->target->media;
    for (size_t i = 0; i < tm->codec_count; i++)
        d->codecs[d->codec_count++] = sdp_codec_static(tm->codecs[i]);
    d->codecs[d->codec_count++] = SDP_CODEC_TELEPHONE_EVENT;
    d->ptime = MEDIA_PTIME_MS;
    d->dir = SDP_DIR_SENDRECV;
    d->proto = media && srtp == TARGET_SRTP_REQUIRED ? SDP_PROTO_RTP_SAVP : SDP_PROTO_RTP_AVP;
    if (media && cm->ice) {
        /* RFC 8445: candidates, and rtcp-mux so a relay carries RTCP too. */
        ice_stream_describe(cm->ice, d);
        d->rtcp_mux = true;
    }
    if (!media || srtp == TARGET_SRTP_OFF)
        return;
    add_crypto(d, TAG_SHA1_80, SRTPSESS_AES_CM_128_HMAC_SHA1_80, &cm->key);
    add_crypto(d, TAG_SHA1_32, SRTPSESS_AES_CM_128_HMAC_SHA1_32, &cm->key);
    /* [MS-SDPEXT]: SfB peers read it; others ignore an unknown attribute. */
    d->encryption = srtp == TARGET_SRTP_REQUIRED ? SDP_ENC_REQUIRED : SDP_ENC_OPTIONAL;
}

int call_media_offer(struct vuser *u, bool media, struct sbuf *sb, struct synth_error *err)
{
    struct call_media *cm = media_of(u);
    if (!cm)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (!cm->described || (media && !cm->stream)) {
        cm->described = true;
        if (media && !cm->stream) {
            int rc = open_stream(u, cm, err);
            if (rc != 0)
                return rc;
        } else {
            local_address(u, cm->addr, sizeof(cm->addr));
        }
        describe_offer(u, cm, media);
    }
    int rc = sdp_build(sb, &cm->offer);
    return rc ? synth_error_set(err, rc, "SDP offer: cannot be written") : 0;
}

static int problem(struct media_result *out, struct synth_error *err, const char *what,
                   const char *detail)
{
    snprintf(out->sdp_problem, sizeof(out->sdp_problem), "%s", what);
    return synth_error_set(err, SYNTH_EPARSE, "the answer's SDP cannot be used: %s", detail);
}

/* Fills the stream's parameters from the negotiation; 0 or a problem. */
static int params_of(struct vuser *u, struct call_media *cm, const struct sdp_neg *neg,
                     struct media_stream_params *p, struct media_result *out,
                     struct synth_error *err)
{
    const struct scenario_step *cfg = u->run->cfg;
    const struct target_media *tm = &u->w->plan->target->media;
    const struct scenario *sc = u->w->plan->scenario;
    memset(p, 0, sizeof(*p));
    if (net_addr_from_ip(neg->addr, neg->rtp_port, &p->peer_rtp, &p->peer_rtp_len) != 0)
        return problem(out, err, "host-name-in-c-line", "c= names a host, not an address");
    struct strv raddr = strv_isset(neg->rtcp_addr) ? neg->rtcp_addr : neg->addr;
    if (net_addr_from_ip(raddr, neg->rtcp_port, &p->peer_rtcp, &p->peer_rtcp_len) != 0)
        return problem(out, err, "host-name-in-rtcp", "a=rtcp names a host, not an address");
    /* sdp_negotiate_answer takes only codecs we offered: all of them ours. */
    if (!audio_codec_supported(neg->peer_pt))
        return problem(out, err, "no-common-codec", "the codec chosen is not one synth offered");
    p->rtcp_mux = neg->rtcp_mux;
    p->pt = neg->peer_pt;
    p->dtmf = neg->peer_te_pt >= 0;
    p->dtmf_pt = p->dtmf ? (uint8_t)neg->peer_te_pt : 0;
    p->srtp = neg->srtp;
    p->suite = neg->suite;
    p->tx_key = cm->key;
    p->rx_key = neg->peer_key;
    p->prompt = u->w->plan->prompt;
    p->loop_prompt = true;
    p->send = true;
    p->detect_greeting = cfg->greeting != GREETING_OFF;
    greeting_config_default(&p->greeting);
    p->record_ms = sc->audio.record == RECORD_NONE ? 0 : sc->audio.max_ms;
    p->expect_dscp = tm->dscp[PORT_RANGE_AUDIO];
    p->cname = u->id->uri;
    return 0;
}

int call_media_answer(struct vuser *u, const struct sip_msg *ok, media_event_h *h, void *arg,
                      struct media_result *out, struct synth_error *err)
{
    struct call_media *cm = u->media;
    struct sdp_error se;
    struct sdp_neg neg;
    struct media_stream_params p;
    const struct target_media *tm = &u->w->plan->target->media;

    out->enabled = true;
    out->dscp_expected = tm->dscp[PORT_RANGE_AUDIO];
    if (!cm || !cm->stream)
        return problem(out, err, "no-stream", "no media stream was opened");
    if (!cm->answer && !(cm->answer = malloc(sizeof(*cm->answer))))
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (ok->body.l == 0)
        return problem(out, err, "no-sdp", "the 200 OK has no SDP");
    if (sdp_parse(cm->answer, ok->body.p, ok->body.l, &se) != 0) {
        struct synth_error why;
        sdp_error_format(&se, SYNTH_EPARSE, &why);
        return problem(out, err, "malformed", why.msg);
    }
    enum sdp_neg_reason r = sdp_negotiate_answer(&cm->offer, cm->answer, &neg);
    if (r != SDP_NEG_OK)
        return problem(out, err, sdp_neg_reason_str(r), sdp_neg_reason_str(r));
    out->srtp = neg.srtp;
    out->peer_port = neg.rtp_port;
    struct port_range server = tm->server_ports[PORT_RANGE_AUDIO];
    out->range_first = server.first;
    out->range_last = server.last;
    out->peer_port_in_range = port_range_contains(server, neg.rtp_port);
    int rc = params_of(u, cm, &neg, &p, out, err);
    if (rc != 0)
        return rc;
    snprintf(out->codec, sizeof(out->codec), "%s", audio_codec_name(p.pt));
    p.on_event = h;
    p.arg = arg;
    cm->answer_us = clock_mono_us();
    cm->media_start_us = cm->answer_us;
    rc = cm->ice ? ice_stream_set_remote(cm->ice, cm->answer, neg.peer, neg.rtcp_mux ? 1 : 2)
                 : SYNTH_ENOTFOUND;
    if (rc == 0) {
        /* RFC 8445: media waits for the nominated pair. */
        cm->params = p;
        rc = ice_stream_start(cm->ice);
        if (rc != 0)
            return synth_error_set(err, rc, "ICE cannot start");
        out->negotiated = true;
        return 0;
    }
    /* A peer without ICE (RFC 8445 backwards compatibility): to its c=. */
    if (cm->ice)
        ice_stream_apply_path(cm->ice, &p);
    rc = media_stream_start(cm->stream, &p, err);
    if (rc != 0)
        return rc;
    out->negotiated = true;
    return 0;
}

static void on_ice_done(struct ice_stream *s, enum ice_state st, void *arg)
{
    struct vuser *u = arg;
    struct call_media *cm = u->media;
    if (st == ICE_STATE_COMPLETED) {
        ice_stream_apply_path(s, &cm->params);
        cm->media_start_us = clock_mono_us();
        if (media_stream_start(cm->stream, &cm->params, NULL) == 0)
            return;
    }
    /* No media will flow: the call step judges it now (ice-failed). */
    if (cm->params.on_event)
        cm->params.on_event(cm->stream, MEDIA_EVENT_PATH_FAILED, cm->params.arg);
}

static void snapshot_ice(const struct call_media *cm, const struct media_report *r,
                         struct media_result *out)
{
    struct ice_stream_report ir;
    snprintf(out->media_path, sizeof(out->media_path), "direct");
    if (!cm->ice)
        return;
    ice_stream_report(cm->ice, &ir);
    snprintf(out->relay_error, sizeof(out->relay_error), "%s",
             cm->mras_failed && !ir.relay_error[0] ? "mras-refused" : ir.relay_error);
    snprintf(out->relay_server, sizeof(out->relay_server), "%s", ir.relay_server);
    out->relay_allocate_us = ir.relay_server[0] ? ir.relay_allocate_us : -1;
    if (ir.relayed)
        snprintf(out->media_path, sizeof(out->media_path), "relay");
    if (!ir.used)
        return;
    out->ice = true;
    out->ice_ok = ir.state == ICE_STATE_COMPLETED;
    if (!out->ice_ok && !r->started)
        snprintf(out->media_path, sizeof(out->media_path), "none");
    snprintf(out->ice_failure, sizeof(out->ice_failure), "%s", ir.failure);
    snprintf(out->ice_local_type, sizeof(out->ice_local_type), "%s", ir.local_type);
    snprintf(out->ice_remote_type, sizeof(out->ice_remote_type), "%s", ir.remote_type);
    snprintf(out->ice_local_addr, sizeof(out->ice_local_addr), "%s", ir.local_addr);
    snprintf(out->ice_remote_addr, sizeof(out->ice_remote_addr), "%s", ir.remote_addr);
    snprintf(out->ice_dialect, sizeof(out->ice_dialect), "%s", ir.dialect);
    out->ice_us = ir.ice_us;
    out->ice_checks_sent = ir.checks_sent;
    out->ice_checks_received = ir.checks_received;
}

void call_media_snapshot(struct vuser *u, struct media_result *out)
{
    struct call_media *cm = u->media;
    struct media_report r;
    if (!cm || !cm->stream || !out->negotiated)
        return;
    media_stream_report(cm->stream, &r);
    snapshot_ice(cm, &r, out);
    /* The stream began when ICE had its pair: times stay "since 200 OK". */
    int64_t ice_wait = cm->media_start_us - cm->answer_us;
    out->flowed = r.recv_packets > 0;
    out->greeting_heard = r.greeting_heard;
    out->first_media_us = r.first_packet_us >= 0 ? r.first_packet_us + ice_wait : -1;
    out->greeting_onset_us = r.greeting_onset_us >= 0 ? r.greeting_onset_us + ice_wait : -1;
    out->sent = r.sent_packets;
    out->received = r.recv_packets;
    out->unauthenticated = r.recv_unauthenticated;
    out->replayed = r.recv_replayed;
    out->loss_pct = r.loss_pct;
    out->jitter_ms = r.jitter_ms;
    out->mos = r.mos;
    out->peer_src_port = r.peer_port_seen;
    out->dscp_seen = r.dscp_seen;
    out->dscp_mismatches = r.dscp_mismatches;
    out->peer_rtcp = r.peer_reports_late > 0;
    out->peer_report = r.peer.have;
    out->peer_loss_pct = r.peer.loss_pct;
    out->peer_jitter_ms = r.peer.jitter_ms;
    out->has_rtt = r.peer.have_rtt;
    out->rtt_ms = r.peer.rtt_ms;
}

void call_media_keep_audio(struct vuser *u, const char *call_id, struct media_result *out)
{
    struct call_media *cm = u->media;
    const char *dir = u->w->plan->results_dir;
    if (!cm || !cm->stream || !dir)
        return;
    const struct recording *rec = media_stream_recording(cm->stream);
    if (!rec->samples)
        return;
    char name[96], path[1200];
    recording_file_name(call_id, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/audio", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return;
    snprintf(out->audio_file, sizeof(out->audio_file), "audio/%s.wav", name);
    snprintf(path, sizeof(path), "%s/%s", dir, out->audio_file);
    /* A few hundred KB, and only for the calls the policy keeps (failed
     * ones by default): written here rather than copied to the collector. */
    if (recording_write_wav(rec, path, NULL) != 0)
        out->audio_file[0] = '\0';
}

int call_media_send_dtmf(struct vuser *u, const char *keys, uint32_t tone_ms, uint32_t pause_ms)
{
    struct call_media *cm = u->media;
    if (!cm || !cm->stream)
        return SYNTH_ENOTFOUND;
    return media_stream_send_dtmf(cm->stream, keys, tone_ms, pause_ms);
}

void call_media_end(struct vuser *u)
{
    struct call_media *cm = u->media;
    if (!cm)
        return;
    mras_creds_cancel(u, u);
    ice_stream_free(cm->ice);
    media_stream_free(cm->stream);
    free(cm->answer);
    free(cm);
    u->media = NULL;
}
