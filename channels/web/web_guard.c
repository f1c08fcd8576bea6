#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

int
web_guard_init(struct web_guard *guard, size_t slot_count)
{
	guard->slots = calloc(slot_count, sizeof *guard->slots);
	if (guard->slots == NULL)
		return -1;
	guard->slot_count = slot_count;
	return 0;
}

/* NOTE: the table is searched linearly, so each factor check costs time in
 * proportion to factor_table_size. */
static struct web_guard_slot *
web_guard_find(const struct web_guard *guard, const char *code)
{
	size_t i;

	for (i = 0; i < guard->slot_count; i++) {
		if (strcmp(guard->slots[i].code, code) == 0)
			return &guard->slots[i];
	}
	return NULL;
}

static bool
web_guard_lock_active(const struct web_guard_slot *slot, time_t now)
{
	return slot->code[0] != '\0' && slot->locked_until > now;
}

/* Whether slot has no failure window or lock in effect at now. */
static bool
web_guard_idle(const struct web_guard_slot *slot, time_t now)
{
	return slot->code[0] == '\0' || (!web_guard_lock_active(slot, now) &&
	    slot->window_start + WEB_GUARD_WINDOW_SECONDS <= now);
}

/*
 * Picks a slot for a new code: an idle one, else the one without an active
 * lock whose failure window started first. Dropping that entry forgets
 * fewer than WEB_GUARD_FAILURES_MAX failures of its ticket. Returns NULL
 * when every slot has an active lock, because dropping a lock early would
 * allow more guesses on its ticket.
 */
static struct web_guard_slot *
web_guard_take(struct web_guard *guard, time_t now)
{
	struct web_guard_slot *slot, *oldest = NULL;
	size_t i;

	for (i = 0; i < guard->slot_count; i++) {
		slot = &guard->slots[i];
		if (web_guard_idle(slot, now))
			return slot;
		if (web_guard_lock_active(slot, now))
			continue;
		if (oldest == NULL || slot->window_start < oldest->window_start)
			oldest = slot;
	}
	if (oldest != NULL)
		log_debug("web", "factor lockout table full, dropping the "
		    "failures of code=%s", oldest->code);
	return oldest;
}

/* Seconds until the first lock of the table ends, or 0 when some slot
 * has no active lock. */
static long
web_guard_full_seconds(const struct web_guard *guard, time_t now)
{
	const struct web_guard_slot *slot;
	time_t first_end = 0;
	size_t i;

	for (i = 0; i < guard->slot_count; i++) {
		slot = &guard->slots[i];
		if (!web_guard_lock_active(slot, now))
			return 0;
		if (i == 0 || slot->locked_until < first_end)
			first_end = slot->locked_until;
	}
	return guard->slot_count > 0 ? (long)(first_end - now) : 0;
}

long
web_guard_locked(const struct web_guard *guard, const char *code, time_t now,
    bool *table_full)
{
	const struct web_guard_slot *slot = web_guard_find(guard, code);

	*table_full = false;
	if (slot == NULL) {
		long seconds = web_guard_full_seconds(guard, now);

		*table_full = seconds > 0;
		return seconds;
	}
	if (slot->locked_until <= now)
		return 0;
	return (long)(slot->locked_until - now);
}

int
web_guard_fail(struct web_guard *guard, const char *code, time_t now)
{
	struct web_guard_slot *slot = web_guard_find(guard, code);

	if (slot == NULL || web_guard_idle(slot, now)) {
		if (slot == NULL)
			slot = web_guard_take(guard, now);
		if (slot == NULL)
			return -1;
		memset(slot, 0, sizeof *slot);
		snprintf(slot->code, sizeof slot->code, "%s", code);
		slot->window_start = now;
	}
	if (slot->window_start + WEB_GUARD_WINDOW_SECONDS <= now) {
		slot->window_start = now;
		slot->failures = 0;
	}
	slot->failures++;
	if (slot->failures < WEB_GUARD_FAILURES_MAX)
		return 0;
	slot->locked_until = now + WEB_GUARD_LOCK_SECONDS;
	slot->failures = 0;
	slot->window_start = now;
	return 1;
}

void
web_guard_free(struct web_guard *guard)
{
	free(guard->slots);
	guard->slots = NULL;
	guard->slot_count = 0;
}
