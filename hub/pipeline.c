#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "pipeline_internal.h"

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
	int rc;

	if (pipeline_identify(tx, request->message, &identity) != 0)
		return -1;
	if (pipeline_thread(tx, request->message, &identity, reopen_window_ms,
	    &target) != 0)
		return -1;
	/* A message that joins a ticket keeps the ticket's classification. */
	if (target.ticket_id == 0 && pipeline_classify(&config->desk,
	    request->message, &routing) != 0)
		return -1;
	rc = pipeline_persist(tx, request->message, &identity,
	    target.ticket_id, &routing, result);
	if (rc >= 0 && !result->created &&
	    store_tx_ticket_code(tx, result->ticket_id, result->code) != 1)
		return -1;
	if (rc == 0 && target.reopen &&
	    pipeline_reopen(tx, request->message, result) != 0)
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

	if (stored)
		pipeline_answer_ticket(pipeline, channel, &request->result,
		    result == 1, result == 0, request->done, request->arg,
		    request->started);
	else
		pipeline_answer_error(pipeline, channel, HUB_ANSWER_FAILED,
		    NULL, request->done, request->arg, request->started);
	pipeline->in_flight--;
	if (result == 0)
		pipeline_publish(pipeline->context.events, request->message,
		    &request->result);

	for (waiter = request->waiters; waiter != NULL; waiter = next) {
		next = waiter->next;
		if (stored)
			pipeline_answer_ticket(pipeline, channel,
			    &request->result, true, waiter->with_token,
			    waiter->done, waiter->arg, waiter->started);
		else
			pipeline_answer_error(pipeline, channel,
			    HUB_ANSWER_FAILED, NULL, waiter->done, waiter->arg,
			    waiter->started);
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
