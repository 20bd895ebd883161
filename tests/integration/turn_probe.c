/* A test driver of synth/turn against a TURN server: coturn in
 * tests/integration/test_peers_coturn.sh, the lab's relay in
 * tests/integration/test_lab_turn.sh, both in tests/bench/bench_turn_alloc.sh.
 *
 * Probe mode: a Binding (UDP), then allocate, permit an echo peer of our own
 * (a UDP socket in this process that sends back what reaches it), send
 * through the relay by Send indication and then by ChannelData, and check
 * every byte comes back by the same path; refresh; release. One line per step
 * on stdout ("allocate ok relayed=... allocate_us=..."); exit 0 when all
 * passed, 2 when the server refused (the line says the class, code and
 * reason), 1 on any other failure.
 *
 * Bench mode (--bench N): N allocations, --concurrency at a time, each
 * released when it succeeds; prints the rate and the allocate time
 * percentiles. --ms-turn (bench mode only: the probe's Binding and
 * CreatePermission have no MS-TURN form) speaks the A/V Edge's dialect. */
#include "synth/base/clock.h"
#include "synth/base/net_addr.h"
#include "synth/turn/stun_binding.h"
#include "synth/turn/turn_client.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Packets sent each way per path: enough to see order and loss, few enough
 * to stay a quick test. */
#define PROBE_PACKETS 5
#define PROBE_DEADLINE_S 20
#define BENCH_MAX 100000
#define BENCH_CONCURRENCY_MAX 1024

enum step {
    STEP_BINDING,
    STEP_ALLOCATE,
    STEP_PERMIT,
    STEP_INDICATIONS,
    STEP_CHANNEL,
    STEP_CHANNELDATA,
    STEP_REFRESH,
    STEP_RELEASE,
    STEP_DONE,
};

struct probe {
    struct event_base *base;
    struct turn_client_opts opts;
    struct turn_client *tc;
    enum step step;
    int exit_code;
    /* The echo peer. */
    int peer_fd;
    struct event *peer_ev;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    struct sockaddr_storage peer_saw; /* where the relayed packets came from */
    unsigned echoed;
    /* Data through the relay. */
    unsigned sent, matched;
    uint64_t rtt_sum_us;
    int64_t sent_us[PROBE_PACKETS];
    struct stun_binding *binding;
    int binding_fd;
    unsigned refresh_delay_ms; /* waits this long before the Refresh (a nonce can go stale) */
    unsigned deadline_s;       /* the whole probe's; PROBE_DEADLINE_S unless --deadline */
    struct event *delay_ev;
};

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, host,
                  sizeof(host));
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, host,
                  sizeof(host));
    snprintf(out, size, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             net_addr_port(ss));
}

static void stop(struct probe *p, int code)
{
    p->exit_code = code;
    p->step = STEP_DONE;
    event_base_loopbreak(p->base);
}

static bool failed(struct probe *p, const char *what, int err, const struct turn_result *res)
{
    if (err == 0 && res->code == 0)
        return false;
    printf("%s failed class=%s code=%u reason=\"%s\" err=\"%s\"\n", what,
           turn_result_class(err, res), res->code, res->reason, err ? synth_strerror(err) : "");
    stop(p, err == 0 ? 2 : 1);
    return true;
}

static void next_step(struct probe *p);

static void payload(unsigned i, enum step step, uint8_t *buf, size_t *len)
{
    *len = (size_t)snprintf((char *)buf, 64, "synth-turn-%s-%u",
                            step == STEP_INDICATIONS ? "indication" : "channel", i);
}

static void send_burst(struct probe *p)
{
    p->sent = p->matched = 0;
    p->rtt_sum_us = 0;
    for (unsigned i = 0; i < PROBE_PACKETS; i++) {
        uint8_t buf[64];
        size_t len;
        payload(i, p->step, buf, &len);
        p->sent_us[i] = clock_mono_us();
        int rc = turn_client_send(p->tc, (struct sockaddr *)&p->peer, buf, len);
        if (rc) {
            printf("send failed err=\"%s\"\n", synth_strerror(rc));
            stop(p, 1);
            return;
        }
        p->sent++;
    }
}

static void on_data(const struct sockaddr_storage *peer, const uint8_t *data, size_t len,
                    int64_t rx_us, void *arg)
{
    struct probe *p = arg;
    if (p->step != STEP_INDICATIONS && p->step != STEP_CHANNELDATA)
        return;
    uint8_t want[64];
    size_t want_len;
    payload(p->matched, p->step, want, &want_len);
    if (!net_addr_equal(peer, &p->peer) || len != want_len || memcmp(data, want, len) != 0) {
        printf("data mismatch: %zu bytes, want \"%.*s\"\n", len, (int)want_len, want);
        stop(p, 1);
        return;
    }
    p->rtt_sum_us += (uint64_t)(clock_mono_us() - p->sent_us[p->matched]);
    if (++p->matched < PROBE_PACKETS)
        return;
    const struct turn_client_stats *st = turn_client_stats(p->tc);
    char saw[64];
    addr_str(&p->peer_saw, saw, sizeof(saw));
    bool by_channel = p->step == STEP_CHANNELDATA;
    printf("%s ok packets=%u bytes_match=yes peer_saw=%s rtt_avg_us=%llu tx=%llu rx=%llu\n",
           by_channel ? "channeldata" : "indications", p->matched, saw,
           (unsigned long long)(p->rtt_sum_us / p->matched),
           (unsigned long long)(by_channel ? st->tx_channel : st->tx_indication),
           (unsigned long long)(by_channel ? st->rx_channel : st->rx_indication));
    p->step++;
    next_step(p);
}

/* The echo peer: sends back what the relay brings, to the relay. */
static void peer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    uint8_t buf[2048];
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    (void)what;
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    if (n < 0)
        return;
    p->peer_saw = from;
    p->echoed++;
    (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
}

static void on_done(int err, const struct turn_result *res, void *arg)
{
    struct probe *p = arg;
    static const char *names[] = {
        [STEP_PERMIT] = "permission", [STEP_CHANNEL] = "channel",
        [STEP_REFRESH] = "refresh", [STEP_RELEASE] = "release"};
    if (failed(p, names[p->step], err, res))
        return;
    if (p->step == STEP_REFRESH)
        printf("refresh ok lifetime=%u stale_nonces=%llu\n", turn_client_info(p->tc)->lifetime_s,
               (unsigned long long)turn_client_stats(p->tc)->stale_nonces);
    else
        printf("%s ok\n", names[p->step]);
    p->step++;
    next_step(p);
}

static void on_allocated(int err, const struct turn_result *res,
                         const struct turn_alloc_info *info, void *arg)
{
    struct probe *p = arg;
    if (failed(p, "allocate", err, res))
        return;
    char relayed[64], mapped[64];
    addr_str(&info->relayed, relayed, sizeof(relayed));
    addr_str(&info->mapped, mapped, sizeof(mapped));
    printf("allocate ok transport=%s relayed=%s mapped=%s lifetime=%u allocate_us=%lld "
           "requests=%u\n",
           p->opts.transport == TURN_TRANSPORT_TCP ? "tcp" : "udp", relayed, mapped,
           info->lifetime_s, (long long)info->allocate_us, info->requests);
    p->step++;
    next_step(p);
}

static void on_failed(int err, const struct turn_result *res, void *arg)
{
    failed(arg, "allocation", err ? err : SYNTH_EIO, res);
}

static void on_binding(int err, uint16_t code, const struct sockaddr_storage *mapped, void *arg)
{
    struct probe *p = arg;
    p->binding = NULL;
    if (err) {
        printf("binding failed err=\"%s\" code=%u\n", synth_strerror(err), code);
        stop(p, 1);
        return;
    }
    char m[64];
    addr_str(mapped, m, sizeof(m));
    printf("binding ok mapped=%s\n", m);
    p->step++;
    next_step(p);
}

static void refresh_now(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    (void)fd;
    (void)what;
    int rc = turn_client_refresh(p->tc, on_done, p);
    if (rc) {
        printf("refresh failed to start: %s\n", synth_strerror(rc));
        stop(p, 1);
    }
}

static void next_step(struct probe *p)
{
    int rc = 0;
    uint16_t ch = 0;
    switch (p->step) {
    case STEP_BINDING:
        if (p->opts.transport == TURN_TRANSPORT_TCP) {
            p->step++;
            next_step(p);
            return;
        }
        rc = stun_binding_start(&p->binding, p->base, p->binding_fd,
                                (struct sockaddr *)&p->opts.server, p->opts.server_len,
                                p->opts.rto_ms, 0, 0, on_binding, p);
        break;
    case STEP_ALLOCATE:
        rc = turn_client_allocate(p->tc);
        break;
    case STEP_PERMIT:
        rc = turn_client_permit(p->tc, (struct sockaddr *)&p->peer, on_done, p);
        break;
    case STEP_INDICATIONS:
    case STEP_CHANNELDATA:
        send_burst(p);
        return;
    case STEP_CHANNEL:
        rc = turn_client_bind_channel(p->tc, (struct sockaddr *)&p->peer, &ch, on_done, p);
        break;
    case STEP_REFRESH: {
        struct timeval tv = {p->refresh_delay_ms / 1000, (p->refresh_delay_ms % 1000) * 1000};
        rc = evtimer_add(p->delay_ev, &tv) == 0 ? 0 : SYNTH_ENOMEM;
        break;
    }
    case STEP_RELEASE:
        rc = turn_client_release(p->tc, on_done, p);
        break;
    case STEP_DONE:
        stop(p, 0);
        return;
    }
    if (rc) {
        printf("step %d failed to start: %s\n", (int)p->step, synth_strerror(rc));
        stop(p, 1);
    }
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    (void)fd;
    (void)what;
    printf("deadline: step %d did not finish in %u s\n", (int)p->step, p->deadline_s);
    stop(p, 1);
}

/* A UDP socket on loopback of the server's family (127.0.0.1 or ::1). */
static int udp_socket(int family, struct sockaddr_storage *ss, socklen_t *len)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (net_addr_from_ip(strv_from_cstr(family == AF_INET6 ? "::1" : "127.0.0.1"), 0, ss,
                         len) != 0 ||
        bind(fd, (struct sockaddr *)ss, *len) != 0 ||
        getsockname(fd, (struct sockaddr *)ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int run_probe(struct probe *p)
{
    struct turn_client_handlers h = {on_allocated, on_data, on_failed};
    struct synth_error err;
    struct sockaddr_storage bss;
    socklen_t blen;
    int family = p->opts.server.ss_family;
    /* The echo peer is on the server's family, so the relay must be too. */
    p->opts.relay_family = family;
    p->peer_fd = udp_socket(family, &p->peer, &p->peer_len);
    p->binding_fd = udp_socket(family, &bss, &blen);
    if (p->peer_fd < 0 || p->binding_fd < 0) {
        perror("socket");
        return 1;
    }
    p->peer_ev = event_new(p->base, p->peer_fd, EV_READ | EV_PERSIST, peer_cb, p);
    struct event *deadline = evtimer_new(p->base, deadline_cb, p);
    p->delay_ev = evtimer_new(p->base, refresh_now, p);
    struct timeval tv = {(time_t)p->deadline_s, 0};
    if (!p->peer_ev || !deadline || !p->delay_ev || event_add(p->peer_ev, NULL) ||
        evtimer_add(deadline, &tv))
        return 1;
    if (turn_client_new(&p->tc, p->base, &p->opts, &h, p, &err) != 0) {
        printf("client: %s\n", err.msg);
        return 1;
    }
    next_step(p);
    if (p->step != STEP_DONE)
        event_base_dispatch(p->base);
    stun_binding_cancel(p->binding);
    turn_client_free(p->tc);
    event_free(deadline);
    event_free(p->delay_ev);
    event_free(p->peer_ev);
    close(p->peer_fd);
    close(p->binding_fd);
    return p->exit_code;
}

/* ---- bench ---- */

struct bench {
    struct event_base *base;
    const struct turn_client_opts *opts;
    unsigned total, started, finished, ok, refused;
    char first_failure[160];
    int64_t alloc_us[BENCH_MAX];
};

struct bench_one {
    struct bench *b;
    struct turn_client *tc;
};

static void bench_start_one(struct bench *b, struct bench_one *one);

static void bench_next(struct bench_one *one)
{
    struct bench *b = one->b;
    turn_client_free(one->tc);
    one->tc = NULL;
    b->finished++;
    if (b->started < b->total)
        bench_start_one(b, one);
    else if (b->finished == b->total)
        event_base_loopbreak(b->base);
}

static void bench_released(int err, const struct turn_result *res, void *arg)
{
    (void)err;
    (void)res;
    bench_next(arg);
}

static void bench_allocated(int err, const struct turn_result *res,
                            const struct turn_alloc_info *info, void *arg)
{
    struct bench_one *one = arg;
    struct bench *b = one->b;
    if (err || res->code) {
        if (!b->refused++)
            snprintf(b->first_failure, sizeof(b->first_failure), "%s/%u/%s",
                     turn_result_class(err, res), res->code, res->reason);
        bench_next(one);
        return;
    }
    b->alloc_us[b->ok++] = info->allocate_us;
    /* Released, so the server's quota and ports are not the limit. */
    if (turn_client_release(one->tc, bench_released, one) != 0)
        bench_next(one);
}

static void bench_start_one(struct bench *b, struct bench_one *one)
{
    struct turn_client_handlers h = {bench_allocated, NULL, NULL};
    struct synth_error err;
    b->started++;
    if (turn_client_new(&one->tc, b->base, b->opts, &h, one, &err) != 0 ||
        turn_client_allocate(one->tc) != 0) {
        b->refused++;
        b->finished++;
        turn_client_free(one->tc);
        one->tc = NULL;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int run_bench(struct event_base *base, const struct turn_client_opts *o, unsigned n,
                     unsigned conc)
{
    static struct bench b;
    static struct bench_one ones[BENCH_CONCURRENCY_MAX];
    b.base = base;
    b.opts = o;
    b.total = n;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t t0 = clock_mono_us();
    for (unsigned i = 0; i < conc && i < n; i++) {
        ones[i].b = &b;
        bench_start_one(&b, &ones[i]);
    }
    if (b.finished < b.total)
        event_base_dispatch(base);
    double secs = (double)(clock_mono_us() - t0) / 1e6;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                 (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    qsort(b.alloc_us, b.ok, sizeof(b.alloc_us[0]), cmp_i64);
    printf("bench transport=%s dialect=%s allocations=%u ok=%u failed=%u seconds=%.2f "
           "rate=%.0f/s allocate_us_p50=%lld allocate_us_p99=%lld client_cpu_us_per_alloc=%.0f\n",
           o->transport == TURN_TRANSPORT_TCP ? "tcp" : "udp",
           o->dialect == TURN_DIALECT_MSTURN ? "ms-turn" : "standard", n, b.ok, b.refused, secs,
           b.ok / secs, b.ok ? (long long)b.alloc_us[b.ok / 2] : 0LL,
           b.ok ? (long long)b.alloc_us[(size_t)(b.ok * 0.99)] : 0LL,
           b.ok ? cpu * 1e6 / b.ok : 0.0);
    if (b.refused)
        printf("bench first failure: %s\n", b.first_failure);
    return b.ok == n ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: turn_probe --server IP:PORT (IPv6 without brackets: ::1:3478) --user U --pass P [--tcp] [--rto MS]\n"
                    "                  [--lifetime S] [--refresh-delay MS] [--deadline S]\n"
                    "                  [--bench N [--concurrency C] [--ms-turn]]\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'}, {"user", required_argument, NULL, 'u'},
        {"pass", required_argument, NULL, 'p'},   {"tcp", no_argument, NULL, 't'},
        {"rto", required_argument, NULL, 'r'},    {"lifetime", required_argument, NULL, 'l'},
        {"bench", required_argument, NULL, 'b'},  {"concurrency", required_argument, NULL, 'c'},
        {"refresh-delay", required_argument, NULL, 'd'},
        {"deadline", required_argument, NULL, 'D'},
        {"ms-turn", no_argument, NULL, 'm'},
        {NULL, 0, NULL, 0}};
    static struct probe p;
    const char *server = NULL;
    unsigned bench = 0, conc = 1;
    p.opts.transport = TURN_TRANSPORT_UDP;
    p.opts.software = "synth turn_probe";
    p.deadline_s = PROBE_DEADLINE_S;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': server = optarg; break;
        case 'u': p.opts.username = optarg; break;
        case 'p': p.opts.password = optarg; break;
        case 't': p.opts.transport = TURN_TRANSPORT_TCP; break;
        case 'r': p.opts.rto_ms = (uint32_t)atoi(optarg); break;
        case 'l': p.opts.lifetime_s = (uint32_t)atoi(optarg); break;
        case 'b': bench = (unsigned)atoi(optarg); break;
        case 'c': conc = (unsigned)atoi(optarg); break;
        case 'd': p.refresh_delay_ms = (unsigned)atoi(optarg); break;
        case 'D': p.deadline_s = (unsigned)atoi(optarg); break;
        case 'm': p.opts.dialect = TURN_DIALECT_MSTURN; break;
        default: usage(); return 1;
        }
    }
    const char *colon = server ? strrchr(server, ':') : NULL;
    if (!colon || !p.opts.username || !p.opts.password || bench > BENCH_MAX || !conc ||
        (p.opts.dialect == TURN_DIALECT_MSTURN && !bench) ||
        conc > BENCH_CONCURRENCY_MAX ||
        net_addr_from_ip(strv_make(server, (size_t)(colon - server)), (uint16_t)atoi(colon + 1),
                         &p.opts.server, &p.opts.server_len) != 0) {
        usage();
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    p.base = event_base_new();
    if (!p.base)
        return 1;
    int rc = bench ? run_bench(p.base, &p.opts, bench, conc) : run_probe(&p);
    event_base_free(p.base);
    return rc;
}
