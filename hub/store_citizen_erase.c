/*
 * Anonymization of tickets and citizens, for an erasure on request and for
 * the retention of closed tickets. Rows are kept so that foreign keys,
 * counts and the audit trail still hold; the personal data in them is
 * cleared or replaced. The writer connection runs with secure_delete=ON and
 * a finished anonymization truncates the WAL, so the old text does not stay
 * in free pages or old WAL frames either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"
#include "log.h"
#include "store_citizen_internal.h"

#define STORE_ERASE_DAY_MS (24 * 3600 * 1000LL)

void
store_anonymized_clear(struct store_anonymized *counts)
{
	free(counts->files.sha256);
	json_decref(counts->ticket_ids);
	memset(counts, 0, sizeof(*counts));
}

/* --- Attachment files ------------------------------------------------------ */

/* Whether text is a lower-case hex SHA-256, the only form of a file name
 * in the attachments folder. */
static bool
store_erase_sha256_valid(const char *text)
{
	if (text == NULL || strlen(text) != 64)
		return false;
	return strspn(text, "0123456789abcdef") == 64;
}

static int
store_erase_file_add(struct store_erased_files *files, const char *sha256)
{
	if (!store_erase_sha256_valid(sha256)) {
		log_warn("store", "attachment with an invalid sha256 left alone");
		return 0;
	}
	if (files->count == files->capacity) {
		size_t grown = files->capacity == 0 ? 8 : 2 * files->capacity;
		void *more = realloc(files->sha256, grown *
		    sizeof(files->sha256[0]));

		if (more == NULL)
			return -1;
		files->sha256 = more;
		files->capacity = grown;
	}
	memcpy(files->sha256[files->count++], sha256, 65);
	return 0;
}

/* Deletes the collected files. A file already missing is fine: nothing
 * stores attachment files yet, and a repeated run finds them gone. */
static void
store_erase_unlink_files(struct store_tx *tx,
    const struct store_erased_files *files)
{
	char name[sizeof(STORE_ATTACHMENTS_DIR) + 66];
	char path[STORE_PATH_MAX];

	for (size_t i = 0; i < files->count; i++) {
		snprintf(name, sizeof(name), "%s/%s", STORE_ATTACHMENTS_DIR,
		    files->sha256[i]);
		if (datadir_path(tx->store->data_dir, name, path,
		    sizeof(path)) != 0)
			continue;
		if (unlink(path) != 0 && errno != ENOENT)
			log_error("store", "deleting an erased attachment "
			    "failed: %s path=%s", strerror(errno), path);
	}
}

/* Collects the files of the ticket's attachments that no attachment of
 * another ticket refers to, and clears the attachments' names and hashes. */
static int
store_erase_attachments(struct store_tx *tx, int64_t ticket_id,
    struct store_anonymized *counts)
{
	static const char hashes[] = "SELECT DISTINCT a.sha256"
	    " FROM attachments AS a JOIN messages AS m ON m.id = a.message_id"
	    " WHERE m.ticket_id = ?1 AND NOT EXISTS (SELECT 1"
	    " FROM attachments AS o JOIN messages AS n ON n.id = o.message_id"
	    " WHERE o.sha256 = a.sha256 AND n.ticket_id <> ?1)";
	static const char clear[] = "UPDATE attachments SET filename = NULL,"
	    " sha256 = '" STORE_ERASED_SHA256 "' WHERE message_id IN"
	    " (SELECT id FROM messages WHERE ticket_id = ?)";
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, hashes, "i",
	    ticket_id);
	int64_t changed = 0;
	int rc = 0, step;

	if (stmt == NULL)
		return -1;
	while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = store_erase_file_add(&counts->files,
		    (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc != 0 || step != SQLITE_DONE)
		return -1;
	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn, clear,
	    "i", ticket_id), &changed) != 0)
		return -1;
	counts->attachments += changed;
	return 0;
}

/* --- Tickets and citizens ---------------------------------------------------- */

int
store_tx_ticket_anonymize(struct store_tx *tx, int64_t ticket_id,
    int64_t now_ms, struct store_anonymized *counts)
{
	static const char ticket[] = "UPDATE tickets SET subject = NULL,"
	    " category_hint = NULL, address = NULL, latitude = NULL,"
	    " longitude = NULL, conversation_key = NULL,"
	    " anonymized_at = COALESCE(anonymized_at, ?1) WHERE id = ?2";
	static const char messages[] = "UPDATE messages SET body = ?1,"
	    " delivery_detail = NULL, external_id = NULL WHERE ticket_id = ?2";
	/* The recording's file goes with the ticket's attachments. */
	static const char calls[] = "UPDATE calls SET caller = NULL,"
	    " caller_raw = NULL, recording_sha256 = CASE WHEN recording_sha256"
	    " IS NULL THEN NULL ELSE '" STORE_ERASED_SHA256 "' END"
	    " WHERE ticket_id = ?";
	int64_t changed = 0;

	if (counts->ticket_ids == NULL &&
	    (counts->ticket_ids = json_array()) == NULL)
		return -1;
	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn, ticket,
	    "ii", now_ms, ticket_id), &changed) != 0)
		return -1;
	if (changed != 1) {
		log_error("store", "anonymizing a ticket failed: not found "
		    "ticket=%lld", (long long)ticket_id);
		return -1;
	}
	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
	    messages, "ti", STORE_ERASED_BODY, ticket_id), &changed) != 0)
		return -1;
	counts->messages += changed;
	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn, calls,
	    "i", ticket_id), NULL) != 0)
		return -1;
	if (store_erase_attachments(tx, ticket_id, counts) != 0 ||
	    json_array_append_new(counts->ticket_ids,
	    json_integer(ticket_id)) != 0)
		return -1;
	counts->tickets++;
	return 0;
}

int
store_tx_citizen_anonymize(struct store_tx *tx, int64_t citizen_id,
    int64_t now_ms, struct store_anonymized *counts)
{
	static const char citizens[] = "UPDATE citizens SET name = NULL,"
	    " anonymized_at = COALESCE(anonymized_at, ?1)"
	    " WHERE id = ?2 OR merged_into = ?2";
	/* Calls that reached no ticket are found by the citizen's phone
	 * numbers, before the contacts lose them. */
	static const char calls[] = "UPDATE calls SET caller = NULL,"
	    " caller_raw = NULL WHERE caller IN (SELECT value FROM contacts"
	    " WHERE kind = 'phone' AND citizen_id IN (SELECT id FROM citizens"
	    " WHERE id = ?1 OR merged_into = ?1))";
	static const char contacts[] = "UPDATE contacts SET value = '"
	    STORE_ERASED_CONTACT_PREFIX "' || id, verified = 0,"
	    " blocked_at = NULL WHERE citizen_id = ?"
	    " AND value <> '" STORE_ERASED_CONTACT_PREFIX "' || id";
	/* Block events contain a masked value and the reason, which may
	 * name the person. */
	static const char audit[] = "UPDATE audit_events"
	    " SET detail = json_remove(detail, '$.value', '$.reason')"
	    " WHERE citizen_id IN (SELECT id FROM citizens WHERE id = ?1"
	    " OR merged_into = ?1) AND json_valid(detail)"
	    " AND (json_type(detail, '$.value') IS NOT NULL"
	    " OR json_type(detail, '$.reason') IS NOT NULL)";
	int64_t changed = 0;

	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
	    citizens, "ii", now_ms, citizen_id), &changed) != 0)
		return -1;
	if (changed == 0) {
		log_error("store", "anonymizing a citizen failed: not found "
		    "citizen=%lld", (long long)citizen_id);
		return -1;
	}
	if (store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
	    calls, "i", citizen_id), NULL) != 0 ||
	    store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
	    contacts, "i", citizen_id), &changed) != 0)
		return -1;
	counts->contacts += changed;
	return store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
	    audit, "i", citizen_id), NULL);
}

int
store_tx_anonymize_finish(struct store_tx *tx,
    struct store_anonymized *counts, bool rewrite_index)
{
	static const char search[] = "DELETE FROM ticket_search"
	    " WHERE ticket_id IN (SELECT value FROM json_each(?))";
	static const char optimize[] = "INSERT INTO ticket_search"
	    " (ticket_search) VALUES ('optimize')";
	char *ids = NULL;
	int rc = 0;

	if (json_array_size(counts->ticket_ids) > 0) {
		/* ticket_id is UNINDEXED, so this scans the index's rows once
		 * for every ticket of the job. */
		if ((ids = json_dumps(counts->ticket_ids, JSON_COMPACT)) == NULL)
			return -1;
		rc = store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
		    search, "t", ids), &counts->search_rows);
		free(ids);
	}
	if (rc == 0 && rewrite_index)
		rc = store_citizen_run(tx->conn, store_citizen_prepare(tx->conn,
		    optimize, ""), NULL);
	if (rc != 0)
		return -1;
	store_erase_unlink_files(tx, &counts->files);
	if (counts->tickets > 0 || counts->contacts > 0)
		store_tx_checkpoint_after_commit(tx);
	return 0;
}

/* --- Erasure on request ------------------------------------------------------- */

/* Keeps the codes that stmt selects in request->held_codes when there is
 * one, and finalizes stmt. Returns 1 when held, 0 when not, -1 on error. */
static int
store_erase_held(struct store_citizen_erase *request, sqlite3_stmt *stmt,
    const char *reason)
{
	json_t *codes = json_array();
	int step = SQLITE_ERROR;

	if (stmt != NULL && codes != NULL) {
		while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
			json_array_append_new(codes,
			    store_citizen_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE || json_array_size(codes) == 0) {
		json_decref(codes);
		return step == SQLITE_DONE ? 0 : -1;
	}
	request->outcome = STORE_CITIZEN_HELD;
	request->reason = reason;
	request->held_codes = codes;
	return 1;
}

/* Applies the holds that keep a citizen's data. Returns 1 when one
 * applies, 0 when none does, -1 on error. */
static int
store_erase_holds(struct store_tx *tx, struct store_citizen_erase *request)
{
	static const char open[] = "SELECT code FROM tickets"
	    " WHERE citizen_id = ? AND status NOT IN " STORE_CLOSED_STATUSES
	    " ORDER BY id";
	static const char recent[] = "SELECT code FROM tickets"
	    " WHERE citizen_id = ? AND status IN " STORE_CLOSED_STATUSES
	    " AND anonymized_at IS NULL"
	    " AND COALESCE(closed_at, resolved_at, updated_at) > ?"
	    " ORDER BY id";
	int64_t since = request->now_ms -
	    request->hold_closed_days * STORE_ERASE_DAY_MS;
	int rc = 0;

	if (request->hold_open_tickets)
		rc = store_erase_held(request, store_citizen_prepare(tx->conn,
		    open, "i", request->citizen_id), "open_tickets");
	if (rc == 0 && request->hold_closed_days > 0)
		rc = store_erase_held(request, store_citizen_prepare(tx->conn,
		    recent, "ii", request->citizen_id, since),
		    "recently_closed_tickets");
	return rc;
}

/* Sets the outcome for a citizen that is missing or merged. */
static int
store_erase_check(struct store_tx *tx, struct store_citizen_erase *request)
{
	static const char sql[] = "SELECT merged_into"
	    " FROM citizens WHERE id = ?";
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, sql, "i",
	    request->citizen_id);
	int step;

	if (stmt == NULL)
		return -1;
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE)
		request->outcome = STORE_CITIZEN_NOT_FOUND;
	else if (step == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		request->outcome = STORE_CITIZEN_MERGED;
		request->merged_into = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/* Anonymizes every ticket of the citizen, anonymized before or not, so
 * that a message added since is covered too. */
static int
store_erase_tickets(struct store_tx *tx, struct store_citizen_erase *request)
{
	static const char sql[] = "SELECT id FROM tickets WHERE citizen_id = ?"
	    " ORDER BY id";
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, sql, "i",
	    request->citizen_id);
	json_t *ids = json_array();
	size_t index;
	json_t *id;
	int step, rc = 0;

	if (stmt == NULL || ids == NULL) {
		sqlite3_finalize(stmt);
		json_decref(ids);
		return -1;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(
		    sqlite3_column_int64(stmt, 0)));
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE)
		rc = -1;
	json_array_foreach(ids, index, id) {
		if (rc == 0)
			rc = store_tx_ticket_anonymize(tx, json_integer_value(id),
			    request->now_ms, &request->counts);
	}
	json_decref(ids);
	return rc;
}

static int
store_erase_audit(struct store_tx *tx,
    const struct store_citizen_erase *request)
{
	const struct store_anonymized *counts = &request->counts;
	json_t *detail = json_pack("{s:I, s:I, s:I, s:I}",
	    "tickets", (json_int_t)counts->tickets,
	    "messages", (json_int_t)counts->messages,
	    "contacts", (json_int_t)counts->contacts,
	    "attachments", (json_int_t)counts->attachments);
	struct store_audit_new event = {
		.citizen_id = request->citizen_id,
		.agent_id = request->agent_id,
		.actor = request->actor,
		.action = "citizen.erase",
	};
	char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	int rc;

	json_decref(detail);
	if (text == NULL)
		return -1;
	event.detail = text;
	rc = store_tx_audit_add_event(tx, &event);
	free(text);
	return rc;
}

int
store_tx_citizen_erase(struct store_tx *tx,
    struct store_citizen_erase *request)
{
	int held;

	request->outcome = STORE_CITIZEN_DONE;
	request->reason = NULL;
	request->held_codes = NULL;
	if (store_erase_check(tx, request) != 0)
		return -1;
	if (request->outcome != STORE_CITIZEN_DONE)
		return 0;
	if ((held = store_erase_holds(tx, request)) != 0)
		return held < 0 ? -1 : 0;
	if (store_erase_tickets(tx, request) != 0 ||
	    store_tx_citizen_anonymize(tx, request->citizen_id,
	    request->now_ms, &request->counts) != 0 ||
	    store_erase_audit(tx, request) != 0)
		return -1;
	return store_tx_anonymize_finish(tx, &request->counts, true);
}

/* --- Retention ------------------------------------------------------------ */

struct store_retention_ticket {
	int64_t ticket_id;
	int64_t citizen_id;
};

/* The closed tickets due, oldest first, into a new array. */
static int
store_retention_due(struct store_tx *tx, const struct store_retention_run *run,
    struct store_retention_ticket **due, size_t *count)
{
	static const char sql[] = "SELECT id, citizen_id FROM tickets"
	    " WHERE status = 'closed' AND closed_at < ?1"
	    " AND anonymized_at IS NULL ORDER BY closed_at, id LIMIT ?2";
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, sql, "ii",
	    run->closed_before, (int64_t)run->max_tickets);
	int step = SQLITE_DONE;

	*count = 0;
	*due = calloc((size_t)(run->max_tickets > 0 ? run->max_tickets : 1),
	    sizeof(**due));
	if (stmt == NULL || *due == NULL) {
		sqlite3_finalize(stmt);
		return -1;
	}
	while (*count < (size_t)run->max_tickets &&
	    (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		(*due)[*count].ticket_id = sqlite3_column_int64(stmt, 0);
		(*due)[(*count)++].citizen_id = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

static int
store_retention_ticket(struct store_tx *tx, struct store_retention_run *run,
    const struct store_retention_ticket *ticket)
{
	int64_t messages = run->counts.messages;
	struct store_audit_new event = {
		.ticket_id = ticket->ticket_id,
		.citizen_id = ticket->citizen_id,
		.actor = "retention",
		.action = "ticket.anonymized",
	};
	char detail[96];

	if (store_tx_ticket_anonymize(tx, ticket->ticket_id, run->now_ms,
	    &run->counts) != 0)
		return -1;
	snprintf(detail, sizeof(detail), "{\"messages\":%lld}",
	    (long long)(run->counts.messages - messages));
	event.detail = detail;
	return store_tx_audit_add_event(tx, &event);
}

/* Anonymizes the citizen once none of its tickets is left to anonymize.
 * Returns 0 or -1. */
static int
store_retention_citizen(struct store_tx *tx, struct store_retention_run *run,
    int64_t citizen_id)
{
	static const char sql[] = "SELECT NOT EXISTS (SELECT 1 FROM tickets"
	    " WHERE citizen_id = ?1 AND anonymized_at IS NULL)"
	    " AND (SELECT anonymized_at IS NULL FROM citizens WHERE id = ?1)";
	struct store_audit_new event = {
		.citizen_id = citizen_id,
		.actor = "retention",
		.action = "citizen.anonymized",
	};
	sqlite3_stmt *stmt = store_citizen_prepare(tx->conn, sql, "i",
	    citizen_id);
	int step, due = 0;

	if (stmt == NULL)
		return -1;
	if ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		due = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (step != SQLITE_ROW)
		return -1;
	if (!due)
		return 0;
	if (store_tx_citizen_anonymize(tx, citizen_id, run->now_ms,
	    &run->counts) != 0 || store_tx_audit_add_event(tx, &event) != 0)
		return -1;
	run->citizens++;
	return 0;
}

int
store_tx_retention_run(struct store_tx *tx, struct store_retention_run *run)
{
	struct store_retention_ticket *due;
	bool rewrite;
	size_t count;
	int rc;

	run->citizens = 0;
	run->rewritten = false;
	if (store_retention_due(tx, run, &due, &count) != 0) {
		free(due);
		return -1;
	}
	rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = store_retention_ticket(tx, run, &due[i]);
	/* A citizen with several tickets due is checked once it has none
	 * left, which the check itself finds. */
	for (size_t i = 0; i < count && rc == 0; i++) {
		if (due[i].citizen_id != 0)
			rc = store_retention_citizen(tx, run,
			    due[i].citizen_id);
	}
	free(due);
	if (rc != 0)
		return -1;
	rewrite = count < (size_t)run->max_tickets &&
	    (run->rewrite_pending || count > 0);
	if (store_tx_anonymize_finish(tx, &run->counts, rewrite) != 0)
		return -1;
	run->rewritten = rewrite;
	return 0;
}
