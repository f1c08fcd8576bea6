#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "clock.h"
#include "lifecycle.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_casework.h"

/* The payload of "ticket.status_changed" for a reopening, which no agent
 * made (agent_id 0). Returns a new string or NULL. */
static char *
reopen_payload(const struct pipeline_result *result)
{
	json_t *payload = json_pack("{s:I, s:s, s:s, s:s, s:I}",
	    "ticket_id", (json_int_t)result->ticket_id, "code", result->code,
	    "from", lifecycle_status_name(LIFECYCLE_RESOLVED),
	    "to", lifecycle_status_name(LIFECYCLE_REOPENED), "agent_id",
	    (json_int_t)0);
	char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;

	json_decref(payload);
	return text;
}

int
pipeline_reopen(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_result *result)
{
	struct lifecycle_effect effect;
	struct store_casework_ticket ticket;
	char actor[96], detail[160];
	char *payload;
	int rc;

	if (store_tx_casework_ticket(tx, result->ticket_id, &ticket) != 1)
		return -1;
	lifecycle_effect(LIFECYCLE_RESOLVED, LIFECYCLE_REOPENED, &effect);
	if (store_tx_casework_set_status(tx, result->ticket_id, LIFECYCLE_REOPENED,
	    &effect, clock_now_ms()) != 0)
		return -1;

	snprintf(actor, sizeof(actor), "channel:%s", message->channel);
	snprintf(detail, sizeof(detail), "{\"from\":\"resolved\","
	    "\"to\":\"in_progress\",\"message_id\":%lld}",
	    (long long)result->message_id);
	if (store_tx_casework_audit(tx, &(struct store_casework_audit){
	    .ticket_id = result->ticket_id, .citizen_id = ticket.citizen_id,
	    .actor = actor, .action = "ticket.reopened", .detail = detail },
	    clock_now_ms()) != 0)
		return -1;

	if ((payload = reopen_payload(result)) == NULL)
		return -1;
	rc = store_tx_outbox_add(tx, "ticket.status_changed", result->ticket_id,
	    payload);
	free(payload);
	if (rc == 0)
		result->reopened = true;
	return rc;
}
