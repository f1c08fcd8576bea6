/*
 * The nua callback: what the IVR does with each SIP event, and the ends of
 * a call (BYE, CANCEL, hangup from the menu, termination).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sip_ua.h"

#include "ivr_hub.h"
#include "media_thread.h"
#include "sip_info.h"
#include "sip_tcp.h"
#include <sofia-sip/msg_addr.h>

void
sip_ua_media_end(struct sip_leg *leg, const char *reason)
{
	struct ivr_media_msg *message;

	if (!leg->media_running)
		return;
	leg->media_running = false;
	message = ivr_msg_new(sizeof *message, IVR_MEDIA_END);
	if (message == NULL) {
		log_error(SIP_LOG, "out of memory for the end of call=%llu",
		    (unsigned long long)leg->call);
		return;
	}
	message->call = leg->call;
	snprintf(message->reason, sizeof message->reason, "%s", reason);
	if (media_thread_post(leg->sip->ivr->media, message) != 0)
		log_warn(SIP_LOG, "media thread rejected the end of call=%llu",
		    (unsigned long long)leg->call);
}

void
sip_ua_record(struct sip_leg *leg, const char *reason)
{
	struct ivr_hub_msg *message;

	if (leg->media_owned || leg->recorded)
		return;
	leg->recorded = true;
	message = ivr_msg_new(sizeof *message, IVR_HUB_CALL_DONE);
	if (message == NULL) {
		log_error(SIP_LOG, "out of memory for the record of call=%llu",
		    (unsigned long long)leg->call);
		return;
	}
	message->call = leg->call;
	snprintf(message->call_id, sizeof message->call_id, "%s",
	    leg->call_id);
	snprintf(message->caller, sizeof message->caller, "%s", leg->caller);
	snprintf(message->callee, sizeof message->callee, "%s", leg->callee);
	snprintf(message->language, sizeof message->language, "vi");
	message->started_at_ms = leg->started_at_ms;
	/* Not 0 for a call answered with 200 that never reached the media
	 * thread, such as a delayed offer whose ACK had no usable answer. */
	message->answered_at_ms = leg->answered_at_ms;
	message->ended_at_ms = sip_thread_now_ms();
	snprintf(message->end_reason, sizeof message->end_reason, "%s",
	    reason);
	if (ivr_hub_post(leg->sip->ivr->hub, message) != 0)
		log_warn(SIP_LOG, "hub rejected the record of call=%llu",
		    (unsigned long long)leg->call);
}

/* Ends a leg that was still ringing; its RTP socket is not needed. */
static void
sip_ua_end_ringing(struct sip_leg *leg, const char *reason)
{
	if (leg->ring_timer != NULL) {
		su_timer_destroy(leg->ring_timer);
		leg->ring_timer = NULL;
	}
	if (leg->rtp_fd >= 0) {
		close(leg->rtp_fd);
		leg->rtp_fd = -1;
	}
	leg->state = SIP_LEG_ENDING;
	snprintf(leg->end_reason, sizeof leg->end_reason, "%s", reason);
	sip_ua_record(leg, reason);
}

void
sip_ua_hangup(struct sip_leg *leg, const char *reason)
{
	char retry_after[16];

	switch (leg->state) {
	case SIP_LEG_RINGING:
		log_info(SIP_LOG, "call=%llu rejected while ringing reason=%s",
		    (unsigned long long)leg->call, reason);
		snprintf(retry_after, sizeof retry_after, "%d",
		    leg->sip->config->retry_after_seconds);
		nua_respond(leg->handle, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(retry_after), TAG_END());
		sip_ua_end_ringing(leg, reason);
		break;
	case SIP_LEG_ANSWERED:
		log_info(SIP_LOG, "call=%llu hangup reason=%s",
		    (unsigned long long)leg->call, reason);
		sip_ua_refer_cancel(leg);
		leg->state = SIP_LEG_ENDING;
		snprintf(leg->end_reason, sizeof leg->end_reason, "%s", reason);
		nua_bye(leg->handle, TAG_END());
		break;
	case SIP_LEG_ENDING:
		break;
	}
}

/* BYE from the caller (nua has answered it 200). */
static void
sip_ua_bye(struct sip_leg *leg)
{
	log_info(SIP_LOG, "call=%llu BYE from the caller",
	    (unsigned long long)leg->call);
	sip_ua_refer_cancel(leg);
	if (leg->state == SIP_LEG_RINGING)
		sip_ua_end_ringing(leg, "caller");
	leg->state = SIP_LEG_ENDING;
	snprintf(leg->end_reason, sizeof leg->end_reason, "caller");
	sip_ua_media_end(leg, "caller");
}

/* CANCEL of a ringing call (nua has answered it 200 and the INVITE 487). */
static void
sip_ua_cancel(struct sip_leg *leg)
{
	log_info(SIP_LOG, "call=%llu cancelled by the caller",
	    (unsigned long long)leg->call);
	if (leg->state == SIP_LEG_RINGING)
		sip_ua_end_ringing(leg, "caller");
	sip_ua_media_end(leg, "caller");
}

static void
sip_ua_post_digit(struct sip_leg *leg, char key)
{
	struct ivr_media_msg *message;

	if (!leg->media_running)
		return;
	message = ivr_msg_new(sizeof *message, IVR_MEDIA_DIGIT);
	if (message == NULL)
		return;
	message->call = leg->call;
	message->digit = key;
	if (media_thread_post(leg->sip->ivr->media, message) != 0)
		log_warn(SIP_LOG, "media thread rejected a key of call=%llu",
		    (unsigned long long)leg->call);
}

/* INFO: keys as application/dtmf-relay or application/dtmf. An INFO with
 * no body is answered 200 (RFC 6086 keeps it for probing the dialog);
 * another body type gets 415 with the types taken. */
static void
sip_ua_info(struct sip_thread *sip, nua_handle_t *handle, struct sip_leg *leg,
    sip_t const *message)
{
	const char *type = message->sip_content_type != NULL ?
	    message->sip_content_type->c_type : NULL;
	const sip_payload_t *payload = message->sip_payload;
	char key = 0;

	if (leg == NULL) {
		nua_respond(handle, SIP_481_NO_TRANSACTION,
		    NUTAG_WITH_THIS(sip->nua), TAG_END());
		nua_handle_destroy(handle);
		return;
	}
	if (payload == NULL || payload->pl_len == 0) {
		nua_respond(handle, SIP_200_OK, NUTAG_WITH_THIS(sip->nua),
		    TAG_END());
		return;
	}
	if (type != NULL && strcasecmp(type, "application/dtmf-relay") == 0)
		key = sip_info_dtmf_relay_key(payload->pl_data,
		    payload->pl_len);
	else if (type != NULL && strcasecmp(type, "application/dtmf") == 0)
		key = sip_info_signal_key(payload->pl_data, payload->pl_len);
	else {
		nua_respond(handle, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"),
		    NUTAG_WITH_THIS(sip->nua), TAG_END());
		return;
	}
	if (key == 0) {
		nua_respond(handle, 400, "Invalid DTMF Signal",
		    NUTAG_WITH_THIS(sip->nua), TAG_END());
		return;
	}
	nua_respond(handle, SIP_200_OK, NUTAG_WITH_THIS(sip->nua), TAG_END());
	log_debug(SIP_LOG, "call=%llu INFO key", (unsigned long long)leg->call);
	sip_ua_post_digit(leg, key);
}

/* The call is over for nua: tells the media thread or the hub if they
 * have not heard yet, and frees the leg. A handle without a leg belongs to
 * a rejected INVITE. */
static void
sip_ua_terminated(struct sip_thread *sip, nua_handle_t *handle,
    struct sip_leg *leg)
{
	const char *reason;

	if (leg == NULL) {
		log_debug(SIP_LOG, "rejected INVITE terminated");
		nua_handle_destroy(handle);
		return;
	}
	reason = leg->end_reason[0] != '\0' ? leg->end_reason : "error";
	sip_ua_media_end(leg, reason);
	sip_ua_record(leg, reason);
	log_debug(SIP_LOG, "call=%llu terminated reason=%s",
	    (unsigned long long)leg->call, reason);
	sip_thread_leg_free(sip, leg);
}

/* No ACK came for a 200 within 64 * T1 (32 s): nua 1.12.11 reports 408
 * "ACK Timeout" as nua_i_error and sends BYE itself, and the call
 * terminates when that BYE completes. */
static void
sip_ua_ack_timeout(struct sip_leg *leg)
{
	log_warn(SIP_LOG, "call=%llu call_id=%s no ACK for the 200; nua sends "
	    "BYE", (unsigned long long)leg->call, leg->call_id);
	sip_ua_refer_cancel(leg);
	leg->ack_pending = false;
	leg->state = SIP_LEG_ENDING;
	snprintf(leg->end_reason, sizeof leg->end_reason, "ack_timeout");
	sip_ua_media_end(leg, "ack_timeout");
}

static void
sip_ua_state(struct sip_thread *sip, nua_handle_t *handle,
    struct sip_leg *leg, tagi_t tags[])
{
	int state = nua_callstate_init;

	tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
	if (state == nua_callstate_terminated)
		sip_ua_terminated(sip, handle, leg);
}

/* Requests that nua answered itself (OPTIONS 200, REGISTER 405, ...): a
 * handle made for one outside a dialog is not needed any more. */
static void
sip_ua_answered_by_nua(nua_event_t event, int status, nua_handle_t *handle,
    struct sip_leg *leg)
{
	log_debug(SIP_LOG, "%s: nua responded %d", nua_event_name(event),
	    status);
	if (leg == NULL)
		nua_handle_destroy(handle);
}

void
sip_ua_callback(nua_event_t event, int status, char const *phrase,
    nua_t *nua, struct sip_thread *sip, nua_handle_t *handle,
    struct sip_leg *leg, sip_t const *message, tagi_t tags[])
{
	msg_t *request = nua_current_request(nua);
	su_sockaddr_t peer;
	socklen_t peer_length = sizeof peer;

	if (request != NULL && msg_get_address(request, &peer,
	    &peer_length) == 0)
		sip_tcp_request_seen(sip->tcp, &peer.su_sa, peer_length);
	switch (event) {
	case nua_i_invite:
		if (leg == NULL)
			sip_ua_invite(sip, handle, message);
		else
			sip_ua_reinvite(leg, message);
		break;
	case nua_i_cancel:
		if (leg != NULL)
			sip_ua_cancel(leg);
		break;
	case nua_i_ack:
		if (leg != NULL && leg->state == SIP_LEG_ANSWERED &&
		    leg->ack_pending)
			sip_ua_ack(leg, message);
		break;
	case nua_i_bye:
		if (leg != NULL)
			sip_ua_bye(leg);
		break;
	case nua_i_info:
		sip_ua_info(sip, handle, leg, message);
		break;
	case nua_i_state:
		sip_ua_state(sip, handle, leg, tags);
		break;
	case nua_r_refer:
		if (leg != NULL)
			sip_ua_refer_response(leg, status);
		break;
	case nua_i_notify:
		if (leg != NULL)
			sip_ua_notify(leg, message);
		else
			sip_ua_answered_by_nua(event, status, handle, leg);
		break;
	case nua_i_options:
	case nua_i_register:
	case nua_i_method:
	case nua_i_message:
	case nua_i_subscribe:
	case nua_i_refer:
	case nua_i_publish:
	case nua_i_update:
	case nua_i_prack:
		sip_ua_answered_by_nua(event, status, handle, leg);
		break;
	case nua_r_shutdown:
		log_debug(SIP_LOG, "nua shutdown %d %s", status, phrase);
		if (status >= 200)
			su_root_break(sip->root);
		break;
	case nua_i_error:
		if (leg != NULL && status == 408 &&
		    leg->state == SIP_LEG_ANSWERED)
			sip_ua_ack_timeout(leg);
		else
			log_warn(SIP_LOG, "nua error %d %s", status, phrase);
		break;
	default:
		log_debug(SIP_LOG, "%s %d %s", nua_event_name(event), status,
		    phrase != NULL ? phrase : "");
		break;
	}
}
