/*
 * The pipeline's stages, one job each, declared here for pipeline.c and the
 * unit tests. See pipeline.h for the order and the threads they run on.
 */
#ifndef HUB_PIPELINE_STAGES_H
#define HUB_PIPELINE_STAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "message.h"

struct events;
struct hub_config_desk;
struct hub_config_limits;
struct store_tx;
struct templates;

/* --- normalize (main thread) --- */

/* Validates and rewrites every text of message in place: valid UTF-8 with
 * no NUL, NFC, trimmed, within limits (code points), no control characters
 * in one-line fields; empty optional fields become NULL. Phone contacts
 * become E.164 and email contacts get a lower-case domain. The language
 * defaults to Vietnamese. Returns 0, or -1 with error naming the API field. */
int pipeline_normalize(struct hub_message *message,
    const struct hub_config_limits *limits, struct hub_error *error);

/* --- dedupe (main thread) --- */

/* Messages in flight, by dedupe key, so that a repeat that arrives before
 * its original is committed waits for it instead of being stored twice. */
struct pipeline_pending;

struct pipeline_pending *pipeline_pending_new(void);
void pipeline_pending_free(struct pipeline_pending *pending);
/* Returns 0, or -1 on allocation failure. key is copied. */
int pipeline_pending_add(struct pipeline_pending *pending, const char *key,
    void *value);
void *pipeline_pending_find(const struct pipeline_pending *pending,
    const char *key);
void pipeline_pending_remove(struct pipeline_pending *pending, const char *key);
size_t pipeline_pending_count(const struct pipeline_pending *pending);

/* Keys of a message: by (channel, external id) and by (route, Idempotency-
 * Key). Each returns a new string, or NULL when the message has no such id.
 * The two kinds never collide. */
char *pipeline_dedupe_external_key(const struct hub_message *message);
char *pipeline_dedupe_idempotency_key(const struct hub_message *message);

/* --- identify, thread, persist (store thread, inside the batch) --- */

struct pipeline_identity {
	int64_t citizen_id;
	int64_t contact_ids[HUB_MESSAGE_CONTACTS_MAX];	/* per message contact */
	int64_t primary_contact_id;	/* the first contact, 0 for none */
};

/* Finds the citizen that owns one of the message's verified contacts, or
 * creates a new citizen. Unverified contacts never select a citizen: they
 * are stored on the citizen found or created, so two citizens are never
 * merged. A message with a blocked contact (contacts.blocked_at set on a
 * row of the same kind and value) is rejected first with contact_blocked
 * naming the contact's kind ("phone", "email", "platform"). Returns 0, 1
 * when rejected with error filled in, or -1. */
int pipeline_identify(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_identity *identity, struct hub_error *error);

/* The ticket a message continues, 0 for a new ticket, and whether adding
 * the message reopens it. */
struct pipeline_thread_target {
	int64_t ticket_id;
	bool reopen;
};

/* Finds the ticket the message continues, by the first rule that finds
 * one: a reference the hub made (reference.h, under reference_key; NULL
 * skips this rule) names its ticket; a reference equal to the own
 * reference of an earlier message of the same channel gives that message's
 * ticket; a quoted valid ticket code counts when one of the message's
 * verified contacts is already on that ticket; the same conversation key
 * of the same channel. A merged ticket stands for the ticket it was merged
 * into. The ticket must be open, or resolved at most reopen_window_ms
 * before the message was received, in which case the message reopens it;
 * an automatic message takes an open ticket only. Returns 0 or -1. */
int pipeline_thread(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, const uint8_t *reference_key,
    int64_t reopen_window_ms, struct pipeline_thread_target *target);

/* --- classify, route, deadline (store thread, new tickets only) --- */

/* Where a new ticket goes. The strings point into the desk given to
 * pipeline_classify, which desk.c keeps until the config is freed. */
struct pipeline_routing {
	const char *category;	/* category id, NULL when unclassified */
	const char *department;	/* department id, NULL for none */
	const char *commune;	/* commune id, NULL for none */
	int64_t due_at;		/* Unix ms, 0 for no deadline */
};

/* Classifies, routes and sets the deadline of a new ticket from message:
 * the category from the explicit hint or the keywords (classify.h), the
 * department of the category or else the triage department, the commune
 * named in the address, and the due time of the category's deadline
 * counted from the message's received time on the working calendar. An
 * unclassified ticket gets no deadline. The commune's own department does
 * not replace the category's. Returns 0, or -1 on allocation failure. */
int pipeline_classify(const struct hub_config_desk *desk,
    const struct hub_message *message, struct pipeline_routing *routing);

struct pipeline_result {
	int64_t ticket_id;
	int64_t message_id;
	char code[TICKET_CODE_PLAIN_SIZE];
	char language[3];
	char category[33];	/* category id of a new ticket, "" for none */
	bool created;		/* a new ticket */
	bool duplicate;		/* the message was already stored */
	bool reopened;		/* the message reopened a resolved ticket */
	int64_t ack_message_id;	/* the queued acknowledgement, 0 for none */
};

/* Stores the ticket (new, with routing, or the existing one touched), the
 * message, its contacts on the ticket, the idempotency key, the outbox rows
 * and the audit event. routing is read only for a new ticket (ticket_id 0)
 * and may be NULL. Returns 0, or -1 on error. Returns 1 when (channel,
 * external id) turned out to be stored already: result then contains the
 * stored ids, and the caller rolls back. */
int pipeline_persist(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t ticket_id,
    const struct pipeline_routing *routing, struct pipeline_result *result);

/* The limits of queued acknowledgements (replies.ack_limit_*). */
struct pipeline_ack_limits {
	int per_recipient;	/* acks to one contact value in the window */
	int per_ticket;		/* acks on one ticket in the window */
	int64_t window_ms;
};

/* Inputs of the acknowledgement text queued in the store. */
struct pipeline_ack_text {
	const struct templates *templates;
	const uint8_t *token_key;	/* of the per-ticket access token */
	const char *public_url;
};

/* Queues the acknowledgement of the message of result as an outbound
 * message (kind "ack", delivery_status "queued", the rendered ack.txt in
 * the ticket's language) to the message's first contact, when the message
 * asked for it (HUB_ACK_QUEUE), opened the ticket, is not automatic and has
 * a contact, and when neither limit is reached: the acks of the window to
 * the same contact kind and value, and those on the ticket. Sets
 * result->ack_message_id when one is queued. Returns 0 (queued or left
 * out, which is logged), or -1 on error. */
int pipeline_queue_ack(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity,
    const struct pipeline_ack_limits *limits,
    const struct pipeline_ack_text *text, struct pipeline_result *result);

/* Reopens the resolved ticket of result after its message was persisted:
 * status in_progress, resolved_at and closed_at cleared, an audit event and
 * a "ticket.status_changed" outbox row. Sets result->reopened. Returns 0 or
 * -1. */
int pipeline_reopen(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_result *result);

/* --- acknowledge and publish (main thread, after the commit) --- */

#define PIPELINE_TOKEN_SIZE 33	/* 32 hex digits and NUL */

/* The per-ticket access token: a keyed BLAKE2b hash of the code, so that it
 * can be checked and given again without being stored. */
void pipeline_access_token(const uint8_t key[32], const char *code,
    char token[PIPELINE_TOKEN_SIZE]);

/* Path of the status page served by the web channel. */
#define PIPELINE_STATUS_PAGE "/lookup"

/* The status page address with the access token, for the citizen to keep:
 * public_url + "/lookup?code=...&token=...", with "&lang=en" for English.
 * Returns a new string or NULL. */
char *pipeline_status_url(const char *public_url, const char *code,
    const char *token, const char *language);

/* Renders the acknowledgement in language for a ticket: "ack.sms" for a
 * channel that sends SMS, else "ack.txt". Returns a new string, or NULL
 * when the template is missing or broken. */
char *pipeline_acknowledge(const struct templates *templates,
    const char *language, const char *code, const char *status_url,
    bool sms);

/* Publishes "ticket.created" (for a new ticket), "message.created" and,
 * when the message reopened its ticket, "ticket.status_changed". */
void pipeline_publish(struct events *events, const struct hub_message *message,
    const struct pipeline_result *result);

#endif
