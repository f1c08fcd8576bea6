/*
 * The store's side of the send queue: outbound messages whose
 * delivery_status is "queued", their outcomes and delivery reports.
 *
 * delivery_status of an outbound message moves
 *
 *   queued ──▶ sent ──▶ delivered | failed     (channels with reports)
 *   queued ──▶ delivered | failed              (channels without them)
 *
 * and a temporary failure keeps it queued with attempts + 1 and a later
 * next_attempt_at. Inbound messages have no delivery_status.
 *
 * Reads run on the main thread's connection; store_tx_* run in a job.
 */
#ifndef HUB_STORE_SENDQ_H
#define HUB_STORE_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Whom a message goes to, and the ticket facts its templates use. */
struct store_sendq_addressee {
	char *to;		/* contact value, NULL when there is none */
	char *language;		/* the citizen's, else the ticket's */
	char *name;		/* the citizen's name, NULL when unknown */
	char code[TICKET_CODE_PLAIN_SIZE];
	char *department;	/* id, NULL for none */
	char *status;
};

/* A queued message due for a send. */
struct store_sendq_message {
	int64_t id;
	int64_t ticket_id;
	char *channel;
	char *kind;		/* "reply", "ack", ... */
	char *body;
	int attempts;		/* sends made so far */
	char *agent_name;	/* display name of the author, NULL for none */
	struct store_sendq_addressee addressee;
};

void store_sendq_message_clear(struct store_sendq_message *message);
void store_sendq_addressee_clear(struct store_sendq_addressee *addressee);

/* Reads at most limit queued messages whose next_attempt_at is NULL or at
 * most now, those due first, leaving out the ids in exclude (a JSON array
 * text such as "[4,9]"). The contact is the message's own, else the
 * ticket's. Returns the number read (messages[0..n) to clear), or -1. */
int store_sendq_due(struct store *store, int64_t now, const char *exclude,
    struct store_sendq_message *messages, size_t limit);

/* The earliest next_attempt_at of a queued message not in exclude. Returns
 * 1 with *at set, 0 when no message waits, -1 on error. */
int store_sendq_next_due(struct store *store, const char *exclude,
    int64_t *at);

/* Messages with delivery_status "queued". */
int store_sendq_depth(struct store *store, int64_t *depth);

/* Where a hub notice about ticket_id goes: the channel and contact of the
 * citizen's latest inbound message, else the ticket's own. *merged is set
 * when the ticket was merged into another, *phone when the contact is a
 * phone number. Returns 1 with channel (caller frees), contact_id,
 * addressee, merged and phone filled in, 0 when there is no such ticket,
 * -1 on error. */
int store_sendq_notice_target(struct store *store, int64_t ticket_id,
    char **channel, int64_t *contact_id,
    struct store_sendq_addressee *addressee, bool *merged, bool *phone);

/* The outcome of one send. */
struct store_sendq_outcome {
	int64_t message_id;
	const char *status;	/* "queued" (retry), "sent", "delivered",
				 * "failed" */
	const char *detail;	/* NULL for none */
	int64_t next_attempt_at;	/* with "queued" */
	int64_t at;		/* the time of the outcome */
	/* Set by store_tx_sendq_outcome: */
	bool applied;		/* false: the message was no longer queued */
	int64_t ticket_id;
};

/* Stores outcome on a message that is still queued, adding one to its
 * attempts; delivered_at is set with "delivered". A message that left the
 * queue meanwhile (a delivery report came first) is left alone and
 * outcome->applied stays false. */
int store_tx_sendq_outcome(struct store_tx *tx,
    struct store_sendq_outcome *outcome);

/* A channel's delivery report. */
struct store_sendq_report {
	int64_t message_id;
	const char *channel;	/* the channel that reports */
	bool delivered;		/* false: failed */
	const char *detail;	/* NULL for none */
	int64_t at;
	/* Set by store_tx_sendq_report: */
	bool applied;		/* false: no such message of that channel
				 * still queued or sent */
	int64_t ticket_id;
};

/* Marks an outbound message of report->channel that is queued or sent as
 * delivered or failed. */
int store_tx_sendq_report(struct store_tx *tx, struct store_sendq_report *report);

/* A message for the send queue. */
struct store_sendq_new {
	int64_t ticket_id;
	const char *kind;	/* "reply", or "ack" for the hub's notices */
	const char *channel;
	int64_t contact_id;	/* 0 for none */
	int64_t agent_id;	/* 0 for none */
	const char *body;
	const char *language;	/* "vi" or "en" the body is written in, NULL
				 * to follow the citizen's */
	int64_t at;		/* created_at and the first next_attempt_at */
	int64_t id;		/* set on success */
};

/* Adds an outbound message with delivery_status "queued". Its body is not
 * indexed for search: the hub's notices are the same words on every
 * ticket. */
int store_tx_sendq_add(struct store_tx *tx, struct store_sendq_new *message);

#endif
