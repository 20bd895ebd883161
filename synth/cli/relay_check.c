/* synth check's judgement of the relay probe (relay_check.h). */
#include "relay_check.h"

#include <string.h>

int relay_check_findings(struct verdict *v, const struct relay_probe_result *r)
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
    char evidence[200];
    relay_probe_describe(r, evidence, sizeof(evidence));
    return verdict_add_finding(v, VERDICT_CRITICAL, "turn-relay-unreachable",
                               "the media relay (A/V Edge) did not answer a TURN Allocate: "
                               "users who need the relay will have calls without media",
                               evidence, remedy);
}

json_t *relay_check_json(const struct relay_probe_result *r)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:f}", "server", r->server, "transport",
                     r->transport, "dialect", r->dialect, "pseudo_tls", r->pseudo_tls,
                     "reachable", r->reachable, "outcome", r->outcome, "ms", r->ms);
}

void relay_check_print(FILE *f, const struct relay_probe_result *r)
{
    fprintf(f, "relay %s %s %s%s: %s (%s, %.1f ms)\n", r->server, r->transport, r->dialect,
            r->pseudo_tls ? " pseudo-TLS" : "", r->reachable ? "answers" : "NOT REACHED",
            r->outcome, r->ms);
}
