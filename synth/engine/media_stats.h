/* Media statistics of a run's calls: how many carried media, heard the
 * greeting, or connected without media; distributions of time to first
 * media, loss, jitter and MOS; and the policy checks (the port the server
 * answered from, the DSCP of what it sent). Per worker, merged at the end
 * like run_stats. */
#ifndef SYNTH_ENGINE_MEDIA_STATS_H
#define SYNTH_ENGINE_MEDIA_STATS_H

#include "synth/engine/step_result.h"
#include "synth/metrics/histogram.h"

#include <stdint.h>

/* Loss and MOS go into the µs histograms scaled by this, so that their
 * percentiles come out of the same code (a value of 4.41 is 4410 "µs"). */
#define MEDIA_STATS_SCALE 1000.0

struct media_policy_example {
    bool have;
    int64_t at_us;
    uint32_t user_index;
    uint16_t port;   /* the port check: what the server answered from */
    uint16_t range_first, range_last;
    int dscp;        /* the DSCP check: what arrived */
    int expected;
};

struct media_stats {
    uint64_t calls;              /* answered calls that offered media */
    uint64_t media_ok;           /* authenticated media arrived */
    uint64_t greeting_heard;
    uint64_t connected_no_media;
    uint64_t unauthenticated;    /* SRTP packets that failed authentication, all calls */
    uint64_t peer_reports;       /* calls whose far end reported (RTCP) on our audio */
    uint64_t one_way_to_us;      /* we heard the far end, its RTCP says it did not hear us */
    struct media_policy_example first_one_way;
    uint64_t port_checked, port_out_of_range;
    uint64_t dscp_checked, dscp_mismatch;
    struct media_policy_example first_bad_port, first_bad_dscp;
    struct hist first_media;     /* µs */
    struct hist greeting_onset;  /* µs */
    struct hist loss;            /* % × MEDIA_STATS_SCALE */
    struct hist jitter;          /* µs */
    struct hist mos;             /* × MEDIA_STATS_SCALE */
    /* The far end's view of synth's stream, from its RTCP reports: the
     * loss and jitter of what synth sent, as it arrived. */
    struct hist peer_loss;       /* % × MEDIA_STATS_SCALE */
    struct hist peer_jitter;     /* µs */
    /* The path (issue #4): calls by where their media went, and ICE. */
    uint64_t path_direct, path_relay, path_none;
    uint64_t ice_calls;          /* the peer did ICE */
    uint64_t ice_failed;         /* ... and no pair was nominated (ice-failed) */
    struct hist ice;             /* µs, answer → nominated pair */
    struct hist relay_allocate;  /* µs, the TURN allocation of a relayed-capable call */
};

void media_stats_init(struct media_stats *m);
/* Counts one call result (ignored unless it offered media and was answered). */
void media_stats_add(struct media_stats *m, const struct step_result *r);
void media_stats_merge(struct media_stats *dst, const struct media_stats *src);

/* Metrics for thresholds: media_ok_pct, greeting_heard_pct,
 * first_media_ms.<stat>, greeting_onset_ms.<stat>, loss_pct.<stat>,
 * jitter_ms.<stat>, mos.<stat>, peer_loss_pct.<stat>, peer_jitter_ms.<stat>. 0, SYNTH_ENOTFOUND, or SYNTH_EINVAL (no data). */
int media_stats_metric(const struct media_stats *m, const char *metric, double *out);
/* The i-th metric name, as run_stats_metric_name. */
int media_stats_metric_name(size_t i, char *buf, size_t size);

#endif
