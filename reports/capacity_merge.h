/* The capacity record of a sharded run (`synth merge`): the phases of a ramp
 * or step-until profile judged again on the sum of every shard's results,
 * never on one shard's verdict, since each shard carried only its share of
 * the load. Each shard's events fall into the phases of its own timeline
 * (the same profile, from that shard's start); a phase is judged only if
 * every shard ran it to its end: after the first shard stopped, the load
 * was no longer the phase's rate, so such phases are cut or not run. */
#ifndef SYNTH_REPORTS_CAPACITY_MERGE_H
#define SYNTH_REPORTS_CAPACITY_MERGE_H

#include "reports/merge.h"
#include "synth/base/err.h"
#include "synth/engine/capacity.h"

#include <jansson.h>
#include <stdbool.h>

/* Fills c (capacity_init'ed by the caller for the scenario and its full,
 * unsharded profile) from the n shards: phase statistics from their
 * events.jsonl (results after each phase's warm-up, as a run counts them),
 * arrivals skipped from their summaries, the earliest shard's stop as the
 * merged run's ("shard K: " before its reason; aborted when any shard was),
 * then judged by capacity_conclude. *generator_bound: any shard's was.
 * 0, SYNTH_ENOMEM, SYNTH_EIO, SYNTH_EPARSE ("DIR/events.jsonl:LINE: ..."). */
int capacity_merge(struct capacity *c, const struct merge_shard *s, size_t n,
                   bool *generator_bound, struct synth_error *err);

/* summary.json "capacity" of the merged run: capacity_json of c, with
 * "generator" the first generator-bound shard's (else shard 0's) and
 * "shard_generators" every shard's, in shard order. New reference; NULL on
 * ENOMEM. */
json_t *capacity_merge_json(const struct capacity *c, const struct merge_shard *s, size_t n,
                            bool generator_bound);

#endif
