/*
 * Host functions of channel.h for replies: delivery reports, the messages
 * of the status page and satisfaction ratings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "module.h"
#include "sendq.h"
#include "store.h"
#include "store_replies.h"

/* One rating on its way to the store. */
struct channel_rating {
	struct store_job job;
	struct store_rating rating;
	char code[TICKET_CODE_PLAIN_SIZE];
	hub_rate_done_fn done;
	void *arg;
};

int
hub_channel_delivery(struct hub_channel *channel, int64_t message_id,
    enum hub_delivery_status status, const char *detail)
{
	return sendq_delivery_report(channel->host->sendq, channel, message_id,
	    status, detail);
}

json_t *
hub_ticket_messages(struct hub_channel *channel, const char *code)
{
	const struct hub_config *config = channel->host->config;
	struct store_ticket ticket;
	json_t *messages;

	if (store_ticket_get_code(channel->host->store, code, &ticket) != 1)
		return NULL;
	messages = store_replies_messages_json(channel->host->store, ticket.id,
	    config->replies.show_agent_names);
	store_ticket_clear(&ticket);
	return messages;
}

static int
channel_rating_apply(struct store_tx *tx, void *arg)
{
	struct channel_rating *rating = arg;

	return store_tx_rating(tx, &rating->rating);
}

static void
channel_rating_done(int result, void *arg)
{
	struct channel_rating *rating = arg;
	enum hub_rating_result outcome = HUB_RATING_FAILED;

	if (result == 0) {
		switch (rating->rating.result) {
		case STORE_RATING_STORED:
			outcome = HUB_RATING_STORED;
			log_info("channel", "ticket rated ticket=%lld rating=%d "
			    "previous=%d", (long long)rating->rating.ticket_id,
			    rating->rating.rating, rating->rating.previous);
			break;
		case STORE_RATING_NOT_FOUND:
			outcome = HUB_RATING_NOT_FOUND;
			break;
		case STORE_RATING_NOT_RESOLVED:
			outcome = HUB_RATING_NOT_RESOLVED;
			break;
		case STORE_RATING_MERGED:
			outcome = HUB_RATING_MERGED;
			break;
		}
	} else
		log_error("channel", "rating not stored code=%s", rating->code);
	rating->done(outcome, rating->rating.previous, rating->arg);
	free(rating);
}

int
hub_ticket_rate(struct hub_channel *channel, const char *code, int rating,
    hub_rate_done_fn done, void *arg)
{
	struct channel_rating *job = calloc(1, sizeof *job);

	if (job == NULL)
		return -1;
	snprintf(job->code, sizeof job->code, "%s", code);
	job->rating = (struct store_rating){ .code = job->code,
	    .rating = rating, .at = clock_now_ms() };
	job->done = done;
	job->arg = arg;
	job->job = (struct store_job){ .apply = channel_rating_apply,
	    .done = channel_rating_done, .arg = job };
	if (store_submit(channel->host->store, &job->job) != 0) {
		free(job);
		return -1;
	}
	return 0;
}
