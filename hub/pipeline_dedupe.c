#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "config.h"
#include "pipeline_internal.h"

/* Keys join their parts with a byte that normalized text cannot contain
 * (control characters are rejected in one-line fields), so "a"+"bc" and
 * "ab"+"c" stay apart. */
#define DEDUPE_SEPARATOR '\x1f'

static char *
dedupe_key(char kind, const char *first, const char *second)
{
	char *key = NULL;

	if (asprintf(&key, "%c%c%s%c%s", kind, DEDUPE_SEPARATOR, first,
	    DEDUPE_SEPARATOR, second) < 0)
		return NULL;
	return key;
}

char *
pipeline_dedupe_external_key(const struct hub_message *message)
{
	if (message->external_id == NULL)
		return NULL;
	return dedupe_key('e', message->channel, message->external_id);
}

char *
pipeline_dedupe_idempotency_key(const struct hub_message *message)
{
	if (message->idempotency_key == NULL || message->idempotency_route == NULL)
		return NULL;
	return dedupe_key('i', message->idempotency_route,
	    message->idempotency_key);
}

static int
pipeline_wait_for(struct pipeline *pipeline, struct pipeline_request *original,
    bool with_token, pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_waiter *waiter = calloc(1, sizeof(*waiter));

	if (waiter == NULL)
		return -1;
	waiter->done = done;
	waiter->arg = arg;
	waiter->started = started;
	waiter->with_token = with_token;
	waiter->next = original->waiters;
	original->waiters = waiter;
	pipeline->in_flight++;
	return 0;
}

int
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
		if (pipeline_wait_for(pipeline, original, true, done, arg,
		    started) == 0)
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
	    message_id, true, done, arg, started);
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

int
pipeline_dedupe_external(struct pipeline *pipeline,
    const struct hub_message *message, const char *key,
    pipeline_done_fn done, void *arg, double started)
{
	struct pipeline_request *original;
	int64_t ticket_id, message_id;
	int found;

	original = pipeline_pending_find(pipeline->pending, key);
	if (original != NULL) {
		if (pipeline_wait_for(pipeline, original, false, done, arg,
		    started) == 0)
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
		    message_id, false, done, arg, started);
	return 1;
}
