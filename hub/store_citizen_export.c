/*
 * The export of everything held about one citizen, as one JSON document,
 * and the audit trail as the admins' audit view reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_calls.h"
#include "store_citizen_internal.h"

#define STORE_EXPORT_FORMAT "citizenhub.citizen-export"
#define STORE_EXPORT_VERSION 1

/* --- Rows ---------------------------------------------------------------- */

static json_t *
store_export_citizen_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "name", store_citizen_text(stmt, 1),
	    "language", store_citizen_text(stmt, 2),
	    "created_at", store_citizen_column_time(stmt, 3),
	    "merged_into", store_citizen_integer(stmt, 4),
	    "anonymized_at", store_citizen_column_time(stmt, 5));
}

static json_t *
store_export_contact_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:o, s:o, s:b, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "kind", store_citizen_text(stmt, 1),
	    "value", store_citizen_text(stmt, 2),
	    "verified", sqlite3_column_int(stmt, 3) != 0,
	    "blocked_at", store_citizen_column_time(stmt, 4),
	    "created_at", store_citizen_column_time(stmt, 5));
}

static json_t *
store_export_location(sqlite3_stmt *stmt, int column)
{
	if (sqlite3_column_type(stmt, column) == SQLITE_NULL ||
	    sqlite3_column_type(stmt, column + 1) == SQLITE_NULL)
		return json_null();
	return json_pack("{s:f, s:f}", "lat",
	    sqlite3_column_double(stmt, column), "lon",
	    sqlite3_column_double(stmt, column + 1));
}

/* Columns of STORE_EXPORT_TICKET_SQL, in the order read below. */
#define STORE_EXPORT_TICKET_SQL "SELECT id, code, status, channel,"	\
	" subject, category, category_hint, department, commune, address,"	\
	" latitude, longitude, language, due_at, created_at, updated_at,"	\
	" resolved_at, closed_at, satisfaction, satisfaction_at,"	\
	" anonymized_at, merged_into FROM tickets WHERE citizen_id = ?"	\
	" ORDER BY id"

static json_t *
store_export_ticket_row(sqlite3_stmt *stmt)
{
	const char *code = (const char *)sqlite3_column_text(stmt, 1);
	char grouped[TICKET_CODE_GROUPED_SIZE] = "";
	json_t *ticket;

	if (code != NULL && strlen(code) == TICKET_CODE_DIGITS)
		ticket_code_group(code, grouped);
	ticket = json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "code", store_citizen_text(stmt, 1),
	    "code_display", grouped,
	    "status", store_citizen_text(stmt, 2),
	    "channel", store_citizen_text(stmt, 3),
	    "subject", store_citizen_text(stmt, 4),
	    "category", store_citizen_text(stmt, 5),
	    "category_hint", store_citizen_text(stmt, 6),
	    "department", store_citizen_text(stmt, 7),
	    "commune", store_citizen_text(stmt, 8),
	    "address", store_citizen_text(stmt, 9),
	    "location", store_export_location(stmt, 10),
	    "language", store_citizen_text(stmt, 12));
	if (ticket == NULL)
		return NULL;
	if (json_object_update_new(ticket, json_pack("{s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o}",
	    "due_at", store_citizen_column_time(stmt, 13),
	    "created_at", store_citizen_column_time(stmt, 14),
	    "updated_at", store_citizen_column_time(stmt, 15),
	    "resolved_at", store_citizen_column_time(stmt, 16),
	    "closed_at", store_citizen_column_time(stmt, 17),
	    "satisfaction", store_citizen_integer(stmt, 18),
	    "satisfaction_at", store_citizen_column_time(stmt, 19),
	    "anonymized_at", store_citizen_column_time(stmt, 20),
	    "merged_into", store_citizen_integer(stmt, 21))) != 0) {
		json_decref(ticket);
		return NULL;
	}
	return ticket;
}

static json_t *
store_export_message_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:[]}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "direction", store_citizen_text(stmt, 1),
	    "kind", store_citizen_text(stmt, 2),
	    "channel", store_citizen_text(stmt, 3),
	    "body", store_citizen_text(stmt, 4),
	    "delivery_status", store_citizen_text(stmt, 5),
	    "created_at", store_citizen_column_time(stmt, 6),
	    "attachments");
}

/* An attachment's metadata, with the message it belongs to in column 0. */
static json_t *
store_export_attachment_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:I, s:o, s:o}",
	    "message_id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "id", (json_int_t)sqlite3_column_int64(stmt, 1),
	    "filename", store_citizen_text(stmt, 2),
	    "content_type", store_citizen_text(stmt, 3),
	    "size", (json_int_t)sqlite3_column_int64(stmt, 4),
	    "sha256", store_citizen_text(stmt, 5),
	    "created_at", store_citizen_column_time(stmt, 6));
}

/* An audit event; detail is the stored JSON when it parses. */
static json_t *
store_export_audit_row(sqlite3_stmt *stmt)
{
	const char *text = (const char *)sqlite3_column_text(stmt, 4);
	json_t *detail = text != NULL ? json_loads(text, 0, NULL) : NULL;

	if (detail == NULL)
		detail = text != NULL ? json_string(text) : json_null();
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "actor", store_citizen_text(stmt, 1),
	    "agent_id", store_citizen_integer(stmt, 2),
	    "action", store_citizen_text(stmt, 3),
	    "detail", detail,
	    "ticket_id", store_citizen_integer(stmt, 5),
	    "ticket_code", store_citizen_text(stmt, 6),
	    "citizen_id", store_citizen_integer(stmt, 7),
	    "created_at", store_citizen_column_time(stmt, 8));
}

#define STORE_AUDIT_COLUMNS "SELECT e.id, e.actor, e.agent_id, e.action,"	\
	" e.detail, e.ticket_id, t.code, e.citizen_id, e.created_at"	\
	" FROM audit_events AS e LEFT JOIN tickets AS t ON t.id = e.ticket_id"

/* --- Export ---------------------------------------------------------------- */

/* Puts each attachment of the ticket into its message's list. */
static int
store_export_attachments(struct store *store, int64_t ticket_id,
    json_t *messages)
{
	static const char sql[] = "SELECT a.message_id, a.id, a.filename,"
	    " a.content_type, a.size, a.sha256, a.created_at"
	    " FROM attachments AS a JOIN messages AS m ON m.id = a.message_id"
	    " WHERE m.ticket_id = ? ORDER BY a.id";
	json_t *attachments = json_array(), *attachment, *message;
	size_t i, j;
	int rc;

	if (attachments == NULL)
		return -1;
	rc = store_citizen_rows(&store->reader, store_citizen_prepare(
	    &store->reader, sql, "i", ticket_id), attachments,
	    store_export_attachment_row);
	json_array_foreach(attachments, i, attachment) {
		json_int_t owner = json_integer_value(json_object_get(
		    attachment, "message_id"));

		json_array_foreach(messages, j, message) {
			if (json_integer_value(json_object_get(message, "id")) ==
			    owner)
				json_array_append(json_object_get(message,
				    "attachments"), attachment);
		}
	}
	json_decref(attachments);
	return rc;
}

/* Adds the messages, their attachments and the count of notes left out. */
static int
store_export_messages(struct store *store, json_t *ticket, bool include_notes)
{
	static const char sql[] = "SELECT id, direction, kind, channel, body,"
	    " delivery_status, created_at FROM messages WHERE ticket_id = ?1"
	    " AND (?2 OR kind <> 'note') ORDER BY id";
	static const char notes[] = "SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = ? AND kind = 'note'";
	int64_t ticket_id = json_integer_value(json_object_get(ticket, "id"));
	json_t *messages = json_array();
	sqlite3_stmt *stmt;
	int64_t withheld = 0;

	if (json_object_set_new(ticket, "messages", messages) != 0 ||
	    store_citizen_rows(&store->reader, store_citizen_prepare(
	    &store->reader, sql, "ii", ticket_id, (int64_t)include_notes),
	    messages, store_export_message_row) != 0 ||
	    store_export_attachments(store, ticket_id, messages) != 0)
		return -1;
	if (!include_notes) {
		stmt = store_citizen_prepare(&store->reader, notes, "i",
		    ticket_id);
		if (stmt == NULL)
			return -1;
		if (sqlite3_step(stmt) == SQLITE_ROW)
			withheld = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	return json_object_set_new(ticket, "notes_withheld",
	    json_integer(withheld));
}

static int
store_export_tickets(struct store *store, json_t *document,
    int64_t citizen_id, bool include_notes)
{
	json_t *tickets = json_array(), *ticket;
	size_t index;

	if (json_object_set_new(document, "tickets", tickets) != 0 ||
	    store_citizen_rows(&store->reader, store_citizen_prepare(
	    &store->reader, STORE_EXPORT_TICKET_SQL, "i", citizen_id), tickets,
	    store_export_ticket_row) != 0)
		return -1;
	json_array_foreach(tickets, index, ticket) {
		if (store_export_messages(store, ticket, include_notes) != 0 ||
		    json_object_set_new(ticket, "calls", store_calls_ticket_json(
		    store, json_integer_value(json_object_get(ticket,
		    "id")))) != 0)
			return -1;
	}
	return 0;
}

/* Adds the merged citizens, the contacts and the audit events. */
static int
store_export_parts(struct store *store, json_t *document, int64_t citizen_id)
{
	static const char merged[] = "SELECT id, name, language, created_at,"
	    " merged_into, anonymized_at FROM citizens WHERE merged_into = ?"
	    " ORDER BY id";
	static const char contacts[] = "SELECT id, kind, value, verified,"
	    " blocked_at, created_at FROM contacts WHERE citizen_id = ?"
	    " ORDER BY id";
	static const char audit[] = STORE_AUDIT_COLUMNS
	    " WHERE e.citizen_id = ?1 OR e.citizen_id IN (SELECT id"
	    " FROM citizens WHERE merged_into = ?1) OR e.ticket_id IN"
	    " (SELECT id FROM tickets WHERE citizen_id = ?1) ORDER BY e.id";
	struct store_conn *conn = &store->reader;
	json_t *merged_list = json_array(), *contact_list = json_array();
	json_t *audit_list = json_array();

	if (json_object_set_new(document, "merged_citizens", merged_list) != 0 ||
	    json_object_set_new(document, "contacts", contact_list) != 0 ||
	    json_object_set_new(document, "audit_events", audit_list) != 0)
		return -1;
	if (store_citizen_rows(conn, store_citizen_prepare(conn, merged, "i",
	    citizen_id), merged_list, store_export_citizen_row) != 0 ||
	    store_citizen_rows(conn, store_citizen_prepare(conn, contacts, "i",
	    citizen_id), contact_list, store_export_contact_row) != 0 ||
	    store_citizen_rows(conn, store_citizen_prepare(conn, audit, "i",
	    citizen_id), audit_list, store_export_audit_row) != 0)
		return -1;
	return 0;
}

/* The document without its parts; NULL with errno set. */
static json_t *
store_export_head(struct store *store, int64_t citizen_id,
    bool include_notes, int64_t now_ms)
{
	static const char sql[] = "SELECT id, name, language, created_at,"
	    " merged_into, anonymized_at FROM citizens WHERE id = ?";
	json_t *rows = json_array(), *citizen;

	if (rows == NULL || store_citizen_rows(&store->reader,
	    store_citizen_prepare(&store->reader, sql, "i", citizen_id), rows,
	    store_export_citizen_row) != 0) {
		json_decref(rows);
		errno = EIO;
		return NULL;
	}
	citizen = json_array_get(rows, 0);
	if (citizen == NULL) {
		json_decref(rows);
		errno = ENOENT;
		return NULL;
	}
	json_incref(citizen);
	json_decref(rows);
	return json_pack("{s:s, s:i, s:o, s:b, s:o}",
	    "format", STORE_EXPORT_FORMAT,
	    "version", STORE_EXPORT_VERSION,
	    "exported_at", store_citizen_time(now_ms),
	    "notes_included", include_notes,
	    "citizen", citizen);
}

json_t *
store_citizen_export_json(struct store *store, int64_t citizen_id,
    bool include_notes, int64_t now_ms)
{
	json_t *document;

	if (store_citizen_read_begin(store) != 0) {
		errno = EIO;
		return NULL;
	}
	document = store_export_head(store, citizen_id, include_notes, now_ms);
	if (document != NULL && (store_export_parts(store, document,
	    citizen_id) != 0 || store_export_tickets(store, document,
	    citizen_id, include_notes) != 0)) {
		log_error("store", "exporting citizen failed citizen=%lld",
		    (long long)citizen_id);
		json_decref(document);
		document = NULL;
		errno = EIO;
	}
	store_citizen_read_end(store);
	return document;
}

/* --- The audit view ------------------------------------------------------------- */

/* Appends " AND column = ?N" for a filter that is set. */
static void
store_audit_condition(char *sql, size_t size, const char *column, int index,
    bool set)
{
	size_t length = strlen(sql);

	if (set)
		snprintf(sql + length, size - length, " AND %s = ?%d", column,
		    index);
}

json_t *
store_audit_json(struct store *store, const struct store_audit_filter *filter)
{
	char sql[sizeof(STORE_AUDIT_COLUMNS) + 256];
	int64_t limit = filter->limit;
	json_t *events = json_array();
	sqlite3_stmt *stmt;

	if (events == NULL)
		return NULL;
	if (limit < 1 || limit > STORE_AUDIT_LIMIT_MAX)
		limit = limit < 1 ? 1 : STORE_AUDIT_LIMIT_MAX;
	/* Only the filters that are set go into the statement, so that
	 * SQLite can pick the index of the ticket, citizen or agent. The text
	 * contains column names and parameter numbers only, never input. */
	snprintf(sql, sizeof(sql), "%s WHERE 1", STORE_AUDIT_COLUMNS);
	store_audit_condition(sql, sizeof(sql), "e.ticket_id", 1,
	    filter->ticket_id != 0);
	store_audit_condition(sql, sizeof(sql), "e.citizen_id", 2,
	    filter->citizen_id != 0);
	store_audit_condition(sql, sizeof(sql), "e.agent_id", 3,
	    filter->agent_id != 0);
	store_audit_condition(sql, sizeof(sql), "e.action", 4,
	    filter->action != NULL);
	if (filter->before_id != 0)
		strncat(sql, " AND e.id < ?5", sizeof(sql) - strlen(sql) - 1);
	strncat(sql, " ORDER BY e.id DESC LIMIT ?6",
	    sizeof(sql) - strlen(sql) - 1);

	stmt = store_citizen_prepare(&store->reader, sql, "iiitii",
	    filter->ticket_id, filter->citizen_id, filter->agent_id,
	    filter->action, filter->before_id, limit);
	if (store_citizen_rows(&store->reader, stmt, events,
	    store_export_audit_row) != 0) {
		log_error("store", "reading audit events failed");
		json_decref(events);
		return NULL;
	}
	return events;
}
