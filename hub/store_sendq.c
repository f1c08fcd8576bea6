/*
 * The send queue's reads and writes. The partial index messages_send_queue
 * (migration 3) covers queued messages by next_attempt_at, so every query
 * here names delivery_status = 'queued' literally for SQLite to use it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sendq.h"
#include "store_sqlite.h"

/* Columns of the addressee, after the alias t for the ticket, ci for the
 * citizen, co for the contact and m for the message, whose language is the
 * one an agent chose for a reply (NULL otherwise). */
#define STORE_SENDQ_ADDRESSEE_COLUMNS "co.value,"			\
	" COALESCE(m.language, ci.language, t.language, 'vi'), ci.name,"	\
	" t.code,"							\
	" t.department, t.status"

void
store_sendq_addressee_clear(struct store_sendq_addressee *addressee)
{
	free(addressee->to);
	free(addressee->language);
	free(addressee->name);
	free(addressee->department);
	free(addressee->status);
	memset(addressee, 0, sizeof *addressee);
}

void
store_sendq_message_clear(struct store_sendq_message *message)
{
	free(message->channel);
	free(message->kind);
	free(message->body);
	free(message->agent_name);
	store_sendq_addressee_clear(&message->addressee);
	memset(message, 0, sizeof *message);
}

/* Reads STORE_SENDQ_ADDRESSEE_COLUMNS from column first on. Returns 0, or
 * -1 when out of memory. */
static int
store_sendq_read_addressee(sqlite3_stmt *stmt, int first,
    struct store_sendq_addressee *addressee)
{
	const unsigned char *code = sqlite3_column_text(stmt, first + 3);

	snprintf(addressee->code, sizeof addressee->code, "%s",
	    code != NULL ? (const char *)code : "");
	if (store_sqlite_column_dup(stmt, first, &addressee->to) != 0 ||
	    store_sqlite_column_dup(stmt, first + 1,
	    &addressee->language) != 0 ||
	    store_sqlite_column_dup(stmt, first + 2, &addressee->name) != 0 ||
	    store_sqlite_column_dup(stmt, first + 4,
	    &addressee->department) != 0 ||
	    store_sqlite_column_dup(stmt, first + 5, &addressee->status) != 0)
		return -1;
	return 0;
}

static int
store_sendq_read_message(sqlite3_stmt *stmt,
    struct store_sendq_message *message)
{
	memset(message, 0, sizeof *message);
	message->id = sqlite3_column_int64(stmt, 0);
	message->ticket_id = sqlite3_column_int64(stmt, 1);
	message->attempts = sqlite3_column_int(stmt, 5);
	if (store_sqlite_column_dup(stmt, 2, &message->channel) != 0 ||
	    store_sqlite_column_dup(stmt, 3, &message->kind) != 0 ||
	    store_sqlite_column_dup(stmt, 4, &message->body) != 0 ||
	    store_sqlite_column_dup(stmt, 6, &message->agent_name) != 0 ||
	    store_sendq_read_addressee(stmt, 7, &message->addressee) != 0) {
		store_sendq_message_clear(message);
		return -1;
	}
	return 0;
}

int
store_sendq_due(struct store *store, int64_t now, const char *exclude,
    struct store_sendq_message *messages, size_t limit)
{
	static const char sql[] = "SELECT m.id, m.ticket_id, m.channel,"
	    " m.kind, m.body, m.attempts, a.display_name, "
	    STORE_SENDQ_ADDRESSEE_COLUMNS
	    " FROM messages AS m JOIN tickets AS t ON t.id = m.ticket_id"
	    " LEFT JOIN citizens AS ci ON ci.id = t.citizen_id"
	    " LEFT JOIN contacts AS co"
	    "  ON co.id = COALESCE(m.contact_id, t.contact_id)"
	    " LEFT JOIN agents AS a ON a.id = m.agent_id"
	    " WHERE m.delivery_status = 'queued'"
	    " AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= ?1)"
	    " AND m.id NOT IN (SELECT value FROM json_each(?2))"
	    " ORDER BY m.next_attempt_at, m.id LIMIT ?3";
	sqlite3_stmt *stmt;
	size_t count = 0;
	int rc = 0;

	stmt = store_sqlite_query(&store->reader, sql, "iti", now, exclude,
	    (int64_t)limit);
	if (stmt == NULL)
		return -1;
	while (count < limit &&
	    (rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		if (store_sendq_read_message(stmt, &messages[count]) != 0) {
			rc = -1;
			break;
		}
		count++;
	}
	sqlite3_reset(stmt);
	if (rc < 0) {
		while (count > 0)
			store_sendq_message_clear(&messages[--count]);
		return -1;
	}
	return (int)count;
}

int
store_sendq_next_due(struct store *store, const char *exclude, int64_t *at)
{
	static const char sql[] = "SELECT COALESCE(next_attempt_at, 0)"
	    " FROM messages WHERE delivery_status = 'queued'"
	    " AND id NOT IN (SELECT value FROM json_each(?1))"
	    " ORDER BY next_attempt_at LIMIT 1";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "t",
	    exclude);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*at = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_sendq_depth(struct store *store, int64_t *depth)
{
	static const char sql[] = "SELECT COUNT(*) FROM messages"
	    " WHERE delivery_status = 'queued'";

	return store_sqlite_count(&store->reader, sql, depth);
}

int
store_sendq_notice_target(struct store *store, int64_t ticket_id,
    char **channel, int64_t *contact_id,
    struct store_sendq_addressee *addressee, bool *merged, bool *phone)
{
	static const char sql[] = "SELECT COALESCE(m.channel, t.channel),"
	    " COALESCE(m.contact_id, t.contact_id), "
	    STORE_SENDQ_ADDRESSEE_COLUMNS ", t.merged_into IS NOT NULL,"
	    " co.kind IS 'phone'"
	    " FROM tickets AS t"
	    " LEFT JOIN messages AS m ON m.id = (SELECT id FROM messages"
	    "  WHERE ticket_id = t.id AND direction = 'in'"
	    "  AND contact_id IN (SELECT id FROM contacts"
	    "   WHERE citizen_id = t.citizen_id)"
	    "  ORDER BY id DESC LIMIT 1)"
	    " LEFT JOIN citizens AS ci ON ci.id = t.citizen_id"
	    " LEFT JOIN contacts AS co"
	    "  ON co.id = COALESCE(m.contact_id, t.contact_id)"
	    " WHERE t.id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "i",
	    ticket_id);
	int rc;

	memset(addressee, 0, sizeof *addressee);
	*channel = NULL;
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*contact_id = sqlite3_column_int64(stmt, 1);
	*merged = sqlite3_column_int(stmt, 8) != 0;
	*phone = sqlite3_column_int(stmt, 9) != 0;
	rc = store_sqlite_column_dup(stmt, 0, channel) == 0 &&
	    store_sendq_read_addressee(stmt, 2, addressee) == 0 ? 1 : -1;
	sqlite3_reset(stmt);
	if (rc < 0) {
		free(*channel);
		*channel = NULL;
		store_sendq_addressee_clear(addressee);
	}
	return rc;
}

/*
 * A gateway can refuse a message twice: in its answer to the send and in a
 * failure report that overtakes that answer. The report already failed the
 * message; the send's own reason, usually the more precise one, is added in
 * front of the report's so that the agent sees both.
 */
static int
store_tx_sendq_failure_detail(struct store_tx *tx,
    const struct store_sendq_outcome *outcome)
{
	static const char sql[] = "UPDATE messages SET delivery_detail ="
	    " CASE WHEN delivery_detail IS NULL THEN ?1"
	    " ELSE ?1 || '; ' || delivery_detail END"
	    " WHERE id = ?2 AND delivery_status = 'failed'"
	    " AND instr(COALESCE(delivery_detail, ''), ?1) = 0";
	sqlite3_stmt *stmt;

	if (strcmp(outcome->status, "failed") != 0 || outcome->detail == NULL)
		return 0;
	stmt = store_sqlite_query(tx->conn, sql, "ti", outcome->detail,
	    outcome->message_id);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	return 0;
}

int
store_tx_sendq_outcome(struct store_tx *tx,
    struct store_sendq_outcome *outcome)
{
	static const char sql[] = "UPDATE messages SET delivery_status = ?1,"
	    " delivery_detail = ?2, attempts = attempts + 1,"
	    " next_attempt_at = CASE WHEN ?1 = 'queued' THEN ?3 END,"
	    " delivered_at = CASE WHEN ?1 = 'delivered' THEN ?4 END"
	    " WHERE id = ?5 AND delivery_status = 'queued'"
	    " RETURNING ticket_id";
	sqlite3_stmt *stmt;
	int rc;

	outcome->applied = false;
	stmt = store_sqlite_query(tx->conn, sql, "ttiii", outcome->status,
	    outcome->detail, outcome->next_attempt_at, outcome->at,
	    outcome->message_id);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		outcome->applied = true;
		outcome->ticket_id = sqlite3_column_int64(stmt, 0);
		/* Stepped to its end, which resets the statement. */
		if (store_sqlite_row(tx->conn, stmt) != 0)
			return -1;
		return 0;
	}
	return store_tx_sendq_failure_detail(tx, outcome);
}

int
store_tx_sendq_report(struct store_tx *tx, struct store_sendq_report *report)
{
	static const char sql[] = "UPDATE messages SET delivery_status = ?1,"
	    " delivery_detail = COALESCE(?2, delivery_detail),"
	    " next_attempt_at = NULL,"
	    " delivered_at = CASE WHEN ?1 = 'delivered' THEN ?3 END"
	    " WHERE id = ?4 AND channel = ?5 AND direction = 'out'"
	    " AND delivery_status IN ('queued', 'sent')"
	    " RETURNING ticket_id";
	sqlite3_stmt *stmt;
	int rc;

	report->applied = false;
	stmt = store_sqlite_query(tx->conn, sql, "ttiit",
	    report->delivered ? "delivered" : "failed", report->detail,
	    report->at, report->message_id, report->channel);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		report->applied = true;
		report->ticket_id = sqlite3_column_int64(stmt, 0);
		if (store_sqlite_row(tx->conn, stmt) != 0)
			return -1;
	}
	return 0;
}

int
store_tx_sendq_add(struct store_tx *tx, struct store_sendq_new *message)
{
	static const char sql[] = "INSERT INTO messages (ticket_id, direction,"
	    " kind, channel, contact_id, agent_id, body, delivery_status,"
	    " next_attempt_at, created_at, language)"
	    " VALUES (?1, 'out', ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7, ?8)";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "ittrrtit", message->ticket_id,
	    message->kind, message->channel, message->contact_id,
	    message->agent_id, message->body, message->at, message->language);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	message->id = sqlite3_last_insert_rowid(tx->conn->db);
	if (strcmp(message->kind, "reply") != 0)
		return 0;
	return store_search_add(tx, message->ticket_id, message->body, NULL);
}
