/* Media policy findings (media_findings.h). */
#include "reports/media_findings.h"

#include <inttypes.h>

static int port_finding(struct verdict *v, const struct media_stats *m)
{
    const struct media_policy_example *e = &m->first_bad_port;
    return verdict_add_findingf(
        v, VERDICT_WARNING, "media-port-out-of-range",
        "the server answered media from a port outside its configured audio range",
        "port-based QoS policies then mark this media with another modality's DSCP (screen "
        "sharing answered from the video range is marked 34): set the server's audio port "
        "range (e.g. Set-CsConferencingServer / Set-CsApplicationServer AudioPortStart and "
        "AudioPortCount) to the range the network's QoS policy expects, or fix the target's "
        "media.server_ports",
        "%" PRIu64 " of %" PRIu64 " calls; first: user %" PRIu32 " at %.3f s, answered from port "
        "%u, the server audio range is %u-%u",
        m->port_out_of_range, m->port_checked, e->user_index, (double)e->at_us / 1e6, e->port,
        e->range_first, e->range_last);
}

static int dscp_finding(struct verdict *v, const struct media_stats *m)
{
    const struct media_policy_example *e = &m->first_bad_dscp;
    return verdict_add_findingf(
        v, VERDICT_WARNING, "dscp-mismatch",
        "media arrived with another DSCP mark than the audio policy's",
        "check the QoS policy on the servers for their audio port range (DSCP 46, EF) and that "
        "no device on the path clears or rewrites the mark",
        "%" PRIu64 " of %" PRIu64 " calls; first: user %" PRIu32 " at %.3f s received DSCP %d, "
        "the policy is %d",
        m->dscp_mismatch, m->dscp_checked, e->user_index, (double)e->at_us / 1e6, e->dscp,
        e->expected);
}

static int one_way_finding(struct verdict *v, const struct media_stats *m)
{
    const struct media_policy_example *e = &m->first_one_way;
    return verdict_add_findingf(
        v, VERDICT_WARNING, "one-way-audio",
        "synth heard the far end, but the far end's RTCP says it did not hear synth",
        "the path from the caller to the server drops media (a firewall or NAT that lets "
        "replies in but not new flows out, or the server's media port range closed "
        "inbound): a caller could not enter a PIN or leave a message",
        "%" PRIu64 " of %" PRIu64 " calls with the far end's RTCP reported no block about "
        "synth's stream or lost over 90%% of it; first: user %" PRIu32 " at %.3f s",
        m->one_way_to_us, m->peer_reports, e->user_index, (double)e->at_us / 1e6);
}

int media_findings_evaluate(struct verdict *v, const struct run_stats *s)
{
    const struct media_stats *m = &s->media;
    int err = 0;
    if (m->one_way_to_us && m->first_one_way.have)
        err = one_way_finding(v, m);
    if (err)
        return err;
    if (m->port_out_of_range && m->first_bad_port.have)
        err = port_finding(v, m);
    if (!err && m->dscp_mismatch && m->first_bad_dscp.have)
        err = dscp_finding(v, m);
    return err;
}
