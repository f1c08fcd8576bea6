/*
 * The menu engine's actions for one call (see struct ivr_session_actions):
 * prompts and recordings through the call's RTP session, timers on the
 * media thread's event base, lookups and reports to the main thread,
 * transfers and hangups to the SIP thread.
 *
 * None of these calls back into the session: a play list that cannot be
 * sent is reported as played from the loop (played_later).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivr_call_internal.h"
#include "ivr_hub.h"
#include "ivr_prompt.h"
#include "log.h"
#include "rtp.h"
#include "sip_thread.h"

#define IVR_CALL_SEGMENTS_MAX (IVR_SAY_MAX + 16)

/* Speaks a value item ("code:...", "date:...", "status:...") into say.
 * Returns 0, 1 when item is a plain prompt name, or -1. */
static int
ivr_call_say_value(const char *language, const char *item,
    struct ivr_say *say)
{
	const char *colon = strchr(item, ':');
	const char *value;

	if (colon == NULL)
		return 1;
	value = colon + 1;
	if (strncmp(item, "code:", 5) == 0)
		return ivr_say_code(language, value, say);
	if (strncmp(item, "date:", 5) == 0)
		return ivr_say_date(language, strtoll(value, NULL, 10), say);
	if (strncmp(item, "status:", 7) == 0)
		return ivr_say_status(language, value, say);
	return -1;
}

/* Appends the audio of name; a missing prompt is logged and skipped. */
static void
ivr_call_add_segment(const struct ivr_call *call, const char *language,
    const char *name, const struct ivr_audio **segments, size_t *count)
{
	const struct ivr_audio *audio = ivr_prompts_get(call->ivr->prompts,
	    language, name);

	if (audio == NULL) {
		log_warn(IVR_CALL_LOG, "prompt not found call=%llu language=%s "
		    "name=%s", (unsigned long long)call->id, language, name);
		return;
	}
	if (*count < IVR_CALL_SEGMENTS_MAX)
		segments[(*count)++] = audio;
}

/* Turns a play list into audio segments. Returns their count. */
static size_t
ivr_call_segments(const struct ivr_call *call, const char *const *items,
    size_t item_count, const struct ivr_audio **segments)
{
	const char *language = ivr_session_language(call->session);
	size_t count = 0;

	for (size_t i = 0; i < item_count; i++) {
		struct ivr_say say = { .count = 0 };
		int status = ivr_call_say_value(language, items[i], &say);

		if (status == 1) {
			ivr_call_add_segment(call, language, items[i], segments,
			    &count);
			continue;
		}
		if (status != 0)
			log_warn(IVR_CALL_LOG, "value not spoken call=%llu "
			    "item=%s", (unsigned long long)call->id, items[i]);
		for (size_t k = 0; k < say.count; k++)
			ivr_call_add_segment(call, language, say.names[k],
			    segments, &count);
	}
	return count;
}

/* Logs the play list at debug level, for tests that follow a call. */
static void
ivr_call_log_play(const struct ivr_call *call, const char *const *items,
    size_t count)
{
	char text[512];
	size_t used = 0;

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	text[0] = '\0';
	for (size_t i = 0; i < count && used < sizeof(text); i++) {
		int written = snprintf(text + used, sizeof(text) - used, "%s%s",
		    i > 0 ? " " : "", items[i]);

		if (written < 0)
			break;
		used += (size_t)written;
	}
	log_debug(IVR_CALL_LOG, "play call=%llu language=%s items=\"%s\"",
	    (unsigned long long)call->id, ivr_session_language(call->session),
	    text);
}

static void
ivr_call_play(void *arg, const char *const *items, size_t count)
{
	struct ivr_call *call = arg;
	const struct ivr_audio *segments[IVR_CALL_SEGMENTS_MAX];
	size_t segment_count = ivr_call_segments(call, items, count, segments);

	ivr_call_log_play(call, items, count);
	/* A list that could not play before this one is over. */
	event_del(call->played_later);
	if (call->rtp != NULL && segment_count > 0 &&
	    rtp_session_play(call->rtp, segments, segment_count) == 0)
		return;
	log_warn(IVR_CALL_LOG, "nothing to play call=%llu first=%s",
	    (unsigned long long)call->id, count > 0 ? items[0] : "");
	event_active(call->played_later, 0, 0);
}

static void
ivr_call_stop_playing(void *arg)
{
	struct ivr_call *call = arg;

	if (call->rtp != NULL)
		rtp_session_stop_playing(call->rtp);
	event_del(call->played_later);
}

static int
ivr_call_record_start(void *arg)
{
	struct ivr_call *call = arg;
	const struct ivr_config *config = &call->ivr->config;
	int written;

	if (call->rtp == NULL)
		return -1;
	call->recording_count++;
	written = snprintf(call->recording_path, sizeof(call->recording_path),
	    "%s/call-%llu-%d.wav", config->recordings_dir,
	    (unsigned long long)call->id, call->recording_count);
	if (written < 0 || (size_t)written >= sizeof(call->recording_path) ||
	    rtp_session_record_start(call->rtp, call->recording_path,
	    (int64_t)config->max_recording_seconds * 1000) != 0) {
		log_error(IVR_CALL_LOG, "cannot record call=%llu path=%s: %s",
		    (unsigned long long)call->id, call->recording_path,
		    strerror(errno));
		call->recording_path[0] = '\0';
		return -1;
	}
	log_debug(IVR_CALL_LOG, "recording call=%llu path=%s",
	    (unsigned long long)call->id, call->recording_path);
	return 0;
}

static int64_t
ivr_call_record_stop(void *arg, int64_t *voiced_ms)
{
	struct ivr_call *call = arg;
	int64_t length_ms = 0;

	*voiced_ms = 0;
	if (call->rtp == NULL ||
	    rtp_session_record_stop(call->rtp, &length_ms, voiced_ms) != 0) {
		/* The session removed a file that failed. */
		call->recording_path[0] = '\0';
		return -1;
	}
	return length_ms;
}

static void
ivr_call_record_discard(void *arg)
{
	struct ivr_call *call = arg;

	if (call->recording_path[0] == '\0')
		return;
	if (unlink(call->recording_path) != 0 && errno != ENOENT)
		log_warn(IVR_CALL_LOG, "cannot remove call=%llu path=%s: %s",
		    (unsigned long long)call->id, call->recording_path,
		    strerror(errno));
	call->recording_path[0] = '\0';
}

static void
ivr_call_timer_start(void *arg, int seconds)
{
	struct ivr_call *call = arg;
	struct timeval delay = { .tv_sec = seconds, .tv_usec = 0 };

	evtimer_add(call->input_timer, &delay);
}

static void
ivr_call_timer_cancel(void *arg)
{
	struct ivr_call *call = arg;

	evtimer_del(call->input_timer);
}

static void
ivr_call_lookup(void *arg, const char *code)
{
	struct ivr_call *call = arg;
	struct ivr_hub_msg *msg = ivr_msg_new(sizeof(*msg), IVR_HUB_LOOKUP);

	if (msg == NULL) {
		log_error(IVR_CALL_LOG, "no memory for a lookup call=%llu",
		    (unsigned long long)call->id);
		return;
	}
	msg->call = call->id;
	snprintf(msg->code, sizeof(msg->code), "%s", code);
	if (ivr_hub_post(call->ivr->hub, msg) != 0)
		log_error(IVR_CALL_LOG, "lookup not posted call=%llu",
		    (unsigned long long)call->id);
}

/* Copies the call's parties and language into a REPORT or CALL_DONE. */
static void
ivr_call_fill_parties(const struct ivr_call *call, struct ivr_hub_msg *msg)
{
	msg->call = call->id;
	snprintf(msg->call_id, sizeof(msg->call_id), "%s", call->call_id);
	msg->started_at_ms = call->started_at_ms;
	snprintf(msg->caller, sizeof(msg->caller), "%s", call->caller);
	snprintf(msg->callee, sizeof(msg->callee), "%s", call->callee);
	snprintf(msg->language, sizeof(msg->language), "%s",
	    ivr_session_language(call->session));
}

static void
ivr_call_submit(void *arg, const char *category)
{
	struct ivr_call *call = arg;
	struct ivr_hub_msg *msg = ivr_msg_new(sizeof(*msg), IVR_HUB_REPORT);

	if (msg == NULL) {
		log_error(IVR_CALL_LOG, "no memory for a report call=%llu",
		    (unsigned long long)call->id);
		return;
	}
	ivr_call_fill_parties(call, msg);
	snprintf(msg->category, sizeof(msg->category), "%s", category);
	snprintf(msg->recording_path, sizeof(msg->recording_path), "%s",
	    call->recording_path);
	msg->recording_ms = ivr_session_recording_ms(call->session);
	log_info(IVR_CALL_LOG, "report call=%llu category=%s length_ms=%lld",
	    (unsigned long long)call->id, category,
	    (long long)msg->recording_ms);
	/* The file is the hub's from here, also when the post fails. */
	call->recording_path[0] = '\0';
	if (ivr_hub_post(call->ivr->hub, msg) != 0)
		log_error(IVR_CALL_LOG, "report not posted call=%llu",
		    (unsigned long long)call->id);
}

static void
ivr_call_transfer(void *arg)
{
	struct ivr_call *call = arg;
	struct ivr_sip_msg *msg = ivr_msg_new(sizeof(*msg), IVR_SIP_REFER);

	if (msg == NULL) {
		log_error(IVR_CALL_LOG, "no memory for a transfer call=%llu",
		    (unsigned long long)call->id);
		return;
	}
	msg->call = call->id;
	snprintf(msg->target, sizeof(msg->target), "%s",
	    call->ivr->config.transfer_uri);
	log_info(IVR_CALL_LOG, "transfer call=%llu target=%s",
	    (unsigned long long)call->id, msg->target);
	if (sip_thread_post(call->ivr->sip, msg) != 0)
		log_error(IVR_CALL_LOG, "transfer not posted call=%llu",
		    (unsigned long long)call->id);
}

void
ivr_call_post_hangup(const struct ivr *ivr, uint64_t id, const char *reason)
{
	struct ivr_sip_msg *msg = ivr_msg_new(sizeof(*msg), IVR_SIP_HANGUP);

	if (msg == NULL) {
		log_error(IVR_CALL_LOG, "no memory for a hangup call=%llu",
		    (unsigned long long)id);
		return;
	}
	msg->call = id;
	snprintf(msg->reason, sizeof(msg->reason), "%s", reason);
	if (sip_thread_post(ivr->sip, msg) != 0)
		log_error(IVR_CALL_LOG, "hangup not posted call=%llu",
		    (unsigned long long)id);
}

static void
ivr_call_hangup(void *arg, const char *reason)
{
	struct ivr_call *call = arg;

	ivr_call_post_hangup(call->ivr, call->id, reason);
}

const struct ivr_session_actions ivr_call_actions = {
	.play = ivr_call_play,
	.stop_playing = ivr_call_stop_playing,
	.record_start = ivr_call_record_start,
	.record_stop = ivr_call_record_stop,
	.record_discard = ivr_call_record_discard,
	.timer_start = ivr_call_timer_start,
	.timer_cancel = ivr_call_timer_cancel,
	.lookup = ivr_call_lookup,
	.submit = ivr_call_submit,
	.transfer = ivr_call_transfer,
	.hangup = ivr_call_hangup,
};
