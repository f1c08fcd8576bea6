/*
 * Kannel's smsbox as a gateway: texts go out through /cgi-bin/sendsms,
 * delivery reports come back to /sms/kannel/dlr.
 *
 * sendsms takes the text in UTF-8 (charset=UTF-8) and the coding to send
 * it in: 0 for GSM 03.38 7-bit, 2 for UCS-2. UTF-8 Vietnamese sent with
 * coding 0 would arrive with '?' for every letter GSM lacks, so the coding
 * follows the measure of the text. smsbox answers 202 when it accepted or
 * queued the text, 503 when it cannot pass it on now, and 4xx when it
 * refuses it (bad credentials, a denied number, a text too long).
 *
 * The dlr-url carries the hub's reference of the message, whose keyed hash
 * proves that the report names a message of this hub, and Kannel's escapes
 * %d (the report's type) and %A (the SMSC's answer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "sms_kannel.h"

#define SMS_LOG "sms"

/* Kannel's delivery report types (dlr-mask bits). */
#define SMS_DLR_DELIVERED 1
#define SMS_DLR_FAILED 2
#define SMS_DLR_BUFFERED 4
#define SMS_DLR_SMSC_ACCEPTED 8
#define SMS_DLR_SMSC_REJECTED 16

#define SMS_DETAIL_MAX 200

struct sms_kannel_request {
	struct sms_gateway *gateway;
	struct sms_outbound *out;
};

/* Appends "&name=value" with value percent-encoded. */
static int
sms_kannel_param(struct evbuffer *url, const char *name, const char *value)
{
	char *encoded = evhttp_uriencode(value, -1, 0);
	int rc;

	if (encoded == NULL)
		return -1;
	rc = evbuffer_add_printf(url, "%s%s=%s",
	    evbuffer_get_length(url) == 0 ? "" : "&", name, encoded);
	free(encoded);
	return rc < 0 ? -1 : 0;
}

/* The dlr-url: the hub's route with the message's reference; %d and %A
 * are left for smsbox to fill in. */
static char *
sms_kannel_dlr_url(const struct sms_gateway_config *config,
    const char *reference)
{
	char *url = NULL;

	if (asprintf(&url, "%s%s?ref=%s&type=%%d&answer=%%A",
	    config->kannel.callback_url, SMS_KANNEL_DLR_PATH, reference) < 0)
		return NULL;
	return url;
}

/* The sendsms address with its query. Caller frees. */
static char *
sms_kannel_url(const struct sms_gateway_config *config,
    const struct sms_prepared *prepared)
{
	struct evbuffer *query = evbuffer_new();
	char mask[8], *dlr_url = NULL, *url = NULL;
	int rc;

	if (query == NULL)
		return NULL;
	snprintf(mask, sizeof mask, "%d", config->kannel.dlr_mask);
	rc = sms_kannel_param(query, "username", config->username) |
	    sms_kannel_param(query, "password", config->password) |
	    sms_kannel_param(query, "to", prepared->to) |
	    sms_kannel_param(query, "text", prepared->text) |
	    sms_kannel_param(query, "charset", "UTF-8") |
	    sms_kannel_param(query, "coding", prepared->ucs2 ? "2" : "0");
	if (config->from != NULL)
		rc |= sms_kannel_param(query, "from", config->from);
	if (config->kannel.smsc != NULL)
		rc |= sms_kannel_param(query, "smsc", config->kannel.smsc);
	if (config->kannel.dlr_mask != 0 && prepared->reference[0] != '\0') {
		dlr_url = sms_kannel_dlr_url(config, prepared->reference);
		rc |= dlr_url == NULL ? -1 :
		    sms_kannel_param(query, "dlr-mask", mask) |
		    sms_kannel_param(query, "dlr-url", dlr_url);
	}
	if (rc == 0 && evbuffer_add(query, "", 1) == 0 &&
	    asprintf(&url, "%s?%s", config->kannel.sendsms_url,
	    (const char *)evbuffer_pullup(query, -1)) < 0)
		url = NULL;
	free(dlr_url);
	evbuffer_free(query);
	return url;
}

/* A short reason for agents from smsbox's answer: its first line, control
 * characters replaced. */
static void
sms_kannel_detail(const struct http_client_response *response, char *out,
    size_t size)
{
	size_t length;

	if (response->error != HTTP_CLIENT_OK) {
		snprintf(out, size, "smsbox: %s", response->error_text);
		return;
	}
	length = strcspn(response->body, "\r\n");
	if (length > SMS_DETAIL_MAX)
		length = SMS_DETAIL_MAX;
	snprintf(out, size, "smsbox HTTP %d: %.*s", response->status,
	    (int)length, response->body);
	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* 0 accepted, 1 for now (no answer, 503, any 5xx), -1 refused (4xx). */
static int
sms_kannel_outcome(const struct http_client_response *response)
{
	if (response->error != HTTP_CLIENT_OK)
		return 1;
	if (response->status >= 200 && response->status < 300)
		return 0;
	if (response->status >= 400 && response->status < 500)
		return -1;
	return 1;
}

static void
sms_kannel_answered(const struct http_client_response *response, void *arg)
{
	struct sms_kannel_request *request = arg;
	char detail[SMS_DETAIL_MAX + 64];
	int outcome = sms_kannel_outcome(response);

	sms_kannel_detail(response, detail, sizeof detail);
	/* 403 with "Authorization failed" refuses every text until the
	 * config is fixed, so it is an error of the operator's to see. */
	if (response->error == HTTP_CLIENT_OK && response->status == 403 &&
	    strstr(response->body, "Authorization") != NULL)
		log_error(SMS_LOG, "sendsms refused the credentials gateway=%s: "
		    "check username and password_file against Kannel's "
		    "sendsms-user", request->gateway->config->name);
	if (outcome != 0)
		log_info(SMS_LOG, "sendsms failed gateway=%s message=%lld "
		    "outcome=%s reason=\"%s\"", request->gateway->config->name,
		    (long long)request->out->message_id,
		    outcome > 0 ? "retry" : "failed", detail);
	sms_gateway_done(request->gateway, request->out, outcome,
	    outcome == 0 ? NULL : detail);
	free(request);
}

static int
sms_kannel_send(struct sms_gateway *gateway, struct sms_outbound *out,
    const struct sms_prepared *prepared)
{
	struct sms_kannel_request *request = calloc(1, sizeof *request);
	char *url = sms_kannel_url(gateway->config, prepared);
	int rc = -1;

	if (request != NULL && url != NULL) {
		request->gateway = gateway;
		request->out = out;
		rc = hub_channel_http_request(gateway->module->channel, "GET",
		    url, NULL, NULL, 0,
		    (long)gateway->config->timeout_seconds * 1000,
		    sms_kannel_answered, request);
	}
	if (url != NULL)
		explicit_bzero(url, strlen(url));
	free(url);
	if (rc != 0)
		free(request);
	return rc;
}

const struct sms_gateway_ops sms_kannel_ops = {
	.send = sms_kannel_send,
};

/* --- Delivery reports ----------------------------------------------------- */

bool
sms_kannel_method_allowed(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_POST)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, POST");
	http_send_text(req, 405, "text/plain", "method not allowed: use GET "
	    "or POST\n", 36);
	return false;
}

static void
sms_kannel_dlr(struct evhttp_request *req, void *arg)
{
	struct sms_module *module = arg;
	struct sms_query query;
	const char *reference, *type_text, *answer;
	int64_t ticket_id, message_id;
	enum hub_delivery_status status;
	char detail[SMS_DETAIL_MAX + 32];
	int type;

	if (!sms_kannel_method_allowed(req))
		return;
	if (sms_query_parse(req, &query) != 0) {
		http_send_text(req, 400, "text/plain", "bad query\n", 10);
		return;
	}
	reference = sms_query_get(&query, "ref");
	type_text = sms_query_get(&query, "type");
	answer = sms_query_get(&query, "answer");
	if (reference == NULL || hub_channel_reference_parse(module->channel,
	    reference, &ticket_id, &message_id) != 1) {
		sms_query_clear(&query);
		http_send_text(req, 403, "text/plain", "unknown reference\n",
		    18);
		return;
	}
	type = type_text != NULL ? atoi(type_text) : 0;
	log_info(SMS_LOG, "delivery report ticket=%lld message=%lld type=%d",
	    (long long)ticket_id, (long long)message_id, type);
	if (type == SMS_DLR_DELIVERED || type == SMS_DLR_FAILED ||
	    type == SMS_DLR_SMSC_REJECTED) {
		status = type == SMS_DLR_DELIVERED ? HUB_DELIVERY_DELIVERED :
		    HUB_DELIVERY_FAILED;
		snprintf(detail, sizeof detail, "%s%.*s",
		    type == SMS_DLR_FAILED ? "not delivered: " :
		    type == SMS_DLR_SMSC_REJECTED ? "rejected by the SMSC: " :
		    "", SMS_DETAIL_MAX, answer != NULL ? answer : "");
		sms_text_sanitize(detail);
		if (hub_channel_delivery(module->channel, message_id, status,
		    type == SMS_DLR_DELIVERED ? NULL : detail) != 0) {
			sms_query_clear(&query);
			http_send_text(req, 503, "text/plain",
			    "shutting down\n", 14);
			return;
		}
	}
	sms_query_clear(&query);
	http_send_text(req, 200, "text/plain", "OK\n", 3);
}

int
sms_kannel_mount(struct sms_module *module)
{
	if (hub_channel_route(module->channel, SMS_KANNEL_DLR_PATH,
	    HTTP_ROUTE_EXACT, sms_kannel_dlr, module) != 0 ||
	    hub_channel_route(module->channel, SMS_KANNEL_MO_PATH,
	    HTTP_ROUTE_EXACT, sms_kannel_mo, module) != 0)
		return -1;
	return 0;
}
