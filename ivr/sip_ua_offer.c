/*
 * INVITE without SDP (RFC 3264 delayed offer, RFC 3261 section 13.2.1):
 * the hub puts its offer in the 200 and reads the caller's answer from the
 * ACK. With NUTAG_MEDIA_ENABLE(0), nua 1.12.11 neither checks nor requires
 * that answer: it reports every ACK as nua_i_ack with status 200 and the
 * ACK as the message, so the checks here are all there is. The call is
 * answered by then, so a missing or unusable answer ends it with BYE.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_ua.h"

/* Reason header text (RFC 3326) of the BYE for an unusable answer. */
#define SIP_UA_OFFER_REASON_SIZE 320

void
sip_ua_offer_send(struct sip_leg *leg)
{
	const struct ivr_config *config = leg->sip->config;
	char offer[SIP_SDP_ANSWER_SIZE];

	if (sip_sdp_build_offer(config->rtp_address, leg->rtp_port,
	    leg->sdp_session, ++leg->sdp_version, offer, sizeof offer) < 0) {
		log_error(SIP_LOG, "call=%llu cannot build the SDP offer",
		    (unsigned long long)leg->call);
		sip_ua_hangup(leg, "error");
		return;
	}
	sip_ua_respond_answered(leg, offer);
	log_info(SIP_LOG, "call=%llu answered with an SDP offer port=%u, "
	    "waiting for the answer in the ACK", (unsigned long long)leg->call,
	    leg->rtp_port);
}

/* Ends the answered call with BYE and Reason: SIP;cause=488 with text,
 * which the hub writes itself and so holds no quote. */
static void
sip_ua_offer_reject(struct sip_leg *leg, const char *text)
{
	char reason[SIP_UA_OFFER_REASON_SIZE];

	log_warn(SIP_LOG, "call=%llu call_id=%s ACK without a usable SDP "
	    "answer: %s; sending BYE", (unsigned long long)leg->call,
	    leg->call_id, text);
	snprintf(reason, sizeof reason, "SIP;cause=488;text=\"%s\"", text);
	leg->state = SIP_LEG_ENDING;
	snprintf(leg->end_reason, sizeof leg->end_reason, "answer_invalid");
	nua_bye(leg->handle, SIPTAG_REASON_STR(reason), TAG_END());
}

/* Reads the answer from the ACK into answer. Returns NULL, or the reason
 * the answer cannot be used. detail receives the parser's error, which
 * goes to the log but not into the Reason header. */
static const char *
sip_ua_offer_read_answer(struct sip_leg *leg, sip_t const *message,
    struct sip_sdp_offer *answer, char *detail, size_t detail_size)
{
	const sip_payload_t *payload = message->sip_payload;
	const char *type = message->sip_content_type != NULL ?
	    message->sip_content_type->c_type : NULL;
	int result;

	if (payload == NULL || payload->pl_len == 0)
		return "no SDP answer in the ACK";
	if (type == NULL || strcasecmp(type, "application/sdp") != 0)
		return "the ACK's body is not application/sdp";
	result = sip_sdp_parse_answer(payload->pl_data, payload->pl_len,
	    answer, detail, detail_size);
	if (result == SIP_SDP_NO_CODEC || result == SIP_SDP_REFUSED ||
	    result == SIP_SDP_UNUSABLE)
		return detail;
	if (result != SIP_SDP_OK) {
		log_info(SIP_LOG, "call=%llu invalid SDP answer: %s",
		    (unsigned long long)leg->call, detail);
		return "invalid SDP answer";
	}
	result = sip_sdp_check_target(answer, strchr(
	    leg->sip->config->rtp_address, ':') != NULL ? AF_INET6 : AF_INET,
	    true, detail, detail_size);
	if (result == 0)
		result = sip_sdp_check_source(answer,
		    leg->source_address.ss_family != AF_UNSPEC ?
		    (const struct sockaddr *)&leg->source_address : NULL,
		    leg->sip->config->media_networks,
		    leg->sip->config->media_network_count, true, detail,
		    detail_size);
	if (result != 0) {
		log_info(SIP_LOG, "call=%llu SDP answer rejected: %s "
		    "address=%s port=%u", (unsigned long long)leg->call,
		    detail, answer->address, answer->port);
		return detail;
	}
	return NULL;
}

void
sip_ua_offer_ack(struct sip_leg *leg, sip_t const *message)
{
	struct sip_sdp_offer answer;
	char detail[256] = "";
	const char *problem;

	problem = sip_ua_offer_read_answer(leg, message, &answer, detail,
	    sizeof detail);
	if (problem != NULL) {
		sip_ua_offer_reject(leg, problem);
		return;
	}
	leg->offer = answer;
	if (sip_ua_media_start(leg) != 0) {
		log_error(SIP_LOG, "call=%llu media thread rejected the call",
		    (unsigned long long)leg->call);
		sip_ua_hangup(leg, "error");
		return;
	}
	leg->media_owned = true;
	leg->media_running = true;
	log_info(SIP_LOG, "call=%llu SDP answer in the ACK codec=%s events=%d "
	    "port=%u", (unsigned long long)leg->call,
	    answer.payload_type == 0 ? "PCMU" : "PCMA",
	    answer.event_payload_type, leg->rtp_port);
}
