#include <stdbool.h>

#include "log.h"
#include "pipeline_stages.h"
#include "store.h"
#include "ticket_code.h"

/* Whether one of the message's verified contacts is on ticket_id. A code
 * typed by anyone else never opens someone's ticket to them. */
static int
thread_verified_on_ticket(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t ticket_id)
{
	for (int i = 0; i < message->contact_count; i++) {
		int on_ticket;

		if (!message->contacts[i].verified || identity->contact_ids[i] == 0)
			continue;
		on_ticket = store_tx_ticket_has_contact(tx, ticket_id,
		    identity->contact_ids[i]);
		if (on_ticket != 0)
			return on_ticket;
	}
	return 0;
}

static int
thread_by_code(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t *ticket_id)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	const char *texts[] = { message->subject, message->body };
	int64_t found_id;
	bool open;

	for (size_t i = 0; i < 2; i++) {
		int found, allowed;

		if (texts[i] == NULL || ticket_code_find(texts[i], code) != 0)
			continue;
		found = store_tx_ticket_find_code(tx, code, &found_id, &open);
		if (found <= 0) {
			if (found < 0)
				return -1;
			continue;
		}
		allowed = open ? thread_verified_on_ticket(tx, message,
		    identity, found_id) : 0;
		if (allowed < 0)
			return -1;
		if (allowed == 1) {
			*ticket_id = found_id;
			return 0;
		}
		log_trace(LOG_TRACE_PIPELINE, "pipeline", "quoted code not "
		    "joined ticket=%lld open=%d", (long long)found_id, open);
	}
	return 0;
}

int
pipeline_thread(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t *ticket_id)
{
	int found;

	*ticket_id = 0;
	if (thread_by_code(tx, message, identity, ticket_id) != 0)
		return -1;
	if (*ticket_id != 0 || message->conversation_key == NULL)
		return 0;
	found = store_tx_ticket_find_conversation(tx, message->channel,
	    message->conversation_key, ticket_id);
	return found < 0 ? -1 : 0;
}
