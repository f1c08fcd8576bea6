/*
 * Reads of the ticket desk on the main thread's read connection, returned
 * as JSON: the filtered list, a ticket's record, and its detail with the
 * citizen, the conversation and the audit trail.
 *
 * json_pack's "o" steals the reference it is given, on failure too (jansson
 * 2.11 and later), so values built for it are never released here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_calls.h"
#include "store_casework.h"
#include "store_mail.h"
#include "store_sqlite.h"

/* STORE_TICKET_COLUMNS, then the desk's columns from index 17 on. Inside
 * the subqueries, assignee_id and "tickets" name the outer row. */
#define STORE_CASEWORK_RECORD_COLUMNS STORE_TICKET_COLUMNS ", assignee_id,"	\
	" (SELECT username FROM agents WHERE agents.id = assignee_id),"	\
	" (SELECT display_name FROM agents WHERE agents.id = assignee_id),"	\
	" merged_into, (SELECT code FROM tickets AS target"		\
	" WHERE target.id = tickets.merged_into), resolved_at, closed_at,"	\
	" reminded_at, escalated_at"

enum {
	STORE_CASEWORK_COLUMN_ASSIGNEE = 17,
	STORE_CASEWORK_COLUMN_USERNAME,
	STORE_CASEWORK_COLUMN_DISPLAY_NAME,
	STORE_CASEWORK_COLUMN_MERGED_INTO,
	STORE_CASEWORK_COLUMN_MERGED_CODE,
	STORE_CASEWORK_COLUMN_RESOLVED_AT,
	STORE_CASEWORK_COLUMN_CLOSED_AT,
	STORE_CASEWORK_COLUMN_REMINDED_AT,
	STORE_CASEWORK_COLUMN_ESCALATED_AT,
};

static const char *
store_casework_text(sqlite3_stmt *stmt, int column)
{
	return (const char *)sqlite3_column_text(stmt, column);
}

/* An agent as {id, username, display_name}, or null for id 0. */
static json_t *
store_casework_agent(int64_t id, const char *username, const char *display_name)
{
	if (id == 0)
		return json_null();
	return json_pack("{s:I, s:s?, s:s?}", "id", (json_int_t)id,
	    "username", username, "display_name", display_name);
}

static json_t *
store_casework_id_or_null(int64_t id)
{
	return id != 0 ? json_integer(id) : json_null();
}

static json_t *
store_casework_tag_row(sqlite3_stmt *stmt)
{
	return json_string(store_casework_text(stmt, 0));
}

static json_t *
store_casework_tags(struct store *store, int64_t ticket_id)
{
	static const char sql[] = "SELECT tag FROM ticket_tags"
	    " WHERE ticket_id = ? ORDER BY tag";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_casework_tag_row);
}

static json_t *
store_casework_contact_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:b, s:b}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "kind", store_casework_text(stmt, 1),
	    "value", store_casework_text(stmt, 2),
	    "verified", sqlite3_column_int(stmt, 3) != 0,
	    "blocked", sqlite3_column_type(stmt, 4) != SQLITE_NULL);
}

/* The citizen's contacts and the ticket's own (the one that opened it and
 * those added), oldest first, as the operators' read API lists them. */
static json_t *
store_casework_ticket_contacts(struct store *store, int64_t ticket_id)
{
	static const char sql[] = "SELECT id, kind, value, verified, blocked_at"
	    " FROM contacts WHERE citizen_id = (SELECT citizen_id FROM tickets"
	    " WHERE id = ?1) OR id = (SELECT contact_id FROM tickets"
	    " WHERE id = ?1) OR id IN (SELECT contact_id FROM ticket_contacts"
	    " WHERE ticket_id = ?1) ORDER BY id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_casework_contact_row);
}

/* Adds the desk's columns of the row and the tags to record. */
static int
store_casework_add_columns(struct store *store, json_t *record,
    sqlite3_stmt *stmt, const struct store_ticket *ticket, int64_t now)
{
	int64_t assignee = sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_ASSIGNEE);
	bool open = strcmp(ticket->status, "resolved") != 0 &&
	    strcmp(ticket->status, "closed") != 0;

	if (json_object_set_new(record, "assignee_id",
	    store_casework_id_or_null(assignee)) != 0 ||
	    json_object_set_new(record, "assignee", store_casework_agent(assignee,
	    store_casework_text(stmt, STORE_CASEWORK_COLUMN_USERNAME),
	    store_casework_text(stmt, STORE_CASEWORK_COLUMN_DISPLAY_NAME))) != 0 ||
	    json_object_set_new(record, "merged_into", store_casework_id_or_null(
	    sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_MERGED_INTO))) != 0 ||
	    json_object_set_new(record, "merged_into_code", json_pack("s?",
	    store_casework_text(stmt, STORE_CASEWORK_COLUMN_MERGED_CODE))) != 0 ||
	    json_object_set_new(record, "resolved_at", store_json_time(
	    sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_RESOLVED_AT))) != 0 ||
	    json_object_set_new(record, "closed_at", store_json_time(
	    sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_CLOSED_AT))) != 0 ||
	    json_object_set_new(record, "reminded_at", store_json_time(
	    sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_REMINDED_AT))) != 0 ||
	    json_object_set_new(record, "escalated_at", store_json_time(
	    sqlite3_column_int64(stmt, STORE_CASEWORK_COLUMN_ESCALATED_AT))) != 0 ||
	    json_object_set_new(record, "overdue", json_boolean(open &&
	    ticket->due_at != 0 && ticket->due_at < now)) != 0 ||
	    json_object_set_new(record, "tags", store_casework_tags(store,
	    ticket->id)) != 0)
		return -1;
	return 0;
}

/* Removes the citizen's free-text and position fields of a desk record:
 * the ones an erasure clears, except the subject, which is needed to work
 * the list. */
static void
store_casework_strip_personal(json_t *record)
{
	json_object_del(record, "address");
	json_object_del(record, "location");
	json_object_del(record, "category_hint");
}

/* The desk record of the current row of a STORE_CASEWORK_RECORD_COLUMNS query,
 * with the ticket's contacts when with_contacts. */
static json_t *
store_casework_record(struct store *store, sqlite3_stmt *stmt, int64_t now,
    bool with_contacts)
{
	struct store_ticket ticket;
	json_t *record;

	if (store_read_ticket_row(stmt, &ticket) != 0)
		return NULL;
	record = store_json_ticket(&ticket);
	if (record != NULL && (store_casework_add_columns(store, record, stmt,
	    &ticket, now) != 0 || (with_contacts && json_object_set_new(record,
	    "contacts", store_casework_ticket_contacts(store, ticket.id)) != 0))) {
		json_decref(record);
		record = NULL;
	}
	store_ticket_clear(&ticket);
	return record;
}

/* terms is NULL, or the JSON array of FTS5 terms of a search. */
static sqlite3_stmt *
store_casework_list_query(struct store *store,
    const struct store_casework_filter *filter, const char *terms)
{
	/* A ticket matches a search when each term matches one of its rows,
	 * so the words may come from its subject and its messages. */
	static const char sql[] = "SELECT " STORE_CASEWORK_RECORD_COLUMNS
	    " FROM tickets WHERE (?1 IS NULL OR status = ?1)"
	    " AND (?2 IS NULL OR department = ?2)"
	    " AND (?3 IS NULL OR department IN (SELECT value FROM json_each(?3)))"
	    " AND (?4 IS NULL OR channel = ?4)"
	    " AND (?5 IS NULL OR category = ?5)"
	    " AND (?6 IS NULL OR commune = ?6)"
	    " AND (?7 = 0 OR assignee_id = ?7)"
	    " AND (?8 = 0 OR assignee_id IS NULL)"
	    " AND (?9 = 0 OR (due_at < ?10 AND status NOT IN "
	    STORE_CLOSED_STATUSES "))"
	    " AND (?11 IS NULL OR id IN (SELECT ticket_id FROM ticket_tags"
	    " WHERE tag = ?11))"
	    " AND (?12 = 0 OR id < ?12)"
	    " AND (?13 IS NULL OR id IN (SELECT found.ticket_id"
	    " FROM json_each(?13) AS term JOIN ticket_search AS found"
	    " ON found.ticket_search MATCH term.value GROUP BY found.ticket_id"
	    " HAVING COUNT(DISTINCT term.key) = json_array_length(?13)))"
	    " ORDER BY id DESC LIMIT ?14";
	int64_t limit = filter->limit;

	if (limit < 1 || limit > STORE_TICKETS_LIMIT_MAX)
		limit = limit < 1 ? 1 : STORE_TICKETS_LIMIT_MAX;
	return store_sqlite_query(&store->reader, sql, "ttttttiiiititi",
	    filter->status, filter->department, filter->visible_departments,
	    filter->channel, filter->category, filter->commune,
	    filter->assignee_id, (int64_t)filter->unassigned,
	    (int64_t)filter->overdue, filter->now, filter->tag,
	    filter->before_id, terms, limit);
}

static json_t *
store_casework_list_rows(struct store *store,
    const struct store_casework_filter *filter, const char *terms)
{
	sqlite3_stmt *stmt = store_casework_list_query(store, filter, terms);
	json_t *array, *record;
	int rc;

	if (stmt == NULL || (array = json_array()) == NULL) {
		if (stmt != NULL)
			sqlite3_reset(stmt);
		return NULL;
	}
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		record = store_casework_record(store, stmt, filter->now,
		    filter->with_personal);
		if (record != NULL && !filter->with_personal)
			store_casework_strip_personal(record);
		if (json_array_append_new(array, record) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		log_error("store", "listing desk tickets failed");
		json_decref(array);
		return NULL;
	}
	return array;
}

json_t *
store_casework_tickets_json(struct store *store,
    const struct store_casework_filter *filter)
{
	char *terms;
	size_t count;
	json_t *array;

	if (filter->search == NULL)
		return store_casework_list_rows(store, filter, NULL);
	if ((terms = store_search_terms(filter->search, &count)) == NULL)
		return NULL;
	/* A query with no word left after folding matches nothing. */
	array = count == 0 ? json_array() :
	    store_casework_list_rows(store, filter, terms);
	free(terms);
	return array;
}

/* The record of ticket_id; errno is ENOENT when there is none. */
static json_t *
store_casework_record_get(struct store *store, int64_t ticket_id, int64_t now,
    bool with_contacts)
{
	static const char sql[] = "SELECT " STORE_CASEWORK_RECORD_COLUMNS
	    " FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "i",
	    ticket_id);
	json_t *record;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0) {
		errno = EIO;
		return NULL;
	}
	if (rc == 0) {
		errno = ENOENT;
		return NULL;
	}
	record = store_casework_record(store, stmt, now, with_contacts);
	sqlite3_reset(stmt);
	if (record == NULL)
		errno = EIO;
	return record;
}

json_t *
store_casework_ticket_json(struct store *store, int64_t ticket_id, int64_t now)
{
	return store_casework_record_get(store, ticket_id, now, false);
}

/* --- The detail --------------------------------------------------------- */

static json_t *
store_casework_message_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?, s:s?,"
	    " s:s?, s:o, s:o, s:b}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "direction", store_casework_text(stmt, 1),
	    "kind", store_casework_text(stmt, 2),
	    "channel", store_casework_text(stmt, 3),
	    "contact_id", store_casework_id_or_null(sqlite3_column_int64(stmt, 4)),
	    "agent_id", store_casework_id_or_null(sqlite3_column_int64(stmt, 5)),
	    "agent", store_casework_agent(sqlite3_column_int64(stmt, 5),
	    store_casework_text(stmt, 6), store_casework_text(stmt, 7)),
	    "delivery_status", store_casework_text(stmt, 8),
	    "delivery_detail", store_casework_text(stmt, 9),
	    "body", store_casework_text(stmt, 10),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 11)),
	    "delivered_at", store_json_time(sqlite3_column_int64(stmt, 12)),
	    "automatic", sqlite3_column_int(stmt, 13) != 0);
}

#define STORE_CASEWORK_MESSAGE_SELECT "SELECT messages.id, direction, kind,"	\
	" channel, contact_id, agent_id, agents.username,"		\
	" agents.display_name, delivery_status, delivery_detail, body,"	\
	" messages.created_at, delivered_at, automatic FROM messages"	\
	" LEFT JOIN agents ON agents.id = messages.agent_id"

/* Messages are listed by id, which is the order they were stored in, also
 * across a merge. */
static json_t *
store_casework_conversation(struct store *store, int64_t ticket_id)
{
	static const char sql[] = STORE_CASEWORK_MESSAGE_SELECT
	    " WHERE messages.ticket_id = ? ORDER BY messages.id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_casework_message_row);
}

json_t *
store_casework_message_json(struct store *store, int64_t message_id)
{
	static const char sql[] = STORE_CASEWORK_MESSAGE_SELECT
	    " WHERE messages.id = ?";
	json_t *rows, *message;

	rows = store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", message_id), store_casework_message_row);
	if (rows == NULL || json_array_size(rows) == 0) {
		json_decref(rows);
		return NULL;
	}
	message = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return message;
}

static json_t *
store_casework_audit_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:s?, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "actor", store_casework_text(stmt, 1),
	    "action", store_casework_text(stmt, 2),
	    "detail", store_casework_text(stmt, 3),
	    "agent_id", store_casework_id_or_null(sqlite3_column_int64(stmt, 4)),
	    "citizen_id", store_casework_id_or_null(sqlite3_column_int64(stmt, 5)),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 6)));
}

static json_t *
store_casework_audit(struct store *store, int64_t ticket_id)
{
	static const char sql[] = "SELECT id, actor, action, detail, agent_id,"
	    " citizen_id, created_at FROM audit_events WHERE ticket_id = ?"
	    " ORDER BY id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_casework_audit_row);
}

static json_t *
store_casework_citizen_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "name", store_casework_text(stmt, 1),
	    "language", store_casework_text(stmt, 2),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 3)));
}

/* The ticket's citizen with every contact of theirs, or null. */
static json_t *
store_casework_citizen(struct store *store, int64_t ticket_id)
{
	static const char sql[] = "SELECT id, name, language, created_at"
	    " FROM citizens WHERE id = (SELECT citizen_id FROM tickets"
	    " WHERE id = ?)";
	static const char contacts[] = "SELECT id, kind, value, verified,"
	    " blocked_at FROM contacts WHERE citizen_id = ? ORDER BY id";
	json_t *rows, *citizen;

	rows = store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_casework_citizen_row);
	if (rows == NULL)
		return NULL;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return json_null();
	}
	citizen = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (json_object_set_new(citizen, "contacts", store_json_rows(store,
	    store_sqlite_query(&store->reader, contacts, "i",
	    json_integer_value(json_object_get(citizen, "id"))),
	    store_casework_contact_row)) != 0) {
		json_decref(citizen);
		return NULL;
	}
	return citizen;
}

static json_t *
store_casework_detail(struct store *store, int64_t ticket_id, int64_t now)
{
	json_t *record = store_casework_record_get(store, ticket_id, now, true);

	if (record == NULL)
		return NULL;
	if (json_object_set_new(record, "citizen", store_casework_citizen(store,
	    ticket_id)) != 0 ||
	    json_object_set_new(record, "messages", store_casework_conversation(
	    store, ticket_id)) != 0 ||
	    store_mail_attachments_json(store, ticket_id,
	    json_object_get(record, "messages")) != 0 ||
	    json_object_set_new(record, "audit_events", store_casework_audit(store,
	    ticket_id)) != 0 ||
	    json_object_set_new(record, "calls", store_calls_ticket_json(store,
	    ticket_id)) != 0) {
		json_decref(record);
		errno = EIO;
		return NULL;
	}
	return record;
}

json_t *
store_casework_ticket_detail_json(struct store *store, int64_t ticket_id,
    int64_t now)
{
	json_t *record;
	int saved;

	/* One read transaction, so that the parts agree with each other. */
	if (sqlite3_exec(store->reader.db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		errno = EIO;
		return NULL;
	}
	record = store_casework_detail(store, ticket_id, now);
	saved = errno;
	sqlite3_exec(store->reader.db, "COMMIT", NULL, NULL, NULL);
	if (record == NULL && saved != ENOENT)
		log_error("store", "reading desk ticket detail failed "
		    "ticket=%lld", (long long)ticket_id);
	errno = saved;
	return record;
}
