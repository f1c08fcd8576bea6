/*
 * Transfer of a call with REFER (RFC 3515): the caller's phone calls the
 * target and reports the outcome in NOTIFY requests whose message/sipfrag
 * body is the status line of that call (sip_refer.h reads them). Only
 * channels.sip.transfer_uri is ever referred to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_ua.h"

#include "media_thread.h"
#include "sip_refer.h"

/* Posts the transfer's outcome to the media thread and stops waiting. */
static void
sip_ua_transfer_result(struct sip_leg *leg, int status)
{
	struct ivr_media_msg *message;

	sip_ua_refer_cancel(leg);
	log_info(SIP_LOG, "call=%llu transfer status=%d",
	    (unsigned long long)leg->call, status);
	if (!leg->media_running)
		return;
	message = ivr_msg_new(sizeof *message, IVR_MEDIA_TRANSFER);
	if (message == NULL)
		return;
	message->call = leg->call;
	message->transfer_status = status;
	if (media_thread_post(leg->sip->ivr->media, message) != 0)
		log_warn(SIP_LOG, "media thread rejected the transfer outcome "
		    "of call=%llu", (unsigned long long)leg->call);
}

static void
sip_ua_refer_expired(struct sip_thread *sip, su_timer_t *timer,
    struct sip_leg *leg)
{
	(void)sip;
	(void)timer;
	log_warn(SIP_LOG, "call=%llu no final NOTIFY for the REFER within "
	    "%d s", (unsigned long long)leg->call,
	    leg->sip->config->transfer_timeout_seconds);
	sip_ua_transfer_result(leg, 408);
	leg->refer_expired = true;
}

void
sip_ua_refer_cancel(struct sip_leg *leg)
{
	leg->refer_pending = false;
	if (leg->refer_timer != NULL)
		su_timer_destroy(leg->refer_timer);
	leg->refer_timer = NULL;
}

void
sip_ua_refer(struct sip_leg *leg, const char *target)
{
	const struct ivr_config *config = leg->sip->config;

	if (config->transfer_uri == NULL ||
	    strcmp(target, config->transfer_uri) != 0) {
		log_error(SIP_LOG, "call=%llu REFER to a target other than "
		    "transfer_uri rejected", (unsigned long long)leg->call);
		sip_ua_transfer_result(leg, 403);
		return;
	}
	if (leg->state != SIP_LEG_ANSWERED || leg->refer_pending) {
		sip_ua_transfer_result(leg, 491);
		return;
	}
	leg->refer_timer = su_timer_create(su_root_task(leg->sip->root),
	    (su_duration_t)config->transfer_timeout_seconds * 1000);
	if (leg->refer_timer == NULL ||
	    su_timer_set(leg->refer_timer, sip_ua_refer_expired, leg) != 0) {
		sip_ua_transfer_result(leg, 500);
		return;
	}
	leg->refer_pending = true;
	leg->refer_expired = false;
	log_info(SIP_LOG, "call=%llu REFER", (unsigned long long)leg->call);
	nua_refer(leg->handle, SIPTAG_REFER_TO_STR(target), TAG_END());
}

void
sip_ua_refer_response(struct sip_leg *leg, int status)
{
	if (!leg->refer_pending || status < 200)
		return;
	if (status >= 300)
		sip_ua_transfer_result(leg, status);
}

/* A final 2xx after the timeout: the caller's side is in a call with the
 * target, so the hub leaves as after a transfer in time. The voicemail in
 * progress ends as at any hang-up (ivr_session_end). */
static void
sip_ua_refer_done_late(struct sip_leg *leg, int status)
{
	log_info(SIP_LOG, "call=%llu transfer status=%d after the timeout",
	    (unsigned long long)leg->call, status);
	leg->refer_expired = false;
	sip_ua_media_end(leg, "transferred");
	sip_ua_hangup(leg, "transferred");
}

void
sip_ua_notify(struct sip_leg *leg, sip_t const *message)
{
	const sip_subscription_state_t *state =
	    message->sip_subscription_state;
	const sip_payload_t *payload = message->sip_payload;
	bool terminated;
	int status;

	if (message->sip_event == NULL ||
	    strcasecmp(message->sip_event->o_type, "refer") != 0)
		return;
	status = payload != NULL ? sip_refer_sipfrag_status(payload->pl_data,
	    payload->pl_len) : 0;
	terminated = state != NULL && state->ss_substate != NULL &&
	    strcasecmp(state->ss_substate, "terminated") == 0;
	log_debug(SIP_LOG, "call=%llu NOTIFY refer status=%d",
	    (unsigned long long)leg->call, status);
	switch (sip_refer_notify_step(leg->refer_pending, leg->refer_expired,
	    status, terminated)) {
	case SIP_REFER_DONE:
		sip_ua_transfer_result(leg, status);
		/* The media thread ends the call as transferred. */
		leg->media_running = false;
		sip_ua_hangup(leg, "transferred");
		break;
	case SIP_REFER_FAILED:
		sip_ua_transfer_result(leg, status >= 300 ? status : 500);
		break;
	case SIP_REFER_DONE_LATE:
		sip_ua_refer_done_late(leg, status);
		break;
	case SIP_REFER_PROGRESS:
	case SIP_REFER_IGNORE:
		break;
	}
}
