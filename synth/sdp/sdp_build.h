/* SDP builder: writes one audio offer or answer (RFC 8866, RFC 3264) with
 * SDES keys (RFC 4568), ICE candidates (RFC 8839) and [MS-SDPEXT]'s
 * a=encryption into a bounded buffer. */
#ifndef SYNTH_SDP_BUILD_H
#define SYNTH_SDP_BUILD_H

#include "synth/base/sbuf.h"
#include "synth/sdp/sdp.h"

/* What we offer: PCMU, PCMA, G.722 and telephone-event; room for a few more. */
#define SDP_DESC_CODECS_MAX 8
/* One line per suite we support, with and without MKI: four. */
#define SDP_DESC_CRYPTO_MAX 4
/* host, srflx, relay for RTP and RTCP: six, and two to spare. */
#define SDP_DESC_CANDIDATES_MAX 8

/* One payload type with its rtpmap and fmtp. */
struct sdp_codec {
    uint8_t pt;
    struct strv name;
    uint32_t clock;
    uint32_t channels;  /* 0: no encoding parameters in the rtpmap */
    struct strv fmtp;   /* NULL view: no a=fmtp */
};

/* RFC 3551 6. G.722's RTP clock is 8000 although it samples at 16 kHz
 * (RFC 3551 4.5.2, an error kept for compatibility). */
#define SDP_CODEC_PCMU ((struct sdp_codec){0, SDP_LIT("PCMU"), 8000, 0, {NULL, 0}})
#define SDP_CODEC_PCMA ((struct sdp_codec){8, SDP_LIT("PCMA"), 8000, 0, {NULL, 0}})
#define SDP_CODEC_G722 ((struct sdp_codec){9, SDP_LIT("G722"), 8000, 0, {NULL, 0}})
/* The static payload type pt (0, 8 or 9) as one of the three above; PCMU for another. */
struct sdp_codec sdp_codec_static(uint8_t pt);
/* RFC 4733 2.4.1: events 0-15 are DTMF, 16 is flash. */
#define SDP_CODEC_TELEPHONE_EVENT \
    ((struct sdp_codec){101, SDP_LIT("telephone-event"), 8000, 0, SDP_LIT("0-16")})

/* An m= line an answer declines: port 0, the offer's media, proto and one
 * of its formats (RFC 3264 6: the answer has as many m= lines as the offer). */
struct sdp_desc_rejected {
    struct strv type;
    struct strv proto;
    struct strv fmt;
};

/* The description to write. Strings are views; the caller keeps what they
 * point to alive until sdp_build returns. */
struct sdp_desc {
    struct strv username;      /* o=; "-" when empty */
    uint64_t sess_id;
    uint64_t sess_version;
    struct strv session_name;  /* s=; "-" when empty */
    struct strv addr;          /* o= and c=; IP6 when it holds a ':' */
    uint16_t port;
    uint16_t rtcp_port;        /* a=rtcp (RFC 3605); 0: none, port+1 implied */
    bool rtcp_mux;             /* RFC 5761 */
    enum sdp_proto proto;      /* RTP/AVP or RTP/SAVP */
    struct sdp_codec codecs[SDP_DESC_CODECS_MAX];
    size_t codec_count;
    uint32_t ptime;            /* 0: none */
    /* Written as given: tag, the name of suite (suite_known must be set;
     * suite_name and the keys' param views are ignored), every key as
     * sdes_key_format writes it, session params; scale_role makes it an
     * a=cryptoscale. */
    struct sdp_crypto crypto[SDP_DESC_CRYPTO_MAX];
    size_t crypto_count;
    enum sdp_encryption encryption;  /* SDP_ENC_NONE: no attribute */
    struct strv ice_ufrag, ice_pwd;  /* NULL views: no ICE */
    bool ice2;                 /* a=ice-options:ice2 (RFC 8445 10), with ICE only */
    struct sdp_candidate cands[SDP_DESC_CANDIDATES_MAX];
    size_t cand_count;
    struct strv label;         /* NULL view: none */
    enum sdp_dir dir;          /* always written */
    /* Answers only: the offer had media_count m= lines, ours is at
     * audio_index and the others are rejected[i]. 0 means just the audio. */
    size_t media_count;
    size_t audio_index;
    struct sdp_desc_rejected rejected[SDP_MEDIA_MAX];
};

/* Appends the description to sb, CRLF line endings. 0; SYNTH_ETOOBIG if sb
 * overflowed; SYNTH_EINVAL if the description is not one we can write: no
 * codec or address, a proto other than RTP/AVP and RTP/SAVP, RTP/SAVP
 * without a crypto line, a crypto line of an unknown suite or with a key
 * sdes_key_format refuses, a bound exceeded, or a string that would break
 * the line structure (CR, LF, NUL; blanks inside a single field). */
int sdp_build(struct sbuf *sb, const struct sdp_desc *d);

#endif
