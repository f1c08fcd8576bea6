#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "events.h"
#include "pipeline_internal.h"
#include "reference.h"

#define PIPELINE_DAY_MS 86400000LL

double
pipeline_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
pipeline_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct pipeline *
pipeline_new(const struct pipeline_context *context)
{
	struct pipeline *pipeline = calloc(1, sizeof(*pipeline));

	if (pipeline == NULL)
		return NULL;
	pipeline->context = *context;
	pipeline->pending = pipeline_pending_new();
	if (pipeline->pending == NULL) {
		free(pipeline);
		return NULL;
	}
	return pipeline;
}

/* --- The store job: identify, thread, persist -------------------------------- */

/* Queues the acknowledgement of a new ticket when its channel asked for
 * one (pipeline_queue_ack). */
static int
pipeline_apply_ack(struct store_tx *tx, struct pipeline_request *request,
    const struct pipeline_identity *identity)
{
	const struct pipeline_context *context = &request->pipeline->context;
	const struct hub_config_replies *replies = &context->config->replies;
	struct pipeline_ack_limits limits = {
		.per_recipient = replies->ack_limit_per_recipient,
		.per_ticket = replies->ack_limit_per_ticket,
		.window_ms = (int64_t)replies->ack_limit_window_minutes *
		    60000,
	};
	struct pipeline_ack_text text = {
		.templates = context->templates,
		.token_key = store_token_key(context->store),
		.public_url = context->config->public_url,
	};

	return pipeline_queue_ack(tx, request->message, identity, &limits,
	    &text, &request->result);
}

static int
pipeline_apply(struct store_tx *tx, void *arg)
{
	struct pipeline_request *request = arg;
	struct pipeline_result *result = &request->result;
	const struct hub_config *config = request->pipeline->context.config;
	int64_t reopen_window_ms = (int64_t)config->desk_reopen_days *
	    PIPELINE_DAY_MS;
	struct pipeline_identity identity;
	struct pipeline_routing routing = { 0 };
	struct pipeline_thread_target target;
	uint8_t reference_key[REFERENCE_KEY_BYTES];
	int rc;

	rc = pipeline_identify(tx, request->message, &identity, &request->error);
	if (rc != 0)
		return rc == 1 ? PIPELINE_REJECTED : -1;
	reference_key_derive(store_token_key(request->pipeline->context.store),
	    reference_key);
	rc = pipeline_thread(tx, request->message, &identity, reference_key,
	    reopen_window_ms, &target);
	sodium_memzero(reference_key, sizeof reference_key);
	if (rc != 0)
		return -1;
	/* An automatic message never opens a ticket. */
	if (request->message->automatic && target.ticket_id == 0)
		return PIPELINE_DROPPED;
	/* A message that joins a ticket keeps the ticket's classification.
	 * The desk is taken once, so that classify, route and deadline use one
	 * version of it even while an admin edit is swapped in. */
	if (target.ticket_id == 0 && pipeline_classify(
	    desk_current(request->pipeline->context.config), request->message,
	    &routing) != 0)
		return -1;
	rc = pipeline_persist(tx, request->message, &identity,
	    target.ticket_id, &routing, result);
	if (rc >= 0 && !result->created &&
	    store_tx_ticket_code(tx, result->ticket_id, result->code) != 1)
		return -1;
	if (rc == 0 && target.reopen &&
	    pipeline_reopen(tx, request->message, result) != 0)
		return -1;
	if (rc == 0 && pipeline_apply_ack(tx, request, &identity) != 0)
		return -1;
	return rc;
}

static void
pipeline_request_free(struct pipeline_request *request)
{
	struct pipeline *pipeline = request->pipeline;

	if (request->external_key != NULL)
		pipeline_pending_remove(pipeline->pending, request->external_key);
	if (request->idempotency_key != NULL)
		pipeline_pending_remove(pipeline->pending,
		    request->idempotency_key);
	free(request->external_key);
	free(request->idempotency_key);
	hub_message_free(request->message);
	free(request);
}

/* Answers a job that stored nothing: a rejection, a dropped automatic
 * message or a failure. */
static void
pipeline_answer_unstored(struct pipeline *pipeline,
    const struct pipeline_request *request, int result,
    pipeline_done_fn done, void *arg, double started)
{
	const char *channel = request->message->channel;

	if (result == PIPELINE_REJECTED)
		pipeline_answer_error(pipeline, channel, HUB_ANSWER_REJECTED,
		    &request->error, done, arg, started);
	else if (result == PIPELINE_DROPPED)
		pipeline_answer_error(pipeline, channel, HUB_ANSWER_DROPPED,
		    NULL, done, arg, started);
	else
		pipeline_answer_error(pipeline, channel, HUB_ANSWER_FAILED,
		    NULL, done, arg, started);
}

/* Tells the send queue that an acknowledgement waits. */
static void
pipeline_publish_queued(struct events *events,
    const struct pipeline_result *result)
{
	json_t *payload;

	if (events == NULL)
		return;
	payload = json_pack("{s:I, s:I}", "ticket_id",
	    (json_int_t)result->ticket_id, "message_id",
	    (json_int_t)result->ack_message_id);
	if (payload == NULL) {
		log_error("pipeline", "message.queued not published: out of "
		    "memory ticket=%lld", (long long)result->ticket_id);
		return;
	}
	events_publish(events, "message.queued", payload);
	json_decref(payload);
}

/* Runs on the main thread once the batch holding the request committed:
 * acknowledge, publish, and answer the repeats that waited. */
static void
pipeline_job_done(int result, void *arg)
{
	struct pipeline_request *request = arg;
	struct pipeline *pipeline = request->pipeline;
	const char *channel = request->message->channel;
	struct pipeline_waiter *waiter, *next;
	bool stored = result == 0 || result == 1;

	if (result == PIPELINE_DROPPED)
		log_info("pipeline", "automatic message dropped: no open "
		    "ticket to join channel=%s reference=%s", channel,
		    request->message->reference != NULL ?
		    request->message->reference : "-");
	if (stored)
		pipeline_answer_ticket(pipeline, channel, &request->result,
		    result == 1, result == 0, request->done, request->arg,
		    request->started);
	else
		pipeline_answer_unstored(pipeline, request, result,
		    request->done, request->arg, request->started);
	pipeline->in_flight--;
	if (result == 0)
		pipeline_publish(pipeline->context.events, request->message,
		    &request->result);
	if (result == 0 && request->result.ack_message_id != 0)
		pipeline_publish_queued(pipeline->context.events,
		    &request->result);

	for (waiter = request->waiters; waiter != NULL; waiter = next) {
		next = waiter->next;
		if (stored)
			pipeline_answer_ticket(pipeline, channel,
			    &request->result, true, waiter->with_token,
			    waiter->done, waiter->arg, waiter->started);
		else
			pipeline_answer_unstored(pipeline, request, result,
			    waiter->done, waiter->arg, waiter->started);
		pipeline->in_flight--;
		free(waiter);
	}
	pipeline_request_free(request);
}

/* --- Submit ------------------------------------------------------------------ */

static struct pipeline_request *
pipeline_request_new(struct pipeline *pipeline, struct hub_message *message,
    pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_request *request = calloc(1, sizeof(*request));

	if (request == NULL)
		return NULL;
	request->pipeline = pipeline;
	request->message = message;
	request->done = done;
	request->arg = arg;
	request->started = started;
	request->job.apply = pipeline_apply;
	request->job.done = pipeline_job_done;
	request->job.arg = request;
	return request;
}

/* Registers the request's dedupe keys, taking ownership of them. */
static int
pipeline_request_register(struct pipeline_request *request,
    char *external_key, char *idempotency_key)
{
	struct pipeline_pending *pending = request->pipeline->pending;

	if (external_key != NULL) {
		if (pipeline_pending_add(pending, external_key, request) != 0)
			goto fail;
		request->external_key = external_key;
		external_key = NULL;
	}
	if (idempotency_key != NULL) {
		if (pipeline_pending_add(pending, idempotency_key, request) != 0)
			goto fail;
		request->idempotency_key = idempotency_key;
	}
	return 0;
fail:
	free(external_key);
	free(idempotency_key);
	return -1;
}

/* Runs normalize and dedupe. Returns 1 when the message was answered here,
 * 0 when it goes on to the store; *keys receive its dedupe keys. */
static int
pipeline_admit(struct pipeline *pipeline, struct hub_message *message,
    pipeline_done_fn done, void *arg, double started, char **external_key,
    char **idempotency_key)
{
	struct hub_error error;

	if (pipeline_normalize(message, &pipeline->context.config->limits,
	    &error) != 0) {
		/* An internal error (out of memory) is no fault of the
		 * message: the channel's peer may try again. */
		if (error.code == HUB_ERR_INTERNAL)
			pipeline_answer_error(pipeline, message->channel,
			    HUB_ANSWER_FAILED, NULL, done, arg, started);
		else
			pipeline_answer_error(pipeline, message->channel,
			    HUB_ANSWER_REJECTED, &error, done, arg, started);
		return 1;
	}
	*idempotency_key = pipeline_dedupe_idempotency_key(message);
	if (*idempotency_key != NULL && pipeline_dedupe_idempotency(pipeline,
	    message, *idempotency_key, done, arg, started) == 1)
		return 1;
	*external_key = pipeline_dedupe_external_key(message);
	if (*external_key != NULL && pipeline_dedupe_external(pipeline,
	    message, *external_key, done, arg, started) == 1)
		return 1;
	return 0;
}

int
pipeline_submit(struct pipeline *pipeline, struct hub_message *message,
    pipeline_done_fn done, void *arg)
{
	double started = pipeline_now();
	char *external_key = NULL, *idempotency_key = NULL;
	struct pipeline_request *request;

	if (pipeline->closed) {
		hub_message_free(message);
		return -1;
	}
	if (message->received_at_ms == 0)
		message->received_at_ms = clock_now_ms();
	if (pipeline_admit(pipeline, message, done, arg, started,
	    &external_key, &idempotency_key) == 1) {
		free(external_key);
		free(idempotency_key);
		hub_message_free(message);
		return 0;
	}

	request = pipeline_request_new(pipeline, message, done, arg, started);
	if (request == NULL || pipeline_request_register(request, external_key,
	    idempotency_key) != 0 ||
	    store_submit(pipeline->context.store, &request->job) != 0) {
		log_error("pipeline", "message not queued for the store "
		    "channel=%s", message->channel);
		pipeline_answer_error(pipeline, message->channel,
		    HUB_ANSWER_FAILED, NULL, done, arg, started);
		if (request != NULL)
			pipeline_request_free(request);
		else
			hub_message_free(message);
		return 0;
	}
	pipeline->in_flight++;
	return 0;
}

size_t
pipeline_in_flight(const struct pipeline *pipeline)
{
	return pipeline->in_flight;
}

void
pipeline_close(struct pipeline *pipeline)
{
	pipeline->closed = true;
}

void
pipeline_free(struct pipeline *pipeline)
{
	if (pipeline == NULL)
		return;
	if (pipeline->in_flight > 0)
		log_warn("pipeline", "freed with messages in flight count=%zu",
		    pipeline->in_flight);
	pipeline_pending_free(pipeline->pending);
	free(pipeline);
}
