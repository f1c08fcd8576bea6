/*
 * Queued acknowledgements: for channels whose peer is gone once the
 * message is taken (email), the acknowledgement goes out later through the
 * send queue, within limits that keep an auto-responder loop or a flood of
 * new tickets from turning the hub into a mail cannon.
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_mail.h"
#include "store_sendq.h"

/* Whether one of the limits is reached. Returns 1 when reached, 0 when
 * not, -1 on error. */
static int
queue_limited(struct store_tx *tx, const struct hub_contact *contact,
    const struct pipeline_ack_limits *limits, int64_t ticket_id)
{
	int64_t since = store_tx_now(tx) - limits->window_ms;
	int64_t count;

	if (store_tx_ack_count_recipient(tx, contact->kind, contact->value,
	    since, &count) != 0)
		return -1;
	if (count >= limits->per_recipient) {
		log_info("pipeline", "acknowledgement not queued: recipient "
		    "limit reached ticket=%lld limit=%d", (long long)ticket_id,
		    limits->per_recipient);
		return 1;
	}
	if (store_tx_ack_count_ticket(tx, ticket_id, since, &count) != 0)
		return -1;
	if (count >= limits->per_ticket) {
		log_info("pipeline", "acknowledgement not queued: ticket limit "
		    "reached ticket=%lld limit=%d", (long long)ticket_id,
		    limits->per_ticket);
		return 1;
	}
	return 0;
}

int
pipeline_queue_ack(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity,
    const struct pipeline_ack_limits *limits,
    const struct pipeline_ack_text *text, struct pipeline_result *result)
{
	char token[PIPELINE_TOKEN_SIZE];
	char *status_url, *body;
	struct store_sendq_new queued;
	int limited, rc;

	result->ack_message_id = 0;
	if (message->ack != HUB_ACK_QUEUE || !result->created ||
	    result->duplicate || message->automatic ||
	    message->contact_count == 0 || identity->primary_contact_id == 0)
		return 0;
	limited = queue_limited(tx, &message->contacts[0], limits,
	    result->ticket_id);
	if (limited != 0)
		return limited < 0 ? -1 : 0;

	pipeline_access_token(text->token_key, result->code, token);
	status_url = pipeline_status_url(text->public_url, result->code, token,
	    result->language);
	body = status_url != NULL ? pipeline_acknowledge(text->templates,
	    result->language, result->code, status_url, message->sms_text) : NULL;
	free(status_url);
	if (body == NULL) {
		log_error("pipeline", "acknowledgement not queued: not rendered "
		    "ticket=%lld language=%s",
		    (long long)result->ticket_id, result->language);
		return 0;
	}
	queued = (struct store_sendq_new){
		.ticket_id = result->ticket_id,
		.kind = "ack",
		.channel = message->channel,
		.contact_id = identity->primary_contact_id,
		.body = body,
		.language = result->language,
		.at = store_tx_now(tx),
	};
	rc = store_tx_sendq_add(tx, &queued);
	free(body);
	if (rc != 0)
		return -1;
	result->ack_message_id = queued.id;
	return 0;
}
