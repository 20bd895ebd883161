/* Shard arithmetic: a block of users and every N-th arrival (shard.h). */
#include "shard.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

static int parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    if (!text || !*text || *text == '-' || *text == '+')
        return SYNTH_EINVAL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return SYNTH_EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int shard_parse(struct shard *s, const char *text, struct synth_error *err)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char k[16];
    uint32_t index, count;

    if (!slash || (size_t)(slash - text) >= sizeof(k))
        return synth_error_set(err, SYNTH_EINVAL, "expected K/N (e.g. 0/3), got '%s'",
                               text ? text : "");
    memcpy(k, text, (size_t)(slash - text));
    k[slash - text] = '\0';
    if (parse_u32(slash + 1, 1, SHARD_COUNT_MAX, &count) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "'%s': N must be 1..%d", text,
                               SHARD_COUNT_MAX);
    if (parse_u32(k, 0, count - 1, &index) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "'%s': K must be 0..%u (0-based)", text,
                               count - 1);
    s->index = index;
    s->count = count;
    return 0;
}

int shard_from_env(struct shard *s, const char *index_env, const char *count_text,
                   struct synth_error *err)
{
    s->index = 0;
    s->count = 1;
    if (!index_env && !count_text)
        return 0;
    if (!count_text)
        return synth_error_set(err, SYNTH_EINVAL,
                               "JOB_COMPLETION_INDEX is %s but no shard count was given "
                               "(--shard-count N or SYNTH_SHARDS)", index_env);
    if (parse_u32(count_text, 1, SHARD_COUNT_MAX, &s->count) != 0)
        return synth_error_set(err, SYNTH_EINVAL, "shard count '%s': expected 1..%d",
                               count_text, SHARD_COUNT_MAX);
    if (!index_env)
        return synth_error_set(err, SYNTH_EINVAL,
                               "a shard count (%u) without JOB_COMPLETION_INDEX: use --shard K/N",
                               s->count);
    if (parse_u32(index_env, 0, s->count - 1, &s->index) != 0)
        return synth_error_set(err, SYNTH_EINVAL,
                               "JOB_COMPLETION_INDEX '%s': expected 0..%u for %u shards",
                               index_env, s->count - 1, s->count);
    return 0;
}

bool shard_is_split(const struct shard *s)
{
    return s->count > 1;
}

uint64_t shard_share(const struct shard *s, uint64_t total)
{
    if (s->count <= 1)
        return total;
    return total / s->count + (s->index < total % s->count);
}

void shard_users(const struct shard *s, uint32_t users, uint32_t *first, uint32_t *n)
{
    uint32_t count = s->count ? s->count : 1;
    uint32_t a = (uint32_t)((uint64_t)users * s->index / count);
    uint32_t b = (uint32_t)((uint64_t)users * (s->index + 1) / count);
    *first = a;
    *n = b - a;
}

uint64_t shard_arrival(const struct shard *s, uint64_t k)
{
    return s->count > 1 ? k * s->count + s->index : k;
}
