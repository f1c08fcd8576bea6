/*
 * Reading citizens: one citizen with its contacts and the tickets the caller
 * may see, and the search by contact or by name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store_citizen_internal.h"
#include "text.h"

/* --- Shared helpers ------------------------------------------------------ */

sqlite3_stmt *
store_citizen_prepare(struct store_conn *conn, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *stmt = NULL;
	va_list ap;
	int rc = 0;

	if (sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		log_error("store", "preparing statement failed: %s sql=\"%.80s\"",
		    sqlite3_errmsg(conn->db), sql);
		return NULL;
	}
	va_start(ap, types);
	for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		int index = i + 1;
		const char *text;
		int64_t value;

		switch (types[i]) {
		case 't':
			text = va_arg(ap, const char *);
			rc = text == NULL ? sqlite3_bind_null(stmt, index) :
			    sqlite3_bind_text(stmt, index, text, -1,
			    SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int64(stmt, index, va_arg(ap, int64_t));
			break;
		case 'r':
			value = va_arg(ap, int64_t);
			rc = value == 0 ? sqlite3_bind_null(stmt, index) :
			    sqlite3_bind_int64(stmt, index, value);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_error("store", "binding parameters failed: %s sql=\"%.80s\"",
		    sqlite3_errmsg(conn->db), sql);
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

int
store_citizen_run(struct store_conn *conn, sqlite3_stmt *stmt,
    int64_t *changes)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_error("store", "statement failed: %s sql=\"%.80s\"",
		    sqlite3_errmsg(conn->db), sqlite3_sql(stmt));
	else if (changes != NULL)
		*changes = sqlite3_changes(conn->db);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

json_t *
store_citizen_time(int64_t milliseconds)
{
	char text[CLOCK_ISO8601_SIZE];

	if (milliseconds == 0 || clock_format_vietnam(milliseconds, text) != 0)
		return json_null();
	return json_string(text);
}

json_t *
store_citizen_text(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? json_string((const char *)text) : json_null();
}

json_t *
store_citizen_integer(sqlite3_stmt *stmt, int column)
{
	if (sqlite3_column_type(stmt, column) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(stmt, column));
}

json_t *
store_citizen_column_time(sqlite3_stmt *stmt, int column)
{
	return store_citizen_time(sqlite3_column_int64(stmt, column));
}

int
store_citizen_rows(struct store_conn *conn, sqlite3_stmt *stmt,
    json_t *array, json_t *(*row_json)(sqlite3_stmt *))
{
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		json_t *row = row_json(stmt);

		if (row == NULL || json_array_append_new(array, row) != 0) {
			sqlite3_finalize(stmt);
			return -1;
		}
	}
	if (rc != SQLITE_DONE)
		log_error("store", "statement failed: %s sql=\"%.80s\"",
		    sqlite3_errmsg(conn->db), sqlite3_sql(stmt));
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_citizen_read_begin(struct store *store)
{
	if (sqlite3_exec(store->reader.db, "BEGIN", NULL, NULL, NULL) ==
	    SQLITE_OK)
		return 0;
	log_error("store", "starting a read failed: %s",
	    sqlite3_errmsg(store->reader.db));
	return -1;
}

void
store_citizen_read_end(struct store *store)
{
	sqlite3_exec(store->reader.db, "COMMIT", NULL, NULL, NULL);
}

/* --- One citizen ---------------------------------------------------------- */

static json_t *
store_citizen_contact_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:o, s:o, s:b, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "kind", store_citizen_text(stmt, 1),
	    "value", store_citizen_text(stmt, 2),
	    "verified", sqlite3_column_int(stmt, 3) != 0,
	    "blocked_at", store_citizen_column_time(stmt, 4));
}

static json_t *
store_citizen_ticket_row(sqlite3_stmt *stmt)
{
	const char *code = (const char *)sqlite3_column_text(stmt, 1);
	char grouped[TICKET_CODE_GROUPED_SIZE] = "";

	if (code != NULL && strlen(code) == TICKET_CODE_DIGITS)
		ticket_code_group(code, grouped);
	return json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "code", store_citizen_text(stmt, 1),
	    "code_display", grouped,
	    "status", store_citizen_text(stmt, 2),
	    "department", store_citizen_text(stmt, 3),
	    "category", store_citizen_text(stmt, 4),
	    "created_at", store_citizen_column_time(stmt, 5),
	    "anonymized_at", store_citizen_column_time(stmt, 6));
}

static json_t *
store_citizen_id_row(sqlite3_stmt *stmt)
{
	return json_integer(sqlite3_column_int64(stmt, 0));
}

/* Adds contacts, tickets in scope and merged_from to record. */
static int
store_citizen_add_parts(struct store *store, json_t *record,
    int64_t citizen_id, const char *scope)
{
	static const char contacts[] = "SELECT id, kind, value, verified,"
	    " blocked_at FROM contacts WHERE citizen_id = ? ORDER BY id";
	static const char tickets[] = "SELECT t.id, t.code, t.status,"
	    " t.department, t.category, t.created_at, t.anonymized_at"
	    " FROM tickets AS t WHERE t.citizen_id = ?1 AND "
	    STORE_CITIZEN_IN_SCOPE(2) " ORDER BY t.id DESC";
	static const char merged[] = "SELECT id FROM citizens"
	    " WHERE merged_into = ? ORDER BY id";
	struct store_conn *conn = &store->reader;
	json_t *contact_list = json_array(), *ticket_list = json_array();
	json_t *merged_list = json_array();

	if (json_object_set_new(record, "contacts", contact_list) != 0 ||
	    json_object_set_new(record, "tickets", ticket_list) != 0 ||
	    json_object_set_new(record, "merged_from", merged_list) != 0)
		return -1;
	if (store_citizen_rows(conn, store_citizen_prepare(conn, contacts, "i",
	    citizen_id), contact_list, store_citizen_contact_row) != 0 ||
	    store_citizen_rows(conn, store_citizen_prepare(conn, tickets, "it",
	    citizen_id, scope), ticket_list, store_citizen_ticket_row) != 0 ||
	    store_citizen_rows(conn, store_citizen_prepare(conn, merged, "i",
	    citizen_id), merged_list, store_citizen_id_row) != 0)
		return -1;
	return 0;
}

/* Reads the citizen row when it is visible in scope. Returns 1 with
 * *record set, 0 when not found or not visible, -1 on error. */
static int
store_citizen_record(struct store *store, int64_t citizen_id,
    const char *scope, json_t **record)
{
	static const char sql[] = "SELECT c.id, c.name, c.language,"
	    " c.created_at, c.merged_into, c.anonymized_at FROM citizens AS c"
	    " WHERE c.id = ?1 AND (?2 IS NULL OR EXISTS (SELECT 1"
	    " FROM tickets AS t WHERE t.citizen_id = c.id AND "
	    STORE_CITIZEN_IN_SCOPE(2) "))";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "it",
	    citizen_id, scope);
	int rc;

	*record = NULL;
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*record = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "name", store_citizen_text(stmt, 1),
	    "language", store_citizen_text(stmt, 2),
	    "created_at", store_citizen_column_time(stmt, 3),
	    "merged_into", store_citizen_integer(stmt, 4),
	    "anonymized_at", store_citizen_column_time(stmt, 5));
	sqlite3_reset(stmt);
	return *record != NULL ? 1 : -1;
}

/* store_citizen_json inside an open read transaction. */
static json_t *
store_citizen_read(struct store *store, int64_t citizen_id, const char *scope)
{
	json_t *record;
	int rc = store_citizen_record(store, citizen_id, scope, &record);

	if (rc <= 0) {
		errno = rc == 0 ? ENOENT : EIO;
		return NULL;
	}
	if (store_citizen_add_parts(store, record, citizen_id, scope) != 0) {
		log_error("store", "reading citizen failed citizen=%lld",
		    (long long)citizen_id);
		json_decref(record);
		errno = EIO;
		return NULL;
	}
	return record;
}

json_t *
store_citizen_json(struct store *store, int64_t citizen_id, const char *scope)
{
	json_t *record;

	if (store_citizen_read_begin(store) != 0) {
		errno = EIO;
		return NULL;
	}
	record = store_citizen_read(store, citizen_id, scope);
	store_citizen_read_end(store);
	return record;
}

/* --- Search ---------------------------------------------------------------- */

static int
store_citizen_append(struct store *store, json_t *found, int64_t citizen_id,
    const char *scope)
{
	json_t *record = store_citizen_read(store, citizen_id, scope);

	if (record == NULL)
		return -1;
	return json_array_append_new(found, record);
}

static int
store_citizen_limit(int limit)
{
	if (limit < 1)
		return 1;
	return limit > STORE_CITIZENS_LIMIT_MAX ? STORE_CITIZENS_LIMIT_MAX :
	    limit;
}

/* Citizens owning a contact of kind and value. An email is compared
 * without regard to ASCII case, because people retype their address with
 * other capitals and common mail systems ignore the case of local parts.
 * NOTE: that comparison cannot use the index on (kind, value), so an email
 * search reads every email contact. */
static int
store_citizen_find_contact(struct store *store,
    const struct store_citizen_query *query, const char *scope, json_t *found)
{
	static const char sql[] = "SELECT c.id FROM citizens AS c"
	    " WHERE c.merged_into IS NULL AND (?3 = 0 OR c.id < ?3)"
	    " AND c.id IN (SELECT citizen_id FROM contacts"
	    " WHERE kind = ?1 AND (value = ?2 OR (kind = 'email'"
	    " AND value = ?2 COLLATE NOCASE)))"
	    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM tickets AS t"
	    " WHERE t.citizen_id = c.id AND " STORE_CITIZEN_IN_SCOPE(4) "))"
	    " ORDER BY c.id DESC LIMIT ?5";
	struct store_conn *conn = &store->reader;
	sqlite3_stmt *stmt;
	int rc = 0, step = SQLITE_DONE;

	stmt = store_citizen_prepare(conn, sql, "ttiti",
	    contact_kind_name(query->kind), query->value, query->before_id,
	    scope, (int64_t)store_citizen_limit(query->limit));
	if (stmt == NULL)
		return -1;
	while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = store_citizen_append(store, found,
		    sqlite3_column_int64(stmt, 0), scope);
	if (rc == 0 && step != SQLITE_DONE) {
		log_error("store", "finding citizens by contact failed: %s",
		    sqlite3_errmsg(conn->db));
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Whether c starts a word: folded text is lower case, so word characters
 * are ASCII letters and digits and every byte of a multibyte character. */
static bool
store_citizen_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Whether word (length bytes) starts some word of folded name. */
static bool
store_citizen_word_found(const char *name, const char *word, size_t length)
{
	for (const char *at = name; *at != '\0'; at++) {
		bool starts = store_citizen_word_byte((unsigned char)*at) &&
		    (at == name || !store_citizen_word_byte(
		    (unsigned char)at[-1]));

		if (starts && strncmp(at, word, length) == 0)
			return true;
	}
	return false;
}

/* Whether every word of the folded query starts a word of the folded
 * name. A query with no word matches nothing. */
static bool
store_citizen_name_matches(const char *name, const char *query)
{
	const char *at = query;
	bool any = false;

	while (*at != '\0') {
		size_t length = 0;

		while (*at != '\0' && !store_citizen_word_byte((unsigned char)*at))
			at++;
		while (store_citizen_word_byte((unsigned char)at[length]))
			length++;
		if (length == 0)
			break;
		if (!store_citizen_word_found(name, at, length))
			return false;
		any = true;
		at += length;
	}
	return any;
}

static int
store_citizen_find_name(struct store *store,
    const struct store_citizen_query *query, const char *scope, json_t *found)
{
	static const char sql[] = "SELECT c.id, c.name FROM citizens AS c"
	    " WHERE c.merged_into IS NULL AND c.name IS NOT NULL"
	    " AND (?1 = 0 OR c.id < ?1) AND (?2 IS NULL OR EXISTS (SELECT 1"
	    " FROM tickets AS t WHERE t.citizen_id = c.id AND "
	    STORE_CITIZEN_IN_SCOPE(2) ")) ORDER BY c.id DESC";
	struct store_conn *conn = &store->reader;
	size_t limit = (size_t)store_citizen_limit(query->limit);
	char *folded_query = text_fold(query->name);
	sqlite3_stmt *stmt;
	int rc = 0, step = SQLITE_DONE;

	if (folded_query == NULL)
		return -1;
	stmt = store_citizen_prepare(conn, sql, "it", query->before_id, scope);
	while (stmt != NULL && rc == 0 && json_array_size(found) < limit &&
	    (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		char *name = text_fold((const char *)sqlite3_column_text(stmt,
		    1));

		if (name == NULL)
			rc = -1;
		else if (store_citizen_name_matches(name, folded_query))
			rc = store_citizen_append(store, found,
			    sqlite3_column_int64(stmt, 0), scope);
		free(name);
	}
	free(folded_query);
	if (stmt == NULL)
		return -1;
	if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW) {
		log_error("store", "finding citizens by name failed: %s",
		    sqlite3_errmsg(conn->db));
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

json_t *
store_citizens_find_json(struct store *store,
    const struct store_citizen_query *query, const char *scope)
{
	json_t *found = json_array();
	int rc;

	if (found == NULL || store_citizen_read_begin(store) != 0) {
		json_decref(found);
		return NULL;
	}
	if (query->name != NULL)
		rc = store_citizen_find_name(store, query, scope, found);
	else
		rc = store_citizen_find_contact(store, query, scope, found);
	store_citizen_read_end(store);
	if (rc != 0) {
		log_error("store", "searching citizens failed");
		json_decref(found);
		return NULL;
	}
	return found;
}
