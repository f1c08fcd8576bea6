#include <stdbool.h>

#include "lifecycle.h"
#include "log.h"
#include "pipeline_stages.h"
#include "reference.h"
#include "store.h"
#include "store_casework.h"
#include "store_mail.h"
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

/*
 * Decides whether the message may join ticket_id, following merged_into to
 * the ticket that took its messages: yes when that ticket is open, or
 * resolved within the reopen window (then target->reopen is set). An
 * automatic message never reopens a ticket, so only an open one takes it.
 * Returns 1 and fills target, 0 when the message must not join, -1 on
 * error.
 */
static int
thread_candidate(struct store_tx *tx, const struct hub_message *message,
    int64_t ticket_id, int64_t reopen_window_ms,
    struct pipeline_thread_target *target)
{
	struct store_casework_ticket ticket;
	int found = store_tx_casework_ticket_final(tx, ticket_id, &ticket);

	if (found <= 0)
		return found;
	if (lifecycle_is_open(ticket.status)) {
		target->ticket_id = ticket.id;
		target->reopen = false;
		return 1;
	}
	if (!message->automatic && lifecycle_reopens(ticket.status,
	    ticket.resolved_at,
	    message->received_at_ms, reopen_window_ms)) {
		target->ticket_id = ticket.id;
		target->reopen = true;
		return 1;
	}
	return 0;
}

/* The first of the message's references that the hub made (see
 * reference.h) and whose ticket may take the message. A reference is
 * checked by its keyed hash, so no contact check is needed. */
static int
thread_by_own_reference(struct store_tx *tx, const struct hub_message *message,
    const uint8_t *reference_key, int64_t reopen_window_ms,
    struct pipeline_thread_target *target)
{
	for (int i = 0; i < message->reference_count; i++) {
		int64_t ticket_id, message_id;
		int allowed;

		if (reference_parse(reference_key, message->references[i],
		    &ticket_id, &message_id) != 1)
			continue;
		allowed = thread_candidate(tx, message, ticket_id,
		    reopen_window_ms, target);
		if (allowed != 0)
			return allowed < 0 ? -1 : 0;
		log_trace(LOG_TRACE_PIPELINE, "pipeline", "own reference not "
		    "joined ticket=%lld message=%lld", (long long)ticket_id,
		    (long long)message_id);
	}
	return 0;
}

/* The ticket of the first of the message's references that an earlier
 * message of the same channel carried as its own reference, when one of
 * the message's verified contacts is already on that ticket. A citizen's
 * Message-ID is no secret (everyone in Cc sees it), so quoting it must not
 * let a stranger into the ticket. */
static int
thread_by_channel_reference(struct store_tx *tx,
    const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t reopen_window_ms,
    struct pipeline_thread_target *target)
{
	for (int i = 0; i < message->reference_count; i++) {
		struct pipeline_thread_target candidate;
		int64_t ticket_id;
		int found = store_tx_message_find_reference(tx,
		    message->channel, message->references[i], &ticket_id);

		if (found == 1)
			found = thread_candidate(tx, message, ticket_id,
			    reopen_window_ms, &candidate);
		if (found == 1)
			found = thread_verified_on_ticket(tx, message, identity,
			    candidate.ticket_id);
		if (found < 0)
			return -1;
		if (found == 1) {
			*target = candidate;
			return 0;
		}
	}
	return 0;
}

static int
thread_by_code(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, int64_t reopen_window_ms,
    struct pipeline_thread_target *target)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	const char *texts[] = { message->subject, message->body };
	struct pipeline_thread_target candidate;
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
		allowed = thread_candidate(tx, message, found_id,
		    reopen_window_ms, &candidate);
		if (allowed == 1)
			allowed = thread_verified_on_ticket(tx, message,
			    identity, candidate.ticket_id);
		if (allowed < 0)
			return -1;
		if (allowed == 1) {
			*target = candidate;
			return 0;
		}
		log_trace(LOG_TRACE_PIPELINE, "pipeline", "quoted code not "
		    "joined ticket=%lld open=%d", (long long)found_id, open);
	}
	return 0;
}

/* The open ticket of the conversation, else its newest ticket when that one
 * (or the ticket it was merged into) is open or may be reopened. With a
 * conversation window, only tickets changed within it count. */
static int
thread_by_conversation(struct store_tx *tx, const struct hub_message *message,
    int64_t reopen_window_ms, struct pipeline_thread_target *target)
{
	int64_t ticket_id = 0, since = 0;
	int found;

	if (message->conversation_window_ms > 0)
		since = message->received_at_ms -
		    message->conversation_window_ms;
	found = store_tx_ticket_find_conversation(tx, message->channel,
	    message->conversation_key, since, &ticket_id);
	if (found != 0) {
		target->ticket_id = found == 1 ? ticket_id : 0;
		return found < 0 ? -1 : 0;
	}
	found = store_tx_casework_conversation_latest(tx, message->channel,
	    message->conversation_key, since, &ticket_id);
	if (found == 1)
		found = thread_candidate(tx, message, ticket_id,
		    reopen_window_ms, target);
	return found < 0 ? -1 : 0;
}

int
pipeline_thread(struct store_tx *tx, const struct hub_message *message,
    const struct pipeline_identity *identity, const uint8_t *reference_key,
    int64_t reopen_window_ms, struct pipeline_thread_target *target)
{
	target->ticket_id = 0;
	target->reopen = false;
	if (message->new_ticket)
		return 0;
	if (reference_key != NULL && thread_by_own_reference(tx, message,
	    reference_key, reopen_window_ms, target) != 0)
		return -1;
	if (target->ticket_id != 0)
		return 0;
	if (thread_by_channel_reference(tx, message, identity, reopen_window_ms,
	    target) != 0)
		return -1;
	if (target->ticket_id != 0)
		return 0;
	if (thread_by_code(tx, message, identity, reopen_window_ms,
	    target) != 0)
		return -1;
	if (target->ticket_id != 0 || message->conversation_key == NULL)
		return 0;
	return thread_by_conversation(tx, message, reopen_window_ms, target);
}
