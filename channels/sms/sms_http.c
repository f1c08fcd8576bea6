/*
 * The generic HTTP gateway: a carrier's or aggregator's brandname SMS API
 * described in the config. Each message is one request through the hub's
 * shared HTTP client, and its response is judged by the config's rule of
 * success (sms_http_result.c).
 *
 * Logs show the URL's origin, never its query or the headers, which may
 * carry the password, and never the text or the number. A failure logs the
 * first 200 bytes of the gateway's response, as its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sms_http.h"

#define SMS_HTTP_LOG "sms"
/* Room for "HTTP 400: " and a quoted body of up to 200 bytes, each of
 * which may become a three-byte U+FFFD. */
#define SMS_HTTP_DETAIL_SIZE 700
#define SMS_HTTP_TIMEOUT_DEFAULT_SECONDS 30
/* Bytes of the gateway's message id written to the log. */
#define SMS_HTTP_LOG_ID_MAX 64

/* One message on its way through a generic gateway. */
struct sms_http_send {
	struct sms_gateway *gateway;
	struct sms_outbound *out;
	/* The reason of a failure for good found before any request. */
	char reason[256];
};

static void
sms_http_origin(const struct sms_gateway *gateway, char *out, size_t size)
{
	sms_http_url_origin(gateway->config->http.url, out, size);
}

/* Copies the gateway's message id for the log: printable ASCII only, cut
 * to SMS_HTTP_LOG_ID_MAX bytes. */
static void
sms_http_log_id(const char *id, char *out, size_t size)
{
	size_t used = 0;

	for (; *id != '\0' && used + 1 < size && used < SMS_HTTP_LOG_ID_MAX;
	    id++) {
		unsigned char c = (unsigned char)*id;

		out[used++] = c > 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
	}
	out[used] = '\0';
}

static void
sms_http_log_accepted(const struct sms_gateway *gateway,
    const struct sms_outbound *out, const struct http_client_response *response)
{
	const char *field = gateway->config->http.message_id_field;
	char *id = field != NULL ? sms_http_json_text(response->body,
	    response->body_len, field) : NULL;
	char logged[SMS_HTTP_LOG_ID_MAX + 1] = "";

	if (id != NULL)
		sms_http_log_id(id, logged, sizeof logged);
	log_info(SMS_HTTP_LOG, "sms accepted by gateway=%s ticket=%lld "
	    "message=%lld status=%d%s%s", gateway->config->name,
	    (long long)out->ticket_id, (long long)out->message_id,
	    response->status, id != NULL ? " gateway_message_id=" : "",
	    logged);
	if (field != NULL && id == NULL)
		log_warn(SMS_HTTP_LOG, "gateway=%s response has no %s to log "
		    "message=%lld", gateway->config->name, field,
		    (long long)out->message_id);
	free(id);
}

/* The reason of a request that got no HTTP response. */
static void
sms_http_error_detail(const struct sms_gateway *gateway,
    const struct http_client_response *response, char *detail, size_t size)
{
	switch (response->error) {
	case HTTP_CLIENT_ERROR_CONNECT:
		snprintf(detail, size, "Connection to the SMS gateway failed");
		break;
	case HTTP_CLIENT_ERROR_TIMEOUT:
		snprintf(detail, size, "The SMS gateway timed out: no response within "
		    "%d s", gateway->config->timeout_seconds > 0 ?
		    gateway->config->timeout_seconds :
		    SMS_HTTP_TIMEOUT_DEFAULT_SECONDS);
		break;
	case HTTP_CLIENT_ERROR_TOO_LARGE:
		snprintf(detail, size, "The SMS gateway's response was too "
		    "large");
		break;
	case HTTP_CLIENT_ERROR_CANCELLED:
		snprintf(detail, size, "The request to the SMS gateway was "
		    "cancelled because the hub is stopping");
		break;
	default:
		snprintf(detail, size, "The request to the SMS gateway failed "
		    "(%s)", response->error_text);
		break;
	}
}

static void
sms_http_finished(const struct http_client_response *response, void *arg)
{
	struct sms_http_send *send = arg;
	struct sms_gateway *gateway = send->gateway;
	struct sms_outbound *out = send->out;
	char detail[SMS_HTTP_DETAIL_SIZE];
	char origin[256];
	int status;

	free(send);
	if (response->error == HTTP_CLIENT_ERROR_TOO_LARGE) {
		/* The carrier took the request and answered at length: a retry
		 * could send the text twice. */
		status = -1;
		snprintf(detail, sizeof detail, "the carrier's answer is over "
		    "the HTTP client's size limit");
	} else if (response->error != HTTP_CLIENT_OK) {
		status = 1;
		sms_http_error_detail(gateway, response, detail, sizeof detail);
	} else {
		status = sms_http_judge(&gateway->config->http,
		    response->status, response->body, response->body_len);
		sms_http_detail(response->status, response->body,
		    response->body_len, detail, sizeof detail);
	}
	if (status == 0) {
		sms_http_log_accepted(gateway, out, response);
		sms_gateway_done(gateway, out, 0, NULL);
		return;
	}
	sms_http_origin(gateway, origin, sizeof origin);
	/* The carrier's answer may echo the number and the text, so it goes
	 * to the message's delivery detail and the debug log only. */
	log_warn(SMS_HTTP_LOG, "sms not sent by gateway=%s (%s) ticket=%lld "
	    "message=%lld %s http_status=%d", gateway->config->name, origin,
	    (long long)out->ticket_id, (long long)out->message_id,
	    status > 0 ? "failed for now" : "failed for good",
	    response->status);
	log_debug(SMS_HTTP_LOG, "sms not sent message=%lld detail=\"%s\"",
	    (long long)out->message_id, detail);
	sms_gateway_done(gateway, out, status, detail);
}

/* Reports a failure for good found before the request (a header value that
 * would carry a line break). sms_gateway_done may run inside send. */
static int
sms_http_reject(struct sms_gateway *gateway, struct sms_http_send *send)
{
	struct sms_outbound *out = send->out;

	log_warn(SMS_HTTP_LOG, "sms not sent by gateway=%s ticket=%lld "
	    "message=%lld failed for good: %s", gateway->config->name,
	    (long long)out->ticket_id, (long long)out->message_id,
	    send->reason);
	sms_gateway_done(gateway, out, -1, send->reason);
	free(send);
	return 0;
}

static int
sms_http_send(struct sms_gateway *gateway, struct sms_outbound *out,
    const struct sms_prepared *prepared)
{
	const struct sms_gateway_config *config = gateway->config;
	struct sms_http_send *send = calloc(1, sizeof *send);
	struct sms_http_request request;
	long timeout_ms = 1000L * (config->timeout_seconds > 0 ?
	    config->timeout_seconds : SMS_HTTP_TIMEOUT_DEFAULT_SECONDS);
	char origin[256];
	int result;
	int error;

	if (send == NULL)
		return -1;
	send->gateway = gateway;
	send->out = out;
	if (sms_http_request_build(config, prepared, &request, send->reason,
	    sizeof send->reason) != 0) {
		if (errno == EINVAL)
			return sms_http_reject(gateway, send);
		free(send);
		return -1;
	}
	result = hub_channel_http_request(gateway->module->channel,
	    request.method, request.url, (const char *const *)request.headers,
	    request.body, request.body_length, timeout_ms, sms_http_finished,
	    send);
	error = errno;
	sms_http_request_free(&request);
	sms_http_origin(gateway, origin, sizeof origin);
	if (result != 0) {
		log_warn(SMS_HTTP_LOG, "gateway=%s (%s) request not started "
		    "message=%lld: %s", config->name, origin,
		    (long long)out->message_id, strerror(error));
		free(send);
		return -1;
	}
	log_debug(SMS_HTTP_LOG, "gateway=%s %s %s ticket=%lld message=%lld "
	    "parts=%zu", config->name, config->http.method, origin,
	    (long long)out->ticket_id, (long long)out->message_id,
	    prepared->parts);
	return 0;
}

const struct sms_gateway_ops sms_http_ops = {
	.send = sms_http_send,
};
