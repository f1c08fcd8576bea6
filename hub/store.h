/*
 * The store: tickets, citizens, contacts, messages, attachments, audit
 * events, the outbox and idempotency keys.
 *
 * The embedded backend is SQLite in WAL mode with synchronous=FULL, so that
 * an acknowledged write survives a power cut. Writes run on one writer
 * connection owned by the store thread, in batches (group commit): every job
 * submitted while a commit is running joins the next batch, each job runs in
 * its own savepoint, and a job's completion runs on the main thread only
 * after its batch has committed. Reads from the main thread use a separate
 * read-only connection; other threads open their own.
 *
 * Times are Unix milliseconds in UTC. Functions return 0 on success and -1 on
 * a database error (logged with the statement), unless said otherwise.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "contact.h"
#include "ticket_code.h"

#define STORE_DB_FILE "citizenhub.db"
#define STORE_KEY_BYTES 32

struct event_base;
struct store;
struct store_tx;	/* a job's view of the open batch transaction */

struct store_options {
	int batch_max;		/* jobs in one transaction at most */
	int busy_timeout_ms;
};

/* --- Opening ------------------------------------------------------------ */

/* Creates data_dir (mode 0700) and the database if missing, applies the
 * migrations and creates the secret keys. Idempotent. Returns 0, or -1 with
 * a message in err. */
int store_init(const char *data_dir, char *err, size_t err_size);

/* Opens the store for the daemon: runs store_init, starts the store thread
 * and opens the main thread's read connection. Completions are delivered on
 * base's thread. Returns NULL with a message in err. */
struct store *store_open(struct event_base *base, const char *data_dir,
    const struct store_options *options, char *err, size_t err_size);

/* Opens only a read connection, for citizenhubctl. No writes are possible
 * and store_submit fails. */
struct store *store_open_readonly(const char *data_dir, char *err,
    size_t err_size);

/* Commits every job already submitted, runs their completions, stops the
 * store thread and closes the connections. */
void store_close(struct store *store);

/* Key of the ticket code permutation and key of per-ticket access tokens;
 * STORE_KEY_BYTES each, created once by store_init and kept in the database
 * so that a backup carries them. */
const uint8_t *store_code_key(const struct store *store);
const uint8_t *store_token_key(const struct store *store);
/* Key of the hashes of agents' session and bearer tokens, created like the
 * other two. */
const uint8_t *store_session_key(const struct store *store);

/* --- Writing: jobs in batches --------------------------------------------- */

struct store_job {
	/* Runs on the store thread inside the job's savepoint. Returning
	 * non-zero rolls back to the savepoint, so nothing of this job is
	 * stored while the rest of the batch commits. */
	int (*apply)(struct store_tx *tx, void *arg);
	/* Runs on the main thread after the batch committed. result is
	 * apply's return value, or -1 when the commit itself failed (then
	 * nothing of the batch was stored). */
	void (*done)(int result, void *arg);
	void *arg;
	struct store_job *next;	/* private to the store */
};

/* Queues job for the next batch. The job must stay valid until done runs.
 * Returns 0, or -1 when the store is closing or read-only. */
int store_submit(struct store *store, struct store_job *job);

/* Jobs submitted whose completion has not run yet. */
size_t store_in_flight(const struct store *store);

/* Sets a function called on the main thread once per batch, before the
 * batch's completions, with the number of jobs and the seconds from BEGIN to
 * the end of COMMIT (for metrics). fn NULL removes it. */
void store_set_batch_observer(struct store *store,
    void (*fn)(int size, double seconds, void *arg), void *arg);

/* Time of the batch, the same for every job in it. */
int64_t store_tx_now(const struct store_tx *tx);

struct store_ticket_new {
	int64_t citizen_id;	/* 0 for none */
	int64_t contact_id;	/* 0 for none */
	const char *channel;
	const char *conversation_key;
	const char *subject;
	const char *subject_folded;	/* subject by text_fold, NULL to fold
					 * it in the store */
	const char *category_hint;
	const char *address;
	bool has_location;
	double latitude;
	double longitude;
	const char *language;
	const char *category;	/* NULL when unclassified */
	const char *department;	/* NULL for none */
	const char *commune;	/* NULL for none */
	int64_t due_at;		/* Unix ms, 0 for no deadline */
	/* Set by store_tx_ticket_create: */
	int64_t id;
	char code[TICKET_CODE_PLAIN_SIZE];
};

struct store_message_new {
	int64_t ticket_id;
	const char *direction;	/* "in" or "out" */
	const char *kind;	/* "message", "ack", "reply", "note" */
	const char *channel;
	const char *external_id;	/* NULL or unique per channel */
	int64_t contact_id;	/* 0 for none */
	const char *body;
	const char *body_folded;	/* body by text_fold, NULL to fold it
					 * in the store */
	const char *reference;	/* the channel's id that later messages may
				 * quote, NULL for none */
	bool automatic;		/* written by a program (an auto-reply) */
	int64_t id;		/* set on success */
};

int store_tx_citizen_create(struct store_tx *tx, const char *name,
    const char *language, int64_t *citizen_id);

/* Finds the citizen owning a verified contact. Returns 1 when found, 0 when
 * not, -1 on error. */
int store_tx_contact_find_verified(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t *contact_id, int64_t *citizen_id);

int store_tx_contact_add(struct store_tx *tx, int64_t citizen_id,
    enum contact_kind kind, const char *value, bool verified,
    int64_t *contact_id);

/* Creates a ticket with the next counter and its code, and indexes its
 * subject for search in the same savepoint. The code is the
 * counter under the current code key; a restore renews that key, so
 * codes stay unique but only tickets made since can be decoded with it. */
int store_tx_ticket_create(struct store_tx *tx, struct store_ticket_new *ticket);

/* The stored code of a ticket. Returns 1, 0 when there is no such ticket,
 * -1 on error. */
int store_tx_ticket_code(struct store_tx *tx, int64_t ticket_id,
    char code[TICKET_CODE_PLAIN_SIZE]);

/* Finds a ticket by plain code; open is false for a resolved or closed
 * ticket. Returns 1 found, 0 not found, -1 error. */
int store_tx_ticket_find_code(struct store_tx *tx, const char *code,
    int64_t *ticket_id, bool *open);

/* Finds the open ticket of a conversation changed at or after
 * updated_since (milliseconds; 0 for any). Returns 1, 0 or -1. */
int store_tx_ticket_find_conversation(struct store_tx *tx, const char *channel,
    const char *conversation_key, int64_t updated_since, int64_t *ticket_id);

/* Whether contact_id is on ticket_id. Returns 1, 0 or -1. */
int store_tx_ticket_has_contact(struct store_tx *tx, int64_t ticket_id,
    int64_t contact_id);

int store_tx_ticket_add_contact(struct store_tx *tx, int64_t ticket_id,
    int64_t contact_id);

/* Sets updated_at to the batch time. */
int store_tx_ticket_touch(struct store_tx *tx, int64_t ticket_id);

/* Adds a message and, unless it is a note, indexes its body for search in
 * the same savepoint. Returns 0, 1 when (channel, external_id) already
 * exists (nothing added), -1 on error. */
int store_tx_message_add(struct store_tx *tx, struct store_message_new *message);

/* Finds a stored message by its channel id. Returns 1, 0 or -1. */
int store_tx_message_find_external(struct store_tx *tx, const char *channel,
    const char *external_id, int64_t *ticket_id, int64_t *message_id);

/* Stores an idempotency key; a key already stored for the same route (an
 * expired one not pruned yet) is replaced. */
int store_tx_idempotency_add(struct store_tx *tx, const char *route,
    const char *key, const uint8_t body_hash[32], int64_t ticket_id,
    int64_t message_id);

/* Adds an outbox row: event is "ticket.created", "message.created", ...;
 * payload is a JSON text. */
int store_tx_outbox_add(struct store_tx *tx, const char *event,
    int64_t ticket_id, const char *payload);

int store_tx_audit_add(struct store_tx *tx, int64_t ticket_id,
    const char *actor, const char *action, const char *detail);

/* Deletes outbox rows created before outbox_before (delivered ones, or all
 * when no consumer is configured) and idempotency keys created before
 * idempotency_before. Sets the counts deleted. */
int store_tx_prune(struct store_tx *tx, int64_t outbox_before,
    int64_t idempotency_before, int64_t *outbox_deleted,
    int64_t *idempotency_deleted);

/* --- Reading (main thread, or citizenhubctl) ---------------------------- */

struct store_ticket {
	int64_t id;
	char code[TICKET_CODE_PLAIN_SIZE];
	int64_t citizen_id;
	char *channel;
	char *status;		/* new, assigned, in_progress, waiting, resolved, closed */
	char *subject;
	char *category;
	char *category_hint;
	char *department;
	char *commune;
	char *address;
	char *language;
	bool has_location;
	double latitude;
	double longitude;
	int64_t due_at;		/* 0 when none */
	int64_t created_at;
	int64_t updated_at;
};

void store_ticket_clear(struct store_ticket *ticket);

/* Each returns 1 when found, 0 when not, -1 on error. */
int store_ticket_get(struct store *store, int64_t id, struct store_ticket *ticket);
int store_ticket_get_code(struct store *store, const char *code,
    struct store_ticket *ticket);
/* The newest ticket of a conversation, whatever its status, or with
 * resolved_only the one resolved last among those resolved or closed after
 * a resolution: its code and resolved_at (0 when not resolved). */
int store_conversation_latest(struct store *store, const char *channel,
    const char *conversation_key, bool resolved_only,
    char code[TICKET_CODE_PLAIN_SIZE], int64_t *resolved_at);
/* Whether the contact (value normalized) is blocked. Returns 1, 0 or -1. */
int store_contact_blocked(struct store *store, enum contact_kind kind,
    const char *value);
int store_message_find_external(struct store *store, const char *channel,
    const char *external_id, int64_t *ticket_id, int64_t *message_id);
/* Finds an idempotency key created at or after not_before. */
int store_idempotency_find(struct store *store, const char *route,
    const char *key, int64_t not_before, uint8_t body_hash[32],
    int64_t *ticket_id, int64_t *message_id);

/* Second factors for reading a ticket's messages, checked against the
 * ticket's contact and the contacts added to it. last_digits is the end of
 * an E.164 number, 4 to 15 digits. An email matches in any letter case,
 * because people retype their address with other capitals and mail systems
 * in common use ignore the case of local parts. Return 1 on a match, 0 on
 * none (or an input outside those forms), -1 on error. */
int store_ticket_phone_suffix_matches(struct store *store, int64_t ticket_id,
    const char *last_digits);
int store_ticket_email_matches(struct store *store, int64_t ticket_id,
    const char *email);

/* Messages of a ticket as a JSON array of {id, direction, kind, channel,
 * body, created_at}, oldest first; internal notes only when include_notes.
 * Returns a new reference or NULL on error. */
json_t *store_ticket_messages_json(struct store *store, int64_t ticket_id,
    bool include_notes);

struct store_ticket_filter {
	const char *status;	/* NULL for any */
	const char *channel;	/* NULL for any */
	/* NULL for any, else words that the ticket's subject or its messages
	 * other than notes must all contain. Valid UTF-8 of at most
	 * STORE_SEARCH_QUERY_MAX code points. */
	const char *search;
	int64_t before_id;	/* 0 for none: paging by id, newest first */
	int limit;		/* 1 to STORE_TICKETS_LIMIT_MAX, clamped */
};

#define STORE_TICKETS_LIMIT_MAX 500
/* Maximum length of a search query, in code points. */
#define STORE_SEARCH_QUERY_MAX 200

/* Tickets as a JSON array of full records (contacts included), newest
 * first. A search matches whole words and ignores case, diacritics (đ
 * included) and NFC or NFD. Every word of the query must be somewhere in
 * the ticket, and a query with no word left after folding matches nothing.
 * For operators only. Returns a new reference or NULL. */
json_t *store_tickets_json(struct store *store,
    const struct store_ticket_filter *filter);

/* One ticket with its citizen, contacts, messages and audit events, or NULL
 * (errno ENOENT when not found). For operators only. */
json_t *store_ticket_detail_json(struct store *store, int64_t ticket_id);

struct store_stats {
	int64_t tickets;
	int64_t tickets_open;
	int64_t citizens;
	int64_t contacts;
	int64_t messages;
	int64_t attachments;
	int64_t outbox_pending;
	int64_t audit_events;
	int schema_version;
};

int store_stats(struct store *store, struct store_stats *stats);

/* Outbox rows not yet delivered. */
int store_outbox_depth(struct store *store, int64_t *depth);

/* --- Backup -------------------------------------------------------------- */

/* Called after each step of an online backup. */
typedef void (*store_progress_fn)(int remaining_pages, int total_pages,
    void *arg);

/* Copies the database of data_dir to path with SQLite's online backup,
 * safe while the daemon writes. Returns 0, or -1 with a message in err. */
int store_backup(const char *data_dir, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size);

/* Replaces the database of data_dir with the backup at path, after checking
 * that it is a Citizen Hub database. The daemon must be stopped. Returns 0,
 * or -1 with a message in err. */
int store_restore(const char *data_dir, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size);

#endif
