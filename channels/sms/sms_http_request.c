/*
 * The generic gateway's request for one message, built from the templates
 * of its config.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sms_http.h"

static bool
sms_http_request_has_header(const struct sms_http_config *config,
    const char *name)
{
	for (size_t i = 0; i < config->header_count; i++) {
		if (strcasecmp(config->header_names[i], name) == 0)
			return true;
	}
	return false;
}

/* Adds the "Name: value" line of header index to request. */
static int
sms_http_request_header(const struct sms_http_config *config, size_t index,
    const struct sms_http_values *values, struct sms_http_request *request,
    size_t slot, char *reason, size_t reason_size)
{
	char *value;
	int written;

	if (sms_http_expand(config->header_values[index],
	    SMS_HTTP_ESCAPE_HEADER, values, &value) != 0) {
		if (errno == EINVAL)
			snprintf(reason, reason_size, "The text cannot be sent "
			    "in header %s of the gateway's request because it "
			    "contains a line break or another control "
			    "character", config->header_names[index]);
		return -1;
	}
	written = asprintf(&request->headers[slot], "%s: %s",
	    config->header_names[index], value);
	free(value);
	if (written < 0) {
		request->headers[slot] = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int
sms_http_request_headers(const struct sms_http_config *config,
    const struct sms_http_values *values, struct sms_http_request *request,
    char *reason, size_t reason_size)
{
	size_t slot = 0;
	const char *content_type = NULL;

	for (size_t i = 0; i < config->header_count; i++) {
		if (sms_http_request_header(config, i, values, request, slot++,
		    reason, reason_size) != 0)
			return -1;
	}
	if (config->body == NULL ||
	    sms_http_request_has_header(config, "Content-Type"))
		return 0;
	if (config->body_encoding == SMS_BODY_JSON)
		content_type = "Content-Type: application/json; charset=utf-8";
	else if (config->body_encoding == SMS_BODY_FORM)
		content_type = "Content-Type: application/x-www-form-urlencoded";
	if (content_type != NULL &&
	    (request->headers[slot] = strdup(content_type)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
sms_http_request_build(const struct sms_gateway_config *gateway,
    const struct sms_prepared *prepared, struct sms_http_request *request,
    char *reason, size_t reason_size)
{
	const struct sms_http_config *config = &gateway->http;
	char parts[24];
	struct sms_http_values values = {
		.to = prepared->to,
		.from = gateway->from,
		.text = prepared->text,
		.reference = prepared->reference,
		.coding = prepared->ucs2 ? "ucs2" : "gsm7",
		.unicode = prepared->ucs2 ? "1" : "0",
		.parts = parts,
		.username = gateway->username,
		.password = gateway->password,
	};

	memset(request, 0, sizeof *request);
	snprintf(parts, sizeof parts, "%zu", prepared->parts);
	request->method = config->method;
	reason[0] = '\0';
	if (sms_http_expand(config->url, SMS_HTTP_ESCAPE_URL, &values,
	    &request->url) != 0)
		goto failed;
	if (sms_http_request_headers(config, &values, request, reason,
	    reason_size) != 0)
		goto failed;
	if (config->body != NULL) {
		if (sms_http_expand(config->body,
		    sms_http_body_escape(config->body_encoding), &values,
		    &request->body) != 0)
			goto failed;
		request->body_length = strlen(request->body);
	}
	return 0;

failed:
	sms_http_request_free(request);
	errno = reason[0] != '\0' ? EINVAL : ENOMEM;
	return -1;
}

void
sms_http_request_free(struct sms_http_request *request)
{
	free(request->url);
	for (size_t i = 0; request->headers[i] != NULL; i++)
		free(request->headers[i]);
	free(request->body);
	memset(request, 0, sizeof *request);
}

void
sms_http_url_origin(const char *url, char *out, size_t out_size)
{
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end != NULL ? scheme_end + 3 : url;
	size_t authority = strcspn(host, "/?#");
	const char *at = memchr(host, '@', authority);

	if (at != NULL) {
		authority -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, out_size, "%.*s%.*s",
	    scheme_end != NULL ? (int)(scheme_end + 3 - url) : 0, url,
	    (int)authority, host);
}
