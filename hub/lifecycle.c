#include <string.h>

#include "lifecycle.h"

static const char *const lifecycle_names[LIFECYCLE_STATUS_COUNT] = {
	[LIFECYCLE_NEW] = "new",
	[LIFECYCLE_ASSIGNED] = "assigned",
	[LIFECYCLE_IN_PROGRESS] = "in_progress",
	[LIFECYCLE_WAITING] = "waiting",
	[LIFECYCLE_RESOLVED] = "resolved",
	[LIFECYCLE_CLOSED] = "closed",
};

#define LIFECYCLE_TO(status) (1u << (status))

/* The table of the header: bit t of lifecycle_table[f] allows f -> t. */
static const unsigned int lifecycle_table[LIFECYCLE_STATUS_COUNT] = {
	[LIFECYCLE_NEW] = LIFECYCLE_TO(LIFECYCLE_ASSIGNED) |
	    LIFECYCLE_TO(LIFECYCLE_IN_PROGRESS) |
	    LIFECYCLE_TO(LIFECYCLE_RESOLVED) | LIFECYCLE_TO(LIFECYCLE_CLOSED),
	[LIFECYCLE_ASSIGNED] = LIFECYCLE_TO(LIFECYCLE_NEW) |
	    LIFECYCLE_TO(LIFECYCLE_IN_PROGRESS) |
	    LIFECYCLE_TO(LIFECYCLE_WAITING) | LIFECYCLE_TO(LIFECYCLE_RESOLVED),
	[LIFECYCLE_IN_PROGRESS] = LIFECYCLE_TO(LIFECYCLE_WAITING) |
	    LIFECYCLE_TO(LIFECYCLE_RESOLVED) | LIFECYCLE_TO(LIFECYCLE_ASSIGNED),
	[LIFECYCLE_WAITING] = LIFECYCLE_TO(LIFECYCLE_IN_PROGRESS) |
	    LIFECYCLE_TO(LIFECYCLE_RESOLVED),
	[LIFECYCLE_RESOLVED] = LIFECYCLE_TO(LIFECYCLE_CLOSED) |
	    LIFECYCLE_TO(LIFECYCLE_IN_PROGRESS),
	[LIFECYCLE_CLOSED] = 0,
};

static bool
lifecycle_valid(enum lifecycle_status status)
{
	return (unsigned int)status < LIFECYCLE_STATUS_COUNT;
}

const char *
lifecycle_status_name(enum lifecycle_status status)
{
	return lifecycle_valid(status) ? lifecycle_names[status] : NULL;
}

int
lifecycle_status_parse(const char *name, enum lifecycle_status *status)
{
	for (int i = 0; i < LIFECYCLE_STATUS_COUNT; i++) {
		if (strcmp(name, lifecycle_names[i]) == 0) {
			*status = (enum lifecycle_status)i;
			return 0;
		}
	}
	return -1;
}

bool
lifecycle_allowed(enum lifecycle_status from, enum lifecycle_status to)
{
	if (!lifecycle_valid(from) || !lifecycle_valid(to))
		return false;
	return (lifecycle_table[from] & LIFECYCLE_TO(to)) != 0;
}

bool
lifecycle_is_open(enum lifecycle_status status)
{
	return status != LIFECYCLE_RESOLVED && status != LIFECYCLE_CLOSED;
}

enum lifecycle_verdict
lifecycle_check(enum lifecycle_status from, enum lifecycle_status to,
    bool supervisor, bool has_assignee)
{
	if (!lifecycle_allowed(from, to))
		return LIFECYCLE_NOT_ALLOWED;
	if (to == LIFECYCLE_ASSIGNED && !has_assignee)
		return LIFECYCLE_NOT_ALLOWED;
	if (to == LIFECYCLE_CLOSED && from != LIFECYCLE_RESOLVED && !supervisor)
		return LIFECYCLE_FORBIDDEN;
	return LIFECYCLE_ALLOWED;
}

void
lifecycle_effect(enum lifecycle_status from, enum lifecycle_status to,
    struct lifecycle_effect *effect)
{
	memset(effect, 0, sizeof(*effect));
	effect->set_resolved_at = to == LIFECYCLE_RESOLVED;
	effect->set_closed_at = to == LIFECYCLE_CLOSED;
	effect->clear_assignee = to == LIFECYCLE_NEW;
	if (from == LIFECYCLE_RESOLVED && to == LIFECYCLE_REOPENED) {
		effect->clear_resolved_at = true;
		effect->clear_closed_at = true;
	}
}

enum lifecycle_status
lifecycle_after_assignment(enum lifecycle_status status, bool assigned)
{
	if (assigned && status == LIFECYCLE_NEW)
		return LIFECYCLE_ASSIGNED;
	if (!assigned && status == LIFECYCLE_ASSIGNED)
		return LIFECYCLE_NEW;
	return status;
}

bool
lifecycle_reopens(enum lifecycle_status status, int64_t resolved_at,
    int64_t now, int64_t window_ms)
{
	if (status != LIFECYCLE_RESOLVED || resolved_at <= 0 || window_ms <= 0)
		return false;
	/* A clock set back after the ticket was resolved still reopens it. */
	return now - resolved_at <= window_ms;
}
