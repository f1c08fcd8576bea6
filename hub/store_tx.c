/*
 * Writes inside a batch: the store_tx_* functions run on the store thread,
 * inside the savepoint of the job that calls them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

/* Runs an INSERT and sets *id to the new row id when id is not NULL. */
static int
store_tx_insert(struct store_tx *tx, sqlite3_stmt *stmt, int64_t *id)
{
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(tx->conn->db);
	return 0;
}

int
store_tx_citizen_create(struct store_tx *tx, const char *name,
    const char *language, int64_t *citizen_id)
{
	static const char sql[] = "INSERT INTO citizens (name, language,"
	    " created_at) VALUES (?, COALESCE(?, 'vi'), ?)";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "tti",
	    name, language, tx->now), citizen_id);
}

int
store_tx_contact_find_verified(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t *contact_id, int64_t *citizen_id)
{
	static const char sql[] = "SELECT id, citizen_id FROM contacts"
	    " WHERE kind = ? AND value = ? AND verified = 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, sql, "tt", contact_kind_name(kind),
	    value);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*contact_id = sqlite3_column_int64(stmt, 0);
		*citizen_id = sqlite3_column_int64(stmt, 1);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_contact_add(struct store_tx *tx, int64_t citizen_id,
    enum contact_kind kind, const char *value, bool verified,
    int64_t *contact_id)
{
	static const char sql[] = "INSERT INTO contacts (citizen_id, kind,"
	    " value, verified, created_at) VALUES (?, ?, ?, ?, ?)";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "rttii",
	    citizen_id, contact_kind_name(kind), value, (int64_t)verified,
	    tx->now), contact_id);
}

/*
 * Inserts the ticket with the next counter of the store thread. A job that
 * rolls back after this leaves a gap in the counter, which is harmless: codes
 * stay unique because the counter never goes back while the store is open.
 */
/* Whether a ticket already has code. Returns 1, 0 or -1. */
static int
store_tx_code_taken(struct store_tx *tx, const char *code)
{
	static const char sql[] = "SELECT 1 FROM tickets WHERE code = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "t", code);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	sqlite3_reset(stmt);
	return rc;
}

/*
 * Takes the next counter whose code is free. Codes of tickets created
 * before a restore were made with an older key, so a new code can equal
 * one of them (about one chance in a billion per stored ticket); such a
 * counter is skipped.
 */
static int
store_tx_next_code(struct store_tx *tx, int64_t *id, char *code)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		int taken;

		if (ticket_code_encode(tx->store->code_key, (uint64_t)*id,
		    code) != 0) {
			log_error("store", "ticket counter out of range id=%lld",
			    (long long)*id);
			return -1;
		}
		if ((taken = store_tx_code_taken(tx, code)) <= 0)
			return taken;
		log_warn("store", "ticket code taken, counter skipped id=%lld",
		    (long long)*id);
		(*id)++;
	}
	return -1;
}

int
store_tx_ticket_create(struct store_tx *tx, struct store_ticket_new *ticket)
{
	static const char sql[] = "INSERT INTO tickets (id, code, citizen_id,"
	    " contact_id, channel, conversation_key, subject, category_hint,"
	    " address, latitude, longitude, language, created_at, updated_at,"
	    " category, department, commune, due_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'vi'), ?, ?,"
	    " ?, ?, ?, NULLIF(?, 0))";
	int64_t id = tx->store->writer->next_ticket_id;
	sqlite3_stmt *stmt;

	if (store_tx_next_code(tx, &id, ticket->code) != 0)
		return -1;
	stmt = store_sqlite_query(tx->conn, sql, "itrrttttt", id, ticket->code,
	    ticket->citizen_id, ticket->contact_id, ticket->channel,
	    ticket->conversation_key, ticket->subject, ticket->category_hint,
	    ticket->address);
	if (stmt == NULL)
		return -1;
	if (ticket->has_location &&
	    (sqlite3_bind_double(stmt, 10, ticket->latitude) != SQLITE_OK ||
	    sqlite3_bind_double(stmt, 11, ticket->longitude) != SQLITE_OK))
		return -1;
	if (sqlite3_bind_text(stmt, 12, ticket->language, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 13, tx->now) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 14, tx->now) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 15, ticket->category, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 16, ticket->department, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 17, ticket->commune, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 18, ticket->due_at) != SQLITE_OK)
		return -1;
	if (store_tx_insert(tx, stmt, NULL) != 0 ||
	    store_search_add(tx, id, ticket->subject,
	    ticket->subject_folded) != 0)
		return -1;
	ticket->id = id;
	tx->store->writer->next_ticket_id = id + 1;
	return 0;
}

int
store_tx_ticket_code(struct store_tx *tx, int64_t ticket_id,
    char code[TICKET_CODE_PLAIN_SIZE])
{
	static const char sql[] = "SELECT code FROM tickets WHERE id = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "i", ticket_id);
	const unsigned char *text;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		text = sqlite3_column_text(stmt, 0);
		snprintf(code, TICKET_CODE_PLAIN_SIZE, "%s",
		    text != NULL ? (const char *)text : "");
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_ticket_find_code(struct store_tx *tx, const char *code,
    int64_t *ticket_id, bool *open)
{
	static const char sql[] = "SELECT id, status NOT IN "
	    STORE_CLOSED_STATUSES " FROM tickets WHERE code = ?";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, sql, "t", code);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		*open = sqlite3_column_int(stmt, 1) != 0;
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_ticket_find_conversation(struct store_tx *tx, const char *channel,
    const char *conversation_key, int64_t updated_since, int64_t *ticket_id)
{
	static const char sql[] = "SELECT id FROM tickets WHERE channel = ?"
	    " AND conversation_key = ? AND updated_at >= ? AND status NOT IN "
	    STORE_CLOSED_STATUSES " ORDER BY id DESC LIMIT 1";
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
store_tx_ticket_has_contact(struct store_tx *tx, int64_t ticket_id,
    int64_t contact_id)
{
	static const char sql[] = "SELECT 1 FROM tickets WHERE id = ?1"
	    " AND contact_id = ?2 UNION ALL SELECT 1 FROM ticket_contacts"
	    " WHERE ticket_id = ?1 AND contact_id = ?2 LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, sql, "ii", ticket_id, contact_id);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

int
store_tx_ticket_add_contact(struct store_tx *tx, int64_t ticket_id,
    int64_t contact_id)
{
	static const char sql[] = "INSERT INTO ticket_contacts (ticket_id,"
	    " contact_id) VALUES (?, ?) ON CONFLICT DO NOTHING";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "ii",
	    ticket_id, contact_id), NULL);
}

int
store_tx_ticket_touch(struct store_tx *tx, int64_t ticket_id)
{
	static const char sql[] = "UPDATE tickets SET updated_at = ?"
	    " WHERE id = ?";

	if (store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "ii",
	    tx->now, ticket_id), NULL) != 0)
		return -1;
	if (sqlite3_changes(tx->conn->db) == 0) {
		log_error("store", "touching ticket failed: not found "
		    "ticket=%lld", (long long)ticket_id);
		return -1;
	}
	return 0;
}

int
store_tx_message_add(struct store_tx *tx, struct store_message_new *message)
{
	static const char sql[] = "INSERT INTO messages (ticket_id, direction,"
	    " kind, channel, external_id, contact_id, body, reference,"
	    " automatic, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "ittttrttii",
	    message->ticket_id, message->direction, message->kind,
	    message->channel, message->external_id, message->contact_id,
	    message->body, message->reference,
	    (int64_t)(message->automatic ? 1 : 0), tx->now);
	if (store_tx_insert(tx, stmt, NULL) != 0)
		return -1;
	if (sqlite3_changes(tx->conn->db) == 0)
		return 1;
	message->id = sqlite3_last_insert_rowid(tx->conn->db);
	if (strcmp(message->kind, "note") == 0)
		return 0;
	return store_search_add(tx, message->ticket_id, message->body,
	    message->body_folded);
}

int
store_tx_message_find_external(struct store_tx *tx, const char *channel,
    const char *external_id, int64_t *ticket_id, int64_t *message_id)
{
	static const char sql[] = "SELECT ticket_id, id FROM messages"
	    " WHERE channel = ? AND external_id = ?";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, sql, "tt", channel, external_id);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		*message_id = sqlite3_column_int64(stmt, 1);
		sqlite3_reset(stmt);
	}
	return rc;
}

/* A key left from an earlier request under the same route is replaced:
 * callers look keys up with a time window, so an older row is one that has
 * expired and not been pruned yet. */
int
store_tx_idempotency_add(struct store_tx *tx, const char *route,
    const char *key, const uint8_t body_hash[32], int64_t ticket_id,
    int64_t message_id)
{
	static const char sql[] = "INSERT INTO idempotency_keys (route, key,"
	    " body_hash, ticket_id, message_id, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route, key) DO UPDATE SET"
	    " body_hash = excluded.body_hash, ticket_id = excluded.ticket_id,"
	    " message_id = excluded.message_id,"
	    " created_at = excluded.created_at";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "ttbiii",
	    route, key, (const void *)body_hash, 32, ticket_id, message_id,
	    tx->now), NULL);
}

int
store_tx_outbox_add(struct store_tx *tx, const char *event,
    int64_t ticket_id, const char *payload)
{
	static const char sql[] = "INSERT INTO outbox (event, ticket_id,"
	    " payload, created_at) VALUES (?, ?, ?, ?)";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "trti",
	    event, ticket_id, payload, tx->now), NULL);
}

int
store_tx_audit_add(struct store_tx *tx, int64_t ticket_id,
    const char *actor, const char *action, const char *detail)
{
	static const char sql[] = "INSERT INTO audit_events (ticket_id, actor,"
	    " action, detail, created_at) VALUES (?, ?, ?, ?, ?)";

	return store_tx_insert(tx, store_sqlite_query(tx->conn, sql, "rttti",
	    ticket_id, actor, action, detail, tx->now), NULL);
}

/*
 * NOTE: this version configures no outbox consumer, so nothing ever sets
 * delivered_at and the outbox is pruned by age alone, undelivered rows
 * included. Once a consumer exists, undelivered rows must be kept.
 */
int
store_tx_prune(struct store_tx *tx, int64_t outbox_before,
    int64_t idempotency_before, int64_t *outbox_deleted,
    int64_t *idempotency_deleted)
{
	static const char outbox_sql[] = "DELETE FROM outbox"
	    " WHERE created_at < ?";
	static const char idempotency_sql[] = "DELETE FROM idempotency_keys"
	    " WHERE created_at < ?";

	if (store_tx_insert(tx, store_sqlite_query(tx->conn, outbox_sql, "i",
	    outbox_before), NULL) != 0)
		return -1;
	*outbox_deleted = sqlite3_changes(tx->conn->db);
	if (store_tx_insert(tx, store_sqlite_query(tx->conn, idempotency_sql,
	    "i", idempotency_before), NULL) != 0)
		return -1;
	*idempotency_deleted = sqlite3_changes(tx->conn->db);
	return 0;
}
