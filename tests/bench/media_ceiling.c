/* The machine's media ceiling for tests/bench/bench_media.sh (issue #3): what
 * one 20 ms PCMU SRTP packet costs at minimum on this machine, and from that
 * how many bidirectional calls its cores could carry at best.
 *
 *   media_ceiling [-t SECONDS] [-c CORES] [-b BURST] [-s SESSIONS] [-j FILE]
 *
 * Four loops on loopback, each for SECONDS (default 2), one thread:
 *   bare    sendto of a 182-byte datagram (12 RTP header + 160 PCMU + 10 SRTP
 *           tag) from one UDP socket to another, drained with recv;
 *   srtp    srtpsess_protect_rtp + srtpsess_unprotect_rtp of a 172-byte PCMU
 *           RTP packet, AES_CM_128_HMAC_SHA1_80 (synth's media/srtp_session
 *           over libsrtp2), keys from sdes_key_generate; also protect alone;
 *   send    synth's send path per packet: the next 20 ms of a prompt as
 *           PCMU through media/prompt_player (a copy of the prompt's coding
 *           made at load), rtp_build, protect, sendto (drained as in bare);
 *           also with a prompt built without codings, so every packet is
 *           encoded (what the send path did before issue #3's change);
 *   full    send, then recv and unprotect on the other socket: one packet
 *           of a call, both ends, as one loop.
 * CPU is this process's (CLOCK_PROCESS_CPUTIME_ID: on loopback the kernel's
 * receive work runs in the sender's context and is charged here too), so the
 * per-packet figures hold on a loaded machine; packets/s are also given by
 * wall time. The table goes to stdout; -j FILE also writes the figures as
 * one JSON object (for bench_media.sh). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "media/audio_codec.h"
#include "media/prompt.h"
#include "media/prompt_player.h"
#include "media/rtp.h"
#include "media/sdes_key.h"
#include "media/srtp_session.h"
#include "synth/base/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* RFC 3551 4.5: 20 ms of 8 kHz G.711 is 160 samples, 50 packets a second. */
#define FRAME_SAMPLES 160
#define PACKETS_PER_S 50
#define RTP_LEN (RTP_HEADER_MIN + FRAME_SAMPLES)  /* 172 */
#define SRTP_TAG_LEN 10                            /* HMAC_SHA1_80 */
#define SRTP_LEN (RTP_LEN + SRTP_TAG_LEN)          /* 182 */
/* A second of prompt, looped, as media_stream plays its prompt. */
#define PROMPT_SAMPLES 8000
/* Look at the clock once per this many iterations: a clock_gettime per
 * packet would be a visible part of what is measured. */
#define CLOCK_EVERY 256
#define BURST_MAX 256
/* Two per call (send, receive) for the largest bench_media counts. */
#define SESSIONS_MAX 20000

struct result {
    uint64_t n;        /* packets (or pairs) done */
    uint64_t dropped;  /* sent but not received (bare, send, full) */
    double wall_s;
    double cpu_s;
};

struct ctx {
    int tx_fd, rx_fd;
    struct sockaddr_in rx_addr;
    struct srtpsess *tx, *rx;
    struct prompt prompt;          /* coded at load, as synth's are */
    struct prompt uncoded;         /* the same samples (borrowed), no codings */
    struct prompt_player player;   /* over one of them, per loop */
    struct audio_codec pcmu;
    uint8_t rtp_template[RTP_LEN];
    int burst;
    double seconds;
    int sessions;       /* for loop_many */
};

static double now_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "media_ceiling: %s: %s\n", what, detail);
    exit(1);
}

static int udp_socket(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die("socket", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)bound, &len) != 0)
        die("bind", strerror(errno));
    return fd;
}

/* Drains rx_fd; returns the packets read. */
static uint64_t drain(int fd)
{
    uint8_t buf[RTP_PACKET_MAX];
    uint64_t n = 0;
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
        n++;
    return n;
}

/* New send and receive sessions on one fresh key, the index at 0: every
 * loop starts its sequence numbers at 1 (protect refuses an index it has
 * used, as RFC 3711 9.2 asks, so sessions are not shared between loops). */
static void fresh_sessions(struct ctx *c)
{
    struct sdes_key k;
    struct synth_error err = {{0}};
    srtpsess_free(c->tx);
    srtpsess_free(c->rx);
    c->tx = c->rx = NULL;
    if (sdes_key_generate(&k, &err) != 0 ||
        srtpsess_create(&c->tx, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_SEND, &k, &err) != 0 ||
        srtpsess_create(&c->rx, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_RECV, &k, &err) != 0)
        die("srtp session", err.msg);
}

/* ---- the loops: each returns how many it did in about ctx->seconds ---- */

typedef uint64_t(loop_h)(struct ctx *c, uint64_t *dropped);

static void run(struct ctx *c, loop_h *fn, struct result *r)
{
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    r->dropped = 0;
    r->n = fn(c, &r->dropped);
    r->wall_s = now_s(CLOCK_MONOTONIC) - w0;
    r->cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
}

static bool time_up(const struct ctx *c, uint64_t i, double t0)
{
    return i % CLOCK_EVERY == 0 && now_s(CLOCK_MONOTONIC) - t0 >= c->seconds;
}

static uint64_t loop_bare(struct ctx *c, uint64_t *dropped)
{
    uint8_t pkt[SRTP_LEN];
    memset(pkt, 0xa5, sizeof(pkt));
    memcpy(pkt, c->rtp_template, RTP_HEADER_MIN);
    uint64_t sent = 0, got = 0;
    double t0 = now_s(CLOCK_MONOTONIC);
    for (uint64_t i = 1;; i++) {
        for (int b = 0; b < c->burst; b++) {
            if (sendto(c->tx_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&c->rx_addr,
                       sizeof(c->rx_addr)) == (ssize_t)sizeof(pkt))
                sent++;
        }
        got += drain(c->rx_fd);
        if (time_up(c, i, t0))
            break;
    }
    *dropped = sent - got;
    return got;
}

static void next_rtp(struct ctx *c, uint8_t *buf, uint16_t seq)
{
    memcpy(buf, c->rtp_template, RTP_LEN);
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * FRAME_SAMPLES;
    buf[4] = (uint8_t)(ts >> 24);
    buf[5] = (uint8_t)(ts >> 16);
    buf[6] = (uint8_t)(ts >> 8);
    buf[7] = (uint8_t)ts;
}

static uint64_t loop_protect(struct ctx *c, uint64_t *dropped)
{
    /* 4-byte aligned, as srtpsess asks. */
    uint32_t words[(RTP_LEN + SRTPSESS_OVERHEAD_MAX + 3) / 4];
    uint8_t *buf = (uint8_t *)words;
    uint16_t seq = 1;
    fresh_sessions(c);
    double t0 = now_s(CLOCK_MONOTONIC);
    for (uint64_t i = 1;; i++) {
        next_rtp(c, buf, seq++);
        size_t len = RTP_LEN;
        if (srtpsess_protect_rtp(c->tx, buf, &len, sizeof(words), NULL) != 0 || len != SRTP_LEN)
            die("protect", "failed");
        if (time_up(c, i, t0))
            return i;
    }
}

static uint64_t loop_pair(struct ctx *c, uint64_t *dropped)
{
    uint32_t words[(RTP_LEN + SRTPSESS_OVERHEAD_MAX + 3) / 4];
    uint8_t *buf = (uint8_t *)words;
    uint16_t seq = 1;
    fresh_sessions(c);
    double t0 = now_s(CLOCK_MONOTONIC);
    uint64_t i;
    for (i = 1;; i++) {
        next_rtp(c, buf, seq++);
        size_t len = RTP_LEN;
        enum srtpsess_result res;
        if (srtpsess_protect_rtp(c->tx, buf, &len, sizeof(words), NULL) != 0 ||
            srtpsess_unprotect_rtp(c->rx, buf, &len, &res, NULL) != 0 || len != RTP_LEN)
            die("protect+unprotect", "a packet did not round-trip");
        if (time_up(c, i, t0))
            break;
    }
    return i;
}

/* The pair over c->sessions sessions in turn, each with its own key and
 * sequence numbers. */
static uint64_t loop_many(struct ctx *c, uint64_t *dropped)
{
    uint32_t words[(RTP_LEN + SRTPSESS_OVERHEAD_MAX + 3) / 4];
    uint8_t *buf = (uint8_t *)words;
    int n = c->sessions;
    struct srtpsess **tx = calloc((size_t)n, sizeof(*tx)), **rx = calloc((size_t)n, sizeof(*rx));
    uint16_t *seq = calloc((size_t)n, sizeof(*seq));
    if (!tx || !rx || !seq)
        die("sessions", "out of memory");
    for (int i = 0; i < n; i++) {
        struct sdes_key k;
        struct synth_error err = {{0}};
        if (sdes_key_generate(&k, &err) != 0 ||
            srtpsess_create(&tx[i], SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_SEND, &k, &err) != 0 ||
            srtpsess_create(&rx[i], SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_RECV, &k, &err) != 0)
            die("srtp session", err.msg);
        seq[i] = 1;
    }
    double t0 = now_s(CLOCK_MONOTONIC);
    uint64_t i;
    for (i = 1;; i++) {
        int s = (int)(i % (uint64_t)n);
        next_rtp(c, buf, seq[s]++);
        size_t len = RTP_LEN;
        enum srtpsess_result res;
        if (srtpsess_protect_rtp(tx[s], buf, &len, sizeof(words), NULL) != 0 ||
            srtpsess_unprotect_rtp(rx[s], buf, &len, &res, NULL) != 0 || len != RTP_LEN)
            die("protect+unprotect", "a packet did not round-trip");
        if (time_up(c, i, t0))
            break;
    }
    for (int j = 0; j < n; j++) {
        srtpsess_free(tx[j]);
        srtpsess_free(rx[j]);
    }
    free(tx);
    free(rx);
    free(seq);
    return i;
}

/* One packet of synth's sender (media_stream.c send_frame/send_packet). */
static int build_and_protect(struct ctx *c, uint16_t seq, uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t payload[FRAME_SAMPLES];
    size_t n = prompt_player_next(&c->player, &c->pcmu, FRAME_SAMPLES, payload);
    struct rtp_header h = {
        .pt = 0,
        .seq = seq,
        .ts = (uint32_t)seq * FRAME_SAMPLES,
        .ssrc = 0x5eed1234,
    };
    if (rtp_build(&h, payload, n, buf, cap, len) != 0)
        return -1;
    return srtpsess_protect_rtp(c->tx, buf, len, cap, NULL);
}

static uint64_t loop_send_from(struct ctx *c, const struct prompt *prompt, uint64_t *dropped)
{
    uint32_t words[(RTP_PACKET_MAX + SRTPSESS_OVERHEAD_MAX + 3) / 4];
    uint8_t *buf = (uint8_t *)words;
    uint16_t seq = 1;
    fresh_sessions(c);
    prompt_player_init(&c->player, prompt, true);
    uint64_t sent = 0, got = 0;
    double t0 = now_s(CLOCK_MONOTONIC);
    for (uint64_t i = 1;; i++) {
        for (int b = 0; b < c->burst; b++) {
            size_t len = 0;
            if (build_and_protect(c, seq++, buf, sizeof(words), &len) != 0 || len != SRTP_LEN)
                die("send path", "build or protect failed");
            if (sendto(c->tx_fd, buf, len, 0, (struct sockaddr *)&c->rx_addr,
                       sizeof(c->rx_addr)) == (ssize_t)len)
                sent++;
        }
        got += drain(c->rx_fd);
        if (time_up(c, i, t0))
            break;
    }
    *dropped = sent - got;
    return got;
}

static uint64_t loop_send(struct ctx *c, uint64_t *dropped)
{
    return loop_send_from(c, &c->prompt, dropped);
}

/* The send loop encoding every packet, as before the prompt was coded at load. */
static uint64_t loop_send_encoding(struct ctx *c, uint64_t *dropped)
{
    return loop_send_from(c, &c->uncoded, dropped);
}

static uint64_t loop_full(struct ctx *c, uint64_t *dropped)
{
    uint32_t words[(RTP_PACKET_MAX + SRTPSESS_OVERHEAD_MAX + 3) / 4];
    uint8_t *buf = (uint8_t *)words;
    uint16_t seq = 1;
    fresh_sessions(c);
    prompt_player_init(&c->player, &c->prompt, true);
    uint64_t sent = 0, got = 0;
    double t0 = now_s(CLOCK_MONOTONIC);
    for (uint64_t i = 1;; i++) {
        for (int b = 0; b < c->burst; b++) {
            size_t len = 0;
            if (build_and_protect(c, seq++, buf, sizeof(words), &len) != 0)
                die("full path", "build or protect failed");
            if (sendto(c->tx_fd, buf, len, 0, (struct sockaddr *)&c->rx_addr,
                       sizeof(c->rx_addr)) == (ssize_t)len)
                sent++;
        }
        ssize_t n;
        while ((n = recv(c->rx_fd, buf, sizeof(words), MSG_DONTWAIT)) >= 0) {
            size_t len = (size_t)n;
            enum srtpsess_result res;
            if (srtpsess_unprotect_rtp(c->rx, buf, &len, &res, NULL) != 0 || len != RTP_LEN)
                die("full path", "unprotect failed");
            got++;
        }
        if (time_up(c, i, t0))
            break;
    }
    *dropped = sent - got;
    return got;
}

/* ---- output ---- */

static double us_per(const struct result *r)
{
    return r->n ? r->cpu_s * 1e6 / (double)r->n : 0;
}

static double per_wall_s(const struct result *r)
{
    return r->wall_s > 0 ? (double)r->n / r->wall_s : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: media_ceiling [-t SECONDS] [-c CORES] [-b BURST] [-s SESSIONS] [-j FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct ctx c = {.burst = 16, .seconds = 2, .sessions = 1000};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *json = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "t:c:b:s:j:")) != -1) {
        switch (opt) {
        case 't': c.seconds = atof(optarg); break;
        case 'c': cores = atol(optarg); break;
        case 'b': c.burst = atoi(optarg); break;
        case 's': c.sessions = atoi(optarg); break;
        case 'j': json = optarg; break;
        default: usage();
        }
    }
    if (c.seconds <= 0 || c.seconds > 60 || cores < 1 || c.burst < 1 || c.burst > BURST_MAX ||
        c.sessions < 1 || c.sessions > SESSIONS_MAX)
        usage();

    struct synth_error err = {{0}};
    if (srtpsess_global_init(&err) != 0)
        die("srtp", err.msg);
    struct sockaddr_in tx_addr;
    c.tx_fd = udp_socket(&tx_addr);
    c.rx_fd = udp_socket(&c.rx_addr);
    /* A speech-like level so the encoder sees varied samples, not silence. */
    if (prompt_silence(&c.prompt, PROMPT_SAMPLES * 1000 / 8000, &err) != 0 ||
        audio_codec_open(&c.pcmu, AUDIO_CODEC_PT_PCMU) != 0)
        die("prompt", err.msg);
    for (int i = 0; i < PROMPT_SAMPLES; i++)
        c.prompt.pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 8000.0) +
                                    2000 * sin(2 * M_PI * 1270 * i / 8000.0));
    if (prompt_code(&c.prompt, &err) != 0)
        die("prompt", err.msg);
    /* Borrows the samples; without codings the player encodes each frame. */
    c.uncoded = (struct prompt){.pcm = c.prompt.pcm, .samples = c.prompt.samples};
    {
        uint8_t payload[FRAME_SAMPLES];
        size_t used = 0;
        struct rtp_header h = {.pt = 0, .seq = 1, .ts = 0, .ssrc = 0x5eed1234};
        memcpy(payload, c.prompt.coded[G711LAW_MU], FRAME_SAMPLES);
        if (rtp_build(&h, payload, sizeof(payload), c.rtp_template, sizeof(c.rtp_template),
                      &used) != 0 || used != RTP_LEN)
            die("rtp_build", "template");
    }

    struct result bare, prot, pair, many, send, send_enc, full;
    run(&c, loop_bare, &bare);
    run(&c, loop_protect, &prot);
    run(&c, loop_pair, &pair);
    run(&c, loop_many, &many);
    run(&c, loop_send, &send);
    run(&c, loop_send_encoding, &send_enc);
    run(&c, loop_full, &full);

    double bare_us = us_per(&bare), pair_us = us_per(&pair), prot_us = us_per(&prot);
    double send_enc_us = us_per(&send_enc);
    double send_us = us_per(&send), full_us = us_per(&full), many_us = us_per(&many);
    /* A call is two directions of 50 packets/s; each packet is protected and
     * sent by one end and received and unprotected by the other. */
    double call_s_us = 2.0 * PACKETS_PER_S * (bare_us + pair_us);
    double stream_s_us = call_s_us / 2;  /* the generator's half of a call */
    double ceiling_calls = (double)cores * 1e6 / call_s_us;
    /* Through a TURN relay a packet crosses loopback twice (client to the
     * relay, the relay to the peer), relay to relay three times: the bare
     * hop once more each, the SRTP work the same (the relay does none). */
    double relay_call_s_us = 2.0 * PACKETS_PER_S * (2 * bare_us + pair_us);
    double r2r_call_s_us = 2.0 * PACKETS_PER_S * (3 * bare_us + pair_us);
    double ceiling_relayed = (double)cores * 1e6 / relay_call_s_us;
    double ceiling_r2r = (double)cores * 1e6 / r2r_call_s_us;
    double ratio_cpu = send_us > 0 ? bare_us / send_us : 0;
    double ratio_wall = per_wall_s(&bare) > 0 ? per_wall_s(&send) / per_wall_s(&bare) : 0;

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f)
            die(json, strerror(errno));
        fprintf(f, "{\"seconds\":%.1f,\"burst\":%d,\"cores\":%ld,"
                "\"bare_pps\":%.0f,\"bare_us\":%.3f,\"bare_dropped\":%llu,"
                "\"protect_us\":%.3f,\"srtp_pair_us\":%.3f,\"srtp_pairs_per_s\":%.0f,"
                "\"sessions\":%d,\"srtp_pair_many_us\":%.3f,"
                "\"send_pps\":%.0f,\"send_us\":%.3f,\"send_ratio_cpu\":%.3f,"
                "\"send_ratio_wall\":%.3f,\"send_encoding_us\":%.3f,\"full_pps\":%.0f,\"full_us\":%.3f,"
                "\"call_second_us\":%.1f,\"stream_second_us\":%.1f,\"ceiling_calls\":%.0f,"
                "\"ceiling_relayed_calls\":%.0f,\"ceiling_relay_to_relay_calls\":%.0f}\n",
                c.seconds, c.burst, cores, per_wall_s(&bare), bare_us,
                (unsigned long long)bare.dropped, prot_us, pair_us, per_wall_s(&pair), c.sessions,
                many_us, per_wall_s(&send), send_us, ratio_cpu, ratio_wall, send_enc_us, per_wall_s(&full),
                full_us,
                call_s_us, stream_s_us, ceiling_calls, ceiling_relayed, ceiling_r2r);
        if (fclose(f) != 0)
            die(json, strerror(errno));
    }
    {
        printf("media ceiling: %.1f s per loop, bursts of %d, 182-byte SRTP / 172-byte RTP "
               "(PCMU 20 ms), AES_CM_128_HMAC_SHA1_80\n\n", c.seconds, c.burst);
        printf("%-46s %12s %12s %10s\n", "loop", "per s (wall)", "µs CPU each", "dropped");
        printf("%-46s %12.0f %12.3f %10llu\n", "(a) bare sendto + recv, 182 B", per_wall_s(&bare),
               bare_us, (unsigned long long)bare.dropped);
        printf("%-46s %12.0f %12.3f %10s\n", "(b) SRTP protect only", per_wall_s(&prot), prot_us,
               "-");
        printf("%-46s %12.0f %12.3f %10s\n", "(b) SRTP protect + unprotect (pair)",
               per_wall_s(&pair), pair_us, "-");
        char label[64];
        snprintf(label, sizeof(label), "(b) the pair over %d sessions in turn", c.sessions);
        printf("%-46s %12.0f %12.3f %10s\n", label, per_wall_s(&many), many_us, "-");
        printf("%-46s %12.0f %12.3f %10llu\n", "(c) send path: copy+build+protect+sendto",
               per_wall_s(&send), send_us, (unsigned long long)send.dropped);
        printf("%-46s %12.0f %12.3f %10llu\n", "(c') (c) encoding each packet (no codings)",
               per_wall_s(&send_enc), send_enc_us, (unsigned long long)send_enc.dropped);
        printf("%-46s %12.0f %12.3f %10llu\n", "(d) full: (c) + recv + unprotect",
               per_wall_s(&full), full_us, (unsigned long long)full.dropped);
        printf("\nsend path / bare loop: %.2f by CPU per packet, %.2f by packets/s (goal >= 0.50)\n",
               ratio_cpu, ratio_wall);
        printf("one call-second at minimum: 2 directions x %d packets x (%.2f + %.2f µs) = %.0f µs"
               " (generator's half: %.0f µs per stream-second)\n",
               PACKETS_PER_S, bare_us, pair_us, call_s_us, stream_s_us);
        printf("ceiling: %ld cores x 1e6 / %.0f = %.0f concurrent calls (all cores on media, "
               "generator and lab sharing them, no signalling, timers, RTCP or other load)\n",
               cores, call_s_us, ceiling_calls);
        printf("relayed (each packet crosses loopback twice): %.0f calls; relay to relay "
               "(three times): %.0f calls\n", ceiling_relayed, ceiling_r2r);
    }
    srtpsess_free(c.tx);
    srtpsess_free(c.rx);
    audio_codec_close(&c.pcmu);
    prompt_free(&c.prompt);
    close(c.tx_fd);
    close(c.rx_fd);
    return 0;
}
