/*
 * Deadline timers in the store. A ticket that is not resolved or closed and
 * has a due time carries two timers, kept in its own columns so that they
 * survive a restart without a table of their own:
 *
 *   reminder    due at due_at minus the reminder lead, pending while
 *               reminded_at is NULL;
 *   escalation  due at due_at, pending while escalated_at is NULL.
 *
 * Firing a timer sets its column with a conditional UPDATE, so each timer
 * fires at most once, whatever the number of scans or restarts. A reminder
 * whose ticket is already past due_at does not fire: the escalation takes
 * its place.
 */
#ifndef HUB_STORE_DEADLINE_H
#define HUB_STORE_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

enum store_deadline_timer {
	STORE_DEADLINE_REMINDER,
	STORE_DEADLINE_ESCALATION,
};

/* A timer that is due, as found by store_deadline_find. */
struct store_deadline_due {
	int64_t ticket_id;
	enum store_deadline_timer timer;
	char *department;	/* NULL for none */
	int64_t due_at;
};

/* Finds at most limit timers due at now (Unix ms), the earliest due_at
 * first: escalations of open tickets with due_at <= now, and reminders of
 * open tickets with due_at - remind_before_ms <= now < due_at. With
 * remind_before_ms 0 no reminder is due. Reads the main thread's
 * connection. Sets *due to a new array (caller frees it with
 * store_deadline_due_free) and returns the number of timers, or -1. */
int store_deadline_find(struct store *store, int64_t now,
    int64_t remind_before_ms, size_t limit, struct store_deadline_due **due);

void store_deadline_due_free(struct store_deadline_due *due, size_t count);

/* An agent named in a note: the assignee or a supervisor. */
struct store_deadline_person {
	int64_t id;
	char *display_name;
	char *username;
};

/* One timer to fire in a store job, and what firing it found. */
struct store_deadline_fire {
	/* Set by the caller. */
	int64_t ticket_id;
	enum store_deadline_timer timer;
	int64_t now;			/* Unix ms: the time of the scan */
	int64_t remind_before_ms;
	/* Writes the text of the internal note from the fields below;
	 * returns a new string (freed by the store) or NULL. */
	char *(*note_text)(const struct store_deadline_fire *fire, void *arg);
	void *note_arg;

	/* Set by store_tx_deadline_fire when the timer fired. */
	bool fired;
	char code[TICKET_CODE_PLAIN_SIZE];
	char *department;		/* NULL for none */
	int64_t due_at;
	struct store_deadline_person assignee;	/* id 0: no assignee */
	/* Escalation: the enabled supervisors of the department. */
	struct store_deadline_person *supervisors;
	size_t supervisor_count;
};

/* Fires fire's timer when it is still pending and due at fire->now: sets
 * reminded_at or escalated_at to now, adds an internal note, an audit event
 * and an outbox row ("ticket.reminder" or "ticket.escalated", the latter
 * with the supervisors' ids), and sets fire->fired. A timer that has fired
 * already, whose ticket is resolved or closed, or that is not due at now
 * (the due time moved) is left alone with fired false. Returns 0 or -1. */
int store_tx_deadline_fire(struct store_tx *tx, struct store_deadline_fire *fire);

/* The payload of the outbox row and the event of a fired timer:
 * {ticket_id, code, department, due_at (Vietnam time), assignee_id (null
 * for none)}, and supervisor_ids for an escalation. Ids and public facts
 * only, as in every outbox row. Returns a new reference or NULL. */
json_t *store_deadline_payload(const struct store_deadline_fire *fire);

/* Frees what store_tx_deadline_fire set. */
void store_deadline_fire_clear(struct store_deadline_fire *fire);

#endif
