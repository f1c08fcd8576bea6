#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_stages.h"

#define PENDING_BUCKETS_MIN 64

struct pending_entry {
	char *key;
	void *value;
	struct pending_entry *next;
};

struct pipeline_pending {
	struct pending_entry **buckets;
	size_t bucket_count;	/* a power of two */
	size_t count;
};

/* FNV-1a: keys are short and come from our own pipeline, and a collision
 * costs only a longer chain. */
static size_t
pending_hash(const char *key)
{
	uint64_t hash = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		hash ^= *p;
		hash *= 1099511628211ULL;
	}
	return (size_t)hash;
}

struct pipeline_pending *
pipeline_pending_new(void)
{
	struct pipeline_pending *pending = calloc(1, sizeof(*pending));

	if (pending == NULL)
		return NULL;
	pending->bucket_count = PENDING_BUCKETS_MIN;
	pending->buckets = calloc(pending->bucket_count, sizeof(*pending->buckets));
	if (pending->buckets == NULL) {
		free(pending);
		return NULL;
	}
	return pending;
}

void
pipeline_pending_free(struct pipeline_pending *pending)
{
	if (pending == NULL)
		return;
	for (size_t i = 0; i < pending->bucket_count; i++) {
		struct pending_entry *entry = pending->buckets[i], *next;

		for (; entry != NULL; entry = next) {
			next = entry->next;
			free(entry->key);
			free(entry);
		}
	}
	free(pending->buckets);
	free(pending);
}

/* Doubles the table when it has more entries than buckets. */
static void
pending_grow(struct pipeline_pending *pending)
{
	size_t count = pending->bucket_count * 2;
	struct pending_entry **buckets = calloc(count, sizeof(*buckets));

	if (buckets == NULL)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < pending->bucket_count; i++) {
		struct pending_entry *entry = pending->buckets[i], *next;

		for (; entry != NULL; entry = next) {
			size_t slot = pending_hash(entry->key) & (count - 1);

			next = entry->next;
			entry->next = buckets[slot];
			buckets[slot] = entry;
		}
	}
	free(pending->buckets);
	pending->buckets = buckets;
	pending->bucket_count = count;
}

int
pipeline_pending_add(struct pipeline_pending *pending, const char *key,
    void *value)
{
	struct pending_entry *entry = calloc(1, sizeof(*entry));
	size_t slot;

	if (entry == NULL || (entry->key = strdup(key)) == NULL) {
		free(entry);
		return -1;
	}
	entry->value = value;
	if (pending->count >= pending->bucket_count)
		pending_grow(pending);
	slot = pending_hash(key) & (pending->bucket_count - 1);
	entry->next = pending->buckets[slot];
	pending->buckets[slot] = entry;
	pending->count++;
	return 0;
}

void *
pipeline_pending_find(const struct pipeline_pending *pending, const char *key)
{
	size_t slot = pending_hash(key) & (pending->bucket_count - 1);

	for (struct pending_entry *entry = pending->buckets[slot]; entry != NULL;
	    entry = entry->next)
		if (strcmp(entry->key, key) == 0)
			return entry->value;
	return NULL;
}

void
pipeline_pending_remove(struct pipeline_pending *pending, const char *key)
{
	size_t slot = pending_hash(key) & (pending->bucket_count - 1);
	struct pending_entry **link = &pending->buckets[slot];

	for (; *link != NULL; link = &(*link)->next) {
		struct pending_entry *entry = *link;

		if (strcmp(entry->key, key) == 0) {
			*link = entry->next;
			free(entry->key);
			free(entry);
			pending->count--;
			return;
		}
	}
}

size_t
pipeline_pending_count(const struct pipeline_pending *pending)
{
	return pending->count;
}
