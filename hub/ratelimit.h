/*
 * Per-key token buckets for rate limits by client address. Memory is bounded:
 * at most max_keys buckets; when full, buckets that have refilled are dropped
 * first, then the least recently used.
 */
#ifndef HUB_RATELIMIT_H
#define HUB_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* per_minute tokens refill a bucket that holds burst tokens at most.
 * per_minute 0 disables the limit. */
struct ratelimit *ratelimit_new(int per_minute, int burst, size_t max_keys);

/* Takes a token from key's bucket at now_ms. Returns true when one was
 * there; otherwise sets *retry_after_seconds (may be NULL). */
bool ratelimit_take(struct ratelimit *limit, const char *key, int64_t now_ms,
    int *retry_after_seconds);

size_t ratelimit_size(const struct ratelimit *limit);

void ratelimit_free(struct ratelimit *limit);

#endif
