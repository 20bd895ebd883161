/* Unit tests: batched datagram reads with kernel arrival times (udp_rx). */
#include "synth/sip/udp_rx.h"

#include "synth/base/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct pair {
    int rx, tx;
    struct sockaddr_in tx_addr;
};

static void pair_open(struct pair *p)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    p->rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    p->tx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(p->rx >= 0 && p->tx >= 0);
    assert_int_equal(bind(p->rx, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(p->rx, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(connect(p->tx, (struct sockaddr *)&a, sizeof(a)), 0);
    al = sizeof(p->tx_addr);
    assert_int_equal(getsockname(p->tx, (struct sockaddr *)&p->tx_addr, &al), 0);
    udp_rx_enable(p->rx);
}

static void pair_close(struct pair *p)
{
    close(p->rx);
    close(p->tx);
}

struct seen {
    int count, stop_after;
    int64_t rx_us[32];
    char text[32][16];
    uint16_t src_port[32];
};

static bool collect(const struct udp_rx_dgram *d, void *arg)
{
    struct seen *s = arg;
    if (s->count < 32) {
        s->rx_us[s->count] = d->rx_us;
        snprintf(s->text[s->count], sizeof(s->text[0]), "%.*s", (int)d->len, d->buf);
        s->src_port[s->count] = ntohs(((const struct sockaddr_in *)&d->src->ss)->sin_port);
    }
    s->count++;
    return s->stop_after == 0 || s->count < s->stop_after;
}

static void send_n(struct pair *p, int first, int n)
{
    char b[16];
    for (int i = first; i < first + n; i++) {
        int l = snprintf(b, sizeof(b), "d%d", i);
        assert_int_equal(send(p->tx, b, (size_t)l, 0), l);
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000};
    nanosleep(&ts, NULL);
}

/* A datagram read 80 ms after it came carries the time it came, not the
 * time of the read: what a late loop must not add to a latency. The kernel
 * turns receive stamps on for the whole system lazily (a deferred static
 * key, the first time a socket asks): the first datagrams after that may
 * still carry none, so a few rounds are allowed before one must be stamped. */
static void arrival_time_not_read_time(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    bool stamped = false;
    for (int round = 0; round < 5 && !stamped; round++) {
        int64_t sent = clock_mono_us();
        send_n(&p, round, 1);
        sleep_ms(80);
        struct seen s = {0};
        int64_t read_at = clock_mono_us();
        assert_int_equal(udp_rx_read(p.rx, UDP_RX_BATCH, collect, &s), 0);
        int64_t after = clock_mono_us();
        assert_int_equal(s.count, 1);
        char want[16];
        snprintf(want, sizeof(want), "d%d", round);
        assert_string_equal(s.text[0], want);
        assert_int_equal(s.src_port[0], ntohs(p.tx_addr.sin_port));
        assert_true(s.rx_us[0] >= sent - 2000);
        assert_true(s.rx_us[0] <= after); /* unstamped: the time of the read */
        stamped = s.rx_us[0] < sent + 20000 && read_at - s.rx_us[0] >= 60000;
    }
    assert_true(stamped);
    pair_close(&p);
}

/* max bounds one call; the rest stays for the next; order is kept. */
static void batches_bounded_and_in_order(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    send_n(&p, 0, 20);
    struct seen s = {0};
    assert_int_equal(udp_rx_read(p.rx, 12, collect, &s), 0);
    assert_int_equal(s.count, 12);
    assert_int_equal(udp_rx_read(p.rx, 64, collect, &s), 0);
    assert_int_equal(s.count, 20);
    for (int i = 0; i < 20; i++) {
        char want[16];
        snprintf(want, sizeof(want), "d%d", i);
        assert_string_equal(s.text[i], want);
        if (i)
            assert_true(s.rx_us[i] >= s.rx_us[i - 1]);
    }
    /* Drained: nothing more, and no error. */
    assert_int_equal(udp_rx_read(p.rx, 64, collect, &s), 0);
    assert_int_equal(s.count, 20);
    pair_close(&p);
}

/* A handler that says stop (its connection is gone) reads no further. */
static void handler_stops_the_batch(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    send_n(&p, 0, 5);
    struct seen s = {.stop_after = 2};
    assert_int_equal(udp_rx_read(p.rx, 64, collect, &s), 0);
    assert_int_equal(s.count, 2);
    pair_close(&p);
}

/* A connected socket whose peer is gone reports ECONNREFUSED (ICMP port
 * unreachable), which the transport turns into a closed connection. */
static void refused_is_reported(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    int c = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(p.rx, (struct sockaddr *)&a, &al), 0);
    close(p.rx);
    p.rx = socket(AF_INET, SOCK_DGRAM, 0); /* for pair_close */
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(c, "x", 1, 0), 1);
    sleep_ms(20);
    struct seen s = {0};
    assert_int_equal(udp_rx_read(c, UDP_RX_BATCH, collect, &s), ECONNREFUSED);
    assert_int_equal(s.count, 0);
    close(c);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arrival_time_not_read_time),
        cmocka_unit_test(batches_bounded_and_in_order),
        cmocka_unit_test(handler_stops_the_batch),
        cmocka_unit_test(refused_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
