/*
 * Telephone calls in the store: inserts on the store thread, reads as JSON
 * on the main thread's reader connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_calls.h"
#include "store_sqlite.h"

/* --- Writes ------------------------------------------------------------------ */

/* Sets *ticket_id to the ticket of code, 0 when there is none. */
static int
store_calls_ticket(struct store_tx *tx, const char *code, int64_t *ticket_id)
{
	static const char sql[] = "SELECT id FROM tickets WHERE code = ?";
	sqlite3_stmt *stmt;
	int rc;

	*ticket_id = 0;
	if (code == NULL || code[0] == '\0')
		return 0;
	stmt = store_sqlite_query(tx->conn, sql, "t", code);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return 0;
}

/* Sets *attachment_id to the first attachment of ticket_id with the hash
 * sha256, 0 when the ticket has none. */
static int
store_calls_attachment(struct store_tx *tx, int64_t ticket_id,
    const char *sha256, int64_t *attachment_id)
{
	static const char sql[] = "SELECT a.id FROM attachments AS a"
	    " JOIN messages AS m ON m.id = a.message_id"
	    " WHERE m.ticket_id = ? AND a.sha256 = ? ORDER BY a.id LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	*attachment_id = 0;
	if (ticket_id == 0 || sha256 == NULL || sha256[0] == '\0')
		return 0;
	stmt = store_sqlite_query(tx->conn, sql, "it", ticket_id, sha256);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*attachment_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return 0;
}

/* Writes the outbox row of a call attached to a ticket. */
static int
store_calls_outbox(struct store_tx *tx, const struct store_call *call)
{
	json_t *payload = json_pack("{s:I, s:s, s:I, s:s}",
	    "ticket_id", (json_int_t)call->ticket_id,
	    "code", call->ticket_code, "call", (json_int_t)call->id,
	    "channel", call->channel);
	char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	int rc = text != NULL ? store_tx_outbox_add(tx, "call.recorded",
	    call->ticket_id, text) : -1;

	free(text);
	json_decref(payload);
	return rc;
}

int
store_tx_call_add(struct store_tx *tx, struct store_call *call)
{
	static const char sql[] = "INSERT INTO calls (ticket_id, channel,"
	    " call_id, caller, caller_raw, callee, started_at, answered_at,"
	    " ended_at, language, path, dtmf_methods, end_reason,"
	    " recording_sha256, attachment_id, recording_ms, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (channel, call_id, started_at) DO NOTHING";
	int64_t attachment_id;
	sqlite3_stmt *stmt;

	call->id = 0;
	call->duplicate = false;
	if (store_calls_ticket(tx, call->ticket_code, &call->ticket_id) != 0 ||
	    store_calls_attachment(tx, call->ticket_id, call->recording_sha256,
	    &attachment_id) != 0)
		return -1;
	stmt = store_sqlite_query(tx->conn, sql, "rtttttiritttttrii",
	    call->ticket_id, call->channel, call->call_id, call->caller,
	    call->caller_raw, call->callee, call->started_at,
	    call->answered_at, call->ended_at, call->language, call->path,
	    call->dtmf_methods, call->end_reason, call->recording_sha256,
	    attachment_id, call->recording_ms, tx->now);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	if (sqlite3_changes(tx->conn->db) == 0) {
		call->duplicate = true;
		return 0;
	}
	call->id = sqlite3_last_insert_rowid(tx->conn->db);
	if (call->ticket_id != 0)
		return store_calls_outbox(tx, call);
	return 0;
}

/* --- Reads ------------------------------------------------------------------- */

#define STORE_CALLS_SELECT "SELECT calls.id, calls.ticket_id, tickets.code,"	\
	" calls.channel, call_id, caller, caller_raw, callee, started_at,"	\
	" answered_at, ended_at, calls.language, path, dtmf_methods,"	\
	" end_reason, recording_sha256, attachment_id, recording_ms,"	\
	" calls.created_at FROM calls"					\
	" LEFT JOIN tickets ON tickets.id = calls.ticket_id"

enum {
	STORE_CALLS_ID,
	STORE_CALLS_TICKET_ID,
	STORE_CALLS_CODE,
	STORE_CALLS_CHANNEL,
	STORE_CALLS_CALL_ID,
	STORE_CALLS_CALLER,
	STORE_CALLS_CALLER_RAW,
	STORE_CALLS_CALLEE,
	STORE_CALLS_STARTED_AT,
	STORE_CALLS_ANSWERED_AT,
	STORE_CALLS_ENDED_AT,
	STORE_CALLS_LANGUAGE,
	STORE_CALLS_PATH,
	STORE_CALLS_DTMF_METHODS,
	STORE_CALLS_END_REASON,
	STORE_CALLS_RECORDING_SHA256,
	STORE_CALLS_ATTACHMENT_ID,
	STORE_CALLS_RECORDING_MS,
	STORE_CALLS_CREATED_AT,
};

static const char *
store_calls_text(sqlite3_stmt *stmt, int column)
{
	return (const char *)sqlite3_column_text(stmt, column);
}

static json_t *
store_calls_id_or_null(sqlite3_stmt *stmt, int column)
{
	int64_t id = sqlite3_column_int64(stmt, column);

	return id != 0 ? json_integer(id) : json_null();
}

/* "rfc4733,info" as ["rfc4733", "info"]; empty or NULL as []. */
static json_t *
store_calls_methods(const char *text)
{
	json_t *methods = json_array();
	const char *start = text;
	size_t length;

	while (methods != NULL && start != NULL && *start != '\0') {
		length = strcspn(start, ",");
		if (length > 0 && json_array_append_new(methods,
		    json_stringn(start, length)) != 0) {
			json_decref(methods);
			return NULL;
		}
		start += length;
		if (*start == ',')
			start++;
	}
	return methods;
}

/* The duration from answer to end in ms, or null for a call never
 * answered. */
static json_t *
store_calls_talk_ms(sqlite3_stmt *stmt)
{
	int64_t answered = sqlite3_column_int64(stmt, STORE_CALLS_ANSWERED_AT);
	int64_t ended = sqlite3_column_int64(stmt, STORE_CALLS_ENDED_AT);

	if (answered == 0 || ended < answered)
		return json_null();
	return json_integer(ended - answered);
}

static json_t *
store_calls_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:o, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
	    " s:o, s:o, s:o, s:o, s:s?, s:s?, s:o, s:s?, s:s?, s:o, s:I, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, STORE_CALLS_ID),
	    "ticket_id", store_calls_id_or_null(stmt, STORE_CALLS_TICKET_ID),
	    "ticket_code", store_calls_text(stmt, STORE_CALLS_CODE),
	    "channel", store_calls_text(stmt, STORE_CALLS_CHANNEL),
	    "call_id", store_calls_text(stmt, STORE_CALLS_CALL_ID),
	    "caller", store_calls_text(stmt, STORE_CALLS_CALLER),
	    "caller_raw", store_calls_text(stmt, STORE_CALLS_CALLER_RAW),
	    "callee", store_calls_text(stmt, STORE_CALLS_CALLEE),
	    "started_at", store_json_time(sqlite3_column_int64(stmt,
	    STORE_CALLS_STARTED_AT)),
	    "answered_at", store_json_time(sqlite3_column_int64(stmt,
	    STORE_CALLS_ANSWERED_AT)),
	    "ended_at", store_json_time(sqlite3_column_int64(stmt,
	    STORE_CALLS_ENDED_AT)),
	    "talk_ms", store_calls_talk_ms(stmt),
	    "language", store_calls_text(stmt, STORE_CALLS_LANGUAGE),
	    "path", store_calls_text(stmt, STORE_CALLS_PATH),
	    "dtmf_methods", store_calls_methods(store_calls_text(stmt,
	    STORE_CALLS_DTMF_METHODS)),
	    "end_reason", store_calls_text(stmt, STORE_CALLS_END_REASON),
	    "recording_sha256", store_calls_text(stmt,
	    STORE_CALLS_RECORDING_SHA256),
	    "recording_attachment_id", store_calls_id_or_null(stmt,
	    STORE_CALLS_ATTACHMENT_ID),
	    "recording_ms", (json_int_t)sqlite3_column_int64(stmt,
	    STORE_CALLS_RECORDING_MS),
	    "created_at", store_json_time(sqlite3_column_int64(stmt,
	    STORE_CALLS_CREATED_AT)));
}

json_t *
store_calls_ticket_json(struct store *store, int64_t ticket_id)
{
	static const char sql[] = STORE_CALLS_SELECT
	    " WHERE calls.ticket_id = ? ORDER BY calls.started_at, calls.id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_calls_row);
}

json_t *
store_calls_list_json(struct store *store, int64_t since_ms, int64_t after_id,
    int limit)
{
	static const char sql[] = STORE_CALLS_SELECT
	    " WHERE calls.started_at >= ? AND calls.id > ? ORDER BY calls.id"
	    " LIMIT ?";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "iii", since_ms, after_id, (int64_t)limit), store_calls_row);
}

int
store_ticket_resolved_at(struct store *store, int64_t ticket_id,
    int64_t *resolved_at)
{
	/* A reopened ticket has resolved_at cleared; a ticket closed by a
	 * merge never had it. */
	static const char sql[] = "SELECT CASE WHEN status IN"
	    " ('resolved', 'closed') THEN COALESCE(resolved_at, 0) ELSE 0 END"
	    " FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "i",
	    ticket_id);
	int rc;

	*resolved_at = 0;
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*resolved_at = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}
