/* Test-only driver of synth/ucwa/ucwa_client: runs a list of UCWA operations
 * for one user against a running server and prints one line per operation
 * (op, outcome, failure class, status, latency) for the integration test.
 *
 *   ucwa_probe URL CA_FILE USER STEP...     (password from $UCWA_PASSWORD)
 *
 * Steps: discover, signin, application, available, events:N (one P-GET
 * with timeout=N), report, signout, idle:N (wait N s on the loop). It stops
 * at the first failure; exit 0 when every step succeeded, 2 otherwise. */
#include "synth/base/loop.h"
#include "synth/ucwa/ucwa_client.h"

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole run's deadline: no step of the test takes a minute. */
#define PROBE_DEADLINE_S 60

struct probe {
    struct event_base *base;
    struct ucwa_session *s;
    struct event *idle;
    char **steps;
    int n, i;
    int rc;
};

static void next_step(struct probe *p);

static void report(struct probe *p, int err, const struct ucwa_result *r)
{
    printf("op=%s result=%s class=%s status=%ld latency_ms=%.3f requests=%u connects=%u "
           "detail=\"%s\"\n",
           p->steps[p->i], err == 0 ? "ok" : "fail", err == 0 ? "none" : ucwa_fail_name(r->fail),
           r->status, (double)r->latency_us / 1000.0, r->requests, r->connects, r->detail);
    fflush(stdout);
    if (err != 0) {
        p->rc = 2;
        event_base_loopbreak(p->base);
        return;
    }
    p->i++;
    next_step(p);
}

static void done_cb(int err, const struct ucwa_result *r, void *arg)
{
    report(arg, err, r);
}

static bool events_cb(int err, const struct ucwa_result *r, const struct ucwa_events *ev,
                      void *arg)
{
    struct probe *p = arg;
    if (ev) {
        printf("events count=%zu", ev->count);
        for (size_t i = 0; i < ev->kept; i++)
            printf(" %s/%s:%s", ev->ev[i].sender, ev->ev[i].rel, ev->ev[i].type);
        printf("\n");
    }
    report(p, err, r);
    return false; /* one batch per events step */
}

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    struct ucwa_result r = {0};
    report(p, 0, &r);
}

static void next_step(struct probe *p)
{
    if (p->i == p->n) {
        event_base_loopbreak(p->base);
        return;
    }
    const char *st = p->steps[p->i];
    int rc;
    if (strcmp(st, "discover") == 0)
        rc = ucwa_discover(p->s, done_cb, p);
    else if (strcmp(st, "signin") == 0)
        rc = ucwa_sign_in(p->s, done_cb, p);
    else if (strcmp(st, "application") == 0)
        rc = ucwa_create_application(p->s, done_cb, p);
    else if (strcmp(st, "available") == 0)
        rc = ucwa_make_me_available(p->s, done_cb, p);
    else if (strcmp(st, "report") == 0)
        rc = ucwa_report_activity(p->s, done_cb, p);
    else if (strcmp(st, "signout") == 0)
        rc = ucwa_sign_out(p->s, done_cb, p);
    else if (strncmp(st, "events:", 7) == 0)
        rc = ucwa_events_start(p->s, (uint32_t)atoi(st + 7), events_cb, p);
    else if (strncmp(st, "idle:", 5) == 0) {
        struct timeval tv = {atoi(st + 5), 0};
        rc = evtimer_add(p->idle, &tv) == 0 ? 0 : SYNTH_EINTERNAL;
    } else
        rc = SYNTH_EINVAL;
    if (rc != 0) {
        printf("op=%s result=fail class=start detail=\"%s\"\n", st, synth_strerror(rc));
        p->rc = 2;
        event_base_loopbreak(p->base);
    }
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    printf("probe: deadline of %d s passed\n", PROBE_DEADLINE_S);
    p->rc = 2;
    event_base_loopbreak(p->base);
}

int main(int argc, char **argv)
{
    if (argc < 5 || !getenv("UCWA_PASSWORD")) {
        fprintf(stderr, "usage: UCWA_PASSWORD=.. ucwa_probe URL CA_FILE USER STEP...\n");
        return 1;
    }
    struct probe p = {.steps = argv + 4, .n = argc - 4};
    struct synth_error err = {{0}};
    struct ucwa_http *h = NULL;
    struct ucwa_session_opts o;
    ucwa_session_opts_defaults(&o);
    o.discover_url = argv[1];
    o.ca_file = argv[2];
    o.username = argv[3];
    o.password = getenv("UCWA_PASSWORD");
    p.base = loop_new(false);
    if (!p.base || ucwa_http_new(&h, p.base, &err) != 0 ||
        ucwa_session_new(&p.s, h, &o, &err) != 0) {
        fprintf(stderr, "ucwa_probe: %s\n", err.msg);
        return 1;
    }
    p.idle = evtimer_new(p.base, idle_cb, &p);
    struct event *deadline = evtimer_new(p.base, deadline_cb, &p);
    struct timeval tv = {PROBE_DEADLINE_S, 0};
    evtimer_add(deadline, &tv);
    next_step(&p);
    event_base_dispatch(p.base);
    ucwa_session_free(p.s);
    ucwa_http_free(h);
    event_free(p.idle);
    event_free(deadline);
    event_base_free(p.base);
    return p.rc;
}
