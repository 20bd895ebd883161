/* Unit tests: permissions and channel bindings of one lab relay allocation
 * (synth/lab/turn_peers): by IP for permissions, IP and port for channels,
 * unique both ways, expiry, bounds. */
#include "synth/lab/turn_peers.h"

#include "synth/base/err.h"
#include "synth/base/net_addr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct sockaddr_storage addr(const char *ip, uint16_t port, socklen_t *len)
{
    struct sockaddr_storage ss;
    socklen_t l;
    assert_int_equal(net_addr_from_ip(strv_from_cstr(ip), port, &ss, &l), 0);
    if (len)
        *len = l;
    return ss;
}

static void permissions_by_ip(void **state)
{
    static struct turn_peers t;
    (void)state;
    memset(&t, 0, sizeof(t));
    struct sockaddr_storage a = addr("127.0.0.2", 5000, NULL);
    struct sockaddr_storage a_other_port = addr("127.0.0.2", 6000, NULL);
    struct sockaddr_storage b = addr("127.0.0.3", 5000, NULL);
    struct sockaddr_storage v6 = addr("::1", 5000, NULL);
    assert_false(turn_peers_permitted(&t, &a, 0));
    assert_int_equal(turn_peers_permit(&t, &a, 0, TURN_PERMISSION_LIFETIME_MS), 0);
    assert_true(turn_peers_permitted(&t, &a_other_port, 1)); /* RFC 8656 9: the port is not looked at */
    assert_false(turn_peers_permitted(&t, &b, 1));
    assert_false(turn_peers_permitted(&t, &v6, 1));
    assert_false(turn_peers_permitted(&t, &a, TURN_PERMISSION_LIFETIME_MS));
    /* A refresh moves the expiry; the table keeps one entry per IP. */
    assert_int_equal(turn_peers_permit(&t, &a, 1000, TURN_PERMISSION_LIFETIME_MS), 0);
    assert_int_equal(t.perm_count, 1);
    assert_true(turn_peers_permitted(&t, &a, TURN_PERMISSION_LIFETIME_MS));
    turn_peers_expire(&t, 1000 + TURN_PERMISSION_LIFETIME_MS);
    assert_int_equal(t.perm_count, 0);
}

static void permissions_bounded(void **state)
{
    static struct turn_peers t;
    char ip[32];
    (void)state;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < TURN_PEERS_PERM_MAX; i++) {
        snprintf(ip, sizeof(ip), "127.0.1.%d", i + 1);
        struct sockaddr_storage p = addr(ip, 1, NULL);
        assert_int_equal(turn_peers_permit(&t, &p, 0, 100), 0);
    }
    struct sockaddr_storage one_more = addr("127.0.2.1", 1, NULL);
    assert_int_equal(turn_peers_permit(&t, &one_more, 50, 100), SYNTH_ETOOBIG);
    /* Once the others expired there is room again. */
    assert_int_equal(turn_peers_permit(&t, &one_more, 100, 100), 0);
    assert_int_equal(t.perm_count, 1);
}

static void channels(void **state)
{
    static struct turn_peers t;
    socklen_t len;
    (void)state;
    memset(&t, 0, sizeof(t));
    struct sockaddr_storage a = addr("127.0.0.2", 5000, &len);
    struct sockaddr_storage a2 = addr("127.0.0.2", 5002, NULL);
    struct sockaddr_storage b = addr("127.0.0.3", 5000, NULL);
    assert_int_equal(turn_peers_bind(&t, 0x4000, &a, len, 0), 0);
    assert_true(turn_peers_permitted(&t, &a, 1)); /* RFC 8656 11.2: a bind permits too */
    const struct turn_chan *c = turn_peers_channel(&t, 0x4000, 1);
    assert_non_null(c);
    assert_true(net_addr_equal(&c->peer, &a));
    assert_ptr_equal(turn_peers_channel_of(&t, &a, 1), c);
    assert_null(turn_peers_channel_of(&t, &a2, 1)); /* channels are by IP and port */
    /* Rebinding the same pair refreshes; either side to another is refused. */
    assert_int_equal(turn_peers_bind(&t, 0x4000, &a, len, 1000), 0);
    assert_int_equal(turn_peers_bind(&t, 0x4001, &a, len, 1000), SYNTH_EINVAL);
    assert_int_equal(turn_peers_bind(&t, 0x4000, &b, len, 1000), SYNTH_EINVAL);
    assert_int_equal(turn_peers_bind(&t, 0x7FFF, &a2, len, 1000), 0);
    assert_int_equal(t.chan_count, 2);
    assert_non_null(turn_peers_channel(&t, 0x4000, 1000 + TURN_CHANNEL_LIFETIME_MS - 1));
    assert_null(turn_peers_channel(&t, 0x4000, 1000 + TURN_CHANNEL_LIFETIME_MS));
    assert_null(turn_peers_channel(&t, 0x4002, 1));
    turn_peers_expire(&t, 1000 + TURN_CHANNEL_LIFETIME_MS);
    assert_int_equal(t.chan_count, 0);
    /* After expiry the number is free for another peer. */
    assert_int_equal(turn_peers_bind(&t, 0x4000, &b, len, 1000 + TURN_CHANNEL_LIFETIME_MS), 0);
}

static void channels_bounded(void **state)
{
    static struct turn_peers t;
    socklen_t len;
    (void)state;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < TURN_PEERS_CHAN_MAX; i++) {
        struct sockaddr_storage p = addr("127.0.0.2", (uint16_t)(1000 + i), &len);
        assert_int_equal(turn_peers_bind(&t, (uint16_t)(0x4000 + i), &p, len, 0), 0);
    }
    struct sockaddr_storage p = addr("127.0.0.2", 999, &len);
    assert_int_equal(turn_peers_bind(&t, 0x4100, &p, len, 0), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(permissions_by_ip), cmocka_unit_test(permissions_bounded),
        cmocka_unit_test(channels), cmocka_unit_test(channels_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
