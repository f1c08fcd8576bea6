/*
 * Automatic assignment: the agent choice, the assignment writes and the
 * assignment fields of a ticket's JSON. The store_tx_* functions run on the
 * store thread inside the savepoint of their job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store_assign.h"
#include "store_sqlite.h"

#define STORE_ASSIGN_CURSOR_PREFIX "assignment.cursor."
/* desk_settings key of a cursor: the prefix and a department id. */
#define STORE_ASSIGN_KEY_MAX 128

/* Columns of agents qualifying for department ?1, other than agent ?2. */
#define STORE_ASSIGN_QUALIFYING " FROM agent_departments AS member"	\
	" JOIN agents AS agent ON agent.id = member.agent_id"		\
	" WHERE member.department = ?1 AND agent.available = 1"		\
	" AND agent.disabled = 0 AND agent.role IN ('agent','supervisor')" \
	" AND agent.id <> ?2"

/* Reason of an assignment change, written in its audit event. */
enum store_assign_reason {
	STORE_ASSIGN_NEW_TICKET,
	STORE_ASSIGN_AGENT_AVAILABLE,
	STORE_ASSIGN_AGENT_UNAVAILABLE,
	STORE_ASSIGN_AGENT_LEFT_DEPARTMENT,
};

static const char *const store_assign_reasons[] = {
	[STORE_ASSIGN_NEW_TICKET] = "new_ticket",
	[STORE_ASSIGN_AGENT_AVAILABLE] = "agent_available",
	[STORE_ASSIGN_AGENT_UNAVAILABLE] = "agent_unavailable",
	[STORE_ASSIGN_AGENT_LEFT_DEPARTMENT] = "agent_left_department",
};

static const char *const store_assign_policies[] = {
	[DESK_ASSIGNMENT_MANUAL] = "manual",
	[DESK_ASSIGNMENT_ROUND_ROBIN] = "round_robin",
	[DESK_ASSIGNMENT_FEWEST_OPEN] = "fewest_open",
};

void
store_assign_changes_clear(struct store_assign_changes *changes)
{
	free(changes->items);
	memset(changes, 0, sizeof(*changes));
}

static int
store_assign_changes_add(struct store_assign_changes *changes,
    int64_t ticket_id, int64_t assignee_id, int64_t previous_id)
{
	struct store_assign_change *items;
	size_t capacity;

	if (changes->count == changes->capacity) {
		capacity = changes->capacity == 0 ? 8 : 2 * changes->capacity;
		items = realloc(changes->items, capacity * sizeof(*items));
		if (items == NULL) {
			log_error("store", "assignment failed: out of memory");
			return -1;
		}
		changes->items = items;
		changes->capacity = capacity;
	}
	changes->items[changes->count++] = (struct store_assign_change){
		ticket_id, assignee_id, previous_id };
	return 0;
}

enum desk_assignment
store_assign_policy_of(const struct store_assign_policy *policies,
    size_t count, const char *department)
{
	if (department == NULL)
		return DESK_ASSIGNMENT_MANUAL;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(policies[i].department, department) == 0)
			return policies[i].assignment;
	}
	return DESK_ASSIGNMENT_MANUAL;
}

/* --- Choosing an agent ---------------------------------------------------- */

static int
store_assign_cursor_key(const char *department, char *key, size_t size)
{
	if ((size_t)snprintf(key, size, "%s%s", STORE_ASSIGN_CURSOR_PREFIX,
	    department) >= size) {
		log_error("store", "assignment failed: department id too long "
		    "department=%.64s", department);
		return -1;
	}
	return 0;
}

/* Reads the round robin cursor of a department: the id of the agent who
 * got its last ticket, 0 when none did. */
static int
store_assign_cursor_get(struct store_tx *tx, const char *key, int64_t *cursor)
{
	static const char sql[] = "SELECT CAST(value AS INTEGER)"
	    " FROM desk_settings WHERE key = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "t", key);
	int rc;

	*cursor = 0;
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*cursor = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return 0;
}

static int
store_assign_cursor_set(struct store_tx *tx, const char *key, int64_t cursor)
{
	static const char sql[] = "INSERT INTO desk_settings (key, value,"
	    " updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET"
	    " value = excluded.value, updated_by = NULL,"
	    " updated_at = excluded.updated_at";
	char value[24];
	sqlite3_stmt *stmt;

	snprintf(value, sizeof(value), "%lld", (long long)cursor);
	stmt = store_sqlite_query(tx->conn, sql, "tti", key, value, tx->now);
	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}

/* Steps a statement whose first column is an agent id. */
static int
store_assign_first_id(struct store_tx *tx, sqlite3_stmt *stmt,
    int64_t *agent_id)
{
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*agent_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

static int
store_assign_round_robin(struct store_tx *tx, const char *department,
    int64_t exclude_id, int64_t *agent_id)
{
	/* Agents above the cursor first, by id, then the others from the
	 * lowest id: the order of a circle that starts after the cursor. */
	static const char sql[] = "SELECT agent.id" STORE_ASSIGN_QUALIFYING
	    " ORDER BY agent.id <= ?3, agent.id LIMIT 1";
	char key[STORE_ASSIGN_KEY_MAX];
	int64_t cursor;
	int rc;

	if (store_assign_cursor_key(department, key, sizeof(key)) != 0 ||
	    store_assign_cursor_get(tx, key, &cursor) != 0)
		return -1;
	rc = store_assign_first_id(tx, store_sqlite_query(tx->conn, sql, "tii",
	    department, exclude_id, cursor), agent_id);
	if (rc == 1 && store_assign_cursor_set(tx, key, *agent_id) != 0)
		return -1;
	return rc;
}

static int
store_assign_fewest_open(struct store_tx *tx, const char *department,
    int64_t exclude_id, int64_t *agent_id)
{
	static const char sql[] = "SELECT agent.id" STORE_ASSIGN_QUALIFYING
	    " ORDER BY (SELECT COUNT(*) FROM tickets"
	    " WHERE tickets.assignee_id = agent.id AND tickets.status NOT IN "
	    STORE_CLOSED_STATUSES "), agent.id LIMIT 1";

	return store_assign_first_id(tx, store_sqlite_query(tx->conn, sql,
	    "ti", department, exclude_id), agent_id);
}

int
store_tx_assign_choose(struct store_tx *tx, const char *department,
    enum desk_assignment assignment, int64_t exclude_id, int64_t *agent_id)
{
	*agent_id = 0;
	if (department == NULL)
		return 0;
	switch (assignment) {
	case DESK_ASSIGNMENT_ROUND_ROBIN:
		return store_assign_round_robin(tx, department, exclude_id,
		    agent_id);
	case DESK_ASSIGNMENT_FEWEST_OPEN:
		return store_assign_fewest_open(tx, department, exclude_id,
		    agent_id);
	case DESK_ASSIGNMENT_MANUAL:
		break;
	}
	return 0;
}

/* --- Writing an assignment ------------------------------------------------ */

/* Writes the audit event and the outbox row of one change. */
static int
store_assign_record(struct store_tx *tx, int64_t ticket_id,
    int64_t assignee_id, int64_t previous_id, enum desk_assignment assignment,
    enum store_assign_reason reason)
{
	json_t *detail = json_pack("{s:o, s:o, s:s, s:s}",
	    "assignee_id", assignee_id != 0 ? json_integer(assignee_id) :
	    json_null(),
	    "previous_assignee_id", previous_id != 0 ?
	    json_integer(previous_id) : json_null(),
	    "policy", store_assign_policies[assignment],
	    "reason", store_assign_reasons[reason]);
	json_t *payload = json_pack("{s:I, s:o, s:I}",
	    "ticket_id", (json_int_t)ticket_id,
	    "assignee_id", assignee_id != 0 ? json_integer(assignee_id) :
	    json_null(), "agent_id", (json_int_t)0);
	char *detail_text = detail != NULL ? json_dumps(detail,
	    JSON_COMPACT) : NULL;
	char *payload_text = payload != NULL ? json_dumps(payload,
	    JSON_COMPACT) : NULL;
	int rc = -1;

	if (detail_text != NULL && payload_text != NULL &&
	    store_tx_audit_add(tx, ticket_id, STORE_ASSIGN_ACTOR,
	    assignee_id != 0 ? "ticket.assigned" : "ticket.unassigned",
	    detail_text) == 0)
		rc = store_tx_outbox_add(tx, "ticket.assigned", ticket_id,
		    payload_text);
	free(detail_text);
	free(payload_text);
	json_decref(detail);
	json_decref(payload);
	return rc;
}

/* Sets the assignee of a ticket (0: none, and the status goes back to
 * new) and records the change. */
static int
store_assign_set(struct store_tx *tx, int64_t ticket_id, int64_t assignee_id,
    int64_t previous_id, enum desk_assignment assignment,
    enum store_assign_reason reason, struct store_assign_changes *changes)
{
	static const char sql[] = "UPDATE tickets SET assignee_id = ?1,"
	    " status = CASE WHEN ?1 IS NULL THEN 'new' ELSE 'assigned' END,"
	    " updated_at = ?2 WHERE id = ?3";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "rii",
	    assignee_id, tx->now, ticket_id);

	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0 ||
	    store_assign_record(tx, ticket_id, assignee_id, previous_id,
	    assignment, reason) != 0 ||
	    store_assign_changes_add(changes, ticket_id, assignee_id,
	    previous_id) != 0)
		return -1;
	log_info("assign", "ticket %s ticket=%lld agent=%lld previous=%lld "
	    "policy=%s reason=%s", assignee_id != 0 ? "assigned" :
	    "unassigned", (long long)ticket_id, (long long)assignee_id,
	    (long long)previous_id, store_assign_policies[assignment],
	    store_assign_reasons[reason]);
	return 0;
}

/* Reads the department of a ticket that is new and has no assignee.
 * Returns 1, 0 when the ticket is missing, has an assignee, another status
 * or no department, -1 on error. Caller frees *department. */
static int
store_assign_unassigned_department(struct store_tx *tx, int64_t ticket_id,
    char **department)
{
	static const char sql[] = "SELECT department FROM tickets WHERE id = ?"
	    " AND status = 'new' AND assignee_id IS NULL"
	    " AND department IS NOT NULL";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", ticket_id);
	int rc;

	*department = NULL;
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		rc = store_sqlite_column_dup(stmt, 0, department) == 0 ? 1 : -1;
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_assign_ticket(struct store_tx *tx, int64_t ticket_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes)
{
	enum desk_assignment assignment;
	char *department;
	int64_t agent_id;
	int rc;

	if ((rc = store_assign_unassigned_department(tx, ticket_id,
	    &department)) <= 0)
		return rc;
	assignment = store_assign_policy_of(policies, count, department);
	rc = store_tx_assign_choose(tx, department, assignment, 0, &agent_id);
	if (rc == 1)
		rc = store_assign_set(tx, ticket_id, agent_id, 0, assignment,
		    STORE_ASSIGN_NEW_TICKET, changes);
	else if (rc == 0 && assignment != DESK_ASSIGNMENT_MANUAL)
		log_info("assign", "ticket left unassigned: no available agent "
		    "ticket=%lld department=%s", (long long)ticket_id,
		    department);
	free(department);
	return rc < 0 ? -1 : 0;
}

/* --- Lists of tickets ------------------------------------------------------ */

/* Reads the first column of every row of stmt into a new array (caller
 * frees). Returns the number of ids, or -1. */
static int
store_assign_ids(struct store_tx *tx, sqlite3_stmt *stmt, int64_t **ids)
{
	size_t count = 0, capacity = 0;
	int64_t *grown;
	int rc;

	*ids = NULL;
	if (stmt == NULL)
		return -1;
	while ((rc = store_sqlite_row(tx->conn, stmt)) == 1) {
		if (count == capacity) {
			capacity = capacity == 0 ? 16 : 2 * capacity;
			grown = realloc(*ids, capacity * sizeof(**ids));
			if (grown == NULL) {
				sqlite3_reset(stmt);
				rc = -1;
				break;
			}
			*ids = grown;
		}
		(*ids)[count++] = sqlite3_column_int64(stmt, 0);
	}
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		return -1;
	}
	return (int)count;
}

/* Whether agent_id belongs to department. Returns 1, 0 or -1. */
static int
store_assign_member(struct store_tx *tx, int64_t agent_id,
    const char *department)
{
	static const char sql[] = "SELECT 1 FROM agent_departments"
	    " WHERE agent_id = ? AND department = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "it", agent_id,
	    department);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

int
store_tx_assign_backlog(struct store_tx *tx, const char *department,
    enum desk_assignment assignment, int64_t agent_id, int limit,
    struct store_assign_changes *changes, bool *more)
{
	/* The query reads one row more than the limit to find out whether
	 * tickets remain. */
	static const char sql[] = "SELECT id FROM tickets WHERE department = ?"
	    " AND status = 'new' AND assignee_id IS NULL"
	    " AND merged_into IS NULL ORDER BY id LIMIT ?";
	int64_t *ids, chosen;
	int count, i, rc = 0;

	*more = false;
	if (assignment == DESK_ASSIGNMENT_MANUAL || limit < 1)
		return 0;
	if (agent_id != 0 && (rc = store_assign_member(tx, agent_id,
	    department)) <= 0)
		return rc;
	count = store_assign_ids(tx, store_sqlite_query(tx->conn, sql, "ti",
	    department, (int64_t)limit + 1), &ids);
	if (count < 0)
		return -1;
	for (i = 0; i < count && i < limit; i++) {
		rc = store_tx_assign_choose(tx, department, assignment, 0,
		    &chosen);
		if (rc <= 0)
			break;
		rc = store_assign_set(tx, ids[i], chosen, 0, assignment,
		    STORE_ASSIGN_AGENT_AVAILABLE, changes);
		if (rc != 0)
			break;
	}
	*more = rc >= 0 && count > limit && i == limit;
	free(ids);
	return rc < 0 ? -1 : 0;
}

/* Reads the department of a ticket; NULL when it has none. */
static int
store_assign_department(struct store_tx *tx, int64_t ticket_id,
    char **department)
{
	static const char sql[] = "SELECT department FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", ticket_id);
	int rc;

	*department = NULL;
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		rc = store_sqlite_column_dup(stmt, 0, department);
		sqlite3_reset(stmt);
	}
	return rc < 0 ? -1 : 0;
}

/* Moves one ticket of agent_id to another agent, or unassigns it. */
static int
store_assign_move(struct store_tx *tx, int64_t ticket_id, int64_t agent_id,
    const struct store_assign_policy *policies, size_t count,
    enum store_assign_reason reason, struct store_assign_changes *changes)
{
	enum desk_assignment assignment;
	char *department;
	int64_t chosen = 0;
	int rc;

	if (store_assign_department(tx, ticket_id, &department) != 0)
		return -1;
	assignment = store_assign_policy_of(policies, count, department);
	rc = store_tx_assign_choose(tx, department, assignment, agent_id,
	    &chosen);
	if (rc >= 0)
		rc = store_assign_set(tx, ticket_id, chosen, agent_id,
		    assignment, reason, changes);
	free(department);
	return rc;
}

/* Moves the tickets of agent_id that stmt lists. */
static int
store_assign_move_all(struct store_tx *tx, sqlite3_stmt *stmt,
    int64_t agent_id, const struct store_assign_policy *policies,
    size_t count, enum store_assign_reason reason,
    struct store_assign_changes *changes)
{
	int64_t *ids;
	int found, rc = 0;

	found = store_assign_ids(tx, stmt, &ids);
	if (found < 0)
		return -1;
	for (int i = 0; i < found && rc == 0; i++)
		rc = store_assign_move(tx, ids[i], agent_id, policies, count,
		    reason, changes);
	free(ids);
	return rc;
}

int
store_tx_assign_release(struct store_tx *tx, int64_t agent_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes)
{
	static const char sql[] = "SELECT id FROM tickets WHERE assignee_id = ?"
	    " AND status IN ('assigned','in_progress') ORDER BY id";

	return store_assign_move_all(tx, store_sqlite_query(tx->conn, sql,
	    "i", agent_id), agent_id, policies, count,
	    STORE_ASSIGN_AGENT_UNAVAILABLE, changes);
}

int
store_tx_assign_release_departed(struct store_tx *tx, int64_t agent_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes)
{
	static const char sql[] = "SELECT id FROM tickets WHERE assignee_id = ?1"
	    " AND status IN ('assigned','in_progress')"
	    " AND department IS NOT NULL AND department NOT IN"
	    " (SELECT department FROM agent_departments WHERE agent_id = ?1)"
	    " ORDER BY id";

	return store_assign_move_all(tx, store_sqlite_query(tx->conn, sql,
	    "i", agent_id), agent_id, policies, count,
	    STORE_ASSIGN_AGENT_LEFT_DEPARTMENT, changes);
}

/* --- JSON ------------------------------------------------------------------ */

static json_t *
store_assign_json_time(sqlite3_stmt *stmt, int column)
{
	char text[CLOCK_ISO8601_SIZE];

	if (sqlite3_column_type(stmt, column) == SQLITE_NULL ||
	    clock_format_vietnam(sqlite3_column_int64(stmt, column), text) != 0)
		return json_null();
	return json_string(text);
}

int
store_assign_json_add(struct store *store, json_t *record, int64_t ticket_id)
{
	static const char sql[] = "SELECT assignee_id, reminded_at,"
	    " escalated_at FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "i",
	    ticket_id);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = json_object_set_new(record, "assignee_id",
	    sqlite3_column_type(stmt, 0) == SQLITE_NULL ? json_null() :
	    json_integer(sqlite3_column_int64(stmt, 0))) != 0 ||
	    json_object_set_new(record, "reminded_at",
	    store_assign_json_time(stmt, 1)) != 0 ||
	    json_object_set_new(record, "escalated_at",
	    store_assign_json_time(stmt, 2)) != 0 ? -1 : 0;
	sqlite3_reset(stmt);
	return rc;
}
