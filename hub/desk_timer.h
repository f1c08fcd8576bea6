/*
 * The deadline timers of tickets: a reminder before the due time and an
 * escalation to the department's supervisors at the due time.
 *
 * The timers are the stored columns reminded_at and escalated_at (see
 * store_deadline.h). The main thread scans for due timers at start-up and
 * then every deadlines.scan_interval_seconds, by clock_now_ms(), and fires
 * each one in its own store job. A restart therefore neither loses a timer
 * that came due while the daemon was down nor fires one twice. After the
 * commit, a fired reminder is published as "ticket.reminder" and a fired
 * escalation as "ticket.escalated", with the payload of the outbox row.
 */
#ifndef HUB_DESK_TIMER_H
#define HUB_DESK_TIMER_H

#include "store_deadline.h"

struct event_base;
struct events;
struct hub_config;
struct store;
struct desk_timer;

/* Maximum number of timers that one scan fires. A full scan is followed by
 * another one at once. */
#define DESK_TIMER_SCAN_MAX 100

/* Starts the periodic scan and runs the first scan. events may be NULL.
 * Returns NULL when out of memory. */
struct desk_timer *desk_timer_start(struct event_base *base,
    struct store *store, struct events *events,
    const struct hub_config *config);

/* Stops scanning. A scan whose jobs are queued finishes when the store
 * runs their completions. */
void desk_timer_stop(struct desk_timer *timer);

/* Frees the timer. Call it after store_close, which runs the completions
 * of the jobs still queued. NULL is ignored. */
void desk_timer_free(struct desk_timer *timer);

/* Names of a department for a note, as the desk configuration has them. */
struct desk_timer_names {
	const char *department;	/* id the names belong to; NULL for none */
	const char *name_vi;
	const char *name_en;
};

/* Writes the internal note of a fired timer, in Vietnamese and then in
 * English: the due time in Vietnam time and to whom the reminder goes (the
 * assignee, else the department), or the supervisors the escalation goes
 * to. names is a struct desk_timer_names for fire->department; another
 * department is shown by its id. Returns a new string, or NULL when out of
 * memory. Called on the store thread, so it reads only its arguments. */
char *desk_timer_note_text(const struct store_deadline_fire *fire, void *names);

#endif
