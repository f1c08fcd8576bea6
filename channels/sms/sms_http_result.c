/*
 * The generic gateway's response: whether it accepted the message, the
 * values it returned in JSON, and the reason shown to agents when it did
 * not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unistr.h>

#include "sms_http.h"

/* Bytes of a response body quoted in a failure's reason. */
#define SMS_HTTP_DETAIL_BODY_MAX 200

static bool
sms_http_status_listed(const int *statuses, size_t count, int status)
{
	for (size_t i = 0; i < count; i++) {
		if (statuses[i] == status)
			return true;
	}
	return false;
}

static bool
sms_http_status_success(const struct sms_http_config *config, int status)
{
	if (config->success_status_count == 0)
		return status >= 200 && status <= 299;
	return sms_http_status_listed(config->success_statuses,
	    config->success_status_count, status);
}

static bool
sms_http_status_temporary(const struct sms_http_config *config, int status)
{
	if (config->temporary_status_count == 0)
		return status == 429 || (status >= 500 && status <= 599);
	return sms_http_status_listed(config->temporary_statuses,
	    config->temporary_status_count, status);
}

static bool
sms_http_body_matches(const struct sms_http_config *config, const char *body,
    size_t body_length)
{
	if (config->success_contains != NULL &&
	    memmem(body, body_length, config->success_contains,
	    strlen(config->success_contains)) == NULL)
		return false;
	if (config->success_json_field != NULL) {
		char *value = sms_http_json_text(body, body_length,
		    config->success_json_field);
		bool equal = value != NULL &&
		    strcmp(value, config->success_json_value) == 0;

		free(value);
		return equal;
	}
	return true;
}

int
sms_http_judge(const struct sms_http_config *config, int status,
    const char *body, size_t body_length)
{
	if (sms_http_status_success(config, status) &&
	    sms_http_body_matches(config, body, body_length))
		return 0;
	if (sms_http_status_temporary(config, status))
		return 1;
	return -1;
}

/* The member of value named by the length bytes at name: an object's
 * member, or an array's element when name is a decimal index. */
static json_t *
sms_http_json_member(json_t *value, const char *name, size_t length)
{
	if (json_is_object(value))
		return json_object_getn(value, name, length);
	if (json_is_array(value) && length > 0 && length <= 9 &&
	    strspn(name, "0123456789") >= length) {
		size_t index = 0;

		for (size_t i = 0; i < length; i++)
			index = index * 10 + (size_t)(name[i] - '0');
		return json_array_get(value, index);
	}
	return NULL;
}

char *
sms_http_json_scalar(const json_t *value)
{
	char number[64];

	switch (json_typeof(value)) {
	case JSON_STRING:
		return strndup(json_string_value(value),
		    json_string_length(value));
	case JSON_INTEGER:
		snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(value));
		return strdup(number);
	case JSON_REAL:
		snprintf(number, sizeof number, "%.17g", json_real_value(value));
		return strdup(number);
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("null");
	default:
		return NULL;
	}
}

char *
sms_http_json_text(const char *body, size_t body_length, const char *path)
{
	json_t *root = json_loadb(body, body_length, JSON_DECODE_ANY, NULL);
	json_t *value = root;
	const char *name = path;
	char *text;

	if (root == NULL)
		return NULL;
	while (value != NULL) {
		size_t length = strcspn(name, ".");

		value = sms_http_json_member(value, name, length);
		if (name[length] == '\0')
			break;
		name += length + 1;
	}
	text = value != NULL ? sms_http_json_scalar(value) : NULL;
	json_decref(root);
	return text;
}

/* Writes body's first bytes to out as readable UTF-8, without leading and
 * trailing spaces. */
static void
sms_http_detail_body(const char *body, size_t body_length, char *out,
    size_t out_size)
{
	const uint8_t *bytes = (const uint8_t *)body;
	size_t limit = body_length < SMS_HTTP_DETAIL_BODY_MAX ?
	    body_length : SMS_HTTP_DETAIL_BODY_MAX;
	size_t offset = 0;
	size_t used = 0;

	out[0] = '\0';
	while (offset < limit) {
		ucs4_t character;
		int step = u8_mbtoucr(&character, bytes + offset,
		    body_length - offset);
		const char *piece = body + offset;
		size_t piece_length = step > 0 ? (size_t)step : 0;
		size_t consumed = piece_length;

		if (step < 0) {
			/* u8_mbtoucr returns -2 for a sequence cut short
			 * by the body's end. */
			piece = "\xef\xbf\xbd";
			piece_length = 3;
			consumed = step == -2 ? body_length - offset : 1;
		} else if (offset + consumed > limit) {
			break;
		} else if (character < 0x20 ||
		    (character >= 0x7f && character <= 0x9f)) {
			piece = " ";
			piece_length = 1;
		}
		if (used + piece_length + 1 > out_size)
			break;
		if (piece[0] != ' ' || used > 0) {
			memcpy(out + used, piece, piece_length);
			used += piece_length;
			out[used] = '\0';
		}
		offset += consumed;
	}
	while (used > 0 && out[used - 1] == ' ')
		out[--used] = '\0';
}

void
sms_http_detail(int status, const char *body, size_t body_length, char *out,
    size_t out_size)
{
	char quoted[SMS_HTTP_DETAIL_BODY_MAX * 3 + 1];

	sms_http_detail_body(body, body_length, quoted, sizeof quoted);
	if (quoted[0] != '\0')
		snprintf(out, out_size, "HTTP %d: %s", status, quoted);
	else
		snprintf(out, out_size, "HTTP %d", status);
}
