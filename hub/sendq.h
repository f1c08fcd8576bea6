/*
 * The send queue: outbound messages stored with delivery_status "queued"
 * go out through the module of their channel.
 *
 * The queue lives in the store, so a restart resumes it: the queue scans
 * the store for messages that are due when it starts, when a
 * "message.queued" event {ticket_id, message_id} is published, when an
 * outcome frees a place, and at least every replies.poll_interval_seconds.
 * At most replies.max_in_flight sends wait for their outcome at a time.
 *
 * Each outcome is stored before it is published as "message.delivery"
 * {ticket_id, message_id, delivery_status}: sent or delivered (see
 * hub_send_done_fn in channel.h), queued again after a temporary failure
 * with a delay that doubles per attempt (replies.retry_base_seconds up to
 * replies.retry_max_seconds, with jitter), or failed with the reason in
 * delivery_detail: a channel that is not loaded or cannot send, a refusal,
 * a permanent failure, or replies.max_attempts temporary ones. A channel
 * that gives no outcome within replies.send_timeout_seconds counts as a
 * temporary failure.
 *
 * Delivery is at least once: a message whose outcome was not stored when
 * the daemon stopped is still queued and is sent again after the restart.
 *
 * Everything here runs on the main thread.
 */
#ifndef HUB_SENDQ_H
#define HUB_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "replies.h"

struct sendq;

/* Times in milliseconds, so that unit tests can use short ones. */
struct sendq_options {
	int64_t poll_interval_ms;
	int max_in_flight;
	int max_attempts;
	int64_t retry_base_ms;
	int64_t retry_max_ms;
	int64_t send_timeout_ms;
	bool paused;		/* scan nothing and send nothing */
};

/* The options of the replies section of config. */
void sendq_options_from_config(const struct hub_config *config,
    struct sendq_options *options);

/* Creates the queue; it sends nothing before sendq_start. Returns NULL
 * when out of memory. */
struct sendq *sendq_new(const struct replies_context *context,
    const struct sendq_options *options);

/* Subscribes to "message.queued" and scans the store at once. Returns 0,
 * or -1 when out of memory. */
int sendq_start(struct sendq *sendq);

/* Scans the store for due messages on the next turn of the loop. */
void sendq_wake(struct sendq *sendq);

/* Starts no new send; outcomes of sends in flight are still stored. */
void sendq_stop(struct sendq *sendq);

/* Stops touching the store, which is about to close: outcomes that come
 * later are logged and dropped, and their messages stay queued. */
void sendq_close(struct sendq *sendq);

/* Frees the queue. Call it after the channels are freed, because a module
 * may report an outcome while it stops. */
void sendq_free(struct sendq *sendq);

/* Sends waiting for their outcome or for its store write. */
size_t sendq_in_flight(const struct sendq *sendq);

/* The completion that the queue gives to every module's send. It finds the
 * queue through the channel's host. */
void sendq_send_done(struct hub_channel *channel, int64_t message_id,
    int status, const char *detail);

/* Stores a channel's delivery report (see hub_channel_delivery). Returns 0,
 * or -1 when the queue is closed or out of memory. */
int sendq_delivery_report(struct sendq *sendq, struct hub_channel *channel,
    int64_t message_id, enum hub_delivery_status status, const char *detail);

/*
 * Returns the wait before the next attempt after attempt sends (1 or
 * more) failed for now: base_ms * 2^(attempt - 1), at most max_ms. The
 * wait is then scaled by a jitter factor from 0.5 to 1, which random (0
 * to 1) picks, so that messages that failed together do not come back
 * together.
 */
int64_t sendq_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms,
    double random);

#endif
