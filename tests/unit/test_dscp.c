/* Unit tests of media/dscp.c on loopback: a sender marked DSCP 46 (EF) is
 * read as 46 / TOS 0xb8 by the receiver, over IPv4 and (when the host has
 * ::1) IPv6; an unmarked sender reads 0; bad values, empty sockets and
 * truncated datagrams give their codes. Every wait is a poll with a
 * deadline. */
#include "media/dscp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_MS 2000

struct link {
    int tx, rx;
    struct sockaddr_storage to;
    socklen_t to_len;
};

/* Receiver bound to an ephemeral loopback port, sender unbound. Returns
 * false if the family is not available on this host. */
static bool open_link(struct link *l, int family)
{
    memset(l, 0, sizeof(*l));
    l->rx = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    l->tx = socket(family, SOCK_DGRAM, 0);
    if (l->rx < 0 || l->tx < 0)
        goto fail;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&l->to;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        l->to_len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l->to;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        l->to_len = sizeof(*a);
    }
    if (bind(l->rx, (struct sockaddr *)&l->to, l->to_len) != 0)
        goto fail;
    if (getsockname(l->rx, (struct sockaddr *)&l->to, &l->to_len) != 0)
        goto fail;
    /* The sender needs a local address for dscp_set's family lookup. */
    struct sockaddr_storage any = l->to;
    if (family == AF_INET)
        ((struct sockaddr_in *)&any)->sin_port = 0;
    else
        ((struct sockaddr_in6 *)&any)->sin6_port = 0;
    if (bind(l->tx, (struct sockaddr *)&any, l->to_len) != 0)
        goto fail;
    return true;
fail:
    if (l->rx >= 0)
        close(l->rx);
    if (l->tx >= 0)
        close(l->tx);
    return false;
}

static void close_link(struct link *l)
{
    close(l->rx);
    close(l->tx);
}

/* One datagram, read as the media and TURN readers do: a batch of one. */
static int recv_one(int fd, char *buf, size_t cap, struct dscp_packet *pkt)
{
    return dscp_recv_batch(fd, (uint8_t *)buf, cap, pkt, 1, NULL);
}

static void send_and_receive(struct link *l, const char *msg, size_t cap, bool want_truncated,
                             struct dscp_packet *pkt)
{
    assert_int_equal(sendto(l->tx, msg, strlen(msg), 0, (struct sockaddr *)&l->to, l->to_len),
                     (ssize_t)strlen(msg));
    struct pollfd pfd = {.fd = l->rx, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
    char buf[64];
    assert_true(cap <= sizeof(buf));
    assert_int_equal(recv_one(l->rx, buf, cap, pkt), 1);
    assert_int_equal(pkt->truncated, want_truncated);
    if (!want_truncated)
        assert_memory_equal(buf, msg, strlen(msg));
}

static void marks_and_reads(int family)
{
    struct link l;
    if (!open_link(&l, family)) {
        assert_int_equal(family, AF_INET6); /* IPv4 loopback must exist */
        skip();
    }
    struct synth_error err;
    assert_int_equal(dscp_enable_recv(l.rx, NULL, &err), 0);

    struct dscp_packet pkt;
    send_and_receive(&l, "unmarked", 64, false, &pkt);
    assert_true(pkt.have_tos);
    assert_int_equal(pkt.dscp, 0);
    assert_int_equal(pkt.len, 8);

    assert_int_equal(dscp_set(l.tx, DSCP_EF, &err), 0);
    send_and_receive(&l, "rtp", 64, false, &pkt);
    assert_true(pkt.have_tos);
    assert_int_equal(pkt.tos, 0xb8);
    assert_int_equal(pkt.dscp, 46);
    assert_int_equal(pkt.len, 3);
    assert_int_equal(pkt.from.ss_family, family);

    assert_int_equal(dscp_set(l.tx, DSCP_AF41, &err), 0);
    send_and_receive(&l, "video", 64, false, &pkt);
    assert_int_equal(pkt.dscp, 34);
    assert_int_equal(pkt.tos, 0x88);
    close_link(&l);
}

/* A datagram left 30 ms in the socket says so: arrival is not the read time. */
static void says_how_long_it_waited(void **state)
{
    struct link l;
    assert_true(open_link(&l, AF_INET));
    assert_int_equal(dscp_enable_recv(l.rx, NULL, NULL), 0);
    /* The kernel turns receive stamps on for the first socket that asks in
     * deferred work (net_enable_timestamp): until it has run, a datagram is
     * stamped when it is read. Wait, with a deadline, until one that waited
     * 2 ms says so. */
    bool live = false;
    for (int i = 0; i < 100 && !live; i++) {
        struct dscp_packet warm;
        char wbuf[16];
        assert_int_equal(sendto(l.tx, "warm", 4, 0, (struct sockaddr *)&l.to, l.to_len), 4);
        struct timespec two = {0, 2 * 1000 * 1000};
        nanosleep(&two, NULL);
        assert_int_equal(recv_one(l.rx, wbuf, sizeof(wbuf), &warm), 1);
        live = warm.waited_us >= 1500;
    }
    assert_true(live);
    const char *msg = "late";
    assert_int_equal(sendto(l.tx, msg, 4, 0, (struct sockaddr *)&l.to, l.to_len), 4);
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
    struct dscp_packet pkt;
    char buf[16];
    assert_int_equal(recv_one(l.rx, buf, sizeof(buf), &pkt), 1);
    assert_in_range(pkt.waited_us, 29000, 2000000);
    send_and_receive(&l, "now", 16, false, &pkt);
    assert_in_range(pkt.waited_us, 0, 20000); /* read as soon as poll said so */
    close_link(&l);
}

static void ipv4_loopback(void **state)
{
    marks_and_reads(AF_INET);
}

static void ipv6_loopback(void **state)
{
    marks_and_reads(AF_INET6);
}

static void sender_option_is_set(void **state)
{
    struct link l;
    assert_true(open_link(&l, AF_INET));
    assert_int_equal(dscp_set(l.tx, DSCP_CS3, NULL), 0);
    int tos = 0;
    socklen_t len = sizeof(tos);
    assert_int_equal(getsockopt(l.tx, IPPROTO_IP, IP_TOS, &tos, &len), 0);
    assert_int_equal(tos, 24 << 2);
    struct synth_error err;
    assert_int_equal(dscp_set(l.tx, 64, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "dscp: 64 is over 63");
    assert_int_equal(dscp_set(-1, 46, NULL), SYNTH_EIO);
    close_link(&l);
}

static void empty_and_truncated(void **state)
{
    struct link l;
    assert_true(open_link(&l, AF_INET));
    assert_int_equal(dscp_enable_recv(l.rx, NULL, NULL), 0);
    struct dscp_packet pkt;
    char buf[8];
    assert_int_equal(recv_one(l.rx, buf, sizeof(buf), &pkt), 0);
    assert_int_equal(dscp_set(l.tx, DSCP_EF, NULL), 0);
    send_and_receive(&l, "a datagram longer than eight bytes", 8, true, &pkt);
    assert_int_equal(pkt.len, 8);
    /* The mark still comes with a truncated datagram. */
    assert_int_equal(pkt.dscp, 46);
    close_link(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_loopback),
        cmocka_unit_test(ipv6_loopback),
        cmocka_unit_test(sender_option_is_set),
        cmocka_unit_test(empty_and_truncated),
        cmocka_unit_test(says_how_long_it_waited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
