/* Unit tests: a UDP socket's fixed peer (synth/base/udp_peer): connected,
 * it hears only its peer and keeps its bound port; unconnected again
 * (AF_UNSPEC), it hears everyone; an ICMP port unreachable of an earlier
 * datagram does not cost the next one. IPv4 and IPv6 on loopback. */
#include "synth/base/udp_peer.h"

#include "synth/base/net_addr.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

struct sock {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
};

/* A non-blocking UDP socket on the family's loopback, on a port of the
 * kernel's or on the one in at (a port freed a moment ago). */
static void sock_open(struct sock *s, int family, const struct sockaddr_storage *at)
{
    memset(s, 0, sizeof(*s));
    if (at) {
        s->addr = *at;
    } else if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->addr;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    s->len = s->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                           : sizeof(struct sockaddr_in);
    s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&s->addr, s->len), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&s->addr, &s->len), 0);
}

/* What fd has queued: the first byte of the next datagram, 0 none. */
static char next_byte(int fd)
{
    char c;
    return recv(fd, &c, 1, 0) == 1 ? c : 0;
}

static void send_byte(const struct sock *from, const struct sock *to, char c)
{
    assert_int_equal(sendto(from->fd, &c, 1, 0, (const struct sockaddr *)&to->addr, to->len), 1);
}

/* Each test runs once per family: its state points at the family. */
static int ipv4 = AF_INET, ipv6 = AF_INET6;

static void connected_hears_only_its_peer(void **state)
{
    int family = *(int *)*state;
    struct sock a, peer, stranger;
    /* Bound to a port it names, as the media sockets are (port_range):
     * bound to port 0 a socket would lose its port on AF_UNSPEC. */
    sock_open(&a, family, NULL);
    struct sockaddr_storage named = a.addr;
    close(a.fd);
    sock_open(&a, family, &named);
    sock_open(&peer, family, NULL);
    sock_open(&stranger, family, NULL);
    assert_int_equal(udp_peer_set(a.fd, &peer.addr, NULL), 0);
    struct sockaddr_storage got;
    socklen_t got_len = sizeof(got);
    assert_int_equal(getpeername(a.fd, (struct sockaddr *)&got, &got_len), 0);
    assert_true(net_addr_equal(&got, &peer.addr));

    send_byte(&stranger, &a, 's');
    send_byte(&peer, &a, 'p');
    assert_int_equal(next_byte(a.fd), 'p');
    assert_int_equal(next_byte(a.fd), 0); /* the stranger's was dropped */
    /* send(2) to the peer; an explicit address still goes where it says. */
    assert_int_equal(udp_peer_send(a.fd, "1", 1, NULL, 0, NULL), 0);
    assert_int_equal(next_byte(peer.fd), '1');
    assert_int_equal(udp_peer_send(a.fd, "2", 1, (struct sockaddr *)&stranger.addr,
                                   stranger.len, NULL),
                     0);
    assert_int_equal(next_byte(stranger.fd), '2');

    /* None again: everyone's datagrams come in, on the same bound port. */
    assert_int_equal(udp_peer_set(a.fd, NULL, NULL), 0);
    got_len = sizeof(got);
    assert_int_equal(getpeername(a.fd, (struct sockaddr *)&got, &got_len), -1);
    assert_int_equal(errno, ENOTCONN);
    got_len = sizeof(got);
    assert_int_equal(getsockname(a.fd, (struct sockaddr *)&got, &got_len), 0);
    assert_true(net_addr_equal(&got, &a.addr));
    send_byte(&stranger, &a, 's');
    assert_int_equal(next_byte(a.fd), 's');
    close(a.fd);
    close(peer.fd);
    close(stranger.fd);
}

/* The peer's port closes: the kernel reports the ICMP of the next datagram
 * as ECONNREFUSED on the send after it and drops that datagram; udp_peer_send
 * sends it again, so a peer open again on the port gets it. */
static void refused_costs_no_datagram(void **state)
{
    int family = *(int *)*state;
    struct sock a, peer;
    uint64_t refused = 0;
    sock_open(&a, family, NULL);
    sock_open(&peer, family, NULL);
    assert_int_equal(udp_peer_set(a.fd, &peer.addr, NULL), 0);
    struct sockaddr_storage at = peer.addr;
    close(peer.fd);
    assert_int_equal(udp_peer_send(a.fd, "1", 1, NULL, 0, &refused), 0); /* ICMP back */
    sock_open(&peer, family, &at);
    assert_int_equal(udp_peer_send(a.fd, "2", 1, NULL, 0, &refused), 0);
    assert_int_equal(refused, 1);
    assert_int_equal(next_byte(peer.fd), '2');
    assert_int_equal(udp_peer_send(a.fd, "3", 1, NULL, 0, &refused), 0);
    assert_int_equal(refused, 1);
    assert_int_equal(next_byte(peer.fd), '3');
    close(a.fd);
    close(peer.fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(connected_hears_only_its_peer, &ipv4),
        cmocka_unit_test_prestate(connected_hears_only_its_peer, &ipv6),
        cmocka_unit_test_prestate(refused_costs_no_datagram, &ipv4),
        cmocka_unit_test_prestate(refused_costs_no_datagram, &ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
