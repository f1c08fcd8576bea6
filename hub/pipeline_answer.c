#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "pipeline_internal.h"

void
pipeline_count(struct pipeline *pipeline, const char *channel,
    const char *outcome, double started)
{
	if (pipeline->context.metrics != NULL)
		metrics_pipeline(pipeline->context.metrics, channel, outcome,
		    pipeline_now() - started);
}

/* The metrics label of an answer that stored nothing. */
static const char *
pipeline_answer_outcome(enum hub_answer_status status)
{
	switch (status) {
	case HUB_ANSWER_REJECTED:
		return "rejected";
	case HUB_ANSWER_DROPPED:
		return "dropped";
	case HUB_ANSWER_CREATED:
	case HUB_ANSWER_JOINED:
	case HUB_ANSWER_FAILED:
		break;
	}
	return "failed";
}

void
pipeline_answer_error(struct pipeline *pipeline, const char *channel,
    enum hub_answer_status status, const struct hub_error *error,
    pipeline_done_fn done, void *arg, double started)
{
	struct hub_answer answer = { .status = status };

	if (error != NULL)
		answer.error = *error;
	else if (status == HUB_ANSWER_DROPPED)
		hub_error_set(&answer.error, HUB_OK, NULL, 0);
	else
		hub_error_set(&answer.error, HUB_ERR_UNAVAILABLE, NULL, 0);
	log_trace(LOG_TRACE_PIPELINE, "pipeline", "message not stored "
	    "channel=%s status=%d error=%d field=%s", channel, status,
	    answer.error.code, answer.error.field);
	done(&answer, arg);
	pipeline_count(pipeline, channel, pipeline_answer_outcome(status),
	    started);
}

void
pipeline_answer_ticket(struct pipeline *pipeline, const char *channel,
    const struct pipeline_result *result, bool duplicate, bool with_token,
    pipeline_done_fn done, void *arg, double started)
{
	const struct pipeline_context *context = &pipeline->context;
	struct hub_answer answer = {
		.status = result->created || duplicate ?
		    HUB_ANSWER_CREATED : HUB_ANSWER_JOINED,
		.duplicate = duplicate,
		.ticket_id = result->ticket_id,
		.message_id = result->message_id,
		.language = result->language,
	};
	char token[PIPELINE_TOKEN_SIZE];
	char *status_url, *ack;

	memcpy(answer.code, result->code, sizeof(answer.code));
	pipeline_access_token(store_token_key(context->store), result->code,
	    token);
	status_url = pipeline_status_url(context->config->public_url,
	    result->code, with_token ? token : NULL, result->language);
	ack = pipeline_acknowledge(context->templates, result->language,
	    result->code, status_url, false);
	if (ack == NULL)
		log_error("pipeline", "acknowledgement not rendered "
		    "template=ack.txt language=%s ticket=%lld",
		    result->language, (long long)result->ticket_id);
	answer.access_token = with_token ? token : NULL;
	answer.ack_text = ack != NULL ? ack : "";

	done(&answer, arg);
	pipeline_count(pipeline, channel, duplicate ? "duplicate" :
	    result->created ? "created" : "joined", started);
	free(ack);
	free(status_url);
}

void
pipeline_answer_stored(struct pipeline *pipeline, const char *channel,
    int64_t ticket_id, int64_t message_id, bool with_token,
    pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_result result = {
		.ticket_id = ticket_id,
		.message_id = message_id,
		.duplicate = true,
	};
	struct store_ticket ticket;

	if (store_ticket_get(pipeline->context.store, ticket_id, &ticket) != 1) {
		pipeline_answer_error(pipeline, channel, HUB_ANSWER_FAILED,
		    NULL, done, arg, started);
		return;
	}
	memcpy(result.code, ticket.code, sizeof(result.code));
	snprintf(result.language, sizeof(result.language), "%s",
	    ticket.language != NULL ? ticket.language : HUB_LANGUAGE_DEFAULT);
	store_ticket_clear(&ticket);
	pipeline_answer_ticket(pipeline, channel, &result, true, with_token,
	    done, arg, started);
}
