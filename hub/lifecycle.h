/*
 * The ticket lifecycle: its statuses, the status changes the desk allows,
 * who may make them, what each change does to the ticket's timestamps and
 * assignee, and when a citizen's message reopens a resolved ticket.
 *
 * Allowed changes (from -> to):
 *
 *   new          -> assigned, in_progress, resolved, closed
 *   assigned     -> new, in_progress, waiting, resolved
 *   in_progress  -> waiting, resolved, assigned
 *   waiting      -> in_progress, resolved
 *   resolved     -> closed, in_progress (reopened)
 *   closed       -> nothing
 *
 * Rules on top of the table:
 *   - A change to the current status is not in the table, so it is refused
 *     like any other change the table forbids.
 *   - A change to assigned needs an assignee; a change to new clears it.
 *   - Closing a ticket that is not resolved needs a supervisor or an admin.
 *   - resolved sets resolved_at, closed sets closed_at, and reopening
 *     (resolved -> in_progress) clears both.
 *
 * Everything here is pure: no store, no clock, no I/O.
 */
#ifndef HUB_LIFECYCLE_H
#define HUB_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

enum lifecycle_status {
	LIFECYCLE_NEW,
	LIFECYCLE_ASSIGNED,
	LIFECYCLE_IN_PROGRESS,
	LIFECYCLE_WAITING,	/* waiting for the citizen */
	LIFECYCLE_RESOLVED,
	LIFECYCLE_CLOSED,
	LIFECYCLE_STATUS_COUNT
};

/* Size of the longest status name ("in_progress") with its NUL. */
#define LIFECYCLE_STATUS_SIZE 12

/* Outcome of checking a requested status change. */
enum lifecycle_verdict {
	LIFECYCLE_ALLOWED,
	LIFECYCLE_NOT_ALLOWED,	/* the table or a rule forbids it: 409 */
	LIFECYCLE_FORBIDDEN,	/* the caller's role does not allow it: 403 */
};

/* Side effects of a status change on the ticket's other columns. */
struct lifecycle_effect {
	bool set_resolved_at;	/* to the time of the change */
	bool set_closed_at;
	bool clear_resolved_at;
	bool clear_closed_at;
	bool clear_assignee;
};

/* "new", "assigned", "in_progress", "waiting", "resolved", "closed";
 * NULL for a value out of range. */
const char *lifecycle_status_name(enum lifecycle_status status);

/* Sets *status from its name. Returns 0, or -1 for another text. */
int lifecycle_status_parse(const char *name, enum lifecycle_status *status);

/* Whether the table allows from -> to. */
bool lifecycle_allowed(enum lifecycle_status from, enum lifecycle_status to);

/* Whether a ticket in status still needs work: neither resolved nor
 * closed. */
bool lifecycle_is_open(enum lifecycle_status status);

/* Checks a change requested through the desk: the table, the assignee rule
 * and the role rule. supervisor is true for a supervisor or an admin. The
 * table is checked first, so a change it forbids is NOT_ALLOWED for every
 * role. */
enum lifecycle_verdict lifecycle_check(enum lifecycle_status from,
    enum lifecycle_status to, bool supervisor, bool has_assignee);

/* Fills effect for an allowed change from -> to. */
void lifecycle_effect(enum lifecycle_status from, enum lifecycle_status to,
    struct lifecycle_effect *effect);

/* Status of a ticket after it gets an assignee (assigned) or loses it
 * (unassigned): a new ticket becomes assigned, an assigned one without an
 * assignee goes back to new, and any other status stays. */
enum lifecycle_status lifecycle_after_assignment(enum lifecycle_status status,
    bool assigned);

/* Whether a citizen's message that threads onto a ticket in status,
 * resolved at resolved_at (Unix ms, 0 when unknown), reopens it at now: the
 * ticket is resolved and now is at most window_ms after resolved_at. A
 * window of 0 never reopens; a closed ticket never reopens. */
bool lifecycle_reopens(enum lifecycle_status status, int64_t resolved_at,
    int64_t now, int64_t window_ms);

/* The status a reopened ticket gets. */
#define LIFECYCLE_REOPENED LIFECYCLE_IN_PROGRESS

#endif
