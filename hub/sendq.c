#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "clock.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "module.h"
#include "sendq.h"
#include "store.h"
#include "store_mail.h"
#include "store_sendq.h"

/* Messages read from the store per scan query. */
#define SENDQ_SCAN_BATCH 32
#define SENDQ_DETAIL_MAX 256
#define SENDQ_CHANNEL_MAX 64

/* One send, from the call to the module until its outcome is stored. */
struct sendq_entry {
	struct sendq *sendq;
	int64_t message_id;
	int64_t ticket_id;
	int attempts;		/* sends made before this one */
	char channel[SENDQ_CHANNEL_MAX];
	unsigned int capabilities;	/* of the channel, 0 when not loaded */
	bool reported;		/* the outcome came, or the timeout */
	struct event *timeout;
	const char *metric;	/* sent, delivered, failed or retried */
	struct store_job job;
	struct store_sendq_outcome outcome;
	char detail[SENDQ_DETAIL_MAX];
	struct sendq_entry *next;
};

/* One delivery report on its way to the store. */
struct sendq_report {
	struct sendq *sendq;
	struct store_job job;
	struct store_sendq_report report;
	char channel[SENDQ_CHANNEL_MAX];
	char detail[SENDQ_DETAIL_MAX];
};

struct sendq {
	struct replies_context context;
	struct sendq_options options;
	struct event *timer;		/* the next scan */
	struct sendq_entry *entries;	/* sends in flight */
	size_t entry_count;
	size_t reports;			/* reports not stored yet */
	int subscription;		/* 0 before sendq_start */
	bool scanning;
	bool scan_again;		/* a wake came during the scan */
	bool stopping;			/* no new sends */
	bool closed;			/* the store is gone */
};

static void sendq_scan(struct sendq *sendq);

/* --- Backoff ------------------------------------------------------------- */

int64_t
sendq_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, double random)
{
	int64_t delay = base_ms;

	for (int i = 1; i < attempt && delay < max_ms; i++)
		delay *= 2;
	if (delay > max_ms)
		delay = max_ms;
	if (random < 0)
		random = 0;
	if (random > 1)
		random = 1;
	return (int64_t)((double)delay * (0.5 + random / 2));
}

static double
sendq_random(void)
{
	return (double)randombytes_uniform(1000001) / 1000000.0;
}

/* --- Options, creation and the timer ----------------------------------- */

void
sendq_options_from_config(const struct hub_config *config,
    struct sendq_options *options)
{
	const struct hub_config_replies *replies = &config->replies;

	*options = (struct sendq_options){
		.poll_interval_ms = replies->poll_interval_seconds * 1000LL,
		.max_in_flight = replies->max_in_flight,
		.max_attempts = replies->max_attempts,
		.retry_base_ms = replies->retry_base_seconds * 1000LL,
		.retry_max_ms = replies->retry_max_seconds * 1000LL,
		.send_timeout_ms = replies->send_timeout_seconds * 1000LL,
		.paused = replies->paused,
	};
}

static void
sendq_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	sendq_scan(arg);
}

struct sendq *
sendq_new(const struct replies_context *context,
    const struct sendq_options *options)
{
	struct sendq *sendq = calloc(1, sizeof *sendq);

	if (sendq == NULL)
		return NULL;
	sendq->context = *context;
	sendq->options = *options;
	sendq->timer = evtimer_new(context->base, sendq_timer_fired, sendq);
	if (sendq->timer == NULL) {
		free(sendq);
		return NULL;
	}
	return sendq;
}

static void
sendq_schedule(struct sendq *sendq, int64_t delay_ms)
{
	struct timeval delay = {
		.tv_sec = (time_t)(delay_ms / 1000),
		.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000,
	};

	if (sendq->closed)
		return;
	evtimer_add(sendq->timer, &delay);
}

void
sendq_wake(struct sendq *sendq)
{
	if (sendq->scanning)
		sendq->scan_again = true;
	else
		sendq_schedule(sendq, 0);
}

static void
sendq_event(const char *event, const json_t *payload, void *arg)
{
	if (strcmp(event, "message.queued") == 0)
		sendq_wake(arg);
}

int
sendq_start(struct sendq *sendq)
{
	if (sendq->context.events != NULL) {
		sendq->subscription = events_subscribe(sendq->context.events,
		    sendq_event, sendq);
		if (sendq->subscription < 0)
			return -1;
	}
	if (sendq->options.paused)
		log_warn("sendq", "send queue paused by replies.paused: queued "
		    "messages wait until it is set to false");
	log_info("sendq", "send queue started max_in_flight=%d "
	    "max_attempts=%d poll_interval_ms=%lld",
	    sendq->options.max_in_flight, sendq->options.max_attempts,
	    (long long)sendq->options.poll_interval_ms);
	sendq_wake(sendq);
	return 0;
}

/* --- Entries in flight -------------------------------------------------- */

static void
sendq_gauge(const struct sendq *sendq)
{
	if (sendq->context.metrics != NULL)
		metrics_set_send_in_flight(sendq->context.metrics,
		    (int64_t)sendq->entry_count);
}

static struct sendq_entry *
sendq_entry_find(struct sendq *sendq, const struct hub_channel *channel,
    int64_t message_id)
{
	struct sendq_entry *entry;

	for (entry = sendq->entries; entry != NULL; entry = entry->next)
		if (entry->message_id == message_id &&
		    strcmp(entry->channel, hub_channel_name(channel)) == 0)
			return entry;
	return NULL;
}

static void
sendq_entry_free(struct sendq_entry *entry)
{
	struct sendq *sendq = entry->sendq;
	struct sendq_entry **link;

	for (link = &sendq->entries; *link != NULL; link = &(*link)->next) {
		if (*link == entry) {
			*link = entry->next;
			sendq->entry_count--;
			break;
		}
	}
	sendq_gauge(sendq);
	if (entry->timeout != NULL)
		event_free(entry->timeout);
	free(entry);
}

/* The ids of the entries as a JSON array text, for the scan to leave out.
 * Caller frees; NULL when out of memory. */
static char *
sendq_exclude(const struct sendq *sendq)
{
	const struct sendq_entry *entry;
	size_t size = 3 + sendq->entry_count * 21, used = 1;
	char *text = malloc(size);

	if (text == NULL)
		return NULL;
	text[0] = '[';
	for (entry = sendq->entries; entry != NULL; entry = entry->next)
		used += (size_t)snprintf(text + used, size - used, "%s%lld",
		    used > 1 ? "," : "", (long long)entry->message_id);
	snprintf(text + used, size - used, "]");
	return text;
}

size_t
sendq_in_flight(const struct sendq *sendq)
{
	return sendq->entry_count + sendq->reports;
}

/* --- Outcomes ------------------------------------------------------------ */

static void
sendq_publish(struct sendq *sendq, int64_t ticket_id, int64_t message_id,
    const char *status)
{
	json_t *payload;

	if (sendq->context.events == NULL)
		return;
	payload = json_pack("{s:I, s:I, s:s}", "ticket_id",
	    (json_int_t)ticket_id, "message_id", (json_int_t)message_id,
	    "delivery_status", status);
	if (payload == NULL) {
		log_error("sendq", "message.delivery not published: out of "
		    "memory message=%lld", (long long)message_id);
		return;
	}
	events_publish(sendq->context.events, "message.delivery", payload);
	json_decref(payload);
}

static int
sendq_outcome_apply(struct store_tx *tx, void *arg)
{
	struct sendq_entry *entry = arg;

	return store_tx_sendq_outcome(tx, &entry->outcome);
}

static void
sendq_outcome_done(int result, void *arg)
{
	struct sendq_entry *entry = arg;
	struct sendq *sendq = entry->sendq;
	const struct store_sendq_outcome *outcome = &entry->outcome;

	if (result != 0)
		log_error("sendq", "outcome not stored, the message stays "
		    "queued message=%lld status=%s", (long long)entry->message_id,
		    outcome->status);
	else if (!outcome->applied)
		log_info("sendq", "outcome not stored: a delivery report took "
		    "the message out of the queue first message=%lld status=%s",
		    (long long)entry->message_id, outcome->status);
	else {
		if (sendq->context.metrics != NULL)
			metrics_send(sendq->context.metrics, entry->channel,
			    entry->metric);
		sendq_publish(sendq, outcome->ticket_id, entry->message_id,
		    outcome->status);
	}
	sendq_entry_free(entry);
	sendq_wake(sendq);
}

/* Fills the outcome of entry from the channel's status. */
static void
sendq_entry_outcome(struct sendq_entry *entry, int status, const char *detail)
{
	const struct sendq_options *options = &entry->sendq->options;
	struct store_sendq_outcome *outcome = &entry->outcome;
	int attempts = entry->attempts + 1;
	int64_t now = clock_now_ms();

	snprintf(entry->detail, sizeof entry->detail, "%s",
	    detail != NULL ? detail : "");
	*outcome = (struct store_sendq_outcome){
		.message_id = entry->message_id,
		.detail = entry->detail[0] != '\0' ? entry->detail : NULL,
		.at = now,
	};
	if (status == 0) {
		outcome->status = (entry->capabilities &
		    HUB_CHANNEL_DELIVERY_REPORTS) != 0 ? "sent" : "delivered";
		entry->metric = outcome->status;
	} else if (status == 1 && attempts < options->max_attempts) {
		outcome->status = "queued";
		outcome->next_attempt_at = now + sendq_backoff_ms(attempts,
		    options->retry_base_ms, options->retry_max_ms,
		    sendq_random());
		entry->metric = "retried";
	} else {
		if (status == 1)
			snprintf(entry->detail, sizeof entry->detail,
			    "gave up after %d attempts: %s", attempts,
			    detail != NULL ? detail : "failed for now");
		outcome->detail = entry->detail;
		outcome->status = "failed";
		entry->metric = "failed";
	}
}

/* Takes the outcome of entry's send and stores it. */
static void
sendq_entry_report(struct sendq_entry *entry, int status, const char *detail)
{
	struct sendq *sendq = entry->sendq;

	entry->reported = true;
	if (entry->timeout != NULL)
		evtimer_del(entry->timeout);
	sendq_entry_outcome(entry, status, detail);
	log_info("sendq", "send outcome message=%lld ticket=%lld channel=%s "
	    "status=%s attempt=%d", (long long)entry->message_id,
	    (long long)entry->ticket_id, entry->channel, entry->outcome.status,
	    entry->attempts + 1);
	/* The detail may quote a carrier's or an SMSC's response, which can
	 * echo the citizen's number and text, so it stays out of info. */
	if (entry->detail[0] != '\0')
		log_debug("sendq", "send outcome detail message=%lld detail=%s",
		    (long long)entry->message_id, entry->detail);
	if (sendq->closed) {
		log_warn("sendq", "outcome not stored while shutting down, the "
		    "message stays queued and is sent again after a restart "
		    "message=%lld", (long long)entry->message_id);
		sendq_entry_free(entry);
		return;
	}
	entry->job = (struct store_job){ .apply = sendq_outcome_apply,
	    .done = sendq_outcome_done, .arg = entry };
	if (store_submit(sendq->context.store, &entry->job) != 0) {
		log_error("sendq", "outcome not stored: the store takes no "
		    "work, the message stays queued message=%lld",
		    (long long)entry->message_id);
		sendq_entry_free(entry);
	}
}

void
sendq_send_done(struct hub_channel *channel, int64_t message_id, int status,
    const char *detail)
{
	struct sendq *sendq = channel->host->sendq;
	struct sendq_entry *entry = sendq != NULL ?
	    sendq_entry_find(sendq, channel, message_id) : NULL;

	if (entry == NULL || entry->reported) {
		log_warn("sendq", "outcome for a message not in flight ignored "
		    "channel=%s message=%lld status=%d",
		    hub_channel_name(channel), (long long)message_id, status);
		return;
	}
	sendq_entry_report(entry, status, detail);
}

static void
sendq_timeout_fired(evutil_socket_t fd, short what, void *arg)
{
	struct sendq_entry *entry = arg;
	char detail[96];

	if (entry->reported)
		return;
	snprintf(detail, sizeof detail, "no outcome from the channel within "
	    "%g s", (double)entry->sendq->options.send_timeout_ms / 1000);
	log_warn("sendq", "send timed out channel=%s message=%lld",
	    entry->channel, (long long)entry->message_id);
	sendq_entry_report(entry, 1, detail);
}

/* --- Sending -------------------------------------------------------------- */

static struct sendq_entry *
sendq_entry_new(struct sendq *sendq, const struct store_sendq_message *message)
{
	struct sendq_entry *entry = calloc(1, sizeof *entry);

	if (entry == NULL)
		return NULL;
	entry->sendq = sendq;
	entry->message_id = message->id;
	entry->ticket_id = message->ticket_id;
	entry->attempts = message->attempts;
	snprintf(entry->channel, sizeof entry->channel, "%s",
	    message->channel);
	entry->next = sendq->entries;
	sendq->entries = entry;
	sendq->entry_count++;
	sendq_gauge(sendq);
	return entry;
}

/* Why channel cannot take a message, or NULL when it can. */
static const char *
sendq_channel_problem(const struct hub_channel *channel)
{
	if (channel == NULL)
		return "is not loaded";
	if ((channel->module->capabilities & HUB_CHANNEL_OUTBOUND) == 0 ||
	    channel->module->send == NULL)
		return "cannot send messages";
	if (!channel->started)
		return "is not started";
	return NULL;
}

/* Hands message to the module of channel. */
static void
sendq_send(struct sendq_entry *entry, struct hub_channel *channel,
    const struct store_sendq_message *message)
{
	struct sendq *sendq = entry->sendq;
	struct timeval timeout = {
		.tv_sec = (time_t)(sendq->options.send_timeout_ms / 1000),
		.tv_usec = (suseconds_t)(sendq->options.send_timeout_ms % 1000) *
		    1000,
	};
	char *text = replies_render_message(&sendq->context, message,
	    replies_output(channel));
	char *subject = NULL, *in_reply_to = NULL, *references = NULL;
	struct hub_outbound out;

	if (text != NULL && store_mail_threading(sendq->context.store,
	    message->ticket_id, message->channel, &subject, &in_reply_to,
	    &references) != 0) {
		/* Without its threading the message still goes out, as a new
		 * thread of the citizen's mail. */
		log_warn("sendq", "threading not read, sent without it "
		    "message=%lld ticket=%lld", (long long)message->id,
		    (long long)message->ticket_id);
	}
	if (text == NULL) {
		log_error("sendq", "message not rendered message=%lld: %s",
		    (long long)message->id, strerror(errno));
		sendq_entry_report(entry, 1, "the reply template could not be "
		    "rendered");
		return;
	}
	out = (struct hub_outbound){
		.ticket_id = message->ticket_id,
		.message_id = message->id,
		.to = message->addressee.to,
		.language = message->addressee.language,
		.text = text,
		.code = message->addressee.code,
		.automatic = strcmp(message->kind, "reply") != 0,
		.kind = strcmp(message->kind, "reply") == 0 ? "reply" : "ack",
		.subject = subject,
		.in_reply_to = in_reply_to,
		.references = references,
	};
	entry->timeout = evtimer_new(sendq->context.base, sendq_timeout_fired,
	    entry);
	if (entry->timeout != NULL)
		evtimer_add(entry->timeout, &timeout);
	/* The module may report the outcome before send returns. When that
	 * outcome could not be stored, the report has freed entry already, so
	 * entry is found again by id before it is used. */
	if (channel->module->send(channel->state, &out, sendq_send_done) != 0) {
		entry = sendq_entry_find(sendq, channel, message->id);
		if (entry != NULL && !entry->reported)
			sendq_entry_report(entry, -1, "refused by the channel");
	}
	free(text);
	free(subject);
	free(in_reply_to);
	free(references);
}

static void
sendq_dispatch(struct sendq *sendq, const struct store_sendq_message *message)
{
	struct hub_channel *channel = sendq->context.find_channel(
	    message->channel, sendq->context.find_channel_arg);
	const char *problem = sendq_channel_problem(channel);
	struct sendq_entry *entry = sendq_entry_new(sendq, message);
	char detail[SENDQ_DETAIL_MAX];

	if (entry == NULL) {
		log_error("sendq", "send not started: out of memory "
		    "message=%lld", (long long)message->id);
		return;
	}
	if (problem != NULL) {
		snprintf(detail, sizeof detail, "channel %s %s",
		    message->channel, problem);
		sendq_entry_report(entry, -1, detail);
		return;
	}
	entry->capabilities = channel->module->capabilities;
	log_debug("sendq", "sending message=%lld ticket=%lld channel=%s "
	    "attempt=%d", (long long)message->id, (long long)message->ticket_id,
	    message->channel, message->attempts + 1);
	sendq_send(entry, channel, message);
}

/* --- Scanning -------------------------------------------------------------- */

/* Reads and sends one batch of due messages. Returns the number read, or
 * -1 on error. */
static int
sendq_scan_batch(struct sendq *sendq, int64_t now)
{
	struct store_sendq_message messages[SENDQ_SCAN_BATCH];
	size_t room = (size_t)sendq->options.max_in_flight -
	    sendq->entry_count;
	char *exclude = sendq_exclude(sendq);
	int count;

	if (exclude == NULL)
		return -1;
	if (room > SENDQ_SCAN_BATCH)
		room = SENDQ_SCAN_BATCH;
	count = store_sendq_due(sendq->context.store, now, exclude, messages,
	    room);
	free(exclude);
	for (int i = 0; i < count; i++) {
		if (!sendq->stopping)
			sendq_dispatch(sendq, &messages[i]);
		store_sendq_message_clear(&messages[i]);
	}
	return count;
}

/* Sets the timer for the next message due, or the poll interval. */
static void
sendq_schedule_next(struct sendq *sendq, int64_t now)
{
	int64_t delay = sendq->options.poll_interval_ms, at;
	char *exclude;

	if (sendq->entry_count < (size_t)sendq->options.max_in_flight &&
	    (exclude = sendq_exclude(sendq)) != NULL) {
		if (store_sendq_next_due(sendq->context.store, exclude,
		    &at) == 1 && at - now < delay)
			delay = at > now ? at - now : 0;
		free(exclude);
	}
	sendq_schedule(sendq, delay);
}

static void
sendq_scan(struct sendq *sendq)
{
	int64_t now;
	int count;

	if (sendq->stopping || sendq->closed || sendq->options.paused ||
	    sendq->scanning)
		return;
	sendq->scanning = true;
	do {
		sendq->scan_again = false;
		now = clock_now_ms();
		count = 0;
		if (sendq->entry_count < (size_t)sendq->options.max_in_flight)
			count = sendq_scan_batch(sendq, now);
		if (count < 0)
			log_error("sendq", "reading the send queue failed, "
			    "retried in %lld ms",
			    (long long)sendq->options.poll_interval_ms);
	} while (!sendq->stopping && (sendq->scan_again ||
	    count == SENDQ_SCAN_BATCH));
	sendq->scanning = false;
	sendq_schedule_next(sendq, clock_now_ms());
}

/* --- Delivery reports ------------------------------------------------------- */

static int
sendq_report_apply(struct store_tx *tx, void *arg)
{
	struct sendq_report *report = arg;

	return store_tx_sendq_report(tx, &report->report);
}

static void
sendq_report_done(int result, void *arg)
{
	struct sendq_report *report = arg;
	struct sendq *sendq = report->sendq;
	const char *status = report->report.delivered ? "delivered" : "failed";

	sendq->reports--;
	if (result != 0)
		log_error("sendq", "delivery report not stored message=%lld "
		    "status=%s", (long long)report->report.message_id, status);
	else if (!report->report.applied)
		log_info("sendq", "delivery report ignored: the channel has no "
		    "queued or sent message of that id channel=%s message=%lld "
		    "status=%s",
		    report->channel, (long long)report->report.message_id,
		    status);
	else {
		if (sendq->context.metrics != NULL)
			metrics_send(sendq->context.metrics, report->channel,
			    status);
		sendq_publish(sendq, report->report.ticket_id,
		    report->report.message_id, status);
	}
	free(report);
}

int
sendq_delivery_report(struct sendq *sendq, struct hub_channel *channel,
    int64_t message_id, enum hub_delivery_status status, const char *detail)
{
	struct sendq_report *report;

	if (sendq == NULL || sendq->closed)
		return -1;
	report = calloc(1, sizeof *report);
	if (report == NULL)
		return -1;
	report->sendq = sendq;
	snprintf(report->channel, sizeof report->channel, "%s",
	    hub_channel_name(channel));
	snprintf(report->detail, sizeof report->detail, "%s",
	    detail != NULL ? detail : "");
	report->report = (struct store_sendq_report){
		.message_id = message_id,
		.channel = report->channel,
		.delivered = status == HUB_DELIVERY_DELIVERED,
		.detail = detail != NULL ? report->detail : NULL,
		.at = clock_now_ms(),
	};
	report->job = (struct store_job){ .apply = sendq_report_apply,
	    .done = sendq_report_done, .arg = report };
	if (store_submit(sendq->context.store, &report->job) != 0) {
		free(report);
		return -1;
	}
	sendq->reports++;
	return 0;
}

/* --- Stopping -------------------------------------------------------------- */

void
sendq_stop(struct sendq *sendq)
{
	if (sendq == NULL || sendq->stopping)
		return;
	sendq->stopping = true;
	log_info("sendq", "send queue stopping in_flight=%zu",
	    sendq->entry_count);
}

void
sendq_close(struct sendq *sendq)
{
	if (sendq == NULL)
		return;
	sendq_stop(sendq);
	sendq->closed = true;
	evtimer_del(sendq->timer);
	if (sendq->subscription > 0)
		events_unsubscribe(sendq->context.events, sendq->subscription);
	sendq->subscription = 0;
}

void
sendq_free(struct sendq *sendq)
{
	if (sendq == NULL)
		return;
	sendq_close(sendq);
	if (sendq->entry_count > 0)
		log_info("sendq", "sends without a stored outcome at exit, sent "
		    "again after a restart count=%zu", sendq->entry_count);
	while (sendq->entries != NULL)
		sendq_entry_free(sendq->entries);
	event_free(sendq->timer);
	free(sendq);
}
