/* The lab UM's media (um_media.h). */
#include "synth/lab/um_media.h"

#include "media/media_stream.h"
#include "media/media_tick.h"
#include "media/prompt.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_stream.h"
#include "synth/sdp/sdp_build.h"
#include "synth/sdp/sdp_negotiate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The generated greeting: "To access your mailbox..." takes about 6 s. */
#define UM_GREETING_MS 6000
#define UM_GREETING_SEED 4242
/* Where the fault um_port_outside_range answers from: below every SfB
 * server range (application sharing starts at 40803). */
#define UM_OUTSIDE_FIRST 30000
#define UM_OUTSIDE_LAST 30999

struct um_media {
    struct event_base *base;
    const struct lab_config *cfg;
    struct lab_stats *stats;
    struct media_tick *tick;
    struct port_range_pool ports;
    struct prompt greeting;
    char host[INET6_ADDRSTRLEN];
    struct sockaddr_storage local;
    socklen_t local_len;
};

struct um_call_media {
    struct um_media *m;
    struct media_stream *stream;
    struct media_stream_params params;
    struct ice_stream *ice;   /* the caller does ICE: the UM is the controlled agent */
};

int um_media_new(struct um_media **out, struct event_base *base, const struct lab_config *cfg,
                 struct lab_stats *stats, const char *host, struct synth_error *err)
{
    struct um_media *m = calloc(1, sizeof(*m));
    int rc;
    if (!m)
        return synth_error_set(err, SYNTH_ENOMEM, "lab: out of memory");
    m->base = base;
    m->cfg = cfg;
    m->stats = stats;
    snprintf(m->host, sizeof(m->host), "%s", host);
    if (net_addr_from_ip(strv_from_cstr(host), 0, &m->local, &m->local_len) != 0) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "lab: UM media needs an address, not %s", host);
        goto fail;
    }
    struct port_range ranges[PORT_RANGE_MODALITY_COUNT] = {{0, 0}};
    ranges[PORT_RANGE_AUDIO] = cfg->faults.um_port_outside_range
                                   ? (struct port_range){UM_OUTSIDE_FIRST, UM_OUTSIDE_LAST}
                                   : (struct port_range){cfg->um_media_first, cfg->um_media_last};
    port_range_pool_init(&m->ports, ranges, 0);
    rc = media_tick_new(&m->tick, base, MEDIA_PTIME_MS * 1000, err);
    if (rc == 0)
        rc = cfg->um_greeting[0] ? prompt_load_wav(&m->greeting, cfg->um_greeting, err)
                                 : prompt_generate_speech(&m->greeting, UM_GREETING_MS,
                                                          UM_GREETING_SEED, err);
    if (rc != 0)
        goto fail;
    *out = m;
    return 0;
fail:
    um_media_free(m);
    return rc;
}

void um_media_free(struct um_media *m)
{
    if (!m)
        return;
    media_tick_free(m->tick);
    prompt_free(&m->greeting);
    free(m);
}


static void local_of(struct um_media *m, struct um_call_media *cm, struct sdp_local *l)
{
    uint64_t id = 0;
    RAND_bytes((unsigned char *)&id, sizeof(id));
    memset(l, 0, sizeof(*l));
    l->username = strv_from_cstr("-");
    l->sess_id = id >> 1;
    l->sess_version = 1;
    l->session_name = strv_from_cstr("Exchange Unified Messaging");
    l->addr = strv_from_cstr(m->host);
    l->port = media_stream_port(cm->stream);
    /* The answer takes the caller's first of these (RFC 3264 6.1). */
    l->codecs[l->codec_count++] = SDP_CODEC_PCMU;
    l->codecs[l->codec_count++] = SDP_CODEC_PCMA;
    l->codecs[l->codec_count++] = SDP_CODEC_G722;
    l->codecs[l->codec_count++] = SDP_CODEC_TELEPHONE_EVENT;
    l->ptime = MEDIA_PTIME_MS;
    l->srtp = true;
    l->rtcp_mux = true; /* answered only when offered (RFC 5761 5.1.1) */
    l->dir = SDP_DIR_SENDRECV;
}

static void on_ice_done(struct ice_stream *s, enum ice_state st, void *arg)
{
    struct um_call_media *cm = arg;
    if (st != ICE_STATE_COMPLETED)
        return; /* no pair: like a real UM, no media */
    ice_stream_apply_path(s, &cm->params);
    media_stream_start(cm->stream, &cm->params, NULL);
}

/* The caller offered ICE: our host candidates into the answer, its
 * candidates into a controlled agent (RFC 8445 6.1.1). 0 without ICE. */
static int answer_ice(struct um_call_media *cm, const struct sdp_session *sdp,
                      const struct sdp_neg *neg, struct sdp_local *local)
{
    if (!neg->peer || !sdp_media_ice_ufrag(sdp, neg->peer).p)
        return 0;
    struct ice_stream_opts o = {
        .base = cm->m->base,
        .ms = cm->stream,
        .role = ICE_CONTROLLED,
        .host = true,
        .rtcp_component = !neg->rtcp_mux,
        .done = on_ice_done,
        .arg = cm,
    };
    int rc = ice_stream_new(&cm->ice, &o, NULL);
    if (rc == 0)
        rc = ice_stream_set_remote(cm->ice, sdp, neg->peer, neg->rtcp_mux ? 1 : 2);
    if (rc != 0)
        return rc;
    ice_stream_describe_local(cm->ice, local);
    if (cm->m->cfg->faults.um_ice_silent)
        media_stream_set_stun_handler(cm->stream, NULL, NULL);
    return 0;
}

/* The mailbox menu hears the caller's keys: counted for the lab's report. */
static void on_stream_event(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct um_media *m = arg;
    if (ev == MEDIA_EVENT_DTMF)
        atomic_fetch_add(&m->stats->dtmf_keys, 1);
}

/* The stream's parameters from the negotiation and the fault knobs. */
static int params_of(struct um_call_media *cm, const struct sdp_neg *neg, const struct sdes_key *ours)
{
    const struct lab_faults *f = &cm->m->cfg->faults;
    struct media_stream_params *p = &cm->params;
    memset(p, 0, sizeof(*p));
    if (net_addr_from_ip(neg->addr, neg->rtp_port, &p->peer_rtp, &p->peer_rtp_len) != 0 ||
        net_addr_from_ip(strv_isset(neg->rtcp_addr) ? neg->rtcp_addr : neg->addr, neg->rtcp_port,
                   &p->peer_rtcp, &p->peer_rtcp_len) != 0)
        return SYNTH_EPARSE;
    p->rtcp_mux = neg->rtcp_mux;
    p->pt = neg->peer_pt;
    p->dtmf = neg->peer_te_pt >= 0;
    p->dtmf_pt = p->dtmf ? (uint8_t)neg->peer_te_pt : 0;
    p->srtp = neg->srtp;
    p->suite = neg->suite;
    p->tx_key = *ours;
    p->rx_key = neg->peer_key;
    if (f->um_wrong_key && sdes_key_generate(&p->tx_key, NULL) != 0)
        return SYNTH_EINTERNAL;
    if (f->um_deaf && sdes_key_generate(&p->rx_key, NULL) != 0)
        return SYNTH_EINTERNAL;
    p->prompt = &cm->m->greeting;
    p->loop_prompt = false; /* the greeting once, then the silence of a mailbox listening */
    p->send = !f->um_no_media;
    p->expect_dscp = -1;
    p->stop_after_ms = f->um_stop_media_after_ms;
    p->cname = "um";
    p->record_ms = cm->m->cfg->um_record_dir[0] ? RECORDING_DEFAULT_MS : 0;
    p->on_event = on_stream_event;
    p->arg = cm->m;
    return 0;
}

int um_call_media_prepare(struct um_media *m, struct strv offer, struct um_call_media **out,
                          char *answer, size_t size, size_t *len, const char **why)
{
    struct sdp_session *sdp = malloc(sizeof(*sdp));
    struct um_call_media *cm = calloc(1, sizeof(*cm));
    struct sdp_desc desc;
    struct sdp_neg neg;
    struct sdp_local local;
    struct sdp_error se;
    struct synth_error err;
    int rc = SYNTH_EPARSE;

    *out = NULL;
    *why = "internal error";
    if (!sdp || !cm)
        goto fail;
    cm->m = m;
    *why = "no SDP offer";
    if (offer.l == 0 || sdp_parse(sdp, offer.p, offer.l, &se) != 0)
        goto fail;
    const struct lab_faults *f = &m->cfg->faults;
    struct media_stream_opts o = {
        .base = m->base, .tick = m->tick, .ports = &m->ports, .modality = PORT_RANGE_AUDIO,
        .local = (const struct sockaddr *)&m->local, .local_len = m->local_len,
        .dscp = f->um_dscp_set ? f->um_dscp : 46,
    };
    *why = "no media port free";
    if ((rc = media_stream_open(&cm->stream, &o, &err)) != 0)
        goto fail;
    local_of(m, cm, &local);
    if ((rc = sdes_key_generate(&local.key, &err)) != 0)
        goto fail;
    enum sdp_neg_reason r = sdp_negotiate_offer(sdp, &local, &desc, &neg);
    rc = SYNTH_EPARSE;
    *why = sdp_neg_reason_str(r);
    if (r != SDP_NEG_OK)
        goto fail;
    *why = "ICE candidates cannot be used";
    if (answer_ice(cm, sdp, &neg, &local) != 0)
        goto fail;
    if (cm->ice)
        sdp_negotiate_offer(sdp, &local, &desc, &neg); /* again, with our candidates */
    *why = "c= is not an address";
    if (params_of(cm, &neg, &local.key) != 0)
        goto fail;
    struct sbuf sb;
    sbuf_init(&sb, answer, size);
    *why = "answer too long";
    if (sdp_build(&sb, &desc) != 0)
        goto fail;
    *len = sb.len;
    free(sdp);
    *out = cm;
    return 0;
fail:
    free(sdp);
    um_call_media_free(cm, NULL);
    return rc ? rc : SYNTH_EPARSE;
}

int um_call_media_start(struct um_call_media *cm)
{
    /* RFC 8445: no media before a pair is nominated. */
    if (cm->ice) {
        if (cm->m->cfg->faults.um_ice_silent)
            return 0;
        return ice_stream_start(cm->ice);
    }
    return media_stream_start(cm->stream, &cm->params, NULL);
}

static void keep_recording(struct um_call_media *cm, const char *name)
{
    const char *dir = cm->m->cfg->um_record_dir;
    const struct recording *rec = media_stream_recording(cm->stream);
    char path[1200], safe[96];
    if (!dir[0] || !name || !rec->samples)
        return;
    recording_file_name(name, safe, sizeof(safe));
    snprintf(path, sizeof(path), "%s/%s.wav", dir, safe);
    recording_write_wav(rec, path, NULL);
}

void um_call_media_free(struct um_call_media *cm, const char *name)
{
    if (!cm)
        return;
    if (cm->stream)
        keep_recording(cm, name);
    ice_stream_free(cm->ice);
    media_stream_free(cm->stream);
    free(cm);
}
