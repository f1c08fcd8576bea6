#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_mail.h"
#include "store_sqlite.h"

/* The most references store_mail_threading puts in a References list. */
#define STORE_MAIL_REFERENCES_MAX 10

const char *
store_data_dir(const struct store *store)
{
	return store->data_dir;
}

int
store_tx_message_find_reference(struct store_tx *tx, const char *channel,
    const char *reference, int64_t *ticket_id)
{
	static const char sql[] = "SELECT ticket_id FROM messages"
	    " WHERE channel = ? AND reference = ? ORDER BY id LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, sql, "tt", channel, reference);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*ticket_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_tx_attachment_add(struct store_tx *tx, int64_t message_id,
    const char *sha256, const char *filename, const char *content_type,
    int64_t size)
{
	static const char sql[] = "INSERT INTO attachments (message_id, sha256,"
	    " filename, content_type, size, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "itttii", message_id, sha256,
	    filename, content_type, size, tx->now);
	if (stmt == NULL)
		return -1;
	return store_sqlite_run(tx->conn, stmt);
}

/* Reads one count of stmt. */
static int
store_mail_count(struct store_conn *conn, sqlite3_stmt *stmt, int64_t *count)
{
	int rc;

	*count = 0;
	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*count = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return 0;
}

int
store_tx_ack_count_recipient(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t since, int64_t *count)
{
	static const char sql[] = "SELECT COUNT(*) FROM messages AS m"
	    " JOIN contacts AS c ON c.id = m.contact_id"
	    " WHERE m.direction = 'out' AND m.kind = 'ack'"
	    " AND m.created_at >= ? AND c.kind = ? AND c.value = ?";

	return store_mail_count(tx->conn, store_sqlite_query(tx->conn, sql,
	    "itt", since, contact_kind_name(kind), value), count);
}

int
store_tx_ack_count_ticket(struct store_tx *tx, int64_t ticket_id,
    int64_t since, int64_t *count)
{
	static const char sql[] = "SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = ? AND direction = 'out' AND kind = 'ack'"
	    " AND created_at >= ?";

	return store_mail_count(tx->conn, store_sqlite_query(tx->conn, sql,
	    "ii", ticket_id, since), count);
}

/* Appends the references of the inbound messages of ticket_id through
 * channel to *references, oldest first, at most the last ten. */
static int
store_mail_references(struct store *store, int64_t ticket_id,
    const char *channel, char **references)
{
	static const char sql[] = "SELECT reference FROM (SELECT id, reference"
	    " FROM messages WHERE ticket_id = ? AND channel = ?"
	    " AND direction = 'in' AND reference IS NOT NULL"
	    " ORDER BY id DESC LIMIT ?) ORDER BY id";
	sqlite3_stmt *stmt;
	size_t used = 0, size = 0;
	char *text = NULL;
	int rc;

	stmt = store_sqlite_query(&store->reader, sql, "iti", ticket_id,
	    channel, (int64_t)STORE_MAIL_REFERENCES_MAX);
	if (stmt == NULL)
		return -1;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		const char *reference =
		    (const char *)sqlite3_column_text(stmt, 0);
		size_t length = strlen(reference);
		char *grown;

		if (used + length + 2 > size) {
			size = (used + length + 2) * 2;
			grown = realloc(text, size);
			if (grown == NULL) {
				sqlite3_reset(stmt);
				free(text);
				return -1;
			}
			text = grown;
		}
		if (used > 0)
			text[used++] = ' ';
		memcpy(text + used, reference, length + 1);
		used += length;
	}
	if (rc < 0) {
		free(text);
		return -1;
	}
	*references = text;
	return 0;
}

int
store_mail_threading(struct store *store, int64_t ticket_id,
    const char *channel, char **subject, char **in_reply_to,
    char **references)
{
	static const char sql[] = "SELECT t.subject, (SELECT reference"
	    " FROM messages WHERE ticket_id = t.id AND channel = ?"
	    " AND direction = 'in' AND reference IS NOT NULL"
	    " ORDER BY id DESC LIMIT 1) FROM tickets AS t WHERE t.id = ?";
	sqlite3_stmt *stmt;
	int rc;

	*subject = *in_reply_to = *references = NULL;
	stmt = store_sqlite_query(&store->reader, sql, "ti", channel,
	    ticket_id);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1) {
		rc = store_sqlite_column_dup(stmt, 0, subject) == 0 &&
		    store_sqlite_column_dup(stmt, 1, in_reply_to) == 0 ? 0 : -1;
		sqlite3_reset(stmt);
		if (rc == 0)
			rc = store_mail_references(store, ticket_id, channel,
			    references);
		if (rc != 0) {
			free(*subject);
			free(*in_reply_to);
			*subject = *in_reply_to = NULL;
			return -1;
		}
	}
	return 0;
}

void
store_attachment_clear(struct store_attachment *attachment)
{
	free(attachment->filename);
	free(attachment->content_type);
	memset(attachment, 0, sizeof *attachment);
}

int
store_attachment_get(struct store *store, int64_t ticket_id,
    int64_t attachment_id, struct store_attachment *attachment)
{
	static const char sql[] = "SELECT a.id, a.message_id, a.sha256,"
	    " a.filename, a.content_type, a.size FROM attachments AS a"
	    " JOIN messages AS m ON m.id = a.message_id"
	    " WHERE a.id = ? AND m.ticket_id = ?";
	sqlite3_stmt *stmt;
	const unsigned char *sha256;
	int rc;

	memset(attachment, 0, sizeof *attachment);
	stmt = store_sqlite_query(&store->reader, sql, "ii", attachment_id,
	    ticket_id);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	attachment->id = sqlite3_column_int64(stmt, 0);
	attachment->message_id = sqlite3_column_int64(stmt, 1);
	sha256 = sqlite3_column_text(stmt, 2);
	snprintf(attachment->sha256, sizeof attachment->sha256, "%s",
	    sha256 != NULL ? (const char *)sha256 : "");
	attachment->size = sqlite3_column_int64(stmt, 5);
	rc = store_sqlite_column_dup(stmt, 3, &attachment->filename) == 0 &&
	    store_sqlite_column_dup(stmt, 4, &attachment->content_type) == 0 ?
	    1 : -1;
	sqlite3_reset(stmt);
	if (rc < 0)
		store_attachment_clear(attachment);
	return rc;
}

int
store_mail_attachments_json(struct store *store, int64_t ticket_id,
    json_t *messages)
{
	static const char sql[] = "SELECT a.message_id, a.id, a.filename,"
	    " a.content_type, a.size FROM attachments AS a"
	    " JOIN messages AS m ON m.id = a.message_id"
	    " WHERE m.ticket_id = ? ORDER BY a.id";
	sqlite3_stmt *stmt;
	size_t index;
	json_t *message;
	int rc;

	if (!json_is_array(messages))
		return -1;
	json_array_foreach(messages, index, message)
		if (json_object_set_new(message, "attachments",
		    json_array()) != 0)
			return -1;
	stmt = store_sqlite_query(&store->reader, sql, "i", ticket_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		int64_t message_id = sqlite3_column_int64(stmt, 0);
		const char *filename =
		    (const char *)sqlite3_column_text(stmt, 2);
		const char *content_type =
		    (const char *)sqlite3_column_text(stmt, 3);
		json_t *row;

		json_array_foreach(messages, index, message) {
			if (json_integer_value(json_object_get(message,
			    "id")) != message_id)
				continue;
			row = json_pack("{s:I, s:s?, s:s?, s:I}", "id",
			    (json_int_t)sqlite3_column_int64(stmt, 1),
			    "filename", filename, "content_type",
			    content_type, "size",
			    (json_int_t)sqlite3_column_int64(stmt, 4));
			if (row == NULL || json_array_append_new(
			    json_object_get(message, "attachments"), row) != 0) {
				sqlite3_reset(stmt);
				return -1;
			}
			break;
		}
	}
	return rc < 0 ? -1 : 0;
}

int
store_attachment_referenced(struct store *store, const char *sha256)
{
	static const char sql[] = "SELECT 1 FROM attachments WHERE sha256 = ?"
	    " LIMIT 1";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "t",
	    sha256);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1)
		sqlite3_reset(stmt);
	return rc;
}

char *
store_channel_state_get(struct store *store, const char *channel,
    const char *key)
{
	static const char sql[] = "SELECT value FROM channel_state"
	    " WHERE channel = ? AND key = ?";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "tt",
	    channel, key);
	char *value = NULL;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0) {
		errno = EIO;
		return NULL;
	}
	if (rc == 0) {
		errno = 0;
		return NULL;
	}
	if (store_sqlite_column_dup(stmt, 0, &value) != 0)
		errno = ENOMEM;
	sqlite3_reset(stmt);
	return value;
}

int
store_tx_channel_state_set(struct store_tx *tx, const char *channel,
    const char *key, const char *value)
{
	static const char set_sql[] = "INSERT INTO channel_state (channel, key,"
	    " value, updated_at) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (channel, key) DO UPDATE SET value = ?3,"
	    " updated_at = ?4";
	static const char delete_sql[] = "DELETE FROM channel_state"
	    " WHERE channel = ? AND key = ?";
	sqlite3_stmt *stmt;

	if (value == NULL)
		stmt = store_sqlite_query(tx->conn, delete_sql, "tt", channel,
		    key);
	else
		stmt = store_sqlite_query(tx->conn, set_sql, "ttti", channel,
		    key, value, tx->now);
	if (stmt == NULL)
		return -1;
	return store_sqlite_run(tx->conn, stmt);
}
