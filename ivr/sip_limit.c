/*
 * Admission of new calls by the concurrent cap and a fixed one-minute
 * window of INVITEs per source address.
 */
#include <stdio.h>
#include <string.h>

#include "sip_limit.h"

void
sip_limit_init(struct sip_limit *limit, int max_calls, int invites_per_minute,
    int retry_after_seconds)
{
	memset(limit, 0, sizeof *limit);
	limit->max_calls = max_calls;
	limit->invites_per_minute = invites_per_minute;
	limit->retry_after_seconds = retry_after_seconds;
}

/* The entry of source, or the least recently started one, reset for it. */
static struct sip_limit_source *
sip_limit_find(struct sip_limit *limit, const char *source, int64_t now_ms)
{
	struct sip_limit_source *oldest = &limit->sources[0];

	for (size_t i = 0; i < SIP_LIMIT_SOURCES; i++) {
		struct sip_limit_source *entry = &limit->sources[i];

		if (strcmp(entry->address, source) == 0)
			return entry;
		if (entry->window_start_ms < oldest->window_start_ms)
			oldest = entry;
	}
	snprintf(oldest->address, sizeof oldest->address, "%s", source);
	oldest->window_start_ms = now_ms;
	oldest->count = 0;
	return oldest;
}

enum sip_limit_result
sip_limit_admit(struct sip_limit *limit, const char *source, int calls,
    int64_t now_ms, int *retry_after_seconds)
{
	struct sip_limit_source *entry;
	int64_t remaining_ms;

	if (calls >= limit->max_calls) {
		*retry_after_seconds = limit->retry_after_seconds;
		return SIP_LIMIT_CALLS;
	}
	if (limit->invites_per_minute <= 0)
		return SIP_LIMIT_ADMITTED;
	entry = sip_limit_find(limit, source, now_ms);
	if (now_ms - entry->window_start_ms >= SIP_LIMIT_WINDOW_MS) {
		entry->window_start_ms = now_ms;
		entry->count = 0;
	}
	if (entry->count < limit->invites_per_minute) {
		entry->count++;
		return SIP_LIMIT_ADMITTED;
	}
	remaining_ms = entry->window_start_ms + SIP_LIMIT_WINDOW_MS - now_ms;
	*retry_after_seconds = (int)((remaining_ms + 999) / 1000);
	return SIP_LIMIT_RATE;
}

bool
sip_limit_log_reject(struct sip_limit *limit, const char *source,
    int64_t now_ms, unsigned long *quiet_count)
{
	struct sip_limit_logged *oldest = &limit->logged[0], *entry = NULL;

	for (size_t i = 0; i < SIP_LIMIT_LOG_SOURCES && entry == NULL; i++) {
		if (strcmp(limit->logged[i].address, source) == 0)
			entry = &limit->logged[i];
		else if (limit->logged[i].window_start_ms <
		    oldest->window_start_ms)
			oldest = &limit->logged[i];
	}
	*quiet_count = 0;
	if (entry == NULL) {
		entry = oldest;
		snprintf(entry->address, sizeof entry->address, "%s", source);
	} else if (now_ms - entry->window_start_ms < SIP_LIMIT_WINDOW_MS) {
		entry->quiet++;
		return false;
	} else {
		*quiet_count = entry->quiet;
	}
	entry->window_start_ms = now_ms;
	entry->quiet = 0;
	return true;
}
