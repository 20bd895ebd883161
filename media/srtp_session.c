/* SRTP/SRTCP sessions over libsrtp2 2.x (Debian's 2.5 API: srtp_protect_mki
 * and friends take int lengths). RFC 3711 3.1 (packet format, MKI before the
 * tag), 3.4 (SRTCP index), RFC 4568 6.2.1-6.2.2 (the suites: the _32 suite
 * still uses an 80-bit tag on SRTCP). */
#include "srtp_session.h"

#include "srtp_ossl_crypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3550 5.1 and 6.4.1: the smallest RTP header and RTCP packet. */
#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define SRTCP_INDEX_LEN 4
#define TAG_LEN_80 10
#define TAG_LEN_32 4

struct srtpsess {
    srtp_t ctx;
    enum srtpsess_dir dir;
    bool use_mki;
    size_t mki_len;
    size_t rtp_tag_len;
    struct srtpsess_counters counters;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Written once under init_once, read after it: the one process-wide
 * state libsrtp itself imposes. */
static int init_rc = SYNTH_EINTERNAL;
static struct synth_error init_err;

/* libsrtp keeps its packet processing, key derivation and replay windows;
 * its AES-ICM and HMAC-SHA1 become OpenSSL's (srtp_ossl_crypto.h): the NSS
 * ones Debian builds it with cost more per packet the more sessions live.
 * Failing to install them is an error, not a fallback to NSS. */
static void init_library(void)
{
    srtp_err_status_t st = srtp_init();
    if (st != srtp_err_status_ok) {
        init_rc = synth_error_set(&init_err, SYNTH_EINTERNAL, "srtp: srtp_init failed (%d)",
                                  (int)st);
        return;
    }
    init_rc = srtpossl_install(&init_err);
}

int srtpsess_global_init(struct synth_error *err)
{
    pthread_once(&init_once, init_library);
    if (init_rc)
        return synth_error_set(err, init_rc, "%s", init_err.msg);
    return 0;
}

static const char *const suite_names[] = {
    [SRTPSESS_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
    [SRTPSESS_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
};

int srtpsess_suite_parse(const char *name, size_t len, enum srtpsess_suite *out)
{
    for (size_t i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++) {
        if (strlen(suite_names[i]) == len && memcmp(suite_names[i], name, len) == 0) {
            *out = (enum srtpsess_suite)i;
            return 0;
        }
    }
    return SYNTH_EUNSUPPORTED;
}

const char *srtpsess_suite_name(enum srtpsess_suite suite)
{
    if ((size_t)suite >= sizeof(suite_names) / sizeof(suite_names[0]))
        return "unknown";
    return suite_names[suite];
}

static void fill_policy(srtp_policy_t *pol, enum srtpsess_suite suite, enum srtpsess_dir dir)
{
    memset(pol, 0, sizeof(*pol));
    if (suite == SRTPSESS_AES_CM_128_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
    /* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag for both suites. */
    srtp_crypto_policy_set_rtcp_default(&pol->rtcp);
    pol->ssrc.type = dir == SRTPSESS_SEND ? ssrc_any_outbound : ssrc_any_inbound;
    pol->window_size = SRTPSESS_REPLAY_WINDOW;
    pol->allow_repeat_tx = 0;
    pol->next = NULL;
}

int srtpsess_create(struct srtpsess **out, enum srtpsess_suite suite, enum srtpsess_dir dir,
                    const struct sdes_key *k, struct synth_error *err)
{
    int rc = srtpsess_global_init(err);
    if (rc)
        return rc;
    if ((suite != SRTPSESS_AES_CM_128_HMAC_SHA1_80 && suite != SRTPSESS_AES_CM_128_HMAC_SHA1_32) ||
        (k->has_mki && (k->mki_len == 0 || k->mki_len > SDES_MKI_LEN_MAX)))
        return synth_error_set(err, SYNTH_EINVAL, "srtp: bad suite or MKI length");

    struct srtpsess *s = calloc(1, sizeof(*s));
    if (!s)
        return synth_error_set(err, SYNTH_ENOMEM, "srtp: out of memory");
    s->dir = dir;
    s->use_mki = k->has_mki;
    s->mki_len = k->has_mki ? k->mki_len : 0;
    s->rtp_tag_len = suite == SRTPSESS_AES_CM_128_HMAC_SHA1_32 ? TAG_LEN_32 : TAG_LEN_80;

    /* libsrtp derives the session keys in srtp_create and keeps no pointer
     * to these, so they live on the stack and are wiped at once. */
    unsigned char key[SDES_KEY_SALT_LEN];
    unsigned char mki[SDES_MKI_LEN_MAX];
    memcpy(key, k->key_salt, sizeof(key));
    sdes_key_mki_bytes(k, mki);
    srtp_master_key_t master = {.key = key, .mki_id = mki, .mki_size = (unsigned)s->mki_len};
    srtp_master_key_t *keys[1] = {&master};

    srtp_policy_t pol;
    fill_policy(&pol, suite, dir);
    if (s->use_mki) {
        pol.keys = keys;
        pol.num_master_keys = 1;
    } else {
        pol.key = key;
    }
    srtp_err_status_t st = srtp_create(&s->ctx, &pol);
    OPENSSL_cleanse(key, sizeof(key));
    if (st != srtp_err_status_ok) {
        rc = synth_error_set(err, st == srtp_err_status_alloc_fail ? SYNTH_ENOMEM : SYNTH_EINTERNAL,
                             "srtp: srtp_create failed (%d)", (int)st);
        goto out;
    }
    *out = s;
    s = NULL;
out:
    free(s);
    return rc;
}

void srtpsess_free(struct srtpsess *s)
{
    if (!s)
        return;
    if (s->ctx)
        srtp_dealloc(s->ctx);
    free(s);
}

size_t srtpsess_rtp_overhead(const struct srtpsess *s)
{
    return s->rtp_tag_len + s->mki_len;
}

size_t srtpsess_rtcp_overhead(const struct srtpsess *s)
{
    return TAG_LEN_80 + SRTCP_INDEX_LEN + s->mki_len;
}

const struct srtpsess_counters *srtpsess_counters(const struct srtpsess *s)
{
    return &s->counters;
}

static int check_packet(const struct srtpsess *s, enum srtpsess_dir want, size_t len, bool rtcp,
                        struct synth_error *err)
{
    if (s->dir != want)
        return synth_error_set(err, SYNTH_EINVAL, "srtp: session is for the other direction");
    if (len < (rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN) || len > INT_MAX / 2)
        return synth_error_set(err, SYNTH_EINVAL, "srtp: %s packet of %zu bytes",
                               rtcp ? "RTCP" : "RTP", len);
    return 0;
}

static int protect(struct srtpsess *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp,
                   struct synth_error *err)
{
    int rc = check_packet(s, SRTPSESS_SEND, *len, rtcp, err);
    if (rc)
        return rc;
    size_t overhead = rtcp ? srtpsess_rtcp_overhead(s) : srtpsess_rtp_overhead(s);
    if (cap < *len || cap - *len < overhead)
        return synth_error_set(err, SYNTH_ETOOBIG, "srtp: %zu bytes of room, %zu needed",
                               cap - *len, overhead);
    int n = (int)*len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp_mki(s->ctx, buf, &n, s->use_mki, 0)
                                : srtp_protect_mki(s->ctx, buf, &n, s->use_mki, 0);
    if (st != srtp_err_status_ok) {
        s->counters.other_fail++;
        return synth_error_set(err, SYNTH_EINTERNAL, "srtp: protect failed (%d)", (int)st);
    }
    if (rtcp)
        s->counters.rtcp_ok++;
    else
        s->counters.rtp_ok++;
    *len = (size_t)n;
    return 0;
}

/* Maps a libsrtp refusal to our result and its counter. */
static enum srtpsess_result classify(struct srtpsess *s, srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_auth_fail:
        s->counters.auth_fail++;
        return SRTPSESS_AUTH_FAIL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        s->counters.replay_fail++;
        return SRTPSESS_REPLAY;
    case srtp_err_status_bad_mki:
        s->counters.bad_mki++;
        return SRTPSESS_BAD_MKI;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
        s->counters.malformed++;
        return SRTPSESS_MALFORMED;
    default:
        s->counters.other_fail++;
        return SRTPSESS_FAIL;
    }
}

static const char *result_text(enum srtpsess_result r)
{
    switch (r) {
    case SRTPSESS_OK: return "ok";
    case SRTPSESS_AUTH_FAIL: return "authentication failed";
    case SRTPSESS_REPLAY: return "replayed packet";
    case SRTPSESS_BAD_MKI: return "unknown MKI";
    case SRTPSESS_MALFORMED: return "malformed packet";
    case SRTPSESS_FAIL: break;
    }
    return "failed";
}

static int unprotect(struct srtpsess *s, uint8_t *buf, size_t *len, bool rtcp,
                     enum srtpsess_result *res, struct synth_error *err)
{
    enum srtpsess_result r = SRTPSESS_MALFORMED;
    int rc = check_packet(s, SRTPSESS_RECV, *len, rtcp, err);
    if (rc) {
        if (s->dir == SRTPSESS_RECV)
            s->counters.malformed++;
        goto out;
    }
    int n = (int)*len;
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp_mki(s->ctx, buf, &n, s->use_mki)
                                : srtp_unprotect_mki(s->ctx, buf, &n, s->use_mki);
    if (st != srtp_err_status_ok) {
        r = classify(s, st);
        rc = synth_error_set(err, r == SRTPSESS_FAIL ? SYNTH_EINTERNAL : SYNTH_EAUTH,
                             "srtp: %s unprotect: %s (%d)", rtcp ? "RTCP" : "RTP",
                             result_text(r), (int)st);
        goto out;
    }
    r = SRTPSESS_OK;
    if (rtcp)
        s->counters.rtcp_ok++;
    else
        s->counters.rtp_ok++;
    *len = (size_t)n;
out:
    if (res)
        *res = r;
    return rc;
}

int srtpsess_protect_rtp(struct srtpsess *s, uint8_t *buf, size_t *len, size_t cap,
                         struct synth_error *err)
{
    return protect(s, buf, len, cap, false, err);
}

int srtpsess_unprotect_rtp(struct srtpsess *s, uint8_t *buf, size_t *len,
                           enum srtpsess_result *res, struct synth_error *err)
{
    return unprotect(s, buf, len, false, res, err);
}

int srtpsess_protect_rtcp(struct srtpsess *s, uint8_t *buf, size_t *len, size_t cap,
                          struct synth_error *err)
{
    return protect(s, buf, len, cap, true, err);
}

int srtpsess_unprotect_rtcp(struct srtpsess *s, uint8_t *buf, size_t *len,
                            enum srtpsess_result *res, struct synth_error *err)
{
    return unprotect(s, buf, len, true, res, err);
}
