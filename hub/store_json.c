/*
 * Reads returned as JSON for the operators' API and citizenhubctl. Times are
 * ISO 8601 in Asia/Ho_Chi_Minh, which is UTC+07:00 all year (Vietnam keeps
 * no daylight saving time).
 *
 * json_pack's "o" steals the reference it is given, on failure too (jansson
 * 2.11 and later), so values built for it are never released here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "store_sqlite.h"

/* A time as "2026-12-04T20:15:25+07:00", or null for 0 (none). */
json_t *
store_json_time(int64_t milliseconds)
{
	char text[CLOCK_ISO8601_SIZE];

	if (milliseconds == 0 || clock_format_vietnam(milliseconds, text) != 0)
		return json_null();
	return json_string(text);
}

static json_t *
store_json_location(const struct store_ticket *ticket)
{
	if (!ticket->has_location)
		return json_null();
	return json_pack("{s:f, s:f}", "lat", ticket->latitude, "lon",
	    ticket->longitude);
}

json_t *
store_json_ticket(const struct store_ticket *ticket)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];

	ticket_code_group(ticket->code, grouped);
	return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
	    " s:s?, s:s?, s:o, s:s?, s:o, s:o, s:o}",
	    "id", (json_int_t)ticket->id,
	    "code", ticket->code,
	    "code_display", grouped,
	    "status", ticket->status,
	    "channel", ticket->channel,
	    "subject", ticket->subject,
	    "category", ticket->category,
	    "category_hint", ticket->category_hint,
	    "department", ticket->department,
	    "commune", ticket->commune,
	    "address", ticket->address,
	    "location", store_json_location(ticket),
	    "language", ticket->language,
	    "due_at", store_json_time(ticket->due_at),
	    "created_at", store_json_time(ticket->created_at),
	    "updated_at", store_json_time(ticket->updated_at));
}

/* Appends one JSON value per row of stmt, built by row_json. Returns the
 * array (new reference) or NULL. */
json_t *
store_json_rows(struct store *store, sqlite3_stmt *stmt,
    json_t *(*row_json)(sqlite3_stmt *))
{
	json_t *array;
	int rc;

	if (stmt == NULL || (array = json_array()) == NULL) {
		if (stmt != NULL)
			sqlite3_reset(stmt);
		return NULL;
	}
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		if (json_array_append_new(array, row_json(stmt)) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		json_decref(array);
		return NULL;
	}
	return array;
}

static const char *
store_json_text(sqlite3_stmt *stmt, int column)
{
	return (const char *)sqlite3_column_text(stmt, column);
}

static json_t *
store_json_contact_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:s?, s:s?, s:b}", "kind", store_json_text(stmt, 0),
	    "value", store_json_text(stmt, 1),
	    "verified", sqlite3_column_int(stmt, 2) != 0);
}

static json_t *
store_json_message_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "direction", store_json_text(stmt, 1),
	    "kind", store_json_text(stmt, 2),
	    "channel", store_json_text(stmt, 3),
	    "body", store_json_text(stmt, 4),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 5)));
}

static json_t *
store_json_audit_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:s?, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "actor", store_json_text(stmt, 1),
	    "action", store_json_text(stmt, 2),
	    "detail", store_json_text(stmt, 3),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 4)));
}

static json_t *
store_json_citizen_row(sqlite3_stmt *stmt)
{
	return json_pack("{s:I, s:s?, s:s?, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "name", store_json_text(stmt, 1),
	    "language", store_json_text(stmt, 2),
	    "created_at", store_json_time(sqlite3_column_int64(stmt, 3)));
}

/* The citizen's contacts and the ticket's own, oldest first. */
static json_t *
store_json_contacts(struct store *store, const struct store_ticket *ticket)
{
	static const char sql[] = "SELECT kind, value, verified FROM contacts"
	    " WHERE citizen_id = ?1 OR id = (SELECT contact_id FROM tickets"
	    " WHERE id = ?2) OR id IN (SELECT contact_id FROM ticket_contacts"
	    " WHERE ticket_id = ?2) ORDER BY id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "ri", ticket->citizen_id, ticket->id), store_json_contact_row);
}

json_t *
store_ticket_messages_json(struct store *store, int64_t ticket_id,
    bool include_notes)
{
	static const char sql[] = "SELECT id, direction, kind, channel, body,"
	    " created_at FROM messages WHERE ticket_id = ?1"
	    " AND (?2 OR kind <> 'note') ORDER BY id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "ii", ticket_id, (int64_t)include_notes), store_json_message_row);
}

/* A ticket's record with its contacts (operators' view). */
static json_t *
store_json_ticket_full(struct store *store, const struct store_ticket *ticket)
{
	json_t *record = store_json_ticket(ticket);

	if (record == NULL ||
	    json_object_set_new(record, "contacts",
	    store_json_contacts(store, ticket)) != 0) {
		json_decref(record);
		return NULL;
	}
	return record;
}

/* terms is NULL, or the JSON array of FTS5 terms of a search. */
static sqlite3_stmt *
store_json_tickets_query(struct store *store,
    const struct store_ticket_filter *filter, const char *terms)
{
	/* Two statements, so that a status filter can use tickets_status. */
	static const char by_status[] = "SELECT " STORE_TICKET_COLUMNS
	    " FROM tickets WHERE status = ?1 AND (?2 IS NULL OR channel = ?2)"
	    " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4";
	static const char any_status[] = "SELECT " STORE_TICKET_COLUMNS
	    " FROM tickets WHERE (?2 IS NULL OR channel = ?2)"
	    " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4";
	/* A ticket matches when each term matches one of its rows, so the
	 * words of a query may come from its subject and its messages. */
	static const char search[] = "SELECT " STORE_TICKET_COLUMNS
	    " FROM tickets WHERE (?1 IS NULL OR status = ?1)"
	    " AND (?2 IS NULL OR channel = ?2) AND (?3 = 0 OR id < ?3)"
	    " AND id IN (SELECT found.ticket_id FROM json_each(?5) AS term"
	    " JOIN ticket_search AS found"
	    " ON found.ticket_search MATCH term.value"
	    " GROUP BY found.ticket_id"
	    " HAVING COUNT(DISTINCT term.key) = json_array_length(?5))"
	    " ORDER BY id DESC LIMIT ?4";
	int64_t limit = filter->limit;

	if (limit < 1 || limit > STORE_TICKETS_LIMIT_MAX)
		limit = limit < 1 ? 1 : STORE_TICKETS_LIMIT_MAX;
	if (terms != NULL)
		return store_sqlite_query(&store->reader, search, "ttiit",
		    filter->status, filter->channel, filter->before_id, limit,
		    terms);
	if (filter->status != NULL)
		return store_sqlite_query(&store->reader, by_status, "ttii",
		    filter->status, filter->channel, filter->before_id, limit);
	return store_sqlite_query(&store->reader, any_status, "ntii",
	    filter->channel, filter->before_id, limit);
}

static int
store_json_append_ticket(struct store *store, json_t *array,
    sqlite3_stmt *stmt)
{
	struct store_ticket ticket;
	int rc;

	if (store_read_ticket_row(stmt, &ticket) != 0)
		return -1;
	rc = json_array_append_new(array, store_json_ticket_full(store,
	    &ticket));
	store_ticket_clear(&ticket);
	return rc;
}

static json_t *
store_json_tickets_rows(struct store *store,
    const struct store_ticket_filter *filter, const char *terms)
{
	sqlite3_stmt *stmt = store_json_tickets_query(store, filter, terms);
	json_t *array;
	int rc;

	if (stmt == NULL || (array = json_array()) == NULL)
		return NULL;
	while ((rc = store_sqlite_row(&store->reader, stmt)) == 1) {
		if (store_json_append_ticket(store, array, stmt) != 0) {
			sqlite3_reset(stmt);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		log_error("store", "listing tickets failed");
		json_decref(array);
		return NULL;
	}
	return array;
}

json_t *
store_tickets_json(struct store *store,
    const struct store_ticket_filter *filter)
{
	char *terms;
	size_t count;
	json_t *array;

	if (filter->search == NULL)
		return store_json_tickets_rows(store, filter, NULL);
	if ((terms = store_search_terms(filter->search, &count)) == NULL)
		return NULL;
	/* A query with no word left after folding matches nothing. */
	array = count == 0 ? json_array() :
	    store_json_tickets_rows(store, filter, terms);
	free(terms);
	return array;
}

static json_t *
store_json_citizen(struct store *store, int64_t citizen_id)
{
	static const char sql[] = "SELECT id, name, language, created_at"
	    " FROM citizens WHERE id = ?";
	json_t *rows, *citizen;

	if (citizen_id == 0)
		return json_null();
	rows = store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", citizen_id), store_json_citizen_row);
	if (rows == NULL)
		return NULL;
	citizen = json_array_size(rows) > 0 ? json_array_get(rows, 0) :
	    json_null();
	json_incref(citizen);
	json_decref(rows);
	return citizen;
}

static json_t *
store_json_audit(struct store *store, int64_t ticket_id)
{
	static const char sql[] = "SELECT id, actor, action, detail, created_at"
	    " FROM audit_events WHERE ticket_id = ? ORDER BY id";

	return store_json_rows(store, store_sqlite_query(&store->reader, sql,
	    "i", ticket_id), store_json_audit_row);
}

static json_t *
store_json_detail(struct store *store, const struct store_ticket *ticket)
{
	json_t *record = store_json_ticket_full(store, ticket);

	if (record == NULL)
		return NULL;
	if (json_object_set_new(record, "citizen", store_json_citizen(store,
	    ticket->citizen_id)) != 0 ||
	    json_object_set_new(record, "messages", store_ticket_messages_json(
	    store, ticket->id, true)) != 0 ||
	    json_object_set_new(record, "audit_events", store_json_audit(store,
	    ticket->id)) != 0) {
		json_decref(record);
		return NULL;
	}
	return record;
}

json_t *
store_ticket_detail_json(struct store *store, int64_t ticket_id)
{
	struct store_ticket ticket;
	json_t *record;
	int rc;

	/* One read transaction, so that the parts agree with each other. */
	if (sqlite3_exec(store->reader.db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		errno = EIO;
		return NULL;
	}
	if ((rc = store_ticket_get(store, ticket_id, &ticket)) != 1) {
		sqlite3_exec(store->reader.db, "COMMIT", NULL, NULL, NULL);
		errno = rc == 0 ? ENOENT : EIO;
		return NULL;
	}
	record = store_json_detail(store, &ticket);
	store_ticket_clear(&ticket);
	sqlite3_exec(store->reader.db, "COMMIT", NULL, NULL, NULL);
	if (record == NULL) {
		log_error("store", "reading ticket detail failed ticket=%lld",
		    (long long)ticket_id);
		errno = EIO;
	}
	return record;
}
