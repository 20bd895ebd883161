/* The media relay probe (relay_probe.h). */
#include "relay_probe.h"

#include "synth/base/clock.h"
#include "synth/steps/call_media.h"
#include "synth/turn/turn_client.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* With credentials: mras the check has none of its own: the relay's 401
 * is the answer it waits for. */
#define PROBE_USER "synth-check"

struct relay_probe {
    struct turn_client *tc;
    struct event *timer; /* the deadline, then the end */
    bool done, allocated;
    int64_t start_us;
    relay_probe_done_h *on_done;
    void *arg;
    struct relay_probe_result r;
};

bool relay_probe_wanted(const struct target *t)
{
    return t->media.turn.host[0] != '\0';
}

/* The outcome is kept; the client goes from the loop (on_end), outside
 * its own handler, so an allocation made can be released properly. */
static void record(struct relay_probe *c, bool reachable, const char *outcome)
{
    c->done = true;
    c->r.reachable = reachable;
    snprintf(c->r.outcome, sizeof(c->r.outcome), "%s", outcome);
    c->r.ms = (double)(clock_mono_us() - c->start_us) / 1000.0;
}

static void finish(struct relay_probe *c, bool reachable, const char *outcome)
{
    record(c, reachable, outcome);
    event_del(c->timer);
    event_active(c->timer, EV_TIMEOUT, 0);
}

static void on_allocated(int err, const struct turn_result *res, const struct turn_alloc_info *info,
                         void *arg)
{
    struct relay_probe *c = arg;
    (void)info;
    bool answered = err == 0; /* a success, or the relay's own error code */
    c->allocated = answered && res->code == 0;
    finish(c, answered, c->allocated ? "allocated" : turn_result_class(err, res));
}

/* The deadline, or the end after an answer. */
static void on_end(evutil_socket_t fd, short what, void *arg)
{
    struct relay_probe *c = arg;
    (void)fd;
    (void)what;
    if (!c->done)
        record(c, false, "timeout");
    if (c->allocated)
        turn_client_close(c->tc); /* LIFETIME 0: the relay keeps nothing of the check */
    else
        turn_client_free(c->tc);
    c->tc = NULL;
    if (c->on_done)
        c->on_done(c, c->arg); /* may free c */
}

int relay_probe_start(struct relay_probe **out, struct event_base *base, const struct target *t,
                      uint32_t timeout_ms, relay_probe_done_h *done, void *arg,
                      struct synth_error *err)
{
    const struct target_turn *turn = &t->media.turn;
    struct relay_probe *c = calloc(1, sizeof(*c));
    *out = c;
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "relay probe: out of memory");
    snprintf(c->r.server, sizeof(c->r.server), "%s:%u", turn->host, turn->port);
    c->r.transport = turn->tcp ? "tcp" : "udp";
    c->r.dialect = turn->ms_turn ? "ms-turn" : "standard";
    c->r.pseudo_tls = turn->pseudo_tls;
    snprintf(c->r.outcome, sizeof(c->r.outcome), "not-run");
    c->on_done = done;
    c->arg = arg;
    struct turn_client_opts o;
    call_media_turn_opts(turn, NULL, &o);
    if (turn->credentials == TARGET_TURN_CREDS_MRAS)
        o.username = o.password = PROBE_USER;
    o.connect_timeout_ms = timeout_ms;
    struct turn_client_handlers h = {.allocated = on_allocated};
    c->timer = evtimer_new(base, on_end, c);
    if (!c->timer)
        return synth_error_set(err, SYNTH_ENOMEM, "relay probe: out of memory");
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
               : synth_error_set(err, SYNTH_ENOMEM, "relay probe: cannot arm its deadline");
}

void relay_probe_result(const struct relay_probe *c, struct relay_probe_result *r)
{
    *r = c->r;
}

void relay_probe_free(struct relay_probe *c)
{
    if (!c)
        return;
    turn_client_free(c->tc);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

void relay_probe_describe(const struct relay_probe_result *r, char *out, size_t size)
{
    snprintf(out, size, "relay %s over %s (%s%s): %s after %.0f ms", r->server, r->transport,
             r->dialect, r->pseudo_tls ? ", pseudo-TLS" : "", r->outcome, r->ms);
}
