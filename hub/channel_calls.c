/*
 * Host function of channel.h for telephone calls: hub_call_record stores a
 * call through the store's writer and publishes it to the watchers of its
 * ticket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "contact.h"
#include "events.h"
#include "module.h"
#include "store_calls.h"

/* The strings a call keeps, copied so that the job outlives the caller's
 * struct hub_call. */
enum {
	CHANNEL_CALL_CHANNEL,
	CHANNEL_CALL_CALL_ID,
	CHANNEL_CALL_CALLER,
	CHANNEL_CALL_CALLER_RAW,
	CHANNEL_CALL_CALLEE,
	CHANNEL_CALL_LANGUAGE,
	CHANNEL_CALL_PATH,
	CHANNEL_CALL_DTMF_METHODS,
	CHANNEL_CALL_END_REASON,
	CHANNEL_CALL_TICKET_CODE,
	CHANNEL_CALL_SHA256,
	CHANNEL_CALL_TEXTS,
};

/* One call on its way to the store. */
struct channel_call {
	struct store_job job;
	struct store_call call;
	char *texts[CHANNEL_CALL_TEXTS];
	struct events *events;
	hub_state_done_fn done;
	void *arg;
};

static void
channel_call_free(struct channel_call *record)
{
	for (int i = 0; i < CHANNEL_CALL_TEXTS; i++)
		free(record->texts[i]);
	free(record);
}

/* Copies value (NULL and "" stay NULL) into slot. Returns 0, or -1 when
 * out of memory. */
static int
channel_call_copy(struct channel_call *record, int slot, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	record->texts[slot] = strdup(value);
	return record->texts[slot] != NULL ? 0 : -1;
}

/* The caller in E.164 when the From user is a phone number; otherwise the
 * user as received. */
static int
channel_call_caller(struct channel_call *record, const char *caller)
{
	char e164[CONTACT_E164_MAX];

	if (caller != NULL && contact_phone_e164(caller, e164) == 0)
		return channel_call_copy(record, CHANNEL_CALL_CALLER, e164);
	return channel_call_copy(record, CHANNEL_CALL_CALLER, caller);
}

static int
channel_call_copy_all(struct channel_call *record, const char *channel_name,
    const struct hub_call *call)
{
	if (channel_call_copy(record, CHANNEL_CALL_CHANNEL, channel_name) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_CALL_ID, call->call_id) != 0 ||
	    channel_call_caller(record, call->caller) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_CALLER_RAW,
	    call->caller) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_CALLEE, call->callee) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_LANGUAGE,
	    call->language) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_PATH, call->path) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_DTMF_METHODS,
	    call->dtmf_methods) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_END_REASON,
	    call->end_reason) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_TICKET_CODE,
	    call->ticket_code) != 0 ||
	    channel_call_copy(record, CHANNEL_CALL_SHA256,
	    call->recording_sha256) != 0)
		return -1;
	return 0;
}

/* Points the store's view of the call at the copies. */
static void
channel_call_fill(struct channel_call *record, const struct hub_call *call)
{
	char **texts = record->texts;

	record->call = (struct store_call){
		.channel = texts[CHANNEL_CALL_CHANNEL],
		.call_id = texts[CHANNEL_CALL_CALL_ID],
		.caller = texts[CHANNEL_CALL_CALLER],
		.caller_raw = texts[CHANNEL_CALL_CALLER_RAW],
		.callee = texts[CHANNEL_CALL_CALLEE],
		.started_at = call->started_at_ms,
		.answered_at = call->answered_at_ms,
		.ended_at = call->ended_at_ms,
		.language = texts[CHANNEL_CALL_LANGUAGE],
		.path = texts[CHANNEL_CALL_PATH],
		.dtmf_methods = texts[CHANNEL_CALL_DTMF_METHODS],
		.end_reason = texts[CHANNEL_CALL_END_REASON],
		.ticket_code = texts[CHANNEL_CALL_TICKET_CODE],
		.recording_sha256 = texts[CHANNEL_CALL_SHA256],
		.recording_ms = call->recording_ms,
	};
}

static int
channel_call_apply(struct store_tx *tx, void *arg)
{
	struct channel_call *record = arg;

	return store_tx_call_add(tx, &record->call);
}

/* Publishes "call.recorded" for the watchers of the call's ticket. */
static void
channel_call_publish(struct channel_call *record)
{
	json_t *payload;

	if (record->events == NULL || record->call.ticket_id == 0 ||
	    record->call.duplicate)
		return;
	payload = json_pack("{s:I, s:s, s:I, s:s}",
	    "ticket_id", (json_int_t)record->call.ticket_id,
	    "code", record->call.ticket_code,
	    "call", (json_int_t)record->call.id,
	    "channel", record->call.channel);
	if (payload != NULL)
		events_publish(record->events, "call.recorded", payload);
	json_decref(payload);
}

static void
channel_call_done(int result, void *arg)
{
	struct channel_call *record = arg;
	const struct store_call *call = &record->call;

	if (result != 0)
		log_error("channel", "call not stored channel=%s call_id=%s",
		    call->channel, call->call_id);
	else if (call->duplicate)
		log_info("channel", "call already stored, record ignored "
		    "channel=%s call_id=%s", call->channel, call->call_id);
	else {
		log_info("channel", "call stored channel=%s call_id=%s id=%lld "
		    "ticket=%lld", call->channel, call->call_id,
		    (long long)call->id, (long long)call->ticket_id);
		channel_call_publish(record);
	}
	if (record->done != NULL)
		record->done(result == 0 ? 0 : -1, record->arg);
	channel_call_free(record);
}

int
hub_call_record(struct hub_channel *channel, const struct hub_call *call,
    hub_state_done_fn done, void *arg)
{
	struct channel_call *record;

	if (call->call_id == NULL || call->call_id[0] == '\0') {
		log_error("channel", "call record without a Call-ID rejected "
		    "channel=%s", channel->name);
		return -1;
	}
	if ((record = calloc(1, sizeof(*record))) == NULL)
		return -1;
	if (channel_call_copy_all(record, channel->name, call) != 0) {
		channel_call_free(record);
		return -1;
	}
	channel_call_fill(record, call);
	record->events = channel->host->events;
	record->done = done;
	record->arg = arg;
	record->job = (struct store_job){ .apply = channel_call_apply,
	    .done = channel_call_done, .arg = record };
	if (store_submit(channel->host->store, &record->job) != 0) {
		channel_call_free(record);
		return -1;
	}
	return 0;
}
