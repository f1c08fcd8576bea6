#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "pipeline_stages.h"
#include "store.h"

struct pipeline {
	struct pipeline_context context;
	struct pipeline_pending *pending;
	size_t in_flight;	/* requests and waiters not yet answered */
	bool closed;
};

/* A repeat that arrived while its original was still being committed. */
struct pipeline_waiter {
	pipeline_done_fn done;
	void *arg;
	double started;
	struct pipeline_waiter *next;
};

/* One message on its way through the stages. While its job is queued or
 * running, only the store thread touches message, result and error. */
struct pipeline_request {
	struct pipeline *pipeline;
	struct hub_message *message;
	pipeline_done_fn done;
	void *arg;
	double started;
	struct store_job job;
	char *external_key;
	char *idempotency_key;
	struct pipeline_waiter *waiters;
	struct pipeline_result result;
};

static double
pipeline_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
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

/* --- Answers --------------------------------------------------------------- */

static void
pipeline_count(struct pipeline *pipeline, const char *channel,
    const char *outcome, double started)
{
	if (pipeline->context.metrics != NULL)
		metrics_pipeline(pipeline->context.metrics, channel, outcome,
		    pipeline_now() - started);
}

static void
pipeline_answer_error(struct pipeline *pipeline, const char *channel,
    enum hub_answer_status status, const struct hub_error *error,
    pipeline_done_fn done, void *arg, double started)
{
	struct hub_answer answer = { .status = status };

	if (error != NULL)
		answer.error = *error;
	else
		hub_error_set(&answer.error, HUB_ERR_UNAVAILABLE, NULL, 0);
	log_trace(LOG_TRACE_PIPELINE, "pipeline", "message not stored "
	    "channel=%s status=%d error=%d field=%s", channel, status,
	    answer.error.code, answer.error.field);
	done(&answer, arg);
	pipeline_count(pipeline, channel,
	    status == HUB_ANSWER_REJECTED ? "rejected" : "failed", started);
}

/* Answers with the ticket of result: acknowledgement text, access token. */
static void
pipeline_answer_ticket(struct pipeline *pipeline, const char *channel,
    const struct pipeline_result *result, bool duplicate,
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
	    result->code, token, result->language);
	ack = pipeline_acknowledge(context->templates, result->language,
	    result->code, status_url);
	if (ack == NULL)
		log_error("pipeline", "acknowledgement not rendered "
		    "template=ack.txt language=%s ticket=%lld",
		    result->language, (long long)result->ticket_id);
	answer.access_token = token;
	answer.ack_text = ack != NULL ? ack : "";

	done(&answer, arg);
	pipeline_count(pipeline, channel, duplicate ? "duplicate" :
	    result->created ? "created" : "joined", started);
	free(ack);
	free(status_url);
}

/* Answers a repeat of a committed message from the store. */
static void
pipeline_answer_stored(struct pipeline *pipeline, const char *channel,
    int64_t ticket_id, int64_t message_id, pipeline_done_fn done, void *arg,
    double started)
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
	pipeline_answer_ticket(pipeline, channel, &result, true, done, arg,
	    started);
}

/* --- dedupe ------------------------------------------------------------------ */

static int
pipeline_wait_for(struct pipeline *pipeline, struct pipeline_request *original,
    pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_waiter *waiter = calloc(1, sizeof(*waiter));

	if (waiter == NULL)
		return -1;
	waiter->done = done;
	waiter->arg = arg;
	waiter->started = started;
	waiter->next = original->waiters;
	original->waiters = waiter;
	pipeline->in_flight++;
	return 0;
}

/* Answers a repeated Idempotency-Key. Returns 1 when answered (or queued
 * behind its original), 0 when the key is new. */
static int
pipeline_dedupe_idempotency(struct pipeline *pipeline,
    const struct hub_message *message, const char *key,
    pipeline_done_fn done, void *arg, double started)
{
	const struct pipeline_context *context = &pipeline->context;
	struct pipeline_request *original;
	uint8_t hash[32];
	int64_t ticket_id, message_id, not_before;
	struct hub_error error;
	int found;

	hub_error_set(&error, HUB_ERR_IDEMPOTENCY_MISMATCH, "Idempotency-Key", 0);
	original = pipeline_pending_find(pipeline->pending, key);
	if (original != NULL) {
		if (sodium_memcmp(original->message->idempotency_body_hash,
		    message->idempotency_body_hash, sizeof(hash)) != 0)
			goto mismatch;
		if (pipeline_wait_for(pipeline, original, done, arg, started) == 0)
			return 1;
		goto failed;
	}
	not_before = pipeline_wall_ms() -
	    (int64_t)context->config->idempotency_hours * 3600 * 1000;
	found = store_idempotency_find(context->store, message->idempotency_route,
	    message->idempotency_key, not_before, hash, &ticket_id, &message_id);
	if (found == 0)
		return 0;
	if (found < 0)
		goto failed;
	if (sodium_memcmp(hash, message->idempotency_body_hash,
	    sizeof(hash)) != 0)
		goto mismatch;
	pipeline_answer_stored(pipeline, message->channel, ticket_id,
	    message_id, done, arg, started);
	return 1;

mismatch:
	pipeline_answer_error(pipeline, message->channel, HUB_ANSWER_REJECTED,
	    &error, done, arg, started);
	return 1;
failed:
	pipeline_answer_error(pipeline, message->channel, HUB_ANSWER_FAILED,
	    NULL, done, arg, started);
	return 1;
}

/* Answers a repeated (channel, external id). Returns 1 or 0 as above. */
static int
pipeline_dedupe_external(struct pipeline *pipeline,
    const struct hub_message *message, const char *key,
    pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_request *original;
	int64_t ticket_id, message_id;
	int found;

	original = pipeline_pending_find(pipeline->pending, key);
	if (original != NULL) {
		if (pipeline_wait_for(pipeline, original, done, arg, started) == 0)
			return 1;
		found = -1;
	} else {
		found = store_message_find_external(pipeline->context.store,
		    message->channel, message->external_id, &ticket_id,
		    &message_id);
		if (found == 0)
			return 0;
	}
	if (found < 0)
		pipeline_answer_error(pipeline, message->channel,
		    HUB_ANSWER_FAILED, NULL, done, arg, started);
	else
		pipeline_answer_stored(pipeline, message->channel, ticket_id,
		    message_id, done, arg, started);
	return 1;
}

/* --- The store job: identify, thread, persist -------------------------------- */

static int
pipeline_apply(struct store_tx *tx, void *arg)
{
	struct pipeline_request *request = arg;
	struct pipeline_result *result = &request->result;
	struct pipeline_identity identity;
	int64_t ticket_id;
	int rc;

	if (pipeline_identify(tx, request->message, &identity) != 0)
		return -1;
	if (pipeline_thread(tx, request->message, &identity, &ticket_id) != 0)
		return -1;
	/* Classification, routing and the deadline take their place here,
	 * between threading and persisting. */
	rc = pipeline_persist(tx, request->message, &identity, ticket_id,
	    result);
	if (rc >= 0 && !result->created &&
	    ticket_code_encode(store_code_key(request->pipeline->context.store),
	    (uint64_t)result->ticket_id, result->code) != 0)
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
		    result == 1, request->done, request->arg, request->started);
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
			    &request->result, true, waiter->done, waiter->arg,
			    waiter->started);
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
		message->received_at_ms = pipeline_wall_ms();
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
