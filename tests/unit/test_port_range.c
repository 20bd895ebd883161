/* Unit tests of media/port_range.c: parsing "50040-50079", membership at
 * the edges, the modality of a peer's port, and binding on loopback inside
 * a small range: every port handed out is in range and distinct, a port
 * held by someone else is skipped, an exhausted range says so, and pairs
 * sit on an even port and the next. */
#include "media/port_range.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* Ports of the block the binding tests use; even-aligned so pairs fit. */
#define BLOCK 8
/* Where the search for a free block starts, and how many blocks it tries. */
#define BLOCK_SEARCH_FROM 30000
#define BLOCK_SEARCH_TRIES 500

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int bind_port(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(port);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* First port of BLOCK consecutive ports free on loopback right now. */
static uint16_t free_block(void)
{
    for (int b = 0; b < BLOCK_SEARCH_TRIES; b++) {
        uint16_t first = (uint16_t)(BLOCK_SEARCH_FROM + ((getpid() + b) % BLOCK_SEARCH_TRIES) * BLOCK);
        int fds[BLOCK], n = 0;
        for (; n < BLOCK; n++)
            if ((fds[n] = bind_port((uint16_t)(first + n))) < 0)
                break;
        for (int i = 0; i < n; i++)
            close(fds[i]);
        if (n == BLOCK)
            return first;
    }
    fail_msg("no free block of %d UDP ports", BLOCK);
    return 0;
}

static void parses_ranges(void **state)
{
    struct port_range r;
    assert_int_equal(port_range_parse("50040-50079", 11, &r, NULL), 0);
    assert_int_equal(r.first, 50040);
    assert_int_equal(r.last, 50079);
    assert_int_equal(port_range_size(r), 40);
    assert_int_equal(port_range_parse("5004", 4, &r, NULL), 0);
    assert_int_equal(r.first, 5004);
    assert_int_equal(r.last, 5004);
    assert_int_equal(port_range_parse("1-65535", 7, &r, NULL), 0);
    assert_int_equal(port_range_size(r), 65535);

    static const char *bad[] = {"", "-", "50079-50040", "0-10", "1-65536", "a-b", "50040-",
                                "-50040", "50040 - 50079", "123456", "1-2-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (port_range_parse(bad[i], strlen(bad[i]), &r, NULL) != SYNTH_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
    struct synth_error err;
    assert_int_equal(port_range_parse("9-8", 3, &r, &err), SYNTH_EPARSE);
    assert_string_equal(err.msg, "port range \"9-8\": want FIRST-LAST");
}

static void membership_and_modality(void **state)
{
    struct port_range ranges[PORT_RANGE_MODALITY_COUNT] = {
        {50040, 50079}, {58000, 58019}, {42000, 42019}};
    assert_true(port_range_contains(ranges[0], 50040));
    assert_true(port_range_contains(ranges[0], 50079));
    assert_false(port_range_contains(ranges[0], 50039));
    assert_false(port_range_contains(ranges[0], 50080));
    assert_false(port_range_contains((struct port_range){0, 0}, 0));

    struct port_range_pool pool;
    port_range_pool_init(&pool, ranges, 0);
    enum port_range_modality m = PORT_RANGE_AUDIO;
    /* Screen sharing answered from the video range is what the field saw. */
    assert_int_equal(port_range_pool_modality_of(&pool, 58010, &m), 0);
    assert_int_equal(m, PORT_RANGE_VIDEO);
    assert_string_equal(port_range_modality_name(m), "video");
    assert_int_equal(port_range_pool_modality_of(&pool, 42019, &m), 0);
    assert_int_equal(m, PORT_RANGE_APPSHARING);
    assert_int_equal(port_range_pool_modality_of(&pool, 1234, &m), SYNTH_ENOTFOUND);
}

static void binds_inside_range_and_skips_busy(void **state)
{
    uint16_t first = free_block();
    struct port_range ranges[PORT_RANGE_MODALITY_COUNT] = {
        {first, (uint16_t)(first + 3)}, {0, 0}, {0, 0}};
    struct port_range_pool pool;
    port_range_pool_init(&pool, ranges, 0);
    struct sockaddr_in local = loopback(9); /* port ignored */

    /* Someone else holds the second port. */
    int squatter = bind_port((uint16_t)(first + 1));
    assert_true(squatter >= 0);

    struct port_range_binding b[3];
    bool seen[4] = {false};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_AUDIO, (struct sockaddr *)&local,
                                              sizeof(local), false, &b[i], NULL), 0);
        assert_true(port_range_contains(ranges[0], b[i].port));
        assert_int_not_equal(b[i].port, first + 1);
        assert_int_equal(b[i].fd[1], -1);
        assert_false(seen[b[i].port - first]);
        seen[b[i].port - first] = true;
        /* The socket really is bound there. */
        struct sockaddr_in got;
        socklen_t len = sizeof(got);
        assert_int_equal(getsockname(b[i].fd[0], (struct sockaddr *)&got, &len), 0);
        assert_int_equal(ntohs(got.sin_port), b[i].port);
    }
    assert_int_equal(b[0].port, first); /* seed 0 starts at the bottom */

    struct port_range_binding extra;
    struct synth_error err;
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_AUDIO, (struct sockaddr *)&local,
                                          sizeof(local), false, &extra, &err), SYNTH_ENOTFOUND);
    assert_int_equal(extra.fd[0], -1);
    assert_non_null(strstr(err.msg, "4 ports busy"));

    /* A released port is found again. */
    close(b[1].fd[0]);
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_AUDIO, (struct sockaddr *)&local,
                                          sizeof(local), false, &extra, NULL), 0);
    assert_int_equal(extra.port, b[1].port);
    close(extra.fd[0]);
    close(b[0].fd[0]);
    close(b[2].fd[0]);
    close(squatter);

    /* No range for video. */
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_VIDEO, (struct sockaddr *)&local,
                                          sizeof(local), false, &extra, &err), SYNTH_EINVAL);
    assert_string_equal(err.msg, "port range: no video range configured");
}

static void binds_rtp_rtcp_pairs(void **state)
{
    uint16_t first = free_block(); /* even: BLOCK_SEARCH_FROM and BLOCK are */
    /* first+1 .. first+6: pairs can only be (first+2, +3) and (first+4, +5). */
    struct port_range ranges[PORT_RANGE_MODALITY_COUNT] = {
        {0, 0}, {(uint16_t)(first + 1), (uint16_t)(first + 6)}, {0, 0}};
    struct port_range_pool pool;
    port_range_pool_init(&pool, ranges, 0);
    struct sockaddr_in local = loopback(0);

    /* The RTCP port of the first pair is busy: that pair is skipped whole. */
    int squatter = bind_port((uint16_t)(first + 3));
    assert_true(squatter >= 0);
    struct port_range_binding b;
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_VIDEO, (struct sockaddr *)&local,
                                          sizeof(local), true, &b, NULL), 0);
    assert_int_equal(b.port, first + 4);
    assert_int_equal(b.port % 2, 0);
    assert_true(b.fd[1] >= 0);
    struct sockaddr_in got;
    socklen_t len = sizeof(got);
    assert_int_equal(getsockname(b.fd[1], (struct sockaddr *)&got, &len), 0);
    assert_int_equal(ntohs(got.sin_port), first + 5);

    /* Nothing left, and the half-bound RTP socket of the busy pair was
     * closed again: first+2 is free. */
    struct port_range_binding none;
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_VIDEO, (struct sockaddr *)&local,
                                          sizeof(local), true, &none, NULL), SYNTH_ENOTFOUND);
    int probe = bind_port((uint16_t)(first + 2));
    assert_true(probe >= 0);
    close(probe);
    close(b.fd[0]);
    close(b.fd[1]);
    close(squatter);

    /* A one-port range cannot hold a pair. */
    ranges[1] = (struct port_range){(uint16_t)(first + 1), (uint16_t)(first + 2)};
    port_range_pool_init(&pool, ranges, 3);
    assert_int_equal(port_range_pool_bind(&pool, PORT_RANGE_VIDEO, (struct sockaddr *)&local,
                                          sizeof(local), true, &none, NULL), SYNTH_EINVAL);
}

static void seeds_spread_workers(void **state)
{
    struct port_range ranges[PORT_RANGE_MODALITY_COUNT] = {{50040, 50079}, {0, 0}, {0, 0}};
    struct port_range_pool a, b;
    port_range_pool_init(&a, ranges, 0);
    port_range_pool_init(&b, ranges, 1);
    assert_int_equal(a.cursor[0], 0);
    assert_int_equal(b.cursor[0], 7919 % 40);
    assert_true(b.cursor[0] < 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_ranges),
        cmocka_unit_test(membership_and_modality),
        cmocka_unit_test(binds_inside_range_and_skips_busy),
        cmocka_unit_test(binds_rtp_rtcp_pairs),
        cmocka_unit_test(seeds_spread_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
