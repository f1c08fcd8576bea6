/*
 * The store's side of threading by reference, attachments, the
 * acknowledgement limits and the channels' own state.
 *
 * Reads without tx run on the main thread's connection; store_tx_* run in
 * a job on the store thread.
 */
#ifndef HUB_STORE_MAIL_H
#define HUB_STORE_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "contact.h"
#include "store.h"

/* The data directory the store was opened on. */
const char *store_data_dir(const struct store *store);

/* The ticket of the oldest message of channel whose reference is
 * reference. Returns 1 with *ticket_id set, 0 when none, -1 on error. */
int store_tx_message_find_reference(struct store_tx *tx, const char *channel,
    const char *reference, int64_t *ticket_id);

/* Adds an attachment row of message_id. */
int store_tx_attachment_add(struct store_tx *tx, int64_t message_id,
    const char *sha256, const char *filename, const char *content_type,
    int64_t size);

/* Outbound "ack" messages created at or after since: to any contact of
 * kind and value, or on ticket_id. */
int store_tx_ack_count_recipient(struct store_tx *tx, enum contact_kind kind,
    const char *value, int64_t since, int64_t *count);
int store_tx_ack_count_ticket(struct store_tx *tx, int64_t ticket_id,
    int64_t since, int64_t *count);

/* Threading facts of an outbound message on ticket_id through channel,
 * each a new string or NULL: the ticket's subject, the reference of the
 * newest inbound message through channel that has one, and the references
 * of the inbound messages through channel, oldest first, at most the last
 * ten, separated by single spaces. Returns 0, or -1 with all three NULL. */
int store_mail_threading(struct store *store, int64_t ticket_id,
    const char *channel, char **subject, char **in_reply_to,
    char **references);

/* An attachment as agents download it. */
struct store_attachment {
	int64_t id;
	int64_t message_id;
	char sha256[65];
	char *filename;		/* NULL when the sender gave none */
	char *content_type;
	int64_t size;
};

void store_attachment_clear(struct store_attachment *attachment);

/* The attachment attachment_id of a message on ticket_id. Returns 1, 0 when
 * there is no such attachment on that ticket, -1 on error. */
int store_attachment_get(struct store *store, int64_t ticket_id,
    int64_t attachment_id, struct store_attachment *attachment);

/* Sets "attachments" of every message object of messages (a JSON array of
 * the ticket's messages with "id") to the array of its attachments {id,
 * filename, content_type, size}, by id. Returns 0 or -1. */
int store_mail_attachments_json(struct store *store, int64_t ticket_id,
    json_t *messages);

/* Whether an attachment row refers to sha256. Returns 1, 0 or -1. */
int store_attachment_referenced(struct store *store, const char *sha256);

/* A channel's stored value of key, as a new string, or NULL (errno 0 when
 * there is none, else the error). */
char *store_channel_state_get(struct store *store, const char *channel,
    const char *key);

/* Stores value under (channel, key); value NULL deletes the row. */
int store_tx_channel_state_set(struct store_tx *tx, const char *channel,
    const char *key, const char *value);

#endif
