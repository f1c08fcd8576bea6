/*
 * INVITE and re-INVITE: admission, the checks of RFC 3261 section 8.2 that
 * nua leaves to an application without its media layer, the RTP socket
 * and the SDP answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sip_ua.h"

#include <sofia-sip/msg_addr.h>

#include "media_thread.h"

/* Whether the Request-URI user is one the hub answers. */
static bool
sip_ua_number_served(const struct ivr_config *config, const char *user)
{
	if (config->number_count == 0)
		return true;
	if (user == NULL)
		return false;
	for (int i = 0; i < config->number_count; i++)
		if (strcmp(config->numbers[i], user) == 0)
			return true;
	return false;
}

/* The source address of the request being handled, numeric in out and
 * as a socket address in address (ss_family AF_UNSPEC when unknown). */
static void
sip_ua_source(struct sip_thread *sip, char *out, size_t size,
    struct sockaddr_storage *address)
{
	msg_t *request = nua_current_request(sip->nua);
	su_addrinfo_t *info = request != NULL ? msg_addrinfo(request) : NULL;

	memset(address, 0, sizeof *address);
	snprintf(out, size, "unknown");
	if (info == NULL || info->ai_addr == NULL ||
	    getnameinfo(info->ai_addr, (socklen_t)info->ai_addrlen, out,
	    (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0) {
		snprintf(out, size, "unknown");
		return;
	}
	if (info->ai_addrlen <= sizeof *address)
		memcpy(address, info->ai_addr, info->ai_addrlen);
}

/* Whether the INVITE's Accept, if any, takes application/sdp. */
static bool
sip_ua_accepts_sdp(sip_t const *message)
{
	if (message->sip_accept == NULL)
		return true;
	for (const sip_accept_t *accept = message->sip_accept; accept != NULL;
	    accept = accept->ac_next) {
		const char *type = accept->ac_type;

		if (type != NULL && (strcasecmp(type, "application/sdp") == 0 ||
		    strcasecmp(type, "application/*") == 0 ||
		    strcmp(type, "*/*") == 0))
			return true;
	}
	return false;
}

/* Answers an INVITE with an error and a Warning (RFC 3261 section
 * 20.43): code 301 for an address family the hub does not use, 305 for
 * an incompatible media format, 399 for others. */
static void
sip_ua_reject(struct sip_thread *sip, nua_handle_t *handle, int status,
    const char *phrase, int code, const char *warning)
{
	/* The domain (up to 253 bytes) and a reason of up to 255. */
	char header[540];

	snprintf(header, sizeof header, "%d %s \"%s\"", code,
	    sip->config->domain, warning);
	nua_respond(handle, status, phrase, SIPTAG_WARNING_STR(header),
	    TAG_END());
}

/* Checks where the offer would send RTP: sip_sdp_check_target, then
 * sip_sdp_check_source against source, the initial INVITE's source
 * address. Returns 0, or -1 after answering 488 with a Warning. */
static int
sip_ua_check_media(struct sip_thread *sip, nua_handle_t *handle,
    const struct sip_sdp_offer *offer, const struct sockaddr_storage *source,
    bool initial)
{
	const struct ivr_config *config = sip->config;
	char error[256];
	int result;

	result = sip_sdp_check_target(offer, strchr(config->rtp_address,
	    ':') != NULL ? AF_INET6 : AF_INET, initial, error, sizeof error);
	if (result == 0)
		result = sip_sdp_check_source(offer,
		    source->ss_family != AF_UNSPEC ?
		    (const struct sockaddr *)source : NULL,
		    config->media_networks, config->media_network_count,
		    initial, error, sizeof error);
	if (result == 0)
		return 0;
	log_info(SIP_LOG, "SDP offer rejected: %s address=%s port=%u", error,
	    offer->address, offer->port);
	sip_ua_reject(sip, handle, SIP_488_NOT_ACCEPTABLE, result, error);
	return -1;
}

/* Checks the body of an INVITE and parses its offer; source is the
 * initial INVITE's source address. Returns 0, 1 for an initial INVITE
 * without a body (the hub then makes the offer), or -1 after answering
 * the request with an error. */
static int
sip_ua_read_offer(struct sip_thread *sip, nua_handle_t *handle,
    sip_t const *message, struct sip_sdp_offer *offer,
    const struct sockaddr_storage *source, bool initial)
{
	const sip_payload_t *payload = message->sip_payload;
	const char *type = message->sip_content_type != NULL ?
	    message->sip_content_type->c_type : NULL;
	char error[256];
	int result;

	if (payload != NULL && payload->pl_len > 0 && (type == NULL ||
	    strcasecmp(type, "application/sdp") != 0)) {
		nua_respond(handle, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return -1;
	}
	if (initial && !sip_ua_accepts_sdp(message)) {
		sip_ua_reject(sip, handle, SIP_406_NOT_ACCEPTABLE, 399,
		    "the answer is application/sdp");
		return -1;
	}
	if (payload == NULL || payload->pl_len == 0)
		return 1;
	result = sip_sdp_parse_offer(payload->pl_data, payload->pl_len, offer,
	    error, sizeof error);
	if (result == SIP_SDP_NO_CODEC) {
		sip_ua_reject(sip, handle, SIP_488_NOT_ACCEPTABLE, 305, error);
		return -1;
	}
	if (result == SIP_SDP_REFUSED || result == SIP_SDP_UNUSABLE) {
		sip_ua_reject(sip, handle, SIP_488_NOT_ACCEPTABLE, 399, error);
		return -1;
	}
	if (result != SIP_SDP_OK) {
		log_info(SIP_LOG, "invalid SDP offer: %s", error);
		sip_ua_reject(sip, handle, SIP_488_NOT_ACCEPTABLE, 399,
		    "invalid SDP offer");
		return -1;
	}
	return sip_ua_check_media(sip, handle, offer, source, initial);
}

/* Opens a non-blocking UDP socket on a free even port of the range on
 * rtp_address. Returns 0, or -1 with errno set. */
static int
sip_ua_rtp_open(struct sip_thread *sip, struct sip_leg *leg)
{
	const struct ivr_config *config = sip->config;
	const unsigned int first = (unsigned int)config->rtp_port_min;
	const unsigned int count = ((unsigned int)config->rtp_port_max -
	    first) / 2 + 1;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST,
	    .ai_socktype = SOCK_DGRAM };
	struct addrinfo *address;
	int fd, error;

	if ((error = getaddrinfo(config->rtp_address, NULL, &hints,
	    &address)) != 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(address->ai_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	for (unsigned int i = 0; fd >= 0 && i < count; i++) {
		unsigned int port = first + 2 * ((sip->next_port + i) % count);

		if (address->ai_family == AF_INET6)
			((struct sockaddr_in6 *)address->ai_addr)->sin6_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in *)address->ai_addr)->sin_port =
			    htons((uint16_t)port);
		if (bind(fd, address->ai_addr, address->ai_addrlen) == 0) {
			sip->next_port = (sip->next_port + i + 1) % count;
			leg->rtp_fd = fd;
			leg->rtp_port = (uint16_t)port;
			freeaddrinfo(address);
			return 0;
		}
	}
	error = fd >= 0 ? EADDRINUSE : errno;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(address);
	errno = error;
	return -1;
}

/* Copies the user part of url into out, the number of a tel: URI, or ""
 * when there is none. */
static void
sip_ua_user(const url_t *url, char *out, size_t size)
{
	const char *user = NULL;

	if (url != NULL)
		user = url->url_type == url_tel ? url->url_host : url->url_user;
	snprintf(out, size, "%s", user != NULL ? user : "");
}

/* Fills leg from the INVITE; offer is NULL when it had no SDP. */
static void
sip_ua_leg_fill(struct sip_leg *leg, sip_t const *message,
    const struct sip_sdp_offer *offer, const char *source,
    const struct sockaddr_storage *source_address)
{
	leg->source_address = *source_address;
	if (offer != NULL)
		leg->offer = *offer;
	leg->delayed_offer = offer == NULL;
	leg->started_at_ms = sip_thread_now_ms();
	snprintf(leg->source, sizeof leg->source, "%s", source);
	if (message->sip_call_id != NULL && message->sip_call_id->i_id != NULL)
		snprintf(leg->call_id, sizeof leg->call_id, "%s",
		    message->sip_call_id->i_id);
	sip_ua_user(message->sip_from != NULL ? message->sip_from->a_url :
	    NULL, leg->caller, sizeof leg->caller);
	sip_ua_user(message->sip_request->rq_url, leg->callee,
	    sizeof leg->callee);
}

static void
sip_ua_log_reject(struct sip_thread *sip, enum sip_limit_result result,
    const char *source, unsigned long quiet)
{
	if (result == SIP_LIMIT_CALLS)
		log_warn(SIP_LOG, "INVITE rejected: max_calls=%d reached "
		    "source=%s not_logged_in_previous_minute=%lu",
		    sip->config->max_calls, source, quiet);
	else
		log_warn(SIP_LOG, "INVITE rejected: more than "
		    "invites_per_minute=%d source=%s "
		    "not_logged_in_previous_minute=%lu",
		    sip->config->invites_per_minute, source, quiet);
}

/* Admits the INVITE by the call cap and its source's rate. Returns 0, or
 * -1 after answering 503 with Retry-After. */
static int
sip_ua_admit(struct sip_thread *sip, nua_handle_t *handle, const char *source)
{
	int calls = atomic_load(&sip->leg_count), retry_after = 0;
	enum sip_limit_result result;
	unsigned long quiet;
	int64_t now_ms;
	char header[16];

	/* The hub is shutting down: its calls have ended or are ending. */
	if (sip->stopping || !media_thread_accepting(sip->ivr->media)) {
		nua_respond(handle, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		return -1;
	}
	now_ms = sip_thread_now_ms();
	result = sip_limit_admit(&sip->limit, source, calls, now_ms,
	    &retry_after);
	if (result == SIP_LIMIT_ADMITTED)
		return 0;
	/* A flood of INVITEs logs one line per source and minute. */
	if (sip_limit_log_reject(&sip->limit, source, now_ms, &quiet))
		sip_ua_log_reject(sip, result, source, quiet);
	snprintf(header, sizeof header, "%d", retry_after);
	nua_respond(handle, SIP_503_SERVICE_UNAVAILABLE,
	    SIPTAG_RETRY_AFTER_STR(header), TAG_END());
	return -1;
}

/* Fires ring_ms after the 180. */
static void
sip_ua_ring_done(struct sip_thread *sip, su_timer_t *timer,
    struct sip_leg *leg)
{
	(void)sip;
	(void)timer;
	su_timer_destroy(leg->ring_timer);
	leg->ring_timer = NULL;
	if (leg->state == SIP_LEG_RINGING)
		sip_ua_answer(leg);
}

static void
sip_ua_ring(struct sip_leg *leg)
{
	struct sip_thread *sip = leg->sip;

	leg->ring_timer = su_timer_create(su_root_task(sip->root),
	    sip->config->ring_ms);
	if (leg->ring_timer == NULL ||
	    su_timer_set(leg->ring_timer, sip_ua_ring_done, leg) != 0) {
		sip_ua_answer(leg);
		return;
	}
	nua_respond(leg->handle, SIP_180_RINGING, TAG_END());
}

void
sip_ua_invite(struct sip_thread *sip, nua_handle_t *handle,
    sip_t const *message)
{
	struct sip_sdp_offer offer;
	struct sockaddr_storage source_address;
	char source[48];
	struct sip_leg *leg;
	int has_offer;

	if (!sip_ua_number_served(sip->config,
	    message->sip_request->rq_url->url_user)) {
		nua_respond(handle, SIP_404_NOT_FOUND, TAG_END());
		return;
	}
	sip_ua_source(sip, source, sizeof source, &source_address);
	if (sip_ua_admit(sip, handle, source) != 0 ||
	    (has_offer = sip_ua_read_offer(sip, handle, message, &offer,
	    &source_address, true)) < 0)
		return;
	if ((leg = sip_thread_leg_new(sip, handle)) == NULL) {
		log_error(SIP_LOG, "out of memory for a call source=%s", source);
		nua_respond(handle, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	sip_ua_leg_fill(leg, message, has_offer == 0 ? &offer : NULL, source,
	    &source_address);
	if (leg->delayed_offer)
		log_info(SIP_LOG, "call=%llu INVITE call_id=%s source=%s "
		    "without SDP: the 200 carries the offer",
		    (unsigned long long)leg->call, leg->call_id, source);
	else
		log_info(SIP_LOG, "call=%llu INVITE call_id=%s source=%s "
		    "codec=%s events=%d", (unsigned long long)leg->call,
		    leg->call_id, source,
		    offer.payload_type == 0 ? "PCMU" : "PCMA",
		    offer.event_payload_type);
	if (sip_ua_rtp_open(sip, leg) != 0) {
		log_error(SIP_LOG, "call=%llu no RTP port from %d to %d on %s: "
		    "%s", (unsigned long long)leg->call,
		    sip->config->rtp_port_min, sip->config->rtp_port_max,
		    sip->config->rtp_address, strerror(errno));
		sip_ua_hangup(leg, "error");
		return;
	}
	if (sip->config->ring_ms > 0)
		sip_ua_ring(leg);
	else
		sip_ua_answer(leg);
}

/* Builds the answer to leg's offer; the version grows with each one. */
static int
sip_ua_build_answer(struct sip_leg *leg, char *answer, size_t size)
{
	return sip_sdp_build_answer(&leg->offer, leg->sip->config->rtp_address,
	    leg->rtp_port, leg->sdp_session, ++leg->sdp_version, answer, size);
}

static struct ivr_media_msg *
sip_ua_media_message(struct sip_leg *leg, enum ivr_media_type type)
{
	struct ivr_media_msg *message = ivr_msg_new(sizeof *message, type);

	if (message == NULL)
		return NULL;
	message->call = leg->call;
	message->rtp_fd = -1;
	if (sip_sdp_remote(&leg->offer, &message->remote,
	    &message->remote_len) != 0)
		message->remote_len = 0;
	message->payload_type = leg->offer.payload_type;
	message->event_payload_type = leg->offer.event_payload_type;
	message->direction = leg->offer.direction;
	return message;
}

int
sip_ua_media_start(struct sip_leg *leg)
{
	struct ivr_media_msg *message = sip_ua_media_message(leg,
	    IVR_MEDIA_START);

	if (message == NULL)
		return -1;
	message->rtp_fd = leg->rtp_fd;
	message->rtp_port = leg->rtp_port;
	message->source = leg->source_address;
	snprintf(message->call_id, sizeof message->call_id, "%s",
	    leg->call_id);
	snprintf(message->caller, sizeof message->caller, "%s", leg->caller);
	snprintf(message->callee, sizeof message->callee, "%s", leg->callee);
	message->started_at_ms = leg->started_at_ms;
	message->answered_at_ms = leg->answered_at_ms;
	/* The media thread owns the socket now, and closes it even when it
	 * rejects the call. */
	leg->rtp_fd = -1;
	return media_thread_post(leg->sip->ivr->media, message);
}

void
sip_ua_answer(struct sip_leg *leg)
{
	char answer[SIP_SDP_ANSWER_SIZE];

	if (leg->delayed_offer) {
		sip_ua_offer_send(leg);
		return;
	}
	if (sip_ua_build_answer(leg, answer, sizeof answer) < 0) {
		log_error(SIP_LOG, "call=%llu cannot build the SDP answer",
		    (unsigned long long)leg->call);
		sip_ua_hangup(leg, "error");
		return;
	}
	sip_ua_respond_answered(leg, answer);
	log_info(SIP_LOG, "call=%llu answered port=%u, waiting for the ACK",
	    (unsigned long long)leg->call, leg->rtp_port);
}

void
sip_ua_respond_answered(struct sip_leg *leg, const char *sdp)
{
	nua_respond(leg->handle, SIP_200_OK,
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	leg->state = SIP_LEG_ANSWERED;
	leg->answered_at_ms = sip_thread_now_ms();
	leg->ack_pending = true;
}

void
sip_ua_ack(struct sip_leg *leg, sip_t const *message)
{
	leg->ack_pending = false;
	if (leg->delayed_offer) {
		sip_ua_offer_ack(leg, message);
		return;
	}
	if (sip_ua_media_start(leg) != 0) {
		log_error(SIP_LOG, "call=%llu media thread rejected the call",
		    (unsigned long long)leg->call);
		sip_ua_hangup(leg, "error");
		return;
	}
	leg->media_owned = true;
	leg->media_running = true;
	log_info(SIP_LOG, "call=%llu ACK, media started",
	    (unsigned long long)leg->call);
}

void
sip_ua_reinvite(struct sip_leg *leg, sip_t const *message)
{
	struct sip_thread *sip = leg->sip;
	char answer[SIP_SDP_ANSWER_SIZE];
	struct sip_sdp_offer offer;
	struct ivr_media_msg *update;

	/* Until the ACK brings the answer to the hub's offer, that offer is
	 * still open (RFC 3264 section 4). */
	if (leg->state != SIP_LEG_ANSWERED || leg->ack_pending) {
		nua_respond(leg->handle, SIP_491_REQUEST_PENDING, TAG_END());
		return;
	}
	/* Without an offer the last answer goes out as the offer, and the
	 * caller's answer in its ACK is not read. */
	if (message->sip_payload == NULL || message->sip_payload->pl_len == 0)
		offer = leg->offer;
	else if (sip_ua_read_offer(sip, leg->handle, message, &offer,
	    &leg->source_address, false) != 0)
		return;
	leg->offer = offer;
	if (sip_ua_build_answer(leg, answer, sizeof answer) < 0) {
		nua_respond(leg->handle, SIP_500_INTERNAL_SERVER_ERROR,
		    TAG_END());
		return;
	}
	nua_respond(leg->handle, SIP_200_OK,
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	log_info(SIP_LOG, "call=%llu re-INVITE direction=%s",
	    (unsigned long long)leg->call,
	    sip_sdp_answer_direction(offer.direction));
	if (!leg->media_running ||
	    (update = sip_ua_media_message(leg, IVR_MEDIA_UPDATE)) == NULL)
		return;
	if (media_thread_post(sip->ivr->media, update) != 0)
		log_warn(SIP_LOG, "media thread rejected the update of call=%llu",
		    (unsigned long long)leg->call);
}
