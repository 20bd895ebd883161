/* Media statistics of a run's calls (media_stats.h). */
#include "synth/engine/media_stats.h"

#include <stdio.h>
#include <string.h>

/* Distributions, in the order media_stats_metric_name lists them. */
enum media_hist {
    MH_FIRST_MEDIA,
    MH_GREETING_ONSET,
    MH_LOSS,
    MH_JITTER,
    MH_MOS,
    MH_PEER_LOSS,
    MH_PEER_JITTER,
    MH_RELAY_ALLOCATE,
    MH_COUNT
};
static const char *const hist_prefix[MH_COUNT] = {
    [MH_FIRST_MEDIA] = "first_media_ms.", [MH_GREETING_ONSET] = "greeting_onset_ms.",
    [MH_LOSS] = "loss_pct.",               [MH_JITTER] = "jitter_ms.",
    [MH_MOS] = "mos.",                     [MH_PEER_LOSS] = "peer_loss_pct.",
    [MH_PEER_JITTER] = "peer_jitter_ms.", [MH_RELAY_ALLOCATE] = "relay_allocate_ms.",
};
/* The far end lost this much of our audio: it does not hear us. */
#define ONE_WAY_LOSS_PCT 90.0

static const char *const pct_names[] = {"media_ok_pct", "greeting_heard_pct"};
#define PCT_COUNT (sizeof(pct_names) / sizeof(pct_names[0]))

static const struct hist *hist_of(const struct media_stats *m, enum media_hist h)
{
    switch (h) {
    case MH_FIRST_MEDIA: return &m->first_media;
    case MH_GREETING_ONSET: return &m->greeting_onset;
    case MH_LOSS: return &m->loss;
    case MH_JITTER: return &m->jitter;
    case MH_PEER_LOSS: return &m->peer_loss;
    case MH_PEER_JITTER: return &m->peer_jitter;
    case MH_RELAY_ALLOCATE: return &m->relay_allocate;
    case MH_MOS:
    case MH_COUNT: break;
    }
    return &m->mos;
}

void media_stats_init(struct media_stats *m)
{
    memset(m, 0, sizeof(*m));
    hist_init(&m->first_media);
    hist_init(&m->greeting_onset);
    hist_init(&m->loss);
    hist_init(&m->jitter);
    hist_init(&m->mos);
    hist_init(&m->peer_loss);
    hist_init(&m->peer_jitter);
    hist_init(&m->ice);
    hist_init(&m->relay_allocate);
}

static void example(struct media_policy_example *e, const struct step_result *r)
{
    if (e->have && e->at_us <= r->start_us)
        return;
    e->have = true;
    e->at_us = r->start_us;
    e->user_index = r->user_index;
    e->port = r->media.peer_port;
    e->range_first = r->media.range_first;
    e->range_last = r->media.range_last;
    e->dscp = r->media.dscp_seen;
    e->expected = r->media.dscp_expected;
}

static uint64_t scaled(double v)
{
    return v <= 0 ? 0 : (uint64_t)(v * MEDIA_STATS_SCALE + 0.5);
}

void media_stats_add(struct media_stats *m, const struct step_result *r)
{
    const struct media_result *x = &r->media;
    if (r->kind != STEP_CALL || !x->enabled || !r->answered)
        return;
    m->calls++;
    m->unauthenticated += x->unauthenticated;
    if (strcmp(x->media_path, "relay") == 0)
        m->path_relay++;
    else if (strcmp(x->media_path, "direct") == 0)
        m->path_direct++;
    else if (x->media_path[0])
        m->path_none++;
    if (x->ice) {
        m->ice_calls++;
        if (!x->ice_ok)
            m->ice_failed++;
        else if (x->ice_us >= 0)
            hist_record(&m->ice, (uint64_t)x->ice_us);
    }
    if (x->relay_allocate_us >= 0)
        hist_record(&m->relay_allocate, (uint64_t)x->relay_allocate_us);
    if (r->cls == FAIL_NO_MEDIA)
        m->connected_no_media++;
    if (x->peer_port) {
        m->port_checked++;
        if (!x->peer_port_in_range) {
            m->port_out_of_range++;
            example(&m->first_bad_port, r);
        }
    }
    if (!x->flowed)
        return;
    m->media_ok++;
    if (x->peer_report) {
        hist_record(&m->peer_loss, scaled(x->peer_loss_pct));
        hist_record(&m->peer_jitter, scaled(x->peer_jitter_ms));
    }
    if (x->peer_rtcp) {
        m->peer_reports++;
        /* RFC 3550 6.4.1: a receiver reports on each source it hears; no
         * block about us, or most of ours lost, is a far end that does not
         * hear us. */
        if (!x->peer_report || x->peer_loss_pct >= ONE_WAY_LOSS_PCT) {
            m->one_way_to_us++;
            example(&m->first_one_way, r);
        }
    }
    hist_record(&m->first_media, (uint64_t)x->first_media_us);
    hist_record(&m->loss, scaled(x->loss_pct));
    hist_record(&m->jitter, scaled(x->jitter_ms)); /* ms × 1000 = µs */
    hist_record(&m->mos, scaled(x->mos));
    if (x->greeting_heard) {
        m->greeting_heard++;
        if (x->greeting_onset_us >= 0)
            hist_record(&m->greeting_onset, (uint64_t)x->greeting_onset_us);
    }
    if (x->dscp_expected >= 0 && x->dscp_seen >= 0) {
        m->dscp_checked++;
        if (x->dscp_mismatches) {
            m->dscp_mismatch++;
            example(&m->first_bad_dscp, r);
        }
    }
}

static void merge_example(struct media_policy_example *d, const struct media_policy_example *s)
{
    if (s->have && (!d->have || s->at_us < d->at_us))
        *d = *s;
}

void media_stats_merge(struct media_stats *d, const struct media_stats *s)
{
    d->calls += s->calls;
    d->media_ok += s->media_ok;
    d->greeting_heard += s->greeting_heard;
    d->connected_no_media += s->connected_no_media;
    d->unauthenticated += s->unauthenticated;
    d->peer_reports += s->peer_reports;
    d->one_way_to_us += s->one_way_to_us;
    merge_example(&d->first_one_way, &s->first_one_way);
    d->port_checked += s->port_checked;
    d->port_out_of_range += s->port_out_of_range;
    d->dscp_checked += s->dscp_checked;
    d->dscp_mismatch += s->dscp_mismatch;
    merge_example(&d->first_bad_port, &s->first_bad_port);
    merge_example(&d->first_bad_dscp, &s->first_bad_dscp);
    hist_merge(&d->first_media, &s->first_media);
    hist_merge(&d->greeting_onset, &s->greeting_onset);
    hist_merge(&d->loss, &s->loss);
    hist_merge(&d->jitter, &s->jitter);
    hist_merge(&d->mos, &s->mos);
    hist_merge(&d->peer_loss, &s->peer_loss);
    hist_merge(&d->peer_jitter, &s->peer_jitter);
    d->path_direct += s->path_direct;
    d->path_relay += s->path_relay;
    d->path_none += s->path_none;
    d->ice_calls += s->ice_calls;
    d->ice_failed += s->ice_failed;
    hist_merge(&d->ice, &s->ice);
    hist_merge(&d->relay_allocate, &s->relay_allocate);
}

int media_stats_metric(const struct media_stats *m, const char *metric, double *out)
{
    if (strcmp(metric, "media_ok_pct") == 0 || strcmp(metric, "greeting_heard_pct") == 0) {
        if (m->calls == 0)
            return SYNTH_EINVAL;
        uint64_t part = metric[0] == 'm' ? m->media_ok : m->greeting_heard;
        *out = 100.0 * (double)part / (double)m->calls;
        return 0;
    }
    for (int h = 0; h < MH_COUNT; h++) {
        size_t n = strlen(hist_prefix[h]);
        if (strncmp(metric, hist_prefix[h], n) == 0)
            return hist_stat(hist_of(m, (enum media_hist)h), metric + n, 1000.0, out);
    }
    return SYNTH_ENOTFOUND;
}

int media_stats_metric_name(size_t i, char *buf, size_t size)
{
    int n;
    if (i < PCT_COUNT) {
        n = snprintf(buf, size, "%s", pct_names[i]);
    } else {
        i -= PCT_COUNT;
        if (i >= (size_t)MH_COUNT * HIST_STAT_NAMES)
            return SYNTH_ENOTFOUND;
        n = snprintf(buf, size, "%s%s", hist_prefix[i / HIST_STAT_NAMES],
                     hist_stat_name(i % HIST_STAT_NAMES));
    }
    return n < 0 || (size_t)n >= size ? SYNTH_ETOOBIG : 0;
}
