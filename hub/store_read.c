/*
 * Reads on the main thread's read-only connection (or citizenhubctl's):
 * tickets, lookups, second factors and counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store_sqlite.h"

/* Longest email address accepted, as RFC 5321 bounds a forward path. */
#define STORE_READ_EMAIL_MAX 254

/* Shortest and longest phone suffix accepted: fewer than four digits would
 * be guessed too easily, and E.164 numbers have at most 15. */
#define STORE_READ_SUFFIX_MIN 4
#define STORE_READ_SUFFIX_MAX 15

void
store_ticket_clear(struct store_ticket *ticket)
{
	free(ticket->channel);
	free(ticket->status);
	free(ticket->subject);
	free(ticket->category);
	free(ticket->category_hint);
	free(ticket->department);
	free(ticket->commune);
	free(ticket->address);
	free(ticket->language);
	memset(ticket, 0, sizeof(*ticket));
}

static int
store_read_ticket_texts(sqlite3_stmt *stmt, struct store_ticket *ticket)
{
	char **texts[] = {
		&ticket->channel, &ticket->status, &ticket->subject,
		&ticket->category, &ticket->category_hint, &ticket->department,
		&ticket->commune, &ticket->address, &ticket->language,
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (store_sqlite_column_dup(stmt, 3 + (int)i, texts[i]) != 0)
			return -1;
	}
	return 0;
}

/* Fills ticket from a row of STORE_TICKET_COLUMNS. Returns 0, or -1 when out
 * of memory (ticket cleared). */
int
store_read_ticket_row(sqlite3_stmt *stmt, struct store_ticket *ticket)
{
	const char *code = (const char *)sqlite3_column_text(stmt, 1);

	memset(ticket, 0, sizeof(*ticket));
	ticket->id = sqlite3_column_int64(stmt, 0);
	snprintf(ticket->code, sizeof(ticket->code), "%s",
	    code != NULL ? code : "");
	ticket->citizen_id = sqlite3_column_int64(stmt, 2);
	if (store_read_ticket_texts(stmt, ticket) != 0) {
		store_ticket_clear(ticket);
		return -1;
	}
	ticket->has_location = sqlite3_column_type(stmt, 12) != SQLITE_NULL &&
	    sqlite3_column_type(stmt, 13) != SQLITE_NULL;
	ticket->latitude = sqlite3_column_double(stmt, 12);
	ticket->longitude = sqlite3_column_double(stmt, 13);
	ticket->due_at = sqlite3_column_int64(stmt, 14);
	ticket->created_at = sqlite3_column_int64(stmt, 15);
	ticket->updated_at = sqlite3_column_int64(stmt, 16);
	return 0;
}

static int
store_read_ticket(struct store *store, sqlite3_stmt *stmt,
    struct store_ticket *ticket)
{
	int rc;

	memset(ticket, 0, sizeof(*ticket));
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = store_read_ticket_row(stmt, ticket);
	sqlite3_reset(stmt);
	if (rc != 0) {
		log_error("store", "reading ticket failed: out of memory");
		return -1;
	}
	return 1;
}

int
store_ticket_get(struct store *store, int64_t id, struct store_ticket *ticket)
{
	static const char sql[] = "SELECT " STORE_TICKET_COLUMNS
	    " FROM tickets WHERE id = ?";

	return store_read_ticket(store, store_sqlite_query(&store->reader, sql,
	    "i", id), ticket);
}

int
store_ticket_get_code(struct store *store, const char *code,
    struct store_ticket *ticket)
{
	static const char sql[] = "SELECT " STORE_TICKET_COLUMNS
	    " FROM tickets WHERE code = ?";

	return store_read_ticket(store, store_sqlite_query(&store->reader, sql,
	    "t", code), ticket);
}

int
store_message_find_external(struct store *store, const char *channel,
    const char *external_id, int64_t *ticket_id, int64_t *message_id)
{
	static const char sql[] = "SELECT ticket_id, id FROM messages"
	    " WHERE channel = ? AND external_id = ?";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(&store->reader, sql, "tt", channel,
	    external_id);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		*message_id = sqlite3_column_int64(stmt, 1);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_conversation_latest(struct store *store, const char *channel,
    const char *conversation_key, bool resolved_only,
    char code[TICKET_CODE_PLAIN_SIZE], int64_t *resolved_at)
{
	static const char sql_any[] = "SELECT code, COALESCE(resolved_at, 0)"
	    " FROM tickets WHERE channel = ? AND conversation_key = ?"
	    " ORDER BY id DESC LIMIT 1";
	/* The statuses that keep resolved_at: a reopened ticket has it
	 * cleared, a ticket closed by a merge never had it. */
	static const char sql_resolved[] = "SELECT code, resolved_at"
	    " FROM tickets WHERE channel = ? AND conversation_key = ?"
	    " AND resolved_at IS NOT NULL AND status IN ('resolved', 'closed')"
	    " ORDER BY resolved_at DESC, id DESC LIMIT 1";
	sqlite3_stmt *stmt;
	const unsigned char *text;
	int rc;

	stmt = store_sqlite_query(&store->reader, resolved_only ?
	    sql_resolved : sql_any, "tt", channel, conversation_key);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1) {
		text = sqlite3_column_text(stmt, 0);
		snprintf(code, TICKET_CODE_PLAIN_SIZE, "%s",
		    text != NULL ? (const char *)text : "");
		*resolved_at = sqlite3_column_int64(stmt, 1);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_contact_blocked(struct store *store, enum contact_kind kind,
    const char *value)
{
	static const char sql[] = "SELECT 1 FROM contacts WHERE kind = ?"
	    " AND value = ? AND blocked_at IS NOT NULL LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(&store->reader, sql, "tt",
	    contact_kind_name(kind), value);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

int
store_idempotency_find(struct store *store, const char *route,
    const char *key, int64_t not_before, uint8_t body_hash[32],
    int64_t *ticket_id, int64_t *message_id)
{
	static const char sql[] = "SELECT body_hash, ticket_id, message_id"
	    " FROM idempotency_keys WHERE route = ? AND key = ?"
	    " AND created_at >= ?";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(&store->reader, sql, "tti", route, key,
	    not_before);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = 1;
	if (sqlite3_column_bytes(stmt, 0) == 32) {
		memcpy(body_hash, sqlite3_column_blob(stmt, 0), 32);
		*ticket_id = sqlite3_column_int64(stmt, 1);
		*message_id = sqlite3_column_int64(stmt, 2);
	} else {
		log_error("store", "idempotency key has a body hash of %d bytes",
		    sqlite3_column_bytes(stmt, 0));
		rc = -1;
	}
	sqlite3_reset(stmt);
	return rc;
}

static bool
store_read_digits(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
	}
	return true;
}

/* Contacts of kind on a ticket: its own contact and those of
 * ticket_contacts. Parameters: ticket id, kind. */
/* The ticket's own contact and the contacts of the ticket's citizen that
 * wrote on it, of kind ?2. Someone else who joined the ticket (by quoting
 * a reference of the hub's mail) proves nothing with their own address. */
#define STORE_READ_TICKET_CONTACTS "SELECT c.value FROM contacts AS c"	\
	" JOIN tickets AS t ON t.id = ?1 WHERE c.kind = ?2"		\
	" AND (c.id = t.contact_id OR (c.citizen_id = t.citizen_id"	\
	" AND c.id IN (SELECT contact_id FROM ticket_contacts"		\
	" WHERE ticket_id = ?1)))"

int
store_ticket_phone_suffix_matches(struct store *store, int64_t ticket_id,
    const char *last_digits)
{
	static const char sql[] = STORE_READ_TICKET_CONTACTS;
	size_t length = strnlen(last_digits, STORE_READ_SUFFIX_MAX + 1);
	const char *phone;
	sqlite3_stmt *stmt;
	size_t phone_length;
	int rc, matched = 0;

	if (length < STORE_READ_SUFFIX_MIN || length > STORE_READ_SUFFIX_MAX ||
	    !store_read_digits(last_digits, length))
		return 0;
	stmt = store_sqlite_query(&store->reader, sql, "it", ticket_id,
	    "phone");
	if (stmt == NULL)
		return -1;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		phone = (const char *)sqlite3_column_text(stmt, 0);
		phone_length = (size_t)sqlite3_column_bytes(stmt, 0);
		if (phone != NULL && phone_length >= length &&
		    sodium_memcmp(phone + phone_length - length, last_digits,
		    length) == 0)
			matched = 1;
	}
	return rc < 0 ? -1 : matched;
}

/* Compares two addresses without regard to ASCII case. Both are at most
 * STORE_READ_EMAIL_MAX bytes. */
static bool
store_read_email_equal(const char *a, size_t a_length, const char *b,
    size_t b_length)
{
	char a_folded[STORE_READ_EMAIL_MAX], b_folded[STORE_READ_EMAIL_MAX];
	size_t i;

	if (a_length != b_length || memchr(a, '@', a_length) == NULL)
		return false;
	for (i = 0; i < a_length; i++) {
		a_folded[i] = a[i] >= 'A' && a[i] <= 'Z' ?
		    (char)(a[i] - 'A' + 'a') : a[i];
		b_folded[i] = b[i] >= 'A' && b[i] <= 'Z' ?
		    (char)(b[i] - 'A' + 'a') : b[i];
	}
	return sodium_memcmp(a_folded, b_folded, a_length) == 0;
}

int
store_ticket_email_matches(struct store *store, int64_t ticket_id,
    const char *email)
{
	static const char sql[] = STORE_READ_TICKET_CONTACTS;
	size_t length = strnlen(email, STORE_READ_EMAIL_MAX + 1);
	const char *stored;
	sqlite3_stmt *stmt;
	int rc, matched = 0;

	if (length == 0 || length > STORE_READ_EMAIL_MAX)
		return 0;
	stmt = store_sqlite_query(&store->reader, sql, "it", ticket_id,
	    "email");
	if (stmt == NULL)
		return -1;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		stored = (const char *)sqlite3_column_text(stmt, 0);
		if (stored != NULL && (size_t)sqlite3_column_bytes(stmt, 0) <=
		    STORE_READ_EMAIL_MAX && store_read_email_equal(stored,
		    (size_t)sqlite3_column_bytes(stmt, 0), email, length))
			matched = 1;
	}
	return rc < 0 ? -1 : matched;
}

/* Reads every count; store_stats runs it in one read transaction, so that
 * the counts agree. */
static int
store_read_stats(struct store *store, struct store_stats *stats)
{
	static const char tickets[] = "SELECT COUNT(*) FROM tickets";
	static const char open[] = "SELECT COUNT(*) FROM tickets"
	    " WHERE status NOT IN " STORE_CLOSED_STATUSES;
	static const char citizens[] = "SELECT COUNT(*) FROM citizens";
	static const char contacts[] = "SELECT COUNT(*) FROM contacts";
	static const char messages[] = "SELECT COUNT(*) FROM messages";
	static const char attachments[] = "SELECT COUNT(*) FROM attachments";
	static const char audit[] = "SELECT COUNT(*) FROM audit_events";
	struct store_conn *conn = &store->reader;

	if (store_sqlite_count(conn, tickets, &stats->tickets) != 0 ||
	    store_sqlite_count(conn, open, &stats->tickets_open) != 0 ||
	    store_sqlite_count(conn, citizens, &stats->citizens) != 0 ||
	    store_sqlite_count(conn, contacts, &stats->contacts) != 0 ||
	    store_sqlite_count(conn, messages, &stats->messages) != 0 ||
	    store_sqlite_count(conn, attachments, &stats->attachments) != 0 ||
	    store_sqlite_count(conn, audit, &stats->audit_events) != 0 ||
	    store_outbox_depth(store, &stats->outbox_pending) != 0 ||
	    store_migrate_version(conn->db, &stats->schema_version) != 0)
		return -1;
	return 0;
}

int
store_stats(struct store *store, struct store_stats *stats)
{
	sqlite3 *db = store->reader.db;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("store", "reading counts failed: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	rc = store_read_stats(store, stats);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int
store_outbox_depth(struct store *store, int64_t *depth)
{
	static const char sql[] = "SELECT COUNT(*) FROM outbox"
	    " WHERE delivered_at IS NULL";

	return store_sqlite_count(&store->reader, sql, depth);
}
