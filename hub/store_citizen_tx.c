/*
 * Changes to citizens and contacts made by the desk: audit events with
 * citizen and agent ids, blocked contacts, and manual merges. Every function
 * runs on the store thread inside a job's savepoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "privacy.h"
#include "store_citizen_internal.h"

int
store_tx_audit_add_event(struct store_tx *tx,
    const struct store_audit_new *event)
{
	static const char sql[] = "INSERT INTO audit_events (ticket_id,"
	    " citizen_id, agent_id, actor, action, detail, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "rrrttti",
	    event->ticket_id, event->citizen_id, event->agent_id, event->actor,
	    event->action, event->detail, tx->now);

	if (stmt == NULL)
		return -1;
	return store_sqlite_run(tx->conn, stmt);
}

/* Adds an audit event whose detail is the JSON object detail (reference
 * stolen, NULL for none). */
static int
store_citizen_audit(struct store_tx *tx, int64_t citizen_id,
    const char *actor, int64_t agent_id, const char *action, json_t *detail)
{
	struct store_audit_new event = {
		.citizen_id = citizen_id,
		.agent_id = agent_id,
		.actor = actor,
		.action = action,
	};
	char *text = NULL;
	int rc;

	if (detail != NULL && (text = json_dumps(detail, JSON_COMPACT)) == NULL) {
		json_decref(detail);
		return -1;
	}
	json_decref(detail);
	event.detail = text;
	rc = store_tx_audit_add_event(tx, &event);
	free(text);
	return rc;
}

/* Whether citizen_id has a ticket inside scope; always for no scope.
 * Returns 1, 0 or -1. */
static int
store_citizen_visible(struct store_tx *tx, int64_t citizen_id,
    const char *scope)
{
	static const char sql[] = "SELECT 1 FROM tickets AS t"
	    " WHERE t.citizen_id = ?1 AND " STORE_CITIZEN_IN_SCOPE(2)
	    " LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	if (scope == NULL)
		return 1;
	stmt = store_sqlite_query(tx->conn, sql, "it", citizen_id, scope);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

/* --- Blocked contacts ------------------------------------------------------ */

int
store_tx_contact_blocked(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t *contact_id)
{
	static const char sql[] = "SELECT id FROM contacts WHERE kind = ?"
	    " AND value = ? AND blocked_at IS NOT NULL LIMIT 1";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "tt",
	    contact_kind_name(kind), value);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*contact_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

static enum contact_kind
store_citizen_kind(const char *name)
{
	if (name != NULL && strcmp(name, "phone") == 0)
		return CONTACT_PHONE;
	if (name != NULL && strcmp(name, "email") == 0)
		return CONTACT_EMAIL;
	return CONTACT_PLATFORM;
}

/* A contact row as the block needs it. */
struct store_citizen_contact {
	int64_t citizen_id;
	char kind[16];
	char *value;
	int64_t blocked_at;
	bool anonymized;
};

/* Returns 1 with contact filled (value to free), 0 when not found, -1. */
static int
store_citizen_contact_get(struct store_tx *tx, int64_t contact_id,
    struct store_citizen_contact *contact)
{
	static const char sql[] = "SELECT c.citizen_id, c.kind, c.value,"
	    " c.blocked_at, z.anonymized_at IS NOT NULL OR c.value LIKE"
	    " '" STORE_ERASED_CONTACT_PREFIX "%'"
	    " FROM contacts AS c JOIN citizens AS z ON z.id = c.citizen_id"
	    " WHERE c.id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", contact_id);
	int rc;

	memset(contact, 0, sizeof(*contact));
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) <= 0)
		return stmt == NULL ? -1 : rc;
	contact->citizen_id = sqlite3_column_int64(stmt, 0);
	snprintf(contact->kind, sizeof(contact->kind), "%s",
	    (const char *)sqlite3_column_text(stmt, 1));
	rc = store_sqlite_column_dup(stmt, 2, &contact->value);
	contact->blocked_at = sqlite3_column_int64(stmt, 3);
	contact->anonymized = sqlite3_column_int(stmt, 4) != 0;
	sqlite3_reset(stmt);
	return rc == 0 ? 1 : -1;
}

/* Sets or clears blocked_at on every row of kind and value. */
static int
store_citizen_set_blocked(struct store_tx *tx,
    const struct store_citizen_contact *contact, bool block, int64_t *changes)
{
	static const char block_sql[] = "UPDATE contacts SET blocked_at = ?"
	    " WHERE kind = ? AND value = ? AND blocked_at IS NULL";
	static const char unblock_sql[] = "UPDATE contacts SET blocked_at = NULL"
	    " WHERE kind = ? AND value = ? AND blocked_at IS NOT NULL";
	sqlite3_stmt *stmt;

	if (block)
		stmt = store_sqlite_query(tx->conn, block_sql, "itt", tx->now,
		    contact->kind, contact->value);
	else
		stmt = store_sqlite_query(tx->conn, unblock_sql, "tt",
		    contact->kind, contact->value);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	*changes = sqlite3_changes(tx->conn->db);
	return 0;
}

static int
store_citizen_audit_block(struct store_tx *tx,
    const struct store_contact_block *request,
    const struct store_citizen_contact *contact)
{
	char masked[PRIVACY_MASKED_SIZE];
	json_t *detail;

	privacy_mask_contact(store_citizen_kind(contact->kind), contact->value,
	    masked);
	detail = json_pack("{s:I, s:s, s:s, s:I}",
	    "contact_id", (json_int_t)request->contact_id,
	    "kind", contact->kind, "value", masked,
	    "rows", (json_int_t)request->rows_changed);
	if (detail == NULL)
		return -1;
	if (request->block && request->reason != NULL) {
		/* The reason is free text: a phone number or an address
		 * typed into it is masked like the contact's value. */
		char *reason = privacy_mask_text(request->reason);

		if (reason == NULL || json_object_set_new(detail, "reason",
		    json_string(reason)) != 0) {
			free(reason);
			json_decref(detail);
			return -1;
		}
		free(reason);
	}
	return store_citizen_audit(tx, contact->citizen_id, request->actor,
	    request->agent_id, request->block ? "contact.block" :
	    "contact.unblock", detail);
}

/* Checks the contact and changes its rows. */
static int
store_citizen_block_rows(struct store_tx *tx,
    struct store_contact_block *request,
    const struct store_citizen_contact *contact)
{
	int visible = store_citizen_visible(tx, contact->citizen_id,
	    request->scope);

	if (visible < 0)
		return -1;
	if (visible == 0) {
		request->outcome = STORE_CITIZEN_NOT_FOUND;
		return 0;
	}
	if (contact->anonymized) {
		request->outcome = STORE_CITIZEN_ANONYMIZED;
		return 0;
	}
	request->citizen_id = contact->citizen_id;
	if (store_citizen_set_blocked(tx, contact, request->block,
	    &request->rows_changed) != 0)
		return -1;
	request->blocked_at = !request->block ? 0 :
	    contact->blocked_at != 0 ? contact->blocked_at : tx->now;
	if (request->rows_changed == 0)
		return 0;
	return store_citizen_audit_block(tx, request, contact);
}

int
store_tx_contact_block(struct store_tx *tx,
    struct store_contact_block *request)
{
	struct store_citizen_contact contact;
	int rc;

	request->outcome = STORE_CITIZEN_DONE;
	request->rows_changed = 0;
	rc = store_citizen_contact_get(tx, request->contact_id, &contact);
	if (rc == 0)
		request->outcome = STORE_CITIZEN_NOT_FOUND;
	if (rc <= 0)
		return rc;
	rc = store_citizen_block_rows(tx, request, &contact);
	free(contact.value);
	return rc;
}

/* --- Merging --------------------------------------------------------------- */

/* Checks that citizen_id can take part in a merge. Sets the outcome and
 * field when it cannot. */
static int
store_citizen_merge_check(struct store_tx *tx,
    struct store_citizen_merge *request, int64_t citizen_id,
    const char *field)
{
	static const char sql[] = "SELECT merged_into IS NOT NULL,"
	    " anonymized_at IS NOT NULL FROM citizens WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", citizen_id);
	bool merged = false, anonymized = false;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		merged = sqlite3_column_int(stmt, 0) != 0;
		anonymized = sqlite3_column_int(stmt, 1) != 0;
		sqlite3_reset(stmt);
		/* A merged citizen has no tickets left, so its visibility
		 * is that of the citizen it went into. */
		if (!merged && (rc = store_citizen_visible(tx, citizen_id,
		    request->scope)) < 0)
			return -1;
	}
	if (rc == 0)
		request->outcome = STORE_CITIZEN_NOT_FOUND;
	else if (merged)
		request->outcome = STORE_CITIZEN_MERGED;
	else if (anonymized)
		request->outcome = STORE_CITIZEN_ANONYMIZED;
	if (request->outcome != STORE_CITIZEN_DONE)
		request->field = field;
	return 0;
}

struct store_citizen_pair {
	int64_t duplicate;
	int64_t keeper;
};

/* Contact rows of citizen_id that repeat the kind and value of a better
 * row (verified first, then the oldest), with that row. Caller frees. */
static int
store_citizen_duplicates(struct store_tx *tx, int64_t citizen_id,
    struct store_citizen_pair **pairs, size_t *count)
{
	static const char sql[] = "SELECT d.id, k.id FROM contacts AS d"
	    " JOIN contacts AS k ON k.citizen_id = d.citizen_id"
	    " AND k.kind = d.kind AND k.value = d.value AND k.id <> d.id"
	    " WHERE d.citizen_id = ?1 AND NOT EXISTS (SELECT 1 FROM contacts"
	    " AS b WHERE b.citizen_id = ?1 AND b.kind = k.kind"
	    " AND b.value = k.value AND (b.verified > k.verified"
	    " OR (b.verified = k.verified AND b.id < k.id)))"
	    " AND (k.verified > d.verified OR (k.verified = d.verified"
	    " AND k.id < d.id)) ORDER BY d.id";
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, sql, "i",
	    citizen_id);
	size_t capacity = 0;
	int rc;

	*pairs = NULL;
	*count = 0;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*count == capacity) {
			size_t grown = capacity == 0 ? 8 : 2 * capacity;
			void *more = realloc(*pairs, grown * sizeof(**pairs));

			if (more == NULL)
				break;
			*pairs = more;
			capacity = grown;
		}
		(*pairs)[*count].duplicate = sqlite3_column_int64(stmt, 0);
		(*pairs)[(*count)++].keeper = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Points everything that refers to pair->duplicate at pair->keeper and
 * deletes the duplicate row. */
static int
store_citizen_join_contact(struct store_tx *tx,
    const struct store_citizen_pair *pair)
{
	/* Each statement takes the duplicate as ?1 and the keeper as ?2, or
	 * only the duplicate. */
	static const struct {
		const char *sql;
		bool keeper;
	} statements[] = {
		{ "UPDATE tickets SET contact_id = ?2 WHERE contact_id = ?1",
		  true },
		{ "UPDATE messages SET contact_id = ?2 WHERE contact_id = ?1",
		  true },
		{ "INSERT OR IGNORE INTO ticket_contacts (ticket_id, contact_id)"
		  " SELECT ticket_id, ?2 FROM ticket_contacts"
		  " WHERE contact_id = ?1", true },
		{ "DELETE FROM ticket_contacts WHERE contact_id = ?1", false },
		{ "UPDATE contacts SET blocked_at = COALESCE(blocked_at,"
		  " (SELECT blocked_at FROM contacts WHERE id = ?1))"
		  " WHERE id = ?2", true },
		{ "DELETE FROM contacts WHERE id = ?1", false },
	};

	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]);
	    i++) {
		sqlite3_stmt *stmt = store_citizen_prepare(tx->conn,
		    statements[i].sql, statements[i].keeper ? "ii" : "i",
		    pair->duplicate, pair->keeper);

		if (store_citizen_run(tx->conn, stmt, NULL) != 0)
			return -1;
	}
	return 0;
}

static int
store_citizen_join_contacts(struct store_tx *tx,
    struct store_citizen_merge *request)
{
	struct store_citizen_pair *pairs;
	size_t count;
	int rc = 0;

	if (store_citizen_duplicates(tx, request->into, &pairs, &count) != 0) {
		free(pairs);
		return -1;
	}
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = store_citizen_join_contact(tx, &pairs[i]);
	request->contacts_joined = (int64_t)count;
	free(pairs);
	return rc;
}

/* Moves the rows of from to into. */
static int
store_citizen_move(struct store_tx *tx, struct store_citizen_merge *request)
{
	static const char contacts[] = "UPDATE contacts SET citizen_id = ?1"
	    " WHERE citizen_id = ?2";
	static const char tickets[] = "UPDATE tickets SET citizen_id = ?1"
	    " WHERE citizen_id = ?2";
	static const char earlier[] = "UPDATE citizens SET merged_into = ?1"
	    " WHERE merged_into = ?2";
	static const char merged[] = "UPDATE citizens SET merged_into = ?1"
	    " WHERE id = ?2";
	static const char name[] = "UPDATE citizens SET name = (SELECT name"
	    " FROM citizens WHERE id = ?2) WHERE id = ?1 AND name IS NULL";
	struct store_conn *conn = tx->conn;
	int64_t into = request->into, from = request->from;

	if (store_citizen_run(conn, store_citizen_prepare(conn, contacts, "ii",
	    into, from), &request->contacts_moved) != 0 ||
	    store_citizen_run(conn, store_citizen_prepare(conn, tickets, "ii",
	    into, from), &request->tickets_moved) != 0 ||
	    store_citizen_run(conn, store_citizen_prepare(conn, earlier, "ii",
	    into, from), NULL) != 0 ||
	    store_citizen_run(conn, store_citizen_prepare(conn, merged, "ii",
	    into, from), NULL) != 0 ||
	    store_citizen_run(conn, store_citizen_prepare(conn, name, "ii",
	    into, from), NULL) != 0)
		return -1;
	return store_citizen_join_contacts(tx, request);
}

static int
store_citizen_audit_merge(struct store_tx *tx,
    const struct store_citizen_merge *request)
{
	json_t *into_detail = json_pack("{s:I, s:I, s:I, s:I}",
	    "from", (json_int_t)request->from,
	    "contacts_moved", (json_int_t)request->contacts_moved,
	    "contacts_joined", (json_int_t)request->contacts_joined,
	    "tickets_moved", (json_int_t)request->tickets_moved);
	json_t *from_detail = json_pack("{s:I}", "into",
	    (json_int_t)request->into);

	if (into_detail == NULL || from_detail == NULL) {
		json_decref(into_detail);
		json_decref(from_detail);
		return -1;
	}
	if (store_citizen_audit(tx, request->into, request->actor,
	    request->agent_id, "citizen.merge", into_detail) != 0) {
		json_decref(from_detail);
		return -1;
	}
	return store_citizen_audit(tx, request->from, request->actor,
	    request->agent_id, "citizen.merged_into", from_detail);
}

int
store_tx_citizen_merge(struct store_tx *tx,
    struct store_citizen_merge *request)
{
	request->outcome = STORE_CITIZEN_DONE;
	request->field = NULL;
	request->contacts_moved = request->contacts_joined = 0;
	request->tickets_moved = 0;
	if (request->into == request->from) {
		request->outcome = STORE_CITIZEN_SAME;
		request->field = "from";
		return 0;
	}
	if (store_citizen_merge_check(tx, request, request->into, "id") != 0 ||
	    (request->outcome == STORE_CITIZEN_DONE &&
	    store_citizen_merge_check(tx, request, request->from,
	    "from") != 0))
		return -1;
	if (request->outcome != STORE_CITIZEN_DONE)
		return 0;
	if (store_citizen_move(tx, request) != 0)
		return -1;
	return store_citizen_audit_merge(tx, request);
}
