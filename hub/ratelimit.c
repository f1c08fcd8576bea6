#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimit.h"

/*
 * Token buckets in fixed point: one token is RATELIMIT_UNIT units and each
 * millisecond adds per_minute units, so refill is exact integer arithmetic.
 * Buckets live in a hash table (SipHash with a random key, because the keys
 * are addresses that clients choose) and on a list ordered by last use.
 */

#define RATELIMIT_UNIT 60000		/* milliseconds in a minute */
#define RATELIMIT_EVICT_SCAN 32		/* oldest buckets checked for refill */

struct ratelimit_bucket {
	struct ratelimit_bucket *hash_next;
	struct ratelimit_bucket *older;
	struct ratelimit_bucket *newer;
	int64_t units;
	int64_t updated_ms;
	uint64_t hash;
	char key[];
};

struct ratelimit {
	int per_minute;
	int64_t capacity;		/* burst in units */
	size_t max_keys;
	size_t size;

	struct ratelimit_bucket **table;
	size_t table_mask;
	struct ratelimit_bucket *newest;
	struct ratelimit_bucket *oldest;

	uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

struct ratelimit *
ratelimit_new(int per_minute, int burst, size_t max_keys)
{
	struct ratelimit *limit;
	size_t table_size = 16;

	if (per_minute < 0 || burst < 1 || max_keys < 1)
		return NULL;
	if (sodium_init() < 0)
		return NULL;

	limit = calloc(1, sizeof *limit);
	if (limit == NULL)
		return NULL;
	limit->per_minute = per_minute;
	limit->capacity = (int64_t)burst * RATELIMIT_UNIT;
	limit->max_keys = max_keys;

	while (table_size < max_keys && table_size < ((size_t)1 << 30))
		table_size <<= 1;
	limit->table = calloc(table_size, sizeof *limit->table);
	if (limit->table == NULL) {
		free(limit);
		return NULL;
	}
	limit->table_mask = table_size - 1;
	randombytes_buf(limit->hash_key, sizeof limit->hash_key);
	return limit;
}

static uint64_t
ratelimit_hash(const struct ratelimit *limit, const char *key)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t hash;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key),
	    limit->hash_key);
	memcpy(&hash, out, sizeof hash);
	return hash;
}

static void
ratelimit_unlink_order(struct ratelimit *limit, struct ratelimit_bucket *bucket)
{
	if (bucket->older != NULL)
		bucket->older->newer = bucket->newer;
	else
		limit->oldest = bucket->newer;
	if (bucket->newer != NULL)
		bucket->newer->older = bucket->older;
	else
		limit->newest = bucket->older;
	bucket->older = bucket->newer = NULL;
}

static void
ratelimit_push_newest(struct ratelimit *limit, struct ratelimit_bucket *bucket)
{
	bucket->older = limit->newest;
	bucket->newer = NULL;
	if (limit->newest != NULL)
		limit->newest->newer = bucket;
	else
		limit->oldest = bucket;
	limit->newest = bucket;
}

static void
ratelimit_remove(struct ratelimit *limit, struct ratelimit_bucket *bucket)
{
	struct ratelimit_bucket **slot;

	slot = &limit->table[bucket->hash & limit->table_mask];
	while (*slot != bucket)
		slot = &(*slot)->hash_next;
	*slot = bucket->hash_next;

	ratelimit_unlink_order(limit, bucket);
	limit->size--;
	free(bucket);
}

static struct ratelimit_bucket *
ratelimit_find(const struct ratelimit *limit, const char *key, uint64_t hash)
{
	struct ratelimit_bucket *bucket;

	bucket = limit->table[hash & limit->table_mask];
	for (; bucket != NULL; bucket = bucket->hash_next) {
		if (bucket->hash == hash && strcmp(bucket->key, key) == 0)
			return bucket;
	}
	return NULL;
}

/* Units in bucket at now_ms, refilled and capped at the capacity. */
static int64_t
ratelimit_units_at(const struct ratelimit *limit,
    const struct ratelimit_bucket *bucket, int64_t now_ms)
{
	int64_t elapsed = now_ms - bucket->updated_ms;

	if (elapsed <= 0)
		return bucket->units;
	if (elapsed >= (limit->capacity - bucket->units) / limit->per_minute + 1)
		return limit->capacity;
	return bucket->units + elapsed * limit->per_minute;
}

/*
 * Makes room for one bucket. A bucket that has refilled to its capacity is
 * the same as no bucket, so such buckets among the oldest go first. When
 * there are none, the least recently used bucket goes.
 */
static void
ratelimit_evict(struct ratelimit *limit, int64_t now_ms)
{
	struct ratelimit_bucket *bucket = limit->oldest;
	struct ratelimit_bucket *newer;
	size_t removed = 0;

	for (int i = 0; i < RATELIMIT_EVICT_SCAN && bucket != NULL; i++) {
		newer = bucket->newer;
		if (ratelimit_units_at(limit, bucket, now_ms) >= limit->capacity) {
			ratelimit_remove(limit, bucket);
			removed++;
		}
		bucket = newer;
	}
	if (removed == 0 && limit->oldest != NULL)
		ratelimit_remove(limit, limit->oldest);
}

static struct ratelimit_bucket *
ratelimit_insert(struct ratelimit *limit, const char *key, uint64_t hash,
    int64_t now_ms)
{
	struct ratelimit_bucket *bucket;
	size_t key_size = strlen(key) + 1;
	size_t slot;

	if (limit->size >= limit->max_keys)
		ratelimit_evict(limit, now_ms);

	bucket = calloc(1, sizeof *bucket + key_size);
	if (bucket == NULL)
		return NULL;
	memcpy(bucket->key, key, key_size);
	bucket->hash = hash;
	bucket->units = limit->capacity;
	bucket->updated_ms = now_ms;

	slot = hash & limit->table_mask;
	bucket->hash_next = limit->table[slot];
	limit->table[slot] = bucket;
	ratelimit_push_newest(limit, bucket);
	limit->size++;
	return bucket;
}

static int
ratelimit_retry_seconds(const struct ratelimit *limit, int64_t units)
{
	int64_t missing = RATELIMIT_UNIT - units;
	int64_t wait_ms = (missing + limit->per_minute - 1) / limit->per_minute;

	return (int)((wait_ms + 999) / 1000);
}

bool
ratelimit_take(struct ratelimit *limit, const char *key, int64_t now_ms,
    int *retry_after_seconds)
{
	struct ratelimit_bucket *bucket;
	uint64_t hash;
	int64_t units;

	if (limit->per_minute == 0)
		return true;

	hash = ratelimit_hash(limit, key);
	bucket = ratelimit_find(limit, key, hash);
	if (bucket == NULL)
		bucket = ratelimit_insert(limit, key, hash, now_ms);
	if (bucket == NULL)
		return true;	/* out of memory: let the request through */

	units = ratelimit_units_at(limit, bucket, now_ms);
	if (now_ms > bucket->updated_ms)
		bucket->updated_ms = now_ms;
	ratelimit_unlink_order(limit, bucket);
	ratelimit_push_newest(limit, bucket);

	if (units >= RATELIMIT_UNIT) {
		bucket->units = units - RATELIMIT_UNIT;
		return true;
	}
	bucket->units = units;
	if (retry_after_seconds != NULL)
		*retry_after_seconds = ratelimit_retry_seconds(limit, units);
	return false;
}

size_t
ratelimit_size(const struct ratelimit *limit)
{
	return limit->size;
}

void
ratelimit_free(struct ratelimit *limit)
{
	struct ratelimit_bucket *bucket, *newer;

	if (limit == NULL)
		return;
	for (bucket = limit->oldest; bucket != NULL; bucket = newer) {
		newer = bucket->newer;
		free(bucket);
	}
	free(limit->table);
	free(limit);
}
