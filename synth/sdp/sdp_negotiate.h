/* Offer/answer for one audio stream (RFC 3264) with SDES-SRTP (RFC 4568
 * 7.1) and [MS-SDPEXT]'s optional encryption: the offerer checks the answer
 * it got, the answerer (the lab's UM) builds its answer from an offer. An
 * unusable description is an outcome with a reason, not an error. */
#ifndef SYNTH_SDP_NEGOTIATE_H
#define SYNTH_SDP_NEGOTIATE_H

#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_build.h"

enum sdp_neg_reason {
    SDP_NEG_OK = 0,
    SDP_NEG_NO_AUDIO,       /* no audio m= line where ours is */
    SDP_NEG_REJECTED,       /* the audio stream has port 0 (RFC 3264 6) */
    SDP_NEG_WRONG_PROTO,    /* answer's proto differs from the offer's, or one we cannot do */
    SDP_NEG_NO_CODEC,       /* no codec in common */
    SDP_NEG_SRTP_REQUIRED,  /* SRTP is a must (RTP/SAVP or a=encryption:required) and
                               there is no crypto line with a suite we know */
    SDP_NEG_CRYPTO_TAG,     /* the answer's crypto tag is not one we offered */
    SDP_NEG_CRYPTO_SUITE,   /* the tag is ours, the suite is not the one offered with it */
};
/* A malformed key of a known suite is refused by sdp_parse already: the
 * key-param is media/sdes_key's, strict about the suite's 30 bytes. */

/* A short name for reports and logs ("no-common-codec"), never NULL. */
const char *sdp_neg_reason_str(enum sdp_neg_reason r);

/* What both sides agreed, seen from us. Views point into the peer's
 * description (its buffer must outlive them), or for a static payload type
 * without rtpmap to our own table of RFC 3551 names. */
struct sdp_neg {
    enum sdp_neg_reason reason;
    const struct sdp_media *peer;  /* the peer's audio section, NULL if none */
    size_t media_index;            /* its position */

    /* Where to send media: media-level c= over session-level (RFC 8866 5.7). */
    enum sdp_addrtype addrtype;
    struct strv addr;
    uint16_t rtp_port;
    /* RTCP: a=rtcp (RFC 3605), the RTP port when both sides use rtcp-mux
     * (RFC 5761 5.1.1), else RTP port + 1 (RFC 3550 11). */
    struct strv rtcp_addr;
    uint16_t rtcp_port;
    bool rtcp_mux;

    /* The codec. RFC 3264 5.1: a payload type number in a description is
     * the one its author wants to receive, so we send with peer_pt and
     * receive local_pt (the two differ only for dynamic types). */
    struct strv codec;     /* encoding name, e.g. "PCMU" */
    uint32_t clock;
    uint8_t peer_pt, local_pt;
    int peer_te_pt, local_te_pt;  /* telephone-event (RFC 4733), -1 if not agreed */
    uint32_t ptime;        /* the peer's a=ptime, 0 if absent */
    enum sdp_dir peer_dir;

    /* SRTP. The peer's key protects what the peer sends (RFC 4568 6.1):
     * srtpsess_create(suite, SRTPSESS_RECV, &peer_key). */
    bool srtp;
    uint32_t crypto_tag;
    enum srtpsess_suite suite;
    size_t local_crypto;   /* offerer: index of our line in sdp_desc.crypto */
    struct sdes_key peer_key;  /* key||salt, lifetime and MKI of its first key-param */
};

/* Offerer side: `offer` is what we sent (its audio at offer->audio_index
 * when media_count is set, else the only m= line), `answer` the peer's
 * parsed answer. The codec is the first of the answer's that we offered,
 * in the answer's order; the crypto line is the answer's first, which must
 * carry a tag and suite of ours. Fills *neg and returns neg->reason. */
enum sdp_neg_reason sdp_negotiate_answer(const struct sdp_desc *offer,
                                         const struct sdp_session *answer, struct sdp_neg *neg);

/* What our answerer has and accepts. */
struct sdp_local {
    struct strv username;
    uint64_t sess_id, sess_version;
    struct strv session_name;
    struct strv addr;
    uint16_t port;
    uint16_t rtcp_port;        /* 0: no a=rtcp */
    bool rtcp_mux;             /* answered only if offered */
    /* Codecs we take, by name and clock (their pt is ignored: the offer's
     * number is answered); telephone-event among them to take DTMF. */
    struct sdp_codec codecs[SDP_DESC_CODECS_MAX];
    size_t codec_count;
    uint32_t ptime;
    bool srtp;                 /* take SRTP when it is optional */
    /* Our key||salt (sdes_key_generate). Its lifetime is not used: the
     * answer mirrors the offer's. Its MKI value is written when the chosen
     * offer line has an MKI and it fits the offer's length, else 1. */
    struct sdes_key key;
    struct strv ice_ufrag, ice_pwd;  /* answered only if the offer has ICE */
    bool ice2;                       /* with them a=ice-options:ice2 */
    struct sdp_candidate cands[SDP_DESC_CANDIDATES_MAX];
    size_t cand_count;
    struct strv label;
    enum sdp_dir dir;
};

/* Answerer side: takes the first audio m= line of `offer` that can be
 * used and fills *answer for sdp_build: the first offered codec we have
 * (offer order), telephone-event if both have it, the offer's proto, the
 * first crypto line with a suite we support (its tag, our key, the offer's
 * lifetime form, an MKI of the same length if it had one), the other m=
 * lines rejected. *answer holds views into offer and local. Fills *neg
 * (where to send, the offerer's key) and returns neg->reason; when none of
 * the audio lines can be used the reason is that of the first. */
enum sdp_neg_reason sdp_negotiate_offer(const struct sdp_session *offer,
                                        const struct sdp_local *local, struct sdp_desc *answer,
                                        struct sdp_neg *neg);

#endif
