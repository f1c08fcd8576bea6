/*
 * Writes of the ticket desk, run on the store thread inside the savepoint of
 * the job that calls them.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_casework.h"
#include "store_sqlite.h"

#define STORE_CASEWORK_TICKET_COLUMNS "id, code, citizen_id, contact_id,"	\
	" assignee_id, merged_into, resolved_at, status, department, channel,"	\
	" language"

/* Runs a statement that returns no rows; a NULL statement (prepare or bind
 * failed, already logged) is an error. */
static int
store_casework_run(struct store_tx *tx, sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return -1;
	return store_sqlite_run(tx->conn, stmt);
}

/* Copies a text column into out; a value that does not fit is an error,
 * because a cut department or channel would compare wrong. */
static int
store_casework_copy_text(sqlite3_stmt *stmt, int column, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);
	int written;

	written = snprintf(out, size, "%s", text != NULL ? (const char *)text :
	    "");
	if (written < 0 || (size_t)written >= size) {
		log_error("store", "ticket column too long column=%d bytes=%d",
		    column, written);
		return -1;
	}
	return 0;
}

static int
store_casework_read_ticket(sqlite3_stmt *stmt, struct store_casework_ticket *ticket)
{
	const char *status = (const char *)sqlite3_column_text(stmt, 7);

	memset(ticket, 0, sizeof(*ticket));
	ticket->id = sqlite3_column_int64(stmt, 0);
	ticket->citizen_id = sqlite3_column_int64(stmt, 2);
	ticket->contact_id = sqlite3_column_int64(stmt, 3);
	ticket->assignee_id = sqlite3_column_int64(stmt, 4);
	ticket->merged_into = sqlite3_column_int64(stmt, 5);
	ticket->resolved_at = sqlite3_column_int64(stmt, 6);
	ticket->has_department = sqlite3_column_type(stmt, 8) != SQLITE_NULL;
	if (status == NULL ||
	    lifecycle_status_parse(status, &ticket->status) != 0) {
		log_error("store", "ticket has an unknown status ticket=%lld",
		    (long long)ticket->id);
		return -1;
	}
	if (store_casework_copy_text(stmt, 1, ticket->code,
	    sizeof(ticket->code)) != 0 ||
	    store_casework_copy_text(stmt, 8, ticket->department,
	    sizeof(ticket->department)) != 0 ||
	    store_casework_copy_text(stmt, 9, ticket->channel,
	    sizeof(ticket->channel)) != 0 ||
	    store_casework_copy_text(stmt, 10, ticket->language,
	    sizeof(ticket->language)) != 0)
		return -1;
	return 0;
}

int
store_tx_casework_ticket(struct store_tx *tx, int64_t ticket_id,
    struct store_casework_ticket *ticket)
{
	static const char sql[] = "SELECT " STORE_CASEWORK_TICKET_COLUMNS
	    " FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", ticket_id);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = store_casework_read_ticket(stmt, ticket);
	sqlite3_reset(stmt);
	return rc == 0 ? 1 : -1;
}

int
store_tx_casework_ticket_final(struct store_tx *tx, int64_t ticket_id,
    struct store_casework_ticket *ticket)
{
	for (int hop = 0; hop <= STORE_CASEWORK_MERGE_HOPS_MAX; hop++) {
		int found = store_tx_casework_ticket(tx, ticket_id, ticket);

		if (found <= 0 || ticket->merged_into == 0)
			return found;
		ticket_id = ticket->merged_into;
	}
	log_warn("store", "merged_into chain too long ticket=%lld",
	    (long long)ticket_id);
	return 0;
}

int
store_tx_casework_conversation_latest(struct store_tx *tx, const char *channel,
    const char *conversation_key, int64_t updated_since, int64_t *ticket_id)
{
	static const char sql[] = "SELECT id FROM tickets WHERE channel = ?"
	    " AND conversation_key = ? AND updated_at >= ?"
	    " ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, sql, "tti", channel,
	    conversation_key, updated_since);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_casework_set_status(struct store_tx *tx, int64_t ticket_id,
    enum lifecycle_status status, const struct lifecycle_effect *effect,
    int64_t now)
{
	static const char sql[] = "UPDATE tickets SET status = ?1,"
	    " resolved_at = CASE WHEN ?2 THEN ?6 WHEN ?3 THEN NULL"
	    " ELSE resolved_at END,"
	    " closed_at = CASE WHEN ?4 THEN ?6 WHEN ?5 THEN NULL"
	    " ELSE closed_at END,"
	    " assignee_id = CASE WHEN ?7 THEN NULL ELSE assignee_id END,"
	    " updated_at = ?6 WHERE id = ?8";

	return store_casework_run(tx, store_sqlite_query(tx->conn, sql, "tiiiiiii",
	    lifecycle_status_name(status), (int64_t)effect->set_resolved_at,
	    (int64_t)effect->clear_resolved_at, (int64_t)effect->set_closed_at,
	    (int64_t)effect->clear_closed_at, now,
	    (int64_t)effect->clear_assignee, ticket_id));
}

int
store_tx_casework_set_assignee(struct store_tx *tx, int64_t ticket_id,
    int64_t assignee_id, enum lifecycle_status status, int64_t now)
{
	static const char sql[] = "UPDATE tickets SET assignee_id = ?,"
	    " status = ?, updated_at = ? WHERE id = ?";

	return store_casework_run(tx, store_sqlite_query(tx->conn, sql, "rtii",
	    assignee_id, lifecycle_status_name(status), now, ticket_id));
}

int
store_tx_casework_touch(struct store_tx *tx, int64_t ticket_id, int64_t now)
{
	static const char sql[] = "UPDATE tickets SET updated_at = ?"
	    " WHERE id = ?";

	return store_casework_run(tx, store_sqlite_query(tx->conn, sql, "ii", now,
	    ticket_id));
}

/* Runs a query that checks whether a row exists. Returns 1, 0 or -1. */
static int
store_casework_exists(struct store_tx *tx, sqlite3_stmt *stmt)
{
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

int
store_tx_casework_agent_member(struct store_tx *tx, int64_t agent_id,
    const char *department)
{
	static const char sql[] = "SELECT 1 FROM agents JOIN agent_departments"
	    " ON agent_departments.agent_id = agents.id"
	    " WHERE agents.id = ? AND agents.disabled = 0"
	    " AND agent_departments.department = ?";

	return store_casework_exists(tx, store_sqlite_query(tx->conn, sql, "it",
	    agent_id, department));
}

/* Sets kind from the kind column's text. Returns 0, or -1 for another text. */
static int
store_casework_contact_kind(const char *name, enum contact_kind *kind)
{
	static const enum contact_kind kinds[] = {
		CONTACT_PHONE, CONTACT_EMAIL, CONTACT_PLATFORM,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(name, contact_kind_name(kinds[i])) == 0) {
			*kind = kinds[i];
			return 0;
		}
	}
	return -1;
}

int
store_tx_casework_contact(struct store_tx *tx, int64_t contact_id,
    int64_t *citizen_id, enum contact_kind *kind)
{
	static const char sql[] = "SELECT citizen_id, kind FROM contacts"
	    " WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", contact_id);
	const char *name;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*citizen_id = sqlite3_column_int64(stmt, 0);
	name = (const char *)sqlite3_column_text(stmt, 1);
	rc = name != NULL && store_casework_contact_kind(name, kind) == 0 ? 1 : -1;
	sqlite3_reset(stmt);
	if (rc < 0)
		log_error("store", "contact has an unknown kind contact=%lld",
		    (long long)contact_id);
	return rc;
}

int
store_tx_casework_contact_channel(struct store_tx *tx, int64_t contact_id,
    char channel[STORE_CASEWORK_CHANNEL_SIZE])
{
	static const char sql[] = "SELECT channel FROM messages"
	    " WHERE contact_id = ? AND direction = 'in' ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", contact_id);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = store_casework_copy_text(stmt, 0, channel, STORE_CASEWORK_CHANNEL_SIZE);
	sqlite3_reset(stmt);
	return rc == 0 ? 1 : -1;
}

int
store_tx_casework_message_add(struct store_tx *tx,
    struct store_casework_message *message, int64_t now)
{
	static const char sql[] = "INSERT INTO messages (ticket_id, direction,"
	    " kind, channel, contact_id, agent_id, body, delivery_status,"
	    " next_attempt_at, created_at, language) VALUES (?1, 'out', ?2, ?3,"
	    " ?4, ?5, ?6, CASE WHEN ?7 THEN 'queued' END,"
	    " CASE WHEN ?7 THEN ?8 END, ?8, ?9)";
	bool reply = strcmp(message->kind, "reply") == 0;

	if (store_casework_run(tx, store_sqlite_query(tx->conn, sql, "ittrrtiit",
	    message->ticket_id, message->kind, message->channel,
	    message->contact_id, message->agent_id, message->body,
	    (int64_t)reply, now, message->language)) != 0)
		return -1;
	message->id = sqlite3_last_insert_rowid(tx->conn->db);
	return reply ? store_search_add(tx, message->ticket_id,
	    message->body, NULL) : 0;
}

int
store_tx_casework_audit(struct store_tx *tx, const struct store_casework_audit *audit,
    int64_t now)
{
	static const char sql[] = "INSERT INTO audit_events (ticket_id,"
	    " citizen_id, agent_id, actor, action, detail, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)";

	return store_casework_run(tx, store_sqlite_query(tx->conn, sql, "rrrttti",
	    audit->ticket_id, audit->citizen_id, audit->agent_id, audit->actor,
	    audit->action, audit->detail, now));
}

int
store_tx_casework_tags_set(struct store_tx *tx, int64_t ticket_id,
    const char *const *tags, size_t count)
{
	static const char clear[] = "DELETE FROM ticket_tags WHERE ticket_id = ?";
	static const char add[] = "INSERT INTO ticket_tags (ticket_id, tag)"
	    " VALUES (?, ?) ON CONFLICT DO NOTHING";

	if (store_casework_run(tx, store_sqlite_query(tx->conn, clear, "i",
	    ticket_id)) != 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (store_casework_run(tx, store_sqlite_query(tx->conn, add, "it",
		    ticket_id, tags[i])) != 0)
			return -1;
	}
	return 0;
}

int
store_tx_casework_tag_remove(struct store_tx *tx, int64_t ticket_id,
    const char *tag)
{
	static const char sql[] = "DELETE FROM ticket_tags WHERE ticket_id = ?"
	    " AND tag = ?";

	if (store_casework_run(tx, store_sqlite_query(tx->conn, sql, "it",
	    ticket_id, tag)) != 0)
		return -1;
	return sqlite3_changes(tx->conn->db) > 0 ? 1 : 0;
}

/* The source's contacts on the ticket, the one that opened it included,
 * join the target's and leave the source. */
static int
store_casework_merge_contacts(struct store_tx *tx, int64_t source_id,
    int64_t target_id)
{
	static const char listed[] = "INSERT INTO ticket_contacts (ticket_id,"
	    " contact_id) SELECT ?1, contact_id FROM ticket_contacts"
	    " WHERE ticket_id = ?2 ON CONFLICT DO NOTHING";
	static const char opener[] = "INSERT INTO ticket_contacts (ticket_id,"
	    " contact_id) SELECT ?1, contact_id FROM tickets"
	    " WHERE id = ?2 AND contact_id IS NOT NULL ON CONFLICT DO NOTHING";
	static const char leave[] = "DELETE FROM ticket_contacts"
	    " WHERE ticket_id = ?";

	if (store_casework_run(tx, store_sqlite_query(tx->conn, listed, "ii",
	    target_id, source_id)) != 0 ||
	    store_casework_run(tx, store_sqlite_query(tx->conn, opener, "ii",
	    target_id, source_id)) != 0)
		return -1;
	return store_casework_run(tx, store_sqlite_query(tx->conn, leave, "i",
	    source_id));
}

/* The source's tags are copied to the target as long as it has fewer than
 * STORE_CASEWORK_TAGS_MAX, in tag order; the source keeps its own. */
static int
store_casework_merge_tags(struct store_tx *tx, int64_t source_id,
    int64_t target_id)
{
	static const char sql[] = "INSERT INTO ticket_tags (ticket_id, tag)"
	    " SELECT ?1, tag FROM ticket_tags WHERE ticket_id = ?2"
	    " AND tag NOT IN (SELECT tag FROM ticket_tags WHERE ticket_id = ?1)"
	    " ORDER BY tag LIMIT max(0, ?3 - (SELECT COUNT(*) FROM ticket_tags"
	    " WHERE ticket_id = ?1))";

	return store_casework_run(tx, store_sqlite_query(tx->conn, sql, "iii",
	    target_id, source_id, (int64_t)STORE_CASEWORK_TAGS_MAX));
}

int
store_tx_casework_merge(struct store_tx *tx, int64_t source_id, int64_t target_id,
    int64_t now)
{
	static const char messages[] = "UPDATE messages SET ticket_id = ?"
	    " WHERE ticket_id = ?";
	/* NOTE: ticket_id is an UNINDEXED column of the FTS5 table, so this
	 * scans every search row; merges are rare enough for that. */
	static const char search[] = "UPDATE ticket_search SET ticket_id = ?"
	    " WHERE ticket_id = ?";
	static const char close[] = "UPDATE tickets SET status = 'closed',"
	    " closed_at = ?1, merged_into = ?2, updated_at = ?1 WHERE id = ?3";

	if (store_casework_run(tx, store_sqlite_query(tx->conn, messages, "ii",
	    target_id, source_id)) != 0 ||
	    store_casework_merge_contacts(tx, source_id, target_id) != 0 ||
	    store_casework_merge_tags(tx, source_id, target_id) != 0 ||
	    store_casework_run(tx, store_sqlite_query(tx->conn, search, "ii",
	    target_id, source_id)) != 0 ||
	    store_casework_run(tx, store_sqlite_query(tx->conn, close, "iii", now,
	    target_id, source_id)) != 0)
		return -1;
	return store_tx_casework_touch(tx, target_id, now);
}
