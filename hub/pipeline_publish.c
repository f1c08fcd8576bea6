#include <jansson.h>

#include "events.h"
#include "pipeline_stages.h"

void
pipeline_publish(struct events *events, const struct hub_message *message,
    const struct pipeline_result *result)
{
	json_t *payload;

	if (events == NULL || result->duplicate)
		return;
	if (result->created) {
		payload = json_pack("{s:I, s:s, s:s}",
		    "ticket_id", (json_int_t)result->ticket_id,
		    "code", result->code, "channel", message->channel);
		if (payload != NULL)
			events_publish(events, "ticket.created", payload);
		json_decref(payload);
	}
	payload = json_pack("{s:I, s:I, s:s, s:s}",
	    "ticket_id", (json_int_t)result->ticket_id,
	    "message_id", (json_int_t)result->message_id,
	    "channel", message->channel, "direction", "in");
	if (payload != NULL)
		events_publish(events, "message.created", payload);
	json_decref(payload);
	if (!result->reopened)
		return;
	payload = json_pack("{s:I, s:s, s:s, s:s, s:I}",
	    "ticket_id", (json_int_t)result->ticket_id, "code", result->code,
	    "from", "resolved", "to", "in_progress", "agent_id", (json_int_t)0);
	if (payload != NULL)
		events_publish(events, "ticket.status_changed", payload);
	json_decref(payload);
}
