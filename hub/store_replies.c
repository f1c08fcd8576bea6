#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store_casework.h"
#include "store_replies.h"
#include "store_sqlite.h"

/* --- The status page's messages ------------------------------------------ */

static json_t *
store_replies_time(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (ms == 0 || clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

static json_t *
store_replies_message_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:o, s:s?}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "direction", (const char *)sqlite3_column_text(stmt, 1),
	    "kind", (const char *)sqlite3_column_text(stmt, 2),
	    "channel", (const char *)sqlite3_column_text(stmt, 3),
	    "body", (const char *)sqlite3_column_text(stmt, 4),
	    "created_at", store_replies_time(sqlite3_column_int64(stmt, 5)),
	    "agent_name", (const char *)sqlite3_column_text(stmt, 6));
}

json_t *
store_replies_messages_json(struct store *store, int64_t ticket_id,
    bool agent_names)
{
	static const char sql[] = "SELECT m.id, m.direction, m.kind,"
	    " m.channel, m.body, m.created_at,"
	    " CASE WHEN ?2 AND m.kind = 'reply' THEN a.display_name END"
	    " FROM messages AS m LEFT JOIN agents AS a ON a.id = m.agent_id"
	    " WHERE m.ticket_id = ?1 AND m.kind <> 'note'"
	    " AND (m.delivery_status IS NULL OR m.delivery_status <> 'queued')"
	    " ORDER BY m.id";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "ii",
	    ticket_id, (int64_t)agent_names);
	json_t *messages, *message;
	int rc;

	if (stmt == NULL || (messages = json_array()) == NULL)
		return NULL;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		message = store_replies_message_row(stmt);
		if (json_array_append_new(messages, message) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		json_decref(messages);
		return NULL;
	}
	return messages;
}

int
store_replies_merged_code(struct store *store, int64_t ticket_id,
    char code[TICKET_CODE_PLAIN_SIZE])
{
	/* Walks merged_into from ticket_id and keeps the last ticket reached,
	 * at most STORE_CASEWORK_MERGE_HOPS_MAX hops away. */
	static const char sql[] = "WITH RECURSIVE chain(id, merged_into,"
	    " code, hop) AS (SELECT id, merged_into, code, 0 FROM tickets"
	    " WHERE id = ?1 UNION ALL SELECT t.id, t.merged_into, t.code,"
	    " chain.hop + 1 FROM tickets AS t JOIN chain"
	    " ON t.id = chain.merged_into WHERE chain.hop < ?2)"
	    " SELECT code, hop FROM chain ORDER BY hop DESC LIMIT 1";
	sqlite3_stmt *stmt = store_sqlite_query(&store->reader, sql, "ii",
	    ticket_id, (int64_t)STORE_CASEWORK_MERGE_HOPS_MAX);
	const char *text;
	int rc, merged = 0;

	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 1 && sqlite3_column_int(stmt, 1) > 0) {
		text = (const char *)sqlite3_column_text(stmt, 0);
		if (text != NULL) {
			snprintf(code, TICKET_CODE_PLAIN_SIZE, "%s", text);
			merged = 1;
		}
	}
	sqlite3_reset(stmt);
	return merged;
}

/* --- Ratings ---------------------------------------------------------------- */

int
store_tx_rating(struct store_tx *tx, struct store_rating *rating)
{
	static const char find[] = "SELECT id, status IN ('resolved','closed'),"
	    " COALESCE(satisfaction, 0), citizen_id, assignee_id,"
	    " merged_into IS NOT NULL FROM tickets WHERE code = ?";
	static const char update[] = "UPDATE tickets SET satisfaction = ?,"
	    " satisfaction_at = ? WHERE id = ?";
	static const char audit[] = "INSERT INTO audit_events (ticket_id,"
	    " citizen_id, actor, action, detail, created_at)"
	    " VALUES (?, ?, 'citizen', 'ticket.rated', ?, ?)";
	sqlite3_stmt *stmt = store_sqlite_query(tx->conn, find, "t",
	    rating->code);
	int64_t citizen_id, assignee_id;
	char detail[128], assignee[32];
	bool resolved, merged;
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 0) {
		rating->result = STORE_RATING_NOT_FOUND;
		return 0;
	}
	rating->ticket_id = sqlite3_column_int64(stmt, 0);
	resolved = sqlite3_column_int(stmt, 1) != 0;
	rating->previous = sqlite3_column_int(stmt, 2);
	citizen_id = sqlite3_column_int64(stmt, 3);
	assignee_id = sqlite3_column_int64(stmt, 4);
	merged = sqlite3_column_int(stmt, 5) != 0;
	sqlite3_reset(stmt);
	if (merged) {
		rating->result = STORE_RATING_MERGED;
		return 0;
	}
	if (!resolved) {
		rating->result = STORE_RATING_NOT_RESOLVED;
		return 0;
	}

	if (assignee_id != 0)
		snprintf(assignee, sizeof assignee, "%lld",
		    (long long)assignee_id);
	else
		snprintf(assignee, sizeof assignee, "null");
	if (rating->previous != 0)
		snprintf(detail, sizeof detail, "{\"rating\":%d,\"previous\":%d,"
		    "\"assignee_id\":%s}", rating->rating, rating->previous,
		    assignee);
	else
		snprintf(detail, sizeof detail, "{\"rating\":%d,\"previous\":"
		    "null,\"assignee_id\":%s}", rating->rating, assignee);
	stmt = store_sqlite_query(tx->conn, update, "iii",
	    (int64_t)rating->rating, rating->at, rating->ticket_id);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	stmt = store_sqlite_query(tx->conn, audit, "irti", rating->ticket_id,
	    citizen_id, detail, rating->at);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	rating->result = STORE_RATING_STORED;
	return 0;
}

/* --- Statistics ------------------------------------------------------------- */

/* The columns after the group's own ones: count, sum and the count of each
 * rating from 1 to 5. */
#define STORE_REPLIES_SUMMARY_COLUMNS " COUNT(*), SUM(satisfaction),"	\
	" SUM(satisfaction = 1), SUM(satisfaction = 2),"		\
	" SUM(satisfaction = 3), SUM(satisfaction = 4),"		\
	" SUM(satisfaction = 5)"

/* The rated tickets that a filter selects, with ?1 from, ?2 to and ?3 the
 * departments. A merged ticket is never counted, even when it was rated
 * before the merge, because its target carries the case on. */
#define STORE_REPLIES_RATED " FROM tickets AS t"			\
	" WHERE satisfaction IS NOT NULL AND t.merged_into IS NULL"	\
	" AND (?1 = 0 OR satisfaction_at >= ?1)"			\
	" AND (?2 = 0 OR satisfaction_at < ?2)"				\
	" AND (?3 IS NULL OR department IN (SELECT value FROM json_each(?3)))"

/* SUMMARY of the count and rating columns of stmt from column first on. */
static json_t *
store_replies_summary(sqlite3_stmt *stmt, int first)
{
	int64_t count = sqlite3_column_int64(stmt, first);
	int64_t sum = sqlite3_column_int64(stmt, first + 1);
	json_t *average = count > 0 ?
	    json_real(round((double)sum / (double)count * 100) / 100) :
	    json_null();

	return json_pack("{s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I}}",
	    "count", (json_int_t)count, "average", average, "distribution",
	    "1", (json_int_t)sqlite3_column_int64(stmt, first + 2),
	    "2", (json_int_t)sqlite3_column_int64(stmt, first + 3),
	    "3", (json_int_t)sqlite3_column_int64(stmt, first + 4),
	    "4", (json_int_t)sqlite3_column_int64(stmt, first + 5),
	    "5", (json_int_t)sqlite3_column_int64(stmt, first + 6));
}

/* Adds key: value of column of stmt (text, integer or null) to summary. */
static int
store_replies_set_column(json_t *summary, const char *key,
    sqlite3_stmt *stmt, int column)
{
	json_t *value;

	switch (sqlite3_column_type(stmt, column)) {
	case SQLITE_INTEGER:
		value = json_integer(sqlite3_column_int64(stmt, column));
		break;
	case SQLITE_NULL:
		value = json_null();
		break;
	default:
		value = json_string((const char *)sqlite3_column_text(stmt,
		    column));
	}
	return json_object_set_new(summary, key, value);
}

static sqlite3_stmt *
store_replies_query(struct store *store, const char *sql,
    const struct store_satisfaction_filter *filter)
{
	return store_sqlite_query(&store->reader, sql, "iit", filter->from,
	    filter->to, filter->departments);
}

/* One SUMMARY per row of sql, whose first columns are named by keys
 * (key_count of them). Returns a new array or NULL. */
static json_t *
store_replies_groups(struct store *store, const char *sql,
    const struct store_satisfaction_filter *filter, const char *const *keys,
    int key_count)
{
	sqlite3_stmt *stmt = store_replies_query(store, sql, filter);
	json_t *groups, *summary;
	int rc, failed;

	if (stmt == NULL || (groups = json_array()) == NULL)
		return NULL;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		summary = store_replies_summary(stmt, key_count);
		failed = summary == NULL;
		for (int i = 0; i < key_count && !failed; i++)
			failed = store_replies_set_column(summary, keys[i],
			    stmt, i) != 0;
		if (failed || json_array_append_new(groups, summary) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		json_decref(groups);
		return NULL;
	}
	return groups;
}

static json_t *
store_replies_overall(struct store *store,
    const struct store_satisfaction_filter *filter)
{
	static const char sql[] = "SELECT" STORE_REPLIES_SUMMARY_COLUMNS
	    STORE_REPLIES_RATED;
	sqlite3_stmt *stmt = store_replies_query(store, sql, filter);
	json_t *summary;

	if (stmt == NULL || store_sqlite_row(&store->reader, stmt) != 1)
		return NULL;
	summary = store_replies_summary(stmt, 0);
	sqlite3_reset(stmt);
	return summary;
}

json_t *
store_satisfaction_json(struct store *store,
    const struct store_satisfaction_filter *filter)
{
	static const char by_department[] = "SELECT department,"
	    STORE_REPLIES_SUMMARY_COLUMNS STORE_REPLIES_RATED
	    " GROUP BY department ORDER BY department";
	static const char by_agent[] = "SELECT t.assignee_id,"
	    " (SELECT display_name FROM agents WHERE id = t.assignee_id),"
	    STORE_REPLIES_SUMMARY_COLUMNS STORE_REPLIES_RATED
	    " GROUP BY t.assignee_id ORDER BY t.assignee_id";
	static const char *const department_keys[] = { "department" };
	static const char *const agent_keys[] = { "agent_id", "display_name" };
	json_t *result;

	/* One read transaction, so that the three parts count the same
	 * ratings. */
	if (sqlite3_exec(store->reader.db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return NULL;
	result = json_pack("{s:o*, s:o*, s:o*}",
	    "overall", store_replies_overall(store, filter),
	    "departments", store_replies_groups(store, by_department, filter,
	    department_keys, 1),
	    "agents", store_replies_groups(store, by_agent, filter,
	    agent_keys, 2));
	sqlite3_exec(store->reader.db, "COMMIT", NULL, NULL, NULL);
	if (result != NULL && json_object_size(result) != 3) {
		log_error("store", "reading the satisfaction statistics failed");
		json_decref(result);
		return NULL;
	}
	return result;
}
