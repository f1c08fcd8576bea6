#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "module.h"
#include "notice.h"
#include "store.h"
#include "store_sendq.h"

struct notices {
	struct replies_context context;
	int subscription;
	bool stopped;
};

/* One notice on its way to the store. */
struct notice_job {
	struct notices *notices;
	struct store_job job;
	struct store_sendq_new message;
	char *channel;
	char *body;
};

static bool
notice_wanted(const struct hub_config *config, const char *to)
{
	char **status = config->replies.notice_statuses;

	for (; status != NULL && *status != NULL; status++)
		if (strcmp(*status, to) == 0)
			return true;
	return false;
}

static void
notice_job_free(struct notice_job *job)
{
	free(job->channel);
	free(job->body);
	free(job);
}

static int
notice_apply(struct store_tx *tx, void *arg)
{
	struct notice_job *job = arg;

	return store_tx_sendq_add(tx, &job->message);
}

static void
notice_done(int result, void *arg)
{
	struct notice_job *job = arg;
	const struct replies_context *context = &job->notices->context;
	json_t *payload;

	if (result != 0) {
		log_error("notice", "notice not stored ticket=%lld",
		    (long long)job->message.ticket_id);
		notice_job_free(job);
		return;
	}
	log_info("notice", "notice queued ticket=%lld message=%lld channel=%s",
	    (long long)job->message.ticket_id, (long long)job->message.id,
	    job->channel);
	payload = json_pack("{s:I, s:I}", "ticket_id",
	    (json_int_t)job->message.ticket_id, "message_id",
	    (json_int_t)job->message.id);
	if (payload != NULL)
		events_publish(context->events, "message.queued", payload);
	else
		log_error("notice", "message.queued not published: out of "
		    "memory message=%lld", (long long)job->message.id);
	json_decref(payload);
	notice_job_free(job);
}

static bool
notice_channel_sends(const struct hub_channel *channel)
{
	return (channel->module->capabilities & HUB_CHANNEL_OUTBOUND) != 0 &&
	    channel->module->send != NULL;
}

/*
 * Returns the channel a notice goes out on: the citizen's channel when it
 * can send. When it cannot, as for the hotline, the notice goes to "sms" if
 * the contact is a phone number and that channel can send. Otherwise the
 * result is NULL and no notice is queued, because it could only fail. A
 * channel that is not loaded keeps the notice, so that its failure shows
 * the operator what is missing.
 */
static const char *
notice_channel(const struct replies_context *context, const char *name,
    bool phone)
{
	const struct hub_channel *channel = context->find_channel(name,
	    context->find_channel_arg);

	if (channel == NULL || notice_channel_sends(channel))
		return name;
	if (!phone)
		return NULL;
	channel = context->find_channel("sms", context->find_channel_arg);
	return channel != NULL && notice_channel_sends(channel) ? "sms" : NULL;
}

/* Renders the notice of ticket_id's move to to and stores it. */
static void
notice_queue(struct notices *notices, int64_t ticket_id, const char *to)
{
	const struct replies_context *context = &notices->context;
	struct store_sendq_addressee addressee;
	struct notice_job *job = calloc(1, sizeof *job);
	int64_t contact_id = 0;
	bool merged = false, phone = false;
	const char *channel;
	int found;

	if (job == NULL) {
		log_error("notice", "notice not queued: out of memory "
		    "ticket=%lld", (long long)ticket_id);
		return;
	}
	found = store_sendq_notice_target(context->store, ticket_id,
	    &job->channel, &contact_id, &addressee, &merged, &phone);
	if (found != 1) {
		log_error("notice", "notice not queued: %s ticket=%lld",
		    found == 0 ? "no such ticket" : "reading the ticket failed",
		    (long long)ticket_id);
		notice_job_free(job);
		return;
	}
	/* A merged ticket is closed because its messages moved to another
	 * ticket; "closed" would mislead the citizen, whose report goes on. */
	if (merged) {
		log_debug("notice", "no notice for a merged ticket ticket=%lld "
		    "to=%s", (long long)ticket_id, to);
		store_sendq_addressee_clear(&addressee);
		notice_job_free(job);
		return;
	}
	channel = notice_channel(context, job->channel, phone);
	if (channel == NULL) {
		log_info("notice", "no notice: channel %s cannot send and the "
		    "citizen has no number for SMS ticket=%lld to=%s",
		    job->channel, (long long)ticket_id, to);
		store_sendq_addressee_clear(&addressee);
		notice_job_free(job);
		return;
	}
	if (strcmp(channel, job->channel) != 0) {
		free(job->channel);
		if ((job->channel = strdup(channel)) == NULL) {
			log_error("notice", "notice not queued: out of memory "
			    "ticket=%lld", (long long)ticket_id);
			store_sendq_addressee_clear(&addressee);
			notice_job_free(job);
			return;
		}
	}
	job->body = replies_render_notice(context, &addressee, job->channel,
	    to, replies_output(context->find_channel(job->channel,
	    context->find_channel_arg)));
	store_sendq_addressee_clear(&addressee);
	if (job->body == NULL) {
		log_error("notice", "notice not rendered ticket=%lld to=%s: %s",
		    (long long)ticket_id, to, strerror(errno));
		notice_job_free(job);
		return;
	}
	job->notices = notices;
	job->message = (struct store_sendq_new){
		.ticket_id = ticket_id,
		.kind = "ack",
		.channel = job->channel,
		.contact_id = contact_id,
		.body = job->body,
		.at = clock_now_ms(),
	};
	job->job = (struct store_job){ .apply = notice_apply,
	    .done = notice_done, .arg = job };
	if (store_submit(context->store, &job->job) != 0) {
		log_error("notice", "notice not queued: the store takes no work "
		    "ticket=%lld", (long long)ticket_id);
		notice_job_free(job);
	}
}

static void
notice_event(const char *event, const json_t *payload, void *arg)
{
	struct notices *notices = arg;
	const json_t *ticket_id = json_object_get(payload, "ticket_id");
	const char *from = json_string_value(json_object_get(payload, "from"));
	const char *to = json_string_value(json_object_get(payload, "to"));

	if (notices->stopped || strcmp(event, "ticket.status_changed") != 0)
		return;
	if (!json_is_integer(ticket_id) || to == NULL) {
		log_error("notice", "ticket.status_changed without ticket_id "
		    "or to ignored");
		return;
	}
	if ((from != NULL && strcmp(from, to) == 0) ||
	    !notice_wanted(notices->context.config, to))
		return;
	notice_queue(notices, json_integer_value(ticket_id), to);
}

struct notices *
notice_start(const struct replies_context *context)
{
	struct notices *notices;

	if (context->events == NULL)
		return NULL;
	notices = calloc(1, sizeof *notices);
	if (notices == NULL)
		return NULL;
	notices->context = *context;
	notices->subscription = events_subscribe(context->events, notice_event,
	    notices);
	if (notices->subscription < 0) {
		free(notices);
		return NULL;
	}
	return notices;
}

void
notice_stop(struct notices *notices)
{
	if (notices == NULL || notices->stopped)
		return;
	notices->stopped = true;
	events_unsubscribe(notices->context.events, notices->subscription);
}

void
notice_free(struct notices *notices)
{
	notice_stop(notices);
	free(notices);
}
