/*
 * Deadline timers: finding the tickets whose reminder or escalation is due,
 * and firing one timer inside a store job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "log.h"
#include "store_deadline.h"
#include "store_sqlite.h"

/* The audit actor and the channel of the notes written by the timers. */
#define STORE_DEADLINE_ACTOR "deadline"
#define STORE_DEADLINE_NOTE_CHANNEL "desk"

/* --- Finding due timers ------------------------------------------------------ */

void
store_deadline_due_free(struct store_deadline_due *due, size_t count)
{
	for (size_t i = 0; due != NULL && i < count; i++)
		free(due[i].department);
	free(due);
}

static int
store_deadline_due_row(sqlite3_stmt *stmt, int64_t now,
    struct store_deadline_due *due)
{
	due->ticket_id = sqlite3_column_int64(stmt, 0);
	due->due_at = sqlite3_column_int64(stmt, 2);
	due->timer = due->due_at <= now ? STORE_DEADLINE_ESCALATION :
	    STORE_DEADLINE_REMINDER;
	return store_sqlite_column_dup(stmt, 1, &due->department);
}

int
store_deadline_find(struct store *store, int64_t now,
    int64_t remind_before_ms, size_t limit, struct store_deadline_due **due)
{
	/* The first two conditions are those of the partial index tickets_due,
	 * written out so that the planner uses it; ?2 bounds the range. An
	 * escalated ticket has nothing left to fire. */
	static const char sql[] = "SELECT id, department, due_at FROM tickets"
	    " WHERE due_at IS NOT NULL AND status NOT IN ('resolved','closed')"
	    " AND due_at <= ?2 AND escalated_at IS NULL"
	    " AND (due_at <= ?1 OR reminded_at IS NULL)"
	    " ORDER BY due_at, id LIMIT ?3";
	int64_t horizon = remind_before_ms > 0 ? now + remind_before_ms : now;
	sqlite3_stmt *stmt;
	size_t count = 0;
	int rc;

	*due = calloc(limit + 1, sizeof(**due));
	if (*due == NULL)
		return -1;
	stmt = store_sqlite_query(&store->reader, sql, "iii", now, horizon,
	    (int64_t)limit);
	if (stmt == NULL) {
		free(*due);
		*due = NULL;
		return -1;
	}
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		if (store_deadline_due_row(stmt, now, &(*due)[count++]) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		store_deadline_due_free(*due, count);
		*due = NULL;
		return -1;
	}
	return (int)count;
}

/* --- Firing one timer -------------------------------------------------------- */

static void
store_deadline_person_clear(struct store_deadline_person *person)
{
	free(person->display_name);
	free(person->username);
	memset(person, 0, sizeof(*person));
}

void
store_deadline_fire_clear(struct store_deadline_fire *fire)
{
	free(fire->department);
	fire->department = NULL;
	store_deadline_person_clear(&fire->assignee);
	for (size_t i = 0; i < fire->supervisor_count; i++)
		store_deadline_person_clear(&fire->supervisors[i]);
	free(fire->supervisors);
	fire->supervisors = NULL;
	fire->supervisor_count = 0;
	fire->fired = false;
}

/* Sets the timer's column when the timer is pending and due. Returns 1
 * when it was set, 0 when not, -1 on error. */
static int
store_deadline_claim(struct store_tx *tx, struct store_deadline_fire *fire)
{
	static const char reminder[] = "UPDATE tickets SET reminded_at = ?1"
	    " WHERE id = ?2 AND status NOT IN " STORE_CLOSED_STATUSES
	    " AND due_at IS NOT NULL AND reminded_at IS NULL"
	    " AND escalated_at IS NULL AND due_at > ?1 AND due_at - ?3 <= ?1";
	static const char escalation[] = "UPDATE tickets SET escalated_at = ?1"
	    " WHERE id = ?2 AND status NOT IN " STORE_CLOSED_STATUSES
	    " AND due_at IS NOT NULL AND escalated_at IS NULL AND due_at <= ?1";
	sqlite3_stmt *stmt;

	if (fire->timer == STORE_DEADLINE_REMINDER) {
		if (fire->remind_before_ms <= 0)
			return 0;
		stmt = store_sqlite_query(tx->conn, reminder, "iii", fire->now,
		    fire->ticket_id, fire->remind_before_ms);
	} else {
		stmt = store_sqlite_query(tx->conn, escalation, "ii", fire->now,
		    fire->ticket_id);
	}
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	return sqlite3_changes(tx->conn->db) == 1 ? 1 : 0;
}

/* Reads an agent's names into person. Returns 0 (also when the agent is
 * gone, with only the id set) or -1. */
static int
store_deadline_person(struct store_tx *tx, int64_t agent_id,
    struct store_deadline_person *person)
{
	static const char sql[] = "SELECT display_name, username FROM agents"
	    " WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", agent_id);
	int rc;

	person->id = agent_id;
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = store_sqlite_column_dup(stmt, 0, &person->display_name) != 0 ||
	    store_sqlite_column_dup(stmt, 1, &person->username) != 0 ? -1 : 0;
	sqlite3_reset(stmt);
	return rc;
}

static int
store_deadline_ticket(struct store_tx *tx, struct store_deadline_fire *fire)
{
	static const char sql[] = "SELECT code, department, due_at,"
	    " assignee_id FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i",
	    fire->ticket_id);
	const unsigned char *code;
	int64_t assignee_id;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) != 1)
		return -1;
	code = sqlite3_column_text(stmt, 0);
	snprintf(fire->code, sizeof(fire->code), "%s",
	    code != NULL ? (const char *)code : "");
	fire->due_at = sqlite3_column_int64(stmt, 2);
	assignee_id = sqlite3_column_int64(stmt, 3);
	rc = store_sqlite_column_dup(stmt, 1, &fire->department);
	sqlite3_reset(stmt);
	if (rc != 0)
		return -1;
	return assignee_id != 0 ? store_deadline_person(tx, assignee_id,
	    &fire->assignee) : 0;
}

static int
store_deadline_supervisors(struct store_tx *tx,
    struct store_deadline_fire *fire)
{
	static const char sql[] = "SELECT agent.id, agent.display_name,"
	    " agent.username FROM agent_departments AS member"
	    " JOIN agents AS agent ON agent.id = member.agent_id"
	    " WHERE member.department = ? AND agent.role = 'supervisor'"
	    " AND agent.disabled = 0 ORDER BY agent.id";
	sqlite3_stmt *stmt;
	struct store_deadline_person *grown, *person;
	int rc;

	if (fire->department == NULL)
		return 0;
	if ((stmt = store_sqlite_query(tx->conn, sql, "t",
	    fire->department)) == NULL)
		return -1;
	while ((rc = store_sqlite_row(tx->conn, stmt)) == 1) {
		grown = realloc(fire->supervisors, (fire->supervisor_count + 1) *
		    sizeof(*grown));
		if (grown == NULL) {
			rc = -1;
			break;
		}
		fire->supervisors = grown;
		person = &grown[fire->supervisor_count++];
		memset(person, 0, sizeof(*person));
		person->id = sqlite3_column_int64(stmt, 0);
		if (store_sqlite_column_dup(stmt, 1, &person->display_name) !=
		    0 || store_sqlite_column_dup(stmt, 2,
		    &person->username) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc < 0)
		sqlite3_reset(stmt);
	return rc;
}

static json_t *
store_deadline_time(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

json_t *
store_deadline_payload(const struct store_deadline_fire *fire)
{
	json_t *payload, *supervisors;

	payload = json_pack("{s:I, s:s, s:s?, s:o, s:o}",
	    "ticket_id", (json_int_t)fire->ticket_id,
	    "code", fire->code,
	    "department", fire->department,
	    "due_at", store_deadline_time(fire->due_at),
	    "assignee_id", fire->assignee.id != 0 ?
	    json_integer(fire->assignee.id) : json_null());
	if (payload == NULL || fire->timer != STORE_DEADLINE_ESCALATION)
		return payload;
	supervisors = json_array();
	for (size_t i = 0; supervisors != NULL &&
	    i < fire->supervisor_count; i++) {
		if (json_array_append_new(supervisors,
		    json_integer(fire->supervisors[i].id)) != 0) {
			json_decref(supervisors);
			supervisors = NULL;
		}
	}
	if (json_object_set_new(payload, "supervisor_ids", supervisors) != 0) {
		json_decref(payload);
		return NULL;
	}
	return payload;
}

/* Adds the note, the audit event and the outbox row of a fired timer. */
static int
store_deadline_record(struct store_tx *tx, struct store_deadline_fire *fire)
{
	const char *event = fire->timer == STORE_DEADLINE_REMINDER ?
	    "ticket.reminder" : "ticket.escalated";
	struct store_message_new note = {
		.ticket_id = fire->ticket_id,
		.direction = "out",
		.kind = "note",
		.channel = STORE_DEADLINE_NOTE_CHANNEL,
	};
	json_t *json = store_deadline_payload(fire);
	char *payload = json != NULL ? json_dumps(json, JSON_COMPACT) : NULL;
	char *body = fire->note_text(fire, fire->note_arg);
	int rc = -1;

	json_decref(json);

	note.body = body;
	if (payload != NULL && body != NULL &&
	    store_tx_message_add(tx, &note) == 0 &&
	    store_tx_audit_add(tx, fire->ticket_id, STORE_DEADLINE_ACTOR,
	    event, payload) == 0)
		rc = store_tx_outbox_add(tx, event, fire->ticket_id, payload);
	free(payload);
	free(body);
	return rc;
}

int
store_tx_deadline_fire(struct store_tx *tx, struct store_deadline_fire *fire)
{
	int rc;

	fire->fired = false;
	if ((rc = store_deadline_claim(tx, fire)) <= 0)
		return rc;
	if (store_deadline_ticket(tx, fire) != 0 ||
	    (fire->timer == STORE_DEADLINE_ESCALATION &&
	    store_deadline_supervisors(tx, fire) != 0) ||
	    store_deadline_record(tx, fire) != 0) {
		log_error("deadline", "firing a timer failed ticket=%lld",
		    (long long)fire->ticket_id);
		return -1;
	}
	fire->fired = true;
	return 0;
}
