/* Unit tests: the order SRV records are tried in (RFC 2782), and a resolver
 * on a loop answering an IP literal without any server, and refusing a bad
 * server list by name. The lookups themselves are tested against dnsmasq
 * (tests/integration/test_dns_discovery.sh). */
#include "synth/base/loop.h"
#include "synth/dns/dns_resolver.h"

#include <event2/event.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void srv_order(void **state)
{
    struct dns_srv r[] = {
        {"c.example.", 5061, 20, 0}, {"b.example.", 5061, 10, 10},
        {"a.example.", 5061, 10, 60}, {"d.example.", 443, 10, 60},
    };
    dns_srv_sort(r, 4);
    /* Lowest priority first; within it the heaviest; then by name, stable across runs. */
    assert_string_equal(r[0].target, "a.example.");
    assert_string_equal(r[1].target, "d.example.");
    assert_string_equal(r[2].target, "b.example.");
    assert_string_equal(r[3].target, "c.example.");
}

struct answer {
    int err;
    size_t n;
    uint16_t port;
    int family;
};

static void addr_cb(int err, const char *detail, const struct dns_addr *addrs, size_t n,
                    void *arg)
{
    struct answer *a = arg;
    a->err = err;
    a->n = n;
    if (n) {
        a->family = addrs[0].ss.ss_family;
        a->port = ntohs(((const struct sockaddr_in *)&addrs[0].ss)->sin_port);
    }
}

static void literal_answers_without_server(void **state)
{
    struct event_base *base = loop_new(false);
    struct dns_resolver *r = NULL;
    struct synth_error err = {{0}};
    /* A server nobody runs: an IP literal must not need it. */
    struct dns_opts o = {.servers = "127.0.0.1:9", .timeout_ms = 200, .tries = 1};
    assert_int_equal(dns_resolver_new(&r, base, &o, &err), 0);
    struct answer a = {.err = 99};
    dns_addr_lookup(r, "127.0.0.1", 5061, addr_cb, &a);
    event_base_dispatch(base);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.port, 5061);
    dns_resolver_free(r);
    event_base_free(base);
}

static void bad_server_list_named(void **state)
{
    struct event_base *base = loop_new(false);
    struct dns_resolver *r = NULL;
    struct synth_error err = {{0}};
    struct dns_opts o = {.servers = "not an address"};
    assert_int_equal(dns_resolver_new(&r, base, &o, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "'not an address'"));
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(srv_order),
        cmocka_unit_test(literal_answers_without_server),
        cmocka_unit_test(bad_server_list_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
