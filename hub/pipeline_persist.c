#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_mail.h"

static int
persist_ticket(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity,
    const struct pipeline_routing *routing, struct pipeline_result *result)
{
	struct store_ticket_new ticket = {
		.citizen_id = identity->citizen_id,
		.contact_id = identity->primary_contact_id,
		.channel = message->channel,
		.conversation_key = message->conversation_key,
		.subject = message->subject,
		.subject_folded = message->subject_folded,
		.category_hint = message->category_hint,
		.address = message->address,
		.has_location = message->has_location,
		.latitude = message->latitude,
		.longitude = message->longitude,
		.language = message->language,
		.category = routing != NULL ? routing->category : NULL,
		.department = routing != NULL ? routing->department : NULL,
		.commune = routing != NULL ? routing->commune : NULL,
		.due_at = routing != NULL ? routing->due_at : 0,
	};

	if (store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	result->ticket_id = ticket.id;
	memcpy(result->code, ticket.code, sizeof(result->code));
	result->created = true;
	if (ticket.category != NULL)
		snprintf(result->category, sizeof(result->category), "%s",
		    ticket.category);
	return 0;
}

static int
persist_ticket_contacts(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t ticket_id)
{
	for (int i = 0; i < message->contact_count; i++) {
		int on_ticket;

		if (identity->contact_ids[i] == 0)
			continue;
		on_ticket = store_tx_ticket_has_contact(tx, ticket_id,
		    identity->contact_ids[i]);
		if (on_ticket < 0)
			return -1;
		if (on_ticket == 0 && store_tx_ticket_add_contact(tx, ticket_id,
		    identity->contact_ids[i]) != 0)
			return -1;
	}
	return 0;
}

/* Outbox rows carry ids and public facts only; platform services fetch
 * personal data through the API when they are allowed to. */
static int
persist_outbox(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_result *result)
{
	json_t *payload;
	char *text;
	int rc = 0;

	if (result->created) {
		payload = json_pack("{s:I, s:s, s:s, s:s*, s:s*, s:s}",
		    "ticket_id", (json_int_t)result->ticket_id,
		    "code", result->code, "channel", message->channel,
		    "category", result->category[0] != '\0' ?
		    result->category : NULL,
		    "category_hint", message->category_hint,
		    "language", message->language);
		text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
		rc = text != NULL ? store_tx_outbox_add(tx, "ticket.created",
		    result->ticket_id, text) : -1;
		free(text);
		json_decref(payload);
		if (rc != 0)
			return -1;
	}
	payload = json_pack("{s:I, s:I, s:s, s:s}",
	    "ticket_id", (json_int_t)result->ticket_id,
	    "message_id", (json_int_t)result->message_id,
	    "channel", message->channel, "direction", "in");
	text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	rc = text != NULL ? store_tx_outbox_add(tx, "message.created",
	    result->ticket_id, text) : -1;
	free(text);
	json_decref(payload);
	return rc;
}

static int
persist_message(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, struct pipeline_result *result)
{
	struct store_message_new stored = {
		.ticket_id = result->ticket_id,
		.direction = "in",
		.kind = "message",
		.channel = message->channel,
		.external_id = message->external_id,
		.contact_id = identity->primary_contact_id,
		.body = message->body,
		.body_folded = message->body_folded,
		.reference = message->reference,
		.automatic = message->automatic,
	};
	int rc = store_tx_message_add(tx, &stored);

	if (rc == 1) {
		/* Stored by an earlier batch: give its ids, keep nothing new. */
		result->duplicate = true;
		if (store_tx_message_find_external(tx, message->channel,
		    message->external_id, &result->ticket_id,
		    &result->message_id) != 1)
			return -1;
		return 1;
	}
	result->message_id = stored.id;
	if (rc != 0)
		return rc;
	for (int i = 0; i < message->attachment_count; i++) {
		const struct hub_attachment *attachment =
		    &message->attachments[i];

		if (store_tx_attachment_add(tx, stored.id, attachment->sha256,
		    attachment->filename, attachment->content_type,
		    attachment->size) != 0)
			return -1;
	}
	return 0;
}

static int
persist_audit(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_result *result)
{
	char actor[96], detail[160];

	snprintf(actor, sizeof(actor), "channel:%s", message->channel);
	snprintf(detail, sizeof(detail), "{\"message_id\":%lld}",
	    (long long)result->message_id);
	return store_tx_audit_add(tx, result->ticket_id, actor,
	    result->created ? "ticket.created" : "message.added", detail);
}

int
pipeline_persist(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t ticket_id,
    const struct pipeline_routing *routing, struct pipeline_result *result)
{
	int rc;

	snprintf(result->language, sizeof(result->language), "%s",
	    message->language != NULL ? message->language : HUB_LANGUAGE_DEFAULT);
	if (ticket_id == 0) {
		if (persist_ticket(tx, message, identity, routing, result) != 0)
			return -1;
	} else {
		result->ticket_id = ticket_id;
		if (store_tx_ticket_touch(tx, ticket_id) != 0)
			return -1;
	}
	if (persist_ticket_contacts(tx, message, identity, result->ticket_id) != 0)
		return -1;
	rc = persist_message(tx, message, identity, result);
	if (rc != 0)
		return rc;
	if (message->idempotency_key != NULL && store_tx_idempotency_add(tx,
	    message->idempotency_route, message->idempotency_key,
	    message->idempotency_body_hash, result->ticket_id,
	    result->message_id) != 0)
		return -1;
	if (persist_outbox(tx, message, result) != 0)
		return -1;
	return persist_audit(tx, message, result);
}
