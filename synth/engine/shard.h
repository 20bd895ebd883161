/* A shard: one of N processes (machines, pods of a Kubernetes Indexed Job)
 * that together run one scenario's load. Shard K of N takes a contiguous
 * block of the users and every N-th arrival of the load profile (K, K+N,
 * K+2N...), so the union of the shards' arrivals is the unsharded schedule
 * and no user or arrival is taken twice. Pure arithmetic, no I/O. */
#ifndef SYNTH_ENGINE_SHARD_H
#define SYNTH_ENGINE_SHARD_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stdint.h>

/* More shards than this is a typo: each shard is a process with at least
 * one user, and a cluster of 1000 generators would be a test of its own. */
#define SHARD_COUNT_MAX 1000

struct shard {
    uint32_t index; /* 0-based, as Kubernetes' JOB_COMPLETION_INDEX */
    uint32_t count; /* 1 (or 0): not sharded */
};

/* "K/N" with 0 <= K < N <= SHARD_COUNT_MAX. SYNTH_EINVAL with what is wrong. */
int shard_parse(struct shard *s, const char *text, struct synth_error *err);

/* The shard when no --shard was given: index from index_env (the value of
 * JOB_COMPLETION_INDEX, NULL when unset), count from count_text (--shard-count
 * or SYNTH_SHARDS, NULL when neither). Neither set: not sharded. An index
 * without a count, or a bad number: SYNTH_EINVAL. */
int shard_from_env(struct shard *s, const char *index_env, const char *count_text,
                   struct synth_error *err);

bool shard_is_split(const struct shard *s);

/* How many of items 0..total-1 fall to the shard taking i % count == index:
 * its share of iterations, of a concurrency cap. */
uint64_t shard_share(const struct shard *s, uint64_t total);

/* The shard's block of users [*first, *first + *n): the same arithmetic as
 * the split of users among workers, so indexes stay global (user i takes
 * via[i % via_count] in every shard as it would unsharded). */
void shard_users(const struct shard *s, uint32_t users, uint32_t *first, uint32_t *n);

/* The profile's arrival number of the shard's local arrival k. */
uint64_t shard_arrival(const struct shard *s, uint64_t k);

#endif
