/*
 * The pipeline's shared state, for pipeline.c, pipeline_answer.c and
 * pipeline_dedupe.c only.
 */
#ifndef HUB_PIPELINE_INTERNAL_H
#define HUB_PIPELINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

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
	bool with_token;	/* the repeat proved it is the same request */
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
	struct hub_error error;	/* when the job returns PIPELINE_REJECTED */
};

/* Return value of the store job when a stage rejected the message. The
 * job's savepoint is rolled back, so nothing of the message is stored. */
#define PIPELINE_REJECTED 2
/* Return value of the store job when an automatic message found no open
 * ticket to join. The job is rolled back like a rejection, and the channel
 * gets HUB_ANSWER_DROPPED. */
#define PIPELINE_DROPPED 3

/* Seconds on the monotonic clock, and wall time in Unix milliseconds. */
double pipeline_now(void);
int64_t pipeline_wall_ms(void);

/* --- Answers (pipeline_answer.c) --- */

/* Counts one outcome in the metrics. */
void pipeline_count(struct pipeline *pipeline, const char *channel,
    const char *outcome, double started);

/* Answers that nothing was stored: status is HUB_ANSWER_REJECTED with
 * error, HUB_ANSWER_FAILED (error NULL: the store is unavailable), or
 * HUB_ANSWER_DROPPED (error NULL: an automatic message with no open ticket
 * to join, with error code HUB_OK). */
void pipeline_answer_error(struct pipeline *pipeline, const char *channel,
    enum hub_answer_status status, const struct hub_error *error,
    pipeline_done_fn done, void *arg, double started);

/* Answers with the ticket of result and its acknowledgement text. The
 * access token, and the status link that carries it, go only with
 * with_token: to the original sender, and to a repeat that proved it is the
 * same request (the same Idempotency-Key and body). A repeated external id
 * proves nothing, because a client chooses it. */
void pipeline_answer_ticket(struct pipeline *pipeline, const char *channel,
    const struct pipeline_result *result, bool duplicate, bool with_token,
    pipeline_done_fn done, void *arg, double started);

/* Answers a repeat of a committed message from the store. */
void pipeline_answer_stored(struct pipeline *pipeline, const char *channel,
    int64_t ticket_id, int64_t message_id, bool with_token,
    pipeline_done_fn done, void *arg, double started);

/* --- Repeats (pipeline_dedupe.c) --- */

/* Answers a repeated Idempotency-Key, or a repeated (channel, external id).
 * Each returns 1 when the message was answered (or queued behind its
 * original), 0 when it is new. */
int pipeline_dedupe_idempotency(struct pipeline *pipeline,
    const struct hub_message *message, const char *key,
    pipeline_done_fn done, void *arg, double started);
int pipeline_dedupe_external(struct pipeline *pipeline,
    const struct hub_message *message, const char *key,
    pipeline_done_fn done, void *arg, double started);

#endif
