/*
 * Full-text search of tickets. The table ticket_search (migration 2) has one
 * row per ticket subject and per message that is not an internal note, with
 * the text folded by text_fold, because SQLite's unicode61 tokenizer removes
 * diacritics but keeps đ. A query is folded the same way and cut into words
 * where the tokenizer would cut it. Each word becomes a quoted FTS5 string,
 * so no input is ever read as FTS5 syntax.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unictype.h>
#include <unistr.h>

#include "log.h"
#include "store_sqlite.h"
#include "text.h"

/* Whether the tokenizer keeps uc in a token: unicode61 takes letters,
 * numbers and private-use characters as token characters. */
static bool
store_search_token_char(ucs4_t uc)
{
	return uc_is_general_category(uc, UC_CATEGORY_L) ||
	    uc_is_general_category(uc, UC_CATEGORY_N) ||
	    uc_is_general_category(uc, UC_CATEGORY_Co);
}

/* Returns word as an FTS5 string: in double quotes, with each double quote
 * doubled. Caller frees; NULL when out of memory. */
static char *
store_search_quote(const char *word, size_t length)
{
	char *quoted = malloc(2 * length + 3);
	size_t out = 0;

	if (quoted == NULL)
		return NULL;
	quoted[out++] = '"';
	for (size_t i = 0; i < length; i++) {
		if (word[i] == '"')
			quoted[out++] = '"';
		quoted[out++] = word[i];
	}
	quoted[out++] = '"';
	quoted[out] = '\0';
	return quoted;
}

static int
store_search_append(json_t *terms, const char *word, size_t length)
{
	char *quoted = store_search_quote(word, length);
	int rc;

	if (quoted == NULL)
		return -1;
	rc = json_array_append_new(terms, json_string(quoted));
	free(quoted);
	return rc;
}

/* Appends a quoted term for each word of folded text to terms. */
static int
store_search_split(const char *folded, json_t *terms)
{
	const uint8_t *text = (const uint8_t *)folded;
	size_t length = strlen(folded), start = 0, at = 0;
	bool in_word = false;

	while (at < length) {
		ucs4_t uc = 0;
		int size = u8_mbtouc(&uc, text + at, length - at);
		bool token = store_search_token_char(uc);

		if (token && !in_word)
			start = at;
		if (!token && in_word && store_search_append(terms,
		    folded + start, at - start) != 0)
			return -1;
		in_word = token;
		at += (size_t)size;
	}
	if (in_word)
		return store_search_append(terms, folded + start, length - start);
	return 0;
}

char *
store_search_terms(const char *query, size_t *count)
{
	char *folded = text_fold(query);
	json_t *terms = json_array();
	char *text = NULL;

	*count = 0;
	if (folded != NULL && terms != NULL &&
	    store_search_split(folded, terms) == 0) {
		*count = json_array_size(terms);
		text = json_dumps(terms, JSON_COMPACT);
	}
	if (text == NULL)
		log_error("store", "building a search query failed: out of"
		    " memory");
	free(folded);
	json_decref(terms);
	return text;
}

static const char store_search_insert_sql[] = "INSERT INTO ticket_search"
    " (ticket_id, text) VALUES (?, ?)";

/* Inserts text with ticket_id through the prepared insert, as folded or,
 * when folded is NULL, folded here. NULL or empty text adds no row. */
static int
store_search_insert(sqlite3 *db, sqlite3_stmt *insert, int64_t ticket_id,
    const char *text, const char *folded)
{
	char *folded_here = NULL;
	int rc;

	if (text == NULL || *text == '\0')
		return 0;
	if (folded == NULL && (folded = folded_here = text_fold(text)) == NULL) {
		log_error("store", "folding text for search failed: out of"
		    " memory ticket=%lld", (long long)ticket_id);
		return -1;
	}
	/* SQLITE_STATIC: folded outlives the step and the reset. */
	if (sqlite3_bind_int64(insert, 1, ticket_id) != SQLITE_OK ||
	    sqlite3_bind_text(insert, 2, folded, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(insert);
	sqlite3_reset(insert);
	sqlite3_clear_bindings(insert);
	free(folded_here);
	if (rc != SQLITE_DONE) {
		log_error("store", "indexing text for search failed: %s"
		    " ticket=%lld", sqlite3_errmsg(db), (long long)ticket_id);
		return -1;
	}
	return 0;
}

int
store_search_add(struct store_tx *tx, int64_t ticket_id, const char *text,
    const char *folded)
{
	sqlite3_stmt *insert = store_sqlite_prepare(tx->conn,
	    store_search_insert_sql);

	if (insert == NULL)
		return -1;
	return store_search_insert(tx->conn->db, insert, ticket_id, text,
	    folded);
}

/* Indexes column 1 of every row of select under the ticket id in column 0. */
static int
store_search_index_rows(sqlite3 *db, const char *select, sqlite3_stmt *insert)
{
	sqlite3_stmt *rows;
	int rc;

	if (sqlite3_prepare_v2(db, select, -1, &rows, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		if (store_search_insert(db, insert, sqlite3_column_int64(rows, 0),
		    (const char *)sqlite3_column_text(rows, 1), NULL) != 0)
			break;
	}
	sqlite3_finalize(rows);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_search_index_existing(sqlite3 *db)
{
	static const char subjects[] = "SELECT id, subject FROM tickets"
	    " ORDER BY id";
	static const char bodies[] = "SELECT ticket_id, body FROM messages"
	    " WHERE kind <> 'note' ORDER BY id";
	sqlite3_stmt *insert;
	int rc;

	if (sqlite3_prepare_v2(db, store_search_insert_sql, -1, &insert,
	    NULL) != SQLITE_OK)
		return -1;
	rc = store_search_index_rows(db, subjects, insert) == 0 &&
	    store_search_index_rows(db, bodies, insert) == 0 ? 0 : -1;
	sqlite3_finalize(insert);
	return rc;
}
