/*
 * Placeholders of the generic gateway's templates ("{{text}}") and their
 * escaping for the place they land in: URL, header, JSON string, form or
 * raw body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms_http.h"

/* A growing output string. */
struct sms_http_buffer {
	char *data;
	size_t length;
	size_t size;
	bool failed;
};

static const char *const sms_http_placeholders[] = {
	"to", "from", "text", "reference", "coding", "unicode", "parts",
	"username", "password", NULL
};

static void
sms_http_buffer_append(struct sms_http_buffer *buffer, const char *bytes,
    size_t length)
{
	if (buffer->failed)
		return;
	if (buffer->length + length + 1 > buffer->size) {
		size_t size = buffer->size > 0 ? buffer->size : 64;
		char *data;

		while (size < buffer->length + length + 1)
			size *= 2;
		data = realloc(buffer->data, size);
		if (data == NULL) {
			buffer->failed = true;
			return;
		}
		buffer->data = data;
		buffer->size = size;
	}
	memcpy(buffer->data + buffer->length, bytes, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
}

/* The index of the placeholder named by the length bytes at name, or -1. */
static int
sms_http_placeholder_find(const char *name, size_t length)
{
	for (int i = 0; sms_http_placeholders[i] != NULL; i++) {
		if (strlen(sms_http_placeholders[i]) == length &&
		    memcmp(sms_http_placeholders[i], name, length) == 0)
			return i;
	}
	return -1;
}

int
sms_http_template_check(const char *template, char *problem,
    size_t problem_size)
{
	const char *open = template;

	while ((open = strstr(open, "{{")) != NULL) {
		const char *name = open + 2;
		const char *close = strstr(name, "}}");
		size_t length;

		if (close == NULL) {
			snprintf(problem, problem_size,
			    "\"{{\" without a closing \"}}\"");
			return -1;
		}
		length = (size_t)(close - name);
		if (sms_http_placeholder_find(name, length) < 0) {
			snprintf(problem, problem_size,
			    "unknown placeholder {{%.*s}}",
			    length > 40 ? 40 : (int)length, name);
			return -1;
		}
		open = close + 2;
	}
	return 0;
}

static const char *
sms_http_value(const struct sms_http_values *values, int index)
{
	const char *const fields[] = {
		values->to, values->from, values->text, values->reference,
		values->coding, values->unicode, values->parts,
		values->username, values->password,
	};

	return fields[index] != NULL ? fields[index] : "";
}

static bool
sms_http_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static void
sms_http_append_percent(struct sms_http_buffer *buffer, const char *value,
    bool space_as_plus)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		char encoded[3] = { '%', hex[*p >> 4], hex[*p & 0x0f] };

		if (sms_http_unreserved(*p))
			sms_http_buffer_append(buffer, (const char *)p, 1);
		else if (*p == ' ' && space_as_plus)
			sms_http_buffer_append(buffer, "+", 1);
		else
			sms_http_buffer_append(buffer, encoded, 3);
	}
}

/* Appends value escaped as the inside of a JSON string (RFC 8259): quote,
 * backslash and control characters escaped, other characters as UTF-8. */
static void
sms_http_append_json(struct sms_http_buffer *buffer, const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		char escaped[8];

		switch (*p) {
		case '"':
			sms_http_buffer_append(buffer, "\\\"", 2);
			break;
		case '\\':
			sms_http_buffer_append(buffer, "\\\\", 2);
			break;
		case '\n':
			sms_http_buffer_append(buffer, "\\n", 2);
			break;
		case '\r':
			sms_http_buffer_append(buffer, "\\r", 2);
			break;
		case '\t':
			sms_http_buffer_append(buffer, "\\t", 2);
			break;
		default:
			if (*p < 0x20) {
				snprintf(escaped, sizeof escaped, "\\u%04x", *p);
				sms_http_buffer_append(buffer, escaped, 6);
			} else {
				sms_http_buffer_append(buffer,
				    (const char *)p, 1);
			}
			break;
		}
	}
}

/* Whether value holds a character that cannot stand in a header field
 * value (RFC 9110 allows tab but no other control character). */
static bool
sms_http_header_unsafe(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return true;
	}
	return false;
}

static int
sms_http_append_value(struct sms_http_buffer *buffer, const char *value,
    enum sms_http_escape escape)
{
	switch (escape) {
	case SMS_HTTP_ESCAPE_URL:
		sms_http_append_percent(buffer, value, false);
		break;
	case SMS_HTTP_ESCAPE_FORM:
		sms_http_append_percent(buffer, value, true);
		break;
	case SMS_HTTP_ESCAPE_JSON:
		sms_http_append_json(buffer, value);
		break;
	case SMS_HTTP_ESCAPE_HEADER:
		if (sms_http_header_unsafe(value))
			return -1;
		sms_http_buffer_append(buffer, value, strlen(value));
		break;
	case SMS_HTTP_ESCAPE_RAW:
		sms_http_buffer_append(buffer, value, strlen(value));
		break;
	}
	return 0;
}

int
sms_http_expand(const char *template, enum sms_http_escape escape,
    const struct sms_http_values *values, char **out)
{
	struct sms_http_buffer buffer = { 0 };
	const char *rest = template;
	const char *open;

	sms_http_buffer_append(&buffer, "", 0);
	while ((open = strstr(rest, "{{")) != NULL) {
		const char *name = open + 2;
		const char *close = strstr(name, "}}");
		int index = close != NULL ?
		    sms_http_placeholder_find(name, (size_t)(close - name)) : -1;

		if (index < 0) {
			/* Not a placeholder: sms_http_template_check rejects
			 * this at load, so copy it as text. */
			sms_http_buffer_append(&buffer, rest,
			    (size_t)(name - rest));
			rest = name;
			continue;
		}
		sms_http_buffer_append(&buffer, rest, (size_t)(open - rest));
		if (sms_http_append_value(&buffer, sms_http_value(values, index),
		    escape) != 0) {
			free(buffer.data);
			errno = EINVAL;
			return -1;
		}
		rest = close + 2;
	}
	sms_http_buffer_append(&buffer, rest, strlen(rest));
	if (buffer.failed) {
		free(buffer.data);
		errno = ENOMEM;
		return -1;
	}
	*out = buffer.data;
	return 0;
}

enum sms_http_escape
sms_http_body_escape(enum sms_body_encoding encoding)
{
	switch (encoding) {
	case SMS_BODY_JSON:
		return SMS_HTTP_ESCAPE_JSON;
	case SMS_BODY_FORM:
		return SMS_HTTP_ESCAPE_FORM;
	case SMS_BODY_RAW:
		break;
	}
	return SMS_HTTP_ESCAPE_RAW;
}
