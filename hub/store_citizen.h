/*
 * The store's side of citizens and personal data. It reads a citizen with
 * contacts and tickets, merges citizens by hand, blocks contacts and writes
 * the audit trail with citizen and agent ids. It also exports everything
 * held about a citizen, erases it, and runs the retention of closed tickets.
 *
 * A scope limits what a caller sees: NULL for every citizen and ticket
 * (admins), else a JSON array of department ids as text ("[\"roads\"]").
 * With a scope, a citizen is visible only when at least one of its tickets
 * belongs to one of those departments, and only those tickets are shown.
 *
 * Functions named store_tx_* run on the store thread inside a job, the
 * others on the main thread's read connection. They return 0 on success and
 * -1 on a database error (logged), unless stated otherwise.
 */
#ifndef HUB_STORE_CITIZEN_H
#define HUB_STORE_CITIZEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "contact.h"
#include "store.h"

/* Placeholder for every message body of an anonymized ticket. */
#define STORE_ERASED_BODY "[Nội dung đã được xóa để bảo vệ dữ liệu cá nhân." \
	" / Content erased to protect personal data.]"
/* Prefix of the value of an anonymized contact; the contact's id follows. */
#define STORE_ERASED_CONTACT_PREFIX "erased:"
/* Placeholder for the SHA-256 of an anonymized attachment. */
#define STORE_ERASED_SHA256 "erased"
/* Folder of attachment files in the data directory; each file is named by
 * the lower-case hex SHA-256 of its content. */
#define STORE_ATTACHMENTS_DIR "attachments"

#define STORE_CITIZENS_LIMIT_MAX 100
#define STORE_AUDIT_LIMIT_MAX 200
/* Maximum length of an action name in an audit filter, in bytes. */
#define STORE_AUDIT_ACTION_MAX 64

/* Outcome of a job about a citizen or a contact: done, or the reason why
 * nothing changed. */
enum store_citizen_outcome {
	STORE_CITIZEN_DONE = 0,
	STORE_CITIZEN_NOT_FOUND,	/* unknown, or outside the scope */
	STORE_CITIZEN_SAME,		/* merging a citizen into itself */
	STORE_CITIZEN_MERGED,		/* merged into another citizen */
	STORE_CITIZEN_ANONYMIZED,	/* erased or anonymized already */
	STORE_CITIZEN_HELD,		/* a ticket must still be kept */
};

/* --- Reading ------------------------------------------------------------ */

/* One citizen as {id, name, language, created_at, merged_into,
 * anonymized_at, merged_from: [ids], contacts: [{id, kind, value, verified,
 * blocked_at}], tickets: [{id, code, code_display, status, department,
 * category, created_at, anonymized_at}]}, tickets newest first. Returns a new
 * reference, or NULL with errno ENOENT when the citizen does not exist or is
 * outside scope, EIO on a database error. */
json_t *store_citizen_json(struct store *store, int64_t citizen_id,
    const char *scope);

struct store_citizen_query {
	/* One of the three: a contact, or words of a name. */
	enum contact_kind kind;	/* with value: 0 for a name search */
	const char *value;	/* E.164 phone, normalized email, platform id */
	const char *name;	/* words that must each start a word of the
				 * name, compared folded (no case, no marks) */
	int64_t before_id;	/* 0 for none: paging by id, newest first */
	int limit;		/* 1 to STORE_CITIZENS_LIMIT_MAX, clamped */
};

/* Citizens that are not merged into another one and match query, newest
 * first, each as store_citizen_json gives it. Returns a new reference or
 * NULL.
 * NOTE: a name search folds every name in C while it scans the citizens
 * from the newest, so its cost grows with the number of citizens. */
json_t *store_citizens_find_json(struct store *store,
    const struct store_citizen_query *query, const char *scope);

/* Everything held about a citizen, for an export. The document has the
 * citizen and the citizens merged into it, contacts, tickets with their
 * satisfaction, messages and attachments' metadata, and the audit events
 * about the citizen or its tickets. Internal notes are included only with
 * include_notes, else counted in notes_withheld. Returns a new reference, or
 * NULL with errno ENOENT or EIO. */
json_t *store_citizen_export_json(struct store *store, int64_t citizen_id,
    bool include_notes, int64_t now_ms);

struct store_audit_filter {
	int64_t ticket_id;	/* 0 for any */
	int64_t citizen_id;	/* 0 for any */
	int64_t agent_id;	/* 0 for any */
	const char *action;	/* NULL for any */
	int64_t before_id;	/* 0 for none */
	int limit;		/* 1 to STORE_AUDIT_LIMIT_MAX, clamped */
};

/* Audit events as a JSON array of {id, actor, agent_id, action, detail,
 * ticket_id, ticket_code, citizen_id, created_at}, newest first. detail is
 * the stored JSON when it parses, else its text. Returns a new reference or
 * NULL. */
json_t *store_audit_json(struct store *store,
    const struct store_audit_filter *filter);

/* --- Writing (store thread) --------------------------------------------- */

struct store_audit_new {
	int64_t ticket_id;	/* 0 for none */
	int64_t citizen_id;	/* 0 for none */
	int64_t agent_id;	/* 0 for none: the admin token, or the daemon */
	const char *actor;	/* "agent:ID:USERNAME", "admin-token",
				 * "retention" */
	const char *action;	/* "citizen.read", "contact.block", ... */
	const char *detail;	/* JSON text without personal data, or NULL */
};

/* Adds an audit event at the batch time. */
int store_tx_audit_add_event(struct store_tx *tx,
    const struct store_audit_new *event);

/* Whether a contact of kind and value is blocked. Sets *contact_id to a
 * blocked row. Returns 1 blocked, 0 not, -1 on error. */
int store_tx_contact_blocked(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t *contact_id);

/* A block or an unblock of a contact. */
struct store_contact_block {
	int64_t contact_id;
	bool block;		/* false: unblock */
	const char *reason;	/* with block: why, kept in the audit event */
	const char *scope;
	const char *actor;
	int64_t agent_id;
	/* Set by store_tx_contact_block: */
	enum store_citizen_outcome outcome;
	int64_t citizen_id;
	int64_t blocked_at;	/* 0 when no longer blocked */
	int64_t rows_changed;	/* contact rows of the same kind and value */
};

/* Blocks (or unblocks) every contact row with the kind and value of
 * contact_id, and records "contact.block" (or "contact.unblock") with the
 * value masked. A block keeps the time of an earlier block. An unknown
 * contact or one outside scope is STORE_CITIZEN_NOT_FOUND, an anonymized one
 * STORE_CITIZEN_ANONYMIZED; nothing changes then. */
int store_tx_contact_block(struct store_tx *tx,
    struct store_contact_block *request);

struct store_citizen_merge {
	int64_t into;
	int64_t from;
	const char *scope;
	const char *actor;
	int64_t agent_id;
	/* Set by store_tx_citizen_merge: */
	enum store_citizen_outcome outcome;
	const char *field;	/* "id" or "from" when not done */
	int64_t contacts_moved;
	int64_t contacts_joined;	/* rows dropped as the same contact */
	int64_t tickets_moved;
};

/* Moves the contacts and tickets of from to into and sets from's
 * merged_into. Contact rows of into that then share kind and value are
 * joined into one (the verified one, else the oldest), with their tickets
 * and messages pointed at it. Records "citizen.merge" on into and
 * "citizen.merged_into" on from. Nothing changes when the outcome is not
 * STORE_CITIZEN_DONE. */
int store_tx_citizen_merge(struct store_tx *tx,
    struct store_citizen_merge *request);

/* Attachment files that no stored attachment refers to any more, collected
 * by an anonymization and deleted once its SQL has succeeded. */
struct store_erased_files {
	size_t count;
	size_t capacity;
	char (*sha256)[65];
};

/* Counts of what an anonymization changed, and the work left for
 * store_tx_anonymize_finish. Start from all zeros; free with
 * store_anonymized_clear. */
struct store_anonymized {
	int64_t tickets;
	int64_t messages;
	int64_t attachments;
	int64_t contacts;
	int64_t search_rows;	/* set by store_tx_anonymize_finish */
	json_t *ticket_ids;	/* tickets whose search rows go */
	struct store_erased_files files;
};

void store_anonymized_clear(struct store_anonymized *counts);

/* Anonymizes one ticket at now_ms: subject, category hint, address,
 * location and conversation key cleared; every message body replaced by
 * STORE_ERASED_BODY, with its delivery detail and channel id cleared;
 * attachments' file names and hashes cleared, their files collected in
 * counts->files when no other attachment uses them; anonymized_at set unless
 * it was set before. Status, category, department, commune, times,
 * satisfaction, tags and the contacts stay. The ticket's search rows are
 * deleted by store_tx_anonymize_finish. Returns 0, or -1 on error. */
int store_tx_ticket_anonymize(struct store_tx *tx, int64_t ticket_id,
    int64_t now_ms, struct store_anonymized *counts);

/* Anonymizes a citizen at now_ms. Its name and those of the citizens merged
 * into it are cleared. Each contact's value becomes "erased:ID", unverified
 * and unblocked. Contact values and block reasons are removed from the
 * audit events about it, and anonymized_at is set unless it was set before.
 * Its tickets are left to store_tx_ticket_anonymize. */
int store_tx_citizen_anonymize(struct store_tx *tx, int64_t citizen_id,
    int64_t now_ms, struct store_anonymized *counts);

/* Ends an anonymization, last in its job. It deletes the search rows of the
 * tickets anonymized, and with rewrite_index rewrites the search index
 * (FTS5 optimize), so that deleted words also leave the index's pages. It
 * deletes the collected attachment files from the data directory, logging
 * and leaving a file that cannot be deleted. Then it requests a WAL
 * checkpoint after the commit.
 * NOTE: optimize rewrites the whole index, which holds up the store thread
 * for a time that grows with the index. */
int store_tx_anonymize_finish(struct store_tx *tx,
    struct store_anonymized *counts, bool rewrite_index);

/* An erasure on request. */
struct store_citizen_erase {
	int64_t citizen_id;
	int64_t now_ms;
	bool hold_open_tickets;	/* refuse while a ticket is not resolved
				 * or closed */
	int hold_closed_days;	/* refuse while a ticket was resolved or
				 * closed fewer days ago; 0 for none */
	const char *actor;
	int64_t agent_id;
	/* Set by store_tx_citizen_erase: */
	enum store_citizen_outcome outcome;
	const char *reason;	/* with STORE_CITIZEN_HELD: "open_tickets" or
				 * "recently_closed_tickets" */
	json_t *held_codes;	/* with STORE_CITIZEN_HELD: codes (owned) */
	int64_t merged_into;	/* with STORE_CITIZEN_MERGED: the citizen
				 * that holds the data now */
	struct store_anonymized counts;	/* the caller clears it */
};

/* Anonymizes the citizen and every ticket of it, unless a hold applies,
 * and records "citizen.erase" with counts only. Nothing changes when the
 * outcome is not STORE_CITIZEN_DONE. */
int store_tx_citizen_erase(struct store_tx *tx,
    struct store_citizen_erase *request);

/* One run of the retention. */
struct store_retention_run {
	int64_t closed_before;	/* Unix ms: closed_at older than this */
	int64_t now_ms;
	int max_tickets;
	/* Search rows deleted by earlier runs without a rewrite of the index
	 * since, because their batch was full and another run followed. */
	bool rewrite_pending;
	/* Set by store_tx_retention_run: */
	int64_t citizens;	/* citizens anonymized */
	bool rewritten;		/* the search index was rewritten */
	struct store_anonymized counts;
};

/* Anonymizes at most max_tickets closed tickets whose closed_at is before
 * closed_before and which are not anonymized yet, oldest first. Each gets a
 * "ticket.anonymized" audit event by "retention". Then every citizen of
 * those tickets that has no ticket left to anonymize is anonymized, with a
 * "citizen.anonymized" event. The search index is rewritten by the run that
 * finds fewer than max_tickets, when this or an earlier run deleted rows.
 * The caller clears run->counts. */
int store_tx_retention_run(struct store_tx *tx,
    struct store_retention_run *run);

#endif
