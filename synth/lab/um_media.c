/* The lab UM's media (um_media.h). */
#include "synth/lab/um_media.h"

#include "media/media_stream.h"
#include "media/media_tick.h"
#include "media/prompt.h"
#include "synth/base/net_addr.h"
#include "synth/ice/ice_msice2.h"
#include "synth/ice/ice_stream.h"
#include "synth/sdp/sdp_build.h"
#include "synth/sdp/sdp_negotiate.h"
#include "synth/sip/build.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
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
    /* Ports of the UM's open streams (RTP and RTCP): the addresses that
     * make up the inside network an Edge relay cannot reach. Written on the
     * UM's thread, read by the relay's (um_media_owns): atomic, relaxed,
     * as a port's state only matters to packets that come after it. */
    atomic_uchar in_use[65536]; /* streams holding the port (a count: pairs may abut) */
};

/* The offer and our answer's parts while the relay candidate is gathered
 * (~50 KB: on the heap, and only until the answer is written). */
struct um_offer {
    char *body;               /* the offer's copy: sdp's views point into it */
    struct sdp_session sdp;
    struct sdp_local local;
    struct sdp_desc desc;
    struct sdp_neg neg;
};

struct um_call_media {
    struct um_media *m;
    struct media_stream *stream;
    struct media_stream_params params;
    struct ice_stream *ice;   /* the caller does ICE: the UM is the controlled agent */
    struct um_offer *offer;   /* until um_call_media_answer */
    struct um_call_media_handlers h;
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

bool um_media_owns(const struct um_media *m, const struct sockaddr_storage *a)
{
    struct sockaddr_storage ip = *a;
    if (a->ss_family != m->local.ss_family)
        return false;
    if (a->ss_family == AF_INET)
        ((struct sockaddr_in *)&ip)->sin_port = ((const struct sockaddr_in *)&m->local)->sin_port;
    else
        ((struct sockaddr_in6 *)&ip)->sin6_port =
            ((const struct sockaddr_in6 *)&m->local)->sin6_port;
    uint16_t port = net_addr_port(a);
    return net_addr_equal(&ip, &m->local) &&
           atomic_load_explicit(&m->in_use[port], memory_order_relaxed) > 0;
}

/* The stream's RTP port and the one above it (RTCP without rtcp-mux). */
static void mark_ports(struct um_media *m, uint16_t port, bool used)
{
    for (uint32_t p = port; p <= (uint32_t)port + 1 && p <= 65535; p++) {
        unsigned char n = atomic_load_explicit(&m->in_use[p], memory_order_relaxed);
        if (used && n < UINT8_MAX)
            n++;
        else if (!used && n > 0)
            n--;
        atomic_store_explicit(&m->in_use[p], n, memory_order_relaxed);
    }
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
    uint64_t id = sip_random_u64();
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
    if (st != ICE_STATE_COMPLETED) {
        /* No pair: like a real UM, no media, and the call is given up. */
        atomic_fetch_add(&cm->m->stats->um_ice_failed, 1);
        if (cm->h.path_failed)
            cm->h.path_failed(cm, cm->h.arg);
        return;
    }
    ice_stream_apply_path(s, &cm->params);
    media_stream_start(cm->stream, &cm->params, NULL);
}

static void on_gathered(struct ice_stream *s, int err, void *arg)
{
    struct um_call_media *cm = arg;
    (void)s;
    /* Without its relay the UM still answers, with host candidates only:
     * what a UM refused by MRAS does. */
    if (err == 0)
        atomic_fetch_add(&cm->m->stats->um_relay_candidates, 1);
    cm->h.ready(cm, cm->h.arg);
}

/* The caller offered ICE: a controlled agent (RFC 8445 6.1.1) with our
 * host candidates, a relay candidate when the UM holds relay credentials,
 * and the caller's candidates. 0 without ICE. */
static int offer_ice(struct um_call_media *cm, const struct turn_client_opts *relay)
{
    const struct um_offer *of = cm->offer;
    const struct sdp_neg *neg = &of->neg;
    if (!neg->peer || !sdp_media_ice_ufrag(&of->sdp, neg->peer).p)
        return 0;
    struct ice_stream_opts o = {
        .base = cm->m->base,
        .ms = cm->stream,
        .role = ICE_CONTROLLED,
        .host = true,
        .rtcp_component = !neg->rtcp_mux,
        .turn = relay,
        .deadline_ms = cm->m->cfg->um_media_timeout_ms,
        .dialect = cm->m->cfg->ice_msice2 ? &ice_dialect_msice2 : &ice_dialect_rfc8445,
        .gathered = on_gathered,
        .done = on_ice_done,
        .arg = cm,
    };
    int rc = ice_stream_new(&cm->ice, &o, NULL);
    if (rc == 0)
        rc = ice_stream_set_remote(cm->ice, &of->sdp, neg->peer, neg->rtcp_mux ? 1 : 2);
    if (rc != 0)
        return rc;
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

static void offer_free(struct um_offer *of)
{
    if (!of)
        return;
    OPENSSL_cleanse(&of->local.key, sizeof(of->local.key));
    free(of->body);
    free(of);
}

int um_call_media_prepare(struct um_media *m, struct strv offer,
                          const struct turn_client_opts *relay,
                          const struct um_call_media_handlers *h, struct um_call_media **out,
                          const char **why)
{
    struct um_call_media *cm = calloc(1, sizeof(*cm));
    struct sdp_error se;
    struct synth_error err;
    int rc = SYNTH_EPARSE;

    *out = NULL;
    *why = "internal error";
    if (!cm || !(cm->offer = calloc(1, sizeof(*cm->offer))))
        goto fail;
    cm->m = m;
    cm->h = *h;
    struct um_offer *of = cm->offer;
    *why = "no SDP offer";
    if (offer.l == 0 || !(of->body = malloc(offer.l)))
        goto fail;
    memcpy(of->body, offer.p, offer.l); /* the INVITE is gone when the relay is ready */
    if (sdp_parse(&of->sdp, of->body, offer.l, &se) != 0)
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
    mark_ports(m, media_stream_port(cm->stream), true);
    local_of(m, cm, &of->local);
    if ((rc = sdes_key_generate(&of->local.key, &err)) != 0)
        goto fail;
    enum sdp_neg_reason r = sdp_negotiate_offer(&of->sdp, &of->local, &of->desc, &of->neg);
    rc = SYNTH_EPARSE;
    *why = sdp_neg_reason_str(r);
    if (r != SDP_NEG_OK)
        goto fail;
    *why = "ICE candidates cannot be used";
    if (offer_ice(cm, relay) != 0)
        goto fail;
    *out = cm;
    return cm->ice && ice_stream_gather(cm->ice) == SYNTH_EINCOMPLETE ? SYNTH_EINCOMPLETE : 0;
fail:
    um_call_media_free(cm, NULL);
    return rc ? rc : SYNTH_EPARSE;
}

int um_call_media_answer(struct um_call_media *cm, char *answer, size_t size, size_t *len,
                         const char **why)
{
    struct um_offer *of = cm->offer;
    int rc = SYNTH_EPARSE;
    *why = "internal error";
    if (!of)
        return SYNTH_EINVAL;
    if (cm->ice) {
        ice_stream_describe_local(cm->ice, &of->local);
        sdp_negotiate_offer(&of->sdp, &of->local, &of->desc, &of->neg); /* with our candidates */
    }
    *why = "c= is not an address";
    if (params_of(cm, &of->neg, &of->local.key) != 0)
        goto out;
    struct sbuf sb;
    sbuf_init(&sb, answer, size);
    *why = "answer too long";
    if (sdp_build(&sb, &of->desc) != 0)
        goto out;
    *len = sb.len;
    rc = 0;
out:
    offer_free(of);
    cm->offer = NULL;
    return rc;
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
    if (cm->stream)
        mark_ports(cm->m, media_stream_port(cm->stream), false);
    media_stream_free(cm->stream);
    offer_free(cm->offer);
    free(cm);
}
