/* The machine's floor for a SIP UAC (issue #2, tests/bench/bench_uac_vs_sipp.sh):
 * the least CPU any calling side can spend per call against a SIPp UAS on
 * this kernel, beside which synth's and SIPp's own figures are read.
 *
 *   sip_uac_floor -a HOST:PORT [-r RATE] [-n CALLS] [-d HOLD_MS] [-u SOCKETS]
 *                 [-T udp|tcp] [-j FILE]
 *
 * It makes the calls SIPp's built-in uac scenario makes (INVITE, 180/200,
 * ACK, a hold, BYE, 200) with no SIP stack at all: messages are fixed
 * templates with the call's number written in, a response is recognised by
 * its status line and the call number in its Call-ID, the ACK copies the
 * 200's To header. No retransmissions, no timers per call (a hold is a FIFO,
 * as every hold is the same), no results beyond counters. Arrivals are paced
 * by the millisecond, as coarse event loops pace them. -u 1 is SIPp's
 * `-t u1` (one socket for every call); -u N spreads the calls over N
 * sockets in turn, as synth's one socket per user does. CPU is this
 * process's user+sys (getrusage; on loopback the kernel's receive work of
 * the UAS runs in the sender's context and is charged here, as it is to
 * synth and SIPp). What remains is the kernel's cost of the datagrams and
 * wake-ups themselves: no UAC can go below it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CALLS_MAX 1000000
#define SOCKETS_MAX 20000
#define MSG_MAX 2048
#define EVENTS_MAX 256
/* A TCP stream can hold several responses; this much is buffered per socket. */
#define STREAM_BUF 8192
/* Seconds after the last arrival for the last calls to end. */
#define DRAIN_S 5

enum call_state { CALL_IDLE, CALL_INVITED, CALL_HELD, CALL_BYE_SENT, CALL_DONE };

struct call {
    uint8_t state;
    int64_t bye_due_us;
    char to[256]; /* the 200's To header value, for ACK and BYE */
};

struct sock {
    int fd;
    char local[32]; /* its address, for Via/Contact: SIPp's UAS answers there */
    size_t have; /* TCP only: bytes buffered */
    char *buf;
};

struct floor_run {
    struct sockaddr_in uas;
    bool tcp;
    int rate, hold_ms;
    int64_t quantum_us; /* -q: at most one wake-up per quantum (0: wake on every arrival) */
    uint32_t calls, sockets;
    struct call *call;
    struct sock *sock;
    int ep;
    uint32_t started, done, failed, unmatched;
    uint32_t *held; /* FIFO of calls waiting for their BYE */
    uint32_t held_head, held_tail;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int send_msg(struct floor_run *r, uint32_t n, const char *buf, int len)
{
    struct sock *s = &r->sock[n % r->sockets];
    ssize_t w = send(s->fd, buf, (size_t)len, MSG_NOSIGNAL);
    return w == len ? 0 : -1;
}

/* Via, From, To, Call-ID, CSeq: what SIPp's UAS echoes and keys on. */
static int build(struct floor_run *r, char *buf, const char *method, uint32_t n,
                 const char *to, int cseq)
{
    const char *tp = r->tcp ? "TCP" : "UDP";
    char uas[64];
    inet_ntop(AF_INET, &r->uas.sin_addr, uas, sizeof(uas));
    unsigned port = ntohs(r->uas.sin_port);
    const char *local = r->sock[n % r->sockets].local;
    return snprintf(buf, MSG_MAX,
                    "%s sip:service@%s:%u SIP/2.0\r\n"
                    "Via: SIP/2.0/%s %s;branch=z9hG4bK-f%" PRIu32 "-%d%s\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:floor@%s>;tag=f%" PRIu32 "\r\n"
                    "To: %s\r\n"
                    "Call-ID: floor-%" PRIu32 "\r\n"
                    "CSeq: %d %s\r\n"
                    "Contact: <sip:floor@%s>\r\n"
                    "Content-Length: 0\r\n\r\n",
                    method, uas, port, tp, local, n, cseq, strcmp(method, "ACK") ? "" : "a",
                    local, n, to, n, cseq, method, local);
}

static void start_call(struct floor_run *r, uint32_t n)
{
    char buf[MSG_MAX], to[128];
    char uas[64];
    inet_ntop(AF_INET, &r->uas.sin_addr, uas, sizeof(uas));
    snprintf(to, sizeof(to), "<sip:service@%s:%u>", uas, ntohs(r->uas.sin_port));
    int len = build(r, buf, "INVITE", n, to, 1);
    r->call[n].state = CALL_INVITED;
    r->started++;
    if (send_msg(r, n, buf, len) != 0) {
        r->call[n].state = CALL_DONE;
        r->failed++;
    }
}

static bool header_value(const char *msg, size_t len, const char *name, const char **v,
                         size_t *vl)
{
    size_t nl = strlen(name);
    const char *p = msg, *end = msg + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return false;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *s = p + nl + 1;
            while (s < eol && *s == ' ')
                s++;
            const char *e = eol;
            if (e > s && e[-1] == '\r')
                e--;
            *v = s;
            *vl = (size_t)(e - s);
            return true;
        }
        p = eol + 1;
    }
    return false;
}

static void on_response(struct floor_run *r, const char *msg, size_t len)
{
    const char *v;
    size_t vl;
    if (len < 12 || memcmp(msg, "SIP/2.0 ", 8) != 0 ||
        !header_value(msg, len, "Call-ID", &v, &vl) || vl < 7 || memcmp(v, "floor-", 6) != 0) {
        r->unmatched++;
        return;
    }
    uint32_t n = (uint32_t)strtoul(v + 6, NULL, 10);
    int status = atoi(msg + 8);
    if (n >= r->calls) {
        r->unmatched++;
        return;
    }
    struct call *c = &r->call[n];
    if (status < 200)
        return;
    if (c->state == CALL_INVITED) {
        if (status >= 300 || !header_value(msg, len, "To", &v, &vl) || vl >= sizeof(c->to)) {
            c->state = CALL_DONE;
            r->failed++;
            return;
        }
        memcpy(c->to, v, vl);
        c->to[vl] = '\0';
        char buf[MSG_MAX];
        int l = build(r, buf, "ACK", n, c->to, 1);
        send_msg(r, n, buf, l);
        c->state = CALL_HELD;
        c->bye_due_us = now_us() + (int64_t)r->hold_ms * 1000;
        r->held[r->held_tail++ % r->calls] = n;
    } else if (c->state == CALL_BYE_SENT) {
        c->state = CALL_DONE;
        if (status < 300)
            r->done++;
        else
            r->failed++;
    }
}

/* Messages from one socket: a datagram each over UDP; over TCP, as many
 * complete messages (header end plus Content-Length) as the stream holds. */
static void on_readable(struct floor_run *r, struct sock *s)
{
    char dgram[MSG_MAX];
    if (!r->tcp) {
        for (;;) {
            ssize_t n = recv(s->fd, dgram, sizeof(dgram), MSG_DONTWAIT);
            if (n <= 0)
                return;
            on_response(r, dgram, (size_t)n);
        }
    }
    ssize_t n = recv(s->fd, s->buf + s->have, STREAM_BUF - s->have, MSG_DONTWAIT);
    if (n <= 0)
        return;
    s->have += (size_t)n;
    for (;;) {
        char *end = memmem(s->buf, s->have, "\r\n\r\n", 4);
        if (!end)
            break;
        size_t hl = (size_t)(end - s->buf) + 4, bl = 0;
        const char *v;
        size_t vl;
        if (header_value(s->buf, hl, "Content-Length", &v, &vl))
            bl = strtoul(v, NULL, 10);
        if (hl + bl > s->have)
            break;
        on_response(r, s->buf, hl + bl);
        memmove(s->buf, s->buf + hl + bl, s->have - hl - bl);
        s->have -= hl + bl;
    }
    if (s->have == STREAM_BUF)
        s->have = 0; /* a message larger than the buffer: not SIPp's */
}

static void send_due_byes(struct floor_run *r, int64_t now)
{
    while (r->held_head != r->held_tail) {
        uint32_t n = r->held[r->held_head % r->calls];
        struct call *c = &r->call[n];
        if (c->bye_due_us > now)
            return;
        r->held_head++;
        char buf[MSG_MAX];
        int l = build(r, buf, "BYE", n, c->to, 2);
        c->state = CALL_BYE_SENT;
        if (send_msg(r, n, buf, l) != 0) {
            c->state = CALL_DONE;
            r->failed++;
        }
    }
}

static int open_sockets(struct floor_run *r)
{
    r->ep = epoll_create1(0);
    if (r->ep < 0)
        return -1;
    for (uint32_t i = 0; i < r->sockets; i++) {
        struct sock *s = &r->sock[i];
        s->fd = socket(AF_INET, r->tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
        if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&r->uas, sizeof(r->uas)) != 0)
            return -1;
        if (r->tcp) {
            int one = 1;
            setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (!(s->buf = malloc(STREAM_BUF)))
                return -1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0)
            return -1;
        struct sockaddr_in me;
        socklen_t ml = sizeof(me);
        char a[INET_ADDRSTRLEN];
        if (getsockname(s->fd, (struct sockaddr *)&me, &ml) != 0 ||
            !inet_ntop(AF_INET, &me.sin_addr, a, sizeof(a)))
            return -1;
        snprintf(s->local, sizeof(s->local), "%s:%u", a, ntohs(me.sin_port));
    }
    return 0;
}

static void run_loop(struct floor_run *r)
{
    struct epoll_event evs[EVENTS_MAX];
    int64_t t0 = now_us(), last_start = t0;
    uint32_t next = 0;
    int64_t deadline = t0 + ((int64_t)r->calls * 1000000 / r->rate) + DRAIN_S * 1000000LL;
    while (r->done + r->failed < r->calls) {
        int64_t now = now_us();
        if (now > deadline)
            break;
        /* Every arrival due by now, as an open model does (no catching up
         * beyond the schedule, no skipping). */
        while (next < r->calls && t0 + (int64_t)next * 1000000 / r->rate <= now)
            start_call(r, next++);
        last_start = now;
        send_due_byes(r, now);
        int64_t wake = deadline;
        if (next < r->calls)
            wake = t0 + (int64_t)next * 1000000 / r->rate;
        if (r->held_head != r->held_tail) {
            int64_t b = r->call[r->held[r->held_head % r->calls]].bye_due_us;
            if (b < wake)
                wake = b;
        }
        int ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        int n = epoll_wait(r->ep, evs, EVENTS_MAX, ms);
        for (int i = 0; i < n; i++)
            on_readable(r, &r->sock[evs[i].data.u32]);
        if (r->quantum_us > 0 && n > 0) {
            /* Batch: nothing more until the next quantum, so what arrives
             * meanwhile is read in one wake-up. */
            int64_t q = r->quantum_us, t = now_us();
            struct timespec ts = {.tv_sec = (t / q + 1) * q / 1000000,
                                  .tv_nsec = (long)((t / q + 1) * q % 1000000) * 1000};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
    }
    (void)last_start;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: sip_uac_floor -a HOST:PORT [-r RATE] [-n CALLS] [-d HOLD_MS] "
                    "[-u SOCKETS] [-T udp|tcp] [-j FILE]\n");
}

int main(int argc, char **argv)
{
    struct floor_run r = {.rate = 1000, .hold_ms = 100, .calls = 10000, .sockets = 1};
    const char *json = NULL;
    bool have_addr = false;
    int opt;
    while ((opt = getopt(argc, argv, "a:r:n:d:u:T:j:q:h")) != -1) {
        switch (opt) {
        case 'a': have_addr = parse_addr(optarg, &r.uas) == 0; break;
        case 'r': r.rate = atoi(optarg); break;
        case 'n': r.calls = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'd': r.hold_ms = atoi(optarg); break;
        case 'u': r.sockets = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'T': r.tcp = strcmp(optarg, "tcp") == 0; break;
        case 'j': json = optarg; break;
        case 'q': r.quantum_us = atoll(optarg); break;
        default: usage(); return opt == 'h' ? 0 : 2;
        }
    }
    if (!have_addr || r.rate < 1 || r.rate > 100000 || r.calls < 1 || r.calls > CALLS_MAX ||
        r.sockets < 1 || r.sockets > SOCKETS_MAX || r.hold_ms < 0 || r.hold_ms > 60000) {
        usage();
        return 2;
    }
    r.call = calloc(r.calls, sizeof(*r.call));
    r.held = calloc(r.calls, sizeof(*r.held));
    r.sock = calloc(r.sockets, sizeof(*r.sock));
    if (!r.call || !r.held || !r.sock) {
        fprintf(stderr, "sip_uac_floor: out of memory\n");
        return 1;
    }
    if (open_sockets(&r) != 0) {
        fprintf(stderr, "sip_uac_floor: sockets to the UAS: %s\n", strerror(errno));
        return 1;
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    int64_t t0 = now_us();
    run_loop(&r);
    int64_t wall = now_us() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 ((double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                  (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;
    double per_k = r.done ? cpu * 1000.0 / r.done : 0;
    printf("floor: %" PRIu32 " calls, %" PRIu32 " ok, %" PRIu32 " failed, %" PRIu32
           " unfinished, %" PRIu32 " sockets, CPU %.3f s (%.4f s per 1000 calls), wall %.1f s\n",
           r.calls, r.done, r.failed, r.calls - r.done - r.failed, r.sockets, cpu, per_k,
           (double)wall / 1e6);
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "sip_uac_floor: %s: %s\n", json, strerror(errno));
            return 1;
        }
        fprintf(f,
                "{\"calls\": %" PRIu32 ", \"ok\": %" PRIu32 ", \"failed\": %" PRIu32
                ", \"sockets\": %" PRIu32 ", \"cpu_s\": %.6f, \"cpu_s_per_1k\": %.6f}\n",
                r.calls, r.done, r.failed, r.sockets, cpu, per_k);
        fclose(f);
    }
    return r.done == r.calls ? 0 : 1;
}
