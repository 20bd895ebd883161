/* One direction of SDES-keyed SRTP/SRTCP over libsrtp2 2.x (RFC 3711,
 * RFC 4568 6.2): create from an a=crypto key, protect or unprotect RTP and
 * RTCP in place, count authentication and replay failures apart.
 * Prefix srtpsess_: libsrtp2 owns srtp_. */
#ifndef MEDIA_SRTP_SESSION_H
#define MEDIA_SRTP_SESSION_H

#include "sdes_key.h"
#include "synth/base/err.h"

#include <stddef.h>
#include <stdint.h>

enum srtpsess_suite {
    SRTPSESS_AES_CM_128_HMAC_SHA1_80,
    SRTPSESS_AES_CM_128_HMAC_SHA1_32,
};

/* A session protects what we send or unprotects what we receive. In SDES
 * our offer's key protects what we send, the answer's what the peer sends. */
enum srtpsess_dir {
    SRTPSESS_SEND,
    SRTPSESS_RECV,
};

/* Why an unprotect refused a packet. */
enum srtpsess_result {
    SRTPSESS_OK,
    SRTPSESS_AUTH_FAIL,  /* tag did not verify: wrong key, or tampered */
    SRTPSESS_REPLAY,     /* index seen already or left the window */
    SRTPSESS_BAD_MKI,    /* MKI in the packet is not ours */
    SRTPSESS_MALFORMED,  /* too short, not RTP/RTCP */
    SRTPSESS_FAIL,       /* anything else libsrtp reports */
};

struct srtpsess_counters {
    uint64_t rtp_ok;     /* protected (send) or unprotected (recv) */
    uint64_t rtcp_ok;
    uint64_t auth_fail;
    uint64_t replay_fail;
    uint64_t bad_mki;
    uint64_t malformed;
    uint64_t other_fail;
};

/* Replay window in packets: RFC 3711 3.3.2 asks at least 64; libsrtp's
 * default is 128, enough for the reordering a jitter buffer tolerates. */
#define SRTPSESS_REPLAY_WINDOW 128
/* Bytes protect may add: an 80-bit tag, the 4-byte SRTCP index (RFC 3711
 * 3.4) and the MKI. Leave this much room after the packet. */
#define SRTPSESS_OVERHEAD_MAX (10 + 4 + SDES_MKI_LEN_MAX)

struct srtpsess;

/* Initialises libsrtp once per process (pthread_once); safe from any
 * thread, also called by srtpsess_create. Returns 0 or SYNTH_EINTERNAL. */
int srtpsess_global_init(struct synth_error *err);

/* Suite name as in a=crypto ("AES_CM_128_HMAC_SHA1_80"), exact case as
 * RFC 4568 registers it. Returns 0 or SYNTH_EUNSUPPORTED. */
int srtpsess_suite_parse(const char *name, size_t len, enum srtpsess_suite *out);
const char *srtpsess_suite_name(enum srtpsess_suite suite);

/* Creates a session for any SSRC in direction dir with key k (with its MKI
 * when k->has_mki: every packet then carries it). *out is set on success;
 * the caller frees with srtpsess_free. The key is copied and the copy
 * wiped. Returns 0, SYNTH_ENOMEM, SYNTH_EINVAL or SYNTH_EINTERNAL. */
int srtpsess_create(struct srtpsess **out, enum srtpsess_suite suite, enum srtpsess_dir dir,
                    const struct sdes_key *k, struct synth_error *err);
void srtpsess_free(struct srtpsess *s);

/* Bytes protect adds to an RTP / RTCP packet with this session. */
size_t srtpsess_rtp_overhead(const struct srtpsess *s);
size_t srtpsess_rtcp_overhead(const struct srtpsess *s);

/* In place. buf holds *len bytes of a packet in a buffer of cap bytes,
 * 4-byte aligned (libsrtp reads the header as 32-bit words). Protect needs
 * cap >= *len + overhead; *len becomes the new length. Return 0,
 * SYNTH_EINVAL (wrong direction, too short), SYNTH_ETOOBIG (no room),
 * SYNTH_EAUTH (unprotect refused: see *res, may be NULL) or
 * SYNTH_EINTERNAL. */
int srtpsess_protect_rtp(struct srtpsess *s, uint8_t *buf, size_t *len, size_t cap,
                         struct synth_error *err);
int srtpsess_unprotect_rtp(struct srtpsess *s, uint8_t *buf, size_t *len,
                           enum srtpsess_result *res, struct synth_error *err);
int srtpsess_protect_rtcp(struct srtpsess *s, uint8_t *buf, size_t *len, size_t cap,
                          struct synth_error *err);
int srtpsess_unprotect_rtcp(struct srtpsess *s, uint8_t *buf, size_t *len,
                            enum srtpsess_result *res, struct synth_error *err);

const struct srtpsess_counters *srtpsess_counters(const struct srtpsess *s);

#endif
