/*
 * Casework: the store's part of agents' work on tickets through the desk
 * API. The store_tx_casework_* functions write agents' actions inside a
 * job's savepoint: status, assignment, replies and notes, tags, merging,
 * and audit events with the agent and the citizen. The store_casework_*
 * functions read for the desk API, as JSON, on the main thread's read
 * connection.
 *
 * Times passed as now are Unix milliseconds from clock_now_ms. Functions
 * return 0 on success and -1 on a database error (logged), unless said
 * otherwise.
 */
#ifndef HUB_STORE_CASEWORK_H
#define HUB_STORE_CASEWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "contact.h"
#include "lifecycle.h"
#include "store.h"
#include "ticket_code.h"

/* Sizes with the NUL of the texts of struct store_casework_ticket. A stored
 * value that does not fit is reported as a database error, never cut. */
#define STORE_CASEWORK_DEPARTMENT_SIZE 65
#define STORE_CASEWORK_CHANNEL_SIZE 33
#define STORE_CASEWORK_LANGUAGE_SIZE 3

/* Tags: at most this many on a ticket, each of 1 to STORE_CASEWORK_TAG_CHARS
 * code points. */
#define STORE_CASEWORK_TAGS_MAX 20
#define STORE_CASEWORK_TAG_CHARS 32

/* Channel of internal notes, which are never sent anywhere. */
#define STORE_CASEWORK_NOTE_CHANNEL "desk"

/* Hops followed along merged_into before giving up, so that a cycle in
 * damaged data cannot loop. */
#define STORE_CASEWORK_MERGE_HOPS_MAX 8

/* The columns of a ticket that the desk's rules read. */
struct store_casework_ticket {
	int64_t id;
	char code[TICKET_CODE_PLAIN_SIZE];
	int64_t citizen_id;	/* 0 for none */
	int64_t contact_id;	/* the contact that opened it, 0 for none */
	int64_t assignee_id;	/* 0 for none */
	int64_t merged_into;	/* 0 unless merged into another ticket */
	int64_t resolved_at;	/* 0 for none */
	enum lifecycle_status status;
	bool has_department;
	char department[STORE_CASEWORK_DEPARTMENT_SIZE];
	char channel[STORE_CASEWORK_CHANNEL_SIZE];
	char language[STORE_CASEWORK_LANGUAGE_SIZE];
};

/* An audit event of the desk. citizen_id and agent_id are 0 for none. */
struct store_casework_audit {
	int64_t ticket_id;
	int64_t citizen_id;
	int64_t agent_id;
	const char *actor;	/* auth_actor's text, or "channel:NAME" */
	const char *action;	/* "ticket.read", "ticket.status_changed", ... */
	const char *detail;	/* a JSON text, or NULL */
};

/* An outbound message written by an agent. */
struct store_casework_message {
	int64_t ticket_id;
	const char *kind;	/* "reply" or "note" */
	const char *channel;
	int64_t contact_id;	/* 0 for none */
	int64_t agent_id;	/* 0 for the bootstrap admin token */
	const char *body;
	/* "vi" or "en" for a reply in a language the agent chose; NULL for
	 * the citizen's language. */
	const char *language;
	int64_t id;		/* set on success */
};

/* --- Writes (store thread, inside a job) ----------------------------------- */

/* Reads ticket_id. Returns 1, 0 when there is no such ticket, -1 on error. */
int store_tx_casework_ticket(struct store_tx *tx, int64_t ticket_id,
    struct store_casework_ticket *ticket);

/* Follows merged_into from ticket_id to the ticket that is not merged and
 * reads it into ticket. Returns 1, 0 when a ticket on the way is missing or
 * the chain is longer than STORE_CASEWORK_MERGE_HOPS_MAX, -1 on error. */
int store_tx_casework_ticket_final(struct store_tx *tx, int64_t ticket_id,
    struct store_casework_ticket *ticket);

/* Finds the newest ticket of a conversation, whatever its status. Returns 1,
 * 0 or -1. */
int store_tx_casework_conversation_latest(struct store_tx *tx, const char *channel,
    const char *conversation_key, int64_t updated_since, int64_t *ticket_id);

/* Sets the status of ticket_id to status and applies effect at now; also
 * sets updated_at. */
int store_tx_casework_set_status(struct store_tx *tx, int64_t ticket_id,
    enum lifecycle_status status, const struct lifecycle_effect *effect,
    int64_t now);

/* Sets the assignee of ticket_id (0 for none) and its status, and
 * updated_at. */
int store_tx_casework_set_assignee(struct store_tx *tx, int64_t ticket_id,
    int64_t assignee_id, enum lifecycle_status status, int64_t now);

/* Sets updated_at of ticket_id to now. */
int store_tx_casework_touch(struct store_tx *tx, int64_t ticket_id, int64_t now);

/* Whether agent_id is an agent that is not disabled and belongs to
 * department. Returns 1, 0 or -1. */
int store_tx_casework_agent_member(struct store_tx *tx, int64_t agent_id,
    const char *department);

/* Reads the citizen and kind of contact_id. Returns 1, 0 when there is no
 * such contact, -1 on error. */
int store_tx_casework_contact(struct store_tx *tx, int64_t contact_id,
    int64_t *citizen_id, enum contact_kind *kind);

/* Sets channel to the channel of the newest inbound message from
 * contact_id. Returns 1, 0 when the contact never wrote, -1 on error. */
int store_tx_casework_contact_channel(struct store_tx *tx, int64_t contact_id,
    char channel[STORE_CASEWORK_CHANNEL_SIZE]);

/* Adds message at now. A reply is queued for the send queue
 * (delivery_status "queued", next_attempt_at now) and indexed for search;
 * a note is neither. */
int store_tx_casework_message_add(struct store_tx *tx,
    struct store_casework_message *message, int64_t now);

/* Adds an audit event at now. */
int store_tx_casework_audit(struct store_tx *tx,
    const struct store_casework_audit *audit, int64_t now);

/* Replaces the tags of ticket_id with tags (count of them, distinct,
 * already normalized). */
int store_tx_casework_tags_set(struct store_tx *tx, int64_t ticket_id,
    const char *const *tags, size_t count);

/* Removes tag from ticket_id. Returns 1, 0 when the ticket did not have it,
 * -1 on error. */
int store_tx_casework_tag_remove(struct store_tx *tx, int64_t ticket_id,
    const char *tag);

/* Merges source_id into target_id: the source's messages, its contacts on
 * the ticket, its tags and its search rows move to the target, and the
 * source becomes closed at now with merged_into set. Both get updated_at.
 * The caller checks the rules (same citizen, neither closed). */
int store_tx_casework_merge(struct store_tx *tx, int64_t source_id,
    int64_t target_id, int64_t now);

/* --- Reads (main thread) ---------------------------------------------------- */

struct store_casework_filter {
	const char *status;	/* each NULL for any */
	const char *department;
	const char *channel;
	const char *category;
	const char *commune;
	const char *tag;
	/* Words that the ticket's subject or messages other than notes must
	 * all contain, as in struct store_ticket_filter. */
	const char *search;
	/* JSON array of the departments the caller may see, or NULL for
	 * every ticket (admins). A ticket without a department matches only NULL. */
	const char *visible_departments;
	int64_t assignee_id;	/* 0 for any */
	bool unassigned;	/* only tickets without an assignee */
	bool overdue;		/* only tickets due before now, not resolved
				 * or closed */
	int64_t now;
	int64_t before_id;	/* 0 for none: paging by id, newest first */
	int limit;		/* 1 to STORE_TICKETS_LIMIT_MAX, clamped */
	bool with_personal;	/* keep each ticket's contacts, address,
				 * location and category hint */
};

/* Tickets as a JSON array of desk records, newest first. Returns a new
 * reference or NULL. */
json_t *store_casework_tickets_json(struct store *store,
    const struct store_casework_filter *filter);

/* One ticket's desk record (no conversation): the public fields with the
 * assignee, merged_into, resolved_at, closed_at, overdue and tags. Returns a
 * new reference, or NULL (errno ENOENT when there is no such ticket). */
json_t *store_casework_ticket_json(struct store *store, int64_t ticket_id,
    int64_t now);

/* One ticket's desk record with its contacts, its citizen with every
 * contact, the whole conversation across channels in the order it was
 * stored (notes included) and its audit events. Returns a new reference, or
 * NULL (errno ENOENT when there is no such ticket). */
json_t *store_casework_ticket_detail_json(struct store *store, int64_t ticket_id,
    int64_t now);

/* One message as in the conversation of the detail. Returns a new
 * reference or NULL. */
json_t *store_casework_message_json(struct store *store, int64_t message_id);

#endif
