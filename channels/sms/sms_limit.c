/*
 * Per-number limits of the SMS module: how many answers a number gets and
 * how many new reports it may open within an hour. A fixed table of the
 * numbers seen last keeps the memory bounded: a number pushed out of it
 * starts again from zero, which lets through at most a few more texts.
 */
#include <stdio.h>
#include <string.h>

#include "sms_module.h"

#define SMS_LIMIT_WINDOW_MS (3600LL * 1000)

bool
sms_limit_take(struct sms_limit *limit, const char *number, int64_t now_ms)
{
	struct sms_limit_entry *entry = NULL, *oldest = &limit->entries[0];

	if (limit->max <= 0)
		return true;
	for (size_t i = 0; i < SMS_LIMIT_ENTRIES; i++) {
		struct sms_limit_entry *candidate = &limit->entries[i];

		if (strcmp(candidate->number, number) == 0) {
			entry = candidate;
			break;
		}
		if (candidate->window_start < oldest->window_start)
			oldest = candidate;
	}
	if (entry == NULL) {
		entry = oldest;
		snprintf(entry->number, sizeof entry->number, "%s", number);
		entry->window_start = now_ms;
		entry->count = 0;
	}
	if (now_ms - entry->window_start >= SMS_LIMIT_WINDOW_MS) {
		entry->window_start = now_ms;
		entry->count = 0;
	}
	if (entry->count >= limit->max)
		return false;
	entry->count++;
	return true;
}
