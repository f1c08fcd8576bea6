/*
 * One answered call on the media thread: it turns the START message into
 * an RTP session and a menu session (ivr_session_*), feeds the menu the
 * call's events (keys, prompts played, timers, the other threads'
 * answers), and posts the call record when the menu has finished.
 *
 * RTP callbacks run inside the RTP session, so nothing here frees the
 * session or the call from one: the settle event does it from the loop.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ivr_call_internal.h"
#include "ivr_hub.h"
#include "log.h"
#include "media_thread.h"
#include "rtp.h"

/* A key by another method this soon after the same digit is its copy. */
#define IVR_CALL_KEY_COPY_US 500000

/* Asks the loop to free what the call no longer needs. */
static void
ivr_call_check(struct ivr_call *call)
{
	if (ivr_session_hung_up(call->session) ||
	    ivr_session_finished(call->session))
		event_active(call->settle, 0, 0);
}

/* --- The call record ---------------------------------------------------- */

static void
ivr_call_post_record(const struct ivr *ivr, uint64_t id,
    const struct ivr_hub_msg *record)
{
	struct ivr_hub_msg *msg = ivr_msg_new(sizeof(*msg), IVR_HUB_CALL_DONE);

	if (msg == NULL) {
		log_error(IVR_CALL_LOG, "no memory for the call record call=%llu",
		    (unsigned long long)id);
		return;
	}
	memcpy(msg, record, sizeof(*msg));
	msg->type = IVR_HUB_CALL_DONE;
	msg->call = id;
	if (ivr_hub_post(ivr->hub, msg) != 0)
		log_error(IVR_CALL_LOG, "call record not posted call=%llu",
		    (unsigned long long)id);
}

/* The record of a call that has its session. */
static void
ivr_call_record(const struct ivr_call *call)
{
	struct ivr_hub_msg record = { .type = IVR_HUB_CALL_DONE };
	const struct ivr_session *session = call->session;

	record.call = call->id;
	snprintf(record.call_id, sizeof(record.call_id), "%s", call->call_id);
	snprintf(record.caller, sizeof(record.caller), "%s", call->caller);
	snprintf(record.callee, sizeof(record.callee), "%s", call->callee);
	snprintf(record.language, sizeof(record.language), "%s",
	    ivr_session_language(session));
	snprintf(record.code, sizeof(record.code), "%s",
	    ivr_session_code(session));
	snprintf(record.path, sizeof(record.path), "%s",
	    ivr_session_path(session));
	snprintf(record.end_reason, sizeof(record.end_reason), "%s",
	    ivr_session_end_reason(session));
	record.recording_ms = ivr_session_recording_ms(session);
	record.started_at_ms = call->started_at_ms;
	record.answered_at_ms = call->answered_at_ms;
	record.ended_at_ms = clock_now_ms();
	record.dtmf_methods = call->dtmf_methods;
	log_info(IVR_CALL_LOG, "call ended call=%llu reason=%s path=\"%s\" "
	    "code=%s", (unsigned long long)call->id, record.end_reason,
	    record.path, record.code);
	ivr_call_post_record(call->ivr, call->id, &record);
}

/* --- Freeing ------------------------------------------------------------ */

static void
ivr_call_free_media(struct ivr_call *call)
{
	if (call->rtp != NULL)
		rtp_session_free(call->rtp);
	call->rtp = NULL;
	if (call->recording_path[0] != '\0') {
		unlink(call->recording_path);
		call->recording_path[0] = '\0';
	}
}

static void
ivr_call_free(struct ivr_call *call)
{
	ivr_call_free_media(call);
	ivr_session_free(call->session);
	if (call->input_timer != NULL)
		event_free(call->input_timer);
	if (call->max_timer != NULL)
		event_free(call->max_timer);
	if (call->settle != NULL)
		event_free(call->settle);
	if (call->played_later != NULL)
		event_free(call->played_later);
	free(call);
}

/* Posts the record, leaves the thread's table and frees the call. */
static void
ivr_call_finish(struct ivr_call *call)
{
	ivr_call_record(call);
	media_thread_forget(call->media, call->id);
	ivr_call_free(call);
}

static void
ivr_call_on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct ivr_call *call = arg;

	(void)fd;
	(void)what;
	if (ivr_session_hung_up(call->session) && call->rtp != NULL) {
		rtp_session_free(call->rtp);
		call->rtp = NULL;
	}
	if (ivr_session_finished(call->session))
		ivr_call_finish(call);
}

/* --- Events ------------------------------------------------------------- */

static void
ivr_call_on_input_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ivr_call *call = arg;

	(void)fd;
	(void)what;
	ivr_session_timeout(call->session);
	ivr_call_check(call);
}

static void
ivr_call_on_max_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ivr_call *call = arg;

	(void)fd;
	(void)what;
	log_info(IVR_CALL_LOG, "maximum call length reached call=%llu",
	    (unsigned long long)call->id);
	ivr_session_max_duration(call->session);
	ivr_call_check(call);
}

static void
ivr_call_on_played_later(evutil_socket_t fd, short what, void *arg)
{
	struct ivr_call *call = arg;

	(void)fd;
	(void)what;
	ivr_session_played(call->session);
	ivr_call_check(call);
}

/*
 * Tells whether a key is a copy of one already taken. Some phones send
 * each key twice: as RFC 4733 events and as SIP INFO, or as one of those
 * with the tone still in the audio. The first method to bring a key wins:
 * - after a key by RFC 4733 or INFO, keys by the other of the two and
 *   in-band keys are copies;
 * - the same digit by another method within IVR_CALL_KEY_COPY_US of the
 *   last key is a copy, which covers the first key of the call.
 */
static bool
ivr_call_key_copy(const struct ivr_call *call, char digit,
    enum ivr_dtmf_method method, int64_t now_us)
{
	const unsigned int signalled = IVR_DTMF_RFC4733 | IVR_DTMF_INFO;
	const unsigned int others = call->dtmf_methods & ~(unsigned int)method;

	if (call->last_key == digit && call->last_key_method != method &&
	    now_us - call->last_key_us < IVR_CALL_KEY_COPY_US)
		return true;
	return (others & signalled) != 0;
}

static void
ivr_call_key(struct ivr_call *call, char digit, enum ivr_dtmf_method method)
{
	int64_t now_us = rtp_session_now_us();

	if (ivr_call_key_copy(call, digit, method, now_us)) {
		log_debug(IVR_CALL_LOG, "key dropped as a copy call=%llu "
		    "digit=%c method=%u", (unsigned long long)call->id, digit,
		    (unsigned int)method);
		return;
	}
	call->last_key = digit;
	call->last_key_method = method;
	call->last_key_us = now_us;
	call->dtmf_methods |= (unsigned int)method;
	log_debug(IVR_CALL_LOG, "key call=%llu digit=%c method=%u",
	    (unsigned long long)call->id, digit, (unsigned int)method);
	ivr_session_key(call->session, digit);
	ivr_call_check(call);
}

static void
ivr_call_on_digit(void *arg, char digit, enum ivr_dtmf_method method)
{
	ivr_call_key(arg, digit, method);
}

static void
ivr_call_on_played(void *arg)
{
	struct ivr_call *call = arg;

	ivr_session_played(call->session);
	ivr_call_check(call);
}

static void
ivr_call_on_recorded(void *arg)
{
	struct ivr_call *call = arg;
	int64_t length_ms = 0;
	int64_t voiced_ms = 0;

	if (rtp_session_record_stop(call->rtp, &length_ms, &voiced_ms) != 0) {
		call->recording_path[0] = '\0';
		length_ms = -1;
	}
	log_info(IVR_CALL_LOG, "recording limit reached call=%llu length_ms=%lld "
	    "voiced_ms=%lld", (unsigned long long)call->id,
	    (long long)length_ms, (long long)voiced_ms);
	ivr_session_recorded(call->session, length_ms, voiced_ms);
	ivr_call_check(call);
}

static void
ivr_call_on_media_timeout(void *arg)
{
	struct ivr_call *call = arg;

	log_info(IVR_CALL_LOG, "no media from the caller call=%llu",
	    (unsigned long long)call->id);
	ivr_session_media_timeout(call->session);
	ivr_call_check(call);
}

static const struct rtp_session_events ivr_call_rtp_events = {
	.digit = ivr_call_on_digit,
	.played = ivr_call_on_played,
	.recorded = ivr_call_on_recorded,
	.timeout = ivr_call_on_media_timeout,
};

/* --- Start, messages, end ----------------------------------------------- */

/* Ends a call that could not start: its hangup and a record. */
static void
ivr_call_reject(struct media_thread *media, const struct ivr_media_msg *start)
{
	struct ivr *ivr = media_thread_ivr(media);
	struct ivr_hub_msg record = { .type = IVR_HUB_CALL_DONE };

	ivr_call_post_hangup(ivr, start->call, "error");
	snprintf(record.call_id, sizeof(record.call_id), "%s", start->call_id);
	snprintf(record.caller, sizeof(record.caller), "%s", start->caller);
	snprintf(record.callee, sizeof(record.callee), "%s", start->callee);
	snprintf(record.language, sizeof(record.language), "vi");
	snprintf(record.end_reason, sizeof(record.end_reason), "error");
	record.started_at_ms = start->started_at_ms;
	record.answered_at_ms = start->answered_at_ms;
	record.ended_at_ms = clock_now_ms();
	ivr_call_post_record(ivr, start->call, &record);
}

static struct ivr_call *
ivr_call_new(struct media_thread *media, const struct ivr_media_msg *start)
{
	struct event_base *base = media_thread_base(media);
	struct ivr_call *call = calloc(1, sizeof(*call));
	struct ivr_session_params params = { 0 };

	if (call == NULL)
		return NULL;
	call->media = media;
	call->ivr = media_thread_ivr(media);
	call->id = start->call;
	snprintf(call->call_id, sizeof(call->call_id), "%s", start->call_id);
	snprintf(call->caller, sizeof(call->caller), "%s", start->caller);
	snprintf(call->callee, sizeof(call->callee), "%s", start->callee);
	call->started_at_ms = start->started_at_ms;
	call->answered_at_ms = start->answered_at_ms;
	params.no_input_seconds = call->ivr->config.no_input_seconds;
	params.transfer = call->ivr->config.transfer_uri != NULL &&
	    call->ivr->config.transfer_uri[0] != '\0';
	call->session = ivr_session_new(call->ivr->menu, &params,
	    &ivr_call_actions, call);
	call->input_timer = evtimer_new(base, ivr_call_on_input_timer, call);
	call->max_timer = evtimer_new(base, ivr_call_on_max_timer, call);
	call->settle = event_new(base, -1, 0, ivr_call_on_settle, call);
	call->played_later = event_new(base, -1, 0, ivr_call_on_played_later,
	    call);
	if (call->session == NULL || call->input_timer == NULL ||
	    call->max_timer == NULL || call->settle == NULL ||
	    call->played_later == NULL) {
		ivr_call_free(call);
		return NULL;
	}
	return call;
}

static int
ivr_call_open_media(struct ivr_call *call, const struct ivr_media_msg *start)
{
	struct rtp_session_params params = {
		.call = start->call,
		.fd = start->rtp_fd,
		.remote = (const struct sockaddr *)&start->remote,
		.remote_len = start->remote_len,
		.signal_source = start->source.ss_family != AF_UNSPEC ?
		    (const struct sockaddr *)&start->source : NULL,
		.networks = call->ivr->config.media_networks,
		.network_count = call->ivr->config.media_network_count,
		.payload_type = start->payload_type,
		.event_payload_type = start->event_payload_type,
		.media_timeout_ms =
		    (int64_t)call->ivr->config.media_timeout_seconds * 1000,
		.stats = media_thread_counters(call->media),
	};

	/* The session owns the socket from here, also when it fails. */
	call->rtp = rtp_session_new(media_thread_base(call->media), &params,
	    &ivr_call_rtp_events, call);
	if (call->rtp == NULL)
		return -1;
	if (start->direction != IVR_SENDRECV)
		rtp_session_update(call->rtp, NULL, 0, start->direction);
	return 0;
}

struct ivr_call *
ivr_call_start(struct media_thread *media, const struct ivr_media_msg *start)
{
	struct ivr_call *call = ivr_call_new(media, start);
	struct timeval max_delay = { .tv_sec = 0 };

	if (call == NULL) {
		log_error(IVR_CALL_LOG, "no memory for the call call=%llu",
		    (unsigned long long)start->call);
		close(start->rtp_fd);
		ivr_call_reject(media, start);
		return NULL;
	}
	if (ivr_call_open_media(call, start) != 0) {
		log_error(IVR_CALL_LOG, "cannot open the media call=%llu: %s",
		    (unsigned long long)start->call, strerror(errno));
		ivr_call_free(call);
		ivr_call_reject(media, start);
		return NULL;
	}
	max_delay.tv_sec = call->ivr->config.max_call_seconds;
	evtimer_add(call->max_timer, &max_delay);
	/* The caller's number is personal data: it is logged at debug only. */
	log_info(IVR_CALL_LOG, "call started call=%llu callee=%s",
	    (unsigned long long)call->id, call->callee);
	log_debug(IVR_CALL_LOG, "call caller call=%llu caller=%s",
	    (unsigned long long)call->id, call->caller);
	ivr_session_start(call->session);
	return call;
}

void
ivr_call_handle(struct ivr_call *call, const struct ivr_media_msg *message)
{
	switch (message->type) {
	case IVR_MEDIA_UPDATE:
		if (call->rtp != NULL)
			rtp_session_update(call->rtp, message->remote_len > 0 ?
			    (const struct sockaddr *)&message->remote : NULL,
			    message->remote_len, message->direction);
		break;
	case IVR_MEDIA_DIGIT:
		ivr_call_key(call, message->digit, IVR_DTMF_INFO);
		return;
	case IVR_MEDIA_END:
		ivr_session_end(call->session, message->reason[0] != '\0' ?
		    message->reason : "caller");
		break;
	case IVR_MEDIA_TRANSFER:
		log_info(IVR_CALL_LOG, "transfer outcome call=%llu status=%d",
		    (unsigned long long)call->id, message->transfer_status);
		ivr_session_transfer_result(call->session,
		    message->transfer_status);
		break;
	case IVR_MEDIA_LOOKUP:
		ivr_session_lookup_result(call->session, &message->ticket);
		break;
	case IVR_MEDIA_REPORT:
		ivr_session_report_result(call->session, message->report_status,
		    message->code);
		break;
	default:
		return;
	}
	ivr_call_check(call);
}

void
ivr_call_end(struct ivr_call *call, const char *reason)
{
	ivr_session_shutdown(call->session, reason);
	ivr_call_finish(call);
}
