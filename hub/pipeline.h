/*
 * The ticket pipeline. Every message from every channel passes the same
 * stages, in this order:
 *
 *   normalize  valid UTF-8, NFC, trimmed, within the configured limits
 *   dedupe     a repeated (channel, external id) or Idempotency-Key gets the
 *              first answer; one that arrives while its original is still
 *              uncommitted waits for that commit
 *   identify   the citizen from a verified contact, else a new citizen
 *   thread     an open ticket the message belongs to, else a new one
 *   classify   new tickets only: category from the channel or the keywords
 *   route      department of the category or triage; commune from the address
 *   deadline   due time from the category's policy and the working calendar
 *   persist    one savepoint in the next group commit, outbox rows included
 *   acknowledge  the template reply with the ticket code
 *   publish    in-process events for the live console
 *
 * normalize and dedupe run on the main thread at submit; identify, thread,
 * classify, route, deadline and persist run on the store thread inside the batch transaction, so that
 * each message sees those committed before it; acknowledge and publish run
 * on the main thread after the commit.
 */
#ifndef HUB_PIPELINE_H
#define HUB_PIPELINE_H

#include <stddef.h>

#include "message.h"

struct hub_config;
struct store;
struct templates;
struct events;
struct metrics;
struct pipeline;

struct pipeline_context {
	const struct hub_config *config;
	struct store *store;
	struct templates *templates;
	struct events *events;		/* may be NULL */
	struct metrics *metrics;	/* may be NULL */
};

typedef void (*pipeline_done_fn)(const struct hub_answer *answer, void *arg);

struct pipeline *pipeline_new(const struct pipeline_context *context);

/* Takes message (also on failure) and calls done exactly once, possibly
 * before returning (a rejection or a committed duplicate). Returns 0, or -1
 * when the pipeline is closed; done is not called then. */
int pipeline_submit(struct pipeline *pipeline, struct hub_message *message,
    pipeline_done_fn done, void *arg);

/* Messages submitted and not yet answered. */
size_t pipeline_in_flight(const struct pipeline *pipeline);

/* Stops taking messages; those in flight are still answered. */
void pipeline_close(struct pipeline *pipeline);

void pipeline_free(struct pipeline *pipeline);

#endif
