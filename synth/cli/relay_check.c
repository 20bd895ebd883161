/* The media relay probe of `synth check` (relay_check.h). */
#include "relay_check.h"

#include "synth/base/clock.h"
#include "synth/steps/call_media.h"
#include "synth/turn/turn_client.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

/* With credentials: mras the check has none of its own: the relay's 401
 * is the answer it waits for. */
#define PROBE_USER "synth-check"

struct relay_check {
    struct turn_client *tc;
    struct event *timer; /* the deadline, then the end */
    bool done, allocated;
    int64_t start_us;
    struct relay_check_result r;
};

bool relay_check_wanted(const struct target *t)
{
    return t->media.turn.host[0] != '\0';
}

/* The outcome is kept; the client goes from the loop (on_end), outside
 * its own handler, so an allocation made can be released properly. */
static void record(struct relay_check *c, bool reachable, const char *outcome)
{
    c->done = true;
    c->r.reachable = reachable;
    snprintf(c->r.outcome, sizeof(c->r.outcome), "%s", outcome);
    c->r.ms = (double)(clock_mono_us() - c->start_us) / 1000.0;
}

static void finish(struct relay_check *c, bool reachable, const char *outcome)
{
    record(c, reachable, outcome);
    event_del(c->timer);
    event_active(c->timer, EV_TIMEOUT, 0);
}

static void on_allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                         void *arg)
{
    struct relay_check *c = arg;
    (void)info;
    bool answered = err == 0; /* a success, or the relay's own error code */
    c->allocated = answered && res->code == 0;
    finish(c, answered, c->allocated ? "allocated" : turn_result_class(err, res));
}

/* The deadline, or the end after an answer. */
static void on_end(evutil_socket_t fd, short what, void *arg)
{
    struct relay_check *c = arg;
    (void)fd;
    (void)what;
    if (!c->done)
        record(c, false, "timeout");
    if (c->allocated)
        turn_client_close(c->tc); /* LIFETIME 0: the relay keeps nothing of the check */
    else
        turn_client_free(c->tc);
    c->tc = NULL;
}

int relay_check_start(struct relay_check **out, struct event_base *base, const struct target *t,
                      uint32_t timeout_ms, struct synth_error *err)
{
    const struct target_turn *turn = &t->media.turn;
    struct relay_check *c = calloc(1, sizeof(*c));
    *out = c;
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "relay check: out of memory");
    snprintf(c->r.server, sizeof(c->r.server), "%s:%u", turn->host, turn->port);
    c->r.transport = turn->tcp ? "tcp" : "udp";
    c->r.dialect = turn->ms_turn ? "ms-turn" : "standard";
    c->r.pseudo_tls = turn->pseudo_tls;
    snprintf(c->r.outcome, sizeof(c->r.outcome), "not-run");
    struct turn_client_opts o;
    call_media_turn_opts(turn, NULL, &o);
    if (turn->credentials == TARGET_TURN_CREDS_MRAS)
        o.username = o.password = PROBE_USER;
    o.connect_timeout_ms = timeout_ms;
    struct turn_client_handlers h = {.allocated = on_allocated};
    c->timer = evtimer_new(base, on_end, c);
    if (!c->timer)
        return synth_error_set(err, SYNTH_ENOMEM, "relay check: out of memory");
    c->start_us = clock_mono_us();
    int rc = turn_client_new(&c->tc, base, &o, &h, c, err);
    if (rc == 0)
        rc = turn_client_allocate(c->tc);
    if (rc != 0) {
        finish(c, false, "transport");
        return 0; /* the outcome says it; the other checks go on */
    }
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    return evtimer_add(c->timer, &tv) == 0
               ? 0
               : synth_error_set(err, SYNTH_ENOMEM, "relay check: cannot arm its deadline");
}

void relay_check_result(const struct relay_check *c, struct relay_check_result *r)
{
    *r = c->r;
}

void relay_check_free(struct relay_check *c)
{
    if (!c)
        return;
    turn_client_free(c->tc);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

int relay_check_findings(struct verdict *v, const struct relay_check_result *r)
{
    if (r->reachable)
        return 0;
    bool ptls = r->pseudo_tls && strcmp(r->outcome, "pseudo-tls") == 0;
    const char *remedy =
        ptls ? "something other than the A/V Edge answered the pseudo-TLS ClientHello on this "
               "port (a TLS-inspecting proxy, a web server, a load balancer terminating TLS): "
               "let TCP to the A/V Edge's external interface pass uninspected"
             : "check that the firewalls pass the A/V Edge's relay port (UDP 3478, TCP 443) to "
               "its external interface, that the A/V Edge service runs, and that media.turn "
               "names its address and dialect (edge.turn)";
    return verdict_add_findingf(v, VERDICT_CRITICAL, "turn-relay-unreachable",
                                "the media relay (A/V Edge) did not answer a TURN Allocate: "
                                "users who need the relay will have calls without media",
                                remedy, "relay %s over %s (%s%s): %s after %.0f ms", r->server,
                                r->transport, r->dialect, r->pseudo_tls ? ", pseudo-TLS" : "",
                                r->outcome, r->ms);
}

json_t *relay_check_json(const struct relay_check_result *r)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:f}", "server", r->server, "transport",
                     r->transport, "dialect", r->dialect, "pseudo_tls", r->pseudo_tls,
                     "reachable", r->reachable, "outcome", r->outcome, "ms", r->ms);
}

void relay_check_print(FILE *f, const struct relay_check_result *r)
{
    fprintf(f, "relay %s %s %s%s: %s (%s, %.1f ms)\n", r->server, r->transport, r->dialect,
            r->pseudo_tls ? " pseudo-TLS" : "", r->reachable ? "answers" : "NOT REACHED",
            r->outcome, r->ms);
}
