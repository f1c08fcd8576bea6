#include "config.h"

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

/* Whether slot has no failure window or lock in effect at now. */
static bool
web_guard_idle(const struct web_guard_slot *slot, time_t now)
{
	return slot->code[0] == '\0' ||
	    (slot->locked_until <= now &&
	    slot->window_start + WEB_GUARD_WINDOW_SECONDS <= now);
}

/*
 * Picks a slot for a new code: an idle one, else the one whose lock or
 * window ends first.
 * NOTE: when every slot is busy (WEB_GUARD_SLOTS tickets failing at once) the
 * oldest record is dropped, which resets that ticket's count early.
 */
static struct web_guard_slot *
web_guard_take(struct web_guard *guard, time_t now)
{
	struct web_guard_slot *slot, *oldest = &guard->slots[0];
	time_t end, oldest_end = 0;
	size_t i;

	for (i = 0; i < guard->slot_count; i++) {
		slot = &guard->slots[i];
		if (web_guard_idle(slot, now))
			return slot;
		end = slot->locked_until > slot->window_start +
		    WEB_GUARD_WINDOW_SECONDS ? slot->locked_until :
		    slot->window_start + WEB_GUARD_WINDOW_SECONDS;
		if (i == 0 || end < oldest_end) {
			oldest = slot;
			oldest_end = end;
		}
	}
	log_warn("web", "factor lockout table full, dropping code=%s",
	    oldest->code);
	return oldest;
}

long
web_guard_locked(const struct web_guard *guard, const char *code, time_t now)
{
	const struct web_guard_slot *slot = web_guard_find(guard, code);

	if (slot == NULL || slot->locked_until <= now)
		return 0;
	return (long)(slot->locked_until - now);
}

void
web_guard_fail(struct web_guard *guard, const char *code, time_t now)
{
	struct web_guard_slot *slot = web_guard_find(guard, code);

	if (slot == NULL || web_guard_idle(slot, now)) {
		if (slot == NULL)
			slot = web_guard_take(guard, now);
		memset(slot, 0, sizeof *slot);
		snprintf(slot->code, sizeof slot->code, "%s", code);
		slot->window_start = now;
	}
	if (slot->window_start + WEB_GUARD_WINDOW_SECONDS <= now) {
		slot->window_start = now;
		slot->failures = 0;
	}
	slot->failures++;
	if (slot->failures >= WEB_GUARD_FAILURES_MAX) {
		slot->locked_until = now + WEB_GUARD_LOCK_SECONDS;
		slot->failures = 0;
		slot->window_start = now;
		log_warn("web", "second factor locked code=%s seconds=%d",
		    code, WEB_GUARD_LOCK_SECONDS);
	}
}

void
web_guard_free(struct web_guard *guard)
{
	free(guard->slots);
	guard->slots = NULL;
	guard->slot_count = 0;
}
